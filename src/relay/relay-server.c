/* relay-server.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The HTTP and WebSocket front of the relay.  Everything here runs on
 * one thread, the libuv loop that libwebsockets serves on.  Work that
 * blocks (storage ops, password hashing) goes to other threads as a
 * RelayTask and comes back through a queue and a uv_async wake-up, so
 * the loop never waits on a disk or a hash.
 *
 * A task holds a reference on the request or connection it serves.  When
 * the client goes away first, the object loses its wsi and the task's
 * result is simply dropped when it returns.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <sodium.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "relay-auth.h"
#include "relay-guard.h"
#include "relay-invite.h"
#include "relay-log-throttle.h"
#include "relay-metrics.h"
#include "relay-notify.h"
#include "relay-postgresql-listener.h"
#include "relay-ratelimit.h"
#include "relay-server.h"
#include "relay-tls.h"

#define HOUSEKEEPING_INTERVAL_MS   10000
#define OUTSIDE_CHANGES_INTERVAL_MS 1000
#define EXPIRE_EVERY_N_TICKS       6
#define DRAIN_TIMEOUT_US           (10 * G_USEC_PER_SEC)
#define AUTH_CACHE_CAPACITY        100000
#define WEBSOCKET_MAX_FRAME_HEADER 10
#define WEBSOCKET_WRITE_BATCH      32768
#define WEBSOCKET_PATH             "/v1/websocket"
#define PEER_ADDRESS_SIZE          RELAY_PEER_ADDRESS_SIZE
/* Room for the response headers in front of every response body. */
#define RESPONSE_HEADER_ROOM       512
#define RESPONSE_HEADROOM          (LWS_PRE + RESPONSE_HEADER_ROOM)

/* Private close codes sent on the WebSocket. */
#define CLOSE_UNAUTHORIZED         4401
#define CLOSE_RATE_LIMITED         4429
#define CLOSE_REPLACED             4409
#define CLOSE_UNAVAILABLE          4503

typedef enum
{
  METHOD_OTHER,
  METHOD_GET,
  METHOD_POST,
  METHOD_PUT,
} RelayMethod;

typedef struct _RelayRequest RelayRequest;
typedef struct _RelayConn RelayConn;
typedef struct _RelayTask RelayTask;

typedef void (*RelayHandler)  (RelayRequest *request);
typedef void (*RelayTaskFunc) (RelayTask    *task);

struct _RelayServer
{
  RelayConfig        *config;
  RelayStorage       *storage;

  uv_loop_t           loop;
  uv_async_t          wakeup;
  uv_signal_t         sigterm;
  uv_signal_t         sigint;
  uv_signal_t         sighup;
  uv_timer_t          housekeeping;
  uv_timer_t          outside_changes;
  uv_timer_t          drain_timer;
  uv_check_t          ack_flush;
  uv_check_t          iteration_end;
  guint64             iteration;     /* loop iterations so far */
  guint               ticks;

  struct lws_context *context;      /* cleared by lws when it frees it */
  gboolean            context_closing;
  guint16             port;
  struct lws_vhost   *metrics_vhost;  /* NULL unless metrics are served */
  guint16             metrics_port;
  SSL_CTX            *ssl_ctx;        /* the TLS vhost's, which SIGHUP reloads */

  GMutex              completions_lock;
  GQueue              completions;   /* of RelayTask, filled by other threads */
  GThreadPool        *hash_pool;
  guint               hash_queued;
  guint               pending_tasks;
  guint               active_requests;
  guint               sockets;
  gboolean            handles_closed;

  RelayAuthCache     *auth_cache;
  gint                outside_changes_seen;  /* storage->outside_changes when last looked at */
  RelayRateLimiter   *limiter;
  RelayGuard         *guard;
  RelayMetrics        metrics;
  /* Other nodes' sends, when several share a PostgreSQL database; NULL
   * on SQLite, where only this process writes the queue. */
  RelayPostgresqlListener *listener;

  GHashTable         *devices;       /* "uuid.device" -> RelayConn, authenticated */
  GHashTable         *websockets;    /* set of every open RelayConn */
  GArray             *acks;          /* of RelayAck, not yet submitted */
  GByteArray         *ws_batch;      /* reused for every batch of frames */
  GString            *answer;        /* reused for the answer to every send */
  RelayQueueLimits    queue_limits;

  /* Bytes of frames waiting in every connection's output queue, and
   * those that fetches under way may add. */
  gsize               ws_queued_bytes;
  gsize               ws_reserved_bytes;
  GQueue              budget_waiters; /* of RelayConn, referenced, waiting to fetch */

  gboolean            draining;
  gint64              drain_deadline;
};

struct _RelayRequest
{
  int               refcount;
  RelayServer      *server;
  struct lws       *wsi;            /* NULL once detached from its connection */
  RelayMethod       method;
  char            **segments;       /* the path split at '/', first one empty */
  guint             n_segments;
  char              address[PEER_ADDRESS_SIZE];
  char             *authorization;
  gint64            content_length;
  GByteArray       *body;
  gboolean          dispatched;
  gboolean          body_complete;
  guint64           body_iteration;   /* the loop iteration that completed it */
  RelayCredentials *credentials;    /* set once authenticated; the connection's own for a
                                     * request made on a WebSocket */
  RelayHandler      after_auth;

  guint             status;
  const char       *content_type;
  guint8           *response;       /* RESPONSE_HEADROOM bytes, then the body */
  gsize             response_length;
  gboolean          responded;
  gboolean          close_after;

  /* A request made as a WebSocket message rather than over HTTP. */
  RelayConn        *conn;
  gint64            message_id;
};

/* A message waiting for the socket.  The loop makes one for every
 * envelope it delivers and every answer it sends, so the queue link, the
 * text and the GUID all live in the frame's one allocation. */
typedef struct
{
  GList     link;     /* in RelayConn.out, with the frame as its data */
  char     *guid;     /* NULL for frames that need no acknowledgement */
  gboolean  response; /* answers a request the connection made */
  gsize     length;
  char      data[];   /* the text, then the GUID if any */
} Frame;

struct _RelayConn
{
  int               refcount;
  RelayServer      *server;
  struct lws       *wsi;            /* NULL once closed */
  char              address[PEER_ADDRESS_SIZE];
  RelayCredentials *credentials;
  char             *key;            /* "uuid.device" once authenticated */
  gboolean          authenticated;
  gboolean          closing;
  int               close_code;
  const char       *close_reason;    /* a static string */
  gboolean          close_sent;

  GQueue            out;            /* of Frame, waiting to be written */
  gsize             out_bytes;      /* the length of every frame in out */
  gsize             fetch_reserved; /* bytes the fetch under way may add */
  gboolean          budget_waiting; /* in RelayServer.budget_waiters */
  GHashTable       *inflight;       /* guids written and not yet acknowledged */
  gint64            last_queued_id;
  gboolean          fetching;
  gboolean          need_fetch;
  gboolean          live;           /* the stored queue has been read to its end */
  gboolean          queue_changed;  /* envelopes came after the last fetch began */
  gboolean          drained_sent;
  GByteArray       *rx;
  guint             requests;       /* made and not yet answered on the socket */
  gboolean          rx_paused;
};

struct _RelayTask
{
  GList          link;       /* in RelayServer.completions, with the task as its data */
  RelayServer   *server;
  RelayTaskFunc  complete;
  RelayRequest  *request;
  RelayConn     *conn;
  RelayOp       *op;
  gboolean       hashing;
  char          *password;
  char          *hash;
  gboolean       verified;
};

typedef struct
{
  RelayRequest *request;
  RelayConn    *conn;
} Session;

static void conn_schedule (RelayConn *conn);
static void conn_close (RelayConn *conn, int code, const char *reason);
static void conn_unref (RelayConn *conn);
static void conn_answered (RelayConn *conn);
static void conn_start_fetch (RelayConn *conn);
static void start_waiting_fetches (RelayServer *self);
static void flush_acks (RelayServer *self);

/* Every accepted socket's slot lives as its opaque data from
 * LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED to LWS_CALLBACK_WSI_DESTROY:
 * lws clears the opaque data after LWS_CALLBACK_WSI_CREATE. */
static RelaySlot *
wsi_slot (struct lws *wsi)
{
  return lws_get_opaque_user_data (wsi);
}

/* Objects and their references. */

static RelayRequest *
request_ref (RelayRequest *request)
{
  request->refcount++;
  return request;
}

static void
request_unref (RelayRequest *request)
{
  if (--request->refcount > 0)
    return;
  g_strfreev (request->segments);
  if (request->authorization != NULL)
    sodium_memzero (request->authorization, strlen (request->authorization));
  g_free (request->authorization);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_free (request->response);
  if (request->conn != NULL)
    conn_unref (request->conn);
  else
    relay_credentials_free (request->credentials);
  g_free (request);
}

/* Whether the client that made the request can still read its answer. */
static gboolean
request_attached (RelayRequest *request)
{
  if (request->conn != NULL)
    return request->conn->wsi != NULL && !request->conn->closing;
  return request->wsi != NULL;
}

/* Cuts the request loose from its connection, either because its answer
 * has been written or because the client went away. */
static void
request_detach (RelayRequest *request)
{
  if (request->wsi != NULL)
    {
      request->wsi = NULL;
      request->server->active_requests--;
    }
  request_unref (request);
}

/* A frame with room for `capacity` bytes of text and GUID. */
static Frame *
frame_new (gsize capacity)
{
  Frame *frame = g_malloc (sizeof (Frame) + capacity);

  frame->link.data = frame;
  frame->link.prev = NULL;
  frame->link.next = NULL;
  frame->guid = NULL;
  frame->response = FALSE;
  frame->length = 0;
  return frame;
}

static void
conn_push_frame (RelayConn *conn,
                 Frame     *frame)
{
  g_queue_push_tail_link (&conn->out, &frame->link);
  conn->out_bytes += frame->length;
  conn->server->ws_queued_bytes += frame->length;
}

static Frame *
conn_pop_frame (RelayConn *conn)
{
  /* The frame is its own link: popping only the data would free it. */
  Frame *frame = g_queue_pop_head_link (&conn->out)->data;

  conn->out_bytes -= frame->length;
  conn->server->ws_queued_bytes -= frame->length;
  return frame;
}

static RelayConn *
conn_ref (RelayConn *conn)
{
  conn->refcount++;
  return conn;
}

static void
conn_unref (RelayConn *conn)
{
  if (--conn->refcount > 0)
    return;
  relay_credentials_free (conn->credentials);
  g_free (conn->key);
  while (conn->out.length > 0)
    g_free (conn_pop_frame (conn));
  g_hash_table_unref (conn->inflight);
  g_byte_array_unref (conn->rx);
  g_free (conn);
}

static RelayTask *
task_new (RelayServer   *server,
          RelayTaskFunc  complete,
          RelayRequest  *request,
          RelayConn     *conn)
{
  RelayTask *task = g_new0 (RelayTask, 1);

  task->link.data = task;
  task->server = server;
  task->complete = complete;
  task->request = request != NULL ? request_ref (request) : NULL;
  task->conn = conn != NULL ? conn_ref (conn) : NULL;
  server->pending_tasks++;
  return task;
}

static void
task_free (RelayTask *task)
{
  if (task->request != NULL)
    request_unref (task->request);
  if (task->conn != NULL)
    conn_unref (task->conn);
  relay_op_free (task->op);
  if (task->password != NULL)
    sodium_memzero (task->password, strlen (task->password));
  g_free (task->password);
  if (task->hash != NULL)
    sodium_memzero (task->hash, strlen (task->hash));
  g_free (task->hash);
  g_free (task);
}

/* Drops a task that was never handed to another thread. */
static void
task_discard (RelayTask *task)
{
  task->server->pending_tasks--;
  task_free (task);
}

/* Called from the storage and hashing threads.  Once the task is in the
 * queue the loop thread may complete and free it at any moment, so the
 * server is read from it before the push.  The task is its own queue
 * link: a completion comes back for every envelope sent. */
static void
push_completion (RelayTask *task)
{
  RelayServer *server = task->server;

  g_mutex_lock (&server->completions_lock);
  g_queue_push_tail_link (&server->completions, &task->link);
  g_mutex_unlock (&server->completions_lock);
  uv_async_send (&server->wakeup);
}

