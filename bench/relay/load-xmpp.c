/* load-xmpp.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The XMPP target of the load generator, for comparing with an XMPP
 * server that already runs on loopback with the users senderN and
 * receiverN (run-bench.sh starts a private Prosody).  Every sender and
 * receiver logs in over plain TCP with SASL PLAIN and binds a resource;
 * senders write plain <message> stanzas to their receiver's full JID.
 * XMPP has no acknowledgement in this exchange, so a message counts as
 * delivered when the receiver reads it; nothing is stored on the way.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "load.h"

#define RESOURCE "load"

typedef struct
{
  LoadTarget  parent;
  char       *domain;
  char       *password;
} XmppTarget;

static void
open_stream (XmppTarget *self,
             int         fd,
             GString    *in)
{
  g_autofree char *header = g_strdup_printf ("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                                             "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
                                             self->domain);

  g_string_truncate (in, 0);
  load_write_blocking (fd, header, strlen (header));
  load_read_until (fd, in, "</stream:features>");
}

static void
authenticate (XmppTarget *self,
              int         fd,
              GString    *in,
              const char *user)
{
  g_autofree char *plain = g_strdup_printf ("%c%s%c%s", 0, user, 0, self->password);
  g_autofree char *encoded = g_base64_encode ((const guchar *) plain, 2 + strlen (user) + strlen (self->password));
  g_autofree char *auth = g_strdup_printf ("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>",
                                           encoded);

  g_string_truncate (in, 0);
  load_write_blocking (fd, auth, strlen (auth));
  /* Both <success/> and <failure> carry the SASL namespace. */
  load_read_until (fd, in, "xmpp-sasl'");
  if (strstr (in->str, "<success") == NULL)
    g_error ("the XMPP server refused the login of %s", user);
}

static void
bind_resource (int      fd,
               GString *in)
{
  static const char bind[] = "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                             "<resource>" RESOURCE "</resource></bind></iq>";

  g_string_truncate (in, 0);
  load_write_blocking (fd, bind, strlen (bind));
  load_read_until (fd, in, "</iq>");
  if (strstr (in->str, "type='result'") == NULL)
    g_error ("the XMPP server refused to bind a resource");
}

static int
login (XmppTarget *self,
       const char *user)
{
  int fd = load_connect (self->parent.port);
  g_autoptr(GString) in = g_string_new (NULL);

  open_stream (self, fd, in);
  authenticate (self, fd, in, user);
  open_stream (self, fd, in);
  bind_resource (fd, in);
  return fd;
}

static void
set_message (XmppTarget *self,
             LoadPair   *pair)
{
  guint8 content[LOAD_CONTENT_BYTES];
  g_autofree char *encoded = NULL;
  char *stanza;

  memset (content, 'x', sizeof content);
  encoded = g_base64_encode (content, sizeof content);
  stanza = g_strdup_printf ("<message to='receiver%u@%s/" RESOURCE "' type='chat' id='m'>"
                            "<body>%s</body></message>", pair->index, self->domain, encoded);
  load_message_set (pair, stanza, strlen (stanza), encoded);
}

static void
xmpp_prepare (LoadTarget *target,
              LoadPair   *pairs,
              guint       n_pairs)
{
  XmppTarget *self = (XmppTarget *) target;

  for (guint p = 0; p < n_pairs; p++)
    {
      g_autofree char *sender = g_strdup_printf ("sender%u", p);
      g_autofree char *receiver = g_strdup_printf ("receiver%u", p);

      set_message (self, &pairs[p]);
      load_watch (&pairs[p].senders[0], login (self, sender), LOAD_CONN_SENDER, &pairs[p]);
      load_watch (&pairs[p].receiver, login (self, receiver), LOAD_CONN_RECEIVER, &pairs[p]);
    }
}

/* Splits the input into <message> stanzas.  A receiver gets only the
 * messages of its sender; a sender gets only errors for its own. */
static void
xmpp_on_input (LoadTarget *target,
               LoadConn   *conn)
{
  gsize done = 0;
  const char *end;

  if (strstr (conn->in->str, "</stream:stream>") != NULL)
    g_error ("the XMPP server closed a stream");
  while ((end = strstr (conn->in->str + done, "</message>")) != NULL)
    {
      const char *stanza = conn->in->str + done;
      const char *body = g_strstr_len (stanza, end - stanza, "<body>");

      done = (gsize) (end - conn->in->str) + strlen ("</message>");
      if (conn->role == LOAD_CONN_SENDER || body == NULL)
        {
          load_stats.errors++;
          if (conn->pair->undelivered > 0)
            conn->pair->undelivered--;
          continue;
        }
      load_received (conn->pair, body + strlen ("<body>"));
    }
  g_string_erase (conn->in, 0, (gssize) done);
}

/* An idle connection has opened its stream and read the features. */
static int
xmpp_open_idle (LoadTarget *target)
{
  int fd = load_connect (target->port);
  g_autoptr(GString) in = g_string_new (NULL);

  open_stream ((XmppTarget *) target, fd, in);
  return fd;
}

static void
xmpp_finish (LoadTarget *target)
{
  XmppTarget *self = (XmppTarget *) target;

  g_free (self->domain);
  g_free (self->password);
  g_free (target->name);
  g_free (self);
}

static const LoadTargetClass xmpp_class = {
  .prepare = xmpp_prepare,
  .on_input = xmpp_on_input,
  .open_idle = xmpp_open_idle,
  .finish = xmpp_finish,
};

LoadTarget *
load_xmpp_new (const char *name,
               guint16     port,
               pid_t       pid,
               const char *domain,
               const char *password)
{
  XmppTarget *self = g_new0 (XmppTarget, 1);

  self->parent.klass = &xmpp_class;
  self->parent.name = g_strdup (name);
  self->parent.port = port;
  self->parent.pid = pid;
  self->parent.pids[0] = pid;
  self->parent.n_pids = 1;
  self->domain = g_strdup (domain);
  self->password = g_strdup (password);
  return &self->parent;
}
