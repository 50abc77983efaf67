/* sotto-store.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
#include "sotto-store-private.h"

/* The store: the object, opening and closing a profile's database, and
 * the thread every read and write runs on.  Its SQLite helpers are in
 * sotto-store-sql.c, sealed columns in sotto-store-seal.c, the database
 * key in sotto-store-key.c, and what it keeps in the files named after
 * that (sotto-store-records.c, -drafts.c, -search.c, -requests.c,
 * -deletion.c). */

/* Costs for a new passphrase: libsodium's "moderate" level, 256 MiB and
 * about half a second, paid once when the profile is unlocked. */
static const SottoStoreKdfLimits default_kdf_limits = {
  crypto_pwhash_OPSLIMIT_MODERATE,
  crypto_pwhash_MEMLIMIT_MODERATE,
};

typedef struct
{
  GTask *task;
  GTaskThreadFunc func;
} SottoStoreJob;

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_KEY_SOURCE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoStore, sotto_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (sotto-store-error-quark, sotto_store_error)

static GParamSpec *properties [N_PROPS];

static char *
secure_strdup (const char *string)
{
  gsize len = strlen (string) + 1;
  char *copy = sodium_malloc (len);

  if (copy == NULL)
    g_error ("Could not allocate guarded memory for a passphrase");

  memcpy (copy, string, len);

  return copy;
}

static void
sotto_store_close_db (SottoStore *self)
{
  g_hash_table_remove_all (self->statements);
  g_clear_pointer (&self->db, sqlite3_close);
}

static gboolean
sotto_store_open_db (SottoStore  *self,
                     const char  *path,
                     int          flags,
                     GError     **error)
{
  int rc;

  g_assert (self->db == NULL);

  rc = sqlite3_open_v2 (path, &self->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                   _("Could not open the profile’s database: %s"), sqlite3_errstr (rc));
      return FALSE;
    }

  sqlite3_extended_result_codes (self->db, TRUE);

  return TRUE;
}

/* Takes away what others may do with @path, if it exists: a profile is
 * its owner's alone. */
static gboolean
restrict_to_owner (const char  *path,
                   int          mode,
                   GError     **error)
{
  GStatBuf buf;

  if (g_stat (path, &buf) != 0 || (buf.st_mode & 0077) == 0)
    return TRUE;

  if (g_chmod (path, mode) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not make %s private: %s"), path, g_strerror (errsv));
      return FALSE;
    }

  return TRUE;
}

