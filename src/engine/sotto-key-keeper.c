/* sotto-key-keeper.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-key-keeper"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"

#include "sotto-account-private.h"
#include "sotto-engine-private.h"
#include "sotto-key-keeper-private.h"

/* The key keeper looks after the account's own keys at the relay: it
 * keeps the one-time prekeys stocked and the signed and last-resort
 * prekeys fresh (now and then while online, and whenever the relay says
 * the stock runs low), and replaces the whole identity on request. */

struct _SottoKeyKeeper
{
  GObject parent_instance;

  SottoStore *store;
  SottoAccount *account;
  SottoRelayClient *client;

  /* The session core's view of the store and its cipher cache, shared
   * with the outbox and the inbox; used by resets only, on the store's
   * thread. */
  SottoProtocolState *protocol;

  gboolean refreshing;
  GQueue refresh_waiters;
  guint refresh_source;
};

G_DEFINE_FINAL_TYPE (SottoKeyKeeper, sotto_key_keeper, G_TYPE_OBJECT)

/* Prekey upkeep */

/* What a refresh and a new identity both carry through their steps: the
 * key state on disk, the keys made, and the identity that signs them.
 * Each begins its own struct with it. */
typedef struct
{
  SottoKeyState state;
  SottoKeyBatch *batch;
  SpKeyPair *identity;
} KeyWork;

static void
key_work_clear (KeyWork *work)
{
  g_clear_pointer (&work->batch, _sotto_key_batch_free);
  g_clear_pointer (&work->identity, sodium_free);
}

/* The first step of a refresh and of a new identity. */
static void
load_key_state_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  SottoKeyKeeper *self = source_object;
  KeyWork *work = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_protocol_state_load_key_state (self->store, &work->state, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct
{
  KeyWork keys;
  guint n_pre_keys;
  guint n_kyber_pre_keys;
  gboolean rotate_signed;
  gboolean rotate_last_resort;
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  key_work_clear (&refresh->keys);
  g_free (refresh);
}

/* The last step of a refresh and of a new identity. */
static void
keys_uploaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_relay_client_upload_keys_finish (SOTTO_RELAY_CLIENT (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
refresh_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);
  Refresh *refresh = g_task_get_task_data (task);
  SottoRelayKeyUpload upload = { .keys = refresh->keys.batch };

  if (!_sotto_task_propagate_step (task, result))
    return;

  sotto_relay_client_upload_keys_async (self->client, &upload, g_task_get_cancellable (task),
                                        keys_uploaded_cb, g_object_ref (task));
}

static void
refresh_store_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  SottoKeyKeeper *self = source_object;
  Refresh *refresh = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_protocol_state_store_keys (self->store, refresh->keys.batch, &refresh->keys.state, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
refresh_generated_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  _sotto_task_run_step (task, self->store, refresh_store_thread, refresh_stored_cb);
}

static void
refresh_generate_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  Refresh *refresh = task_data;
  g_autoptr(GError) error = NULL;

  refresh->keys.batch = _sotto_key_batch_generate (refresh->keys.identity, &refresh->keys.state,
                                                   refresh->rotate_signed, refresh->rotate_last_resort,
                                                   refresh->n_pre_keys, refresh->n_kyber_pre_keys, &error);
  if (refresh->keys.batch == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
refresh_counted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);
  Refresh *refresh = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint n_pre_keys;
  guint n_kyber_pre_keys;
  gint64 now = _sotto_now_ms ();

  if (!sotto_relay_client_get_key_counts_finish (SOTTO_RELAY_CLIENT (object), result,
                                                 &n_pre_keys, &n_kyber_pre_keys, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (n_pre_keys < SOTTO_PRE_KEY_LOW)
    refresh->n_pre_keys = SOTTO_PRE_KEY_BATCH - n_pre_keys;
  if (n_kyber_pre_keys < SOTTO_PRE_KEY_LOW)
    refresh->n_kyber_pre_keys = SOTTO_PRE_KEY_BATCH - n_kyber_pre_keys;
  refresh->rotate_signed = now - refresh->keys.state.signed_pre_key_rotated_at >= SOTTO_KEY_ROTATION_MS;
  refresh->rotate_last_resort = now - refresh->keys.state.last_resort_rotated_at >= SOTTO_KEY_ROTATION_MS;

  if (refresh->n_pre_keys == 0 && refresh->n_kyber_pre_keys == 0
      && !refresh->rotate_signed && !refresh->rotate_last_resort)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  refresh->keys.identity = _sotto_secure_alloc (sizeof (SpKeyPair));
  memcpy (refresh->keys.identity, sotto_account_get_identity_key_pair (self->account), sizeof (SpKeyPair));

  _sotto_task_run_step (task, NULL, refresh_generate_thread, refresh_generated_cb);
}

static void
refresh_finished_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SottoKeyKeeper *self = SOTTO_KEY_KEEPER (object);
  g_autoptr(GError) error = NULL;
  GTask *waiter;

  g_task_propagate_boolean (G_TASK (result), &error);
  self->refreshing = FALSE;

  while ((waiter = g_queue_pop_head (&self->refresh_waiters)) != NULL)
    {
      if (error != NULL)
        g_task_return_error (waiter, g_error_copy (error));
      else
        g_task_return_boolean (waiter, TRUE);
      g_object_unref (waiter);
    }
}

static void
refresh_state_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  sotto_relay_client_get_key_counts_async (self->client, g_task_get_cancellable (task),
                                           refresh_counted_cb, g_object_ref (task));
}

