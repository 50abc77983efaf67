/* sotto-messenger-outbox.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sp-error.h"
#include "sp-message.h"

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation-private.h"
#include "sotto-message.h"
#include "sotto-messenger-private.h"

/* Sending.  A message the user writes is stored as queued first
 * (sotto_conversation_compose_async()); the outbox then sends queued
 * messages one at a time, oldest first, so that each contact receives
 * them in the order they were written.  A message leaves the outbox
 * only when the relay has committed it.  When the relay cannot be
 * reached the outbox stops and tries again after a growing, jittered
 * delay, or as soon as the delivery socket opens again; the queue is on
 * disk, so it also survives a restart and is sent by whichever command
 * runs next. */

/* Signal's envelope types, which the relay passes on unchanged. */
#define ENVELOPE_TYPE_CIPHERTEXT 1
#define ENVELOPE_TYPE_PREKEY 3

/* Someone waiting for the outbox: for one message, or for the whole
 * outbox as a pass that starts after @after reads it. */
typedef struct
{
  GTask *task;
  char *message_id;
  guint after;
} Waiter;

typedef struct
{
  SottoMessenger *messenger;
  guint number;
  GPtrArray *items;
  guint index;
  GHashTable *held;
  GHashTable *ids;
  GError *error;
} Pass;

static void pump_next (Pass *pass);

static void
waiter_free (Waiter *waiter)
{
  g_clear_object (&waiter->task);
  g_free (waiter->message_id);
  g_free (waiter);
}

static void
pass_free (Pass *pass)
{
  g_clear_object (&pass->messenger);
  g_clear_pointer (&pass->items, g_ptr_array_unref);
  g_clear_pointer (&pass->held, g_hash_table_unref);
  g_clear_pointer (&pass->ids, g_hash_table_unref);
  g_clear_error (&pass->error);
  g_free (pass);
}

/* Encryption, on the store's thread */

typedef struct
{
  char *uuid;
  GBytes *plaintext;
  GPtrArray *envelopes;
  gboolean no_session;
} Encryption;

static void
encryption_free (Encryption *encryption)
{
  g_free (encryption->uuid);
  g_clear_pointer (&encryption->plaintext, g_bytes_unref);
  g_clear_pointer (&encryption->envelopes, g_ptr_array_unref);
  g_free (encryption);
}

static gboolean
remote_registration_id (SottoMessenger  *self,
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
      _sotto_messenger_set_error_from_sp (error, rc, _("Could not read a session"));
      return FALSE;
    }

  return TRUE;
}

static gboolean
encrypt_for_devices (SottoMessenger  *self,
                     Encryption      *encryption,
                     GArray          *devices,
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
      SpSessionCipher *cipher;
      SpAddress address = { encryption->uuid, device_id };
      guint32 registration_id;
      gsize out_len;
      int type;
      int rc;

      cipher = _sotto_messenger_get_cipher (self, encryption->uuid, device_id, error);
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
          _sotto_messenger_set_error_from_sp (error, rc, _("Could not encrypt a message"));
          return FALSE;
        }

      if (!remote_registration_id (self, &address, &registration_id, error))
        return FALSE;

      content = g_bytes_new_take (g_steal_pointer (&out), out_len);
      g_ptr_array_add (encryption->envelopes,
                       sotto_relay_outgoing_new (type == SP_CIPHERTEXT_TYPE_PREKEY
                                                 ? ENVELOPE_TYPE_PREKEY : ENVELOPE_TYPE_CIPHERTEXT,
                                                 device_id, registration_id, content));
    }

  return TRUE;
}

