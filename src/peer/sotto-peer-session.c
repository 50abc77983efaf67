/* sotto-peer-session.c: sotto-peer's session operations
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-peer"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-keys.h"
#include "sp-kyber1024.h"
#include "sp-prekeys.h"
#include "sp-sender-key.h"
#include "sp-session.h"
#include "sp-store.h"

#include "sotto-peer-private.h"

/* The session operations keep one device: its identity, the prekeys it
 * handed out and its sessions, in the core's in-memory store.  With
 * --state DIR every change the core makes through the store interface is
 * also written to DIR, as plain files (this is a test tool), and a peer
 * started again on DIR picks up where the last one stopped:
 *
 *   DIR/peer.ini                 name, device, registration id, identity
 *                                key pair, next prekey id
 *   DIR/prekeys/ID               one-time prekey records
 *   DIR/signed-prekeys/ID        signed prekey records
 *   DIR/kyber-prekeys/ID         one-time Kyber prekey records
 *   DIR/kyber-last-resort/ID     last-resort Kyber prekey records
 *   DIR/kyber-used/ID-BASEKEY    base keys a last-resort key was used with
 *   DIR/identities/NAME.DEVICE   remote identity keys (NAME in hex)
 *   DIR/sessions/NAME.DEVICE     session records (NAME in hex)
 *   DIR/sender-keys/DIST.NAME.DEVICE
 *                                sender key records (DIST the distribution
 *                                id, NAME the sender, both in hex)
 */

#define STATE_FILE "peer.ini"
#define STATE_GROUP "peer"

typedef struct {
  char *name;
  guint32 device_id;
  guint32 registration_id;
  SpKeyPair *identity;           /* sodium_malloc() */
  guint32 next_key_id;

  SpMemoryStore *memory;
  SpStore inner;                 /* the memory store's callbacks */
  SpStore store;                 /* what the ciphers use */
  char *state_dir;               /* NULL: memory only */

  /* "name\ndevice" → SpSessionCipher, one per conversation so that each
   * keeps its working memory. */
  GHashTable *ciphers;

  /* For the group operations, made on first use. */
  SpGroupCipher *group_cipher;
} PeerSession;

static void
peer_session_free (gpointer data)
{
  PeerSession *session = data;

  g_clear_pointer (&session->ciphers, g_hash_table_unref);
  sp_group_cipher_free (session->group_cipher);
  sp_memory_store_free (session->memory);
  sodium_free (session->identity);
  g_free (session->name);
  g_free (session->state_dir);
  g_free (session);
}

/* Files */

static char *
address_file_name (const SpAddress *address)
{
  gsize len = strlen (address->name);
  g_autofree char *hex = g_malloc (2 * len + 1);

  sodium_bin2hex (hex, 2 * len + 1, (const guint8 *) address->name, len);
  return g_strdup_printf ("%s.%u", hex, address->device_id);
}

static char *
state_path (PeerSession *session,
            const char  *dir,
            const char  *file)
{
  return g_build_filename (session->state_dir, dir, file, NULL);
}

/* Writes @data to DIR/@dir/@file atomically, readable only by us. */
static int
write_state_file (PeerSession  *session,
                  const char   *dir,
                  const char   *file,
                  const guint8 *data,
                  gsize         len)
{
  g_autofree char *directory = g_build_filename (session->state_dir, dir, NULL);
  g_autofree char *path = g_build_filename (directory, file, NULL);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (directory, 0700) != 0
      || !g_file_set_contents_full (path, (const char *) data, (gssize) len,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_warning ("Cannot write %s: %s", path, error != NULL ? error->message : g_strerror (errno));
      return SP_ERR_STORE;
    }
  return SP_OK;
}

static int
remove_state_file (PeerSession *session,
                   const char  *dir,
                   const char  *file)
{
  g_autofree char *path = state_path (session, dir, file);

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
      return SP_ERR_STORE;
    }
  return SP_OK;
}

static gboolean
state_file_exists (PeerSession *session,
                   const char  *dir,
                   const char  *file)
{
  g_autofree char *path = state_path (session, dir, file);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
save_peer_file (PeerSession  *session,
                GError      **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autofree char *identity_hex = NULL;
  guint8 *encoded = sotto_peer_secret_new (SP_IDENTITY_KEY_PAIR_ENCODED_SIZE);
  gsize encoded_len = 0;
  gsize len = 0;
  int rc;

  rc = sp_identity_key_pair_encode (session->identity, encoded, SP_IDENTITY_KEY_PAIR_ENCODED_SIZE,
                                    &encoded_len);
  if (rc == SP_OK)
    {
      identity_hex = g_malloc (2 * encoded_len + 1);
      sodium_bin2hex (identity_hex, 2 * encoded_len + 1, encoded, encoded_len);
    }
  sodium_free (encoded);
  if (!sotto_peer_check (rc, error))
    return FALSE;

  g_key_file_set_string (key_file, STATE_GROUP, "name", session->name);
  g_key_file_set_uint64 (key_file, STATE_GROUP, "device", session->device_id);
  g_key_file_set_uint64 (key_file, STATE_GROUP, "registration_id", session->registration_id);
  g_key_file_set_uint64 (key_file, STATE_GROUP, "next_key_id", session->next_key_id);
  g_key_file_set_string (key_file, STATE_GROUP, "identity", identity_hex);
  data = g_key_file_to_data (key_file, &len, NULL);
  sodium_memzero (identity_hex, strlen (identity_hex));

  rc = write_state_file (session, ".", STATE_FILE, (const guint8 *) data, len);
  sodium_memzero (data, len);
  if (rc != SP_OK)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO,
                   "Cannot write %s in %s", STATE_FILE, session->state_dir);
      return FALSE;
    }
  return TRUE;
}

