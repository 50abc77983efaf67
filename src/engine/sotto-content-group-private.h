/* sotto-content-group-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sp-keys.h"
#include "sp-protobuf.h"
#include "sp-xeddsa.h"

G_BEGIN_DECLS

/* The most members a group has, this device included, and the longest
 * title in bytes.  A group message goes to every member's devices, and
 * the relay's multi-recipient send takes 128 accounts. */
#define SOTTO_GROUP_MAX_MEMBERS 128
#define SOTTO_GROUP_MAX_TITLE 128

/* The most updates in one content (a catch-up carries a group's whole
 * history) and in one group's history: a group that reached it takes
 * no more updates. */
#define SOTTO_GROUP_MAX_UPDATES 512

/* The length of an update's hash, its identity in a group's history. */
#define SOTTO_GROUP_UPDATE_HASH_SIZE 32

/* A group's picture: at most this many bytes, and as many pixels on a
 * side once the sender made it square (sotto-group-avatar.c); its
 * digest, BLAKE2b-256, is what the update that sets it carries. */
#define SOTTO_GROUP_MAX_AVATAR_SIZE (64 * 1024)
#define SOTTO_GROUP_AVATAR_SIDE 256
#define SOTTO_GROUP_AVATAR_DIGEST_SIZE 32

/* The most parents an update names: the latest of the heads its author
 * had, when it had more (sotto-group-state.c). */
#define SOTTO_GROUP_MAX_PARENTS 8

/**
 * SottoGroupAction:
 * @SOTTO_GROUP_ACTION_CREATE: the first update: @title and every member
 * @SOTTO_GROUP_ACTION_ADD: an admin adds the one member listed
 * @SOTTO_GROUP_ACTION_REMOVE: an admin removes the one member listed
 * @SOTTO_GROUP_ACTION_LEAVE: the author leaves
 * @SOTTO_GROUP_ACTION_RENAME: an admin sets @title
 * @SOTTO_GROUP_ACTION_PROMOTE: an admin makes the member listed an admin
 * @SOTTO_GROUP_ACTION_DEMOTE: an admin makes the admin listed a member
 * @SOTTO_GROUP_ACTION_KEY: an admin records the new identity key of the
 *   member listed, whose updates it then signs
 * @SOTTO_GROUP_ACTION_AVATAR: an admin sets the group's picture to the
 *   one @avatar_digest names, or removes it (@has_avatar unset)
 *
 * What a group update does (docs/messenger.md, "Groups").
 */
typedef enum
{
  SOTTO_GROUP_ACTION_CREATE = 1,
  SOTTO_GROUP_ACTION_ADD = 2,
  SOTTO_GROUP_ACTION_REMOVE = 3,
  SOTTO_GROUP_ACTION_LEAVE = 4,
  SOTTO_GROUP_ACTION_RENAME = 5,
  SOTTO_GROUP_ACTION_PROMOTE = 6,
  SOTTO_GROUP_ACTION_DEMOTE = 7,
  SOTTO_GROUP_ACTION_KEY = 8,
  SOTTO_GROUP_ACTION_AVATAR = 9,
} SottoGroupAction;

/* A member of a group: an account and the username it was added under
 * (a claim, for display), whether it is an admin, and the identity key
 * that signs its updates, as the admin who added it (or recorded a new
 * one) held it.  An update lists the key of each member it creates the
 * group with, adds, or records a new key for, and no other. */
typedef struct
{
  char *uuid;
  char *username;
  gboolean admin;
  gboolean has_identity;
  guint8 identity[SP_PUBLIC_KEY_SIZE];
} SottoGroupMember;