static void
encrypt_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  Encryption *encryption = task_data;
  g_autoptr(GArray) devices = NULL;
  g_autoptr(GError) error = NULL;

  devices = _sotto_messenger_store_list_devices (self->store, encryption->uuid, &error);
  if (devices == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  encryption->envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  if (devices->len == 0)
    {
      encryption->no_session = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The advanced sending chains are written in one transaction, before
   * anything leaves: a ciphertext is never sent from a chain state that
   * could be lost and reused. */
  if (!_sotto_store_begin (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!encrypt_for_devices (self, encryption, devices, &error) || encryption->no_session)
    {
      _sotto_store_rollback (self->store);
      g_ptr_array_set_size (encryption->envelopes, 0);
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (!_sotto_store_commit (self->store, &error))
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
process_bundles (SottoMessenger  *self,
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
          _sotto_messenger_set_error_from_sp (error, rc, _("Could not store an identity key"));
          return FALSE;
        }

      _sotto_messenger_drop_cipher (self, uuid, bundle->device_id);
      cipher = _sotto_messenger_get_cipher (self, uuid, bundle->device_id, error);
      if (cipher == NULL)
        return FALSE;

      rc = sp_session_cipher_process_bundle (cipher, bundle);
      if (rc != SP_OK)
        {
          _sotto_messenger_set_error_from_sp (error, rc, _("Could not set up a session from the relay’s keys"));
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
  SottoMessenger *self = source_object;
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
  SottoMessenger *self = SOTTO_MESSENGER (object);
  Fetch *fetch = g_task_get_task_data (task);
  SottoContact *contact = sotto_conversation_get_contact (fetch->conversation);
  g_autoptr(GError) error = NULL;

  if (!_sotto_messenger_record_identity_finish (self, result, &error))
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
  SottoMessenger *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const SpPreKeyBundle *first;

  fetch->bundles = sotto_relay_client_get_bundles_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (fetch->bundles == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  first = g_ptr_array_index (fetch->bundles, 0);
  fetch->identity_key = g_bytes_new (first->identity_key.bytes, SP_PUBLIC_KEY_SIZE);

  _sotto_messenger_record_identity_async (self, fetch->conversation, fetch->identity_key,
                                          g_task_get_cancellable (task),
                                          fetch_identity_recorded_cb, g_object_ref (task));
}

/* Sets up sessions with @device_id of the conversation's contact, or
 * with all its devices for 0, from bundles the relay hands out.  The
 * bundle's identity key is recorded as the contact's first; if that
 * holds messages to the contact, no session is set up. */
void
_sotto_messenger_fetch_sessions_async (SottoMessenger      *self,
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
  g_task_set_source_tag (task, _sotto_messenger_fetch_sessions_async);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);

  sotto_relay_client_get_bundles_async (self->client, sotto_contact_get_uuid (contact), device_id,
                                        cancellable, fetch_bundles_cb, g_object_ref (task));
}

gboolean
_sotto_messenger_fetch_sessions_finish (SottoMessenger  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Delivery of one content to every device of one contact */

typedef struct
{
  SottoConversation *conversation;
  GBytes *plaintext;
  gint64 timestamp;
  guint attempts;
  gboolean fetched;
  GArray *refetch;
} Delivery;

static void deliver_encrypt (GTask *task);

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->conversation);
  g_clear_pointer (&delivery->plaintext, g_bytes_unref);
  g_clear_pointer (&delivery->refetch, g_array_unref);
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

  if (!_sotto_messenger_fetch_sessions_finish (SOTTO_MESSENGER (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  deliver_refetch_next (task);
}

static void
deliver_refetch_next (GTask *task)
{
  SottoMessenger *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  guint device_id;

  if (delivery->refetch == NULL || delivery->refetch->len == 0)
    {
      deliver_encrypt (task);
      return;
    }

  device_id = g_array_index (delivery->refetch, guint, 0);
  g_array_remove_index (delivery->refetch, 0);

  _sotto_messenger_fetch_sessions_async (self, delivery->conversation, device_id,
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
  SottoMessenger *self = source_object;
  SessionRemoval *removal = task_data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < removal->devices->len; i++)
    {
      guint device_id = g_array_index (removal->devices, guint, i);

      _sotto_messenger_drop_cipher (self, removal->uuid, device_id);
      if (!_sotto_messenger_store_delete_session (self->store, removal->uuid, device_id, &error))
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

static void
deliver_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoRelayDeviceChanges) changes = NULL;
  g_autoptr(GTask) store_task = NULL;
  SottoMessenger *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SessionRemoval *removal;

  if (sotto_relay_client_send_finish (SOTTO_RELAY_CLIENT (object), result, &changes, &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (changes == NULL || delivery->attempts >= SOTTO_MESSENGER_MAX_DEVICE_RETRIES)
    {
      g_task_return_error (task, g_steal_pointer (&error));
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
deliver_encrypted_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  Encryption *encryption = g_task_get_task_data (G_TASK (result));

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (encryption->no_session)
    {
      if (delivery->fetched)
        {
          g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                   _("No session could be set up with the contact"));
          return;
        }

      delivery->fetched = TRUE;
      _sotto_messenger_fetch_sessions_async (self, delivery->conversation, 0,
                                             g_task_get_cancellable (task),
                                             deliver_fetched_cb, g_object_ref (task));
      return;
    }

  sotto_relay_client_send_async (self->client, encryption->uuid, delivery->timestamp,
                                 encryption->envelopes, g_task_get_cancellable (task),
                                 deliver_sent_cb, g_object_ref (task));
}

static void
deliver_encrypt (GTask *task)
{
  g_autoptr(GTask) store_task = NULL;
  SottoMessenger *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  SottoContact *contact = sotto_conversation_get_contact (delivery->conversation);
  Encryption *encryption;

  if (sotto_contact_get_sending_held (contact))
    {
      return_held (task, contact);
      return;
    }

  encryption = g_new0 (Encryption, 1);
  encryption->uuid = g_strdup (sotto_contact_get_uuid (contact));
  encryption->plaintext = g_bytes_ref (delivery->plaintext);

  store_task = g_task_new (self, g_task_get_cancellable (task), deliver_encrypted_cb, g_object_ref (task));
  g_task_set_task_data (store_task, encryption, (GDestroyNotify) encryption_free);
  _sotto_store_run_in_thread (self->store, store_task, encrypt_thread);
}

/* Encrypts @plaintext, encoded inner content, for every device of the
 * conversation's contact and hands it to the relay; completes once the
 * relay committed it.  Finish with _sotto_messenger_send_content_finish(). */
void
_sotto_messenger_send_plaintext_async (SottoMessenger      *self,
                                       SottoConversation   *conversation,
                                       GBytes              *plaintext,
                                       gint64               timestamp,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Delivery *delivery;

  delivery = g_new0 (Delivery, 1);
  delivery->conversation = g_object_ref (conversation);
  delivery->plaintext = g_bytes_ref (plaintext);
  delivery->timestamp = timestamp;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_messenger_send_plaintext_async);
  g_task_set_task_data (task, delivery, (GDestroyNotify) delivery_free);

  deliver_encrypt (task);
}

/* Encodes @content and sends it as _sotto_messenger_send_plaintext_async()
 * does. */
void
_sotto_messenger_send_content_async (SottoMessenger      *self,
                                     SottoConversation   *conversation,
                                     SottoContent        *content,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GBytes) plaintext = sotto_content_encode (content);

  _sotto_messenger_send_plaintext_async (self, conversation, plaintext, content->timestamp,
                                         cancellable, callback, user_data);
}

gboolean
_sotto_messenger_send_content_finish (SottoMessenger  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The outbox */

static void
resolve_waiters (SottoMessenger *self,
                 const char     *message_id,
                 const GError   *error)
{
  GList *link = self->waiters.head;

  while (link != NULL)
    {
      GList *next = link->next;
      Waiter *waiter = link->data;

      if (waiter->message_id != NULL && g_str_equal (waiter->message_id, message_id))
        {
          g_queue_delete_link (&self->waiters, link);
          if (error != NULL)
            g_task_return_error (waiter->task, g_error_copy (error));
          else
            g_task_return_boolean (waiter->task, TRUE);
          waiter_free (waiter);
        }

      link = next;
    }
}

static gboolean
pump_retry_cb (gpointer user_data)
{
  SottoMessenger *self = user_data;

  self->pump_retry_source = 0;
  _sotto_messenger_pump (self);

  return G_SOURCE_REMOVE;
}

static void
pump_done (Pass *pass)
{
  SottoMessenger *self = pass->messenger;
  GList *link = self->waiters.head;
  guint remaining = pass->items->len - pass->index + g_hash_table_size (pass->held);

  self->pumping = FALSE;
  _sotto_messenger_set_outbox_size (self, pass->error != NULL ? remaining : g_hash_table_size (pass->held));

  /* Waiters for messages this pass saw, and for the whole outbox, have
   * their answer; a message written during the pass waits for the next
   * one, unless the relay is away anyway. */
  while (link != NULL)
    {
      GList *next = link->next;
      Waiter *waiter = link->data;
      gboolean seen = waiter->message_id != NULL ? g_hash_table_contains (pass->ids, waiter->message_id)
                                                 : pass->number > waiter->after;

      if (seen || pass->error != NULL || !self->pump_again)
        {
          g_queue_delete_link (&self->waiters, link);

          if (pass->error != NULL)
            g_task_return_new_error (waiter->task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED,
                                     _("The relay did not take the message, it is queued: %s"),
                                     pass->error->message);
          else if (waiter->message_id != NULL && g_hash_table_contains (pass->held, waiter->message_id))
            g_task_return_new_error (waiter->task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD,
                                     _("The contact’s safety number changed; the message is held "
                                       "until it is verified or accepted"));
          else if (waiter->message_id != NULL)
            g_task_return_new_error (waiter->task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                     _("The message is no longer in the outbox"));
          else
            g_task_return_boolean (waiter->task, TRUE);

          waiter_free (waiter);
        }

      link = next;
    }

  if (pass->error != NULL)
    {
      guint delay = SOTTO_MESSENGER_RETRY_BASE_MS << MIN (self->pump_attempts, 16);

      delay = MIN (delay, SOTTO_MESSENGER_RETRY_MAX_MS);
      delay = delay / 2 + g_random_int_range (0, delay / 2 + 1);
      self->pump_attempts++;

      if (self->started && self->pump_retry_source == 0)
        self->pump_retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, pump_retry_cb, self, NULL);
    }
  else
    {
      self->pump_attempts = 0;
    }

  if (self->pump_again)
    _sotto_messenger_pump (self);

  pass_free (pass);
}

static void
pump_state_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Pass *pass = user_data;
  SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->index);
  g_autoptr(GError) error = NULL;

  if (!sotto_conversation_set_message_state_finish (SOTTO_CONVERSATION (object), result, &error))
    g_debug ("Could not record the state of message %s: %s", item->id, error->message);

  resolve_waiters (pass->messenger, item->id, NULL);
  pass->index++;
  pump_next (pass);
}

static void
pump_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pass *pass = user_data;
  SottoMessenger *self = pass->messenger;
  SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->index);
  SottoConversation *conversation = _sotto_messenger_find_conversation (self, item->conversation_id);
  g_autoptr(GError) error = NULL;

  if (_sotto_messenger_send_content_finish (self, result, &error))
    {
      sotto_conversation_set_message_state_async (conversation, item->id, SOTTO_MESSAGE_STATE_SENT,
                                                  NULL, pump_state_cb, pass);
      return;
    }

  if (g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD))
    {
      g_hash_table_add (pass->held, g_strdup (item->id));
      resolve_waiters (self, item->id, error);
      pass->index++;
      pump_next (pass);
      return;
    }

  if (sotto_relay_error_is_transient (error))
    {
      g_debug ("The outbox waits for the relay: %s", error->message);
      pass->error = g_steal_pointer (&error);
      pump_done (pass);
      return;
    }

  /* Nothing will make this message go through: say so in the
   * conversation, and go on with the next one. */
  g_debug ("Message %s failed: %s", item->id, error->message);
  resolve_waiters (self, item->id, error);
  sotto_conversation_set_message_state_async (conversation, item->id, SOTTO_MESSAGE_STATE_FAILED,
                                              NULL, pump_state_cb, pass);
}

static void
pump_next (Pass *pass)
{
  SottoMessenger *self = pass->messenger;

  while (pass->index < pass->items->len)
    {
      SottoOutboxItem *item = g_ptr_array_index (pass->items, pass->index);
      SottoConversation *conversation = _sotto_messenger_find_conversation (self, item->conversation_id);
      g_autoptr(SottoContent) content = NULL;

      if (conversation == NULL)
        {
          pass->index++;
          continue;
        }

      /* A held contact's messages stay queued, in order. */
      if (sotto_conversation_get_sending_held (conversation))
        {
          g_autoptr(GError) error = NULL;

          g_set_error_literal (&error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_HELD,
                               _("The contact’s safety number changed; the message is held "
                                 "until it is verified or accepted"));
          g_hash_table_add (pass->held, g_strdup (item->id));
          resolve_waiters (self, item->id, error);
          pass->index++;
          continue;
        }

      content = sotto_content_new_text (item->id, item->sent_at,
                                        sotto_account_get_username (self->account), item->body);
      _sotto_messenger_send_content_async (self, conversation, content, NULL, pump_sent_cb, pass);
      return;
    }

  pump_done (pass);
}

static void
pump_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Pass *pass = user_data;
  g_autoptr(GError) error = NULL;

  pass->items = g_task_propagate_pointer (G_TASK (result), &error);
  if (pass->items == NULL)
    {
      pass->items = g_ptr_array_new ();
      pass->error = g_steal_pointer (&error);
      pump_done (pass);
      return;
    }

  for (guint i = 0; i < pass->items->len; i++)
    {
      SottoOutboxItem *item = g_ptr_array_index (pass->items, i);

      g_hash_table_add (pass->ids, g_strdup (item->id));
    }

  pump_next (pass);
}

