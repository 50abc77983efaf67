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

#include "app-test-util.h"
#include "sotto-message-private.h"
#include "sotto-message-row.h"
#include "sotto-time-format.h"

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

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();

  /* Rows in a scrolled window, as in the timeline: a long message is as
   * high as it needs to be. */
  fixture->window = GTK_WINDOW (gtk_window_new ());
  fixture->box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (fixture->box));
  gtk_window_set_child (fixture->window, scroller);
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
  gtk_window_present (fixture->window);
  app_test_wait_until (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));
}

/* A message shows when it was sent; when it arrived later, the time's
 * tooltip says when.  The tooltip also says whether the relay learned
 * who sent it. */
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
  time_label = GTK_LABEL (app_test_find_label (GTK_WIDGET (row), "10:00"));
  g_assert_nonnull (time_label);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (time_label)), ==,
                   "Received at 12:30\nSender visible to the relay");

  sotto_message_row_set_message (row, prompt, "Bob", NULL);
  time_label = GTK_LABEL (app_test_find_label (GTK_WIDGET (row), "12:31"));
  g_assert_nonnull (time_label);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (time_label)), ==, "Sender visible to the relay");

  sotto_message_row_set_message (row, next_day, "Bob", NULL);
  time_label = GTK_LABEL (app_test_find_label (GTK_WIDGET (row), "23:50"));
  g_assert_nonnull (time_label);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (time_label)), ==,
                   "Received on 15 March 2026 at 08:05\nSender visible to the relay");
}

static SottoMessage *
outgoing_message (const char *body,
                  gint64      sent_at)
{
  g_autofree char *id = g_uuid_string_random ();

  return _sotto_message_new (id, SOTTO_MESSAGE_DIRECTION_OUTGOING, SOTTO_MESSAGE_KIND_TEXT,
                             SOTTO_MESSAGE_STATE_SENT, sent_at, sent_at, body);
}

/* Opens the menu of @row as the Menu key does, and waits for it. */
static GtkWidget *
open_menu (SottoMessageRow *row)
{
  GtkWidget *menu;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.show-menu", NULL));
  while ((menu = app_test_find_widget (GTK_WIDGET (row), GTK_TYPE_POPOVER_MENU)) == NULL)
    g_main_context_iteration (NULL, TRUE);

  return menu;
}

/* The menu's entries are labelled with their mnemonics; those that do
 * not apply are hidden. */
static void
assert_menu_shows (GtkWidget          *menu,
                   const char * const *shown,
                   const char * const *hidden)
{
  for (guint i = 0; shown[i] != NULL; i++)
    {
      if (app_test_find_label (menu, shown[i]) == NULL)
        g_error ("The menu does not show %s", shown[i]);
    }
  for (guint i = 0; hidden[i] != NULL; i++)
    {
      if (app_test_find_label (menu, hidden[i]) != NULL)
        g_error ("The menu shows %s", hidden[i]);
    }
}

static gboolean
is_button_for (GtkWidget     *widget,
               gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

static GtkWidget *
find_button_for (GtkWidget  *root,
                 const char *action_name)
{
  return app_test_find_matching (root, is_button_for, action_name);
}

/* The message menu: its own entries (no generic text menu), which copy
 * what they say; and web addresses are links. */
static void
test_message_row_menu (Fixture       *fixture,
                       gconstpointer  user_data)
{
  static const char body[] = "see https://gnome.org/docs. <b>not bold</b> & ftp://not.a/link";
  g_autoptr(SottoMessage) message = incoming_message (body,
                                                      local_milliseconds (2026, 3, 14, 10, 0, 0),
                                                      local_milliseconds (2026, 3, 14, 10, 0, 3));
  SottoMessageRow *row = add_row (fixture, message, NULL);
  GtkLabel *body_label;
  GtkWidget *menu;
  g_autofree char *copied_text = NULL;
  g_autofree char *copied_time = NULL;

  show_window (fixture);

  body_label = GTK_LABEL (app_test_find_label (GTK_WIDGET (row),
                                               "see <a href=\"https://gnome.org/docs\">https://gnome.org/docs</a>. "
                                               "&lt;b&gt;not bold&lt;/b&gt; &amp; ftp://not.a/link"));
  g_assert_nonnull (body_label);
  g_assert_true (gtk_label_get_use_markup (body_label));
  g_assert_cmpstr (gtk_label_get_text (body_label), ==, body);
  /* A selectable label brings GTK's own text menu, with entries greyed
   * out; the message menu replaces it. */
  g_assert_false (gtk_label_get_selectable (body_label));

  /* What the Menu key, Shift+F10, a right click and a long press do. */
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (row)));
  menu = open_menu (row);
  /* Someone else's message: no editing or deleting it for everyone. */
  assert_menu_shows (menu, (const char * const []) { "_Reply", "_Copy Text", "Copy _Time", "_Delete for Me", NULL },
                     (const char * const []) { "_Edit", "Delete for _Everyone…", "Edit _History",
                                               "Show _Original Message", NULL });
  /* Quick reactions, and the emoji chooser for any other. */
  g_assert_nonnull (app_test_find_label (menu, "👍"));
  g_assert_nonnull (find_button_for (menu, "message.choose-reaction"));
  gtk_popover_popdown (GTK_POPOVER (menu));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.copy-text", NULL));
  copied_text = app_test_read_clipboard (GTK_WIDGET (row));
  g_assert_cmpstr (copied_text, ==, body);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.copy-time", NULL));
  copied_time = app_test_read_clipboard (GTK_WIDGET (row));
  g_assert_cmpstr (copied_time, ==, "14 March 2026 10:00");
}

