/* sotto-cli-group-actions.c: reply, react, edit and delete in groups
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-cli.h"

/* reply, react, edit and delete with --group GROUP in place of a
 * contact: to a message of the group, by its id as receive and history
 * print it; and how what members did to messages is printed. */

/* Runs a reply or a change and waits for it; returns the message it
 * made or changed, or %NULL with @error set. */
static SottoGroupEvent *
run (SottoCli            *cli,
     SottoGroup          *group,
     SottoMessageAction   action,
     gboolean             reply,
     const char          *target_id,
     const char          *text,
     GError             **error)
{
  SottoGroupList *groups = sotto_messenger_get_groups (cli->messenger);
  g_autoptr(GAsyncResult) result = NULL;

  if (reply)
    sotto_group_list_reply_async (groups, group, NULL, target_id, text, NULL, sotto_cli_result_cb, &result);
  else if (action == SOTTO_MESSAGE_ACTION_REACTION)
    sotto_group_list_react_async (groups, group, NULL, target_id, text, NULL, sotto_cli_result_cb, &result);
  else if (action == SOTTO_MESSAGE_ACTION_EDIT)
    sotto_group_list_edit_async (groups, group, target_id, text, NULL, sotto_cli_result_cb, &result);
  else
    sotto_group_list_delete_for_everyone_async (groups, group, target_id, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  return sotto_group_list_send_finish (groups, result, error);
}

/* reply --group GROUP MESSAGE_ID TEXT */
int
sotto_cli_group_reply (SottoCli *cli)
{
  g_autoptr(SottoGroupEvent) message = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroup *group;

  if (!g_utf8_validate (cli->args[1], -1, NULL))
    return sotto_cli_fail (cli, _("The text is not valid UTF-8"));

  group = sotto_cli_find_group (cli, cli->group, &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not reply"));

  message = run (cli, group, SOTTO_MESSAGE_ACTION_REACTION, TRUE, cli->args[0], cli->args[1], &error);
  if (message == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not reply"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      sotto_cli_add_string (builder, "group", sotto_group_get_id (group));
      sotto_cli_add_string (builder, "id", message->id);
      sotto_cli_add_string (builder, "target_id", message->quote_id);
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, message->sent_at);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Replied in group %s\n"), sotto_group_get_title (group));
    }

  return SOTTO_CLI_EXIT_OK;
}

/* react, edit or delete --group GROUP MESSAGE_ID [TEXT]: @text is the
 * emoji or the new text. */
int
sotto_cli_group_change (SottoCli           *cli,
                        SottoMessageAction  action,
                        const char         *text)
{
  g_autoptr(SottoGroupEvent) message = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroup *group;

  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    return sotto_cli_fail (cli, _("The text is not valid UTF-8"));

  group = sotto_cli_find_group (cli, cli->group, &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not change the message"));

  message = run (cli, group, action, FALSE, cli->args[0], text, &error);
  if (message == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not change the message"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      sotto_cli_add_string (builder, "type", sotto_cli_action_type (action));
      sotto_cli_add_string (builder, "group", sotto_group_get_id (group));
      sotto_cli_add_string (builder, "target_id", message->id);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Done: %s %s\n"), sotto_cli_action_type (action), message->id);
    }

  return SOTTO_CLI_EXIT_OK;
}

/* Adds what changed a group's message to its JSON: "target_id" for a
 * reply, whether it was edited or deleted, and its reactions. */
void
sotto_cli_add_group_message_changes (JsonBuilder     *builder,
                                     SottoGroupEvent *event)
{
  if (event->quote_id != NULL)
    sotto_cli_add_string (builder, "target_id", event->quote_id);
  json_builder_set_member_name (builder, "edited");
  json_builder_add_boolean_value (builder, event->edited);
  json_builder_set_member_name (builder, "deleted");
  json_builder_add_boolean_value (builder, event->deleted);
  json_builder_set_member_name (builder, "reactions");
  json_builder_begin_array (builder);
  for (guint i = 0; event->reactions != NULL && i < event->reactions->len; i++)
    {
      SottoGroupReaction *reaction = g_ptr_array_index (event->reactions, i);

      json_builder_begin_object (builder);
      sotto_cli_add_string (builder, "from", reaction->author_name != NULL ? reaction->author_name : reaction->author);
      sotto_cli_add_string (builder, "emoji", reaction->emoji);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* Prints what a member did to a message of @group, as receive does; in
 * text, the message is named by its first words, not its id. */
void
sotto_cli_print_group_change (SottoCli           *cli,
                              SottoGroup         *group,
                              SottoGroupEvent    *message,
                              SottoMessageAction  action,
                              const char         *author_name,
                              const char         *id,
                              const char         *text,
                              gint64              sent_at)
{
  g_autofree char *time = NULL;
  g_autofree char *target = NULL;
  const char *from = author_name != NULL ? author_name : "?";
  const char *title = sotto_group_get_title (group);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      sotto_cli_add_string (builder, "type", sotto_cli_action_type (action));
      sotto_cli_add_string (builder, "group", sotto_group_get_id (group));
      sotto_cli_add_string (builder, "from", from);
      sotto_cli_add_string (builder, "id", id);
      sotto_cli_add_string (builder, "target_id", message->id);
      if (action == SOTTO_MESSAGE_ACTION_REACTION)
        sotto_cli_add_string (builder, "emoji", text);
      else if (action == SOTTO_MESSAGE_ACTION_EDIT)
        sotto_cli_add_string (builder, "text", text);
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, sent_at);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
      return;
    }

  time = sotto_cli_format_time (sent_at);
  target = sotto_cli_snippet (message->text);
  switch (action)
    {
    case SOTTO_MESSAGE_ACTION_REACTION:
      /* Translators: "%2$s" is a group's title, "%4$s" the emoji,
       * "%5$s" the first words of the message, quoted. */
      if (text != NULL)
        g_print (_("[%1$s] In %2$s: %3$s reacted %4$s to %5$s\n"), time, title, from, text, target);
      else
        g_print (_("[%1$s] In %2$s: %3$s removed their reaction to %4$s\n"), time, title, from, target);
      break;

    case SOTTO_MESSAGE_ACTION_EDIT:
      g_print (_("[%1$s] In %2$s: %3$s edited a message: %4$s\n"), time, title, from, text);
      break;

    case SOTTO_MESSAGE_ACTION_DELETE:
    default:
      g_print (_("[%1$s] In %2$s: %3$s deleted a message for everyone\n"), time, title, from);
      break;
    }
}
