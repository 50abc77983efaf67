/* sotto-key-keeper-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"
#include "sotto-protocol-state-private.h"
#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_KEY_KEEPER (sotto_key_keeper_get_type ())

G_DECLARE_FINAL_TYPE (SottoKeyKeeper, sotto_key_keeper, SOTTO, KEY_KEEPER, GObject)

SottoKeyKeeper *_sotto_key_keeper_new                   (SottoStore           *store,
                                                         SottoAccount         *account,
                                                         SottoRelayClient     *client,
                                                         SottoProtocolState   *protocol) G_GNUC_WARN_UNUSED_RESULT;
void            _sotto_key_keeper_start                 (SottoKeyKeeper       *self);
void            _sotto_key_keeper_stop                  (SottoKeyKeeper       *self);
void            _sotto_key_keeper_refresh_async         (SottoKeyKeeper       *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean        _sotto_key_keeper_refresh_finish        (SottoKeyKeeper       *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void            _sotto_key_keeper_reset_identity_async  (SottoKeyKeeper       *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean        _sotto_key_keeper_reset_identity_finish (SottoKeyKeeper       *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