/* Tops up the one-time prekeys of both kinds at the relay when few are
 * left, and replaces the signed prekey and the last-resort Kyber prekey
 * when they are older than a week.  One refresh runs at a time; a
 * caller that asks meanwhile hears when it ends. */
void
_sotto_key_keeper_refresh_async (SottoKeyKeeper      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) run = NULL;

  g_return_if_fail (SOTTO_IS_KEY_KEEPER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_key_keeper_refresh_async);
  g_queue_push_tail (&self->refresh_waiters, g_steal_pointer (&task));

  /* One refresh at a time: two would both see the stock low and both
   * top it up. */
  if (self->refreshing)
    return;

  self->refreshing = TRUE;

  run = g_task_new (self, NULL, refresh_finished_cb, NULL);
  g_task_set_task_data (run, g_new0 (Refresh, 1), (GDestroyNotify) refresh_free);

  _sotto_task_run_step (run, self->store, load_key_state_thread, refresh_state_cb);
}

gboolean
_sotto_key_keeper_refresh_finish (SottoKeyKeeper  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

/* A new identity */

typedef struct
{
  KeyWork keys;
  guint registration_id;
  SottoAccountRecord *account;
} Reset;

static void
reset_free (Reset *reset)
{
  key_work_clear (&reset->keys);
  g_clear_pointer (&reset->account, _sotto_account_record_free);
  g_free (reset);
}

static void
reset_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);
  Reset *reset = g_task_get_task_data (task);
  SottoRelayKeyUpload upload = {
    .identity_key = &reset->keys.identity->public_key,
    .registration_id = reset->registration_id,
    .keys = reset->keys.batch,
  };

  if (!_sotto_task_propagate_step (task, result))
    return;

  /* The models follow what is on disk now. */
  sotto_account_set_identity_key_pair (self->account, reset->keys.identity);

  sotto_relay_client_upload_keys_async (self->client, &upload, g_task_get_cancellable (task),
                                        keys_uploaded_cb, g_object_ref (task));
}

static void
reset_store_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoKeyKeeper *self = source_object;
  Reset *reset = task_data;
  g_autoptr(GError) error = NULL;

  /* Every key and session of the old identity goes in the same
   * transaction that stores the new one. */
  _sotto_protocol_state_forget_ciphers (self->protocol);

  if (!_sotto_store_begin (self->store, &error))
    goto fail;

  if (!_sotto_store_save_account (self->store, reset->account, &error)
      || !_sotto_protocol_state_clear_sessions (self->store, &error)
      || !_sotto_protocol_state_save_keys (self->store, reset->keys.batch, &reset->keys.state, &error))
    {
      _sotto_store_rollback (self->store);
      goto fail;
    }

  if (!_sotto_store_commit (self->store, &error))
    goto fail;

  _sotto_protocol_state_set_identity (self->protocol, reset->keys.identity, reset->registration_id);

  g_task_return_boolean (task, TRUE);
  return;

fail:
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
reset_generated_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);
  Reset *reset = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  /* The account as it is, with the new identity. */
  reset->account = _sotto_account_to_record (self->account);
  reset->account->registration_id = reset->registration_id;
  memcpy (reset->account->identity, reset->keys.identity, sizeof *reset->keys.identity);

  _sotto_task_run_step (task, self->store, reset_store_thread, reset_stored_cb);
}

