/* sotto-message-list.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_MESSAGE_LIST (sotto_message_list_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessageList, sotto_message_list, SOTTO, MESSAGE_LIST, GObject)

G_END_DECLS
