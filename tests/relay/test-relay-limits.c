/* test-relay-limits.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The limits that keep one client from spending what every other one
 * needs, each met by the attack it is there for, against a real
 * sotto-relay process on loopback: sends that fill a recipient's
 * queue, password checks that keep the hashing threads busy, whether an
 * account exists, and one-time prekeys that anyone could drain.
 */

#include "config.h"

#include <poll.h>
#include <string.h>

#include <unistd.h>

#include "relay-test-raw.h"

typedef TestFixture Fixture;

/* Sends.  A recipient's queue is bounded in envelopes and bytes, and
 * each sender may fill only a share of it, so that accounts that flood
 * it stop at their share and everyone else still gets through. */

typedef struct
{
  guint  status;
  char  *error;
} SendResult;

static SendResult
send_sized (Fixture     *fixture,
            TestAccount *from,
            TestAccount *to,
            gsize        size)
{
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);
  g_autofree char *content = test_random_base64 (size, -1);
  g_autofree char *body = test_send_body (1, to->registration_id, content);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT", path,
                                                   from->auth, body);

  return (SendResult) {
    response->status, response->status != 200 ? g_strdup (test_response_error (response)) : NULL
  };
}

/* Sends until the relay refuses, at most `max` times; returns how many
 * were accepted, and checks why the relay refused. */
static guint
send_until_refused (Fixture     *fixture,
                    TestAccount *from,
                    TestAccount *to,
                    gsize        size,
                    guint        max,
                    const char  *error)
{
  for (guint i = 0; i < max; i++)
    {
      SendResult result = send_sized (fixture, from, to, size);
      g_autofree char *code = result.error;

      if (result.status == 200)
        continue;
      g_assert_cmpuint (result.status, ==, 429);
      g_assert_cmpstr (code, ==, error);
      return i;
    }
  return max;
}

static void
test_queue_flood (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autoptr(GPtrArray) flooders = g_ptr_array_new_with_free_func ((GDestroyNotify) test_account_free);
  g_autoptr(TestSocket) socket = NULL;
  guint delivered = 0;

  /* A share is 8 envelopes, one of them the light allowance; beyond
   * their allowances the flooders share 20, half the queue. */
  static const guint accepted[] = { 8, 8, 7, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *name = g_strdup_printf ("flooder%u", i);
      TestAccount *flooder = test_account_register (fixture->session, fixture->relay, name, 0);

      g_ptr_array_add (flooders, flooder);
      g_assert_cmpuint (send_until_refused (fixture, flooder, bob, 64, 100, "queue-full"), ==, accepted[i]);
    }
  /* Carol did not flood: Bob's queue still takes her message. */
  g_assert_cmpuint (send_until_refused (fixture, carol, bob, 64, 3, "queue-full"), ==, 1);

  /* What Bob acknowledges frees its senders' shares. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  for (;;)
    {
      g_autoptr(JsonNode) node = test_socket_next (socket, 10000);
      JsonObject *object;

      g_assert_nonnull (node);
      object = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member (object, "type"), "queue-empty") == 0)
        break;
      test_socket_ack (socket, json_object_get_string_member (object, "guid"));
      delivered++;
    }
  g_assert_cmpuint (delivered, ==, 25);
  while (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued") > 0)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (send_until_refused (fixture, g_ptr_array_index (flooders, 0), bob, 64, 100,
                                        "queue-full"), ==, 8);

  /* A restart counts the shares again from the stored queue. */
  g_clear_pointer (&socket, test_socket_free);
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  fixture->relay = test_relay_start (fixture->dir, NULL, NULL);
  g_assert_cmpuint (send_until_refused (fixture, g_ptr_array_index (flooders, 0), bob, 64, 100,
                                        "queue-full"), ==, 0);
  g_assert_cmpuint (send_until_refused (fixture, g_ptr_array_index (flooders, 1), bob, 64, 100,
                                        "queue-full"), ==, 8);
}

/* Ten fresh accounts that each fill their share once filled the whole
 * queue.  What senders hold beyond a tenth of their share now comes out
 * of half the queue: the flooders fill that half and their small
 * allowances, and a sender that did not flood still gets through. */
