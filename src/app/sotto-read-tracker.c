/* sotto-read-tracker.c: the unread messages that the user has seen
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-read-tracker"

#include "config.h"

#include "sotto-message-row.h"
#include "sotto-read-tracker.h"

/* A message is read once the user has seen it: when its row has been in
 * sight in the timeline's scrolled window for SEEN_DWELL_MS, while the
 * window is active and not minimised.  A message further down, one that
 * only flashed past, or one that came while the user was in another
 * window stays unread, and its sender hears nothing, until it is on
 * screen.
 *
 * The tracker looks at the rows whenever what is in sight may have
 * changed (a scroll, a new size, a new row, the window gaining the
 * focus, the timeline being shown), once the frame that shows the change
 * is painted, and again while a row in sight waits out its time.  What
 * it finds seen goes out together SEEN_BATCH_MS later as
 * SottoReadTracker::messages-seen, so that reading down a long
 * conversation marks messages read in a few store transactions and read
 * receipts rather than one for each. */

#define SEEN_DWELL_MS 500
#define SEEN_BATCH_MS 300

struct _SottoReadTracker
{
  GObject parent_instance;

  GtkScrolledWindow *scroller;  /* weak: it holds the timeline whose view owns this */
  GtkWindow *window;            /* weak: the scroller's, followed for its is-active */
  GHashTable *in_sight;         /* id of an unread message in sight -> since when (µs) */
  GHashTable *seen;             /* ids seen since the tracker last forgot */
  GPtrArray *batch;             /* of them, those not reported yet */
  GdkFrameClock *frame_clock;   /* the one whose next painted frame is looked at */
  gulong after_paint_handler;
  guint dwell_source;
  guint batch_source;
};

enum {
  MESSAGES_SEEN,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoReadTracker, sotto_read_tracker, G_TYPE_OBJECT)

static guint signals [N_SIGNALS];

/* Whether the user can see the timeline: it is shown, in the window that
 * has the focus, which is not minimised. */
static gboolean
sotto_read_tracker_in_view (SottoReadTracker *self)
{
  GtkRoot *root;
  GdkSurface *surface;

  if (self->scroller == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self->scroller)))
    return FALSE;

  root = gtk_widget_get_root (GTK_WIDGET (self->scroller));
  if (!GTK_IS_WINDOW (root) || !gtk_window_is_active (GTK_WINDOW (root)))
    return FALSE;

  surface = gtk_native_get_surface (GTK_NATIVE (root));

  return !GDK_IS_TOPLEVEL (surface)
         || (gdk_toplevel_get_state (GDK_TOPLEVEL (surface)) & GDK_TOPLEVEL_STATE_MINIMIZED) == 0;
}

/* Whether enough of @row is inside @scroller to be read: half of it, or
 * half the height of the view for a row taller than that. */
static gboolean
row_in_sight (GtkWidget *row,
              GtkWidget *scroller)
{
  float height = gtk_widget_get_height (scroller);
  graphene_rect_t bounds;
  float shown;

  if (!gtk_widget_get_mapped (row) || !gtk_widget_compute_bounds (row, scroller, &bounds))
    return FALSE;

  shown = MIN (bounds.origin.y + bounds.size.height, height) - MAX (bounds.origin.y, 0);

  return shown > 0 && shown >= MIN (bounds.size.height, height) / 2;
}

/* The unread incoming messages whose rows are in sight now, as a set of
 * ids; a message still on its way from the store is not in it yet, and
 * its row is looked at again. */
static GHashTable *
sotto_read_tracker_collect (SottoReadTracker *self,
                            gboolean         *look_again)
{
  GHashTable *now = g_hash_table_new (g_str_hash, g_str_equal);
  GtkWidget *timeline = gtk_scrolled_window_get_child (self->scroller);

  /* The list view's children are its items, each holding a row. */
  for (GtkWidget *item = gtk_widget_get_first_child (timeline);
       item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);
      SottoMessage *message;

      if (!SOTTO_IS_MESSAGE_ROW (row) || !row_in_sight (row, GTK_WIDGET (self->scroller)))
        continue;

      message = sotto_message_row_get_message (SOTTO_MESSAGE_ROW (row));
      if (message == NULL)
        continue;

      if (!sotto_message_get_loaded (message))
        *look_again = TRUE;
      else if (sotto_message_get_direction (message) == SOTTO_MESSAGE_DIRECTION_INCOMING
               && sotto_message_get_state (message) == SOTTO_MESSAGE_STATE_DELIVERED
               && !g_hash_table_contains (self->seen, sotto_message_get_id (message)))
        g_hash_table_add (now, (gpointer) sotto_message_get_id (message));
    }

  return now;
}