/* The persisting store: each callback that changes something forwards to
 * the memory store, then writes the change to DIR. */

static int
persist_get_identity_key_pair (void      *user_data,
                               SpKeyPair *out)
{
  PeerSession *session = user_data;

  return session->inner.get_identity_key_pair (session->inner.user_data, out);
}

static int
persist_get_local_registration_id (void     *user_data,
                                   uint32_t *out)
{
  PeerSession *session = user_data;

  return session->inner.get_local_registration_id (session->inner.user_data, out);
}

static int
persist_get_identity (void            *user_data,
                      const SpAddress *address,
                      SpPublicKey     *out,
                      bool            *found)
{
  PeerSession *session = user_data;

  return session->inner.get_identity (session->inner.user_data, address, out, found);
}

static int
persist_save_identity (void              *user_data,
                       const SpAddress   *address,
                       const SpPublicKey *key)
{
  PeerSession *session = user_data;
  g_autofree char *file = address_file_name (address);
  int rc = session->inner.save_identity (session->inner.user_data, address, key);

  if (rc != SP_OK)
    return rc;
  return write_state_file (session, "identities", file, key->bytes, SP_PUBLIC_KEY_SIZE);
}

static int
persist_is_trusted_identity (void              *user_data,
                             const SpAddress   *address,
                             const SpPublicKey *key,
                             SpDirection        direction,
                             bool              *trusted)
{
  PeerSession *session = user_data;

  return session->inner.is_trusted_identity (session->inner.user_data, address, key, direction, trusted);
}

static int
persist_load_pre_key (void     *user_data,
                      uint32_t  id,
                      SpPreKey *out)
{
  PeerSession *session = user_data;

  return session->inner.load_pre_key (session->inner.user_data, id, out);
}

static int
persist_remove_pre_key (void     *user_data,
                        uint32_t  id)
{
  PeerSession *session = user_data;
  g_autofree char *file = g_strdup_printf ("%u", id);
  int rc = session->inner.remove_pre_key (session->inner.user_data, id);

  if (rc != SP_OK)
    return rc;
  return remove_state_file (session, "prekeys", file);
}

static int
persist_load_signed_pre_key (void           *user_data,
                             uint32_t        id,
                             SpSignedPreKey *out)
{
  PeerSession *session = user_data;

  return session->inner.load_signed_pre_key (session->inner.user_data, id, out);
}

static int
persist_load_kyber_pre_key (void          *user_data,
                            uint32_t       id,
                            SpKyberPreKey *out)
{
  PeerSession *session = user_data;

  return session->inner.load_kyber_pre_key (session->inner.user_data, id, out);
}

static int
persist_mark_kyber_pre_key_used (void              *user_data,
                                 uint32_t           kyber_id,
                                 uint32_t           signed_pre_key_id,
                                 const SpPublicKey *base_key)
{
  PeerSession *session = user_data;
  g_autofree char *file = g_strdup_printf ("%u", kyber_id);
  char base_hex[2 * SP_PUBLIC_KEY_SIZE + 1];
  g_autofree char *used = NULL;
  int rc;

  rc = session->inner.mark_kyber_pre_key_used (session->inner.user_data, kyber_id,
                                               signed_pre_key_id, base_key);
  if (rc != SP_OK)
    return rc;

  if (!state_file_exists (session, "kyber-last-resort", file))
    return remove_state_file (session, "kyber-prekeys", file);

  sodium_bin2hex (base_hex, sizeof base_hex, base_key->bytes, SP_PUBLIC_KEY_SIZE);
  used = g_strdup_printf ("%u-%s", kyber_id, base_hex);
  return write_state_file (session, "kyber-used", used, NULL, 0);
}

static int
persist_load_session (void            *user_data,
                      const SpAddress *address,
                      SpSessionRecord *record)
{
  PeerSession *session = user_data;

  return session->inner.load_session (session->inner.user_data, address, record);
}

