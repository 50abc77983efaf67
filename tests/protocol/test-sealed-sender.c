/* test-sealed-sender.c: certificates and sealed sender v1 and v2
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The known answers are the spec's kat/sealed_sender.json, made and
 * decrypted by libsignal 0.103: the same inputs must give the same
 * bytes here.  Then every byte of every message is damaged in turn, and
 * each damaged message must be refused.
 */

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "kat-test-util.h"
#include "protocol-test-util.h"
#include "session-test-util.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-sealed-sender.h"

#define KAT_UUID "9d0652a3-dcc3-4d11-975f-74d61598733f"
#define KAT_DEVICE 1
#define OTHER_UUID "0b0b0b0b-1111-4222-8333-444444444444"

typedef struct {
  JsonParser *parser;
  JsonObject *root;
  SpKeyPair trust_root;
  SpKeyPair server;
  SpKeyPair sender;
  SpKeyPair recipient;
  GBytes *server_certificate;
  GBytes *sender_certificate;
  GBytes *usmc;
  uint64_t expires;
  SpAddress recipient_address;
} Kat;

static void
kat_load (Kat *kat)
{
  kat->parser = json_parser_new ();
  kat->root = test_kat_load (kat->parser, "sealed_sender.json");
  test_kat_key_pair (kat->root, "trustRootPriv", &kat->trust_root);
  test_kat_key_pair (kat->root, "serverPriv", &kat->server);
  test_kat_key_pair (kat->root, "senderIdentityPriv", &kat->sender);
  test_kat_key_pair (kat->root, "recipientIdentityPriv", &kat->recipient);
  kat->server_certificate = test_bytes_from_hex (test_kat_string (kat->root, "serverCertificate"));
  kat->sender_certificate = test_bytes_from_hex (test_kat_string (kat->root, "senderCertificate"));
  kat->usmc = test_bytes_from_hex (test_kat_string (kat->root, "usmc"));
  kat->expires = (uint64_t) json_object_get_int_member (kat->root, "senderCertificateExpires");
  kat->recipient_address = (SpAddress) { OTHER_UUID, 2 };
}

static void
kat_clear (Kat *kat)
{
  g_clear_object (&kat->parser);
  g_clear_pointer (&kat->server_certificate, g_bytes_unref);
  g_clear_pointer (&kat->sender_certificate, g_bytes_unref);
  g_clear_pointer (&kat->usmc, g_bytes_unref);
}

static void
test_certificates_known_answer (void)
{
  Kat kat;
  uint8_t z[SP_XEDDSA_RANDOM_SIZE];
  uint8_t server[SP_SERVER_CERTIFICATE_MAX_SIZE];
  uint8_t sender[SP_SENDER_CERTIFICATE_MAX_SIZE (SP_SERVER_CERTIFICATE_MAX_SIZE)];
  SpSenderCertificate certificate;
  size_t server_len = 0;
  size_t sender_len = 0;

  kat_load (&kat);
  test_assert_hex (kat.trust_root.public_key.bytes, SP_PUBLIC_KEY_SIZE, test_kat_string (kat.root, "trustRootPub33"));

  test_unhex (z, sizeof z, test_kat_string (kat.root, "serverCertificateZ"));
  g_assert_cmpint (sp_server_certificate_create (server, sizeof server, &server_len, 1, &kat.server.public_key,
                                                 &kat.trust_root.private_key, z), ==, SP_OK);
  test_assert_hex (server, server_len, test_kat_string (kat.root, "serverCertificate"));

  test_unhex (z, sizeof z, test_kat_string (kat.root, "senderCertificateZ"));
  g_assert_cmpint (sp_sender_certificate_create (sender, sizeof sender, &sender_len, KAT_UUID, KAT_DEVICE,
                                                 kat.expires, &kat.sender.public_key, server, server_len,
                                                 &kat.server.private_key, z), ==, SP_OK);
  test_assert_hex (sender, sender_len, test_kat_string (kat.root, "senderCertificate"));

  g_assert_cmpint (sp_sender_certificate_decode (&certificate, sender, sender_len), ==, SP_OK);
  g_assert_cmpstr (certificate.sender_uuid, ==, KAT_UUID);
  g_assert_cmpuint (certificate.device_id, ==, KAT_DEVICE);
  g_assert_cmpuint (certificate.expires_ms, ==, kat.expires);
  g_assert_null (certificate.sender_e164);
  g_assert_cmpmem (certificate.identity_key.bytes, SP_PUBLIC_KEY_SIZE, kat.sender.public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpuint (certificate.signer.key_id, ==, 1);

  /* The expiry itself is still valid; a millisecond later it is not. */
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &kat.trust_root.public_key, kat.expires), ==, SP_OK);
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &kat.trust_root.public_key, kat.expires + 1),
                   ==, SP_ERR_CERTIFICATE_EXPIRED);
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &kat.server.public_key, 0),
                   ==, SP_ERR_INVALID_CERTIFICATE);
  kat_clear (&kat);
}

