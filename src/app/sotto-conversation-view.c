/* sotto-conversation-view.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-contact-label.h"
#include "sotto-contact.h"
#include "sotto-message.h"
#include "sotto-accessible.h"
#include "sotto-attachment-tray.h"
#include "sotto-conversation-view-private.h"
#include "sotto-message-entry.h"
#include "sotto-message-row.h"
#include "sotto-read-tracker.h"
#include "sotto-request-bar.h"
#include "sotto-typing-indicator.h"
#include "sotto-safety-number-dialog.h"
#include "sotto-timeline-model.h"
#include "sotto-timer-menu.h"

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_FOLDED,
  PROP_AT_END,
  PROP_OFFLINE,
  N_PROPS
};

enum {
  MESSAGES_SEEN,
  COMPOSING,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoConversationView, sotto_conversation_view, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

GtkWidget *
sotto_conversation_view_new (void)
{
  return g_object_new (SOTTO_TYPE_CONVERSATION_VIEW, NULL);
}

static SottoContact *
sotto_conversation_view_get_contact (SottoConversationView *self)
{
  return self->conversation != NULL ? sotto_conversation_get_contact (self->conversation) : NULL;
}

/* How many characters at the end of @text do not fit into one message,
 * whose limit counts bytes: removing that many makes it fit. */
static glong
characters_over_limit (const char *text)
{
  const char *end = text + SOTTO_MESSAGE_MAX_TEXT;

  if (strlen (text) <= SOTTO_MESSAGE_MAX_TEXT)
    return 0;

  /* Back to the start of the character the limit cuts through. */
  end = g_utf8_find_prev_char (text, end + 1);

  return g_utf8_strlen (end, -1);
}

/* How long the composer rests before what it holds is stored. */
#define DRAFT_SAVE_DELAY_MS 1000

static void
sotto_conversation_view_save_draft_cb (GObject      *object,
                                       GAsyncResult *result,
                                       gpointer      user_data)
{
  g_autoptr(GApplication) application = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_save_draft_finish (SOTTO_CONVERSATION (object), result, &error))
    g_warning ("Could not keep the draft: %s", error->message);
  if (application != NULL)
    g_application_release (application);
}

/* Stores what the composer holds as the conversation's draft, so that
 * nothing typed is lost to a switch of conversation, a restart or a
 * crash. */
static void
sotto_conversation_view_save_draft (SottoConversationView *self)
{
  g_autofree char *text = NULL;
  GApplication *application;
  const char *draft;

  g_clear_handle_id (&self->draft_source, g_source_remove);

  if (self->conversation == NULL)
    return;

  /* While a message is edited, the draft is what the user had typed
   * before. */
  text = sotto_reply_bar_dup_draft (self->reply_bar);
  draft = sotto_conversation_get_draft (self->conversation);
  if (g_strcmp0 (text, draft != NULL ? draft : "") == 0)
    return;

  /* The application stays until the draft is stored, even when the
   * last window closes or the user quits while it is on its way. */
  application = g_application_get_default ();
  if (application != NULL)
    g_application_hold (g_object_ref (application));
  sotto_conversation_save_draft_async (self->conversation, text, NULL,
                                       sotto_conversation_view_save_draft_cb, application);
}

/**
 * _sotto_conversation_view_give_back:
 * @self: a #SottoConversationView
 * @conversation: where @text was sent
 * @text: a message that was not stored
 *
 * Gives @text back to the user: to the composer if it shows
 * @conversation, else to the conversation's draft, before what they
 * wrote since either way.
 */
void
_sotto_conversation_view_give_back (SottoConversationView *self,
                                    SottoConversation     *conversation,
                                    const char            *text)
{
  g_autofree char *draft = NULL;
  const char *kept;
  GApplication *application;

  if (conversation == self->conversation)
    {
      sotto_message_entry_give_back (self->message_entry, text);
      return;
    }

  kept = sotto_conversation_get_draft (conversation);
  draft = kept != NULL && kept[0] != '\0' ? g_strconcat (text, "\n", kept, NULL) : g_strdup (text);
  application = g_application_get_default ();
  if (application != NULL)
    g_application_hold (g_object_ref (application));
  sotto_conversation_save_draft_async (conversation, draft, NULL,
                                       sotto_conversation_view_save_draft_cb, application);
}

