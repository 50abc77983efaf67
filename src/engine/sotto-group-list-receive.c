/* sotto-group-list-receive.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sp-error.h"

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-engine-private.h"
#include "sotto-conversation.h"
#include "sotto-group-avatar-private.h"
#include "sotto-group-private.h"
#include "sotto-group-list-private.h"
#include "sotto-store-groups-private.h"

/* What members send to a group, as the inbox hands it over: on the
 * store's thread in the transaction that decrypted it, then on the main
 * thread once that committed.
 *
 * A message counts only from a current member.  An update counts from
 * its author; updates by others (a history for a member who joins, or
 * a catch-up) only from a current admin, or, for a group this account
 * is not in yet, from the admin who added it.  Updates the rules do not
 * allow stay in the history and change nothing (sotto-group-state.c). */

static const char *
member_username (SottoGroupState    *state,
                 const char         *uuid,
                 const SottoContent *content,
                 const char         *sender)
{
  const SottoGroupMember *member = _sotto_group_state_find_member (state, uuid);

  if (member != NULL && member->username != NULL)
    return member->username;

  /* A member who left is no longer listed; its own claim remains. */
  return g_ascii_strcasecmp (uuid, sender) == 0 ? content->sender : NULL;
}

static gboolean
add_event (SottoStore       *store,
           gint64            row,
           SottoGroupEvent  *event,
           GPtrArray        *events,
           GError          **error)
{
  GError *add_error = NULL;

  if (_sotto_store_add_group_event (store, row, event, &add_error))
    {
      g_ptr_array_add (events, event);
      return TRUE;
    }

  sotto_group_event_free (event);
  if (g_error_matches (add_error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
    {
      g_error_free (add_error);
      return TRUE;
    }

  g_propagate_error (error, add_error);
  return FALSE;
}

/* A message that came @sealed is marked so, as a 1:1 message is: its
 * details say that the relay did not learn who sent it. */
static gboolean
receive_message (SottoStore          *store,
                 SottoGroupState     *state,
                 gint64               row,
                 const char          *own_uuid,
                 const char          *sender,
                 const SottoContent  *content,
                 gboolean             sealed,
                 SottoGroupNews     **news,
                 GError             **error)
{
  g_autoptr(SottoGroupNews) received = NULL;
  SottoGroupEvent *event;
  guint unread_count = 0;

  /* A removed member's messages are not the group's, and what a member
   * who had not heard of this account's removal sent is not for it. */
  if (_sotto_group_state_find_member (state, sender) == NULL
      || _sotto_group_state_find_member (state, own_uuid) == NULL)
    return TRUE;

  event = sotto_group_event_new (SOTTO_GROUP_EVENT_TEXT, content->id, FALSE, sender,
                                 member_username (state, sender, content, sender),
                                 content->kind == SOTTO_CONTENT_KIND_TEXT
                                 ? content->text : _("This message needs a newer version of Sotto."),
                                 NULL, content->timestamp);
  event->quote_id = g_strdup (content->quote_id);
  event->quote_author = g_strdup (content->quote_author);
  event->quote_text = g_strdup (content->quote_text);

  received = _sotto_group_news_new (NULL);
  if (!add_event (store, row, event, received->events, error))
    return FALSE;
  if (received->events->len == 0)
    return TRUE;

  if (sealed)
    {
      if (!_sotto_store_mark_group_event_sealed (store, row, sender, content->id, error))
        return FALSE;
      ((SottoGroupEvent *) g_ptr_array_index (received->events, 0))->sealed = TRUE;
    }
  if (!_sotto_store_count_group_unread (store, state->id, &unread_count, error))
    return FALSE;
  received->unread_count = unread_count;

  received->state = _sotto_group_state_copy (state);
  *news = g_steal_pointer (&received);
  return TRUE;
}

/* How many of its own updates that the rules refused (or vetoed, or
 * that wait for their parents) one author may have in a group's history.  The history takes SOTTO_GROUP_MAX_UPDATES
 * and then no more changes, and a member's own update counts from it
 * whatever the rules say (it may be allowed once an update it depends on
 * arrives): without a bound, anyone who knows the group's id, such as a
 * removed member, could fill the history with refused updates and stop
 * the group from ever changing again. */
#define MAX_REFUSED_PER_AUTHOR 8

static guint
count_refused (SottoGroupState *state,
               const char      *author)
{
  guint n_refused = 0;

  for (guint i = 0; i < state->history->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (state->history, i);

      if (!g_array_index (state->applied, gboolean, i) && g_ascii_strcasecmp (update->author, author) == 0)
        n_refused++;
    }

  return n_refused;
}

/* Whether @update is not a creation, or the one whose hash the group's
 * id names: nobody can make another creation for a group it knows. */
static gboolean
is_own_creation (SottoGroupState        *state,
                 const SottoGroupUpdate *update)
{
  g_autofree char *id = NULL;

  if (update->action != SOTTO_GROUP_ACTION_CREATE)
    return TRUE;

  id = _sotto_group_update_group_id (update);
  return g_ascii_strcasecmp (id, state->id) == 0;
}

/* An admin keeps the group's history, to be sent once the inbox's
 * transaction committed, for each member that @update, which its author
 * just sent, did not reach: its author did not know of them yet
 * (docs/messenger.md, "Groups", on why that converges). */
static gboolean
keep_catch_ups (SottoStore              *store,
                SottoGroupState         *state,
                gint64                   row,
                const char              *own_uuid,
                const SottoGroupUpdate  *update,
                GPtrArray               *deliveries,
                GError                 **error)
{
  const SottoGroupMember *own = _sotto_group_state_find_member (state, own_uuid);

  if (own == NULL || !own->admin)
    return TRUE;

  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (state->members, i);

      if (g_ascii_strcasecmp (member->uuid, update->author) == 0
          || g_strv_contains ((const char * const *) update->recipients, member->uuid))
        continue;

      g_debug ("Catching up a member of group %s that an update did not reach", state->id);
      if (!_sotto_group_keep_catch_up (store, state, row, own_uuid, own->username, member->uuid, deliveries, error))
        return FALSE;
    }

  return TRUE;
}

/* The group's picture, which came with updates this device had already
 * (a catch-up, or a history sent again), if it still lacked it. */
static gboolean
receive_avatar (SottoStore          *store,
                SottoGroupState     *state,
                gint64               row,
                const SottoContent  *content,
                SottoGroupNews     **news,
                GError             **error)
{
  g_autoptr(SottoGroupNews) received = NULL;

  if (row == 0 || !_sotto_group_avatar_take (state, content->group_avatar))
    return TRUE;
  if (!_sotto_store_save_group_avatar (store, row, state, error))
    return FALSE;

  received = _sotto_group_news_new (_sotto_group_state_copy (state));
  *news = g_steal_pointer (&received);
  return TRUE;
}

/* A group this account joins is a request (docs/messenger.md, "Group
 * requests") unless whoever let it in is a contact the user accepted:
 * until the user accepts it, it makes this account send nothing. */
static gboolean
decide_request (SottoStore       *store,
                SottoGroupState  *state,
                const char       *own_uuid,
                GError          **error)
{
  const char *inviter = _sotto_group_state_inviter (state, own_uuid);
  gboolean accepted = FALSE;

  if (inviter != NULL && g_ascii_strcasecmp (inviter, own_uuid) == 0)
    accepted = TRUE;
  else if (inviter != NULL && !_sotto_store_is_accepted (store, inviter, &accepted, error))
    return FALSE;

  state->request = !accepted;
  return TRUE;
}

static gboolean
receive_updates (SottoStore          *store,
                 SottoGroupState     *state,
                 gint64               row,
                 const char          *own_uuid,
                 const char          *sender,
                 const SottoContent  *content,
                 SottoGroupNews     **news,
                 GError             **error)
{
  g_autoptr(GPtrArray) accepted = g_ptr_array_new ();
  g_autoptr(SottoGroupNews) received = NULL;
  gboolean joining = state->history->len == 0;
  const SottoGroupMember *author;
  gboolean trusted;
  guint n_refused;
  gboolean live;

  author = _sotto_group_state_find_member (state, sender);
  trusted = joining || (author != NULL && author->admin);
  /* Each update the sender makes itself may turn out refused. */
  n_refused = trusted ? 0 : count_refused (state, sender);
  for (guint i = 0; i < content->group_updates->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (content->group_updates, i);

      if (_sotto_group_state_has_update (state, update) || !is_own_creation (state, update))
        continue;
      if (trusted)
        g_ptr_array_add (accepted, update);
      else if (g_ascii_strcasecmp (update->author, sender) == 0 && n_refused++ < MAX_REFUSED_PER_AUTHOR)
        g_ptr_array_add (accepted, update);
    }
  if (accepted->len == 0)
    return receive_avatar (store, state, row, content, news, error);

  _sotto_group_state_merge (state, accepted);
  _sotto_group_avatar_take (state, content->group_avatar);

  /* A group to join comes from an admin who added this account. */
  author = _sotto_group_state_find_member (state, sender);
  if (joining && (_sotto_group_state_find_member (state, own_uuid) == NULL || author == NULL || !author->admin))
    return TRUE;
  if (joining && !decide_request (store, state, own_uuid, error))
    return FALSE;

  if (!_sotto_store_save_group (store, state, &row, error))
    return FALSE;

  received = _sotto_group_news_new (NULL);
  /* Only an update its author sent itself may have missed members that
   * its author did not know of: a history carries what others sent.  An
   * update that changed nothing needs nobody caught up, and a removed
   * member, who can send only those, does not get an admin to send the
   * whole history to every member. */
  live = content->group_updates->len == 1 && accepted->len == 1
         && g_ascii_strcasecmp (((SottoGroupUpdate *) g_ptr_array_index (accepted, 0))->author, sender) == 0
         && _sotto_group_state_was_applied (state, g_ptr_array_index (accepted, 0));

  for (guint i = 0; i < accepted->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (accepted, i);
      const char *author_name;

      if (live && !keep_catch_ups (store, state, row, own_uuid, update, received->deliveries, error))
        return FALSE;
      if (!_sotto_group_state_was_applied (state, update))
        continue;

      author_name = member_username (state, update->author, content, sender);
      if (author_name == NULL && update->action == SOTTO_GROUP_ACTION_LEAVE)
        {
          /* Whoever left is no longer listed: find the name it joined by. */
          for (guint j = 0; j < state->history->len && author_name == NULL; j++)
            {
              SottoGroupUpdate *earlier = g_ptr_array_index (state->history, j);

              for (guint k = 0; k < earlier->members->len && author_name == NULL; k++)
                {
                  SottoGroupMember *member = g_ptr_array_index (earlier->members, k);

                  if (g_ascii_strcasecmp (member->uuid, update->author) == 0)
                    author_name = member->username;
                }
            }
        }

      if (!add_event (store, row, _sotto_group_update_event (update, author_name, FALSE), received->events, error))
        return FALSE;

      /* A member went: the next message starts a new sender key. */
      if ((update->action == SOTTO_GROUP_ACTION_REMOVE || update->action == SOTTO_GROUP_ACTION_LEAVE)
          && !_sotto_store_rotate_group_own_key (store, row, error))
        return FALSE;
    }

  received->state = _sotto_group_state_copy (state);
  *news = g_steal_pointer (&received);
  return TRUE;
}

/* Keeps the sender key that a member's device sent for the group, if
 * both are still in it; a distribution message that does not process
 * changes nothing. */
static gboolean
receive_sender_key (SottoProtocolState  *protocol,
                    SottoGroupState     *state,
                    const char          *sender,
                    guint                sender_device,
                    const SottoContent  *content,
                    GError             **error)
{
  SpAddress address = { sender, sender_device };
  SpGroupCipher *cipher;
  int rc;

  if (_sotto_group_state_find_member (state, sender) == NULL
      || _sotto_group_state_find_member (state, protocol->local_name) == NULL)
    return TRUE;

  cipher = _sotto_protocol_state_get_group_cipher (protocol, error);
  if (cipher == NULL)
    return FALSE;

  rc = sp_group_cipher_process_distribution (cipher, &address, g_bytes_get_data (content->group_sender_key, NULL),
                                             g_bytes_get_size (content->group_sender_key));
  if (rc == SP_ERR_STORE || rc == SP_ERR_NO_MEMORY)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not keep a group’s key"));
      return FALSE;
    }
  if (rc != SP_OK)
    g_message ("Ignoring a sender key a group member sent: %s", sp_strerror (rc));

  return TRUE;
}

