/* sotto-service-signals.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include "sotto-conversation.h"
#include "sotto-engine-enums.h"
#include "sotto-message.h"
#include "sotto-service-signals-private.h"

/* The signals a service and the messenger both have: the service emits
 * them, and the messenger, which owns it, emits them again as its own
 * (_sotto_signal_forward()), so that they are declared once, here. */

/* "identity-changed" (SottoConversation *conversation): a contact's
 * identity key changed, and a "safety number changed" event entered the
 * conversation. */
guint
_sotto_signal_new_identity_changed (GType type)
{
  return g_signal_new ("identity-changed",
                       type,
                       G_SIGNAL_RUN_LAST,
                       0,
                       NULL, NULL,
                       NULL,
                       G_TYPE_NONE, 1, SOTTO_TYPE_CONVERSATION);
}

/* "message-received" (SottoConversation *conversation, SottoMessage
 * *message): a message from a contact was stored. */
guint
_sotto_signal_new_message_received (GType type)
{
  return g_signal_new ("message-received",
                       type,
                       G_SIGNAL_RUN_LAST,
                       0,
                       NULL, NULL,
                       NULL,
                       G_TYPE_NONE, 2, SOTTO_TYPE_CONVERSATION, SOTTO_TYPE_MESSAGE);
}

/* A contact's reaction, edit or deletion for everyone applied: the
 * conversation, a SottoMessageAction, the id of the content that did it,
 * the message's id, the new text or the emoji (%NULL when a reaction is
 * removed, and for a deletion), when it was sent, and the message as it
 * left it. */
guint
_sotto_signal_new_message_action (GType type)
{
  return g_signal_new ("message-action",
                       type,
                       G_SIGNAL_RUN_LAST,
                       0,
                       NULL, NULL,
                       NULL,
                       G_TYPE_NONE, 7, SOTTO_TYPE_CONVERSATION, SOTTO_TYPE_MESSAGE_ACTION, G_TYPE_STRING,
                       G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64, SOTTO_TYPE_MESSAGE);
}

/* Emits the signal of the same name on the closure's object, with the
 * arguments the source's emission had. */
static void
forward_marshal (GClosure     *closure,
                 GValue       *return_value,
                 guint         n_param_values,
                 const GValue *param_values,
                 gpointer      invocation_hint,
                 gpointer      marshal_data)
{
  GSignalInvocationHint *hint = invocation_hint;
  GObject *target = closure->data;
  g_autofree GValue *values = g_new0 (GValue, n_param_values);
  guint signal_id = g_signal_lookup (g_signal_name (hint->signal_id), G_OBJECT_TYPE (target));

  g_value_init (&values[0], G_OBJECT_TYPE (target));
  g_value_set_object (&values[0], target);
  for (guint i = 1; i < n_param_values; i++)
    {
      g_value_init (&values[i], G_VALUE_TYPE (&param_values[i]));
      g_value_copy (&param_values[i], &values[i]);
    }

  g_signal_emitv (values, signal_id, 0, return_value);

  for (guint i = 0; i < n_param_values; i++)
    g_value_unset (&values[i]);
}

/* Emits @target's signal @signal_name, with the same arguments, each
 * time @source emits its own of that name, for as long as @target
 * lives (as g_signal_connect_object() would).  Both must have the
 * signal, with the same arguments: one made by the functions above. */
void
_sotto_signal_forward (gpointer    source,
                       const char *signal_name,
                       gpointer    target)
{
  GClosure *closure;

  g_return_if_fail (G_IS_OBJECT (source));
  g_return_if_fail (G_IS_OBJECT (target));
  g_return_if_fail (g_signal_lookup (signal_name, G_OBJECT_TYPE (target)) != 0);

  closure = g_closure_new_object (sizeof (GClosure), target);
  g_closure_set_marshal (closure, forward_marshal);
  g_signal_connect_closure (source, signal_name, closure, FALSE);
}
