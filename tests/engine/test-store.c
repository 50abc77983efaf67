/* test-store.c: the encrypted store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#include "engine-test-util.h"
#include "sotto-attachment-private.h"
#include "sotto-contact-private.h"
#include "sotto-content-attachment-private.h"
#include "sotto-content-private.h"
#include "sotto-conversation-private.h"
#include "sotto-display-text-private.h"
#include "sotto-message-private.h"
#include "sotto-messenger.h"
#include "sotto-store-private.h"

#define PASSPHRASE "correct horse battery staple"

static char *
database_path (GFile *profile)
{
  return g_build_filename (g_file_peek_path (profile), SOTTO_STORE_DATABASE_NAME, NULL);
}

/* Runs @sql on the database file directly, as another program would. */
static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static gint64
raw_query_int (const char *path,
               const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &statement, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (statement, 0);
  sqlite3_finalize (statement);
  sqlite3_close (db);

  return value;
}

/* The names and contents of every file in @profile, to show that a
 * failed open changed nothing.  The lock file, which every open takes
 * first, is left out; a failed open leaves it empty (see
 * assert_profile_unchanged()). */
static GHashTable *
snapshot_profile (GFile *profile)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GHashTable *snapshot;
  GFileInfo *info;

  snapshot = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  children = g_file_enumerate_children (profile, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NONE, NULL, NULL);
  g_assert_nonnull (children);

  while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFile) child = g_file_get_child (profile, g_file_info_get_name (info));

      if (g_str_equal (g_file_info_get_name (info), SOTTO_STORE_LOCK_NAME))
        {
          g_object_unref (info);
          continue;
        }

      g_hash_table_insert (snapshot, g_strdup (g_file_info_get_name (info)),
                           engine_test_read_file (child));
      g_object_unref (info);
    }

  return snapshot;
}

static void
assert_profile_unchanged (GFile      *profile,
                          GHashTable *before)
{
  g_autoptr(GHashTable) after = snapshot_profile (profile);
  g_autofree char *lock_path = g_build_filename (g_file_peek_path (profile), SOTTO_STORE_LOCK_NAME, NULL);
  g_autofree char *lock_contents = NULL;
  GHashTableIter iter;
  gpointer name;
  gpointer contents;

  g_assert_cmpuint (g_hash_table_size (after), ==, g_hash_table_size (before));
  if (g_file_get_contents (lock_path, &lock_contents, NULL, NULL))
    g_assert_cmpstr (lock_contents, ==, "");

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &name, &contents))
    {
      GBytes *now = g_hash_table_lookup (after, name);

      g_assert_nonnull (now);
      g_assert_true (g_bytes_equal (now, contents));
    }
}

static void
assert_open_fails (GFile      *profile,
                   const char *passphrase,
                   int         code)
{
  g_autoptr(GHashTable) before = snapshot_profile (profile);
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = _sotto_store_open_sync (profile, passphrase, NULL, NULL, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, code);
  g_assert_null (store);
  g_assert_nonnull (error->message);

  assert_profile_unchanged (profile, before);
}

/* The store deals in records; these make the models from them as the
 * engine does on the main thread, so that the tests can check both. */
static gboolean
save_account (SottoStore    *store,
              SottoAccount  *account,
              GError       **error)
{
  g_autoptr(SottoAccountRecord) record = _sotto_account_to_record (account);

  return _sotto_store_save_account (store, record, error);
}

static SottoAccount *
load_account (SottoStore  *store,
              GError     **error)
{
  g_autoptr(SottoAccountRecord) record = _sotto_store_load_account (store, error);

  return record != NULL ? _sotto_account_new_from_record (store, record) : NULL;
}

static GPtrArray *
load_conversations (SottoStore    *store,
                    SottoAccount  *account,
                    GError       **error)
{
  g_autoptr(GPtrArray) records = _sotto_store_load_conversations (store, error);
  GPtrArray *conversations;

  if (records == NULL)
    return NULL;

  conversations = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (conversations, _sotto_conversation_new_from_record (store, account,
                                                                         g_ptr_array_index (records, i)));

  return conversations;
}

static SottoConversation *
try_add_conversation (SottoStore            *store,
                      SottoAccount          *account,
                      const char            *uuid,
                      const char            *username,
                      const char            *name,
                      GBytes                *identity_key,
                      SottoContactStanding   standing,
                      GError               **error)
{
  g_autoptr(SottoConversationRecord) record = NULL;

  record = _sotto_store_add_conversation (store, uuid, username, name, identity_key, standing, error);

  return record != NULL ? _sotto_conversation_new_from_record (store, account, record) : NULL;
}

static SottoConversation *
add_conversation (SottoStore   *store,
                  SottoAccount *account,
                  const char   *username,
                  const char   *name,
                  GBytes       *identity_key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  SottoConversation *conversation;

  conversation = try_add_conversation (store, account, uuid, username, name, identity_key,
                                       SOTTO_CONTACT_STANDING_ACCEPTED, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation);

  return conversation;
}

