/* relay-storage.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parts of the storage interface that every backend shares.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-storage.h"

const double relay_commit_bucket_bounds[RELAY_COMMIT_BUCKETS] = {
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
};

RelayOp *
relay_op_new (RelayOpKind kind)
{
  RelayOp *op = g_new0 (RelayOp, 1);

  op->kind = kind;
  op->status = RELAY_STORAGE_FAILED;
  return op;
}

void
relay_bundle_free (RelayBundle *bundle)
{
  relay_prekey_free (bundle->signed_prekey);
  relay_prekey_free (bundle->prekey);
  relay_prekey_free (bundle->pq_prekey);
  g_free (bundle);
}

void
relay_stored_envelope_free (RelayStoredEnvelope *envelope)
{
  g_free (envelope->guid);
  g_free (envelope->source_uuid);
  g_clear_pointer (&envelope->content, g_bytes_unref);
  g_free (envelope);
}

void
relay_op_free (RelayOp *op)
{
  if (op == NULL)
    return;
  g_free (op->uuid);
  g_free (op->username);
  if (op->password_hash != NULL)
    sodium_memzero (op->password_hash, strlen (op->password_hash));
  g_free (op->password_hash);
  g_clear_pointer (&op->password_digest, g_bytes_unref);
  relay_register_request_free (op->reg);
  relay_keys_request_free (op->keys);
  relay_send_request_free (op->send);
  g_clear_pointer (&op->guids, g_ptr_array_unref);
  g_free (op->source_uuid);
  g_clear_pointer (&op->acks, g_array_unref);
  g_clear_pointer (&op->invite_hash, g_bytes_unref);
  g_clear_pointer (&op->identity_key, g_bytes_unref);
  g_clear_pointer (&op->bundles, g_ptr_array_unref);
  g_clear_pointer (&op->ids, g_array_unref);
  g_clear_pointer (&op->missing, g_array_unref);
  g_clear_pointer (&op->extra, g_array_unref);
  g_clear_pointer (&op->stale, g_array_unref);
  g_clear_pointer (&op->envelopes, g_ptr_array_unref);
  g_clear_pointer (&op->parts, g_ptr_array_unref);
  g_clear_pointer (&op->access_key, g_bytes_unref);
  g_clear_pointer (&op->profile, g_bytes_unref);
  g_free (op);
}

void
relay_commit_stats_add (RelayCommitStats *stats,
                        double            seconds,
                        guint             ops)
{
  stats->commits++;
  stats->ops += ops;
  stats->latency_sum += seconds;
  for (guint i = 0; i < RELAY_COMMIT_BUCKETS; i++)
    if (seconds <= relay_commit_bucket_bounds[i])
      stats->latency_buckets[i]++;
}

static void
note_device (GArray  **list,
             guint32   device_id)
{
  if (*list == NULL)
    *list = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_array_append_val (*list, device_id);
}

static gboolean
send_names_device (GPtrArray *messages,
                   guint32    device_id)
{
  for (guint i = 0; i < messages->len; i++)
    if (((RelayOutgoingEnvelope *) g_ptr_array_index (messages, i))->device_id == device_id)
      return TRUE;
  return FALSE;
}

/* Checks a send's envelopes against the account's devices (an array of
 * RelayDeviceRow), filling the op's missing, extra and stale lists only
 * when there is something to put in them: a send that fits allocates
 * nothing here. */
RelayStorageStatus
relay_storage_check_devices (RelayOp *op,
                             GArray  *devices)
{
  GPtrArray *messages = op->send->messages;
  gboolean to_self = strcmp (op->uuid, op->source_uuid) == 0;

  /* The sender's own device never receives a copy of its message. */
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      gboolean known = FALSE;

      for (guint j = 0; j < devices->len; j++)
        {
          RelayDeviceRow *row = &g_array_index (devices, RelayDeviceRow, j);

          if (row->device_id != envelope->device_id)
            continue;
          known = !(to_self && row->device_id == op->source_device);
          if (known && row->registration_id != envelope->registration_id)
            note_device (&op->stale, envelope->device_id);
        }
      if (!known)
        note_device (&op->extra, envelope->device_id);
    }
  for (guint j = 0; j < devices->len; j++)
    {
      RelayDeviceRow *row = &g_array_index (devices, RelayDeviceRow, j);

      if (to_self && row->device_id == op->source_device)
        continue;
      if (!send_names_device (messages, row->device_id))
        note_device (&op->missing, row->device_id);
    }
  if (op->missing != NULL || op->extra != NULL)
    return RELAY_STORAGE_DEVICE_MISMATCH;
  if (op->stale != NULL)
    return RELAY_STORAGE_STALE_DEVICES;
  return RELAY_STORAGE_OK;
}

void
relay_writer_init (RelayWriter            *self,
                   const RelayWriterFuncs *funcs,
                   gpointer                backend)
{
  self->funcs = funcs;
  self->backend = backend;
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->submitted = g_ptr_array_new ();
}

