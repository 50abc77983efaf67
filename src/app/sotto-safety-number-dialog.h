/* sotto-safety-number-dialog.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-contact.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_SAFETY_NUMBER_DIALOG (sotto_safety_number_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SottoSafetyNumberDialog, sotto_safety_number_dialog, SOTTO, SAFETY_NUMBER_DIALOG, AdwWindow)

SottoSafetyNumberDialog *sotto_safety_number_dialog_new         (GtkWindow               *transient_for,
                                                                 SottoContact            *contact) G_GNUC_WARN_UNUSED_RESULT;
SottoContact            *sotto_safety_number_dialog_get_contact (SottoSafetyNumberDialog *self);
void                     sotto_safety_number_dialog_compare     (SottoSafetyNumberDialog *self,
                                                                 const char              *digits);

G_END_DECLS