static GPtrArray *
make_messages (guint       n_messages,
               const char *body)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_message_record_free);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *text = g_strdup_printf ("%s %u", body, i);

      g_ptr_array_add (messages,
                       _sotto_message_record_new (id,
                                                  i % 2 ? SOTTO_MESSAGE_DIRECTION_OUTGOING : SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                  SOTTO_MESSAGE_KIND_TEXT,
                                                  i % 2 ? SOTTO_MESSAGE_STATE_SENT : SOTTO_MESSAGE_STATE_DELIVERED,
                                                  1700000000000 + i, 1700000000500 + i,
                                                  text));
    }

  return messages;
}

static void
test_store_round_trip (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoAccount) loaded = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GBytes) identity_key = engine_test_make_identity ();
  g_autoptr(GError) error = NULL;
  g_autofree char *account_uuid = NULL;
  g_autofree char *contact_uuid = NULL;
  GFile *profile = engine_test_make_profile ();
  SottoConversation *reloaded;
  SottoContact *contact;

  store = engine_test_open_store (profile, PASSPHRASE);
  g_assert_cmpint (sotto_store_get_key_source (store), ==, SOTTO_KEY_SOURCE_PASSPHRASE);
  g_assert_true (g_file_equal (sotto_store_get_directory (store), profile));

  account = engine_test_make_account (store);
  account_uuid = g_strdup (sotto_account_get_uuid (account));
  g_assert_true (save_account (store, account, &error));
  g_assert_no_error (error);

  conversation = add_conversation (store, account, "bob", "Bob Example", identity_key);
  contact_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));

  messages = make_messages (120, "hello ünïcode");
  g_assert_true (_sotto_store_insert_messages (store, _sotto_conversation_get_id (conversation), messages, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpuint (((SottoMessageRecord *) g_ptr_array_index (messages, i))->position, ==, i);

  g_clear_object (&conversation);
  engine_test_close_store (g_steal_pointer (&store));

  store = engine_test_open_store (profile, PASSPHRASE);

  loaded = load_account (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sotto_account_get_uuid (loaded), ==, account_uuid);
  g_assert_cmpstr (sotto_account_get_username (loaded), ==, sotto_account_get_username (account));
  g_assert_cmpstr (sotto_account_get_relay_url (loaded), ==, "https://relay.example");
  g_assert_cmpstr (sotto_account_get_password (loaded), ==, "device-password");
  g_assert_cmpuint (sotto_account_get_device_id (loaded), ==, 1);
  g_assert_cmpuint (sotto_account_get_registration_id (loaded), ==, 4242);
  g_assert_cmpmem (sotto_account_get_identity_key_pair (loaded), sizeof (SpKeyPair),
                   sotto_account_get_identity_key_pair (account), sizeof (SpKeyPair));

  conversations = load_conversations (store, loaded, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conversations->len, ==, 1);

  reloaded = g_ptr_array_index (conversations, 0);
  contact = sotto_conversation_get_contact (reloaded);
  g_assert_cmpstr (sotto_contact_get_uuid (contact), ==, contact_uuid);
  g_assert_cmpstr (sotto_contact_get_username (contact), ==, "bob");
  g_assert_cmpstr (sotto_contact_get_name (contact), ==, "Bob Example");
  g_assert_true (g_bytes_equal (sotto_contact_get_identity_key (contact), identity_key));
  g_assert_cmpint (sotto_contact_get_verification_state (contact), ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (reloaded)), ==, 120);
  g_assert_cmpuint (sotto_conversation_get_unread_count (reloaded), ==, 60);
  g_assert_cmpint (sotto_conversation_get_last_activity (reloaded), ==, 1700000000500 + 119);
  g_assert_cmpstr (sotto_conversation_get_last_message_preview (reloaded), ==, "hello ünïcode 119");

  page = _sotto_store_load_messages (store, _sotto_conversation_get_id (reloaded), 50, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 50);
  for (guint i = 0; i < page->len; i++)
    {
      SottoMessageRecord *original = g_ptr_array_index (messages, 50 + i);
      SottoMessageRecord *message = g_ptr_array_index (page, i);

      g_assert_cmpuint (message->position, ==, 50 + i);
      g_assert_cmpstr (message->id, ==, original->id);
      g_assert_cmpstr (message->body, ==, original->body);
      g_assert_cmpint (message->direction, ==, original->direction);
      g_assert_cmpint (message->state, ==, original->state);
      g_assert_cmpint (message->kind, ==, SOTTO_MESSAGE_KIND_TEXT);
      g_assert_cmpint (message->sent_at, ==, original->sent_at);
      g_assert_cmpint (message->received_at, ==, original->received_at);
    }

  g_clear_pointer (&conversations, g_ptr_array_unref);
  g_clear_object (&loaded);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

static void
test_store_no_plaintext (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GBytes) identity_key = engine_test_make_identity ();
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *username = NULL;
  g_autofree char *name = NULL;
  g_autofree char *long_body = NULL;
  g_autofree char *message_id = NULL;
  guint8 private_key[SP_PRIVATE_KEY_SIZE];
  guint8 database_key[SOTTO_STORE_KEY_SIZE];
  GFile *profile = engine_test_make_profile ();
  const char *needles[3];

  marker = g_strdup_printf ("sotto-marker-%08x%08x", g_random_int (), g_random_int ());
  username = g_strdup_printf ("user%08x", g_random_int ());
  name = g_strdup_printf ("Name %08x", g_random_int ());
  long_body = g_strjoinv (" ", (char *[]) { marker, marker, marker, marker, NULL });

  store = engine_test_open_store (profile, PASSPHRASE);
  memcpy (database_key, store->keys->database_key, sizeof database_key);

  account = engine_test_make_account (store);
  memcpy (private_key, sotto_account_get_identity_key_pair (account)->private_key.bytes, sizeof private_key);
  g_assert_true (save_account (store, account, &error));
  g_assert_no_error (error);

  conversation = add_conversation (store, account, username, name, identity_key);

  messages = make_messages (200, marker);
  g_ptr_array_add (messages, _sotto_message_record_new ("6f1d9a0e-43a4-4d4e-9a51-1f8a4e0b3c7d",
                                                        SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                                        SOTTO_MESSAGE_KIND_TEXT,
                                                        SOTTO_MESSAGE_STATE_QUEUED,
                                                        1, 2, long_body));
  message_id = g_strdup (((SottoMessageRecord *) g_ptr_array_index (messages, 0))->id);
  g_assert_true (_sotto_store_insert_messages (store, _sotto_conversation_get_id (conversation), messages, &error));
  g_assert_no_error (error);

  needles[0] = marker;
  needles[1] = username;
  needles[2] = name;

  /* While the store is open the writes sit in the -wal file; after the
   * close they are checkpointed into the database.  Both must hold
   * nothing readable.  The message id, which is not secret, is stored as
   * it is and shows that the scan sees the data. */
  for (guint round = 0; round < 2; round++)
    {
      if (round == 1)
        {
          g_clear_object (&conversation);
          g_clear_object (&account);
          engine_test_close_store (g_steal_pointer (&store));
        }

      g_assert_true (engine_test_profile_contains (profile, message_id, strlen (message_id)));

      for (guint i = 0; i < G_N_ELEMENTS (needles); i++)
        g_assert_false (engine_test_profile_contains (profile, needles[i], strlen (needles[i])));

      g_assert_false (engine_test_profile_contains (profile, private_key, sizeof private_key));
      g_assert_false (engine_test_profile_contains (profile, g_bytes_get_data (identity_key, NULL),
                                                    g_bytes_get_size (identity_key)));
      g_assert_false (engine_test_profile_contains (profile, database_key, sizeof database_key));
      g_assert_false (engine_test_profile_contains (profile, "device-password", strlen ("device-password")));
      g_assert_false (engine_test_profile_contains (profile, PASSPHRASE, strlen (PASSPHRASE)));
    }

  engine_test_remove_profile (profile);
}

