/* sotto-group-list-outgoing.c: group messages that wait for the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-group-private.h"
#include "sotto-group-list-internal-private.h"

/* The messages this device sent to a group that the relay did not take
 * for every member wait in the store (sotto-store-group-outgoing.c), as
 * the outbox's messages do (sotto-outbox.c), and go the same way: a
 * pass sends them again, one after the other in the order they were
 * written, when the relay's socket opens, when the group list is loaded
 * or the messenger flushed, and after a failure that may pass, again
 * after the outbox's growing, jittered delay.  A message that failed
 * for good (the relay refused it for a reason a later try would meet
 * again) waits for the user's sotto_group_list_retry_async(). */

static void pass_next (GTask *task);

/* The messages one pass sends: those waiting when it began. */
typedef struct
{
  GPtrArray *waiting;
  guint next;
  gboolean transient;
} Pass;

static void
pass_free (Pass *pass)
{
  g_clear_pointer (&pass->waiting, g_ptr_array_unref);
  g_free (pass);
}

static gboolean
retry_cb (gpointer user_data)
{
  SottoGroupList *self = user_data;

  self->outgoing_retry_source = 0;
  _sotto_group_list_flush_outgoing_async (self, NULL, NULL);

  return G_SOURCE_REMOVE;
}

static void start_pass (SottoGroupList *self);

/* Completes the waiters once a pass that began after them is over, and
 * starts the next pass if one was asked for meanwhile. */
static void
pass_done (SottoGroupList *self,
           gboolean        transient)
{
  self->outgoing_passing = FALSE;

  if (transient && self->outgoing_retry_source == 0 && self->messenger != NULL)
    self->outgoing_retry_source = g_timeout_add (_sotto_outbox_retry_delay (self->outgoing_attempts++), retry_cb,
                                                 self);
  else if (!transient)
    self->outgoing_attempts = 0;

  if (self->outgoing_again)
    {
      start_pass (self);
      return;
    }

  while (!g_queue_is_empty (&self->outgoing_waiters))
    {
      g_autoptr(GTask) waiter = g_queue_pop_head (&self->outgoing_waiters);

      g_task_return_boolean (waiter, TRUE);
    }
}

static void
resent_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Pass *pass = g_task_get_task_data (task);
  g_autoptr(SottoGroupEvent) message = NULL;
  g_autoptr(GError) error = NULL;

  /* What it did is on the message: the members still waiting, and
   * whether for good. */
  message = g_task_propagate_pointer (G_TASK (result), &error);
  if (message == NULL)
    g_debug ("A group message still waits: %s", error->message);
  if (message != NULL && message->pending != NULL && !message->failed)
    pass->transient = TRUE;

  pass_next (g_steal_pointer (&task));
}

static void
pass_next (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);
  Pass *pass = g_task_get_task_data (task);

  while (pass->next < pass->waiting->len)
    {
      SottoGroupOutgoing *outgoing = g_steal_pointer (&pass->waiting->pdata[pass->next++]);
      GTask *step;

      /* One that is on its way already is not sent twice. */
      if (g_hash_table_contains (self->outgoing_busy, &outgoing->event_row))
        {
          _sotto_group_outgoing_free (outgoing);
          continue;
        }

      step = g_task_new (self, NULL, resent_cb, g_steal_pointer (&task));
      _sotto_group_list_resend (self, outgoing, step);
      g_object_unref (step);
      return;
    }

  pass_done (self, pass->transient);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Pass *pass = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  pass->waiting = g_task_propagate_pointer (G_TASK (result), &error);
  if (pass->waiting == NULL)
    {
      if (!g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED))
        g_warning ("Could not read the group messages that wait for the relay: %s", error->message);
      pass->waiting = g_ptr_array_new ();
    }

  if (pass->waiting->len > 0)
    g_debug ("%u group messages wait for the relay", pass->waiting->len);
  pass_next (g_steal_pointer (&task));
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  gint64 event_row = GPOINTER_TO_SIZE (task_data);
  GError *error = NULL;
  GPtrArray *waiting = _sotto_store_list_group_outgoing (self->store, event_row != 0, event_row, &error);

  if (waiting == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, waiting, (GDestroyNotify) g_ptr_array_unref);
}

static void
start_pass (SottoGroupList *self)
{
  /* Nobody waits for the pass itself, but its waiters. */
  g_autoptr(GTask) task = g_task_new (self, NULL, NULL, NULL);
  GTask *step;

  self->outgoing_passing = TRUE;
  self->outgoing_again = FALSE;
  g_clear_handle_id (&self->outgoing_retry_source, g_source_remove);

  g_task_set_task_data (task, g_new0 (Pass, 1), (GDestroyNotify) pass_free);
  step = g_task_new (self, NULL, listed_cb, g_steal_pointer (&task));
  _sotto_store_run_in_thread (self->store, step, list_thread);
  g_object_unref (step);
}

