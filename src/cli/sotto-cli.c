/* sotto-cli.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include <glib/gi18n.h>

#include "sotto-cli.h"

/* sotto-cli drives the engine without a window: every command opens the
 * profile, does its work through the same models and messenger the app
 * uses, and closes the profile again.  Output is for people by default
 * and one JSON object per line with --json. */

typedef struct
{
  const char *name;
  SottoCliCommandFunc func;
  guint min_args;
  guint max_args;
  const char *usage;
} Command;

static const Command commands[] = {
  { "register", sotto_cli_register, 0, 0, "register --relay URL --username NAME" },
  { "whoami", sotto_cli_whoami, 0, 0, "whoami" },
  { "send", sotto_cli_send, 2, 2, "send USERNAME TEXT [--attach FILE]…" },
  { "receive", sotto_cli_receive, 0, 0, "receive [--timeout SECONDS] [--download-dir DIR]" },
  { "history", sotto_cli_history, 0, 1, "history USERNAME [--limit N] | history --group GROUP [--limit N]" },
  { "safety-number", sotto_cli_safety_number, 1, 1, "safety-number USERNAME" },
  { "verify", sotto_cli_verify, 2, G_MAXUINT, "verify USERNAME DIGITS" },
  { "accept-identity", sotto_cli_accept_identity, 1, 1, "accept-identity USERNAME" },
  { "reset-identity", sotto_cli_reset_identity, 0, 0, "reset-identity" },
  { "accept", sotto_cli_accept, 1, 1, "accept USERNAME" },
  { "block", sotto_cli_block, 1, 1, "block USERNAME" },
  { "delete-request", sotto_cli_delete_request, 1, 1, "delete-request USERNAME" },
  { "reply", sotto_cli_reply, 3, 3, "reply USERNAME MESSAGE_ID TEXT | reply --group GROUP MESSAGE_ID TEXT" },
  { "react", sotto_cli_react, 3, 3, "react USERNAME MESSAGE_ID EMOJI | react --group GROUP MESSAGE_ID EMOJI" },
  { "edit", sotto_cli_edit, 3, 3, "edit USERNAME MESSAGE_ID TEXT | edit --group GROUP MESSAGE_ID TEXT" },
  { "delete", sotto_cli_delete, 2, 2, "delete USERNAME MESSAGE_ID | delete --group GROUP MESSAGE_ID" },
  { "profile", sotto_cli_profile, 0, 0, "profile --name NAME [--avatar FILE]" },
  { "timer", sotto_cli_timer, 2, 2, "timer USERNAME SECONDS" },
  { "trust-root", sotto_cli_trust_root, 0, 0, "trust-root [--trust-root KEY]" },
  { "group", sotto_cli_group, 2, G_MAXUINT,
    "group create TITLE USERNAME… | add GROUP USERNAME | remove GROUP USERNAME | leave GROUP"
    " | rename GROUP TITLE | promote GROUP USERNAME | demote GROUP USERNAME | info GROUP | list"
    " | read GROUP [MESSAGE_ID] | avatar GROUP FILE|--remove | accept GROUP | decline GROUP | block GROUP" },
  { "send-group", sotto_cli_send_group, 2, 2, "send-group GROUP TEXT" },
};

void
sotto_cli_result_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert (*out == NULL);
  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

/* Runs the main context until an operation reports to @result: the
 * commands are sequential, the engine underneath is not. */
void
sotto_cli_wait (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

int
sotto_cli_fail (SottoCli   *cli,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("sotto-cli: %s\n", message);

  return SOTTO_CLI_EXIT_FAILED;
}

int
sotto_cli_fail_error (SottoCli     *cli,
                      const GError *error,
                      const char   *what)
{
  return sotto_cli_fail (cli, "%s: %s", what, error->message);
}

void
sotto_cli_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  g_print ("%s\n", text);
  fflush (stdout);
}

char *
sotto_cli_format_time (gint64 milliseconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (milliseconds / 1000);

  if (time == NULL)
    return g_strdup ("?");

  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
}

