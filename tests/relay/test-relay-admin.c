/* test-relay-admin.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay admin against the database of a relay that runs: single-
 * use invites, listing, deleting and banning accounts (which the running
 * relay must notice), queue sizes, the integrity check and backups.
 * Under build-aux/with-postgresql.sh the relay and the tool work on the
 * relay's PostgreSQL database, which the tool is given with --database,
 * and backups are PostgreSQL's own business.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "relay-test-util.h"

/* How long a test waits for the relay to notice a change, in 50 ms
 * steps: a limit for a test that fails, not a measure of speed. */
#define WAIT_STEPS 400

/* The shared fixture, on a relay started with the flags these tests need. */
typedef TestFixture Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  const char *args[] = { "--registration", "invite", NULL };

  fixture->dir = test_relay_make_data_dir ();
  fixture->relay = test_relay_start (fixture->dir, test_relay_relaxed_conf, data != NULL ? args : NULL);
  fixture->session = test_session_new ();
}

/* Runs `sotto-relay admin --data-dir DIR ARGS...`; gives its exit status
 * and its standard output. */
static int
admin (Fixture    *fixture,
       char      **out,
       const char *first,
       ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *database = NULL;
  const char *arg;
  va_list list;
  int status;

  g_ptr_array_add (args, (gpointer) "admin");
  g_ptr_array_add (args, (gpointer) "--data-dir");
  g_ptr_array_add (args, fixture->dir);
  if (test_relay_uses_postgresql ())
    {
      database = test_relay_data_dir_database (fixture->dir);
      g_ptr_array_add (args, (gpointer) "--database");
      g_ptr_array_add (args, database);
    }
  va_start (list, first);
  for (arg = first; arg != NULL; arg = va_arg (list, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (list);
  g_ptr_array_add (args, NULL);
  status = test_relay_run ((const char * const *) args->pdata, &stdout_text, &err);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return status;
}

static char *
last_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (lines[n - 1], ==, "");
  return g_strdup (lines[n - 2]);
}

static char *
invite_create (Fixture *fixture)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (admin (fixture, &out, "invite", "create", NULL), ==, 0);
  return last_line (out);
}

static guint
register_with (Fixture    *fixture,
               const char *username,
               const char *token)
{
  g_autofree char *body = test_register_body (username, "a-good-long-password", 42, 1, token);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "POST", "/v1/accounts",
                                                   NULL, body);

  if (response->status == 403)
    g_assert_cmpstr (test_response_error (response), ==, "registration-closed");
  return response->status;
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static gboolean
contains_bytes (const char *data,
                gsize       length,
                const char *text)
{
  gsize n = strlen (text);

  for (gsize i = 0; i + n <= length; i++)
    if (memcmp (data + i, text, n) == 0)
      return TRUE;
  return FALSE;
}

static gint64
password_hashes (Fixture *fixture)
{
  return test_relay_metric (fixture->session, fixture->relay, "sotto_relay_password_hashes_total");
}

/* A registration with an invite that does not exist is refused before
 * its password is hashed: a flood of made-up invites costs the relay a
 * lookup each, not an Argon2id run. */
static void
test_invite_checked_first (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *invite = invite_create (fixture);
  gint64 hashes = password_hashes (fixture);

  g_assert_cmpint (admin (fixture, NULL, "invite", "revoke", invite, NULL), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *username = g_strdup_printf ("mallory%u", i);

      g_assert_cmpuint (register_with (fixture, username, invite), ==, 403);
    }
  g_assert_cmpint (password_hashes (fixture), ==, hashes);

  /* A real one still costs its hash, once. */
  g_clear_pointer (&invite, g_free);
  invite = invite_create (fixture);
  g_assert_cmpuint (register_with (fixture, "alice", invite), ==, 200);
  g_assert_cmpint (password_hashes (fixture), ==, hashes + 1);
}

/* An invite registers one account, once; an unknown, used or revoked
 * one registers none; a registration that fails leaves its invite
 * usable. */