/* Whether what was submitted is what the thread waits for. */
static gboolean
wanted (RelayWriter     *self,
        RelayWriterWake  wake_on)
{
  if (self->submitted->len >= RELAY_WRITER_MAX_BATCH)
    return TRUE;
  switch (wake_on)
    {
    case RELAY_WRITER_WAKE_ANY:
      return self->submitted->len > 0;
    case RELAY_WRITER_WAKE_NON_ACK:
      return self->non_ack_submitted > 0;
    case RELAY_WRITER_WAKE_FULL:
    default:
      return FALSE;
    }
}

/* Waits under the mutex until the writer closes, `deadline` (monotonic)
 * passes, or what `wake_on` names is submitted.  Submitters signal only
 * while the thread waits for what they bring: under load it never
 * waits, and every signal is a system call. */
static void
wait_for_ops (RelayWriter     *self,
              gint64           deadline,
              RelayWriterWake  wake_on)
{
  self->waiting = TRUE;
  self->wake_on = wake_on;
  while (!self->closing && !wanted (self, wake_on) &&
         g_cond_wait_until (&self->cond, &self->mutex, deadline))
    ;
  self->waiting = FALSE;
}

/* What the thread knows of the rate of ops other than
 * acknowledgements, from which it decides whether to space commits. */
typedef struct
{
  gint64   window_start;
  guint64  window_ops;
  gboolean spaced;
} OpRate;

/* Counts `n_ops` ops other than acknowledgements taken at `now`.  At
 * 1,000 sends a second and a spacing of 1 ms, one send falls into each
 * spacing: every commit carries one send whether the thread waits or
 * not (0.95-0.97 commits a message against 0.98-1.00 without the
 * spacing, docs/performance.md), and the wait only adds up to a
 * millisecond to each.  At twice that rate the spacing halves the
 * commits.  Below 1.5 ops a spacing the thread therefore commits at
 * once. */
static void
op_rate_note (OpRate *rate,
              gint64  spacing_us,
              guint   n_ops,
              gint64  now)
{
  gint64 elapsed = now - rate->window_start;

  rate->window_ops += n_ops;
  if (elapsed < RELAY_WRITER_RATE_WINDOW_US)
    return;
  rate->spaced = rate->window_ops * (guint64) spacing_us * RELAY_WRITER_SPACED_OPS_DEN >=
                 (guint64) elapsed * RELAY_WRITER_SPACED_OPS_NUM;
  rate->window_start = now;
  rate->window_ops = 0;
}

/* Takes everything submitted so far by swapping arrays with the
 * submitters, which costs no allocation per op, and runs it in batches.
 * At everyday rates the receivers' acknowledgements come between the
 * sends, one commit (and one fsync) each, and one wake-up of this thread
 * each; holding them for the next send lets each commit carry both.
 * After a batch with other ops in it, acknowledgements are expected (a
 * send or a fetch delivers envelopes), so the thread waits for the next
 * op without being woken by them; acknowledgements that come while it
 * waits for anything wake it, and it then holds them.  Either way an
 * acknowledgement waits at most RELAY_WRITER_ACK_HOLD_US. */
static gpointer
writer_thread (gpointer data)
{
  RelayWriter *self = data;
  g_autoptr(GPtrArray) ops = g_ptr_array_new ();
  gboolean acks_expected = FALSE;
  gint64 last_start = 0;
  OpRate rate = { 0 };

  for (;;)
    {
      GPtrArray *taken;
      gboolean closing;
      gboolean held = FALSE;
      guint non_acks;
      gint64 now;

      g_mutex_lock (&self->mutex);
      now = g_get_monotonic_time ();
      /* While commits are spaced, whatever comes within the spacing
       * waits for its end anyway, so only a full batch wakes the
       * thread before it: a send there used to wake it once for
       * nothing and the spacing's end again.  Acknowledgements are
       * still held from now, not from the spacing's end. */
      if (rate.spaced && now < last_start + self->commit_spacing_us)
        wait_for_ops (self, last_start + self->commit_spacing_us, RELAY_WRITER_WAKE_FULL);
      if (self->submitted->len == 0 && acks_expected)
        {
          wait_for_ops (self, now + RELAY_WRITER_ACK_HOLD_US, RELAY_WRITER_WAKE_NON_ACK);
          held = TRUE;
        }
      if (self->submitted->len == 0)
        {
          wait_for_ops (self, g_get_monotonic_time () + RELAY_WRITER_IDLE_US, RELAY_WRITER_WAKE_ANY);
          held = FALSE;
          now = g_get_monotonic_time ();
        }
      if (!held && self->submitted->len > 0)
        wait_for_ops (self, now + RELAY_WRITER_ACK_HOLD_US, RELAY_WRITER_WAKE_NON_ACK);
      taken = self->submitted;
      self->submitted = g_steal_pointer (&ops);
      ops = taken;
      non_acks = self->non_ack_submitted;
      self->non_ack_submitted = 0;
      closing = self->closing;
      g_mutex_unlock (&self->mutex);
      acks_expected = non_acks > 0;
      op_rate_note (&rate, self->commit_spacing_us, non_acks, g_get_monotonic_time ());

      if (ops->len == 0 && closing)
        break;
      if (ops->len == 0)
        {
          self->funcs->idle (self->backend);
          continue;
        }
      last_start = g_get_monotonic_time ();
      for (guint start = 0; start < ops->len; start += RELAY_WRITER_MAX_BATCH)
        {
          RelayOp **batch = (RelayOp **) ops->pdata + start;
          guint n_ops = MIN (RELAY_WRITER_MAX_BATCH, ops->len - start);

          self->funcs->run_batch (self->backend, batch, n_ops);
          for (guint i = 0; i < n_ops; i++)
            if (batch[i] != NULL)
              batch[i]->done (batch[i]);
        }
      g_ptr_array_set_size (ops, 0);
    }
  return NULL;
}

