/* sotto-contact.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-contact"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sp-fingerprint.h"

#include "sotto-account.h"
#include "sotto-avatar-icon-private.h"
#include "sotto-contact-private.h"
#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
#include "sotto-store-private.h"

struct _SottoContact
{
  GObject parent_instance;

  SottoStore *store;
  SottoAccount *account;
  gint64 id;

  char *uuid;
  char *username;
  char *name;
  char *profile_name;
  SottoAvatarIcon *avatar;
  GBytes *identity_key;
  SottoVerificationState verification_state;
  SottoContactStanding standing;

  /* Computed on first use; cleared when either identity key changes. */
  char *safety_number;
  GBytes *scannable_safety_number;
};

typedef struct
{
  GBytes *identity_key;
  SottoVerificationState from_state;
  SottoVerificationState to_state;
  gboolean any_state;
} Verification;

enum {
  PROP_0,
  PROP_STORE,
  PROP_ACCOUNT,
  PROP_UUID,
  PROP_USERNAME,
  PROP_NAME,
  PROP_IDENTITY_KEY,
  PROP_VERIFICATION_STATE,
  PROP_SENDING_HELD,
  PROP_SAFETY_NUMBER,
  PROP_STANDING,
  PROP_PROFILE_NAME,
  PROP_AVATAR,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoContact, sotto_contact, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

static void
verification_free (Verification *verification)
{
  g_clear_pointer (&verification->identity_key, g_bytes_unref);
  g_free (verification);
}

static void
sotto_contact_invalidate_safety_number (SottoContact *self)
{
  if (self->safety_number != NULL)
    {
      g_clear_pointer (&self->safety_number, g_free);
      g_clear_pointer (&self->scannable_safety_number, g_bytes_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SAFETY_NUMBER]);
    }
}

static void
sotto_contact_account_identity_changed_cb (SottoContact *self,
                                           GParamSpec   *pspec,
                                           SottoAccount *account)
{
  g_assert (SOTTO_IS_CONTACT (self));

  sotto_contact_invalidate_safety_number (self);
}

SottoContact *
_sotto_contact_new (SottoStore             *store,
                    SottoAccount           *account,
                    gint64                  id,
                    const char             *uuid,
                    const char             *username,
                    const char             *name,
                    GBytes                 *identity_key,
                    SottoVerificationState  verification_state,
                    SottoContactStanding    standing)
{
  SottoContact *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (uuid != NULL, NULL);

  self = g_object_new (SOTTO_TYPE_CONTACT,
                       "store", store,
                       "account", account,
                       "uuid", uuid,
                       "username", username,
                       "name", name,
                       NULL);
  self->id = id;
  self->identity_key = identity_key ? g_bytes_ref (identity_key) : NULL;
  self->verification_state = verification_state;
  self->standing = standing;

  return self;
}

void
_sotto_contact_set_standing (SottoContact         *self,
                             SottoContactStanding  standing)
{
  g_return_if_fail (SOTTO_IS_CONTACT (self));

  if (self->standing == standing)
    return;

  self->standing = standing;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STANDING]);
}

/* The display name the contact's encrypted profile gave, or %NULL. */
void
_sotto_contact_set_profile_name (SottoContact *self,
                                 const char   *profile_name)
{
  g_return_if_fail (SOTTO_IS_CONTACT (self));

  if (g_strcmp0 (self->profile_name, profile_name) == 0)
    return;

  g_free (self->profile_name);
  self->profile_name = g_strdup (profile_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PROFILE_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_NAME]);
}

/* Whether the contact's profile gave an image, and which: @digest is its
 * SHA-256 in hex, or %NULL when it is not known (the image was read
 * from the store).  Another image, or the first one, makes a new icon. */
void
_sotto_contact_set_avatar (SottoContact *self,
                           gboolean      has_avatar,
                           const char   *digest)
{
  g_return_if_fail (SOTTO_IS_CONTACT (self));

  if (!has_avatar)
    {
      if (self->avatar != NULL)
        {
          g_clear_object (&self->avatar);
          g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_AVATAR]);
        }
      return;
    }

  if (self->avatar != NULL && digest != NULL
      && g_strcmp0 (_sotto_avatar_icon_get_digest (self->avatar), digest) == 0)
    return;

  g_clear_object (&self->avatar);
  self->avatar = _sotto_avatar_icon_new (self->store, self->id, digest);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_AVATAR]);
}

