/* sotto-content.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-content"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-protobuf.h"
#include "sp-uuid.h"

#include "sotto-content-private.h"
#include "sotto-engine-private.h"

/* Sotto's inner content, the plaintext inside every session message
 * (docs/messenger.md, "Inner content", has the whole schema).
 *
 * Version 2, written and read: the byte 2, a protobuf Content message,
 * the byte 0x80, and zero bytes up to a multiple of 160 bytes.
 *
 *   message Content {
 *     bytes          id        = 1;  // the message's UUID, 16 bytes
 *     uint64         timestamp = 2;  // milliseconds since the epoch
 *     string         sender    = 3;  // a username claim, with data only
 *     DataMessage    data      = 4;  // shown in the conversation
 *     ReceiptMessage receipt   = 5;
 *     Ephemeral      ephemeral = 6;  // typing and the like: never stored
 *   }
 *   message DataMessage    { string text = 1; …; uint32 required_level = 10; }
 *   message ReceiptMessage { Type type = 1; repeated bytes id = 2; }
 *
 * Unknown fields are skipped at every level, so that a newer Sotto can
 * add to the schema: a data message with nothing this version can show,
 * or content whose only payload is a field it does not know, decodes as
 * %SOTTO_CONTENT_KIND_UNSUPPORTED; an ephemeral signal other than
 * typing (sotto-content-typing.c) or a receipt of a type it does not
 * know decodes as %SOTTO_CONTENT_KIND_IGNORED.  What
 * this version does read is read strictly: each known field once and
 * with its wire type, UUIDs of 16 bytes, UTF-8 text without NUL, bounded
 * counts, and padding that is exactly the marker and fewer than a block
 * of zeros.
 *
 * Version 1, read only: the fixed layout of Sotto 0.1.
 *
 *   offset  size  field
 *        0     1  version, 1
 *        1     1  kind: 1 text, 2 delivery receipt, 3 read receipt
 *        2    16  message id (the UUID's 16 bytes)
 *       18     8  timestamp, milliseconds since the epoch, big-endian
 *       26     1  length S of the sender's username, 0 to 32
 *       27     S  the sender's username (a–z, 0–9, "." and "_")
 *   27 + S     4  payload length L, big-endian
 *   31 + S     L  payload: UTF-8 text, or L / 16 message ids
 *   31 + S + L    zero bytes up to a multiple of 160 bytes
 *
 * The username is a claim, there for a recipient who does not know the
 * sender yet: the recipient checks it against the relay's directory
 * before showing it.
 * The padding hides a message's length to within a block, like Signal's. */

#define VERSION_1 1
#define V1_HEADER_SIZE 31
#define UUID_SIZE SP_UUID_SIZE

/* Ends the protobuf message in version 2; only zeros follow it. */
#define PADDING_MARKER 0x80

/* Field numbers of the schema that this version reads or writes. */
enum
{
  CONTENT_ID = 1,
  CONTENT_TIMESTAMP = 2,
  CONTENT_SENDER = 3,
  CONTENT_DATA = 4,
  CONTENT_RECEIPT = 5,
  CONTENT_EPHEMERAL = 6,
  CONTENT_GROUP = SOTTO_CONTENT_FIELD_GROUP,
};

enum
{
  DATA_TEXT = 1,
  DATA_QUOTE = 4,
  DATA_REACTION = 5,
  DATA_DELETION = 6,
  DATA_EDIT = 7,
  DATA_EXPIRE_TIMER = 8,
  DATA_PROFILE_KEY = 9,
  DATA_REQUIRED_LEVEL = 10,
};

enum
{
  RECEIPT_TYPE = 1,
  RECEIPT_ID = 2,
};

enum
{
  RECEIPT_TYPE_DELIVERY = 1,
  RECEIPT_TYPE_READ = 2,
};

G_DEFINE_QUARK (sotto-content-error-quark, sotto_content_error)

gboolean
_sotto_uuid_to_bytes (const char *uuid,
                      guint8      out[UUID_SIZE])
{
  return uuid != NULL && sp_uuid_decode (out, uuid) == SP_OK;
}

static char *
uuid_from_bytes (const guint8 bytes[UUID_SIZE])
{
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5],
                          bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
                          bytes[12], bytes[13], bytes[14], bytes[15]);
}

char *
_sotto_content_uuid_from_bytes (const guint8 *bytes)
{
  return uuid_from_bytes (bytes);
}

