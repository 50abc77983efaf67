/* sotto-store-search.c: finding messages by their text, sealed at rest
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include <glib/gi18n.h>

#include "sotto-store-groups-private.h"

/* Message bodies are sealed in the database, and no index of their words
 * is kept: one would tell whoever reads the file which messages share a
 * word, and how often each occurs, even keyed.  A search therefore
 * unseals the bodies on the store's thread, a batch at a time, newest
 * first, and keeps nothing but the matches it hands back in memory. */

void
_sotto_store_match_free (SottoStoreMatch *match)
{
  if (match->text != NULL)
    sodium_memzero (match->text, strlen (match->text));
  g_free (match->text);
  g_free (match->event_id);
  g_free (match->author);
  g_free (match->author_name);
  g_free (match);
}

static gboolean
is_ascii (const char *text)
{
  for (const char *c = text; *c != '\0'; c++)
    {
      if ((guchar) *c >= 0x80)
        return FALSE;
    }

  return TRUE;
}

/* Whether @text holds @query_folded, a casefolded string, ignoring case.
 * Most of what people write is ASCII, which is compared in place; only
 * text with other characters that did not match that way is casefolded,
 * since folding can turn those into ASCII letters (the ligature U+FB00
 * into "ff"). */
static gboolean
text_contains (const char *text,
               const char *query_folded,
               gboolean    query_is_ascii)
{
  g_autofree char *text_folded = NULL;
  gsize query_len = strlen (query_folded);
  gboolean only_ascii = TRUE;
  gboolean found;

  if (query_is_ascii)
    {
      /* The query is casefolded: its first letter is lower case. */
      for (const char *c = text; *c != '\0'; c++)
        {
          char lower = (*c >= 'A' && *c <= 'Z') ? *c + ('a' - 'A') : *c;

          only_ascii &= (guchar) *c < 0x80;
          if (lower == query_folded[0] && g_ascii_strncasecmp (c, query_folded, query_len) == 0)
            return TRUE;
        }

      if (only_ascii)
        return FALSE;
    }

  text_folded = g_utf8_casefold (text, -1);
  found = strstr (text_folded, query_folded) != NULL;
  sodium_memzero (text_folded, strlen (text_folded));

  return found;
}

/* Where a search unseals one body after another: guarded memory, grown
 * when a body does not fit and wiped when the batch ends, so that no row
 * costs an allocation. */
typedef struct
{
  char *text;
  gsize size;
} SearchBuffer;

static void
search_buffer_clear (SearchBuffer *buffer)
{
  if (buffer->text != NULL)
    sodium_free (buffer->text);  /* which wipes it */
  buffer->text = NULL;
  buffer->size = 0;
}

/* Unseals the sealed @column of @table in column @index of @statement
 * into @buffer, with a NUL after it, and sets *@len to its length; %NULL
 * with @error set when it does not open.  The buffer's size is a
 * multiple of 16, which aligns what sodium_malloc() hands back (it ends
 * the block at a guard page) as GVariant wants it. */
static const char *
search_buffer_unseal (SearchBuffer         *buffer,
                      SottoStore           *self,
                      SottoStoreStatement  *statement,
                      int                   index,
                      const char           *table,
                      const char           *column,
                      gint64                id,
                      gsize                *len,
                      GError              **error)
{
  gsize needed = MAX (sqlite3_column_bytes (statement, index), SOTTO_STORE_SEAL_OVERHEAD) + 1;

  needed = (needed + 15) & ~(gsize) 15;
  if (needed > buffer->size)
    {
      search_buffer_clear (buffer);
      buffer->text = sodium_malloc (needed);
      if (buffer->text == NULL)
        g_error ("Out of guarded memory");
      buffer->size = needed;
    }

  if (!_sotto_store_column_unseal (self, statement, index, table, column, id,
                                   (guint8 *) buffer->text, buffer->size - 1, len, error))
    return NULL;
  buffer->text[*len] = '\0';

  return buffer->text;
}

