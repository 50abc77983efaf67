/* sotto-bounded-input.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-bounded-input"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-bounded-input-private.h"

/* Everything the relay client reads comes from a relay it must not
 * trust: a relay may answer with more bytes than fit in memory, or with
 * JSON nested deeply enough to overflow json-glib's recursive parser.
 * These helpers bound both before anything is allocated or parsed. */

#define READ_CHUNK_BYTES (64 * 1024)

static gboolean
is_json_outside_string (char c)
{
  /* Structure, whitespace, numbers and the letters of true, false and
   * null.  Refusing everything else (comments, single quotes, bytes
   * outside ASCII) keeps the scan's idea of where strings begin and end
   * the same as json-glib's, so no bracket is hidden from the count. */
  return g_ascii_isalnum (c) || c == '-' || c == '+' || c == '.'
         || c == ' ' || c == '\t' || c == '\r' || c == '\n'
         || c == ',' || c == ':';
}

/**
 * _sotto_json_depth_is_within:
 * @data: the text to scan, not necessarily nul-terminated
 * @len: its length in bytes
 * @max_depth: the deepest nesting of arrays and objects to accept
 *
 * A cheap scan, without recursion or allocation, before the text goes
 * to json-glib.  It checks only what the parser cannot be trusted with:
 * the nesting depth, and that the brackets close in order.  Text that
 * passes may still not be JSON; the parser says so.
 *
 * Returns: %TRUE if @data nests no deeper than @max_depth
 */
gboolean
_sotto_json_depth_is_within (const char *data,
                             gsize       len,
                             guint       max_depth)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  g_assert (data != NULL || len == 0);

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        {
          in_string = TRUE;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        {
          if (depth == 0)
            return FALSE;
          depth--;
        }
      else if (!is_json_outside_string (c))
        {
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * _sotto_json_parse_object:
 * @data: JSON text from a relay, not necessarily nul-terminated
 * @len: its length in bytes
 * @error: a location for a #GError
 *
 * Parses a JSON object whose nesting is within %SOTTO_JSON_MAX_DEPTH.
 * Every JSON text the client reads from a relay goes through here.
 *
 * Returns: (transfer full): the object, or %NULL with @error set
 */
JsonObject *
_sotto_json_parse_object (const char  *data,
                          gsize        len,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (!_sotto_json_depth_is_within (data, len, SOTTO_JSON_MAX_DEPTH))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("not JSON nested at most %u deep"), SOTTO_JSON_MAX_DEPTH);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, error))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("not a JSON object"));
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

typedef struct
{
  GByteArray *buffer;
  gsize max_len;
} BoundedRead;

static void
bounded_read_free (BoundedRead *read)
{
  g_clear_pointer (&read->buffer, g_byte_array_unref);
  g_free (read);
}

static void read_next_chunk (GTask *task);

static void
read_chunk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GInputStream *stream = G_INPUT_STREAM (object);
  g_autoptr(GTask) task = user_data;
  BoundedRead *read = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;
  gsize chunk_len;

  chunk = g_input_stream_read_bytes_finish (stream, result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  chunk_len = g_bytes_get_size (chunk);
  if (chunk_len == 0)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&read->buffer)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (chunk_len > read->max_len - read->buffer->len)
    {
      /* The rest is never read: closing the stream drops the
       * connection, and with it whatever the peer still sends. */
      g_input_stream_close (stream, NULL, NULL);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               g_dngettext (GETTEXT_PACKAGE, "more than %lu byte", "more than %lu bytes",
                                            read->max_len),
                               (unsigned long) read->max_len);
      return;
    }

  g_byte_array_append (read->buffer, g_bytes_get_data (chunk, NULL), chunk_len);
  read_next_chunk (task);
}

static void
read_next_chunk (GTask *task)
{
  g_input_stream_read_bytes_async (g_task_get_source_object (task), READ_CHUNK_BYTES,
                                   g_task_get_priority (task),
                                   g_task_get_cancellable (task),
                                   read_chunk_cb, g_object_ref (task));
}

/**
 * _sotto_read_bounded_async:
 * @stream: the stream to read to its end
 * @max_len: the most bytes to accept
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with everything @stream held
 * @user_data: data for @callback
 *
 * Reads @stream to its end, but never holds more than @max_len bytes of
 * it: a longer stream is closed, and is the error
 * %G_IO_ERROR_MESSAGE_TOO_LARGE.
 */
void
_sotto_read_bounded_async (GInputStream        *stream,
                           gsize                max_len,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  BoundedRead *read;

  g_return_if_fail (G_IS_INPUT_STREAM (stream));

  task = g_task_new (stream, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_read_bounded_async);

  read = g_new0 (BoundedRead, 1);
  read->buffer = g_byte_array_new ();
  read->max_len = max_len;
  g_task_set_task_data (task, read, (GDestroyNotify) bounded_read_free);

  read_next_chunk (task);
}

/**
 * _sotto_read_bounded_finish:
 * @stream: the stream passed to _sotto_read_bounded_async()
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): everything @stream held, or %NULL with
 *   @error set
 */
GBytes *
_sotto_read_bounded_finish (GInputStream  *stream,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _sotto_read_bounded_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
