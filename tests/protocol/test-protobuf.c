/* test-protobuf.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-protobuf.h"

/* Reads every field of @data and returns the last result: 0 for a clean
 * end or the error; @n_fields receives how many fields were read. */
static int
read_all (const uint8_t *data,
          size_t         len,
          size_t        *n_fields)
{
  SpPbReader reader;
  SpPbField field;
  int ret;

  *n_fields = 0;
  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    (*n_fields)++;
  return ret;
}

static void
test_varint_size (void)
{
  g_assert_cmpuint (sp_pb_varint_size (0), ==, 1);
  g_assert_cmpuint (sp_pb_varint_size (127), ==, 1);
  g_assert_cmpuint (sp_pb_varint_size (128), ==, 2);
  g_assert_cmpuint (sp_pb_varint_size (16383), ==, 2);
  g_assert_cmpuint (sp_pb_varint_size (16384), ==, 3);
  g_assert_cmpuint (sp_pb_varint_size (UINT32_MAX), ==, 5);
  g_assert_cmpuint (sp_pb_varint_size ((uint64_t) 1 << 63), ==, 10);
  g_assert_cmpuint (sp_pb_varint_size (UINT64_MAX), ==, 10);
}

/* The wire bytes of a small message, written and read back. */
static void
test_round_trip (void)
{
  static const uint8_t payload[] = { 0xde, 0xad, 0xbe, 0xef };
  static const uint8_t expected[] = {
    0x08, 0x96, 0x01,                     /* 1: varint 150 */
    0x11, 0x01, 0x02, 0x03, 0x04,         /* 2: fixed64 */
    0x05, 0x06, 0x07, 0x08,
    0x1a, 0x04, 0xde, 0xad, 0xbe, 0xef,   /* 3: bytes */
    0x22, 0x00,                           /* 4: empty bytes */
    0x28, 0xff, 0xff, 0xff, 0xff, 0xff,   /* 5: varint UINT64_MAX */
    0xff, 0xff, 0xff, 0xff, 0x01,
    0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00,   /* 2^29-1: varint 0 */
  };
  uint8_t buffer[64];
  SpPbWriter writer;
  SpPbReader reader;
  SpPbField field;
  size_t len = 0;

  sp_pb_writer_init (&writer, buffer, sizeof buffer);
  sp_pb_write_varint (&writer, 1, 150);
  sp_pb_write_fixed64 (&writer, 2, 0x0807060504030201);
  sp_pb_write_bytes (&writer, 3, payload, sizeof payload);
  sp_pb_write_bytes (&writer, 4, NULL, 0);
  sp_pb_write_varint (&writer, 5, UINT64_MAX);
  sp_pb_write_varint (&writer, (1u << 29) - 1, 0);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_OK);
  g_assert_cmpmem (buffer, len, expected, sizeof expected);

  sp_pb_reader_init (&reader, buffer, len);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, 1);
  g_assert_cmpint (field.wire_type, ==, SP_PB_WIRE_VARINT);
  g_assert_cmpuint (field.value, ==, 150);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, 2);
  g_assert_cmpint (field.wire_type, ==, SP_PB_WIRE_FIXED64);
  g_assert_cmpuint (field.value, ==, 0x0807060504030201);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, 3);
  g_assert_cmpint (field.wire_type, ==, SP_PB_WIRE_BYTES);
  g_assert_cmpmem (field.data, field.len, payload, sizeof payload);
  g_assert_true (field.data == buffer + 14);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, 4);
  g_assert_cmpuint (field.len, ==, 0);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, 5);
  g_assert_cmpuint (field.value, ==, UINT64_MAX);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, (1u << 29) - 1);
  g_assert_cmpuint (field.value, ==, 0);

  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 0);
  /* A finished reader stays finished. */
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 0);
}

static void
test_fixed32 (void)
{
  static const uint8_t data[] = { 0x0d, 0x78, 0x56, 0x34, 0x12 };
  SpPbReader reader;
  SpPbField field;

  sp_pb_reader_init (&reader, data, sizeof data);
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.number, ==, 1);
  g_assert_cmpint (field.wire_type, ==, SP_PB_WIRE_FIXED32);
  g_assert_cmpuint (field.value, ==, 0x12345678);
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 0);
}

/* Fields come back in the order they appear, whatever that order is;
 * that is what lets decoders accept them in any order. */
