/* cli-test-util.c: real relays and sotto-cli processes for the end-to-end tests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* For posix_openpt(), ptsname() and O_TMPFILE. */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"
#include "dev-util.h"
#include "relay-test-util.h"

CliRelay *
cli_relay_start (const char *data_dir,
                 guint       port,
                 gboolean    relaxed)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *line = NULL;
  g_autofree char *log_path = g_build_filename (data_dir, "relay.log", NULL);
  g_autofree char *log = NULL;
  CliRelay *relay = g_new0 (CliRelay, 1);
  const char *colon;
  const char *metrics;

  relay->data_dir = g_strdup (data_dir);
  g_assert_cmpint (g_mkdir_with_parents (data_dir, 0700), ==, 0);

  /* Rate limits out of the way: the tests that care about durability
   * send far faster than a person. */
  if (relaxed)
    {
      g_autofree char *path = g_build_filename (data_dir, "relay.conf", NULL);

      g_file_set_contents (path, test_relay_relaxed_conf, -1, &error);
      g_assert_no_error (error);
    }

  g_subprocess_launcher_set_child_setup (launcher, dev_die_with_parent, NULL, NULL);
  /* The log says where the relay serves metrics, which tests read to
   * see who is connected. */
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  relay->process = g_subprocess_launcher_spawn (launcher, &error, SOTTO_RELAY_PATH,
                                                "--listen", listen,
                                                "--data-dir", data_dir,
                                                "--metrics-listen", "127.0.0.1:0",
                                                NULL);
  g_assert_no_error (error);

  /* It says where it listens once it is ready. */
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (relay->process));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "sotto-relay listening on 127.0.0.1:"));

  colon = strrchr (line, ':');
  relay->port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_cmpuint (relay->port, >, 0);
  if (port != 0)
    g_assert_cmpuint (relay->port, ==, port);

  relay->url = g_strdup_printf ("http://127.0.0.1:%u", relay->port);

  /* The startup summary comes before the ready line; a restart's is the
   * last one in the log. */
  g_file_get_contents (log_path, &log, NULL, &error);
  g_assert_no_error (error);
  metrics = g_strrstr (log, "metrics on 127.0.0.1:");
  g_assert_nonnull (metrics);
  relay->metrics_url = g_strdup_printf ("http://127.0.0.1:%u/metrics",
                                        (guint) g_ascii_strtoull (metrics + strlen ("metrics on 127.0.0.1:"),
                                                                  NULL, 10));

  return relay;
}

/* SIGKILL: the relay gets no chance to finish anything. */
void
cli_relay_kill (CliRelay *relay)
{
  g_subprocess_force_exit (relay->process);
  g_subprocess_wait (relay->process, NULL, NULL);
  g_clear_object (&relay->process);
}

/* SIGTERM: the relay drains and exits cleanly. */
void
cli_relay_stop (CliRelay *relay)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (relay->process, SIGTERM);
  g_subprocess_wait (relay->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (relay->process));
  g_assert_cmpint (g_subprocess_get_exit_status (relay->process), ==, 0);
  g_clear_object (&relay->process);
}

/* Starts the relay again on its port and data directory. */
void
cli_relay_restart (CliRelay *relay)
{
  g_autoptr(CliRelay) again = NULL;

  g_assert_null (relay->process);

  again = cli_relay_start (relay->data_dir, relay->port, FALSE);
  relay->process = g_steal_pointer (&again->process);
}

void
cli_relay_free (CliRelay *relay)
{
  if (relay == NULL)
    return;

  if (relay->process != NULL)
    cli_relay_stop (relay);

  g_free (relay->data_dir);
  g_free (relay->url);
  g_free (relay->metrics_url);
  g_free (relay);
}

/* A directory for one test that starts its relays itself. */
CliTest *
cli_test_new_without_relay (void)
{
  g_autoptr(GError) error = NULL;
  CliTest *test = g_new0 (CliTest, 1);

  test->root = g_dir_make_tmp ("sotto-cli-test-XXXXXX", &error);
  g_assert_no_error (error);

  return test;
}

