/* sotto-group-list-send.c: messages to a group, under sender keys
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-sealed-sender.h"

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-contact-private.h"
#include "sotto-conversation.h"
#include "sotto-group-private.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-outbox-private.h"
#include "sotto-profile-cipher-private.h"
#include "sotto-relay-client-multi-private.h"
#include "sotto-sealed-sender-private.h"
#include "sotto-store-groups-private.h"

/* A message to a group is encrypted once, with this device's sender key
 * for the group, into a SenderKeyMessage that the relay's multi-recipient
 * send delivers to every device of every other member in one request
 * (envelope type 7).  Members who do not have the sender key yet get it
 * first, inside their 1:1 session (sotto-group-list-delivery.c, which
 * sets a session up from a prekey bundle when there is none).  After a
 * member was removed or left, the group's sender key is forgotten
 * (sotto-group-list.c, sotto-group-list-receive.c): the next message
 * starts a new one, which goes only to the members then.
 *
 * When the relay answers 404, 409 or 410 for some members, their device
 * lists changed: each of them gets the sender key again inside their
 * 1:1 session, which repairs the sessions as a 1:1 message does, and
 * the send is made again, at most SEND_ATTEMPTS times in all.
 *
 * The send is sealed (docs/messenger.md, "Sealed sender"): members whose
 * profile key this account holds, and so their access key, get the
 * message in one sealed sender v2 upload that names no sender to the
 * relay (sotto-sealed-sender.c); only the others, or everyone when no
 * trust root is pinned, no good certificate comes or the relay refuses
 * an access key, get it identified, through PUT /v1/messages/multi.
 * The message is marked sealed when every member got it so, which its
 * details show as for a 1:1 message.  A member the relay accepted the
 * message for is not sent it again when the other request is refused.
 *
 * Nothing the user writes is lost: a message is kept in the store, in
 * the transaction that adds it to the timeline, with every member it is
 * for (sotto-store-group-outgoing.c), and the members the relay took it
 * for leave that list once it has.  Those it could not reach get it
 * later (sotto-group-list-outgoing.c): when the relay is back, the next
 * time the profile is opened, or when the user retries a message that
 * failed for good; then it is encrypted again under the current sender
 * key, for the members still waiting who still are members. */

#define SEND_ATTEMPTS 3

/* The relay's envelope type of a SenderKeyMessage. */
#define ENVELOPE_TYPE_SENDER_KEY 7

typedef struct
{
  char *group_id;
  /* What goes to the members: a text, or a reply, reaction, edit or
   * deletion (sotto-group-list-actions.c) of the message target_id by
   * target_author (%NULL when not known yet). */
  SottoContent *content;
  char *target_author;
  char *target_id;
  gint64 timestamp;

  /* What the store's first step made: the message in the timeline, the
   * one ciphertext, the sender key, every other member, and those the
   * sender key is to go to. */
  SottoGroupState *state;
  SottoGroupEvent *event;
  GBytes *ciphertext;
  GBytes *distribution;
  GPtrArray *members;
  GPtrArray *unshared;
  /* The members whose verified key changed, known on the main thread
   * before the first step, and those found held on the way (whose
   * delivery is kept by the next step): the message, encoded as
   * plaintext, waits in the store for each. */
  GHashTable *held;
  GPtrArray *newly_held;
  GBytes *plaintext;

  /* Sender keys on their way, the members they reached, and the
   * members that cannot be reached (uuid → GError). */
  guint pending;
  GPtrArray *shared;
  GHashTable *failed;

  /* The multi-recipient sends, made on the store's thread: the
   * members that get it identified, and those that get it sealed, with
   * their access keys and a SpSealedRecipient (with its identity key)
   * for each device.  contacts maps each member's uuid to its contact's
   * row, for its profile key; delivered holds the members the relay
   * accepted the message for. */
  GPtrArray *recipients;
  GPtrArray *sealed_recipients;
  GArray *sealed_devices;
  GHashTable *contacts;
  GHashTable *delivered;
  gboolean seal;
  gboolean went_identified;
  guint attempts;

  /* The group's row in the store, and the row of the message's entry
   * (0 for a change to a message). */
  gint64 row;
  gint64 event_row;

  /* For a message sent again, what the store kept of it; and what is
   * kept once this try is over, with the members still waiting. */
  SottoGroupOutgoing *resend;
  SottoGroupOutgoing *outgoing;
  /* Whether this account left the group, or was removed from it, since
   * the message was written. */
  gboolean left;
  /* The rows of the messages being sent (SottoGroupList's), which a
   * pass over those waiting leaves alone. */
  GHashTable *busy;
} GroupSend;

