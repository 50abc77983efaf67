/* sotto-attachment-service-resume.c: uploads cut short, resumed on a flush
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-service"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-plain-stream-private.h"
#include "sotto-attachment-service-internal-private.h"
#include "sotto-attachment-transfer-private.h"
#include "sotto-store-attachments-private.h"

/* An upload that a send could not finish stays in the store, uploading,
 * and each flush of the messenger resumes it from where the relay
 * stands; meanwhile the blobs of deleted messages are swept from the
 * attachment folder.  An attachment that a view shows, whether its
 * model was made before the upload resumed or while it runs, reports
 * the upload's progress (_sotto_attachment_find()) and cancels it
 * (_sotto_attachment_resumed_begin()). */

typedef struct
{
  GPtrArray *unsent;
  GHashTable *kept;
  guint next;
  /* What stops the upload under way: its model's Cancel, or the
   * flush's cancellable, which @linked ties to it. */
  GCancellable *upload;
  GCancellable *flush;
  gulong linked;
  GError *error;
} Resume;

static void
resume_free (Resume *resume)
{
  g_assert (resume->upload == NULL);
  g_clear_object (&resume->flush);
  g_clear_pointer (&resume->unsent, g_ptr_array_unref);
  g_clear_pointer (&resume->kept, g_hash_table_unref);
  g_clear_error (&resume->error);
  g_free (resume);
}

static void resume_next (GTask *task);
static void resume_start (GTask *task);

/* @task, the resume under way, is over (it returned): the next one
 * asked for meanwhile starts. */
static void
resume_done (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  GTask *next;

  g_assert (g_queue_peek_head (&self->resumes) == task);
  g_object_unref (g_queue_pop_head (&self->resumes));
  if ((next = g_queue_peek_head (&self->resumes)) != NULL)
    resume_start (next);
}

static void
flush_cancelled_cb (GCancellable *flush,
                    GCancellable *upload)
{
  g_cancellable_cancel (upload);
}

static SottoStoreAttachment *
resume_unsent (Resume *resume)
{
  return g_ptr_array_index (resume->unsent, resume->next);
}

/* The next upload starts, unless one of the same blob is under way (a
 * send's, a retry's, another resume's) or the user cancelled it since
 * it was read: until it ends, the flush's cancellable or its model's
 * Cancel stops it. */
static gboolean
upload_begin (Resume *resume)
{
  g_autoptr(GCancellable) upload = g_cancellable_new ();

  if (!_sotto_attachment_upload_begin (resume_unsent (resume)->record->file, upload, FALSE))
    return FALSE;

  resume->upload = g_steal_pointer (&upload);
  if (resume->flush != NULL)
    resume->linked = g_cancellable_connect (resume->flush, G_CALLBACK (flush_cancelled_cb),
                                            resume->upload, NULL);
  return TRUE;
}

static void
upload_end (Resume *resume)
{
  _sotto_attachment_upload_end (resume_unsent (resume)->record->file);
  if (resume->flush != NULL)
    g_cancellable_disconnect (resume->flush, resume->linked);
  resume->linked = 0;
  g_clear_object (&resume->upload);
}

/* Where the upload under way stands, on the model a view shows, if one
 * does by now. */
static void
show_transfer (Resume               *resume,
               SottoAttachmentState  state,
               guint64               transferred,
               const char           *error)
{
  g_autoptr(SottoAttachment) shown = _sotto_attachment_find (resume_unsent (resume)->record);

  if (shown != NULL)
    _sotto_attachment_set_transfer (shown, state, transferred, error);
}

static void
resume_progress_cb (guint64  transferred,
                    gpointer user_data)
{
  show_transfer (user_data, SOTTO_ATTACHMENT_STATE_UPLOADING, transferred, NULL);
}

static void
resume_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Resume *resume = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("Could not store an uploaded attachment: %s", error->message);
      if (resume->error == NULL)
        resume->error = g_steal_pointer (&error);
    }

  resume->next++;
  resume_next (g_steal_pointer (&task));
}

