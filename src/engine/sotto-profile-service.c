/* sotto-profile-service.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-profile"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-contact-private.h"
#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
#include "sotto-profile-cipher-private.h"
#include "sotto-profile-service-private.h"

/* The messenger's service for encrypted profiles (docs/messenger.md,
 * "Encrypted profiles").  The account's display name and avatar are
 * encrypted under its profile key and kept at the relay, which never
 * sees either in the clear; the key reaches the contacts the user
 * accepted inside the encrypted content: with every text message (the
 * outbox adds it) and alone whenever the profile or the key changes.
 * Blocking a contact rotates the key, so that the profile the relay
 * holds from then on does not open with the key they had.
 *
 * Changes of the account's profile run one at a time, in the order
 * they were asked for, so that the relay ends with the latest.  What is
 * saved is uploaded, and a failed upload is tried again the next time
 * the messenger starts. */

struct _SottoProfileService
{
  GObject parent_instance;

  SottoStore *store;
  SottoConversationList *conversations;
  SottoRelayClient *client;
  SottoOutbox *outbox;

  /* The account's profile key, in guarded memory; %NULL until the user
   * first sets a profile. */
  guint8 *key;

  /* Changes waiting for the one under way (GTask), which is the head. */
  GQueue changes;

  /* Fetches of contacts' profiles under way, and the tasks that wait
   * for them and the changes to end (_sotto_profile_service_wait_async()). */
  guint n_fetching;
  GQueue waiters;
};

enum {
  PROFILE_CHANGED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoProfileService, sotto_profile_service, G_TYPE_OBJECT)

static guint signals [N_SIGNALS];

typedef enum
{
  CHANGE_SET,
  CHANGE_ROTATE,
  CHANGE_RESUME,
} ChangeKind;

/* One change of the account's profile, from the store to the relay and
 * the contacts. */
typedef struct
{
  ChangeKind kind;
  char *name;
  GBytes *avatar;

  /* What the store holds once the change is saved; no key when there
   * is nothing to upload. */
  guint8 *key;

  /* The conversations still to be given the key. */
  GQueue sharing;
} Change;

static void
change_free (Change *change)
{
  g_clear_pointer (&change->name, g_free);
  g_clear_pointer (&change->avatar, g_bytes_unref);
  g_clear_pointer (&change->key, sodium_free);
  g_queue_clear_full (&change->sharing, g_object_unref);
  g_free (change);
}

static guint8 *
key_copy (const guint8 *key)
{
  guint8 *copy = _sotto_secure_alloc (SOTTO_PROFILE_KEY_SIZE);

  memcpy (copy, key, SOTTO_PROFILE_KEY_SIZE);
  return copy;
}

static guint8 *
key_new_random (void)
{
  guint8 *key = _sotto_secure_alloc (SOTTO_PROFILE_KEY_SIZE);

  randombytes_buf (key, SOTTO_PROFILE_KEY_SIZE);
  return key;
}

/* Makes @key the account's key here and in every message the outbox
 * writes from now on. */
static void
sotto_profile_service_use_key (SottoProfileService *self,
                               const guint8        *key)
{
  g_clear_pointer (&self->key, sodium_free);
  self->key = key != NULL ? key_copy (key) : NULL;
  _sotto_outbox_set_profile_key (self->outbox, self->key);
}

/* Loading */

