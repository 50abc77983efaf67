/* sotto-conversation-row.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation-row"

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-avatar.h"
#include "sotto-contact-label.h"
#include "sotto-contact.h"
#include "sotto-conversation-row.h"
#include "sotto-time-format.h"

struct _SottoConversationRow
{
  GtkWidget parent_instance;

  SottoConversation *conversation;
  GSignalGroup *conversation_signals;
  GSignalGroup *contact_signals;

  GtkWidget *box;
  SottoAvatar *avatar;
  GtkLabel *name_label;
  GtkLabel *username_label;
  GtkImage *verified_icon;
  GtkLabel *request_label;
  GtkLabel *time_label;
  GtkLabel *preview_label;
  GtkLabel *unread_label;
};

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoConversationRow, sotto_conversation_row, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

GtkWidget *
sotto_conversation_row_new (void)
{
  return g_object_new (SOTTO_TYPE_CONVERSATION_ROW, NULL);
}

/* The row takes the keyboard focus in the list, and a screen reader
 * says it as one label, as a person would read the row: "bob, 2 unread,
 * last message: See you then, 12:14".  Its parts sit on separate inner
 * widgets, which the focus never reaches. */
static void
sotto_conversation_row_update_accessible (SottoConversationRow *self)
{
  SottoContact *contact = sotto_conversation_get_contact (self->conversation);
  guint unread = sotto_conversation_get_unread_count (self->conversation);
  const char *preview = gtk_label_get_label (self->preview_label);
  const char *time = gtk_label_get_label (self->time_label);
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *label = NULL;

  g_ptr_array_add (parts, sotto_contact_label_full (contact));
  if (gtk_widget_get_visible (GTK_WIDGET (self->verified_icon)))
    g_ptr_array_add (parts, g_strdup (_("verified")));
  if (sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_REQUEST)
    g_ptr_array_add (parts, g_strdup (_("message request")));
  if (unread > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u unread", "%u unread", unread),
                                             unread));
  if (sotto_conversation_get_draft (self->conversation) != NULL)
    g_ptr_array_add (parts, g_strdup (preview));
  else if (preview[0] != '\0')
    /* Translators: a conversation's last message, as a screen reader
     * reads the conversation list */
    g_ptr_array_add (parts, g_strdup_printf (_("last message: %s"), preview));
  if (time[0] != '\0')
    g_ptr_array_add (parts, g_strdup (time));
  g_ptr_array_add (parts, NULL);

  /* Translators: what separates the parts a screen reader reads of a
   * conversation, as in "bob, 2 unread, last message: See you then, 12:14" */
  label = g_strjoinv (C_("list separator", ", "), (char **) parts->pdata);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
sotto_conversation_row_update_contact (SottoConversationRow *self)
{
  SottoContact *contact = sotto_conversation_get_contact (self->conversation);
  const char *name = sotto_contact_get_name (contact);
  const char *username = sotto_contact_label_username (contact);
  gboolean verified = sotto_contact_get_verification_state (contact) == SOTTO_VERIFICATION_STATE_VERIFIED;

  gtk_label_set_label (self->name_label, name);
  gtk_label_set_label (self->username_label, username != NULL ? username : "");
  gtk_widget_set_visible (GTK_WIDGET (self->username_label), username != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->verified_icon), verified);
  gtk_widget_set_visible (GTK_WIDGET (self->request_label),
                          sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_REQUEST);
  sotto_conversation_row_update_accessible (self);
}

static void
sotto_conversation_row_update_activity (SottoConversationRow *self)
{
  const char *preview = sotto_conversation_get_last_message_preview (self->conversation);
  gint64 last_activity = sotto_conversation_get_last_activity (self->conversation);
  guint unread = sotto_conversation_get_unread_count (self->conversation);
  g_autofree char *time = NULL;
  g_autofree char *unread_text = NULL;
  g_autofree char *draft_text = NULL;
  const char *draft = sotto_conversation_get_draft (self->conversation);

  if (last_activity > 0)
    time = sotto_format_time (last_activity, g_get_real_time () / 1000);

  /* What the user left unsent matters more than the last message, as in
   * other messengers. */
  if (draft != NULL)
    {
      g_autofree char *first_line = g_strndup (draft, strcspn (draft, "\n"));

      draft_text = g_strdup_printf (_("Draft: %s"), first_line);
      preview = draft_text;
    }

  gtk_label_set_label (self->preview_label, preview != NULL ? preview : "");
  gtk_label_set_label (self->time_label, time != NULL ? time : "");

  unread_text = g_strdup_printf ("%u", unread);
  gtk_label_set_label (self->unread_label, unread_text);
  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), unread > 0);

  sotto_conversation_row_update_accessible (self);
}

static void
sotto_conversation_row_dispose (GObject *object)
{
  SottoConversationRow *self = (SottoConversationRow *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_CONVERSATION_ROW);

  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->contact_signals);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (sotto_conversation_row_parent_class)->dispose (object);
}

static void
sotto_conversation_row_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  SottoConversationRow *self = SOTTO_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_row_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  SottoConversationRow *self = SOTTO_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      sotto_conversation_row_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_row_class_init (SottoConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_conversation_row_dispose;
  object_class->get_property = sotto_conversation_row_get_property;
  object_class->set_property = sotto_conversation_row_set_property;

  properties [PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SOTTO_TYPE_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, box);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, username_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, verified_icon);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, request_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationRow, unread_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversationrow");
}

static void
sotto_conversation_row_init (SottoConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The list gives the focus to its item's child when that can take it:
   * so the focus lands on this row, which has a name, instead of the
   * list's nameless item widget, which is named after the row for
   * screen readers that meet it all the same. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  sotto_accessible_name_list_item (GTK_WIDGET (self));

  /* Rows are recycled by the list view: signal groups follow whichever
   * conversation the row shows now without reconnecting by hand. */
  self->conversation_signals = g_signal_group_new (SOTTO_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->conversation_signals, "notify::last-message-preview",
                                 G_CALLBACK (sotto_conversation_row_update_activity), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::last-activity",
                                 G_CALLBACK (sotto_conversation_row_update_activity), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::unread-count",
                                 G_CALLBACK (sotto_conversation_row_update_activity), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::draft",
                                 G_CALLBACK (sotto_conversation_row_update_activity), self, G_CONNECT_SWAPPED);

  self->contact_signals = g_signal_group_new (SOTTO_TYPE_CONTACT);
  g_signal_group_connect_object (self->contact_signals, "notify::name",
                                 G_CALLBACK (sotto_conversation_row_update_contact), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->contact_signals, "notify::verification-state",
                                 G_CALLBACK (sotto_conversation_row_update_contact), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->contact_signals, "notify::standing",
                                 G_CALLBACK (sotto_conversation_row_update_contact), self, G_CONNECT_SWAPPED);
}

SottoConversation *
sotto_conversation_row_get_conversation (SottoConversationRow *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_ROW (self), NULL);

  return self->conversation;
}

void
sotto_conversation_row_set_conversation (SottoConversationRow *self,
                                         SottoConversation    *conversation)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION_ROW (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->conversation_signals, conversation);
  g_signal_group_set_target (self->contact_signals,
                             conversation != NULL ? sotto_conversation_get_contact (conversation) : NULL);
  sotto_avatar_set_contact (self->avatar, conversation != NULL ? sotto_conversation_get_contact (conversation) : NULL);

  if (conversation != NULL)
    {
      sotto_conversation_row_update_contact (self);
      sotto_conversation_row_update_activity (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERSATION]);
}
