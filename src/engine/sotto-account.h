/* sotto-account.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_ACCOUNT (sotto_account_get_type ())

G_DECLARE_FINAL_TYPE (SottoAccount, sotto_account, SOTTO, ACCOUNT, GObject)

void             sotto_account_load_async            (SottoStore           *store,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
SottoAccount    *sotto_account_load_finish           (GAsyncResult         *result,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void             sotto_account_save_async            (SottoAccount         *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean         sotto_account_save_finish           (SottoAccount         *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
SottoStore      *sotto_account_get_store             (SottoAccount         *self);
const char      *sotto_account_get_uuid              (SottoAccount         *self);
const char      *sotto_account_get_username          (SottoAccount         *self);
guint            sotto_account_get_device_id         (SottoAccount         *self);
guint            sotto_account_get_registration_id   (SottoAccount         *self);
const char      *sotto_account_get_relay_url         (SottoAccount         *self);
const char      *sotto_account_get_relay_ca          (SottoAccount         *self);
void             sotto_account_set_relay_ca          (SottoAccount         *self,
                                                      const char           *relay_ca);
const char      *sotto_account_get_password          (SottoAccount         *self);
GBytes          *sotto_account_get_identity_key      (SottoAccount         *self);

G_END_DECLS
