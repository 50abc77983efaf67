/* sotto-safety-number-dialog.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-safety-number-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-contact-label.h"
#include "sotto-qr-code.h"
#include "sotto-safety-number-dialog.h"

#define GROUP_DIGITS 5
#define GROUPS_PER_ROW 4

struct _SottoSafetyNumberDialog
{
  AdwWindow parent_instance;

  SottoContact *contact;
  GCancellable *cancellable;

  AdwToastOverlay *toast_overlay;
  GtkLabel *explanation;
  GtkGrid *digits_grid;
  SottoQrCode *qr_code;
  GtkRevealer *result_revealer;
  GtkImage *result_icon;
  GtkLabel *result_label;
  GtkButton *copy_button;
  GtkButton *compare_button;
  GtkSwitch *verified_switch;
};

enum {
  PROP_0,
  PROP_CONTACT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoSafetyNumberDialog, sotto_safety_number_dialog, ADW_TYPE_WINDOW)

static GParamSpec *properties [N_PROPS];

static void verified_switch_notify_active_cb (SottoSafetyNumberDialog *self);

/* Screen readers do not read toasts: they hear the message too. */
static void
sotto_safety_number_dialog_add_toast (SottoSafetyNumberDialog *self,
                                      const char              *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
  sotto_accessible_announce (GTK_WIDGET (self), message);
}

static void
sotto_safety_number_dialog_show_result (SottoSafetyNumberDialog *self,
                                        gboolean                 success,
                                        const char              *message)
{
  GtkWidget *box = gtk_widget_get_parent (GTK_WIDGET (self->result_label));

  gtk_image_set_from_icon_name (self->result_icon,
                                success ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  gtk_label_set_label (self->result_label, message);
  sotto_accessible_announce (GTK_WIDGET (self), message);

  gtk_widget_remove_css_class (box, success ? "error" : "success");
  gtk_widget_add_css_class (box, success ? "success" : "error");
  gtk_revealer_set_reveal_child (self->result_revealer, TRUE);
}

static void
sotto_safety_number_dialog_update_digits (SottoSafetyNumberDialog *self)
{
  const char *digits = sotto_contact_get_safety_number (self->contact);
  GBytes *scannable = sotto_contact_get_scannable_safety_number (self->contact);
  g_autofree char *grouped = NULL;
  g_autofree char *description = NULL;
  GtkWidget *child;
  guint group = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->digits_grid))) != NULL)
    gtk_grid_remove (self->digits_grid, child);

  sotto_qr_code_set_data (self->qr_code, scannable);
  gtk_revealer_set_reveal_child (self->result_revealer, FALSE);

  if (digits == NULL)
    {
      sotto_accessible_set_description (GTK_WIDGET (self->digits_grid), NULL);
      sotto_accessible_set_description (GTK_WIDGET (self), gtk_label_get_label (self->explanation));
      return;
    }

  for (const char *p = digits; *p != '\0'; p += GROUP_DIGITS, group++)
    {
      g_autofree char *text = g_strndup (p, GROUP_DIGITS);
      GtkWidget *label = gtk_label_new (text);

      gtk_widget_add_css_class (label, "monospace");
      gtk_grid_attach (self->digits_grid, label,
                       group % GROUPS_PER_ROW, group / GROUPS_PER_ROW, 1, 1);
    }

  /* Read in the groups of five that both people read aloud, not as
   * one number of 60 digits; and with the explanation as the dialog's
   * description, a screen reader says both when the dialog opens. */
  grouped = sotto_contact_format_safety_number (digits);
  sotto_accessible_set_description (GTK_WIDGET (self->digits_grid), grouped);
  /* Translators: the safety-number dialog's description for screen
   * readers: the explanation, then a sentence with the grouped digits */
  description = g_strdup_printf (_("%s Your safety number is %s."),
                                 gtk_label_get_label (self->explanation), grouped);
  sotto_accessible_set_description (GTK_WIDGET (self), description);
}

static void
sotto_safety_number_dialog_update_verified (SottoSafetyNumberDialog *self)
{
  gboolean verified = sotto_contact_get_verification_state (self->contact) == SOTTO_VERIFICATION_STATE_VERIFIED;

  /* Reflecting the model must not look like the user flipping the switch. */
  g_signal_handlers_block_by_func (self->verified_switch, verified_switch_notify_active_cb, self);
  gtk_switch_set_active (self->verified_switch, verified);
  g_signal_handlers_unblock_by_func (self->verified_switch, verified_switch_notify_active_cb, self);
}

