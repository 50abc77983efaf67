/* relay-websocket-codec.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 6455 framing, as the relay's server side speaks it: a reader of
 * the frames a client sends, and the headers of the frames the relay
 * writes.  Plain C with no allocation and no I/O, so that it can be
 * fuzzed alone.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_WS_OPCODE_CONTINUATION 0x0
#define RELAY_WS_OPCODE_TEXT         0x1
#define RELAY_WS_OPCODE_BINARY       0x2
#define RELAY_WS_OPCODE_CLOSE        0x8
#define RELAY_WS_OPCODE_PING         0x9
#define RELAY_WS_OPCODE_PONG         0xa

/* Close codes of RFC 6455, 7.4.1. */
#define RELAY_WS_CLOSE_NORMAL          1000
#define RELAY_WS_CLOSE_GOING_AWAY      1001
#define RELAY_WS_CLOSE_PROTOCOL_ERROR  1002
#define RELAY_WS_CLOSE_UNACCEPTABLE    1003
#define RELAY_WS_CLOSE_NO_STATUS       1005
#define RELAY_WS_CLOSE_INVALID_DATA    1007
#define RELAY_WS_CLOSE_POLICY          1008
#define RELAY_WS_CLOSE_TOO_LARGE       1009

/* The longest frame header: two bytes, eight of length, four of mask. */
#define RELAY_WS_MAX_HEADER          14
/* The longest header of a frame the relay writes, which has no mask. */
#define RELAY_WS_MAX_SERVER_HEADER   10
/* The longest payload of a control frame (RFC 6455, 5.5). */
#define RELAY_WS_MAX_CONTROL_PAYLOAD 125

/* Why a client's bytes are refused; each maps to a close code and a
 * reason with relay_ws_error_close_code() and relay_ws_error_reason(). */
typedef enum
{
  RELAY_WS_ERROR_UNMASKED = -1,
  RELAY_WS_ERROR_RESERVED_BITS = -2,
  RELAY_WS_ERROR_UNKNOWN_OPCODE = -3,
  RELAY_WS_ERROR_CONTROL_FRAGMENTED = -4,
  RELAY_WS_ERROR_CONTROL_TOO_LONG = -5,
  RELAY_WS_ERROR_LENGTH_ENCODING = -6,
  RELAY_WS_ERROR_UNEXPECTED_CONTINUATION = -7,
  RELAY_WS_ERROR_EXPECTED_CONTINUATION = -8,
  RELAY_WS_ERROR_TOO_LARGE = -9,
  RELAY_WS_ERROR_INVALID_UTF8 = -10,
  RELAY_WS_ERROR_BAD_CLOSE_PAYLOAD = -11,
} RelayWsError;

typedef enum
{
  RELAY_WS_EVENT_DATA,    /* part of a text or binary message */
  RELAY_WS_EVENT_PING,
  RELAY_WS_EVENT_PONG,
  RELAY_WS_EVENT_CLOSE,
} RelayWsEventKind;

/* What one frame brought.  `payload` points into the bytes given to
 * relay_ws_reader_next(), unmasked in place. */
typedef struct
{
  RelayWsEventKind  kind;
  uint8_t           opcode;        /* of the message, for DATA: text or binary */
  bool              final;         /* for DATA: the message ends with this frame */
  const uint8_t    *payload;
  size_t            length;
  uint16_t          close_code;    /* for CLOSE: RELAY_WS_CLOSE_NO_STATUS if none was given */
} RelayWsEvent;

/* What the reader remembers between frames: whether a fragmented
 * message is under way, its type and length so far, and the state of
 * the UTF-8 check of a text message, which may split a character
 * between frames. */
typedef struct
{
  uint64_t  max_message;
  uint64_t  message_length;
  bool      in_message;
  uint8_t   message_opcode;
  uint32_t  utf8_state;
} RelayWsReader;

void        relay_ws_reader_init        (RelayWsReader  *reader,
                                         uint64_t        max_message);
int64_t     relay_ws_reader_next        (RelayWsReader  *reader,
                                         uint8_t        *data,
                                         size_t          length,
                                         RelayWsEvent   *event);

int         relay_ws_error_close_code   (RelayWsError    error);
const char *relay_ws_error_reason       (RelayWsError    error);

bool        relay_utf8_validate         (uint32_t       *state,
                                         const uint8_t  *data,
                                         size_t          length);
bool        relay_utf8_complete         (uint32_t        state);

size_t      relay_ws_frame_header_write (uint8_t        *out,
                                         uint8_t         opcode,
                                         uint64_t        length);
size_t      relay_ws_close_payload      (uint8_t        *out,
                                         uint16_t        code,
                                         const char     *reason);
