/* test-content.c: Sotto's inner content format
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-protobuf.h"

#include "sotto-content-private.h"

#include "protocol-test-util.h"

#define ID "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define OTHER_ID "11111111-2222-4333-8444-555555555555"
#define ID_HEX "0f1e2d3c4b5a49788695a4b3c2d1e0f9"
#define OTHER_ID_HEX "11111111222243338444555555555555"

/* The id and timestamp (42) that begin every hand-made version 2
 * Content message below. */
#define HEADER_HEX "0a10" ID_HEX "102a"

/* A DataMessage with the text "Hi", as field 4 of Content. */
#define DATA_HI_HEX "22040a024869"

/* Adds zero bytes to @hex up to a whole number of blocks. */
static GBytes *
padded_from_hex (const char *hex)
{
  g_autoptr(GString) padded = g_string_new (hex);

  while (padded->len % (2 * SOTTO_CONTENT_BLOCK_SIZE) != 0)
    g_string_append (padded, "00");

  return test_bytes_from_hex (padded->str);
}

/* Frames a Content message the way version 2 does: the version byte,
 * the message, the padding marker, zeros. */
static GBytes *
frame_v2 (const guint8 *message,
          gsize         len)
{
  gsize total = (len + 2 + SOTTO_CONTENT_BLOCK_SIZE - 1) / SOTTO_CONTENT_BLOCK_SIZE * SOTTO_CONTENT_BLOCK_SIZE;
  guint8 *data = g_malloc0 (total);

  data[0] = 2;
  if (len > 0)
    memcpy (data + 1, message, len);
  data[1 + len] = 0x80;

  return g_bytes_new_take (data, total);
}

static GBytes *
v2_from_hex (const char *message_hex)
{
  g_autoptr(GBytes) message = test_bytes_from_hex (message_hex);

  return frame_v2 (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
}

static SottoContent *
decode_bytes (GBytes  *bytes,
              GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return sotto_content_decode (data, len, error);
}

static SottoContent *
decode_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  SottoContent *content = decode_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (content);

  return content;
}

static void
assert_refused (GBytes *bytes,
                int     code)
{
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(GError) error = NULL;

  content = decode_bytes (bytes, &error);
  g_assert_error (error, SOTTO_CONTENT_ERROR, code);
  g_assert_null (content);
}

static void
assert_refused_v2 (const char *message_hex)
{
  g_autoptr(GBytes) bytes = v2_from_hex (message_hex);

  assert_refused (bytes, SOTTO_CONTENT_ERROR_MALFORMED);
}

/* The format is pinned byte for byte: two Sotto versions must agree. */
static void
test_content_known_answer (void)
{
  g_autoptr(SottoContent) content = sotto_content_new_text (ID, 0x0102030405060708, "al", "Hi");
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  g_autoptr(GBytes) expected = padded_from_hex ("02"                          /* version */
                                                "0a10" ID_HEX                 /* 1: id */
                                                "10" "888e98a8c0e0808101"     /* 2: timestamp */
                                                "1a02" "616c"                 /* 3: sender */
                                                "2204" "0a02" "4869"          /* 4: data { 1: text } */
                                                "80");                        /* padding marker */

  g_assert_true (g_bytes_equal (encoded, expected));
}

static void
test_content_known_answer_receipt (void)
{
  const char *ids[] = { ID, OTHER_ID, NULL };
  g_autoptr(SottoContent) content = sotto_content_new_receipt (SOTTO_CONTENT_KIND_READ_RECEIPT,
                                                              OTHER_ID, 42, ids);
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  g_autoptr(GBytes) expected = padded_from_hex ("02"
                                                "0a10" OTHER_ID_HEX
                                                "102a"
                                                "2a26"                        /* 5: receipt */
                                                "0802"                        /*   1: read */
                                                "1210" ID_HEX                 /*   2: id */
                                                "1210" OTHER_ID_HEX           /*   2: id */
                                                "80");

  g_assert_true (g_bytes_equal (encoded, expected));
}

/* What Sotto 0.1 wrote, and what a relay may still hold. */
static void
test_content_version_1 (void)
{
  g_autoptr(GBytes) text = padded_from_hex ("01" "01" ID_HEX "0102030405060708"
                                            "02" "616c" "00000002" "4869");
  g_autoptr(GBytes) receipt = padded_from_hex ("01" "03" OTHER_ID_HEX "000000000000002a"
                                               "00" "00000020" ID_HEX OTHER_ID_HEX);
  g_autoptr(SottoContent) decoded_text = decode_ok (text);
  g_autoptr(SottoContent) decoded_receipt = decode_ok (receipt);

  g_assert_cmpint (decoded_text->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded_text->id, ==, ID);
  g_assert_cmpint (decoded_text->timestamp, ==, 0x0102030405060708);
  g_assert_cmpstr (decoded_text->sender, ==, "al");
  g_assert_cmpstr (decoded_text->text, ==, "Hi");

  g_assert_cmpint (decoded_receipt->kind, ==, SOTTO_CONTENT_KIND_READ_RECEIPT);
  g_assert_cmpstr (decoded_receipt->id, ==, OTHER_ID);
  g_assert_cmpint (decoded_receipt->timestamp, ==, 42);
  g_assert_null (decoded_receipt->sender);
  g_assert_cmpuint (g_strv_length (decoded_receipt->receipts), ==, 2);
  g_assert_cmpstr (decoded_receipt->receipts[0], ==, ID);
  g_assert_cmpstr (decoded_receipt->receipts[1], ==, OTHER_ID);
}