/* A sealed value is bound to its place by "table.column.id" as its
 * associated data, in the form every profile so far was written with:
 * the store makes it without printf now, and must make the same bytes
 * for any id, or older records would no longer open. */
static void
test_store_sealed_place (void)
{
  static const gint64 ids[] = { 0, 7, 1234567890, G_MAXINT64, -1, G_MININT64 };
  static const char secret[] = "the text of a message";
  g_autoptr(SottoStore) store = NULL;
  GFile *profile = engine_test_make_profile ();

  store = engine_test_open_store (profile, PASSPHRASE);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(SottoStoreStatement) statement = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *ad = g_strdup_printf ("messages.body.%" G_GINT64_FORMAT, ids[i]);
      char plain[sizeof secret];
      unsigned long long plain_len;
      const guint8 *sealed;
      gsize sealed_len;

      statement = _sotto_store_prepare (store, "SELECT ?1", &error);
      g_assert_no_error (error);
      g_assert_true (_sotto_store_bind_sealed (store, statement, 1, "messages", "body", ids[i],
                                               secret, strlen (secret), &error));
      g_assert_no_error (error);
      g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);

      sealed = sqlite3_column_blob (statement, 0);
      sealed_len = sqlite3_column_bytes (statement, 0);
      g_assert_cmpuint (sealed_len, ==, strlen (secret) + SOTTO_STORE_SEAL_OVERHEAD);
      g_assert_cmpint (crypto_aead_xchacha20poly1305_ietf_decrypt ((guint8 *) plain, &plain_len, NULL,
                                                                   sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                                   sealed_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                                   (const guint8 *) ad, strlen (ad),
                                                                   sealed, store->keys->seal_key), ==, 0);
      g_assert_cmpmem (plain, plain_len, secret, strlen (secret));
    }

  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

static GFile *
make_sotto_profile (void)
{
  GFile *profile = engine_test_make_profile ();

  engine_test_close_store (engine_test_open_store (profile, PASSPHRASE));

  return profile;
}

static void
test_store_wrong_passphrase (void)
{
  GFile *profile = make_sotto_profile ();

  assert_open_fails (profile, "incorrect horse", SOTTO_STORE_ERROR_WRONG_PASSPHRASE);
  assert_open_fails (profile, "", SOTTO_STORE_ERROR_WRONG_PASSPHRASE);

  /* A passphrase database never falls back to the keyring. */
  assert_open_fails (profile, NULL, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED);

  engine_test_close_store (engine_test_open_store (profile, PASSPHRASE));
  engine_test_remove_profile (profile);
}

