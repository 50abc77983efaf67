/* sotto-content-group.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-content"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-message.h"
#include "sp-protobuf.h"
#include "sp-uuid.h"
#include "sp-xeddsa.h"

#include "sotto-content-group-private.h"
#include "sotto-display-text-private.h"
#include "sotto-content-private.h"
#include "sotto-engine-private.h"

/* Groups in Sotto's inner content (docs/messenger.md, "Groups"): the
 * group context, Content field 15, which a message to a group and a
 * change to a group travel in.
 *
 *   message GroupContext {
 *     bytes                id     = 1;  // the group's UUID: its creation's hash
 *     repeated GroupUpdate update = 2;  // changes, or a history to join
 *     DataMessage          data   = 3;  // a message to the group
 *     bytes          sender_key   = 4;  // SenderKeyDistributionMessage
 *     bytes                avatar = 5;  // with updates: the group's picture
 *   }
 *   message GroupUpdate {
 *     uint32          action    = 1;  // SottoGroupAction
 *     uint64          version   = 2;  // 1 for create, else 1 + its parents' highest
 *     bytes           author    = 3;  // account UUID
 *     uint64          timestamp = 4;
 *     string          title     = 5;  // create and rename
 *     repeated Member member    = 6;
 *     repeated bytes  recipient = 7;  // account UUIDs it was sent to
 *     repeated bytes  parent    = 8;  // hashes of the updates it follows
 *     bytes           signature = 9;  // its author's, over the rest
 *     bytes    avatar_digest    = 10; // avatar: the picture's BLAKE2b-256
 *     uint32   avatar_size      = 11; // avatar: the picture's length
 *   }
 *   message Member {
 *     bytes uuid = 1; string username = 2; bool admin = 3;
 *     bytes identity = 4;  // 0x05 || key: create, add and key list it
 *   }
 *
 * A context carries one of updates, data and a sender key.  A sender
 * key goes inside a 1:1 session to each member, which then reads the
 * sender's group messages: SenderKeyMessages (envelope type 7), each
 * encrypted once for the whole group and holding content whose context
 * has the data.  A Sotto that
 * does not know field 15 sees content with nothing it can show, which
 * it keeps as a placeholder instead of misreading a group's message as
 * one to its sender alone.  Everything is read strictly and bounded:
 * members and recipients by SOTTO_GROUP_MAX_MEMBERS, updates by
 * SOTTO_GROUP_MAX_UPDATES, titles by SOTTO_GROUP_MAX_TITLE, parents by
 * SOTTO_GROUP_MAX_PARENTS, a picture by SOTTO_GROUP_MAX_AVATAR_SIZE.
 *
 * A group's picture is not part of the update that sets it: updates are
 * hashed into the group's history, which every member keeps and sends
 * whole to a member who joins.  The update carries the picture's digest
 * and size, and the picture travels beside it in the same context (and
 * beside a history, the group's current picture), to be checked against
 * the digest before anyone shows it (sotto-group-avatar.c).
 *
 * Each update is signed by its author's identity key (XEdDSA, as signed
 * prekeys are) over a domain string, the group's id (zeros for the
 * creation, which the id is made from) and the update's encoding without
 * the signature; the hash that names it covers the signature, which must
 * be canonical so that nobody but its author can give it another name.
 * Which key must have signed it is for the group's state to say
 * (sotto-group-state.c). */

#define UUID_SIZE SP_UUID_SIZE

enum
{
  CONTEXT_ID = 1,
  CONTEXT_UPDATE = 2,
  CONTEXT_DATA = 3,
  CONTEXT_SENDER_KEY = 4,
  CONTEXT_AVATAR = 5,
};

enum
{
  UPDATE_ACTION = 1,
  UPDATE_VERSION = 2,
  UPDATE_AUTHOR = 3,
  UPDATE_TIMESTAMP = 4,
  UPDATE_TITLE = 5,
  UPDATE_MEMBER = 6,
  UPDATE_RECIPIENT = 7,
  UPDATE_PARENT = 8,
  UPDATE_SIGNATURE = 9,
  UPDATE_AVATAR_DIGEST = 10,
  UPDATE_AVATAR_SIZE = 11,
};

enum
{
  MEMBER_UUID = 1,
  MEMBER_USERNAME = 2,
  MEMBER_ADMIN = 3,
  MEMBER_IDENTITY = 4,
};

/* What an update's signature is over, before the group's id. */
static const char SIGNATURE_DOMAIN[] = "Sotto group update";

/* The longest encoding of a member: its UUID, username, admin flag and
 * identity key, each with its tag and length. */
#define MEMBER_MAX_SIZE (2 + UUID_SIZE + 2 + SOTTO_CONTENT_MAX_SENDER + 2 + 2 + SP_PUBLIC_KEY_SIZE)

