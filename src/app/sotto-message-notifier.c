/* sotto-message-notifier.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-notifier"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-contact-label.h"
#include "sotto-message-notifier.h"

/* Tells the user of the messages that come in: as a notification of
 * the application's, one per conversation or group that the newest
 * replaces, which shows as much as the "notification-content" setting
 * lets it; or, while the user is in the window, by the screen reader,
 * where a notification would have popped up. */

struct _SottoMessageNotifier
{
  GObject parent_instance;

  GtkWidget *widget;  /* unowned: the page that owns the notifier */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SottoMessageNotifier, sotto_message_notifier, G_TYPE_OBJECT)

/* The notifications are the application's, when there is one to send
 * them. */
static GApplication *
get_application (void)
{
  return g_application_get_default ();
}

static gboolean
window_is_active (SottoMessageNotifier *self)
{
  GtkRoot *root = gtk_widget_get_root (self->widget);

  return GTK_IS_WINDOW (root) && gtk_window_is_active (GTK_WINDOW (root));
}

/* Tells the user of the message @text from @name: as a notification
 * @id, whose default action is @action with the string @target, or,
 * while the user is in the window, by a screen reader, which says
 * @spoken_name. */
static void
tell (SottoMessageNotifier *self,
      const char           *spoken_name,
      const char           *name,
      const char           *text,
      const char           *id,
      const char           *action,
      const char           *target)
{
  g_autoptr(GNotification) notification = NULL;
  const char *title;
  const char *body = NULL;

  if (window_is_active (self))
    {
      g_autofree char *spoken = NULL;

      /* Translators: what a screen reader says when a message comes in
       * while Sotto's window is focused: the sender's name, then the text */
      spoken = g_strdup_printf (_("Message from %s: %s"), spoken_name, text);
      sotto_accessible_announce (self->widget, spoken);
      return;
    }

  if (get_application () == NULL)
    return;

  /* A notification can be read off a locked screen: the user decides how
   * much of the message it may show. */
  switch (g_settings_get_enum (self->settings, "notification-content"))
    {
    case 0: /* name and message */
      title = name;
      body = text;
      break;
    case 1: /* name only */
      title = name;
      body = _("New message");
      break;
    default: /* nothing */
      title = _("New message");
      break;
    }

  notification = g_notification_new (title);
  if (body != NULL)
    g_notification_set_body (notification, body);
  g_notification_set_category (notification, "im.received");
  g_notification_set_default_action_and_target (notification, action, "s", target);

  g_application_send_notification (get_application (), id, notification);
}

/* One notification per conversation, replaced by the newest message. */
static char *
dup_conversation_id (SottoConversation *conversation)
{
  return g_strdup_printf ("message-%s", sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
}

static void
sotto_message_notifier_finalize (GObject *object)
{
  SottoMessageNotifier *self = SOTTO_MESSAGE_NOTIFIER (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sotto_message_notifier_parent_class)->finalize (object);
}

static void
sotto_message_notifier_class_init (SottoMessageNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sotto_message_notifier_finalize;
}

static void
sotto_message_notifier_init (SottoMessageNotifier *self)
{
}

/**
 * sotto_message_notifier_new:
 * @widget: where the screen reader hears of messages, which owns the
 *   notifier and outlives it
 * @settings: the settings with "notification-content"
 *
 * Returns: (transfer full): a new notifier
 */
SottoMessageNotifier *
sotto_message_notifier_new (GtkWidget *widget,
                            GSettings *settings)
{
  SottoMessageNotifier *self;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (SOTTO_TYPE_MESSAGE_NOTIFIER, NULL);
  self->widget = widget;
  self->settings = g_object_ref (settings);

  return self;
}

/**
 * sotto_message_notifier_tell_message:
 * @self: a #SottoMessageNotifier
 * @conversation: a 1:1 conversation
 * @message: a message that came in there
 */
void
sotto_message_notifier_tell_message (SottoMessageNotifier *self,
                                     SottoConversation    *conversation,
                                     SottoMessage         *message)
{
  SottoContact *contact;
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;

  g_return_if_fail (SOTTO_IS_MESSAGE_NOTIFIER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (SOTTO_IS_MESSAGE (message));

  contact = sotto_conversation_get_contact (conversation);
  name = sotto_contact_label_full (contact);
  id = dup_conversation_id (conversation);
  tell (self, sotto_contact_get_name (contact), name, sotto_message_get_body (message),
        id, "app.open-conversation", sotto_contact_get_uuid (contact));
}

/**
 * sotto_message_notifier_tell_group_event:
 * @self: a #SottoMessageNotifier
 * @group: a group
 * @event: what happened in it
 *
 * A member's message to a group is told as a 1:1 message is, under the
 * member's and the group's names; what the group's timeline shows
 * besides (changes, key changes) is not.
 */
void
sotto_message_notifier_tell_group_event (SottoMessageNotifier *self,
                                         SottoGroup           *group,
                                         SottoGroupEvent      *event)
{
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;

  g_return_if_fail (SOTTO_IS_MESSAGE_NOTIFIER (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (event != NULL);

  if (event->kind != SOTTO_GROUP_EVENT_TEXT || event->outgoing)
    return;

  /* Translators: who wrote a message to a group, in a notification: the
   * member's name, then the group's */
  name = g_strdup_printf (_("%1$s in %2$s"), event->author_name != NULL ? event->author_name : event->author,
                          sotto_group_get_title (group));
  /* One notification per group, replaced by the newest message. */
  id = g_strdup_printf ("group-%s", sotto_group_get_id (group));
  tell (self, name, name, event->text, id, "app.open-group", sotto_group_get_id (group));
}

/**
 * sotto_message_notifier_withdraw:
 * @self: a #SottoMessageNotifier
 * @conversation: a 1:1 conversation whose messages the user saw
 *
 * Takes back the conversation's notification, which has done its work.
 */
void
sotto_message_notifier_withdraw (SottoMessageNotifier *self,
                                 SottoConversation    *conversation)
{
  g_autofree char *id = NULL;

  g_return_if_fail (SOTTO_IS_MESSAGE_NOTIFIER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  id = dup_conversation_id (conversation);
  if (get_application () != NULL)
    g_application_withdraw_notification (get_application (), id);
}