/* A profile copied while its store was open: the last writes are only
 * in the -wal file.  A wrong passphrase must not checkpoint them into the
 * database, or touch either file; the right one finds them. */
static void
test_store_wrong_passphrase_wal (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoAccount) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GFile *profile = engine_test_make_profile ();
  GFile *copy = engine_test_make_profile ();
  const char *suffixes[] = { "", "-wal" };

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  g_assert_true (save_account (store, account, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (SOTTO_STORE_DATABASE_NAME, suffixes[i], NULL);
      g_autoptr(GFile) from = g_file_get_child (profile, name);
      g_autoptr(GFile) to = g_file_get_child (copy, name);

      g_assert_true (g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
    }

  assert_open_fails (copy, "incorrect horse", SOTTO_STORE_ERROR_WRONG_PASSPHRASE);

  g_clear_object (&store);
  store = engine_test_open_store (copy, PASSPHRASE);
  loaded = load_account (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sotto_account_get_uuid (loaded), ==, sotto_account_get_uuid (account));

  g_clear_object (&loaded);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (copy);
  engine_test_remove_profile (profile);
}

static void
test_store_not_a_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree guint8 *noise = NULL;
  GFile *profile = engine_test_make_profile ();

  path = database_path (profile);
  noise = g_malloc (8192);
  randombytes_buf (noise, 8192);
  g_assert_true (g_file_set_contents (path, (char *) noise, 8192, &error));
  g_assert_no_error (error);

  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_NOT_A_DATABASE);
  assert_open_fails (profile, NULL, SOTTO_STORE_ERROR_NOT_A_DATABASE);

  engine_test_remove_profile (profile);
}

static void
test_store_corrupt (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  GFile *profile = make_sotto_profile ();
  gsize len;

  /* Everything after the 100-byte file header of the first page, where
   * the schema lives, is overwritten. */
  path = database_path (profile);
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 4096);
  memset (contents + 100, 0xa5, 4096 - 100);
  g_assert_true (g_file_set_contents (path, contents, len, &error));
  g_assert_no_error (error);

  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_NOT_A_DATABASE);

  engine_test_remove_profile (profile);
}

/* A header that asks for absurd Argon2id costs would only make opening
 * hang; it counts as damaged. */
static void
test_store_hostile_header (void)
{
  g_autofree char *path = NULL;
  GFile *profile = make_sotto_profile ();

  path = database_path (profile);
  raw_exec (path, "UPDATE header SET value = CAST('4000000000' AS BLOB) WHERE name = 'kdf-opslimit'");

  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_CORRUPT);

  engine_test_remove_profile (profile);
}

static void
test_store_foreign (void)
{
  g_autofree char *path = NULL;
  GFile *profile = engine_test_make_profile ();

  path = database_path (profile);

  /* Another program's database without an application id */
  raw_exec (path, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');");
  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_FOREIGN);
  assert_open_fails (profile, NULL, SOTTO_STORE_ERROR_FOREIGN);
  g_assert_cmpint (g_unlink (path), ==, 0);

  /* ... and with its own, even at our schema version */
  raw_exec (path, "PRAGMA application_id = 1234; PRAGMA user_version = 1; CREATE TABLE header (x);");
  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_FOREIGN);

  engine_test_remove_profile (profile);
}

/* A foreign database in WAL mode with writes still in its -wal file: a
 * read-write connection would checkpoint them into the database when it
 * closes.  Opening the profile must leave both files as they are. */
static void
test_store_foreign_wal (void)
{
  g_autofree char *scratch = NULL;
  g_autofree char *scratch_db = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  GFile *profile = engine_test_make_profile ();
  const char *suffixes[] = { "", "-wal" };
  sqlite3 *db = NULL;

  scratch = g_dir_make_tmp ("sotto-foreign-XXXXXX", &error);
  g_assert_no_error (error);
  scratch_db = g_build_filename (scratch, "other.db", NULL);
  path = database_path (profile);

  g_assert_cmpint (sqlite3_open (scratch_db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
                                 "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (scratch_db, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *contents = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (from, &contents, &len, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (len, >, 0);
      g_assert_true (g_file_set_contents (to, contents, len, &error));
      g_assert_no_error (error);
    }

  sqlite3_close (db);

  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_FOREIGN);

  engine_test_remove_profile (profile);
  engine_test_remove_profile (g_file_new_for_path (scratch));
}

static void
test_store_too_new (void)
{
  g_autofree char *path = NULL;
  g_autofree char *stamp = NULL;
  GFile *profile = make_sotto_profile ();

  path = database_path (profile);
  stamp = g_strdup_printf ("PRAGMA user_version = %u", _sotto_store_schema_version () + 1);
  raw_exec (path, stamp);

  assert_open_fails (profile, PASSPHRASE, SOTTO_STORE_ERROR_TOO_NEW);

  engine_test_remove_profile (profile);
}

