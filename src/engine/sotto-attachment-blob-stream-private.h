/* sotto-attachment-blob-stream-private.h: a blob in the profile, read for libsoup
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_ATTACHMENT_BLOB_STREAM (sotto_attachment_blob_stream_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentBlobStream, sotto_attachment_blob_stream,
                      SOTTO, ATTACHMENT_BLOB_STREAM, GInputStream)

/* Opens @blob to be read from @offset on, as a pollable stream that a
 * thread of its own reads ahead, so that libsoup sends it without a
 * worker thread for each of its small reads, and without waiting for
 * the disk on the main thread.  Its position (GSeekable's tell) is
 * @offset plus the bytes read. */
GInputStream *sotto_attachment_blob_stream_new (GFile    *blob,
                                                guint64   offset,
                                                GError  **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
