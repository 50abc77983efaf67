/* sotto-store-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <sqlite3.h>

#include "sotto-engine-types.h"
#include "sotto-store.h"
#include "sotto-records-private.h"
#include "sotto-content-private.h"

G_BEGIN_DECLS

/* The database file inside the profile directory. */
#define SOTTO_STORE_DATABASE_NAME "sotto.db"

/* The file whose lock says which process has the profile open
 * (sotto-store-lock.c). */
#define SOTTO_STORE_LOCK_NAME "sotto.lock"

/* PRAGMA application_id: "Sott".  A database without it is not ours. */
#define SOTTO_STORE_APPLICATION_ID 0x536f7474

#define SOTTO_STORE_KEY_SIZE 32

/* Bytes a sealed value adds to its plaintext: the XChaCha20-Poly1305
 * nonce in front and the tag behind. */
#define SOTTO_STORE_SEAL_OVERHEAD (24 + 16)

/* The keys the store works with; they live in sodium_malloc() memory for
 * as long as the store is open. */
typedef struct
{
  guint8 database_key[SOTTO_STORE_KEY_SIZE];
  guint8 seal_key[SOTTO_STORE_KEY_SIZE];
  guint8 lookup_key[SOTTO_STORE_KEY_SIZE];
} SottoStoreKeys;

/* Argon2id costs for a passphrase set on a new database; an existing one
 * keeps the costs written in its header. */
typedef struct
{
  guint64 opslimit;
  gsize   memlimit;
} SottoStoreKdfLimits;

/* What _sotto_store_set_message_state() did: the message's position,
 * the state it is in now (its old one if the change was not allowed),
 * the conversation's unread count afterwards, and whether the message
 * went through the relay sealed (FALSE where that was not read). */
typedef struct
{
  guint position;
  SottoMessageState state;
  guint n_unread;
  gboolean sealed;
} SottoStoreStateChange;

struct _SottoStore
{
  GObject parent_instance;

  GFile *directory;
  SottoKeySource key_source;

  /* One worker thread that runs every job in the order it was queued,
   * so that writes land in the order the models issued them. */
  GThreadPool *thread;

  /* Touched only by the thread running a job, by the opening thread
   * before the store is handed out, and by tests and benchmarks that call
   * the functions below directly while no job is queued. */
  sqlite3 *db;
  GHashTable *statements;
  SottoStoreKeys *keys;

  /* Inside _sotto_store_begin_batch(): transactions are savepoints of
   * the batch's, and @batch_failed says the batch can only be rolled
   * back. */
  gboolean in_batch;
  gboolean batch_failed;
  /* The profile's lock, held while the store is open; -1 otherwise. */
  int lock_fd;
  /* A message was deleted for everyone: the write-ahead log, which still
   * holds its old pages, is emptied after the commit. */
  gboolean wipe_journal;
  /* Tells this opening of the profile from every other in the process,
   * never 0: a model is found by its row in it (sotto-attachment.c). */
  guint serial;
};

/* A statement from the store's cache.  Releasing it with g_autoptr()
 * resets it and clears its bindings; the cache keeps it prepared. */
typedef sqlite3_stmt SottoStoreStatement;

void _sotto_store_statement_release (SottoStoreStatement *statement);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoStoreStatement, _sotto_store_statement_release)

