/* sotto-messenger.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-prekeys.h"

#include "sotto-account-private.h"
#include "sotto-contact-private.h"
#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
#include "sotto-messenger-private.h"
#include "sotto-service-signals-private.h"

/* The messenger ties an account to its relay.  It is the hub of the
 * services that do the work, each its own class: the outbox sends what
 * the user writes and receipts (sotto-outbox.c), the inbox stores what
 * arrives (sotto-inbox.c), and the key keeper keeps the prekeys stocked
 * (sotto-key-keeper.c).  They share the store, the relay client and the
 * session core's state, and talk to each other and to the messenger
 * through method calls and signals wired in _sotto_messenger_new().
 * The messenger itself registers and loads accounts
 * (sotto-messenger-registration.c), finds and adds contacts (this file)
 * and looks after message requests and blocked contacts
 * (sotto-messenger-requests.c).  Everything the session core does runs
 * on the store's thread, against the store, inside the transactions that
 * also write the messages, so that a crash at any moment leaves either
 * both the session and the message or neither. */

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_CONVERSATIONS,
  PROP_RELAY_CLIENT,
  PROP_DRAINED,
  PROP_OUTBOX_SIZE,
  PROP_SEND_READ_RECEIPTS,
  PROP_MESSAGE_REQUESTS,
  PROP_TRUST_ROOT_CONFLICT,
  PROP_AUTO_DOWNLOAD_SIZE,
  PROP_TYPING_INDICATORS,
  N_PROPS
};

enum {
  MESSAGE_RECEIVED,
  MESSAGE_ACTION,
  IDENTITY_CHANGED,
  CONVERSATION_REMOVED,
  PROFILE_CHANGED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoMessenger, sotto_messenger, G_TYPE_OBJECT)

G_DEFINE_QUARK (sotto-messenger-error-quark, sotto_messenger_error)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

/* Construction */

static void
outbox_size_cb (SottoMessenger *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OUTBOX_SIZE]);
}

static void
drained_cb (SottoMessenger *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DRAINED]);
}

/* The messenger of @account, with its services; they talk to each
 * other only through what is wired here. */
