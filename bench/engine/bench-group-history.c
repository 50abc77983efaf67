/* bench-group-history.c: what a hostile admin's 512-update history costs
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An admin may make a group's history as long as SOTTO_GROUP_MAX_UPDATES
 * and may add members with keys it made itself, whose updates it then
 * signs.  Every member's device replays the whole history whenever it
 * reads the group from its store (each group message received, each
 * draft saved, each page of the timeline), and again on the main thread
 * when the user sends to the group (_sotto_group_state_copy() in
 * prepared_cb() of sotto-group-list-send.c).  This measures, for two
 * histories of 512 updates:
 *
 *  - linear: the admin renames the group 511 times;
 *  - cascade: the admin creates the group with 127 members whose keys it
 *    holds, makes 126 of them admins one after the other, has each of
 *    them demote the next concurrently, and fills the rest with renames
 *    by them made at the same time: every round of vetoes
 *    (veto_concurrent() in sotto-group-state.c) vetoes one admin's
 *    updates, and each round replays the history once per revocation.
 *
 * the time of a store load (decode and replay with every signature
 * checked) and of a copy (a replay with the signatures already checked,
 * as the main thread makes on every send).
 *
 * Usage: bench-group-history [ROUNDS]
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"

#include "sotto-content-group-private.h"
#include "sotto-group-state-private.h"

#define N_PUPPETS 126

static void
identity_of (const char *uuid,
             SpKeyPair  *identity)
{
  guint8 seed[SP_PRIVATE_KEY_SIZE];

  crypto_generichash (seed, sizeof seed, (const guint8 *) uuid, strlen (uuid), NULL, 0);
  if (sp_key_pair_from_private (identity, seed, sizeof seed) != SP_OK)
    g_error ("Could not make a key");
}

static SottoGroupMember *
member_new (const char *uuid,
            gboolean    admin)
{
  SottoGroupMember *member = _sotto_group_member_new (uuid, NULL, admin);
  SpKeyPair identity;

  identity_of (uuid, &identity);
  _sotto_group_member_set_identity (member, identity.public_key.bytes);
  return member;
}

static void
sign (SottoGroupUpdate *update,
      const char       *group_id)
{
  SpKeyPair identity;

  identity_of (update->author, &identity);
  _sotto_group_update_sign (update, group_id, &identity.private_key);
}

/* Puppets sort so that the junior ones come first in the order: each
 * revocation is then more senior than the one before it. */
static char *
puppet_uuid (guint i)
{
  return g_strdup_printf ("%08x-0000-4000-8000-%012x", 0xf0000000u - i * 0x10000u, i);
}

#define ADMIN "10000000-0000-4000-8000-000000000001"
#define VICTIM "20000000-0000-4000-8000-000000000002"

/* An update after @parent (its version one more), about @target. */
static SottoGroupUpdate *
after (SottoGroupUpdate *parent,
       SottoGroupAction  action,
       const char       *author,
       const char       *title,
       const char       *target,
       const char       *group_id)
{
  SottoGroupUpdate *update = _sotto_group_update_new (action, parent->version + 1, author,
                                                      1767225600000 + (gint64) parent->version, title);

  memcpy (update->parents[0], parent->hash, SOTTO_GROUP_UPDATE_HASH_SIZE);
  update->n_parents = 1;
  if (target != NULL)
    g_ptr_array_add (update->members, action == SOTTO_GROUP_ACTION_KEY || action == SOTTO_GROUP_ACTION_ADD
                                        ? member_new (target, FALSE)
                                        : _sotto_group_member_new (target, NULL, FALSE));
  sign (update, group_id);
  return update;
}

static SottoGroupUpdate *
create (GPtrArray  *updates,
        gboolean    puppets,
        char      **group_id)
{
  SottoGroupUpdate *update = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, ADMIN, 1767225600000, "Hostile");

  g_ptr_array_add (update->members, member_new (ADMIN, TRUE));
  g_ptr_array_add (update->members, member_new (VICTIM, FALSE));
  for (guint i = 1; puppets && i <= N_PUPPETS; i++)
    {
      g_autofree char *uuid = puppet_uuid (i);

      g_ptr_array_add (update->members, member_new (uuid, FALSE));
    }
  sign (update, NULL);
  g_ptr_array_add (updates, update);
  *group_id = _sotto_group_update_group_id (update);
  return update;
}

