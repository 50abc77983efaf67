/* sotto-session.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-session"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-engine-enums.h"
#include "sotto-messenger-private.h"
#include "sotto-session.h"
#include "sotto-store.h"

/* A session is one profile through its life: it opens the encrypted
 * store, loads or registers the account, and takes the account online
 * through the messenger, which it owns.  Whoever shows the profile (the
 * window, sotto-cli) follows the state property and asks the session
 * to move on; none of them holds the store or the messenger itself. */

struct _SottoSession
{
  GObject parent_instance;

  GFile *profile;
  SottoStore *store;
  SottoMessenger *messenger;
  GNetworkMonitor *monitor;

  SottoSessionState state;
  GError *error;

  /* The messenger was started and not stopped since. */
  gboolean connected;
  /* An attempt to reach the relay failed, or the socket dropped, since
   * the relay was last reached: the attempts that follow are retries,
   * and the session stays offline through them. */
  gboolean reconnecting;
  /* The connect calls waiting for the first verdict. */
  GPtrArray *connect_tasks;
};

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_STATE,
  PROP_ERROR,
  PROP_MESSENGER,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoSession, sotto_session, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

static gboolean
errors_equal (const GError *a,
              const GError *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  return a->domain == b->domain && a->code == b->code && g_strcmp0 (a->message, b->message) == 0;
}

/* Moves to @state for the reason in @error (or none), and says what
 * changed, only if something did. */
static void
sotto_session_set_state (SottoSession      *self,
                         SottoSessionState  state,
                         const GError      *error)
{
  gboolean state_changed = self->state != state;
  gboolean error_changed = !errors_equal (self->error, error);

  g_object_freeze_notify (G_OBJECT (self));

  if (error_changed)
    {
      g_clear_error (&self->error);
      self->error = error != NULL ? g_error_copy (error) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ERROR]);
    }

  if (state_changed)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static void
sotto_session_set_messenger (SottoSession   *self,
                             SottoMessenger *messenger)
{
  if (g_set_object (&self->messenger, messenger))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MESSENGER]);
}

/* The connect calls learn the first verdict: reached, or why not. */
static void
sotto_session_answer_connect (SottoSession *self,
                              const GError *error)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->connect_tasks);

  self->connect_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

/* Why the relay is out of reach, in words for the person who waits for
 * it: the network as GNetworkMonitor sees it, or else the relay. */
static GError *
sotto_session_describe_offline (SottoSession *self)
{
  SottoRelayClient *client = _sotto_messenger_get_relay_client (self->messenger);

  if (sotto_relay_client_needs_network (client)
      && !g_network_monitor_get_network_available (self->monitor))
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                                _("This computer is not connected to a network."));

  return g_error_new (SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                      _("The relay at %s cannot be reached."),
                      sotto_relay_client_get_url (client));
}

static void
sotto_session_connection_cb (SottoSession *self)
{
  SottoRelayClient *client = _sotto_messenger_get_relay_client (self->messenger);
  g_autoptr(GError) reason = NULL;

  g_assert (self->connected);

  switch (sotto_relay_client_get_connection (client))
    {
    case SOTTO_RELAY_CONNECTION_CONNECTED:
      self->reconnecting = FALSE;
      sotto_session_set_state (self, SOTTO_SESSION_STATE_ONLINE, NULL);
      sotto_session_answer_connect (self, NULL);
      break;

    case SOTTO_RELAY_CONNECTION_CONNECTING:
      if (!self->reconnecting)
        sotto_session_set_state (self, SOTTO_SESSION_STATE_CONNECTING, NULL);
      break;

    case SOTTO_RELAY_CONNECTION_OFFLINE:
      self->reconnecting = TRUE;
      reason = sotto_session_describe_offline (self);
      sotto_session_set_state (self, SOTTO_SESSION_STATE_OFFLINE, reason);
      sotto_session_answer_connect (self, reason);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* The reason of an offline session follows the network. */
static void
sotto_session_network_changed_cb (SottoSession *self)
{
  g_autoptr(GError) reason = NULL;

  if (self->state != SOTTO_SESSION_STATE_OFFLINE || !self->connected)
    return;

  reason = sotto_session_describe_offline (self);
  sotto_session_set_state (self, SOTTO_SESSION_STATE_OFFLINE, reason);
}

/* Unlocking */

static void
sotto_session_load_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoSession *self = g_task_get_source_object (task);
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GError) error = NULL;

  messenger = sotto_messenger_load_finish (result, &error);

  if (messenger != NULL)
    {
      sotto_session_set_messenger (self, messenger);
      sotto_session_set_state (self, SOTTO_SESSION_STATE_OFFLINE, NULL);
      g_task_return_boolean (task, TRUE);
    }
  else if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND))
    {
      /* Not a failure of the unlock: the profile is new.  The error
       * says why there is no account, for those who needed one. */
      sotto_session_set_state (self, SOTTO_SESSION_STATE_UNREGISTERED, error);
      g_task_return_boolean (task, TRUE);
    }
  else
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sotto_session_set_state (self, SOTTO_SESSION_STATE_FAILED, error);
      g_task_return_error (task, g_steal_pointer (&error));
    }
}

