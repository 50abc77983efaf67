/* bench-engine.c: a conversation with many messages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Imports N messages (100,000 by default) into one conversation of a new
 * profile, closes the store, and then measures, as the app would go
 * about it: opening the store and loading the conversation list; the
 * newest page of the conversation ready to show; jumping to the oldest
 * page; and scrolling page by page from the newest message to the
 * oldest.  Resident memory is read from /proc/self/status after each
 * step.
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

#define IMPORT_BATCH 1000
#define PASSPHRASE "benchmark"

/* The benchmark measures messages, not the passphrase: Argon2id runs at
 * its minimum cost. */
static const SottoStoreKdfLimits kdf_limits = {
  crypto_pwhash_OPSLIMIT_MIN,
  crypto_pwhash_MEMLIMIT_MIN,
};

static const char *words[] = {
  "the", "relay", "never", "reads", "what", "we", "write", "safety", "number",
  "matches", "see", "you", "tomorrow", "at", "nine", "thanks", "ok", "sure",
};

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* VmRSS or VmHWM in KiB. */
static guint64
memory_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;

  line = strstr (status, field);
  if (line == NULL)
    return 0;

  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
}

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

static char *
make_body (GRand *rand,
           guint  index)
{
  GString *body = g_string_new (NULL);
  guint n_words = g_rand_int_range (rand, 3, 25);

  g_string_append_printf (body, "#%u", index);
  for (guint i = 0; i < n_words; i++)
    g_string_append_printf (body, " %s", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);

  return g_string_free (body, FALSE);
}

static void
print_database_size (GFile *profile)
{
  g_autofree char *path = g_build_filename (g_file_peek_path (profile), SOTTO_STORE_DATABASE_NAME, NULL);
  GStatBuf buf;

  if (g_stat (path, &buf) == 0)
    g_print ("| database size | %.1f MiB |\n", buf.st_size / (1024.0 * 1024.0));
}

