/* app-test-util.h: finding widgets in the windows under test
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Long enough for a slow CI machine under the sanitizers. */
#define APP_TEST_TIMEOUT_SECONDS 60

/* Runs the main loop until @condition holds, failing after a timeout. */
#define app_test_wait_until(condition) \
  G_STMT_START { \
    gint64 deadline = g_get_monotonic_time () + APP_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC; \
    while (!(condition)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline); \
        g_main_context_iteration (NULL, FALSE); \
        g_usleep (1000); \
      } \
  } G_STMT_END

typedef gboolean (*AppTestMatch) (GtkWidget     *widget,
                                  gconstpointer  data);

GtkWidget *app_test_find_matching (GtkWidget     *root,
                                   AppTestMatch   match,
                                   gconstpointer  data);
GtkWidget *app_test_find_widget   (GtkWidget     *root,
                                   GType          type);
GtkWidget *app_test_find_any_widget (GtkWidget    *root,
                                    GType         type);
GtkWidget *app_test_find_label    (GtkWidget     *root,
                                   const char    *text);
GtkWidget *app_test_find_action_row (GtkWidget   *root,
                                     const char  *title);
char      *app_test_read_clipboard (GtkWidget     *widget);

void       app_test_xdotool       (GtkWindow     *window,
                                   const char    *first_arg,
                                   ...) G_GNUC_NULL_TERMINATED;
void       app_test_click         (GtkWidget     *widget);
void       app_test_right_click   (GtkWidget     *widget);
void       app_test_hold          (GtkWidget     *widget);
void       app_test_release       (GtkWidget     *widget);
void       app_test_wait_for_paint (GtkWidget    *widget);
guint8     app_test_alpha_at      (GtkWidget     *widget,
                                   int            x,
                                   int            y);
void       app_test_assert_focusables_named (GtkWindow  *window,
                                             const char *where);

/* Key presses and typing, through the X server as from a keyboard. */
#define app_test_press(window, ...) app_test_xdotool (window, "key", __VA_ARGS__, NULL)
#define app_test_type(window, text) app_test_xdotool (window, "type", text, NULL)

G_END_DECLS
