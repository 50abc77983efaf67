/* test-attachment.c: attachments as Signal encrypts them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-aes.h"
#include "sp-attachment.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-kdf.h"

/* The known answers of docs/protocol.md ("Attachments"), made with Node's
 * crypto module (OpenSSL) by tests/interop/lib/attachment.mjs: the key is
 * the bytes 00 01 … 3f, the IV 40 41 … 4f, and plaintext byte i is
 * (i + 1) mod 256.  The first ciphertext block, the MAC and the digest
 * (SHA-256 of the whole blob) pin down every byte of the blob. */
typedef struct {
  size_t      size;
  uint64_t    padded;
  size_t      blob;
  const char *first_block;
  const char *mac;
  const char *digest;
} AttachmentVector;

static const AttachmentVector vectors[] = {
  { 0, 541, 592, "a37edf3f975abaef937b62c78d5bb157",
    "6981d0246e7761221dd003c53655f7b077741f1499aa2219c1af3cfb4f9c3bf8",
    "82c72e712dee957f91f37dfb358198ed8f7f12be8caeb7b25de71387fa2c1f9b" },
  { 1, 541, 592, "d745bdcd17c049b6870f0ada4a1b0a6b",
    "6b63800c1f6e565f79edc15b34eb22ac9a35572b9f5ac5ff6e3c5e6173ca47e6",
    "04d44e0c5a2220ebfa253cf8905c2478b5639514b3521007df9b18815580ba71" },
  { 17, 541, 592, "bf2c771eeb95dd469e1fa09f7de012af",
    "3258c8973873636dfd9c80fb9c6079181a5045e66865c59d9cebdc6583937f30",
    "0b229e60d4ace3542f1902794bea813eb369999d4dbb973e7ef3050c0e2f34f2" },
  { 541, 541, 592, "bf2c771eeb95dd469e1fa09f7de012af",
    "a482c15784b59d72b35fa6f6aa45a5381eb1af0f811b92e5261444f815f99bb5",
    "2ae2d9f7750f6c0ce26b949827559b0fd93a7ef4481185069a3b2ca747272a64" },
  { 542, 568, 624, "bf2c771eeb95dd469e1fa09f7de012af",
    "e404b37ec2c6518d5efe7dbceebefaf07b78e5ea71bae4fbf9ba80071c71b8b8",
    "7db797ea3d32a7458e5595bd37bbffc104cf62adf77b0af24d38a43facbe9324" },
  { 4096, 4201, 4256, "bf2c771eeb95dd469e1fa09f7de012af",
    "5344274f1b8b9273b6c4a446c3957127b8b9617a50da5cc3e1b4445e35ae0e8d",
    "06da2efd8c641e3da6cad7264dd3a57c645b744d64a6daa50bb988ea14a51a67" },
};

/* Every bucket from 541 to the first above SP_ATTACHMENT_MAX_SIZE:
 * floor (21^k / 20^k) in exact integer arithmetic (Python), without
 * repeats.  Signal computes the buckets in doubles; these are what it
 * means to compute. */
