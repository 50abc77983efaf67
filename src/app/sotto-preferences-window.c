/* sotto-preferences-window.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-preferences-window.h"

struct _SottoPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow *notification_row;
  GtkSwitch *read_receipts_switch;
  AdwActionRow *relay_row;
};

G_DEFINE_FINAL_TYPE (SottoPreferencesWindow, sotto_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row lists the enum's values in the schema's order, so the
 * selected position and the enum value are the same number. */
static gboolean
notification_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);
  static const char *nicks[] = { "name-and-message", "name-only", "nothing" };

  for (guint i = 0; i < G_N_ELEMENTS (nicks); i++)
    {
      if (g_str_equal (nick, nicks[i]))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  return FALSE;
}

static GVariant *
notification_set_mapping (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  static const char *nicks[] = { "name-and-message", "name-only", "nothing" };
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (nicks))
    return NULL;

  return g_variant_new_string (nicks[selected]);
}

/* libadwaita 1.2's preferences window never releases its rows, so the
 * bindings on them (of the value, and of its writability to "sensitive")
 * would keep the profile's settings alive after the window is gone. */
static void
sotto_preferences_window_dispose (GObject *object)
{
  SottoPreferencesWindow *self = SOTTO_PREFERENCES_WINDOW (object);

  if (self->notification_row != NULL)
    {
      g_settings_unbind (self->notification_row, "selected");
      g_settings_unbind (self->notification_row, "sensitive");
    }
  if (self->read_receipts_switch != NULL)
    {
      g_settings_unbind (self->read_receipts_switch, "active");
      g_settings_unbind (self->read_receipts_switch, "sensitive");
    }

  G_OBJECT_CLASS (sotto_preferences_window_parent_class)->dispose (object);
}

static void
sotto_preferences_window_class_init (SottoPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, notification_row);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, read_receipts_switch);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, relay_row);
}

static void
sotto_preferences_window_init (SottoPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sotto_accessible_name_page_scrollers (GTK_WIDGET (self));
  sotto_accessible_reach_window_controls (GTK_WIDGET (self));
}

SottoPreferencesWindow *
sotto_preferences_window_new (GtkWindow  *transient_for,
                              GSettings  *settings,
                              const char *relay_url)
{
  SottoPreferencesWindow *self;

  g_return_val_if_fail (!transient_for || GTK_IS_WINDOW (transient_for), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (SOTTO_TYPE_PREFERENCES_WINDOW,
                       "transient-for", transient_for,
                       NULL);

  g_settings_bind_with_mapping (settings, "notification-content",
                                self->notification_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                notification_get_mapping, notification_set_mapping,
                                NULL, NULL);
  g_settings_bind (settings, "send-read-receipts",
                   self->read_receipts_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  adw_action_row_set_subtitle (self->relay_row,
                               relay_url != NULL ? relay_url : _("Not registered yet"));

  return self;
}
