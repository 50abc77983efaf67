/* sotto-messenger-timer.c: disappearing-message timers
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-messenger-private.h"

/* The messenger's face of the expiry service (sotto-expiry.c). */

/**
 * sotto_messenger_timer_is_valid:
 * @seconds: a disappearing-message timer
 *
 * Returns: whether @seconds is one of the timers a conversation may have:
 *   0 (off), 30 s, 5 min, 1 h, 1 day, 1 week or 4 weeks
 */
gboolean
sotto_messenger_timer_is_valid (guint seconds)
{
  return _sotto_expiry_timer_is_valid (seconds);
}

/**
 * sotto_messenger_set_timer_async:
 * @self: a #SottoMessenger
 * @conversation: a conversation
 * @seconds: 0 (off), 30, 300, 3600, 86400, 604800 or 2419200
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact was told
 * @user_data: data for @callback
 *
 * Sets the conversation's disappearing-message timer: a "timer
 * changed" event enters it on both sides, and messages written from now
 * on, by either side, disappear @seconds after they were sent (for the
 * sender) or read (for the recipient).  Fails for another @seconds, and
 * when the contact could not be told (the timer is set here all the
 * same).
 */
void
sotto_messenger_set_timer_async (SottoMessenger      *self,
                                 SottoConversation   *conversation,
                                 guint                seconds,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_set_timer_async);

  if (!sotto_messenger_timer_is_valid (seconds))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("A disappearing-message timer is 0 (off), 30, 300, 3600, 86400, "
                                 "604800 or 2419200 seconds"));
      return;
    }

  if (!_sotto_messenger_check_accepted (conversation, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_expiry_set_timer_async (self->expiry, conversation, seconds, cancellable,
                                 _sotto_task_return_step_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_set_timer_finish (SottoMessenger  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}
