/* test-profiles.c: display names, avatars and disappearing messages, in the real window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli on a profile of his
 * own, and a real sotto-relay runs between them (see
 * conversation-fixture.c).  What Bob's sotto-cli reports is the proof of
 * what reached him.
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "sotto-avatar.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-conversation-row.h"
#include "sotto-preferences-window.h"
#include "sotto-profile-editor.h"
#include "sotto-safety-number-dialog.h"
#include "sotto-timer-menu.h"

/* How long a 30-second timer may take to empty the window: the timer
 * itself, then the sweep, on a slow machine under the sanitizers. */
#define VANISH_TIMEOUT_SECONDS 150

/* Adds the events of @type that a `receive --json` printed to @events. */
static void
add_events (GPtrArray  *events,
            const char *out,
            const char *type)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object;

      if (lines[i][0] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      object = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", NULL), type) == 0)
        g_ptr_array_add (events, json_object_ref (object));
    }
}

/* The events of @type that Bob's `receive --json` printed, receiving
 * again until there is one: what Alice's app sends may still be on its
 * way. */
static GPtrArray *
bob_receives (Fixture    *fixture,
              const char *type)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gint64 deadline = g_get_monotonic_time () + APP_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (events->len == 0)
    {
      g_autofree char *out = NULL;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      run_main_loop_for (100);
      out = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
      add_events (events, out, type);
    }

  return events;
}

/* Writes a @width × @height PNG, far larger than an avatar needs. */
static char *
write_picture (const char *directory,
               int         width,
               int         height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (directory, "picture.png", NULL);

  gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);

  return path;
}

static gboolean
is_entry_row_titled (GtkWidget     *widget,
                     gconstpointer  title)
{
  return ADW_IS_ENTRY_ROW (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
label_starts_with (GtkWidget     *widget,
                   gconstpointer  prefix)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix);
}

static SottoConversationList *
conversations (Fixture *fixture)
{
  return sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
}

static gboolean
is_row_for (GtkWidget     *widget,
            gconstpointer  username)
{
  SottoConversation *conversation;

  if (!SOTTO_IS_CONVERSATION_ROW (widget) || !gtk_widget_get_mapped (widget))
    return FALSE;

  conversation = sotto_conversation_row_get_conversation (SOTTO_CONVERSATION_ROW (widget));
  return conversation != NULL
         && g_strcmp0 (sotto_contact_get_username (sotto_conversation_get_contact (conversation)), username) == 0;
}

static void
loaded_profile_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **loaded = user_data;

  *loaded = g_object_ref (result);
}

/* Alice names herself in Preferences: Bob, whom she wrote to, sees the
 * name.  A picture she chooses is scaled before it is saved; a failed
 * save says so and keeps what she typed. */
