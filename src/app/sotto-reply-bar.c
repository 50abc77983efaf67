/* sotto-reply-bar.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-reply-bar"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-message-text.h"
#include "sotto-reply-bar.h"

/* The bar above the composer while what it holds answers a message or
 * replaces one's text: it shows which message, and cancels.  It keeps
 * what the user had typed before an edit took the composer, and gives
 * it back when the edit is done or cancelled: nothing typed is lost to
 * an edit. */
struct _SottoReplyBar
{
  GtkWidget parent_instance;

  GtkTextBuffer *buffer;
  SottoMessage *message;
  /* While editing: the composer's text from before. */
  char *draft;
  /* While the composer's text is put in for the user, not typed. */
  gboolean putting_text;

  GtkWidget *box;
  GtkImage *icon;
  GtkLabel *title_label;
  GtkLabel *excerpt_label;
};

enum {
  PROP_0,
  PROP_MESSAGE,
  PROP_EDITING,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoReplyBar, sotto_reply_bar, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

/* The first line of @text, which the bar has room for. */
static char *
first_line (const char *text)
{
  const char *newline = strchr (text, '\n');

  return newline != NULL ? g_strndup (text, newline - text) : g_strdup (text);
}

static void
sotto_reply_bar_show (SottoReplyBar *self,
                      SottoMessage  *message,
                      const char    *icon_name,
                      const char    *title)
{
  g_autofree char *shown = sotto_message_dup_shown_text (message);
  g_autofree char *excerpt = first_line (shown);

  g_set_object (&self->message, message);
  gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->excerpt_label, excerpt);
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reply-bar.cancel", TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MESSAGE]);
}

/**
 * sotto_reply_bar_reply_to:
 * @self: a #SottoReplyBar
 * @message: the message the composer's text is to answer
 * @author: who wrote it, as the bar names them; %NULL for the user
 *
 * Shows that the next message sent replies to @message.  An edit under
 * way is cancelled first, so the composer has the user's text back.
 */
void
sotto_reply_bar_reply_to (SottoReplyBar *self,
                          SottoMessage  *message,
                          const char    *author)
{
  g_autofree char *title = NULL;

  g_return_if_fail (SOTTO_IS_REPLY_BAR (self));
  g_return_if_fail (SOTTO_IS_MESSAGE (message));

  if (self->draft != NULL)
    sotto_reply_bar_cancel (self);

  title = author != NULL ? g_strdup_printf (_("Replying to %s"), author)
                         : g_strdup (_("Replying to yourself"));
  sotto_reply_bar_show (self, message, "mail-reply-sender-symbolic", title);
}

/**
 * sotto_reply_bar_edit:
 * @self: a #SottoReplyBar
 * @message: a message of the user's to edit
 * @text: the text to start from
 *
 * Puts @text into the composer to be edited, and keeps what it held
 * until the edit is done or cancelled.
 */
void
sotto_reply_bar_edit (SottoReplyBar *self,
                      SottoMessage  *message,
                      const char    *text)
{
  GtkTextIter start, end;

  g_return_if_fail (SOTTO_IS_REPLY_BAR (self));
  g_return_if_fail (SOTTO_IS_MESSAGE (message));
  g_return_if_fail (text != NULL);
  g_return_if_fail (self->buffer != NULL);

  if (self->draft != NULL)
    sotto_reply_bar_cancel (self);

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  self->draft = gtk_text_buffer_get_text (self->buffer, &start, &end, FALSE);
  sotto_reply_bar_show (self, message, "document-edit-symbolic", _("Editing message"));
  sotto_reply_bar_put_text (self, text);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_EDITING]);
}

/**
 * sotto_reply_bar_cancel:
 * @self: a #SottoReplyBar
 *
 * Leaves the reply or the edit; after an edit, the composer gets back
 * what the user had typed before it.
 */
void
sotto_reply_bar_cancel (SottoReplyBar *self)
{
  g_autofree char *draft = NULL;

  g_return_if_fail (SOTTO_IS_REPLY_BAR (self));

  if (self->message == NULL)
    return;

  draft = g_steal_pointer (&self->draft);
  g_clear_object (&self->message);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reply-bar.cancel", FALSE);

  if (draft != NULL)
    {
      sotto_reply_bar_put_text (self, draft);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_EDITING]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MESSAGE]);
}

/**
 * sotto_reply_bar_put_text:
 * @self: a #SottoReplyBar
 * @text: the composer's new text
 *
 * Replaces the composer's text with @text that the user did not type
 * now (a message to edit, a draft given back), which
 * sotto_reply_bar_get_putting_text() tells the composer's handlers.
 */
