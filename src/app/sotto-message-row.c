/* sotto-message-row.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-row"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-attachment-picture.h"
#include "sotto-attachment-view.h"
#include "sotto-contact.h"
#include "sotto-message-menu.h"
#include "sotto-message-row.h"
#include "sotto-message-text.h"
#include "sotto-reaction-list.h"
#include "sotto-time-format.h"
#include "sotto-timer-text.h"

struct _SottoMessageRow
{
  GtkWidget parent_instance;

  SottoMessage *message;
  SottoMessage *previous;
  GSignalGroup *message_signals;
  GSignalGroup *previous_signals;
  char *contact_name;
  SottoConversation *conversation;
  /* Whether the conversation is a message request, which shows its web
   * addresses as plain text. */
  GSignalGroup *contact_signals;
  /* Whether the conversation has the message the quote is of. */
  GCancellable *quote_cancellable;
  gboolean quote_found;

  GtkWidget *box;
  GtkLabel *day_label;
  GtkLabel *unread_label;
  GtkWidget *event_box;
  GtkLabel *event_label;
  GtkWidget *bubble_line;
  GtkWidget *bubble;
  GtkLabel *quote_label;
  SottoAttachmentView *attachments;
  GtkLabel *body_label;
  GtkWidget *edited_button;
  SottoReactionList *reactions;
  GtkLabel *time_label;
  GtkImage *state_icon;
  GtkLabel *waiting_label;
  GtkWidget *retry_button;
  GtkWidget *menu_button;
  GtkWidget *menu;
  GtkWidget *emoji_chooser;

  gboolean offline;
  /* In a group's timeline, whose messages cannot be replied to, reacted
   * to, edited or deleted yet: only the copy actions. */
  gboolean in_group;
};

enum {
  PROP_0,
  PROP_OFFLINE,
  N_PROPS
};

/* What a reply, a reaction, an edit or a deletion changes of a message. */
static const char * const changing_properties[] = {
  "notify::body",
  "notify::edited",
  "notify::deleted",
  "notify::quote-text",
  "notify::my-reaction",
  "notify::their-reaction",
};

/* Messages from one side less than this far apart form a group. */
#define GROUP_SECONDS (5 * 60)

G_DEFINE_FINAL_TYPE (SottoMessageRow, sotto_message_row, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

GtkWidget *
sotto_message_row_new (void)
{
  return g_object_new (SOTTO_TYPE_MESSAGE_ROW, NULL);
}

/* When the sender wrote the message, which the bubble shows and the days
 * are made of.  The sender's clock says so, and a time no calendar can
 * show (a hostile or broken sender's) falls back to when it arrived. */
static GDateTime *
message_sent_time (SottoMessage *message)
{
  GDateTime *time = g_date_time_new_from_unix_local (sotto_message_get_sent_at (message) / 1000);

  if (time == NULL)
    time = g_date_time_new_from_unix_local (sotto_message_get_received_at (message) / 1000);
  if (time == NULL)
    time = g_date_time_new_from_unix_local (0);

  return time;
}

static gboolean
is_same_day (GDateTime *a,
             GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b)
         && g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

/* Says when an incoming message arrived, if that is not the minute it
 * was sent: a message held up on the way shows both. */
static char *
dup_received_tooltip (SottoMessage *message,
                      GDateTime    *sent,
                      const char   *sent_text)
{
  g_autoptr(GDateTime) received = g_date_time_new_from_unix_local (sotto_message_get_received_at (message) / 1000);
  g_autofree char *received_text = NULL;
  g_autofree char *received_date = NULL;

  if (received == NULL)
    return NULL;

  received_text = sotto_format_time_of_day (received);
  if (is_same_day (sent, received))
    return g_strcmp0 (sent_text, received_text) != 0
           ? g_strdup_printf (_("Received at %s"), received_text) : NULL;

  /* Translators: a date, see strftime(3) */
  received_date = g_date_time_format (received, _("%-d %B %Y"));
  /* Translators: the first %s is a date, the second a time */
  return g_strdup_printf (_("Received on %s at %s"), received_date, received_text);
}

/* Whether the relay learned who sent the message (docs/messenger.md,
 * "Sealed sender"); %NULL for one that has not reached it. */
static const char *
sealed_note (SottoMessage *message)
{
  SottoMessageState state = sotto_message_get_state (message);

  if (sotto_message_get_direction (message) == SOTTO_MESSAGE_DIRECTION_OUTGOING
      && (state == SOTTO_MESSAGE_STATE_QUEUED || state == SOTTO_MESSAGE_STATE_FAILED))
    return NULL;

  return sotto_message_get_sealed (message) ? _("Sealed sender: the relay did not learn who sent it")
                                            : _("Sender visible to the relay");
}

static void
sotto_message_row_update_state (SottoMessageRow *self)
{
  const char *icon_name = NULL;
  const char *description = NULL;
  gboolean waiting = FALSE;

  if (sotto_message_get_direction (self->message) != SOTTO_MESSAGE_DIRECTION_OUTGOING)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->state_icon), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->waiting_label), FALSE);
      gtk_widget_set_visible (self->retry_button, FALSE);
      return;
    }

  switch (sotto_message_get_state (self->message))
    {
    case SOTTO_MESSAGE_STATE_QUEUED:
      /* While the relay is out of reach a queued message is not being
       * sent: it waits, and says so in words rather than with a spinner
       * that never stops. */
      waiting = self->offline;
      icon_name = waiting ? "network-offline-symbolic" : "content-loading-symbolic";
      description = waiting ? C_("message state", "Waiting for connection")
                            : C_("message state", "Sending");
      break;
    case SOTTO_MESSAGE_STATE_SENT:
      icon_name = "object-select-symbolic";
      description = C_("message state", "Sent");
      break;
    case SOTTO_MESSAGE_STATE_DELIVERED:
      icon_name = "mail-read-symbolic";
      description = C_("message state", "Delivered");
      break;
    case SOTTO_MESSAGE_STATE_READ:
      icon_name = "view-reveal-symbolic";
      description = C_("message state", "Read");
      break;
    case SOTTO_MESSAGE_STATE_FAILED:
      icon_name = "dialog-error-symbolic";
      description = C_("message state", "Not sent");
      break;
    default:
      g_assert_not_reached ();
    }

  gtk_image_set_from_icon_name (self->state_icon, icon_name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_icon), description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  -1);
  gtk_widget_set_visible (GTK_WIDGET (self->state_icon), TRUE);
  gtk_label_set_label (self->waiting_label, waiting ? description : "");
  gtk_widget_set_visible (GTK_WIDGET (self->waiting_label), waiting);
  /* A group's message goes again to the members who did not get it. */
  gtk_widget_set_visible (self->retry_button,
                          self->in_group && sotto_message_get_state (self->message) == SOTTO_MESSAGE_STATE_FAILED);
}

