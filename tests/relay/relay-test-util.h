/* relay-test-util.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* A real sotto-relay process listening on 127.0.0.1 at a free port. */
typedef struct
{
  GSubprocess *process;
  char        *data_dir;
  guint        port;
  gboolean     tls;      /* its ready line said it serves TLS */
  char        *base_url; /* https:// when it serves TLS */
  char        *ws_url;   /* wss:// when it serves TLS */
  char        *log_path; /* its standard error */
  guint        metrics_port;
  char        *metrics_url;
} TestRelay;

/* Test-only TLS material, made afresh by the openssl tool for each
 * test: a root, an intermediate, and a server certificate for 127.0.0.1
 * and localhost that the intermediate signed. */
typedef struct
{
  char *dir;
  char *root;          /* the root certificate, what clients trust */
  char *chain;         /* the server certificate, then the intermediate */
  char *key;           /* the server certificate's private key */
  char *other_key;     /* the intermediate's key, which is not the server's */
  char *encrypted_key; /* the server's key under a passphrase */
} TestTls;

typedef struct
{
  char    *username;
  char    *uuid;
  char    *password;
  guint    registration_id;
  char    *auth;   /* "Basic ..." for device 1 */
} TestAccount;

typedef struct
{
  guint       status;
  char       *body;
  JsonNode   *json;   /* NULL unless the body parsed as JSON */
} TestResponse;

/* Limits loose enough that only the tests about limits meet them. */
extern const char *test_relay_relaxed_conf;

const char  *test_relay_binary         (void);
/* Whether the test runs under build-aux/with-postgresql.sh, whose server
 * then keeps every relay's state. */
gboolean     test_relay_uses_postgresql (void);
char        *test_postgresql_database  (const char   *name);
/* The database of a relay on `data_dir` when the test runs on
 * PostgreSQL. */
char        *test_relay_data_dir_database (const char *data_dir);
char        *test_relay_make_data_dir  (void);
void         test_relay_remove_data_dir (const char  *dir);
TestRelay   *test_relay_start          (const char   *data_dir,
                                        const char   *conf,
                                        const char  **extra_args);
TestRelay   *test_relay_start_full     (const char   *data_dir,
                                        const char   *conf,
                                        const char  **extra_args,
                                        gboolean      metrics,
                                        const char * const *env);

/* Everything test_relay_start_full() takes, the relay's descriptor
 * limit (RLIMIT_NOFILE, soft and hard; 0 to inherit the test's), its
 * port (0 for a free one), and the PostgreSQL database it uses (NULL
 * for the one named after the data directory when the test runs on
 * PostgreSQL, or for SQLite), and whether it keeps its state in
 * SQLite even when the test runs on PostgreSQL. */
typedef struct
{
  const char         **extra_args;
  gboolean             metrics;
  const char * const  *env;
  guint                descriptor_limit;
  const char          *database;
  guint                port;
  gboolean             sqlite;
} TestRelaySetup;

TestRelay   *test_relay_start_with     (const char           *data_dir,
                                        const char           *conf,
                                        const TestRelaySetup *setup);
int          test_relay_stop           (TestRelay    *relay);
void         test_relay_kill           (TestRelay    *relay);
void         test_relay_restart        (TestRelay    *relay);
void         test_relay_free           (TestRelay    *relay);

TestTls     *test_tls_new              (void);
TestTls     *test_tls_new_valid_for    (guint         days);
void         test_tls_free             (TestTls      *tls);
TestRelay   *test_relay_start_tls      (const char   *data_dir,
                                        const char   *conf,
                                        TestTls      *tls);

/* A relay on a fresh data directory and a session to talk to it, for
 * g_test_add(): the test's data is the relay.conf, or NULL for
 * test_relay_relaxed_conf.  The teardown checks that the relay exits
 * cleanly, which also proves the drain on SIGTERM and, under the
 * sanitizers, that the relay leaked nothing. */
typedef struct
{
  char        *dir;
  TestRelay   *relay;
  SoupSession *session;
} TestFixture;

void         test_fixture_setup        (TestFixture  *fixture,
                                        gconstpointer conf);
void         test_fixture_teardown     (TestFixture  *fixture,
                                        gconstpointer conf);
/* Checks GET /v1/keys for the account's device 1. */
void         test_assert_key_counts    (TestFixture  *fixture,
                                        TestAccount  *account,
                                        gint64        ec,
                                        gint64        kyber);

