/* bench-send.c: end-to-end send latency through a local relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts a sotto-relay on loopback with a fresh data directory, registers
 * two accounts in fresh profiles, and has one send to the other through
 * the engine exactly as sotto-cli and the app do (SottoMessenger), while
 * the other is online and receiving.  For each message it records:
 *
 *   accepted   from sotto_messenger_send_async() to its completion: the
 *              message stored as queued, encrypted (session state
 *              stored), durably committed by the relay, and marked sent;
 *   delivered  from the same start to the recipient's
 *              SottoMessenger::message-received: pushed over the
 *              WebSocket, decrypted and stored in the recipient's
 *              profile (and then acknowledged).
 *
 * The first message, which fetches a prekey bundle and sets up the
 * session, is reported on its own; then N messages go one after the
 * other, each once the previous one was delivered; then BURST (5000 by
 * default) at once, to see how fast the outbox drains and the recipient
 * keeps up.  Both profiles are in one process and share
 * the monotonic clock.  Last, the same send as a whole `sotto-cli send`
 * process, from start to exit, while the recipient stays online.
 *
 * Usage: bench-send RELAY-BINARY CLI-BINARY [N_MESSAGES [BURST]]
 */

#include "config.h"

#include <string.h>
#include <signal.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"

#include "dev-util.h"
#include "sotto-engine.h"
#include "sotto-messenger.h"
#include "sotto-store-private.h"

#include "bench-party.h"

#define CLI_RUNS 20

typedef struct
{
  GHashTable *started;    /* text → start time (µs), for delivery */
  GArray *delivered;      /* latencies in ms */
  guint n_received;
} Receiver;

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
message_received_cb (SottoMessenger    *messenger,
                     SottoConversation *conversation,
                     SottoMessage      *message,
                     Receiver          *receiver)
{
  gpointer start = g_hash_table_lookup (receiver->started, sotto_message_get_body (message));
  double latency;

  receiver->n_received++;
  if (start == NULL)
    return;

  latency = ms_since (*(gint64 *) start);
  g_array_append_val (receiver->delivered, latency);
}

static void
print_row (const char *what,
           GArray     *samples)
{
  double sum = 0;

  g_array_sort (samples, bench_compare_doubles);
  for (guint i = 0; i < samples->len; i++)
    sum += g_array_index (samples, double, i);

  g_print ("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", what,
           g_array_index (samples, double, samples->len / 2),
           g_array_index (samples, double, samples->len * 9 / 10),
           g_array_index (samples, double, MIN (samples->len - 1, samples->len * 99 / 100)),
           sum / samples->len,
           g_array_index (samples, double, samples->len - 1));
}

