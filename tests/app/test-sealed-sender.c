/* test-sealed-sender.c: sealed sender from the app's welcome page on
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli, and a real
 * sotto-relay with a sealed sender key runs between them (see
 * conversation-fixture.c).  Alice registers on the welcome page without
 * a trust root given: her app pins the relay's, and once she holds Bob's
 * profile key her messages reach the relay with no sender, which the
 * relay's own database row shows, and each message's details say which
 * way it went, a message to a group too.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-group-list.h"
#include "sotto-group-view.h"
#include "sotto-message-row.h"

#define SEALED_NOTE "Sealed sender: the relay did not learn who sent it"
#define VISIBLE_NOTE "Sender visible to the relay"

/* Gives the relay a sealed sender key under a new root, made with its
 * own tool, and starts it again on its port; returns the root's public
 * key, as the operator would give it. */
static char *
issue_sealed_key (Fixture *fixture)
{
  g_autofree char *public_key = NULL;
  g_autofree char *keys = g_dir_make_tmp ("sotto-sealed-keys-XXXXXX", NULL);
  g_autofree char *root = g_build_filename (keys, "root", NULL);
  g_autofree char *key = g_build_filename (fixture->relay_data, "sealed-sender.key", NULL);
  const char *new_root[] = { "sealed-sender", "new-root", root, NULL };
  const char *issue[] = { "sealed-sender", "issue", root, "1", key, NULL };

  g_assert_cmpint (test_relay_run (new_root, &public_key, NULL), ==, 0);
  g_assert_cmpint (test_relay_run (issue, NULL, NULL), ==, 0);
  g_assert_cmpint (g_remove (root), ==, 0);
  g_assert_cmpint (g_rmdir (keys), ==, 0);

  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_restart (fixture->relay);

  return g_strdup (g_strstrip (public_key));
}

static gboolean
is_time_label (GtkWidget     *widget,
               gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "meta")
         && gtk_widget_has_css_class (widget, "numeric");
}

/* The row that shows @text, or NULL while there is none. */
static SottoMessageRow *
row_showing (Fixture    *fixture,
             const char *text)
{
  GtkWidget *label = app_test_find_label (GTK_WIDGET (fixture->window), text);

  return label != NULL ? SOTTO_MESSAGE_ROW (gtk_widget_get_ancestor (label, SOTTO_TYPE_MESSAGE_ROW)) : NULL;
}

/* What the details of the message @text (its time's tooltip) say of
 * sealing: their last line.  A line before it tells when the message was
 * received, if that was in another minute than it was sent, which a
 * loaded machine can make it. */
static const char *
details_of (Fixture    *fixture,
            const char *text)
{
  SottoMessageRow *row = row_showing (fixture, text);
  GtkWidget *time_label = row != NULL ? app_test_find_matching (GTK_WIDGET (row), is_time_label, NULL) : NULL;
  const char *details = time_label != NULL ? gtk_widget_get_tooltip_text (time_label) : NULL;
  const char *last_line = details != NULL ? strrchr (details, '\n') : NULL;

  return last_line != NULL ? last_line + 1 : details;
}

/* How many envelopes the relay's database holds for @username, and of
 * them how many name their sender or are not sealed (type 6). */
