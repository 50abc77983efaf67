/* load-sotto.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sotto-relay target of the load generator.  It starts a relay on a
 * fresh data directory, registers the accounts, and gives every receiver
 * a WebSocket.  Senders send on a WebSocket of their own, with many
 * sends in flight, or, with --sotto-sends=http, over several HTTP/1.1
 * keep-alive connections with one send in flight each (libwebsockets 4.1
 * stalls on pipelined requests that have a body).  A message counts as
 * delivered when the receiver reads it; the receiver acknowledges what
 * it read in one message, and the relay's own metrics say how many
 * acknowledgements it has made durable.
 *
 * Given a PostgreSQL database, it starts several relay nodes on it and
 * connects each pair's receiver to another node than its sender, so that
 * every envelope crosses from one node to another through the database
 * and its notifications.
 */

#define _GNU_SOURCE   /* for memmem() */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load.h"

/* Registration hashes the password with Argon2id on the relay's hashing
 * threads; a few requests at once keep them all busy. */
#define REGISTER_PARALLEL  4
/* The relay takes up to 256 GUIDs in one acknowledgement. */
#define MAX_ACKS_PER_MESSAGE 256

typedef struct
{
  char  *uuid;
  char  *auth;                /* "Basic …" */
  guint  registration_id;
} Account;

typedef struct
{
  char    *dir;               /* its configuration and log */
  FILE    *ready;             /* its standard output */
  pid_t    pid;
  guint16  port;
  guint16  metrics_port;
} RelayNode;

typedef struct
{
  LoadTarget  parent;
  RelayNode   nodes[LOAD_MAX_PROCESSES];
  guint       n_nodes;
  gboolean    websocket_sends;
} SottoTarget;

/* Finds text in a buffer.  GLib's g_strstr_len() compares at every
 * position, which made it most of the load generator's CPU; glibc's
 * memmem() skips ahead. */
static const char *
find (const char *data,
      gsize       length,
      const char *needle)
{
  return memmem (data, length, needle, strlen (needle));
}

/* Returns the length of the complete HTTP response at the start of
 * data, or 0 while it is incomplete; sets its status and body. */
static gsize
http_complete (const char  *data,
               gsize        length,
               guint       *status,
               const char **body)
{
  const char *end = find (data, length, "\r\n\r\n");
  const char *content_length;
  gsize header_length;
  gsize body_length = 0;

  if (end == NULL)
    return 0;
  header_length = (gsize) (end - data) + 4;
  /* libwebsockets writes header names in lower case. */
  content_length = find (data, header_length, "content-length:");
  if (content_length != NULL)
    body_length = (gsize) g_ascii_strtoull (content_length + strlen ("content-length:"), NULL, 10);
  if (length < header_length + body_length)
    return 0;
  *status = (guint) g_ascii_strtoull (data + strlen ("HTTP/1.1 "), NULL, 10);
  *body = data + header_length;
  return header_length + body_length;
}

static char *
http_request (const char *method,
              const char *path,
              const char *auth,
              const char *body)
{
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: localhost\r\n%s%s%s"
                          "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                          method, path, auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
                          auth != NULL ? "\r\n" : "", body != NULL ? strlen (body) : 0,
                          body != NULL ? body : "");
}

/* Reads one response from a blocking socket; returns its body. */
static char *
http_read (int    fd,
           guint *status)
{
  g_autoptr(GString) in = g_string_new (NULL);
  const char *body = NULL;
  gsize length;
  char chunk[16384];

  while ((length = http_complete (in->str, in->len, status, &body)) == 0)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);

      if (n <= 0)
        g_error ("the relay closed a connection during setup");
      g_string_append_len (in, chunk, n);
    }
  return g_strndup (body, length - (gsize) (body - in->str));
}

