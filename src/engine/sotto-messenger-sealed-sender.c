/* sotto-messenger-sealed-sender.c: pinning the relay's sealed sender trust root
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sp-keys.h"

#include "sotto-account-private.h"
#include "sotto-outbox-private.h"
#include "sotto-messenger-private.h"

/* The trust root is given with the relay, out of band, as its address
 * is, when the operator gives one; otherwise the client pins the root
 * the relay publishes the first time it asks (trust on first use), and
 * never takes another without the user: a relay that changed its root
 * silently could attribute sealed messages to senders of its making
 * (docs/threat-model.md, "Where clients get the trust root"). */

/* @trust_root decoded, or %NULL when it is not a public key in base64. */
static GBytes *
decode_trust_root (const char *trust_root)
{
  g_autofree guchar *key = NULL;
  SpPublicKey decoded;
  gsize len = 0;

  /* A public key is 33 bytes, 44 characters of base64. */
  if (strlen (trust_root) == 44)
    key = g_base64_decode (trust_root, &len);
  if (key == NULL || len != SP_PUBLIC_KEY_SIZE || sp_public_key_decode (&decoded, key, len) != SP_OK)
    return NULL;

  return g_bytes_new (decoded.bytes, SP_PUBLIC_KEY_SIZE);
}

/**
 * sotto_messenger_trust_root_is_valid:
 * @trust_root: a sealed sender trust root, as for
 *   sotto_messenger_pin_trust_root_async()
 *
 * Returns: whether @trust_root is a public key in base64
 */
gboolean
sotto_messenger_trust_root_is_valid (const char *trust_root)
{
  g_autoptr(GBytes) decoded = NULL;

  g_return_val_if_fail (trust_root != NULL, FALSE);

  decoded = decode_trust_root (trust_root);
  return decoded != NULL;
}

/* Records the root the relay presents when it is not the pinned one
 * (@offered), or that it is (%NULL). */
static void
set_trust_root_conflict (SottoMessenger *self,
                         GBytes         *offered)
{
  g_autofree char *encoded = NULL;

  if (offered != NULL)
    encoded = g_base64_encode (g_bytes_get_data (offered, NULL), g_bytes_get_size (offered));

  _sotto_sealed_sender_set_conflict_root (self->outbox->sealed, offered);
  if (g_strcmp0 (encoded, self->trust_root_conflict) == 0)
    return;

  g_free (self->trust_root_conflict);
  self->trust_root_conflict = g_steal_pointer (&encoded);
  g_object_notify (G_OBJECT (self), "trust-root-conflict");
}

