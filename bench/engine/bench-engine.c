/* bench-engine.c: a conversation with many messages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Imports N messages (100,000 by default) into one conversation of a new
 * profile, closes the store, and then measures, as the app would go
 * about it: opening the store and loading the conversation list; the
 * newest page of the conversation ready to show; jumping to the oldest
 * page; scrolling page by page from the newest message to the oldest;
 * and searching the text of every message in the store.  Resident
 * memory is read from /proc/self/status after each step.
 *
 * Usage: bench-engine [N_MESSAGES]
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"

#include "sotto-engine.h"
#include "sotto-conversation-private.h"
#include "sotto-message-list-private.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"

#include "bench-profile.h"


static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_loaded (SottoMessage *message)
{
  while (!sotto_message_get_loaded (message))
    g_main_context_iteration (NULL, TRUE);
}

static void
measure (GFile *profile,
         guint  n_messages)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversationList) list = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(SottoMessage) newest = NULL;
  g_autoptr(SottoMessage) oldest = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoMessageList *messages;
  guint n_pages;
  double start;
  double step;

  g_print ("| RSS before opening the profile | %" G_GUINT64_FORMAT " KiB |\n", bench_memory_kib ("VmRSS:"));

  start = bench_now_ms ();

  store = _sotto_store_open_sync (profile, BENCH_PROFILE_PASSPHRASE, NULL, NULL, &error);
  g_assert_no_error (error);

  sotto_account_load_async (store, NULL, result_cb, &result);
  wait_result (&result);
  account = sotto_account_load_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  sotto_conversation_list_load_async (account, NULL, result_cb, &result);
  wait_result (&result);
  list = sotto_conversation_list_load_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  conversation = g_list_model_get_item (G_LIST_MODEL (list), 0);
  messages = SOTTO_MESSAGE_LIST (sotto_conversation_get_messages (conversation));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, n_messages);

  g_print ("| open the store, read the account and the conversation list | %.1f ms |\n", bench_now_ms () - start);

  /* The view shows the bottom of the conversation first. */
  step = bench_now_ms ();
  for (guint i = 0; i < SOTTO_MESSAGE_LIST_PAGE_SIZE; i++)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (messages), n_messages - 1 - i);

      if (i == 0)
        newest = g_object_ref (message);
      wait_loaded (message);
    }
  g_print ("| newest page ready (%u messages) | %.2f ms |\n", SOTTO_MESSAGE_LIST_PAGE_SIZE, bench_now_ms () - step);
  g_print ("| total from opening the profile to the first page | %.1f ms |\n", bench_now_ms () - start);
  g_print ("| RSS with the first page shown | %" G_GUINT64_FORMAT " KiB |\n", bench_memory_kib ("VmRSS:"));

  step = bench_now_ms ();
  oldest = g_list_model_get_item (G_LIST_MODEL (messages), 0);
  wait_loaded (oldest);
  g_print ("| jump to the oldest page | %.2f ms |\n", bench_now_ms () - step);
  g_assert_cmpstr (sotto_message_get_body (oldest), !=, NULL);
  g_assert_true (g_str_has_prefix (sotto_message_get_body (oldest), "#0 "));

  /* Scrolling asks for one page after the other, newest first, and lets
   * go of what scrolled out of view. */
  n_pages = (n_messages + SOTTO_MESSAGE_LIST_PAGE_SIZE - 1) / SOTTO_MESSAGE_LIST_PAGE_SIZE;
  step = bench_now_ms ();
  for (guint page = n_pages; page-- > 0;)
    {
      guint last = MIN ((page + 1) * SOTTO_MESSAGE_LIST_PAGE_SIZE, n_messages) - 1;
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (messages), last);

      /* The oldest message is still held from the jump, and loaded; the
       * last one of a page is a placeholder until its page arrives. */
      wait_loaded (message);
    }
  step = bench_now_ms () - step;
  g_print ("| scroll from the newest to the oldest page (%u pages) | %.0f ms, %.3f ms per page |\n",
           n_pages, step, step / n_pages);
  g_print ("| pages read from the store | %u |\n", _sotto_message_list_get_n_page_loads (messages));

  /* The same reads without the hand-over to the store's thread and back.
   * A job queued behind every page load makes sure the thread is idle. */
  sotto_account_load_async (store, NULL, result_cb, &result);
  wait_result (&result);
  g_clear_object (&result);

  step = bench_now_ms ();
  for (guint page = 0; page < n_pages; page++)
    {
      g_autoptr(GPtrArray) rows = _sotto_store_load_messages (store, _sotto_conversation_get_id (conversation),
                                                              page * SOTTO_MESSAGE_LIST_PAGE_SIZE,
                                                              SOTTO_MESSAGE_LIST_PAGE_SIZE, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (rows->len, >, 0);
    }
  step = bench_now_ms () - step;
  g_print ("| reading and decrypting one page in the store alone | %.3f ms |\n", step / n_pages);
  g_print ("| RSS after scrolling through everything | %" G_GUINT64_FORMAT " KiB (peak %" G_GUINT64_FORMAT " KiB) |\n",
           bench_memory_kib ("VmRSS:"), bench_memory_kib ("VmHWM:"));

  /* A search for the text of one message unseals and compares every
   * message; here in one go, without the batches and the hand-overs of
   * sotto_conversation_list_search_async(). */
  {
    g_autoptr(GPtrArray) matches = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_store_match_free);
    double step_cpu;
    g_autoptr(GHashTable) conversation_ids = g_hash_table_new (g_int64_hash, g_int64_equal);
    g_autofree char *query = g_strdup_printf ("#%u ", n_messages / 3);
    gint64 conversation_id = _sotto_conversation_get_id (conversation);
    gint64 next_before_id;

    g_hash_table_add (conversation_ids, &conversation_id);
    step = bench_now_ms ();
    step_cpu = bench_thread_cpu_ms ();
    g_assert_true (_sotto_store_search (store, SOTTO_STORE_SEARCH_MESSAGES, query, conversation_ids, G_MAXINT64,
                                        G_MAXUINT, matches, SOTTO_CONVERSATION_LIST_MAX_MATCHES, &next_before_id,
                                        &error));
    g_assert_no_error (error);
    g_print ("| search the text of %u messages in the store alone | %.1f ms (CPU %.1f ms) |\n",
             n_messages, bench_now_ms () - step, bench_thread_cpu_ms () - step_cpu);
    g_assert_cmpuint (matches->len, ==, 1);
  }

  g_clear_object (&newest);
  g_clear_object (&oldest);
  g_clear_object (&conversation);
  g_clear_object (&list);
  g_clear_object (&account);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GFile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint n_messages = 100000;

  if (argc > 1)
    n_messages = strtoul (argv[1], NULL, 10);

  if (n_messages < SOTTO_MESSAGE_LIST_PAGE_SIZE || sp_init () != SP_OK)
    {
      g_printerr ("Usage: %s [N_MESSAGES ≥ %u]\n", argv[0], SOTTO_MESSAGE_LIST_PAGE_SIZE);
      return EXIT_FAILURE;
    }

  path = g_dir_make_tmp ("sotto-bench-engine-XXXXXX", &error);
  g_assert_no_error (error);
  profile = g_file_new_for_path (path);

  g_print ("| measurement | result |\n|---|---|\n");
  bench_profile_import (profile, n_messages);

  /* Let the store's thread hand back its last references. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  measure (profile, n_messages);

  bench_profile_remove (profile);

  return EXIT_SUCCESS;
}