/* {1: @inner, 2: @signature_hex} in @out, as libsignal's tests assemble
 * their vectors; returns the length. */
static size_t
wrap_signed (uint8_t    *out,
             GBytes     *inner,
             const char *signature_hex)
{
  size_t len = g_bytes_get_size (inner);

  g_assert_cmpuint (len, <, 1 << 14);
  out[0] = 0x0a;
  out[1] = 0x80 | (len & 0x7f);
  out[2] = (uint8_t) (len >> 7);
  memcpy (out + 3, test_data_of (inner), len);
  out[3 + len] = 0x12;
  out[4 + len] = SP_SIGNATURE_SIZE;
  test_unhex (out + 5 + len, SP_SIGNATURE_SIZE, signature_hex);
  return 5 + len + SP_SIGNATURE_SIZE;
}

/* libsignal's own vectors (test_uuid_bytes_representation and
 * test_known_server_cert in sealed_sender.rs): the UUID as 16 bytes, and
 * a reference to libsignal's built-in test server certificate; the trust
 * root is the key of the zero scalar. */
static void
test_certificate_libsignal_vectors (void)
{
  static const char uuid_bytes_hex[] =
    "100119697a000000000000222105e083a8ce423d1c1955174107a85a6a7f3bcbf566723624077f75eafe8e0a07752a690a2508"
    "0112210507a24397ae27d06fa76d2f02cfb5546e0b23a7e0c3670c1eb1e73b135a8e1e4d12407d127509ae1f5e9dcaa511793d"
    "3e94350dcb269e4ca54500da6e1f4dc13d95940c15badef019edfe8666315500c54e4489d4b83f6ce79c7f65c9772a1a83d88c"
    "3a10aaaaaaaa700011ebb32a33b8a8a487a6";
  static const char uuid_bytes_signature[] =
    "755c428e9bf6ba367152f1e545834649b4e8f70df8383a352a953fdb774862af5d42fab573fc52b90ad47c331c36f93b1a4fa7"
    "a2504917d895452ffe7f44bd0e";
  static const char known_server_hex[] =
    "100119697a000000000000222105d75b13e15c7700079dd226f51e5a790ba395e819e88a74d0cf5cedfad8b4334840d786df9a07"
    "322461616161616161612d373030302d313165622d623332612d333362386138613438376136";
  static const char known_server_signature[] =
    "e62667bce627caed56ca2ab309b6ae7bc890a30a7482c0e1fd77ec9c3b7528abfd45c8c42b240509a71d973ef5e0f1dbd2685fe0"
    "1410f0fdbaa8fb247a67e08f";
  g_autoptr(GBytes) uuid_bytes = test_bytes_from_hex (uuid_bytes_hex);
  g_autoptr(GBytes) known_server = test_bytes_from_hex (known_server_hex);
  uint8_t zero[32] = { 0 };
  uint8_t encoded[512];
  SpSenderCertificate certificate;
  SpKeyPair trust_root;
  size_t len;

  g_assert_cmpint (sp_key_pair_from_private (&trust_root, zero, sizeof zero), ==, SP_OK);

  len = wrap_signed (encoded, uuid_bytes, uuid_bytes_signature);
  g_assert_cmpint (sp_sender_certificate_decode (&certificate, encoded, len), ==, SP_OK);
  g_assert_cmpstr (certificate.sender_uuid, ==, "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6");
  g_assert_cmpuint (certificate.expires_ms, ==, 31337);
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &trust_root.public_key, 31336), ==, SP_OK);

  len = wrap_signed (encoded, known_server, known_server_signature);
  g_assert_cmpint (sp_sender_certificate_decode (&certificate, encoded, len), ==, SP_OK);
  g_assert_cmpuint (certificate.signer.key_id, ==, 0x7357C357);
  g_assert_cmpstr (certificate.sender_uuid, ==, "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6");
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &trust_root.public_key, 31336), ==, SP_OK);
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &trust_root.public_key, 31338),
                   ==, SP_ERR_CERTIFICATE_EXPIRED);

  /* An id libsignal does not know (the varint d786df9a07 is 0x7357C357). */
  encoded[3 + 47] ^= 0x01;
  g_assert_cmpint (sp_sender_certificate_decode (&certificate, encoded, len), ==, SP_ERR_INVALID_CERTIFICATE);
}