typedef struct
{
  guint8 *key;
  GHashTable *names;
  GArray *avatars;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_clear_pointer (&loaded->key, sodium_free);
  g_clear_pointer (&loaded->names, g_hash_table_unref);
  g_clear_pointer (&loaded->avatars, g_array_unref);
  g_free (loaded);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SottoProfileService *self = source_object;
  Loaded *loaded = task_data;
  g_autofree char *name = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  gboolean uploaded;

  if (!_sotto_store_load_own_profile (self->store, &loaded->key, &name, &avatar, &uploaded, &error)
      || (loaded->names = _sotto_store_list_contact_profile_names (self->store, &error)) == NULL
      || (loaded->avatars = _sotto_store_list_contact_avatars (self->store, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SottoProfileService *self = SOTTO_PROFILE_SERVICE (object);
  g_autoptr(GTask) task = user_data;
  Loaded *loaded = g_task_get_task_data (task);
  GHashTableIter iter;
  gpointer id;
  gpointer name;

  if (!_sotto_task_propagate_step (task, result))
    return;

  sotto_profile_service_use_key (self, loaded->key);

  g_hash_table_iter_init (&iter, loaded->names);
  while (g_hash_table_iter_next (&iter, &id, &name))
    {
      SottoConversation *conversation = _sotto_conversation_list_find_by_id (self->conversations, *(gint64 *) id);

      if (conversation != NULL)
        _sotto_contact_set_profile_name (sotto_conversation_get_contact (conversation), name);
    }

  for (guint i = 0; i < loaded->avatars->len; i++)
    {
      SottoConversation *conversation = _sotto_conversation_list_find_by_id (self->conversations,
                                                                             g_array_index (loaded->avatars, gint64, i));

      if (conversation != NULL)
        _sotto_contact_set_avatar (sotto_conversation_get_contact (conversation), TRUE, NULL);
    }

  g_task_return_boolean (task, TRUE);
}

/* Reads the account's profile key, for the outbox, and the display
 * names and avatars contacts' profiles gave, for the contacts. */
void
_sotto_profile_service_load_async (SottoProfileService *self,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, _sotto_profile_service_load_async);
  g_task_set_task_data (task, g_new0 (Loaded, 1), (GDestroyNotify) loaded_free);
  _sotto_task_run_step (task, self->store, load_thread, load_cb);
}

/* Waiting */

static void
wake_waiters (SottoProfileService *self)
{
  GTask *waiter;

  if (self->n_fetching > 0 || !g_queue_is_empty (&self->changes))
    return;

  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
    {
      g_task_return_boolean (waiter, TRUE);
      g_object_unref (waiter);
    }
}

/**
 * _sotto_profile_service_wait_async:
 * @self: a #SottoProfileService
 * @callback: called once no change or fetch is under way
 * @user_data: data for @callback
 *
 * For a caller about to go offline, such as sotto-cli: the task returns
 * a boolean once the profile work under way has ended.
 */
void
_sotto_profile_service_wait_async (SottoProfileService *self,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));

  g_queue_push_tail (&self->waiters, g_task_new (self, NULL, callback, user_data));
  wake_waiters (self);
}

/* Changes of the account's profile */

static void change_next (SottoProfileService *self);

/* The queue holds the one reference of a change's task that lasts; the
 * steps of the change borrow it.  Ends the change and starts the next. */
static void
change_return (GTask  *task,
               GError *error)
{
  SottoProfileService *self = g_task_get_source_object (task);

  g_assert (g_queue_peek_head (&self->changes) == task);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);

  g_object_unref (g_queue_pop_head (&self->changes));
  change_next (self);
  wake_waiters (self);
}

static void share_next (GTask *task);

static void
shared_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* A contact the key did not reach now gets it with the next message
   * the user writes to them. */
  if (!_sotto_outbox_send_content_finish (SOTTO_OUTBOX (object), result, &error))
    g_debug ("Could not send the profile key to a contact: %s", error->message);

  share_next (g_steal_pointer (&task));
}

/* Gives the key, alone, to the next conversation in line; the task
 * returns once every one had its turn. */
