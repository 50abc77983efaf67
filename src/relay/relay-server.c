/* relay-server.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay's server: its event loop, its listening sockets, the
 * libwebsockets callback that hands each event to the part that serves
 * it, housekeeping, reload and shutdown.  Everything in relay-server-*.c
 * runs on one thread, the libuv loop that libwebsockets serves on.  Work
 * that blocks (storage ops, password hashing) goes to other threads as a
 * RelayTask (relay-server-tasks.c) and comes back through a queue and a
 * uv_async wake-up, so the loop never waits on a disk or a hash.
 *
 * A task holds a reference on the request or connection it serves.  When
 * the client goes away first, the object loses its wsi and the task's
 * result is simply dropped when it returns.
 */

#include "config.h"

#include <libwebsockets.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "relay-blob-private.h"
#include "relay-guard.h"
#include "relay-log-throttle.h"
#include "relay-notify.h"
#include "relay-postgresql-listener.h"
#include "relay-server-private.h"
#include "relay-tls.h"

#define RECEIVE_BUFFER_BYTES 65536

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
   * TLS handshake was under way, before any session data exists. */
  switch ((int) reason)
    {
    case LWS_CALLBACK_RAW_RX:
    case LWS_CALLBACK_RAW_WRITEABLE:
      if (session == NULL)
        return -1;
      break;
    case LWS_CALLBACK_RAW_CLOSE:
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
    case LWS_CALLBACK_RAW_ADOPT:
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
    case LWS_CALLBACK_RAW_RX:
      if (session->conn != NULL)
        {
          _relay_on_ws_receive (session, in, len);
          return 0;
        }
      return _relay_on_http_receive (self, wsi, session, in, len);
    case LWS_CALLBACK_RAW_WRITEABLE:
      if (session->close_when_flushed)
        return -1;
      if (session->conn != NULL)
        return _relay_on_ws_writeable (wsi, session);
      return _relay_on_http_writeable (wsi, session);
    case LWS_CALLBACK_RAW_CLOSE:
      _relay_on_http_closed (session);
      _relay_on_ws_closed (self, session);
      break;
    default:
      break;
    }
  return 0;
}

static const struct lws_protocols protocols[] = {
  { "sotto-relay-v1", relay_callback, sizeof (Session), 0, 0, NULL, 0 },
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
  RelayTask *task = _relay_task_new (self, expire_done_cb, NULL, NULL);
  RelayOp *op = relay_op_new (RELAY_OP_EXPIRE);

  op->min_timestamp = _relay_now_ms () - self->config->max_queue_age_seconds * 1000;
  _relay_task_submit_op (task, op);
}

static void
outside_changes_cb (uv_timer_t *timer)
{
  _relay_forget_outside_changes (timer->data);
}

static void
housekeeping_cb (uv_timer_t *timer)
{
  RelayServer *self = timer->data;

  relay_rate_limiter_prune (self->limiter, g_get_monotonic_time ());
  relay_sealed_quota_prune (self->sealed_quota, g_get_monotonic_time ());
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
  _relay_liveness_close (self);
  _relay_expiry_close (self);
  uv_close ((uv_handle_t *) &self->ws_flush_prepare, NULL);
  /* Ops submitted in this iteration must not wait for a wake-up that
   * will not come. */
  relay_storage_wake (self->storage);
  uv_close ((uv_handle_t *) &self->storage_wake, NULL);
  uv_close ((uv_handle_t *) &self->housekeeping, NULL);
  uv_close ((uv_handle_t *) &self->outside_changes, NULL);
  uv_close ((uv_handle_t *) &self->sigterm, NULL);
  uv_close ((uv_handle_t *) &self->sigint, NULL);
  uv_close ((uv_handle_t *) &self->sighup, NULL);
  uv_close ((uv_handle_t *) &self->wakeup, NULL);
  if (self->guard != NULL)
    relay_guard_close (self->guard);
  _relay_blob_service_close (self);
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
    _relay_conn_close (conn, LWS_CLOSE_STATUS_GOINGAWAY, "going-away");
  uv_timer_start (&self->drain_timer, drain_check_cb, 5, 5);
}

