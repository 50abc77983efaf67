/* sotto-protocol-state.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-protocol-state"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-prekeys.h"
#include "sp-session.h"

#include "sotto-account-private.h"
#include "sotto-engine-private.h"
#include "sotto-protocol-state-private.h"

/* What the session core keeps, in the profile's database: the identity
 * keys of other devices, the sessions with them, and this device's
 * prekeys (the tables messenger_* in sotto-store-schema.c).  Every key
 * and record is sealed; addresses are found by keyed hash, so the
 * database names no account in the clear.  The callbacks run on the
 * store's thread, inside the transaction of the messenger job that calls
 * the session core, and never start one of their own: a job that fails
 * rolls everything back. */

#define ADDRESS_MAX 64

/* Buffers for decoded prekeys and session records live in guarded
 * memory: they hold private keys.  Taking and giving back guarded memory
 * costs several system calls (mmap, mprotect, mlock and their undoing),
 * and a message needs a few such buffers: the store's thread keeps one
 * and reuses it, wiped after every use. */
static guint8 *
scratch_take (SottoProtocolState *self,
              gsize               size)
{
  if (self->scratch_busy)
    return _sotto_secure_alloc (size);

  if (size > self->scratch_size)
    {
      g_clear_pointer (&self->scratch, sodium_free);
      self->scratch_size = MAX (size, 2 * self->scratch_size);
      self->scratch = _sotto_secure_alloc (self->scratch_size);
    }

  self->scratch_busy = TRUE;

  return self->scratch;
}

static void
scratch_release (SottoProtocolState *self,
                 guint8             *buffer)
{
  if (buffer != self->scratch)
    {
      sodium_free (buffer);
      return;
    }

  sodium_memzero (self->scratch, self->scratch_size);
  self->scratch_busy = FALSE;
}

static int
store_error (GError     *error,
             const char *what)
{
  g_debug ("%s: %s", what, error->message);
  g_error_free (error);

  return SP_ERR_STORE;
}

static gsize
format_address (char             out[ADDRESS_MAX],
                const SpAddress *address)
{
  return g_snprintf (out, ADDRESS_MAX, "%s.%u", address->name, address->device_id);
}

/* The row id of @address in @table ("messenger_identities" or
 * "messenger_sessions"), or 0. */
static gboolean
find_address (SottoStore       *store,
              const char       *sql,
              const char       *table,
              const SpAddress  *address,
              gint64           *id,
              GError          **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  char name[ADDRESS_MAX];
  gsize len = format_address (name, address);
  int rc;

  statement = _sotto_store_prepare (store, sql, error);
  if (statement == NULL)
    return FALSE;

  _sotto_store_bind_lookup_hash (store, statement, 1, table, "address", name, len);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_ROW)
    *id = sqlite3_column_int64 (statement, 0);
  else if (rc == SQLITE_DONE)
    *id = 0;
  else
    {
      _sotto_store_set_sqlite_error (store, rc, _("Could not read the database"), error);
      return FALSE;
    }

  return TRUE;
}

/* Reads the sealed column 0 of the row @id that @sql selects into
 * guarded memory, to be given back with scratch_release(); *found is
 * FALSE when there is no such row. */
static guint8 *
read_sealed (SottoProtocolState  *self,
             const char          *sql,
             const char          *table,
             const char          *column,
             gint64               id,
             gsize               *len,
             gboolean            *found,
             GError             **error)
{
  SottoStore *store = self->store;
  g_autoptr(SottoStoreStatement) statement = NULL;
  guint8 *plain;
  gsize size;
  int rc;

  statement = _sotto_store_prepare (store, sql, error);
  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, id);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    {
      *found = FALSE;
      return NULL;
    }
  else if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (store, rc, _("Could not read the database"), error);
      return NULL;
    }

  *found = TRUE;
  size = MAX (sqlite3_column_bytes (statement, 0), SOTTO_STORE_SEAL_OVERHEAD);
  plain = scratch_take (self, size);

  if (!_sotto_store_column_unseal (store, statement, 0, table, column, id, plain, size, len, error))
    {
      scratch_release (self, plain);
      return NULL;
    }

  return plain;
}

/* Identities */