static void
test_invites (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *first = invite_create (fixture);
  g_autofree char *second = invite_create (fixture);
  g_autofree char *third = invite_create (fixture);
  g_autofree char *list = NULL;
  g_autofree char *id = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *db_path = g_build_filename (fixture->dir, "relay.db", NULL);
  gsize db_length;

  g_assert_cmpuint (strlen (first), ==, 43);
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpuint (register_with (fixture, "nobody", NULL), ==, 403);
  g_assert_cmpuint (register_with (fixture, "nobody", "made-up-token"), ==, 403);

  g_assert_cmpuint (register_with (fixture, "alice", first), ==, 200);
  g_assert_cmpuint (register_with (fixture, "alice2", first), ==, 403);
  /* The username is taken: the invite is not used up. */
  g_assert_cmpuint (register_with (fixture, "alice", second), ==, 409);
  g_assert_cmpuint (register_with (fixture, "bob", second), ==, 200);

  g_assert_cmpint (admin (fixture, &list, "invite", "list", NULL), ==, 0);
  g_assert_cmpuint (count_lines (list), ==, 1);
  g_assert_cmpint (admin (fixture, NULL, "invite", "revoke", third, NULL), ==, 0);
  g_assert_cmpint (admin (fixture, NULL, "invite", "revoke", third, NULL), ==, 1);
  g_assert_cmpuint (register_with (fixture, "carol", third), ==, 403);

  /* An invite whose token is lost is revoked by the id the list shows. */
  g_clear_pointer (&third, g_free);
  third = invite_create (fixture);
  g_clear_pointer (&list, g_free);
  g_assert_cmpint (admin (fixture, &list, "invite", "list", NULL), ==, 0);
  id = g_strndup (list, 16);
  g_assert_cmpint (admin (fixture, NULL, "invite", "revoke", id, NULL), ==, 0);
  g_assert_cmpuint (register_with (fixture, "carol", third), ==, 403);
  g_clear_pointer (&list, g_free);
  g_assert_cmpint (admin (fixture, &list, "invite", "list", NULL), ==, 0);
  g_assert_cmpstr (list, ==, "");

  /* Only hashes are stored. */
  if (test_relay_uses_postgresql ())
    {
      g_autofree char *url = test_relay_data_dir_database (fixture->dir);
      g_autofree char *fourth = invite_create (fixture);
      g_autofree char *holding = g_strdup_printf ("SELECT count(*) FROM invites WHERE "
                                                  "position (convert_to ('%s', 'UTF8') IN hash) > 0", fourth);

      g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM invites"), ==, 1);
      g_assert_cmpint (test_postgresql_query_int (url, holding), ==, 0);
      return;
    }
  g_assert_true (g_file_get_contents (db_path, &stored, &db_length, NULL));
  g_assert_false (contains_bytes (stored, db_length, third));
}

static gboolean
account_listed (const char  *list,
                TestAccount *account,
                const char  *suffix)
{
  g_autofree char *line = g_strdup_printf ("%s %s%s\n", account->username, account->uuid, suffix);

  return strstr (list, line) != NULL;
}

/* Waits until the relay refuses `auth`, which it does once it has seen
 * the change another process made. */
static void
wait_refused (Fixture    *fixture,
              const char *auth)
{
  for (guint i = 0; i < WAIT_STEPS; i++)
    {
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET",
                                                       "/v1/accounts/me", auth, NULL);

      if (response->status == 401)
        return;
      g_assert_cmpuint (response->status, ==, 200);
      g_usleep (50 * 1000);
    }
  g_error ("the relay still accepts a deleted account");
}

static guint
lookup_status (Fixture     *fixture,
               TestAccount *asking,
               const char  *username)
{
  g_autofree char *path = g_strconcat ("/v1/accounts/username/", username, NULL);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET", path,
                                                   asking->auth, NULL);

  return response->status;
}

/* Accounts are listed one a line; deleting one while the relay runs
 * takes its devices, keys and queue with it, the relay refuses its
 * password at once after (though it had it cached), and the username is
 * free again; banning keeps the username taken. */
