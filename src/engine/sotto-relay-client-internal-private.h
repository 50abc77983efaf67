/* sotto-relay-client-internal-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

/* What the files of the relay client share among themselves, and nothing
 * else in the engine sees: the object's struct, and the steps that the
 * requests, the endpoints and the delivery socket take from each other. */

/* How long a request, or a send made on the delivery socket, may wait
 * for the relay's answer. */
#define SOTTO_RELAY_REQUEST_TIMEOUT_SECONDS 30

/* A blob's download or upload is given up when it moves fewer bytes a
 * second than this, averaged over a window this long: the timeout above
 * bounds each read and write, not the whole, and a hostile relay that
 * sends a byte now and then would hold a transfer open for ever.  Tests
 * shorten them with _sotto_relay_client_set_transfer_pace(). */
#define SOTTO_RELAY_TRANSFER_WINDOW_MS             (60 * 1000)
#define SOTTO_RELAY_TRANSFER_MIN_BYTES_PER_SECOND  1024

struct _SottoRelayClient
{
  GObject parent_instance;

  char *url;
  char *websocket_url;
  gboolean loopback;
  SoupSession *session;

  /* "Basic …", in sodium_malloc() memory: it is as good as the
   * password. */
  char *authorization;

  SottoRelayConnection connection;
  gboolean wanted;
  SoupWebsocketConnection *socket;
  GCancellable *connect_cancellable;
  guint retry_source;
  guint attempts;
  /* When the open socket brought "queue-empty" (monotonic time), or 0. */
  gint64 queue_empty_at;

  /* Sends made on the socket and not answered yet: id → SocketSend.
   * They fail when the socket closes, and the caller sends them again.
   * The relay checks the password after the socket opens and closes it
   * on any message before that; its own first message says it is done. */
  gboolean socket_authenticated;
  GHashTable *socket_sends;
  gint64 next_send_id;

  GNetworkMonitor *monitor;

  /* SOTTO_RELAY_TRANSFER_WINDOW_MS and _MIN_BYTES_PER_SECOND, but in
   * tests. */
  guint transfer_window_ms;
  guint transfer_min_bytes_per_second;
};

/* A request on its way: the message for its status and headers until
 * the answer is read, and what a refused request's answer said. */
typedef struct
{
  SoupMessage *message;
  JsonObject *refusal;
  /* An answer that is not JSON (an encrypted profile), and the most of
   * it that is read. */
  gboolean raw;
  gsize max_answer_bytes;
} SottoRelayRequest;

/* sotto-relay-client.c */
void         _sotto_relay_client_set_connection     (SottoRelayClient          *self,
                                                     SottoRelayConnection       connection);
void         _sotto_relay_client_emit_envelope      (SottoRelayClient          *self,
                                                     const SottoRelayEnvelope  *envelope);
void         _sotto_relay_client_emit_queue_empty   (SottoRelayClient          *self);
void         _sotto_relay_client_emit_keys_low      (SottoRelayClient          *self);

/* sotto-relay-client-http.c */
void         _sotto_relay_error_from_response       (guint                      status,
                                                     JsonObject                *body,
                                                     GError                   **error);
SottoRelayRequest *_sotto_relay_request_new      (SoupMessage               *message);
void         _sotto_relay_request_free              (SottoRelayRequest         *request);
void         _sotto_relay_client_return_read_error  (GTask                     *task,
                                                     const GError              *error);
void         _sotto_relay_client_read_answer        (GTask                     *task,
                                                     GInputStream              *stream);
SoupMessage *_sotto_relay_client_new_message        (SottoRelayClient          *self,
                                                     GTask                     *task,
                                                     const char                *method,
                                                     const char                *path,
                                                     gboolean                   authenticate);
void         _sotto_relay_client_send_message       (SottoRelayClient          *self,
                                                     GTask                     *task,
                                                     SoupMessage               *message);
void         _sotto_relay_client_request            (SottoRelayClient          *self,
                                                     GTask                     *task,
                                                     const char                *method,
                                                     const char                *path,
                                                     JsonNode                  *body,
                                                     gboolean                   authenticate);
void         _sotto_relay_client_request_octets     (SottoRelayClient          *self,
                                                     GTask                     *task,
                                                     const char                *method,
                                                     const char                *path,
                                                     GBytes                    *body,
                                                     gboolean                   raw,
                                                     gsize                      max_answer_bytes);
gpointer     _sotto_relay_client_propagate          (SottoRelayClient          *self,
                                                     GAsyncResult              *result,
                                                     gpointer                   source_tag,
                                                     GError                   **error);
JsonObject  *_sotto_relay_client_propagate_object   (SottoRelayClient          *self,
                                                     GAsyncResult              *result,
                                                     gpointer                   source_tag,
                                                     GError                   **error);
gboolean     _sotto_relay_client_propagate_done     (SottoRelayClient          *self,
                                                     GAsyncResult              *result,
                                                     gpointer                   source_tag,
                                                     GError                   **error);

/* sotto-relay-client-json.c */
void         _sotto_relay_set_bad_response          (GError                   **error,
                                                     const char                *what);
gboolean     _sotto_relay_json_get_int              (JsonObject                *object,
                                                     const char                *name,
                                                     gint64                     min,
                                                     gint64                     max,
                                                     gint64                    *out);
const char  *_sotto_relay_json_get_string           (JsonObject                *object,
                                                     const char                *name);
JsonObject  *_sotto_relay_json_get_object           (JsonObject                *object,
                                                     const char                *name);
gboolean     _sotto_relay_json_get_fixed_base64     (JsonObject                *object,
                                                     const char                *name,
                                                     guint8                    *out,
                                                     gsize                      len);
GBytes      *_sotto_relay_json_get_base64_bytes     (JsonObject                *object,
                                                     const char                *name);
GArray      *_sotto_relay_json_get_device_list      (JsonObject                *object,
                                                     const char                *name);
void         _sotto_relay_json_add_key_batch        (JsonBuilder               *builder,
                                                     const SottoKeyBatch       *batch);
void         _sotto_relay_json_add_send             (JsonBuilder               *builder,
                                                     gint64                     timestamp,
                                                     GPtrArray                 *envelopes);

/* sotto-relay-client-socket.c */
GHashTable  *_sotto_relay_socket_sends_new          (void);
void         _sotto_relay_client_send_on_socket     (SottoRelayClient          *self,
                                                     GTask                     *task,
                                                     const char                *uuid,
                                                     gint64                     timestamp,
                                                     GPtrArray                 *envelopes);
void         _sotto_relay_client_network_changed_cb (SottoRelayClient          *self,
                                                     gboolean                   available,
                                                     GNetworkMonitor           *monitor);

G_END_DECLS