static void
test_out_of_order (void)
{
  static const uint8_t data[] = {
    0x30, 0x06,             /* 6 */
    0x12, 0x01, 0xaa,       /* 2 */
    0x08, 0x01,             /* 1 */
    0x30, 0x07,             /* 6 again: repeated fields are reported */
  };
  static const uint32_t numbers[] = { 6, 2, 1, 6 };
  SpPbReader reader;
  SpPbField field;

  sp_pb_reader_init (&reader, data, sizeof data);
  for (size_t i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
      g_assert_cmpuint (field.number, ==, numbers[i]);
    }
  g_assert_cmpuint (field.value, ==, 7);
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 0);
}

static void
test_boundary_varints (void)
{
  static const struct {
    uint8_t bytes[12];
    size_t len;
    uint64_t value;
  } good[] = {
    { { 0x08, 0x00 }, 2, 0 },
    { { 0x08, 0x7f }, 2, 127 },
    { { 0x08, 0x80, 0x01 }, 3, 128 },
    /* Non-minimal encodings are valid protobuf. */
    { { 0x08, 0x80, 0x00 }, 3, 0 },
    { { 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f }, 6, UINT32_MAX },
    { { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 11, (uint64_t) 1 << 63 },
    { { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 11, UINT64_MAX },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (good); i++)
    {
      SpPbReader reader;
      SpPbField field;

      sp_pb_reader_init (&reader, good[i].bytes, good[i].len);
      g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
      g_assert_cmpuint (field.value, ==, good[i].value);
      g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 0);
    }
}

static void
test_malformed (void)
{
  static const struct {
    const char *what;
    uint8_t bytes[16];
    size_t len;
  } bad[] = {
    { "truncated tag", { 0x80 }, 1 },
    { "truncated varint", { 0x08, 0x80 }, 2 },
    { "missing varint", { 0x08 }, 1 },
    { "eleven-byte varint", { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 12 },
    { "varint over 64 bits", { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, 11 },
    { "ten-byte varint with a continuation bit", { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81 }, 11 },
    { "field number 0", { 0x00, 0x00 }, 2 },
    { "field number 0, bytes", { 0x02, 0x00 }, 2 },
    { "field number 2^29", { 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 }, 6 },
    { "field number in a 64-bit tag", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 10 },
    { "start group", { 0x0b }, 1 },
    { "end group", { 0x0c }, 1 },
    { "wire type 6", { 0x0e, 0x00 }, 2 },
    { "wire type 7", { 0x0f, 0x00 }, 2 },
    { "truncated fixed64", { 0x09, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 }, 8 },
    { "truncated fixed32", { 0x0d, 0x01, 0x02, 0x03 }, 4 },
    { "bytes longer than the buffer", { 0x0a, 0x03, 0x01, 0x02 }, 4 },
    { "bytes length missing", { 0x0a }, 1 },
    { "bytes length near 2^64", { 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00 }, 12 },
    { "bytes length 2^63", { 0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00 }, 12 },
    { "good field then garbage", { 0x08, 0x01, 0x0f }, 3 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      size_t n_fields;

      g_test_message ("%s", bad[i].what);
      g_assert_cmpint (read_all (bad[i].bytes, bad[i].len, &n_fields), ==, SP_ERR_MALFORMED);
    }
}

/* A failed read leaves the field untouched and the reader in place. */
static void
test_failure_leaves_state (void)
{
  static const uint8_t data[] = { 0x08, 0x05, 0x0a, 0x05, 0x01 };
  SpPbReader reader;
  SpPbField field;

  sp_pb_reader_init (&reader, data, sizeof data);
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, 1);
  g_assert_cmpuint (field.value, ==, 5);
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, SP_ERR_MALFORMED);
  g_assert_cmpuint (field.number, ==, 1);
  g_assert_cmpuint (field.value, ==, 5);
  g_assert_cmpuint (reader.pos, ==, 2);
  g_assert_cmpint (sp_pb_reader_next (&reader, &field), ==, SP_ERR_MALFORMED);
}

static void
test_empty_input (void)
{
  size_t n_fields;

  g_assert_cmpint (read_all (NULL, 0, &n_fields), ==, 0);
  g_assert_cmpint (read_all ((const uint8_t *) "", 0, &n_fields), ==, 0);
  g_assert_cmpuint (n_fields, ==, 0);
}

/* Every truncation of a valid message is either a clean shorter message
 * or an error, and never a read past the end (checked by ASan, since the
 * copies are exactly as long as the truncation). */
static void
test_truncations (void)
{
  static const uint8_t data[] = {
    0x08, 0x96, 0x01, 0x12, 0x03, 0x61, 0x62, 0x63,
    0x19, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x25, 0x01, 0x02, 0x03, 0x04,
  };
  static const size_t clean_ends[] = { 0, 3, 8, 17, 22 };

  for (size_t len = 0; len <= sizeof data; len++)
    {
      g_autofree uint8_t *copy = g_memdup2 (data, len);
      gboolean clean = FALSE;
      size_t n_fields;
      int ret;

      for (size_t i = 0; i < G_N_ELEMENTS (clean_ends); i++)
        clean |= clean_ends[i] == len;
      ret = read_all (copy, len, &n_fields);
      g_assert_cmpint (ret, ==, clean ? 0 : SP_ERR_MALFORMED);
    }
}

static void
test_writer_too_small (void)
{
  static const uint8_t payload[5] = { 1, 2, 3, 4, 5 };
  uint8_t buffer[8];
  SpPbWriter writer;
  size_t len = 1234;

  /* Bytes that would need 9: the guard byte after the limit survives. */
  memset (buffer, 0xcc, sizeof buffer);
  sp_pb_writer_init (&writer, buffer, 7);
  sp_pb_write_varint (&writer, 1, 1);
  sp_pb_write_bytes (&writer, 2, payload, sizeof payload);
  g_assert_cmpint (writer.error, ==, SP_ERR_BUFFER_TOO_SMALL);
  /* The error sticks: later small writes that would fit do nothing. */
  sp_pb_write_varint (&writer, 3, 0);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpuint (len, ==, 1234);
  g_assert_cmpuint (writer.len, <=, 7);
  g_assert_cmpuint (buffer[7], ==, 0xcc);

  /* Each size from 0 to one short of the encoding fails; the exact size
   * succeeds. */
  for (size_t size = 0; size <= 12; size++)
    {
      g_autofree uint8_t *exact = g_malloc (size + 1);

      sp_pb_writer_init (&writer, exact, size);
      sp_pb_write_varint (&writer, 1, 300);
      sp_pb_write_fixed64 (&writer, 2, 1);
      g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==,
                       size < 12 ? SP_ERR_BUFFER_TOO_SMALL : SP_OK);
    }

  sp_pb_writer_init (&writer, NULL, 0);
  sp_pb_write_varint (&writer, 1, 0);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_ERR_BUFFER_TOO_SMALL);
}