/* Every single-byte change of the certificate is refused, by the
 * decoder or by validation. */
static void
test_certificate_tampered (void)
{
  Kat kat;
  g_autofree uint8_t *copy = NULL;
  size_t len;

  kat_load (&kat);
  len = g_bytes_get_size (kat.sender_certificate);
  copy = g_memdup2 (test_data_of (kat.sender_certificate), len);
  for (size_t i = 0; i < len; i++)
    {
      SpSenderCertificate certificate;

      copy[i] ^= 0x01;
      if (sp_sender_certificate_decode (&certificate, copy, len) == SP_OK)
        g_assert_cmpint (sp_sender_certificate_validate (&certificate, &kat.trust_root.public_key, 0), !=, SP_OK);
      copy[i] ^= 0x01;
    }
  kat_clear (&kat);
}

static void
test_revoked_server_certificate (void)
{
  Kat kat;
  uint8_t server[SP_SERVER_CERTIFICATE_MAX_SIZE];
  uint8_t sender[SP_SENDER_CERTIFICATE_MAX_SIZE (SP_SERVER_CERTIFICATE_MAX_SIZE)];
  SpSenderCertificate certificate;
  size_t server_len = 0;
  size_t sender_len = 0;

  kat_load (&kat);
  g_assert_cmpint (sp_server_certificate_create (server, sizeof server, &server_len, SP_REVOKED_SERVER_CERTIFICATE_ID,
                                                 &kat.server.public_key, &kat.trust_root.private_key, NULL), ==, SP_OK);
  g_assert_cmpint (sp_sender_certificate_create (sender, sizeof sender, &sender_len, KAT_UUID, KAT_DEVICE,
                                                 kat.expires, &kat.sender.public_key, server, server_len,
                                                 &kat.server.private_key, NULL), ==, SP_OK);
  g_assert_cmpint (sp_sender_certificate_decode (&certificate, sender, sender_len), ==, SP_OK);
  g_assert_cmpint (sp_sender_certificate_validate (&certificate, &kat.trust_root.public_key, 0),
                   ==, SP_ERR_INVALID_CERTIFICATE);
  kat_clear (&kat);
}

