/* sotto-account-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sp-keys.h"

#include "sotto-account.h"
#include "sotto-records-private.h"

G_BEGIN_DECLS

SottoAccountRecord *_sotto_account_to_record       (SottoAccount             *self) G_GNUC_WARN_UNUSED_RESULT;
SottoAccount       *_sotto_account_new_from_record (SottoStore               *store,
                                                    const SottoAccountRecord *record) G_GNUC_WARN_UNUSED_RESULT;

SottoAccount    *sotto_account_new                   (SottoStore           *store,
                                                      const char           *uuid,
                                                      const char           *username,
                                                      guint                 device_id,
                                                      guint                 registration_id,
                                                      const char           *relay_url,
                                                      const char           *password,
                                                      const SpKeyPair      *identity) G_GNUC_WARN_UNUSED_RESULT;
const SpKeyPair *sotto_account_get_identity_key_pair (SottoAccount         *self);
void             sotto_account_set_identity_key_pair (SottoAccount         *self,
                                                      const SpKeyPair      *identity);
GBytes          *_sotto_account_get_trust_root       (SottoAccount         *self);
void             _sotto_account_set_trust_root       (SottoAccount         *self,
                                                      GBytes               *trust_root);

G_END_DECLS
