/* sotto-protocol-state-sender-keys.c: the session core's sender keys in
 * the encrypted store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <sqlite3.h>

#include "sp-error.h"
#include "sp-sender-key.h"

#include "sotto-engine-private.h"
#include "sotto-protocol-state-private.h"

/* Sender key records (groups, docs/messenger.md) are rows of
 * group_sender_keys: one per sender device and distribution id, found
 * by a keyed hash of both, the record sealed.  A record holds chain
 * keys, and our own a private signing key: it is read into guarded
 * memory, which is wiped when it is given back.  On the store's thread
 * only, like the rest of SottoProtocolState. */

#define KEY_MAX 128

static gsize
format_key (char             out[KEY_MAX],
            const SpAddress *sender,
            const uint8_t    distribution_id[SP_DISTRIBUTION_ID_SIZE])
{
  gsize len = g_snprintf (out, KEY_MAX, "%s.%u/", sender->name, sender->device_id);

  for (guint i = 0; i < SP_DISTRIBUTION_ID_SIZE && len + 2 < KEY_MAX; i++)
    len += g_snprintf (out + len, KEY_MAX - len, "%02x", distribution_id[i]);

  return len;
}

static int
store_failed (GError     *error,
              const char *what)
{
  g_debug ("%s: %s", what, error->message);
  g_error_free (error);

  return SP_ERR_STORE;
}

static int
load_sender_key (void              *user_data,
                 const SpAddress   *sender,
                 const uint8_t      distribution_id[SP_DISTRIBUTION_ID_SIZE],
                 SpSenderKeyRecord *record)
{
  SottoProtocolState *self = user_data;
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *error = NULL;
  char key[KEY_MAX];
  gsize key_len = format_key (key, sender, distribution_id);
  guint8 *plain;
  gsize size;
  gsize len = 0;
  gint64 id;
  int rc;

  statement = _sotto_store_prepare (self->store, "SELECT id, record FROM group_sender_keys WHERE key_hash = ?1",
                                    &error);
  if (statement == NULL)
    return store_failed (error, "Could not read a sender key");
  _sotto_store_bind_lookup_hash (self->store, statement, 1, "group_sender_keys", "key", key, key_len);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return SP_ERR_NO_SENDER_KEY;
  if (rc != SQLITE_ROW)
    return SP_ERR_STORE;

  id = sqlite3_column_int64 (statement, 0);
  size = MAX (sqlite3_column_bytes (statement, 1), 1);
  plain = _sotto_secure_alloc (size);
  if (!_sotto_store_column_unseal (self->store, statement, 1, "group_sender_keys", "record", id,
                                   plain, size, &len, &error))
    {
      sodium_free (plain);
      return store_failed (error, "Could not read a sender key");
    }

  rc = sp_sender_key_record_deserialize (record, plain, len);
  sodium_free (plain);

  return rc == SP_OK ? SP_OK : SP_ERR_STORE;
}

static int
store_sender_key (void                    *user_data,
                  const SpAddress         *sender,
                  const uint8_t            distribution_id[SP_DISTRIBUTION_ID_SIZE],
                  const SpSenderKeyRecord *record)
{
  SottoProtocolState *self = user_data;
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *error = NULL;
  char key[KEY_MAX];
  gsize key_len = format_key (key, sender, distribution_id);
  guint8 *serialized;
  gsize size = 0;
  gsize len = 0;
  gboolean sealed;
  gint64 id = 0;
  int rc;

  rc = sp_sender_key_record_serialized_size (record, &size);
  if (rc != SP_OK)
    return rc;

  statement = _sotto_store_prepare (self->store, "SELECT id FROM group_sender_keys WHERE key_hash = ?1", &error);
  if (statement == NULL)
    return store_failed (error, "Could not store a sender key");
  _sotto_store_bind_lookup_hash (self->store, statement, 1, "group_sender_keys", "key", key, key_len);
  rc = sqlite3_step (statement);
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (statement, 0);
  else if (rc != SQLITE_DONE)
    return SP_ERR_STORE;
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (id == 0 && !_sotto_store_next_id (self->store, "SELECT IFNULL (MAX (id), 0) + 1 FROM group_sender_keys",
                                        &id, &error))
    return store_failed (error, "Could not store a sender key");

  statement = _sotto_store_prepare (self->store,
                                    "INSERT OR REPLACE INTO group_sender_keys (id, key_hash, record)"
                                    " VALUES (?1, ?2, ?3)",
                                    &error);
  if (statement == NULL)
    return store_failed (error, "Could not store a sender key");

  serialized = _sotto_secure_alloc (size);
  rc = sp_sender_key_record_serialize (record, serialized, size, &len);
  if (rc != SP_OK)
    {
      sodium_free (serialized);
      return rc;
    }

  sqlite3_bind_int64 (statement, 1, id);
  _sotto_store_bind_lookup_hash (self->store, statement, 2, "group_sender_keys", "key", key, key_len);
  sealed = _sotto_store_bind_sealed (self->store, statement, 3, "group_sender_keys", "record", id,
                                     serialized, len, &error);
  sodium_free (serialized);

  if (!sealed || !_sotto_store_step_done (self->store, statement, &error))
    return store_failed (error, "Could not store a sender key");

  return SP_OK;
}

void
_sotto_protocol_state_add_sender_keys (SpStore *out)
{
  out->load_sender_key = load_sender_key;
  out->store_sender_key = store_sender_key;
}

/* The group cipher of this device, made on first use and kept. */
SpGroupCipher *
_sotto_protocol_state_get_group_cipher (SottoProtocolState  *self,
                                        GError             **error)
{
  SpAddress local = { self->local_name, self->local_device_id };
  SpStore store;
  int rc;

  if (self->group_cipher != NULL)
    return self->group_cipher;

  _sotto_protocol_state_get_interface (self, &store);
  rc = sp_group_cipher_new (&self->group_cipher, &store, &local);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not set up a group’s keys"));
      return NULL;
    }

  return self->group_cipher;
}
