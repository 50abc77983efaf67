/* sotto-expiry.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-expiry"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-engine-private.h"
#include "sotto-expiry-private.h"
#include "sotto-message-private.h"

/* The messenger's service for disappearing messages (docs/messenger.md,
 * "Disappearing messages").  Either side sets a conversation's timer; a
 * "timer changed" event enters the conversation on both sides.  Each
 * message written while the timer is on carries it; the sender's copy
 * counts down from when it was sent, the recipient's from when it was
 * read.  An expired message is deleted from the store like "Delete for
 * Me" and leaves the conversation's list at once: a main-loop timeout
 * waits for the next expiry while the messenger runs, and the messages
 * that expired while it did not are deleted as soon as it starts. */

const guint sotto_expiry_timers[SOTTO_EXPIRY_N_TIMERS] = {
  0, 30, 5 * 60, 3600, 24 * 3600, 7 * 24 * 3600, 28 * 24 * 3600,
};

struct _SottoExpiry
{
  GObject parent_instance;

  SottoStore *store;
  SottoConversationList *conversations;
  SottoOutbox *outbox;

  gboolean started;

  /* The timeout for the next expiry, and whether a sweep or a look for
   * the next expiry is under way; another look is due once it ends. */
  guint timeout_id;
  gboolean busy;
  gboolean look_again;

  /* Tasks that wait for the work under way to end. */
  GQueue waiters;
};

G_DEFINE_FINAL_TYPE (SottoExpiry, sotto_expiry, G_TYPE_OBJECT)

gboolean
_sotto_expiry_timer_is_valid (guint seconds)
{
  for (guint i = 0; i < SOTTO_EXPIRY_N_TIMERS; i++)
    {
      if (sotto_expiry_timers[i] == seconds)
        return TRUE;
    }

  return FALSE;
}

static void
wake_waiters (SottoExpiry *self)
{
  GTask *waiter;

  if (self->busy)
    return;

  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
    {
      g_task_return_boolean (waiter, TRUE);
      g_object_unref (waiter);
    }
}

/* Sweeping */

static void look (SottoExpiry *self);

static void
look_done (SottoExpiry *self)
{
  self->busy = FALSE;
  if (self->look_again)
    look (self);
  else
    wake_waiters (self);
}

/* A sweep: the expired messages of one batch, deleted one after the
 * other. */
typedef struct
{
  SottoExpiry *self;
  GPtrArray *expired;
  guint next;
} Sweep;

static void
sweep_free (Sweep *sweep)
{
  g_clear_object (&sweep->self);
  g_clear_pointer (&sweep->expired, g_ptr_array_unref);
  g_free (sweep);
}

static void sweep_next (Sweep *sweep);

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Sweep *sweep = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_message ("Could not delete an expired message: %s", error->message);

  sweep_next (sweep);
}

/* A conversation out of the list (a blocked contact's): its messages
 * expire all the same, from the store. */
static void
delete_stored_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  SottoExpiry *self = source_object;
  SottoExpiredMessage *expired = task_data;
  g_autoptr(GError) error = NULL;
  guint n_messages;
  guint n_unread;

  if (!_sotto_store_delete_message (self->store, expired->conversation_id, expired->id,
                                    &n_messages, &n_unread, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
conversation_deleted_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Sweep *sweep = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_delete_message_finish (SOTTO_CONVERSATION (object), result, &error))
    g_message ("Could not delete an expired message: %s", error->message);

  sweep_next (sweep);
}

static void
sweep_next (Sweep *sweep)
{
  SottoExpiry *self = sweep->self;
  SottoExpiredMessage *expired;
  SottoConversation *conversation;

  if (sweep->next == sweep->expired->len)
    {
      /* A full batch may have more behind it. */
      self->look_again = self->look_again || sweep->expired->len == SOTTO_EXPIRY_SWEEP_BATCH;
      sweep_free (sweep);
      look_done (self);
      return;
    }

  expired = g_ptr_array_index (sweep->expired, sweep->next++);
  conversation = _sotto_conversation_list_find_by_id (self->conversations, expired->conversation_id);
  if (conversation != NULL)
    {
      sotto_conversation_delete_message_async (conversation, expired->id, NULL, conversation_deleted_cb, sweep);
    }
  else
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, deleted_cb, sweep);

      g_task_set_task_data (task, expired, NULL);
      _sotto_store_run_in_thread (self->store, task, delete_stored_thread);
    }
}