/* Members */

SottoGroupMember *
_sotto_group_member_new (const char *uuid,
                         const char *username,
                         gboolean    admin)
{
  SottoGroupMember *member = g_new0 (SottoGroupMember, 1);

  member->uuid = g_ascii_strdown (uuid, -1);
  member->username = g_strdup (username);
  member->admin = admin;

  return member;
}

SottoGroupMember *
_sotto_group_member_copy (const SottoGroupMember *member)
{
  SottoGroupMember *copy = _sotto_group_member_new (member->uuid, member->username, member->admin);

  if (member->has_identity)
    _sotto_group_member_set_identity (copy, member->identity);

  return copy;
}

void
_sotto_group_member_set_identity (SottoGroupMember *member,
                                  const guint8      identity[SP_PUBLIC_KEY_SIZE])
{
  memcpy (member->identity, identity, SP_PUBLIC_KEY_SIZE);
  member->has_identity = TRUE;
}

void
_sotto_group_member_free (SottoGroupMember *member)
{
  if (member == NULL)
    return;

  g_free (member->uuid);
  g_free (member->username);
  g_free (member);
}

/* Updates */

SottoGroupUpdate *
_sotto_group_update_new (SottoGroupAction  action,
                         guint64           version,
                         const char       *author,
                         gint64            timestamp,
                         const char       *title)
{
  SottoGroupUpdate *update = g_new0 (SottoGroupUpdate, 1);

  update->action = action;
  update->version = version;
  update->author = g_ascii_strdown (author, -1);
  update->timestamp = timestamp;
  update->title = g_strdup (title);
  update->members = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);
  update->recipients = g_new0 (char *, 1);

  return update;
}

SottoGroupUpdate *
_sotto_group_update_copy (const SottoGroupUpdate *update)
{
  SottoGroupUpdate *copy = _sotto_group_update_new (update->action, update->version, update->author,
                                                    update->timestamp, update->title);

  for (guint i = 0; i < update->members->len; i++)
    g_ptr_array_add (copy->members, _sotto_group_member_copy (g_ptr_array_index (update->members, i)));
  g_strfreev (copy->recipients);
  copy->recipients = g_strdupv (update->recipients);
  memcpy (copy->parents, update->parents, sizeof copy->parents);
  copy->n_parents = update->n_parents;
  copy->has_avatar = update->has_avatar;
  memcpy (copy->avatar_digest, update->avatar_digest, sizeof copy->avatar_digest);
  copy->avatar_size = update->avatar_size;
  memcpy (copy->signature, update->signature, sizeof copy->signature);
  memcpy (copy->hash, update->hash, sizeof copy->hash);
  copy->verified = update->verified;
  memcpy (copy->verified_by, update->verified_by, sizeof copy->verified_by);

  return copy;
}

void
_sotto_group_update_free (SottoGroupUpdate *update)
{
  if (update == NULL)
    return;

  g_free (update->author);
  g_free (update->title);
  g_ptr_array_unref (update->members);
  g_strfreev (update->recipients);
  g_free (update);
}

const char *
_sotto_group_action_name (SottoGroupAction action)
{
  switch (action)
    {
    case SOTTO_GROUP_ACTION_CREATE:
      return "create";
    case SOTTO_GROUP_ACTION_ADD:
      return "add";
    case SOTTO_GROUP_ACTION_REMOVE:
      return "remove";
    case SOTTO_GROUP_ACTION_LEAVE:
      return "leave";
    case SOTTO_GROUP_ACTION_RENAME:
      return "rename";
    case SOTTO_GROUP_ACTION_PROMOTE:
      return "promote";
    case SOTTO_GROUP_ACTION_DEMOTE:
      return "demote";
    case SOTTO_GROUP_ACTION_KEY:
      return "key";
    case SOTTO_GROUP_ACTION_AVATAR:
      return "avatar";
    default:
      g_assert_not_reached ();
    }
}

gboolean
_sotto_group_title_is_valid (const char *title)
{
  return title != NULL && _sotto_display_text_is_valid (title, strlen (title), SOTTO_GROUP_MAX_TITLE);
}

static gboolean
uuid_is_valid (const char *uuid)
{
  guint8 bytes[UUID_SIZE];

  return _sotto_uuid_to_bytes (uuid, bytes);
}

