/* sotto-store-records.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"

#include "sotto-content-private.h"
#include "sotto-engine-private.h"
#include "sotto-message.h"
#include "sotto-store-attachments-private.h"
#include "sotto-store-private.h"

/* The rows behind the models (sotto-records-private.h).  Each function
 * runs on the store's thread and writes in one transaction; sealed
 * columns are bound to their row id, so rows get their id before they
 * are written.  The models are built from the rows on the main thread. */

/* The partial index messages_unread and _sotto_store_mark_read() spell
 * these values out, because SQLite only uses a partial index for a query
 * that names the same constants. */
G_STATIC_ASSERT (SOTTO_MESSAGE_DIRECTION_INCOMING == 0);
G_STATIC_ASSERT (SOTTO_MESSAGE_STATE_DELIVERED == 2);
G_STATIC_ASSERT (SOTTO_MESSAGE_STATE_READ == 3);

#define IDENTITY_RECORD_SIZE (SP_PUBLIC_KEY_SIZE + SP_PRIVATE_KEY_SIZE)

static void
set_corrupt_error (GError     **error,
                   const char  *message)
{
  g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT, message);
}

gboolean
_sotto_store_save_account (SottoStore             *self,
                           const SottoAccountRecord  *account,
                           GError                **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  const SpKeyPair *identity = account->identity;
  guint8 *record;
  gboolean sealed;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (account != NULL, FALSE);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR REPLACE INTO account"
                                    " (id, uuid, username, device_id, registration_id, relay_url, password, identity,"
                                    "  relay_ca)"
                                    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                    error);
  if (statement == NULL)
    return FALSE;

  record = sodium_malloc (IDENTITY_RECORD_SIZE);
  if (record == NULL)
    g_error ("Could not allocate guarded memory for a key pair");
  memcpy (record, identity->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  memcpy (record + SP_PUBLIC_KEY_SIZE, identity->private_key.bytes, SP_PRIVATE_KEY_SIZE);

  sealed = _sotto_store_bind_sealed (self, statement, 7, "account", "identity", 1,
                                     record, IDENTITY_RECORD_SIZE, error);
  sodium_free (record);

  if (!sealed
      || !_sotto_store_bind_sealed_string (self, statement, 1, "account", "uuid", 1,
                                           account->uuid, error)
      || !_sotto_store_bind_sealed_string (self, statement, 2, "account", "username", 1,
                                           account->username, error)
      || !_sotto_store_bind_sealed_string (self, statement, 5, "account", "relay_url", 1,
                                           account->relay_url, error)
      || !_sotto_store_bind_sealed_string (self, statement, 6, "account", "password", 1,
                                           account->password, error)
      || !_sotto_store_bind_sealed_string (self, statement, 8, "account", "relay_ca", 1,
                                           account->relay_ca, error))
    return FALSE;

  sqlite3_bind_int64 (statement, 3, account->device_id);
  sqlite3_bind_int64 (statement, 4, account->registration_id);

  return _sotto_store_step_done (self, statement, error);
}

