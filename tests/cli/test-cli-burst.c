/* test-cli-burst.c: a relay, a sender or a receiver killed in the middle
 * of a burst of messages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two senders write 500 messages each to a third person as fast as the
 * engine takes them, while the third receives with sotto-cli.  The relay
 * is killed with SIGKILL part way and started again on the same port
 * and data.  Every message must arrive exactly once, and each sender's
 * in the order they were written.
 *
 * Then a sender process hands 500 messages over at once, which its
 * outbox pipelines on the delivery socket.  Part way the relay stops
 * answering (SIGSTOP) while the sender goes on sending, and then the
 * sender, the receiving sotto-cli and the relay are killed with SIGKILL:
 * the relay loses what it had read and not committed.  The sender's
 * profile opened again sends the rest, and the recipient's history holds
 * every message once, in order.
 *
 * And a recipient that cannot store a sender's message yet (the relay
 * refuses to check the new sender's username) stores nothing later from
 * that sender on the same connection, so that the relay's next delivery
 * brings them all in order.
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"
#include "dev-util.h"
#include "sotto-engine.h"
#include "sotto-messenger.h"

#define MESSAGES_PER_SENDER 500
#define KILL_AFTER 300
#define DOWN_MS 700

/* The sender process is killed once this many of its messages are
 * sent, with a pipeline's worth still on their way. */
#define KILL_SENDER_AFTER 150
#define FROZEN_MS 300

typedef struct
{
  const char *name;
  SottoStore *store;
  SottoMessenger *messenger;
  SottoConversation *conversation;
  guint sent;
  guint queued;
} Sender;

typedef struct
{
  CliTest *test;
  Sender senders[2];
  gboolean killed;
  gboolean restarted;
} Burst;

static void
sender_open (Sender     *sender,
             const char *profile)
{
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GError) error = NULL;

  sender->store = cli_open_store (profile);
  sender->messenger = cli_load_messenger (sender->store);

  sotto_messenger_open_conversation_async (sender->messenger, "bob", NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  sender->conversation = sotto_messenger_open_conversation_finish (sender->messenger, found, &error);
  g_assert_no_error (error);

  sotto_messenger_start (sender->messenger);
}

static void
sender_close (Sender *sender)
{
  sotto_messenger_stop (sender->messenger);
  g_clear_object (&sender->conversation);
  g_clear_object (&sender->messenger);
  cli_close_store (g_steal_pointer (&sender->store));
}

typedef struct
{
  Burst *burst;
  Sender *sender;
} Send;

static gboolean
restart_cb (gpointer user_data)
{
  Burst *burst = user_data;

  cli_relay_restart (burst->test->relay);
  burst->restarted = TRUE;

  return G_SOURCE_REMOVE;
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autofree Send *send = user_data;
  Burst *burst = send->burst;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (sotto_messenger_send_finish (SOTTO_MESSENGER (object), result, &message, &error))
    send->sender->sent++;
  else
    {
      /* The relay went away: the message waits in the outbox. */
      g_assert_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED);
      g_assert_nonnull (message);
      send->sender->queued++;
    }

  if (!burst->killed && burst->senders[0].sent + burst->senders[1].sent >= KILL_AFTER)
    {
      g_test_message ("Killing the relay after %u messages",
                      burst->senders[0].sent + burst->senders[1].sent);
      cli_relay_kill (burst->test->relay);
      burst->killed = TRUE;
      g_timeout_add (DOWN_MS, restart_cb, burst);
    }
}

static void
flush (Sender *sender)
{
  while (TRUE)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      sotto_messenger_flush_async (sender->messenger, NULL, cli_result_cb, &result);
      cli_wait_for (&result);
      if (sotto_messenger_flush_finish (sender->messenger, result, &error))
        return;

      g_assert_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED);
      g_usleep (100 * 1000);
    }
}

/* Checks that @lines hold each of @sender's messages once, in order. */
static void
check_sender (GPtrArray  *messages,
              const char *sender,
              GHashTable *ids)
{
  guint expected = 0;

  for (guint i = 0; i < messages->len; i++)
    {
      JsonObject *message = g_ptr_array_index (messages, i);
      g_autofree char *text = NULL;

      if (!g_str_equal (json_object_get_string_member (message, "from"), sender))
        continue;

      text = g_strdup_printf ("%s %04u", sender, expected);
      g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, text);
      g_assert_true (g_hash_table_add (ids, g_strdup (json_object_get_string_member (message, "id"))));
      expected++;
    }

  g_assert_cmpuint (expected, ==, MESSAGES_PER_SENDER);
}

