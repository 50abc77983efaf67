/* sotto-peer.c: the session core behind a JSON-lines interface
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-peer"

#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "sotto-peer-private.h"

/* The interop tests drive this program from Node, one request per line,
 * and compare its answers with libsignal's.  It must answer every line,
 * however broken, with exactly one line, so that a test waiting for a
 * response never hangs and a bad request never ends the process. */

static const SottoPeerOp *const op_tables[] = {
  sotto_peer_primitive_ops,
  sotto_peer_session_ops,
  sotto_peer_group_ops,
  sotto_peer_sealed_ops,
  sotto_peer_attachment_ops,
};

G_DEFINE_QUARK (sotto-peer-error-quark, sotto_peer_error)
G_DEFINE_QUARK (sotto-peer-core-error-quark, sotto_peer_core_error)

static const char *const peer_error_codes[] = {
  [SOTTO_PEER_ERROR_MALFORMED_REQUEST] = "malformed_request",
  [SOTTO_PEER_ERROR_UNKNOWN_OP] = "unknown_op",
  [SOTTO_PEER_ERROR_BAD_STATE] = "bad_state",
  [SOTTO_PEER_ERROR_IO] = "io",
};

const char *
sotto_peer_error_code (const GError *error)
{
  g_assert (error != NULL);

  if (error->domain == SOTTO_PEER_CORE_ERROR)
    return sp_error_code (error->code);

  if (error->domain == SOTTO_PEER_ERROR
      && error->code >= 0
      && (gsize) error->code < G_N_ELEMENTS (peer_error_codes))
    return peer_error_codes[error->code];

  /* Only the two domains above reach the main loop; anything else is a
   * bug in a handler, reported rather than hidden. */
  return "internal";
}

gboolean
sotto_peer_check (int      result,
                  GError **error)
{
  if (result == SP_OK)
    return TRUE;

  g_set_error_literal (error, SOTTO_PEER_CORE_ERROR, result, sp_strerror (result));
  return FALSE;
}

static JsonNode *
get_member (JsonObject  *request,
            const char  *member,
            GType        type,
            const char  *what,
            GError     **error)
{
  JsonNode *node = json_object_get_member (request, member);

  if (node == NULL)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "Missing member “%s”", member);
      return NULL;
    }

  if (type == JSON_TYPE_OBJECT
      ? !JSON_NODE_HOLDS_OBJECT (node)
      : !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "Member “%s” must be %s", member, what);
      return NULL;
    }

  return node;
}

gpointer
sotto_peer_secret_new (gsize size)
{
  gpointer memory = sodium_malloc (size);

  if (memory == NULL)
    g_error ("Out of guarded memory");
  return memory;
}

gboolean
sotto_peer_decode_hex (const char *hex,
                       gsize       hex_len,
                       guint8     *out,
                       gsize       len)
{
  /* Without a pointer to report where it stopped, sodium_hex2bin() fails
   * unless it has read all @hex_len characters as hex digits. */
  return hex_len == 2 * len && sodium_hex2bin (out, len, hex, hex_len, NULL, NULL, NULL) == 0;
}

/* Checks that @member is a string of hex digits, in pairs, and returns it
 * and the number of bytes it encodes.  The check comes before decoding so
 * that a bad string leaves the caller's output untouched. */
static const char *
get_hex_string (JsonObject  *request,
                const char  *member,
                gsize       *len,
                GError     **error)
{
  JsonNode *node = get_member (request, member, G_TYPE_STRING, "a hex string", error);
  const char *hex;
  gsize hex_len;

  if (node == NULL)
    return NULL;

  hex = json_node_get_string (node);
  hex_len = strlen (hex);
  if (hex_len % 2 != 0 || strspn (hex, "0123456789abcdefABCDEF") != hex_len)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "Member “%s” is not a hex string", member);
      return NULL;
    }

  *len = hex_len / 2;
  return hex;
}

/* @hex has been checked by get_hex_string(). */
static void
hex_decode (const char *hex,
            guint8     *out,
            gsize       len)
{
  if (!sotto_peer_decode_hex (hex, 2 * len, out, len))
    g_assert_not_reached ();
}

guint8 *
sotto_peer_get_hex (JsonObject  *request,
                    const char  *member,
                    gsize       *len,
                    GError     **error)
{
  gsize decoded;
  const char *hex = get_hex_string (request, member, &decoded, error);
  guint8 *out;

  if (hex == NULL)
    return NULL;

  /* One spare byte so that "" still gives a real allocation. */
  out = g_malloc (decoded + 1);
  hex_decode (hex, out, decoded);
  *len = decoded;
  return out;
}

gboolean
sotto_peer_get_hex_fixed (JsonObject  *request,
                          const char  *member,
                          guint8      *out,
                          gsize        len,
                          GError     **error)
{
  gsize decoded;
  const char *hex = get_hex_string (request, member, &decoded, error);

  if (hex == NULL)
    return FALSE;

  if (decoded != len)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "Member “%s” must be %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                   member, len, decoded);
      return FALSE;
    }

  hex_decode (hex, out, len);
  return TRUE;
}

gboolean
sotto_peer_get_uint (JsonObject  *request,
                     const char  *member,
                     guint64      max,
                     guint64     *out,
                     GError     **error)
{
  JsonNode *node = get_member (request, member, G_TYPE_INT64, "an integer", error);
  gint64 value;

  if (node == NULL)
    return FALSE;

  value = json_node_get_int (node);
  if (value < 0 || (guint64) value > max)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "Member “%s” must lie between 0 and %" G_GUINT64_FORMAT, member, max);
      return FALSE;
    }

  *out = (guint64) value;
  return TRUE;
}