static void
test_content_known_answer (void)
{
  Kat kat;
  SpSealedContent content;
  uint8_t encoded[1024];
  size_t len = 0;

  kat_load (&kat);
  g_assert_cmpint (sp_sealed_content_decode (&content, test_data_of (kat.usmc), g_bytes_get_size (kat.usmc)), ==, SP_OK);
  g_assert_cmpint (content.type, ==, SP_CIPHERTEXT_TYPE_PLAINTEXT);
  g_assert_cmpuint (content.content_hint, ==, SP_CONTENT_HINT_IMPLICIT);
  g_assert_null (content.group_id);
  test_assert_hex (content.content, content.content_len, "c0deadbeef80");
  g_assert_cmpstr (content.sender.sender_uuid, ==, KAT_UUID);

  g_assert_cmpint (sp_sealed_content_encode (encoded, sizeof encoded, &len, &content), ==, SP_OK);
  test_assert_hex (encoded, len, test_kat_string (kat.root, "usmc"));
  kat_clear (&kat);
}

/* Decrypts @data as the KAT recipient at time 0 and returns the result;
 * on success the USMC must be the KAT's. */
static int
open_as_recipient (Kat           *kat,
                   const uint8_t *data,
                   size_t         len)
{
  g_autofree uint8_t *out = g_malloc (len + 1);
  SpSealedContent content;
  int rc;

  rc = sp_sealed_sender_decrypt (&content, out, len, &kat->recipient, &kat->recipient_address,
                                 &kat->trust_root.public_key, 0, data, len);
  if (rc == SP_OK)
    g_assert_cmpmem (content.sender_certificate, content.sender_certificate_len,
                     test_data_of (kat->sender_certificate), g_bytes_get_size (kat->sender_certificate));
  return rc;
}

/* Every flipped bit of @message, and every truncation, is refused. */
static void
assert_every_byte_matters (Kat           *kat,
                           const uint8_t *message,
                           size_t         len)
{
  g_autofree uint8_t *copy = g_memdup2 (message, len);

  for (size_t i = 0; i < len; i++)
    for (unsigned bit = 0; bit < 8; bit++)
      {
        copy[i] ^= 1u << bit;
        g_assert_cmpint (open_as_recipient (kat, copy, len), !=, SP_OK);
        copy[i] ^= 1u << bit;
      }
  for (size_t cut = 0; cut < len; cut++)
    g_assert_cmpint (open_as_recipient (kat, message, cut), !=, SP_OK);
}

static void
test_v1_known_answer (void)
{
  Kat kat;
  JsonObject *v1;
  SpKeyPair ephemeral;
  g_autoptr(GBytes) expected = NULL;
  g_autofree uint8_t *out = NULL;
  size_t size;
  size_t len = 0;

  kat_load (&kat);
  v1 = json_object_get_object_member (kat.root, "v1");
  test_kat_key_pair (v1, "ephemeralPriv", &ephemeral);
  expected = test_bytes_from_hex (test_kat_string (v1, "message"));
  size = SP_SEALED_SENDER_V1_SIZE (g_bytes_get_size (kat.usmc));
  out = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v1 (out, size, &len, &kat.sender, &kat.recipient.public_key,
                                                test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), &ephemeral), ==, SP_OK);
  test_assert_hex (out, len, test_kat_string (v1, "message"));

  g_assert_cmpint (open_as_recipient (&kat, test_data_of (expected), g_bytes_get_size (expected)), ==, SP_OK);
  assert_every_byte_matters (&kat, test_data_of (expected), g_bytes_get_size (expected));
  kat_clear (&kat);
}

