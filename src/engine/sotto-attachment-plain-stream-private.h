/* sotto-attachment-plain-stream-private.h: a decrypted attachment that has no name until it is checked
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_ATTACHMENT_PLAIN_STREAM (sotto_attachment_plain_stream_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentPlainStream, sotto_attachment_plain_stream,
                      SOTTO, ATTACHMENT_PLAIN_STREAM, GOutputStream)

/* A new file in the local folder @dir for an attachment's plaintext,
 * which no other process can open and which the kernel removes with the
 * stream, or with the process if it dies: it has no name (O_TMPFILE)
 * until sotto_attachment_plain_stream_publish().  On a file system
 * without unnamed files it is a hidden 0600 file, which the stream
 * removes when it is dropped unpublished, and which the next stream in
 * @dir removes if a crash left it, on any file system.  Written in a worker thread; the
 * SHA-256 of what was written is kept as it goes. */
SottoAttachmentPlainStream *sotto_attachment_plain_stream_new     (GFile                       *dir,
                                                                   GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Gives the file written, once the blob it came from passed its checks,
 * the name @name in its folder (made safe, with " (N)" when the name is
 * taken: no file is ever replaced), closes the stream and returns the
 * file, and the SHA-256 of its contents in @sha256_hex.  On error the
 * file goes with the stream. */
GFile                      *sotto_attachment_plain_stream_publish (SottoAttachmentPlainStream  *self,
                                                                   const char                  *name,
                                                                   char                       **sha256_hex,
                                                                   GCancellable                *cancellable,
                                                                   GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Removes from the local folder @dir the hidden part files that a
 * process which died while it wrote them left there (see
 * sotto_attachment_plain_stream_new()), and only those: unlocked regular
 * files of this user with a part file's name.  Reads a bounded number of
 * the folder's names; blocks on the disk. */
void                        sotto_attachment_plain_stream_sweep   (GFile                       *dir);

G_END_DECLS
