/* sotto-inbox-decrypt.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-inbox"

#include "config.h"

#include <stdbool.h>

#include <glib/gi18n.h>

#include "sp-error.h"
#include "sp-message.h"

#include "sotto-engine-private.h"
#include "sotto-inbox-internal-private.h"
#include "sotto-message-actions-private.h"
#include "sotto-messenger-private.h"
#include "sotto-sealed-sender-private.h"

/* The inbox on the store's thread: decrypts envelopes and stores what
 * they hold, one savepoint each, a batch of them in one transaction
 * (see sotto-inbox.c for the whole path of an envelope). */

/* The relay's envelope types the session core reads. */
#define ENVELOPE_TYPE_CIPHERTEXT 1
#define ENVELOPE_TYPE_PREKEY 3
#define ENVELOPE_TYPE_SENDER_KEY 7

static int
decrypt (SottoInbox       *self,
         Reception        *reception,
         SpSessionCipher  *cipher,
         int               type,
         guint8          **plaintext,
         gsize            *plaintext_len)
{
  gsize len = g_bytes_get_size (reception->envelope->content);
  int rc;

  *plaintext = g_malloc (len);
  rc = _sotto_sealed_sender_decrypt_inner (reception->envelope, cipher, type, *plaintext, len, plaintext_len);
  if (rc != SP_OK)
    g_clear_pointer (plaintext, g_free);

  return rc;
}

/* Keeps the profile key a known sender's content carries, in the
 * transaction that stores what came with it. */
static gboolean
receive_profile_key (SottoInbox  *self,
                     Reception   *reception,
                     GError     **error)
{
  gboolean changed = FALSE;

  if (reception->content->profile_key == NULL || reception->conversation_id == 0)
    return TRUE;

  if (!_sotto_store_save_contact_profile_key (self->store, reception->contact_id,
                                              reception->content->profile_key, &changed, error))
    return FALSE;

  reception->profile_news = changed || reception->content->kind == SOTTO_CONTENT_KIND_PROFILE_KEY;
  return TRUE;
}