SottoAccountRecord *
_sotto_store_load_account (SottoStore  *self,
                           GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *username = NULL;
  g_autofree char *relay_url = NULL;
  g_autofree char *relay_ca = NULL;
  SottoAccountRecord *account = NULL;
  SpKeyPair *identity = NULL;
  guint8 *record = NULL;
  char *password = NULL;
  gsize record_len = 0;
  gsize password_len = 0;
  gsize password_size;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT uuid, username, device_id, registration_id, relay_url, password, identity,"
                                    "  relay_ca"
                                    " FROM account WHERE id = 1",
                                    error);
  if (statement == NULL
      || !_sotto_store_step_row (self, statement, error, _("Could not read the account"),
                                 _("The profile has no account yet")))
    return NULL;

  /* The secrets go from the database straight into guarded memory. */
  record = sodium_malloc (IDENTITY_RECORD_SIZE);
  identity = sodium_malloc (sizeof *identity);
  password_size = sqlite3_column_bytes (statement, 5) + 1;
  password = sodium_malloc (password_size);
  if (record == NULL || identity == NULL || password == NULL)
    g_error ("Could not allocate guarded memory for the account");

  if (!_sotto_store_column_unseal_string (self, statement, 0, "account", "uuid", 1, &uuid, error)
      || !_sotto_store_column_unseal_string (self, statement, 1, "account", "username", 1, &username, error)
      || !_sotto_store_column_unseal_string (self, statement, 4, "account", "relay_url", 1, &relay_url, error)
      || !_sotto_store_column_unseal_string (self, statement, 7, "account", "relay_ca", 1, &relay_ca, error)
      || !_sotto_store_column_unseal (self, statement, 6, "account", "identity", 1,
                                      record, IDENTITY_RECORD_SIZE, &record_len, error))
    goto out;

  if (sqlite3_column_type (statement, 5) != SQLITE_NULL
      && !_sotto_store_column_unseal (self, statement, 5, "account", "password", 1,
                                      (guint8 *) password, password_size - 1, &password_len, error))
    goto out;
  password[password_len] = '\0';

  if (uuid == NULL || !g_uuid_string_is_valid (uuid)
      || record_len != IDENTITY_RECORD_SIZE
      || sp_key_pair_from_parts (identity,
                                 record, SP_PUBLIC_KEY_SIZE,
                                 record + SP_PUBLIC_KEY_SIZE, SP_PRIVATE_KEY_SIZE) != SP_OK)
    {
      set_corrupt_error (error, _("A stored account is damaged"));
      goto out;
    }

  account = _sotto_account_record_new (uuid, username,
                                    sqlite3_column_int64 (statement, 2),
                                    sqlite3_column_int64 (statement, 3),
                                    relay_url, relay_ca,
                                    sqlite3_column_type (statement, 5) != SQLITE_NULL ? password : NULL,
                                    identity);

out:
  sodium_free (record);
  sodium_free (identity);
  sodium_free (password);

  return account;
}

