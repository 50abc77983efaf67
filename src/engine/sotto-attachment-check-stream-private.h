/* sotto-attachment-check-stream-private.h: a blob checked as it is written
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-attachment.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_ATTACHMENT_CHECK_STREAM (sotto_attachment_check_stream_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentCheckStream, sotto_attachment_check_stream,
                      SOTTO, ATTACHMENT_CHECK_STREAM, GFilterOutputStream)

/* Writes a blob to @base as it comes and takes every byte into its
 * length, digest and MAC check against @key, @digest and @size, so that
 * a download is checked without being read again.  A byte past the
 * blob's length fails the write.  Its position (GSeekable's tell) is
 * the bytes written so far, which may be asked from any thread.
 *
 * With @plain, the blob is also decrypted as it comes, in the same pass
 * as the checks, and its plaintext written to @plain, which must keep
 * it where nothing else reads it until the verdict (a
 * SottoAttachmentPlainStream): a download the user saves at once is
 * then hashed twice instead of four times, and read from the disk not
 * at all. */
SottoAttachmentCheckStream *sotto_attachment_check_stream_new    (GOutputStream              *base,
                                                                  const guint8                key[SP_ATTACHMENT_KEY_SIZE],
                                                                  const guint8                digest[SP_ATTACHMENT_DIGEST_SIZE],
                                                                  guint64                     size,
                                                                  GOutputStream              *plain,
                                                                  GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* Once every byte was written: whether the blob is the one described
 * (SOTTO_ATTACHMENT_FILE_ERROR_REJECTED when it is not), and with
 * @plain, whether its padding is right too. */
gboolean                    sotto_attachment_check_stream_verdict (SottoAttachmentCheckStream *self,
                                                                  GError                    **error);

G_END_DECLS