static void
test_queue_sybils (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  guint flooded = 0;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("sybil%u", i);
      g_autoptr(TestAccount) sybil = test_account_register (fixture->session, fixture->relay, name, 0);

      flooded += send_until_refused (fixture, sybil, bob, 64, 100, "queue-full");
    }
  /* Each of the ten keeps its allowance of 4; beyond them, 50 in all. */
  g_assert_cmpuint (flooded, ==, 10 * 4 + 50);
  g_assert_cmpuint (send_until_refused (fixture, carol, bob, 64, 10, "queue-full"), ==, 4);
}

/* The same in bytes: large envelopes stop at the byte bounds long
 * before the envelope counts. */
static void
test_queue_bytes (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autoptr(TestAccount) mallory = test_account_register (fixture->session, fixture->relay, "mallory", 0);
  g_autoptr(TestAccount) trudy = test_account_register (fixture->session, fixture->relay, "trudy", 0);

  /* 60 000 bytes per sender: five of 10 240 bytes. */
  g_assert_cmpuint (send_until_refused (fixture, mallory, bob, 10240, 20, "queue-full"), ==, 5);
  /* Beyond their light allowances of 6 000 bytes, senders share one
   * share, 60 000 bytes, as it is more than half the queue: Mallory
   * holds 45 200 of them, which leaves Trudy two. */
  g_assert_cmpuint (send_until_refused (fixture, trudy, bob, 10240, 20, "queue-full"), ==, 2);
  /* What is left still takes a small message. */
  g_assert_cmpuint (send_until_refused (fixture, carol, bob, 100, 1, "queue-full"), ==, 1);
}

/* A sender that writes to one recipient faster than pair-sends allows is
 * refused there, and nowhere else. */
static void
test_pair_sends (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autoptr(TestAccount) mallory = test_account_register (fixture->session, fixture->relay, "mallory", 0);

  g_assert_cmpuint (send_until_refused (fixture, mallory, bob, 64, 20, "rate-limited"), ==, 5);
  g_assert_cmpuint (send_until_refused (fixture, mallory, carol, 64, 1, "rate-limited"), ==, 1);
  g_assert_cmpuint (send_until_refused (fixture, carol, bob, 64, 1, "rate-limited"), ==, 1);
}

/* Password checks. */

static guint
whoami_status (Fixture    *fixture,
               const char *auth)
{
  return test_whoami_status (fixture->session, fixture->relay, auth);
}

static gint64
password_checks (Fixture *fixture)
{
  return test_relay_metric (fixture->session, fixture->relay, "sotto_relay_password_checks_total");
}

/* An unknown account or device costs the same password check as a wrong
 * password for a known one: the relay hashes against a decoy rather than
 * answering at once, which told an attacker which accounts exist. */
static void
test_unknown_device_decoy (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "wrong-password-0123456789");
  g_autofree char *unknown_device = test_basic_auth (alice->uuid, 7, alice->password);
  g_autofree char *unknown_uuid = g_uuid_string_random ();
  g_autofree char *unknown_account = test_basic_auth (unknown_uuid, 1, alice->password);
  gint64 before = password_checks (fixture);

  g_assert_cmpuint (whoami_status (fixture, wrong), ==, 401);
  g_assert_cmpint (password_checks (fixture), ==, before + 1);
  g_assert_cmpuint (whoami_status (fixture, unknown_account), ==, 401);
  g_assert_cmpint (password_checks (fixture), ==, before + 2);
  g_assert_cmpuint (whoami_status (fixture, unknown_device), ==, 401);
  g_assert_cmpint (password_checks (fixture), ==, before + 3);

  /* The right password, remembered since it was registered, costs no
   * check. */
  g_assert_cmpuint (whoami_status (fixture, alice->auth), ==, 200);
  g_assert_cmpint (password_checks (fixture), ==, before + 3);
}

/* Wrong passwords for one account are bounded per account and address
 * even where the per-address limit is off (here), and an unknown
 * account is bounded the same way, so the limit tells nothing either. */
