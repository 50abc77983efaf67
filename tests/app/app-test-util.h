/* app-test-util.h: finding widgets in the windows under test
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef gboolean (*AppTestMatch) (GtkWidget     *widget,
                                  gconstpointer  data);

GtkWidget *app_test_find_matching (GtkWidget     *root,
                                   AppTestMatch   match,
                                   gconstpointer  data);
GtkWidget *app_test_find_widget   (GtkWidget     *root,
                                   GType          type);
GtkWidget *app_test_find_label    (GtkWidget     *root,
                                   const char    *text);
char      *app_test_read_clipboard (GtkWidget     *widget);

G_END_DECLS
