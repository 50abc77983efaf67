/* sotto-outbox-delivery.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-outbox"

#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-message.h"

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation-private.h"
#include "sotto-message.h"
#include "sotto-messenger.h"
#include "sotto-outbox-private.h"

/* Delivery of one content to every device of one contact: encrypted
 * for each device there is a session with, in one transaction that also
 * stores the advanced sending chains, and handed to the relay.  Sessions
 * are set up from the relay's prekey bundles when there are none, and
 * set up again when the relay says the device list changed.  The outbox
 * sends messages this way one at a time, and receipts go this way. */

/* Signal's envelope types, which the relay passes on unchanged. */
#define ENVELOPE_TYPE_CIPHERTEXT 1
#define ENVELOPE_TYPE_PREKEY 3

/* Encryption, on the store's thread */

void
_sotto_encryption_free (SottoEncryption *encryption)
{
  g_free (encryption->uuid);
  g_clear_pointer (&encryption->identity_key, g_bytes_unref);
  g_clear_pointer (&encryption->plaintext, g_bytes_unref);
  g_clear_pointer (&encryption->envelopes, g_ptr_array_unref);
  g_free (encryption);
}

static gboolean
remote_registration_id (SottoOutbox     *self,
                        const SpAddress *address,
                        guint32         *out,
                        GError         **error)
{
  SpSessionRecord *record = NULL;
  int rc;

  rc = sp_session_record_new (&record);
  if (rc == SP_OK)
    rc = self->sp_store.load_session (self->sp_store.user_data, address, record);
  if (rc == SP_OK)
    rc = sp_session_record_get_remote_registration_id (record, out);
  sp_session_record_free (record);

  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not read a session"));
      return FALSE;
    }

  return TRUE;
}

/* Whether the session core's identity key for @address is the
 * contact's @identity_key (none recorded never is). */
static gboolean
device_carries_identity (SottoOutbox     *self,
                         const SpAddress *address,
                         GBytes          *identity_key,
                         gboolean        *carries,
                         GError         **error)
{
  SpPublicKey saved;
  bool found = false;
  int rc;

  rc = self->sp_store.get_identity (self->sp_store.user_data, address, &saved, &found);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not read an identity key"));
      return FALSE;
    }

  *carries = found && identity_key != NULL && g_bytes_get_size (identity_key) == SP_PUBLIC_KEY_SIZE
             && sodium_memcmp (saved.bytes, g_bytes_get_data (identity_key, NULL), SP_PUBLIC_KEY_SIZE) == 0;

  return TRUE;
}

/* Encrypts for each of @devices that carries the contact's identity
 * key.  An account has one identity key for all its devices, and the
 * safety number the user compares covers only that one: a device
 * session under any other key (another device the relay made up, or
 * one left from before the contact's key changed) is never written to.
 * The relay then names the device as missing, and the session is set up
 * again from its bundle, whose key goes through the key-change rules
 * like any other.  Sets no_session when no device carries the key.
 * @registration_ids, when given,
 * remembers each device's registration id for the encryptions that
 * follow in the same transaction: encrypting does not change it, and
 * reading it means reading and decoding the whole session again. */
