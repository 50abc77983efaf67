/* test-cli-forged-identity.c: a relay that passes off another identity as a verified contact
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-message.h"
#include "sp-session.h"

#include "cli-test-util.h"
#include "sotto-content-private.h"
#include "sotto-messenger-private.h"
#include "sotto-relay-client-private.h"

/* The relay is the attacker here.  It fetches Alice's prekeys like any
 * client, makes a PreKey message under Bob's UUID with an identity key of
 * its own, and delivers it in place of an envelope Bob really sent, by
 * rewriting the envelope in its database.  Whatever that message holds,
 * Alice must see the safety number change and hold what she sends to Bob,
 * whom she had verified; and a message that does not decrypt must change
 * nothing at all. */

typedef enum
{
  FORGED_TEXT,
  FORGED_DELIVERY_RECEIPT,
  FORGED_READ_RECEIPT,
  FORGED_GARBAGE,
  FORGED_EMPTY,
  FORGED_UNDECRYPTABLE,
} Forged;

#define FORGED_TEXT_BODY "It is me, Bob, with a new phone"

/* The relay's envelope types. */
#define ENVELOPE_TYPE_CIPHERTEXT 1
#define ENVELOPE_TYPE_PREKEY 3

/* A plaintext that no version of the inner content starts with. */
static const guint8 garbage[] = "\xee\xee not a Sotto message at all, just bytes";

/* Alice's bundle, fetched from the relay with Bob's credentials. */
static SpPreKeyBundle *
fetch_bundle (CliTest    *test,
              const char *profile,
              const char *uuid,
              const char *of_uuid)
{
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) bundles = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  guint8 private_key[SP_PRIVATE_KEY_SIZE];

  cli_read_secrets (profile, private_key, &password);
  sodium_memzero (private_key, sizeof private_key);

  client = sotto_relay_client_new (test->relay->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, uuid, 1, password);

  sotto_relay_client_get_bundles_async (client, of_uuid, 1, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  bundles = sotto_relay_client_get_bundles_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bundles->len, ==, 1);

  return g_memdup2 (g_ptr_array_index (bundles, 0), sizeof (SpPreKeyBundle));
}

static GBytes *
forged_plaintext (Forged      forged,
                  const char *about_id)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoContent) content = NULL;
  const char * const receipts[] = { about_id, NULL };
  gint64 now = g_get_real_time () / 1000;

  switch (forged)
    {
    case FORGED_TEXT:
    case FORGED_UNDECRYPTABLE:
      content = sotto_content_new_text (id, now, "bob", FORGED_TEXT_BODY);
      return sotto_content_encode (content);

    case FORGED_DELIVERY_RECEIPT:
      content = sotto_content_new_receipt (SOTTO_CONTENT_KIND_DELIVERY_RECEIPT, id, now, receipts);
      return sotto_content_encode (content);

    case FORGED_READ_RECEIPT:
      content = sotto_content_new_receipt (SOTTO_CONTENT_KIND_READ_RECEIPT, id, now, receipts);
      return sotto_content_encode (content);

    case FORGED_GARBAGE:
      return g_bytes_new_static (garbage, sizeof garbage - 1);

    case FORGED_EMPTY:
    default:
      return g_bytes_new_static ("", 0);
    }
}

#define ATTACKER_REGISTRATION_ID 4242

/* The relay's side of a session it set up under @claimed_uuid's device
 * @claimed_device, with a
 * fresh identity key, against @recipient_uuid's bundle. */
typedef struct
{
  SpMemoryStore *memory;
  SpSessionCipher *cipher;
} Attacker;

static Attacker *
attacker_new (const SpPreKeyBundle *bundle,
              const char           *claimed_uuid,
              guint                 claimed_device,
              const char           *recipient_uuid)
{
  Attacker *attacker = g_new0 (Attacker, 1);
  SpAddress local = { claimed_uuid, claimed_device };
  SpAddress remote = { recipient_uuid, 1 };
  SpKeyPair identity;
  SpStore store;

  g_assert_cmpint (sp_key_pair_generate (&identity), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_new (&attacker->memory, &identity, ATTACKER_REGISTRATION_ID), ==, SP_OK);
  sodium_memzero (&identity, sizeof identity);
  g_assert_cmpint (sp_memory_store_get_interface (attacker->memory, &store), ==, SP_OK);
  g_assert_cmpint (sp_session_cipher_new (&attacker->cipher, &store, &local, &remote), ==, SP_OK);
  g_assert_cmpint (sp_session_cipher_process_bundle (attacker->cipher, bundle), ==, SP_OK);

  return attacker;
}

