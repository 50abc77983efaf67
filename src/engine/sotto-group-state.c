/* sotto-group-state.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sotto-group-state-private.h"

/* A group's state is a pure function of the set of updates its history
 * holds (docs/messenger.md, "Groups", says why that converges).
 *
 * Each update names its parents, the updates its author had seen last,
 * and its version is one more than theirs: the updates sorted by
 * (version, author, hash) are a total order in which each comes after
 * everything it followed, and every device computes it alike.  An
 * update whose parents are not all in the history waits: it changes
 * nothing until they come.  The updates are replayed from nothing in
 * that order, each checked against the state the ones before it made:
 * only admins add, remove, rename and change admins, anyone may leave,
 * and an update that breaks a rule is kept in the history but changes
 * nothing.  A group left without admins makes its longest-standing
 * member one, so that it can still change.
 *
 * The order alone would let a removed admin win: its author picks an
 * update's parents, so it can make one that claims to come before its
 * removal.  Removal therefore wins over what the removed made without
 * knowing of it: an update by a member whom an admin removed or demoted
 * in an update that is not among its ancestors, nor it among the
 * removal's, is vetoed, and the replay is made again without it.  The
 * removal counts if its author could make it in the group its own
 * ancestors make, whatever came concurrently.  When two admins remove
 * or demote each other concurrently, the senior one's stands: the one
 * who was an admin first in the replay, the creator before anyone.  The
 * most senior admin's vetoes are made first, since they may veto a
 * junior's removal that would have vetoed others.  Each round vetoes
 * at least one more update, so it ends, and it depends on the history
 * alone.
 *
 * Every update is signed by its author, and counts only if it is signed
 * with the identity key that the group its ancestors make records for
 * its author: the creation lists every first member's key, an add the
 * added member's, and a key update (an admin's) a member's new one.  The
 * creation is signed with the key it lists for its creator.  An update
 * that is not waits, as one whose parents are missing does, and so does
 * everything after it.  Whoever forwards updates therefore cannot make
 * any in another member's name, nor change one, unless an admin records
 * a key of its own for that member, which every member sees.  An update
 * signed with a key that a vetoed update recorded is vetoed with it: a
 * removed admin cannot record a key of its own for a member while it was
 * still one, and then act in that member's name. */

SottoGroupState *
_sotto_group_state_new (const char *group_id)
{
  SottoGroupState *state = g_new0 (SottoGroupState, 1);

  state->id = g_ascii_strdown (group_id, -1);
  state->history = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  state->applied = g_array_new (FALSE, TRUE, sizeof (gboolean));
  state->heads = g_array_new (FALSE, FALSE, sizeof (guint));
  state->members = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);

  return state;
}

/* A copy of @state.  What its replay gave is copied, not made again:
 * replaying a history of SOTTO_GROUP_MAX_UPDATES takes long enough to
 * matter (bench/engine/bench-group-history.c), and the main thread
 * copies a group's state on every send to it. */
SottoGroupState *
_sotto_group_state_copy (SottoGroupState *state)
{
  SottoGroupState *copy = _sotto_group_state_new (state->id);

  for (guint i = 0; i < state->history->len; i++)
    g_ptr_array_add (copy->history, _sotto_group_update_copy (g_ptr_array_index (state->history, i)));
  g_array_append_vals (copy->applied, state->applied->data, state->applied->len);
  g_array_append_vals (copy->heads, state->heads->data, state->heads->len);
  copy->title = g_strdup (state->title);
  for (guint i = 0; i < state->members->len; i++)
    g_ptr_array_add (copy->members, _sotto_group_member_copy (g_ptr_array_index (state->members, i)));
  copy->version = state->version;
  copy->has_avatar = state->has_avatar;
  memcpy (copy->avatar_digest, state->avatar_digest, sizeof copy->avatar_digest);
  copy->avatar_size = state->avatar_size;
  if (state->avatar != NULL)
    copy->avatar = g_bytes_ref (state->avatar);
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
  g_array_unref (state->heads);
  g_free (state->title);
  g_ptr_array_unref (state->members);
  g_clear_pointer (&state->avatar, g_bytes_unref);
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
    case SOTTO_GROUP_ACTION_AVATAR:
      return is_admin (state, update->author);

    case SOTTO_GROUP_ACTION_PROMOTE:
      return is_admin (state, update->author) && existing != NULL && !existing->admin;

    case SOTTO_GROUP_ACTION_DEMOTE:
      return is_admin (state, update->author) && existing != NULL && existing->admin;

    case SOTTO_GROUP_ACTION_KEY:
      return is_admin (state, update->author) && existing != NULL;

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
      member = _sotto_group_member_new (target->uuid, target->username, FALSE);
      _sotto_group_member_set_identity (member, target->identity);
      g_ptr_array_add (state->members, member);
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

    case SOTTO_GROUP_ACTION_AVATAR:
      state->has_avatar = update->has_avatar;
      memcpy (state->avatar_digest, update->avatar_digest, sizeof state->avatar_digest);
      state->avatar_size = update->avatar_size;
      break;

    case SOTTO_GROUP_ACTION_PROMOTE:
    case SOTTO_GROUP_ACTION_DEMOTE:
      member = g_ptr_array_index (state->members, find_member_index (state, target->uuid));
      member->admin = update->action == SOTTO_GROUP_ACTION_PROMOTE;
      break;

    case SOTTO_GROUP_ACTION_KEY:
      member = g_ptr_array_index (state->members, find_member_index (state, target->uuid));
      _sotto_group_member_set_identity (member, target->identity);
      break;

    default:
      g_assert_not_reached ();
    }

  for (guint i = 0; i < state->members->len; i++)
    has_admin |= ((SottoGroupMember *) g_ptr_array_index (state->members, i))->admin;
  if (!has_admin && state->members->len > 0)
    ((SottoGroupMember *) g_ptr_array_index (state->members, 0))->admin = TRUE;
}