/* Takes every completed task at once, oldest first, so that the lock is
 * taken once per wake-up rather than once per task. */
static GList *
take_completions (RelayServer *self)
{
  GList *tasks;

  g_mutex_lock (&self->completions_lock);
  tasks = self->completions.head;
  g_queue_init (&self->completions);
  g_mutex_unlock (&self->completions_lock);
  return tasks;
}

static void
op_done_cb (RelayOp *op)
{
  push_completion (op->user_data);
}

static void
task_submit_op (RelayTask *task,
                RelayOp   *op)
{
  op->done = op_done_cb;
  op->user_data = task;
  task->op = op;
  relay_storage_submit (task->server->storage, op);
}

static void
hash_worker (gpointer data,
             gpointer user_data)
{
  RelayTask *task = data;

  if (task->hash == NULL)
    task->hash = relay_password_hash (task->password);
  else
    task->verified = relay_password_verify (task->hash, task->password);
  push_completion (task);
}

/* Returns FALSE when too many hashes are waiting already: the caller
 * answers 503 instead of letting the queue grow.  Password checks leave
 * the last places to registrations, so that a flood of wrong passwords
 * cannot keep new accounts out. */
static gboolean
task_submit_hash (RelayTask *task,
                  gboolean   registration)
{
  RelayServer *self = task->server;
  guint limit = self->config->hash_queue_limit;

  if (!registration)
    limit -= self->config->hash_queue_registration_reserve;
  if (self->hash_queued >= limit)
    return FALSE;
  self->hash_queued++;
  task->hashing = TRUE;
  g_thread_pool_push (self->hash_pool, task, NULL);
  return TRUE;
}

static void
wakeup_cb (uv_async_t *handle)
{
  RelayServer *self = handle->data;
  GList *next;

  /* A task that completes while these run wakes the loop again. */
  for (GList *link = take_completions (self); link != NULL; link = next)
    {
      RelayTask *task = link->data;

      next = link->next;
      self->pending_tasks--;
      if (task->hashing)
        {
          self->hash_queued--;
          self->metrics.password_hashes++;
        }
      task->complete (task);
      task_free (task);
    }
}

/* Runs after the poll phase of every loop iteration, so that callbacks
 * can tell whether they come within the same one. */
static void
iteration_end_cb (uv_check_t *handle)
{
  RelayServer *self = handle->data;

  self->iteration++;
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* Answers.  Over HTTP the answer waits in the request for the socket;
 * over the WebSocket it is queued as a "response" message. */

/* The loop writes a frame and an answer for every envelope, and writes
 * frames straight into their own memory; printf would cost more than the
 * rest of the text between them.  A frame is sized before it is written,
 * from the length of its strings and bounds on the rest of its text. */
#define UINT_DIGITS_MAX       20
/* Bounds on the member names and punctuation of a message. */
#define RESPONSE_FRAME_NAMES  64
#define ENVELOPE_FRAME_NAMES  128
/* A bound on an envelope frame's text, GUIDs and UUIDs included, for
 * `content_length` bytes of base64 content. */
#define ENVELOPE_FRAME_SIZE(content_length) \
  (ENVELOPE_FRAME_NAMES + 4 * UINT_DIGITS_MAX + 3 * (RELAY_UUID_LENGTH + 1) + (content_length))

static char *
put_text (char       *p,
          const char *text,
          gsize       length)
{
  memcpy (p, text, length);
  return p + length;
}

#define put_literal(p, literal) put_text ((p), (literal), sizeof (literal) - 1)

static char *
put_uint (char    *p,
          guint64  value)
{
  char digits[UINT_DIGITS_MAX];
  guint n = 0;

  do
    digits[n++] = (char) ('0' + value % 10);
  while ((value /= 10) > 0);
  while (n > 0)
    *p++ = digits[--n];
  return p;
}

static void
append_member_uint (GString    *text,
                    const char *name,
                    guint64     value)
{
  char digits[UINT_DIGITS_MAX];

  g_string_append (text, name);
  g_string_append_len (text, digits, put_uint (digits, value) - digits);
}

static void
conn_respond (RelayRequest *request,
              guint         status,
              const char   *body,
              gsize         length)
{
  RelayConn *conn = request->conn;
  Frame *frame = frame_new (RESPONSE_FRAME_NAMES + 2 * UINT_DIGITS_MAX + length);
  char *p = frame->data;

  p = put_literal (p, "{\"type\":\"response\",\"id\":");
  p = put_uint (p, (guint64) request->message_id);
  p = put_literal (p, ",\"status\":");
  p = put_uint (p, status);
  p = put_literal (p, ",\"body\":");
  p = put_text (p, body, length);
  p = put_literal (p, "}");
  frame->response = TRUE;
  frame->length = (gsize) (p - frame->data);
  conn_push_frame (conn, frame);
  conn_schedule (conn);
}

static void
respond_raw (RelayRequest *request,
             guint         status,
             const char   *content_type,
             const char   *body,
             gsize         length)
{
  RelayServer *self = request->server;

  g_assert (!request->responded);

  if (status >= 500)
    self->metrics.request_errors_5xx++;
  else if (status >= 400)
    self->metrics.request_errors_4xx++;
  request->responded = TRUE;
  if (request->conn != NULL)
    {
      if (request_attached (request))
        conn_respond (request, status, body, length);
      return;
    }
  request->status = status;
  request->content_type = content_type;
  request->response = g_malloc (RESPONSE_HEADROOM + length);
  memcpy (request->response + RESPONSE_HEADROOM, body, length);
  request->response_length = length;
  if (request->wsi != NULL)
    {
      relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_WRITING);
      lws_callback_on_writable (request->wsi);
    }
}

static void
respond_builder (RelayRequest *request,
                 guint         status,
                 JsonBuilder  *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  respond_raw (request, status, "application/json", text, strlen (text));
}

static void
respond_text (RelayRequest *request,
              guint         status,
              const char   *json)
{
  respond_raw (request, status, "application/json", json, strlen (json));
}

static JsonBuilder *
error_builder (const char *code,
               const char *message)
{
  JsonBuilder *builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  return builder;
}

static void
respond_error (RelayRequest *request,
               guint         status,
               const char   *code,
               const char   *message)
{
  g_autoptr(JsonBuilder) builder = error_builder (code, message);

  json_builder_end_object (builder);
  respond_builder (request, status, builder);
}

static void
respond_api_error (RelayRequest *request,
                   const GError *error)
{
  guint status = 400;

  if (g_error_matches (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE))
    status = 413;
  respond_error (request, status, relay_api_error_name ((RelayApiError) error->code), error->message);
}

static void
respond_storage_failure (RelayRequest *request)
{
  respond_error (request, 503, "unavailable", "The relay cannot reach its storage");
}

static gboolean
take_rate (RelayServer   *self,
           RelayRateKind  kind,
           const char    *key)
{
  if (relay_rate_limiter_take (self->limiter, kind, key, g_get_monotonic_time ()))
    return TRUE;
  self->metrics.rate_limited++;
  return FALSE;
}

static gboolean
request_take_rate (RelayRequest  *request,
                   RelayRateKind  kind,
                   const char    *key)
{
  if (take_rate (request->server, kind, key))
    return TRUE;
  respond_error (request, 429, "rate-limited", "Too many requests; try again later");
  return FALSE;
}

/* Authentication, shared by requests and WebSockets.  A cached digest
 * answers at once; otherwise the stored hash is read and checked on the
 * hashing pool. */

typedef enum
{
  AUTH_OK,
  AUTH_DENIED,
  AUTH_RATE_LIMITED,
  AUTH_BUSY,
} AuthResult;

static void request_auth_finished (RelayRequest *request, AuthResult result);
static void conn_auth_finished (RelayConn *conn, AuthResult result);

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
    conn_auth_finished (task->conn, result);
}

static RelayCredentials *
task_credentials (RelayTask *task)
{
  return task->request != NULL ? task->request->credentials : task->conn->credentials;
}

static void
auth_verified_cb (RelayTask *task)
{
  RelayCredentials *credentials = task_credentials (task);

  task->server->metrics.password_checks++;
  if (task->verified)
    relay_auth_cache_remember (task->server->auth_cache, credentials->uuid,
                               credentials->device_id, credentials->password);
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
  verify = task_new (self, auth_verified_cb, task->request, task->conn);
  verify->password = g_strdup (credentials->password);
  if (task->op->status == RELAY_STORAGE_NOT_FOUND)
    verify->hash = g_strdup (relay_auth_cache_get_decoy_hash (self->auth_cache));
  else
    verify->hash = g_steal_pointer (&task->op->password_hash);
  if (!task_submit_hash (verify, FALSE))
    {
      task_discard (verify);
      auth_finished (task, AUTH_BUSY);
    }
}

static void
device_still_there_cb (RelayTask *task)
{
  if (task->op->status == RELAY_STORAGE_NOT_FOUND && task->conn->wsi != NULL)
    conn_close (task->conn, CLOSE_UNAUTHORIZED, "unauthorized");
}

/* Looks up the device `credentials` name, for `task`. */
static void
task_submit_get_device (RelayTask        *task,
                        RelayCredentials *credentials)
{
  RelayOp *op = relay_op_new (RELAY_OP_GET_DEVICE);

  op->uuid = g_strdup (credentials->uuid);
  op->device_id = credentials->device_id;
  task_submit_op (task, op);
}

/* Passwords checked before another process changed the database (an
 * administrator deleting or banning an account) may belong to devices
 * that are gone: their devices must be looked up again before they
 * count (which costs no hash), and a WebSocket whose device is gone is
 * closed, so that a banned account can neither send nor stay
 * connected. */
static void
forget_outside_changes (RelayServer *self)
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
      task_submit_get_device (task_new (self, device_still_there_cb, NULL, conn), conn->credentials);
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
   * queue (task_submit_hash).  Unknown accounts are rationed alike, and
   * checked against a decoy, so that nothing tells them from known
   * ones. */
  account_address = g_strconcat (credentials->uuid, " ", address, NULL);
  if (!take_rate (self, RELAY_RATE_ADDRESS_AUTH_FAILURES, address) ||
      !take_rate (self, RELAY_RATE_ACCOUNT_PASSWORD_CHECKS, account_address))
    {
      if (request != NULL)
        request_auth_finished (request, AUTH_RATE_LIMITED);
      else
        conn_auth_finished (conn, AUTH_RATE_LIMITED);
      return;
    }
  task_submit_get_device (task_new (self, auth_device_cb, request, conn), credentials);
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
  if (task->request != NULL && request_attached (task->request))
    check_password (self, task->request, NULL, credentials, task->request->address);
  else if (task->conn != NULL && task->conn->wsi != NULL && !task->conn->closing)
    check_password (self, NULL, task->conn, credentials, task->conn->address);
}

/* Starts checking credentials; the outcome goes to request_auth_finished
 * or conn_auth_finished, possibly before this returns. */
static void
authenticate (RelayServer      *self,
              RelayRequest     *request,
              RelayConn        *conn,
              RelayCredentials *credentials,
              const char       *address)
{
  forget_outside_changes (self);
  switch (relay_auth_cache_check (self->auth_cache, credentials->uuid, credentials->device_id,
                                  credentials->password))
    {
    case RELAY_AUTH_CACHE_HIT:
      if (request != NULL)
        request_auth_finished (request, AUTH_OK);
      else
        conn_auth_finished (conn, AUTH_OK);
      return;
    case RELAY_AUTH_CACHE_UNCONFIRMED:
      task_submit_get_device (task_new (self, auth_confirmed_cb, request, conn), credentials);
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
  if (!request_attached (request))
    return;
  switch (result)
    {
    case AUTH_OK:
      request->after_auth (request);
      break;
    case AUTH_DENIED:
      respond_error (request, 401, "unauthorized", "Unknown device or wrong password");
      break;
    case AUTH_RATE_LIMITED:
      respond_error (request, 429, "rate-limited", "Too many password checks; try again later");
      break;
    case AUTH_BUSY:
    default:
      respond_error (request, 503, "unavailable", "The relay is busy; try again later");
      break;
    }
}

static void
request_authenticate (RelayRequest *request,
                      RelayHandler  handler)
{
  g_autoptr(GError) error = NULL;

  request->credentials = relay_credentials_parse (request->authorization, &error);
  if (request->credentials == NULL)
    {
      respond_error (request, 401, "unauthorized", error->message);
      return;
    }
  request->after_auth = handler;
  authenticate (request->server, request, NULL, request->credentials, request->address);
}

/* JSON output helpers. */

static void
add_base64 (JsonBuilder *builder,
            const char  *name,
            GBytes      *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gsize encoded_length = sodium_base64_encoded_len (size, sodium_base64_VARIANT_ORIGINAL);
  g_autofree char *encoded = g_malloc (encoded_length);

  sodium_bin2base64 (encoded, encoded_length, data, size, sodium_base64_VARIANT_ORIGINAL);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, encoded);
}