static Outcome
receive_in_transaction (SottoInbox      *self,
                        Reception       *reception,
                        GError         **error)
{
  const SottoRelayEnvelope *envelope = reception->envelope;
  SpAddress address = { envelope->source, envelope->source_device };
  g_autofree guint8 *plaintext = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  SpSessionCipher *cipher;
  SpPublicKey identity;
  bool found = false;
  gsize plaintext_len = 0;
  int type;
  int rc;

  type = envelope->type == ENVELOPE_TYPE_PREKEY ? SP_CIPHERTEXT_TYPE_PREKEY : SP_CIPHERTEXT_TYPE_WHISPER;

  cipher = _sotto_protocol_state_get_cipher (self->protocol, envelope->source, envelope->source_device, error);
  if (cipher == NULL)
    return OUTCOME_RETRY_LATER;

  /* The session core writes the session and the identity key only once
   * the message decrypted, and never commits: this transaction does. */
  rc = decrypt (self, reception, cipher, type, &plaintext, &plaintext_len);

  if (rc == SP_ERR_DUPLICATE_MESSAGE)
    return OUTCOME_DUPLICATE;

  if (rc == SP_ERR_STORE || rc == SP_ERR_NO_MEMORY)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not decrypt a message"));
      return OUTCOME_RETRY_LATER;
    }

  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not decrypt a message"));
      return OUTCOME_DROPPED;
    }

  rc = self->sp_store.get_identity (self->sp_store.user_data, &address, &identity, &found);
  if (rc != SP_OK || !found)
    {
      _sotto_set_error_from_sp (error, rc != SP_OK ? rc : SP_ERR_STORE,
                                _("Could not read an identity key"));
      return OUTCOME_RETRY_LATER;
    }
  reception->identity_key = g_bytes_new (identity.bytes, SP_PUBLIC_KEY_SIZE);

  /* Before the content is even looked at. */
  if (reception->conversation_id != 0
      && !_sotto_store_record_identity (self->store, reception->contact_id, reception->conversation_id,
                                        reception->identity_key, &reception->verification_state,
                                        &reception->identity_event, error))
    return OUTCOME_RETRY_LATER;
  reception->identity_recorded = reception->conversation_id != 0;

  /* The groups show a new key, and keep the catch-ups it calls for, in
   * the same transaction as the key. */
  if (reception->identity_event != NULL && !reception->blocked
      && !_sotto_group_key_changed_thread (self->protocol, envelope->source, reception->identity_key,
                                           reception->verification_state == SOTTO_VERIFICATION_STATE_CHANGED,
                                           envelope->timestamp, &reception->group_key_news, error))
    return OUTCOME_RETRY_LATER;

  /* Only now: a blocked contact's new key goes through the same rules
   * as anyone's (an event in the history, a verified contact held)
   * before the session that carries it is committed, so that nothing
   * is ever sent to it unseen once the contact is unblocked. */
  if (reception->blocked)
    return OUTCOME_BLOCKED;

  reception->content = sotto_content_decode (plaintext, plaintext_len, error);
  if (reception->content == NULL)
    return OUTCOME_DROPPED;

  if (!receive_profile_key (self, reception, error))
    return OUTCOME_RETRY_LATER;

  /* A group's message or change goes to the group, from a known sender. */
  if (reception->content->group_id != NULL)
    {
      if (reception->conversation_id == 0)
        return OUTCOME_UNKNOWN_SENDER;
      if (!_sotto_group_receive_thread (self->protocol, envelope->source, envelope->source_device,
                                        reception->content, envelope->sealed_identity_key != NULL,
                                        &reception->group_news, error))
        return OUTCOME_RETRY_LATER;
      return reception->group_news != NULL ? OUTCOME_GROUP : OUTCOME_IGNORED;
    }

  /* A message only a newer Sotto can show is stored as a placeholder,
   * so that it is not lost without a trace and its sender still gets
   * receipts; a signal this version does not act on is only kept out of
   * the queue. */
  switch (reception->content->kind)
    {
    case SOTTO_CONTENT_KIND_DELIVERY_RECEIPT:
    case SOTTO_CONTENT_KIND_READ_RECEIPT:
      return OUTCOME_RECEIPT;

    case SOTTO_CONTENT_KIND_IGNORED:
    case SOTTO_CONTENT_KIND_PROFILE_KEY:
      return OUTCOME_IGNORED;

    case SOTTO_CONTENT_KIND_TYPING:
      /* Shown on the main thread, never stored; a stranger's is not
       * shown at all. */
      return reception->conversation_id == 0 ? OUTCOME_IGNORED : OUTCOME_TYPING;

    case SOTTO_CONTENT_KIND_REACTION:
    case SOTTO_CONTENT_KIND_EDIT:
    case SOTTO_CONTENT_KIND_DELETION:
      if (reception->conversation_id == 0)
        return OUTCOME_UNKNOWN_SENDER;
      return _sotto_message_actions_receive (self->store, reception->conversation_id, reception->content,
                                             &reception->action_result, &reception->changed, error)
             ? OUTCOME_ACTION : OUTCOME_RETRY_LATER;

    case SOTTO_CONTENT_KIND_TEXT:
    case SOTTO_CONTENT_KIND_TIMER:
    case SOTTO_CONTENT_KIND_UNSUPPORTED:
    default:
      break;
    }

  /* Only someone known sets a conversation's timer. */
  if (reception->conversation_id == 0 && reception->content->kind == SOTTO_CONTENT_KIND_TIMER)
    return OUTCOME_IGNORED;

  if (reception->conversation_id == 0)
    return OUTCOME_UNKNOWN_SENDER;

  if (reception->content->kind == SOTTO_CONTENT_KIND_TIMER)
    {
      g_autofree char *seconds = g_strdup_printf ("%u", reception->content->expire_timer);

      if (!_sotto_store_set_conversation_timer (self->store, reception->conversation_id,
                                                reception->content->expire_timer, error))
        return OUTCOME_RETRY_LATER;

      reception->message = _sotto_message_record_new (reception->content->id,
                                                   SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                   SOTTO_MESSAGE_KIND_TIMER_CHANGED,
                                                   SOTTO_MESSAGE_STATE_READ,
                                                   reception->content->timestamp,
                                                   _sotto_now_ms (),
                                                   seconds);
    }
  else
    {
      reception->message = _sotto_message_record_new (reception->content->id,
                                                   SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                   SOTTO_MESSAGE_KIND_TEXT,
                                                   SOTTO_MESSAGE_STATE_DELIVERED,
                                                   reception->content->timestamp,
                                                   _sotto_now_ms (),
                                                   reception->content->kind == SOTTO_CONTENT_KIND_UNSUPPORTED
                                                   ? _("This message needs a newer version of Sotto.")
                                                   : reception->content->text);
    }

  if (reception->content->quote_id != NULL)
    {
      reception->message->quote_id = g_strdup (reception->content->quote_id);
      reception->message->quote_author = g_strdup (reception->content->quote_author);
      reception->message->quote_text = g_strdup (reception->content->quote_text);
    }
  reception->message->attachments = _sotto_attachment_records_from_content (reception->content->attachments);
  reception->message->disappears = reception->content->kind == SOTTO_CONTENT_KIND_TEXT
                                   && reception->content->expire_timer > 0;

  messages = g_ptr_array_new ();
  g_ptr_array_add (messages, reception->message);

  if (!_sotto_store_append_messages (self->store, reception->conversation_id, messages, error))
    {
      if (g_error_matches (*error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
        {
          g_clear_error (error);
          g_clear_pointer (&reception->message, _sotto_message_record_free);
          return OUTCOME_DUPLICATE;
        }

      return OUTCOME_RETRY_LATER;
    }

  if (reception->envelope->sealed_identity_key != NULL)
    {
      if (!_sotto_store_mark_message_sealed (self->store, reception->conversation_id, reception->content->id, error))
        return OUTCOME_RETRY_LATER;
      reception->message->sealed = TRUE;
    }

  /* A disappearing message counts down once it is read. */
  if (reception->content->kind == SOTTO_CONTENT_KIND_TEXT && reception->content->expire_timer > 0
      && !_sotto_store_add_message_timer (self->store, reception->conversation_id, reception->content->id,
                                          reception->content->expire_timer, 0, error))
    return OUTCOME_RETRY_LATER;

  /* Reactions, edits and deletions that came before it. */
  if (!_sotto_message_actions_apply_pending (self->store, reception->conversation_id, &reception->message,
                                             &reception->applied_actions, error))
    return OUTCOME_RETRY_LATER;

  return OUTCOME_STORED;
}

/* A message to a group, encrypted with its sender's sender key
 * (docs/messenger.md, "Groups"): from a known sender, and holding a
 * message to a group, or it is dropped.  Nothing is changed when it
 * does not decrypt; once it did, the used message key is kept whatever
 * the content. */
static Outcome
receive_group_message (SottoInbox  *self,
                       Reception   *reception,
                       GError     **error)
{
  const SottoRelayEnvelope *envelope = reception->envelope;
  SpAddress address = { envelope->source, envelope->source_device };
  gsize len = g_bytes_get_size (envelope->content);
  g_autofree guint8 *plaintext = g_malloc (MAX (len, 1));
  SpGroupCipher *cipher;
  gsize plaintext_len = 0;
  int rc;

  if (reception->conversation_id == 0 || reception->blocked)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("A group message from someone unknown or blocked"));
      return reception->blocked ? OUTCOME_BLOCKED : OUTCOME_DROPPED;
    }

  cipher = _sotto_protocol_state_get_group_cipher (self->protocol, error);
  if (cipher == NULL)
    return OUTCOME_RETRY_LATER;

  rc = sp_group_cipher_decrypt (cipher, &address, g_bytes_get_data (envelope->content, NULL), len,
                                plaintext, len, &plaintext_len);
  if (rc == SP_ERR_DUPLICATE_MESSAGE)
    return OUTCOME_DUPLICATE;
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not decrypt a group message"));
      return rc == SP_ERR_STORE || rc == SP_ERR_NO_MEMORY ? OUTCOME_RETRY_LATER : OUTCOME_DROPPED;
    }

  reception->content = sotto_content_decode (plaintext, plaintext_len, error);
  if (reception->content == NULL)
    return OUTCOME_IGNORED;
  if (reception->content->group_id == NULL
      || (!_sotto_content_is_data (reception->content->kind)
          && reception->content->kind != SOTTO_CONTENT_KIND_UNSUPPORTED))
    return OUTCOME_IGNORED;

  if (!_sotto_group_receive_thread (self->protocol, envelope->source, envelope->source_device,
                                    reception->content, envelope->sealed_identity_key != NULL,
                                    &reception->group_news, error))
    return OUTCOME_RETRY_LATER;

  return reception->group_news != NULL ? OUTCOME_GROUP : OUTCOME_IGNORED;
}

