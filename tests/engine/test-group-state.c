/* test-group-state.c: group updates in the content format, and the
 * group state their history gives
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-protobuf.h"

#include "engine-test-util.h"
#include "sotto-content-group-private.h"
#include "sotto-content-private.h"
#include "sotto-group-state-private.h"

#define GROUP "6f1c2f70-3b5e-4c1a-9a53-0d6ab5b8e0a1"
#define MESSAGE_ID "0b9f3e1c-51a4-4d1f-8c7e-2f0a9d4b6c11"
#define ALICE "aaaaaaaa-0000-4000-8000-000000000001"
#define BOB "bbbbbbbb-0000-4000-8000-000000000002"
#define CAROL "cccccccc-0000-4000-8000-000000000003"
#define DAVE "dddddddd-0000-4000-8000-000000000004"

static SottoGroupUpdate *
make_create (const char *author,
             const char *title,
             ...)
{
  SottoGroupUpdate *update = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, author, 1000, title);
  const char *uuid;
  va_list args;

  g_ptr_array_add (update->members, engine_test_group_member (author, "alice", TRUE));
  va_start (args, title);
  while ((uuid = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (update->members, engine_test_group_member (uuid, NULL, FALSE));
  va_end (args);
  engine_test_group_sign (update, NULL);

  return update;
}

/* A state for the group whose creation @updates holds. */
static SottoGroupState *
state_for (GPtrArray *updates)
{
  g_autofree char *id = engine_test_group_id (updates);

  return _sotto_group_state_new (id);
}

static GPtrArray *
updates_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
}

static SottoContent *
round_trip (const SottoContent *content)
{
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  g_autoptr(GError) error = NULL;
  SottoContent *decoded;

  g_assert_nonnull (encoded);
  decoded = sotto_content_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);

  return decoded;
}

static void
test_update_round_trip (void)
{
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(SottoContent) decoded = NULL;
  SottoGroupUpdate *create = make_create (ALICE, "Climbing", BOB, CAROL, NULL);
  SottoGroupUpdate *got;

  g_strfreev (create->recipients);
  create->recipients = g_strdupv ((GStrv) (const char *[]) { BOB, CAROL, NULL });
  engine_test_group_sign (create, NULL);
  g_ptr_array_add (updates, create);
  g_ptr_array_add (seen, _sotto_group_update_copy (create));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 2, ALICE, "Bouldering", NULL));

  content = sotto_content_new_group_update (MESSAGE_ID, 1234, "alice", GROUP, updates);
  decoded = round_trip (content);

  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_GROUP_UPDATE);
  g_assert_cmpstr (decoded->group_id, ==, GROUP);
  g_assert_cmpstr (decoded->sender, ==, "alice");
  g_assert_cmpuint (decoded->group_updates->len, ==, 2);

  got = g_ptr_array_index (decoded->group_updates, 0);
  g_assert_cmpint (got->action, ==, SOTTO_GROUP_ACTION_CREATE);
  g_assert_cmpstr (got->title, ==, "Climbing");
  g_assert_cmpuint (got->members->len, ==, 3);
  g_assert_true (((SottoGroupMember *) g_ptr_array_index (got->members, 0))->admin);
  g_assert_cmpstr (((SottoGroupMember *) g_ptr_array_index (got->members, 0))->username, ==, "alice");
  g_assert_true (g_strv_equal ((const char * const *) got->recipients, (const char *[]) { BOB, CAROL, NULL }));
  g_assert_cmpmem (got->hash, sizeof got->hash, create->hash, sizeof create->hash);
  g_assert_true (((SottoGroupMember *) g_ptr_array_index (got->members, 1))->has_identity);
  g_assert_cmpmem (((SottoGroupMember *) g_ptr_array_index (got->members, 1))->identity, SP_PUBLIC_KEY_SIZE,
                   ((SottoGroupMember *) g_ptr_array_index (create->members, 1))->identity, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpmem (got->signature, sizeof got->signature, create->signature, sizeof create->signature);

  got = g_ptr_array_index (decoded->group_updates, 1);
  g_assert_cmpint (got->action, ==, SOTTO_GROUP_ACTION_RENAME);
  g_assert_cmpstr (got->title, ==, "Bouldering");
  g_assert_cmpuint (got->version, ==, 2);
  g_assert_cmpuint (got->n_parents, ==, 1);
  g_assert_cmpmem (got->parents[0], SOTTO_GROUP_UPDATE_HASH_SIZE, create->hash, sizeof create->hash);
}

