/* sotto-request-bar.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-request-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact.h"
#include "sotto-error-text.h"
#include "sotto-group-list.h"
#include "sotto-messenger.h"
#include "sotto-request-bar.h"
#include "sotto-window.h"

/* The bar below a message request's timeline, in place of the composer:
 * who wrote, that nothing about them is verified, and the three things
 * the user can do.  It shows itself only while the conversation is a
 * request.  A group request (#SottoGroup:request) gets the same bar:
 * who added the user, and accept, decline or block. */

struct _SottoRequestBar
{
  GtkWidget parent_instance;

  SottoConversation *conversation;
  GSignalGroup *contact_signals;
  SottoGroup *group;
  GSignalGroup *group_signals;
  GCancellable *cancellable;

  GtkWidget *box;
  GtkLabel *title_label;
  GtkLabel *explanation_label;
  GtkButton *delete_button;
};

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_GROUP,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoRequestBar, sotto_request_bar, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void
sotto_request_bar_update (SottoRequestBar *self)
{
  SottoContact *contact = self->conversation != NULL ? sotto_conversation_get_contact (self->conversation) : NULL;
  gboolean request = self->group != NULL ? sotto_group_get_request (self->group)
                                         : contact != NULL
                                           && sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_REQUEST;
  g_autofree char *title = NULL;
  g_autofree char *explanation = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self), request);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "request.accept", request);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "request.delete", request);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "request.block", request);
  if (!request)
    return;

  if (self->group != NULL)
    {
      g_autofree char *inviter = sotto_group_dup_inviter_name (self->group);
      const char *name = inviter != NULL ? inviter : _("Someone");

      /* Translators: "alice added you to Climbers" */
      title = g_strdup_printf (_("%s added you to %s"), name, sotto_group_get_title (self->group));
      explanation = g_strdup_printf (_("%s is not a contact you accepted. Nobody in the group learns "
                                       "anything from you, not even that your device got its "
                                       "messages, unless you accept. Declining leaves it without a word."),
                                     name);
      gtk_button_set_label (self->delete_button, _("_Decline"));
    }
  else
    {
      title = g_strdup_printf (_("%s wants to send you messages"), sotto_contact_get_name (contact));
      explanation = g_strdup_printf (_("You have never written to %s, and their safety number is not "
                                       "verified. They learn nothing, not even that your device got "
                                       "their messages, unless you accept."),
                                     sotto_contact_get_name (contact));
      gtk_button_set_label (self->delete_button, _("_Delete"));
    }
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->explanation_label, explanation);
}

/* The request stays as it was; the bar says why. */
static void
sotto_request_bar_report (SottoRequestBar *self,
                          const GError    *error)
{
  g_autofree char *reason = NULL;
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || (self->conversation == NULL && self->group == NULL))
    return;

  reason = sotto_error_text_general (error);
  /* Translators: %s says why, in a full sentence of its own */
  message = g_strdup_printf (_("That did not work. %s"), reason);
  gtk_label_set_label (self->explanation_label, message);
}

static void
sotto_request_bar_accepted_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(SottoRequestBar) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_accept_finish (SOTTO_MESSENGER (object), result, &error))
    sotto_request_bar_report (self, error);
}

static void
sotto_request_bar_deleted_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(SottoRequestBar) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_delete_request_finish (SOTTO_MESSENGER (object), result, &error))
    sotto_request_bar_report (self, error);
}

static void
sotto_request_bar_blocked_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(SottoRequestBar) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_block_finish (SOTTO_MESSENGER (object), result, &error))
    sotto_request_bar_report (self, error);
}

static void
sotto_request_bar_group_answered_cb (GObject      *object,
                                     GAsyncResult *result,
                                     gpointer      user_data)
{
  g_autoptr(SottoRequestBar) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_answer_finish (SOTTO_GROUP_LIST (object), result, &error))
    sotto_request_bar_report (self, error);
}

/* The window owns the messenger; the bar asks it for the user. */
static SottoMessenger *
sotto_request_bar_get_messenger (SottoRequestBar *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return SOTTO_IS_WINDOW (root) ? sotto_window_get_messenger (SOTTO_WINDOW (root)) : NULL;
}

static void
sotto_request_bar_accept (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SottoRequestBar *self = SOTTO_REQUEST_BAR (widget);
  SottoMessenger *messenger = sotto_request_bar_get_messenger (self);

  g_return_if_fail (messenger != NULL && (self->conversation != NULL || self->group != NULL));

  if (self->group != NULL)
    sotto_group_list_accept_async (sotto_messenger_get_groups (messenger), self->group, self->cancellable,
                                  sotto_request_bar_group_answered_cb, g_object_ref (self));
  else
    sotto_messenger_accept_async (messenger, self->conversation, self->cancellable,
                                  sotto_request_bar_accepted_cb, g_object_ref (self));
}