/* Whether the user accepted the conversation's contact.  A reaction or
 * a reply to a message request would tell the stranger that it was
 * read, so neither is offered before the user accepts it. */
static gboolean
sotto_message_row_is_accepted (SottoMessageRow *self)
{
  SottoContact *contact = self->conversation != NULL ? sotto_conversation_get_contact (self->conversation) : NULL;

  return contact == NULL || sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_ACCEPTED;
}

/* Only a text message that is loaded has a menu.  What the contact
 * does not have yet (a message in the outbox) cannot be reacted to;
 * a message of files alone has no text to copy. */
static void
sotto_message_row_update_actions (SottoMessageRow *self)
{
  gboolean copyable = self->message != NULL && sotto_message_get_loaded (self->message)
                      && sotto_message_get_kind (self->message) == SOTTO_MESSAGE_KIND_TEXT;
  gboolean has_text = copyable;
  /* What a group's messages do not have: the versions of an edit, and
   * the way to a quote's original. */
  gboolean one_to_one = has_text && !self->in_group;
  gboolean deleted = copyable && sotto_message_get_deleted (self->message);
  gboolean has_body = copyable && g_strcmp0 (sotto_message_get_body (self->message), "") > 0;
  gboolean accepted = sotto_message_row_is_accepted (self);
  SottoMessageState state = has_text ? sotto_message_get_state (self->message) : SOTTO_MESSAGE_STATE_QUEUED;
  gboolean shared = state != SOTTO_MESSAGE_STATE_QUEUED && state != SOTTO_MESSAGE_STATE_FAILED;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.copy-text", has_body && !deleted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.copy-time", copyable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.show-menu", copyable);
  /* A message in the outbox may be on its way: it stays until sent. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.delete",
                                 has_text && state != SOTTO_MESSAGE_STATE_QUEUED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.reply", has_text && !deleted && accepted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.react", has_text && !deleted && shared && accepted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.choose-reaction",
                                 has_text && !deleted && shared && accepted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.edit",
                                 has_text && sotto_message_can_change_for_everyone (self->message));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.delete-for-everyone",
                                 has_text && sotto_message_can_change_for_everyone (self->message));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.show-edits",
                                 one_to_one && !deleted && sotto_message_get_edited (self->message));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.show-original",
                                 one_to_one && !deleted && self->quote_found);
}

/* What a screen reader says for the focused row: one label a person
 * would say ("You, 12:14: Welcome!"), since the sender shows only as
 * alignment and colour, and, as the description, what surrounds the
 * bubble: the day heading above it, the unread divider, and whether an
 * outgoing message was read. */
static void
sotto_message_row_update_accessible (SottoMessageRow *self)
{
  g_autoptr(GPtrArray) notes = g_ptr_array_new ();
  g_autofree char *label = NULL;
  g_autofree char *description = NULL;
  g_autofree char *files = NULL;

  if (self->message == NULL || !sotto_message_get_loaded (self->message))
    {
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL);
      sotto_accessible_set_description (GTK_WIDGET (self), NULL);
      return;
    }

  if (gtk_widget_get_visible (self->event_box))
    label = g_strdup (gtk_label_get_label (self->event_label));
  else
    {
      gboolean outgoing = sotto_message_get_direction (self->message) == SOTTO_MESSAGE_DIRECTION_OUTGOING;

      g_autofree char *shown = sotto_message_dup_shown_text (self->message);

      /* Translators: how a screen reader reads a message: who wrote it,
       * when, and its text, as in "You, 12:14: Welcome!" */
      label = g_strdup_printf (_("%s, %s: %s"),
                               outgoing ? _("You") : self->contact_name,
                               gtk_label_get_label (self->time_label),
                               shown);
    }

  if (gtk_widget_get_visible (GTK_WIDGET (self->day_label)))
    g_ptr_array_add (notes, (gpointer) gtk_label_get_label (self->day_label));
  if (gtk_widget_get_visible (GTK_WIDGET (self->unread_label)))
    g_ptr_array_add (notes, (gpointer) gtk_label_get_label (self->unread_label));
  if (gtk_widget_get_visible (GTK_WIDGET (self->quote_label)))
    g_ptr_array_add (notes, (gpointer) gtk_label_get_label (self->quote_label));
  files = sotto_attachment_view_dup_description (self->attachments);
  if (files != NULL)
    g_ptr_array_add (notes, files);
  if (gtk_widget_get_visible (self->edited_button))
    g_ptr_array_add (notes, (gpointer) gtk_button_get_label (GTK_BUTTON (self->edited_button)));
  if (gtk_widget_get_visible (GTK_WIDGET (self->reactions)))
    g_ptr_array_add (notes, (gpointer) sotto_reaction_list_get_reactors (self->reactions));
  if (gtk_widget_get_visible (GTK_WIDGET (self->state_icon)) && gtk_widget_get_visible (self->bubble_line))
    g_ptr_array_add (notes, (gpointer) gtk_widget_get_tooltip_text (GTK_WIDGET (self->state_icon)));
  if (gtk_widget_get_visible (self->bubble) && sealed_note (self->message) != NULL)
    g_ptr_array_add (notes, (gpointer) sealed_note (self->message));
  g_ptr_array_add (notes, NULL);
  /* Translators: what separates the notes a screen reader reads after a
   * message, as in "Today, New Messages, Read" */
  description = g_strjoinv (C_("list separator", ", "), (char **) notes->pdata);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  sotto_accessible_set_description (GTK_WIDGET (self), description);
}