static void
attacker_free (Attacker *attacker)
{
  sp_session_cipher_free (attacker->cipher);
  sp_memory_store_free (attacker->memory);
  g_free (attacker);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attacker, attacker_free)

/* @plaintext in a message of @type, which tells whether the attacker's
 * session has heard back yet. */
static GBytes *
attacker_encrypt (Attacker *attacker,
                  GBytes   *plaintext,
                  int       type)
{
  gsize plaintext_len;
  const guint8 *data = g_bytes_get_data (plaintext, &plaintext_len);
  gsize out_size = SP_SESSION_CIPHERTEXT_MAX_SIZE (plaintext_len);
  guint8 *out = g_malloc (out_size);
  gsize out_len = 0;
  int out_type = 0;

  g_assert_cmpint (sp_session_cipher_encrypt (attacker->cipher, data != NULL ? data : (const guint8 *) "",
                                              plaintext_len, out, out_size, &out_len, &out_type),
                   ==, SP_OK);
  g_assert_cmpint (out_type, ==, type);

  return g_bytes_new_take (out, out_len);
}

/* Whether the attacker reads @message, which answers its session. */
static gboolean
attacker_reads (Attacker *attacker,
                GBytes   *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  g_autofree guint8 *plaintext = g_malloc (len);
  gsize plaintext_len = 0;

  return sp_session_cipher_decrypt (attacker->cipher, SP_CIPHERTEXT_TYPE_WHISPER, data, len,
                                    plaintext, len, &plaintext_len) == SP_OK;
}

static void
attacker_decrypt (Attacker *attacker,
                  GBytes   *message)
{
  g_assert_true (attacker_reads (attacker, message));
}

/* The same message with the last byte of the inner message's MAC
 * flipped: every key in it is genuine, but it does not authenticate. */
static GBytes *
break_mac (GBytes *message)
{
  SpPreKeySignalMessage decoded;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  guint8 *broken = g_memdup2 (data, len);
  gsize offset;

  g_assert_cmpint (sp_pre_key_signal_message_decode (&decoded, data, len), ==, SP_OK);
  offset = (gsize) (decoded.message - data) + decoded.message_len - 1;
  g_assert_cmpuint (offset, <, len);
  broken[offset] ^= 0x01;

  return g_bytes_new_take (broken, len);
}

/* A statement on the relay's database, which the test changes as the
 * relay would, to play the attacker. */
static sqlite3_stmt *
relay_db_prepare (CliTest     *test,
                  int          flags,
                  const char  *sql,
                  sqlite3    **db)
{
  g_autofree char *path = g_build_filename (test->relay->data_dir, "relay.db", NULL);

  return cli_db_prepare (path, flags, sql, db);
}

/* What the relay delivers next to @recipient_uuid from @source_uuid
 * becomes @content, an envelope of @type from @source_device.  The relay
 * is stopped meanwhile. */
static void
rewrite_envelope (CliTest    *test,
                  const char *recipient_uuid,
                  const char *source_uuid,
                  guint       source_device,
                  int         type,
                  GBytes     *content)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = relay_db_prepare (test, SQLITE_OPEN_READWRITE,
                                              "UPDATE queue SET type = ?4, content = ?3, source_device = ?5"
                                              " WHERE account = ?1 AND source = ?2",
                                              &db);

  sqlite3_bind_text (statement, 1, recipient_uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text (statement, 2, source_uuid, -1, SQLITE_STATIC);
  sqlite3_bind_blob (statement, 3, g_bytes_get_data (content, NULL), g_bytes_get_size (content),
                     SQLITE_STATIC);
  sqlite3_bind_int (statement, 4, type);
  sqlite3_bind_int (statement, 5, source_device);
  cli_db_change_one (db, statement);
}

