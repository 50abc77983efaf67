/* bench-attachment-e2e.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachments end to end through a local sotto-relay with the engine's
 * own steps: a file encrypted into a profile folder, its upload created
 * and sent (upload), then fetched into a profile folder, checked and
 * decrypted into another folder in one pass (download), as sotto-cli's
 * receive does.  The peer is the same relay client moving the
 * plaintext as a blob, with no encryption on either side, which is what
 * encryption costs against.  Then ten such uploads at once through the
 * engine, with the relay's resident memory before and at its peak, which
 * should stay flat rather than grow with the files.
 *
 * Usage: bench-attachment-e2e --relay BUILD/src/relay/sotto-relay [--megabytes N]
 *                             [--database postgresql://...]
 * Prints one line per figure: NAME VALUE.
 */

#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"

#include "dev-util.h"
#include "sotto-attachment-transfer-private.h"
#include "sotto-key-batch-private.h"
#include "sotto-relay-client-blob-private.h"

#define PARALLEL DEV_BLOB_BENCH_PARALLEL

typedef struct
{
  GSubprocess *process;
  char *dir;
  char *url;
} Relay;

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* On `database`, a postgresql:// URL, when it is not NULL. */
static void
relay_start (Relay      *relay,
             const char *binary,
             const char *database)
{
  g_autofree char *conf = database != NULL ? g_strdup_printf ("%s[database]\nurl=%s\n", dev_blob_bench_conf, database)
                                           : g_strdup (dev_blob_bench_conf);
  guint16 port = 0;

  relay->process = dev_start_relay (binary, conf, &relay->dir, &port);
  relay->url = g_strdup_printf ("http://127.0.0.1:%u", port);
}

static SottoRelayClient *
register_client (Relay *relay)
{
  SottoKeyState state = { .next_pre_key_id = 1, .next_kyber_pre_key_id = 1, .next_signed_pre_key_id = 1 };
  g_autoptr(SottoKeyBatch) keys = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  SottoRelayClient *client;
  SpKeyPair identity;
  guint device_id = 0;

  client = sotto_relay_client_new (relay->url, &error);
  if (client == NULL || sp_key_pair_generate (&identity) != SP_OK)
    g_error ("Cannot make a relay client");
  keys = _sotto_key_batch_generate (&identity, &state, TRUE, TRUE, 1, 1, &error);
  if (keys == NULL)
    g_error ("Cannot make keys: %s", error->message);

  sotto_relay_client_register_async (client,
                                     &(SottoRelayRegistration) {
                                       .username = "bench",
                                       .password = "a-good-long-password",
                                       .registration_id = 7,
                                       .identity_key = &identity.public_key,
                                       .keys = keys,
                                     },
                                     NULL, result_cb, &result);
  sodium_memzero (&identity, sizeof identity);
  wait_for (&result);
  if (!sotto_relay_client_register_finish (client, result, &uuid, &device_id, &error))
    g_error ("Cannot register: %s", error->message);
  sotto_relay_client_set_credentials (client, uuid, device_id, "a-good-long-password");

  return client;
}

/* Sotto: encrypted into @folder, created, uploaded. */
static SottoAttachmentUpload *
engine_upload (SottoRelayClient *client,
               GFile            *file,
               GFile            *folder)
{
  g_autoptr(GAsyncResult) encrypted = NULL;
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GAsyncResult) uploaded = NULL;
  g_autoptr(GError) error = NULL;
  SottoAttachmentUpload *upload;

  sotto_attachment_encrypt_async (file, folder, NULL, result_cb, &encrypted);
  wait_for (&encrypted);
  upload = sotto_attachment_encrypt_finish (encrypted, &error);
  if (upload == NULL)
    g_error ("Cannot encrypt: %s", error->message);

  sotto_attachment_create_upload_async (client, upload, NULL, result_cb, &created);
  wait_for (&created);
  if (!sotto_attachment_create_upload_finish (created, &error))
    g_error ("Cannot create an upload: %s", error->message);

  sotto_attachment_upload_async (client, upload->id, upload->blob, upload->size, NULL, NULL, NULL,
                                 result_cb, &uploaded);
  wait_for (&uploaded);
  if (!sotto_attachment_upload_finish (uploaded, &error))
    g_error ("Cannot upload: %s", error->message);

  return upload;
}

/* Sotto: fetched and checked into @folder and decrypted into @out_dir
 * in the same pass, as sotto-cli's receive saves a file. */
