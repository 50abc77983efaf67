/* sotto-attachment-transfer.c: attachment blobs between a profile and the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-transfer"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-attachment-blob-stream-private.h"
#include "sotto-attachment-check-stream-private.h"
#include "sotto-attachment-file-private.h"
#include "sotto-attachment-plain-stream-private.h"
#include "sotto-attachment-transfer-private.h"
#include "sotto-engine-private.h"
#include "sotto-relay-client-blob-private.h"

/* The steps of an attachment's life, each on its own so that the
 * attachment service (sotto-attachment-service.c) can keep what each
 * gives before the next: encrypted into the profile, an upload created,
 * the blob sent (resumed from wherever the relay stands), downloaded and
 * checked into the profile, decrypted out of it on request.  The
 * profile only ever holds blobs, encrypted under keys the store seals;
 * plaintext is read from the file being sent and written only where
 * the user exports to.
 *
 * Each step reads its file once: a download is checked as it is written
 * (SottoAttachmentCheckStream), and decrypted in the same pass when the
 * user saves it at once; an export decrypts and checks in one pass; the
 * plaintext has no name until the checks passed
 * (SottoAttachmentPlainStream); and an upload reads its blob through a
 * thread of its own, not a worker thread for each of libsoup's reads
 * (SottoAttachmentBlobStream). */

typedef struct
{
  GFile                 *file;
  GFile                 *folder;
  SottoAttachmentUpload *upload;
} EncryptState;

/* A transfer's progress, read from its stream's position on a timer. */
typedef struct
{
  GSeekable                   *stream;
  SottoAttachmentProgressFunc  func;
  gpointer                     data;
  guint                        source;
  guint64                      reported;
} Progress;

typedef struct
{
  SottoRelayClient *client;
  char             *id;
  GFile            *blob;
  guint64           blob_size;
  Progress          progress;
  /* While the relay still holds a part of the upload: since when, and
   * how often it was asked again. */
  gint64            busy_since;
  guint             busy_tries;
} UploadState;

typedef struct
{
  guint64                     size;
  GFile                      *blob;
  SottoAttachmentCheckStream *out;
  SottoAttachmentPlainStream *plain;
  char                       *save_name;
  GFile                      *saved;
  char                       *sha256_hex;
  Progress                    progress;
} DownloadState;

typedef struct
{
  guint8  *key;        /* guarded memory */
  guint8   digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint64  size;
  GFile   *blob;
  GFile   *dir;
  char    *name;
  GFile   *file;
  char    *sha256_hex;
} ExportState;

/* A new file for one blob in @folder, under a random name. */
static GFile *
new_blob_file (GFile *folder)
{
  guint8 random[16];
  char hex[2 * sizeof random + 1];
  g_autofree char *name = NULL;

  randombytes_buf (random, sizeof random);
  name = g_strconcat ("blob-", sodium_bin2hex (hex, sizeof hex, random, sizeof random), NULL);

  return g_file_get_child (folder, name);
}

/* Reports @transferred, unless that would go back: a stream's position
 * only grows, but a closed stream's is no longer told. */
static void
progress_report (Progress *progress,
                 guint64   transferred)
{
  if (progress->func == NULL || transferred <= progress->reported)
    return;

  progress->reported = transferred;
  progress->func (transferred, progress->data);
}

static gboolean
progress_tick_cb (gpointer user_data)
{
  Progress *progress = user_data;

  progress_report (progress, (guint64) g_seekable_tell (progress->stream));

  return G_SOURCE_CONTINUE;
}

/* Reads @stream's position, the bytes moved, on a timer. */
static void
progress_start (Progress                    *progress,
                GSeekable                   *stream,
                SottoAttachmentProgressFunc  func,
                gpointer                     data)
{
  if (func == NULL)
    return;

  progress->stream = g_object_ref (stream);
  progress->func = func;
  progress->data = data;
  progress->source = g_timeout_add (SOTTO_ATTACHMENT_PROGRESS_INTERVAL_MS, progress_tick_cb, progress);
}

static void
progress_stop (Progress *progress)
{
  g_clear_handle_id (&progress->source, g_source_remove);
  g_clear_object (&progress->stream);
}

void
sotto_attachment_upload_free (SottoAttachmentUpload *upload)
{
  if (upload == NULL)
    return;
  g_free (upload->id);
  g_clear_pointer (&upload->key, sodium_free);
  g_clear_object (&upload->blob);
  g_free (upload);
}

/* A blob that will not make it to the caller goes before the caller
 * hears of it. */
static void
discard_encrypted (EncryptState *state)
{
  if (state->upload != NULL && state->upload->blob != NULL)
    g_file_delete (state->upload->blob, NULL, NULL);
  if (state->upload != NULL)
    g_clear_object (&state->upload->blob);
}