static gboolean
encrypt_for_devices (SottoOutbox     *self,
                     SottoEncryption *encryption,
                     GArray          *devices,
                     GHashTable      *registration_ids,
                     GError         **error)
{
  gsize plaintext_len;
  const guint8 *plaintext = g_bytes_get_data (encryption->plaintext, &plaintext_len);
  gsize out_size = SP_SESSION_CIPHERTEXT_MAX_SIZE (plaintext_len);

  for (guint i = 0; i < devices->len; i++)
    {
      guint device_id = g_array_index (devices, guint, i);
      g_autofree guint8 *out = g_malloc (out_size);
      g_autoptr(GBytes) content = NULL;
      SottoRelayOutgoing *outgoing;
      SpSessionCipher *cipher;
      SpAddress address = { encryption->uuid, device_id };
      guint32 registration_id;
      gsize out_len;
      gboolean carries;
      int type;
      int rc;

      if (!device_carries_identity (self, &address, encryption->identity_key, &carries, error))
        return FALSE;
      if (!carries)
        {
          g_debug ("Not encrypting for a device of %s: its identity key is not the contact’s",
                   encryption->uuid);
          continue;
        }

      cipher = _sotto_protocol_state_get_cipher (self->protocol, encryption->uuid, device_id, error);
      if (cipher == NULL)
        return FALSE;

      rc = sp_session_cipher_encrypt (cipher, plaintext, plaintext_len, out, out_size, &out_len, &type);
      if (rc == SP_ERR_NO_SESSION)
        {
          encryption->no_session = TRUE;
          return TRUE;
        }
      else if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not encrypt a message"));
          return FALSE;
        }

      if (registration_ids != NULL)
        {
          g_autofree char *key = g_strdup_printf ("%s.%u", encryption->uuid, device_id);
          gpointer known;

          if (g_hash_table_lookup_extended (registration_ids, key, NULL, &known))
            registration_id = GPOINTER_TO_UINT (known);
          else if (remote_registration_id (self, &address, &registration_id, error))
            g_hash_table_insert (registration_ids, g_steal_pointer (&key), GUINT_TO_POINTER (registration_id));
          else
            return FALSE;
        }
      else if (!remote_registration_id (self, &address, &registration_id, error))
        {
          return FALSE;
        }

      content = g_bytes_new_take (g_steal_pointer (&out), out_len);
      outgoing = sotto_relay_outgoing_new (type == SP_CIPHERTEXT_TYPE_PREKEY
                                           ? ENVELOPE_TYPE_PREKEY : ENVELOPE_TYPE_CIPHERTEXT,
                                           device_id, registration_id, content);
      outgoing->expires_at = encryption->expires_at;
      g_ptr_array_add (encryption->envelopes, outgoing);
    }

  if (encryption->envelopes->len == 0)
    encryption->no_session = TRUE;

  return TRUE;
}

/* When the relay may drop the envelopes of @content: a text that
 * disappears goes from the relay when the sender's own copy does, its
 * timer after it was sent (docs/messenger.md, "Disappearing
 * messages"); a recipient who has not fetched it by then never will.
 * 0 for everything else, the timer changes included. */
gint64
_sotto_outbox_relay_expiry (const SottoContent *content)
{
  if (content->kind != SOTTO_CONTENT_KIND_TEXT || content->expire_timer == 0)
    return 0;

  return content->timestamp + (gint64) content->expire_timer * 1000;
}

/* Encrypts for every device of the contact in one transaction (a
 * savepoint, inside a batch); sets no_session, with no envelopes, when
 * some device has no session.  @registration_ids is as for
 * encrypt_for_devices().  On the store's thread. */
gboolean
_sotto_outbox_encrypt (SottoOutbox      *self,
                       SottoEncryption  *encryption,
                       GHashTable       *registration_ids,
                       GError          **error)
{
  g_autoptr(GArray) devices = NULL;

  devices = _sotto_protocol_state_list_devices (self->store, encryption->uuid, error);
  if (devices == NULL)
    return FALSE;

  encryption->envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  if (devices->len == 0)
    {
      encryption->no_session = TRUE;
      return TRUE;
    }

  /* The advanced sending chains are written in one transaction, before
   * anything leaves: a ciphertext is never sent from a chain state that
   * could be lost and reused. */
  if (!_sotto_store_begin (self->store, error))
    return FALSE;

  if (!encrypt_for_devices (self, encryption, devices, registration_ids, error) || encryption->no_session)
    {
      gboolean failed = !encryption->no_session;

      _sotto_store_rollback (self->store);
      g_ptr_array_set_size (encryption->envelopes, 0);
      return !failed;
    }

  return _sotto_store_commit (self->store, error);
}