CliTest *
cli_test_new (gboolean relaxed)
{
  g_autofree char *relay_dir = NULL;
  CliTest *test = cli_test_new_without_relay ();

  relay_dir = g_build_filename (test->root, "relay", NULL);
  test->relay = cli_relay_start (relay_dir, 0, relaxed);

  return test;
}

void
cli_test_free (CliTest *test)
{
  if (test == NULL)
    return;

  g_clear_pointer (&test->relay, cli_relay_free);
  dev_remove_tree (test->root);
  g_free (test->root);
  g_strfreev (test->extra_env);
  g_free (test);
}

char *
cli_test_profile (CliTest    *test,
                  const char *name)
{
  return g_build_filename (test->root, name, NULL);
}

/* Makes the terminal named @user_data the child's controlling
 * terminal, the /dev/tty that sotto-cli asks for a passphrase on.  A
 * test may hang up the terminal to end a prompt: sotto-cli then reads
 * an empty line instead of dying of SIGHUP. */
static void
attach_terminal (gpointer user_data)
{
  int fd;

  dev_die_with_parent (NULL);
  signal (SIGHUP, SIG_IGN);
  setsid ();
  fd = open (user_data, O_RDWR);
  if (fd >= 0)
    {
      ioctl (fd, TIOCSCTTY, 0);
      close (fd);
    }
}

/* The architectures whose system call arguments the filter below reads
 * (little-endian: an argument's low word comes first). */
#if defined(__x86_64__)
#define UNNAMED_FILES_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define UNNAMED_FILES_ARCH AUDIT_ARCH_AARCH64
#endif

gboolean
cli_can_refuse_unnamed_files (void)
{
#ifdef UNNAMED_FILES_ARCH
  return TRUE;
#else
  return FALSE;
#endif
}

/* In the child, before it runs sotto-cli: the kernel answers every
 * openat() that asks for an unnamed file (O_TMPFILE) with EOPNOTSUPP, as
 * a FAT or network file system does, and everything else as always.
 * The filter outlives exec; no privilege is needed for it. */
static void
refuse_unnamed_files (gpointer user_data)
{
#ifdef UNNAMED_FILES_ARCH
  const guint32 tmpfile = O_TMPFILE & ~O_DIRECTORY;
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, UNNAMED_FILES_ARCH, 0, 6),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 4),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[2])),
    BPF_STMT (BPF_ALU | BPF_AND | BPF_K, tmpfile),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, tmpfile, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EOPNOTSUPP & SECCOMP_RET_DATA)),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = { G_N_ELEMENTS (code), code };

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
      || syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
    _exit (127);
#endif
  dev_die_with_parent (NULL);
}

static GSubprocess *
spawn_va (CliTest    *test,
          const char *profile,
          const char *terminal_name,
          va_list     args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  const char *arg;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (terminal_name != NULL)
    g_subprocess_launcher_set_child_setup (launcher, attach_terminal, (gpointer) terminal_name, NULL);
  else if (test->no_unnamed_files)
    g_subprocess_launcher_set_child_setup (launcher, refuse_unnamed_files, NULL, NULL);
  else
    g_subprocess_launcher_set_child_setup (launcher, dev_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "SOTTO_PASSPHRASE", CLI_TEST_PASSPHRASE, TRUE);

  for (guint i = 0; test->extra_env != NULL && test->extra_env[i] != NULL; i++)
    {
      const char *entry = test->extra_env[i];
      const char *equals = strchr (entry, '=');

      if (entry[0] == '-')
        g_subprocess_launcher_unsetenv (launcher, entry + 1);
      else
        {
          g_autofree char *name = g_strndup (entry, equals - entry);

          g_subprocess_launcher_setenv (launcher, name, equals + 1, TRUE);
        }
    }

  g_ptr_array_add (argv, (gpointer) SOTTO_CLI_PATH);
  g_ptr_array_add (argv, (gpointer) "--profile");
  g_ptr_array_add (argv, (gpointer) profile);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return process;
}

