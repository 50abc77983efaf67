/* test-bubble-style.c: what is drawn in the user's own bubble can be read
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real message row for an outgoing message, under the app's style
 * sheet and libadwaita's, with an upload's progress bar in its bubble
 * as the file rows put it there: the progress text and the bar meet
 * WCAG's contrast against the bubble (4.5:1 for the text, 3:1 for the
 * bar), measured on the pixels GTK renders.
 */

#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "app-test-util.h"
#include "sotto-message-private.h"
#include "sotto-message-row.h"

static void
count_paint_cb (GdkFrameClock *clock,
                guint         *n_paints)
{
  (*n_paints)++;
}

/* Waits until @widget's window has drawn itself anew, with whatever
 * changed before the call.  The first paint can be one that had begun
 * already, which takes the draw asked for into it; nothing else here
 * animates, so the second is asked for only once the first is done
 * (app_test_wait_for_paint() asks once, and can wait for ever). */
static void
wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  guint n_paints = 0;
  gulong handler;

  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (count_paint_cb), &n_paints);
  for (guint wanted = 1; wanted <= 2; wanted++)
    {
      gtk_widget_queue_draw (GTK_WIDGET (gtk_widget_get_root (widget)));
      app_test_wait_until (n_paints >= wanted);
    }
  g_signal_handler_disconnect (clock, handler);
}

static gboolean
is_bubble (GtkWidget     *widget,
           gconstpointer  data)
{
  return GTK_IS_BOX (widget) && gtk_widget_has_css_class (widget, "bubble");
}

static double
channel_luminance (guint8 value)
{
  double c = value / 255.0;

  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

/* WCAG's relative luminance of a pixel in Cairo's B, G, R order. */
static double
luminance (const guint8 *pixel)
{
  return 0.2126 * channel_luminance (pixel[2]) + 0.7152 * channel_luminance (pixel[1])
         + 0.0722 * channel_luminance (pixel[0]);
}

static double
contrast (const guint8 *a,
          const guint8 *b)
{
  double la = luminance (a);
  double lb = luminance (b);

  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

/* The highest contrast against the bubble of any pixel of @widget in
 * rows @y_from to @y_to of its own, in a rendering of @bubble. */
static double
highest_contrast (GtkWidget *bubble,
                  GtkWidget *widget,
                  int        y_from,
                  int        y_to)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (bubble);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  int width = gtk_widget_get_width (bubble);
  int height = gtk_widget_get_height (bubble);
  graphene_rect_t bounds;
  const guint8 *background;
  double highest = 1;

  wait_for_frame (bubble);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (bubble)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  pixels = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, pixels, (gsize) width * 4);

  /* The bubble's own colour, in its left padding halfway down. */
  background = pixels + ((gsize) (height / 2) * width + 4) * 4;
  g_assert_cmpint (background[3], ==, 255);

  g_assert_true (gtk_widget_compute_bounds (widget, bubble, &bounds));
  for (int y = MAX (0, (int) bounds.origin.y + y_from); y < MIN (height, (int) bounds.origin.y + y_to); y++)
    for (int x = MAX (0, (int) bounds.origin.x); x < MIN (width, (int) (bounds.origin.x + bounds.size.width)); x++)
      highest = MAX (highest, contrast (pixels + ((gsize) y * width + x) * 4, background));

  return highest;
}

static void
test_bubble_style_upload (void)
{
  g_autoptr(GtkCssProvider) style = gtk_css_provider_new ();
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoMessage) message = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  GtkWidget *row = sotto_message_row_new ();
  GtkWidget *bar = gtk_progress_bar_new ();
  GtkWidget *bubble;
  int text_height;

  /* The app's style sheet, as SottoApplication has libadwaita load it. */
  gtk_css_provider_load_from_resource (style, "/im/sotto/Sotto/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (style),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  message = _sotto_message_new (id, SOTTO_MESSAGE_DIRECTION_OUTGOING, SOTTO_MESSAGE_KIND_TEXT,
                                SOTTO_MESSAGE_STATE_SENT, 1000, 1000, "Here is the file");
  sotto_message_row_set_message (SOTTO_MESSAGE_ROW (row), message, NULL, NULL);
  gtk_window_set_child (window, row);
  gtk_window_set_default_size (window, 480, 200);
  bubble = app_test_find_matching (row, is_bubble, NULL);
  g_assert_nonnull (bubble);
  g_assert_true (gtk_widget_has_css_class (bubble, "outgoing"));

  /* An upload begun: no part of the bar filled yet, then half. */
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (bar), "0 bytes of 40.0 kB");
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (bar), TRUE);
  gtk_box_append (GTK_BOX (bubble), bar);
  gtk_window_present (window);
  app_test_wait_until (gtk_widget_get_mapped (bar));
  wait_for_frame (bar);

  /* The text is the bar's upper part, above the 8 pixels of its trough. */
  text_height = gtk_widget_get_height (bar) - 8;
  g_assert_cmpint (text_height, >, 4);
  g_assert_cmpfloat (highest_contrast (bubble, bar, 0, text_height), >=, 4.5);

  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), 0.5);
  g_assert_cmpfloat (highest_contrast (bubble, bar, text_height, gtk_widget_get_height (bar)), >=, 3.0);

  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/bubble-style/upload", test_bubble_style_upload);

  return g_test_run ();
}
