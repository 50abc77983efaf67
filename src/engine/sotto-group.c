/* sotto-group.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-group-private.h"

/**
 * SottoGroup:
 *
 * A group this account is or was in, as its history makes it
 * (docs/messenger.md, "Groups"): a title, a version, and the members,
 * of whom the other ones are a #GListModel of #SottoContact, each with
 * its own safety number and verification state, and the group's
 * picture when this device has the one its history names.  The group list
 * (#SottoGroupList) changes it; it only shows.
 */
struct _SottoGroup
{
  GObject parent_instance;

  char *id;
  SottoGroupState *state;
  char *own_uuid;
  char *own_username;
  SottoConversationList *conversations;
  gboolean is_member;
  gboolean is_admin;
  GListStore *members;
  /* The newest entry of its timeline, if it has one yet. */
  SottoGroupEvent *last_event;
  /* How many members' messages the user has not read yet. */
  guint unread_count;
  /* The group's picture, a GBytesIcon of what the history names. */
  GIcon *avatar;
};

G_DEFINE_FINAL_TYPE (SottoGroup, sotto_group, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_VERSION,
  PROP_IS_MEMBER,
  PROP_IS_ADMIN,
  PROP_MEMBERS,
  PROP_LAST_ACTIVITY,
  PROP_LAST_EVENT,
  PROP_UNREAD_COUNT,
  PROP_AVATAR,
  PROP_REQUEST,
  PROP_OUTDATED,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

SottoGroup *
_sotto_group_new (const char *id)
{
  SottoGroup *self = g_object_new (SOTTO_TYPE_GROUP, NULL);

  self->id = g_ascii_strdown (id, -1);
  self->state = _sotto_group_state_new (id);

  return self;
}

static SottoContact *
find_contact (SottoGroup *self,
              const char *uuid)
{
  SottoConversation *conversation;

  if (self->conversations == NULL)
    return NULL;

  conversation = sotto_conversation_list_find_by_uuid (self->conversations, uuid);
  return conversation != NULL ? sotto_conversation_get_contact (conversation) : NULL;
}

static void
set_avatar (SottoGroup *self,
            GBytes     *picture)
{
  g_autoptr(GIcon) avatar = NULL;

  if (picture != NULL)
    avatar = g_bytes_icon_new (picture);
  if ((avatar == NULL && self->avatar == NULL)
      || (avatar != NULL && self->avatar != NULL && g_icon_equal (avatar, self->avatar)))
    return;

  g_set_object (&self->avatar, avatar);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_AVATAR]);
}

/* Shows @state, which the group takes. */
void
_sotto_group_set_state (SottoGroup            *self,
                        SottoGroupState       *state,
                        const char            *own_uuid,
                        const char            *own_username,
                        SottoConversationList *conversations)
{
  g_autofree char *old_title = g_strdup (self->state->title);
  guint64 old_version = self->state->version;
  gboolean old_request = self->state->request;
  gboolean old_outdated = self->state->outdated;
  const SottoGroupMember *own;
  g_autoptr(GPtrArray) contacts = g_ptr_array_new ();
  gboolean is_member;
  gboolean is_admin;

  g_return_if_fail (SOTTO_IS_GROUP (self));
  g_return_if_fail (g_ascii_strcasecmp (state->id, self->id) == 0);

  _sotto_group_state_free (self->state);
  self->state = state;
  g_free (self->own_uuid);
  self->own_uuid = g_strdup (own_uuid);
  g_free (self->own_username);
  self->own_username = g_strdup (own_username);
  g_set_object (&self->conversations, conversations);

  own = _sotto_group_state_find_member (state, own_uuid);
  is_member = own != NULL;
  is_admin = own != NULL && own->admin;

  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (state->members, i);
      SottoContact *contact = find_contact (self, member->uuid);

      if (contact != NULL)
        g_ptr_array_add (contacts, contact);
    }
  g_list_store_splice (self->members, 0, g_list_model_get_n_items (G_LIST_MODEL (self->members)),
                       contacts->pdata, contacts->len);

  if (g_strcmp0 (old_title, state->title) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TITLE]);
  if (old_version != state->version)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_VERSION]);
  if (old_request != state->request)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_REQUEST]);
  if (old_outdated != state->outdated)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OUTDATED]);
  if (is_member != self->is_member)
    {
      self->is_member = is_member;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_IS_MEMBER]);
    }
  if (is_admin != self->is_admin)
    {
      self->is_admin = is_admin;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_IS_ADMIN]);
    }
  set_avatar (self, state->avatar);
}

SottoGroupState *
_sotto_group_get_state (SottoGroup *self)
{
  return self->state;
}

/* The name a member is shown by: the username of its contact, which
 * the relay's directory vouched for, or else the one it was added
 * under, or else its account UUID. */
char *
_sotto_group_member_name (SottoGroup *self,
                          const char *uuid)
{
  const SottoGroupMember *member = _sotto_group_state_find_member (self->state, uuid);
  SottoContact *contact;

  if (self->own_uuid != NULL && g_ascii_strcasecmp (uuid, self->own_uuid) == 0 && self->own_username != NULL)
    return g_strdup (self->own_username);

  contact = find_contact (self, uuid);
  if (contact != NULL && sotto_contact_get_username (contact) != NULL)
    return g_strdup (sotto_contact_get_username (contact));

  if (member != NULL && member->username != NULL)
    return g_strdup (member->username);

  return g_strdup (uuid);
}

