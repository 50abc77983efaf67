/* sotto-outbox.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-outbox"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-conversation-private.h"
#include "sotto-message-private.h"
#include "sotto-messenger.h"
#include "sotto-outbox-private.h"
#include "sotto-service-signals-private.h"

/* Sending.  A message the user writes is stored as queued first; the
 * outbox then sends queued messages oldest first, pipelined on the
 * delivery socket or one at a time, so that each contact receives them
 * in the order they were written.  A message leaves the outbox
 * only when the relay has committed it.  When the relay cannot be
 * reached the outbox stops and tries again after a growing, jittered
 * delay, or as soon as the delivery socket opens again; the queue is on
 * disk, so it also survives a restart and is sent by whichever command
 * runs next. */

enum {
  PROP_0,
  PROP_SIZE,
  PROP_SEND_READ_RECEIPTS,
  N_PROPS
};

enum {
  IDENTITY_CHANGED,
  HOLD_ENDED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoOutbox, sotto_outbox, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static SottoConversation *
find_conversation (SottoOutbox *self,
                   gint64       conversation_id)
{
  GListModel *model = G_LIST_MODEL (self->conversations);
  guint n_items = g_list_model_get_n_items (model);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (model, i);

      if (_sotto_conversation_get_id (conversation) == conversation_id)
        return conversation;
    }

  return NULL;
}

static void
set_size (SottoOutbox *self,
          guint        size)
{
  if (self->size == size)
    return;

  self->size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SIZE]);
}

/* Someone waiting for the outbox: for one message, or for the whole
 * outbox as a pass that starts after @after reads it. */
typedef struct
{
  GTask *task;
  char *message_id;
  guint after;
} Waiter;

/* One pass over the outbox as it was on disk when the pass began.
 * @done holds the ids that a pipelined batch sent beyond @index;
 * @one_at_a_time is the item the last batch stopped at, which goes the
 * one-at-a-time way. */
typedef struct
{
  SottoOutbox *outbox;
  guint number;
  GPtrArray *items;
  guint index;
  guint one_at_a_time;
  GHashTable *held;
  GHashTable *ids;
  GHashTable *done;
  GError *error;

  /* Pipelined batches (pass_start_batch()): how many are on their way,
   * where the next one starts, and where the first that stopped did. */
  guint n_batches;
  guint next_position;
  gboolean stopped;
  guint stop_position;
  GError *stop_error;
} Pass;

static void pump_next (Pass *pass);
static void pass_start_batch (Pass *pass);

static void
waiter_free (Waiter *waiter)
{
  g_clear_object (&waiter->task);
  g_free (waiter->message_id);
  g_free (waiter);
}

static void
pass_free (Pass *pass)
{
  g_clear_object (&pass->outbox);
  g_clear_pointer (&pass->items, g_ptr_array_unref);
  g_clear_pointer (&pass->held, g_hash_table_unref);
  g_clear_pointer (&pass->ids, g_hash_table_unref);
  g_clear_pointer (&pass->done, g_hash_table_unref);
  g_clear_error (&pass->error);
  g_clear_error (&pass->stop_error);
  g_free (pass);
}

/* Pipelined sending.  While the delivery socket is open, the outbox
 * sends up to SOTTO_OUTBOX_PIPELINE messages at once: they are
 * encrypted in one transaction, handed to the socket one after the
 * other, and those the relay took are marked sent in one transaction
 * per conversation.  The relay stores what one connection sends in the
 * order it came, so each contact still receives the messages in the
 * order they were written.  Anything out of the ordinary (a contact
 * without a session, an out-of-date device list, a refusal) ends the
 * batch at that message, which then goes the one-at-a-time way
 * (sotto-outbox-delivery.c) with all its session logic. */

typedef struct
{
  SottoOutboxItem *item;
  guint position;
  SottoConversation *conversation;
  SottoEncryption *encryption;
  GTask *task;
  GError *error;
} Flight;

typedef struct
{
  Pass *pass;
  GPtrArray *flights;
  guint n_encrypted;
  guint n_waiting;
} Batch;

/* Notes that @position, with @error or because it could not be
 * encrypted here, stops the pipeline; the earliest such message is
 * where the pass goes on, one at a time. */