GSubprocess *
cli_spawn (CliTest    *test,
           const char *profile,
           ...)
{
  GSubprocess *process;
  va_list args;

  va_start (args, profile);
  process = spawn_va (test, profile, NULL, args);
  va_end (args);

  return process;
}

/* Runs sotto-cli on a new pseudo-terminal, without SOTTO_PASSPHRASE or
 * a keyring, so that it asks for the passphrase there; *@terminal is the
 * terminal's other end, for cli_terminal_answer(). */
GSubprocess *
cli_spawn_on_terminal (CliTest    *test,
                       const char *profile,
                       int        *terminal,
                       ...)
{
  g_auto(GStrv) saved_env = g_steal_pointer (&test->extra_env);
  GSubprocess *process;
  va_list args;
  int master;

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);

  test->extra_env = g_strdupv ((char *[]) { (char *) "-SOTTO_PASSPHRASE",
                                            (char *) "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sotto-test-bus",
                                            NULL });
  va_start (args, terminal);
  process = spawn_va (test, profile, ptsname (master), args);
  va_end (args);
  g_strfreev (test->extra_env);
  test->extra_env = g_steal_pointer (&saved_env);

  *terminal = master;

  return process;
}

/* Waits for @prompt on @terminal and types @line there.  sotto-cli
 * turns echo off before it reads, and discards what was typed before:
 * the line goes in only once echo is off. */
void
cli_terminal_answer (int         terminal,
                     const char *prompt,
                     const char *line)
{
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autofree char *typed = g_strconcat (line, "\n", NULL);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  struct termios modes;

  while (strstr (seen->str, prompt) == NULL)
    {
      struct pollfd ready = { terminal, POLLIN, 0 };
      char buffer[256];
      gssize len;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (poll (&ready, 1, 100) <= 0)
        continue;

      /* Until sotto-cli opens the terminal, reading it fails. */
      len = read (terminal, buffer, sizeof buffer);
      if (len < 0 && errno == EIO)
        {
          g_usleep (10 * 1000);
          continue;
        }
      g_assert_cmpint (len, >, 0);
      g_string_append_len (seen, buffer, len);
    }

  do
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (tcgetattr (terminal, &modes), ==, 0);
      if (modes.c_lflag & ECHO)
        g_usleep (10 * 1000);
    }
  while (modes.c_lflag & ECHO);

  g_assert_cmpint (write (terminal, typed, strlen (typed)), ==, (gssize) strlen (typed));
}

CliResult *
cli_wait (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;
  CliResult *result = g_new0 (CliResult, 1);

  g_subprocess_communicate_utf8 (process, NULL, NULL, &result->out, &result->err, &error);
  g_assert_no_error (error);

  /* A CLI that dies of a signal (a sanitizer's abort, an assertion) is
   * a failure of its own, never an answer the test expects. */
  if (!g_subprocess_get_if_exited (process))
    g_error ("sotto-cli died of signal %d; its errors:\n%s",
             g_subprocess_get_term_sig (process), result->err);

  result->status = g_subprocess_get_exit_status (process);
  g_object_unref (process);

  return result;
}

CliResult *
cli_run (CliTest    *test,
         const char *profile,
         ...)
{
  GSubprocess *process;
  va_list args;

  va_start (args, profile);
  process = spawn_va (test, profile, NULL, args);
  va_end (args);

  return cli_wait (process);
}

/* Runs sotto-cli, as cli_run(), for a test that needs only that it
 * succeeded. */
void
cli_run_ok (CliTest    *test,
            const char *profile,
            ...)
{
  g_autoptr(CliResult) result = NULL;
  va_list args;

  va_start (args, profile);
  result = cli_wait (spawn_va (test, profile, NULL, args));
  va_end (args);

  cli_assert_ok (result);
}