static char *
http_blocking (guint16     port,
               const char *method,
               const char *path,
               guint      *status)
{
  int fd = load_connect (port);
  g_autofree char *request = http_request (method, path, NULL, NULL);
  char *body;

  load_write_blocking (fd, request, strlen (request));
  body = http_read (fd, status);
  close (fd);
  return body;
}

static char *
register_body (Account    *account,
               const char *username,
               const char *password)
{
  g_autofree char *identity = load_random_base64 (33, 5);
  g_autofree char *signed_key = load_random_base64 (33, 5);
  g_autofree char *signature = load_random_base64 (64, -1);
  g_autofree char *kyber = load_random_base64 (1569, 8);

  account->registration_id = (guint) g_random_int_range (1, 16381);
  return g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"registrationId\":%u,\"identityKey\":\"%s\","
                          "\"signedPreKey\":{\"keyId\":1,\"publicKey\":\"%s\",\"signature\":\"%s\"},"
                          "\"pqLastResortPreKey\":{\"keyId\":2,\"publicKey\":\"%s\",\"signature\":\"%s\"}}",
                          username, password, account->registration_id, identity, signed_key, signature,
                          kyber, signature);
}

static void
register_finish (Account    *account,
                 int         fd,
                 const char *password)
{
  guint status;
  g_autofree char *reply = http_read (fd, &status);
  g_autofree char *plain = NULL;
  g_autofree char *encoded = NULL;
  const char *uuid = strstr (reply, "\"uuid\":\"");

  if (status != 200 || uuid == NULL)
    g_error ("registration failed with status %u", status);
  account->uuid = g_strndup (uuid + strlen ("\"uuid\":\""), 36);
  plain = g_strdup_printf ("%s.1:%s", account->uuid, password);
  encoded = g_base64_encode ((const guchar *) plain, strlen (plain));
  account->auth = g_strconcat ("Basic ", encoded, NULL);
}

/* Registers accounts[i] as NAME(i), a few at a time. */
static void
register_accounts (SottoTarget *self,
                   Account     *accounts,
                   guint        n_accounts,
                   char      *(*name) (guint index))
{
  for (guint first = 0; first < n_accounts; first += REGISTER_PARALLEL)
    {
      guint n = MIN (REGISTER_PARALLEL, n_accounts - first);
      int fds[REGISTER_PARALLEL];
      char *passwords[REGISTER_PARALLEL];

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *username = name (first + i);
          g_autofree char *body = NULL;
          g_autofree char *request = NULL;

          passwords[i] = g_strdup_printf ("bench-password-%08x", g_random_int ());
          body = register_body (&accounts[first + i], username, passwords[i]);
          request = http_request ("POST", "/v1/accounts", NULL, body);
          fds[i] = load_connect (self->parent.port);
          load_write_blocking (fds[i], request, strlen (request));
        }
      for (guint i = 0; i < n; i++)
        {
          register_finish (&accounts[first + i], fds[i], passwords[i]);
          close (fds[i]);
          g_free (passwords[i]);
        }
    }
}

static char *
sender_name (guint index)
{
  return g_strdup_printf ("sender%u", index);
}

static char *
receiver_name (guint index)
{
  return g_strdup_printf ("receiver%u", index);
}

static void
open_websocket (guint16       port,
                LoadConn     *conn,
                LoadConnRole  role,
                LoadPair     *pair,
                Account      *account)
{
  int fd = load_connect (port);
  g_autofree char *request = g_strdup_printf ("GET /v1/websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: %s\r\n\r\n",
                                              account->auth);
  g_autoptr(GString) in = g_string_new (NULL);
  char c;

  load_write_blocking (fd, request, strlen (request));
  /* Read the 101 answer byte by byte so that no frame is consumed with it. */
  while (!g_str_has_suffix (in->str, "\r\n\r\n"))
    {
      if (read (fd, &c, 1) != 1)
        g_error ("the WebSocket handshake failed");
      g_string_append_c (in, c);
    }
  if (!g_str_has_prefix (in->str, "HTTP/1.1 101"))
    g_error ("the relay refused the WebSocket");
  load_watch (conn, fd, role, pair);
}

