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

#include "sotto-store-private.h"

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

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SearchBuffer, search_buffer_clear)

/* Unseals the body in column 4 of @statement into @buffer, as a string;
 * %NULL with @error set when it does not open or is not UTF-8. */
static const char *
search_buffer_unseal_body (SearchBuffer         *buffer,
                           SottoStore           *self,
                           SottoStoreStatement  *statement,
                           gint64                id,
                           GError              **error)
{
  gsize needed = MAX (sqlite3_column_bytes (statement, 4), SOTTO_STORE_SEAL_OVERHEAD) + 1;
  gsize len;

  if (needed > buffer->size)
    {
      search_buffer_clear (buffer);
      buffer->text = sodium_malloc (needed);
      if (buffer->text == NULL)
        g_error ("Out of guarded memory");
      buffer->size = needed;
    }

  if (!_sotto_store_column_unseal (self, statement, 4, "messages", "body", id,
                                   (guint8 *) buffer->text, buffer->size - 1, &len, error))
    return NULL;
  buffer->text[len] = '\0';

  if (!g_utf8_validate (buffer->text, len, NULL))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored text is not valid UTF-8"));
      return NULL;
    }

  return buffer->text;
}

/* Runs on the store's thread.  Looks through at most @max_rows text
 * messages with an id below @before_id, newest first, and adds those
 * of the conversations in @conversation_ids (a set of #gint64, the
 * conversations the user sees: not a blocked contact's) whose text holds
 * @query_folded to @matches (of #SottoStoreMatch) until it holds
 * @max_matches.  Messages of other conversations are skipped before they
 * are unsealed, so that they never take a match's place.  *@next_before_id is where the next batch
 * starts, or 0 when no message is left to look at. */
gboolean
_sotto_store_search_messages (SottoStore  *self,
                              const char  *query_folded,
                              GHashTable  *conversation_ids,
                              gint64       before_id,
                              guint        max_rows,
                              GPtrArray   *matches,
                              guint        max_matches,
                              gint64      *next_before_id,
                              GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_auto(SearchBuffer) buffer = { NULL, 0 };
  gboolean query_is_ascii;
  guint n_rows = 0;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (query_folded != NULL && query_folded[0] != '\0', FALSE);
  g_return_val_if_fail (conversation_ids != NULL, FALSE);
  g_return_val_if_fail (matches != NULL, FALSE);
  g_return_val_if_fail (next_before_id != NULL, FALSE);

  query_is_ascii = is_ascii (query_folded);
  *next_before_id = 0;

  statement = _sotto_store_prepare (self,
                                    "SELECT id, conversation_id, position, sent_at, body FROM messages"
                                    " WHERE id < ?1 AND kind = ?2"
                                    " ORDER BY id DESC LIMIT ?3",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, before_id);
  sqlite3_bind_int64 (statement, 2, SOTTO_MESSAGE_KIND_TEXT);
  sqlite3_bind_int64 (statement, 3, max_rows);

  while (matches->len < max_matches && (rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (statement, 0);
      gint64 conversation_id = sqlite3_column_int64 (statement, 1);
      gint64 position = sqlite3_column_int64 (statement, 2);
      const char *body;

      n_rows++;
      *next_before_id = id;

      if (!g_hash_table_contains (conversation_ids, &conversation_id))
        continue;

      if (sqlite3_column_type (statement, 4) == SQLITE_NULL || position < 0 || position > G_MAXUINT)
        continue;
      body = search_buffer_unseal_body (&buffer, self, statement, id, error);
      if (body == NULL)
        return FALSE;

      if (text_contains (body, query_folded, query_is_ascii))
        {
          SottoStoreMatch *match = g_new0 (SottoStoreMatch, 1);

          match->conversation_id = conversation_id;
          match->position = position;
          match->sent_at = sqlite3_column_int64 (statement, 3);
          match->text = g_strdup (body);
          g_ptr_array_add (matches, match);
        }
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
