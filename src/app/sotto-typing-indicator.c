/* sotto-typing-indicator.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-typing-indicator"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-typing-indicator.h"

/* "Alice is typing…" above the composer while the contact of the
 * conversation is typing (SottoConversation:peer-typing), with the name
 * the contact is shown by.  A screen reader hears it when it appears,
 * without the focus leaving the composer. */

struct _SottoTypingIndicator
{
  GtkWidget parent_instance;

  SottoConversation *conversation;
  GSignalGroup *conversation_signals;
  GtkLabel *label;
};

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoTypingIndicator, sotto_typing_indicator, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void
sotto_typing_indicator_update (SottoTypingIndicator *self)
{
  gboolean typing = self->conversation != NULL && sotto_conversation_get_peer_typing (self->conversation);
  g_autofree char *text = NULL;

  if (typing == gtk_widget_get_visible (GTK_WIDGET (self)))
    return;

  gtk_widget_set_visible (GTK_WIDGET (self), typing);
  if (!typing)
    return;

  /* Translators: %s is the contact's name. */
  text = g_strdup_printf (_("%s is typing…"),
                          sotto_contact_get_name (sotto_conversation_get_contact (self->conversation)));
  gtk_label_set_label (self->label, text);
  sotto_accessible_announce (GTK_WIDGET (self), text);
}

SottoConversation *
sotto_typing_indicator_get_conversation (SottoTypingIndicator *self)
{
  g_return_val_if_fail (SOTTO_IS_TYPING_INDICATOR (self), NULL);

  return self->conversation;
}

void
sotto_typing_indicator_set_conversation (SottoTypingIndicator *self,
                                         SottoConversation    *conversation)
{
  g_return_if_fail (SOTTO_IS_TYPING_INDICATOR (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->conversation_signals, conversation);
  sotto_typing_indicator_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERSATION]);
}

/* What it says while shown. */
const char *
sotto_typing_indicator_get_text (SottoTypingIndicator *self)
{
  g_return_val_if_fail (SOTTO_IS_TYPING_INDICATOR (self), NULL);

  return gtk_label_get_label (self->label);
}

static void
sotto_typing_indicator_dispose (GObject *object)
{
  SottoTypingIndicator *self = (SottoTypingIndicator *) object;

  g_clear_pointer ((GtkWidget **) &self->label, gtk_widget_unparent);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (sotto_typing_indicator_parent_class)->dispose (object);
}

static void
sotto_typing_indicator_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  SottoTypingIndicator *self = SOTTO_TYPING_INDICATOR (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_typing_indicator_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  SottoTypingIndicator *self = SOTTO_TYPING_INDICATOR (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      sotto_typing_indicator_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_typing_indicator_class_init (SottoTypingIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_typing_indicator_dispose;
  object_class->get_property = sotto_typing_indicator_get_property;
  object_class->set_property = sotto_typing_indicator_set_property;

  properties [PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "typing-indicator");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
sotto_typing_indicator_init (SottoTypingIndicator *self)
{
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->label, 0);
  gtk_label_set_ellipsize (self->label, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (self->label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->label), "caption");
  gtk_widget_set_parent (GTK_WIDGET (self->label), GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);

  self->conversation_signals = g_signal_group_new (SOTTO_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::peer-typing",
                                  G_CALLBACK (sotto_typing_indicator_update), self);
}