static guint
count_events (GPtrArray *messages)
{
  guint n_events = 0;

  for (guint i = 0; i < messages->len; i++)
    {
      JsonObject *message = g_ptr_array_index (messages, i);

      if (g_str_equal (json_object_get_string_member (message, "kind"), "safety-number-changed"))
        n_events++;
    }

  return n_events;
}

/* Alice and Bob, who talked, Alice having verified Bob, and the relay
 * that has set up a session with Alice under Bob's UUID. */
typedef struct
{
  CliTest *test;
  char *alice;
  char *bob;
  CliWhoami *alice_id;
  CliWhoami *bob_id;
  JsonObject *sent;     /* Alice's first message */
  char *number;         /* the safety number Alice verified */
  Attacker *attacker;
} Scene;

static Scene *
scene_new (void)
{
  Scene *scene = g_new0 (Scene, 1);
  g_autofree SpPreKeyBundle *bundle = NULL;

  scene->test = cli_test_new (FALSE);
  scene->alice = cli_register (scene->test, "alice");
  scene->bob = cli_register (scene->test, "bob");
  scene->alice_id = cli_whoami (scene->test, scene->alice, "alice");
  scene->bob_id = cli_whoami (scene->test, scene->bob, "bob");

  scene->sent = cli_send_json (scene->test, scene->alice, "bob", "Hello Bob");
  cli_assert_receives (scene->test, scene->bob, "alice", "Hello Bob", NULL);
  cli_send_ok (scene->test, scene->bob, "alice", "Hello Alice");
  cli_assert_receives (scene->test, scene->alice, "bob", "Hello Alice", NULL);

  scene->number = cli_safety_number (scene->test, scene->alice, "bob", "unverified");
  cli_run_ok (scene->test, scene->alice, "verify", "bob", scene->number, NULL);

  bundle = fetch_bundle (scene->test, scene->bob, scene->bob_id->uuid, scene->alice_id->uuid);
  scene->attacker = attacker_new (bundle, scene->bob_id->uuid, 1, scene->alice_id->uuid);

  return scene;
}

static void
scene_free (Scene *scene)
{
  g_clear_pointer (&scene->attacker, attacker_free);
  g_clear_pointer (&scene->number, g_free);
  g_clear_pointer (&scene->sent, json_object_unref);
  g_clear_pointer (&scene->bob_id, cli_whoami_free);
  g_clear_pointer (&scene->alice_id, cli_whoami_free);
  g_clear_pointer (&scene->bob, g_free);
  g_clear_pointer (&scene->alice, g_free);
  g_clear_pointer (&scene->test, cli_test_free);
  g_free (scene);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scene, scene_free)

/* Bob writes to Alice, and the relay delivers @forged of @type instead,
 * as from Bob's device @source_device. */
static void
deliver_instead_from (Scene  *scene,
                      guint   source_device,
                      int     type,
                      GBytes *forged)
{
  cli_send_ok (scene->test, scene->bob, "alice", "The real Bob");
  cli_relay_stop (scene->test->relay);
  rewrite_envelope (scene->test, scene->alice_id->uuid, scene->bob_id->uuid, source_device, type, forged);
  cli_relay_restart (scene->test->relay);
}

static void
deliver_instead (Scene  *scene,
                 int     type,
                 GBytes *forged)
{
  deliver_instead_from (scene, 1, type, forged);
}

/* Alice receives the forged message; returns what she printed. */
static CliResult *
receive_forged (Scene *scene)
{
  CliResult *result = cli_run (scene->test, scene->alice, "--json", "receive", "--timeout", "0", NULL);

  cli_assert_ok (result);

  return result;
}

/* The forged key went through the key-change rules: an event in the
 * history before anything the message brought, a new safety number
 * that the old digits do not verify, and sending held. */