static void
engine_download (SottoRelayClient      *client,
                 SottoAttachmentUpload *upload,
                 GFile                 *folder,
                 GFile                 *out_dir)
{
  g_autoptr(GAsyncResult) downloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) blob = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *sha256 = NULL;

  sotto_attachment_download_async (client, upload->id, upload->key, upload->digest, upload->size, folder,
                                   out_dir, "out.bin", NULL, NULL, NULL, result_cb, &downloaded);
  wait_for (&downloaded);
  blob = sotto_attachment_download_finish (downloaded, &file, &sha256, &error);
  if (blob == NULL)
    g_error ("Cannot download: %s", error->message);

  g_file_delete (file, NULL, NULL);
  g_file_delete (blob, NULL, NULL);
}

/* The peer: the plaintext as a blob through the same client. */
static char *
plain_upload (SottoRelayClient *client,
              GFile            *file,
              guint64           size)
{
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GAsyncResult) put = NULL;
  g_autoptr(SottoRelayUpload) upload = NULL;
  g_autoptr(SottoRelayUpload) done = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GError) error = NULL;

  _sotto_relay_client_create_upload_async (client, size, NULL, result_cb, &created);
  wait_for (&created);
  upload = _sotto_relay_client_create_upload_finish (client, created, &error);
  in = g_file_read (file, NULL, &error);
  if (upload == NULL || in == NULL)
    g_error ("Cannot start a plain upload: %s", error->message);

  _sotto_relay_client_put_upload_async (client, upload, G_INPUT_STREAM (in), NULL, result_cb, &put);
  wait_for (&put);
  done = _sotto_relay_client_put_upload_finish (client, put, &error);
  if (done == NULL || !done->complete)
    g_error ("Cannot upload plainly: %s", error != NULL ? error->message : "incomplete");

  return g_strdup (upload->id);
}

static void
plain_download (SottoRelayClient *client,
                const char       *id,
                guint64           size,
                GFile            *out_dir)
{
  g_autoptr(GFile) file = g_file_get_child (out_dir, "plain.bin");
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, NULL);
  g_autoptr(GAsyncResult) downloaded = NULL;
  g_autoptr(GError) error = NULL;

  _sotto_relay_client_download_async (client, id, size, G_OUTPUT_STREAM (out), NULL, result_cb, &downloaded);
  wait_for (&downloaded);
  if (!_sotto_relay_client_download_finish (client, downloaded, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error))
    g_error ("Cannot download plainly: %s", error->message);
  g_file_delete (file, NULL, NULL);
}

static double
megabytes_per_second (guint64 bytes,
                      gint64  microseconds)
{
  return (double) bytes / 1e6 / ((double) MAX (microseconds, 1) / 1e6);
}

/* The processor time this process (all its threads) has used, in
 * microseconds: on a shared machine wall-clock rates measure the load as
 * much as the code. */
static gint64
cpu_microseconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC
         + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/* Writes back what the steps before left dirty, before a step is timed:
 * the relay's fdatasync at the end of an upload would otherwise wait
 * for the earlier steps' files too (ext4 commits them together), and
 * charge a step for what came before it. */
static void
settle_disk (void)
{
  sync ();
}

/* Prints NAME_MBps and NAME_cpu_MBps for @bytes moved since @start and
 * @cpu_start. */
static void
print_rates (const char *name,
             guint64     bytes,
             gint64      start,
             gint64      cpu_start)
{
  g_print ("%s_MBps %.1f\n", name, megabytes_per_second (bytes, g_get_monotonic_time () - start));
  g_print ("%s_cpu_MBps %.1f\n", name, megabytes_per_second (bytes, cpu_microseconds () - cpu_start));
}

typedef struct
{
  Relay *relay;
  guint64 peak;
} Sampler;