static void
group_send_free (GroupSend *send)
{
  g_free (send->group_id);
  g_clear_pointer (&send->content, sotto_content_free);
  g_free (send->target_author);
  g_free (send->target_id);
  _sotto_group_state_free (send->state);
  g_clear_pointer (&send->event, sotto_group_event_free);
  g_clear_pointer (&send->ciphertext, g_bytes_unref);
  g_clear_pointer (&send->distribution, g_bytes_unref);
  g_clear_pointer (&send->members, g_ptr_array_unref);
  g_clear_pointer (&send->unshared, g_ptr_array_unref);
  g_clear_pointer (&send->held, g_hash_table_unref);
  g_clear_pointer (&send->newly_held, g_ptr_array_unref);
  g_clear_pointer (&send->plaintext, g_bytes_unref);
  g_clear_pointer (&send->shared, g_ptr_array_unref);
  g_clear_pointer (&send->failed, g_hash_table_unref);
  g_clear_pointer (&send->recipients, g_ptr_array_unref);
  g_clear_pointer (&send->sealed_recipients, g_ptr_array_unref);
  g_clear_pointer (&send->sealed_devices, g_array_unref);
  g_clear_pointer (&send->contacts, g_hash_table_unref);
  g_clear_pointer (&send->delivered, g_hash_table_unref);
  g_clear_pointer (&send->resend, _sotto_group_outgoing_free);
  g_clear_pointer (&send->outgoing, _sotto_group_outgoing_free);
  if (send->event_row != 0)
    g_hash_table_remove (send->busy, &send->event_row);
  g_hash_table_unref (send->busy);
  g_free (send);
}

static gboolean
set_sp_error (GError     **error,
              int          rc,
              const char  *what)
{
  _sotto_set_error_from_sp (error, rc, what);
  return FALSE;
}

/* This device's sender key for the group in row @row: the current one,
 * or a new one after there was none or a member went. */
static gboolean
current_sender_key (SottoGroupList  *self,
                    gint64           row,
                    guint8           distribution_id[SP_DISTRIBUTION_ID_SIZE],
                    GError         **error)
{
  gboolean found = FALSE;

  if (!_sotto_store_load_group_own_key (_sotto_group_list_get_store (self), row, distribution_id, &found, error))
    return FALSE;
  if (found)
    return TRUE;

  randombytes_buf (distribution_id, SP_DISTRIBUTION_ID_SIZE);
  return _sotto_store_save_group_own_key (_sotto_group_list_get_store (self), row, distribution_id, error);
}

/* Whether @members (SottoGroupMember), or every member when it is
 * %NULL, has the member @uuid. */
