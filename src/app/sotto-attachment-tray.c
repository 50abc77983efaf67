/* sotto-attachment-tray.c: the files the composer will send, and how they get there
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-tray"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-files.h"
#include "sotto-attachment-tray.h"
#include "sotto-error-text.h"
#include "sotto-message.h"
#include "sotto-message-entry.h"

/* Above the composer: the files the next message takes, each with a
 * button to take it off again.  Files come from the file chooser (the
 * portal in a sandbox), dropped on the conversation, or as a picture
 * pasted into the composer, which is written as a PNG file into a
 * private folder in memory (sotto-attachment-files.c), never to a cache
 * folder.  Each conversation keeps its own, like its draft.  Sending
 * takes the composer's text as the caption; when nothing could be
 * stored (the relay refused the file, or could not be reached), the
 * files and the caption come back to the composer. */

/* The longest side of a picture's thumbnail on its chip, in pixels,
 * and that of what is decoded for it, for a screen of scale 2. */
#define CHIP_THUMBNAIL_SIDE 32
#define CHIP_THUMBNAIL_DECODED_SIDE (2 * CHIP_THUMBNAIL_SIDE)

/* A picture larger than this gets no thumbnail on its chip, as the
 * engine makes none to send for it (SOTTO_ATTACHMENT_MAX_THUMBNAIL_SOURCE):
 * reading it all would take a while for a small picture. */
#define CHIP_THUMBNAIL_MAX_SOURCE (50 * 1024 * 1024)

typedef struct
{
  GFile *file;
  gboolean pasted;  /* a file of ours in the private folder */
  GdkTexture *thumbnail;  /* once read, for a picture */
  GCancellable *loading;  /* while the thumbnail is read */
} Pending;

struct _SottoAttachmentTray
{
  GtkWidget parent_instance;

  SottoConversation *conversation;
  GHashTable *pending;  /* SottoConversation → GPtrArray of Pending */
  GtkWidget *view;
  GtkTextView *text_view;
  GCancellable *cancellable;

  GtkFlowBox *flow_box;
};

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_N_FILES,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoAttachmentTray, sotto_attachment_tray, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void
pending_free (Pending *pending)
{
  /* A thumbnail on its way comes to nothing. */
  g_cancellable_cancel (pending->loading);
  g_clear_object (&pending->loading);
  if (pending->pasted)
    sotto_attachment_files_remove (pending->file);
  g_object_unref (pending->file);
  g_clear_object (&pending->thumbnail);
  g_free (pending);
}

static GPtrArray *
sotto_attachment_tray_get_pending (SottoAttachmentTray *self)
{
  GPtrArray *pending;

  if (self->conversation == NULL)
    return NULL;

  pending = g_hash_table_lookup (self->pending, self->conversation);
  if (pending == NULL)
    {
      pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
      g_hash_table_insert (self->pending, g_object_ref (self->conversation), pending);
    }

  return pending;
}

guint
sotto_attachment_tray_get_n_files (SottoAttachmentTray *self)
{
  GPtrArray *pending;

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_TRAY (self), 0);

  pending = self->conversation != NULL ? g_hash_table_lookup (self->pending, self->conversation) : NULL;

  return pending != NULL ? pending->len : 0;
}

/**
 * sotto_attachment_tray_get_file:
 * @self: a #SottoAttachmentTray
 * @position: which file, from 0
 *
 * Returns: (transfer none): the file
 */
GFile *
sotto_attachment_tray_get_file (SottoAttachmentTray *self,
                                guint                position)
{
  Pending *pending;

  g_return_val_if_fail (position < sotto_attachment_tray_get_n_files (self), NULL);

  pending = g_ptr_array_index (sotto_attachment_tray_get_pending (self), position);

  return pending->file;
}