/* The user's own messages can be edited and deleted for everyone for a
 * day after they were sent; after that, and while one waits to be sent,
 * not. */
static void
test_message_row_own_menu (Fixture       *fixture,
                           gconstpointer  user_data)
{
  gint64 now = g_get_real_time () / 1000;
  g_autoptr(SottoMessage) recent = outgoing_message ("just now", now - 60 * 1000);
  g_autoptr(SottoMessage) old = outgoing_message ("yesterday", now - 25 * 3600 * 1000);
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoMessage) queued = _sotto_message_new (id, SOTTO_MESSAGE_DIRECTION_OUTGOING, SOTTO_MESSAGE_KIND_TEXT,
                                                       SOTTO_MESSAGE_STATE_QUEUED, now, now, "on its way");
  SottoMessageRow *recent_row = add_row (fixture, recent, NULL);
  SottoMessageRow *old_row = add_row (fixture, old, NULL);
  SottoMessageRow *queued_row = add_row (fixture, queued, NULL);
  GtkWidget *menu;

  show_window (fixture);

  menu = open_menu (recent_row);
  assert_menu_shows (menu, (const char * const []) { "_Reply", "_Edit", "_Delete for Me", "Delete for _Everyone…", NULL },
                     (const char * const []) { "Edit _History", NULL });
  gtk_popover_popdown (GTK_POPOVER (menu));

  menu = open_menu (old_row);
  assert_menu_shows (menu, (const char * const []) { "_Reply", "_Delete for Me", NULL },
                     (const char * const []) { "_Edit", "Delete for _Everyone…", NULL });
  gtk_popover_popdown (GTK_POPOVER (menu));

  menu = open_menu (queued_row);
  assert_menu_shows (menu, (const char * const []) { "_Reply", NULL },
                     (const char * const []) { "_Edit", "Delete for _Everyone…", NULL });
  /* The contact does not have it yet: nothing to react to, and the
   * reactions are not shown. */
  g_assert_null (find_button_for (menu, "message.choose-reaction"));
  gtk_popover_popdown (GTK_POPOVER (menu));
}

static void
assert_day_name (int         year,
                 int         month,
                 int         day,
                 const char *expected)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 1, 1, 9, 0, 0);
  g_autoptr(GDateTime) time = g_date_time_new_local (year, month, day, 12, 0, 0);
  g_autofree char *name = sotto_format_day (time, now);

  g_assert_cmpstr (name, ==, expected);
}

/* Day separators: Today, Yesterday (across a year's end too), the
 * weekday within a week, then the date, with single spaces. */
