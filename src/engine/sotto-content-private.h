/* sotto-content-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_CONTENT_ERROR (sotto_content_error_quark ())

/**
 * SottoContentError:
 * @SOTTO_CONTENT_ERROR_VERSION: written by a newer Sotto in a version this
 *   one does not know
 * @SOTTO_CONTENT_ERROR_MALFORMED: not Sotto content
 */
typedef enum
{
  SOTTO_CONTENT_ERROR_VERSION,
  SOTTO_CONTENT_ERROR_MALFORMED,
} SottoContentError;

/**
 * SottoContentKind:
 * @SOTTO_CONTENT_KIND_TEXT: a text message
 * @SOTTO_CONTENT_KIND_DELIVERY_RECEIPT: the listed messages arrived
 * @SOTTO_CONTENT_KIND_READ_RECEIPT: the listed messages were read
 * @SOTTO_CONTENT_KIND_UNSUPPORTED: a message for the conversation that
 *   only a newer Sotto can show; decoded, never encoded
 * @SOTTO_CONTENT_KIND_IGNORED: a passing signal this Sotto does not act
 *   on (typing, a receipt of a newer type): nothing to show or store;
 *   decoded, never encoded
 * @SOTTO_CONTENT_KIND_PROFILE_KEY: a data message that carries only the
 *   sender's profile key (after the sender set or rotated it): stored
 *   with the contact, never shown
 * @SOTTO_CONTENT_KIND_TIMER: a data message that sets the conversation's
 *   disappearing-message timer (@expire_timer, 0 for off)
 */
typedef enum
{
  SOTTO_CONTENT_KIND_TEXT = 1,
  SOTTO_CONTENT_KIND_DELIVERY_RECEIPT = 2,
  SOTTO_CONTENT_KIND_READ_RECEIPT = 3,
  SOTTO_CONTENT_KIND_UNSUPPORTED = 4,
  SOTTO_CONTENT_KIND_IGNORED = 5,
  SOTTO_CONTENT_KIND_PROFILE_KEY = 6,
  SOTTO_CONTENT_KIND_TIMER = 7,
} SottoContentKind;

/* The version this Sotto writes.  It also reads version 1, the fixed
 * layout of Sotto 0.1 (docs/messenger.md, "Inner content"). */
#define SOTTO_CONTENT_VERSION 2

/* The content level this Sotto shows in full: a data message that
 * requires a higher one is unsupported. */
#define SOTTO_CONTENT_LEVEL 2

/* The level of a text message that disappears (DataMessage.expire_timer):
 * shown from its text alone by an older Sotto, it would be kept forever. */
#define SOTTO_CONTENT_LEVEL_EXPIRE_TIMER 2

/* The longest disappearing-message timer, four weeks in seconds; a
 * longer one is read as this. */
#define SOTTO_CONTENT_MAX_EXPIRE_TIMER (28 * 24 * 3600)

/* Encoded content is a whole number of blocks of this size. */
#define SOTTO_CONTENT_BLOCK_SIZE 160

/* The longest sender and the most receipts in one content; the longest
 * text is SOTTO_MESSAGE_MAX_TEXT. */
#define SOTTO_CONTENT_MAX_SENDER 32
#define SOTTO_CONTENT_MAX_RECEIPTS 1024

/* The length of a profile key (DataMessage.profile_key). */
#define SOTTO_PROFILE_KEY_SIZE 32

/**
 * SottoContent:
 * @kind: what it is
 * @id: the message's UUID, as its sender chose it
 * @timestamp: when the sender wrote it, in milliseconds since the epoch
 * @sender: (nullable): the username the sender claims, for a recipient
 *   who does not know the sender yet
 * @text: for %SOTTO_CONTENT_KIND_TEXT, the text
 * @receipts: for receipts, the UUIDs of the messages they are about
 * @profile_key: (nullable): the sender's profile key, in guarded memory
 *   (sodium_malloc()), which a text message may carry too
 * @expire_timer: for a text, the seconds it lasts once read (0: for
 *   ever); for %SOTTO_CONTENT_KIND_TIMER, the conversation's new timer
 *
 * Unsupported content has an id, a timestamp and perhaps a sender, but
 * neither text nor receipts; ignored content has only an id and a
 * timestamp.
 *
 * The plaintext that the session encrypts.
 */
typedef struct
{
  SottoContentKind kind;
  char *id;
  gint64 timestamp;
  char *sender;
  char *text;
  GStrv receipts;
  guint8 *profile_key;
  guint32 expire_timer;
} SottoContent;

GQuark        sotto_content_error_quark (void);
SottoContent *sotto_content_new_text    (const char         *id,
                                         gint64              timestamp,
                                         const char         *sender,
                                         const char         *text) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_new_receipt (SottoContentKind    kind,
                                         const char         *id,
                                         gint64              timestamp,
                                         const char * const *receipts) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_new_profile_key (const char   *id,
                                           gint64        timestamp,
                                           const guint8  key[SOTTO_PROFILE_KEY_SIZE]) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_new_timer   (const char         *id,
                                         gint64              timestamp,
                                         guint32             seconds) G_GNUC_WARN_UNUSED_RESULT;
void          sotto_content_set_profile_key (SottoContent *content,
                                           const guint8  key[SOTTO_PROFILE_KEY_SIZE]);
void          sotto_content_free        (SottoContent       *content);
GBytes       *sotto_content_encode      (const SottoContent *content) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_decode      (const guint8       *data,
                                         gsize               len,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoContent, sotto_content_free)

G_END_DECLS