static void
assert_change_recorded (Scene  *scene,
                        Forged  forged)
{
  CliTest *test = scene->test;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(CliResult) old_verified = NULL;
  g_autoptr(CliResult) held = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *bob_number = NULL;
  g_autofree char *still_changed = NULL;
  JsonObject *event;

  messages = cli_history (test, scene->alice, "bob");
  g_assert_cmpuint (count_events (messages), ==, 1);
  event = g_ptr_array_index (messages, messages->len - (forged == FORGED_TEXT ? 2 : 1));
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "safety-number-changed");
  if (forged == FORGED_TEXT)
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (messages, messages->len - 1), "text"),
                     ==, FORGED_TEXT_BODY);

  changed = cli_safety_number (test, scene->alice, "bob", "changed");
  g_assert_cmpstr (changed, !=, scene->number);

  /* The number is not the one Bob sees either: the key is not his. */
  bob_number = cli_safety_number (test, scene->bob, "alice", "unverified");
  g_assert_cmpstr (changed, !=, bob_number);

  old_verified = cli_run (test, scene->alice, "verify", "bob", scene->number, NULL);
  g_assert_cmpint (old_verified->status, !=, 0);
  still_changed = cli_safety_number (test, scene->alice, "bob", "changed");
  g_assert_cmpstr (still_changed, ==, changed);

  held = cli_run (test, scene->alice, "send", "bob", "Only for the real Bob", NULL);
  g_assert_cmpint (held->status, ==, 1);
  g_assert_nonnull (strstr (held->err, "outbox"));
  g_assert_nonnull (strstr (held->err, "safety number"));
}

/* A message that did not decrypt left everything as it was: no event,
 * the verified number still verifies, and Bob still gets what Alice
 * sends, which he could not if the forged session had replaced his. */
static void
assert_nothing_changed (Scene *scene)
{
  CliTest *test = scene->test;
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *number = NULL;

  messages = cli_history (test, scene->alice, "bob");
  g_assert_cmpuint (count_events (messages), ==, 0);

  number = cli_safety_number (test, scene->alice, "bob", "verified");
  g_assert_cmpstr (number, ==, scene->number);
  cli_run_ok (test, scene->alice, "verify", "bob", scene->number, NULL);

  cli_send_ok (test, scene->alice, "bob", "Still you");
  cli_assert_receives (test, scene->bob, "alice", "Still you", NULL);
}

static void
test_forged_identity (gconstpointer data)
{
  Forged forged = GPOINTER_TO_INT (data);
  g_autoptr(Scene) scene = scene_new ();
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(CliResult) noticed = NULL;
  g_autoptr(GBytes) plaintext = NULL;
  g_autoptr(GBytes) message = NULL;

  /* The relay makes its message, and puts it in place of Bob's next. */
  plaintext = forged_plaintext (forged, json_object_get_string_member (scene->sent, "id"));
  message = attacker_encrypt (scene->attacker, plaintext, SP_CIPHERTEXT_TYPE_PREKEY);
  if (forged == FORGED_UNDECRYPTABLE)
    {
      GBytes *broken = break_mac (message);

      g_bytes_unref (message);
      message = broken;
    }

  deliver_instead (scene, ENVELOPE_TYPE_PREKEY, message);
  noticed = receive_forged (scene);
  received = cli_parse_lines (noticed->out);

  if (forged == FORGED_UNDECRYPTABLE)
    {
      g_assert_cmpuint (received->len, ==, 0);
      g_assert_null (strstr (noticed->err, "safety number"));
      assert_nothing_changed (scene);
      return;
    }

  /* Receiving is never blocked, but the change is said first. */
  g_assert_nonnull (strstr (noticed->err, "safety number with bob changed"));
  if (forged == FORGED_TEXT)
    cli_assert_texts (received, "bob", FORGED_TEXT_BODY, NULL);
  else
    g_assert_cmpuint (received->len, ==, 0);

  assert_change_recorded (scene, forged);
}

typedef struct
{
  const char *bob_uuid;
  GBytes *forged;
  GBytes *reply;
} Takeover;

/* What a version of Sotto that did not apply the key-change rules to a
 * PreKey message left behind: the attacker's session and identity saved
 * for Bob's device, the contact's key and verification untouched.  Alice
 * then answers on that session. */