static void
test_message_row_day_separators (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autoptr(SottoMessage) old = incoming_message ("yesterday's", g_date_time_to_unix (yesterday) * 1000,
                                                  g_date_time_to_unix (yesterday) * 1000);
  g_autoptr(SottoMessage) recent = incoming_message ("today's", g_date_time_to_unix (now) * 1000,
                                                     g_date_time_to_unix (now) * 1000);
  SottoMessageRow *first = add_row (fixture, old, NULL);
  SottoMessageRow *second = add_row (fixture, recent, old);

  show_window (fixture);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (first), "Yesterday"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (second), "Today"));

  assert_day_name (2026, 1, 1, "Today");
  assert_day_name (2025, 12, 31, "Yesterday");
  assert_day_name (2025, 12, 29, "Monday");
  assert_day_name (2025, 12, 25, "Thursday, 25 December 2025");
  assert_day_name (2025, 3, 4, "Tuesday, 4 March 2025");
}

/* Messages from one side a moment apart are grouped; another side, a
 * long pause or the safety-number event break the group. */
static void
test_message_row_grouping (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SottoMessage) first = incoming_message ("one", local_milliseconds (2026, 3, 14, 10, 0, 0),
                                                    local_milliseconds (2026, 3, 14, 10, 0, 1));
  g_autoptr(SottoMessage) second = incoming_message ("two", local_milliseconds (2026, 3, 14, 10, 2, 0),
                                                     local_milliseconds (2026, 3, 14, 10, 2, 1));
  g_autoptr(SottoMessage) answer = outgoing_message ("three", local_milliseconds (2026, 3, 14, 10, 3, 0));
  g_autoptr(SottoMessage) later = outgoing_message ("four", local_milliseconds (2026, 3, 14, 10, 30, 0));
  SottoMessageRow *rows[4];

  rows[0] = add_row (fixture, first, NULL);
  rows[1] = add_row (fixture, second, first);
  rows[2] = add_row (fixture, answer, second);
  rows[3] = add_row (fixture, later, answer);
  show_window (fixture);

  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (rows[0]), "grouped"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (rows[1]), "grouped"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (rows[2]), "grouped"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (rows[3]), "grouped"));
}

/* The body is the one mapped label with markup (for its links). */
static gboolean
is_body_label (GtkWidget     *widget,
               gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) && gtk_label_get_use_markup (GTK_LABEL (widget));
}

/* Removes the zero-width spaces that give long words break points. */
static char *
dup_without_break_points (const char *text)
{
  g_auto(GStrv) pieces = g_strsplit (text, "\u200B", -1);

  return g_strjoinv ("", pieces);
}

/* A long word (8000 letters, as anyone who can write to the user may
 * send) is shown whole, and soon: without break points Pango took 80 s to
 * lay it out, far past the test's timeout. */
static void
test_message_row_long_word (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(SottoMessage) message = NULL;
  g_autofree char *shown = NULL;
  SottoMessageRow *row;
  GtkWidget *label;

  for (guint i = 0; i < 8000; i++)
    g_string_append (body, "é");
  message = incoming_message (body->str, local_milliseconds (2026, 3, 14, 10, 0, 0),
                              local_milliseconds (2026, 3, 14, 10, 0, 1));
  row = add_row (fixture, message, NULL);
  show_window (fixture);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  label = app_test_find_matching (GTK_WIDGET (row), is_body_label, NULL);
  g_assert_nonnull (label);
  shown = dup_without_break_points (gtk_label_get_text (GTK_LABEL (label)));
  g_assert_true (g_str_equal (shown, body->str));
}

/* A screen reader reads each message as one label a person would say,
 * with who wrote it (the bubble's side and colour say so only to the
 * eye); the day heading and the delivery state follow as the
 * description, and the heading is a heading, not a skipped separator. */
static void
test_message_row_accessible (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(SottoMessage) question = incoming_message ("See you then?", local_milliseconds (2026, 3, 14, 12, 14, 0),
                                                       local_milliseconds (2026, 3, 14, 12, 14, 2));
  g_autoptr(SottoMessage) answer = outgoing_message ("Welcome!", local_milliseconds (2026, 3, 14, 12, 15, 0));
  g_autoptr(GDateTime) day = g_date_time_new_local (2026, 3, 14, 12, 0, 0);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *day_name = sotto_format_day (day, now);
  g_autofree char *with_divider = NULL;
  g_autofree char *first_description = NULL;
  SottoMessageRow *first = add_row (fixture, question, NULL);
  SottoMessageRow *second = add_row (fixture, answer, question);

  show_window (fixture);

  gtk_test_accessible_assert_property (first, GTK_ACCESSIBLE_PROPERTY_LABEL, "Bob, 12:14: See you then?");
  first_description = g_strdup_printf ("%s, Sender visible to the relay", day_name);
  gtk_test_accessible_assert_property (first, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, first_description);
  gtk_test_accessible_assert_role (app_test_find_label (GTK_WIDGET (first), day_name),
                                   GTK_ACCESSIBLE_ROLE_HEADING);
  gtk_test_accessible_assert_property (second, GTK_ACCESSIBLE_PROPERTY_LABEL, "You, 12:15: Welcome!");
  gtk_test_accessible_assert_property (second, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Sent, Sender visible to the relay");

  sotto_message_row_set_first_unread (first, TRUE);
  with_divider = g_strdup_printf ("%s, New Messages, Sender visible to the relay", day_name);
  gtk_test_accessible_assert_property (first, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, with_divider);

  /* The focus lands on the row, which carries that label. */
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (second)));
  g_assert_true (gtk_window_get_focus (fixture->window) == GTK_WIDGET (second));
}

