/* sotto-profile-editor.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-messenger.h"

G_BEGIN_DECLS

/* The side of the longest edge of an avatar the editor makes. */
#define SOTTO_PROFILE_EDITOR_AVATAR_SIZE 512

#define SOTTO_TYPE_PROFILE_EDITOR (sotto_profile_editor_get_type ())

G_DECLARE_FINAL_TYPE (SottoProfileEditor, sotto_profile_editor, SOTTO, PROFILE_EDITOR, AdwPreferencesGroup)

void  sotto_profile_editor_set_messenger   (SottoProfileEditor *self,
                                            SottoMessenger     *messenger);
void  sotto_profile_editor_set_avatar_file (SottoProfileEditor *self,
                                            GFile              *file);

G_END_DECLS
