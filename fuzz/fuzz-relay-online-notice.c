/* fuzz-relay-online-notice.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the parser of the notices in which relay nodes on PostgreSQL
 * pass online-only envelopes to each other.  Whoever may notify on the
 * database's channel can write one, and what the parser accepts goes
 * into an envelope frame unescaped.  The input, cut at its first NUL,
 * must be refused, or be the one text that formatting what was parsed
 * gives back: every number canonical, the content base64 and nothing
 * else.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay-postgresql-online.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GString) again = g_string_new (NULL);
  RelayOnlineNotice notice;
  RelayOutgoingEnvelope envelope = { 0 };

  if (!relay_online_notice_parse (text, &notice))
    return 0;
  g_assert (notice.device_id >= 1);
  g_assert ((notice.source_uuid[0] == '\0') == (notice.source_device == 0));
  g_assert (strspn (notice.content_base64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
            strlen (notice.content_base64));
  envelope.type = notice.type;
  envelope.device_id = notice.device_id;
  envelope.content_base64 = (char *) notice.content_base64;
  g_assert (relay_online_notice_format (again, notice.uuid, notice.source_uuid, notice.source_device,
                                        notice.timestamp, notice.server_timestamp, &envelope));
  g_assert (strcmp (again->str, text) == 0);
  return 0;
}