static void
encrypt_state_free (EncryptState *state)
{
  discard_encrypted (state);
  g_clear_object (&state->file);
  g_clear_object (&state->folder);
  g_clear_pointer (&state->upload, sotto_attachment_upload_free);
  g_free (state);
}

/* In a worker thread: the file through the cipher into the folder. */
static void
encrypt_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  EncryptState *state = task_data;
  SottoAttachmentUpload *upload = state->upload;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  GError *error = NULL;

  info = g_file_query_info (state->file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, &error);
  if (info == NULL || (in = g_file_read (state->file, cancellable, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  upload->blob = new_blob_file (state->folder);
  out = g_file_create (upload->blob, G_FILE_CREATE_PRIVATE, cancellable, &error);
  if (out == NULL)
    {
      g_clear_object (&upload->blob);
      g_task_return_error (task, error);
      return;
    }

  upload->size = (guint64) g_file_info_get_size (info);
  if (!sotto_attachment_file_encrypt (G_INPUT_STREAM (in), upload->size, G_OUTPUT_STREAM (out),
                                      upload->key, upload->digest, cancellable, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, &error))
    {
      g_clear_object (&out);
      discard_encrypted (state);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&state->upload), (GDestroyNotify) sotto_attachment_upload_free);
}

void
sotto_attachment_encrypt_async (GFile               *file,
                                GFile               *folder,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EncryptState *state;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (G_IS_FILE (folder));

  _sotto_engine_init_crypto ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_encrypt_async);
  state = g_new0 (EncryptState, 1);
  state->file = g_object_ref (file);
  state->folder = g_object_ref (folder);
  state->upload = g_new0 (SottoAttachmentUpload, 1);
  state->upload->key = _sotto_secure_alloc (SP_ATTACHMENT_KEY_SIZE);
  g_task_set_task_data (task, state, (GDestroyNotify) encrypt_state_free);
  g_task_run_in_thread (task, encrypt_thread);
}

SottoAttachmentUpload *
sotto_attachment_encrypt_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_encrypt_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentUpload *upload = g_task_get_task_data (task);
  g_autoptr(SottoRelayUpload) created = NULL;
  GError *error = NULL;

  created = _sotto_relay_client_create_upload_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (created == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (upload->id);
  upload->id = g_strdup (created->id);
  g_task_return_boolean (task, TRUE);
}

void
sotto_attachment_create_upload_async (SottoRelayClient      *client,
                                      SottoAttachmentUpload *upload,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (client));
  g_return_if_fail (upload != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_create_upload_async);
  g_task_set_task_data (task, upload, NULL);
  _sotto_relay_client_create_upload_async (client, sp_attachment_blob_size (upload->size), cancellable,
                                           created_cb, g_steal_pointer (&task));
}

gboolean
sotto_attachment_create_upload_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_create_upload_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
upload_state_free (UploadState *state)
{
  progress_stop (&state->progress);
  g_clear_object (&state->client);
  g_free (state->id);
  g_clear_object (&state->blob);
  g_free (state);
}

static void upload_ask (GTask *task);

static gboolean
busy_waited_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    upload_ask (g_object_ref (task));

  return G_SOURCE_REMOVE;
}

/* Whether @error is the relay still receiving an earlier part of the
 * upload (409 upload-busy), which it lets go of once it notices that
 * its connection is gone: an upload cancelled a moment ago, or cut
 * short, as Retry follows Cancel.  Then the relay is asked again a
 * little later, within SOTTO_ATTACHMENT_BUSY_PATIENCE_S, and TRUE is
 * returned: @task, which the caller gives up, goes on.  A Cancel stops
 * the wait at once. */
static gboolean
upload_wait_if_busy (GTask  *task,
                     GError *error)
{
  UploadState *state = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GSource) wait = NULL;

  if (!g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UPLOAD_BUSY))
    return FALSE;
  if (state->busy_tries == 0)
    state->busy_since = now;
  else if (now - state->busy_since > SOTTO_ATTACHMENT_BUSY_PATIENCE_S * G_USEC_PER_SEC)
    return FALSE;

  /* The wait holds @task until it ends. */
  wait = g_timeout_source_new (MIN (100u << MIN (state->busy_tries, 5u), 2000u));
  state->busy_tries++;
  g_source_set_callback (wait, busy_waited_cb, task, g_object_unref);
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancelled = g_cancellable_source_new (cancellable);

      /* Dispatches the wait, which then returns the cancellation. */
      g_source_set_dummy_callback (cancelled);
      g_source_add_child_source (wait, cancelled);
    }
  g_source_attach (wait, g_task_get_context (task));
  g_error_free (error);

  return TRUE;
}