/**
 * SottoGroupUpdate:
 * @action: what it does
 * @version: its place in the group's history: 1 for create, otherwise
 *   one more than the highest version among its parents
 * @parents: the hashes of the updates its author had seen that no other
 *   it had seen followed (the heads of its history), @n_parents of them;
 *   none for create.  They say which updates it was made after.
 * @author: the account UUID of the member who made it
 * @timestamp: when, in milliseconds since the epoch
 * @title: (nullable): for create and rename
 * @members: the members it lists: everyone for create, the one member
 *   it is about otherwise, none for leave and rename
 * @recipients: the accounts its author sent it to
 * @has_avatar: for avatar, whether it sets a picture (else removes it)
 * @avatar_digest: the picture's BLAKE2b-256, when @has_avatar
 * @avatar_size: the picture's length in bytes, when @has_avatar
 * @signature: its author's XEdDSA signature over its canonical encoding
 *   without it, and the group's id (_sotto_group_update_sign())
 * @hash: BLAKE2b-256 of its canonical encoding, the signature included,
 *   which orders and deduplicates updates
 * @verified_by: the identity key that @signature was last found valid
 *   for, if @verified: a cache, not part of the update
 */
typedef struct
{
  SottoGroupAction action;
  guint64 version;
  guint8 parents[SOTTO_GROUP_MAX_PARENTS][SOTTO_GROUP_UPDATE_HASH_SIZE];
  guint n_parents;
  char *author;
  gint64 timestamp;
  char *title;
  GPtrArray *members;
  GStrv recipients;
  gboolean has_avatar;
  guint8 avatar_digest[SOTTO_GROUP_AVATAR_DIGEST_SIZE];
  guint32 avatar_size;
  guint8 signature[SP_SIGNATURE_SIZE];
  guint8 hash[SOTTO_GROUP_UPDATE_HASH_SIZE];
  gboolean verified;
  guint8 verified_by[SP_PUBLIC_KEY_SIZE];
} SottoGroupUpdate;

SottoGroupMember *_sotto_group_member_new      (const char             *uuid,
                                                const char             *username,
                                                gboolean                admin) G_GNUC_WARN_UNUSED_RESULT;
SottoGroupMember *_sotto_group_member_copy     (const SottoGroupMember *member) G_GNUC_WARN_UNUSED_RESULT;
void              _sotto_group_member_free     (SottoGroupMember       *member);
void              _sotto_group_member_set_identity (SottoGroupMember   *member,
                                                const guint8            identity[SP_PUBLIC_KEY_SIZE]);

SottoGroupUpdate *_sotto_group_update_new      (SottoGroupAction        action,
                                                guint64                 version,
                                                const char             *author,
                                                gint64                  timestamp,
                                                const char             *title) G_GNUC_WARN_UNUSED_RESULT;
SottoGroupUpdate *_sotto_group_update_copy     (const SottoGroupUpdate *update) G_GNUC_WARN_UNUSED_RESULT;
void              _sotto_group_update_free     (SottoGroupUpdate       *update);
gboolean          _sotto_group_update_is_valid (const SottoGroupUpdate *update);
void              _sotto_group_update_seal     (SottoGroupUpdate       *update);
void              _sotto_group_update_sign     (SottoGroupUpdate       *update,
                                                const char             *group_id,
                                                const SpPrivateKey     *identity);
gboolean          _sotto_group_update_verify   (SottoGroupUpdate       *update,
                                                const char             *group_id,
                                                const guint8            identity[SP_PUBLIC_KEY_SIZE]);
char             *_sotto_group_update_group_id (const SottoGroupUpdate *create) G_GNUC_WARN_UNUSED_RESULT;
const char       *_sotto_group_action_name     (SottoGroupAction        action);
gboolean          _sotto_group_title_is_valid  (const char             *title);

/* A group's history, as stored: the group's id and every update. */
GBytes           *_sotto_group_updates_encode  (const char             *group_id,
                                                GPtrArray              *updates) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray        *_sotto_group_updates_decode  (const guint8           *data,
                                                gsize                   len,
                                                char                  **group_id,
                                                GError                **error) G_GNUC_WARN_UNUSED_RESULT;
char             *_sotto_group_history_read_id (const guint8           *data,
                                                gsize                   len) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupMember, _sotto_group_member_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupUpdate, _sotto_group_update_free)

G_END_DECLS
