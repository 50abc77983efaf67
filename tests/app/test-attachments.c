/* test-attachments.c: pictures and files in the real window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the application in this process; Bob, and a stranger, are
 * sotto-cli on profiles of their own, with a real sotto-relay between
 * them (conversation-fixture.c).  Each case checks what Alice's window
 * shows (a picture's thumbnail before it is downloaded, a file's row,
 * the progress of each transfer) and what Bob's sotto-cli gets.
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <adwaita.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-attachment-files.h"
#include "sotto-attachment-picture.h"
#include "sotto-attachment-tray.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-file-row.h"
#include "sotto-image-viewer.h"
#include "sotto-message-row.h"
#include "sotto-preferences-window.h"
#include "sotto-transfer-bar.h"

/* Big enough that its transfer through a local relay outlasts a few of
 * the engine's progress reports (SOTTO_ATTACHMENT_PROGRESS_INTERVAL_MS),
 * on a fast machine too. */
#define BIG_FILE_SIZE (64 * 1024 * 1024)

/* Pictures larger than this get no thumbnail from their sender
 * (SOTTO_ATTACHMENT_MAX_THUMBNAIL_SOURCE). */
#define SOTTO_TEST_MAX_THUMBNAIL_SOURCE (50 * 1024 * 1024)

/* The folder in memory where the app keeps what it decrypts for Open
 * and the viewer, and pasted pictures: set before GLib reads it. */
static char *runtime_dir;

/* The desktop's data and configuration folders, where a test opener
 * is the default application for text and for any file: a script that
 * copies the file it is asked to open to OPENED_RECORD. */
static char *desktop_dir;

#define OPENED_RECORD "opened"

static void
install_opener (void)
{
  g_autofree char *data = g_build_filename (desktop_dir, "data", NULL);
  g_autofree char *applications = g_build_filename (data, "applications", NULL);
  g_autofree char *config = g_build_filename (desktop_dir, "config", NULL);
  g_autofree char *script = g_build_filename (desktop_dir, "opener.sh", NULL);
  g_autofree char *record = g_build_filename (desktop_dir, OPENED_RECORD, NULL);
  g_autofree char *script_text = NULL;
  g_autofree char *entry = NULL;
  g_autofree char *entry_path = g_build_filename (applications, "sotto-test-opener.desktop", NULL);
  g_autofree char *defaults = g_build_filename (config, "mimeapps.list", NULL);

  g_assert_cmpint (g_mkdir_with_parents (applications, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (config, 0700), ==, 0);
  script_text = g_strdup_printf ("#!/bin/sh\ncp \"$1\" '%s.part' && mv '%s.part' '%s'\n", record, record, record);
  g_assert_true (g_file_set_contents (script, script_text, -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  entry = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Sotto test opener\nExec=%s %%f\n"
                           "MimeType=text/plain;application/octet-stream;\nNoDisplay=true\n", script);
  g_assert_true (g_file_set_contents (entry_path, entry, -1, NULL));
  g_assert_true (g_file_set_contents (defaults,
                                      "[Default Applications]\n"
                                      "text/plain=sotto-test-opener.desktop\n"
                                      "application/octet-stream=sotto-test-opener.desktop\n",
                                      -1, NULL));
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
}

static char *
temp_path (const char *name)
{
  g_autofree char *dir = g_dir_make_tmp ("sotto-attachments-XXXXXX", NULL);

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

/* A picture of @width × @height, in halves of two colours. */
static char *
make_picture (const char *name,
              int         width,
              int         height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GdkPixbuf) half = gdk_pixbuf_new_subpixbuf (pixbuf, 0, 0, width / 2, height);
  g_autoptr(GError) error = NULL;
  char *path = temp_path (name);

  gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
  gdk_pixbuf_fill (half, 0xf6d32dff);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);

  return path;
}

/* A file of @size random bytes. */
static char *
make_file (const char *name,
           gsize       size)
{
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GError) error = NULL;
  char *path = temp_path (name);

  for (gsize i = 0; i < size; i += sizeof (guint32))
    {
      guint32 r = g_random_int ();

      memcpy (data + i, &r, MIN (sizeof r, size - i));
    }
  g_assert_true (g_file_set_contents (path, (const char *) data, size, &error));
  g_assert_no_error (error);

  return path;
}

static char *
sha256_of_file (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

static gboolean
is_picture_named (GtkWidget     *widget,
                  gconstpointer  name)
{
  return SOTTO_IS_ATTACHMENT_PICTURE (widget) && gtk_widget_get_mapped (widget)
         && g_str_equal (sotto_attachment_get_name (sotto_attachment_picture_get_attachment (SOTTO_ATTACHMENT_PICTURE (widget))),
                         name);
}

static gboolean
is_file_row_named (GtkWidget     *widget,
                   gconstpointer  name)
{
  return SOTTO_IS_FILE_ROW (widget) && gtk_widget_get_mapped (widget)
         && g_str_equal (sotto_attachment_get_name (sotto_file_row_get_attachment (SOTTO_FILE_ROW (widget))), name);
}

static GtkWidget *
find_picture (Fixture    *fixture,
              const char *name)
{
  return app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_picture_named, name);
}

static GtkWidget *
find_file_row (Fixture    *fixture,
               const char *name)
{
  return app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_file_row_named, name);
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

/* The first widget of @type below @root, shown or not. */
static GtkWidget *
find_any (GtkWidget *root,
          GType      type)
{
  return app_test_find_matching (root, is_of_type, GSIZE_TO_POINTER (type));
}

/* The transfer bar of a picture or a file, shown or not. */
static SottoTransferBar *
transfer_bar_of (GtkWidget *widget)
{
  return SOTTO_TRANSFER_BAR (find_any (widget, SOTTO_TYPE_TRANSFER_BAR));
}

/* Whether the buttons @widget holds for @action_name are shown. */
static gboolean
shows_button (GtkWidget  *widget,
              const char *action_name)
{
  GtkWidget *button = find_button (widget, action_name);

  return button != NULL && gtk_widget_is_visible (button);
}

static void
start (Fixture *fixture)
{
  start_alice (fixture);
  open_conversation_with_bob (fixture);
  activate_alice (fixture);
}

/* What the progress bar showed while the attachment moved. */
typedef struct
{
  Fixture *fixture;
  const char *name;
  guint mid_way;     /* reports strictly between nothing and all */
  guint mismatched;  /* reports the bar did not show as they were */
} Watch;

