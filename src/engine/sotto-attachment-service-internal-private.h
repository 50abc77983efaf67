/* sotto-attachment-service-internal-private.h: what the attachment service's files share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-attachment-service-private.h"

G_BEGIN_DECLS

/* The service's struct and the steps its files take from each other;
 * nothing else in the engine sees them. */

struct _SottoAttachmentService
{
  GObject parent_instance;

  SottoStore *store;
  SottoRelayClient *client;
  SottoOutbox *outbox;
  GFile *folder;
  guint64 auto_download_size;
  /* Whether uploads resume as the relay connects. */
  gboolean started;
  /* The resume under way, then those asked for meanwhile (GTask). */
  GQueue resumes;
};

/* Stores @record (a copy) in the store's thread. */
void _sotto_attachment_service_store_update_async (SottoAttachmentService      *self,
                                                   const SottoAttachmentRecord *record,
                                                   GAsyncReadyCallback          callback,
                                                   gpointer                     user_data);

/* Stores @record (a copy) failed, as the user's Cancel leaves it. */
void _sotto_attachment_service_store_cancelled_async (SottoAttachmentService      *self,
                                                      const SottoAttachmentRecord *record,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);

G_END_DECLS