static void
pass_stop_at (Pass         *pass,
              guint         position,
              const GError *error)
{
  if (pass->stopped && pass->stop_position <= position)
    return;

  pass->stopped = TRUE;
  pass->stop_position = position;
  g_clear_error (&pass->stop_error);
  pass->stop_error = error != NULL ? g_error_copy (error) : NULL;
}

static void
flight_free (Flight *flight)
{
  g_clear_object (&flight->conversation);
  g_clear_pointer (&flight->encryption, _sotto_encryption_free);
  g_clear_object (&flight->task);
  g_clear_error (&flight->error);
  g_free (flight);
}

static void
batch_free (Batch *batch)
{
  g_clear_pointer (&batch->flights, g_ptr_array_unref);
  g_free (batch);
}

/* Encrypts the batch's messages in order, up to the first that cannot
 * be encrypted here, and commits all their session changes at once. */
static void
batch_encrypt_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  Batch *batch = task_data;
  g_autoptr(GHashTable) registration_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_begin_batch (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < batch->flights->len; i++)
    {
      Flight *flight = g_ptr_array_index (batch->flights, i);
      g_autoptr(GError) local_error = NULL;

      if (!_sotto_outbox_encrypt (self, flight->encryption, registration_ids, &local_error)
          || flight->encryption->no_session)
        break;

      batch->n_encrypted++;
    }

  if (!_sotto_store_commit_batch (self->store, &error))
    {
      batch->n_encrypted = 0;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
batch_marked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Batch *batch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The relay has the messages either way; a state that could not be
   * recorded leaves them queued, and the receiver drops the copy that
   * goes out again. */
  if (!sotto_conversation_set_message_state_finish (SOTTO_CONVERSATION (object), result, &error))
    g_debug ("Could not record sent messages: %s", error->message);

  if (--batch->n_waiting == 0)
    g_task_return_boolean (task, TRUE);
}

static void
batch_mark_sent (GTask *task)
{
  Batch *batch = g_task_get_task_data (task);
  g_autoptr(GHashTable) sent = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  GHashTableIter iter;
  gpointer conversation;
  gpointer ids;

  for (guint i = 0; i < batch->n_encrypted; i++)
    {
      Flight *flight = g_ptr_array_index (batch->flights, i);
      GPtrArray *array;

      if (flight->error != NULL)
        continue;

      array = g_hash_table_lookup (sent, flight->conversation);
      if (array == NULL)
        {
          array = g_ptr_array_new ();
          g_hash_table_insert (sent, flight->conversation, array);
        }
      g_ptr_array_add (array, flight->item->id);
    }

  batch->n_waiting = g_hash_table_size (sent);
  if (batch->n_waiting == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_hash_table_iter_init (&iter, sent);
  while (g_hash_table_iter_next (&iter, &conversation, &ids))
    {
      g_ptr_array_add (ids, NULL);
      _sotto_conversation_set_message_states_async (conversation, (const char * const *) ((GPtrArray *) ids)->pdata,
                                                    SOTTO_MESSAGE_STATE_SENT,
                                                    batch_marked_cb, g_object_ref (task));
    }
}

static void
batch_flight_sent_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Flight *flight = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&flight->task);
  Batch *batch = g_task_get_task_data (task);

  /* No later batch may be sent after a failure: on a socket opened
   * meanwhile it would overtake this message. */
  if (!sotto_relay_client_send_finish (SOTTO_RELAY_CLIENT (object), result, NULL, &flight->error))
    pass_stop_at (batch->pass, flight->position, flight->error);

  if (--batch->n_waiting == 0)
    batch_mark_sent (task);
}

static void
batch_encrypted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoOutbox *self = g_task_get_source_object (task);
  Batch *batch = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  /* Over HTTP the sends could overtake each other: the messages go the
   * one-at-a-time way, and what was encrypted for them is never used.
   * Nor is it after an earlier batch stopped: it must not overtake the
   * message that stopped it. */
  if (batch->n_encrypted == 0 || batch->pass->stopped || !sotto_relay_client_can_pipeline (self->client))
    {
      batch->n_encrypted = 0;
      g_task_return_boolean (task, TRUE);
      return;
    }

  batch->n_waiting = batch->n_encrypted;
  for (guint i = 0; i < batch->n_encrypted; i++)
    {
      Flight *flight = g_ptr_array_index (batch->flights, i);

      /* Each flight holds the batch until its answer.  Should the socket
       * close while the batch is handed over, the rest fail rather than
       * go around it over HTTP, where they could be stored before the
       * messages the socket lost. */
      flight->task = g_object_ref (task);
      sotto_relay_client_send_pipelined_async (self->client, flight->encryption->uuid, flight->item->sent_at,
                                               flight->encryption->envelopes,
                                               batch_flight_sent_cb, flight);
    }

  /* While these are on their way, the next batch is encrypted. */
  pass_start_batch (batch->pass);
}

