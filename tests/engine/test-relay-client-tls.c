/* test-relay-client-tls.c: the relay client against a real relay over TLS
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An https:// relay URL: requests go over HTTPS and the delivery socket
 * over WSS, to a sotto-relay process that serves TLS with a chain made
 * for the test.  The client trusts the test root as the relay's private
 * CA (sotto_relay_client_set_trusted_ca()), and nothing else for it:
 * neither the system's CAs nor another private CA.
 */

#include "config.h"

#include "sp-error.h"
#include "sp-init.h"

#include "relay-test-util.h"
#include "engine-test-util.h"
#include "sotto-relay-client-private.h"

typedef struct
{
  char  *uuid;
  char  *password;
  guint  registration_id;
} Account;

static void
account_clear (Account *account)
{
  g_free (account->uuid);
  g_free (account->password);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Account, account_clear)

/* Registers `username` through `client` and gives it the credentials. */
static void
register_account (SottoRelayClient *client,
                  const char       *username,
                  Account          *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint device_id = 0;

  account->password = g_strdup_printf ("password-%08x%08x", g_random_int (), g_random_int ());
  account->registration_id = (guint) g_random_int_range (1, 16381);
  engine_test_register_async (client, username, account->password, account->registration_id,
                              engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_register_finish (client, result, &account->uuid, &device_id, &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (account->uuid));
  g_assert_cmpuint (device_id, ==, 1);
  sotto_relay_client_set_credentials (client, account->uuid, 1, account->password);
}

typedef struct
{
  GPtrArray *envelopes;     /* of SottoRelayEnvelope */
  guint      n_queue_empty;
} Inbox;

static void
envelope_cb (SottoRelayClient   *client,
             SottoRelayEnvelope *envelope,
             Inbox              *inbox)
{
  g_ptr_array_add (inbox->envelopes, sotto_relay_envelope_copy (envelope));
  sotto_relay_client_acknowledge (client, envelope->guid);
}

static void
queue_empty_cb (SottoRelayClient *client,
                Inbox            *inbox)
{
  inbox->n_queue_empty++;
}

static gboolean
drained_once (gpointer data)
{
  return ((Inbox *) data)->n_queue_empty >= 1;
}

static gboolean
drained_twice (gpointer data)
{
  return ((Inbox *) data)->n_queue_empty >= 2;
}

static gboolean
received (gpointer data)
{
  return ((Inbox *) data)->envelopes->len >= 1;
}

static gboolean
connected (gpointer data)
{
  return sotto_relay_client_get_connection (data) == SOTTO_RELAY_CONNECTION_CONNECTED;
}

/* Without the test root the handshake fails, and the client says the
 * relay is unreachable, which it will try again later.  @ca is another
 * private CA for the client to trust, or %NULL for the default. */
static void
test_untrusted (TestRelay  *relay,
                const char *ca)
{
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  guint device_id = 0;

  client = sotto_relay_client_new (relay->base_url, &error);
  g_assert_no_error (error);
  if (ca != NULL)
    g_assert_true (sotto_relay_client_set_trusted_ca (client, ca, &error));
  g_assert_no_error (error);
  engine_test_register_async (client, "mallory", "a-good-long-password", 7, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_register_finish (client, result, &uuid, &device_id, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_assert_true (sotto_relay_error_is_transient (error));
  g_assert_null (uuid);
}

static void
test_relay_client_tls (void)
{
  g_autoptr(TestTls) tls = test_tls_new ();
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start_tls (dir, test_relay_relaxed_conf, tls);
  g_autoptr(TestTls) other_tls = test_tls_new ();
  g_autofree char *root = NULL;
  g_autofree char *other_root = NULL;
  g_autoptr(SottoRelayClient) alice = NULL;
  g_autoptr(SottoRelayClient) bob = NULL;
  g_auto(Account) alice_account = { 0 };
  g_auto(Account) bob_account = { 0 };
  g_autoptr(GPtrArray) outgoing = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  g_autoptr(GPtrArray) envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_envelope_free);
  g_autoptr(GBytes) content = g_bytes_new_static ("ciphertext over TLS", 19);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoRelayDeviceChanges) changes = NULL;
  g_autoptr(GError) error = NULL;
  SottoRelayEnvelope *envelope;
  Inbox inbox = { envelopes, 0 };
  guint n_pre_keys = 0;
  guint n_kyber = 0;

  g_assert_true (g_str_has_prefix (relay->base_url, "https://"));
  g_assert_true (g_file_get_contents (tls->root, &root, NULL, NULL));
  g_assert_true (g_file_get_contents (other_tls->root, &other_root, NULL, NULL));
  test_untrusted (relay, NULL);
  test_untrusted (relay, other_root);

  /* Not a certificate: refused before anything goes out. */
  alice = sotto_relay_client_new (relay->base_url, &error);
  g_assert_no_error (error);
  g_assert_false (sotto_relay_client_set_trusted_ca (alice, "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                            "-----END CERTIFICATE-----\n", &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_CA);
  g_clear_error (&error);
  g_assert_false (sotto_relay_client_set_trusted_ca (alice, "", &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_CA);
  g_clear_error (&error);
  g_clear_object (&alice);

  alice = sotto_relay_client_new (relay->base_url, &error);
  g_assert_no_error (error);
  g_assert_true (sotto_relay_client_set_trusted_ca (alice, root, &error));
  g_assert_no_error (error);
  bob = sotto_relay_client_new (relay->base_url, &error);
  g_assert_no_error (error);
  g_assert_true (sotto_relay_client_set_trusted_ca (bob, root, &error));
  g_assert_no_error (error);
  register_account (alice, "alice", &alice_account);
  register_account (bob, "bob", &bob_account);

  /* An authenticated request over HTTPS. */
  sotto_relay_client_get_key_counts_async (bob, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_get_key_counts_finish (bob, result, &n_pre_keys, &n_kyber, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_pre_keys, ==, 1);
  g_assert_cmpuint (n_kyber, ==, 1);
  g_clear_object (&result);

  /* Bob's delivery socket is a WSS one. */
  g_signal_connect (bob, "envelope", G_CALLBACK (envelope_cb), &inbox);
  g_signal_connect (bob, "queue-empty", G_CALLBACK (queue_empty_cb), &inbox);
  sotto_relay_client_connect (bob);
  engine_test_wait_until (connected, bob);
  engine_test_wait_until (drained_once, &inbox);

  g_ptr_array_add (outgoing, sotto_relay_outgoing_new (1, 1, bob_account.registration_id, content));
  sotto_relay_client_send_async (alice, bob_account.uuid, g_get_real_time () / 1000, outgoing, NULL,
                                 engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_send_finish (alice, result, &changes, &error));
  g_assert_no_error (error);
  g_assert_null (changes);

  engine_test_wait_until (received, &inbox);
  envelope = g_ptr_array_index (envelopes, 0);
  g_assert_cmpstr (envelope->source, ==, alice_account.uuid);
  g_assert_cmpuint (envelope->source_device, ==, 1);
  g_assert_cmpuint (envelope->type, ==, 1);
  g_assert_true (g_bytes_equal (envelope->content, content));

  /* envelope_cb acknowledged it: once Bob is back, nothing is left. */
  sotto_relay_client_disconnect (bob);
  sotto_relay_client_connect (bob);
  engine_test_wait_until (drained_twice, &inbox);
  g_assert_cmpuint (envelopes->len, ==, 1);
  sotto_relay_client_disconnect (bob);

  g_clear_object (&alice);
  g_clear_object (&bob);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/engine/relay-client/tls", test_relay_client_tls);

  return g_test_run ();
}
