/* sotto-store-groups.c: groups and their timelines in the store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-store-groups-private.h"

/* A group is one row of groups: the keyed hash of its id, to find it,
 * and its whole history, sealed; its state is replayed from the history
 * when it is read (sotto-group-state.c), and a row of group_requests
 * while the user has not accepted it.  Its timeline is group_events:
 * each entry sealed whole, with the keyed hash of its author and id to
 * refuse it twice, and its time in the clear to order and page it, as
 * messages have theirs. */

#define EVENT_FORMAT SOTTO_STORE_GROUP_EVENT_FORMAT

/* The form of what changed a message since it came (group_event_changes):
 * edited, deleted, the quote's id, author and text, and the reactions,
 * each its member's UUID, username ("" for none known), emoji and
 * whether it is this account's. */
#define CHANGES_FORMAT "(bbmsmsmsa(sssb))"

/* What a timeline entry's query selects, after its changes, of the
 * sending of one of this device's messages: the body and failure of its
 * row in group_outgoing (sotto-store-group-outgoing.c). */
#define OUTGOING_COLUMNS \
  "  (SELECT body FROM group_outgoing WHERE event_id = id)," \
  "  (SELECT failed FROM group_outgoing WHERE event_id = id)"

static void
set_corrupt (GError **error)
{
  g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                       _("A stored record is damaged"));
}

/* How many of the newest entries of an outdated group's timeline are
 * searched for its title. */
#define OUTDATED_TITLE_LOOKBACK 1000

/* The title of the group in row @row, whose history an earlier Sotto
 * stored, as the newest creation or renaming in its timeline names it,
 * or %NULL. */
static char *
outdated_title (SottoStore  *self,
                gint64       row,
                GError     **error)
{
  g_autoptr(GPtrArray) events = _sotto_store_load_group_events (self, row, OUTDATED_TITLE_LOOKBACK, error);

  for (guint i = events != NULL ? events->len : 0; i > 0; i--)
    {
      SottoGroupEvent *event = g_ptr_array_index (events, i - 1);

      if (event->kind == SOTTO_GROUP_EVENT_UPDATE && event->detail != NULL
          && (g_strcmp0 (event->text, "create") == 0 || g_strcmp0 (event->text, "rename") == 0))
        return g_strdup (event->detail);
    }

  return NULL;
}

/* A group whose @history an earlier Sotto stored, before updates were
 * signed: no member can change it any more, nor read it, but its id and
 * timeline are still there, and the user is shown that it is to be made
 * again rather than have it vanish.  %NULL when not even its id reads:
 * then it is damaged. */
static SottoGroupState *
read_outdated_group (SottoStore  *self,
                     gint64       row,
                     GBytes      *history,
                     GError     **error)
{
  g_autofree char *group_id = _sotto_group_history_read_id (g_bytes_get_data (history, NULL),
                                                            g_bytes_get_size (history));
  g_autoptr(SottoGroupState) state = NULL;
  GError *title_error = NULL;

  if (group_id == NULL)
    {
      set_corrupt (error);
      return NULL;
    }

  state = _sotto_group_state_new (group_id);
  state->outdated = TRUE;
  state->title = outdated_title (self, row, &title_error);
  if (title_error != NULL)
    {
      g_propagate_error (error, title_error);
      return NULL;
    }
  if (state->title == NULL)
    state->title = g_strdup (_("A group from an earlier Sotto"));

  return g_steal_pointer (&state);
}

static SottoGroupState *
read_group (SottoStore           *self,
            SottoStoreStatement  *statement,
            gint64                row,
            GError              **error)
{
  g_autoptr(GBytes) history = NULL;
  g_autoptr(GPtrArray) updates = NULL;
  g_autoptr(GError) decode_error = NULL;
  g_autofree char *group_id = NULL;
  SottoGroupState *state;

  if (!_sotto_store_column_unseal_bytes (self, statement, 1, "groups", "history", row, &history, error))
    return NULL;

  updates = _sotto_group_updates_decode (g_bytes_get_data (history, NULL), g_bytes_get_size (history),
                                         &group_id, &decode_error);
  if (updates == NULL)
    return read_outdated_group (self, row, history, error);

  state = _sotto_group_state_new (group_id);
  _sotto_group_state_merge (state, updates);
  state->request = sqlite3_column_int (statement, 2) != 0;
  if (!_sotto_store_load_group_avatar (self, row, state, error))
    {
      _sotto_group_state_free (state);
      return NULL;
    }

  return state;
}

