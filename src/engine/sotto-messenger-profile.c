/* sotto-messenger-profile.c: the account's encrypted profile
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-display-text-private.h"
#include "sotto-messenger-private.h"
#include "sotto-profile-cipher-private.h"

/* The messenger's face of the profile service
 * (sotto-profile-service.c). */

/**
 * sotto_messenger_set_profile_async:
 * @self: a #SottoMessenger
 * @name: the display name contacts see instead of the username: 1 to
 *   %SOTTO_PROFILE_MAX_NAME bytes of UTF-8
 * @avatar: (nullable): a PNG, JPEG, GIF or WebP image of at most
 *   %SOTTO_PROFILE_MAX_AVATAR bytes and 2048 pixels a side
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay holds the profile
 * @user_data: data for @callback
 *
 * Sets the account's profile.  It is stored sealed, uploaded encrypted
 * under the account's profile key (made the first time), and the key
 * goes to every accepted contact inside encrypted content, as it does
 * with every message.  A profile the relay could not take now is
 * uploaded the next time the messenger starts.
 */
void
sotto_messenger_set_profile_async (SottoMessenger      *self,
                                   const char          *name,
                                   GBytes              *avatar,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gsize name_len;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_set_profile_async);

  name_len = strlen (name);
  if (!_sotto_display_text_is_valid (name, name_len, SOTTO_PROFILE_MAX_NAME))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("A display name is 1 to %d bytes of text on one line"), SOTTO_PROFILE_MAX_NAME);
      return;
    }

  /* Contacts would not open a profile with any other avatar. */
  if (avatar != NULL && g_bytes_get_size (avatar) > 0 && !_sotto_profile_avatar_is_valid (avatar))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("An avatar is a PNG, JPEG, GIF or WebP image of at most 1 MiB and %d pixels a side"),
                               SOTTO_PROFILE_MAX_AVATAR_SIDE);
      return;
    }

  _sotto_profile_service_set_async (self->profiles, name,
                                    avatar != NULL && g_bytes_get_size (avatar) > 0 ? avatar : NULL,
                                    cancellable, _sotto_task_return_step_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_set_profile_finish (SottoMessenger  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

typedef struct
{
  char *name;
  GBytes *avatar;
} OwnProfile;

static void
own_profile_free (OwnProfile *profile)
{
  g_clear_pointer (&profile->name, g_free);
  g_clear_pointer (&profile->avatar, g_bytes_unref);
  g_free (profile);
}

static void
load_profile_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  OwnProfile *profile = g_new0 (OwnProfile, 1);
  g_autoptr(GError) error = NULL;
  guint8 *key = NULL;
  gboolean uploaded;

  /* The key is not the caller's business: it is wiped at once. */
  if (!_sotto_store_load_own_profile (self->store, &key, &profile->name, &profile->avatar, &uploaded, &error))
    {
      own_profile_free (profile);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_pointer (&key, sodium_free);

  g_task_return_pointer (task, profile, (GDestroyNotify) own_profile_free);
}

/**
 * sotto_messenger_load_profile_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the profile
 * @user_data: data for @callback
 *
 * Reads the account's own display name and avatar, as they were last
 * set with sotto_messenger_set_profile_async().
 */
void
sotto_messenger_load_profile_async (SottoMessenger      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_load_profile_async);
  _sotto_store_run_in_thread (self->store, task, load_profile_thread);
}

/**
 * sotto_messenger_load_profile_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @name: (out) (transfer full) (optional) (nullable): the display name,
 *   or %NULL before the user set one
 * @avatar: (out) (transfer full) (optional) (nullable): the avatar
 *   image, or %NULL
 * @error: a location for a #GError
 *
 * Returns: whether the profile could be read
 */
gboolean
sotto_messenger_load_profile_finish (SottoMessenger  *self,
                                     GAsyncResult    *result,
                                     char           **name,
                                     GBytes         **avatar,
                                     GError         **error)
{
  OwnProfile *profile;

  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  profile = g_task_propagate_pointer (G_TASK (result), error);
  if (profile == NULL)
    return FALSE;

  if (name != NULL)
    *name = g_steal_pointer (&profile->name);
  if (avatar != NULL)
    *avatar = g_steal_pointer (&profile->avatar);
  own_profile_free (profile);

  return TRUE;
}

/* The inbox stored a profile key from the contact of @conversation,
 * or one they sent alone to say their profile changed. */
void
_sotto_messenger_profile_key_received (SottoMessenger    *self,
                                       SottoConversation *conversation)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  _sotto_profile_service_fetch (self->profiles, conversation);
}