static void
test_profiles_own_profile (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *picture_dir = g_dir_make_tmp ("sotto-picture-XXXXXX", NULL);
  g_autofree char *picture = write_picture (picture_dir, 2000, 1200);
  g_autoptr(GFile) picture_file = g_file_new_for_path (picture);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(GdkPixbuf) saved_picture = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  SottoMessenger *messenger;
  GtkWindow *preferences;
  GtkWidget *editor;
  GtkWidget *name_row;
  JsonObject *event;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  messenger = sotto_window_get_messenger (fixture->window);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW)) != NULL);
  wait_until ((name_row = app_test_find_matching (GTK_WIDGET (preferences), is_entry_row_titled, "Display Name")) != NULL);
  editor = gtk_widget_get_ancestor (name_row, SOTTO_TYPE_PROFILE_EDITOR);

  /* A name of only spaces is refused, and stays as typed. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "   ");
  g_signal_emit_by_name (name_row, "apply");
  wait_until (app_test_find_matching (editor, label_starts_with, "Enter a display name") != NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "   ");

  gtk_editable_set_text (GTK_EDITABLE (name_row), "Alice Marker 5d1c");
  g_signal_emit_by_name (name_row, "apply");
  wait_until (app_test_find_matching (editor, label_starts_with, "Saved.") != NULL);

  events = bob_receives (fixture, "profile");
  g_assert_cmpuint (events->len, >=, 1);
  event = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpstr (json_object_get_string_member (event, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (event, "name"), ==, "Alice Marker 5d1c");

  /* The chosen picture, 2000 × 1200, is saved at most 512 pixels a side,
   * with the name. */
  sotto_profile_editor_set_avatar_file (SOTTO_PROFILE_EDITOR (editor), picture_file);
  wait_until (gtk_widget_is_sensitive (editor)
              && app_test_find_matching (editor, label_starts_with, "Saved.") != NULL
              && adw_avatar_get_custom_image (ADW_AVATAR (app_test_find_widget (editor, ADW_TYPE_AVATAR))) != NULL);
  sotto_messenger_load_profile_async (messenger, NULL, loaded_profile_cb, &loaded);
  wait_until (loaded != NULL);
  g_assert_true (sotto_messenger_load_profile_finish (messenger, loaded, &name, &avatar, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "Alice Marker 5d1c");
  g_assert_nonnull (avatar);
  g_assert_cmpuint (g_bytes_get_size (avatar), <=, SOTTO_PROFILE_MAX_AVATAR);
  stream = g_memory_input_stream_new_from_bytes (avatar);
  saved_picture = gdk_pixbuf_new_from_stream (stream, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (saved_picture), ==, SOTTO_PROFILE_EDITOR_AVATAR_SIZE);
  g_assert_cmpint (gdk_pixbuf_get_height (saved_picture), ==, SOTTO_PROFILE_EDITOR_AVATAR_SIZE * 1200 / 2000);

  /* With the relay gone the save fails, says why, and the name stays. */
  test_relay_kill (fixture->relay);
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Alice Unsaved");
  g_signal_emit_by_name (name_row, "apply");
  wait_until (app_test_find_matching (editor, label_starts_with, "Your profile was not saved:") != NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Alice Unsaved");
  test_relay_restart (fixture->relay);

  gtk_window_destroy (preferences);
  g_unlink (picture);
  g_rmdir (picture_dir);
}

/* A picture chosen before any display name is saved, with the username
 * (what contacts see without a name) as the name, which the name row
 * then shows: nothing the user chose is dropped. */
static void
test_profiles_avatar_first (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *picture_dir = g_dir_make_tmp ("sotto-picture-XXXXXX", NULL);
  g_autofree char *picture = write_picture (picture_dir, 300, 300);
  g_autoptr(GFile) picture_file = g_file_new_for_path (picture);
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  SottoMessenger *messenger;
  GtkWindow *preferences;
  GtkWidget *editor;
  GtkWidget *name_row;

  start_alice (fixture);
  messenger = sotto_window_get_messenger (fixture->window);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW)) != NULL);
  wait_until ((name_row = app_test_find_matching (GTK_WIDGET (preferences), is_entry_row_titled, "Display Name")) != NULL);
  editor = gtk_widget_get_ancestor (name_row, SOTTO_TYPE_PROFILE_EDITOR);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "");

  sotto_profile_editor_set_avatar_file (SOTTO_PROFILE_EDITOR (editor), picture_file);
  wait_until (app_test_find_matching (editor, label_starts_with, "Saved.") != NULL
              || app_test_find_matching (editor, label_starts_with, "Enter a display name") != NULL);
  g_assert_nonnull (app_test_find_matching (editor, label_starts_with, "Saved."));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "alice");

  sotto_messenger_load_profile_async (messenger, NULL, loaded_profile_cb, &loaded);
  wait_until (loaded != NULL);
  g_assert_true (sotto_messenger_load_profile_finish (messenger, loaded, &name, &avatar, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "alice");
  g_assert_nonnull (avatar);

  gtk_window_destroy (preferences);
  g_unlink (picture);
  g_rmdir (picture_dir);
}