/* The outbox */

static void
resolve_waiters (SottoOutbox    *self,
                 const char     *message_id,
                 const GError   *error)
{
  GList *link = self->waiters.head;

  while (link != NULL)
    {
      GList *next = link->next;
      Waiter *waiter = link->data;

      if (waiter->message_id != NULL && g_str_equal (waiter->message_id, message_id))
        {
          g_queue_delete_link (&self->waiters, link);
          if (error != NULL)
            g_task_return_error (waiter->task, g_error_copy (error));
          else
            g_task_return_boolean (waiter->task, TRUE);
          waiter_free (waiter);
        }

      link = next;
    }
}

/* Completes the waiters of every message in @sent, in one walk. */
static void
resolve_sent_waiters (SottoOutbox    *self,
                      GHashTable     *sent)
{
  GList *link = self->waiters.head;

  while (link != NULL)
    {
      GList *next = link->next;
      Waiter *waiter = link->data;

      if (waiter->message_id != NULL && g_hash_table_contains (sent, waiter->message_id))
        {
          g_queue_delete_link (&self->waiters, link);
          g_task_return_boolean (waiter->task, TRUE);
          waiter_free (waiter);
        }

      link = next;
    }
}

/* Completes @task once message @message_id was sent, or the pass that
 * saw it ended without. */
void
_sotto_outbox_wait_for_message (SottoOutbox *self,
                                GTask       *task,
                                const char  *message_id)
{
  Waiter *waiter = g_new0 (Waiter, 1);

  waiter->task = task;
  waiter->message_id = g_strdup (message_id);
  g_queue_push_tail (&self->waiters, waiter);
}

/* How long to wait, in milliseconds, before the try after @attempts
 * that failed while the relay was away: twice as long each time, up to
 * a limit, and jittered, so that many clients do not come back at once. */
guint
_sotto_outbox_retry_delay (guint attempts)
{
  guint delay = SOTTO_OUTBOX_RETRY_BASE_MS << MIN (attempts, 16);

  delay = MIN (delay, SOTTO_OUTBOX_RETRY_MAX_MS);
  return delay / 2 + g_random_int_range (0, delay / 2 + 1);
}

static gboolean
pump_retry_cb (gpointer user_data)
{
  SottoOutbox *self = user_data;

  self->pump_retry_source = 0;
  _sotto_outbox_pump (self);

  return G_SOURCE_REMOVE;
}

static void
pump_done (Pass *pass)
{
  SottoOutbox *self = pass->outbox;
  GList *link = self->waiters.head;
  guint remaining = g_hash_table_size (pass->held);

  for (guint i = pass->index; i < pass->items->len; i++)
    {
      SottoOutboxItem *item = g_ptr_array_index (pass->items, i);

      if (!g_hash_table_contains (pass->done, item->id))
        remaining++;
    }

  self->pumping = FALSE;
  set_size (self, pass->error != NULL ? remaining : g_hash_table_size (pass->held));

  /* Waiters for messages this pass saw, and for the whole outbox, have
   * their answer; a message written during the pass waits for the next
   * one, unless the relay is away anyway. */
  while (link != NULL)
    {
      GList *next = link->next;
      Waiter *waiter = link->data;
      gboolean seen = waiter->message_id != NULL ? g_hash_table_contains (pass->ids, waiter->message_id)
                                                 : pass->number > waiter->after;

      if (seen || pass->error != NULL || !self->pump_again)
        {
          g_queue_delete_link (&self->waiters, link);

          if (pass->error != NULL)
            g_task_return_new_error (waiter->task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED,
                                     _("The relay did not take the message, it is queued: %s"),
                                     pass->error->message);
          else if (waiter->message_id != NULL && g_hash_table_contains (pass->held, waiter->message_id))
            g_task_return_new_error (waiter->task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD,
                                     _("The contact’s safety number changed; the message is held "
                                       "until it is verified or accepted"));
          else if (waiter->message_id != NULL)
            g_task_return_new_error (waiter->task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                     _("The message is no longer in the outbox"));
          else
            g_task_return_boolean (waiter->task, TRUE);

          waiter_free (waiter);
        }

      link = next;
    }

  /* A relay that refused a send for its rate limit may take a later one
   * of the same pipeline once its budget grows back, which would then
   * overtake the refused one: until the outbox is empty again, messages
   * go one at a time. */
  if (g_error_matches (pass->error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_RATE_LIMITED))
    self->pipeline_throttled = TRUE;
  else if (pass->error == NULL)
    self->pipeline_throttled = FALSE;

  if (pass->error != NULL)
    {
      guint delay = _sotto_outbox_retry_delay (self->pump_attempts++);

      if (self->started && self->pump_retry_source == 0)
        self->pump_retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, pump_retry_cb, self, NULL);
    }
  else
    {
      self->pump_attempts = 0;
    }

  if (self->pump_again)
    _sotto_outbox_pump (self);

  pass_free (pass);
}