static int
persist_store_session (void                  *user_data,
                       const SpAddress       *address,
                       const SpSessionRecord *record)
{
  PeerSession *session = user_data;
  g_autofree char *file = address_file_name (address);
  guint8 *data;
  size_t size;
  size_t len;
  int rc;

  if ((rc = session->inner.store_session (session->inner.user_data, address, record)) != SP_OK
      || (rc = sp_session_record_serialized_size (record, &size)) != SP_OK)
    return rc;
  data = sotto_peer_secret_new (size);
  rc = sp_session_record_serialize (record, data, size, &len);
  if (rc == SP_OK)
    rc = write_state_file (session, "sessions", file, data, len);
  sodium_free (data);
  return rc;
}

static char *
sender_key_file_name (const SpAddress *sender,
                      const uint8_t    distribution_id[SP_DISTRIBUTION_ID_SIZE])
{
  char distribution_hex[2 * SP_DISTRIBUTION_ID_SIZE + 1];
  g_autofree char *address = address_file_name (sender);

  sodium_bin2hex (distribution_hex, sizeof distribution_hex, distribution_id, SP_DISTRIBUTION_ID_SIZE);
  return g_strdup_printf ("%s.%s", distribution_hex, address);
}

static int
persist_load_sender_key (void              *user_data,
                         const SpAddress   *sender,
                         const uint8_t      distribution_id[SP_DISTRIBUTION_ID_SIZE],
                         SpSenderKeyRecord *record)
{
  PeerSession *session = user_data;

  return session->inner.load_sender_key (session->inner.user_data, sender, distribution_id, record);
}

static int
persist_store_sender_key (void                    *user_data,
                          const SpAddress         *sender,
                          const uint8_t            distribution_id[SP_DISTRIBUTION_ID_SIZE],
                          const SpSenderKeyRecord *record)
{
  PeerSession *session = user_data;
  g_autofree char *file = sender_key_file_name (sender, distribution_id);
  guint8 *data;
  size_t size;
  size_t len;
  int rc;

  if ((rc = session->inner.store_sender_key (session->inner.user_data, sender, distribution_id,
                                             record)) != SP_OK
      || (rc = sp_sender_key_record_serialized_size (record, &size)) != SP_OK)
    return rc;
  data = sotto_peer_secret_new (size);
  rc = sp_sender_key_record_serialize (record, data, size, &len);
  if (rc == SP_OK)
    rc = write_state_file (session, "sender-keys", file, data, len);
  sodium_free (data);
  return rc;
}

static void
use_persisting_store (PeerSession *session)
{
  SpStore *store = &session->store;

  store->user_data = session;
  store->get_identity_key_pair = persist_get_identity_key_pair;
  store->get_local_registration_id = persist_get_local_registration_id;
  store->get_identity = persist_get_identity;
  store->save_identity = persist_save_identity;
  store->is_trusted_identity = persist_is_trusted_identity;
  store->load_pre_key = persist_load_pre_key;
  store->remove_pre_key = persist_remove_pre_key;
  store->load_signed_pre_key = persist_load_signed_pre_key;
  store->load_kyber_pre_key = persist_load_kyber_pre_key;
  store->mark_kyber_pre_key_used = persist_mark_kyber_pre_key_used;
  store->load_session = persist_load_session;
  store->store_session = persist_store_session;
  store->load_sender_key = persist_load_sender_key;
  store->store_sender_key = persist_store_sender_key;
}

/* Sessions of the peer */

static PeerSession *
peer_session_new (const char      *name,
                  guint32          device_id,
                  guint32          registration_id,
                  const SpKeyPair *identity,
                  guint32          next_key_id,
                  const char      *state_dir,
                  GError         **error)
{
  PeerSession *session = g_new0 (PeerSession, 1);

  session->name = g_strdup (name);
  session->device_id = device_id;
  session->registration_id = registration_id;
  session->identity = sotto_peer_secret_new (sizeof (SpKeyPair));
  *session->identity = *identity;
  session->next_key_id = next_key_id;
  session->state_dir = g_strdup (state_dir);
  session->ciphers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sp_session_cipher_free);

  if (!sotto_peer_check (sp_memory_store_new (&session->memory, identity, registration_id), error)
      || !sotto_peer_check (sp_memory_store_get_interface (session->memory, &session->inner), error))
    {
      peer_session_free (session);
      return NULL;
    }
  if (state_dir != NULL)
    use_persisting_store (session);
  else
    session->store = session->inner;
  return session;
}