static void
add_prekey (JsonBuilder *builder,
            const char  *name,
            RelayPreKey *prekey)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keyId");
  json_builder_add_int_value (builder, prekey->key_id);
  add_base64 (builder, "publicKey", prekey->public_key);
  if (prekey->signature != NULL)
    add_base64 (builder, "signature", prekey->signature);
}

static void
add_id_list (JsonBuilder *builder,
             const char  *name,
             GArray      *ids)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    json_builder_add_int_value (builder, g_array_index (ids, guint32, i));
  json_builder_end_array (builder);
}

/* Endpoint: POST /v1/accounts */

static void
respond_registration_closed (RelayRequest *request)
{
  respond_error (request, 403, "registration-closed",
                 "This relay registers accounts only with a valid registration token");
}

static void
register_stored_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      g_info ("Registered an account");
      /* The password was just hashed; checking it again on first use
       * would only spend another Argon2 run. */
      relay_auth_cache_remember (task->server->auth_cache, task->op->uuid, task->op->device_id,
                                 task->op->reg->password);
      builder = json_builder_new_immutable ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uuid");
      json_builder_add_string_value (builder, task->op->uuid);
      json_builder_set_member_name (builder, "deviceId");
      json_builder_add_int_value (builder, task->op->device_id);
      json_builder_end_object (builder);
      respond_builder (request, 200, builder);
      break;
    case RELAY_STORAGE_CONFLICT:
      respond_error (request, 409, "username-taken", "The username is already registered");
      break;
    case RELAY_STORAGE_LIMIT:
      respond_error (request, 400, "too-many", "Too many one-time prekeys");
      break;
    case RELAY_STORAGE_INVITE_INVALID:
      respond_registration_closed (request);
      break;
    default:
      respond_storage_failure (request);
      break;
    }
}

static void
register_hashed_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  RelayServer *self = task->server;
  RelayTask *store;
  RelayOp *op;

  if (!request_attached (request))
    return;
  if (task->hash == NULL)
    {
      respond_storage_failure (request);
      return;
    }
  store = task_new (self, register_stored_cb, request, NULL);
  op = relay_op_new (RELAY_OP_REGISTER);
  op->uuid = g_uuid_string_random ();
  op->device_id = 1;
  op->password_hash = g_steal_pointer (&task->hash);
  op->limit = self->config->max_one_time_prekeys;
  op->reg = g_steal_pointer (&task->op->reg);
  op->invite_hash = g_steal_pointer (&task->op->invite_hash);
  task_submit_op (store, op);
}

/* Whether the request may register under the registration policy; an
 * invite is only checked when the account is stored, where using it up
 * is part of the same transaction. */
static gboolean
registration_allowed (RelayConfig          *config,
                      RelayRegisterRequest *reg)
{
  const char *token = config->registration_token;

  switch (config->registration)
    {
    case RELAY_REGISTRATION_OPEN:
      return TRUE;
    case RELAY_REGISTRATION_TOKEN:
      return reg->registration_token != NULL &&
             strlen (reg->registration_token) == strlen (token) &&
             sodium_memcmp (reg->registration_token, token, strlen (token)) == 0;
    case RELAY_REGISTRATION_INVITE:
      return reg->registration_token != NULL &&
             strlen (reg->registration_token) == RELAY_INVITE_TOKEN_LENGTH;
    default:
      g_assert_not_reached ();
    }
}

/* Hashes the password of a registration the policy allows; the parsed
 * request rides along in an op until the hash is ready. */
static void
register_hash (RelayRequest         *request,
               RelayRegisterRequest *reg,
               GBytes               *invite_hash)
{
  RelayTask *task = task_new (request->server, register_hashed_cb, request, NULL);

  task->op = relay_op_new (RELAY_OP_REGISTER);
  task->op->invite_hash = invite_hash;
  task->password = g_strdup (reg->password);
  task->op->reg = reg;
  if (!task_submit_hash (task, TRUE))
    {
      task_discard (task);
      respond_error (request, 503, "unavailable", "The relay is busy; try again later");
    }
}

static void
register_invite_found_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      register_hash (request, g_steal_pointer (&task->op->reg), g_steal_pointer (&task->op->invite_hash));
      break;
    case RELAY_STORAGE_INVITE_INVALID:
      respond_registration_closed (request);
      break;
    default:
      respond_storage_failure (request);
      break;
    }
}

static void
handle_register (RelayRequest *request)
{
  RelayServer *self = request->server;
  g_autoptr(RelayRegisterRequest) reg = NULL;
  g_autoptr(GError) error = NULL;

  if (!request_take_rate (request, RELAY_RATE_ADDRESS_REGISTRATIONS, request->address))
    return;
  reg = relay_register_request_parse ((const char *) request->body->data, request->body->len, &error);
  if (reg == NULL)
    {
      respond_api_error (request, error);
      return;
    }
  if (!registration_allowed (self->config, reg))
    {
      respond_registration_closed (request);
      return;
    }

  /* An invite is looked up before the password is hashed, so that
   * made-up invites cost a read rather than an Argon2id run; it is used
   * up only when the account is stored. */
  if (self->config->registration == RELAY_REGISTRATION_INVITE)
    {
      RelayTask *task = task_new (self, register_invite_found_cb, request, NULL);
      RelayOp *op = relay_op_new (RELAY_OP_FIND_INVITE);

      op->invite_hash = relay_invite_hash (reg->registration_token);
      op->reg = g_steal_pointer (&reg);
      task_submit_op (task, op);
      return;
    }
  register_hash (request, g_steal_pointer (&reg), NULL);
}

/* Endpoint: GET /v1/accounts/me */

static void
handle_whoami (RelayRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "uuid");
  json_builder_add_string_value (builder, request->credentials->uuid);
  json_builder_set_member_name (builder, "deviceId");
  json_builder_add_int_value (builder, request->credentials->device_id);
  json_builder_end_object (builder);
  respond_builder (request, 200, builder);
}

/* Endpoint: GET /v1/accounts/username/NAME */

static void
lookup_done_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!request_attached (request))
    return;
  if (task->op->status == RELAY_STORAGE_NOT_FOUND)
    {
      respond_error (request, 404, "not-found", "No account has this username");
      return;
    }
  if (task->op->status != RELAY_STORAGE_OK)
    {
      respond_storage_failure (request);
      return;
    }
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "uuid");
  json_builder_add_string_value (builder, task->op->uuid);
  json_builder_end_object (builder);
  respond_builder (request, 200, builder);
}

static void
handle_lookup (RelayRequest *request)
{
  const char *username = request->segments[4];
  RelayTask *task;
  RelayOp *op;

  if (!request_take_rate (request, RELAY_RATE_ACCOUNT_LOOKUPS, request->credentials->uuid))
    return;
  if (!relay_username_is_valid (username, strlen (username)))
    {
      respond_error (request, 400, "bad-username",
                     "A username has 3 to 32 characters of a-z, 0-9, “.” and “_”");
      return;
    }
  task = task_new (request->server, lookup_done_cb, request, NULL);
  op = relay_op_new (RELAY_OP_LOOKUP_USERNAME);
  op->username = g_strdup (username);
  task_submit_op (task, op);
}

/* Endpoint: GET /v1/keys */

static void
counts_done_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!request_attached (request))
    return;
  if (task->op->status != RELAY_STORAGE_OK)
    {
      respond_storage_failure (request);
      return;
    }
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "preKeyCount");
  json_builder_add_int_value (builder, task->op->ec_count);
  json_builder_set_member_name (builder, "pqPreKeyCount");
  json_builder_add_int_value (builder, task->op->kyber_count);
  json_builder_end_object (builder);
  respond_builder (request, 200, builder);
}

static void
handle_key_counts (RelayRequest *request)
{
  RelayTask *task = task_new (request->server, counts_done_cb, request, NULL);
  RelayOp *op = relay_op_new (RELAY_OP_PREKEY_COUNTS);

  op->uuid = g_strdup (request->credentials->uuid);
  op->device_id = request->credentials->device_id;
  task_submit_op (task, op);
}

/* Endpoint: PUT /v1/keys */

static void
keys_stored_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      respond_text (request, 200, "{}");
      break;
    case RELAY_STORAGE_LIMIT:
      respond_error (request, 400, "too-many",
                     "The device would hold more one-time prekeys than the relay keeps");
      break;
    default:
      respond_storage_failure (request);
      break;
    }
}

static void
handle_upload_keys (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  RelayKeysRequest *keys;
  RelayTask *task;
  RelayOp *op;

  if (!request_take_rate (request, RELAY_RATE_ACCOUNT_KEY_UPLOADS, request->credentials->uuid))
    return;
  keys = relay_keys_request_parse ((const char *) request->body->data, request->body->len, &error);
  if (keys == NULL)
    {
      respond_api_error (request, error);
      return;
    }
  task = task_new (request->server, keys_stored_cb, request, NULL);
  op = relay_op_new (RELAY_OP_STORE_PREKEYS);
  op->uuid = g_strdup (request->credentials->uuid);
  op->device_id = request->credentials->device_id;
  op->keys = keys;
  op->limit = request->server->config->max_one_time_prekeys;
  task_submit_op (task, op);
}

/* Endpoint: GET /v1/keys/UUID[/DEVICE] */

static Frame *control_frame (const char *json);

/* Tells a device whose fetch left it few one-time prekeys, if it is
 * online, to upload more; one that is offline tops them up when it next
 * starts.  Only a fetch that took a key tells, so that fetches of a
 * device with none left do not repeat it. */
static void
notify_keys_low (RelayServer *self,
                 const char  *uuid,
                 RelayBundle *bundle)
{
  gint64 low = self->config->one_time_prekeys_low;
  char key[RELAY_DEVICE_KEY_SIZE];
  g_autofree char *json = NULL;
  RelayConn *conn;

  if (!(bundle->prekeys_left >= 0 && bundle->prekeys_left < low) &&
      !(bundle->pq_prekeys_left >= 0 && bundle->pq_prekeys_left < low))
    return;
  relay_device_key (key, uuid, bundle->device_id);
  conn = g_hash_table_lookup (self->devices, key);
  if (conn == NULL || conn->wsi == NULL || conn->closing)
    return;
  /* A kind of which the fetch took none had none left. */
  json = g_strdup_printf ("{\"type\":\"keys-low\",\"preKeyCount\":%" G_GINT64_FORMAT
                          ",\"pqPreKeyCount\":%" G_GINT64_FORMAT "}",
                          MAX (bundle->prekeys_left, 0), MAX (bundle->pq_prekeys_left, 0));
  conn_push_frame (conn, control_frame (json));
  conn_schedule (conn);
}

static void
bundles_done_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  g_autoptr(JsonBuilder) builder = NULL;
  RelayOp *op = task->op;

  if (op->status == RELAY_STORAGE_OK)
    for (guint i = 0; i < op->bundles->len; i++)
      notify_keys_low (task->server, op->uuid, g_ptr_array_index (op->bundles, i));
  if (!request_attached (request))
    return;
  if (op->status == RELAY_STORAGE_NOT_FOUND)
    {
      respond_error (request, 404, "not-found", "No such account or device");
      return;
    }
  if (op->status != RELAY_STORAGE_OK)
    {
      respond_storage_failure (request);
      return;
    }
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_base64 (builder, "identityKey", op->identity_key);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < op->bundles->len; i++)
    {
      RelayBundle *bundle = g_ptr_array_index (op->bundles, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "deviceId");
      json_builder_add_int_value (builder, bundle->device_id);
      json_builder_set_member_name (builder, "registrationId");
      json_builder_add_int_value (builder, bundle->registration_id);
      add_prekey (builder, "signedPreKey", bundle->signed_prekey);
      json_builder_end_object (builder);
      if (bundle->prekey != NULL)
        {
          add_prekey (builder, "preKey", bundle->prekey);
          json_builder_end_object (builder);
        }
      add_prekey (builder, "pqPreKey", bundle->pq_prekey);
      json_builder_set_member_name (builder, "lastResort");
      json_builder_add_boolean_value (builder, bundle->pq_last_resort);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  respond_builder (request, 200, builder);
}