static void
pump_state_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Pass *pass = user_data;
  SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->index);
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_set_message_state_finish (SOTTO_CONVERSATION (object), result, &error))
    g_debug ("Could not record the state of message %s: %s", item->id, error->message);

  resolve_waiters (pass->outbox, item->id, NULL);
  pass->index++;
  pump_next (pass);
}

static void
pump_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pass *pass = user_data;
  SottoOutbox *self = pass->outbox;
  SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->index);
  SottoConversation *conversation = find_conversation (self, item->conversation_id);
  g_autoptr(GError) error = NULL;

  if (_sotto_outbox_send_content_finish (self, result, &error))
    {
      sotto_conversation_set_message_state_async (conversation, item->id, SOTTO_MESSAGE_STATE_SENT,
                                                  NULL, pump_state_cb, pass);
      return;
    }

  if (g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD))
    {
      g_hash_table_add (pass->held, g_strdup (item->id));
      resolve_waiters (self, item->id, error);
      pass->index++;
      pump_next (pass);
      return;
    }

  if (sotto_relay_error_is_transient (error))
    {
      g_debug ("The outbox waits for the relay: %s", error->message);
      pass->error = g_steal_pointer (&error);
      pump_done (pass);
      return;
    }

  /* Nothing will make this message go through: say so in the
   * conversation, and go on with the next one. */
  g_debug ("Message %s failed: %s", item->id, error->message);
  resolve_waiters (self, item->id, error);
  sotto_conversation_set_message_state_async (conversation, item->id, SOTTO_MESSAGE_STATE_FAILED,
                                              NULL, pump_state_cb, pass);
}

/* The conversation of @item if it can be sent in this pass; a held
 * contact's messages stay queued, in order. */
static SottoConversation *
pass_sendable (Pass            *pass,
               SottoOutboxItem *item)
{
  SottoOutbox *self = pass->outbox;
  SottoConversation *conversation = find_conversation (self, item->conversation_id);
  g_autoptr(GError) error = NULL;

  if (conversation == NULL || g_hash_table_contains (pass->done, item->id))
    return NULL;

  if (!sotto_conversation_get_sending_held (conversation))
    return conversation;

  g_set_error_literal (&error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD,
                       _("The contact’s safety number changed; the message is held "
                         "until it is verified or accepted"));
  if (g_hash_table_add (pass->held, g_strdup (item->id)))
    resolve_waiters (self, item->id, error);

  return NULL;
}