static void
test_password_checks_per_account (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "wrong-password-0123456789");
  g_autofree char *unknown_uuid = g_uuid_string_random ();
  g_autofree char *unknown = test_basic_auth (unknown_uuid, 1, "wrong-password-0123456789");
  gint64 checks;

  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpuint (whoami_status (fixture, wrong), ==, 401);
      g_assert_cmpuint (whoami_status (fixture, unknown), ==, 401);
    }
  g_assert_cmpuint (whoami_status (fixture, wrong), ==, 429);
  checks = password_checks (fixture);
  g_assert_cmpuint (whoami_status (fixture, unknown), ==, 429);
  /* A limited check costs no hash. */
  g_assert_cmpint (password_checks (fixture), ==, checks);

  /* Alice's devices that the relay knows still get in; Bob is not
   * affected at all. */
  g_assert_cmpuint (whoami_status (fixture, alice->auth), ==, 200);
  g_assert_cmpuint (whoami_status (fixture, bob->auth), ==, 200);
}

/* The ration is per account and address: wrong passwords for Alice's
 * account from another address, which used up the account's ration and
 * locked her out, leave her own address its ration.  The relay has just
 * restarted, so it does not remember her password and her login costs a
 * check. */
static void
test_password_lockout (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "wrong-password-0123456789");
  g_autofree char *request = g_strdup_printf ("GET /v1/accounts/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: %s\r\n\r\n", wrong);

  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  fixture->relay = test_relay_start (fixture->dir, NULL, NULL);
  for (guint i = 0; i < 6; i++)
    {
      int fd = test_raw_connect_from (fixture->relay, "127.0.0.2");

      g_assert_cmpuint (test_raw_exchange (fd, request, NULL), ==, i < 5 ? 401 : 429);
      close (fd);
    }
  g_assert_cmpuint (whoami_status (fixture, alice->auth), ==, 200);
}

/* Registrations keep places in the hashing queue that password checks
 * cannot take: a flood of wrong passwords that fills the queue gets 503
 * while new accounts still register. */

#define FLOOD_CHECKS 40

typedef struct
{
  Fixture     *fixture;
  guint        pending;
  guint        busy;
  guint        registered;
  guint        registrations_refused;
  gboolean     registering;
  TestAccount *known;         /* logs in while the queue is full, if set */
  guint        known_status;
} Flood;

/* Ends one of the flood's requests and returns its answer's status. */
static guint
flood_request_finish (Flood        *flood,
                      GObject      *source,
                      GAsyncResult *result)
{
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  g_assert_nonnull (body);
  flood->pending--;
  return soup_message_get_status (message);
}

static void
registration_done_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Flood *flood = user_data;

  if (flood_request_finish (flood, source, result) == 200)
    flood->registered++;
  else
    flood->registrations_refused++;
}

static void
start_request (Flood               *flood,
               const char          *method,
               const char          *path,
               const char          *auth,
               const char          *json,
               GAsyncReadyCallback  callback)
{
  g_autoptr(SoupMessage) message = test_message_new (flood->fixture->relay, method, path, auth, json);

  flood->pending++;
  soup_session_send_and_read_async (flood->fixture->session, message, G_PRIORITY_DEFAULT, NULL,
                                    callback, flood);
}

static void
start_registrations (Flood *flood)
{
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *username = g_strdup_printf ("newcomer%u", i);
      g_autofree char *json = test_register_body (username, "password-0123456789abcdef", 1, 0, NULL);

      start_request (flood, "POST", "/v1/accounts", NULL, json, registration_done_cb);
    }
}

static void
known_login_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Flood *flood = user_data;

  flood->known_status = flood_request_finish (flood, source, result);
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Flood *flood = user_data;
  guint status = flood_request_finish (flood, source, result);

  if (status == 503)
    {
      flood->busy++;
      /* The queue is full now: the registrations (and the known login)
       * come while it is. */
      if (!flood->registering)
        {
          flood->registering = TRUE;
          start_registrations (flood);
          if (flood->known != NULL)
            start_request (flood, "GET", "/v1/accounts/me", flood->known->auth, NULL, known_login_done_cb);
        }
    }
  else
    g_assert_cmpuint (status, ==, 401);
}

static void
test_registration_hash_reserve (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "wrong-password-0123456789");
  Flood flood = { .fixture = fixture };

  for (guint i = 0; i < FLOOD_CHECKS; i++)
    start_request (&flood, "GET", "/v1/accounts/me", wrong, NULL, check_done_cb);
  while (flood.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("%u of %u checks refused as busy", flood.busy, FLOOD_CHECKS);
  g_assert_cmpuint (flood.busy, >, 0);
  g_assert_cmpuint (flood.registrations_refused, ==, 0);
  g_assert_cmpuint (flood.registered, ==, 2);
}