static const uint64_t exact_buckets[] = {
  541, 568, 596, 626, 657, 690, 725, 761,
  799, 839, 881, 925, 972, 1020, 1071, 1125,
  1181, 1240, 1302, 1367, 1436, 1507, 1583, 1662,
  1745, 1832, 1924, 2020, 2121, 2227, 2339, 2456,
  2579, 2708, 2843, 2985, 3134, 3291, 3456, 3629,
  3810, 4001, 4201, 4411, 4631, 4863, 5106, 5361,
  5629, 5911, 6207, 6517, 6843, 7185, 7544, 7921,
  8318, 8733, 9170, 9629, 10110, 10616, 11146, 11704,
  12289, 12903, 13549, 14226, 14937, 15684, 16469, 17292,
  18157, 19065, 20018, 21019, 22070, 23173, 24332, 25549,
  26826, 28167, 29576, 31054, 32607, 34238, 35950, 37747,
  39634, 41616, 43697, 45882, 48176, 50585, 53114, 55770,
  58558, 61486, 64561, 67789, 71178, 74737, 78474, 82398,
  86518, 90843, 95386, 100155, 105163, 110421, 115942, 121739,
  127826, 134217, 140928, 147975, 155373, 163142, 171299, 179864,
  188858, 198300, 208215, 218626, 229558, 241036, 253087, 265742,
  279029, 292980, 307629, 323011, 339161, 356119, 373925, 392622,
  412253, 432866, 454509, 477234, 501096, 526151, 552458, 580081,
  609086, 639540, 671517, 705093, 740347, 777365, 816233, 857045,
  899897, 944892, 992136, 1041743, 1093831, 1148522, 1205948, 1266246,
  1329558, 1396036, 1465838, 1539130, 1616086, 1696890, 1781735, 1870822,
  1964363, 2062581, 2165710, 2273996, 2387695, 2507080, 2632434, 2764056,
  2902259, 3047372, 3199740, 3359727, 3527714, 3704100, 3889305, 4083770,
  4287958, 4502356, 4727474, 4963848, 5212040, 5472642, 5746274, 6033588,
  6335268, 6652031, 6984633, 7333864, 7700558, 8085585, 8489865, 8914358,
  9360076, 9828080, 10319484, 10835458, 11377231, 11946092, 12543397, 13170567,
  13829095, 14520550, 15246578, 16008907, 16809352, 17649820, 18532311, 19458926,
  20431872, 21453466, 22526139, 23652446, 24835069, 26076822, 27380663, 28749697,
  30187181, 31696540, 33281368, 34945436, 36692708, 38527343, 40453710, 42476396,
  44600216, 46830227, 49171738, 51630325, 54211841, 56922433, 59768555, 62756983,
  65894832, 69189573, 72649052, 76281505, 80095580, 84100359, 88305377, 92720646,
  97356678, 102224512, 107335738, 112702525, 118337651, 124254533, 130467260, 136990623,
  143840154, 151032162, 158583770, 166512959, 174838607, 183580537, 192759564, 202397542,
  212517419, 223143290, 234300455, 246015478, 258316252, 271232064, 284793667, 299033351,
  313985018, 329684269, 346168483, 363476907, 381650752, 400733290, 420769954, 441808452,
  463898875, 487093819, 511448510, 537020935, 563871982, 592065581, 621668860, 652752303,
  685389918, 719659414, 755642385, 793424504, 833095729, 874750516, 918488042, 964412444,
  1012633066, 1063264719, 1116427955, 1172249353, 1230861821, 1292404912, 1357025157, 1424876415,
  1496120236, 1570926248, 1649472560, 1731946188, 1818543498, 1909470673, 2004944206, 2105191417,
  2210450988, 2320973537, 2437022214, 2558873325, 2686816991, 2821157841, 2962215733, 3110326519,
  3265842845, 3429134988, 3600591737, 3780621324, 3969652390, 4168135010, 4376541760,
};

static void
vector_inputs (uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
               uint8_t  iv[SP_ATTACHMENT_IV_SIZE],
               uint8_t *plaintext,
               size_t   size)
{
  for (size_t i = 0; i < SP_ATTACHMENT_KEY_SIZE; i++)
    key[i] = (uint8_t) i;
  for (size_t i = 0; i < SP_ATTACHMENT_IV_SIZE; i++)
    iv[i] = (uint8_t) (0x40 + i);
  for (size_t i = 0; i < size; i++)
    plaintext[i] = (uint8_t) (i + 1);
}

/* SHA-256 through GLib, apart from the core's libgcrypt. */
static void
sha256 (uint8_t        out[32],
        const uint8_t *data,
        size_t         len)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize out_len = 32;

  g_checksum_update (checksum, data, (gssize) len);
  g_checksum_get_digest (checksum, out, &out_len);
  g_assert_cmpuint (out_len, ==, 32);
}

static void
assert_filled (const uint8_t *buffer,
               size_t         len,
               uint8_t        fill)
{
  for (size_t i = 0; i < len; i++)
    g_assert_cmpuint (buffer[i], ==, fill);
}

