/* sotto-timer-menu.c: the conversation's menu, with its disappearing-message timer
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-timer-menu"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-error-text.h"
#include "sotto-messenger.h"
#include "sotto-timer-menu.h"
#include "sotto-timer-text.h"
#include "sotto-window.h"

/* What stands at the end of the conversation's header bar: the timer in
 * force, when there is one, so that nobody writes without knowing their
 * words will disappear, and the conversation's menu, whose
 * "Disappearing Messages" submenu sets it for both sides.  The radio
 * items follow the conversation's #SottoConversation:timer, which
 * changes too when the contact sets it. */

struct _SottoTimerMenu
{
  GtkWidget parent_instance;

  SottoConversation *conversation;
  GSignalGroup *conversation_signals;
  GSimpleActionGroup *actions;
  GCancellable *cancellable;

  GtkWidget *box;
  GtkWidget *indicator;
  GtkLabel *indicator_label;
  GtkWidget *menu_button;
};

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoTimerMenu, sotto_timer_menu, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

/* The timers sotto_messenger_timer_is_valid() takes, in the menu's order. */
static const guint timers[] = { 0, 30, 5 * 60, 60 * 60, 24 * 60 * 60, 7 * 24 * 60 * 60, 28 * 24 * 60 * 60 };

GtkWidget *
sotto_timer_menu_new (void)
{
  return g_object_new (SOTTO_TYPE_TIMER_MENU, NULL);
}

/* The menu's words for a timer. */
static const char *
timer_label (guint seconds)
{
  switch (seconds)
    {
    case 0: return _("_Off");
    case 30: return _("_30 Seconds");
    case 5 * 60: return _("_5 Minutes");
    case 60 * 60: return _("1 _Hour");
    case 24 * 60 * 60: return _("1 _Day");
    case 7 * 24 * 60 * 60: return _("1 _Week");
    case 28 * 24 * 60 * 60: return _("_4 Weeks");
    default: g_assert_not_reached ();
    }
}

static GAction *
sotto_timer_menu_lookup_set (SottoTimerMenu *self)
{
  return g_action_map_lookup_action (G_ACTION_MAP (self->actions), "set");
}

static void
sotto_timer_menu_update (SottoTimerMenu *self)
{
  guint seconds = self->conversation != NULL ? sotto_conversation_get_timer (self->conversation) : 0;
  const char *duration = sotto_timer_text_duration (seconds);
  g_autofree char *explanation = NULL;

  g_simple_action_set_state (G_SIMPLE_ACTION (sotto_timer_menu_lookup_set (self)), g_variant_new_uint32 (seconds));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (sotto_timer_menu_lookup_set (self)), self->conversation != NULL);

  /* Translators: the tooltip and accessible name of the timer shown in a
   * conversation's header, as in "Messages disappear after 5 minutes" */
  if (duration != NULL)
    explanation = g_strdup_printf (_("Messages disappear after %s"), duration);
  gtk_label_set_label (self->indicator_label, duration != NULL ? duration : "");
  gtk_widget_set_tooltip_text (self->indicator, explanation);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->indicator), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  explanation != NULL ? explanation : "", -1);
  gtk_widget_set_visible (self->indicator, duration != NULL);
}

