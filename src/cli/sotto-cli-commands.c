/* sotto-cli-commands.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-cli.h"

static char *
hex_encode (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  GString *hex = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", data[i]);

  return g_string_free (hex, FALSE);
}

static const char *
state_name (SottoMessageState state)
{
  switch (state)
    {
    case SOTTO_MESSAGE_STATE_QUEUED:
      return "queued";
    case SOTTO_MESSAGE_STATE_SENT:
      return "sent";
    case SOTTO_MESSAGE_STATE_DELIVERED:
      return "delivered";
    case SOTTO_MESSAGE_STATE_READ:
      return "read";
    case SOTTO_MESSAGE_STATE_FAILED:
    default:
      return "failed";
    }
}

static const char *
verification_name (SottoVerificationState state)
{
  switch (state)
    {
    case SOTTO_VERIFICATION_STATE_VERIFIED:
      return "verified";
    case SOTTO_VERIFICATION_STATE_CHANGED:
      return "changed";
    case SOTTO_VERIFICATION_STATE_UNVERIFIED:
    default:
      return "unverified";
    }
}

static const char *
contact_label (SottoContact *contact)
{
  if (sotto_contact_get_username (contact) != NULL)
    return sotto_contact_get_username (contact);

  return sotto_contact_get_uuid (contact);
}

/* The conversation with @username: from the profile, or, when
 * @may_look_up, from the relay. */
static SottoConversation *
find_conversation (SottoCli    *cli,
                   const char  *username,
                   gboolean     may_look_up,
                   GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  SottoConversation *conversation;

  conversation = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (cli->messenger),
                                                           username);
  if (conversation != NULL)
    return g_object_ref (conversation);

  if (!may_look_up)
    {
      g_set_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
                   _("There is no conversation with %s"), username);
      return NULL;
    }

  sotto_messenger_open_conversation_async (cli->messenger, username, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);

  return sotto_messenger_open_conversation_finish (cli->messenger, result, error);
}

SottoConversation *
sotto_cli_find_conversation (SottoCli    *cli,
                             const char  *username,
                             gboolean     may_look_up,
                             GError     **error)
{
  return find_conversation (cli, username, may_look_up, error);
}

const char *
sotto_cli_contact_label (SottoContact *contact)
{
  return contact_label (contact);
}

/* The contact behind @username with a known identity key, fetching the
 * key from the relay when no message was exchanged yet. */
static SottoContact *
find_contact_with_identity (SottoCli    *cli,
                            const char  *username,
                            GError     **error)
{
  g_autoptr(SottoConversation) conversation = NULL;
  SottoContact *contact;

  conversation = find_conversation (cli, username, TRUE, error);
  if (conversation == NULL)
    return NULL;

  contact = sotto_conversation_get_contact (conversation);
  if (sotto_contact_get_identity_key (contact) == NULL)
    {
      g_autoptr(GAsyncResult) result = NULL;

      sotto_messenger_fetch_identity_async (cli->messenger, conversation, NULL, sotto_cli_result_cb, &result);
      sotto_cli_wait (&result);
      if (!sotto_messenger_fetch_identity_finish (cli->messenger, result, error))
        return NULL;
    }

  return g_object_ref (contact);
}

