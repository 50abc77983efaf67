/* sotto-store-profiles.c: profile keys and display names, kept sealed
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <sqlite3.h>

#include "sotto-content-private.h"
#include "sotto-display-text-private.h"
#include "sotto-engine-private.h"
#include "sotto-store-private.h"

/* The account's own profile (one row of own_profile) and what contacts
 * gave of theirs (contact_profiles): every value sealed like a message
 * body.  Profile keys are unsealed straight into guarded memory. */

/* Prepares @sql, with @id bound to ?1, and steps to its one row.
 * Returns: (transfer full) (nullable): the statement on its row, or
 * %NULL: with @error set when reading failed, unset when there is no
 * row. */
SottoStoreStatement *
_sotto_store_select_optional (SottoStore  *self,
                              const char  *sql,
                              gint64       id,
                              GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = _sotto_store_prepare (self, sql, error);
  int rc;

  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, id);
  rc = sqlite3_step (statement);
  if (rc == SQLITE_ROW)
    return g_steal_pointer (&statement);
  if (rc != SQLITE_DONE)
    _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);

  return NULL;
}

static gboolean
unseal_profile_key (SottoStore           *self,
                    SottoStoreStatement  *statement,
                    int                   index,
                    const char           *table,
                    gint64                id,
                    guint8              **key,
                    GError              **error)
{
  guint8 *guarded = _sotto_secure_alloc (SOTTO_PROFILE_KEY_SIZE);
  gsize len = 0;

  if (!_sotto_store_column_unseal (self, statement, index, table, "profile_key", id,
                                   guarded, SOTTO_PROFILE_KEY_SIZE, &len, error))
    {
      sodium_free (guarded);
      return FALSE;
    }

  if (len != SOTTO_PROFILE_KEY_SIZE)
    {
      sodium_free (guarded);
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored record is damaged"));
      return FALSE;
    }

  *key = guarded;
  return TRUE;
}

/* Runs on the store's thread.  Sets @key (guarded memory, for
 * sodium_free()), @name and @avatar to the account's profile, or all to
 * %NULL when it has none yet, and @uploaded to whether the relay holds
 * it as it is. */
gboolean
_sotto_store_load_own_profile (SottoStore  *self,
                               guint8     **key,
                               char       **name,
                               GBytes     **avatar,
                               gboolean    *uploaded,
                               GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autofree char *stored_name = NULL;
  g_autoptr(GBytes) stored_avatar = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  *key = NULL;
  *name = NULL;
  *avatar = NULL;
  *uploaded = FALSE;

  statement = _sotto_store_prepare (self, "SELECT profile_key, name, avatar, uploaded FROM own_profile WHERE id = 1",
                                    error);
  if (statement == NULL)
    return FALSE;

  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the profile"), error);
      return FALSE;
    }

  if (!_sotto_store_column_unseal_string (self, statement, 1, "own_profile", "name", 1, &stored_name, error)
      || (sqlite3_column_type (statement, 2) != SQLITE_NULL
          && !_sotto_store_column_unseal_bytes (self, statement, 2, "own_profile", "avatar", 1,
                                                &stored_avatar, error))
      || !unseal_profile_key (self, statement, 0, "own_profile", 1, key, error))
    return FALSE;

  /* Earlier versions took any text for a name. */
  *name = stored_name != NULL ? _sotto_display_text_from_stored (stored_name) : NULL;
  *avatar = g_steal_pointer (&stored_avatar);
  *uploaded = sqlite3_column_int (statement, 3) != 0;
  return TRUE;
}