void
cli_result_free (CliResult *result)
{
  if (result == NULL)
    return;

  g_free (result->out);
  g_free (result->err);
  g_free (result);
}

void
cli_assert_ok (CliResult *result)
{
  if (result->status != 0)
    g_error ("sotto-cli failed with %d:\n%s", result->status, result->err);
}

/* Registers @name in a profile of that name; returns the profile. */
char *
cli_register (CliTest    *test,
              const char *name)
{
  g_autofree char *profile = cli_test_profile (test, name);
  g_autoptr(CliResult) result = NULL;
  g_autoptr(JsonObject) object = NULL;

  result = cli_run (test, profile, "--json", "register", "--relay", test->relay->url,
                    "--username", name, NULL);
  cli_assert_ok (result);

  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "username"), ==, name);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object, "uuid")));
  g_assert_cmpint (json_object_get_int_member (object, "device"), ==, 1);

  return g_steal_pointer (&profile);
}

JsonObject *
cli_parse_object (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* One JSON object per line, as --json prints them. */
GPtrArray *
cli_parse_lines (const char *out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] != '\0')
        g_ptr_array_add (objects, cli_parse_object (lines[i]));
    }

  return objects;
}

static gboolean
file_contains (const char *path,
               const void *needle,
               gsize       needle_len)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  for (gsize i = 0; needle_len <= len && i <= len - needle_len; i++)
    {
      if (memcmp (contents + i, needle, needle_len) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Whether any file below @directory holds @needle. */
gboolean
cli_tree_contains (const char *directory,
                   const void *needle,
                   gsize       needle_len)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  dir = g_dir_open (directory, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;

      if (g_file_test (path, G_FILE_TEST_IS_DIR) ? cli_tree_contains (path, needle, needle_len)
                                                 : file_contains (path, needle, needle_len))
        return TRUE;
    }

  return FALSE;
}

/* For async calls the tests wait for: keeps the result. */
void
cli_result_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

void
cli_wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

void
cli_whoami_free (CliWhoami *whoami)
{
  g_free (whoami->uuid);
  g_free (whoami->identity_key);
  g_free (whoami);
}

CliWhoami *
cli_whoami (CliTest    *test,
            const char *profile,
            const char *username)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "whoami", NULL);
  g_autoptr(JsonObject) object = NULL;
  CliWhoami *whoami;
  const char *key;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);

  g_assert_cmpstr (json_object_get_string_member (object, "username"), ==, username);
  g_assert_cmpint (json_object_get_int_member (object, "device"), ==, 1);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object, "uuid")));

  /* 66 hex digits of the 33-byte key: 0x05 and the X25519 key. */
  key = json_object_get_string_member (object, "identity_key");
  g_assert_true (g_regex_match_simple ("^05[0-9a-f]{64}$", key, 0, 0));

  whoami = g_new0 (CliWhoami, 1);
  whoami->uuid = g_strdup (json_object_get_string_member (object, "uuid"));
  whoami->identity_key = g_strdup (key);

  return whoami;
}

JsonObject *
cli_send_json (CliTest    *test,
               const char *profile,
               const char *to,
               const char *text)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "send", to, text, NULL);
  JsonObject *object;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "to"), ==, to);
  g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "sent");
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object, "id")));

  return object;
}

void
cli_send_ok (CliTest    *test,
             const char *profile,
             const char *to,
             const char *text)
{
  json_object_unref (cli_send_json (test, profile, to, text));
}

/* Everything that arrives, as objects; the relay's queue is empty
 * afterwards. */
GPtrArray *
cli_receive (CliTest    *test,
             const char *profile)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "receive", "--timeout", "0", NULL);

  cli_assert_ok (result);

  return cli_parse_lines (result->out);
}