static void
pump_batch_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Pass *pass = user_data;
  Batch *batch = g_task_get_task_data (G_TASK (result));
  g_autoptr(GHashTable) sent = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Could not send a batch: %s", error->message);

  /* A message the relay took counts even after one before it failed:
   * it is not sent again. */
  for (guint i = 0; i < batch->flights->len; i++)
    {
      Flight *flight = g_ptr_array_index (batch->flights, i);

      if (i >= batch->n_encrypted)
        {
          pass_stop_at (pass, flight->position, NULL);
        }
      else if (flight->error == NULL)
        {
          g_hash_table_add (pass->done, g_strdup (flight->item->id));
          g_hash_table_add (sent, flight->item->id);
        }
    }

  resolve_sent_waiters (pass->outbox, sent);

  pass->n_batches--;
  pass_start_batch (pass);
  if (pass->n_batches > 0)
    return;

  if (!pass->stopped)
    {
      pass->index = pass->next_position;
      pump_next (pass);
      return;
    }

  pass->stopped = FALSE;
  pass->index = pass->stop_position;

  if (pass->stop_error != NULL && sotto_relay_error_is_transient (pass->stop_error))
    {
      g_debug ("The outbox waits for the relay: %s", pass->stop_error->message);
      pass->error = g_steal_pointer (&pass->stop_error);
      pump_done (pass);
      return;
    }

  g_clear_error (&pass->stop_error);
  pass->one_at_a_time = pass->stop_position;
  pump_next (pass);
}

/* Starts the next pipelined batch, from @pass->next_position on, unless
 * one stopped or enough are on their way. */
/* The content of a queued text message, with the timer it was written
 * under.  Only accepted contacts are sent messages (sending to a request
 * accepts it), so each message carries the account's profile key, as in
 * Signal: a contact always has the key of the profile they can read. */
static SottoContent *
new_text_content (SottoOutbox           *self,
                  const SottoOutboxItem *item)
{
  SottoContent *content = _sotto_outbox_item_content (item, sotto_account_get_username (self->account));

  if (self->profile_key != NULL)
    sotto_content_set_profile_key (content, self->profile_key);
  content->expire_timer = item->expire_timer;

  return content;
}

static void
pass_start_batch (Pass *pass)
{
  SottoOutbox *self = pass->outbox;
  g_autoptr(GTask) task = NULL;
  Batch *batch;

  /* The socket names the sender: sealed messages go one at a time. */
  if (pass->stopped
      || pass->n_batches >= SOTTO_OUTBOX_PIPELINE_BATCHES
      || !sotto_relay_client_can_pipeline (self->client)
      || _sotto_sealed_sender_can_seal (self->sealed))
    return;

  batch = g_new0 (Batch, 1);
  batch->pass = pass;
  batch->flights = g_ptr_array_new_with_free_func ((GDestroyNotify) flight_free);

  for (; pass->next_position < pass->items->len && batch->flights->len < SOTTO_OUTBOX_PIPELINE;
       pass->next_position++)
    {
      SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->next_position);
      SottoConversation *conversation = pass_sendable (pass, item);
      g_autoptr(SottoContent) content = NULL;
      GBytes *identity_key;
      Flight *flight;

      if (conversation == NULL)
        continue;

      content = new_text_content (self, item);

      flight = g_new0 (Flight, 1);
      flight->item = item;
      flight->position = pass->next_position;
      flight->conversation = g_object_ref (conversation);
      flight->encryption = g_new0 (SottoEncryption, 1);
      flight->encryption->uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
      identity_key = sotto_contact_get_identity_key (sotto_conversation_get_contact (conversation));
      flight->encryption->identity_key = identity_key != NULL ? g_bytes_ref (identity_key) : NULL;
      flight->encryption->plaintext = sotto_content_encode (content);
      flight->encryption->expires_at = _sotto_outbox_relay_expiry (content);
      g_ptr_array_add (batch->flights, flight);
    }

  if (batch->flights->len == 0)
    {
      batch_free (batch);
      return;
    }

  pass->n_batches++;

  task = g_task_new (self, NULL, pump_batch_cb, pass);
  g_task_set_task_data (task, batch, (GDestroyNotify) batch_free);
  _sotto_task_run_step (task, self->store, batch_encrypt_thread, batch_encrypted_cb);
}

static void
pump_next (Pass *pass)
{
  SottoOutbox *self = pass->outbox;

  while (pass->index < pass->items->len)
    {
      SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->index);
      SottoConversation *conversation = pass_sendable (pass, item);
      g_autoptr(SottoContent) content = NULL;

      if (conversation == NULL)
        {
          pass->index++;
          continue;
        }

      if (pass->index != pass->one_at_a_time
          && !self->pipeline_throttled
          && sotto_relay_client_can_pipeline (self->client))
        {
          pass->next_position = pass->index;
          pass_start_batch (pass);
          if (pass->n_batches > 0)
            return;
        }

      content = new_text_content (self, item);
      _sotto_outbox_send_content_async (self, conversation, content, NULL, pump_sent_cb, pass);
      return;
    }

  pump_done (pass);
}