static void
import (GFile *profile,
        guint  n_messages)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GError) error = NULL;
  SpKeyPair *identity;
  gint64 conversation_id;
  double start;

  store = _sotto_store_open_sync (profile, PASSPHRASE, &kdf_limits, NULL, &error);
  g_assert_no_error (error);

  identity = sodium_malloc (sizeof *identity);
  g_assert_cmpint (sp_key_pair_generate (identity), ==, SP_OK);
  account = sotto_account_new (store, "0f8fad5b-d9cb-469f-a165-70867728950e", "me", 1, 1,
                               "https://relay.example", "password", identity);
  sodium_free (identity);
  g_assert_true (_sotto_store_save_account (store, account, &error));
  g_assert_no_error (error);

  conversation = _sotto_store_add_conversation (store, account, "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                                                "bob", "Bob", NULL, &error);
  g_assert_no_error (error);
  conversation_id = _sotto_conversation_get_id (conversation);

  start = now_ms ();

  for (guint first = 0; first < n_messages; first += IMPORT_BATCH)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = first; i < MIN (first + IMPORT_BATCH, n_messages); i++)
        {
          g_autofree char *id = g_uuid_string_random ();
          g_autofree char *body = make_body (rand, i);
          gboolean outgoing = g_rand_boolean (rand);

          g_ptr_array_add (batch,
                           _sotto_message_new (id,
                                               outgoing ? SOTTO_MESSAGE_DIRECTION_OUTGOING
                                                        : SOTTO_MESSAGE_DIRECTION_INCOMING,
                                               SOTTO_MESSAGE_KIND_TEXT,
                                               SOTTO_MESSAGE_STATE_READ,
                                               1700000000000 + i * 1000,
                                               1700000000000 + i * 1000 + 300,
                                               body));
        }

      g_assert_true (_sotto_store_insert_messages (store, conversation_id, batch, &error));
      g_assert_no_error (error);
    }

  g_print ("| import of %u messages (transactions of %u) | %.0f ms |\n",
           n_messages, IMPORT_BATCH, now_ms () - start);

  g_clear_object (&conversation);
  g_clear_object (&account);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);

  print_database_size (profile);
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

  g_print ("| RSS before opening the profile | %" G_GUINT64_FORMAT " KiB |\n", memory_kib ("VmRSS:"));

  start = now_ms ();

  store = _sotto_store_open_sync (profile, PASSPHRASE, NULL, NULL, &error);
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

  g_print ("| open the store, read the account and the conversation list | %.1f ms |\n", now_ms () - start);

  /* The view shows the bottom of the conversation first. */
  step = now_ms ();
  for (guint i = 0; i < SOTTO_MESSAGE_LIST_PAGE_SIZE; i++)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (messages), n_messages - 1 - i);

      if (i == 0)
        newest = g_object_ref (message);
      wait_loaded (message);
    }
  g_print ("| newest page ready (%u messages) | %.2f ms |\n", SOTTO_MESSAGE_LIST_PAGE_SIZE, now_ms () - step);
  g_print ("| total from opening the profile to the first page | %.1f ms |\n", now_ms () - start);
  g_print ("| RSS with the first page shown | %" G_GUINT64_FORMAT " KiB |\n", memory_kib ("VmRSS:"));

  step = now_ms ();
  oldest = g_list_model_get_item (G_LIST_MODEL (messages), 0);
  wait_loaded (oldest);
  g_print ("| jump to the oldest page | %.2f ms |\n", now_ms () - step);
  g_assert_cmpstr (sotto_message_get_body (oldest), !=, NULL);
  g_assert_true (g_str_has_prefix (sotto_message_get_body (oldest), "#0 "));

  /* Scrolling asks for one page after the other, newest first, and lets
   * go of what scrolled out of view. */
  n_pages = (n_messages + SOTTO_MESSAGE_LIST_PAGE_SIZE - 1) / SOTTO_MESSAGE_LIST_PAGE_SIZE;
  step = now_ms ();
  for (guint page = n_pages; page-- > 0;)
    {
      guint last = MIN ((page + 1) * SOTTO_MESSAGE_LIST_PAGE_SIZE, n_messages) - 1;
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (messages), last);

      /* The oldest message is still held from the jump, and loaded; the
       * last one of a page is a placeholder until its page arrives. */
      wait_loaded (message);
    }
  step = now_ms () - step;
  g_print ("| scroll from the newest to the oldest page (%u pages) | %.0f ms, %.3f ms per page |\n",
           n_pages, step, step / n_pages);
  g_print ("| pages read from the store | %u |\n", _sotto_message_list_get_n_page_loads (messages));

  /* The same reads without the hand-over to the store's thread and back.
   * A job queued behind every page load makes sure the thread is idle. */
  sotto_account_load_async (store, NULL, result_cb, &result);
  wait_result (&result);
  g_clear_object (&result);

  step = now_ms ();
  for (guint page = 0; page < n_pages; page++)
    {
      g_autoptr(GPtrArray) rows = _sotto_store_load_messages (store, _sotto_conversation_get_id (conversation),
                                                              page * SOTTO_MESSAGE_LIST_PAGE_SIZE,
                                                              SOTTO_MESSAGE_LIST_PAGE_SIZE, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (rows->len, >, 0);
    }
  step = now_ms () - step;
  g_print ("| reading and decrypting one page in the store alone | %.3f ms |\n", step / n_pages);
  g_print ("| RSS after scrolling through everything | %" G_GUINT64_FORMAT " KiB (peak %" G_GUINT64_FORMAT " KiB) |\n",
           memory_kib ("VmRSS:"), memory_kib ("VmHWM:"));

  g_clear_object (&newest);
  g_clear_object (&oldest);
  g_clear_object (&conversation);
  g_clear_object (&list);
  g_clear_object (&account);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);
}

static void
remove_profile (GFile *profile)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (profile, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NONE, NULL, NULL);
  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFile) child = g_file_get_child (profile, g_file_info_get_name (info));

      g_file_delete (child, NULL, NULL);
      g_object_unref (info);
    }

  g_file_delete (profile, NULL, NULL);
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
  import (profile, n_messages);

  /* Let the store's thread hand back its last references. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  measure (profile, n_messages);

  remove_profile (profile);

  return EXIT_SUCCESS;
}