/* A stranger's message request may be phishing: until the user accepts
 * it, its web addresses are text that no click opens. */
static gboolean
sotto_message_row_shows_links (SottoMessageRow *self)
{
  SottoContact *contact = self->conversation != NULL ? sotto_conversation_get_contact (self->conversation) : NULL;

  return contact == NULL || sotto_contact_get_standing (contact) != SOTTO_CONTACT_STANDING_REQUEST;
}

/* The quote above a reply, the text (or that it was deleted for
 * everyone), "edited", and the reactions under the bubble. */
static void
sotto_message_row_update_changes (SottoMessageRow *self,
                                  gboolean         outgoing)
{
  g_autofree char *quote = sotto_message_dup_quote (self->message);
  g_autofree char *reactions = sotto_message_dup_reactions (self->message);
  /* A group's members other than the user react together (sotto_group_event_to_message()). */
  g_autofree char *reactors = sotto_message_dup_reactors (self->message,
                                                          self->in_group ? _("Other members") : self->contact_name);
  g_autofree char *shown = sotto_message_dup_shown_text (self->message);
  gboolean deleted = sotto_message_get_deleted (self->message);

  gtk_label_set_label (self->quote_label, quote);
  gtk_widget_set_visible (GTK_WIDGET (self->quote_label), quote != NULL && !deleted);

  if (deleted)
    {
      gtk_label_set_label (self->body_label, shown);
      gtk_widget_add_css_class (GTK_WIDGET (self->body_label), "deleted");
    }
  else
    {
      g_autofree char *markup = sotto_message_text_dup_markup (shown, sotto_message_row_shows_links (self));

      gtk_label_set_markup (self->body_label, markup);
      gtk_widget_remove_css_class (GTK_WIDGET (self->body_label), "deleted");
    }

  gtk_widget_set_visible (self->edited_button, sotto_message_get_edited (self->message) && !deleted);
  /* Files come with a caption, which may be empty. */
  sotto_attachment_view_set_message (self->attachments, deleted ? NULL : self->message);
  gtk_widget_set_visible (GTK_WIDGET (self->body_label), shown[0] != '\0');

  sotto_reaction_list_set_reactions (self->reactions, reactions, reactors);
  gtk_widget_set_halign (GTK_WIDGET (self->reactions), outgoing ? GTK_ALIGN_END : GTK_ALIGN_START);
}

