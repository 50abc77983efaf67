/* relay-test-raw.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-test-util.h"

G_BEGIN_DECLS

/* Raw sockets, for what libsoup never does: pipelining, stopping
 * halfway through a request, half-closing, never reading. */

typedef enum
{
  TEST_READ_DATA,
  TEST_READ_END,       /* the relay closed its side (or reset the connection) */
  TEST_READ_TIMEOUT,
} TestReadResult;

int            test_raw_connect          (TestRelay   *relay);
/* The same, or -1 if the relay is not there. */
/* The same from `source`, a local address such as 127.0.0.2. */
int            test_raw_connect_from     (TestRelay   *relay,
                                          const char  *source);
int            test_raw_try_connect      (TestRelay   *relay);
/* Connects but leaves the socket's receive buffer as small as the
 * kernel allows, for clients that do not read. */
int            test_raw_connect_small    (TestRelay   *relay);
void           test_raw_write            (int          fd,
                                          const char  *data,
                                          gsize        length);
void           test_raw_write_string     (int          fd,
                                          const char  *text);
/* Appends what arrives before `deadline` (monotonic time) to `buffer`. */
TestReadResult test_raw_read             (int          fd,
                                          GString     *buffer,
                                          gint64       deadline);
/* Reads, discarding everything, until the relay closes its side or
 * `deadline` passes; returns whether it closed. */
gboolean       test_raw_read_to_end      (int          fd,
                                          gint64       deadline);
/* Writes `request` and returns the status of the answer; with `closed`,
 * reads to the end and tells whether the relay closed the connection. */
guint          test_raw_exchange         (int          fd,
                                          const char  *request,
                                          gboolean    *closed);
char          *test_raw_upgrade_request  (const char  *auth);
/* Upgrades a fresh connection with `auth` and returns it once the relay
 * has answered 101; what follows the answer goes to `rest`. */
int            test_raw_websocket_open   (TestRelay   *relay,
                                          const char  *auth,
                                          gboolean     small,
                                          GString     *rest);

/* What the relay process holds and uses. */
int            test_relay_pid            (TestRelay   *relay);
guint          test_relay_tcp_sockets    (TestRelay   *relay);
guint64        test_relay_loop_ticks     (TestRelay   *relay);
/* Its resident memory, in bytes. */
guint64        test_relay_resident_bytes (TestRelay   *relay);

G_END_DECLS
