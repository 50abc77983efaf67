/* sotto-store-group-outgoing.c: this device's group messages on their way
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-store-groups-private.h"

/* A message this device sent to a group is kept in group_outgoing, in
 * the transaction that adds it to the timeline, until the relay took it
 * for every member it went to (sotto-group-list-send.c): the row holds
 * its content and the members still to get it, sealed whole, and, in
 * the clear, whether the last try failed for good, so that only the
 * user's Retry sends it again.  An entry of the timeline without a row
 * went to every member, as did every entry stored before the table. */

/* The form of a row's body: the group's id, the encoded content, and
 * each member still to get it, its UUID and username ("" for none
 * known). */
#define OUTGOING_TYPE "(saya(ss))"
#define OUTGOING_FORMAT "(s@aya(ss))"

void
_sotto_group_outgoing_free (SottoGroupOutgoing *outgoing)
{
  if (outgoing == NULL)
    return;

  g_free (outgoing->group_id);
  g_clear_pointer (&outgoing->plaintext, g_bytes_unref);
  g_clear_pointer (&outgoing->members, g_ptr_array_unref);
  g_free (outgoing);
}

/* Runs on the store's thread.  Keeps @outgoing, an entry of the group in
 * row @row, until the relay took it for every member: with no member
 * left, its row goes. */
gboolean
_sotto_store_save_group_outgoing (SottoStore                *self,
                                  gint64                     row,
                                  const SottoGroupOutgoing  *outgoing,
                                  GError                   **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GVariant) body = NULL;
  GVariantBuilder members;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  if (outgoing->members->len == 0)
    return _sotto_store_exec_int64 (self, "DELETE FROM group_outgoing WHERE event_id = ?1", outgoing->event_row,
                                    error);

  g_variant_builder_init (&members, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; i < outgoing->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (outgoing->members, i);

      g_variant_builder_add (&members, "(ss)", member->uuid, member->username != NULL ? member->username : "");
    }
  body = g_variant_ref_sink (g_variant_new (OUTGOING_FORMAT, outgoing->group_id,
                                            g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                                      outgoing->plaintext, TRUE),
                                            &members));

  statement = _sotto_store_prepare (self,
                                    "INSERT OR REPLACE INTO group_outgoing (event_id, group_id, failed, body)"
                                    " VALUES (?1, ?2, ?3, ?4)",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, outgoing->event_row);
  sqlite3_bind_int64 (statement, 2, row);
  sqlite3_bind_int (statement, 3, outgoing->failed);
  if (!_sotto_store_bind_sealed (self, statement, 4, "group_outgoing", "body", outgoing->event_row,
                                 g_variant_get_data (body), g_variant_get_size (body), error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Reads the body in column @column of @statement, of the entry in row
 * @event_row, whose failure is column @column + 1. */
static SottoGroupOutgoing *
read_outgoing (SottoStore           *self,
               SottoStoreStatement  *statement,
               int                   column,
               gint64                event_row,
               GError              **error)
{
  g_autoptr(SottoGroupOutgoing) outgoing = g_new0 (SottoGroupOutgoing, 1);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GVariant) body = NULL;
  g_autoptr(GVariant) plaintext = NULL;
  g_autoptr(GVariantIter) members = NULL;
  const char *uuid;
  const char *username;

  if (!_sotto_store_column_unseal_bytes (self, statement, column, "group_outgoing", "body", event_row, &sealed,
                                         error))
    return NULL;

  body = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (OUTGOING_TYPE), sealed, FALSE));
  if (!g_variant_is_normal_form (body))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT, _("A stored record is damaged"));
      return NULL;
    }

  outgoing->event_row = event_row;
  outgoing->failed = sqlite3_column_int (statement, column + 1) != 0;
  outgoing->members = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);
  g_variant_get (body, OUTGOING_FORMAT, &outgoing->group_id, &plaintext, &members);
  outgoing->plaintext = g_variant_get_data_as_bytes (plaintext);
  while (g_variant_iter_next (members, "(&s&s)", &uuid, &username))
    g_ptr_array_add (outgoing->members, _sotto_group_member_new (uuid, username[0] != '\0' ? username : NULL, FALSE));

  return g_steal_pointer (&outgoing);
}

/* Runs on the store's thread.  Sets @event, this account's entry in row
 * @event_row, to what remains of its sending: the body in column
 * @column of @statement (NULL when it went to every member) and its
 * failure in the next. */
gboolean
_sotto_store_read_group_outgoing_state (SottoStore           *self,
                                        SottoStoreStatement  *statement,
                                        int                   column,
                                        gint64                event_row,
                                        SottoGroupEvent      *event,
                                        GError              **error)
{
  g_autoptr(SottoGroupOutgoing) outgoing = NULL;
  g_autoptr(GStrvBuilder) pending = g_strv_builder_new ();

  if (sqlite3_column_type (statement, column) == SQLITE_NULL)
    return TRUE;

  outgoing = read_outgoing (self, statement, column, event_row, error);
  if (outgoing == NULL)
    return FALSE;

  for (guint i = 0; i < outgoing->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (outgoing->members, i);

      g_strv_builder_add (pending, member->username != NULL ? member->username : member->uuid);
    }
  event->pending = g_strv_builder_end (pending);
  event->failed = outgoing->failed;

  return TRUE;
}

/* Runs on the store's thread.  This device's group messages that wait
 * for the relay, oldest first: those whose last try failed for good
 * too, with @failed, or only the one of the entry in row @event_row,
 * when it is not 0. */
GPtrArray *
_sotto_store_list_group_outgoing (SottoStore  *self,
                                  gboolean     failed,
                                  gint64       event_row,
                                  GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_outgoing_free);
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT event_id, body, failed FROM group_outgoing"
                                    " WHERE (?1 OR failed = 0) AND (?2 = 0 OR event_id = ?2)"
                                    " ORDER BY event_id",
                                    error);
  if (statement == NULL)
    return NULL;
  sqlite3_bind_int (statement, 1, failed);
  sqlite3_bind_int64 (statement, 2, event_row);

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      SottoGroupOutgoing *outgoing = read_outgoing (self, statement, 1, sqlite3_column_int64 (statement, 0), error);

      if (outgoing == NULL)
        return NULL;
      g_ptr_array_add (list, outgoing);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the store"), error);
      return NULL;
    }

  return g_steal_pointer (&list);
}