static void
pin_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_save_trust_root (self->store, task_data, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
pinned_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  GBytes *pinned;

  if (!_sotto_task_propagate_step (task, result))
    return;

  pinned = g_task_get_task_data (task);
  _sotto_account_set_trust_root (self->account, pinned);

  /* The user took the root the relay presents. */
  if (self->trust_root_conflict != NULL)
    {
      g_autofree char *encoded = g_base64_encode (g_bytes_get_data (pinned, NULL), g_bytes_get_size (pinned));

      if (g_str_equal (encoded, self->trust_root_conflict))
        set_trust_root_conflict (self, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_messenger_pin_trust_root_async:
 * @self: a #SottoMessenger
 * @trust_root: the relay's sealed sender trust root: its public key in
 *   base64, as `sotto-relay sealed-sender new-root` prints it
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once it is stored
 * @user_data: data for @callback
 *
 * Pins the key that sender certificates must chain to, in place of any
 * pinned before.  From then on messages to contacts whose profile key
 * is known go sealed, and sealed messages are accepted; without it
 * every message goes identified and sealed ones are dropped.
 */
void
sotto_messenger_pin_trust_root_async (SottoMessenger      *self,
                                      const char          *trust_root,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GBytes *decoded;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (trust_root != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_pin_trust_root_async);

  decoded = decode_trust_root (trust_root);
  if (decoded == NULL)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("“%s” is not a sealed sender trust root"), trust_root);
      return;
    }

  g_task_set_task_data (task, decoded, (GDestroyNotify) g_bytes_unref);
  _sotto_task_run_step (task, self->store, pin_thread, pinned_cb);
}

gboolean
sotto_messenger_pin_trust_root_finish (SottoMessenger  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/**
 * sotto_messenger_dup_trust_root:
 * @self: a #SottoMessenger
 *
 * Returns: (transfer full) (nullable): the pinned sealed sender trust
 *   root in base64, or %NULL when none is pinned
 */
char *
sotto_messenger_dup_trust_root (SottoMessenger *self)
{
  GBytes *pinned;

  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  pinned = _sotto_account_get_trust_root (self->account);
  if (pinned == NULL)
    return NULL;

  return g_base64_encode (g_bytes_get_data (pinned, NULL), g_bytes_get_size (pinned));
}

/**
 * sotto_messenger_get_trust_root_conflict:
 * @self: a #SottoMessenger
 *
 * Returns: (nullable): #SottoMessenger:trust-root-conflict
 */
const char *
sotto_messenger_get_trust_root_conflict (SottoMessenger *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  return self->trust_root_conflict;
}

typedef struct
{
  GBytes *offered;
  GBytes *pinned;
} TrustRootCheck;

static void
trust_root_check_free (TrustRootCheck *check)
{
  g_clear_pointer (&check->offered, g_bytes_unref);
  g_clear_pointer (&check->pinned, g_bytes_unref);
  g_free (check);
}

static void
pin_first_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  TrustRootCheck *check = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_pin_first_trust_root (self->store, check->offered, &check->pinned, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
pinned_first_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  TrustRootCheck *check = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  _sotto_account_set_trust_root (self->account, check->pinned);
  if (g_bytes_equal (check->pinned, check->offered))
    {
      set_trust_root_conflict (self, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_message ("The relay presents a sealed sender trust root other than the pinned one; it is not taken");
  set_trust_root_conflict (self, check->offered);
  g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED,
                           _("The relay presents a sealed sender trust root other than the one pinned for it. "
                             "Sealed messages under it are not accepted, and messages go with the sender "
                             "visible, until the new root is pinned."));
}

static void
relay_trust_root_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  TrustRootCheck *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  check->offered = sotto_relay_client_get_trust_root_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (check->offered == NULL)
    {
      /* A relay that publishes no root leaves the pinned one, if any,
       * as it is: there is nothing to compare it with. */
      if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND))
        {
          set_trust_root_conflict (self, NULL);
          g_task_return_boolean (task, TRUE);
        }
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  _sotto_task_run_step (task, self->store, pin_first_thread, pinned_first_cb);
}

/**
 * sotto_messenger_check_trust_root_async:
 * @self: a #SottoMessenger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay answered
 * @user_data: data for @callback
 *
 * Asks the relay which sealed sender trust root it publishes.  With
 * none pinned yet, it is pinned (trust on first use), which is how a
 * profile registered without a root given gets one.  A root other than
 * the pinned one is not taken: the check then fails with
 * %SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED and
 * #SottoMessenger:trust-root-conflict names it.  A relay that publishes
 * no root changes nothing.  The messenger checks every time it starts.
 */
void
sotto_messenger_check_trust_root_async (SottoMessenger      *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_check_trust_root_async);
  g_task_set_task_data (task, g_new0 (TrustRootCheck, 1), (GDestroyNotify) trust_root_check_free);

  sotto_relay_client_get_trust_root_async (self->client, cancellable, relay_trust_root_cb, g_steal_pointer (&task));
}

gboolean
sotto_messenger_check_trust_root_finish (SottoMessenger  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

static void
checked_on_start_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_check_trust_root_finish (self, result, &error))
    g_debug ("Sealed sender trust root: %s", error->message);

  _sotto_sealed_sender_set_checking_root (self->outbox->sealed, FALSE);
  _sotto_inbox_resume (self->inbox);
}

/* For sotto_messenger_start(): checks the relay's trust root, while the
 * inbox holds sealed envelopes back, so that the first one is judged
 * with the answer; a relay that cannot be reached changes nothing. */
void
_sotto_messenger_check_trust_root_on_start (SottoMessenger *self)
{
  g_assert (SOTTO_IS_MESSENGER (self));

  _sotto_sealed_sender_set_checking_root (self->outbox->sealed, TRUE);
  sotto_messenger_check_trust_root_async (self, NULL, checked_on_start_cb, NULL);
}