static void
handle_bundles (RelayRequest *request)
{
  const char *uuid = request->segments[3];
  char pair[2 * RELAY_UUID_LENGTH + 2];
  guint64 device_id = 0;
  RelayTask *task;
  RelayOp *op;

  if (!request_take_rate (request, RELAY_RATE_ACCOUNT_BUNDLES, request->credentials->uuid))
    return;
  if (!relay_uuid_is_valid (uuid, strlen (uuid)))
    {
      respond_error (request, 400, "bad-value", "The path does not name an account UUID");
      return;
    }
  if (request->n_segments == 5 &&
      !g_ascii_string_to_unsigned (request->segments[4], 10, 1, RELAY_DEVICE_ID_MAX, &device_id, NULL))
    {
      respond_error (request, 400, "bad-value", "The path does not name a device id");
      return;
    }
  task = task_new (request->server, bundles_done_cb, request, NULL);
  op = relay_op_new (RELAY_OP_FETCH_BUNDLES);
  op->uuid = g_strdup (uuid);
  op->device_id = (guint32) device_id;
  /* One-time prekeys are rationed per target too, or any account could
   * drain anyone's; past the limit a fetch still gets a bundle, with the
   * last-resort keys, so that sessions can start.  Each requester first
   * takes from its own ration for the target, so that one account that
   * fetches again and again spends only that, and cannot keep the target
   * on its last-resort keys for everyone else. */
  g_snprintf (pair, sizeof pair, "%s>%s", request->credentials->uuid, uuid);
  op->spare_one_time = !take_rate (request->server, RELAY_RATE_PAIR_ONE_TIME_PREKEYS, pair) ||
                       !take_rate (request->server, RELAY_RATE_TARGET_ONE_TIME_PREKEYS, uuid);
  task_submit_op (task, op);
}

/* Endpoint: PUT /v1/messages/UUID */

static Frame *
envelope_frame (const char *guid,
                guint8      type,
                const char *source,
                guint32     source_device,
                gint64      timestamp,
                gint64      server_timestamp,
                const char *content_base64)
{
  gsize guid_length = strlen (guid);
  gsize source_length = strlen (source);
  gsize content_length = strlen (content_base64);
  Frame *frame = frame_new (ENVELOPE_FRAME_NAMES + 4 * UINT_DIGITS_MAX + guid_length +
                            source_length + content_length + guid_length + 1);
  char *p = frame->data;

  /* Every string here is a UUID or base64, so none needs escaping, and
   * every number is positive. */
  p = put_literal (p, "{\"type\":\"envelope\",\"guid\":\"");
  p = put_text (p, guid, guid_length);
  p = put_literal (p, "\",\"envelopeType\":");
  p = put_uint (p, type);
  p = put_literal (p, ",\"source\":\"");
  p = put_text (p, source, source_length);
  p = put_literal (p, "\",\"sourceDevice\":");
  p = put_uint (p, source_device);
  p = put_literal (p, ",\"timestamp\":");
  p = put_uint (p, (guint64) timestamp);
  p = put_literal (p, ",\"serverTimestamp\":");
  p = put_uint (p, (guint64) server_timestamp);
  p = put_literal (p, ",\"content\":\"");
  p = put_text (p, content_base64, content_length);
  p = put_literal (p, "\"}");
  frame->length = (gsize) (p - frame->data);
  frame->guid = p;
  memcpy (frame->guid, guid, guid_length + 1);
  return frame;
}

static Frame *
control_frame (const char *json)
{
  gsize length = strlen (json);
  Frame *frame = frame_new (length);

  memcpy (frame->data, json, length);
  frame->length = length;
  return frame;
}

/* Whether `bytes` more may wait in the connection's output queue: both
 * its own bound and the bound on all of them hold. */
static gboolean
conn_has_room (RelayConn *conn,
               gsize      bytes)
{
  RelayServer *self = conn->server;

  return conn->out_bytes + bytes <= self->config->websocket_buffer_bytes &&
         self->ws_queued_bytes + self->ws_reserved_bytes + bytes <= self->config->websocket_total_bytes;
}

/* Another node, or this one, stored envelopes for the connection's
 * device: it reads its queue again, now or once the fetch under way is
 * done. */
static void
conn_queue_changed (RelayConn *conn)
{
  if (conn->wsi == NULL || conn->closing)
    return;
  conn->queue_changed = TRUE;
  conn->live = FALSE;
  if (!conn->fetching)
    conn_start_fetch (conn);
}

static void
queue_changed_cb (const char *device_key,
                  gpointer    user_data)
{
  RelayServer *self = user_data;
  GHashTableIter iter;
  RelayConn *conn;

  if (device_key != NULL)
    {
      if ((conn = g_hash_table_lookup (self->devices, device_key)) != NULL)
        conn_queue_changed (conn);
      return;
    }
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    conn_queue_changed (conn);
}

/* Whether a connected recipient takes a freshly stored envelope of
 * `bytes`.  A connection that is still reading its stored queue, or whose
 * buffer is full, does not: the envelope is durable and a later fetch
 * finds it. */
static gboolean
conn_takes_offer (RelayConn *conn,
                  gint64     id,
                  gsize      bytes)
{
  if (conn->wsi == NULL || conn->closing || !conn->live || id <= conn->last_queued_id)
    return FALSE;
  if (conn->out.length >= conn->server->config->websocket_send_queue ||
      !conn_has_room (conn, bytes))
    {
      conn->live = FALSE;
      conn->need_fetch = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* Hands every envelope of a committed send to its device's connection,
 * if the device is online and takes it. */
static void
offer_envelopes (RelayServer *self,
                 RelayOp     *op)
{
  for (guint i = 0; i < op->ids->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (op->send->messages, i);
      gint64 id = g_array_index (op->ids, gint64, i);
      char key[RELAY_DEVICE_KEY_SIZE];
      RelayConn *conn;

      relay_device_key (key, op->uuid, envelope->device_id);
      conn = g_hash_table_lookup (self->devices, key);
      /* With other nodes storing envelopes for the device too, an id is
       * no proof that the connection has read everything before it. */
      if (conn != NULL && self->listener != NULL)
        {
          conn_queue_changed (conn);
          continue;
        }
      if (conn == NULL ||
          !conn_takes_offer (conn, id, ENVELOPE_FRAME_SIZE (strlen (envelope->content_base64))))
        continue;
      conn_push_frame (conn, envelope_frame (g_ptr_array_index (op->guids, i), envelope->type,
                                             op->source_uuid, op->source_device,
                                             op->send->timestamp, op->server_timestamp,
                                             envelope->content_base64));
      conn->last_queued_id = id;
      conn_schedule (conn);
    }
}

static void
respond_sent (RelayRequest *request,
              RelayOp      *op)
{
  GString *text = request->server->answer;

  g_string_truncate (text, 0);
  g_string_append (text, "{\"messages\":[");
  for (guint i = 0; i < op->ids->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (op->send->messages, i);

      append_member_uint (text, i > 0 ? ",{\"deviceId\":" : "{\"deviceId\":", envelope->device_id);
      g_string_append (text, ",\"guid\":\"");
      g_string_append (text, g_ptr_array_index (op->guids, i));
      g_string_append (text, "\"}");
    }
  append_member_uint (text, "],\"serverTimestamp\":", (guint64) op->server_timestamp);
  g_string_append_c (text, '}');
  respond_raw (request, 200, "application/json", text->str, text->len);
}

static void
send_done_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayRequest *request = task->request;
  RelayOp *op = task->op;
  g_autoptr(JsonBuilder) builder = NULL;

  if (op->status == RELAY_STORAGE_OK)
    {
      self->metrics.envelopes_accepted += op->ids->len;
      offer_envelopes (self, op);
    }
  if (!request_attached (request))
    return;
  switch (op->status)
    {
    case RELAY_STORAGE_OK:
      respond_sent (request, op);
      break;
    case RELAY_STORAGE_NOT_FOUND:
      respond_error (request, 404, "not-found", "No account has this UUID");
      break;
    case RELAY_STORAGE_DEVICE_MISMATCH:
      builder = error_builder ("device-mismatch", "The list of devices is out of date");
      add_id_list (builder, "missingDevices", op->missing);
      add_id_list (builder, "extraDevices", op->extra);
      json_builder_end_object (builder);
      respond_builder (request, 409, builder);
      break;
    case RELAY_STORAGE_STALE_DEVICES:
      builder = error_builder ("stale-devices", "Some devices have registered again");
      add_id_list (builder, "staleDevices", op->stale);
      json_builder_end_object (builder);
      respond_builder (request, 410, builder);
      break;
    case RELAY_STORAGE_QUEUE_FULL:
      respond_error (request, 429, "queue-full", "The recipient's queue, or this sender's share of it, is full");
      break;
    default:
      respond_storage_failure (request);
      break;
    }
}

/* Stores the envelopes of a send, made over HTTP or the WebSocket, and
 * answers once they are durable.  Sends are rationed per sender and
 * recipient, besides per sender, so that no one account can spend a
 * recipient's share of the relay by itself. */
static void
submit_send (RelayRequest     *request,
             const char       *uuid,
             RelaySendRequest *send)
{
  RelayServer *self = request->server;
  char pair[2 * RELAY_UUID_LENGTH + 2];
  RelayTask *task;
  RelayOp *op;

  g_snprintf (pair, sizeof pair, "%s>%s", request->credentials->uuid, uuid);
  if (!request_take_rate (request, RELAY_RATE_PAIR_SENDS, pair))
    {
      relay_send_request_free (send);
      return;
    }

  task = task_new (self, send_done_cb, request, NULL);
  op = relay_op_new (RELAY_OP_SEND);
  op->uuid = g_strdup (uuid);
  op->source_uuid = g_strdup (request->credentials->uuid);
  op->source_device = request->credentials->device_id;
  op->server_timestamp = now_ms ();
  op->queue_limits = self->queue_limits;
  op->send = send;
  task_submit_op (task, op);
}

static void
handle_send (RelayRequest *request)
{
  RelayServer *self = request->server;
  const char *uuid = request->segments[3];
  g_autoptr(GError) error = NULL;
  RelaySendRequest *send;

  if (!request_take_rate (request, RELAY_RATE_ACCOUNT_SENDS, request->credentials->uuid))
    return;
  if (!relay_uuid_is_valid (uuid, strlen (uuid)))
    {
      respond_error (request, 400, "bad-value", "The path does not name an account UUID");
      return;
    }
  send = relay_send_request_parse ((const char *) request->body->data, request->body->len,
                                   self->config->max_envelope_bytes, &error);
  if (send == NULL)
    {
      respond_api_error (request, error);
      return;
    }
  submit_send (request, uuid, send);
}

/* Endpoints: GET /v1/health and GET /metrics */

static void
health_checked_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!request_attached (request))
    return;
  if (task->op->status == RELAY_STORAGE_OK)
    respond_text (request, 200, "{\"status\":\"ok\"}");
  else
    respond_text (request, 503, "{\"status\":\"storage-unavailable\"}");
}

/* Healthy means able to take a message: the check goes through the
 * writer like a send and commits a write. */
static void
handle_health (RelayRequest *request)
{
  RelayTask *task = task_new (request->server, health_checked_cb, request, NULL);

  task_submit_op (task, relay_op_new (RELAY_OP_CHECK_WRITABLE));
}

static void
handle_metrics (RelayRequest *request)
{
  RelayCommitStats stats;
  g_autofree char *text = NULL;

  relay_storage_get_stats (request->server->storage, &stats);
  request->server->metrics.http_connections =
    (gint64) request->server->sockets - request->server->metrics.websocket_connections;
  text = relay_metrics_render (&request->server->metrics, &stats);
  respond_raw (request, 200, "text/plain; version=0.0.4", text, strlen (text));
}

/* Routing. */

static void
handle_websocket_without_upgrade (RelayRequest *request)
{
  respond_error (request, 426, "upgrade-required", "This endpoint speaks WebSocket only");
}