static gboolean
sample_cb (gpointer user_data)
{
  Sampler *sampler = user_data;

  sampler->peak = MAX (sampler->peak, dev_resident_bytes (sampler->relay->process));
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *binary = NULL;
  g_autofree char *database = NULL;
  int megabytes = 100;
  GOptionEntry entries[] = {
    { "relay", 0, 0, G_OPTION_ARG_FILENAME, &binary, "The sotto-relay binary", "PATH" },
    { "database", 0, 0, G_OPTION_ARG_STRING, &database, "The relay's PostgreSQL database (default SQLite)", "URL" },
    { "megabytes", 0, 0, G_OPTION_ARG_INT, &megabytes, "The file's size (default 100)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GFile) root = NULL;
  g_autoptr(GFile) source = NULL;
  g_autoptr(GFile) sender = NULL;
  g_autoptr(GFile) recipient = NULL;
  g_autoptr(SottoAttachmentUpload) upload = NULL;
  g_autofree char *plain_id = NULL;
  g_autofree char *root_path = NULL;
  g_autofree char *source_path = NULL;
  g_autofree guint8 *contents = NULL;
  GAsyncResult *results[PARALLEL] = { NULL };
  GPtrArray *uploads;
  Sampler sampler = { 0 };
  Relay relay = { 0 };
  guint64 size;
  guint64 idle;
  guint sampling;
  gint64 start;
  gint64 cpu_start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || binary == NULL || megabytes <= 0)
    g_error ("Usage: bench-attachment-e2e --relay PATH [--megabytes N] [--database URL]");
  if (sp_init () != SP_OK)
    g_error ("Cannot initialise the session core");

  size = (guint64) megabytes * 1000 * 1000;
  root_path = g_dir_make_tmp ("sotto-attachment-bench-files-XXXXXX", &error);
  if (root_path == NULL)
    g_error ("Cannot make a folder: %s", error->message);
  root = g_file_new_for_path (root_path);
  sender = g_file_get_child (root, "sender");
  recipient = g_file_get_child (root, "recipient");
  g_file_make_directory (sender, NULL, NULL);
  g_file_make_directory (recipient, NULL, NULL);
  source_path = g_build_filename (root_path, "source.bin", NULL);
  contents = g_malloc (size);
  randombytes_buf (contents, size);
  if (!g_file_set_contents (source_path, (const char *) contents, (gssize) size, &error))
    g_error ("Cannot write the file: %s", error->message);
  g_clear_pointer (&contents, g_free);
  source = g_file_new_for_path (source_path);

  relay_start (&relay, binary, database);
  client = register_client (&relay);

  settle_disk ();
  start = g_get_monotonic_time ();
  cpu_start = cpu_microseconds ();
  upload = engine_upload (client, source, sender);
  print_rates ("sotto_upload", size, start, cpu_start);
  settle_disk ();
  start = g_get_monotonic_time ();
  cpu_start = cpu_microseconds ();
  engine_download (client, upload, recipient, recipient);
  print_rates ("sotto_download", size, start, cpu_start);
  g_file_delete (upload->blob, NULL, NULL);

  settle_disk ();
  start = g_get_monotonic_time ();
  cpu_start = cpu_microseconds ();
  plain_id = plain_upload (client, source, size);
  print_rates ("plain_upload", size, start, cpu_start);
  settle_disk ();
  start = g_get_monotonic_time ();
  cpu_start = cpu_microseconds ();
  plain_download (client, plain_id, size, recipient);
  print_rates ("plain_download", size, start, cpu_start);

  /* Ten at once, each encrypted, created and uploaded by the engine. */
  idle = dev_resident_bytes (relay.process);
  sampler.relay = &relay;
  sampler.peak = idle;
  sampling = g_timeout_add (20, sample_cb, &sampler);
  uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_attachment_upload_free);
  for (guint i = 0; i < PARALLEL; i++)
    {
      g_autoptr(GAsyncResult) encrypted = NULL;
      SottoAttachmentUpload *one;

      sotto_attachment_encrypt_async (source, sender, NULL, result_cb, &encrypted);
      wait_for (&encrypted);
      one = sotto_attachment_encrypt_finish (encrypted, &error);
      if (one == NULL)
        g_error ("Cannot encrypt: %s", error->message);
      g_ptr_array_add (uploads, one);
    }
  for (guint i = 0; i < PARALLEL; i++)
    {
      g_autoptr(GAsyncResult) created = NULL;

      sotto_attachment_create_upload_async (client, g_ptr_array_index (uploads, i), NULL, result_cb, &created);
      wait_for (&created);
      if (!sotto_attachment_create_upload_finish (created, &error))
        g_error ("Cannot create an upload: %s", error->message);
    }
  settle_disk ();
  start = g_get_monotonic_time ();
  for (guint i = 0; i < PARALLEL; i++)
    {
      SottoAttachmentUpload *one = g_ptr_array_index (uploads, i);

      sotto_attachment_upload_async (client, one->id, one->blob, one->size, NULL, NULL, NULL,
                                     result_cb, &results[i]);
    }
  for (guint i = 0; i < PARALLEL; i++)
    {
      wait_for (&results[i]);
      if (!sotto_attachment_upload_finish (results[i], &error))
        g_error ("Cannot upload: %s", error->message);
      g_clear_object (&results[i]);
    }
  g_print ("parallel_upload_MBps %.1f\n", megabytes_per_second (size * PARALLEL, g_get_monotonic_time () - start));
  g_source_remove (sampling);
  g_print ("relay_rss_idle_MiB %.1f\n", (double) idle / 1048576.);
  g_print ("relay_rss_peak_MiB %.1f\n", (double) sampler.peak / 1048576.);
  g_ptr_array_unref (uploads);

  g_clear_object (&client);
  g_subprocess_send_signal (relay.process, SIGTERM);
  g_subprocess_wait (relay.process, NULL, NULL);
  g_clear_object (&relay.process);
  dev_remove_tree (relay.dir);
  dev_remove_tree (root_path);
  g_free (relay.dir);
  g_free (relay.url);

  return 0;
}