static void
test_accounts (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 2);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 2);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 2);
  g_autoptr(TestAccount) new_alice = NULL;
  g_autofree char *list = NULL;
  g_autofree char *count = NULL;
  g_autofree char *queues = NULL;
  g_autofree char *out = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autoptr(TestResponse) sent = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(JsonNode) closing = NULL;

  g_assert_cmpint (admin (fixture, &list, "accounts", "list", NULL), ==, 0);
  g_assert_cmpuint (count_lines (list), ==, 3);
  g_assert_true (account_listed (list, alice, ""));
  g_assert_true (account_listed (list, bob, ""));
  g_assert_true (account_listed (list, carol, ""));

  /* Alice has mail waiting, and her password is in the relay's cache. */
  g_free (test_send_envelope (fixture->session, fixture->relay, bob, alice, "AAEC"));
  g_free (test_send_envelope (fixture->session, fixture->relay, carol, alice, "AAEC"));
  g_free (test_send_envelope (fixture->session, fixture->relay, alice, bob, "AAEC"));
  g_assert_cmpint (admin (fixture, &queues, "queues", NULL), ==, 0);
  g_assert_nonnull (strstr (queues, "device 1: 2 envelopes"));

  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 3);
  g_assert_cmpint (admin (fixture, &out, "accounts", "delete", "alice", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "1 devices and 2 queued envelopes"));
  wait_refused (fixture, alice->auth);
  /* The relay counted the queues again. */
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 1);
  g_assert_cmpuint (lookup_status (fixture, bob, "alice"), ==, 404);
  body = test_send_body (1, alice->registration_id, "AAEC");
  path = g_strdup_printf ("/v1/messages/%s", alice->uuid);
  sent = test_request (fixture->session, fixture->relay, "PUT", path, bob->auth, body);
  g_assert_cmpuint (sent->status, ==, 404);
  g_clear_pointer (&queues, g_free);
  g_assert_cmpint (admin (fixture, &queues, "queues", NULL), ==, 0);
  g_assert_null (strstr (queues, alice->uuid));

  /* The name is free; the new account gets what is sent to it. */
  new_alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_assert_cmpstr (new_alice->uuid, !=, alice->uuid);
  g_free (test_send_envelope (fixture->session, fixture->relay, bob, new_alice, "AAEC"));

  /* Carol is connected when she is banned: her WebSocket is closed. */
  socket = test_socket_connect (fixture->session, fixture->relay, carol->auth);
  test_socket_expect_drained (socket);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin (fixture, &out, "accounts", "ban", "carol", NULL), ==, 0);
  closing = test_socket_next (socket, WAIT_STEPS * 50);
  g_assert_nonnull (closing);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (closing), "type"), ==, "close");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (closing), "code"), ==, 4401);
  g_assert_true (test_socket_wait_closed (socket, WAIT_STEPS * 50));
  wait_refused (fixture, carol->auth);
  g_assert_cmpuint (lookup_status (fixture, bob, "carol"), ==, 404);
  g_assert_cmpuint (register_with (fixture, "carol", NULL), ==, 409);

  g_clear_pointer (&list, g_free);
  g_assert_cmpint (admin (fixture, &list, "accounts", "list", NULL), ==, 0);
  g_assert_false (account_listed (list, alice, ""));
  g_assert_true (account_listed (list, new_alice, ""));
  g_assert_true (account_listed (list, carol, " banned"));
  g_assert_cmpint (admin (fixture, &count, "accounts", "count", NULL), ==, 0);
  g_assert_cmpstr (count, ==, "3 accounts, 1 of them banned\n");

  g_assert_cmpint (admin (fixture, NULL, "accounts", "delete", "nobody", NULL), ==, 1);
  g_assert_cmpint (admin (fixture, NULL, "accounts", "frobnicate", NULL), ==, 1);
}

/* Gives the account an unidentified-access key and a profile. */
static void
set_key_and_profile (Fixture     *fixture,
                     TestAccount *account)
{
  g_autofree char *key = test_random_base64 (16, -1);
  g_autoptr(TestResponse) stored = NULL;

  test_set_access_key (fixture->session, fixture->relay, account, key);
  stored = test_request (fixture->session, fixture->relay, "PUT", "/v1/profile", account->auth, "sealed profile");
  g_assert_cmpuint (stored->status, ==, 200);
}

/* How many rows of the sealed sender tables belong to the account. */
static gint64
key_and_profile_rows (Fixture     *fixture,
                      TestAccount *account)
{
  g_autofree char *sql = g_strdup_printf ("SELECT (SELECT count(*) FROM access_keys WHERE account = '%s') + "
                                          "(SELECT count(*) FROM profiles WHERE account = '%s')",
                                          account->uuid, account->uuid);

  return test_fixture_query_int (fixture, sql);
}

/* Removing an account takes its unidentified-access key and its
 * encrypted profile with it: a banned account keeps only its name. */
static void
test_removal_takes_key_and_profile (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autofree char *path = g_strdup_printf ("/v1/profile/%s", carol->uuid);
  g_autoptr(TestResponse) profile = NULL;

  set_key_and_profile (fixture, alice);
  set_key_and_profile (fixture, bob);
  set_key_and_profile (fixture, carol);
  g_assert_cmpint (key_and_profile_rows (fixture, carol), ==, 2);

  g_assert_cmpint (admin (fixture, NULL, "accounts", "ban", "carol", NULL), ==, 0);
  g_assert_cmpint (key_and_profile_rows (fixture, carol), ==, 0);
  profile = test_request (fixture->session, fixture->relay, "GET", path, bob->auth, NULL);
  g_assert_cmpuint (profile->status, ==, 404);
  g_assert_cmpint (admin (fixture, NULL, "accounts", "delete", "alice", NULL), ==, 0);
  g_assert_cmpint (key_and_profile_rows (fixture, alice), ==, 0);
  /* Bob's stay. */
  g_assert_cmpint (key_and_profile_rows (fixture, bob), ==, 2);
}

static guint
whoami_status (Fixture     *fixture,
               TestAccount *account)
{
  return test_whoami_status (fixture->session, fixture->relay, account->auth);
}

