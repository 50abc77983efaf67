/* sotto-search-results.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-engine.h"
#include "sotto-group-list.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_SEARCH_RESULTS (sotto_search_results_get_type ())

G_DECLARE_FINAL_TYPE (SottoSearchResults, sotto_search_results, SOTTO, SEARCH_RESULTS, GtkWidget)

void  sotto_search_results_set_conversations (SottoSearchResults    *self,
                                              SottoConversationList *conversations);
void  sotto_search_results_set_groups        (SottoSearchResults    *self,
                                              SottoGroupList        *groups);
void  sotto_search_results_set_query         (SottoSearchResults    *self,
                                              const char            *query);
guint sotto_search_results_get_n_matches     (SottoSearchResults    *self);

G_END_DECLS