static gboolean
is_listed (GPtrArray  *members,
           const char *uuid)
{
  if (members == NULL)
    return TRUE;

  for (guint i = 0; i < members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (members, i);

      if (g_ascii_strcasecmp (member->uuid, uuid) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Encrypts @plaintext once, under this device's sender key for the
 * group @state in row @row, for every other member of it, or only for
 * those of them in @only; a held member gets it kept in the store, to
 * go inside the 1:1 session once the hold ends. */
static gboolean
encrypt_for_members (SottoGroupList   *self,
                     GroupSend        *send,
                     SottoGroupState  *state,
                     gint64            row,
                     GBytes           *plaintext,
                     GPtrArray        *only,
                     GError          **error)
{
  SottoStore *store = _sotto_group_list_get_store (self);
  const char *own_uuid = sotto_account_get_uuid (self->account);
  guint8 distribution_id[SP_DISTRIBUTION_ID_SIZE];
  guint8 distribution[SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE];
  SpGroupCipher *cipher;
  g_autofree guint8 *ciphertext = NULL;
  gsize ciphertext_size;
  gsize ciphertext_len = 0;
  gsize distribution_len = 0;
  int rc;

  cipher = _sotto_protocol_state_get_group_cipher (self->protocol, error);
  if (cipher == NULL || !current_sender_key (self, row, distribution_id, error))
    return FALSE;

  rc = sp_group_cipher_create_distribution (cipher, distribution_id, distribution, sizeof distribution,
                                            &distribution_len);
  if (rc != SP_OK)
    return set_sp_error (error, rc, _("Could not make the group’s key"));

  ciphertext_size = SP_GROUP_CIPHERTEXT_MAX_SIZE (g_bytes_get_size (plaintext));
  ciphertext = g_malloc (ciphertext_size);
  rc = sp_group_cipher_encrypt (cipher, distribution_id, g_bytes_get_data (plaintext, NULL),
                                g_bytes_get_size (plaintext), ciphertext, ciphertext_size, &ciphertext_len);
  if (rc != SP_OK)
    return set_sp_error (error, rc, _("Could not encrypt the message"));

  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (state->members, i);
      gboolean shared = FALSE;

      if (g_ascii_strcasecmp (member->uuid, own_uuid) == 0 || !is_listed (only, member->uuid))
        continue;
      if (g_hash_table_contains (send->held, member->uuid))
        {
          g_autoptr(SottoGroupDelivery) delivery = NULL;

          /* It goes inside the 1:1 session once the hold ends. */
          delivery = _sotto_store_add_group_delivery (store, row, member->uuid, member->username, plaintext,
                                                      send->timestamp, error);
          if (delivery == NULL)
            return FALSE;
          continue;
        }
      if (!_sotto_store_group_key_is_shared (store, row, member->uuid, &shared, error))
        return FALSE;
      /* A member there is no session with any more (this account reset
       * its identity) gets the key again, on a new session. */
      if (shared)
        {
          g_autoptr(GArray) devices = _sotto_protocol_state_list_devices (store, member->uuid, error);

          if (devices == NULL)
            return FALSE;
          shared = devices->len > 0;
        }
      g_ptr_array_add (send->members, g_strdup (member->uuid));
      if (!shared)
        g_ptr_array_add (send->unshared, g_strdup (member->uuid));
    }

  send->ciphertext = g_bytes_new (ciphertext, ciphertext_len);
  send->distribution = g_bytes_new (distribution, distribution_len);
  sodium_memzero (distribution, sizeof distribution);
  return TRUE;
}

/* The members of @send that the relay did not take the message for, as
 * the store keeps them (SottoGroupMember). */
static GPtrArray *
waiting_members (GroupSend *send)
{
  GPtrArray *waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);

  for (guint i = 0; i < send->members->len; i++)
    {
      const char *uuid = g_ptr_array_index (send->members, i);
      const SottoGroupMember *member = _sotto_group_state_find_member (send->state, uuid);

      if (!g_hash_table_contains (send->delivered, uuid) && !g_hash_table_contains (send->held, uuid))
        g_ptr_array_add (waiting, _sotto_group_member_new (uuid, member != NULL ? member->username : NULL, FALSE));
    }

  return waiting;
}

/* The first step of a message sent again: its entry, and, unless this
 * account is no longer a member, its encryption for the members still
 * waiting for it who still are members. */
static gboolean
prepare_resend (SottoGroupList  *self,
                GroupSend       *send,
                GError         **error)
{
  const char *own_uuid = sotto_account_get_uuid (self->account);
  g_autoptr(SottoGroupState) state = NULL;

  state = _sotto_group_list_load_group (self, send->group_id, &send->row, error);
  if (state == NULL)
    return FALSE;

  send->event = _sotto_store_find_group_event (_sotto_group_list_get_store (self), send->row, own_uuid,
                                               send->content->id, &send->event_row, error);
  if (send->event == NULL)
    return FALSE;

  send->plaintext = g_bytes_ref (send->resend->plaintext);
  send->left = _sotto_group_state_find_member (state, own_uuid) == NULL;
  send->state = g_steal_pointer (&state);
  if (send->left)
    return TRUE;

  return encrypt_for_members (self, send, send->state, send->row, send->plaintext, send->resend->members, error);
}

static gboolean
prepare_in_transaction (SottoGroupList  *self,
                        gpointer         data,
                        GError         **error)
{
  GroupSend *send = data;
  SottoStore *store = _sotto_group_list_get_store (self);
  const char *own_uuid = sotto_account_get_uuid (self->account);
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(GBytes) plaintext = NULL;
  gint64 row = 0;

  send->members = g_ptr_array_new_with_free_func (g_free);
  send->unshared = g_ptr_array_new_with_free_func (g_free);
  if (send->resend != NULL)
    return prepare_resend (self, send, error);

  state = _sotto_group_list_load_member_group (self, send->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  /* A reply quotes its message, and a change is made to this device's
   * copy of it once it may be made, on the way out. */
  if (send->target_id != NULL
      && !_sotto_group_prepare_change (store, row, state, own_uuid, sotto_account_get_username (self->account),
                                       send->target_author, send->target_id, send->content, &send->event, error))
    return FALSE;

  plaintext = sotto_content_encode (send->content);
  if (!encrypt_for_members (self, send, state, row, plaintext, NULL, error))
    return FALSE;

  send->row = row;
  send->plaintext = g_bytes_ref (plaintext);
  send->state = g_steal_pointer (&state);

  if (send->content->kind != SOTTO_CONTENT_KIND_TEXT)
    return TRUE;

  send->event = sotto_group_event_new (SOTTO_GROUP_EVENT_TEXT, send->content->id, TRUE, own_uuid,
                                       sotto_account_get_username (self->account), send->content->text, NULL,
                                       send->timestamp);
  send->event->quote_id = g_strdup (send->content->quote_id);
  send->event->quote_author = g_strdup (send->content->quote_author);
  send->event->quote_text = g_strdup (send->content->quote_text);
  if (!_sotto_store_add_group_event (store, row, send->event, error)
      || !_sotto_store_find_group_event_row (store, row, own_uuid, send->content->id, &send->event_row, error))
    return FALSE;

  /* Kept with every member it is for, until the relay took it. */
  send->outgoing = g_new0 (SottoGroupOutgoing, 1);
  send->outgoing->event_row = send->event_row;
  send->outgoing->group_id = g_strdup (send->group_id);
  send->outgoing->plaintext = g_bytes_ref (plaintext);
  send->outgoing->members = waiting_members (send);
  return _sotto_store_save_group_outgoing (store, row, send->outgoing, error);
}

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, prepare_in_transaction);
}