static void
assert_current_schema (GFile *profile)
{
  g_autofree char *path = database_path (profile);

  g_assert_cmpint (raw_query_int (path, "PRAGMA user_version"), ==, _sotto_store_schema_version ());
  g_assert_cmpint (raw_query_int (path, "PRAGMA application_id"), ==, SOTTO_STORE_APPLICATION_ID);
  g_assert_cmpint (raw_query_int (path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                        " AND name IN ('header', 'account', 'contacts', 'conversations', 'messages')"),
                   ==, 5);
  g_assert_cmpint (raw_query_int (path, "SELECT count(*) FROM header WHERE name = 'key-check'"), ==, 1);
}

static void
test_store_migrate_from_0 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GFile *profile = engine_test_make_profile ();
  SottoStore *store;

  /* Version 0 is a database without any schema: an empty file ... */
  path = database_path (profile);
  g_assert_true (g_file_set_contents (path, "", 0, &error));
  g_assert_no_error (error);

  store = engine_test_open_store (profile, PASSPHRASE);
  engine_test_close_store (store);
  assert_current_schema (profile);

  /* ... or an SQLite database that carries our id and nothing else. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  raw_exec (path, "PRAGMA application_id = 1399813236");
  g_assert_cmpint (raw_query_int (path, "PRAGMA user_version"), ==, 0);

  store = engine_test_open_store (profile, PASSPHRASE);
  engine_test_close_store (store);
  assert_current_schema (profile);

  /* Reopening a current database migrates nothing and works. */
  store = engine_test_open_store (profile, PASSPHRASE);
  engine_test_close_store (store);
  assert_current_schema (profile);

  engine_test_remove_profile (profile);
}

/* Loads the conversations and returns the standing of the one with the
 * contact @username. */
static SottoContactStanding
stored_standing (SottoStore *store,
                 const char *username)
{
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GError) error = NULL;

  account = load_account (store, &error);
  g_assert_no_error (error);
  conversations = load_conversations (store, account, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < conversations->len; i++)
    {
      SottoContact *contact = sotto_conversation_get_contact (g_ptr_array_index (conversations, i));

      if (g_strcmp0 (sotto_contact_get_username (contact), username) == 0)
        return sotto_contact_get_standing (contact);
    }

  g_assert_not_reached ();
}

/* Takes a database back from the marks of group messages that went
 * sealed, store schema 13, from the unread ones, schema 14
 * (sotto-store-groups.c), from groups' pictures, schema 15
 * (sotto-store-group-avatars.c), from the changes to group messages,
 * schema 16 (sotto-store-groups.c), from group drafts, schema 17
 * (sotto-store-drafts.c), and from the group messages on their way,
 * schema 18 (sotto-store-group-outgoing.c). */
#define UNDO_SEALED_GROUP_EVENTS \
  "DROP TABLE group_outgoing; DROP TABLE group_drafts; DROP TABLE group_event_changes; DROP TABLE group_avatars; DROP TABLE group_unread; DROP TABLE sealed_group_events;"

/* Takes a database back from groups, schema 11 (sotto-store-groups.c). */
#define UNDO_SCHEMA_11 \
  "DROP TABLE group_deliveries; DROP TABLE group_key_shares; DROP TABLE group_own_keys; DROP TABLE group_sender_keys;" \
  "DROP TABLE group_events; DROP TABLE groups;"

/* Takes a database of schema 10 back to schema 9: without attachments. */
#define UNDO_SCHEMA_10 \
  "DROP TABLE attachments;"

/* Takes a database of schema 9 back to schema 8: without sealed sender. */
#define UNDO_SCHEMA_9 \
  "DROP TABLE sealed_messages; DROP TABLE sealed_sender_trust;"

/* Takes a database of schema 8 back to schema 6: without the
 * disappearing-message timers and the profiles. */
#define UNDO_SCHEMA_8_7 \
  "DROP TABLE message_timers; DROP TABLE conversation_timers;" \
  "DROP TABLE contact_profiles; DROP TABLE own_profile;"

/* Takes a database of schema 6 back to schema 5. */
#define UNDO_SCHEMA_6 \
  "DROP TABLE pending_actions; DROP TABLE message_edits;" \
  "ALTER TABLE messages DROP COLUMN flags; ALTER TABLE messages DROP COLUMN quote_uuid;" \
  "ALTER TABLE messages DROP COLUMN quote_author; ALTER TABLE messages DROP COLUMN quote_text;" \
  "ALTER TABLE messages DROP COLUMN my_reaction; ALTER TABLE messages DROP COLUMN their_reaction;"

/* Schema 6 (replies, reactions, edits): messages stored before it load
 * as they were, neither edited nor deleted, without quote or reactions. */