static void
pump_load_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  g_autoptr(GError) error = NULL;
  GPtrArray *items;

  items = _sotto_messenger_store_load_outbox (self->store, &error);
  if (items == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, items, (GDestroyNotify) g_ptr_array_unref);
}

/* Sends the outbox, unless a pass is running already; then that pass is
 * followed by another, which sees what was queued meanwhile. */
void
_sotto_messenger_pump (SottoMessenger *self)
{
  g_autoptr(GTask) task = NULL;
  Pass *pass;

  if (self->pumping)
    {
      self->pump_again = TRUE;
      return;
    }

  g_clear_handle_id (&self->pump_retry_source, g_source_remove);
  self->pumping = TRUE;
  self->pump_again = FALSE;

  pass = g_new0 (Pass, 1);
  pass->messenger = g_object_ref (self);
  pass->number = ++self->n_passes;
  pass->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  task = g_task_new (self, NULL, pump_loaded_cb, pass);
  _sotto_store_run_in_thread (self->store, task, pump_load_thread);
}

void
_sotto_messenger_stop_outbox (SottoMessenger *self)
{
  g_clear_handle_id (&self->pump_retry_source, g_source_remove);

  /* Receipts still waiting go now rather than never. */
  _sotto_messenger_flush_receipts (self);
}

