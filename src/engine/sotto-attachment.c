/* sotto-attachment.c: a file sent or received with a message
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-private.h"
#include "sotto-attachment-service-private.h"
#include "sotto-engine-enums.h"

/* The model of one attachment, made from its record and kept up to date
 * by the attachment service (sotto-attachment-service.c) while it moves
 * the file.  The key, digest and paths stay in the record: the views see
 * only what they show. */

struct _SottoAttachment
{
  GObject parent_instance;

  SottoAttachmentRecord *record;
  gboolean outgoing;
  GCancellable *cancellable;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_CONTENT_TYPE,
  PROP_SIZE,
  PROP_STATE,
  PROP_PROGRESS,
  PROP_ERROR,
  PROP_THUMBNAIL,
  PROP_OUTGOING,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoAttachment, sotto_attachment, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

/* The models alive, by their row in the store of an open profile: one
 * model per attachment, which every message made of its row shares (the
 * one that came in, the one a view reads later), so that a transfer
 * started on one of them shows on all, with its progress and Cancel;
 * and an upload resumed from the store, with no model in hand, finds
 * the one a view may show and reports its progress there. */
G_LOCK_DEFINE_STATIC (models);
static GHashTable *models;

static char *
model_key (const SottoAttachmentRecord *record)
{
  return g_strdup_printf ("%u/%" G_GINT64_FORMAT, record->store_serial, record->row_id);
}

static void
model_register (SottoAttachment *self)
{
  if (self->record->store_serial == 0)
    return;

  G_LOCK (models);
  if (models == NULL)
    models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (models, model_key (self->record), self);
  G_UNLOCK (models);
}

static void
model_unregister (SottoAttachment *self)
{
  g_autofree char *key = NULL;

  if (self->record == NULL || self->record->store_serial == 0)
    return;

  key = model_key (self->record);
  G_LOCK (models);
  if (models != NULL && g_hash_table_lookup (models, key) == self)
    g_hash_table_remove (models, key);
  G_UNLOCK (models);
}

/* The model of the attachment stored as @record, if one is alive;
 * %NULL otherwise. */
SottoAttachment *
_sotto_attachment_find (const SottoAttachmentRecord *record)
{
  g_autofree char *key = NULL;
  SottoAttachment *self = NULL;

  g_return_val_if_fail (record != NULL, NULL);

  if (record->store_serial == 0)
    return NULL;

  key = model_key (record);
  G_LOCK (models);
  if (models != NULL && (self = g_hash_table_lookup (models, key)) != NULL)
    g_object_ref (self);
  G_UNLOCK (models);

  return self;
}

/* The uploads under way, by the path of their blob, with what stops
 * each: one upload of a blob at a time (a send's, a retry's, or one
 * resumed from the store as the messenger goes online), and a model of
 * it, made before the upload started or while it runs, cancels it
 * (sotto_attachment_cancel()).  The blobs whose upload the user
 * cancelled are kept too, until they ask for it again: a send or a
 * resume that read the attachment before the Cancel reached the store
 * must not start it. */
G_LOCK_DEFINE_STATIC (uploads);
static GHashTable *uploads;
static GHashTable *cancelled;

/* Under the lock. */
static void
ensure_uploads (void)
{
  if (uploads != NULL)
    return;

  uploads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  cancelled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* An upload of the blob @file starts, and @cancellable stops it; FALSE
 * when one is under way already, which this one must leave alone, or
 * when the user cancelled the blob's upload, unless they @asked for
 * this one (Retry). */
gboolean
_sotto_attachment_upload_begin (const char   *file,
                                GCancellable *cancellable,
                                gboolean      asked)
{
  gboolean begun = FALSE;

  g_return_val_if_fail (file != NULL, FALSE);
  g_return_val_if_fail (G_IS_CANCELLABLE (cancellable), FALSE);

  G_LOCK (uploads);
  ensure_uploads ();
  if (!g_hash_table_contains (uploads, file) && (asked || !g_hash_table_contains (cancelled, file)))
    {
      g_hash_table_remove (cancelled, file);
      begun = g_hash_table_insert (uploads, g_strdup (file), g_object_ref (cancellable));
    }
  G_UNLOCK (uploads);

  return begun;
}

/* The upload of the blob @file that began ended. */
void
_sotto_attachment_upload_end (const char *file)
{
  g_return_if_fail (file != NULL);

  G_LOCK (uploads);
  if (uploads != NULL)
    g_hash_table_remove (uploads, file);
  G_UNLOCK (uploads);
}

/* The user cancelled the upload of @self's blob: no upload of it
 * begins until they ask again, and the one under way, if any, stops.
 * Returns whether one was under way. */
static gboolean
cancel_upload (SottoAttachment *self)
{
  g_autoptr(GCancellable) cancellable = NULL;

  G_LOCK (uploads);
  ensure_uploads ();
  g_hash_table_add (cancelled, g_strdup (self->record->file));
  if ((cancellable = g_hash_table_lookup (uploads, self->record->file)) != NULL)
    g_object_ref (cancellable);
  G_UNLOCK (uploads);

  /* Cancelled out of the lock: the handlers run at once. */
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);

  return cancellable != NULL;
}

SottoAttachmentRecord *
_sotto_attachment_record_new (SottoAttachmentState          state,
                              const SottoAttachmentPointer *pointer)
{
  SottoAttachmentRecord *record = g_new0 (SottoAttachmentRecord, 1);

  record->state = state;
  record->pointer = sotto_attachment_pointer_copy (pointer);

  return record;
}

SottoAttachmentRecord *
_sotto_attachment_record_copy (const SottoAttachmentRecord *record)
{
  SottoAttachmentRecord *copy = _sotto_attachment_record_new (record->state, record->pointer);

  copy->row_id = record->row_id;
  copy->store_serial = record->store_serial;
  copy->index = record->index;
  copy->transferred = record->transferred;
  copy->file = g_strdup (record->file);
  copy->source = g_strdup (record->source);
  copy->error = g_strdup (record->error);

  return copy;
}

void
_sotto_attachment_record_free (SottoAttachmentRecord *record)
{
  if (record == NULL)
    return;

  g_clear_pointer (&record->pointer, sotto_attachment_pointer_free);
  g_free (record->file);
  g_free (record->source);
  g_free (record->error);
  g_free (record);
}

GPtrArray *
_sotto_attachment_records_from_content (GPtrArray *pointers)
{
  GPtrArray *records;

  if (pointers == NULL)
    return NULL;

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_attachment_record_free);
  for (guint i = 0; i < pointers->len; i++)
    {
      SottoAttachmentRecord *record = _sotto_attachment_record_new (SOTTO_ATTACHMENT_STATE_AVAILABLE,
                                                                    g_ptr_array_index (pointers, i));

      record->index = i;
      g_ptr_array_add (records, record);
    }

