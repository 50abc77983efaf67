/* page-test-util.c: sessions and widgets for the tests of the window's pages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "app-test-util.h"
#include "page-test-util.h"

void
page_test_count_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

char *
page_test_make_profile (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("sotto-profile-XXXXXX", &error);

  g_assert_no_error (error);

  return path;
}

void
page_test_remove_profile (const char *path)
{
  static const char *const names[] = { "sotto.db", "sotto.db-wal", "sotto.db-shm", "sotto.lock",
                                       "settings.ini", NULL };
  g_autofree char *attachments = g_build_filename (path, "attachments", NULL);
  g_autoptr(GDir) dir = g_dir_open (attachments, 0, NULL);

  for (const char *const *name = names; *name != NULL; name++)
    {
      g_autofree char *file = g_build_filename (path, *name, NULL);

      g_remove (file);
    }

  /* The encrypted files of uploads, which the engine keeps there. */
  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file = g_build_filename (attachments, name, NULL);

          g_assert_cmpint (g_remove (file), ==, 0);
        }
      g_assert_cmpint (g_rmdir (attachments), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

SottoSession *
page_test_session_new (const char *profile)
{
  g_autoptr(GFile) directory = g_file_new_for_path (profile);

  return sotto_session_new (directory);
}

/* Keeps the result of an async call in the GAsyncResult * at @user_data,
 * for a test that waits for it. */
void
page_test_result_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

gboolean
page_test_unlock (SottoSession  *session,
                  const char    *passphrase,
                  GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_session_unlock_async (session, passphrase, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);

  return sotto_session_unlock_finish (session, result, error);
}

void
page_test_register (SottoSession *session,
                    const char   *relay_url,
                    const char   *username)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_session_register_async (session, relay_url, username, NULL, NULL, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  g_assert_true (sotto_session_register_finish (session, result, &error));
  g_assert_no_error (error);
}

/* Closes the store, and lets its thread hand its last references back. */
void
page_test_close (SottoSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_session_close_async (session, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  g_assert_true (sotto_session_close_finish (session, result, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget) && GTK_IS_EDITABLE (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* The entry row titled @title below @root. */
GtkEditable *
page_test_find_row (GtkWidget  *root,
                    const char *title)
{
  GtkWidget *row = app_test_find_matching (root, is_row_titled, title);

  g_assert_nonnull (row);

  return GTK_EDITABLE (row);
}

static gboolean
is_row_subtitled (GtkWidget     *widget,
                  gconstpointer  subtitle)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), subtitle) == 0;
}

/* The action row with the subtitle @subtitle below @root, if any. */
GtkWidget *
page_test_find_subtitled_row (GtkWidget  *root,
                              const char *subtitle)
{
  return app_test_find_matching (root, is_row_subtitled, subtitle);
}

void
page_test_set_row_text (GtkWidget  *root,
                        const char *title,
                        const char *text)
{
  gtk_editable_set_text (page_test_find_row (root, title), text);
}

/* Shows @page in a window of its own, wide enough for the chats page's
 * list and conversation side by side. */
GtkWindow *
page_test_show (GtkWidget *page)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, 900, 640);
  gtk_window_set_child (window, page);
  gtk_window_present (window);
  app_test_wait_until (gtk_widget_get_mapped (page));

  return window;
}

/* Closes @window, and checks that nothing keeps @object (the widget the
 * test holds, in the window or the window itself) alive once it is gone. */
void
page_test_release (GtkWindow *window,
                   gpointer   object)
{
  gtk_window_destroy (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (object);
}

/* Closes the session, and checks that nothing keeps the page or the
 * session alive once the window is gone. */
void
page_test_finish (GtkWindow    *window,
                  GtkWidget    *page,
                  SottoSession *session,
                  const char   *profile)
{
  page_test_close (session);
  page_test_release (window, page);
  g_assert_finalize_object (session);
  page_test_remove_profile (profile);
}
