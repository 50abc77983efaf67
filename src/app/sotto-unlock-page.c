/* sotto-unlock-page.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-unlock-page"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-store.h"
#include "sotto-unlock-page.h"

/* The page that asks for the passphrase of a profile without a keyring:
 * a new one (chosen twice) or the one it was made with.  It unlocks the
 * session with it; the window moves on when the session's state does. */

struct _SottoUnlockPage
{
  GtkWidget parent_instance;

  SottoSession *session;
  GSignalGroup *session_signals;
  GCancellable *cancellable;
  char *activity;
  gboolean creating_passphrase;

  GtkWidget *content;  /* bound, so that disposing the template unparents it */
  AdwStatusPage *passphrase_page;
  AdwPasswordEntryRow *passphrase_row;
  AdwPasswordEntryRow *passphrase_confirm_row;
  GtkLabel *passphrase_error;
  GtkButton *passphrase_button;
};

enum {
  PROP_0,
  PROP_SESSION,
  PROP_ACTIVITY,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoUnlockPage, sotto_unlock_page, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void
sotto_unlock_page_set_activity (SottoUnlockPage *self,
                                const char      *activity)
{
  if (g_strcmp0 (self->activity, activity) == 0)
    return;

  g_free (self->activity);
  self->activity = g_strdup (activity);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ACTIVITY]);
}

/* What the page asks for follows the session: a passphrase to create,
 * or the profile's, and why the last one did not do. */
static void
sotto_unlock_page_update (SottoUnlockPage *self)
{
  const GError *error = self->session != NULL ? sotto_session_get_error (self->session) : NULL;
  gboolean wrong = g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE);

  if (self->session == NULL)
    return;

  self->creating_passphrase = !sotto_store_exists (sotto_session_get_profile (self->session));

  adw_status_page_set_title (self->passphrase_page,
                             self->creating_passphrase ? _("Protect Your Messages")
                                                       : _("Unlock Your Messages"));
  adw_status_page_set_description (self->passphrase_page,
                                   self->creating_passphrase
                                   ? _("There is no keyring to keep the key to your messages. Choose a passphrase instead: without it nobody can read them, not even you.")
                                   : _("Enter the passphrase that protects your messages."));
  gtk_button_set_label (self->passphrase_button,
                        self->creating_passphrase ? _("_Continue") : _("_Unlock"));
  gtk_button_set_use_underline (self->passphrase_button, TRUE);
  sotto_accessible_name_mnemonic_button (self->passphrase_button);
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_confirm_row), self->creating_passphrase);

  gtk_label_set_label (self->passphrase_error, wrong ? _("That passphrase does not unlock your messages.") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_error), wrong);
}

/* A new passphrase must be typed twice the same. */
static gboolean
sotto_unlock_page_is_ready (SottoUnlockPage *self)
{
  const char *passphrase = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row));
  const char *confirmation = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_confirm_row));

  if (passphrase[0] == '\0')
    return FALSE;

  return !self->creating_passphrase || g_str_equal (passphrase, confirmation);
}

static void
passphrase_changed_cb (SottoUnlockPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "unlock.unlock", sotto_unlock_page_is_ready (self));
}

static void
passphrase_activated_cb (SottoUnlockPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "unlock.unlock", NULL);
}

static void
sotto_unlock_page_unlock_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(SottoUnlockPage) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The session's state and error say what comes next. */
  if (sotto_session_unlock_finish (SOTTO_SESSION (object), result, &error))
    {
      /* The passphrase has done its job; keep it out of the widgets. */
      gtk_editable_set_text (GTK_EDITABLE (self->passphrase_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->passphrase_confirm_row), "");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  sotto_unlock_page_set_activity (self, NULL);
}

static void
sotto_unlock_page_unlock (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SottoUnlockPage *self = SOTTO_UNLOCK_PAGE (widget);

  if (self->session == NULL || self->activity != NULL || !sotto_unlock_page_is_ready (self))
    return;

  sotto_unlock_page_set_activity (self, _("Opening your messages…"));
  sotto_session_unlock_async (self->session, gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row)),
                              self->cancellable,
                              sotto_unlock_page_unlock_cb, g_object_ref (self));
}

/**
 * sotto_unlock_page_present:
 * @self: a #SottoUnlockPage
 *
 * Gets the page ready to be shown: the passphrase row takes the focus.
 */
void
sotto_unlock_page_present (SottoUnlockPage *self)
{
  g_return_if_fail (SOTTO_IS_UNLOCK_PAGE (self));

  sotto_unlock_page_update (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->passphrase_row));
}