static void
bind_group_hash (SottoStore          *self,
                 SottoStoreStatement *statement,
                 int                  index,
                 const char          *group_id)
{
  g_autofree char *id = g_ascii_strdown (group_id, -1);

  _sotto_store_bind_lookup_hash (self, statement, index, "groups", "group_hash", id, strlen (id));
}

/* Runs on the store's thread.  Returns the group @group_id and its
 * row, or %NULL without an error when there is no such group. */
SottoGroupState *
_sotto_store_load_group (SottoStore  *self,
                         const char  *group_id,
                         gint64      *row,
                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  *row = 0;
  statement = _sotto_store_prepare (self, "SELECT id, history, id IN (SELECT group_id FROM group_requests)"
                                    " FROM groups WHERE group_hash = ?1", error);
  if (statement == NULL)
    return NULL;
  bind_group_hash (self, statement, 1, group_id);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return NULL;
    }

  *row = sqlite3_column_int64 (statement, 0);
  return read_group (self, statement, *row, error);
}

/* Runs on the store's thread.  The row of the group @group_id, or 0
 * when there is no such group, without reading its history. */
gboolean
_sotto_store_find_group_row (SottoStore  *self,
                             const char  *group_id,
                             gint64      *row,
                             GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  *row = 0;
  statement = _sotto_store_prepare (self, "SELECT id FROM groups WHERE group_hash = ?1", error);
  if (statement == NULL)
    return FALSE;
  bind_group_hash (self, statement, 1, group_id);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_ROW)
    *row = sqlite3_column_int64 (statement, 0);
  else if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return FALSE;
    }

  return TRUE;
}

/* Runs on the store's thread.  Every group, in the order they were
 * first stored. */
GPtrArray *
_sotto_store_list_groups (SottoStore  *self,
                          GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_state_free);
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self, "SELECT id, history, id IN (SELECT group_id FROM group_requests)"
                                    " FROM groups ORDER BY id", error);
  if (statement == NULL)
    return NULL;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_autoptr(GError) read_error = NULL;
      SottoGroupState *state = read_group (self, statement, sqlite3_column_int64 (statement, 0), &read_error);

      /* A damaged group, whose id cannot even be read, is left out, not
       * the rest. */
      if (g_error_matches (read_error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT))
        {
          g_warning ("Leaving out a damaged group");
          continue;
        }
      if (state == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&read_error));
          return NULL;
        }
      g_ptr_array_add (groups, state);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return NULL;
    }

  return g_steal_pointer (&groups);
}

/* Runs on the store's thread.  Keeps whether the group in row @row is
 * a request, as @request says. */