/* What the updates' parents say about the history, which a replay
 * needs: which updates have all their ancestors in it and are signed
 * as their ancestors say (the others wait, and change nothing yet), each
 * one's ancestors, as a bit set of history indexes, and the index of
 * the update that recorded the key it is signed with.  And, for each
 * removal or demotion, whether its author could make it in the group
 * its ancestors make (REVOCATION_UNKNOWN until it is asked): that
 * changes only when one of them is vetoed, and asking it again in every
 * round of vetoes made a hostile history of SOTTO_GROUP_MAX_UPDATES
 * take seconds to read (bench/engine/bench-group-history.c). */
typedef enum
{
  REVOCATION_UNKNOWN,
  REVOCATION_REFUSED,
  REVOCATION_ALLOWED,
} RevocationCheck;

typedef struct
{
  guint n;
  guint words;
  gboolean *complete;
  guint64 *ancestors;
  gboolean *vetoed;
  guint *key_source;
  RevocationCheck *revocation;
} Causality;

#define BIT_IS_SET(set, i) (((set)[(i) / 64] >> ((i) % 64)) & 1)

static guint
find_hash (SottoGroupState *state,
           const guint8    *hash,
           guint            end)
{
  for (guint i = 0; i < end; i++)
    {
      if (memcmp (((SottoGroupUpdate *) g_ptr_array_index (state->history, i))->hash, hash,
                  SOTTO_GROUP_UPDATE_HASH_SIZE) == 0)
        return i;
    }

  return G_MAXUINT;
}

static void replay_some (SottoGroupState *state,
                         Causality       *causality,
                         const guint64   *only,
                         guint            end,
                         gboolean        *applied,
                         GHashTable      *admin_since);

static const guint64 *
ancestors_of (Causality *causality,
              guint      i)
{
  return causality->ancestors + (gsize) i * causality->words;
}

/* Whether @update lists @uuid with the key it is to sign with. */
static gboolean
records_key (const SottoGroupUpdate *update,
             const char             *uuid)
{
  if (update->action != SOTTO_GROUP_ACTION_CREATE && update->action != SOTTO_GROUP_ACTION_ADD
      && update->action != SOTTO_GROUP_ACTION_KEY)
    return FALSE;

  for (guint i = 0; i < update->members->len; i++)
    {
      if (g_str_equal (((SottoGroupMember *) g_ptr_array_index (update->members, i))->uuid, uuid))
        return TRUE;
    }

  return FALSE;
}

/* Whether the update at @i, whose ancestors are all complete, is signed
 * with the key that the group they make records for its author (a
 * creation: the one it lists for its creator); sets where that key came
 * from. */
