/* relay-storage.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-api.h"
#include "relay-queue-usage.h"

G_BEGIN_DECLS

/*
 * The storage interface.  The API code builds a RelayOp, hands it to
 * relay_storage_submit(), and gets it back through op->done, called
 * exactly once from a storage thread after the op's effects are durable.
 * A backend runs ops in submission order as seen by each caller thread,
 * each op atomically (an ack op is a set of acknowledgements that stand
 * each on its own); it may batch many into one transaction, and a fetch
 * may then also find the envelopes of sends submitted after it in the
 * same batch.  Nothing in
 * the API code knows which backend it talks to.
 */

typedef enum
{
  RELAY_OP_REGISTER,        /* in: uuid, password_hash, password_digest, reg, invite_hash
                             *     (NULL when none is needed) */
  RELAY_OP_GET_DEVICE,      /* in: uuid, device_id; out: password_hash, username,
                             *      password_digest (NULL when none is stored) */
  RELAY_OP_PREKEY_COUNTS,   /* in: uuid, device_id; out: ec_count, kyber_count */
  RELAY_OP_STORE_PREKEYS,   /* in: uuid, device_id, keys, limit */
  RELAY_OP_FETCH_BUNDLES,   /* in: uuid, device_id (0 = all), spare_one_time;
                             * out: identity_key, bundles */
  RELAY_OP_LOOKUP_USERNAME, /* in: username; out: uuid */
  RELAY_OP_SEND,            /* in: uuid (destination), source_uuid, source_device, send,
                             *     server_timestamp, queue_limits;
                             * out: ids and guids, or missing/extra/stale */
  RELAY_OP_FETCH_QUEUE,     /* in: uuid, device_id, after_id, limit, max_bytes, min_timestamp;
                             * out: envelopes */
  RELAY_OP_ACK,             /* in: acks; out: removed */
  RELAY_OP_EXPIRE,          /* in: min_timestamp; out: removed */
  RELAY_OP_CHECK_WRITABLE,  /* writes a row, to show that the storage takes writes */
  RELAY_OP_FIND_INVITE,     /* in: invite_hash; OK if that invite exists (unused, not
                             * revoked), else INVITE_INVALID; changes nothing */
  RELAY_OP_STORE_PASSWORD_DIGEST, /* in: uuid, device_id, password_hash, password_digest;
                             * stores the digest with the device if its password
                             * hash is still that one (relay-digest-key.h) */
  RELAY_OP_SEND_MULTI,      /* in: parts (RELAY_OP_SEND ops, each to another account,
                             *     with access_key set for an unidentified send);
                             * out: each part's status and outputs; OK only when every
                             * part is stored, and otherwise nothing is */
  RELAY_OP_GET_IDENTITY,    /* in: uuid; out: identity_key */
  RELAY_OP_SET_ACCESS_KEY,  /* in: uuid, access_key */
  RELAY_OP_PUT_PROFILE,     /* in: uuid, profile, server_timestamp */
  RELAY_OP_GET_PROFILE,     /* in: uuid; out: profile */
  RELAY_OP_CHECK_ACCESS_KEYS, /* in: parts (uuid and access_key each); OK when every
                             * key is its account's, else UNAUTHORIZED; changes nothing */
  RELAY_OP_DROP_EXPIRED,    /* in: server_timestamp (now); deletes the envelopes whose
                             * sender's expiry it passed; out: removed, next_expiry */
} RelayOpKind;

typedef enum
{
  RELAY_STORAGE_OK,
  RELAY_STORAGE_NOT_FOUND,
  RELAY_STORAGE_CONFLICT,          /* the username is taken */
  RELAY_STORAGE_DEVICE_MISMATCH,   /* missing or extra devices */
  RELAY_STORAGE_STALE_DEVICES,     /* wrong registration ids */
  RELAY_STORAGE_QUEUE_FULL,        /* the queue, or the sender's share of it */
  RELAY_STORAGE_LIMIT,             /* too many stored one-time prekeys */
  RELAY_STORAGE_INVITE_INVALID,    /* no such invite, or it was used or revoked */
  RELAY_STORAGE_UNAUTHORIZED,      /* an unidentified send's access key is not the
                                    * recipient's, or the recipient has none */
  RELAY_STORAGE_FAILED,            /* the backend failed; nothing changed */
} RelayStorageStatus;

