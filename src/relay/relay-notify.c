/* relay-notify.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The service manager's readiness protocol (sd_notify(3)), which with
 * Type=notify lets systemd start what depends on the relay only once it
 * listens.  The protocol is one datagram of NAME=VALUE lines to the
 * socket named in $NOTIFY_SOCKET, small enough to speak without
 * libsystemd.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "relay-notify.h"

/* Sends `state`, such as "READY=1", when a service manager listens;
 * does nothing otherwise.  A failure is logged, never fatal: the relay
 * serves the same with or without a manager. */
void
relay_notify (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gsize path_length;
  socklen_t address_length;
  int fd;

  if (path == NULL || path[0] == '\0')
    return;
  path_length = strlen (path);
  if ((path[0] != '/' && path[0] != '@') || path_length >= sizeof address.sun_path)
    {
      g_warning ("NOTIFY_SOCKET is neither a path nor an abstract socket name");
      return;
    }
  memcpy (address.sun_path, path, path_length);
  /* "@name" is a socket in the abstract namespace. */
  if (path[0] == '@')
    address.sun_path[0] = '\0';
  address_length = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + path_length);

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_warning ("Cannot tell the service manager “%s”: %s", state, g_strerror (errno));
      return;
    }
  if (sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &address, address_length) < 0)
    g_warning ("Cannot tell the service manager “%s”: %s", state, g_strerror (errno));
  close (fd);
}