SottoMessenger *
_sotto_messenger_new (SottoAccount          *account,
                      SottoConversationList *conversations,
                      SottoRelayClient      *client)
{
  SottoMessenger *self;

  self = g_object_new (SOTTO_TYPE_MESSENGER, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (sotto_account_get_store (account));
  self->conversations = g_object_ref (conversations);
  self->client = g_object_ref (client);
  _sotto_messenger_set_aside_blocked (self);

  sotto_relay_client_set_credentials (client,
                                      sotto_account_get_uuid (account),
                                      sotto_account_get_device_id (account),
                                      sotto_account_get_password (account));
  self->protocol = _sotto_protocol_state_new (self->store, account);
  self->keys = _sotto_key_keeper_new (self->store, account, client, self->protocol);
  self->outbox = _sotto_outbox_new (self->store, account, conversations, client, self->protocol);
  self->inbox = _sotto_inbox_new (self->store, conversations, client, self->protocol, self->outbox, self);
  self->profiles = _sotto_profile_service_new (self->store, conversations, client, self->outbox);
  self->expiry = _sotto_expiry_new (self->store, conversations, self->outbox);
  _sotto_messenger_attachments_init (self);
  self->typing = _sotto_typing_new (conversations, self->outbox);

  g_object_bind_property (self, "send-read-receipts", self->outbox, "send-read-receipts",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "message-requests", self->inbox, "message-requests",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "typing-indicators", self->typing, "enabled",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->outbox, "notify::size",
                           G_CALLBACK (outbox_size_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->inbox, "notify::drained",
                           G_CALLBACK (drained_cb), self, G_CONNECT_SWAPPED);
  _sotto_signal_forward (self->outbox, "identity-changed", self);
  _sotto_signal_forward (self->inbox, "identity-changed", self);
  _sotto_signal_forward (self->inbox, "message-received", self);
  _sotto_signal_forward (self->inbox, "message-action", self);
  _sotto_signal_forward (self->profiles, "profile-changed", self);
  self->groups = _sotto_group_list_new (self);

  return self;
}

SottoAccount *
sotto_messenger_get_account (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  return self->account;
}

/**
 * sotto_messenger_get_conversations:
 * @self: a #SottoMessenger
 *
 * Returns: (transfer none): every conversation, the most recent first
 */
SottoConversationList *
sotto_messenger_get_conversations (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  return self->conversations;
}

/**
 * sotto_messenger_get_groups:
 * @self: a #SottoMessenger
 *
 * Returns: (transfer none): the account's groups, once loaded
 *   (sotto_group_list_load_async())
 */
SottoGroupList *
sotto_messenger_get_groups (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  return self->groups;
}

SottoRelayClient *
_sotto_messenger_get_relay_client (SottoMessenger *self)
{
  g_assert (SOTTO_IS_MESSENGER (self));

  return self->client;
}

SottoOutbox *
_sotto_messenger_get_outbox (SottoMessenger *self)
{
  g_assert (SOTTO_IS_MESSENGER (self));

  return self->outbox;
}

SottoInbox *
_sotto_messenger_get_inbox (SottoMessenger *self)
{
  g_assert (SOTTO_IS_MESSENGER (self));

  return self->inbox;
}

SottoProtocolState *
_sotto_messenger_get_protocol_state (SottoMessenger *self)
{
  g_assert (SOTTO_IS_MESSENGER (self));

  return self->protocol;
}

/* The end of each of the messenger's operations that return a boolean. */
gboolean
_sotto_messenger_propagate_boolean (SottoMessenger  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);

  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

/* The task of a public operation that one of the services does: it
 * completes as the service's task, to which it is the user data of
 * _sotto_task_return_step_cb(), does. */
static GTask *
forward_task_new (SottoMessenger      *self,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);

  return task;
}

/**
 * sotto_messenger_get_connection:
 * @self: a #SottoMessenger
 *
 * Returns: whether the delivery socket to the account's relay is open
 */
SottoRelayConnection
sotto_messenger_get_connection (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), SOTTO_RELAY_CONNECTION_OFFLINE);

  return sotto_relay_client_get_connection (self->client);
}

/**
 * sotto_messenger_get_drained:
 * @self: a #SottoMessenger
 *
 * Returns: whether every envelope the relay held when the delivery
 *   socket opened has been stored
 */
gboolean
sotto_messenger_get_drained (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);

  return _sotto_inbox_get_drained (self->inbox);
}

/**
 * sotto_messenger_get_outbox_size:
 * @self: a #SottoMessenger
 *
 * Returns: how many messages waited to be sent when the outbox was last
 *   read
 */
guint
sotto_messenger_get_outbox_size (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), 0);

  return _sotto_outbox_get_size (self->outbox);
}

void
_sotto_messenger_emit_conversation_removed (SottoMessenger    *self,
                                            SottoConversation *conversation)
{
  g_signal_emit (self, signals [CONVERSATION_REMOVED], 0, conversation);
}

/**
 * sotto_messenger_start:
 * @self: a #SottoMessenger
 *
 * Goes online: opens the delivery socket and keeps it open, stores and
 * acknowledges what arrives, sends the outbox and resumes attachment
 * uploads cut short whenever the relay is reachable, and tops up the
 * prekeys.
 */
void
sotto_messenger_start (SottoMessenger *self)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  if (self->started)
    return;

  self->started = TRUE;

  _sotto_inbox_start (self->inbox);
  sotto_relay_client_connect (self->client);
  _sotto_messenger_check_trust_root_on_start (self);
  _sotto_outbox_start (self->outbox);
  _sotto_attachment_service_start (self->attachments);
  _sotto_key_keeper_start (self->keys);
  _sotto_profile_service_start (self->profiles);
  _sotto_expiry_start (self->expiry);
}

