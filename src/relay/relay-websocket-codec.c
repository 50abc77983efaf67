/* relay-websocket-codec.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay reads every frame header itself because libwebsockets 4.1
 * does not: it reads the mask bit and then unmasks an unmasked client
 * frame as if it were masked, which RFC 6455, 5.1 forbids.  Every rule of
 * RFC 6455, 5 that a server must enforce is checked here, before the
 * payload is looked at.
 */

#include "config.h"

#include <string.h>

#include "relay-websocket-codec.h"

#define FIN_BIT        0x80
#define RESERVED_BITS  0x70
#define OPCODE_BITS    0x0f
#define MASK_BIT       0x80
#define LENGTH_BITS    0x7f
#define CONTROL_BIT    0x08
#define LENGTH_16      126
#define LENGTH_64      127

/* The UTF-8 check's state: how many continuation bytes the character
 * under way still needs, and the range the next one must fall in, which
 * is narrower than 80..BF right after some lead bytes (RFC 3629, 4): so
 * neither overlong forms, nor surrogates, nor code points past U+10FFFF
 * pass. */
#define UTF8_NEED(state)   ((state) & 0xff)
#define UTF8_LOW(state)    (((state) >> 8) & 0xff)
#define UTF8_HIGH(state)   (((state) >> 16) & 0xff)
#define UTF8_STATE(need, low, high) ((uint32_t) (need) | (uint32_t) (low) << 8 | (uint32_t) (high) << 16)

void
relay_ws_reader_init (RelayWsReader *reader,
                      uint64_t       max_message)
{
  memset (reader, 0, sizeof *reader);
  reader->max_message = max_message;
}

static uint32_t
utf8_lead (uint8_t byte)
{
  if (byte >= 0xc2 && byte <= 0xdf)
    return UTF8_STATE (1, 0x80, 0xbf);
  if (byte == 0xe0)
    return UTF8_STATE (2, 0xa0, 0xbf);
  if (byte == 0xed)
    return UTF8_STATE (2, 0x80, 0x9f);
  if (byte >= 0xe1 && byte <= 0xef)
    return UTF8_STATE (2, 0x80, 0xbf);
  if (byte == 0xf0)
    return UTF8_STATE (3, 0x90, 0xbf);
  if (byte >= 0xf1 && byte <= 0xf3)
    return UTF8_STATE (3, 0x80, 0xbf);
  if (byte == 0xf4)
    return UTF8_STATE (3, 0x80, 0x8f);
  return UINT32_MAX;
}

/* Checks `data` as the continuation of the text `state` describes, and
 * updates `state`; false if the text is not UTF-8.  A character may be
 * split across calls. */
bool
relay_utf8_validate (uint32_t      *state,
                     const uint8_t *data,
                     size_t         length)
{
  uint32_t current = *state;
  size_t i = 0;

  while (i < length)
    {
      uint8_t byte = data[i];

      if (UTF8_NEED (current) == 0)
        {
          uint64_t word;

          /* Envelopes are base64: skip ASCII eight bytes at a time. */
          if (length - i >= sizeof word)
            {
              memcpy (&word, data + i, sizeof word);
              if ((word & UINT64_C (0x8080808080808080)) == 0)
                {
                  i += sizeof word;
                  continue;
                }
            }
          if (byte >= 0x80 && (current = utf8_lead (byte)) == UINT32_MAX)
            return false;
        }
      else
        {
          if (byte < UTF8_LOW (current) || byte > UTF8_HIGH (current))
            return false;
          current = UTF8_STATE (UTF8_NEED (current) - 1, 0x80, 0xbf);
        }
      i++;
    }
  *state = current;
  return true;
}

/* Whether text checked so far ends at the end of a character. */
bool
relay_utf8_complete (uint32_t state)
{
  return UTF8_NEED (state) == 0;
}

