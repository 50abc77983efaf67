/* sotto-messenger.c
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
#include "sotto-contact-private.h"
#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-engine-private.h"
#include "sotto-messenger-private.h"

/* The messenger ties an account to its relay: it registers the account
 * and keeps its prekeys stocked (this file), sends what the user writes
 * through the outbox (sotto-messenger-outbox.c), which encrypts and
 * delivers content to a contact's devices (sotto-messenger-delivery.c),
 * stores what arrives (sotto-messenger-inbox.c) and answers it with
 * receipts (sotto-messenger-receipts.c).  Everything the session core does runs on
 * the store's thread, against the store, inside the transactions that
 * also write the messages, so that a crash at any moment leaves either
 * both the session and the message or neither. */

/* Bytes of randomness in a device password (the relay wants 16–256). */
#define PASSWORD_BYTES 32

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_CONVERSATIONS,
  PROP_RELAY_CLIENT,
  PROP_DRAINED,
  PROP_OUTBOX_SIZE,
  PROP_SEND_READ_RECEIPTS,
  PROP_MESSAGE_REQUESTS,
  N_PROPS
};

enum {
  MESSAGE_RECEIVED,
  IDENTITY_CHANGED,
  CONVERSATION_REMOVED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoMessenger, sotto_messenger, G_TYPE_OBJECT)

G_DEFINE_QUARK (sotto-messenger-error-quark, sotto_messenger_error)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

/* Ciphers, on the store's thread */

static char *
address_key (const char *uuid,
             guint       device_id)
{
  return g_strdup_printf ("%s.%u", uuid, device_id);
}

SpSessionCipher *
_sotto_messenger_get_cipher (SottoMessenger  *self,
                             const char      *uuid,
                             guint            device_id,
                             GError         **error)
{
  g_autofree char *key = address_key (uuid, device_id);
  SpSessionCipher *cipher;
  SpAddress local;
  SpAddress remote;
  int rc;

  cipher = g_hash_table_lookup (self->ciphers, key);
  if (cipher != NULL)
    return cipher;

  local.name = sotto_account_get_uuid (self->account);
  local.device_id = sotto_account_get_device_id (self->account);
  remote.name = uuid;
  remote.device_id = device_id;

  rc = sp_session_cipher_new (&cipher, &self->sp_store, &local, &remote);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not set up a session"));
      return NULL;
    }

  g_hash_table_insert (self->ciphers, g_steal_pointer (&key), cipher);

  return cipher;
}

void
_sotto_messenger_drop_cipher (SottoMessenger *self,
                              const char     *uuid,
                              guint           device_id)
{
  g_autofree char *key = address_key (uuid, device_id);

  g_hash_table_remove (self->ciphers, key);
}

SottoConversation *
_sotto_messenger_find_conversation (SottoMessenger *self,
                                    gint64          conversation_id)
{
  GListModel *model = G_LIST_MODEL (self->conversations);
  guint n_items = g_list_model_get_n_items (model);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (model, i);

      if (_sotto_conversation_get_id (conversation) == conversation_id)
        return conversation;
    }

  return NULL;
}

/* Construction */

