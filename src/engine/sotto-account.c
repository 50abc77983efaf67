/* sotto-account.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-account"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-account-private.h"
#include "sotto-engine-private.h"
#include "sotto-store-private.h"

struct _SottoAccount
{
  GObject parent_instance;

  SottoStore *store;

  char *uuid;
  char *username;
  char *relay_url;
  char *relay_ca;
  GBytes *trust_root;
  guint device_id;
  guint registration_id;

  /* The public half, as the models and views see it. */
  GBytes *identity_key;

  /* Secrets, in sodium_malloc() memory. */
  SpKeyPair *identity;
  char *password;
};

enum {
  PROP_0,
  PROP_STORE,
  PROP_UUID,
  PROP_USERNAME,
  PROP_DEVICE_ID,
  PROP_REGISTRATION_ID,
  PROP_RELAY_URL,
  PROP_IDENTITY_KEY,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoAccount, sotto_account, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

static void
sotto_account_take_identity (SottoAccount    *self,
                             const SpKeyPair *identity)
{
  memcpy (self->identity, identity, sizeof *identity);

  g_clear_pointer (&self->identity_key, g_bytes_unref);
  self->identity_key = g_bytes_new (identity->public_key.bytes, sizeof identity->public_key.bytes);
}

/**
 * sotto_account_new:
 * @store: the store the account is saved in
 * @uuid: the account's UUID at the relay
 * @username: (nullable): the account's username
 * @device_id: this device's id
 * @registration_id: the Signal registration id of this device
 * @relay_url: (nullable): the relay's base URL
 * @password: (nullable): this device's password at the relay
 * @identity: the account's identity key pair
 *
 * Creates an account from registration data; sotto_account_save_async()
 * stores it.
 *
 * Returns: (transfer full): a new #SottoAccount
 */
SottoAccount *
sotto_account_new (SottoStore      *store,
                   const char      *uuid,
                   const char      *username,
                   guint            device_id,
                   guint            registration_id,
                   const char      *relay_url,
                   const char      *password,
                   const SpKeyPair *identity)
{
  SottoAccount *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid), NULL);
  g_return_val_if_fail (identity != NULL, NULL);
  g_assert (!_sotto_store_in_job ());

  self = g_object_new (SOTTO_TYPE_ACCOUNT,
                       "store", store,
                       "uuid", uuid,
                       "username", username,
                       "device-id", device_id,
                       "registration-id", registration_id,
                       "relay-url", relay_url,
                       NULL);

  sotto_account_take_identity (self, identity);

  if (password != NULL)
    {
      gsize len = strlen (password) + 1;

      self->password = sodium_malloc (len);
      if (self->password == NULL)
        g_error ("Could not allocate guarded memory for a password");
      memcpy (self->password, password, len);
    }

  return self;
}

/* The record for the store's thread, so that a save sees the account as it
 * was when the save was asked for. */
SottoAccountRecord *
_sotto_account_to_record (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return _sotto_account_record_new (self->uuid, self->username, self->device_id, self->registration_id,
                                 self->relay_url, self->relay_ca, self->password, self->identity);
}

/* The model of the account the store read, on the main thread. */
SottoAccount *
_sotto_account_new_from_record (SottoStore               *store,
                                const SottoAccountRecord *record)
{
  SottoAccount *self;

  self = sotto_account_new (store, record->uuid, record->username, record->device_id, record->registration_id,
                            record->relay_url, record->password, record->identity);
  sotto_account_set_relay_ca (self, record->relay_ca);
  _sotto_account_set_trust_root (self, record->trust_root);

  return self;
}

static void
sotto_account_load_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  SottoStore *store = source_object;
  g_autoptr(GError) error = NULL;
  SottoAccountRecord *record;

  record = _sotto_store_load_account (store, &error);
  if (record != NULL && !_sotto_store_load_trust_root (store, &record->trust_root, &error))
    g_clear_pointer (&record, _sotto_account_record_free);
  if (record == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, record, (GDestroyNotify) _sotto_account_record_free);
}