static void
take_over_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoMessenger *messenger = source_object;
  Takeover *takeover = task_data;
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (takeover->forged, &len);
  g_autofree guint8 *plaintext = g_malloc (len);
  const char reply[] = "Answered on the wrong session";
  gsize out_size = SP_SESSION_CIPHERTEXT_MAX_SIZE (sizeof reply);
  guint8 *out = g_malloc (out_size);
  gsize plaintext_len = 0;
  gsize out_len = 0;
  SpSessionCipher *cipher;
  int type = 0;

  cipher = _sotto_protocol_state_get_cipher (_sotto_messenger_get_protocol_state (messenger),
                                             takeover->bob_uuid, 1, &error);
  g_assert_no_error (error);

  g_assert_true (_sotto_store_begin (messenger->store, &error));
  g_assert_cmpint (sp_session_cipher_decrypt (cipher, SP_CIPHERTEXT_TYPE_PREKEY, data, len,
                                              plaintext, len, &plaintext_len),
                   ==, SP_OK);
  g_assert_cmpint (sp_session_cipher_encrypt (cipher, (const guint8 *) reply, sizeof reply,
                                              out, out_size, &out_len, &type),
                   ==, SP_OK);
  g_assert_cmpint (type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  g_assert_true (_sotto_store_commit (messenger->store, &error));

  takeover->reply = g_bytes_new_take (out, out_len);
  g_task_return_boolean (task, TRUE);
}

/* Leaves Alice's profile as an earlier version did after @forged, and
 * returns her answer on the attacker's session. */
static GBytes *
take_over (const char *alice,
           const char *bob_uuid,
           GBytes     *forged)
{
  g_autoptr(GAsyncResult) done = NULL;
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  SottoStore *store = cli_open_store (alice);
  Takeover takeover = { bob_uuid, forged, NULL };

  messenger = cli_load_messenger (store);
  task = g_task_new (messenger, NULL, cli_result_cb, &done);
  g_task_set_task_data (task, &takeover, NULL);
  _sotto_store_run_in_thread (store, task, take_over_thread);
  cli_wait_for (&done);
  g_assert_true (g_task_propagate_boolean (G_TASK (done), &error));

  g_clear_object (&task);
  g_clear_object (&messenger);
  cli_close_store (store);

  return takeover.reply;
}

/* The key-change rules hold for the ordinary messages of a session too:
 * a profile whose session an earlier version let the relay replace
 * notices the new key with the next message on it, a receipt here. */
static void
test_forged_identity_signal_message (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(CliResult) noticed = NULL;
  g_autoptr(GBytes) text = NULL;
  g_autoptr(GBytes) receipt = NULL;
  g_autoptr(GBytes) forged = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autofree char *unchanged = NULL;

  text = forged_plaintext (FORGED_TEXT, NULL);
  forged = attacker_encrypt (scene->attacker, text, SP_CIPHERTEXT_TYPE_PREKEY);
  reply = take_over (scene->alice, scene->bob_id->uuid, forged);

  /* The damage: nothing shows yet. */
  unchanged = cli_safety_number (scene->test, scene->alice, "bob", "verified");
  g_assert_cmpstr (unchanged, ==, scene->number);

  attacker_decrypt (scene->attacker, reply);
  receipt = forged_plaintext (FORGED_READ_RECEIPT, json_object_get_string_member (scene->sent, "id"));
  message = attacker_encrypt (scene->attacker, receipt, SP_CIPHERTEXT_TYPE_WHISPER);
  deliver_instead (scene, ENVELOPE_TYPE_CIPHERTEXT, message);

  noticed = receive_forged (scene);
  g_assert_nonnull (strstr (noticed->err, "safety number with bob changed"));
  received = cli_parse_lines (noticed->out);
  g_assert_cmpuint (received->len, ==, 0);

  assert_change_recorded (scene, FORGED_READ_RECEIPT);
}

/* The relay gives @uuid a device @device_id of its own, with the
 * registration id of its session, so that it takes what Alice encrypts
 * for that device. */
static void
add_relay_device (CliTest    *test,
                  const char *uuid,
                  guint       device_id)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = relay_db_prepare (test, SQLITE_OPEN_READWRITE,
                                              "INSERT INTO devices (account, device_id, registration_id, password_hash)"
                                              " SELECT account, ?2, ?3, password_hash FROM devices"
                                              " WHERE account = ?1 AND device_id = 1",
                                              &db);

  sqlite3_bind_text (statement, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int (statement, 2, device_id);
  sqlite3_bind_int (statement, 3, ATTACKER_REGISTRATION_ID);
  cli_db_change_one (db, statement);
}

/* How many of the envelopes the relay holds for @uuid's device
 * @device_id the attacker reads. */