static int
get_identity_key_pair (void      *user_data,
                       SpKeyPair *out)
{
  SottoProtocolState *self = user_data;

  memcpy (out, self->identity, sizeof *out);

  return SP_OK;
}

static int
get_local_registration_id (void     *user_data,
                           uint32_t *out)
{
  SottoProtocolState *self = user_data;

  *out = self->registration_id;

  return SP_OK;
}

static int
get_identity (void            *user_data,
              const SpAddress *address,
              SpPublicKey     *out,
              bool            *found)
{
  SottoProtocolState *self = user_data;
  GError *error = NULL;
  gboolean row_found = FALSE;
  guint8 *key;
  gsize len = 0;
  gint64 id;

  if (!find_address (self->store, "SELECT id FROM messenger_identities WHERE address_hash = ?1",
                     "messenger_identities", address, &id, &error))
    return store_error (error, "Could not find an identity");

  if (id == 0)
    {
      *found = false;
      return SP_OK;
    }

  key = read_sealed (self, "SELECT identity_key FROM messenger_identities WHERE id = ?1",
                     "messenger_identities", "identity_key", id, &len, &row_found, &error);
  if (key == NULL && error != NULL)
    return store_error (error, "Could not read an identity");

  if (key == NULL || len != SP_PUBLIC_KEY_SIZE || sp_public_key_decode (out, key, len) != SP_OK)
    {
      if (key != NULL)
        scratch_release (self, key);
      return SP_ERR_STORE;
    }

  scratch_release (self, key);
  *found = true;

  return SP_OK;
}

static int
save_identity (void              *user_data,
               const SpAddress   *address,
               const SpPublicKey *key)
{
  SottoProtocolState *self = user_data;
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *error = NULL;
  char name[ADDRESS_MAX];
  gsize len = format_address (name, address);
  gint64 id;

  if (!find_address (self->store, "SELECT id FROM messenger_identities WHERE address_hash = ?1",
                     "messenger_identities", address, &id, &error))
    return store_error (error, "Could not find an identity");

  if (id == 0
      && !_sotto_store_next_id (self->store, "SELECT IFNULL(MAX(id), 0) + 1 FROM messenger_identities",
                                &id, &error))
    return store_error (error, "Could not store an identity");

  statement = _sotto_store_prepare (self->store,
                                    "INSERT OR REPLACE INTO messenger_identities (id, address_hash, identity_key)"
                                    " VALUES (?1, ?2, ?3)",
                                    &error);
  if (statement == NULL)
    return store_error (error, "Could not store an identity");

  sqlite3_bind_int64 (statement, 1, id);
  _sotto_store_bind_lookup_hash (self->store, statement, 2, "messenger_identities", "address", name, len);

  if (!_sotto_store_bind_sealed (self->store, statement, 3, "messenger_identities", "identity_key", id,
                                 key->bytes, SP_PUBLIC_KEY_SIZE, &error)
      || !_sotto_store_step_done (self->store, statement, &error))
    return store_error (error, "Could not store an identity");

  return SP_OK;
}

/* Receiving is never blocked by a key change: the session core saves the
 * new key once the message decrypted, and the inbox applies the
 * key-change rules to it in the same transaction, before anything is
 * committed (sotto-inbox-decrypt.c).  Sending is blocked until the
 * messenger stores the new key after checking that the user let it
 * through. */
static int
is_trusted_identity (void              *user_data,
                     const SpAddress   *address,
                     const SpPublicKey *key,
                     SpDirection        direction,
                     bool              *trusted)
{
  SpPublicKey saved;
  bool found = false;
  int rc;

  if (direction == SP_DIRECTION_RECEIVING)
    {
      *trusted = true;
      return SP_OK;
    }

  rc = get_identity (user_data, address, &saved, &found);
  if (rc != SP_OK)
    return rc;

  *trusted = !found || sodium_memcmp (saved.bytes, key->bytes, SP_PUBLIC_KEY_SIZE) == 0;

  return SP_OK;
}

/* Prekeys */

/* The kinds of prekey, each in a table of its own that holds one sealed
 * record a key. */
typedef enum
{
  PRE_KEY,
  SIGNED_PRE_KEY,
  KYBER_PRE_KEY,
} PreKeyKind;