SottoConversationRecord *
_sotto_store_add_conversation (SottoStore    *self,
                               const char    *uuid,
                               const char    *username,
                               const char    *name,
                               GBytes        *identity_key,
                               SottoContactStanding standing,
                               GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autofree char *normal_uuid = NULL;
  SottoConversationRecord *row;
  gint64 contact_id;
  gint64 conversation_id;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);
  g_return_val_if_fail (uuid != NULL, NULL);

  normal_uuid = g_ascii_strdown (uuid, -1);

  if (!_sotto_store_begin (self, error))
    return NULL;

  if (!_sotto_store_next_id (self, "SELECT IFNULL(MAX(id), 0) + 1 FROM contacts", &contact_id, error))
    goto fail;

  statement = _sotto_store_prepare (self,
                                    "INSERT INTO contacts"
                                    " (id, uuid_hash, username_hash, uuid, username, name, identity_key, verification, standing)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                    error);
  if (statement == NULL)
    goto fail;

  sqlite3_bind_int64 (statement, 1, contact_id);
  _sotto_store_bind_lookup_hash (self, statement, 2, "contacts", "uuid", normal_uuid, strlen (normal_uuid));
  if (username != NULL)
    _sotto_store_bind_lookup_hash (self, statement, 3, "contacts", "username", username, strlen (username));
  sqlite3_bind_int (statement, 8, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  sqlite3_bind_int (statement, 9, standing);

  if (!_sotto_store_bind_sealed_string (self, statement, 4, "contacts", "uuid", contact_id, normal_uuid, error)
      || !_sotto_store_bind_sealed_string (self, statement, 5, "contacts", "username", contact_id, username, error)
      || !_sotto_store_bind_sealed_string (self, statement, 6, "contacts", "name", contact_id, name, error)
      || (identity_key != NULL
          && !_sotto_store_bind_sealed (self, statement, 7, "contacts", "identity_key", contact_id,
                                        g_bytes_get_data (identity_key, NULL),
                                        g_bytes_get_size (identity_key), error)))
    goto fail;

  if (!_sotto_store_step_done (self, statement, error))
    {
      if (g_error_matches (*error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
        {
          g_clear_error (error);
          g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS,
                               _("A contact with this username or account exists already"));
        }
      goto fail;
    }
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (!_sotto_store_exec_int64 (self, "INSERT INTO conversations (contact_id) VALUES (?1)",
                                contact_id, error))
    goto fail;
  conversation_id = sqlite3_last_insert_rowid (self->db);

  if (!_sotto_store_commit (self, error))
    return NULL;

  row = g_new0 (SottoConversationRecord, 1);
  row->id = conversation_id;
  row->contact.id = contact_id;
  row->contact.uuid = g_steal_pointer (&normal_uuid);
  row->contact.username = g_strdup (username);
  row->contact.name = g_strdup (name);
  row->contact.identity_key = identity_key != NULL ? g_bytes_ref (identity_key) : NULL;
  row->contact.verification = SOTTO_VERIFICATION_STATE_UNVERIFIED;
  row->contact.standing = standing;

  return row;

fail:
  _sotto_store_rollback (self);

  return NULL;
}

/* Reads a message selected with SOTTO_STORE_MESSAGE_COLUMNS. */
SottoMessageRecord *
_sotto_store_read_message (SottoStore           *self,
                           SottoStoreStatement  *statement,
                           GError              **error)
{
  g_autofree char *body = NULL;
  SottoMessageRecord *message;
  gint64 id = sqlite3_column_int64 (statement, 0);
  gint64 position = sqlite3_column_int64 (statement, 1);
  const char *uuid = (const char *) sqlite3_column_text (statement, 2);
  gint64 direction = sqlite3_column_int64 (statement, 3);
  gint64 kind = sqlite3_column_int64 (statement, 4);
  gint64 state = sqlite3_column_int64 (statement, 5);

  if (uuid == NULL
      || position < 0 || position > G_MAXUINT
      || direction < SOTTO_MESSAGE_DIRECTION_INCOMING || direction > SOTTO_MESSAGE_DIRECTION_OUTGOING
      || kind < SOTTO_MESSAGE_KIND_TEXT || kind > SOTTO_MESSAGE_KIND_TIMER_CHANGED
      || state < SOTTO_MESSAGE_STATE_QUEUED || state > SOTTO_MESSAGE_STATE_FAILED)
    {
      set_corrupt_error (error, _("A stored message is damaged"));
      return NULL;
    }

  if (!_sotto_store_column_unseal_string (self, statement, 8, "messages", "body", id, &body, error))
    return NULL;

  message = _sotto_message_record_new (uuid, direction, kind, state,
                                    sqlite3_column_int64 (statement, 6),
                                    sqlite3_column_int64 (statement, 7),
                                    body);
  message->position = position;
  message->sealed = sqlite3_column_int (statement, 15) != 0;
  message->disappears = sqlite3_column_int (statement, 16) != 0;

  if (!_sotto_store_read_message_extras (self, statement, 9, id, message, error)
      || !_sotto_store_load_attachments (self, id, &message->attachments, error))
    {
      _sotto_message_record_free (message);
      return NULL;
    }

  return message;
}

static gpointer
read_message_row (SottoStore           *self,
                  SottoStoreStatement  *statement,
                  GError              **error)
{
  return _sotto_store_read_message (self, statement, error);
}

GPtrArray *
_sotto_store_load_messages (SottoStore  *self,
                            gint64       conversation_id,
                            guint        first,
                            guint        n_messages,
                            GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT " SOTTO_STORE_MESSAGE_COLUMNS " FROM messages"
                                    " WHERE conversation_id = ?1 AND position >= ?2 AND position < ?3"
                                    " ORDER BY position",
                                    error);
  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_int64 (statement, 2, first);
  sqlite3_bind_int64 (statement, 3, (gint64) first + n_messages);

  return _sotto_store_read_rows (self, statement, read_message_row,
                                 (GDestroyNotify) _sotto_message_record_free,
                                 _("Could not read messages"), error);
}

/* Reads a conversation and its contact, selected with the columns of
 * _sotto_store_load_conversations(). */
static gpointer
read_conversation_row (SottoStore           *self,
                       SottoStoreStatement  *statement,
                       GError              **error)
{
  g_autoptr(SottoConversationRecord) row = g_new0 (SottoConversationRecord, 1);
  gint64 contact_id = sqlite3_column_int64 (statement, 0);
  gint64 verification = sqlite3_column_int64 (statement, 5);
  gint64 standing = sqlite3_column_int64 (statement, 10);
  gint64 n_messages = sqlite3_column_int64 (statement, 7);
  gint64 n_unread = sqlite3_column_int64 (statement, 8);

  row->id = sqlite3_column_int64 (statement, 6);
  row->last_activity = sqlite3_column_int64 (statement, 9);
  row->contact.id = contact_id;

  if (!_sotto_store_column_unseal_string (self, statement, 1, "contacts", "uuid", contact_id,
                                          &row->contact.uuid, error)
      || !_sotto_store_column_unseal_string (self, statement, 2, "contacts", "username", contact_id,
                                             &row->contact.username, error)
      || !_sotto_store_column_unseal_string (self, statement, 3, "contacts", "name", contact_id,
                                             &row->contact.name, error)
      || !_sotto_store_column_unseal_bytes (self, statement, 4, "contacts", "identity_key", contact_id,
                                            &row->contact.identity_key, error))
    return NULL;

  if (row->contact.uuid == NULL
      || verification < SOTTO_VERIFICATION_STATE_UNVERIFIED
      || verification > SOTTO_VERIFICATION_STATE_CHANGED
      || standing < SOTTO_CONTACT_STANDING_ACCEPTED
      || standing > SOTTO_CONTACT_STANDING_BLOCKED
      || n_messages < 0 || n_messages > G_MAXUINT
      || n_unread < 0 || n_unread > n_messages
      || row->last_activity < 0)
    {
      set_corrupt_error (error, _("A stored contact is damaged"));
      return NULL;
    }

  row->contact.verification = verification;
  row->contact.standing = standing;
  row->n_messages = n_messages;
  row->n_unread = n_unread;

  return g_steal_pointer (&row);
}

GPtrArray *
_sotto_store_load_conversations (SottoStore  *self,
                                 GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) timers = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT c.id, c.uuid, c.username, c.name, c.identity_key, c.verification,"
                                    "       v.id, v.n_messages, v.n_unread, v.last_activity, c.standing"
                                    " FROM conversations v JOIN contacts c ON c.id = v.contact_id",
                                    error);
  if (statement == NULL)
    return NULL;

  /* The newest message of each conversation is read with another
   * statement once this one is done, so the rows are collected first. */
  rows = _sotto_store_read_rows (self, statement, read_conversation_row,
                                 (GDestroyNotify) _sotto_conversation_record_free,
                                 _("Could not read the conversations"), error);
  if (rows == NULL)
    return NULL;

  g_clear_pointer (&statement, _sotto_store_statement_release);

  timers = _sotto_store_list_conversation_timers (self, error);
  if (timers == NULL)
    return NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      SottoConversationRecord *row = g_ptr_array_index (rows, i);
      g_autoptr(GPtrArray) last = NULL;

      row->timer = GPOINTER_TO_UINT (g_hash_table_lookup (timers, &row->id));

      if (row->n_messages > 0)
        {
          last = _sotto_store_load_messages (self, row->id, row->n_messages - 1, 1, error);
          if (last == NULL)
            return NULL;

          if (last->len != 1)
            {
              set_corrupt_error (error, _("A stored conversation is damaged"));
              return NULL;
            }

          row->last_message = g_ptr_array_steal_index (last, 0);
        }

      if (!_sotto_store_load_draft (self, SOTTO_STORE_DRAFT_CONVERSATION, row->id, &row->draft, error))
        return NULL;
    }

  return g_steal_pointer (&rows);
}