static void
test_v2_known_answer (void)
{
  Kat kat;
  JsonObject *v2;
  uint8_t m[32];
  SpSealedRecipient recipient;
  g_autoptr(GBytes) expected = NULL;
  g_autofree uint8_t *sent = NULL;
  g_autofree uint8_t *received = NULL;
  size_t size;
  size_t sent_len = 0;
  size_t received_len = 0;

  kat_load (&kat);
  v2 = json_object_get_object_member (kat.root, "v2");
  test_unhex (m, sizeof m, test_kat_string (v2, "M"));
  expected = test_bytes_from_hex (test_kat_string (v2, "receivedMessage"));
  g_assert_cmpint (open_as_recipient (&kat, test_data_of (expected), g_bytes_get_size (expected)), ==, SP_OK);

  /* Sending with the same M and splitting gives libsignal's bytes. */
  recipient = (SpSealedRecipient) { OTHER_UUID, 2, 0x1234, kat.recipient.public_key };
  size = sp_sealed_sender_v2_size (&recipient, 1, g_bytes_get_size (kat.usmc));
  g_assert_cmpuint (size, >, 0);
  sent = g_malloc (size);
  received = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_len, &kat.sender, &recipient, 1,
                                                test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), m), ==, SP_OK);
  g_assert_cmpuint (sent_len, ==, size);
  g_assert_cmpint (sent[0], ==, 0x23);
  g_assert_cmpint (sp_sealed_sender_v2_split (received, size, &received_len, sent, sent_len, OTHER_UUID, 2), ==, SP_OK);
  test_assert_hex (received, received_len, test_kat_string (v2, "receivedMessage"));

  /* Not for another device or another recipient. */
  g_assert_cmpint (sp_sealed_sender_v2_split (received, size, &received_len, sent, sent_len, OTHER_UUID, 3),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_sealed_sender_v2_split (received, size, &received_len, sent, sent_len, KAT_UUID, 2),
                   ==, SP_ERR_INVALID_ARGUMENT);
  for (size_t cut = 0; cut < 1 + 1 + 17 + 3 + 48 + 32; cut++)
    g_assert_cmpint (sp_sealed_sender_v2_split (received, size, &received_len, sent, cut, OTHER_UUID, 2), !=, SP_OK);

  assert_every_byte_matters (&kat, test_data_of (expected), g_bytes_get_size (expected));
  kat_clear (&kat);
}

/* The table read once gives every listed device the message that
 * sp_sealed_sender_v2_split() gives it, and nothing for another device;
 * a table longer than the caller's room is refused before it is read. */