/* The transfer bar of the file row named @name; the timeline may build
 * its rows anew at any time, so it is looked up each time. */
static SottoTransferBar *
file_transfer_bar (Fixture    *fixture,
                   const char *name)
{
  GtkWidget *row = find_file_row (fixture, name);

  return row != NULL ? transfer_bar_of (row) : NULL;
}

static void
progress_cb (SottoAttachment *attachment,
             GParamSpec      *pspec,
             Watch           *watch)
{
  SottoTransferBar *bar = file_transfer_bar (watch->fixture, watch->name);
  double progress = sotto_attachment_get_progress (attachment);
  SottoAttachmentState state = sotto_attachment_get_state (attachment);

  if (state != SOTTO_ATTACHMENT_STATE_UPLOADING && state != SOTTO_ATTACHMENT_STATE_DOWNLOADING)
    return;
  if (progress > 0.0 && progress < 1.0)
    watch->mid_way++;
  if (bar == NULL
      || !gtk_widget_is_visible (app_test_find_widget (GTK_WIDGET (bar), GTK_TYPE_PROGRESS_BAR))
      || !G_APPROX_VALUE (sotto_transfer_bar_get_fraction (bar), progress, 1e-9)
      || !shows_button (GTK_WIDGET (bar), "transfer.cancel"))
    watch->mismatched++;
}

/* A picture from a contact: its thumbnail shows in the bubble with the
 * caption, it comes down by itself (below the preferences' size), and
 * a click opens it at full size in the viewer, decrypted in memory. */
static void
test_attachments_picture (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *picture_path = make_picture ("view.png", 1200, 800);
  SottoAttachmentPicture *picture;
  SottoAttachment *attachment;
  SottoImageViewer *viewer = NULL;
  GdkPaintable *thumbnail;
  g_autoptr(GDir) runtime = NULL;
  const char *entry;

  start (fixture);
  g_free (run_cli (fixture, "send", "alice", "Our view from the top", "--attach", picture_path, NULL));

  wait_until (find_picture (fixture, "view.png") != NULL);
  picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "view.png"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (conversation_view (fixture)), "Our view from the top"));
  attachment = sotto_attachment_picture_get_attachment (picture);
  g_assert_cmpstr (sotto_attachment_get_content_type (attachment), ==, "image/png");

  /* The thumbnail came in the message: it is there whatever the state. */
  thumbnail = sotto_attachment_picture_get_thumbnail (picture);
  g_assert_nonnull (thumbnail);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (thumbnail), <=, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (thumbnail), >, 0);

  /* 10 MiB by default: this one comes down without being asked.  The
   * timeline may build the row anew meanwhile: it is looked up again. */
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_READY);
  wait_until ((picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "view.png"))) != NULL
              && !gtk_widget_get_visible (GTK_WIDGET (transfer_bar_of (GTK_WIDGET (picture)))));

  /* A screen reader hears what it is and what a click does. */
  {
    g_autofree char *size = g_format_size (sotto_attachment_get_size (attachment));
    g_autofree char *label = g_strdup_printf ("Picture “view.png”, %s: View Full Size", size);
    g_autofree char *mismatch = NULL;

    mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (find_button (GTK_WIDGET (picture), "picture.activate")),
                                                   GTK_ACCESSIBLE_PROPERTY_LABEL, label);
    g_assert_null (mismatch);
  }

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (picture), "picture.activate", NULL));
  wait_until ((viewer = SOTTO_IMAGE_VIEWER (find_toplevel (SOTTO_TYPE_IMAGE_VIEWER))) != NULL);
  wait_until (sotto_image_viewer_get_loaded (viewer));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (sotto_image_viewer_get_paintable (viewer)), ==, 1200);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (sotto_image_viewer_get_paintable (viewer)), ==, 800);

  /* What was decrypted for the viewer is gone once it is read: the
   * private folder holds only empty folders. */
  runtime = g_dir_open (runtime_dir, 0, NULL);
  while ((entry = g_dir_read_name (runtime)) != NULL)
    {
      g_autofree char *root = g_build_filename (runtime_dir, entry, NULL);
      g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);

      g_assert_nonnull (dir);
      g_assert_null (g_dir_read_name (dir));
    }

  gtk_window_destroy (GTK_WINDOW (viewer));
}

/* A picture of @side × @side in noise, which PNG cannot make smaller:
 * about 3 bytes a pixel. */
static char *
make_noise_picture (const char *name,
                    int         side)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, side, side);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  gsize length = (gsize) gdk_pixbuf_get_rowstride (pixbuf) * side;
  g_autoptr(GError) error = NULL;
  char *path = temp_path (name);

  for (gsize i = 0; i < length; i += sizeof (guint32))
    {
      guint32 r = g_random_int ();

      memcpy (pixels + i, &r, MIN (sizeof r, length - i));
    }
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, "compression", "1", NULL));
  g_assert_no_error (error);

  return path;
}

/* What a picture's transfer bar showed while it came down. */
static void
picture_progress_cb (SottoAttachment *attachment,
                     GParamSpec      *pspec,
                     Watch           *watch)
{
  GtkWidget *picture = find_picture (watch->fixture, watch->name);
  SottoTransferBar *bar = picture != NULL ? transfer_bar_of (picture) : NULL;
  double progress = sotto_attachment_get_progress (attachment);

  if (sotto_attachment_get_state (attachment) != SOTTO_ATTACHMENT_STATE_DOWNLOADING)
    return;
  if (progress > 0.0 && progress < 1.0)
    watch->mid_way++;
  if (bar == NULL || !gtk_widget_get_visible (GTK_WIDGET (bar))
      || !gtk_widget_is_visible (app_test_find_widget (GTK_WIDGET (bar), GTK_TYPE_PROGRESS_BAR))
      || !G_APPROX_VALUE (sotto_transfer_bar_get_fraction (bar), progress, 1e-9)
      || !shows_button (GTK_WIDGET (bar), "transfer.cancel"))
    watch->mismatched++;
}

/* A picture larger than Preferences lets come down by itself shows its
 * thumbnail; a click downloads it, with its progress and Cancel over
 * the picture; cancelled, it offers Retry, which brings it whole, and a
 * click then opens it at full size. */
