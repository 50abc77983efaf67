/* sotto-transfer-bar.c: an attachment's upload or download, with cancel and retry
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-transfer-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-files.h"
#include "sotto-transfer-bar.h"

/* Under a picture or a file: a Download button for an incoming file
 * not fetched yet, a progress bar with a Cancel button while it moves,
 * why it failed with a Retry button, and nothing once it is there. */

struct _SottoTransferBar
{
  GtkWidget parent_instance;

  SottoAttachment *attachment;
  SottoMessage *message;
  GSignalGroup *attachment_signals;
  GSignalGroup *message_signals;

  GtkWidget *box;
  GtkWidget *download_button;
  GtkProgressBar *progress_bar;
  GtkWidget *cancel_button;
  GtkLabel *error_label;
  GtkWidget *retry_button;
};

G_DEFINE_FINAL_TYPE (SottoTransferBar, sotto_transfer_bar, GTK_TYPE_WIDGET)

GtkWidget *
sotto_transfer_bar_new (void)
{
  return g_object_new (SOTTO_TYPE_TRANSFER_BAR, NULL);
}

/**
 * sotto_transfer_bar_get_state:
 * @self: a #SottoTransferBar
 *
 * What the bar shows.  An outgoing message goes only once all its files
 * are on the relay, so an upload that failed and was resumed later
 * (sotto_messenger_flush_async()) is sent when its message is.
 *
 * Returns: the state of the attachment shown
 */
SottoAttachmentState
sotto_transfer_bar_get_state (SottoTransferBar *self)
{
  SottoAttachmentState state;
  SottoMessageState message_state;

  g_return_val_if_fail (SOTTO_IS_TRANSFER_BAR (self), SOTTO_ATTACHMENT_STATE_FAILED);

  if (self->attachment == NULL)
    return SOTTO_ATTACHMENT_STATE_READY;

  state = sotto_attachment_get_state (self->attachment);
  message_state = self->message != NULL ? sotto_message_get_state (self->message) : SOTTO_MESSAGE_STATE_QUEUED;
  if (sotto_attachment_get_outgoing (self->attachment)
      && message_state != SOTTO_MESSAGE_STATE_QUEUED && message_state != SOTTO_MESSAGE_STATE_FAILED)
    return SOTTO_ATTACHMENT_STATE_SENT;

  return state;
}

/**
 * sotto_transfer_bar_get_fraction:
 * @self: a #SottoTransferBar
 *
 * Returns: how much of the transfer the progress bar shows as done
 */
double
sotto_transfer_bar_get_fraction (SottoTransferBar *self)
{
  g_return_val_if_fail (SOTTO_IS_TRANSFER_BAR (self), 0.0);

  return gtk_progress_bar_get_fraction (self->progress_bar);
}

static void
set_accessible_label (GtkWidget  *widget,
                      const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
sotto_transfer_bar_update (SottoTransferBar *self)
{
  SottoAttachmentState state = sotto_transfer_bar_get_state (self);
  gboolean moving = state == SOTTO_ATTACHMENT_STATE_UPLOADING || state == SOTTO_ATTACHMENT_STATE_DOWNLOADING;
  gboolean failed = state == SOTTO_ATTACHMENT_STATE_FAILED;
  gboolean available = state == SOTTO_ATTACHMENT_STATE_AVAILABLE;
  const char *name;

  gtk_widget_set_visible (GTK_WIDGET (self), moving || failed || available);
  gtk_widget_set_visible (self->download_button, available);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), moving);
  gtk_widget_set_visible (self->cancel_button, moving);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), failed);
  gtk_widget_set_visible (self->retry_button, failed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "transfer.cancel", moving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "transfer.retry", failed || available);

  if (self->attachment == NULL)
    return;

  name = sotto_attachment_get_name (self->attachment);
  if (moving)
    {
      guint64 size = sotto_attachment_get_size (self->attachment);
      double progress = CLAMP (sotto_attachment_get_progress (self->attachment), 0.0, 1.0);
      g_autofree char *done = g_format_size ((guint64) (progress * size));
      g_autofree char *total = g_format_size (size);
      g_autofree char *text = NULL;
      g_autofree char *label = NULL;
      g_autofree char *cancel = NULL;

      /* Translators: how much of a file has moved, as in "1.2 MB of 8.0 MB" */
      text = g_strdup_printf (_("%s of %s"), done, total);
      gtk_progress_bar_set_fraction (self->progress_bar, progress);
      gtk_progress_bar_set_text (self->progress_bar, text);
      gtk_progress_bar_set_show_text (self->progress_bar, TRUE);
      if (state == SOTTO_ATTACHMENT_STATE_UPLOADING)
        {
          /* Translators: %s is a file name */
          label = g_strdup_printf (_("Uploading “%s”"), name);
          /* Translators: %s is a file name */
          cancel = g_strdup_printf (_("Cancel Upload of “%s”"), name);
        }
      else
        {
          /* Translators: %s is a file name */
          label = g_strdup_printf (_("Downloading “%s”"), name);
          /* Translators: %s is a file name */
          cancel = g_strdup_printf (_("Cancel Download of “%s”"), name);
        }
      set_accessible_label (GTK_WIDGET (self->progress_bar), label);
      set_accessible_label (self->cancel_button, cancel);
      gtk_widget_set_tooltip_text (self->cancel_button, cancel);
    }
  else if (failed)
    {
      g_autofree char *retry = NULL;
      const char *error = sotto_attachment_get_error (self->attachment);

      gtk_label_set_label (self->error_label, error != NULL ? error : _("The transfer failed"));
      /* Translators: %s is a file name */
      retry = g_strdup_printf (_("Retry “%s”"), name);
      set_accessible_label (self->retry_button, retry);
    }
  else if (available)
    {
      g_autofree char *size = g_format_size (sotto_attachment_get_size (self->attachment));
      g_autofree char *download = NULL;

      /* Translators: the first %s is a file name, the second its size */
      download = g_strdup_printf (_("Download “%s” (%s)"), name, size);
      set_accessible_label (self->download_button, download);
      gtk_widget_set_tooltip_text (self->download_button, download);
    }
}

