/* sp-protobuf.h: a strict reader and writer for the protobuf wire format
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