static gboolean
sotto_read_tracker_batch_cb (gpointer user_data)
{
  SottoReadTracker *self = user_data;

  self->batch_source = 0;
  sotto_read_tracker_flush (self);

  return G_SOURCE_REMOVE;
}

static gboolean sotto_read_tracker_dwell_cb (gpointer user_data);

/* Notes which unread messages are in sight, and since when; those in
 * sight long enough are seen. */
static void
sotto_read_tracker_look (SottoReadTracker *self)
{
  g_autoptr(GHashTable) now = NULL;
  gint64 time = g_get_monotonic_time ();
  gboolean look_again = FALSE;
  GHashTableIter iter;
  gpointer id;
  gpointer since;

  if (!sotto_read_tracker_in_view (self))
    {
      g_hash_table_remove_all (self->in_sight);
      g_clear_handle_id (&self->dwell_source, g_source_remove);
      return;
    }

  now = sotto_read_tracker_collect (self, &look_again);

  /* A row that left the view starts again when it comes back. */
  g_hash_table_iter_init (&iter, self->in_sight);
  while (g_hash_table_iter_next (&iter, &id, &since))
    {
      if (!g_hash_table_contains (now, id))
        g_hash_table_iter_remove (&iter);
      else if (time - *(gint64 *) since >= SEEN_DWELL_MS * 1000)
        {
          g_hash_table_add (self->seen, g_strdup (id));
          g_ptr_array_add (self->batch, g_strdup (id));
          g_hash_table_iter_remove (&iter);
        }
    }

  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (!g_hash_table_contains (self->in_sight, id) && !g_hash_table_contains (self->seen, id))
      g_hash_table_insert (self->in_sight, g_strdup (id), g_memdup2 (&time, sizeof time));

  if ((g_hash_table_size (self->in_sight) > 0 || look_again) && self->dwell_source == 0)
    self->dwell_source = g_timeout_add (SEEN_DWELL_MS / 4, sotto_read_tracker_dwell_cb, self);
  if (self->batch->len > 0 && self->batch_source == 0)
    self->batch_source = g_timeout_add (SEEN_BATCH_MS, sotto_read_tracker_batch_cb, self);
}

static gboolean
sotto_read_tracker_dwell_cb (gpointer user_data)
{
  SottoReadTracker *self = user_data;

  self->dwell_source = 0;
  sotto_read_tracker_queue (self);

  return G_SOURCE_REMOVE;
}

/* Whether a look waits for the next frame of @frame_clock.  A frame
 * clock that its window disposed has dropped its handlers. */
static gboolean
sotto_read_tracker_waits_for (SottoReadTracker *self,
                              GdkFrameClock    *frame_clock)
{
  return self->frame_clock == frame_clock && frame_clock != NULL
         && g_signal_handler_is_connected (frame_clock, self->after_paint_handler);
}

static void
sotto_read_tracker_stop_waiting (SottoReadTracker *self)
{
  if (sotto_read_tracker_waits_for (self, self->frame_clock))
    g_signal_handler_disconnect (self->frame_clock, self->after_paint_handler);
  self->after_paint_handler = 0;
  g_clear_object (&self->frame_clock);
}

static void
sotto_read_tracker_after_paint_cb (SottoReadTracker *self)
{
  sotto_read_tracker_stop_waiting (self);
  sotto_read_tracker_look (self);
}

/**
 * sotto_read_tracker_queue:
 * @self: a #SottoReadTracker
 *
 * Looks at the rows in sight once the next frame is painted: what is
 * shown may have changed.  Before then the rows may still stand where
 * they were, and a row the user never saw could count as seen.
 */
void
sotto_read_tracker_queue (SottoReadTracker *self)
{
  GdkFrameClock *frame_clock;

  g_return_if_fail (SOTTO_IS_READ_TRACKER (self));

  /* Nothing is on screen before the timeline is; its map queues again. */
  if (self->scroller == NULL
      || (frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->scroller))) == NULL
      || sotto_read_tracker_waits_for (self, frame_clock))
    return;

  sotto_read_tracker_stop_waiting (self);
  self->frame_clock = g_object_ref (frame_clock);
  self->after_paint_handler = g_signal_connect_swapped (frame_clock, "after-paint",
                                                        G_CALLBACK (sotto_read_tracker_after_paint_cb), self);
  gdk_frame_clock_request_phase (frame_clock, GDK_FRAME_CLOCK_PHASE_AFTER_PAINT);
}

