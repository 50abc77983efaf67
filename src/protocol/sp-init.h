/* sp-init.h: one-time initialisation of the libraries the core uses
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* Initialises libsodium and libgcrypt.  Safe to call more than once and
 * from several threads; every other function of the core assumes it
 * returned SP_OK. */
int sp_init (void);
