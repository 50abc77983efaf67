/* fuzz-group-content.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds a group's history as the store keeps it and a catch-up carries
 * it (a GroupContext of updates) to its decoder, then replays what it
 * accepts, checking each update's signature against the identity key
 * its causal past records for its author (the seeds hold updates
 * signed as they should be, a key update, and one made up in another
 * member's name).  The decoder must succeed or fail cleanly; what it accepts
 * must encode to bytes that decode to updates with the same hashes;
 * and the state the history gives must keep the rules: no more members
 * than the limit, each once, and an admin whenever there is a member.
 * A group's picture beside the updates is kept only if it is the one
 * the history names, and only within its bounds.  The lenient reader of
 * a history's id, for histories earlier Sottos stored, fails cleanly
 * too, and names the id the decoder finds whenever the decoder accepts.
 */

#include <stdint.h>
#include <string.h>

#include "sp-init.h"

#include "sotto-content-group-private.h"
#include "sotto-content-private.h"
#include "sotto-group-avatar-private.h"
#include "sotto-group-state-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) updates = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *group_id = NULL;
  g_autofree char *again_id = NULL;
  g_autofree char *read_id = _sotto_group_history_read_id (data, size);
  g_autoptr(SottoContent) content = g_new0 (SottoContent, 1);
  gboolean has_admin = FALSE;

  g_assert_cmpint (sp_init (), ==, 0);

  updates = _sotto_group_updates_decode (data, size, &group_id, &error);
  if (updates == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }

  g_assert_cmpuint (updates->len, >, 0);
  g_assert_cmpuint (updates->len, <=, SOTTO_GROUP_MAX_UPDATES);
  g_assert_cmpstr (read_id, ==, group_id);

  encoded = _sotto_group_updates_encode (group_id, updates);
  again = _sotto_group_updates_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded),
                                       &again_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again_id, ==, group_id);
  g_assert_cmpuint (again->len, ==, updates->len);
  for (guint i = 0; i < updates->len; i++)
    {
      SottoGroupUpdate *a = g_ptr_array_index (updates, i);
      SottoGroupUpdate *b = g_ptr_array_index (again, i);

      g_assert_cmpmem (a->hash, sizeof a->hash, b->hash, sizeof b->hash);
    }

  state = _sotto_group_state_new (group_id);
  _sotto_group_state_merge (state, updates);
  g_assert_cmpuint (state->members->len, <=, SOTTO_GROUP_MAX_MEMBERS);
  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (state->members, i);

      g_assert_true (g_hash_table_add (seen, member->uuid));
      has_admin |= member->admin;
    }
  g_assert_true (state->members->len == 0 || has_admin);

  g_assert_true (_sotto_content_read_group (content, data, size, &error));
  if (_sotto_group_avatar_take (state, content->group_avatar))
    {
      g_assert_true (state->has_avatar);
      g_assert_cmpuint (g_bytes_get_size (state->avatar), ==, state->avatar_size);
      g_assert_cmpuint (state->avatar_size, <=, SOTTO_GROUP_MAX_AVATAR_SIZE);
    }

  return 0;
}
