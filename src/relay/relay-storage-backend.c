/* relay-storage-backend.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The batch, the dispatch of ops and the flows of ops that the SQLite
 * and PostgreSQL backends share; see relay-storage-backend.h.
 */

#include "config.h"

#include <sodium.h>

#include "relay-storage-backend.h"

void
relay_storage_fail_ops (RelayOp **ops,
                        guint     start,
                        guint     end)
{
  for (guint i = start; i < end; i++)
    ops[i]->status = RELAY_STORAGE_FAILED;
}

/* Whether an op may write with more than one statement and then fail
 * or end in a status that must undo what it wrote (a registration over
 * the prekey limit).  Every statement is atomic by itself, so only
 * those need a savepoint; for the rest (reads, single writes, and
 * acknowledgements, which stand each on its own) it would be two more
 * statements per op for nothing. */
gboolean
relay_storage_op_is_multi_statement (RelayOp *op)
{
  switch (op->kind)
    {
    case RELAY_OP_REGISTER:
    case RELAY_OP_STORE_PREKEYS:
    case RELAY_OP_FETCH_BUNDLES:
    case RELAY_OP_SEND_MULTI:
      return TRUE;
    case RELAY_OP_SEND:
      return op->send->messages->len > 1;
    case RELAY_OP_GET_DEVICE:
    case RELAY_OP_PREKEY_COUNTS:
    case RELAY_OP_LOOKUP_USERNAME:
    case RELAY_OP_FETCH_QUEUE:
    case RELAY_OP_ACK:
    case RELAY_OP_EXPIRE:
    case RELAY_OP_DROP_EXPIRED:
    case RELAY_OP_CHECK_WRITABLE:
    case RELAY_OP_FIND_INVITE:
    case RELAY_OP_STORE_PASSWORD_DIGEST:
    case RELAY_OP_GET_IDENTITY:
    case RELAY_OP_SET_ACCESS_KEY:
    case RELAY_OP_PUT_PROFILE:
    case RELAY_OP_GET_PROFILE:
    case RELAY_OP_CHECK_ACCESS_KEYS:
    default:
      return FALSE;
    }
}

/* Stores one kind of one-time prekeys; RELAY_STORAGE_LIMIT when the
 * device then holds more than `limit` of that kind. */
static RelayStorageStatus
store_one_time (const RelayBackendFuncs *funcs,
                gpointer                 backend,
                const char              *uuid,
                guint32                  device_id,
                RelayKeyKind             kind,
                GPtrArray               *prekeys,
                guint                    limit)
{
  RelayStorageStatus status;
  gint64 count;

  if ((status = funcs->store_one_time (backend, uuid, device_id, kind, prekeys)) != RELAY_STORAGE_OK)
    return status;
  if ((count = funcs->count_one_time (backend, uuid, device_id, kind)) < 0)
    return RELAY_STORAGE_FAILED;
  return count > limit ? RELAY_STORAGE_LIMIT : RELAY_STORAGE_OK;
}

/* Stores what a registration or a key upload carries: the signed and
 * last-resort prekeys that are not NULL, then the one-time prekeys of
 * both kinds, each kind within `limit`. */
static RelayStorageStatus
store_keys (const RelayBackendFuncs *funcs,
            gpointer                 backend,
            const char              *uuid,
            guint32                  device_id,
            RelayPreKey             *signed_prekey,
            RelayPreKey             *last_resort,
            GPtrArray               *prekeys,
            GPtrArray               *pq_prekeys,
            guint                    limit)
{
  RelayStorageStatus status;

  if (signed_prekey != NULL &&
      (status = funcs->store_signed (backend, uuid, device_id, RELAY_KEY_EC, signed_prekey)) != RELAY_STORAGE_OK)
    return status;
  if (last_resort != NULL &&
      (status = funcs->store_signed (backend, uuid, device_id, RELAY_KEY_KYBER, last_resort)) != RELAY_STORAGE_OK)
    return status;
  if ((status = store_one_time (funcs, backend, uuid, device_id, RELAY_KEY_EC, prekeys, limit)) != RELAY_STORAGE_OK)
    return status;
  return store_one_time (funcs, backend, uuid, device_id, RELAY_KEY_KYBER, pq_prekeys, limit);
}

