/* sotto-store.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

#define SOTTO_STORE_ERROR (sotto_store_error_quark ())

/**
 * SottoStoreError:
 * @SOTTO_STORE_ERROR_FAILED: SQLite or the file system failed
 * @SOTTO_STORE_ERROR_NOT_A_DATABASE: the file is not an SQLite database,
 *   or it is damaged
 * @SOTTO_STORE_ERROR_FOREIGN: the file is another application's database
 * @SOTTO_STORE_ERROR_TOO_NEW: the database was written by a newer Sotto
 * @SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED: no Secret Service can hold the
 *   key, or the database is protected by a passphrase, and none was given
 * @SOTTO_STORE_ERROR_WRONG_PASSPHRASE: the passphrase does not unlock the
 *   database
 * @SOTTO_STORE_ERROR_WRONG_KEY: the key in the Secret Service does not
 *   unlock the database
 * @SOTTO_STORE_ERROR_KEY_MISSING: the Secret Service has no key for the
 *   database
 * @SOTTO_STORE_ERROR_CORRUPT: a record fails to decrypt or is malformed
 * @SOTTO_STORE_ERROR_NOT_FOUND: no such record
 * @SOTTO_STORE_ERROR_EXISTS: the record exists already
 * @SOTTO_STORE_ERROR_CLOSED: the store was closed
 * @SOTTO_STORE_ERROR_IN_USE: another process has the profile open; the
 *   message says which
 *
 * Errors of #SottoStore.  None of them leaves the database file changed.
 */
typedef enum
{
  SOTTO_STORE_ERROR_FAILED,
  SOTTO_STORE_ERROR_NOT_A_DATABASE,
  SOTTO_STORE_ERROR_FOREIGN,
  SOTTO_STORE_ERROR_TOO_NEW,
  SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED,
  SOTTO_STORE_ERROR_WRONG_PASSPHRASE,
  SOTTO_STORE_ERROR_WRONG_KEY,
  SOTTO_STORE_ERROR_KEY_MISSING,
  SOTTO_STORE_ERROR_CORRUPT,
  SOTTO_STORE_ERROR_NOT_FOUND,
  SOTTO_STORE_ERROR_EXISTS,
  SOTTO_STORE_ERROR_CLOSED,
  SOTTO_STORE_ERROR_IN_USE,
} SottoStoreError;

#define SOTTO_TYPE_STORE (sotto_store_get_type ())

G_DECLARE_FINAL_TYPE (SottoStore, sotto_store, SOTTO, STORE, GObject)

GQuark          sotto_store_error_quark    (void);
gboolean        sotto_store_exists         (GFile                *directory);
void            sotto_store_open_async     (GFile                *directory,
                                            const char           *passphrase,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
SottoStore     *sotto_store_open_finish    (GAsyncResult         *result,
                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void            sotto_store_close_async    (SottoStore           *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean        sotto_store_close_finish   (SottoStore           *self,
                                            GAsyncResult         *result,
                                            GError              **error);
GFile          *sotto_store_get_directory  (SottoStore           *self);
SottoKeySource  sotto_store_get_key_source (SottoStore           *self);

G_END_DECLS