static gboolean
save_request (SottoStore  *self,
              gint64       row,
              gboolean     request,
              GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self,
                                    request ? "INSERT OR IGNORE INTO group_requests (group_id) VALUES (?1)"
                                            : "DELETE FROM group_requests WHERE group_id = ?1",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Stores @state's history, and whether it
 * is a request, in its row @row, or in a new row, whose id @row is then
 * set to. */
gboolean
_sotto_store_save_group (SottoStore       *self,
                         SottoGroupState  *state,
                         gint64           *row,
                         GError          **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GBytes) history = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (state->history->len > 0, FALSE);

  if (*row == 0 && !_sotto_store_next_id (self, "SELECT COALESCE (MAX (id), 0) + 1 FROM groups", row, error))
    return FALSE;

  history = _sotto_group_updates_encode (state->id, state->history);
  statement = _sotto_store_prepare (self,
                                    "INSERT INTO groups (id, group_hash, history) VALUES (?1, ?2, ?3)"
                                    " ON CONFLICT (id) DO UPDATE SET history = excluded.history",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, *row);
  bind_group_hash (self, statement, 2, state->id);
  if (!_sotto_store_bind_sealed (self, statement, 3, "groups", "history", *row,
                                 g_bytes_get_data (history, NULL), g_bytes_get_size (history), error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error)
         && save_request (self, *row, state->request, error)
         && _sotto_store_save_group_avatar (self, *row, state, error);
}

/* Runs on the store's thread.  Forgets the group in row @row with its
 * timeline and everything kept for it, as if it had never come. */
gboolean
_sotto_store_delete_group (SottoStore  *self,
                           gint64       row,
                           GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_prepare (self, "DELETE FROM groups WHERE id = ?1", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);

  return _sotto_store_step_done (self, statement, error);
}

/* Binds the keyed hash of the entry @id by @author.  Each author chooses
 * the ids of its own entries, so an id is only unique for its author:
 * alone, one member's id could stand for another member's message. */
static void
bind_event_hash (SottoStore          *self,
                 SottoStoreStatement *statement,
                 int                  index,
                 const char          *author,
                 const char          *id)
{
  g_autofree char *lowered = g_ascii_strdown (author != NULL ? author : "", -1);
  gsize author_len = strlen (lowered);
  gsize id_len = strlen (id);
  /* The author, its terminating NUL, and the id: no two pairs alike. */
  g_autofree char *key = g_malloc (author_len + 1 + id_len);

  memcpy (key, lowered, author_len + 1);
  memcpy (key + author_len + 1, id, id_len);
  _sotto_store_bind_lookup_hash (self, statement, index, "group_events", "event_hash", key, author_len + 1 + id_len);
}

/* Writes what changed the entry in row @id since it came: its edit or
 * deletion, quote and reactions, as @event has them. */
static gboolean
save_changes (SottoStore             *self,
              gint64                  id,
              const SottoGroupEvent  *event,
              GError                **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GVariant) body = NULL;
  GVariantBuilder reactions;

  g_variant_builder_init (&reactions, G_VARIANT_TYPE ("a(sssb)"));
  for (guint i = 0; event->reactions != NULL && i < event->reactions->len; i++)
    {
      SottoGroupReaction *reaction = g_ptr_array_index (event->reactions, i);

      g_variant_builder_add (&reactions, "(sssb)", reaction->author,
                             reaction->author_name != NULL ? reaction->author_name : "", reaction->emoji,
                             reaction->outgoing);
    }
  body = g_variant_ref_sink (g_variant_new (CHANGES_FORMAT, event->edited, event->deleted, event->quote_id,
                                            event->quote_author, event->quote_text, &reactions));

  statement = _sotto_store_prepare (self, "INSERT OR REPLACE INTO group_event_changes (event_id, body) VALUES (?1, ?2)",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, id);
  if (!_sotto_store_bind_sealed (self, statement, 2, "group_event_changes", "body", id,
                                 g_variant_get_data (body), g_variant_get_size (body), error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Reads the changes of the entry in row @id from column @column of
 * @statement, if it has any, into @event. */
static gboolean
read_changes (SottoStore           *self,
              SottoStoreStatement  *statement,
              int                   column,
              gint64                id,
              SottoGroupEvent      *event,
              GError              **error)
{
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GVariant) body = NULL;
  g_autoptr(GVariantIter) reactions = NULL;
  const char *author;
  const char *author_name;
  const char *emoji;
  gboolean outgoing;

  if (sqlite3_column_type (statement, column) == SQLITE_NULL)
    return TRUE;

  if (!_sotto_store_column_unseal_bytes (self, statement, column, "group_event_changes", "body", id, &sealed, error))
    return FALSE;

  body = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (CHANGES_FORMAT), sealed, FALSE));
  if (!g_variant_is_normal_form (body))
    {
      set_corrupt (error);
      return FALSE;
    }

  g_variant_get (body, CHANGES_FORMAT, &event->edited, &event->deleted, &event->quote_id, &event->quote_author,
                 &event->quote_text, &reactions);
  if (g_variant_iter_n_children (reactions) > 0)
    event->reactions = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_group_reaction_free);
  while (g_variant_iter_next (reactions, "(&s&s&sb)", &author, &author_name, &emoji, &outgoing))
    {
      SottoGroupReaction *reaction = sotto_group_reaction_new (author, author_name[0] != '\0' ? author_name : NULL,
                                                               emoji);

      reaction->outgoing = outgoing;
      g_ptr_array_add (event->reactions, reaction);
    }

  return TRUE;
}