static void
send_composed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  Waiter *waiter;

  message = sotto_conversation_compose_finish (SOTTO_CONVERSATION (object), result, &error);
  if (message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_set_task_data (task, g_object_ref (message), g_object_unref);

  waiter = g_new0 (Waiter, 1);
  waiter->task = g_object_ref (task);
  waiter->message_id = g_strdup (sotto_message_get_id (message));
  g_queue_push_tail (&self->waiters, waiter);

  _sotto_messenger_pump (self);
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
  g_return_if_fail (text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_send_async);

  if (strlen (text) > SOTTO_CONTENT_MAX_TEXT)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The message is longer than %u bytes"), SOTTO_CONTENT_MAX_TEXT);
      return;
    }

  /* Writing to a message request accepts it. */
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    sotto_messenger_accept_async (self, conversation, NULL, NULL, NULL);

  sotto_conversation_compose_async (conversation, text, cancellable, send_composed_cb, g_object_ref (task));
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

/**
 * sotto_messenger_flush_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the outbox is sent
 * @user_data: data for @callback
 *
 * Sends every queued message that is not held.  Fails with
 * %SOTTO_MESSENGER_ERROR_QUEUED when the relay could not take them all.
 */
void
sotto_messenger_flush_async (SottoMessenger      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Waiter *waiter;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_flush_async);

  waiter = g_new0 (Waiter, 1);
  waiter->task = g_object_ref (task);
  waiter->after = self->n_passes;
  g_queue_push_tail (&self->waiters, waiter);

  /* A pass that is running already read the outbox; the one after it
   * is the one that answers. */
  if (self->pumping)
    self->pump_again = TRUE;
  else
    _sotto_messenger_pump (self);
}

