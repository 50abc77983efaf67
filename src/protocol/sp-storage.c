/* sp-storage.c: key lists and the byte-level pieces of the storage forms
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-storage.h"
#include "sp-error.h"

#include <sodium.h>
#include <string.h>

/* Key lists */

int
sp_key_list_reserve (SpKeyList *list,
                     uint32_t   capacity)
{
  SpIndexedKey *items;
  uint32_t new_capacity;

  if (capacity <= list->capacity)
    return SP_OK;

  new_capacity = list->capacity < 16 ? 16 : list->capacity;
  while (new_capacity < capacity)
    new_capacity = new_capacity > UINT32_MAX / 2 ? capacity : new_capacity * 2;

  items = sodium_allocarray (new_capacity, sizeof *items);
  if (items == NULL)
    return SP_ERR_NO_MEMORY;
  if (list->len > 0)
    memcpy (items, list->items, list->len * sizeof *items);
  sodium_free (list->items);
  list->items = items;
  list->capacity = new_capacity;
  return SP_OK;
}

int
sp_key_list_append (SpKeyList    *list,
                    uint32_t      index,
                    const uint8_t key[32])
{
  int rc;

  if (list->len == UINT32_MAX)
    return SP_ERR_NO_MEMORY;
  if ((rc = sp_key_list_reserve (list, list->len + 1)) != SP_OK)
    return rc;
  list->items[list->len].index = index;
  memcpy (list->items[list->len].key, key, 32);
  list->len++;
  return SP_OK;
}

/* The list is sorted, so a binary search finds @index; the entry is
 * removed so that a key is never handed out twice. */
bool
sp_key_list_take (SpKeyList *list,
                  uint32_t   index,
                  uint8_t    key[32])
{
  uint32_t lo = 0;
  uint32_t hi = list->len;

  while (lo < hi)
    {
      uint32_t mid = lo + (hi - lo) / 2;

      if (list->items[mid].index < index)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == list->len || list->items[lo].index != index)
    return false;

  memcpy (key, list->items[lo].key, 32);
  memmove (&list->items[lo], &list->items[lo + 1],
           (list->len - lo - 1) * sizeof list->items[0]);
  list->len--;
  sodium_memzero (&list->items[list->len], sizeof list->items[0]);
  return true;
}

void
sp_key_list_drop_front (SpKeyList *list,
                        uint32_t   n)
{
  if (n == 0)
    return;
  if (n >= list->len)
    {
      sp_key_list_clear (list);
      return;
    }
  memmove (list->items, list->items + n, (list->len - n) * sizeof list->items[0]);
  sodium_memzero (list->items + list->len - n, n * sizeof list->items[0]);
  list->len -= n;
}

void
sp_key_list_clear (SpKeyList *list)
{
  if (list->items != NULL)
    sodium_memzero (list->items, list->len * sizeof list->items[0]);
  list->len = 0;
}

void
sp_key_list_free (SpKeyList *list)
{
  sodium_free (list->items);
  list->items = NULL;
  list->len = 0;
  list->capacity = 0;
}

void
sp_key_list_copy_reserved (SpKeyList       *dst,
                           const SpKeyList *src)
{
  if (src->len < dst->len)
    sodium_memzero (dst->items + src->len, (dst->len - src->len) * sizeof dst->items[0]);
  if (src->len > 0)
    memcpy (dst->items, src->items, src->len * sizeof src->items[0]);
  dst->len = src->len;
}

/* Writing */

uint8_t *
sp_put_u8 (uint8_t *p,
           uint8_t  value)
{
  *p = value;
  return p + 1;
}

uint8_t *
sp_put_u16 (uint8_t *p,
            uint16_t value)
{
  p[0] = (uint8_t) (value >> 8);
  p[1] = (uint8_t) value;
  return p + 2;
}

uint8_t *
sp_put_u32 (uint8_t *p,
            uint32_t value)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t) (value >> (24 - 8 * i));
  return p + 4;
}

uint8_t *
sp_put_u64 (uint8_t *p,
            uint64_t value)
{
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t) (value >> (56 - 8 * i));
  return p + 8;
}

uint8_t *
sp_put_bytes (uint8_t       *p,
              const uint8_t *data,
              size_t         len)
{
  memcpy (p, data, len);
  return p + len;
}

uint8_t *
sp_put_key_list (uint8_t         *p,
                 const SpKeyList *list)
{
  p = sp_put_u16 (p, (uint16_t) list->len);
  for (uint32_t i = 0; i < list->len; i++)
    {
      p = sp_put_u32 (p, list->items[i].index);
      p = sp_put_bytes (p, list->items[i].key, 32);
    }
  return p;
}

