/* sotto-relay-client-http.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-bounded-input-private.h"
#include "sotto-relay-client-internal-private.h"

/* The relay's HTTP requests: one request per call, with JSON in and
 * out, its answer read under a bound and turned into a JSON object or a
 * #SottoRelayError. */

void
_sotto_relay_error_from_response (guint        status,
                                  JsonObject  *body,
                                  GError     **error)
{
  const char *code = body != NULL ? _sotto_relay_json_get_string (body, "error") : NULL;
  const char *message = body != NULL ? _sotto_relay_json_get_string (body, "message") : NULL;
  g_autofree char *detail = NULL;
  int error_code;

  if (message == NULL)
    message = soup_status_get_phrase (status);
  if (code == NULL)
    code = "";

  if (status == 401)
    error_code = SOTTO_RELAY_ERROR_UNAUTHORIZED;
  else if (status == 404)
    error_code = SOTTO_RELAY_ERROR_NOT_FOUND;
  else if (status == 409 && g_str_equal (code, "username-taken"))
    error_code = SOTTO_RELAY_ERROR_USERNAME_TAKEN;
  else if (status == 409 && g_str_equal (code, "device-mismatch"))
    error_code = SOTTO_RELAY_ERROR_DEVICE_MISMATCH;
  else if (status == 410)
    error_code = SOTTO_RELAY_ERROR_STALE_DEVICES;
  else if (status == 403)
    error_code = SOTTO_RELAY_ERROR_REGISTRATION_CLOSED;
  else if (status == 429)
    error_code = SOTTO_RELAY_ERROR_RATE_LIMITED;
  else if (status >= 500)
    error_code = SOTTO_RELAY_ERROR_UNAVAILABLE;
  else if (status == 400 || status == 411 || status == 413)
    error_code = SOTTO_RELAY_ERROR_BAD_REQUEST;
  else
    error_code = SOTTO_RELAY_ERROR_FAILED;

  /* The relay's messages never repeat the values it was sent, so they
   * can be shown as they are. */
  detail = g_strdup_printf (_("The relay refused the request (%u %s): %s"),
                            status, code, message);
  g_set_error_literal (error, SOTTO_RELAY_ERROR, error_code, detail);
}

void
_sotto_relay_request_free (SottoRelayRequest *request)
{
  g_clear_object (&request->message);
  g_clear_pointer (&request->refusal, json_object_unref);
  g_free (request);
}

static void
return_bad_response (GTask      *task,
                     const char *what)
{
  GError *error = NULL;

  _sotto_relay_set_bad_response (&error, what);
  g_task_return_error (task, error);
}

/* No answer to read: the request was cancelled, the relay could not be
 * reached, or its answer was too large to read. */
void
_sotto_relay_client_return_read_error (GTask        *task,
                                       const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    return_bad_response (task, error->message);
  else
    g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                             _("Could not reach the relay: %s"), error->message);
}

static void
sotto_relay_client_body_read_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) object_body = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SottoRelayRequest *request = g_task_get_task_data (task);
  guint status = soup_message_get_status (request->message);
  const char *data;
  gsize len;

  body = _sotto_read_bounded_finish (G_INPUT_STREAM (object), result, &error);
  if (body == NULL)
    {
      _sotto_relay_client_return_read_error (task, error);
      return;
    }

  if (request->raw && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }

  data = g_bytes_get_data (body, &len);
  if (len > 0)
    object_body = _sotto_json_parse_object (data, len, &error);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (object_body == NULL)
        {
          return_bad_response (task, error != NULL ? error->message : "empty");
          return;
        }

      g_task_return_pointer (task, g_steal_pointer (&object_body), (GDestroyNotify) json_object_unref);
      return;
    }

  /* A refused send says which devices were wrong; keep that for
   * sotto_relay_client_send_finish(). */
  g_clear_error (&error);
  _sotto_relay_error_from_response (status, object_body, &error);
  request->refusal = g_steal_pointer (&object_body);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
sotto_relay_client_response_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = soup_session_send_finish (session, result, &error);
  if (stream == NULL)
    {
      _sotto_relay_client_return_read_error (task, error);
      return;
    }

  _sotto_relay_client_read_answer (task, stream);
}

/* Reads the relay's JSON answer to the request of @task from @stream,
 * and returns it, or the refusal it says, through @task. */
void
_sotto_relay_client_read_answer (GTask        *task,
                                 GInputStream *stream)
{
  SottoRelayRequest *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  /* An answer that says up front it is too large is not read at all;
   * one that does not say is cut off once it gets there. */
  headers = soup_message_get_response_headers (request->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > request->max_answer_bytes)
    {
      return_bad_response (task, "too large");
      return;
    }

  _sotto_read_bounded_async (stream, request->max_answer_bytes, g_task_get_cancellable (task),
                             sotto_relay_client_body_read_cb, g_object_ref (task));
}

/* The state of a request on its way whose answer is JSON of the usual
 * bound; the caller changes what differs. */