/* Runs on the store's thread, inside the inbox's transaction.  Stores
 * what @content, which the member @sender's device @sender_device sent
 * (@sealed: in a sealed envelope), brings to its group; @news is then what to show, or %NULL when
 * nothing is to be shown (a sender key, a repeat, or something the
 * rules refuse). */
gboolean
_sotto_group_receive_thread (SottoProtocolState  *protocol,
                             const char          *sender,
                             guint                sender_device,
                             const SottoContent  *content,
                             gboolean             sealed,
                             SottoGroupNews     **news,
                             GError             **error)
{
  SottoStore *store = protocol->store;
  const char *own_uuid = protocol->local_name;
  g_autoptr(SottoGroupState) state = NULL;
  GError *load_error = NULL;
  gint64 row = 0;

  g_return_val_if_fail (content->group_id != NULL, FALSE);

  *news = NULL;
  state = _sotto_store_load_group (store, content->group_id, &row, &load_error);
  if (load_error != NULL)
    {
      g_propagate_error (error, load_error);
      return FALSE;
    }
  /* What comes for a group whose history an earlier Sotto stored
   * changes nothing: nobody can change it any more. */
  if (state != NULL && state->outdated)
    return TRUE;

  if (content->kind == SOTTO_CONTENT_KIND_GROUP_SENDER_KEY)
    return state == NULL || receive_sender_key (protocol, state, sender, sender_device, content, error);

  if (_sotto_content_is_data (content->kind) && content->kind != SOTTO_CONTENT_KIND_TEXT)
    return state == NULL || _sotto_group_receive_change (store, state, row, own_uuid, sender, content, news, error);

  if (content->kind != SOTTO_CONTENT_KIND_GROUP_UPDATE)
    return state == NULL || receive_message (store, state, row, own_uuid, sender, content, sealed, news, error);

  if (state == NULL)
    state = _sotto_group_state_new (content->group_id);

  return receive_updates (store, state, row, own_uuid, sender, content, news, error);
}

/* Shows what a group content brought, once it is stored; @news stays
 * the caller's.  The catch-ups it kept then go. */
void
_sotto_group_list_received (SottoGroupList *self,
                            SottoGroupNews *news)
{
  SottoGroup *group;

  group = _sotto_group_list_show_state (self, g_steal_pointer (&news->state));

  if (news->unread_count >= 0)
    _sotto_group_set_unread_count (group, (guint) news->unread_count);
  for (guint i = 0; i < news->events->len; i++)
    _sotto_group_list_emit_event (self, group, g_ptr_array_index (news->events, i));
  _sotto_group_list_emit_changes (self, group, news);

  _sotto_group_list_deliver_kept (self, news->deliveries);
}
