/* conversation-fixture.c: Alice in the app, Bob with sotto-cli, a relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the test process: the application with its window, driven
 * through the widgets and actions a person uses.  Bob is sotto-cli on a
 * profile of his own.  Between them runs a real sotto-relay.
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-conversation-private.h"
#include "sotto-message-row.h"
#include "sotto-records-private.h"
#include "sotto-store-private.h"

const char passphrase[] = "correct horse battery staple";
const char bob_passphrase[] = "bob's own passphrase";

/* Runs sotto-cli on @profile with the NULL-terminated arguments. */
static char *
run_cli_valist (const char *profile,
                const char *first_arg,
                va_list     args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *standard_output = NULL;

  g_ptr_array_add (argv, (char *) SOTTO_CLI_PATH);
  g_ptr_array_add (argv, (char *) "--profile");
  g_ptr_array_add (argv, (char *) profile);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "SOTTO_PASSPHRASE", bob_passphrase, TRUE);
  cli = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8 (cli, NULL, NULL, &standard_output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (cli));

  return g_steal_pointer (&standard_output);
}

/* Bob does something with sotto-cli. */
char *
run_cli (Fixture    *fixture,
         const char *first_arg,
         ...)
{
  char *standard_output;
  va_list args;

  va_start (args, first_arg);
  standard_output = run_cli_valist (fixture->bob_profile, first_arg, args);
  va_end (args);

  return standard_output;
}

/* Someone else, on a profile of their own, does something. */
char *
run_cli_as (const char *profile,
            const char *first_arg,
            ...)
{
  char *standard_output;
  va_list args;

  va_start (args, first_arg);
  standard_output = run_cli_valist (profile, first_arg, args);
  va_end (args);

  return standard_output;
}

/* The states that the sender on @profile sees for their messages to
 * Alice, by text, once they received whatever receipts waited for them. */
GHashTable *
peer_states (const char *profile)
{
  g_autoptr(GHashTable) states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *history = NULL;
  g_auto(GStrv) lines = NULL;

  g_free (run_cli_as (profile, "receive", "--timeout", "1", NULL));
  history = run_cli_as (profile, "history", "alice", "--json", NULL);
  lines = g_strsplit (history, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object;
      const char *text;

      if (lines[i][0] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      object = json_node_get_object (json_parser_get_root (parser));
      text = json_object_get_string_member_with_default (object, "text", NULL);
      if (text != NULL)
        g_hash_table_insert (states, g_strdup (text), g_strdup (json_object_get_string_member (object, "state")));
    }

  return g_steal_pointer (&states);
}

/* The state that the sender on @profile sees for their message @text to
 * Alice, once they received whatever receipts waited for them. */
char *
peer_sees_state (const char *profile,
                 const char *text)
{
  g_autoptr(GHashTable) states = peer_states (profile);
  const char *state = g_hash_table_lookup (states, text);

  g_assert_nonnull (state);

  return g_strdup (state);
}

static gboolean
is_button_for_action (GtkWidget     *widget,
                      gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

/* Finds the mapped button below @root that activates @action_name. */
GtkWidget *
find_button (GtkWidget  *root,
             const char *action_name)
{
  return app_test_find_matching (root, is_button_for_action, action_name);
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

/* Finds the mapped button below @root labelled @label. */
GtkWidget *
find_labelled_button (GtkWidget  *root,
                      const char *label)
{
  return app_test_find_matching (root, is_button_labelled, label);
}

static gboolean
is_entry_row_titled (GtkWidget     *widget,
                     gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget) && GTK_IS_EDITABLE (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* Types @text into the mapped entry row titled @title. */
gboolean
set_row_text (GtkWidget  *root,
              const char *title,
              const char *text)
{
  GtkWidget *row = app_test_find_matching (root, is_entry_row_titled, title);

  if (row == NULL)
    return FALSE;

  gtk_editable_set_text (GTK_EDITABLE (row), text);
  return TRUE;
}

GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

gboolean
page_is (Fixture    *fixture,
         const char *name)
{
  GtkWidget *overlay = adw_application_window_get_content (ADW_APPLICATION_WINDOW (fixture->window));
  /* The pages, below the window's banner. */
  GtkWidget *content = adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (overlay));
  GtkStack *stack = GTK_STACK (gtk_widget_get_last_child (content));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), name) == 0;
}

SottoConversationView *
conversation_view (Fixture *fixture)
{
  return SOTTO_CONVERSATION_VIEW (app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_CONVERSATION_VIEW));
}

/* Whether the newest message of the open conversation is @body and has
 * reached @state. */
gboolean
last_message_is (Fixture           *fixture,
                 const char        *body,
                 SottoMessageState  state)
{
  SottoConversation *conversation = sotto_conversation_view_get_conversation (conversation_view (fixture));
  GListModel *messages = sotto_conversation_get_messages (conversation);
  guint n = g_list_model_get_n_items (messages);
  g_autoptr(SottoMessage) message = NULL;

  if (n == 0)
    return FALSE;

  message = g_list_model_get_item (messages, n - 1);
  return sotto_message_get_loaded (message)
         && g_strcmp0 (sotto_message_get_body (message), body) == 0
         && sotto_message_get_state (message) >= state;
}

