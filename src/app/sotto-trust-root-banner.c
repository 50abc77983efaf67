/* sotto-trust-root-banner.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-trust-root-banner"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-error-text.h"
#include "sotto-trust-root-banner.h"

/* The banner over the window while the relay presents a sealed sender
 * trust root other than the pinned one (SottoMessenger:trust-root-conflict).
 * The messenger never takes such a root by itself (docs/threat-model.md,
 * "Where clients get the trust root"): until the user does, messages go
 * with the sender visible to the relay and sealed messages under the new
 * root wait there.  The banner says so, and Review opens the one way to
 * take the new root: a dialog that shows both keys, as the operator's
 * tool prints them, and pins the new one only once the user said they
 * compared it with what the operator gave them. */

struct _SottoTrustRootBanner
{
  GtkWidget parent_instance;

  SottoMessenger *messenger;
  GSignalGroup *messenger_signals;
  GCancellable *cancellable;

  /* The dialog while it is open, and the root it offers. */
  AdwMessageDialog *dialog;  /* weak */
  char *offered_root;

  GtkRevealer *revealer;
  GtkLabel *label;
};

enum {
  PROP_0,
  PROP_MESSENGER,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoTrustRootBanner, sotto_trust_root_banner, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static const char *
sotto_trust_root_banner_get_conflict (SottoTrustRootBanner *self)
{
  return self->messenger != NULL ? sotto_messenger_get_trust_root_conflict (self->messenger) : NULL;
}

static void
sotto_trust_root_banner_update (SottoTrustRootBanner *self)
{
  const char *conflict = sotto_trust_root_banner_get_conflict (self);

  gtk_label_set_label (self->label,
                       _("The relay presents a new sealed sender trust root. Until you review it, the relay "
                         "sees who sends your messages, and messages sealed under the new root wait there."));
  gtk_revealer_set_reveal_child (self->revealer, conflict != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "trust-root.review", conflict != NULL);

  /* A dialog about a root the relay no longer presents offers nothing. */
  if (self->dialog != NULL && g_strcmp0 (conflict, self->offered_root) != 0)
    gtk_window_close (GTK_WINDOW (self->dialog));
}

/* @key, base64, in groups of four characters, as easier to compare. */
static char *
format_key (const char *key)
{
  GString *grouped = g_string_new (NULL);

  for (gsize i = 0; key[i] != '\0'; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (grouped, ' ');
      g_string_append_c (grouped, key[i]);
    }

  return g_string_free (grouped, FALSE);
}

static void
sotto_trust_root_banner_pinned_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(SottoTrustRootBanner) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *message = NULL;

  /* Done: the messenger says the conflict is over, which hides the
   * banner. */
  if (sotto_messenger_pin_trust_root_finish (SOTTO_MESSENGER (object), result, &error)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  reason = sotto_error_text_general (error);
  /* Translators: %s says why, in a full sentence of its own */
  message = g_strdup_printf (_("The new trust root could not be pinned. %s"), reason);
  gtk_label_set_label (self->label, message);
}

static void
sotto_trust_root_banner_response_cb (SottoTrustRootBanner *self,
                                     const char           *response)
{
  if (!g_str_equal (response, "pin") || self->messenger == NULL || self->offered_root == NULL
      || g_strcmp0 (sotto_trust_root_banner_get_conflict (self), self->offered_root) != 0)
    return;

  sotto_messenger_pin_trust_root_async (self->messenger, self->offered_root, self->cancellable,
                                        sotto_trust_root_banner_pinned_cb, g_object_ref (self));
}

static void
sotto_trust_root_banner_compared_cb (GtkCheckButton   *check,
                                     AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "pin", gtk_check_button_get_active (check));
}

/* A key under its heading, selectable, for the dialog. */
static GtkWidget *
key_box_new (const char *heading,
             const char *key)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *title = gtk_label_new (heading);
  g_autofree char *grouped = format_key (key);
  GtkWidget *value = gtk_label_new (grouped);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_label_set_wrap (GTK_LABEL (value), TRUE);
  gtk_label_set_selectable (GTK_LABEL (value), TRUE);
  gtk_widget_add_css_class (value, "monospace");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (value),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, title, NULL,
                                  -1);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), value);

  return box;
}

