/* relay-test-blob.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-test-util.h"

G_BEGIN_DECLS

/* What the attachment blob tests share: see relay-test-blob.c. */

#define TEST_BLOB_MIB                (1024 * 1024)
/* How long a test waits for what must come before it gives up: far
 * longer than anything takes, because a sanitized relay and PostgreSQL
 * on a loaded machine are slow (a frozen node's lock goes after its
 * 10 s idle timeout, which once took more than 30 s under ASan). */
#define TEST_BLOB_ANSWER_TIMEOUT_US  (90 * G_USEC_PER_SEC)

typedef enum
{
  TEST_BLOB_PART_RANGED = 0,          /* with a Content-Range */
  TEST_BLOB_PART_WHOLE = 1 << 0,      /* without one: the body is the whole blob */
  TEST_BLOB_PART_HEAD_ONLY = 1 << 1,  /* for a part the relay refuses, as it
                                       * answers before it reads any of the body */
} TestBlobPartFlags;

typedef struct
{
  guint    status;
  guint64  length;
  char    *digest;
  char    *content_range;
} TestBlobDownload;

extern const char *test_blob_limits;
extern const char *test_blob_quota_limits;
extern const char *test_blob_expiry_limits;

char         *test_blob_conf_with          (const char *limits);
char         *test_blob_expected_digest    (guint64 first,
                                            guint64 end);
char         *test_blob_create_upload_on   (TestFixture *fixture,
                                            TestRelay   *relay,
                                            TestAccount *account,
                                            guint64      size,
                                            guint       *status);
char         *test_blob_create_upload      (TestFixture *fixture,
                                            TestAccount *account,
                                            guint64      size,
                                            guint       *status);
TestResponse *test_blob_read_answer        (int fd);
int           test_blob_start_part         (TestRelay  *relay,
                                            const char *auth,
                                            const char *id,
                                            guint64     first,
                                            guint64     length,
                                            guint64     total,
                                            gboolean    whole);
int           test_blob_start_admitted_part (TestRelay  *relay,
                                             const char *auth,
                                             const char *id,
                                             guint64     first,
                                             guint64     length,
                                             guint64     total);
void          test_blob_send_bytes         (int     fd,
                                            guint64 first,
                                            guint64 end);
TestResponse *test_blob_put                (TestRelay         *relay,
                                            const char        *auth,
                                            const char        *id,
                                            guint64            first,
                                            guint64            length,
                                            guint64            total,
                                            TestBlobPartFlags  flags);
void          test_blob_assert_part_done   (TestResponse *response,
                                            guint64       offset,
                                            gboolean      complete);
void          test_blob_download_clear     (TestBlobDownload *download);
void          test_blob_download           (TestRelay        *relay,
                                            const char       *auth,
                                            const char       *id,
                                            const char       *range,
                                            TestBlobDownload *result);
void          test_blob_assert_downloads   (TestRelay  *relay,
                                            const char *auth,
                                            const char *id,
                                            guint64     size);
void          test_blob_assert_stranger_sees_nothing (TestFixture *fixture,
                                                      TestRelay   *asked);
JsonObject   *test_blob_upload_status_on   (TestFixture   *fixture,
                                            TestRelay     *relay,
                                            TestAccount   *account,
                                            const char    *id,
                                            TestResponse **holder);
gint64        test_blob_wait_for_offset_on (TestFixture *fixture,
                                            TestRelay   *relay,
                                            TestAccount *account,
                                            const char  *id);
char         *test_blob_path               (TestFixture *fixture,
                                            const char  *id,
                                            const char  *name);
gint64        test_blob_stored_bytes       (TestFixture *fixture,
                                            const char  *id,
                                            gboolean    *committed);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestBlobDownload, test_blob_download_clear)

G_END_DECLS