/* Unseals the body in column 4 of @statement into @buffer, as a string;
 * %NULL with @error set when it does not open or is not UTF-8. */
static const char *
search_buffer_unseal_body (SearchBuffer         *buffer,
                           SottoStore           *self,
                           SottoStoreStatement  *statement,
                           gint64                id,
                           GError              **error)
{
  gsize len;

  if (search_buffer_unseal (buffer, self, statement, 4, "messages", "body", id, &len, error) == NULL)
    return NULL;

  if (!g_utf8_validate (buffer->text, len, NULL))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored text is not valid UTF-8"));
      return NULL;
    }

  return buffer->text;
}

/* One search's batch: what it looks for, where it unseals, what it found. */
typedef struct
{
  SottoStore *store;
  const char *query_folded;
  gboolean query_is_ascii;
  SearchBuffer buffer;
  GPtrArray *matches;
  /* For a group's: how many entries of its timeline come after one. */
  SottoStoreStatement *newer;
} Search;

static void
search_clear (Search *search)
{
  search_buffer_clear (&search->buffer);
  g_clear_pointer (&search->newer, _sotto_store_statement_release);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Search, search_clear)

/* Looks at the row @id of @statement, of the conversation or group
 * @owner, and adds it to the matches if its text holds the query. */
typedef gboolean (*SearchRowFunc) (Search               *search,
                                   SottoStoreStatement  *statement,
                                   gint64                id,
                                   gint64                owner,
                                   GError              **error);

/* A message of a 1:1 conversation: id, conversation_id, position,
 * sent_at, body, kind. */
static gboolean
search_message (Search               *search,
                SottoStoreStatement  *statement,
                gint64                id,
                gint64                owner,
                GError              **error)
{
  gint64 position = sqlite3_column_int64 (statement, 2);
  const char *body;
  SottoStoreMatch *match;

  if (sqlite3_column_int64 (statement, 5) != SOTTO_MESSAGE_KIND_TEXT
      || sqlite3_column_type (statement, 4) == SQLITE_NULL || position < 0 || position > G_MAXUINT)
    return TRUE;
  body = search_buffer_unseal_body (&search->buffer, search->store, statement, id, error);
  if (body == NULL)
    return FALSE;

  if (!text_contains (body, search->query_folded, search->query_is_ascii))
    return TRUE;

  match = g_new0 (SottoStoreMatch, 1);
  match->conversation_id = owner;
  match->position = position;
  match->sent_at = sqlite3_column_int64 (statement, 3);
  match->text = g_strdup (body);
  g_ptr_array_add (search->matches, match);

  return TRUE;
}

/* An entry of a group's timeline: id, group_id, sent_at, body.  Its
 * body is sealed whole (sotto-store-groups.c), kind and all: it is
 * unsealed into guarded memory and read there, in place, so that no
 * copy of an entry that does not match is left behind. */
