/* sotto-picture.c: pictures decoded within bounds, whatever they declare
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-picture"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-picture-private.h"

/* GdkPixbuf's decoders allocate the whole picture a file declares before
 * they scale it down, and a file of a few kilobytes can declare billions
 * of pixels.  The size a loader announces is therefore checked before
 * anything is allocated: a picture larger than SOTTO_PICTURE_MAX_PIXELS
 * (which a 50 megapixel photo stays within) is given a size of nothing,
 * which tells the decoder to stop, and one larger than the side asked for
 * is scaled down as it is decoded. */

#define READ_CHUNK (64 * 1024)

typedef struct
{
  int      max_side;
  gboolean too_large;
} Load;

static void
size_prepared_cb (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  Load *load = user_data;
  double scale;

  if ((gint64) width * height > SOTTO_PICTURE_MAX_PIXELS)
    {
      load->too_large = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  if (width <= load->max_side && height <= load->max_side)
    return;

  scale = (double) load->max_side / MAX (width, height);
  gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale)), MAX (1, (int) (height * scale)));
}

/* Feeds the loader all of @stream, or until it has refused the picture. */
static gboolean
feed (GdkPixbufLoader  *loader,
      GInputStream     *stream,
      const Load       *load,
      GCancellable     *cancellable,
      GError          **error)
{
  g_autofree guint8 *buffer = g_malloc (READ_CHUNK);

  while (!load->too_large)
    {
      gssize got = g_input_stream_read (stream, buffer, READ_CHUNK, cancellable, error);

      if (got < 0)
        return FALSE;
      if (got == 0)
        return TRUE;
      if (!gdk_pixbuf_loader_write (loader, buffer, got, error))
        return FALSE;
    }

  return TRUE;
}

/*
 * Decodes a picture that may declare any size, from the other side or
 * from a file the user picked: one larger than @max_side is scaled down
 * as it is decoded, and one of more than SOTTO_PICTURE_MAX_PIXELS is
 * refused with GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY before its pixels
 * are allocated.  The result stands the way the camera that took it was
 * held.  Blocks: call it from a worker thread.
 */
GdkPixbuf *
_sotto_picture_load_pixbuf (GInputStream  *stream,
                            int            max_side,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  Load load = { max_side, FALSE };
  GdkPixbuf *pixbuf;
  gboolean fed;
  gboolean closed;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (max_side > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb), &load);
  fed = feed (loader, stream, &load, cancellable, error);
  closed = gdk_pixbuf_loader_close (loader, fed ? error : NULL);
  /* The decoder that was stopped failed with a reason of its own, or
   * none: the error says why instead. */
  if (load.too_large)
    {
      g_clear_error (error);
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY,
                           _("The picture has too many pixels to show"));
      return NULL;
    }
  if (!fed || !closed)
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_CORRUPT_IMAGE, _("The picture could not be read"));
      return NULL;
    }

  return gdk_pixbuf_apply_embedded_orientation (pixbuf);
}

/**
 * sotto_picture_load:
 * @stream: the encoded picture, in any format GdkPixbuf reads
 * @max_side: the longest side the result may have, in pixels
 * @cancellable: (nullable): a #GCancellable
 * @error: a location for a #GError
 *
 * Decodes a picture that may declare any size (see
 * _sotto_picture_load_pixbuf()) into its pixels.  Blocks: call it from
 * a worker thread.
 *
 * Returns: (transfer full) (nullable): the picture
 */
SottoPicture *
sotto_picture_load (GInputStream  *stream,
                    int            max_side,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(GdkPixbuf) pixbuf = _sotto_picture_load_pixbuf (stream, max_side, cancellable, error);
  SottoPicture *picture;

  if (pixbuf == NULL)
    return NULL;

  /* Decoders give 8 bits a channel in RGB or RGBA, which is all a
   * picture here is described as. */
  g_assert (gdk_pixbuf_get_bits_per_sample (pixbuf) == 8);
  g_assert (gdk_pixbuf_get_n_channels (pixbuf) == (gdk_pixbuf_get_has_alpha (pixbuf) ? 4 : 3));

  picture = g_new0 (SottoPicture, 1);
  picture->pixels = gdk_pixbuf_read_pixel_bytes (pixbuf);
  picture->width = gdk_pixbuf_get_width (pixbuf);
  picture->height = gdk_pixbuf_get_height (pixbuf);
  picture->stride = gdk_pixbuf_get_rowstride (pixbuf);
  picture->has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  return picture;
}

void
sotto_picture_free (SottoPicture *self)
{
  if (self == NULL)
    return;

  g_bytes_unref (self->pixels);
  g_free (self);
}
