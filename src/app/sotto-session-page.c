/* sotto-session-page.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-session-page"

#include "config.h"

#include "sotto-session-page.h"

/* What the pages that move a session on (unlocking it, registering its
 * account) share: the session, what the page waits for while the
 * session works (the window shows it), and a cancellable for that work,
 * cancelled when the page goes. */

typedef struct
{
  SottoSession *session;
  GSignalGroup *session_signals;
  GCancellable *cancellable;
  char *activity;
} SottoSessionPagePrivate;

enum {
  PROP_0,
  PROP_SESSION,
  PROP_ACTIVITY,
  N_PROPS
};

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (SottoSessionPage, sotto_session_page, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void
sotto_session_page_session_changed (SottoSessionPage *self)
{
  SottoSessionPageClass *klass = SOTTO_SESSION_PAGE_GET_CLASS (self);

  if (klass->session_changed != NULL)
    klass->session_changed (self);
}

SottoSession *
sotto_session_page_get_session (SottoSessionPage *self)
{
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_return_val_if_fail (SOTTO_IS_SESSION_PAGE (self), NULL);

  return priv->session;
}

void
sotto_session_page_set_session (SottoSessionPage *self,
                                SottoSession     *session)
{
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_return_if_fail (SOTTO_IS_SESSION_PAGE (self));
  g_return_if_fail (session == NULL || SOTTO_IS_SESSION (session));

  if (!g_set_object (&priv->session, session))
    return;

  g_signal_group_set_target (priv->session_signals, session);
  sotto_session_page_session_changed (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SESSION]);
}

/**
 * sotto_session_page_get_activity:
 * @self: a #SottoSessionPage
 *
 * Returns: (nullable): what the page waits for, in words, or %NULL
 */
const char *
sotto_session_page_get_activity (SottoSessionPage *self)
{
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_return_val_if_fail (SOTTO_IS_SESSION_PAGE (self), NULL);

  return priv->activity;
}

/**
 * sotto_session_page_set_activity:
 * @self: a #SottoSessionPage
 * @activity: (nullable): what the page waits for, in words, or %NULL
 *   once it waits no more
 */
void
sotto_session_page_set_activity (SottoSessionPage *self,
                                 const char       *activity)
{
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_return_if_fail (SOTTO_IS_SESSION_PAGE (self));

  if (g_strcmp0 (priv->activity, activity) == 0)
    return;

  g_free (priv->activity);
  priv->activity = g_strdup (activity);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ACTIVITY]);
}

/**
 * sotto_session_page_get_cancellable:
 * @self: a #SottoSessionPage
 *
 * Returns: (transfer none): the cancellable for the page's work, which
 *   is cancelled when the page is disposed
 */
GCancellable *
sotto_session_page_get_cancellable (SottoSessionPage *self)
{
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_return_val_if_fail (SOTTO_IS_SESSION_PAGE (self), NULL);

  return priv->cancellable;
}

static void
sotto_session_page_dispose (GObject *object)
{
  SottoSessionPage *self = SOTTO_SESSION_PAGE (object);
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_cancellable_cancel (priv->cancellable);
  g_signal_group_set_target (priv->session_signals, NULL);
  g_clear_object (&priv->session);

  G_OBJECT_CLASS (sotto_session_page_parent_class)->dispose (object);
}

static void
sotto_session_page_finalize (GObject *object)
{
  SottoSessionPage *self = SOTTO_SESSION_PAGE (object);
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  g_clear_object (&priv->session_signals);
  g_clear_object (&priv->cancellable);
  g_clear_pointer (&priv->activity, g_free);

  G_OBJECT_CLASS (sotto_session_page_parent_class)->finalize (object);
}

static void
sotto_session_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SottoSessionPage *self = SOTTO_SESSION_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, sotto_session_page_get_session (self));
      break;

    case PROP_ACTIVITY:
      g_value_set_string (value, sotto_session_page_get_activity (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_session_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SottoSessionPage *self = SOTTO_SESSION_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      sotto_session_page_set_session (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_session_page_class_init (SottoSessionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_session_page_dispose;
  object_class->finalize = sotto_session_page_finalize;
  object_class->get_property = sotto_session_page_get_property;
  object_class->set_property = sotto_session_page_set_property;

  /**
   * SottoSessionPage:session:
   *
   * The session the page moves on.
   */
  properties [PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         SOTTO_TYPE_SESSION,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoSessionPage:activity:
   *
   * What the page waits for, in words, or %NULL.
   */
  properties [PROP_ACTIVITY] =
    g_param_spec_string ("activity", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
sotto_session_page_init (SottoSessionPage *self)
{
  SottoSessionPagePrivate *priv = sotto_session_page_get_instance_private (self);

  priv->cancellable = g_cancellable_new ();
  priv->session_signals = g_signal_group_new (SOTTO_TYPE_SESSION);
  g_signal_group_connect_object (priv->session_signals, "notify::error",
                                 G_CALLBACK (sotto_session_page_session_changed), self, G_CONNECT_SWAPPED);
}