/* Reads prekey @id of @kind and decodes it into @out: the SpPreKey,
 * SpSignedPreKey or SpKyberPreKey that @kind names. */
static int
load_record (SottoProtocolState *self,
             PreKeyKind          kind,
             uint32_t            id,
             gpointer            out)
{
  static const char * const tables[] = {
    [PRE_KEY] = "messenger_pre_keys",
    [SIGNED_PRE_KEY] = "messenger_signed_pre_keys",
    [KYBER_PRE_KEY] = "messenger_kyber_pre_keys",
  };
  /* Whole statements rather than ones built from the table name: the
   * store caches statements by the address of their SQL. */
  static const char * const queries[] = {
    [PRE_KEY] = "SELECT record FROM messenger_pre_keys WHERE id = ?1",
    [SIGNED_PRE_KEY] = "SELECT record FROM messenger_signed_pre_keys WHERE id = ?1",
    [KYBER_PRE_KEY] = "SELECT record FROM messenger_kyber_pre_keys WHERE id = ?1",
  };
  GError *error = NULL;
  gboolean found = FALSE;
  guint8 *record;
  gsize len = 0;
  int rc;

  record = read_sealed (self, queries[kind], tables[kind], "record", id, &len, &found, &error);
  if (record == NULL && error != NULL)
    return store_error (error, "Could not read a prekey");
  if (!found)
    return SP_ERR_MISSING_PREKEY;

  if (kind == PRE_KEY)
    rc = sp_pre_key_decode (out, record, len);
  else if (kind == SIGNED_PRE_KEY)
    rc = sp_signed_pre_key_decode (out, record, len);
  else
    rc = sp_kyber_pre_key_decode (out, record, len);
  scratch_release (self, record);

  return rc == SP_OK ? SP_OK : SP_ERR_STORE;
}

static int
load_pre_key (void     *user_data,
              uint32_t  id,
              SpPreKey *out)
{
  return load_record (user_data, PRE_KEY, id, out);
}

static int
remove_pre_key (void     *user_data,
                uint32_t  id)
{
  SottoProtocolState *self = user_data;
  GError *error = NULL;

  if (!_sotto_store_exec_int64 (self->store, "DELETE FROM messenger_pre_keys WHERE id = ?1", id, &error))
    return store_error (error, "Could not remove a prekey");

  return SP_OK;
}

static int
load_signed_pre_key (void           *user_data,
                     uint32_t        id,
                     SpSignedPreKey *out)
{
  return load_record (user_data, SIGNED_PRE_KEY, id, out);
}

static int
load_kyber_pre_key (void          *user_data,
                    uint32_t       id,
                    SpKyberPreKey *out)
{
  return load_record (user_data, KYBER_PRE_KEY, id, out);
}

static int
mark_kyber_pre_key_used (void              *user_data,
                         uint32_t           kyber_id,
                         uint32_t           signed_pre_key_id,
                         const SpPublicKey *base_key)
{
  SottoProtocolState *self = user_data;
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *error = NULL;
  guint8 base_key_id[16];
  int rc;

  statement = _sotto_store_prepare (self->store,
                                    "SELECT last_resort FROM messenger_kyber_pre_keys WHERE id = ?1",
                                    &error);
  if (statement == NULL)
    return store_error (error, "Could not read a Kyber prekey");

  sqlite3_bind_int64 (statement, 1, kyber_id);
  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return SP_ERR_MISSING_PREKEY;
  if (rc != SQLITE_ROW)
    return SP_ERR_STORE;

  if (sqlite3_column_int (statement, 0) == 0)
    {
      g_clear_pointer (&statement, _sotto_store_statement_release);
      if (!_sotto_store_exec_int64 (self->store, "DELETE FROM messenger_kyber_pre_keys WHERE id = ?1",
                                    kyber_id, &error))
        return store_error (error, "Could not remove a Kyber prekey");

      return SP_OK;
    }

  /* A last-resort key may be used again, but never with the same base
   * key: that would be a replayed session setup.  The base key is kept
   * as a short hash, enough to tell two apart. */
  g_clear_pointer (&statement, _sotto_store_statement_release);
  crypto_generichash (base_key_id, sizeof base_key_id, base_key->bytes, SP_PUBLIC_KEY_SIZE, NULL, 0);

  statement = _sotto_store_prepare (self->store,
                                    "INSERT INTO messenger_kyber_base_keys (kyber_id, signed_pre_key_id, base_key)"
                                    " VALUES (?1, ?2, ?3)",
                                    &error);
  if (statement == NULL)
    return store_error (error, "Could not record a Kyber prekey use");

  sqlite3_bind_int64 (statement, 1, kyber_id);
  sqlite3_bind_int64 (statement, 2, signed_pre_key_id);
  sqlite3_bind_blob (statement, 3, base_key_id, sizeof base_key_id, SQLITE_TRANSIENT);

  if (!_sotto_store_step_done (self->store, statement, &error))
    {
      if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
        {
          g_error_free (error);
          return SP_ERR_DUPLICATE_MESSAGE;
        }
      return store_error (error, "Could not record a Kyber prekey use");
    }

  return SP_OK;
}