/* The text of a "timer changed" event, whose body is the new timer in
 * seconds; @who is %NULL for the user. */
static char *
timer_event_text (const char *who,
                  const char *body)
{
  guint64 seconds = 0;
  const char *duration;

  g_ascii_string_to_unsigned (body != NULL ? body : "", 10, 0, G_MAXUINT32, &seconds, NULL);
  duration = sotto_timer_text_duration (seconds);

  if (seconds == 0)
    return who != NULL ? g_strdup_printf (_("%s turned off disappearing messages"), who)
                       : g_strdup (_("You turned off disappearing messages"));
  if (duration == NULL)
    return who != NULL ? g_strdup_printf (_("%s set disappearing messages"), who)
                       : g_strdup (_("You set disappearing messages"));

  return who != NULL ? g_strdup_printf (_("%s set messages to disappear after %s"), who, duration)
                     : g_strdup_printf (_("You set messages to disappear after %s"), duration);
}

static void
sotto_message_row_update (SottoMessageRow *self)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *received_tooltip = NULL;
  g_autofree char *time_tooltip = NULL;
  const char *note;
  gboolean outgoing;

  sotto_message_row_update_actions (self);

  /* A placeholder keeps the height of a typical message, so that the
   * list view does not build rows by the hundred to fill the screen
   * with empty ones while their page is read. */
  if (self->message == NULL || !sotto_message_get_loaded (self->message))
    {
      gtk_widget_set_visible (self->event_box, FALSE);
      gtk_label_set_label (self->body_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->body_label), TRUE);
      sotto_attachment_view_set_message (self->attachments, NULL);
      gtk_widget_add_css_class (GTK_WIDGET (self), "placeholder");
      sotto_message_row_update_accessible (self);
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self), "placeholder");

  outgoing = sotto_message_get_direction (self->message) == SOTTO_MESSAGE_DIRECTION_OUTGOING;

  /* An event is a line of its own: no bubble, and nothing under one
   * (the row may have shown a message with reactions before). */
  if (sotto_message_get_kind (self->message) != SOTTO_MESSAGE_KIND_TEXT)
    {
      g_autofree char *text = NULL;

      if (sotto_message_get_kind (self->message) == SOTTO_MESSAGE_KIND_TIMER_CHANGED)
        text = timer_event_text (outgoing ? NULL : self->contact_name, sotto_message_get_body (self->message));
      else if (sotto_message_get_kind (self->message) == SOTTO_MESSAGE_KIND_GROUP_UPDATE)
        text = g_strdup (sotto_message_get_body (self->message));
      else
        text = g_strdup_printf (_("Your safety number with %s changed"), self->contact_name);

      gtk_label_set_label (self->event_label, text);
      gtk_widget_set_visible (self->event_box, TRUE);
      gtk_widget_set_visible (self->bubble_line, FALSE);
      sotto_reaction_list_set_reactions (self->reactions, NULL, NULL);
      sotto_message_row_update_accessible (self);
      return;
    }

  gtk_widget_set_visible (self->event_box, FALSE);
  gtk_widget_set_visible (self->bubble_line, TRUE);
  gtk_widget_set_halign (self->bubble_line, outgoing ? GTK_ALIGN_END : GTK_ALIGN_START);
  /* The menu button is on the side of the bubble towards the middle. */
  if (outgoing)
    {
      gtk_widget_add_css_class (self->bubble, "outgoing");
      gtk_widget_remove_css_class (self->bubble, "incoming");
      gtk_box_reorder_child_after (GTK_BOX (self->bubble_line), self->menu_button, NULL);
    }
  else
    {
      gtk_widget_add_css_class (self->bubble, "incoming");
      gtk_widget_remove_css_class (self->bubble, "outgoing");
      gtk_box_reorder_child_after (GTK_BOX (self->bubble_line), self->menu_button, self->bubble);
    }

  sotto_message_row_update_changes (self, outgoing);

  time = message_sent_time (self->message);
  time_text = sotto_format_time_of_day (time);
  gtk_label_set_label (self->time_label, time_text);
  if (!outgoing)
    received_tooltip = dup_received_tooltip (self->message, time, time_text);
  /* The time's tooltip is the message's details: when it arrived, and
   * whether the relay learned who sent it. */
  note = sealed_note (self->message);
  if (received_tooltip != NULL && note != NULL)
    time_tooltip = g_strdup_printf ("%s\n%s", received_tooltip, note);
  else
    time_tooltip = g_strdup (received_tooltip != NULL ? received_tooltip : note);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->time_label), time_tooltip);

  sotto_message_row_update_state (self);
  sotto_message_row_update_accessible (self);
}