static void
share_next (GTask *task)
{
  SottoProfileService *self = g_task_get_source_object (task);
  Change *change = g_task_get_task_data (task);
  g_autoptr(SottoConversation) conversation = g_queue_pop_head (&change->sharing);
  g_autoptr(SottoContent) content = NULL;
  g_autofree char *id = NULL;

  if (conversation == NULL)
    {
      if (g_task_get_source_tag (task) == _sotto_profile_service_share_async)
        g_task_return_boolean (task, TRUE);
      else
        change_return (task, NULL);
      g_object_unref (task);
      return;
    }

  id = g_uuid_string_random ();
  content = sotto_content_new_profile_key (id, _sotto_now_ms (), change->key);
  _sotto_outbox_send_content_async (self->outbox, conversation, content, NULL, shared_cb, task);
}

/* Queues every conversation with an accepted contact; message requests
 * and blocked contacts (who are not in the list) get nothing. */
static void
queue_accepted (SottoProfileService *self,
                Change              *change)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));

  for (guint i = 0; i < n; i++)
    {
      SottoConversation *conversation = g_list_model_get_item (G_LIST_MODEL (self->conversations), i);

      if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_ACCEPTED)
        g_queue_push_tail (&change->sharing, conversation);
      else
        g_object_unref (conversation);
    }
}

static void
mark_uploaded_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  SottoProfileService *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_set_own_profile_uploaded (self->store, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
marked_uploaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  SottoProfileService *self = SOTTO_PROFILE_SERVICE (object);
  g_autoptr(GTask) task = user_data;
  Change *change = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      change_return (task, error);
      return;
    }

  queue_accepted (self, change);
  share_next (g_object_ref (task));
}

static void
access_key_set_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  SottoProfileService *self = g_task_get_source_object (user_data);
  GTask *task = user_data;
  GError *error = NULL;

  if (!sotto_relay_client_set_access_key_finish (SOTTO_RELAY_CLIENT (object), result, &error))
    {
      change_return (task, error);
      return;
    }

  _sotto_task_run_step (task, self->store, mark_uploaded_thread, marked_uploaded_cb);
}

static void
profile_put_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  Change *change = g_task_get_task_data (task);
  guint8 access_key[SOTTO_PROFILE_ACCESS_KEY_SIZE];
  GError *error = NULL;

  if (!sotto_relay_client_put_profile_finish (SOTTO_RELAY_CLIENT (object), result, &error))
    {
      change_return (task, error);
      return;
    }

  /* Sealed sender checks unidentified sends against the key derived
   * from the one the profile is encrypted with. */
  _sotto_profile_derive_access_key (change->key, access_key);
  sotto_relay_client_set_access_key_async (SOTTO_RELAY_CLIENT (object), access_key,
                                           g_task_get_cancellable (task), access_key_set_cb, task);
  sodium_memzero (access_key, sizeof access_key);
}

static void
change_saved_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SottoProfileService *self = SOTTO_PROFILE_SERVICE (object);
  g_autoptr(GTask) step_owner = user_data;
  GTask *task = step_owner;
  Change *change = g_task_get_task_data (task);
  g_autoptr(GBytes) blob = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      change_return (task, error);
      return;
    }

  /* Nothing to upload: no profile yet, or the relay has it. */
  if (change->key == NULL)
    {
      change_return (task, NULL);
      return;
    }

  sotto_profile_service_use_key (self, change->key);

  blob = _sotto_profile_encrypt (change->key, change->name, change->avatar);
  sotto_relay_client_put_profile_async (self->client, blob, g_task_get_cancellable (task),
                                        profile_put_cb, task);
}

/* Saves what @change makes of the stored profile, and leaves in it the
 * key, name and avatar to upload (no key when there is nothing to). */
