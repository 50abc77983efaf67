/* test-timeline-model.c: the stretch of a conversation the timeline shows
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model is checked through what a list view sees of it: a copy kept
 * up to date from its items-changed signals alone must always hold the
 * same items as the model, in the same order.
 */

#include "config.h"

#include <gtk/gtk.h>

#include "sotto-timeline-model.h"

typedef struct {
  GListModel *model;
  GPtrArray *copy;
  guint n_signals;
} Mirror;

static void
mirror_changed_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Mirror     *mirror)
{
  g_assert_cmpuint (position + removed, <=, mirror->copy->len);
  g_ptr_array_remove_range (mirror->copy, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror->copy, position + i, g_list_model_get_item (model, position + i));
  mirror->n_signals++;
}

static void
mirror_assert_equal (Mirror *mirror)
{
  g_assert_cmpuint (mirror->copy->len, ==, g_list_model_get_n_items (mirror->model));
  for (guint i = 0; i < mirror->copy->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (mirror->model, i);

      g_assert_true (item == g_ptr_array_index (mirror->copy, i));
    }
}

/* A conversation of @n messages, stand-ins numbered by their position. */
static GListStore *
make_messages (guint n)
{
  GListStore *messages = g_list_store_new (GTK_TYPE_STRING_OBJECT);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u", i);
      g_autoptr(GtkStringObject) item = gtk_string_object_new (text);

      g_list_store_append (messages, item);
    }

  return messages;
}

/* The conversation position of the model's row at @row. */
static guint
position_at (SottoTimelineModel *model,
             guint               row)
{
  g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (model), row);

  return g_ascii_strtoull (gtk_string_object_get_string (item), NULL, 10);
}

static void
test_timeline_model_paging (void)
{
  g_autoptr(GListStore) messages = make_messages (120);
  g_autoptr(SottoTimelineModel) model = sotto_timeline_model_new ();
  g_autoptr(GPtrArray) copy = g_ptr_array_new_with_free_func (g_object_unref);
  Mirror mirror = { G_LIST_MODEL (model), copy, 0 };
  g_autoptr(GtkStringObject) newest = gtk_string_object_new ("120");
  g_autoptr(GtkStringObject) older = gtk_string_object_new ("older");

  g_signal_connect (model, "items-changed", G_CALLBACK (mirror_changed_cb), &mirror);

  /* It opens on the newest page. */
  sotto_timeline_model_show_newest (model, G_LIST_MODEL (messages));
  mirror_assert_equal (&mirror);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, SOTTO_TIMELINE_MODEL_PAGE_SIZE);
  g_assert_cmpuint (position_at (model, 0), ==, 120 - SOTTO_TIMELINE_MODEL_PAGE_SIZE);
  g_assert_true (sotto_timeline_model_get_shows_newest (model));
  g_assert_false (sotto_timeline_model_extend_newer (model));

  /* Older pages come in front, down to the first message. */
  g_assert_true (sotto_timeline_model_extend_older (model));
  g_assert_true (sotto_timeline_model_extend_older (model));
  g_assert_false (sotto_timeline_model_extend_older (model));
  mirror_assert_equal (&mirror);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 120);
  g_assert_cmpuint (position_at (model, 0), ==, 0);

  /* A new message is taken in while the newest one is shown. */
  g_list_store_append (messages, newest);
  mirror_assert_equal (&mirror);
  g_assert_cmpuint (sotto_timeline_model_get_end (model), ==, 121);

  /* Around a message, without the newest: new ones stay out, and the
   * stretch moves with changes in front of it. */
  sotto_timeline_model_show_around (model, G_LIST_MODEL (messages), 60);
  mirror_assert_equal (&mirror);
  g_assert_cmpuint (sotto_timeline_model_get_start (model), ==, 60 - SOTTO_TIMELINE_MODEL_PAGE_SIZE / 2);
  g_assert_false (sotto_timeline_model_get_shows_newest (model));
  g_list_store_append (messages, newest);
  mirror_assert_equal (&mirror);
  g_list_store_insert (messages, 0, older);
  mirror_assert_equal (&mirror);
  g_assert_cmpuint (position_at (model, 0), ==, 60 - SOTTO_TIMELINE_MODEL_PAGE_SIZE / 2);
  g_assert_cmpuint (sotto_timeline_model_get_start (model), ==, 60 - SOTTO_TIMELINE_MODEL_PAGE_SIZE / 2 + 1);

  /* Newer pages come behind, up to the newest message. */
  while (sotto_timeline_model_extend_newer (model))
    mirror_assert_equal (&mirror);
  g_assert_true (sotto_timeline_model_get_shows_newest (model));
  mirror_assert_equal (&mirror);

  /* A change inside the stretch, as a deletion is. */
  g_list_store_remove (messages, 100);
  mirror_assert_equal (&mirror);
  g_assert_true (sotto_timeline_model_get_shows_newest (model));

  /* Around the first message, the stretch starts there. */
  sotto_timeline_model_show_around (model, G_LIST_MODEL (messages), 0);
  mirror_assert_equal (&mirror);
  g_assert_cmpuint (sotto_timeline_model_get_start (model), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, SOTTO_TIMELINE_MODEL_PAGE_SIZE);
  g_assert_null (sotto_timeline_model_dup_before (model, 0));
}

/* A page as long as the view asks for, at first and on every extension. */
static void
test_timeline_model_page_size (void)
{
  g_autoptr(GListStore) messages = make_messages (120);
  g_autoptr(SottoTimelineModel) model = sotto_timeline_model_new ();

  g_assert_cmpuint (sotto_timeline_model_get_page_size (model), ==, SOTTO_TIMELINE_MODEL_PAGE_SIZE);
  sotto_timeline_model_set_page_size (model, 12);

  sotto_timeline_model_show_newest (model, G_LIST_MODEL (messages));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 12);
  g_assert_cmpuint (position_at (model, 0), ==, 108);

  g_assert_true (sotto_timeline_model_extend_older (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 24);
  g_assert_cmpuint (position_at (model, 0), ==, 96);

  sotto_timeline_model_show_around (model, G_LIST_MODEL (messages), 60);
  g_assert_cmpuint (sotto_timeline_model_get_start (model), ==, 54);
  g_assert_cmpuint (sotto_timeline_model_get_end (model), ==, 66);
  g_assert_true (sotto_timeline_model_extend_newer (model));
  g_assert_cmpuint (sotto_timeline_model_get_end (model), ==, 78);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/timeline-model/paging", test_timeline_model_paging);
  g_test_add_func ("/app/timeline-model/page-size", test_timeline_model_page_size);

  return g_test_run ();
}
