/* sotto-group-state.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <string.h>

#include "sotto-group-state-private.h"

/* A group's state is a pure function of the set of updates its history
 * holds (docs/messenger.md, "Groups", says why that converges): the
 * updates are sorted by (version, author, hash), a total order every
 * device computes alike, and replayed from nothing.  Each update is
 * checked against the state the ones before it made: only admins add,
 * remove, rename and change admins, anyone may leave, and an update
 * that breaks a rule is kept in the history but changes nothing.  A
 * group left without admins makes its longest-standing member one, so
 * that it can still change. */

SottoGroupState *
_sotto_group_state_new (const char *group_id)
{
  SottoGroupState *state = g_new0 (SottoGroupState, 1);

  state->id = g_ascii_strdown (group_id, -1);
  state->history = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  state->applied = g_array_new (FALSE, TRUE, sizeof (gboolean));
  state->members = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);

  return state;
}

/* A copy of @state, replayed from its history. */
SottoGroupState *
_sotto_group_state_copy (SottoGroupState *state)
{
  SottoGroupState *copy = _sotto_group_state_new (state->id);

  _sotto_group_state_merge (copy, state->history);
  return copy;
}

void
_sotto_group_state_free (SottoGroupState *state)
{
  if (state == NULL)
    return;

  g_free (state->id);
  g_ptr_array_unref (state->history);
  g_array_unref (state->applied);
  g_free (state->title);
  g_ptr_array_unref (state->members);
  g_free (state);
}

int
_sotto_group_update_compare (const SottoGroupUpdate *a,
                             const SottoGroupUpdate *b)
{
  int order;

  if (a->version != b->version)
    return a->version < b->version ? -1 : 1;

  order = strcmp (a->author, b->author);
  if (order != 0)
    return order;

  return memcmp (a->hash, b->hash, SOTTO_GROUP_UPDATE_HASH_SIZE);
}

static int
compare_updates_cb (gconstpointer a,
                    gconstpointer b)
{
  return _sotto_group_update_compare (*(SottoGroupUpdate * const *) a, *(SottoGroupUpdate * const *) b);
}

static guint
find_member_index (SottoGroupState *state,
                   const char      *uuid)
{
  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (state->members, i);

      if (g_ascii_strcasecmp (member->uuid, uuid) == 0)
        return i;
    }

  return G_MAXUINT;
}

const SottoGroupMember *
_sotto_group_state_find_member (SottoGroupState *state,
                                const char      *uuid)
{
  guint index = find_member_index (state, uuid);

  return index == G_MAXUINT ? NULL : g_ptr_array_index (state->members, index);
}

static gboolean
is_admin (SottoGroupState *state,
          const char      *uuid)
{
  const SottoGroupMember *member = _sotto_group_state_find_member (state, uuid);

  return member != NULL && member->admin;
}

/* Whether @update's author may make it in the group as @state is. */
gboolean
_sotto_group_state_allows (SottoGroupState        *state,
                           const SottoGroupUpdate *update)
{
  const SottoGroupMember *target = update->members->len > 0 ? g_ptr_array_index (update->members, 0) : NULL;
  const SottoGroupMember *existing = target != NULL ? _sotto_group_state_find_member (state, target->uuid) : NULL;

  /* Nothing but the group's creation comes first, and it comes once. */
  if ((update->action == SOTTO_GROUP_ACTION_CREATE) != (state->members->len == 0 && state->title == NULL))
    return FALSE;

  switch (update->action)
    {
    case SOTTO_GROUP_ACTION_CREATE:
      return TRUE;

    case SOTTO_GROUP_ACTION_ADD:
      return is_admin (state, update->author) && existing == NULL
             && state->members->len < SOTTO_GROUP_MAX_MEMBERS;

    case SOTTO_GROUP_ACTION_REMOVE:
      return is_admin (state, update->author) && existing != NULL;

    case SOTTO_GROUP_ACTION_LEAVE:
      return _sotto_group_state_find_member (state, update->author) != NULL;

    case SOTTO_GROUP_ACTION_RENAME:
      return is_admin (state, update->author);

    case SOTTO_GROUP_ACTION_PROMOTE:
      return is_admin (state, update->author) && existing != NULL && !existing->admin;

    case SOTTO_GROUP_ACTION_DEMOTE:
      return is_admin (state, update->author) && existing != NULL && existing->admin;

    default:
      return FALSE;
    }
}