static void
test_text_round_trip (void)
{
  g_autoptr(SottoContent) content = sotto_content_new_text (MESSAGE_ID, 1234, "alice", "hello group");
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(SottoContent) plain = NULL;

  sotto_content_set_group (content, GROUP);
  decoded = round_trip (content);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded->text, ==, "hello group");
  g_assert_cmpstr (decoded->group_id, ==, GROUP);
  g_assert_null (decoded->group_updates);

  /* A text to one person names no group. */
  g_clear_pointer (&content->group_id, g_free);
  plain = round_trip (content);
  g_assert_null (plain->group_id);
}

/* A group text with a timer is for a newer Sotto: this version has no
 * timers in groups, so it shows the placeholder rather than drop the
 * timer without a trace.  A reply, a reaction, an edit and a deletion
 * for everyone go to a group as they go to a contact. */
static void
test_text_with_more (void)
{
  g_autoptr(SottoContent) timed = sotto_content_new_text (MESSAGE_ID, 1234, "alice", "gone soon");
  g_autoptr(SottoContent) reply = sotto_content_new_text (MESSAGE_ID, 1234, "alice", "me too");
  g_autoptr(SottoContent) reaction = NULL;
  g_autoptr(SottoContent) decoded = NULL;

  timed->expire_timer = 30;
  sotto_content_set_group (timed, GROUP);
  decoded = round_trip (timed);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_UNSUPPORTED);
  g_assert_null (decoded->text);
  g_assert_cmpuint (decoded->expire_timer, ==, 0);

  g_clear_pointer (&decoded, sotto_content_free);
  sotto_content_set_quote (reply, "0badc0de-0000-4000-8000-000000000001", "0badc0de-0000-4000-8000-000000000002", "who else?");
  sotto_content_set_group (reply, GROUP);
  decoded = round_trip (reply);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded->text, ==, "me too");
  g_assert_cmpstr (decoded->quote_id, ==, "0badc0de-0000-4000-8000-000000000001");
  g_assert_cmpstr (decoded->quote_text, ==, "who else?");
  g_assert_cmpstr (decoded->group_id, ==, GROUP);

  g_clear_pointer (&decoded, sotto_content_free);
  reaction = sotto_content_new_reaction (MESSAGE_ID, 1234, "alice", "0badc0de-0000-4000-8000-000000000001",
                                         "0badc0de-0000-4000-8000-000000000002", "👍");
  sotto_content_set_group (reaction, GROUP);
  decoded = round_trip (reaction);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_REACTION);
  g_assert_cmpstr (decoded->emoji, ==, "👍");
  g_assert_cmpstr (decoded->target_author, ==, "0badc0de-0000-4000-8000-000000000002");
  g_assert_cmpstr (decoded->group_id, ==, GROUP);
}