static gboolean
sotto_conversation_view_draft_timeout_cb (gpointer user_data)
{
  SottoConversationView *self = user_data;

  self->draft_source = 0;
  sotto_conversation_view_save_draft (self);

  return G_SOURCE_REMOVE;
}

static void
sotto_conversation_view_text_changed_cb (SottoConversationView *self)
{
  g_autofree char *text = sotto_message_entry_dup_text (self->message_entry);

  /* Typing is the user's changes, not a draft put back into the
   * composer; an emptied composer (a message sent) is typing no more. */
  if (self->conversation != NULL && !sotto_reply_bar_get_putting_text (self->reply_bar))
    g_signal_emit (self, signals [COMPOSING], 0, self->conversation, text[0] != '\0');

  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_source = g_timeout_add (DRAFT_SAVE_DELAY_MS, sotto_conversation_view_draft_timeout_cb, self);
}

static void
sotto_conversation_view_update_actions (SottoConversationView *self)
{
  g_autofree char *text = sotto_message_entry_dup_text (self->message_entry);
  gboolean held = self->conversation != NULL && sotto_conversation_get_sending_held (self->conversation);
  glong excess = characters_over_limit (text);

  /* A message too long to send stays in the composer, and the user
   * learns how much to cut before trying, not after losing it. */
  if (excess > 0)
    {
      g_autofree char *too_long = g_strdup_printf (ngettext ("This message is %ld character too long to send.",
                                                             "This message is %ld characters too long to send.",
                                                             excess),
                                                   excess);

      gtk_label_set_label (self->too_long_label, too_long);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->too_long_label), excess > 0);

  /* Files go with a caption, which may be empty. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.send",
                                 self->conversation != NULL && !held && excess == 0
                                 && (text[0] != '\0' || sotto_attachment_tray_get_n_files (self->attachment_tray) > 0));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.show-safety-number",
                                 self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.accept-identity", held);
}

static void
sotto_conversation_view_update_contact (SottoConversationView *self)
{
  SottoContact *contact = sotto_conversation_view_get_contact (self);
  SottoVerificationState state;
  const char *name;
  const char *subtitle = NULL;
  g_autofree char *with_username = NULL;
  g_autofree char *banner = NULL;

  if (contact == NULL)
    return;

  name = sotto_contact_get_name (contact);
  state = sotto_contact_get_verification_state (contact);

  switch (state)
    {
    case SOTTO_VERIFICATION_STATE_VERIFIED:
      subtitle = _("Verified");
      break;
    case SOTTO_VERIFICATION_STATE_UNVERIFIED:
      subtitle = _("Not verified");
      break;
    case SOTTO_VERIFICATION_STATE_CHANGED:
      subtitle = _("Safety number changed");
      break;
    default:
      g_assert_not_reached ();
    }

  adw_window_title_set_title (self->title, name);
  if (sotto_contact_label_username (contact) != NULL)
    {
      /* Translators: the conversation's subtitle: the contact's username
       * and whether their safety number is verified, as in
       * "bob · Not verified" */
      with_username = g_strdup_printf (_("%s · %s"), sotto_contact_label_username (contact), subtitle);
      subtitle = with_username;
    }
  adw_window_title_set_subtitle (self->title, subtitle);

  /* Only a contact the user had verified gets the banner and a held
   * composer; for the others the event in the timeline is enough.  The
   * banner is the one place that says what happened and what waits: the
   * composer is off, so nothing is written that could wait unsent. */
  banner = g_strdup_printf (_("Your safety number with %s changed. This can mean that %s "
                              "reinstalled Sotto, or that someone is trying to intercept "
                              "your conversation. Sending to %s is paused until you verify "
                              "the new number or accept it."),
                            name, name, name);
  gtk_label_set_label (self->banner_label, banner);
  gtk_revealer_set_reveal_child (self->banner_revealer, state == SOTTO_VERIFICATION_STATE_CHANGED);
}

