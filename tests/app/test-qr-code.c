/* test-qr-code.c: the QR code renders crisply and scans back to its data
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "protocol-test-util.h"
#include "sotto-qr-code.h"

/* The scannable safety number of the spec's first fingerprint vector:
 * binary protobuf, so it exercises 8-bit mode with NUL bytes inside. */
static const char scannable_hex[] =
  "080212220a20a2ccff675d002afbb83f4aa0e716d656db04d4165e9ef837b97d031a0bb9c343"
  "1a220a203fa2d0b8d5cea6d48eb86cec83f10c76a3958f129361175da88c573ba78296f1";

static void
wait_for_map (GtkWidget *widget)
{
  while (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) == 0)
    g_main_context_iteration (NULL, TRUE);
}

/* Renders @widget the way the window would and returns the texture. */
static GdkTexture *
render_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);

  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static void
assert_only_black_and_white (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = width * 4;
  g_autofree guchar *pixels = g_malloc (stride * height);
  gsize dark = 0;

  gdk_texture_download (texture, pixels, stride);

  /* Anti-aliased module edges would show up as grey pixels and make the
   * code harder to scan from a photo of the screen. */
  for (gsize i = 0; i < stride * height; i += 4)
    {
      guchar b = pixels[i], g = pixels[i + 1], r = pixels[i + 2];

      g_assert_true ((r == 0 && g == 0 && b == 0) || (r == 255 && g == 255 && b == 255));
      dark += r == 0;
    }

  g_assert_cmpuint (dark, >, 0);
}

static GBytes *
scan_texture (GdkTexture *texture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) zbarimg = NULL;
  g_autoptr(GBytes) output = NULL;
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("sotto-qr-XXXXXX.png", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (gdk_texture_save_to_png (texture, path));

  /* zbarimg is an independent decoder: what it reads is what a phone's
   * camera would read. -Sbinary keeps the bytes as they are. */
  zbarimg = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              "zbarimg", "--quiet", "--raw", "-Sbinary", path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (zbarimg, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (zbarimg));
  g_unlink (path);

  g_assert_cmpuint (g_bytes_get_size (output), >, 0);
  return g_steal_pointer (&output);
}

static void
test_qr_code_scans_at_any_size (void)
{
  static const int sizes[] = { 120, 333, 640 };
  g_autoptr(GBytes) data = test_bytes_from_hex (scannable_hex);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      GtkWindow *window = GTK_WINDOW (gtk_window_new ());
      GtkWidget *qr = sotto_qr_code_new ();
      g_autoptr(GdkTexture) texture = NULL;
      g_autoptr(GBytes) scanned = NULL;

      sotto_qr_code_set_data (SOTTO_QR_CODE (qr), data);
      gtk_widget_set_size_request (qr, sizes[i], sizes[i]);
      gtk_window_set_child (window, qr);
      gtk_window_present (window);
      wait_for_map (qr);

      g_assert_cmpuint (sotto_qr_code_get_modules (SOTTO_QR_CODE (qr)), >=, 21);

      texture = render_widget (qr);
      assert_only_black_and_white (texture);
      scanned = scan_texture (texture);
      g_assert_cmpmem (g_bytes_get_data (scanned, NULL), g_bytes_get_size (scanned),
                       g_bytes_get_data (data, NULL), g_bytes_get_size (data));

      gtk_window_destroy (window);
    }
}

static void
test_qr_code_notifies_once (void)
{
  g_autoptr(GBytes) data = test_bytes_from_hex (scannable_hex);
  g_autoptr(GBytes) same = test_bytes_from_hex (scannable_hex);
  g_autoptr(GBytes) short_data = g_bytes_new_static ("short", 5);
  g_autoptr(GBytes) other_short_data = g_bytes_new_static ("other", 5);
  GtkWidget *qr = g_object_ref_sink (sotto_qr_code_new ());
  guint notified = 0;
  guint modules_notified = 0;
  guint modules;

  g_signal_connect_swapped (qr, "notify::data", G_CALLBACK (g_atomic_int_inc), &notified);
  g_signal_connect_swapped (qr, "notify::modules", G_CALLBACK (g_atomic_int_inc), &modules_notified);

  sotto_qr_code_set_data (SOTTO_QR_CODE (qr), data);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (modules_notified, ==, 1);
  /* Equal bytes are no change. */
  sotto_qr_code_set_data (SOTTO_QR_CODE (qr), same);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (modules_notified, ==, 1);

  /* Other data of the same length makes a symbol of the same size: the
   * data changes, the size does not. */
  sotto_qr_code_set_data (SOTTO_QR_CODE (qr), short_data);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (modules_notified, ==, 2);
  modules = sotto_qr_code_get_modules (SOTTO_QR_CODE (qr));
  sotto_qr_code_set_data (SOTTO_QR_CODE (qr), other_short_data);
  g_assert_cmpuint (notified, ==, 3);
  g_assert_cmpuint (sotto_qr_code_get_modules (SOTTO_QR_CODE (qr)), ==, modules);
  g_assert_cmpuint (modules_notified, ==, 2);

  sotto_qr_code_set_data (SOTTO_QR_CODE (qr), NULL);
  g_assert_cmpuint (notified, ==, 4);
  g_assert_cmpuint (modules_notified, ==, 3);
  g_assert_cmpuint (sotto_qr_code_get_modules (SOTTO_QR_CODE (qr)), ==, 0);

  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (qr), GTK_ACCESSIBLE_ROLE_IMG);
  g_assert_finalize_object (qr);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/qr-code/scans-at-any-size", test_qr_code_scans_at_any_size);
  g_test_add_func ("/app/qr-code/notifies-once", test_qr_code_notifies_once);

  return g_test_run ();
}
