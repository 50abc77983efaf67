/* sotto-messenger-registration.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-prekeys.h"

#include "sotto-account-private.h"
#include "sotto-conversation-list-private.h"
#include "sotto-engine-private.h"
#include "sotto-messenger-private.h"

/* How a messenger comes to be: for a new account, registered with the
 * relay on keys made and stored here first, or for the account a
 * profile holds. */

/* Bytes of randomness in a device password (the relay wants 16–256). */
#define PASSWORD_BYTES 32

/* A client of the relay at @url, trusted through the CA certificates
 * @relay_ca (PEM) when the relay has a private CA. */
static SottoRelayClient *
relay_client_new (const char  *url,
                  const char  *relay_ca,
                  GError     **error)
{
  g_autoptr(SottoRelayClient) client = sotto_relay_client_new (url, error);

  if (client == NULL
      || (relay_ca != NULL && !sotto_relay_client_set_trusted_ca (client, relay_ca, error)))
    return NULL;

  return g_steal_pointer (&client);
}

/* The messenger an operation of @source_tag made. */
static SottoMessenger *
propagate_messenger (GAsyncResult  *result,
                     gpointer       source_tag,
                     GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  SottoStore *store;
  SottoRelayClient *client;
  char *username;
  char *token;
  char *relay_ca;
  SottoAccount *account;
  SottoKeyState state;
  SottoKeyBatch *batch;
  SpKeyPair *identity;
  char *password;
  guint registration_id;
  char *uuid;
  guint device_id;
} Registration;

static void
registration_free (Registration *registration)
{
  g_clear_object (&registration->store);
  g_clear_object (&registration->client);
  g_clear_object (&registration->account);
  g_clear_pointer (&registration->username, g_free);
  g_clear_pointer (&registration->relay_ca, g_free);
  if (registration->token != NULL)
    sodium_memzero (registration->token, strlen (registration->token));
  g_clear_pointer (&registration->token, g_free);
  g_clear_pointer (&registration->batch, _sotto_key_batch_free);
  g_clear_pointer (&registration->identity, sodium_free);
  g_clear_pointer (&registration->password, sodium_free);
  g_clear_pointer (&registration->uuid, g_free);
  g_free (registration);
}

/**
 * sotto_messenger_username_is_valid:
 * @username: a username
 *
 * Whether the relay takes @username: 3 to 32 characters, each a
 * lowercase ASCII letter, a digit, a dot or an underscore.  Forms check
 * it too, to say what is wrong before anything goes over the network.
 *
 * Returns: %TRUE if @username is valid
 */
gboolean
sotto_messenger_username_is_valid (const char *username)
{
  gsize len = strlen (username);

  if (len < 3 || len > 32)
    return FALSE;

  for (const char *p = username; *p != '\0'; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '.' && *p != '_')
        return FALSE;
    }

  return TRUE;
}

static void
registration_loaded_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Registration *registration = g_task_get_task_data (task);
  g_autoptr(SottoConversationList) conversations = NULL;
  g_autoptr(GError) error = NULL;

  conversations = sotto_conversation_list_load_finish (result, &error);
  if (conversations == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task,
                         _sotto_messenger_new (registration->account, conversations, registration->client),
                         g_object_unref);
}

static void
registration_saved_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Registration *registration = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!sotto_account_save_finish (SOTTO_ACCOUNT (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  sotto_conversation_list_load_async (registration->account, g_task_get_cancellable (task),
                                      registration_loaded_cb, g_object_ref (task));
}

static void
registration_registered_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Registration *registration = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!sotto_relay_client_register_finish (registration->client, result,
                                           &registration->uuid, &registration->device_id,
                                           &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  registration->account = sotto_account_new (registration->store,
                                             registration->uuid,
                                             registration->username,
                                             registration->device_id,
                                             registration->registration_id,
                                             sotto_relay_client_get_url (registration->client),
                                             registration->password,
                                             registration->identity);
  sotto_account_set_relay_ca (registration->account, registration->relay_ca);

  sotto_account_save_async (registration->account, g_task_get_cancellable (task),
                            registration_saved_cb, g_object_ref (task));
}

static void
registration_keys_stored_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Registration *registration = g_task_get_task_data (task);
  SottoRelayRegistration request = {
    .username = registration->username,
    .password = registration->password,
    .registration_id = registration->registration_id,
    .identity_key = &registration->identity->public_key,
    .keys = registration->batch,
    .token = registration->token,
  };

  if (!_sotto_task_propagate_step (task, result))
    return;

  sotto_relay_client_register_async (registration->client, &request, g_task_get_cancellable (task),
                                     registration_registered_cb, g_object_ref (task));
}

