/* relay-postgresql-online.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The text of an online-only envelope's notification between relay
 * nodes (see relay-postgresql-online.h).  Anyone who may notify on the
 * database's channels can write one, so the parser is as strict as for
 * a client's request: what it accepts goes into a frame unescaped.
 */

#include "config.h"

#include <string.h>

#include "relay-postgresql-online.h"

#define N_FIELDS 8

gboolean
relay_online_notice_format (GString                     *out,
                            const char                  *uuid,
                            const char                  *source_uuid,
                            guint32                      source_device,
                            gint64                       timestamp,
                            gint64                       server_timestamp,
                            const RelayOutgoingEnvelope *envelope)
{
  g_return_val_if_fail (out != NULL && uuid != NULL && source_uuid != NULL && envelope != NULL, FALSE);

  g_string_printf (out, "%s:%u:%s:%u:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%u:%s", uuid,
                   envelope->device_id, source_uuid, source_device, timestamp, server_timestamp,
                   envelope->type, envelope->content_base64);
  if (out->len <= RELAY_ONLINE_NOTICE_MAX_LENGTH)
    return TRUE;
  g_string_truncate (out, 0);
  return FALSE;
}

/* A decimal number in [min, max] with no sign, no leading zero (but
 * "0") and nothing else around it. */
static gboolean
parse_number (const char *text,
              gsize       length,
              guint64     min,
              guint64     max,
              guint64    *out)
{
  guint64 value = 0;

  if (length == 0 || length > 20 || (text[0] == '0' && length > 1))
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      guint digit;

      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      digit = (guint) (text[i] - '0');
      if (value > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      value = value * 10 + digit;
    }
  if (value < min || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

/* Padded base64, not empty. */
static gboolean
is_base64 (const char *text,
           gsize       length)
{
  gsize padding = 0;

  if (length == 0 || length % 4 != 0)
    return FALSE;
  while (padding < 2 && text[length - 1 - padding] == '=')
    padding++;
  for (gsize i = 0; i < length - padding; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  return TRUE;
}

static gboolean
copy_uuid (char       *out,
           const char *text,
           gsize       length)
{
  if (!relay_uuid_is_valid (text, length))
    return FALSE;
  memcpy (out, text, length);
  out[length] = '\0';
  return TRUE;
}

gboolean
relay_online_notice_parse (const char        *text,
                           RelayOnlineNotice *notice)
{
  const char *fields[N_FIELDS];
  gsize lengths[N_FIELDS];
  const char *p = text;
  guint64 value;

  g_return_val_if_fail (text != NULL && notice != NULL, FALSE);

  if (strlen (text) > RELAY_ONLINE_NOTICE_MAX_LENGTH)
    return FALSE;
  /* The last field, base64, holds no colon. */
  for (guint i = 0; i < N_FIELDS; i++)
    {
      const char *end = i + 1 < N_FIELDS ? strchr (p, ':') : p + strlen (p);

      if (end == NULL)
        return FALSE;
      fields[i] = p;
      lengths[i] = (gsize) (end - p);
      p = end + 1;
    }
  memset (notice, 0, sizeof *notice);
  if (!copy_uuid (notice->uuid, fields[0], lengths[0]) ||
      !parse_number (fields[1], lengths[1], 1, G_MAXUINT32, &value))
    return FALSE;
  notice->device_id = (guint32) value;
  /* An unidentified send names no sender, and no sender's device. */
  if (lengths[2] > 0 ? !copy_uuid (notice->source_uuid, fields[2], lengths[2]) ||
                       !parse_number (fields[3], lengths[3], 1, G_MAXUINT32, &value)
                     : !parse_number (fields[3], lengths[3], 0, 0, &value))
    return FALSE;
  notice->source_device = (guint32) value;
  if (!parse_number (fields[4], lengths[4], 0, G_MAXINT64, &value))
    return FALSE;
  notice->timestamp = (gint64) value;
  if (!parse_number (fields[5], lengths[5], 0, G_MAXINT64, &value))
    return FALSE;
  notice->server_timestamp = (gint64) value;
  if (!parse_number (fields[6], lengths[6], 0, G_MAXUINT8, &value) || !is_base64 (fields[7], lengths[7]))
    return FALSE;
  notice->type = (guint8) value;
  notice->content_base64 = fields[7];
  return TRUE;
}