/* Reads the identity key and verification state of a contact; *key is
 * %NULL for a contact whose key is not known yet. */
static gboolean
sotto_store_read_identity (SottoStore              *self,
                           gint64                   contact_id,
                           GBytes                 **key,
                           SottoVerificationState  *state,
                           GError                 **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  gint64 verification;

  statement = _sotto_store_select_by_id (self, "SELECT identity_key, verification FROM contacts WHERE id = ?1",
                                         contact_id, _("Could not read a contact"),
                                         _("The contact does not exist"), error);
  if (statement == NULL)
    return FALSE;

  verification = sqlite3_column_int64 (statement, 1);
  if (verification < SOTTO_VERIFICATION_STATE_UNVERIFIED
      || verification > SOTTO_VERIFICATION_STATE_CHANGED)
    {
      set_corrupt_error (error, _("A stored contact is damaged"));
      return FALSE;
    }

  *state = verification;

  return _sotto_store_column_unseal_bytes (self, statement, 0, "contacts", "identity_key",
                                           contact_id, key, error);
}

gboolean
_sotto_store_set_verification (SottoStore              *self,
                               gint64                   contact_id,
                               GBytes                  *identity_key,
                               int                      from_state,
                               SottoVerificationState   to_state,
                               gboolean                *applied,
                               GError                 **error)
{
  g_autoptr(GBytes) stored_key = NULL;
  SottoVerificationState stored_state;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (identity_key != NULL, FALSE);
  g_return_val_if_fail (applied != NULL, FALSE);

  *applied = FALSE;

  if (!_sotto_store_begin (self, error))
    return FALSE;

  if (!sotto_store_read_identity (self, contact_id, &stored_key, &stored_state, error))
    goto fail;

  /* The user compared the safety number of @identity_key; if the key
   * changed meanwhile, that comparison says nothing about the new one. */
  if (stored_key == NULL || !g_bytes_equal (stored_key, identity_key)
      || (from_state >= 0 && stored_state != (SottoVerificationState) from_state))
    {
      _sotto_store_rollback (self);
      return TRUE;
    }

  if (!_sotto_store_exec_int64_pair (self, "UPDATE contacts SET verification = ?2 WHERE id = ?1",
                                     contact_id, to_state, error))
    goto fail;

  if (!_sotto_store_commit (self, error))
    return FALSE;

  *applied = TRUE;

  return TRUE;

fail:
  _sotto_store_rollback (self);

  return FALSE;
}