/* Calls @load on every file of DIR/@dir; stops at the first failure. */
static gboolean
load_directory (PeerSession  *session,
                const char   *dir,
                gboolean    (*load) (PeerSession   *session,
                                     const char    *file,
                                     const guint8  *data,
                                     gsize          len,
                                     GError       **error),
                GError      **error)
{
  g_autofree char *directory = g_build_filename (session->state_dir, dir, NULL);
  g_autoptr(GDir) handle = g_dir_open (directory, 0, NULL);
  const char *file;

  if (handle == NULL)
    return TRUE;
  while ((file = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, file, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      gboolean ok;

      if (!g_file_get_contents (path, &data, &len, error))
        return FALSE;
      ok = load (session, file, (const guint8 *) data, len, error);
      sodium_memzero (data, len);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_id (const char  *text,
          guint32     *id,
          GError     **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, error))
    return FALSE;
  *id = (guint32) value;
  return TRUE;
}

/* "NAME-IN-HEX.DEVICE" back into an address. */
static gboolean
parse_address_file_name (const char  *file,
                         char       **name,
                         guint32     *device_id,
                         GError     **error)
{
  const char *dot = strrchr (file, '.');
  g_autofree guint8 *bytes = NULL;
  gsize hex_len;

  if (dot == NULL || !parse_id (dot + 1, device_id, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO, "Bad state file name “%s”", file);
      return FALSE;
    }
  hex_len = (gsize) (dot - file);
  bytes = g_malloc (hex_len / 2 + 1);
  if (!sotto_peer_decode_hex (file, hex_len, bytes, hex_len / 2))
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO, "Bad state file name “%s”", file);
      return FALSE;
    }
  *name = g_strndup ((const char *) bytes, hex_len / 2);
  return TRUE;
}

static gboolean
load_pre_key_file (PeerSession   *session,
                   const char    *file,
                   const guint8  *data,
                   gsize          len,
                   GError       **error)
{
  SpPreKey *key = sotto_peer_secret_new (sizeof (SpPreKey));
  gboolean ok = sotto_peer_check (sp_pre_key_decode (key, data, len), error)
                && sotto_peer_check (sp_memory_store_add_pre_key (session->memory, key), error);

  sodium_free (key);
  return ok;
}

static gboolean
load_signed_pre_key_file (PeerSession   *session,
                          const char    *file,
                          const guint8  *data,
                          gsize          len,
                          GError       **error)
{
  SpSignedPreKey *key = sotto_peer_secret_new (sizeof (SpSignedPreKey));
  gboolean ok = sotto_peer_check (sp_signed_pre_key_decode (key, data, len), error)
                && sotto_peer_check (sp_memory_store_add_signed_pre_key (session->memory, key), error);

  sodium_free (key);
  return ok;
}

static gboolean
load_kyber_file (PeerSession   *session,
                 const guint8  *data,
                 gsize          len,
                 gboolean       last_resort,
                 GError       **error)
{
  SpKyberPreKey *key = sotto_peer_secret_new (sizeof (SpKyberPreKey));
  gboolean ok = sotto_peer_check (sp_kyber_pre_key_decode (key, data, len), error)
                && sotto_peer_check (sp_memory_store_add_kyber_pre_key (session->memory, key, last_resort),
                                     error);

  sodium_free (key);
  return ok;
}

static gboolean
load_kyber_pre_key_file (PeerSession   *session,
                         const char    *file,
                         const guint8  *data,
                         gsize          len,
                         GError       **error)
{
  return load_kyber_file (session, data, len, FALSE, error);
}

static gboolean
load_kyber_last_resort_file (PeerSession   *session,
                             const char    *file,
                             const guint8  *data,
                             gsize          len,
                             GError       **error)
{
  return load_kyber_file (session, data, len, TRUE, error);
}

/* Replays mark_kyber_pre_key_used, so the memory store knows the base
 * keys a last-resort key was used with. */
static gboolean
load_kyber_used_file (PeerSession   *session,
                      const char    *file,
                      const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  const char *dash = strchr (file, '-');
  g_autofree char *id_text = NULL;
  SpPublicKey base_key;
  guint32 id;

  if (dash == NULL)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO, "Bad state file name “%s”", file);
      return FALSE;
    }
  id_text = g_strndup (file, (gsize) (dash - file));
  if (!parse_id (id_text, &id, error))
    return FALSE;
  if (!sotto_peer_decode_hex (dash + 1, strlen (dash + 1), base_key.bytes, sizeof base_key.bytes))
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO, "Bad state file name “%s”", file);
      return FALSE;
    }
  return sotto_peer_check (session->inner.mark_kyber_pre_key_used (session->inner.user_data, id, 0, &base_key),
                           error);
}

static gboolean
load_identity_file (PeerSession   *session,
                    const char    *file,
                    const guint8  *data,
                    gsize          len,
                    GError       **error)
{
  g_autofree char *name = NULL;
  SpAddress address;
  SpPublicKey key;

  if (!parse_address_file_name (file, &name, &address.device_id, error)
      || !sotto_peer_check (sp_public_key_decode (&key, data, len), error))
    return FALSE;
  address.name = name;
  return sotto_peer_check (session->inner.save_identity (session->inner.user_data, &address, &key), error);
}

static gboolean
load_session_file (PeerSession   *session,
                   const char    *file,
                   const guint8  *data,
                   gsize          len,
                   GError       **error)
{
  g_autofree char *name = NULL;
  SpSessionRecord *record = NULL;
  SpAddress address;
  gboolean ok;

  if (!parse_address_file_name (file, &name, &address.device_id, error)
      || !sotto_peer_check (sp_session_record_new (&record), error))
    return FALSE;
  address.name = name;
  ok = sotto_peer_check (sp_session_record_deserialize (record, data, len), error)
       && sotto_peer_check (session->inner.store_session (session->inner.user_data, &address, record), error);
  sp_session_record_free (record);
  return ok;
}