static void
test_attachments_picture_progress (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autofree char *picture_path = make_noise_picture ("noise.png", 3900);
  Watch watch = { fixture, "noise.png", 0, 0 };
  SottoAttachmentPicture *picture;
  SottoAttachment *attachment;
  SottoImageViewer *viewer = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (picture_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 10 * 1024 * 1024);
  g_assert_cmpint (st.st_size, <, SOTTO_TEST_MAX_THUMBNAIL_SOURCE);

  start (fixture);
  g_free (run_cli (fixture, "send", "alice", "Static", "--attach", picture_path, NULL));

  wait_until (find_picture (fixture, "noise.png") != NULL);
  picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "noise.png"));
  attachment = sotto_attachment_picture_get_attachment (picture);
  g_assert_nonnull (sotto_attachment_picture_get_thumbnail (picture));
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_AVAILABLE);

  g_signal_connect_after (attachment, "notify::progress", G_CALLBACK (picture_progress_cb), &watch);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (picture), "picture.activate", NULL));
  wait_until (watch.mid_way > 0);
  picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "noise.png"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (transfer_bar_of (GTK_WIDGET (picture))), "transfer.cancel",
                                             NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_FAILED);
  wait_until ((picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "noise.png"))) != NULL
              && shows_button (GTK_WIDGET (transfer_bar_of (GTK_WIDGET (picture))), "transfer.retry"));
  g_assert_false (shows_button (GTK_WIDGET (picture), "transfer.cancel"));

  watch.mid_way = 0;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (transfer_bar_of (GTK_WIDGET (picture))), "transfer.retry",
                                             NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_READY);
  g_assert_cmpuint (watch.mid_way, >, 0);
  g_assert_cmpuint (watch.mismatched, ==, 0);
  g_signal_handlers_disconnect_by_data (attachment, &watch);
  wait_until ((picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "noise.png"))) != NULL
              && !gtk_widget_get_visible (GTK_WIDGET (transfer_bar_of (GTK_WIDGET (picture)))));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (picture), "picture.activate", NULL));
  wait_until ((viewer = SOTTO_IMAGE_VIEWER (find_toplevel (SOTTO_TYPE_IMAGE_VIEWER))) != NULL);
  wait_until (sotto_image_viewer_get_loaded (viewer));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (sotto_image_viewer_get_paintable (viewer)), ==, 3900);
  gtk_window_destroy (GTK_WINDOW (viewer));
}

static gboolean
chooser_has_file (GtkFileChooser *chooser,
                  GFile          *file)
{
  g_autoptr(GFile) chosen = gtk_file_chooser_get_file (chooser);

  return chosen != NULL && g_file_equal (chosen, file);
}

static GtkFileChooser *
wait_for_file_chooser (void)
{
  GtkWindow *chooser = NULL;

  wait_until ((chooser = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG)) != NULL
              && gtk_widget_get_mapped (GTK_WIDGET (chooser)));

  return GTK_FILE_CHOOSER (chooser);
}

/* A file: a row with its name and size and a Download button; the
 * download shows its progress with a Cancel button, and a cancelled
 * one fails with Retry, which fetches it; then Save As writes it where
 * the user chose, the same bytes as were sent. */
static void
test_attachments_file (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *file_path = make_file ("measurements.bin", BIG_FILE_SIZE);
  g_autofree char *sent_sha256 = sha256_of_file (file_path);
  g_autofree char *save_dir = g_dir_make_tmp ("sotto-save-XXXXXX", NULL);
  g_autofree char *saved_path = g_build_filename (save_dir, "kept.bin", NULL);
  g_autofree char *saved_sha256 = NULL;
  g_autofree char *size_text = g_format_size (BIG_FILE_SIZE);
  g_autoptr(GFile) saved = g_file_new_for_path (saved_path);
  g_autoptr(GFile) folder = g_file_new_for_path (save_dir);
  SottoAttachment *attachment;
  GtkFileChooser *chooser;
  Watch watch = { fixture, "measurements.bin", 0, 0 };
  GtkWidget *row;

  start (fixture);
  g_free (run_cli (fixture, "send", "alice", "The raw data", "--attach", file_path, NULL));

  wait_until ((row = find_file_row (fixture, "measurements.bin")) != NULL);
  attachment = sotto_file_row_get_attachment (SOTTO_FILE_ROW (row));
  g_assert_nonnull (app_test_find_label (row, size_text));
  {
    g_autofree char *label = g_strdup_printf ("File measurements.bin, %s", size_text);
    g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                                    label);

    g_assert_null (mismatch);
  }
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_AVAILABLE);
  g_assert_true (shows_button (row, "transfer.retry"));
  g_assert_false (shows_button (row, "file.open"));
  g_assert_false (shows_button (row, "file.save-as"));

  /* Cancelled at its first report, the download fails and offers Retry. */
  g_signal_connect_after (attachment, "notify::progress", G_CALLBACK (progress_cb), &watch);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.retry", NULL));
  wait_until (watch.mid_way > 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.cancel", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_FAILED);
  wait_until ((row = find_file_row (fixture, watch.name)) != NULL && shows_button (row, "transfer.retry"));
  g_assert_false (shows_button (row, "transfer.cancel"));
  g_assert_false (shows_button (row, "file.open"));

  /* Retry: it comes down whole, with its progress on the way. */
  watch.mid_way = 0;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.retry", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_READY);
  g_assert_cmpuint (watch.mid_way, >, 0);
  g_assert_cmpuint (watch.mismatched, ==, 0);
  wait_until ((row = find_file_row (fixture, watch.name)) != NULL
              && !gtk_widget_get_visible (GTK_WIDGET (transfer_bar_of (row)))
              && shows_button (row, "file.open") && shows_button (row, "file.save-as"));
  g_signal_handlers_disconnect_by_data (attachment, &watch);

  /* Save As, through the file chooser (GTK's own here, the portal's in
   * a sandbox). */
  g_assert_true (gtk_widget_activate_action (row, "file.save-as", NULL));
  chooser = wait_for_file_chooser ();
  /* The dialog loads its first folder after it is shown. */
  run_main_loop_for (1000);
  g_assert_true (gtk_file_chooser_set_current_folder (chooser, folder, NULL));
  gtk_file_chooser_set_current_name (chooser, "kept.bin");
  wait_until (chooser_has_file (chooser, saved));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  wait_until (g_file_test (saved_path, G_FILE_TEST_EXISTS) && find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) == NULL);
  wait_until ((g_free (saved_sha256), saved_sha256 = sha256_of_file (saved_path), g_str_equal (saved_sha256, sent_sha256)));
}

