/* sotto-session.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"
#include "sotto-messenger.h"

G_BEGIN_DECLS

/**
 * SottoSessionState:
 * @SOTTO_SESSION_STATE_LOCKED: the profile is not open yet, or waits for
 *   its passphrase
 * @SOTTO_SESSION_STATE_UNREGISTERED: the profile is open and has no
 *   account yet
 * @SOTTO_SESSION_STATE_CONNECTING: the account goes online for the first
 *   time since sotto_session_connect_async()
 * @SOTTO_SESSION_STATE_ONLINE: the relay's delivery socket is open
 * @SOTTO_SESSION_STATE_OFFLINE: the account is loaded and the relay out of
 *   reach: not asked for yet, or lost and being tried again
 * @SOTTO_SESSION_STATE_FAILED: the profile could not be opened
 *
 * Where a #SottoSession is in the life of its profile.
 */
typedef enum
{
  SOTTO_SESSION_STATE_LOCKED,
  SOTTO_SESSION_STATE_UNREGISTERED,
  SOTTO_SESSION_STATE_CONNECTING,
  SOTTO_SESSION_STATE_ONLINE,
  SOTTO_SESSION_STATE_OFFLINE,
  SOTTO_SESSION_STATE_FAILED,
} SottoSessionState;

#define SOTTO_TYPE_SESSION (sotto_session_get_type ())

G_DECLARE_FINAL_TYPE (SottoSession, sotto_session, SOTTO, SESSION, GObject)

SottoSession      *sotto_session_new              (GFile               *profile) G_GNUC_WARN_UNUSED_RESULT;
GFile             *sotto_session_get_profile      (SottoSession        *self);
SottoSessionState  sotto_session_get_state        (SottoSession        *self);
const GError      *sotto_session_get_error        (SottoSession        *self);
SottoStore        *sotto_session_get_store        (SottoSession        *self);
SottoMessenger    *sotto_session_get_messenger    (SottoSession        *self);

void               sotto_session_unlock_async     (SottoSession        *self,
                                                   const char          *passphrase,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean           sotto_session_unlock_finish    (SottoSession        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void               sotto_session_register_async   (SottoSession        *self,
                                                   const char          *relay_url,
                                                   const char          *username,
                                                   const char          *token,
                                                   const char          *relay_ca,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean           sotto_session_register_finish  (SottoSession        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void               sotto_session_connect_async    (SottoSession        *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean           sotto_session_connect_finish   (SottoSession        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void               sotto_session_disconnect       (SottoSession        *self);
void               sotto_session_close_async      (SottoSession        *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean           sotto_session_close_finish     (SottoSession        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