static void
pump_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Pass *pass = user_data;
  g_autoptr(GError) error = NULL;

  pass->items = g_task_propagate_pointer (G_TASK (result), &error);
  if (pass->items == NULL)
    {
      pass->items = g_ptr_array_new ();
      pass->error = g_steal_pointer (&error);
      pump_done (pass);
      return;
    }

  for (guint i = 0; i < pass->items->len; i++)
    {
      SottoOutboxItem *item = g_ptr_array_index (pass->items, i);

      g_hash_table_add (pass->ids, g_strdup (item->id));
    }

  pump_next (pass);
}

static void
pump_load_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  g_autoptr(GError) error = NULL;
  GPtrArray *items;

  items = _sotto_store_load_outbox (self->store, &error);
  if (items == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, items, (GDestroyNotify) g_ptr_array_unref);
}

/* Sends the outbox, unless a pass is running already; then that pass is
 * followed by another, which sees what was queued meanwhile. */
void
_sotto_outbox_pump (SottoOutbox *self)
{
  g_autoptr(GTask) task = NULL;
  Pass *pass;

  if (self->pumping)
    {
      self->pump_again = TRUE;
      return;
    }

  g_clear_handle_id (&self->pump_retry_source, g_source_remove);
  self->pumping = TRUE;
  self->pump_again = FALSE;

  pass = g_new0 (Pass, 1);
  pass->outbox = g_object_ref (self);
  pass->number = ++self->n_passes;
  pass->one_at_a_time = G_MAXUINT;
  pass->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  task = g_task_new (self, NULL, pump_loaded_cb, pass);
  _sotto_store_run_in_thread (self->store, task, pump_load_thread);
}

/* Sends every queued message that is not held; the task returns a
 * boolean, and fails with %SOTTO_MESSENGER_ERROR_QUEUED when the relay
 * could not take them all. */
void
_sotto_outbox_flush_async (SottoOutbox         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Waiter *waiter;

  g_return_if_fail (SOTTO_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_flush_async);

  waiter = g_new0 (Waiter, 1);
  waiter->task = g_object_ref (task);
  waiter->after = self->n_passes;
  g_queue_push_tail (&self->waiters, waiter);

  /* Messages handed over just before are stored before the outbox is
   * read. */
  _sotto_outbox_compose_now (self);

  /* A pass that is running already read the outbox; the one after it
   * is the one that answers. */
  if (self->pumping)
    self->pump_again = TRUE;
  else
    _sotto_outbox_pump (self);
}

/* The service */

static void
connection_cb (SottoOutbox      *self,
               GParamSpec       *pspec,
               SottoRelayClient *client)
{
  /* A socket that opens is the best sign that the relay takes
   * requests again. */
  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_CONNECTED)
    _sotto_outbox_pump (self);
}

/* Sends the outbox whenever the relay is reachable, from now on. */
void
_sotto_outbox_start (SottoOutbox *self)
{
  g_return_if_fail (SOTTO_IS_OUTBOX (self));

  if (self->started)
    return;

  self->started = TRUE;
  g_signal_connect_object (self->client, "notify::connection",
                           G_CALLBACK (connection_cb), self, G_CONNECT_SWAPPED);
  _sotto_outbox_pump (self);
}

/* Stops retrying; queued messages stay queued. */
void
_sotto_outbox_stop (SottoOutbox *self)
{
  g_return_if_fail (SOTTO_IS_OUTBOX (self));

  if (!self->started)
    return;

  self->started = FALSE;
  g_signal_handlers_disconnect_by_func (self->client, connection_cb, self);
  g_clear_handle_id (&self->pump_retry_source, g_source_remove);

  /* Receipts still waiting go now rather than never. */
  _sotto_outbox_flush_receipts (self);
}

guint
_sotto_outbox_get_size (SottoOutbox *self)
{
  g_return_val_if_fail (SOTTO_IS_OUTBOX (self), 0);

  return self->size;
}

void
_sotto_outbox_emit_identity_changed (SottoOutbox       *self,
                                     SottoConversation *conversation)
{
  g_signal_emit (self, signals [IDENTITY_CHANGED], 0, conversation);
}

