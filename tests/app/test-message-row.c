/* test-message-row.c: message bubbles in a real window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Messages are made as the engine makes them when it reads the store,
 * shown in rows of a window under the test's display, and checked as a
 * reader sees them: the labels, their tooltips, the separators.
 */

#include "config.h"

#include <adwaita.h>

#include "sotto-message-private.h"
#include "sotto-message-row.h"

/* Long enough for a slow CI machine under the sanitizers. */
#define MAP_TIMEOUT_SECONDS 30

typedef struct {
  GtkWindow *window;
  GtkBox *box;
} Fixture;

static gint64
local_milliseconds (int year,
                    int month,
                    int day,
                    int hour,
                    int minute,
                    int second)
{
  g_autoptr(GDateTime) time = g_date_time_new_local (year, month, day, hour, minute, second);

  return g_date_time_to_unix (time) * 1000;
}

static SottoMessage *
incoming_message (const char *body,
                  gint64      sent_at,
                  gint64      received_at)
{
  g_autofree char *id = g_uuid_string_random ();

  return _sotto_message_new (id, SOTTO_MESSAGE_DIRECTION_INCOMING, SOTTO_MESSAGE_KIND_TEXT,
                             SOTTO_MESSAGE_STATE_DELIVERED, sent_at, received_at, body);
}

/* Finds the mapped label showing @text below @root, or NULL. */
static GtkLabel *
find_label (GtkWidget  *root,
            const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root)
      && g_strcmp0 (gtk_label_get_label (GTK_LABEL (root)), text) == 0)
    return GTK_LABEL (root);

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label (child, text);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->window = GTK_WINDOW (gtk_window_new ());
  fixture->box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->box));
  gtk_window_set_default_size (fixture->window, 480, 640);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  gtk_window_destroy (fixture->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Shows @message below @previous in a new row of the window. */
static SottoMessageRow *
add_row (Fixture      *fixture,
         SottoMessage *message,
         SottoMessage *previous)
{
  SottoMessageRow *row = SOTTO_MESSAGE_ROW (sotto_message_row_new ());

  sotto_message_row_set_message (row, message, "Bob", previous);
  gtk_box_append (fixture->box, GTK_WIDGET (row));

  return row;
}

static void
show_window (Fixture *fixture)
{
  gboolean timed_out = FALSE;
  guint timeout_id;

  gtk_window_present (fixture->window);
  timeout_id = g_timeout_add_seconds (MAP_TIMEOUT_SECONDS, timeout_cb, &timed_out);
  while (!gtk_widget_get_mapped (GTK_WIDGET (fixture->window)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);
}

/* A message shows when it was sent; when it arrived later, the time's
 * tooltip says when. */
static void
test_message_row_sent_time (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(SottoMessage) late = incoming_message ("held up on the way",
                                                   local_milliseconds (2026, 3, 14, 10, 0, 0),
                                                   local_milliseconds (2026, 3, 14, 12, 30, 0));
  g_autoptr(SottoMessage) prompt = incoming_message ("right on time",
                                                     local_milliseconds (2026, 3, 14, 12, 31, 5),
                                                     local_milliseconds (2026, 3, 14, 12, 31, 40));
  g_autoptr(SottoMessage) next_day = incoming_message ("after a night offline",
                                                       local_milliseconds (2026, 3, 14, 23, 50, 0),
                                                       local_milliseconds (2026, 3, 15, 8, 5, 0));
  SottoMessageRow *row;
  GtkLabel *time_label;

  row = add_row (fixture, late, NULL);
  show_window (fixture);
  time_label = find_label (GTK_WIDGET (row), "10:00");
  g_assert_nonnull (time_label);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (time_label)), ==, "Received at 12:30");

  sotto_message_row_set_message (row, prompt, "Bob", NULL);
  time_label = find_label (GTK_WIDGET (row), "12:31");
  g_assert_nonnull (time_label);
  g_assert_null (gtk_widget_get_tooltip_text (GTK_WIDGET (time_label)));

  sotto_message_row_set_message (row, next_day, "Bob", NULL);
  time_label = find_label (GTK_WIDGET (row), "23:50");
  g_assert_nonnull (time_label);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (time_label)), ==,
                   "Received on 15 March 2026 at 08:05");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/message-row/sent-time", Fixture, NULL,
              fixture_set_up, test_message_row_sent_time, fixture_tear_down);

  return g_test_run ();
}
