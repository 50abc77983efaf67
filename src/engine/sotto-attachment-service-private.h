/* sotto-attachment-service-private.h: the messenger's attachment transfers
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-attachment-private.h"
#include "sotto-conversation.h"
#include "sotto-outbox-private.h"
#include "sotto-relay-client-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* Pictures larger than this are not made a thumbnail of: decoding them
 * would take too long and too much memory. */
#define SOTTO_ATTACHMENT_MAX_THUMBNAIL_SOURCE (50 * 1024 * 1024)

/* The longest side of a thumbnail, in pixels, first tried. */
#define SOTTO_ATTACHMENT_THUMBNAIL_SIDE 320

/* A blob in the attachment folder that no attachment refers to is
 * removed once it is this many seconds old: a younger one may be a file
 * still being encrypted or downloaded. */
#define SOTTO_ATTACHMENT_SWEEP_AGE (24 * 3600)

/* The task data key under which an export leaves its file's SHA-256. */
#define SOTTO_ATTACHMENT_EXPORT_SHA256 "sotto-attachment-sha256"

#define SOTTO_TYPE_ATTACHMENT_SERVICE (sotto_attachment_service_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentService, sotto_attachment_service, SOTTO, ATTACHMENT_SERVICE, GObject)

SottoAttachmentService *_sotto_attachment_service_new (SottoStore       *store,
                                                       SottoRelayClient *client,
                                                       SottoOutbox      *outbox) G_GNUC_WARN_UNUSED_RESULT;

SottoAttachmentService *_sotto_attachment_service_find (const char *file) G_GNUC_WARN_UNUSED_RESULT;
void      _sotto_attachment_service_cancel_waiting (SottoAttachmentService      *self,
                                                    const SottoAttachmentRecord *record);

GBytes   *_sotto_attachment_make_thumbnail (const char *path,
                                            gsize       budget);

void      _sotto_attachment_service_set_auto_download_size (SottoAttachmentService *self,
                                                            guint64                 size);
void      _sotto_attachment_service_message_received (SottoAttachmentService *self,
                                                      SottoMessage           *message);

void      _sotto_attachment_service_send_async    (SottoAttachmentService *self,
                                                   SottoConversation      *conversation,
                                                   const char             *text,
                                                   GFile * const          *files,
                                                   guint                   n_files,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
gboolean  _sotto_attachment_service_send_finish   (SottoAttachmentService *self,
                                                   GAsyncResult           *result,
                                                   SottoMessage          **message,
                                                   GError                **error);
void      _sotto_attachment_service_start         (SottoAttachmentService *self);
void      _sotto_attachment_service_stop          (SottoAttachmentService *self);
void      _sotto_attachment_service_resume_async  (SottoAttachmentService *self,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
gboolean  _sotto_attachment_service_resume_finish (SottoAttachmentService *self,
                                                   GAsyncResult           *result,
                                                   GError                **error);
void      _sotto_attachment_service_retry_upload  (SottoAttachmentService *self,
                                                   SottoAttachment        *attachment,
                                                   GTask                  *task);
void      _sotto_attachment_service_download      (SottoAttachmentService *self,
                                                   SottoAttachment        *attachment,
                                                   GTask                  *task);
void      _sotto_attachment_service_export        (SottoAttachmentService *self,
                                                   SottoAttachment        *attachment,
                                                   GFile                  *dir,
                                                   GTask                  *task);
void      _sotto_attachment_service_save          (SottoAttachmentService *self,
                                                   SottoAttachment        *attachment,
                                                   GFile                  *dir,
                                                   GTask                  *task);

G_END_DECLS