/* The invite is used up only if the account is made: a failure rolls
 * the op's savepoint back, and the invite with it. */
static RelayStorageStatus
register_account (const RelayBackendFuncs *funcs,
                  gpointer                 backend,
                  RelayOp                 *op)
{
  RelayRegisterRequest *reg = op->reg;
  RelayStorageStatus status;

  if (op->invite_hash != NULL &&
      (status = funcs->take_invite (backend, op->invite_hash)) != RELAY_STORAGE_OK)
    return status;
  if ((status = funcs->insert_account (backend, op->uuid, reg->username, reg->identity_key,
                                       g_get_real_time () / 1000)) != RELAY_STORAGE_OK ||
      (status = funcs->insert_device (backend, op->uuid, op->device_id, reg->registration_id,
                                      op->password_hash, op->password_digest)) != RELAY_STORAGE_OK)
    return status;
  return store_keys (funcs, backend, op->uuid, op->device_id, reg->signed_prekey, reg->last_resort,
                                   reg->prekeys, reg->pq_prekeys, op->limit);
}

/* A new identity: the one-time prekeys of the old one go, the signed
 * ones are replaced with the keys the upload carries. */
static RelayStorageStatus
store_prekeys (const RelayBackendFuncs *funcs,
               gpointer                 backend,
               RelayOp                 *op)
{
  RelayKeysRequest *keys = op->keys;
  RelayStorageStatus status;

  if (keys->identity_key != NULL &&
      (status = funcs->replace_identity (backend, op->uuid, op->device_id, keys->identity_key)) != RELAY_STORAGE_OK)
    return status;
  if (keys->registration_id != 0 &&
      (status = funcs->set_registration_id (backend, op->uuid, op->device_id,
                                            keys->registration_id)) != RELAY_STORAGE_OK)
    return status;
  return store_keys (funcs, backend, op->uuid, op->device_id, keys->signed_prekey, keys->last_resort,
                                   keys->prekeys, keys->pq_prekeys, op->limit);
}

static RelayStorageStatus
prekey_counts (const RelayBackendFuncs *funcs,
               gpointer                 backend,
               RelayOp                 *op)
{
  gint64 ec = funcs->count_one_time (backend, op->uuid, op->device_id, RELAY_KEY_EC);
  gint64 kyber = funcs->count_one_time (backend, op->uuid, op->device_id, RELAY_KEY_KYBER);

  if (ec < 0 || kyber < 0)
    return RELAY_STORAGE_FAILED;
  op->ec_count = (guint) ec;
  op->kyber_count = (guint) kyber;
  return RELAY_STORAGE_OK;
}

/* Takes the lowest one-time prekey of a kind, and counts how many are
 * left after it, or leaves *left as it is when there was none. */
static gboolean
take_one_time (const RelayBackendFuncs *funcs,
               gpointer                 backend,
               const char              *uuid,
               guint32                  device_id,
               RelayKeyKind             kind,
               RelayPreKey            **out,
               gint64                  *left)
{
  if (!funcs->take_one_time (backend, uuid, device_id, kind, out))
    return FALSE;
  if (*out == NULL)
    return TRUE;
  return (*left = funcs->count_one_time (backend, uuid, device_id, kind)) >= 0;
}