/**
 * sotto_messenger_stop:
 * @self: a #SottoMessenger
 *
 * Goes offline.  Envelopes not yet stored are delivered again later;
 * queued messages stay in the outbox.
 */
void
sotto_messenger_stop (SottoMessenger *self)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  if (!self->started)
    return;

  self->started = FALSE;

  _sotto_key_keeper_stop (self->keys);
  _sotto_expiry_stop (self->expiry);
  _sotto_typing_stop (self->typing);
  _sotto_inbox_stop (self->inbox);
  sotto_relay_client_disconnect (self->client);
  _sotto_attachment_service_stop (self->attachments);
  _sotto_outbox_stop (self->outbox);
}

/* Contacts */

typedef struct
{
  char *uuid;
  char *username;
  SottoContactStanding standing;
} ContactLookup;

static void
contact_lookup_free (ContactLookup *lookup)
{
  g_free (lookup->uuid);
  g_free (lookup->username);
  g_free (lookup);
}

static void
ensure_contact_added_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  ContactLookup *lookup = g_task_get_task_data (task);
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = sotto_conversation_list_add_finish (SOTTO_CONVERSATION_LIST (object), result, &error);
  if (conversation == NULL)
    {
      SottoConversation *existing = sotto_conversation_list_find_by_uuid (self->conversations, lookup->uuid);

      /* Two lookups for the same new contact may race; the second one
       * finds what the first added. */
      if (existing != NULL)
        {
          g_task_return_pointer (task, g_object_ref (existing), g_object_unref);
          return;
        }

      /* Another contact holds the username: an account the relay
       * deleted, whose username a new account took.  The new account is
       * someone else, so it becomes a contact of its own, without the
       * username, rather than take the old contact's name or be merged
       * with it; the old contact keeps what the user knew them as. */
      if (lookup->username != NULL && g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS))
        {
          GCancellable *cancellable = g_task_get_cancellable (task);

          g_clear_pointer (&lookup->username, g_free);
          _sotto_conversation_list_add_async (self->conversations, lookup->uuid, NULL, NULL, NULL,
                                              lookup->standing, cancellable,
                                              ensure_contact_added_cb, g_steal_pointer (&task));
          return;
        }

      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&conversation), g_object_unref);
}

/* The conversation with the account @uuid, added with @username as
 * @standing if there is none yet; a blocked contact's conversation is
 * found too. */
void
_sotto_messenger_ensure_contact_async (SottoMessenger      *self,
                                       const char          *uuid,
                                       const char          *username,
                                       SottoContactStanding standing,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SottoConversation *conversation;
  ContactLookup *lookup;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_messenger_ensure_contact_async);

  conversation = sotto_conversation_list_find_by_uuid (self->conversations, uuid);
  if (conversation == NULL)
    conversation = _sotto_messenger_find_blocked (self, uuid);
  if (conversation != NULL)
    {
      g_task_return_pointer (task, g_object_ref (conversation), g_object_unref);
      return;
    }

  lookup = g_new0 (ContactLookup, 1);
  lookup->uuid = g_ascii_strdown (uuid, -1);
  lookup->username = g_strdup (username);
  lookup->standing = standing;
  g_task_set_task_data (task, lookup, (GDestroyNotify) contact_lookup_free);

  _sotto_conversation_list_add_async (self->conversations, lookup->uuid, username, NULL, NULL, standing,
                                      cancellable, ensure_contact_added_cb, g_object_ref (task));
}

SottoConversation *
_sotto_messenger_ensure_contact_finish (SottoMessenger  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
open_conversation_unblocked_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoConversation *conversation = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_accept_finish (SOTTO_MESSENGER (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_object_ref (conversation), g_object_unref);
}

static void
open_conversation_ensured_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = _sotto_messenger_ensure_contact_finish (self, result, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Starting a conversation with someone blocked unblocks them. */
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_BLOCKED)
    {
      g_task_set_task_data (task, g_object_ref (conversation), g_object_unref);
      sotto_messenger_accept_async (self, conversation, g_task_get_cancellable (task),
                                    open_conversation_unblocked_cb, g_object_ref (task));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&conversation), g_object_unref);
}

