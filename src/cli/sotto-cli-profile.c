/* sotto-cli-profile.c: the profile command, and profile news in receive
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-cli.h"

/* Whether @data starts like an image the app can show: PNG, JPEG, GIF
 * or WebP. */
static gboolean
looks_like_image (GBytes *data)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  return (len >= 8 && memcmp (bytes, "\x89PNG\r\n\x1a\n", 8) == 0)
         || (len >= 3 && memcmp (bytes, "\xff\xd8\xff", 3) == 0)
         || (len >= 6 && (memcmp (bytes, "GIF87a", 6) == 0 || memcmp (bytes, "GIF89a", 6) == 0))
         || (len >= 12 && memcmp (bytes, "RIFF", 4) == 0 && memcmp (bytes + 8, "WEBP", 4) == 0);
}

/* Reads the avatar file, refusing one that is not an image or is over
 * the profile's bound before anything is changed. */
static GBytes *
read_avatar (const char  *path,
             GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) data = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, error);
  if (info == NULL)
    return NULL;

  if (g_file_info_get_size (info) > SOTTO_PROFILE_MAX_AVATAR)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is larger than an avatar may be (1 MiB)"), path);
      return NULL;
    }

  data = g_file_load_bytes (file, NULL, NULL, error);
  if (data == NULL)
    return NULL;

  /* The file may have grown since it was measured. */
  if (g_bytes_get_size (data) > SOTTO_PROFILE_MAX_AVATAR || !looks_like_image (data))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is not a PNG, JPEG, GIF or WebP image of at most 1 MiB"), path);
      return NULL;
    }

  return g_steal_pointer (&data);
}

int
sotto_cli_profile (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;

  if (cli->avatar != NULL)
    {
      avatar = read_avatar (cli->avatar, &error);
      if (avatar == NULL)
        return sotto_cli_fail_error (cli, error, _("Could not read the avatar"));
    }

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  sotto_messenger_set_profile_async (cli->messenger, cli->name, avatar, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_messenger_set_profile_finish (cli->messenger, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not set the profile"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, cli->name);
      json_builder_set_member_name (builder, "avatar");
      json_builder_add_boolean_value (builder, avatar != NULL);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Profile set: contacts now see “%s”\n"), cli->name);
    }

  return SOTTO_CLI_EXIT_OK;
}

/* Says what the contact of @conversation changed of their profile: a
 * new display name, a new picture, or none.  The JSON line has the name
 * whatever changed. */
void
sotto_cli_print_profile_change (SottoCli            *cli,
                                SottoConversation   *conversation,
                                SottoProfileChanges  changes)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  const char *from = sotto_contact_get_username (contact) != NULL
                     ? sotto_contact_get_username (contact) : sotto_contact_get_uuid (contact);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "profile");
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, sotto_contact_get_profile_name (contact));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      if (changes & SOTTO_PROFILE_CHANGES_NAME)
        g_print (_("%s is now called “%s”\n"), from, sotto_contact_get_profile_name (contact));
      if ((changes & SOTTO_PROFILE_CHANGES_AVATAR) && sotto_contact_get_avatar (contact) != NULL)
        g_print (_("%s changed their picture\n"), from);
      else if (changes & SOTTO_PROFILE_CHANGES_AVATAR)
        g_print (_("%s removed their picture\n"), from);
    }
}