/**
 * sotto_contact_get_avatar:
 * @self: a #SottoContact
 *
 * The image the contact's encrypted profile gave, which is read from
 * the store when it is loaded (g_loadable_icon_load_async()): PNG,
 * JPEG, GIF or WebP bytes of at most %SOTTO_PROFILE_MAX_AVATAR, as the
 * contact sent them.
 *
 * Returns: (transfer none) (nullable): the avatar, or %NULL when the
 *   contact has none
 */
GLoadableIcon *
sotto_contact_get_avatar (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->avatar != NULL ? G_LOADABLE_ICON (self->avatar) : NULL;
}

/**
 * sotto_contact_get_profile_name:
 * @self: a #SottoContact
 *
 * Returns: (nullable): the display name the contact chose in their
 *   encrypted profile, or %NULL before their profile was read
 */
const char *
sotto_contact_get_profile_name (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->profile_name;
}

SottoStore *
_sotto_contact_get_store (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->store;
}

gint64
_sotto_contact_get_id (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), 0);

  return self->id;
}

void
_sotto_contact_set_verification_state (SottoContact           *self,
                                       SottoVerificationState  verification_state)
{
  gboolean was_held;

  g_return_if_fail (SOTTO_IS_CONTACT (self));

  if (self->verification_state == verification_state)
    return;

  was_held = sotto_contact_get_sending_held (self);
  self->verification_state = verification_state;

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_VERIFICATION_STATE]);
  if (was_held != sotto_contact_get_sending_held (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SENDING_HELD]);
}

/* Applies an identity change that the store has already recorded. */
void
_sotto_contact_set_identity (SottoContact           *self,
                             GBytes                 *identity_key,
                             SottoVerificationState  verification_state)
{
  g_return_if_fail (SOTTO_IS_CONTACT (self));
  g_return_if_fail (identity_key != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  if (self->identity_key == NULL || !g_bytes_equal (self->identity_key, identity_key))
    {
      g_clear_pointer (&self->identity_key, g_bytes_unref);
      self->identity_key = g_bytes_ref (identity_key);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_IDENTITY_KEY]);
      sotto_contact_invalidate_safety_number (self);
    }

  _sotto_contact_set_verification_state (self, verification_state);

  g_object_thaw_notify (G_OBJECT (self));
}

SottoAccount *
sotto_contact_get_account (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->account;
}

const char *
sotto_contact_get_uuid (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->uuid;
}

const char *
sotto_contact_get_username (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->username;
}

const char *
sotto_contact_get_name (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  /* A contact the user has not named is shown by the name their
   * profile gives, and without one by username. */
  if ((self->name == NULL || self->name[0] == '\0') && self->profile_name != NULL)
    return self->profile_name;
  if (self->name == NULL || self->name[0] == '\0')
    return self->username;

  return self->name;
}

/**
 * sotto_contact_get_identity_key:
 * @self: a #SottoContact
 *
 * Returns: (transfer none) (nullable): the contact's 33-byte public
 *   identity key, or %NULL before the first session
 */
GBytes *
sotto_contact_get_identity_key (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  return self->identity_key;
}

SottoVerificationState
sotto_contact_get_verification_state (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), SOTTO_VERIFICATION_STATE_UNVERIFIED);

  return self->verification_state;
}

/**
 * sotto_contact_get_sending_held:
 * @self: a #SottoContact
 *
 * Messages to a verified contact whose identity key changed wait until
 * the user verifies the new safety number or accepts the change.
 * Receiving is never held.
 *
 * Returns: whether messages to the contact are held back
 */
gboolean
sotto_contact_get_sending_held (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), FALSE);

  return self->verification_state == SOTTO_VERIFICATION_STATE_CHANGED;
}

/**
 * sotto_contact_get_standing:
 * @self: a #SottoContact
 *
 * A contact who wrote first is a message request until the user accepts
 * it, and a blocked contact cannot reach the user at all.
 *
 * Returns: whether the contact is accepted, a request or blocked
 */
SottoContactStanding
sotto_contact_get_standing (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), SOTTO_CONTACT_STANDING_ACCEPTED);

  return self->standing;
}

