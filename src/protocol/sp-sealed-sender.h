/* sp-sealed-sender.h: sealed sender certificates and messages, as libsignal makes them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-service-id.h"
#include "sp-store.h"
#include "sp-xeddsa.h"

/* The server certificate id libsignal treats as revoked. */
#define SP_REVOKED_SERVER_CERTIFICATE_ID 0xDEADC357u

/* libsignal's device ids: 1 to 127. */
#define SP_MAX_DEVICE_ID 127


/* A decoded ServerCertificate.  Byte fields point into the decoded
 * buffer: @certificate is the signed inner message, @signature the trust
 * root's signature over it (its length is only checked by validation). */
typedef struct {
  uint32_t key_id;
  SpPublicKey key;
  const uint8_t *certificate;
  size_t certificate_len;
  const uint8_t *signature;
  size_t signature_len;
} SpServerCertificate;

/* A decoded SenderCertificate.  @sender_uuid is NUL-terminated, in the
 * form the certificate carries it (a string as it is, 16 raw bytes as a
 * lowercase UUID).  Byte fields point into the decoded buffer. */
typedef struct {
  char sender_uuid[SP_UUID_STRING_LENGTH + 1];
  const char *sender_e164;         /* not NUL-terminated; NULL when absent */
  size_t sender_e164_len;
  uint32_t device_id;
  uint64_t expires_ms;             /* milliseconds since the epoch */
  SpPublicKey identity_key;
  SpServerCertificate signer;
  const uint8_t *certificate;
  size_t certificate_len;
  const uint8_t *signature;
  size_t signature_len;
} SpSenderCertificate;

/* Strict decoders, as the message decoders are: fields in any order,
 * unknown ones skipped, repeated, missing or mistyped ones
 * SP_ERR_MALFORMED, a key without the 0x05 type byte SP_ERR_INVALID_KEY.
 * A sender certificate must carry a UUID (string field 6 in the 8-4-4-4-12
 * form, or 16 bytes in field 7, not both), a device id of 1 to 127, the
 * expiry, the identity key and its signer: an embedded server certificate
 * (field 5) or the id of one of the three built into libsignal (field 8;
 * another id is SP_ERR_INVALID_CERTIFICATE), not both. */
int sp_server_certificate_decode (SpServerCertificate *out,
                                  const uint8_t       *data,
                                  size_t               len);

int sp_sender_certificate_decode (SpSenderCertificate *out,
                                  const uint8_t       *data,
                                  size_t               len);

/* libsignal's validate(): the server certificate must be signed by
 * @trust_root and not revoked (SP_ERR_INVALID_CERTIFICATE), the sender
 * certificate signed by the server key (SP_ERR_INVALID_CERTIFICATE), and
 * @now_ms no later than the expiry (SP_ERR_CERTIFICATE_EXPIRED; the
 * expiry itself is still valid). */
int sp_sender_certificate_validate (const SpSenderCertificate *certificate,
                                    const SpPublicKey         *trust_root,
                                    uint64_t                   now_ms);

/* The largest ServerCertificate: id, key and signature fields. */
#define SP_SERVER_CERTIFICATE_MAX_SIZE (2 + (2 + 6 + 35) + 2 + SP_SIGNATURE_SIZE)

/* Makes a ServerCertificate for @key_id and @server_key signed by
 * @trust_root, byte-identical to libsignal's (@random as for
 * sp_xeddsa_sign()).  @out needs SP_SERVER_CERTIFICATE_MAX_SIZE bytes. */
int sp_server_certificate_create (uint8_t            *out,
                                  size_t              out_size,
                                  size_t             *out_len,
                                  uint32_t            key_id,
                                  const SpPublicKey  *server_key,
                                  const SpPrivateKey *trust_root,
                                  const uint8_t      *random);

/* The largest SenderCertificate with a server certificate of
 * @server_len bytes and no phone number. */
#define SP_SENDER_CERTIFICATE_MAX_SIZE(server_len) \
  (3 + 3 + 6 + 9 + 35 + 3 + ((size_t) (server_len)) + 2 + SP_UUID_STRING_LENGTH + 2 + SP_SIGNATURE_SIZE)

/* Makes a SenderCertificate (UUID as a string, no phone number, the
 * server certificate embedded) signed by @server_private, byte-identical
 * to libsignal's.  @sender_uuid must be in the 8-4-4-4-12 form, @device_id
 * 1 to 127, and @server_certificate a ServerCertificate that decodes. */
int sp_sender_certificate_create (uint8_t            *out,
                                  size_t              out_size,
                                  size_t             *out_len,
                                  const char         *sender_uuid,
                                  uint32_t            device_id,
                                  uint64_t            expires_ms,
                                  const SpPublicKey  *identity_key,
                                  const uint8_t      *server_certificate,
                                  size_t              server_certificate_len,
                                  const SpPrivateKey *server_private,
                                  const uint8_t      *random);

/* Content hints of UnidentifiedSenderMessageContent; other values are
 * carried as they are. */
