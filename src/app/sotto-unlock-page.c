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
  SottoSessionPage parent_instance;

  gboolean creating_passphrase;

  GtkWidget *content;  /* bound, so that disposing the template unparents it */
  AdwStatusPage *passphrase_page;
  AdwPasswordEntryRow *passphrase_row;
  AdwPasswordEntryRow *passphrase_confirm_row;
  GtkLabel *passphrase_error;
  GtkButton *passphrase_button;
};

G_DEFINE_FINAL_TYPE (SottoUnlockPage, sotto_unlock_page, SOTTO_TYPE_SESSION_PAGE)

/* What the page asks for follows the session: a passphrase to create,
 * or the profile's, and why the last one did not do. */
static void
sotto_unlock_page_update (SottoSessionPage *page)
{
  SottoUnlockPage *self = SOTTO_UNLOCK_PAGE (page);
  SottoSession *session = sotto_session_page_get_session (page);
  const GError *error = session != NULL ? sotto_session_get_error (session) : NULL;
  gboolean wrong = g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE);

  if (session == NULL)
    return;

  self->creating_passphrase = !sotto_store_exists (sotto_session_get_profile (session));

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

  sotto_session_page_set_activity (SOTTO_SESSION_PAGE (self), NULL);
}

static void
sotto_unlock_page_unlock (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SottoUnlockPage *self = SOTTO_UNLOCK_PAGE (widget);
  SottoSessionPage *page = SOTTO_SESSION_PAGE (widget);
  SottoSession *session = sotto_session_page_get_session (page);

  if (session == NULL || sotto_session_page_get_activity (page) != NULL || !sotto_unlock_page_is_ready (self))
    return;

  sotto_session_page_set_activity (page, _("Opening your messages…"));
  sotto_session_unlock_async (session, gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row)),
                              sotto_session_page_get_cancellable (page),
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

  sotto_unlock_page_update (SOTTO_SESSION_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->passphrase_row));
}

static void
sotto_unlock_page_dispose (GObject *object)
{
  /* Nothing on its way comes back to the fields about to go. */
  g_cancellable_cancel (sotto_session_page_get_cancellable (SOTTO_SESSION_PAGE (object)));
  gtk_widget_dispose_template (GTK_WIDGET (object), SOTTO_TYPE_UNLOCK_PAGE);

  G_OBJECT_CLASS (sotto_unlock_page_parent_class)->dispose (object);
}

static void
sotto_unlock_page_class_init (SottoUnlockPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SottoSessionPageClass *page_class = SOTTO_SESSION_PAGE_CLASS (klass);

  object_class->dispose = sotto_unlock_page_dispose;
  page_class->session_changed = sotto_unlock_page_update;

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