static void
open_conversation_lookup_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  const char *username = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  uuid = sotto_relay_client_lookup_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (uuid == NULL)
    {
      if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND))
        g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                                 _("Nobody is registered as %s"), username);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_ascii_strcasecmp (uuid, sotto_account_get_uuid (self->account)) == 0)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                               _("%s is this account"), username);
      return;
    }

  _sotto_messenger_ensure_contact_async (self, uuid, username, SOTTO_CONTACT_STANDING_ACCEPTED,
                                         g_task_get_cancellable (task),
                                         open_conversation_ensured_cb, g_object_ref (task));
}

/**
 * sotto_messenger_open_conversation_async:
 * @self: a #SottoMessenger
 * @username: the contact's username
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the conversation
 * @user_data: data for @callback
 *
 * Finds the conversation with @username, or looks the username up at the
 * relay and starts one.
 */
void
sotto_messenger_open_conversation_async (SottoMessenger      *self,
                                         const char          *username,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SottoConversation *conversation;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_open_conversation_async);
  g_task_set_task_data (task, g_strdup (username), g_free);

  conversation = sotto_conversation_list_find_by_username (self->conversations, username);
  if (conversation != NULL)
    {
      g_task_return_pointer (task, g_object_ref (conversation), g_object_unref);
      return;
    }

  if (!sotto_messenger_username_is_valid (username))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                               _("“%s” is not a username"), username);
      return;
    }

  sotto_relay_client_lookup_async (self->client, username, cancellable,
                                   open_conversation_lookup_cb, g_object_ref (task));
}

/**
 * sotto_messenger_open_conversation_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the conversation, or %NULL with @error set
 */
SottoConversation *
sotto_messenger_open_conversation_finish (SottoMessenger  *self,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, NULL, error);
}

/**
 * sotto_messenger_fetch_identity_async:
 * @self: a #SottoMessenger
 * @conversation: a conversation whose contact's identity key is unknown
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the key is known
 * @user_data: data for @callback
 *
 * Sets up a session with the contact from the keys the relay publishes,
 * which records the contact's identity key, so that the safety number
 * can be compared before the first message.
 */
void
sotto_messenger_fetch_identity_async (SottoMessenger      *self,
                                      SottoConversation   *conversation,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = forward_task_new (self, sotto_messenger_fetch_identity_async, cancellable, callback, user_data);
  _sotto_outbox_fetch_sessions_async (self->outbox, conversation, 0, cancellable,
                                      _sotto_task_return_step_cb, g_object_ref (task));
}

gboolean
sotto_messenger_fetch_identity_finish (SottoMessenger  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/* Sending, through the outbox */

void
_sotto_messenger_send_done_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  gboolean sent = _sotto_outbox_send_finish (SOTTO_OUTBOX (object), result, &message, &error);

  /* A message written while the timer is on counts down from now. */
  if (message != NULL)
    _sotto_expiry_reschedule (self->expiry);

  /* The message goes with the answer, before the callback runs. */
  if (message != NULL)
    g_task_set_task_data (task, g_steal_pointer (&message), g_object_unref);

  if (sent)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * sotto_messenger_send_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation to write to
 * @text: the message
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the message, or could not
 * @user_data: data for @callback
 *
 * Stores @text as a queued message, then sends the outbox up to it.
 * The message is safe on disk either way: when this fails with
 * %SOTTO_MESSENGER_ERROR_QUEUED or %SOTTO_MESSENGER_ERROR_HELD it is
 * still queued and goes out later.
 */
void
sotto_messenger_send_async (SottoMessenger      *self,
                            SottoConversation   *conversation,
                            const char          *text,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_send_async);

  /* Writing to a message request accepts it. */
  if (strlen (text) <= SOTTO_MESSAGE_MAX_TEXT
      && sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    sotto_messenger_accept_async (self, conversation, NULL, NULL, NULL);

  _sotto_outbox_send_async (self->outbox, conversation, text, cancellable,
                            _sotto_messenger_send_done_cb, g_steal_pointer (&task));
}

/**
 * sotto_messenger_send_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @message: (out) (optional) (transfer full) (nullable): the message, if
 *   it was stored
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the relay committed the message
 */
gboolean
sotto_messenger_send_finish (SottoMessenger  *self,
                             GAsyncResult    *result,
                             SottoMessage   **message,
                             GError         **error)
{
  SottoMessage *stored;

  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  stored = g_task_get_task_data (G_TASK (result));
  if (message != NULL)
    *message = stored != NULL ? g_object_ref (stored) : NULL;

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
profiles_settled_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);

  if (_sotto_task_propagate_step (task, result))
    _sotto_expiry_wait_async (self->expiry, _sotto_task_return_step_cb, g_steal_pointer (&task));
}