static guint
count_read_by_attacker (CliTest    *test,
                        Attacker   *attacker,
                        const char *uuid,
                        guint       device_id)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = relay_db_prepare (test, SQLITE_OPEN_READONLY,
                                              "SELECT content FROM queue WHERE account = ?1 AND device_id = ?2"
                                              " ORDER BY id",
                                              &db);
  guint n_read = 0;

  sqlite3_bind_text (statement, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int (statement, 2, device_id);
  while (sqlite3_step (statement) == SQLITE_ROW)
    {
      g_autoptr(GBytes) content = g_bytes_new (sqlite3_column_blob (statement, 0),
                                               sqlite3_column_bytes (statement, 0));

      if (attacker_reads (attacker, content))
        n_read++;
    }
  sqlite3_finalize (statement);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  return n_read;
}

/* The relay passes its key off as a second device of Bob's.  Alice sees
 * the change; then the real Bob writes from his device, the contact's
 * key is Bob's again, and so is the safety number, which Alice compares
 * with Bob and verifies.  The session with the relay's "device" is still
 * there, under a key nobody verified: nothing Alice sends from now on
 * may be readable with it (a safety number must cover every key Alice
 * encrypts to, or a device with another key must not be written to). */
static void
test_forged_other_device (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autoptr(CliResult) noticed = NULL;
  g_autoptr(CliResult) verified = NULL;
  g_autoptr(CliResult) sent = NULL;
  g_autoptr(GBytes) plaintext = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autofree SpPreKeyBundle *bundle = NULL;
  g_autoptr(Attacker) attacker = NULL;

  /* Messages name both ends' devices, so the relay claims device 2 from
   * the start. */
  bundle = fetch_bundle (scene->test, scene->bob, scene->bob_id->uuid, scene->alice_id->uuid);
  attacker = attacker_new (bundle, scene->bob_id->uuid, 2, scene->alice_id->uuid);
  plaintext = forged_plaintext (FORGED_TEXT, NULL);
  message = attacker_encrypt (attacker, plaintext, SP_CIPHERTEXT_TYPE_PREKEY);
  cli_send_ok (scene->test, scene->bob, "alice", "The real Bob");
  cli_relay_stop (scene->test->relay);
  rewrite_envelope (scene->test, scene->alice_id->uuid, scene->bob_id->uuid, 2, ENVELOPE_TYPE_PREKEY, message);
  add_relay_device (scene->test, scene->bob_id->uuid, 2);
  cli_relay_restart (scene->test->relay);

  noticed = receive_forged (scene);
  g_assert_nonnull (strstr (noticed->err, "safety number with bob changed"));

  cli_send_ok (scene->test, scene->bob, "alice", "The real Bob again");
  cli_assert_receives (scene->test, scene->alice, "bob", "The real Bob again", NULL);

  verified = cli_run (scene->test, scene->alice, "verify", "bob", scene->number, NULL);
  sent = cli_run (scene->test, scene->alice, "send", "bob", "Only for the real Bob", NULL);

  g_assert_cmpuint (count_read_by_attacker (scene->test, attacker, scene->bob_id->uuid, 2), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_data_func ("/cli/forged-identity/text", GINT_TO_POINTER (FORGED_TEXT),
                        test_forged_identity);
  g_test_add_data_func ("/cli/forged-identity/delivery-receipt", GINT_TO_POINTER (FORGED_DELIVERY_RECEIPT),
                        test_forged_identity);
  g_test_add_data_func ("/cli/forged-identity/read-receipt", GINT_TO_POINTER (FORGED_READ_RECEIPT),
                        test_forged_identity);
  g_test_add_data_func ("/cli/forged-identity/garbage", GINT_TO_POINTER (FORGED_GARBAGE),
                        test_forged_identity);
  g_test_add_data_func ("/cli/forged-identity/empty", GINT_TO_POINTER (FORGED_EMPTY),
                        test_forged_identity);
  g_test_add_data_func ("/cli/forged-identity/undecryptable", GINT_TO_POINTER (FORGED_UNDECRYPTABLE),
                        test_forged_identity);
  g_test_add_func ("/cli/forged-identity/signal-message", test_forged_identity_signal_message);
  g_test_add_func ("/cli/forged-identity/other-device", test_forged_other_device);

  return g_test_run ();
}