  return records;
}

SottoAttachment *
_sotto_attachment_new_from_record (const SottoAttachmentRecord *record,
                                   gboolean                     outgoing)
{
  SottoAttachment *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (SOTTO_TYPE_ATTACHMENT, NULL);
  self->record = _sotto_attachment_record_copy (record);
  self->outgoing = outgoing;
  model_register (self);

  return self;
}

/* Brings *@list, a message's attachments (made on first use), in line
 * with @records (%NULL when it has none, or none any more: deleted for
 * everyone): the models it has are updated, so that views bound to them
 * follow. */
void
_sotto_attachment_list_sync (GListStore **list,
                             gboolean     outgoing,
                             GPtrArray   *records)
{
  guint n_items;

  if (*list == NULL)
    *list = g_list_store_new (SOTTO_TYPE_ATTACHMENT);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (*list));
  if (records == NULL)
    {
      g_list_store_remove_all (*list);
      return;
    }
  if (n_items == records->len)
    {
      for (guint i = 0; i < n_items; i++)
        {
          g_autoptr(SottoAttachment) attachment = g_list_model_get_item (G_LIST_MODEL (*list), i);

          _sotto_attachment_update (attachment, g_ptr_array_index (records, i));
        }
      return;
    }

  g_list_store_remove_all (*list);
  for (guint i = 0; i < records->len; i++)
    {
      SottoAttachmentRecord *record = g_ptr_array_index (records, i);
      g_autoptr(SottoAttachment) attachment = _sotto_attachment_find (record);

      if (attachment != NULL)
        _sotto_attachment_update (attachment, record);
      else
        attachment = _sotto_attachment_new_from_record (record, outgoing);
      g_list_store_append (*list, attachment);
    }
}

const SottoAttachmentRecord *
_sotto_attachment_get_record (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), NULL);

  return self->record;
}

static void
set_error (SottoAttachment *self,
           const char      *error)
{
  if (g_strcmp0 (self->record->error, error) == 0)
    return;

  g_free (self->record->error);
  self->record->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ERROR]);
}