int
sotto_cli_register (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *relay_ca = NULL;
  SottoAccount *account;

  /* The CA is read before the profile is made, so that a wrong path
   * leaves nothing behind. */
  if (cli->ca_file != NULL && !g_file_get_contents (cli->ca_file, &relay_ca, NULL, &error))
    return sotto_cli_fail_error (cli, error, _("Could not read the CA file"));
  if (cli->trust_root != NULL && !sotto_messenger_trust_root_is_valid (cli->trust_root))
    {
      g_printerr (_("sotto-cli: --trust-root takes the relay’s sealed sender trust root, in base64\n"));
      return SOTTO_CLI_EXIT_USAGE;
    }

  if (!sotto_cli_unlock (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  sotto_session_register_async (cli->session, cli->relay, cli->username, cli->token, relay_ca, NULL,
                                sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_session_register_finish (cli->session, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not register"));
  cli->messenger = sotto_session_get_messenger (cli->session);

  if (cli->trust_root != NULL)
    {
      g_clear_object (&result);
      sotto_messenger_pin_trust_root_async (cli->messenger, cli->trust_root, NULL, sotto_cli_result_cb, &result);
      sotto_cli_wait (&result);
      if (!sotto_messenger_pin_trust_root_finish (cli->messenger, result, &error))
        return sotto_cli_fail_error (cli, error, _("Could not pin the trust root"));
    }
  else if (!sotto_cli_check_trust_root (cli, &error))
    {
      /* Registered all the same: the root is pinned when sotto-cli next
       * reaches the relay. */
      g_printerr (_("sotto-cli: could not ask the relay for its sealed sender trust root: %s\n"), error->message);
      g_clear_error (&error);
    }

  account = sotto_messenger_get_account (cli->messenger);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uuid");
      json_builder_add_string_value (builder, sotto_account_get_uuid (account));
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, sotto_account_get_username (account));
      json_builder_set_member_name (builder, "device");
      json_builder_add_int_value (builder, sotto_account_get_device_id (account));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Registered %s at %s\n"), sotto_account_get_username (account),
               sotto_account_get_relay_url (account));
    }

  return SOTTO_CLI_EXIT_OK;
}

int
sotto_cli_whoami (SottoCli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *identity = NULL;
  SottoAccount *account;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  account = sotto_messenger_get_account (cli->messenger);
  identity = hex_encode (sotto_account_get_identity_key (account));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uuid");
      json_builder_add_string_value (builder, sotto_account_get_uuid (account));
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, sotto_account_get_username (account));
      json_builder_set_member_name (builder, "device");
      json_builder_add_int_value (builder, sotto_account_get_device_id (account));
      json_builder_set_member_name (builder, "identity_key");
      json_builder_add_string_value (builder, identity);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Username:     %s\n"), sotto_account_get_username (account));
      g_print (_("Account:      %s\n"), sotto_account_get_uuid (account));
      g_print (_("Device:       %u\n"), sotto_account_get_device_id (account));
      g_print (_("Relay:        %s\n"), sotto_account_get_relay_url (account));
      g_print (_("Identity key: %s\n"), identity);
    }

  return SOTTO_CLI_EXIT_OK;
}

int
sotto_cli_send (SottoCli *cli)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *username = cli->args[0];
  const char *text = cli->args[1];

  if (!g_utf8_validate (text, -1, NULL))
    return sotto_cli_fail (cli, _("The text is not valid UTF-8"));

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  conversation = find_conversation (cli, username, TRUE, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not send"));

  sotto_cli_send_start (cli, conversation, text, &result);
  sotto_cli_wait (&result);

  if (!sotto_messenger_send_finish (cli->messenger, result, &message, &error))
    {
      if (message != NULL)
        return sotto_cli_fail (cli, _("Message %s to %s is kept in the outbox: %s"),
                               sotto_message_get_id (message), username, error->message);

      return sotto_cli_fail_error (cli, error, _("Could not send"));
    }

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, username);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, sotto_message_get_id (message));
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, sotto_message_get_sent_at (message));
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, state_name (sotto_message_get_state (message)));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Sent to %s\n"), username);
    }

  return SOTTO_CLI_EXIT_OK;
}

typedef struct
{
  SottoCli *cli;
  GMainLoop *loop;
  GHashTable *read;
  guint timeout_id;
  gboolean drained_since_message;
  gboolean failed;
  gboolean finished;
  /* Messages whose attachments are being saved, and whether one could
   * not be. */
  guint n_fetching;
  gboolean attachment_failed;
} Receiving;

