/* sotto-sealed-sender.c: messages that do not tell the relay who sent them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-sealed-sender"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-sealed-sender.h"
#include "sp-session.h"

#include "sotto-account-private.h"
#include "sotto-contact-private.h"
#include "sotto-engine-private.h"
#include "sotto-messenger.h"
#include "sotto-profile-cipher-private.h"
#include "sotto-relay-client-multi-private.h"
#include "sotto-sealed-sender-private.h"
#include "sotto-store-private.h"

/* Sealed sender (docs/messenger.md, "Sealed sender"): a message to a
 * contact whose profile key this account holds goes to the relay with
 * no sender.  The outbox encrypts the inner messages with the sessions
 * as for any send; here each is wrapped, with this device's sender
 * certificate, in a sealed sender v1 message (UnidentifiedSenderMessage)
 * for the contact's identity key, and sent with the contact's
 * unidentified-access key, derived from their profile key, in place of
 * the account's password.  Where that cannot be done (no trust root
 * pinned, no profile key yet, no valid certificate, or the relay refuses
 * the access key because the contact changed their profile key), the
 * caller sends the same inner messages identified: they are already in
 * the committed sending chains, so nothing is encrypted twice.
 *
 * A group's message goes to every member's device in one sealed sender
 * v2 upload (below), where every member's access key is held.
 *
 * Arriving sealed envelopes are opened here, on the main thread (a key
 * agreement and two signature checks, with the account's identity and
 * the pinned root): the certificate must chain to the root, must not
 * have expired and must bind the sender's identity key to the message;
 * the envelope then goes through the inbox as the certificate's sender
 * sent it, and the session that decrypts the inner message must have
 * that same identity key (sp_session_cipher_decrypt_sealed()). */

/* A certificate is renewed this long before it expires, or half way
 * through the time it had left when it came if that is shorter (a relay
 * may issue certificates for minutes only), so that none is used once it
 * expired. */
#define CERTIFICATE_REFRESH_MARGIN_MS (60 * 60 * 1000)

/* Signal's envelope types of the inner messages. */
#define ENVELOPE_TYPE_CIPHERTEXT 1
#define ENVELOPE_TYPE_PREKEY 3
#define ENVELOPE_TYPE_SENDER_KEY 7

struct _SottoSealedSender
{
  GObject parent_instance;

  SottoStore *store;
  SottoAccount *account;
  SottoRelayClient *client;

  /* This device's sender certificate, checked, the root it was
   * checked against, and when it is to be renewed, before it expires. */
  GBytes *certificate;
  GBytes *certificate_root;
  guint64 certificate_renew_at;

  /* The root the relay presents when it is not the pinned one: sealed
   * envelopes under it are left at the relay, not dropped.  While the
   * messenger asks the relay for it, sealed envelopes wait. */
  GBytes *conflict_root;
  gboolean checking_root;
};

G_DEFINE_FINAL_TYPE (SottoSealedSender, sotto_sealed_sender, G_TYPE_OBJECT)

static void
sotto_sealed_sender_finalize (GObject *object)
{
  SottoSealedSender *self = SOTTO_SEALED_SENDER (object);

  g_clear_object (&self->store);
  g_clear_object (&self->account);
  g_clear_object (&self->client);
  g_clear_pointer (&self->certificate, g_bytes_unref);
  g_clear_pointer (&self->certificate_root, g_bytes_unref);
  g_clear_pointer (&self->conflict_root, g_bytes_unref);

  G_OBJECT_CLASS (sotto_sealed_sender_parent_class)->finalize (object);
}

static void
sotto_sealed_sender_class_init (SottoSealedSenderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sotto_sealed_sender_finalize;
}

static void
sotto_sealed_sender_init (SottoSealedSender *self)
{
}