static GtkWidget *
make_chip (Pending *pending,
           guint    position)
{
  g_autofree char *name = g_file_get_basename (pending->file);
  g_autofree char *remove = NULL;
  GtkWidget *chip = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *label = gtk_label_new (name);
  GtkWidget *button = gtk_button_new_from_icon_name ("window-close-symbolic");
  GtkWidget *image;

  gtk_widget_add_css_class (chip, "attachment-chip");
  if (pending->thumbnail != NULL)
    {
      image = gtk_image_new_from_paintable (GDK_PAINTABLE (pending->thumbnail));
      gtk_image_set_pixel_size (GTK_IMAGE (image), CHIP_THUMBNAIL_SIDE);
      gtk_widget_add_css_class (image, "thumbnail");
    }
  else
    image = gtk_image_new_from_icon_name ("mail-attachment-symbolic");
  gtk_box_append (GTK_BOX (chip), image);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 24);
  gtk_box_append (GTK_BOX (chip), label);

  /* Translators: %s is a file name */
  remove = g_strdup_printf (_("Remove “%s”"), name);
  gtk_widget_set_tooltip_text (button, remove);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, remove, -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "tray.remove");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "u", position);
  gtk_box_append (GTK_BOX (chip), button);

  return chip;
}

/* The chips of the conversation shown, made anew. */
static void
sotto_attachment_tray_show_chips (SottoAttachmentTray *self)
{
  guint n = sotto_attachment_tray_get_n_files (self);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->flow_box))) != NULL)
    gtk_flow_box_remove (self->flow_box, child);

  for (guint i = 0; i < n; i++)
    gtk_flow_box_append (self->flow_box, make_chip (g_ptr_array_index (sotto_attachment_tray_get_pending (self), i), i));

  gtk_widget_set_visible (GTK_WIDGET (self), n > 0);
}

static void
sotto_attachment_tray_changed (SottoAttachmentTray *self)
{
  sotto_attachment_tray_show_chips (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_FILES]);
}

/* Thumbnails */

typedef struct
{
  SottoAttachmentTray *self;
  Pending *pending;
} ThumbnailLoad;

static void
thumbnail_load_free (ThumbnailLoad *load)
{
  g_clear_object (&load->self);
  g_free (load);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThumbnailLoad, thumbnail_load_free)

/* In a worker thread: the picture in the file, scaled down as it is
 * decoded; a file that is no picture, or too large a one, has none. */
static void
thumbnail_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  GdkTexture *texture;
  const char *content_type;
  GError *error = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  content_type = g_file_info_get_content_type (info);
  if (content_type == NULL || !g_str_has_prefix (content_type, "image/")
      || g_file_info_get_size (info) > CHIP_THUMBNAIL_MAX_SOURCE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Not a picture to show"));
      return;
    }

  stream = g_file_read (file, cancellable, &error);
  texture = stream != NULL ? sotto_attachment_files_load_picture_stream (G_INPUT_STREAM (stream),
                                                                         CHIP_THUMBNAIL_DECODED_SIDE,
                                                                         cancellable, &error)
                           : NULL;
  if (texture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, texture, g_object_unref);
}

static void
thumbnail_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(ThumbnailLoad) load = user_data;
  g_autoptr(GError) error = NULL;
  GdkTexture *texture = g_task_propagate_pointer (G_TASK (result), &error);

  /* Cancelled, the file left the tray: @pending is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&load->pending->loading);
  if (texture == NULL)
    {
      g_debug ("No thumbnail for a file to send: %s", error->message);
      return;
    }

  load->pending->thumbnail = texture;
  if (load->self->pending != NULL)
    sotto_attachment_tray_show_chips (load->self);
}

/* Reads the thumbnail of @pending's file, if it is a picture, off the
 * main thread: a picture can take a while to decode. */
static void
sotto_attachment_tray_load_thumbnail (SottoAttachmentTray *self,
                                      Pending             *pending)
{
  g_autoptr(GTask) task = NULL;
  ThumbnailLoad *load = g_new0 (ThumbnailLoad, 1);

  load->self = g_object_ref (self);
  load->pending = pending;
  pending->loading = g_cancellable_new ();
  task = g_task_new (NULL, pending->loading, thumbnail_loaded_cb, load);
  g_task_set_source_tag (task, sotto_attachment_tray_load_thumbnail);
  g_task_set_task_data (task, g_object_ref (pending->file), g_object_unref);
  g_task_run_in_thread (task, thumbnail_thread);
}