static void
reset_generate_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  Reset *reset = task_data;
  g_autoptr(GError) error = NULL;
  int rc;

  reset->keys.identity = _sotto_secure_alloc (sizeof (SpKeyPair));
  rc = sp_key_pair_generate (reset->keys.identity);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (&error, rc, _("Could not make an identity key"));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  reset->keys.batch = _sotto_key_batch_generate (reset->keys.identity, &reset->keys.state, TRUE, TRUE,
                                                 SOTTO_PRE_KEY_BATCH, SOTTO_PRE_KEY_BATCH, &error);
  if (reset->keys.batch == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
reset_state_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoKeyKeeper *self = g_task_get_source_object (task);
  Reset *reset = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  /* A new registration id tells senders that this device registered
   * again: the relay answers their next send with 410, and they fetch
   * the new keys. */
  do
    reset->registration_id = randombytes_uniform (16380) + 1;
  while (reset->registration_id == sotto_account_get_registration_id (self->account));

  _sotto_task_run_step (task, NULL, reset_generate_thread, reset_generated_cb);
}

/* Replaces the account's identity key, and with it every prekey and
 * session, as if the device had registered again. */
void
_sotto_key_keeper_reset_identity_async (SottoKeyKeeper      *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_KEY_KEEPER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_key_keeper_reset_identity_async);
  g_task_set_task_data (task, g_new0 (Reset, 1), (GDestroyNotify) reset_free);

  _sotto_task_run_step (task, self->store, load_key_state_thread, reset_state_cb);
}

gboolean
_sotto_key_keeper_reset_identity_finish (SottoKeyKeeper  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

/* Upkeep while online */

static void
start_refresh_keys_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!_sotto_key_keeper_refresh_finish (SOTTO_KEY_KEEPER (object), result, &error))
    g_debug ("Could not refresh the prekeys: %s", error->message);
}

/* An application that stays online checks its prekeys now and then,
 * so that the signed ones are replaced on time. */
static gboolean
refresh_keys_timeout_cb (gpointer user_data)
{
  SottoKeyKeeper *self = user_data;

  _sotto_key_keeper_refresh_async (self, NULL, start_refresh_keys_cb, NULL);

  return G_SOURCE_CONTINUE;
}

/* Others fetched this device's one-time prekeys faster than the
 * periodic refresh would replace them. */
static void
keys_low_cb (SottoKeyKeeper *self)
{
  _sotto_key_keeper_refresh_async (self, NULL, start_refresh_keys_cb, NULL);
}


void
_sotto_key_keeper_start (SottoKeyKeeper *self)
{
  g_return_if_fail (SOTTO_IS_KEY_KEEPER (self));

  if (self->refresh_source != 0)
    return;

  g_signal_connect_object (self->client, "keys-low", G_CALLBACK (keys_low_cb),
                           self, G_CONNECT_SWAPPED);
  _sotto_key_keeper_refresh_async (self, NULL, start_refresh_keys_cb, NULL);
  self->refresh_source = g_timeout_add_seconds (SOTTO_KEY_REFRESH_INTERVAL_S,
                                                refresh_keys_timeout_cb, self);
}

void
_sotto_key_keeper_stop (SottoKeyKeeper *self)
{
  g_return_if_fail (SOTTO_IS_KEY_KEEPER (self));

  if (self->refresh_source == 0)
    return;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_signal_handlers_disconnect_by_func (self->client, keys_low_cb, self);
}

SottoKeyKeeper *
_sotto_key_keeper_new (SottoStore         *store,
                       SottoAccount       *account,
                       SottoRelayClient   *client,
                       SottoProtocolState *protocol)
{
  SottoKeyKeeper *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (client), NULL);
  g_return_val_if_fail (protocol != NULL, NULL);

  self = g_object_new (SOTTO_TYPE_KEY_KEEPER, NULL);
  self->store = g_object_ref (store);
  self->account = g_object_ref (account);
  self->client = g_object_ref (client);
  self->protocol = _sotto_protocol_state_ref (protocol);

  return self;
}

static void
sotto_key_keeper_dispose (GObject *object)
{
  SottoKeyKeeper *self = (SottoKeyKeeper *)object;

  _sotto_key_keeper_stop (self);

  G_OBJECT_CLASS (sotto_key_keeper_parent_class)->dispose (object);
}

static void
sotto_key_keeper_finalize (GObject *object)
{
  SottoKeyKeeper *self = (SottoKeyKeeper *)object;

  g_assert (g_queue_is_empty (&self->refresh_waiters));

  g_clear_object (&self->store);
  g_clear_object (&self->account);
  g_clear_object (&self->client);
  g_clear_pointer (&self->protocol, _sotto_protocol_state_unref);

  G_OBJECT_CLASS (sotto_key_keeper_parent_class)->finalize (object);
}

static void
sotto_key_keeper_class_init (SottoKeyKeeperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_key_keeper_dispose;
  object_class->finalize = sotto_key_keeper_finalize;

  _sotto_engine_init_crypto ();
}

static void
sotto_key_keeper_init (SottoKeyKeeper *self)
{
  g_queue_init (&self->refresh_waiters);
}