/* A random key, IV and plaintext of @size bytes, encrypted in one go. */
typedef struct {
  uint8_t  key[SP_ATTACHMENT_KEY_SIZE];
  uint8_t  iv[SP_ATTACHMENT_IV_SIZE];
  uint8_t  digest[SP_ATTACHMENT_DIGEST_SIZE];
  uint8_t *plaintext;
  size_t   size;
  uint8_t *blob;
  size_t   blob_len;
} Sample;

static void
sample_init (Sample *sample,
             size_t  size)
{
  randombytes_buf (sample->key, sizeof sample->key);
  randombytes_buf (sample->iv, sizeof sample->iv);
  sample->size = size;
  sample->plaintext = g_malloc (size + 1);
  randombytes_buf (sample->plaintext, size);
  sample->blob_len = (size_t) sp_attachment_blob_size (size);
  sample->blob = g_malloc (sample->blob_len);
  g_assert_cmpint (sp_attachment_encrypt (sample->blob, sample->blob_len, &sample->blob_len, sample->digest,
                                          sample->key, sample->iv, sample->plaintext, size, 0), ==, SP_OK);
}

static void
sample_clear (Sample *sample)
{
  g_free (sample->plaintext);
  g_free (sample->blob);
}

static void
test_vectors (void)
{
  for (size_t v = 0; v < G_N_ELEMENTS (vectors); v++)
    {
      const AttachmentVector *vector = &vectors[v];
      uint8_t key[SP_ATTACHMENT_KEY_SIZE], iv[SP_ATTACHMENT_IV_SIZE];
      uint8_t digest[SP_ATTACHMENT_DIGEST_SIZE], hashed[32];
      g_autofree uint8_t *plaintext = g_malloc (vector->size + 1);
      g_autofree uint8_t *blob = g_malloc (vector->blob);
      g_autofree uint8_t *back = g_malloc (vector->size + 1);
      size_t blob_len = 0, back_len = 0;

      g_test_message ("vector of %zu bytes", vector->size);
      vector_inputs (key, iv, plaintext, vector->size);
      g_assert_cmpuint (sp_attachment_padded_size (vector->size), ==, vector->padded);
      g_assert_cmpuint (sp_attachment_blob_size (vector->size), ==, vector->blob);

      g_assert_cmpint (sp_attachment_encrypt (blob, vector->blob, &blob_len, digest, key, iv,
                                              plaintext, vector->size, 0), ==, SP_OK);
      g_assert_cmpuint (blob_len, ==, vector->blob);
      g_assert_cmpmem (blob, SP_ATTACHMENT_IV_SIZE, iv, sizeof iv);
      test_assert_hex (blob + SP_ATTACHMENT_IV_SIZE, 16, vector->first_block);
      test_assert_hex (blob + blob_len - SP_ATTACHMENT_MAC_SIZE, SP_ATTACHMENT_MAC_SIZE, vector->mac);
      test_assert_hex (digest, sizeof digest, vector->digest);
      sha256 (hashed, blob, blob_len);
      g_assert_cmpmem (hashed, sizeof hashed, digest, sizeof digest);

      g_assert_cmpint (sp_attachment_decrypt (back, vector->size, &back_len, key, digest, vector->size,
                                              blob, blob_len, 0), ==, SP_OK);
      g_assert_cmpmem (back, back_len, plaintext, vector->size);
    }
}

/* Signal's formula in doubles gives the exact bucket on both sides of
 * every edge up to the limit. */