/* "DIST.NAME.DEVICE", the distribution id in hex, as sender_key_file_name()
 * writes it. */
static gboolean
load_sender_key_file (PeerSession   *session,
                      const char    *file,
                      const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  const char *dot = strchr (file, '.');
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  g_autofree char *name = NULL;
  SpSenderKeyRecord *record = NULL;
  SpAddress address;
  gboolean ok;

  if (dot == NULL
      || !sotto_peer_decode_hex (file, (gsize) (dot - file), distribution_id, sizeof distribution_id))
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO, "Bad state file name “%s”", file);
      return FALSE;
    }
  if (!parse_address_file_name (dot + 1, &name, &address.device_id, error)
      || !sotto_peer_check (sp_sender_key_record_new (&record), error))
    return FALSE;
  address.name = name;
  ok = sotto_peer_check (sp_sender_key_record_deserialize (record, data, len), error)
       && sotto_peer_check (session->inner.store_sender_key (session->inner.user_data, &address,
                                                             distribution_id, record), error);
  sp_sender_key_record_free (record);
  return ok;
}

/* A peer started on a DIR that a previous one filled. */
static PeerSession *
peer_session_load (const char  *state_dir,
                   GError     **error)
{
  g_autofree char *path = g_build_filename (state_dir, STATE_FILE, NULL);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *name = NULL;
  g_autofree char *identity_hex = NULL;
  guint8 *encoded = NULL;
  SpKeyPair *identity = NULL;
  PeerSession *session = NULL;
  size_t encoded_len = 0;
  guint64 device_id;
  guint64 registration_id;
  guint64 next_key_id;
  GError *local_error = NULL;

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, error))
    return NULL;
  name = g_key_file_get_string (key_file, STATE_GROUP, "name", &local_error);
  if (local_error == NULL)
    device_id = g_key_file_get_uint64 (key_file, STATE_GROUP, "device", &local_error);
  if (local_error == NULL)
    registration_id = g_key_file_get_uint64 (key_file, STATE_GROUP, "registration_id", &local_error);
  if (local_error == NULL)
    next_key_id = g_key_file_get_uint64 (key_file, STATE_GROUP, "next_key_id", &local_error);
  if (local_error == NULL)
    identity_hex = g_key_file_get_string (key_file, STATE_GROUP, "identity", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  encoded = sotto_peer_secret_new (SP_IDENTITY_KEY_PAIR_ENCODED_SIZE);
  identity = sotto_peer_secret_new (sizeof (SpKeyPair));
  if (sodium_hex2bin (encoded, SP_IDENTITY_KEY_PAIR_ENCODED_SIZE, identity_hex, strlen (identity_hex),
                      NULL, &encoded_len, NULL) != 0)
    g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_IO, "Bad identity in %s", path);
  else if (sotto_peer_check (sp_identity_key_pair_decode (identity, encoded, encoded_len), error))
    session = peer_session_new (name, (guint32) device_id, (guint32) registration_id, identity,
                                (guint32) next_key_id, state_dir, error);
  sodium_memzero (identity_hex, strlen (identity_hex));
  sodium_free (encoded);
  sodium_free (identity);
  if (session == NULL)
    return NULL;

  if (!load_directory (session, "prekeys", load_pre_key_file, error)
      || !load_directory (session, "signed-prekeys", load_signed_pre_key_file, error)
      || !load_directory (session, "kyber-prekeys", load_kyber_pre_key_file, error)
      || !load_directory (session, "kyber-last-resort", load_kyber_last_resort_file, error)
      || !load_directory (session, "kyber-used", load_kyber_used_file, error)
      || !load_directory (session, "identities", load_identity_file, error)
      || !load_directory (session, "sessions", load_session_file, error)
      || !load_directory (session, "sender-keys", load_sender_key_file, error))
    {
      peer_session_free (session);
      return NULL;
    }
  return session;
}

/* The session state: made by init, or read from --state DIR on first use. */
static PeerSession *
get_session (SottoPeer  *peer,
             GError    **error)
{
  g_autofree char *path = NULL;
  PeerSession *session;

  if (peer->session != NULL)
    return peer->session;

  if (peer->state_dir != NULL)
    path = g_build_filename (peer->state_dir, STATE_FILE, NULL);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_BAD_STATE,
                           "No identity yet: send “init” first");
      return NULL;
    }

  session = peer_session_load (peer->state_dir, error);
  if (session == NULL)
    return NULL;
  peer->session = session;
  peer->session_free = peer_session_free;
  return session;
}