/**
 * sotto_transfer_bar_set_attachment:
 * @self: a #SottoTransferBar
 * @attachment: (nullable): the attachment whose transfer to show
 * @message: (nullable): its message
 */
void
sotto_transfer_bar_set_attachment (SottoTransferBar *self,
                                   SottoAttachment  *attachment,
                                   SottoMessage     *message)
{
  g_return_if_fail (SOTTO_IS_TRANSFER_BAR (self));
  g_return_if_fail (!attachment || SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (!message || SOTTO_IS_MESSAGE (message));

  g_set_object (&self->attachment, attachment);
  g_set_object (&self->message, message);
  g_signal_group_set_target (self->attachment_signals, attachment);
  g_signal_group_set_target (self->message_signals, message);
  sotto_transfer_bar_update (self);
}

static void
sotto_transfer_bar_cancel (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SottoTransferBar *self = SOTTO_TRANSFER_BAR (widget);

  sotto_attachment_cancel (self->attachment);
}

static void
sotto_transfer_bar_retry (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SottoTransferBar *self = SOTTO_TRANSFER_BAR (widget);

  sotto_attachment_files_retry (widget, self->attachment);
}

static void
sotto_transfer_bar_dispose (GObject *object)
{
  SottoTransferBar *self = (SottoTransferBar *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_TRANSFER_BAR);

  g_clear_object (&self->attachment_signals);
  g_clear_object (&self->message_signals);
  g_clear_object (&self->attachment);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (sotto_transfer_bar_parent_class)->dispose (object);
}

static void
sotto_transfer_bar_class_init (SottoTransferBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_transfer_bar_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-transfer-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoTransferBar, box);
  gtk_widget_class_bind_template_child (widget_class, SottoTransferBar, download_button);
  gtk_widget_class_bind_template_child (widget_class, SottoTransferBar, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SottoTransferBar, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, SottoTransferBar, error_label);
  gtk_widget_class_bind_template_child (widget_class, SottoTransferBar, retry_button);

  gtk_widget_class_install_action (widget_class, "transfer.cancel", NULL, sotto_transfer_bar_cancel);
  gtk_widget_class_install_action (widget_class, "transfer.retry", NULL, sotto_transfer_bar_retry);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "transferbar");
}

static void
sotto_transfer_bar_init (SottoTransferBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->attachment_signals = g_signal_group_new (SOTTO_TYPE_ATTACHMENT);
  g_signal_group_connect_object (self->attachment_signals, "notify::state",
                                 G_CALLBACK (sotto_transfer_bar_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->attachment_signals, "notify::progress",
                                 G_CALLBACK (sotto_transfer_bar_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->attachment_signals, "notify::error",
                                 G_CALLBACK (sotto_transfer_bar_update), self, G_CONNECT_SWAPPED);
  self->message_signals = g_signal_group_new (SOTTO_TYPE_MESSAGE);
  g_signal_group_connect_object (self->message_signals, "notify::state",
                                 G_CALLBACK (sotto_transfer_bar_update), self, G_CONNECT_SWAPPED);
  sotto_transfer_bar_update (self);
}