/* Lets the main loop run for a while, for checks that nothing happens. */
void
run_main_loop_for (guint milliseconds)
{
  gint64 end = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Records the notifications the app sends to the notification server.
 * Runs on GDBus's worker thread for every message of the connection. */
static GDBusMessage *
record_notification_cb (GDBusConnection *connection,
                        GDBusMessage    *message,
                        gboolean         incoming,
                        gpointer         user_data)
{
  Fixture *fixture = user_data;
  const char *summary = NULL;
  const char *body = NULL;
  GVariant *body_variant;

  if (incoming || g_strcmp0 (g_dbus_message_get_member (message), "Notify") != 0
      || g_strcmp0 (g_dbus_message_get_interface (message), "org.freedesktop.Notifications") != 0)
    return message;

  body_variant = g_dbus_message_get_body (message);
  g_variant_get_child (body_variant, 3, "&s", &summary);
  g_variant_get_child (body_variant, 4, "&s", &body);

  g_mutex_lock (&fixture->lock);
  g_ptr_array_add (fixture->notifications, g_strdup_printf ("%s: %s", summary, body));
  g_mutex_unlock (&fixture->lock);

  return message;
}

gboolean
has_notification (Fixture    *fixture,
                  const char *text)
{
  gboolean found = FALSE;

  g_mutex_lock (&fixture->lock);
  for (guint i = 0; i < fixture->notifications->len && !found; i++)
    found = g_str_equal (g_ptr_array_index (fixture->notifications, i), text);
  g_mutex_unlock (&fixture->lock);

  return found;
}

static gboolean
bus_name_has_owner (const char *name)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);

  return has_owner;
}

void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  /* A real notification server on the test's private bus. */
  g_mutex_init (&fixture->lock);
  fixture->notifications = g_ptr_array_new_with_free_func (g_free);
  fixture->notification_daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                                   &error, "dunst", NULL);
  g_assert_no_error (error);
  wait_until (bus_name_has_owner ("org.freedesktop.Notifications"));

  fixture->relay_data = test_relay_make_data_dir ();
  fixture->relay = test_relay_start (fixture->relay_data, test_relay_relaxed_conf, NULL);
  fixture->alice_profile = page_test_make_profile ();
  fixture->bob_profile = page_test_make_profile ();

  g_free (run_cli (fixture, "register", "--relay", fixture->relay->base_url, "--username", "bob", NULL));
}

void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  if (fixture->window != NULL)
    gtk_window_destroy (GTK_WINDOW (fixture->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->app);

  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  g_subprocess_force_exit (fixture->notification_daemon);
  g_subprocess_wait (fixture->notification_daemon, NULL, NULL);
  g_clear_object (&fixture->notification_daemon);
  g_clear_pointer (&fixture->notifications, g_ptr_array_unref);
  g_mutex_clear (&fixture->lock);
  g_free (fixture->relay_data);
  g_free (fixture->alice_profile);
  g_free (fixture->bob_profile);
}

/* Starts the app on Alice's profile, as launching it does, and waits
 * for its window to ask for a passphrase. */
void
launch_alice (Fixture *fixture)
{
  g_autoptr(GFile) profile = g_file_new_for_path (fixture->alice_profile);
  g_autoptr(GError) error = NULL;

  fixture->app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (fixture->app, profile);
  g_application_register (G_APPLICATION (fixture->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (fixture->app));

  g_dbus_connection_add_filter (g_application_get_dbus_connection (G_APPLICATION (fixture->app)),
                                record_notification_cb, fixture, NULL);

  fixture->window = SOTTO_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  g_assert_true (SOTTO_IS_WINDOW (fixture->window));
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));
  wait_until (page_is (fixture, "passphrase"));
}

/* Onboarding as a newcomer does it: no keyring in the test session, so
 * a passphrase (typed twice), then a username and the relay. */
void
start_alice (Fixture *fixture)
{
  g_autoptr(GFile) profile = g_file_new_for_path (fixture->alice_profile);
  GtkWidget *root;

  launch_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  g_assert_true (set_row_text (root, "Passphrase", passphrase));
  g_assert_true (set_row_text (root, "Confirm Passphrase", "something else"));
  /* Two different passphrases unlock nothing and create nothing. */
  gtk_widget_activate_action (root, "win.unlock", NULL);
  run_main_loop_for (200);
  g_assert_true (page_is (fixture, "passphrase"));
  g_assert_false (sotto_store_exists (profile));
  g_assert_true (set_row_text (root, "Confirm Passphrase", passphrase));
  g_assert_true (gtk_widget_activate_action (root, "win.unlock", NULL));

  wait_until (page_is (fixture, "welcome"));
  g_assert_true (set_row_text (root, "Relay Address", fixture->relay->base_url));
  g_assert_true (set_row_text (root, "Username", "alice"));
  g_assert_true (gtk_widget_activate_action (root, "win.register", NULL));

  wait_until (page_is (fixture, "chats"));
  g_assert_nonnull (app_test_find_label (root, "No conversations yet"));
}