/* Runs on the store's thread.  Adds @event to the timeline of the
 * group in row @row; one it holds already is %SOTTO_STORE_ERROR_EXISTS. */
gboolean
_sotto_store_add_group_event (SottoStore             *self,
                              gint64                  row,
                              const SottoGroupEvent  *event,
                              GError                **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GVariant) body = NULL;
  gint64 id;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  if (!_sotto_store_next_id (self, "SELECT COALESCE (MAX (id), 0) + 1 FROM group_events", &id, error))
    return FALSE;

  body = g_variant_ref_sink (g_variant_new (EVENT_FORMAT, (guint32) event->kind, event->id,
                                            event->outgoing, event->author, event->author_name,
                                            event->text, event->detail));
  statement = _sotto_store_prepare (self,
                                    "INSERT INTO group_events (id, group_id, event_hash, sent_at, body)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5)",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, id);
  sqlite3_bind_int64 (statement, 2, row);
  bind_event_hash (self, statement, 3, event->author, event->id);
  sqlite3_bind_int64 (statement, 4, event->sent_at);
  if (!_sotto_store_bind_sealed (self, statement, 5, "group_events", "body", id,
                                 g_variant_get_data (body), g_variant_get_size (body), error))
    return FALSE;

  rc = sqlite3_step (statement);
  if (rc == SQLITE_CONSTRAINT)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS,
                           _("The group already has this message"));
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not write to the store"), error);
      return FALSE;
    }

  /* A reply comes with its quote. */
  if (event->quote_id != NULL && !save_changes (self, id, event, error))
    return FALSE;

  /* A member's message is unread until the user reads it. */
  if (event->kind != SOTTO_GROUP_EVENT_TEXT || event->outgoing)
    return TRUE;

  g_clear_pointer (&statement, _sotto_store_statement_release);
  statement = _sotto_store_prepare (self, "INSERT INTO group_unread (event_id, group_id) VALUES (?1, ?2)", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, id);
  sqlite3_bind_int64 (statement, 2, row);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  How many members' messages in the group
 * @group_id were not read yet; none for a group there is not. */
gboolean
_sotto_store_count_group_unread (SottoStore  *self,
                                 const char  *group_id,
                                 guint       *count,
                                 GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  statement = _sotto_store_prepare (self,
                                    "SELECT COUNT (*) FROM group_unread"
                                    " JOIN groups ON groups.id = group_unread.group_id WHERE groups.group_hash = ?1",
                                    error);
  if (statement == NULL)
    return FALSE;
  bind_group_hash (self, statement, 1, group_id);

  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return FALSE;
    }

  *count = (guint) sqlite3_column_int64 (statement, 0);
  return TRUE;
}

/* Steps @statement, which selects the timeline entry of an author and
 * id, to it: %FALSE with %SOTTO_STORE_ERROR_NOT_FOUND when there is none. */
static gboolean
step_to_event (SottoStore           *self,
               SottoStoreStatement  *statement,
               GError              **error)
{
  int rc = sqlite3_step (statement);

  if (rc == SQLITE_DONE)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND,
                           _("The group has no such message"));
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return FALSE;
    }

  return TRUE;
}

/* Runs on the store's thread.  Marks the messages of the group in row
 * @row read, up to and with the entry @event_id by @author in the
 * timeline's order, or all of them when @event_id is %NULL; an entry
 * the timeline does not have is an error that changes nothing. */