static void
sotto_trust_root_banner_review (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  SottoTrustRootBanner *self = SOTTO_TRUST_ROOT_BANNER (widget);
  const char *conflict = sotto_trust_root_banner_get_conflict (self);
  g_autofree char *pinned = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *box;
  GtkWidget *check;

  if (conflict == NULL)
    return;

  if (self->dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->dialog));
      return;
    }

  g_free (self->offered_root);
  self->offered_root = g_strdup (conflict);
  pinned = sotto_messenger_dup_trust_root (self->messenger);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                                       _("Pin the Relay’s New Trust Root?"),
                                                       _("Sender certificates from the relay now chain to a trust "
                                                         "root other than the one pinned for this profile. Pin "
                                                         "the new root only if the relay’s operator told you they "
                                                         "changed it, and it is the key they gave you: a relay "
                                                         "that was taken over could present a root of its own.")));

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  if (pinned != NULL)
    gtk_box_append (GTK_BOX (box), key_box_new (_("Pinned Root"), pinned));
  gtk_box_append (GTK_BOX (box), key_box_new (_("Root the Relay Presents"), conflict));
  check = gtk_check_button_new_with_mnemonic (_("I _compared it with the key from the relay’s operator"));
  g_signal_connect (check, "toggled", G_CALLBACK (sotto_trust_root_banner_compared_cb), dialog);
  gtk_box_append (GTK_BOX (box), check);
  adw_message_dialog_set_extra_child (dialog, box);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Keep Pinned Root"),
                                    "pin", _("_Pin New Root"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "pin", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (dialog, "pin", FALSE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (sotto_trust_root_banner_response_cb),
                           self, G_CONNECT_SWAPPED);

  self->dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->dialog);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sotto_trust_root_banner_dispose (GObject *object)
{
  SottoTrustRootBanner *self = (SottoTrustRootBanner *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
      gtk_window_destroy (GTK_WINDOW (self->dialog));
      self->dialog = NULL;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_TRUST_ROOT_BANNER);

  g_clear_object (&self->messenger_signals);
  g_clear_object (&self->messenger);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->offered_root, g_free);

  G_OBJECT_CLASS (sotto_trust_root_banner_parent_class)->dispose (object);
}

static void
sotto_trust_root_banner_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  SottoTrustRootBanner *self = SOTTO_TRUST_ROOT_BANNER (object);

  switch (prop_id)
    {
    case PROP_MESSENGER:
      g_value_set_object (value, self->messenger);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_trust_root_banner_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  SottoTrustRootBanner *self = SOTTO_TRUST_ROOT_BANNER (object);

  switch (prop_id)
    {
    case PROP_MESSENGER:
      sotto_trust_root_banner_set_messenger (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_trust_root_banner_class_init (SottoTrustRootBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_trust_root_banner_dispose;
  object_class->get_property = sotto_trust_root_banner_get_property;
  object_class->set_property = sotto_trust_root_banner_set_property;

  /**
   * SottoTrustRootBanner:messenger:
   *
   * The messenger whose relay's trust root the banner watches.
   */
  properties [PROP_MESSENGER] =
    g_param_spec_object ("messenger", NULL, NULL,
                         SOTTO_TYPE_MESSENGER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-trust-root-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoTrustRootBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, SottoTrustRootBanner, label);

  gtk_widget_class_install_action (widget_class, "trust-root.review", NULL, sotto_trust_root_banner_review);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "trustrootbanner");
}

static void
sotto_trust_root_banner_init (SottoTrustRootBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->messenger_signals = g_signal_group_new (SOTTO_TYPE_MESSENGER);
  g_signal_group_connect_object (self->messenger_signals, "notify::trust-root-conflict",
                                 G_CALLBACK (sotto_trust_root_banner_update), self, G_CONNECT_SWAPPED);
  sotto_trust_root_banner_update (self);
}

SottoMessenger *
sotto_trust_root_banner_get_messenger (SottoTrustRootBanner *self)
{
  g_return_val_if_fail (SOTTO_IS_TRUST_ROOT_BANNER (self), NULL);

  return self->messenger;
}

void
sotto_trust_root_banner_set_messenger (SottoTrustRootBanner *self,
                                       SottoMessenger       *messenger)
{
  g_return_if_fail (SOTTO_IS_TRUST_ROOT_BANNER (self));
  g_return_if_fail (messenger == NULL || SOTTO_IS_MESSENGER (messenger));

  if (!g_set_object (&self->messenger, messenger))
    return;

  g_signal_group_set_target (self->messenger_signals, messenger);
  sotto_trust_root_banner_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MESSENGER]);
}