#define WS_OPCODE_TEXT 0x1
#define WS_OPCODE_PING 0x9
#define WS_OPCODE_PONG 0xa

/* Appends a client's frame, whole (FIN set).  Clients must mask what
 * they send; the mask key is all zeroes here, which leaves the payload
 * as it is, so that the load generator need not rewrite every byte it
 * sends. */
static void
append_frame_of (GString    *out,
                 guint8      opcode,
                 const char *payload,
                 gsize       length)
{
  static const guint8 zero_mask[4] = { 0 };
  guint8 header[4];

  g_assert (length <= G_MAXUINT16);
  header[0] = 0x80 | opcode;
  if (length < 126)
    {
      header[1] = 0x80 | (guint8) length;
      g_string_append_len (out, (const char *) header, 2);
    }
  else
    {
      header[1] = 0x80 | 126;
      header[2] = (guint8) (length >> 8);
      header[3] = (guint8) length;
      g_string_append_len (out, (const char *) header, 4);
    }
  g_string_append_len (out, (const char *) zero_mask, sizeof zero_mask);
  g_string_append_len (out, payload, (gssize) length);
}

static void
append_frame (GString    *out,
              const char *text,
              gsize       length)
{
  append_frame_of (out, WS_OPCODE_TEXT, text, length);
}

/* Every send of a pair is the same request or message; only the stamp
 * at the start of its content changes.  The id of a WebSocket send only
 * has to let the sender match the response, which comes in order. */
static void
set_send_request (SottoTarget *self,
                  LoadPair    *pair,
                  Account     *sender,
                  Account     *receiver)
{
  guint8 content[LOAD_CONTENT_BYTES];
  g_autofree char *encoded = NULL;
  g_autofree char *messages = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  GString *frame;

  memset (content, 'x', sizeof content);
  encoded = g_base64_encode (content, sizeof content);
  messages = g_strdup_printf ("\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
                              "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]",
                              receiver->registration_id, encoded);
  if (!self->websocket_sends)
    {
      char *request;

      body = g_strdup_printf ("{\"timestamp\":1,%s}", messages);
      path = g_strdup_printf ("/v1/messages/%s", receiver->uuid);
      request = http_request ("PUT", path, sender->auth, body);
      load_message_set (pair, request, strlen (request), encoded);
      return;
    }
  body = g_strdup_printf ("{\"type\":\"send\",\"id\":%u,\"destination\":\"%s\",\"timestamp\":1,%s}",
                          pair->index, receiver->uuid, messages);
  frame = g_string_new (NULL);
  append_frame (frame, body, strlen (body));
  load_message_set (pair, frame->str, frame->len, encoded);
  g_string_free (frame, FALSE);
}

static void
wait_drained (LoadConn *conn)
{
  int flags = fcntl (conn->fd, F_GETFL);

  fcntl (conn->fd, F_SETFL, flags & ~O_NONBLOCK);
  load_read_until (conn->fd, conn->in, "{\"type\":\"queue-empty\"}");
  fcntl (conn->fd, F_SETFL, flags);
  g_string_truncate (conn->in, 0);
}

static void
account_clear (Account *account)
{
  g_free (account->uuid);
  g_free (account->auth);
}