/* The access key of the member @uuid, from the profile key of its
 * contact, in guarded memory; %NULL when there is none (a member who
 * has not written yet, or no contact). */
static gboolean
load_access_key (SottoGroupList  *self,
                 GroupSend       *send,
                 const char      *uuid,
                 guint8         **access_key,
                 GError         **error)
{
  gpointer contact_id = g_hash_table_lookup (send->contacts, uuid);
  guint8 *profile_key = NULL;

  *access_key = NULL;
  if (contact_id == NULL)
    return TRUE;

  if (!_sotto_store_load_contact_profile_key (_sotto_group_list_get_store (self), GPOINTER_TO_SIZE (contact_id),
                                              &profile_key, error))
    return FALSE;

  if (profile_key != NULL)
    {
      *access_key = _sotto_secure_alloc (SOTTO_PROFILE_ACCESS_KEY_SIZE);
      _sotto_profile_derive_access_key (profile_key, *access_key);
      sodium_free (profile_key);
    }

  return TRUE;
}

/* Adds an envelope for each device of @uuid there is a session with,
 * to the sealed send when the member's access key and each device's
 * identity key are known, to the identified one otherwise. */
static gboolean
add_recipient (SottoGroupList  *self,
               GroupSend       *send,
               const char      *uuid,
               GError         **error)
{
  SottoStore *store = _sotto_group_list_get_store (self);
  g_autoptr(SottoRelayRecipient) recipient = sotto_relay_recipient_new (uuid);
  g_autoptr(GArray) sealed_devices = g_array_new (FALSE, FALSE, sizeof (SpSealedRecipient));
  g_autoptr(GArray) devices = NULL;
  gboolean sealed;
  SpStore sp_store;

  devices = _sotto_protocol_state_list_devices (store, uuid, error);
  if (devices == NULL)
    return FALSE;

  if (send->seal && !load_access_key (self, send, uuid, &recipient->access_key, error))
    return FALSE;
  sealed = recipient->access_key != NULL;

  _sotto_protocol_state_get_interface (self->protocol, &sp_store);
  for (guint i = 0; i < devices->len; i++)
    {
      guint device_id = g_array_index (devices, guint, i);
      SpAddress address = { uuid, device_id };
      SpSealedRecipient device = { NULL, device_id, 0, { { 0 } } };
      SpSessionRecord *record = NULL;
      bool found = FALSE;
      int rc;

      rc = sp_session_record_new (&record);
      if (rc == SP_OK)
        rc = sp_store.load_session (sp_store.user_data, &address, record);
      if (rc == SP_OK)
        rc = sp_session_record_get_remote_registration_id (record, &device.registration_id);
      sp_session_record_free (record);
      if (rc == SP_OK && sealed)
        rc = sp_store.get_identity (sp_store.user_data, &address, &device.identity_key, &found);
      if (rc != SP_OK)
        return set_sp_error (error, rc, _("Could not read a session"));

      sealed = sealed && found;
      g_array_append_val (sealed_devices, device);
      g_ptr_array_add (recipient->envelopes,
                       sotto_relay_outgoing_new (ENVELOPE_TYPE_SENDER_KEY, device_id, device.registration_id,
                                                 send->ciphertext));
    }

  if (recipient->envelopes->len == 0)
    {
      g_hash_table_insert (send->failed, g_strdup (uuid),
                           g_error_new_literal (SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                                _("No session with a member’s devices")));
      return TRUE;
    }

  if (!sealed)
    {
      g_clear_pointer (&recipient->access_key, sodium_free);
      g_ptr_array_add (send->recipients, g_steal_pointer (&recipient));
      return TRUE;
    }

  /* The names point at the recipient's uuid, which the send keeps. */
  for (guint i = 0; i < sealed_devices->len; i++)
    g_array_index (sealed_devices, SpSealedRecipient, i).name = recipient->uuid;
  g_array_append_vals (send->sealed_devices, sealed_devices->data, sealed_devices->len);
  g_ptr_array_add (send->sealed_recipients, g_steal_pointer (&recipient));
  return TRUE;
}

