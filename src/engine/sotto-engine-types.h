/* sotto-engine-types.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SottoAccount          SottoAccount;
typedef struct _SottoContact          SottoContact;
typedef struct _SottoConversation     SottoConversation;
typedef struct _SottoConversationList SottoConversationList;
typedef struct _SottoMessage          SottoMessage;
typedef struct _SottoMessageList      SottoMessageList;
typedef struct _SottoStore            SottoStore;

/**
 * SottoMessageDirection:
 * @SOTTO_MESSAGE_DIRECTION_INCOMING: written by the contact, or an event
 *   the engine recorded
 * @SOTTO_MESSAGE_DIRECTION_OUTGOING: written on this account
 */
typedef enum
{
  SOTTO_MESSAGE_DIRECTION_INCOMING,
  SOTTO_MESSAGE_DIRECTION_OUTGOING,
} SottoMessageDirection;

/**
 * SottoMessageState:
 * @SOTTO_MESSAGE_STATE_QUEUED: stored locally, not yet accepted by the relay
 * @SOTTO_MESSAGE_STATE_SENT: durably accepted by the relay
 * @SOTTO_MESSAGE_STATE_DELIVERED: on the recipient's device; incoming
 *   messages start here and count as unread
 * @SOTTO_MESSAGE_STATE_READ: seen by the recipient
 * @SOTTO_MESSAGE_STATE_FAILED: could not be sent; may be queued again
 *
 * The states of an outgoing message only move forward, because receipts
 * can arrive out of order; see sotto_message_state_can_change().
 */
typedef enum
{
  SOTTO_MESSAGE_STATE_QUEUED,
  SOTTO_MESSAGE_STATE_SENT,
  SOTTO_MESSAGE_STATE_DELIVERED,
  SOTTO_MESSAGE_STATE_READ,
  SOTTO_MESSAGE_STATE_FAILED,
} SottoMessageState;

/**
 * SottoMessageKind:
 * @SOTTO_MESSAGE_KIND_TEXT: a text message with a body
 * @SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED: an event: the contact's
 *   identity key, and so the safety number, changed
 * @SOTTO_MESSAGE_KIND_TIMER_CHANGED: an event: the message's sender set
 *   the conversation's disappearing-message timer; the body is the new
 *   timer in seconds, in decimal ("0" is off)
 * @SOTTO_MESSAGE_KIND_GROUP_UPDATE: an event of a group's timeline only
 *   (sotto_group_event_to_message()): a member changed the group; the
 *   body says how
 */
typedef enum
{
  SOTTO_MESSAGE_KIND_TEXT,
  SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED,
  SOTTO_MESSAGE_KIND_TIMER_CHANGED,
  SOTTO_MESSAGE_KIND_GROUP_UPDATE,
} SottoMessageKind;

/**
 * SottoMessageAction:
 * @SOTTO_MESSAGE_ACTION_REACTION: a reaction was set, changed or removed
 * @SOTTO_MESSAGE_ACTION_EDIT: the author edited the text
 * @SOTTO_MESSAGE_ACTION_DELETE: the author deleted the message for everyone
 *
 * What a contact did to a message of the conversation.
 */
typedef enum
{
  SOTTO_MESSAGE_ACTION_REACTION,
  SOTTO_MESSAGE_ACTION_EDIT,
  SOTTO_MESSAGE_ACTION_DELETE,
} SottoMessageAction;

/**
 * SottoVerificationState:
 * @SOTTO_VERIFICATION_STATE_UNVERIFIED: the safety number was never
 *   compared, or a change was accepted without comparing
 * @SOTTO_VERIFICATION_STATE_VERIFIED: the user compared the safety number
 *   for the current identity key
 * @SOTTO_VERIFICATION_STATE_CHANGED: the identity key changed after the
 *   contact was verified; sending is held until the user verifies the new
 *   number or accepts it
 */
typedef enum
{
  SOTTO_VERIFICATION_STATE_UNVERIFIED,
  SOTTO_VERIFICATION_STATE_VERIFIED,
  SOTTO_VERIFICATION_STATE_CHANGED,
} SottoVerificationState;

/**
 * SottoContactStanding:
 * @SOTTO_CONTACT_STANDING_ACCEPTED: the user wrote to the contact, started
 *   the conversation or accepted their request
 * @SOTTO_CONTACT_STANDING_REQUEST: the contact wrote first and the user has
 *   not answered yet; no receipts go back to them
 * @SOTTO_CONTACT_STANDING_BLOCKED: the user blocked the contact; what they
 *   send is dropped unseen
 *
 * Whether a contact may reach the user.
 */
typedef enum
{
  SOTTO_CONTACT_STANDING_ACCEPTED,
  SOTTO_CONTACT_STANDING_REQUEST,
  SOTTO_CONTACT_STANDING_BLOCKED,
} SottoContactStanding;

/**
 * SottoKeySource:
 * @SOTTO_KEY_SOURCE_KEYRING: the database key is kept in the Secret Service
 * @SOTTO_KEY_SOURCE_PASSPHRASE: the database key is sealed with a key
 *   derived from a passphrase (Argon2id)
 */
typedef enum
{
  SOTTO_KEY_SOURCE_KEYRING,
  SOTTO_KEY_SOURCE_PASSPHRASE,
} SottoKeySource;

/**
 * SottoProfileChanges:
 * @SOTTO_PROFILE_CHANGES_NONE: nothing changed
 * @SOTTO_PROFILE_CHANGES_NAME: the display name changed
 * @SOTTO_PROFILE_CHANGES_AVATAR: the avatar changed, came or went
 *
 * What a contact's new profile changed.
 */
typedef enum
{
  SOTTO_PROFILE_CHANGES_NONE = 0,
  SOTTO_PROFILE_CHANGES_NAME = 1 << 0,
  SOTTO_PROFILE_CHANGES_AVATAR = 1 << 1,
} SottoProfileChanges;

G_END_DECLS