typedef struct
{
  RelayMethod   method;
  gboolean      needs_auth;
  RelayHandler  handler;
  guint         n_segments;
  const char   *segments[5];   /* NULL matches any segment; the first is the empty root */
} Route;

static const Route routes[] = {
  { METHOD_GET, FALSE, handle_health, 3, { "", "v1", "health" } },
  { METHOD_POST, FALSE, handle_register, 3, { "", "v1", "accounts" } },
  { METHOD_GET, TRUE, handle_whoami, 4, { "", "v1", "accounts", "me" } },
  { METHOD_GET, TRUE, handle_lookup, 5, { "", "v1", "accounts", "username", NULL } },
  { METHOD_GET, TRUE, handle_key_counts, 3, { "", "v1", "keys" } },
  { METHOD_PUT, TRUE, handle_upload_keys, 3, { "", "v1", "keys" } },
  { METHOD_GET, TRUE, handle_bundles, 4, { "", "v1", "keys", NULL } },
  { METHOD_GET, TRUE, handle_bundles, 5, { "", "v1", "keys", NULL, NULL } },
  { METHOD_PUT, TRUE, handle_send, 4, { "", "v1", "messages", NULL } },
  { METHOD_GET, FALSE, handle_websocket_without_upgrade, 3, { "", "v1", "websocket" } },
};

static gboolean
route_matches_path (const Route  *route,
                    RelayRequest *request)
{
  if (route->n_segments != request->n_segments)
    return FALSE;
  for (guint i = 0; i < route->n_segments; i++)
    if (route->segments[i] != NULL && strcmp (route->segments[i], request->segments[i]) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
request_on_metrics_address (RelayRequest *request)
{
  return request->server->metrics_vhost != NULL &&
         lws_get_vhost (request->wsi) == request->server->metrics_vhost;
}

/* The metrics address serves /metrics and nothing else, and the
 * clients' address never serves it. */
static gboolean
dispatch_metrics (RelayRequest *request)
{
  if (!request_on_metrics_address (request))
    return FALSE;
  if (request->n_segments == 2 && strcmp (request->segments[1], "metrics") == 0)
    {
      if (request->method == METHOD_GET)
        handle_metrics (request);
      else
        respond_error (request, 405, "method-not-allowed", "The endpoint does not take this method");
    }
  else
    respond_error (request, 404, "not-found", "No such endpoint");
  return TRUE;
}

static void
dispatch (RelayRequest *request)
{
  gboolean path_known = FALSE;

  request->dispatched = TRUE;
  if (dispatch_metrics (request))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const Route *route = &routes[i];

      if (!route_matches_path (route, request))
        continue;
      path_known = TRUE;
      if (route->method != request->method)
        continue;
      if (route->needs_auth)
        request_authenticate (request, route->handler);
      else
        route->handler (request);
      return;
    }
  if (path_known)
    respond_error (request, 405, "method-not-allowed", "The endpoint does not take this method");
  else
    respond_error (request, 404, "not-found", "No such endpoint");
}

static RelayMethod
get_method (struct lws *wsi)
{
  if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) > 0)
    return METHOD_GET;
  if (lws_hdr_total_length (wsi, WSI_TOKEN_POST_URI) > 0)
    return METHOD_POST;
  if (lws_hdr_total_length (wsi, WSI_TOKEN_PUT_URI) > 0)
    return METHOD_PUT;
  return METHOD_OTHER;
}

static char *
copy_header (struct lws              *wsi,
             enum lws_token_indexes   token)
{
  int length = lws_hdr_total_length (wsi, token);
  char *value;

  if (length <= 0)
    return NULL;
  value = g_malloc ((gsize) length + 1);
  if (lws_hdr_copy (wsi, value, length + 1, token) < 0)
    {
      g_free (value);
      return NULL;
    }
  return value;
}

static const char *
peer_address (struct lws *wsi)
{
  return relay_slot_address (wsi_slot (wsi));
}

static void
on_http_closed (Session *session)
{
  if (session != NULL && session->request != NULL)
    {
      request_detach (session->request);
      session->request = NULL;
    }
}

static int
on_http (RelayServer *self,
         struct lws  *wsi,
         Session     *session,
         const char  *uri,
         size_t       uri_length)
{
  RelayRequest *request;
  g_autofree char *path = g_strndup (uri, uri_length);
  g_autofree char *content_length = NULL;
  guint64 length = 0;

  /* A connection carries one transaction at a time; anything left from
   * an earlier one is stale. */
  on_http_closed (session);
  request = g_new0 (RelayRequest, 1);
  request->refcount = 1;
  request->server = self;
  request->wsi = wsi;
  request->method = get_method (wsi);
  request->segments = g_strsplit (path, "/", 8);
  request->n_segments = g_strv_length (request->segments);
  request->authorization = copy_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  request->body = g_byte_array_new ();
  g_strlcpy (request->address, peer_address (wsi), sizeof request->address);
  session->request = request;
  self->active_requests++;
  relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_BUSY);
  /* Every request counts, those refused below included, so that the
   * error and rate-limit counters are parts of this one. */
  self->metrics.http_requests++;

  if (self->draining)
    {
      request->close_after = TRUE;
      respond_error (request, 503, "unavailable", "The relay is shutting down");
      return 0;
    }
  /* The metrics scraper is the operator's: behind a reverse proxy it
   * shares its address with every client, whose rate it must not take. */
  if (!request_on_metrics_address (request) &&
      !request_take_rate (request, RELAY_RATE_ADDRESS_REQUESTS, request->address))
    {
      request->close_after = request->method == METHOD_POST || request->method == METHOD_PUT;
      return 0;
    }
  if (request->method == METHOD_OTHER)
    {
      request->close_after = TRUE;
      respond_error (request, 405, "method-not-allowed", "The relay takes GET, POST and PUT");
      return 0;
    }
  /* libwebsockets 4.1 reads no chunked bodies, and takes Content-Length
   * even beside Transfer-Encoding; a proxy in front could read the same
   * bytes as another request (RFC 9112, 6.1 and 6.3).  So neither is
   * served, and the connection closes after the answer. */
  if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
    {
      request->close_after = TRUE;
      if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        respond_error (request, 400, "bad-request",
                       "A request may not have both Content-Length and Transfer-Encoding");
      else
        respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return 0;
    }
  if (request->method == METHOD_GET)
    {
      dispatch (request);
      return 0;
    }

  content_length = copy_header (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (content_length == NULL)
    {
      request->close_after = TRUE;
      respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return 0;
    }
  if (!g_ascii_string_to_unsigned (content_length, 10, 0, G_MAXINT64, &length, NULL) ||
      length > self->config->max_request_bytes)
    {
      request->close_after = TRUE;
      respond_error (request, 413, "too-large", "The request body is too large");
      return 0;
    }
  request->content_length = (gint64) length;
  /* lws delivers no body callbacks for an empty PUT, and both an empty
   * body and the completion for an empty POST. */
  if (length == 0 && request->method == METHOD_PUT)
    dispatch (request);
  else
    relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_BODY);
  return 0;
}

static int
on_http_body (Session    *session,
              const void *data,
              size_t      length)
{
  RelayRequest *request = session->request;

  if (request == NULL || request->responded)
    return 0;
  if (request->body->len + length > (gsize) request->content_length)
    {
      request->close_after = TRUE;
      respond_error (request, 413, "too-large", "The request body is larger than announced");
      return 0;
    }
  g_byte_array_append (request->body, data, (guint) length);
  return 0;
}

/* libwebsockets 4.1 reports the body complete again, without consuming
 * anything, whenever bytes beyond it wait in its buffer: a request the
 * client pipelined before reading the answer.  While the answer is
 * pending it does so from later loop iterations, and afterwards it can
 * serve the pipelined request only if that has no body.  For one with a
 * body it hands over the request's own header bytes as the body and
 * then reports completion again and again within one call, so the loop
 * never runs another iteration: the relay spins on a core, never reads
 * the peer's FIN (the socket stays in CLOSE-WAIT) and never acts on
 * SIGTERM.
 *
 * So a repeat in a later iteration gets the answer sent with "Connection:
 * close", and lws never parses what follows; a repeat within the
 * iteration that completed the body is that endless loop, and failing
 * the callback is the only way out of it.  Clients do not pipeline
 * (libsoup does not); one that does sends the rest again on a new
 * connection. */
static int
on_http_body_completion (Session *session)
{
  RelayRequest *request = session->request;

  if (request == NULL)
    return 0;
  if (request->body_complete)
    {
      if (request->body_iteration == request->server->iteration)
        return -1;
      request->close_after = TRUE;
      return 0;
    }
  request->body_complete = TRUE;
  request->body_iteration = request->server->iteration;
  if (request->responded || request->dispatched)
    return 0;
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BUSY);
  dispatch (request);
  return 0;
}

/* Writes the headers right in front of the body, so that the whole
 * answer leaves in one write: a separate write for the headers would
 * cost a second system call and, often, a second packet. */
static int
on_http_writeable (struct lws *wsi,
                   Session    *session)
{
  RelayRequest *request = session->request;
  guint8 headers[RESPONSE_HEADER_ROOM];
  guint8 *p = headers;
  guint8 *end = headers + sizeof headers;
  guint8 *start;
  gsize length;
  gboolean close_after;

  if (request == NULL || !request->responded)
    return 0;
  if (lws_add_http_common_headers (wsi, request->status, request->content_type,
                                   request->response_length, &p, end) != 0 ||
      lws_add_http_header_by_name (wsi, (const guint8 *) "cache-control:",
                                   (const guint8 *) "no-store", 8, &p, end) != 0 ||
      (request->close_after &&
       lws_add_http_header_by_token (wsi, WSI_TOKEN_CONNECTION, (const guint8 *) "close", 5,
                                     &p, end) != 0) ||
      lws_finalize_http_header (wsi, &p, end) != 0)
    return -1;
  length = (gsize) (p - headers);
  start = request->response + RESPONSE_HEADROOM - length;
  memcpy (start, headers, length);
  length += request->response_length;
  if (lws_write (wsi, start, length, LWS_WRITE_HTTP_FINAL) != (int) length)
    return -1;

  close_after = request->close_after;
  session->request = NULL;
  request_detach (request);
  if (close_after)
    return -1;
  /* What the socket did not take, lws writes later: the client still
   * has to read it in time. */
  relay_slot_set_phase (wsi_slot (wsi), lws_partial_buffered (wsi) ? RELAY_PHASE_WRITING
                                                                    : RELAY_PHASE_IDLE);
  return lws_http_transaction_completed (wsi) ? -1 : 0;
}

/* The WebSocket.  After the upgrade the connection authenticates; then
 * it reads the stored queue in pages, sends the drained marker once it
 * reaches the end, and from then on takes new envelopes as they are
 * committed.  The output queue and the window of unacknowledged
 * envelopes are bounded: a slow reader falls back to paging from
 * storage instead of growing the relay's memory. */

/* Asks for a writeable callback; the client has write-timeout-seconds
 * to take some of what waits, or the connection is dropped. */
static void
conn_schedule (RelayConn *conn)
{
  if (conn->wsi == NULL)
    return;
  relay_slot_output_waiting (wsi_slot (conn->wsi));
  lws_callback_on_writable (conn->wsi);
}

static void
conn_close (RelayConn  *conn,
            int         code,
            const char *reason)
{
  if (conn->closing)
    return;
  /* What a client did wrong is logged with its address; a shutdown or a
   * newer connection of the same device is routine. */
  if (code != LWS_CLOSE_STATUS_GOINGAWAY && code != CLOSE_REPLACED)
    g_message ("Closing the WebSocket from %s: %s", conn->address, reason);
  conn->closing = TRUE;
  conn->close_code = code;
  conn->close_reason = reason;
  conn_schedule (conn);
}

/* lws 4.1 drops a socket whose writeable callback fails without the
 * close frame that lws_close_reason() prepares, so the reason goes out
 * first as a "close" message; the connection ends once it is written. */
static int
conn_write_close (RelayConn  *conn,
                  struct lws *wsi)
{
  g_autofree char *text = NULL;
  gsize length;
  guint8 *buffer;
  int written;

