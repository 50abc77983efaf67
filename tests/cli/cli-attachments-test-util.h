/* cli-attachments-test-util.h: what the sotto-cli attachment tests share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "cli-test-util.h"

G_BEGIN_DECLS

/* In every test file, so that a plaintext byte shows wherever it is. */
#define MARKER "SOTTO-ATTACHMENT-MARKER-7f3e"

/* The big file: 150 MB. */
#define BIG_SIZE (150 * 1000 * 1000)

CliTest *new_test            (const char *limits,
                              gboolean    tolerant);
char    *write_file          (CliTest    *test,
                              const char *name,
                              const char *contents,
                              gsize       len);
char    *sha256_of_file      (const char *path);
void     assert_no_plaintext (CliTest    *test,
                              const char *alice,
                              const char *bob);
GBytes  *make_png            (guint       width,
                              guint       height,
                              const char *marker);

G_END_DECLS
