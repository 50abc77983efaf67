/* test-message.c: messages and their states
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "engine-test-util.h"
#include "sotto-message-private.h"

#define Q SOTTO_MESSAGE_STATE_QUEUED
#define S SOTTO_MESSAGE_STATE_SENT
#define D SOTTO_MESSAGE_STATE_DELIVERED
#define R SOTTO_MESSAGE_STATE_READ
#define F SOTTO_MESSAGE_STATE_FAILED

static void
test_message_outgoing_states (void)
{
  /* allowed[from][to], in the order of the enum */
  static const gboolean allowed[5][5] = {
    /*            Q      S      D      R      F */
    /* Q */ { FALSE, TRUE,  TRUE,  TRUE,  TRUE  },
    /* S */ { FALSE, FALSE, TRUE,  TRUE,  FALSE },
    /* D */ { FALSE, FALSE, FALSE, TRUE,  FALSE },
    /* R */ { FALSE, FALSE, FALSE, FALSE, FALSE },
    /* F */ { TRUE,  FALSE, FALSE, FALSE, FALSE },
  };

  for (SottoMessageState from = Q; from <= F; from++)
    for (SottoMessageState to = Q; to <= F; to++)
      {
        g_test_message ("outgoing %d -> %d", from, to);
        g_assert_cmpint (sotto_message_state_can_change (SOTTO_MESSAGE_DIRECTION_OUTGOING, from, to),
                         ==, allowed[from][to]);
      }
}

static void
test_message_incoming_states (void)
{
  for (SottoMessageState from = Q; from <= F; from++)
    for (SottoMessageState to = Q; to <= F; to++)
      g_assert_cmpint (sotto_message_state_can_change (SOTTO_MESSAGE_DIRECTION_INCOMING, from, to),
                       ==, from == D && to == R);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  GHashTable *counts = user_data;
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, pspec->name));

  g_hash_table_insert (counts, (gpointer) pspec->name, GUINT_TO_POINTER (count + 1));
}

static guint
count_of (GHashTable *counts,
          const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

static void
test_message_set_state_notifies (void)
{
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);

  message = _sotto_message_new ("0d7f5c7a-9d62-4f0b-9a4c-5e0bb0fd3c21",
                                SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                SOTTO_MESSAGE_KIND_TEXT,
                                SOTTO_MESSAGE_STATE_QUEUED,
                                10, 20, "hello");
  g_signal_connect (message, "notify", G_CALLBACK (count_notify_cb), counts);

  _sotto_message_set_state (message, SOTTO_MESSAGE_STATE_QUEUED);
  g_assert_cmpuint (count_of (counts, "state"), ==, 0);

  _sotto_message_set_state (message, SOTTO_MESSAGE_STATE_SENT);
  g_assert_cmpuint (count_of (counts, "state"), ==, 1);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_SENT);

  g_assert_cmpuint (g_hash_table_size (counts), ==, 1);
}

static void
test_message_fill (void)
{
  g_autoptr(SottoMessage) placeholder = _sotto_message_new_placeholder (7);
  g_autoptr(SottoMessageRecord) loaded = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *body = NULL;
  SottoMessageState state;

  g_assert_false (sotto_message_get_loaded (placeholder));
  g_assert_null (sotto_message_get_id (placeholder));
  g_assert_null (sotto_message_get_body (placeholder));
  g_assert_cmpuint (_sotto_message_get_position (placeholder), ==, 7);

  loaded = _sotto_message_record_new ("5c8f2b8e-0e63-4c38-8c33-7f1e3c1b6a0e",
                                      SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                      SOTTO_MESSAGE_KIND_TEXT,
                                      SOTTO_MESSAGE_STATE_DELIVERED,
                                      1000, 2000, "filled in");
  loaded->position = 7;

  g_signal_connect (placeholder, "notify", G_CALLBACK (count_notify_cb), counts);
  _sotto_message_fill (placeholder, loaded);

  /* Every property that changed is announced once, after the values are
   * all in place. */
  g_assert_cmpuint (count_of (counts, "id"), ==, 1);
  g_assert_cmpuint (count_of (counts, "body"), ==, 1);
  g_assert_cmpuint (count_of (counts, "direction"), ==, 1);
  g_assert_cmpuint (count_of (counts, "state"), ==, 1);
  g_assert_cmpuint (count_of (counts, "sent-at"), ==, 1);
  g_assert_cmpuint (count_of (counts, "received-at"), ==, 1);
  g_assert_cmpuint (count_of (counts, "loaded"), ==, 1);
  g_assert_cmpuint (count_of (counts, "kind"), ==, 0);

  g_object_get (placeholder, "body", &body, "state", &state, NULL);
  g_assert_cmpstr (body, ==, "filled in");
  g_assert_cmpint (state, ==, SOTTO_MESSAGE_STATE_DELIVERED);
  g_assert_cmpstr (sotto_message_get_id (placeholder), ==, "5c8f2b8e-0e63-4c38-8c33-7f1e3c1b6a0e");
  g_assert_cmpint (sotto_message_get_sent_at (placeholder), ==, 1000);
  g_assert_cmpint (sotto_message_get_received_at (placeholder), ==, 2000);
  g_assert_true (sotto_message_get_loaded (placeholder));

  g_assert_finalize_object (g_steal_pointer (&placeholder));
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/message/outgoing-states", test_message_outgoing_states);
  g_test_add_func ("/engine/message/incoming-states", test_message_incoming_states);
  g_test_add_func ("/engine/message/set-state-notifies", test_message_set_state_notifies);
  g_test_add_func ("/engine/message/fill", test_message_fill);

  return g_test_run ();
}
