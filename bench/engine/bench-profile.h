/* bench-profile.h: profiles with many messages, for the benchmarks
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The passphrase of the profiles made here; Argon2id runs at its minimum
 * cost so that the benchmarks measure messages, not the passphrase. */
#define BENCH_PROFILE_PASSPHRASE "benchmark"

/* Contact of the one conversation the profile holds. */
#define BENCH_PROFILE_CONTACT_UUID "7c9e6679-7425-40de-944b-e07fc1f90ae7"

double   bench_now_ms          (void);
double   bench_thread_cpu_ms   (void);
double   bench_process_cpu_ms  (void);
guint64  bench_memory_kib      (const char *field);
void     bench_profile_import  (GFile      *profile,
                                guint       n_messages);
void     bench_profile_remove  (GFile      *profile);

G_END_DECLS
