/* sotto-group-event.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include "sotto-group-event.h"

G_DEFINE_BOXED_TYPE (SottoGroupEvent, sotto_group_event, sotto_group_event_copy, sotto_group_event_free)

SottoGroupEvent *
sotto_group_event_new (SottoGroupEventKind  kind,
                       const char          *id,
                       gboolean             outgoing,
                       const char          *author,
                       const char          *author_name,
                       const char          *text,
                       const char          *detail,
                       gint64               sent_at)
{
  SottoGroupEvent *event = g_new0 (SottoGroupEvent, 1);

  event->kind = kind;
  event->id = g_strdup (id);
  event->outgoing = outgoing;
  event->author = g_strdup (author);
  event->author_name = g_strdup (author_name);
  event->text = g_strdup (text);
  event->detail = g_strdup (detail);
  event->sent_at = sent_at;

  return event;
}

SottoGroupEvent *
sotto_group_event_copy (const SottoGroupEvent *event)
{
  SottoGroupEvent *copy;

  g_return_val_if_fail (event != NULL, NULL);

  copy = sotto_group_event_new (event->kind, event->id, event->outgoing, event->author, event->author_name,
                                event->text, event->detail, event->sent_at);
  copy->sealed = event->sealed;

  return copy;
}

void
sotto_group_event_free (SottoGroupEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->id);
  g_free (event->author);
  g_free (event->author_name);
  g_free (event->text);
  g_free (event->detail);
  g_free (event);
}
