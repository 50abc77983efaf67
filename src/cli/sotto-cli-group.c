/* sotto-cli-group.c: the group commands, and groups in receive and
 * history
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-cli.h"

/* group create TITLE USERNAME…, group add GROUP USERNAME, group remove
 * GROUP USERNAME, group leave GROUP, group rename GROUP TITLE, group
 * promote|demote GROUP USERNAME, group info GROUP, group list, group
 * read GROUP [MESSAGE_ID], group avatar GROUP FILE|--remove, send-group
 * GROUP TEXT and history --group GROUP, through the messenger's group list, as the app would. */

static gboolean
load_groups (SottoCli  *cli,
             GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  SottoGroupList *groups;

  if (!sotto_cli_load (cli, error))
    return FALSE;

  groups = sotto_messenger_get_groups (cli->messenger);
  sotto_group_list_load_async (groups, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  return sotto_group_list_load_finish (groups, result, error);
}

/* Every group command names its group by its id or by its exact title,
 * when one group has that title and it is not a group id. */
SottoGroup *
sotto_cli_find_group (SottoCli    *cli,
                      const char  *name,
                      GError     **error)
{
  GListModel *groups;
  SottoGroup *found = NULL;
  guint n_found = 0;

  if (!load_groups (cli, error))
    return NULL;

  groups = G_LIST_MODEL (sotto_messenger_get_groups (cli->messenger));
  if (g_uuid_string_is_valid (name))
    found = sotto_group_list_find (SOTTO_GROUP_LIST (groups), name);
  else
    for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
      {
        g_autoptr(SottoGroup) group = g_list_model_get_item (groups, i);

        if (g_strcmp0 (sotto_group_get_title (group), name) == 0)
          {
            found = group;
            n_found++;
          }
      }

  if (n_found > 1)
    {
      g_set_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                   _("%u groups are called “%s”: name one by its id"), n_found, name);
      return NULL;
    }

  if (found == NULL)
    g_set_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED, _("There is no group “%s”"), name);

  return found;
}

static void
add_strv (JsonBuilder *builder,
          const char  *name,
          GStrv        values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_group_state (JsonBuilder *builder,
                 SottoGroup  *group)
{
  g_auto(GStrv) members = sotto_group_dup_member_names (group, FALSE);

  json_builder_set_member_name (builder, "group");
  json_builder_add_string_value (builder, sotto_group_get_id (group));
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, sotto_group_get_title (group));
  add_strv (builder, "members", members);
}

/* The digest of the picture the group shows, or null. */
static void
add_avatar (JsonBuilder *builder,
            SottoGroup  *group)
{
  g_autofree char *digest = sotto_group_dup_avatar_digest (group);

  json_builder_set_member_name (builder, "avatar");
  if (digest != NULL)
    json_builder_add_string_value (builder, digest);
  else
    json_builder_add_null_value (builder);
}

static int
print_group (SottoCli   *cli,
             SottoGroup *group,
             gboolean    full)
{
  g_auto(GStrv) members = sotto_group_dup_member_names (group, FALSE);
  g_auto(GStrv) admins = sotto_group_dup_member_names (group, TRUE);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_group_state (builder, group);
      if (full)
        {
          add_strv (builder, "admins", admins);
          json_builder_set_member_name (builder, "version");
          json_builder_add_int_value (builder, (gint64) sotto_group_get_version (group));
          json_builder_set_member_name (builder, "member");
          json_builder_add_boolean_value (builder, sotto_group_get_is_member (group));
          add_avatar (builder, group);
        }
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else if (full)
    {
      g_autofree char *member_list = g_strjoinv (", ", members);
      g_autofree char *admin_list = g_strjoinv (", ", admins);

      g_print (_("Group %s\n"), sotto_group_get_id (group));
      g_print (_("Title: %s\n"), sotto_group_get_title (group));
      g_print (_("Members: %s\n"), member_list);
      g_print (_("Admins: %s\n"), admin_list);
      if (!sotto_group_get_is_member (group))
        g_print (_("You are no longer a member.\n"));
    }
  else
    {
      g_print ("%s\n", sotto_group_get_id (group));
    }

  return SOTTO_CLI_EXIT_OK;
}

