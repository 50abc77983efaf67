/* sotto-search-results.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-search-results"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-contact-label.h"
#include "sotto-search-results.h"

/* The messages whose text holds what the user searches for, from every
 * conversation and every group, newest first: the two searches run side
 * by side, and their matches show together once both are done.  Each
 * new query cancels the searches before it; activating a match emits
 * SottoSearchResults::match-activated. */

struct _SottoSearchResults
{
  GtkWidget parent_instance;

  SottoConversationList *conversations;
  SottoGroupList *groups;
  GCancellable *cancellable;
  GListModel *matches;
  /* The query's matches while some of its searches still run. */
  GListStore *found;
  guint n_searching;

  GtkWidget *box;
  GtkListBox *list;
};

enum {
  PROP_0,
  PROP_N_MATCHES,
  N_PROPS
};

enum {
  MATCH_ACTIVATED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoSearchResults, sotto_search_results, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

/* "bob: Which crag?": who wrote a group's message, and what. */
static char *
sotto_search_results_group_line (SottoSearchResults *self,
                                 SottoMessageMatch  *match)
{
  SottoAccount *account = sotto_group_list_get_account (self->groups);
  const char *author = sotto_message_match_get_author (match);
  const char *name = sotto_message_match_get_author_name (match);

  if (g_ascii_strcasecmp (author, sotto_account_get_uuid (account)) == 0)
    name = _("You");

  /* Translators: a group's message found by a search, as in "bob: Which crag?" */
  return g_strdup_printf (_("%s: %s"), name != NULL ? name : author, sotto_message_match_get_text (match));
}

static GtkWidget *
sotto_search_results_create_row_cb (gpointer item,
                                    gpointer user_data)
{
  SottoSearchResults *self = user_data;
  SottoMessageMatch *match = item;
  SottoGroup *group = sotto_message_match_get_group (match);
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  GtkWidget *row = adw_action_row_new ();

  if (group != NULL)
    {
      title = g_strdup (sotto_group_get_title (group));
      text = sotto_search_results_group_line (self, match);
    }
  else
    {
      title = sotto_contact_label_full (sotto_conversation_get_contact (sotto_message_match_get_conversation (match)));
      text = g_strdup (sotto_message_match_get_text (match));
    }
  g_strdelimit (text, "\n", ' ');

  /* Names and messages are shown as they are, never as markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);

  return row;
}

static void
sotto_search_results_set_matches (SottoSearchResults *self,
                                  GListModel         *matches)
{
  guint n_before = sotto_search_results_get_n_matches (self);

  g_set_object (&self->matches, matches);
  gtk_list_box_bind_model (self->list, matches, sotto_search_results_create_row_cb, self, NULL);

  if (n_before != sotto_search_results_get_n_matches (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_MATCHES]);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b,
                      gpointer      user_data)
{
  gint64 a_sent_at = sotto_message_match_get_sent_at ((SottoMessageMatch *) a);
  gint64 b_sent_at = sotto_message_match_get_sent_at ((SottoMessageMatch *) b);

  return (b_sent_at > a_sent_at) - (b_sent_at < a_sent_at);
}

/* Adds what one of the query's searches found; once the last is done,
 * the matches show, the newest first, as many as one search gives. */
static void
sotto_search_results_take (gpointer      user_data,
                           GListModel   *matches,
                           const GError *error)
{
  SottoSearchResults *self = user_data;
  guint n;

  /* A cancelled search belongs to a query, or a widget, gone since. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (matches == NULL)
    g_warning ("Could not search messages: %s", error->message);

  for (guint i = 0; matches != NULL && i < g_list_model_get_n_items (matches); i++)
    {
      g_autoptr(GObject) match = g_list_model_get_item (matches, i);

      g_list_store_append (self->found, match);
    }

  if (--self->n_searching > 0)
    return;

  g_list_store_sort (self->found, compare_newest_first, NULL);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->found));
  if (n > SOTTO_CONVERSATION_LIST_MAX_MATCHES)
    g_list_store_splice (self->found, SOTTO_CONVERSATION_LIST_MAX_MATCHES, n - SOTTO_CONVERSATION_LIST_MAX_MATCHES,
                         NULL, 0);
  sotto_search_results_set_matches (self, G_LIST_MODEL (self->found));
  g_clear_object (&self->found);
}

static void
sotto_search_results_conversations_cb (GObject      *object,
                                       GAsyncResult *result,
                                       gpointer      user_data)
{
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;

  matches = sotto_conversation_list_search_finish (SOTTO_CONVERSATION_LIST (object), result, &error);
  sotto_search_results_take (user_data, matches, error);
}

static void
sotto_search_results_groups_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;

  matches = sotto_group_list_search_finish (SOTTO_GROUP_LIST (object), result, &error);
  sotto_search_results_take (user_data, matches, error);
}

static void
sotto_search_results_row_activated_cb (SottoSearchResults *self,
                                       GtkListBoxRow      *row)
{
  g_autoptr(SottoMessageMatch) match = g_list_model_get_item (self->matches, gtk_list_box_row_get_index (row));

  if (match != NULL)
    g_signal_emit (self, signals [MATCH_ACTIVATED], 0, match);
}

void
sotto_search_results_set_conversations (SottoSearchResults    *self,
                                        SottoConversationList *conversations)
{
  g_return_if_fail (SOTTO_IS_SEARCH_RESULTS (self));
  g_return_if_fail (!conversations || SOTTO_IS_CONVERSATION_LIST (conversations));

  g_set_object (&self->conversations, conversations);
  sotto_search_results_set_query (self, NULL);
}

/**
 * sotto_search_results_set_groups:
 * @self: a #SottoSearchResults
 * @groups: (nullable): the groups whose messages to search too
 */
void
sotto_search_results_set_groups (SottoSearchResults *self,
                                 SottoGroupList     *groups)
{
  g_return_if_fail (SOTTO_IS_SEARCH_RESULTS (self));
  g_return_if_fail (!groups || SOTTO_IS_GROUP_LIST (groups));

  g_set_object (&self->groups, groups);
  sotto_search_results_set_query (self, NULL);
}

/**
 * sotto_search_results_set_query:
 * @self: a #SottoSearchResults
 * @query: (nullable): what to look for in the text of messages
 *
 * Starts looking for @query; %NULL or an empty string shows no matches.
 */
void
sotto_search_results_set_query (SottoSearchResults *self,
                                const char         *query)
{
  g_return_if_fail (SOTTO_IS_SEARCH_RESULTS (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->found);
  sotto_search_results_set_matches (self, NULL);

  if (self->conversations == NULL || query == NULL || query[0] == '\0')
    return;

  self->cancellable = g_cancellable_new ();
  self->found = g_list_store_new (SOTTO_TYPE_MESSAGE_MATCH);
  self->n_searching = 1;
  sotto_conversation_list_search_async (self->conversations, query, self->cancellable,
                                        sotto_search_results_conversations_cb, self);
  if (self->groups != NULL)
    {
      self->n_searching++;
      sotto_group_list_search_async (self->groups, query, self->cancellable, sotto_search_results_groups_cb, self);
    }
}

/* How many messages the last search found. */
guint
sotto_search_results_get_n_matches (SottoSearchResults *self)
{
  g_return_val_if_fail (SOTTO_IS_SEARCH_RESULTS (self), 0);

  return self->matches != NULL ? g_list_model_get_n_items (self->matches) : 0;
}

static void
sotto_search_results_dispose (GObject *object)
{
  SottoSearchResults *self = (SottoSearchResults *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_SEARCH_RESULTS);

  g_clear_object (&self->matches);
  g_clear_object (&self->found);
  g_clear_object (&self->conversations);
  g_clear_object (&self->groups);

  G_OBJECT_CLASS (sotto_search_results_parent_class)->dispose (object);
}

static void
sotto_search_results_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  SottoSearchResults *self = SOTTO_SEARCH_RESULTS (object);

  switch (prop_id)
    {
    case PROP_N_MATCHES:
      g_value_set_uint (value, sotto_search_results_get_n_matches (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_search_results_class_init (SottoSearchResultsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_search_results_dispose;
  object_class->get_property = sotto_search_results_get_property;

  properties [PROP_N_MATCHES] =
    g_param_spec_uint ("n-matches", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SottoSearchResults::match-activated:
   * @self: a #SottoSearchResults
   * @match: the #SottoMessageMatch the user chose
   */
  signals [MATCH_ACTIVATED] =
    g_signal_new ("match-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_MESSAGE_MATCH);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-search-results.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoSearchResults, box);
  gtk_widget_class_bind_template_child (widget_class, SottoSearchResults, list);
  gtk_widget_class_bind_template_callback (widget_class, sotto_search_results_row_activated_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
sotto_search_results_init (SottoSearchResults *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
