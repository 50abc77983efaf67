/* sotto-store-group-avatars.c: groups' pictures in the store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include "sotto-content-attachment-private.h"
#include "sotto-store-groups-private.h"

/* A group's picture is not in its history, which holds only the digest
 * of the picture its latest avatar update set (sotto-content-group.c):
 * the picture this device has is one row of group_avatars, sealed like
 * every other avatar, and kept only while it matches that digest. */

/* Runs on the store's thread.  Gives @state, read from the row @row,
 * the picture stored for it, if that is still the group's. */
gboolean
_sotto_store_load_group_avatar (SottoStore       *self,
                                gint64            row,
                                SottoGroupState  *state,
                                GError          **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GBytes) picture = NULL;
  GError *select_error = NULL;

  if (!state->has_avatar)
    return TRUE;

  statement = _sotto_store_select_optional (self, "SELECT picture FROM group_avatars WHERE group_id = ?1",
                                            row, &select_error);
  if (statement == NULL)
    {
      if (select_error == NULL)
        return TRUE;
      g_propagate_error (error, select_error);
      return FALSE;
    }

  if (!_sotto_store_column_unseal_bytes (self, statement, 0, "group_avatars", "picture", row, &picture, error))
    return FALSE;

  /* One that an earlier build took without looking at its format is
   * not shown either (_sotto_group_avatar_take()). */
  if (_sotto_content_picture_is_small (picture, SOTTO_GROUP_AVATAR_SIDE))
    _sotto_group_state_set_avatar (state, picture);
  return TRUE;
}

/* Runs on the store's thread.  Stores @state's picture for its row
 * @row, or forgets the one stored when it has none. */
gboolean
_sotto_store_save_group_avatar (SottoStore       *self,
                                gint64            row,
                                SottoGroupState  *state,
                                GError          **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  if (state->avatar == NULL)
    {
      statement = _sotto_store_prepare (self, "DELETE FROM group_avatars WHERE group_id = ?1", error);
      if (statement == NULL)
        return FALSE;
      sqlite3_bind_int64 (statement, 1, row);
      return _sotto_store_step_done (self, statement, error);
    }

  statement = _sotto_store_prepare (self, "INSERT OR REPLACE INTO group_avatars (group_id, picture) VALUES (?1, ?2)",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);
  if (!_sotto_store_bind_sealed (self, statement, 2, "group_avatars", "picture", row,
                                 g_bytes_get_data (state->avatar, NULL), g_bytes_get_size (state->avatar), error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}