/* A device whose password the relay remembers gets in during such a
 * flood without a place in the queue, even after an administrator's
 * change to the database: the relay then confirms that the device still
 * exists, a read, rather than checking the password again. */
static void
test_known_login_during_flood (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *wrong = test_basic_auth (bob->uuid, 1, "wrong-password-0123456789");
  g_autofree char *db_path = g_build_filename (fixture->dir, "relay.db", NULL);
  Flood flood = { .fixture = fixture, .known = alice };
  sqlite3 *db = NULL;

  /* A change from another process, as sotto-relay admin makes; the
   * administration commands work on relay.db only. */
  if (!test_relay_uses_postgresql ())
    {
      g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
      sqlite3_busy_timeout (db, 10000);
      test_sqlite_exec (db, "INSERT INTO invites (hash, created) VALUES (x'00', 0)");
      sqlite3_close (db);
    }

  for (guint i = 0; i < FLOOD_CHECKS; i++)
    start_request (&flood, "GET", "/v1/accounts/me", wrong, NULL, check_done_cb);
  while (flood.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("%u of %u checks refused as busy", flood.busy, FLOOD_CHECKS);
  g_assert_cmpuint (flood.busy, >, 0);
  g_assert_cmpuint (flood.known_status, ==, 200);
}

/* After a restart the relay remembers no password in memory, but it
 * stored a digest of each one it has checked or registered: a device
 * gets in without a hash then too, and so during a flood of wrong
 * passwords that fills the hashing queue.  The flood comes from many
 * addresses, one check each, as an attacker would spread it so that no
 * per-address ration stops it. */

#define FLOOD_ADDRESSES 40

/* The status of the answer that `answer` begins with, or 0 while its
 * status line has not all arrived. */
static guint
answer_status (GString *answer)
{
  if (strstr (answer->str, "\r\n") == NULL)
    return 0;
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (answer->str + strlen ("HTTP/1.1 "), NULL, 10);
}

static void
test_known_login_after_restart (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "wrong-password-0123456789");
  g_autofree char *request = g_strdup_printf ("GET /v1/accounts/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: %s\r\n\r\n", wrong);
  int fds[FLOOD_ADDRESSES];
  GString *answers[FLOOD_ADDRESSES];
  guint statuses[FLOOD_ADDRESSES] = { 0 };
  guint answered = 0;
  guint busy = 0;
  guint known_status = 0;

  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  fixture->relay = test_relay_start (fixture->dir, NULL, NULL);

  /* Bob gets in at once, and without a password check. */
  g_assert_cmpuint (whoami_status (fixture, bob->auth), ==, 200);
  g_assert_cmpint (password_checks (fixture), ==, 0);

  for (guint i = 0; i < FLOOD_ADDRESSES; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.%u", 10 + i);

      fds[i] = test_raw_connect_from (fixture->relay, address);
      test_raw_write_string (fds[i], request);
      answers[i] = g_string_new (NULL);
    }
  while (answered < FLOOD_ADDRESSES)
    {
      struct pollfd pfds[FLOOD_ADDRESSES];

      /* A negative descriptor is one poll() leaves out. */
      for (guint i = 0; i < FLOOD_ADDRESSES; i++)
        pfds[i] = (struct pollfd) { .fd = statuses[i] == 0 ? fds[i] : -1, .events = POLLIN };
      g_assert_cmpint (poll (pfds, FLOOD_ADDRESSES, 30000), >, 0);
      for (guint i = 0; i < FLOOD_ADDRESSES; i++)
        {
          if (pfds[i].revents == 0)
            continue;
          g_assert_cmpint (test_raw_read (fds[i], answers[i], g_get_monotonic_time () + G_USEC_PER_SEC), ==,
                           TEST_READ_DATA);
          if ((statuses[i] = answer_status (answers[i])) == 0)
            continue;
          answered++;
          if (statuses[i] != 503)
            {
              g_assert_cmpuint (statuses[i], ==, 401);
              continue;
            }
          /* The queue is full now: Alice logs in while it is. */
          busy++;
          if (known_status == 0)
            known_status = whoami_status (fixture, alice->auth);
        }
    }
  for (guint i = 0; i < FLOOD_ADDRESSES; i++)
    {
      close (fds[i]);
      g_string_free (answers[i], TRUE);
    }
  g_test_message ("%u of %u checks refused as busy", busy, FLOOD_ADDRESSES);
  g_assert_cmpuint (busy, >, 0);
  g_assert_cmpuint (known_status, ==, 200);
}