/**
 * sotto_account_load_async:
 * @store: an open #SottoStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the account
 * @user_data: data for @callback
 *
 * Reads the account of the profile.  A profile that was never registered
 * has none: the result is then %SOTTO_STORE_ERROR_NOT_FOUND.
 */
void
sotto_account_load_async (SottoStore          *store,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_STORE (store));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_account_load_async);

  _sotto_store_run_in_thread (store, task, sotto_account_load_thread);
}

/**
 * sotto_account_load_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the account, or %NULL with @error set
 */
SottoAccount *
sotto_account_load_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_autoptr(SottoAccountRecord) record = NULL;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_account_load_async, NULL);

  record = g_task_propagate_pointer (G_TASK (result), error);
  if (record == NULL)
    return NULL;

  return _sotto_account_new_from_record (g_task_get_source_object (G_TASK (result)), record);
}

static void
sotto_account_save_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  SottoAccount *self = source_object;
  const SottoAccountRecord *snapshot = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_save_account (self->store, snapshot, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * sotto_account_save_async:
 * @self: a #SottoAccount
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the account is stored
 * @user_data: data for @callback
 *
 * Stores the account, replacing the one stored before.
 */
void
sotto_account_save_async (SottoAccount        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_ACCOUNT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_account_save_async);
  g_task_set_task_data (task, _sotto_account_to_record (self), (GDestroyNotify) _sotto_account_record_free);

  _sotto_store_run_in_thread (self->store, task, sotto_account_save_thread);
}

gboolean
sotto_account_save_finish (SottoAccount  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

SottoStore *
sotto_account_get_store (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->store;
}

const char *
sotto_account_get_uuid (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->uuid;
}

const char *
sotto_account_get_username (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->username;
}

guint
sotto_account_get_device_id (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), 0);

  return self->device_id;
}

guint
sotto_account_get_registration_id (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), 0);

  return self->registration_id;
}

const char *
sotto_account_get_relay_url (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->relay_url;
}

/**
 * sotto_account_get_relay_ca:
 * @self: a #SottoAccount
 *
 * Returns: (nullable): the certificates, in PEM, that the relay's
 *   certificate must chain to, for a relay with a private CA; %NULL for
 *   the system's
 */
const char *
sotto_account_get_relay_ca (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->relay_ca;
}

/**
 * sotto_account_set_relay_ca:
 * @self: a #SottoAccount
 * @relay_ca: (nullable): certificates in PEM, or %NULL for the system's
 *
 * Sets whom the relay's certificate must chain to; saved with the
 * account.
 */
void
sotto_account_set_relay_ca (SottoAccount *self,
                            const char   *relay_ca)
{
  g_return_if_fail (SOTTO_IS_ACCOUNT (self));

  g_free (self->relay_ca);
  self->relay_ca = g_strdup (relay_ca);
}

/* The public key that the relay's sender certificates must chain to
 * (sealed sender), given with the relay; %NULL when none was, and then
 * messages go identified. */
GBytes *
_sotto_account_get_trust_root (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->trust_root;
}

void
_sotto_account_set_trust_root (SottoAccount *self,
                               GBytes       *trust_root)
{
  g_return_if_fail (SOTTO_IS_ACCOUNT (self));

  g_clear_pointer (&self->trust_root, g_bytes_unref);
  self->trust_root = trust_root != NULL ? g_bytes_ref (trust_root) : NULL;
}

/**
 * sotto_account_get_password:
 * @self: a #SottoAccount
 *
 * Returns: (nullable): the device's password at the relay, in guarded
 *   memory that lives as long as @self; do not copy it around
 */
const char *
sotto_account_get_password (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->password;
}

/**
 * sotto_account_get_identity_key:
 * @self: a #SottoAccount
 *
 * Returns: (transfer none): the 33-byte public identity key
 */
GBytes *
sotto_account_get_identity_key (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->identity_key;
}

