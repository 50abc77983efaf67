/* sotto-session-page.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-session.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_SESSION_PAGE (sotto_session_page_get_type ())

G_DECLARE_DERIVABLE_TYPE (SottoSessionPage, sotto_session_page, SOTTO, SESSION_PAGE, GtkWidget)

struct _SottoSessionPageClass
{
  GtkWidgetClass parent_class;

  /* Shows the session as it is now: called when the page gets another
   * session, and when the session's error changes. */
  void (*session_changed) (SottoSessionPage *self);
};

SottoSession *sotto_session_page_get_session     (SottoSessionPage *self);
void          sotto_session_page_set_session     (SottoSessionPage *self,
                                                  SottoSession     *session);
const char   *sotto_session_page_get_activity    (SottoSessionPage *self);
void          sotto_session_page_set_activity    (SottoSessionPage *self,
                                                  const char       *activity);
GCancellable *sotto_session_page_get_cancellable (SottoSessionPage *self);

G_END_DECLS