static void
resume_uploaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentService *self = g_task_get_source_object (task);
  Resume *resume = g_task_get_task_data (task);
  SottoStoreAttachment *unsent = resume_unsent (resume);
  g_autoptr(GError) error = NULL;
  gboolean cancelled;

  /* Its model's Cancel, not the flush's, stopped it if at all. */
  cancelled = g_cancellable_is_cancelled (resume->upload)
              && (resume->flush == NULL || !g_cancellable_is_cancelled (resume->flush));
  upload_end (resume);
  if (!sotto_attachment_upload_finish (result, &error))
    {
      g_autoptr(SottoAttachment) shown = _sotto_attachment_find (unsent->record);

      /* It stays as it is for the next try, or failed if the user
       * cancelled it; the others go on. */
      g_debug ("Could not resume an attachment upload: %s", error->message);
      if (shown != NULL)
        _sotto_attachment_set_transfer (shown, SOTTO_ATTACHMENT_STATE_FAILED,
                                        _sotto_attachment_get_record (shown)->transferred, error->message);
      g_free (unsent->record->error);
      unsent->record->error = g_strdup (error->message);
      if (resume->error == NULL)
        resume->error = g_steal_pointer (&error);
      if (cancelled)
        {
          _sotto_attachment_service_store_cancelled_async (self, unsent->record, resume_stored_cb,
                                                           g_steal_pointer (&task));
          return;
        }
      resume->next++;
      resume_next (g_steal_pointer (&task));
      return;
    }

  unsent->record->state = SOTTO_ATTACHMENT_STATE_SENT;
  unsent->record->transferred = sp_attachment_blob_size (unsent->record->pointer->size);
  show_transfer (resume, SOTTO_ATTACHMENT_STATE_SENT, unsent->record->transferred, NULL);
  _sotto_attachment_service_store_update_async (self, unsent->record, resume_stored_cb, g_steal_pointer (&task));
}

static void
resume_next (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  Resume *resume = g_task_get_task_data (task);
  SottoStoreAttachment *unsent;
  g_autoptr(GFile) blob = NULL;

  if (resume->next == resume->unsent->len)
    {
      /* The messages whose files are all on the relay may go now. */
      _sotto_outbox_pump (self->outbox);
      if (resume->error != NULL)
        g_task_return_error (task, g_steal_pointer (&resume->error));
      else
        g_task_return_boolean (task, TRUE);
      resume_done (task);
      g_object_unref (task);
      return;
    }

  unsent = g_ptr_array_index (resume->unsent, resume->next);
  if (unsent->record->file == NULL || unsent->record->pointer->blob_id == NULL)
    {
      g_set_error_literal (&resume->error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored attachment is damaged"));
      resume->next++;
      resume_next (task);
      return;
    }

  if (!upload_begin (resume))
    {
      resume->next++;
      resume_next (task);
      return;
    }

  /* An attachment a view shows tells the upload's progress, as one the
   * user tries again does, and its Cancel stops it. */
  show_transfer (resume, SOTTO_ATTACHMENT_STATE_UPLOADING, unsent->record->transferred, NULL);

  blob = g_file_new_for_path (unsent->record->file);
  sotto_attachment_upload_async (self->client, unsent->record->pointer->blob_id, blob,
                                 unsent->record->pointer->size, resume_progress_cb, resume,
                                 resume->upload, resume_uploaded_cb, task);
}

static void
resume_load_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoAttachmentService *self = source_object;
  Resume *resume = task_data;
  GError *error = NULL;

  resume->unsent = _sotto_store_list_unsent_attachments (self->store, &error);
  if (resume->unsent != NULL)
    resume->kept = _sotto_store_list_attachment_files (self->store, &error);

  if (resume->kept == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* In a worker thread: removes the blobs in the attachment folder that no
 * attachment refers to any more (their messages were deleted or
 * expired), leaving those younger than a transfer could take to be
 * stored, which may be on their way in; and the part files that a
 * process killed while it saved left in the profile's downloads folder,
 * which would otherwise wait for the next file saved there. */
static void
sweep_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SottoAttachmentService *self = source_object;
  GHashTable *kept = task_data;
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GFile) profile = g_file_get_parent (self->folder);
  g_autoptr(GFile) downloads = g_file_get_child (profile, SOTTO_ATTACHMENT_DOWNLOADS_FOLDER);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GFileInfo *info;
  GFile *child;

  children = g_file_enumerate_children (self->folder,
                                        G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
  while (children != NULL
         && g_file_enumerator_iterate (children, &info, &child, cancellable, NULL)
         && info != NULL)
    {
      guint64 modified = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED);

      if (g_str_has_prefix (g_file_info_get_name (info), "blob-")
          && !g_hash_table_contains (kept, g_file_peek_path (child))
          && (gint64) modified + SOTTO_ATTACHMENT_SWEEP_AGE < now)
        g_file_delete (child, NULL, NULL);
    }
  sotto_attachment_plain_stream_sweep (downloads);

  g_task_return_boolean (task, TRUE);
}

