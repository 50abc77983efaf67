/* sotto-group-avatar.c: a group's picture, made small and checked
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-content-attachment-private.h"
#include "sotto-engine-private.h"
#include "sotto-group-avatar-private.h"
#include "sotto-group-private.h"
#include "sotto-messenger.h"
#include "sotto-picture-private.h"
#include "sotto-store-private.h"

/* A group's picture goes to every member with the update that sets it
 * and with the group's history, so it is small: the sender makes the
 * picture it was given a square of at most SOTTO_GROUP_AVATAR_SIDE
 * pixels and at most SOTTO_GROUP_MAX_AVATAR_SIZE bytes.  The update
 * carries its BLAKE2b-256 and size (sotto-content-group.c).  A member
 * shows a picture that came beside it only once it matched them and
 * decoded through sotto_picture_load()'s bounds; one that is missing or
 * does not match leaves the group without a picture shown, while the
 * update counts all the same, so that members still converge. */

/* The side the sender decodes the picture to before it crops it: enough
 * for the square's side whatever the picture's shape. */
#define DECODE_SIDE (4 * SOTTO_GROUP_AVATAR_SIDE)

char *
_sotto_group_hex (const guint8 *data,
                  gsize         len)
{
  char *hex = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", data[i]);

  return hex;
}

/* Makes the avatar update @update set @picture. */
void
_sotto_group_update_set_avatar (SottoGroupUpdate *update,
                                GBytes           *picture)
{
  g_assert (update->action == SOTTO_GROUP_ACTION_AVATAR);
  g_assert (g_bytes_get_size (picture) > 0 && g_bytes_get_size (picture) <= SOTTO_GROUP_MAX_AVATAR_SIZE);

  update->has_avatar = TRUE;
  update->avatar_size = (guint32) g_bytes_get_size (picture);
  crypto_generichash (update->avatar_digest, sizeof update->avatar_digest, g_bytes_get_data (picture, NULL),
                      g_bytes_get_size (picture), NULL, 0);
}

/* The middle square of @pixbuf, at most SOTTO_GROUP_AVATAR_SIDE a side. */
static GdkPixbuf *
crop_square (GdkPixbuf *pixbuf)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int side = MIN (width, height);
  g_autoptr(GdkPixbuf) square = gdk_pixbuf_new_subpixbuf (pixbuf, (width - side) / 2, (height - side) / 2,
                                                          side, side);

  if (side <= SOTTO_GROUP_AVATAR_SIDE)
    return gdk_pixbuf_copy (square);

  return gdk_pixbuf_scale_simple (square, SOTTO_GROUP_AVATAR_SIDE, SOTTO_GROUP_AVATAR_SIDE, GDK_INTERP_HYPER);
}

/* Runs in a worker thread.  The picture in @stream, which may be any
 * file the user picked, as a group's picture: a square PNG, or JPEG of
 * lower quality until it fits. */
GBytes *
_sotto_group_avatar_encode (GInputStream  *stream,
                            GCancellable  *cancellable,
                            GError       **error)
{
  static const char * const qualities[] = { "90", "75", "60", "45", "30" };
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) square = NULL;
  gchar *buffer = NULL;
  gsize size = 0;

  pixbuf = _sotto_picture_load_pixbuf (stream, DECODE_SIDE, cancellable, error);
  if (pixbuf == NULL)
    return NULL;
  square = crop_square (pixbuf);

  if (!gdk_pixbuf_save_to_buffer (square, &buffer, &size, "png", error, NULL))
    return NULL;
  for (guint i = 0; size > SOTTO_GROUP_MAX_AVATAR_SIZE && i < G_N_ELEMENTS (qualities); i++)
    {
      g_clear_pointer (&buffer, g_free);
      if (!gdk_pixbuf_save_to_buffer (square, &buffer, &size, "jpeg", error, "quality", qualities[i], NULL))
        return NULL;
    }
  if (size > SOTTO_GROUP_MAX_AVATAR_SIZE)
    {
      g_free (buffer);
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("The picture cannot be made small enough"));
      return NULL;
    }

  return g_bytes_new_take (buffer, size);
}

