/* sotto-contact.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_CONTACT (sotto_contact_get_type ())

G_DECLARE_FINAL_TYPE (SottoContact, sotto_contact, SOTTO, CONTACT, GObject)

SottoAccount           *sotto_contact_get_account             (SottoContact         *self);
const char             *sotto_contact_get_uuid                (SottoContact         *self);
const char             *sotto_contact_get_username            (SottoContact         *self);
const char             *sotto_contact_get_name                (SottoContact         *self);
const char             *sotto_contact_get_profile_name        (SottoContact         *self);
GLoadableIcon          *sotto_contact_get_avatar              (SottoContact         *self);
GBytes                 *sotto_contact_get_identity_key        (SottoContact         *self);
SottoVerificationState  sotto_contact_get_verification_state  (SottoContact         *self);
gboolean                sotto_contact_get_sending_held        (SottoContact         *self);
SottoContactStanding    sotto_contact_get_standing            (SottoContact         *self);
const char             *sotto_contact_get_safety_number       (SottoContact         *self);
char                   *sotto_contact_format_safety_number    (const char           *digits);
GBytes                 *sotto_contact_get_scannable_safety_number (SottoContact     *self);
gboolean                sotto_contact_safety_number_matches   (SottoContact         *self,
                                                               const char           *digits);
void                    sotto_contact_verify_async            (SottoContact         *self,
                                                               const char           *digits,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean                sotto_contact_verify_finish           (SottoContact         *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void                    sotto_contact_accept_identity_async   (SottoContact         *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
void                    sotto_contact_unverify_async          (SottoContact         *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean                sotto_contact_unverify_finish         (SottoContact         *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
gboolean                sotto_contact_accept_identity_finish  (SottoContact         *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

void                    sotto_contact_load_avatar_async       (SottoContact         *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
GBytes                 *sotto_contact_load_avatar_finish      (SottoContact         *self,
                                                               GAsyncResult         *result,
                                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
