/* sotto-file-row.c: a file sent or received, with its name, size, Open and Save As
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-file-row"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-files.h"
#include "sotto-file-row.h"
#include "sotto-transfer-bar.h"

struct _SottoFileRow
{
  GtkWidget parent_instance;

  SottoAttachment *attachment;
  SottoMessage *message;

  GtkWidget *box;
  GtkImage *icon;
  GtkLabel *name_label;
  GtkLabel *size_label;
  GtkWidget *open_button;
  GtkWidget *save_button;
  SottoTransferBar *transfer_bar;
};

G_DEFINE_FINAL_TYPE (SottoFileRow, sotto_file_row, GTK_TYPE_WIDGET)

/* Open and Save As decrypt the file kept in the profile: one the user
 * sent, or one received and checked. */
static void
sotto_file_row_update (SottoFileRow *self)
{
  SottoAttachmentState state = sotto_transfer_bar_get_state (self->transfer_bar);
  gboolean kept = state == SOTTO_ATTACHMENT_STATE_READY || state == SOTTO_ATTACHMENT_STATE_SENT;

  gtk_widget_set_visible (self->open_button, kept);
  gtk_widget_set_visible (self->save_button, kept);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "file.open", kept);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "file.save-as", kept);
}

GtkWidget *
sotto_file_row_new (SottoAttachment *attachment,
                    SottoMessage    *message)
{
  SottoFileRow *self;
  g_autoptr(GIcon) icon = NULL;
  g_autofree char *content_type = NULL;
  g_autofree char *size = NULL;
  g_autofree char *open = NULL;
  g_autofree char *save = NULL;
  g_autofree char *label = NULL;
  const char *name;

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (attachment), NULL);
  g_return_val_if_fail (SOTTO_IS_MESSAGE (message), NULL);

  self = g_object_new (SOTTO_TYPE_FILE_ROW, NULL);
  self->attachment = g_object_ref (attachment);
  self->message = g_object_ref (message);

  name = sotto_attachment_get_name (attachment);
  content_type = g_content_type_from_mime_type (sotto_attachment_get_content_type (attachment));
  icon = content_type != NULL ? g_content_type_get_symbolic_icon (content_type) : NULL;
  if (icon != NULL)
    gtk_image_set_from_gicon (self->icon, icon);
  else
    gtk_image_set_from_icon_name (self->icon, "text-x-generic-symbolic");
  size = g_format_size (sotto_attachment_get_size (attachment));
  gtk_label_set_label (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), name);
  gtk_label_set_label (self->size_label, size);

  /* Translators: %s is a file name */
  open = g_strdup_printf (_("Open “%s”"), name);
  /* Translators: %s is a file name */
  save = g_strdup_printf (_("Save “%s” As…"), name);
  /* Translators: how a screen reader names a file in a message: its name and size */
  label = g_strdup_printf (_("File %s, %s"), name, size);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->open_button), GTK_ACCESSIBLE_PROPERTY_LABEL, open, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->save_button), GTK_ACCESSIBLE_PROPERTY_LABEL, save, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);

  sotto_transfer_bar_set_attachment (self->transfer_bar, attachment, message);
  g_signal_connect_object (attachment, "notify::state", G_CALLBACK (sotto_file_row_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::state", G_CALLBACK (sotto_file_row_update), self, G_CONNECT_SWAPPED);
  sotto_file_row_update (self);

  return GTK_WIDGET (self);
}

SottoAttachment *
sotto_file_row_get_attachment (SottoFileRow *self)
{
  g_return_val_if_fail (SOTTO_IS_FILE_ROW (self), NULL);

  return self->attachment;
}

static void
sotto_file_row_open (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  sotto_attachment_files_open (widget, SOTTO_FILE_ROW (widget)->attachment);
}

static void
sotto_file_row_save_as (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  sotto_attachment_files_save_as (widget, SOTTO_FILE_ROW (widget)->attachment);
}

static void
sotto_file_row_dispose (GObject *object)
{
  SottoFileRow *self = (SottoFileRow *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_FILE_ROW);

  g_clear_object (&self->attachment);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (sotto_file_row_parent_class)->dispose (object);
}

static void
sotto_file_row_class_init (SottoFileRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_file_row_dispose;

  g_type_ensure (SOTTO_TYPE_TRANSFER_BAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-file-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, box);
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, icon);
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, size_label);
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, save_button);
  gtk_widget_class_bind_template_child (widget_class, SottoFileRow, transfer_bar);

  gtk_widget_class_install_action (widget_class, "file.open", NULL, sotto_file_row_open);
  gtk_widget_class_install_action (widget_class, "file.save-as", NULL, sotto_file_row_save_as);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "filerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sotto_file_row_init (SottoFileRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