const char *
sotto_group_get_id (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  return self->id;
}

/**
 * sotto_group_get_avatar:
 * @self: a #SottoGroup
 *
 * Returns: (transfer none) (nullable): the group's picture
 */
GLoadableIcon *
sotto_group_get_avatar (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  return self->avatar != NULL ? G_LOADABLE_ICON (self->avatar) : NULL;
}

/**
 * sotto_group_dup_avatar_digest:
 * @self: a #SottoGroup
 *
 * Returns: (transfer full) (nullable): the BLAKE2b-256 of the picture
 *   #SottoGroup:avatar shows, in hex, or %NULL when it shows none
 */
char *
sotto_group_dup_avatar_digest (SottoGroup *self)
{
  GString *hex;

  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  if (self->state->avatar == NULL)
    return NULL;

  hex = g_string_sized_new (SOTTO_GROUP_AVATAR_DIGEST_SIZE * 2);
  for (guint i = 0; i < SOTTO_GROUP_AVATAR_DIGEST_SIZE; i++)
    g_string_append_printf (hex, "%02x", self->state->avatar_digest[i]);

  return g_string_free (hex, FALSE);
}

const char *
sotto_group_get_title (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  return self->state->title;
}

guint64
sotto_group_get_version (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), 0);

  return self->state->version;
}

/**
 * sotto_group_get_is_member:
 * @self: a #SottoGroup
 *
 * Returns: whether this account is in the group (it may have left, or
 *   been removed)
 */
gboolean
sotto_group_get_is_member (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), FALSE);

  return self->is_member;
}

gboolean
sotto_group_get_is_admin (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), FALSE);

  return self->is_admin;
}

/**
 * sotto_group_get_request:
 * @self: a #SottoGroup
 *
 * Returns: whether the group is a request the user has not accepted
 *   yet: whoever added this account was not a contact the user accepted
 */
gboolean
sotto_group_get_request (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), FALSE);

  return self->state->request;
}

/**
 * sotto_group_get_outdated:
 * @self: a #SottoGroup
 *
 * Returns: whether an earlier Sotto stored the group, before group
 *   updates were signed: its history cannot be read, so it shows only
 *   its title and timeline, and to go on the user creates it again
 */
gboolean
sotto_group_get_outdated (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), FALSE);

  return self->state->outdated;
}

/**
 * sotto_group_dup_inviter:
 * @self: a #SottoGroup
 *
 * Returns: (transfer full) (nullable): the account UUID of whoever
 *   added this account to the group last (its creator, or an admin)
 */
char *
sotto_group_dup_inviter (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  if (self->own_uuid == NULL)
    return NULL;

  return g_strdup (_sotto_group_state_inviter (self->state, self->own_uuid));
}

/**
 * sotto_group_dup_inviter_name:
 * @self: a #SottoGroup
 *
 * Returns: (transfer full) (nullable): the name of whoever added this
 *   account to the group last, as the member list shows it
 */
char *
sotto_group_dup_inviter_name (SottoGroup *self)
{
  g_autofree char *inviter = sotto_group_dup_inviter (self);

  return inviter != NULL ? _sotto_group_member_name (self, inviter) : NULL;
}

/**
 * sotto_group_get_members:
 * @self: a #SottoGroup
 *
 * Returns: (transfer none): the other members, a #GListModel of
 *   #SottoContact in the order they joined
 */
GListModel *
sotto_group_get_members (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  return G_LIST_MODEL (self->members);
}

gboolean
sotto_group_member_is_admin (SottoGroup *self,
                             const char *uuid)
{
  const SottoGroupMember *member;

  g_return_val_if_fail (SOTTO_IS_GROUP (self), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  member = _sotto_group_state_find_member (self->state, uuid);
  return member != NULL && member->admin;
}

/**
 * sotto_group_dup_member_names:
 * @self: a #SottoGroup
 * @admins_only: whether to list only the admins
 *
 * Returns: (transfer full): the names of every member, this account
 *   included, in the order they joined
 */
GStrv
sotto_group_dup_member_names (SottoGroup *self,
                              gboolean    admins_only)
{
  GPtrArray *names = g_ptr_array_new ();

  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  for (guint i = 0; i < self->state->members->len; i++)
    {
      SottoGroupMember *member = g_ptr_array_index (self->state->members, i);

      if (!admins_only || member->admin)
        g_ptr_array_add (names, _sotto_group_member_name (self, member->uuid));
    }
  g_ptr_array_add (names, NULL);

  return (GStrv) g_ptr_array_free (names, FALSE);
}

/**
 * sotto_group_get_last_event:
 * @self: a #SottoGroup
 *
 * Returns: (transfer none) (nullable): the newest entry of the group's
 *   timeline, once the group list has read or made it
 */
const SottoGroupEvent *
sotto_group_get_last_event (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), NULL);

  return self->last_event;
}

