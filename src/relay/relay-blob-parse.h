/* relay-blob-parse.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a client or the data directory says about a blob, read strictly:
 * a blob's id, the Content-Range of an upload's part, the Range of a
 * download, the body that creates an upload, and the metadata the
 * filesystem store keeps beside each blob.  No I/O, so that each can be
 * fuzzed alone (fuzz/fuzz-relay-blob.c).
 */

#pragma once

#include <glib.h>

#include "relay-api.h"

G_BEGIN_DECLS

/* An id is 32 random bytes, in lowercase hex. */
#define RELAY_BLOB_ID_BYTES   32
#define RELAY_BLOB_ID_LENGTH  (2 * RELAY_BLOB_ID_BYTES)

/* Bytes FIRST to LAST, both included, of a blob of TOTAL bytes. */
typedef struct
{
  guint64 first;
  guint64 last;
  guint64 total;
} RelayBlobContentRange;

typedef enum
{
  RELAY_BLOB_RANGE_WHOLE,          /* no range the relay reads: the whole blob */
  RELAY_BLOB_RANGE_PARTIAL,        /* [first, end) */
  RELAY_BLOB_RANGE_UNSATISFIABLE,  /* a range that starts past the end */
} RelayBlobRangeKind;

/* What the store keeps of a blob besides its bytes. */
typedef struct
{
  char    owner[RELAY_UUID_LENGTH + 1];
  guint64 size;        /* declared when the upload was created */
  gint64  created_ms;  /* wall-clock time of the creation */
} RelayBlobMeta;

/* A bound on the text of a RelayBlobMeta. */
#define RELAY_BLOB_META_MAX 128

gboolean            relay_blob_id_is_valid            (const char            *text,
                                                       gsize                  length);
gboolean            relay_blob_content_range_parse    (const char            *text,
                                                       gsize                  length,
                                                       RelayBlobContentRange *range);
RelayBlobRangeKind  relay_blob_range_resolve          (const char            *text,
                                                       gsize                  length,
                                                       guint64                size,
                                                       guint64               *first,
                                                       guint64               *end);
gboolean            relay_blob_create_request_parse   (const char            *data,
                                                       gsize                  length,
                                                       guint64               *size,
                                                       GError               **error);
gsize               relay_blob_meta_format            (const RelayBlobMeta   *meta,
                                                       char                  *out,
                                                       gsize                  out_size);
gboolean            relay_blob_meta_parse             (const char            *text,
                                                       gsize                  length,
                                                       RelayBlobMeta         *meta);

G_END_DECLS
