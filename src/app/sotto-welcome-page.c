/* sotto-welcome-page.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-welcome-page"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-error-text.h"
#include "sotto-relay-address.h"
#include "sotto-welcome-page.h"

/* The first page of a new profile: a username, a relay and what the
 * relay may ask for (an invite token, a private certificate authority,
 * the sealed sender trust root its operator gives out).  It registers
 * the session's account; the window moves on when the session's state
 * does.  Without a trust root given, the messenger pins the relay's
 * when it first connects (docs/threat-model.md). */

/* How long the user stops typing before a username too short is said
 * to be: an error while the first characters are typed would only get
 * in the way.  A character no username has is said at once. */
#define USERNAME_CHECK_DELAY_MS 800

/* Shorter than this, a username may be on its way to a valid one. */
#define USERNAME_MIN_LENGTH 3

/* A CA bundle as big as a whole system store is a few hundred KiB;
 * anything far beyond that is not a CA file, and would only be kept in
 * the profile for nothing. */
#define RELAY_CA_MAX_BYTES (1024 * 1024)

struct _SottoWelcomePage
{
  SottoSessionPage parent_instance;

  guint username_check_source;
  char *relay_ca;  /* the PEM text of the chosen CA file, or NULL */

  GtkWidget *content;  /* bound, so that disposing the template unparents it */
  AdwEntryRow *username_row;
  GtkWidget *username_problem_row;
  GtkLabel *username_problem;
  AdwEntryRow *relay_row;
  AdwPasswordEntryRow *token_row;
  AdwActionRow *relay_ca_row;
  GtkButton *relay_ca_clear_button;
  AdwEntryRow *trust_root_row;
  GtkLabel *welcome_error;
};

G_DEFINE_FINAL_TYPE (SottoWelcomePage, sotto_welcome_page, SOTTO_TYPE_SESSION_PAGE)

static void
sotto_welcome_page_show_error (SottoWelcomePage *self,
                               const char       *message)
{
  gtk_label_set_label (self->welcome_error, message != NULL ? message : "");
}

/* Says under the username field what is wrong with it, or nothing. */
static void
sotto_welcome_page_show_username_problem (SottoWelcomePage *self,
                                          const char       *problem)
{
  gtk_label_set_label (self->username_problem, problem != NULL ? problem : "");
  gtk_widget_set_visible (self->username_problem_row, problem != NULL);
}

/* Says what is wrong with the username, as the relay would find it;
 * one that is short may still be being typed, and is left alone unless
 * @now. */
static gboolean
sotto_welcome_page_check_username (SottoWelcomePage *self,
                                   gboolean          now)
{
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  g_autofree char *problem = sotto_error_text_username (username);

  if (now || g_utf8_strlen (username, -1) >= USERNAME_MIN_LENGTH)
    sotto_welcome_page_show_username_problem (self, problem);
  else
    sotto_welcome_page_show_username_problem (self, NULL);

  return problem == NULL;
}

static gboolean
sotto_welcome_page_username_paused_cb (gpointer user_data)
{
  SottoWelcomePage *self = user_data;

  self->username_check_source = 0;
  if (gtk_editable_get_text (GTK_EDITABLE (self->username_row))[0] != '\0')
    sotto_welcome_page_check_username (self, TRUE);

  return G_SOURCE_REMOVE;
}

/* Register takes a username the relay would take, and a relay. */
static gboolean
sotto_welcome_page_is_filled (SottoWelcomePage *self)
{
  return sotto_messenger_username_is_valid (gtk_editable_get_text (GTK_EDITABLE (self->username_row)))
         && gtk_editable_get_text (GTK_EDITABLE (self->relay_row))[0] != '\0';
}

static void
welcome_changed_cb (SottoWelcomePage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.register", sotto_welcome_page_is_filled (self));

  sotto_welcome_page_show_error (self, NULL);
  g_clear_handle_id (&self->username_check_source, g_source_remove);
  if (!sotto_welcome_page_check_username (self, FALSE)
      && gtk_editable_get_text (GTK_EDITABLE (self->username_row))[0] != '\0')
    self->username_check_source = g_timeout_add (USERNAME_CHECK_DELAY_MS,
                                                 sotto_welcome_page_username_paused_cb, self);
}

/* Enter registers, or says at once why it cannot. */
static void
welcome_activated_cb (SottoWelcomePage *self)
{
  g_clear_handle_id (&self->username_check_source, g_source_remove);
  if (gtk_editable_get_text (GTK_EDITABLE (self->username_row))[0] != '\0')
    sotto_welcome_page_check_username (self, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (self), "welcome.register", NULL);
}

