/* sotto-attachment.h: a file sent or received with a message
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * SottoAttachmentState:
 * @SOTTO_ATTACHMENT_STATE_UPLOADING: an outgoing file on its way to the
 *   relay (#SottoAttachment:progress says how far); its message waits
 * @SOTTO_ATTACHMENT_STATE_SENT: the relay has the whole blob
 * @SOTTO_ATTACHMENT_STATE_AVAILABLE: an incoming file not downloaded yet
 * @SOTTO_ATTACHMENT_STATE_DOWNLOADING: an incoming file being fetched
 * @SOTTO_ATTACHMENT_STATE_READY: the incoming file is checked and kept,
 *   encrypted, in the profile
 * @SOTTO_ATTACHMENT_STATE_FAILED: the transfer failed
 *   (#SottoAttachment:error says why); it can be tried again
 */
typedef enum
{
  SOTTO_ATTACHMENT_STATE_UPLOADING,
  SOTTO_ATTACHMENT_STATE_SENT,
  SOTTO_ATTACHMENT_STATE_AVAILABLE,
  SOTTO_ATTACHMENT_STATE_DOWNLOADING,
  SOTTO_ATTACHMENT_STATE_READY,
  SOTTO_ATTACHMENT_STATE_FAILED,
} SottoAttachmentState;

#define SOTTO_TYPE_ATTACHMENT (sotto_attachment_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachment, sotto_attachment, SOTTO, ATTACHMENT, GObject)

const char           *sotto_attachment_get_name         (SottoAttachment *self);
const char           *sotto_attachment_get_content_type (SottoAttachment *self);
guint64               sotto_attachment_get_size         (SottoAttachment *self);
SottoAttachmentState  sotto_attachment_get_state        (SottoAttachment *self);
double                sotto_attachment_get_progress     (SottoAttachment *self);
const char           *sotto_attachment_get_error        (SottoAttachment *self);
GBytes               *sotto_attachment_get_thumbnail    (SottoAttachment *self);
gboolean              sotto_attachment_get_outgoing     (SottoAttachment *self);
void                  sotto_attachment_cancel           (SottoAttachment *self);

G_END_DECLS