/* How many members each action lists. */
static gboolean
member_count_is_valid (SottoGroupAction action,
                       guint            n_members)
{
  switch (action)
    {
    case SOTTO_GROUP_ACTION_CREATE:
      return n_members >= 1 && n_members <= SOTTO_GROUP_MAX_MEMBERS;
    case SOTTO_GROUP_ACTION_ADD:
    case SOTTO_GROUP_ACTION_REMOVE:
    case SOTTO_GROUP_ACTION_PROMOTE:
    case SOTTO_GROUP_ACTION_DEMOTE:
    case SOTTO_GROUP_ACTION_KEY:
      return n_members == 1;
    case SOTTO_GROUP_ACTION_LEAVE:
    case SOTTO_GROUP_ACTION_RENAME:
    case SOTTO_GROUP_ACTION_AVATAR:
      return n_members == 0;
    default:
      return FALSE;
    }
}

/* Whether @update keeps every rule of the format: what a decoder
 * accepts and an encoder may write.  Whether its author may make it is
 * for the group's state to say (sotto-group-state.c). */
gboolean
_sotto_group_update_is_valid (const SottoGroupUpdate *update)
{
  gboolean titled = update->action == SOTTO_GROUP_ACTION_CREATE || update->action == SOTTO_GROUP_ACTION_RENAME;
  /* The updates that let members in, or sign with a new key, say with
   * which key. */
  gboolean keyed = update->action == SOTTO_GROUP_ACTION_CREATE || update->action == SOTTO_GROUP_ACTION_ADD
                   || update->action == SOTTO_GROUP_ACTION_KEY;
  gboolean author_listed = FALSE;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_recipients;

  if (!member_count_is_valid (update->action, update->members->len)
      || update->version == 0 || update->version > G_MAXINT64
      || (update->action == SOTTO_GROUP_ACTION_CREATE) != (update->version == 1)
      || !uuid_is_valid (update->author) || update->timestamp < 0
      || titled != (update->title != NULL)
      || (titled && !_sotto_group_title_is_valid (update->title)))
    return FALSE;

  /* Only an avatar update names a picture, of 1 to 64 KiB. */
  if (update->has_avatar != (update->avatar_size != 0)
      || (update->has_avatar
          && (update->action != SOTTO_GROUP_ACTION_AVATAR || update->avatar_size > SOTTO_GROUP_MAX_AVATAR_SIZE)))
    return FALSE;

  for (guint i = 0; i < update->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (update->members, i);

      if (!uuid_is_valid (member->uuid) || !g_hash_table_add (seen, member->uuid)
          || member->has_identity != keyed
          || (keyed && member->identity[0] != SP_KEY_TYPE_DJB)
          || (member->username != NULL
              && (member->username[0] == '\0' || !_sotto_content_sender_is_valid (member->username))))
        return FALSE;
      /* Only the creator is an admin from the start. */
      if (member->admin != (update->action == SOTTO_GROUP_ACTION_CREATE && g_str_equal (member->uuid, update->author)))
        return FALSE;
      author_listed |= g_str_equal (member->uuid, update->author);
    }
  if (update->action == SOTTO_GROUP_ACTION_CREATE && !author_listed)
    return FALSE;

  /* Only a creation follows nothing, and a parent is named once. */
  if ((update->action == SOTTO_GROUP_ACTION_CREATE) != (update->n_parents == 0)
      || update->n_parents > SOTTO_GROUP_MAX_PARENTS)
    return FALSE;
  for (guint i = 0; i < update->n_parents; i++)
    {
      for (guint j = 0; j < i; j++)
        {
          if (memcmp (update->parents[i], update->parents[j], SOTTO_GROUP_UPDATE_HASH_SIZE) == 0)
            return FALSE;
        }
    }

  n_recipients = g_strv_length (update->recipients);
  if (n_recipients > SOTTO_GROUP_MAX_MEMBERS)
    return FALSE;
  for (guint i = 0; i < n_recipients; i++)
    {
      if (!uuid_is_valid (update->recipients[i]))
        return FALSE;
    }

  return TRUE;
}

static gsize
update_size_bound (const SottoGroupUpdate *update)
{
  return 64 + (update->title != NULL ? strlen (update->title) : 0)
         + 2 + SP_SIGNATURE_SIZE
         + update->members->len * (2 + MEMBER_MAX_SIZE)
         + g_strv_length (update->recipients) * (2 + UUID_SIZE)
         + update->n_parents * (2 + SOTTO_GROUP_UPDATE_HASH_SIZE)
         + 2 + SOTTO_GROUP_AVATAR_DIGEST_SIZE + 1 + 10;
}

static void
write_uuid (SpPbWriter *writer,
            guint32     field,
            const char *uuid)
{
  guint8 bytes[UUID_SIZE];

  if (!_sotto_uuid_to_bytes (uuid, bytes))
    g_assert_not_reached ();
  sp_pb_write_bytes (writer, field, bytes, UUID_SIZE);
}