static void
sotto_prepare (LoadTarget *target,
               LoadPair   *pairs,
               guint       n_pairs)
{
  SottoTarget *self = (SottoTarget *) target;
  g_autofree Account *senders = g_new0 (Account, n_pairs);
  g_autofree Account *receivers = g_new0 (Account, n_pairs);

  register_accounts (self, senders, n_pairs, sender_name);
  register_accounts (self, receivers, n_pairs, receiver_name);
  /* Connect only once every account exists: the relay drops connections
   * that stay silent for 20 s before their first request. */
  for (guint p = 0; p < n_pairs; p++)
    {
      /* With several nodes, the receiver's node is the one after its
       * sender's, so that every envelope crosses between nodes. */
      guint16 sender_port = self->nodes[p % self->n_nodes].port;
      guint16 receiver_port = self->nodes[(p + 1) % self->n_nodes].port;

      set_send_request (self, &pairs[p], &senders[p], &receivers[p]);
      /* A device has one WebSocket: a second one would replace the first. */
      if (self->websocket_sends)
        open_websocket (sender_port, &pairs[p].senders[0], LOAD_CONN_SENDER, &pairs[p], &senders[p]);
      else
        for (guint s = 0; s < pairs[p].n_senders; s++)
          load_watch (&pairs[p].senders[s], load_connect (sender_port), LOAD_CONN_SENDER, &pairs[p]);
      open_websocket (receiver_port, &pairs[p].receiver, LOAD_CONN_RECEIVER, &pairs[p], &receivers[p]);
      account_clear (&senders[p]);
      account_clear (&receivers[p]);
    }
  /* A WebSocket authenticates with an Argon2id check on the relay's
   * hashing threads, which must not run into the measurements: wait
   * until every one has said that its (empty) queue is drained. */
  for (guint p = 0; p < n_pairs; p++)
    {
      if (self->websocket_sends)
        wait_drained (&pairs[p].senders[0]);
      wait_drained (&pairs[p].receiver);
    }
}

static void
on_responses (LoadConn *conn)
{
  gsize done = 0;
  gsize length;
  guint status;
  const char *body;

  while ((length = http_complete (conn->in->str + done, conn->in->len - done, &status, &body)) > 0)
    {
      done += length;
      load_answered (conn, status == 200);
    }
  g_string_erase (conn->in, 0, (gssize) done);
}

/* Returns the payload length of the complete frame at the start of data
 * and its header length, or -1 while it is incomplete. */
static gssize
ws_frame (const guint8 *data,
          gsize         length,
          gsize        *header)
{
  gsize payload;

  if (length < 2)
    return -1;
  payload = data[1] & 0x7f;
  *header = 2;
  if (payload == 126)
    {
      if (length < 4)
        return -1;
      payload = (gsize) data[2] << 8 | data[3];
      *header = 4;
    }
  else if (payload == 127)
    g_error ("unexpected huge WebSocket frame");
  if (length < *header + payload)
    return -1;
  return (gssize) payload;
}

/* Closes the acknowledgement being gathered in `acks` and frames it. */
static void
end_acks (GString *acks,
          guint   *n_acks,
          GString *frames)
{
  if (*n_acks == 0)
    return;
  g_string_append (acks, "]}");
  append_frame (frames, acks->str, acks->len);
  g_string_truncate (acks, 0);
  *n_acks = 0;
}

/* Reads every complete frame.  A receiver acknowledges every envelope it
 * read at once, as a client that stores a batch would; a sender counts
 * the responses to its sends. */