static void
sotto_conversation_view_update_held (SottoConversationView *self)
{
  gboolean held = self->conversation != NULL && sotto_conversation_get_sending_held (self->conversation);

  gtk_widget_set_sensitive (self->composer, !held);
  sotto_conversation_view_update_actions (self);
}

/* How many read messages a conversation opened on its unread ones shows
 * above the divider, for what the new ones answer. */
#define UNREAD_CONTEXT 2

static void
sotto_conversation_view_delete_message_cb (GObject      *object,
                                           GAsyncResult *result,
                                           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A message that went into the outbox again meanwhile stays. */
  if (!sotto_conversation_delete_message_finish (SOTTO_CONVERSATION (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    g_warning ("Could not delete the message: %s", error->message);
}

static void
sotto_conversation_view_delete_message (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);

  if (self->conversation == NULL)
    return;

  sotto_conversation_delete_message_async (self->conversation, g_variant_get_string (parameter, NULL),
                                           self->cancellable, sotto_conversation_view_delete_message_cb, NULL);
}

static void
sotto_conversation_view_send (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  g_autofree char *text = sotto_message_entry_dup_text (self->message_entry);

  if (self->conversation == NULL)
    return;

  /* A reply or an edit takes the text alone; files wait for the next
   * message. */
  if ((text[0] == '\0' || sotto_reply_bar_get_message (self->reply_bar) == NULL)
      && sotto_attachment_tray_get_n_files (self->attachment_tray) > 0)
    {
      sotto_attachment_tray_send (self->attachment_tray, text);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", 0);
      _sotto_conversation_view_show_newest (self);
      return;
    }

  if (text[0] == '\0')
    return;

  _sotto_conversation_view_send_text (self, text);
}

static void
sotto_conversation_view_scroll_to_end (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter)
{
  _sotto_conversation_view_show_newest (SOTTO_CONVERSATION_VIEW (widget));
}

static void
sotto_conversation_view_show_safety_number (GtkWidget  *widget,
                                            const char *action_name,
                                            GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  SottoSafetyNumberDialog *dialog;

  dialog = sotto_safety_number_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                           sotto_conversation_view_get_contact (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sotto_conversation_view_accept_identity_cb (GObject      *object,
                                            GAsyncResult *result,
                                            gpointer      user_data)
{
  g_autoptr(SottoConversationView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (sotto_contact_accept_identity_finish (SOTTO_CONTACT (object), result, &error))
    /* The button that had the focus went with the banner: the user is
     * back to writing. */
    sotto_conversation_view_focus_composer (self);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not accept the new safety number: %s", error->message);
}

static void
sotto_conversation_view_accept_identity (GtkWidget  *widget,
                                         const char *action_name,
                                         GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);

  sotto_contact_accept_identity_async (sotto_conversation_view_get_contact (self),
                                       self->cancellable,
                                       sotto_conversation_view_accept_identity_cb,
                                       g_object_ref (self));
}

/* An accepted request's bar goes with the button the user clicked, and
 * GTK leaves the window without a focus: what they type next is their
 * first answer, and belongs in the composer that takes the bar's place. */
static void
sotto_conversation_view_request_bar_visible_cb (SottoConversationView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (root == NULL || gtk_widget_get_visible (GTK_WIDGET (self->request_bar)))
    return;

  if (focus == NULL || gtk_widget_is_ancestor (focus, GTK_WIDGET (self->request_bar)))
    sotto_conversation_view_focus_composer (self);
}

/* Enter in the composer. */
static void
sotto_conversation_view_entry_activate_cb (SottoConversationView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "conversation.send", NULL);
}

static void
sotto_conversation_view_messages_seen_cb (SottoConversationView *self,
                                          GStrv                  ids)
{
  g_signal_emit (self, signals [MESSAGES_SEEN], 0, ids);
}

static void
sotto_conversation_view_dispose (GObject *object)
{
  SottoConversationView *self = (SottoConversationView *) object;

  sotto_conversation_view_save_draft (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->scroll_source, g_source_remove);
  g_clear_handle_id (&self->extend_source, g_source_remove);
  if (self->settle_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->settle_tick);
  self->settle_tick = 0;
  g_clear_object (&self->read_tracker);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_CONVERSATION_VIEW);

  g_clear_object (&self->contact_signals);
  g_clear_object (&self->messages_signals);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->first_unread);
  g_clear_object (&self->selection);
  g_clear_object (&self->shown);
  g_clear_object (&self->conversation);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_conversation_view_parent_class)->dispose (object);
}