static void
assert_table_splits_alike (const uint8_t           *sent,
                           size_t                   sent_len,
                           const SpSealedRecipient *recipients,
                           size_t                   n_recipients)
{
  SpSealedTableEntry entries[4];
  SpSealedTable table;
  g_autofree uint8_t *expected = g_malloc (sent_len);
  g_autofree uint8_t *received = g_malloc (sent_len);

  g_assert_cmpint (sp_sealed_sender_v2_table_parse (&table, entries, 1, sent, sent_len), ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpint (sp_sealed_sender_v2_table_parse (&table, entries, G_N_ELEMENTS (entries), sent, sent_len), ==, SP_OK);
  for (size_t i = 0; i < n_recipients; i++)
    {
      SpSealedTableEntry recipient;
      size_t expected_len = 0;
      size_t received_len = 0;

      g_assert_cmpint (sp_sealed_sender_v2_table_lookup (&table, recipients[i].name, &recipient), ==, SP_OK);
      g_assert_true (sp_sealed_table_entry_has_device (&recipient, recipients[i].device_id));
      g_assert_false (sp_sealed_table_entry_has_device (&recipient, recipients[i].device_id + 1));
      g_assert_cmpint (sp_sealed_sender_v2_split (expected, sent_len, &expected_len, sent, sent_len,
                                                  recipients[i].name, recipients[i].device_id), ==, SP_OK);
      g_assert_cmpint (sp_sealed_sender_v2_table_split (received, sent_len, &received_len, &table, &recipient),
                       ==, SP_OK);
      g_assert_cmpuint (received_len, ==, sp_sealed_sender_v2_table_received_size (&table));
      g_assert_cmpmem (received, received_len, expected, expected_len);
    }
}

/* Three recipients, two devices for one of them, one excluded: each
 * device's share opens, with the registration ids in place. */
static void
test_v2_several_recipients (void)
{
  Kat kat;
  SpKeyPair third;
  SpSealedRecipient recipients[3];
  g_autofree uint8_t *sent = NULL;
  g_autofree uint8_t *received = NULL;
  size_t size;
  size_t sent_len = 0;
  size_t received_len = 0;

  kat_load (&kat);
  g_assert_cmpint (sp_key_pair_generate (&third), ==, SP_OK);
  recipients[0] = (SpSealedRecipient) { OTHER_UUID, 2, 0x3fff, kat.recipient.public_key };
  recipients[1] = (SpSealedRecipient) { OTHER_UUID, 5, 1, kat.recipient.public_key };
  recipients[2] = (SpSealedRecipient) { "PNI:" OTHER_UUID, 1, 7, third.public_key };
  size = sp_sealed_sender_v2_size (recipients, 3, g_bytes_get_size (kat.usmc));
  sent = g_malloc (size);
  received = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_len, &kat.sender, recipients, 3,
                                                test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), NULL), ==, SP_OK);
  /* Two entries; the first lists device 2 with "more" set, then 5. */
  g_assert_cmpint (sent[1], ==, 2);
  test_assert_hex (sent + 2 + 17, 6, "02bfff050001");

  g_assert_cmpint (sp_sealed_sender_v2_split (received, size, &received_len, sent, sent_len, OTHER_UUID, 5), ==, SP_OK);
  g_assert_cmpint (open_as_recipient (&kat, received, received_len), ==, SP_OK);
  /* The PNI's share is not the ACI's, and the ACI cannot open it. */
  g_assert_cmpint (sp_sealed_sender_v2_split (received, size, &received_len, sent, sent_len, "PNI:" OTHER_UUID, 1), ==, SP_OK);
  g_assert_cmpint (open_as_recipient (&kat, received, received_len), ==, SP_ERR_BAD_MAC);
  assert_table_splits_alike (sent, sent_len, recipients, 3);

  /* Registration ids have 14 bits, device ids 1 to 127. */
  recipients[0].registration_id = 0x4000;
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_len, &kat.sender, recipients, 3,
                                                test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), NULL),
                   ==, SP_ERR_INVALID_ARGUMENT);
  recipients[0].registration_id = 1;
  recipients[0].device_id = 128;
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_len, &kat.sender, recipients, 3,
                                                test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), NULL),
                   ==, SP_ERR_INVALID_ARGUMENT);
  kat_clear (&kat);
}

/* A SentMessage with an excluded recipient, by hand: the excluded one
 * gets nothing, and listing a recipient both ways is malformed. */
static void
test_v2_split_excluded (void)
{
  uint8_t sent[1 + 1 + 2 * 18 + 3 + 48 + 32 + 16];
  uint8_t out[sizeof sent];
  uint8_t aci[SP_SERVICE_ID_FIXED_SIZE];
  SpSealedTableEntry entries[2];
  SpSealedTableEntry recipient;
  SpSealedTable table;
  size_t len = 0;
  uint8_t *p = sent;

  g_assert_true (sp_service_id_parse (OTHER_UUID, aci));
  memset (sent, 0xee, sizeof sent);
  *p++ = 0x23;
  *p++ = 2;
  memcpy (p, aci, sizeof aci);
  p += sizeof aci;
  *p++ = 0;                                  /* excluded */
  memcpy (p, aci, sizeof aci);
  p[1] ^= 1;                                 /* another UUID */
  p += sizeof aci;
  *p++ = 3;
  *p++ = 0x00;
  *p++ = 0x09;

  g_assert_cmpint (sp_sealed_sender_v2_split (out, sizeof out, &len, sent, sizeof sent, OTHER_UUID, 1),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_sealed_sender_v2_table_parse (&table, entries, G_N_ELEMENTS (entries), sent, sizeof sent),
                   ==, SP_OK);
  g_assert_cmpint (sp_sealed_sender_v2_table_lookup (&table, OTHER_UUID, &recipient), ==, SP_ERR_INVALID_ARGUMENT);
  sent[1 + 1 + 17 + 1 + 1] ^= 1;             /* now both entries are the same recipient */
  g_assert_cmpint (sp_sealed_sender_v2_split (out, sizeof out, &len, sent, sizeof sent, OTHER_UUID, 3),
                   ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_sealed_sender_v2_table_parse (&table, entries, G_N_ELEMENTS (entries), sent, sizeof sent),
                   ==, SP_OK);
  g_assert_cmpint (sp_sealed_sender_v2_table_lookup (&table, OTHER_UUID, &recipient), ==, SP_ERR_MALFORMED);
  sent[0] = 0x33;
  g_assert_cmpint (sp_sealed_sender_v2_split (out, sizeof out, &len, sent, sizeof sent, OTHER_UUID, 3),
                   ==, SP_ERR_INVALID_MESSAGE);
}