static void
groups_flushed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);

  if (_sotto_task_propagate_step (task, result))
    _sotto_profile_service_wait_async (self->profiles, profiles_settled_cb, g_steal_pointer (&task));
}

static void
outbox_flushed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);

  /* Then the group messages the relay did not take for every member. */
  if (_sotto_task_propagate_step (task, result))
    _sotto_group_list_flush_outgoing_async (self->groups, groups_flushed_cb, g_steal_pointer (&task));
}

static void
uploads_resumed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;

  /* A message whose upload could not resume stays for the next flush;
   * the others still go. */
  if (!_sotto_attachment_service_resume_finish (self->attachments, result, &error))
    g_debug ("Attachment uploads wait for the relay: %s", error->message);

  _sotto_outbox_flush_async (self->outbox, cancellable, outbox_flushed_cb, g_steal_pointer (&task));
}

/**
 * sotto_messenger_flush_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the outbox is sent
 * @user_data: data for @callback
 *
 * Resumes attachment uploads cut short, sends every queued message that
 * is not held (a message with files once they are all uploaded) and the
 * group messages the relay did not take for every member, then
 * waits for the
 * profile work under way (an upload, fetches of contacts' profiles) and
 * for the deletion of what expired.
 * Fails with %SOTTO_MESSENGER_ERROR_QUEUED when the relay could not take
 * them all.
 */
void
sotto_messenger_flush_async (SottoMessenger      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = forward_task_new (self, sotto_messenger_flush_async, cancellable, callback, user_data);
  _sotto_attachment_service_resume_async (self->attachments, cancellable, uploads_resumed_cb,
                                          g_steal_pointer (&task));
}

gboolean
sotto_messenger_flush_finish (SottoMessenger  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

typedef struct
{
  SottoConversation *conversation;
  GError *receipt_error;
} MarkRead;

static void
mark_read_free (MarkRead *mark_read)
{
  g_clear_object (&mark_read->conversation);
  g_clear_error (&mark_read->receipt_error);
  g_free (mark_read);
}

static void
countdowns_started_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MarkRead *mark_read = g_task_get_task_data (task);
  g_autoptr(GError) countdown_error = NULL;

  if (!_sotto_expiry_finish (SOTTO_EXPIRY (object), result, &countdown_error))
    g_message ("Could not start the countdown of disappearing messages: %s", countdown_error->message);

  if (mark_read->receipt_error != NULL)
    g_task_return_error (task, g_steal_pointer (&mark_read->receipt_error));
  else
    g_task_return_boolean (task, TRUE);
}

/* The messages are marked read even when the receipt could not go;
 * either way the disappearing ones among them start counting down. */
static void
marked_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  MarkRead *mark_read = g_task_get_task_data (task);

  g_task_propagate_boolean (G_TASK (result), &mark_read->receipt_error);
  _sotto_expiry_conversation_read_async (self->expiry, mark_read->conversation,
                                         countdowns_started_cb, g_steal_pointer (&task));
}

