/* sotto-protocol-state-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sp-sender-key.h"
#include "sp-session.h"

#include "sotto-account.h"
#include "sotto-key-batch-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* The adapter between the session core's store callbacks (SpStore) and
 * the encrypted store: other devices' identity keys, the sessions with
 * them and this device's prekeys, in the profile's database.  Created on
 * the main thread; used, and changed, on the store's thread only. */
/* The session core's view of the store, shared by the services that
 * encrypt and decrypt (the outbox, the inbox and the key keeper): each
 * holds a reference.  Everything in it is used on the store's thread
 * only. */
typedef struct
{
  SottoStore *store;
  SpKeyPair *identity;
  guint32 registration_id;

  /* This device's address, and one cipher per remote device. */
  char *local_name;
  guint local_device_id;
  GHashTable *ciphers;

  /* Sends and receives group messages, made on first use
   * (sotto-protocol-state-sender-keys.c). */
  SpGroupCipher *group_cipher;

  /* Guarded memory reused for every record read or written, wiped
   * after each use (see scratch_take() in sotto-protocol-state.c). */
  guint8 *scratch;
  gsize scratch_size;
  gboolean scratch_busy;
} SottoProtocolState;

SottoProtocolState *_sotto_protocol_state_new            (SottoStore           *store,
                                                          SottoAccount         *account);
SottoProtocolState *_sotto_protocol_state_ref            (SottoProtocolState   *self);
void                _sotto_protocol_state_unref          (SottoProtocolState   *self);
SpSessionCipher    *_sotto_protocol_state_get_cipher     (SottoProtocolState   *self,
                                                          const char           *uuid,
                                                          guint                 device_id,
                                                          GError              **error);
void                _sotto_protocol_state_drop_cipher    (SottoProtocolState   *self,
                                                          const char           *uuid,
                                                          guint                 device_id);
void                _sotto_protocol_state_forget_ciphers (SottoProtocolState   *self);
void                _sotto_protocol_state_set_identity   (SottoProtocolState   *self,
                                                          const SpKeyPair      *identity,
                                                          guint32               registration_id);
void                _sotto_protocol_state_get_interface  (SottoProtocolState   *self,
                                                          SpStore              *out);

/* sotto-protocol-state-sender-keys.c */
void                _sotto_protocol_state_add_sender_keys (SpStore             *out);
SpGroupCipher      *_sotto_protocol_state_get_group_cipher (SottoProtocolState *self,
                                                          GError              **error);

/* The session core's tables, outside the callbacks: on the store's
 * thread only. */
gboolean            _sotto_protocol_state_load_key_state (SottoStore           *store,
                                                          SottoKeyState        *state,
                                                          GError              **error);
gboolean            _sotto_protocol_state_save_keys      (SottoStore           *store,
                                                          const SottoKeyBatch  *batch,
                                                          const SottoKeyState  *state,
                                                          GError              **error);
gboolean            _sotto_protocol_state_store_keys     (SottoStore           *store,
                                                          const SottoKeyBatch  *batch,
                                                          const SottoKeyState  *state,
                                                          GError              **error);
GArray             *_sotto_protocol_state_list_devices   (SottoStore           *store,
                                                          const char           *uuid,
                                                          GError              **error);
gboolean            _sotto_protocol_state_delete_session (SottoStore           *store,
                                                          const char           *uuid,
                                                          guint                 device_id,
                                                          GError              **error);
gboolean            _sotto_protocol_state_clear_sessions (SottoStore           *store,
                                                          GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoProtocolState, _sotto_protocol_state_unref)

G_END_DECLS
