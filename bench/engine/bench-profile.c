/* bench-profile.c: profiles with many messages, for the benchmarks
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both the engine's and the app's benchmark open a conversation with
 * 100,000 messages; this builds that profile the same way for both.
 */

#include "config.h"

#include <string.h>
#include <time.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-keys.h"

#include "sotto-engine.h"
#include "sotto-conversation-private.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"

#include "bench-profile.h"

#define IMPORT_BATCH 1000

static const SottoStoreKdfLimits kdf_limits = {
  crypto_pwhash_OPSLIMIT_MIN,
  crypto_pwhash_MEMLIMIT_MIN,
};

static const char *words[] = {
  "the", "relay", "never", "reads", "what", "we", "write", "safety", "number",
  "matches", "see", "you", "tomorrow", "at", "nine", "thanks", "ok", "sure",
};

double
bench_now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* CPU time of the calling thread, which the other processes on a shared
 * machine do not inflate the way they do wall time. */
double
bench_thread_cpu_ms (void)
{
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);

  return now.tv_sec * 1000.0 + now.tv_nsec / 1000000.0;
}

/* CPU time of the whole process, every thread. */
double
bench_process_cpu_ms (void)
{
  struct timespec now;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);

  return now.tv_sec * 1000.0 + now.tv_nsec / 1000000.0;
}

/* VmRSS or VmHWM in KiB. */
guint64
bench_memory_kib (const char *field)
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

void
bench_profile_import (GFile *profile,
                      guint  n_messages)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccountRecord) account = NULL;
  g_autoptr(SottoConversationRecord) conversation = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GError) error = NULL;
  SpKeyPair *identity;
  gint64 conversation_id;
  double start;

  store = _sotto_store_open_sync (profile, BENCH_PROFILE_PASSPHRASE, &kdf_limits, NULL, &error);
  g_assert_no_error (error);

  identity = sodium_malloc (sizeof *identity);
  g_assert_cmpint (sp_key_pair_generate (identity), ==, SP_OK);
  account = _sotto_account_record_new ("0f8fad5b-d9cb-469f-a165-70867728950e", "me", 1, 1,
                                       "https://relay.example", NULL, "password", identity);
  sodium_free (identity);
  g_assert_true (_sotto_store_save_account (store, account, &error));
  g_assert_no_error (error);

  conversation = _sotto_store_add_conversation (store, BENCH_PROFILE_CONTACT_UUID,
                                                "bob", "Bob", NULL, SOTTO_CONTACT_STANDING_ACCEPTED, &error);
  g_assert_no_error (error);
  conversation_id = conversation->id;

  start = bench_now_ms ();

  for (guint first = 0; first < n_messages; first += IMPORT_BATCH)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_message_record_free);

      for (guint i = first; i < MIN (first + IMPORT_BATCH, n_messages); i++)
        {
          g_autofree char *id = g_uuid_string_random ();
          g_autofree char *body = make_body (rand, i);
          gboolean outgoing = g_rand_boolean (rand);

          g_ptr_array_add (batch,
                           _sotto_message_record_new (id,
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
           n_messages, IMPORT_BATCH, bench_now_ms () - start);

  g_clear_pointer (&conversation, _sotto_conversation_record_free);
  g_clear_pointer (&account, _sotto_account_record_free);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);

  print_database_size (profile);
}

void
bench_profile_remove (GFile *profile)
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