/* Runs on the store's thread.  What is saved waits for an upload. */
gboolean
_sotto_store_save_own_profile (SottoStore    *self,
                               const guint8  *key,
                               const char    *name,
                               GBytes        *avatar,
                               GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL && name != NULL, FALSE);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR REPLACE INTO own_profile (id, profile_key, name, avatar, uploaded)"
                                    " VALUES (1, ?1, ?2, ?3, 0)",
                                    error);
  if (statement == NULL)
    return FALSE;

  if (!_sotto_store_bind_sealed (self, statement, 1, "own_profile", "profile_key", 1,
                                 key, SOTTO_PROFILE_KEY_SIZE, error)
      || !_sotto_store_bind_sealed_string (self, statement, 2, "own_profile", "name", 1, name, error)
      || (avatar != NULL
          && !_sotto_store_bind_sealed (self, statement, 3, "own_profile", "avatar", 1,
                                        g_bytes_get_data (avatar, NULL), g_bytes_get_size (avatar), error)))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread, once the relay took the profile. */
gboolean
_sotto_store_set_own_profile_uploaded (SottoStore  *self,
                                       GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  return _sotto_store_exec (self, "UPDATE own_profile SET uploaded = 1", error);
}

/* Runs on the store's thread.  Sets @key to the profile key the contact
 * gave (guarded memory), or to %NULL when they gave none. */
gboolean
_sotto_store_load_contact_profile_key (SottoStore  *self,
                                       gint64       contact_id,
                                       guint8     **key,
                                       GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *select_error = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  *key = NULL;

  statement = _sotto_store_select_optional (self, "SELECT profile_key FROM contact_profiles WHERE contact_id = ?1",
                                            contact_id, &select_error);
  if (statement == NULL)
    {
      if (select_error == NULL)
        return TRUE;
      g_propagate_error (error, select_error);
      return FALSE;
    }

  return unseal_profile_key (self, statement, 0, "contact_profiles", contact_id, key, error);
}

/* Runs on the store's thread.  Keeps the profile key a contact gave;
 * @changed says whether it differs from the one kept before, compared
 * in constant time.  A new key keeps the old display name until the
 * profile it opens has been fetched. */