static guint64
get_be (const guint8 *data,
        guint         size)
{
  guint64 value = 0;

  for (guint i = 0; i < size; i++)
    value = (value << 8) | data[i];

  return value;
}

static gboolean
sender_is_valid (const char *sender)
{
  gsize len = strlen (sender);

  if (len > SOTTO_CONTENT_MAX_SENDER)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_islower (sender[i]) && !g_ascii_isdigit (sender[i])
          && sender[i] != '.' && sender[i] != '_')
        return FALSE;
    }

  return TRUE;
}

gboolean
_sotto_content_sender_is_valid (const char *sender)
{
  return sender_is_valid (sender);
}

SottoContent *
sotto_content_new_text (const char *id,
                        gint64      timestamp,
                        const char *sender,
                        const char *text)
{
  SottoContent *content;

  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);
  g_return_val_if_fail (sender == NULL || sender_is_valid (sender), NULL);
  g_return_val_if_fail (text != NULL && g_utf8_validate (text, -1, NULL), NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = SOTTO_CONTENT_KIND_TEXT;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->sender = g_strdup (sender);
  content->text = g_strdup (text);

  return content;
}

SottoContent *
sotto_content_new_receipt (SottoContentKind    kind,
                           const char         *id,
                           gint64              timestamp,
                           const char * const *receipts)
{
  SottoContent *content;

  g_return_val_if_fail (kind == SOTTO_CONTENT_KIND_DELIVERY_RECEIPT
                        || kind == SOTTO_CONTENT_KIND_READ_RECEIPT, NULL);
  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);
  g_return_val_if_fail (receipts != NULL && receipts[0] != NULL, NULL);
  g_return_val_if_fail (g_strv_length ((GStrv) receipts) <= SOTTO_CONTENT_MAX_RECEIPTS, NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = kind;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->receipts = g_strdupv ((GStrv) receipts);

  return content;
}

/* Copies @key into guarded memory held by @content, replacing any key
 * it held. */
void
sotto_content_set_profile_key (SottoContent *content,
                               const guint8  key[SOTTO_PROFILE_KEY_SIZE])
{
  g_return_if_fail (content != NULL && key != NULL);

  if (content->profile_key == NULL)
    content->profile_key = _sotto_secure_alloc (SOTTO_PROFILE_KEY_SIZE);
  memcpy (content->profile_key, key, SOTTO_PROFILE_KEY_SIZE);
}

/* A data message with nothing but the sender's profile key: how a new
 * or rotated key reaches contacts without a message to carry it. */
SottoContent *
sotto_content_new_profile_key (const char   *id,
                               gint64        timestamp,
                               const guint8  key[SOTTO_PROFILE_KEY_SIZE])
{
  SottoContent *content;

  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = SOTTO_CONTENT_KIND_PROFILE_KEY;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  sotto_content_set_profile_key (content, key);

  return content;
}

/* A data message with nothing but a timer: the sender set the
 * conversation's disappearing-message timer to @seconds (0 is off). */
SottoContent *
sotto_content_new_timer (const char *id,
                         gint64      timestamp,
                         guint32     seconds)
{
  SottoContent *content;

  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);
  g_return_val_if_fail (seconds <= SOTTO_CONTENT_MAX_EXPIRE_TIMER, NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = SOTTO_CONTENT_KIND_TIMER;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->expire_timer = seconds;

  return content;
}

void
sotto_content_free (SottoContent *content)
{
  if (content == NULL)
    return;

  /* sodium_free() wipes it. */
  g_clear_pointer (&content->profile_key, sodium_free);

  g_free (content->id);
  g_free (content->sender);
  g_free (content->text);
  g_strfreev (content->receipts);
  g_free (content->quote_id);
  g_free (content->quote_author);
  g_free (content->quote_text);
  g_free (content->target_id);
  g_free (content->target_author);
  g_free (content->emoji);
  g_clear_pointer (&content->attachments, g_ptr_array_unref);
  _sotto_content_group_clear (content);
  g_free (content);
}

/* Whether @kind is sent as a DataMessage: shown in the conversation,
 * changing what is shown there, or news about the sender or the
 * conversation's timer. */
static gboolean
content_is_data_message (SottoContentKind kind)
{
  return _sotto_content_is_data (kind)
         || kind == SOTTO_CONTENT_KIND_GROUP_UPDATE
         || kind == SOTTO_CONTENT_KIND_PROFILE_KEY
         || kind == SOTTO_CONTENT_KIND_TIMER;
}