typedef struct
{
  gint64 start;
  double *accepted;
  gboolean done;
} Send;

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Send *send = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_send_finish (SOTTO_MESSENGER (object), result, NULL, &error))
    g_error ("Send failed: %s", error->message);

  *send->accepted = ms_since (send->start);
  send->done = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) relay = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GArray) accepted = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *root = NULL;
  g_autofree char *relay_dir = NULL;
  g_autofree char *url = NULL;
  g_autofree gint64 *starts = NULL;
  Receiver receiver = { 0 };
  BenchParty alice = { 0 };
  BenchParty bob = { 0 };
  guint n_messages = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 200;
  guint n_burst = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 5000;
  g_autoptr(GArray) cli_runs = g_array_new (FALSE, FALSE, sizeof (double));
  double first_accepted = 0;
  double first_delivered;
  double drain_accepted;
  double drain_delivered;
  gint64 start;

  if (argc < 3 || n_messages == 0 || n_burst == 0)
    {
      g_printerr ("Usage: bench-send RELAY-BINARY CLI-BINARY [N_MESSAGES [BURST]]\n");
      return 2;
    }

  if (sp_init () != SP_OK)
    g_error ("Could not initialise the crypto libraries");

  root = g_dir_make_tmp ("sotto-bench-send-XXXXXX", &error);
  if (root == NULL)
    g_error ("%s", error->message);
  relay_dir = g_build_filename (root, "relay", NULL);
  g_mkdir_with_parents (relay_dir, 0700);

  relay = bench_start_relay (argv[1], relay_dir, &url);
  bench_party_register (&alice, root, "alice", url);
  bench_party_register (&bob, root, "bob", url);

  receiver.started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  receiver.delivered = g_array_new (FALSE, FALSE, sizeof (double));
  starts = g_new0 (gint64, 2 * n_messages + 1);
  g_signal_connect (bob.messenger, "message-received", G_CALLBACK (message_received_cb), &receiver);

  sotto_messenger_open_conversation_async (alice.messenger, "bob", NULL, bench_result_cb, &opened);
  bench_wait_for (&opened);
  conversation = sotto_messenger_open_conversation_finish (alice.messenger, opened, &error);
  if (conversation == NULL)
    g_error ("%s", error->message);

  /* Wait until Bob is online, so that delivery is measured and not his
   * connection. */
  while (!sotto_messenger_get_drained (bob.messenger))
    g_main_context_iteration (NULL, TRUE);

  /* One after the other: message i + 1 leaves once message i arrived. */
  for (guint i = 0; i <= n_messages; i++)
    {
      g_autofree char *text = g_strdup_printf ("sequential %u", i);
      double latency = 0;
      Send send;
      guint received = receiver.n_received;

      starts[i] = g_get_monotonic_time ();
      g_hash_table_insert (receiver.started, g_strdup (text), &starts[i]);
      send.start = starts[i];
      send.accepted = &latency;
      send.done = FALSE;
      sotto_messenger_send_async (alice.messenger, conversation, text, NULL, sent_cb, &send);

      while (!send.done || receiver.n_received == received)
        g_main_context_iteration (NULL, TRUE);

      if (i == 0)
        first_accepted = latency;
      else
        g_array_append_val (accepted, latency);
    }

  first_delivered = g_array_index (receiver.delivered, double, 0);
  g_array_remove_index (receiver.delivered, 0);

  /* All at once: how fast the outbox drains and the recipient keeps up. */
  {
    g_autofree Send *sends = g_new0 (Send, n_burst);
    g_autofree double *latencies = g_new0 (double, n_burst);
    guint received = receiver.n_received;
    gboolean all_done;

    start = g_get_monotonic_time ();
    for (guint i = 0; i < n_burst; i++)
      {
        g_autofree char *text = g_strdup_printf ("burst %u", i);

        sends[i].start = start;
        sends[i].accepted = &latencies[i];
        sotto_messenger_send_async (alice.messenger, conversation, text, NULL, sent_cb, &sends[i]);
      }

    do
      {
        g_main_context_iteration (NULL, TRUE);
        all_done = TRUE;
        for (guint i = 0; i < n_burst && all_done; i++)
          all_done = sends[i].done;
      }
    while (!all_done);
    drain_accepted = ms_since (start);

    while (receiver.n_received < received + n_burst)
      g_main_context_iteration (NULL, TRUE);
    drain_delivered = ms_since (start);
  }

  /* The same through sotto-cli: a process that opens the profile, sends
   * and exits, with Alice's profile closed here first. */
  bench_party_close (&alice);
  g_clear_object (&conversation);
  for (guint i = 0; i < CLI_RUNS; i++)
    {
      g_autofree char *profile = g_build_filename (root, "alice", NULL);
      g_autofree char *text = g_strdup_printf ("from sotto-cli %u", i);
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
      g_autoptr(GSubprocess) cli = NULL;
      guint received = receiver.n_received;
      double latency;

      g_subprocess_launcher_setenv (launcher, "SOTTO_PASSPHRASE", BENCH_PASSPHRASE, TRUE);
      start = g_get_monotonic_time ();
      cli = g_subprocess_launcher_spawn (launcher, &error, argv[2], "--profile", profile,
                                         "send", "bob", text, NULL);
      if (cli == NULL || !g_subprocess_wait_check (cli, NULL, &error))
        g_error ("sotto-cli send failed: %s", error->message);
      latency = ms_since (start);
      g_array_append_val (cli_runs, latency);

      while (receiver.n_received == received)
        g_main_context_iteration (NULL, TRUE);
    }

  g_print ("| %u messages, ms | p50 | p90 | p99 | mean | max |\n", n_messages);
  g_print ("|---|---|---|---|---|---|\n");
  print_row ("accepted by the relay (send to sent)", accepted);
  print_row ("delivered (send to stored by the recipient)", receiver.delivered);
  print_row ("a whole sotto-cli send process (" G_STRINGIFY (CLI_RUNS) " runs)", cli_runs);
  g_print ("\n");
  g_print ("first message, with bundle fetch and session setup: accepted %.2f ms, delivered %.2f ms\n",
           first_accepted, first_delivered);
  g_print ("%u messages at once: all accepted after %.0f ms (%.0f/s), all stored by the recipient after %.0f ms (%.0f/s)\n",
           n_burst, drain_accepted, n_burst / (drain_accepted / 1000),
           drain_delivered, n_burst / (drain_delivered / 1000));

  bench_party_close (&bob);
  g_hash_table_unref (receiver.started);
  g_array_unref (receiver.delivered);

  g_subprocess_send_signal (relay, SIGTERM);
  g_subprocess_wait (relay, NULL, NULL);

  dev_remove_tree (root);

  return 0;
}