/* Records whom the sender key reached, and makes the multi-recipient
 * send for every member who has it. */
static gboolean
address_in_transaction (SottoGroupList  *self,
                        gpointer         data,
                        GError         **error)
{
  GroupSend *send = data;
  SottoStore *store = _sotto_group_list_get_store (self);
  g_autoptr(SottoGroupState) state = NULL;
  gint64 row = 0;

  state = _sotto_group_list_load_group (self, send->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  for (guint i = 0; i < send->shared->len; i++)
    {
      if (!_sotto_store_set_group_key_shared (store, row, g_ptr_array_index (send->shared, i), TRUE, error))
        return FALSE;
    }
  g_ptr_array_set_size (send->shared, 0);

  /* Those whose new key the outbox found held get the message later. */
  for (guint i = 0; i < send->newly_held->len; i++)
    {
      const char *uuid = g_ptr_array_index (send->newly_held, i);
      const SottoGroupMember *member = _sotto_group_state_find_member (send->state, uuid);
      g_autoptr(SottoGroupDelivery) delivery = NULL;

      delivery = _sotto_store_add_group_delivery (store, row, uuid, member != NULL ? member->username : NULL,
                                                  send->plaintext, send->timestamp, error);
      if (delivery == NULL)
        return FALSE;
      g_hash_table_add (send->held, g_strdup (uuid));
    }
  g_ptr_array_set_size (send->newly_held, 0);

  g_clear_pointer (&send->recipients, g_ptr_array_unref);
  g_clear_pointer (&send->sealed_recipients, g_ptr_array_unref);
  g_clear_pointer (&send->sealed_devices, g_array_unref);
  send->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_recipient_free);
  send->sealed_recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_recipient_free);
  send->sealed_devices = g_array_new (FALSE, FALSE, sizeof (SpSealedRecipient));
  for (guint i = 0; i < send->members->len; i++)
    {
      const char *uuid = g_ptr_array_index (send->members, i);

      if (!g_hash_table_contains (send->failed, uuid) && !g_hash_table_contains (send->delivered, uuid)
          && !add_recipient (self, send, uuid, error))
        return FALSE;
    }

  return TRUE;
}

/* Records how the try went, in one transaction: whether the message
 * went sealed to every member, and the members still waiting for it.  A
 * group left and deleted meanwhile has no row, and nothing is kept. */
static gboolean
settle_in_transaction (SottoGroupList  *self,
                       gpointer         data,
                       GError         **error)
{
  GroupSend *send = data;
  SottoStore *store = _sotto_group_list_get_store (self);

  if (send->event->sealed
      && !_sotto_store_mark_group_event_sealed (store, send->row, send->event->author, send->content->id, error))
    return FALSE;

  return _sotto_store_save_group_outgoing (store, send->row, send->outgoing, error);
}

static void
settle_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, settle_in_transaction);
}

static void
address_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, address_in_transaction);
}

/* The first error of @send's that matches @held, or that is no
 * passing state of the relay's. */
static const GError *
find_error (GroupSend *send,
            gboolean   held)
{
  GHashTableIter iter;
  const GError *error;

  g_hash_table_iter_init (&iter, send->failed);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &error))
    {
      if (held ? g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD)
               : !sotto_relay_error_is_transient (error))
        return error;
    }

  return NULL;
}

/* Completes the send: with an error naming the first member it could
 * not reach, if any.  A message kept for members the relay could not be
 * reached for is no error: the message says who waits for it. */
static void
send_finish (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);
  const GError *error;

  if (send->outgoing != NULL)
    {
      g_autoptr(GStrvBuilder) pending = g_strv_builder_new ();

      for (guint i = 0; i < send->outgoing->members->len; i++)
        {
          SottoGroupMember *member = g_ptr_array_index (send->outgoing->members, i);

          g_strv_builder_add (pending, member->username != NULL ? member->username : member->uuid);
        }
      g_clear_pointer (&send->event->pending, g_strfreev);
      if (send->outgoing->members->len > 0)
        send->event->pending = g_strv_builder_end (pending);
      send->event->failed = send->outgoing->failed;
      _sotto_group_list_emit_outgoing_changed (self, send->group_id, send->event);
    }

  if (send->left)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("You are no longer a member of this group"));
      return;
    }

  /* A member held is named first; a change fails with any error. */
  error = find_error (send, TRUE);
  if (error == NULL && send->outgoing == NULL)
    {
      GHashTableIter iter;

      g_hash_table_iter_init (&iter, send->failed);
      g_hash_table_iter_next (&iter, NULL, (gpointer *) &error);
    }
  else if (error == NULL && send->outgoing->failed)
    error = find_error (send, FALSE);
  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }

  g_task_return_pointer (task, sotto_group_event_copy (send->event), (GDestroyNotify) sotto_group_event_free);
}

