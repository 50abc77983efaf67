/* sotto-messenger-profile.c: the account's encrypted profile
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-messenger-private.h"

/* The messenger's face of the profile service
 * (sotto-profile-service.c). */

/**
 * sotto_messenger_set_profile_async:
 * @self: a #SottoMessenger
 * @name: the display name contacts see instead of the username: 1 to
 *   %SOTTO_PROFILE_MAX_NAME bytes of UTF-8
 * @avatar: (nullable): an image of at most %SOTTO_PROFILE_MAX_AVATAR bytes
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
  if (name_len == 0 || name_len > SOTTO_PROFILE_MAX_NAME || !g_utf8_validate (name, name_len, NULL))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("A display name is 1 to %d bytes of text"), SOTTO_PROFILE_MAX_NAME);
      return;
    }

  if (avatar != NULL && g_bytes_get_size (avatar) > SOTTO_PROFILE_MAX_AVATAR)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("An avatar is at most 1 MiB"));
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

/* The inbox stored a profile key from the contact of @conversation,
 * or one they sent alone to say their profile changed. */
void
_sotto_messenger_profile_key_received (SottoMessenger    *self,
                                       SottoConversation *conversation)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  _sotto_profile_service_fetch (self->profiles, conversation);
}
