/* sotto-message-menu.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *sotto_message_menu_new (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