/* Content version 2 around a GroupContext given in raw bytes. */
static SottoContent *
decode_raw_context (const guint8  *context,
                    gsize          context_len,
                    GError       **error)
{
  guint8 id[16] = { 1 };
  g_autofree guint8 *out = g_malloc0 (context_len + 256);
  SpPbWriter writer;
  gsize len;
  gsize total;

  out[0] = 2;
  sp_pb_writer_init (&writer, out + 1, context_len + 200);
  sp_pb_write_bytes (&writer, 1, id, sizeof id);
  sp_pb_write_varint (&writer, 2, 1234);
  sp_pb_write_bytes (&writer, SOTTO_CONTENT_FIELD_GROUP, context, context_len);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_OK);
  out[1 + len] = 0x80;
  total = (len + 2 + SOTTO_CONTENT_BLOCK_SIZE - 1) / SOTTO_CONTENT_BLOCK_SIZE * SOTTO_CONTENT_BLOCK_SIZE;
  out = g_realloc (out, total);
  memset (out + len + 2, 0, total - len - 2);

  return sotto_content_decode (out, total, error);
}

/* A GroupContext with one update: CREATE by Alice with @n_members
 * members, @title, and a data message too when @with_data. */
static GBytes *
raw_create (guint       n_members,
            const char *title,
            gboolean    with_data)
{
  guint8 group[16] = { 0x6f };
  guint8 alice[16] = { 0xaa };
  guint8 signature[SP_SIGNATURE_SIZE] = { 0 };
  gsize size = 4096 + n_members * 64;
  g_autofree guint8 *update = g_malloc (size);
  g_autofree guint8 *context = g_malloc (size + 64);
  SpPbWriter writer;
  gsize update_len;
  gsize context_len;

  sp_pb_writer_init (&writer, update, size);
  sp_pb_write_varint (&writer, 1, SOTTO_GROUP_ACTION_CREATE);
  sp_pb_write_varint (&writer, 2, 1);
  sp_pb_write_bytes (&writer, 3, alice, sizeof alice);
  sp_pb_write_varint (&writer, 4, 5);
  sp_pb_write_bytes (&writer, 5, (const guint8 *) title, strlen (title));
  for (guint i = 0; i < n_members; i++)
    {
      guint8 member[64];
      SpPbWriter member_writer;
      gsize member_len;
      guint8 uuid[16] = { 0xaa };
      guint8 identity[SP_PUBLIC_KEY_SIZE] = { SP_KEY_TYPE_DJB, 9 };

      uuid[15] = (guint8) i;
      uuid[14] = (guint8) (i >> 8);
      sp_pb_writer_init (&member_writer, member, sizeof member);
      sp_pb_write_bytes (&member_writer, 1, uuid, sizeof uuid);
      if (i == 0)
        sp_pb_write_varint (&member_writer, 3, 1);
      sp_pb_write_bytes (&member_writer, 4, identity, sizeof identity);
      g_assert_cmpint (sp_pb_writer_finish (&member_writer, &member_len), ==, SP_OK);
      sp_pb_write_bytes (&writer, 6, member, member_len);
    }
  /* Decoding does not check the signature, only its form. */
  sp_pb_write_bytes (&writer, 9, signature, sizeof signature);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &update_len), ==, SP_OK);

  sp_pb_writer_init (&writer, context, size + 64);
  sp_pb_write_bytes (&writer, 1, group, sizeof group);
  sp_pb_write_bytes (&writer, 2, update, update_len);
  if (with_data)
    sp_pb_write_bytes (&writer, 3, (const guint8 *) "\x0a\x02hi", 4);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &context_len), ==, SP_OK);

  return g_bytes_new (context, context_len);
}

static void
assert_raw (GBytes   *context,
            gboolean  valid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoContent) content = decode_raw_context (g_bytes_get_data (context, NULL),
                                                        g_bytes_get_size (context), &error);

  if (valid)
    {
      g_assert_no_error (error);
      g_assert_cmpint (content->kind, ==, SOTTO_CONTENT_KIND_GROUP_UPDATE);
    }
  else
    {
      g_assert_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED);
      g_assert_null (content);
    }
}

