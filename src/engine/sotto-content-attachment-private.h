/* sotto-content-attachment-private.h: attachment pointers in the inner content
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sp-attachment.h"
#include "sp-protobuf.h"

G_BEGIN_DECLS

/* The level that introduced attachments (docs/messenger.md): an older
 * Sotto would show only the caption and lose the files. */
#define SOTTO_CONTENT_LEVEL_ATTACHMENTS 3

/* DataMessage.attachments, the field number. */
#define SOTTO_CONTENT_DATA_ATTACHMENTS 2

/* The most attachments one message carries. */
#define SOTTO_CONTENT_MAX_ATTACHMENTS 32

/* The largest thumbnail of one attachment, and of all of one message's
 * together: the whole message must stay well below the relay's
 * envelope limit (256 KiB) once it is padded and encrypted. */
#define SOTTO_CONTENT_MAX_THUMBNAIL (64 * 1024)
#define SOTTO_CONTENT_MAX_THUMBNAILS (128 * 1024)

/* The longest side a thumbnail may declare.  Sotto makes them 320
 * pixels at most; a few kilobytes of PNG can declare 8192 × 8192
 * pixels, which the recipient would decode, on the thread that shows
 * the message, into a quarter of a gigabyte. */
#define SOTTO_CONTENT_MAX_THUMBNAIL_SIDE 1024

/* The longest content type and file name, in bytes. */
#define SOTTO_CONTENT_MAX_CONTENT_TYPE 127
#define SOTTO_CONTENT_MAX_FILE_NAME 255

/* The relay's name for a blob: 32 bytes, written as 64 hex digits. */
#define SOTTO_ATTACHMENT_BLOB_ID_SIZE 32

/**
 * SottoAttachmentPointer:
 * @blob_id: the relay's name for the blob, 64 lowercase hex digits
 * @key: the blob's key, SP_ATTACHMENT_KEY_SIZE bytes in guarded memory
 * @digest: SHA-256 of the whole blob
 * @size: the plaintext's size in bytes
 * @content_type: a MIME type such as "image/png"
 * @file_name: (nullable): the name the sender gave the file
 * @thumbnail: (nullable): a JPEG or PNG preview of a picture, at most
 *   SOTTO_CONTENT_MAX_THUMBNAIL bytes
 *
 * What a message says about one attachment: everything a recipient
 * needs to fetch, check and decrypt it.
 */
typedef struct
{
  char *blob_id;
  guint8 *key;
  guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint64 size;
  char *content_type;
  char *file_name;
  GBytes *thumbnail;
} SottoAttachmentPointer;

SottoAttachmentPointer *sotto_attachment_pointer_new    (void) G_GNUC_WARN_UNUSED_RESULT;
SottoAttachmentPointer *sotto_attachment_pointer_copy   (const SottoAttachmentPointer *pointer) G_GNUC_WARN_UNUSED_RESULT;
void                    sotto_attachment_pointer_free   (SottoAttachmentPointer       *pointer);
gboolean                _sotto_content_type_is_valid    (const char                   *data,
                                                         gsize                         len);
gboolean                sotto_attachment_pointer_is_valid (const SottoAttachmentPointer *pointer);
gboolean                _sotto_content_picture_is_small (GBytes                       *picture,
                                                         guint32                       max_side);

/* A pointer on its own, as the store seals it: the AttachmentPointer
 * message without anything around it. */
GBytes                 *sotto_attachment_pointer_encode (const SottoAttachmentPointer *pointer) G_GNUC_WARN_UNUSED_RESULT;
SottoAttachmentPointer *sotto_attachment_pointer_decode (const guint8                 *data,
                                                         gsize                         len,
                                                         GError                      **error) G_GNUC_WARN_UNUSED_RESULT;

GBytes                 *_sotto_attachment_pointer_encode_stored (const SottoAttachmentPointer *pointer) G_GNUC_WARN_UNUSED_RESULT;
SottoAttachmentPointer *_sotto_attachment_pointer_decode_stored (const guint8                 *data,
                                                                 gsize                         len,
                                                                 GError                      **error) G_GNUC_WARN_UNUSED_RESULT;

/* The content format's share (sotto-content.c calls these): @attachments
 * is a GPtrArray of SottoAttachmentPointer, or %NULL. */
gboolean                _sotto_content_attachments_valid (GPtrArray                   *attachments);
gsize                   _sotto_content_attachments_size  (GPtrArray                   *attachments);
void                    _sotto_content_write_attachments (GPtrArray                   *attachments,
                                                          SpPbWriter                  *writer);
gboolean                _sotto_content_read_attachment   (GPtrArray                  **attachments,
                                                          const SpPbField             *field,
                                                          GError                     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoAttachmentPointer, sotto_attachment_pointer_free)

G_END_DECLS
