/* sp-protobuf.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-protobuf.h"
#include "sp-error.h"
#include "sp-keys.h"

#include <string.h>

/* Field numbers are 29 bits wide in the protobuf wire format. */
#define SP_PB_MAX_FIELD ((1u << 29) - 1)
#define SP_PB_MAX_VARINT_BYTES 10

size_t
sp_pb_varint_size (uint64_t value)
{
  size_t size = 1;

  while (value >= 0x80)
    {
      value >>= 7;
      size++;
    }
  return size;
}

void
sp_pb_writer_init (SpPbWriter *writer,
                   uint8_t    *data,
                   size_t      size)
{
  writer->data = data;
  writer->size = data != NULL ? size : 0;
  writer->len = 0;
  writer->error = SP_OK;
}

/* Reserves @n bytes, or makes the buffer error stick and returns NULL. */
static uint8_t *
writer_reserve (SpPbWriter *writer,
                size_t      n)
{
  uint8_t *p;

  if (writer->error != SP_OK)
    return NULL;
  if (n > writer->size - writer->len)
    {
      writer->error = SP_ERR_BUFFER_TOO_SMALL;
      return NULL;
    }
  p = writer->data + writer->len;
  writer->len += n;
  return p;
}

static void
writer_raw_varint (SpPbWriter *writer,
                   uint64_t    value)
{
  uint8_t *p = writer_reserve (writer, sp_pb_varint_size (value));

  if (p == NULL)
    return;
  while (value >= 0x80)
    {
      *p++ = (uint8_t) (value | 0x80);
      value >>= 7;
    }
  *p = (uint8_t) value;
}

static void
writer_tag (SpPbWriter   *writer,
            uint32_t      field,
            SpPbWireType  wire_type)
{
  if (writer->error != SP_OK)
    return;
  /* A field number the reader would refuse must not be written either. */
  if (field == 0 || field > SP_PB_MAX_FIELD)
    {
      writer->error = SP_ERR_INVALID_ARGUMENT;
      return;
    }
  writer_raw_varint (writer, ((uint64_t) field << 3) | (uint64_t) wire_type);
}

void
sp_pb_write_varint (SpPbWriter *writer,
                    uint32_t    field,
                    uint64_t    value)
{
  writer_tag (writer, field, SP_PB_WIRE_VARINT);
  writer_raw_varint (writer, value);
}

void
sp_pb_write_fixed64 (SpPbWriter *writer,
                     uint32_t    field,
                     uint64_t    value)
{
  uint8_t *p;

  writer_tag (writer, field, SP_PB_WIRE_FIXED64);
  p = writer_reserve (writer, 8);
  if (p == NULL)
    return;
  for (size_t i = 0; i < 8; i++)
    p[i] = (uint8_t) (value >> (8 * i));
}

void
sp_pb_write_bytes (SpPbWriter    *writer,
                   uint32_t       field,
                   const uint8_t *data,
                   size_t         len)
{
  uint8_t *p;

  if (writer->error == SP_OK && data == NULL && len != 0)
    writer->error = SP_ERR_INVALID_ARGUMENT;
  writer_tag (writer, field, SP_PB_WIRE_BYTES);
  writer_raw_varint (writer, (uint64_t) len);
  p = writer_reserve (writer, len);
  if (p != NULL && len != 0)
    memcpy (p, data, len);
}

uint8_t *
sp_pb_write_bytes_reserve (SpPbWriter *writer,
                           uint32_t    field,
                           size_t      len)
{
  writer_tag (writer, field, SP_PB_WIRE_BYTES);
  writer_raw_varint (writer, (uint64_t) len);
  return writer_reserve (writer, len);
}

int
sp_pb_writer_finish (SpPbWriter *writer,
                     size_t     *out_len)
{
  if (writer->error != SP_OK)
    return writer->error;
  if (out_len != NULL)
    *out_len = writer->len;
  return SP_OK;
}

void
sp_pb_reader_init (SpPbReader    *reader,
                   const uint8_t *data,
                   size_t         len)
{
  reader->data = data;
  reader->len = data != NULL ? len : 0;
  reader->pos = 0;
}

/* Reads a varint of at most ten bytes whose value fits in 64 bits: the
 * tenth byte may only carry the single remaining bit. */
static int
reader_varint (SpPbReader *reader,
               uint64_t   *out)
{
  uint64_t value = 0;

  for (size_t i = 0; i < SP_PB_MAX_VARINT_BYTES; i++)
    {
      uint8_t byte;

      if (reader->pos >= reader->len)
        return SP_ERR_MALFORMED;
      byte = reader->data[reader->pos++];

      if (i == SP_PB_MAX_VARINT_BYTES - 1 && byte > 0x01)
        return SP_ERR_MALFORMED;
      value |= (uint64_t) (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0)
        {
          *out = value;
          return SP_OK;
        }
    }
  return SP_ERR_MALFORMED;
}

