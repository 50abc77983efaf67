/* sotto-message.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-private.h"
#include "sotto-engine-enums.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"

struct _SottoMessage
{
  GObject parent_instance;

  char *id;
  char *body;
  gint64 sent_at;
  gint64 received_at;

  /* The message's place in its conversation, counted from the oldest. */
  guint position;

  SottoMessageDirection direction;
  SottoMessageKind kind;
  SottoMessageState state;
  guint loaded : 1;
  guint edited : 1;
  guint deleted : 1;
  guint sealed : 1;
  guint disappears : 1;

  /* Replies and reactions */
  char *quote_id;
  char *quote_author;
  char *quote_text;
  char *my_reaction;
  char *their_reaction;
  /* Its files (SottoAttachment), made on first use. */
  GListStore *attachments;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_DIRECTION,
  PROP_KIND,
  PROP_BODY,
  PROP_STATE,
  PROP_SENT_AT,
  PROP_RECEIVED_AT,
  PROP_LOADED,
  PROP_EDITED,
  PROP_DELETED,
  PROP_QUOTE_ID,
  PROP_QUOTE_AUTHOR,
  PROP_QUOTE_TEXT,
  PROP_MY_REACTION,
  PROP_THEIR_REACTION,
  PROP_SEALED,
  PROP_DISAPPEARS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoMessage, sotto_message, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

SottoMessage *
_sotto_message_new (const char            *id,
                    SottoMessageDirection  direction,
                    SottoMessageKind       kind,
                    SottoMessageState      state,
                    gint64                 sent_at,
                    gint64                 received_at,
                    const char            *body)
{
  SottoMessage *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_assert (!_sotto_store_in_job ());

  self = g_object_new (SOTTO_TYPE_MESSAGE, NULL);
  self->id = g_strdup (id);
  self->direction = direction;
  self->kind = kind;
  self->state = state;
  self->sent_at = sent_at;
  self->received_at = received_at;
  self->body = g_strdup (body);
  self->loaded = TRUE;

  return self;
}

/* The model of a record the store read or wrote, on the main thread. */
SottoMessage *
_sotto_message_new_from_record (const SottoMessageRecord *record)
{
  SottoMessage *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = _sotto_message_new (record->id, record->direction, record->kind, record->state,
                             record->sent_at, record->received_at, record->body);
  self->position = record->position;
  self->sealed = record->sealed;
  _sotto_message_update (self, record);

  return self;
}

/* The record of a message that is not stored yet, for the store to add. */
SottoMessageRecord *
_sotto_message_to_record (SottoMessage *self)
{
  SottoMessageRecord *record;

  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (self->loaded, NULL);

  record = _sotto_message_record_new (self->id, self->direction, self->kind, self->state,
                                      self->sent_at, self->received_at, self->body);
  record->quote_id = g_strdup (self->quote_id);
  record->quote_author = g_strdup (self->quote_author);
  record->quote_text = g_strdup (self->quote_text);

  return record;
}

/* A stand-in for the message at @position while its page is read from
 * the store; _sotto_message_fill() completes it. */
SottoMessage *
_sotto_message_new_placeholder (guint position)
{
  SottoMessage *self;

  self = g_object_new (SOTTO_TYPE_MESSAGE, NULL);
  self->position = position;

  return self;
}

guint
_sotto_message_get_position (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), 0);

  return self->position;
}

void
_sotto_message_set_position (SottoMessage *self,
                             guint         position)
{
  g_return_if_fail (SOTTO_IS_MESSAGE (self));

  self->position = position;
}

/* Copies what was read from the store into a placeholder and tells the
 * views bound to it about every property that changed. */
