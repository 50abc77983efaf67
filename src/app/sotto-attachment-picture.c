/* sotto-attachment-picture.c: a picture in a message, its thumbnail first
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-picture"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-files.h"
#include "sotto-attachment-picture.h"
#include "sotto-image-viewer.h"
#include "sotto-transfer-bar.h"

/* The thumbnail comes inside the message, so it shows before the
 * picture is downloaded; clicking it downloads the picture, or once it
 * is there opens it full size in a viewer. */

/* The longest side a thumbnail takes in the bubble, in pixels. */
#define PICTURE_SIDE 240

struct _SottoAttachmentPicture
{
  GtkWidget parent_instance;

  SottoAttachment *attachment;
  SottoMessage *message;
  GdkTexture *thumbnail;

  GtkWidget *box;
  GtkWidget *button;
  GtkStack *stack;
  GtkPicture *picture;
  SottoTransferBar *transfer_bar;
};

G_DEFINE_FINAL_TYPE (SottoAttachmentPicture, sotto_attachment_picture, GTK_TYPE_WIDGET)

/* The thumbnail the sender made, if it is a picture that can be read:
 * it came from the other side, so a broken one only leaves an icon, and
 * one that claims to be huge is decoded no larger than shown. */
static GdkTexture *
load_thumbnail (SottoAttachment *attachment)
{
  GBytes *bytes = sotto_attachment_get_thumbnail (attachment);

  return bytes != NULL ? sotto_attachment_files_load_picture (bytes, PICTURE_SIDE, NULL) : NULL;
}

static void
sotto_attachment_picture_update (SottoAttachmentPicture *self)
{
  SottoAttachmentState state = sotto_transfer_bar_get_state (self->transfer_bar);
  gboolean can_act = state != SOTTO_ATTACHMENT_STATE_UPLOADING && state != SOTTO_ATTACHMENT_STATE_DOWNLOADING;
  const char *name = sotto_attachment_get_name (self->attachment);
  g_autofree char *size = g_format_size (sotto_attachment_get_size (self->attachment));
  g_autofree char *label = NULL;

  if (state == SOTTO_ATTACHMENT_STATE_READY || state == SOTTO_ATTACHMENT_STATE_SENT)
    /* Translators: the first %s is a file name, the second its size */
    label = g_strdup_printf (_("Picture “%s”, %s: View Full Size"), name, size);
  else
    /* Translators: the first %s is a file name, the second its size */
    label = g_strdup_printf (_("Picture “%s”, %s: Download"), name, size);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_set_tooltip_text (self->button, label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "picture.activate", can_act);
}

GtkWidget *
sotto_attachment_picture_new (SottoAttachment *attachment,
                              SottoMessage    *message)
{
  SottoAttachmentPicture *self;

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (attachment), NULL);
  g_return_val_if_fail (SOTTO_IS_MESSAGE (message), NULL);

  self = g_object_new (SOTTO_TYPE_ATTACHMENT_PICTURE, NULL);
  self->attachment = g_object_ref (attachment);
  self->message = g_object_ref (message);
  self->thumbnail = load_thumbnail (attachment);

  if (self->thumbnail != NULL)
    {
      int width = gdk_texture_get_width (self->thumbnail);
      int height = gdk_texture_get_height (self->thumbnail);
      double scale = MIN (1.0, (double) PICTURE_SIDE / MAX (width, height));

      gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (self->thumbnail));
      gtk_widget_set_size_request (GTK_WIDGET (self->picture), MAX (1, (int) (width * scale)),
                                   MAX (1, (int) (height * scale)));
      gtk_stack_set_visible_child_name (self->stack, "thumbnail");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "icon");

  sotto_transfer_bar_set_attachment (self->transfer_bar, attachment, message);
  g_signal_connect_object (attachment, "notify::state", G_CALLBACK (sotto_attachment_picture_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::state", G_CALLBACK (sotto_attachment_picture_update), self,
                           G_CONNECT_SWAPPED);
  sotto_attachment_picture_update (self);

  return GTK_WIDGET (self);
}

SottoAttachment *
sotto_attachment_picture_get_attachment (SottoAttachmentPicture *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_PICTURE (self), NULL);

  return self->attachment;
}

/**
 * sotto_attachment_picture_get_thumbnail:
 * @self: a #SottoAttachmentPicture
 *
 * Returns: (transfer none) (nullable): the thumbnail shown, %NULL when
 *   the message had none that could be read
 */
GdkPaintable *
sotto_attachment_picture_get_thumbnail (SottoAttachmentPicture *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_PICTURE (self), NULL);

  return self->thumbnail != NULL ? GDK_PAINTABLE (self->thumbnail) : NULL;
}

/**
 * sotto_attachment_picture_is_thumbnail:
 * @self: a #SottoAttachmentPicture
 * @button: a button in @self
 *
 * Returns: whether @button is the picture itself, which opens it, and
 *   not one of its transfer's
 */
gboolean
sotto_attachment_picture_is_thumbnail (SottoAttachmentPicture *self,
                                       GtkWidget              *button)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_PICTURE (self), FALSE);
  g_return_val_if_fail (GTK_IS_WIDGET (button), FALSE);

  return button == self->button;
}

static void
sotto_attachment_picture_activate (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  SottoAttachmentPicture *self = SOTTO_ATTACHMENT_PICTURE (widget);
  SottoAttachmentState state = sotto_transfer_bar_get_state (self->transfer_bar);
  GtkRoot *root = gtk_widget_get_root (widget);
  SottoImageViewer *viewer;

  if (state != SOTTO_ATTACHMENT_STATE_READY && state != SOTTO_ATTACHMENT_STATE_SENT)
    {
      sotto_attachment_files_retry (widget, self->attachment);
      return;
    }

  viewer = sotto_image_viewer_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->attachment,
                                   sotto_attachment_picture_get_thumbnail (self));
  gtk_window_present (GTK_WINDOW (viewer));
}

static void
sotto_attachment_picture_dispose (GObject *object)
{
  SottoAttachmentPicture *self = (SottoAttachmentPicture *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_ATTACHMENT_PICTURE);

  g_clear_object (&self->attachment);
  g_clear_object (&self->message);
  g_clear_object (&self->thumbnail);

  G_OBJECT_CLASS (sotto_attachment_picture_parent_class)->dispose (object);
}

static void
sotto_attachment_picture_class_init (SottoAttachmentPictureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_attachment_picture_dispose;

  g_type_ensure (SOTTO_TYPE_TRANSFER_BAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-attachment-picture.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoAttachmentPicture, box);
  gtk_widget_class_bind_template_child (widget_class, SottoAttachmentPicture, button);
  gtk_widget_class_bind_template_child (widget_class, SottoAttachmentPicture, stack);
  gtk_widget_class_bind_template_child (widget_class, SottoAttachmentPicture, picture);
  gtk_widget_class_bind_template_child (widget_class, SottoAttachmentPicture, transfer_bar);

  gtk_widget_class_install_action (widget_class, "picture.activate", NULL, sotto_attachment_picture_activate);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "attachmentpicture");
}

static void
sotto_attachment_picture_init (SottoAttachmentPicture *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
