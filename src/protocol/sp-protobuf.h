/* sp-protobuf.h: a strict reader and writer for the protobuf wire format
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"

/* Only the wire types proto2 messages of the protocol use. */
typedef enum {
  SP_PB_WIRE_VARINT = 0,
  SP_PB_WIRE_FIXED64 = 1,
  SP_PB_WIRE_BYTES = 2,
  SP_PB_WIRE_FIXED32 = 5,
} SpPbWireType;

/* The writer never writes past @size.  The first error sticks: later
 * calls do nothing and sp_pb_writer_finish() returns it. */
typedef struct {
  uint8_t *data;
  size_t size;
  size_t len;
  int error;
} SpPbWriter;

void sp_pb_writer_init (SpPbWriter *writer,
                        uint8_t    *data,
                        size_t      size);

void sp_pb_write_varint (SpPbWriter *writer,
                         uint32_t    field,
                         uint64_t    value);

void sp_pb_write_fixed64 (SpPbWriter *writer,
                          uint32_t    field,
                          uint64_t    value);

void sp_pb_write_bytes (SpPbWriter    *writer,
                        uint32_t       field,
                        const uint8_t *data,
                        size_t         len);

/* Writes the tag and length of a bytes field of @len bytes and returns
 * where its bytes go, for a caller that produces them in place (such as
 * a cipher), or NULL after an error. */
uint8_t *sp_pb_write_bytes_reserve (SpPbWriter *writer,
                                    uint32_t    field,
                                    size_t      len);

/* SP_OK and the encoded length, or the first error. */
int sp_pb_writer_finish (SpPbWriter *writer,
                         size_t     *out_len);

/* Bytes fields point into the buffer being read. */
typedef struct {
  uint32_t number;
  SpPbWireType wire_type;
  uint64_t value;          /* varint, fixed64 and fixed32 */
  const uint8_t *data;     /* bytes */
  size_t len;              /* bytes */
} SpPbField;

typedef struct {
  const uint8_t *data;
  size_t len;
  size_t pos;
} SpPbReader;

void sp_pb_reader_init (SpPbReader    *reader,
                        const uint8_t *data,
                        size_t         len);

/* 1 and a field, 0 at a clean end, or SP_ERR_MALFORMED for truncated
 * input, an over-long varint, field number 0 or an unknown wire type.
 * Never reads past the buffer. */
int sp_pb_reader_next (SpPbReader *reader,
                       SpPbField  *field);

/* Size of the varint encoding of @value (1 to 10). */
size_t sp_pb_varint_size (uint64_t value);

/* The encoded size of a whole bytes field and of a whole varint field,
 * tag included, for encoders that size their output up front. */
size_t sp_pb_bytes_field_size (uint32_t field,
                               size_t   len);

size_t sp_pb_varint_field_size (uint32_t field,
                                uint64_t value);

/* Helpers for strict decoders that track the fields they have seen in
 * @seen, indexed by field number (the caller sizes it for the fields it
 * handles).  They record that @field was seen, refusing a second
 * occurrence and a wire type other than the expected one with
 * SP_ERR_MALFORMED.  Protobuf would let the last occurrence win, but no
 * honest encoder repeats a field, and accepting only one reading of a
 * message leaves no room for two parsers to disagree. */
int sp_pb_expect_field (const SpPbField *field,
                        SpPbWireType     wire_type,
                        bool            *seen);

/* A varint field that must fit 32 bits. */
int sp_pb_field_uint32 (const SpPbField *field,
                        bool            *seen,
                        uint32_t        *out);

/* A bytes field; @data points into the message being read. */
int sp_pb_field_bytes (const SpPbField *field,
                       bool            *seen,
                       const uint8_t  **data,
                       size_t          *len);

/* A bytes field holding a public key, decoded as sp_public_key_decode()
 * does; one that is not a key is SP_ERR_INVALID_KEY. */
int sp_pb_field_public_key (const SpPbField *field,
                            bool            *seen,
                            SpPublicKey     *out);
