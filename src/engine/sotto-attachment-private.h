/* sotto-attachment-private.h: attachment records and the model's internals
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-attachment.h"
#include "sotto-content-attachment-private.h"

G_BEGIN_DECLS

/* The folder in the profile that holds attachment blobs, encrypted under
 * their own keys, which only the store knows. */
#define SOTTO_ATTACHMENT_FOLDER "attachments"

/* The folder in the profile that sotto-cli saves files into unless told
 * otherwise: the messenger sweeps the part files left there. */
#define SOTTO_ATTACHMENT_DOWNLOADS_FOLDER "downloads"

/* One attachment as the store keeps it (table attachments, schema 10).
 * @pointer is complete once the relay named the blob; before, its
 * blob_id is %NULL, and before the file was encrypted its key and digest
 * are zeros too.  @file is the encrypted blob in the profile's
 * attachment folder (a sent file's, or a received one's once it is
 * downloaded and checked); @source the file being sent, until it is
 * encrypted; @error why a failed one failed (kept from schema 18 on).
 * @store_serial tells the opening of the profile whose store holds the
 * row (SottoStore's serial), 0 while it is not stored. */
typedef struct
{
  gint64 row_id;
  guint store_serial;
  guint index;
  SottoAttachmentState state;
  guint64 transferred;
  SottoAttachmentPointer *pointer;
  char *file;
  char *source;
  char *error;
} SottoAttachmentRecord;

SottoAttachmentRecord *_sotto_attachment_record_new  (SottoAttachmentState         state,
                                                      const SottoAttachmentPointer *pointer) G_GNUC_WARN_UNUSED_RESULT;
SottoAttachmentRecord *_sotto_attachment_record_copy (const SottoAttachmentRecord  *record) G_GNUC_WARN_UNUSED_RESULT;
void                   _sotto_attachment_record_free (SottoAttachmentRecord        *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoAttachmentRecord, _sotto_attachment_record_free)

/* The records of an incoming content's attachments, ready to store. */
GPtrArray       *_sotto_attachment_records_from_content (GPtrArray *pointers) G_GNUC_WARN_UNUSED_RESULT;

/* The model */
void             _sotto_attachment_list_sync       (GListStore                 **list,
                                                    gboolean                     outgoing,
                                                    GPtrArray                   *records);
SottoAttachment *_sotto_attachment_new_from_record (const SottoAttachmentRecord *record,
                                                    gboolean                     outgoing) G_GNUC_WARN_UNUSED_RESULT;
const SottoAttachmentRecord *_sotto_attachment_get_record (SottoAttachment      *self);
void             _sotto_attachment_update          (SottoAttachment             *self,
                                                    const SottoAttachmentRecord *record);
void             _sotto_attachment_set_transfer    (SottoAttachment             *self,
                                                    SottoAttachmentState         state,
                                                    guint64                      transferred,
                                                    const char                  *error);
GCancellable    *_sotto_attachment_get_cancellable (SottoAttachment             *self);
SottoAttachment *_sotto_attachment_find            (const SottoAttachmentRecord *record) G_GNUC_WARN_UNUSED_RESULT;
void             _sotto_attachment_reset_cancellable (SottoAttachment           *self);
gboolean         _sotto_attachment_upload_begin    (const char                  *file,
                                                    GCancellable                *cancellable,
                                                    gboolean                     asked);
void             _sotto_attachment_upload_end      (const char                  *file);

G_END_DECLS
