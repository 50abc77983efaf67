/* relay-server-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's internals, shared by relay-server.c and the
 * relay-server-*.c files that serve each concern.
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "relay-api.h"
#include "relay-auth.h"
#include "relay-digest-key.h"
#include "relay-guard.h"
#include "relay-metrics.h"
#include "relay-postgresql-listener.h"
#include "relay-ratelimit.h"
#include "relay-sealed-key.h"
#include "relay-sealed-quota.h"
#include "relay-server.h"
#include "relay-websocket-codec.h"

G_BEGIN_DECLS

#define HOUSEKEEPING_INTERVAL_MS   10000
#define OUTSIDE_CHANGES_INTERVAL_MS 1000
#define EXPIRE_EVERY_N_TICKS       6
#define DRAIN_TIMEOUT_US           (10 * G_USEC_PER_SEC)
#define AUTH_CACHE_CAPACITY        100000
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
#define CLOSE_PING_TIMEOUT         4408

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

/* The WebSockets whose clients may have vanished; see
 * relay-server-liveness.c. */
typedef struct
{
  uv_timer_t timer;
  GQueue     heard;     /* of RelayConn, not pinged, the longest silent first */
  GQueue     pinged;    /* of RelayConn, pinged and silent since, the first pinged first */
  GQueue     unauthenticated;  /* of RelayConn, whose password check has not ended, the oldest first */
  guint64    closed;    /* for their silence, since the last message about them */
  gint64     last_log;  /* monotonic time of that message */
} RelayLiveness;

/* The sweep of envelopes whose sender's expiry passed; see
 * relay-server-expiry.c.  Times are milliseconds since the epoch. */
typedef struct
{
  uv_timer_t timer;
  gint64     due;       /* when the timer fires; 0 while it is stopped */
  gint64     last;      /* when the last sweep began */
  gboolean   running;
  gint64     noted;     /* the earliest expiry of the sends stored while it ran; 0 for none */
} RelayExpirySweep;

typedef void (*RelayHandler)  (RelayRequest *request);
/* A request that streams its body or its answer (relay-blob-*.c) takes
 * over these steps from relay-server-http.c: see RelayRequest. */
typedef int  (*RelayBodyWriter) (RelayRequest *request);
typedef struct _RelayBlobService RelayBlobService;
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
  RelayLiveness       liveness;
  RelayExpirySweep    expiry_sweep;
  uv_prepare_t        ws_flush_prepare;
  uv_prepare_t        storage_wake;      /* wakes the storage writer once per loop iteration */
  GPtrArray          *ws_flush;      /* of RelayConn, referenced, with frames to write */
  gboolean            ws_flushing;
  guint               ticks;

  struct lws_context *context;      /* cleared by lws when it frees it */
  gboolean            context_closing;
  guint16             port;
  struct lws_vhost   *metrics_vhost;  /* NULL unless metrics are served */
  guint16             metrics_port;
  SSL_CTX            *ssl_ctx;        /* the TLS vhost's, which SIGHUP reloads */

  RelayTask          *completed;     /* atomic: pushed by other threads, the newest first */
  GThreadPool        *hash_pool;
  guint               hash_queued;
  guint               pending_tasks;
  guint64             held_split_bytes;  /* of sealed sender v2 splits waiting for storage */
  guint               active_requests;
  guint               sockets;
  gboolean            handles_closed;

  RelayAuthCache     *auth_cache;
  RelayDigestKey     *digest_key;    /* of the password digests stored with the devices */
  gint                outside_changes_seen;  /* storage->outside_changes when last looked at */
  RelayRateLimiter   *limiter;
  RelayGuard         *guard;
  RelayMetrics        metrics;
  /* Other nodes' sends, when several share a PostgreSQL database; NULL
   * on SQLite, where only this process writes the queue. */
  RelayPostgresqlListener *listener;
  /* The sealed sender server key; NULL when the data directory has none. */
  RelaySealedKey     *sealed_key;
  RelayBlobService   *blobs;         /* attachment blobs, relay-blob-server.c */

  GHashTable         *devices;       /* "uuid.device" -> RelayConn, authenticated */
  GHashTable         *websockets;    /* set of every open RelayConn */
  GArray             *acks;          /* of RelayAck, not yet submitted */
  GByteArray         *ws_batch;      /* reused for every batch of frames */
  GString            *answer;        /* reused for the answer to every send */
  RelayQueueLimits    queue_limits;
  RelaySealedQuota   *sealed_quota;   /* each client address's part of the sealed share */

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
  gboolean          http_1_0;       /* answered as HTTP/1.0 */
  RelayCredentials *credentials;    /* set once authenticated; the connection's own for a
                                     * request made on a WebSocket */
  RelayHandler      after_auth;
  gboolean          body_waits_auth;  /* a body over max-request-bytes, unread until then */

  guint             status;
  const char       *content_type;
  guint8           *response;       /* RESPONSE_HEADROOM bytes, then the body */
  gsize             response_length;
  gboolean          responded;
  gboolean          close_after;

  /* A request made as a WebSocket message rather than over HTTP. */
  RelayConn        *conn;
  gint64            message_id;

  /* What streams a body or an answer (relay-blob-*.c) needs.  While
   * take_body is set, the body's bytes go to it as they arrive rather
   * than into `body`; once the request has responded with write_body
   * set, the socket's writeable callbacks go to it, which returns 1
   * once the whole answer is out, 0 while more is to come and -1 to
   * drop the connection; `detached` is told when the request loses its
   * connection, answered or not. */
  char             *content_range;
  char             *range;
  gboolean          expect_continue;  /* the client waits for "100 Continue" */
  gboolean          continue_due;     /* which is to be written */
  gpointer          stream;
  RelayHandler      take_body;
  RelayBodyWriter   write_body;
  RelayHandler      detached;
};