/* Writes the data message or receipt that @content carries into a new
 * buffer, and returns its field number in Content. */
static guint32
encode_payload (const SottoContent  *content,
                guint8             **out,
                gsize               *out_len)
{
  SpPbWriter writer;
  gsize size;
  guint32 field;

  if (content->kind == SOTTO_CONTENT_KIND_TYPING)
    {
      _sotto_content_write_typing (content, out, out_len);
      return CONTENT_EPHEMERAL;
    }

  if (content_is_data_message (content->kind))
    {
      gsize text_len = content->text != NULL ? strlen (content->text) : 0;
      gboolean refers = _sotto_content_is_data (content->kind);

      /* A tag of one byte, a length of at most ten, the text; the timer
       * in at most 6, the key with its tag and length in 34, the level
       * in 2; then what refers to another message. */
      size = 1 + 10 + text_len + 6 + 2 + SOTTO_PROFILE_KEY_SIZE + 2
             + (refers ? _sotto_content_actions_size (content) : 0)
             + _sotto_content_attachments_size (content->attachments);
      *out = g_malloc (size);
      sp_pb_writer_init (&writer, *out, size);
      if (content->text != NULL)
        sp_pb_write_bytes (&writer, DATA_TEXT, (const guint8 *) content->text, text_len);
      _sotto_content_write_attachments (content->attachments, &writer);
      if (refers)
        _sotto_content_write_actions (content, &writer);
      if (content->kind == SOTTO_CONTENT_KIND_TIMER || content->expire_timer > 0)
        sp_pb_write_varint (&writer, DATA_EXPIRE_TIMER, content->expire_timer);
      if (content->profile_key != NULL)
        sp_pb_write_bytes (&writer, DATA_PROFILE_KEY, content->profile_key, SOTTO_PROFILE_KEY_SIZE);
      /* A disappearing text is not for a Sotto that would keep it, nor
       * files for one that would show only their caption. */
      if (content->attachments != NULL)
        sp_pb_write_varint (&writer, DATA_REQUIRED_LEVEL, SOTTO_CONTENT_LEVEL_ATTACHMENTS);
      else if (content->kind == SOTTO_CONTENT_KIND_TEXT && content->expire_timer > 0)
        sp_pb_write_varint (&writer, DATA_REQUIRED_LEVEL, SOTTO_CONTENT_LEVEL_EXPIRE_TIMER);
      field = CONTENT_DATA;
    }
  else
    {
      guint n_receipts = g_strv_length (content->receipts);

      /* The type in two bytes, each id in eighteen. */
      size = 2 + n_receipts * (2 + UUID_SIZE);
      *out = g_malloc (size);
      sp_pb_writer_init (&writer, *out, size);
      sp_pb_write_varint (&writer, RECEIPT_TYPE,
                          content->kind == SOTTO_CONTENT_KIND_READ_RECEIPT
                          ? RECEIPT_TYPE_READ : RECEIPT_TYPE_DELIVERY);
      for (guint i = 0; i < n_receipts; i++)
        {
          guint8 id[UUID_SIZE];

          _sotto_uuid_to_bytes (content->receipts[i], id);
          sp_pb_write_bytes (&writer, RECEIPT_ID, id, UUID_SIZE);
        }
      field = CONTENT_RECEIPT;
    }

  if (sp_pb_writer_finish (&writer, out_len) != SP_OK)
    g_assert_not_reached ();

  return field;
}

static gsize
round_up_to_block (gsize len)
{
  return (len + SOTTO_CONTENT_BLOCK_SIZE - 1) / SOTTO_CONTENT_BLOCK_SIZE * SOTTO_CONTENT_BLOCK_SIZE;
}

/**
 * sotto_content_encode:
 * @content: a text message or a receipt
 *
 * Encodes @content in the current version.
 *
 * Returns: (transfer full): the padded encoding
 */
