/* sotto-message-entry.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-entry"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-message-entry.h"

/* Where a message is written, in a 1:1 conversation and in a group
 * alike: a text view that grows with what it holds, up to a few lines
 * and then scrolls.  Enter is for sending, which ::activate asks of the
 * view around it; Shift+Enter (or Ctrl+Enter) starts a new line.  The
 * view decides when the text goes, and empties the entry once it is
 * safe to.  A message that could not be stored comes back with
 * sotto_message_entry_give_back(). */

struct _SottoMessageEntry
{
  GtkWidget parent_instance;

  GtkWidget *scroller;  /* bound, so that disposing the template unparents it */
  GtkTextView *text_view;
  /* Where the text given back last ended: what comes back after it
   * goes there, so that messages sent one after the other and not
   * stored come back in the order they were written, before what the
   * user typed since.  Its left gravity keeps it before that typing. */
  GtkTextMark *given_back;
};

enum {
  ACTIVATE,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (SottoMessageEntry, sotto_message_entry, GTK_TYPE_WIDGET)

static gboolean
sotto_message_entry_key_pressed_cb (SottoMessageEntry     *self,
                                    guint                  keyval,
                                    guint                  keycode,
                                    GdkModifierType        state,
                                    GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
      && (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK)) == 0)
    {
      g_signal_emit (self, signals [ACTIVATE], 0);
      return TRUE;
    }

  return FALSE;
}

/* Whoever gives the entry the focus means its text. */
static gboolean
sotto_message_entry_grab_focus (GtkWidget *widget)
{
  SottoMessageEntry *self = SOTTO_MESSAGE_ENTRY (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

/* The text is the entry's one stop on the way Tab and Shift+Tab go.
 * GtkWidget's own focus handler, going back from a child that lets the
 * focus go, offers it to the widget itself through grab_focus, which
 * declines for a widget that cannot take the focus; this one's passes
 * it to the text instead, and Shift+Tab would never leave the composer.
 * So focus moves through the text view alone, which takes it when it
 * comes from outside and lets it go on when it has it. */
static gboolean
sotto_message_entry_focus (GtkWidget        *widget,
                           GtkDirectionType  direction)
{
  SottoMessageEntry *self = SOTTO_MESSAGE_ENTRY (widget);

  return gtk_widget_child_focus (self->scroller, direction);
}

/* GTK 4.8 stops the text's scrolling animation twice, with a critical
 * warning, when the entry is unmapped (its window closed) while the
 * animation runs, as it does for a moment after a long message is sent
 * and the emptied entry scrolls back to its top.  The entry stops it
 * first, where it stands, before its children are unmapped. */
static void
sotto_message_entry_unmap (GtkWidget *widget)
{
  SottoMessageEntry *self = SOTTO_MESSAGE_ENTRY (widget);
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->text_view));

  if (adjustment != NULL)
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment));

  GTK_WIDGET_CLASS (sotto_message_entry_parent_class)->unmap (widget);
}

static void
sotto_message_entry_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SOTTO_TYPE_MESSAGE_ENTRY);

  G_OBJECT_CLASS (sotto_message_entry_parent_class)->dispose (object);
}

static void
sotto_message_entry_class_init (SottoMessageEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_message_entry_dispose;
  widget_class->grab_focus = sotto_message_entry_grab_focus;
  widget_class->focus = sotto_message_entry_focus;
  widget_class->unmap = sotto_message_entry_unmap;

  /**
   * SottoMessageEntry::activate:
   * @self: the entry
   *
   * The user pressed Enter, to send what the entry holds.
   */
  signals [ACTIVATE] =
    g_signal_new ("activate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-message-entry.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoMessageEntry, scroller);
  gtk_widget_class_bind_template_child (widget_class, SottoMessageEntry, text_view);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messageentry");
}

static void
sotto_message_entry_init (SottoMessageEntry *self)
{
  GtkEventController *keys;
  GtkTextBuffer *buffer;
  GtkTextIter start;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Before the text view, which would take Enter for a new line. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (sotto_message_entry_key_pressed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_start_iter (buffer, &start);
  self->given_back = gtk_text_buffer_create_mark (buffer, NULL, &start, TRUE);
}

/**
 * sotto_message_entry_new:
 *
 * Returns: (transfer floating): a new, empty entry
 */
GtkWidget *
sotto_message_entry_new (void)
{
  return g_object_new (SOTTO_TYPE_MESSAGE_ENTRY, NULL);
}

GtkTextView *
sotto_message_entry_get_text_view (SottoMessageEntry *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_ENTRY (self), NULL);

  return self->text_view;
}

GtkTextBuffer *
sotto_message_entry_get_buffer (SottoMessageEntry *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_ENTRY (self), NULL);

  return gtk_text_view_get_buffer (self->text_view);
}

/**
 * sotto_message_entry_dup_text:
 * @self: a #SottoMessageEntry
 *
 * Returns: (transfer full): what the entry holds, without the blank
 *   space around it: the message it would send
 */
char *
sotto_message_entry_dup_text (SottoMessageEntry *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (SOTTO_IS_MESSAGE_ENTRY (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);

  return g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
}

void
sotto_message_entry_set_text (SottoMessageEntry *self,
                              const char        *text)
{
  g_return_if_fail (SOTTO_IS_MESSAGE_ENTRY (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text != NULL ? text : "", -1);
}

/**
 * sotto_message_entry_give_back:
 * @self: a #SottoMessageEntry
 * @text: a message the entry had sent and that was not stored
 *
 * Puts @text back into the entry, on a line of its own before what the
 * user typed since, after any text given back before it: nothing the
 * user wrote is lost or mixed up, and sending again sends it all.
 */
void
sotto_message_entry_give_back (SottoMessageEntry *self,
                               const char        *text)
{
  GtkTextBuffer *buffer;
  g_autofree char *line = NULL;
  GtkTextIter at;

  g_return_if_fail (SOTTO_IS_MESSAGE_ENTRY (self));
  g_return_if_fail (text != NULL);

  if (text[0] == '\0')
    return;

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_iter_at_mark (buffer, &at, self->given_back);
  line = g_strconcat (gtk_text_iter_is_start (&at) ? "" : "\n", text, NULL);
  gtk_text_buffer_insert (buffer, &at, line, -1);
  gtk_text_buffer_move_mark (buffer, self->given_back, &at);
  if (!gtk_text_iter_is_end (&at))
    gtk_text_buffer_insert (buffer, &at, "\n", 1);
}
