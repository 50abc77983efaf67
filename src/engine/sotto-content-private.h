/* sotto-content-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sp-protobuf.h"

#include "sotto-content-attachment-private.h"
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
 * @SOTTO_CONTENT_KIND_REACTION: a reaction to @target_id, or its removal
 * @SOTTO_CONTENT_KIND_EDIT: @text replaces the text of @target_id
 * @SOTTO_CONTENT_KIND_DELETION: @target_id is deleted for everyone
 * @SOTTO_CONTENT_KIND_PROFILE_KEY: a data message that carries only the
 *   sender's profile key (after the sender set or rotated it): stored
 *   with the contact, never shown
 * @SOTTO_CONTENT_KIND_TIMER: a data message that sets the conversation's
 *   disappearing-message timer (@expire_timer, 0 for off)
 * @SOTTO_CONTENT_KIND_GROUP_UPDATE: changes to the group @group_id
 *   (@group_updates), or its history for a new member
 * @SOTTO_CONTENT_KIND_GROUP_SENDER_KEY: the sender's sender key for the
 *   group @group_id (@group_sender_key, a SenderKeyDistributionMessage)
 * @SOTTO_CONTENT_KIND_TYPING: the sender started or stopped typing
 *   (@typing_started); ephemeral, never stored
 */
typedef enum
{
  SOTTO_CONTENT_KIND_TEXT = 1,
  SOTTO_CONTENT_KIND_DELIVERY_RECEIPT = 2,
  SOTTO_CONTENT_KIND_READ_RECEIPT = 3,
  SOTTO_CONTENT_KIND_UNSUPPORTED = 4,
  SOTTO_CONTENT_KIND_IGNORED = 5,
  SOTTO_CONTENT_KIND_REACTION = 6,
  SOTTO_CONTENT_KIND_EDIT = 7,
  SOTTO_CONTENT_KIND_DELETION = 8,
  SOTTO_CONTENT_KIND_PROFILE_KEY = 9,
  SOTTO_CONTENT_KIND_TIMER = 10,
  SOTTO_CONTENT_KIND_GROUP_UPDATE = 20,
  SOTTO_CONTENT_KIND_GROUP_SENDER_KEY = 21,
  SOTTO_CONTENT_KIND_TYPING = 11,
} SottoContentKind;

/* The version this Sotto writes.  It also reads version 1, the fixed
 * layout of Sotto 0.1 (docs/messenger.md, "Inner content"). */
#define SOTTO_CONTENT_VERSION 2

/* The content level this Sotto shows in full: a data message that
 * requires a higher one is unsupported. */
#define SOTTO_CONTENT_LEVEL 3

/* The level that introduced reactions, edits and deletion for everyone
 * (docs/messenger.md): an older Sotto would show them as new messages. */
#define SOTTO_CONTENT_LEVEL_ACTIONS 2

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

/* The longest quoted excerpt and the longest reaction, in bytes: a
 * reaction is one emoji, which with its modifiers and joiners stays far
 * below this. */
#define SOTTO_CONTENT_MAX_QUOTE_TEXT 1024
#define SOTTO_CONTENT_MAX_EMOJI 64

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
 * @quote_id: (nullable): for a text, the message it replies to
 * @quote_author: (nullable): the account UUID of that message's author
 * @quote_text: (nullable): an excerpt of it, as the sender saw it
 * @target_id: for reactions, edits and deletions, the message they are about
 * @target_author: (nullable): for reactions, the account UUID of that
 *   message's author
 * @emoji: (nullable): for reactions, the emoji; %NULL removes the reaction
 * @profile_key: (nullable): the sender's profile key, in guarded memory
 *   (sodium_malloc()), which a text message may carry too
 * @expire_timer: for a text, the seconds it lasts once read (0: for
 *   ever); for %SOTTO_CONTENT_KIND_TIMER, the conversation's new timer
 * @attachments: (nullable): for a text, its files (SottoAttachmentPointer),
 *   whose caption the text is
 * @group_id: (nullable): the group a text or group update is for
 * @group_updates: (nullable): for a group update, the
 *   #SottoGroupUpdate<!-- -->s it carries
 * @group_avatar: (nullable): beside a group update that sets the
 *   group's picture, or a history whose group has one, the picture
 *   (its digest is in the update: the picture is not hashed in)
 * @group_sender_key: (nullable): for a group's sender key, the
 *   distribution message
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
  char *quote_id;
  char *quote_author;
  char *quote_text;
  char *target_id;
  char *target_author;
  char *emoji;
  guint8 *profile_key;
  guint32 expire_timer;
  GPtrArray *attachments;
  char *group_id;
  GPtrArray *group_updates;
  GBytes *group_sender_key;
  GBytes *group_avatar;
  gboolean typing_started;
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

