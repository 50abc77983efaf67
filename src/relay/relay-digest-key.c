/* relay-digest-key.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The key of the password digests that the relay stores.  Checking a
 * password against its Argon2id hash costs tens of milliseconds, so a
 * flood of wrong passwords from many addresses can keep every hashing
 * place busy.  Passwords the relay has checked get in without a hash:
 * it remembers them in memory, and, so that this holds from the first
 * moment after a restart too, stores with each device a keyed BLAKE2b
 * digest of its password, which costs a read and a microsecond to
 * compare.
 *
 * The digest must not make guessing cheaper for whoever steals the
 * database (a backup, a dump, a PostgreSQL replica): BLAKE2b is fast,
 * so the key it is made under never goes into the database.  It lives
 * in its own file in the data directory, readable by the relay alone,
 * and `sotto-relay admin backup` leaves it out.  Without the key, a
 * digest tells nothing of its password, and guessing costs what the
 * Argon2id hash beside it does.
 *
 * Each digest covers the Argon2id hash it was checked against as well
 * as the password: when the hash changes (an administrator resetting a
 * password, or a device deleted and made again), the old digest matches
 * nothing any more, whoever changed the row and however.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-digest-key.h"

G_STATIC_ASSERT (RELAY_DIGEST_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
                 RELAY_DIGEST_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX);
G_STATIC_ASSERT (RELAY_DIGEST_BYTES >= crypto_generichash_BYTES_MIN &&
                 RELAY_DIGEST_BYTES <= crypto_generichash_BYTES_MAX);

struct _RelayDigestKey
{
  guint8 *key;   /* RELAY_DIGEST_KEY_BYTES of guarded memory, read-only once loaded */
};

static gboolean
fail_errno (GError     **error,
            const char  *what,
            const char  *path)
{
  int saved_errno = errno;

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "Cannot %s %s: %s",
               what, path, g_strerror (saved_errno));
  return FALSE;
}

/* Reads the key from the file open on `fd`, which must hold exactly a
 * key and be readable by its owner alone. */
static gboolean
read_key (int          fd,
          const char  *path,
          guint8      *key,
          GError     **error)
{
  struct stat st;
  gsize got = 0;

  if (fstat (fd, &st) != 0)
    return fail_errno (error, "read", path);
  if (!S_ISREG (st.st_mode) || st.st_size != RELAY_DIGEST_KEY_BYTES)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s does not hold a key of %d bytes; remove it and the relay makes a new one "
                   "(each device's next login then costs a password hash)",
                   path, RELAY_DIGEST_KEY_BYTES);
      return FALSE;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "%s must be readable by the relay's user alone (chmod 600 %s)", path, path);
      return FALSE;
    }
  while (got < RELAY_DIGEST_KEY_BYTES)
    {
      gssize n = read (fd, key + got, RELAY_DIGEST_KEY_BYTES - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_errno (error, "read", path);
      if (n == 0)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s shrank while it was read", path);
          return FALSE;
        }
      got += (gsize) n;
    }
  return TRUE;
}

/* Makes a new key and writes it to `path`, which is only there once it
 * is whole and on disk. */
static gboolean
make_key (const char  *path,
          guint8      *key,
          GError     **error)
{
  randombytes_buf (key, RELAY_DIGEST_KEY_BYTES);
  if (!g_file_set_contents_full (path, (const char *) key, RELAY_DIGEST_KEY_BYTES,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error))
    return FALSE;
  g_message ("Made a new password digest key in %s", path);
  return TRUE;
}

/* Loads DATA_DIR/password-digest.key, or makes it when there is none.
 * The caller holds the data directory's lock, so no other relay makes
 * one at the same time. */
RelayDigestKey *
relay_digest_key_load (const char  *data_dir,
                       GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, RELAY_DIGEST_KEY_FILE, NULL);
  g_autoptr(RelayDigestKey) self = g_new0 (RelayDigestKey, 1);
  gboolean loaded;
  int fd;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self->key = sodium_malloc (RELAY_DIGEST_KEY_BYTES);
  g_assert (self->key != NULL);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      loaded = read_key (fd, path, self->key, error);
      close (fd);
    }
  else if (errno == ENOENT)
    loaded = make_key (path, self->key, error);
  else
    loaded = fail_errno (error, "open", path);
  if (!loaded)
    return NULL;
  sodium_mprotect_readonly (self->key);
  return g_steal_pointer (&self);
}

void
relay_digest_key_free (RelayDigestKey *self)
{
  if (self == NULL)
    return;
  /* sodium_free() wipes the key, read-only or not. */
  sodium_free (self->key);
  g_free (self);
}

static void
compute (RelayDigestKey *self,
         const char     *password_hash,
         const char     *password,
         guint8         *out)
{
  crypto_generichash_state state;

  crypto_generichash_init (&state, self->key, RELAY_DIGEST_KEY_BYTES, RELAY_DIGEST_BYTES);
  /* The hash goes in with its NUL, which no hash holds, so that no two
   * pairs of hash and password run together alike. */
  crypto_generichash_update (&state, (const guint8 *) password_hash, strlen (password_hash) + 1);
  crypto_generichash_update (&state, (const guint8 *) password, strlen (password));
  crypto_generichash_final (&state, out, RELAY_DIGEST_BYTES);
  sodium_memzero (&state, sizeof state);
}

/* The digest to store for a device whose `password` was just checked
 * against its stored `password_hash`. */
GBytes *
relay_digest_key_digest (RelayDigestKey *self,
                         const char     *password_hash,
                         const char     *password)
{
  guint8 digest[RELAY_DIGEST_BYTES];

  g_return_val_if_fail (self != NULL, NULL);

  compute (self, password_hash, password, digest);
  return g_bytes_new (digest, sizeof digest);
}

/* Whether `digest`, as stored for a device, was made of `password`
 * and the device's `password_hash` as it is now. */
gboolean
relay_digest_key_matches (RelayDigestKey *self,
                          GBytes         *digest,
                          const char     *password_hash,
                          const char     *password)
{
  guint8 computed[RELAY_DIGEST_BYTES];
  gboolean match;

  g_return_val_if_fail (self != NULL, FALSE);

  if (digest == NULL || g_bytes_get_size (digest) != RELAY_DIGEST_BYTES)
    return FALSE;
  compute (self, password_hash, password, computed);
  match = sodium_memcmp (computed, g_bytes_get_data (digest, NULL), RELAY_DIGEST_BYTES) == 0;
  sodium_memzero (computed, sizeof computed);
  return match;
}