static gboolean
sotto_attachment_tray_add (SottoAttachmentTray *self,
                           GFile               *file,
                           gboolean             pasted)
{
  GPtrArray *pending = sotto_attachment_tray_get_pending (self);
  Pending *added;

  if (pending == NULL)
    return FALSE;

  if (pending->len >= SOTTO_ATTACHMENT_TRAY_MAX_FILES)
    {
      g_autofree char *message = g_strdup_printf (ngettext ("A message takes at most %d file",
                                                            "A message takes at most %d files",
                                                            SOTTO_ATTACHMENT_TRAY_MAX_FILES),
                                                  SOTTO_ATTACHMENT_TRAY_MAX_FILES);

      sotto_attachment_files_toast (GTK_WIDGET (self), message);
      return FALSE;
    }

  added = g_new0 (Pending, 1);
  added->file = g_object_ref (file);
  added->pasted = pasted;
  g_ptr_array_add (pending, added);
  sotto_attachment_tray_load_thumbnail (self, added);
  sotto_attachment_tray_changed (self);

  return TRUE;
}

/**
 * sotto_attachment_tray_add_file:
 * @self: a #SottoAttachmentTray
 * @file: a file to send with the next message of the conversation
 *
 * Returns: whether it was added: a message takes at most
 *   %SOTTO_ATTACHMENT_TRAY_MAX_FILES, and there must be a conversation
 */
gboolean
sotto_attachment_tray_add_file (SottoAttachmentTray *self,
                                GFile               *file)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_TRAY (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  return sotto_attachment_tray_add (self, file, FALSE);
}

/* Sending */

typedef struct
{
  SottoAttachmentTray *self;
  SottoConversation *conversation;
  char *caption;
  GPtrArray *pending;
} Send;

static void
send_free (Send *send)
{
  g_clear_object (&send->self);
  g_clear_object (&send->conversation);
  g_free (send->caption);
  g_clear_pointer (&send->pending, g_ptr_array_unref);
  g_free (send);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Send, send_free)

static void
draft_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_save_draft_finish (SOTTO_CONVERSATION (object), result, &error))
    g_warning ("Could not keep the caption of a message not sent: %s", error->message);
}

/* Nothing was stored: the files go back to the conversation's tray and
 * the caption before what the user typed since, in the composer if the
 * conversation is still shown, else in its draft. */
static void
give_back (Send *send)
{
  SottoAttachmentTray *self = send->self;
  GPtrArray *pending;
  g_autofree char *text = NULL;
  const char *now;

  /* A tray that is gone (its window closed) keeps no files; the
   * caption still goes to the draft. */
  if (self->pending != NULL)
    {
      pending = g_hash_table_lookup (self->pending, send->conversation);
      if (pending == NULL)
        {
          pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
          g_hash_table_insert (self->pending, g_object_ref (send->conversation), pending);
        }
      for (guint i = 0; i < send->pending->len; i++)
        g_ptr_array_insert (pending, i, g_ptr_array_index (send->pending, i));
      g_ptr_array_set_free_func (send->pending, NULL);
    }

  if (send->conversation == self->conversation && self->text_view != NULL)
    {
      GtkWidget *entry = gtk_widget_get_ancestor (GTK_WIDGET (self->text_view), SOTTO_TYPE_MESSAGE_ENTRY);

      sotto_message_entry_give_back (SOTTO_MESSAGE_ENTRY (entry), send->caption);
      sotto_attachment_tray_changed (self);
      return;
    }

  now = sotto_conversation_get_draft (send->conversation);
  if (send->caption[0] == '\0')
    return;
  text = now != NULL && now[0] != '\0' ? g_strconcat (send->caption, "\n", now, NULL) : g_strdup (send->caption);
  sotto_conversation_save_draft_async (send->conversation, text, NULL, draft_saved_cb, NULL);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Send) send = user_data;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (sotto_messenger_send_with_attachments_finish (SOTTO_MESSENGER (object), result, &message, &error))
    return;

  /* A stored message stays, with its files, and each says how its
   * upload went: it resumes with the next flush. */
  if (message != NULL)
    {
      if (!g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED)
          && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          text = sotto_error_text_general (error);
          sotto_attachment_files_toast (GTK_WIDGET (send->self), text);
        }
      return;
    }

  give_back (send);
  text = sotto_error_text_general (error);
  sotto_attachment_files_toast (GTK_WIDGET (send->self), text);
}