/* Sends the group messages that wait for the relay, and the ones that
 * come to wait while it does; completes, with no error, once a pass
 * that began after the call is over.  A message the relay still cannot
 * take waits on, which the timeline shows. */
void
_sotto_group_list_flush_outgoing_async (SottoGroupList      *self,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, _sotto_group_list_flush_outgoing_async);
  g_queue_push_tail (&self->outgoing_waiters, g_steal_pointer (&task));

  if (self->outgoing_passing)
    self->outgoing_again = TRUE;
  else
    start_pass (self);
}

static void
connection_cb (SottoGroupList   *self,
               GParamSpec       *pspec,
               SottoRelayClient *client)
{
  /* A socket that opens is the best sign that the relay takes
   * requests again, as for the outbox. */
  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_CONNECTED)
    _sotto_group_list_flush_outgoing_async (self, NULL, NULL);
}

/* From now on, the messages that wait go whenever the relay's socket
 * opens. */
void
_sotto_group_list_watch_outgoing (SottoGroupList *self)
{
  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (connection_cb), self,
                           G_CONNECT_SWAPPED);
}

/* Retry */

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupEvent *message;
  GError *error = NULL;

  message = g_task_propagate_pointer (G_TASK (result), &error);
  if (message == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, message, (GDestroyNotify) sotto_group_event_free);
}

static void
retry_listed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  g_autoptr(GPtrArray) waiting = NULL;
  SottoGroupOutgoing *outgoing;
  GTask *step;
  GError *error = NULL;

  waiting = g_task_propagate_pointer (G_TASK (result), &error);
  if (waiting == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (waiting->len == 0)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("The message went to every member already"));
      return;
    }

  outgoing = g_ptr_array_steal_index (waiting, 0);
  if (g_hash_table_contains (self->outgoing_busy, &outgoing->event_row))
    {
      _sotto_group_outgoing_free (outgoing);
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("The message is being sent"));
      return;
    }

  step = g_task_new (self, NULL, retried_cb, g_steal_pointer (&task));
  _sotto_group_list_resend (self, outgoing, step);
  g_object_unref (step);
}

typedef struct
{
  char *group_id;
  char *message_id;
} Retry;

static void
retry_free (Retry *retry)
{
  g_free (retry->group_id);
  g_free (retry->message_id);
  g_free (retry);
}

static void
find_retry_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  Retry *retry = task_data;
  g_autoptr(SottoGroupState) state = NULL;
  GPtrArray *waiting;
  GError *error = NULL;
  gint64 event_row = 0;
  gint64 row = 0;

  state = _sotto_group_list_load_group (self, retry->group_id, &row, &error);
  if (state == NULL
      || !_sotto_store_find_group_event_row (self->store, row, sotto_account_get_uuid (self->account),
                                             retry->message_id, &event_row, &error))
    {
      if (error == NULL)
        g_set_error_literal (&error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED, _("There is no such group"));
      g_task_return_error (task, error);
      return;
    }

  waiting = _sotto_store_list_group_outgoing (self->store, TRUE, event_row, &error);
  if (waiting == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, waiting, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * sotto_group_list_retry_async:
 * @self: a #SottoGroupList
 * @group: a group
 * @message: a message this account sent to it that has members still
 *   waiting for it (#SottoGroupEvent.pending)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took it, or could not
 * @user_data: data for @callback
 *
 * Sends @message again to the members still waiting for it, as the user
 * asks after it failed for good; the callback has it as the timeline
 * has it then, as sotto_group_list_send_async() does.
 */
void
sotto_group_list_retry_async (SottoGroupList        *self,
                              SottoGroup            *group,
                              const SottoGroupEvent *message,
                              GCancellable          *cancellable,
                              GAsyncReadyCallback    callback,
                              gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Retry *retry;
  GTask *step;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (message != NULL && message->outgoing);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_retry_async);

  retry = g_new0 (Retry, 1);
  retry->group_id = g_strdup (sotto_group_get_id (group));
  retry->message_id = g_strdup (message->id);
  step = g_task_new (self, NULL, retry_listed_cb, g_steal_pointer (&task));
  g_task_set_task_data (step, retry, (GDestroyNotify) retry_free);
  _sotto_store_run_in_thread (self->store, step, find_retry_thread);
  g_object_unref (step);
}

/**
 * sotto_group_list_retry_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the message, as the group's timeline has it
 */
SottoGroupEvent *
sotto_group_list_retry_finish (SottoGroupList  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, sotto_group_list_retry_async, error);
}