static void share_sender_key (GTask *task);
static void send_identified (GTask *task);
static void addressed_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
settled_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (!_sotto_task_propagate_step (task, result))
    return;

  send_finish (task);
}

/* Whether a member still waiting for the message waits for good: the
 * relay refused it for a reason a later try would meet again. */
static gboolean
failed_for_good (GroupSend *send,
                 GPtrArray *waiting)
{
  for (guint i = 0; i < waiting->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (waiting, i);
      const GError *error = g_hash_table_lookup (send->failed, member->uuid);

      if (error != NULL && !sotto_relay_error_is_transient (error))
        return TRUE;
    }

  return FALSE;
}

/* Completes the send once the relay accepted it for every member it
 * went to, or could not: a message is kept with the members still
 * waiting for it, and marked sealed when it went sealed to all of them
 * at once. */
static void
send_done (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);
  SottoGroupOutgoing *outgoing;

  /* A change is to a message, which went as it went. */
  if (send->event_row == 0)
    {
      send_finish (task);
      return;
    }

  outgoing = g_new0 (SottoGroupOutgoing, 1);
  outgoing->event_row = send->event_row;
  outgoing->group_id = g_strdup (send->group_id);
  outgoing->plaintext = g_bytes_ref (send->plaintext);
  if (send->left)
    outgoing->members = g_ptr_array_ref (send->resend->members);
  else
    outgoing->members = waiting_members (send);
  outgoing->failed = send->left || failed_for_good (send, outgoing->members);
  g_clear_pointer (&send->outgoing, _sotto_group_outgoing_free);
  send->outgoing = outgoing;

  send->event->sealed = send->event->sealed
                        || (send->resend == NULL && !send->went_identified && outgoing->members->len == 0
                            && g_hash_table_size (send->delivered) > 0);
  _sotto_task_run_step (task, _sotto_group_list_get_store (self), settle_thread, settled_cb);
}

/* The relay refused the message for @recipients with @error: each of
 * them waits for it. */
static void
record_refused (GroupSend    *send,
                GPtrArray    *recipients,
                const GError *error)
{
  for (guint i = 0; i < recipients->len; i++)
    {
      SottoRelayRecipient *recipient = g_ptr_array_index (recipients, i);

      if (!g_hash_table_contains (send->failed, recipient->uuid))
        g_hash_table_insert (send->failed, g_strdup (recipient->uuid), g_error_copy (error));
    }
}

/* The relay accepted the message for every member of @recipients. */
static void
record_delivered (GroupSend *send,
                  GPtrArray *recipients)
{
  for (guint i = 0; i < recipients->len; i++)
    {
      SottoRelayRecipient *recipient = g_ptr_array_index (recipients, i);

      g_hash_table_add (send->delivered, g_strdup (recipient->uuid));
    }
}

/* After a refused send: members whose devices changed (@named) get the
 * sender key again, inside the 1:1 session that repairs their device
 * lists, and the send is made again for those it did not reach.
 * Returns %FALSE, the task not completed, when there is nothing to
 * retry. */
static gboolean
retry_named (GTask      *task,
             const GStrv named)
{
  GroupSend *send = g_task_get_task_data (task);

  if (named == NULL || named[0] == NULL || ++send->attempts >= SEND_ATTEMPTS)
    return FALSE;

  g_debug ("The relay named %u members whose devices changed", g_strv_length (named));
  g_ptr_array_set_size (send->unshared, 0);
  for (guint i = 0; named[i] != NULL; i++)
    {
      if (g_ptr_array_find_with_equal_func (send->members, named[i], g_str_equal, NULL))
        g_ptr_array_add (send->unshared, g_strdup (named[i]));
    }
  share_sender_key (task);
  return TRUE;
}

static void
multi_sent_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GroupSend *send = g_task_get_task_data (task);
  g_auto(GStrv) named = NULL;
  GError *error = NULL;

  if (sotto_relay_client_send_multi_finish (SOTTO_RELAY_CLIENT (object), result, &named, &error))
    {
      record_delivered (send, send->recipients);
      send_done (task);
      return;
    }

  if (retry_named (task, named))
    {
      g_clear_error (&error);
      return;
    }

  record_refused (send, send->recipients, error);
  g_clear_error (&error);
  send_done (task);
}