/* The trust root the operator gave, or %NULL when the field is empty. */
static const char *
sotto_welcome_page_get_trust_root (SottoWelcomePage *self)
{
  const char *trust_root = gtk_editable_get_text (GTK_EDITABLE (self->trust_root_row));

  return trust_root[0] != '\0' ? trust_root : NULL;
}

static void
sotto_welcome_page_pinned_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Only the store can fail here; the messenger then pins the relay's
   * root instead, and warns if it is another. */
  if (!sotto_messenger_pin_trust_root_finish (SOTTO_MESSENGER (object), result, &error))
    g_message ("Could not pin the sealed sender trust root: %s", error->message);
}

static void
sotto_welcome_page_register_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(SottoWelcomePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *relay = NULL;
  g_autofree char *message = NULL;

  if (sotto_session_register_finish (SOTTO_SESSION (object), result, &error))
    {
      const char *trust_root = sotto_welcome_page_get_trust_root (self);

      /* Pinned before the messenger first asks the relay for its root,
       * which goes over the network while this is queued on the store. */
      if (trust_root != NULL)
        sotto_messenger_pin_trust_root_async (sotto_session_get_messenger (SOTTO_SESSION (object)), trust_root,
                                              NULL, sotto_welcome_page_pinned_cb, NULL);

      /* The token has done its job; keep it out of the widgets. */
      gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
      sotto_session_page_set_activity (SOTTO_SESSION_PAGE (self), NULL);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  relay = sotto_relay_address_complete (gtk_editable_get_text (GTK_EDITABLE (self->relay_row)));
  message = sotto_error_text_describe (error, relay, gtk_editable_get_text (GTK_EDITABLE (self->username_row)));
  sotto_welcome_page_show_error (self, message);
  sotto_session_page_set_activity (SOTTO_SESSION_PAGE (self), NULL);
}

static void
sotto_welcome_page_register (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  SottoWelcomePage *self = SOTTO_WELCOME_PAGE (widget);
  SottoSessionPage *page = SOTTO_SESSION_PAGE (widget);
  SottoSession *session = sotto_session_page_get_session (page);
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  g_autofree char *relay = sotto_relay_address_complete (gtk_editable_get_text (GTK_EDITABLE (self->relay_row)));
  g_autofree char *doing = NULL;
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  const char *trust_root;

  g_clear_handle_id (&self->username_check_source, g_source_remove);
  if (session == NULL || sotto_session_page_get_activity (page) != NULL || !sotto_welcome_page_is_filled (self))
    return;

  trust_root = sotto_welcome_page_get_trust_root (self);
  if (trust_root != NULL && !sotto_messenger_trust_root_is_valid (trust_root))
    {
      sotto_welcome_page_show_error (self, _("The sealed sender trust root is a key of 44 characters, as your "
                                             "relay’s operator gave it. Leave the field empty if you have none."));
      return;
    }

  doing = g_strdup_printf (_("Creating the account %s on %s…"), username, relay);
  sotto_session_page_set_activity (page, doing);
  sotto_session_register_async (session, relay, username, token[0] != '\0' ? token : NULL, self->relay_ca,
                                sotto_session_page_get_cancellable (page),
                                sotto_welcome_page_register_cb, g_object_ref (self));
}

static void
sotto_welcome_page_show_relay_ca (SottoWelcomePage *self,
                                  const char       *file_name)
{
  adw_action_row_set_subtitle (self->relay_ca_row, file_name != NULL ? file_name : "");
  gtk_widget_set_visible (GTK_WIDGET (self->relay_ca_clear_button), file_name != NULL);
}

/* Keeps the certificates in the file at @parameter's path for the next
 * registration; the engine says whether they are certificates, since it
 * is the one that parses them. */
static void
sotto_welcome_page_set_relay_ca (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  SottoWelcomePage *self = SOTTO_WELCOME_PAGE (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  g_autofree char *display_name = g_filename_display_basename (path);
  g_autofree char *contents = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_autofree char *reason = sotto_error_text_general (error);

      /* Translators: the first %s is a file name; the second says why,
       * in a sentence of the system's own */
      message = g_strdup_printf (_("Cannot read the certificate authority %s. %s"), display_name, reason);
    }
  else if (length > RELAY_CA_MAX_BYTES)
    message = g_strdup_printf (_("The certificate authority %s is too big to be one."), display_name);

  if (message != NULL)
    {
      sotto_welcome_page_show_error (self, message);
      return;
    }

  g_free (self->relay_ca);
  self->relay_ca = g_steal_pointer (&contents);
  sotto_welcome_page_show_relay_ca (self, display_name);
  sotto_welcome_page_show_error (self, NULL);
}

static void
sotto_welcome_page_clear_relay_ca (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  SottoWelcomePage *self = SOTTO_WELCOME_PAGE (widget);

  g_clear_pointer (&self->relay_ca, g_free);
  sotto_welcome_page_show_relay_ca (self, NULL);
}

static void
sotto_welcome_page_relay_ca_chosen_cb (GtkNativeDialog  *dialog,
                                       int               response,
                                       SottoWelcomePage *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "welcome.set-relay-ca", "s", path);

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
sotto_welcome_page_choose_relay_ca (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  SottoWelcomePage *self = SOTTO_WELCOME_PAGE (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) certificates = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all_files = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Choose the Relay’s Certificate Authority"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (certificates, _("PEM Certificates"));
  gtk_file_filter_add_pattern (certificates, "*.pem");
  gtk_file_filter_add_pattern (certificates, "*.crt");
  gtk_file_filter_add_mime_type (certificates, "application/x-x509-ca-cert");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), certificates);
  gtk_file_filter_set_name (all_files, _("All Files"));
  gtk_file_filter_add_pattern (all_files, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all_files);

  g_signal_connect_object (chooser, "response", G_CALLBACK (sotto_welcome_page_relay_ca_chosen_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/**
 * sotto_welcome_page_present:
 * @self: a #SottoWelcomePage
 *
 * Gets the page ready to be shown: the username row takes the focus.
 */
void
sotto_welcome_page_present (SottoWelcomePage *self)
{
  const char *relay = g_getenv ("SOTTO_DEFAULT_RELAY");

  g_return_if_fail (SOTTO_IS_WELCOME_PAGE (self));

  /* The demo script starts a local relay and passes its address on. */
  if (relay != NULL && gtk_editable_get_text (GTK_EDITABLE (self->relay_row))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->relay_row), relay);

  gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
}

static void
sotto_welcome_page_dispose (GObject *object)
{
  SottoWelcomePage *self = (SottoWelcomePage *) object;

  /* Nothing on its way comes back to the fields about to go. */
  g_cancellable_cancel (sotto_session_page_get_cancellable (SOTTO_SESSION_PAGE (self)));
  g_clear_handle_id (&self->username_check_source, g_source_remove);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_WELCOME_PAGE);

  G_OBJECT_CLASS (sotto_welcome_page_parent_class)->dispose (object);
}