static void
sotto_session_open_store_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  self->store = sotto_store_open_finish (result, &error);

  if (self->store != NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      sotto_messenger_load_async (self->store, cancellable, sotto_session_load_cb, g_steal_pointer (&task));
      return;
    }

  if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED)
      || g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE))
    sotto_session_set_state (self, SOTTO_SESSION_STATE_LOCKED, error);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    sotto_session_set_state (self, SOTTO_SESSION_STATE_FAILED, error);

  g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * sotto_session_unlock_async:
 * @self: a #SottoSession
 * @passphrase: (nullable): the profile's passphrase, or %NULL for the key
 *   in the keyring
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the profile is open, or could not be opened
 * @user_data: data for @callback
 *
 * Opens the profile's store and reads its account.  The session is then
 * offline with its messenger, or unregistered; a profile that needs a
 * passphrase stays locked with the reason in #SottoSession:error.
 */
void
sotto_session_unlock_async (SottoSession        *self,
                            const char          *passphrase,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_SESSION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_session_unlock_async);

  if (self->messenger != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* A store opened by an unlock that was cancelled before the account
   * was read needs no second passphrase. */
  if (self->store != NULL)
    sotto_messenger_load_async (self->store, cancellable, sotto_session_load_cb, g_steal_pointer (&task));
  else
    sotto_store_open_async (self->profile, passphrase, cancellable,
                            sotto_session_open_store_cb, g_steal_pointer (&task));
}

/**
 * sotto_session_unlock_finish:
 * @self: a #SottoSession
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: whether the profile is open (registered or not)
 */
gboolean
sotto_session_unlock_finish (SottoSession  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_session_unlock_async, error);
}

/* Registering */

static void
sotto_session_register_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoSession *self = g_task_get_source_object (task);
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GError) error = NULL;

  messenger = sotto_messenger_register_finish (result, &error);

  if (messenger == NULL)
    {
      /* The profile stays as it was, to try again. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sotto_session_set_state (self, self->state, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  sotto_session_set_messenger (self, messenger);
  sotto_session_set_state (self, SOTTO_SESSION_STATE_OFFLINE, NULL);
  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_session_register_async:
 * @self: an unlocked #SottoSession
 * @relay_url: the relay's URL
 * @username: the username to register
 * @token: (nullable): the registration token of a relay that asks for one
 * @relay_ca: (nullable): for a relay with a private CA, its certificates
 *   in PEM
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the account is registered and stored
 * @user_data: data for @callback
 *
 * Makes the profile's account on @relay_url, as
 * sotto_messenger_register_async() does; the session is then offline,
 * ready to connect.  A profile that has an account already keeps it and
 * fails with %SOTTO_MESSENGER_ERROR_REGISTERED.
 */
void
sotto_session_register_async (SottoSession        *self,
                              const char          *relay_url,
                              const char          *username,
                              const char          *token,
                              const char          *relay_ca,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_SESSION (self));
  g_return_if_fail (relay_url != NULL);
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_session_register_async);

  if (self->store == NULL)
    {
      g_task_return_new_error (task, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED,
                               _("The profile is locked"));
      return;
    }

  /* The messenger refuses a profile with an account, in its words. */
  sotto_messenger_register_async (self->store, relay_url, username, token, relay_ca, cancellable,
                                  sotto_session_register_cb, g_steal_pointer (&task));
}