/* Sessions */

static int
load_session (void            *user_data,
              const SpAddress *address,
              SpSessionRecord *record)
{
  SottoProtocolState *self = user_data;
  GError *error = NULL;
  gboolean found = FALSE;
  guint8 *serialized;
  gsize len = 0;
  gint64 id;
  int rc;

  if (!find_address (self->store, "SELECT id FROM messenger_sessions WHERE address_hash = ?1",
                     "messenger_sessions", address, &id, &error))
    return store_error (error, "Could not find a session");

  if (id == 0)
    return SP_ERR_NO_SESSION;

  serialized = read_sealed (self, "SELECT record FROM messenger_sessions WHERE id = ?1",
                            "messenger_sessions", "record", id, &len, &found, &error);
  if (serialized == NULL && error != NULL)
    return store_error (error, "Could not read a session");
  if (!found)
    return SP_ERR_NO_SESSION;

  rc = sp_session_record_deserialize (record, serialized, len);
  scratch_release (self, serialized);

  return rc == SP_OK ? SP_OK : SP_ERR_STORE;
}

static int
store_session (void                  *user_data,
               const SpAddress       *address,
               const SpSessionRecord *record)
{
  SottoProtocolState *self = user_data;
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *error = NULL;
  char name[ADDRESS_MAX];
  gsize address_len = format_address (name, address);
  guint8 *serialized;
  gsize size = 0;
  gsize len = 0;
  gboolean sealed;
  gint64 id;
  int rc;

  rc = sp_session_record_serialized_size (record, &size);
  if (rc != SP_OK)
    return rc;

  serialized = scratch_take (self, size);
  rc = sp_session_record_serialize (record, serialized, size, &len);
  if (rc != SP_OK)
    {
      scratch_release (self, serialized);
      return rc;
    }

  if (!find_address (self->store, "SELECT id FROM messenger_sessions WHERE address_hash = ?1",
                     "messenger_sessions", address, &id, &error)
      || (id == 0
          && !_sotto_store_next_id (self->store, "SELECT IFNULL(MAX(id), 0) + 1 FROM messenger_sessions",
                                    &id, &error)))
    {
      scratch_release (self, serialized);
      return store_error (error, "Could not store a session");
    }

  statement = _sotto_store_prepare (self->store,
                                    "INSERT OR REPLACE INTO messenger_sessions (id, address_hash, name_hash, device_id, record)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5)",
                                    &error);
  if (statement == NULL)
    {
      scratch_release (self, serialized);
      return store_error (error, "Could not store a session");
    }

  sqlite3_bind_int64 (statement, 1, id);
  _sotto_store_bind_lookup_hash (self->store, statement, 2, "messenger_sessions", "address", name, address_len);
  _sotto_store_bind_lookup_hash (self->store, statement, 3, "messenger_sessions", "name",
                                 address->name, strlen (address->name));
  sqlite3_bind_int64 (statement, 4, address->device_id);

  sealed = _sotto_store_bind_sealed (self->store, statement, 5, "messenger_sessions", "record", id,
                                     serialized, len, &error);
  scratch_release (self, serialized);

  if (!sealed || !_sotto_store_step_done (self->store, statement, &error))
    return store_error (error, "Could not store a session");

  return SP_OK;
}