gboolean
_sotto_store_mark_group_read (SottoStore  *self,
                              gint64       row,
                              const char  *author,
                              const char  *event_id,
                              GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  gint64 sent_at = G_MAXINT64;
  gint64 id = G_MAXINT64;

  if (event_id != NULL)
    {
      statement = _sotto_store_prepare (self, "SELECT sent_at, id FROM group_events"
                                        " WHERE group_id = ?1 AND event_hash = ?2", error);
      if (statement == NULL)
        return FALSE;
      sqlite3_bind_int64 (statement, 1, row);
      bind_event_hash (self, statement, 2, author, event_id);
      if (!step_to_event (self, statement, error))
        return FALSE;
      sent_at = sqlite3_column_int64 (statement, 0);
      id = sqlite3_column_int64 (statement, 1);
      g_clear_pointer (&statement, _sotto_store_statement_release);
    }

  statement = _sotto_store_prepare (self,
                                    "DELETE FROM group_unread WHERE group_id = ?1 AND event_id IN"
                                    " (SELECT id FROM group_events WHERE group_id = ?1"
                                    "  AND (sent_at < ?2 OR (sent_at = ?2 AND id <= ?3)))",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);
  sqlite3_bind_int64 (statement, 2, sent_at);
  sqlite3_bind_int64 (statement, 3, id);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Records that the message @event_id, by
 * @author (this account, for what this device sent, or the member it
 * came from), in the timeline of the group in row @row went through the
 * relay sealed. */
gboolean
_sotto_store_mark_group_event_sealed (SottoStore  *self,
                                      gint64       row,
                                      const char  *author,
                                      const char  *event_id,
                                      GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR IGNORE INTO sealed_group_events (event_id)"
                                    " SELECT id FROM group_events WHERE group_id = ?1 AND event_hash = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, row);
  bind_event_hash (self, statement, 2, author, event_id);

  return _sotto_store_step_done (self, statement, error);
}

static SottoGroupEvent *
read_event (SottoStore           *self,
            SottoStoreStatement  *statement,
            GError              **error)
{
  gint64 id = sqlite3_column_int64 (statement, 0);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GVariant) body = NULL;
  SottoGroupEvent *event;
  guint32 kind;

  if (!_sotto_store_column_unseal_bytes (self, statement, 2, "group_events", "body", id, &sealed, error))
    return NULL;

  body = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (EVENT_FORMAT), sealed, FALSE));
  if (!g_variant_is_normal_form (body))
    {
      set_corrupt (error);
      return NULL;
    }

  event = g_new0 (SottoGroupEvent, 1);
  g_variant_get (body, EVENT_FORMAT, &kind, &event->id, &event->outgoing, &event->author,
                 &event->author_name, &event->text, &event->detail);
  event->kind = kind;
  event->sent_at = sqlite3_column_int64 (statement, 1);

  return event;
}

/* Runs on the store's thread, in the transaction of a migration.  Gives
 * every timeline entry the hash of its author and id (bind_event_hash());
 * those stored before were of the id alone. */
gboolean
_sotto_store_rehash_group_events (SottoStore  *self,
                                  GError     **error)
{
  g_autoptr(SottoStoreStatement) select = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* Each entry's author and id, two strings a row: not the whole
   * entries, which a long timeline would hold in memory at once. */
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  int rc;

  select = _sotto_store_prepare (self, "SELECT id, sent_at, body FROM group_events", error);
  if (select == NULL)
    return FALSE;

  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      gint64 row = sqlite3_column_int64 (select, 0);
      SottoGroupEvent *event = read_event (self, select, error);

      if (event == NULL)
        return FALSE;
      g_array_append_val (rows, row);
      g_ptr_array_add (keys, g_steal_pointer (&event->author));
      g_ptr_array_add (keys, g_steal_pointer (&event->id));
      sotto_group_event_free (event);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return FALSE;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(SottoStoreStatement) update = NULL;

      update = _sotto_store_prepare (self, "UPDATE group_events SET event_hash = ?2 WHERE id = ?1", error);
      if (update == NULL)
        return FALSE;
      sqlite3_bind_int64 (update, 1, g_array_index (rows, gint64, i));
      bind_event_hash (self, update, 2, g_ptr_array_index (keys, 2 * i), g_ptr_array_index (keys, 2 * i + 1));
      if (!_sotto_store_step_done (self, update, error))
        return FALSE;
    }

  return TRUE;
}