static gboolean
sotto_store_open_internal (SottoStore                 *self,
                           const char                 *passphrase,
                           const SottoStoreKdfLimits  *limits,
                           GCancellable               *cancellable,
                           GError                    **error)
{
  g_autofree char *profile = NULL;
  g_autofree char *path = NULL;
  g_autofree char *wal_path = NULL;
  g_autofree char *shm_path = NULL;
  gboolean had_wal = TRUE;
  gboolean had_shm = TRUE;
  gboolean created = FALSE;
  gboolean is_new = FALSE;
  guint version = 0;

  g_assert (self->db == NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  profile = g_file_get_path (self->directory);
  path = g_build_filename (profile, SOTTO_STORE_DATABASE_NAME, NULL);
  wal_path = g_strconcat (path, "-wal", NULL);
  shm_path = g_strconcat (path, "-shm", NULL);

  if (g_mkdir_with_parents (profile, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the profile directory %s: %s"),
                   profile, g_strerror (errsv));
      return FALSE;
    }

  /* An existing directory, given as a profile, keeps the permissions
   * it had; an existing database may come from a version that left
   * them to the umask. */
  if (!restrict_to_owner (profile, 0700, error)
      || !restrict_to_owner (path, 0600, error)
      || !restrict_to_owner (wal_path, 0600, error)
      || !restrict_to_owner (shm_path, 0600, error))
    return FALSE;

  /* Before anything reads or writes the database. */
  self->lock_fd = _sotto_store_lock_profile (profile, error);
  if (self->lock_fd < 0)
    return FALSE;

  /* SQLite would create the file with the umask's permissions; the
   * contents are sealed, but the file is still nobody else's business.
   * SQLite gives its -wal and -shm files the database's. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Could not create the database %s: %s"), path, g_strerror (errsv));
          return FALSE;
        }

      g_close (fd, NULL);
      created = TRUE;
    }

  /* Reading a database in WAL mode creates its -wal and -shm files; a
   * failed open removes them again if they were not there before. */
  had_wal = g_file_test (wal_path, G_FILE_TEST_EXISTS);
  had_shm = g_file_test (shm_path, G_FILE_TEST_EXISTS);

  /* Everything that can fail on a database that is not ours, or not
   * ours to open, happens on a read-only connection, which never
   * writes: not even the checkpoint that a read-write connection runs
   * when it closes a database in WAL mode.  Such a file is left exactly
   * as it was. */
  if (!sotto_store_open_db (self, path, SQLITE_OPEN_READONLY, error)
      || !_sotto_store_inspect (self, &is_new, &version, error)
      || (!is_new && !_sotto_store_unlock (self, profile, passphrase, cancellable, error)))
    goto fail;

  sotto_store_close_db (self);

  if (!sotto_store_open_db (self, path, SQLITE_OPEN_READWRITE, error))
    goto fail;

  /* Full synchronisation: a message is acknowledged to the relay once it
   * is stored, so a commit must survive a power cut. */
  if (!_sotto_store_exec (self,
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA trusted_schema = OFF;"
                          /* What is deleted is overwritten, so that a
                           * message deleted for everyone or expired
                           * leaves no ciphertext in free pages. */
                          "PRAGMA secure_delete = ON;",
                          error))
    goto fail;

  if (is_new)
    {
      if (!_sotto_store_create (self, profile, passphrase, limits, cancellable, error))
        goto fail;
    }
  else if (version < _sotto_store_schema_version ())
    {
      if (!_sotto_store_begin (self, error))
        goto fail;

      if (!_sotto_store_migrate (self, version, error))
        {
          _sotto_store_rollback (self);
          goto fail;
        }

      if (!_sotto_store_commit (self, error))
        goto fail;
    }

  if (!_sotto_store_exec (self, "PRAGMA journal_mode = WAL", error))
    goto fail;

  return TRUE;

fail:
  sotto_store_close_db (self);
  g_clear_pointer (&self->keys, _sotto_store_keys_free);
  _sotto_store_unlock_profile (self->lock_fd);
  self->lock_fd = -1;

  if (created)
    g_unlink (path);
  if (!had_wal)
    g_unlink (wal_path);
  if (!had_shm)
    g_unlink (shm_path);

  return FALSE;
}

SottoStore *
_sotto_store_open_sync (GFile                      *directory,
                        const char                 *passphrase,
                        const SottoStoreKdfLimits  *limits,
                        GCancellable               *cancellable,
                        GError                    **error)
{
  g_autoptr(SottoStore) self = NULL;

  g_return_val_if_fail (G_IS_FILE (directory), NULL);
  g_return_val_if_fail (g_file_peek_path (directory) != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);

  self = g_object_new (SOTTO_TYPE_STORE,
                       "directory", directory,
                       NULL);

  if (!sotto_store_open_internal (self, passphrase, limits ? limits : &default_kdf_limits,
                                  cancellable, error))
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
_sotto_store_close_sync (SottoStore  *self,
                         GError     **error)
{
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  if (!_sotto_store_check_open (self, error))
    return FALSE;

  g_hash_table_remove_all (self->statements);

  rc = sqlite3_close (self->db);
  if (rc != SQLITE_OK)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not close the database"), error);
      return FALSE;
    }

  self->db = NULL;
  g_clear_pointer (&self->keys, _sotto_store_keys_free);
  _sotto_store_unlock_profile (self->lock_fd);
  self->lock_fd = -1;

  return TRUE;
}

/* Set while the store's thread runs a job: the models are made on the
 * main thread only (sotto-records-private.h), and assert it. */
static GPrivate in_store_job;

gboolean
_sotto_store_in_job (void)
{
  return GPOINTER_TO_INT (g_private_get (&in_store_job));
}

static gboolean
sotto_store_release_task_cb (gpointer data)
{
  g_object_unref (data);

  return G_SOURCE_REMOVE;
}

static void
sotto_store_thread_func (gpointer data,
                         gpointer user_data)
{
  SottoStoreJob *job = data;
  GTask *task = job->task;
  GSource *source;

  g_private_set (&in_store_job, GINT_TO_POINTER (TRUE));
  if (!g_task_return_error_if_cancelled (task))
    job->func (task,
               g_task_get_source_object (task),
               g_task_get_task_data (task),
               g_task_get_cancellable (task));
  g_private_set (&in_store_job, GINT_TO_POINTER (FALSE));

  /* Once the caller has let go, the task may hold the last reference to
   * the store, and finalizing the store here would wait for this very
   * thread.  The reference goes back to the task's context, where the
   * callback runs too.  (Not with g_main_context_invoke(), which runs
   * the function right here when the context happens to be free.) */
  source = g_idle_source_new ();
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, sotto_store_release_task_cb, task, NULL);
  g_source_set_static_name (source, "[sotto] release store job");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);

  g_free (job);
}