void
sotto_reply_bar_put_text (SottoReplyBar *self,
                          const char    *text)
{
  g_return_if_fail (SOTTO_IS_REPLY_BAR (self));
  g_return_if_fail (text != NULL);
  g_return_if_fail (self->buffer != NULL);

  self->putting_text = TRUE;
  gtk_text_buffer_set_text (self->buffer, text, -1);
  self->putting_text = FALSE;
}

/**
 * sotto_reply_bar_get_putting_text:
 * @self: a #SottoReplyBar
 *
 * Returns: whether the composer's text is changing because
 *   sotto_reply_bar_put_text() replaces it, not because the user types:
 *   the contact is told only of the user's typing
 */
gboolean
sotto_reply_bar_get_putting_text (SottoReplyBar *self)
{
  g_return_val_if_fail (SOTTO_IS_REPLY_BAR (self), FALSE);

  return self->putting_text;
}

/**
 * sotto_reply_bar_dup_draft:
 * @self: a #SottoReplyBar
 *
 * Returns: (transfer full): what the user has typed to send: during an
 *   edit the text from before it, otherwise the composer's
 */
char *
sotto_reply_bar_dup_draft (SottoReplyBar *self)
{
  GtkTextIter start, end;

  g_return_val_if_fail (SOTTO_IS_REPLY_BAR (self), NULL);
  g_return_val_if_fail (self->buffer != NULL, NULL);

  if (self->draft != NULL)
    return g_strdup (self->draft);

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  return gtk_text_buffer_get_text (self->buffer, &start, &end, FALSE);
}

/**
 * sotto_reply_bar_get_message:
 * @self: a #SottoReplyBar
 *
 * Returns: (transfer none) (nullable): the message replied to or edited
 */
SottoMessage *
sotto_reply_bar_get_message (SottoReplyBar *self)
{
  g_return_val_if_fail (SOTTO_IS_REPLY_BAR (self), NULL);

  return self->message;
}

gboolean
sotto_reply_bar_get_editing (SottoReplyBar *self)
{
  g_return_val_if_fail (SOTTO_IS_REPLY_BAR (self), FALSE);

  return self->draft != NULL;
}

/**
 * sotto_reply_bar_get_buffer:
 * @self: a #SottoReplyBar
 *
 * Returns: (transfer none): the composer's buffer
 */
GtkTextBuffer *
sotto_reply_bar_get_buffer (SottoReplyBar *self)
{
  g_return_val_if_fail (SOTTO_IS_REPLY_BAR (self), NULL);

  return self->buffer;
}

/**
 * sotto_reply_bar_set_buffer:
 * @self: a #SottoReplyBar
 * @buffer: the composer's buffer
 */
void
sotto_reply_bar_set_buffer (SottoReplyBar *self,
                            GtkTextBuffer *buffer)
{
  g_return_if_fail (SOTTO_IS_REPLY_BAR (self));
  g_return_if_fail (GTK_IS_TEXT_BUFFER (buffer));

  g_set_object (&self->buffer, buffer);
}

static void
sotto_reply_bar_cancel_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  sotto_reply_bar_cancel (SOTTO_REPLY_BAR (widget));
}

static void
sotto_reply_bar_dispose (GObject *object)
{
  SottoReplyBar *self = (SottoReplyBar *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_REPLY_BAR);

  g_clear_object (&self->buffer);
  g_clear_object (&self->message);
  g_clear_pointer (&self->draft, g_free);

  G_OBJECT_CLASS (sotto_reply_bar_parent_class)->dispose (object);
}

static void
sotto_reply_bar_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  SottoReplyBar *self = SOTTO_REPLY_BAR (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    case PROP_EDITING:
      g_value_set_boolean (value, self->draft != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_reply_bar_class_init (SottoReplyBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_reply_bar_dispose;
  object_class->get_property = sotto_reply_bar_get_property;

  /**
   * SottoReplyBar:message:
   *
   * The message the composer's text replies to or replaces, if any.
   */
  properties [PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         SOTTO_TYPE_MESSAGE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoReplyBar:editing:
   *
   * Whether the composer holds the new text of SottoReplyBar:message.
   */
  properties [PROP_EDITING] =
    g_param_spec_boolean ("editing", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-reply-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoReplyBar, box);
  gtk_widget_class_bind_template_child (widget_class, SottoReplyBar, icon);
  gtk_widget_class_bind_template_child (widget_class, SottoReplyBar, title_label);
  gtk_widget_class_bind_template_child (widget_class, SottoReplyBar, excerpt_label);

  gtk_widget_class_install_action (widget_class, "reply-bar.cancel", NULL, sotto_reply_bar_cancel_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "replybar");
}

static void
sotto_reply_bar_init (SottoReplyBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reply-bar.cancel", FALSE);
}
