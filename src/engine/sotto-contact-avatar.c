/* sotto-contact-avatar.c: the avatar a contact's profile gave
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-contact"

#include "config.h"

#include "sotto-contact-private.h"
#include "sotto-store-private.h"

/* Avatars are read from the store when they are shown, not kept with
 * every contact: each may be up to 1 MiB. */

static void
load_avatar_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoContact *self = source_object;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_load_contact_avatar (_sotto_contact_get_store (self), _sotto_contact_get_id (self),
                                         &avatar, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&avatar), (GDestroyNotify) g_bytes_unref);
}

/**
 * sotto_contact_load_avatar_async:
 * @self: a #SottoContact
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the avatar
 * @user_data: data for @callback
 *
 * Reads the avatar image the contact's encrypted profile gave, as it
 * was fetched last (#SottoContact:profile-name changes with it).
 */
void
sotto_contact_load_avatar_async (SottoContact        *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_CONTACT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_contact_load_avatar_async);
  _sotto_store_run_in_thread (_sotto_contact_get_store (self), task, load_avatar_thread);
}

/**
 * sotto_contact_load_avatar_finish:
 * @self: a #SottoContact
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full) (nullable): the image's bytes, or %NULL with
 *   @error unset when the contact's profile has no avatar
 */
GBytes *
sotto_contact_load_avatar_finish (SottoContact  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (SOTTO_IS_CONTACT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
