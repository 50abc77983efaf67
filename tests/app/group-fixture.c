/* group-fixture.c: Alice's groups in the app, on the conversation fixture
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the group tests do again and again: make a group with Bob, send
 * to it without the window, and find its view, its composer and its
 * messages' rows.
 */

#include "config.h"

#include "group-fixture.h"
#include "page-test-util.h"
#include "sotto-message-row.h"
#include "sotto-messenger.h"

SottoGroupList *
alice_groups (Fixture *fixture)
{
  return sotto_messenger_get_groups (sotto_window_get_messenger (fixture->window));
}

SottoGroupView *
group_view (Fixture *fixture)
{
  return SOTTO_GROUP_VIEW (app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_VIEW));
}

/* Alice makes the group @title with @usernames, and opens it. */
SottoGroup *
create_group (Fixture            *fixture,
              const char         *title,
              const char * const *usernames)
{
  SottoGroupList *groups = alice_groups (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroup) group = NULL;

  sotto_group_list_create_async (groups, title, usernames, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  group = sotto_group_list_create_finish (groups, result, &error);
  g_assert_no_error (error);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  wait_until (group_view (fixture) != NULL && sotto_group_view_get_group (group_view (fixture)) == group);

  return group;
}

/* Alice sends @text to @group without the window, and waits until the
 * relay has it for every member. */
void
send_to_group (Fixture    *fixture,
               SottoGroup *group,
               const char *text)
{
  SottoGroupList *groups = alice_groups (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroupEvent) event = NULL;

  sotto_group_list_send_async (groups, group, text, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  event = sotto_group_list_send_finish (groups, result, &error);
  g_assert_no_error (error);
}

/* Alice, who wrote to Bob, makes the group "Climbers" with him and
 * opens it. */
SottoGroup *
start_with_group (Fixture *fixture)
{
  const char *usernames[] = { "bob", NULL };

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));

  return create_group (fixture, "Climbers", usernames);
}

GtkTextView *
group_composer (Fixture *fixture)
{
  return GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (group_view (fixture)), GTK_TYPE_TEXT_VIEW));
}

gboolean
group_composer_has (Fixture    *fixture,
                    const char *expected)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (group_composer (fixture));
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  return g_str_equal (text, expected);
}

GtkScrolledWindow *
group_scroller (Fixture *fixture)
{
  GtkWidget *timeline = app_test_find_widget (GTK_WIDGET (group_view (fixture)), GTK_TYPE_LIST_VIEW);

  return GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (timeline, GTK_TYPE_SCROLLED_WINDOW));
}

void
fill_group (Fixture    *fixture,
            SottoGroup *group,
            guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("Older message %u", i);

      send_to_group (fixture, group, text);
    }
}

/* The row of the group timeline's message @text, once it shows. */
GtkWidget *
group_row_of (Fixture    *fixture,
              const char *text)
{
  GtkWidget *label;

  wait_until ((label = app_test_find_label (GTK_WIDGET (group_view (fixture)), text)) != NULL);

  return gtk_widget_get_ancestor (label, SOTTO_TYPE_MESSAGE_ROW);
}

/* Whether the group's draft in the store is @expected (%NULL for none). */
gboolean
stored_draft_is (Fixture    *fixture,
                 SottoGroup *group,
                 const char *expected)
{
  SottoGroupList *groups = alice_groups (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *draft = NULL;

  sotto_group_list_load_draft_async (groups, group, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  draft = sotto_group_list_load_draft_finish (groups, result, &error);
  g_assert_no_error (error);

  return g_strcmp0 (draft, expected) == 0;
}
