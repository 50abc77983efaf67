/* sotto-attachment-transfer-private.h: a file encrypted and uploaded as an attachment blob
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-attachment.h"
#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

/* What the message that carries an uploaded attachment needs. */
typedef struct
{
  char    *id;                                   /* the relay's name for the blob */
  guint8  *key;                                  /* SP_ATTACHMENT_KEY_SIZE bytes, guarded memory */
  guint8   digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint64  size;                                 /* the plaintext's */
} SottoAttachmentUpload;

void                   sotto_attachment_upload_free   (SottoAttachmentUpload *upload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoAttachmentUpload, sotto_attachment_upload_free)

/* Encrypts @file into a blob in @spool_dir (ciphertext only: the
 * plaintext is read as it is encrypted and copied nowhere), asks the
 * relay for an upload of the blob's size, so that a size or quota
 * refusal comes before anything is sent, and uploads it.  The blob in
 * @spool_dir is removed whatever happens. */
void                   sotto_attachment_upload_async  (SottoRelayClient     *client,
                                                       GFile                *file,
                                                       GFile                *spool_dir,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
SottoAttachmentUpload *sotto_attachment_upload_finish (GAsyncResult         *result,
                                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Downloads the blob @id into @spool_dir, checks it against @digest and
 * decrypts it into @download_dir under @name (see
 * sotto_attachment_file_decrypt(): made safe, never overwriting).  The
 * blob in @spool_dir is removed whatever happens; a blob that is not the
 * one described leaves nothing in @download_dir.  Returns the new file
 * and, in @sha256_hex, the SHA-256 of its contents. */
void                   sotto_attachment_download_async  (SottoRelayClient     *client,
                                                         const char           *id,
                                                         const guint8         *key,
                                                         const guint8          digest[SP_ATTACHMENT_DIGEST_SIZE],
                                                         guint64               size,
                                                         GFile                *spool_dir,
                                                         GFile                *download_dir,
                                                         const char           *name,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
GFile                 *sotto_attachment_download_finish (GAsyncResult         *result,
                                                         char                **sha256_hex,
                                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