static void
sotto_welcome_page_finalize (GObject *object)
{
  SottoWelcomePage *self = (SottoWelcomePage *) object;

  g_clear_pointer (&self->relay_ca, g_free);

  G_OBJECT_CLASS (sotto_welcome_page_parent_class)->finalize (object);
}

static void
sotto_welcome_page_class_init (SottoWelcomePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_welcome_page_dispose;
  object_class->finalize = sotto_welcome_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-welcome-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, content);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, username_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, username_problem_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, username_problem);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, relay_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, token_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, relay_ca_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, relay_ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, trust_root_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWelcomePage, welcome_error);
  gtk_widget_class_bind_template_callback (widget_class, welcome_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, welcome_activated_cb);

  gtk_widget_class_install_action (widget_class, "welcome.register", NULL, sotto_welcome_page_register);
  gtk_widget_class_install_action (widget_class, "welcome.choose-relay-ca", NULL, sotto_welcome_page_choose_relay_ca);
  gtk_widget_class_install_action (widget_class, "welcome.set-relay-ca", "s", sotto_welcome_page_set_relay_ca);
  gtk_widget_class_install_action (widget_class, "welcome.clear-relay-ca", NULL, sotto_welcome_page_clear_relay_ca);
}

static void
sotto_welcome_page_init (SottoWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Names what GTK and libadwaita leave unnamed, and ties the error
   * label to the fields it is about. */
  sotto_accessible_name_mnemonic_buttons (GTK_WIDGET (self));
  sotto_accessible_set_up_password_toggle (self->token_row);
  sotto_accessible_describe_field (GTK_WIDGET (self->username_row), GTK_WIDGET (self->username_problem));
  sotto_accessible_describe_field (GTK_WIDGET (self->relay_row), GTK_WIDGET (self->welcome_error));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.register", FALSE);
}