void
_sotto_message_fill (SottoMessage          *self,
                     const SottoMessageRecord *loaded)
{
  g_return_if_fail (SOTTO_IS_MESSAGE (self));
  g_return_if_fail (loaded != NULL);
  g_return_if_fail (!self->loaded);

  g_object_freeze_notify (G_OBJECT (self));

  self->id = g_strdup (loaded->id);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ID]);

  if (loaded->body != NULL)
    {
      self->body = g_strdup (loaded->body);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_BODY]);
    }

  if (self->direction != loaded->direction)
    {
      self->direction = loaded->direction;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DIRECTION]);
    }

  if (self->kind != loaded->kind)
    {
      self->kind = loaded->kind;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_KIND]);
    }

  if (self->state != loaded->state)
    {
      self->state = loaded->state;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
    }

  if (self->sent_at != loaded->sent_at)
    {
      self->sent_at = loaded->sent_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SENT_AT]);
    }

  if (self->received_at != loaded->received_at)
    {
      self->received_at = loaded->received_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_RECEIVED_AT]);
    }

  if (self->sealed != loaded->sealed)
    {
      self->sealed = loaded->sealed;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SEALED]);
    }

  _sotto_message_update (self, loaded);

  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LOADED]);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_string (SottoMessage  *self,
            char         **field,
            const char    *value,
            guint          prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties [prop]);
}

/* Takes the text, quote, reactions and flags of @record, which an edit,
 * a deletion or a reaction may have changed, and tells the views bound
 * to the message about each that did. */
void
_sotto_message_update (SottoMessage             *self,
                       const SottoMessageRecord *record)
{
  g_return_if_fail (SOTTO_IS_MESSAGE (self));
  g_return_if_fail (record != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->body, record->body, PROP_BODY);
  if (self->edited != !!record->edited)
    {
      self->edited = !!record->edited;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_EDITED]);
    }
  if (self->deleted != !!record->deleted)
    {
      self->deleted = !!record->deleted;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DELETED]);
    }
  set_string (self, &self->quote_id, record->quote_id, PROP_QUOTE_ID);
  set_string (self, &self->quote_author, record->quote_author, PROP_QUOTE_AUTHOR);
  set_string (self, &self->quote_text, record->quote_text, PROP_QUOTE_TEXT);
  set_string (self, &self->my_reaction, record->my_reaction, PROP_MY_REACTION);
  set_string (self, &self->their_reaction, record->their_reaction, PROP_THEIR_REACTION);
  if (self->disappears != !!record->disappears)
    {
      self->disappears = !!record->disappears;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DISAPPEARS]);
    }
  if (record->attachments != NULL || self->attachments != NULL)
    _sotto_attachment_list_sync (&self->attachments, self->direction == SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                 record->attachments);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_sotto_message_set_state (SottoMessage      *self,
                          SottoMessageState  state)
{
  g_return_if_fail (SOTTO_IS_MESSAGE (self));

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
    }
}

/* Once the relay committed an outgoing message sealed, which the store
 * records before its state becomes sent; and for a group's entry, as
 * its timeline recorded it. */
void
_sotto_message_set_sealed (SottoMessage *self,
                           gboolean      sealed)
{
  g_return_if_fail (SOTTO_IS_MESSAGE (self));

  if (self->sealed != !!sealed)
    {
      self->sealed = !!sealed;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SEALED]);
    }
}

/**
 * sotto_message_state_can_change:
 * @direction: the direction of the message
 * @from: its current state
 * @to: the state to move to
 *
 * Outgoing messages move forward through queued, sent, delivered and
 * read; receipts can arrive out of order, so a later state may skip
 * earlier ones but never go back.  Only a queued message can fail, and a
 * failed one can be queued again.  Incoming messages arrive delivered
 * and can only become read.
 *
 * Returns: %TRUE if a message in state @from may change to @to
 */
gboolean
sotto_message_state_can_change (SottoMessageDirection direction,
                                SottoMessageState     from,
                                SottoMessageState     to)
{
  if (direction == SOTTO_MESSAGE_DIRECTION_INCOMING)
    return from == SOTTO_MESSAGE_STATE_DELIVERED && to == SOTTO_MESSAGE_STATE_READ;

  if (from == SOTTO_MESSAGE_STATE_FAILED)
    return to == SOTTO_MESSAGE_STATE_QUEUED;

  if (to == SOTTO_MESSAGE_STATE_FAILED)
    return from == SOTTO_MESSAGE_STATE_QUEUED;

  /* queued < sent < delivered < read, in the order of the enum */
  return to > from;
}

const char *
sotto_message_get_id (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->id;
}

SottoMessageDirection
sotto_message_get_direction (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), SOTTO_MESSAGE_DIRECTION_INCOMING);

  return self->direction;
}