/**
 * sotto_attachment_tray_send:
 * @self: a #SottoAttachmentTray
 * @caption: the composer's text, which may be empty
 *
 * Sends the files of the conversation shown with @caption; the tray
 * is empty for that conversation until the send fails before the
 * message was stored, when they come back with the caption.
 */
void
sotto_attachment_tray_send (SottoAttachmentTray *self,
                            const char          *caption)
{
  SottoMessenger *messenger = sotto_attachment_files_get_messenger (GTK_WIDGET (self));
  g_autoptr(GPtrArray) files = g_ptr_array_new ();
  gpointer key;
  Send *send;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_TRAY (self));
  g_return_if_fail (caption != NULL);

  if (messenger == NULL || sotto_attachment_tray_get_n_files (self) == 0)
    return;

  send = g_new0 (Send, 1);
  send->self = g_object_ref (self);
  send->conversation = g_object_ref (self->conversation);
  send->caption = g_strdup (caption);
  g_hash_table_steal_extended (self->pending, self->conversation, &key, (gpointer *) &send->pending);
  g_object_unref (key);

  for (guint i = 0; i < send->pending->len; i++)
    g_ptr_array_add (files, ((Pending *) g_ptr_array_index (send->pending, i))->file);

  sotto_messenger_send_with_attachments_async (messenger, send->conversation, caption,
                                               (GFile * const *) files->pdata, files->len,
                                               NULL, sent_cb, send);
  sotto_attachment_tray_changed (self);
}

/* Where files come from */

static void
chosen_cb (GtkNativeDialog     *chooser,
           int                  response,
           SottoAttachmentTray *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          if (!sotto_attachment_tray_add_file (self, file))
            break;
        }
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
attach_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  SottoAttachmentTray *self = user_data;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Attach Files"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chosen_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Files dropped while the composer is there to take them: not on a
 * message request, which the user answers first. */
static gboolean
dropped_cb (GtkDropTarget       *target,
            const GValue        *value,
            double               x,
            double               y,
            SottoAttachmentTray *self)
{
  GSList *files = g_value_get_boxed (value);

  if (self->text_view == NULL || !gtk_widget_is_visible (GTK_WIDGET (self->text_view)))
    return FALSE;

  for (GSList *l = files; l != NULL; l = l->next)
    {
      if (!sotto_attachment_tray_add_file (self, l->data))
        break;
    }

  return files != NULL;
}

static void
texture_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SottoAttachmentTray) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);
  if (texture != NULL)
    {
      png = gdk_texture_save_to_png_bytes (texture);
      dir = sotto_attachment_files_new_private_dir (&error);
    }
  if (dir != NULL)
    {
      /* Translators: the name of a picture pasted into the composer */
      file = g_file_get_child (dir, _("Pasted Image.png"));
      if (!g_file_set_contents_full (g_file_peek_path (file), g_bytes_get_data (png, NULL), g_bytes_get_size (png),
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        g_clear_object (&file);
    }

  if (file == NULL)
    {
      g_autofree char *message = sotto_error_text_general (error);

      if (dir != NULL)
        g_file_delete (dir, NULL, NULL);
      sotto_attachment_files_toast (GTK_WIDGET (self), message);
      return;
    }

  if (!sotto_attachment_tray_add (self, file, TRUE))
    sotto_attachment_files_remove (file);
}

/* A picture on the clipboard, without text, is pasted as a file. */
static void
paste_cb (GtkTextView         *text_view,
          SottoAttachmentTray *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (text_view));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (!gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE)
      || gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    return;

  g_signal_stop_emission_by_name (text_view, "paste-clipboard");
  gdk_clipboard_read_texture_async (clipboard, self->cancellable, texture_read_cb, g_object_ref (self));
}