static gboolean
receive_timeout_cb (gpointer user_data)
{
  Receiving *receiving = user_data;
  SottoMessenger *messenger = receiving->cli->messenger;

  /* The wait counts from the last message once the relay's queue is
   * drained; while envelopes are still coming in, or the relay is away
   * and coming back before it ever drained, it starts over.  A relay
   * whose queue drained since the last message has nothing more for now,
   * even if it dropped the socket since, so that one that drops and
   * greets again and again cannot keep the wait going. */
  if (receiving->n_fetching > 0)
    return G_SOURCE_CONTINUE;

  if (sotto_messenger_get_drained (messenger) || receiving->drained_since_message)
    {
      receiving->timeout_id = 0;
      g_main_loop_quit (receiving->loop);
      return G_SOURCE_REMOVE;
    }

  if (sotto_messenger_get_connection (messenger) == SOTTO_RELAY_CONNECTION_OFFLINE)
    {
      receiving->timeout_id = 0;
      receiving->failed = TRUE;
      g_main_loop_quit (receiving->loop);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
receive_restart_timeout (Receiving *receiving)
{
  gint64 interval_ms = CLAMP ((gint64) receiving->cli->timeout * 1000, 100, G_MAXUINT);

  g_clear_handle_id (&receiving->timeout_id, g_source_remove);
  receiving->timeout_id = g_timeout_add ((guint) interval_ms, receive_timeout_cb, receiving);
}

static void
print_message (SottoCli          *cli,
               SottoConversation *conversation,
               SottoMessage      *message,
               GPtrArray         *exports)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  SottoAccount *account = sotto_contact_get_account (contact);
  gboolean outgoing = sotto_message_get_direction (message) == SOTTO_MESSAGE_DIRECTION_OUTGOING;
  const char *from = outgoing ? sotto_account_get_username (account) : contact_label (contact);

  if (sotto_message_get_kind (message) == SOTTO_MESSAGE_KIND_TIMER_CHANGED)
    {
      sotto_cli_print_timer_event (cli, from, message);
      return;
    }

  gboolean event = sotto_message_get_kind (message) == SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED;
  gboolean request = sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_REQUEST;

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      sotto_cli_add_message_type (builder, message);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
      json_builder_set_member_name (builder, "text");
      if (event || sotto_message_get_body (message) == NULL)
        json_builder_add_null_value (builder);
      else
        json_builder_add_string_value (builder, sotto_message_get_body (message));
      json_builder_set_member_name (builder, "sent_at");
      json_builder_add_int_value (builder, sotto_message_get_sent_at (message));
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, sotto_message_get_id (message));
      json_builder_set_member_name (builder, "request");
      json_builder_add_boolean_value (builder, request);
      sotto_cli_add_attachments (builder, message, exports);
      if (g_str_equal (cli->command, "history"))
        {
          json_builder_set_member_name (builder, "direction");
          json_builder_add_string_value (builder, outgoing ? "outgoing" : "incoming");
          json_builder_set_member_name (builder, "kind");
          json_builder_add_string_value (builder, event ? "safety-number-changed" : "text");
          json_builder_set_member_name (builder, "state");
          json_builder_add_string_value (builder, state_name (sotto_message_get_state (message)));
          sotto_cli_add_message_state (cli, builder, conversation, message);
          json_builder_set_member_name (builder, "sealed");
          json_builder_add_boolean_value (builder, sotto_message_get_sealed (message));
        }
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_autofree char *time = sotto_cli_format_time (sotto_message_get_sent_at (message));

      if (event)
        g_print (_("[%s] The safety number with %s changed\n"), time, contact_label (contact));
      else if (sotto_message_get_deleted (message))
        g_print (_("[%s] %s: This message was deleted\n"), time, from);
      else if (outgoing)
        g_print ("[%s] %s: %s (%s)\n", time, from, sotto_message_get_body (message),
                 state_name (sotto_message_get_state (message)));
      else
        g_print ("[%s] %s: %s\n", time, from, sotto_message_get_body (message));

      for (guint i = 0; exports != NULL && i < exports->len; i++)
        sotto_cli_print_export (g_ptr_array_index (exports, i));
    }
}