#define SP_CONTENT_HINT_DEFAULT 0
#define SP_CONTENT_HINT_RESENDABLE 1
#define SP_CONTENT_HINT_IMPLICIT 2

/* The plaintext-content message type, next to SP_CIPHERTEXT_TYPE_*. */
#define SP_CIPHERTEXT_TYPE_PLAINTEXT 8

/* A decoded UnidentifiedSenderMessageContent (USMC): the inner message
 * of type @type (SP_CIPHERTEXT_TYPE_WHISPER, _PREKEY, _SENDER_KEY or
 * _PLAINTEXT, whatever number the wire uses for it) and the sender's
 * certificate.  Byte fields point into the decoded buffer. */
typedef struct {
  int type;
  SpSenderCertificate sender;
  const uint8_t *sender_certificate;   /* the certificate as sent */
  size_t sender_certificate_len;
  const uint8_t *content;
  size_t content_len;
  uint32_t content_hint;
  const uint8_t *group_id;             /* NULL when absent */
  size_t group_id_len;
} SpSealedContent;

/* Strict, as the other decoders; the certificate is decoded too (with
 * its errors), as libsignal does.  An unknown type is SP_ERR_MALFORMED. */
int sp_sealed_content_decode (SpSealedContent *out,
                              const uint8_t   *data,
                              size_t           len);

/* The encoded size of a USMC, or 0 when the sizes overflow. */
size_t sp_sealed_content_size (size_t certificate_len,
                               size_t content_len,
                               uint32_t content_hint,
                               size_t group_id_len);

/* Writes a USMC byte-identical to libsignal's: the hint only when it is
 * not the default, the group id only when it is not empty.  Only @type,
 * @sender_certificate, @content, @content_hint and @group_id of @content
 * are used (the certificate is not decoded again). */
int sp_sealed_content_encode (uint8_t               *out,
                              size_t                 out_size,
                              size_t                *out_len,
                              const SpSealedContent *content);

/* Sealed sender v1 (version byte 0x11): the USMC @content (already
 * encoded) for @recipient_identity, from @sender_identity.  @ephemeral
 * is NULL except in known-answer tests.  The message is exactly
 * SP_SEALED_SENDER_V1_SIZE (content_len) bytes. */
#define SP_SEALED_SENDER_V1_SIZE(content_len) \
  (1 + 2 + SP_PUBLIC_KEY_SIZE + 2 + SP_PUBLIC_KEY_SIZE + 10 + 1 + 10 + ((size_t) (content_len)) + 10)

int sp_sealed_sender_encrypt_v1 (uint8_t           *out,
                                 size_t             out_size,
                                 size_t            *out_len,
                                 const SpKeyPair   *sender_identity,
                                 const SpPublicKey *recipient_identity,
                                 const uint8_t     *content,
                                 size_t             content_len,
                                 const SpKeyPair   *ephemeral);

/* One device a multi-recipient message goes to: its address (the name a
 * service id string: a UUID, or "PNI:" and a UUID), the registration id
 * of its session (14 bits) and the recipient's identity key. */
typedef struct {
  const char *name;
  uint32_t device_id;
  uint32_t registration_id;
  SpPublicKey identity_key;
} SpSealedRecipient;

/* The size of the v2 SentMessage for @recipients and @content_len
 * bytes of USMC, or 0 when a name is not a service id or the sizes
 * overflow. */
size_t sp_sealed_sender_v2_size (const SpSealedRecipient *recipients,
                                 size_t                   n_recipients,
                                 size_t                   content_len);

/* Sealed sender v2 for several recipients: the SentMessage (0x23) a
 * client uploads, byte-identical to libsignal's for the same random M.
 * Consecutive devices of one name share one entry (one key agreement),
 * as in libsignal.  A name that is not a service id, a device id outside
 * 1 to 127 or a registration id beyond 14 bits is SP_ERR_INVALID_ARGUMENT.
 * @m is NULL except in known-answer tests (32 bytes). */
int sp_sealed_sender_encrypt_v2 (uint8_t                 *out,
                                 size_t                   out_size,
                                 size_t                  *out_len,
                                 const SpKeyPair         *sender_identity,
                                 const SpSealedRecipient *recipients,
                                 size_t                   n_recipients,
                                 const uint8_t           *content,
                                 size_t                   content_len,
                                 const uint8_t           *m);

/* The number of entries in the recipient table of a SentMessage (0x23,
 * or 0x22), read from its header alone, so that the relay can refuse a
 * table padded far beyond the recipients it is asked to deliver to
 * before splitting it once per device.  SP_ERR_MALFORMED for a missing
 * or overlong count, SP_ERR_INVALID_MESSAGE for another version. */
int sp_sealed_sender_v2_recipient_count (const uint8_t *sent,
                                         size_t         sent_len,
                                         uint32_t      *n_recipients);