/* Takes what the store now says of the attachment. */
void
_sotto_attachment_update (SottoAttachment             *self,
                          const SottoAttachmentRecord *record)
{
  SottoAttachmentRecord *old;

  g_return_if_fail (SOTTO_IS_ATTACHMENT (self));
  g_return_if_fail (record != NULL);

  model_unregister (self);
  old = g_steal_pointer (&self->record);
  self->record = _sotto_attachment_record_copy (record);
  model_register (self);

  /* What the store says of a transfer under way is older than what the
   * model knows (a download is never stored, an upload's progress not as
   * it goes); and a failed upload stays uploading in the store, to be
   * resumed: until it is tried again the model still says that it
   * failed, and why.  Only a failed attachment has a reason; one stored
   * failed by an earlier version, without one, keeps the reason the
   * model knows. */
  if ((old->state == SOTTO_ATTACHMENT_STATE_FAILED && record->state == SOTTO_ATTACHMENT_STATE_UPLOADING)
      || (old->state == SOTTO_ATTACHMENT_STATE_UPLOADING && record->state == SOTTO_ATTACHMENT_STATE_UPLOADING)
      || (old->state == SOTTO_ATTACHMENT_STATE_DOWNLOADING && record->state == SOTTO_ATTACHMENT_STATE_AVAILABLE))
    {
      self->record->state = old->state;
      self->record->transferred = old->transferred;
    }
  if (self->record->state != SOTTO_ATTACHMENT_STATE_FAILED)
    g_clear_pointer (&self->record->error, g_free);
  else if (self->record->error == NULL)
    self->record->error = g_strdup (old->error);

  g_object_freeze_notify (G_OBJECT (self));
  if (old->state != self->record->state)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
  if (old->transferred != self->record->transferred)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PROGRESS]);
  if (old->pointer->thumbnail != record->pointer->thumbnail)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_THUMBNAIL]);
  if (g_strcmp0 (old->error, self->record->error) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ERROR]);
  g_object_thaw_notify (G_OBJECT (self));

  _sotto_attachment_record_free (old);
}

/* Where a transfer stands, which the store need not know at every step:
 * @transferred bytes of the blob, and @error when it failed. */
void
_sotto_attachment_set_transfer (SottoAttachment      *self,
                                SottoAttachmentState  state,
                                guint64               transferred,
                                const char           *error)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->record->state != state)
    {
      self->record->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
    }
  if (self->record->transferred != transferred)
    {
      self->record->transferred = transferred;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PROGRESS]);
    }
  set_error (self, error);
  g_object_thaw_notify (G_OBJECT (self));
}

GCancellable *
_sotto_attachment_get_cancellable (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), NULL);

  return self->cancellable;
}

/* A new transfer starts: a cancel before it does not stop it. */
void
_sotto_attachment_reset_cancellable (SottoAttachment *self)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT (self));

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/* An upload that waits (for the relay to come back, or for the files
 * before it in its message) has no transfer to stop: it fails here, and
 * in the store through the attachment service of the profile its blob
 * is in, so that neither the relay's return nor a restart resumes it. */
static void
cancel_waiting (SottoAttachment *self)
{
  g_autoptr(SottoAttachmentService) service = _sotto_attachment_service_find (self->record->file);
  g_autoptr(GError) error = NULL;

  g_cancellable_set_error_if_cancelled (self->cancellable, &error);
  _sotto_attachment_set_transfer (self, SOTTO_ATTACHMENT_STATE_FAILED, self->record->transferred, error->message);
  /* Without a service its profile is closed: nothing resumes the
   * upload before it is opened again, and then with a new model. */
  if (service != NULL)
    _sotto_attachment_service_cancel_waiting (service, self->record);
}

/**
 * sotto_attachment_cancel:
 * @self: a #SottoAttachment
 *
 * Stops the upload or download under way, which then fails with
 * %G_IO_ERROR_CANCELLED and can be tried again.  An upload resumes
 * where it stopped.  An upload that the messenger resumed by itself
 * (sotto_messenger_start(), sotto_messenger_flush_async()) stops too,
 * and so does one that waits to resume (the relay is away) or waits
 * for the files before it in its message.  A cancelled upload stays
 * failed, in the profile too, until it is tried again
 * (sotto_messenger_retry_upload_async()): the messenger no longer
 * resumes it by itself.
 */
