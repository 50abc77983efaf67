/* sotto-cli-timer.c: disappearing-message timers from the command line
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-cli.h"

int
sotto_cli_timer (SottoCli *cli)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *username = cli->args[0];
  guint64 seconds;

  /* The timers the app offers, and no other. */
  if (!g_ascii_string_to_unsigned (cli->args[1], 10, 0, G_MAXUINT32, &seconds, NULL)
      || !sotto_messenger_timer_is_valid ((guint) seconds))
    {
      g_printerr (_("sotto-cli: SECONDS is 0 (off), 30, 300 (5 minutes), 3600 (1 hour), "
                    "86400 (1 day), 604800 (1 week) or 2419200 (4 weeks)\n"));
      return SOTTO_CLI_EXIT_USAGE;
    }

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  conversation = sotto_cli_find_conversation (cli, username, TRUE, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not find the contact"));

  sotto_messenger_set_timer_async (cli->messenger, conversation, (guint) seconds, NULL,
                                   sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_messenger_set_timer_finish (cli->messenger, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not set the timer"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, username);
      json_builder_set_member_name (builder, "seconds");
      json_builder_add_int_value (builder, (gint64) seconds);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else if (seconds == 0)
    {
      g_print (_("Disappearing messages with %s are off\n"), username);
    }
  else
    {
      g_print (_("Messages with %s now disappear after %u seconds\n"), username, (guint) seconds);
    }

  return SOTTO_CLI_EXIT_OK;
}

/* A "timer changed" event of a conversation, which @from set. */
void
sotto_cli_print_timer_event (SottoCli     *cli,
                             const char   *from,
                             SottoMessage *message)
{
  guint64 seconds = 0;

  g_ascii_string_to_unsigned (sotto_message_get_body (message), 10, 0, G_MAXUINT32, &seconds, NULL);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "timer");
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
      json_builder_set_member_name (builder, "seconds");
      json_builder_add_int_value (builder, (gint64) seconds);
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, sotto_message_get_sent_at (message));
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, sotto_message_get_id (message));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_autofree char *time = sotto_cli_format_time (sotto_message_get_sent_at (message));

      if (seconds == 0)
        g_print (_("[%s] %s turned disappearing messages off\n"), time, from);
      else
        g_print (_("[%s] %s set disappearing messages to %u seconds\n"), time, from, (guint) seconds);
    }
}