/* Inserts @messages at the end of the conversation, inside the caller's
 * transaction, and gives each row the position it got. */
static gboolean
sotto_store_append_messages (SottoStore  *self,
                             gint64       conversation_id,
                             GPtrArray   *messages,
                             GError     **error)
{
  g_autoptr(SottoStoreStatement) insert = NULL;
  g_autoptr(SottoStoreStatement) statement = NULL;
  gint64 n_messages;
  gint64 n_unread;
  gint64 last_activity;
  gint64 id;

  statement = _sotto_store_select_by_id (self,
                                         "SELECT n_messages, n_unread, last_activity FROM conversations WHERE id = ?1",
                                         conversation_id, _("Could not read a conversation"),
                                         _("The conversation does not exist"), error);
  if (statement == NULL)
    return FALSE;

  n_messages = sqlite3_column_int64 (statement, 0);
  n_unread = sqlite3_column_int64 (statement, 1);
  last_activity = sqlite3_column_int64 (statement, 2);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (n_messages + messages->len > G_MAXUINT)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                           _("The conversation is full"));
      return FALSE;
    }

  if (!_sotto_store_next_id (self, "SELECT IFNULL(MAX(id), 0) + 1 FROM messages", &id, error))
    return FALSE;

  insert = _sotto_store_prepare (self,
                                 "INSERT INTO messages"
                                 " (id, conversation_id, position, uuid, direction, kind, state, sent_at, received_at, body)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                 error);
  if (insert == NULL)
    return FALSE;

  for (guint i = 0; i < messages->len; i++, id++)
    {
      SottoMessageRecord *message = g_ptr_array_index (messages, i);

      sqlite3_bind_int64 (insert, 1, id);
      sqlite3_bind_int64 (insert, 2, conversation_id);
      sqlite3_bind_int64 (insert, 3, n_messages);
      sqlite3_bind_text (insert, 4, message->id, -1, SQLITE_STATIC);
      sqlite3_bind_int (insert, 5, message->direction);
      sqlite3_bind_int (insert, 6, message->kind);
      sqlite3_bind_int (insert, 7, message->state);
      sqlite3_bind_int64 (insert, 8, message->sent_at);
      sqlite3_bind_int64 (insert, 9, message->received_at);

      if (!_sotto_store_bind_sealed_string (self, insert, 10, "messages", "body", id,
                                            message->body, error))
        return FALSE;

      if (!_sotto_store_step_done (self, insert, error))
        {
          if (g_error_matches (*error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
            {
              g_clear_error (error);
              g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS,
                           _("The conversation has message %s already"),
                           message->id);
            }
          return FALSE;
        }

      sqlite3_reset (insert);

      if (!_sotto_store_save_quote (self, id, message, error)
          || !_sotto_store_save_attachments (self, id, message, error))
        return FALSE;

      message->position = n_messages++;
      if (message->direction == SOTTO_MESSAGE_DIRECTION_INCOMING
          && message->state == SOTTO_MESSAGE_STATE_DELIVERED)
        n_unread++;
      last_activity = MAX (last_activity, message->received_at);
    }

  statement = _sotto_store_prepare (self,
                                    "UPDATE conversations SET n_messages = ?2, n_unread = ?3, last_activity = ?4"
                                    " WHERE id = ?1",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_int64 (statement, 2, n_messages);
  sqlite3_bind_int64 (statement, 3, n_unread);
  sqlite3_bind_int64 (statement, 4, last_activity);

  return _sotto_store_step_done (self, statement, error);
}

/* Like _sotto_store_insert_messages(), inside the caller's transaction:
 * SottoMessenger stores a message in the transaction that decrypted it. */
gboolean
_sotto_store_append_messages (SottoStore  *self,
                              gint64       conversation_id,
                              GPtrArray   *messages,
                              GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (messages != NULL, FALSE);

  return sotto_store_append_messages (self, conversation_id, messages, error);
}

/* Adds @messages, which nobody else uses yet, to the end of the
 * conversation in one transaction, and gives each its position. */
gboolean
_sotto_store_insert_messages (SottoStore  *self,
                              gint64       conversation_id,
                              GPtrArray   *messages,
                              GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (messages != NULL, FALSE);

  if (!_sotto_store_begin (self, error))
    return FALSE;

  if (!sotto_store_append_messages (self, conversation_id, messages, error))
    {
      _sotto_store_rollback (self);
      return FALSE;
    }

  return _sotto_store_commit (self, error);
}

/* The "safety number changed" event of a conversation. */
static SottoMessageRecord *
sotto_store_new_identity_event (void)
{
  g_autofree char *id = g_uuid_string_random ();
  gint64 now = _sotto_now_ms ();

  return _sotto_message_record_new (id,
                                 SOTTO_MESSAGE_DIRECTION_INCOMING,
                                 SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED,
                                 SOTTO_MESSAGE_STATE_READ,
                                 now, now, NULL);
}

/* Inside the caller's transaction: the key-change rules, decided against
 * what is on disk.  The first key is simply kept.  A different one
 * replaces it, adds a "safety number changed" event to the conversation,
 * returned in @event, and turns a verified contact into a changed one,
 * which holds sending.  *@event is %NULL when there was no change. */
gboolean
_sotto_store_record_identity (SottoStore              *self,
                              gint64                   contact_id,
                              gint64                   conversation_id,
                              GBytes                  *identity_key,
                              SottoVerificationState  *state,
                              SottoMessageRecord     **event,
                              GError                 **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(SottoMessageRecord) added = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GBytes) stored_key = NULL;
  SottoVerificationState stored_state;
  SottoVerificationState new_state;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (identity_key != NULL, FALSE);
  g_return_val_if_fail (event != NULL && *event == NULL, FALSE);

  if (!sotto_store_read_identity (self, contact_id, &stored_key, &stored_state, error))
    return FALSE;

  if (stored_key != NULL && g_bytes_equal (stored_key, identity_key))
    {
      *state = stored_state;
      return TRUE;
    }

  /* A verified contact's new key is held until the user looks at it;
   * otherwise the state stays as it was. */
  if (stored_key != NULL && stored_state == SOTTO_VERIFICATION_STATE_VERIFIED)
    new_state = SOTTO_VERIFICATION_STATE_CHANGED;
  else
    new_state = stored_state;

  statement = _sotto_store_prepare (self,
                                    "UPDATE contacts SET identity_key = ?2, verification = ?3 WHERE id = ?1",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, contact_id);
  sqlite3_bind_int (statement, 3, new_state);

  if (!_sotto_store_bind_sealed (self, statement, 2, "contacts", "identity_key", contact_id,
                                 g_bytes_get_data (identity_key, NULL),
                                 g_bytes_get_size (identity_key), error)
      || !_sotto_store_step_done (self, statement, error))
    return FALSE;

  if (stored_key != NULL)
    {
      added = sotto_store_new_identity_event ();
      events = g_ptr_array_new ();
      g_ptr_array_add (events, added);

      if (!sotto_store_append_messages (self, conversation_id, events, error))
        return FALSE;
    }

  *state = new_state;
  *event = g_steal_pointer (&added);

  return TRUE;
}

/* _sotto_store_record_identity() in a transaction of its own. */
gboolean
_sotto_store_change_identity (SottoStore              *self,
                              gint64                   contact_id,
                              gint64                   conversation_id,
                              GBytes                  *identity_key,
                              SottoVerificationState  *state,
                              SottoMessageRecord     **event,
                              GError                 **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  if (!_sotto_store_begin (self, error))
    return FALSE;

  if (!_sotto_store_record_identity (self, contact_id, conversation_id, identity_key, state, event, error))
    {
      _sotto_store_rollback (self);
      return FALSE;
    }

  if (!_sotto_store_commit (self, error))
    {
      g_clear_pointer (event, _sotto_message_record_free);
      return FALSE;
    }

  return TRUE;
}

gboolean
_sotto_store_set_message_state (SottoStore             *self,
                                gint64                  conversation_id,
                                const char             *id,
                                SottoMessageState       state,
                                SottoStoreStateChange  *change,
                                GError                **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  gint64 row_id;
  gint64 position;
  gint64 direction;
  gint64 old_state;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (change != NULL, FALSE);

  if (!_sotto_store_begin (self, error))
    return FALSE;

  statement = _sotto_store_prepare (self,
                                    "SELECT id, position, direction, state,"
                                    " EXISTS (SELECT 1 FROM sealed_messages WHERE message_id = messages.id)"
                                    " FROM messages WHERE conversation_id = ?1 AND uuid = ?2",
                                    error);
  if (statement == NULL)
    goto fail;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, id, -1, SQLITE_STATIC);

  if (!_sotto_store_step_row (self, statement, error, _("Could not read a message"),
                              _("The conversation has no message %s"), id))
    goto fail;

  row_id = sqlite3_column_int64 (statement, 0);
  position = sqlite3_column_int64 (statement, 1);
  direction = sqlite3_column_int64 (statement, 2);
  old_state = sqlite3_column_int64 (statement, 3);
  change->sealed = sqlite3_column_int (statement, 4) != 0;
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (position < 0 || position > G_MAXUINT
      || direction < SOTTO_MESSAGE_DIRECTION_INCOMING || direction > SOTTO_MESSAGE_DIRECTION_OUTGOING
      || old_state < SOTTO_MESSAGE_STATE_QUEUED || old_state > SOTTO_MESSAGE_STATE_FAILED)
    {
      set_corrupt_error (error, _("A stored message is damaged"));
      goto fail;
    }

  change->position = position;
  change->state = old_state;

  if (sotto_message_state_can_change (direction, old_state, state))
    {
      if (!_sotto_store_exec_int64_pair (self, "UPDATE messages SET state = ?2 WHERE id = ?1",
                                         row_id, state, error))
        goto fail;

      if (direction == SOTTO_MESSAGE_DIRECTION_INCOMING && old_state == SOTTO_MESSAGE_STATE_DELIVERED
          && !_sotto_store_exec_int64 (self,
                                       "UPDATE conversations SET n_unread = n_unread - 1"
                                       " WHERE id = ?1 AND n_unread > 0",
                                       conversation_id, error))
        goto fail;

      change->state = state;
    }

  statement = _sotto_store_prepare (self, "SELECT n_unread FROM conversations WHERE id = ?1", error);
  if (statement == NULL)
    goto fail;

  sqlite3_bind_int64 (statement, 1, conversation_id);

  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a conversation"), error);
      goto fail;
    }
  change->n_unread = CLAMP (sqlite3_column_int64 (statement, 0), 0, G_MAXUINT);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (!_sotto_store_commit (self, error))
    return FALSE;

  return TRUE;