SottoSession *
sotto_unlock_page_get_session (SottoUnlockPage *self)
{
  g_return_val_if_fail (SOTTO_IS_UNLOCK_PAGE (self), NULL);

  return self->session;
}

void
sotto_unlock_page_set_session (SottoUnlockPage *self,
                               SottoSession    *session)
{
  g_return_if_fail (SOTTO_IS_UNLOCK_PAGE (self));
  g_return_if_fail (session == NULL || SOTTO_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;

  g_signal_group_set_target (self->session_signals, session);
  sotto_unlock_page_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SESSION]);
}

/**
 * sotto_unlock_page_get_activity:
 * @self: a #SottoUnlockPage
 *
 * Returns: (nullable): what the page waits for, in words, or %NULL
 */
const char *
sotto_unlock_page_get_activity (SottoUnlockPage *self)
{
  g_return_val_if_fail (SOTTO_IS_UNLOCK_PAGE (self), NULL);

  return self->activity;
}

static void
sotto_unlock_page_dispose (GObject *object)
{
  SottoUnlockPage *self = (SottoUnlockPage *) object;

  g_cancellable_cancel (self->cancellable);
  g_signal_group_set_target (self->session_signals, NULL);
  g_clear_object (&self->session);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_UNLOCK_PAGE);

  G_OBJECT_CLASS (sotto_unlock_page_parent_class)->dispose (object);
}

static void
sotto_unlock_page_finalize (GObject *object)
{
  SottoUnlockPage *self = (SottoUnlockPage *) object;

  g_clear_object (&self->session_signals);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->activity, g_free);

  G_OBJECT_CLASS (sotto_unlock_page_parent_class)->finalize (object);
}

static void
sotto_unlock_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SottoUnlockPage *self = SOTTO_UNLOCK_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    case PROP_ACTIVITY:
      g_value_set_string (value, self->activity);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_unlock_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SottoUnlockPage *self = SOTTO_UNLOCK_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      sotto_unlock_page_set_session (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_unlock_page_class_init (SottoUnlockPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_unlock_page_dispose;
  object_class->finalize = sotto_unlock_page_finalize;
  object_class->get_property = sotto_unlock_page_get_property;
  object_class->set_property = sotto_unlock_page_set_property;

  /**
   * SottoUnlockPage:session:
   *
   * The session to unlock.
   */
  properties [PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         SOTTO_TYPE_SESSION,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoUnlockPage:activity:
   *
   * What the page waits for, in words, or %NULL.
   */
  properties [PROP_ACTIVITY] =
    g_param_spec_string ("activity", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-unlock-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoUnlockPage, content);
  gtk_widget_class_bind_template_child (widget_class, SottoUnlockPage, passphrase_page);
  gtk_widget_class_bind_template_child (widget_class, SottoUnlockPage, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, SottoUnlockPage, passphrase_confirm_row);
  gtk_widget_class_bind_template_child (widget_class, SottoUnlockPage, passphrase_error);
  gtk_widget_class_bind_template_child (widget_class, SottoUnlockPage, passphrase_button);
  gtk_widget_class_bind_template_callback (widget_class, passphrase_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, passphrase_activated_cb);

  gtk_widget_class_install_action (widget_class, "unlock.unlock", NULL, sotto_unlock_page_unlock);
}

static void
sotto_unlock_page_init (SottoUnlockPage *self)
{
  self->cancellable = g_cancellable_new ();
  self->session_signals = g_signal_group_new (SOTTO_TYPE_SESSION);
  g_signal_group_connect_object (self->session_signals, "notify::error",
                                 G_CALLBACK (sotto_unlock_page_update), self, G_CONNECT_SWAPPED);

  gtk_widget_init_template (GTK_WIDGET (self));
  /* Names what GTK and libadwaita leave unnamed, and ties the error
   * label to the fields it is about. */
  sotto_accessible_name_mnemonic_buttons (GTK_WIDGET (self));
  sotto_accessible_set_up_password_toggle (self->passphrase_row);
  sotto_accessible_set_up_password_toggle (self->passphrase_confirm_row);
  sotto_accessible_describe_field (GTK_WIDGET (self->passphrase_row), GTK_WIDGET (self->passphrase_error));
  sotto_accessible_describe_field (GTK_WIDGET (self->passphrase_confirm_row), GTK_WIDGET (self->passphrase_error));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "unlock.unlock", FALSE);
}
