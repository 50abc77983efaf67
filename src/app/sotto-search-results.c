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
 * conversation, newest first.  Each new query cancels the search before
 * it; activating a match emits SottoSearchResults::match-activated. */

struct _SottoSearchResults
{
  GtkWidget parent_instance;

  SottoConversationList *conversations;
  GCancellable *cancellable;
  GListModel *matches;

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

static GtkWidget *
sotto_search_results_create_row_cb (gpointer item,
                                    gpointer user_data)
{
  SottoMessageMatch *match = item;
  SottoContact *contact = sotto_conversation_get_contact (sotto_message_match_get_conversation (match));
  g_autofree char *text = g_strdelimit (g_strdup (sotto_message_match_get_text (match)), "\n", ' ');
  g_autofree char *title = sotto_contact_label_full (contact);
  GtkWidget *row = adw_action_row_new ();

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
  gtk_list_box_bind_model (self->list, matches, sotto_search_results_create_row_cb, NULL, NULL);

  if (n_before != sotto_search_results_get_n_matches (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_MATCHES]);
}

static void
sotto_search_results_search_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  SottoSearchResults *self = user_data;
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;

  matches = sotto_conversation_list_search_finish (SOTTO_CONVERSATION_LIST (object), result, &error);
  if (matches == NULL)
    {
      /* A cancelled search belongs to a query, or a widget, gone since. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not search messages: %s", error->message);
      return;
    }

  sotto_search_results_set_matches (self, matches);
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
  sotto_search_results_set_matches (self, NULL);

  if (self->conversations == NULL || query == NULL || query[0] == '\0')
    return;

  self->cancellable = g_cancellable_new ();
  sotto_conversation_list_search_async (self->conversations, query, self->cancellable,
                                        sotto_search_results_search_cb, self);
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
  g_clear_object (&self->conversations);

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
