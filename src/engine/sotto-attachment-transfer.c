/* sotto-attachment-transfer.c: a file encrypted and uploaded as an attachment blob
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-transfer"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-attachment-file-private.h"
#include "sotto-attachment-transfer-private.h"
#include "sotto-engine-private.h"
#include "sotto-relay-client-blob-private.h"

typedef struct
{
  SottoRelayClient      *client;
  GFile                 *file;
  GFile                 *spool_dir;
  GFile                 *blob;       /* the encrypted blob in the spool */
  SottoRelayUpload      *relay_upload;
  SottoAttachmentUpload *upload;
} UploadState;

typedef struct
{
  guint8  *key;        /* guarded memory */
  guint8   digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint64  size;
  GFile   *blob;       /* the encrypted blob in the spool */
  GFile   *download_dir;
  char    *name;
  GFileOutputStream *out;
} DownloadState;

typedef struct
{
  GFile *file;
  char  *sha256_hex;
} DownloadResult;

/* A spool file for one blob, under a random name. */
static GFile *
new_spool_file (GFile *spool_dir)
{
  guint8 random[8];
  g_autofree char *name = NULL;

  randombytes_buf (random, sizeof random);
  name = g_strdup_printf ("blob-%02x%02x%02x%02x%02x%02x%02x%02x",
                          random[0], random[1], random[2], random[3],
                          random[4], random[5], random[6], random[7]);

  return g_file_get_child (spool_dir, name);
}

void
sotto_attachment_upload_free (SottoAttachmentUpload *upload)
{
  if (upload == NULL)
    return;
  g_free (upload->id);
  if (upload->key != NULL)
    sodium_free (upload->key);
  g_free (upload);
}

static void
upload_state_free (UploadState *state)
{
  if (state->blob != NULL)
    g_file_delete (state->blob, NULL, NULL);
  g_clear_object (&state->client);
  g_clear_object (&state->file);
  g_clear_object (&state->spool_dir);
  g_clear_object (&state->blob);
  g_clear_pointer (&state->relay_upload, sotto_relay_upload_free);
  g_clear_pointer (&state->upload, sotto_attachment_upload_free);
  g_free (state);
}

/* In a worker thread: the file through the cipher into the spool. */
static void
encrypt_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  UploadState *state = task_data;
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

  state->blob = new_spool_file (state->spool_dir);
  out = g_file_create (state->blob, G_FILE_CREATE_PRIVATE, cancellable, &error);
  if (out == NULL)
    {
      g_clear_object (&state->blob);
      g_task_return_error (task, error);
      return;
    }

  state->upload->size = (guint64) g_file_info_get_size (info);
  if (!sotto_attachment_file_encrypt (G_INPUT_STREAM (in), state->upload->size, G_OUTPUT_STREAM (out),
                                      state->upload->key, state->upload->digest, cancellable, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
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

  state->upload->id = g_strdup (done->id);
  g_task_return_pointer (task, g_steal_pointer (&state->upload),
                         (GDestroyNotify) sotto_attachment_upload_free);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UploadState *state = g_task_get_task_data (task);
  g_autoptr(GFileInputStream) in = NULL;
  GError *error = NULL;

  state->relay_upload = _sotto_relay_client_create_upload_finish (state->client, result, &error);
  if (state->relay_upload == NULL
      || (in = g_file_read (state->blob, g_task_get_cancellable (task), &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_relay_client_put_upload_async (state->client, state->relay_upload, G_INPUT_STREAM (in),
                                        g_task_get_cancellable (task), put_cb, g_object_ref (task));
}

static void
encrypted_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *encrypt_task = G_TASK (result);
  g_autoptr(GTask) task = user_data;
  UploadState *state = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (encrypt_task, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_relay_client_create_upload_async (state->client,
                                           sp_attachment_blob_size (state->upload->size),
                                           g_task_get_cancellable (task),
                                           created_cb, g_object_ref (task));
}

void
sotto_attachment_upload_async (SottoRelayClient    *client,
                               GFile               *file,
                               GFile               *spool_dir,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) encrypt_task = NULL;
  UploadState *state;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (client));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (G_IS_FILE (spool_dir));

  _sotto_engine_init_crypto ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_upload_async);
  state = g_new0 (UploadState, 1);
  state->client = g_object_ref (client);
  state->file = g_object_ref (file);
  state->spool_dir = g_object_ref (spool_dir);
  state->upload = g_new0 (SottoAttachmentUpload, 1);
  state->upload->key = _sotto_secure_alloc (SP_ATTACHMENT_KEY_SIZE);
  g_task_set_task_data (task, state, (GDestroyNotify) upload_state_free);

  /* The encryption's own task shares the state; the upload's task,
   * which outlives it, owns it. */
  encrypt_task = g_task_new (NULL, cancellable, encrypted_cb, g_object_ref (task));
  g_task_set_task_data (encrypt_task, state, NULL);
  g_task_run_in_thread (encrypt_task, encrypt_thread);
}

SottoAttachmentUpload *
sotto_attachment_upload_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_upload_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The spool's copy of the blob is not needed once it was decrypted or
 * refused: removed before the caller hears of either. */
static void
discard_spool_blob (DownloadState *state)
{
  if (state->blob != NULL)
    g_file_delete (state->blob, NULL, NULL);
  g_clear_object (&state->blob);
}

static void
download_state_free (DownloadState *state)
{
  discard_spool_blob (state);
  sodium_free (state->key);
  g_clear_object (&state->download_dir);
  g_clear_object (&state->out);
  g_free (state->name);
  g_free (state);
}

static void
download_result_free (DownloadResult *result)
{
  g_clear_object (&result->file);
  g_free (result->sha256_hex);
  g_free (result);
}

/* In a worker thread: the blob checked, then decrypted. */
static void
decrypt_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  DownloadState *state = task_data;
  DownloadResult *result = g_new0 (DownloadResult, 1);
  GError *error = NULL;

  result->file = sotto_attachment_file_decrypt (state->blob, state->key, state->digest, state->size,
                                                state->download_dir, state->name,
                                                &result->sha256_hex, cancellable, &error);
  discard_spool_blob (state);
  if (result->file == NULL)
    {
      download_result_free (result);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, result, (GDestroyNotify) download_result_free);
}