static void
sotto_timer_menu_toast (SottoTimerMenu *self,
                        const char     *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

static void
sotto_timer_menu_set_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(SottoTimerMenu) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_set_timer_finish (SOTTO_MESSENGER (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *reason = sotto_error_text_general (error);
      /* Translators: a toast when the contact could not be told of a
       * new disappearing-message timer; the reason follows */
      g_autofree char *message = g_strdup_printf (_("The timer is set here, but could not be sent: %s"), reason);

      sotto_timer_menu_toast (self, message);
    }
}

static void
sotto_timer_menu_change_state_cb (GSimpleAction *action,
                                  GVariant      *state,
                                  gpointer       user_data)
{
  SottoTimerMenu *self = user_data;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  SottoMessenger *messenger = SOTTO_IS_WINDOW (root) ? sotto_window_get_messenger (SOTTO_WINDOW (root)) : NULL;
  guint seconds = g_variant_get_uint32 (state);

  if (self->conversation == NULL || messenger == NULL || !sotto_messenger_timer_is_valid (seconds)
      || seconds == sotto_conversation_get_timer (self->conversation))
    return;

  /* The state follows the conversation, whose timer changes as soon as
   * the event is stored (sotto_timer_menu_update()). */
  sotto_messenger_set_timer_async (messenger, self->conversation, seconds, self->cancellable,
                                   sotto_timer_menu_set_cb, g_object_ref (self));
}

SottoConversation *
sotto_timer_menu_get_conversation (SottoTimerMenu *self)
{
  g_return_val_if_fail (SOTTO_IS_TIMER_MENU (self), NULL);

  return self->conversation;
}

void
sotto_timer_menu_set_conversation (SottoTimerMenu    *self,
                                   SottoConversation *conversation)
{
  g_return_if_fail (SOTTO_IS_TIMER_MENU (self));
  g_return_if_fail (!conversation || SOTTO_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->conversation_signals, conversation);
  sotto_timer_menu_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERSATION]);
}

static GMenuModel *
sotto_timer_menu_build_menu (void)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) timer_section = g_menu_new ();

  for (guint i = 0; i < G_N_ELEMENTS (timers); i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (timer_label (timers[i]), NULL);

      g_menu_item_set_action_and_target_value (item, "timer.set", g_variant_new_uint32 (timers[i]));
      g_menu_append_item (timer_section, item);
    }
  g_menu_append_submenu (menu, _("_Disappearing Messages"), G_MENU_MODEL (timer_section));

  return G_MENU_MODEL (menu);
}

static void
sotto_timer_menu_dispose (GObject *object)
{
  SottoTimerMenu *self = (SottoTimerMenu *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->conversation);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->box, gtk_widget_unparent);

  G_OBJECT_CLASS (sotto_timer_menu_parent_class)->dispose (object);
}

static void
sotto_timer_menu_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SottoTimerMenu *self = SOTTO_TIMER_MENU (object);

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
sotto_timer_menu_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SottoTimerMenu *self = SOTTO_TIMER_MENU (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      sotto_timer_menu_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_timer_menu_class_init (SottoTimerMenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_timer_menu_dispose;
  object_class->get_property = sotto_timer_menu_get_property;
  object_class->set_property = sotto_timer_menu_set_property;

  properties [PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "timermenu");
}

static void
sotto_timer_menu_init (SottoTimerMenu *self)
{
  g_autoptr(GSimpleAction) set = NULL;
  g_autoptr(GMenuModel) menu = sotto_timer_menu_build_menu ();
  GtkWidget *icon;

  self->cancellable = g_cancellable_new ();

  set = g_simple_action_new_stateful ("set", G_VARIANT_TYPE_UINT32, g_variant_new_uint32 (0));
  g_signal_connect_object (set, "change-state", G_CALLBACK (sotto_timer_menu_change_state_cb), self, 0);
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action (G_ACTION_MAP (self->actions), G_ACTION (set));
  gtk_widget_insert_action_group (GTK_WIDGET (self), "timer", G_ACTION_GROUP (self->actions));

  self->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->indicator = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 3);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->indicator), GTK_ACCESSIBLE_PROPERTY_LABEL, "", -1);
  icon = gtk_image_new_from_icon_name ("alarm-symbolic");
  gtk_box_append (GTK_BOX (self->indicator), icon);
  self->indicator_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->indicator_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->indicator_label), "numeric");
  gtk_box_append (GTK_BOX (self->indicator), GTK_WIDGET (self->indicator_label));
  gtk_box_append (GTK_BOX (self->box), self->indicator);

  self->menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (self->menu_button), menu);
  gtk_widget_set_tooltip_text (self->menu_button, _("Conversation Menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Conversation Menu"), -1);
  sotto_accessible_quiet_menu_tooltip (GTK_MENU_BUTTON (self->menu_button));
  gtk_box_append (GTK_BOX (self->box), self->menu_button);

  self->conversation_signals = g_signal_group_new (SOTTO_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->conversation_signals, "notify::timer",
                                 G_CALLBACK (sotto_timer_menu_update), self, G_CONNECT_SWAPPED);

  sotto_timer_menu_update (self);
}