static gboolean
search_group_event (Search               *search,
                    SottoStoreStatement  *statement,
                    gint64                id,
                    gint64                owner,
                    GError              **error)
{
  g_autoptr(GVariant) body = NULL;
  const char *text = NULL;
  const char *event_id;
  const char *author;
  const char *author_name;
  SottoStoreMatch *match;
  guint32 kind;
  gsize len;
  int rc;

  if (search_buffer_unseal (&search->buffer, search->store, statement, 3, "group_events", "body", id, &len,
                            error) == NULL)
    return FALSE;

  body = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (SOTTO_STORE_GROUP_EVENT_FORMAT),
                                                      search->buffer.text, len, FALSE, NULL, NULL));
  if (!g_variant_is_normal_form (body))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT, _("A stored record is damaged"));
      return FALSE;
    }

  g_variant_get_child (body, 0, "u", &kind);
  g_variant_get_child (body, 5, "m&s", &text);
  /* A message deleted for everyone has no text left. */
  if (kind != SOTTO_GROUP_EVENT_TEXT || text == NULL
      || !text_contains (text, search->query_folded, search->query_is_ascii))
    return TRUE;

  if (search->newer == NULL)
    search->newer = _sotto_store_prepare (search->store,
                                          "SELECT COUNT (*) FROM group_events WHERE group_id = ?1"
                                          " AND (sent_at > ?2 OR (sent_at = ?2 AND id > ?3))",
                                          error);
  if (search->newer == NULL)
    return FALSE;
  sqlite3_reset (search->newer);
  sqlite3_bind_int64 (search->newer, 1, owner);
  sqlite3_bind_int64 (search->newer, 2, sqlite3_column_int64 (statement, 2));
  sqlite3_bind_int64 (search->newer, 3, id);
  rc = sqlite3_step (search->newer);
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (search->store, rc, _("Could not search messages"), error);
      return FALSE;
    }

  g_variant_get_child (body, 1, "&s", &event_id);
  g_variant_get_child (body, 3, "&s", &author);
  g_variant_get_child (body, 4, "m&s", &author_name);
  match = g_new0 (SottoStoreMatch, 1);
  match->conversation_id = owner;
  match->position = (guint) MIN (sqlite3_column_int64 (search->newer, 0), G_MAXUINT);
  match->sent_at = sqlite3_column_int64 (statement, 2);
  match->text = g_strdup (text);
  match->event_id = g_strdup (event_id);
  match->author = g_strdup (author);
  match->author_name = g_strdup (author_name);
  g_ptr_array_add (search->matches, match);

  return TRUE;
}

/* What each kind of search selects, at most ?2 rows with an id below
 * ?1, newest first, each its id and owner first, and what looks at a
 * row of it. */
static const struct
{
  const char *sql;
  SearchRowFunc func;
} searches[] = {
  [SOTTO_STORE_SEARCH_MESSAGES] = {
    "SELECT id, conversation_id, position, sent_at, body, kind FROM messages"
    " WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    search_message,
  },
  [SOTTO_STORE_SEARCH_GROUP_EVENTS] = {
    "SELECT id, group_id, sent_at, body FROM group_events"
    " WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    search_group_event,
  },
};

/**
 * _sotto_store_search:
 * @self: a #SottoStore
 * @kind: what to look through
 * @query_folded: what the text must hold, casefolded
 * @owner_ids: the owners to look at, a set of #gint64: the conversations
 *   the user sees (not a blocked contact's), or the rows of the groups in
 *   the list
 * @before_id: where the batch starts, %G_MAXINT64 for the newest
 * @max_rows: how many rows the batch looks through at most
 * @matches: where the #SottoStoreMatch found go
 * @max_matches: how many @matches holds at most
 * @next_before_id: where the next batch starts, or 0 when no row is left
 *   to look at
 * @error: a location for a #GError
 *
 * Runs on the store's thread.  Looks through at most @max_rows rows of
 * @kind, newest first, and adds the texts of @owner_ids that hold
 * @query_folded to @matches until it holds @max_matches.  Rows of other
 * owners are skipped before they are unsealed, so that they never take
 * a match's place.  A group's match has its group's row as
 * conversation_id, and as position how many entries of that group's
 * timeline came after it, as the timeline orders them.
 */
