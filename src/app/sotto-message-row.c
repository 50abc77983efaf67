/* sotto-message-row.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-row"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-message-row.h"

struct _SottoMessageRow
{
  GtkWidget parent_instance;

  SottoMessage *message;
  SottoMessage *previous;
  GSignalGroup *message_signals;
  GSignalGroup *previous_signals;
  char *contact_name;

  GtkWidget *box;
  GtkLabel *day_label;
  GtkWidget *event_box;
  GtkLabel *event_label;
  GtkWidget *bubble;
  GtkLabel *body_label;
  GtkLabel *time_label;
  GtkImage *state_icon;
};

G_DEFINE_FINAL_TYPE (SottoMessageRow, sotto_message_row, GTK_TYPE_WIDGET)

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

  received_text = g_date_time_format (received, _("%H:%M"));
  if (is_same_day (sent, received))
    return g_strcmp0 (sent_text, received_text) != 0
           ? g_strdup_printf (_("Received at %s"), received_text) : NULL;

  /* Translators: a date, see strftime(3) */
  received_date = g_date_time_format (received, _("%-d %B %Y"));
  /* Translators: the first %s is a date, the second a time */
  return g_strdup_printf (_("Received on %s at %s"), received_date, received_text);
}

static void
sotto_message_row_update_state (SottoMessageRow *self)
{
  const char *icon_name = NULL;
  const char *description = NULL;

  if (sotto_message_get_direction (self->message) != SOTTO_MESSAGE_DIRECTION_OUTGOING)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->state_icon), FALSE);
      return;
    }

  switch (sotto_message_get_state (self->message))
    {
    case SOTTO_MESSAGE_STATE_QUEUED:
      icon_name = "content-loading-symbolic";
      description = _("Sending");
      break;
    case SOTTO_MESSAGE_STATE_SENT:
      icon_name = "object-select-symbolic";
      description = _("Sent");
      break;
    case SOTTO_MESSAGE_STATE_DELIVERED:
      icon_name = "mail-read-symbolic";
      description = _("Delivered");
      break;
    case SOTTO_MESSAGE_STATE_READ:
      icon_name = "view-reveal-symbolic";
      description = _("Read");
      break;
    case SOTTO_MESSAGE_STATE_FAILED:
      icon_name = "dialog-error-symbolic";
      description = _("Not sent");
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
}

static void
sotto_message_row_update (SottoMessageRow *self)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *received_tooltip = NULL;
  gboolean outgoing;

  /* A placeholder keeps the height of a typical message, so that the
   * list view does not build rows by the hundred to fill the screen
   * with empty ones while their page is read. */
  if (self->message == NULL || !sotto_message_get_loaded (self->message))
    {
      gtk_widget_set_visible (self->event_box, FALSE);
      gtk_label_set_label (self->body_label, "");
      gtk_widget_add_css_class (GTK_WIDGET (self), "placeholder");
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self), "placeholder");

  outgoing = sotto_message_get_direction (self->message) == SOTTO_MESSAGE_DIRECTION_OUTGOING;

  if (sotto_message_get_kind (self->message) == SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED)
    {
      g_autofree char *text = g_strdup_printf (_("Your safety number with %s changed"),
                                               self->contact_name);

      gtk_label_set_label (self->event_label, text);
      gtk_widget_set_visible (self->event_box, TRUE);
      gtk_widget_set_visible (self->bubble, FALSE);
      return;
    }

  gtk_widget_set_visible (self->event_box, FALSE);
  gtk_widget_set_visible (self->bubble, TRUE);
  gtk_widget_set_halign (self->bubble, outgoing ? GTK_ALIGN_END : GTK_ALIGN_START);
  if (outgoing)
    {
      gtk_widget_add_css_class (self->bubble, "outgoing");
      gtk_widget_remove_css_class (self->bubble, "incoming");
    }
  else
    {
      gtk_widget_add_css_class (self->bubble, "incoming");
      gtk_widget_remove_css_class (self->bubble, "outgoing");
    }

  gtk_label_set_label (self->body_label, sotto_message_get_body (self->message));

  time = message_sent_time (self->message);
  /* Translators: the time under a message bubble, see strftime(3) */
  time_text = g_date_time_format (time, _("%H:%M"));
  gtk_label_set_label (self->time_label, time_text);
  if (!outgoing)
    received_tooltip = dup_received_tooltip (self->message, time, time_text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->time_label), received_tooltip);

  sotto_message_row_update_state (self);
}

/* A row starts a new day when it is the first message or its day differs
 * from the message above; placeholders of pages not yet read show no
 * separator until they are filled in. */
static void
sotto_message_row_update_day (SottoMessageRow *self)
{
  gboolean new_day = FALSE;

  if (self->message != NULL && sotto_message_get_loaded (self->message))
    {
      if (self->previous == NULL)
        new_day = TRUE;
      else if (sotto_message_get_loaded (self->previous))
        {
          g_autoptr(GDateTime) time = message_sent_time (self->message);
          g_autoptr(GDateTime) previous_time = message_sent_time (self->previous);

          new_day = !is_same_day (time, previous_time);
        }
    }

  if (new_day)
    {
      g_autoptr(GDateTime) day = message_sent_time (self->message);
      /* Translators: a day separator in the conversation, see strftime(3) */
      g_autofree char *label = g_date_time_format (day, _("%A, %e %B %Y"));

      gtk_label_set_label (self->day_label, label);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->day_label), new_day);
}

static void
sotto_message_row_dispose (GObject *object)
{
  SottoMessageRow *self = (SottoMessageRow *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_MESSAGE_ROW);

  g_clear_object (&self->message_signals);
  g_clear_object (&self->previous_signals);
  g_clear_object (&self->message);
  g_clear_object (&self->previous);
  g_clear_pointer (&self->contact_name, g_free);

  G_OBJECT_CLASS (sotto_message_row_parent_class)->dispose (object);
}

static void
sotto_message_row_class_init (SottoMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_message_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, box);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, event_box);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, event_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, body_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageRow, state_icon);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
}

static void
sotto_message_row_init (SottoMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Messages of a paged list arrive as placeholders and are filled in
   * when their page loads; the row follows that and every state change. */
  self->message_signals = g_signal_group_new (SOTTO_TYPE_MESSAGE);
  g_signal_group_connect_object (self->message_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_update_day), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->message_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->message_signals, "notify::state",
                                 G_CALLBACK (sotto_message_row_update), self, G_CONNECT_SWAPPED);

  self->previous_signals = g_signal_group_new (SOTTO_TYPE_MESSAGE);
  g_signal_group_connect_object (self->previous_signals, "notify::loaded",
                                 G_CALLBACK (sotto_message_row_update_day), self, G_CONNECT_SWAPPED);
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

  sotto_message_row_update_day (self);
  sotto_message_row_update (self);
}
