/* sotto-attachment-view.c: the pictures and files of a message
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-view"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-picture.h"
#include "sotto-attachment-view.h"
#include "sotto-file-row.h"

/* In a bubble above the caption: each picture inline with its
 * thumbnail, each other file as a row.  Hidden for a message without
 * attachments, which is most of them. */

struct _SottoAttachmentView
{
  GtkWidget parent_instance;

  SottoMessage *message;
  GSignalGroup *attachments_signals;
};

G_DEFINE_FINAL_TYPE (SottoAttachmentView, sotto_attachment_view, GTK_TYPE_WIDGET)

static void
sotto_attachment_view_clear (SottoAttachmentView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
}

static void
sotto_attachment_view_rebuild (SottoAttachmentView *self)
{
  GListModel *attachments = self->message != NULL ? sotto_message_get_attachments (self->message) : NULL;
  guint n = attachments != NULL ? g_list_model_get_n_items (attachments) : 0;

  sotto_attachment_view_clear (self);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SottoAttachment) attachment = g_list_model_get_item (attachments, i);
      GtkWidget *child;

      if (g_str_has_prefix (sotto_attachment_get_content_type (attachment), "image/"))
        child = sotto_attachment_picture_new (attachment, self->message);
      else
        child = sotto_file_row_new (attachment, self->message);
      gtk_widget_set_parent (child, GTK_WIDGET (self));
    }

  gtk_widget_set_visible (GTK_WIDGET (self), n > 0);
}

/**
 * sotto_attachment_view_set_message:
 * @self: a #SottoAttachmentView
 * @message: (nullable): the message whose attachments to show
 */
void
sotto_attachment_view_set_message (SottoAttachmentView *self,
                                   SottoMessage        *message)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_VIEW (self));
  g_return_if_fail (!message || SOTTO_IS_MESSAGE (message));

  /* A row shows the same message again after every change of it: the
   * children stay, with their state. */
  if (self->message == message && message != NULL
      && gtk_widget_get_first_child (GTK_WIDGET (self)) != NULL)
    return;

  g_set_object (&self->message, message);
  g_signal_group_set_target (self->attachments_signals,
                             message != NULL ? sotto_message_get_attachments (message) : NULL);
  sotto_attachment_view_rebuild (self);
}

/**
 * sotto_attachment_view_dup_description:
 * @self: a #SottoAttachmentView
 *
 * Returns: (transfer full) (nullable): what a screen reader says of the
 *   files shown, as in "Picture “view.png”, File “notes.pdf”", or
 *   %NULL when there are none
 */
char *
sotto_attachment_view_dup_description (SottoAttachmentView *self)
{
  GListModel *attachments;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_VIEW (self), NULL);

  attachments = self->message != NULL ? sotto_message_get_attachments (self->message) : NULL;
  for (guint i = 0; attachments != NULL && i < g_list_model_get_n_items (attachments); i++)
    {
      g_autoptr(SottoAttachment) attachment = g_list_model_get_item (attachments, i);
      const char *name = sotto_attachment_get_name (attachment);

      if (g_str_has_prefix (sotto_attachment_get_content_type (attachment), "image/"))
        /* Translators: %s is a file name */
        g_ptr_array_add (parts, g_strdup_printf (_("Picture “%s”"), name));
      else
        /* Translators: %s is a file name */
        g_ptr_array_add (parts, g_strdup_printf (_("File “%s”"), name));
    }

  if (parts->len == 0)
    return NULL;

  g_ptr_array_add (parts, NULL);
  return g_strjoinv (C_("list separator", ", "), (char **) parts->pdata);
}

static void
sotto_attachment_view_dispose (GObject *object)
{
  SottoAttachmentView *self = (SottoAttachmentView *) object;

  sotto_attachment_view_clear (self);
  g_clear_object (&self->attachments_signals);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (sotto_attachment_view_parent_class)->dispose (object);
}

static void
sotto_attachment_view_class_init (SottoAttachmentViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_attachment_view_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "attachmentview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sotto_attachment_view_init (SottoAttachmentView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);

  self->attachments_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->attachments_signals, "items-changed",
                                 G_CALLBACK (sotto_attachment_view_rebuild), self, G_CONNECT_SWAPPED);
}
