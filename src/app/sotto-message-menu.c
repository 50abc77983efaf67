/* sotto-message-menu.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-menu"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-message-menu.h"

/* The menu of a message: a row of quick reactions (and the emoji
 * chooser for any other), then what the user can do with the message.
 * Its entries name the message.* actions of the row it opens from
 * (sotto-message-row.c); those that do not apply to a message, as
 * editing someone else's, are hidden rather than greyed out. */

/* The reactions a click away, as other messengers offer them. */
static const char * const quick_reactions[] = { "❤️", "👍", "👎", "😂", "😮", "😢" };

static void
append_hidden_when_disabled (GMenu      *section,
                             const char *label,
                             const char *action)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, action);

  g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
  g_menu_append_item (section, item);
}

static GtkWidget *
reaction_button_new (const char *emoji)
{
  GtkWidget *button = gtk_button_new_with_label (emoji);
  /* Translators: a button of the message menu, as in "React with 👍" */
  g_autofree char *name = g_strdup_printf (_("React with %s"), emoji);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "message.react");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", emoji);
  gtk_widget_set_tooltip_text (button, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");

  return button;
}

/**
 * sotto_message_menu_new:
 *
 * Returns: (transfer floating): a #GtkPopoverMenu for a message row
 */
GtkWidget *
sotto_message_menu_new (void)
{
  g_autoptr(GMenu) model = g_menu_new ();
  g_autoptr(GMenu) reactions = g_menu_new ();
  g_autoptr(GMenu) answers = g_menu_new ();
  g_autoptr(GMenu) copies = g_menu_new ();
  g_autoptr(GMenu) deletions = g_menu_new ();
  g_autoptr(GMenuItem) reactions_item = g_menu_item_new (NULL, NULL);
  GtkWidget *reactions_box;
  GtkWidget *more_button;
  GtkWidget *menu;

  g_menu_item_set_attribute (reactions_item, "custom", "s", "reactions");
  g_menu_append_item (reactions, reactions_item);

  append_hidden_when_disabled (answers, _("_Reply"), "message.reply");
  append_hidden_when_disabled (answers, _("_Edit"), "message.edit");
  append_hidden_when_disabled (answers, _("Show _Original Message"), "message.show-original");
  append_hidden_when_disabled (answers, _("Edit _History"), "message.show-edits");

  append_hidden_when_disabled (copies, _("_Copy Text"), "message.copy-text");
  g_menu_append (copies, _("Copy _Time"), "message.copy-time");

  g_menu_append (deletions, _("_Delete for Me"), "message.delete");
  append_hidden_when_disabled (deletions, _("Delete for _Everyone…"), "message.delete-for-everyone");

  g_menu_append_section (model, NULL, G_MENU_MODEL (reactions));
  g_menu_append_section (model, NULL, G_MENU_MODEL (answers));
  g_menu_append_section (model, NULL, G_MENU_MODEL (copies));
  g_menu_append_section (model, NULL, G_MENU_MODEL (deletions));

  menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (model));
  gtk_popover_set_has_arrow (GTK_POPOVER (menu), FALSE);

  reactions_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (reactions_box, "quick-reactions");
  for (guint i = 0; i < G_N_ELEMENTS (quick_reactions); i++)
    gtk_box_append (GTK_BOX (reactions_box), reaction_button_new (quick_reactions[i]));

  more_button = gtk_button_new_from_icon_name ("list-add-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (more_button), "message.choose-reaction");
  gtk_widget_set_tooltip_text (more_button, _("More Reactions"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (more_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("More Reactions"), -1);
  gtk_widget_add_css_class (more_button, "flat");
  gtk_widget_add_css_class (more_button, "circular");
  gtk_box_append (GTK_BOX (reactions_box), more_button);
  /* The reactions go as the entries do when the row cannot take one (a
   * message request's): the buttons follow the row's actions. */
  g_object_bind_property (more_button, "sensitive", reactions_box, "visible", G_BINDING_SYNC_CREATE);

  gtk_popover_menu_add_child (GTK_POPOVER_MENU (menu), reactions_box, "reactions");

  return menu;
}
