/* relay-server-auth.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Authentication, shared by HTTP requests and WebSockets.
 */

#include "config.h"

#include <string.h>

#include "relay-server-private.h"

/* Authentication, shared by requests and WebSockets.  A digest cached
 * in memory answers at once; otherwise the device is read, and the
 * digest stored with it answers if it matches (relay-digest-key.c), or
 * the stored hash is checked on the hashing pool. */

static void request_auth_finished (RelayRequest *request, AuthResult result);

static RelayCredentials *task_credentials (RelayTask *task);

/* One line per failed password check, for fail2ban and the like (see
 * docs/deploy.md).  Each costs a hash, which the address-auth-failures
 * limit rations, so the lines come no faster than that. */
static void
log_failed_login (RelayTask *task)
{
  RelayCredentials *credentials = task_credentials (task);
  const char *address = task->request != NULL ? task->request->address : task->conn->address;

  g_message ("Failed login for account %s device %u from %s", credentials->uuid,
             credentials->device_id, address);
}

static void
auth_finished (RelayTask  *task,
               AuthResult  result)
{
  if (result == AUTH_DENIED)
    log_failed_login (task);
  if (task->request != NULL)
    request_auth_finished (task->request, result);
  else
    _relay_conn_auth_finished (task->conn, result);
}

static RelayCredentials *
task_credentials (RelayTask *task)
{
  return task->request != NULL ? task->request->credentials : task->conn->credentials;
}

/* Nothing waits for a digest to be stored: one that is not costs a hash
 * at the next login that the memory cache does not answer. */
static void
digest_stored_cb (RelayTask *task)
{
}

/* Stores a digest of the password that was just checked against
 * `password_hash`, so that it gets in without a hash after a restart
 * too. */
static void
store_password_digest (RelayServer      *self,
                       RelayCredentials *credentials,
                       const char       *password_hash)
{
  RelayOp *op = relay_op_new (RELAY_OP_STORE_PASSWORD_DIGEST);

  op->uuid = g_strdup (credentials->uuid);
  op->device_id = credentials->device_id;
  op->password_hash = g_strdup (password_hash);
  op->password_digest = relay_digest_key_digest (self->digest_key, password_hash, credentials->password);
  _relay_task_submit_op (_relay_task_new (self, digest_stored_cb, NULL, NULL), op);
}

static void
auth_verified_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayCredentials *credentials = task_credentials (task);

  self->metrics.password_checks++;
  if (task->verified)
    {
      relay_auth_cache_remember (self->auth_cache, credentials->uuid, credentials->device_id,
                                 credentials->password);
      store_password_digest (self, credentials, task->hash);
    }
  auth_finished (task, task->verified ? AUTH_OK : AUTH_DENIED);
}

static void
auth_device_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayCredentials *credentials = task_credentials (task);
  RelayTask *verify;

  if (task->op->status != RELAY_STORAGE_OK && task->op->status != RELAY_STORAGE_NOT_FOUND)
    {
      auth_finished (task, AUTH_BUSY);
      return;
    }
  /* A password checked before, in this run or an earlier one, needs no
   * place in the hashing queue, which a flood of wrong ones may fill. */
  if (task->op->status == RELAY_STORAGE_OK &&
      relay_digest_key_matches (self->digest_key, task->op->password_digest, task->op->password_hash,
                                credentials->password))
    {
      relay_auth_cache_remember (self->auth_cache, credentials->uuid, credentials->device_id,
                                 credentials->password);
      auth_finished (task, AUTH_OK);
      return;
    }
  verify = _relay_task_new (self, auth_verified_cb, task->request, task->conn);
  verify->password = g_strdup (credentials->password);
  if (task->op->status == RELAY_STORAGE_NOT_FOUND)
    verify->hash = g_strdup (relay_auth_cache_get_decoy_hash (self->auth_cache));
  else
    verify->hash = g_steal_pointer (&task->op->password_hash);
  if (!_relay_task_submit_hash (verify, FALSE))
    {
      _relay_task_discard (verify);
      auth_finished (task, AUTH_BUSY);
    }
}

static void
device_still_there_cb (RelayTask *task)
{
  if (task->op->status == RELAY_STORAGE_NOT_FOUND && task->conn->wsi != NULL)
    _relay_conn_close (task->conn, CLOSE_UNAUTHORIZED, "unauthorized");
}

/* Looks up the device `credentials` name, for `task`. */
static void
task_submit_get_device (RelayTask        *task,
                        RelayCredentials *credentials)
{
  RelayOp *op = relay_op_new (RELAY_OP_GET_DEVICE);

  op->uuid = g_strdup (credentials->uuid);
  op->device_id = credentials->device_id;
  _relay_task_submit_op (task, op);
}

/* Passwords checked before another process changed the database (an
 * administrator deleting or banning an account) may belong to devices
 * that are gone: their devices must be looked up again before they
 * count (which costs no hash), and a WebSocket whose device is gone is
 * closed, so that a banned account can neither send nor stay
 * connected. */
