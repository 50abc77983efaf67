/* sotto-typing.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-typing"

#include "config.h"

#include "sotto-contact.h"
#include "sotto-conversation-private.h"
#include "sotto-engine-private.h"
#include "sotto-typing-private.h"

/* Typing indicators (docs/messenger.md, "Typing indicators").  While
 * the user composes in a conversation, "started" goes to the contact,
 * again every SOTTO_TYPING_REFRESH_SECONDS while the typing goes on, and
 * "stopped" after SOTTO_TYPING_IDLE_SECONDS without a keystroke, or at
 * once when the message is sent or the user leaves the conversation.
 * They go to the contact's connected devices only, through the relay's
 * online-only send, and are never stored, queued or retried: one that
 * fails is dropped.  Nothing goes to a message request or a blocked
 * contact, and nothing at all while the user has typing indicators off,
 * which also hides the contacts' (as Signal does).
 *
 * What arrives turns SottoConversation:peer-typing on and off: only
 * typing pushed live (an online-only envelope: a stored one would be
 * stale), from an accepted contact, while typing indicators are on. */

struct _SottoTyping
{
  GObject parent_instance;

  SottoConversationList *conversations;
  SottoOutbox *outbox;
  gboolean enabled;

  /* Conversations the user composes in: SottoConversation → Composing. */
  GHashTable *composing;
};

enum {
  PROP_0,
  PROP_ENABLED,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoTyping, sotto_typing, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

typedef struct
{
  SottoTyping *typing;
  SottoConversation *conversation;
  /* When "started" last went, in monotonic microseconds. */
  gint64 started_at;
  guint idle_source;
} Composing;

static void
composing_free (Composing *composing)
{
  g_clear_handle_id (&composing->idle_source, g_source_remove);
  g_clear_object (&composing->conversation);
  g_free (composing);
}

static void
typing_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Late is worthless: a typing indicator that failed is not retried. */
  if (!_sotto_outbox_send_content_finish (SOTTO_OUTBOX (object), result, &error))
    g_debug ("A typing indicator was dropped: %s", error->message);
}

static void
send_typing (SottoTyping       *self,
             SottoConversation *conversation,
             gboolean           started)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoContent) content = sotto_content_new_typing (id, _sotto_now_ms (), started);

  _sotto_outbox_send_online_async (self->outbox, conversation, content, NULL, typing_sent_cb, NULL);
}

/* Only accepted contacts hear typing: not a message request, which
 * must not learn that the account is in use, nor a blocked contact. */
static gboolean
may_send (SottoTyping       *self,
          SottoConversation *conversation)
{
  return self->enabled
         && sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_ACCEPTED;
}

static gboolean
idle_cb (gpointer user_data)
{
  Composing *composing = user_data;
  SottoTyping *self = composing->typing;

  composing->idle_source = 0;
  _sotto_typing_set_composing (self, composing->conversation, FALSE);

  return G_SOURCE_REMOVE;
}

/* The user typed in @conversation (@composing), or sent, emptied the
 * composer or left the conversation (not @composing). */
void
_sotto_typing_set_composing (SottoTyping       *self,
                             SottoConversation *conversation,
                             gboolean           composing)
{
  Composing *state;
  gint64 now;

  g_return_if_fail (SOTTO_IS_TYPING (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  state = g_hash_table_lookup (self->composing, conversation);

  if (!composing || !may_send (self, conversation))
    {
      /* "stopped" only ends a "started" that went, and never goes to
       * someone who may no longer hear typing. */
      if (state != NULL && may_send (self, conversation))
        send_typing (self, conversation, FALSE);
      g_hash_table_remove (self->composing, conversation);
      return;
    }

  if (state == NULL)
    {
      state = g_new0 (Composing, 1);
      state->typing = self;
      state->conversation = g_object_ref (conversation);
      g_hash_table_insert (self->composing, conversation, state);
    }

  now = g_get_monotonic_time ();
  if (state->started_at == 0 || now - state->started_at >= SOTTO_TYPING_REFRESH_SECONDS * G_USEC_PER_SEC)
    {
      state->started_at = now;
      send_typing (self, conversation, TRUE);
    }

  g_clear_handle_id (&state->idle_source, g_source_remove);
  state->idle_source = g_timeout_add_seconds (SOTTO_TYPING_IDLE_SECONDS, idle_cb, state);
}

/* Offline: nothing is sent any more; the contacts' indicators go off by
 * themselves. */
void
_sotto_typing_stop (SottoTyping *self)
{
  g_return_if_fail (SOTTO_IS_TYPING (self));

  g_hash_table_remove_all (self->composing);
}

/* @content, typing from the contact of @conversation, came in @envelope. */
void
_sotto_typing_received (SottoTyping              *self,
                        SottoConversation        *conversation,
                        const SottoRelayEnvelope *envelope,
                        const SottoContent       *content)
{
  g_return_if_fail (SOTTO_IS_TYPING (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  if (!self->enabled
      || !envelope->online
      || sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    {
      g_debug ("Ignoring a typing indicator");
      return;
    }

  _sotto_conversation_set_peer_typing (conversation, content->typing_started);
}

/* A message from the contact ends their typing. */
void
_sotto_typing_message_received (SottoTyping       *self,
                                SottoConversation *conversation)
{
  g_return_if_fail (SOTTO_IS_TYPING (self));

  _sotto_conversation_set_peer_typing (conversation, FALSE);
}

static void
sotto_typing_set_enabled (SottoTyping *self,
                          gboolean     enabled)
{
  guint n_conversations;

  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ENABLED]);
  if (enabled)
    return;

  /* Off means neither sent nor shown. */
  g_hash_table_remove_all (self->composing);
  n_conversations = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));
  for (guint i = 0; i < n_conversations; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->conversations), i);

      _sotto_conversation_set_peer_typing (conversation, FALSE);
    }
}

static void
sotto_typing_finalize (GObject *object)
{
  SottoTyping *self = (SottoTyping *)object;

  g_clear_pointer (&self->composing, g_hash_table_unref);
  g_clear_object (&self->outbox);
  g_clear_object (&self->conversations);

  G_OBJECT_CLASS (sotto_typing_parent_class)->finalize (object);
}

static void
sotto_typing_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SottoTyping *self = SOTTO_TYPING (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_typing_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  SottoTyping *self = SOTTO_TYPING (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      sotto_typing_set_enabled (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_typing_class_init (SottoTypingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_typing_finalize;
  object_class->get_property = sotto_typing_get_property;
  object_class->set_property = sotto_typing_set_property;

  /* Whether typing indicators are sent and shown. */
  properties [PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sotto_typing_init (SottoTyping *self)
{
  self->enabled = TRUE;
  self->composing = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) composing_free);
}

SottoTyping *
_sotto_typing_new (SottoConversationList *conversations,
                   SottoOutbox           *outbox)
{
  SottoTyping *self;

  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (conversations), NULL);
  g_return_val_if_fail (SOTTO_IS_OUTBOX (outbox), NULL);

  self = g_object_new (SOTTO_TYPE_TYPING, NULL);
  self->conversations = g_object_ref (conversations);
  self->outbox = g_object_ref (outbox);

  return self;
}
