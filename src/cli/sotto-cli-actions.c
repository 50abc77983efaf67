/* sotto-cli-actions.c: reply, react, edit and delete
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-cli.h"

/* The commands that refer to a message by its id (as `receive --json`
 * and `history --json` print it), and how what others did to messages
 * is printed. */

/* The "type" of what changed a message in JSON. */
const char *
sotto_cli_action_type (SottoMessageAction action)
{
  switch (action)
    {
    case SOTTO_MESSAGE_ACTION_REACTION:
      return "reaction";
    case SOTTO_MESSAGE_ACTION_EDIT:
      return "edit";
    case SOTTO_MESSAGE_ACTION_DELETE:
    default:
      return "delete";
    }
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* Adds member @name, a string or null. */
void
sotto_cli_add_string (JsonBuilder *builder,
                      const char  *name,
                      const char  *value)
{
  add_string (builder, name, value);
}

/* Adds "type" to a message's JSON: "reply" with the "target_id" it
 * quotes, or "message". */
void
sotto_cli_add_message_type (JsonBuilder  *builder,
                            SottoMessage *message)
{
  const char *quote_id = sotto_message_get_quote_id (message);

  add_string (builder, "type", quote_id != NULL ? "reply" : "message");
  if (quote_id != NULL)
    add_string (builder, "target_id", quote_id);
}

static GPtrArray *
load_edits (SottoCli          *cli,
            SottoConversation *conversation,
            SottoMessage      *message,
            GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_messenger_load_edits_async (cli->messenger, conversation, sotto_message_get_id (message), NULL,
                                    sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  return sotto_messenger_load_edits_finish (cli->messenger, result, error);
}

/* Adds what history --json shows of a message's current state: the
 * quote, whether it was edited (and the texts it had) or deleted for
 * everyone, and the reactions on it. */
void
sotto_cli_add_message_state (SottoCli          *cli,
                             JsonBuilder       *builder,
                             SottoConversation *conversation,
                             SottoMessage      *message)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  SottoAccount *account = sotto_contact_get_account (contact);
  const char *mine = sotto_message_get_my_reaction (message);
  const char *theirs = sotto_message_get_their_reaction (message);

  if (sotto_message_get_quote_id (message) != NULL)
    add_string (builder, "quote_text", sotto_message_get_quote_text (message));

  json_builder_set_member_name (builder, "edited");
  json_builder_add_boolean_value (builder, sotto_message_get_edited (message));
  if (sotto_message_get_edited (message))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) edits = load_edits (cli, conversation, message, &error);

      json_builder_set_member_name (builder, "edits");
      json_builder_begin_array (builder);
      for (guint i = 0; edits != NULL && i < edits->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (edits, i));
      json_builder_end_array (builder);
      if (edits == NULL)
        g_printerr ("sotto-cli: %s\n", error->message);
    }

  json_builder_set_member_name (builder, "deleted");
  json_builder_add_boolean_value (builder, sotto_message_get_deleted (message));

  json_builder_set_member_name (builder, "reactions");
  json_builder_begin_array (builder);
  if (mine != NULL)
    {
      json_builder_begin_object (builder);
      add_string (builder, "from", sotto_account_get_username (account));
      add_string (builder, "emoji", mine);
      json_builder_end_object (builder);
    }
  if (theirs != NULL)
    {
      json_builder_begin_object (builder);
      add_string (builder, "from", sotto_cli_contact_label (contact));
      add_string (builder, "emoji", theirs);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* How much of a message's text stands for it where a reaction or an
 * edit to it is printed, in characters. */
#define SNIPPET_CHARS 40

/* The first words of @text, quoted, for a line about a change to its
 * message; %NULL for a deleted message's. */
char *
sotto_cli_snippet (const char *text)
{
  glong n_chars;

  if (text == NULL)
    return g_strdup (_("a deleted message"));

  n_chars = g_utf8_strlen (text, -1);
  if (n_chars <= SNIPPET_CHARS)
    return g_strdup_printf (_("“%s”"), text);

  {
    g_autofree char *start = g_utf8_substring (text, 0, SNIPPET_CHARS);

    return g_strdup_printf (_("“%s…”"), start);
  }
}

/* Prints what a contact did to @message, as receive does; in text, the
 * message is named by its first words, not its id. */
void
sotto_cli_print_action (SottoCli           *cli,
                        SottoConversation  *conversation,
                        SottoMessageAction  action,
                        const char         *id,
                        const char         *target_id,
                        const char         *text,
                        gint64              sent_at,
                        SottoMessage       *message)
{
  const char *from = sotto_cli_contact_label (sotto_conversation_get_contact (conversation));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string (builder, "type", sotto_cli_action_type (action));
      add_string (builder, "from", from);
      add_string (builder, "id", id);
      add_string (builder, "target_id", target_id);
      if (action == SOTTO_MESSAGE_ACTION_REACTION)
        add_string (builder, "emoji", text);
      else if (action == SOTTO_MESSAGE_ACTION_EDIT)
        add_string (builder, "text", text);
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, sent_at);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
      return;
    }

  {
    g_autofree char *time = sotto_cli_format_time (sent_at);
    g_autofree char *target = sotto_cli_snippet (sotto_message_get_deleted (message) ? NULL
                                                 : sotto_message_get_body (message));

    switch (action)
      {
      case SOTTO_MESSAGE_ACTION_REACTION:
        if (text != NULL)
          g_print (_("[%s] %s reacted %s to %s\n"), time, from, text, target);
        else
          g_print (_("[%s] %s removed their reaction to %s\n"), time, from, target);
        break;

      case SOTTO_MESSAGE_ACTION_EDIT:
        g_print (_("[%s] %s edited a message: %s\n"), time, from, text);
        break;

      case SOTTO_MESSAGE_ACTION_DELETE:
      default:
        g_print (_("[%s] %s deleted a message for everyone\n"), time, from);
        break;
      }
  }
}

