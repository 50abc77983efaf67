/* sotto-cli-trust-root.c: the sealed sender trust root from the command line
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-cli.h"

/* Asks the relay for its trust root: pins it if the profile has none
 * (trust on first use), and reports one other than the pinned root on
 * standard error, never taking it.  Returns FALSE only when the relay
 * could not be asked. */
gboolean
sotto_cli_check_trust_root (SottoCli  *cli,
                            GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;

  sotto_messenger_check_trust_root_async (cli->messenger, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (sotto_messenger_check_trust_root_finish (cli->messenger, result, &local_error))
    return TRUE;

  if (!g_error_matches (local_error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  sotto_cli_warn_trust_root_conflict (cli);
  return TRUE;
}

/* Says on standard error that the relay presents another root, and how
 * to take it, if it does. */
void
sotto_cli_warn_trust_root_conflict (SottoCli *cli)
{
  const char *conflict = sotto_messenger_get_trust_root_conflict (cli->messenger);

  if (conflict == NULL)
    return;

  g_printerr (_("sotto-cli: the relay presents the sealed sender trust root %s, not the one pinned for it. "
                "Sealed messages under it stay at the relay and your messages go with the sender visible. "
                "If the relay’s operator confirms the new root, pin it with: "
                "sotto-cli trust-root --trust-root %s\n"),
              conflict, conflict);
}

/* sotto-cli trust-root [--trust-root KEY]: shows the pinned root, or
 * pins KEY in its place (the only way a pinned root changes). */
int
sotto_cli_trust_root (SottoCli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pinned = NULL;
  const char *conflict;

  if (cli->trust_root != NULL && !sotto_messenger_trust_root_is_valid (cli->trust_root))
    {
      g_printerr (_("sotto-cli: --trust-root takes the relay’s sealed sender trust root, in base64\n"));
      return SOTTO_CLI_EXIT_USAGE;
    }

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  if (cli->trust_root != NULL)
    {
      g_autoptr(GAsyncResult) result = NULL;

      sotto_messenger_pin_trust_root_async (cli->messenger, cli->trust_root, NULL, sotto_cli_result_cb, &result);
      sotto_cli_wait (&result);
      if (!sotto_messenger_pin_trust_root_finish (cli->messenger, result, &error))
        return sotto_cli_fail_error (cli, error, _("Could not pin the trust root"));
    }

  if (!sotto_cli_check_trust_root (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not ask the relay for its trust root"));

  pinned = sotto_messenger_dup_trust_root (cli->messenger);
  conflict = sotto_messenger_get_trust_root_conflict (cli->messenger);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pinned");
      if (pinned != NULL)
        json_builder_add_string_value (builder, pinned);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "relay_presents_other");
      if (conflict != NULL)
        json_builder_add_string_value (builder, conflict);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else if (pinned != NULL)
    {
      g_print (_("Sealed sender trust root: %s\n"), pinned);
    }
  else
    {
      g_print (_("No sealed sender trust root is pinned: the relay publishes none\n"));
    }

  return SOTTO_CLI_EXIT_OK;
}
