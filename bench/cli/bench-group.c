/* bench-group.c: a message to a group of 100 members through a local relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts a sotto-relay on loopback with a fresh data directory, registers
 * one sender and MEMBERS (100 by default) other accounts in fresh
 * profiles, and has the sender make a group of them all through the
 * engine, as sotto-cli and the app do (SottoGroupList).  It times:
 *
 *   create     the group's creation: every member's username looked up,
 *              a prekey bundle fetched and a session set up for each,
 *              and the creation delivered inside each 1:1 session;
 *   first      the first message: the sender key created and sent to
 *              every member inside their 1:1 sessions, then the message
 *              encrypted once and accepted by the relay for every member
 *              device in one multi-recipient send;
 *   message    each of MESSAGES (20) messages after it: encryption with
 *              the sender key and the relay's acceptance, the time
 *              sotto-cli send-group waits for;
 *   removal    removing one member (the update to every member);
 *   rotation   the first message after the removal: a new sender key to
 *              the members left, and the message.
 *
 * The members are not online: what is measured is the sender's side up
 * to the relay's durable acceptance.  The group cipher's own cost per
 * message, beside libsignal's, is in bench/protocol.
 *
 * Usage: bench-group RELAY-BINARY [MEMBERS [MESSAGES]]
 */

#include "config.h"

#include <signal.h>

#include <glib/gstdio.h>

#include "dev-util.h"
#include "sotto-engine.h"
#include "sotto-messenger.h"

#include "bench-party.h"

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static double
send_one (SottoGroupList *groups,
          SottoGroup     *group,
          const char     *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  sotto_group_list_send_async (groups, group, text, NULL, bench_result_cb, &result);
  bench_wait_for (&result);
  event = sotto_group_list_send_finish (groups, result, &error);
  if (event == NULL)
    g_error ("Could not send to the group: %s", error->message);

  return ms_since (start);
}

static void
print_messages (const char *what,
                GArray     *samples)
{
  double sum = 0;

  g_array_sort (samples, bench_compare_doubles);
  for (guint i = 0; i < samples->len; i++)
    sum += g_array_index (samples, double, i);

  g_print ("| %s | %.2f | %.2f | %.2f | %.2f |\n", what,
           g_array_index (samples, double, samples->len / 2),
           g_array_index (samples, double, samples->len * 9 / 10),
           sum / samples->len,
           g_array_index (samples, double, samples->len - 1));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *root = NULL;
  g_autofree char *relay_dir = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GSubprocess) relay = NULL;
  g_autoptr(GPtrArray) usernames = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) before = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) after = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) removed = NULL;
  g_autoptr(SottoGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups;
  BenchParty sender = { 0 };
  guint n_members;
  guint n_messages;
  gint64 start;
  double create_ms;
  double first_ms;
  double removal_ms;
  double rotation_ms;

  if (argc < 2 || argc > 4)
    {
      g_printerr ("Usage: %s RELAY-BINARY [MEMBERS [MESSAGES]]\n", argv[0]);
      return 2;
    }
  n_members = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 100;
  n_messages = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 20;
  if (n_members < 2 || n_members >= 128 || n_messages == 0)
    {
      g_printerr ("MEMBERS is 2 to 127, MESSAGES at least 1\n");
      return 2;
    }

  if (!sotto_engine_init (&error))
    g_error ("%s", error->message);

  root = g_dir_make_tmp ("sotto-bench-group-XXXXXX", &error);
  if (root == NULL)
    g_error ("%s", error->message);
  relay_dir = g_build_filename (root, "relay", NULL);
  g_mkdir (relay_dir, 0700);
  relay = bench_start_relay (argv[1], relay_dir, &url);

  /* The members register and go: the sender needs only their bundles. */
  for (guint i = 0; i < n_members; i++)
    {
      BenchParty member = { 0 };
      char *name = g_strdup_printf ("member%03u", i);

      bench_party_register (&member, root, name, url);
      bench_party_close (&member);
      g_ptr_array_add (usernames, name);
    }
  g_ptr_array_add (usernames, NULL);

  bench_party_register (&sender, root, "sender", url);
  groups = sotto_messenger_get_groups (sender.messenger);

  start = g_get_monotonic_time ();
  sotto_group_list_create_async (groups, "Bench", (const char * const *) usernames->pdata, NULL,
                                 bench_result_cb, &result);
  bench_wait_for (&result);
  group = sotto_group_list_create_finish (groups, result, &error);
  if (group == NULL)
    g_error ("Could not create the group: %s", error->message);
  create_ms = ms_since (start);

  first_ms = send_one (groups, group, "first");
  for (guint i = 0; i < n_messages; i++)
    {
      double ms = send_one (groups, group, "steady");

      g_array_append_val (before, ms);
    }

  start = g_get_monotonic_time ();
  sotto_group_list_remove_member_async (groups, group, g_ptr_array_index (usernames, n_members / 2), NULL,
                                        bench_result_cb, &removed);
  bench_wait_for (&removed);
  if (!sotto_group_list_change_finish (groups, removed, &error))
    g_error ("Could not remove a member: %s", error->message);
  removal_ms = ms_since (start);

  rotation_ms = send_one (groups, group, "rotated");
  for (guint i = 0; i < n_messages; i++)
    {
      double ms = send_one (groups, group, "steady again");

      g_array_append_val (after, ms);
    }

  g_print ("A group of %u members (the sender and %u others), one device each\n\n", n_members + 1, n_members);
  g_print ("| %u messages, ms | p50 | p90 | mean | max |\n", n_messages);
  g_print ("|---|---|---|---|---|\n");
  print_messages ("message: encrypted once, accepted by the relay for every member", before);
  print_messages ("the same after a removal", after);
  g_print ("\n");
  g_print ("create (lookups, bundles, sessions, the creation to each member): %.0f ms\n", create_ms);
  g_print ("first message (sender key to each member in its 1:1 session, then the message): %.0f ms\n", first_ms);
  g_print ("removing a member (the update to each member): %.0f ms\n", removal_ms);
  g_print ("first message after the removal (a new sender key to the %u left, then the message): %.0f ms\n",
           n_members - 1, rotation_ms);

  bench_party_close (&sender);
  g_subprocess_send_signal (relay, SIGTERM);
  g_subprocess_wait (relay, NULL, NULL);
  dev_remove_tree (root);

  return 0;
}
