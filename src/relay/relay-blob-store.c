/* relay-blob-store.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every blob store shares: its warnings, freeing, the sweep of
 * expired blobs, and the commit of an upload whose every byte was stored
 * when the relay stopped before it could commit it.
 */

#include "config.h"

#include <string.h>

#include "relay-blob-store.h"

void
relay_blob_store_init (RelayBlobStore            *self,
                       const RelayBlobStoreClass *klass)
{
  self->klass = klass;
  g_mutex_init (&self->log_lock);
  memset (&self->warnings, 0, sizeof self->warnings);
}

void
relay_blob_store_warn (RelayBlobStore *self,
                       const char     *format,
                       ...)
{
  va_list args;

  va_start (args, format);
  g_mutex_lock (&self->log_lock);
  relay_log_throttle_vprintf (&self->warnings, G_LOG_LEVEL_WARNING, format, args);
  g_mutex_unlock (&self->log_lock);
  va_end (args);
}

void
relay_blob_store_free (RelayBlobStore *self)
{
  if (self == NULL)
    return;
  relay_log_throttle_clear (&self->warnings);
  g_mutex_clear (&self->log_lock);
  self->klass->free (self);
}

/* Closes *handle, if open, and clears it. */
void
relay_blob_store_close (RelayBlobStore   *self,
                        RelayBlobHandle **handle)
{
  if (*handle == NULL)
    return;
  self->klass->close (self, *handle);
  *handle = NULL;
}

typedef struct
{
  gint64  cutoff_ms;
  GArray *expired;   /* of RelayBlobInfo */
} SweepScan;

static void
collect_expired (const RelayBlobInfo *info,
                 gpointer             user_data)
{
  SweepScan *scan = user_data;

  if (info->meta.created_ms <= scan->cutoff_ms)
    g_array_append_val (scan->expired, *info);
}

GArray *
relay_blob_store_sweep (RelayBlobStore *self,
                        gint64          now_ms,
                        gint64          max_age_ms)
{
  SweepScan scan = { now_ms - max_age_ms, NULL };
  GArray *removed = g_array_new (FALSE, FALSE, sizeof (RelayBlobInfo));

  /* What a shared store could not remove now, a later sweep of any node
   * does. */
  if (self->klass->expire != NULL)
    {
      self->klass->expire (self, scan.cutoff_ms, removed);
      return removed;
    }
  scan.expired = g_array_new (FALSE, FALSE, sizeof (RelayBlobInfo));
  self->klass->scan (self, collect_expired, &scan);
  for (guint i = 0; i < scan.expired->len; i++)
    {
      RelayBlobInfo *info = &g_array_index (scan.expired, RelayBlobInfo, i);

      if (self->klass->remove (self, info->id) == RELAY_BLOB_OK)
        g_array_append_val (removed, *info);
    }
  g_array_unref (scan.expired);
  return removed;
}

/* Opens `owner`'s upload to append to, as the open function does, but
 * commits one that holds all its bytes already: a relay stopped between
 * the last append and the commit left it so, and no part could finish
 * it now.  An empty upload still takes its empty part. */
RelayBlobStatus
relay_blob_store_open_upload (RelayBlobStore   *self,
                              const char       *id,
                              const char       *owner,
                              RelayBlobInfo    *info,
                              RelayBlobHandle **handle)
{
  RelayBlobStatus status = self->klass->open (self, id, owner, TRUE, info, handle);

  if (status != RELAY_BLOB_OK || *handle == NULL || info->meta.size == 0 || info->stored < info->meta.size)
    return status;
  status = self->klass->commit (self, *handle);
  relay_blob_store_close (self, handle);
  info->complete = status == RELAY_BLOB_OK;
  return status;
}

/* What stat tells, for an upload opened as relay_blob_store_open_upload()
 * opens it for `owner`. */
RelayBlobStatus
relay_blob_store_stat_upload (RelayBlobStore *self,
                              const char     *id,
                              const char     *owner,
                              RelayBlobInfo  *info)
{
  RelayBlobHandle *handle = NULL;
  RelayBlobStatus status = self->klass->stat (self, id, owner, info);

  if (status != RELAY_BLOB_OK || info->complete || info->meta.size == 0 || info->stored < info->meta.size)
    return status;
  status = relay_blob_store_open_upload (self, id, owner, info, &handle);
  g_assert (handle == NULL);
  return status;
}