fail:
  _sotto_store_rollback (self);

  return FALSE;
}

GStrv
_sotto_store_mark_read (SottoStore  *self,
                        gint64       conversation_id,
                        GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GStrvBuilder) ids = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  if (!_sotto_store_begin (self, error))
    return NULL;

  statement = _sotto_store_prepare (self,
                                    "SELECT uuid FROM messages"
                                    " WHERE conversation_id = ?1 AND direction = 0 AND state = 2"
                                    " ORDER BY position",
                                    error);
  if (statement == NULL)
    goto fail;

  sqlite3_bind_int64 (statement, 1, conversation_id);

  ids = g_strv_builder_new ();
  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    g_strv_builder_add (ids, (const char *) sqlite3_column_text (statement, 0));

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read messages"), error);
      goto fail;
    }
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (!_sotto_store_exec_int64 (self,
                                "UPDATE messages SET state = 3"
                                " WHERE conversation_id = ?1 AND direction = 0 AND state = 2",
                                conversation_id, error)
      || !_sotto_store_exec_int64 (self, "UPDATE conversations SET n_unread = 0 WHERE id = ?1",
                                   conversation_id, error))
    goto fail;

  if (!_sotto_store_commit (self, error))
    return NULL;

  return g_strv_builder_end (ids);

fail:
  _sotto_store_rollback (self);

  return NULL;
}

