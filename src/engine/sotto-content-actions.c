/* sotto-content-actions.c: replies, reactions, edits and deletion in the
 * inner content
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-content"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sp-error.h"
#include "sp-protobuf.h"
#include "sp-uuid.h"

#include "sotto-content-private.h"
#include "sotto-engine-private.h"

/* The parts of DataMessage (docs/messenger.md, "Inner content") that
 * refer to another message:
 *
 *   optional Quote    quote    = 4;  // with text: a reply
 *   optional Reaction reaction = 5;  // required_level 2
 *   optional Deletion deletion = 6;  // required_level 2
 *   optional Edit     edit     = 7;  // required_level 2, the new text in text
 *
 *   message Quote    { bytes id = 1; bytes author = 2; string text = 3; }
 *   message Reaction { string emoji = 1; bool remove = 2;
 *                      bytes target_id = 3; bytes target_author = 4; }
 *   message Deletion { bytes target_id = 1; }
 *   message Edit     { bytes target_id = 1; }
 *
 * A data message carries at most one of reaction, deletion and edit; a
 * quote goes with a plain text only.  UUIDs are 16 bytes, texts valid
 * UTF-8 without NUL and bounded. */

#define UUID_SIZE SP_UUID_SIZE

enum
{
  DATA_QUOTE = 4,
  DATA_REACTION = 5,
  DATA_DELETION = 6,
  DATA_EDIT = 7,
  DATA_REQUIRED_LEVEL = 10,
};

enum
{
  QUOTE_ID = 1,
  QUOTE_AUTHOR = 2,
  QUOTE_TEXT = 3,
};

enum
{
  REACTION_EMOJI = 1,
  REACTION_REMOVE = 2,
  REACTION_TARGET_ID = 3,
  REACTION_TARGET_AUTHOR = 4,
};

/* Deletion and Edit name their target in field 1. */
#define TARGET_ID 1

/* What every reaction, edit and deletion needs: its own id, a time and
 * the message it changes. */
static gboolean
action_is_valid (const char *id,
                 gint64      timestamp,
                 const char *target_id)
{
  return id != NULL && g_uuid_string_is_valid (id)
         && timestamp >= 0
         && target_id != NULL && g_uuid_string_is_valid (target_id);
}

static SottoContent *
new_action (SottoContentKind  kind,
            const char       *id,
            gint64            timestamp,
            const char       *sender,
            const char       *target_id)
{
  SottoContent *content = g_new0 (SottoContent, 1);

  content->kind = kind;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->sender = g_strdup (sender);
  content->target_id = g_ascii_strdown (target_id, -1);

  return content;
}

/**
 * sotto_content_new_reaction:
 * @emoji: (nullable): the reaction, or %NULL to remove the sender's
 *
 * Returns: (transfer full): a reaction to @target_id
 */
SottoContent *
sotto_content_new_reaction (const char *id,
                            gint64      timestamp,
                            const char *sender,
                            const char *target_id,
                            const char *target_author,
                            const char *emoji)
{
  SottoContent *content;

  g_return_val_if_fail (action_is_valid (id, timestamp, target_id), NULL);
  g_return_val_if_fail (target_author == NULL || g_uuid_string_is_valid (target_author), NULL);
  g_return_val_if_fail (emoji == NULL || (*emoji != '\0' && strlen (emoji) <= SOTTO_CONTENT_MAX_EMOJI
                                          && g_utf8_validate (emoji, -1, NULL)), NULL);

  content = new_action (SOTTO_CONTENT_KIND_REACTION, id, timestamp, sender, target_id);
  content->target_author = target_author != NULL ? g_ascii_strdown (target_author, -1) : NULL;
  content->emoji = g_strdup (emoji);

  return content;
}

/**
 * sotto_content_new_edit:
 *
 * Returns: (transfer full): an edit that makes @text the text of @target_id
 */
