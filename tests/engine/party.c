/* party.c: one side of a conversation for the outbox and inbox tests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-session.h"

#include "party.h"
#include "sotto-message.h"

/* An account whose username the relay would take, as the sender's
 * name in what it sends must be one. */
static SottoAccount *
make_account (SottoStore *store)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *username = g_strdup_printf ("party_%.8s", uuid);
  SottoAccount *account;
  SpKeyPair *identity;

  identity = sodium_malloc (sizeof *identity);
  g_assert_nonnull (identity);
  g_assert_cmpint (sp_key_pair_generate (identity), ==, SP_OK);
  account = sotto_account_new (store, uuid, username, 1, 4242, "https://relay.example", "device-password", identity);
  sodium_free (identity);

  return account;
}

Party *
party_new (void)
{
  g_autoptr(GError) error = NULL;
  Party *party = g_new0 (Party, 1);
  const SpKeyPair *identity;
  SottoKeyState state = { 1, 1, 1, 0, 0 };

  party->profile = engine_test_make_profile ();
  party->store = engine_test_open_store (party->profile, "a party to a conversation");
  party->account = make_account (party->store);
  party->list = engine_test_load_list (party->account);
  party->protocol = _sotto_protocol_state_new (party->store, party->account);
  party->relay = scripted_relay_new ();
  party->client = sotto_relay_client_new (party->relay->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (party->client, sotto_account_get_uuid (party->account), 1,
                                      "a password of sixteen bytes");

  /* Two one-time prekeys of each kind, one for each of the devices a
   * test may say the account has. */
  identity = sotto_account_get_identity_key_pair (party->account);
  party->keys = _sotto_key_batch_generate (identity, &state, TRUE, TRUE, 2, 2, &error);
  g_assert_no_error (error);
  g_assert_true (_sotto_protocol_state_store_keys (party->store, party->keys, &state, &error));
  g_assert_no_error (error);

  return party;
}

void
party_free (Party *party)
{
  sotto_relay_client_disconnect (party->client);
  g_clear_object (&party->client);
  g_clear_pointer (&party->relay, scripted_relay_free);
  g_clear_pointer (&party->keys, _sotto_key_batch_free);
  g_clear_pointer (&party->protocol, _sotto_protocol_state_unref);
  engine_test_await_finalize (g_steal_pointer (&party->list));
  g_clear_object (&party->account);
  engine_test_close_store (g_steal_pointer (&party->store));
  engine_test_remove_profile (g_steal_pointer (&party->profile));
  g_free (party);
}

GBytes *
party_identity_key (Party *party)
{
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (party->account);

  return g_bytes_new (identity->public_key.bytes, SP_PUBLIC_KEY_SIZE);
}

/* @contact, under @username and with its identity key, in @party's
 * conversations. */
SottoConversation *
party_add_contact (Party      *party,
                   Party      *contact,
                   const char *username)
{
  g_autoptr(GBytes) identity_key = party_identity_key (contact);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoConversation *conversation;

  sotto_conversation_list_add_async (party->list, sotto_account_get_uuid (contact->account), username,
                                     NULL, identity_key, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  conversation = sotto_conversation_list_add_finish (party->list, result, &error);
  g_assert_no_error (error);

  return conversation;
}

static void
add_base64 (JsonBuilder *builder,
            const char  *name,
            const void  *data,
            gsize        len)
{
  g_autofree char *text = g_base64_encode (data, len);

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static void
add_key (JsonBuilder *builder,
         const char  *name,
         guint32      id,
         const void  *public_key,
         gsize        public_key_len,
         const void  *signature)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keyId");
  json_builder_add_int_value (builder, id);
  add_base64 (builder, "publicKey", public_key, public_key_len);
  if (signature != NULL)
    add_base64 (builder, "signature", signature, SP_SIGNATURE_SIZE);
  json_builder_end_object (builder);
}

/* The relay's answer to a request for @party's keys, as if it had
 * @n_devices devices (1 or 2), each with a one-time prekey of its own. */
char *
party_bundles_json (Party *party,
                    guint  n_devices)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (party->account);

  g_assert_cmpuint (n_devices, <=, party->keys->pre_keys->len);

  json_builder_begin_object (builder);
  add_base64 (builder, "identityKey", identity->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);

  for (guint i = 0; i < n_devices; i++)
    {
      SpPreKeyBundle bundle;

      g_assert_cmpint (sp_pre_key_bundle_init (&bundle, sotto_account_get_registration_id (party->account),
                                               i + 1, &identity->public_key, party->keys->signed_pre_key,
                                               party->keys->last_resort,
                                               g_ptr_array_index (party->keys->pre_keys, i)), ==, SP_OK);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "deviceId");
      json_builder_add_int_value (builder, bundle.device_id);
      json_builder_set_member_name (builder, "registrationId");
      json_builder_add_int_value (builder, bundle.registration_id);
      add_key (builder, "signedPreKey", bundle.signed_pre_key_id, bundle.signed_pre_key.bytes,
               SP_PUBLIC_KEY_SIZE, bundle.signed_pre_key_signature);
      add_key (builder, "pqPreKey", bundle.kyber_pre_key_id, bundle.kyber_pre_key,
               SP_KYBER_PUBLIC_KEY_SIZE, bundle.kyber_pre_key_signature);
      add_key (builder, "preKey", bundle.pre_key_id, bundle.pre_key.bytes, SP_PUBLIC_KEY_SIZE, NULL);
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

static gboolean
connected (gpointer data)
{
  return sotto_relay_client_get_connection (data) == SOTTO_RELAY_CONNECTION_CONNECTED;
}

/* Opens @party's delivery socket on its scripted relay. */
void
party_connect (Party *party)
{
  sotto_relay_client_connect (party->client);
  engine_test_wait_until (connected, party->client);
}

/* The envelope for @device_id that @sender's send with @body (a
 * request to PUT /v1/messages) holds, as the relay would deliver it
 * under @guid. */
char *
party_envelope_frame (Party      *sender,
                      const char *body,
                      guint       device_id,
                      const char *guid)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *request;
  JsonArray *messages;

  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  request = json_node_get_object (json_parser_get_root (parser));
  messages = json_object_get_array_member (request, "messages");

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      if (json_object_get_int_member (message, "destinationDeviceId") != device_id)
        continue;

      return g_strdup_printf ("{\"type\": \"envelope\", \"guid\": \"%s\", \"envelopeType\": %" G_GINT64_FORMAT ","
                              " \"source\": \"%s\", \"sourceDevice\": 1,"
                              " \"timestamp\": %" G_GINT64_FORMAT ", \"serverTimestamp\": %" G_GINT64_FORMAT ","
                              " \"content\": \"%s\"}",
                              guid, json_object_get_int_member (message, "type"),
                              sotto_account_get_uuid (sender->account),
                              json_object_get_int_member (request, "timestamp"),
                              json_object_get_int_member (request, "timestamp") + 1,
                              json_object_get_string_member (message, "content"));
    }

  g_assert_not_reached ();
}

guint
party_n_messages (SottoConversation *conversation)
{
  return g_list_model_get_n_items (sotto_conversation_get_messages (conversation));
}

/* The text of the message at @position, once it is read from the store. */
char *
party_message_text (SottoConversation *conversation,
                    guint              position)
{
  g_autoptr(SottoMessage) message = g_list_model_get_item (sotto_conversation_get_messages (conversation),
                                                          position);

  engine_test_wait_until ((gboolean (*) (gpointer)) sotto_message_get_loaded, message);

  return g_strdup (sotto_message_get_body (message));
}