/**
 * sotto_contact_format_safety_number:
 * @digits: a safety number's digits
 *
 * Groups the digits in fives with spaces between, the way both people
 * read them aloud.
 *
 * Returns: (transfer full): the grouped digits
 */
char *
sotto_contact_format_safety_number (const char *digits)
{
  GString *grouped = g_string_new (NULL);

  for (gsize i = 0; digits[i] != '\0'; i++)
    {
      if (i > 0 && i % 5 == 0)
        g_string_append_c (grouped, ' ');
      g_string_append_c (grouped, digits[i]);
    }

  return g_string_free (grouped, FALSE);
}

/**
 * sotto_contact_get_safety_number:
 * @self: a #SottoContact
 *
 * The safety number is libsignal's version 2 fingerprint over both
 * identity keys, with the 16 bytes of each account's UUID as its
 * identifier; both sides of a conversation see the same 60 digits.
 *
 * Returns: (nullable): the 60 digits, or %NULL while the contact's
 *   identity key is unknown
 */
const char *
sotto_contact_get_safety_number (SottoContact *self)
{
  SpFingerprint fingerprint;
  guint8 local_id[16];
  guint8 remote_id[16];
  SpPublicKey local_key;
  SpPublicKey remote_key;
  GBytes *local_identity;
  int rc;

  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  if (self->safety_number != NULL)
    return self->safety_number;

  if (self->identity_key == NULL)
    return NULL;

  local_identity = sotto_account_get_identity_key (self->account);

  if (!_sotto_uuid_to_bytes (sotto_account_get_uuid (self->account), local_id)
      || !_sotto_uuid_to_bytes (self->uuid, remote_id)
      || sp_public_key_decode (&local_key,
                               g_bytes_get_data (local_identity, NULL),
                               g_bytes_get_size (local_identity)) != SP_OK
      || sp_public_key_decode (&remote_key,
                               g_bytes_get_data (self->identity_key, NULL),
                               g_bytes_get_size (self->identity_key)) != SP_OK)
    return NULL;

  rc = sp_fingerprint_create (&fingerprint,
                              SP_FINGERPRINT_ITERATIONS, SP_FINGERPRINT_VERSION,
                              local_id, sizeof local_id, &local_key,
                              remote_id, sizeof remote_id, &remote_key);
  if (rc != SP_OK)
    {
      g_warning ("Could not compute a safety number: %s", sp_strerror (rc));
      return NULL;
    }

  self->safety_number = g_strdup (fingerprint.displayable);
  self->scannable_safety_number = g_bytes_new (fingerprint.scannable, fingerprint.scannable_len);

  return self->safety_number;
}

/**
 * sotto_contact_get_scannable_safety_number:
 * @self: a #SottoContact
 *
 * The form of the safety number that a QR code carries: libsignal's
 * scannable fingerprint, which the other side compares with its own.
 *
 * Returns: (nullable) (transfer none): the bytes, or %NULL while the
 *   contact's identity key is unknown
 */
GBytes *
sotto_contact_get_scannable_safety_number (SottoContact *self)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);

  if (sotto_contact_get_safety_number (self) == NULL)
    return NULL;

  return self->scannable_safety_number;
}

/**
 * sotto_contact_safety_number_matches:
 * @self: a #SottoContact
 * @digits: the safety number the user compared, spaces allowed
 *
 * Returns: whether @digits is the contact's current safety number
 */
gboolean
sotto_contact_safety_number_matches (SottoContact *self,
                                     const char   *digits)
{
  g_autoptr(GString) compact = NULL;
  const char *safety_number;

  g_return_val_if_fail (SOTTO_IS_CONTACT (self), FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);

  safety_number = sotto_contact_get_safety_number (self);
  if (safety_number == NULL)
    return FALSE;

  compact = g_string_new (NULL);
  for (const char *p = digits; *p != '\0'; p++)
    {
      if (!g_ascii_isspace (*p))
        g_string_append_c (compact, *p);
    }

  return g_str_equal (compact->str, safety_number);
}

