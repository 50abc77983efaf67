/* bench-party.h: a local relay and accounts on it, for the benchmarks
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-messenger.h"
#include "sotto-store.h"

G_BEGIN_DECLS

/* The passphrase of the profiles made here; Argon2id runs at its
 * minimum cost, as unlocking is not what is measured. */
#define BENCH_PASSPHRASE "benchmark"

/* An account in a fresh profile, online once registered. */
typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
} BenchParty;

void         bench_result_cb      (GObject       *object,
                                   GAsyncResult  *result,
                                   gpointer       user_data);
void         bench_wait_for       (GAsyncResult **result);
GSubprocess *bench_start_relay    (const char    *binary,
                                   const char    *data_dir,
                                   char         **url);
void         bench_party_register (BenchParty    *party,
                                   const char    *root,
                                   const char    *name,
                                   const char    *url);
void         bench_party_close    (BenchParty    *party);
int          bench_compare_doubles (gconstpointer  a,
                                    gconstpointer  b);

G_END_DECLS