static void
registration_store_keys_thread (GTask        *task,
                                gpointer      source_object,
                                gpointer      task_data,
                                GCancellable *cancellable)
{
  Registration *registration = task_data;
  g_autoptr(GError) error = NULL;

  /* The keys are on disk before the relay hands any of them out. */
  if (!_sotto_protocol_state_store_keys (registration->store, registration->batch, &registration->state, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
registration_generated_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Registration *registration = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  _sotto_task_run_step (task, registration->store, registration_store_keys_thread,
                        registration_keys_stored_cb);
}

static void
registration_generate_thread (GTask        *task,
                              gpointer      source_object,
                              gpointer      task_data,
                              GCancellable *cancellable)
{
  Registration *registration = task_data;
  g_autoptr(GError) error = NULL;
  guint8 password[PASSWORD_BYTES];
  gsize password_size;
  int rc;

  registration->identity = _sotto_secure_alloc (sizeof (SpKeyPair));
  rc = sp_key_pair_generate (registration->identity);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (&error, rc, _("Could not make an identity key"));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  registration->registration_id = randombytes_uniform (16380) + 1;

  password_size = sodium_base64_encoded_len (sizeof password, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  registration->password = _sotto_secure_alloc (password_size);
  randombytes_buf (password, sizeof password);
  sodium_bin2base64 (registration->password, password_size, password, sizeof password,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (password, sizeof password);

  /* Ids start at a random point, so that keys of an account that
   * registers again do not line up with the old ones. */
  registration->state.next_pre_key_id = randombytes_uniform (0x7fffff) + 1;
  registration->state.next_kyber_pre_key_id = randombytes_uniform (0x7fffff) + 1;
  registration->state.next_signed_pre_key_id = randombytes_uniform (0x7fffff) + 1;

  registration->batch = _sotto_key_batch_generate (registration->identity, &registration->state, TRUE, TRUE,
                                                   SOTTO_PRE_KEY_BATCH, SOTTO_PRE_KEY_BATCH, &error);
  if (registration->batch == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
registration_account_checked_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  account = sotto_account_load_finish (result, &error);
  if (account != NULL)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_REGISTERED,
                               _("This profile is registered already, as %s"),
                               sotto_account_get_username (account));
      return;
    }

  if (!g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  _sotto_task_run_step (task, NULL, registration_generate_thread, registration_generated_cb);
}

/**
 * sotto_messenger_register_async:
 * @store: the open store of a profile without an account
 * @relay_url: the relay's base URL
 * @username: the username to register
 * @token: (nullable): the registration token of a relay that asks for one
 * @relay_ca: (nullable): for a relay with a private CA, the CA
 *   certificates in PEM that the relay is trusted through from now on
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the account is registered and stored
 * @user_data: data for @callback
 *
 * Makes a new identity, a signed prekey, a last-resort Kyber prekey and
 * a batch of one-time prekeys of each kind, stores them, and registers
 * the account with the relay.
 */
void
sotto_messenger_register_async (SottoStore          *store,
                                const char          *relay_url,
                                const char          *username,
                                const char          *token,
                                const char          *relay_ca,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Registration *registration;
  SottoRelayClient *client;

  g_return_if_fail (SOTTO_IS_STORE (store));
  g_return_if_fail (relay_url != NULL);
  g_return_if_fail (username != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_register_async);

  if (!sotto_messenger_username_is_valid (username))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("A username is 3 to 32 characters of a–z, 0–9, “.” and “_”"));
      return;
    }

  client = relay_client_new (relay_url, relay_ca, &error);
  if (client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  registration = g_new0 (Registration, 1);
  registration->store = g_object_ref (store);
  registration->client = client;
  registration->username = g_strdup (username);
  registration->token = g_strdup (token);
  registration->relay_ca = g_strdup (relay_ca);
  g_task_set_task_data (task, registration, (GDestroyNotify) registration_free);

  sotto_account_load_async (store, cancellable, registration_account_checked_cb, g_object_ref (task));
}

/**
 * sotto_messenger_register_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the messenger of the new account, or %NULL
 *   with @error set
 */
SottoMessenger *
sotto_messenger_register_finish (GAsyncResult  *result,
                                 GError       **error)
{
  return propagate_messenger (result, sotto_messenger_register_async, error);
}

typedef struct
{
  SottoAccount *account;
  SottoMessenger *messenger;
} Loading;

static void
loading_free (Loading *loading)
{
  g_clear_object (&loading->account);
  g_clear_object (&loading->messenger);
  g_free (loading);
}

static void
load_profiles_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Loading *loading = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!_sotto_profile_service_finish (SOTTO_PROFILE_SERVICE (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&loading->messenger), g_object_unref);
}

static void
load_conversations_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Loading *loading = g_task_get_task_data (task);
  g_autoptr(SottoConversationList) conversations = NULL;
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GError) error = NULL;

  conversations = sotto_conversation_list_load_finish (result, &error);
  if (conversations == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  client = relay_client_new (sotto_account_get_relay_url (loading->account),
                             sotto_account_get_relay_ca (loading->account), &error);
  if (client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  messenger = _sotto_messenger_new (loading->account, conversations, client);

  /* Messages sent from now on carry the profile key, and contacts show
   * their display names, once the profiles are read. */
  _sotto_profile_service_load_async (messenger->profiles, load_profiles_cb, g_steal_pointer (&task));
  loading->messenger = g_steal_pointer (&messenger);
}

static void
load_account_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Loading *loading = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  loading->account = sotto_account_load_finish (result, &error);
  if (loading->account == NULL)
    {
      if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND))
        {
          g_clear_error (&error);
          g_set_error_literal (&error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND,
                               _("The profile has no account yet; register first"));
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (sotto_account_get_relay_url (loading->account) == NULL
      || sotto_account_get_password (loading->account) == NULL)
    {
      g_task_return_new_error (task, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                               _("The profile’s account has no relay"));
      return;
    }

  sotto_conversation_list_load_async (loading->account, g_task_get_cancellable (task),
                                      load_conversations_cb, g_object_ref (task));
}

/**
 * sotto_messenger_load_async:
 * @store: the open store of a registered profile
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the messenger
 * @user_data: data for @callback
 *
 * Reads the account and its conversations.  Nothing is sent or received
 * until sotto_messenger_start().
 */
void
sotto_messenger_load_async (SottoStore          *store,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_STORE (store));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_load_async);
  g_task_set_task_data (task, g_new0 (Loading, 1), (GDestroyNotify) loading_free);

  sotto_account_load_async (store, cancellable, load_account_cb, g_object_ref (task));
}

/**
 * sotto_messenger_load_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the messenger, or %NULL with @error set
 */
SottoMessenger *
sotto_messenger_load_finish (GAsyncResult  *result,
                             GError       **error)
{
  return propagate_messenger (result, sotto_messenger_load_async, error);
}