static gboolean
is_signed_as_recorded (SottoGroupState *state,
                       Causality       *causality,
                       guint            i)
{
  SottoGroupUpdate *update = g_ptr_array_index (state->history, i);
  g_autoptr(SottoGroupState) past = NULL;
  g_autofree gboolean *applied = NULL;
  const SottoGroupMember *author;

  if (update->action == SOTTO_GROUP_ACTION_CREATE)
    {
      for (guint m = 0; m < update->members->len; m++)
        {
          SottoGroupMember *member = g_ptr_array_index (update->members, m);

          if (g_str_equal (member->uuid, update->author))
            {
              causality->key_source[i] = i;
              return _sotto_group_update_verify (update, NULL, member->identity);
            }
        }
      return FALSE;
    }

  past = _sotto_group_state_new (state->id);
  g_ptr_array_unref (past->history);
  past->history = g_ptr_array_ref (state->history);
  applied = g_new0 (gboolean, i + 1);
  replay_some (past, causality, ancestors_of (causality, i), i, applied, NULL);

  author = _sotto_group_state_find_member (past, update->author);
  if (author == NULL || !author->has_identity || !_sotto_group_update_verify (update, state->id, author->identity))
    return FALSE;

  for (guint j = i; j-- > 0;)
    {
      if (applied[j] && records_key (g_ptr_array_index (state->history, j), update->author))
        {
          causality->key_source[i] = j;
          break;
        }
    }

  return TRUE;
}

static void
causality_init (Causality       *causality,
                SottoGroupState *state)
{
  causality->n = state->history->len;
  causality->words = (causality->n + 63) / 64;
  causality->complete = g_new0 (gboolean, causality->n);
  causality->ancestors = g_new0 (guint64, (gsize) causality->n * causality->words + 1);
  causality->vetoed = g_new0 (gboolean, causality->n);
  causality->key_source = g_new (guint, causality->n + 1);
  causality->revocation = g_new0 (RevocationCheck, causality->n + 1);
  for (guint i = 0; i < causality->n; i++)
    causality->key_source[i] = G_MAXUINT;

  /* Parents have lower versions, so they come before in the order. */
  for (guint i = 0; i < causality->n; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (state->history, i);
      guint64 *ancestors = causality->ancestors + (gsize) i * causality->words;
      guint64 highest = 0;
      gboolean complete = TRUE;

      for (guint p = 0; p < update->n_parents && complete; p++)
        {
          guint parent = find_hash (state, update->parents[p], i);
          guint64 *parent_ancestors = causality->ancestors + (gsize) parent * causality->words;

          complete = parent != G_MAXUINT && causality->complete[parent];
          if (!complete)
            break;
          for (guint w = 0; w < causality->words; w++)
            ancestors[w] |= parent_ancestors[w];
          ancestors[parent / 64] |= G_GUINT64_CONSTANT (1) << (parent % 64);
          highest = MAX (highest, ((SottoGroupUpdate *) g_ptr_array_index (state->history, parent))->version);
        }

      /* A version is one more than its parents', so that nobody can
       * place its update before what it followed. */
      causality->complete[i] = complete && update->version == highest + 1
                               && is_signed_as_recorded (state, causality, i);
    }
}

static void
causality_clear (Causality *causality)
{
  g_free (causality->complete);
  g_free (causality->ancestors);
  g_free (causality->vetoed);
  g_free (causality->key_source);
  g_free (causality->revocation);
}

/* Whether neither of the updates @a and @b was made after the other. */
static gboolean
concurrent (Causality *causality,
            guint      a,
            guint      b)
{
  return a != b && !BIT_IS_SET (ancestors_of (causality, a), b) && !BIT_IS_SET (ancestors_of (causality, b), a);
}

static void
reset (SottoGroupState *state)
{
  g_clear_pointer (&state->title, g_free);
  g_ptr_array_set_size (state->members, 0);
  state->has_avatar = FALSE;
  memset (state->avatar_digest, 0, sizeof state->avatar_digest);
  state->avatar_size = 0;
}

/* Whether applying @update can have made a member an admin: a group
 * always has one after each update, so only these give the role. */
