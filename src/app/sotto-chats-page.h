/* sotto-chats-page.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-session.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_CHATS_PAGE (sotto_chats_page_get_type ())

G_DECLARE_FINAL_TYPE (SottoChatsPage, sotto_chats_page, SOTTO, CHATS_PAGE, GtkWidget)

GtkWidget    *sotto_chats_page_new                (GSettings      *settings);
SottoSession *sotto_chats_page_get_session        (SottoChatsPage *self);
void          sotto_chats_page_set_session        (SottoChatsPage *self,
                                                   SottoSession   *session);
gboolean      sotto_chats_page_open_group         (SottoChatsPage *self,
                                                   const char     *id);
gboolean      sotto_chats_page_open_conversation  (SottoChatsPage *self,
                                                   const char     *uuid);

G_END_DECLS