/* Open: a downloaded file goes to the desktop's default application for
 * its type, a real process (the test opener), which gets the file
 * decrypted, whole. */
static void
test_attachments_open (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *file_path = temp_path ("notes.txt");
  g_autofree char *record = g_build_filename (desktop_dir, OPENED_RECORD, NULL);
  g_autofree char *opened = NULL;
  SottoAttachment *attachment;
  GtkWidget *row;

  g_assert_true (g_file_set_contents (file_path, "Notes to open, and nothing else\n", -1, NULL));
  start (fixture);
  g_free (run_cli (fixture, "send", "alice", "Read this", "--attach", file_path, NULL));

  wait_until ((row = find_file_row (fixture, "notes.txt")) != NULL);
  attachment = sotto_file_row_get_attachment (SOTTO_FILE_ROW (row));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, "notes.txt")), "transfer.retry", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_READY);
  wait_until ((row = find_file_row (fixture, "notes.txt")) != NULL && shows_button (row, "file.open"));

  g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
  g_assert_true (gtk_widget_activate_action (row, "file.open", NULL));
  wait_until (g_file_test (record, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (record, &opened, NULL, NULL));
  g_assert_cmpstr (opened, ==, "Notes to open, and nothing else\n");
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }

  return NULL;
}

/* What Bob's sotto-cli receives, one JSON object a line. */
static GPtrArray *
bob_receives (Fixture    *fixture,
              const char *download_dir)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *output = run_cli (fixture, "--json", "receive", "--timeout", "2", "--download-dir", download_dir, NULL);
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (lines[i][0] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      g_ptr_array_add (events, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
    }

  return g_steal_pointer (&events);
}

static gboolean
shows_upload (GtkWidget     *widget,
              gconstpointer  data)
{
  return SOTTO_IS_TRANSFER_BAR (widget) && gtk_widget_get_mapped (widget)
         && sotto_transfer_bar_get_state (SOTTO_TRANSFER_BAR (widget)) == SOTTO_ATTACHMENT_STATE_UPLOADING
         && gtk_widget_get_mapped (app_test_find_widget (widget, GTK_TYPE_PROGRESS_BAR));
}

/* Alice drops a file on the conversation and pastes a picture into the
 * composer, writes a caption and sends: the upload shows its progress,
 * and Bob gets both files, whole, with the caption. */
static void
test_attachments_send (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *file_path = make_file ("notes.bin", BIG_FILE_SIZE);
  g_autofree char *sent_sha256 = sha256_of_file (file_path);
  g_autofree char *download_dir = g_dir_make_tmp ("sotto-bob-XXXXXX", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (file_path);
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 48);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GPtrArray) events = NULL;
  GSList files = { .data = file, .next = NULL };
  g_auto(GValue) value = G_VALUE_INIT;
  SottoAttachmentTray *tray;
  GtkWidget *view;
  GtkWidget *text_view;
  g_autofree char *pasted = NULL;
  GStatBuf st;
  JsonObject *message = NULL;
  JsonArray *attachments;
  gboolean dropped = FALSE;
  gboolean saw_upload = FALSE;

  start (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  tray = SOTTO_ATTACHMENT_TRAY (find_any (view, SOTTO_TYPE_ATTACHMENT_TRAY));
  text_view = app_test_find_widget (view, GTK_TYPE_TEXT_VIEW);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (tray)));

  /* A drop of files on the conversation, as GTK delivers it. */
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_set_boxed (&value, &files);
  g_signal_emit_by_name (find_drop_target (view), "drop", &value, 10.0, 10.0, &dropped);
  g_assert_true (dropped);
  g_assert_cmpuint (sotto_attachment_tray_get_n_files (tray), ==, 1);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (tray)));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (tray), "notes.bin"));

  /* A picture on the clipboard, pasted with Ctrl+V into the composer,
   * becomes a PNG file in the private folder in memory. */
  gdk_pixbuf_fill (pixbuf, 0x26a269ff);
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (text_view), texture);
  gtk_widget_grab_focus (text_view);
  app_test_press (GTK_WINDOW (fixture->window), "ctrl+v");
  wait_until (sotto_attachment_tray_get_n_files (tray) == 2);
  pasted = g_file_get_path (sotto_attachment_tray_get_file (tray, 1));
  g_assert_true (g_str_has_prefix (pasted, runtime_dir));
  g_assert_cmpint (g_stat (pasted, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* The caption is the composer's text; the upload shows its progress. */
  send_from_composer (fixture, "Notes and a picture");
  g_assert_cmpuint (sotto_attachment_tray_get_n_files (tray), ==, 0);
  wait_until ((saw_upload |= app_test_find_matching (view, shows_upload, NULL) != NULL,
               last_message_is (fixture, "Notes and a picture", SOTTO_MESSAGE_STATE_SENT)));
  g_assert_true (saw_upload);
  wait_until (app_test_find_matching (view, shows_upload, NULL) == NULL);
  /* The pasted picture's plaintext went once it was sent. */
  wait_until (!g_file_test (pasted, G_FILE_TEST_EXISTS));

  events = bob_receives (fixture, download_dir);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "text", NULL), "Notes and a picture") == 0)
        message = event;
    }
  g_assert_nonnull (message);
  attachments = json_object_get_array_member (message, "attachments");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (attachments, 0), "name"), ==, "notes.bin");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (attachments, 0), "sha256"), ==,
                   sent_sha256);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (attachments, 1), "name"), ==,
                   "Pasted Image.png");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (attachments, 1), "type"), ==,
                   "image/png");
}

static gboolean
is_outgoing_file_row (GtkWidget     *widget,
                      gconstpointer  name)
{
  return is_file_row_named (widget, name)
         && sotto_attachment_get_outgoing (sotto_file_row_get_attachment (SOTTO_FILE_ROW (widget)));
}

/* An upload cancelled on its way fails with Retry, which uploads the
 * rest with its progress shown, and the message goes. */