GBytes *
sotto_content_encode (const SottoContent *content)
{
  g_autofree guint8 *payload = NULL;
  guint8 id[UUID_SIZE];
  SpPbWriter writer;
  gsize payload_len = 0;
  gsize message_len = 0;
  gsize sender_len;
  gsize bound;
  gsize total;
  guint32 payload_field = CONTENT_GROUP;
  guint8 *out;

  g_return_val_if_fail (content != NULL, NULL);
  g_return_val_if_fail (_sotto_uuid_to_bytes (content->id, id), NULL);
  g_return_val_if_fail (content->timestamp >= 0, NULL);
  g_return_val_if_fail (content->sender == NULL || sender_is_valid (content->sender), NULL);

  if (_sotto_content_is_data (content->kind))
    {
      g_return_val_if_fail (content->text != NULL || content->kind == SOTTO_CONTENT_KIND_REACTION
                            || content->kind == SOTTO_CONTENT_KIND_DELETION, NULL);
      g_return_val_if_fail (content->text == NULL || strlen (content->text) <= SOTTO_MESSAGE_MAX_TEXT, NULL);
      g_return_val_if_fail (_sotto_content_actions_valid (content), NULL);
      g_return_val_if_fail (content->attachments == NULL || content->kind == SOTTO_CONTENT_KIND_TEXT, NULL);
      g_return_val_if_fail (_sotto_content_attachments_valid (content->attachments), NULL);
    }
  else if (content->kind == SOTTO_CONTENT_KIND_PROFILE_KEY)
    {
      g_return_val_if_fail (content->text == NULL && content->profile_key != NULL, NULL);
    }
  else if (content->kind == SOTTO_CONTENT_KIND_TIMER || content->kind == SOTTO_CONTENT_KIND_TYPING)
    {
      g_return_val_if_fail (content->text == NULL, NULL);
    }
  else if (!_sotto_content_is_group_only (content->kind))
    {
      guint n_receipts;

      g_return_val_if_fail (content->kind == SOTTO_CONTENT_KIND_DELIVERY_RECEIPT
                            || content->kind == SOTTO_CONTENT_KIND_READ_RECEIPT, NULL);
      g_return_val_if_fail (content->receipts != NULL, NULL);
      n_receipts = g_strv_length (content->receipts);
      g_return_val_if_fail (n_receipts > 0 && n_receipts <= SOTTO_CONTENT_MAX_RECEIPTS, NULL);
      for (guint i = 0; i < n_receipts; i++)
        g_return_val_if_fail (g_uuid_string_is_valid (content->receipts[i]), NULL);
    }

  /* Only a message names its sender; a receipt goes back to someone who
   * knows who it is from.  An empty name is no name. */
  sender_len = content_is_data_message (content->kind) && content->sender != NULL
               ? strlen (content->sender) : 0;

  g_return_val_if_fail (_sotto_content_group_valid (content), NULL);

  /* A group's content goes inside its group context. */
  if (!_sotto_content_is_group_only (content->kind))
    payload_field = encode_payload (content, &payload, &payload_len);
  if (content->group_id != NULL)
    {
      _sotto_content_write_group (content, &payload, &payload_len);
      payload_field = CONTENT_GROUP;
    }

  /* The version byte, then at most 18 bytes of id, 11 of timestamp,
   * 2 + 32 of sender and 11 + payload of payload, then the marker. */
  bound = 1 + 18 + 11 + 2 + SOTTO_CONTENT_MAX_SENDER + 11 + payload_len + 1;
  out = g_malloc0 (round_up_to_block (bound));
  out[0] = SOTTO_CONTENT_VERSION;

  sp_pb_writer_init (&writer, out + 1, bound - 2);
  sp_pb_write_bytes (&writer, CONTENT_ID, id, UUID_SIZE);
  sp_pb_write_varint (&writer, CONTENT_TIMESTAMP, (guint64) content->timestamp);
  if (sender_len > 0)
    sp_pb_write_bytes (&writer, CONTENT_SENDER, (const guint8 *) content->sender, sender_len);
  sp_pb_write_bytes (&writer, payload_field, payload, payload_len);
  if (sp_pb_writer_finish (&writer, &message_len) != SP_OK)
    g_assert_not_reached ();

  out[1 + message_len] = PADDING_MARKER;
  total = round_up_to_block (1 + message_len + 1);

  /* The payload may hold a profile key. */
  sodium_memzero (payload, payload_len);

  return g_bytes_new_take (g_realloc (out, total), total);
}

static gboolean
set_malformed (GError     **error,
               const char  *what)
{
  g_set_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED,
               _("The message is not valid (%s)"), what);
  return FALSE;
}

gboolean
_sotto_content_set_malformed (GError     **error,
                              const char  *what)
{
  return set_malformed (error, what);
}

static SottoContent *
malformed (GError     **error,
           const char  *what)
{
  set_malformed (error, what);
  return NULL;
}