RelayStorageStatus
relay_storage_fill_bundles (const RelayBackendFuncs *funcs,
                            gpointer                 backend,
                            RelayOp                 *op,
                            GArray                  *devices,
                            gboolean                 spare_one_time)
{
  op->bundles = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_bundle_free);
  for (guint i = 0; i < devices->len; i++)
    {
      RelayDeviceRow *row = &g_array_index (devices, RelayDeviceRow, i);
      RelayBundle *bundle;

      if (op->device_id != 0 && row->device_id != op->device_id)
        continue;
      bundle = g_new0 (RelayBundle, 1);
      bundle->prekeys_left = -1;
      bundle->pq_prekeys_left = -1;
      g_ptr_array_add (op->bundles, bundle);
      bundle->device_id = row->device_id;
      bundle->registration_id = row->registration_id;
      bundle->signed_prekey = funcs->get_signed (backend, op->uuid, row->device_id, RELAY_KEY_EC);
      if (bundle->signed_prekey == NULL)
        return RELAY_STORAGE_FAILED;
      if (!spare_one_time &&
          (!take_one_time (funcs, backend, op->uuid, row->device_id, RELAY_KEY_EC, &bundle->prekey,
                           &bundle->prekeys_left) ||
           !take_one_time (funcs, backend, op->uuid, row->device_id, RELAY_KEY_KYBER, &bundle->pq_prekey,
                           &bundle->pq_prekeys_left)))
        return RELAY_STORAGE_FAILED;
      if (bundle->pq_prekey == NULL)
        {
          bundle->pq_prekey = funcs->get_signed (backend, op->uuid, row->device_id, RELAY_KEY_KYBER);
          bundle->pq_last_resort = TRUE;
          if (bundle->pq_prekey == NULL)
            return RELAY_STORAGE_FAILED;
        }
    }
  if (op->bundles->len == 0)
    return RELAY_STORAGE_NOT_FOUND;
  return RELAY_STORAGE_OK;
}

/* Whether `stored` (NULL when the account set none) is the access key
 * that an unidentified part carries. */
static gboolean
access_key_matches (RelayOp *part,
                    GBytes  *stored)
{
  gsize size;
  const guint8 *key = g_bytes_get_data (part->access_key, &size);

  return stored != NULL && size == RELAY_ACCESS_KEY_BYTES &&
         g_bytes_get_size (stored) == RELAY_ACCESS_KEY_BYTES &&
         sodium_memcmp (g_bytes_get_data (stored, NULL), key, RELAY_ACCESS_KEY_BYTES) == 0;
}

/* RELAY_OP_CHECK_ACCESS_KEYS: every part's key is read and compared,
 * whatever the ones before gave, and one verdict answers for them all,
 * so that neither the answer nor its time tells which key was wrong. */
static RelayStorageStatus
check_access_keys (const RelayBackendFuncs *funcs,
                   gpointer                 backend,
                   RelayOp                 *op)
{
  gboolean all_match = TRUE;

  for (guint i = 0; i < op->parts->len; i++)
    {
      RelayOp *part = g_ptr_array_index (op->parts, i);
      g_autoptr(GBytes) stored = NULL;

      if (!funcs->read_access_key (backend, part->uuid, &stored))
        return RELAY_STORAGE_FAILED;
      all_match &= access_key_matches (part, stored);
    }
  return all_match ? RELAY_STORAGE_OK : RELAY_STORAGE_UNAUTHORIZED;
}

static RelayStorageStatus
send_part (const RelayBackendFuncs *funcs,
           gpointer                 backend,
           RelayOp                 *part)
{
  g_autoptr(GBytes) stored = NULL;

  if (part->access_key != NULL)
    {
      if (!funcs->read_access_key (backend, part->uuid, &stored))
        return RELAY_STORAGE_FAILED;
      if (!access_key_matches (part, stored))
        return RELAY_STORAGE_UNAUTHORIZED;
    }
  return funcs->send (backend, part);
}

/* A multi-recipient send (RELAY_OP_SEND_MULTI): checks an unidentified
 * part's access key against the recipient's, in constant time, then
 * stores the part, and sets each part's status.  Parts go on after one
 * is refused, so that the answer can name every recipient whose device
 * list is out of date; the op's savepoint then undoes what the others
 * wrote.  The result is OK only when every part is; a storage failure
 * stops at once.  Otherwise it is the first refusal in this order:
 * UNAUTHORIZED, NOT_FOUND, DEVICE_MISMATCH, STALE_DEVICES, QUEUE_FULL. */
