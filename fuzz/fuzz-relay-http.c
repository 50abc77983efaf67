/* fuzz-relay-http.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the relay's HTTP/1.1 request-head reader, which every client's
 * first bytes reach.  It must take a head, wait for more, or refuse,
 * without reading past what it was given; a head it takes has every
 * field inside it, and a head cut short is one it waits for.
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "relay-http-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_span (const RelayHttpSpan *span,
            int                  head_length)
{
  if (span->present)
    g_assert (span->offset + span->length <= (size_t) head_length);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* The input is copied so that the sanitizer sees any read past it. */
  g_autofree uint8_t *copy = g_memdup2 (data, size);
  g_autofree char *path = NULL;
  RelayHttpHead head;
  RelayHttpHead again;
  int length = relay_http_head_parse (copy, size, 8192, &head);

  if (length <= 0)
    {
      g_assert (length == 0 || length == RELAY_HTTP_ERROR_MALFORMED || length == RELAY_HTTP_ERROR_TOO_LARGE ||
                length == RELAY_HTTP_ERROR_VERSION);
      return 0;
    }
  g_assert ((size_t) length <= size && length <= 8192);
  g_assert (head.minor_version == 0 || head.minor_version == 1);
  g_assert (head.path.present && copy[head.path.offset] == '/');
  check_span (&head.path, length);
  check_span (&head.authorization, length);
  check_span (&head.content_length, length);
  check_span (&head.websocket_key, length);
  check_span (&head.websocket_version, length);
  check_span (&head.content_range, length);
  check_span (&head.range, length);
  (void) relay_http_keep_alive (&head);

  /* Nothing but the head counts, and a head one byte short waits. */
  g_assert (relay_http_head_parse (copy, (size_t) length, 8192, &again) == length);
  g_assert (memcmp (&head, &again, sizeof head) == 0);
  g_assert (relay_http_head_parse (copy, (size_t) length - 1, 8192, &again) == 0);

  path = g_malloc (head.path.length + 1);
  if (relay_http_path_decode (copy + head.path.offset, head.path.length, path, head.path.length + 1) >= 0)
    g_assert (strlen (path) <= head.path.length);
  return 0;
}