/* Bob names himself and gives a picture: Alice's list, header and
 * notification show the name with his username beside it, and the list
 * his picture; a new name shows at once, without a restart. */
static void
test_profiles_contact_profile (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *picture = write_picture (fixture->bob_profile, 300, 300);
  SottoConversation *bob = NULL;
  SottoContact *contact;
  GtkWidget *root;
  GtkWidget *row;
  GtkWindow *dialog;
  AdwWindowTitle *title;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));

  /* Alice is a contact of Bob's now: his profile key reaches her with
   * his message. */
  g_free (run_cli (fixture, "profile", "--name", "Robert Marker", "--avatar", picture, NULL));
  g_free (run_cli (fixture, "send", "alice", "hi, it is Robert", NULL));
  bob = sotto_conversation_list_find_by_username (conversations (fixture), "bob");
  contact = sotto_conversation_get_contact (bob);
  wait_until (g_strcmp0 (sotto_contact_get_profile_name (contact), "Robert Marker") == 0);

  /* The list: name, username beside it, picture. */
  wait_until ((row = app_test_find_matching (root, is_row_for, "bob")) != NULL);
  wait_until (app_test_find_label (row, "Robert Marker") != NULL);
  g_assert_nonnull (app_test_find_label (row, "bob"));
  wait_until (sotto_avatar_get_image (SOTTO_AVATAR (app_test_find_widget (row, SOTTO_TYPE_AVATAR))) != NULL);

  /* The notification of his next message, sent while the window is
   * not active, showing by default the name only. */
  g_free (run_cli (fixture, "send", "alice", "Robert again", NULL));
  wait_until (app_test_find_label (root, "Robert again") != NULL);
  wait_until (has_notification (fixture, "Robert Marker (bob): New message"));

  /* The conversation's header. */
  title = ADW_WINDOW_TITLE (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), ADW_TYPE_WINDOW_TITLE));
  wait_until (g_strcmp0 (adw_window_title_get_title (title), "Robert Marker") == 0);
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "bob · Not verified");

  /* Renamed, without a picture: the window follows while it is open. */
  g_free (run_cli (fixture, "profile", "--name", "Robert Renamed", NULL));
  wait_until (g_strcmp0 (adw_window_title_get_title (title), "Robert Renamed") == 0);
  wait_until (app_test_find_label (row, "Robert Renamed") != NULL);
  wait_until (sotto_avatar_get_image (SOTTO_AVATAR (app_test_find_widget (row, SOTTO_TYPE_AVATAR))) == NULL);

  /* The safety-number dialog names him with his username too. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (conversation_view (fixture)),
                                             "conversation.show-safety-number", NULL));
  wait_until ((dialog = find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG)) != NULL);
  wait_until (app_test_find_matching (GTK_WIDGET (dialog), label_starts_with,
                                      "If the numbers on your device and on Robert Renamed (bob)’s device") != NULL);
  gtk_window_destroy (dialog);
}

/* Alice sets a timer from the conversation's menu: the header shows it,
 * her timeline says so, and Bob's sotto-cli gets the timer. */
