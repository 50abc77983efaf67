/* sotto-store-attachments-private.h: attachment records in the store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-attachment-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* An outgoing attachment with the message it belongs to. */
typedef struct
{
  gint64 conversation_id;
  char *message_id;
  SottoAttachmentRecord *record;
} SottoStoreAttachment;

void       _sotto_store_attachment_free          (SottoStoreAttachment        *attachment);

gboolean   _sotto_store_save_attachments         (SottoStore                  *self,
                                                  gint64                       message_row_id,
                                                  SottoMessageRecord          *message,
                                                  GError                     **error);
gboolean   _sotto_store_load_attachments         (SottoStore                  *self,
                                                  gint64                       message_row_id,
                                                  GPtrArray                  **attachments,
                                                  GError                     **error);
gboolean   _sotto_store_load_outbox_attachments  (SottoStore                  *self,
                                                  gint64                       row_id,
                                                  SottoOutboxItem             *item,
                                                  GError                     **error);
gboolean   _sotto_store_update_attachment        (SottoStore                  *self,
                                                  const SottoAttachmentRecord *record,
                                                  GError                     **error);
GPtrArray *_sotto_store_list_unsent_attachments  (SottoStore                  *self,
                                                  GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

GHashTable *_sotto_store_list_attachment_files   (SottoStore                  *self,
                                                  GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoStoreAttachment, _sotto_store_attachment_free)

G_END_DECLS
