/* test-cli-attachments-saving.c: what a save killed midway leaves
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-cli receive killed (SIGKILL) while it decrypts a file into the
 * download folder, where unnamed files (O_TMPFILE) are made and where
 * the kernel refuses them, as on FAT; and the part files such a save
 * leaves, swept as sotto-cli starts.  No plaintext byte is left but in a
 * whole saved file.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli-attachments-test-util.h"

/* The bytes @pid has written to a file in @dir so far, through any of
 * its descriptors, named or not (an unnamed file shows as "DIR/#N
 * (deleted)"); 0 when it has none open there. */
static guint64
written_into (GPid        pid,
              const char *dir)
{
  g_autofree char *fds = g_strdup_printf ("/proc/%d/fd", pid);
  g_autofree char *prefix = g_strconcat (dir, "/", NULL);
  g_autoptr(GDir) listing = g_dir_open (fds, 0, NULL);
  const char *name;
  guint64 most = 0;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *link = g_build_filename (fds, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      g_autofree char *info_path = g_strdup_printf ("/proc/%d/fdinfo/%s", pid, name);
      g_autofree char *info = NULL;
      const char *pos;

      if (target == NULL || !g_str_has_prefix (target, prefix)
          || !g_file_get_contents (info_path, &info, NULL, NULL)
          || (pos = strstr (info, "pos:")) == NULL)
        continue;
      most = MAX (most, g_ascii_strtoull (pos + strlen ("pos:"), NULL, 10));
    }

  return most;
}

/* A file of half BIG_SIZE with the marker in every 4 KiB, so that any
 * part of it shows. */
static char *
write_marked_file (CliTest *test)
{
  g_autofree char *contents = g_malloc (BIG_SIZE / 2);

  for (gsize i = 0; i < BIG_SIZE / 2; i++)
    contents[i] = (char) (i * 31 + (i >> 13));
  for (gsize i = 0; i + strlen (MARKER) < BIG_SIZE / 2; i += 4096)
    memcpy (contents + i, MARKER, strlen (MARKER));

  return write_file (test, "big.bin", contents, BIG_SIZE / 2);
}

/* The files in @dir, each of which must be the whole of @sent. */
static guint
count_whole_files (const char *dir,
                   const char *sent)
{
  g_autofree char *expected = sha256_of_file (sent);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *saved = sha256_of_file (path);

      g_assert_cmpstr (saved, ==, expected);
      n_files++;
    }

  return n_files;
}

/* Alice sends Bob @big_path; Bob's receive into @downloads, once it has
 * written a mebibyte of the file there. */
static GSubprocess *
receive_midway (CliTest    *test,
                const char *alice,
                const char *bob,
                const char *big_path,
                const char *downloads)
{
  GSubprocess *receiving;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  cli_run_ok (test, alice, "send", "bob", "The big one", "--attach", big_path, NULL);

  receiving = cli_spawn (test, bob, "receive", "--timeout", "60", "--download-dir", downloads, NULL);
  for (;;)
    {
      const char *pid = g_subprocess_get_identifier (receiving);

      /* It must still be at work, not done already. */
      g_assert_nonnull (pid);
      if (written_into (atoi (pid), downloads) >= 1024 * 1024)
        return receiving;
      g_usleep (1000);
    }
}

/* A receive killed (SIGKILL) while it decrypts a file into the download
 * folder leaves no plaintext byte anywhere: not in the folder, where
 * the file has no name until its blob passed its checks, nor in either
 * profile or the relay; and a receive after it leaves none either. */
static void
test_killed_while_saving (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=200000000\nblob-quota-bytes=1000000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autofree char *big_path = write_marked_file (test);
  GSubprocess *receiving;

  g_assert_cmpint (g_mkdir_with_parents (downloads, 0700), ==, 0);

  receiving = receive_midway (test, alice, bob, big_path, downloads);
  g_subprocess_send_signal (receiving, SIGKILL);
  g_assert_true (g_subprocess_wait (receiving, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (receiving));
  g_object_unref (receiving);

  g_assert_false (cli_tree_contains (downloads, MARKER, strlen (MARKER)));
  g_assert_false (cli_tree_contains (bob, MARKER, strlen (MARKER)));

  /* After a restart, whatever became of the file, only a whole one may
   * show the marker. */
  cli_run_ok (test, bob, "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  g_assert_cmpuint (count_whole_files (downloads, big_path), <=, 1);
  assert_no_plaintext (test, alice, bob);
}

/* Writes @contents into @dir/@name, 0600. */
static char *
write_private (const char *dir,
               const char *name,
               const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, contents, strlen (contents)), ==, (gssize) strlen (contents));
  g_assert_cmpint (close (fd), ==, 0);

  return path;
}

/* The part files in @dir: what a save writes on a file system without
 * unnamed files. */