/* The canonical encoding of @update, with its signature when @signed_. */
static guint8 *
encode_update (const SottoGroupUpdate *update,
               gboolean                signed_,
               gsize                  *out_len)
{
  gsize bound = update_size_bound (update);
  g_autofree guint8 *out = g_malloc (bound);
  guint8 member_buffer[MEMBER_MAX_SIZE];
  SpPbWriter writer;

  sp_pb_writer_init (&writer, out, bound);
  sp_pb_write_varint (&writer, UPDATE_ACTION, update->action);
  sp_pb_write_varint (&writer, UPDATE_VERSION, update->version);
  write_uuid (&writer, UPDATE_AUTHOR, update->author);
  sp_pb_write_varint (&writer, UPDATE_TIMESTAMP, (guint64) update->timestamp);
  if (update->title != NULL)
    sp_pb_write_bytes (&writer, UPDATE_TITLE, (const guint8 *) update->title, strlen (update->title));
  for (guint i = 0; i < update->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (update->members, i);
      SpPbWriter member_writer;
      gsize member_len;

      sp_pb_writer_init (&member_writer, member_buffer, sizeof member_buffer);
      write_uuid (&member_writer, MEMBER_UUID, member->uuid);
      if (member->username != NULL)
        sp_pb_write_bytes (&member_writer, MEMBER_USERNAME, (const guint8 *) member->username,
                           strlen (member->username));
      if (member->admin)
        sp_pb_write_varint (&member_writer, MEMBER_ADMIN, 1);
      if (member->has_identity)
        sp_pb_write_bytes (&member_writer, MEMBER_IDENTITY, member->identity, SP_PUBLIC_KEY_SIZE);
      if (sp_pb_writer_finish (&member_writer, &member_len) != SP_OK)
        g_assert_not_reached ();
      sp_pb_write_bytes (&writer, UPDATE_MEMBER, member_buffer, member_len);
    }
  for (guint i = 0; update->recipients[i] != NULL; i++)
    write_uuid (&writer, UPDATE_RECIPIENT, update->recipients[i]);
  for (guint i = 0; i < update->n_parents; i++)
    sp_pb_write_bytes (&writer, UPDATE_PARENT, update->parents[i], SOTTO_GROUP_UPDATE_HASH_SIZE);
  if (update->has_avatar)
    {
      sp_pb_write_bytes (&writer, UPDATE_AVATAR_DIGEST, update->avatar_digest, SOTTO_GROUP_AVATAR_DIGEST_SIZE);
      sp_pb_write_varint (&writer, UPDATE_AVATAR_SIZE, update->avatar_size);
    }
  if (signed_)
    sp_pb_write_bytes (&writer, UPDATE_SIGNATURE, update->signature, SP_SIGNATURE_SIZE);

  if (sp_pb_writer_finish (&writer, out_len) != SP_OK)
    g_assert_not_reached ();

  return g_steal_pointer (&out);
}

/* Sets @update's hash from its canonical encoding: the same update has
 * the same hash on every device, however it was encoded on the way. */
void
_sotto_group_update_seal (SottoGroupUpdate *update)
{
  gsize len;
  g_autofree guint8 *encoded = encode_update (update, TRUE, &len);

  crypto_generichash (update->hash, sizeof update->hash, encoded, len, NULL, 0);
}

/* What @update's signature is over: the domain, the group's id (zeros
 * for a creation, whose hash makes the id) and the update without its
 * signature. */
static guint8 *
signed_bytes (const SottoGroupUpdate *update,
              const char             *group_id,
              gsize                  *out_len)
{
  guint8 id[UUID_SIZE] = { 0 };
  gsize len;
  g_autofree guint8 *encoded = encode_update (update, FALSE, &len);
  guint8 *out;

  if (update->action != SOTTO_GROUP_ACTION_CREATE && (group_id == NULL || !_sotto_uuid_to_bytes (group_id, id)))
    return NULL;

  *out_len = sizeof SIGNATURE_DOMAIN + UUID_SIZE + len;
  out = g_malloc (*out_len);
  memcpy (out, SIGNATURE_DOMAIN, sizeof SIGNATURE_DOMAIN);
  memcpy (out + sizeof SIGNATURE_DOMAIN, id, UUID_SIZE);
  memcpy (out + sizeof SIGNATURE_DOMAIN + UUID_SIZE, encoded, len);

  return out;
}

/* Signs @update, an update to the group @group_id (any, for a creation)
 * that keeps the format's rules, with its author's identity key, and
 * seals it. */
void
_sotto_group_update_sign (SottoGroupUpdate   *update,
                          const char         *group_id,
                          const SpPrivateKey *identity)
{
  gsize len = 0;
  g_autofree guint8 *message = signed_bytes (update, group_id, &len);

  g_assert (message != NULL);
  if (sp_xeddsa_sign (update->signature, identity, message, len, NULL) != SP_OK)
    g_assert_not_reached ();
  update->verified = FALSE;
  _sotto_group_update_seal (update);
}