static void
sotto_conversation_view_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;

    case PROP_AT_END:
      g_value_set_boolean (value, self->at_end);
      break;

    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_view_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      sotto_conversation_view_set_conversation (self, g_value_get_object (value));
      break;

    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_OFFLINE:
      if (self->offline != g_value_get_boolean (value))
        {
          self->offline = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_view_class_init (SottoConversationViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_conversation_view_dispose;
  object_class->get_property = sotto_conversation_view_get_property;
  object_class->set_property = sotto_conversation_view_set_property;

  properties [PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversationView:folded:
   *
   * Whether the window shows only this view (narrow windows), in which
   * case the header has the window buttons and a way back to the list.
   */
  properties [PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversationView:at-end:
   *
   * Whether the timeline shows its newest messages; when it does not,
   * a button leads there.
   */
  properties [PROP_AT_END] =
    g_param_spec_boolean ("at-end", NULL, NULL,
                          TRUE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversationView:offline:
   *
   * Whether the relay is out of reach: the queued messages wait for it,
   * and their rows say so.
   */
  properties [PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SottoConversationView::messages-seen:
   * @self: a #SottoConversationView
   * @ids: the UUIDs of unread incoming messages of the conversation shown
   *   that the user has seen
   *
   * Emitted, in batches, for messages whose rows were in sight while the
   * window was active: those are read, and only those.
   */
  signals [MESSAGES_SEEN] =
    g_signal_new ("messages-seen",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRV);

  /**
   * SottoConversationView::composing:
   * @self: a #SottoConversationView
   * @conversation: the conversation written in
   * @composing: %TRUE when the user changed the unsent message,
   *   %FALSE when it was sent or emptied or the user left @conversation
   *
   * What drives the typing indicators the contact sees
   * (sotto_messenger_set_composing()).
   */
  signals [COMPOSING] =
    g_signal_new ("composing",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, SOTTO_TYPE_CONVERSATION, G_TYPE_BOOLEAN);

  g_type_ensure (SOTTO_TYPE_REQUEST_BAR);
  g_type_ensure (SOTTO_TYPE_ATTACHMENT_TRAY);
  g_type_ensure (SOTTO_TYPE_TIMER_MENU);
  g_type_ensure (SOTTO_TYPE_TYPING_INDICATOR);
  g_type_ensure (SOTTO_TYPE_MESSAGE_ENTRY);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-conversation-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, box);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, title);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, banner_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, scroller);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, timeline);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, jump_button);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, jump_count_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, too_long_label);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, request_bar);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, reply_bar);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, attachment_tray);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, composer);
  gtk_widget_class_bind_template_child (widget_class, SottoConversationView, message_entry);
  gtk_widget_class_bind_template_callback (widget_class, sotto_conversation_view_entry_activate_cb);

  gtk_widget_class_install_action (widget_class, "conversation.send", NULL,
                                   sotto_conversation_view_send);
  gtk_widget_class_install_action (widget_class, "conversation.show-safety-number", NULL,
                                   sotto_conversation_view_show_safety_number);
  gtk_widget_class_install_action (widget_class, "conversation.accept-identity", NULL,
                                   sotto_conversation_view_accept_identity);
  gtk_widget_class_install_action (widget_class, "conversation.scroll-to-end", NULL,
                                   sotto_conversation_view_scroll_to_end);
  gtk_widget_class_install_action (widget_class, "conversation.delete-message", "s",
                                   sotto_conversation_view_delete_message);
  _sotto_conversation_view_class_add_message_actions (widget_class);
  /* From the timeline; in the composer End and Ctrl+End move the cursor. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK,
                                       "conversation.show-safety-number", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "conversation.scroll-to-end", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_End, 0, "conversation.scroll-to-end", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, GDK_CONTROL_MASK, "conversation.scroll-to-end", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_End, GDK_CONTROL_MASK, "conversation.scroll-to-end", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversationview");
}

static void
sotto_conversation_view_init (SottoConversationView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->cancellable = g_cancellable_new ();
  self->at_end = TRUE;
  self->shown = sotto_timeline_model_new ();
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->shown)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->text_view = sotto_message_entry_get_text_view (self->message_entry);
  gtk_list_view_set_model (self->timeline, GTK_SELECTION_MODEL (self->selection));
  sotto_reply_bar_set_buffer (self->reply_bar, gtk_text_view_get_buffer (self->text_view));
  sotto_attachment_tray_set_composer (self->attachment_tray, GTK_WIDGET (self), self->text_view);
  g_signal_connect_object (self->attachment_tray, "notify::n-files",
                           G_CALLBACK (sotto_conversation_view_update_actions), self, G_CONNECT_SWAPPED);
  _sotto_conversation_view_init_message_actions (self);

  self->read_tracker = sotto_read_tracker_new (self->scroller);
  g_signal_connect_object (self->read_tracker, "messages-seen",
                           G_CALLBACK (sotto_conversation_view_messages_seen_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (_sotto_conversation_view_update_at_end), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "changed",
                           G_CALLBACK (_sotto_conversation_view_adjustment_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect (factory, "setup", G_CALLBACK (_sotto_conversation_view_setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (_sotto_conversation_view_bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (_sotto_conversation_view_unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->timeline, factory);
  sotto_accessible_single_tab_stop (GTK_WIDGET (self->timeline));


  g_signal_connect_object (self->request_bar, "notify::visible",
                           G_CALLBACK (sotto_conversation_view_request_bar_visible_cb),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (sotto_conversation_view_update_actions),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (sotto_conversation_view_text_changed_cb),
                           self, G_CONNECT_SWAPPED);

  self->contact_signals = g_signal_group_new (SOTTO_TYPE_CONTACT);
  g_signal_group_connect_object (self->contact_signals, "notify::sending-held",
                                 G_CALLBACK (sotto_conversation_view_update_held), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->contact_signals, "notify::name",
                                 G_CALLBACK (sotto_conversation_view_update_contact), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->contact_signals, "notify::verification-state",
                                 G_CALLBACK (sotto_conversation_view_update_contact), self, G_CONNECT_SWAPPED);

  self->conversation_signals = g_signal_group_new (SOTTO_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->conversation_signals, "notify::unread-count",
                                 G_CALLBACK (_sotto_conversation_view_update_jump_button), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::messages",
                                 G_CALLBACK (_sotto_conversation_view_messages_replaced_cb), self, G_CONNECT_SWAPPED);

  self->messages_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->messages_signals, "items-changed",
                                 G_CALLBACK (_sotto_conversation_view_messages_changed_cb), self, G_CONNECT_SWAPPED);

  sotto_conversation_view_update_actions (self);
}

/**
 * sotto_conversation_view_focus_composer:
 * @self: a #SottoConversationView
 *
 * Puts the keyboard focus where the user writes.
 */