SottoProtocolState *
_sotto_protocol_state_new (SottoStore   *store,
                           SottoAccount *account)
{
  SottoProtocolState *self = g_atomic_rc_box_new0 (SottoProtocolState);

  self->store = g_object_ref (store);
  self->identity = _sotto_secure_alloc (sizeof (SpKeyPair));
  _sotto_protocol_state_set_identity (self, sotto_account_get_identity_key_pair (account),
                                      sotto_account_get_registration_id (account));
  self->local_name = g_strdup (sotto_account_get_uuid (account));
  self->local_device_id = sotto_account_get_device_id (account);
  self->ciphers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) sp_session_cipher_free);

  return self;
}

SottoProtocolState *
_sotto_protocol_state_ref (SottoProtocolState *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
protocol_state_clear (SottoProtocolState *self)
{
  g_clear_pointer (&self->ciphers, g_hash_table_unref);
  g_clear_pointer (&self->group_cipher, sp_group_cipher_free);
  g_clear_pointer (&self->local_name, g_free);
  g_clear_pointer (&self->identity, sodium_free);
  g_clear_pointer (&self->scratch, sodium_free);
  g_clear_object (&self->store);
}

void
_sotto_protocol_state_unref (SottoProtocolState *self)
{
  if (self != NULL)
    g_atomic_rc_box_release_full (self, (GDestroyNotify) protocol_state_clear);
}

static char *
cipher_key (const char *uuid,
            guint       device_id)
{
  return g_strdup_printf ("%s.%u", uuid, device_id);
}

/* The cipher for the device @uuid.@device_id, made on first use and
 * kept: it caches what the session core would otherwise read again. */
SpSessionCipher *
_sotto_protocol_state_get_cipher (SottoProtocolState  *self,
                                  const char          *uuid,
                                  guint                device_id,
                                  GError             **error)
{
  g_autofree char *key = cipher_key (uuid, device_id);
  SpSessionCipher *cipher;
  SpStore store;
  SpAddress local = { self->local_name, self->local_device_id };
  SpAddress remote = { uuid, device_id };
  int rc;

  cipher = g_hash_table_lookup (self->ciphers, key);
  if (cipher != NULL)
    return cipher;

  _sotto_protocol_state_get_interface (self, &store);
  rc = sp_session_cipher_new (&cipher, &store, &local, &remote);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not set up a session"));
      return NULL;
    }

  g_hash_table_insert (self->ciphers, g_steal_pointer (&key), cipher);

  return cipher;
}

void
_sotto_protocol_state_drop_cipher (SottoProtocolState *self,
                                   const char         *uuid,
                                   guint               device_id)
{
  g_autofree char *key = cipher_key (uuid, device_id);

  g_hash_table_remove (self->ciphers, key);
}

/* Forgets every cipher, for a new identity whose sessions start over. */
void
_sotto_protocol_state_forget_ciphers (SottoProtocolState *self)
{
  g_hash_table_remove_all (self->ciphers);
}

void
_sotto_protocol_state_set_identity (SottoProtocolState *self,
                                    const SpKeyPair    *identity,
                                    guint32             registration_id)
{
  memcpy (self->identity, identity, sizeof *identity);
  self->registration_id = registration_id;
}

void
_sotto_protocol_state_get_interface (SottoProtocolState *self,
                                     SpStore            *out)
{
  memset (out, 0, sizeof *out);
  out->user_data = self;
  out->get_identity_key_pair = get_identity_key_pair;
  out->get_local_registration_id = get_local_registration_id;
  out->get_identity = get_identity;
  out->save_identity = save_identity;
  out->is_trusted_identity = is_trusted_identity;
  out->load_pre_key = load_pre_key;
  out->remove_pre_key = remove_pre_key;
  out->load_signed_pre_key = load_signed_pre_key;
  out->load_kyber_pre_key = load_kyber_pre_key;
  out->mark_kyber_pre_key_used = mark_kyber_pre_key_used;
  out->load_session = load_session;
  out->store_session = store_session;
  _sotto_protocol_state_add_sender_keys (out);
}

/* The session core's tables, for the messenger */