/* A USMC whose certificate names someone else's key than the one the
 * message is sealed with: both versions refuse it. */
static void
test_identity_bound_to_certificate (void)
{
  Kat kat;
  SpKeyPair impostor;
  SpSealedRecipient recipient;
  g_autofree uint8_t *out = NULL;
  size_t size;
  size_t len = 0;

  kat_load (&kat);
  g_assert_cmpint (sp_key_pair_generate (&impostor), ==, SP_OK);
  size = SP_SEALED_SENDER_V1_SIZE (g_bytes_get_size (kat.usmc)) + 256;
  out = g_malloc (size);

  g_assert_cmpint (sp_sealed_sender_encrypt_v1 (out, size, &len, &impostor, &kat.recipient.public_key,
                                                test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), NULL), ==, SP_OK);
  g_assert_cmpint (open_as_recipient (&kat, out, len), ==, SP_ERR_IDENTITY_MISMATCH);

  recipient = (SpSealedRecipient) { OTHER_UUID, 2, 1, kat.recipient.public_key };
  {
    g_autofree uint8_t *sent = g_malloc (size);
    size_t sent_len = 0;

    g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_len, &impostor, &recipient, 1,
                                                  test_data_of (kat.usmc), g_bytes_get_size (kat.usmc), NULL), ==, SP_OK);
    g_assert_cmpint (sp_sealed_sender_v2_split (out, size, &len, sent, sent_len, OTHER_UUID, 2), ==, SP_OK);
    g_assert_cmpint (open_as_recipient (&kat, out, len), ==, SP_ERR_IDENTITY_MISMATCH);
  }
  kat_clear (&kat);
}

/* Spec 9.5: refused when the certificate's UUID and device are ours;
 * the same UUID from another device, or another UUID, is fine. */
static void
test_self_send (void)
{
  Kat kat;
  g_autoptr(GBytes) message = NULL;
  g_autofree uint8_t *out = NULL;
  SpSealedContent content;
  SpAddress local;
  size_t len;

  kat_load (&kat);
  message = test_bytes_from_hex (test_kat_string (json_object_get_object_member (kat.root, "v1"), "message"));
  len = g_bytes_get_size (message);
  out = g_malloc (len);

  local = (SpAddress) { KAT_UUID, KAT_DEVICE };
  g_assert_cmpint (sp_sealed_sender_decrypt (&content, out, len, &kat.recipient, &local, &kat.trust_root.public_key,
                                             0, test_data_of (message), len), ==, SP_ERR_SELF_SEND);
  local = (SpAddress) { KAT_UUID, KAT_DEVICE + 1 };
  g_assert_cmpint (sp_sealed_sender_decrypt (&content, out, len, &kat.recipient, &local, &kat.trust_root.public_key,
                                             0, test_data_of (message), len), ==, SP_OK);
  local = (SpAddress) { OTHER_UUID, KAT_DEVICE };
  g_assert_cmpint (sp_sealed_sender_decrypt (&content, out, len, &kat.recipient, &local, &kat.trust_root.public_key,
                                             0, test_data_of (message), len), ==, SP_OK);

  /* Expiry and trust root are checked on the way. */
  g_assert_cmpint (sp_sealed_sender_decrypt (&content, out, len, &kat.recipient, &local, &kat.trust_root.public_key,
                                             kat.expires + 1, test_data_of (message), len), ==, SP_ERR_CERTIFICATE_EXPIRED);
  g_assert_cmpint (sp_sealed_sender_decrypt (&content, out, len, &kat.recipient, &local, &kat.server.public_key,
                                             0, test_data_of (message), len), ==, SP_ERR_INVALID_CERTIFICATE);
  kat_clear (&kat);
}

