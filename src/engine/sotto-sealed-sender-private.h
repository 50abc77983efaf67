/* sotto-sealed-sender-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-session.h"

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-relay-client-private.h"
#include "sotto-store.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_SEALED_SENDER (sotto_sealed_sender_get_type ())

G_DECLARE_FINAL_TYPE (SottoSealedSender, sotto_sealed_sender, SOTTO, SEALED_SENDER, GObject)

SottoSealedSender  *_sotto_sealed_sender_new          (SottoStore               *store,
                                                       SottoAccount             *account,
                                                       SottoRelayClient         *client) G_GNUC_WARN_UNUSED_RESULT;
gboolean            _sotto_sealed_sender_can_seal     (SottoSealedSender        *self);
void                _sotto_sealed_sender_set_conflict_root (SottoSealedSender   *self,
                                                       GBytes                   *conflict_root);
void                _sotto_sealed_sender_set_checking_root (SottoSealedSender   *self,
                                                       gboolean                  checking);
gboolean            _sotto_sealed_sender_get_checking_root (SottoSealedSender   *self);
void                _sotto_sealed_sender_send_async   (SottoSealedSender        *self,
                                                       SottoContact             *contact,
                                                       gint64                    timestamp,
                                                       GPtrArray                *envelopes,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
void                _sotto_sealed_sender_send_online_async (SottoSealedSender   *self,
                                                       SottoContact             *contact,
                                                       gint64                    timestamp,
                                                       GPtrArray                *envelopes,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
gboolean            _sotto_sealed_sender_send_finish  (SottoSealedSender        *self,
                                                       GAsyncResult             *result,
                                                       gboolean                 *sealed,
                                                       SottoRelayDeviceChanges **changes,
                                                       GError                  **error);
void                _sotto_sealed_sender_get_certificate_async (SottoSealedSender *self,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
GBytes             *_sotto_sealed_sender_get_certificate_finish (SottoSealedSender *self,
                                                       GAsyncResult             *result,
                                                       GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void                _sotto_sealed_sender_send_multi_async (SottoSealedSender    *self,
                                                       gint64                    timestamp,
                                                       GBytes                   *inner,
                                                       const char               *group_id,
                                                       GPtrArray                *recipients,
                                                       GArray                   *devices,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
gboolean            _sotto_sealed_sender_send_multi_finish (SottoSealedSender   *self,
                                                       GAsyncResult             *result,
                                                       gboolean                 *sealed,
                                                       GStrv                    *named,
                                                       GError                  **error);
SottoRelayEnvelope *_sotto_sealed_sender_open         (SottoSealedSender        *self,
                                                       const SottoRelayEnvelope *envelope,
                                                       GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

int                 _sotto_sealed_sender_decrypt_inner (const SottoRelayEnvelope *envelope,
                                                        SpSessionCipher          *cipher,
                                                        int                       type,
                                                        guint8                   *out,
                                                        gsize                     out_size,
                                                        gsize                    *out_len);

G_END_DECLS
