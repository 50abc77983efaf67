/* sotto-reaction-list.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-reaction-list"

#include "config.h"

#include "sotto-reaction-list.h"

/* The reactions under a bubble, each emoji with its count; hovering
 * shows who reacted with what, and so does a click, for those who
 * cannot hover (a touch screen). */
struct _SottoReactionList
{
  GtkWidget parent_instance;

  GtkWidget *button;
  GtkLabel *label;
  GtkWidget *popover;
  GtkLabel *reactors_label;
};

G_DEFINE_FINAL_TYPE (SottoReactionList, sotto_reaction_list, GTK_TYPE_WIDGET)

static void
sotto_reaction_list_clicked_cb (SottoReactionList *self)
{
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

/**
 * sotto_reaction_list_set_reactions:
 * @self: a #SottoReactionList
 * @reactions: (nullable): the emoji and their counts, as
 *   sotto_message_dup_reactions() says them; %NULL hides the list
 * @reactors: (nullable): who reacted with what, as
 *   sotto_message_dup_reactors() says it
 */
void
sotto_reaction_list_set_reactions (SottoReactionList *self,
                                   const char        *reactions,
                                   const char        *reactors)
{
  g_return_if_fail (SOTTO_IS_REACTION_LIST (self));

  gtk_label_set_label (self->label, reactions != NULL ? reactions : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->label), reactors);
  gtk_label_set_label (self->reactors_label, reactors != NULL ? reactors : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, reactors != NULL ? reactors : "",
                                  -1);
  gtk_widget_set_visible (GTK_WIDGET (self), reactions != NULL);
  if (reactions == NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
}

/**
 * sotto_reaction_list_get_reactors:
 * @self: a #SottoReactionList
 *
 * Returns: (nullable): who reacted with what, as shown on hover
 */
const char *
sotto_reaction_list_get_reactors (SottoReactionList *self)
{
  g_return_val_if_fail (SOTTO_IS_REACTION_LIST (self), NULL);

  return gtk_widget_get_tooltip_text (GTK_WIDGET (self->label));
}

static void
sotto_reaction_list_dispose (GObject *object)
{
  SottoReactionList *self = (SottoReactionList *) object;

  g_clear_pointer (&self->popover, gtk_widget_unparent);
  g_clear_pointer (&self->button, gtk_widget_unparent);

  G_OBJECT_CLASS (sotto_reaction_list_parent_class)->dispose (object);
}

static void
sotto_reaction_list_class_init (SottoReactionListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_reaction_list_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "reactionlist");
}

static void
sotto_reaction_list_init (SottoReactionList *self)
{
  self->label = GTK_LABEL (gtk_label_new (NULL));
  self->button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->button), GTK_WIDGET (self->label));
  /* The row around it has the keyboard focus, and its menu says all. */
  gtk_widget_set_focusable (self->button, FALSE);
  gtk_widget_add_css_class (self->button, "flat");
  gtk_widget_add_css_class (self->button, "reactions");
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));
  g_signal_connect_object (self->button, "clicked",
                           G_CALLBACK (sotto_reaction_list_clicked_cb), self, G_CONNECT_SWAPPED);

  self->reactors_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->reactors_label, 0);
  self->popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (self->popover), GTK_WIDGET (self->reactors_label));
  gtk_widget_set_parent (self->popover, GTK_WIDGET (self));

  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