typedef struct
{
  guint32      device_id;
  guint32      registration_id;
  RelayPreKey *signed_prekey;
  RelayPreKey *prekey;            /* NULL when none is left */
  RelayPreKey *pq_prekey;
  gboolean     pq_last_resort;
  /* How many one-time prekeys of each kind the device has left once
   * this fetch took one; -1 when it took none of that kind. */
  gint64       prekeys_left;
  gint64       pq_prekeys_left;
} RelayBundle;

typedef struct
{
  gint64   id;
  char    *guid;
  guint8   type;
  char    *source_uuid;
  guint32  source_device;
  gint64   timestamp;
  gint64   server_timestamp;
  gint64   expires_at;      /* 0 for never */
  GBytes  *content;
} RelayStoredEnvelope;

/* One acknowledgement.  Acknowledgements travel in batches: the relay
 * answers none of them, so any number can share one op. */
typedef struct
{
  char    uuid[RELAY_UUID_LENGTH + 1];
  guint32 device_id;
  char    guid[RELAY_UUID_LENGTH + 1];
} RelayAck;

typedef struct _RelayOp RelayOp;

/* One of an account's devices, as a send checks its envelopes against. */
typedef struct
{
  guint32 device_id;
  guint32 registration_id;
} RelayDeviceRow;

struct _RelayOp
{
  RelayOpKind           kind;
  RelayStorageStatus    status;
  void                (*done) (RelayOp *op);
  gpointer              user_data;

  /* Inputs. */
  char                 *uuid;
  guint32               device_id;
  char                 *username;
  char                 *password_hash;
  GBytes               *password_digest;  /* in, or out of RELAY_OP_GET_DEVICE */
  RelayRegisterRequest *reg;
  RelayKeysRequest     *keys;
  RelaySendRequest     *send;
  char                 *source_uuid;
  guint32               source_device;
  GArray               *acks;           /* of RelayAck */
  GBytes               *invite_hash;
  gint64                server_timestamp;
  gint64                after_id;
  gint64                min_timestamp;
  guint                 limit;
  gboolean              spare_one_time;  /* hand out last-resort keys only */
  RelayQueueLimits      queue_limits;
  gsize                 max_bytes;      /* of content a fetch returns, unless its first
                                         * envelope alone is larger; 0 for no bound */
  GPtrArray            *parts;          /* of RelayOp, a multi-recipient send's */
  GBytes               *access_key;     /* RELAY_ACCESS_KEY_BYTES */
  GBytes               *profile;        /* an encrypted profile, in or out */

  /* Outputs. */
  guint                 ec_count;
  guint                 kyber_count;
  GBytes               *identity_key;
  GPtrArray            *bundles;        /* of RelayBundle */
  GArray               *ids;            /* of gint64, one per send->messages */
  GPtrArray            *guids;          /* of char *, one per send->messages */
  GArray               *missing;        /* of guint32 */
  GArray               *extra;          /* of guint32 */
  GArray               *stale;          /* of guint32 */
  GPtrArray            *envelopes;      /* of RelayStoredEnvelope */
  gint64                removed;
  gint64                next_expiry;    /* the earliest expiry left stored, 0 for none */
};

/* Commit latency histogram upper bounds, in seconds. */
#define RELAY_COMMIT_BUCKETS 12
extern const double relay_commit_bucket_bounds[RELAY_COMMIT_BUCKETS];

typedef struct
{
  guint64 commits;
  guint64 ops;
  double  latency_sum;
  guint64 latency_buckets[RELAY_COMMIT_BUCKETS];  /* cumulative, Prometheus style */
  /* Envelopes stored, as of the last commit or the last recount after
   * another process changed the database. */
  gint64  queued;
} RelayCommitStats;

typedef struct _RelayStorage RelayStorage;