/* Version 2 */

/* Accepts a known field once, and only with its wire type. */
static gboolean
take_field (const SpPbField *field,
            SpPbWireType     wire_type,
            guint32         *seen)
{
  guint32 bit = 1u << field->number;

  g_assert (field->number < 32);

  if (field->wire_type != wire_type || (*seen & bit) != 0)
    return FALSE;

  *seen |= bit;
  return TRUE;
}

gboolean
_sotto_content_take_field (const SpPbField *field,
                           SpPbWireType     wire_type,
                           guint32         *seen)
{
  return take_field (field, wire_type, seen);
}

static gboolean
text_is_valid (const guint8 *text,
               gsize         len)
{
  return len <= SOTTO_MESSAGE_MAX_TEXT
         && memchr (text, '\0', len) == NULL
         && g_utf8_validate ((const char *) text, len, NULL);
}

/* Fills in @content's kind and text from a DataMessage. */
gboolean
_sotto_content_decode_data (SottoContent  *content,
                            const guint8  *data,
                            gsize          len,
                            GError       **error)
{
  g_autofree char *text = NULL;
  guint64 required_level = SOTTO_CONTENT_LEVEL;
  SpPbField quote = { 0 };
  SpPbField action = { 0 };
  guint32 seen = 0;
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case DATA_TEXT:
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen) || !text_is_valid (field.data, field.len))
            return set_malformed (error, "text");
          text = g_strndup ((const char *) field.data, field.len);
          break;

        case DATA_EXPIRE_TIMER:
          if (!take_field (&field, SP_PB_WIRE_VARINT, &seen) || field.value > G_MAXUINT32)
            return set_malformed (error, "expire timer");
          content->expire_timer = MIN (field.value, SOTTO_CONTENT_MAX_EXPIRE_TIMER);
          break;

        case DATA_PROFILE_KEY:
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen) || field.len != SOTTO_PROFILE_KEY_SIZE)
            return set_malformed (error, "profile key");
          sotto_content_set_profile_key (content, field.data);
          break;

        case DATA_REQUIRED_LEVEL:
          if (!take_field (&field, SP_PB_WIRE_VARINT, &seen))
            return set_malformed (error, "required level");
          required_level = field.value;
          break;

        case DATA_QUOTE:
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen))
            return set_malformed (error, "quote");
          quote = field;
          break;

        case SOTTO_CONTENT_DATA_ATTACHMENTS:
          if (!_sotto_content_read_attachment (&content->attachments, &field, error))
            return FALSE;
          break;

        case DATA_REACTION:
        case DATA_DELETION:
        case DATA_EDIT:
          /* One message changes one other in one way. */
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen) || action.number != 0)
            return set_malformed (error, "action");
          action = field;
          break;

        default:
          break;
        }
    }
  if (ret != 0)
    return set_malformed (error, "data");

  /* A message of files alone has an empty caption. */
  if (text == NULL && action.number == 0 && content->attachments != NULL)
    text = g_strdup ("");

  /* A timer alone sets the conversation's timer. */
  if (text == NULL && action.number == 0 && (seen & (1u << DATA_EXPIRE_TIMER)) != 0 && required_level <= SOTTO_CONTENT_LEVEL)
    {
      content->kind = SOTTO_CONTENT_KIND_TIMER;
      return TRUE;
    }

  /* A key alone is news about the sender, not a message. */
  if (text == NULL && action.number == 0 && content->profile_key != NULL && required_level <= SOTTO_CONTENT_LEVEL)
    {
      content->kind = SOTTO_CONTENT_KIND_PROFILE_KEY;
      return TRUE;
    }

  /* A message that requires a higher level would be misread from its
   * text alone, and one without text or an action has nothing this
   * version can show. */
  if (required_level > SOTTO_CONTENT_LEVEL)
    {
      content->kind = SOTTO_CONTENT_KIND_UNSUPPORTED;
      g_clear_pointer (&content->attachments, g_ptr_array_unref);
      return TRUE;
    }

  if (!_sotto_content_read_actions (content, &text, &quote, &action, error))
    return FALSE;

  /* Files go with a plain text, which is their caption. */
  if (content->attachments != NULL && content->kind != SOTTO_CONTENT_KIND_TEXT)
    return set_malformed (error, "attachment");

  return TRUE;
}