static RelayStorageStatus
send_multi (const RelayBackendFuncs *funcs,
            gpointer                 backend,
            RelayOp                 *op)
{
  static const RelayStorageStatus precedence[] = {
    RELAY_STORAGE_UNAUTHORIZED, RELAY_STORAGE_NOT_FOUND, RELAY_STORAGE_DEVICE_MISMATCH,
    RELAY_STORAGE_STALE_DEVICES, RELAY_STORAGE_QUEUE_FULL,
  };
  guint worst = G_N_ELEMENTS (precedence);
  RelayStorageStatus status = RELAY_STORAGE_OK;

  for (guint i = 0; i < op->parts->len && status == RELAY_STORAGE_OK; i++)
    {
      RelayOp *part = g_ptr_array_index (op->parts, i);

      part->status = send_part (funcs, backend, part);
      if (part->status == RELAY_STORAGE_OK)
        continue;
      for (guint j = 0; j < G_N_ELEMENTS (precedence); j++)
        if (part->status == precedence[j])
          worst = MIN (worst, j);
      if (part->status == RELAY_STORAGE_FAILED || worst == G_N_ELEMENTS (precedence))
        status = RELAY_STORAGE_FAILED;
    }
  if (status == RELAY_STORAGE_OK && worst < G_N_ELEMENTS (precedence))
    status = precedence[worst];
  /* The savepoint undoes the rows of the parts that were stored; what
   * they added to the backend's count of the queues goes too. */
  for (guint i = 0; status != RELAY_STORAGE_OK && funcs->forget_send != NULL && i < op->parts->len; i++)
    {
      RelayOp *part = g_ptr_array_index (op->parts, i);

      if (part->status == RELAY_STORAGE_OK)
        funcs->forget_send (backend, part);
    }
  return status;
}

static RelayStorageStatus
run_op_kind (const RelayBackendFuncs *funcs,
             gpointer                 backend,
             RelayOp                 *op)
{
  switch (op->kind)
    {
    case RELAY_OP_REGISTER:
      return register_account (funcs, backend, op);
    case RELAY_OP_GET_DEVICE:
      return funcs->get_device (backend, op);
    case RELAY_OP_PREKEY_COUNTS:
      return prekey_counts (funcs, backend, op);
    case RELAY_OP_STORE_PREKEYS:
      return store_prekeys (funcs, backend, op);
    case RELAY_OP_FETCH_BUNDLES:
      return funcs->fetch_bundles (backend, op);
    case RELAY_OP_LOOKUP_USERNAME:
      return funcs->lookup_username (backend, op);
    case RELAY_OP_SEND:
      return funcs->send (backend, op);
    case RELAY_OP_FETCH_QUEUE:
      return funcs->fetch_queue (backend, op);
    case RELAY_OP_ACK:
      return funcs->ack (backend, op);
    case RELAY_OP_EXPIRE:
      return funcs->expire (backend, op);
    case RELAY_OP_DROP_EXPIRED:
      return funcs->drop_expired (backend, op);
    case RELAY_OP_CHECK_WRITABLE:
      return funcs->check_writable (backend, op);
    case RELAY_OP_FIND_INVITE:
      return funcs->find_invite (backend, op);
    case RELAY_OP_STORE_PASSWORD_DIGEST:
      return funcs->store_password_digest (backend, op);
    case RELAY_OP_SEND_MULTI:
      return send_multi (funcs, backend, op);
    case RELAY_OP_GET_IDENTITY:
      return funcs->get_identity (backend, op);
    case RELAY_OP_SET_ACCESS_KEY:
      return funcs->set_access_key (backend, op);
    case RELAY_OP_PUT_PROFILE:
      return funcs->put_profile (backend, op);
    case RELAY_OP_GET_PROFILE:
      return funcs->get_profile (backend, op);
    case RELAY_OP_CHECK_ACCESS_KEYS:
      return check_access_keys (funcs, backend, op);
    default:
      g_assert_not_reached ();
    }
}

