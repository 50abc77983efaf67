/* page-test-util.h: sessions and widgets for the tests of the window's pages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-session.h"

G_BEGIN_DECLS

/* The passphrase every test profile is made with. */
#define PAGE_TEST_PASSPHRASE "correct horse battery staple"

/* Long enough for a slow CI machine under the sanitizers. */
#define PAGE_TEST_TIMEOUT_SECONDS 60

/* Runs the main loop until @condition holds, failing after a timeout. */
#define page_test_wait_until(condition) \
  G_STMT_START { \
    gint64 deadline = g_get_monotonic_time () + PAGE_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC; \
    while (!(condition)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline); \
        g_main_context_iteration (NULL, FALSE); \
        g_usleep (1000); \
      } \
  } G_STMT_END

void          page_test_count_cb       (GObject      *object,
                                        GParamSpec   *pspec,
                                        gpointer      user_data);
char         *page_test_make_profile   (void);
void          page_test_remove_profile (const char   *path);
SottoSession *page_test_session_new    (const char   *profile);
gboolean      page_test_unlock         (SottoSession *session,
                                        const char   *passphrase,
                                        GError      **error);
void          page_test_register       (SottoSession *session,
                                        const char   *relay_url,
                                        const char   *username);
void          page_test_close          (SottoSession *session);
GtkEditable  *page_test_find_row       (GtkWidget    *root,
                                        const char   *title);
void          page_test_set_row_text   (GtkWidget    *root,
                                        const char   *title,
                                        const char   *text);

G_END_DECLS