/* Fills in @content's kind and receipts from a ReceiptMessage. */
static gboolean
decode_receipt (SottoContent  *content,
                const guint8  *data,
                gsize          len,
                GError       **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint64 type = 0;
  guint32 seen = 0;
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case RECEIPT_TYPE:
          if (!take_field (&field, SP_PB_WIRE_VARINT, &seen) || field.value == 0)
            return set_malformed (error, "receipt type");
          type = field.value;
          break;

        case RECEIPT_ID:
          if (field.wire_type != SP_PB_WIRE_BYTES || field.len != UUID_SIZE
              || ids->len == SOTTO_CONTENT_MAX_RECEIPTS)
            return set_malformed (error, "receipts");
          g_ptr_array_add (ids, uuid_from_bytes (field.data));
          break;

        default:
          break;
        }
    }
  if (ret != 0 || type == 0 || ids->len == 0)
    return set_malformed (error, "receipts");

  switch (type)
    {
    case RECEIPT_TYPE_DELIVERY:
      content->kind = SOTTO_CONTENT_KIND_DELIVERY_RECEIPT;
      break;

    case RECEIPT_TYPE_READ:
      content->kind = SOTTO_CONTENT_KIND_READ_RECEIPT;
      break;

    default:
      /* A newer kind of receipt, such as "viewed": nothing to do here. */
      content->kind = SOTTO_CONTENT_KIND_IGNORED;
      return TRUE;
    }

  g_ptr_array_add (ids, NULL);
  content->receipts = (GStrv) g_ptr_array_steal (ids, NULL);

  return TRUE;
}

static SottoContent *
decode_v2 (const guint8  *data,
           gsize          len,
           GError       **error)
{
  g_autoptr(SottoContent) content = g_new0 (SottoContent, 1);
  SpPbField payload = { 0 };
  SpPbField field;
  SpPbReader reader;
  gboolean unknown = FALSE;
  guint32 seen = 0;
  gsize end = len;
  int ret;

  /* The padding is the marker and fewer zeros than a block. */
  if (len % SOTTO_CONTENT_BLOCK_SIZE != 0)
    return malformed (error, "length");
  while (end > 1 && data[end - 1] == 0)
    end--;
  if (data[end - 1] != PADDING_MARKER || len - end >= SOTTO_CONTENT_BLOCK_SIZE)
    return malformed (error, "padding");

  sp_pb_reader_init (&reader, data + 1, end - 2);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case CONTENT_ID:
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen) || field.len != UUID_SIZE)
            return malformed (error, "id");
          content->id = uuid_from_bytes (field.data);
          break;

        case CONTENT_TIMESTAMP:
          if (!take_field (&field, SP_PB_WIRE_VARINT, &seen) || field.value > G_MAXINT64)
            return malformed (error, "timestamp");
          content->timestamp = (gint64) field.value;
          break;

        case CONTENT_SENDER:
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen)
              || field.len == 0 || field.len > SOTTO_CONTENT_MAX_SENDER
              || memchr (field.data, '\0', field.len) != NULL)
            return malformed (error, "sender");
          content->sender = g_strndup ((const char *) field.data, field.len);
          if (!sender_is_valid (content->sender))
            return malformed (error, "sender");
          break;

        case CONTENT_DATA:
        case CONTENT_RECEIPT:
        case CONTENT_EPHEMERAL:
        case CONTENT_GROUP:
          /* One content, one payload. */
          if (!take_field (&field, SP_PB_WIRE_BYTES, &seen) || payload.number != 0)
            return malformed (error, "payload");
          payload = field;
          break;

        default:
          unknown = TRUE;
          break;
        }
    }
  if (ret != 0)
    return malformed (error, "encoding");

  if (content->id == NULL || (seen & (1u << CONTENT_TIMESTAMP)) == 0)
    return malformed (error, "header");

  /* Only what is shown in the conversation names its sender. */
  if (content->sender != NULL && payload.number != 0 && payload.number != CONTENT_DATA
      && payload.number != CONTENT_GROUP)
    return malformed (error, "sender");

  if (payload.number == 0)
    {
      /* Nothing but fields a newer Sotto added. */
      if (!unknown)
        return malformed (error, "payload");
      content->kind = SOTTO_CONTENT_KIND_UNSUPPORTED;
      return g_steal_pointer (&content);
    }

  switch (payload.number)
    {
    case CONTENT_DATA:
      if (!_sotto_content_decode_data (content, payload.data, payload.len, error))
        return NULL;
      break;

    case CONTENT_RECEIPT:
      if (!decode_receipt (content, payload.data, payload.len, error))
        return NULL;
      break;

    case CONTENT_GROUP:
      if (!_sotto_content_read_group (content, payload.data, payload.len, error))
        return NULL;
      /* A sender key is not shown in the conversation, so it names no
       * sender either (sotto_content_encode() writes none). */
      if (content->kind == SOTTO_CONTENT_KIND_GROUP_SENDER_KEY && content->sender != NULL)
        return malformed (error, "sender");
      break;

    case CONTENT_EPHEMERAL:
      if (!_sotto_content_read_ephemeral (content, payload.data, payload.len, error))
        return NULL;
      break;

    default:
      g_assert_not_reached ();
    }

  return g_steal_pointer (&content);
}