static void
test_burst (void)
{
  g_autoptr(CliTest) test = cli_test_new (TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(CliResult) first = NULL;
  g_autoptr(CliResult) rest = NULL;
  g_autoptr(GPtrArray) first_lines = NULL;
  g_autoptr(GPtrArray) rest_lines = NULL;
  GSubprocess *receiver;
  Burst burst = { test, { { "alice" }, { "carol" } }, FALSE, FALSE };
  gint64 start = g_get_monotonic_time ();

  sender_open (&burst.senders[0], alice);
  sender_open (&burst.senders[1], carol);

  receiver = cli_spawn (test, bob, "--json", "receive", "--timeout", "5", NULL);

  for (guint i = 0; i < MESSAGES_PER_SENDER; i++)
    {
      for (guint j = 0; j < G_N_ELEMENTS (burst.senders); j++)
        {
          Sender *sender = &burst.senders[j];
          g_autofree char *text = g_strdup_printf ("%s %04u", sender->name, i);
          Send *send = g_new0 (Send, 1);

          send->burst = &burst;
          send->sender = sender;
          sotto_messenger_send_async (sender->messenger, sender->conversation, text, NULL, sent_cb, send);
        }
    }

  while (burst.senders[0].sent + burst.senders[0].queued < MESSAGES_PER_SENDER
         || burst.senders[1].sent + burst.senders[1].queued < MESSAGES_PER_SENDER
         || !burst.restarted)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (burst.killed);
  g_test_message ("%u sent and %u queued before the outbox drained",
                  burst.senders[0].sent + burst.senders[1].sent,
                  burst.senders[0].queued + burst.senders[1].queued);

  flush (&burst.senders[0]);
  flush (&burst.senders[1]);
  g_test_message ("Every message reached the relay after %.1f s",
                  (g_get_monotonic_time () - start) / 1e6);

  /* The receiver may have given up while the relay was away; then a
   * second one collects the rest. */
  first = cli_wait (receiver);
  g_assert_cmpint (first->status, <=, 1);
  first_lines = cli_parse_lines (first->out);
  for (guint i = 0; i < first_lines->len; i++)
    g_ptr_array_add (messages, json_object_ref (g_ptr_array_index (first_lines, i)));

  rest = cli_run (test, bob, "--json", "receive", "--timeout", "0", NULL);
  cli_assert_ok (rest);
  rest_lines = cli_parse_lines (rest->out);
  for (guint i = 0; i < rest_lines->len; i++)
    g_ptr_array_add (messages, json_object_ref (g_ptr_array_index (rest_lines, i)));

  g_test_message ("Received %u + %u messages after %.1f s", first_lines->len, rest_lines->len,
                  (g_get_monotonic_time () - start) / 1e6);

  g_assert_cmpuint (messages->len, ==, 2 * MESSAGES_PER_SENDER);
  check_sender (messages, "alice", ids);
  check_sender (messages, "carol", ids);

  sender_close (&burst.senders[0]);
  sender_close (&burst.senders[1]);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef struct
{
  guint sent;
  guint failed;
} Count;

static void
counted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Count *count = user_data;
  g_autoptr(GError) error = NULL;

  if (sotto_messenger_send_finish (SOTTO_MESSENGER (object), result, NULL, &error))
    count->sent++;
  else
    count->failed++;
}

/* Hands @sender's whole burst over at once and waits for every answer. */
static void
send_burst (Sender *sender,
            Count  *count)
{
  for (guint i = 0; i < MESSAGES_PER_SENDER; i++)
    {
      g_autofree char *text = g_strdup_printf ("%s %04u", sender->name, i);

      sotto_messenger_send_async (sender->messenger, sender->conversation, text, NULL, counted_cb, count);
    }

  while (count->sent + count->failed < MESSAGES_PER_SENDER)
    g_main_context_iteration (NULL, TRUE);
}

/* Every message of @profile's conversation with @with, oldest first. */
static GPtrArray *
full_history (CliTest    *test,
              const char *profile,
              const char *with)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "history", with, "--limit", "1000", NULL);

  cli_assert_ok (result);

  return cli_parse_lines (result->out);
}

static void
sent_one_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* One line per message the relay took, for the test to count. */
  if (sotto_messenger_send_finish (SOTTO_MESSENGER (object), result, NULL, &error))
    {
      g_print ("sent\n");
      fflush (stdout);
    }
}

/* The sender process: hands every message over at once, then waits to
 * be killed. */