gboolean
sotto_messenger_flush_finish (SottoMessenger  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Receipts */

/* Sends one receipt of @kind for @ids now; the task returns a boolean. */
void
_sotto_messenger_send_receipt_async (SottoMessenger      *self,
                                     SottoConversation   *conversation,
                                     SottoContentKind     kind,
                                     const char * const  *ids,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(SottoContent) content = NULL;
  g_autofree char *id = g_uuid_string_random ();

  content = sotto_content_new_receipt (kind, id, g_get_real_time () / 1000, ids);
  _sotto_messenger_send_content_async (self, conversation, content, NULL,
                                       _sotto_task_return_step_cb, g_object_ref (task));
}

static void
delivery_receipt_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Receipts are a courtesy: one that does not go through leaves the
   * sender's message as sent, and nothing is lost. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Could not send a delivery receipt: %s", error->message);
}

static gboolean
receipt_timeout_cb (gpointer user_data)
{
  SottoMessenger *self = user_data;

  self->receipt_source = 0;
  _sotto_messenger_flush_receipts (self);

  return G_SOURCE_REMOVE;
}

void
_sotto_messenger_flush_receipts (SottoMessenger *self)
{
  GHashTableIter iter;
  gpointer conversation;
  gpointer ids;

  g_clear_handle_id (&self->receipt_source, g_source_remove);

  g_hash_table_iter_init (&iter, self->receipts);
  while (g_hash_table_iter_next (&iter, &conversation, &ids))
    {
      GPtrArray *array = ids;

      g_ptr_array_add (array, NULL);
      _sotto_messenger_send_receipt_async (self, conversation, SOTTO_CONTENT_KIND_DELIVERY_RECEIPT,
                                           (const char * const *) array->pdata, delivery_receipt_cb, NULL);
      g_hash_table_iter_remove (&iter);
    }
}

