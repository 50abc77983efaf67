/* relay-postgresql-online.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-api.h"

G_BEGIN_DECLS

/*
 * An online-only envelope (a typing indicator, say) as one relay node
 * tells the others of it, in a notification on
 * RELAY_POSTGRESQL_ONLINE_CHANNEL: it is stored nowhere, so the node
 * that took the send cannot leave it in a queue for the recipient's
 * node to fetch.  The text is eight fields joined by colons: the
 * recipient's UUID and device, the sender's UUID (empty for an
 * unidentified send) and device (0 then), the sender's and the relay's
 * timestamps, the envelope type, and the content in base64.  Every
 * field is digits, a UUID or base64, so that the envelope frame made of
 * it needs no escaping, and the parser refuses anything else.
 */

/* PostgreSQL takes notification payloads shorter than 8000 bytes. */
#define RELAY_ONLINE_NOTICE_MAX_LENGTH 7999

typedef struct
{
  char        uuid[RELAY_UUID_LENGTH + 1];
  guint32     device_id;
  char        source_uuid[RELAY_UUID_LENGTH + 1];  /* empty when unidentified */
  guint32     source_device;
  gint64      timestamp;
  gint64      server_timestamp;
  guint8      type;
  const char *content_base64;                      /* within the parsed text */
} RelayOnlineNotice;

/* Writes the notice of `envelope` into `out`; FALSE, with `out` empty,
 * when it would be longer than RELAY_ONLINE_NOTICE_MAX_LENGTH. */
gboolean relay_online_notice_format (GString                     *out,
                                     const char                  *uuid,
                                     const char                  *source_uuid,
                                     guint32                      source_device,
                                     gint64                       timestamp,
                                     gint64                       server_timestamp,
                                     const RelayOutgoingEnvelope *envelope);
/* Reads a notice; FALSE for anything that is not one.  `notice` then
 * points into `text`. */
gboolean relay_online_notice_parse  (const char                  *text,
                                     RelayOnlineNotice           *notice);

G_END_DECLS