static void
test_content_round_trip (void)
{
  const char *texts[] = { "", "a", "Grüße, ✓", "line one\nline two" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(SottoContent) content = sotto_content_new_text (ID, 1767225600000, "alice", texts[i]);
      g_autoptr(SottoContent) anonymous = sotto_content_new_text (OTHER_ID, G_MAXINT64, NULL, texts[i]);
      g_autoptr(GBytes) encoded = sotto_content_encode (content);
      g_autoptr(GBytes) encoded_anonymous = sotto_content_encode (anonymous);
      g_autoptr(SottoContent) decoded = decode_ok (encoded);
      g_autoptr(SottoContent) decoded_anonymous = decode_ok (encoded_anonymous);

      g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
      g_assert_cmpstr (decoded->id, ==, ID);
      g_assert_cmpint (decoded->timestamp, ==, 1767225600000);
      g_assert_cmpstr (decoded->sender, ==, "alice");
      g_assert_cmpstr (decoded->text, ==, texts[i]);
      g_assert_null (decoded->receipts);

      g_assert_cmpstr (decoded_anonymous->id, ==, OTHER_ID);
      g_assert_cmpint (decoded_anonymous->timestamp, ==, G_MAXINT64);
      g_assert_null (decoded_anonymous->sender);
      g_assert_cmpstr (decoded_anonymous->text, ==, texts[i]);
    }
}

static void
test_content_receipts (void)
{
  const char *ids[] = { ID, OTHER_ID, NULL };
  SottoContentKind kinds[] = { SOTTO_CONTENT_KIND_DELIVERY_RECEIPT, SOTTO_CONTENT_KIND_READ_RECEIPT };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(SottoContent) content = sotto_content_new_receipt (kinds[i], OTHER_ID, 42, ids);
      g_autoptr(GBytes) encoded = sotto_content_encode (content);
      g_autoptr(SottoContent) decoded = decode_ok (encoded);

      g_assert_cmpint (decoded->kind, ==, kinds[i]);
      g_assert_cmpstr (decoded->id, ==, OTHER_ID);
      g_assert_null (decoded->sender);
      g_assert_null (decoded->text);
      g_assert_cmpuint (g_strv_length (decoded->receipts), ==, 2);
      g_assert_cmpstr (decoded->receipts[0], ==, ID);
      g_assert_cmpstr (decoded->receipts[1], ==, OTHER_ID);
    }
}

/* The most receipts and the longest text still fit, and decode. */
static void
test_content_limits (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = g_strnfill (SOTTO_MESSAGE_MAX_TEXT, 'x');
  g_autoptr(SottoContent) long_text = sotto_content_new_text (ID, 1, "bob", text);
  g_autoptr(SottoContent) many = NULL;
  g_autoptr(GBytes) encoded_text = sotto_content_encode (long_text);
  g_autoptr(GBytes) encoded_many = NULL;
  g_autoptr(SottoContent) decoded_text = decode_ok (encoded_text);
  g_autoptr(SottoContent) decoded_many = NULL;

  for (guint i = 0; i < SOTTO_CONTENT_MAX_RECEIPTS; i++)
    g_ptr_array_add (ids, g_uuid_string_random ());
  g_ptr_array_add (ids, NULL);

  many = sotto_content_new_receipt (SOTTO_CONTENT_KIND_DELIVERY_RECEIPT, ID, 1,
                                    (const char * const *) ids->pdata);
  encoded_many = sotto_content_encode (many);
  decoded_many = decode_ok (encoded_many);

  g_assert_cmpstr (decoded_text->text, ==, text);
  g_assert_cmpuint (g_strv_length (decoded_many->receipts), ==, SOTTO_CONTENT_MAX_RECEIPTS);
  g_assert_cmpstr (decoded_many->receipts[SOTTO_CONTENT_MAX_RECEIPTS - 1], ==,
                   ids->pdata[SOTTO_CONTENT_MAX_RECEIPTS - 1]);
}

/* Lengths leak only to within a block: the message, the marker, and
 * fewer zeros than a block. */
static void
test_content_padding (void)
{
  gsize previous = 0;

  for (gsize len = 0; len < 1000; len += 7)
    {
      g_autofree char *text = g_strnfill (len, 'x');
      g_autoptr(SottoContent) content = sotto_content_new_text (ID, 1, "bob", text);
      g_autoptr(GBytes) encoded = sotto_content_encode (content);
      gsize size;
      const guint8 *data = g_bytes_get_data (encoded, &size);
      gsize marker = size - 1;

      while (data[marker] == 0)
        marker--;

      g_assert_cmpuint (size % SOTTO_CONTENT_BLOCK_SIZE, ==, 0);
      g_assert_cmphex (data[marker], ==, 0x80);
      g_assert_cmpuint (size - marker - 1, <, SOTTO_CONTENT_BLOCK_SIZE);
      g_assert_cmpuint (marker, >, len);
      g_assert_cmpuint (size, >=, previous);
      previous = size;
    }
}

