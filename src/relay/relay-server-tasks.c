/* relay-server-tasks.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The worker-task queue: storage ops and password hashes run on other
 * threads and come back to the loop, oldest first, through one stack and a
 * uv_async wake-up.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>
#include <uv.h>

#include "relay-server-private.h"

RelayTask *
_relay_task_new (RelayServer   *server,
                 RelayTaskFunc  complete,
                 RelayRequest  *request,
                 RelayConn     *conn)
{
  RelayTask *task = g_new0 (RelayTask, 1);

  task->server = server;
  task->complete = complete;
  task->request = request != NULL ? _relay_request_ref (request) : NULL;
  task->conn = conn != NULL ? _relay_conn_ref (conn) : NULL;
  server->pending_tasks++;
  return task;
}

void
_relay_task_free (RelayTask *task)
{
  if (task->request != NULL)
    _relay_request_unref (task->request);
  if (task->conn != NULL)
    _relay_conn_unref (task->conn);
  task->server->held_split_bytes -= task->held_split_bytes;
  if (task->data_free != NULL)
    task->data_free (task->data);
  relay_op_free (task->op);
  if (task->password != NULL)
    sodium_memzero (task->password, strlen (task->password));
  g_free (task->password);
  if (task->hash != NULL)
    sodium_memzero (task->hash, strlen (task->hash));
  g_free (task->hash);
  g_free (task);
}

/* Drops a task that was never handed to another thread. */
void
_relay_task_discard (RelayTask *task)
{
  task->server->pending_tasks--;
  _relay_task_free (task);
}

/* Called from the storage and hashing threads.  Once the task is in the
 * stack the loop thread may complete and free it at any moment, so the
 * server is read from it before the push.  A completion comes back for
 * every envelope sent, and with a lock the loop, woken by the first of a
 * commit's completions, would contend with the writer still pushing the
 * rest (a futex call on each side): the tasks form a stack pushed with
 * compare-and-swap instead, which the loop takes whole. */
static void
push_completion (RelayTask *task)
{
  RelayServer *server = task->server;
  RelayTask *head;

  do
    {
      head = g_atomic_pointer_get (&server->completed);
      task->next_completed = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&server->completed, head, task));
  uv_async_send (&server->wakeup);
}

/* Takes every completed task at once, oldest first.  Only the loop
 * takes, and it takes the whole stack, so a task cannot be pushed again
 * while a push is under way (no ABA). */
RelayTask *
_relay_take_completions (RelayServer *self)
{
  RelayTask *newest = g_atomic_pointer_exchange (&self->completed, NULL);
  RelayTask *oldest = NULL;

  while (newest != NULL)
    {
      RelayTask *next = newest->next_completed;

      newest->next_completed = oldest;
      oldest = newest;
      newest = next;
    }
  return oldest;
}

static void
op_done_cb (RelayOp *op)
{
  RelayTask *task = op->user_data;

  task->durable_at = g_get_monotonic_time ();
  push_completion (task);
}

/* Runs just before the loop waits for its sockets again. */
static void
storage_wake_cb (uv_prepare_t *handle)
{
  RelayServer *self = handle->data;

  uv_prepare_stop (handle);
  relay_storage_wake (self->storage);
}

/* The ops of one loop iteration (the sends read from every socket, the
 * acknowledgements gathered at its end) wake the storage writer once,
 * before the loop waits again, and so share a commit: woken by the
 * first, the writer would commit it alone while the loop still read the
 * next.  The loop's iteration is microseconds; a commit is at least one
 * fsync. */
void
_relay_task_submit_op (RelayTask *task,
                       RelayOp   *op)
{
  RelayServer *self = task->server;

  op->done = op_done_cb;
  op->user_data = task;
  task->op = op;
  task->submitted_at = g_get_monotonic_time ();
  /* A prepare handle started while the loop runs its prepare handles
   * (writing WebSocket frames can read input that waited for room)
   * would only run after the loop's next wait. */
  if (self->handles_closed || self->ws_flushing)
    {
      relay_storage_submit (self->storage, op);
      return;
    }
  relay_storage_submit_quiet (self->storage, op);
  if (!uv_is_active ((uv_handle_t *) &self->storage_wake))
    uv_prepare_start (&self->storage_wake, storage_wake_cb);
}

void
_relay_tasks_init (RelayServer *self)
{
  uv_prepare_init (&self->loop, &self->storage_wake);
  self->storage_wake.data = self;
}

void
_relay_hash_worker (gpointer data,
                    gpointer user_data)
{
  RelayTask *task = data;

  if (task->hash == NULL)
    task->hash = relay_password_hash (task->password);
  else
    task->verified = relay_password_verify (task->hash, task->password);
  push_completion (task);
}

/* Returns FALSE when too many hashes are waiting already: the caller
 * answers 503 instead of letting the queue grow.  Password checks leave
 * the last places to registrations, so that a flood of wrong passwords
 * cannot keep new accounts out. */
gboolean
_relay_task_submit_hash (RelayTask *task,
                         gboolean   registration)
{
  RelayServer *self = task->server;
  guint limit = self->config->hash_queue_limit;

  if (!registration)
    limit -= self->config->hash_queue_registration_reserve;
  if (self->hash_queued >= limit)
    return FALSE;
  self->hash_queued++;
  task->hashing = TRUE;
  g_thread_pool_push (self->hash_pool, task, NULL);
  return TRUE;
}

/* Where a send's time went, for the metrics: a tail in the storage
 * part follows the disk and the writer, one in the hand-back the
 * loop's own backlog or its thread waiting for a core. */
static void
note_send_stages (RelayServer *self,
                  RelayTask   *task)
{
  if (task->op == NULL || task->op->kind != RELAY_OP_SEND)
    return;
  relay_histogram_add (&self->metrics.send_storage,
                       (double) (task->durable_at - task->submitted_at) / G_USEC_PER_SEC);
  relay_histogram_add (&self->metrics.send_handback,
                       (double) (g_get_monotonic_time () - task->durable_at) / G_USEC_PER_SEC);
}

void
_relay_wakeup_cb (uv_async_t *handle)
{
  RelayServer *self = handle->data;
  RelayTask *next;

  /* A task that completes while these run wakes the loop again. */
  for (RelayTask *task = _relay_take_completions (self); task != NULL; task = next)
    {
      next = task->next_completed;
      self->pending_tasks--;
      if (task->hashing)
        {
          self->hash_queued--;
          self->metrics.password_hashes++;
        }
      note_send_stages (self, task);
      task->complete (task);
      _relay_task_free (task);
    }
}

gint64
_relay_now_ms (void)
{
  return g_get_real_time () / 1000;
}