/**
 * sotto_account_get_identity_key_pair:
 * @self: a #SottoAccount
 *
 * Returns: (transfer none): the identity key pair, in guarded memory that
 *   lives as long as @self
 */
const SpKeyPair *
sotto_account_get_identity_key_pair (SottoAccount *self)
{
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (self), NULL);

  return self->identity;
}

/**
 * sotto_account_set_identity_key_pair:
 * @self: a #SottoAccount
 * @identity: the new identity key pair
 *
 * Replaces the account's identity; every safety number changes with it.
 * Save the account to keep the change.
 */
void
sotto_account_set_identity_key_pair (SottoAccount    *self,
                                     const SpKeyPair *identity)
{
  g_return_if_fail (SOTTO_IS_ACCOUNT (self));
  g_return_if_fail (identity != NULL);

  if (sodium_memcmp (self->identity, identity, sizeof *identity) == 0)
    return;

  sotto_account_take_identity (self, identity);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_IDENTITY_KEY]);
}

static void
sotto_account_finalize (GObject *object)
{
  SottoAccount *self = (SottoAccount *)object;

  g_clear_pointer (&self->identity, sodium_free);
  g_clear_pointer (&self->password, sodium_free);
  g_clear_pointer (&self->identity_key, g_bytes_unref);
  g_clear_pointer (&self->uuid, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->relay_url, g_free);
  g_clear_pointer (&self->relay_ca, g_free);
  g_clear_pointer (&self->trust_root, g_bytes_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_account_parent_class)->finalize (object);
}

static void
sotto_account_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SottoAccount *self = SOTTO_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_UUID:
      g_value_set_string (value, self->uuid);
      break;

    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;

    case PROP_DEVICE_ID:
      g_value_set_uint (value, self->device_id);
      break;

    case PROP_REGISTRATION_ID:
      g_value_set_uint (value, self->registration_id);
      break;

    case PROP_RELAY_URL:
      g_value_set_string (value, self->relay_url);
      break;

    case PROP_IDENTITY_KEY:
      g_value_set_boxed (value, self->identity_key);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_account_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  SottoAccount *self = SOTTO_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_UUID:
      self->uuid = g_value_dup_string (value);
      break;

    case PROP_USERNAME:
      self->username = g_value_dup_string (value);
      break;

    case PROP_DEVICE_ID:
      self->device_id = g_value_get_uint (value);
      break;

    case PROP_REGISTRATION_ID:
      self->registration_id = g_value_get_uint (value);
      break;

    case PROP_RELAY_URL:
      self->relay_url = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_account_class_init (SottoAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_account_finalize;
  object_class->get_property = sotto_account_get_property;
  object_class->set_property = sotto_account_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         SOTTO_TYPE_STORE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoAccount:uuid:
   *
   * The account's UUID at the relay; the safety numbers use its 16 bytes.
   */
  properties [PROP_UUID] =
    g_param_spec_string ("uuid", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_DEVICE_ID] =
    g_param_spec_uint ("device-id", NULL, NULL,
                       0, G_MAXUINT32, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS));

  properties [PROP_REGISTRATION_ID] =
    g_param_spec_uint ("registration-id", NULL, NULL,
                       0, G_MAXUINT32, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS));

  properties [PROP_RELAY_URL] =
    g_param_spec_string ("relay-url", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoAccount:identity-key:
   *
   * The public identity key, 33 bytes (0x05 and the X25519 key).
   */
  properties [PROP_IDENTITY_KEY] =
    g_param_spec_boxed ("identity-key", NULL, NULL,
                        G_TYPE_BYTES,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  _sotto_engine_init_crypto ();
}

static void
sotto_account_init (SottoAccount *self)
{
  self->identity = sodium_malloc (sizeof *self->identity);
  if (self->identity == NULL)
    g_error ("Could not allocate guarded memory for a key pair");
  sodium_memzero (self->identity, sizeof *self->identity);
}
