/* sotto-contact-label.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-contact.h"

G_BEGIN_DECLS

const char *sotto_contact_label_username (SottoContact *contact);
char       *sotto_contact_label_full     (SottoContact *contact) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