static void
assert_texts_valist (GPtrArray  *messages,
                     const char *from,
                     va_list     texts)
{
  const char *text;
  guint i = 0;

  while ((text = va_arg (texts, const char *)) != NULL)
    {
      JsonObject *message;

      g_assert_cmpuint (i, <, messages->len);
      message = g_ptr_array_index (messages, i++);
      g_assert_cmpstr (json_object_get_string_member (message, "from"), ==, from);
      g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, text);
    }

  g_assert_cmpuint (i, ==, messages->len);
}

/* That @messages are the texts given, in order, all from @from. */
void
cli_assert_texts (GPtrArray  *messages,
                  const char *from,
                  ...)
{
  va_list texts;

  va_start (texts, from);
  assert_texts_valist (messages, from, texts);
  va_end (texts);
}

/* That @profile receives the texts given, in order, all from @from, and
 * nothing else: with no texts, that nothing is waiting for it. */
void
cli_assert_receives (CliTest    *test,
                     const char *profile,
                     const char *from,
                     ...)
{
  g_autoptr(GPtrArray) messages = cli_receive (test, profile);
  va_list texts;

  va_start (texts, from);
  assert_texts_valist (messages, from, texts);
  va_end (texts);
}

/* That nothing is waiting for @profile. */
void
cli_assert_receives_nothing (CliTest    *test,
                             const char *profile)
{
  g_autoptr(GPtrArray) messages = cli_receive (test, profile);

  g_assert_cmpuint (messages->len, ==, 0);
}

GPtrArray *
cli_history (CliTest    *test,
             const char *profile,
             const char *with)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "history", with, NULL);

  cli_assert_ok (result);

  return cli_parse_lines (result->out);
}

/* The safety number with @with, whose verification state must be
 * @verification. */
char *
cli_safety_number (CliTest    *test,
                   const char *profile,
                   const char *with,
                   const char *verification)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "safety-number", with, NULL);
  g_autoptr(JsonObject) object = NULL;
  const char *digits;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);

  digits = json_object_get_string_member (object, "safety_number");
  g_assert_true (g_regex_match_simple ("^([0-9]{5} ){11}[0-9]{5}$", digits, 0, 0));
  g_assert_cmpstr (json_object_get_string_member (object, "verification"), ==, verification);

  return g_strdup (digits);
}

/* A profile's store, opened with the tests' passphrase. */
SottoStore *
cli_open_store (const char *profile)
{
  g_autoptr(GFile) directory = g_file_new_for_path (profile);
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GError) error = NULL;
  SottoStore *store;

  sotto_store_open_async (directory, CLI_TEST_PASSPHRASE, NULL, cli_result_cb, &opened);
  cli_wait_for (&opened);
  store = sotto_store_open_finish (opened, &error);
  g_assert_no_error (error);

  return store;
}

SottoMessenger *
cli_load_messenger (SottoStore *store)
{
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(GError) error = NULL;
  SottoMessenger *messenger;

  sotto_messenger_load_async (store, NULL, cli_result_cb, &loaded);
  cli_wait_for (&loaded);
  messenger = sotto_messenger_load_finish (loaded, &error);
  g_assert_no_error (error);

  return messenger;
}

/* Closes @store, whose models are released already, and drops the
 * caller's reference to it. */
void
cli_close_store (SottoStore *store)
{
  g_autoptr(GAsyncResult) closed = NULL;
  g_autoptr(GError) error = NULL;

  sotto_store_close_async (store, NULL, cli_result_cb, &closed);
  cli_wait_for (&closed);
  g_assert_true (sotto_store_close_finish (store, closed, &error));
  g_assert_no_error (error);
  g_object_unref (store);

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The identity private key and the device password of a profile, read
 * through the engine. */
void
cli_read_secrets (const char  *profile,
                  guint8       private_key[SP_PRIVATE_KEY_SIZE],
                  char       **password)
{
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  SottoStore *store = cli_open_store (profile);

  sotto_account_load_async (store, NULL, cli_result_cb, &loaded);
  cli_wait_for (&loaded);
  account = sotto_account_load_finish (loaded, &error);
  g_assert_no_error (error);

  memcpy (private_key, sotto_account_get_identity_key_pair (account)->private_key.bytes, SP_PRIVATE_KEY_SIZE);
  *password = g_strdup (sotto_account_get_password (account));

  g_clear_object (&account);
  cli_close_store (store);
}

/* A statement on the SQLite database at @path (a relay's or a
 * profile's), which a test reads or changes behind the programs' backs. */
sqlite3_stmt *
cli_db_prepare (const char  *path,
                int          flags,
                const char  *sql,
                sqlite3    **db)
{
  sqlite3_stmt *statement = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, db, flags, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (*db, sql, -1, &statement, NULL), ==, SQLITE_OK);

  return statement;
}