SottoContent *
sotto_content_new_edit (const char *id,
                        gint64      timestamp,
                        const char *sender,
                        const char *target_id,
                        const char *text)
{
  SottoContent *content;

  g_return_val_if_fail (action_is_valid (id, timestamp, target_id), NULL);
  g_return_val_if_fail (text != NULL && g_utf8_validate (text, -1, NULL), NULL);

  content = new_action (SOTTO_CONTENT_KIND_EDIT, id, timestamp, sender, target_id);
  content->text = g_strdup (text);

  return content;
}

/**
 * sotto_content_new_deletion:
 *
 * Returns: (transfer full): the deletion of @target_id for everyone
 */
SottoContent *
sotto_content_new_deletion (const char *id,
                            gint64      timestamp,
                            const char *sender,
                            const char *target_id)
{
  g_return_val_if_fail (action_is_valid (id, timestamp, target_id), NULL);

  return new_action (SOTTO_CONTENT_KIND_DELETION, id, timestamp, sender, target_id);
}

/**
 * sotto_content_set_quote:
 * @content: a text message
 * @quote_id: the message it replies to
 * @quote_author: (nullable): that message's author's account UUID
 * @quote_text: (nullable): an excerpt of its text
 *
 * Makes @content a reply.
 */
void
sotto_content_set_quote (SottoContent *content,
                         const char   *quote_id,
                         const char   *quote_author,
                         const char   *quote_text)
{
  g_return_if_fail (content != NULL && content->kind == SOTTO_CONTENT_KIND_TEXT);
  g_return_if_fail (quote_id != NULL && g_uuid_string_is_valid (quote_id));
  g_return_if_fail (quote_author == NULL || g_uuid_string_is_valid (quote_author));
  g_return_if_fail (quote_text == NULL || (strlen (quote_text) <= SOTTO_CONTENT_MAX_QUOTE_TEXT
                                           && g_utf8_validate (quote_text, -1, NULL)));

  g_free (content->quote_id);
  g_free (content->quote_author);
  g_free (content->quote_text);
  content->quote_id = g_ascii_strdown (quote_id, -1);
  content->quote_author = quote_author != NULL ? g_ascii_strdown (quote_author, -1) : NULL;
  content->quote_text = g_strdup (quote_text);
}

/* Whether content of @kind is a data message: shown in the
 * conversation, or changing what is shown there. */
gboolean
_sotto_content_is_data (SottoContentKind kind)
{
  return kind == SOTTO_CONTENT_KIND_TEXT
         || kind == SOTTO_CONTENT_KIND_REACTION
         || kind == SOTTO_CONTENT_KIND_EDIT
         || kind == SOTTO_CONTENT_KIND_DELETION;
}

static gboolean
uuid_is_valid_or_null (const char *uuid)
{
  return uuid == NULL || g_uuid_string_is_valid (uuid);
}

/* What sotto_content_encode() checks of a data message besides its text. */
gboolean
_sotto_content_actions_valid (const SottoContent *content)
{
  switch (content->kind)
    {
    case SOTTO_CONTENT_KIND_TEXT:
      return (content->quote_id == NULL || g_uuid_string_is_valid (content->quote_id))
             && uuid_is_valid_or_null (content->quote_author)
             && (content->quote_text == NULL || strlen (content->quote_text) <= SOTTO_CONTENT_MAX_QUOTE_TEXT);

    case SOTTO_CONTENT_KIND_REACTION:
      return content->target_id != NULL && g_uuid_string_is_valid (content->target_id)
             && uuid_is_valid_or_null (content->target_author)
             && (content->emoji == NULL || strlen (content->emoji) <= SOTTO_CONTENT_MAX_EMOJI);

    case SOTTO_CONTENT_KIND_EDIT:
    case SOTTO_CONTENT_KIND_DELETION:
      return content->target_id != NULL && g_uuid_string_is_valid (content->target_id);

    default:
      return FALSE;
    }
}

/* At most how many bytes _sotto_content_write_actions() writes. */
gsize
_sotto_content_actions_size (const SottoContent *content)
{
  /* A tag and a length of at most 11 bytes, each UUID in 18, the
   * required level in 2. */
  gsize size = 11 + 2 * 18 + 2;

  if (content->quote_text != NULL)
    size += 11 + strlen (content->quote_text);
  if (content->emoji != NULL)
    size += 11 + strlen (content->emoji);
  if (content->kind == SOTTO_CONTENT_KIND_REACTION)
    size += 2;

  return size;
}