/* A message waiting for the socket.  The loop makes one for every
 * envelope it delivers and every answer it sends, so the queue link, the
 * text and the GUID all live in the frame's one allocation. */
typedef struct
{
  GList     link;     /* in RelayConn.out, with the frame as its data */
  char     *guid;     /* NULL for frames that need no acknowledgement */
  gboolean  response; /* answers a request the connection made */
  gboolean  raw;      /* the handshake's answer, written as it is rather than framed */
  gint64    expires_at;  /* when an envelope's sender expires it (ms since the epoch), or 0 */
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
  GByteArray       *input;          /* bytes read and not yet taken as frames */
  RelayWsReader     reader;
  GByteArray       *rx;             /* the fragments of a message so far */
  guint             requests;       /* made and not yet answered on the socket */
  gboolean          rx_paused;
  gboolean          read_waiting;   /* input waits to be read once reading resumes */
  gboolean          peer_closed;    /* the client sent a close frame */
  gboolean          pong_waiting;
  gboolean          flush_queued;   /* in RelayServer.ws_flush */
  guint8            pong[RELAY_WS_MAX_CONTROL_PAYLOAD];
  gsize             pong_length;

  GList             liveness_link;  /* in RelayServer.liveness, with the connection as its
                                     * data; NULL data once closing */
  guint64           heard_ms;       /* loop time the client last sent anything */
  guint64           pinged_ms;      /* loop time of the ping it has not answered, or 0 */
  gboolean          ping_waiting;   /* a ping waits to be written */
};

struct _RelayTask
{
  RelayTask     *next_completed;  /* in RelayServer.completed */
  RelayServer   *server;
  RelayTaskFunc  complete;
  RelayRequest  *request;
  RelayConn     *conn;
  RelayOp       *op;
  gboolean       hashing;
  char          *password;
  char          *hash;
  gboolean       verified;
  guint64        held_split_bytes;  /* counted in RelayServer.held_split_bytes until freed */
  gint64         submitted_at;      /* monotonic, when its op went to storage */
  gint64         durable_at;        /* monotonic, when storage was done with it */
  gpointer       data;              /* what the handler keeps for `complete` */
  GDestroyNotify data_free;
};

/* Every socket's own data: the request it carries, or its WebSocket
 * once upgraded, and the bytes read but not yet taken. */
typedef struct
{
  RelayRequest *request;
  RelayConn    *conn;
  GByteArray   *input;
  gboolean      close_when_flushed;
} Session;

typedef enum
{
  AUTH_OK,
  AUTH_DENIED,
  AUTH_RATE_LIMITED,
  AUTH_BUSY,
} AuthResult;

#define UINT_DIGITS_MAX       20
/* Bounds on the member names and punctuation of a message. */
#define RESPONSE_FRAME_NAMES  64
#define ENVELOPE_FRAME_NAMES  128
/* A bound on an envelope frame's text, GUIDs and UUIDs included, for
 * `content_length` bytes of base64 content. */
