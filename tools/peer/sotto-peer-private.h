/* sotto-peer-private.h: the pieces shared by sotto-peer's operation tables
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sp-sender-key.h"
#include "sp-session.h"
#include "sp-store.h"

G_BEGIN_DECLS

/* sotto-peer reads one JSON request object per line and writes one JSON
 * response object per line.  Each request names its operation in "op";
 * the operation's handler receives the request object and returns the
 * response object, or NULL with @error set.  The main loop turns an error
 * into {"error": "<code>", "message": "<text>"} (see sotto_peer_error_code
 * below) and goes on with the next line. */

/* Errors of the peer itself, as opposed to errors of the core. */
#define SOTTO_PEER_ERROR (sotto_peer_error_quark ())

typedef enum {
  SOTTO_PEER_ERROR_MALFORMED_REQUEST,  /* "malformed_request": bad JSON, missing or mistyped member, bad hex */
  SOTTO_PEER_ERROR_UNKNOWN_OP,         /* "unknown_op": no handler has this name */
  SOTTO_PEER_ERROR_BAD_STATE,          /* "bad_state": the operation needs an earlier one (e.g. init) */
  SOTTO_PEER_ERROR_IO,                 /* "io": reading or writing the --state directory failed */
} SottoPeerError;

/* A core function failed: the GError code is its negative SpError value,
 * and the JSON code is sp_error_code() of it. */
#define SOTTO_PEER_CORE_ERROR (sotto_peer_core_error_quark ())

GQuark sotto_peer_error_quark (void);
GQuark sotto_peer_core_error_quark (void);

/* The process-wide context every handler receives. */
typedef struct {
  /* The directory given with --state DIR, or NULL when the peer keeps
   * everything in memory. */
  char *state_dir;

  /* The session operations keep their stores here; the main loop calls
   * @session_free on it (when both are set) before exiting. */
  gpointer session;
  GDestroyNotify session_free;
} SottoPeer;

typedef JsonObject *(*SottoPeerHandler) (SottoPeer   *peer,
                                         JsonObject  *request,
                                         GError     **error);

typedef struct {
  const char *name;
  SottoPeerHandler handler;
} SottoPeerOp;

/* Operation tables, each ended by an entry whose name is NULL.  The main
 * loop looks a request's "op" up in every table it lists. */
extern const SottoPeerOp sotto_peer_primitive_ops[];
extern const SottoPeerOp sotto_peer_session_ops[];
extern const SottoPeerOp sotto_peer_group_ops[];
extern const SottoPeerOp sotto_peer_sealed_ops[];
extern const SottoPeerOp sotto_peer_attachment_ops[];

/* The group cipher of the local device that "init" set up (or --state
 * DIR holds), on the same store as the session operations; NULL with
 * SOTTO_PEER_ERROR_BAD_STATE before "init". */
SpGroupCipher *sotto_peer_get_group_cipher (SottoPeer  *peer,
                                            GError    **error);

/* The local device that "init" set up: its address (the name stays
 * owned by the peer) and the store the ciphers use; FALSE with
 * SOTTO_PEER_ERROR_BAD_STATE before "init". */
gboolean sotto_peer_get_local (SottoPeer  *peer,
                               SpAddress  *local,
                               SpStore    *store,
                               GError    **error);

/* The session cipher for the conversation with @remote, made on first
 * use, as the session operations use it. */
SpSessionCipher *sotto_peer_get_session_cipher (SottoPeer        *peer,
                                                const SpAddress  *remote,
                                                GError          **error);

/* The JSON "error" string for @error: sp_error_code() for core errors,
 * the names documented above for peer errors. */
const char *sotto_peer_error_code (const GError *error);

/* Sets @error from a core result and returns FALSE, or returns TRUE when
 * @result is SP_OK.  Handlers write `if (!sotto_peer_check (rc, error))`. */
gboolean sotto_peer_check (int      result,
                           GError **error);

/* Request accessors.  Each sets a SOTTO_PEER_ERROR_MALFORMED_REQUEST
 * error naming the member when it is missing, of the wrong type or out
 * of range, and then leaves its outputs untouched. */

/* A lowercase or uppercase hex string; returns a newly allocated buffer
 * (never NULL, even for "") and its length. */
guint8 *sotto_peer_get_hex (JsonObject  *request,
                            const char  *member,
                            gsize       *len,
                            GError     **error);

/* A hex string that must decode to exactly @len bytes, written to @out.
 * Used for keys and nonces, so secrets need no heap copy. */
gboolean sotto_peer_get_hex_fixed (JsonObject  *request,
                                   const char  *member,
                                   guint8      *out,
                                   gsize        len,
                                   GError     **error);

/* A non-negative JSON integer no larger than @max. */
gboolean sotto_peer_get_uint (JsonObject  *request,
                              const char  *member,
                              guint64      max,
                              guint64     *out,
                              GError     **error);

gboolean sotto_peer_get_bool (JsonObject  *request,
                              const char  *member,
                              gboolean    *out,
                              GError     **error);

/* The string stays owned by @request. */
const char *sotto_peer_get_string (JsonObject  *request,
                                   const char  *member,
                                   GError     **error);

/* The object stays owned by @request. */
JsonObject *sotto_peer_get_object (JsonObject  *request,
                                   const char  *member,
                                   GError     **error);

/* An address from a string member and a device-id member.  The name
 * stays owned by @request. */
gboolean sotto_peer_get_address (JsonObject  *request,
                                 const char  *name_member,
                                 const char  *device_member,
                                 SpAddress   *address,
                                 GError     **error);

/* @size bytes of guarded memory, as the core keeps its secrets in, for
 * private keys, Kyber secrets and plaintexts; released with
 * sodium_free(), which wipes it.  Aborts when there is none left. */
gpointer sotto_peer_secret_new (gsize size);

/* Decodes the @hex_len characters at @hex, hex digits in either case,
 * into exactly @len bytes at @out; anything else fails, possibly after
 * writing part of @out. */
gboolean sotto_peer_decode_hex (const char *hex,
                                gsize       hex_len,
                                guint8     *out,
                                gsize       len);

/* Adds @member to @response as lowercase hex of @data. */
void sotto_peer_set_hex (JsonObject   *response,
                         const char   *member,
                         const guint8 *data,
                         gsize         len);

G_END_DECLS