typedef struct
{
  GPtrArray *expired;
  gint64 next_expiry;
} Look;

static void
look_free (Look *look)
{
  g_clear_pointer (&look->expired, g_ptr_array_unref);
  g_free (look);
}

static void
look_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SottoExpiry *self = source_object;
  Look *found = task_data;
  g_autoptr(GError) error = NULL;
  gint64 now = _sotto_now_ms ();

  found->expired = _sotto_store_list_expired (self->store, now, SOTTO_EXPIRY_SWEEP_BATCH, &error);
  if (found->expired == NULL || !_sotto_store_next_expiry (self->store, &found->next_expiry, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
timeout_cb (gpointer user_data)
{
  SottoExpiry *self = user_data;

  self->timeout_id = 0;
  look (self);

  return G_SOURCE_REMOVE;
}

static void
looked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SottoExpiry *self = SOTTO_EXPIRY (object);
  Look *found = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  Sweep *sweep;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_message ("Could not look for expired messages: %s", error->message);
      look_done (self);
      return;
    }

  /* The next expiry after this sweep, to the second: the timeout is
   * set whatever the sweep finds, and a sweep that deletes what
   * expired since only brings it forward. */
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->started && found->next_expiry > 0)
    {
      gint64 wait_ms = MAX (found->next_expiry - _sotto_now_ms (), 0);

      self->timeout_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, (guint) MIN (wait_ms / 1000 + 1, G_MAXUINT),
                                                     timeout_cb, self, NULL);
    }

  sweep = g_new0 (Sweep, 1);
  sweep->self = g_object_ref (self);
  sweep->expired = g_steal_pointer (&found->expired);
  sweep_next (sweep);
}

/* Deletes what expired and sets the timeout for what expires next. */
static void
look (SottoExpiry *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->busy)
    {
      self->look_again = TRUE;
      return;
    }

  self->busy = TRUE;
  self->look_again = FALSE;

  task = g_task_new (self, NULL, looked_cb, NULL);
  g_task_set_task_data (task, g_new0 (Look, 1), (GDestroyNotify) look_free);
  _sotto_store_run_in_thread (self->store, task, look_thread);
}

/* Something may now expire sooner: a message was read or sent while
 * the timer was on. */
void
_sotto_expiry_reschedule (SottoExpiry *self)
{
  g_return_if_fail (SOTTO_IS_EXPIRY (self));

  if (self->started)
    look (self);
}

void
_sotto_expiry_start (SottoExpiry *self)
{
  g_return_if_fail (SOTTO_IS_EXPIRY (self));

  self->started = TRUE;
  look (self);
}

void
_sotto_expiry_stop (SottoExpiry *self)
{
  g_return_if_fail (SOTTO_IS_EXPIRY (self));

  self->started = FALSE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
}

/**
 * _sotto_expiry_wait_async:
 * @self: a #SottoExpiry
 * @callback: called once no sweep is under way
 * @user_data: data for @callback
 *
 * For a caller about to go offline, such as sotto-cli: the task returns
 * a boolean once what expired has been deleted.
 */
void
_sotto_expiry_wait_async (SottoExpiry         *self,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_EXPIRY (self));

  g_queue_push_tail (&self->waiters, g_task_new (self, NULL, callback, user_data));
  wake_waiters (self);
}