/* SIGHUP: what can change without dropping a connection is read again
 * (the TLS certificate and key, the rate limits, the registration
 * policy and the sealed sender key), and the log says what was done.  A fault keeps the relay on
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
  _relay_reload_sealed_key (self);
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

/* What every vhost of the relay shares: every connection it accepts is
 * handed to the relay as a raw socket (TLS taken off, on the clients'
 * vhost when it serves TLS), whose HTTP and WebSocket the relay reads
 * itself; lws 4.1 unmasks an unmasked client frame as if it were masked
 * and lets no callback see a frame's header. */
static void
vhost_info_init (struct lws_context_creation_info *info,
                 const char                       *address,
                 guint16                           port)
{
  memset (info, 0, sizeof *info);
  info->port = port;
  info->iface = address;
  info->protocols = protocols;
  info->options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
  info->listen_accept_role = "raw-skt";
  info->listen_accept_protocol = protocols[0].name;
  info->timeout_secs = 20;
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

  vhost_info_init (&info, config->metrics_address, config->metrics_port);
  info.vhost_name = "metrics";
  info.options |= LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
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
  self->auth_cache = relay_auth_cache_new (AUTH_CACHE_CAPACITY);
  self->limiter = relay_rate_limiter_new (config->rates);
  self->queue_limits = (RelayQueueLimits) {
    .device = { config->max_queue_envelopes, (gint64) config->max_queue_bytes },
    .sender = { config->max_queue_envelopes_per_sender, (gint64) config->max_queue_bytes_per_sender },
  };
  self->sealed_quota = relay_sealed_quota_new (&(RelayQueueAmount) {
    MAX (1, (gint64) config->max_queue_envelopes_per_sender * config->sealed_share_per_address / 100),
    MAX ((gint64) config->max_envelope_bytes,
         (gint64) (config->max_queue_bytes_per_sender / 100 * config->sealed_share_per_address)),
  });
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->websockets = g_hash_table_new (NULL, NULL);
  self->acks = g_array_new (FALSE, FALSE, sizeof (RelayAck));
  self->ws_batch = g_byte_array_sized_new (LWS_PRE + WEBSOCKET_WRITE_BATCH);
  self->answer = g_string_new (NULL);
  self->hash_pool = g_thread_pool_new (_relay_hash_worker, self, MAX (1, (int) g_get_num_processors ()),
                                       FALSE, NULL);

  g_queue_init (&self->budget_waiters);
  raise_fd_limit ();
  uv_loop_init (&self->loop);
  uv_async_init (&self->loop, &self->wakeup, _relay_wakeup_cb);
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
  _relay_liveness_init (self);
  _relay_expiry_init (self);
  _relay_ws_flush_init (self);
  _relay_tasks_init (self);
  self->guard = relay_guard_new (config, &self->loop, error);
  if (self->guard == NULL)
    return NULL;
  self->digest_key = relay_digest_key_load (config->data_dir, error);
  if (self->digest_key == NULL)
    return NULL;
  if (!_relay_blob_service_init (self, error))
    return NULL;
  if (config->database_url != NULL &&
      (self->listener = relay_postgresql_listener_new (&self->loop, config->database_url, _relay_queue_changed_cb,
                                                       _relay_online_notice_cb, self, error)) == NULL)
    return NULL;

  lws_set_log_level (LLL_ERR | LLL_WARN, lws_log_cb);

  vhost_info_init (&info, config->listen_address, config->listen_port);
  foreign_loops[0] = &self->loop;
  info.foreign_loops = foreign_loops;
  info.pcontext = &self->context;
  info.user = self;
  info.alpn = "http/1.1";
  /* Every read takes up to this much, TLS records included: one call
   * reads many frames under load. */
  info.pt_serv_buf_size = RECEIVE_BUFFER_BYTES;
  info.options |= LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
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
  RelayTask *next;

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
  for (RelayTask *task = _relay_take_completions (self); task != NULL; task = next)
    {
      next = task->next_completed;
      _relay_task_free (task);
    }

  relay_auth_cache_free (self->auth_cache);
  relay_digest_key_free (self->digest_key);
  relay_rate_limiter_free (self->limiter);
  relay_sealed_quota_free (self->sealed_quota);
  relay_guard_free (self->guard);
  relay_postgresql_listener_free (self->listener);
  relay_sealed_key_free (self->sealed_key);
  _relay_blob_service_free (self);
  g_queue_clear_full (&self->budget_waiters, (GDestroyNotify) _relay_conn_unref);
  g_ptr_array_unref (self->ws_flush);
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
