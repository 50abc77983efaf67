/* scripted-relay.h: a relay that answers what a test tells it to
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A SoupServer on loopback that plays the relay, honest or hostile:
 * every HTTP request gets the same scripted answer, and every delivery
 * socket the client opens is greeted with the frames scripted for it.
 * The tests read the fields to see what the client did. */
typedef struct
{
  SoupServer *server;
  char *url;

  /* What the client did. */
  GPtrArray *sockets;
  GPtrArray *acks;
  guint n_connections;
  char *authorization;
  char *last_body;

  /* The answer to every HTTP request: @reply with @status, or, when
   * @streamed_size is not zero, that many bytes of filler written as the
   * client reads them, so that a huge answer costs the test nothing. */
  guint status;
  char *reply;
  guint64 streamed_size;
  gboolean streamed_with_length;
  guint64 bytes_streamed;

  /* The frames the Nth socket is greeted with, a GPtrArray of GBytes
   * for each socket; sockets beyond the script get none. */
  GPtrArray *scripts;

  /* Every HTTP request, in order: "METHOD /path", and its body. */
  GPtrArray *requests;
  GPtrArray *bodies;

  /* Answers for requests whose path starts with a prefix, tried before
   * the one above (scripted_relay_route()). */
  GPtrArray *routes;
} ScriptedRelay;

ScriptedRelay *scripted_relay_new              (void);
void           scripted_relay_free             (ScriptedRelay *relay);
void           scripted_relay_set_reply        (ScriptedRelay *relay,
                                                guint          status,
                                                const char    *reply);
void           scripted_relay_stream_reply     (ScriptedRelay *relay,
                                                guint64        size,
                                                gboolean       with_length);
void           scripted_relay_route            (ScriptedRelay *relay,
                                                const char    *method,
                                                const char    *prefix,
                                                guint          times,
                                                guint          status,
                                                const char    *reply);
guint          scripted_relay_count_requests   (ScriptedRelay *relay,
                                                const char    *request_prefix);
void           scripted_relay_script_socket    (ScriptedRelay *relay,
                                                GBytes        *first_frame,
                                                ...) G_GNUC_NULL_TERMINATED;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScriptedRelay, scripted_relay_free)

G_END_DECLS