/**
 * sotto_attachment_tray_set_composer:
 * @self: a #SottoAttachmentTray
 * @view: the conversation view, where files are dropped and where the
 *   "attachments.attach" action goes
 * @text_view: the composer, where pictures are pasted
 */
void
sotto_attachment_tray_set_composer (SottoAttachmentTray *self,
                                    GtkWidget           *view,
                                    GtkTextView         *text_view)
{
  static const GActionEntry entries[] = {
    { .name = "attach", .activate = attach_activated_cb },
  };
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  GtkDropTarget *target;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_TRAY (self));
  g_return_if_fail (GTK_IS_WIDGET (view));
  g_return_if_fail (GTK_IS_TEXT_VIEW (text_view));

  self->view = view;
  self->text_view = text_view;

  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), self);
  gtk_widget_insert_action_group (view, "attachments", G_ACTION_GROUP (group));

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (target, "drop", G_CALLBACK (dropped_cb), self, 0);
  gtk_widget_add_controller (view, GTK_EVENT_CONTROLLER (target));

  g_signal_connect_object (text_view, "paste-clipboard", G_CALLBACK (paste_cb), self, 0);
}

SottoConversation *
sotto_attachment_tray_get_conversation (SottoAttachmentTray *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_TRAY (self), NULL);

  return self->conversation;
}

void
sotto_attachment_tray_set_conversation (SottoAttachmentTray *self,
                                        SottoConversation   *conversation)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_TRAY (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  sotto_attachment_tray_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERSATION]);
}

static void
sotto_attachment_tray_remove (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  SottoAttachmentTray *self = SOTTO_ATTACHMENT_TRAY (widget);
  guint position = g_variant_get_uint32 (parameter);

  if (position >= sotto_attachment_tray_get_n_files (self))
    return;

  g_ptr_array_remove_index (sotto_attachment_tray_get_pending (self), position);
  sotto_attachment_tray_changed (self);
}

static void
sotto_attachment_tray_dispose (GObject *object)
{
  SottoAttachmentTray *self = (SottoAttachmentTray *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_ATTACHMENT_TRAY);
  self->view = NULL;
  self->text_view = NULL;
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_object (&self->conversation);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_attachment_tray_parent_class)->dispose (object);
}

static void
sotto_attachment_tray_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  SottoAttachmentTray *self = SOTTO_ATTACHMENT_TRAY (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    case PROP_N_FILES:
      g_value_set_uint (value, sotto_attachment_tray_get_n_files (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_attachment_tray_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  SottoAttachmentTray *self = SOTTO_ATTACHMENT_TRAY (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      sotto_attachment_tray_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_attachment_tray_class_init (SottoAttachmentTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_attachment_tray_dispose;
  object_class->get_property = sotto_attachment_tray_get_property;
  object_class->set_property = sotto_attachment_tray_set_property;

  properties [PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoAttachmentTray:n-files:
   *
   * How many files the next message of the conversation shown takes.
   */
  properties [PROP_N_FILES] =
    g_param_spec_uint ("n-files", NULL, NULL,
                       0, SOTTO_ATTACHMENT_TRAY_MAX_FILES, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-attachment-tray.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoAttachmentTray, flow_box);
  gtk_widget_class_install_action (widget_class, "tray.remove", "u", sotto_attachment_tray_remove);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "attachmenttray");
}

static void
sotto_attachment_tray_init (SottoAttachmentTray *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending = g_hash_table_new_full (NULL, NULL, g_object_unref, (GDestroyNotify) g_ptr_array_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}
