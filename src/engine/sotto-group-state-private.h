/* sotto-group-state-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sotto-content-group-private.h"

G_BEGIN_DECLS

/* A group as its history makes it (sotto-group-state.c): the updates
 * every member has seen, in one order, and what replaying them in that
 * order gives. */
typedef struct
{
  char *id;
  /* SottoGroupUpdate, in the group's order; applied[i] says whether
   * history[i] was allowed when it was replayed.  heads holds the
   * indexes of the updates whose parents all are in the history and
   * that no other names as a parent, in order. */
  GPtrArray *history;
  GArray *applied;
  GArray *heads;

  /* What the history gives: the title, the members in the order they
   * joined (SottoGroupMember), and the highest version of an update
   * whose parents all are in the history. */
  char *title;
  GPtrArray *members;
  guint64 version;

  /* The picture the history sets, if any: its digest and size.  The
   * picture itself is not in the history: @avatar is the one this
   * device has, which a replay keeps only while it matches. */
  gboolean has_avatar;
  guint8 avatar_digest[SOTTO_GROUP_AVATAR_DIGEST_SIZE];
  guint32 avatar_size;
  GBytes *avatar;

  /* Whether the group is a request this account has not accepted yet:
   * whoever added it was not a contact the user accepted when it joined
   * (docs/messenger.md, "Group requests").  This device's, kept beside
   * the history, not in it. */
  gboolean request;

  /* Whether an earlier Sotto stored the history, before updates were
   * signed: it does not decode, so the group has only its id and the
   * title its timeline names, and nobody can change it any more. */
  gboolean outdated;
} SottoGroupState;

SottoGroupState        *_sotto_group_state_new         (const char            *group_id) G_GNUC_WARN_UNUSED_RESULT;
SottoGroupState        *_sotto_group_state_copy        (SottoGroupState       *state) G_GNUC_WARN_UNUSED_RESULT;
void                    _sotto_group_state_free        (SottoGroupState       *state);
guint                   _sotto_group_state_merge       (SottoGroupState       *state,
                                                        GPtrArray             *updates);
gboolean                _sotto_group_state_has_update  (SottoGroupState       *state,
                                                        const SottoGroupUpdate *update);
gboolean                _sotto_group_state_was_applied (SottoGroupState       *state,
                                                        const SottoGroupUpdate *update);
const SottoGroupMember *_sotto_group_state_find_member (SottoGroupState       *state,
                                                        const char            *uuid);
gboolean                _sotto_group_state_set_avatar  (SottoGroupState       *state,
                                                        GBytes                *picture);
gboolean                _sotto_group_state_allows      (SottoGroupState       *state,
                                                        const SottoGroupUpdate *update);
void                    _sotto_group_state_follow      (SottoGroupState       *state,
                                                        SottoGroupUpdate      *update);
const char             *_sotto_group_state_inviter     (SottoGroupState       *state,
                                                        const char            *uuid);
int                     _sotto_group_update_compare    (const SottoGroupUpdate *a,
                                                        const SottoGroupUpdate *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupState, _sotto_group_state_free)

G_END_DECLS