/* Forgets what a reception's transaction wrote, once it is rolled
 * back: nothing of it is on disk. */
static void
reception_undone (Reception *reception)
{
  g_clear_pointer (&reception->message, _sotto_message_record_free);
  g_clear_pointer (&reception->changed, _sotto_message_record_free);
  g_clear_pointer (&reception->applied_actions, g_ptr_array_unref);
  reception->identity_recorded = FALSE;
  g_clear_pointer (&reception->identity_event, _sotto_message_record_free);
  g_clear_pointer (&reception->group_key_news, g_ptr_array_unref);
  reception->profile_news = FALSE;
  g_clear_pointer (&reception->group_news, _sotto_group_news_free);
}

/* Decrypts and stores one envelope in a transaction of its own (a
 * savepoint, inside a batch), and sets its outcome. */
static void
receive_one (SottoInbox     *self,
             Reception      *reception)
{
  gboolean keep;

  if (reception->envelope->type != ENVELOPE_TYPE_PREKEY
      && reception->envelope->type != ENVELOPE_TYPE_CIPHERTEXT
      && reception->envelope->type != ENVELOPE_TYPE_SENDER_KEY)
    {
      reception->outcome = OUTCOME_DROPPED;
      g_set_error (&reception->error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                   _("Envelopes of type %u are not supported"), reception->envelope->type);
      return;
    }

  if (!_sotto_store_begin (self->store, &reception->error))
    {
      reception->outcome = OUTCOME_RETRY_LATER;
      return;
    }

  reception->outcome = reception->envelope->type == ENVELOPE_TYPE_SENDER_KEY
                       ? receive_group_message (self, reception, &reception->error)
                       : receive_in_transaction (self, reception, &reception->error);

  /* What decrypted is kept, even a malformed or repeated message: its
   * message key is used up either way.  The rest goes back. */
  switch (reception->outcome)
    {
    case OUTCOME_STORED:
    case OUTCOME_ACTION:
    case OUTCOME_RECEIPT:
    case OUTCOME_IGNORED:
    case OUTCOME_TYPING:
    case OUTCOME_BLOCKED:
    case OUTCOME_GROUP:
      keep = TRUE;
      break;

    case OUTCOME_DUPLICATE:
    case OUTCOME_DROPPED:
      keep = reception->identity_key != NULL;
      break;

    case OUTCOME_UNKNOWN_SENDER:
    case OUTCOME_RETRY_LATER:
    default:
      keep = FALSE;
      break;
    }

  if (keep && _sotto_store_commit (self->store, &reception->error))
    return;

  if (!keep)
    _sotto_store_rollback (self->store);
  else
    reception->outcome = OUTCOME_RETRY_LATER;

  reception_undone (reception);
}