/* Reads a message selected with the columns of _sotto_store_load_outbox(). */
static gpointer
read_outbox_row (SottoStore           *store,
                 SottoStoreStatement  *statement,
                 GError              **error)
{
  g_autoptr(SottoOutboxItem) item = g_new0 (SottoOutboxItem, 1);
  gint64 row_id = sqlite3_column_int64 (statement, 0);
  const char *id = (const char *) sqlite3_column_text (statement, 2);

  if (id == NULL || !g_uuid_string_is_valid (id))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored message is damaged"));
      return NULL;
    }

  item->conversation_id = sqlite3_column_int64 (statement, 1);
  item->id = g_strdup (id);
  item->sent_at = sqlite3_column_int64 (statement, 3);
  item->expire_timer = CLAMP (sqlite3_column_int64 (statement, 5), 0, SOTTO_CONTENT_MAX_EXPIRE_TIMER);

  if (!_sotto_store_column_unseal_string (store, statement, 4, "messages", "body", row_id,
                                          &item->body, error))
    return NULL;
  if (item->body == NULL)
    item->body = g_strdup ("");

  if (!_sotto_store_load_outbox_quote (store, row_id, item, error)
      || !_sotto_store_load_outbox_attachments (store, row_id, item, error))
    return NULL;

  return g_steal_pointer (&item);
}

/* Every outgoing message still queued, in the order it was written. */
GPtrArray *
_sotto_store_load_outbox (SottoStore  *store,
                          GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (store,
                                    "SELECT id, conversation_id, uuid, sent_at, body,"
                                    " IFNULL((SELECT seconds FROM message_timers t WHERE t.message_id = messages.id), 0)"
                                    " FROM messages"
                                    " WHERE direction = 1 AND state = 0 AND kind = 0"
                                    /* Nor one deleted before it went (flag 2). */
                                    " AND (flags & 2) = 0"
                                    /* A message goes once its files are on the relay. */
                                    " AND NOT EXISTS (SELECT 1 FROM attachments a"
                                    "                 WHERE a.message_id = messages.id AND a.state != 1)"
                                    " ORDER BY id",
                                    error);
  if (statement == NULL)
    return NULL;

  return _sotto_store_read_rows (store, statement, read_outbox_row,
                                 (GDestroyNotify) _sotto_outbox_item_free,
                                 _("Could not read the outbox"), error);
}
