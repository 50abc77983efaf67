/* sotto-group-list-delivery.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-conversation.h"
#include "sotto-group-list-internal-private.h"

/* One group content to one member, inside their 1:1 session: the
 * outbox's delivery, which sets up a session from a prekey bundle for a
 * member there is none with, handles the relay's 409 and 410 answers,
 * and holds what goes to a member whose verified key changed.  A member
 * there is no contact for yet becomes one. */

typedef struct
{
  SottoContent *content;
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  sotto_content_free (delivery->content);
  g_free (delivery);
}

static void
delivered_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (_sotto_outbox_send_content_finish (SOTTO_OUTBOX (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
member_ensured_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(SottoConversation) conversation = NULL;
  GError *error = NULL;

  conversation = _sotto_messenger_ensure_contact_finish (SOTTO_MESSENGER (object), result, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_outbox_send_content_async (self->outbox, conversation, delivery->content, NULL, delivered_cb,
                                    g_steal_pointer (&task));
}

/* The standing of a contact made for a member this account did not add
 * itself: what a new sender gets. */
static SottoContactStanding
member_standing (SottoGroupList *self)
{
  gboolean message_requests = FALSE;

  if (self->messenger != NULL)
    g_object_get (self->messenger, "message-requests", &message_requests, NULL);

  return message_requests ? SOTTO_CONTACT_STANDING_REQUEST : SOTTO_CONTACT_STANDING_ACCEPTED;
}

/* Delivers @content, which it takes, to the member @uuid (who joined
 * as @username, if known); completes once the relay committed it. */
void
_sotto_group_list_deliver_async (SottoGroupList      *self,
                                 const char          *uuid,
                                 const char          *username,
                                 SottoContent        *content,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  SottoConversation *conversation = sotto_conversation_list_find_by_uuid (self->conversations, uuid);
  Delivery *delivery = g_new0 (Delivery, 1);

  delivery->content = content;
  g_task_set_source_tag (task, _sotto_group_list_deliver_async);
  g_task_set_task_data (task, delivery, (GDestroyNotify) delivery_free);

  if (conversation != NULL)
    {
      _sotto_outbox_send_content_async (self->outbox, conversation, content, NULL, delivered_cb,
                                        g_steal_pointer (&task));
      return;
    }

  if (self->messenger == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The account was closed"));
      return;
    }

  _sotto_messenger_ensure_contact_async (self->messenger, uuid, username, member_standing (self), NULL,
                                         member_ensured_cb, g_steal_pointer (&task));
}

gboolean
_sotto_group_list_deliver_finish (SottoGroupList  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, _sotto_group_list_deliver_async, error);
}