/* A newer Sotto's fields are skipped wherever they are, in every wire
 * type protobuf still has. */
static void
test_content_unknown_fields (void)
{
  g_autoptr(GBytes) text = v2_from_hex ("a00601"                   /* 100: varint 1 */
                                        HEADER_HEX
                                        "ad0678563412"             /* 101: fixed32 */
                                        "2215"                     /* 4: data */
                                        "7a03" "f09f"              /*   15: an emoji, say */
                                        "80"
                                        "0a02" "4869"              /*   1: text */
                                        "a1060102030405060708"     /*   100: fixed64 */
                                        "4001"                     /*   8: timer */
                                        "1a02" "616c"              /* 3: sender */
                                        "aa0600");                 /* 101: empty bytes */
  g_autoptr(GBytes) receipt = v2_from_hex (HEADER_HEX
                                           "2a18"                  /* 5: receipt */
                                           "1a02" "abcd"           /*   3: unknown */
                                           "0801"                  /*   1: delivery */
                                           "1210" ID_HEX);         /*   2: id */
  g_autoptr(SottoContent) decoded_text = decode_ok (text);
  g_autoptr(SottoContent) decoded_receipt = decode_ok (receipt);

  g_assert_cmpint (decoded_text->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded_text->id, ==, ID);
  g_assert_cmpint (decoded_text->timestamp, ==, 42);
  g_assert_cmpstr (decoded_text->sender, ==, "al");
  g_assert_cmpstr (decoded_text->text, ==, "Hi");

  g_assert_cmpint (decoded_receipt->kind, ==, SOTTO_CONTENT_KIND_DELIVERY_RECEIPT);
  g_assert_cmpuint (g_strv_length (decoded_receipt->receipts), ==, 1);
  g_assert_cmpstr (decoded_receipt->receipts[0], ==, ID);
}

/* Content whose only payload is something this version does not know
 * is a message it cannot show, not an error. */
static void
test_content_unsupported (void)
{
  const char *cases[] = {
    /* A data message with only a field this version does not know. */
    HEADER_HEX "1a02616c" "2206" "7a04" "0a02f09f",
    /* A data message with text that requires content level 4. */
    HEADER_HEX "1a02616c" "2206" "0a024869" "5004",
    /* An empty data message. */
    HEADER_HEX "1a02616c" "2200",
    /* A payload field this version does not know. */
    HEADER_HEX "1a02616c" "3a03" "0a0100",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = v2_from_hex (cases[i]);
      g_autoptr(SottoContent) content = decode_ok (bytes);

      g_assert_cmpint (content->kind, ==, SOTTO_CONTENT_KIND_UNSUPPORTED);
      g_assert_cmpstr (content->id, ==, ID);
      g_assert_cmpint (content->timestamp, ==, 42);
      /* The sender's claim still introduces an unknown sender. */
      g_assert_cmpstr (content->sender, ==, "al");
      g_assert_null (content->text);
      g_assert_null (content->receipts);
    }
}

