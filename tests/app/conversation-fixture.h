/* conversation-fixture.h: Alice in the app, Bob with sotto-cli, a relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "app-test-util.h"
#include "relay-test-util.h"
#include "sotto-application.h"
#include "sotto-contact.h"
#include "sotto-conversation-view.h"
#include "sotto-window.h"

G_BEGIN_DECLS

/* Alice's passphrase, which the tests type where the app asks. */
extern const char passphrase[];
/* Bob's, with which sotto-cli opens his profile. */
extern const char bob_passphrase[];

typedef struct {
  GSubprocess *notification_daemon;
  GMutex lock;
  GPtrArray *notifications;   /* "summary: body" of every Notify call */
  TestRelay *relay;
  char *relay_data;
  char *alice_profile;
  char *bob_profile;
  SottoApplication *app;
  SottoWindow *window;
} Fixture;

#define wait_until(condition) app_test_wait_until (condition)

char *run_cli (Fixture *fixture, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
char *run_cli_as (const char *profile, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
GHashTable *peer_states (const char *profile);
char *peer_sees_state (const char *profile, const char *text);
GtkWidget *find_button (GtkWidget *root, const char *action_name);
GtkWidget *find_labelled_button (GtkWidget *root, const char *label);
gboolean set_row_text (GtkWidget *root, const char *title, const char *text);
GtkWindow *find_toplevel (GType type);
gboolean page_is (Fixture *fixture, const char *name);
SottoConversationView *conversation_view (Fixture *fixture);
gboolean last_message_is (Fixture *fixture, const char *body, SottoMessageState state);
void run_main_loop_for (guint milliseconds);
gboolean has_notification (Fixture *fixture, const char *text);
void fixture_set_up (Fixture *fixture, gconstpointer user_data);
void fixture_tear_down (Fixture *fixture, gconstpointer user_data);
void launch_alice (Fixture *fixture);
void start_alice (Fixture *fixture);
void open_conversation_with (Fixture *fixture, const char *username);
void open_conversation_with_bob (Fixture *fixture);
void verify_contact (SottoContact *contact, const char *digits);
void send_from_composer (Fixture *fixture, const char *text);
char *composer_text (Fixture *fixture);
SottoConversation *open_conversation (Fixture *fixture);
void activate_alice (Fixture *fixture);
void close_alice (Fixture *fixture);
void unlock_alice (Fixture *fixture);
void reopen_alice (Fixture *fixture);
void write_history (Fixture *fixture, guint n, const char *prefix, gboolean unread);

G_END_DECLS