static void
sealed_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);
  g_auto(GStrv) named = NULL;
  gboolean sealed = FALSE;
  GError *error = NULL;

  if (!_sotto_sealed_sender_send_multi_finish (SOTTO_SEALED_SENDER (object), result, &sealed, &named, &error))
    {
      if (!retry_named (task, named))
        {
          /* The others still get it identified, if the relay takes it. */
          record_refused (send, send->sealed_recipients, error);
          send_identified (g_steal_pointer (&task));
        }
      g_clear_error (&error);
      return;
    }

  if (!sealed)
    {
      /* Nothing was sent: it goes identified to everyone left. */
      send->seal = FALSE;
      _sotto_task_run_step (task, _sotto_group_list_get_store (self), address_thread, addressed_cb);
      return;
    }

  record_delivered (send, send->sealed_recipients);
  send_identified (g_steal_pointer (&task));
}

/* Sends to the members that get the message identified, if any. */
static void
send_identified (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);

  if (send->recipients->len == 0)
    {
      send_done (task);
      g_object_unref (task);
      return;
    }

  send->went_identified = TRUE;
  sotto_relay_client_send_multi_async (self->client, send->timestamp, send->recipients, NULL, multi_sent_cb, task);
}

static void
addressed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (send->sealed_recipients->len == 0)
    {
      send_identified (g_steal_pointer (&task));
      return;
    }

  _sotto_sealed_sender_send_multi_async (self->outbox->sealed, send->timestamp, send->ciphertext, send->group_id,
                                         send->sealed_recipients, send->sealed_devices, NULL, sealed_sent_cb,
                                         g_steal_pointer (&task));
}

/* The contact row of each member, for its access key. */
static void
find_member_contacts (SottoGroupList *self,
                      GroupSend      *send)
{
  g_hash_table_remove_all (send->contacts);
  for (guint i = 0; i < send->members->len; i++)
    {
      const char *uuid = g_ptr_array_index (send->members, i);
      SottoConversation *conversation = sotto_conversation_list_find_by_uuid (self->conversations, uuid);

      if (conversation != NULL)
        g_hash_table_insert (send->contacts, g_strdup (uuid),
                             GSIZE_TO_POINTER (_sotto_contact_get_id (sotto_conversation_get_contact (conversation))));
    }
}

static void
share_done (GTask      *task,
            const char *uuid,
            GError     *error)
{
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);

  if (error != NULL && g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD)
      && !g_hash_table_contains (send->held, uuid))
    g_ptr_array_add (send->newly_held, g_strdup (uuid));
  if (error != NULL)
    g_hash_table_insert (send->failed, g_strdup (uuid), error);
  else if (uuid != NULL)
    g_ptr_array_add (send->shared, g_strdup (uuid));

  if (--send->pending > 0)
    return;

  find_member_contacts (self, send);
  _sotto_task_run_step (task, _sotto_group_list_get_store (self), address_thread, addressed_cb);
  g_object_unref (task);
}

typedef struct
{
  GTask *task;
  char *uuid;
} Share;

static void
shared_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Share *share = user_data;
  GError *error = NULL;

  _sotto_group_list_deliver_finish (SOTTO_GROUP_LIST (object), result, &error);
  share_done (share->task, share->uuid, error);
  g_free (share->uuid);
  g_free (share);
}

/* Sends the sender key to each member in unshared, inside their 1:1
 * session; a member whose verified key changed is held, and does not
 * get it (the message waits for it in the store). */
static void
share_sender_key (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);

  /* One for the loop itself. */
  send->pending = 1;
  g_object_ref (task);

  for (guint i = 0; i < send->unshared->len; i++)
    {
      const char *uuid = g_ptr_array_index (send->unshared, i);
      const SottoGroupMember *member = _sotto_group_state_find_member (send->state, uuid);
      g_autofree char *id = g_uuid_string_random ();
      g_autoptr(SottoContent) content = NULL;
      g_autoptr(GBytes) plaintext = NULL;
      Share *share = g_new0 (Share, 1);

      /* Stamped as the message it comes with: a member who learns a new
       * key of this account's from it shows the change just before the
       * message, however much later it goes. */
      content = sotto_content_new_group_sender_key (id, send->timestamp, send->group_id, send->distribution);
      plaintext = sotto_content_encode (content);
      share->task = task;
      share->uuid = g_strdup (uuid);
      send->pending++;
      _sotto_group_list_deliver_async (self, uuid, member != NULL ? member->username : NULL, plaintext,
                                       content->timestamp, shared_cb, share);
    }

  share_done (task, NULL, NULL);
}

static void
prepared_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSend *send = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (send->event_row != 0)
    g_hash_table_add (send->busy, g_memdup2 (&send->event_row, sizeof send->event_row));
  _sotto_group_list_show_state (self, _sotto_group_state_copy (send->state));

  share_sender_key (task);
}

/* The members of @members (SottoGroupMember) whose verified safety
 * number changed: the message is kept for each of them
 * (encrypt_for_members()) and goes once the user verifies or accepts
 * the new key (_sotto_group_list_watch_holds()), and the send fails
 * naming the first, as a 1:1 message to them would. */