SottoSealedSender *
_sotto_sealed_sender_new (SottoStore       *store,
                          SottoAccount     *account,
                          SottoRelayClient *client)
{
  SottoSealedSender *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (client), NULL);

  self = g_object_new (SOTTO_TYPE_SEALED_SENDER, NULL);
  self->store = g_object_ref (store);
  self->account = g_object_ref (account);
  self->client = g_object_ref (client);

  return self;
}

/* The pinned trust root, decoded; FALSE when none is pinned. */
static gboolean
get_trust_root (SottoSealedSender *self,
                SpPublicKey       *trust_root)
{
  GBytes *pinned = _sotto_account_get_trust_root (self->account);
  gsize len;
  const guint8 *data;

  if (pinned == NULL)
    return FALSE;

  data = g_bytes_get_data (pinned, &len);
  return sp_public_key_decode (trust_root, data, len) == SP_OK;
}

/* Whether @certificate is one this device may send with: it chains to
 * the pinned root, has not expired, and names this account,
 * this device and this identity key (a relay that names someone else
 * would make the recipient attribute the message to them). */
static gboolean
certificate_is_ours (SottoSealedSender *self,
                     GBytes            *certificate,
                     guint64           *expires)
{
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (self->account);
  SpSenderCertificate decoded;
  SpPublicKey trust_root;
  gsize len;
  const guint8 *data = g_bytes_get_data (certificate, &len);
  guint64 now = (guint64) _sotto_now_ms ();

  if (!get_trust_root (self, &trust_root)
      || sp_sender_certificate_decode (&decoded, data, len) != SP_OK
      || sp_sender_certificate_validate (&decoded, &trust_root, now + 1) != SP_OK
      || g_ascii_strcasecmp (decoded.sender_uuid, sotto_account_get_uuid (self->account)) != 0
      || decoded.device_id != sotto_account_get_device_id (self->account)
      || sodium_memcmp (decoded.identity_key.bytes, identity->public_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    return FALSE;

  *expires = decoded.expires_ms;
  return TRUE;
}

/* Whether messages may go sealed at all: a trust root is pinned. */
gboolean
_sotto_sealed_sender_can_seal (SottoSealedSender *self)
{
  SpPublicKey trust_root;

  g_return_val_if_fail (SOTTO_IS_SEALED_SENDER (self), FALSE);

  return get_trust_root (self, &trust_root);
}

/* Records the root the relay presents when it is not the pinned one,
 * or %NULL when it is (sotto-messenger-sealed-sender.c). */
void
_sotto_sealed_sender_set_conflict_root (SottoSealedSender *self,
                                        GBytes            *conflict_root)
{
  g_return_if_fail (SOTTO_IS_SEALED_SENDER (self));

  g_clear_pointer (&self->conflict_root, g_bytes_unref);
  self->conflict_root = conflict_root != NULL ? g_bytes_ref (conflict_root) : NULL;
}

/* Whether the messenger is asking the relay for its root, which the
 * inbox waits for before it opens a sealed envelope. */
void
_sotto_sealed_sender_set_checking_root (SottoSealedSender *self,
                                        gboolean           checking)
{
  g_return_if_fail (SOTTO_IS_SEALED_SENDER (self));

  self->checking_root = checking;
}

gboolean
_sotto_sealed_sender_get_checking_root (SottoSealedSender *self)
{
  g_return_val_if_fail (SOTTO_IS_SEALED_SENDER (self), FALSE);

  return self->checking_root;
}

/* Sending */

typedef struct
{
  gint64 contact_id;
  char *uuid;
  GBytes *identity_key;
  gint64 timestamp;
  GPtrArray *envelopes;
  guint8 *access_key;          /* guarded memory; NULL until loaded */
  gboolean online;             /* to connected devices only, stored nowhere */
  GBytes *certificate;
  gboolean sealed;
} Send;

static void
send_free (Send *send)
{
  g_free (send->uuid);
  g_clear_pointer (&send->identity_key, g_bytes_unref);
  g_clear_pointer (&send->envelopes, g_ptr_array_unref);
  g_clear_pointer (&send->access_key, sodium_free);
  g_clear_pointer (&send->certificate, g_bytes_unref);
  g_free (send);
}

/* The caller sends identified. */
static void
return_not_sealed (GTask      *task,
                   const char *why)
{
  Send *send = g_task_get_task_data (task);

  g_debug ("Sending to %s identified: %s", send->uuid, why);
  send->sealed = FALSE;
  g_task_return_boolean (task, TRUE);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  SottoRelayDeviceChanges *changes = NULL;
  g_autoptr(GError) error = NULL;

  if (sotto_relay_client_send_finish (SOTTO_RELAY_CLIENT (object), result, &changes, &error))
    {
      send->sealed = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The contact's access key is not the one derived from the profile
   * key held here: they changed it, and the new one has not come yet.
   * Nothing was stored, so the message goes identified instead. */
  if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAUTHORIZED))
    {
      return_not_sealed (task, "the relay refused the access key");
      return;
    }

  if (changes != NULL)
    g_object_set_data_full (G_OBJECT (task), "changes", changes,
                            (GDestroyNotify) sotto_relay_device_changes_free);
  g_task_return_error (task, g_steal_pointer (&error));
}

/* Wraps each inner message in a sealed sender v1 message for the
 * contact's identity key, with this device's certificate. */
static GPtrArray *
seal_envelopes (SottoSealedSender *self,
                Send              *send,
                GError           **error)
{
  g_autoptr(GPtrArray) sealed = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (self->account);
  SpPublicKey recipient;
  gsize certificate_len;
  const guint8 *certificate = g_bytes_get_data (send->certificate, &certificate_len);

  if (send->identity_key == NULL
      || sp_public_key_decode (&recipient, g_bytes_get_data (send->identity_key, NULL),
                               g_bytes_get_size (send->identity_key)) != SP_OK)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("The contact has no identity key to seal a message for"));
      return NULL;
    }

  for (guint i = 0; i < send->envelopes->len; i++)
    {
      SottoRelayOutgoing *outgoing = g_ptr_array_index (send->envelopes, i);
      SottoRelayOutgoing *sealed_outgoing;
      SpSealedContent content = { 0 };
      g_autofree guint8 *usmc = NULL;
      g_autofree guint8 *message = NULL;
      g_autoptr(GBytes) bytes = NULL;
      gsize usmc_size;
      gsize usmc_len;
      gsize message_len;
      int rc;

      content.type = outgoing->type == ENVELOPE_TYPE_PREKEY ? SP_CIPHERTEXT_TYPE_PREKEY : SP_CIPHERTEXT_TYPE_WHISPER;
      content.sender_certificate = certificate;
      content.sender_certificate_len = certificate_len;
      content.content = g_bytes_get_data (outgoing->content, &content.content_len);
      content.content_hint = SP_CONTENT_HINT_DEFAULT;

      usmc_size = sp_sealed_content_size (certificate_len, content.content_len, content.content_hint, 0);
      if (usmc_size == 0)
        {
          _sotto_set_error_from_sp (error, SP_ERR_INVALID_ARGUMENT, _("Could not seal a message"));
          return NULL;
        }

      usmc = g_malloc (usmc_size);
      message = g_malloc (SP_SEALED_SENDER_V1_SIZE (usmc_size));
      rc = sp_sealed_content_encode (usmc, usmc_size, &usmc_len, &content);
      if (rc == SP_OK)
        rc = sp_sealed_sender_encrypt_v1 (message, SP_SEALED_SENDER_V1_SIZE (usmc_size), &message_len,
                                          identity, &recipient, usmc, usmc_len, NULL);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not seal a message"));
          return NULL;
        }

      bytes = g_bytes_new_take (g_steal_pointer (&message), message_len);
      sealed_outgoing = sotto_relay_outgoing_new (SOTTO_RELAY_ENVELOPE_TYPE_SEALED, outgoing->device_id,
                                                  outgoing->registration_id, bytes);
      sealed_outgoing->expires_at = outgoing->expires_at;
      g_ptr_array_add (sealed, sealed_outgoing);
    }

  return g_steal_pointer (&sealed);
}