static void
write_uuid (SpPbWriter *writer,
            guint32     field,
            const char *uuid)
{
  guint8 bytes[UUID_SIZE];

  if (uuid != NULL && _sotto_uuid_to_bytes (uuid, bytes))
    sp_pb_write_bytes (writer, field, bytes, UUID_SIZE);
}

static void
write_string (SpPbWriter *writer,
              guint32     field,
              const char *string)
{
  if (string != NULL)
    sp_pb_write_bytes (writer, field, (const guint8 *) string, strlen (string));
}

/* Writes the quote, reaction, deletion or edit of @content, and the
 * level they require, into the DataMessage being written. */
void
_sotto_content_write_actions (const SottoContent *content,
                              SpPbWriter         *writer)
{
  gsize bound = _sotto_content_actions_size (content);
  g_autofree guint8 *inner = g_malloc (bound);
  SpPbWriter sub;
  gsize len = 0;
  guint32 field;

  sp_pb_writer_init (&sub, inner, bound);

  switch (content->kind)
    {
    case SOTTO_CONTENT_KIND_TEXT:
      if (content->quote_id == NULL)
        return;
      write_uuid (&sub, QUOTE_ID, content->quote_id);
      write_uuid (&sub, QUOTE_AUTHOR, content->quote_author);
      write_string (&sub, QUOTE_TEXT, content->quote_text);
      field = DATA_QUOTE;
      break;

    case SOTTO_CONTENT_KIND_REACTION:
      write_string (&sub, REACTION_EMOJI, content->emoji);
      if (content->emoji == NULL)
        sp_pb_write_varint (&sub, REACTION_REMOVE, 1);
      write_uuid (&sub, REACTION_TARGET_ID, content->target_id);
      write_uuid (&sub, REACTION_TARGET_AUTHOR, content->target_author);
      field = DATA_REACTION;
      break;

    case SOTTO_CONTENT_KIND_DELETION:
      write_uuid (&sub, TARGET_ID, content->target_id);
      field = DATA_DELETION;
      break;

    case SOTTO_CONTENT_KIND_EDIT:
      write_uuid (&sub, TARGET_ID, content->target_id);
      field = DATA_EDIT;
      break;

    default:
      g_assert_not_reached ();
    }

  if (sp_pb_writer_finish (&sub, &len) != SP_OK)
    g_assert_not_reached ();

  sp_pb_write_bytes (writer, field, inner, len);

  /* An older Sotto would show a reaction, an edit or a deletion as a new
   * message, or not at all; a reply reads well as a plain text. */
  if (content->kind != SOTTO_CONTENT_KIND_TEXT)
    sp_pb_write_varint (writer, DATA_REQUIRED_LEVEL, SOTTO_CONTENT_LEVEL_ACTIONS);
}

/* Reads a field holding a UUID of 16 bytes, once. */
static gboolean
read_uuid (const SpPbField  *field,
           guint32          *seen,
           char            **out)
{
  if (!_sotto_content_take_field (field, SP_PB_WIRE_BYTES, seen) || field->len != UUID_SIZE)
    return FALSE;

  *out = _sotto_content_uuid_from_bytes (field->data);
  return TRUE;
}

/* Reads a field holding UTF-8 text of at most @max_len bytes, without
 * NUL, once. */
static gboolean
read_string (const SpPbField  *field,
             guint32          *seen,
             gsize             max_len,
             char            **out)
{
  if (!_sotto_content_take_field (field, SP_PB_WIRE_BYTES, seen) || field->len > max_len
      || memchr (field->data, '\0', field->len) != NULL
      || !g_utf8_validate ((const char *) field->data, field->len, NULL))
    return FALSE;

  *out = g_strndup ((const char *) field->data, field->len);
  return TRUE;
}