void
_relay_forget_outside_changes (RelayServer *self)
{
  gint changes = g_atomic_int_get (&self->storage->outside_changes);
  GHashTableIter iter;
  RelayConn *conn;

  if (changes == self->outside_changes_seen)
    return;
  self->outside_changes_seen = changes;
  relay_auth_cache_unconfirm_all (self->auth_cache);
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    {
      task_submit_get_device (_relay_task_new (self, device_still_there_cb, NULL, conn), conn->credentials);
    }
}

/* The slow check, against the stored hash. */
static void
check_password (RelayServer      *self,
                RelayRequest     *request,
                RelayConn        *conn,
                RelayCredentials *credentials,
                const char       *address)
{
  g_autofree char *account_address = NULL;

  /* Every slow check costs a hash, so they are rationed per address,
   * and per account and address.  The second is not per account alone:
   * then anyone who knows an account's UUID could use up its ration and
   * lock its owner out; addresses that rotate are bounded by the hash
   * queue (_relay_task_submit_hash).  Unknown accounts are rationed alike, and
   * checked against a decoy, so that nothing tells them from known
   * ones. */
  account_address = g_strconcat (credentials->uuid, " ", address, NULL);
  if (!_relay_take_rate (self, RELAY_RATE_ADDRESS_AUTH_FAILURES, address) ||
      !_relay_take_rate (self, RELAY_RATE_ACCOUNT_PASSWORD_CHECKS, account_address))
    {
      if (request != NULL)
        request_auth_finished (request, AUTH_RATE_LIMITED);
      else
        _relay_conn_auth_finished (conn, AUTH_RATE_LIMITED);
      return;
    }
  task_submit_get_device (_relay_task_new (self, auth_device_cb, request, conn), credentials);
}

/* A remembered password whose device was looked up again after a change
 * from outside: it counts if the device is still there, and is checked
 * like any other if not. */
static void
auth_confirmed_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayCredentials *credentials = task_credentials (task);

  if (task->op->status == RELAY_STORAGE_OK)
    {
      relay_auth_cache_confirm (self->auth_cache, credentials->uuid, credentials->device_id);
      auth_finished (task, AUTH_OK);
      return;
    }
  if (task->op->status != RELAY_STORAGE_NOT_FOUND)
    {
      auth_finished (task, AUTH_BUSY);
      return;
    }
  relay_auth_cache_forget (self->auth_cache, credentials->uuid, credentials->device_id);
  if (task->request != NULL && _relay_request_attached (task->request))
    check_password (self, task->request, NULL, credentials, task->request->address);
  else if (task->conn != NULL && task->conn->wsi != NULL && !task->conn->closing)
    check_password (self, NULL, task->conn, credentials, task->conn->address);
}

/* Starts checking credentials; the outcome goes to request_auth_finished
 * or _relay_conn_auth_finished, possibly before this returns. */
void
_relay_authenticate (RelayServer      *self,
                     RelayRequest     *request,
                     RelayConn        *conn,
                     RelayCredentials *credentials,
                     const char       *address)
{
  _relay_forget_outside_changes (self);
  switch (relay_auth_cache_check (self->auth_cache, credentials->uuid, credentials->device_id,
                                  credentials->password))
    {
    case RELAY_AUTH_CACHE_HIT:
      if (request != NULL)
        request_auth_finished (request, AUTH_OK);
      else
        _relay_conn_auth_finished (conn, AUTH_OK);
      return;
    case RELAY_AUTH_CACHE_UNCONFIRMED:
      task_submit_get_device (_relay_task_new (self, auth_confirmed_cb, request, conn), credentials);
      return;
    case RELAY_AUTH_CACHE_MISS:
    default:
      check_password (self, request, conn, credentials, address);
      return;
    }
}

static void
request_auth_finished (RelayRequest *request,
                       AuthResult    result)
{
  if (!_relay_request_attached (request))
    return;
  switch (result)
    {
    case AUTH_OK:
      request->after_auth (request);
      break;
    case AUTH_DENIED:
      _relay_respond_error (request, 401, "unauthorized", "Unknown device or wrong password");
      break;
    case AUTH_RATE_LIMITED:
      _relay_respond_error (request, 429, "rate-limited", "Too many password checks; try again later");
      break;
    case AUTH_BUSY:
    default:
      _relay_respond_error (request, 503, "unavailable", "The relay is busy; try again later");
      break;
    }
}

void
_relay_request_authenticate (RelayRequest *request,
                             RelayHandler  handler)
{
  g_autoptr(GError) error = NULL;

  request->credentials = relay_credentials_parse (request->authorization, &error);
  if (request->credentials == NULL)
    {
      _relay_respond_error (request, 401, "unauthorized", error->message);
      return;
    }
  request->after_auth = handler;
  _relay_authenticate (request->server, request, NULL, request->credentials, request->address);
}

/* JSON output helpers. */
