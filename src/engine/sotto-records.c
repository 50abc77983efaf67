/* sotto-records.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sotto-engine-private.h"
#include "sotto-records-private.h"

SottoMessageRecord *
_sotto_message_record_new (const char            *id,
                           SottoMessageDirection  direction,
                           SottoMessageKind       kind,
                           SottoMessageState      state,
                           gint64                 sent_at,
                           gint64                 received_at,
                           const char            *body)
{
  SottoMessageRecord *record;

  g_return_val_if_fail (id != NULL, NULL);

  record = g_new0 (SottoMessageRecord, 1);
  record->id = g_strdup (id);
  record->direction = direction;
  record->kind = kind;
  record->state = state;
  record->sent_at = sent_at;
  record->received_at = received_at;
  record->body = g_strdup (body);

  return record;
}

void
_sotto_message_record_free (SottoMessageRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->id);
  g_free (record->body);
  g_free (record->quote_id);
  g_free (record->quote_author);
  g_free (record->quote_text);
  g_free (record->my_reaction);
  g_free (record->their_reaction);
  g_clear_pointer (&record->attachments, g_ptr_array_unref);
  g_free (record);
}

void
_sotto_conversation_record_free (SottoConversationRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->contact.uuid);
  g_free (record->contact.username);
  g_free (record->contact.name);
  g_clear_pointer (&record->contact.identity_key, g_bytes_unref);
  g_clear_pointer (&record->last_message, _sotto_message_record_free);
  g_free (record->draft);
  g_free (record);
}

SottoAccountRecord *
_sotto_account_record_new (const char      *uuid,
                           const char      *username,
                           guint            device_id,
                           guint            registration_id,
                           const char      *relay_url,
                           const char      *relay_ca,
                           const char      *password,
                           const SpKeyPair *identity)
{
  SottoAccountRecord *record;

  g_return_val_if_fail (uuid != NULL && identity != NULL, NULL);

  record = g_new0 (SottoAccountRecord, 1);
  record->uuid = g_strdup (uuid);
  record->username = g_strdup (username);
  record->device_id = device_id;
  record->registration_id = registration_id;
  record->relay_url = g_strdup (relay_url);
  record->relay_ca = g_strdup (relay_ca);
  if (password != NULL)
    {
      gsize size = strlen (password) + 1;

      record->password = _sotto_secure_alloc (size);
      memcpy (record->password, password, size);
    }
  record->identity = _sotto_secure_alloc (sizeof *record->identity);
  memcpy (record->identity, identity, sizeof *record->identity);

  return record;
}

void
_sotto_account_record_free (SottoAccountRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->uuid);
  g_free (record->username);
  g_free (record->relay_url);
  g_free (record->relay_ca);
  sodium_free (record->password);
  sodium_free (record->identity);
  g_clear_pointer (&record->trust_root, g_bytes_unref);
  g_free (record);
}

void
_sotto_outbox_item_free (SottoOutboxItem *item)
{
  if (item == NULL)
    return;

  g_free (item->id);
  g_free (item->body);
  g_free (item->quote_id);
  g_free (item->quote_author);
  g_free (item->quote_text);
  g_clear_pointer (&item->attachments, g_ptr_array_unref);
  g_free (item);
}