static void
test_bounds (void)
{
  g_autofree char *long_title = g_strnfill (SOTTO_GROUP_MAX_TITLE + 1, 't');
  g_autofree char *longest_title = g_strnfill (SOTTO_GROUP_MAX_TITLE, 't');
  g_autoptr(GBytes) fits = raw_create (SOTTO_GROUP_MAX_MEMBERS, longest_title, FALSE);
  g_autoptr(GBytes) too_many = raw_create (SOTTO_GROUP_MAX_MEMBERS + 1, "t", FALSE);
  g_autoptr(GBytes) too_long = raw_create (2, long_title, FALSE);
  g_autoptr(GBytes) empty_title = raw_create (2, "", FALSE);
  g_autoptr(GBytes) both = raw_create (2, "t", TRUE);

  assert_raw (fits, TRUE);
  assert_raw (too_many, FALSE);
  assert_raw (too_long, FALSE);
  assert_raw (empty_title, FALSE);
  assert_raw (both, FALSE);
}

/* A group's title is shown on one line, in the app and in sotto-cli's
 * output: a title with a line break, an escape sequence or a
 * directional override is refused, and so is a rename to one. */
static void
test_title_one_line (void)
{
  static const char *const refused[] = {
    "Climbing\nalice: the code is 1234", "Climbing\x1b[2J", "Climbing\xc2\x85", "Climbing \u202egnp.exe",
    "Climbing \u2066",
  };
  g_autoptr(GBytes) other_script = raw_create (2, "Klettern in Zürich 攀岩", FALSE);

  assert_raw (other_script, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GBytes) context = raw_create (2, refused[i], FALSE);

      assert_raw (context, FALSE);
      g_assert_false (_sotto_group_title_is_valid (refused[i]));
    }
}

static void
assert_member (SottoGroupState *state,
               const char      *uuid,
               gboolean         admin)
{
  const SottoGroupMember *member = _sotto_group_state_find_member (state, uuid);

  g_assert_nonnull (member);
  g_assert_cmpint (member->admin, ==, admin);
}

static void
test_rules (void)
{
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(SottoGroupUpdate) bob_adds = NULL;
  g_autoptr(SottoGroupUpdate) bob_renames = NULL;

  g_ptr_array_add (updates, make_create (ALICE, "Climbing", BOB, CAROL, NULL));
  g_ptr_array_add (seen, _sotto_group_update_copy (g_ptr_array_index (updates, 0)));
  state = state_for (seen);
  bob_adds = engine_test_group_update (seen, SOTTO_GROUP_ACTION_ADD, 2, BOB, NULL, DAVE);
  bob_renames = engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 2, BOB, "Bob's", NULL);
  g_ptr_array_add (updates, _sotto_group_update_copy (bob_adds));
  g_ptr_array_add (updates, _sotto_group_update_copy (bob_renames));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_LEAVE, 3, CAROL, NULL, NULL));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 4, BOB, NULL, ALICE));

  g_assert_cmpuint (_sotto_group_state_merge (state, updates), ==, 5);
  /* Bob is no admin: his add, rename and removal changed nothing; anyone
   * may leave. */
  g_assert_cmpstr (state->title, ==, "Climbing");
  g_assert_cmpuint (state->members->len, ==, 2);
  assert_member (state, ALICE, TRUE);
  assert_member (state, BOB, FALSE);
  g_assert_null (_sotto_group_state_find_member (state, CAROL));
  g_assert_null (_sotto_group_state_find_member (state, DAVE));
  g_assert_false (_sotto_group_state_was_applied (state, bob_adds));
  g_assert_cmpuint (state->version, ==, 4);

  /* The same updates again are nothing new. */
  g_assert_cmpuint (_sotto_group_state_merge (state, updates), ==, 0);

  /* The last admin leaves: the longest-standing member takes over. */
  g_ptr_array_set_size (updates, 0);
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_LEAVE, 5, ALICE, NULL, NULL));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 6, BOB, "Bob's", NULL));
  _sotto_group_state_merge (state, updates);
  g_assert_cmpuint (state->members->len, ==, 1);
  assert_member (state, BOB, TRUE);
  g_assert_cmpstr (state->title, ==, "Bob's");

  /* A second creation is refused. */
  g_ptr_array_set_size (updates, 0);
  g_ptr_array_add (updates, make_create (CAROL, "Mine", NULL));
  _sotto_group_state_merge (state, updates);
  g_assert_cmpstr (state->title, ==, "Bob's");
  g_assert_null (_sotto_group_state_find_member (state, CAROL));
}