static bool
close_code_valid (uint16_t code)
{
  /* 1004, 1005 and 1006 are never sent; 1015 neither, and 1016 to 2999
   * are not assigned. */
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

static int
read_close (const uint8_t *payload,
            size_t         length,
            RelayWsEvent  *event)
{
  uint32_t state = 0;

  event->close_code = RELAY_WS_CLOSE_NO_STATUS;
  if (length == 0)
    return 0;
  if (length == 1)
    return RELAY_WS_ERROR_BAD_CLOSE_PAYLOAD;
  event->close_code = (uint16_t) (payload[0] << 8 | payload[1]);
  if (!close_code_valid (event->close_code))
    return RELAY_WS_ERROR_BAD_CLOSE_PAYLOAD;
  if (!relay_utf8_validate (&state, payload + 2, length - 2) || !relay_utf8_complete (state))
    return RELAY_WS_ERROR_INVALID_UTF8;
  return 0;
}

/* Unmasks eight bytes at a time: envelopes are up to hundreds of
 * kilobytes. */
static void
unmask (uint8_t       *payload,
        size_t         length,
        const uint8_t *mask)
{
  uint8_t key_bytes[8];
  uint64_t key;
  size_t i = 0;

  for (size_t j = 0; j < sizeof key_bytes; j++)
    key_bytes[j] = mask[j % 4];
  memcpy (&key, key_bytes, sizeof key);
  for (; length - i >= sizeof key; i += sizeof key)
    {
      uint64_t word;

      memcpy (&word, payload + i, sizeof word);
      word ^= key;
      memcpy (payload + i, &word, sizeof word);
    }
  for (; i < length; i++)
    payload[i] ^= key_bytes[i % 8];
}

/* The data frame sequence: a message starts with a text or binary frame
 * and goes on with continuation frames until one is final. */
static int
read_data (RelayWsReader *reader,
           bool           fin,
           uint8_t        opcode,
           RelayWsEvent  *event)
{
  uint8_t message_opcode = opcode == RELAY_WS_OPCODE_CONTINUATION ? reader->message_opcode : opcode;
  uint32_t state = reader->utf8_state;

  if (message_opcode == RELAY_WS_OPCODE_TEXT &&
      (!relay_utf8_validate (&state, event->payload, event->length) ||
       (fin && !relay_utf8_complete (state))))
    return RELAY_WS_ERROR_INVALID_UTF8;
  event->kind = RELAY_WS_EVENT_DATA;
  event->opcode = message_opcode;
  event->final = fin;
  reader->in_message = !fin;
  reader->message_opcode = fin ? 0 : message_opcode;
  reader->message_length = fin ? 0 : reader->message_length + event->length;
  reader->utf8_state = fin ? 0 : state;
  return 0;
}

/* Reads the frame at the start of `data`.  Returns how many bytes it
 * took, with `event` filled in and the payload unmasked in place; 0 when
 * `data` does not hold the whole frame yet; or a RelayWsError, after
 * which the connection must be closed.  Nothing is unmasked unless the
 * whole frame is there, and the reader changes only with a valid one. */
int64_t
relay_ws_reader_next (RelayWsReader *reader,
                      uint8_t       *data,
                      size_t         length,
                      RelayWsEvent  *event)
{
  size_t header = 2;
  uint64_t payload_length;
  const uint8_t *mask;
  bool fin;
  uint8_t opcode;
  int error;

  if (length < 2)
    return 0;
  fin = (data[0] & FIN_BIT) != 0;
  opcode = data[0] & OPCODE_BITS;
  /* No extension is ever negotiated, so no reserved bit may be set. */
  if ((data[0] & RESERVED_BITS) != 0)
    return RELAY_WS_ERROR_RESERVED_BITS;
  if ((data[1] & MASK_BIT) == 0)
    return RELAY_WS_ERROR_UNMASKED;
  switch (opcode)
    {
    case RELAY_WS_OPCODE_CONTINUATION:
      if (!reader->in_message)
        return RELAY_WS_ERROR_UNEXPECTED_CONTINUATION;
      break;
    case RELAY_WS_OPCODE_TEXT:
    case RELAY_WS_OPCODE_BINARY:
      if (reader->in_message)
        return RELAY_WS_ERROR_EXPECTED_CONTINUATION;
      break;
    case RELAY_WS_OPCODE_CLOSE:
    case RELAY_WS_OPCODE_PING:
    case RELAY_WS_OPCODE_PONG:
      if (!fin)
        return RELAY_WS_ERROR_CONTROL_FRAGMENTED;
      if ((data[1] & LENGTH_BITS) > RELAY_WS_MAX_CONTROL_PAYLOAD)
        return RELAY_WS_ERROR_CONTROL_TOO_LONG;
      break;
    default:
      return RELAY_WS_ERROR_UNKNOWN_OPCODE;
    }

  payload_length = data[1] & LENGTH_BITS;
  if (payload_length == LENGTH_16)
    header += 2;
  else if (payload_length == LENGTH_64)
    header += 8;
  if (length < header + 4)
    return 0;
  if (payload_length == LENGTH_16)
    {
      payload_length = (uint64_t) data[2] << 8 | data[3];
      /* A length must be written in as few bytes as it takes (5.2). */
      if (payload_length < LENGTH_16)
        return RELAY_WS_ERROR_LENGTH_ENCODING;
    }
  else if (payload_length == LENGTH_64)
    {
      payload_length = 0;
      for (size_t i = 0; i < 8; i++)
        payload_length = payload_length << 8 | data[2 + i];
      if (payload_length <= UINT16_MAX || (payload_length >> 63) != 0)
        return RELAY_WS_ERROR_LENGTH_ENCODING;
    }
  mask = data + header;
  header += 4;

  if ((opcode & CONTROL_BIT) == 0 &&
      (payload_length > reader->max_message ||
       reader->message_length > reader->max_message - payload_length))
    return RELAY_WS_ERROR_TOO_LARGE;
  if (length - header < payload_length)
    return 0;

  memset (event, 0, sizeof *event);
  event->payload = data + header;
  event->length = (size_t) payload_length;
  unmask (data + header, event->length, mask);

  switch (opcode)
    {
    case RELAY_WS_OPCODE_CLOSE:
      event->kind = RELAY_WS_EVENT_CLOSE;
      error = read_close (event->payload, event->length, event);
      break;
    case RELAY_WS_OPCODE_PING:
      event->kind = RELAY_WS_EVENT_PING;
      error = 0;
      break;
    case RELAY_WS_OPCODE_PONG:
      event->kind = RELAY_WS_EVENT_PONG;
      error = 0;
      break;
    default:
      error = read_data (reader, fin, opcode, event);
      break;
    }
  if (error != 0)
    return error;
  return (int64_t) (header + event->length);
}

int
relay_ws_error_close_code (RelayWsError error)
{
  switch (error)
    {
    case RELAY_WS_ERROR_TOO_LARGE:
      return RELAY_WS_CLOSE_TOO_LARGE;
    case RELAY_WS_ERROR_INVALID_UTF8:
      return RELAY_WS_CLOSE_INVALID_DATA;
    case RELAY_WS_ERROR_UNMASKED:
    case RELAY_WS_ERROR_RESERVED_BITS:
    case RELAY_WS_ERROR_UNKNOWN_OPCODE:
    case RELAY_WS_ERROR_CONTROL_FRAGMENTED:
    case RELAY_WS_ERROR_CONTROL_TOO_LONG:
    case RELAY_WS_ERROR_LENGTH_ENCODING:
    case RELAY_WS_ERROR_UNEXPECTED_CONTINUATION:
    case RELAY_WS_ERROR_EXPECTED_CONTINUATION:
    case RELAY_WS_ERROR_BAD_CLOSE_PAYLOAD:
    default:
      return RELAY_WS_CLOSE_PROTOCOL_ERROR;
    }
}

/* The reason sent in the close frame and the "close" message. */
const char *
relay_ws_error_reason (RelayWsError error)
{
  switch (error)
    {
    case RELAY_WS_ERROR_UNMASKED:
      return "unmasked-frame";
    case RELAY_WS_ERROR_RESERVED_BITS:
      return "reserved-bits";
    case RELAY_WS_ERROR_UNKNOWN_OPCODE:
      return "unknown-opcode";
    case RELAY_WS_ERROR_CONTROL_FRAGMENTED:
      return "fragmented-control-frame";
    case RELAY_WS_ERROR_CONTROL_TOO_LONG:
      return "control-frame-too-long";
    case RELAY_WS_ERROR_LENGTH_ENCODING:
      return "bad-length";
    case RELAY_WS_ERROR_UNEXPECTED_CONTINUATION:
      return "unexpected-continuation";
    case RELAY_WS_ERROR_EXPECTED_CONTINUATION:
      return "expected-continuation";
    case RELAY_WS_ERROR_TOO_LARGE:
      return "too-large";
    case RELAY_WS_ERROR_INVALID_UTF8:
      return "invalid-utf8";
    case RELAY_WS_ERROR_BAD_CLOSE_PAYLOAD:
    default:
      return "bad-close-frame";
    }
}

/* Writes the header of a final, unmasked frame of `length` bytes, as a
 * server sends it; returns its size, at most RELAY_WS_MAX_SERVER_HEADER. */
size_t
relay_ws_frame_header_write (uint8_t  *out,
                             uint8_t   opcode,
                             uint64_t  length)
{
  out[0] = (uint8_t) (FIN_BIT | opcode);
  if (length < LENGTH_16)
    {
      out[1] = (uint8_t) length;
      return 2;
    }
  if (length <= UINT16_MAX)
    {
      out[1] = LENGTH_16;
      out[2] = (uint8_t) (length >> 8);
      out[3] = (uint8_t) length;
      return 4;
    }
  out[1] = LENGTH_64;
  for (size_t i = 0; i < 8; i++)
    out[2 + i] = (uint8_t) (length >> (56 - 8 * i));
  return RELAY_WS_MAX_SERVER_HEADER;
}

/* Writes a close frame's payload, the code then as much of the ASCII
 * `reason` as fits, into `out` of RELAY_WS_MAX_CONTROL_PAYLOAD bytes;
 * returns its length. */
size_t
relay_ws_close_payload (uint8_t    *out,
                        uint16_t    code,
                        const char *reason)
{
  size_t length = strlen (reason);

  if (length > RELAY_WS_MAX_CONTROL_PAYLOAD - 2)
    length = RELAY_WS_MAX_CONTROL_PAYLOAD - 2;
  out[0] = (uint8_t) (code >> 8);
  out[1] = (uint8_t) code;
  memcpy (out + 2, reason, length);
  return length + 2;
}