static void
count_queued (Fixture    *fixture,
              const char *username,
              int        *queued,
              int        *identified)
{
  g_autofree char *path = g_build_filename (fixture->relay_data, "relay.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT COUNT(*), COALESCE(SUM(type != 6 OR source != '' OR source_device != 0), 0)"
                                       " FROM queue WHERE account = (SELECT uuid FROM accounts WHERE username = ?1)",
                                       -1, &statement, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (statement, 1, username, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  *queued = sqlite3_column_int (statement, 0);
  *identified = sqlite3_column_int (statement, 1);
  sqlite3_finalize (statement);
  sqlite3_close (db);
}

static SottoMessenger *
alice_messenger (Fixture *fixture)
{
  return sotto_session_get_messenger (sotto_window_get_session (fixture->window));
}

/* How many accounts the relay holds under @username. */
static int
count_accounts (Fixture    *fixture,
                const char *username)
{
  g_autofree char *path = g_build_filename (fixture->relay_data, "relay.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  int count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT COUNT(*) FROM accounts WHERE username = ?1", -1, &statement, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (statement, 1, username, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  count = sqlite3_column_int (statement, 0);
  sqlite3_finalize (statement);
  sqlite3_close (db);

  return count;
}

static void
test_sealed_sender_welcome (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *marker = g_strdup_printf ("sealed for bob %08x", g_random_int ());
  g_autofree char *received = NULL;
  g_autofree char *description = NULL;
  SottoMessageRow *row;
  g_autofree char *root = NULL;
  g_autofree char *pinned = NULL;
  int queued;
  int identified;

  root = issue_sealed_key (fixture);
  start_alice (fixture);

  /* No root was given: the app pins the one the relay publishes. */
  wait_until ((pinned = sotto_messenger_dup_trust_root (alice_messenger (fixture))) != NULL);
  g_assert_cmpstr (pinned, ==, root);

  /* Bob writes first: he holds no key of Alice's, so his message names
   * him, and its details say so. */
  g_free (run_cli (fixture, "profile", "--name", "Bob", NULL));
  g_free (run_cli (fixture, "send", "alice", "hi alice", NULL));
  open_conversation_with_bob (fixture);
  wait_until (details_of (fixture, "hi alice") != NULL);
  g_assert_cmpstr (details_of (fixture, "hi alice"), ==, VISIBLE_NOTE);

  /* Alice now holds Bob's profile key: her answer goes sealed, which
   * its details say once the relay has it. */
  send_from_composer (fixture, marker);
  wait_until (last_message_is (fixture, marker, SOTTO_MESSAGE_STATE_SENT));
  wait_until (g_strcmp0 (details_of (fixture, marker), SEALED_NOTE) == 0);
  row = row_showing (fixture, marker);
  description = g_strdup_printf ("%s, %s", "Sent", SEALED_NOTE);
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description);

  /* The relay's rows for Bob (the answer and Alice's receipt for his
   * message) name no sender. */
  count_queued (fixture, "bob", &queued, &identified);
  g_assert_cmpint (queued, >=, 1);
  g_assert_cmpint (identified, ==, 0);

  /* Bob still sees who wrote. */
  received = run_cli (fixture, "receive", "--timeout", "2", "--json", NULL);
  g_assert_nonnull (strstr (received, marker));
  g_assert_nonnull (strstr (received, "\"from\":\"alice\""));
}

/* A message Alice writes to a group whose members' profile keys she
 * holds goes sealed, which its details say once the relay took it for
 * every member, with the row already in the timeline. */
static void
test_sealed_sender_group (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *marker = g_strdup_printf ("sealed for the group %08x", g_random_int ());
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *created = NULL;
  g_autoptr(GAsyncResult) accepted = NULL;
  SottoGroupList *groups;
  GtkWidget *view;
  const char *group;

  root = issue_sealed_key (fixture);
  start_alice (fixture);
  wait_until ((pinned = sotto_messenger_dup_trust_root (alice_messenger (fixture))) != NULL);

  /* Bob's message brings Alice his profile key. */
  g_free (run_cli (fixture, "profile", "--name", "Bob", NULL));
  g_free (run_cli (fixture, "send", "alice", "hi alice", NULL));
  open_conversation_with_bob (fixture);
  wait_until (details_of (fixture, "hi alice") != NULL);

  created = run_cli (fixture, "--json", "group", "create", "Climbers", "alice", NULL);
  g_assert_true (json_parser_load_from_data (parser, created, -1, &error));
  g_assert_no_error (error);
  group = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "group");
  groups = sotto_messenger_get_groups (alice_messenger (fixture));
  wait_until (sotto_group_list_find (groups, group) != NULL);
  /* Bob, whose message Alice has not accepted, makes a group request
   * of it, to which Alice sends nothing until she accepts it. */
  sotto_group_list_accept_async (groups, sotto_group_list_find (groups, group), NULL, page_test_result_cb, &accepted);
  wait_until (accepted != NULL);
  g_assert_true (sotto_group_list_answer_finish (groups, accepted, &error));
  g_assert_no_error (error);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group", g_variant_new_string (group));
  wait_until ((view = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_VIEW)) != NULL);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (app_test_find_widget (view, GTK_TYPE_TEXT_VIEW))),
                            marker, -1);
  g_assert_true (gtk_widget_activate_action (view, "group.send", NULL));
  wait_until (g_strcmp0 (details_of (fixture, marker), SEALED_NOTE) == 0);
}

/* A label below @root that shows @text, mapped. */
static gboolean
shows_text (GtkWidget     *widget,
            gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

/* The operator gives the root: the welcome page's optional field takes
 * it, refusing what is not a key before anything is made, and the app
 * pins it. */
static void
test_sealed_sender_operator_root (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autofree char *root = issue_sealed_key (fixture);
  g_autofree char *pinned = NULL;
  GtkWidget *window;

  launch_alice (fixture);
  window = GTK_WIDGET (fixture->window);
  g_assert_true (set_row_text (window, "Passphrase", passphrase));
  g_assert_true (set_row_text (window, "Confirm Passphrase", passphrase));
  g_assert_true (gtk_widget_activate_action (window, "win.unlock", NULL));
  wait_until (page_is (fixture, "welcome"));
  g_assert_true (set_row_text (window, "Relay Address", fixture->relay->base_url));
  g_assert_true (set_row_text (window, "Username", "alice"));

  g_assert_true (set_row_text (window, "Sealed Sender Trust Root (Optional)", "not a key"));
  g_assert_true (gtk_widget_activate_action (window, "win.register", NULL));
  wait_until (app_test_find_matching (window, shows_text, "The sealed sender trust root is a key") != NULL);
  run_main_loop_for (200);
  g_assert_true (page_is (fixture, "welcome"));
  g_assert_cmpint (count_accounts (fixture, "alice"), ==, 0);

  g_assert_true (set_row_text (window, "Sealed Sender Trust Root (Optional)", root));
  g_assert_true (gtk_widget_activate_action (window, "win.register", NULL));
  wait_until (page_is (fixture, "chats"));
  wait_until ((pinned = sotto_messenger_dup_trust_root (alice_messenger (fixture))) != NULL);
  g_assert_cmpstr (pinned, ==, root);
  g_assert_null (sotto_messenger_get_trust_root_conflict (alice_messenger (fixture)));
}

/* A button below @root labelled @data (with its mnemonic). */
static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && !GTK_IS_CHECK_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

/* A label below @root that shows the key @data, with or without the
 * spaces that group it. */
static gboolean
shows_key (GtkWidget     *widget,
           gconstpointer  data)
{
  g_autoptr(GString) text = NULL;

  if (!GTK_IS_LABEL (widget))
    return FALSE;

  text = g_string_new (gtk_label_get_label (GTK_LABEL (widget)));
  g_string_replace (text, " ", "", 0);
  return g_str_equal (text->str, data);
}

/* The trust root dialog, while one is open. */
static AdwMessageDialog *
find_root_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data)
          && g_strcmp0 (adw_message_dialog_get_heading (l->data), "Pin the Relay’s New Trust Root?") == 0)
        return l->data;
    }

  return NULL;
}