static void
put_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UploadState *state = g_task_get_task_data (task);
  g_autoptr(SottoRelayUpload) done = NULL;
  GError *error = NULL;

  done = _sotto_relay_client_put_upload_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  progress_stop (&state->progress);
  if (done == NULL && upload_wait_if_busy (task, error))
    {
      g_steal_pointer (&task);
      return;
    }
  if (done == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!done->complete)
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                               _("The relay did not keep the whole attachment"));
      return;
    }

  progress_report (&state->progress, state->blob_size);
  g_task_return_boolean (task, TRUE);
}

static void
upload_state_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UploadState *state = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(SottoRelayUpload) standing = NULL;
  g_autoptr(GInputStream) in = NULL;
  GError *error = NULL;

  standing = _sotto_relay_client_get_upload_finish (state->client, result, &error);
  if (standing == NULL && upload_wait_if_busy (task, error))
    {
      g_steal_pointer (&task);
      return;
    }
  if (standing == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (standing->complete)
    {
      progress_report (&state->progress, state->blob_size);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The rest of the blob, from where the relay stands. */
  in = sotto_attachment_blob_stream_new (state->blob, standing->offset, &error);
  if (in == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  progress_start (&state->progress, G_SEEKABLE (in), state->progress.func, state->progress.data);
  _sotto_relay_client_put_upload_async (state->client, standing, in, cancellable,
                                        put_cb, g_steal_pointer (&task));
}

/* Asks the relay where the upload stands, to send the rest from there. */
static void
upload_ask (GTask *task)
{
  UploadState *state = g_task_get_task_data (task);

  _sotto_relay_client_get_upload_async (state->client, state->id, state->blob_size, g_task_get_cancellable (task),
                                        upload_state_cb, task);
}

void
sotto_attachment_upload_async (SottoRelayClient            *client,
                               const char                  *id,
                               GFile                       *blob,
                               guint64                      size,
                               SottoAttachmentProgressFunc  progress,
                               gpointer                     progress_data,
                               GCancellable                *cancellable,
                               GAsyncReadyCallback          callback,
                               gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  UploadState *state;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (client));
  g_return_if_fail (id != NULL && G_IS_FILE (blob));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_upload_async);
  state = g_new0 (UploadState, 1);
  state->client = g_object_ref (client);
  state->id = g_strdup (id);
  state->blob = g_object_ref (blob);
  state->blob_size = sp_attachment_blob_size (size);
  state->progress.func = progress;
  state->progress.data = progress_data;
  g_task_set_task_data (task, state, (GDestroyNotify) upload_state_free);

  upload_ask (g_steal_pointer (&task));
}

gboolean
sotto_attachment_upload_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_upload_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A blob that will not make it to the caller goes before the caller
 * hears of it. */
static void
discard_download (DownloadState *state)
{
  if (state->blob != NULL)
    g_file_delete (state->blob, NULL, NULL);
  g_clear_object (&state->blob);
}

static void
download_state_free (DownloadState *state)
{
  progress_stop (&state->progress);
  discard_download (state);
  g_clear_object (&state->out);
  g_clear_object (&state->plain);
  g_clear_object (&state->saved);
  g_free (state->save_name);
  g_free (state->sha256_hex);
  g_free (state);
}

static void
downloaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DownloadState *state = g_task_get_task_data (task);
  GError *error = NULL;

  progress_stop (&state->progress);
  if (!_sotto_relay_client_download_finish (SOTTO_RELAY_CLIENT (object), result, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (state->out), g_task_get_cancellable (task), &error)
      || !sotto_attachment_check_stream_verdict (state->out, &error)
      || (state->plain != NULL
          && (state->saved = sotto_attachment_plain_stream_publish (state->plain, state->save_name,
                                                                    &state->sha256_hex,
                                                                    g_task_get_cancellable (task),
                                                                    &error)) == NULL))
    {
      g_clear_object (&state->out);
      discard_download (state);
      g_task_return_error (task, error);
      return;
    }

  progress_report (&state->progress, sp_attachment_blob_size (state->size));
  g_task_return_pointer (task, g_steal_pointer (&state->blob), g_object_unref);
}

