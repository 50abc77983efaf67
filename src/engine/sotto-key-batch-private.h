/* sotto-key-batch-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-prekeys.h"

G_BEGIN_DECLS

/* Freshly generated keys, in guarded memory, before they are stored and
 * uploaded. */
typedef struct
{
  SpSignedPreKey *signed_pre_key;
  SpKyberPreKey *last_resort;
  GPtrArray *pre_keys;
  GPtrArray *kyber_pre_keys;
} SottoKeyBatch;

/* What the messenger remembers between runs about its own keys. */
typedef struct
{
  guint32 next_pre_key_id;
  guint32 next_kyber_pre_key_id;
  guint32 next_signed_pre_key_id;
  gint64 signed_pre_key_rotated_at;
  gint64 last_resort_rotated_at;
} SottoKeyState;

SottoKeyBatch   *_sotto_key_batch_generate (const SpKeyPair *identity,
                                            SottoKeyState   *state,
                                            gboolean         signed_pre_key,
                                            gboolean         last_resort,
                                            guint            n_pre_keys,
                                            guint            n_kyber_pre_keys,
                                            GError         **error) G_GNUC_WARN_UNUSED_RESULT;
void             _sotto_key_batch_free     (SottoKeyBatch   *batch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoKeyBatch, _sotto_key_batch_free)

G_END_DECLS