void
relay_writer_set_commit_spacing (RelayWriter *self,
                                 gint64       spacing_us)
{
  g_assert (self->thread == NULL);
  self->commit_spacing_us = spacing_us;
}

void
relay_writer_start (RelayWriter *self)
{
  self->thread = g_thread_new ("relay-writer", writer_thread, self);
}

/* Adds an op under the mutex; returns whether the thread waits for
 * what it brings. */
static gboolean
add_op (RelayWriter *self,
        RelayOp     *op)
{
  g_assert (op->done != NULL);
  g_assert (!self->closing);

  g_ptr_array_add (self->submitted, op);
  if (op->kind != RELAY_OP_ACK)
    self->non_ack_submitted++;
  return self->waiting && wanted (self, self->wake_on);
}

/* Signals go out after the mutex is released: a thread woken while
 * the submitter still held it would at once block on the mutex again,
 * one more futex call and context switch on each side for every
 * wake-up.  A signal that comes after the thread stopped waiting (its
 * deadline passed) only makes its next wait return at once, after which
 * it looks at what was submitted again. */
void
relay_writer_submit (RelayWriter *self,
                     RelayOp     *op)
{
  gboolean wake;

  g_mutex_lock (&self->mutex);
  wake = add_op (self, op);
  g_mutex_unlock (&self->mutex);
  if (wake)
    g_cond_signal (&self->cond);
}

void
relay_writer_submit_quiet (RelayWriter *self,
                           RelayOp     *op)
{
  g_mutex_lock (&self->mutex);
  if (add_op (self, op))
    self->wake_due = TRUE;
  g_mutex_unlock (&self->mutex);
}

/* The thread may have stopped waiting since (its deadline passed): a
 * signal then finds it waiting for something else, or not at all, and
 * it looks at what was submitted again before it waits anew.  As in
 * relay_writer_submit(), the signal follows the unlock. */
void
relay_writer_wake (RelayWriter *self)
{
  gboolean wake;

  g_mutex_lock (&self->mutex);
  wake = self->wake_due && self->waiting;
  self->wake_due = FALSE;
  g_mutex_unlock (&self->mutex);
  if (wake)
    g_cond_signal (&self->cond);
}

void
relay_writer_get_stats (RelayWriter      *self,
                        RelayCommitStats *stats)
{
  g_mutex_lock (&self->mutex);
  *stats = self->stats;
  g_mutex_unlock (&self->mutex);
}

void
relay_writer_note_batch (RelayWriter *self,
                         double       seconds,
                         guint        n_ops,
                         gint64       queued)
{
  g_mutex_lock (&self->mutex);
  relay_commit_stats_add (&self->stats, seconds, n_ops);
  self->stats.queued = queued;
  g_mutex_unlock (&self->mutex);
}

void
relay_writer_set_queued (RelayWriter *self,
                         gint64       queued)
{
  g_mutex_lock (&self->mutex);
  self->stats.queued = queued;
  g_mutex_unlock (&self->mutex);
}

void
relay_writer_stop (RelayWriter *self)
{
  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->mutex);
  self->closing = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);
  g_thread_join (self->thread);
  self->thread = NULL;
}

void
relay_writer_clear (RelayWriter *self)
{
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_clear_pointer (&self->submitted, g_ptr_array_unref);
}

void
relay_writer_storage_submit (RelayStorage *self,
                             RelayOp      *op)
{
  relay_writer_submit (self->writer, op);
}

void
relay_storage_submit_quiet (RelayStorage *self,
                            RelayOp      *op)
{
  relay_writer_submit_quiet (self->writer, op);
}

void
relay_storage_wake (RelayStorage *self)
{
  relay_writer_wake (self->writer);
}

void
relay_writer_storage_get_stats (RelayStorage     *self,
                                RelayCommitStats *stats)
{
  relay_writer_get_stats (self->writer, stats);
}
