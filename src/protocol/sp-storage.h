/* sp-storage.h: key lists and the pieces of the storage forms (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"

/* A skipped message-key seed or SPQR key with its index. */
typedef struct {
  uint32_t index;
  uint8_t key[32];
} SpIndexedKey;

/* Keys sorted by strictly increasing index, in sodium_malloc() memory
 * allocated only once a key is stored. */
typedef struct {
  SpIndexedKey *items;
  uint32_t len;
  uint32_t capacity;
} SpKeyList;

int sp_key_list_reserve (SpKeyList *list,
                         uint32_t   capacity);
int sp_key_list_append (SpKeyList     *list,
                        uint32_t       index,
                        const uint8_t  key[32]);
/* Removes the key of @index, so that no key is handed out twice. */
bool sp_key_list_take (SpKeyList *list,
                       uint32_t   index,
                       uint8_t    key[32]);
void sp_key_list_drop_front (SpKeyList *list,
                             uint32_t   n);
/* Wipes the keys, keeping the memory for reuse. */
void sp_key_list_clear (SpKeyList *list);
void sp_key_list_free (SpKeyList *list);
/* @dst must already have room for @src's keys. */
void sp_key_list_copy_reserved (SpKeyList       *dst,
                                const SpKeyList *src);

/* The storage forms are fixed layouts with big-endian integers.  Writers
 * advance through a buffer the caller has sized; each returns the
 * position after what it wrote. */
uint8_t *sp_put_u8 (uint8_t *p,
                    uint8_t  value);
uint8_t *sp_put_u16 (uint8_t  *p,
                     uint16_t  value);
uint8_t *sp_put_u32 (uint8_t  *p,
                     uint32_t  value);
uint8_t *sp_put_u64 (uint8_t  *p,
                     uint64_t  value);
uint8_t *sp_put_bytes (uint8_t       *p,
                       const uint8_t *data,
                       size_t         len);
/* u16 count || count x (u32 index || key (32)). */
uint8_t *sp_put_key_list (uint8_t         *p,
                          const SpKeyList *list);

/* Both record formats start with a header: four magic bytes, a u8
 * format version and a u8 number of entries. */
#define SP_STORAGE_HEADER_SIZE 6

uint8_t *sp_put_header (uint8_t    *p,
                        const char  magic[4],
                        uint8_t     format_version,
                        uint8_t     count);

/* Readers are parsed twice, once to validate and once to fill; so every
 * reader accepts a NULL output, and then only checks.  Each returns false
 * for input that is short or out of its rules, and never reads past the
 * cursor. */
typedef struct {
  const uint8_t *p;
  size_t left;
} SpCursor;

bool sp_cursor_take (SpCursor       *c,
                     size_t          n,
                     const uint8_t **out);
bool sp_get_u8 (SpCursor *c,
                uint8_t  *out);
bool sp_get_u16 (SpCursor *c,
                 uint16_t *out);
bool sp_get_u32 (SpCursor *c,
                 uint32_t *out);
bool sp_get_u64 (SpCursor *c,
                 uint64_t *out);
bool sp_get_bytes (SpCursor *c,
                   uint8_t  *out,
                   size_t    n);
/* The header with @magic and @format_version, whose count lies in
 * [@min_count, @max_count]. */
bool sp_get_header (SpCursor   *c,
                    const char  magic[4],
                    uint8_t     format_version,
                    uint8_t     min_count,
                    uint8_t     max_count,
                    uint8_t    *count);
/* 33 bytes starting with the 0x05 type byte. */
bool sp_get_public_key (SpCursor    *c,
                        SpPublicKey *out);
/* 32 bytes, clamped. */
bool sp_get_private_key (SpCursor     *c,
                         SpPrivateKey *out);
/* A list of at most @max keys, indices strictly increasing and below
 * @limit; its length goes to *@len in both passes. */
bool sp_get_key_list (SpCursor  *c,
                      SpKeyList *out,
                      uint32_t   max,
                      uint32_t   limit,
                      uint32_t  *len);
