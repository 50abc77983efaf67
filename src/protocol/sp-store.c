/* sp-store.c: the in-memory store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain arrays searched linearly: the store is meant for tests and tools
 * with a handful of peers.  Keys with private parts sit in sodium_malloc()
 * memory; session and sender key records are copied in and out as
 * objects.
 */

#include "sp-store.h"
#include "sp-error.h"
#include "sp-sender-key.h"
#include "sp-session.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *name;
  uint32_t device_id;
  SpPublicKey key;
} IdentityEntry;

typedef struct {
  char *name;
  uint32_t device_id;
  SpSessionRecord *record;
} SessionEntry;

typedef struct {
  char *name;
  uint32_t device_id;
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  SpSenderKeyRecord *record;
} SenderKeyEntry;

typedef struct {
  SpPreKey *key;
} PreKeyEntry;

typedef struct {
  SpSignedPreKey *key;
} SignedPreKeyEntry;

typedef struct {
  SpKyberPreKey *key;
  bool last_resort;
  SpPublicKey *used_base_keys;       /* last-resort keys only */
  size_t n_used_base_keys;
} KyberPreKeyEntry;

/* A growable array of @type named @name. */
#define ARRAY(type, name) \
  type *name;             \
  size_t n_##name;        \
  size_t capacity_##name

struct _SpMemoryStore {
  SpKeyPair *identity;
  uint32_t registration_id;
  ARRAY (IdentityEntry, identities);
  ARRAY (SessionEntry, sessions);
  ARRAY (SenderKeyEntry, sender_keys);
  ARRAY (PreKeyEntry, pre_keys);
  ARRAY (SignedPreKeyEntry, signed_pre_keys);
  ARRAY (KyberPreKeyEntry, kyber_pre_keys);
};

/* Makes room for one more element. */
static int
grow (void   **items,
      size_t  *capacity,
      size_t   n,
      size_t   element_size)
{
  void *grown;
  size_t new_capacity;

  if (n < *capacity)
    return SP_OK;
  new_capacity = *capacity == 0 ? 4 : *capacity * 2;
  grown = realloc (*items, new_capacity * element_size);
  if (grown == NULL)
    return SP_ERR_NO_MEMORY;
  *items = grown;
  *capacity = new_capacity;
  return SP_OK;
}

