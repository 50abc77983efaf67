/* relay-server-ws-flush.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes the frames a loop iteration queued for a WebSocket straight to
 * its socket, before the loop next waits, instead of asking
 * libwebsockets for a writeable callback.  On libuv every such request
 * turns the socket's POLLOUT on and, once written, off again, and each
 * change costs two epoll_ctl() calls (libuv's uv_poll_start() removes
 * the descriptor and adds it back) and another loop iteration: at
 * everyday rates, where each envelope is written on its own, that was
 * eight system calls an envelope.  A socket that is writeable takes the
 * batch at once; whatever it does not take, libwebsockets keeps and
 * writes once POLLOUT says it may, as before.
 */

#include "config.h"

#include <libwebsockets.h>
#include <uv.h>

#include "relay-server-private.h"

static void
flush_conn (RelayConn *conn)
{
  struct lws *wsi = conn->wsi;
  Session *session;

  conn->flush_queued = FALSE;
  if (wsi == NULL)
    return;
  session = lws_wsi_user (wsi);
  /* Bytes libwebsockets holds from an earlier write go first, and only
   * it writes them; a connection closing after an HTTP answer or still
   * being adopted is left to it too. */
  if (session == NULL || session->conn != conn || session->close_when_flushed ||
      lws_partial_buffered (wsi))
    {
      lws_callback_on_writable (wsi);
      return;
    }
  /* Outside its callback a failed write cannot close the socket by its
   * return value: libwebsockets closes it from the loop instead. */
  if (_relay_on_ws_writeable (wsi, session) < 0)
    lws_set_timeout (wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Runs just before the loop waits for its sockets, after every callback
 * of the iteration (sockets, completions, timers) has queued its
 * frames. */
static void
ws_flush_cb (uv_prepare_t *handle)
{
  RelayServer *self = handle->data;
  GPtrArray *conns = g_steal_pointer (&self->ws_flush);

  /* Frames queued while these are written (a connection that reads
   * input it had to leave waiting) ask for a writeable callback as
   * before: this pass must end. */
  self->ws_flushing = TRUE;
  self->ws_flush = g_ptr_array_new_with_free_func ((GDestroyNotify) _relay_conn_unref);
  uv_prepare_stop (handle);
  for (guint i = 0; i < conns->len; i++)
    flush_conn (g_ptr_array_index (conns, i));
  self->ws_flushing = FALSE;
  g_ptr_array_unref (conns);
}

/* Whether the connection's frames will be written before the loop next
 * waits; FALSE when only a writeable callback can write them now. */
gboolean
_relay_conn_queue_flush (RelayConn *conn)
{
  RelayServer *self = conn->server;

  if (self->ws_flushing || self->handles_closed)
    return FALSE;
  if (!conn->flush_queued)
    {
      conn->flush_queued = TRUE;
      g_ptr_array_add (self->ws_flush, _relay_conn_ref (conn));
      if (self->ws_flush->len == 1)
        uv_prepare_start (&self->ws_flush_prepare, ws_flush_cb);
    }
  return TRUE;
}

void
_relay_ws_flush_init (RelayServer *self)
{
  self->ws_flush = g_ptr_array_new_with_free_func ((GDestroyNotify) _relay_conn_unref);
  uv_prepare_init (&self->loop, &self->ws_flush_prepare);
  self->ws_flush_prepare.data = self;
}
