/* test-account.c: the local account and its identity
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sodium.h>

#include "sp-error.h"
#include "sp-keys.h"

#include "engine-test-util.h"

typedef struct
{
  GFile *profile;
  SottoStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->profile = engine_test_make_profile ();
  fixture->store = engine_test_open_store (fixture->profile, "account");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  engine_test_close_store (g_steal_pointer (&fixture->store));
  engine_test_remove_profile (fixture->profile);
}

static SottoAccount *
load (SottoStore  *store,
      GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_account_load_async (store, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_account_load_finish (result, error);
}

static void
save (SottoAccount *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_account_save_async (account, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_account_save_finish (account, result, &error));
  g_assert_no_error (error);
}

static void
test_account_properties (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(SottoAccount) account = engine_test_make_account (fixture->store);
  g_autoptr(GBytes) identity_key = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *relay_url = NULL;
  SottoStore *store = NULL;
  const SpKeyPair *pair;
  guint device_id;
  guint registration_id;

  g_object_get (account,
                "store", &store,
                "uuid", &uuid,
                "device-id", &device_id,
                "registration-id", &registration_id,
                "relay-url", &relay_url,
                "identity-key", &identity_key,
                NULL);

  g_assert_true (store == fixture->store);
  g_object_unref (store);
  g_assert_true (g_uuid_string_is_valid (uuid));
  g_assert_cmpuint (device_id, ==, 1);
  g_assert_cmpuint (registration_id, ==, 4242);
  g_assert_cmpstr (relay_url, ==, "https://relay.example");
  g_assert_cmpstr (sotto_account_get_password (account), ==, "device-password");

  /* The public key is the pair's public half, 0x05 and 32 bytes. */
  pair = sotto_account_get_identity_key_pair (account);
  g_assert_cmpmem (g_bytes_get_data (identity_key, NULL), g_bytes_get_size (identity_key),
                   pair->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (identity_key, NULL))[0], ==, SP_KEY_TYPE_DJB);
}

static void
test_account_not_found (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  account = load (fixture->store, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
  g_assert_null (account);
}

/* A save stores the account as it was when asked for, and a new
 * identity (reset-identity) replaces the old one on the next save. */
static void
test_account_new_identity (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SottoAccount) account = engine_test_make_account (fixture->store);
  g_autoptr(SottoAccount) loaded = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) first_key = NULL;
  g_autoptr(GError) error = NULL;
  SpKeyPair *identity;

  first_key = g_bytes_ref (sotto_account_get_identity_key (account));

  identity = sodium_malloc (sizeof *identity);
  g_assert_cmpint (sp_key_pair_generate (identity), ==, SP_OK);

  sotto_account_save_async (account, NULL, engine_test_result_cb, &result);
  sotto_account_set_identity_key_pair (account, identity);
  engine_test_wait (&result);
  g_assert_true (sotto_account_save_finish (account, result, &error));
  g_assert_no_error (error);

  loaded = load (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (sotto_account_get_identity_key (loaded), first_key));
  g_clear_object (&loaded);

  save (account);
  loaded = load (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (sotto_account_get_identity_key_pair (loaded), sizeof (SpKeyPair),
                   identity, sizeof (SpKeyPair));
  g_assert_cmpstr (sotto_account_get_uuid (loaded), ==, sotto_account_get_uuid (account));
  g_assert_cmpstr (sotto_account_get_username (loaded), ==, sotto_account_get_username (account));

  sodium_free (identity);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/engine/account/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("properties", test_account_properties);
  ADD ("not-found", test_account_not_found);
  ADD ("new-identity", test_account_new_identity);

#undef ADD

  return g_test_run ();
}