static SottoMessenger *
sotto_messenger_new (SottoAccount           *account,
                     SottoConversationList  *conversations,
                     SottoRelayClient       *client)
{
  SottoMessenger *self;

  self = g_object_new (SOTTO_TYPE_MESSENGER, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (sotto_account_get_store (account));
  self->conversations = g_object_ref (conversations);
  self->client = g_object_ref (client);
  _sotto_messenger_set_aside_blocked (self);
  _sotto_messenger_watch_holds (self);

  sotto_relay_client_set_credentials (client,
                                      sotto_account_get_uuid (account),
                                      sotto_account_get_device_id (account),
                                      sotto_account_get_password (account));
  self->protocol = _sotto_protocol_state_new (self->store, account);
  _sotto_protocol_state_get_interface (self->protocol, &self->sp_store);
  self->keys = _sotto_key_keeper_new (self->store, account, client, self->protocol, self->ciphers);

  return self;
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
                         sotto_messenger_new (registration->account, conversations, registration->client),
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

  client = sotto_relay_client_new (relay_url, &error);
  if (client == NULL
      || (relay_ca != NULL && !sotto_relay_client_set_trusted_ca (client, relay_ca, &error)))
    {
      g_clear_object (&client);
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
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_messenger_register_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  SottoAccount *account;
} Loading;

static void
loading_free (Loading *loading)
{
  g_clear_object (&loading->account);
  g_free (loading);
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
  g_autoptr(GError) error = NULL;

  conversations = sotto_conversation_list_load_finish (result, &error);
  if (conversations == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  client = sotto_relay_client_new (sotto_account_get_relay_url (loading->account), &error);
  if (client == NULL
      || (sotto_account_get_relay_ca (loading->account) != NULL
          && !sotto_relay_client_set_trusted_ca (client, sotto_account_get_relay_ca (loading->account),
                                                 &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, sotto_messenger_new (loading->account, conversations, client),
                         g_object_unref);
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
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_messenger_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

SottoAccount *
sotto_messenger_get_account (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  return self->account;
}

/**
 * sotto_messenger_get_conversations:
 * @self: a #SottoMessenger
 *
 * Returns: (transfer none): every conversation, the most recent first
 */
SottoConversationList *
sotto_messenger_get_conversations (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  return self->conversations;
}

SottoRelayClient *
_sotto_messenger_get_relay_client (SottoMessenger *self)
{
  g_assert (SOTTO_IS_MESSENGER (self));

  return self->client;
}

/**
 * sotto_messenger_get_connection:
 * @self: a #SottoMessenger
 *
 * Returns: whether the delivery socket to the account's relay is open
 */
SottoRelayConnection
sotto_messenger_get_connection (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), SOTTO_RELAY_CONNECTION_OFFLINE);

  return sotto_relay_client_get_connection (self->client);
}

/**
 * sotto_messenger_get_drained:
 * @self: a #SottoMessenger
 *
 * Returns: whether every envelope the relay held when the delivery
 *   socket opened has been stored
 */
gboolean
sotto_messenger_get_drained (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);

  return self->drained;
}

/**
 * sotto_messenger_get_outbox_size:
 * @self: a #SottoMessenger
 *
 * Returns: how many messages waited to be sent when the outbox was last
 *   read
 */
guint
sotto_messenger_get_outbox_size (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), 0);

  return self->outbox_size;
}

void
_sotto_messenger_set_drained (SottoMessenger *self,
                              gboolean        drained)
{
  if (self->drained == drained)
    return;

  self->drained = drained;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DRAINED]);
}

void
_sotto_messenger_set_outbox_size (SottoMessenger *self,
                                  guint           outbox_size)
{
  if (self->outbox_size == outbox_size)
    return;

  self->outbox_size = outbox_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OUTBOX_SIZE]);
}

void
_sotto_messenger_emit_message_received (SottoMessenger    *self,
                                        SottoConversation *conversation,
                                        SottoMessage      *message)
{
  g_signal_emit (self, signals [MESSAGE_RECEIVED], 0, conversation, message);
}

void
_sotto_messenger_emit_identity_changed (SottoMessenger    *self,
                                        SottoConversation *conversation)
{
  g_signal_emit (self, signals [IDENTITY_CHANGED], 0, conversation);
}

void
_sotto_messenger_emit_conversation_removed (SottoMessenger    *self,
                                            SottoConversation *conversation)
{
  g_signal_emit (self, signals [CONVERSATION_REMOVED], 0, conversation);
}

static void
sotto_messenger_connection_cb (SottoMessenger   *self,
                               GParamSpec       *pspec,
                               SottoRelayClient *client)
{
  /* A socket that opens is the best sign that the relay takes
   * requests again. */
  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_CONNECTED)
    _sotto_messenger_pump (self);
}

/**
 * sotto_messenger_start:
 * @self: a #SottoMessenger
 *
 * Goes online: opens the delivery socket and keeps it open, stores and
 * acknowledges what arrives, sends the outbox whenever the relay is
 * reachable, and tops up the prekeys.
 */
void
sotto_messenger_start (SottoMessenger *self)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  if (self->started)
    return;

  self->started = TRUE;

  g_signal_connect_object (self->client, "notify::connection",
                           G_CALLBACK (sotto_messenger_connection_cb),
                           self, G_CONNECT_SWAPPED);
  _sotto_messenger_inbox_connect (self);
  sotto_relay_client_connect (self->client);
  _sotto_messenger_pump (self);
  _sotto_key_keeper_start (self->keys);
}

/**
 * sotto_messenger_stop:
 * @self: a #SottoMessenger
 *
 * Goes offline.  Envelopes not yet stored are delivered again later;
 * queued messages stay in the outbox.
 */
void
sotto_messenger_stop (SottoMessenger *self)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  if (!self->started)
    return;

  self->started = FALSE;

  _sotto_key_keeper_stop (self->keys);
  g_signal_handlers_disconnect_by_func (self->client, sotto_messenger_connection_cb, self);
  _sotto_messenger_inbox_disconnect (self);
  sotto_relay_client_disconnect (self->client);
  _sotto_messenger_stop_outbox (self);
}