/* Runs on the store's thread.  The newest @limit entries of the
 * timeline of the group in row @row, oldest first. */
GPtrArray *
_sotto_store_load_group_events (SottoStore  *self,
                                gint64       row,
                                guint        limit,
                                GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_group_event_free);
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT id, sent_at, body,"
                                    "  EXISTS (SELECT 1 FROM sealed_group_events WHERE event_id = id),"
                                    "  (SELECT body FROM group_event_changes WHERE event_id = id),"
                                    OUTGOING_COLUMNS " FROM ("
                                    "  SELECT id, sent_at, body FROM group_events WHERE group_id = ?1"
                                    "  ORDER BY sent_at DESC, id DESC LIMIT ?2"
                                    ") ORDER BY sent_at, id",
                                    error);
  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, row);
  sqlite3_bind_int64 (statement, 2, limit);

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      SottoGroupEvent *event = read_event (self, statement, error);

      if (event == NULL)
        return NULL;
      event->sealed = sqlite3_column_int (statement, 3) != 0;
      g_ptr_array_add (events, event);
      if (!read_changes (self, statement, 4, sqlite3_column_int64 (statement, 0), event, error)
          || !_sotto_store_read_group_outgoing_state (self, statement, 5, sqlite3_column_int64 (statement, 0),
                                                      event, error))
        return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return NULL;
    }

  return g_steal_pointer (&events);
}

/* Runs on the store's thread.  The message @event_id by @author in the
 * timeline of the group in row @row, with its row in *@id; %NULL with
 * %SOTTO_STORE_ERROR_NOT_FOUND for one the group does not have. */
SottoGroupEvent *
_sotto_store_find_group_event (SottoStore  *self,
                               gint64       row,
                               const char  *author,
                               const char  *event_id,
                               gint64      *id,
                               GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(SottoGroupEvent) event = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT id, sent_at, body,"
                                    "  EXISTS (SELECT 1 FROM sealed_group_events WHERE event_id = id),"
                                    "  (SELECT body FROM group_event_changes WHERE event_id = id),"
                                    OUTGOING_COLUMNS
                                    " FROM group_events WHERE group_id = ?1 AND event_hash = ?2",
                                    error);
  if (statement == NULL)
    return NULL;
  sqlite3_bind_int64 (statement, 1, row);
  bind_event_hash (self, statement, 2, author, event_id);
  if (!step_to_event (self, statement, error))
    return NULL;

  *id = sqlite3_column_int64 (statement, 0);
  event = read_event (self, statement, error);
  if (event == NULL || !read_changes (self, statement, 4, *id, event, error)
      || !_sotto_store_read_group_outgoing_state (self, statement, 5, *id, event, error))
    return NULL;
  event->sealed = sqlite3_column_int (statement, 3) != 0;

  return g_steal_pointer (&event);
}

/* Runs on the store's thread.  Deletes the timeline entry in row @id,
 * found with _sotto_store_find_group_event(), from this device, with
 * what changed it and whether it was unread. */
gboolean
_sotto_store_delete_group_event (SottoStore  *self,
                                 gint64       id,
                                 GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  return _sotto_store_exec_int64 (self, "DELETE FROM group_events WHERE id = ?1", id, error);
}

/* Runs on the store's thread.  The row of the entry @event_id by
 * @author in the timeline of the group in row @row, in *@id; %FALSE
 * with %SOTTO_STORE_ERROR_NOT_FOUND for one the group does not have. */
gboolean
_sotto_store_find_group_event_row (SottoStore  *self,
                                   gint64       row,
                                   const char  *author,
                                   const char  *event_id,
                                   gint64      *id,
                                   GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self, "SELECT id FROM group_events WHERE group_id = ?1 AND event_hash = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);
  bind_event_hash (self, statement, 2, author, event_id);
  if (!step_to_event (self, statement, error))
    return FALSE;

  *id = sqlite3_column_int64 (statement, 0);
  return TRUE;
}