static void
test_attachments_upload_retry (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *file_path = make_file ("slides.bin", BIG_FILE_SIZE);
  g_autofree char *sent_sha256 = sha256_of_file (file_path);
  g_autofree char *download_dir = g_dir_make_tmp ("sotto-bob-XXXXXX", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (file_path);
  g_autoptr(GPtrArray) events = NULL;
  Watch watch = { fixture, "slides.bin", 0, 0 };
  SottoAttachment *attachment = NULL;
  SottoAttachmentTray *tray;
  GtkWidget *view;
  GtkWidget *row = NULL;
  JsonObject *attached = NULL;

  start (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  tray = SOTTO_ATTACHMENT_TRAY (find_any (view, SOTTO_TYPE_ATTACHMENT_TRAY));
  g_assert_true (sotto_attachment_tray_add_file (tray, file));
  send_from_composer (fixture, "The slides");

  wait_until ((row = app_test_find_matching (view, is_outgoing_file_row, "slides.bin")) != NULL);
  attachment = g_object_ref (sotto_file_row_get_attachment (SOTTO_FILE_ROW (row)));
  g_signal_connect_after (attachment, "notify::progress", G_CALLBACK (progress_cb), &watch);
  wait_until (watch.mid_way > 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.cancel", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_FAILED);
  wait_until ((row = find_file_row (fixture, watch.name)) != NULL && shows_button (row, "transfer.retry"));
  g_assert_true (last_message_is (fixture, "The slides", SOTTO_MESSAGE_STATE_QUEUED));

  watch.mid_way = 0;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.retry", NULL));
  wait_until (sotto_attachment_get_state (attachment) != SOTTO_ATTACHMENT_STATE_FAILED);
  wait_until (sotto_attachment_get_state (attachment) != SOTTO_ATTACHMENT_STATE_UPLOADING);
  g_assert_cmpstr (sotto_attachment_get_error (attachment), ==, NULL);
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_SENT);
  g_assert_cmpuint (watch.mid_way, >, 0);
  g_assert_cmpuint (watch.mismatched, ==, 0);
  wait_until (last_message_is (fixture, "The slides", SOTTO_MESSAGE_STATE_SENT));
  g_signal_handlers_disconnect_by_data (attachment, &watch);
  g_object_unref (attachment);

  events = bob_receives (fixture, download_dir);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "text", NULL), "The slides") == 0)
        attached = json_array_get_object_element (json_object_get_array_member (event, "attachments"), 0);
    }
  g_assert_nonnull (attached);
  g_assert_cmpstr (json_object_get_string_member (attached, "sha256"), ==, sent_sha256);
}

/* Sends a file of BIG_FILE_SIZE bytes named as @watch says from the
 * composer with @caption, and kills the relay once its upload moves:
 * the upload fails.  Returns the model of the file's row, which @watch
 * follows. */
static SottoAttachment *
send_until_relay_dies (Fixture    *fixture,
                       const char *caption,
                       Watch      *watch)
{
  g_autofree char *file_path = make_file (watch->name, BIG_FILE_SIZE);
  g_autoptr(GFile) file = g_file_new_for_path (file_path);
  GtkWidget *view = GTK_WIDGET (conversation_view (fixture));
  SottoAttachmentTray *tray = SOTTO_ATTACHMENT_TRAY (find_any (view, SOTTO_TYPE_ATTACHMENT_TRAY));
  GtkWidget *row = NULL;
  SottoAttachment *attachment;

  g_assert_true (sotto_attachment_tray_add_file (tray, file));
  send_from_composer (fixture, caption);

  wait_until ((row = app_test_find_matching (view, is_outgoing_file_row, watch->name)) != NULL);
  attachment = g_object_ref (sotto_file_row_get_attachment (SOTTO_FILE_ROW (row)));
  g_signal_connect_after (attachment, "notify::progress", G_CALLBACK (progress_cb), watch);
  wait_until (watch->mid_way > 0);
  test_relay_kill (fixture->relay);
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_FAILED);

  return attachment;
}

/* An upload cut short by the relay going away resumes by itself when
 * the relay is back, with its progress and Cancel on the file's row;
 * cancelled there, it fails with Retry, and its message waits; Retry
 * sends it. */
static void
test_attachments_resumed_cancel (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  Watch watch = { fixture, "minutes.bin", 0, 0 };
  SottoAttachment *attachment = NULL;
  GtkWidget *row = NULL;

  start (fixture);
  attachment = send_until_relay_dies (fixture, "The minutes", &watch);

  /* Back, the relay gets the rest without being asked, and the row
   * shows it going, with Cancel. */
  watch.mid_way = 0;
  test_relay_restart (fixture->relay);
  wait_until (watch.mid_way > 0);
  g_assert_cmpuint (watch.mismatched, ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.cancel", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_FAILED);
  wait_until ((row = find_file_row (fixture, watch.name)) != NULL && shows_button (row, "transfer.retry"));
  g_assert_false (shows_button (row, "transfer.cancel"));
  g_assert_cmpfloat (sotto_attachment_get_progress (attachment), <, 1.);
  g_assert_true (last_message_is (fixture, "The minutes", SOTTO_MESSAGE_STATE_QUEUED));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.retry", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_SENT);
  wait_until (last_message_is (fixture, "The minutes", SOTTO_MESSAGE_STATE_SENT));
  g_signal_handlers_disconnect_by_data (attachment, &watch);
  g_object_unref (attachment);
}

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *flushed = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (sotto_messenger_flush_finish (SOTTO_MESSENGER (object), result, &error));
  g_assert_no_error (error);
  *flushed = TRUE;
}

/* Once Alice's relay is back: waits until what her messenger resumes by
 * itself as it connects, and a flush would resume, is done. */
static void
alice_flushes (Fixture *fixture)
{
  SottoMessenger *messenger = sotto_window_get_messenger (fixture->window);
  gboolean flushed = FALSE;

  wait_until (sotto_messenger_get_connection (messenger) == SOTTO_RELAY_CONNECTION_CONNECTED);
  sotto_messenger_flush_async (messenger, NULL, flushed_cb, &flushed);
  wait_until (flushed);
}

/* The outgoing file row named @name of the conversation with @uuid,
 * opened in a window opened again, once it shows @action_name. */
static SottoAttachment *
reopened_attachment (Fixture    *fixture,
                     const char *uuid,
                     const char *name,
                     const char *action_name)
{
  GtkWidget *row = NULL;

  reopen_alice (fixture);
  g_assert_true (sotto_window_open_conversation (fixture->window, uuid));
  wait_until ((row = app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_outgoing_file_row, name))
              != NULL && shows_button (row, action_name));

  return g_object_ref (sotto_file_row_get_attachment (SOTTO_FILE_ROW (row)));
}

