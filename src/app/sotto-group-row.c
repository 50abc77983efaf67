/* sotto-group-row.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group-row"

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-avatar.h"
#include "sotto-group-row.h"
#include "sotto-time-format.h"

/* A group in the conversation list, beside the 1:1 conversations'
 * rows: its avatar (its initials and colour), its title, its newest
 * entry with who wrote it, how many of its messages are unread, and
 * whether it is a request. */

struct _SottoGroupRow
{
  GtkWidget parent_instance;

  SottoGroup *group;
  GSignalGroup *group_signals;

  GtkWidget *box;
  SottoAvatar *avatar;
  GtkLabel *title_label;
  GtkLabel *time_label;
  GtkLabel *preview_label;
  GtkLabel *unread_label;
  GtkLabel *request_label;
};

G_DEFINE_FINAL_TYPE (SottoGroupRow, sotto_group_row, GTK_TYPE_WIDGET)

GtkWidget *
sotto_group_row_new (void)
{
  return g_object_new (SOTTO_TYPE_GROUP_ROW, NULL);
}

/* "bob: Which crag?" for a message, the sentence alone for a change. */
static char *
dup_preview (const SottoGroupEvent *event)
{
  g_autofree char *text = sotto_group_event_describe (event);
  g_autofree char *first_line = g_strndup (text, strcspn (text, "\n"));

  if (event->kind != SOTTO_GROUP_EVENT_TEXT)
    return g_steal_pointer (&first_line);

  /* Translators: a group's newest message in the conversation list:
   * who wrote it ("You" or a member's username), then its first line */
  return g_strdup_printf (_("%s: %s"),
                          event->outgoing ? _("You") : (event->author_name != NULL ? event->author_name : event->author),
                          first_line);
}

static void
sotto_group_row_update (SottoGroupRow *self)
{
  const SottoGroupEvent *event = sotto_group_get_last_event (self->group);
  /* A group an earlier Sotto stored says so, rather than what it said. */
  g_autofree char *preview = sotto_group_get_outdated (self->group)
                             ? g_strdup (_("Stored by an earlier Sotto: create it again"))
                             : event != NULL ? dup_preview (event) : NULL;
  guint unread = sotto_group_get_unread_count (self->group);
  g_autofree char *time = NULL;
  g_autofree char *unread_text = g_strdup_printf ("%u", unread);
  g_autofree char *label = NULL;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (event != NULL)
    time = sotto_format_time (event->sent_at, g_get_real_time () / 1000);

  sotto_avatar_set_group (self->avatar, self->group);
  gtk_label_set_label (self->title_label, sotto_group_get_title (self->group));
  gtk_label_set_label (self->preview_label, preview != NULL ? preview : "");
  gtk_label_set_label (self->time_label, time != NULL ? time : "");
  gtk_label_set_label (self->unread_label, unread_text);
  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), unread > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->request_label), sotto_group_get_request (self->group));

  /* One label for screen readers, as the 1:1 rows have: "Climbers,
   * group, 2 unread, last message: bob: Which crag?, 12:14". */
  g_ptr_array_add (parts, g_strdup (sotto_group_get_title (self->group)));
  g_ptr_array_add (parts, g_strdup (_("group")));
  if (sotto_group_get_request (self->group))
    g_ptr_array_add (parts, g_strdup (_("group request")));
  if (unread > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u unread", "%u unread", unread),
                                             unread));
  if (preview != NULL)
    g_ptr_array_add (parts, g_strdup_printf (_("last message: %s"), preview));
  if (time != NULL)
    g_ptr_array_add (parts, g_strdup (time));
  g_ptr_array_add (parts, NULL);
  label = g_strjoinv (C_("list separator", ", "), (char **) parts->pdata);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

SottoGroup *
sotto_group_row_get_group (SottoGroupRow *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP_ROW (self), NULL);

  return self->group;
}

void
sotto_group_row_set_group (SottoGroupRow *self,
                           SottoGroup    *group)
{
  g_return_if_fail (SOTTO_IS_GROUP_ROW (self));
  g_return_if_fail (!group || SOTTO_IS_GROUP (group));

  if (!g_set_object (&self->group, group))
    return;

  g_signal_group_set_target (self->group_signals, group);
  if (group != NULL)
    sotto_group_row_update (self);
}

static void
sotto_group_row_dispose (GObject *object)
{
  SottoGroupRow *self = (SottoGroupRow *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_GROUP_ROW);
  g_clear_object (&self->group_signals);
  g_clear_object (&self->group);

  G_OBJECT_CLASS (sotto_group_row_parent_class)->dispose (object);
}

static void
sotto_group_row_class_init (SottoGroupRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_group_row_dispose;

  g_type_ensure (SOTTO_TYPE_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-group-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, box);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, unread_label);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupRow, request_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversationrow");
}

static void
sotto_group_row_init (SottoGroupRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* As the 1:1 rows: the focus lands on the row, which has a name. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  sotto_accessible_name_list_item (GTK_WIDGET (self));

  self->group_signals = g_signal_group_new (SOTTO_TYPE_GROUP);
  g_signal_group_connect_object (self->group_signals, "notify::title",
                                 G_CALLBACK (sotto_group_row_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::last-event",
                                 G_CALLBACK (sotto_group_row_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::unread-count",
                                 G_CALLBACK (sotto_group_row_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::request",
                                 G_CALLBACK (sotto_group_row_update), self, G_CONNECT_SWAPPED);
}
