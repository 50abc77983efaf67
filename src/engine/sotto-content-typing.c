/* sotto-content-typing.c: typing indicators in the inner content
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-content"

#include "config.h"

#include "sp-error.h"
#include "sp-protobuf.h"

#include "sotto-content-private.h"

/* The Ephemeral payload of Content (docs/messenger.md, "Inner content"):
 * passing signals, never stored, which older versions drop.
 *
 *   message Ephemeral { Typing typing = 1; }
 *   message Typing {
 *     enum Action { STARTED = 1; STOPPED = 2; }
 *     Action action   = 1;
 *     bytes  group_id = 2;  // 32 bytes
 *   }
 *
 * Each known field once and with its wire type; a group id of 32 bytes.
 * An ephemeral signal without typing, an action this version does not
 * know, and typing in a group (this version shows typing in one-to-one
 * conversations only) decode as %SOTTO_CONTENT_KIND_IGNORED. */

enum
{
  EPHEMERAL_TYPING = 1,
};

enum
{
  TYPING_ACTION = 1,
  TYPING_GROUP_ID = 2,
};

enum
{
  ACTION_STARTED = 1,
  ACTION_STOPPED = 2,
};

#define GROUP_ID_SIZE 32

/* Typing { action } in at most 2 bytes, inside Ephemeral in 4. */
#define TYPING_SIZE 2
#define EPHEMERAL_SIZE (2 + TYPING_SIZE)

/**
 * sotto_content_new_typing:
 * @id: a new UUID
 * @timestamp: now, in milliseconds since the epoch
 * @started: %TRUE when the sender started typing, %FALSE when they stopped
 *
 * Returns: (transfer full): a typing indicator
 */
SottoContent *
sotto_content_new_typing (const char *id,
                          gint64      timestamp,
                          gboolean    started)
{
  SottoContent *content;

  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = SOTTO_CONTENT_KIND_TYPING;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->typing_started = started != FALSE;

  return content;
}

/* Writes the Ephemeral message that carries @content into a new buffer. */
void
_sotto_content_write_typing (const SottoContent  *content,
                             guint8             **out,
                             gsize               *out_len)
{
  guint8 typing[TYPING_SIZE];
  SpPbWriter writer;
  gsize typing_len = 0;

  g_assert (content->kind == SOTTO_CONTENT_KIND_TYPING);

  sp_pb_writer_init (&writer, typing, sizeof typing);
  sp_pb_write_varint (&writer, TYPING_ACTION, content->typing_started ? ACTION_STARTED : ACTION_STOPPED);
  if (sp_pb_writer_finish (&writer, &typing_len) != SP_OK)
    g_assert_not_reached ();

  *out = g_malloc (EPHEMERAL_SIZE);
  sp_pb_writer_init (&writer, *out, EPHEMERAL_SIZE);
  sp_pb_write_bytes (&writer, EPHEMERAL_TYPING, typing, typing_len);
  if (sp_pb_writer_finish (&writer, out_len) != SP_OK)
    g_assert_not_reached ();
}

/* Reads a Typing message: its action, 0 when it has none, and whether
 * it names a group. */
static gboolean
read_typing (const guint8  *data,
             gsize          len,
             guint64       *action,
             gboolean      *in_group,
             GError       **error)
{
  gboolean seen_action = FALSE;
  SpPbReader reader;
  SpPbField field;
  int ret;

  *action = 0;
  *in_group = FALSE;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case TYPING_ACTION:
          if (field.wire_type != SP_PB_WIRE_VARINT || seen_action)
            return _sotto_content_set_malformed (error, "typing action");
          seen_action = TRUE;
          *action = field.value;
          break;

        case TYPING_GROUP_ID:
          if (field.wire_type != SP_PB_WIRE_BYTES || field.len != GROUP_ID_SIZE || *in_group)
            return _sotto_content_set_malformed (error, "typing group");
          *in_group = TRUE;
          break;

        default:
          break;
        }
    }
  if (ret != 0)
    return _sotto_content_set_malformed (error, "typing");

  return TRUE;
}

/* Fills in @content's kind from an Ephemeral message. */
gboolean
_sotto_content_read_ephemeral (SottoContent  *content,
                               const guint8  *data,
                               gsize          len,
                               GError       **error)
{
  SpPbField typing = { 0 };
  SpPbReader reader;
  SpPbField field;
  gboolean in_group;
  guint64 action;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number != EPHEMERAL_TYPING)
        continue;
      if (field.wire_type != SP_PB_WIRE_BYTES || typing.number != 0)
        return _sotto_content_set_malformed (error, "typing");
      typing = field;
    }
  if (ret != 0)
    return _sotto_content_set_malformed (error, "ephemeral");

  /* A passing signal of a newer kind. */
  content->kind = SOTTO_CONTENT_KIND_IGNORED;
  if (typing.number == 0)
    return TRUE;

  if (!read_typing (typing.data, typing.len, &action, &in_group, error))
    return FALSE;

  if (in_group || (action != ACTION_STARTED && action != ACTION_STOPPED))
    return TRUE;

  content->kind = SOTTO_CONTENT_KIND_TYPING;
  content->typing_started = action == ACTION_STARTED;

  return TRUE;
}
