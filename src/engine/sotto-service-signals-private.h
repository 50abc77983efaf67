/* sotto-service-signals-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

guint _sotto_signal_new_identity_changed (GType        type);
guint _sotto_signal_new_message_received (GType        type);
void  _sotto_signal_forward              (gpointer     source,
                                          const char  *signal_name,
                                          gpointer     target);

G_END_DECLS
