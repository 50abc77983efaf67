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
 * all, and then after the label inside that is its mnemonic, so that
 * screen readers said "_Register Register".  This names it once, by the
 * label as shown.  Call it again whenever the label changes.
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
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
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

static void
page_title_notify_cb (GtkWidget  *page,
                      GParamSpec *pspec,
                      GtkWidget  *scroller)
{
  g_autofree char *title = NULL;

  g_object_get (page, "title", &title, NULL);
  if (title != NULL && title[0] != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (scroller), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (scroller), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

/**
 * sotto_accessible_name_page_scrollers:
 * @root: a widget
 *
 * Names the scrolled window of every status page and preferences page
 * below @root after the page's title, now and when the title changes.
 * The scrolled window takes the focus, to scroll by keyboard, and
 * libadwaita 1.2 leaves it unnamed, so that screen readers called it
 * "GtkScrolledWindow".
 */
void
sotto_accessible_name_page_scrollers (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (ADW_IS_STATUS_PAGE (root) || ADW_IS_PREFERENCES_PAGE (root))
    {
      GtkWidget *scroller = gtk_widget_get_first_child (root);

      g_return_if_fail (GTK_IS_SCROLLED_WINDOW (scroller));
      g_signal_connect_object (root, "notify::title", G_CALLBACK (page_title_notify_cb), scroller, 0);
      page_title_notify_cb (root, NULL, scroller);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    sotto_accessible_name_page_scrollers (child);
}

static void
child_parent_notify_cb (GtkWidget  *child,
                        GParamSpec *pspec,
                        GtkWidget  *row)
{
  GtkWidget *item = gtk_widget_get_parent (child);

  if (item != NULL)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (item),
                                    GTK_ACCESSIBLE_RELATION_LABELLED_BY, row, NULL,
                                    -1);
}

/**
 * sotto_accessible_name_list_item:
 * @row: the widget a list view shows for an item
 *
 * Names the item around @row after @row, wherever a list view puts it.
 * GTK 4.8 wraps every row in an item widget that takes the focus too
 * and has no name of its own.
 */
void
sotto_accessible_name_list_item (GtkWidget *row)
{
  g_return_if_fail (GTK_IS_WIDGET (row));

  sotto_accessible_name_list_item_after (row, row);
}

/**
 * sotto_accessible_name_list_item_after:
 * @child: the widget a list view shows for an item
 * @row: the widget inside @child that says what the item is
 *
 * Like sotto_accessible_name_list_item(), for an item whose widget
 * holds more than the row it is named after.
 */
void
sotto_accessible_name_list_item_after (GtkWidget *child,
                                       GtkWidget *row)
{
  g_return_if_fail (GTK_IS_WIDGET (child));
  g_return_if_fail (GTK_IS_WIDGET (row));

  g_signal_connect (child, "notify::parent", G_CALLBACK (child_parent_notify_cb), row);
  child_parent_notify_cb (child, NULL, row);
}

static void
window_controls_map_cb (GtkWidget *controls)
{
  gtk_widget_set_can_focus (controls, TRUE);
  for (GtkWidget *child = gtk_widget_get_first_child (controls); child != NULL; child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_can_focus (child, TRUE);
}

/**
 * sotto_accessible_reach_window_controls:
 * @root: a widget
 *
 * Puts the title bar's window buttons below @root, such as Close, on
 * the way of Tab.  GTK 4.8 keeps them out of it, so that a dialog could
 * be closed by keyboard only with Escape, which nothing on screen tells.
 * The buttons are made when the title bar is shown, so this takes
 * effect then.
 */
void
sotto_accessible_reach_window_controls (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_WINDOW_CONTROLS (root))
    {
      g_signal_connect (root, "map", G_CALLBACK (window_controls_map_cb), NULL);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    sotto_accessible_reach_window_controls (child);
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
 * sotto_accessible_set_up_password_toggle:
 * @row: a password entry row
 *
 * Names the row's button that shows the text: libadwaita 1.2 gives it a
 * tooltip only, so that screen readers called it "GtkImage".  It also
 * keeps the button out of the Tab order, as GtkPasswordEntry keeps its
 * own: Tab goes from a field to the next control, and the button stays
 * for the pointer and for assistive technologies, which act on it
 * through its accessible name.
 */
void
sotto_accessible_set_up_password_toggle (AdwPasswordEntryRow *row)
{
  GtkWidget *button;

  g_return_if_fail (ADW_IS_PASSWORD_ENTRY_ROW (row));

  button = find_reveal_button (GTK_WIDGET (row));
  g_return_if_fail (button != NULL);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Show Text"),
                                  -1);
  gtk_widget_set_focusable (button, FALSE);
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

/* The description a widget has of its own, which an announcement
 * replaces only for as long as the widget keeps the focus. */
#define OWN_DESCRIPTION_KEY "sotto-accessible-own-description"

/**
 * sotto_accessible_set_description:
 * @widget: a widget
 * @description: (nullable): its accessible description, or %NULL for none
 *
 * Sets @widget's accessible description, and keeps it to give back
 * after sotto_accessible_announce() borrowed the description.
 */
void
sotto_accessible_set_description (GtkWidget  *widget,
                                  const char *description)
{
  char *kept;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  /* @description may be the string kept so far, freed on replacing it. */
  kept = g_strdup (description);
  g_object_set_data_full (G_OBJECT (widget), OWN_DESCRIPTION_KEY, kept, g_free);
  if (kept != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, kept,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

#if !GTK_CHECK_VERSION (4, 14, 0)
/* On the window: the widget whose description carries the last
 * announcement, weakly. */
#define ANNOUNCER_KEY "sotto-accessible-announcer"

static void
weak_ref_free (gpointer data)
{
  GWeakRef *ref = data;

  g_weak_ref_clear (ref);
  g_free (ref);
}

static void
give_back_description (GtkRoot *root)
{
  GWeakRef *ref = g_object_get_data (G_OBJECT (root), ANNOUNCER_KEY);
  g_autoptr(GtkWidget) announcer = ref != NULL ? g_weak_ref_get (ref) : NULL;

  if (announcer == NULL)
    return;

  sotto_accessible_set_description (announcer, g_object_get_data (G_OBJECT (announcer), OWN_DESCRIPTION_KEY));
  g_weak_ref_set (ref, NULL);
}
#endif

/**
 * sotto_accessible_announce:
 * @widget: a widget in the window that @message is about
 * @message: a sentence for a screen reader to say
 *
 * Has a screen reader say @message, as a toast or a result shows it on
 * screen.  From GTK 4.14 on this is an announcement.  GTK 4.8 cannot
 * announce: there, @message becomes the description of the widget that
 * has the focus (or of the window, when nothing has it), which screen
 * readers read out when it changes, until the focus moves on.
 */
void
sotto_accessible_announce (GtkWidget  *widget,
                           const char *message)
{
#if !GTK_CHECK_VERSION (4, 14, 0)
  GtkRoot *root;
  GtkWidget *announcer;
  GWeakRef *ref;
#endif

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (message != NULL);

#if GTK_CHECK_VERSION (4, 14, 0)
  /* The build pins GDK_VERSION_MAX_ALLOWED to Debian 12's GTK 4.8, which
   * flags every newer call; this one is only built where GTK has it. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_accessible_announce (GTK_ACCESSIBLE (widget), message, GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
  G_GNUC_END_IGNORE_DEPRECATIONS
#else
  root = gtk_widget_get_root (widget);
  if (root == NULL)
    return;

  ref = g_object_get_data (G_OBJECT (root), ANNOUNCER_KEY);
  if (ref == NULL)
    {
      ref = g_new0 (GWeakRef, 1);
      g_weak_ref_init (ref, NULL);
      g_object_set_data_full (G_OBJECT (root), ANNOUNCER_KEY, ref, weak_ref_free);
      g_signal_connect (root, "notify::focus-widget", G_CALLBACK (give_back_description), NULL);
    }

  announcer = gtk_root_get_focus (root);
  if (announcer == NULL)
    announcer = GTK_WIDGET (root);
  give_back_description (root);

  gtk_accessible_update_property (GTK_ACCESSIBLE (announcer),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                  -1);
  g_weak_ref_set (ref, announcer);
#endif
}

static void
menu_visible_cb (GtkWidget  *button,
                 GParamSpec *pspec,
                 GtkWidget  *popover)
{
  gtk_widget_set_has_tooltip (button, !gtk_widget_get_visible (popover));
}

/**
 * sotto_accessible_quiet_menu_tooltip:
 * @button: a menu button with a tooltip, and its menu
 *
 * Keeps the tooltip of @button away while its menu is open: GTK shows it
 * again as soon as the pointer moves on the button, over the menu's
 * first items.  It comes back once the menu closes.
 */
void
sotto_accessible_quiet_menu_tooltip (GtkMenuButton *button)
{
  GtkPopover *popover;

  g_return_if_fail (GTK_IS_MENU_BUTTON (button));

  popover = gtk_menu_button_get_popover (button);
  g_return_if_fail (popover != NULL);

  g_signal_connect_object (popover, "notify::visible", G_CALLBACK (menu_visible_cb), button, G_CONNECT_SWAPPED);
}
