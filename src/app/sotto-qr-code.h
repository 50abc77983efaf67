/* sotto-qr-code.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_QR_CODE (sotto_qr_code_get_type ())

G_DECLARE_FINAL_TYPE (SottoQrCode, sotto_qr_code, SOTTO, QR_CODE, GtkWidget)

GtkWidget *sotto_qr_code_new          (void);
GBytes    *sotto_qr_code_get_data     (SottoQrCode *self);
void       sotto_qr_code_set_data     (SottoQrCode *self,
                                       GBytes      *data);
guint      sotto_qr_code_get_modules  (SottoQrCode *self);

G_END_DECLS