/* Runs @statement, which must change exactly one row, and closes @db. */
void
cli_db_change_one (sqlite3      *db,
                   sqlite3_stmt *statement)
{
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (statement);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* Sealed sender */

/* Makes a trust root in @path with the relay's own tool; returns its
 * public key in base64, as clients are given it. */
char *
cli_new_trust_root (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = { SOTTO_RELAY_PATH, "sealed-sender", "new-root", path, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return g_strdup (g_strstrip (out));
}

/* Gives the relay a server key under the root in @root_path, with
 * @key_id, and restarts it, so that it issues sender certificates.  The
 * key file names its root, which the relay then publishes, unless
 * @publish_root is FALSE (a key file from before relays published it). */
void
cli_issue_server_key_full (CliTest    *test,
                           const char *root_path,
                           const char *key_id,
                           gboolean    publish_root)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key_path = g_build_filename (test->relay->data_dir, "sealed-sender.key", NULL);
  g_autofree char *contents = NULL;
  int status = 0;
  const char *argv[] = { SOTTO_RELAY_PATH, "sealed-sender", "issue", root_path, key_id, key_path, NULL };

  /* A key file is never overwritten: the new one replaces it. */
  g_remove (key_path);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  if (!publish_root)
    {
      g_assert_true (g_file_get_contents (key_path, &contents, NULL, NULL));
      *strstr (contents, "trust-root=") = '\0';
      g_assert_true (g_file_set_contents_full (key_path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                               NULL));
    }

  cli_relay_stop (test->relay);
  cli_relay_restart (test->relay);
}

/* The same with key id 1, naming its root. */
void
cli_issue_server_key (CliTest    *test,
                      const char *root_path)
{
  cli_issue_server_key_full (test, root_path, "1", TRUE);
}

/* Registers @name, pinning @trust_root, or with %NULL the root the
 * relay publishes (trust on first use). */
char *
cli_register_pinned (CliTest    *test,
                     const char *name,
                     const char *trust_root)
{
  g_autofree char *profile = cli_test_profile (test, name);

  if (trust_root != NULL)
    cli_run_ok (test, profile, "register", "--relay", test->relay->url, "--username", name,
                "--trust-root", trust_root, NULL);
  else
    cli_run_ok (test, profile, "register", "--relay", test->relay->url, "--username", name, NULL);

  return g_steal_pointer (&profile);
}

/* Sends @text to @group as @profile, and returns the message's id. */
char *
cli_send_group (CliTest    *test,
                const char *profile,
                const char *group,
                const char *text)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "send-group", group, text, NULL);
  g_autoptr(JsonObject) object = NULL;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "group"), ==, group);

  return g_strdup (json_object_get_string_member (object, "id"));
}

/* The reactions of a message in history --json, as "from:emoji" joined
 * by spaces. */
char *
cli_reactions_of (JsonObject *message)
{
  JsonArray *reactions = json_object_get_array_member (message, "reactions");
  g_autoptr(GString) joined = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (reactions); i++)
    {
      JsonObject *reaction = json_array_get_object_element (reactions, i);

      g_string_append_printf (joined, "%s%s:%s", i > 0 ? " " : "",
                              json_object_get_string_member (reaction, "from"),
                              json_object_get_string_member (reaction, "emoji"));
    }

  return g_string_free (g_steal_pointer (&joined), FALSE);
}