static void
test_buckets (void)
{
  for (uint64_t size = 0; size <= SP_ATTACHMENT_MIN_PADDED_SIZE; size++)
    g_assert_cmpuint (sp_attachment_padded_size (size), ==, SP_ATTACHMENT_MIN_PADDED_SIZE);

  for (size_t i = 1; i < G_N_ELEMENTS (exact_buckets); i++)
    {
      uint64_t below = exact_buckets[i - 1];
      uint64_t bucket = exact_buckets[i];

      g_assert_cmpuint (sp_attachment_padded_size (below + 1), ==, bucket);
      g_assert_cmpuint (sp_attachment_padded_size ((below + bucket) / 2), ==, bucket);
      if (bucket <= SP_ATTACHMENT_MAX_SIZE)
        {
          g_assert_cmpuint (sp_attachment_padded_size (bucket - 1), ==, bucket);
          g_assert_cmpuint (sp_attachment_padded_size (bucket), ==, bucket);
        }
    }

  g_assert_cmpuint (exact_buckets[G_N_ELEMENTS (exact_buckets) - 2], <, SP_ATTACHMENT_MAX_SIZE);
  g_assert_cmpuint (sp_attachment_padded_size (SP_ATTACHMENT_MAX_SIZE), ==,
                    exact_buckets[G_N_ELEMENTS (exact_buckets) - 1]);
  g_assert_cmpuint (sp_attachment_padded_size (SP_ATTACHMENT_MAX_SIZE + 1), ==, 0);
  g_assert_cmpuint (sp_attachment_blob_size (SP_ATTACHMENT_MAX_SIZE + 1), ==, 0);
  g_assert_cmpuint (sp_attachment_blob_size (0), ==, 16 + 544 + 32);
  /* A bucket that is a whole number of blocks gets a whole PKCS#7 block. */
  g_assert_cmpuint (sp_attachment_blob_size (3456), ==, 16 + 3456 + 16 + 32);
  g_assert_cmpuint (sp_attachment_blob_size (2020), ==, 16 + 2020 + 12 + 32);
  g_assert_cmpuint (sp_attachment_blob_size (exact_buckets[G_N_ELEMENTS (exact_buckets) - 1]), ==, 0);
}

/* Every way of cutting the input gives the one-shot blob and back. */
static void
test_streaming (void)
{
  static const size_t sizes[] = { 0, 15, 541, 1000, 4096 };

  for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      Sample sample;

      sample_init (&sample, sizes[s]);
      /* Below 48 the encryptor's final step gets the 48-byte minimum. */
      for (size_t chunk = 1; chunk <= 100; chunk += (chunk < 40 ? 1 : 15))
        {
          g_autofree uint8_t *blob = g_malloc (sample.blob_len);
          g_autofree uint8_t *back = g_malloc (sample.size + 1);
          uint8_t digest[SP_ATTACHMENT_DIGEST_SIZE];
          size_t blob_len = 0, back_len = 0;

          g_assert_cmpint (sp_attachment_encrypt (blob, sample.blob_len, &blob_len, digest, sample.key, sample.iv,
                                                  sample.plaintext, sample.size, chunk), ==, SP_OK);
          g_assert_cmpmem (blob, blob_len, sample.blob, sample.blob_len);
          g_assert_cmpmem (digest, sizeof digest, sample.digest, sizeof sample.digest);

          g_assert_cmpint (sp_attachment_decrypt (back, sample.size, &back_len, sample.key, sample.digest,
                                                  sample.size, blob, blob_len, chunk), ==, SP_OK);
          g_assert_cmpmem (back, back_len, sample.plaintext, sample.size);

          memset (back, 0, sample.size + 1);
          g_assert_cmpint (sp_attachment_decrypt_one_pass (back, sample.size, &back_len, sample.key, sample.digest,
                                                           sample.size, blob, blob_len, chunk), ==, SP_OK);
          g_assert_cmpmem (back, back_len, sample.plaintext, sample.size);
        }
      sample_clear (&sample);
    }
}

/* Calls out of order or with too little room are refused, and a stream
 * that failed stays failed. */