/* An upload cut short by the relay going away waits for it: the window
 * opened again meanwhile shows the file uploading, with Cancel, though
 * nothing moves.  Cancelled there, it fails with Retry, and holds: when
 * the relay is back nothing resumes it, nor once the window is opened
 * again, and its message waits.  Retry sends it. */
static void
test_attachments_waiting_cancel (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *download_dir = g_dir_make_tmp ("sotto-bob-XXXXXX", NULL);
  g_autofree char *bob_uuid = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GPtrArray) events = NULL;
  Watch watch = { fixture, "agenda.bin", 0, 0 };
  SottoAttachment *attachment = NULL;
  GtkWidget *row = NULL;

  start (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (open_conversation (fixture))));
  attachment = send_until_relay_dies (fixture, "The agenda", &watch);
  g_signal_handlers_disconnect_by_data (attachment, &watch);
  g_clear_object (&attachment);

  attachment = reopened_attachment (fixture, bob_uuid, watch.name, "transfer.cancel");
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_UPLOADING);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.cancel", NULL));
  wait_until ((row = find_file_row (fixture, watch.name)) != NULL && shows_button (row, "transfer.retry"));
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  reason = g_strdup (sotto_attachment_get_error (attachment));
  g_assert_nonnull (app_test_find_label (row, reason));

  test_relay_restart (fixture->relay);
  alice_flushes (fixture);
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  g_assert_false (last_message_is (fixture, "The agenda", SOTTO_MESSAGE_STATE_SENT));
  g_clear_object (&attachment);

  /* The window opened again says why, as the store kept it. */
  attachment = reopened_attachment (fixture, bob_uuid, watch.name, "transfer.retry");
  g_assert_nonnull (app_test_find_label (find_file_row (fixture, watch.name), reason));
  alice_flushes (fixture);
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  g_assert_true (last_message_is (fixture, "The agenda", SOTTO_MESSAGE_STATE_QUEUED));
  g_assert_false (last_message_is (fixture, "The agenda", SOTTO_MESSAGE_STATE_SENT));
  events = bob_receives (fixture, download_dir);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpstr (json_object_get_string_member_with_default (g_ptr_array_index (events, i), "text", NULL), !=,
                     "The agenda");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (file_transfer_bar (fixture, watch.name)), "transfer.retry", NULL));
  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_SENT);
  wait_until (last_message_is (fixture, "The agenda", SOTTO_MESSAGE_STATE_SENT));
  g_object_unref (attachment);
}

/* With the relay gone, nothing can be stored: the file and the caption
 * come back to the composer, and nothing the user typed is lost. */
static void
test_attachments_give_back (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *file_path = make_file ("draft.txt", 4096);
  g_autoptr(GFile) file = g_file_new_for_path (file_path);
  g_autofree char *text = NULL;
  SottoAttachmentTray *tray;
  GtkFileChooser *chooser;
  GtkWidget *view;

  start (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  tray = SOTTO_ATTACHMENT_TRAY (find_any (view, SOTTO_TYPE_ATTACHMENT_TRAY));

  test_relay_kill (fixture->relay);

  /* Attached through the file chooser (GTK's own here, the portal's
   * in a sandbox). */
  g_assert_true (gtk_widget_activate_action (view, "attachments.attach", NULL));
  chooser = wait_for_file_chooser ();
  run_main_loop_for (1000);
  g_assert_true (gtk_file_chooser_set_file (chooser, file, NULL));
  wait_until (chooser_has_file (chooser, file));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  wait_until (sotto_attachment_tray_get_n_files (tray) == 1);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (tray)));

  send_from_composer (fixture, "Here is the draft");
  g_assert_cmpuint (sotto_attachment_tray_get_n_files (tray), ==, 0);
  wait_until (sotto_attachment_tray_get_n_files (tray) == 1);
  g_assert_true (g_file_equal (sotto_attachment_tray_get_file (tray, 0), file));
  text = composer_text (fixture);
  g_assert_cmpstr (text, ==, "Here is the draft");

  test_relay_restart (fixture->relay);
}

/* A stranger's picture is a message request: it is never downloaded
 * by itself, whatever the preferences say, until Alice accepts. */
static void
test_attachments_request (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *picture_path = make_picture ("stranger.png", 400, 300);
  g_autofree char *carol = page_test_make_profile ();
  SottoConversationList *conversations;
  SottoConversation *conversation = NULL;
  SottoAttachmentPicture *picture;
  SottoAttachment *attachment;

  start (fixture);
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  g_free (run_cli_as (carol, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  g_free (run_cli_as (carol, "send", "alice", "Hello, is this Alice?", "--attach", picture_path, NULL));

  wait_until ((conversation = sotto_conversation_list_find_by_username (conversations, "carol")) != NULL);
  g_assert_cmpint (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)), ==,
                   SOTTO_CONTACT_STANDING_REQUEST);
  sotto_window_open_conversation (fixture->window, sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  wait_until (find_picture (fixture, "stranger.png") != NULL);
  picture = SOTTO_ATTACHMENT_PICTURE (find_picture (fixture, "stranger.png"));
  attachment = sotto_attachment_picture_get_attachment (picture);
  g_assert_nonnull (sotto_attachment_picture_get_thumbnail (picture));

  /* Time enough for a download of 400 × 300 pixels many times over. */
  run_main_loop_for (2000);
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_AVAILABLE);
  g_assert_true (shows_button (GTK_WIDGET (picture), "transfer.retry"));
}

static gboolean
is_spin_button (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_SPIN_BUTTON (widget) && gtk_widget_get_mapped (widget);
}

/* The switch of the preferences row titled @title. */
static GtkWidget *
switch_of_row (GtkWidget  *root,
               const char *title)
{
  GtkWidget *label = app_test_find_label (root, title);
  GtkWidget *row = label != NULL ? gtk_widget_get_ancestor (label, ADW_TYPE_ACTION_ROW) : NULL;

  return row != NULL ? app_test_find_widget (row, GTK_TYPE_SWITCH) : NULL;
}

static guint64
auto_download_size (Fixture *fixture)
{
  guint64 size = 0;

  g_object_get (sotto_window_get_messenger (fixture->window), "auto-download-size", &size, NULL);

  return size;
}

/* The switch and the size in Preferences set what the messenger
 * downloads by itself. */
