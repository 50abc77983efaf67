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
#include "sotto-messenger-private.h"

/* The trust root is given with the relay, out of band, as its address
 * is: a relay names none itself, or a hostile one would name its own
 * and make up senders (docs/threat-model.md, "Sealed sender"). */

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

  if (!_sotto_task_propagate_step (task, result))
    return;

  _sotto_account_set_trust_root (self->account, g_task_get_task_data (task));
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