/* Notes that message @id arrived; a receipt for it goes out soon. */
void
_sotto_messenger_queue_receipt (SottoMessenger    *self,
                                SottoConversation *conversation,
                                const char        *id)
{
  GPtrArray *ids = g_hash_table_lookup (self->receipts, conversation);

  if (ids == NULL)
    {
      ids = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->receipts, g_object_ref (conversation), ids);
    }

  g_ptr_array_add (ids, g_strdup (id));

  if (ids->len >= SOTTO_MESSENGER_RECEIPT_BATCH)
    _sotto_messenger_flush_receipts (self);
  else if (self->receipt_source == 0)
    self->receipt_source = g_timeout_add (SOTTO_MESSENGER_RECEIPT_DELAY_MS, receipt_timeout_cb, self);
}

static void
mark_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  SottoConversation *conversation = SOTTO_CONVERSATION (object);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  guint n_ids;

  ids = sotto_conversation_mark_read_finish (conversation, result, &error);
  if (ids == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A message request hears nothing back until the user accepts it. */
  n_ids = g_strv_length (ids);
  if (n_ids == 0 || !self->send_read_receipts
      || sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* One receipt holds a bounded number of ids; the newest ones matter. */
  _sotto_messenger_send_receipt_async (self, conversation, SOTTO_CONTENT_KIND_READ_RECEIPT,
                                       (const char * const *) ids + (n_ids > SOTTO_CONTENT_MAX_RECEIPTS
                                                                     ? n_ids - SOTTO_CONTENT_MAX_RECEIPTS : 0),
                                       _sotto_task_return_step_cb, g_object_ref (task));
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

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_mark_read_async);

  sotto_conversation_mark_read_async (conversation, cancellable, mark_read_cb, g_object_ref (task));
}

gboolean
sotto_messenger_mark_read_finish (SottoMessenger  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