static int
group_create (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups;

  if (cli->n_args < 3)
    return sotto_cli_fail (cli, _("Usage: sotto-cli group create TITLE USERNAME…"));

  if (!load_groups (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  groups = sotto_messenger_get_groups (cli->messenger);
  sotto_group_list_create_async (groups, cli->args[1], (const char * const *) cli->args + 2, NULL,
                                 sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  group = sotto_group_list_create_finish (groups, result, &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not create the group"));

  return print_group (cli, group, FALSE);
}

static int
group_change (SottoCli   *cli,
              const char *action)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups;
  SottoGroup *group;
  gboolean leave = g_str_equal (action, "leave");

  if (cli->n_args != (leave ? 2u : 3u))
    return sotto_cli_fail (cli, _("Usage: sotto-cli group %s GROUP%s"), action,
                           leave ? "" : g_str_equal (action, "rename") ? " TITLE" : " USERNAME");

  group = sotto_cli_find_group (cli, cli->args[1], &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not change the group"));

  groups = sotto_messenger_get_groups (cli->messenger);
  if (g_str_equal (action, "add"))
    sotto_group_list_add_member_async (groups, group, cli->args[2], NULL, sotto_cli_result_cb, &result);
  else if (g_str_equal (action, "remove"))
    sotto_group_list_remove_member_async (groups, group, cli->args[2], NULL, sotto_cli_result_cb, &result);
  else if (g_str_equal (action, "rename"))
    sotto_group_list_rename_async (groups, group, cli->args[2], NULL, sotto_cli_result_cb, &result);
  else if (g_str_equal (action, "promote") || g_str_equal (action, "demote"))
    sotto_group_list_set_admin_async (groups, group, cli->args[2], g_str_equal (action, "promote"), NULL,
                                      sotto_cli_result_cb, &result);
  else
    sotto_group_list_leave_async (groups, group, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  if (!sotto_group_list_change_finish (groups, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not change the group"));

  return print_group (cli, group, FALSE);
}

static int
group_info (SottoCli *cli)
{
  g_autoptr(GError) error = NULL;
  SottoGroup *group;

  if (cli->n_args != 2)
    return sotto_cli_fail (cli, _("Usage: sotto-cli group info GROUP"));

  group = sotto_cli_find_group (cli, cli->args[1], &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("No such group"));

  return print_group (cli, group, TRUE);
}

/* Every group this account is or was in: its id, title and how many
 * members it has, a line each, and whether this account still is one. */
static int
group_list (SottoCli *cli)
{
  g_autoptr(GError) error = NULL;
  GListModel *groups;

  if (cli->n_args != 1)
    return sotto_cli_fail (cli, _("Usage: sotto-cli group list"));

  if (!load_groups (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  groups = G_LIST_MODEL (sotto_messenger_get_groups (cli->messenger));
  for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
    {
      g_autoptr(SottoGroup) group = g_list_model_get_item (groups, i);
      g_auto(GStrv) members = sotto_group_dup_member_names (group, FALSE);
      guint n_members = g_strv_length (members);

      if (cli->json)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "group");
          json_builder_add_string_value (builder, sotto_group_get_id (group));
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, sotto_group_get_title (group));
          json_builder_set_member_name (builder, "member_count");
          json_builder_add_int_value (builder, n_members);
          json_builder_set_member_name (builder, "member");
          json_builder_add_boolean_value (builder, sotto_group_get_is_member (group));
          json_builder_set_member_name (builder, "unread");
          json_builder_add_int_value (builder, sotto_group_get_unread_count (group));
          json_builder_end_object (builder);
          sotto_cli_print_json (builder);
        }
      else
        {
          g_print (g_dngettext (GETTEXT_PACKAGE, "%s  %u member  %s%s\n", "%s  %u members  %s%s\n", n_members),
                   sotto_group_get_id (group), n_members, sotto_group_get_title (group),
                   sotto_group_get_is_member (group) ? "" : _("  (no longer a member)"));
        }
    }

  return SOTTO_CLI_EXIT_OK;
}

/* How far back group read looks for the message it is given. */
#define READ_LOOKBACK 1000

/* group read GROUP [MESSAGE_ID]: marks the group's messages read, all of
 * them or up to the message MESSAGE_ID (as receive and history print
 * it) among the newest READ_LOOKBACK entries. */
static int
group_read (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  const SottoGroupEvent *up_to = NULL;
  SottoGroupList *groups;
  SottoGroup *group;

  if (cli->n_args != 2 && cli->n_args != 3)
    return sotto_cli_fail (cli, _("Usage: sotto-cli group read GROUP [MESSAGE_ID]"));

  group = sotto_cli_find_group (cli, cli->args[1], &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not mark the group read"));

  groups = sotto_messenger_get_groups (cli->messenger);
  if (cli->n_args == 3)
    {
      sotto_group_list_load_events_async (groups, group, READ_LOOKBACK, NULL, sotto_cli_result_cb, &result);
      sotto_cli_wait (&result);
      events = sotto_group_list_load_events_finish (groups, result, &error);
      if (events == NULL)
        return sotto_cli_fail_error (cli, error, _("Could not mark the group read"));
      g_clear_object (&result);

      for (guint i = events->len; i > 0 && up_to == NULL; i--)
        {
          SottoGroupEvent *event = g_ptr_array_index (events, i - 1);

          if (g_strcmp0 (event->id, cli->args[2]) == 0)
            up_to = event;
        }
      if (up_to == NULL)
        return sotto_cli_fail (cli, _("The group has no message “%s”"), cli->args[2]);
    }

  sotto_group_list_mark_read_async (groups, group, up_to, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_group_list_mark_read_finish (groups, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not mark the group read"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "group");
      json_builder_add_string_value (builder, sotto_group_get_id (group));
      json_builder_set_member_name (builder, "unread");
      json_builder_add_int_value (builder, sotto_group_get_unread_count (group));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (g_dngettext (GETTEXT_PACKAGE, "%u unread message in %s\n", "%u unread messages in %s\n",
                            sotto_group_get_unread_count (group)),
               sotto_group_get_unread_count (group), sotto_group_get_title (group));
    }

  return SOTTO_CLI_EXIT_OK;
}

/* group avatar GROUP FILE, or GROUP --remove. */
static int
group_avatar (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  SottoGroupList *groups;
  SottoGroup *group;

  if (cli->n_args != (cli->remove ? 2u : 3u))
    return sotto_cli_fail (cli, _("Usage: sotto-cli group avatar GROUP FILE, or GROUP --remove"));

  group = sotto_cli_find_group (cli, cli->args[1], &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not change the group"));

  if (!cli->remove)
    file = g_file_new_for_commandline_arg (cli->args[2]);
  groups = sotto_messenger_get_groups (cli->messenger);
  sotto_group_list_set_avatar_async (groups, group, file, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_group_list_set_avatar_finish (groups, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not change the group’s picture"));

  return print_group (cli, group, FALSE);
}

int
sotto_cli_group (SottoCli *cli)
{
  const char *subcommand = cli->args[0];

  if (g_str_equal (subcommand, "create"))
    return group_create (cli);
  if (g_str_equal (subcommand, "add") || g_str_equal (subcommand, "remove")
      || g_str_equal (subcommand, "leave") || g_str_equal (subcommand, "rename")
      || g_str_equal (subcommand, "promote") || g_str_equal (subcommand, "demote"))
    return group_change (cli, subcommand);
  if (g_str_equal (subcommand, "info"))
    return group_info (cli);
  if (g_str_equal (subcommand, "list"))
    return group_list (cli);
  if (g_str_equal (subcommand, "read"))
    return group_read (cli);
  if (g_str_equal (subcommand, "avatar"))
    return group_avatar (cli);

  g_printerr (_("sotto-cli: unknown group command “%s”\n"), subcommand);
  return SOTTO_CLI_EXIT_USAGE;
}

/* What the relay did with a message this account sent to a group: it
 * took it for every member ("sent"), members wait for it ("queued"), or
 * the last try failed for good ("failed"). */
static const char *
group_message_state (const SottoGroupEvent *message)
{
  if (message->pending == NULL)
    return "sent";

  return message->failed ? "failed" : "queued";
}

/* The state of @message, which this account sent, and the members it
 * waits for, if any, as "state" and "pending". */
static void
add_send_state (JsonBuilder           *builder,
                const SottoGroupEvent *message)
{
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, group_message_state (message));
  if (message->pending != NULL)
    add_strv (builder, "pending", message->pending);
}

int
sotto_cli_send_group (SottoCli *cli)
{
  g_autoptr(SottoGroupEvent) message = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups;
  SottoGroup *group;

  if (!g_utf8_validate (cli->args[1], -1, NULL))
    return sotto_cli_fail (cli, _("The text is not valid UTF-8"));

  group = sotto_cli_find_group (cli, cli->args[0], &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not send"));

  if (!sotto_group_get_is_member (group))
    return sotto_cli_fail (cli, _("You are no longer a member of %s"), sotto_group_get_title (group));

  groups = sotto_messenger_get_groups (cli->messenger);
  sotto_group_list_send_async (groups, group, cli->args[1], NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  message = sotto_group_list_send_finish (groups, result, &error);
  if (message == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not send to every member"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "group");
      json_builder_add_string_value (builder, sotto_group_get_id (group));
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, message->id);
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, message->sent_at);
      add_send_state (builder, message);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else if (message->pending == NULL)
    {
      g_print (_("Sent to group %s\n"), sotto_group_get_title (group));
    }

  /* Exit 0 says the relay took it for every member; those it could not
   * get it once it is back, from whichever command reaches it next. */
  if (message->pending != NULL)
    {
      g_autofree char *pending = g_strjoinv (", ", message->pending);

      return sotto_cli_fail (cli, _("Message %s to group %s is kept in the outbox: the relay did not take it for "
                                    "%s yet"),
                             message->id, sotto_group_get_title (group), pending);
    }

  return SOTTO_CLI_EXIT_OK;
}

static const char *
event_from (SottoGroupEvent *event)
{
  return event->author_name != NULL ? event->author_name : event->author;
}

/* Prints an entry of a group's timeline, as receive and history print
 * a 1:1 conversation's. */
void
sotto_cli_print_group_event (SottoCli        *cli,
                             SottoGroup      *group,
                             SottoGroupEvent *event)
{
  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, event->kind == SOTTO_GROUP_EVENT_TEXT ? "message"
                                              : event->kind == SOTTO_GROUP_EVENT_UPDATE ? "group-update"
                                              : "safety-number-changed");
      json_builder_set_member_name (builder, "group");
      json_builder_add_string_value (builder, sotto_group_get_id (group));
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, event_from (event));
      json_builder_set_member_name (builder, event->kind == SOTTO_GROUP_EVENT_UPDATE ? "action" : "text");
      if (event->text != NULL)
        json_builder_add_string_value (builder, event->text);
      else
        json_builder_add_null_value (builder);
      if (event->kind == SOTTO_GROUP_EVENT_UPDATE)
        {
          json_builder_set_member_name (builder, "detail");
          if (event->detail != NULL)
            json_builder_add_string_value (builder, event->detail);
          else
            json_builder_add_null_value (builder);
          if (g_strcmp0 (event->text, "avatar") == 0)
            {
              json_builder_set_member_name (builder, "avatar");
              if (event->detail != NULL)
                json_builder_add_string_value (builder, event->detail);
              else
                json_builder_add_null_value (builder);
            }
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, sotto_group_get_title (group));
          json_builder_set_member_name (builder, "version");
          json_builder_add_int_value (builder, (gint64) sotto_group_get_version (group));
        }
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, event->sent_at);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, event->id);
      if (event->kind == SOTTO_GROUP_EVENT_TEXT)
        sotto_cli_add_group_message_changes (builder, event);
      if (g_str_equal (cli->command, "history"))
        {
          json_builder_set_member_name (builder, "direction");
          json_builder_add_string_value (builder, event->outgoing ? "outgoing" : "incoming");
          json_builder_set_member_name (builder, "sealed");
          json_builder_add_boolean_value (builder, event->sealed);
          if (event->outgoing && event->kind == SOTTO_GROUP_EVENT_TEXT)
            add_send_state (builder, event);
        }
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_autofree char *time = sotto_cli_format_time (event->sent_at);
      const char *title = sotto_group_get_title (group);

      switch (event->kind)
        {
        case SOTTO_GROUP_EVENT_TEXT:
          if (event->deleted)
            g_print (_("[%s] %s in %s: This message was deleted.\n"), time, event_from (event), title);
          else if (event->edited)
            g_print (_("[%s] %s in %s: %s (edited)\n"), time, event_from (event), title, event->text);
          else
            g_print ("[%s] %s in %s: %s\n", time, event_from (event), title, event->text);
          break;

        case SOTTO_GROUP_EVENT_UPDATE:
          {
            g_autofree char *sentence = sotto_group_event_describe (event);

            /* Translators: "%2$s" is a group's title, "%3$s" what
             * changed in it, as "alice added dave". */
            g_print (_("[%1$s] In %2$s: %3$s\n"), time, title, sentence);
          }
          break;

        case SOTTO_GROUP_EVENT_KEY_CHANGE:
        default:
          g_print (_("[%s] The safety number with %s, a member of %s, changed\n"), time, event_from (event), title);
          break;
        }
    }
}

int
sotto_cli_group_history (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups;
  SottoGroup *group;

  group = sotto_cli_find_group (cli, cli->group, &error);
  if (group == NULL)
    return sotto_cli_fail_error (cli, error, _("No history"));

  groups = sotto_messenger_get_groups (cli->messenger);
  sotto_group_list_load_events_async (groups, group, (guint) cli->limit, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  events = sotto_group_list_load_events_finish (groups, result, &error);
  if (events == NULL)
    return sotto_cli_fail_error (cli, error, _("No history"));

  for (guint i = 0; i < events->len; i++)
    sotto_cli_print_group_event (cli, group, g_ptr_array_index (events, i));

  return SOTTO_CLI_EXIT_OK;
}