static void
test_store_migrate_actions (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = make_messages (3, "before the update");
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  gint64 conversation_id;
  GFile *profile = engine_test_make_profile ();

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  g_assert_true (save_account (store, account, &error));
  conversation = add_conversation (store, account, "known", NULL, NULL);
  conversation_id = _sotto_conversation_get_id (conversation);
  g_assert_true (_sotto_store_insert_messages (store, conversation_id, messages, &error));
  g_assert_no_error (error);
  engine_test_close_store (g_steal_pointer (&store));

  path = database_path (profile);
  raw_exec (path, UNDO_SEALED_GROUP_EVENTS UNDO_SCHEMA_11 UNDO_SCHEMA_10 UNDO_SCHEMA_9 UNDO_SCHEMA_8_7 UNDO_SCHEMA_6
                  "PRAGMA user_version = 5;");

  store = engine_test_open_store (profile, PASSPHRASE);
  assert_current_schema (profile);
  loaded = _sotto_store_load_messages (store, conversation_id, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 3);
  for (guint i = 0; i < loaded->len; i++)
    {
      SottoMessageRecord *message = g_ptr_array_index (loaded, i);

      g_assert_true (g_str_has_prefix (message->body, "before the update"));
      g_assert_false (message->edited);
      g_assert_false (message->deleted);
      g_assert_null (message->quote_id);
      g_assert_null (message->my_reaction);
      g_assert_null (message->their_reaction);
    }

  g_clear_object (&conversation);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

/* Schema 5 adds the contact's standing: contacts from before it are
 * accepted (nobody the user knew turns into a request), and a request or
 * a block is remembered across restarts. */
static void
test_store_migrate_standing (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) known = NULL;
  g_autoptr(SottoConversation) stranger = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  GFile *profile = engine_test_make_profile ();

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  g_assert_true (save_account (store, account, &error));
  g_assert_no_error (error);
  known = add_conversation (store, account, "known", NULL, NULL);
  engine_test_close_store (g_steal_pointer (&store));

  /* The same profile as schema 4 left it, without what later schemas
   * added. */
  path = database_path (profile);
  raw_exec (path, UNDO_SEALED_GROUP_EVENTS UNDO_SCHEMA_11 UNDO_SCHEMA_10 UNDO_SCHEMA_9 UNDO_SCHEMA_8_7 UNDO_SCHEMA_6
                  "ALTER TABLE contacts DROP COLUMN standing; PRAGMA user_version = 4;");

  store = engine_test_open_store (profile, PASSPHRASE);
  assert_current_schema (profile);
  g_assert_cmpint (stored_standing (store, "known"), ==, SOTTO_CONTACT_STANDING_ACCEPTED);

  stranger = try_add_conversation (store, account, uuid, "stranger", NULL, NULL,
                                   SOTTO_CONTACT_STANDING_REQUEST, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sotto_contact_get_standing (sotto_conversation_get_contact (stranger)), ==,
                   SOTTO_CONTACT_STANDING_REQUEST);
  engine_test_close_store (g_steal_pointer (&store));

  store = engine_test_open_store (profile, PASSPHRASE);
  g_assert_cmpint (stored_standing (store, "stranger"), ==, SOTTO_CONTACT_STANDING_REQUEST);
  g_assert_true (_sotto_store_set_standing (store, _sotto_contact_get_id (sotto_conversation_get_contact (stranger)),
                                            SOTTO_CONTACT_STANDING_BLOCKED, &error));
  g_assert_no_error (error);
  engine_test_close_store (g_steal_pointer (&store));

  store = engine_test_open_store (profile, PASSPHRASE);
  g_assert_cmpint (stored_standing (store, "stranger"), ==, SOTTO_CONTACT_STANDING_BLOCKED);
  g_assert_cmpint (stored_standing (store, "known"), ==, SOTTO_CONTACT_STANDING_ACCEPTED);

  /* A standing no version wrote is damage, not a fourth kind of contact. */
  engine_test_close_store (g_steal_pointer (&store));
  raw_exec (path, "UPDATE contacts SET standing = 7");
  store = engine_test_open_store (profile, PASSPHRASE);
  g_clear_object (&account);
  account = load_account (store, &error);
  g_assert_no_error (error);
  g_assert_null (load_conversations (store, account, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT);

  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

/* A profile is open in one place at a time: a second open, here from
 * the same process, fails and names the process that has it, and works
 * again once the first store is closed. */
static void
test_store_in_use (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  GFile *profile = engine_test_make_profile ();
  SottoStore *store;
  SottoStore *second;

  store = engine_test_open_store (profile, PASSPHRASE);

  second = _sotto_store_open_sync (profile, PASSPHRASE, NULL, NULL, &error);
  g_assert_null (second);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_IN_USE);
  expected = g_strdup_printf ("is open in %s (process %d)", g_get_prgname (), (int) getpid ());
  g_assert_nonnull (strstr (error->message, expected));
  g_clear_error (&error);

  engine_test_close_store (store);
  store = engine_test_open_store (profile, PASSPHRASE);
  engine_test_close_store (store);

  engine_test_remove_profile (profile);
}

/* Sealed values are bound to their row and column: moved elsewhere, they
 * no longer open, and the store says the record is damaged. */
static void
test_store_tampered (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GFile *profile = engine_test_make_profile ();
  gint64 conversation_id;

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  conversation = add_conversation (store, account, "carol", "Carol", NULL);
  conversation_id = _sotto_conversation_get_id (conversation);
  messages = make_messages (2, "secret");
  g_assert_true (_sotto_store_insert_messages (store, conversation_id, messages, &error));
  g_assert_no_error (error);
  g_clear_object (&conversation);
  engine_test_close_store (g_steal_pointer (&store));

  path = database_path (profile);
  raw_exec (path, "UPDATE messages SET body = (SELECT body FROM messages WHERE position = 1) WHERE position = 0");
  raw_exec (path, "UPDATE contacts SET name = username");

  store = engine_test_open_store (profile, PASSPHRASE);

  page = _sotto_store_load_messages (store, conversation_id, 0, 2, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT);
  g_assert_null (page);
  g_clear_error (&error);

  /* The other message is still there. */
  page = _sotto_store_load_messages (store, conversation_id, 1, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((SottoMessageRecord *) g_ptr_array_index (page, 0))->body, ==, "secret 1");

  conversations = load_conversations (store, account, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT);
  g_assert_null (conversations);

  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

static void
test_store_exists (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(SottoConversation) again = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  GFile *profile = engine_test_make_profile ();

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  conversation = add_conversation (store, account, "dave", NULL, NULL);

  /* Usernames are unique through their keyed hash. */
  again = try_add_conversation (store, account, "0b6c2c8e-8d0e-4c55-b0de-2b9b1b0c9a11",
                                "dave", NULL, NULL, SOTTO_CONTACT_STANDING_ACCEPTED, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS);
  g_assert_null (again);
  g_clear_error (&error);

  /* A message id is unique within its conversation, and the failed
   * insert leaves the conversation as it was. */
  messages = make_messages (1, "once");
  g_assert_true (_sotto_store_insert_messages (store, _sotto_conversation_get_id (conversation), messages, &error));
  g_assert_no_error (error);
  g_assert_false (_sotto_store_insert_messages (store, _sotto_conversation_get_id (conversation), messages, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS);

  g_clear_object (&conversation);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

/* A batch is one transaction of savepoints: a unit that fails leaves
 * the others; a batch whose transaction is gone commits nothing, not
 * even the units that come after. */
static void
test_store_batch (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GPtrArray) first = make_messages (1, "first");
  g_autoptr(GPtrArray) second = make_messages (1, "second");
  g_autoptr(GPtrArray) lost = make_messages (1, "lost");
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  GFile *profile = engine_test_make_profile ();
  gint64 conversation_id;

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  conversation = add_conversation (store, account, "erin", NULL, NULL);
  conversation_id = _sotto_conversation_get_id (conversation);

  g_assert_true (_sotto_store_begin_batch (store, &error));
  g_assert_true (_sotto_store_insert_messages (store, conversation_id, first, &error));
  g_assert_false (_sotto_store_insert_messages (store, conversation_id, first, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (_sotto_store_insert_messages (store, conversation_id, second, &error));
  g_assert_true (_sotto_store_commit_batch (store, &error));
  g_assert_no_error (error);

  page = _sotto_store_load_messages (store, conversation_id, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (((SottoMessageRecord *) g_ptr_array_index (page, 0))->body, ==, "first 0");
  g_assert_cmpstr (((SottoMessageRecord *) g_ptr_array_index (page, 1))->body, ==, "second 0");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* SQLite rolls a transaction back by itself after some errors; a
   * unit begun after that must not become a transaction of its own. */
  g_assert_true (_sotto_store_begin_batch (store, &error));
  g_assert_true (_sotto_store_exec (store, "ROLLBACK", &error));
  g_assert_false (_sotto_store_insert_messages (store, conversation_id, lost, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (_sotto_store_commit_batch (store, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED);
  g_clear_error (&error);

  page = _sotto_store_load_messages (store, conversation_id, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);

  g_clear_object (&conversation);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

/* A display name with a line break, a terminal escape and a
 * right-to-left override, as versions before names were kept to one
 * line accepted and stored. */
#define OLD_NAME "Alice\nbob: the code is 1234\033[2J\u202Eevil"

/* Names that earlier versions accepted and stored, and that the current
 * rules refuse (one line, nothing that reorders it): the user's own
 * profile name, a contact's, and a received file's name.  Each record
 * loads, with the name on one line, rather than as damaged. */
static void
test_store_old_names (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = make_messages (1, "a file");
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GHashTable) contact_names = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *own_name = NULL;
  SottoAttachmentPointer *pointer = sotto_attachment_pointer_new ();
  SottoMessageRecord *message = g_ptr_array_index (messages, 0);
  const SottoAttachmentRecord *loaded;
  guint8 *key = sodium_malloc (SOTTO_PROFILE_KEY_SIZE);
  guint8 *own_key = NULL;
  const char *contact_name;
  GFile *profile = engine_test_make_profile ();
  gint64 conversation_id;
  gint64 contact_id;
  gboolean uploaded;
  gboolean changed;

  store = engine_test_open_store (profile, PASSPHRASE);
  account = engine_test_make_account (store);
  conversation = add_conversation (store, account, "erin", NULL, NULL);
  conversation_id = _sotto_conversation_get_id (conversation);
  contact_id = _sotto_contact_get_id (sotto_conversation_get_contact (conversation));
  randombytes_buf (key, SOTTO_PROFILE_KEY_SIZE);

  /* Written as an earlier version wrote them: the store's own functions,
   * which never judged the names. */
  g_assert_true (_sotto_store_save_own_profile (store, key, OLD_NAME, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_save_contact_profile_key (store, contact_id, key, &changed, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_save_contact_profile (store, contact_id, OLD_NAME, NULL, 1700000000000, &error));
  g_assert_no_error (error);
  pointer->blob_id = g_strnfill (2 * SOTTO_ATTACHMENT_BLOB_ID_SIZE, 'a');
  pointer->size = 10;
  pointer->content_type = g_strdup ("application/pdf");
  pointer->file_name = g_strdup ("invoice\u202Efdp.exe\nsecond line");
  message->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_attachment_record_free);
  g_ptr_array_add (message->attachments, _sotto_attachment_record_new (SOTTO_ATTACHMENT_STATE_AVAILABLE, pointer));
  sotto_attachment_pointer_free (pointer);
  g_assert_true (_sotto_store_insert_messages (store, conversation_id, messages, &error));
  g_assert_no_error (error);
  g_clear_object (&conversation);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));

  store = engine_test_open_store (profile, PASSPHRASE);

  g_assert_true (_sotto_store_load_own_profile (store, &own_key, &own_name, &avatar, &uploaded, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (own_name, ==, "Alicebob: the code is 1234[2Jevil");
  g_assert_true (_sotto_display_text_is_valid (own_name, strlen (own_name), SOTTO_PROFILE_MAX_NAME));

  contact_names = _sotto_store_list_contact_profile_names (store, &error);
  g_assert_no_error (error);
  contact_name = g_hash_table_lookup (contact_names, &conversation_id);
  g_assert_cmpstr (contact_name, ==, "Alicebob: the code is 1234[2Jevil");

  page = _sotto_store_load_messages (store, conversation_id, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  message = g_ptr_array_index (page, 0);
  g_assert_nonnull (message->attachments);
  loaded = g_ptr_array_index (message->attachments, 0);
  g_assert_cmpstr (loaded->pointer->file_name, ==, "invoicefdp.exesecond line");
  g_assert_true (sotto_attachment_pointer_is_valid (loaded->pointer));

  sodium_free (key);
  sodium_free (own_key);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

static void
test_store_closed (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  GFile *profile = engine_test_make_profile ();

  store = engine_test_open_store (profile, PASSPHRASE);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);

  account = load_account (store, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED);
  g_assert_null (account);
  g_clear_error (&error);

  g_assert_false (_sotto_store_close_sync (store, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED);

  engine_test_await_finalize (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

static void
test_store_async (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoAccount) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GFile *profile = make_sotto_profile ();

  sotto_store_open_async (profile, "wrong", NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  store = sotto_store_open_finish (result, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE);
  g_assert_null (store);
  g_clear_error (&error);
  g_clear_object (&result);

  sotto_store_open_async (profile, PASSPHRASE, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  store = sotto_store_open_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (SOTTO_IS_STORE (store));
  g_clear_object (&result);

  sotto_account_load_async (store, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  loaded = sotto_account_load_finish (result, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
  g_assert_null (loaded);
  g_clear_error (&error);
  g_clear_object (&result);

  account = engine_test_make_account (store);
  sotto_account_save_async (account, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_account_save_finish (account, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  sotto_account_load_async (store, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  loaded = sotto_account_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sotto_account_get_uuid (loaded), ==, sotto_account_get_uuid (account));
  g_clear_object (&result);

  g_clear_object (&loaded);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (profile);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/store/round-trip", test_store_round_trip);
  g_test_add_func ("/engine/store/no-plaintext", test_store_no_plaintext);
  g_test_add_func ("/engine/store/sealed-place", test_store_sealed_place);
  g_test_add_func ("/engine/store/wrong-passphrase", test_store_wrong_passphrase);
  g_test_add_func ("/engine/store/wrong-passphrase-wal", test_store_wrong_passphrase_wal);
  g_test_add_func ("/engine/store/not-a-database", test_store_not_a_database);
  g_test_add_func ("/engine/store/corrupt", test_store_corrupt);
  g_test_add_func ("/engine/store/hostile-header", test_store_hostile_header);
  g_test_add_func ("/engine/store/foreign", test_store_foreign);
  g_test_add_func ("/engine/store/foreign-wal", test_store_foreign_wal);
  g_test_add_func ("/engine/store/too-new", test_store_too_new);
  g_test_add_func ("/engine/store/migrate-from-0", test_store_migrate_from_0);
  g_test_add_func ("/engine/store/migrate-standing", test_store_migrate_standing);
  g_test_add_func ("/engine/store/migrate-actions", test_store_migrate_actions);
  g_test_add_func ("/engine/store/tampered", test_store_tampered);
  g_test_add_func ("/engine/store/in-use", test_store_in_use);
  g_test_add_func ("/engine/store/old-names", test_store_old_names);
  g_test_add_func ("/engine/store/exists", test_store_exists);
  g_test_add_func ("/engine/store/batch", test_store_batch);
  g_test_add_func ("/engine/store/closed", test_store_closed);
  g_test_add_func ("/engine/store/async", test_store_async);

  return g_test_run ();
}
