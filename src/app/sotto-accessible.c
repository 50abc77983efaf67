/* sotto-accessible.c: what GTK 4.8 and libadwaita 1.2 leave unnamed
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-accessible"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-accessible.h"

/**
 * sotto_accessible_name_mnemonic_button:
 * @button: a button whose label has a mnemonic
 *
 * GTK 4.8 names a button after its label as written, underline and
 * all, so that screen readers said "_Register Register".  This names it
 * by the label as shown.  Call it again whenever the label changes.
 */
void
sotto_accessible_name_mnemonic_button (GtkButton *button)
{
  const char *label;
  GString *shown;

  g_return_if_fail (GTK_IS_BUTTON (button));

  label = gtk_button_get_label (button);
  if (label == NULL || !gtk_button_get_use_underline (button))
    return;

  /* "__" is a literal underline; any other underline marks the
   * mnemonic and is not shown. */
  shown = g_string_sized_new (strlen (label));
  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_' && *++p == '\0')
        break;
      g_string_append_c (shown, *p);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, shown->str,
                                  -1);
  g_string_free (shown, TRUE);
}

/**
 * sotto_accessible_name_mnemonic_buttons:
 * @root: a widget
 *
 * Names every button with a mnemonic below @root, as
 * sotto_accessible_name_mnemonic_button() does.
 */
void
sotto_accessible_name_mnemonic_buttons (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root))
    sotto_accessible_name_mnemonic_button (GTK_BUTTON (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    sotto_accessible_name_mnemonic_buttons (child);
}

static gboolean
is_reveal_button (GtkWidget *widget)
{
  const char *icon_name;

  if (!GTK_IS_BUTTON (widget))
    return FALSE;
  icon_name = gtk_button_get_icon_name (GTK_BUTTON (widget));
  return g_strcmp0 (icon_name, "view-reveal-symbolic") == 0
         || g_strcmp0 (icon_name, "view-conceal-symbolic") == 0;
}

static GtkWidget *
find_reveal_button (GtkWidget *root)
{
  if (is_reveal_button (root))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_reveal_button (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/**
 * sotto_accessible_name_password_toggle:
 * @row: a password entry row
 *
 * Names the row's button that shows the text: libadwaita 1.2 gives it a
 * tooltip only, so that screen readers called it "GtkImage".
 */
void
sotto_accessible_name_password_toggle (AdwPasswordEntryRow *row)
{
  GtkWidget *button;

  g_return_if_fail (ADW_IS_PASSWORD_ENTRY_ROW (row));

  button = find_reveal_button (GTK_WIDGET (row));
  g_return_if_fail (button != NULL);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Show Text"),
                                  -1);
}

/* The widget that takes the focus for @field: the text inside an entry. */
static GtkWidget *
focus_target (GtkWidget *field)
{
  if (GTK_IS_EDITABLE (field) && gtk_editable_get_delegate (GTK_EDITABLE (field)) != NULL)
    return GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (field)));

  return field;
}

/**
 * sotto_accessible_label_field:
 * @field: an entry, or any widget that takes the focus
 * @label: its name, as a screen reader says it
 *
 * Names @field and, for an entry, the text inside that takes the focus.
 */
void
sotto_accessible_label_field (GtkWidget  *field,
                              const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (field));
  g_return_if_fail (label != NULL);

  gtk_accessible_update_property (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  if (focus_target (field) != field)
    gtk_accessible_update_property (GTK_ACCESSIBLE (focus_target (field)),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                    -1);
}

/**
 * sotto_accessible_describe_field:
 * @field: an entry, or any widget that takes the focus
 * @description: the label that explains what is wrong with it
 *
 * Relates an error label to the field it is about, so that a screen
 * reader reads the error with the field.
 */
void
sotto_accessible_describe_field (GtkWidget *field,
                                 GtkWidget *description)
{
  g_return_if_fail (GTK_IS_WIDGET (field));
  g_return_if_fail (GTK_IS_WIDGET (description));

  gtk_accessible_update_relation (GTK_ACCESSIBLE (field),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, description, NULL,
                                  -1);
  if (focus_target (field) != field)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (focus_target (field)),
                                    GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, description, NULL,
                                    -1);
}

static gboolean
single_tab_stop_key_pressed_cb (GtkEventControllerKey *controller,
                                guint                  keyval,
                                guint                  keycode,
                                GdkModifierType        state,
                                gpointer               user_data)
{
  GtkWidget *list = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GtkDirectionType direction;
  gboolean moved;

  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  if (keyval == GDK_KEY_ISO_Left_Tab || ((keyval == GDK_KEY_Tab || keyval == GDK_KEY_KP_Tab) && (state & GDK_SHIFT_MASK)))
    direction = GTK_DIR_TAB_BACKWARD;
  else if (keyval == GDK_KEY_Tab || keyval == GDK_KEY_KP_Tab)
    direction = GTK_DIR_TAB_FORWARD;
  else
    return FALSE;

  /* While the list cannot take the focus, moving the focus skips it
   * and all its items. */
  gtk_widget_set_can_focus (list, FALSE);
  moved = gtk_widget_child_focus (GTK_WIDGET (gtk_widget_get_root (list)), direction);
  gtk_widget_set_can_focus (list, TRUE);

  return moved;
}

/**
 * sotto_accessible_single_tab_stop:
 * @list: a list view whose items take the focus
 *
 * Makes @list one stop of Tab and Shift+Tab: GTK 4.8's list views move
 * the focus item by item on Tab, so that a conversation of 26 messages
 * took 26 presses to get through.  The arrow keys still move within.
 */
void
sotto_accessible_single_tab_stop (GtkWidget *list)
{
  GtkEventController *keys;

  g_return_if_fail (GTK_IS_WIDGET (list));

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (single_tab_stop_key_pressed_cb), NULL);
  gtk_widget_add_controller (list, keys);
}