static void
send_sealed (GTask *task)
{
  SottoSealedSender *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  g_autoptr(GPtrArray) sealed = NULL;
  g_autoptr(GError) error = NULL;

  sealed = seal_envelopes (self, send, &error);
  if (sealed == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (send->online)
    sotto_relay_client_send_online_async (self->client, send->uuid, send->access_key, send->timestamp,
                                          sealed, g_task_get_cancellable (task), sent_cb, g_object_ref (task));
  else
    sotto_relay_client_send_unidentified_async (self->client, send->uuid, send->access_key, send->timestamp,
                                                sealed, g_task_get_cancellable (task), sent_cb,
                                                g_object_ref (task));
}

static void
certificate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoSealedSender *self = g_task_get_source_object (task);
  g_autoptr(GBytes) certificate = NULL;
  g_autoptr(GError) error = NULL;
  guint64 expires = 0;

  certificate = sotto_relay_client_get_sender_certificate_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (certificate == NULL)
    {
      /* Unreachable: the whole send waits for the relay, as any does. */
      if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED, "%s", error->message);
      return;
    }

  if (!certificate_is_ours (self, certificate, &expires))
    {
      /* Expected while the relay presents a root the user has not
       * taken (SottoMessenger:trust-root-conflict says so). */
      g_message ("The relay’s sender certificate does not chain to the pinned trust root "
                 "or does not name this device; sending identified");
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("The relay’s sender certificate is not one this device may send with"));
      return;
    }

  g_clear_pointer (&self->certificate, g_bytes_unref);
  g_clear_pointer (&self->certificate_root, g_bytes_unref);
  self->certificate = g_bytes_ref (certificate);
  self->certificate_root = g_bytes_ref (_sotto_account_get_trust_root (self->account));
  self->certificate_renew_at = expires - MIN (CERTIFICATE_REFRESH_MARGIN_MS,
                                              (expires - (guint64) _sotto_now_ms ()) / 2);

  g_task_return_pointer (task, g_steal_pointer (&certificate), (GDestroyNotify) g_bytes_unref);
}