/* What the row shows because of the message above it: a separator when
 * it starts a new day (or the conversation), and a tighter fit to a
 * message from the same side a moment before.  Placeholders of pages
 * not yet read show neither until they are filled in. */
static void
sotto_message_row_update_context (SottoMessageRow *self)
{
  gboolean new_day = FALSE;
  gboolean grouped = FALSE;

  if (self->message != NULL && sotto_message_get_loaded (self->message))
    {
      if (self->previous == NULL)
        new_day = TRUE;
      else if (sotto_message_get_loaded (self->previous))
        {
          g_autoptr(GDateTime) time = message_sent_time (self->message);
          g_autoptr(GDateTime) previous_time = message_sent_time (self->previous);
          GTimeSpan gap = g_date_time_difference (time, previous_time);

          new_day = !is_same_day (time, previous_time);
          grouped = !new_day
                    && sotto_message_get_kind (self->message) == SOTTO_MESSAGE_KIND_TEXT
                    && sotto_message_get_kind (self->previous) == SOTTO_MESSAGE_KIND_TEXT
                    && sotto_message_get_direction (self->message) == sotto_message_get_direction (self->previous)
                    && gap >= 0 && gap < GROUP_SECONDS * G_TIME_SPAN_SECOND;
        }
    }

  if (new_day)
    {
      g_autoptr(GDateTime) day = message_sent_time (self->message);
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *label = sotto_format_day (day, now);

      gtk_label_set_label (self->day_label, label);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->day_label), new_day);
  if (grouped)
    gtk_widget_add_css_class (GTK_WIDGET (self), "grouped");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "grouped");
  sotto_message_row_update_accessible (self);
}

/* The quote of a reply leads to the original, when the conversation
 * has it: one never received, or deleted on this device, shows only
 * its excerpt. */
static void
sotto_message_row_set_quote_found (SottoMessageRow *self,
                                   gboolean         found)
{
  self->quote_found = found;
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->quote_label), found ? "pointer" : NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->quote_label), found ? _("Show the original message") : NULL);
  if (found)
    gtk_widget_add_css_class (GTK_WIDGET (self->quote_label), "found");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->quote_label), "found");
  sotto_message_row_update_actions (self);
}

static void
sotto_message_row_quote_found_cb (GObject      *object,
                                  GAsyncResult *result,
                                  gpointer      user_data)
{
  g_autoptr(SottoMessageRow) self = user_data;
  g_autoptr(GError) error = NULL;
  guint position;

  if (sotto_conversation_find_message_finish (SOTTO_CONVERSATION (object), result, &position, &error))
    sotto_message_row_set_quote_found (self, TRUE);
}

static void
sotto_message_row_find_quote (SottoMessageRow *self)
{
  const char *quote_id = NULL;

  g_cancellable_cancel (self->quote_cancellable);
  g_clear_object (&self->quote_cancellable);
  sotto_message_row_set_quote_found (self, FALSE);

  if (self->message != NULL && self->conversation != NULL && sotto_message_get_loaded (self->message))
    quote_id = sotto_message_get_quote_id (self->message);
  if (quote_id == NULL)
    return;

  self->quote_cancellable = g_cancellable_new ();
  sotto_conversation_find_message_async (self->conversation, quote_id, self->quote_cancellable,
                                         sotto_message_row_quote_found_cb, g_object_ref (self));
}

static void
sotto_message_row_quote_clicked_cb (GtkGestureClick *gesture,
                                    int              n_press,
                                    double           x,
                                    double           y,
                                    SottoMessageRow *self)
{
  if (self->quote_found)
    gtk_widget_activate_action (GTK_WIDGET (self), "message.show-original", NULL);
}

/* The message menu */

static void
sotto_message_row_copy_text (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), sotto_message_get_body (self->message));
}

/* The conversation view deletes it; the other side keeps its copy. */
static void
sotto_message_row_delete (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);

  gtk_widget_activate_action (widget, "conversation.delete-message", "s",
                              sotto_message_get_id (self->message));
}

static void
sotto_message_row_copy_time (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);
  g_autoptr(GDateTime) time = message_sent_time (self->message);
  /* Translators: a message's date as Copy Time puts it on the clipboard, see strftime(3) */
  g_autofree char *date = g_date_time_format (time, _("%-d %B %Y"));
  g_autofree char *time_of_day = sotto_format_time_of_day (time);
  /* Translators: what Copy Time puts on the clipboard: a date, then a
   * time of day on the clock the user chose, as in "14 March 2026 2:05 PM" */
  g_autofree char *text = g_strdup_printf (C_("date and time", "%s %s"), date, time_of_day);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
}

/* Opens the menu at @x, @y in the row, or below the bubble when the
 * keyboard asked for it (negative @x). */
