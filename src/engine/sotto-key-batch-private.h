/* sotto-key-batch-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-prekeys.h"

G_BEGIN_DECLS

/* Prekey upkeep: the relay is topped up to BATCH one-time prekeys of
 * each kind when it holds fewer than LOW; the signed prekey and the
 * last-resort Kyber prekey are replaced every ROTATION, and replaced
 * ones are kept for GRACE so that messages built on them still decrypt. */
#define SOTTO_PRE_KEY_BATCH 100
#define SOTTO_PRE_KEY_LOW 25
#define SOTTO_KEY_ROTATION_MS (7 * G_TIME_SPAN_DAY / 1000)
#define SOTTO_KEY_GRACE_MS (30 * G_TIME_SPAN_DAY / 1000)
#define SOTTO_KEY_REFRESH_INTERVAL_S (6 * 60 * 60)

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
