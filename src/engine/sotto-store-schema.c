/* sotto-store-schema.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-store-groups-private.h"
#include "sotto-store-private.h"

/* The group timeline's entries are told apart by author and id, not id
 * alone (sotto-store-groups.c): the keyed hashes, which SQL cannot
 * compute, are rewritten by _sotto_store_rehash_group_events() once this
 * entry ran. */
static const char group_events_by_author[] =
  "-- group_events.event_hash: the keyed hash of the author and the id";

/* Every change to the schema is one more entry here, never an edit of an
 * old one: entry N takes a database from version N to N + 1, and
 * PRAGMA user_version records how far a database got.  Columns marked
 * "sealed" hold XChaCha20-Poly1305 ciphertext bound to their table,
 * column and row id; columns ending in _hash hold keyed BLAKE2b hashes
 * for lookups.  The header table must keep its shape in every version,
 * because the key is read from it before migrations run. */
static const char * const migrations[] = {
  /* 0 → 1: the first schema. */
  "CREATE TABLE header ("
  "  name            TEXT PRIMARY KEY NOT NULL,"
  "  value           BLOB NOT NULL"
  ") WITHOUT ROWID;"

  "CREATE TABLE account ("
  "  id              INTEGER PRIMARY KEY CHECK (id = 1),"
  "  uuid            BLOB NOT NULL,"              /* sealed */
  "  username        BLOB,"                       /* sealed */
  "  device_id       INTEGER NOT NULL,"
  "  registration_id INTEGER NOT NULL,"
  "  relay_url       BLOB,"                       /* sealed */
  "  password        BLOB,"                       /* sealed */
  "  identity        BLOB NOT NULL"               /* sealed: public || private */
  ");"

  "CREATE TABLE contacts ("
  "  id              INTEGER PRIMARY KEY,"
  "  uuid_hash       BLOB NOT NULL UNIQUE,"
  "  username_hash   BLOB UNIQUE,"
  "  uuid            BLOB NOT NULL,"              /* sealed */
  "  username        BLOB,"                       /* sealed */
  "  name            BLOB,"                       /* sealed */
  "  identity_key    BLOB,"                       /* sealed */
  "  verification    INTEGER NOT NULL DEFAULT 0"
  ");"

  "CREATE TABLE conversations ("
  "  id              INTEGER PRIMARY KEY,"
  "  contact_id      INTEGER NOT NULL UNIQUE REFERENCES contacts (id) ON DELETE CASCADE,"
  "  n_messages      INTEGER NOT NULL DEFAULT 0,"
  "  n_unread        INTEGER NOT NULL DEFAULT 0,"
  "  last_activity   INTEGER NOT NULL DEFAULT 0"
  ");"

  /* position numbers the messages of a conversation densely from 0 in
   * the order they entered it, so that a page of the list is one range
   * of the (conversation_id, position) index. */
  "CREATE TABLE messages ("
  "  id              INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,"
  "  position        INTEGER NOT NULL,"
  "  uuid            TEXT NOT NULL,"
  "  direction       INTEGER NOT NULL,"
  "  kind            INTEGER NOT NULL,"
  "  state           INTEGER NOT NULL,"
  "  sent_at         INTEGER NOT NULL,"
  "  received_at     INTEGER NOT NULL,"
  "  body            BLOB,"                       /* sealed */
  "  UNIQUE (conversation_id, position),"
  "  UNIQUE (conversation_id, uuid)"
  ");"

  /* Incoming messages not yet read, for marking a conversation read. */
  "CREATE INDEX messages_unread ON messages (conversation_id)"
  "  WHERE direction = 0 AND state = 2;",

  /* 1 → 2: what SottoMessenger keeps (sotto-protocol-state.c): the
   * session core's identities, sessions and prekeys, the ids and times
   * of prekey upkeep, and an index over the outbox. */
  "CREATE TABLE messenger_identities ("
  "  id              INTEGER PRIMARY KEY,"
  "  address_hash    BLOB NOT NULL UNIQUE,"
  "  identity_key    BLOB NOT NULL"               /* sealed */
  ");"

  "CREATE TABLE messenger_sessions ("
  "  id              INTEGER PRIMARY KEY,"
  "  address_hash    BLOB NOT NULL UNIQUE,"
  "  name_hash       BLOB NOT NULL,"
  "  device_id       INTEGER NOT NULL,"
  "  record          BLOB NOT NULL"               /* sealed */
  ");"
  "CREATE INDEX messenger_sessions_name ON messenger_sessions (name_hash);"

  "CREATE TABLE messenger_pre_keys ("
  "  id              INTEGER PRIMARY KEY,"
  "  record          BLOB NOT NULL,"              /* sealed */
  "  created_at      INTEGER NOT NULL"
  ");"

  "CREATE TABLE messenger_signed_pre_keys ("
  "  id              INTEGER PRIMARY KEY,"
  "  record          BLOB NOT NULL,"              /* sealed */
  "  created_at      INTEGER NOT NULL"
  ");"

  "CREATE TABLE messenger_kyber_pre_keys ("
  "  id              INTEGER PRIMARY KEY,"
  "  record          BLOB NOT NULL,"              /* sealed */
  "  created_at      INTEGER NOT NULL,"
  "  last_resort     INTEGER NOT NULL"
  ");"

  "CREATE TABLE messenger_kyber_base_keys ("
  "  kyber_id          INTEGER NOT NULL,"
  "  signed_pre_key_id INTEGER NOT NULL,"
  "  base_key          BLOB NOT NULL,"
  "  PRIMARY KEY (kyber_id, signed_pre_key_id, base_key)"
  ") WITHOUT ROWID;"

  "CREATE TABLE messenger_keys ("
  "  id                        INTEGER PRIMARY KEY CHECK (id = 1),"
  "  next_pre_key_id           INTEGER NOT NULL,"
  "  next_kyber_pre_key_id     INTEGER NOT NULL,"
  "  next_signed_pre_key_id    INTEGER NOT NULL,"
  "  signed_pre_key_rotated_at INTEGER NOT NULL,"
  "  last_resort_rotated_at    INTEGER NOT NULL"
  ");"

  "CREATE INDEX messages_outbox ON messages (id)"
  "  WHERE direction = 1 AND state = 0 AND kind = 0;",

  /* 2 → 3: what the user started writing in a conversation and has not
   * sent (sotto-store-drafts.c). */
  "CREATE TABLE drafts ("
  "  conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,"
  "  text            BLOB NOT NULL"               /* sealed */
  ");",

  /* 3 → 4: the certificates that the account's relay is trusted by, in
   * PEM, for a relay with a private CA. */
  "ALTER TABLE account ADD COLUMN relay_ca BLOB;",  /* sealed */

  /* 4 → 5: whether a contact is accepted, a message request or blocked
   * (SottoContactStanding).  Everyone known before is accepted. */
  "ALTER TABLE contacts ADD COLUMN standing INTEGER NOT NULL DEFAULT 0;",

  /* 5 → 6: replies, reactions, edits and deletion for everyone
   * (sotto-store-actions.c).  flags: 1 edited, 2 deleted for everyone.
   * An edit keeps the text it replaced in message_edits; an action whose
   * target has not arrived waits in pending_actions as the content it
   * came in. */
  "ALTER TABLE messages ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE messages ADD COLUMN quote_uuid TEXT;"
  "ALTER TABLE messages ADD COLUMN quote_author BLOB;"     /* sealed */
  "ALTER TABLE messages ADD COLUMN quote_text BLOB;"       /* sealed */
  "ALTER TABLE messages ADD COLUMN my_reaction BLOB;"      /* sealed */
  "ALTER TABLE messages ADD COLUMN their_reaction BLOB;"   /* sealed */

  "CREATE TABLE message_edits ("
  "  id              INTEGER PRIMARY KEY,"
  "  message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
  "  replaced_at     INTEGER NOT NULL,"
  "  text            BLOB NOT NULL"               /* sealed */
  ");"
  "CREATE INDEX message_edits_message ON message_edits (message_id);"

  "CREATE TABLE pending_actions ("
  "  id              INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,"
  "  target_uuid     TEXT NOT NULL,"
  "  content         BLOB NOT NULL"               /* sealed */
  ");"
  "CREATE INDEX pending_actions_target ON pending_actions (target_uuid);"
  "CREATE INDEX pending_actions_conversation ON pending_actions (conversation_id);",

  /* 6 → 7: encrypted profiles (sotto-store-profiles.c): the account's
   * profile key, display name and avatar, and whether the relay has
   * them as they are; each contact's profile key, the display name and
   * avatar their profile gave, and when it was last fetched. */
  "CREATE TABLE own_profile ("
  "  id              INTEGER PRIMARY KEY CHECK (id = 1),"
  "  profile_key     BLOB NOT NULL,"              /* sealed */
  "  name            BLOB NOT NULL,"              /* sealed */
  "  avatar          BLOB,"                       /* sealed */
  "  uploaded        INTEGER NOT NULL DEFAULT 0"
  ");"

  "CREATE TABLE contact_profiles ("
  "  contact_id      INTEGER PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,"
  "  profile_key     BLOB NOT NULL,"              /* sealed */
  "  name            BLOB,"                       /* sealed */
  "  avatar          BLOB,"                       /* sealed */
  "  fetched_at      INTEGER NOT NULL DEFAULT 0"
  ");",

  /* 7 → 8: disappearing messages (sotto-store-expiry.c): each
   * conversation's timer, and each disappearing message's timer and,
   * once its countdown started, when it expires (ms since the epoch). */
  "CREATE TABLE conversation_timers ("
  "  conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,"
  "  seconds         INTEGER NOT NULL"
  ");"

  "CREATE TABLE message_timers ("
  "  message_id      INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,"
  "  seconds         INTEGER NOT NULL,"
  "  expires_at      INTEGER"
  ");"
  "CREATE INDEX message_timers_expiry ON message_timers (expires_at) WHERE expires_at IS NOT NULL;",

  /* 8 → 9: sealed sender (sotto-store-sealed-sender.c): the trust root
   * the relay's sender certificates are checked against, pinned at
   * registration, and the messages that went through the relay sealed. */
  "CREATE TABLE sealed_sender_trust ("
  "  id              INTEGER PRIMARY KEY CHECK (id = 1),"
  "  trust_root      BLOB NOT NULL"
  ");"

  "CREATE TABLE sealed_messages ("
  "  message_id      INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE"
  ");",

  /* 9 → 10: attachments (sotto-store-attachments.c), one row per file of
   * a message.  state is a SottoAttachmentState (0 uploading, 1 sent,
   * 2 available, 4 ready, 5 failed), transferred the bytes of the blob
   * moved so far; pointer is the AttachmentPointer (docs/messenger.md)
   * with its key, file the encrypted blob in the profile's attachments
   * folder, source the file being sent until it is encrypted. */
  "CREATE TABLE attachments ("
  "  id              INTEGER PRIMARY KEY,"
  "  message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
  "  position        INTEGER NOT NULL,"
  "  state           INTEGER NOT NULL,"
  "  transferred     INTEGER NOT NULL DEFAULT 0,"
  "  pointer         BLOB NOT NULL,"              /* sealed */
  "  file            BLOB,"                       /* sealed */
  "  source          BLOB,"                       /* sealed */
  "  UNIQUE (message_id, position)"
  ");",

  /* 10 → 11: groups (sotto-store-groups.c): each group's history, and
   * its timeline of messages, changes and members' key changes. */
  "CREATE TABLE groups ("
  "  id              INTEGER PRIMARY KEY,"
  "  group_hash      BLOB NOT NULL UNIQUE,"
  "  history         BLOB NOT NULL"             /* sealed */
  ");"

  "CREATE TABLE group_events ("
  "  id              INTEGER PRIMARY KEY,"
  "  group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,"
  "  event_hash      BLOB NOT NULL,"
  "  sent_at         INTEGER NOT NULL,"
  "  body            BLOB NOT NULL,"            /* sealed */
  "  UNIQUE (group_id, event_hash)"
  ");"
  "CREATE INDEX group_events_order ON group_events (group_id, sent_at, id);"

  /* The session core's sender keys (sotto-protocol-state-sender-keys.c),
   * each group's current sender key of this device (its distribution id,
   * none after a member went), and the members it went to. */
  "CREATE TABLE group_sender_keys ("
  "  id              INTEGER PRIMARY KEY,"
  "  key_hash        BLOB NOT NULL UNIQUE,"
  "  record          BLOB NOT NULL"             /* sealed */
  ");"

  "CREATE TABLE group_own_keys ("
  "  group_id        INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,"
  "  distribution_id BLOB NOT NULL"
  ");"

  "CREATE TABLE group_key_shares ("
  "  group_id        INTEGER NOT NULL REFERENCES group_own_keys (group_id) ON DELETE CASCADE,"
  "  member_hash     BLOB NOT NULL,"
  "  PRIMARY KEY (group_id, member_hash)"
  ") WITHOUT ROWID;"

  /* Group changes made here that the relay has not yet accepted for a
   * member (sotto-group-list-delivery.c): the member and the content,
   * sealed. */
  "CREATE TABLE group_deliveries ("
  "  id              INTEGER PRIMARY KEY,"
  "  group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,"
  "  body            BLOB NOT NULL"             /* sealed */
  ");",

  /* 11 → 12: a group's timeline keeps one entry per author and id. */
  group_events_by_author,

  /* 12 → 13: this
   * device's group messages that went through the relay sealed
   * (sotto-group-list-send.c), as sealed_messages for 1:1 messages. */
  "CREATE TABLE sealed_group_events ("
  "  event_id        INTEGER PRIMARY KEY REFERENCES group_events (id) ON DELETE CASCADE"
  ");",

  /* 13 → 14: the members' group messages not read yet
   * (sotto-store-groups.c), as messages.state does for 1:1 messages. */
  "CREATE TABLE group_unread ("
  "  event_id        INTEGER PRIMARY KEY REFERENCES group_events (id) ON DELETE CASCADE,"
  "  group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE"
  ");"
  "CREATE INDEX group_unread_group ON group_unread (group_id);",

  /* 14 → 15: each group's picture (sotto-store-group-avatars.c), the one
   * its history's digest names, sealed. */
  "CREATE TABLE group_avatars ("
  "  group_id        INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,"
  "  picture         BLOB NOT NULL"             /* sealed */
  ");",

  /* 15 → 16: what changed a group message since it came
   * (sotto-store-groups.c): its edit or deletion for everyone, the quote
   * of a reply, and the members' reactions, sealed. */
  "CREATE TABLE group_event_changes ("
  "  event_id        INTEGER PRIMARY KEY REFERENCES group_events (id) ON DELETE CASCADE,"
  "  body            BLOB NOT NULL"             /* sealed */
  ");",

  /* 16 → 17: what the user started writing in a group and has not sent
   * (sotto-store-drafts.c), as drafts for 1:1 conversations. */
  "CREATE TABLE group_drafts ("
  "  group_id        INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,"
  "  text            BLOB NOT NULL"             /* sealed */
  ");",

  /* 17 → 18: this device's group messages that the relay has not taken
   * for every member yet (sotto-store-group-outgoing.c): whether the
   * last try failed for good, and, sealed, the content and the members
   * still to get it.  An entry without a row went to every member. */
  "CREATE TABLE group_outgoing ("
  "  event_id        INTEGER PRIMARY KEY REFERENCES group_events (id) ON DELETE CASCADE,"
  "  group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,"
  "  failed          INTEGER NOT NULL DEFAULT 0,"
  "  body            BLOB NOT NULL"             /* sealed */
  ");"
  "CREATE INDEX group_outgoing_group ON group_outgoing (group_id);",
};

guint
_sotto_store_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
}

/* Brings the database from @from_version to the current schema.  The
 * caller holds a transaction, so a failed step leaves nothing behind. */
gboolean
_sotto_store_migrate (SottoStore  *self,
                      guint        from_version,
                      GError     **error)
{
  g_autofree char *stamp = NULL;

  g_assert (SOTTO_IS_STORE (self));
  g_assert (from_version <= G_N_ELEMENTS (migrations));

  for (guint version = from_version; version < G_N_ELEMENTS (migrations); version++)
    {
      g_debug ("Migrating the database from schema %u to %u", version, version + 1);

      if (!_sotto_store_exec (self, migrations[version], error))
        return FALSE;
      if (migrations[version] == group_events_by_author && !_sotto_store_rehash_group_events (self, error))
        return FALSE;
    }

  stamp = g_strdup_printf ("PRAGMA application_id = %d; PRAGMA user_version = %u;",
                           SOTTO_STORE_APPLICATION_ID, _sotto_store_schema_version ());

  return _sotto_store_exec (self, stamp, error);
}
