/* relay-server-profiles.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Encrypted profiles: each account stores one opaque blob, its display
 * name and avatar encrypted under a profile key that only the account's
 * contacts hold, and any account may read it.  The relay sees neither
 * key nor plaintext, only the blob's size, which is bounded.
 */

#include "config.h"

#include <string.h>

#include "relay-server-private.h"

/* The bound on a request's body: a whole profile may be larger than
 * other requests. */
gsize
_relay_request_body_limit (RelayRequest *request)
{
  gsize limit = request->server->config->max_request_bytes;

  if (request->method == METHOD_PUT && request->n_segments == 3 &&
      strcmp (request->segments[1], "v1") == 0 && strcmp (request->segments[2], "profile") == 0)
    return MAX (limit, RELAY_MAX_PROFILE_BYTES);
  return limit;
}

/* Endpoint: PUT /v1/profile */

/* Answers `{}` once a write that returns nothing is stored. */
void
_relay_stored_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!_relay_request_attached (request))
    return;
  if (task->op->status == RELAY_STORAGE_OK)
    _relay_respond_text (request, 200, "{}");
  else
    _relay_respond_storage_failure (request);
}

/* The body is the blob itself: base64 in JSON would make a full-size
 * avatar a third larger than the request bound. */
void
_relay_handle_put_profile (RelayRequest *request)
{
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_PROFILES, request->credentials->uuid))
    return;
  if (request->body->len == 0)
    {
      _relay_respond_error (request, 400, "bad-value", "The profile is empty");
      return;
    }
  if (request->body->len > RELAY_MAX_PROFILE_BYTES)
    {
      _relay_respond_error (request, 413, "too-large", "The profile is larger than the relay keeps");
      return;
    }
  task = _relay_task_new (request->server, _relay_stored_cb, request, NULL);
  op = relay_op_new (RELAY_OP_PUT_PROFILE);
  op->uuid = g_strdup (request->credentials->uuid);
  op->profile = g_bytes_new (request->body->data, request->body->len);
  op->server_timestamp = _relay_now_ms ();
  _relay_task_submit_op (task, op);
}

/* Endpoint: GET /v1/profile/UUID */

static void
profile_read_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  gsize size;
  const char *data;

  if (!_relay_request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      data = g_bytes_get_data (task->op->profile, &size);
      _relay_respond_raw (request, 200, "application/octet-stream", data, size);
      break;
    case RELAY_STORAGE_NOT_FOUND:
      _relay_respond_error (request, 404, "not-found", "This account has stored no profile");
      break;
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

void
_relay_handle_get_profile (RelayRequest *request)
{
  const char *uuid = request->segments[3];
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_PROFILES, request->credentials->uuid))
    return;
  if (!relay_uuid_is_valid (uuid, strlen (uuid)))
    {
      _relay_respond_error (request, 400, "bad-value", "The path does not name an account UUID");
      return;
    }
  task = _relay_task_new (request->server, profile_read_cb, request, NULL);
  op = relay_op_new (RELAY_OP_GET_PROFILE);
  op->uuid = g_strdup (uuid);
  _relay_task_submit_op (task, op);
}