SottoRelayRequest *
_sotto_relay_request_new (SoupMessage *message)
{
  SottoRelayRequest *request = g_new0 (SottoRelayRequest, 1);

  request->message = g_object_ref (message);
  request->max_answer_bytes = SOTTO_RELAY_MAX_ANSWER_BYTES;
  return request;
}

/* A request to the relay at @path, with this device's credentials when
 * @authenticate; NULL, with @task returned, when it cannot be made. */
SoupMessage *
_sotto_relay_client_new_message (SottoRelayClient *self,
                                 GTask            *task,
                                 const char       *method,
                                 const char       *path,
                                 gboolean          authenticate)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *url = NULL;

  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  if (authenticate && self->authorization == NULL)
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAUTHORIZED,
                               _("This device is not registered with the relay"));
      return NULL;
    }

  url = g_strconcat (self->url, path, NULL);
  message = soup_message_new (method, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_INVALID_URL,
                               _("The relay URL %s is not valid"), self->url);
      return NULL;
    }

  if (authenticate)
    soup_message_headers_replace (soup_message_get_request_headers (message),
                                  "Authorization", self->authorization);

  return g_steal_pointer (&message);
}

/* Sends @message; the task returns the answer as a #JsonObject, or with
 * @raw as #GBytes, of at most @max_answer_bytes, or the relay's refusal. */
static void
sotto_relay_client_send_request (SottoRelayClient *self,
                                 GTask            *task,
                                 SoupMessage      *message,
                                 gboolean          raw,
                                 gsize             max_answer_bytes)
{
  SottoRelayRequest *request = _sotto_relay_request_new (message);

  request->raw = raw;
  request->max_answer_bytes = max_answer_bytes;
  g_task_set_task_data (task, request, (GDestroyNotify) _sotto_relay_request_free);
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task),
                           sotto_relay_client_response_cb,
                           g_object_ref (task));
}

/* Sends @message and returns its JSON answer, or the relay's refusal,
 * through @task. */
void
_sotto_relay_client_send_message (SottoRelayClient *self,
                                  GTask            *task,
                                  SoupMessage      *message)
{
  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  sotto_relay_client_send_request (self, task, message, FALSE, SOTTO_RELAY_MAX_ANSWER_BYTES);
}

/* Sends a request whose body, if any, is @body of @content_type; the
 * task returns the answer as a #JsonObject, or with @raw as #GBytes of
 * at most @max_answer_bytes. */
static void
sotto_relay_client_request_bytes (SottoRelayClient *self,
                                  GTask            *task,
                                  const char       *method,
                                  const char       *path,
                                  const char       *content_type,
                                  GBytes           *body,
                                  gboolean          authenticate,
                                  gboolean          raw,
                                  gsize             max_answer_bytes)
{
  g_autoptr(SoupMessage) message = NULL;

  message = _sotto_relay_client_new_message (self, task, method, path, authenticate);
  if (message == NULL)
    return;

  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);

  sotto_relay_client_send_request (self, task, message, raw, max_answer_bytes);
}

void
_sotto_relay_client_request (SottoRelayClient *self,
                             GTask            *task,
                             const char       *method,
                             const char       *path,
                             JsonNode         *body,
                             gboolean          authenticate)
{
  g_autoptr(GBytes) bytes = NULL;

  if (body != NULL)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      char *text;
      gsize len;

      json_generator_set_root (generator, body);
      text = json_generator_to_data (generator, &len);
      bytes = g_bytes_new_take (text, len);
    }

  sotto_relay_client_request_bytes (self, task, method, path, "application/json", bytes,
                                    authenticate, FALSE, SOTTO_RELAY_MAX_ANSWER_BYTES);
}

/* For sotto-relay-client-profile.c: an authenticated request with an
 * octet-stream body or none, whose answer the task returns as #GBytes
 * with @raw, as a #JsonObject without. */
void
_sotto_relay_client_request_octets (SottoRelayClient *self,
                                    GTask            *task,
                                    const char       *method,
                                    const char       *path,
                                    GBytes           *body,
                                    gboolean          raw,
                                    gsize             max_answer_bytes)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  sotto_relay_client_request_bytes (self, task, method, path, "application/octet-stream", body,
                                    TRUE, raw, max_answer_bytes);
}

/* The answer of a request made with @source_tag: a #JsonObject, or
 * #GBytes for a raw one. */
gpointer
_sotto_relay_client_propagate (SottoRelayClient  *self,
                               GAsyncResult      *result,
                               gpointer           source_tag,
                               GError           **error)
{
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
_sotto_relay_client_propagate_object (SottoRelayClient  *self,
                                      GAsyncResult      *result,
                                      gpointer           source_tag,
                                      GError           **error)
{
  return _sotto_relay_client_propagate (self, result, source_tag, error);
}

/* For a request whose answer says only that it was done: whether it was. */
gboolean
_sotto_relay_client_propagate_done (SottoRelayClient  *self,
                                    GAsyncResult      *result,
                                    gpointer           source_tag,
                                    GError           **error)
{
  g_autoptr(JsonObject) object = NULL;

  object = _sotto_relay_client_propagate_object (self, result, source_tag, error);

  return object != NULL;
}