static void
test_attachments_preferences (Fixture       *fixture,
                              gconstpointer  user_data)
{
  GtkWindow *preferences = NULL;
  GtkWidget *auto_switch;
  GtkWidget *size_button;

  start (fixture);
  g_assert_cmpuint (auto_download_size (fixture), ==, 10 * 1024 * 1024);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW)) != NULL
              && gtk_widget_get_mapped (GTK_WIDGET (preferences)));
  auto_switch = switch_of_row (GTK_WIDGET (preferences), "_Download Pictures Automatically");
  size_button = app_test_find_matching (GTK_WIDGET (preferences), is_spin_button, NULL);
  g_assert_nonnull (auto_switch);
  g_assert_nonnull (size_button);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (auto_switch)));
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (size_button)), ==, 10);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (size_button), 3);
  wait_until (auto_download_size (fixture) == 3 * 1024 * 1024);

  /* Off: nothing comes down by itself, and the size is not to be set. */
  gtk_switch_set_active (GTK_SWITCH (auto_switch), FALSE);
  wait_until (auto_download_size (fixture) == 0);
  g_assert_false (gtk_widget_is_sensitive (size_button));
  g_assert_false (g_settings_get_boolean (sotto_application_get_settings (fixture->app), "auto-download-pictures"));

  gtk_window_destroy (preferences);
}

/* A picture from the other side is decoded no larger than it may take:
 * a small file that declares a huge picture cannot exhaust memory. */
static void
test_attachments_bounded_picture (void)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8000, 2000);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *buffer = NULL;
  gsize length = 0;

  gdk_pixbuf_fill (pixbuf, 0xe01b24ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "png", &error, NULL));
  g_assert_cmpuint (length, <, 64 * 1024);
  png = g_bytes_new (buffer, length);

  texture = sotto_attachment_files_load_picture (png, 240, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 240);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 60);

  g_clear_object (&texture);
  g_clear_pointer (&png, g_bytes_unref);
  png = g_bytes_new_static ("\x89PNG\r\n\x1a\n garbage", 17);
  g_assert_null (sotto_attachment_files_load_picture (png, 240, &error));
  g_assert_nonnull (error);
}

static void
long_pressed_cb (GtkGestureLongPress *gesture,
                 double               x,
                 double               y,
                 gboolean            *long_pressed)
{
  *long_pressed = TRUE;
}

/* The long-press gesture of a widget above @widget. */
static GtkGesture *
find_long_press (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

          if (GTK_IS_GESTURE_LONG_PRESS (controller))
            return GTK_GESTURE (controller);
        }
    }

  return NULL;
}

/* Download held down long enough for a long press, through the X
 * server, is a click on Download and nothing else: the message's menu
 * stays closed, and the file comes down when the button is let go.  The
 * message has no text, and its menu offers none to copy. */
static void
test_attachments_download_click (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *file_path = make_file ("minutes.bin", 4096);
  SottoAttachment *attachment;
  GtkWidget *message_row;
  GtkWidget *download;
  GtkWidget *row;
  GtkWidget *menu;
  GtkGesture *long_press;
  gboolean long_pressed = FALSE;

  start (fixture);
  g_free (run_cli (fixture, "send", "alice", "", "--attach", file_path, NULL));

  wait_until ((row = find_file_row (fixture, "minutes.bin")) != NULL && shows_button (row, "transfer.retry"));
  attachment = sotto_file_row_get_attachment (SOTTO_FILE_ROW (row));
  message_row = gtk_widget_get_ancestor (row, SOTTO_TYPE_MESSAGE_ROW);
  download = find_button (row, "transfer.retry");
  long_press = find_long_press (download);
  g_assert_nonnull (long_press);
  g_signal_connect_after (long_press, "pressed", G_CALLBACK (long_pressed_cb), &long_pressed);

  app_test_hold (download);
  wait_until (long_pressed);
  menu = app_test_find_widget (message_row, GTK_TYPE_POPOVER_MENU);
  g_assert_true (menu == NULL || !gtk_widget_get_visible (menu));
  app_test_release (download);
  g_signal_handlers_disconnect_by_data (long_press, &long_pressed);

  wait_until (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_READY);
  wait_until ((row = find_file_row (fixture, "minutes.bin")) != NULL && shows_button (row, "file.open"));
  menu = app_test_find_widget (message_row, GTK_TYPE_POPOVER_MENU);
  g_assert_true (menu == NULL || !gtk_widget_get_visible (menu));

  g_assert_true (gtk_widget_activate_action (message_row, "message.show-menu", NULL));
  wait_until ((menu = app_test_find_widget (message_row, GTK_TYPE_POPOVER_MENU)) != NULL
              && gtk_widget_get_mapped (menu));
  g_assert_nonnull (app_test_find_label (menu, "Copy _Time"));
  g_assert_null (app_test_find_label (menu, "_Copy Text"));
  gtk_popover_popdown (GTK_POPOVER (menu));
}

/* The image of the composer's chip for the file named @name. */
static GtkImage *
chip_image (SottoAttachmentTray *tray,
            const char          *name)
{
  GtkWidget *label = app_test_find_label (GTK_WIDGET (tray), name);

  g_assert_nonnull (label);

  return GTK_IMAGE (app_test_find_widget (gtk_widget_get_parent (label), GTK_TYPE_IMAGE));
}

static gboolean
shows_thumbnail (SottoAttachmentTray *tray,
                 const char          *name)
{
  return gtk_image_get_storage_type (chip_image (tray, name)) == GTK_IMAGE_PAINTABLE;
}

/* A picture waiting in the composer shows a small thumbnail of itself,
 * read off the main thread and no larger than the chip needs: the chip
 * has its icon until then, as a file that is no picture keeps its own.
 * The thumbnail stays with the file when the tray changes. */