SottoMessageKind
sotto_message_get_kind (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), SOTTO_MESSAGE_KIND_TEXT);

  return self->kind;
}

const char *
sotto_message_get_body (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->body;
}

/**
 * sotto_message_get_sealed:
 * @self: a #SottoMessage
 *
 * Returns: whether the message went through the relay sealed
 */
gboolean
sotto_message_get_sealed (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), FALSE);

  return self->sealed;
}

/**
 * sotto_message_get_disappears:
 * @self: a #SottoMessage
 *
 * Returns: whether the message disappears: it was sent, or came, under
 *   a disappearing-message timer, whatever the conversation's timer is
 *   now
 */
gboolean
sotto_message_get_disappears (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), FALSE);

  return self->disappears;
}

SottoMessageState
sotto_message_get_state (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), SOTTO_MESSAGE_STATE_QUEUED);

  return self->state;
}

/**
 * sotto_message_get_sent_at:
 * @self: a #SottoMessage
 *
 * Returns: when the sender wrote the message, in milliseconds since the
 *   Unix epoch by the sender's clock
 */
gint64
sotto_message_get_sent_at (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), 0);

  return self->sent_at;
}

/**
 * sotto_message_get_received_at:
 * @self: a #SottoMessage
 *
 * Returns: when the message entered this conversation, in milliseconds
 *   since the Unix epoch by the local clock
 */
gint64
sotto_message_get_received_at (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), 0);

  return self->received_at;
}

/**
 * sotto_message_get_loaded:
 * @self: a #SottoMessage
 *
 * A message handed out by a conversation's list may still be read from
 * the store; its other properties are set, with notifications, when this
 * becomes %TRUE.
 *
 * Returns: whether the message's contents are known
 */
gboolean
sotto_message_get_loaded (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), FALSE);

  return self->loaded;
}

gboolean
sotto_message_get_edited (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), FALSE);

  return self->edited;
}

gboolean
sotto_message_get_deleted (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), FALSE);

  return self->deleted;
}

const char *
sotto_message_get_quote_id (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->quote_id;
}

const char *
sotto_message_get_quote_author (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->quote_author;
}

const char *
sotto_message_get_quote_text (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->quote_text;
}

const char *
sotto_message_get_my_reaction (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->my_reaction;
}

const char *
sotto_message_get_their_reaction (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  return self->their_reaction;
}

/**
 * sotto_message_can_change_for_everyone:
 * @self: a #SottoMessage
 *
 * Whether the user may still edit the message or delete it for everyone:
 * a text this account sent (not one waiting in the outbox, which the
 * contact does not have), not deleted, in the 24 hours after it was
 * sent.  The messenger checks the same before it sends a change.
 *
 * Returns: %TRUE if an edit or a deletion for everyone would be taken
 */
gboolean
sotto_message_can_change_for_everyone (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), FALSE);

  return self->loaded
         && self->kind == SOTTO_MESSAGE_KIND_TEXT
         && self->direction == SOTTO_MESSAGE_DIRECTION_OUTGOING
         && !self->deleted
         && self->state != SOTTO_MESSAGE_STATE_QUEUED
         && self->state != SOTTO_MESSAGE_STATE_FAILED
         && g_get_real_time () / 1000 - self->sent_at <= SOTTO_STORE_ACTION_WINDOW_MS;
}

/**
 * sotto_message_get_attachments:
 * @self: a #SottoMessage
 *
 * Returns: (transfer none): the message's files, #SottoAttachment
 *   objects in the order they were sent; empty for most messages
 */
GListModel *
sotto_message_get_attachments (SottoMessage *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (self), NULL);

  if (self->attachments == NULL)
    self->attachments = g_list_store_new (SOTTO_TYPE_ATTACHMENT);

  return G_LIST_MODEL (self->attachments);
}

static void
sotto_message_finalize (GObject *object)
{
  SottoMessage *self = (SottoMessage *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->quote_id, g_free);
  g_clear_pointer (&self->quote_author, g_free);
  g_clear_pointer (&self->quote_text, g_free);
  g_clear_pointer (&self->my_reaction, g_free);
  g_clear_pointer (&self->their_reaction, g_free);
  g_clear_object (&self->attachments);

  G_OBJECT_CLASS (sotto_message_parent_class)->finalize (object);
}