static void
swept_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  resume_next (g_steal_pointer (&task));
}

static void
resume_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentService *self = g_task_get_source_object (task);
  Resume *resume = g_task_get_task_data (task);
  g_autoptr(GTask) sweep = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      resume_done (task);
      return;
    }

  sweep = g_task_new (self, NULL, swept_cb, g_steal_pointer (&task));
  g_task_set_task_data (sweep, g_steal_pointer (&resume->kept), (GDestroyNotify) g_hash_table_unref);
  g_task_run_in_thread (sweep, sweep_thread);
}

static void
resume_start (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  g_autoptr(GTask) load = NULL;

  /* The load's task shares the state; the resume's, which outlives it,
   * owns it. */
  load = g_task_new (self, g_task_get_cancellable (task), resume_loaded_cb, g_object_ref (task));
  g_task_set_task_data (load, g_task_get_task_data (task), NULL);
  _sotto_store_run_in_thread (self->store, load, resume_load_thread);
}

/* Uploads what an earlier send left unfinished, each from where the
 * relay stands, then lets the outbox send the messages that are ready;
 * fails with the first error, having tried every upload.  Meanwhile the
 * blobs of deleted messages are swept from the attachment folder.  One
 * resume runs at a time: one asked for meanwhile (a flush while the
 * relay's connection resumes uploads) starts once it ended, so that it
 * completes only when what it found is uploaded or failed. */
void
_sotto_attachment_service_resume_async (SottoAttachmentService *self,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  Resume *resume;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_attachment_service_resume_async);
  resume = g_new0 (Resume, 1);
  resume->flush = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, resume, (GDestroyNotify) resume_free);

  g_queue_push_tail (&self->resumes, g_object_ref (task));
  if (g_queue_get_length (&self->resumes) == 1)
    resume_start (task);
}

gboolean
_sotto_attachment_service_resume_finish (SottoAttachmentService  *self,
                                         GAsyncResult            *result,
                                         GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Going online */

static void
online_resumed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!_sotto_attachment_service_resume_finish (SOTTO_ATTACHMENT_SERVICE (object), result, &error))
    g_debug ("Attachment uploads wait for the relay: %s", error->message);
}

static void
connection_cb (SottoAttachmentService *self,
               GParamSpec             *pspec,
               SottoRelayClient       *client)
{
  /* The relay takes requests again: what was cut short goes on.  One
   * resume waiting behind the one at work will find everything, so a
   * connection that comes and goes queues no more. */
  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_CONNECTED
      && g_queue_get_length (&self->resumes) < 2)
    _sotto_attachment_service_resume_async (self, NULL, online_resumed_cb, NULL);
}

/* Resumes the uploads cut short (by a relay that went away, or the end
 * of the process) each time the relay connects, from now on, as the
 * outbox sends its messages then: the app flushes nothing. */
void
_sotto_attachment_service_start (SottoAttachmentService *self)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));

  if (self->started)
    return;

  self->started = TRUE;
  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (connection_cb), self,
                           G_CONNECT_SWAPPED);
  connection_cb (self, NULL, self->client);
}

/* Stops resuming uploads as the relay connects.  An upload under way
 * goes on, as the outbox's requests do: a flush after this waits for it
 * rather than finding the relay still busy with its part. */
void
_sotto_attachment_service_stop (SottoAttachmentService *self)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));

  if (!self->started)
    return;

  self->started = FALSE;
  g_signal_handlers_disconnect_by_func (self->client, connection_cb, self);
}