static int
reader_fixed (SpPbReader *reader,
              size_t      width,
              uint64_t   *out)
{
  uint64_t value = 0;

  if (reader->len - reader->pos < width)
    return SP_ERR_MALFORMED;
  for (size_t i = 0; i < width; i++)
    value |= (uint64_t) reader->data[reader->pos + i] << (8 * i);
  reader->pos += width;
  *out = value;
  return SP_OK;
}

int
sp_pb_reader_next (SpPbReader *reader,
                   SpPbField  *field)
{
  SpPbReader saved = *reader;
  SpPbField result = { 0 };
  uint64_t tag;
  uint64_t number;
  int ret;

  if (reader->pos >= reader->len)
    return 0;

  ret = reader_varint (reader, &tag);
  if (ret != SP_OK)
    goto fail;

  number = tag >> 3;
  if (number == 0 || number > SP_PB_MAX_FIELD)
    goto fail;
  result.number = (uint32_t) number;

  switch (tag & 0x07)
    {
    case SP_PB_WIRE_VARINT:
      result.wire_type = SP_PB_WIRE_VARINT;
      ret = reader_varint (reader, &result.value);
      break;

    case SP_PB_WIRE_FIXED64:
      result.wire_type = SP_PB_WIRE_FIXED64;
      ret = reader_fixed (reader, 8, &result.value);
      break;

    case SP_PB_WIRE_FIXED32:
      result.wire_type = SP_PB_WIRE_FIXED32;
      ret = reader_fixed (reader, 4, &result.value);
      break;

    case SP_PB_WIRE_BYTES:
      {
        uint64_t len;

        result.wire_type = SP_PB_WIRE_BYTES;
        ret = reader_varint (reader, &len);
        if (ret != SP_OK)
          break;
        /* Compared against what is left, so no addition can overflow. */
        if (len > (uint64_t) (reader->len - reader->pos))
          {
            ret = SP_ERR_MALFORMED;
            break;
          }
        result.data = reader->data + reader->pos;
        result.len = (size_t) len;
        reader->pos += (size_t) len;
      }
      break;

    default:
      /* Groups (3, 4) are deprecated and unused by the protocol; 6 and 7
       * do not exist. */
      ret = SP_ERR_MALFORMED;
      break;
    }

  if (ret != SP_OK)
    goto fail;

  *field = result;
  return 1;

fail:
  /* A failed read leaves the reader where it was, so a caller that
   * retries sees the same error rather than a misaligned stream. */
  *reader = saved;
  return SP_ERR_MALFORMED;
}

size_t
sp_pb_bytes_field_size (uint32_t field,
                        size_t   len)
{
  return sp_pb_varint_size ((uint64_t) field << 3) + sp_pb_varint_size (len) + len;
}

size_t
sp_pb_varint_field_size (uint32_t field,
                         uint64_t value)
{
  return sp_pb_varint_size ((uint64_t) field << 3) + sp_pb_varint_size (value);
}

int
sp_pb_expect_field (const SpPbField *field,
                    SpPbWireType     wire_type,
                    bool            *seen)
{
  if (field->wire_type != wire_type || seen[field->number])
    return SP_ERR_MALFORMED;
  seen[field->number] = true;
  return SP_OK;
}

int
sp_pb_field_uint32 (const SpPbField *field,
                    bool            *seen,
                    uint32_t        *out)
{
  int ret = sp_pb_expect_field (field, SP_PB_WIRE_VARINT, seen);

  if (ret != SP_OK)
    return ret;
  if (field->value > UINT32_MAX)
    return SP_ERR_MALFORMED;
  *out = (uint32_t) field->value;
  return SP_OK;
}

int
sp_pb_field_bytes (const SpPbField *field,
                   bool            *seen,
                   const uint8_t  **data,
                   size_t          *len)
{
  int ret = sp_pb_expect_field (field, SP_PB_WIRE_BYTES, seen);

  if (ret != SP_OK)
    return ret;
  *data = field->data;
  *len = field->len;
  return SP_OK;
}

int
sp_pb_field_public_key (const SpPbField *field,
                        bool            *seen,
                        SpPublicKey     *out)
{
  int ret = sp_pb_expect_field (field, SP_PB_WIRE_BYTES, seen);

  if (ret != SP_OK)
    return ret;
  if (sp_public_key_decode (out, field->data, field->len) != SP_OK)
    return SP_ERR_INVALID_KEY;
  return SP_OK;
}