static void
attachments_fetched_cb (SottoCli          *cli,
                        SottoConversation *conversation,
                        SottoMessage      *message,
                        GPtrArray         *exports,
                        gpointer           data)
{
  Receiving *receiving = data;

  for (guint i = 0; i < exports->len; i++)
    {
      SottoCliExport *export = g_ptr_array_index (exports, i);

      if (export->error != NULL)
        receiving->attachment_failed = TRUE;
    }

  print_message (cli, conversation, message, exports);
  receiving->n_fetching--;
  if (!receiving->finished)
    receive_restart_timeout (receiving);
}

static void
message_received_cb (SottoMessenger    *messenger,
                     SottoConversation *conversation,
                     SottoMessage      *message,
                     Receiving         *receiving)
{
  if (g_list_model_get_n_items (sotto_message_get_attachments (message)) > 0)
    {
      receiving->n_fetching++;
      sotto_cli_fetch_attachments (receiving->cli, conversation, message, attachments_fetched_cb, receiving);
    }
  else
    {
      print_message (receiving->cli, conversation, message, NULL);
    }
  g_hash_table_add (receiving->read, g_object_ref (conversation));
  receiving->drained_since_message = FALSE;
  if (!receiving->finished)
    receive_restart_timeout (receiving);
}

static void
message_action_cb (SottoMessenger     *messenger,
                   SottoConversation  *conversation,
                   SottoMessageAction  action,
                   const char         *id,
                   const char         *target_id,
                   const char         *text,
                   gint64              sent_at,
                   SottoMessage       *message,
                   Receiving          *receiving)
{
  sotto_cli_print_action (receiving->cli, conversation, action, id, target_id, text, sent_at, message);
  receiving->drained_since_message = FALSE;
  if (!receiving->finished)
    receive_restart_timeout (receiving);
}

static void
identity_changed_cb (SottoMessenger    *messenger,
                     SottoConversation *conversation,
                     Receiving         *receiving)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);

  if (sotto_contact_get_sending_held (contact))
    g_printerr (_("sotto-cli: the safety number with %s changed; messages to them are held "
                  "until you verify the new number or run accept-identity\n"),
                contact_label (contact));
  else
    g_printerr (_("sotto-cli: the safety number with %s changed\n"), contact_label (contact));
}

static void
profile_changed_cb (SottoMessenger      *messenger,
                    SottoConversation   *conversation,
                    SottoProfileChanges  changes,
                    Receiving           *receiving)
{
  sotto_cli_print_profile_change (receiving->cli, conversation, changes);
  if (!receiving->finished)
    receive_restart_timeout (receiving);
}

static void
group_event_cb (SottoGroupList  *groups,
                SottoGroup      *group,
                SottoGroupEvent *event,
                Receiving       *receiving)
{
  sotto_cli_print_group_event (receiving->cli, group, event);
  receiving->drained_since_message = FALSE;
  if (!receiving->finished)
    receive_restart_timeout (receiving);
}

static void
group_message_changed_cb (SottoGroupList     *groups,
                          SottoGroup         *group,
                          SottoGroupEvent    *message,
                          SottoMessageAction  action,
                          const char         *author_name,
                          const char         *id,
                          const char         *text,
                          gint64              sent_at,
                          Receiving          *receiving)
{
  sotto_cli_print_group_change (receiving->cli, group, message, action, author_name, id, text, sent_at);
  receiving->drained_since_message = FALSE;
  if (!receiving->finished)
    receive_restart_timeout (receiving);
}