G_NORETURN static void
hand_over (const char *profile)
{
  Sender sender = { "alice" };

  g_assert_cmpint (sp_init (), ==, SP_OK);
  sender_open (&sender, profile);

  for (guint i = 0; i < MESSAGES_PER_SENDER; i++)
    {
      g_autofree char *text = g_strdup_printf ("%s %04u", sender.name, i);

      sotto_messenger_send_async (sender.messenger, sender.conversation, text, NULL, sent_one_cb, NULL);
    }

  while (TRUE)
    g_main_context_iteration (NULL, TRUE);
}

static void
kill_and_reap (GSubprocess *process)
{
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
  g_assert_false (g_subprocess_get_if_exited (process));
}

static void
test_sender_killed (void)
{
  g_autoptr(CliTest) test = cli_test_new (TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) sender_process = NULL;
  g_autoptr(GSubprocess) receiver = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(CliResult) sent = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) outgoing = NULL;
  g_autoptr(GError) error = NULL;
  Sender sender = { "alice" };

  /* Alice knows Bob before the burst, as the sender process expects. */
  sent = cli_run (test, alice, "send", "bob", "alice first", NULL);
  cli_assert_ok (sent);

  receiver = cli_spawn (test, bob, "--json", "receive", "--timeout", "60", NULL);

  g_subprocess_launcher_set_child_setup (launcher, dev_die_with_parent, NULL, NULL);
  sender_process = g_subprocess_launcher_spawn (launcher, &error, self, "--hand-over", alice, NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sender_process));
  for (guint i = 0; i < KILL_SENDER_AFTER; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, "sent");
    }

  /* The relay stops answering, and the sender goes on sending into its
   * socket; then all three die, the relay losing what it had not
   * committed. */
  g_subprocess_send_signal (test->relay->process, SIGSTOP);
  g_usleep (FROZEN_MS * 1000);
  g_test_message ("Killing the sender, the receiver and the relay after %u messages", KILL_SENDER_AFTER);
  kill_and_reap (sender_process);
  kill_and_reap (receiver);
  cli_relay_kill (test->relay);
  cli_relay_restart (test->relay);

  /* What the killed sender had not seen taken goes now, once more if
   * the relay had it after all. */
  sender_open (&sender, alice);
  flush (&sender);
  sender_close (&sender);

  cli_run_ok (test, bob, "--json", "receive", "--timeout", "0", NULL);

  history = full_history (test, bob, "alice");
  g_assert_cmpuint (history->len, ==, MESSAGES_PER_SENDER + 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 0), "text"), ==, "alice first");
  g_ptr_array_remove_index (history, 0);
  check_sender (history, "alice", ids);

  /* And the sender knows that every message left. */
  outgoing = full_history (test, alice, "bob");
  g_assert_cmpuint (outgoing->len, ==, MESSAGES_PER_SENDER + 1);
  for (guint i = 0; i < outgoing->len; i++)
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (outgoing, i), "state"), !=, "queued");

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The recipient registered again before a burst: the relay refuses the
 * first pipelined sends as going to a stale device, the sender sets up
 * a new session with the new keys and goes on, and everything arrives
 * once, in order. */