/* A stored digest covers the password hash it was checked against: when
 * an administrator gives a device another password (here Bob's, written
 * straight into the database while the relay is stopped), its old one no
 * longer gets in, though its digest is still there. */
static void
test_password_reset_after_restart (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *reset = g_strdup_printf ("UPDATE devices SET password_hash = (SELECT password_hash FROM devices "
                                            "WHERE account = '%s') WHERE account = '%s'", bob->uuid, alice->uuid);
  g_autofree char *alice_as_bob = test_basic_auth (alice->uuid, 1, bob->password);

  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  if (test_relay_uses_postgresql ())
    {
      g_autofree char *url = test_relay_data_dir_database (fixture->dir);

      test_postgresql_query_int (url, reset);
    }
  else
    {
      g_autofree char *db_path = g_build_filename (fixture->dir, "relay.db", NULL);
      sqlite3 *db = NULL;

      g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
      test_sqlite_exec (db, reset);
      sqlite3_close (db);
    }
  fixture->relay = test_relay_start (fixture->dir, NULL, NULL);

  g_assert_cmpuint (whoami_status (fixture, alice->auth), ==, 401);
  g_assert_cmpuint (whoami_status (fixture, alice_as_bob), ==, 200);
  g_assert_cmpuint (whoami_status (fixture, bob->auth), ==, 200);
}

/* One-time prekeys: one account fetching a contact's bundle again and
 * again takes only as many one-time prekeys as its own per-pair limit
 * lets through, and no more of the target's ration, so that others
 * still get them; past the per-target limit, fetches still get a bundle
 * to start a session with, on the last-resort Kyber key. */

static JsonObject *
fetch_bundle (Fixture     *fixture,
              TestAccount *requester,
              TestAccount *target,
              JsonNode   **holder)
{
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s/1", target->uuid);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET", path,
                                                   requester->auth, NULL);
  JsonArray *devices;
  JsonObject *device;

  g_assert_cmpuint (response->status, ==, 200);
  devices = json_object_get_array_member (test_response_object (response), "devices");
  g_assert_cmpuint (json_array_get_length (devices), ==, 1);
  device = json_array_get_object_element (devices, 0);
  g_assert_true (json_object_has_member (device, "signedPreKey"));
  g_assert_true (json_object_has_member (device, "pqPreKey"));
  *holder = json_node_ref (json_array_get_element (devices, 0));
  return device;
}

static gboolean
last_resort (JsonObject *device)
{
  return json_object_get_boolean_member (json_object_get_object_member (device, "pqPreKey"), "lastResort");
}

static void
test_prekey_drain_per_target (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 30);
  g_autoptr(TestAccount) mallory = test_account_register (fixture->session, fixture->relay, "mallory", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autoptr(TestAccount) dave = test_account_register (fixture->session, fixture->relay, "dave", 0);
  g_autoptr(JsonNode) holder = NULL;
  JsonObject *device;
  guint one_time = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      device = fetch_bundle (fixture, mallory, alice, &node);
      if (json_object_has_member (device, "preKey"))
        {
          g_assert_false (last_resort (device));
          one_time++;
        }
      else
        g_assert_true (last_resort (device));
    }
  g_assert_cmpuint (one_time, ==, 2);
  test_assert_key_counts (fixture, alice, 28, 28);

  /* Mallory's fetches past her own limit took none of Alice's ration:
   * Bob and Carol still get one-time prekeys, and once the ration is
   * spent, Dave starts a session on the last-resort Kyber key. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      device = fetch_bundle (fixture, bob, alice, &node);
      g_assert_true (json_object_has_member (device, "preKey"));
      g_assert_false (last_resort (device));
      device = fetch_bundle (fixture, carol, alice, &node);
      g_assert_cmpint (json_object_has_member (device, "preKey"), ==, i == 0);
      g_assert_cmpint (last_resort (device), ==, i != 0);
    }
  test_assert_key_counts (fixture, alice, 25, 25);
  device = fetch_bundle (fixture, dave, alice, &holder);
  g_assert_false (json_object_has_member (device, "preKey"));
  g_assert_true (last_resort (device));
  test_assert_key_counts (fixture, alice, 25, 25);
}

/* The owner of a device whose one-time prekeys run low is told on its
 * WebSocket, once a fetch leaves fewer than one-time-prekeys-low. */