static void
sotto_safety_number_dialog_change_done (SottoSafetyNumberDialog *self,
                                        const GError            *error)
{
  if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_warning ("Could not change the verification state: %s", error->message);
  sotto_safety_number_dialog_add_toast (self, _("Could not save the verification"));
  sotto_safety_number_dialog_update_verified (self);
}

static void
sotto_safety_number_dialog_verify_cb (GObject      *object,
                                      GAsyncResult *result,
                                      gpointer      user_data)
{
  g_autoptr(SottoSafetyNumberDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  sotto_contact_verify_finish (SOTTO_CONTACT (object), result, &error);
  sotto_safety_number_dialog_change_done (self, error);
}

static void
sotto_safety_number_dialog_unverify_cb (GObject      *object,
                                        GAsyncResult *result,
                                        gpointer      user_data)
{
  g_autoptr(SottoSafetyNumberDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  sotto_contact_unverify_finish (SOTTO_CONTACT (object), result, &error);
  sotto_safety_number_dialog_change_done (self, error);
}

static void
verified_switch_notify_active_cb (SottoSafetyNumberDialog *self)
{
  g_assert (SOTTO_IS_SAFETY_NUMBER_DIALOG (self));

  if (gtk_switch_get_active (self->verified_switch))
    sotto_contact_verify_async (self->contact,
                                sotto_contact_get_safety_number (self->contact),
                                self->cancellable,
                                sotto_safety_number_dialog_verify_cb,
                                g_object_ref (self));
  else
    sotto_contact_unverify_async (self->contact,
                                  self->cancellable,
                                  sotto_safety_number_dialog_unverify_cb,
                                  g_object_ref (self));
}

static void
sotto_safety_number_dialog_set_contact (SottoSafetyNumberDialog *self,
                                        SottoContact            *contact)
{
  g_autofree char *explanation = NULL;
  g_autofree char *name = NULL;

  g_assert (self->contact == NULL);

  self->contact = g_object_ref (contact);
  name = sotto_contact_label_full (contact);

  explanation = g_strdup_printf (_("If the numbers on your device and on %s’s device match, "
                                   "your conversation is end-to-end encrypted between the two of you "
                                   "and nobody sits in between. Meet and compare the numbers, "
                                   "or let your contact scan this code."),
                                 name);
  gtk_label_set_label (self->explanation, explanation);

  g_signal_connect_object (contact, "notify::safety-number",
                           G_CALLBACK (sotto_safety_number_dialog_update_digits),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (contact, "notify::verification-state",
                           G_CALLBACK (sotto_safety_number_dialog_update_verified),
                           self, G_CONNECT_SWAPPED);

  sotto_safety_number_dialog_update_digits (self);
  sotto_safety_number_dialog_update_verified (self);
}

static void
sotto_safety_number_dialog_copy (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  SottoSafetyNumberDialog *self = SOTTO_SAFETY_NUMBER_DIALOG (widget);
  const char *digits = sotto_contact_get_safety_number (self->contact);
  g_autofree char *formatted = NULL;

  if (digits == NULL)
    {
      sotto_accessible_set_description (GTK_WIDGET (self->digits_grid), NULL);
      sotto_accessible_set_description (GTK_WIDGET (self), gtk_label_get_label (self->explanation));
      return;
    }

  formatted = sotto_contact_format_safety_number (digits);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), formatted);
  sotto_safety_number_dialog_add_toast (self, _("Safety number copied"));
}

static void
sotto_safety_number_dialog_read_clipboard_cb (GObject      *object,
                                              GAsyncResult *result,
                                              gpointer      user_data)
{
  g_autoptr(SottoSafetyNumberDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);

  sotto_safety_number_dialog_compare (self, text != NULL ? text : "");
}

static void
sotto_safety_number_dialog_compare_clipboard (GtkWidget  *widget,
                                              const char *action_name,
                                              GVariant   *parameter)
{
  SottoSafetyNumberDialog *self = SOTTO_SAFETY_NUMBER_DIALOG (widget);

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget),
                                 self->cancellable,
                                 sotto_safety_number_dialog_read_clipboard_cb,
                                 g_object_ref (self));
}