/* Runs on the store's thread.  Writes @event, found in row @id with
 * _sotto_store_find_group_event() and changed since: its text (none,
 * once deleted for everyone) and its changes. */
gboolean
_sotto_store_update_group_event (SottoStore             *self,
                                 gint64                  id,
                                 const SottoGroupEvent  *event,
                                 GError                **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GVariant) body = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  body = g_variant_ref_sink (g_variant_new (EVENT_FORMAT, (guint32) event->kind, event->id,
                                            event->outgoing, event->author, event->author_name,
                                            event->text, event->detail));
  statement = _sotto_store_prepare (self, "UPDATE group_events SET body = ?2 WHERE id = ?1", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, id);
  if (!_sotto_store_bind_sealed (self, statement, 2, "group_events", "body", id,
                                 g_variant_get_data (body), g_variant_get_size (body), error)
      || !_sotto_store_step_done (self, statement, error))
    return FALSE;

  return save_changes (self, id, event, error);
}

/* This device's sender key in each group: its distribution id, which a
 * removal or a leave forgets so that the next message starts a new key
 * (docs/messenger.md, "Groups"), and the members it went to. */

/* Runs on the store's thread. */
gboolean
_sotto_store_load_group_own_key (SottoStore  *self,
                                 gint64       row,
                                 guint8       distribution_id[16],
                                 gboolean    *found,
                                 GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  *found = FALSE;
  statement = _sotto_store_prepare (self, "SELECT distribution_id FROM group_own_keys WHERE group_id = ?1", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return FALSE;
    }
  if (sqlite3_column_bytes (statement, 0) != 16)
    {
      set_corrupt (error);
      return FALSE;
    }

  memcpy (distribution_id, sqlite3_column_blob (statement, 0), 16);
  *found = TRUE;
  return TRUE;
}

/* Runs on the store's thread. */
gboolean
_sotto_store_save_group_own_key (SottoStore    *self,
                                 gint64         row,
                                 const guint8   distribution_id[16],
                                 GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self, "INSERT INTO group_own_keys (group_id, distribution_id) VALUES (?1, ?2)",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);
  sqlite3_bind_blob (statement, 2, distribution_id, 16, SQLITE_TRANSIENT);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Forgets the group's sender key of this
 * device and whom it went to. */
gboolean
_sotto_store_rotate_group_own_key (SottoStore  *self,
                                   gint64       row,
                                   GError     **error)
{
  return _sotto_store_exec_int64 (self, "DELETE FROM group_key_shares WHERE group_id = ?1", row, error)
         && _sotto_store_exec_int64 (self, "DELETE FROM group_own_keys WHERE group_id = ?1", row, error);
}

static void
bind_member_hash (SottoStore          *self,
                  SottoStoreStatement *statement,
                  int                  index,
                  const char          *uuid)
{
  g_autofree char *lower = g_ascii_strdown (uuid, -1);

  _sotto_store_bind_lookup_hash (self, statement, index, "group_key_shares", "member_hash", lower, strlen (lower));
}

/* Runs on the store's thread. */
gboolean
_sotto_store_group_key_is_shared (SottoStore  *self,
                                  gint64       row,
                                  const char  *uuid,
                                  gboolean    *shared,
                                  GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  statement = _sotto_store_prepare (self, "SELECT 1 FROM group_key_shares WHERE group_id = ?1 AND member_hash = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);
  bind_member_hash (self, statement, 2, uuid);

  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return FALSE;
    }

  *shared = rc == SQLITE_ROW;
  return TRUE;
}

/* Runs on the store's thread. */
gboolean
_sotto_store_set_group_key_shared (SottoStore  *self,
                                   gint64       row,
                                   const char  *uuid,
                                   gboolean     shared,
                                   GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self,
                                    shared
                                    ? "INSERT OR IGNORE INTO group_key_shares (group_id, member_hash) VALUES (?1, ?2)"
                                    : "DELETE FROM group_key_shares WHERE group_id = ?1 AND member_hash = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, row);
  bind_member_hash (self, statement, 2, uuid);

  return _sotto_store_step_done (self, statement, error);
}