static gboolean
read_quote (SottoContent     *content,
            const SpPbField  *quote,
            GError          **error)
{
  SpPbReader reader;
  SpPbField field;
  guint32 seen = 0;
  int ret;

  sp_pb_reader_init (&reader, quote->data, quote->len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      gboolean valid = TRUE;

      switch (field.number)
        {
        case QUOTE_ID:
          valid = read_uuid (&field, &seen, &content->quote_id);
          break;

        case QUOTE_AUTHOR:
          valid = read_uuid (&field, &seen, &content->quote_author);
          break;

        case QUOTE_TEXT:
          valid = read_string (&field, &seen, SOTTO_CONTENT_MAX_QUOTE_TEXT, &content->quote_text);
          break;

        default:
          break;
        }

      if (!valid)
        return _sotto_content_set_malformed (error, "quote");
    }

  if (ret != 0 || content->quote_id == NULL)
    return _sotto_content_set_malformed (error, "quote");

  return TRUE;
}

static gboolean
read_reaction (SottoContent     *content,
               const SpPbField  *reaction,
               GError          **error)
{
  g_autofree char *emoji = NULL;
  gboolean remove = FALSE;
  SpPbReader reader;
  SpPbField field;
  guint32 seen = 0;
  int ret;

  sp_pb_reader_init (&reader, reaction->data, reaction->len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      gboolean valid = TRUE;

      switch (field.number)
        {
        case REACTION_EMOJI:
          valid = read_string (&field, &seen, SOTTO_CONTENT_MAX_EMOJI, &emoji);
          break;

        case REACTION_REMOVE:
          valid = _sotto_content_take_field (&field, SP_PB_WIRE_VARINT, &seen) && field.value <= 1;
          remove = field.value == 1;
          break;

        case REACTION_TARGET_ID:
          valid = read_uuid (&field, &seen, &content->target_id);
          break;

        case REACTION_TARGET_AUTHOR:
          valid = read_uuid (&field, &seen, &content->target_author);
          break;

        default:
          break;
        }

      if (!valid)
        return _sotto_content_set_malformed (error, "reaction");
    }

  /* A reaction names its target, and either an emoji or its removal. */
  if (ret != 0 || content->target_id == NULL
      || (!remove && (emoji == NULL || *emoji == '\0')))
    return _sotto_content_set_malformed (error, "reaction");

  content->kind = SOTTO_CONTENT_KIND_REACTION;
  content->emoji = remove ? NULL : g_steal_pointer (&emoji);

  return TRUE;
}

/* Reads a Deletion or an Edit, which only name their target. */
static gboolean
read_target (SottoContent     *content,
             const SpPbField  *action,
             GError          **error)
{
  SpPbReader reader;
  SpPbField field;
  guint32 seen = 0;
  int ret;

  sp_pb_reader_init (&reader, action->data, action->len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number == TARGET_ID && !read_uuid (&field, &seen, &content->target_id))
        return _sotto_content_set_malformed (error, "target");
    }

  if (ret != 0 || content->target_id == NULL)
    return _sotto_content_set_malformed (error, "target");

  return TRUE;
}

/* Decides what a data message of this version's level is, from its
 * @text (taken when used), its @quote and the one reaction, deletion or
 * edit it carries as @action (a field number of 0 when absent). */
gboolean
_sotto_content_read_actions (SottoContent     *content,
                             char            **text,
                             const SpPbField  *quote,
                             const SpPbField  *action,
                             GError          **error)
{
  switch (action->number)
    {
    case DATA_REACTION:
      return read_reaction (content, action, error);

    case DATA_DELETION:
      content->kind = SOTTO_CONTENT_KIND_DELETION;
      return read_target (content, action, error);

    case DATA_EDIT:
      /* The new text is the message's text. */
      if (*text == NULL)
        return _sotto_content_set_malformed (error, "edit");
      content->kind = SOTTO_CONTENT_KIND_EDIT;
      content->text = g_steal_pointer (text);
      return read_target (content, action, error);

    default:
      break;
    }

  if (*text == NULL)
    {
      content->kind = SOTTO_CONTENT_KIND_UNSUPPORTED;
      return TRUE;
    }

  content->kind = SOTTO_CONTENT_KIND_TEXT;
  content->text = g_steal_pointer (text);

  return quote->number == 0 || read_quote (content, quote, error);
}