/* Contacts */

typedef struct
{
  char *uuid;
  char *username;
  SottoContactStanding standing;
} ContactLookup;

static void
contact_lookup_free (ContactLookup *lookup)
{
  g_free (lookup->uuid);
  g_free (lookup->username);
  g_free (lookup);
}

static void
ensure_contact_added_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  ContactLookup *lookup = g_task_get_task_data (task);
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = sotto_conversation_list_add_finish (SOTTO_CONVERSATION_LIST (object), result, &error);
  if (conversation == NULL)
    {
      SottoConversation *existing = sotto_conversation_list_find_by_uuid (self->conversations, lookup->uuid);

      /* Two lookups for the same new contact may race; the second one
       * finds what the first added. */
      if (existing != NULL)
        {
          g_task_return_pointer (task, g_object_ref (existing), g_object_unref);
          return;
        }

      /* Another contact holds the username: an account the relay
       * deleted, whose username a new account took.  The new account is
       * someone else, so it becomes a contact of its own, without the
       * username, rather than take the old contact's name or be merged
       * with it; the old contact keeps what the user knew them as. */
      if (lookup->username != NULL && g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
        {
          GCancellable *cancellable = g_task_get_cancellable (task);

          g_clear_pointer (&lookup->username, g_free);
          _sotto_conversation_list_add_async (self->conversations, lookup->uuid, NULL, NULL, NULL,
                                              lookup->standing, cancellable,
                                              ensure_contact_added_cb, g_steal_pointer (&task));
          return;
        }

      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&conversation), g_object_unref);
}

/* The conversation with the account @uuid, added with @username as
 * @standing if there is none yet; a blocked contact's conversation is
 * found too. */
void
_sotto_messenger_ensure_contact_async (SottoMessenger      *self,
                                       const char          *uuid,
                                       const char          *username,
                                       SottoContactStanding standing,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SottoConversation *conversation;
  ContactLookup *lookup;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_messenger_ensure_contact_async);

  conversation = sotto_conversation_list_find_by_uuid (self->conversations, uuid);
  if (conversation == NULL)
    conversation = _sotto_messenger_find_blocked (self, uuid);
  if (conversation != NULL)
    {
      g_task_return_pointer (task, g_object_ref (conversation), g_object_unref);
      return;
    }

  lookup = g_new0 (ContactLookup, 1);
  lookup->uuid = g_ascii_strdown (uuid, -1);
  lookup->username = g_strdup (username);
  lookup->standing = standing;
  g_task_set_task_data (task, lookup, (GDestroyNotify) contact_lookup_free);

  _sotto_conversation_list_add_async (self->conversations, lookup->uuid, username, NULL, NULL, standing,
                                      cancellable, ensure_contact_added_cb, g_object_ref (task));
}

SottoConversation *
_sotto_messenger_ensure_contact_finish (SottoMessenger  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
open_conversation_unblocked_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoConversation *conversation = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_accept_finish (SOTTO_MESSENGER (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_object_ref (conversation), g_object_unref);
}

static void
open_conversation_ensured_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = _sotto_messenger_ensure_contact_finish (self, result, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Starting a conversation with someone blocked unblocks them. */
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_BLOCKED)
    {
      g_task_set_task_data (task, g_object_ref (conversation), g_object_unref);
      sotto_messenger_accept_async (self, conversation, g_task_get_cancellable (task),
                                    open_conversation_unblocked_cb, g_object_ref (task));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&conversation), g_object_unref);
}

static void
open_conversation_lookup_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  const char *username = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  uuid = sotto_relay_client_lookup_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (uuid == NULL)
    {
      if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND))
        g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                                 _("Nobody is registered as %s"), username);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_ascii_strcasecmp (uuid, sotto_account_get_uuid (self->account)) == 0)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                               _("%s is this account"), username);
      return;
    }

  _sotto_messenger_ensure_contact_async (self, uuid, username, SOTTO_CONTACT_STANDING_ACCEPTED,
                                         g_task_get_cancellable (task),
                                         open_conversation_ensured_cb, g_object_ref (task));
}

/**
 * sotto_messenger_open_conversation_async:
 * @self: a #SottoMessenger
 * @username: the contact's username
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the conversation
 * @user_data: data for @callback
 *
 * Finds the conversation with @username, or looks the username up at the
 * relay and starts one.
 */