void
sotto_conversation_view_focus_composer (SottoConversationView *self)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

gboolean
sotto_conversation_view_get_at_end (SottoConversationView *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_VIEW (self), FALSE);

  return self->at_end;
}

SottoConversation *
sotto_conversation_view_get_conversation (SottoConversationView *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_VIEW (self), NULL);

  return self->conversation;
}

void
sotto_conversation_view_set_conversation (SottoConversationView *self,
                                          SottoConversation     *conversation)
{
  g_autoptr(SottoMessage) first_unread = NULL;
  guint first_unread_position = 0;
  GListModel *messages = NULL;

  g_return_if_fail (SOTTO_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  /* A reply or an edit ends with its conversation; an edit gives the
   * composer back the draft it held before, which is kept. */
  sotto_reply_bar_cancel (self->reply_bar);
  /* While the rows still show the conversation they are of. */
  _sotto_conversation_view_unmark (self);
  sotto_conversation_view_save_draft (self);
  if (self->conversation != NULL)
    g_signal_emit (self, signals [COMPOSING], 0, self->conversation, FALSE);
  /* What the user saw of the conversation shown so far is read there. */
  sotto_read_tracker_flush (self->read_tracker);
  sotto_read_tracker_forget (self->read_tracker);
  g_set_object (&self->conversation, conversation);

  if (conversation != NULL)
    messages = sotto_conversation_get_messages (conversation);

  g_signal_group_set_target (self->contact_signals, sotto_conversation_view_get_contact (self));
  g_signal_group_set_target (self->conversation_signals, conversation);
  sotto_request_bar_set_conversation (self->request_bar, conversation);

  /* What arrived since the user last read the conversation starts below
   * the divider. */
  first_unread = NULL;
  if (conversation != NULL)
    {
      guint unread = sotto_conversation_get_unread_count (conversation);
      guint n_messages = g_list_model_get_n_items (messages);

      if (unread > 0 && unread <= n_messages)
        {
          first_unread_position = n_messages - unread;
          first_unread = g_list_model_get_item (messages, first_unread_position);
        }
    }
  _sotto_conversation_view_set_first_unread (self, first_unread);
  g_signal_group_set_target (self->messages_signals, messages);
  _sotto_conversation_view_fit_page_size (self);
  if (first_unread != NULL)
    {
      /* The page starts just above the divider, and the view at its top:
       * the first unread messages are in sight, and those further down
       * are read only once the reader scrolls down to them. */
      guint start = first_unread_position - MIN (first_unread_position, UNREAD_CONTEXT);
      guint end = MIN (start + sotto_timeline_model_get_page_size (self->shown),
                       g_list_model_get_n_items (messages));

      sotto_timeline_model_set_messages (self->shown, messages, start, end);
    }
  else if (messages != NULL)
    sotto_timeline_model_show_newest (self->shown, messages);
  else
    sotto_timeline_model_set_messages (self->shown, NULL, 0, 0);

  sotto_reply_bar_put_text (self->reply_bar,
                            conversation != NULL && sotto_conversation_get_draft (conversation) != NULL
                            ? sotto_conversation_get_draft (conversation) : "");
  g_clear_handle_id (&self->draft_source, g_source_remove);
  sotto_conversation_view_update_contact (self);
  sotto_conversation_view_update_held (self);

  /* A conversation opens on its newest messages, or where the unread
   * ones start; whether the newest are in sight then is known once the
   * list view has placed the rows. */
  if (self->at_end != (first_unread == NULL))
    {
      self->at_end = first_unread == NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_AT_END]);
    }
  _sotto_conversation_view_update_jump_button (self);
  if (first_unread != NULL)
    _sotto_conversation_view_queue_scroll (self, 0);
  else
    _sotto_conversation_view_queue_scroll_to_end (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERSATION]);
}