gboolean
_sotto_expiry_finish (SottoExpiry   *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Countdowns */

static void
countdowns_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SottoExpiry *self = source_object;
  gint64 conversation_id = *(gint64 *) task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_start_countdowns (self->store, conversation_id, _sotto_now_ms (), &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
countdowns_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoExpiry *self = g_task_get_source_object (task);

  if (_sotto_task_propagate_step (task, result))
    {
      _sotto_expiry_reschedule (self);
      g_task_return_boolean (task, TRUE);
    }
}

/* The conversation was marked read: its disappearing messages start
 * counting down. */
void
_sotto_expiry_conversation_read_async (SottoExpiry         *self,
                                       SottoConversation   *conversation,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gint64 conversation_id;

  g_return_if_fail (SOTTO_IS_EXPIRY (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  conversation_id = _sotto_conversation_get_id (conversation);
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_task_data (task, g_memdup2 (&conversation_id, sizeof conversation_id), g_free);
  _sotto_task_run_step (task, self->store, countdowns_thread, countdowns_cb);
}

/* Setting a conversation's timer */

typedef struct
{
  SottoConversation *conversation;
  guint seconds;
  SottoMessageRecord *event;
} TimerChange;

static void
timer_change_free (TimerChange *change)
{
  g_clear_object (&change->conversation);
  g_clear_pointer (&change->event, _sotto_message_record_free);
  g_free (change);
}

static void
set_timer_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoExpiry *self = source_object;
  TimerChange *change = task_data;
  gint64 conversation_id = _sotto_conversation_get_id (change->conversation);
  g_autoptr(GPtrArray) events = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (events, change->event);

  if (!_sotto_store_begin (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!_sotto_store_set_conversation_timer (self->store, conversation_id, change->seconds, &error)
      || !_sotto_store_append_messages (self->store, conversation_id, events, &error)
      || !_sotto_store_commit (self->store, &error))
    {
      _sotto_store_rollback (self->store);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
timer_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoExpiry *self = g_task_get_source_object (task);
  TimerChange *change = g_task_get_task_data (task);
  g_autoptr(SottoMessage) event = NULL;
  g_autoptr(SottoContent) content = NULL;

  if (!_sotto_task_propagate_step (task, result))
    return;

  event = _sotto_message_new_from_record (change->event);
  _sotto_conversation_add_stored (change->conversation, event);

  content = sotto_content_new_timer (change->event->id, change->event->sent_at, change->seconds);
  _sotto_outbox_send_content_async (self->outbox, change->conversation, content, NULL,
                                    _sotto_task_return_step_cb, g_steal_pointer (&task));
}

/**
 * _sotto_expiry_set_timer_async:
 * @self: a #SottoExpiry
 * @conversation: a conversation
 * @seconds: one of #sotto_expiry_timers, 0 for off
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact was told
 * @user_data: data for @callback
 *
 * Sets the conversation's timer, with its event, and tells the contact.
 * Messages written from now on disappear after @seconds.
 */
void
_sotto_expiry_set_timer_async (SottoExpiry         *self,
                               SottoConversation   *conversation,
                               guint                seconds,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf ("%u", seconds);
  TimerChange *change;
  gint64 now = _sotto_now_ms ();

  g_return_if_fail (SOTTO_IS_EXPIRY (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (_sotto_expiry_timer_is_valid (seconds));

  change = g_new0 (TimerChange, 1);
  change->conversation = g_object_ref (conversation);
  change->seconds = seconds;
  change->event = _sotto_message_record_new (id, SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                             SOTTO_MESSAGE_KIND_TIMER_CHANGED, SOTTO_MESSAGE_STATE_SENT,
                                             now, now, body);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_expiry_set_timer_async);
  g_task_set_task_data (task, change, (GDestroyNotify) timer_change_free);
  _sotto_task_run_step (task, self->store, set_timer_thread, timer_stored_cb);
}

SottoExpiry *
_sotto_expiry_new (SottoStore            *store,
                   SottoConversationList *conversations,
                   SottoOutbox           *outbox)
{
  SottoExpiry *self = g_object_new (SOTTO_TYPE_EXPIRY, NULL);

  self->store = g_object_ref (store);
  self->conversations = g_object_ref (conversations);
  self->outbox = g_object_ref (outbox);

  return self;
}

static void
sotto_expiry_dispose (GObject *object)
{
  SottoExpiry *self = (SottoExpiry *)object;

  _sotto_expiry_stop (self);

  G_OBJECT_CLASS (sotto_expiry_parent_class)->dispose (object);
}

static void
sotto_expiry_finalize (GObject *object)
{
  SottoExpiry *self = (SottoExpiry *)object;

  g_assert (g_queue_is_empty (&self->waiters));

  g_clear_object (&self->store);
  g_clear_object (&self->conversations);
  g_clear_object (&self->outbox);

  G_OBJECT_CLASS (sotto_expiry_parent_class)->finalize (object);
}

static void
sotto_expiry_class_init (SottoExpiryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_expiry_dispose;
  object_class->finalize = sotto_expiry_finalize;
}

static void
sotto_expiry_init (SottoExpiry *self)
{
  g_queue_init (&self->waiters);
}