static gint64
password_checks (Fixture *fixture)
{
  return test_relay_metric (fixture->session, fixture->relay, "sotto_relay_password_checks_total");
}

/* An administrator's change makes the relay forget only the passwords it
 * touched: after Carol is banned, Alice and Bob, whose passwords it
 * remembers, get in without another password check (an Argon2id hash
 * each, which a busy relay would have to find time for all at once). */
static void
test_changes_keep_cache (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  gint64 checks;

  g_assert_cmpuint (whoami_status (fixture, alice), ==, 200);
  g_assert_cmpuint (whoami_status (fixture, carol), ==, 200);
  g_assert_cmpint (admin (fixture, NULL, "accounts", "ban", "carol", NULL), ==, 0);
  wait_refused (fixture, carol->auth);
  checks = password_checks (fixture);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpuint (whoami_status (fixture, alice), ==, 200);
      g_assert_cmpuint (whoami_status (fixture, bob), ==, 200);
    }
  g_assert_cmpint (password_checks (fixture), ==, checks);
  g_assert_cmpuint (whoami_status (fixture, carol), ==, 401);
}

static guint
mode_of (const char *path)
{
  GStatBuf info;

  g_assert_cmpint (g_stat (path, &info), ==, 0);
  return info.st_mode & 0777;
}

/* A backup taken while the relay runs is private and complete: the
 * database with what was accepted, and relay.conf. */
static void
test_backup_and_check (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *parent = g_dir_make_tmp ("sotto-backup-XXXXXX", NULL);
  g_autofree char *dest = g_build_filename (parent, "backup", NULL);
  g_autofree char *db = g_build_filename (dest, "relay.db", NULL);
  g_autofree char *conf = g_build_filename (dest, "relay.conf", NULL);
  g_autofree char *key = g_build_filename (dest, "password-digest.key", NULL);
  g_autofree char *conf_text = NULL;
  g_autofree char *out = NULL;

  g_free (test_send_envelope (fixture->session, fixture->relay, alice, bob, "AAEC"));
  g_assert_cmpint (admin (fixture, &out, "check", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "ok\n");
  if (test_relay_uses_postgresql ())
    {
      /* The tool copies no PostgreSQL database, and makes nothing. */
      g_assert_cmpint (admin (fixture, NULL, "backup", dest, NULL), ==, 1);
      g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
      g_rmdir (parent);
      return;
    }

  g_assert_cmpint (admin (fixture, NULL, "backup", dest, NULL), ==, 0);
  g_assert_cmpuint (mode_of (dest), ==, 0700);
  g_assert_cmpuint (mode_of (db), ==, 0600);
  g_assert_cmpuint (mode_of (conf), ==, 0600);
  g_assert_true (g_file_get_contents (conf, &conf_text, NULL, NULL));
  g_assert_cmpstr (conf_text, ==, test_relay_relaxed_conf);
  g_assert_cmpint (test_relay_query_int (dest, "SELECT count(*) FROM accounts"), ==, 2);
  g_assert_cmpint (test_relay_query_int (dest, "SELECT count(*) FROM queue"), ==, 1);
  g_assert_cmpint (test_relay_query_int (dest, "PRAGMA user_version"), ==, 8);
  /* The key of the password digests in the database stays out of it. */
  g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
  /* A destination that exists is never overwritten. */
  g_assert_cmpint (admin (fixture, NULL, "backup", dest, NULL), ==, 1);

  g_remove (db);
  g_remove (conf);
  g_rmdir (dest);
  g_rmdir (parent);
}

static void
test_no_database (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  const char *args[] = { "admin", "--data-dir", dir, "accounts", "list", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (test_relay_run (args, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "There is no relay database in"));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/relay/admin/invites", Fixture, "invite", fixture_setup, test_invites, test_fixture_teardown);
  g_test_add ("/relay/admin/invite-checked-first", Fixture, "invite", fixture_setup,
              test_invite_checked_first, test_fixture_teardown);
  g_test_add ("/relay/admin/accounts", Fixture, NULL, fixture_setup, test_accounts, test_fixture_teardown);
  g_test_add ("/relay/admin/removal-takes-key-and-profile", Fixture, NULL, fixture_setup,
              test_removal_takes_key_and_profile, test_fixture_teardown);
  g_test_add ("/relay/admin/changes-keep-cache", Fixture, NULL, fixture_setup, test_changes_keep_cache,
              test_fixture_teardown);
  g_test_add ("/relay/admin/backup-and-check", Fixture, NULL, fixture_setup, test_backup_and_check,
              test_fixture_teardown);
  g_test_add_func ("/relay/admin/no-database", test_no_database);

  return g_test_run ();
}