static void
on_frames (LoadConn *conn)
{
  g_autoptr(GString) acks = g_string_new (NULL);
  g_autoptr(GString) frames = g_string_new (NULL);
  guint n_acks = 0;
  gsize done = 0;
  gsize header;
  gssize payload;

  while ((payload = ws_frame ((const guint8 *) conn->in->str + done, conn->in->len - done, &header)) >= 0)
    {
      const char *text = conn->in->str + done + header;
      const char *status = find (text, (gsize) payload, "\"status\":");
      const char *guid = find (text, (gsize) payload, "\"guid\":\"");
      const char *content = find (text, (gsize) payload, "\"content\":\"");
      guint8 opcode = (guint8) conn->in->str[done] & 0x0f;

      done += header + (gsize) payload;
      /* The relay pings a client that has said nothing for a while, and
       * closes its WebSocket unless it answers. */
      if (opcode == WS_OPCODE_PING)
        {
          append_frame_of (frames, WS_OPCODE_PONG, text, (gsize) payload);
          continue;
        }
      if (find (text, (gsize) payload, "\"type\":\"close\"") != NULL)
        g_error ("the relay closed a WebSocket: %.*s", (int) payload, text);
      if (conn->role == LOAD_CONN_SENDER)
        {
          if (status != NULL)
            load_answered (conn, atoi (status + strlen ("\"status\":")) == 200);
          continue;
        }
      if (guid == NULL || content == NULL)
        continue;
      g_string_append (acks, n_acks == 0 ? "{\"type\":\"ack\",\"guids\":[\"" : ",\"");
      g_string_append_len (acks, guid + strlen ("\"guid\":\""), 36);
      g_string_append_c (acks, '"');
      if (++n_acks == MAX_ACKS_PER_MESSAGE)
        end_acks (acks, &n_acks, frames);
      load_received (conn->pair, content + strlen ("\"content\":\""));
    }
  g_string_erase (conn->in, 0, (gssize) done);
  end_acks (acks, &n_acks, frames);
  if (frames->len > 0)
    load_conn_write (conn, frames->str, frames->len);
}

static void
sotto_on_input (LoadTarget *target,
                LoadConn   *conn)
{
  SottoTarget *self = (SottoTarget *) target;

  if (conn->role == LOAD_CONN_SENDER && !self->websocket_sends)
    on_responses (conn);
  else
    on_frames (conn);
}

/* An idle connection is an HTTP keep-alive connection that made one
 * request. */
static int
sotto_open_idle (LoadTarget *target)
{
  int fd = load_connect (target->port);
  g_autofree char *request = http_request ("GET", "/v1/health", NULL, NULL);
  g_autofree char *body = NULL;
  guint status;

  load_write_blocking (fd, request, strlen (request));
  body = http_read (fd, &status);
  if (status != 200)
    g_error ("health check failed with status %u", status);
  return fd;
}

static double
metric (const char *text,
        const char *name)
{
  g_autofree char *prefix = g_strconcat ("\n", name, " ", NULL);
  const char *line = strstr (text, prefix);

  if (line == NULL)
    g_error ("the relay's metrics lack %s", name);
  return g_ascii_strtod (line + strlen (prefix), NULL);
}

/* Reads a histogram; leaves it empty when the relay has none of that
 * name (an older relay measured for comparison). */
static void
histogram (const char    *text,
           const char    *name,
           LoadHistogram *out)
{
  g_autofree char *prefix = g_strconcat ("\n", name, "_bucket{le=\"", NULL);
  const char *line = text;

  out->n_buckets = 0;
  while ((line = strstr (line, prefix)) != NULL && out->n_buckets < LOAD_HISTOGRAM_BUCKETS)
    {
      const char *bound = line + strlen (prefix);
      char *end;

      out->bounds[out->n_buckets] = g_str_has_prefix (bound, "+Inf") ? G_MAXDOUBLE : g_ascii_strtod (bound, NULL);
      end = strstr (bound, "} ");
      if (end == NULL)
        g_error ("the relay's metrics have a malformed %s", name);
      out->counts[out->n_buckets++] = g_ascii_strtoull (end + 2, NULL, 10);
      line = end;
    }
}

/* Sums the counters of every node. */
static void
sotto_counters (LoadTarget         *target,
                LoadServerCounters *counters)
{
  SottoTarget *self = (SottoTarget *) target;

  *counters = (LoadServerCounters) { 0 };
  for (guint n = 0; n < self->n_nodes; n++)
    {
      guint status;
      g_autofree char *text = http_blocking (self->nodes[n].metrics_port, "GET", "/metrics", &status);

      if (status != 200)
        g_error ("metrics failed with status %u", status);
      counters->acknowledged += (guint64) metric (text, "sotto_relay_envelopes_delivered_total");
      counters->commits += (guint64) metric (text, "sotto_relay_commit_seconds_count");
      counters->ops += (guint64) metric (text, "sotto_relay_storage_ops_total");
      counters->commit_seconds += metric (text, "sotto_relay_commit_seconds_sum");
      if (n == 0)
        {
          histogram (text, "sotto_relay_commit_seconds", &counters->commit_histogram);
          histogram (text, "sotto_relay_send_storage_seconds", &counters->storage_histogram);
          histogram (text, "sotto_relay_send_handback_seconds", &counters->handback_histogram);
        }
    }
}