/* Reads one line from the terminal without echo, into guarded memory. */
static char *
prompt_passphrase (const char *prompt)
{
  struct termios saved;
  struct termios quiet;
  char *line;
  FILE *tty;
  gsize len;

  tty = fopen ("/dev/tty", "r+");
  if (tty == NULL)
    return NULL;

  line = sotto_secret_new (1024);

  fputs (prompt, tty);
  fflush (tty);

  tcgetattr (fileno (tty), &saved);
  quiet = saved;
  quiet.c_lflag &= ~ECHO;
  tcsetattr (fileno (tty), TCSAFLUSH, &quiet);

  if (fgets (line, 1024, tty) == NULL)
    line[0] = '\0';

  tcsetattr (fileno (tty), TCSAFLUSH, &saved);
  fputs ("\n", tty);
  fclose (tty);

  len = strlen (line);
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';

  return line;
}

static gboolean
unlock (SottoSession  *session,
        const char    *passphrase,
        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_session_unlock_async (session, passphrase, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  return sotto_session_unlock_finish (session, result, error);
}

/* The database key comes from the keyring, from $SOTTO_PASSPHRASE, or
 * from a passphrase typed at the terminal, in that order of preference:
 * the environment variable is for scripts and tests, which must not
 * depend on a keyring. */
gboolean
sotto_cli_unlock (SottoCli  *cli,
                  GError   **error)
{
  g_autoptr(GFile) directory = g_file_new_for_path (cli->profile);
  g_autoptr(GFile) database = g_file_get_child (directory, "sotto.db");
  g_autoptr(GError) local_error = NULL;
  const char *from_environment = g_getenv ("SOTTO_PASSPHRASE");
  gboolean is_new = !g_file_query_exists (database, NULL);
  char *passphrase = NULL;
  char *again = NULL;
  gboolean unlocked;

  cli->session = sotto_session_new (directory);

  if (from_environment != NULL && *from_environment != '\0')
    {
      passphrase = sotto_secret_strdup (from_environment);
      unlocked = unlock (cli->session, passphrase, error);
      sotto_secret_free (passphrase);
      return unlocked;
    }

  if (unlock (cli->session, NULL, &local_error))
    return TRUE;

  if (!g_error_matches (local_error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  passphrase = prompt_passphrase (is_new ? _("New passphrase for this profile: ") : _("Passphrase: "));
  if (passphrase == NULL)
    {
      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED,
                   _("%s; no keyring is available and there is no terminal to ask for a "
                     "passphrase: set SOTTO_PASSPHRASE"), local_error->message);
      return FALSE;
    }

  /* As in the app: an empty passphrase would protect nothing. */
  if (passphrase[0] == '\0')
    {
      sotto_secret_free (passphrase);
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE,
                           _("The passphrase must not be empty"));
      return FALSE;
    }

  if (is_new)
    {
      again = prompt_passphrase (_("The same passphrase again: "));
      if (again == NULL || strcmp (passphrase, again) != 0)
        {
          sotto_secret_free (passphrase);
          sotto_secret_free (again);
          g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE,
                               _("The passphrases differ"));
          return FALSE;
        }
      sotto_secret_free (again);
    }

  unlocked = unlock (cli->session, passphrase, error);
  sotto_secret_free (passphrase);

  return unlocked;
}

/* Opens the profile and its registered account. */
gboolean
sotto_cli_load (SottoCli  *cli,
                GError   **error)
{
  if (!sotto_cli_unlock (cli, error))
    return FALSE;

  cli->messenger = sotto_session_get_messenger (cli->session);
  if (cli->messenger == NULL)
    {
      /* The session says why the profile has no account. */
      g_propagate_error (error, g_error_copy (sotto_session_get_error (cli->session)));
      return FALSE;
    }
  g_object_set (cli->messenger, "message-requests", cli->message_requests, NULL);

  return TRUE;
}