static void
downloaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DownloadState *state = g_task_get_task_data (task);
  GError *error = NULL;

  if (!_sotto_relay_client_download_finish (SOTTO_RELAY_CLIENT (object), result, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (state->out), g_task_get_cancellable (task), &error))
    {
      discard_spool_blob (state);
      g_task_return_error (task, error);
      return;
    }

  g_task_run_in_thread (task, decrypt_thread);
}

void
sotto_attachment_download_async (SottoRelayClient    *client,
                                 const char          *id,
                                 const guint8        *key,
                                 const guint8         digest[SP_ATTACHMENT_DIGEST_SIZE],
                                 guint64              size,
                                 GFile               *spool_dir,
                                 GFile               *download_dir,
                                 const char          *name,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DownloadState *state;
  GError *error = NULL;
  guint64 blob_size = sp_attachment_blob_size (size);

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (client));
  g_return_if_fail (id != NULL && key != NULL && digest != NULL);
  g_return_if_fail (G_IS_FILE (spool_dir) && G_IS_FILE (download_dir));

  _sotto_engine_init_crypto ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_download_async);
  state = g_new0 (DownloadState, 1);
  state->key = _sotto_secure_alloc (SP_ATTACHMENT_KEY_SIZE);
  memcpy (state->key, key, SP_ATTACHMENT_KEY_SIZE);
  memcpy (state->digest, digest, SP_ATTACHMENT_DIGEST_SIZE);
  state->size = size;
  state->download_dir = g_object_ref (download_dir);
  state->name = g_strdup (name);
  g_task_set_task_data (task, state, (GDestroyNotify) download_state_free);

  /* A size the cipher refuses is refused before anything is fetched. */
  if (blob_size == 0)
    {
      g_task_return_new_error (task, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_SIZE,
                               _("The attachment is larger than Sotto accepts"));
      return;
    }

  state->blob = new_spool_file (spool_dir);
  state->out = g_file_create (state->blob, G_FILE_CREATE_PRIVATE, cancellable, &error);
  if (state->out == NULL)
    {
      g_clear_object (&state->blob);
      g_task_return_error (task, error);
      return;
    }

  _sotto_relay_client_download_async (client, id, blob_size, G_OUTPUT_STREAM (state->out), cancellable,
                                      downloaded_cb, g_object_ref (task));
}

GFile *
sotto_attachment_download_finish (GAsyncResult  *result,
                                  char         **sha256_hex,
                                  GError       **error)
{
  DownloadResult *download;
  GFile *file;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_download_async, NULL);
  g_return_val_if_fail (sha256_hex != NULL, NULL);

  download = g_task_propagate_pointer (G_TASK (result), error);
  if (download == NULL)
    return NULL;

  file = g_steal_pointer (&download->file);
  *sha256_hex = g_steal_pointer (&download->sha256_hex);
  download_result_free (download);

  return file;
}