static void
encrypt_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;

  if (!_sotto_outbox_encrypt (source_object, task_data, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Fails @task because messages to @contact are held until the user
 * looks at the contact's new safety number. */
static void
return_held (GTask        *task,
             SottoContact *contact)
{
  g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD,
                           _("The safety number with %s changed; verify it or accept the change"),
                           sotto_contact_get_username (contact) ? sotto_contact_get_username (contact)
                                                                : sotto_contact_get_uuid (contact));
}

/* Contacts' identity keys */

static void
record_identity_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoOutbox *self = g_task_get_source_object (task);
  SottoConversation *conversation = SOTTO_CONVERSATION (object);
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_set_identity_key_finish (conversation, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A first key is no change; a different one is. */
  if (GPOINTER_TO_INT (g_task_get_task_data (task)))
    _sotto_outbox_emit_identity_changed (self, conversation);

  g_task_return_boolean (task, TRUE);
}

/* Records @identity_key as the contact's, with the key-change rules of
 * sotto_conversation_set_identity_key_async(); the task returns a
 * boolean. */
void
_sotto_outbox_record_identity_async (SottoOutbox         *self,
                                     SottoConversation   *conversation,
                                     GBytes              *identity_key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GBytes *current = sotto_contact_get_identity_key (sotto_conversation_get_contact (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_record_identity_async);

  if (current != NULL && g_bytes_equal (current, identity_key))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, GINT_TO_POINTER (current != NULL), NULL);
  sotto_conversation_set_identity_key_async (conversation, identity_key, cancellable,
                                             record_identity_cb, g_object_ref (task));
}

/* Sessions from bundles */

typedef struct
{
  SottoConversation *conversation;
  guint device_id;
  GPtrArray *bundles;
  GBytes *identity_key;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->conversation);
  g_clear_pointer (&fetch->bundles, g_ptr_array_unref);
  g_clear_pointer (&fetch->identity_key, g_bytes_unref);
  g_free (fetch);
}

static gboolean
process_bundles (SottoOutbox     *self,
                 Fetch           *fetch,
                 GError         **error)
{
  const char *uuid = sotto_contact_get_uuid (sotto_conversation_get_contact (fetch->conversation));

  for (guint i = 0; i < fetch->bundles->len; i++)
    {
      const SpPreKeyBundle *bundle = g_ptr_array_index (fetch->bundles, i);
      SpAddress address = { uuid, bundle->device_id };
      SpSessionCipher *cipher;
      SpPublicKey saved;
      bool found = false;
      int rc;

      /* The contact's key is recorded, and the user has not been asked
       * to hold messages for it: make it the one the session core
       * trusts, whatever the store decided for the old one. */
      rc = self->sp_store.get_identity (self->sp_store.user_data, &address, &saved, &found);
      if (rc == SP_OK && (!found || memcmp (saved.bytes, bundle->identity_key.bytes, SP_PUBLIC_KEY_SIZE) != 0))
        rc = self->sp_store.save_identity (self->sp_store.user_data, &address, &bundle->identity_key);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not store an identity key"));
          return FALSE;
        }

      _sotto_protocol_state_drop_cipher (self->protocol, uuid, bundle->device_id);
      cipher = _sotto_protocol_state_get_cipher (self->protocol, uuid, bundle->device_id, error);
      if (cipher == NULL)
        return FALSE;

      rc = sp_session_cipher_process_bundle (cipher, bundle);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not set up a session from the relay’s keys"));
          return FALSE;
        }
    }

  return TRUE;
}

static void
process_bundles_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  Fetch *fetch = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_begin (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!process_bundles (self, fetch, &error))
    {
      _sotto_store_rollback (self->store);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!_sotto_store_commit (self->store, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
fetch_identity_recorded_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoOutbox *self = SOTTO_OUTBOX (object);
  Fetch *fetch = g_task_get_task_data (task);
  SottoContact *contact = sotto_conversation_get_contact (fetch->conversation);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (sotto_contact_get_sending_held (contact))
    {
      return_held (task, contact);
      return;
    }

  _sotto_task_run_step (task, self->store, process_bundles_thread, _sotto_task_return_step_cb);
}

static void
fetch_bundles_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoOutbox *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const SpPreKeyBundle *first;

  fetch->bundles = sotto_relay_client_get_bundles_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (fetch->bundles == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* One account, one identity key: a relay that hands out a device
   * under a key of its own beside the contact's is not believed. */
  first = g_ptr_array_index (fetch->bundles, 0);
  for (guint i = 1; i < fetch->bundles->len; i++)
    {
      const SpPreKeyBundle *bundle = g_ptr_array_index (fetch->bundles, i);

      if (sodium_memcmp (bundle->identity_key.bytes, first->identity_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
        {
          g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                   _("The relay gave the contact’s devices different identity keys"));
          return;
        }
    }

  fetch->identity_key = g_bytes_new (first->identity_key.bytes, SP_PUBLIC_KEY_SIZE);

  _sotto_outbox_record_identity_async (self, fetch->conversation, fetch->identity_key,
                                       g_task_get_cancellable (task),
                                       fetch_identity_recorded_cb, g_object_ref (task));
}

/* Sets up sessions with @device_id of the conversation's contact, or
 * with all its devices for 0, from bundles the relay hands out.  The
 * bundle's identity key is recorded as the contact's first; if that
 * holds messages to the contact, no session is set up.  The task
 * returns a boolean. */
void
_sotto_outbox_fetch_sessions_async (SottoOutbox         *self,
                                    SottoConversation   *conversation,
                                    guint                device_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  Fetch *fetch;

  fetch = g_new0 (Fetch, 1);
  fetch->conversation = g_object_ref (conversation);
  fetch->device_id = device_id;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_fetch_sessions_async);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);

  sotto_relay_client_get_bundles_async (self->client, sotto_contact_get_uuid (contact), device_id,
                                        cancellable, fetch_bundles_cb, g_object_ref (task));
}