/* A reply shows its quote above its text, reactions show under the
 * bubble with their counts and who chose them, and an edit or a
 * deletion for everyone changes the bubble in place. */
static void
test_message_row_changes (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *quoted = g_uuid_string_random ();
  g_autoptr(SottoMessageRecord) record = NULL;
  g_autoptr(SottoMessage) reply = NULL;
  SottoMessageRow *row;
  GtkWidget *reactions;
  GtkWidget *popover;

  record = _sotto_message_record_new (id, SOTTO_MESSAGE_DIRECTION_INCOMING, SOTTO_MESSAGE_KIND_TEXT,
                                      SOTTO_MESSAGE_STATE_DELIVERED, local_milliseconds (2026, 3, 14, 12, 14, 0),
                                      local_milliseconds (2026, 3, 14, 12, 14, 2), "Yes, at noon");
  record->quote_id = g_strdup (quoted);
  record->quote_text = g_strdup ("What about lunch?");
  record->their_reaction = g_strdup ("👍");
  reply = _sotto_message_new_from_record (record);
  row = add_row (fixture, reply, NULL);
  show_window (fixture);

  /* Labels that are showing, above and under the text. */
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "What about lunch?"));
  reactions = app_test_find_label (GTK_WIDGET (row), "👍");
  g_assert_nonnull (reactions);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (reactions), ==, "Bob: 👍");
  g_assert_null (app_test_find_label (GTK_WIDGET (row), "edited"));

  /* The user reacts the same way: one emoji, counted. */
  g_free (record->my_reaction);
  record->my_reaction = g_strdup ("👍");
  _sotto_message_update (reply, record);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (reactions)), ==, "👍 2");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (reactions), ==, "Bob: 👍\nYou: 👍");
  /* A click says who, too. */
  app_test_click (gtk_widget_get_ancestor (reactions, GTK_TYPE_BUTTON));
  app_test_wait_until ((popover = app_test_find_widget (GTK_WIDGET (row), GTK_TYPE_POPOVER)) != NULL);
  g_assert_nonnull (app_test_find_label (popover, "Bob: 👍\nYou: 👍"));
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* Bob edits his text. */
  g_free (record->body);
  record->body = g_strdup ("Yes, at one");
  record->edited = TRUE;
  _sotto_message_update (reply, record);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "Yes, at one"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "edited"));
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, "Bob, 12:14: Yes, at one");

  /* And deletes it for everyone: the text, the quote and the reactions go. */
  g_clear_pointer (&record->body, g_free);
  g_clear_pointer (&record->quote_text, g_free);
  g_clear_pointer (&record->my_reaction, g_free);
  g_clear_pointer (&record->their_reaction, g_free);
  record->edited = FALSE;
  record->deleted = TRUE;
  _sotto_message_update (reply, record);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "This message was deleted"));
  g_assert_null (app_test_find_label (GTK_WIDGET (row), "Yes, at one"));
  g_assert_null (app_test_find_label (GTK_WIDGET (row), "What about lunch?"));
  g_assert_null (app_test_find_label (GTK_WIDGET (row), "👍 2"));
  g_assert_null (app_test_find_label (GTK_WIDGET (row), "edited"));
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, "Bob, 12:14: This message was deleted");
}