static void
test_writer_invalid_field (void)
{
  uint8_t buffer[16];
  SpPbWriter writer;
  size_t len;

  sp_pb_writer_init (&writer, buffer, sizeof buffer);
  sp_pb_write_varint (&writer, 0, 1);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_ERR_INVALID_ARGUMENT);

  sp_pb_writer_init (&writer, buffer, sizeof buffer);
  sp_pb_write_bytes (&writer, 1u << 29, buffer, 1);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_ERR_INVALID_ARGUMENT);

  sp_pb_writer_init (&writer, buffer, sizeof buffer);
  sp_pb_write_bytes (&writer, 1, NULL, 3);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_ERR_INVALID_ARGUMENT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/protobuf/varint-size", test_varint_size);
  g_test_add_func ("/protocol/protobuf/round-trip", test_round_trip);
  g_test_add_func ("/protocol/protobuf/fixed32", test_fixed32);
  g_test_add_func ("/protocol/protobuf/out-of-order", test_out_of_order);
  g_test_add_func ("/protocol/protobuf/boundary-varints", test_boundary_varints);
  g_test_add_func ("/protocol/protobuf/malformed", test_malformed);
  g_test_add_func ("/protocol/protobuf/failure-leaves-state", test_failure_leaves_state);
  g_test_add_func ("/protocol/protobuf/empty", test_empty_input);
  g_test_add_func ("/protocol/protobuf/truncations", test_truncations);
  g_test_add_func ("/protocol/protobuf/writer-too-small", test_writer_too_small);
  g_test_add_func ("/protocol/protobuf/writer-invalid-field", test_writer_invalid_field);

  return g_test_run ();
}