static void
sotto_message_row_popup_menu_at (SottoMessageRow *self,
                                 double           x,
                                 double           y)
{
  GdkRectangle rectangle = { (int) x, (int) y, 1, 1 };

  if (self->menu == NULL)
    {
      self->menu = sotto_message_menu_new ();
      gtk_widget_set_parent (self->menu, GTK_WIDGET (self));
    }

  /* Editing and deleting for everyone end 24 hours after sending. */
  sotto_message_row_update_actions (self);

  if (x < 0)
    {
      graphene_rect_t bounds;

      if (!gtk_widget_compute_bounds (self->bubble, GTK_WIDGET (self), &bounds))
        return;
      rectangle = (GdkRectangle) { (int) bounds.origin.x, (int) bounds.origin.y,
                                   (int) bounds.size.width, (int) bounds.size.height };
    }

  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &rectangle);
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

/* Reply, edit, delete for everyone and the rest go to the conversation
 * view, which acts on the message by its id. */
static void
sotto_message_row_forward (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  static const struct { const char *row_action; const char *view_action; } forwarded[] = {
    { "message.reply", "conversation.reply-to" },
    { "message.edit", "conversation.edit-message" },
    { "message.delete-for-everyone", "conversation.delete-for-everyone" },
    { "message.show-edits", "conversation.show-edits" },
    { "message.retry", "conversation.retry-message" },
  };
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);

  for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
    {
      if (g_str_equal (action_name, forwarded[i].row_action))
        gtk_widget_activate_action (widget, forwarded[i].view_action, "s", sotto_message_get_id (self->message));
    }
}

static void
sotto_message_row_show_original (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);

  gtk_widget_activate_action (widget, "conversation.show-original", "s", sotto_message_get_quote_id (self->message));
}

/* One reaction per person: choosing the one the user has takes it away,
 * choosing another replaces it. */
static void
sotto_message_row_react (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);
  const char *emoji = g_variant_get_string (parameter, NULL);

  if (g_strcmp0 (emoji, sotto_message_get_my_reaction (self->message)) == 0)
    emoji = "";

  if (self->menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->menu));
  gtk_widget_activate_action (widget, "conversation.react", "(ss)", sotto_message_get_id (self->message), emoji);
}

static void
sotto_message_row_emoji_picked_cb (SottoMessageRow *self,
                                   const char      *emoji)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "message.react", "s", emoji);
}

static void
sotto_message_row_choose_reaction (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (widget);
  graphene_rect_t bounds;

  if (self->menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->menu));

  if (self->emoji_chooser == NULL)
    {
      self->emoji_chooser = gtk_emoji_chooser_new ();
      gtk_widget_set_parent (self->emoji_chooser, widget);
      g_signal_connect_object (self->emoji_chooser, "emoji-picked",
                               G_CALLBACK (sotto_message_row_emoji_picked_cb), self, G_CONNECT_SWAPPED);
    }

  if (gtk_widget_compute_bounds (self->bubble, widget, &bounds))
    gtk_popover_set_pointing_to (GTK_POPOVER (self->emoji_chooser),
                                 &(GdkRectangle) { (int) bounds.origin.x, (int) bounds.origin.y,
                                                   (int) bounds.size.width, (int) bounds.size.height });
  gtk_popover_popup (GTK_POPOVER (self->emoji_chooser));
}

static void
sotto_message_row_show_menu (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  sotto_message_row_popup_menu_at (SOTTO_MESSAGE_ROW (widget), -1, -1);
}

/* Whether @x, @y in the bubble is on a button of the bubble, as a
 * file's Download, Open and Save.  A picture, a button to its viewer,
 * is the message itself to the user, and has the message's menu. */
static gboolean
sotto_message_row_is_on_button (SottoMessageRow *self,
                                double           x,
                                double           y)
{
  GtkWidget *target = gtk_widget_pick (self->bubble, x, y, GTK_PICK_DEFAULT);
  GtkWidget *button = target != NULL ? gtk_widget_get_ancestor (target, GTK_TYPE_BUTTON) : NULL;
  GtkWidget *picture = button != NULL ? gtk_widget_get_ancestor (button, SOTTO_TYPE_ATTACHMENT_PICTURE) : NULL;

  if (picture != NULL && sotto_attachment_picture_is_thumbnail (SOTTO_ATTACHMENT_PICTURE (picture), button))
    return FALSE;

  return button != NULL && gtk_widget_is_ancestor (button, self->bubble);
}

/* A right click or a long press on the bubble, at @x, @y in the bubble.
 * One on a button inside it is the button's: a long press on Download
 * downloads, and opens no menu. */