SottoStore          *_sotto_store_open_sync            (GFile                      *directory,
                                                        const char                 *passphrase,
                                                        const SottoStoreKdfLimits  *limits,
                                                        GCancellable               *cancellable,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             _sotto_store_close_sync           (SottoStore                 *self,
                                                        GError                    **error);
void                 _sotto_store_run_in_thread        (SottoStore                 *self,
                                                        GTask                      *task,
                                                        GTaskThreadFunc             func);
gboolean             _sotto_store_check_open           (SottoStore                 *self,
                                                        GError                    **error);
gboolean             _sotto_store_in_job               (void);

/* Steps of an asynchronous operation (sotto-store.c) */
void                 _sotto_task_run_step              (GTask                      *task,
                                                        SottoStore                 *store,
                                                        GTaskThreadFunc             func,
                                                        GAsyncReadyCallback         callback);
gboolean             _sotto_task_propagate_step        (GTask                      *task,
                                                        GAsyncResult               *step);
void                 _sotto_task_return_step_cb        (GObject                    *object,
                                                        GAsyncResult               *result,
                                                        gpointer                    user_data);
gboolean             _sotto_task_propagate_boolean     (gpointer                    source_object,
                                                        GAsyncResult               *result,
                                                        gpointer                    source_tag,
                                                        GError                    **error);
gpointer             _sotto_task_propagate_pointer     (gpointer                    source_object,
                                                        GAsyncResult               *result,
                                                        gpointer                    source_tag,
                                                        GError                    **error);

/* SQL helpers (sotto-store-sql.c) */
void                 _sotto_store_set_sqlite_error     (SottoStore                 *self,
                                                        int                         rc,
                                                        const char                 *what,
                                                        GError                    **error);
SottoStoreStatement *_sotto_store_prepare              (SottoStore                 *self,
                                                        const char                 *sql,
                                                        GError                    **error);
gboolean             _sotto_store_step_done            (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        GError                    **error);
typedef gpointer   (*SottoStoreRowReader)              (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        GError                    **error);
GPtrArray           *_sotto_store_read_rows            (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        SottoStoreRowReader         read_row,
                                                        GDestroyNotify              free_row,
                                                        const char                 *what,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             _sotto_store_step_row             (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        GError                    **error,
                                                        const char                 *what,
                                                        const char                 *not_found,
                                                        ...) G_GNUC_PRINTF (5, 6);
SottoStoreStatement *_sotto_store_select_by_id         (SottoStore                 *self,
                                                        const char                 *sql,
                                                        gint64                      id,
                                                        const char                 *what,
                                                        const char                 *not_found,
                                                        GError                    **error);
gboolean             _sotto_store_exec_int64           (SottoStore                 *self,
                                                        const char                 *sql,
                                                        gint64                      value,
                                                        GError                    **error);
gboolean             _sotto_store_exec_int64_pair      (SottoStore                 *self,
                                                        const char                 *sql,
                                                        gint64                      first,
                                                        gint64                      second,
                                                        GError                    **error);
gboolean             _sotto_store_next_id              (SottoStore                 *self,
                                                        const char                 *sql,
                                                        gint64                     *id,
                                                        GError                    **error);
gboolean             _sotto_store_exec                 (SottoStore                 *self,
                                                        const char                 *sql,
                                                        GError                    **error);
gboolean             _sotto_store_begin                (SottoStore                 *self,
                                                        GError                    **error);
gboolean             _sotto_store_commit               (SottoStore                 *self,
                                                        GError                    **error);
void                 _sotto_store_rollback             (SottoStore                 *self);
gboolean             _sotto_store_begin_batch          (SottoStore                 *self,
                                                        GError                    **error);
gboolean             _sotto_store_commit_batch         (SottoStore                 *self,
                                                        GError                    **error);

/* Sealed columns (sotto-store-seal.c).  @table, @column and @id are bound to
 * the ciphertext as associated data, so a value cannot be moved to
 * another row or column. */
gboolean             _sotto_store_bind_sealed          (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         index,
                                                        const char                 *table,
                                                        const char                 *column,
                                                        gint64                      id,
                                                        const void                 *data,
                                                        gsize                       len,
                                                        GError                    **error);
gboolean             _sotto_store_bind_sealed_string   (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         index,
                                                        const char                 *table,
                                                        const char                 *column,
                                                        gint64                      id,
                                                        const char                 *string,
                                                        GError                    **error);
gboolean             _sotto_store_column_unseal        (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         index,
                                                        const char                 *table,
                                                        const char                 *column,
                                                        gint64                      id,
                                                        guint8                     *out,
                                                        gsize                       out_size,
                                                        gsize                      *out_len,
                                                        GError                    **error);
gboolean             _sotto_store_column_unseal_bytes  (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         index,
                                                        const char                 *table,
                                                        const char                 *column,
                                                        gint64                      id,
                                                        GBytes                    **out,
                                                        GError                    **error);
gboolean             _sotto_store_column_unseal_string (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         index,
                                                        const char                 *table,
                                                        const char                 *column,
                                                        gint64                      id,
                                                        char                      **out,
                                                        GError                    **error);
void                 _sotto_store_bind_lookup_hash     (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         index,
                                                        const char                 *table,
                                                        const char                 *column,
                                                        const void                 *data,
                                                        gsize                       len);

/* The database key: a new database's, or the one that unlocks an
 * existing database (sotto-store-key.c) */
void                 _sotto_store_keys_free            (SottoStoreKeys             *keys);
gboolean             _sotto_store_inspect              (SottoStore                 *self,
                                                        gboolean                   *is_new,
                                                        guint                      *version,
                                                        GError                    **error);
gboolean             _sotto_store_create               (SottoStore                 *self,
                                                        const char                 *profile,
                                                        const char                 *passphrase,
                                                        const SottoStoreKdfLimits  *limits,
                                                        GCancellable               *cancellable,
                                                        GError                    **error);
gboolean             _sotto_store_unlock               (SottoStore                 *self,
                                                        const char                 *profile,
                                                        const char                 *passphrase,
                                                        GCancellable               *cancellable,
                                                        GError                    **error);

/* Schema (sotto-store-schema.c) */
guint                _sotto_store_schema_version       (void);
gboolean             _sotto_store_migrate              (SottoStore                 *self,
                                                        guint                       from_version,
                                                        GError                    **error);

/* Secret Service (sotto-store-keyring.c) */
gboolean             _sotto_store_keyring_lookup       (const char                 *profile,
                                                        guint8                     *key,
                                                        gboolean                   *found,
                                                        GCancellable               *cancellable,
                                                        GError                    **error);
gboolean             _sotto_store_keyring_store        (const char                 *profile,
                                                        const guint8               *key,
                                                        GCancellable               *cancellable,
                                                        GError                    **error);

/* One process per profile (sotto-store-lock.c) */
int                  _sotto_store_lock_profile         (const char                 *profile,
                                                        GError                    **error);
void                 _sotto_store_unlock_profile       (int                         fd);

/* Drafts (sotto-store-drafts.c): of a 1:1 conversation, by its row in
 * conversations, or of a group, by its row in groups. */
typedef enum
{
  SOTTO_STORE_DRAFT_CONVERSATION,
  SOTTO_STORE_DRAFT_GROUP,
} SottoStoreDraftKind;

gboolean             _sotto_store_save_draft           (SottoStore                 *self,
                                                        SottoStoreDraftKind         kind,
                                                        gint64                      id,
                                                        const char                 *text,
                                                        GError                    **error);
gboolean             _sotto_store_load_draft           (SottoStore                 *self,
                                                        SottoStoreDraftKind         kind,
                                                        gint64                      id,
                                                        char                      **text,
                                                        GError                    **error);

/* Search (sotto-store-search.c).  A message whose text matched: of a
 * conversation, or of a group's timeline, which also names the message
 * by its author and id (%SOTTO_STORE_SEARCH_GROUP_EVENTS). */
typedef struct
{
  gint64 conversation_id;
  guint position;
  gint64 sent_at;
  char *text;
  char *event_id;
  char *author;
  char *author_name;
} SottoStoreMatch;

void                 _sotto_store_match_free           (SottoStoreMatch            *match);

/* What a search looks through: the messages of 1:1 conversations, whose
 * owners are conversations, or the groups' timelines, whose owners are
 * the groups' rows. */
typedef enum
{
  SOTTO_STORE_SEARCH_MESSAGES,
  SOTTO_STORE_SEARCH_GROUP_EVENTS,
} SottoStoreSearchKind;

gboolean             _sotto_store_search               (SottoStore                 *self,
                                                        SottoStoreSearchKind        kind,
                                                        const char                 *query_folded,
                                                        GHashTable                 *owner_ids,
                                                        gint64                      before_id,
                                                        guint                       max_rows,
                                                        GPtrArray                  *matches,
                                                        guint                       max_matches,
                                                        gint64                     *next_before_id,
                                                        GError                    **error);
void                 _sotto_store_search_async         (SottoStore                 *self,
                                                        gpointer                    source_object,
                                                        SottoStoreSearchKind        kind,
                                                        const char                 *query,
                                                        GHashTable                 *owner_ids,
                                                        guint                       max_matches,
                                                        GCancellable               *cancellable,
                                                        GAsyncReadyCallback         callback,
                                                        gpointer                    user_data);
GPtrArray           *_sotto_store_search_finish        (GAsyncResult               *result,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* Message requests and blocking (sotto-store-requests.c) */
gboolean             _sotto_store_set_standing         (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        SottoContactStanding        standing,
                                                        GError                    **error);
gboolean             _sotto_store_is_accepted          (SottoStore                 *self,
                                                        const char                 *uuid,
                                                        gboolean                   *accepted,
                                                        GError                    **error);
gboolean             _sotto_store_delete_contact       (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        GError                    **error);
gboolean             _sotto_store_list_incoming        (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        gboolean                    since_key_change,
                                                        guint                       max_ids,
                                                        GPtrArray                 **delivered,
                                                        GPtrArray                 **read,
                                                        GError                    **error);

/* Deletion (sotto-store-deletion.c) */
gboolean             _sotto_store_delete_message       (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *id,
                                                        guint                      *n_messages,
                                                        guint                      *n_unread,
                                                        GError                    **error);

/* Replies, reactions, edits and deletion for everyone
 * (sotto-store-actions.c) */

/**
 * SottoStoreActionResult:
 * @SOTTO_STORE_ACTION_APPLIED: the target changed
 * @SOTTO_STORE_ACTION_PENDING: the target is not here yet; the action is
 *   kept and applied when it arrives
 * @SOTTO_STORE_ACTION_FORGED: the sender may not change the target (not
 *   its author, or not in its conversation); dropped and logged
 * @SOTTO_STORE_ACTION_REFUSED: too late, or a target that cannot change
 *   so (deleted already, not a text); dropped
 */
typedef enum
{
  SOTTO_STORE_ACTION_APPLIED,
  SOTTO_STORE_ACTION_PENDING,
  SOTTO_STORE_ACTION_FORGED,
  SOTTO_STORE_ACTION_REFUSED,
} SottoStoreActionResult;

/* How long after a message its author may edit or delete it. */
#define SOTTO_STORE_ACTION_WINDOW_MS (24 * G_GINT64_CONSTANT (3600000))

/* Earlier versions kept of one message; later edits are refused. */
#define SOTTO_STORE_MAX_EDITS 100

/* Actions kept for targets not here yet, per conversation. */
#define SOTTO_STORE_MAX_PENDING_ACTIONS 256

/* What _sotto_store_read_message() reads, in its order. */
#define SOTTO_STORE_MESSAGE_COLUMNS \
  "id, position, uuid, direction, kind, state, sent_at, received_at, body," \
  " flags, quote_uuid, quote_author, quote_text, my_reaction, their_reaction," \
  " EXISTS (SELECT 1 FROM sealed_messages WHERE message_id = messages.id)," \
  " EXISTS (SELECT 1 FROM message_timers WHERE message_id = messages.id)"

SottoMessageRecord  *_sotto_store_read_message         (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
SottoMessageRecord  *_sotto_store_load_message         (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *message_id,
                                                        gint64                     *row_id,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             _sotto_store_apply_action         (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        gboolean                    from_self,
                                                        const SottoContent         *content,
                                                        SottoStoreActionResult     *result,
                                                        GError                    **error);
gboolean             _sotto_store_apply_pending        (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *message_id,
                                                        GPtrArray                  *applied,
                                                        GError                    **error);
gboolean             _sotto_store_save_quote           (SottoStore                 *self,
                                                        gint64                      row_id,
                                                        const SottoMessageRecord   *message,
                                                        GError                    **error);
gboolean             _sotto_store_read_message_extras  (SottoStore                 *self,
                                                        SottoStoreStatement        *statement,
                                                        int                         first_column,
                                                        gint64                      row_id,
                                                        SottoMessageRecord         *message,
                                                        GError                    **error);
gboolean             _sotto_store_load_outbox_quote    (SottoStore                 *self,
                                                        gint64                      row_id,
                                                        SottoOutboxItem            *item,
                                                        GError                    **error);
GPtrArray           *_sotto_store_load_edits           (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *message_id,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
void                 _sotto_store_wipe_journal         (SottoStore                 *self);

/* Records (sotto-store-records.c) */
gboolean             _sotto_store_save_account         (SottoStore                 *self,
                                                        const SottoAccountRecord      *account,
                                                        GError                    **error);
SottoAccountRecord     *_sotto_store_load_account         (SottoStore                 *self,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
SottoConversationRecord *_sotto_store_add_conversation    (SottoStore                 *self,
                                                        const char                 *uuid,
                                                        const char                 *username,
                                                        const char                 *name,
                                                        GBytes                     *identity_key,
                                                        SottoContactStanding        standing,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray           *_sotto_store_load_conversations   (SottoStore                 *self,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             _sotto_store_set_verification     (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        GBytes                     *identity_key,
                                                        int                         from_state,
                                                        SottoVerificationState      to_state,
                                                        gboolean                   *applied,
                                                        GError                    **error);
gboolean             _sotto_store_record_identity      (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        gint64                      conversation_id,
                                                        GBytes                     *identity_key,
                                                        SottoVerificationState     *state,
                                                        SottoMessageRecord           **event,
                                                        GError                    **error);
gboolean             _sotto_store_change_identity      (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        gint64                      conversation_id,
                                                        GBytes                     *identity_key,
                                                        SottoVerificationState     *state,
                                                        SottoMessageRecord           **event,
                                                        GError                    **error);
gboolean             _sotto_store_insert_messages      (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        GPtrArray                  *messages,
                                                        GError                    **error);
gboolean             _sotto_store_append_messages      (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        GPtrArray                  *messages,
                                                        GError                    **error);
GPtrArray           *_sotto_store_load_messages        (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        guint                       first,
                                                        guint                       n_messages,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             _sotto_store_set_message_state    (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *id,
                                                        SottoMessageState           state,
                                                        SottoStoreStateChange      *change,
                                                        GError                    **error);
GStrv                _sotto_store_mark_read            (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray           *_sotto_store_load_outbox          (SottoStore                 *self,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* The incoming messages the user has seen (sotto-store-read.c) */
GStrv                _sotto_store_mark_messages_read   (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char * const         *ids,
                                                        GArray                     *changes,
                                                        GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* Encrypted profiles (sotto-store-profiles.c) */
SottoStoreStatement *_sotto_store_select_optional      (SottoStore                 *self,
                                                        const char                 *sql,
                                                        gint64                      id,
                                                        GError                    **error);
gboolean             _sotto_store_load_own_profile     (SottoStore                 *self,
                                                        guint8                    **key,
                                                        char                      **name,
                                                        GBytes                    **avatar,
                                                        gboolean                   *uploaded,
                                                        GError                    **error);
gboolean             _sotto_store_set_own_profile_uploaded (SottoStore             *self,
                                                        GError                    **error);
gboolean             _sotto_store_save_own_profile     (SottoStore                 *self,
                                                        const guint8               *key,
                                                        const char                 *name,
                                                        GBytes                     *avatar,
                                                        GError                    **error);
gboolean             _sotto_store_load_contact_profile_key (SottoStore             *self,
                                                        gint64                      contact_id,
                                                        guint8                    **key,
                                                        GError                    **error);
gboolean             _sotto_store_load_trust_root     (SottoStore                 *self,
                                                        GBytes                    **trust_root,
                                                        GError                    **error);
gboolean             _sotto_store_save_trust_root     (SottoStore                 *self,
                                                        GBytes                     *trust_root,
                                                        GError                    **error);
gboolean             _sotto_store_pin_first_trust_root (SottoStore                *self,
                                                        GBytes                     *trust_root,
                                                        GBytes                    **pinned,
                                                        GError                    **error);
gboolean             _sotto_store_mark_message_sealed (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *message_id,
                                                        GError                    **error);
gboolean             _sotto_store_save_contact_profile_key (SottoStore             *self,
                                                        gint64                      contact_id,
                                                        const guint8               *key,
                                                        gboolean                   *changed,
                                                        GError                    **error);
gboolean             _sotto_store_save_contact_profile (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        const char                 *name,
                                                        GBytes                     *avatar,
                                                        gint64                      now,
                                                        GError                    **error);
gboolean             _sotto_store_load_contact_avatar  (SottoStore                 *self,
                                                        gint64                      contact_id,
                                                        GBytes                    **avatar,
                                                        GError                    **error);
GArray              *_sotto_store_list_stale_contact_profiles (SottoStore          *self,
                                                        guint                       limit,
                                                        GError                    **error);
GHashTable          *_sotto_store_list_contact_profile_names (SottoStore           *self,
                                                        GError                    **error);
GArray              *_sotto_store_list_contact_avatars (SottoStore                 *self,
                                                        GError                    **error);

/* Disappearing messages (sotto-store-expiry.c) */
typedef struct
{
  gint64 conversation_id;
  char *id;
} SottoExpiredMessage;

void                 _sotto_expired_message_free       (SottoExpiredMessage        *expired);
gboolean             _sotto_store_set_conversation_timer (SottoStore               *self,
                                                        gint64                      conversation_id,
                                                        guint                       seconds,
                                                        GError                    **error);
GHashTable          *_sotto_store_list_conversation_timers (SottoStore             *self,
                                                        GError                    **error);
gboolean             _sotto_store_add_message_timer    (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        const char                 *id,
                                                        guint                       seconds,
                                                        gint64                      expires_at,
                                                        GError                    **error);
gboolean             _sotto_store_time_outgoing        (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        SottoMessageRecord         *record,
                                                        GError                    **error);
gboolean             _sotto_store_start_countdowns     (SottoStore                 *self,
                                                        gint64                      conversation_id,
                                                        gint64                      now,
                                                        GError                    **error);
gboolean             _sotto_store_next_expiry          (SottoStore                 *self,
                                                        gint64                     *expires_at,
                                                        GError                    **error);
GPtrArray           *_sotto_store_list_expired         (SottoStore                 *self,
                                                        gint64                      now,
                                                        guint                       limit,
                                                        GError                    **error);

G_END_DECLS
