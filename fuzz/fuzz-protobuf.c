/* fuzz-protobuf.c: the protobuf reader and writer on arbitrary input
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-protobuf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Reads every field and writes it back.  The writer shortens varints
 * that were not minimally encoded, so rather than comparing bytes the
 * check is that the rewritten message reads back as the same fields. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  SpPbReader reader, again;
  SpPbField field, field2;
  SpPbWriter writer;
  uint8_t *copy;
  size_t len = 0;
  int ret;

  /* Never larger than the input: rewriting can only shrink varints. */
  copy = malloc (size + 1);
  if (copy == NULL)
    return 0;
  sp_pb_writer_init (&writer, copy, size);

  sp_pb_reader_init (&reader, data, size);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number == 0 || reader.pos > size)
        abort ();
      switch (field.wire_type)
        {
        case SP_PB_WIRE_VARINT:
          sp_pb_write_varint (&writer, field.number, field.value);
          break;
        case SP_PB_WIRE_FIXED64:
          sp_pb_write_fixed64 (&writer, field.number, field.value);
          break;
        case SP_PB_WIRE_BYTES:
          if (field.data < data || field.len > (size_t) (data + size - field.data))
            abort ();
          sp_pb_write_bytes (&writer, field.number, field.data, field.len);
          break;
        case SP_PB_WIRE_FIXED32:
          /* The writer has no fixed32; only the reader's bounds matter. */
          if (field.value > UINT32_MAX)
            abort ();
          break;
        default:
          abort ();
        }
    }
  if (ret != 0 && ret != SP_ERR_MALFORMED)
    abort ();

  if (sp_pb_writer_finish (&writer, &len) != SP_OK)
    abort ();

  /* The rewritten prefix parses cleanly to the same fields (fixed32
   * fields were dropped, so those are skipped on the original side). */
  sp_pb_reader_init (&reader, data, size);
  sp_pb_reader_init (&again, copy, len);
  while (sp_pb_reader_next (&reader, &field) == 1)
    {
      if (field.wire_type == SP_PB_WIRE_FIXED32)
        continue;
      if (sp_pb_reader_next (&again, &field2) != 1
          || field2.number != field.number
          || field2.wire_type != field.wire_type
          || field2.len != field.len
          || (field.wire_type != SP_PB_WIRE_BYTES && field2.value != field.value)
          || (field.len != 0 && memcmp (field.data, field2.data, field.len) != 0))
        abort ();
    }
  if (sp_pb_reader_next (&again, &field2) != 0)
    abort ();

  free (copy);
  return 0;
}