static void
test_keys_low_notice (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 30);
  g_autoptr(TestAccount) mallory = test_account_register (fixture->session, fixture->relay, "mallory", 0);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autoptr(JsonNode) notice = NULL;
  JsonObject *object;

  test_socket_expect_drained (socket);
  /* 29 and 28 left are not below the mark; 27 is. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      g_assert_true (json_object_has_member (fetch_bundle (fixture, mallory, alice, &node), "preKey"));
    }
  notice = test_socket_next (socket, 10000);
  g_assert_nonnull (notice);
  object = json_node_get_object (notice);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "keys-low");
  g_assert_cmpint (json_object_get_int_member (object, "preKeyCount"), ==, 27);
  g_assert_cmpint (json_object_get_int_member (object, "pqPreKeyCount"), ==, 27);
}

/* Every test's relay.conf is the relaxed one with its own limits after
 * it, less the relaxed rates it sets itself (relay.conf refuses a key set
 * twice); `confs` keeps them until the tests have run. */
static const char *
relaxed_with (GPtrArray  *confs,
              const char *limits)
{
  g_auto(GStrv) lines = g_strsplit (test_relay_relaxed_conf, "\n", -1);
  GString *conf = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_autofree char *key = g_strndup (lines[i], strcspn (lines[i], "="));
      g_autofree char *setting = g_strconcat (key, "=", NULL);

      if (lines[i][0] == '[' || strstr (limits, setting) == NULL)
        g_string_append_printf (conf, "%s\n", lines[i]);
    }
  g_string_append (conf, limits);
  g_ptr_array_add (confs, conf->str);
  return g_string_free (conf, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) confs = g_ptr_array_new_with_free_func (g_free);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, limits) \
  g_test_add ("/relay/limits/" path, Fixture, relaxed_with (confs, limits), \
              test_fixture_setup, func, test_fixture_teardown)

  ADD ("queue-flood", test_queue_flood,
       "[limits]\nmax-queue-envelopes=40\nmax-queue-envelopes-per-sender=8\n");
  ADD ("queue-sybils", test_queue_sybils,
       "[limits]\nmax-queue-envelopes=100\nmax-queue-envelopes-per-sender=40\n");
  ADD ("queue-bytes", test_queue_bytes,
       "[limits]\nmax-envelope-bytes=20000\nmax-queue-bytes=100000\nmax-queue-bytes-per-sender=60000\n");
  ADD ("pair-sends", test_pair_sends, "pair-sends=0.001/5\n");
  ADD ("unknown-device-decoy", test_unknown_device_decoy, "");
  ADD ("password-checks-per-account", test_password_checks_per_account,
       "account-password-checks=0.001/5\n");
  ADD ("password-lockout", test_password_lockout, "account-password-checks=0.001/5\n");
  ADD ("registration-hash-reserve", test_registration_hash_reserve,
       "[limits]\nhash-queue-limit=8\nhash-queue-registration-reserve=2\n");
  ADD ("known-login-during-flood", test_known_login_during_flood,
       "[limits]\nhash-queue-limit=8\nhash-queue-registration-reserve=2\n");
  ADD ("known-login-after-restart", test_known_login_after_restart,
       "address-auth-failures=0.1666667/20\naccount-password-checks=0.1/10\n"
       "[limits]\nhash-queue-limit=8\nhash-queue-registration-reserve=2\n");
  ADD ("password-reset-after-restart", test_password_reset_after_restart, "");
  ADD ("prekey-drain-per-target", test_prekey_drain_per_target,
       "target-one-time-prekeys=0.001/5\npair-one-time-prekeys=0.001/2\n");
  ADD ("keys-low-notice", test_keys_low_notice, "[limits]\none-time-prekeys-low=28\n");

#undef ADD

  return g_test_run ();
}
