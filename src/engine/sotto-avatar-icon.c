/* sotto-avatar-icon.c: a contact's avatar, read from the store when shown
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-contact"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-avatar-icon-private.h"
#include "sotto-store-private.h"

/* The #SottoContact:avatar of a contact whose profile gave an image.
 * The icon holds no image: each may be up to 1 MiB, so it is read from
 * the store (sealed there like the rest of the profile) only when
 * something loads it.  A new icon replaces the old one whenever the
 * contact's profile gives another image, which is how a view learns
 * that it should load it again. */

struct _SottoAvatarIcon
{
  GObject parent_instance;

  SottoStore *store;
  gint64 contact_id;

  /* The SHA-256 of the image, in hex, or %NULL when it was read before
   * this run of the messenger fetched the profile. */
  char *digest;
};

static void sotto_avatar_icon_icon_init          (GIconIface         *iface);
static void sotto_avatar_icon_loadable_icon_init (GLoadableIconIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoAvatarIcon, sotto_avatar_icon, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ICON, sotto_avatar_icon_icon_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_LOADABLE_ICON, sotto_avatar_icon_loadable_icon_init))

static guint
sotto_avatar_icon_hash (GIcon *icon)
{
  SottoAvatarIcon *self = SOTTO_AVATAR_ICON (icon);

  return g_int64_hash (&self->contact_id) ^ (self->digest != NULL ? g_str_hash (self->digest) : 0);
}

static gboolean
sotto_avatar_icon_equal (GIcon *icon1,
                         GIcon *icon2)
{
  SottoAvatarIcon *self = SOTTO_AVATAR_ICON (icon1);
  SottoAvatarIcon *other;

  if (!SOTTO_IS_AVATAR_ICON (icon2))
    return FALSE;

  other = SOTTO_AVATAR_ICON (icon2);
  return self->store == other->store && self->contact_id == other->contact_id
         && g_strcmp0 (self->digest, other->digest) == 0;
}

static void
sotto_avatar_icon_icon_init (GIconIface *iface)
{
  iface->hash = sotto_avatar_icon_hash;
  iface->equal = sotto_avatar_icon_equal;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SottoAvatarIcon *self = source_object;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_load_contact_avatar (self->store, self->contact_id, &avatar, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (avatar == NULL)
    /* The contact's newest profile has no image any more. */
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The contact has no avatar"));
  else
    g_task_return_pointer (task, g_memory_input_stream_new_from_bytes (avatar), g_object_unref);
}

static void
sotto_avatar_icon_load_async (GLoadableIcon       *icon,
                              int                  size,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  SottoAvatarIcon *self = SOTTO_AVATAR_ICON (icon);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, sotto_avatar_icon_load_async);
  _sotto_store_run_in_thread (self->store, task, load_thread);
}

static GInputStream *
sotto_avatar_icon_load_finish (GLoadableIcon  *icon,
                               GAsyncResult   *result,
                               char          **type,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, icon), NULL);

  if (type != NULL)
    *type = NULL;

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **done = user_data;

  *done = g_object_ref (result);
}

/* Only the store's thread may read the database: a synchronous load
 * waits for it there, in a main context of its own so that nothing else
 * runs meanwhile.  Never call it on the store's thread. */
static GInputStream *
sotto_avatar_icon_load (GLoadableIcon  *icon,
                        int             size,
                        char          **type,
                        GCancellable   *cancellable,
                        GError        **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_assert (!_sotto_store_in_job ());

  g_main_context_push_thread_default (context);
  sotto_avatar_icon_load_async (icon, size, cancellable, load_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  return sotto_avatar_icon_load_finish (icon, result, type, error);
}

static void
sotto_avatar_icon_loadable_icon_init (GLoadableIconIface *iface)
{
  iface->load = sotto_avatar_icon_load;
  iface->load_async = sotto_avatar_icon_load_async;
  iface->load_finish = sotto_avatar_icon_load_finish;
}

SottoAvatarIcon *
_sotto_avatar_icon_new (SottoStore *store,
                        gint64      contact_id,
                        const char *digest)
{
  SottoAvatarIcon *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);

  self = g_object_new (SOTTO_TYPE_AVATAR_ICON, NULL);
  self->store = g_object_ref (store);
  self->contact_id = contact_id;
  self->digest = g_strdup (digest);

  return self;
}

const char *
_sotto_avatar_icon_get_digest (SottoAvatarIcon *self)
{
  g_return_val_if_fail (SOTTO_IS_AVATAR_ICON (self), NULL);

  return self->digest;
}

static void
sotto_avatar_icon_finalize (GObject *object)
{
  SottoAvatarIcon *self = (SottoAvatarIcon *)object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->digest, g_free);

  G_OBJECT_CLASS (sotto_avatar_icon_parent_class)->finalize (object);
}

static void
sotto_avatar_icon_class_init (SottoAvatarIconClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sotto_avatar_icon_finalize;
}

static void
sotto_avatar_icon_init (SottoAvatarIcon *self)
{
}