static void
change_save_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoProfileService *self = source_object;
  Change *change = task_data;
  g_autofree char *name = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *key = NULL;
  gboolean uploaded;
  gboolean saved;

  if (!_sotto_store_load_own_profile (self->store, &key, &name, &avatar, &uploaded, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (change->kind)
    {
    case CHANGE_SET:
      /* The first profile makes the key; later ones keep it. */
      change->key = key != NULL ? key : key_new_random ();
      key = NULL;
      break;

    case CHANGE_ROTATE:
      if (key != NULL)
        {
          change->key = key_new_random ();
          change->name = g_steal_pointer (&name);
          change->avatar = g_steal_pointer (&avatar);
        }
      break;

    case CHANGE_RESUME:
    default:
      if (key != NULL && !uploaded)
        {
          change->key = g_steal_pointer (&key);
          change->name = g_steal_pointer (&name);
          change->avatar = g_steal_pointer (&avatar);
        }
      break;
    }
  g_clear_pointer (&key, sodium_free);

  saved = change->key == NULL || change->kind == CHANGE_RESUME
          || _sotto_store_save_own_profile (self->store, change->key, change->name, change->avatar, &error);
  if (!saved)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
change_next (SottoProfileService *self)
{
  GTask *task = g_queue_peek_head (&self->changes);

  if (task != NULL)
    _sotto_task_run_step (task, self->store, change_save_thread, change_saved_cb);
}

static void
change_queue (SottoProfileService *self,
              Change              *change,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, change, (GDestroyNotify) change_free);

  g_queue_push_tail (&self->changes, task);
  if (self->changes.length == 1)
    change_next (self);
}

/**
 * _sotto_profile_service_set_async:
 * @self: a #SottoProfileService
 * @name: the display name, 1 to %SOTTO_PROFILE_MAX_NAME bytes of UTF-8
 * @avatar: (nullable): an image of at most %SOTTO_PROFILE_MAX_AVATAR bytes
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay holds the profile
 * @user_data: data for @callback
 *
 * Sets the account's profile: stores it, makes the profile key the
 * first time, uploads the profile encrypted and the access key derived
 * from the key, and gives the key to every accepted contact.
 */
void
_sotto_profile_service_set_async (SottoProfileService *self,
                                  const char          *name,
                                  GBytes              *avatar,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Change *change;

  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));
  g_return_if_fail (name != NULL);

  change = g_new0 (Change, 1);
  change->kind = CHANGE_SET;
  change->name = g_strdup (name);
  change->avatar = avatar != NULL ? g_bytes_ref (avatar) : NULL;
  change_queue (self, change, _sotto_profile_service_set_async, cancellable, callback, user_data);
}

/**
 * _sotto_profile_service_rotate_async:
 * @self: a #SottoProfileService
 * @callback: called once the profile is at the relay under the new key
 * @user_data: data for @callback
 *
 * Replaces the profile key, after a contact was blocked: the profile is
 * uploaded again under the new key and the new key goes to the
 * accepted contacts, so the blocked one's key opens nothing new.
 * Without a profile there is no key, and nothing to do.
 */
void
_sotto_profile_service_rotate_async (SottoProfileService *self,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Change *change;

  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));

  change = g_new0 (Change, 1);
  change->kind = CHANGE_ROTATE;
  change_queue (self, change, _sotto_profile_service_rotate_async, NULL, callback, user_data);
}

/**
 * _sotto_profile_service_share_async:
 * @self: a #SottoProfileService
 * @conversation: a conversation with a contact the user just accepted
 * @callback: called once the key went, or could not go
 * @user_data: data for @callback
 *
 * Gives the profile key to one contact; without a profile there is
 * nothing to give.  A key that cannot go now goes with the next message.
 */
void
_sotto_profile_service_share_async (SottoProfileService *self,
                                    SottoConversation   *conversation,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Change *change;

  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, _sotto_profile_service_share_async);

  if (self->key == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  change = g_new0 (Change, 1);
  change->key = key_copy (self->key);
  g_queue_push_tail (&change->sharing, g_object_ref (conversation));
  g_task_set_task_data (task, change, (GDestroyNotify) change_free);
  share_next (g_steal_pointer (&task));
}