void
sotto_attachment_download_async (SottoRelayClient            *client,
                                 const char                  *id,
                                 const guint8                *key,
                                 const guint8                 digest[SP_ATTACHMENT_DIGEST_SIZE],
                                 guint64                      size,
                                 GFile                       *folder,
                                 GFile                       *save_dir,
                                 const char                  *save_name,
                                 SottoAttachmentProgressFunc  progress,
                                 gpointer                     progress_data,
                                 GCancellable                *cancellable,
                                 GAsyncReadyCallback          callback,
                                 gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GFileOutputStream) file_out = NULL;
  DownloadState *state;
  GError *error = NULL;
  guint64 blob_size = sp_attachment_blob_size (size);

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (client));
  g_return_if_fail (id != NULL && key != NULL && digest != NULL);
  g_return_if_fail (G_IS_FILE (folder));
  g_return_if_fail (save_dir == NULL || G_IS_FILE (save_dir));

  _sotto_engine_init_crypto ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_download_async);
  state = g_new0 (DownloadState, 1);
  state->size = size;
  state->save_name = g_strdup (save_name);
  g_task_set_task_data (task, state, (GDestroyNotify) download_state_free);

  /* A size the cipher refuses is refused before anything is fetched. */
  if (blob_size == 0)
    {
      g_task_return_new_error (task, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_SIZE,
                               _("The attachment is larger than Sotto accepts"));
      return;
    }

  if (save_dir != NULL && (state->plain = sotto_attachment_plain_stream_new (save_dir, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  state->blob = new_blob_file (folder);
  file_out = g_file_create (state->blob, G_FILE_CREATE_PRIVATE, cancellable, &error);
  if (file_out == NULL)
    {
      g_clear_object (&state->blob);
      g_task_return_error (task, error);
      return;
    }
  state->out = sotto_attachment_check_stream_new (G_OUTPUT_STREAM (file_out), key, digest, size,
                                                  G_OUTPUT_STREAM (state->plain), &error);
  if (state->out == NULL)
    {
      g_clear_object (&file_out);
      discard_download (state);
      g_task_return_error (task, error);
      return;
    }

  progress_start (&state->progress, G_SEEKABLE (state->out), progress, progress_data);
  _sotto_relay_client_download_async (client, id, blob_size, G_OUTPUT_STREAM (state->out), cancellable,
                                      downloaded_cb, g_steal_pointer (&task));
}

GFile *
sotto_attachment_download_finish (GAsyncResult  *result,
                                  GFile        **saved,
                                  char         **sha256_hex,
                                  GError       **error)
{
  DownloadState *state;
  GFile *blob;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_download_async, NULL);

  blob = g_task_propagate_pointer (G_TASK (result), error);
  if (blob == NULL)
    return NULL;

  state = g_task_get_task_data (G_TASK (result));
  if (saved != NULL)
    *saved = g_steal_pointer (&state->saved);
  if (sha256_hex != NULL)
    *sha256_hex = g_steal_pointer (&state->sha256_hex);

  return blob;
}

static void
export_state_free (ExportState *state)
{
  g_clear_pointer (&state->key, sodium_free);
  g_clear_object (&state->blob);
  g_clear_object (&state->dir);
  g_clear_object (&state->file);
  g_free (state->name);
  g_free (state->sha256_hex);
  g_free (state);
}

/* In a worker thread: the blob checked again, then decrypted. */
static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportState *state = task_data;
  GError *error = NULL;

  state->file = sotto_attachment_file_decrypt (state->blob, state->key, state->digest, state->size,
                                               state->dir, state->name, &state->sha256_hex,
                                               cancellable, &error);
  if (state->file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
sotto_attachment_export_async (GFile               *blob,
                               const guint8        *key,
                               const guint8         digest[SP_ATTACHMENT_DIGEST_SIZE],
                               guint64              size,
                               GFile               *dir,
                               const char          *name,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportState *state;

  g_return_if_fail (G_IS_FILE (blob) && G_IS_FILE (dir));
  g_return_if_fail (key != NULL && digest != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_export_async);
  state = g_new0 (ExportState, 1);
  state->key = _sotto_secure_alloc (SP_ATTACHMENT_KEY_SIZE);
  memcpy (state->key, key, SP_ATTACHMENT_KEY_SIZE);
  memcpy (state->digest, digest, SP_ATTACHMENT_DIGEST_SIZE);
  state->size = size;
  state->blob = g_object_ref (blob);
  state->dir = g_object_ref (dir);
  state->name = g_strdup (name);
  g_task_set_task_data (task, state, (GDestroyNotify) export_state_free);
  g_task_run_in_thread (task, export_thread);
}

GFile *
sotto_attachment_export_finish (GAsyncResult  *result,
                                char         **sha256_hex,
                                GError       **error)
{
  ExportState *state;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_export_async, NULL);
  g_return_val_if_fail (sha256_hex != NULL, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  state = g_task_get_task_data (G_TASK (result));
  *sha256_hex = g_steal_pointer (&state->sha256_hex);

  return g_steal_pointer (&state->file);
}