static void
test_profiles_timer_menu (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GPtrArray) events = NULL;
  GtkWidget *menu;
  GtkWidget *view;
  JsonObject *event;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  view = GTK_WIDGET (conversation_view (fixture));
  menu = app_test_find_widget (view, SOTTO_TYPE_TIMER_MENU);
  g_assert_null (app_test_find_label (menu, "5 minutes"));

  /* As the "5 Minutes" item of the "Disappearing Messages" submenu does. */
  g_assert_true (gtk_widget_activate_action (menu, "timer.set", "u", 300));
  wait_until (sotto_conversation_get_timer (open_conversation (fixture)) == 300);
  wait_until (app_test_find_label (menu, "5 minutes") != NULL);
  wait_until (app_test_find_label (view, "You set messages to disappear after 5 minutes") != NULL);

  events = bob_receives (fixture, "timer");
  g_assert_cmpuint (events->len, ==, 1);
  event = g_ptr_array_index (events, 0);
  g_assert_cmpstr (json_object_get_string_member (event, "from"), ==, "alice");
  g_assert_cmpint (json_object_get_int_member (event, "seconds"), ==, 300);

  /* Off again. */
  g_assert_true (gtk_widget_activate_action (menu, "timer.set", "u", 0));
  wait_until (sotto_conversation_get_timer (open_conversation (fixture)) == 0);
  wait_until (app_test_find_label (menu, "5 minutes") == NULL);
  wait_until (app_test_find_label (view, "You turned off disappearing messages") != NULL);
  g_ptr_array_unref (g_steal_pointer (&events));
  events = bob_receives (fixture, "timer");
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (events, 0), "seconds"), ==, 0);
}

/* Bob sets 30 seconds; his next message, read in Alice's open window,
 * vanishes from it 30 seconds later, without a restart. */
static void
test_profiles_vanish (Fixture       *fixture,
                      gconstpointer  user_data)
{
  GtkWidget *view;
  gint64 vanish_deadline;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  view = GTK_WIDGET (conversation_view (fixture));

  g_free (run_cli (fixture, "timer", "alice", "30", NULL));
  wait_until (app_test_find_label (view, "bob set messages to disappear after 30 seconds") != NULL);
  wait_until (app_test_find_label (app_test_find_widget (view, SOTTO_TYPE_TIMER_MENU), "30 seconds") != NULL);

  g_free (run_cli (fixture, "send", "alice", "this one disappears", NULL));
  activate_alice (fixture);
  wait_until (app_test_find_label (view, "this one disappears") != NULL);
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (open_conversation (fixture))), ==, 3);

  vanish_deadline = g_get_monotonic_time () + VANISH_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  while (app_test_find_label (view, "this one disappears") != NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, vanish_deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  /* What came before the timer stays. */
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (open_conversation (fixture))), ==, 2);
  wait_until (app_test_find_label (view, "hello bob") != NULL);
}

static void
image_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* A contact chooses their avatar's bytes, and a small PNG may declare a
 * huge picture: the avatar is decoded no larger than it is ever shown,
 * whatever the picture says it is. */
static void
test_profiles_avatar_bounded (void)
{
  g_autofree char *directory = g_dir_make_tmp ("sotto-avatar-XXXXXX", NULL);
  g_autofree char *path = write_picture (directory, 4000, 3000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  char *contents;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  png = g_bytes_new_take (contents, length);
  g_assert_cmpuint (length, <=, SOTTO_PROFILE_MAX_AVATAR);

  sotto_avatar_load_image_async (png, NULL, image_loaded_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  texture = sotto_avatar_load_image_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, SOTTO_AVATAR_MAX_SIDE);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, SOTTO_AVATAR_MAX_SIDE * 3 / 4);

  g_unlink (path);
  g_rmdir (directory);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/profiles/own-profile", Fixture, NULL,
              fixture_set_up, test_profiles_own_profile, fixture_tear_down);
  g_test_add ("/app/profiles/avatar-first", Fixture, NULL,
              fixture_set_up, test_profiles_avatar_first, fixture_tear_down);
  g_test_add ("/app/profiles/contact-profile", Fixture, NULL,
              fixture_set_up, test_profiles_contact_profile, fixture_tear_down);
  g_test_add ("/app/profiles/timer-menu", Fixture, NULL,
              fixture_set_up, test_profiles_timer_menu, fixture_tear_down);
  g_test_add ("/app/profiles/vanish", Fixture, NULL,
              fixture_set_up, test_profiles_vanish, fixture_tear_down);
  g_test_add_func ("/app/profiles/avatar-bounded", test_profiles_avatar_bounded);

  return g_test_run ();
}