/* Whether @update, to the group @group_id, carries a valid signature by
 * the identity key @identity; remembered, since a group's history is
 * checked again whenever it is replayed. */
gboolean
_sotto_group_update_verify (SottoGroupUpdate *update,
                            const char       *group_id,
                            const guint8      identity[SP_PUBLIC_KEY_SIZE])
{
  SpPublicKey key;
  g_autofree guint8 *message = NULL;
  gsize len = 0;

  if (update->verified && memcmp (update->verified_by, identity, SP_PUBLIC_KEY_SIZE) == 0)
    return TRUE;

  message = signed_bytes (update, group_id, &len);
  memcpy (key.bytes, identity, SP_PUBLIC_KEY_SIZE);
  if (message == NULL || sp_xeddsa_verify (&key, message, len, update->signature, SP_SIGNATURE_SIZE) != SP_OK)
    return FALSE;

  update->verified = TRUE;
  memcpy (update->verified_by, identity, SP_PUBLIC_KEY_SIZE);
  return TRUE;
}

/* The id of the group that @create, sealed, makes: the first 16 bytes
 * of its hash as a version 4 UUID.  A group's id thus names its one
 * creation, and nobody can make another creation for a group whose id
 * it knows (docs/messenger.md, "Groups"). */
char *
_sotto_group_update_group_id (const SottoGroupUpdate *create)
{
  guint8 bytes[UUID_SIZE];

  g_assert (create->action == SOTTO_GROUP_ACTION_CREATE);

  memcpy (bytes, create->hash, UUID_SIZE);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;

  return _sotto_content_uuid_from_bytes (bytes);
}

static char *
read_uuid (const SpPbField *field)
{
  if (field->wire_type != SP_PB_WIRE_BYTES || field->len != UUID_SIZE)
    return NULL;

  return _sotto_content_uuid_from_bytes (field->data);
}

static SottoGroupMember *
decode_member (const guint8 *data,
               gsize         len)
{
  g_autoptr(SottoGroupMember) member = g_new0 (SottoGroupMember, 1);
  guint32 seen = 0;
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case MEMBER_UUID:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || (member->uuid = read_uuid (&field)) == NULL)
            return NULL;
          break;

        case MEMBER_USERNAME:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen)
              || !_sotto_display_text_is_valid ((const char *) field.data, field.len, SOTTO_CONTENT_MAX_SENDER))
            return NULL;
          member->username = g_strndup ((const char *) field.data, field.len);
          break;

        case MEMBER_ADMIN:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_VARINT, &seen) || field.value != 1)
            return NULL;
          member->admin = TRUE;
          break;

        case MEMBER_IDENTITY:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || field.len != SP_PUBLIC_KEY_SIZE)
            return NULL;
          _sotto_group_member_set_identity (member, field.data);
          break;

        default:
          break;
        }
    }

  if (ret != 0 || member->uuid == NULL)
    return NULL;

  return g_steal_pointer (&member);
}