/*
 * The writer thread that each backend runs every op on.  It takes
 * everything submitted since it last looked, hands it to run_batch in
 * slices of at most RELAY_WRITER_MAX_BATCH ops, and calls each op's done
 * callback once run_batch has returned, that is once the slice is
 * committed or failed; an op that waits for no commit, run_batch may
 * answer itself before, and then sets its place in the slice to NULL.
 * Acknowledgements alone wait up to
 * RELAY_WRITER_ACK_HOLD_US for company, without waking the thread
 * when they come just after other ops.  With nothing submitted for
 * RELAY_WRITER_IDLE_US, it calls idle, for what a backend checks while
 * nobody asks it anything.
 */

/* A batch is bounded so that a flood of ops cannot delay the first
 * answers in it without limit. */
#define RELAY_WRITER_MAX_BATCH   4096
#define RELAY_WRITER_IDLE_US     G_USEC_PER_SEC
/* How long acknowledgements alone wait for another op to share their
 * commit.  Nobody waits for their answer, and every op submitted later
 * runs after them in the same transaction, so they are only committed
 * later, never out of order or with less durability. */
#define RELAY_WRITER_ACK_HOLD_US (20 * 1000)
/* Commits are spaced only while the ops other than acknowledgements of
 * the last RELAY_WRITER_RATE_WINDOW_US came at a rate that puts at
 * least RELAY_WRITER_SPACED_OPS_NUM / RELAY_WRITER_SPACED_OPS_DEN of
 * them into one spacing. */
#define RELAY_WRITER_RATE_WINDOW_US  (100 * 1000)
#define RELAY_WRITER_SPACED_OPS_NUM  3
#define RELAY_WRITER_SPACED_OPS_DEN  2

/* What wakes the writer thread while it waits. */
typedef enum
{
  RELAY_WRITER_WAKE_ANY,      /* any op */
  RELAY_WRITER_WAKE_NON_ACK,  /* an op other than an acknowledgement */
  RELAY_WRITER_WAKE_FULL,     /* only a full batch */
} RelayWriterWake;

typedef struct
{
  void (*run_batch) (gpointer   backend,
                     RelayOp  **ops,
                     guint      n_ops);
  void (*idle)      (gpointer   backend);
} RelayWriterFuncs;

typedef struct
{
  const RelayWriterFuncs *funcs;
  gpointer                backend;
  GThread                *thread;
  GMutex                  mutex;
  GCond                   cond;
  GPtrArray              *submitted;   /* of RelayOp, not yet taken */
  gboolean                waiting;     /* the thread waits on cond */
  RelayWriterWake         wake_on;     /* ...for this */
  /* A commit begins at least this long after the one before it began
   * (0: at once); see relay_writer_set_commit_spacing().  Only the
   * thread reads it once started. */
  gint64                  commit_spacing_us;
  guint                   non_ack_submitted;  /* ops in submitted other than acknowledgements */
  gboolean                wake_due;    /* a quiet submission found the thread waiting for it */
  gboolean                closing;
  RelayCommitStats        stats;       /* under mutex */
} RelayWriter;

void relay_writer_init       (RelayWriter            *self,
                              const RelayWriterFuncs *funcs,
                              gpointer                backend);
/* Before the thread starts: a batch that follows the one before it
 * within `spacing_us` of that one's start waits out the rest of that
 * time for more ops to share its commit.  A commit costs the same
 * whether it carries one op or hundreds (at least one fsync), so at
 * everyday rates, where ops come one at a time, this bounds the
 * commits a second to 1 / spacing_us; a lone op after a quiet spell
 * commits at once, and under load, where a commit takes longer than
 * the spacing, nobody waits.  The thread spaces commits only while ops
 * other than acknowledgements come fast enough for the spacing to
 * gather company (see RELAY_WRITER_SPACED_OPS); slower, every op has a
 * commit of its own anyway, and the spacing would only delay it. */
void relay_writer_set_commit_spacing (RelayWriter    *self,
                                      gint64          spacing_us);
void relay_writer_start      (RelayWriter            *self);
void relay_writer_submit     (RelayWriter            *self,
                              RelayOp                *op);
/* Submits without waking the thread; relay_writer_wake() wakes it if
 * anything submitted since needs it to.  A caller that submits several
 * ops at a time lets them share a commit this way: the thread does not
 * start committing the first while the rest are still coming. */