static void
close_profile (SottoCli *cli)
{
  cli->messenger = NULL;

  if (cli->session != NULL)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      sotto_session_close_async (cli->session, NULL, sotto_cli_result_cb, &result);
      sotto_cli_wait (&result);
      if (!sotto_session_close_finish (cli->session, result, &error))
        g_printerr ("sotto-cli: %s\n", error->message);

      g_clear_object (&cli->session);
    }

  /* The store's thread hands its last references back to this thread;
   * let it, so that everything is released before the process ends. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static char *
default_profile (void)
{
  return g_build_filename (g_get_user_data_dir (), "sotto", "cli", NULL);
}

static int
usage (const char *message)
{
  g_printerr ("sotto-cli: %s\n", message);
  g_printerr (_("Run “sotto-cli --help” to see the commands.\n"));

  return SOTTO_CLI_EXIT_USAGE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) description = g_string_new (_("Commands:\n"));
  g_autofree char *profile = NULL;
  g_autofree char *relay = NULL;
  g_autofree char *username = NULL;
  g_autofree char *token = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *trust_root = NULL;
  g_autofree char *name = NULL;
  g_autofree char *avatar = NULL;
  g_autofree char *download_dir = NULL;
  g_auto(GStrv) attach = NULL;
  g_autofree char *group = NULL;
  g_auto(GStrv) rest = NULL;
  gboolean json = FALSE;
  int timeout = -1;
  int limit = -1;
  gboolean message_requests = FALSE;
  gboolean remove = FALSE;
  gboolean changes_group_message;
  const Command *command = NULL;
  SottoCli cli = { 0 };
  guint n_rest;
  int status;
  GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile,
      N_("The profile directory (default: the user data directory’s sotto/cli)"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line"), NULL },
    { "relay", 0, 0, G_OPTION_ARG_STRING, &relay,
      N_("register: the relay’s URL"), N_("URL") },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username,
      N_("register: the username to register"), N_("NAME") },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token,
      N_("register: the registration token of a relay that asks for one"), N_("TOKEN") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      N_("register: the relay’s private CA, in PEM, kept with the profile"), N_("FILE") },
    { "trust-root", 0, 0, G_OPTION_ARG_STRING, &trust_root,
      N_("register, trust-root: the relay’s sealed sender trust root, in base64, kept with the profile"), N_("KEY") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
      N_("receive: seconds to wait for more once the relay’s queue is drained"), N_("SECONDS") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit,
      N_("history: how many of the newest messages to print"), N_("N") },
    { "message-requests", 0, 0, G_OPTION_ARG_NONE, &message_requests,
      N_("A stranger’s first message is a message request, as in the app: no receipts until accept"), NULL },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      N_("profile: the display name contacts see instead of the username"), N_("NAME") },
    { "avatar", 0, 0, G_OPTION_ARG_FILENAME, &avatar,
      N_("profile: an image of at most 1 MiB that contacts see"), N_("FILE") },
    { "attach", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &attach,
      N_("send: a file to send with the text, which is its caption (repeatable)"), N_("FILE") },
    { "download-dir", 0, 0, G_OPTION_ARG_FILENAME, &download_dir,
      N_("receive: where to save attachments (default: the profile’s downloads folder)"), N_("DIR") },
    { "remove", 0, 0, G_OPTION_ARG_NONE, &remove,
      N_("group avatar: remove the group’s picture"), NULL },
    { "group", 0, 0, G_OPTION_ARG_STRING, &group,
      N_("history, reply, react, edit, delete: the group whose messages to print or change"), N_("GROUP") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, N_("COMMAND [ARGUMENT…]") },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!sotto_engine_init (&error))
    {
      g_printerr ("sotto-cli: %s\n", error->message);
      return SOTTO_CLI_EXIT_FAILED;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (description, "  %s\n", commands[i].usage);
  g_string_append (description,
                   _("\nThe database key comes from the keyring; without one, from the\n"
                     "SOTTO_PASSPHRASE environment variable or a passphrase prompt.\n"));

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Sotto without a window: end-to-end encrypted messages from the command line."));
  g_option_context_set_description (context, description->str);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (error->message);

  n_rest = rest != NULL ? g_strv_length (rest) : 0;
  if (n_rest == 0)
    return usage (_("No command given"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (rest[0], commands[i].name))
        command = &commands[i];
    }

  if (command == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Unknown command “%s”"), rest[0]);
      return usage (message);
    }

  /* A change to a group's message names the group with --group, in
   * place of a contact. */
  changes_group_message = group != NULL
                          && (command->func == sotto_cli_reply || command->func == sotto_cli_react
                              || command->func == sotto_cli_edit || command->func == sotto_cli_delete);

  /* group list is the one group command with nothing after it. */
  if ((n_rest - 1 + changes_group_message < command->min_args
       && !(command->func == sotto_cli_group && n_rest == 2 && g_str_equal (rest[1], "list")))
      || n_rest - 1 + changes_group_message > command->max_args)
    {
      g_autofree char *message = g_strdup_printf (_("Usage: sotto-cli [--profile DIR] [--json] %s"),
                                                  command->usage);
      return usage (message);
    }

  if (((relay != NULL || username != NULL || token != NULL || ca_file != NULL) && command->func != sotto_cli_register)
      || (trust_root != NULL && command->func != sotto_cli_register && command->func != sotto_cli_trust_root)
      || (timeout >= 0 && command->func != sotto_cli_receive)
      || (limit >= 0 && command->func != sotto_cli_history)
      || ((name != NULL || avatar != NULL) && command->func != sotto_cli_profile)
      || (attach != NULL && command->func != sotto_cli_send)
      || (download_dir != NULL && command->func != sotto_cli_receive)
      || (group != NULL && command->func != sotto_cli_history && !changes_group_message)
      || (remove && !(command->func == sotto_cli_group && g_str_equal (rest[1], "avatar")))
      || (command->func == sotto_cli_history && (group != NULL) == (n_rest == 2)))
    {
      g_autofree char *message = g_strdup_printf (_("Usage: sotto-cli [--profile DIR] [--json] %s"),
                                                  command->usage);
      return usage (message);
    }

  if (command->func == sotto_cli_register && (relay == NULL || username == NULL))
    return usage (_("register needs --relay URL and --username NAME"));

  if (command->func == sotto_cli_profile
      && (name == NULL || name[0] == '\0' || strlen (name) > SOTTO_PROFILE_MAX_NAME))
    return usage (_("profile needs --name NAME, of 1 to 256 bytes"));

  if (timeout < -1 || limit < -1 || (command->func == sotto_cli_history && limit == 0))
    return usage (_("--timeout and --limit take a positive number"));

  cli.profile = profile != NULL ? g_steal_pointer (&profile) : default_profile ();
  cli.json = json;
  cli.relay = g_steal_pointer (&relay);
  cli.username = g_steal_pointer (&username);
  cli.token = g_steal_pointer (&token);
  cli.ca_file = g_steal_pointer (&ca_file);
  cli.trust_root = g_steal_pointer (&trust_root);
  cli.timeout = timeout >= 0 ? timeout : SOTTO_CLI_DEFAULT_TIMEOUT;
  cli.limit = limit > 0 ? limit : SOTTO_CLI_DEFAULT_LIMIT;
  cli.message_requests = message_requests;
  cli.name = g_steal_pointer (&name);
  cli.avatar = g_steal_pointer (&avatar);
  cli.attach = g_steal_pointer (&attach);
  cli.download_dir = g_steal_pointer (&download_dir);
  cli.group = g_steal_pointer (&group);
  cli.remove = remove;
  cli.command = command->name;
  cli.args = rest + 1;
  cli.n_args = n_rest - 1;

  status = command->func (&cli);

  close_profile (&cli);
  g_free (cli.profile);
  g_free (cli.relay);
  g_free (cli.username);
  g_free (cli.token);
  g_free (cli.ca_file);
  g_free (cli.trust_root);
  g_free (cli.name);
  g_free (cli.avatar);
  g_strfreev (cli.attach);
  g_free (cli.download_dir);
  g_free (cli.group);

  return status;
}