gboolean
_sotto_store_save_contact_profile_key (SottoStore    *self,
                                       gint64         contact_id,
                                       const guint8  *key,
                                       gboolean      *changed,
                                       GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  guint8 *old_key = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL && changed != NULL, FALSE);

  if (!_sotto_store_load_contact_profile_key (self, contact_id, &old_key, error))
    return FALSE;

  *changed = old_key == NULL || sodium_memcmp (old_key, key, SOTTO_PROFILE_KEY_SIZE) != 0;
  g_clear_pointer (&old_key, sodium_free);
  if (!*changed)
    return TRUE;

  statement = _sotto_store_prepare (self,
                                    "INSERT INTO contact_profiles (contact_id, profile_key) VALUES (?1, ?2)"
                                    " ON CONFLICT (contact_id) DO UPDATE SET profile_key = excluded.profile_key",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, contact_id);
  if (!_sotto_store_bind_sealed (self, statement, 2, "contact_profiles", "profile_key", contact_id,
                                 key, SOTTO_PROFILE_KEY_SIZE, error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Records a fetch of a contact's profile
 * at @now, and the display name and avatar (or none) it gave unless
 * @name is %NULL (the profile could not be read); there is a row, as the
 * key came first. */
gboolean
_sotto_store_save_contact_profile (SottoStore  *self,
                                   gint64       contact_id,
                                   const char  *name,
                                   GBytes      *avatar,
                                   gint64       now,
                                   GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_prepare (self,
                                    name != NULL
                                    ? "UPDATE contact_profiles SET fetched_at = ?2, name = ?3, avatar = ?4"
                                      " WHERE contact_id = ?1"
                                    : "UPDATE contact_profiles SET fetched_at = ?2 WHERE contact_id = ?1",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, contact_id);
  sqlite3_bind_int64 (statement, 2, now);
  if (name != NULL
      && (!_sotto_store_bind_sealed_string (self, statement, 3, "contact_profiles", "name", contact_id, name, error)
          || (avatar != NULL
              && !_sotto_store_bind_sealed (self, statement, 4, "contact_profiles", "avatar", contact_id,
                                            g_bytes_get_data (avatar, NULL), g_bytes_get_size (avatar), error))))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Sets @avatar to the avatar the contact's
 * profile gave, or to %NULL. */
gboolean
_sotto_store_load_contact_avatar (SottoStore  *self,
                                  gint64       contact_id,
                                  GBytes     **avatar,
                                  GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *select_error = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  *avatar = NULL;

  statement = _sotto_store_select_optional (self, "SELECT avatar FROM contact_profiles WHERE contact_id = ?1"
                                                  " AND avatar IS NOT NULL",
                                            contact_id, &select_error);
  if (statement == NULL)
    {
      if (select_error == NULL)
        return TRUE;
      g_propagate_error (error, select_error);
      return FALSE;
    }

  return _sotto_store_column_unseal_bytes (self, statement, 0, "contact_profiles", "avatar", contact_id,
                                           avatar, error);
}

/* Runs @sql, which selects conversation ids (with @limit as its ?1
 * unless it is negative), and returns: (transfer full) (element-type
 * gint64): the ids. */
static GArray *
select_conversation_ids (SottoStore  *self,
                         const char  *sql,
                         gint64       limit,
                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  statement = _sotto_store_prepare (self, sql, error);
  if (statement == NULL)
    return NULL;

  if (limit >= 0)
    sqlite3_bind_int64 (statement, 1, limit);
  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      gint64 conversation_id = sqlite3_column_int64 (statement, 0);

      g_array_append_val (ids, conversation_id);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the contacts’ profiles"), error);
      return NULL;
    }

  return g_steal_pointer (&ids);
}

/* Runs on the store's thread.  Returns: (transfer full) (element-type
 * gint64): the ids of the conversations with at most @limit contacts who
 * gave a profile key, those whose profile was fetched longest ago first. */
GArray *
_sotto_store_list_stale_contact_profiles (SottoStore  *self,
                                          guint        limit,
                                          GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  return select_conversation_ids (self,
                                  "SELECT v.id FROM contact_profiles p"
                                  " JOIN conversations v ON v.contact_id = p.contact_id"
                                  " ORDER BY p.fetched_at, p.contact_id LIMIT ?1",
                                  limit, error);
}

/* Runs on the store's thread.  Returns: (transfer full) (element-type
 * gint64): the ids of the conversations with contacts whose profile gave
 * an avatar. */
GArray *
_sotto_store_list_contact_avatars (SottoStore  *self,
                                   GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  return select_conversation_ids (self,
                                  "SELECT v.id FROM contact_profiles p"
                                  " JOIN conversations v ON v.contact_id = p.contact_id"
                                  " WHERE p.avatar IS NOT NULL",
                                  -1, error);
}

/* Runs on the store's thread.  Returns: (transfer full): the ids of the
 * conversations with contacts (as gint64 keys) to the display names
 * their profiles gave. */
GHashTable *
_sotto_store_list_contact_profile_names (SottoStore  *self,
                                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT v.id, p.contact_id, p.name FROM contact_profiles p"
                                    " JOIN conversations v ON v.contact_id = p.contact_id"
                                    " WHERE p.name IS NOT NULL",
                                    error);
  if (statement == NULL)
    return NULL;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      gint64 conversation_id = sqlite3_column_int64 (statement, 0);
      gint64 contact_id = sqlite3_column_int64 (statement, 1);
      g_autofree char *name = NULL;

      if (!_sotto_store_column_unseal_string (self, statement, 2, "contact_profiles", "name", contact_id,
                                              &name, error))
        return NULL;
      /* Earlier versions took any text for a name. */
      g_hash_table_insert (names, g_memdup2 (&conversation_id, sizeof conversation_id),
                           _sotto_display_text_from_stored (name));
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the contacts’ profiles"), error);
      return NULL;
    }

  return g_steal_pointer (&names);
}
