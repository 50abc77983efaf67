/* relay-test-raw.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Raw sockets to a real relay, and what its process holds, read from
 * /proc.
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-test-raw.h"

static int
raw_socket (void)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static int
raw_connect_socket (int        fd,
                    TestRelay *relay)
{
  struct sockaddr_in address = { 0 };

  address.sin_family = AF_INET;
  address.sin_port = g_htons ((guint16) relay->port);
  address.sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
  return connect (fd, (struct sockaddr *) &address, sizeof address);
}

int
test_raw_connect (TestRelay *relay)
{
  int fd = raw_socket ();

  g_assert_cmpint (raw_connect_socket (fd, relay), ==, 0);
  return fd;
}

int
test_raw_connect_from (TestRelay  *relay,
                       const char *source)
{
  struct sockaddr_in local = { 0 };
  int fd = raw_socket ();

  local.sin_family = AF_INET;
  g_assert_cmpint (inet_pton (AF_INET, source, &local.sin_addr), ==, 1);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &local, sizeof local), ==, 0);
  g_assert_cmpint (raw_connect_socket (fd, relay), ==, 0);
  return fd;
}

int
test_raw_try_connect (TestRelay *relay)
{
  int fd = raw_socket ();

  if (raw_connect_socket (fd, relay) == 0)
    return fd;
  close (fd);
  return -1;
}

int
test_raw_connect_small (TestRelay *relay)
{
  int fd = raw_socket ();
  int size = 1;

  /* Set before connecting, so that the window the relay sees is small
   * from the start; the kernel rounds it up to its minimum. */
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), ==, 0);
  g_assert_cmpint (raw_connect_socket (fd, relay), ==, 0);
  return fd;
}

void
test_raw_write (int         fd,
                const char *data,
                gsize       length)
{
  while (length > 0)
    {
      /* No SIGPIPE should the relay already have gone. */
      gssize n = send (fd, data, length, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      data += n;
      length -= (gsize) n;
    }
}

void
test_raw_write_string (int         fd,
                       const char *text)
{
  test_raw_write (fd, text, strlen (text));
}

TestReadResult
test_raw_read (int      fd,
               GString *buffer,
               gint64   deadline)
{
  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char chunk[65536];
      gssize n;
      int ready;

      if (left_ms <= 0)
        return TEST_READ_TIMEOUT;
      ready = poll (&pfd, 1, (int) left_ms);
      if (ready < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (ready, >=, 0);
      if (ready == 0)
        return TEST_READ_TIMEOUT;
      n = recv (fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0 || (n < 0 && errno == ECONNRESET))
        return TEST_READ_END;
      g_assert_cmpint (n, >, 0);
      g_string_append_len (buffer, chunk, n);
      return TEST_READ_DATA;
    }
}

gboolean
test_raw_read_to_end (int    fd,
                      gint64 deadline)
{
  g_autoptr(GString) buffer = g_string_new (NULL);
  TestReadResult result;

  while ((result = test_raw_read (fd, buffer, deadline)) == TEST_READ_DATA)
    g_string_truncate (buffer, 0);
  return result == TEST_READ_END;
}

guint
test_raw_exchange (int         fd,
                   const char *request,
                   gboolean   *closed)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  g_autoptr(GString) reply = g_string_new (NULL);

  test_raw_write_string (fd, request);
  while (strstr (reply->str, "\r\n") == NULL)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 "));
  if (closed != NULL)
    *closed = test_raw_read_to_end (fd, deadline);
  return (guint) g_ascii_strtoull (reply->str + strlen ("HTTP/1.1 "), NULL, 10);
}

char *
test_raw_upgrade_request (const char *auth)
{
  return g_strdup_printf ("GET /v1/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Authorization: %s\r\n\r\n", auth);
}

int
test_raw_websocket_open (TestRelay  *relay,
                         const char *auth,
                         gboolean    small,
                         GString    *rest)
{
  g_autofree char *request = test_raw_upgrade_request (auth);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  g_autoptr(GString) buffer = g_string_new (NULL);
  int fd = small ? test_raw_connect_small (relay) : test_raw_connect (relay);
  const char *end;

  test_raw_write_string (fd, request);
  while ((end = strstr (buffer->str, "\r\n\r\n")) == NULL)
    g_assert_cmpint (test_raw_read (fd, buffer, deadline), ==, TEST_READ_DATA);
  g_assert_true (g_str_has_prefix (buffer->str, "HTTP/1.1 101"));
  if (rest != NULL)
    g_string_append_len (rest, end + 4, (gssize) (buffer->len - (gsize) (end + 4 - buffer->str)));
  return fd;
}

int
test_relay_pid (TestRelay *relay)
{
  return atoi (g_subprocess_get_identifier (relay->process));
}

static void
add_tcp_inodes (GHashTable *inodes,
                int         pid,
                const char *table)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/net/%s", pid, table);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  /* The first line names the columns; the inode is the tenth. */
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      guint column = 0;

      for (guint j = 0; fields[j] != NULL; j++)
        {
          if (fields[j][0] == '\0')
            continue;
          if (column++ == 9)
            {
              g_hash_table_add (inodes, g_strdup (fields[j]));
              break;
            }
        }
    }
}

/* The TCP sockets among the relay's file descriptors. */
guint
test_relay_tcp_sockets (TestRelay *relay)
{
  int pid = test_relay_pid (relay);
  g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *fd_dir = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint count = 0;

  add_tcp_inodes (inodes, pid, "tcp");
  add_tcp_inodes (inodes, pid, "tcp6");
  dir = g_dir_open (fd_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fd_dir, name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);
      g_autofree char *inode = NULL;

      /* A descriptor closed since the listing reads as no link. */
      if (target == NULL || !g_str_has_prefix (target, "socket:[") || !g_str_has_suffix (target, "]"))
        continue;
      inode = g_strndup (target + strlen ("socket:["), strlen (target) - strlen ("socket:[") - 1);
      if (g_hash_table_contains (inodes, inode))
        count++;
    }
  return count;
}

/* CPU time, in clock ticks, that the relay's main thread has used: the
 * one that runs the event loop.  Password hashes and storage run on
 * other threads and may rightly finish their work after a peer left. */
guint64
test_relay_loop_ticks (TestRelay *relay)
{
  int pid = test_relay_pid (relay);
  g_autofree char *path = g_strdup_printf ("/proc/%d/task/%d/stat", pid, pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  g_autoptr(GError) error = NULL;
  const char *after_name;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  /* The thread's name may hold spaces; the fields after it do not.
   * After the name come the state (field 3) ... utime (14), stime (15). */
  after_name = strrchr (text, ')');
  g_assert_nonnull (after_name);
  fields = g_strsplit (after_name + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 12);
  return g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
}

guint64
test_relay_resident_bytes (TestRelay *relay)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", test_relay_pid (relay));
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  const char *line;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  line = strstr (text, "\nVmRSS:");
  g_assert_nonnull (line);
  /* "VmRSS:     12345 kB" */
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10) * 1024;
}