#define ENVELOPE_FRAME_SIZE(content_length) \
  (ENVELOPE_FRAME_NAMES + 4 * UINT_DIGITS_MAX + 3 * (RELAY_UUID_LENGTH + 1) + (content_length))

/* Every accepted socket's slot lives as its opaque data from
 * LWS_CALLBACK_RAW_ADOPT to LWS_CALLBACK_WSI_DESTROY: lws clears the
 * opaque data after LWS_CALLBACK_WSI_CREATE. */
static inline RelaySlot *
wsi_slot (struct lws *wsi)
{
  return lws_get_opaque_user_data (wsi);
}

/* relay-server-tasks.c */
RelayTask    *_relay_task_new                   (RelayServer   *server,
                                                 RelayTaskFunc  complete,
                                                 RelayRequest  *request,
                                                 RelayConn     *conn);
void          _relay_task_free                  (RelayTask *task);
void          _relay_task_discard               (RelayTask *task);
RelayTask    *_relay_take_completions           (RelayServer *self);
void          _relay_task_submit_op             (RelayTask *task,
                                                 RelayOp   *op);
void          _relay_hash_worker                (gpointer data,
                                                 gpointer user_data);
gboolean      _relay_task_submit_hash           (RelayTask *task,
                                                 gboolean   registration);
void          _relay_wakeup_cb                  (uv_async_t *handle);
void          _relay_tasks_init                 (RelayServer *self);
gint64        _relay_now_ms                     (void);

/* relay-server-http.c */
RelayRequest *_relay_request_ref                (RelayRequest *request);
void          _relay_request_unref              (RelayRequest *request);
gboolean      _relay_request_attached           (RelayRequest *request);
void          _relay_respond_raw                (RelayRequest *request,
                                                 guint         status,
                                                 const char   *content_type,
                                                 const char   *body,
                                                 gsize         length);
void          _relay_respond_builder            (RelayRequest *request,
                                                 guint         status,
                                                 JsonBuilder  *builder);
void          _relay_respond_text               (RelayRequest *request,
                                                 guint         status,
                                                 const char   *json);
JsonBuilder  *_relay_error_builder              (const char *code,
                                                 const char *message);
void          _relay_respond_error              (RelayRequest *request,
                                                 guint         status,
                                                 const char   *code,
                                                 const char   *message);
void          _relay_respond_api_error          (RelayRequest *request,
                                                 const GError *error);
void          _relay_respond_storage_failure    (RelayRequest *request);
gboolean      _relay_take_rate                  (RelayServer   *self,
                                                 RelayRateKind  kind,
                                                 const char    *key);
void          _relay_give_back_rate             (RelayServer   *self,
                                                 RelayRateKind  kind,
                                                 const char    *key);
gboolean      _relay_request_take_rate          (RelayRequest  *request,
                                                 RelayRateKind  kind,
                                                 const char    *key);
void          _relay_on_http_closed             (Session *session);
int           _relay_on_http_receive            (RelayServer  *self,
                                                 struct lws   *wsi,
                                                 Session      *session,
                                                 const guint8 *data,
                                                 gsize         length);
int           _relay_on_http_writeable          (struct lws *wsi,
                                                 Session    *session);

/* relay-server-auth.c */
void          _relay_forget_outside_changes     (RelayServer *self);
void          _relay_authenticate               (RelayServer      *self,
                                                 RelayRequest     *request,
                                                 RelayConn        *conn,
                                                 RelayCredentials *credentials,
                                                 const char       *address);
void          _relay_request_authenticate       (RelayRequest *request,
                                                 RelayHandler  handler);

/* relay-server-liveness.c */
/* relay-server-expiry.c */
void          _relay_expiry_init                (RelayServer *self);
void          _relay_expiry_close               (RelayServer *self);
void          _relay_expiry_note_send           (RelayServer *self,
                                                 RelayOp     *op);
gboolean      _relay_expiry_allowed             (RelayRequest *request,
                                                 gint64        expires_in_ms);
gboolean      _relay_send_expiry_allowed        (RelayRequest     *request,
                                                 RelaySendRequest *send);
gboolean      _relay_multi_expiry_allowed       (RelayRequest          *request,
                                                 RelayMultiSendRequest *multi);