static char *
describe (SottoGroupState *state)
{
  GString *out = g_string_new (state->title);

  g_string_append_printf (out, " v%" G_GUINT64_FORMAT, state->version);
  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (state->members, i);

      g_string_append_printf (out, " %s%s", member->uuid, member->admin ? "*" : "");
    }

  return g_string_free (out, FALSE);
}

/* Every order in which the updates may arrive, one at a time. */
static void
permute (GPtrArray  *updates,
         guint       first,
         const char *expected,
         guint      *n_orders)
{
  if (first == updates->len)
    {
      g_autoptr(SottoGroupState) state = state_for (updates);
      g_autofree char *got = NULL;

      for (guint i = 0; i < updates->len; i++)
        {
          g_autoptr(GPtrArray) one = g_ptr_array_new ();

          g_ptr_array_add (one, g_ptr_array_index (updates, i));
          _sotto_group_state_merge (state, one);
        }
      got = describe (state);
      g_assert_cmpstr (got, ==, expected);
      (*n_orders)++;
      return;
    }

  for (guint i = first; i < updates->len; i++)
    {
      gpointer swap = updates->pdata[first];

      updates->pdata[first] = updates->pdata[i];
      updates->pdata[i] = swap;
      permute (updates, first + 1, expected, n_orders);
      updates->pdata[i] = updates->pdata[first];
      updates->pdata[first] = swap;
    }
}

static void
test_convergence (void)
{
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(SottoGroupState) reference = NULL;
  g_autofree char *expected = NULL;
  guint n_orders = 0;

  /* Alice creates the group and makes Bob an admin; then, concurrently
   * (each at version 3, none having seen the others'), Alice renames it
   * and adds Dave, Bob renames it otherwise and removes Carol, and
   * Carol leaves. */
  g_ptr_array_add (updates, make_create (ALICE, "Climbing", BOB, CAROL, NULL));
  g_ptr_array_add (seen, _sotto_group_update_copy (g_ptr_array_index (updates, 0)));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, ALICE, NULL, BOB));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3, ALICE, "Alice's", NULL));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_ADD, 3, ALICE, NULL, DAVE));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3, BOB, "Bob's", NULL));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 3, BOB, NULL, CAROL));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_LEAVE, 3, CAROL, NULL, NULL));

  reference = state_for (updates);
  _sotto_group_state_merge (reference, updates);
  expected = describe (reference);
  /* Bob's rename sorts after Alice's (by author at the same version);
   * Bob removed Carol before her leave, which then changed nothing. */
  g_assert_cmpstr (expected, ==, "Bob's v3 " ALICE "* " BOB "* " DAVE);

  /* The reference's copies remember that their signatures are valid,
   * which the 5,040 replays need not find out again. */
  permute (reference->history, 0, expected, &n_orders);
  g_assert_cmpuint (n_orders, ==, 5040);
}

/* Dave made Bob an admin; then, concurrently, they remove each other,
 * and Bob renames the group and adds Alice.  Bob's updates sort first
 * (by author).  Removal wins over what the removed made without knowing
 * of it, and of two admins who remove each other the senior one (the
 * creator) stays, whatever order the updates come in: a removed admin
 * cannot undo its removal by making updates that claim to come before
 * it. */
