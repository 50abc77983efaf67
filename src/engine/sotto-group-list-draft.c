/* sotto-group-list-draft.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group-list"

#include "config.h"

#include "sotto-group-list-internal-private.h"
#include "sotto-store-groups-private.h"

/* Each group's draft: what the user wrote and has not sent, kept sealed
 * in the store (sotto-store-drafts.c) as a 1:1 conversation's is. */

typedef struct
{
  char *group_id;
  char *text;
  gboolean load;
} Draft;

static void
draft_free (Draft *draft)
{
  g_free (draft->group_id);
  g_free (draft->text);
  g_free (draft);
}

static Draft *
draft_new (SottoGroup *group,
           const char *text,
           gboolean    load)
{
  Draft *draft = g_new0 (Draft, 1);

  draft->group_id = g_strdup (sotto_group_get_id (group));
  draft->text = g_strdup (text);
  draft->load = load;

  return draft;
}

/* Stores the draft's text, or reads it into the draft when @load. */
static gboolean
draft_in_transaction (SottoGroupList  *self,
                      gpointer         data,
                      GError         **error)
{
  Draft *draft = data;
  g_autoptr(SottoGroupState) state = NULL;
  gint64 row = 0;

  state = _sotto_group_list_load_group (self, draft->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  if (!draft->load)
    return _sotto_store_save_draft (self->store, SOTTO_STORE_DRAFT_GROUP, row, draft->text, error);

  g_clear_pointer (&draft->text, g_free);
  return _sotto_store_load_draft (self->store, SOTTO_STORE_DRAFT_GROUP, row, &draft->text, error);
}

static void
draft_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, draft_in_transaction);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (_sotto_task_propagate_step (task, result))
    g_task_return_boolean (task, TRUE);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Draft *draft = g_task_get_task_data (task);

  if (_sotto_task_propagate_step (task, result))
    g_task_return_pointer (task, g_steal_pointer (&draft->text), g_free);
}

/**
 * sotto_group_list_save_draft_async:
 * @self: a #SottoGroupList
 * @group: a group
 * @text: what the user wrote to @group and has not sent; empty for nothing
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the draft is stored
 * @user_data: data for @callback
 *
 * Keeps @text in the store, sealed like the messages, until it is sent
 * or replaced: across switching conversations and restarts.
 */
void
sotto_group_list_save_draft_async (SottoGroupList      *self,
                                   SottoGroup          *group,
                                   const char          *text,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_save_draft_async);
  g_task_set_task_data (task, draft_new (group, text, FALSE), (GDestroyNotify) draft_free);
  _sotto_task_run_step (task, self->store, draft_thread, saved_cb);
}

gboolean
sotto_group_list_save_draft_finish (SottoGroupList  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_group_list_save_draft_async, error);
}

/**
 * sotto_group_list_load_draft_async:
 * @self: a #SottoGroupList
 * @group: a group
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the draft is read
 * @user_data: data for @callback
 *
 * Reads what sotto_group_list_save_draft_async() kept for @group.
 */
void
sotto_group_list_load_draft_async (SottoGroupList      *self,
                                   SottoGroup          *group,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_load_draft_async);
  g_task_set_task_data (task, draft_new (group, NULL, TRUE), (GDestroyNotify) draft_free);
  _sotto_task_run_step (task, self->store, draft_thread, loaded_cb);
}

/**
 * sotto_group_list_load_draft_finish:
 * @self: a #SottoGroupList
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the draft, or %NULL with @error
 *   unset when the group has none
 */
char *
sotto_group_list_load_draft_finish (SottoGroupList  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, sotto_group_list_load_draft_async, error);
}