uint8_t *
sp_put_header (uint8_t    *p,
               const char  magic[4],
               uint8_t     format_version,
               uint8_t     count)
{
  p = sp_put_bytes (p, (const uint8_t *) magic, 4);
  p = sp_put_u8 (p, format_version);
  return sp_put_u8 (p, count);
}

/* Reading */

bool
sp_cursor_take (SpCursor       *c,
                size_t          n,
                const uint8_t **out)
{
  if (c->left < n)
    return false;
  *out = c->p;
  c->p += n;
  c->left -= n;
  return true;
}

bool
sp_get_u8 (SpCursor *c,
           uint8_t  *out)
{
  const uint8_t *p;

  if (!sp_cursor_take (c, 1, &p))
    return false;
  *out = p[0];
  return true;
}

bool
sp_get_u16 (SpCursor *c,
            uint16_t *out)
{
  const uint8_t *p;

  if (!sp_cursor_take (c, 2, &p))
    return false;
  *out = (uint16_t) ((p[0] << 8) | p[1]);
  return true;
}

bool
sp_get_u32 (SpCursor *c,
            uint32_t *out)
{
  const uint8_t *p;

  if (!sp_cursor_take (c, 4, &p))
    return false;
  *out = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
  return true;
}

bool
sp_get_u64 (SpCursor *c,
            uint64_t *out)
{
  const uint8_t *p;
  uint64_t value = 0;

  if (!sp_cursor_take (c, 8, &p))
    return false;
  for (int i = 0; i < 8; i++)
    value = (value << 8) | p[i];
  *out = value;
  return true;
}

/* Copies @n bytes into @out unless @out is NULL (validation pass). */
bool
sp_get_bytes (SpCursor *c,
              uint8_t  *out,
              size_t    n)
{
  const uint8_t *p;

  if (!sp_cursor_take (c, n, &p))
    return false;
  if (out != NULL)
    memcpy (out, p, n);
  return true;
}

bool
sp_get_header (SpCursor   *c,
               const char  magic[4],
               uint8_t     format_version,
               uint8_t     min_count,
               uint8_t     max_count,
               uint8_t    *count)
{
  const uint8_t *found;
  uint8_t format;

  return sp_cursor_take (c, 4, &found)
         && memcmp (found, magic, 4) == 0
         && sp_get_u8 (c, &format) && format == format_version
         && sp_get_u8 (c, count) && *count >= min_count && *count <= max_count;
}

bool
sp_get_public_key (SpCursor    *c,
                   SpPublicKey *out)
{
  const uint8_t *p;

  if (!sp_cursor_take (c, SP_PUBLIC_KEY_SIZE, &p) || p[0] != SP_KEY_TYPE_DJB)
    return false;
  if (out != NULL)
    memcpy (out->bytes, p, SP_PUBLIC_KEY_SIZE);
  return true;
}

bool
sp_get_private_key (SpCursor     *c,
                    SpPrivateKey *out)
{
  const uint8_t *p;

  if (!sp_cursor_take (c, SP_PRIVATE_KEY_SIZE, &p))
    return false;
  /* Stored keys are always clamped; anything else was not written here. */
  if ((p[0] & 0x07) != 0 || (p[31] & 0xc0) != 0x40)
    return false;
  if (out != NULL)
    memcpy (out->bytes, p, SP_PRIVATE_KEY_SIZE);
  return true;
}

/* A list of at most @max keys, strictly increasing and below @limit.
 * With @out NULL only validates and reports the length in *@len. */
bool
sp_get_key_list (SpCursor  *c,
                 SpKeyList *out,
                 uint32_t   max,
                 uint32_t   limit,
                 uint32_t  *len)
{
  uint16_t n;
  uint32_t previous = 0;

  if (!sp_get_u16 (c, &n) || n > max)
    return false;
  for (uint32_t i = 0; i < n; i++)
    {
      uint32_t index;

      if (!sp_get_u32 (c, &index) || index >= limit || (i > 0 && index <= previous))
        return false;
      if (out != NULL)
        {
          out->items[i].index = index;
          if (!sp_get_bytes (c, out->items[i].key, 32))
            return false;
        }
      else if (!sp_get_bytes (c, NULL, 32))
        {
          return false;
        }
      previous = index;
    }
  if (out != NULL)
    out->len = n;
  *len = n;
  return true;
}