int
sotto_cli_reply (SottoCli *cli)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *username = cli->args[0];
  const char *target_id = cli->args[1];
  const char *text = cli->args[2];

  if (cli->group != NULL)
    return sotto_cli_group_reply (cli);

  if (!g_utf8_validate (text, -1, NULL))
    return sotto_cli_fail (cli, _("The text is not valid UTF-8"));

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  conversation = sotto_cli_find_conversation (cli, username, FALSE, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not reply"));

  sotto_messenger_reply_async (cli->messenger, conversation, target_id, text, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  if (!sotto_messenger_reply_finish (cli->messenger, result, &message, &error))
    {
      if (message != NULL)
        return sotto_cli_fail (cli, _("Message %s to %s is kept in the outbox: %s"),
                               sotto_message_get_id (message), username, error->message);

      return sotto_cli_fail_error (cli, error, _("Could not reply"));
    }

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string (builder, "to", username);
      add_string (builder, "id", sotto_message_get_id (message));
      add_string (builder, "target_id", sotto_message_get_quote_id (message));
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, sotto_message_get_sent_at (message));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Replied to %s\n"), username);
    }

  return SOTTO_CLI_EXIT_OK;
}

/* Runs react, edit or delete: @text is the emoji or the new text. */
static int
change (SottoCli           *cli,
        SottoMessageAction  action,
        const char         *text)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *username = cli->args[0];
  const char *target_id = cli->args[1];

  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    return sotto_cli_fail (cli, _("The text is not valid UTF-8"));

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  conversation = sotto_cli_find_conversation (cli, username, FALSE, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not change the message"));

  switch (action)
    {
    case SOTTO_MESSAGE_ACTION_REACTION:
      sotto_messenger_react_async (cli->messenger, conversation, target_id, text, NULL,
                                   sotto_cli_result_cb, &result);
      break;

    case SOTTO_MESSAGE_ACTION_EDIT:
      sotto_messenger_edit_async (cli->messenger, conversation, target_id, text, NULL,
                                  sotto_cli_result_cb, &result);
      break;

    case SOTTO_MESSAGE_ACTION_DELETE:
    default:
      sotto_messenger_delete_for_everyone_async (cli->messenger, conversation, target_id, NULL,
                                                 sotto_cli_result_cb, &result);
      break;
    }
  sotto_cli_wait (&result);

  id = sotto_messenger_change_finish (cli->messenger, result, &error);
  if (id == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not change the message"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string (builder, "type", sotto_cli_action_type (action));
      add_string (builder, "to", username);
      add_string (builder, "id", id);
      add_string (builder, "target_id", target_id);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Done: %s %s\n"), sotto_cli_action_type (action), target_id);
    }

  return SOTTO_CLI_EXIT_OK;
}

/* With --group GROUP, the command is to a group's message, and names
 * no contact. */
int
sotto_cli_react (SottoCli *cli)
{
  if (cli->group != NULL)
    return sotto_cli_group_change (cli, SOTTO_MESSAGE_ACTION_REACTION, cli->args[1]);

  return change (cli, SOTTO_MESSAGE_ACTION_REACTION, cli->args[2]);
}

int
sotto_cli_edit (SottoCli *cli)
{
  if (cli->group != NULL)
    return sotto_cli_group_change (cli, SOTTO_MESSAGE_ACTION_EDIT, cli->args[1]);

  return change (cli, SOTTO_MESSAGE_ACTION_EDIT, cli->args[2]);
}

int
sotto_cli_delete (SottoCli *cli)
{
  if (cli->group != NULL)
    return sotto_cli_group_change (cli, SOTTO_MESSAGE_ACTION_DELETE, NULL);

  return change (cli, SOTTO_MESSAGE_ACTION_DELETE, NULL);
}
