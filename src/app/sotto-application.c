/* sotto-application.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-application"

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sotto-account.h"
#include "sotto-application.h"
#include "sotto-preferences-window.h"
#include "sotto-window.h"

struct _SottoApplication
{
  AdwApplication parent_instance;

  /* The directory with the store and, for --profile, the settings. */
  GFile *profile;
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SottoApplication, sotto_application, ADW_TYPE_APPLICATION)

SottoApplication *
sotto_application_new (const char        *application_id,
                       GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (SOTTO_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", RESOURCE_BASE_PATH,
                       NULL);
}

static GFile *
default_profile (void)
{
  return g_file_new_build_filename (g_get_user_data_dir (),
                                    g_strcmp0 (PROFILE, "development") == 0 ? "sotto-devel" : "sotto",
                                    NULL);
}

/**
 * sotto_application_id_for_profile:
 * @base_id: the application's own id
 * @profile: a profile directory
 *
 * The application id of the instance that uses @profile: @base_id with an
 * element derived from the profile's absolute path, so that the session
 * bus lets one process at a time have it.
 *
 * Returns: (transfer full): the application id
 */
char *
sotto_application_id_for_profile (const char *base_id,
                                  GFile      *profile)
{
  g_autofree char *path = NULL;
  g_autofree char *digest = NULL;

  g_return_val_if_fail (g_application_id_is_valid (base_id), NULL);
  g_return_val_if_fail (G_IS_FILE (profile), NULL);

  path = g_canonicalize_filename (g_file_peek_path (profile), NULL);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, path, -1);

  return g_strdup_printf ("%s.Profile%.16s", base_id, digest);
}

static int
sotto_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  SottoApplication *self = SOTTO_APPLICATION (app);
  const char *profile = NULL;

  if (g_variant_dict_lookup (options, "profile", "^&ay", &profile))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (profile);

      g_autofree char *application_id = NULL;

      sotto_application_set_profile (self, file);

      /* Each profile is its own instance: two profiles on one desktop
       * (the demo's alice and bob) must not merge into one process, and
       * a second start with the same profile raises the first one's
       * window rather than opening the profile twice. */
      application_id = sotto_application_id_for_profile (g_application_get_application_id (app), file);
      g_application_set_application_id (app, application_id);
    }

  return G_APPLICATION_CLASS (sotto_application_parent_class)->handle_local_options (app, options);
}

static void
sotto_application_startup (GApplication *app)
{
  SottoApplication *self = SOTTO_APPLICATION (app);

  G_APPLICATION_CLASS (sotto_application_parent_class)->startup (app);

  if (self->profile == NULL)
    self->profile = default_profile ();
}

static void
sotto_application_activate (GApplication *app)
{
  GtkWindow *window;

  g_assert (SOTTO_IS_APPLICATION (app));

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    window = GTK_WINDOW (sotto_window_new (SOTTO_APPLICATION (app)));

  gtk_window_present (window);
}

static void
sotto_application_dispose (GObject *object)
{
  SottoApplication *self = (SottoApplication *) object;

  g_clear_object (&self->profile);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sotto_application_parent_class)->dispose (object);
}

static void
sotto_application_class_init (SottoApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = sotto_application_dispose;

  app_class->handle_local_options = sotto_application_handle_local_options;
  app_class->startup = sotto_application_startup;
  app_class->activate = sotto_application_activate;
}

static void
sotto_application_about_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  static const char *developers[] = { "The Sotto authors", NULL };
  SottoApplication *self = user_data;

  g_assert (SOTTO_IS_APPLICATION (self));

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Sotto"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The Sotto authors"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Chat with end-to-end encryption"),
                         "developers", developers,
                         "copyright", "© 2026 The Sotto authors",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
sotto_application_preferences_action (GSimpleAction *action,
                                      GVariant      *parameter,
                                      gpointer       user_data)
{
  SottoApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  SottoMessenger *messenger = NULL;

  if (SOTTO_IS_WINDOW (window))
    messenger = sotto_window_get_messenger (SOTTO_WINDOW (window));

  gtk_window_present (GTK_WINDOW (sotto_preferences_window_new (window, self->settings, messenger)));
}

/* A notification's default action: open-conversation with a contact's
 * UUID, open-group with a group's id. */