  if (conn->close_sent)
    {
      lws_close_reason (wsi, (enum lws_close_status) conn->close_code,
                        (guint8 *) conn->close_reason, strlen (conn->close_reason));
      return -1;
    }
  text = g_strdup_printf ("{\"type\":\"close\",\"code\":%d,\"reason\":\"%s\"}",
                          conn->close_code, conn->close_reason);
  length = strlen (text);
  buffer = g_malloc (LWS_PRE + length);
  memcpy (buffer + LWS_PRE, text, length);
  written = lws_write (wsi, buffer + LWS_PRE, length, LWS_WRITE_TEXT);
  g_free (buffer);
  if (written < (int) length)
    return -1;
  conn->close_sent = TRUE;
  lws_callback_on_writable (wsi);
  return 0;
}

static void
fetch_done_cb (RelayTask *task)
{
  RelayConn *conn = task->conn;
  RelayOp *op = task->op;
  gsize content_bytes = 0;

  conn->fetching = FALSE;
  conn->server->ws_reserved_bytes -= conn->fetch_reserved;
  conn->fetch_reserved = 0;
  if (conn->wsi == NULL || conn->closing)
    {
      start_waiting_fetches (conn->server);
      return;
    }
  if (op->status != RELAY_STORAGE_OK)
    {
      conn_close (conn, CLOSE_UNAVAILABLE, "storage-unavailable");
      return;
    }
  for (guint i = 0; i < op->envelopes->len; i++)
    {
      RelayStoredEnvelope *envelope = g_ptr_array_index (op->envelopes, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (envelope->content, &size);
      gsize encoded_length = sodium_base64_encoded_len (size, sodium_base64_VARIANT_ORIGINAL);
      g_autofree char *encoded = g_malloc (encoded_length);

      content_bytes += size;
      if (envelope->id <= conn->last_queued_id)
        continue;
      sodium_bin2base64 (encoded, encoded_length, data, size, sodium_base64_VARIANT_ORIGINAL);
      conn_push_frame (conn, envelope_frame (envelope->guid, envelope->type, envelope->source_uuid,
                                             envelope->source_device, envelope->timestamp,
                                             envelope->server_timestamp, encoded));
      conn->last_queued_id = envelope->id;
    }
  /* A page that is full, or that the next envelope could have made too
   * large, may not be the end of the queue. */
  if (op->envelopes->len == op->limit || content_bytes + conn->server->config->max_envelope_bytes > op->max_bytes ||
      conn->queue_changed)
    conn->need_fetch = TRUE;
  else
    {
      conn->need_fetch = FALSE;
      conn->live = TRUE;
      if (!conn->drained_sent)
        {
          conn_push_frame (conn, control_frame ("{\"type\":\"queue-empty\"}"));
          conn->drained_sent = TRUE;
        }
    }
  /* The fetch may have read the queue before the change was committed. */
  if (conn->queue_changed)
    conn_start_fetch (conn);
  conn_schedule (conn);
}

/* Room for a page of the stored queue: what the connection's own bound
 * leaves, at most what the bound on all connections leaves, and always
 * at least one envelope's worth, or nothing while that is not there. */
static gsize
conn_page_bytes (RelayConn *conn)
{
  RelayServer *self = conn->server;
  gsize own = self->config->websocket_buffer_bytes - MIN (conn->out_bytes, self->config->websocket_buffer_bytes);
  gsize used = self->ws_queued_bytes + self->ws_reserved_bytes;
  gsize all = self->config->websocket_total_bytes - MIN (used, self->config->websocket_total_bytes);
  gsize envelope = ENVELOPE_FRAME_SIZE (sodium_base64_encoded_len (self->config->max_envelope_bytes,
                                                                   sodium_base64_VARIANT_ORIGINAL));

  if (MIN (own, all) < envelope)
    return 0;
  return MIN (own, all);
}

/* Fetches wait for room among all connections in the order they came,
 * and go as soon as frames written make room. */
static void
conn_wait_for_budget (RelayConn *conn)
{
  if (conn->budget_waiting)
    return;
  conn->budget_waiting = TRUE;
  g_queue_push_tail (&conn->server->budget_waiters, conn_ref (conn));
}

static void
start_waiting_fetches (RelayServer *self)
{
  RelayConn *conn;

  while ((conn = g_queue_peek_head (&self->budget_waiters)) != NULL)
    {
      if (conn->wsi != NULL && !conn->closing && conn_page_bytes (conn) == 0)
        return;
      g_queue_pop_head (&self->budget_waiters);
      conn->budget_waiting = FALSE;
      if (conn->wsi != NULL && !conn->closing)
        conn_start_fetch (conn);
      conn_unref (conn);
    }
}

static void
conn_start_fetch (RelayConn *conn)
{
  RelayServer *self = conn->server;
  RelayTask *task;
  RelayOp *op;
  gsize page_bytes;

  if (conn->fetching)
    return;
  page_bytes = conn_page_bytes (conn);
  if (page_bytes == 0)
    {
      /* The connection's own output makes room as it is written; room
       * among all connections may come from any of them. */
      conn->need_fetch = TRUE;
      if (conn->out_bytes == 0)
        conn_wait_for_budget (conn);
      return;
    }
  conn->fetching = TRUE;
  conn->need_fetch = FALSE;
  conn->queue_changed = FALSE;
  conn->fetch_reserved = page_bytes;
  self->ws_reserved_bytes += page_bytes;
  /* Storage runs ops in the order they come; acknowledgements that are
   * still gathering must reach it first, or the fetch could return
   * envelopes the device has already acknowledged. */
  flush_acks (self);
  task = task_new (self, fetch_done_cb, NULL, conn);
  op = relay_op_new (RELAY_OP_FETCH_QUEUE);
  op->uuid = g_strdup (conn->credentials->uuid);
  op->device_id = conn->credentials->device_id;
  op->after_id = conn->last_queued_id;
  op->limit = self->config->websocket_send_queue;
  /* Base64 makes four bytes of every three, and each frame adds a few
   * hundred of its own. */
  op->max_bytes = MAX (page_bytes / 4 * 3 - MIN (page_bytes / 4 * 3, (gsize) op->limit * ENVELOPE_FRAME_SIZE (0)),
                       self->config->max_envelope_bytes);
  op->min_timestamp = now_ms () - self->config->max_queue_age_seconds * 1000;
  task_submit_op (task, op);
}

static void
conn_auth_finished (RelayConn  *conn,
                    AuthResult  result)
{
  RelayServer *self = conn->server;
  RelayConn *previous;

  if (conn->wsi == NULL || conn->closing)
    return;
  switch (result)
    {
    case AUTH_OK:
      break;
    case AUTH_DENIED:
      conn_close (conn, CLOSE_UNAUTHORIZED, "unauthorized");
      return;
    case AUTH_RATE_LIMITED:
      conn_close (conn, CLOSE_RATE_LIMITED, "rate-limited");
      return;
    case AUTH_BUSY:
    default:
      conn_close (conn, CLOSE_UNAVAILABLE, "unavailable");
      return;
    }
  conn->authenticated = TRUE;
  conn->key = g_malloc (RELAY_DEVICE_KEY_SIZE);
  relay_device_key (conn->key, conn->credentials->uuid, conn->credentials->device_id);
  /* One connection per device: a newer one replaces the older. */
  previous = g_hash_table_lookup (self->devices, conn->key);
  if (previous != NULL)
    conn_close (previous, CLOSE_REPLACED, "replaced");
  g_hash_table_replace (self->devices, g_strdup (conn->key), conn);
  conn_start_fetch (conn);
}

static int
on_ws_filter (RelayServer *self,
              struct lws  *wsi)
{
  char path[64];
  g_autofree char *authorization = NULL;

  /* The metrics address serves no clients. */
  if (self->draining || lws_get_vhost (wsi) == self->metrics_vhost)
    return 1;
  if (lws_hdr_copy (wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 ||
      strcmp (path, WEBSOCKET_PATH) != 0)
    return 1;
  if (!take_rate (self, RELAY_RATE_ADDRESS_WEBSOCKETS, peer_address (wsi)))
    return 1;
  authorization = copy_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  if (authorization == NULL)
    return 1;
  sodium_memzero (authorization, strlen (authorization));
  return 0;
}

static int
on_ws_established (RelayServer *self,
                   struct lws  *wsi,
                   Session     *session)
{
  RelayConn *conn = g_new0 (RelayConn, 1);
  g_autofree char *authorization = copy_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION);

  conn->refcount = 1;
  conn->server = self;
  conn->wsi = wsi;
  g_queue_init (&conn->out);
  conn->inflight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  conn->rx = g_byte_array_new ();
  g_strlcpy (conn->address, peer_address (wsi), sizeof conn->address);
  relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_WEBSOCKET);
  session->conn = conn;
  g_hash_table_add (self->websockets, conn);
  self->metrics.websocket_connections++;

  conn->credentials = relay_credentials_parse (authorization, NULL);
  if (authorization != NULL)
    sodium_memzero (authorization, strlen (authorization));
  if (conn->credentials == NULL)
    {
      conn_close (conn, CLOSE_UNAUTHORIZED, "unauthorized");
      return 0;
    }
  authenticate (self, NULL, conn, conn->credentials, conn->address);
  return 0;
}

static void
ack_done_cb (RelayTask *task)
{
  RelayServer *self = task->server;

  if (task->op->status == RELAY_STORAGE_OK)
    {
      self->metrics.envelopes_delivered += (guint64) task->op->removed;
    }
}

/* Submits every acknowledgement gathered so far as one op.  The next
 * batch starts with room for as many as this one: under load, batches
 * are alike, and growing to thousands one doubling at a time would copy
 * each several times. */
static void
flush_acks (RelayServer *self)
{
  RelayTask *task;
  RelayOp *op;

  if (self->acks->len == 0)
    return;
  task = task_new (self, ack_done_cb, NULL, NULL);
  op = relay_op_new (RELAY_OP_ACK);
  op->acks = g_steal_pointer (&self->acks);
  self->acks = g_array_sized_new (FALSE, FALSE, sizeof (RelayAck), op->acks->len);
  task_submit_op (task, op);
}

/* Runs once per loop iteration that gathered acknowledgements, after
 * every socket that was ready has been read. */
static void
ack_flush_cb (uv_check_t *handle)
{
  RelayServer *self = handle->data;

  flush_acks (self);
  uv_check_stop (handle);
}

/* Acknowledgements wait for the end of the loop iteration, so that all
 * those that arrived together, from every connection, cost one op. */
static void
queue_ack (RelayConn       *conn,
           const RelayGuid *guid)
{
  RelayServer *self = conn->server;
  RelayAck ack;

  memcpy (ack.uuid, conn->credentials->uuid, sizeof ack.uuid);
  ack.device_id = conn->credentials->device_id;
  memcpy (ack.guid, guid->text, sizeof ack.guid);
  g_array_append_val (self->acks, ack);
  if (self->acks->len == 1)
    uv_check_start (&self->ack_flush, ack_flush_cb);
}

static void
conn_send_error (RelayConn  *conn,
                 const char *code,
                 const char *message)
{
  g_autoptr(JsonBuilder) builder = error_builder (code, message);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  /* Error replies count against the same bound as envelopes, so that a
   * client cannot grow the queue by sending garbage it never reads. */
  if (conn->out.length >= conn->server->config->websocket_send_queue)
    {
      conn_close (conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too-many-errors");
      return;
    }
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "error");
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  conn_push_frame (conn, control_frame (text));
  conn_schedule (conn);
}

/* A request made as a WebSocket message.  While a connection has
 * websocket-send-queue of them unanswered, the relay stops reading from
 * it: a client that writes faster than it reads its answers is held
 * back by TCP instead of growing the relay's memory. */
static RelayRequest *
conn_request_new (RelayConn *conn,
                  gint64     message_id)
{
  RelayRequest *request = g_new0 (RelayRequest, 1);

  request->refcount = 1;
  request->server = conn->server;
  request->conn = conn_ref (conn);
  request->message_id = message_id;
  /* The request holds a reference on the connection, and with it on its
   * credentials. */
  request->credentials = conn->credentials;
  g_strlcpy (request->address, conn->address, sizeof request->address);
  if (++conn->requests >= conn->server->config->websocket_send_queue && !conn->rx_paused)
    {
      conn->rx_paused = TRUE;
      lws_rx_flow_control (conn->wsi, 0);
    }
  return request;
}