/* Runs @func for @task on the store's thread, after every job queued
 * before it. */
void
_sotto_store_run_in_thread (SottoStore      *self,
                            GTask           *task,
                            GTaskThreadFunc  func)
{
  SottoStoreJob *job;

  g_return_if_fail (SOTTO_IS_STORE (self));
  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (func != NULL);

  job = g_new0 (SottoStoreJob, 1);
  job->task = g_object_ref (task);
  job->func = func;

  g_thread_pool_push (self->thread, job, NULL);
}

/* Runs @func as a step of @task: a task of its own with @task's source
 * object, cancellable, source tag and data, on the store's thread, or
 * on a worker thread for a @store of %NULL (for work that does not touch
 * the database, like making keys).  @task keeps the data; @callback gets
 * a reference to @task as its user data. */
void
_sotto_task_run_step (GTask               *task,
                      SottoStore          *store,
                      GTaskThreadFunc      func,
                      GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) step = NULL;

  g_assert (store == NULL || SOTTO_IS_STORE (store));
  g_assert (G_IS_TASK (task));

  step = g_task_new (g_task_get_source_object (task), g_task_get_cancellable (task),
                     callback, g_object_ref (task));
  g_task_set_source_tag (step, g_task_get_source_tag (task));
  g_task_set_task_data (step, g_task_get_task_data (task), NULL);

  if (store != NULL)
    _sotto_store_run_in_thread (store, step, func);
  else
    g_task_run_in_thread (step, func);
}

/* Whether @step, a step of @task that returns a boolean, succeeded; when
 * it failed, @task fails with its error. */
gboolean
_sotto_task_propagate_step (GTask        *task,
                            GAsyncResult *step)
{
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (step), &error))
    return TRUE;

  g_task_return_error (task, error);

  return FALSE;
}

/* The callback of an operation's last step, any #GTask that returns a
 * boolean, with the operation's #GTask as @user_data: the operation
 * completes as the step did. */
void
_sotto_task_return_step_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (_sotto_task_propagate_step (task, result))
    g_task_return_boolean (task, TRUE);
}

/* The end of an operation of @source_object whose task returns a
 * boolean: what every such _finish() does.  With @source_tag, the task
 * must have been made by that function. */