/* Times follow the 12- or 24-hour clock the user chose for the desktop. */
static void
test_message_row_clock_format (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GSettings) interface = g_settings_new ("org.gnome.desktop.interface");
  g_autoptr(SottoMessage) message = outgoing_message ("Welcome!", local_milliseconds (2026, 3, 14, 14, 5, 0));
  g_autofree char *copied_time = NULL;
  SottoMessageRow *row;

  g_settings_set_string (interface, "clock-format", "12h");
  row = add_row (fixture, message, NULL);
  show_window (fixture);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "2:05 PM"));
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, "You, 2:05 PM: Welcome!");
  /* Copy Time too. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.copy-time", NULL));
  copied_time = app_test_read_clipboard (GTK_WIDGET (row));
  g_assert_cmpstr (copied_time, ==, "14 March 2026 2:05 PM");

  g_settings_set_string (interface, "clock-format", "24h");
  sotto_message_row_set_message (row, message, "Bob", NULL);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "14:05"));
}

/* The row's property notifies once per change, and the row, released,
 * keeps nothing alive: neither itself nor its message. */
static void
test_message_row_offline (void)
{
  SottoMessage *message = incoming_message ("are you there?",
                                            local_milliseconds (2026, 3, 14, 10, 0, 0),
                                            local_milliseconds (2026, 3, 14, 10, 0, 1));
  SottoMessageRow *row = g_object_ref_sink (SOTTO_MESSAGE_ROW (sotto_message_row_new ()));
  guint notified = 0;
  gboolean offline;

  g_signal_connect_swapped (row, "notify::offline", G_CALLBACK (g_atomic_int_inc), &notified);
  sotto_message_row_set_message (row, message, "Bob", NULL);
  g_assert_true (sotto_message_row_get_message (row) == message);

  sotto_message_row_set_offline (row, FALSE);
  g_assert_cmpuint (notified, ==, 0);
  sotto_message_row_set_offline (row, TRUE);
  sotto_message_row_set_offline (row, TRUE);
  g_object_get (row, "offline", &offline, NULL);
  g_assert_true (offline);
  g_assert_cmpuint (notified, ==, 1);
  g_object_set (row, "offline", FALSE, NULL);
  g_object_get (row, "offline", &offline, NULL);
  g_assert_false (offline);
  g_assert_cmpuint (notified, ==, 2);

  g_assert_finalize_object (row);
  g_assert_finalize_object (message);
}

/* A timer change is an event line, not a bubble with the seconds in it:
 * who set it, and for how long, or that it is off. */
static void
test_message_row_timer_event (Fixture       *fixture,
                              gconstpointer  user_data)
{
  gint64 now = local_milliseconds (2026, 3, 14, 10, 0, 0);
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *other_id = g_uuid_string_random ();
  g_autoptr(SottoMessage) incoming = _sotto_message_new (id, SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                         SOTTO_MESSAGE_KIND_TIMER_CHANGED,
                                                         SOTTO_MESSAGE_STATE_READ, now, now, "300");
  g_autoptr(SottoMessage) outgoing = _sotto_message_new (other_id, SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                                         SOTTO_MESSAGE_KIND_TIMER_CHANGED,
                                                         SOTTO_MESSAGE_STATE_SENT, now, now, "0");
  SottoMessageRow *set_row = add_row (fixture, incoming, NULL);
  SottoMessageRow *off_row = add_row (fixture, outgoing, incoming);

  show_window (fixture);

  g_assert_nonnull (app_test_find_label (GTK_WIDGET (set_row), "Bob set messages to disappear after 5 minutes"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (off_row), "You turned off disappearing messages"));
  g_assert_null (app_test_find_label (GTK_WIDGET (set_row), "300"));
}

/* Whether the relay learned who sent a message shows in its details,
 * the time's tooltip, and in what a screen reader reads after it; a
 * message not sent yet says neither, and a message the relay took
 * sealed says so as soon as it is marked. */