static GPtrArray *
linear_history (char **group_id)
{
  GPtrArray *updates = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  SottoGroupUpdate *last = create (updates, FALSE, group_id);

  while (updates->len < SOTTO_GROUP_MAX_UPDATES)
    {
      g_autofree char *title = g_strdup_printf ("Hostile %u", updates->len);

      last = after (last, SOTTO_GROUP_ACTION_RENAME, ADMIN, title, NULL, *group_id);
      g_ptr_array_add (updates, last);
    }
  return updates;
}

static GPtrArray *
cascade_history (char **group_id)
{
  GPtrArray *updates = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  SottoGroupUpdate *last = create (updates, TRUE, group_id);
  SottoGroupUpdate *promoted;
  guint round = 0;

  for (guint i = 1; i <= N_PUPPETS; i++)
    {
      g_autofree char *uuid = puppet_uuid (i);

      last = after (last, SOTTO_GROUP_ACTION_PROMOTE, ADMIN, NULL, uuid, *group_id);
      g_ptr_array_add (updates, last);
    }
  promoted = last;

  /* Each demotes the next, all at once. */
  for (guint i = 1; i < N_PUPPETS; i++)
    {
      g_autofree char *uuid = puppet_uuid (i);
      g_autofree char *next = puppet_uuid (i + 1);

      g_ptr_array_add (updates, after (promoted, SOTTO_GROUP_ACTION_DEMOTE, uuid, NULL, next, *group_id));
    }

  /* And rename the group at the same time, to the end of the history. */
  while (updates->len < SOTTO_GROUP_MAX_UPDATES)
    {
      g_autofree char *uuid = puppet_uuid (2 + round % (N_PUPPETS - 1));
      g_autofree char *title = g_strdup_printf ("Puppet %u", round++);

      g_ptr_array_add (updates, after (promoted, SOTTO_GROUP_ACTION_RENAME, uuid, title, NULL, *group_id));
    }
  return updates;
}

static void
measure (const char *name,
         GPtrArray  *updates,
         const char *group_id,
         guint       rounds)
{
  g_autoptr(GBytes) stored = _sotto_group_updates_encode (group_id, updates);
  double load_best = G_MAXDOUBLE;
  double copy_best = G_MAXDOUBLE;
  guint n_applied = 0;
  guint n_members = 0;

  for (guint r = 0; r < rounds; r++)
    {
      g_autoptr(GPtrArray) decoded = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *id = NULL;
      g_autoptr(SottoGroupState) state = NULL;
      g_autoptr(SottoGroupState) copy = NULL;
      gint64 start = g_get_monotonic_time ();

      /* What _sotto_store_load_group() does with the stored history. */
      decoded = _sotto_group_updates_decode (g_bytes_get_data (stored, NULL), g_bytes_get_size (stored), &id, &error);
      g_assert_no_error (error);
      state = _sotto_group_state_new (id);
      _sotto_group_state_merge (state, decoded);
      load_best = MIN (load_best, (g_get_monotonic_time () - start) / 1e3);

      /* What the main thread does on every send to the group. */
      start = g_get_monotonic_time ();
      copy = _sotto_group_state_copy (state);
      copy_best = MIN (copy_best, (g_get_monotonic_time () - start) / 1e3);

      n_applied = 0;
      for (guint i = 0; i < state->applied->len; i++)
        n_applied += g_array_index (state->applied, gboolean, i);
      n_members = state->members->len;
    }

  g_print ("| %s | %u | %u | %u | %" G_GSIZE_FORMAT " | %.1f | %.1f |\n", name, updates->len, n_applied, n_members,
           g_bytes_get_size (stored), load_best, copy_best);
}

int
main (int    argc,
      char **argv)
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 3;
  g_autoptr(GPtrArray) linear = NULL;
  g_autoptr(GPtrArray) cascade = NULL;
  g_autofree char *linear_id = NULL;
  g_autofree char *cascade_id = NULL;

  if (sp_init () != SP_OK)
    return 1;

  linear = linear_history (&linear_id);
  cascade = cascade_history (&cascade_id);

  g_print ("| history | updates | applied | members | stored bytes | load (ms, best of %u) | copy (ms) |\n", rounds);
  g_print ("|---|---|---|---|---|---|---|\n");
  measure ("linear", linear, linear_id, rounds);
  measure ("cascade", cascade, cascade_id, rounds);

  return 0;
}