/* Replies, reactions, edits and deletion (sotto-content-actions.c) */
SottoContent *sotto_content_new_reaction (const char        *id,
                                          gint64             timestamp,
                                          const char        *sender,
                                          const char        *target_id,
                                          const char        *target_author,
                                          const char        *emoji) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_new_edit     (const char        *id,
                                          gint64             timestamp,
                                          const char        *sender,
                                          const char        *target_id,
                                          const char        *text) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_new_deletion (const char        *id,
                                          gint64             timestamp,
                                          const char        *sender,
                                          const char        *target_id) G_GNUC_WARN_UNUSED_RESULT;
void          sotto_content_set_quote    (SottoContent      *content,
                                          const char        *quote_id,
                                          const char        *quote_author,
                                          const char        *quote_text);

/* Typing indicators (sotto-content-typing.c) */
SottoContent *sotto_content_new_typing   (const char        *id,
                                          gint64             timestamp,
                                          gboolean           started) G_GNUC_WARN_UNUSED_RESULT;
void          _sotto_content_write_typing (const SottoContent *content,
                                           guint8            **out,
                                           gsize              *out_len);
gboolean      _sotto_content_read_ephemeral (SottoContent     *content,
                                             const guint8     *data,
                                             gsize             len,
                                             GError          **error);

gboolean      _sotto_content_is_data     (SottoContentKind   kind);
gboolean      _sotto_content_actions_valid (const SottoContent *content);
gsize         _sotto_content_actions_size  (const SottoContent *content);
void          _sotto_content_write_actions (const SottoContent *content,
                                            SpPbWriter         *writer);
gboolean      _sotto_content_read_actions  (SottoContent       *content,
                                            char              **text,
                                            const SpPbField    *quote,
                                            const SpPbField    *action,
                                            GError            **error);
char         *_sotto_content_uuid_from_bytes (const guint8     *bytes) G_GNUC_WARN_UNUSED_RESULT;
gboolean      _sotto_content_set_malformed   (GError          **error,
                                              const char       *what);
gboolean      _sotto_content_take_field      (const SpPbField  *field,
                                              SpPbWireType      wire_type,
                                              guint32          *seen);

/* Groups (sotto-content-group.c) */
#define SOTTO_CONTENT_FIELD_GROUP 15
SottoContent *sotto_content_new_group_update (const char    *id,
                                              gint64         timestamp,
                                              const char    *sender,
                                              const char    *group_id,
                                              GPtrArray     *updates) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_new_group_sender_key (const char *id,
                                                gint64      timestamp,
                                                const char *group_id,
                                                GBytes     *distribution) G_GNUC_WARN_UNUSED_RESULT;
void          sotto_content_set_group        (SottoContent  *content,
                                              const char    *group_id);
gboolean      _sotto_content_is_group_only   (SottoContentKind kind);
gboolean      _sotto_content_group_valid     (const SottoContent *content);
void          _sotto_content_group_clear     (SottoContent  *content);
void          _sotto_content_write_group     (const SottoContent *content,
                                              guint8       **payload,
                                              gsize         *payload_len);
gboolean      _sotto_content_read_group      (SottoContent  *content,
                                              const guint8  *data,
                                              gsize          len,
                                              GError       **error);
gboolean      _sotto_content_decode_data     (SottoContent  *content,
                                              const guint8  *data,
                                              gsize          len,
                                              GError       **error);
gboolean      _sotto_content_sender_is_valid (const char    *sender);

GBytes       *sotto_content_encode      (const SottoContent *content) G_GNUC_WARN_UNUSED_RESULT;
SottoContent *sotto_content_decode      (const guint8       *data,
                                         gsize               len,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoContent, sotto_content_free)

G_END_DECLS
