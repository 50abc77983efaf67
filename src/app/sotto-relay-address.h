/* sotto-relay-address.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sotto_relay_address_complete (const char *address) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
