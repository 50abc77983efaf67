/* sotto-timeline-model.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-timeline-model"

#include "config.h"

#include "sotto-timeline-model.h"

/* The stretch of a conversation the timeline shows: the messages from
 * @start to @end of the conversation's list.
 *
 * A list view placed on the last row of a list of 100,000 walks the rows
 * it does not show to get there, which takes a second or more (GTK 4.8).
 * The timeline therefore starts on the newest page only, or on the page
 * around a message it was asked to show, and grows a page at a time, at
 * the top while the reader scrolls up and at the bottom while the reader
 * scrolls down.  Growing at the top inserts rows in front, which the
 * list view answers by keeping the rows on screen where they are.
 *
 * The list view builds, binds and measures a row for every message of
 * the stretch at once, on screen or not, and that is most of what opening
 * a conversation costs: a page is therefore no longer than the view
 * needs, which the view sets with sotto_timeline_model_set_page_size().
 *
 * While the stretch reaches the newest message it takes in new ones as
 * the conversation gets them. */

struct _SottoTimelineModel
{
  GObject parent_instance;

  GListModel *messages;
  gulong items_changed_handler;
  guint start;
  guint end;
  guint page_size;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoTimelineModel, sotto_timeline_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
sotto_timeline_model_get_item_type (GListModel *model)
{
  SottoTimelineModel *self = SOTTO_TIMELINE_MODEL (model);

  return self->messages != NULL ? g_list_model_get_item_type (self->messages) : G_TYPE_OBJECT;
}

static guint
sotto_timeline_model_get_n_items (GListModel *model)
{
  SottoTimelineModel *self = SOTTO_TIMELINE_MODEL (model);

  return self->end - self->start;
}

static gpointer
sotto_timeline_model_get_item (GListModel *model,
                               guint       position)
{
  SottoTimelineModel *self = SOTTO_TIMELINE_MODEL (model);

  if (position >= self->end - self->start)
    return NULL;

  return g_list_model_get_item (self->messages, self->start + position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = sotto_timeline_model_get_item_type;
  iface->get_n_items = sotto_timeline_model_get_n_items;
  iface->get_item = sotto_timeline_model_get_item;
}

static void
sotto_timeline_model_messages_changed_cb (SottoTimelineModel *self,
                                          guint               position,
                                          guint               removed,
                                          guint               added,
                                          GListModel         *messages)
{
  guint n_messages = g_list_model_get_n_items (messages);
  guint old_length = self->end - self->start;
  guint new_end;

  /* New messages after the newest one shown: taken in. */
  if (removed == 0 && position == self->end && position + added == n_messages)
    {
      self->end += added;
      g_list_model_items_changed (G_LIST_MODEL (self), old_length, 0, added);
      return;
    }

  /* Changes below the stretch do not touch it. */
  if (position >= self->end)
    return;

  /* Changes above it only move it. */
  if (position + removed <= self->start)
    {
      self->start = self->start + added - removed;
      self->end = self->end + added - removed;
      return;
    }

  /* Changes inside it: the same stretch of the changed list. */
  new_end = CLAMP ((gint64) self->end + added - removed, 0, n_messages);
  self->start = MIN (self->start, new_end);
  self->end = new_end;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_length, self->end - self->start);
}

SottoTimelineModel *
sotto_timeline_model_new (void)
{
  return g_object_new (SOTTO_TYPE_TIMELINE_MODEL, NULL);
}

/**
 * sotto_timeline_model_set_messages:
 * @self: a #SottoTimelineModel
 * @messages: (nullable): the conversation's messages
 * @start: the position of the first message to show
 * @end: the position after the last message to show
 *
 * Shows the messages from @start to @end, replacing all rows.
 */
void
sotto_timeline_model_set_messages (SottoTimelineModel *self,
                                   GListModel         *messages,
                                   guint               start,
                                   guint               end)
{
  guint old_length;

  g_return_if_fail (SOTTO_IS_TIMELINE_MODEL (self));
  g_return_if_fail (!messages || G_IS_LIST_MODEL (messages));
  g_return_if_fail (start <= end);
  g_return_if_fail (end <= (messages != NULL ? g_list_model_get_n_items (messages) : 0));

  old_length = self->end - self->start;

  if (self->messages != messages)
    {
      g_clear_signal_handler (&self->items_changed_handler, self->messages);
      g_set_object (&self->messages, messages);
      if (messages != NULL)
        self->items_changed_handler = g_signal_connect_object (messages, "items-changed",
                                                               G_CALLBACK (sotto_timeline_model_messages_changed_cb),
                                                               self, G_CONNECT_SWAPPED);
    }

  self->start = start;
  self->end = end;

  if (old_length > 0 || end > start)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_length, end - start);
}

