/* relay-storage-backend.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the storage backends (relay-storage-sqlite.c,
 * relay-storage-postgresql.c) share below the storage interface: the
 * batch that a writer thread runs in one transaction, the dispatch of
 * each op to the backend, and the flows of the ops that read and write
 * the same rows on either database.  A backend supplies the statements;
 * the order of them, the savepoints and what a failure undoes are
 * decided here, once.
 */

#pragma once

#include "relay-storage.h"

G_BEGIN_DECLS

typedef RelayStorageStatus (*RelayOpFunc) (gpointer  backend,
                                           RelayOp  *op);

typedef struct
{
  /* One function per op kind, each running the op's own statements
   * and returning its status, but for the kinds whose flow is shared
   * (registration, key upload, prekey counts, multi-recipient sends).  A kind that run_many
   * always takes may be NULL. */
  RelayOpFunc get_device;
  RelayOpFunc fetch_bundles;
  RelayOpFunc lookup_username;
  RelayOpFunc send;
  RelayOpFunc fetch_queue;
  RelayOpFunc ack;
  RelayOpFunc expire;
  RelayOpFunc drop_expired;
  RelayOpFunc check_writable;
  RelayOpFunc find_invite;
  RelayOpFunc store_password_digest;
  RelayOpFunc get_identity;
  RelayOpFunc set_access_key;
  RelayOpFunc put_profile;
  RelayOpFunc get_profile;

  /* For multi-recipient sends, whose flow is shared: reads an
   * account's unidentified-access key (*out stays NULL when it set
   * none; FALSE when the read failed), and, optionally, takes back
   * what a send that the op's savepoint then undid had added to what
   * the backend counts of the queues across ops. */
  gboolean  (*read_access_key)       (gpointer   backend,
                                      const char *uuid,
                                      GBytes   **out);
  void      (*forget_send)           (gpointer   backend,
                                      RelayOp   *part);

  /* Optional: runs several ops from the first in one go, where the
   * backend can (one round trip to a server for them all), and returns
   * how many it ran; 0 when the first must run alone. */
  guint     (*run_many)              (gpointer   backend,
                                      RelayOp  **ops,
                                      guint      n_ops);

  /* Begins the transaction that the ops will run in; FALSE, with no
   * transaction left open, when it cannot. */
  gboolean  (*begin)                 (gpointer   backend,
                                      RelayOp  **ops,
                                      guint      n_ops);
  /* Commits; FALSE, with the transaction abandoned, when it failed. */
  gboolean  (*commit)                (gpointer   backend);
  /* Whether the transaction still stands: some errors spoil all of it,
   * and then nothing in it will be committed. */
  gboolean  (*transaction_stands)    (gpointer   backend);
  /* Ends a spoiled transaction, and forgets what the writer remembered
   * of its changes. */
  void      (*abandon)               (gpointer   backend);
  gboolean  (*savepoint)             (gpointer   backend);
  /* Undoes the writes of the op since the savepoint, and an error's
   * hold on the transaction; FALSE when it could not, or when the
   * error spoiled the whole transaction. */
  gboolean  (*rollback_to_savepoint) (gpointer   backend);
  void      (*release_savepoint)     (gpointer   backend);

  /* The rows of accounts, devices and prekeys, for the flows below. */

  /* Uses up the invite: RELAY_STORAGE_INVITE_INVALID when there was
   * none such. */
  RelayStorageStatus (*take_invite)         (gpointer      backend,
                                             GBytes       *invite_hash);
  /* RELAY_STORAGE_CONFLICT when the username or UUID is taken. */
  RelayStorageStatus (*insert_account)      (gpointer      backend,
                                             const char   *uuid,
                                             const char   *username,
                                             GBytes       *identity_key,
                                             gint64        created);
  RelayStorageStatus (*insert_device)       (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             guint32       registration_id,
                                             const char   *password_hash,
                                             GBytes       *password_digest);
  /* Sets the account's identity key and drops the device's one-time
   * prekeys, which belonged to the old one. */
  RelayStorageStatus (*replace_identity)    (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             GBytes       *identity_key);
  RelayStorageStatus (*set_registration_id) (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             guint32       registration_id);
  /* The Kyber kind's signed key is the last-resort key.  NULL when it
   * cannot be read. */
  RelayPreKey       *(*get_signed)          (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             RelayKeyKind  kind);
  RelayStorageStatus (*store_signed)        (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             RelayKeyKind  kind,
                                             RelayPreKey  *prekey);
  /* Takes the lowest one-time prekey of a kind that nobody else is
   * taking: *out is NULL when there is none.  FALSE when it failed. */
  gboolean           (*take_one_time)       (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             RelayKeyKind  kind,
                                             RelayPreKey **out);
  RelayStorageStatus (*store_one_time)      (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             RelayKeyKind  kind,
                                             GPtrArray    *prekeys);
  /* -1 when it cannot be read. */
  gint64             (*count_one_time)      (gpointer      backend,
                                             const char   *uuid,
                                             guint32       device_id,
                                             RelayKeyKind  kind);
} RelayBackendFuncs;

/* Runs one op by its kind (registrations, key uploads, prekey counts
 * and multi-recipient sends by the shared flows over the backend's
 * rows), inside a savepoint when it may write with
 * more than one statement and then fail or end in a status that must
 * undo what it wrote. */
RelayStorageStatus relay_storage_run_op          (const RelayBackendFuncs *funcs,
                                                  gpointer                 backend,
                                                  RelayOp                 *op);
gboolean           relay_storage_op_is_multi_statement (RelayOp           *op);
void               relay_storage_fail_ops        (RelayOp                **ops,
                                                  guint                    start,
                                                  guint                    end);
/* The backend's schema is at `version`, and this relay's migrations
 * lead to `known`: FALSE, with `error` set, when the database is newer
 * than the relay. */
gboolean           relay_storage_check_schema    (gint64                   version,
                                                  guint                    known,
                                                  GError                 **error);
/* Runs the ops in one transaction and commits it.  An op that fails
 * inside its savepoint leaves the rest alone; an error that spoils the
 * transaction fails every op of it so far, and the rest of the batch
 * goes on in a new one.  FALSE when not even the first transaction
 * could begin. */
gboolean             relay_storage_run_batch       (const RelayBackendFuncs *funcs,
                                                  gpointer                 backend,
                                                  RelayOp                **ops,
                                                  guint                    n_ops);

/* Judges a send by the account's devices (RelayDeviceRow; none when
 * the account does not exist) and by the rule every backend shares for
 * what a device's queue admits: the flood pool needs every sender's
 * share, not only the one sending now. */
RelayStorageStatus relay_storage_admit_send      (RelayOp                 *op,
                                                  GArray                  *devices,
                                                  RelayQueueUsage         *usage);
/* Counts what an admitted send adds to its devices' queues. */
void               relay_storage_count_send      (RelayOp                 *op,
                                                  RelayQueueUsage         *usage);
/* Builds a fetch's bundles for the account's devices (RelayDeviceRow),
 * or the one op->device_id names: the signed prekey, a one-time EC and
 * a one-time Kyber prekey unless spare_one_time, and the last-resort
 * Kyber prekey when there is no one-time one. */
RelayStorageStatus relay_storage_fill_bundles    (const RelayBackendFuncs *funcs,
                                                  gpointer                 backend,
                                                  RelayOp                 *op,
                                                  GArray                  *devices,
                                                  gboolean                 spare_one_time);

G_END_DECLS