void
_sotto_outbox_emit_hold_ended (SottoOutbox       *self,
                               SottoConversation *conversation)
{
  g_signal_emit (self, signals [HOLD_ENDED], 0, conversation);
}

SottoOutbox *
_sotto_outbox_new (SottoStore            *store,
                   SottoAccount          *account,
                   SottoConversationList *conversations,
                   SottoRelayClient      *client,
                   SottoProtocolState    *protocol)
{
  SottoOutbox *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (conversations), NULL);
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (client), NULL);
  g_return_val_if_fail (protocol != NULL, NULL);

  self = g_object_new (SOTTO_TYPE_OUTBOX, NULL);
  self->store = g_object_ref (store);
  self->account = g_object_ref (account);
  self->conversations = g_object_ref (conversations);
  self->client = g_object_ref (client);
  self->protocol = _sotto_protocol_state_ref (protocol);
  _sotto_protocol_state_get_interface (self->protocol, &self->sp_store);
  self->sealed = _sotto_sealed_sender_new (store, account, client);
  _sotto_outbox_watch_holds (self);

  return self;
}

static void
sotto_outbox_dispose (GObject *object)
{
  SottoOutbox *self = (SottoOutbox *)object;

  _sotto_outbox_stop (self);
  g_clear_handle_id (&self->receipt_source, g_source_remove);

  G_OBJECT_CLASS (sotto_outbox_parent_class)->dispose (object);
}

/* Sets the profile key that text messages carry from now on; %NULL
 * while the account has no profile.  The outbox keeps a copy in
 * guarded memory. */
void
_sotto_outbox_set_profile_key (SottoOutbox  *self,
                               const guint8 *key)
{
  g_return_if_fail (SOTTO_IS_OUTBOX (self));

  g_clear_pointer (&self->profile_key, sodium_free);
  if (key == NULL)
    return;

  self->profile_key = _sotto_secure_alloc (SOTTO_PROFILE_KEY_SIZE);
  memcpy (self->profile_key, key, SOTTO_PROFILE_KEY_SIZE);
}

static void
sotto_outbox_finalize (GObject *object)
{
  SottoOutbox *self = (SottoOutbox *)object;

  /* Every waiter holds a task, which holds the outbox. */
  g_assert (g_queue_is_empty (&self->waiters));

  g_clear_pointer (&self->composing, g_ptr_array_unref);
  g_clear_pointer (&self->receipts, g_hash_table_unref);
  g_clear_pointer (&self->profile_key, sodium_free);
  g_clear_pointer (&self->protocol, _sotto_protocol_state_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->sealed);
  g_clear_object (&self->conversations);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_outbox_parent_class)->finalize (object);
}

static void
sotto_outbox_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SottoOutbox *self = SOTTO_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      g_value_set_uint (value, self->size);
      break;

    case PROP_SEND_READ_RECEIPTS:
      g_value_set_boolean (value, self->send_read_receipts);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_outbox_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  SottoOutbox *self = SOTTO_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_SEND_READ_RECEIPTS:
      if (self->send_read_receipts != g_value_get_boolean (value))
        {
          self->send_read_receipts = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_outbox_class_init (SottoOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_outbox_dispose;
  object_class->finalize = sotto_outbox_finalize;
  object_class->get_property = sotto_outbox_get_property;
  object_class->set_property = sotto_outbox_set_property;

  /* How many messages waited to be sent when the outbox was last read. */
  properties [PROP_SIZE] =
    g_param_spec_uint ("size", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /* Whether read receipts go to senders (SottoMessenger's setting). */
  properties [PROP_SEND_READ_RECEIPTS] =
    g_param_spec_boolean ("send-read-receipts", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A contact's identity key changed when a session was set up with
   * them from the relay's keys. */
  signals [IDENTITY_CHANGED] = _sotto_signal_new_identity_changed (G_TYPE_FROM_CLASS (klass));

  /* Sending to a contact is no longer held: the user verified or
   * accepted its new key.  What other services kept for it may go. */
  signals [HOLD_ENDED] =
    g_signal_new ("hold-ended",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_CONVERSATION);
}

static void
sotto_outbox_init (SottoOutbox *self)
{
  self->send_read_receipts = TRUE;
  self->composing = _sotto_outbox_composing_new ();
  self->receipts = g_hash_table_new_full (NULL, NULL, g_object_unref, (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&self->waiters);
}