static void
apply (SottoGroupState        *state,
       const SottoGroupUpdate *update)
{
  const SottoGroupMember *target = update->members->len > 0 ? g_ptr_array_index (update->members, 0) : NULL;
  SottoGroupMember *member;
  gboolean has_admin = FALSE;

  switch (update->action)
    {
    case SOTTO_GROUP_ACTION_CREATE:
      g_free (state->title);
      state->title = g_strdup (update->title);
      for (guint i = 0; i < update->members->len; i++)
        g_ptr_array_add (state->members, _sotto_group_member_copy (g_ptr_array_index (update->members, i)));
      break;

    case SOTTO_GROUP_ACTION_ADD:
      g_ptr_array_add (state->members, _sotto_group_member_new (target->uuid, target->username, FALSE));
      break;

    case SOTTO_GROUP_ACTION_REMOVE:
      g_ptr_array_remove_index (state->members, find_member_index (state, target->uuid));
      break;

    case SOTTO_GROUP_ACTION_LEAVE:
      g_ptr_array_remove_index (state->members, find_member_index (state, update->author));
      break;

    case SOTTO_GROUP_ACTION_RENAME:
      g_free (state->title);
      state->title = g_strdup (update->title);
      break;

    case SOTTO_GROUP_ACTION_PROMOTE:
    case SOTTO_GROUP_ACTION_DEMOTE:
      member = g_ptr_array_index (state->members, find_member_index (state, target->uuid));
      member->admin = update->action == SOTTO_GROUP_ACTION_PROMOTE;
      break;

    default:
      g_assert_not_reached ();
    }

  for (guint i = 0; i < state->members->len; i++)
    has_admin |= ((SottoGroupMember *) g_ptr_array_index (state->members, i))->admin;
  if (!has_admin && state->members->len > 0)
    ((SottoGroupMember *) g_ptr_array_index (state->members, 0))->admin = TRUE;
}

static void
replay (SottoGroupState *state)
{
  g_clear_pointer (&state->title, g_free);
  g_ptr_array_set_size (state->members, 0);
  state->version = 0;
  g_array_set_size (state->applied, state->history->len);

  for (guint i = 0; i < state->history->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (state->history, i);
      gboolean allowed = _sotto_group_state_allows (state, update);

      if (allowed)
        apply (state, update);
      g_array_index (state->applied, gboolean, i) = allowed;
      state->version = MAX (state->version, update->version);
    }
}

static guint
find_update (SottoGroupState        *state,
             const SottoGroupUpdate *update)
{
  for (guint i = 0; i < state->history->len; i++)
    {
      if (_sotto_group_update_compare (g_ptr_array_index (state->history, i), update) == 0)
        return i;
    }

  return G_MAXUINT;
}

gboolean
_sotto_group_state_has_update (SottoGroupState        *state,
                               const SottoGroupUpdate *update)
{
  return find_update (state, update) != G_MAXUINT;
}

gboolean
_sotto_group_state_was_applied (SottoGroupState        *state,
                                const SottoGroupUpdate *update)
{
  guint index = find_update (state, update);

  return index != G_MAXUINT && g_array_index (state->applied, gboolean, index);
}

static gboolean
has_create (SottoGroupState *state)
{
  for (guint i = 0; i < state->history->len; i++)
    {
      if (((SottoGroupUpdate *) g_ptr_array_index (state->history, i))->action == SOTTO_GROUP_ACTION_CREATE)
        return TRUE;
    }

  return FALSE;
}

/* Adds the updates of @updates that the history lacks, as far as
 * SOTTO_GROUP_MAX_UPDATES, and replays it; returns how many were new.
 *
 * A group is created once, and its history keeps the first creation it
 * got: anyone who knows a group's id may send a creation of its own as
 * its own update, and one whose author's UUID sorts first would
 * otherwise replace the group's title, members and admins. */
guint
_sotto_group_state_merge (SottoGroupState *state,
                          GPtrArray       *updates)
{
  gboolean created = has_create (state);
  guint n_new = 0;

  for (guint i = 0; i < updates->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (updates, i);

      if (state->history->len == SOTTO_GROUP_MAX_UPDATES)
        break;
      if (_sotto_group_state_has_update (state, update)
          || (update->action == SOTTO_GROUP_ACTION_CREATE && created))
        continue;
      g_ptr_array_add (state->history, _sotto_group_update_copy (update));
      created |= update->action == SOTTO_GROUP_ACTION_CREATE;
      n_new++;
    }

  g_ptr_array_sort (state->history, compare_updates_cb);
  replay (state);

  return n_new;
}