static void
sotto_request_bar_delete (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SottoRequestBar *self = SOTTO_REQUEST_BAR (widget);
  SottoMessenger *messenger = sotto_request_bar_get_messenger (self);

  g_return_if_fail (messenger != NULL && (self->conversation != NULL || self->group != NULL));

  if (self->group != NULL)
    sotto_group_list_decline_async (sotto_messenger_get_groups (messenger), self->group, self->cancellable,
                                   sotto_request_bar_group_answered_cb, g_object_ref (self));
  else
    sotto_messenger_delete_request_async (messenger, self->conversation, self->cancellable,
                                          sotto_request_bar_deleted_cb, g_object_ref (self));
}

static void
sotto_request_bar_block (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  SottoRequestBar *self = SOTTO_REQUEST_BAR (widget);
  SottoMessenger *messenger = sotto_request_bar_get_messenger (self);

  g_return_if_fail (messenger != NULL && (self->conversation != NULL || self->group != NULL));

  if (self->group != NULL)
    sotto_group_list_block_async (sotto_messenger_get_groups (messenger), self->group, self->cancellable,
                                 sotto_request_bar_group_answered_cb, g_object_ref (self));
  else
    sotto_messenger_block_async (messenger, self->conversation, self->cancellable,
                                 sotto_request_bar_blocked_cb, g_object_ref (self));
}

static void
sotto_request_bar_dispose (GObject *object)
{
  SottoRequestBar *self = (SottoRequestBar *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_REQUEST_BAR);

  g_clear_object (&self->contact_signals);
  g_clear_object (&self->conversation);
  g_clear_object (&self->group_signals);
  g_clear_object (&self->group);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_request_bar_parent_class)->dispose (object);
}

static void
sotto_request_bar_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SottoRequestBar *self = SOTTO_REQUEST_BAR (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    case PROP_GROUP:
      g_value_set_object (value, self->group);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_request_bar_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SottoRequestBar *self = SOTTO_REQUEST_BAR (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      sotto_request_bar_set_conversation (self, g_value_get_object (value));
      break;

    case PROP_GROUP:
      sotto_request_bar_set_group (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_request_bar_class_init (SottoRequestBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_request_bar_dispose;
  object_class->get_property = sotto_request_bar_get_property;
  object_class->set_property = sotto_request_bar_set_property;

  /**
   * SottoRequestBar:conversation:
   *
   * The conversation shown; the bar is visible while it is a request.
   */
  properties [PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoRequestBar:group:
   *
   * The group shown, in place of a conversation; the bar is visible
   * while it is a request.
   */
  properties [PROP_GROUP] =
    g_param_spec_object ("group", NULL, NULL,
                         SOTTO_TYPE_GROUP,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-request-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoRequestBar, box);
  gtk_widget_class_bind_template_child (widget_class, SottoRequestBar, title_label);
  gtk_widget_class_bind_template_child (widget_class, SottoRequestBar, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, SottoRequestBar, delete_button);

  gtk_widget_class_install_action (widget_class, "request.accept", NULL, sotto_request_bar_accept);
  gtk_widget_class_install_action (widget_class, "request.delete", NULL, sotto_request_bar_delete);
  gtk_widget_class_install_action (widget_class, "request.block", NULL, sotto_request_bar_block);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "requestbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sotto_request_bar_init (SottoRequestBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->contact_signals = g_signal_group_new (SOTTO_TYPE_CONTACT);
  g_signal_group_connect_object (self->contact_signals, "notify::standing",
                                 G_CALLBACK (sotto_request_bar_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->contact_signals, "notify::name",
                                 G_CALLBACK (sotto_request_bar_update), self, G_CONNECT_SWAPPED);
  self->group_signals = g_signal_group_new (SOTTO_TYPE_GROUP);
  g_signal_group_connect_object (self->group_signals, "notify::request",
                                 G_CALLBACK (sotto_request_bar_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::title",
                                 G_CALLBACK (sotto_request_bar_update), self, G_CONNECT_SWAPPED);
  sotto_request_bar_update (self);
}

SottoConversation *
sotto_request_bar_get_conversation (SottoRequestBar *self)
{
  g_return_val_if_fail (SOTTO_IS_REQUEST_BAR (self), NULL);

  return self->conversation;
}

void
sotto_request_bar_set_conversation (SottoRequestBar   *self,
                                    SottoConversation *conversation)
{
  g_return_if_fail (SOTTO_IS_REQUEST_BAR (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->contact_signals,
                             conversation != NULL ? sotto_conversation_get_contact (conversation) : NULL);
  sotto_request_bar_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERSATION]);
}

SottoGroup *
sotto_request_bar_get_group (SottoRequestBar *self)
{
  g_return_val_if_fail (SOTTO_IS_REQUEST_BAR (self), NULL);

  return self->group;
}

void
sotto_request_bar_set_group (SottoRequestBar *self,
                             SottoGroup      *group)
{
  g_return_if_fail (SOTTO_IS_REQUEST_BAR (self));
  g_return_if_fail (!group || SOTTO_IS_GROUP (group));

  if (!g_set_object (&self->group, group))
    return;

  g_signal_group_set_target (self->group_signals, group);
  sotto_request_bar_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_GROUP]);
}