SoupSession *test_session_new          (void);
SoupSession *test_session_new_trusting (const char   *root);
/* A request to the relay, with credentials and a JSON body when they are
 * not NULL, for callers that send it themselves. */
SoupMessage *test_message_new          (TestRelay    *relay,
                                        const char   *method,
                                        const char   *path,
                                        const char   *auth,
                                        const char   *body);
TestResponse *test_request             (SoupSession  *session,
                                        TestRelay    *relay,
                                        const char   *method,
                                        const char   *path,
                                        const char   *auth,
                                        const char   *body);
void         test_response_free        (TestResponse *response);
int          test_relay_run            (const char * const *args,
                                        char        **out,
                                        char        **err);
char        *test_relay_read_log       (TestRelay    *relay);
void         test_relay_wait_for_log   (TestRelay    *relay,
                                        const char   *text);
gint64       test_fixture_query_int    (TestFixture  *fixture,
                                        const char   *sql);
void         test_set_access_key       (SoupSession  *session,
                                        TestRelay    *relay,
                                        TestAccount  *account,
                                        const char   *key);
void         test_sqlite_exec          (sqlite3      *db,
                                        const char   *sql);
gint64       test_relay_query_int      (const char   *data_dir,
                                        const char   *sql);
gint64       test_postgresql_query_int (const char   *url,
                                        const char   *sql);
/* Stop the test's PostgreSQL server (clients are disconnected), and
 * start it again on the same data. */
void         test_postgresql_server_stop  (void);
void         test_postgresql_server_start (void);
char        *test_relay_metrics_text   (SoupSession  *session,
                                        TestRelay    *relay);
/* The status of GET /v1/accounts/me with `auth`. */
guint        test_whoami_status        (SoupSession  *session,
                                        TestRelay    *relay,
                                        const char   *auth);
/* The value of one sample in the relay's /metrics. */
gint64       test_relay_metric         (SoupSession  *session,
                                        TestRelay    *relay,
                                        const char   *name);
const char  *test_response_error       (TestResponse *response);
JsonObject  *test_response_object      (TestResponse *response);

char        *test_random_base64        (gsize         length,
                                        int           first_byte);
char        *test_prekeys_json         (guint         first_id,
                                        guint         count,
                                        gboolean      kyber);
char        *test_register_body        (const char   *username,
                                        const char   *password,
                                        guint         registration_id,
                                        guint         n_prekeys,
                                        const char   *token);
TestAccount *test_account_register     (SoupSession  *session,
                                        TestRelay    *relay,
                                        const char   *username,
                                        guint         n_prekeys);
TestAccount *test_account_for          (const char   *uuid,
                                        const char   *password,
                                        guint         registration_id);
void         test_account_free         (TestAccount  *account);
char        *test_basic_auth           (const char   *uuid,
                                        guint         device,
                                        const char   *password);
char        *test_send_body            (guint         device_id,
                                        guint         registration_id,
                                        const char   *content_base64);

/* WebSocket client that collects text messages. */
typedef struct
{
  SoupWebsocketConnection *connection;
  GQueue                   messages;  /* of JsonNode */
  gboolean                 closed;
  gushort                  close_code;
  GError                  *error;
} TestSocket;

TestSocket  *test_socket_connect       (SoupSession  *session,
                                        TestRelay    *relay,
                                        const char   *auth);
JsonNode    *test_socket_next          (TestSocket   *socket,
                                        guint         timeout_ms);
/* Sends one envelope to device 1 of `to` over HTTP; returns its GUID. */
char        *test_send_envelope        (SoupSession  *session,
                                        TestRelay    *relay,
                                        TestAccount  *from,
                                        TestAccount  *to,
                                        const char   *content);
void         test_socket_expect_drained (TestSocket  *socket);
/* The next message, which must be an envelope; *holder keeps it. */
JsonObject  *test_socket_expect_envelope (TestSocket *socket,
                                        JsonNode    **holder);
void         test_socket_ack           (TestSocket   *socket,
                                        const char   *guid);
gboolean     test_socket_wait_closed   (TestSocket   *socket,
                                        guint         timeout_ms);
void         test_socket_free          (TestSocket   *socket);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRelay, test_relay_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTls, test_tls_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestAccount, test_account_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSocket, test_socket_free)

G_END_DECLS