static GPtrArray *
list_parts (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, ".sotto-download-") && g_str_has_suffix (name, ".part"))
      g_ptr_array_add (parts, g_build_filename (dir, name, NULL));

  return parts;
}

/* The same as killed-while-saving where the kernel refuses unnamed
 * files, as a FAT or network file system does: the plaintext goes to a
 * hidden part file that only the user may read (0600) and that its
 * process holds locked; killed, it leaves that file, which the next
 * receive removes as it starts, saving or not; no part file, nor any
 * plaintext byte but in a whole saved file, is left anywhere. */
static void
test_killed_while_saving_without_unnamed_files (void)
{
  g_autoptr(CliTest) test = NULL;
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *downloads = NULL;
  g_autofree char *big_path = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  GSubprocess *receiving;
  GStatBuf st;
  int fd;

  if (!cli_can_refuse_unnamed_files ())
    {
      g_test_skip ("No system call filter for this architecture");
      return;
    }

  test = new_test ("max-blob-bytes=200000000\nblob-quota-bytes=1000000000\n", FALSE);
  alice = cli_register (test, "alice");
  bob = cli_register (test, "bob");
  downloads = g_build_filename (test->root, "bob-saved", NULL);
  big_path = write_marked_file (test);
  g_assert_cmpint (g_mkdir_with_parents (downloads, 0700), ==, 0);

  test->no_unnamed_files = TRUE;
  receiving = receive_midway (test, alice, bob, big_path, downloads);

  /* What it writes has a name, the hidden part file's, private and held. */
  parts = list_parts (downloads);
  g_assert_cmpuint (parts->len, ==, 1);
  g_assert_cmpint (g_lstat (g_ptr_array_index (parts, 0), &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  fd = g_open (g_ptr_array_index (parts, 0), O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, -1);
  g_assert_cmpint (errno, ==, EWOULDBLOCK);
  g_assert_cmpint (close (fd), ==, 0);

  g_subprocess_send_signal (receiving, SIGKILL);
  g_assert_true (g_subprocess_wait (receiving, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (receiving));
  g_object_unref (receiving);

  /* Killed, it left the part file, still the user's alone. */
  g_assert_cmpint (g_lstat (g_ptr_array_index (parts, 0), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* The next sotto-cli, on the same file system, removes it; whatever
   * became of the file, only a whole one may be there. */
  cli_run_ok (test, bob, "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  test->no_unnamed_files = FALSE;
  g_assert_false (g_file_test (g_ptr_array_index (parts, 0), G_FILE_TEST_EXISTS));
  g_clear_pointer (&parts, g_ptr_array_unref);
  parts = list_parts (downloads);
  g_assert_cmpuint (parts->len, ==, 0);
  g_assert_cmpuint (count_whole_files (downloads, big_path), <=, 1);
  assert_no_plaintext (test, alice, bob);
}

/* The part files that a receive killed while it saved would have left in
 * the profile's downloads folder, on a file system without unnamed files,
 * go as soon as sotto-cli starts again, before anything is saved; a part
 * file that a live process holds (locked) stays, and so do files that
 * are not Sotto's, and what a link points to. */
static void
test_parts_swept_on_start (void)
{
  g_autoptr(CliTest) test = new_test ("", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (bob, "downloads", NULL);
  g_autofree char *outside = write_file (test, "outside.part", MARKER, strlen (MARKER));
  g_autofree char *stale = NULL;
  g_autofree char *held = NULL;
  g_autofree char *other = NULL;
  g_autofree char *unlike = NULL;
  g_autofree char *link = NULL;
  int held_fd;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  g_assert_cmpint (g_mkdir_with_parents (downloads, 0700), ==, 0);
  stale = write_private (downloads, ".sotto-download-0123456789abcdef.part", MARKER);
  held = write_private (downloads, ".sotto-download-fedcba9876543210.part", "a live stream's");
  other = write_private (downloads, "notes.part", "the user's");
  unlike = write_private (downloads, ".sotto-download-0123456789abcdef.txt", "the user's");
  link = g_build_filename (downloads, ".sotto-download-00000000000000ff.part", NULL);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  held_fd = g_open (held, O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (flock (held_fd, LOCK_EX), ==, 0);

  /* Nothing to save: only the start sweeps. */
  cli_assert_receives_nothing (test, bob);

  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_false (cli_tree_contains (bob, MARKER, strlen (MARKER)));
  g_assert_true (g_file_test (held, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (unlike, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_cmpint (close (held_fd), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/attachments/killed-while-saving", test_killed_while_saving);
  g_test_add_func ("/cli/attachments/killed-while-saving-without-unnamed-files",
                   test_killed_while_saving_without_unnamed_files);
  g_test_add_func ("/cli/attachments/parts-swept-on-start", test_parts_swept_on_start);

  return g_test_run ();
}