gboolean
_sotto_store_search (SottoStore            *self,
                     SottoStoreSearchKind   kind,
                     const char            *query_folded,
                     GHashTable            *owner_ids,
                     gint64                 before_id,
                     guint                  max_rows,
                     GPtrArray             *matches,
                     guint                  max_matches,
                     gint64                *next_before_id,
                     GError               **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_auto(Search) search = { 0, };
  guint n_rows = 0;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (kind < G_N_ELEMENTS (searches), FALSE);
  g_return_val_if_fail (query_folded != NULL && query_folded[0] != '\0', FALSE);
  g_return_val_if_fail (owner_ids != NULL, FALSE);
  g_return_val_if_fail (matches != NULL, FALSE);
  g_return_val_if_fail (next_before_id != NULL, FALSE);

  search.store = self;
  search.query_folded = query_folded;
  search.query_is_ascii = is_ascii (query_folded);
  search.matches = matches;
  *next_before_id = 0;

  statement = _sotto_store_prepare (self, searches[kind].sql, error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, before_id);
  sqlite3_bind_int64 (statement, 2, max_rows);

  while (matches->len < max_matches && (rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (statement, 0);
      gint64 owner = sqlite3_column_int64 (statement, 1);

      n_rows++;
      *next_before_id = id;

      if (g_hash_table_contains (owner_ids, &owner) && !searches[kind].func (&search, statement, id, owner, error))
        return FALSE;
    }

  if (matches->len < max_matches && rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not search messages"), error);
      return FALSE;
    }

  /* A short batch was the last one. */
  if (n_rows < max_rows && matches->len < max_matches)
    *next_before_id = 0;

  return TRUE;
}

/* Searching a batch at a time */

/* Rows unsealed per job on the store's thread, some 20-40 ms of work:
 * other jobs, such as the page the timeline waits for, run between two
 * batches, and fewer batches mean fewer trips through the main thread,
 * which a busy machine makes slow. */
#define SEARCH_BATCH_ROWS 16384

typedef struct
{
  SottoStore *store;
  char *query_folded;
  GHashTable *owner_ids;
  SottoStoreSearchKind kind;
  guint max_matches;
  gint64 before_id;
  GPtrArray *matches;  /* of SottoStoreMatch */
} BatchedSearch;

static void
batched_search_free (BatchedSearch *search)
{
  g_clear_object (&search->store);
  g_clear_pointer (&search->query_folded, g_free);
  g_clear_pointer (&search->owner_ids, g_hash_table_unref);
  g_clear_pointer (&search->matches, g_ptr_array_unref);
  g_free (search);
}

static void
batched_search_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  BatchedSearch *search = task_data;
  g_autoptr(GError) error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!_sotto_store_search (search->store, search->kind, search->query_folded, search->owner_ids, search->before_id,
                            SEARCH_BATCH_ROWS, search->matches, search->max_matches, &search->before_id, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
batched_search_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  BatchedSearch *search = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result)
      || g_task_return_error_if_cancelled (task))
    return;

  if (search->before_id != 0 && search->matches->len < search->max_matches)
    {
      _sotto_task_run_step (task, search->store, batched_search_thread, batched_search_cb);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&search->matches), (GDestroyNotify) g_ptr_array_unref);
}

/* Finds the rows of @kind of the owners in @owner_ids (taken: a set of
 * #gint64) whose text holds @query, in any case, newest first, up to
 * @max_matches, as _sotto_store_search() does.  Bodies are sealed at rest and no index of their words
 * is written: the search unseals them in memory, a batch at a time on
 * the store's thread, and stops between two batches when @cancellable
 * is cancelled.  The task's source is @source_object. */
void
_sotto_store_search_async (SottoStore           *self,
                           gpointer              source_object,
                           SottoStoreSearchKind  kind,
                           const char           *query,
                           GHashTable           *owner_ids,
                           guint                 max_matches,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  BatchedSearch *search;

  g_return_if_fail (SOTTO_IS_STORE (self));
  g_return_if_fail (query != NULL && query[0] != '\0');

  search = g_new0 (BatchedSearch, 1);
  search->store = g_object_ref (self);
  search->query_folded = g_utf8_casefold (query, -1);
  search->owner_ids = owner_ids;
  search->kind = kind;
  search->max_matches = max_matches;
  search->before_id = G_MAXINT64;
  search->matches = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_store_match_free);

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_store_search_async);
  g_task_set_task_data (task, search, (GDestroyNotify) batched_search_free);

  _sotto_task_run_step (task, self, batched_search_thread, batched_search_cb);
}

/* Returns: (transfer full): the #SottoStoreMatch found, the newest
 *   first, or %NULL with @error set */
GPtrArray *
_sotto_store_search_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _sotto_store_search_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
