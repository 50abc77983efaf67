/* sotto-relay-client-multi-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

/* The relay's bounds on one multi-recipient send (docs/relay-api.md). */
#define SOTTO_RELAY_MULTI_MAX_ACCOUNTS 128

/**
 * SottoRelayRecipient:
 * @uuid: the recipient's account
 * @envelopes: (element-type SottoRelayOutgoing): one for each of its
 *   devices
 * @access_key: (nullable): its unidentified-access key
 *   (%SOTTO_RELAY_ACCESS_KEY_SIZE bytes of guarded memory, freed with
 *   the recipient), for a sealed send
 *
 * One account's part of a multi-recipient send.
 */
typedef struct
{
  char *uuid;
  GPtrArray *envelopes;
  guint8 *access_key;
} SottoRelayRecipient;

SottoRelayRecipient *sotto_relay_recipient_new          (const char        *uuid) G_GNUC_WARN_UNUSED_RESULT;
void                 sotto_relay_recipient_free         (SottoRelayRecipient *recipient);

void                 sotto_relay_client_send_multi_async  (SottoRelayClient    *self,
                                                           gint64               timestamp,
                                                           GPtrArray           *recipients,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
gboolean             sotto_relay_client_send_multi_finish (SottoRelayClient    *self,
                                                           GAsyncResult        *result,
                                                           GStrv               *named,
                                                           GError             **error);

void                 sotto_relay_client_send_sealed_multi_async  (SottoRelayClient    *self,
                                                                  gint64               timestamp,
                                                                  GBytes              *content,
                                                                  GPtrArray           *recipients,
                                                                  GCancellable        *cancellable,
                                                                  GAsyncReadyCallback  callback,
                                                                  gpointer             user_data);
gboolean             sotto_relay_client_send_sealed_multi_finish (SottoRelayClient    *self,
                                                                  GAsyncResult        *result,
                                                                  GStrv               *named,
                                                                  GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayRecipient, sotto_relay_recipient_free)

G_END_DECLS