/* Gets this device's sender certificate, checked against the pinned
 * root: the one kept while it is good, or a new one from the relay. */
void
_sotto_sealed_sender_get_certificate_async (SottoSealedSender   *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_SEALED_SENDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_sealed_sender_get_certificate_async);

  /* A root pinned since it was checked makes it useless: recipients
   * who pinned the same would not accept it. */
  if (self->certificate != NULL && (guint64) _sotto_now_ms () < self->certificate_renew_at
      && _sotto_account_get_trust_root (self->account) != NULL
      && g_bytes_equal (self->certificate_root, _sotto_account_get_trust_root (self->account)))
    {
      g_task_return_pointer (task, g_bytes_ref (self->certificate), (GDestroyNotify) g_bytes_unref);
      return;
    }

  sotto_relay_client_get_sender_certificate_async (self->client, cancellable, certificate_cb,
                                                   g_steal_pointer (&task));
}

/* Returns: (transfer full): the certificate, or %NULL with @error set:
 * %SOTTO_RELAY_ERROR_UNREACHABLE when the relay could not be reached,
 * otherwise an error saying why messages cannot go sealed now. */
GBytes *
_sotto_sealed_sender_get_certificate_finish (SottoSealedSender  *self,
                                             GAsyncResult       *result,
                                             GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
send_certificate_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  send->certificate = _sotto_sealed_sender_get_certificate_finish (SOTTO_SEALED_SENDER (object), result, &error);
  if (send->certificate == NULL)
    {
      if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        return_not_sealed (task, error->message);
      return;
    }

  send_sealed (task);
}