static void
test_concurrent_removal (void)
{
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(SottoGroupState) reference = NULL;
  guint n_orders = 0;

  g_ptr_array_add (updates, make_create (DAVE, "Climbing", BOB, CAROL, NULL));
  g_ptr_array_add (seen, _sotto_group_update_copy (g_ptr_array_index (updates, 0)));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, DAVE, NULL, BOB));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 3, DAVE, NULL, BOB));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 3, BOB, NULL, DAVE));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3, BOB, "Bob's", NULL));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_ADD, 3, BOB, NULL, ALICE));

  reference = state_for (updates);
  _sotto_group_state_merge (reference, updates);
  permute (reference->history, 0, "Climbing v3 " DAVE "* " CAROL, &n_orders);
  g_assert_cmpuint (n_orders, ==, 720);
}

/* An update changes nothing until every update it names as a parent is
 * in the history, and never when its version is not one more than its
 * parents'. */
static void
test_parents (void)
{
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(SottoGroupUpdate) promote = NULL;
  g_autoptr(SottoGroupUpdate) rename = NULL;
  g_autoptr(SottoGroupUpdate) skipped = NULL;

  g_ptr_array_add (updates, make_create (ALICE, "Climbing", BOB, NULL));
  g_ptr_array_add (seen, _sotto_group_update_copy (g_ptr_array_index (updates, 0)));
  state = state_for (seen);
  promote = engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, ALICE, NULL, BOB);
  rename = engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3, BOB, "Bob's", NULL);
  /* The same rename claiming a later place than its parents give it. */
  skipped = _sotto_group_update_copy (rename);
  skipped->version = 7;
  engine_test_group_sign (skipped, state->id);

  g_ptr_array_add (updates, _sotto_group_update_copy (rename));
  g_ptr_array_add (updates, _sotto_group_update_copy (skipped));
  _sotto_group_state_merge (state, updates);
  g_assert_cmpstr (state->title, ==, "Climbing");
  g_assert_false (_sotto_group_state_was_applied (state, rename));
  g_assert_cmpuint (state->version, ==, 1);

  g_ptr_array_set_size (updates, 0);
  g_ptr_array_add (updates, _sotto_group_update_copy (promote));
  _sotto_group_state_merge (state, updates);
  g_assert_cmpstr (state->title, ==, "Bob's");
  g_assert_false (_sotto_group_state_was_applied (state, skipped));
  g_assert_cmpuint (state->version, ==, 3);
}

/* Signs @update, the last of @seen, again with @identity, as whoever
 * holds that key would, and puts it in @seen instead. */
static void
sign_again (GPtrArray        *seen,
            SottoGroupUpdate *update,
            const char       *group_id,
            const SpKeyPair  *identity)
{
  _sotto_group_update_sign (update, group_id, &identity->private_key);
  g_ptr_array_remove_index (seen, seen->len - 1);
  g_ptr_array_add (seen, _sotto_group_update_copy (update));
}

/* Whoever forwards a group's history (an admin catching a member up, or
 * giving a joining member the group) cannot make updates in another
 * member's name, nor change one it forwards: Alice, an admin, makes up
 * that Bob left and that Carol, an admin too, removed him, and changes
 * Carol's rename.  None of it counts, or lets anything after it count. */