void          _relay_liveness_init              (RelayServer *self);
void          _relay_liveness_close             (RelayServer *self);
void          _relay_liveness_watch_unauthenticated (RelayConn *conn);
void          _relay_liveness_watch             (RelayConn   *conn);
void          _relay_liveness_heard             (RelayConn   *conn);
void          _relay_liveness_forget            (RelayConn   *conn);

/* relay-server-routes.c */
void          _relay_add_id_list                (JsonBuilder *builder,
                                                 const char  *name,
                                                 GArray      *ids);
void          _relay_submit_send                (RelayRequest     *request,
                                                 const char       *uuid,
                                                 RelaySendRequest *send);
gboolean      _relay_request_on_metrics_address (RelayRequest *request);
void          _relay_dispatch                   (RelayRequest *request);

/* relay-server-fanout.c */
void          _relay_submit_send_multi          (RelayRequest          *request,
                                                 RelayMultiSendRequest *multi);
void          _relay_handle_send_multi          (RelayRequest *request);
void          _relay_handle_unidentified_send   (RelayRequest *request);
gboolean      _relay_peek_unidentified_rates    (RelayRequest *request,
                                                 const char   *uuid);
gboolean      _relay_reserve_unidentified_rates (RelayRequest *request,
                                                 const char   *uuid);
void          _relay_handle_sealed_multi        (RelayRequest *request);

/* relay-server-sealed.c */
void          _relay_reload_sealed_key          (RelayServer  *self);
void          _relay_handle_sender_certificate  (RelayRequest *request);
void          _relay_handle_trust_root          (RelayRequest *request);
void          _relay_handle_set_access_key      (RelayRequest *request);

/* relay-server-profiles.c */
void          _relay_stored_cb                  (RelayTask    *task);
gsize         _relay_request_body_limit         (RelayRequest *request);
void          _relay_handle_put_profile         (RelayRequest *request);
void          _relay_handle_get_profile         (RelayRequest *request);
/* relay-server-ws-flush.c */
void          _relay_ws_flush_init              (RelayServer *self);
gboolean      _relay_conn_queue_flush           (RelayConn *conn);

/* relay-server-websocket.c */
void          _relay_conn_push_frame            (RelayConn *conn,
                                                 Frame     *frame);
RelayConn    *_relay_conn_ref                   (RelayConn *conn);
void          _relay_conn_unref                 (RelayConn *conn);
char         *_relay_put_uint                   (char    *p,
                                                 guint64  value);
void          _relay_conn_respond               (RelayRequest *request,
                                                 guint         status,
                                                 const char   *body,
                                                 gsize         length);
Frame        *_relay_control_frame              (const char *json);
void          _relay_queue_changed_cb           (const char *device_key,
                                                 gpointer    user_data);
void          _relay_offer_envelopes            (RelayServer *self,
                                                 RelayOp     *op);
gboolean      _relay_offer_online_envelope      (RelayServer           *self,
                                                 const char            *uuid,
                                                 const char            *source_uuid,
                                                 guint32                source_device,
                                                 gint64                 timestamp,
                                                 gint64                 server_timestamp,
                                                 RelayOutgoingEnvelope *envelope);
/* relay-server-online.c */
void          _relay_submit_online_send         (RelayRequest     *request,
                                                 const char       *uuid,
                                                 RelaySendRequest *send);
void          _relay_submit_unidentified_online_send (RelayRequest          *request,
                                                 RelayMultiSendRequest *multi);
void          _relay_online_notice_cb           (const char *notice,
                                                 gpointer    user_data);
void          _relay_conn_schedule              (RelayConn *conn);
void          _relay_conn_close                 (RelayConn  *conn,
                                                 int         code,
                                                 const char *reason);
void          _relay_conn_auth_finished         (RelayConn  *conn,
                                                 AuthResult  result);
void          _relay_on_ws_established          (RelayServer *self,
                                                 struct lws  *wsi,
                                                 Session     *session,
                                                 const char  *authorization,
                                                 const char  *accept);
void          _relay_on_ws_receive              (Session      *session,
                                                 const guint8 *data,
                                                 gsize         length);
int           _relay_on_ws_writeable            (struct lws *wsi,
                                                 Session    *session);
void          _relay_on_ws_closed               (RelayServer *self,
                                                 Session     *session);

G_END_DECLS