static void
access_key_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoSealedSender *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (send->access_key == NULL)
    {
      return_not_sealed (task, "no profile key from the contact yet");
      return;
    }

  _sotto_sealed_sender_get_certificate_async (self, g_task_get_cancellable (task), send_certificate_cb,
                                              g_object_ref (task));
}

static void
load_access_key_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  SottoSealedSender *self = source_object;
  Send *send = task_data;
  g_autoptr(GError) error = NULL;
  guint8 *profile_key = NULL;

  if (!_sotto_store_load_contact_profile_key (self->store, send->contact_id, &profile_key, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (profile_key != NULL)
    {
      send->access_key = _sotto_secure_alloc (SOTTO_PROFILE_ACCESS_KEY_SIZE);
      _sotto_profile_derive_access_key (profile_key, send->access_key);
      sodium_free (profile_key);
    }

  g_task_return_boolean (task, TRUE);
}

static void
send_start (SottoSealedSender   *self,
            SottoContact        *contact,
            gint64               timestamp,
            GPtrArray           *envelopes,
            gboolean             online,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GBytes *identity_key = sotto_contact_get_identity_key (contact);
  SpPublicKey trust_root;
  Send *send;

  g_return_if_fail (SOTTO_IS_SEALED_SENDER (self));
  g_return_if_fail (SOTTO_IS_CONTACT (contact));
  g_return_if_fail (envelopes != NULL && envelopes->len > 0);

  send = g_new0 (Send, 1);
  send->contact_id = _sotto_contact_get_id (contact);
  send->uuid = g_strdup (sotto_contact_get_uuid (contact));
  send->identity_key = identity_key != NULL ? g_bytes_ref (identity_key) : NULL;
  send->timestamp = timestamp;
  send->envelopes = g_ptr_array_ref (envelopes);
  send->online = online;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_sealed_sender_send_async);
  g_task_set_task_data (task, send, (GDestroyNotify) send_free);

  if (!get_trust_root (self, &trust_root))
    {
      return_not_sealed (task, "no trust root pinned");
      return;
    }

  _sotto_task_run_step (task, self->store, load_access_key_thread, access_key_cb);
}

/* Sends @envelopes, the inner messages for each device of @contact,
 * sealed if it can: see _sotto_sealed_sender_send_finish(). */
void
_sotto_sealed_sender_send_async (SottoSealedSender   *self,
                                 SottoContact        *contact,
                                 gint64               timestamp,
                                 GPtrArray           *envelopes,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  send_start (self, contact, timestamp, envelopes, FALSE, cancellable, callback, user_data);
}

/* Sends @envelopes as _sotto_sealed_sender_send_async() does, but to the
 * contact's connected devices only, stored nowhere at the relay. */
void
_sotto_sealed_sender_send_online_async (SottoSealedSender   *self,
                                        SottoContact        *contact,
                                        gint64               timestamp,
                                        GPtrArray           *envelopes,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  send_start (self, contact, timestamp, envelopes, TRUE, cancellable, callback, user_data);
}

/* Returns %TRUE once the relay committed the envelopes, with @sealed
 * saying whether they went sealed; %TRUE with @sealed %FALSE when they
 * were not sent because they could not go sealed, and the caller sends
 * them identified.  On failure, @changes are as for
 * sotto_relay_client_send_finish(). */