static SottoGroupUpdate *
decode_update (const guint8 *data,
               gsize         len)
{
  g_autoptr(SottoGroupUpdate) update = g_new0 (SottoGroupUpdate, 1);
  g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func (g_free);
  guint32 seen = 0;
  SpPbReader reader;
  SpPbField field;
  int ret;

  update->members = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case UPDATE_ACTION:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_VARINT, &seen)
              || field.value < SOTTO_GROUP_ACTION_CREATE || field.value > SOTTO_GROUP_ACTION_AVATAR)
            return NULL;
          update->action = (SottoGroupAction) field.value;
          break;

        case UPDATE_VERSION:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_VARINT, &seen))
            return NULL;
          update->version = field.value;
          break;

        case UPDATE_AUTHOR:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || (update->author = read_uuid (&field)) == NULL)
            return NULL;
          break;

        case UPDATE_TIMESTAMP:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_VARINT, &seen) || field.value > G_MAXINT64)
            return NULL;
          update->timestamp = (gint64) field.value;
          break;

        case UPDATE_TITLE:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen)
              || !_sotto_display_text_is_valid ((const char *) field.data, field.len, SOTTO_GROUP_MAX_TITLE))
            return NULL;
          update->title = g_strndup ((const char *) field.data, field.len);
          break;

        case UPDATE_MEMBER:
          {
            SottoGroupMember *member;

            if (field.wire_type != SP_PB_WIRE_BYTES || update->members->len == SOTTO_GROUP_MAX_MEMBERS
                || (member = decode_member (field.data, field.len)) == NULL)
              return NULL;
            g_ptr_array_add (update->members, member);
          }
          break;

        case UPDATE_RECIPIENT:
          {
            char *recipient;

            if (recipients->len == SOTTO_GROUP_MAX_MEMBERS || (recipient = read_uuid (&field)) == NULL)
              return NULL;
            g_ptr_array_add (recipients, recipient);
          }
          break;

        case UPDATE_PARENT:
          if (field.wire_type != SP_PB_WIRE_BYTES || field.len != SOTTO_GROUP_UPDATE_HASH_SIZE
              || update->n_parents == SOTTO_GROUP_MAX_PARENTS)
            return NULL;
          memcpy (update->parents[update->n_parents++], field.data, SOTTO_GROUP_UPDATE_HASH_SIZE);
          break;

        case UPDATE_AVATAR_DIGEST:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen)
              || field.len != SOTTO_GROUP_AVATAR_DIGEST_SIZE)
            return NULL;
          memcpy (update->avatar_digest, field.data, SOTTO_GROUP_AVATAR_DIGEST_SIZE);
          update->has_avatar = TRUE;
          break;

        case UPDATE_AVATAR_SIZE:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_VARINT, &seen) || field.value == 0
              || field.value > SOTTO_GROUP_MAX_AVATAR_SIZE)
            return NULL;
          update->avatar_size = (guint32) field.value;
          break;

        /* Only a canonical signature, which its signer alone can make. */
        case UPDATE_SIGNATURE:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || field.len != SP_SIGNATURE_SIZE
              || !sp_xeddsa_signature_is_canonical (field.data))
            return NULL;
          memcpy (update->signature, field.data, SP_SIGNATURE_SIZE);
          break;

        default:
          break;
        }
    }

  g_ptr_array_add (recipients, NULL);
  update->recipients = (GStrv) g_ptr_array_steal (recipients, NULL);

  if (ret != 0 || update->author == NULL || (seen & (1u << UPDATE_SIGNATURE)) == 0
      || !_sotto_group_update_is_valid (update))
    return NULL;

  _sotto_group_update_seal (update);
  return g_steal_pointer (&update);
}

/* Content */

/* Changes to a group, or a group's history for a member who joins it:
 * @updates is copied. */
SottoContent *
sotto_content_new_group_update (const char *id,
                                gint64      timestamp,
                                const char *sender,
                                const char *group_id,
                                GPtrArray  *updates)
{
  SottoContent *content;

  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);
  g_return_val_if_fail (sender == NULL || _sotto_content_sender_is_valid (sender), NULL);
  g_return_val_if_fail (group_id != NULL && g_uuid_string_is_valid (group_id), NULL);
  g_return_val_if_fail (updates != NULL && updates->len > 0 && updates->len <= SOTTO_GROUP_MAX_UPDATES, NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = SOTTO_CONTENT_KIND_GROUP_UPDATE;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->sender = g_strdup (sender);
  content->group_id = g_ascii_strdown (group_id, -1);
  content->group_updates = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  for (guint i = 0; i < updates->len; i++)
    g_ptr_array_add (content->group_updates, _sotto_group_update_copy (g_ptr_array_index (updates, i)));

  return content;
}

/* The sender's sender key for the group @group_id: @distribution, a
 * SenderKeyDistributionMessage. */
SottoContent *
sotto_content_new_group_sender_key (const char *id,
                                    gint64      timestamp,
                                    const char *group_id,
                                    GBytes     *distribution)
{
  SottoContent *content;

  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail (timestamp >= 0, NULL);
  g_return_val_if_fail (group_id != NULL && g_uuid_string_is_valid (group_id), NULL);
  g_return_val_if_fail (distribution != NULL && g_bytes_get_size (distribution) > 0
                        && g_bytes_get_size (distribution) <= SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE, NULL);

  content = g_new0 (SottoContent, 1);
  content->kind = SOTTO_CONTENT_KIND_GROUP_SENDER_KEY;
  content->id = g_ascii_strdown (id, -1);
  content->timestamp = timestamp;
  content->group_id = g_ascii_strdown (group_id, -1);
  content->group_sender_key = g_bytes_ref (distribution);

  return content;
}

/* Whether @kind is only ever carried in a group context. */
gboolean
_sotto_content_is_group_only (SottoContentKind kind)
{
  return kind == SOTTO_CONTENT_KIND_GROUP_UPDATE || kind == SOTTO_CONTENT_KIND_GROUP_SENDER_KEY;
}

/* Makes @content, a text (or reply), a reaction, an edit or a deletion
 * for everyone, a message to the group @group_id. */
void
sotto_content_set_group (SottoContent *content,
                         const char   *group_id)
{
  g_return_if_fail (content != NULL && _sotto_content_is_data (content->kind));
  g_return_if_fail (group_id != NULL && g_uuid_string_is_valid (group_id));

  g_free (content->group_id);
  content->group_id = g_ascii_strdown (group_id, -1);
}

