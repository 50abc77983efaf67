/* sotto-application.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_APPLICATION (sotto_application_get_type ())

G_DECLARE_FINAL_TYPE (SottoApplication, sotto_application, SOTTO, APPLICATION, AdwApplication)

SottoApplication *sotto_application_new          (const char        *application_id,
                                                  GApplicationFlags  flags) G_GNUC_WARN_UNUSED_RESULT;
GFile            *sotto_application_get_profile  (SottoApplication  *self);
void              sotto_application_set_profile  (SottoApplication  *self,
                                                  GFile             *profile);
GSettings        *sotto_application_get_settings (SottoApplication  *self);
char             *sotto_application_id_for_profile (const char      *base_id,
                                                    GFile           *profile) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