RelayStorageStatus
relay_storage_run_op (const RelayBackendFuncs *funcs,
                      gpointer                 backend,
                      RelayOp                 *op)
{
  RelayStorageStatus status;

  if (!relay_storage_op_is_multi_statement (op))
    return run_op_kind (funcs, backend, op);
  if (!funcs->savepoint (backend))
    return RELAY_STORAGE_FAILED;
  status = run_op_kind (funcs, backend, op);
  /* Going back to the savepoint undoes the op's writes, and after an
   * error makes the transaction usable again.  When the error spoiled
   * the whole transaction there is no savepoint left to go back to;
   * relay_storage_run_batch() deals with that. */
  if ((status != RELAY_STORAGE_OK || !funcs->transaction_stands (backend)) &&
      !funcs->rollback_to_savepoint (backend))
    return RELAY_STORAGE_FAILED;
  funcs->release_savepoint (backend);
  return status;
}

gboolean
relay_storage_run_batch (const RelayBackendFuncs *funcs,
                         gpointer                 backend,
                         RelayOp                **ops,
                         guint                    n_ops)
{
  guint first = 0;
  guint i = 0;

  if (!funcs->begin (backend, ops, n_ops))
    {
      relay_storage_fail_ops (ops, 0, n_ops);
      return FALSE;
    }
  while (i < n_ops)
    {
      guint ran = funcs->run_many != NULL ? funcs->run_many (backend, ops + i, n_ops - i) : 0;

      if (ran == 0)
        {
          ops[i]->status = relay_storage_run_op (funcs, backend, ops[i]);
          ran = 1;
        }
      i += ran;
      if (funcs->transaction_stands (backend))
        continue;
      funcs->abandon (backend);
      relay_storage_fail_ops (ops, first, i);
      first = i;
      if (first < n_ops && !funcs->begin (backend, ops + first, n_ops - first))
        {
          relay_storage_fail_ops (ops, first, n_ops);
          return TRUE;
        }
    }
  if (first < n_ops && !funcs->commit (backend))
    relay_storage_fail_ops (ops, first, n_ops);
  return TRUE;
}

RelayStorageStatus
relay_storage_admit_send (RelayOp         *op,
                          GArray          *devices,
                          RelayQueueUsage *usage)
{
  GPtrArray *messages = op->send->messages;
  RelayStorageStatus status;

  if (devices == NULL || devices->len == 0)
    return RELAY_STORAGE_NOT_FOUND;
  if ((status = relay_storage_check_devices (op, devices)) != RELAY_STORAGE_OK)
    return status;
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      char key[RELAY_DEVICE_KEY_SIZE];

      relay_device_key (key, op->uuid, envelope->device_id);
      if (!relay_queue_usage_admits (usage, key, op->source_uuid, (gint64) g_bytes_get_size (envelope->content),
                                     &op->queue_limits))
        return RELAY_STORAGE_QUEUE_FULL;
    }
  return RELAY_STORAGE_OK;
}

void
relay_storage_count_send (RelayOp         *op,
                          RelayQueueUsage *usage)
{
  GPtrArray *messages = op->send->messages;

  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      char key[RELAY_DEVICE_KEY_SIZE];

      relay_device_key (key, op->uuid, envelope->device_id);
      relay_queue_usage_add (usage, key, op->source_uuid, 1, (gint64) g_bytes_get_size (envelope->content));
    }
}

gboolean
relay_storage_check_schema (gint64    version,
                            guint     known,
                            GError  **error)
{
  if (version <= (gint64) known)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
               "The database has schema version %" G_GINT64_FORMAT ", newer than this relay knows (%u)",
               version, known);
  return FALSE;
}