/* Delivery of one content to every device of one contact */

typedef struct
{
  SottoConversation *conversation;
  GBytes *plaintext;
  gint64 timestamp;
  gint64 expires_at;
  guint attempts;
  gboolean fetched;
  GArray *refetch;

  /* The inner messages of the last encryption, kept to send them
   * identified when they could not go sealed, and whether they went
   * sealed. */
  GPtrArray *envelopes;
  gboolean sealed;

  /* The content's id and conversation, whose message, if it is a
   * stored one, is marked sealed once it went so. */
  char *content_id;
  gint64 conversation_id;

  /* An online-only send (typing): to connected devices only, stored
   * nowhere, and never worth setting up a session for. */
  gboolean online;
} Delivery;

static void deliver_encrypt (GTask *task);

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->conversation);
  g_clear_pointer (&delivery->plaintext, g_bytes_unref);
  g_clear_pointer (&delivery->refetch, g_array_unref);
  g_clear_pointer (&delivery->envelopes, g_ptr_array_unref);
  g_free (delivery->content_id);
  g_free (delivery);
}

static void deliver_refetch_next (GTask *task);

/* Sessions were set up: on with the next device, or with encrypting
 * once none is left. */
static void
deliver_fetched_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  deliver_refetch_next (task);
}

static void
deliver_refetch_next (GTask *task)
{
  SottoOutbox *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  guint device_id;

  if (delivery->refetch == NULL || delivery->refetch->len == 0)
    {
      deliver_encrypt (task);
      return;
    }

  device_id = g_array_index (delivery->refetch, guint, 0);
  g_array_remove_index (delivery->refetch, 0);

  _sotto_outbox_fetch_sessions_async (self, delivery->conversation, device_id,
                                      g_task_get_cancellable (task),
                                      deliver_fetched_cb, g_object_ref (task));
}

typedef struct
{
  char *uuid;
  GArray *devices;
} SessionRemoval;

static void
session_removal_free (SessionRemoval *removal)
{
  g_free (removal->uuid);
  g_clear_pointer (&removal->devices, g_array_unref);
  g_free (removal);
}

static void
remove_sessions_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  SessionRemoval *removal = task_data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < removal->devices->len; i++)
    {
      guint device_id = g_array_index (removal->devices, guint, i);

      _sotto_protocol_state_drop_cipher (self->protocol, removal->uuid, device_id);
      if (!_sotto_protocol_state_delete_session (self->store, removal->uuid, device_id, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
deliver_sessions_removed_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (!_sotto_task_propagate_step (task, result))
    return;

  deliver_refetch_next (task);
}

/* The relay refused a send with @error, and with @changes for a wrong
 * device list. */
static void
deliver_refused (GTask                   *task,
                 SottoRelayDeviceChanges *changes,
                 GError                  *error)
{
  g_autoptr(GTask) store_task = NULL;
  SottoOutbox *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  SessionRemoval *removal;

  if (changes == NULL || delivery->attempts >= SOTTO_OUTBOX_MAX_DEVICE_RETRIES)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }

  /* The relay knows the contact's devices better: forget the sessions
   * with devices that are gone, and set up new ones with devices that
   * are new or registered again, then encrypt anew. */
  delivery->attempts++;
  g_clear_pointer (&delivery->refetch, g_array_unref);
  delivery->refetch = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (delivery->refetch, changes->missing->data, changes->missing->len);
  g_array_append_vals (delivery->refetch, changes->stale->data, changes->stale->len);

  removal = g_new0 (SessionRemoval, 1);
  removal->uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (delivery->conversation)));
  removal->devices = g_array_ref (changes->extra);

  store_task = g_task_new (self, g_task_get_cancellable (task), deliver_sessions_removed_cb, g_object_ref (task));
  g_task_set_task_data (store_task, removal, (GDestroyNotify) session_removal_free);
  _sotto_store_run_in_thread (self->store, store_task, remove_sessions_thread);
}