static void
sotto_contact_verification_thread (GTask        *task,
                                   gpointer      source_object,
                                   gpointer      task_data,
                                   GCancellable *cancellable)
{
  SottoContact *self = source_object;
  Verification *verification = task_data;
  g_autoptr(GError) error = NULL;
  gboolean applied = FALSE;

  if (!_sotto_store_set_verification (self->store, self->id,
                                      verification->identity_key,
                                      verification->any_state ? -1 : (int) verification->from_state,
                                      verification->to_state,
                                      &applied, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, applied);
}

static void
sotto_contact_verification_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  SottoContact *self = (SottoContact *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Verification *verification = g_task_get_task_data (task);
  gboolean applied;

  applied = g_task_propagate_boolean (G_TASK (result), &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!applied)
    {
      /* Another change came first; the user compared a number that is
       * no longer the contact's. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The safety number changed before it could be verified"));
      return;
    }

  _sotto_contact_set_verification_state (self, verification->to_state);
  g_task_return_boolean (task, TRUE);
}

static void
sotto_contact_change_verification (SottoContact        *self,
                                   Verification        *verification,
                                   gpointer             source_tag,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, verification, (GDestroyNotify) verification_free);

  _sotto_task_run_step (task, self->store, sotto_contact_verification_thread,
                        sotto_contact_verification_cb);
}

/* Moves the contact from @from_state to @to_state.  A contact in any
 * other state has nothing to move, which is no error. */
static void
sotto_contact_move_verification (SottoContact           *self,
                                 SottoVerificationState  from_state,
                                 SottoVerificationState  to_state,
                                 gpointer                source_tag,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  Verification *verification;

  if (self->verification_state != from_state)
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, source_tag);
      g_task_return_boolean (task, TRUE);
      return;
    }

  verification = g_new0 (Verification, 1);
  verification->identity_key = g_bytes_ref (self->identity_key);
  verification->from_state = from_state;
  verification->to_state = to_state;

  sotto_contact_change_verification (self, verification, source_tag, cancellable, callback, user_data);
}

/**
 * sotto_contact_verify_async:
 * @self: a #SottoContact
 * @digits: the safety number the user compared
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact is verified
 * @user_data: data for @callback
 *
 * Marks the contact verified if @digits is its current safety number;
 * otherwise fails with %G_IO_ERROR_INVALID_DATA and changes nothing.
 * Verifying releases messages held after a key change.
 */
void
sotto_contact_verify_async (SottoContact        *self,
                            const char          *digits,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Verification *verification;

  g_return_if_fail (SOTTO_IS_CONTACT (self));
  g_return_if_fail (digits != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (!sotto_contact_safety_number_matches (self, digits))
    {
      g_task_report_new_error (self, callback, user_data, sotto_contact_verify_async,
                               G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The safety numbers do not match"));
      return;
    }

  verification = g_new0 (Verification, 1);
  verification->identity_key = g_bytes_ref (self->identity_key);
  verification->any_state = TRUE;
  verification->to_state = SOTTO_VERIFICATION_STATE_VERIFIED;

  sotto_contact_change_verification (self, verification, sotto_contact_verify_async,
                                     cancellable, callback, user_data);
}

gboolean
sotto_contact_verify_finish (SottoContact  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

/**
 * sotto_contact_accept_identity_async:
 * @self: a #SottoContact
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the change is accepted
 * @user_data: data for @callback
 *
 * Accepts the changed identity key of a contact that was verified
 * without comparing the new safety number: messages are sent again and
 * the contact counts as unverified.  For a contact whose key did not
 * change this does nothing.
 */
void
sotto_contact_accept_identity_async (SottoContact        *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_CONTACT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  sotto_contact_move_verification (self, SOTTO_VERIFICATION_STATE_CHANGED,
                                   SOTTO_VERIFICATION_STATE_UNVERIFIED, sotto_contact_accept_identity_async,
                                   cancellable, callback, user_data);
}

/**
 * sotto_contact_unverify_async:
 * @self: a #SottoContact
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact is unverified
 * @user_data: data for @callback
 *
 * Takes back a verification, as the user does by turning the "Verified"
 * switch off.  Only a verified contact changes; a contact whose key
 * changed stays held until the user verifies or accepts the new key.
 */
void
sotto_contact_unverify_async (SottoContact        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_CONTACT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  sotto_contact_move_verification (self, SOTTO_VERIFICATION_STATE_VERIFIED,
                                   SOTTO_VERIFICATION_STATE_UNVERIFIED, sotto_contact_unverify_async,
                                   cancellable, callback, user_data);
}

gboolean
sotto_contact_unverify_finish (SottoContact  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

gboolean
sotto_contact_accept_identity_finish (SottoContact  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

static void
sotto_contact_constructed (GObject *object)
{
  SottoContact *self = (SottoContact *)object;

  G_OBJECT_CLASS (sotto_contact_parent_class)->constructed (object);

  g_signal_connect_object (self->account,
                           "notify::identity-key",
                           G_CALLBACK (sotto_contact_account_identity_changed_cb),
                           self,
                           G_CONNECT_SWAPPED);
}

static void
sotto_contact_finalize (GObject *object)
{
  SottoContact *self = (SottoContact *)object;

  g_clear_pointer (&self->uuid, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->profile_name, g_free);
  g_clear_object (&self->avatar);
  g_clear_pointer (&self->identity_key, g_bytes_unref);
  g_clear_pointer (&self->safety_number, g_free);
  g_clear_pointer (&self->scannable_safety_number, g_bytes_unref);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_contact_parent_class)->finalize (object);
}

static void
sotto_contact_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SottoContact *self = SOTTO_CONTACT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;

    case PROP_UUID:
      g_value_set_string (value, self->uuid);
      break;

    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_IDENTITY_KEY:
      g_value_set_boxed (value, self->identity_key);
      break;

    case PROP_VERIFICATION_STATE:
      g_value_set_enum (value, self->verification_state);
      break;

    case PROP_SENDING_HELD:
      g_value_set_boolean (value, sotto_contact_get_sending_held (self));
      break;

    case PROP_STANDING:
      g_value_set_enum (value, self->standing);
      break;

    case PROP_SAFETY_NUMBER:
      g_value_set_string (value, sotto_contact_get_safety_number (self));
      break;

    case PROP_PROFILE_NAME:
      g_value_set_string (value, self->profile_name);
      break;

    case PROP_AVATAR:
      g_value_set_object (value, self->avatar);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_contact_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  SottoContact *self = SOTTO_CONTACT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;

    case PROP_UUID:
      self->uuid = g_value_dup_string (value);
      break;

    case PROP_USERNAME:
      self->username = g_value_dup_string (value);
      break;

    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_contact_class_init (SottoContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = sotto_contact_constructed;
  object_class->finalize = sotto_contact_finalize;
  object_class->get_property = sotto_contact_get_property;
  object_class->set_property = sotto_contact_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         SOTTO_TYPE_STORE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:account:
   *
   * The local account, whose identity the safety number also covers.
   */
  properties [PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         SOTTO_TYPE_ACCOUNT,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_UUID] =
    g_param_spec_string ("uuid", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:name:
   *
   * The name to show for the contact.
   */
  properties [PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_IDENTITY_KEY] =
    g_param_spec_boxed ("identity-key", NULL, NULL,
                        G_TYPE_BYTES,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  properties [PROP_VERIFICATION_STATE] =
    g_param_spec_enum ("verification-state", NULL, NULL,
                       SOTTO_TYPE_VERIFICATION_STATE,
                       SOTTO_VERIFICATION_STATE_UNVERIFIED,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:sending-held:
   *
   * Whether messages to the contact wait for the user to verify or
   * accept a changed safety number.
   */
  properties [PROP_SENDING_HELD] =
    g_param_spec_boolean ("sending-held", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:safety-number:
   *
   * The 60 digits of the safety number, or %NULL while unknown.
   */
  properties [PROP_SAFETY_NUMBER] =
    g_param_spec_string ("safety-number", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:standing:
   *
   * Whether the contact is accepted, a message request or blocked.
   */
  properties [PROP_STANDING] =
    g_param_spec_enum ("standing", NULL, NULL,
                       SOTTO_TYPE_CONTACT_STANDING,
                       SOTTO_CONTACT_STANDING_ACCEPTED,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:profile-name:
   *
   * The display name from the contact's encrypted profile, which
   * #SottoContact:name shows unless the user named the contact.
   */
  properties [PROP_PROFILE_NAME] =
    g_param_spec_string ("profile-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoContact:avatar:
   *
   * The image from the contact's encrypted profile, as a
   * #GLoadableIcon that reads it from the store, or %NULL.  A new image
   * gives a new icon.
   */
  properties [PROP_AVATAR] =
    g_param_spec_object ("avatar", NULL, NULL,
                         G_TYPE_LOADABLE_ICON,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  _sotto_engine_init_crypto ();
}

static void
sotto_contact_init (SottoContact *self)
{
}
