/* sotto-key-batch.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-key-batch"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-error.h"

#include "sotto-engine-private.h"
#include "sotto-key-batch-private.h"

void
_sotto_key_batch_free (SottoKeyBatch *batch)
{
  if (batch == NULL)
    return;

  g_clear_pointer (&batch->signed_pre_key, sodium_free);
  g_clear_pointer (&batch->last_resort, sodium_free);
  g_clear_pointer (&batch->pre_keys, g_ptr_array_unref);
  g_clear_pointer (&batch->kyber_pre_keys, g_ptr_array_unref);
  g_free (batch);
}

/* Key ids are 24-bit and never 0; they wrap around. */
static guint32
take_id (guint32 *next)
{
  guint32 id = *next;

  *next = id % 0xffffff + 1;

  return id;
}

/* Generates what @state says is due, advancing its ids.  Pure
 * computation on guarded memory: it runs on a worker thread. */
SottoKeyBatch *
_sotto_key_batch_generate (const SpKeyPair *identity,
                           SottoKeyState   *state,
                           gboolean         signed_pre_key,
                           gboolean         last_resort,
                           guint            n_pre_keys,
                           guint            n_kyber_pre_keys,
                           GError         **error)
{
  g_autoptr(SottoKeyBatch) batch = g_new0 (SottoKeyBatch, 1);
  guint64 now = _sotto_now_ms ();
  int rc;

  batch->pre_keys = g_ptr_array_new_with_free_func (sodium_free);
  batch->kyber_pre_keys = g_ptr_array_new_with_free_func (sodium_free);

  if (signed_pre_key)
    {
      batch->signed_pre_key = _sotto_secure_alloc (sizeof (SpSignedPreKey));
      rc = sp_signed_pre_key_generate (batch->signed_pre_key, &identity->private_key,
                                       take_id (&state->next_signed_pre_key_id), now);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not make a signed prekey"));
          return NULL;
        }
      state->signed_pre_key_rotated_at = now;
    }

  if (last_resort)
    {
      batch->last_resort = _sotto_secure_alloc (sizeof (SpKyberPreKey));
      rc = sp_kyber_pre_key_generate (batch->last_resort, &identity->private_key,
                                      take_id (&state->next_kyber_pre_key_id), now);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not make a Kyber prekey"));
          return NULL;
        }
      state->last_resort_rotated_at = now;
    }

  for (guint i = 0; i < n_pre_keys; i++)
    {
      SpPreKey *key = _sotto_secure_alloc (sizeof *key);

      g_ptr_array_add (batch->pre_keys, key);
      rc = sp_pre_key_generate (key, take_id (&state->next_pre_key_id), now);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not make a prekey"));
          return NULL;
        }
    }

  for (guint i = 0; i < n_kyber_pre_keys; i++)
    {
      SpKyberPreKey *key = _sotto_secure_alloc (sizeof *key);

      g_ptr_array_add (batch->kyber_pre_keys, key);
      rc = sp_kyber_pre_key_generate (key, &identity->private_key,
                                      take_id (&state->next_kyber_pre_key_id), now);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not make a Kyber prekey"));
          return NULL;
        }
    }

  return g_steal_pointer (&batch);
}
