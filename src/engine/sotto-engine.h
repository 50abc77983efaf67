/* sotto-engine.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-account.h"
#include "sotto-attachment.h"
#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-conversation-list.h"
#include "sotto-engine-enums.h"
#include "sotto-engine-types.h"
#include "sotto-message.h"
#include "sotto-message-list.h"
#include "sotto-message-match.h"
#include "sotto-picture.h"
#include "sotto-relay-error.h"
#include "sotto-secret.h"
#include "sotto-store.h"

G_BEGIN_DECLS

gboolean sotto_engine_init (GError **error);

G_END_DECLS