SpGroupCipher *
sotto_peer_get_group_cipher (SottoPeer  *peer,
                             GError    **error)
{
  PeerSession *session = get_session (peer, error);
  SpAddress local;

  if (session == NULL)
    return NULL;
  if (session->group_cipher == NULL)
    {
      local.name = session->name;
      local.device_id = session->device_id;
      if (!sotto_peer_check (sp_group_cipher_new (&session->group_cipher, &session->store, &local), error))
        return NULL;
    }
  return session->group_cipher;
}

gboolean
sotto_peer_get_local (SottoPeer  *peer,
                      SpAddress  *local,
                      SpStore    *store,
                      GError    **error)
{
  PeerSession *session = get_session (peer, error);

  if (session == NULL)
    return FALSE;
  local->name = session->name;
  local->device_id = session->device_id;
  *store = session->store;
  return TRUE;
}

/* Requests */

/* The cipher for the conversation with @remote, made on first use. */
static SpSessionCipher *
get_cipher (PeerSession      *session,
            const SpAddress  *remote,
            GError          **error)
{
  g_autofree char *key = g_strdup_printf ("%s\n%u", remote->name, remote->device_id);
  SpSessionCipher *cipher = g_hash_table_lookup (session->ciphers, key);
  SpAddress local = { session->name, session->device_id };

  if (cipher != NULL)
    return cipher;
  if (!sotto_peer_check (sp_session_cipher_new (&cipher, &session->store, &local, remote), error))
    return NULL;
  g_hash_table_insert (session->ciphers, g_steal_pointer (&key), cipher);
  return cipher;
}

SpSessionCipher *
sotto_peer_get_session_cipher (SottoPeer        *peer,
                               const SpAddress  *remote,
                               GError          **error)
{
  PeerSession *session = get_session (peer, error);

  return session != NULL ? get_cipher (session, remote, error) : NULL;
}

static JsonObject *
init_op (SottoPeer   *peer,
         JsonObject  *request,
         GError     **error)
{
  SpKeyPair *identity = sotto_peer_secret_new (sizeof (SpKeyPair));
  guint8 *private_bytes = sotto_peer_secret_new (SP_PRIVATE_KEY_SIZE);
  PeerSession *session = NULL;
  JsonObject *response = NULL;
  guint64 device_id;
  guint64 registration_id;
  const char *name;
  gboolean has_identity = json_object_has_member (request, "identity_private");
  g_autofree char *path = NULL;

  if ((name = sotto_peer_get_string (request, "name", error)) == NULL
      || !sotto_peer_get_uint (request, "device", G_MAXUINT32, &device_id, error))
    goto out;
  if (json_object_has_member (request, "registration_id"))
    {
      if (!sotto_peer_get_uint (request, "registration_id", G_MAXUINT32, &registration_id, error))
        goto out;
    }
  else
    {
      registration_id = g_random_int_range (1, 16380);
    }
  if (has_identity)
    {
      if (!sotto_peer_get_hex_fixed (request, "identity_private", private_bytes, SP_PRIVATE_KEY_SIZE, error)
          || !sotto_peer_check (sp_key_pair_from_private (identity, private_bytes, SP_PRIVATE_KEY_SIZE), error))
        goto out;
    }
  else if (!sotto_peer_check (sp_key_pair_generate (identity), error))
    {
      goto out;
    }

  /* A restarted peer answers init with what it already is, as long as
   * the request does not ask for someone else. */
  if (peer->state_dir != NULL)
    path = g_build_filename (peer->state_dir, STATE_FILE, NULL);
  if (peer->session != NULL || (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS)))
    {
      if ((session = get_session (peer, error)) == NULL)
        goto out;
      if (strcmp (session->name, name) != 0 || session->device_id != device_id
          || (has_identity && memcmp (session->identity->public_key.bytes, identity->public_key.bytes,
                                      SP_PUBLIC_KEY_SIZE) != 0))
        {
          g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_BAD_STATE,
                       "Already initialised as %s.%u", session->name, session->device_id);
          goto out;
        }
    }
  else
    {
      session = peer_session_new (name, (guint32) device_id, (guint32) registration_id, identity, 1,
                                  peer->state_dir, error);
      if (session == NULL)
        goto out;
      if (peer->state_dir != NULL && !save_peer_file (session, error))
        {
          peer_session_free (session);
          goto out;
        }
      peer->session = session;
      peer->session_free = peer_session_free;
    }

  response = json_object_new ();
  sotto_peer_set_hex (response, "identity_public", session->identity->public_key.bytes, SP_PUBLIC_KEY_SIZE);

out:
  sodium_free (identity);
  sodium_free (private_bytes);
  return response;
}

/* Generates the prekeys of one bundle, stores them (and, with --state, writes
 * them), and answers with their public parts. */
