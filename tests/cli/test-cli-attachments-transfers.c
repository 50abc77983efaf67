/* test-cli-attachments-transfers.c: attachment transfers in one profile against a real relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's transfers seen from the models a view holds, against a
 * sotto-relay process: an upload that the relay still holds a part of
 * (as it does for a moment after a Cancel) waits for it rather than
 * fail; a picture downloaded by itself while its conversation is not
 * shown is so on the model the conversation shows later.
 */

#include "config.h"

#include <sys/socket.h>

#include "cli-attachments-test-util.h"
#include "sotto-attachment-private.h"
#include "sotto-messenger-private.h"
#include "sotto-relay-client-blob-private.h"

/* A part of an upload whose body does not come, sent by a client of its
 * own: the relay holds the upload for it, as it holds one whose client
 * cancelled it until it notices that the connection is gone, and lets go
 * of it after its body-timeout-seconds. */
typedef struct
{
  SottoRelayClient *client;
  GSocketConnection *body;     /* what the part's body is read from */
  GSocket *body_writer;        /* never written to */
  GAsyncResult *put;
} Holder;

/* Where the upload @id of @size stands, asked with @client; NULL with
 * @error while the relay holds it. */
static SottoRelayUpload *
ask_upload (SottoRelayClient  *client,
            const char        *id,
            guint64            size,
            GError           **error)
{
  g_autoptr(GAsyncResult) asked = NULL;

  _sotto_relay_client_get_upload_async (client, id, size, NULL, cli_result_cb, &asked);
  cli_wait_for (&asked);
  return _sotto_relay_client_get_upload_finish (client, asked, error);
}

static void
hold_upload (Holder         *holder,
             SottoMessenger *messenger,
             const char     *id,
             guint64         size)
{
  SottoAccount *account = sotto_messenger_get_account (messenger);
  g_autoptr(SottoRelayUpload) standing = NULL;
  g_autoptr(GSocket) body_reader = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  holder->client = sotto_relay_client_new (sotto_relay_client_get_url (_sotto_messenger_get_relay_client (messenger)),
                                           &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (holder->client, sotto_account_get_uuid (account),
                                      sotto_account_get_device_id (account), sotto_account_get_password (account));

  standing = ask_upload (holder->client, id, size, &error);
  g_assert_no_error (error);
  g_assert_false (standing->complete);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  body_reader = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  holder->body_writer = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  holder->body = g_socket_connection_factory_create_connection (body_reader);
  _sotto_relay_client_put_upload_async (holder->client, standing,
                                        g_io_stream_get_input_stream (G_IO_STREAM (holder->body)),
                                        NULL, cli_result_cb, &holder->put);

  /* The relay holds the upload once it has the part's head. */
  while (TRUE)
    {
      g_autoptr(SottoRelayUpload) held = ask_upload (holder->client, id, size, &error);

      if (held == NULL)
        break;
      g_main_context_iteration (NULL, FALSE);
    }
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UPLOAD_BUSY);
}

/* The relay gave up waiting for the part's body: the part fails, and
 * does however its body ends. */
static void
holder_clear (Holder *holder)
{
  g_assert_true (g_socket_close (holder->body_writer, NULL));
  cli_wait_for (&holder->put);
  g_assert_false (_sotto_relay_client_put_upload_finish (holder->client, holder->put, NULL));
  g_clear_object (&holder->put);
  g_clear_object (&holder->body);
  g_clear_object (&holder->body_writer);
  g_clear_object (&holder->client);
}

/* The relay still holds an earlier part of an upload cut short, as it
 * does after a Cancel until it notices that the part's connection is
 * gone, when the upload resumes (as Retry right after a Cancel does):
 * it answers 409 upload-busy, and the upload waits for it to let go of
 * the part rather than fail; then it goes whole, and its message. */
