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

/* A file whose upload takes several progress reports (every
 * SOTTO_ATTACHMENT_PROGRESS_INTERVAL_MS) even at a few hundred MB/s. */
#define MODEL_PROGRESS_SIZE (100 * 1000 * 1000)

/* Alice's message to Bob with a file of MODEL_PROGRESS_SIZE bytes, whose
 * upload the relay going away cut short at a quarter; after the relay
 * came back, her profile open again in this process, with the message's
 * attachment as a view reads it from the store. */
typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
  SottoConversation *conversation;
  SottoMessage *message;
  SottoAttachment *attachment;
  char *partial;   /* the relay's part of the blob */
} Resumed;

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
guint64  file_size           (const char *path);
char    *send_cut_off        (CliTest    *test,
                              const char *sender,
                              const char *text,
                              const char *path,
                              guint64     cut_after);

void     resumed_load        (Resumed    *resumed,
                              const char *alice,
                              const char *text);
void     resumed_open        (Resumed    *resumed,
                              CliTest    *test,
                              const char *alice,
                              const char *bob,
                              const char *text);
void     resumed_flush       (Resumed    *resumed);
void     resumed_unload      (Resumed    *resumed);
void     resumed_close       (Resumed    *resumed);

G_END_DECLS
