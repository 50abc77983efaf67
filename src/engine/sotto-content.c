/* sotto-content.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-content"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-content.h"
#include "sotto-engine-private.h"

/* Sotto's inner content, the plaintext inside every session message
 * (docs/messenger.md, "Inner content"):
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
 * The padding hides a message's length to within a block, like Signal's.
 * Decoding is strict: a byte out of place is an error, so that one
 * plaintext has exactly one encoding. */

#define HEADER_SIZE 31
#define UUID_SIZE 16

G_DEFINE_QUARK (sotto-content-error-quark, sotto_content_error)

gboolean
_sotto_uuid_to_bytes (const char *uuid,
                      guint8      out[UUID_SIZE])
{
  guint n = 0;

  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    return FALSE;

  for (const char *p = uuid; *p != '\0' && n < UUID_SIZE; p++)
    {
      if (*p == '-')
        continue;

      out[n++] = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
      p++;
    }

  return n == UUID_SIZE;
}

static char *
uuid_from_bytes (const guint8 bytes[UUID_SIZE])
{
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5],
                          bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
                          bytes[12], bytes[13], bytes[14], bytes[15]);
}

static void
put_be (guint8  *out,
        guint64  value,
        guint    size)
{
  for (guint i = 0; i < size; i++)
    out[i] = value >> (8 * (size - 1 - i));
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

void
sotto_content_free (SottoContent *content)
{
  if (content == NULL)
    return;

  g_free (content->id);
  g_free (content->sender);
  g_free (content->text);
  g_strfreev (content->receipts);
  g_free (content);
}

/**
 * sotto_content_encode:
 * @content: the content
 *
 * Returns: (transfer full): the padded encoding
 */
GBytes *
sotto_content_encode (const SottoContent *content)
{
  guint8 id[UUID_SIZE];
  gsize n_receipts = 0;
  gsize sender_len;
  gsize payload_len;
  gsize total;
  guint8 *payload;
  guint8 *out;

  g_return_val_if_fail (content != NULL, NULL);
  g_return_val_if_fail (_sotto_uuid_to_bytes (content->id, id), NULL);
  g_return_val_if_fail (content->timestamp >= 0, NULL);
  g_return_val_if_fail (content->sender == NULL || sender_is_valid (content->sender), NULL);

  /* Only a message names its sender; a receipt goes back to someone who
   * knows who it is from. */
  sender_len = content->kind == SOTTO_CONTENT_KIND_TEXT && content->sender != NULL
               ? strlen (content->sender) : 0;

  if (content->kind == SOTTO_CONTENT_KIND_TEXT)
    {
      g_return_val_if_fail (content->text != NULL, NULL);
      payload_len = strlen (content->text);
      g_return_val_if_fail (payload_len <= SOTTO_CONTENT_MAX_TEXT, NULL);
    }
  else
    {
      g_return_val_if_fail (content->kind == SOTTO_CONTENT_KIND_DELIVERY_RECEIPT
                            || content->kind == SOTTO_CONTENT_KIND_READ_RECEIPT, NULL);
      g_return_val_if_fail (content->receipts != NULL, NULL);
      n_receipts = g_strv_length (content->receipts);
      g_return_val_if_fail (n_receipts > 0 && n_receipts <= SOTTO_CONTENT_MAX_RECEIPTS, NULL);
      for (gsize i = 0; i < n_receipts; i++)
        g_return_val_if_fail (g_uuid_string_is_valid (content->receipts[i]), NULL);
      payload_len = UUID_SIZE * n_receipts;
    }

  total = (HEADER_SIZE + sender_len + payload_len + SOTTO_CONTENT_BLOCK_SIZE - 1)
          / SOTTO_CONTENT_BLOCK_SIZE * SOTTO_CONTENT_BLOCK_SIZE;
  out = g_malloc0 (total);
  payload = out + HEADER_SIZE + sender_len;

  out[0] = SOTTO_CONTENT_VERSION;
  out[1] = content->kind;
  memcpy (out + 2, id, UUID_SIZE);
  put_be (out + 18, content->timestamp, 8);
  out[26] = sender_len;
  if (sender_len > 0)
    memcpy (out + 27, content->sender, sender_len);
  put_be (out + 27 + sender_len, payload_len, 4);

  if (content->kind == SOTTO_CONTENT_KIND_TEXT)
    memcpy (payload, content->text, payload_len);
  else
    {
      for (gsize i = 0; i < n_receipts; i++)
        _sotto_uuid_to_bytes (content->receipts[i], payload + i * UUID_SIZE);
    }

  return g_bytes_new_take (out, total);
}

static SottoContent *
malformed (GError     **error,
           const char  *what)
{
  g_set_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED,
               _("The message is not valid (%s)"), what);
  return NULL;
}

/**
 * sotto_content_decode:
 * @data: the decrypted plaintext
 * @len: its length
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the content, or %NULL with @error set
 */
SottoContent *
sotto_content_decode (const guint8  *data,
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

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len >= 1 && data[0] != SOTTO_CONTENT_VERSION)
    {
      g_set_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_VERSION,
                   _("The message was written in a newer format (version %u)"), data[0]);
      return NULL;
    }

  if (len < HEADER_SIZE || len % SOTTO_CONTENT_BLOCK_SIZE != 0)
    return malformed (error, "length");

  timestamp = get_be (data + 18, 8);
  if (timestamp > G_MAXINT64)
    return malformed (error, "timestamp");

  sender_len = data[26];
  if (sender_len > SOTTO_CONTENT_MAX_SENDER || HEADER_SIZE + sender_len > len)
    return malformed (error, "sender");
  if (sender_len > 0)
    {
      sender = g_strndup ((const char *) data + 27, sender_len);
      if (strlen (sender) != sender_len || !sender_is_valid (sender))
        return malformed (error, "sender");
    }

  payload_len = get_be (data + 27 + sender_len, 4);
  used = HEADER_SIZE + sender_len;
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
      if (payload_len > SOTTO_CONTENT_MAX_TEXT
          || memchr (payload, '\0', payload_len) != NULL
          || !g_utf8_validate ((const char *) payload, payload_len, NULL))
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