static void
sotto_safety_number_dialog_dispose (GObject *object)
{
  SottoSafetyNumberDialog *self = (SottoSafetyNumberDialog *) object;

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_SAFETY_NUMBER_DIALOG);

  g_clear_object (&self->contact);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_safety_number_dialog_parent_class)->dispose (object);
}

static void
sotto_safety_number_dialog_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  SottoSafetyNumberDialog *self = SOTTO_SAFETY_NUMBER_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_safety_number_dialog_set_property (GObject      *object,
                                         guint         prop_id,
                                         const GValue *value,
                                         GParamSpec   *pspec)
{
  SottoSafetyNumberDialog *self = SOTTO_SAFETY_NUMBER_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      sotto_safety_number_dialog_set_contact (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_safety_number_dialog_class_init (SottoSafetyNumberDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_safety_number_dialog_dispose;
  object_class->get_property = sotto_safety_number_dialog_get_property;
  object_class->set_property = sotto_safety_number_dialog_set_property;

  properties [PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL,
                         SOTTO_TYPE_CONTACT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SOTTO_TYPE_QR_CODE);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-safety-number-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, explanation);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, digits_grid);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, qr_code);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, result_revealer);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, result_icon);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, result_label);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, copy_button);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, compare_button);
  gtk_widget_class_bind_template_child (widget_class, SottoSafetyNumberDialog, verified_switch);
  gtk_widget_class_bind_template_callback (widget_class, verified_switch_notify_active_cb);

  gtk_widget_class_install_action (widget_class, "safety-number.copy", NULL,
                                   sotto_safety_number_dialog_copy);
  gtk_widget_class_install_action (widget_class, "safety-number.compare-clipboard", NULL,
                                   sotto_safety_number_dialog_compare_clipboard);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sotto_safety_number_dialog_init (SottoSafetyNumberDialog *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  sotto_accessible_name_mnemonic_buttons (GTK_WIDGET (self));
  sotto_accessible_reach_window_controls (GTK_WIDGET (self));
  /* libadwaita 1.2 leaves the list inside a group without a title
   * unnamed, and it takes the focus. */
  sotto_accessible_label_field (gtk_widget_get_ancestor (GTK_WIDGET (self->verified_switch), GTK_TYPE_LIST_BOX),
                                _("Verification"));
}

SottoSafetyNumberDialog *
sotto_safety_number_dialog_new (GtkWindow    *transient_for,
                                SottoContact *contact)
{
  g_return_val_if_fail (!transient_for || GTK_IS_WINDOW (transient_for), NULL);
  g_return_val_if_fail (SOTTO_IS_CONTACT (contact), NULL);

  return g_object_new (SOTTO_TYPE_SAFETY_NUMBER_DIALOG,
                       "transient-for", transient_for,
                       "contact", contact,
                       NULL);
}

SottoContact *
sotto_safety_number_dialog_get_contact (SottoSafetyNumberDialog *self)
{
  g_return_val_if_fail (SOTTO_IS_SAFETY_NUMBER_DIALOG (self), NULL);

  return self->contact;
}

/**
 * sotto_safety_number_dialog_compare:
 * @self: a #SottoSafetyNumberDialog
 * @digits: what the user pasted: the other side's 60 digits, with or
 *   without spaces
 *
 * Compares @digits with the safety number and says the outcome plainly.
 */
void
sotto_safety_number_dialog_compare (SottoSafetyNumberDialog *self,
                                    const char              *digits)
{
  guint count = 0;

  g_return_if_fail (SOTTO_IS_SAFETY_NUMBER_DIALOG (self));
  g_return_if_fail (digits != NULL);

  for (const char *p = digits; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        count++;
      else if (!g_ascii_isspace (*p))
        {
          count = 0;
          break;
        }
    }

  if (count != 60)
    sotto_safety_number_dialog_show_result (self, FALSE,
                                            _("The clipboard does not hold a safety number. "
                                              "Copy your contact’s 60 digits and try again."));
  else if (sotto_contact_safety_number_matches (self->contact, digits))
    sotto_safety_number_dialog_show_result (self, TRUE,
                                            _("The numbers match. Nobody sits between you: "
                                              "you can mark this contact as verified."));
  else
    sotto_safety_number_dialog_show_result (self, FALSE,
                                            _("The numbers do not match. Someone may be "
                                              "intercepting your conversation, or one of you "
                                              "copied an old number."));
}