/* The inner message of a sealed one must come from the certificate's
 * identity; refusing it leaves the session as it was. */
static void
test_session_bound_to_certificate (void)
{
  TestParty *alice = test_party_new ("alice", 1);
  TestParty *bob = test_party_new ("bob", 1);
  SpSessionCipher *alice_cipher = test_cipher_new (alice, bob);
  SpSessionCipher *bob_cipher = test_cipher_new (bob, alice);
  SpPreKeyBundle bundle;
  TestMessage message;
  SpKeyPair other;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  uint8_t plaintext[64];
  size_t len = 0;

  g_assert_cmpint (sp_key_pair_generate (&other), ==, SP_OK);
  test_party_bundle (bob, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice_cipher, &bundle), ==, SP_OK);

  for (int round = 0; round < 2; round++)
    {
      /* First a PreKeySignalMessage, then, acknowledged, a SignalMessage. */
      message = test_encrypt (alice_cipher, "sealed");
      g_assert_cmpint (message.type, ==, round == 0 ? SP_CIPHERTEXT_TYPE_PREKEY : SP_CIPHERTEXT_TYPE_WHISPER);
      before = test_store_snapshot (bob, alice);
      g_assert_cmpint (sp_session_cipher_decrypt_sealed (bob_cipher, message.type, &other.public_key, message.data,
                                                         message.len, plaintext, sizeof plaintext, &len),
                       ==, SP_ERR_IDENTITY_MISMATCH);
      after = test_store_snapshot (bob, alice);
      test_assert_snapshot_equal (before, after);
      g_clear_pointer (&before, g_bytes_unref);
      g_clear_pointer (&after, g_bytes_unref);
      g_assert_cmpint (sp_session_cipher_decrypt_sealed (bob_cipher, message.type, &alice->identity->public_key,
                                                         message.data, message.len, plaintext, sizeof plaintext, &len),
                       ==, SP_OK);
      g_assert_cmpmem (plaintext, len, "sealed", 6);
      test_message_clear (&message);

      message = test_encrypt (bob_cipher, "ack");
      g_assert_cmpint (test_decrypt (alice_cipher, &message, "ack"), ==, SP_OK);
      test_message_clear (&message);
    }

  sp_session_cipher_free (alice_cipher);
  sp_session_cipher_free (bob_cipher);
  test_party_free (alice);
  test_party_free (bob);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/sealed-sender/certificates/known-answer", test_certificates_known_answer);
  g_test_add_func ("/sealed-sender/certificates/libsignal-vectors", test_certificate_libsignal_vectors);
  g_test_add_func ("/sealed-sender/certificates/tampered", test_certificate_tampered);
  g_test_add_func ("/sealed-sender/certificates/revoked", test_revoked_server_certificate);
  g_test_add_func ("/sealed-sender/content/known-answer", test_content_known_answer);
  g_test_add_func ("/sealed-sender/v1/known-answer", test_v1_known_answer);
  g_test_add_func ("/sealed-sender/v2/known-answer", test_v2_known_answer);
  g_test_add_func ("/sealed-sender/v2/several-recipients", test_v2_several_recipients);
  g_test_add_func ("/sealed-sender/v2/split-excluded", test_v2_split_excluded);
  g_test_add_func ("/sealed-sender/identity-bound", test_identity_bound_to_certificate);
  g_test_add_func ("/sealed-sender/self-send", test_self_send);
  g_test_add_func ("/sealed-sender/session-bound", test_session_bound_to_certificate);
  return g_test_run ();
}
