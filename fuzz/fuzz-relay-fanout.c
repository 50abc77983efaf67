/* fuzz-relay-fanout.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the decoders of the relay's multi-recipient and unidentified
 * sends, the split of sealed sender v2 uploads, the access-key request
 * and the sealed sender server key file.  The first byte picks the
 * decoder, the rest is the untrusted input; each must succeed or fail
 * cleanly, and what it accepts must keep its bounds: no more recipients
 * or envelopes than allowed, no account twice, every split message
 * within the size it was allowed.
 */

#include <stdint.h>
#include <string.h>

#include "relay-api-fanout.h"
#include "relay-sealed-key.h"
#include "sp-init.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_CONTENT 1024
#define MAX_ENVELOPE 512

static void
check_multi (RelayMultiSendRequest *multi,
             gboolean               unidentified)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint envelopes = 0;

  g_assert (multi->recipients->len >= 1 && multi->recipients->len <= RELAY_MAX_RECIPIENTS_PER_SEND);
  for (guint i = 0; i < multi->recipients->len; i++)
    {
      RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, i);

      g_assert (g_hash_table_add (seen, recipient->uuid));
      g_assert ((recipient->access_key != NULL) == unidentified);
      g_assert (recipient->access_key == NULL || g_bytes_get_size (recipient->access_key) == RELAY_ACCESS_KEY_BYTES);
      g_assert (recipient->send->messages->len >= 1);
      envelopes += recipient->send->messages->len;
      for (guint j = 0; unidentified && j < recipient->send->messages->len; j++)
        g_assert (((RelayOutgoingEnvelope *) g_ptr_array_index (recipient->send->messages, j))->type ==
                  RELAY_ENVELOPE_TYPE_SEALED);
    }
  g_assert (envelopes <= RELAY_MAX_ENVELOPES_PER_MULTI);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *input = (const char *) data + 1;
  gsize length = size > 0 ? size - 1 : 0;
  g_autoptr(RelayMultiSendRequest) multi = NULL;
  g_autoptr(RelaySealedMultiRequest) sealed = NULL;
  g_autoptr(RelaySealedKey) key = NULL;
  g_autoptr(GBytes) access_key = NULL;
  g_autoptr(GError) error = NULL;

  if (size == 0)
    return 0;
  g_assert (sp_init () == 0);
  switch (data[0] % 5)
    {
    case 0:
      if ((multi = relay_multi_send_request_parse (input, length, MAX_CONTENT, &error)) != NULL)
        check_multi (multi, FALSE);
      break;
    case 1:
      multi = relay_unidentified_send_parse (input, length, "8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11",
                                             MAX_CONTENT, &error);
      if (multi != NULL)
        check_multi (multi, TRUE);
      break;
    case 2:
      sealed = relay_sealed_multi_request_parse (input, length, MAX_CONTENT, &error);
      if (sealed != NULL && (multi = relay_sealed_multi_request_split (sealed, MAX_ENVELOPE, &error)) != NULL)
        {
          check_multi (multi, TRUE);
          for (guint i = 0; i < multi->recipients->len; i++)
            {
              RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, i);

              for (guint j = 0; j < recipient->send->messages->len; j++)
                g_assert (g_bytes_get_size (((RelayOutgoingEnvelope *)
                                             g_ptr_array_index (recipient->send->messages, j))->content) <=
                          MAX_ENVELOPE);
            }
        }
      break;
    case 3:
      if ((access_key = relay_access_key_request_parse (input, length, &error)) != NULL)
        g_assert (g_bytes_get_size (access_key) == RELAY_ACCESS_KEY_BYTES);
      break;
    default:
      key = relay_sealed_key_parse (input, length, &error);
      break;
    }
  /* Each decoder gives a result or says why not, never both. */
  g_assert ((multi != NULL || key != NULL || access_key != NULL) == (error == NULL));
  return 0;
}
