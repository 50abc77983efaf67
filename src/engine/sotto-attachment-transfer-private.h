/* sotto-attachment-transfer-private.h: attachment blobs between a profile and the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-attachment.h"
#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

/* How often a transfer reports its progress. */
#define SOTTO_ATTACHMENT_PROGRESS_INTERVAL_MS 100

/* How long an upload waits for the relay to let go of a part it still
 * receives (409 upload-busy): a part whose connection is gone is let go
 * of once the relay notices, at the latest after its
 * body-timeout-seconds (60 by default). */
#define SOTTO_ATTACHMENT_BUSY_PATIENCE_S 90

/* Called on the main context with the bytes of the blob moved so far. */
typedef void (*SottoAttachmentProgressFunc) (guint64  transferred,
                                             gpointer user_data);

/* A file encrypted for sending: the blob in the profile, what the
 * message needs to refer to it, and the relay's name for it once the
 * upload was created. */
typedef struct
{
  char    *id;                                   /* the relay's name for the blob, or NULL */
  guint8  *key;                                  /* SP_ATTACHMENT_KEY_SIZE bytes, guarded memory */
  guint8   digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint64  size;                                 /* the plaintext's */
  GFile   *blob;                                 /* the encrypted blob */
} SottoAttachmentUpload;

void                   sotto_attachment_upload_free   (SottoAttachmentUpload *upload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoAttachmentUpload, sotto_attachment_upload_free)

/* Encrypts @file into a new blob in @folder (ciphertext only: the
 * plaintext is read as it is encrypted and copied nowhere) under a fresh
 * key.  On error nothing is left in @folder. */
void                   sotto_attachment_encrypt_async  (GFile                *file,
                                                        GFile                *folder,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
SottoAttachmentUpload *sotto_attachment_encrypt_finish (GAsyncResult         *result,
                                                        GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Asks the relay for an upload of @upload's blob and names it in
 * @upload->id, so that a size or quota refusal comes before anything
 * is sent. */
void                   sotto_attachment_create_upload_async  (SottoRelayClient      *client,
                                                              SottoAttachmentUpload *upload,
                                                              GCancellable          *cancellable,
                                                              GAsyncReadyCallback    callback,
                                                              gpointer               user_data);
gboolean               sotto_attachment_create_upload_finish (GAsyncResult          *result,
                                                              GError               **error);

/* Sends the blob @blob of upload @id from where the relay says it
 * stands to its end: a first call, and one after an interruption, are
 * the same.  @progress hears the bytes the relay has, from this call's
 * start on. */
void                   sotto_attachment_upload_async  (SottoRelayClient            *client,
                                                       const char                  *id,
                                                       GFile                       *blob,
                                                       guint64                      size,
                                                       SottoAttachmentProgressFunc  progress,
                                                       gpointer                     progress_data,
                                                       GCancellable                *cancellable,
                                                       GAsyncReadyCallback          callback,
                                                       gpointer                     user_data);
gboolean               sotto_attachment_upload_finish (GAsyncResult                *result,
                                                       GError                     **error);

/* Downloads the blob @id into a new file in @folder and checks it
 * against @digest and @key as it is written (its length, digest and
 * MAC).  Returns the checked blob; a blob that is not the one described,
 * or any other error, leaves nothing in @folder.  With @save_dir, it is
 * decrypted in the same pass into @save_dir, as
 * sotto_attachment_export_async() would, under @save_name: finish then
 * gives that file and the SHA-256 of its contents too; until the blob
 * passed every check the plaintext is in a file without a name, which
 * an error, or the process's end, takes with it. */
void                   sotto_attachment_download_async  (SottoRelayClient            *client,
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
                                                         gpointer                     user_data);
GFile                 *sotto_attachment_download_finish (GAsyncResult                *result,
                                                         GFile                      **saved,
                                                         char                       **sha256_hex,
                                                         GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Decrypts the checked blob @blob into @dir under @name (see
 * sotto_attachment_file_decrypt(): made safe, never overwriting, checked
 * again in the same pass).  Returns the new file and, in @sha256_hex, the
 * SHA-256 of its contents. */
void                   sotto_attachment_export_async  (GFile                *blob,
                                                       const guint8         *key,
                                                       const guint8          digest[SP_ATTACHMENT_DIGEST_SIZE],
                                                       guint64               size,
                                                       GFile                *dir,
                                                       const char           *name,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
GFile                 *sotto_attachment_export_finish (GAsyncResult         *result,
                                                       char                **sha256_hex,
                                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