static void
find_held_members (SottoGroupList *self,
                   GPtrArray      *members,
                   GroupSend      *send)
{
  for (guint i = 0; i < members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (members, i);
      SottoConversation *conversation = sotto_conversation_list_find_by_uuid (self->conversations, member->uuid);

      if (conversation == NULL || !sotto_conversation_get_sending_held (conversation))
        continue;

      g_hash_table_add (send->held, g_strdup (member->uuid));
      g_hash_table_insert (send->failed, g_strdup (member->uuid),
                           g_error_new (SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD,
                                        _("The safety number with %s changed; verify it or accept the change"),
                                        member->username != NULL ? member->username : member->uuid));
    }
}

/* Sends @content, a message to the group @group, or a change to its
 * message @target_id by @target_author (%NULL to look it up); @task
 * then returns the message as the group's timeline has it. */
static GroupSend *
group_send_new (SottoGroupList *self,
                const char     *group_id,
                SottoContent   *content)
{
  GroupSend *send = g_new0 (GroupSend, 1);

  send->group_id = g_strdup (group_id);
  send->content = content;
  send->timestamp = content->timestamp;
  send->shared = g_ptr_array_new_with_free_func (g_free);
  send->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_error_free);
  send->contacts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  send->delivered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  send->seal = self->outbox != NULL && _sotto_sealed_sender_can_seal (self->outbox->sealed);
  send->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  send->newly_held = g_ptr_array_new_with_free_func (g_free);
  send->busy = g_hash_table_ref (self->outgoing_busy);

  return send;
}

void
_sotto_group_list_send (SottoGroupList *self,
                        SottoGroup     *group,
                        SottoContent   *content,
                        const char     *target_author,
                        const char     *target_id,
                        GTask          *task)
{
  GroupSend *send = group_send_new (self, sotto_group_get_id (group), content);

  send->target_author = g_strdup (target_author);
  send->target_id = g_strdup (target_id);
  find_held_members (self, _sotto_group_get_state (group)->members, send);

  sotto_content_set_group (content, send->group_id);
  g_task_set_task_data (task, send, (GDestroyNotify) group_send_free);

  _sotto_task_run_step (task, _sotto_group_list_get_store (self), prepare_thread, prepared_cb);
}

/* Sends again @outgoing, which it takes, a message the relay did not
 * take for every member before, to the members still waiting for it;
 * @task then returns the message as the timeline has it, as
 * _sotto_group_list_send() does. */
void
_sotto_group_list_resend (SottoGroupList     *self,
                          SottoGroupOutgoing *outgoing,
                          GTask              *task)
{
  g_autoptr(SottoGroupOutgoing) kept = outgoing;
  g_autoptr(GError) error = NULL;
  SottoContent *content;
  GroupSend *send;

  content = sotto_content_decode (g_bytes_get_data (kept->plaintext, NULL), g_bytes_get_size (kept->plaintext),
                                  &error);
  if (content == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  send = group_send_new (self, kept->group_id, content);
  find_held_members (self, kept->members, send);
  send->resend = g_steal_pointer (&kept);
  g_task_set_task_data (task, send, (GDestroyNotify) group_send_free);

  _sotto_task_run_step (task, _sotto_group_list_get_store (self), prepare_thread, prepared_cb);
}

/**
 * sotto_group_list_send_async:
 * @self: a #SottoGroupList
 * @group: a group this account is a member of
 * @text: the message
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the message was stored and the relay accepted
 *   it for every other member, or could not
 * @user_data: data for @callback
 *
 * Sends a message to the group's current members.  A member whose
 * verified safety number changed gets it once the user verifies or
 * accepts the new one; until then the send fails naming them.  Members
 * the relay could not be reached for get it once it is back: the
 * message the callback has then lists them (#SottoGroupEvent.pending).
 * One the relay refused for good fails the send, and waits for
 * sotto_group_list_retry_async().
 */
void
sotto_group_list_send_async (SottoGroupList      *self,
                             SottoGroup          *group,
                             const char          *text,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *id = NULL;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (text != NULL);

  if (!_sotto_group_list_check_text (self, text, callback, user_data))
    return;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_send_async);
  id = g_uuid_string_random ();
  _sotto_group_list_send (self, group,
                          sotto_content_new_text (id, _sotto_now_ms (), sotto_account_get_username (self->account),
                                                  text),
                          NULL, NULL, task);
}

/**
 * sotto_group_list_send_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the message, as the group's timeline has it
 */
SottoGroupEvent *
sotto_group_list_send_finish (SottoGroupList  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, sotto_group_list_send_async, error);
}