#define GROW(store, name) \
  grow ((void **) &(store)->name, &(store)->capacity_##name, (store)->n_##name, sizeof *(store)->name)

static bool
address_equal (const char      *name,
               uint32_t         device_id,
               const SpAddress *address)
{
  return device_id == address->device_id && strcmp (name, address->name) == 0;
}

/* Identities */

static int
get_identity_key_pair (void      *user_data,
                       SpKeyPair *out)
{
  SpMemoryStore *store = user_data;

  *out = *store->identity;
  return SP_OK;
}

static int
get_local_registration_id (void     *user_data,
                           uint32_t *out)
{
  SpMemoryStore *store = user_data;

  *out = store->registration_id;
  return SP_OK;
}

static IdentityEntry *
find_identity (SpMemoryStore   *store,
               const SpAddress *address)
{
  for (size_t i = 0; i < store->n_identities; i++)
    if (address_equal (store->identities[i].name, store->identities[i].device_id, address))
      return &store->identities[i];
  return NULL;
}

static int
get_identity (void            *user_data,
              const SpAddress *address,
              SpPublicKey     *out,
              bool            *found)
{
  IdentityEntry *entry = find_identity (user_data, address);

  *found = entry != NULL;
  if (entry != NULL)
    *out = entry->key;
  return SP_OK;
}

static int
save_identity (void              *user_data,
               const SpAddress   *address,
               const SpPublicKey *key)
{
  SpMemoryStore *store = user_data;
  IdentityEntry *entry = find_identity (store, address);
  char *name;
  int rc;

  if (entry != NULL)
    {
      entry->key = *key;
      return SP_OK;
    }
  if ((rc = GROW (store, identities)) != SP_OK)
    return rc;
  if ((name = strdup (address->name)) == NULL)
    return SP_ERR_NO_MEMORY;
  entry = &store->identities[store->n_identities++];
  entry->name = name;
  entry->device_id = address->device_id;
  entry->key = *key;
  return SP_OK;
}

static int
is_trusted_identity (void              *user_data,
                     const SpAddress   *address,
                     const SpPublicKey *key,
                     SpDirection        direction,
                     bool              *trusted)
{
  IdentityEntry *entry = find_identity (user_data, address);

  *trusted = entry == NULL || memcmp (entry->key.bytes, key->bytes, SP_PUBLIC_KEY_SIZE) == 0;
  return SP_OK;
}

/* Prekeys */

static int
load_pre_key (void     *user_data,
              uint32_t  id,
              SpPreKey *out)
{
  SpMemoryStore *store = user_data;

  for (size_t i = 0; i < store->n_pre_keys; i++)
    if (store->pre_keys[i].key->id == id)
      {
        *out = *store->pre_keys[i].key;
        return SP_OK;
      }
  return SP_ERR_MISSING_PREKEY;
}

static int
remove_pre_key (void     *user_data,
                uint32_t  id)
{
  SpMemoryStore *store = user_data;

  for (size_t i = 0; i < store->n_pre_keys; i++)
    if (store->pre_keys[i].key->id == id)
      {
        sodium_free (store->pre_keys[i].key);
        store->pre_keys[i] = store->pre_keys[--store->n_pre_keys];
        return SP_OK;
      }
  return SP_OK;
}

static int
load_signed_pre_key (void           *user_data,
                     uint32_t        id,
                     SpSignedPreKey *out)
{
  SpMemoryStore *store = user_data;

  for (size_t i = 0; i < store->n_signed_pre_keys; i++)
    if (store->signed_pre_keys[i].key->id == id)
      {
        *out = *store->signed_pre_keys[i].key;
        return SP_OK;
      }
  return SP_ERR_MISSING_PREKEY;
}

static KyberPreKeyEntry *
find_kyber_pre_key (SpMemoryStore *store,
                    uint32_t       id)
{
  for (size_t i = 0; i < store->n_kyber_pre_keys; i++)
    if (store->kyber_pre_keys[i].key->id == id)
      return &store->kyber_pre_keys[i];
  return NULL;
}

static int
load_kyber_pre_key (void          *user_data,
                    uint32_t       id,
                    SpKyberPreKey *out)
{
  KyberPreKeyEntry *entry = find_kyber_pre_key (user_data, id);

  if (entry == NULL)
    return SP_ERR_MISSING_PREKEY;
  *out = *entry->key;
  return SP_OK;
}

static void
kyber_entry_clear (KyberPreKeyEntry *entry)
{
  sodium_free (entry->key);
  free (entry->used_base_keys);
}

static int
mark_kyber_pre_key_used (void              *user_data,
                         uint32_t           kyber_id,
                         uint32_t           signed_pre_key_id,
                         const SpPublicKey *base_key)
{
  SpMemoryStore *store = user_data;
  KyberPreKeyEntry *entry = find_kyber_pre_key (store, kyber_id);
  SpPublicKey *grown;

  if (entry == NULL)
    return SP_ERR_MISSING_PREKEY;

  if (!entry->last_resort)
    {
      kyber_entry_clear (entry);
      *entry = store->kyber_pre_keys[--store->n_kyber_pre_keys];
      return SP_OK;
    }

  for (size_t i = 0; i < entry->n_used_base_keys; i++)
    if (memcmp (entry->used_base_keys[i].bytes, base_key->bytes, SP_PUBLIC_KEY_SIZE) == 0)
      return SP_ERR_DUPLICATE_MESSAGE;
  grown = realloc (entry->used_base_keys, (entry->n_used_base_keys + 1) * sizeof *grown);
  if (grown == NULL)
    return SP_ERR_NO_MEMORY;
  entry->used_base_keys = grown;
  entry->used_base_keys[entry->n_used_base_keys++] = *base_key;
  return SP_OK;
}

/* Sessions */

static SessionEntry *
find_session (SpMemoryStore   *store,
              const SpAddress *address)
{
  for (size_t i = 0; i < store->n_sessions; i++)
    if (address_equal (store->sessions[i].name, store->sessions[i].device_id, address))
      return &store->sessions[i];
  return NULL;
}

static int
load_session (void            *user_data,
              const SpAddress *address,
              SpSessionRecord *record)
{
  SessionEntry *entry = find_session (user_data, address);

  if (entry == NULL)
    return SP_ERR_NO_SESSION;
  return sp_session_record_copy (record, entry->record);
}

static int
store_session (void                  *user_data,
               const SpAddress       *address,
               const SpSessionRecord *record)
{
  SpMemoryStore *store = user_data;
  SessionEntry *entry = find_session (store, address);
  SpSessionRecord *copy = NULL;
  char *name = NULL;
  int rc;

  if (entry != NULL)
    return sp_session_record_copy (entry->record, record);

  if ((rc = GROW (store, sessions)) != SP_OK
      || (rc = sp_session_record_new (&copy)) != SP_OK
      || (rc = sp_session_record_copy (copy, record)) != SP_OK
      || (rc = (name = strdup (address->name)) != NULL ? SP_OK : SP_ERR_NO_MEMORY) != SP_OK)
    {
      sp_session_record_free (copy);
      return rc;
    }
  entry = &store->sessions[store->n_sessions++];
  entry->name = name;
  entry->device_id = address->device_id;
  entry->record = copy;
  return SP_OK;
}

/* Sender keys */

static SenderKeyEntry *
find_sender_key (SpMemoryStore   *store,
                 const SpAddress *sender,
                 const uint8_t    distribution_id[SP_DISTRIBUTION_ID_SIZE])
{
  for (size_t i = 0; i < store->n_sender_keys; i++)
    if (address_equal (store->sender_keys[i].name, store->sender_keys[i].device_id, sender)
        && memcmp (store->sender_keys[i].distribution_id, distribution_id, SP_DISTRIBUTION_ID_SIZE) == 0)
      return &store->sender_keys[i];
  return NULL;
}

static int
load_sender_key (void              *user_data,
                 const SpAddress   *sender,
                 const uint8_t      distribution_id[SP_DISTRIBUTION_ID_SIZE],
                 SpSenderKeyRecord *record)
{
  SenderKeyEntry *entry = find_sender_key (user_data, sender, distribution_id);

  if (entry == NULL)
    return SP_ERR_NO_SENDER_KEY;
  return sp_sender_key_record_copy (record, entry->record);
}

static int
store_sender_key (void                    *user_data,
                  const SpAddress         *sender,
                  const uint8_t            distribution_id[SP_DISTRIBUTION_ID_SIZE],
                  const SpSenderKeyRecord *record)
{
  SpMemoryStore *store = user_data;
  SenderKeyEntry *entry = find_sender_key (store, sender, distribution_id);
  SpSenderKeyRecord *copy = NULL;
  char *name = NULL;
  int rc;

  if (entry != NULL)
    return sp_sender_key_record_copy (entry->record, record);

  if ((rc = GROW (store, sender_keys)) != SP_OK
      || (rc = sp_sender_key_record_new (&copy)) != SP_OK
      || (rc = sp_sender_key_record_copy (copy, record)) != SP_OK
      || (rc = (name = strdup (sender->name)) != NULL ? SP_OK : SP_ERR_NO_MEMORY) != SP_OK)
    {
      sp_sender_key_record_free (copy);
      return rc;
    }
  entry = &store->sender_keys[store->n_sender_keys++];
  entry->name = name;
  entry->device_id = sender->device_id;
  memcpy (entry->distribution_id, distribution_id, SP_DISTRIBUTION_ID_SIZE);
  entry->record = copy;
  return SP_OK;
}

/* Public functions */

int
sp_memory_store_new (SpMemoryStore   **out,
                     const SpKeyPair  *identity,
                     uint32_t          registration_id)
{
  SpMemoryStore *store;

  if (out == NULL || identity == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  store = calloc (1, sizeof *store);
  if (store == NULL)
    return SP_ERR_NO_MEMORY;
  store->identity = sodium_malloc (sizeof *store->identity);
  if (store->identity == NULL)
    {
      free (store);
      return SP_ERR_NO_MEMORY;
    }
  *store->identity = *identity;
  store->registration_id = registration_id;
  *out = store;
  return SP_OK;
}

void
sp_memory_store_free (SpMemoryStore *store)
{
  if (store == NULL)
    return;
  for (size_t i = 0; i < store->n_identities; i++)
    free (store->identities[i].name);
  for (size_t i = 0; i < store->n_sessions; i++)
    {
      free (store->sessions[i].name);
      sp_session_record_free (store->sessions[i].record);
    }
  for (size_t i = 0; i < store->n_sender_keys; i++)
    {
      free (store->sender_keys[i].name);
      sp_sender_key_record_free (store->sender_keys[i].record);
    }
  for (size_t i = 0; i < store->n_pre_keys; i++)
    sodium_free (store->pre_keys[i].key);
  for (size_t i = 0; i < store->n_signed_pre_keys; i++)
    sodium_free (store->signed_pre_keys[i].key);
  for (size_t i = 0; i < store->n_kyber_pre_keys; i++)
    kyber_entry_clear (&store->kyber_pre_keys[i]);
  free (store->identities);
  free (store->sessions);
  free (store->sender_keys);
  free (store->pre_keys);
  free (store->signed_pre_keys);
  free (store->kyber_pre_keys);
  sodium_free (store->identity);
  free (store);
}

int
sp_memory_store_get_interface (SpMemoryStore *store,
                               SpStore       *out)
{
  if (store == NULL || out == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  memset (out, 0, sizeof *out);
  out->user_data = store;
  out->get_identity_key_pair = get_identity_key_pair;
  out->get_local_registration_id = get_local_registration_id;
  out->get_identity = get_identity;
  out->save_identity = save_identity;
  out->is_trusted_identity = is_trusted_identity;
  out->load_pre_key = load_pre_key;
  out->remove_pre_key = remove_pre_key;
  out->load_signed_pre_key = load_signed_pre_key;
  out->load_kyber_pre_key = load_kyber_pre_key;
  out->mark_kyber_pre_key_used = mark_kyber_pre_key_used;
  out->load_session = load_session;
  out->store_session = store_session;
  out->load_sender_key = load_sender_key;
  out->store_sender_key = store_sender_key;
  return SP_OK;
}

/* Copies @size bytes of @key into new guarded memory. */
static void *
secure_copy (const void *key,
             size_t      size)
{
  void *copy = sodium_malloc (size);

  if (copy != NULL)
    memcpy (copy, key, size);
  return copy;
}

int
sp_memory_store_add_pre_key (SpMemoryStore  *store,
                             const SpPreKey *key)
{
  SpPreKey *copy;
  int rc;

  if (store == NULL || key == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < store->n_pre_keys; i++)
    if (store->pre_keys[i].key->id == key->id)
      {
        *store->pre_keys[i].key = *key;
        return SP_OK;
      }
  if ((rc = GROW (store, pre_keys)) != SP_OK)
    return rc;
  if ((copy = secure_copy (key, sizeof *key)) == NULL)
    return SP_ERR_NO_MEMORY;
  store->pre_keys[store->n_pre_keys++].key = copy;
  return SP_OK;
}

int
sp_memory_store_add_signed_pre_key (SpMemoryStore        *store,
                                    const SpSignedPreKey *key)
{
  SpSignedPreKey *copy;
  int rc;

  if (store == NULL || key == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < store->n_signed_pre_keys; i++)
    if (store->signed_pre_keys[i].key->id == key->id)
      {
        *store->signed_pre_keys[i].key = *key;
        return SP_OK;
      }
  if ((rc = GROW (store, signed_pre_keys)) != SP_OK)
    return rc;
  if ((copy = secure_copy (key, sizeof *key)) == NULL)
    return SP_ERR_NO_MEMORY;
  store->signed_pre_keys[store->n_signed_pre_keys++].key = copy;
  return SP_OK;
}

int
sp_memory_store_add_kyber_pre_key (SpMemoryStore       *store,
                                   const SpKyberPreKey *key,
                                   bool                 last_resort)
{
  KyberPreKeyEntry *entry;
  SpKyberPreKey *copy;
  int rc;

  if (store == NULL || key == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if ((entry = find_kyber_pre_key (store, key->id)) != NULL)
    {
      *entry->key = *key;
      entry->last_resort = last_resort;
      free (entry->used_base_keys);
      entry->used_base_keys = NULL;
      entry->n_used_base_keys = 0;
      return SP_OK;
    }
  if ((rc = GROW (store, kyber_pre_keys)) != SP_OK)
    return rc;
  if ((copy = secure_copy (key, sizeof *key)) == NULL)
    return SP_ERR_NO_MEMORY;
  entry = &store->kyber_pre_keys[store->n_kyber_pre_keys++];
  memset (entry, 0, sizeof *entry);
  entry->key = copy;
  entry->last_resort = last_resort;
  return SP_OK;
}