static void
remove_data_dir (const char *dir)
{
  const char *names[] = { "relay.db", "relay.db-wal", "relay.db-shm", "relay.conf", "relay.lock", "relay.log",
                          "password-digest.key" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

/* Waits for a node sent SIGTERM to exit; one that has not after 20 s,
 * twice what a relay's drain may take (docs/deploy.md, "Signals"), is
 * killed, so that the bench ends whatever its relays do. */
static void
reap_node (RelayNode *node)
{
  for (guint tries = 0; tries < 200; tries++)
    {
      if (waitpid (node->pid, NULL, WNOHANG) == node->pid)
        return;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_printerr ("# relay %d did not stop within 20 s of SIGTERM; killing it\n", node->pid);
  kill (node->pid, SIGKILL);
  waitpid (node->pid, NULL, 0);
}

static void
sotto_finish (LoadTarget *target)
{
  SottoTarget *self = (SottoTarget *) target;

  for (guint n = 0; n < self->n_nodes; n++)
    kill (self->nodes[n].pid, SIGTERM);
  for (guint n = 0; n < self->n_nodes; n++)
    {
      reap_node (&self->nodes[n]);
      fclose (self->nodes[n].ready);
      remove_data_dir (self->nodes[n].dir);
      g_free (self->nodes[n].dir);
    }
  g_free (target->name);
  g_free (self);
}

static const LoadTargetClass sotto_class = {
  .prepare = sotto_prepare,
  .on_input = sotto_on_input,
  .open_idle = sotto_open_idle,
  .counters = sotto_counters,
  .finish = sotto_finish,
};

/* Limits out of the way: the benchmark measures throughput, not the
 * rate limits that would protect a public relay.  Nor does it measure
 * liveness: the connections of one target sit silent, their pings
 * unanswered, while the next target is set up, which takes minutes on
 * a loaded machine (see relay-load-rounds.c). */
static const char relay_conf[] =
  "[limits]\nmax-connections=20000\nmax-queue-envelopes=1000000\nhash-queue-limit=1000\n"
  "websocket-ping-seconds=3600\nidle-timeout-seconds=3600\n"
  "max-queue-bytes=100000000000\nmax-queue-envelopes-per-sender=1000000\n"
  "max-queue-bytes-per-sender=100000000000\n"
  "[rate-limits]\naddress-requests=1000000/1000000\naddress-registrations=1000000/1000000\n"
  "address-auth-failures=1000000/1000000\naddress-websockets=1000000/1000000\n"
  "account-sends=1000000/1000000\naccount-password-checks=1000000/1000000\n"
  "pair-sends=1000000/1000000\n";

/* Gives a node the password digest key of the first one, as
 * docs/deploy.md tells operators to: the digests that one node stored
 * then spare the others an Argon2id check at every login.  Without it,
 * every receiver's WebSocket on a node but the first waited for a
 * check, which under load took longer than the relay lets a silent
 * WebSocket live, and the relay closed it before it was set up. */
static void
share_digest_key (const char *from_dir,
                  const char *to_dir)
{
  g_autofree char *from = g_build_filename (from_dir, "password-digest.key", NULL);
  g_autofree char *to = g_build_filename (to_dir, "password-digest.key", NULL);
  g_autofree char *key = NULL;
  gsize length;

  if (!g_file_get_contents (from, &key, &length, NULL) ||
      !g_file_set_contents_full (to, key, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL))
    g_error ("cannot give %s the first node's password digest key", to_dir);
}

/* Starts a relay on node->dir, and on the database at database_url if
 * there is one, with the password digest key of key_dir unless that is
 * NULL, and waits until it listens. */
static void
start_relay (RelayNode  *node,
             const char *binary,
             const char *database_url,
             const char *key_dir)
{
  g_autofree char *conf_path = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  int pipefd[2];
  int log_fd;
  char line[256];
  pid_t pid;

  node->dir = g_dir_make_tmp ("sotto-relay-bench-XXXXXX", NULL);
  if (node->dir == NULL)
    g_error ("cannot create a data directory");
  if (key_dir != NULL)
    share_digest_key (key_dir, node->dir);
  conf_path = g_build_filename (node->dir, "relay.conf", NULL);
  log_path = g_build_filename (node->dir, "relay.log", NULL);
  if (!g_file_set_contents (conf_path, relay_conf, -1, NULL) || pipe (pipefd) != 0 ||
      (log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
    g_error ("cannot prepare the relay's data directory");
  pid = fork ();
  if (pid == 0)
    {
      /* An aborted run must not leave a relay behind. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      dup2 (pipefd[1], STDOUT_FILENO);
      dup2 (log_fd, STDERR_FILENO);
      close (pipefd[0]);
      close (pipefd[1]);
      if (database_url != NULL)
        execl (binary, binary, "--listen", "127.0.0.1:0", "--data-dir", node->dir,
               "--metrics-listen", "127.0.0.1:0", "--database", database_url, NULL);
      else
        execl (binary, binary, "--listen", "127.0.0.1:0", "--data-dir", node->dir,
               "--metrics-listen", "127.0.0.1:0", NULL);
      _exit (127);
    }
  close (pipefd[1]);
  close (log_fd);
  /* The pipe stays open until the relay stops, so that it never writes
   * to a closed one. */
  node->ready = fdopen (pipefd[0], "r");
  if (pid < 0 || fgets (line, sizeof line, node->ready) == NULL || strrchr (line, ':') == NULL)
    g_error ("the relay did not start; see %s", log_path);
  node->pid = pid;
  node->port = (guint16) atoi (strrchr (line, ':') + 1);
  /* The startup summary, logged before the ready line, says where the
   * metrics are. */
  if (!g_file_get_contents (log_path, &log, NULL, NULL) || strstr (log, "metrics on 127.0.0.1:") == NULL)
    g_error ("the relay does not serve metrics; see %s", log_path);
  node->metrics_port = (guint16) atoi (strstr (log, "metrics on 127.0.0.1:") + strlen ("metrics on 127.0.0.1:"));
}

/* Starts n_nodes relays on the database at database_url, or one relay on
 * SQLite in its data directory if database_url is NULL.  The nodes start
 * one after the other, so that only the first one makes the schema. */
LoadTarget *
load_sotto_new (const char *name,
                const char *relay_binary,
                gboolean    websocket_sends,
                const char *database_url,
                guint       n_nodes)
{
  SottoTarget *self = g_new0 (SottoTarget, 1);

  g_assert (n_nodes >= 1 && n_nodes <= LOAD_MAX_PROCESSES);
  g_assert (database_url != NULL || n_nodes == 1);
  self->websocket_sends = websocket_sends;
  self->parent.klass = &sotto_class;
  self->parent.name = g_strdup (name);
  self->n_nodes = n_nodes;
  for (guint n = 0; n < n_nodes; n++)
    {
      start_relay (&self->nodes[n], relay_binary, database_url, n > 0 ? self->nodes[0].dir : NULL);
      self->parent.pids[n] = self->nodes[n].pid;
    }
  self->parent.n_pids = n_nodes;
  /* Registrations, idle connections and memory go to the first node. */
  self->parent.pid = self->nodes[0].pid;
  self->parent.port = self->nodes[0].port;
  return &self->parent;
}