static gboolean
may_make_admin (const SottoGroupUpdate *update)
{
  switch (update->action)
    {
    case SOTTO_GROUP_ACTION_CREATE:
    case SOTTO_GROUP_ACTION_PROMOTE:
    case SOTTO_GROUP_ACTION_REMOVE:
    case SOTTO_GROUP_ACTION_LEAVE:
    case SOTTO_GROUP_ACTION_DEMOTE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Replays, from nothing, the updates before @end that are complete, not
 * vetoed and, when @only is not %NULL, among its bits; @applied, when
 * not %NULL, gets whether each was allowed, and @admin_since the index
 * at which each member first became an admin. */
static void
replay_some (SottoGroupState *state,
             Causality       *causality,
             const guint64   *only,
             guint            end,
             gboolean        *applied,
             GHashTable      *admin_since)
{
  reset (state);

  for (guint i = 0; i < end; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (state->history, i);
      gboolean allowed;

      allowed = causality->complete[i] && !causality->vetoed[i] && (only == NULL || BIT_IS_SET (only, i))
                && _sotto_group_state_allows (state, update);
      if (allowed)
        apply (state, update);
      if (applied != NULL)
        applied[i] = allowed;

      /* Only an update that changed who is an admin can have made one. */
      for (guint m = 0; admin_since != NULL && allowed && may_make_admin (update) && m < state->members->len; m++)
        {
          SottoGroupMember *member = g_ptr_array_index (state->members, m);

          if (member->admin && !g_hash_table_contains (admin_since, member->uuid))
            g_hash_table_insert (admin_since, g_strdup (member->uuid), GUINT_TO_POINTER (i));
        }
    }
}

/* Whether @update removes @uuid or makes it a member again. */
static gboolean
revokes (const SottoGroupUpdate *update,
         const char             *uuid)
{
  const SottoGroupMember *target;

  if (update->action != SOTTO_GROUP_ACTION_REMOVE && update->action != SOTTO_GROUP_ACTION_DEMOTE)
    return FALSE;

  target = g_ptr_array_index (update->members, 0);
  return g_str_equal (target->uuid, uuid);
}

static guint
rank (GHashTable *admin_since,
      const char *uuid)
{
  gpointer index;

  return g_hash_table_lookup_extended (admin_since, uuid, NULL, &index) ? GPOINTER_TO_UINT (index) : G_MAXUINT;
}

/* Whether the update at @i, by the member that the revocation at @r
 * removes or demotes, was made without knowing of it and so stands
 * against it.  A leave needs no rights and stands.  When both remove
 * or demote each other, the senior admin's stands. */
static gboolean
stands_against (SottoGroupState *state,
                Causality       *causality,
                GHashTable      *admin_since,
                guint            r,
                guint            i)
{
  SottoGroupUpdate *revocation = g_ptr_array_index (state->history, r);
  SottoGroupUpdate *update = g_ptr_array_index (state->history, i);

  return causality->complete[i] && !causality->vetoed[i] && update->action != SOTTO_GROUP_ACTION_LEAVE
         && revokes (revocation, update->author) && concurrent (causality, r, i)
         && !(revokes (update, revocation->author)
              && rank (admin_since, update->author) < rank (admin_since, revocation->author));
}

/* Vetoes the updates that a removal or demotion of their author, made
 * concurrently by an admin, overrides, starting with the most senior
 * admin's (see the comment at the top); returns whether it vetoed any. */
static gboolean
veto_concurrent (SottoGroupState *state,
                 Causality       *causality,
                 GHashTable      *admin_since)
{
  g_autoptr(GArray) vetoes = g_array_new (FALSE, FALSE, sizeof (guint));
  guint senior = G_MAXUINT;

  for (guint r = 0; r < causality->n; r++)
    {
      SottoGroupUpdate *revocation = g_ptr_array_index (state->history, r);
      guint revoker_rank;
      guint first = G_MAXUINT;

      if (!causality->complete[r] || causality->vetoed[r]
          || (revocation->action != SOTTO_GROUP_ACTION_REMOVE && revocation->action != SOTTO_GROUP_ACTION_DEMOTE))
        continue;
      for (guint i = 0; i < causality->n && first == G_MAXUINT; i++)
        {
          if (stands_against (state, causality, admin_since, r, i))
            first = i;
        }
      revoker_rank = rank (admin_since, revocation->author);
      if (first == G_MAXUINT || revoker_rank > senior)
        continue;

      /* The revocation counts if its author could make it in the group
       * it had seen. */
      if (causality->revocation[r] == REVOCATION_UNKNOWN)
        {
          g_autoptr(SottoGroupState) before = _sotto_group_state_new (state->id);

          g_ptr_array_unref (before->history);
          before->history = g_ptr_array_ref (state->history);
          replay_some (before, causality, ancestors_of (causality, r), r, NULL, NULL);
          causality->revocation[r] = _sotto_group_state_allows (before, revocation) ? REVOCATION_ALLOWED
                                                                                     : REVOCATION_REFUSED;
        }
      if (causality->revocation[r] == REVOCATION_REFUSED)
        continue;

      if (revoker_rank < senior)
        g_array_set_size (vetoes, 0);
      senior = revoker_rank;
      for (guint i = first; i < causality->n; i++)
        {
          if (stands_against (state, causality, admin_since, r, i))
            g_array_append_val (vetoes, i);
        }
    }

  for (guint v = 0; v < vetoes->len; v++)
    causality->vetoed[g_array_index (vetoes, guint, v)] = TRUE;

  /* What was signed with a key that a vetoed update recorded stands no
   * more than it (its source comes before it in the order). */
  for (guint i = 0; i < causality->n; i++)
    {
      guint source = causality->key_source[i];

      if (source != G_MAXUINT && source != i && causality->vetoed[source] && !causality->vetoed[i])
        {
          causality->vetoed[i] = TRUE;
          g_array_append_val (vetoes, i);
        }
    }

  /* A revocation's group changes when one of its ancestors is vetoed. */
  for (guint r = 0; r < causality->n; r++)
    {
      for (guint v = 0; causality->revocation[r] != REVOCATION_UNKNOWN && v < vetoes->len; v++)
        {
          if (BIT_IS_SET (ancestors_of (causality, r), g_array_index (vetoes, guint, v)))
            causality->revocation[r] = REVOCATION_UNKNOWN;
        }
    }

  return vetoes->len > 0;
}

static void
find_heads (SottoGroupState *state,
            Causality       *causality)
{
  g_autofree gboolean *followed = g_new0 (gboolean, causality->n + 1);

  for (guint i = 0; i < causality->n; i++)
    {
      for (guint w = 0; causality->complete[i] && w < causality->words; w++)
        {
          for (guint b = 0; b < 64; b++)
            {
              if ((ancestors_of (causality, i)[w] >> b) & 1)
                followed[w * 64 + b] = TRUE;
            }
        }
    }

  g_array_set_size (state->heads, 0);
  state->version = 0;
  for (guint i = 0; i < causality->n; i++)
    {
      if (!causality->complete[i])
        continue;
      state->version = MAX (state->version, ((SottoGroupUpdate *) g_ptr_array_index (state->history, i))->version);
      if (!followed[i])
        g_array_append_val (state->heads, i);
    }
}

static void
replay (SottoGroupState *state)
{
  g_autoptr(GHashTable) admin_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Causality causality;

  causality_init (&causality, state);
  g_array_set_size (state->applied, state->history->len);

  do
    {
      g_hash_table_remove_all (admin_since);
      replay_some (state, &causality, NULL, causality.n, (gboolean *) (gpointer) state->applied->data, admin_since);
    }
  while (veto_concurrent (state, &causality, admin_since));

  find_heads (state, &causality);
  causality_clear (&causality);

  /* The picture this device has stays only while the history names it. */
  if (state->avatar != NULL)
    {
      g_autoptr(GBytes) avatar = g_steal_pointer (&state->avatar);

      _sotto_group_state_set_avatar (state, avatar);
    }
}

/* Keeps @picture as the group's picture if it is the one the history
 * sets: its size and BLAKE2b-256 are those of the update that set it.
 * Whether it is a picture at all is for sotto-group-avatar.c to say
 * before it is shown. */
gboolean
_sotto_group_state_set_avatar (SottoGroupState *state,
                               GBytes          *picture)
{
  guint8 digest[SOTTO_GROUP_AVATAR_DIGEST_SIZE];
  gsize size = g_bytes_get_size (picture);

  if (!state->has_avatar || size != state->avatar_size)
    return FALSE;

  crypto_generichash (digest, sizeof digest, g_bytes_get_data (picture, NULL), size, NULL, 0);
  if (sodium_memcmp (digest, state->avatar_digest, sizeof digest) != 0)
    return FALSE;

  g_clear_pointer (&state->avatar, g_bytes_unref);
  state->avatar = g_bytes_ref (picture);
  return TRUE;
}

/* Makes @update follow @state's history: its parents are the history's
 * latest heads, and its version one more than theirs.  Seal it after. */
void
_sotto_group_state_follow (SottoGroupState  *state,
                           SottoGroupUpdate *update)
{
  guint first = state->heads->len > SOTTO_GROUP_MAX_PARENTS ? state->heads->len - SOTTO_GROUP_MAX_PARENTS : 0;

  update->n_parents = 0;
  for (guint h = first; h < state->heads->len; h++)
    {
      SottoGroupUpdate *head = g_ptr_array_index (state->history, g_array_index (state->heads, guint, h));

      memcpy (update->parents[update->n_parents++], head->hash, SOTTO_GROUP_UPDATE_HASH_SIZE);
    }
  update->version = state->version + 1;
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
