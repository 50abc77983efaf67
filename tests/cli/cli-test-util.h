/* cli-test-util.h: real relays and sotto-cli processes for the end-to-end tests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "sotto-account-private.h"
#include "sotto-engine.h"
#include "sotto-messenger.h"

G_BEGIN_DECLS

/* The passphrase every test profile is made with. */
#define CLI_TEST_PASSPHRASE "correct horse battery staple"

/* A sotto-relay process on 127.0.0.1; it can be killed and started
 * again on the same port and data directory, which the profiles
 * remember. */
typedef struct
{
  GSubprocess *process;
  char *data_dir;
  guint port;
  char *url;
  char *metrics_url;
} CliRelay;

typedef struct
{
  int status;
  char *out;
  char *err;
} CliResult;

/* A directory for one test: relay data and profiles go below it.  With
 * @no_unnamed_files, the sotto-cli processes started meanwhile run as on
 * a file system without unnamed files (O_TMPFILE), which the kernel
 * refuses them (where cli_can_refuse_unnamed_files()). */
typedef struct
{
  char *root;
  CliRelay *relay;
  char **extra_env;
  gboolean no_unnamed_files;
} CliTest;

CliTest     *cli_test_new            (gboolean      relaxed);
gboolean     cli_can_refuse_unnamed_files (void);
CliTest     *cli_test_new_without_relay (void);
void         cli_test_free           (CliTest      *test);
char        *cli_test_profile        (CliTest      *test,
                                      const char   *name);

CliRelay    *cli_relay_start         (const char   *data_dir,
                                      guint         port,
                                      gboolean      relaxed);
void         cli_relay_kill          (CliRelay     *relay);
void         cli_relay_stop          (CliRelay     *relay);
void         cli_relay_restart       (CliRelay     *relay);
void         cli_relay_free          (CliRelay     *relay);

CliResult   *cli_run                 (CliTest      *test,
                                      const char   *profile,
                                      ...) G_GNUC_NULL_TERMINATED;
void         cli_run_ok              (CliTest      *test,
                                      const char   *profile,
                                      ...) G_GNUC_NULL_TERMINATED;
GSubprocess *cli_spawn               (CliTest      *test,
                                      const char   *profile,
                                      ...) G_GNUC_NULL_TERMINATED;
GSubprocess *cli_spawn_on_terminal   (CliTest      *test,
                                      const char   *profile,
                                      int          *terminal,
                                      ...) G_GNUC_NULL_TERMINATED;
void         cli_terminal_answer     (int           terminal,
                                      const char   *prompt,
                                      const char   *line);
CliResult   *cli_wait                (GSubprocess  *process);
void         cli_result_free         (CliResult    *result);
void         cli_assert_ok           (CliResult    *result);

char        *cli_register            (CliTest      *test,
                                      const char   *name);
JsonObject  *cli_parse_object        (const char   *line);
GPtrArray   *cli_parse_lines         (const char   *out);
gboolean     cli_tree_contains       (const char   *directory,
                                      const void   *needle,
                                      gsize         needle_len);

/* What `sotto-cli whoami` says about a profile. */
typedef struct
{
  char *uuid;
  char *identity_key;
} CliWhoami;

void         cli_result_cb           (GObject      *object,
                                      GAsyncResult *result,
                                      gpointer      user_data);
void         cli_wait_for            (GAsyncResult **result);

CliWhoami   *cli_whoami              (CliTest      *test,
                                      const char   *profile,
                                      const char   *username);
void         cli_whoami_free         (CliWhoami    *whoami);
JsonObject  *cli_send_json           (CliTest      *test,
                                      const char   *profile,
                                      const char   *to,
                                      const char   *text);
void         cli_send_ok             (CliTest      *test,
                                      const char   *profile,
                                      const char   *to,
                                      const char   *text);
GPtrArray   *cli_receive             (CliTest      *test,
                                      const char   *profile);
void         cli_assert_texts        (GPtrArray    *messages,
                                      const char   *from,
                                      ...) G_GNUC_NULL_TERMINATED;
void         cli_assert_receives     (CliTest      *test,
                                      const char   *profile,
                                      const char   *from,
                                      ...) G_GNUC_NULL_TERMINATED;
void         cli_assert_receives_nothing (CliTest  *test,
                                      const char   *profile);
GPtrArray   *cli_history             (CliTest      *test,
                                      const char   *profile,
                                      const char   *with);
char        *cli_safety_number       (CliTest      *test,
                                      const char   *profile,
                                      const char   *with,
                                      const char   *verification);
SottoStore  *cli_open_store          (const char   *profile);
SottoMessenger *cli_load_messenger   (SottoStore   *store);
void         cli_close_store         (SottoStore   *store);
sqlite3_stmt *cli_db_prepare         (const char   *path,
                                      int           flags,
                                      const char   *sql,
                                      sqlite3     **db);
void         cli_db_change_one       (sqlite3      *db,
                                      sqlite3_stmt *statement);
void         cli_read_secrets        (const char   *profile,
                                      guint8        private_key[SP_PRIVATE_KEY_SIZE],
                                      char        **password);

char        *cli_new_trust_root      (const char   *path);
void         cli_issue_server_key    (CliTest      *test,
                                      const char   *root_path);
void         cli_issue_server_key_full (CliTest    *test,
                                      const char   *root_path,
                                      const char   *key_id,
                                      gboolean      publish_root);
char        *cli_register_pinned     (CliTest      *test,
                                      const char   *name,
                                      const char   *trust_root);

char        *cli_send_group          (CliTest      *test,
                                      const char   *profile,
                                      const char   *group,
                                      const char   *text);
char        *cli_reactions_of        (JsonObject   *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliTest, cli_test_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliWhoami, cli_whoami_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliRelay, cli_relay_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

G_END_DECLS