static void
deliver_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoRelayDeviceChanges) changes = NULL;
  g_autoptr(GError) error = NULL;

  if (sotto_relay_client_send_finish (SOTTO_RELAY_CLIENT (object), result, &changes, &error))
    g_task_return_boolean (task, TRUE);
  else
    deliver_refused (task, changes, error);
}

static void
mark_sealed_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  Delivery *delivery = task_data;
  g_autoptr(GError) error = NULL;

  /* The message is committed at the relay whatever happens here: a
   * failure costs only the mark in its details. */
  if (!_sotto_store_mark_message_sealed (self->store, delivery->conversation_id, delivery->content_id, &error))
    g_warning ("Could not record that message %s went sealed: %s", delivery->content_id, error->message);

  g_task_return_boolean (task, TRUE);
}

/* Sealed, or not sent because it could not go sealed: then the same
 * inner messages go identified. */
static void
deliver_sealed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoRelayDeviceChanges) changes = NULL;
  SottoOutbox *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean sealed = FALSE;

  if (!_sotto_sealed_sender_send_finish (SOTTO_SEALED_SENDER (object), result, &sealed, &changes, &error))
    {
      deliver_refused (task, changes, error);
      return;
    }

  delivery->sealed = sealed;
  if (sealed && delivery->content_id != NULL)
    {
      _sotto_task_run_step (task, self->store, mark_sealed_thread, _sotto_task_return_step_cb);
      return;
    }
  if (sealed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (delivery->online)
    sotto_relay_client_send_online_async (self->client,
                                          sotto_contact_get_uuid (sotto_conversation_get_contact (delivery->conversation)),
                                          NULL, delivery->timestamp, delivery->envelopes,
                                          g_task_get_cancellable (task), deliver_sent_cb, g_object_ref (task));
  else
    sotto_relay_client_send_async (self->client,
                                   sotto_contact_get_uuid (sotto_conversation_get_contact (delivery->conversation)),
                                   delivery->timestamp, delivery->envelopes, g_task_get_cancellable (task),
                                   deliver_sent_cb, g_object_ref (task));
}

static void
deliver_encrypted_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoOutbox *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  SottoEncryption *encryption = g_task_get_task_data (G_TASK (result));

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (encryption->no_session)
    {
      /* A passing signal does not spend the contact's prekeys. */
      if (delivery->fetched || delivery->online)
        {
          g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                   _("No session could be set up with the contact"));
          return;
        }

      delivery->fetched = TRUE;
      _sotto_outbox_fetch_sessions_async (self, delivery->conversation, 0,
                                          g_task_get_cancellable (task),
                                          deliver_fetched_cb, g_object_ref (task));
      return;
    }

  g_clear_pointer (&delivery->envelopes, g_ptr_array_unref);
  delivery->envelopes = g_ptr_array_ref (encryption->envelopes);
  if (delivery->online)
    _sotto_sealed_sender_send_online_async (self->sealed, sotto_conversation_get_contact (delivery->conversation),
                                            delivery->timestamp, delivery->envelopes,
                                            g_task_get_cancellable (task), deliver_sealed_cb, g_object_ref (task));
  else
    _sotto_sealed_sender_send_async (self->sealed, sotto_conversation_get_contact (delivery->conversation),
                                     delivery->timestamp, delivery->envelopes, g_task_get_cancellable (task),
                                     deliver_sealed_cb, g_object_ref (task));
}