static void
test_misuse (void)
{
  SpAttachmentEncryptor *encryptor = NULL;
  SpAttachmentDecryptor *decryptor = NULL;
  uint8_t out[128], digest[SP_ATTACHMENT_DIGEST_SIZE];
  size_t len = 0;
  bool done = false;
  Sample sample;

  sample_init (&sample, 40);

  g_assert_cmpint (sp_attachment_encryptor_new (&encryptor, sample.key, sample.iv, SP_ATTACHMENT_MAX_SIZE + 1),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_attachment_encryptor_new (&encryptor, sample.key, sample.iv, 40), ==, SP_OK);
  /* The IV and two blocks need 48 bytes. */
  g_assert_cmpint (sp_attachment_encryptor_update (encryptor, out, 47, &len, sample.plaintext, 32),
                   ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpint (sp_attachment_encryptor_update (encryptor, out, 48, &len, sample.plaintext, 32), ==, SP_OK);
  g_assert_cmpuint (len, ==, 48);
  g_assert_cmpint (sp_attachment_encryptor_final (encryptor, out, sizeof out, &len, digest, &done),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_attachment_encryptor_update (encryptor, out, sizeof out, &len, sample.plaintext, 9),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_attachment_encryptor_update (encryptor, out, sizeof out, &len, sample.plaintext + 32, 8),
                   ==, SP_OK);
  g_assert_cmpint (sp_attachment_encryptor_final (encryptor, out, SP_ATTACHMENT_FINAL_MIN_SIZE - 1, &len,
                                                  digest, &done), ==, SP_ERR_BUFFER_TOO_SMALL);
  /* Once the padding has begun, no more plaintext. */
  g_assert_cmpint (sp_attachment_encryptor_final (encryptor, out, SP_ATTACHMENT_FINAL_MIN_SIZE, &len, digest, &done),
                   ==, SP_OK);
  g_assert_false (done);
  g_assert_cmpint (sp_attachment_encryptor_update (encryptor, out, sizeof out, &len, sample.plaintext, 1),
                   ==, SP_ERR_INVALID_ARGUMENT);
  sp_attachment_encryptor_free (encryptor);
  sp_attachment_encryptor_free (NULL);

  g_assert_cmpint (sp_attachment_decryptor_new (&decryptor, sample.key, sample.digest, 40), ==, SP_OK);
  /* Once the first pass has begun, no decryption until it is over. */
  g_assert_cmpint (sp_attachment_decryptor_verify (decryptor, sample.blob, 16), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_update (decryptor, out, sizeof out, &len, sample.blob + 16, 16),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_attachment_decryptor_verify (decryptor, sample.blob + 16, sample.blob_len - 16), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_verify_final (decryptor), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_verify (decryptor, sample.blob, 1), ==, SP_ERR_INVALID_ARGUMENT);
  /* The IV and three blocks hold 40 bytes of data: room for 39 is too
   * little, and consumes nothing. */
  g_assert_cmpint (sp_attachment_decryptor_update (decryptor, out, 39, &len, sample.blob, 64),
                   ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpint (sp_attachment_decryptor_update (decryptor, out, 40, &len, sample.blob, 64), ==, SP_OK);
  g_assert_cmpmem (out, len, sample.plaintext, 40);
  g_assert_cmpint (sp_attachment_decryptor_final (decryptor), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_attachment_decryptor_update (decryptor, out, sizeof out, &len, sample.blob + 64, 1),
                   ==, SP_ERR_INVALID_ARGUMENT);
  sp_attachment_decryptor_free (decryptor);
  sp_attachment_decryptor_free (NULL);

  /* Once one pass has begun, no first pass. */
  g_assert_cmpint (sp_attachment_decryptor_new (&decryptor, sample.key, sample.digest, 40), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_update (decryptor, out, sizeof out, &len, sample.blob, 16), ==, SP_OK);
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpint (sp_attachment_decryptor_verify (decryptor, sample.blob + 16, 16), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_attachment_decryptor_verify_final (decryptor), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_attachment_decryptor_final (decryptor), ==, SP_ERR_MALFORMED);
  sp_attachment_decryptor_free (decryptor);

  g_assert_cmpint (sp_attachment_decryptor_new (&decryptor, sample.key, sample.digest, SP_ATTACHMENT_MAX_SIZE + 1),
                   ==, SP_ERR_INVALID_ARGUMENT);
  sample_clear (&sample);
}

/* One pass refuses @blob with @expected, and wipes the @size bytes it
 * may have written, and only those. */
static void
assert_one_pass_refuses (const Sample  *sample,
                         const uint8_t  digest[SP_ATTACHMENT_DIGEST_SIZE],
                         size_t         size,
                         const uint8_t *blob,
                         size_t         blob_len,
                         size_t         chunk,
                         int            expected)
{
  g_autofree uint8_t *out = g_malloc (size + 1);
  size_t len = 0;

  memset (out, 0xcc, size + 1);
  g_assert_cmpint (sp_attachment_decrypt_one_pass (out, size, &len, sample->key, digest, size, blob, blob_len, chunk),
                   ==, expected);
  assert_filled (out, size, 0);
  g_assert_cmpuint (out[size], ==, 0xcc);
}

/* A blob refused for its length, digest or MAC leaves the output alone;
 * one pass refuses it with the same error, and wipes what it wrote. */
static void
test_refused_untouched (void)
{
  uint8_t digest[SP_ATTACHMENT_DIGEST_SIZE], out[17];
  size_t len = 0;
  Sample sample;

  sample_init (&sample, sizeof out);

  for (size_t i = 0; i < sample.blob_len; i++)
    {
      g_autofree uint8_t *damaged = g_memdup2 (sample.blob, sample.blob_len);

      damaged[i] ^= (uint8_t) (1u << (i % 8));
      memset (out, 0xcc, sizeof out);
      g_assert_cmpint (sp_attachment_decrypt (out, sizeof out, &len, sample.key, sample.digest, sizeof out,
                                              damaged, sample.blob_len, i % 40), ==, SP_ERR_BAD_DIGEST);
      assert_filled (out, sizeof out, 0xcc);
      assert_one_pass_refuses (&sample, sample.digest, sizeof out, damaged, sample.blob_len, i % 40,
                               SP_ERR_BAD_DIGEST);

      /* With a digest of the damaged blob, only its sender could give. */
      sha256 (digest, damaged, sample.blob_len);
      g_assert_cmpint (sp_attachment_decrypt (out, sizeof out, &len, sample.key, digest, sizeof out,
                                              damaged, sample.blob_len, i % 40), ==, SP_ERR_BAD_MAC);
      assert_filled (out, sizeof out, 0xcc);
      assert_one_pass_refuses (&sample, digest, sizeof out, damaged, sample.blob_len, i % 40, SP_ERR_BAD_MAC);
    }

  for (size_t cut = 0; cut < sample.blob_len; cut += 13)
    {
      sha256 (digest, sample.blob, cut);
      g_assert_cmpint (sp_attachment_decrypt (out, sizeof out, &len, sample.key, digest, sizeof out,
                                              sample.blob, cut, 0), ==, SP_ERR_MALFORMED);
      assert_filled (out, sizeof out, 0xcc);
      assert_one_pass_refuses (&sample, digest, sizeof out, sample.blob, cut, 0, SP_ERR_MALFORMED);
    }

  /* Too little room is the caller's mistake, told before anything is
   * written, in either form. */
  g_assert_cmpint (sp_attachment_decrypt (out, sizeof out - 1, &len, sample.key, sample.digest, sizeof out,
                                          sample.blob, sample.blob_len, 0), ==, SP_ERR_BUFFER_TOO_SMALL);
  assert_filled (out, sizeof out, 0xcc);
  g_assert_cmpint (sp_attachment_decrypt_one_pass (out, sizeof out - 1, &len, sample.key, sample.digest, sizeof out,
                                                   sample.blob, sample.blob_len, 0), ==, SP_ERR_BUFFER_TOO_SMALL);
  assert_filled (out, sizeof out, 0xcc);
  sample_clear (&sample);
}

/* The blob's bytes change between the two passes: the second pass
 * notices, so what it released is discarded. */
static void
test_changed_between_passes (void)
{
  SpAttachmentDecryptor *decryptor = NULL;
  g_autofree uint8_t *changed = NULL;
  uint8_t out[1000 + 16];
  size_t len = 0;
  Sample sample;

  sample_init (&sample, 1000);
  changed = g_memdup2 (sample.blob, sample.blob_len);
  changed[500] ^= 0x01;

  g_assert_cmpint (sp_attachment_decryptor_new (&decryptor, sample.key, sample.digest, 1000), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_verify (decryptor, sample.blob, sample.blob_len), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_verify_final (decryptor), ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_update (decryptor, out, sizeof out, &len, changed, sample.blob_len),
                   ==, SP_OK);
  g_assert_cmpint (sp_attachment_decryptor_final (decryptor), ==, SP_ERR_BAD_DIGEST);
  sp_attachment_decryptor_free (decryptor);
  sample_clear (&sample);
}

/* A blob with a good MAC around bad padding, as only a sender can make:
 * the 541-byte bucket of a 17-byte plaintext, then PKCS#7 (3 bytes).
 * @padded is the 544 bytes to encrypt as they are. */
static int
decrypt_padded (const uint8_t  padded[544],
                uint64_t       size,
                uint8_t       *out,
                size_t         out_size,
                size_t         chunk)
{
  uint8_t key[SP_ATTACHMENT_KEY_SIZE], digest[SP_ATTACHMENT_DIGEST_SIZE];
  uint8_t blob[16 + 560 + 32];
  uint8_t one_pass[560];
  size_t len = 0;
  int rc;

  for (size_t i = 0; i < sizeof key; i++)
    key[i] = (uint8_t) (3 * i);
  memset (blob, 0x77, 16);
  /* CBC encrypts each block after the ones before it, so the first 544
   * bytes of the PKCS#7 encryption are the encryption of @padded alone. */
  g_assert_cmpint (sp_aes256_cbc_encrypt (blob + 16, 560, &len, key, blob, padded, 544), ==, SP_OK);
  g_assert_cmpint (sp_hmac_sha256 (blob + 16 + 544, key + 32, 32, blob, 16 + 544), ==, SP_OK);
  sha256 (digest, blob, 16 + 544 + 32);
  rc = sp_attachment_decrypt (out, out_size, &len, key, digest, size, blob, 16 + 544 + 32, chunk);
  /* One pass judges the padding as two do, and decrypts the same. */
  g_assert_cmpint (sp_attachment_decrypt_one_pass (one_pass, sizeof one_pass, &len, key, digest, size,
                                                   blob, 16 + 544 + 32, chunk), ==, rc);
  if (rc == SP_OK)
    g_assert_cmpmem (one_pass, len, out, size);
  else
    assert_filled (one_pass, size, 0);
  return rc;
}

static void
test_bad_padding (void)
{
  uint8_t padded[544], damaged[544], out[18];

  memset (padded, 0, sizeof padded);
  for (size_t i = 0; i < 17; i++)
    padded[i] = (uint8_t) (0xa0 + i);
  memset (padded + 541, 3, 3);
  g_assert_cmpint (decrypt_padded (padded, 17, out, 17, 0), ==, SP_OK);
  g_assert_cmpmem (out, 17, padded, 17);

  for (size_t i = 17; i < sizeof padded; i++)
    {
      memcpy (damaged, padded, sizeof padded);
      damaged[i] ^= (uint8_t) (1u << (i % 8));
      memset (out, 0xcc, sizeof out);
      g_assert_cmpint (decrypt_padded (damaged, 17, out, 17, i % 50), ==, SP_ERR_BAD_PADDING);
      /* What was decrypted before the padding was found bad is wiped. */
      assert_filled (out, 17, 0);
    }

  /* One short: the last data byte would be padding.  One long: a zero of
   * the padding becomes data, which the sender could have sent anyway. */
  g_assert_cmpint (decrypt_padded (padded, 16, out, 17, 0), ==, SP_ERR_BAD_PADDING);
  g_assert_cmpint (decrypt_padded (padded, 18, out, 18, 0), ==, SP_OK);
  g_assert_cmpmem (out, 18, padded, 18);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/attachment/vectors", test_vectors);
  g_test_add_func ("/protocol/attachment/buckets", test_buckets);
  g_test_add_func ("/protocol/attachment/streaming", test_streaming);
  g_test_add_func ("/protocol/attachment/misuse", test_misuse);
  g_test_add_func ("/protocol/attachment/refused-untouched", test_refused_untouched);
  g_test_add_func ("/protocol/attachment/changed-between-passes", test_changed_between_passes);
  g_test_add_func ("/protocol/attachment/bad-padding", test_bad_padding);

  return g_test_run ();
}
