/* fuzz-relay-websocket.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the relay's WebSocket frame reader, which reads every byte a
 * client sends after the upgrade.  It must take each frame whole, wait
 * for more, or refuse with a close code, never reading past what it
 * was given; what it passes on obeys RFC 6455, 5: control frames are
 * short, text messages are UTF-8 as GLib reads it.
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "relay-websocket-codec.h"

#define MAX_MESSAGE 4096

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* One byte more than the input, so that an empty one still has an
   * address to read from (g_memdup2() gives NULL for it). */
  g_autofree uint8_t *copy = g_malloc (size + 1);
  g_autoptr(GByteArray) message = g_byte_array_new ();
  RelayWsReader reader;
  size_t taken = 0;
  uint32_t state = 0;

  /* The UTF-8 check agrees with GLib's, split anywhere (GLib stops at a
   * NUL, which UTF-8 allows). */
  if (memchr (data, 0, size) == NULL)
    {
      size_t split = size > 0 ? data[0] % (size + 1) : 0;
      gboolean ours = relay_utf8_validate (&state, data, split) &&
                      relay_utf8_validate (&state, data + split, size - split) &&
                      relay_utf8_complete (state);

      g_assert (ours == g_utf8_validate ((const char *) data, (gssize) size, NULL));
    }

  if (size > 0)
    memcpy (copy, data, size);
  relay_ws_reader_init (&reader, MAX_MESSAGE);
  for (;;)
    {
      RelayWsEvent event;
      int64_t n = relay_ws_reader_next (&reader, copy + taken, size - taken, &event);

      if (n < 0)
        {
          int code = relay_ws_error_close_code ((RelayWsError) n);

          g_assert (code == 1002 || code == 1007 || code == 1009);
          g_assert (relay_ws_error_reason ((RelayWsError) n)[0] != '\0');
          break;
        }
      if (n == 0)
        break;
      g_assert ((size_t) n <= size - taken);
      g_assert (event.payload + event.length == copy + taken + n);
      taken += (size_t) n;
      if (event.kind != RELAY_WS_EVENT_DATA)
        {
          g_assert (event.length <= RELAY_WS_MAX_CONTROL_PAYLOAD);
          continue;
        }
      g_byte_array_append (message, event.payload, (guint) event.length);
      g_assert (message->len <= MAX_MESSAGE);
      if (!event.final)
        continue;
      if (event.opcode == RELAY_WS_OPCODE_TEXT && message->len > 0 && memchr (message->data, 0, message->len) == NULL)
        g_assert (g_utf8_validate ((const char *) message->data, message->len, NULL));
      g_byte_array_set_size (message, 0);
    }
  return 0;
}