gboolean
_sotto_sealed_sender_send_finish (SottoSealedSender        *self,
                                  GAsyncResult             *result,
                                  gboolean                 *sealed,
                                  SottoRelayDeviceChanges **changes,
                                  GError                  **error)
{
  Send *send;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  send = g_task_get_task_data (G_TASK (result));
  *sealed = send->sealed;
  *changes = g_object_steal_data (G_OBJECT (result), "changes");

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sending one message to several accounts */

/* A group's message, one SenderKeyMessage for every member's device,
 * goes in one sealed sender v2 upload (SealedSenderMultiRecipientMessage)
 * that the relay splits for each device: the content, with this
 * device's certificate, is encrypted once, and each device's entry of the
 * recipient table carries the key for it, agreed with the recipient's
 * identity key.  Each account's access key authorizes the send for that
 * account (docs/relay-api.md, "PUT /v1/messages/multi/unidentified"). */

typedef struct
{
  gint64 timestamp;
  GBytes *inner;
  char *group_id;
  GPtrArray *recipients;
  GArray *devices;
  gboolean sealed;
  GStrv named;
} MultiSend;

static void
multi_send_free (MultiSend *send)
{
  g_bytes_unref (send->inner);
  g_free (send->group_id);
  g_ptr_array_unref (send->recipients);
  g_array_unref (send->devices);
  g_strfreev (send->named);
  g_free (send);
}

static void
multi_not_sealed (GTask      *task,
                  const char *why)
{
  g_debug ("Sending a group message identified: %s", why);
  g_task_return_boolean (task, TRUE);
}

static void
sealed_multi_sent_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MultiSend *send = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (sotto_relay_client_send_sealed_multi_finish (SOTTO_RELAY_CLIENT (object), result, &send->named, &error))
    {
      send->sealed = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Some member's access key is not the one derived from the profile
   * key held here.  Nothing was stored, for anyone. */
  if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAUTHORIZED))
    {
      multi_not_sealed (task, "the relay refused an access key");
      return;
    }

  g_task_return_error (task, g_steal_pointer (&error));
}

/* The v2 SentMessage of @send's SenderKeyMessage, sealed with
 * @certificate for every device of @send. */
static GBytes *
seal_multi (SottoSealedSender *self,
            MultiSend         *send,
            GBytes            *certificate,
            GError           **error)
{
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (self->account);
  const SpSealedRecipient *devices = &g_array_index (send->devices, SpSealedRecipient, 0);
  SpSealedContent content = { 0 };
  g_autofree guint8 *usmc = NULL;
  g_autofree guint8 *message = NULL;
  gsize usmc_size;
  gsize usmc_len = 0;
  gsize message_size;
  gsize message_len = 0;
  int rc;

  content.type = SP_CIPHERTEXT_TYPE_SENDER_KEY;
  content.sender_certificate = g_bytes_get_data (certificate, &content.sender_certificate_len);
  content.content = g_bytes_get_data (send->inner, &content.content_len);
  content.content_hint = SP_CONTENT_HINT_DEFAULT;
  content.group_id = (const guint8 *) send->group_id;
  content.group_id_len = strlen (send->group_id);

  usmc_size = sp_sealed_content_size (content.sender_certificate_len, content.content_len, content.content_hint,
                                      content.group_id_len);
  message_size = usmc_size == 0 ? 0 : sp_sealed_sender_v2_size (devices, send->devices->len, usmc_size);
  if (message_size == 0)
    {
      _sotto_set_error_from_sp (error, SP_ERR_INVALID_ARGUMENT, _("Could not seal a message"));
      return NULL;
    }

  usmc = g_malloc (usmc_size);
  message = g_malloc (message_size);
  rc = sp_sealed_content_encode (usmc, usmc_size, &usmc_len, &content);
  if (rc == SP_OK)
    rc = sp_sealed_sender_encrypt_v2 (message, message_size, &message_len, identity, devices, send->devices->len,
                                      usmc, usmc_len, NULL);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not seal a message"));
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&message), message_len);
}

static void
multi_certificate_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoSealedSender *self = g_task_get_source_object (task);
  MultiSend *send = g_task_get_task_data (task);
  g_autoptr(GBytes) certificate = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;

  certificate = _sotto_sealed_sender_get_certificate_finish (self, result, &error);
  if (certificate == NULL)
    {
      if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        multi_not_sealed (task, error->message);
      return;
    }

  sealed = seal_multi (self, send, certificate, &error);
  if (sealed == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  sotto_relay_client_send_sealed_multi_async (self->client, send->timestamp, sealed, send->recipients,
                                              g_task_get_cancellable (task), sealed_multi_sent_cb,
                                              g_object_ref (task));
}