/* Runs on the store's thread.  Gives @state @picture, which came beside
 * its updates, if @state has none yet and it is the one its history
 * names and a picture within bounds; returns whether it did.
 *
 * The bounds are what a sender makes (_sotto_group_avatar_encode()): a
 * PNG or JPEG that declares at most SOTTO_GROUP_AVATAR_SIDE pixels a
 * side.  The picture is decoded here as it comes, from a stranger's
 * group too, and again wherever the app shows it: anything else would
 * reach every loader gdk-pixbuf has (SVG, TIFF, XPM, ICO and the rest,
 * which a contact's avatar does not, sotto-profile-cipher.c), and a
 * picture of a few kilobytes could declare 8192 pixels a side, which
 * loaders allocate whole before they scale it. */
gboolean
_sotto_group_avatar_take (SottoGroupState *state,
                          GBytes          *picture)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(SottoPicture) decoded = NULL;
  g_autoptr(GError) error = NULL;

  if (picture == NULL || state->avatar != NULL || !_sotto_group_state_set_avatar (state, picture))
    return FALSE;
  if (!_sotto_content_picture_is_small (picture, SOTTO_GROUP_AVATAR_SIDE))
    {
      g_message ("Not showing a group’s picture that is not a PNG or JPEG of at most %d pixels a side",
                 SOTTO_GROUP_AVATAR_SIDE);
      g_clear_pointer (&state->avatar, g_bytes_unref);
      return FALSE;
    }

  stream = g_memory_input_stream_new_from_bytes (picture);
  decoded = sotto_picture_load (stream, SOTTO_GROUP_AVATAR_SIDE, NULL, &error);
  if (decoded == NULL)
    {
      g_message ("Not showing a group’s picture that does not decode: %s", error->message);
      g_clear_pointer (&state->avatar, g_bytes_unref);
      return FALSE;
    }

  return TRUE;
}

static void
changed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!sotto_group_list_change_finish (SOTTO_GROUP_LIST (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
encoded_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) picture = NULL;
  GError *error = NULL;

  picture = g_task_propagate_pointer (G_TASK (result), &error);
  if (picture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_group_list_change_avatar_async (g_task_get_source_object (task), g_task_get_task_data (task), picture,
                                         g_task_get_cancellable (task), changed_cb, g_object_ref (task));
}

static void
encode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  g_autoptr(GFileInputStream) stream = NULL;
  GError *error = NULL;
  GBytes *picture = NULL;

  stream = g_file_read (task_data, cancellable, &error);
  if (stream != NULL)
    picture = _sotto_group_avatar_encode (G_INPUT_STREAM (stream), cancellable, &error);
  if (picture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, picture, (GDestroyNotify) g_bytes_unref);
}

/**
 * sotto_group_list_set_avatar_async:
 * @self: a #SottoGroupList
 * @group: a group this account is an admin of
 * @file: (nullable): a picture, in any format GdkPixbuf reads, or %NULL
 *   to remove the group's picture
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the change was stored and the relay accepted
 *   it for every member
 * @user_data: data for @callback
 *
 * Sets the group's picture to the middle square of @file, made small
 * enough to go to every member, or removes it.
 */
void
sotto_group_list_set_avatar_async (SottoGroupList      *self,
                                   SottoGroup          *group,
                                   GFile               *file,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) encode = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_set_avatar_async);
  g_task_set_task_data (task, g_object_ref (group), g_object_unref);

  if (file == NULL)
    {
      _sotto_group_list_change_avatar_async (self, group, NULL, cancellable, changed_cb, g_steal_pointer (&task));
      return;
    }

  encode = g_task_new (self, cancellable, encoded_cb, g_steal_pointer (&task));
  g_task_set_task_data (encode, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (encode, encode_thread);
}

/**
 * sotto_group_list_set_avatar_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the change was stored and the relay accepted it
 *   for every member it goes to
 */
gboolean
sotto_group_list_set_avatar_finish (SottoGroupList  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_group_list_set_avatar_async, error);
}
