/* fuzz-sealed-content.c: the sender certificate and USMC decoders
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

static void
check_inside (const uint8_t *p,
              size_t         len,
              const uint8_t *data,
              size_t         size)
{
  if (p != NULL && (p < data || len > size || p + len > data + size))
    abort ();
}

/* The input is tried as a SenderCertificate and as a USMC.  Whatever
 * decodes must point inside the input (its signer may also be one of the
 * certificates built into the core) and carry a well-formed sender; a
 * USMC must encode again into the same fields; validation of a decoded
 * certificate must answer one of its three results. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const SpPublicKey root = { { 0x05, 9 } };
  SpSenderCertificate certificate;
  SpSealedContent content, again;
  uint8_t *encoded;
  size_t len = 0;
  int rc;

  if (sp_init () != SP_OK)
    abort ();

  if (sp_sender_certificate_decode (&certificate, data, size) == SP_OK)
    {
      check_inside (certificate.certificate, certificate.certificate_len, data, size);
      if (strlen (certificate.sender_uuid) != SP_UUID_STRING_LENGTH
          || certificate.device_id == 0 || certificate.device_id > SP_MAX_DEVICE_ID)
        abort ();
      rc = sp_sender_certificate_validate (&certificate, &root, 0);
      if (rc != SP_OK && rc != SP_ERR_INVALID_CERTIFICATE && rc != SP_ERR_CERTIFICATE_EXPIRED)
        abort ();
    }

  if (sp_sealed_content_decode (&content, data, size) != SP_OK)
    return 0;
  check_inside (content.content, content.content_len, data, size);
  check_inside (content.sender_certificate, content.sender_certificate_len, data, size);
  check_inside (content.group_id, content.group_id_len, data, size);

  encoded = malloc (size + 16);
  if (encoded == NULL)
    abort ();
  if (sp_sealed_content_encode (encoded, size + 16, &len, &content) != SP_OK
      || sp_sealed_content_decode (&again, encoded, len) != SP_OK
      || again.type != content.type
      || again.content_hint != content.content_hint
      || again.content_len != content.content_len
      || memcmp (again.content, content.content, content.content_len) != 0
      || strcmp (again.sender.sender_uuid, content.sender.sender_uuid) != 0
      || (content.group_id_len > 0 && (again.group_id_len != content.group_id_len
                                       || memcmp (again.group_id, content.group_id, content.group_id_len) != 0)))
    abort ();
  free (encoded);
  return 0;
}