/**
 * sotto_group_get_last_activity:
 * @self: a #SottoGroup
 *
 * Returns: when the newest entry of its timeline was sent, in
 *   milliseconds since the epoch, or 0 while it has none; the
 *   conversation list (#SottoChatList) orders by it
 */
gint64
sotto_group_get_last_activity (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), 0);

  return self->last_event != NULL ? self->last_event->sent_at : 0;
}

/* Shows @event as the newest entry of the timeline, unless the group
 * knows a newer one: events reach it from the store and from the
 * relay in no particular order. */
void
_sotto_group_set_last_event (SottoGroup            *self,
                             const SottoGroupEvent *event)
{
  gint64 old_activity;

  g_return_if_fail (SOTTO_IS_GROUP (self));
  g_return_if_fail (event != NULL);

  old_activity = sotto_group_get_last_activity (self);
  if (self->last_event != NULL
      && (event->sent_at < old_activity || g_strcmp0 (event->id, self->last_event->id) == 0))
    return;

  g_clear_pointer (&self->last_event, sotto_group_event_free);
  self->last_event = sotto_group_event_copy (event);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_EVENT]);
  if (old_activity != event->sent_at)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_ACTIVITY]);
}

/**
 * sotto_group_get_unread_count:
 * @self: a #SottoGroup
 *
 * Returns: how many members' messages the user has not read yet (see
 *   sotto_group_list_mark_read_async())
 */
guint
sotto_group_get_unread_count (SottoGroup *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP (self), 0);

  return self->unread_count;
}

void
_sotto_group_set_unread_count (SottoGroup *self,
                               guint       unread_count)
{
  g_return_if_fail (SOTTO_IS_GROUP (self));

  if (self->unread_count == unread_count)
    return;

  self->unread_count = unread_count;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_UNREAD_COUNT]);
}

static void
sotto_group_finalize (GObject *object)
{
  SottoGroup *self = (SottoGroup *)object;

  g_free (self->id);
  _sotto_group_state_free (self->state);
  g_free (self->own_uuid);
  g_free (self->own_username);
  g_clear_object (&self->conversations);
  g_clear_object (&self->members);
  g_clear_pointer (&self->last_event, sotto_group_event_free);
  g_clear_object (&self->avatar);

  G_OBJECT_CLASS (sotto_group_parent_class)->finalize (object);
}

static void
sotto_group_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SottoGroup *self = SOTTO_GROUP (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_TITLE:
      g_value_set_string (value, self->state->title);
      break;

    case PROP_VERSION:
      g_value_set_uint64 (value, self->state->version);
      break;

    case PROP_IS_MEMBER:
      g_value_set_boolean (value, self->is_member);
      break;

    case PROP_IS_ADMIN:
      g_value_set_boolean (value, self->is_admin);
      break;

    case PROP_MEMBERS:
      g_value_set_object (value, self->members);
      break;

    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, sotto_group_get_last_activity (self));
      break;

    case PROP_LAST_EVENT:
      g_value_set_boxed (value, self->last_event);
      break;

    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;

    case PROP_AVATAR:
      g_value_set_object (value, self->avatar);
      break;

    case PROP_REQUEST:
      g_value_set_boolean (value, self->state->request);
      break;

    case PROP_OUTDATED:
      g_value_set_boolean (value, self->state->outdated);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_group_class_init (SottoGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_group_finalize;
  object_class->get_property = sotto_group_get_property;

  properties [PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties [PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_VERSION] =
    g_param_spec_uint64 ("version", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_IS_MEMBER] =
    g_param_spec_boolean ("is-member", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_IS_ADMIN] =
    g_param_spec_boolean ("is-admin", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_MEMBERS] =
    g_param_spec_object ("members", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties [PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_LAST_EVENT] =
    g_param_spec_boxed ("last-event", NULL, NULL, SOTTO_TYPE_GROUP_EVENT,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * SottoGroup:unread-count:
   *
   * How many members' messages the user has not read yet, as
   * #SottoConversation:unread-count for a 1:1 conversation.
   */
  properties [PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * SottoGroup:avatar:
   *
   * The group's picture, a #GLoadableIcon of at most 64 KiB that was
   * checked against the digest the group's history names, or %NULL.
   */
  properties [PROP_AVATAR] =
    g_param_spec_object ("avatar", NULL, NULL, G_TYPE_LOADABLE_ICON,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * SottoGroup:request:
   *
   * Whether the group is a request: someone who was not a contact the
   * user accepted added this account, and until the user accepts the
   * group (sotto_group_list_accept_async()) this account sends it
   * nothing.
   */
  properties [PROP_REQUEST] =
    g_param_spec_boolean ("request", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * SottoGroup:outdated:
   *
   * Whether an earlier Sotto stored the group, which can then not
   * change any more (sotto_group_get_outdated()).
   */
  properties [PROP_OUTDATED] =
    g_param_spec_boolean ("outdated", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sotto_group_init (SottoGroup *self)
{
  self->members = g_list_store_new (SOTTO_TYPE_CONTACT);
}