void relay_writer_submit_quiet (RelayWriter          *self,
                                RelayOp              *op);
void relay_writer_wake       (RelayWriter            *self);
void relay_writer_get_stats  (RelayWriter            *self,
                              RelayCommitStats       *stats);
/* Records a batch that took `seconds`, and how many envelopes are
 * queued after it. */
void relay_writer_note_batch (RelayWriter            *self,
                              double                  seconds,
                              guint                   n_ops,
                              gint64                  queued);
void relay_writer_set_queued (RelayWriter            *self,
                              gint64                  queued);
/* Runs every op already submitted, then stops the thread. */
void relay_writer_stop       (RelayWriter            *self);
void relay_writer_clear      (RelayWriter            *self);

typedef struct
{
  const char *name;
  void      (*submit)    (RelayStorage     *self,
                          RelayOp          *op);
  void      (*get_stats) (RelayStorage     *self,
                          RelayCommitStats *stats);
  /* Runs every op already submitted, then stops and frees the backend. */
  void      (*close)     (RelayStorage     *self);
} RelayStorageClass;

/* The submit and get_stats of a backend whose ops run on its
 * RelayStorage.writer. */
void relay_writer_storage_submit    (RelayStorage     *self,
                                     RelayOp          *op);
void relay_writer_storage_get_stats (RelayStorage     *self,
                                     RelayCommitStats *stats);

struct _RelayStorage
{
  const RelayStorageClass *klass;
  /* Bumped, atomically, each time the backend finds that another
   * process changed the data (an administrator deleted an account):
   * whoever remembers something of the data must forget it. */
  gint                     outside_changes;
  /* The thread that runs the ops, for relay_writer_storage_submit()
   * and relay_writer_storage_get_stats(). */
  RelayWriter             *writer;
};

/* The kinds of prekeys, as both schemas store them in their `kind`
 * column: the signed EC prekey and the one-time EC prekeys, and the
 * last-resort Kyber prekey and the one-time Kyber prekeys. */
typedef enum
{
  RELAY_KEY_EC = 0,
  RELAY_KEY_KYBER = 1,
} RelayKeyKind;

RelayOp      *relay_op_new                 (RelayOpKind       kind);
void          relay_op_free                (RelayOp          *op);
void          relay_bundle_free            (RelayBundle      *bundle);
void          relay_stored_envelope_free   (RelayStoredEnvelope *envelope);
void          relay_commit_stats_add       (RelayCommitStats *stats,
                                            double            seconds,
                                            guint             ops);
RelayStorageStatus relay_storage_check_devices (RelayOp   *op,
                                                GArray    *devices);

/* When an envelope of a send expires, in milliseconds since the epoch:
 * its "expiresInMs" after the relay took the send, or 0 for never. */
static inline gint64
relay_envelope_expires_at (const RelayOp               *op,
                           const RelayOutgoingEnvelope *envelope)
{
  return envelope->expires_in_ms > 0 ? op->server_timestamp + envelope->expires_in_ms : 0;
}

static inline void
relay_storage_submit (RelayStorage *self,
                      RelayOp      *op)
{
  self->klass->submit (self, op);
}

/* relay_writer_submit_quiet() and relay_writer_wake() of the backend's
 * writer. */
void relay_storage_submit_quiet (RelayStorage *self,
                                 RelayOp      *op);
void relay_storage_wake         (RelayStorage *self);

static inline void
relay_storage_get_stats (RelayStorage     *self,
                         RelayCommitStats *stats)
{
  self->klass->get_stats (self, stats);
}

static inline void
relay_storage_close (RelayStorage *self)
{
  self->klass->close (self);
}

/* The SQLite backend: DATA_DIR/relay.db in WAL mode with one writer
 * thread that group-commits with synchronous=FULL.  The database grows
 * to at most max_bytes, or without bound when that is 0. */
RelayStorage *relay_storage_sqlite_open    (const char  *data_dir,
                                            guint64      max_bytes,
                                            GError     **error);
/* The schema version that this relay's migrations lead to. */
guint         relay_storage_sqlite_schema_version (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayOp, relay_op_free)

G_END_DECLS