void
sotto_messenger_open_conversation_async (SottoMessenger      *self,
                                         const char          *username,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SottoConversation *conversation;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_open_conversation_async);
  g_task_set_task_data (task, g_strdup (username), g_free);

  conversation = sotto_conversation_list_find_by_username (self->conversations, username);
  if (conversation != NULL)
    {
      g_task_return_pointer (task, g_object_ref (conversation), g_object_unref);
      return;
    }

  if (!sotto_messenger_username_is_valid (username))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                               _("“%s” is not a username"), username);
      return;
    }

  sotto_relay_client_lookup_async (self->client, username, cancellable,
                                   open_conversation_lookup_cb, g_object_ref (task));
}

/**
 * sotto_messenger_open_conversation_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the conversation, or %NULL with @error set
 */
SottoConversation *
sotto_messenger_open_conversation_finish (SottoMessenger  *self,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sotto_messenger_fetch_identity_async:
 * @self: a #SottoMessenger
 * @conversation: a conversation whose contact's identity key is unknown
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the key is known
 * @user_data: data for @callback
 *
 * Sets up a session with the contact from the keys the relay publishes,
 * which records the contact's identity key, so that the safety number
 * can be compared before the first message.
 */
void
sotto_messenger_fetch_identity_async (SottoMessenger      *self,
                                      SottoConversation   *conversation,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_fetch_identity_async);

  _sotto_messenger_fetch_sessions_async (self, conversation, 0, cancellable,
                                         _sotto_task_return_step_cb, g_object_ref (task));
}