/* The level this version implements is enough. */
static void
test_content_required_level (void)
{
  g_autoptr(GBytes) bytes = v2_from_hex (HEADER_HEX "2206" "0a024869" "5001");
  g_autoptr(SottoContent) content = decode_ok (bytes);

  g_assert_cmpint (content->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (content->text, ==, "Hi");
}

/* Ephemeral signals of a newer kind, typing this version does not
 * show, and receipts of a newer type are neither shown nor stored. */
static void
test_content_ignored (void)
{
  const char *cases[] = {
    /* Ephemeral { 2: 0 }, without typing. */
    HEADER_HEX "3202" "1000",
    /* Typing { action: 3 }, an action of a newer version. */
    HEADER_HEX "3204" "0a020803",
    /* Typing { } without an action. */
    HEADER_HEX "3202" "0a00",
    /* Typing in a group, which this version does not show. */
    HEADER_HEX "3226" "0a24" "0801" "1220" "1111111111111111111111111111111111111111111111111111111111111111",
    /* A "viewed" receipt. */
    HEADER_HEX "2a14" "0803" "1210" ID_HEX,
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = v2_from_hex (cases[i]);
      g_autoptr(SottoContent) content = decode_ok (bytes);

      g_assert_cmpint (content->kind, ==, SOTTO_CONTENT_KIND_IGNORED);
      g_assert_cmpstr (content->id, ==, ID);
      g_assert_null (content->sender);
      g_assert_null (content->text);
      g_assert_null (content->receipts);
    }
}

static GBytes *
patched (GBytes *bytes,
         gsize   offset,
         guint8  value)
{
  gsize len;
  guint8 *data = g_bytes_unref_to_data (g_bytes_ref (bytes), &len);

  g_assert_cmpuint (offset, <, len);
  data[offset] = value;

  return g_bytes_new_take (data, len);
}

static GBytes *
truncated (GBytes *bytes,
           gsize   len)
{
  return g_bytes_new_from_bytes (bytes, 0, len);
}

/* The frame around the message: version, marker, padding. */
static void
test_content_strict_frame (void)
{
  g_autoptr(SottoContent) content = sotto_content_new_text (ID, 7, "al", "Hi");
  g_autoptr(GBytes) good = sotto_content_encode (content);
  gsize len = g_bytes_get_size (good);
  const guint8 *data = g_bytes_get_data (good, NULL);
  /* The marker follows 1 + 18 + 2 + 4 + 6 bytes. */
  gsize marker = 31;
  g_autoptr(GBytes) newer = patched (good, 0, 3);
  g_autoptr(GBytes) zero_version = patched (good, 0, 0);
  g_autoptr(GBytes) no_marker = patched (good, marker, 0);
  g_autoptr(GBytes) wrong_marker = patched (good, marker, 0x81);
  g_autoptr(GBytes) dirty_padding = patched (good, len - 1, 1);
  g_autoptr(GBytes) short_block = truncated (good, len - 1);
  g_autoptr(GBytes) version_only = truncated (good, 1);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) all_padding = v2_from_hex ("");
  g_autofree guint8 *doubled = g_malloc0 (2 * len);
  g_autoptr(GBytes) extra_block = NULL;

  g_assert_cmphex (data[marker], ==, 0x80);
  memcpy (doubled, data, len);
  extra_block = g_bytes_new (doubled, 2 * len);

  assert_refused (newer, SOTTO_CONTENT_ERROR_VERSION);
  assert_refused (zero_version, SOTTO_CONTENT_ERROR_VERSION);
  assert_refused (no_marker, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (wrong_marker, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (dirty_padding, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (short_block, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (version_only, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (empty, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (all_padding, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (extra_block, SOTTO_CONTENT_ERROR_MALFORMED);
}

/* Every field this version reads is read strictly. */
static void
test_content_strict_fields (void)
{
  const char *cases[] = {
    /* No id; an id of 15 bytes; two ids; an id as a varint. */
    "102a" DATA_HI_HEX,
    "0a0f" "0f1e2d3c4b5a49788695a4b3c2d1e0" "102a" DATA_HI_HEX,
    HEADER_HEX "0a10" ID_HEX DATA_HI_HEX,
    "0801" "102a" DATA_HI_HEX,
    /* No timestamp; one past the largest gint64; two; as bytes. */
    "0a10" ID_HEX DATA_HI_HEX,
    "0a10" ID_HEX "1080808080808080808001" DATA_HI_HEX,
    HEADER_HEX "102a" DATA_HI_HEX,
    "0a10" ID_HEX "12012a" DATA_HI_HEX,
    /* Senders: empty, 33 bytes, a capital, a NUL, twice, as a varint. */
    HEADER_HEX "1a00" DATA_HI_HEX,
    HEADER_HEX "1a21" "616161616161616161616161616161616161616161616161616161616161616161" DATA_HI_HEX,
    HEADER_HEX "1a02416c" DATA_HI_HEX,
    HEADER_HEX "1a026100" DATA_HI_HEX,
    HEADER_HEX "1a02616c" "1a02616c" DATA_HI_HEX,
    HEADER_HEX "1801" DATA_HI_HEX,
    /* A sender on a receipt, and on an ephemeral signal. */
    HEADER_HEX "1a02616c" "2a14" "0801" "1210" ID_HEX,
    HEADER_HEX "1a02616c" "3204" "0a020801",
    /* Two payloads, of different kinds or the same; a payload as a varint. */
    HEADER_HEX DATA_HI_HEX "2a14" "0801" "1210" ID_HEX,
    HEADER_HEX DATA_HI_HEX DATA_HI_HEX,
    HEADER_HEX DATA_HI_HEX "3200",
    HEADER_HEX "2001",
    /* No payload and nothing unknown either. */
    HEADER_HEX,
    /* Text: not UTF-8, a NUL, twice, as a varint; a level as bytes. */
    HEADER_HEX "2204" "0a02ff69",
    HEADER_HEX "2204" "0a024800",
    HEADER_HEX "2208" "0a024869" "0a024869",
    HEADER_HEX "2202" "0801",
    HEADER_HEX "2206" "0a024869" "5200",
    /* Receipts: no type, type 0, two types, a type as bytes, no ids, an
     * id of 15 bytes, an id as a varint. */
    HEADER_HEX "2a12" "1210" ID_HEX,
    HEADER_HEX "2a14" "0800" "1210" ID_HEX,
    HEADER_HEX "2a16" "0801" "0802" "1210" ID_HEX,
    HEADER_HEX "2a15" "0a0101" "1210" ID_HEX,
    HEADER_HEX "2a02" "0801",
    HEADER_HEX "2a13" "0801" "120f" "0f1e2d3c4b5a49788695a4b3c2d1e0",
    HEADER_HEX "2a04" "0801" "1001",
    /* Broken protobuf: a length past the end, at the top and inside the
     * data message; a group, at the top and inside; an over-long varint;
     * field number 0. */
    HEADER_HEX "2205" "0a024869",
    HEADER_HEX "2204" "0a034869",
    HEADER_HEX DATA_HI_HEX "a306" "a406",
    HEADER_HEX "2206" "0a024869" "1b1c",
    HEADER_HEX DATA_HI_HEX "a006" "ffffffffffffffffffff01",
    HEADER_HEX DATA_HI_HEX "0000",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i]);
      assert_refused_v2 (cases[i]);
    }
}

/* A Content message whose data message holds @text_len bytes of "x". */
static GBytes *
v2_with_text_of_length (gsize text_len)
{
  g_autoptr(GBytes) header = test_bytes_from_hex (HEADER_HEX);
  g_autofree char *text = g_strnfill (text_len, 'x');
  gsize data_size = text_len + 16;
  gsize message_size = data_size + 64;
  g_autofree guint8 *data = g_malloc (data_size);
  g_autofree guint8 *message = g_malloc (message_size);
  SpPbWriter writer;
  gsize data_len;
  gsize message_len;

  sp_pb_writer_init (&writer, data, data_size);
  sp_pb_write_bytes (&writer, 1, (const guint8 *) text, text_len);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &data_len), ==, SP_OK);

  memcpy (message, g_bytes_get_data (header, NULL), g_bytes_get_size (header));
  sp_pb_writer_init (&writer, message + g_bytes_get_size (header), message_size - g_bytes_get_size (header));
  sp_pb_write_bytes (&writer, 4, data, data_len);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &message_len), ==, SP_OK);

  return frame_v2 (message, g_bytes_get_size (header) + message_len);
}

/* A receipt Content message with @n_ids ids. */
static GBytes *
v2_with_receipts (guint n_ids)
{
  g_autoptr(GBytes) header = test_bytes_from_hex (HEADER_HEX);
  g_autoptr(GBytes) id = test_bytes_from_hex (ID_HEX);
  gsize receipt_size = 2 + 18 * n_ids;
  gsize message_size = receipt_size + 64;
  g_autofree guint8 *receipt = g_malloc (receipt_size);
  g_autofree guint8 *message = g_malloc (message_size);
  SpPbWriter writer;
  gsize receipt_len;
  gsize message_len;

  sp_pb_writer_init (&writer, receipt, receipt_size);
  sp_pb_write_varint (&writer, 1, 1);
  for (guint i = 0; i < n_ids; i++)
    sp_pb_write_bytes (&writer, 2, g_bytes_get_data (id, NULL), 16);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &receipt_len), ==, SP_OK);

  memcpy (message, g_bytes_get_data (header, NULL), g_bytes_get_size (header));
  sp_pb_writer_init (&writer, message + g_bytes_get_size (header), message_size - g_bytes_get_size (header));
  sp_pb_write_bytes (&writer, 5, receipt, receipt_len);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &message_len), ==, SP_OK);

  return frame_v2 (message, g_bytes_get_size (header) + message_len);
}

