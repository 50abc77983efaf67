/* page-test-util.h: sessions and widgets for the tests of the window's pages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "app-test-util.h"
#include "sotto-session.h"

G_BEGIN_DECLS

/* The passphrase every test profile is made with. */
#define PAGE_TEST_PASSPHRASE "correct horse battery staple"

void          page_test_count_cb       (GObject      *object,
                                        GParamSpec   *pspec,
                                        gpointer      user_data);
void          page_test_result_cb      (GObject      *object,
                                        GAsyncResult *result,
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
GtkWindow    *page_test_show           (GtkWidget    *page);
void          page_test_release        (GtkWindow    *window,
                                        gpointer      object);
void          page_test_finish         (GtkWindow    *window,
                                        GtkWidget    *page,
                                        SottoSession *session,
                                        const char   *profile);
GtkEditable  *page_test_find_row       (GtkWidget    *root,
                                        const char   *title);
GtkWidget    *page_test_find_subtitled_row (GtkWidget  *root,
                                           const char *subtitle);
void          page_test_set_row_text   (GtkWidget    *root,
                                        const char   *title,
                                        const char   *text);

G_END_DECLS