static void
drained_cb (SottoMessenger *messenger,
            GParamSpec     *pspec,
            Receiving      *receiving)
{
  /* Only the first drain since the last message starts the wait over:
   * each socket a flapping relay opens drains again. */
  if (sotto_messenger_get_drained (messenger) && !receiving->finished && !receiving->drained_since_message)
    {
      receiving->drained_since_message = TRUE;
      receive_restart_timeout (receiving);
    }
}

int
sotto_cli_receive (SottoCli *cli)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GHashTable) read = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  g_autoptr(GError) error = NULL;
  Receiving receiving = { cli, loop, read, 0, FALSE, FALSE, FALSE, 0, FALSE };
  GList *conversations;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));
  sotto_cli_sweep_download_dir (cli);

  g_signal_connect (cli->messenger, "message-received", G_CALLBACK (message_received_cb), &receiving);
  g_signal_connect (cli->messenger, "message-action", G_CALLBACK (message_action_cb), &receiving);
  g_signal_connect (cli->messenger, "identity-changed", G_CALLBACK (identity_changed_cb), &receiving);
  g_signal_connect (cli->messenger, "profile-changed", G_CALLBACK (profile_changed_cb), &receiving);
  g_signal_connect (cli->messenger, "notify::drained", G_CALLBACK (drained_cb), &receiving);
  g_signal_connect (sotto_messenger_get_groups (cli->messenger), "event-received",
                    G_CALLBACK (group_event_cb), &receiving);
  g_signal_connect (sotto_messenger_get_groups (cli->messenger), "message-changed",
                    G_CALLBACK (group_message_changed_cb), &receiving);

  /* The wait below watches the messenger; the first verdict on the
   * relay is of no use to it. */
  sotto_session_connect_async (cli->session, NULL, NULL, NULL);
  receive_restart_timeout (&receiving);
  g_main_loop_run (loop);

  g_clear_handle_id (&receiving.timeout_id, g_source_remove);
  receiving.finished = TRUE;

  /* Sealed messages under a root the relay presents in place of the
   * pinned one stayed at the relay: say so, and how to take it. */
  sotto_cli_warn_trust_root_conflict (cli);

  /* Nothing new comes in from here on; an envelope being stored still
   * gets printed. */
  sotto_session_disconnect (cli->session);

  /* Going online also tops up this device's prekeys at the relay. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) refresh_error = NULL;

    sotto_messenger_refresh_keys_async (cli->messenger, NULL, sotto_cli_result_cb, &result);
    sotto_cli_wait (&result);
    if (!sotto_messenger_refresh_keys_finish (cli->messenger, result, &refresh_error))
      g_printerr ("sotto-cli: could not refresh the prekeys: %s\n", refresh_error->message);
  }

  /* A command that reaches the relay sends what waits in the outbox;
   * a relay that went away leaves it for the next one. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) flush_error = NULL;

    sotto_messenger_flush_async (cli->messenger, NULL, sotto_cli_result_cb, &result);
    sotto_cli_wait (&result);
    if (!sotto_messenger_flush_finish (cli->messenger, result, &flush_error))
      g_printerr ("sotto-cli: %s\n", flush_error->message);
  }

  /* What was printed has been read: tell the senders, as far as the
   * relay lets us before we go. */
  /* A snapshot: the table holds every conversation until the end, and
   * may still grow while the receipts go out. */
  conversations = g_hash_table_get_keys (read);
  for (GList *link = conversations; link != NULL; link = link->next)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) read_error = NULL;

      sotto_messenger_mark_read_async (cli->messenger, link->data, NULL, sotto_cli_result_cb, &result);
      sotto_cli_wait (&result);
      if (!sotto_messenger_mark_read_finish (cli->messenger, result, &read_error))
        g_debug ("Could not send read receipts: %s", read_error->message);
    }
  g_list_free (conversations);

  g_signal_handlers_disconnect_by_data (cli->messenger, &receiving);
  g_signal_handlers_disconnect_by_data (sotto_messenger_get_groups (cli->messenger), &receiving);

  if (receiving.failed)
    return sotto_cli_fail (cli, _("The relay at %s could not be reached"),
                           sotto_account_get_relay_url (sotto_messenger_get_account (cli->messenger)));

  /* Each was told of on its own already. */
  if (receiving.attachment_failed)
    return SOTTO_CLI_EXIT_FAILED;

  return SOTTO_CLI_EXIT_OK;
}