gboolean
_sotto_protocol_state_load_key_state (SottoStore     *store,
                                      SottoKeyState  *state,
                                      GError        **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (store,
                                    "SELECT next_pre_key_id, next_kyber_pre_key_id, next_signed_pre_key_id,"
                                    "       signed_pre_key_rotated_at, last_resort_rotated_at"
                                    " FROM messenger_keys WHERE id = 1",
                                    error);
  if (statement == NULL
      || !_sotto_store_step_row (store, statement, error, _("Could not read the prekey state"),
                                 _("The profile has no prekeys")))
    return FALSE;

  state->next_pre_key_id = CLAMP (sqlite3_column_int64 (statement, 0), 1, 0xffffff);
  state->next_kyber_pre_key_id = CLAMP (sqlite3_column_int64 (statement, 1), 1, 0xffffff);
  state->next_signed_pre_key_id = CLAMP (sqlite3_column_int64 (statement, 2), 1, 0xffffff);
  state->signed_pre_key_rotated_at = sqlite3_column_int64 (statement, 3);
  state->last_resort_rotated_at = sqlite3_column_int64 (statement, 4);

  return TRUE;
}

/* Stores a sealed prekey record; @last_resort is -1 for the tables
 * without that column. */
static gboolean
save_record (SottoStore    *store,
             const char    *sql,
             const char    *table,
             guint32        id,
             const guint8  *record,
             gsize          len,
             gint64         created_at,
             int            last_resort,
             GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (store, sql, error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, id);
  if (!_sotto_store_bind_sealed (store, statement, 2, table, "record", id, record, len, error))
    return FALSE;
  sqlite3_bind_int64 (statement, 3, created_at);
  if (last_resort >= 0)
    sqlite3_bind_int (statement, 4, last_resort);

  return _sotto_store_step_done (store, statement, error);
}

/* Removes signed and last-resort prekeys that were replaced longer ago
 * than the grace period: a message built on them is too old by now. */
static gboolean
expire_rotated_keys (SottoStore           *store,
                     const SottoKeyState  *state,
                     GError              **error)
{
  gint64 limit;

  limit = MIN (state->signed_pre_key_rotated_at, state->last_resort_rotated_at) - SOTTO_KEY_GRACE_MS;

  return _sotto_store_exec_int64 (store, "DELETE FROM messenger_signed_pre_keys WHERE created_at < ?1",
                                  limit, error)
         && _sotto_store_exec_int64 (store,
                                     "DELETE FROM messenger_kyber_pre_keys WHERE last_resort = 1 AND created_at < ?1",
                                     limit, error);
}

/* Stores @batch and @state, inside the caller's transaction. */
gboolean
_sotto_protocol_state_save_keys (SottoStore           *store,
                                 const SottoKeyBatch  *batch,
                                 const SottoKeyState  *state,
                                 GError              **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  guint8 *record;
  gboolean saved = TRUE;
  gsize len;

  record = _sotto_secure_alloc (SP_KYBER_PRE_KEY_RECORD_MAX);

  if (batch->signed_pre_key != NULL)
    saved = sp_signed_pre_key_encode (batch->signed_pre_key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len) == SP_OK
            && save_record (store,
                            "INSERT OR REPLACE INTO messenger_signed_pre_keys (id, record, created_at)"
                            " VALUES (?1, ?2, ?3)",
                            "messenger_signed_pre_keys", batch->signed_pre_key->id, record, len,
                            batch->signed_pre_key->timestamp, -1, error);

  if (saved && batch->last_resort != NULL)
    saved = sp_kyber_pre_key_encode (batch->last_resort, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len) == SP_OK
            && save_record (store,
                            "INSERT OR REPLACE INTO messenger_kyber_pre_keys (id, record, created_at, last_resort)"
                            " VALUES (?1, ?2, ?3, ?4)",
                            "messenger_kyber_pre_keys", batch->last_resort->id, record, len,
                            batch->last_resort->timestamp, TRUE, error);

  for (guint i = 0; saved && i < batch->pre_keys->len; i++)
    {
      const SpPreKey *key = g_ptr_array_index (batch->pre_keys, i);

      saved = sp_pre_key_encode (key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len) == SP_OK
              && save_record (store,
                              "INSERT OR REPLACE INTO messenger_pre_keys (id, record, created_at)"
                              " VALUES (?1, ?2, ?3)",
                              "messenger_pre_keys", key->id, record, len, key->timestamp, -1, error);
    }

  for (guint i = 0; saved && i < batch->kyber_pre_keys->len; i++)
    {
      const SpKyberPreKey *key = g_ptr_array_index (batch->kyber_pre_keys, i);

      saved = sp_kyber_pre_key_encode (key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len) == SP_OK
              && save_record (store,
                              "INSERT OR REPLACE INTO messenger_kyber_pre_keys (id, record, created_at, last_resort)"
                              " VALUES (?1, ?2, ?3, ?4)",
                              "messenger_kyber_pre_keys", key->id, record, len, key->timestamp, FALSE, error);
    }

  sodium_free (record);

  if (!saved)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                             _("Could not encode a prekey"));
      return FALSE;
    }

  statement = _sotto_store_prepare (store,
                                    "INSERT OR REPLACE INTO messenger_keys"
                                    " (id, next_pre_key_id, next_kyber_pre_key_id, next_signed_pre_key_id,"
                                    "  signed_pre_key_rotated_at, last_resort_rotated_at)"
                                    " VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, state->next_pre_key_id);
  sqlite3_bind_int64 (statement, 2, state->next_kyber_pre_key_id);
  sqlite3_bind_int64 (statement, 3, state->next_signed_pre_key_id);
  sqlite3_bind_int64 (statement, 4, state->signed_pre_key_rotated_at);
  sqlite3_bind_int64 (statement, 5, state->last_resort_rotated_at);

  if (!_sotto_store_step_done (store, statement, error))
    return FALSE;

  return expire_rotated_keys (store, state, error);
}