void
_sotto_content_group_clear (SottoContent *content)
{
  g_clear_pointer (&content->group_id, g_free);
  g_clear_pointer (&content->group_updates, g_ptr_array_unref);
  g_clear_pointer (&content->group_sender_key, g_bytes_unref);
  g_clear_pointer (&content->group_avatar, g_bytes_unref);
}

/* Whether @content's group fields fit its kind, for the encoder. */
gboolean
_sotto_content_group_valid (const SottoContent *content)
{
  if (content->kind == SOTTO_CONTENT_KIND_GROUP_SENDER_KEY)
    return content->group_id != NULL && uuid_is_valid (content->group_id) && content->group_updates == NULL
           && content->group_sender_key != NULL && g_bytes_get_size (content->group_sender_key) > 0
           && g_bytes_get_size (content->group_sender_key) <= SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE
           && content->group_avatar == NULL;

  if (content->kind != SOTTO_CONTENT_KIND_GROUP_UPDATE)
    return content->group_updates == NULL && content->group_sender_key == NULL && content->group_avatar == NULL
           && (content->group_id == NULL || _sotto_content_is_data (content->kind));

  if (content->group_id == NULL || !uuid_is_valid (content->group_id)
      || content->group_updates == NULL || content->group_updates->len == 0
      || content->group_updates->len > SOTTO_GROUP_MAX_UPDATES
      || (content->group_avatar != NULL
          && (g_bytes_get_size (content->group_avatar) == 0
              || g_bytes_get_size (content->group_avatar) > SOTTO_GROUP_MAX_AVATAR_SIZE)))
    return FALSE;

  for (guint i = 0; i < content->group_updates->len; i++)
    {
      if (!_sotto_group_update_is_valid (g_ptr_array_index (content->group_updates, i)))
        return FALSE;
    }

  return TRUE;
}

static GBytes *
encode_context (const char   *group_id,
                GPtrArray    *updates,
                GBytes       *sender_key,
                GBytes       *avatar,
                const guint8 *data,
                gsize         data_len)
{
  g_autoptr(GPtrArray) encoded = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) lengths = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize bound = 2 + UUID_SIZE + 1 + 10 + data_len
                + (sender_key != NULL ? 1 + 10 + g_bytes_get_size (sender_key) : 0)
                + (avatar != NULL ? 1 + 10 + g_bytes_get_size (avatar) : 0);
  SpPbWriter writer;
  guint8 *out;
  gsize out_len;

  for (guint i = 0; updates != NULL && i < updates->len; i++)
    {
      gsize len;

      g_ptr_array_add (encoded, encode_update (g_ptr_array_index (updates, i), TRUE, &len));
      g_array_append_val (lengths, len);
      bound += 1 + 10 + len;
    }

  out = g_malloc (bound);
  sp_pb_writer_init (&writer, out, bound);
  write_uuid (&writer, CONTEXT_ID, group_id);
  for (guint i = 0; i < encoded->len; i++)
    sp_pb_write_bytes (&writer, CONTEXT_UPDATE, g_ptr_array_index (encoded, i),
                       g_array_index (lengths, gsize, i));
  if (sender_key != NULL)
    sp_pb_write_bytes (&writer, CONTEXT_SENDER_KEY, g_bytes_get_data (sender_key, NULL),
                       g_bytes_get_size (sender_key));
  if (avatar != NULL)
    sp_pb_write_bytes (&writer, CONTEXT_AVATAR, g_bytes_get_data (avatar, NULL), g_bytes_get_size (avatar));
  if (data != NULL)
    sp_pb_write_bytes (&writer, CONTEXT_DATA, data, data_len);
  if (sp_pb_writer_finish (&writer, &out_len) != SP_OK)
    g_assert_not_reached ();

  return g_bytes_new_take (out, out_len);
}

/* Replaces *@payload, the content's data message if any, with the
 * group context that carries it or the content's updates. */
void
_sotto_content_write_group (const SottoContent  *content,
                            guint8             **payload,
                            gsize               *payload_len)
{
  g_autoptr(GBytes) context = NULL;
  gsize len;

  context = encode_context (content->group_id, content->group_updates, content->group_sender_key,
                            content->group_avatar, *payload, *payload_len);
  if (*payload != NULL)
    sodium_memzero (*payload, *payload_len);
  g_free (*payload);
  *payload = g_bytes_unref_to_data (g_steal_pointer (&context), &len);
  *payload_len = len;
}

/* Reads a GroupContext into @content: a group update, or a message to
 * the group. */