/**
 * sotto_session_register_finish:
 * @self: a #SottoSession
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: whether the account is registered
 */
gboolean
sotto_session_register_finish (SottoSession  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_session_register_async, error);
}

/* Going online */

/**
 * sotto_session_connect_async:
 * @self: a #SottoSession with an account
 * @cancellable: (nullable): a #GCancellable, which stops only the wait
 * @callback: (nullable): called once the relay is reached, or the first
 *   attempt failed
 * @user_data: data for @callback
 *
 * Takes the account online and keeps it there until
 * sotto_session_disconnect(): the messenger receives, sends the outbox
 * and tries the relay again after every failure, and #SottoSession:state
 * follows the connection.  The callback learns the first verdict only.
 */
void
sotto_session_connect_async (SottoSession        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_session_connect_async);

  if (self->messenger == NULL)
    {
      g_task_return_new_error (task, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND,
                               _("The profile has no account yet; register first"));
      return;
    }

  if (self->state == SOTTO_SESSION_STATE_ONLINE)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->connect_tasks, g_steal_pointer (&task));

  if (self->connected)
    return;

  self->connected = TRUE;
  self->reconnecting = FALSE;
  g_signal_connect_object (_sotto_messenger_get_relay_client (self->messenger), "notify::connection",
                           G_CALLBACK (sotto_session_connection_cb), self, G_CONNECT_SWAPPED);
  sotto_messenger_start (self->messenger);
  /* Starting opens the socket at once, or finds no network at once and
   * says nothing, the connection having been offline already. */
  sotto_session_connection_cb (self);
}

/**
 * sotto_session_connect_finish:
 * @self: a #SottoSession
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: whether the relay was reached; if not, @error says why, and
 *   the session keeps trying
 */
gboolean
sotto_session_connect_finish (SottoSession  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_session_connect_async, error);
}

/**
 * sotto_session_disconnect:
 * @self: a #SottoSession
 *
 * Takes the account offline: what was not yet stored is delivered again
 * later, and queued messages stay in the outbox.
 */
void
sotto_session_disconnect (SottoSession *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SOTTO_IS_SESSION (self));

  if (!self->connected)
    return;

  self->connected = FALSE;
  self->reconnecting = FALSE;
  g_signal_handlers_disconnect_by_func (_sotto_messenger_get_relay_client (self->messenger),
                                        sotto_session_connection_cb, self);
  sotto_messenger_stop (self->messenger);

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The session went offline"));
  sotto_session_answer_connect (self, error);
  sotto_session_set_state (self, SOTTO_SESSION_STATE_OFFLINE, NULL);
}

/* Closing */