void
_sotto_inbox_receive_thread (GTask        *task,
                             gpointer      source_object,
                             gpointer      task_data,
                             GCancellable *cancellable)
{
  receive_one (source_object, task_data);
  g_task_return_boolean (task, TRUE);
}

/* Whether the main thread finishes @reception at once: it needs no
 * further step (a lookup, or a receipt to apply). */
gboolean
_sotto_inbox_outcome_is_final (Outcome outcome)
{
  return outcome == OUTCOME_STORED
         || outcome == OUTCOME_ACTION
         || outcome == OUTCOME_GROUP
         || outcome == OUTCOME_IGNORED
         || outcome == OUTCOME_TYPING
         || outcome == OUTCOME_BLOCKED
         || outcome == OUTCOME_DUPLICATE
         || outcome == OUTCOME_DROPPED;
}

/* Receives a batch of envelopes in one transaction, in order, up to and
 * including the first that needs the main thread before the next may
 * be decrypted; @n_received says how far it got.  Nothing is
 * acknowledged before the batch is committed. */
void
_sotto_inbox_receive_batch_thread (GTask        *task,
                                   gpointer      source_object,
                                   gpointer      task_data,
                                   GCancellable *cancellable)
{
  SottoInbox *self = source_object;
  ReceptionBatch *batch = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_begin_batch (self->store, &error))
    {
      Reception *first = g_ptr_array_index (batch->receptions, 0);

      first->outcome = OUTCOME_RETRY_LATER;
      first->error = g_steal_pointer (&error);
      batch->n_received = 1;
      g_task_return_boolean (task, TRUE);
      return;
    }

  while (batch->n_received < batch->receptions->len)
    {
      Reception *reception = g_ptr_array_index (batch->receptions, batch->n_received++);

      receive_one (self, reception);
      if (!_sotto_inbox_outcome_is_final (reception->outcome))
        break;
    }

  if (!_sotto_store_commit_batch (self->store, &error))
    {
      for (guint i = 0; i < batch->n_received; i++)
        {
          Reception *reception = g_ptr_array_index (batch->receptions, i);

          g_clear_error (&reception->error);
          reception->error = g_error_copy (error);
          reception->outcome = OUTCOME_RETRY_LATER;
          reception_undone (reception);
        }
    }

  g_task_return_boolean (task, TRUE);
}