/**
 * sotto_messenger_mark_read_async:
 * @self: a #SottoMessenger
 * @conversation: a conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the messages are marked and the receipt sent
 * @user_data: data for @callback
 *
 * Marks the conversation's unread messages read and, unless
 * #SottoMessenger:send-read-receipts is off, tells the sender.  The
 * messages are marked even when the receipt cannot be sent.
 */
void
sotto_messenger_mark_read_async (SottoMessenger      *self,
                                 SottoConversation   *conversation,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MarkRead *mark_read;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = forward_task_new (self, sotto_messenger_mark_read_async, cancellable, callback, user_data);
  mark_read = g_new0 (MarkRead, 1);
  mark_read->conversation = g_object_ref (conversation);
  g_task_set_task_data (task, mark_read, (GDestroyNotify) mark_read_free);
  _sotto_outbox_mark_read_async (self->outbox, conversation, cancellable,
                                 marked_read_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_mark_read_finish (SottoMessenger  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/**
 * sotto_messenger_mark_messages_read_async:
 * @self: a #SottoMessenger
 * @conversation: a conversation
 * @ids: (array zero-terminated=1): the UUIDs of messages the user has seen
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the messages are marked and the receipt sent
 * @user_data: data for @callback
 *
 * Like sotto_messenger_mark_read_async() for the unread incoming
 * messages among @ids only, so that the sender hears of nothing the user
 * has not seen.  Finish with sotto_messenger_mark_read_finish().
 */
void
sotto_messenger_mark_messages_read_async (SottoMessenger      *self,
                                          SottoConversation   *conversation,
                                          const char * const  *ids,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MarkRead *mark_read;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (ids != NULL);

  task = forward_task_new (self, sotto_messenger_mark_messages_read_async, cancellable, callback, user_data);
  mark_read = g_new0 (MarkRead, 1);
  mark_read->conversation = g_object_ref (conversation);
  g_task_set_task_data (task, mark_read, (GDestroyNotify) mark_read_free);
  _sotto_outbox_mark_messages_read_async (self->outbox, conversation, ids, cancellable,
                                          marked_read_cb, g_steal_pointer (&task));
}

/* The account's own keys, which the key keeper looks after */

/**
 * sotto_messenger_refresh_keys_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay holds enough fresh prekeys
 * @user_data: data for @callback
 *
 * Tops up the one-time prekeys of both kinds at the relay when few are
 * left, and replaces the signed prekey and the last-resort Kyber prekey
 * when they are older than a week.  sotto_messenger_start() does this;
 * an application that stays up calls it now and then.
 */
void
sotto_messenger_refresh_keys_async (SottoMessenger      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = forward_task_new (self, sotto_messenger_refresh_keys_async, cancellable, callback, user_data);
  _sotto_key_keeper_refresh_async (self->keys, cancellable, _sotto_task_return_step_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_refresh_keys_finish (SottoMessenger  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/**
 * sotto_messenger_reset_identity_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay publishes the new identity
 * @user_data: data for @callback
 *
 * Replaces the account's identity key, and with it every prekey and
 * session, as if the device had registered again.  Every contact's
 * safety number changes; contacts see a key change.  For testing.
 */
void
sotto_messenger_reset_identity_async (SottoMessenger      *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = forward_task_new (self, sotto_messenger_reset_identity_async, cancellable, callback, user_data);
  _sotto_key_keeper_reset_identity_async (self->keys, cancellable, _sotto_task_return_step_cb,
                                          g_steal_pointer (&task));
}

gboolean
sotto_messenger_reset_identity_finish (SottoMessenger  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

static void
sotto_messenger_dispose (GObject *object)
{
  SottoMessenger *self = (SottoMessenger *)object;

  sotto_messenger_stop (self);

  G_OBJECT_CLASS (sotto_messenger_parent_class)->dispose (object);
}

static void
sotto_messenger_finalize (GObject *object)
{
  SottoMessenger *self = (SottoMessenger *)object;

  /* Each service holds the session core's state for as long as its
   * own jobs run. */
  g_clear_object (&self->inbox);
  g_clear_object (&self->groups);
  g_clear_object (&self->profiles);
  g_clear_object (&self->expiry);
  g_clear_object (&self->attachments);
  g_clear_object (&self->typing);
  g_clear_object (&self->outbox);
  g_clear_object (&self->keys);
  g_clear_pointer (&self->protocol, _sotto_protocol_state_unref);
  g_clear_pointer (&self->blocked, g_hash_table_unref);
  g_clear_pointer (&self->trust_root_conflict, g_free);
  g_clear_object (&self->client);
  g_clear_object (&self->conversations);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_messenger_parent_class)->finalize (object);
}

static void
sotto_messenger_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;

    case PROP_CONVERSATIONS:
      g_value_set_object (value, self->conversations);
      break;

    case PROP_RELAY_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_DRAINED:
      g_value_set_boolean (value, _sotto_inbox_get_drained (self->inbox));
      break;

    case PROP_OUTBOX_SIZE:
      g_value_set_uint (value, _sotto_outbox_get_size (self->outbox));
      break;

    case PROP_SEND_READ_RECEIPTS:
      g_value_set_boolean (value, self->send_read_receipts);
      break;

    case PROP_MESSAGE_REQUESTS:
      g_value_set_boolean (value, self->message_requests);
      break;

    case PROP_TRUST_ROOT_CONFLICT:
      g_value_set_string (value, self->trust_root_conflict);
      break;

    case PROP_AUTO_DOWNLOAD_SIZE:
      g_value_set_uint64 (value, self->auto_download_size);
      break;

    case PROP_TYPING_INDICATORS:
      g_value_set_boolean (value, self->typing_indicators);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_messenger_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);

  switch (prop_id)
    {
    case PROP_SEND_READ_RECEIPTS:
      if (self->send_read_receipts != g_value_get_boolean (value))
        {
          self->send_read_receipts = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_MESSAGE_REQUESTS:
      if (self->message_requests != g_value_get_boolean (value))
        {
          self->message_requests = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_AUTO_DOWNLOAD_SIZE:
      if (self->auto_download_size != g_value_get_uint64 (value))
        {
          self->auto_download_size = g_value_get_uint64 (value);
          _sotto_attachment_service_set_auto_download_size (self->attachments, self->auto_download_size);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_TYPING_INDICATORS:
      if (self->typing_indicators != g_value_get_boolean (value))
        {
          self->typing_indicators = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_messenger_class_init (SottoMessengerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_messenger_dispose;
  object_class->finalize = sotto_messenger_finalize;
  object_class->get_property = sotto_messenger_get_property;
  object_class->set_property = sotto_messenger_set_property;

  properties [PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         SOTTO_TYPE_ACCOUNT,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_CONVERSATIONS] =
    g_param_spec_object ("conversations", NULL, NULL,
                         SOTTO_TYPE_CONVERSATION_LIST,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_RELAY_CLIENT] =
    g_param_spec_object ("relay-client", NULL, NULL,
                         SOTTO_TYPE_RELAY_CLIENT,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:drained:
   *
   * Whether everything the relay held for this device when the delivery
   * socket opened has been stored.  It goes back to %FALSE when the
   * socket closes.
   */
  properties [PROP_DRAINED] =
    g_param_spec_boolean ("drained", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:outbox-size:
   *
   * How many messages waited to be sent when the outbox was last read.
   */
  properties [PROP_OUTBOX_SIZE] =
    g_param_spec_uint ("outbox-size", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:send-read-receipts:
   *
   * Whether marking messages read tells their senders.  Without, they
   * are marked read here and the sender sees them delivered only.
   */
  properties [PROP_SEND_READ_RECEIPTS] =
    g_param_spec_boolean ("send-read-receipts", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:message-requests:
   *
   * Whether a stranger's first message makes a message request, which
   * hears no receipts until it is accepted.  The app asks for them; a
   * script's messenger (sotto-cli's, unless told otherwise) answers
   * every sender as before, as other command-line clients do.
   */
  properties [PROP_MESSAGE_REQUESTS] =
    g_param_spec_boolean ("message-requests", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:trust-root-conflict:
   *
   * The sealed sender trust root the relay presents, in base64, when it
   * is not the one pinned; %NULL otherwise.  It is never taken without
   * the user (sotto_messenger_pin_trust_root_async()): until then sealed
   * messages under it stay at the relay and messages go identified.
   */
  properties [PROP_TRUST_ROOT_CONFLICT] =
    g_param_spec_string ("trust-root-conflict", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:auto-download-size:
   *
   * Incoming pictures up to this many bytes are downloaded as they
   * arrive; 0, the default, downloads nothing by itself.  The app sets
   * it from its preferences.
   */
  properties [PROP_AUTO_DOWNLOAD_SIZE] =
    g_param_spec_uint64 ("auto-download-size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoMessenger:typing-indicators:
   *
   * Whether typing indicators are sent while the user composes
   * (sotto_messenger_set_composing()) and contacts' are shown
   * (#SottoConversation:peer-typing).  Off, neither happens.
   */
  properties [PROP_TYPING_INDICATORS] =
    g_param_spec_boolean ("typing-indicators", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SottoMessenger::message-received:
   * @self: a #SottoMessenger
   * @conversation: the conversation it entered
   * @message: the message
   *
   * A message from a contact was stored.
   */
  signals [MESSAGE_RECEIVED] = _sotto_signal_new_message_received (G_TYPE_FROM_CLASS (klass));

  /**
   * SottoMessenger::message-action:
   * @self: a #SottoMessenger
   * @conversation: the conversation of the message
   * @action: what the contact did
   * @id: the id of the content that did it
   * @target_id: the message's id
   * @text: (nullable): the new text of an edit, or the emoji of a
   *   reaction; %NULL for a deletion and a removed reaction
   * @sent_at: when the contact did it, in milliseconds since the epoch
   * @message: the message as it left it
   *
   * A contact reacted to, edited or deleted a message for everyone, and
   * it is stored and shown.  One that arrived before its message is
   * announced right after that message's #SottoMessenger::message-received;
   * forged and refused ones never are.
   */
  signals [MESSAGE_ACTION] = _sotto_signal_new_message_action (G_TYPE_FROM_CLASS (klass));

  /**
   * SottoMessenger::identity-changed:
   * @self: a #SottoMessenger
   * @conversation: the conversation with the contact
   *
   * A contact's identity key changed; a "safety number changed" event
   * entered the conversation.
   */
  signals [IDENTITY_CHANGED] = _sotto_signal_new_identity_changed (G_TYPE_FROM_CLASS (klass));

  /**
   * SottoMessenger::conversation-removed:
   * @self: a #SottoMessenger
   * @conversation: the conversation
   *
   * The conversation left the list for good: the user deleted the
   * message request or blocked the contact.
   */
  signals [CONVERSATION_REMOVED] =
    g_signal_new ("conversation-removed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_CONVERSATION);

  /**
   * SottoMessenger::profile-changed:
   * @self: a #SottoMessenger
   * @conversation: the conversation with the contact
   * @changes: which of the two changed
   *
   * A contact's encrypted profile gave a new display name, which their
   * #SottoContact:name now shows, or a new avatar (or took it away),
   * which their #SottoContact:avatar now shows.
   */
  signals [PROFILE_CHANGED] =
    g_signal_new ("profile-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, SOTTO_TYPE_CONVERSATION, SOTTO_TYPE_PROFILE_CHANGES);

  _sotto_engine_init_crypto ();
}

static void
sotto_messenger_init (SottoMessenger *self)
{
  self->send_read_receipts = TRUE;
  self->typing_indicators = TRUE;
  self->blocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