static JsonObject *
prekey_bundle_op (SottoPeer   *peer,
                  JsonObject  *request,
                  GError     **error)
{
  PeerSession *session = get_session (peer, error);
  SpSignedPreKey *signed_pre_key = sotto_peer_secret_new (sizeof (SpSignedPreKey));
  SpKyberPreKey *kyber_pre_key = sotto_peer_secret_new (sizeof (SpKyberPreKey));
  SpPreKey *pre_key = sotto_peer_secret_new (sizeof (SpPreKey));
  guint8 *record = sotto_peer_secret_new (SP_KYBER_PRE_KEY_RECORD_MAX);
  gboolean one_time = FALSE;
  gboolean last_resort = FALSE;
  guint64 now = (guint64) (g_get_real_time () / 1000);
  JsonObject *response = NULL;
  guint32 id;
  size_t len;

  if (session == NULL || !sotto_peer_get_bool (request, "one_time_prekey", &one_time, error))
    goto out;
  if (json_object_has_member (request, "last_resort")
      && !sotto_peer_get_bool (request, "last_resort", &last_resort, error))
    goto out;
  if (session->next_key_id > G_MAXUINT32 - 3)
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_BAD_STATE, "Out of prekey ids");
      goto out;
    }
  id = session->next_key_id;

  if (!sotto_peer_check (sp_signed_pre_key_generate (signed_pre_key, &session->identity->private_key, id, now), error)
      || !sotto_peer_check (sp_kyber_pre_key_generate (kyber_pre_key, &session->identity->private_key, id + 1, now), error)
      || (one_time && !sotto_peer_check (sp_pre_key_generate (pre_key, id + 2, now), error))
      || !sotto_peer_check (sp_memory_store_add_signed_pre_key (session->memory, signed_pre_key), error)
      || !sotto_peer_check (sp_memory_store_add_kyber_pre_key (session->memory, kyber_pre_key, last_resort), error)
      || (one_time && !sotto_peer_check (sp_memory_store_add_pre_key (session->memory, pre_key), error)))
    goto out;
  session->next_key_id = id + 3;

  if (session->state_dir != NULL)
    {
      g_autofree char *signed_file = g_strdup_printf ("%u", id);
      g_autofree char *kyber_file = g_strdup_printf ("%u", id + 1);
      g_autofree char *pre_key_file = g_strdup_printf ("%u", id + 2);

      if (!save_peer_file (session, error)
          || !sotto_peer_check (sp_signed_pre_key_encode (signed_pre_key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len), error)
          || !sotto_peer_check (write_state_file (session, "signed-prekeys", signed_file, record, len), error)
          || !sotto_peer_check (sp_kyber_pre_key_encode (kyber_pre_key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len), error)
          || !sotto_peer_check (write_state_file (session, last_resort ? "kyber-last-resort" : "kyber-prekeys",
                                                  kyber_file, record, len), error)
          || (one_time
              && (!sotto_peer_check (sp_pre_key_encode (pre_key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len), error)
                  || !sotto_peer_check (write_state_file (session, "prekeys", pre_key_file, record, len), error))))
        goto out;
    }

  response = json_object_new ();
  json_object_set_int_member (response, "registration_id", session->registration_id);
  json_object_set_int_member (response, "device_id", session->device_id);
  sotto_peer_set_hex (response, "identity_key", session->identity->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  json_object_set_int_member (response, "signed_prekey_id", signed_pre_key->id);
  sotto_peer_set_hex (response, "signed_prekey", signed_pre_key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE);
  sotto_peer_set_hex (response, "signed_prekey_signature", signed_pre_key->signature, SP_SIGNATURE_SIZE);
  json_object_set_int_member (response, "kyber_prekey_id", kyber_pre_key->id);
  sotto_peer_set_hex (response, "kyber_prekey", kyber_pre_key->public_key, SP_KYBER_PUBLIC_KEY_SIZE);
  sotto_peer_set_hex (response, "kyber_prekey_signature", kyber_pre_key->signature, SP_SIGNATURE_SIZE);
  if (one_time)
    {
      json_object_set_int_member (response, "prekey_id", pre_key->id);
      sotto_peer_set_hex (response, "prekey", pre_key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE);
    }

out:
  sodium_free (signed_pre_key);
  sodium_free (kyber_pre_key);
  sodium_free (pre_key);
  sodium_free (record);
  return response;
}

static gboolean
get_uint32 (JsonObject  *object,
            const char  *member,
            uint32_t    *out,
            GError     **error)
{
  guint64 value;

  if (!sotto_peer_get_uint (object, member, G_MAXUINT32, &value, error))
    return FALSE;
  *out = (uint32_t) value;
  return TRUE;
}

