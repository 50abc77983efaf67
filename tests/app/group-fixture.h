/* group-fixture.h: Alice's groups in the app, on the conversation fixture
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "conversation-fixture.h"
#include "sotto-group-list.h"
#include "sotto-group-view.h"

G_BEGIN_DECLS

SottoGroupList    *alice_groups       (Fixture            *fixture);
SottoGroupView    *group_view         (Fixture            *fixture);
SottoGroup        *create_group       (Fixture            *fixture,
                                       const char         *title,
                                       const char * const *usernames);
void               send_to_group      (Fixture            *fixture,
                                       SottoGroup         *group,
                                       const char         *text);
SottoGroup        *start_with_group   (Fixture            *fixture);
GtkTextView       *group_composer     (Fixture            *fixture);
gboolean           group_composer_has (Fixture            *fixture,
                                       const char         *expected);
GtkScrolledWindow *group_scroller     (Fixture            *fixture);
void               fill_group         (Fixture            *fixture,
                                       SottoGroup         *group,
                                       guint               n);
GtkWidget         *group_row_of       (Fixture            *fixture,
                                       const char         *text);
gboolean           stored_draft_is    (Fixture            *fixture,
                                       SottoGroup         *group,
                                       const char         *expected);

G_END_DECLS