/* Group changes waiting for the relay: each row a member's UUID and
 * username and the encoded content, sealed whole. */
#define DELIVERY_TYPE "(smsxay)"
#define DELIVERY_FORMAT "(smsx@ay)"

void
_sotto_group_delivery_free (SottoGroupDelivery *delivery)
{
  if (delivery == NULL)
    return;

  g_free (delivery->uuid);
  g_free (delivery->username);
  g_clear_pointer (&delivery->plaintext, g_bytes_unref);
  g_free (delivery);
}

/* Runs on the store's thread.  Keeps @plaintext for the member @uuid of
 * the group in row @row until _sotto_store_delete_group_delivery(). */
SottoGroupDelivery *
_sotto_store_add_group_delivery (SottoStore  *self,
                                 gint64       row,
                                 const char  *uuid,
                                 const char  *username,
                                 GBytes      *plaintext,
                                 gint64       timestamp,
                                 GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GVariant) body = NULL;
  g_autoptr(SottoGroupDelivery) delivery = g_new0 (SottoGroupDelivery, 1);

  if (!_sotto_store_next_id (self, "SELECT COALESCE (MAX (id), 0) + 1 FROM group_deliveries", &delivery->id, error))
    return NULL;

  body = g_variant_ref_sink (g_variant_new (DELIVERY_FORMAT, uuid, username, timestamp,
                                            g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, plaintext, TRUE)));
  statement = _sotto_store_prepare (self, "INSERT INTO group_deliveries (id, group_id, body) VALUES (?1, ?2, ?3)",
                                    error);
  if (statement == NULL)
    return NULL;
  sqlite3_bind_int64 (statement, 1, delivery->id);
  sqlite3_bind_int64 (statement, 2, row);
  if (!_sotto_store_bind_sealed (self, statement, 3, "group_deliveries", "body", delivery->id,
                                 g_variant_get_data (body), g_variant_get_size (body), error)
      || !_sotto_store_step_done (self, statement, error))
    return NULL;

  delivery->uuid = g_strdup (uuid);
  delivery->username = g_strdup (username);
  delivery->plaintext = g_bytes_ref (plaintext);
  delivery->timestamp = timestamp;

  return g_steal_pointer (&delivery);
}

/* Runs on the store's thread.  Every waiting delivery, oldest first. */
GPtrArray *
_sotto_store_list_group_deliveries (SottoStore  *self,
                                    GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_delivery_free);
  int rc;

  statement = _sotto_store_prepare (self, "SELECT id, body FROM group_deliveries ORDER BY id", error);
  if (statement == NULL)
    return NULL;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_autoptr(SottoGroupDelivery) delivery = g_new0 (SottoGroupDelivery, 1);
      g_autoptr(GBytes) sealed = NULL;
      g_autoptr(GVariant) body = NULL;
      g_autoptr(GVariant) plaintext = NULL;

      delivery->id = sqlite3_column_int64 (statement, 0);
      if (!_sotto_store_column_unseal_bytes (self, statement, 1, "group_deliveries", "body", delivery->id,
                                             &sealed, error))
        return NULL;
      body = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (DELIVERY_TYPE), sealed, FALSE));
      if (!g_variant_is_normal_form (body))
        {
          set_corrupt (error);
          return NULL;
        }
      g_variant_get (body, DELIVERY_FORMAT, &delivery->uuid, &delivery->username, &delivery->timestamp, NULL);
      plaintext = g_variant_get_child_value (body, 3);
      delivery->plaintext = g_variant_get_data_as_bytes (plaintext);
      g_ptr_array_add (deliveries, g_steal_pointer (&delivery));
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return NULL;
    }

  return g_steal_pointer (&deliveries);
}

/* Runs on the store's thread. */
gboolean
_sotto_store_delete_group_delivery (SottoStore  *self,
                                    gint64       id,
                                    GError     **error)
{
  return _sotto_store_exec_int64 (self, "DELETE FROM group_deliveries WHERE id = ?1", id, error);
}