/* The bundle object of process_bundle, in the form prekey_bundle writes. */
static gboolean
get_bundle (JsonObject      *object,
            SpPreKeyBundle  *bundle,
            GError         **error)
{
  memset (bundle, 0, sizeof *bundle);
  bundle->has_pre_key = json_object_has_member (object, "prekey_id")
                        || json_object_has_member (object, "prekey");
  return get_uint32 (object, "registration_id", &bundle->registration_id, error)
         && get_uint32 (object, "device_id", &bundle->device_id, error)
         && sotto_peer_get_hex_fixed (object, "identity_key", bundle->identity_key.bytes, SP_PUBLIC_KEY_SIZE, error)
         && get_uint32 (object, "signed_prekey_id", &bundle->signed_pre_key_id, error)
         && sotto_peer_get_hex_fixed (object, "signed_prekey", bundle->signed_pre_key.bytes, SP_PUBLIC_KEY_SIZE, error)
         && sotto_peer_get_hex_fixed (object, "signed_prekey_signature", bundle->signed_pre_key_signature,
                                      SP_SIGNATURE_SIZE, error)
         && get_uint32 (object, "kyber_prekey_id", &bundle->kyber_pre_key_id, error)
         && sotto_peer_get_hex_fixed (object, "kyber_prekey", bundle->kyber_pre_key, SP_KYBER_PUBLIC_KEY_SIZE, error)
         && sotto_peer_get_hex_fixed (object, "kyber_prekey_signature", bundle->kyber_pre_key_signature,
                                      SP_SIGNATURE_SIZE, error)
         && (!bundle->has_pre_key
             || (get_uint32 (object, "prekey_id", &bundle->pre_key_id, error)
                 && sotto_peer_get_hex_fixed (object, "prekey", bundle->pre_key.bytes, SP_PUBLIC_KEY_SIZE, error)));
}

static JsonObject *
process_bundle_op (SottoPeer   *peer,
                   JsonObject  *request,
                   GError     **error)
{
  PeerSession *session = get_session (peer, error);
  SpSessionCipher *cipher;
  SpPreKeyBundle bundle;
  SpAddress remote;
  JsonObject *object;
  JsonObject *response;

  if (session == NULL
      || !sotto_peer_get_address (request, "peer", "device", &remote, error)
      || (object = sotto_peer_get_object (request, "bundle", error)) == NULL
      || !get_bundle (object, &bundle, error)
      || (cipher = get_cipher (session, &remote, error)) == NULL
      || !sotto_peer_check (sp_session_cipher_process_bundle (cipher, &bundle), error))
    return NULL;

  response = json_object_new ();
  json_object_set_boolean_member (response, "ok", TRUE);
  return response;
}

static JsonObject *
encrypt_op (SottoPeer   *peer,
            JsonObject  *request,
            GError     **error)
{
  PeerSession *session = get_session (peer, error);
  g_autofree guint8 *plaintext = NULL;
  g_autofree guint8 *ciphertext = NULL;
  SpSessionCipher *cipher;
  SpAddress remote;
  gsize plaintext_len = 0;
  size_t ciphertext_len = 0;
  size_t size;
  int type = 0;
  JsonObject *response;

  if (session == NULL
      || !sotto_peer_get_address (request, "peer", "device", &remote, error)
      || (plaintext = sotto_peer_get_hex (request, "plaintext", &plaintext_len, error)) == NULL
      || (cipher = get_cipher (session, &remote, error)) == NULL)
    return NULL;

  size = SP_SESSION_CIPHERTEXT_MAX_SIZE (plaintext_len);
  ciphertext = g_malloc (size);
  if (!sotto_peer_check (sp_session_cipher_encrypt (cipher, plaintext, plaintext_len, ciphertext, size,
                                                    &ciphertext_len, &type), error))
    return NULL;

  response = json_object_new ();
  json_object_set_int_member (response, "type", type);
  sotto_peer_set_hex (response, "ciphertext", ciphertext, ciphertext_len);
  return response;
}

static JsonObject *
decrypt_op (SottoPeer   *peer,
            JsonObject  *request,
            GError     **error)
{
  PeerSession *session = get_session (peer, error);
  g_autofree guint8 *ciphertext = NULL;
  guint8 *plaintext;
  SpSessionCipher *cipher;
  SpAddress remote;
  gsize ciphertext_len = 0;
  size_t plaintext_len = 0;
  guint64 type;
  JsonObject *response = NULL;

  if (session == NULL
      || !sotto_peer_get_address (request, "peer", "device", &remote, error)
      || !sotto_peer_get_uint (request, "type", G_MAXINT, &type, error)
      || (ciphertext = sotto_peer_get_hex (request, "ciphertext", &ciphertext_len, error)) == NULL
      || (cipher = get_cipher (session, &remote, error)) == NULL)
    return NULL;

  plaintext = sotto_peer_secret_new (ciphertext_len + 1);
  if (sotto_peer_check (sp_session_cipher_decrypt (cipher, (int) type, ciphertext, ciphertext_len,
                                                   plaintext, ciphertext_len, &plaintext_len), error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "plaintext", plaintext, plaintext_len);
    }
  sodium_free (plaintext);
  return response;
}

const SottoPeerOp sotto_peer_session_ops[] = {
  { "init", init_op },
  { "prekey_bundle", prekey_bundle_op },
  { "process_bundle", process_bundle_op },
  { "encrypt", encrypt_op },
  { "decrypt", decrypt_op },
  { NULL, NULL },
};
