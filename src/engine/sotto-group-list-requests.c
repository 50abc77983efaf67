/* sotto-group-list-requests.c: groups from strangers, as requests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-store-groups-private.h"

/* A group this account joins is a request when whoever added it was not
 * a contact the user accepted (sotto-group-list-receive.c), as a 1:1
 * conversation from a stranger is (sotto-messenger-requests.c).  Its
 * messages and changes are stored and shown, but this account sends it
 * nothing, by itself or when asked, until the user accepts it: no
 * catch-up, no key update, no message, no change.  Declining forgets
 * the group as if it had never come and tells nobody: its members still
 * count this account, and what they send it is dropped, until an
 * admin's history makes it a new request.  Blocking blocks whoever
 * added this account, then declines. */

typedef struct
{
  char *group_id;
  gboolean accept;
  /* The group once accepted. */
  SottoGroupState *state;
} Answer;

static void
answer_free (Answer *answer)
{
  g_free (answer->group_id);
  _sotto_group_state_free (answer->state);
  g_free (answer);
}

static gboolean
answer_in_transaction (SottoGroupList  *self,
                       gpointer         data,
                       GError         **error)
{
  Answer *answer = data;
  g_autoptr(SottoGroupState) state = NULL;
  gint64 row = 0;

  state = _sotto_group_list_load_group (self, answer->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  if (!state->request && !answer->accept)
    return _sotto_group_list_refuse (error, _("Only a group request can be declined"));
  if (!answer->accept)
    return _sotto_store_delete_group (self->store, row, error);

  if (state->request)
    {
      state->request = FALSE;
      if (!_sotto_store_save_group (self->store, state, &row, error))
        return FALSE;
    }

  answer->state = g_steal_pointer (&state);
  return TRUE;
}

static void
answer_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, answer_in_transaction);
}

static void
answered_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  Answer *answer = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (answer->accept)
    _sotto_group_list_show_state (self, g_steal_pointer (&answer->state));
  else
    _sotto_group_list_forget (self, answer->group_id);

  g_task_return_boolean (task, TRUE);
}

static GTask *
answer_new (SottoGroupList      *self,
            SottoGroup          *group,
            gboolean             accept,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Answer *answer = g_new0 (Answer, 1);

  answer->group_id = g_strdup (sotto_group_get_id (group));
  answer->accept = accept;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, answer, (GDestroyNotify) answer_free);

  return task;
}

/**
 * sotto_group_list_accept_async:
 * @self: a #SottoGroupList
 * @group: a group request
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the group is accepted
 * @user_data: data for @callback
 *
 * Accepts a group request (#SottoGroup:request): from now on this
 * account sends to the group as to any other.  Accepting a group that is
 * no request changes nothing.  Finish with
 * sotto_group_list_answer_finish().
 */
void
sotto_group_list_accept_async (SottoGroupList      *self,
                               SottoGroup          *group,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  task = answer_new (self, group, TRUE, sotto_group_list_accept_async, cancellable, callback, user_data);
  _sotto_task_run_step (task, self->store, answer_thread, answered_cb);
}

/**
 * sotto_group_list_decline_async:
 * @self: a #SottoGroupList
 * @group: a group request
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the group is forgotten
 * @user_data: data for @callback
 *
 * Declines a group request: the group, its timeline and everything kept
 * for it are forgotten, and nobody is told; the list emits
 * #SottoGroupList::group-removed.  Fails for a group that is no request
 * (leave it instead).  Finish with sotto_group_list_answer_finish().
 */
void
sotto_group_list_decline_async (SottoGroupList      *self,
                                SottoGroup          *group,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  task = answer_new (self, group, FALSE, sotto_group_list_decline_async, cancellable, callback, user_data);
  _sotto_task_run_step (task, self->store, answer_thread, answered_cb);
}

/* Blocking: the inviter, then the group */

static void
block_declined_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!sotto_group_list_answer_finish (SOTTO_GROUP_LIST (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
inviter_blocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  SottoGroup *group = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!sotto_messenger_block_finish (SOTTO_MESSENGER (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  sotto_group_list_decline_async (self, group, cancellable, block_declined_cb, g_steal_pointer (&task));
}

static void
inviter_ensured_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  conversation = _sotto_messenger_ensure_contact_finish (SOTTO_MESSENGER (object), result, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  sotto_messenger_block_async (SOTTO_MESSENGER (object), conversation, cancellable, inviter_blocked_cb,
                               g_steal_pointer (&task));
}

/**
 * sotto_group_list_block_async:
 * @self: a #SottoGroupList
 * @group: a group request
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the inviter is blocked and the group forgotten
 * @user_data: data for @callback
 *
 * Blocks whoever added this account to the group request
 * (sotto_messenger_block_async()), then declines the group
 * (sotto_group_list_decline_async()).  Fails for a group that is no
 * request.  Finish with sotto_group_list_answer_finish().
 */
void
sotto_group_list_block_async (SottoGroupList      *self,
                              SottoGroup          *group,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *inviter = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_block_async);
  g_task_set_task_data (task, g_object_ref (group), g_object_unref);

  inviter = sotto_group_dup_inviter (group);
  if (!sotto_group_get_request (group) || inviter == NULL)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("Only a group request can be blocked"));
      return;
    }

  if (self->messenger == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The account was closed"));
      return;
    }

  /* The inviter's contact, blocked already or not, or a new one for
   * someone this account never heard from itself. */
  _sotto_messenger_ensure_contact_async (self->messenger, inviter, NULL, SOTTO_CONTACT_STANDING_REQUEST,
                                         cancellable, inviter_ensured_cb, g_steal_pointer (&task));
}

/**
 * sotto_group_list_answer_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Finishes accepting, declining and blocking a group request.
 *
 * Returns: whether it was done
 */
gboolean
sotto_group_list_answer_finish (SottoGroupList  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}
