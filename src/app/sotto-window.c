/* sotto-window.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-chats-page.h"
#include "sotto-error-text.h"
#include "sotto-trust-root-banner.h"
#include "sotto-unlock-page.h"
#include "sotto-welcome-page.h"
#include "sotto-window.h"

/* The window shows a profile's session: the page that fits its state,
 * or what a page waits for.  The session owns the profile's lifecycle;
 * the pages ask it to move on, and the window follows. */

struct _SottoWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  GCancellable *cancellable;
  SottoSession *session;
  guint keyring_source;
  gboolean keyring_slow;

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  GtkLabel *loading_label;
  GtkLabel *loading_reason_label;
  AdwStatusPage *error_page;
  SottoUnlockPage *unlock_page;
  SottoWelcomePage *welcome_page;
  SottoChatsPage *chats_page;  /* made once the settings are known */
  SottoTrustRootBanner *trust_root_banner;
};

G_DEFINE_FINAL_TYPE (SottoWindow, sotto_window, ADW_TYPE_APPLICATION_WINDOW)

static SottoApplication *
sotto_window_get_application (SottoWindow *self)
{
  return SOTTO_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

/* The spinner says what it waits for and, when that takes long, why. */
static void
sotto_window_show_loading (SottoWindow *self,
                           const char  *doing,
                           const char  *reason)
{
  gtk_label_set_label (self->loading_label, doing);
  gtk_label_set_label (self->loading_reason_label, reason != NULL ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->loading_reason_label), reason != NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
}

/* How long opening the profile may take before the window says that it
 * waits for the keyring: with the key there, opening does little else. */
#define KEYRING_PATIENCE_SECONDS 3

static void
sotto_window_update_page (SottoWindow *self)
{
  const char *activity = sotto_session_page_get_activity (SOTTO_SESSION_PAGE (self->unlock_page));
  const GError *error = sotto_session_get_error (self->session);
  const char *shown = gtk_stack_get_visible_child_name (self->main_stack);
  g_autofree char *description = NULL;

  if (activity == NULL)
    activity = sotto_session_page_get_activity (SOTTO_SESSION_PAGE (self->welcome_page));

  if (activity != NULL)
    {
      sotto_window_show_loading (self, activity, NULL);
      return;
    }

  /* Only the first opening, without a passphrase, asks the keyring. */
  if (sotto_session_get_state (self->session) != SOTTO_SESSION_STATE_LOCKED || error != NULL)
    {
      g_clear_handle_id (&self->keyring_source, g_source_remove);
      self->keyring_slow = FALSE;
    }

  switch (sotto_session_get_state (self->session))
    {
    case SOTTO_SESSION_STATE_LOCKED:
      /* Locked for want of a passphrase, or still being opened. */
      if (error == NULL && self->keyring_slow)
        sotto_window_show_loading (self, _("Waiting for the keyring…"),
                                   _("Sotto keeps the key to your messages in your keyring, which has "
                                     "not answered yet. If your system asks for your password, enter it "
                                     "to unlock the keyring."));
      else if (error == NULL)
        sotto_window_show_loading (self, _("Opening your messages…"), NULL);
      else if (g_strcmp0 (shown, "passphrase") != 0)
        {
          gtk_stack_set_visible_child_name (self->main_stack, "passphrase");
          sotto_unlock_page_present (self->unlock_page);
        }
      else
        sotto_unlock_page_present (self->unlock_page);
      break;

    case SOTTO_SESSION_STATE_UNREGISTERED:
      if (g_strcmp0 (shown, "welcome") != 0)
        {
          gtk_stack_set_visible_child_name (self->main_stack, "welcome");
          sotto_welcome_page_present (self->welcome_page);
        }
      break;

    case SOTTO_SESSION_STATE_CONNECTING:
    case SOTTO_SESSION_STATE_ONLINE:
    case SOTTO_SESSION_STATE_OFFLINE:
      gtk_stack_set_visible_child_name (self->main_stack, "chats");
      break;

    case SOTTO_SESSION_STATE_FAILED:
      description = sotto_error_text_general (error);
      adw_status_page_set_description (self->error_page, description);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
sotto_window_connect_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The session keeps trying, and its state shows how it goes. */
  if (!sotto_session_connect_finish (SOTTO_SESSION (object), result, &error))
    g_debug ("Not connected yet: %s", error->message);
}

/* An account that is there goes online, and stays. */
static void
sotto_window_messenger_cb (SottoWindow *self)
{
  sotto_trust_root_banner_set_messenger (self->trust_root_banner, sotto_session_get_messenger (self->session));
  if (sotto_session_get_messenger (self->session) != NULL)
    sotto_session_connect_async (self->session, self->cancellable, sotto_window_connect_cb, NULL);
}

static void
sotto_window_unlock_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The session's state says what the window shows next. */
  if (!sotto_session_unlock_finish (SOTTO_SESSION (object), result, &error))
    g_debug ("The profile is not open: %s", error->message);
}

/* Actions */

/* The window's actions, which the shortcuts, the help overlay and the
 * pages' own widgets name, are those of its pages. */
static const struct
{
  const char *name;
  gsize page_offset;
  const char *page_action;
} forwarded_actions[] = {
  { "win.unlock", G_STRUCT_OFFSET (SottoWindow, unlock_page), "unlock.unlock" },
  { "win.register", G_STRUCT_OFFSET (SottoWindow, welcome_page), "welcome.register" },
  { "win.choose-relay-ca", G_STRUCT_OFFSET (SottoWindow, welcome_page), "welcome.choose-relay-ca" },
  { "win.set-relay-ca", G_STRUCT_OFFSET (SottoWindow, welcome_page), "welcome.set-relay-ca" },
  { "win.clear-relay-ca", G_STRUCT_OFFSET (SottoWindow, welcome_page), "welcome.clear-relay-ca" },
  { "win.new-conversation", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.new-conversation" },
  { "win.new-group", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.new-group" },
  { "win.search", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.search" },
  { "win.show-sidebar", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.show-sidebar" },
  { "win.previous-conversation", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.previous-conversation" },
  { "win.next-conversation", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.next-conversation" },
  { "win.conversation-at", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.conversation-at" },
  { "win.undo-block", G_STRUCT_OFFSET (SottoWindow, chats_page), "chats.undo-block" },
};

static void
sotto_window_forward_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  for (guint i = 0; i < G_N_ELEMENTS (forwarded_actions); i++)
    {
      if (g_str_equal (action_name, forwarded_actions[i].name))
        {
          GtkWidget *page = G_STRUCT_MEMBER (GtkWidget *, widget, forwarded_actions[i].page_offset);

          gtk_widget_activate_action_variant (page, forwarded_actions[i].page_action, parameter);
          return;
        }
    }

  g_assert_not_reached ();
}

/* GObject */

/* A closed window leaves its application before the callbacks of what it
 * started (which hold it alive) return: they are cancelled then, so that
 * none of them shows anything in a window that is gone.  (GTK 4.8 does
 * not notify the window's application property when it is destroyed.) */
static void
sotto_window_removed_cb (SottoWindow *self,
                         GtkWindow   *window)
{
  if (window == GTK_WINDOW (self))
    g_cancellable_cancel (self->cancellable);
}

/* The keyring answers at once when it is there and unlocked; one that
 * does not may be locked behind a password prompt, or stuck, and the
 * user learns which wait this is instead of watching a spinner. */
static gboolean
sotto_window_keyring_slow_cb (gpointer user_data)
{
  SottoWindow *self = user_data;

  self->keyring_source = 0;
  self->keyring_slow = TRUE;
  sotto_window_update_page (self);

  return G_SOURCE_REMOVE;
}

/* Runs once the window belongs to the application, whose profile it
 * opens; the "application" property is set only after construction. */
static void
sotto_window_start (SottoWindow *self)
{
  SottoApplication *application = sotto_window_get_application (self);

  /* The window remembers its size between runs; binding the properties
   * keeps the settings current without a save step on close.  A window
   * must stay usable even where the keys are locked down, hence
   * NO_SENSITIVITY. */
  self->settings = g_object_ref (sotto_application_get_settings (application));
  g_settings_bind (self->settings, "window-width", self, "default-width",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_NO_SENSITIVITY);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_NO_SENSITIVITY);
  g_settings_bind (self->settings, "window-maximized", self, "maximized",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_NO_SENSITIVITY);

  g_signal_connect_object (application, "window-removed",
                           G_CALLBACK (sotto_window_removed_cb), self, G_CONNECT_SWAPPED);

  self->session = sotto_session_new (sotto_application_get_profile (application));
  g_signal_connect_object (self->session, "notify::state",
                           G_CALLBACK (sotto_window_update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::error",
                           G_CALLBACK (sotto_window_update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::messenger",
                           G_CALLBACK (sotto_window_messenger_cb), self, G_CONNECT_SWAPPED);
  /* The chats page follows the profile's settings, which the window has
   * only now. */
  self->chats_page = SOTTO_CHATS_PAGE (sotto_chats_page_new (self->settings));
  gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->chats_page), "chats");
  sotto_session_page_set_session (SOTTO_SESSION_PAGE (self->unlock_page), self->session);
  sotto_session_page_set_session (SOTTO_SESSION_PAGE (self->welcome_page), self->session);
  sotto_chats_page_set_session (self->chats_page, self->session);

  sotto_window_update_page (self);
  self->keyring_source = g_timeout_add_seconds (KEYRING_PATIENCE_SECONDS, sotto_window_keyring_slow_cb, self);
  sotto_session_unlock_async (self->session, NULL, self->cancellable, sotto_window_unlock_cb, NULL);
}

static void
sotto_window_dispose (GObject *object)
{
  SottoWindow *self = (SottoWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->keyring_source, g_source_remove);

  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      sotto_session_disconnect (self->session);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_WINDOW);

  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_window_parent_class)->dispose (object);
}

static void
sotto_window_class_init (SottoWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_window_dispose;

  g_type_ensure (SOTTO_TYPE_UNLOCK_PAGE);
  g_type_ensure (SOTTO_TYPE_WELCOME_PAGE);
  g_type_ensure (SOTTO_TYPE_TRUST_ROOT_BANNER);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, loading_reason_label);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, unlock_page);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, trust_root_banner);

  gtk_widget_class_install_action (widget_class, "win.unlock", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.register", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.choose-relay-ca", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.set-relay-ca", "s", sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.clear-relay-ca", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.new-group", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.previous-conversation", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.next-conversation", NULL, sotto_window_forward_action);
  gtk_widget_class_install_action (widget_class, "win.conversation-at", "i", sotto_window_forward_action);
  /* From the toast that says a contact was blocked, above the pages. */
  gtk_widget_class_install_action (widget_class, "win.undo-block", "s", sotto_window_forward_action);
  /* Nine bindings of one action with a parameter: the shortcuts window
   * lists them as one range of keys. */
  for (int number = 1; number <= 9; number++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + number, GDK_ALT_MASK,
                                         "win.conversation-at", "i", number);
}

static void
sotto_window_init (SottoWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  if (g_strcmp0 (PROFILE, "development") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  sotto_accessible_name_page_scrollers (GTK_WIDGET (self));

  /* A page that waits for the session shows the spinner. */
  g_signal_connect_object (self->unlock_page, "notify::activity",
                           G_CALLBACK (sotto_window_update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->welcome_page, "notify::activity",
                           G_CALLBACK (sotto_window_update_page), self, G_CONNECT_SWAPPED);
}

SottoWindow *
sotto_window_new (SottoApplication *application)
{
  SottoWindow *self;

  g_return_val_if_fail (SOTTO_IS_APPLICATION (application), NULL);

  self = g_object_new (SOTTO_TYPE_WINDOW,
                       "application", application,
                       NULL);
  sotto_window_start (self);

  return self;
}

/**
 * sotto_window_get_session:
 * @self: a #SottoWindow
 *
 * Returns: (transfer none): the session the window shows
 */
SottoSession *
sotto_window_get_session (SottoWindow *self)
{
  g_return_val_if_fail (SOTTO_IS_WINDOW (self), NULL);

  return self->session;
}

/**
 * sotto_window_get_messenger:
 * @self: a #SottoWindow
 *
 * Returns: (transfer none) (nullable): the messenger of the session's
 *   account, once there is one
 */
SottoMessenger *
sotto_window_get_messenger (SottoWindow *self)
{
  g_return_val_if_fail (SOTTO_IS_WINDOW (self), NULL);

  return self->session != NULL ? sotto_session_get_messenger (self->session) : NULL;
}

/**
 * sotto_window_open_conversation:
 * @self: a #SottoWindow
 * @uuid: the contact's account UUID
 *
 * Shows the conversation with the contact, as a notification asks.
 *
 * Returns: whether there is such a conversation
 */
gboolean
sotto_window_open_conversation (SottoWindow *self,
                                const char  *uuid)
{
  g_return_val_if_fail (SOTTO_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  return sotto_chats_page_open_conversation (self->chats_page, uuid);
}

/**
 * sotto_window_open_group:
 * @self: a #SottoWindow
 * @id: the group's id
 *
 * Shows the group's conversation, as a notification asks.
 *
 * Returns: whether there is such a group
 */
gboolean
sotto_window_open_group (SottoWindow *self,
                         const char  *id)
{
  g_return_val_if_fail (SOTTO_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  return sotto_chats_page_open_group (self->chats_page, id);
}