typedef struct
{
  GPtrArray *messages;
  guint n_waiting;
} History;

static void
message_loaded_cb (SottoMessage *message,
                   GParamSpec   *pspec,
                   History      *history)
{
  if (sotto_message_get_loaded (message))
    {
      g_signal_handlers_disconnect_by_data (message, history);
      history->n_waiting--;
      g_main_context_wakeup (NULL);
    }
}

int
sotto_cli_history (SottoCli *cli)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  History history = { NULL, 0 };
  GListModel *messages;
  guint n_items;
  guint first;

  if (cli->group != NULL)
    return sotto_cli_group_history (cli);

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  conversation = find_conversation (cli, cli->args[0], FALSE, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, _("No history"));

  /* The list reads pages on the store's thread and fills in the
   * messages it handed out; wait until every one is filled. */
  messages = sotto_conversation_get_messages (conversation);
  n_items = g_list_model_get_n_items (messages);
  first = n_items > (guint) cli->limit ? n_items - cli->limit : 0;
  history.messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = first; i < n_items; i++)
    {
      SottoMessage *message = g_list_model_get_item (messages, i);

      g_ptr_array_add (history.messages, message);
      if (!sotto_message_get_loaded (message))
        {
          history.n_waiting++;
          g_signal_connect (message, "notify::loaded", G_CALLBACK (message_loaded_cb), &history);
        }
    }

  while (history.n_waiting > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < history.messages->len; i++)
    print_message (cli, conversation, g_ptr_array_index (history.messages, i), NULL);

  g_ptr_array_unref (history.messages);

  return SOTTO_CLI_EXIT_OK;
}

int
sotto_cli_safety_number (SottoCli *cli)
{
  g_autoptr(SottoContact) contact = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *grouped = NULL;
  const char *digits;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  contact = find_contact_with_identity (cli, cli->args[0], &error);
  if (contact == NULL)
    return sotto_cli_fail_error (cli, error, _("No safety number"));

  digits = sotto_contact_get_safety_number (contact);
  if (digits == NULL)
    return sotto_cli_fail (cli, _("No safety number for %s"), cli->args[0]);

  grouped = sotto_contact_format_safety_number (digits);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, cli->args[0]);
      json_builder_set_member_name (builder, "safety_number");
      json_builder_add_string_value (builder, grouped);
      json_builder_set_member_name (builder, "verification");
      json_builder_add_string_value (builder, verification_name (sotto_contact_get_verification_state (contact)));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print ("%s\n", grouped);
    }

  return SOTTO_CLI_EXIT_OK;
}

int
sotto_cli_verify (SottoCli *cli)
{
  g_autoptr(SottoContact) contact = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *digits = NULL;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  /* The digits may come as one argument or as twelve. */
  digits = g_strjoinv (" ", cli->args + 1);

  contact = find_contact_with_identity (cli, cli->args[0], &error);
  if (contact == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not verify"));

  sotto_contact_verify_async (contact, digits, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_contact_verify_finish (contact, result, &error))
    return sotto_cli_fail_error (cli, error, _("Not verified"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, cli->args[0]);
      json_builder_set_member_name (builder, "verification");
      json_builder_add_string_value (builder, verification_name (sotto_contact_get_verification_state (contact)));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("%s is verified\n"), cli->args[0]);
    }

  return SOTTO_CLI_EXIT_OK;
}