void
sotto_attachment_cancel (SottoAttachment *self)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT (self));

  g_cancellable_cancel (self->cancellable);
  if (!self->outgoing || self->record->file == NULL || self->record->state == SOTTO_ATTACHMENT_STATE_SENT)
    return;
  if (!cancel_upload (self))
    cancel_waiting (self);
}

/**
 * sotto_attachment_get_name:
 * @self: a #SottoAttachment
 *
 * Returns: (nullable): the file's name, as its sender gave it
 */
const char *
sotto_attachment_get_name (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), NULL);

  return self->record->pointer->file_name;
}

const char *
sotto_attachment_get_content_type (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), NULL);

  return self->record->pointer->content_type;
}

guint64
sotto_attachment_get_size (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), 0);

  return self->record->pointer->size;
}

SottoAttachmentState
sotto_attachment_get_state (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), SOTTO_ATTACHMENT_STATE_FAILED);

  return self->record->state;
}

/**
 * sotto_attachment_get_progress:
 * @self: a #SottoAttachment
 *
 * Returns: how much of the blob the transfer under way (or the last one)
 *   moved, from 0 to 1
 */
double
sotto_attachment_get_progress (SottoAttachment *self)
{
  guint64 blob_size;

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), 0.);

  blob_size = sp_attachment_blob_size (self->record->pointer->size);
  if (blob_size == 0)
    return 0.;

  return MIN (1., (double) self->record->transferred / (double) blob_size);
}

/**
 * sotto_attachment_get_error:
 * @self: a #SottoAttachment
 *
 * Returns: (nullable): why the last transfer failed
 */
const char *
sotto_attachment_get_error (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), NULL);

  return self->record->error;
}

/**
 * sotto_attachment_get_thumbnail:
 * @self: a #SottoAttachment
 *
 * Returns: (nullable) (transfer none): a JPEG or PNG preview of a
 *   picture, made by its sender
 */
GBytes *
sotto_attachment_get_thumbnail (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), NULL);

  return self->record->pointer->thumbnail;
}

gboolean
sotto_attachment_get_outgoing (SottoAttachment *self)
{
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (self), FALSE);

  return self->outgoing;
}

/* Before the last reference goes, so that a lookup cannot find an
 * attachment being finalized. */
static void
sotto_attachment_dispose (GObject *object)
{
  model_unregister ((SottoAttachment *) object);

  G_OBJECT_CLASS (sotto_attachment_parent_class)->dispose (object);
}

static void
sotto_attachment_finalize (GObject *object)
{
  SottoAttachment *self = (SottoAttachment *) object;

  g_clear_pointer (&self->record, _sotto_attachment_record_free);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_attachment_parent_class)->finalize (object);
}

static void
sotto_attachment_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SottoAttachment *self = SOTTO_ATTACHMENT (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, sotto_attachment_get_name (self));
      break;

    case PROP_CONTENT_TYPE:
      g_value_set_string (value, sotto_attachment_get_content_type (self));
      break;

    case PROP_SIZE:
      g_value_set_uint64 (value, sotto_attachment_get_size (self));
      break;

    case PROP_STATE:
      g_value_set_enum (value, sotto_attachment_get_state (self));
      break;

    case PROP_PROGRESS:
      g_value_set_double (value, sotto_attachment_get_progress (self));
      break;

    case PROP_ERROR:
      g_value_set_string (value, sotto_attachment_get_error (self));
      break;

    case PROP_THUMBNAIL:
      g_value_set_boxed (value, sotto_attachment_get_thumbnail (self));
      break;

    case PROP_OUTGOING:
      g_value_set_boolean (value, sotto_attachment_get_outgoing (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_attachment_class_init (SottoAttachmentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_attachment_dispose;
  object_class->finalize = sotto_attachment_finalize;
  object_class->get_property = sotto_attachment_get_property;

  properties [PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_CONTENT_TYPE] =
    g_param_spec_string ("content-type", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       SOTTO_TYPE_ATTACHMENT_STATE, SOTTO_ATTACHMENT_STATE_AVAILABLE,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0., 1., 0.,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_THUMBNAIL] =
    g_param_spec_boxed ("thumbnail", NULL, NULL, G_TYPE_BYTES,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_OUTGOING] =
    g_param_spec_boolean ("outgoing", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sotto_attachment_init (SottoAttachment *self)
{
  self->cancellable = g_cancellable_new ();
}