/**
 * sotto_conversation_view_show_message:
 * @self: a #SottoConversationView
 * @position: the position of a message in the conversation shown
 *
 * Shows the message at @position with the messages around it, selected
 * so that the reader sees which one was looked for.
 */
void
sotto_conversation_view_show_message (SottoConversationView *self,
                                      guint                  position)
{
  GListModel *messages;
  guint row;

  g_return_if_fail (SOTTO_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (self->conversation != NULL);

  messages = sotto_conversation_get_messages (self->conversation);
  g_return_if_fail (position < g_list_model_get_n_items (messages));

  _sotto_conversation_view_fit_page_size (self);
  sotto_timeline_model_show_around (self->shown, messages, position);
  row = position - sotto_timeline_model_get_start (self->shown);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), row, TRUE);

  /* Whether the newest messages are on screen too is known once the
   * list view has placed the row. */
  if (self->at_end)
    {
      self->at_end = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_AT_END]);
    }
  _sotto_conversation_view_update_jump_button (self);
  _sotto_conversation_view_queue_scroll (self, row);
}

void
_sotto_conversation_view_notify_at_end (SottoConversationView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_AT_END]);
}

SottoReplyBar *
_sotto_conversation_view_get_reply_bar (SottoConversationView *self)
{
  return self->reply_bar;
}

/* The timeline's messages, one of which may be selected to mark it. */
GtkSingleSelection *
_sotto_conversation_view_get_selection (SottoConversationView *self)
{
  return self->selection;
}

GCancellable *
_sotto_conversation_view_get_cancellable (SottoConversationView *self)
{
  return self->cancellable;
}
