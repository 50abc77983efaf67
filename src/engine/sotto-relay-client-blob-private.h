/* sotto-relay-client-blob-private.h: attachment blobs through the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

/* Where an upload stands on the relay (docs/relay-api.md, "Attachments"). */
typedef struct
{
  char     *id;        /* 64 lowercase hex digits */
  guint64   offset;    /* bytes the relay holds */
  guint64   size;      /* the blob's size */
  gboolean  complete;
} SottoRelayUpload;

void              sotto_relay_upload_free                  (SottoRelayUpload     *upload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayUpload, sotto_relay_upload_free)

/* POST /v1/attachments: a new upload of a @size-byte blob. */
void              _sotto_relay_client_create_upload_async  (SottoRelayClient     *self,
                                                            guint64               size,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
SottoRelayUpload *_sotto_relay_client_create_upload_finish (SottoRelayClient     *self,
                                                            GAsyncResult         *result,
                                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* GET /v1/attachments/{id}/upload: where an upload stands, to resume it. */
void              _sotto_relay_client_get_upload_async     (SottoRelayClient     *self,
                                                            const char           *id,
                                                            guint64               size,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
SottoRelayUpload *_sotto_relay_client_get_upload_finish    (SottoRelayClient     *self,
                                                            GAsyncResult         *result,
                                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* PUT /v1/attachments/{id}: the blob's bytes from @upload's offset to its
 * end, read from @rest as they go out. */
void              _sotto_relay_client_put_upload_async     (SottoRelayClient       *self,
                                                            const SottoRelayUpload *upload,
                                                            GInputStream           *rest,
                                                            GCancellable           *cancellable,
                                                            GAsyncReadyCallback     callback,
                                                            gpointer                user_data);
SottoRelayUpload *_sotto_relay_client_put_upload_finish    (SottoRelayClient     *self,
                                                            GAsyncResult         *result,
                                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* GET /v1/attachments/{id}: the blob, written to @out as it arrives;
 * an answer longer or shorter than @size bytes is refused. */
void              _sotto_relay_client_download_async       (SottoRelayClient     *self,
                                                            const char           *id,
                                                            guint64               size,
                                                            GOutputStream        *out,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean          _sotto_relay_client_download_finish      (SottoRelayClient     *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

/* For tests only: a blob transfer is given up when it moves fewer than
 * @min_bytes_per_second averaged over @window_ms, instead of the
 * constants that every client ships with. */
void              _sotto_relay_client_set_transfer_pace    (SottoRelayClient     *self,
                                                            guint                 window_ms,
                                                            guint                 min_bytes_per_second);

G_END_DECLS