static void
test_message_row_sealed (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(SottoMessage) incoming = incoming_message ("sealed hello", local_milliseconds (2026, 3, 14, 12, 14, 0),
                                                       local_milliseconds (2026, 3, 14, 12, 14, 2));
  g_autoptr(SottoMessage) outgoing = NULL;
  g_autofree char *id = g_uuid_string_random ();
  SottoMessageRow *row;
  SottoMessageRow *reply;
  GtkWidget *time_label;

  _sotto_message_set_sealed (incoming, TRUE);
  outgoing = _sotto_message_new (id, SOTTO_MESSAGE_DIRECTION_OUTGOING, SOTTO_MESSAGE_KIND_TEXT,
                                 SOTTO_MESSAGE_STATE_QUEUED, local_milliseconds (2026, 3, 14, 12, 15, 0),
                                 local_milliseconds (2026, 3, 14, 12, 15, 0), "on its way");
  row = add_row (fixture, incoming, NULL);
  reply = add_row (fixture, outgoing, incoming);
  show_window (fixture);

  time_label = app_test_find_label (GTK_WIDGET (row), "12:14");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (time_label), ==,
                   "Sealed sender: the relay did not learn who sent it");

  time_label = app_test_find_label (GTK_WIDGET (reply), "12:15");
  g_assert_null (gtk_widget_get_tooltip_text (time_label));
  gtk_test_accessible_assert_property (reply, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "Sending");

  /* The relay took it sealed: the store marks it, then it is sent. */
  _sotto_message_set_sealed (outgoing, TRUE);
  _sotto_message_set_state (outgoing, SOTTO_MESSAGE_STATE_SENT);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (time_label), ==,
                   "Sealed sender: the relay did not learn who sent it");
  gtk_test_accessible_assert_property (reply, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Sent, Sealed sender: the relay did not learn who sent it");
}

/* A row the list view reuses for a timer change after a message with
 * reactions shows the event alone, without the reactions. */
static void
test_message_row_timer_after_reactions (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  gint64 now = local_milliseconds (2026, 3, 14, 10, 0, 0);
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *timer_id = g_uuid_string_random ();
  g_autoptr(SottoMessageRecord) record = _sotto_message_record_new (id, SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                                    SOTTO_MESSAGE_KIND_TEXT,
                                                                    SOTTO_MESSAGE_STATE_READ, now, now, "liked");
  g_autoptr(SottoMessage) reacted = NULL;
  g_autoptr(SottoMessage) timer = _sotto_message_new (timer_id, SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                      SOTTO_MESSAGE_KIND_TIMER_CHANGED,
                                                      SOTTO_MESSAGE_STATE_READ, now, now, "30");
  SottoMessageRow *row;

  record->their_reaction = g_strdup ("👍");
  reacted = _sotto_message_new_from_record (record);
  row = add_row (fixture, reacted, NULL);
  show_window (fixture);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "👍"));

  sotto_message_row_set_message (row, timer, "Bob", NULL);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (row), "Bob set messages to disappear after 30 seconds"));
  g_assert_null (app_test_find_label (GTK_WIDGET (row), "👍"));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/message-row/sent-time", Fixture, NULL,
              fixture_set_up, test_message_row_sent_time, fixture_tear_down);
  g_test_add ("/app/message-row/menu", Fixture, NULL,
              fixture_set_up, test_message_row_menu, fixture_tear_down);
  g_test_add ("/app/message-row/day-separators", Fixture, NULL,
              fixture_set_up, test_message_row_day_separators, fixture_tear_down);
  g_test_add ("/app/message-row/grouping", Fixture, NULL,
              fixture_set_up, test_message_row_grouping, fixture_tear_down);
  g_test_add ("/app/message-row/accessible", Fixture, NULL,
              fixture_set_up, test_message_row_accessible, fixture_tear_down);
  g_test_add ("/app/message-row/clock-format", Fixture, NULL,
              fixture_set_up, test_message_row_clock_format, fixture_tear_down);
  g_test_add ("/app/message-row/long-word", Fixture, NULL,
              fixture_set_up, test_message_row_long_word, fixture_tear_down);
  g_test_add ("/app/message-row/timer-event", Fixture, NULL,
              fixture_set_up, test_message_row_timer_event, fixture_tear_down);
  g_test_add ("/app/message-row/timer-after-reactions", Fixture, NULL,
              fixture_set_up, test_message_row_timer_after_reactions, fixture_tear_down);
  g_test_add ("/app/message-row/own-menu", Fixture, NULL,
              fixture_set_up, test_message_row_own_menu, fixture_tear_down);
  g_test_add_func ("/app/message-row/offline", test_message_row_offline);
  g_test_add ("/app/message-row/changes", Fixture, NULL,
              fixture_set_up, test_message_row_changes, fixture_tear_down);
  g_test_add ("/app/message-row/sealed", Fixture, NULL,
              fixture_set_up, test_message_row_sealed, fixture_tear_down);

  return g_test_run ();
}