#define CONFLICT_NOTE "The relay presents a new sealed sender trust root"

/* The relay's operator rotates to a new root: the app takes nothing by
 * itself, shows a banner, and its Review opens a dialog with both keys,
 * in which Keep changes nothing and Pin works only once the user ticked
 * that they compared the key; pinned, the banner goes. */
static void
test_sealed_sender_root_conflict (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autofree char *root = issue_sealed_key (fixture);
  g_autofree char *new_root = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *pinned = NULL;
  GtkWidget *window;
  AdwMessageDialog *dialog;
  GtkWidget *check;

  start_alice (fixture);
  window = GTK_WIDGET (fixture->window);
  wait_until ((pinned = sotto_messenger_dup_trust_root (alice_messenger (fixture))) != NULL);
  g_assert_cmpstr (pinned, ==, root);
  g_clear_pointer (&pinned, g_free);
  g_assert_null (app_test_find_matching (window, shows_text, CONFLICT_NOTE));

  /* The operator's tool does not overwrite a key file. */
  key_file = g_build_filename (fixture->relay_data, "sealed-sender.key", NULL);
  g_assert_cmpint (g_remove (key_file), ==, 0);
  new_root = issue_sealed_key (fixture);
  /* As the messenger asks at its next start. */
  sotto_messenger_check_trust_root_async (alice_messenger (fixture), NULL, NULL, NULL);
  wait_until (app_test_find_matching (window, shows_text, CONFLICT_NOTE) != NULL);
  g_assert_cmpstr (sotto_messenger_get_trust_root_conflict (alice_messenger (fixture)), ==, new_root);

  /* Review shows both keys; Keep takes nothing. */
  g_assert_true (gtk_widget_activate (app_test_find_matching (window, is_button_labelled, "_Review…")));
  wait_until ((dialog = find_root_dialog ()) != NULL);
  g_assert_nonnull (app_test_find_matching (GTK_WIDGET (dialog), shows_key, root));
  g_assert_nonnull (app_test_find_matching (GTK_WIDGET (dialog), shows_key, new_root));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "pin"));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_close (GTK_WINDOW (dialog));
  wait_until (find_root_dialog () == NULL);
  run_main_loop_for (200);
  pinned = sotto_messenger_dup_trust_root (alice_messenger (fixture));
  g_assert_cmpstr (pinned, ==, root);
  g_clear_pointer (&pinned, g_free);
  g_assert_nonnull (app_test_find_matching (window, shows_text, CONFLICT_NOTE));

  /* Pin, once the user says they compared the key. */
  g_assert_true (gtk_widget_activate (app_test_find_matching (window, is_button_labelled, "_Review…")));
  wait_until ((dialog = find_root_dialog ()) != NULL);
  check = app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_CHECK_BUTTON);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "pin"));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "pin"));
  adw_message_dialog_response (dialog, "pin");
  gtk_window_close (GTK_WINDOW (dialog));
  wait_until ((pinned = sotto_messenger_dup_trust_root (alice_messenger (fixture))) != NULL
              && g_str_equal (pinned, new_root));
  wait_until (sotto_messenger_get_trust_root_conflict (alice_messenger (fixture)) == NULL);
  wait_until (app_test_find_matching (window, shows_text, CONFLICT_NOTE) == NULL);
  wait_until (find_root_dialog () == NULL);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/sealed-sender/welcome", Fixture, NULL,
              fixture_set_up, test_sealed_sender_welcome, fixture_tear_down);
  g_test_add ("/app/sealed-sender/operator-root", Fixture, NULL,
              fixture_set_up, test_sealed_sender_operator_root, fixture_tear_down);
  g_test_add ("/app/sealed-sender/root-conflict", Fixture, NULL,
              fixture_set_up, test_sealed_sender_root_conflict, fixture_tear_down);
  g_test_add ("/app/sealed-sender/group", Fixture, NULL,
              fixture_set_up, test_sealed_sender_group, fixture_tear_down);

  return g_test_run ();
}
