/* test-cli-register.c: sotto-cli registering with relays that ask for more
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real relays: one that registers only with a token (--registration
 * token:SECRET), and one that serves TLS with a certificate from a
 * private CA, made by the openssl tool for the test.  sotto-cli trusts
 * that relay through a CA file kept with the profile, or through
 * SSL_CERT_FILE, and through nothing else.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"
#include "relay-test-util.h"

#define TOKEN "an invitation of sixteen bytes or more"

static TestRelay *
start_relay (CliTest     *test,
             const char **args)
{
  g_autofree char *dir = g_build_filename (test->root, "relay", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);

  return test_relay_start (dir, test_relay_relaxed_conf, args);
}

static CliResult *
register_at (CliTest     *test,
             TestRelay   *relay,
             const char  *name,
             const char  *token,
             const char  *ca_file)
{
  g_autofree char *profile = cli_test_profile (test, name);

  if (token != NULL && ca_file != NULL)
    return cli_run (test, profile, "--json", "register", "--relay", relay->base_url, "--username", name,
                    "--token", token, "--ca-file", ca_file, NULL);
  if (token != NULL)
    return cli_run (test, profile, "--json", "register", "--relay", relay->base_url, "--username", name,
                    "--token", token, NULL);
  if (ca_file != NULL)
    return cli_run (test, profile, "--json", "register", "--relay", relay->base_url, "--username", name,
                    "--ca-file", ca_file, NULL);

  return cli_run (test, profile, "--json", "register", "--relay", relay->base_url, "--username", name, NULL);
}

static void
assert_registered (CliResult  *result,
                   const char *name)
{
  g_autoptr(JsonObject) object = NULL;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "username"), ==, name);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object, "uuid")));
}

static void
assert_refused (CliResult  *result,
                const char *reason)
{
  g_assert_cmpint (result->status, ==, 1);
  g_assert_cmpstr (result->out, ==, "");
  if (strstr (result->err, reason) == NULL)
    g_error ("sotto-cli did not say “%s”:\n%s", reason, result->err);
}

static void
test_token (void)
{
  g_autoptr(CliTest) test = cli_test_new_without_relay ();
  const char *args[] = { "--registration", "token:" TOKEN, NULL };
  g_autoptr(TestRelay) relay = start_relay (test, args);
  g_autoptr(CliResult) without = NULL;
  g_autoptr(CliResult) wrong = NULL;
  g_autoptr(CliResult) right = NULL;
  g_autoptr(CliResult) plain = NULL;
  g_autofree char *kim = cli_test_profile (test, "kim");

  without = register_at (test, relay, "kim", NULL, NULL);
  assert_refused (without, "registration token");

  wrong = register_at (test, relay, "kim", TOKEN "!", NULL);
  assert_refused (wrong, "registration token");

  /* The same profile registers once the token is right. */
  right = register_at (test, relay, "kim", TOKEN, NULL);
  assert_registered (right, "kim");

  /* --token belongs to register alone. */
  plain = cli_run (test, kim, "whoami", "--token", TOKEN, NULL);
  g_assert_cmpint (plain->status, ==, 2);
}

static void
test_ca_file (void)
{
  g_autoptr(CliTest) test = cli_test_new_without_relay ();
  g_autoptr(TestTls) tls = test_tls_new ();
  const char *args[] = { "--tls-certificate", tls->chain, "--tls-key", tls->key, NULL };
  g_autoptr(TestRelay) relay = start_relay (test, args);
  g_autofree char *kim = cli_test_profile (test, "kim");
  g_autofree char *not_pem = g_build_filename (test->root, "not-a-certificate.pem", NULL);
  g_autoptr(CliResult) untrusted = NULL;
  g_autoptr(CliResult) bad_ca = NULL;
  g_autoptr(CliResult) missing_ca = NULL;
  g_autoptr(CliResult) registered = NULL;
  g_autoptr(CliResult) bob_registered = NULL;
  g_autofree char *bob = cli_test_profile (test, "bob");

  /* Only the profile's CA may make the relay trusted here. */
  test->extra_env = g_strdupv ((char *[]) { (char *) "-SSL_CERT_FILE", NULL });

  untrusted = register_at (test, relay, "kim", NULL, NULL);
  assert_refused (untrusted, "Could not reach the relay");

  g_assert_true (g_file_set_contents (not_pem, "not a certificate\n", -1, NULL));
  bad_ca = register_at (test, relay, "kim", NULL, not_pem);
  assert_refused (bad_ca, "not a PEM certificate");

  missing_ca = register_at (test, relay, "kim", NULL, "/nonexistent/sotto-ca.pem");
  assert_refused (missing_ca, "Could not read the CA file");

  registered = register_at (test, relay, "kim", NULL, tls->root);
  assert_registered (registered, "kim");
  bob_registered = register_at (test, relay, "bob", NULL, tls->root);
  assert_registered (bob_registered, "bob");

  /* Later commands reach the relay through the CA the profile keeps. */
  cli_send_ok (test, kim, "bob", "Through a private CA");
  cli_assert_receives (test, bob, "kim", "Through a private CA", NULL);

  /* A new identity is stored with the rest of the account, CA and all:
   * the next command still reaches the relay. */
  cli_run_ok (test, kim, "reset-identity", NULL);
  cli_send_ok (test, kim, "bob", "Still through the private CA");
}

static void
test_ssl_cert_file (void)
{
  g_autoptr(CliTest) test = cli_test_new_without_relay ();
  g_autoptr(TestTls) tls = test_tls_new ();
  const char *args[] = { "--tls-certificate", tls->chain, "--tls-key", tls->key, NULL };
  g_autoptr(TestRelay) relay = start_relay (test, args);
  g_autofree char *trusting = g_strconcat ("SSL_CERT_FILE=", tls->root, NULL);
  g_autoptr(CliResult) missing = NULL;
  g_autoptr(CliResult) registered = NULL;

  test->extra_env = g_strdupv ((char *[]) { (char *) "SSL_CERT_FILE=/nonexistent/sotto-ca.pem", NULL });
  missing = register_at (test, relay, "kim", NULL, NULL);
  assert_refused (missing, "SSL_CERT_FILE names /nonexistent/sotto-ca.pem");
  g_strfreev (test->extra_env);

  test->extra_env = g_strdupv ((char *[]) { trusting, NULL });
  registered = register_at (test, relay, "kim", NULL, NULL);
  assert_registered (registered, "kim");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/register/token", test_token);
  g_test_add_func ("/cli/register/ca-file", test_ca_file);
  g_test_add_func ("/cli/register/ssl-cert-file", test_ssl_cert_file);

  return g_test_run ();
}