/* Sends @inner, a SenderKeyMessage of the group @group_id, sealed, to
 * @recipients (SottoRelayRecipient, each with its access key and an
 * envelope for each device) in one request: see
 * _sotto_sealed_sender_send_multi_finish().  @devices holds a
 * SpSealedRecipient for each of those devices, with its identity key,
 * naming the recipients' uuids, which must outlive the send. */
void
_sotto_sealed_sender_send_multi_async (SottoSealedSender   *self,
                                       gint64               timestamp,
                                       GBytes              *inner,
                                       const char          *group_id,
                                       GPtrArray           *recipients,
                                       GArray              *devices,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SpPublicKey trust_root;
  MultiSend *send;

  g_return_if_fail (SOTTO_IS_SEALED_SENDER (self));
  g_return_if_fail (inner != NULL && group_id != NULL);
  g_return_if_fail (recipients != NULL && recipients->len > 0 && devices != NULL && devices->len > 0);

  send = g_new0 (MultiSend, 1);
  send->timestamp = timestamp;
  send->inner = g_bytes_ref (inner);
  send->group_id = g_strdup (group_id);
  send->recipients = g_ptr_array_ref (recipients);
  send->devices = g_array_ref (devices);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_sealed_sender_send_multi_async);
  g_task_set_task_data (task, send, (GDestroyNotify) multi_send_free);

  if (!get_trust_root (self, &trust_root))
    {
      multi_not_sealed (task, "no trust root pinned");
      return;
    }

  _sotto_sealed_sender_get_certificate_async (self, cancellable, multi_certificate_cb, g_steal_pointer (&task));
}

/* Returns %TRUE once the relay committed the message for every device,
 * with @sealed %TRUE; %TRUE with @sealed %FALSE when nothing was sent
 * because it could not go sealed, and the caller sends identified.  On
 * failure, @named is as for sotto_relay_client_send_multi_finish(). */