static void
test_forged_attribution (void)
{
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(SottoGroupUpdate) rename = NULL;
  g_autoptr(SottoGroupUpdate) bob_left = NULL;
  g_autoptr(SottoGroupUpdate) carol_removes = NULL;
  g_autoptr(SottoGroupUpdate) altered = NULL;
  g_autoptr(SottoGroupUpdate) after = NULL;
  SpKeyPair alice;

  engine_test_group_identity (ALICE, &alice);
  g_ptr_array_add (updates, make_create (ALICE, "Climbing", BOB, CAROL, NULL));
  g_ptr_array_add (seen, _sotto_group_update_copy (g_ptr_array_index (updates, 0)));
  state = state_for (seen);
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, ALICE, NULL, CAROL));
  rename = engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3, CAROL, "Carol's", NULL);
  g_ptr_array_add (updates, _sotto_group_update_copy (rename));

  bob_left = engine_test_group_update (seen, SOTTO_GROUP_ACTION_LEAVE, 4, BOB, NULL, NULL);
  sign_again (seen, bob_left, state->id, &alice);
  carol_removes = engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 4, CAROL, NULL, BOB);
  sign_again (seen, carol_removes, state->id, &alice);
  /* Alice's own rename after the made-up leave, which it names. */
  after = _sotto_group_update_new (SOTTO_GROUP_ACTION_RENAME, 5, ALICE, 1767225600005, "After");
  memcpy (after->parents[0], bob_left->hash, SOTTO_GROUP_UPDATE_HASH_SIZE);
  after->n_parents = 1;
  engine_test_group_sign (after, state->id);
  /* Carol's signature stays, over the title she gave. */
  altered = _sotto_group_update_copy (rename);
  g_free (altered->title);
  altered->title = g_strdup ("Alice's");
  _sotto_group_update_seal (altered);

  g_ptr_array_add (updates, _sotto_group_update_copy (bob_left));
  g_ptr_array_add (updates, _sotto_group_update_copy (carol_removes));
  g_ptr_array_add (updates, _sotto_group_update_copy (altered));
  g_ptr_array_add (updates, _sotto_group_update_copy (after));
  _sotto_group_state_merge (state, updates);

  g_assert_cmpstr (state->title, ==, "Carol's");
  assert_member (state, BOB, FALSE);
  assert_member (state, CAROL, TRUE);
  g_assert_false (_sotto_group_state_was_applied (state, bob_left));
  g_assert_false (_sotto_group_state_was_applied (state, carol_removes));
  g_assert_false (_sotto_group_state_was_applied (state, altered));
  g_assert_false (_sotto_group_state_was_applied (state, after));
  g_assert_cmpuint (state->version, ==, 3);
}

/* Before Dave joins, Bob, who knows the group's creation, sends him a
 * made-up continuation of it: Alice adding Dave and making Bob an
 * admin.  It counts for nothing; the history Alice then sends does. */
static void
test_forged_continuation (void)
{
  g_autoptr(GPtrArray) fake = updates_new ();
  g_autoptr(GPtrArray) real = updates_new ();
  g_autoptr(SottoGroupState) state = NULL;
  g_autofree char *got = NULL;
  SottoGroupUpdate *update;
  SpKeyPair bob;

  engine_test_group_identity (BOB, &bob);
  g_ptr_array_add (real, make_create (ALICE, "Climbing", BOB, NULL));
  g_ptr_array_add (fake, _sotto_group_update_copy (g_ptr_array_index (real, 0)));
  state = state_for (real);

  update = engine_test_group_update (fake, SOTTO_GROUP_ACTION_ADD, 2, ALICE, NULL, DAVE);
  sign_again (fake, update, state->id, &bob);
  _sotto_group_update_free (update);
  update = engine_test_group_update (fake, SOTTO_GROUP_ACTION_PROMOTE, 2, ALICE, NULL, BOB);
  sign_again (fake, update, state->id, &bob);
  _sotto_group_update_free (update);
  _sotto_group_update_free (engine_test_group_update (real, SOTTO_GROUP_ACTION_ADD, 2, ALICE, NULL, DAVE));
  _sotto_group_update_free (engine_test_group_update (real, SOTTO_GROUP_ACTION_RENAME, 3, ALICE, "Bouldering",
                                                      NULL));

  _sotto_group_state_merge (state, fake);
  got = describe (state);
  g_assert_cmpstr (got, ==, "Climbing v1 " ALICE "* " BOB);
  g_clear_pointer (&got, g_free);

  _sotto_group_state_merge (state, real);
  got = describe (state);
  g_assert_cmpstr (got, ==, "Bouldering v3 " ALICE "* " BOB " " DAVE);
}

/* Bob, an admin, reinstalls and gets a new identity key.  What he signs
 * with it counts once Alice recorded it, not before; the old key signs
 * nothing after that; and what he signed with the old key before still
 * counts, also for Dave, who joins afterwards and checks the whole
 * history. */