static void
sotto_message_row_bubble_pressed (SottoMessageRow *self,
                                  GtkGesture      *gesture,
                                  double           x,
                                  double           y)
{
  double row_x, row_y;

  if (sotto_message_row_is_on_button (self, x, y))
    {
      gtk_gesture_set_state (gesture, GTK_EVENT_SEQUENCE_DENIED);
      return;
    }

  gtk_gesture_set_state (gesture, GTK_EVENT_SEQUENCE_CLAIMED);
  if (gtk_widget_translate_coordinates (self->bubble, GTK_WIDGET (self), x, y, &row_x, &row_y))
    sotto_message_row_popup_menu_at (self, MAX (row_x, 0), MAX (row_y, 0));
}

static void
sotto_message_row_right_click_cb (GtkGestureClick *gesture,
                                  int              n_press,
                                  double           x,
                                  double           y,
                                  SottoMessageRow *self)
{
  sotto_message_row_bubble_pressed (self, GTK_GESTURE (gesture), x, y);
}

static void
sotto_message_row_long_press_cb (GtkGestureLongPress *gesture,
                                 double               x,
                                 double               y,
                                 SottoMessageRow     *self)
{
  sotto_message_row_bubble_pressed (self, GTK_GESTURE (gesture), x, y);
}

static void
sotto_message_row_dispose (GObject *object)
{
  SottoMessageRow *self = (SottoMessageRow *) object;

  g_clear_pointer (&self->menu, gtk_widget_unparent);
  g_clear_pointer (&self->emoji_chooser, gtk_widget_unparent);
  g_cancellable_cancel (self->quote_cancellable);
  g_clear_object (&self->quote_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_MESSAGE_ROW);

  g_clear_object (&self->message_signals);
  g_clear_object (&self->previous_signals);
  g_clear_object (&self->contact_signals);
  g_clear_object (&self->message);
  g_clear_object (&self->previous);
  g_clear_pointer (&self->contact_name, g_free);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (sotto_message_row_parent_class)->dispose (object);
}

static void
sotto_message_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_message_row_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SottoMessageRow *self = SOTTO_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_OFFLINE:
      sotto_message_row_set_offline (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_message_row_class_init (SottoMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_message_row_dispose;
  object_class->get_property = sotto_message_row_get_property;
  object_class->set_property = sotto_message_row_set_property;

  /**
   * SottoMessageRow:offline:
   *
   * Whether the relay is out of reach, so that a queued message waits
   * rather than goes.
   */
  properties [PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SOTTO_TYPE_REACTION_LIST);
  g_type_ensure (SOTTO_TYPE_ATTACHMENT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, box);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, unread_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, event_box);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, event_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, bubble_line);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, quote_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, attachments);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, body_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, edited_button);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, reactions);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, waiting_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, menu_button);

  gtk_widget_class_install_action (widget_class, "message.copy-text", NULL, sotto_message_row_copy_text);
  gtk_widget_class_install_action (widget_class, "message.copy-time", NULL, sotto_message_row_copy_time);
  gtk_widget_class_install_action (widget_class, "message.delete", NULL, sotto_message_row_delete);
  gtk_widget_class_install_action (widget_class, "message.show-menu", NULL, sotto_message_row_show_menu);
  gtk_widget_class_install_action (widget_class, "message.reply", NULL, sotto_message_row_forward);
  gtk_widget_class_install_action (widget_class, "message.edit", NULL, sotto_message_row_forward);
  gtk_widget_class_install_action (widget_class, "message.delete-for-everyone", NULL, sotto_message_row_forward);
  gtk_widget_class_install_action (widget_class, "message.show-edits", NULL, sotto_message_row_forward);
  gtk_widget_class_install_action (widget_class, "message.retry", NULL, sotto_message_row_forward);
  gtk_widget_class_install_action (widget_class, "message.show-original", NULL, sotto_message_row_show_original);
  gtk_widget_class_install_action (widget_class, "message.react", "s", sotto_message_row_react);
  gtk_widget_class_install_action (widget_class, "message.choose-reaction", NULL, sotto_message_row_choose_reaction);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "message.show-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "message.show-menu", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
}