gboolean
_sotto_sealed_sender_send_multi_finish (SottoSealedSender  *self,
                                        GAsyncResult       *result,
                                        gboolean           *sealed,
                                        GStrv              *named,
                                        GError            **error)
{
  MultiSend *send;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  send = g_task_get_task_data (G_TASK (result));
  *sealed = send->sealed;
  *named = g_steal_pointer (&send->named);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Receiving */

/* The relay's envelope type of an inner message of @type. */
static guint
envelope_type_of (int type)
{
  switch (type)
    {
    case SP_CIPHERTEXT_TYPE_PREKEY:
      return ENVELOPE_TYPE_PREKEY;
    case SP_CIPHERTEXT_TYPE_SENDER_KEY:
      return ENVELOPE_TYPE_SENDER_KEY;
    default:
      return ENVELOPE_TYPE_CIPHERTEXT;
    }
}

/* Opens the sealed envelope @envelope: the envelope its sender
 * certificate says it is, with the inner message and the certificate's
 * identity key, or %NULL with @error set when it cannot be opened or
 * its certificate is not good (it is then dropped: nothing of it can be
 * attributed to anyone), %SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED when
 * its certificate chains to the root the relay now presents in place of
 * the pinned one (it then stays at the relay until the user pins that
 * root or it expires there). */
SottoRelayEnvelope *
_sotto_sealed_sender_open (SottoSealedSender         *self,
                           const SottoRelayEnvelope  *envelope,
                           GError                   **error)
{
  g_autoptr(SottoRelayEnvelope) opened = NULL;
  g_autofree guint8 *usmc = NULL;
  const SpKeyPair *identity;
  SpSealedContent content;
  SpPublicKey trust_root;
  SpAddress local;
  gsize len;
  const guint8 *data;
  guint64 at;
  int rc;

  g_return_val_if_fail (SOTTO_IS_SEALED_SENDER (self), NULL);
  g_return_val_if_fail (envelope->type == SOTTO_RELAY_ENVELOPE_TYPE_SEALED, NULL);

  if (!get_trust_root (self, &trust_root))
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("A sealed message arrived, but no trust root for sender certificates is pinned"));
      return NULL;
    }

  identity = sotto_account_get_identity_key_pair (self->account);
  local.name = sotto_account_get_uuid (self->account);
  local.device_id = sotto_account_get_device_id (self->account);
  data = g_bytes_get_data (envelope->content, &len);
  usmc = g_malloc (MAX (len, 1));

  /* The certificate must have been good when the relay took the
   * message, as libsignal's clients check it: one that expired while
   * the message waited for this device does not lose it. */
  at = envelope->server_timestamp > 0 ? (guint64) envelope->server_timestamp : (guint64) _sotto_now_ms ();
  rc = sp_sealed_sender_decrypt (&content, usmc, len, identity, &local, &trust_root, at, data, len);
  if (rc == SP_OK && content.type != SP_CIPHERTEXT_TYPE_WHISPER && content.type != SP_CIPHERTEXT_TYPE_PREKEY
      && content.type != SP_CIPHERTEXT_TYPE_SENDER_KEY)
    rc = SP_ERR_INVALID_MESSAGE;
  if (rc == SP_ERR_INVALID_CERTIFICATE && self->conflict_root != NULL
      && sp_public_key_decode (&trust_root, g_bytes_get_data (self->conflict_root, NULL),
                               g_bytes_get_size (self->conflict_root)) == SP_OK
      && sp_sealed_sender_decrypt (&content, usmc, len, identity, &local, &trust_root, at, data, len) == SP_OK)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED,
                           _("A sealed message came under the relay’s new trust root, which is not pinned"));
      return NULL;
    }
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not open a sealed message"));
      return NULL;
    }

  opened = g_new0 (SottoRelayEnvelope, 1);
  opened->guid = g_strdup (envelope->guid);
  opened->type = envelope_type_of (content.type);
  opened->source = g_ascii_strdown (content.sender.sender_uuid, -1);
  opened->source_device = content.sender.device_id;
  opened->timestamp = envelope->timestamp;
  opened->server_timestamp = envelope->server_timestamp;
  opened->online = envelope->online;
  opened->content = g_bytes_new (content.content, content.content_len);
  opened->sealed_identity_key = g_bytes_new (content.sender.identity_key.bytes, SP_PUBLIC_KEY_SIZE);

  return g_steal_pointer (&opened);
}

/* Decrypts the inner message of @envelope with @cipher, on the store's
 * thread: for an envelope that was sealed, only if the session that
 * decrypts it has the identity key the sender certificate named (a key
 * other than the contact's saved one then goes through the key-change
 * rules like any new key, never applied silently). */
int
_sotto_sealed_sender_decrypt_inner (const SottoRelayEnvelope *envelope,
                                    SpSessionCipher          *cipher,
                                    int                       type,
                                    guint8                   *out,
                                    gsize                     out_size,
                                    gsize                    *out_len)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (envelope->content, &len);
  SpPublicKey sender_identity;
  size_t written = 0;
  int rc;

  if (envelope->sealed_identity_key == NULL)
    rc = sp_session_cipher_decrypt (cipher, type, data, len, out, out_size, &written);
  else if ((rc = sp_public_key_decode (&sender_identity, g_bytes_get_data (envelope->sealed_identity_key, NULL),
                                       g_bytes_get_size (envelope->sealed_identity_key))) == SP_OK)
    rc = sp_session_cipher_decrypt_sealed (cipher, type, &sender_identity, data, len, out, out_size, &written);

  *out_len = written;
  return rc;
}