static void
deliver_encrypt (GTask *task)
{
  g_autoptr(GTask) store_task = NULL;
  SottoOutbox *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  SottoContact *contact = sotto_conversation_get_contact (delivery->conversation);
  SottoEncryption *encryption;
  GBytes *identity_key;

  if (sotto_contact_get_sending_held (contact))
    {
      return_held (task, contact);
      return;
    }

  encryption = g_new0 (SottoEncryption, 1);
  encryption->uuid = g_strdup (sotto_contact_get_uuid (contact));
  identity_key = sotto_contact_get_identity_key (contact);
  encryption->identity_key = identity_key != NULL ? g_bytes_ref (identity_key) : NULL;
  encryption->plaintext = g_bytes_ref (delivery->plaintext);
  encryption->expires_at = delivery->expires_at;

  store_task = g_task_new (self, g_task_get_cancellable (task), deliver_encrypted_cb, g_object_ref (task));
  g_task_set_task_data (store_task, encryption, (GDestroyNotify) _sotto_encryption_free);
  _sotto_store_run_in_thread (self->store, store_task, encrypt_thread);
}

/* Starts a delivery of @plaintext; @content_id names the stored
 * message it carries, if any. */
static void
deliver_start (SottoOutbox         *self,
               SottoConversation   *conversation,
               GBytes              *plaintext,
               gint64               timestamp,
               gint64               expires_at,
               const char          *content_id,
               gboolean             online,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Delivery *delivery;

  delivery = g_new0 (Delivery, 1);
  delivery->online = online;
  delivery->conversation = g_object_ref (conversation);
  delivery->plaintext = g_bytes_ref (plaintext);
  delivery->timestamp = timestamp;
  delivery->expires_at = expires_at;
  delivery->content_id = g_strdup (content_id);
  delivery->conversation_id = _sotto_conversation_get_id (conversation);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_send_plaintext_async);
  g_task_set_task_data (task, delivery, (GDestroyNotify) delivery_free);

  deliver_encrypt (task);
}

/* Encrypts @plaintext, encoded inner content, for every device of the
 * conversation's contact and hands it to the relay, sealed when it can
 * go so (sotto-sealed-sender.c); completes once the relay committed it.
 * Finish with _sotto_outbox_send_content_finish(). */
void
_sotto_outbox_send_plaintext_async (SottoOutbox         *self,
                                    SottoConversation   *conversation,
                                    GBytes              *plaintext,
                                    gint64               timestamp,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  deliver_start (self, conversation, plaintext, timestamp, 0, NULL, FALSE, cancellable, callback, user_data);
}

static void
deliver_content (SottoOutbox         *self,
                 SottoConversation   *conversation,
                 SottoContent        *content,
                 const char          *content_id,
                 gboolean             online,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GBytes) plaintext = sotto_content_encode (content);

  deliver_start (self, conversation, plaintext, content->timestamp, _sotto_outbox_relay_expiry (content),
                 content_id, online, cancellable, callback, user_data);
}

/* Encodes @content and sends it as _sotto_outbox_send_plaintext_async()
 * does; the stored message with the content's id, if there is one, is
 * marked sealed when it went so. */
void
_sotto_outbox_send_content_async (SottoOutbox         *self,
                                  SottoConversation   *conversation,
                                  SottoContent        *content,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  deliver_content (self, conversation, content, content->id, FALSE, cancellable, callback, user_data);
}

/* Encodes @content, a passing signal such as typing, and sends it once
 * to the contact's devices connected to the relay at that moment; the
 * relay stores it nowhere (sotto_relay_client_send_online_async()).  It
 * is sealed when the conversation's messages are, and is never
 * retried: one that fails is lost, as it would be late anyway.  Without
 * a session with the contact it fails rather than set one up.  Finish
 * with _sotto_outbox_send_content_finish(). */
void
_sotto_outbox_send_online_async (SottoOutbox         *self,
                                 SottoConversation   *conversation,
                                 SottoContent        *content,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  deliver_content (self, conversation, content, NULL, TRUE, cancellable, callback, user_data);
}

gboolean
_sotto_outbox_send_content_finish (SottoOutbox   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
