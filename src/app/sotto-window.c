/* sotto-window.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-window.h"

struct _SottoWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;

  AdwStatusPage *empty_page;
};

G_DEFINE_FINAL_TYPE (SottoWindow, sotto_window, ADW_TYPE_APPLICATION_WINDOW)

SottoWindow *
sotto_window_new (SottoApplication *application)
{
  g_return_val_if_fail (SOTTO_IS_APPLICATION (application), NULL);

  return g_object_new (SOTTO_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

static void
sotto_window_dispose (GObject *object)
{
  SottoWindow *self = (SottoWindow *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_WINDOW);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sotto_window_parent_class)->dispose (object);
}

static void
sotto_window_class_init (SottoWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, empty_page);
}

static void
sotto_window_init (SottoWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  if (g_strcmp0 (PROFILE, "development") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  /* The window remembers its size between runs; binding the properties
   * keeps the settings current without a save step on close. */
  self->settings = g_settings_new (SCHEMA_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
}
