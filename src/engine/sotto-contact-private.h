/* sotto-contact-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-contact.h"

G_BEGIN_DECLS

SottoContact *_sotto_contact_new                    (SottoStore             *store,
                                                     SottoAccount           *account,
                                                     gint64                  id,
                                                     const char             *uuid,
                                                     const char             *username,
                                                     const char             *name,
                                                     GBytes                 *identity_key,
                                                     SottoVerificationState  verification_state,
                                                     SottoContactStanding    standing) G_GNUC_WARN_UNUSED_RESULT;
gint64        _sotto_contact_get_id                 (SottoContact           *self);
SottoStore   *_sotto_contact_get_store              (SottoContact           *self);
void          _sotto_contact_set_identity           (SottoContact           *self,
                                                     GBytes                 *identity_key,
                                                     SottoVerificationState  verification_state);
void          _sotto_contact_set_standing           (SottoContact           *self,
                                                     SottoContactStanding    standing);
void          _sotto_contact_set_profile_name       (SottoContact           *self,
                                                     const char             *profile_name);
void          _sotto_contact_set_avatar             (SottoContact           *self,
                                                     gboolean                has_avatar,
                                                     const char             *digest);
void          _sotto_contact_set_verification_state (SottoContact           *self,
                                                     SottoVerificationState  verification_state);

G_END_DECLS
