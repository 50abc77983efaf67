/* engine-test-util.h: what the engine's tests share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sotto-account-private.h"
#include "sotto-content-group-private.h"
#include "sotto-engine.h"
#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

void               engine_test_init            (int           *argc,
                                                char        ***argv);
GFile             *engine_test_make_profile    (void);
void               engine_test_remove_profile  (GFile         *profile);
SottoStore        *engine_test_open_store      (GFile         *profile,
                                                const char    *passphrase);
void               engine_test_close_store     (SottoStore    *store);
SottoAccount      *engine_test_make_account    (SottoStore    *store);
GBytes            *engine_test_make_identity   (void);
void               engine_test_result_cb       (GObject       *object,
                                                GAsyncResult  *result,
                                                gpointer       user_data);
void               engine_test_wait            (GAsyncResult **result);
void               engine_test_wait_until      (gboolean     (*done) (gpointer data),
                                                gpointer       data);
void               engine_test_wait_for        (gboolean      *condition);
void               engine_test_count_notify_cb (GObject       *object,
                                                GParamSpec    *pspec,
                                                guint         *count);
void               engine_test_await_finalize  (gpointer       object);
void               engine_test_assert_backoff  (SottoRelayClient *client);
GBytes            *engine_test_read_file       (GFile         *file);
gboolean           engine_test_profile_contains (GFile        *profile,
                                                 const void   *needle,
                                                 gsize         needle_len);
SottoConversationList *engine_test_load_list (SottoAccount *account);
SottoConversation *engine_test_add_conversation (SottoConversationList *list,
                                                 const char            *username,
                                                 GBytes                *identity_key);

/* A copy of a list model kept up to date from its items-changed signals
 * alone, to check that the signals describe every change exactly. */
typedef struct _EngineTestMirror EngineTestMirror;

EngineTestMirror  *engine_test_mirror_new          (GListModel       *model);
void               engine_test_mirror_free         (EngineTestMirror *mirror);
guint              engine_test_mirror_get_n_signals (EngineTestMirror *mirror);
void               engine_test_mirror_assert_equal (EngineTestMirror *mirror);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineTestMirror, engine_test_mirror_free)

void               engine_test_register_async  (SottoRelayClient    *client,
                                                const char          *username,
                                                const char          *password,
                                                guint                registration_id,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);

void               engine_test_group_identity  (const char          *uuid,
                                                SpKeyPair           *identity);
SottoGroupMember  *engine_test_group_member    (const char          *uuid,
                                                const char          *username,
                                                gboolean             admin);
void               engine_test_group_sign      (SottoGroupUpdate    *update,
                                                const char          *group_id);
char              *engine_test_group_id        (GPtrArray           *seen);
SottoGroupUpdate  *engine_test_group_update    (GPtrArray           *seen,
                                                SottoGroupAction     action,
                                                guint64              version,
                                                const char          *author,
                                                const char          *title,
                                                const char          *target);

G_END_DECLS
