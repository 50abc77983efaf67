/* app-test-util.c: finding widgets in the windows under test
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "app-test-util.h"

/* Finds the first widget below @root, depth first, that @match accepts. */
GtkWidget *
app_test_find_matching (GtkWidget     *root,
                        AppTestMatch   match,
                        gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = app_test_find_matching (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_mapped_of_type (GtkWidget     *widget,
                   gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type)) && gtk_widget_get_mapped (widget);
}

/* Finds the first mapped widget of @type below @root, or NULL. */
GtkWidget *
app_test_find_widget (GtkWidget *root,
                      GType      type)
{
  return app_test_find_matching (root, is_mapped_of_type, GSIZE_TO_POINTER (type));
}

static gboolean
is_label_showing (GtkWidget     *widget,
                  gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

/* Finds a mapped label whose label (its markup, if it has any) is
 * @text below @root, or NULL. */
GtkWidget *
app_test_find_label (GtkWidget  *root,
                     const char *text)
{
  return app_test_find_matching (root, is_label_showing, text);
}

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

/* The text on @widget's clipboard, once the clipboard hands it over. */
char *
app_test_read_clipboard (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_text_cb, &text);
  while (text == NULL)
    g_main_context_iteration (NULL, TRUE);

  return text;
}
