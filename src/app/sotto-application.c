/* sotto-application.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-application"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-application.h"
#include "sotto-window.h"

struct _SottoApplication
{
  AdwApplication parent_instance;
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
sotto_application_class_init (SottoApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = sotto_application_activate;
}

static void
sotto_application_about_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  static const char *developers[] = { "The Sotto authors", NULL };
  SottoApplication *self = user_data;
  GtkWindow *window;

  g_assert (SOTTO_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (window,
                         "application-name", _("Sotto"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The Sotto authors"),
                         "version", PACKAGE_VERSION,
                         "developers", developers,
                         "copyright", "© 2026 The Sotto authors",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
sotto_application_quit_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  SottoApplication *self = user_data;

  g_assert (SOTTO_IS_APPLICATION (self));

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "quit", sotto_application_quit_action },
  { "about", sotto_application_about_action },
};

static void
sotto_application_init (SottoApplication *self)
{
  static const char *quit_accels[] = { "<primary>q", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self),
                                         "app.quit",
                                         quit_accels);
}
