/* relay-server-tasks.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The worker-task queue: storage ops and password hashes run on other
 * threads and come back to the loop, oldest first, through one queue and a
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

  task->link.data = task;
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
 * queue the loop thread may complete and free it at any moment, so the
 * server is read from it before the push.  The task is its own queue
 * link: a completion comes back for every envelope sent. */
static void
push_completion (RelayTask *task)
{
  RelayServer *server = task->server;

  g_mutex_lock (&server->completions_lock);
  g_queue_push_tail_link (&server->completions, &task->link);
  g_mutex_unlock (&server->completions_lock);
  uv_async_send (&server->wakeup);
}

/* Takes every completed task at once, oldest first, so that the lock is
 * taken once per wake-up rather than once per task. */
GList *
_relay_take_completions (RelayServer *self)
{
  GList *tasks;

  g_mutex_lock (&self->completions_lock);
  tasks = self->completions.head;
  g_queue_init (&self->completions);
  g_mutex_unlock (&self->completions_lock);
  return tasks;
}

static void
op_done_cb (RelayOp *op)
{
  push_completion (op->user_data);
}

void
_relay_task_submit_op (RelayTask *task,
                       RelayOp   *op)
{
  op->done = op_done_cb;
  op->user_data = task;
  task->op = op;
  relay_storage_submit (task->server->storage, op);
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

void
_relay_wakeup_cb (uv_async_t *handle)
{
  RelayServer *self = handle->data;
  GList *next;

  /* A task that completes while these run wakes the loop again. */
  for (GList *link = _relay_take_completions (self); link != NULL; link = next)
    {
      RelayTask *task = link->data;

      next = link->next;
      self->pending_tasks--;
      if (task->hashing)
        {
          self->hash_queued--;
          self->metrics.password_hashes++;
        }
      task->complete (task);
      _relay_task_free (task);
    }
}

gint64
_relay_now_ms (void)
{
  return g_get_real_time () / 1000;
}
