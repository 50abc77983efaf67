/* sotto-relay-error.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the app and sotto-cli see of the relay: why a request failed and
 * whether the delivery socket is up.  The client itself is private to
 * the engine. */

#define SOTTO_RELAY_ERROR (sotto_relay_error_quark ())

/**
 * SottoRelayError:
 * @SOTTO_RELAY_ERROR_FAILED: the relay refused the request for a reason
 *   not listed here
 * @SOTTO_RELAY_ERROR_INVALID_URL: the relay URL is not an http(s) URL
 * @SOTTO_RELAY_ERROR_INSECURE: plain http to a relay that is not on this
 *   machine
 * @SOTTO_RELAY_ERROR_UNREACHABLE: the relay could not be reached (no
 *   route, connection refused or reset, timeout, TLS failure)
 * @SOTTO_RELAY_ERROR_UNAVAILABLE: the relay answered 5xx: it is
 *   overloaded, shutting down or its storage fails
 * @SOTTO_RELAY_ERROR_RATE_LIMITED: a rate limit or the recipient's queue
 *   is full (429)
 * @SOTTO_RELAY_ERROR_UNAUTHORIZED: the device's credentials were refused
 * @SOTTO_RELAY_ERROR_NOT_FOUND: no such account, device or username
 * @SOTTO_RELAY_ERROR_USERNAME_TAKEN: registration with a username in use
 * @SOTTO_RELAY_ERROR_REGISTRATION_CLOSED: the relay needs a registration
 *   token
 * @SOTTO_RELAY_ERROR_DEVICE_MISMATCH: a send named the wrong devices (409)
 * @SOTTO_RELAY_ERROR_STALE_DEVICES: a send used out-of-date registration
 *   ids (410)
 * @SOTTO_RELAY_ERROR_BAD_REQUEST: the relay could not decode the request
 *   (400, 411, 413)
 * @SOTTO_RELAY_ERROR_BAD_RESPONSE: the relay's answer does not follow its
 *   API
 * @SOTTO_RELAY_ERROR_BAD_CA: the certificate authority given to trust the
 *   relay by is not one (the relay has not been asked anything)
 * @SOTTO_RELAY_ERROR_TOO_LARGE: an attachment larger than the relay takes
 * @SOTTO_RELAY_ERROR_QUOTA_EXCEEDED: an attachment that does not fit in
 *   the account's quota
 * @SOTTO_RELAY_ERROR_EXPIRED: an attachment's blob that expired
 * @SOTTO_RELAY_ERROR_UPLOAD_BUSY: the relay still receives an earlier
 *   part of the upload (409 upload-busy), which it lets go of shortly
 *
 * Errors of #SottoRelayClient; sotto_relay_error_is_transient() tells
 * which of them are worth trying again later.
 */
typedef enum
{
  SOTTO_RELAY_ERROR_FAILED,
  SOTTO_RELAY_ERROR_INVALID_URL,
  SOTTO_RELAY_ERROR_INSECURE,
  SOTTO_RELAY_ERROR_UNREACHABLE,
  SOTTO_RELAY_ERROR_UNAVAILABLE,
  SOTTO_RELAY_ERROR_RATE_LIMITED,
  SOTTO_RELAY_ERROR_UNAUTHORIZED,
  SOTTO_RELAY_ERROR_NOT_FOUND,
  SOTTO_RELAY_ERROR_USERNAME_TAKEN,
  SOTTO_RELAY_ERROR_REGISTRATION_CLOSED,
  SOTTO_RELAY_ERROR_DEVICE_MISMATCH,
  SOTTO_RELAY_ERROR_STALE_DEVICES,
  SOTTO_RELAY_ERROR_BAD_REQUEST,
  SOTTO_RELAY_ERROR_BAD_RESPONSE,
  SOTTO_RELAY_ERROR_BAD_CA,
  SOTTO_RELAY_ERROR_TOO_LARGE,
  SOTTO_RELAY_ERROR_QUOTA_EXCEEDED,
  SOTTO_RELAY_ERROR_EXPIRED,
  SOTTO_RELAY_ERROR_UPLOAD_BUSY,
} SottoRelayError;

/**
 * SottoRelayConnection:
 * @SOTTO_RELAY_CONNECTION_OFFLINE: no delivery socket and none wanted, or
 *   waiting for the network or for the next attempt
 * @SOTTO_RELAY_CONNECTION_CONNECTING: opening the delivery socket
 * @SOTTO_RELAY_CONNECTION_CONNECTED: the delivery socket is open
 */
typedef enum
{
  SOTTO_RELAY_CONNECTION_OFFLINE,
  SOTTO_RELAY_CONNECTION_CONNECTING,
  SOTTO_RELAY_CONNECTION_CONNECTED,
} SottoRelayConnection;

GQuark                   sotto_relay_error_quark                 (void);
gboolean                 sotto_relay_error_is_transient          (const GError             *error);

G_END_DECLS