/**
 * sotto_read_tracker_flush:
 * @self: a #SottoReadTracker
 *
 * Reports what was seen and not reported yet, now: before the timeline
 * shows another conversation.
 */
void
sotto_read_tracker_flush (SottoReadTracker *self)
{
  g_return_if_fail (SOTTO_IS_READ_TRACKER (self));

  g_clear_handle_id (&self->batch_source, g_source_remove);
  if (self->batch->len == 0)
    return;

  g_signal_emit (self, signals [MESSAGES_SEEN], 0, (GStrv) self->batch->pdata);
  g_ptr_array_set_size (self->batch, 0);
}

/**
 * sotto_read_tracker_forget:
 * @self: a #SottoReadTracker
 *
 * Forgets what was seen, unreported or not: the timeline shows another
 * conversation.
 */
void
sotto_read_tracker_forget (SottoReadTracker *self)
{
  g_return_if_fail (SOTTO_IS_READ_TRACKER (self));

  g_clear_handle_id (&self->dwell_source, g_source_remove);
  g_clear_handle_id (&self->batch_source, g_source_remove);
  g_ptr_array_set_size (self->batch, 0);
  g_hash_table_remove_all (self->in_sight);
  g_hash_table_remove_all (self->seen);
}

static void
sotto_read_tracker_set_window (SottoReadTracker *self,
                               GtkWindow        *window)
{
  if (self->window != NULL)
    g_signal_handlers_disconnect_by_func (self->window, sotto_read_tracker_queue, self);
  g_set_weak_pointer (&self->window, window);

  /* Coming back to the window shows the user what it holds. */
  if (window != NULL)
    g_signal_connect_object (window, "notify::is-active", G_CALLBACK (sotto_read_tracker_queue),
                             self, G_CONNECT_SWAPPED);
}

static void
sotto_read_tracker_root_cb (SottoReadTracker *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self->scroller));

  sotto_read_tracker_set_window (self, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL);
  sotto_read_tracker_queue (self);
}

/**
 * sotto_read_tracker_new:
 * @scroller: the scrolled window around the timeline's list view
 *
 * Follows what @scroller shows, and its window.
 *
 * Returns: (transfer full): a new #SottoReadTracker
 */
SottoReadTracker *
sotto_read_tracker_new (GtkScrolledWindow *scroller)
{
  SottoReadTracker *self;
  GtkAdjustment *adjustment;

  g_return_val_if_fail (GTK_IS_SCROLLED_WINDOW (scroller), NULL);

  self = g_object_new (SOTTO_TYPE_READ_TRACKER, NULL);
  g_set_weak_pointer (&self->scroller, scroller);

  adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (sotto_read_tracker_queue),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "changed", G_CALLBACK (sotto_read_tracker_queue),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (scroller, "map", G_CALLBACK (sotto_read_tracker_queue),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (scroller, "notify::root", G_CALLBACK (sotto_read_tracker_root_cb),
                           self, G_CONNECT_SWAPPED);
  sotto_read_tracker_root_cb (self);

  return self;
}

static void
sotto_read_tracker_dispose (GObject *object)
{
  SottoReadTracker *self = (SottoReadTracker *) object;

  sotto_read_tracker_stop_waiting (self);
  g_clear_handle_id (&self->dwell_source, g_source_remove);
  g_clear_handle_id (&self->batch_source, g_source_remove);
  sotto_read_tracker_set_window (self, NULL);
  g_clear_weak_pointer (&self->scroller);

  G_OBJECT_CLASS (sotto_read_tracker_parent_class)->dispose (object);
}

static void
sotto_read_tracker_finalize (GObject *object)
{
  SottoReadTracker *self = (SottoReadTracker *) object;

  g_clear_pointer (&self->in_sight, g_hash_table_unref);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->batch, g_ptr_array_unref);

  G_OBJECT_CLASS (sotto_read_tracker_parent_class)->finalize (object);
}

static void
sotto_read_tracker_class_init (SottoReadTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_read_tracker_dispose;
  object_class->finalize = sotto_read_tracker_finalize;

  /**
   * SottoReadTracker::messages-seen:
   * @self: a #SottoReadTracker
   * @ids: the UUIDs of unread incoming messages that the user has seen
   */
  signals [MESSAGES_SEEN] =
    g_signal_new ("messages-seen",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRV);
}

static void
sotto_read_tracker_init (SottoReadTracker *self)
{
  self->in_sight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->batch = g_ptr_array_new_null_terminated (0, g_free, TRUE);
}