/* The bounds of version 1 hold in version 2, exactly at the limit. */
static void
test_content_strict_bounds (void)
{
  g_autoptr(GBytes) longest = v2_with_text_of_length (SOTTO_MESSAGE_MAX_TEXT);
  g_autoptr(GBytes) too_long = v2_with_text_of_length (SOTTO_MESSAGE_MAX_TEXT + 1);
  g_autoptr(GBytes) most = v2_with_receipts (SOTTO_CONTENT_MAX_RECEIPTS);
  g_autoptr(GBytes) too_many = v2_with_receipts (SOTTO_CONTENT_MAX_RECEIPTS + 1);
  g_autoptr(SottoContent) decoded_longest = decode_ok (longest);
  g_autoptr(SottoContent) decoded_most = decode_ok (most);

  g_assert_cmpuint (strlen (decoded_longest->text), ==, SOTTO_MESSAGE_MAX_TEXT);
  g_assert_cmpuint (g_strv_length (decoded_most->receipts), ==, SOTTO_CONTENT_MAX_RECEIPTS);
  assert_refused (too_long, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (too_many, SOTTO_CONTENT_ERROR_MALFORMED);
}

/* Version 1 is still read as strictly as Sotto 0.1 read it. */
static void
test_content_strict_version_1 (void)
{
  g_autoptr(GBytes) good = padded_from_hex ("01" "01" ID_HEX "0000000000000007"
                                            "02" "616c" "00000002" "4869");
  gsize len = g_bytes_get_size (good);
  const guint8 *data = g_bytes_get_data (good, NULL);
  g_autoptr(GBytes) kind = patched (good, 1, 9);
  g_autoptr(GBytes) padding = patched (good, len - 1, 1);
  g_autoptr(GBytes) timestamp = patched (good, 18, 0x80);
  g_autoptr(GBytes) long_sender = patched (good, 26, 33);
  g_autoptr(GBytes) bad_sender = patched (good, 27, 'A');
  g_autoptr(GBytes) long_payload = patched (good, 32, 200);
  g_autoptr(GBytes) short_payload = patched (good, 32, 1);
  g_autoptr(GBytes) nul = patched (good, 33, 0);
  g_autoptr(GBytes) not_utf8 = patched (good, 33, 0xff);
  g_autoptr(GBytes) short_block = truncated (good, len - 1);
  g_autoptr(GBytes) tiny = truncated (good, 20);
  g_autoptr(GBytes) receipt = padded_from_hex ("01" "02" OTHER_ID_HEX "0000000000000007"
                                               "00" "00000010" ID_HEX);
  g_autoptr(GBytes) receipt_with_sender = patched (receipt, 26, 1);
  g_autoptr(GBytes) receipt_empty = patched (receipt, 30, 0);
  g_autoptr(GBytes) receipt_ragged = patched (receipt, 30, 15);
  g_autofree guint8 *doubled = g_malloc0 (2 * len);
  g_autoptr(GBytes) extra_block = NULL;
  g_autoptr(SottoContent) decoded_good = decode_ok (good);
  g_autoptr(SottoContent) decoded_receipt = decode_ok (receipt);

  memcpy (doubled, data, len);
  extra_block = g_bytes_new (doubled, 2 * len);

  /* Unpatched, both are fine. */
  g_assert_cmpint (decoded_good->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpint (decoded_receipt->kind, ==, SOTTO_CONTENT_KIND_DELIVERY_RECEIPT);

  assert_refused (kind, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (padding, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (timestamp, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (long_sender, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (bad_sender, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (long_payload, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (short_payload, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (nul, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (not_utf8, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (short_block, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (tiny, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (extra_block, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (receipt_with_sender, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (receipt_empty, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (receipt_ragged, SOTTO_CONTENT_ERROR_MALFORMED);
}

static SottoContent *
round_trip (const SottoContent *content)
{
  g_autoptr(GBytes) encoded = sotto_content_encode (content);

  g_assert_nonnull (encoded);
  g_assert_cmpuint (g_bytes_get_size (encoded) % SOTTO_CONTENT_BLOCK_SIZE, ==, 0);

  return decode_ok (encoded);
}

/* Typing indicators are pinned byte for byte, survive encoding without
 * a sender, and are read strictly. */
static void
test_content_typing (void)
{
  g_autoptr(SottoContent) started = sotto_content_new_typing (ID, 42, TRUE);
  g_autoptr(SottoContent) stopped = sotto_content_new_typing (ID, 42, FALSE);
  g_autoptr(GBytes) started_bytes = sotto_content_encode (started);
  g_autoptr(GBytes) expected = v2_from_hex (HEADER_HEX "3204" "0a020801");
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(GBytes) unknown = v2_from_hex (HEADER_HEX "3208" "1801" "0a040801" "2000");

  g_assert_true (g_bytes_equal (started_bytes, expected));

  decoded = round_trip (started);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TYPING);
  g_assert_true (decoded->typing_started);
  g_assert_cmpstr (decoded->id, ==, ID);
  g_assert_cmpint (decoded->timestamp, ==, 42);
  g_assert_null (decoded->sender);
  g_assert_null (decoded->text);
  g_clear_pointer (&decoded, sotto_content_free);

  decoded = round_trip (stopped);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TYPING);
  g_assert_false (decoded->typing_started);
  g_clear_pointer (&decoded, sotto_content_free);

  /* Unknown fields around and inside typing are skipped. */
  decoded = decode_ok (unknown);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TYPING);
  g_assert_true (decoded->typing_started);

  /* Typing twice, an action twice or of the wrong wire type, a group
   * id that is not 32 bytes or comes twice, a truncated field, and a
   * sender on a signal that is not a message. */
  assert_refused_v2 (HEADER_HEX "3208" "0a020801" "0a020802");
  assert_refused_v2 (HEADER_HEX "3206" "0a0408010802");
  assert_refused_v2 (HEADER_HEX "3205" "0a03" "0a0101");
  assert_refused_v2 (HEADER_HEX "3202" "0801");
  assert_refused_v2 (HEADER_HEX "3206" "0a04" "1202abcd");
  assert_refused_v2 (HEADER_HEX "3246" "0a44" "1220" "1111111111111111111111111111111111111111111111111111111111111111"
                                                   "1220" "1111111111111111111111111111111111111111111111111111111111111111");
  assert_refused_v2 (HEADER_HEX "3203" "0a0308");
  assert_refused_v2 ("0a10" ID_HEX "102a" "1a02616c" "3204" "0a020801");
}

#define TARGET "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
#define AUTHOR "11111111-2222-4333-8444-555555555555"

/* Replies, reactions, edits and deletions survive encoding, and the
 * ones an older Sotto would misread require level 2. */
static void
test_content_actions (void)
{
  g_autoptr(SottoContent) reply = sotto_content_new_text (ID, 42, "al", "Sure");
  g_autoptr(SottoContent) reaction = sotto_content_new_reaction (ID, 43, "al", TARGET, AUTHOR, "👍🏽");
  g_autoptr(SottoContent) removal = sotto_content_new_reaction (ID, 44, "al", TARGET, NULL, NULL);
  g_autoptr(SottoContent) edit = sotto_content_new_edit (ID, 45, "al", TARGET, "Better words");
  g_autoptr(SottoContent) deletion = sotto_content_new_deletion (ID, 46, "al", TARGET);
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(GBytes) encoded = NULL;
  const guint8 *data;
  gsize len;

  sotto_content_set_quote (reply, TARGET, AUTHOR, "What about lunch?");
  decoded = round_trip (reply);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded->text, ==, "Sure");
  g_assert_cmpstr (decoded->quote_id, ==, TARGET);
  g_assert_cmpstr (decoded->quote_author, ==, AUTHOR);
  g_assert_cmpstr (decoded->quote_text, ==, "What about lunch?");
  g_assert_cmpstr (decoded->sender, ==, "al");
  g_clear_pointer (&decoded, sotto_content_free);

  decoded = round_trip (reaction);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_REACTION);
  g_assert_cmpstr (decoded->emoji, ==, "👍🏽");
  g_assert_cmpstr (decoded->target_id, ==, TARGET);
  g_assert_cmpstr (decoded->target_author, ==, AUTHOR);
  g_assert_cmpint (decoded->timestamp, ==, 43);
  g_clear_pointer (&decoded, sotto_content_free);

  decoded = round_trip (removal);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_REACTION);
  g_assert_null (decoded->emoji);
  g_assert_null (decoded->target_author);
  g_assert_cmpstr (decoded->target_id, ==, TARGET);
  g_clear_pointer (&decoded, sotto_content_free);

  decoded = round_trip (edit);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_EDIT);
  g_assert_cmpstr (decoded->text, ==, "Better words");
  g_assert_cmpstr (decoded->target_id, ==, TARGET);
  g_clear_pointer (&decoded, sotto_content_free);

  decoded = round_trip (deletion);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_DELETION);
  g_assert_cmpstr (decoded->target_id, ==, TARGET);
  g_assert_null (decoded->text);

  /* An edit ends its data message with required_level 2 (field 10),
   * which Sotto 0.2 shows as the placeholder rather than as a new
   * message; a reply does not. */
  encoded = sotto_content_encode (edit);
  data = g_bytes_get_data (encoded, &len);
  while (len > 0 && data[len - 1] == 0)
    len--;
  g_assert_cmpmem (data + len - 3, 3, "\x50\x02\x80", 3);
  g_clear_pointer (&encoded, g_bytes_unref);
  encoded = sotto_content_encode (reply);
  data = g_bytes_get_data (encoded, &len);
  while (len > 0 && data[len - 1] == 0)
    len--;
  g_assert_cmpuint (data[len - 3], !=, 0x50);
}

/* What refers to another message is read strictly. */
static void
test_content_actions_strict (void)
{
  g_autofree char *long_emoji = NULL;
  g_autoptr(GString) emoji_hex = g_string_new (NULL);
  const char *cases[] = {
    /* A reaction without a target. */
    HEADER_HEX "2205" "2a03" "0a0161",
    /* A reaction with neither an emoji nor its removal. */
    HEADER_HEX "2214" "2a12" "1a10" ID_HEX,
    /* A removal that is neither true nor false. */
    HEADER_HEX "2216" "2a14" "1002" "1a10" ID_HEX,
    /* A target of 15 bytes. */
    HEADER_HEX "2213" "3211" "0a0f" "0f1e2d3c4b5a49788695a4b3c2d1e0",
    /* A reaction and a deletion in one message. */
    HEADER_HEX "222b" "2a15" "0a0161" "1a10" ID_HEX "3212" "0a10" ID_HEX,
    /* An edit without text. */
    HEADER_HEX "2214" "3a12" "0a10" ID_HEX,
    /* A deletion naming its target twice. */
    HEADER_HEX "2226" "3224" "0a10" ID_HEX "0a10" ID_HEX,
    /* A quote without the quoted id. */
    HEADER_HEX "220a" "0a024869" "2204" "1a024869",
    /* A quote whose excerpt is not UTF-8. */
    HEADER_HEX "221e" "0a024869" "2218" "0a10" ID_HEX "1a04" "ff00ff00",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = v2_from_hex (cases[i]);

      assert_refused (bytes, SOTTO_CONTENT_ERROR_MALFORMED);
    }

  /* An emoji of 65 bytes is no reaction. */
  for (guint i = 0; i < SOTTO_CONTENT_MAX_EMOJI + 1; i++)
    g_string_append (emoji_hex, "61");
  long_emoji = g_strdup_printf (HEADER_HEX "2257" "2a55" "0a41" "%s" "1a10" ID_HEX, emoji_hex->str);
  {
    g_autoptr(GBytes) bytes = v2_from_hex (long_emoji);

    assert_refused (bytes, SOTTO_CONTENT_ERROR_MALFORMED);
  }
}

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* A profile key travels alone (a key update) or with a text, in
 * DataMessage field 9, pinned byte for byte; it must be 32 bytes. */
static void
test_content_profile_key (void)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (KEY_HEX);
  g_autoptr(SottoContent) alone = sotto_content_new_profile_key (ID, 1, g_bytes_get_data (key, NULL));
  g_autoptr(SottoContent) with_text = sotto_content_new_text (ID, 1, "al", "Hi");
  g_autoptr(GBytes) encoded = sotto_content_encode (alone);
  g_autoptr(GBytes) expected = padded_from_hex ("02" "0a10" ID_HEX "1001"
                                                "2222" "4a20" KEY_HEX    /* 4: data { 9: key } */
                                                "80");
  g_autoptr(GBytes) encoded_text = NULL;
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(SottoContent) decoded_text = NULL;

  g_assert_true (g_bytes_equal (encoded, expected));
  decoded = decode_ok (encoded);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_PROFILE_KEY);
  g_assert_null (decoded->text);
  g_assert_cmpmem (decoded->profile_key, 32, g_bytes_get_data (key, NULL), 32);

  sotto_content_set_profile_key (with_text, g_bytes_get_data (key, NULL));
  encoded_text = sotto_content_encode (with_text);
  decoded_text = decode_ok (encoded_text);
  g_assert_cmpint (decoded_text->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded_text->text, ==, "Hi");
  g_assert_cmpmem (decoded_text->profile_key, 32, g_bytes_get_data (key, NULL), 32);

  /* 31 and 33 bytes, and a key given twice. */
  assert_refused_v2 ("0a10" ID_HEX "1001" "2221" "4a1f" "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e");
  assert_refused_v2 ("0a10" ID_HEX "1001" "2223" "4a21" KEY_HEX "20");
  assert_refused_v2 ("0a10" ID_HEX "1001" "2244" "4a20" KEY_HEX "4a20" KEY_HEX);
}

/* A timer alone sets the conversation's timer, 0 included; a text that
 * disappears says so and requires level 2, which an older Sotto shows as
 * the placeholder; a timer past four weeks reads as four weeks. */
static void
test_content_expire_timer (void)
{
  g_autoptr(SottoContent) timer = sotto_content_new_timer (ID, 1, 300);
  g_autoptr(SottoContent) off = sotto_content_new_timer (ID, 1, 0);
  g_autoptr(SottoContent) text = sotto_content_new_text (ID, 1, NULL, "Hi");
  g_autoptr(GBytes) encoded = sotto_content_encode (timer);
  g_autoptr(GBytes) expected = padded_from_hex ("02" "0a10" ID_HEX "1001"
                                                "2203" "40ac02"        /* 4: data { 8: 300 } */
                                                "80");
  g_autoptr(GBytes) encoded_off = sotto_content_encode (off);
  g_autoptr(GBytes) encoded_text = NULL;
  g_autoptr(GBytes) expected_text = NULL;
  g_autoptr(GBytes) long_timer = NULL;
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(SottoContent) decoded_off = NULL;
  g_autoptr(SottoContent) decoded_text = NULL;
  g_autoptr(SottoContent) decoded_long = NULL;

  g_assert_true (g_bytes_equal (encoded, expected));
  decoded = decode_ok (encoded);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TIMER);
  g_assert_cmpuint (decoded->expire_timer, ==, 300);
  decoded_off = decode_ok (encoded_off);
  g_assert_cmpint (decoded_off->kind, ==, SOTTO_CONTENT_KIND_TIMER);
  g_assert_cmpuint (decoded_off->expire_timer, ==, 0);

  text->expire_timer = 30;
  encoded_text = sotto_content_encode (text);
  expected_text = padded_from_hex ("02" "0a10" ID_HEX "1001"
                                   "2208" "0a024869" "401e" "5002"  /* text, 8: 30, 10: level 2 */
                                   "80");
  g_assert_true (g_bytes_equal (encoded_text, expected_text));
  decoded_text = decode_ok (encoded_text);
  g_assert_cmpint (decoded_text->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpuint (decoded_text->expire_timer, ==, 30);

  long_timer = v2_from_hex ("0a10" ID_HEX "1001" "2205" "4080c0d005");
  decoded_long = decode_ok (long_timer);
  g_assert_cmpuint (decoded_long->expire_timer, ==, SOTTO_CONTENT_MAX_EXPIRE_TIMER);

  /* Twice, the wrong wire type, past 32 bits. */
  assert_refused_v2 ("0a10" ID_HEX "1001" "2204" "401e401e");
  assert_refused_v2 ("0a10" ID_HEX "1001" "2203" "42011e");
  assert_refused_v2 ("0a10" ID_HEX "1001" "2206" "408080808010");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/engine/content/known-answer", test_content_known_answer);
  g_test_add_func ("/engine/content/known-answer-receipt", test_content_known_answer_receipt);
  g_test_add_func ("/engine/content/version-1", test_content_version_1);
  g_test_add_func ("/engine/content/round-trip", test_content_round_trip);
  g_test_add_func ("/engine/content/receipts", test_content_receipts);
  g_test_add_func ("/engine/content/limits", test_content_limits);
  g_test_add_func ("/engine/content/padding", test_content_padding);
  g_test_add_func ("/engine/content/unknown-fields", test_content_unknown_fields);
  g_test_add_func ("/engine/content/unsupported", test_content_unsupported);
  g_test_add_func ("/engine/content/required-level", test_content_required_level);
  g_test_add_func ("/engine/content/ignored", test_content_ignored);
  g_test_add_func ("/engine/content/typing", test_content_typing);
  g_test_add_func ("/engine/content/strict-frame", test_content_strict_frame);
  g_test_add_func ("/engine/content/strict-fields", test_content_strict_fields);
  g_test_add_func ("/engine/content/actions", test_content_actions);
  g_test_add_func ("/engine/content/actions-strict", test_content_actions_strict);
  g_test_add_func ("/engine/content/strict-bounds", test_content_strict_bounds);
  g_test_add_func ("/engine/content/strict-version-1", test_content_strict_version_1);
  g_test_add_func ("/engine/content/profile-key", test_content_profile_key);
  g_test_add_func ("/engine/content/expire-timer", test_content_expire_timer);

  return g_test_run ();
}