static void
test_upload_busy (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=110000000\nbody-timeout-seconds=2\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  const SottoAttachmentPointer *pointer;
  Resumed resumed = { 0 };
  Holder holder = { 0 };

  resumed_open (&resumed, test, alice, bob, "Busy");
  pointer = _sotto_attachment_get_record (resumed.attachment)->pointer;
  hold_upload (&holder, resumed.messenger, pointer->blob_id, sp_attachment_blob_size (pointer->size));

  resumed_flush (&resumed);
  g_assert_cmpint (sotto_attachment_get_state (resumed.attachment), ==, SOTTO_ATTACHMENT_STATE_SENT);
  g_assert_null (sotto_attachment_get_error (resumed.attachment));
  holder_clear (&holder);

  resumed_close (&resumed);
  cli_assert_receives (test, bob, "alice", "Busy", NULL);
}

/* What a profile in this process received. */
typedef struct
{
  SottoAttachment *picture;   /* the model the download runs on */
  gboolean last;              /* the message after the picture came */
} Received;

static void
received_cb (SottoMessenger    *messenger,
             SottoConversation *conversation,
             SottoMessage      *message,
             Received          *received)
{
  GListModel *attachments = sotto_message_get_attachments (message);

  if (received->picture == NULL && g_list_model_get_n_items (attachments) == 1)
    received->picture = g_list_model_get_item (attachments, 0);
  if (g_strcmp0 (sotto_message_get_body (message), "See above") == 0)
    received->last = TRUE;
}

/* A picture that comes while its conversation is not shown, and a
 * message after it, so that nothing holds the picture's message: the
 * picture comes down by itself on the model that the conversation shows
 * once it is opened, which follows the download to its end, rather than
 * on one that only the download holds. */
static void
test_one_model (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GBytes) png = make_png (1000, 800, MARKER);
  g_autofree char *path = write_file (test, "hill.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(SottoAttachment) shown = NULL;
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  SottoMessenger *messenger;
  SottoStore *store;
  GListModel *messages;

  /* Bob wrote first: Alice is no stranger, her pictures come by themselves. */
  cli_send_ok (test, bob, "alice", "Hi Alice");
  cli_assert_receives (test, alice, "bob", "Hi Alice", NULL);
  cli_run_ok (test, alice, "send", "bob", "The hill", "--attach", path, NULL);
  cli_send_ok (test, alice, "bob", "See above");

  store = cli_open_store (bob);
  messenger = cli_load_messenger (store);
  g_object_set (messenger, "auto-download-size", (guint64) 10 * 1024 * 1024, NULL);
  g_signal_connect (messenger, "message-received", G_CALLBACK (received_cb), &received);
  sotto_messenger_start (messenger);
  while (received.picture == NULL || !received.last)
    g_main_context_iteration (NULL, TRUE);

  sotto_messenger_open_conversation_async (messenger, "alice", NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  conversation = sotto_messenger_open_conversation_finish (messenger, found, &error);
  g_assert_no_error (error);
  messages = sotto_conversation_get_messages (conversation);
  message = g_list_model_get_item (messages, g_list_model_get_n_items (messages) - 2);
  while (!sotto_message_get_loaded (message))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (sotto_message_get_body (message), ==, "The hill");
  shown = g_list_model_get_item (sotto_message_get_attachments (message), 0);
  g_assert_true (shown == received.picture);

  while (sotto_attachment_get_state (shown) != SOTTO_ATTACHMENT_STATE_READY)
    g_main_context_iteration (NULL, TRUE);

  sotto_messenger_stop (messenger);
  g_signal_handlers_disconnect_by_data (messenger, &received);
  g_clear_object (&received.picture);
  g_clear_object (&shown);
  g_clear_object (&message);
  g_clear_object (&conversation);
  g_object_unref (messenger);
  cli_close_store (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/attachments/upload-busy", test_upload_busy);
  g_test_add_func ("/cli/attachments/one-model", test_one_model);

  return g_test_run ();
}