static void
sotto_session_close_store_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_store_close_finish (SOTTO_STORE (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * sotto_session_close_async:
 * @self: a #SottoSession
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the store is closed
 * @user_data: data for @callback
 *
 * Goes offline, lets the messenger go and closes the store, committing
 * what it holds; the session is locked again.
 */
void
sotto_session_close_async (SottoSession        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SottoStore) store = NULL;

  g_return_if_fail (SOTTO_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_session_close_async);

  sotto_session_disconnect (self);
  sotto_session_set_messenger (self, NULL);
  store = g_steal_pointer (&self->store);
  sotto_session_set_state (self, SOTTO_SESSION_STATE_LOCKED, NULL);

  if (store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  sotto_store_close_async (store, cancellable, sotto_session_close_store_cb, g_steal_pointer (&task));
}

/**
 * sotto_session_close_finish:
 * @self: a #SottoSession
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: whether the store closed cleanly
 */
gboolean
sotto_session_close_finish (SottoSession  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_session_close_async, error);
}

/* Getters */

/**
 * sotto_session_new:
 * @profile: the profile directory
 *
 * Returns: (transfer full): a locked session of @profile
 */
SottoSession *
sotto_session_new (GFile *profile)
{
  g_return_val_if_fail (G_IS_FILE (profile), NULL);

  return g_object_new (SOTTO_TYPE_SESSION,
                       "profile", profile,
                       NULL);
}

/**
 * sotto_session_get_profile:
 * @self: a #SottoSession
 *
 * Returns: (transfer none): the profile directory
 */
GFile *
sotto_session_get_profile (SottoSession *self)
{
  g_return_val_if_fail (SOTTO_IS_SESSION (self), NULL);

  return self->profile;
}

SottoSessionState
sotto_session_get_state (SottoSession *self)
{
  g_return_val_if_fail (SOTTO_IS_SESSION (self), SOTTO_SESSION_STATE_FAILED);

  return self->state;
}

/**
 * sotto_session_get_error:
 * @self: a #SottoSession
 *
 * Returns: (transfer none) (nullable): why the session is locked,
 *   unregistered, offline or failed, or %NULL
 */
const GError *
sotto_session_get_error (SottoSession *self)
{
  g_return_val_if_fail (SOTTO_IS_SESSION (self), NULL);

  return self->error;
}

/**
 * sotto_session_get_store:
 * @self: a #SottoSession
 *
 * Returns: (transfer none) (nullable): the open store, or %NULL while
 *   locked
 */
SottoStore *
sotto_session_get_store (SottoSession *self)
{
  g_return_val_if_fail (SOTTO_IS_SESSION (self), NULL);

  return self->store;
}

/**
 * sotto_session_get_messenger:
 * @self: a #SottoSession
 *
 * Returns: (transfer none) (nullable): the messenger of the account, or
 *   %NULL before there is one
 */
SottoMessenger *
sotto_session_get_messenger (SottoSession *self)
{
  g_return_val_if_fail (SOTTO_IS_SESSION (self), NULL);

  return self->messenger;
}

/* GObject */

static void
sotto_session_dispose (GObject *object)
{
  SottoSession *self = (SottoSession *) object;

  if (self->messenger != NULL)
    sotto_session_disconnect (self);

  g_clear_object (&self->messenger);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_session_parent_class)->dispose (object);
}

static void
sotto_session_finalize (GObject *object)
{
  SottoSession *self = (SottoSession *) object;

  g_clear_object (&self->profile);
  g_clear_object (&self->monitor);
  g_clear_error (&self->error);
  g_clear_pointer (&self->connect_tasks, g_ptr_array_unref);

  G_OBJECT_CLASS (sotto_session_parent_class)->finalize (object);
}

static void
sotto_session_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SottoSession *self = SOTTO_SESSION (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;

    case PROP_MESSENGER:
      g_value_set_object (value, self->messenger);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_session_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  SottoSession *self = SOTTO_SESSION (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_session_class_init (SottoSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_session_dispose;
  object_class->finalize = sotto_session_finalize;
  object_class->get_property = sotto_session_get_property;
  object_class->set_property = sotto_session_set_property;

  /**
   * SottoSession:profile:
   *
   * The profile directory.
   */
  properties [PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoSession:state:
   *
   * Where the session is in the life of its profile.
   */
  properties [PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       SOTTO_TYPE_SESSION_STATE,
                       SOTTO_SESSION_STATE_LOCKED,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoSession:error:
   *
   * The last failure: why the session is locked, unregistered, offline
   * or failed, or %NULL.
   */
  properties [PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  /**
   * SottoSession:messenger:
   *
   * The messenger of the profile's account, once there is one.
   */
  properties [PROP_MESSENGER] =
    g_param_spec_object ("messenger", NULL, NULL,
                         SOTTO_TYPE_MESSENGER,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sotto_session_init (SottoSession *self)
{
  self->state = SOTTO_SESSION_STATE_LOCKED;
  self->connect_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "network-changed",
                           G_CALLBACK (sotto_session_network_changed_cb), self, G_CONNECT_SWAPPED);
}