gboolean
_sotto_task_propagate_boolean (gpointer       source_object,
                               GAsyncResult  *result,
                               gpointer       source_tag,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source_object), FALSE);
  g_return_val_if_fail (source_tag == NULL || g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* As _sotto_task_propagate_boolean(), for a task that returns a pointer. */
gpointer
_sotto_task_propagate_pointer (gpointer       source_object,
                               GAsyncResult  *result,
                               gpointer       source_tag,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source_object), NULL);
  g_return_val_if_fail (source_tag == NULL || g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sotto_store_open_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  SottoStore *self = source_object;
  const char *passphrase = task_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_store_open_internal (self, passphrase, &default_kdf_limits, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

/**
 * sotto_store_exists:
 * @directory: a profile directory
 *
 * Whether the profile in @directory has a database already, so that the
 * app can tell "choose a passphrase" from "enter your passphrase".
 *
 * Returns: %TRUE if there is a database file
 */
gboolean
sotto_store_exists (GFile *directory)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (G_IS_FILE (directory), FALSE);

  path = g_build_filename (g_file_peek_path (directory), SOTTO_STORE_DATABASE_NAME, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/**
 * sotto_store_open_async:
 * @directory: the profile directory; created if missing
 * @passphrase: (nullable): the passphrase, or %NULL to use the keyring
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Opens the encrypted database of the profile in @directory, creating it
 * when there is none.
 *
 * A new database keeps its key in the Secret Service when @passphrase is
 * %NULL; without a Secret Service this fails with
 * %SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED, and the caller asks for a
 * passphrase and tries again.  An existing database is unlocked the way it
 * was created.  A database that is not Sotto's, is damaged, or was written
 * by a newer version is reported and left untouched.
 */
void
sotto_store_open_async (GFile               *directory,
                        const char          *passphrase,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(SottoStore) self = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (directory));
  g_return_if_fail (g_file_peek_path (directory) != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (SOTTO_TYPE_STORE,
                       "directory", directory,
                       NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_store_open_async);
  if (passphrase != NULL)
    g_task_set_task_data (task, secure_strdup (passphrase), sodium_free);

  _sotto_store_run_in_thread (self, task, sotto_store_open_thread);
}

/**
 * sotto_store_open_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the open store, or %NULL with @error set
 */
SottoStore *
sotto_store_open_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_store_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sotto_store_close_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  SottoStore *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_close_sync (self, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * sotto_store_close_async:
 * @self: a #SottoStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the database is closed
 * @user_data: data for @callback
 *
 * Closes the database after every operation queued before, and wipes the
 * keys from memory.  Later operations fail with
 * %SOTTO_STORE_ERROR_CLOSED.
 */
void
sotto_store_close_async (SottoStore          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_store_close_async);

  _sotto_store_run_in_thread (self, task, sotto_store_close_thread);
}

gboolean
sotto_store_close_finish (SottoStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

/**
 * sotto_store_get_directory:
 * @self: a #SottoStore
 *
 * Returns: (transfer none): the profile directory
 */
GFile *
sotto_store_get_directory (SottoStore *self)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  return self->directory;
}

/**
 * sotto_store_get_key_source:
 * @self: a #SottoStore
 *
 * Returns: where the database key of the open store comes from
 */
SottoKeySource
sotto_store_get_key_source (SottoStore *self)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), SOTTO_KEY_SOURCE_KEYRING);

  return self->key_source;
}

static void
sotto_store_finalize (GObject *object)
{
  SottoStore *self = (SottoStore *)object;

  /* Every queued job holds a reference, so the thread is idle here. */
  g_thread_pool_free (self->thread, FALSE, TRUE);

  sotto_store_close_db (self);
  g_clear_pointer (&self->keys, _sotto_store_keys_free);
  _sotto_store_unlock_profile (self->lock_fd);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_object (&self->directory);

  G_OBJECT_CLASS (sotto_store_parent_class)->finalize (object);
}

static void
sotto_store_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SottoStore *self = SOTTO_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_object (value, self->directory);
      break;

    case PROP_KEY_SOURCE:
      g_value_set_enum (value, self->key_source);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_store_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  SottoStore *self = SOTTO_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_store_class_init (SottoStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_store_finalize;
  object_class->get_property = sotto_store_get_property;
  object_class->set_property = sotto_store_set_property;

  /**
   * SottoStore:directory:
   *
   * The profile directory that holds the database.
   */
  properties [PROP_DIRECTORY] =
    g_param_spec_object ("directory", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoStore:key-source:
   *
   * Where the database key comes from: the keyring or a passphrase.
   */
  properties [PROP_KEY_SOURCE] =
    g_param_spec_enum ("key-source", NULL, NULL,
                       SOTTO_TYPE_KEY_SOURCE,
                       SOTTO_KEY_SOURCE_KEYRING,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  _sotto_engine_init_crypto ();
}

static void
sotto_store_init (SottoStore *self)
{
  static guint last_serial;

  self->serial = (guint) g_atomic_int_add (&last_serial, 1) + 1;
  self->lock_fd = -1;
  self->thread = g_thread_pool_new (sotto_store_thread_func, self, 1, FALSE, NULL);
  self->statements = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
}