/* Stores new keys and the ids that come after them, in one transaction
 * of their own, on the store's thread. */
gboolean
_sotto_protocol_state_store_keys (SottoStore           *store,
                                  const SottoKeyBatch  *batch,
                                  const SottoKeyState  *state,
                                  GError              **error)
{
  if (!_sotto_store_begin (store, error))
    return FALSE;

  if (!_sotto_protocol_state_save_keys (store, batch, state, error))
    {
      _sotto_store_rollback (store);
      return FALSE;
    }

  return _sotto_store_commit (store, error);
}

/* The devices of account @uuid there are sessions with. */
GArray *
_sotto_protocol_state_list_devices (SottoStore  *store,
                                    const char  *uuid,
                                    GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (guint));
  int rc;

  statement = _sotto_store_prepare (store,
                                    "SELECT device_id FROM messenger_sessions WHERE name_hash = ?1"
                                    " ORDER BY device_id",
                                    error);
  if (statement == NULL)
    return NULL;

  _sotto_store_bind_lookup_hash (store, statement, 1, "messenger_sessions", "name", uuid, strlen (uuid));

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      guint device_id = CLAMP (sqlite3_column_int64 (statement, 0), 0, G_MAXUINT32);

      g_array_append_val (devices, device_id);
    }

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (store, rc, _("Could not read the sessions"), error);
      return NULL;
    }

  return g_steal_pointer (&devices);
}

gboolean
_sotto_protocol_state_delete_session (SottoStore  *store,
                                      const char  *uuid,
                                      guint        device_id,
                                      GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  SpAddress address = { uuid, device_id };
  char name[ADDRESS_MAX];
  gsize len = format_address (name, &address);

  statement = _sotto_store_prepare (store, "DELETE FROM messenger_sessions WHERE address_hash = ?1", error);
  if (statement == NULL)
    return FALSE;

  _sotto_store_bind_lookup_hash (store, statement, 1, "messenger_sessions", "address", name, len);

  return _sotto_store_step_done (store, statement, error);
}

/* Drops every session and every prekey: the identity they belong to is
 * being replaced.  Inside the caller's transaction. */
gboolean
_sotto_protocol_state_clear_sessions (SottoStore  *store,
                                      GError     **error)
{
  return _sotto_store_exec (store,
                            "DELETE FROM messenger_sessions;"
                            "DELETE FROM messenger_pre_keys;"
                            "DELETE FROM messenger_signed_pre_keys;"
                            "DELETE FROM messenger_kyber_pre_keys;"
                            "DELETE FROM messenger_kyber_base_keys;",
                            error);
}