static void
test_recipient_reset (void)
{
  g_autoptr(CliTest) test = cli_test_new (TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(CliResult) sent = NULL;
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  Sender sender = { "alice" };
  Count count = { 0, 0 };

  sent = cli_run (test, alice, "send", "bob", "alice first", NULL);
  cli_assert_ok (sent);
  received = cli_run (test, bob, "receive", "--timeout", "0", NULL);
  cli_assert_ok (received);
  cli_run_ok (test, bob, "reset-identity", NULL);

  sender_open (&sender, alice);
  send_burst (&sender, &count);
  g_assert_cmpuint (count.sent, ==, MESSAGES_PER_SENDER);
  sender_close (&sender);

  g_clear_pointer (&received, cli_result_free);
  cli_run_ok (test, bob, "receive", "--timeout", "0", NULL);

  history = full_history (test, bob, "alice");
  g_assert_cmpuint (history->len, ==, MESSAGES_PER_SENDER + 1);
  g_ptr_array_remove_index (history, 0);
  check_sender (history, "alice", ids);

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The relay's limits are out of the way, but for lookups: one, and then
 * almost never another, until the test reloads them as plentiful. */
#define RELAXED_BUT_LOOKUPS \
  "[rate-limits]\n" \
  "address-requests=100000/100000\n" \
  "address-websockets=100000/100000\n" \
  "account-sends=100000/100000\n" \
  "pair-sends=100000/100000\n"

static const char scarce_lookups_conf[] = RELAXED_BUT_LOOKUPS "account-lookups=0.0001/1\n";
static const char plenty_lookups_conf[] = RELAXED_BUT_LOOKUPS "account-lookups=100000/100000\n";

static void
relay_set_conf (CliRelay   *relay,
                const char *conf)
{
  g_autofree char *path = g_build_filename (relay->data_dir, "relay.conf", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, conf, -1, &error);
  g_assert_no_error (error);
}

static guint
relay_count_reloads (CliRelay *relay)
{
  g_autofree char *log_path = g_build_filename (relay->data_dir, "relay.log", NULL);
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  guint reloads = 0;

  g_file_get_contents (log_path, &log, NULL, &error);
  g_assert_no_error (error);
  for (const char *at = log; (at = strstr (at, "Reload: rate limits")) != NULL; at++)
    reloads++;

  return reloads;
}

/* Rewrites relay.conf and waits until the running relay says it read it. */
static void
relay_reload (CliRelay   *relay,
              const char *conf)
{
  guint before = relay_count_reloads (relay);

  relay_set_conf (relay, conf);
  g_subprocess_send_signal (relay->process, SIGHUP);
  while (relay_count_reloads (relay) == before)
    g_usleep (20 * 1000);
}

static void
received_cb (SottoMessenger    *messenger,
             SottoConversation *conversation,
             SottoMessage      *message,
             GPtrArray         *bodies)
{
  g_ptr_array_add (bodies, g_strdup (sotto_message_get_body (message)));
}

static void
wait_drained (SottoMessenger *messenger)
{
  while (!sotto_messenger_get_drained (messenger))
    g_main_context_iteration (NULL, TRUE);
}

static void
test_unknown_sender_order (void)
{
  g_autoptr(CliTest) test = cli_test_new (TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GAsyncResult) looked_up = NULL;
  g_autoptr(SottoConversation) nobody = NULL;
  g_autoptr(GError) error = NULL;
  Sender receiver = { "bob" };

  /* Bob does not know Alice when her first messages wait for him. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("alice %04u", i);
      g_autoptr(CliResult) sent = cli_run (test, alice, "send", "bob", text, NULL);

      cli_assert_ok (sent);
    }

  /* Bob spends the one lookup the relay grants him, so that it refuses
   * to check who Alice is. */
  cli_relay_stop (test->relay);
  relay_set_conf (test->relay, scarce_lookups_conf);
  cli_relay_restart (test->relay);

  receiver.store = cli_open_store (bob);
  receiver.messenger = cli_load_messenger (receiver.store);
  g_signal_connect (receiver.messenger, "message-received", G_CALLBACK (received_cb), bodies);
  sotto_messenger_open_conversation_async (receiver.messenger, "nobody", NULL, cli_result_cb, &looked_up);
  cli_wait_for (&looked_up);
  nobody = sotto_messenger_open_conversation_finish (receiver.messenger, looked_up, &error);
  g_assert_null (nobody);
  g_clear_error (&error);

  sotto_messenger_start (receiver.messenger);
  wait_drained (receiver.messenger);
  g_assert_cmpuint (bodies->len, ==, 0);

  /* Now the relay would answer: Alice's next message arrives on the
   * same connection, and then Carol's, which shows that Bob is past it. */
  relay_reload (test->relay, plenty_lookups_conf);
  {
    g_autoptr(CliResult) late = cli_run (test, alice, "send", "bob", "alice 0003", NULL);
    g_autoptr(CliResult) other = cli_run (test, carol, "send", "bob", "carol 0000", NULL);

    cli_assert_ok (late);
    cli_assert_ok (other);
  }
  while (bodies->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (g_ptr_array_index (bodies, 0), ==, "carol 0000");

  /* The next connection brings Alice's messages again, all of them, in
   * the order she wrote them. */
  sotto_messenger_stop (receiver.messenger);
  sotto_messenger_start (receiver.messenger);
  wait_drained (receiver.messenger);
  sender_close (&receiver);

  history = full_history (test, bob, "alice");
  g_assert_cmpuint (history->len, ==, 4);
  for (guint i = 0; i < history->len; i++)
    {
      g_autofree char *text = g_strdup_printf ("alice %04u", i);

      g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, i), "text"), ==, text);
    }

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--hand-over"))
    hand_over (argv[2]);

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/burst", test_burst);
  g_test_add_func ("/cli/burst/sender-killed", test_sender_killed);
  g_test_add_func ("/cli/burst/recipient-reset", test_recipient_reset);
  g_test_add_func ("/cli/burst/unknown-sender-order", test_unknown_sender_order);

  return g_test_run ();
}