gboolean
_sotto_content_read_group (SottoContent  *content,
                           const guint8  *data,
                           gsize          len,
                           GError       **error)
{
  g_autoptr(GPtrArray) updates = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  SpPbField message = { 0 };
  SpPbField sender_key = { 0 };
  SpPbField avatar = { 0 };
  guint32 seen = 0;
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case CONTEXT_ID:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || (content->group_id = read_uuid (&field)) == NULL)
            return _sotto_content_set_malformed (error, "group id");
          break;

        case CONTEXT_UPDATE:
          {
            SottoGroupUpdate *update;

            if (field.wire_type != SP_PB_WIRE_BYTES || updates->len == SOTTO_GROUP_MAX_UPDATES
                || (update = decode_update (field.data, field.len)) == NULL)
              return _sotto_content_set_malformed (error, "group update");
            g_ptr_array_add (updates, update);
          }
          break;

        case CONTEXT_DATA:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen))
            return _sotto_content_set_malformed (error, "group message");
          message = field;
          break;

        case CONTEXT_SENDER_KEY:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || field.len == 0
              || field.len > SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE)
            return _sotto_content_set_malformed (error, "group sender key");
          sender_key = field;
          break;

        case CONTEXT_AVATAR:
          if (!_sotto_content_take_field (&field, SP_PB_WIRE_BYTES, &seen) || field.len == 0
              || field.len > SOTTO_GROUP_MAX_AVATAR_SIZE)
            return _sotto_content_set_malformed (error, "group picture");
          avatar = field;
          break;

        default:
          break;
        }
    }

  /* One of updates, data and a sender key. */
  if (ret != 0 || content->group_id == NULL
      || (updates->len > 0) + (message.number != 0) + (sender_key.number != 0) != 1
      || (avatar.number != 0 && updates->len == 0))
    return _sotto_content_set_malformed (error, "group");

  if (sender_key.number != 0)
    {
      content->kind = SOTTO_CONTENT_KIND_GROUP_SENDER_KEY;
      content->group_sender_key = g_bytes_new (sender_key.data, sender_key.len);
      return TRUE;
    }

  if (updates->len > 0)
    {
      content->kind = SOTTO_CONTENT_KIND_GROUP_UPDATE;
      content->group_updates = g_steal_pointer (&updates);
      if (avatar.number != 0)
        content->group_avatar = g_bytes_new (avatar.data, avatar.len);
      return TRUE;
    }

  if (!_sotto_content_decode_data (content, message.data, message.len, error))
    return FALSE;

  /* This version keeps a text in a group, a reply, and a reaction, an
   * edit or a deletion for everyone; anything else a group member sends
   * (a timer, files) is for a newer Sotto, which is better shown as such
   * than dropped in part without a trace. */
  if (!_sotto_content_is_data (content->kind)
      || content->expire_timer != 0
      || content->attachments != NULL)
    {
      g_clear_pointer (&content->attachments, g_ptr_array_unref);
      content->expire_timer = 0;
      g_clear_pointer (&content->text, g_free);
      g_clear_pointer (&content->target_id, g_free);
      g_clear_pointer (&content->target_author, g_free);
      g_clear_pointer (&content->emoji, g_free);
      g_clear_pointer (&content->quote_id, g_free);
      g_clear_pointer (&content->quote_author, g_free);
      g_clear_pointer (&content->quote_text, g_free);
      content->kind = SOTTO_CONTENT_KIND_UNSUPPORTED;
    }

  return TRUE;
}

/* Storage of a group's history */

GBytes *
_sotto_group_updates_encode (const char *group_id,
                             GPtrArray  *updates)
{
  return encode_context (group_id, updates, NULL, NULL, NULL, 0);
}

GPtrArray *
_sotto_group_updates_decode (const guint8  *data,
                             gsize          len,
                             char         **group_id,
                             GError       **error)
{
  g_autoptr(SottoContent) content = g_new0 (SottoContent, 1);

  if (!_sotto_content_read_group (content, data, len, error))
    return NULL;

  if (content->kind != SOTTO_CONTENT_KIND_GROUP_UPDATE)
    {
      _sotto_content_set_malformed (error, "group history");
      return NULL;
    }

  *group_id = g_steal_pointer (&content->group_id);
  return g_steal_pointer (&content->group_updates);
}

/* The group id of a stored history, read whatever its updates are: a
 * history that an earlier Sotto stored (before updates were signed) no
 * longer decodes, but is still named by it.  %NULL unless the bytes are
 * well-formed fields with exactly one id. */
char *
_sotto_group_history_read_id (const guint8 *data,
                              gsize         len)
{
  g_autofree char *group_id = NULL;
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number != CONTEXT_ID)
        continue;
      if (group_id != NULL || (group_id = read_uuid (&field)) == NULL)
        return NULL;
    }

  return ret == 0 ? g_steal_pointer (&group_id) : NULL;
}