/**
 * sotto_timeline_model_set_page_size:
 * @self: a #SottoTimelineModel
 * @page_size: how many messages to show at first and to add at a time
 *
 * Sets the length of a page, for the next time the model shows or adds
 * one; the messages already shown stay.
 */
void
sotto_timeline_model_set_page_size (SottoTimelineModel *self,
                                    guint               page_size)
{
  g_return_if_fail (SOTTO_IS_TIMELINE_MODEL (self));
  g_return_if_fail (page_size > 0);

  self->page_size = page_size;
}

guint
sotto_timeline_model_get_page_size (SottoTimelineModel *self)
{
  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), 0);

  return self->page_size;
}

/* Shows the newest page of @messages. */
void
sotto_timeline_model_show_newest (SottoTimelineModel *self,
                                  GListModel         *messages)
{
  guint n_messages;

  g_return_if_fail (SOTTO_IS_TIMELINE_MODEL (self));
  g_return_if_fail (G_IS_LIST_MODEL (messages));

  n_messages = g_list_model_get_n_items (messages);
  sotto_timeline_model_set_messages (self, messages,
                                     n_messages - MIN (n_messages, self->page_size),
                                     n_messages);
}

/* Shows a page of @messages with the one at @position in its middle. */
void
sotto_timeline_model_show_around (SottoTimelineModel *self,
                                  GListModel         *messages,
                                  guint               position)
{
  guint n_messages;
  guint start;
  guint end;

  g_return_if_fail (SOTTO_IS_TIMELINE_MODEL (self));
  g_return_if_fail (G_IS_LIST_MODEL (messages));

  n_messages = g_list_model_get_n_items (messages);
  g_return_if_fail (position < n_messages);

  start = position - MIN (position, self->page_size / 2);
  end = MIN ((gint64) start + self->page_size, n_messages);
  start = end - MIN (end, self->page_size);

  sotto_timeline_model_set_messages (self, messages, start, end);
}

/* Adds the page before the first message shown; %FALSE at the oldest. */
gboolean
sotto_timeline_model_extend_older (SottoTimelineModel *self)
{
  guint added;

  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), FALSE);

  if (self->start == 0)
    return FALSE;

  added = MIN (self->start, self->page_size);
  self->start -= added;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, added);

  return TRUE;
}

/* Adds the page after the last message shown; %FALSE at the newest. */
gboolean
sotto_timeline_model_extend_newer (SottoTimelineModel *self)
{
  guint old_length;
  guint added;

  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), FALSE);

  if (sotto_timeline_model_get_shows_newest (self))
    return FALSE;

  old_length = self->end - self->start;
  added = MIN (g_list_model_get_n_items (self->messages) - self->end, self->page_size);
  self->end += added;
  g_list_model_items_changed (G_LIST_MODEL (self), old_length, 0, added);

  return TRUE;
}

/* The position in the conversation of the first message shown. */
guint
sotto_timeline_model_get_start (SottoTimelineModel *self)
{
  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), 0);

  return self->start;
}

/* The position in the conversation after the last message shown. */
guint
sotto_timeline_model_get_end (SottoTimelineModel *self)
{
  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), 0);

  return self->end;
}

/* Whether the newest message of the conversation is among those shown. */
gboolean
sotto_timeline_model_get_shows_newest (SottoTimelineModel *self)
{
  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), FALSE);

  return self->messages == NULL || self->end == g_list_model_get_n_items (self->messages);
}

/* The message before the row at @position, even when it is not shown,
 * so that a row can tell whether it starts a day or a group; %NULL
 * before the first message of the conversation. */
gpointer
sotto_timeline_model_dup_before (SottoTimelineModel *self,
                                 guint               position)
{
  g_return_val_if_fail (SOTTO_IS_TIMELINE_MODEL (self), NULL);

  if (self->messages == NULL || self->start + position == 0)
    return NULL;

  return g_list_model_get_item (self->messages, self->start + position - 1);
}

static void
sotto_timeline_model_dispose (GObject *object)
{
  SottoTimelineModel *self = (SottoTimelineModel *)object;

  g_clear_signal_handler (&self->items_changed_handler, self->messages);
  g_clear_object (&self->messages);

  G_OBJECT_CLASS (sotto_timeline_model_parent_class)->dispose (object);
}

static void
sotto_timeline_model_class_init (SottoTimelineModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_timeline_model_dispose;
}

static void
sotto_timeline_model_init (SottoTimelineModel *self)
{
  self->page_size = SOTTO_TIMELINE_MODEL_PAGE_SIZE;
}
