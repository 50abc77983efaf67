/* relay-server-expiry.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Envelopes whose sender gave them an expiry ("expiresInMs", the
 * disappearing messages of docs/messenger.md).  A send may ask for any
 * expiry up to how long the relay keeps an envelope at all; past it, the
 * envelope is never delivered (fetches leave it out, and a frame that
 * waits for a slow socket is dropped instead of written) and a sweep
 * deletes it.
 *
 * The sweep runs when the earliest expiry the node knows of passes: the
 * one each sweep reads from the database, which holds those of every
 * node's sends, and those of the sends this node stores meanwhile.  With
 * nothing due it still runs every EXPIRY_SWEEP_IDLE_MS, for the sends of
 * another node that stops before it sweeps them; and never twice within
 * EXPIRY_SWEEP_GAP_MS, so that sends with ever earlier expiries cannot
 * make the writer sweep without end.  An expired envelope is thus gone
 * from storage about a second after its expiry.
 */

#include "config.h"

#include "relay-api-fanout.h"
#include "relay-server-private.h"

#define EXPIRY_SWEEP_IDLE_MS (60 * 1000)
#define EXPIRY_SWEEP_GAP_MS  1000

static void sweep_cb (uv_timer_t *timer);

/* Sets the timer for `when` (milliseconds since the epoch) unless it is
 * set for earlier already; no sooner than EXPIRY_SWEEP_GAP_MS after the
 * last sweep began. */
static void
sweep_at (RelayServer *self,
          gint64       when)
{
  RelayExpirySweep *sweep = &self->expiry_sweep;
  gint64 now = _relay_now_ms ();

  when = MAX (when, sweep->last + EXPIRY_SWEEP_GAP_MS);
  if (self->draining || (sweep->due != 0 && sweep->due <= when))
    return;
  sweep->due = when;
  /* One more millisecond, so that the clock has passed the expiry when
   * the sweep reads it. */
  uv_timer_start (&sweep->timer, sweep_cb, (guint64) (MAX (when, now) - now + 1), 0);
}

static void
sweep_done_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayExpirySweep *sweep = &self->expiry_sweep;
  RelayOp *op = task->op;
  gint64 next = _relay_now_ms () + EXPIRY_SWEEP_IDLE_MS;

  sweep->running = FALSE;
  if (op->status == RELAY_STORAGE_OK)
    {
      if (op->removed > 0)
        g_debug ("Dropped %" G_GINT64_FORMAT " envelopes whose expiry passed", op->removed);
      self->metrics.envelopes_lapsed += (guint64) op->removed;
      if (op->next_expiry > 0)
        next = MIN (next, op->next_expiry);
    }
  if (sweep->noted > 0)
    next = MIN (next, sweep->noted);
  sweep->noted = 0;
  if (!self->handles_closed)
    sweep_at (self, next);
}

static void
sweep_cb (uv_timer_t *timer)
{
  RelayServer *self = timer->data;
  RelayExpirySweep *sweep = &self->expiry_sweep;
  RelayTask *task;
  RelayOp *op;

  sweep->due = 0;
  if (self->draining)
    return;
  sweep->running = TRUE;
  sweep->last = _relay_now_ms ();
  task = _relay_task_new (self, sweep_done_cb, NULL, NULL);
  op = relay_op_new (RELAY_OP_DROP_EXPIRED);
  op->server_timestamp = sweep->last;
  _relay_task_submit_op (task, op);
}

/* The first sweep runs at once: envelopes may have expired while the
 * relay was down. */
void
_relay_expiry_init (RelayServer *self)
{
  uv_timer_init (&self->loop, &self->expiry_sweep.timer);
  self->expiry_sweep.timer.data = self;
  self->expiry_sweep.last = G_MININT64 / 2;
  sweep_at (self, _relay_now_ms ());
}

void
_relay_expiry_close (RelayServer *self)
{
  uv_close ((uv_handle_t *) &self->expiry_sweep.timer, NULL);
}

/* A committed send's envelopes: the sweep runs once the earliest of
 * their expiries passes, or after the sweep under way, which may have
 * read the next expiry before they were stored. */
void
_relay_expiry_note_send (RelayServer *self,
                         RelayOp     *op)
{
  RelayExpirySweep *sweep = &self->expiry_sweep;

  for (guint i = 0; i < op->send->messages->len; i++)
    {
      gint64 expires_at = relay_envelope_expires_at (op, g_ptr_array_index (op->send->messages, i));

      if (expires_at == 0)
        continue;
      if (sweep->running)
        sweep->noted = sweep->noted > 0 ? MIN (sweep->noted, expires_at) : expires_at;
      else
        sweep_at (self, expires_at);
    }
}

/* Whether a send may ask for `expires_in_ms`: no longer than the relay
 * keeps any envelope, which drops it then anyway.  A refusal is answered
 * with 400, before anything is stored. */
gboolean
_relay_expiry_allowed (RelayRequest *request,
                       gint64        expires_in_ms)
{
  if (expires_in_ms <= (gint64) request->server->config->max_queue_age_seconds * 1000)
    return TRUE;
  _relay_respond_error (request, 400, "bad-value",
                        "Field “expiresInMs” is longer than the relay keeps envelopes");
  return FALSE;
}

gboolean
_relay_send_expiry_allowed (RelayRequest     *request,
                            RelaySendRequest *send)
{
  for (guint i = 0; i < send->messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (send->messages, i);

      if (!_relay_expiry_allowed (request, envelope->expires_in_ms))
        return FALSE;
    }
  return TRUE;
}

gboolean
_relay_multi_expiry_allowed (RelayRequest          *request,
                             RelayMultiSendRequest *multi)
{
  for (guint i = 0; i < multi->recipients->len; i++)
    {
      RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, i);

      if (!_relay_send_expiry_allowed (request, recipient->send))
        return FALSE;
    }
  return TRUE;
}
