/* sotto-attachment-file-private.h: attachment files through the session core's cipher
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-attachment.h"

G_BEGIN_DECLS

#define SOTTO_ATTACHMENT_FILE_ERROR (sotto_attachment_file_error_quark ())

typedef enum
{
  /* The blob is not the one the message describes: the relay swapped,
   * truncated or damaged it, or its sender made it wrong. */
  SOTTO_ATTACHMENT_FILE_ERROR_REJECTED,
  /* The file changed size while it was being encrypted, or is larger
   * than the session core encrypts. */
  SOTTO_ATTACHMENT_FILE_ERROR_SIZE,
  /* No free name was left for the file in the download folder. */
  SOTTO_ATTACHMENT_FILE_ERROR_NO_NAME,
} SottoAttachmentFileError;

GQuark   sotto_attachment_file_error_quark (void);

/* Sets @error from the attachment cipher's @rc: its refusals of a blob
 * as SOTTO_ATTACHMENT_FILE_ERROR_REJECTED, other failures with @what. */
void     _sotto_attachment_file_set_error  (GError        **error,
                                            int             rc,
                                            const char     *what);

/* Fills in @iface for a stream whose only GSeekable use is telling its
 * position (progress): it neither seeks nor truncates.  The caller sets
 * @iface->tell. */
void     _sotto_attachment_file_tell_only  (GSeekableIface *iface);

/* A name that is safe to create in a download folder whatever the
 * sender wrote: no path separator, no leading dot, no control character,
 * valid UTF-8, at most 200 bytes, never empty. */
char    *sotto_attachment_file_safe_name   (const char     *name) G_GNUC_WARN_UNUSED_RESULT;

/* Encrypts the @size bytes of @plaintext into @blob a chunk at a time,
 * under a fresh random key that it writes to @key (which the caller
 * keeps in guarded memory), and gives the blob's digest. */
gboolean sotto_attachment_file_encrypt     (GInputStream   *plaintext,
                                            guint64         size,
                                            GOutputStream  *blob,
                                            guint8          key[SP_ATTACHMENT_KEY_SIZE],
                                            guint8          digest[SP_ATTACHMENT_DIGEST_SIZE],
                                            GCancellable   *cancellable,
                                            GError        **error);

/* Decrypts the blob in @blob_file into a new file in @download_dir
 * named after @name (made safe, with a " (N)" suffix when the name is
 * taken: nothing is ever overwritten), checking it against @digest and
 * @key in the same pass: the file gets its name only once the blob's
 * length, digest, MAC and padding passed.  Returns the new file and the
 * SHA-256 of its contents in @sha256_hex; on any error no file is left
 * behind. */
GFile   *sotto_attachment_file_decrypt     (GFile          *blob_file,
                                            const guint8    key[SP_ATTACHMENT_KEY_SIZE],
                                            const guint8    digest[SP_ATTACHMENT_DIGEST_SIZE],
                                            guint64         size,
                                            GFile          *download_dir,
                                            const char     *name,
                                            char          **sha256_hex,
                                            GCancellable   *cancellable,
                                            GError        **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