/* Version 1 */

static SottoContent *
decode_v1 (const guint8  *data,
           gsize          len,
           GError       **error)
{
  g_autoptr(SottoContent) content = NULL;
  g_autofree char *sender = NULL;
  guint64 timestamp;
  guint64 payload_len;
  const guint8 *payload;
  gsize sender_len;
  gsize used;

  if (len < V1_HEADER_SIZE || len % SOTTO_CONTENT_BLOCK_SIZE != 0)
    return malformed (error, "length");

  timestamp = get_be (data + 18, 8);
  if (timestamp > G_MAXINT64)
    return malformed (error, "timestamp");

  sender_len = data[26];
  if (sender_len > SOTTO_CONTENT_MAX_SENDER || V1_HEADER_SIZE + sender_len > len)
    return malformed (error, "sender");
  if (sender_len > 0)
    {
      sender = g_strndup ((const char *) data + 27, sender_len);
      if (strlen (sender) != sender_len || !sender_is_valid (sender))
        return malformed (error, "sender");
    }

  payload_len = get_be (data + 27 + sender_len, 4);
  used = V1_HEADER_SIZE + sender_len;
  if (payload_len > len - used)
    return malformed (error, "payload length");
  payload = data + used;
  used += payload_len;

  /* The padding is shorter than a block, and all zero. */
  if (len - used >= SOTTO_CONTENT_BLOCK_SIZE)
    return malformed (error, "padding");
  for (gsize i = used; i < len; i++)
    {
      if (data[i] != 0)
        return malformed (error, "padding");
    }

  content = g_new0 (SottoContent, 1);
  content->kind = data[1];
  content->id = uuid_from_bytes (data + 2);
  content->timestamp = timestamp;

  switch (data[1])
    {
    case SOTTO_CONTENT_KIND_TEXT:
      if (!text_is_valid (payload, payload_len))
        return malformed (error, "text");
      content->text = g_strndup ((const char *) payload, payload_len);
      content->sender = g_steal_pointer (&sender);
      break;

    case SOTTO_CONTENT_KIND_DELIVERY_RECEIPT:
    case SOTTO_CONTENT_KIND_READ_RECEIPT:
      if (sender != NULL
          || payload_len == 0
          || payload_len % UUID_SIZE != 0
          || payload_len / UUID_SIZE > SOTTO_CONTENT_MAX_RECEIPTS)
        return malformed (error, "receipts");
      content->receipts = g_new0 (char *, payload_len / UUID_SIZE + 1);
      for (guint i = 0; i < payload_len / UUID_SIZE; i++)
        content->receipts[i] = uuid_from_bytes (payload + i * UUID_SIZE);
      break;

    default:
      return malformed (error, "kind");
    }

  return g_steal_pointer (&content);
}

/**
 * sotto_content_decode:
 * @data: the decrypted plaintext
 * @len: its length
 * @error: a location for a #GError
 *
 * Decodes content of version 2 or 1.  Content that needs a newer Sotto
 * is not an error: it decodes as %SOTTO_CONTENT_KIND_UNSUPPORTED or
 * %SOTTO_CONTENT_KIND_IGNORED.
 *
 * Returns: (transfer full): the content, or %NULL with @error set
 */
SottoContent *
sotto_content_decode (const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    return malformed (error, "length");

  switch (data[0])
    {
    case SOTTO_CONTENT_VERSION:
      return decode_v2 (data, len, error);

    case VERSION_1:
      return decode_v1 (data, len, error);

    default:
      g_set_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_VERSION,
                   _("The message was written in a newer format (version %u)"), data[0]);
      return NULL;
    }
}
