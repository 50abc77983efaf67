/* sotto-relay-address.c: a relay address as people type it
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-address"

#include "config.h"

#include <gio/gio.h>

#include "sotto-relay-address.h"

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/**
 * sotto_relay_address_complete:
 * @address: a relay address as typed: a URL, or a host with an optional
 *   port such as `relay.example.org` or `localhost:8443`
 *
 * Adds the scheme people leave out: https, or http for a relay on this
 * machine (which is the only place the relay client allows plain http).
 * An address with a scheme, or one that names no host, is returned as it
 * is, for the relay client to accept or explain.
 *
 * Returns: (transfer full): the address as a URL
 */
char *
sotto_relay_address_complete (const char *address)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *with_https = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  trimmed = g_strstrip (g_strdup (address));
  if (trimmed[0] == '\0' || strstr (trimmed, "://") != NULL)
    return g_steal_pointer (&trimmed);

  with_https = g_strconcat ("https://", trimmed, NULL);
  uri = g_uri_parse (with_https, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_steal_pointer (&trimmed);

  if (host_is_loopback (g_uri_get_host (uri)))
    return g_strconcat ("http://", trimmed, NULL);

  return g_steal_pointer (&with_https);
}
