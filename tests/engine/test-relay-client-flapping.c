/* test-relay-client-flapping.c: a relay that says "queue-empty" on every socket it then drops
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "engine-test-util.h"
#include "scripted-relay.h"
#include "sotto-relay-client-private.h"

#define UUID "8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11"

#define QUEUE_EMPTY "{\"type\": \"queue-empty\"}"

/* Larger than the client takes, so that it drops the socket. */
#define REFUSED_FRAME_BYTES (2 * 1024 * 1024)

/* The client starts its backoff from the beginning once a socket has
 * brought "queue-empty", as proof that the socket works from end to end.
 * A relay that greets every socket with that frame and then makes the
 * client drop it (here with a frame the client refuses; a relay could as
 * well close the socket) gets the client back every 125-250 ms for as
 * long as it likes, and the session flips between online and offline at
 * that rate.  The pauses must grow as they do for a relay that sends only
 * the refused frame (test-relay-client-hostile.c, refused-frames-back-off). */
static void
test_queue_empty_then_drop_backs_off (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refused_text = g_strnfill (REFUSED_FRAME_BYTES, ' ');
  g_autoptr(GBytes) refused = g_bytes_new (refused_text, strlen (refused_text));
  g_autoptr(GBytes) queue_empty = g_bytes_new_static (QUEUE_EMPTY, strlen (QUEUE_EMPTY));

  client = sotto_relay_client_new (relay->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, UUID, 1, "a password of sixteen bytes");

  for (guint i = 0; i < 4; i++)
    scripted_relay_script_socket (relay, queue_empty, refused, NULL);

  engine_test_assert_backoff (client);
  g_assert_cmpuint (relay->n_connections, >=, 3);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/relay-client-flapping/queue-empty-then-drop-backs-off",
                   test_queue_empty_then_drop_backs_off);

  return g_test_run ();
}