static void
test_key_change_then_join (void)
{
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(GPtrArray) updates = updates_new ();
  g_autoptr(SottoGroupState) alice = NULL;
  g_autoptr(SottoGroupState) dave = NULL;
  g_autoptr(SottoGroupUpdate) early = NULL;
  g_autoptr(SottoGroupUpdate) stale = NULL;
  g_autoptr(SottoGroupUpdate) late = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_dave = NULL;
  SottoGroupUpdate *key;
  SpKeyPair reinstalled;

  engine_test_group_identity ("bob, reinstalled", &reinstalled);
  g_ptr_array_add (updates, make_create (ALICE, "Climbing", BOB, CAROL, NULL));
  g_ptr_array_add (seen, _sotto_group_update_copy (g_ptr_array_index (updates, 0)));
  alice = state_for (seen);
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, ALICE, NULL, BOB));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3, BOB, "Bob's", NULL));

  early = engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 4, BOB, "Too early", NULL);
  sign_again (seen, early, alice->id, &reinstalled);
  key = engine_test_group_update (seen, SOTTO_GROUP_ACTION_KEY, 4, ALICE, NULL, BOB);
  _sotto_group_member_set_identity (g_ptr_array_index (key->members, 0), reinstalled.public_key.bytes);
  engine_test_group_sign (key, alice->id);
  g_ptr_array_remove_index (seen, seen->len - 1);
  g_ptr_array_add (seen, _sotto_group_update_copy (key));
  g_ptr_array_add (updates, key);
  stale = engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 5, BOB, "Old key", NULL);
  late = engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 5, BOB, "New key", NULL);
  sign_again (seen, late, alice->id, &reinstalled);
  g_ptr_array_add (updates, _sotto_group_update_copy (early));
  g_ptr_array_add (updates, _sotto_group_update_copy (stale));
  g_ptr_array_add (updates, _sotto_group_update_copy (late));
  g_ptr_array_add (updates, engine_test_group_update (seen, SOTTO_GROUP_ACTION_ADD, 6, ALICE, NULL, DAVE));

  _sotto_group_state_merge (alice, updates);
  at_alice = describe (alice);
  g_assert_cmpstr (at_alice, ==, "New key v6 " ALICE "* " BOB "* " CAROL " " DAVE);
  g_assert_false (_sotto_group_state_was_applied (alice, early));
  g_assert_false (_sotto_group_state_was_applied (alice, stale));
  g_assert_cmpmem (_sotto_group_state_find_member (alice, BOB)->identity, SP_PUBLIC_KEY_SIZE,
                   reinstalled.public_key.bytes, SP_PUBLIC_KEY_SIZE);

  /* Dave gets the history from Alice, in the order of her store. */
  dave = _sotto_group_state_new (alice->id);
  _sotto_group_state_merge (dave, alice->history);
  at_dave = describe (dave);
  g_assert_cmpstr (at_dave, ==, at_alice);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, 0);

  g_test_add_func ("/group-state/update-round-trip", test_update_round_trip);
  g_test_add_func ("/group-state/text-round-trip", test_text_round_trip);
  g_test_add_func ("/group-state/text-with-more", test_text_with_more);
  g_test_add_func ("/group-state/bounds", test_bounds);
  g_test_add_func ("/group-state/title-one-line", test_title_one_line);
  g_test_add_func ("/group-state/rules", test_rules);
  g_test_add_func ("/group-state/convergence", test_convergence);
  g_test_add_func ("/group-state/concurrent-removal", test_concurrent_removal);
  g_test_add_func ("/group-state/parents", test_parents);
  g_test_add_func ("/group-state/forged-attribution", test_forged_attribution);
  g_test_add_func ("/group-state/forged-continuation", test_forged_continuation);
  g_test_add_func ("/group-state/key-change-then-join", test_key_change_then_join);

  return g_test_run ();
}