gboolean
sotto_peer_get_bool (JsonObject  *request,
                     const char  *member,
                     gboolean    *out,
                     GError     **error)
{
  JsonNode *node = get_member (request, member, G_TYPE_BOOLEAN, "true or false", error);

  if (node == NULL)
    return FALSE;

  *out = json_node_get_boolean (node);
  return TRUE;
}

const char *
sotto_peer_get_string (JsonObject  *request,
                       const char  *member,
                       GError     **error)
{
  JsonNode *node = get_member (request, member, G_TYPE_STRING, "a string", error);

  return node != NULL ? json_node_get_string (node) : NULL;
}

JsonObject *
sotto_peer_get_object (JsonObject  *request,
                       const char  *member,
                       GError     **error)
{
  JsonNode *node = get_member (request, member, JSON_TYPE_OBJECT, "an object", error);

  return node != NULL ? json_node_get_object (node) : NULL;
}

gboolean
sotto_peer_get_address (JsonObject  *request,
                        const char  *name_member,
                        const char  *device_member,
                        SpAddress   *address,
                        GError     **error)
{
  guint64 device_id;

  address->name = sotto_peer_get_string (request, name_member, error);
  if (address->name == NULL
      || !sotto_peer_get_uint (request, device_member, G_MAXUINT32, &device_id, error))
    return FALSE;
  address->device_id = (uint32_t) device_id;
  return TRUE;
}

void
sotto_peer_set_hex (JsonObject   *response,
                    const char   *member,
                    const guint8 *data,
                    gsize         len)
{
  g_autofree char *hex = g_malloc (2 * len + 1);

  sodium_bin2hex (hex, 2 * len + 1, data, len);
  json_object_set_string_member (response, member, hex);
}

static SottoPeerHandler
lookup_handler (const char *name)
{
  for (gsize t = 0; t < G_N_ELEMENTS (op_tables); t++)
    for (const SottoPeerOp *op = op_tables[t]; op->name != NULL; op++)
      if (strcmp (op->name, name) == 0)
        return op->handler;
  return NULL;
}

/* json-glib parses nested arrays and objects recursively, so a line of
 * a million '[' would overflow the stack.  Requests nest a few levels at
 * most; this scan, which skips strings, refuses deeper lines before they
 * reach the parser. */
#define MAX_NESTING 32

static gboolean
nesting_is_shallow (const char *line,
                    gsize       len)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = line[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if ((c == '[' || c == '{') && ++depth > MAX_NESTING)
        return FALSE;
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

static JsonObject *
handle_line (SottoPeer   *peer,
             const char  *line,
             gsize        len,
             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;
  JsonObject *request;
  const char *name;
  SottoPeerHandler handler;

  /* json-glib stops at an embedded NUL; the request would then be
   * silently shorter than the line, so such a line is refused. */
  if (memchr (line, '\0', len) != NULL)
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                           "The request contains a NUL byte");
      return NULL;
    }

  if (!nesting_is_shallow (line, len))
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "The request nests deeper than %d levels", MAX_NESTING);
      return NULL;
    }

  if (!json_parser_load_from_data (parser, line, (gssize) len, &parse_error))
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                   "The request is not JSON: %s", parse_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                           "The request is not a JSON object");
      return NULL;
    }

  request = json_node_get_object (root);
  name = sotto_peer_get_string (request, "op", error);
  if (name == NULL)
    return NULL;

  handler = lookup_handler (name);
  if (handler == NULL)
    {
      g_set_error (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_UNKNOWN_OP,
                   "Unknown operation “%s”", name);
      return NULL;
    }

  return handler (peer, request, error);
}

static void
write_response (JsonObject *response)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_node_set_object (node, response);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);

  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static JsonObject *
error_response (const GError *error)
{
  JsonObject *response = json_object_new ();
  /* Parser errors may quote the bytes of the request, which need not be
   * UTF-8; the answer must stay valid JSON all the same. */
  g_autofree char *message = g_utf8_make_valid (error->message, -1);

  json_object_set_string_member (response, "error", sotto_peer_error_code (error));
  json_object_set_string_member (response, "message", message);
  return response;
}

static void
sotto_peer_clear (SottoPeer *peer)
{
  if (peer->session != NULL && peer->session_free != NULL)
    peer->session_free (peer->session);
  peer->session = NULL;
  peer->session_free = NULL;
  g_clear_pointer (&peer->state_dir, g_free);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  SottoPeer peer = { 0 };
  char *state_dir = NULL;
  char *line = NULL;
  size_t line_size = 0;
  ssize_t len;
  const GOptionEntry entries[] = {
    { "state", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Keep identity, prekeys and sessions in DIR across restarts", "DIR" },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Runs the Sotto session core for tests: one JSON request per line\n"
                                "on stdin, one JSON answer per line on stdout.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sotto-peer: %s\n", error->message);
      return EXIT_FAILURE;
    }
  peer.state_dir = state_dir;

  if (sp_init () != SP_OK)
    {
      g_printerr ("sotto-peer: the cryptographic libraries failed to initialise\n");
      sotto_peer_clear (&peer);
      return EXIT_FAILURE;
    }

  while ((len = getline (&line, &line_size, stdin)) >= 0)
    {
      g_autoptr(JsonObject) response = NULL;
      g_autoptr(GError) request_error = NULL;

      if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';

      response = handle_line (&peer, line, (gsize) len, &request_error);
      if (response == NULL)
        {
          g_assert (request_error != NULL);
          response = error_response (request_error);
        }
      write_response (response);
    }

  free (line);
  sotto_peer_clear (&peer);
  return EXIT_SUCCESS;
}