static void
sotto_message_row_init (SottoMessageRow *self)
{
  GtkGesture *right_click;
  GtkGesture *long_press;
  GtkGesture *quote_click;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The row takes the keyboard focus, so that the Menu key (or
   * Shift+F10) opens the menu of the message it is on.  The list's
   * item around it is named after it. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  sotto_accessible_name_list_item (GTK_WIDGET (self));

  right_click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (right_click), GDK_BUTTON_SECONDARY);
  g_signal_connect (right_click, "pressed", G_CALLBACK (sotto_message_row_right_click_cb), self);
  gtk_widget_add_controller (self->bubble, GTK_EVENT_CONTROLLER (right_click));

  long_press = gtk_gesture_long_press_new ();
  g_signal_connect (long_press, "pressed", G_CALLBACK (sotto_message_row_long_press_cb), self);
  gtk_widget_add_controller (self->bubble, GTK_EVENT_CONTROLLER (long_press));

  quote_click = gtk_gesture_click_new ();
  g_signal_connect (quote_click, "released", G_CALLBACK (sotto_message_row_quote_clicked_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->quote_label), GTK_EVENT_CONTROLLER (quote_click));

  /* Messages of a paged list arrive as placeholders and are filled in
   * when their page loads; the row follows that and every state change. */
  self->message_signals = g_signal_group_new (SOTTO_TYPE_MESSAGE);
  g_signal_group_connect_object (self->message_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_update_context), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->message_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->message_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_find_quote), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->message_signals, "notify::state",
                                 G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->message_signals, "notify::sealed",
                                 G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);
  /* An edit, a deletion for everyone or a reaction changes a message in
   * place. */
  for (guint i = 0; i < G_N_ELEMENTS (changing_properties); i++)
    g_signal_group_connect_object (self->message_signals, changing_properties[i],
                                   G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);

  self->previous_signals = g_signal_group_new (SOTTO_TYPE_MESSAGE);
  g_signal_group_connect_object (self->previous_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_update_context), self, G_CONNECT_SWAPPED);

  /* An accepted request's addresses become links where they are. */
  self->contact_signals = g_signal_group_new (SOTTO_TYPE_CONTACT);
  g_signal_group_connect_object (self->contact_signals, "notify::standing",
                                 G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);
}

SottoMessage *
sotto_message_row_get_message (SottoMessageRow *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

/**
 * sotto_message_row_set_message:
 * @self: a #SottoMessageRow
 * @message: (nullable): the message to show
 * @contact_name: the other person's name, for event texts
 * @previous: (nullable): the message above this one, which decides
 *   whether the row starts a new day
 */
void
sotto_message_row_set_message (SottoMessageRow *self,
                               SottoMessage    *message,
                               const char      *contact_name,
                               SottoMessage    *previous)
{
  g_return_if_fail (SOTTO_IS_MESSAGE_ROW (self));

  g_set_object (&self->message, message);
  g_set_object (&self->previous, previous);
  g_free (self->contact_name);
  self->contact_name = g_strdup (contact_name != NULL ? contact_name : "");
  g_signal_group_set_target (self->message_signals, message);
  g_signal_group_set_target (self->previous_signals, previous);

  sotto_message_row_update_context (self);
  sotto_message_row_update (self);
  sotto_message_row_find_quote (self);
}

/**
 * sotto_message_row_set_conversation:
 * @self: a #SottoMessageRow
 * @conversation: (nullable): the conversation of the messages the row
 *   is given next, where it looks for the originals of quotes, and
 *   whose contact's standing decides whether web addresses are links
 *   and whether the menu offers reactions and Reply
 *
 * Takes effect with the next sotto_message_row_set_message(); from then
 * on the row follows the contact's standing.
 */
void
sotto_message_row_set_conversation (SottoMessageRow   *self,
                                    SottoConversation *conversation)
{
  g_return_if_fail (SOTTO_IS_MESSAGE_ROW (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  g_set_object (&self->conversation, conversation);
  g_signal_group_set_target (self->contact_signals,
                             conversation != NULL ? sotto_conversation_get_contact (conversation) : NULL);
}

/**
 * sotto_message_row_set_in_group:
 * @self: a #SottoMessageRow
 * @in_group: whether the message is in a group's timeline
 *
 * A group's messages are copied, replied to, reacted to, edited and
 * deleted as a 1:1 conversation's, but not read in earlier versions nor
 * followed to a quote's original from the menu.
 */
void
sotto_message_row_set_in_group (SottoMessageRow *self,
                                gboolean         in_group)
{
  g_return_if_fail (SOTTO_IS_MESSAGE_ROW (self));

  self->in_group = !!in_group;
  sotto_message_row_update_actions (self);
}

/**
 * sotto_message_row_set_first_unread:
 * @self: a #SottoMessageRow
 * @first_unread: whether the row's message is the first that arrived
 *   since the user last saw the conversation's end
 *
 * Shows the divider above which the user has read everything.
 */
void
sotto_message_row_set_first_unread (SottoMessageRow *self,
                                    gboolean         first_unread)
{
  g_return_if_fail (SOTTO_IS_MESSAGE_ROW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), first_unread);
  sotto_message_row_update_accessible (self);
}

/**
 * sotto_message_row_set_offline:
 * @self: a #SottoMessageRow
 * @offline: whether the relay is out of reach
 *
 * Says whether a queued message waits for the connection.
 */
void
sotto_message_row_set_offline (SottoMessageRow *self,
                               gboolean         offline)
{
  g_return_if_fail (SOTTO_IS_MESSAGE_ROW (self));

  offline = !!offline;
  if (self->offline == offline)
    return;

  self->offline = offline;
  if (self->message != NULL)
    sotto_message_row_update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OFFLINE]);
}