/* The relay's part: parses a SentMessage (0x23, or 0x22 with bare ACI
 * UUIDs) strictly and writes the ReceivedMessage (0x22) for the device
 * @device_id of @name, which is never longer than the SentMessage.
 * SP_ERR_MALFORMED for any deviation from the format (truncation, a
 * device id of 0 after others or above 127, a recipient listed both with
 * and without devices, fewer than 32 bytes after the recipients),
 * SP_ERR_INVALID_MESSAGE for another version, SP_ERR_INVALID_ARGUMENT
 * when the message is not addressed to that device. */
int sp_sealed_sender_v2_split (uint8_t       *out,
                               size_t         out_size,
                               size_t        *out_len,
                               const uint8_t *sent,
                               size_t         sent_len,
                               const char    *name,
                               uint32_t       device_id);

/* One recipient of a SentMessage's recipient table.  @keys points into
 * the SentMessage, which must outlive the entry. */
typedef struct {
  uint8_t service_id[SP_SERVICE_ID_FIXED_SIZE];  /* a bare UUID of the old form as an ACI */
  uint8_t devices[(SP_MAX_DEVICE_ID + 1) / 8];    /* bit d % 8 of byte d / 8: device d is listed */
  const uint8_t *keys;                            /* C || AT; NULL for an excluded recipient */
  bool excluded;                                  /* listed with no devices */
} SpSealedTableEntry;

/* A SentMessage's recipient table, read once, for a relay that delivers
 * to several devices: each device's ReceivedMessage is then a copy, with
 * no further reading of the table. */
typedef struct {
  const uint8_t *sent;
  size_t sent_len;
  size_t shared;                 /* where E and the encrypted content, which every
                                  * ReceivedMessage ends with, begin */
  SpSealedTableEntry *entries;   /* the caller's memory */
  size_t n_entries;
} SpSealedTable;

/* Reads the recipient table of @sent (0x23, or 0x22 with bare ACI UUIDs)
 * into @entries, as strictly as sp_sealed_sender_v2_split() does, and
 * never reading an entry twice.  SP_ERR_BUFFER_TOO_SMALL, before reading
 * any entry, when the table has more than @max_entries: a relay bounds
 * its work by the recipients it was asked to deliver to. */
int sp_sealed_sender_v2_table_parse (SpSealedTable      *table,
                                     SpSealedTableEntry *entries,
                                     size_t              max_entries,
                                     const uint8_t      *sent,
                                     size_t              sent_len);

/* What the table holds for @name, every entry of it merged as
 * sp_sealed_sender_v2_split() reads them: the devices of all, the keys of
 * the first with devices.  SP_ERR_INVALID_ARGUMENT when @name is not a
 * service id or the table has no devices for it, SP_ERR_MALFORMED when it
 * is listed both with and without devices. */
int sp_sealed_sender_v2_table_lookup (const SpSealedTable *table,
                                      const char          *name,
                                      SpSealedTableEntry  *out);

/* Whether @entry lists the device @device_id. */
bool sp_sealed_table_entry_has_device (const SpSealedTableEntry *entry,
                                       uint32_t                  device_id);

/* The length of every ReceivedMessage split from the table. */
size_t sp_sealed_sender_v2_table_received_size (const SpSealedTable *table);

/* Writes the ReceivedMessage (0x22) for a recipient that
 * sp_sealed_sender_v2_table_lookup() found, the same for each of its
 * devices, as sp_sealed_sender_v2_split() would. */
int sp_sealed_sender_v2_table_split (uint8_t                  *out,
                                     size_t                    out_size,
                                     size_t                   *out_len,
                                     const SpSealedTable      *table,
                                     const SpSealedTableEntry *recipient);

/* Opens a sealed message, v1 (0x11) or a v2 ReceivedMessage (0x22),
 * with our identity and checks it as libsignal's sealed_sender_decrypt does before the
 * inner message: the MACs or the AEAD tag (SP_ERR_BAD_MAC), the binding
 * of the sender's identity to the message (v1: the encrypted static key
 * equals the certificate's; v2: the authentication tag;
 * SP_ERR_IDENTITY_MISMATCH), the certificate against @trust_root at
 * @now_ms (see sp_sender_certificate_validate()), and that it is not our
 * own device @local (SP_ERR_SELF_SEND).  The USMC is written to @out,
 * which needs @len bytes, and @content points into it.  The inner
 * message is left to the session or group cipher, with the certificate's
 * identity key (see sp_session_cipher_decrypt_sealed()).  Stricter than
 * libsignal in one point: libsignal reads only the high nibble of the
 * version byte (and takes 0 for 1), which leaves the rest of that byte
 * unauthenticated; here any other version byte is SP_ERR_INVALID_MESSAGE. */
int sp_sealed_sender_decrypt (SpSealedContent   *content,
                              uint8_t           *out,
                              size_t             out_size,
                              const SpKeyPair   *local_identity,
                              const SpAddress   *local,
                              const SpPublicKey *trust_root,
                              uint64_t           now_ms,
                              const uint8_t     *data,
                              size_t             len);