static void
sotto_message_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SottoMessage *self = SOTTO_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;

    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_BODY:
      g_value_set_string (value, self->body);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_SENT_AT:
      g_value_set_int64 (value, self->sent_at);
      break;

    case PROP_RECEIVED_AT:
      g_value_set_int64 (value, self->received_at);
      break;

    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;

    case PROP_EDITED:
      g_value_set_boolean (value, self->edited);
      break;

    case PROP_DELETED:
      g_value_set_boolean (value, self->deleted);
      break;

    case PROP_QUOTE_ID:
      g_value_set_string (value, self->quote_id);
      break;

    case PROP_QUOTE_AUTHOR:
      g_value_set_string (value, self->quote_author);
      break;

    case PROP_QUOTE_TEXT:
      g_value_set_string (value, self->quote_text);
      break;

    case PROP_MY_REACTION:
      g_value_set_string (value, self->my_reaction);
      break;

    case PROP_THEIR_REACTION:
      g_value_set_string (value, self->their_reaction);
      break;

    case PROP_SEALED:
      g_value_set_boolean (value, self->sealed);
      break;

    case PROP_DISAPPEARS:
      g_value_set_boolean (value, self->disappears);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_message_class_init (SottoMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_message_finalize;
  object_class->get_property = sotto_message_get_property;

  /**
   * SottoMessage:id:
   *
   * The message's UUID, chosen by its sender; %NULL until loaded.
   */
  properties [PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL,
                       SOTTO_TYPE_MESSAGE_DIRECTION,
                       SOTTO_MESSAGE_DIRECTION_INCOMING,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties [PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       SOTTO_TYPE_MESSAGE_KIND,
                       SOTTO_MESSAGE_KIND_TEXT,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:body:
   *
   * The text of a text message; %NULL for events.
   */
  properties [PROP_BODY] =
    g_param_spec_string ("body", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       SOTTO_TYPE_MESSAGE_STATE,
                       SOTTO_MESSAGE_STATE_QUEUED,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties [PROP_SENT_AT] =
    g_param_spec_int64 ("sent-at", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  properties [PROP_RECEIVED_AT] =
    g_param_spec_int64 ("received-at", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  properties [PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:edited:
   *
   * Whether its author edited the text since it was sent; the text is the newest version.
   */
  properties [PROP_EDITED] =
    g_param_spec_boolean ("edited", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:deleted:
   *
   * Whether its author deleted it for everyone; its text is gone (%NULL).
   */
  properties [PROP_DELETED] =
    g_param_spec_boolean ("deleted", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:quote-id:
   *
   * For a reply, the id of the message it quotes; %NULL otherwise.
   */
  properties [PROP_QUOTE_ID] =
    g_param_spec_string ("quote-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:quote-author:
   *
   * For a reply, the account UUID of the quoted message's author, if the sender named it.
   */
  properties [PROP_QUOTE_AUTHOR] =
    g_param_spec_string ("quote-author", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:quote-text:
   *
   * For a reply, the excerpt of the quoted message as its sender saw it; %NULL once that message was deleted for everyone.
   */
  properties [PROP_QUOTE_TEXT] =
    g_param_spec_string ("quote-text", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:my-reaction:
   *
   * The emoji this account reacted to the message with, or %NULL.
   */
  properties [PROP_MY_REACTION] =
    g_param_spec_string ("my-reaction", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:their-reaction:
   *
   * The emoji the contact reacted to the message with, or %NULL.
   */
  properties [PROP_THEIR_REACTION] =
    g_param_spec_string ("their-reaction", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:sealed:
   *
   * Whether the message went through the relay sealed (sealed sender),
   * so that the relay did not learn who sent it; %FALSE for a message
   * that went identified, as a first message to a contact does before
   * they shared their profile key.
   */
  properties [PROP_SEALED] =
    g_param_spec_boolean ("sealed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessage:disappears:
   *
   * Whether the message disappears: it was sent, or came, under a
   * disappearing-message timer.  It is the message's own, which a later
   * change of the conversation's timer does not change.
   */
  properties [PROP_DISAPPEARS] =
    g_param_spec_boolean ("disappears", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sotto_message_init (SottoMessage *self)
{
}