gboolean
_sotto_profile_service_finish (SottoProfileService  *self,
                               GAsyncResult         *result,
                               GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Contacts' profiles */

typedef struct
{
  SottoConversation *conversation;
  gint64 contact_id;
  GBytes *blob;
  char *name;
  char *avatar_digest;
  /* Whether the profile gave another avatar than the store had, or
   * took it away. */
  gboolean avatar_changed;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->conversation);
  g_clear_pointer (&fetch->blob, g_bytes_unref);
  g_clear_pointer (&fetch->name, g_free);
  g_clear_pointer (&fetch->avatar_digest, g_free);
  g_free (fetch);
}

/* Opens the fetched profile with the key the contact gave, and records
 * the fetch and the name it gave. */
static void
fetch_open_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SottoProfileService *self = source_object;
  Fetch *fetch = task_data;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) open_error = NULL;
  guint8 *key = NULL;

  if (!_sotto_store_load_contact_profile_key (self->store, fetch->contact_id, &key, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (key != NULL && fetch->blob != NULL
      && !_sotto_profile_decrypt (key, fetch->blob, &fetch->name, &avatar, &open_error))
    g_debug ("Could not open a contact’s profile: %s", open_error->message);
  g_clear_pointer (&key, sodium_free);

  if (avatar != NULL)
    fetch->avatar_digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, avatar);

  /* The contact's avatar in memory may have come from the store, with no
   * digest to compare: the store's own copy tells whether it changed. */
  if (fetch->name != NULL)
    {
      g_autoptr(GBytes) stored = NULL;

      if (!_sotto_store_load_contact_avatar (self->store, fetch->contact_id, &stored, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      fetch->avatar_changed = stored != NULL && avatar != NULL ? !g_bytes_equal (stored, avatar) : stored != avatar;
    }

  if (!_sotto_store_save_contact_profile (self->store, fetch->contact_id, fetch->name, avatar,
                                          _sotto_now_ms (), &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
fetch_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SottoProfileService *self = SOTTO_PROFILE_SERVICE (object);
  Fetch *fetch = g_task_get_task_data (G_TASK (result));
  SottoContact *contact = sotto_conversation_get_contact (fetch->conversation);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Could not store a contact’s profile: %s", error->message);
  else if (fetch->name != NULL)
    {
      SottoProfileChanges changes = SOTTO_PROFILE_CHANGES_NONE;

      if (g_strcmp0 (fetch->name, sotto_contact_get_profile_name (contact)) != 0)
        changes |= SOTTO_PROFILE_CHANGES_NAME;
      if (fetch->avatar_changed)
        changes |= SOTTO_PROFILE_CHANGES_AVATAR;
      _sotto_contact_set_avatar (contact, fetch->avatar_digest != NULL, fetch->avatar_digest);
      _sotto_contact_set_profile_name (contact, fetch->name);
      if (changes != SOTTO_PROFILE_CHANGES_NONE)
        g_signal_emit (self, signals [PROFILE_CHANGED], 0, fetch->conversation, changes);
    }

  self->n_fetching--;
  wake_waiters (self);
}

static void
fetch_got_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoProfileService *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  fetch->blob = sotto_relay_client_get_profile_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (fetch->blob == NULL)
    g_debug ("Could not fetch a contact’s profile: %s", error->message);

  _sotto_store_run_in_thread (self->store, task, fetch_open_thread);
}

/**
 * _sotto_profile_service_fetch:
 * @self: a #SottoProfileService
 * @conversation: the conversation with a contact who gave a profile key
 *
 * Fetches the contact's profile and opens it with the key they gave;
 * a new display name or avatar goes to the contact and the
 * #SottoProfileService::profile-changed signal.  A profile that cannot
 * be fetched or opened (the contact rotated the key away from this
 * account) changes nothing.
 */
void
_sotto_profile_service_fetch (SottoProfileService *self,
                              SottoConversation   *conversation)
{
  SottoContact *contact;
  GTask *task;
  Fetch *fetch;

  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  contact = sotto_conversation_get_contact (conversation);
  fetch = g_new0 (Fetch, 1);
  fetch->conversation = g_object_ref (conversation);
  fetch->contact_id = _sotto_contact_get_id (contact);

  task = g_task_new (self, NULL, fetch_opened_cb, NULL);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  self->n_fetching++;
  sotto_relay_client_get_profile_async (self->client, sotto_contact_get_uuid (contact), NULL,
                                        fetch_got_cb, task);
}

static void
list_stale_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SottoProfileService *self = source_object;
  g_autoptr(GError) error = NULL;
  GArray *ids;

  ids = _sotto_store_list_stale_contact_profiles (self->store, SOTTO_PROFILE_REFRESH_BATCH, &error);
  if (ids == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, ids, (GDestroyNotify) g_array_unref);
}

static void
listed_stale_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SottoProfileService *self = SOTTO_PROFILE_SERVICE (object);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  ids = g_task_propagate_pointer (G_TASK (result), &error);
  if (ids == NULL)
    {
      g_debug ("Could not list the contacts’ profiles: %s", error->message);
      return;
    }

  for (guint i = 0; i < ids->len; i++)
    {
      SottoConversation *conversation = _sotto_conversation_list_find_by_id (self->conversations, g_array_index (ids, gint64, i));

      if (conversation != NULL)
        _sotto_profile_service_fetch (self, conversation);
    }
}

static void
resumed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!_sotto_profile_service_finish (SOTTO_PROFILE_SERVICE (object), result, &error))
    g_debug ("Could not upload the profile: %s", error->message);
}