static void
test_attachments_tray_thumbnail (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *picture_path = make_picture ("summit.png", 1200, 800);
  g_autofree char *notes_path = make_file ("notes.bin", 4096);
  g_autoptr(GFile) picture = g_file_new_for_path (picture_path);
  g_autoptr(GFile) notes = g_file_new_for_path (notes_path);
  SottoAttachmentTray *tray;
  GdkPaintable *thumbnail;

  start (fixture);
  tray = SOTTO_ATTACHMENT_TRAY (find_any (GTK_WIDGET (conversation_view (fixture)), SOTTO_TYPE_ATTACHMENT_TRAY));
  g_assert_true (sotto_attachment_tray_add_file (tray, notes));
  g_assert_true (sotto_attachment_tray_add_file (tray, picture));
  g_assert_false (shows_thumbnail (tray, "summit.png"));
  g_assert_false (shows_thumbnail (tray, "notes.bin"));

  wait_until (shows_thumbnail (tray, "summit.png"));
  thumbnail = gtk_image_get_paintable (chip_image (tray, "summit.png"));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (thumbnail), <=, 96);
  /* 3:2, to a pixel. */
  g_assert_cmpint (ABS (gdk_paintable_get_intrinsic_width (thumbnail) * 2
                        - gdk_paintable_get_intrinsic_height (thumbnail) * 3), <=, 3);
  g_assert_false (shows_thumbnail (tray, "notes.bin"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (tray), "tray.remove", "u", 0));
  g_assert_cmpuint (sotto_attachment_tray_get_n_files (tray), ==, 1);
  g_assert_true (shows_thumbnail (tray, "summit.png"));
  g_assert_true (gtk_image_get_paintable (chip_image (tray, "summit.png")) == thumbnail);
}

/* Whether the message menu of @message_row is open. */
static gboolean
menu_is_open (GtkWidget *message_row)
{
  GtkWidget *menu = app_test_find_widget (message_row, GTK_TYPE_POPOVER_MENU);

  return menu != NULL && gtk_widget_get_mapped (menu);
}

static void
close_menu (GtkWidget *message_row)
{
  GtkWidget *menu = app_test_find_widget (message_row, GTK_TYPE_POPOVER_MENU);

  gtk_popover_popdown (GTK_POPOVER (menu));
  wait_until (!menu_is_open (message_row));
}

/* A picture in a conversation is the message, as its bubble is: a right
 * click on it, a long press, or the Menu key while it has the focus,
 * opens the message's menu, and a long press opens no viewer. */
static void
test_attachments_picture_menu (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *picture_path = make_picture ("crag.png", 600, 400);
  GtkWidget *picture;
  GtkWidget *button;
  GtkWidget *message_row;

  start (fixture);
  g_free (run_cli (fixture, "send", "alice", "The crag", "--attach", picture_path, NULL));
  wait_until ((picture = find_picture (fixture, "crag.png")) != NULL
              && sotto_attachment_get_state (sotto_attachment_picture_get_attachment (SOTTO_ATTACHMENT_PICTURE (picture)))
                 == SOTTO_ATTACHMENT_STATE_READY);
  wait_until ((picture = find_picture (fixture, "crag.png")) != NULL
              && !gtk_widget_get_visible (GTK_WIDGET (transfer_bar_of (picture))));
  message_row = gtk_widget_get_ancestor (picture, SOTTO_TYPE_MESSAGE_ROW);
  button = find_button (picture, "picture.activate");

  app_test_right_click (button);
  wait_until (menu_is_open (message_row));
  g_assert_nonnull (app_test_find_label (app_test_find_widget (message_row, GTK_TYPE_POPOVER_MENU), "_Copy Text"));
  close_menu (message_row);

  app_test_hold (button);
  wait_until (menu_is_open (message_row));
  app_test_release (button);
  close_menu (message_row);
  run_main_loop_for (500);
  g_assert_null (find_toplevel (SOTTO_TYPE_IMAGE_VIEWER));

  /* The menu gives the focus back as it closes: the picture takes it
   * once that is done. */
  picture = find_picture (fixture, "crag.png");
  message_row = gtk_widget_get_ancestor (picture, SOTTO_TYPE_MESSAGE_ROW);
  button = find_button (picture, "picture.activate");
  g_assert_true (gtk_widget_grab_focus (button));
  wait_until (gtk_window_get_focus (GTK_WINDOW (fixture->window)) == button);
  app_test_press (GTK_WINDOW (fixture->window), "Menu");
  wait_until (menu_is_open (message_row));
  close_menu (message_row);
}

int
main (int   argc,
      char *argv[])
{
  runtime_dir = g_dir_make_tmp ("sotto-runtime-XXXXXX", NULL);
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);
  desktop_dir = g_dir_make_tmp ("sotto-desktop-XXXXXX", NULL);
  install_opener ();

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/attachments/bounded-picture", test_attachments_bounded_picture);
  g_test_add ("/app/attachments/picture", Fixture, NULL,
              fixture_set_up, test_attachments_picture, fixture_tear_down);
  g_test_add ("/app/attachments/picture-progress", Fixture, NULL,
              fixture_set_up, test_attachments_picture_progress, fixture_tear_down);
  g_test_add ("/app/attachments/file", Fixture, NULL,
              fixture_set_up, test_attachments_file, fixture_tear_down);
  g_test_add ("/app/attachments/download-click", Fixture, NULL,
              fixture_set_up, test_attachments_download_click, fixture_tear_down);
  g_test_add ("/app/attachments/open", Fixture, NULL,
              fixture_set_up, test_attachments_open, fixture_tear_down);
  g_test_add ("/app/attachments/send", Fixture, NULL,
              fixture_set_up, test_attachments_send, fixture_tear_down);
  g_test_add ("/app/attachments/upload-retry", Fixture, NULL,
              fixture_set_up, test_attachments_upload_retry, fixture_tear_down);
  g_test_add ("/app/attachments/resumed-cancel", Fixture, NULL,
              fixture_set_up, test_attachments_resumed_cancel, fixture_tear_down);
  g_test_add ("/app/attachments/waiting-cancel", Fixture, NULL,
              fixture_set_up, test_attachments_waiting_cancel, fixture_tear_down);
  g_test_add ("/app/attachments/give-back", Fixture, NULL,
              fixture_set_up, test_attachments_give_back, fixture_tear_down);
  g_test_add ("/app/attachments/request", Fixture, NULL,
              fixture_set_up, test_attachments_request, fixture_tear_down);
  g_test_add ("/app/attachments/preferences", Fixture, NULL,
              fixture_set_up, test_attachments_preferences, fixture_tear_down);
  g_test_add ("/app/attachments/tray-thumbnail", Fixture, NULL,
              fixture_set_up, test_attachments_tray_thumbnail, fixture_tear_down);
  g_test_add ("/app/attachments/picture-menu", Fixture, NULL,
              fixture_set_up, test_attachments_picture_menu, fixture_tear_down);

  return g_test_run ();
}
