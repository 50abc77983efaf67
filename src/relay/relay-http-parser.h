/* relay-http-parser.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The head of an HTTP/1.1 request (RFC 9112): its request line and the
 * header fields the relay acts on.  Plain C with no allocation and no
 * I/O, so that it can be fuzzed alone.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum
{
  RELAY_HTTP_METHOD_OTHER,
  RELAY_HTTP_METHOD_GET,
  RELAY_HTTP_METHOD_POST,
  RELAY_HTTP_METHOD_PUT,
} RelayHttpMethod;

/* Why a head is refused. */
typedef enum
{
  RELAY_HTTP_ERROR_MALFORMED = -1,
  RELAY_HTTP_ERROR_TOO_LARGE = -2,
  RELAY_HTTP_ERROR_VERSION = -3,
} RelayHttpError;

/* Bytes of the head: `present` tells an empty value from none. */
typedef struct
{
  size_t  offset;
  size_t  length;
  bool    present;
} RelayHttpSpan;

typedef struct
{
  RelayHttpMethod  method;
  int              minor_version;      /* HTTP/1.0 or HTTP/1.1 */
  RelayHttpSpan    path;               /* the target up to any query, still percent-encoded */
  RelayHttpSpan    authorization;
  RelayHttpSpan    content_length;
  RelayHttpSpan    websocket_key;
  RelayHttpSpan    websocket_version;
  RelayHttpSpan    content_range;      /* of a blob upload's part */
  RelayHttpSpan    range;              /* of a blob download */
  bool             transfer_encoding;
  bool             connection_close;
  bool             connection_keep_alive;
  bool             connection_upgrade;
  bool             upgrade_websocket;
  bool             expect_continue;    /* Expect: 100-continue */
} RelayHttpHead;

int         relay_http_head_parse   (const uint8_t  *data,
                                     size_t          length,
                                     size_t          max_length,
                                     RelayHttpHead  *head);
int         relay_http_path_decode  (const uint8_t  *path,
                                     size_t          length,
                                     char           *out,
                                     size_t          out_size);
bool        relay_http_keep_alive   (const RelayHttpHead *head);