/* Going online: a profile the relay does not have yet is uploaded, and
 * the contacts' profiles fetched longest ago are fetched again, so that
 * a change whose key update was missed still shows. */
void
_sotto_profile_service_start (SottoProfileService *self)
{
  g_autoptr(GTask) task = NULL;
  Change *change;

  g_return_if_fail (SOTTO_IS_PROFILE_SERVICE (self));

  change = g_new0 (Change, 1);
  change->kind = CHANGE_RESUME;
  change_queue (self, change, _sotto_profile_service_start, NULL, resumed_cb, NULL);

  task = g_task_new (self, NULL, listed_stale_cb, NULL);
  _sotto_store_run_in_thread (self->store, task, list_stale_thread);
}

SottoProfileService *
_sotto_profile_service_new (SottoStore            *store,
                            SottoConversationList *conversations,
                            SottoRelayClient      *client,
                            SottoOutbox           *outbox)
{
  SottoProfileService *self = g_object_new (SOTTO_TYPE_PROFILE_SERVICE, NULL);

  self->store = g_object_ref (store);
  self->conversations = g_object_ref (conversations);
  self->client = g_object_ref (client);
  self->outbox = g_object_ref (outbox);

  return self;
}

static void
sotto_profile_service_finalize (GObject *object)
{
  SottoProfileService *self = (SottoProfileService *)object;

  g_assert (g_queue_is_empty (&self->changes));
  g_assert (g_queue_is_empty (&self->waiters));

  g_clear_pointer (&self->key, sodium_free);
  g_clear_object (&self->store);
  g_clear_object (&self->conversations);
  g_clear_object (&self->client);
  g_clear_object (&self->outbox);

  G_OBJECT_CLASS (sotto_profile_service_parent_class)->finalize (object);
}

static void
sotto_profile_service_class_init (SottoProfileServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_profile_service_finalize;

  /**
   * SottoProfileService::profile-changed:
   * @self: a #SottoProfileService
   * @conversation: the conversation with the contact
   * @changes: what changed
   *
   * A contact's profile gave a new display name or avatar.
   */
  signals [PROFILE_CHANGED] =
    g_signal_new ("profile-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, SOTTO_TYPE_CONVERSATION, SOTTO_TYPE_PROFILE_CHANGES);
}

static void
sotto_profile_service_init (SottoProfileService *self)
{
  g_queue_init (&self->changes);
  g_queue_init (&self->waiters);
}