int
sotto_cli_accept_identity (SottoCli *cli)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoContact *contact;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  conversation = find_conversation (cli, cli->args[0], FALSE, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, _("Could not accept the identity"));

  contact = sotto_conversation_get_contact (conversation);
  sotto_contact_accept_identity_async (contact, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_contact_accept_identity_finish (contact, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not accept the identity"));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, cli->args[0]);
      json_builder_set_member_name (builder, "verification");
      json_builder_add_string_value (builder, verification_name (sotto_contact_get_verification_state (contact)));
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("Messages to %s are sent again; %s is not verified\n"),
               cli->args[0], cli->args[0]);
    }

  return SOTTO_CLI_EXIT_OK;
}

static const char *
standing_name (SottoContactStanding standing)
{
  switch (standing)
    {
    case SOTTO_CONTACT_STANDING_REQUEST:
      return "request";

    case SOTTO_CONTACT_STANDING_BLOCKED:
      return "blocked";

    case SOTTO_CONTACT_STANDING_ACCEPTED:
    default:
      return "accepted";
    }
}

/* accept, block and delete-request: what the user decides about a
 * message request, or about any contact for accept and block. */
static int
decide (SottoCli   *cli,
        void      (*start) (SottoMessenger *, SottoConversation *, GCancellable *, GAsyncReadyCallback, gpointer),
        gboolean  (*finish) (SottoMessenger *, GAsyncResult *, GError **),
        const char *failure,
        const char *done)
{
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *standing;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  /* A blocked contact is not in the list; looking them up finds them. */
  conversation = find_conversation (cli, cli->args[0], start != sotto_messenger_delete_request_async, &error);
  if (conversation == NULL)
    return sotto_cli_fail_error (cli, error, failure);

  start (cli->messenger, conversation, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!finish (cli->messenger, result, &error))
    return sotto_cli_fail_error (cli, error, failure);

  standing = start == sotto_messenger_delete_request_async
             ? "deleted"
             : standing_name (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, cli->args[0]);
      json_builder_set_member_name (builder, "standing");
      json_builder_add_string_value (builder, standing);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print ("%s: %s\n", cli->args[0], done);
    }

  return SOTTO_CLI_EXIT_OK;
}

int
sotto_cli_accept (SottoCli *cli)
{
  return decide (cli, sotto_messenger_accept_async, sotto_messenger_accept_finish,
                 _("Could not accept the contact"),
                 _("accepted; they hear of deliveries and reads again"));
}

int
sotto_cli_block (SottoCli *cli)
{
  return decide (cli, sotto_messenger_block_async, sotto_messenger_block_finish,
                 _("Could not block the contact"),
                 _("blocked; their messages are dropped unseen"));
}

int
sotto_cli_delete_request (SottoCli *cli)
{
  return decide (cli, sotto_messenger_delete_request_async, sotto_messenger_delete_request_finish,
                 _("Could not delete the message request"),
                 _("message request deleted"));
}

int
sotto_cli_reset_identity (SottoCli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *identity = NULL;
  SottoAccount *account;

  if (!sotto_cli_load (cli, &error))
    return sotto_cli_fail_error (cli, error, _("Could not open the profile"));

  sotto_messenger_reset_identity_async (cli->messenger, NULL, sotto_cli_result_cb, &result);
  sotto_cli_wait (&result);
  if (!sotto_messenger_reset_identity_finish (cli->messenger, result, &error))
    return sotto_cli_fail_error (cli, error, _("Could not reset the identity"));

  account = sotto_messenger_get_account (cli->messenger);
  identity = hex_encode (sotto_account_get_identity_key (account));

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "identity_key");
      json_builder_add_string_value (builder, identity);
      json_builder_end_object (builder);
      sotto_cli_print_json (builder);
    }
  else
    {
      g_print (_("New identity key: %s\n"), identity);
    }

  return SOTTO_CLI_EXIT_OK;
}