gboolean
sotto_messenger_fetch_identity_finish (SottoMessenger  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
record_identity_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  SottoConversation *conversation = SOTTO_CONVERSATION (object);
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_set_identity_key_finish (conversation, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A first key is no change; a different one is. */
  if (GPOINTER_TO_INT (g_task_get_task_data (task)))
    _sotto_messenger_emit_identity_changed (self, conversation);

  g_task_return_boolean (task, TRUE);
}

/* Records @identity_key as the contact's, with the key-change rules of
 * sotto_conversation_set_identity_key_async(). */
void
_sotto_messenger_record_identity_async (SottoMessenger      *self,
                                        SottoConversation   *conversation,
                                        GBytes              *identity_key,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GBytes *current = sotto_contact_get_identity_key (sotto_conversation_get_contact (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_messenger_record_identity_async);

  if (current != NULL && g_bytes_equal (current, identity_key))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, GINT_TO_POINTER (current != NULL), NULL);
  sotto_conversation_set_identity_key_async (conversation, identity_key, cancellable,
                                             record_identity_cb, g_object_ref (task));
}

gboolean
_sotto_messenger_record_identity_finish (SottoMessenger  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The account's own keys, which the key keeper looks after */

static void
keys_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (g_task_get_source_tag (task) == sotto_messenger_refresh_keys_async)
    done = _sotto_key_keeper_refresh_finish (SOTTO_KEY_KEEPER (object), result, &error);
  else
    done = _sotto_key_keeper_reset_identity_finish (SOTTO_KEY_KEEPER (object), result, &error);

  if (!done)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * sotto_messenger_refresh_keys_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay holds enough fresh prekeys
 * @user_data: data for @callback
 *
 * Tops up the one-time prekeys of both kinds at the relay when few are
 * left, and replaces the signed prekey and the last-resort Kyber prekey
 * when they are older than a week.  sotto_messenger_start() does this;
 * an application that stays up calls it now and then.
 */
void
sotto_messenger_refresh_keys_async (SottoMessenger      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_refresh_keys_async);

  _sotto_key_keeper_refresh_async (self->keys, cancellable, keys_done_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_refresh_keys_finish (SottoMessenger  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sotto_messenger_reset_identity_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay publishes the new identity
 * @user_data: data for @callback
 *
 * Replaces the account's identity key, and with it every prekey and
 * session, as if the device had registered again.  Every contact's
 * safety number changes; contacts see a key change.  For testing.
 */
void
sotto_messenger_reset_identity_async (SottoMessenger      *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  /* The task holds the messenger, whose cipher cache and session core
   * view the reset replaces, until the reset is done. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_reset_identity_async);

  _sotto_key_keeper_reset_identity_async (self->keys, cancellable, keys_done_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_reset_identity_finish (SottoMessenger  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sotto_messenger_dispose (GObject *object)
{
  SottoMessenger *self = (SottoMessenger *)object;

  sotto_messenger_stop (self);

  G_OBJECT_CLASS (sotto_messenger_parent_class)->dispose (object);
}

static void
sotto_messenger_finalize (GObject *object)
{
  SottoMessenger *self = (SottoMessenger *)object;

  /* Every job on the store's thread holds a reference to the messenger,
   * so no cipher is in use here. */
  g_clear_object (&self->keys);
  g_clear_pointer (&self->ciphers, g_hash_table_unref);
  g_clear_pointer (&self->protocol, _sotto_protocol_state_free);
  g_clear_pointer (&self->receipts, g_hash_table_unref);
  g_clear_pointer (&self->stored_guids, g_hash_table_unref);
  g_clear_pointer (&self->composing, g_ptr_array_unref);
  g_clear_pointer (&self->blocked, g_hash_table_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->conversations);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_messenger_parent_class)->finalize (object);
}

static void
sotto_messenger_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;

    case PROP_CONVERSATIONS:
      g_value_set_object (value, self->conversations);
      break;

    case PROP_RELAY_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_DRAINED:
      g_value_set_boolean (value, self->drained);
      break;

    case PROP_OUTBOX_SIZE:
      g_value_set_uint (value, self->outbox_size);
      break;

    case PROP_SEND_READ_RECEIPTS:
      g_value_set_boolean (value, self->send_read_receipts);
      break;

    case PROP_MESSAGE_REQUESTS:
      g_value_set_boolean (value, self->message_requests);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_messenger_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);

  switch (prop_id)
    {
    case PROP_SEND_READ_RECEIPTS:
      if (self->send_read_receipts != g_value_get_boolean (value))
        {
          self->send_read_receipts = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_MESSAGE_REQUESTS:
      if (self->message_requests != g_value_get_boolean (value))
        {
          self->message_requests = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_messenger_class_init (SottoMessengerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_messenger_dispose;
  object_class->finalize = sotto_messenger_finalize;
  object_class->get_property = sotto_messenger_get_property;
  object_class->set_property = sotto_messenger_set_property;

  properties [PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         SOTTO_TYPE_ACCOUNT,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_CONVERSATIONS] =
    g_param_spec_object ("conversations", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION_LIST,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_RELAY_CLIENT] =
    g_param_spec_object ("relay-client", NULL, NULL,
                         SOTTO_TYPE_RELAY_CLIENT,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:drained:
   *
   * Whether everything the relay held for this device when the delivery
   * socket opened has been stored.  It goes back to %FALSE when the
   * socket closes.
   */
  properties [PROP_DRAINED] =
    g_param_spec_boolean ("drained", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:outbox-size:
   *
   * How many messages waited to be sent when the outbox was last read.
   */
  properties [PROP_OUTBOX_SIZE] =
    g_param_spec_uint ("outbox-size", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:send-read-receipts:
   *
   * Whether marking messages read tells their senders.  Without, they
   * are marked read here and the sender sees them delivered only.
   */
  properties [PROP_SEND_READ_RECEIPTS] =
    g_param_spec_boolean ("send-read-receipts", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:message-requests:
   *
   * Whether a stranger's first message makes a message request, which
   * hears no receipts until it is accepted.  The app asks for them; a
   * script's messenger (sotto-cli's, unless told otherwise) answers
   * every sender as before, as other command-line clients do.
   */
  properties [PROP_MESSAGE_REQUESTS] =
    g_param_spec_boolean ("message-requests", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SottoMessenger::message-received:
   * @self: a #SottoMessenger
   * @conversation: the conversation it entered
   * @message: the message
   *
   * A message from a contact was stored.
   */
  signals [MESSAGE_RECEIVED] =
    g_signal_new ("message-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, SOTTO_TYPE_CONVERSATION, SOTTO_TYPE_MESSAGE);

  /**
   * SottoMessenger::identity-changed:
   * @self: a #SottoMessenger
   * @conversation: the conversation with the contact
   *
   * A contact's identity key changed; a "safety number changed" event
   * entered the conversation.
   */
  signals [IDENTITY_CHANGED] =
    g_signal_new ("identity-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_CONVERSATION);

  /**
   * SottoMessenger::conversation-removed:
   * @self: a #SottoMessenger
   * @conversation: the conversation
   *
   * The conversation left the list for good: the user deleted the
   * message request or blocked the contact.
   */
  signals [CONVERSATION_REMOVED] =
    g_signal_new ("conversation-removed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_CONVERSATION);

  _sotto_engine_init_crypto ();
}

static void
sotto_messenger_init (SottoMessenger *self)
{
  self->send_read_receipts = TRUE;
  self->ciphers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) sp_session_cipher_free);
  self->receipts = g_hash_table_new_full (NULL, NULL, g_object_unref, (GDestroyNotify) g_ptr_array_unref);
  self->stored_guids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->composing = _sotto_messenger_composing_new ();
  self->blocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_queue_init (&self->waiters);
  g_queue_init (&self->inbox);
}
