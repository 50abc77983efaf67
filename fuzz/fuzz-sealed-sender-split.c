/* fuzz-sealed-sender-split.c: the relay's split of a v2 SentMessage
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-sealed-sender.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The seeds address 0b0b0b0b-1111-4222-8333-444444444444, device 2.  A
 * split must be a ReceivedMessage no longer than the input that ends
 * with the input's last bytes (the shared part), and must answer the
 * same for the same question; the table read once must give what the
 * split gives, device by device. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char name[] = "0b0b0b0b-1111-4222-8333-444444444444";
  uint8_t *out = malloc (size + 1);
  uint8_t *again = malloc (size + 1);
  size_t len = 0;
  size_t again_len = 0;
  SpSealedTableEntry entries[16];
  SpSealedTableEntry recipient;
  SpSealedTable table;
  int table_rc;
  int found_rc = SP_ERR_INVALID_ARGUMENT;
  int rc;

  if (sp_init () != SP_OK || out == NULL || again == NULL)
    abort ();

  table_rc = sp_sealed_sender_v2_table_parse (&table, entries, 16, data, size);
  if (table_rc == SP_OK)
    found_rc = sp_sealed_sender_v2_table_lookup (&table, name, &recipient);
  for (uint32_t device = 1; device <= 3; device++)
    {
      rc = sp_sealed_sender_v2_split (out, size, &len, data, size, name, device);
      /* A table that fits reads as the split reads it. */
      if (table_rc != SP_ERR_BUFFER_TOO_SMALL)
        {
          int table_split_rc = table_rc != SP_OK ? table_rc : found_rc;

          if (table_split_rc == SP_OK && !sp_sealed_table_entry_has_device (&recipient, device))
            table_split_rc = SP_ERR_INVALID_ARGUMENT;
          if (table_split_rc != rc)
            abort ();
          if (rc == SP_OK
              && (sp_sealed_sender_v2_table_split (again, size, &again_len, &table, &recipient) != SP_OK
                  || again_len != len || memcmp (again, out, len) != 0))
            abort ();
        }
      if (rc != SP_OK)
        continue;
      if (len > size || len < 1 + 48 + 32 || out[0] != 0x22
          || memcmp (out + 49, data + size - (len - 49), len - 49) != 0)
        abort ();
      if (sp_sealed_sender_v2_split (again, size, &again_len, data, size, name, device) != SP_OK
          || again_len != len || memcmp (again, out, len) != 0)
        abort ();
    }

  free (out);
  free (again);
  return 0;
}