/* Called as the answer to one of the connection's requests is written. */
static void
conn_answered (RelayConn *conn)
{
  conn->requests--;
  if (conn->rx_paused && conn->requests <= conn->server->config->websocket_send_queue / 2)
    {
      conn->rx_paused = FALSE;
      lws_rx_flow_control (conn->wsi, 1);
    }
}

static void
conn_handle_send (RelayConn          *conn,
                  RelayClientMessage *message)
{
  RelayServer *self = conn->server;
  RelayRequest *request = conn_request_new (conn, message->id);

  if (self->draining)
    respond_error (request, 503, "unavailable", "The relay is shutting down");
  else if (request_take_rate (request, RELAY_RATE_ACCOUNT_SENDS, conn->credentials->uuid))
    submit_send (request, message->destination, g_steal_pointer (&message->send));
  request_unref (request);
}

static void
conn_handle_acks (RelayConn          *conn,
                  RelayClientMessage *message)
{
  for (guint i = 0; i < message->guids->len; i++)
    {
      const RelayGuid *guid = &g_array_index (message->guids, RelayGuid, i);

      if (g_hash_table_remove (conn->inflight, guid->text))
        conn_schedule (conn);
      queue_ack (conn, guid);
    }
}

/* A message that cannot be decoded is answered as the response to its
 * send when its id could be read, and as an error message otherwise. */
static void
conn_handle_message (RelayConn  *conn,
                     const char *data,
                     gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayClientMessage) message = NULL;
  gint64 failed_id;

  message = relay_client_message_parse (data, length, conn->server->config->max_envelope_bytes,
                                        &failed_id, &error);
  if (message == NULL && failed_id >= 0)
    {
      RelayRequest *request = conn_request_new (conn, failed_id);

      respond_api_error (request, error);
      request_unref (request);
    }
  else if (message == NULL)
    conn_send_error (conn, relay_api_error_name ((RelayApiError) error->code), error->message);
  else if (message->kind == RELAY_CLIENT_MESSAGE_ACK)
    conn_handle_acks (conn, message);
  else
    conn_handle_send (conn, message);
}

static int
on_ws_receive (struct lws *wsi,
               Session    *session,
               const void *data,
               size_t      length)
{
  RelayConn *conn = session->conn;

  if (conn == NULL || conn->closing)
    return 0;
  if (!conn->authenticated)
    {
      conn_close (conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "not-authenticated-yet");
      return 0;
    }
  if (lws_frame_is_binary (wsi))
    {
      conn_close (conn, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text-only");
      return 0;
    }
  if (conn->rx->len + length > conn->server->config->max_request_bytes)
    {
      conn_close (conn, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "too-large");
      return 0;
    }
  /* Most messages arrive whole, in one callback, and are read where lws
   * put them; only fragments are gathered first. */
  if (conn->rx->len == 0 && lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0)
    {
      conn_handle_message (conn, data, length);
      return 0;
    }
  g_byte_array_append (conn->rx, data, (guint) length);
  if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0)
    {
      conn_handle_message (conn, (const char *) conn->rx->data, conn->rx->len);
      g_byte_array_set_size (conn->rx, 0);
    }
  return 0;
}

/* Writes the WebSocket header of a final text frame of `length` bytes;
 * returns its size. */
static gsize
ws_frame_header (guint8 *out,
                 gsize   length)
{
  out[0] = 0x81;
  if (length < 126)
    {
      out[1] = (guint8) length;
      return 2;
    }
  if (length <= G_MAXUINT16)
    {
      out[1] = 126;
      out[2] = (guint8) (length >> 8);
      out[3] = (guint8) length;
      return 4;
    }
  out[1] = 127;
  for (guint i = 0; i < 8; i++)
    out[2 + i] = (guint8) ((guint64) length >> (56 - 8 * i));
  return WEBSOCKET_MAX_FRAME_HEADER;
}

/* Whether the next frame may go out now: envelopes wait while the window
 * of unacknowledged ones is full. */
static gboolean
conn_may_write (RelayConn *conn,
                Frame     *frame)
{
  return frame->guid == NULL ||
         g_hash_table_size (conn->inflight) < conn->server->config->websocket_unacked;
}

/* Frames go out several at a time: they are framed here and written as
 * raw bytes in one write.  Written one by one, through lws, each would
 * cost a writeable callback, a system call and two changes to the poll
 * set.  A batch only grows past WEBSOCKET_WRITE_BATCH with its first
 * frame; lws keeps whatever the socket does not take and writes it
 * before calling back again. */
static int
on_ws_writeable (struct lws *wsi,
                 Session    *session)
{
  RelayConn *conn = session->conn;
  GByteArray *batch;
  RelayServer *self;
  Frame *frame;
  gsize length;

  if (conn == NULL)
    return 0;
  self = conn->server;
  if (conn->closing)
    return conn_write_close (conn, wsi);
  /* lws copies whatever the socket does not take, so one buffer serves
   * every connection. */
  batch = self->ws_batch;
  g_byte_array_set_size (batch, LWS_PRE);
  while ((frame = g_queue_peek_head (&conn->out)) != NULL && conn_may_write (conn, frame) &&
         (batch->len == LWS_PRE ||
          batch->len - LWS_PRE + WEBSOCKET_MAX_FRAME_HEADER + frame->length <= WEBSOCKET_WRITE_BATCH))
    {
      guint8 header[WEBSOCKET_MAX_FRAME_HEADER];

      conn_pop_frame (conn);
      g_byte_array_append (batch, header, (guint) ws_frame_header (header, frame->length));
      g_byte_array_append (batch, (const guint8 *) frame->data, (guint) frame->length);
      if (frame->guid != NULL)
        g_hash_table_add (conn->inflight, g_strdup (frame->guid));
      if (frame->response)
        conn_answered (conn);
      g_free (frame);
    }
  length = batch->len - LWS_PRE;
  if (length == 0)
    return 0;
  /* LWS_WRITE_HTTP writes the bytes as they are, frames included. */
  if (lws_write (wsi, batch->data + LWS_PRE, length, LWS_WRITE_HTTP) < (int) length)
    return -1;

  if (conn->need_fetch && !conn->fetching && conn->out.length <= self->config->websocket_send_queue / 2 &&
      conn->out_bytes <= self->config->websocket_buffer_bytes / 2)
    conn_start_fetch (conn);
  start_waiting_fetches (self);
  relay_slot_output_progress (wsi_slot (wsi), conn->out.length > 0 || lws_partial_buffered (wsi));
  if (conn->out.length > 0)
    lws_callback_on_writable (wsi);
  return 0;
}

static void
on_ws_closed (RelayServer *self,
              Session     *session)
{
  RelayConn *conn = session->conn;

  if (conn == NULL)
    return;
  session->conn = NULL;
  conn->wsi = NULL;
  if (conn->key != NULL && g_hash_table_lookup (self->devices, conn->key) == conn)
    g_hash_table_remove (self->devices, conn->key);
  g_hash_table_remove (self->websockets, conn);
  self->metrics.websocket_connections--;
  /* What it never wrote gives its room back now, to whichever fetch
   * waits for it, rather than when the last task lets go of it. */
  while (conn->out.length > 0)
    g_free (conn_pop_frame (conn));
  start_waiting_fetches (self);
  conn_unref (conn);
}

