/* test-attachment-file.c: attachment files through the session core's cipher
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "sotto-attachment-file-private.h"

#include "engine-test-util.h"

#define MARKER "SOTTO-ATTACHMENT-MARKER-7d1f"

typedef struct
{
  GFile  *root;       /* holds the blobs */
  char   *dir;
  char   *downloads;  /* the download folder */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->root = engine_test_make_profile ();
  fixture->dir = g_file_get_path (fixture->root);
  fixture->downloads = g_build_filename (fixture->dir, "downloads", NULL);
  g_assert_cmpint (g_mkdir (fixture->downloads, 0700), ==, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  engine_test_remove_profile (fixture->root);
  g_free (fixture->downloads);
  g_free (fixture->dir);
}

/* A plaintext of @size bytes with the marker at its start and end, so
 * that a plaintext copy anywhere would show. */
static GBytes *
plaintext_of_size (gsize size)
{
  guint8 *data = g_malloc (size + 1);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + 3);
  if (size >= 2 * strlen (MARKER))
    {
      memcpy (data, MARKER, strlen (MARKER));
      memcpy (data + size - strlen (MARKER), MARKER, strlen (MARKER));
    }

  return g_bytes_new_take (data, size);
}

static char *
encrypt_to_file (Fixture    *fixture,
                 const char *blob_name,
                 GBytes     *plaintext,
                 guint8      key[SP_ATTACHMENT_KEY_SIZE],
                 guint8      digest[SP_ATTACHMENT_DIGEST_SIZE])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, blob_name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (plaintext);
  g_autoptr(GFileOutputStream) out = g_file_create (file, G_FILE_CREATE_PRIVATE, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (sotto_attachment_file_encrypt (in, g_bytes_get_size (plaintext),
                                                G_OUTPUT_STREAM (out), key, digest, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static char *
sha256_hex_of (GBytes *bytes)
{
  guint8 hash[crypto_hash_sha256_BYTES];
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  crypto_hash_sha256 (hash, data, len);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);

  return g_strdup (hex);
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;

  return count;
}

static gboolean
file_contains_marker (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  return engine_test_profile_contains (file, MARKER, strlen (MARKER));
}

static GFile *
decrypt_file (Fixture       *fixture,
              const char    *blob_path,
              const guint8  *key,
              const guint8  *digest,
              guint64        size,
              const char    *name,
              char         **sha256_hex,
              GError       **error)
{
  g_autoptr(GFile) blob = g_file_new_for_path (blob_path);
  g_autoptr(GFile) downloads = g_file_new_for_path (fixture->downloads);

  return sotto_attachment_file_decrypt (blob, key, digest, size, downloads, name,
                                        sha256_hex, NULL, error);
}

/* Files of every kind of size come back whole under their own name,
 * the reported SHA-256 is that of the file, and the blob shows no
 * plaintext. */
static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  const gsize sizes[] = { 0, 1, 540, 541, 64 * 1024, 200 * 1024 + 17 };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) plaintext = plaintext_of_size (sizes[i]);
      g_autofree char *expected_sha256 = sha256_hex_of (plaintext);
      g_autofree char *name = g_strdup_printf ("file-%" G_GSIZE_FORMAT ".bin", sizes[i]);
      g_autofree char *blob_path = NULL;
      g_autofree char *sha256 = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *basename = NULL;
      g_autoptr(GFile) result = NULL;
      guint8 key[SP_ATTACHMENT_KEY_SIZE];
      guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
      gsize len;
      GStatBuf st;

      blob_path = encrypt_to_file (fixture, name, plaintext, key, digest);
      g_assert_cmpint (g_stat (blob_path, &st), ==, 0);
      g_assert_cmpuint ((guint64) st.st_size, ==, sp_attachment_blob_size (sizes[i]));
      g_assert_false (file_contains_marker (blob_path));

      result = decrypt_file (fixture, blob_path, key, digest, sizes[i], name, &sha256, &error);
      g_assert_no_error (error);
      g_assert_nonnull (result);
      basename = g_file_get_basename (result);
      g_assert_cmpstr (basename, ==, name);
      g_assert_cmpstr (sha256, ==, expected_sha256);
      g_assert_true (g_file_load_contents (result, NULL, &contents, &len, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (contents, len, g_bytes_get_data (plaintext, NULL), g_bytes_get_size (plaintext));
    }

  /* Nothing but the files themselves: no part file left over. */
  g_assert_cmpuint (count_entries (fixture->downloads), ==, G_N_ELEMENTS (sizes));
}

/* A part file that a process died with (an older Sotto's, or one on a
 * file system without unnamed files) goes with the next file saved in
 * its folder; one that a live save holds (locked) stays. */
static void
test_leftover_parts (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = plaintext_of_size (100);
  g_autofree char *dead = g_build_filename (fixture->downloads, ".sotto-download-0123456789abcdef.part", NULL);
  g_autofree char *live = g_build_filename (fixture->downloads, ".sotto-download-fedcba9876543210.part", NULL);
  g_autofree char *blob_path = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GFile) result = NULL;
  g_autoptr(GError) error = NULL;
  guint8 key[SP_ATTACHMENT_KEY_SIZE];
  guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
  int held;

  g_assert_true (g_file_set_contents (dead, MARKER, -1, NULL));
  g_assert_true (g_file_set_contents (live, MARKER, -1, NULL));
  held = g_open (live, O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (held, >=, 0);
  g_assert_cmpint (flock (held, LOCK_EX | LOCK_NB), ==, 0);

  blob_path = encrypt_to_file (fixture, "kept.bin", plaintext, key, digest);
  result = decrypt_file (fixture, blob_path, key, digest, 100, "kept.bin", &sha256, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  g_assert_false (g_file_test (dead, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (live, G_FILE_TEST_EXISTS));
  g_assert_cmpint (close (held), ==, 0);
}

/* A file of the same name is never replaced: the new one gets a suffix
 * before its extension. */
static void
test_no_overwrite (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = plaintext_of_size (100);
  g_autofree char *existing = g_build_filename (fixture->downloads, "note.txt", NULL);
  g_autofree char *blob_path = NULL;
  g_autofree char *kept = NULL;
  guint8 key[SP_ATTACHMENT_KEY_SIZE];
  guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint i;

  g_assert_true (g_file_set_contents (existing, "keep me", -1, NULL));
  blob_path = encrypt_to_file (fixture, "blob", plaintext, key, digest);

  for (i = 1; i <= 2; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *sha256 = NULL;
      g_autofree char *basename = NULL;
      g_autofree char *expected = g_strdup_printf ("note (%u).txt", i);
      g_autoptr(GFile) result = decrypt_file (fixture, blob_path, key, digest, 100, "note.txt",
                                              &sha256, &error);

      g_assert_no_error (error);
      basename = g_file_get_basename (result);
      g_assert_cmpstr (basename, ==, expected);
    }

  g_assert_true (g_file_get_contents (existing, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "keep me");
}

/* A blob the relay cut short or swapped for another is refused, and
 * leaves nothing in the download folder. */
static void
test_rejected (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = plaintext_of_size (5000);
  g_autoptr(GBytes) other = plaintext_of_size (5000);
  g_autofree char *blob_path = NULL;
  g_autofree char *other_path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *truncated_path = g_build_filename (fixture->dir, "truncated", NULL);
  guint8 key[SP_ATTACHMENT_KEY_SIZE];
  guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
  guint8 other_key[SP_ATTACHMENT_KEY_SIZE];
  guint8 other_digest[SP_ATTACHMENT_DIGEST_SIZE];
  gsize len;
  const char *bad_blobs[2];
  guint i;

  blob_path = encrypt_to_file (fixture, "blob", plaintext, key, digest);
  other_path = encrypt_to_file (fixture, "other", other, other_key, other_digest);
  g_assert_true (g_file_get_contents (blob_path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (truncated_path, contents, (gssize) len - 1, NULL));
  bad_blobs[0] = truncated_path;
  bad_blobs[1] = other_path;

  for (i = 0; i < G_N_ELEMENTS (bad_blobs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *sha256 = NULL;
      g_autoptr(GFile) result = decrypt_file (fixture, bad_blobs[i], key, digest, 5000,
                                              "file.bin", &sha256, &error);

      g_assert_error (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_REJECTED);
      g_assert_null (result);
      g_assert_null (sha256);
      g_assert_cmpuint (count_entries (fixture->downloads), ==, 0);
    }
}

/* A file that is not the size announced is not sent. */
static void
test_size_changed (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = plaintext_of_size (1000);
  gsize announced[] = { 999, 1001 };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (announced); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (plaintext);
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
      guint8 key[SP_ATTACHMENT_KEY_SIZE];
      guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];

      g_assert_false (sotto_attachment_file_encrypt (in, announced[i], out, key, digest, NULL, &error));
      g_assert_error (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_SIZE);
    }
}

/* Whatever the sender named the file, the name cannot leave the download
 * folder, hide the file or carry control characters. */
static void
test_safe_name (void)
{
  const struct { const char *name; const char *safe; } cases[] = {
    { "photo.jpg", "photo.jpg" },
    { "../../etc/passwd", "_.._etc_passwd" },
    { "..\\..\\boot.ini", "_.._boot.ini" },
    { ".bashrc", "bashrc" },
    { " . .profile", "profile" },
    { "a\nb\tc\x7f" "d", "abcd" },
    { "..", "attachment" },
    { "", "attachment" },
    { NULL, "attachment" },
    { "trailing   ", "trailing" },
  };
  g_autofree char *long_name = g_strnfill (300, 'x');
  g_autofree char *long_safe = NULL;
  g_autofree char *accents = NULL;
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *safe = sotto_attachment_file_safe_name (cases[i].name);

      g_assert_null (strchr (safe, '/'));
      g_assert_cmpstr (safe, ==, cases[i].safe);
    }

  long_safe = sotto_attachment_file_safe_name (long_name);
  g_assert_cmpuint (strlen (long_safe), ==, 200);

  /* A two-byte character is never cut in half. */
  accents = sotto_attachment_file_safe_name ("x\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251"
                                             "\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251");
  g_assert_true (g_utf8_validate (accents, -1, NULL));
  g_assert_cmpuint (strlen (accents), ==, 199);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/attachment-file/safe-name", test_safe_name);
  g_test_add ("/attachment-file/round-trip", Fixture, NULL,
              fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/attachment-file/leftover-parts", Fixture, NULL,
              fixture_set_up, test_leftover_parts, fixture_tear_down);
  g_test_add ("/attachment-file/no-overwrite", Fixture, NULL,
              fixture_set_up, test_no_overwrite, fixture_tear_down);
  g_test_add ("/attachment-file/rejected", Fixture, NULL,
              fixture_set_up, test_rejected, fixture_tear_down);
  g_test_add ("/attachment-file/size-changed", Fixture, NULL,
              fixture_set_up, test_size_changed, fixture_tear_down);

  return g_test_run ();
}