static void
sotto_application_open_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  SottoApplication *self = user_data;
  const char *id = g_variant_get_string (parameter, NULL);
  GtkWindow *window;

  g_application_activate (G_APPLICATION (self));
  window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (!SOTTO_IS_WINDOW (window))
    return;

  if (g_str_equal (g_action_get_name (G_ACTION (action)), "open-group"))
    sotto_window_open_group (SOTTO_WINDOW (window), id);
  else
    sotto_window_open_conversation (SOTTO_WINDOW (window), id);
}

static void
sotto_application_quit_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  SottoApplication *self = user_data;

  g_assert (SOTTO_IS_APPLICATION (self));

  /* Closing the windows rather than stopping at once lets each store
   * what its composer holds; the application ends once that is done and
   * no window is left. */
  for (GList *windows; (windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL;)
    gtk_window_destroy (windows->data);
}

static const GActionEntry app_actions[] = {
  { "quit", sotto_application_quit_action },
  { "about", sotto_application_about_action },
  { "preferences", sotto_application_preferences_action },
  { "open-conversation", sotto_application_open_action, "s" },
  { "open-group", sotto_application_open_action, "s" },
};

static void
sotto_application_init (SottoApplication *self)
{
  static const char *quit_accels[] = { "<primary>q", NULL };
  static const char *preferences_accels[] = { "<primary>comma", NULL };
  /* The window's shortcuts are the application's accelerators, not key
   * bindings of the window class, so that the shortcuts window finds
   * them by action name. */
  static const char *new_conversation_accels[] = { "<primary>n", NULL };
  static const char *new_group_accels[] = { "<primary><shift>n", NULL };
  static const char *search_accels[] = { "<primary>f", NULL };
  static const char *previous_conversation_accels[] = { "<primary>Page_Up", NULL };
  static const char *next_conversation_accels[] = { "<primary>Page_Down", NULL };
  static const GOptionEntry options[] = {
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Use the profile (messages, keys and settings) in DIR"), N_("DIR") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-conversation", new_conversation_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-group", new_group_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.previous-conversation",
                                         previous_conversation_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.next-conversation",
                                         next_conversation_accels);
}

/**
 * sotto_application_get_profile:
 * @self: a #SottoApplication
 *
 * Returns: (transfer none): the profile directory, set with --profile or
 *   the default one in the user's data directory
 */
GFile *
sotto_application_get_profile (SottoApplication *self)
{
  g_return_val_if_fail (SOTTO_IS_APPLICATION (self), NULL);

  if (self->profile == NULL)
    self->profile = default_profile ();

  return self->profile;
}

/**
 * sotto_application_set_profile:
 * @self: a #SottoApplication
 * @profile: the profile directory
 *
 * Chooses the profile.  Its settings then live in a file inside it, so
 * that profiles share nothing.
 */
void
sotto_application_set_profile (SottoApplication *self,
                               GFile            *profile)
{
  g_autoptr(GSettingsBackend) backend = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SOTTO_IS_APPLICATION (self));
  g_return_if_fail (G_IS_FILE (profile));

  g_set_object (&self->profile, profile);

  /* The settings file can only be written into an existing directory;
   * the profile is private to its user. */
  if (g_mkdir_with_parents (g_file_peek_path (profile), 0700) != 0)
    g_warning ("Could not create the profile directory %s: %s",
               g_file_peek_path (profile), g_strerror (errno));

  /* The keyfile backend keeps keys directly under its root path in the
   * root group, and without one it refuses to write them: Preferences
   * were greyed out and the window size was forgotten. */
  path = g_build_filename (g_file_peek_path (profile), "settings.ini", NULL);
  backend = g_keyfile_settings_backend_new (path, "/im/sotto/Sotto/", "Sotto");
  g_clear_object (&self->settings);
  self->settings = g_settings_new_with_backend (SCHEMA_ID, backend);
}

/**
 * sotto_application_get_settings:
 * @self: a #SottoApplication
 *
 * Returns: (transfer none): the settings of the profile in use
 */
GSettings *
sotto_application_get_settings (SottoApplication *self)
{
  g_return_val_if_fail (SOTTO_IS_APPLICATION (self), NULL);

  if (self->settings == NULL)
    self->settings = g_settings_new (SCHEMA_ID);

  return self->settings;
}