/* Starts a conversation with @username from the New Conversation
 * dialog, as the user does, and waits until it is open. */
void
open_conversation_with (Fixture    *fixture,
                        const char *username)
{
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.new-conversation", NULL));
  wait_until ((dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG))) != NULL);

  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), username);
  adw_message_dialog_response (dialog, "start");
  gtk_window_close (GTK_WINDOW (dialog));

  wait_until (conversation_view (fixture) != NULL
              && sotto_conversation_view_get_conversation (conversation_view (fixture)) != NULL
              && g_strcmp0 (sotto_contact_get_username (sotto_conversation_get_contact (open_conversation (fixture))),
                            username) == 0);
}

void
open_conversation_with_bob (Fixture *fixture)
{
  open_conversation_with (fixture, "bob");
}

static void
verified_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *verified = user_data;
  g_autoptr(GError) error = NULL;

  *verified = sotto_contact_verify_finish (SOTTO_CONTACT (object), result, &error);
  g_assert_no_error (error);
}

/* Verifies @contact with the safety number @digits, as the user does
 * after comparing it. */
void
verify_contact (SottoContact *contact,
                const char   *digits)
{
  gboolean verified = FALSE;

  sotto_contact_verify_async (contact, digits, NULL, verified_cb, &verified);
  wait_until (verified);
}

void
send_from_composer (Fixture    *fixture,
                    const char *text)
{
  GtkWidget *view = GTK_WIDGET (conversation_view (fixture));
  GtkTextView *composer = GTK_TEXT_VIEW (app_test_find_widget (view, GTK_TYPE_TEXT_VIEW));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer), text, -1);
  g_assert_true (gtk_widget_activate_action (view, "conversation.send", NULL));
}

char *
composer_text (Fixture *fixture)
{
  GtkTextView *composer = GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (composer);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

SottoConversation *
open_conversation (Fixture *fixture)
{
  return sotto_conversation_view_get_conversation (conversation_view (fixture));
}

/* Makes Alice's window the one with the focus, which there has no
 * window manager to do: what is shown there counts as read. */
void
activate_alice (Fixture *fixture)
{
  gtk_window_present (GTK_WINDOW (fixture->window));
  wait_until (gtk_window_is_active (GTK_WINDOW (fixture->window)));
}

/* Closes Alice's window, and with it her store. */
void
close_alice (Fixture *fixture)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  run_main_loop_for (1000);
}

/* Opens a new window for Alice, which reads everything from the store. */
void
unlock_alice (Fixture *fixture)
{
  GtkWidget *root;

  fixture->window = sotto_window_new (fixture->app);
  gtk_window_present (GTK_WINDOW (fixture->window));
  root = GTK_WIDGET (fixture->window);
  wait_until (page_is (fixture, "passphrase"));
  g_assert_true (set_row_text (root, "Passphrase", passphrase));
  g_assert_true (gtk_widget_activate_action (root, "win.unlock", NULL));
  wait_until (page_is (fixture, "chats"));
}

/* Closes Alice's window and opens a new one, which reads everything
 * from the store again. */
void
reopen_alice (Fixture *fixture)
{
  close_alice (fixture);
  unlock_alice (fixture);
}

/* Writes @n messages into Alice's conversation with Bob, labelled by
 * @prefix and their number, while her window is closed: years of read
 * messages both ways, or (@unread) messages from Bob that came while she
 * was away and that she has not read. */
void
write_history (Fixture    *fixture,
               guint       n,
               const char *prefix,
               gboolean    unread)
{
  g_autoptr(GFile) profile = g_file_new_for_path (fixture->alice_profile);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_message_record_free);
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gint64 conversation_id = _sotto_conversation_get_id (open_conversation (fixture));
  gint64 first_time = unread ? g_get_real_time () / 1000 + 1000 : 1700000000000;

  close_alice (fixture);

  store = _sotto_store_open_sync (profile, passphrase, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *body = g_strdup_printf ("%s %u", prefix, i);

      g_ptr_array_add (messages, _sotto_message_record_new (uuid,
                                                            unread || i % 2 ? SOTTO_MESSAGE_DIRECTION_INCOMING
                                                                            : SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                                            SOTTO_MESSAGE_KIND_TEXT,
                                                            unread ? SOTTO_MESSAGE_STATE_DELIVERED
                                                                   : SOTTO_MESSAGE_STATE_READ,
                                                            first_time + i * 1000, first_time + i * 1000,
                                                            body));
    }
  g_assert_true (_sotto_store_insert_messages (store, conversation_id, messages, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);

  unlock_alice (fixture);
}