static int
relay_callback (struct lws                *wsi,
                enum lws_callback_reasons  reason,
                void                      *user,
                void                      *in,
                size_t                     len)
{
  RelayServer *self = lws_context_user (lws_get_context (wsi));
  Session *session = user;

  /* lws reports some events, such as a connection dropped while its
   * headers were still arriving, before any session data exists. */
  switch ((int) reason)
    {
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (session == NULL)
        return -1;
      break;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (session == NULL)
        return 0;
      break;
    default:
      break;
    }

  switch ((int) reason)
    {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
      /* Only the clients' vhost serves TLS; SIGHUP reloads its context. */
      self->ssl_ctx = user;
      break;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
      /* Here wsi is the listening socket's. */
      return relay_guard_admit (self->guard, wsi) ? 0 : 1;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
      self->sockets++;
      lws_set_opaque_user_data (wsi, relay_guard_add (self->guard, wsi));
      break;
    case LWS_CALLBACK_WSI_DESTROY:
      /* The listening socket has no slot. */
      if (wsi_slot (wsi) != NULL)
        {
          self->sockets--;
          relay_guard_remove (self->guard, wsi_slot (wsi));
        }
      else
        relay_guard_forget_listener (self->guard, wsi);
      break;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      on_http_closed (session);
      break;
    case LWS_CALLBACK_HTTP:
      return on_http (self, wsi, session, in, len);
    case LWS_CALLBACK_HTTP_BODY:
      return on_http_body (session, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return on_http_body_completion (session);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return on_http_writeable (wsi, session);
    case LWS_CALLBACK_CLOSED_HTTP:
      on_http_closed (session);
      break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return on_ws_filter (self, wsi);
    case LWS_CALLBACK_ESTABLISHED:
      return on_ws_established (self, wsi, session);
    case LWS_CALLBACK_RECEIVE:
      return on_ws_receive (wsi, session, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return on_ws_writeable (wsi, session);
    case LWS_CALLBACK_CLOSED:
      on_ws_closed (self, session);
      break;
    default:
      break;
    }
  return 0;
}

static const struct lws_protocols protocols[] = {
  /* A send may hand the socket a whole batch of frames at once. */
  { "sotto-relay-v1", relay_callback, sizeof (Session), 4096, 0, NULL, WEBSOCKET_WRITE_BATCH },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Housekeeping and shutdown. */

static void
expire_done_cb (RelayTask *task)
{
  RelayServer *self = task->server;

  if (task->op->status != RELAY_STORAGE_OK)
    return;
  if (task->op->removed > 0)
    g_message ("Dropped %" G_GINT64_FORMAT " envelopes older than the queue age limit",
               task->op->removed);
  self->metrics.envelopes_expired += (guint64) task->op->removed;
}

static void
submit_expire (RelayServer *self)
{
  RelayTask *task = task_new (self, expire_done_cb, NULL, NULL);
  RelayOp *op = relay_op_new (RELAY_OP_EXPIRE);

  op->min_timestamp = now_ms () - self->config->max_queue_age_seconds * 1000;
  task_submit_op (task, op);
}

static void
outside_changes_cb (uv_timer_t *timer)
{
  forget_outside_changes (timer->data);
}

static void
housekeeping_cb (uv_timer_t *timer)
{
  RelayServer *self = timer->data;

  relay_rate_limiter_prune (self->limiter, g_get_monotonic_time ());
  if (++self->ticks % EXPIRE_EVERY_N_TICKS == 0 && !self->draining)
    submit_expire (self);
}

static void
close_handles (RelayServer *self)
{
  if (self->handles_closed)
    return;
  self->handles_closed = TRUE;
  uv_close ((uv_handle_t *) &self->drain_timer, NULL);
  uv_close ((uv_handle_t *) &self->ack_flush, NULL);
  uv_close ((uv_handle_t *) &self->iteration_end, NULL);
  uv_close ((uv_handle_t *) &self->housekeeping, NULL);
  uv_close ((uv_handle_t *) &self->outside_changes, NULL);
  uv_close ((uv_handle_t *) &self->sigterm, NULL);
  uv_close ((uv_handle_t *) &self->sigint, NULL);
  uv_close ((uv_handle_t *) &self->sighup, NULL);
  uv_close ((uv_handle_t *) &self->wakeup, NULL);
  if (self->guard != NULL)
    relay_guard_close (self->guard);
  if (self->listener != NULL)
    relay_postgresql_listener_close (self->listener);
}

static void
drain_check_cb (uv_timer_t *timer)
{
  RelayServer *self = timer->data;
  gboolean idle = self->pending_tasks == 0 && self->active_requests == 0 &&
                  self->acks->len == 0 && g_hash_table_size (self->websockets) == 0;

  if (!idle && g_get_monotonic_time () < self->drain_deadline)
    return;
  if (!idle)
    g_message ("Shutting down with %u operations and %u requests still pending",
               self->pending_tasks, self->active_requests);
  close_handles (self);
  self->context_closing = TRUE;
  lws_context_destroy (self->context);
}

static void
signal_cb (uv_signal_t *handle,
           int          signum)
{
  RelayServer *self = handle->data;
  GHashTableIter iter;
  RelayConn *conn;

  if (self->draining)
    return;
  g_message ("Received signal %d, draining", signum);
  relay_notify ("STOPPING=1");
  self->draining = TRUE;
  self->drain_deadline = g_get_monotonic_time () + DRAIN_TIMEOUT_US;
  g_hash_table_iter_init (&iter, self->websockets);
  while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL))
    conn_close (conn, LWS_CLOSE_STATUS_GOINGAWAY, "going-away");
  uv_timer_start (&self->drain_timer, drain_check_cb, 5, 5);
}

/* SIGHUP: what can change without dropping a connection is read again
 * (the TLS certificate and key, the rate limits and the registration
 * policy), and the log says what was done.  A fault keeps the relay on
 * what it had. */
static void
reload (RelayServer *self)
{
  g_autoptr(RelayConfig) fresh = relay_config_copy_command_line (self->config);
  g_autoptr(GError) error = NULL;
  g_autofree char *settings = NULL;

  if (!relay_config_load_data_dir (fresh, &error))
    {
      g_warning ("Reload: kept the settings in force, as relay.conf has faults:\n%s", error->message);
      return;
    }
  if (self->ssl_ctx != NULL)
    {
      if (relay_tls_reload (self->ssl_ctx, self->config->tls_certificate, self->config->tls_key, &error))
        {
          g_message ("Reload: new connections get the TLS certificate now in %s",
                     self->config->tls_certificate);
          relay_tls_warn_expiry (self->config->tls_certificate);
        }
      else
        {
          g_warning ("Reload: kept the TLS certificate in use: %s", error->message);
          g_clear_error (&error);
        }
    }
  if (!relay_config_take_reloadable (self->config, fresh))
    g_message ("Reload: relay.conf changes other than [rate-limits] and [registration] "
               "take effect at the next start");
  relay_rate_limiter_set_rates (self->limiter, self->config->rates);
  settings = relay_config_describe (self->config);
  g_message ("Reload: rate limits and registration policy now %s", settings);
}

static void
sighup_cb (uv_signal_t *handle,
           int          signum)
{
  RelayServer *self = handle->data;

  if (self->draining)
    return;
  relay_notify ("RELOADING=1");
  reload (self);
  relay_notify ("READY=1");
}

/* libwebsockets logs from one thread, the loop's. */
static void
lws_log_cb (int         level,
            const char *line)
{
  static RelayLogThrottle throttle;
  g_autofree char *copy = g_strconcat ("libwebsockets: ", line, NULL);

  relay_log_throttle_message (&throttle, G_LOG_LEVEL_MESSAGE, g_strchomp (copy));
}

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  /* Each connection is a descriptor; take all the kernel allows us. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* ADDR:PORT as --listen takes it. */
static char *
listen_display (RelayConfig *config,
                guint16      port)
{
  return relay_address_display (config->listen_address, config->listen_ipv6, port);
}

/* What every vhost of the relay shares: its protocol, header limit and
 * timeouts. */
static void
vhost_info_init (struct lws_context_creation_info *info,
                 RelayConfig                      *config,
                 const char                       *address,
                 guint16                           port)
{
  memset (info, 0, sizeof *info);
  info->port = port;
  info->iface = address;
  info->protocols = protocols;
  info->max_http_header_data = (unsigned short) config->max_header_bytes;
  info->timeout_secs = 20;
  info->keepalive_timeout = (int) config->idle_timeout_seconds;
}

/* A second vhost, plain HTTP, on its own address: metrics tell how much
 * the relay carries, which the clients' address must not. */
static gboolean
listen_metrics (RelayServer  *self,
                GError      **error)
{
  RelayConfig *config = self->config;
  struct lws_context_creation_info info;
  g_autofree char *where = NULL;

  vhost_info_init (&info, config, config->metrics_address, config->metrics_port);
  info.vhost_name = "metrics";
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  if (!config->metrics_ipv6)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  self->metrics_vhost = lws_create_vhost (self->context, &info);
  if (self->metrics_vhost == NULL)
    {
      where = relay_address_display (config->metrics_address, config->metrics_ipv6, config->metrics_port);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot serve metrics on %s", where);
      return FALSE;
    }
  self->metrics_port = (guint16) lws_get_vhost_listen_port (self->metrics_vhost);
  return TRUE;
}

RelayServer *
relay_server_new (RelayConfig   *config,
                  RelayStorage  *storage,
                  GError       **error)
{
  g_autoptr(RelayServer) self = g_new0 (RelayServer, 1);
  struct lws_context_creation_info info;
  struct lws_vhost *vhost;
  void *foreign_loops[1];

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (storage != NULL, NULL);

  self->config = config;
  self->storage = storage;
  g_mutex_init (&self->completions_lock);
  g_queue_init (&self->completions);
  self->auth_cache = relay_auth_cache_new (AUTH_CACHE_CAPACITY);
  self->limiter = relay_rate_limiter_new (config->rates);
  self->queue_limits = (RelayQueueLimits) {
    .device = { config->max_queue_envelopes, (gint64) config->max_queue_bytes },
    .sender = { config->max_queue_envelopes_per_sender, (gint64) config->max_queue_bytes_per_sender },
  };
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->websockets = g_hash_table_new (NULL, NULL);
  self->acks = g_array_new (FALSE, FALSE, sizeof (RelayAck));
  self->ws_batch = g_byte_array_sized_new (LWS_PRE + WEBSOCKET_WRITE_BATCH);
  self->answer = g_string_new (NULL);
  self->hash_pool = g_thread_pool_new (hash_worker, self, MAX (1, (int) g_get_num_processors ()),
                                       FALSE, NULL);

  g_queue_init (&self->budget_waiters);
  raise_fd_limit ();
  uv_loop_init (&self->loop);
  uv_async_init (&self->loop, &self->wakeup, wakeup_cb);
  self->wakeup.data = self;
  uv_signal_init (&self->loop, &self->sigterm);
  self->sigterm.data = self;
  uv_signal_start (&self->sigterm, signal_cb, SIGTERM);
  uv_signal_init (&self->loop, &self->sigint);
  self->sigint.data = self;
  uv_signal_start (&self->sigint, signal_cb, SIGINT);
  uv_signal_init (&self->loop, &self->sighup);
  self->sighup.data = self;
  uv_signal_start (&self->sighup, sighup_cb, SIGHUP);
  uv_timer_init (&self->loop, &self->housekeeping);
  self->housekeeping.data = self;
  uv_timer_start (&self->housekeeping, housekeeping_cb, HOUSEKEEPING_INTERVAL_MS,
                  HOUSEKEEPING_INTERVAL_MS);
  /* The storage writer looks for outside changes about as often. */
  uv_timer_init (&self->loop, &self->outside_changes);
  self->outside_changes.data = self;
  uv_timer_start (&self->outside_changes, outside_changes_cb, OUTSIDE_CHANGES_INTERVAL_MS,
                  OUTSIDE_CHANGES_INTERVAL_MS);
  uv_timer_init (&self->loop, &self->drain_timer);
  self->drain_timer.data = self;
  uv_check_init (&self->loop, &self->ack_flush);
  self->ack_flush.data = self;
  uv_check_init (&self->loop, &self->iteration_end);
  self->iteration_end.data = self;
  uv_check_start (&self->iteration_end, iteration_end_cb);
  self->guard = relay_guard_new (config, &self->loop, error);
  if (self->guard == NULL)
    return NULL;
  if (config->database_url != NULL &&
      (self->listener = relay_postgresql_listener_new (&self->loop, config->database_url, queue_changed_cb,
                                                       self, error)) == NULL)
    return NULL;

  lws_set_log_level (LLL_ERR | LLL_WARN, lws_log_cb);

  vhost_info_init (&info, config, config->listen_address, config->listen_port);
  foreign_loops[0] = &self->loop;
  info.foreign_loops = foreign_loops;
  info.pcontext = &self->context;
  info.user = self;
  info.alpn = "http/1.1";
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                 LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                 LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
  if (!config->listen_ipv6)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (config->tls_certificate != NULL)
    {
      info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      info.ssl_cert_filepath = config->tls_certificate;
      info.ssl_private_key_filepath = config->tls_key;
    }

  /* On a foreign loop, lws_create_context() does not return NULL when
   * its server cannot start (the port is taken, the TLS files do not
   * load): it returns the context it has begun to take down, without
   * its default vhost, and relay_server_free() finishes the job. */
  self->context = lws_create_context (&info);
  vhost = self->context != NULL ? lws_get_vhost_by_name (self->context, "default") : NULL;
  if (vhost == NULL)
    {
      g_autofree char *where = listen_display (config, config->listen_port);

      self->context_closing = self->context != NULL;
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot listen on %s", where);
      return NULL;
    }
  self->port = (guint16) lws_get_vhost_listen_port (vhost);
  if (config->metrics_address != NULL && !listen_metrics (self, error))
    return NULL;
  self->metrics.start_time = g_get_real_time ();
  submit_expire (self);
  return g_steal_pointer (&self);
}

/* What an operator checks first: which relay, where, on what storage,
 * and who may register; then every setting in force. */
static void
log_summary (RelayServer *self,
             const char  *where)
{
  RelayConfig *config = self->config;
  g_autofree char *metrics = NULL;
  g_autofree char *settings = relay_config_describe (config);
  /* A database URL may hold a password: only its kind is logged. */
  g_autofree char *storage = config->database_url != NULL ? g_strdup ("PostgreSQL")
                                                          : g_strdup_printf ("%s/relay.db", config->data_dir);

  if (self->metrics_vhost != NULL)
    metrics = relay_address_display (config->metrics_address, config->metrics_ipv6, self->metrics_port);
  g_message ("sotto-relay %s serving on %s%s, metrics %s%s, storage %s, registration %s",
             PACKAGE_VERSION, where, config->tls_certificate != NULL ? " with TLS" : "",
             metrics != NULL ? "on " : "off", metrics != NULL ? metrics : "", storage,
             relay_registration_mode_name (config->registration));
  g_message ("Settings: %s", settings);
}

int
relay_server_run (RelayServer *self)
{
  g_autofree char *where = NULL;
  g_autofree char *status = NULL;

  g_return_val_if_fail (self != NULL, 1);

  where = listen_display (self->config, self->port);
  log_summary (self, where);
  g_print ("sotto-relay listening on %s%s\n", where,
           self->config->tls_certificate != NULL ? " with TLS" : "");
  fflush (stdout);
  status = g_strdup_printf ("READY=1\nSTATUS=Serving on %s", where);
  relay_notify (status);

  uv_run (&self->loop, UV_RUN_DEFAULT);
  g_message ("Stopped serving");
  return 0;
}

void
relay_server_free (RelayServer *self)
{
  GList *next;

  if (self == NULL)
    return;

  /* libwebsockets takes a context on a foreign loop down in three steps:
   * a first lws_context_destroy() starts closing its handles, the loop
   * runs until they are closed, and a last call frees the context and
   * clears self->context.  A context that is closing already has taken
   * the first step. */
  if (self->context != NULL && !self->context_closing)
    lws_context_destroy (self->context);
  close_handles (self);
  uv_run (&self->loop, UV_RUN_DEFAULT);
  if (self->context != NULL)
    lws_context_destroy (self->context);
  uv_loop_close (&self->loop);

  /* Finish whatever the threads still hold, then drop the answers: no
   * client is left to read them. */
  g_thread_pool_free (self->hash_pool, FALSE, TRUE);
  relay_storage_close (self->storage);
  for (GList *link = take_completions (self); link != NULL; link = next)
    {
      next = link->next;
      task_free (link->data);
    }
  g_mutex_clear (&self->completions_lock);

  relay_auth_cache_free (self->auth_cache);
  relay_rate_limiter_free (self->limiter);
  relay_guard_free (self->guard);
  relay_postgresql_listener_free (self->listener);
  g_queue_clear_full (&self->budget_waiters, (GDestroyNotify) conn_unref);
  g_hash_table_unref (self->devices);
  g_hash_table_unref (self->websockets);
  /* Acknowledgements still gathering when the drain timed out are lost;
   * their envelopes are delivered again, as if never acknowledged. */
  g_array_unref (self->acks);
  g_byte_array_unref (self->ws_batch);
  g_string_free (self->answer, TRUE);
  relay_config_free (self->config);
  g_free (self);
}
