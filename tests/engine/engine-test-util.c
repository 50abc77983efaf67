/* engine-test-util.c: what the engine's tests share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"

#include "engine-test-util.h"
#include "sotto-group-state-private.h"
#include "sotto-store-private.h"

/* Long enough for a slow CI machine under the sanitizers, short enough
 * that a lost callback fails the test instead of hanging it. */
#define WAIT_TIMEOUT_SECONDS 30

/* Argon2id at its minimum cost: the tests open many stores, and what
 * they check does not depend on the cost. */
static const SottoStoreKdfLimits fast_limits = {
  crypto_pwhash_OPSLIMIT_MIN,
  crypto_pwhash_MEMLIMIT_MIN,
};

void
engine_test_init (int    *argc,
                  char ***argv)
{
  g_test_init (argc, argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);
}

GFile *
engine_test_make_profile (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  path = g_dir_make_tmp ("sotto-engine-XXXXXX", &error);
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

static void
remove_recursively (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          remove_recursively (child);
          g_object_unref (info);
        }
    }

  g_file_delete (file, NULL, NULL);
}

void
engine_test_remove_profile (GFile *profile)
{
  remove_recursively (profile);
  g_object_unref (profile);
}

SottoStore *
engine_test_open_store (GFile      *profile,
                        const char *passphrase)
{
  g_autoptr(GError) error = NULL;
  SottoStore *store;

  store = _sotto_store_open_sync (profile, passphrase, &fast_limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (SOTTO_IS_STORE (store));

  return store;
}

/* Closes @store and drops the caller's reference; the files are final
 * when this returns.  Models may still hold the store. */
void
engine_test_close_store (SottoStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_store_close_async (store, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_store_close_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_object_unref (store);
}

SottoAccount *
engine_test_make_account (SottoStore *store)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *username = g_strdup_printf ("me-%.8s", uuid);
  SottoAccount *account;
  SpKeyPair *identity;

  identity = sodium_malloc (sizeof *identity);
  g_assert_nonnull (identity);
  g_assert_cmpint (sp_key_pair_generate (identity), ==, SP_OK);

  account = sotto_account_new (store, uuid, username, 1, 4242,
                               "https://relay.example", "device-password", identity);
  sodium_free (identity);

  return account;
}

GBytes *
engine_test_make_identity (void)
{
  SpKeyPair *pair;
  GBytes *key;

  pair = sodium_malloc (sizeof *pair);
  g_assert_nonnull (pair);
  g_assert_cmpint (sp_key_pair_generate (pair), ==, SP_OK);
  key = g_bytes_new (pair->public_key.bytes, sizeof pair->public_key.bytes);
  sodium_free (pair);

  return key;
}

void
engine_test_result_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static gboolean
timeout_cb (gpointer user_data)
{
  g_error ("Timed out waiting for the engine");

  return G_SOURCE_REMOVE;
}

void
engine_test_wait_until (gboolean (*done) (gpointer data),
                        gpointer   data)
{
  guint timeout_id = g_timeout_add_seconds (WAIT_TIMEOUT_SECONDS, timeout_cb, NULL);

  while (!done (data))
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (timeout_id);
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

void
engine_test_wait_for (gboolean *condition)
{
  engine_test_wait_until (is_true, condition);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

void
engine_test_wait (GAsyncResult **result)
{
  engine_test_wait_until (has_result, result);
}

/* A "notify" handler that counts the notifications in the guint at @count. */
void
engine_test_count_notify_cb (GObject    *object,
                             GParamSpec *pspec,
                             guint      *count)
{
  (*count)++;
}

/* Drops the caller's reference to @object and waits until the last one
 * is gone: the store's thread hands its references back to the main
 * context, so they are released an iteration or two after a callback. */
void
engine_test_await_finalize (gpointer object)
{
  gpointer weak = object;
  guint timeout_id;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);

  timeout_id = g_timeout_add_seconds (WAIT_TIMEOUT_SECONDS, timeout_cb, NULL);
  while (weak != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout_id);
}

GBytes *
engine_test_read_file (GFile *file)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_file_load_bytes (file, NULL, NULL, &error);
  g_assert_no_error (error);

  return bytes;
}

static gboolean
bytes_contain (const guint8 *data,
               gsize         len,
               const void   *needle,
               gsize         needle_len)
{
  for (gsize i = 0; needle_len <= len && i <= len - needle_len; i++)
    {
      if (memcmp (data + i, needle, needle_len) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
file_contains (GFile      *file,
               const void *needle,
               gsize       needle_len)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (info == NULL)
    return FALSE;

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      GFileInfo *child_info;

      children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
      g_assert_nonnull (children);

      while ((child_info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (child_info));
          gboolean found = file_contains (child, needle, needle_len);

          g_object_unref (child_info);
          if (found)
            return TRUE;
        }

      return FALSE;
    }
  else
    {
      g_autoptr(GBytes) contents = engine_test_read_file (file);
      gsize len;
      const guint8 *data = g_bytes_get_data (contents, &len);

      return bytes_contain (data, len, needle, needle_len);
    }
}

/* Whether any file under @profile, the database and its -wal and -shm
 * files included, contains @needle. */
gboolean
engine_test_profile_contains (GFile      *profile,
                              const void *needle,
                              gsize       needle_len)
{
  return file_contains (profile, needle, needle_len);
}

/* Loads @account's conversation list and checks that it is @account's. */
SottoConversationList *
engine_test_load_list (SottoAccount *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoConversationList *list;

  sotto_conversation_list_load_async (account, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  list = sotto_conversation_list_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (sotto_conversation_list_get_account (list) == account);

  return list;
}

SottoConversation *
engine_test_add_conversation (SottoConversationList *list,
                              const char            *username,
                              GBytes                *identity_key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  SottoConversation *conversation;

  sotto_conversation_list_add_async (list, uuid, username, NULL, identity_key,
                                     NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  conversation = sotto_conversation_list_add_finish (list, result, &error);
  g_assert_no_error (error);
  g_assert_true (SOTTO_IS_CONVERSATION (conversation));

  return conversation;
}

struct _EngineTestMirror
{
  GListModel *model;
  GPtrArray *items;
  gulong handler_id;
  guint n_signals;
};

static void
mirror_items_changed_cb (GListModel       *model,
                         guint             position,
                         guint             removed,
                         guint             added,
                         EngineTestMirror *mirror)
{
  g_assert_cmpuint (position + removed, <=, mirror->items->len);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, mirror->items->len - removed + added);

  g_ptr_array_remove_range (mirror->items, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror->items, position + i, g_list_model_get_item (model, position + i));

  mirror->n_signals++;
}

EngineTestMirror *
engine_test_mirror_new (GListModel *model)
{
  EngineTestMirror *mirror = g_new0 (EngineTestMirror, 1);
  guint n_items = g_list_model_get_n_items (model);

  mirror->model = g_object_ref (model);
  mirror->items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (mirror->items, g_list_model_get_item (model, i));

  mirror->handler_id = g_signal_connect (model, "items-changed",
                                         G_CALLBACK (mirror_items_changed_cb), mirror);

  return mirror;
}

void
engine_test_mirror_free (EngineTestMirror *mirror)
{
  g_clear_signal_handler (&mirror->handler_id, mirror->model);
  g_clear_pointer (&mirror->items, g_ptr_array_unref);
  g_clear_object (&mirror->model);
  g_free (mirror);
}

guint
engine_test_mirror_get_n_signals (EngineTestMirror *mirror)
{
  return mirror->n_signals;
}

/* The mirror holds the very objects the model holds, in the same order. */
void
engine_test_mirror_assert_equal (EngineTestMirror *mirror)
{
  g_assert_cmpuint (g_list_model_get_n_items (mirror->model), ==, mirror->items->len);

  for (guint i = 0; i < mirror->items->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (mirror->model, i);

      g_assert_true (item == g_ptr_array_index (mirror->items, i));
    }
}

typedef struct
{
  guint n_attempts;
  gint64 times[4];
} Attempts;

static void
attempt_cb (SottoRelayClient *client,
            GParamSpec       *pspec,
            Attempts         *attempts)
{
  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_CONNECTING
      && attempts->n_attempts < G_N_ELEMENTS (attempts->times))
    attempts->times[attempts->n_attempts++] = g_get_monotonic_time ();
}

static gboolean
four_attempts (gpointer data)
{
  Attempts *attempts = data;

  return attempts->n_attempts >= G_N_ELEMENTS (attempts->times);
}

/* Connects @client, whose every delivery socket fails, whether it
 * never opens or is dropped once open, and checks that the pauses between the first four attempts
 * grow as the backoff says: 125–250 ms before the second, 500–1000 ms
 * before the fourth. */
void
engine_test_assert_backoff (SottoRelayClient *client)
{
  Attempts attempts = { 0 };
  gulong handler;
  gint64 first_gap;
  gint64 last_gap;

  handler = g_signal_connect (client, "notify::connection", G_CALLBACK (attempt_cb), &attempts);
  sotto_relay_client_connect (client);
  engine_test_wait_until (four_attempts, &attempts);
  sotto_relay_client_disconnect (client);
  g_signal_handler_disconnect (client, handler);

  first_gap = attempts.times[1] - attempts.times[0];
  last_gap = attempts.times[3] - attempts.times[2];
  g_assert_cmpint (first_gap, >=, 100 * 1000);
  g_assert_cmpint (last_gap, >=, 450 * 1000);
  g_assert_cmpint (last_gap, >, first_gap);
}

/* Asks @client to register @username with freshly made keys, one of
 * each kind, as a new device uploads them. */
void
engine_test_register_async (SottoRelayClient    *client,
                            const char          *username,
                            const char          *password,
                            guint                registration_id,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  SottoKeyState state = { .next_pre_key_id = 1, .next_kyber_pre_key_id = 1, .next_signed_pre_key_id = 1 };
  g_autoptr(SottoKeyBatch) keys = NULL;
  g_autoptr(GError) error = NULL;
  SpKeyPair identity;

  g_assert_cmpint (sp_key_pair_generate (&identity), ==, SP_OK);
  keys = _sotto_key_batch_generate (&identity, &state, TRUE, TRUE, 1, 1, &error);
  g_assert_no_error (error);

  sotto_relay_client_register_async (client,
                                     &(SottoRelayRegistration) {
                                       .username = username,
                                       .password = password,
                                       .registration_id = registration_id,
                                       .identity_key = &identity.public_key,
                                       .keys = keys,
                                     },
                                     NULL, callback, user_data);
  sodium_memzero (&identity, sizeof identity);
}

/* The identity key pair that the tests give the account @uuid, the same
 * in every run, for the group updates they make in its name. */
void
engine_test_group_identity (const char *uuid,
                            SpKeyPair  *identity)
{
  guint8 seed[SP_PRIVATE_KEY_SIZE];

  crypto_generichash (seed, sizeof seed, (const guint8 *) uuid, strlen (uuid),
                      (const guint8 *) "sotto test identity", 19);
  g_assert_cmpint (sp_key_pair_from_private (identity, seed, sizeof seed), ==, SP_OK);
}

/* A member listed with its test identity key. */
SottoGroupMember *
engine_test_group_member (const char *uuid,
                          const char *username,
                          gboolean    admin)
{
  SottoGroupMember *member = _sotto_group_member_new (uuid, username, admin);
  SpKeyPair identity;

  engine_test_group_identity (uuid, &identity);
  _sotto_group_member_set_identity (member, identity.public_key.bytes);

  return member;
}

/* Signs @update with its author's test identity key, as a member of
 * the group @group_id (any, for a creation) would. */
void
engine_test_group_sign (SottoGroupUpdate *update,
                        const char       *group_id)
{
  SpKeyPair identity;

  engine_test_group_identity (update->author, &identity);
  _sotto_group_update_sign (update, group_id, &identity.private_key);
}

/* The id of the group whose creation @seen holds first. */
char *
engine_test_group_id (GPtrArray *seen)
{
  for (guint i = 0; i < seen->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (seen, i);

      if (update->action == SOTTO_GROUP_ACTION_CREATE)
        return _sotto_group_update_group_id (update);
    }

  g_assert_not_reached ();
}

/* A group update at @version, made after the updates of @seen below it
 * (its parents are their heads), about the member @target if not
 * %NULL, signed by its author's test key; @seen then holds it too. */
SottoGroupUpdate *
engine_test_group_update (GPtrArray        *seen,
                          SottoGroupAction  action,
                          guint64           version,
                          const char       *author,
                          const char       *title,
                          const char       *target)
{
  SottoGroupUpdate *update = _sotto_group_update_new (action, version, author, 1767225600000 + version, title);
  g_autofree char *group_id = engine_test_group_id (seen);
  g_autoptr(SottoGroupState) before = _sotto_group_state_new (group_id);
  g_autoptr(GPtrArray) below = g_ptr_array_new ();

  for (guint i = 0; i < seen->len; i++)
    {
      if (((SottoGroupUpdate *) g_ptr_array_index (seen, i))->version < version)
        g_ptr_array_add (below, g_ptr_array_index (seen, i));
    }
  _sotto_group_state_merge (before, below);
  _sotto_group_state_follow (before, update);
  g_assert_cmpuint (update->version, ==, version);

  if (target != NULL && (action == SOTTO_GROUP_ACTION_ADD || action == SOTTO_GROUP_ACTION_KEY))
    g_ptr_array_add (update->members, engine_test_group_member (target, NULL, FALSE));
  else if (target != NULL)
    g_ptr_array_add (update->members, _sotto_group_member_new (target, NULL, FALSE));
  engine_test_group_sign (update, group_id);
  g_ptr_array_add (seen, _sotto_group_update_copy (update));

  return update;
}
