/* take-screenshots.c: renders the running app for the metainfo screenshots
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real application on a prepared profile (see
 * build-aux/take-screenshots.sh), opens the conversation with a contact
 * and then its safety-number page, then the message request of a
 * stranger, then a conversation with replies, reactions, edits,
 * deletions and a timer, then a group and its member list, then the
 * pictures and files a sharer sent, one of them downloading, and last
 * stops the relay (RELAY_PID, which the script started) and writes to
 * the contact while offline; it renders each window with GTK's own
 * renderer into a PNG file.
 *
 * Usage: take-screenshots PROFILE CONTACT STRANGER FRIEND RELAY_PID OUTPUT_DIR SHARER
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <adwaita.h>

#include "sotto-application.h"
#include "sotto-attachment-picture.h"
#include "sotto-chats-page.h"
#include "sotto-contact.h"
#include "sotto-conversation-view.h"
#include "sotto-conversation-list.h"
#include "sotto-file-row.h"
#include "sotto-group-members-page.h"
#include "sotto-group-view.h"
#include "sotto-safety-number-dialog.h"
#include "sotto-transfer-bar.h"
#include "sotto-window.h"

#define WAIT_TIMEOUT_SECONDS 60

static void
wait_for (gboolean (*condition) (gpointer), gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for the app");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Lets animations and page loads settle before a picture is taken. */
static void
settle (guint milliseconds)
{
  gint64 end = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Everything the relay held for Alice is in, so that what came while she
 * was away is unread when the conversation opens. */
static gboolean
has_drained (gpointer data)
{
  SottoMessenger *messenger = sotto_window_get_messenger (data);

  return messenger != NULL && sotto_messenger_get_drained (messenger);
}

/* The mapped toplevel of @type, if there is one. */
static GtkWindow *
mapped_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static gboolean
has_dialog (gpointer data)
{
  SottoSafetyNumberDialog **dialog = data;

  *dialog = SOTTO_SAFETY_NUMBER_DIALOG (mapped_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG));

  return *dialog != NULL;
}

static gboolean
has_members_page (gpointer data)
{
  GtkWindow **page = data;

  *page = mapped_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE);

  return *page != NULL;
}

/* Whether a mapped label below @root starts with @prefix. */
static gboolean
shows_label_starting (GtkWidget  *root,
                      const char *prefix)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root)
      && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (root)), prefix))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      if (shows_label_starting (child, prefix))
        return TRUE;
    }

  return FALSE;
}

/* The offline banner is up, in English as the screenshots are. */
static gboolean
shows_offline_banner (gpointer data)
{
  return shows_label_starting (data, "Offline.");
}

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find_matching (GtkWidget     *root,
               Match          match,
               gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_matching (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The largest file shown, the one whose download the picture shows. */
static gboolean
is_big_file_row (GtkWidget     *widget,
                 gconstpointer  data)
{
  return SOTTO_IS_FILE_ROW (widget) && gtk_widget_get_mapped (widget)
         && sotto_attachment_get_size (sotto_file_row_get_attachment (SOTTO_FILE_ROW (widget))) > 50 * 1000 * 1000;
}

static gboolean
has_file_row (gpointer data)
{
  return find_matching (data, is_big_file_row, NULL) != NULL;
}

static gboolean
is_ready_picture (GtkWidget     *widget,
                  gconstpointer  data)
{
  return SOTTO_IS_ATTACHMENT_PICTURE (widget) && gtk_widget_get_mapped (widget)
         && sotto_attachment_get_state (sotto_attachment_picture_get_attachment (SOTTO_ATTACHMENT_PICTURE (widget)))
            == SOTTO_ATTACHMENT_STATE_READY;
}

static gboolean
shows_downloaded_picture (gpointer data)
{
  return find_matching (data, is_ready_picture, NULL) != NULL;
}

/* The download is well on its way, and the progress bar shows it. */
static gboolean
is_half_downloaded (gpointer data)
{
  GtkWidget *row = find_matching (data, is_big_file_row, NULL);
  SottoAttachment *attachment = row != NULL ? sotto_file_row_get_attachment (SOTTO_FILE_ROW (row)) : NULL;

  return attachment != NULL && sotto_attachment_get_progress (attachment) > 0.3;
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  return find_matching (root, is_of_type, GSIZE_TO_POINTER (type));
}

static void
save_window (GtkWindow  *window,
             const char *directory,
             const char *name)
{
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (directory, name, NULL);
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));

  /* A window whose layout is due draws nothing: a progress bar that
   * moves asks for one with every step, so it is tried until a frame
   * has laid it out. */
  for (guint tries = 0; node == NULL; tries++)
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
      g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();

      if (tries == 600)
        g_error ("The window never drew for %s", name);
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_to_node (snapshot);
      if (node == NULL)
        settle (17);
    }
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_error ("Could not write %s", path);
  g_print ("Wrote %s (%dx%d)\n", path, width, height);
}

static gboolean
has_group (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (sotto_messenger_get_groups (sotto_window_get_messenger (data)))) > 0;
}

static SottoConversation *
find_conversation (SottoWindow *window,
                   const char  *username)
{
  SottoConversation *conversation;

  conversation = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (sotto_window_get_messenger (window)),
                                                           username);
  if (conversation == NULL)
    g_error ("No conversation with %s", username);

  return conversation;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GFile) profile = NULL;
  g_autoptr(GError) error = NULL;
  SottoSafetyNumberDialog *dialog = NULL;
  SottoConversation *conversation;
  SottoWindow *window;
  GtkWidget *view;

  if (argc != 8)
    {
      g_printerr ("Usage: %s PROFILE CONTACT STRANGER FRIEND RELAY_PID OUTPUT_DIR SHARER\n", argv[0]);
      return 1;
    }

  gtk_init ();
  adw_init ();

  profile = g_file_new_for_commandline_arg (argv[1]);
  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("%s", error->message);
  g_application_activate (G_APPLICATION (app));

  window = SOTTO_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 960, 640);
  wait_for (has_drained, window);

  conversation = find_conversation (window, argv[2]);
  sotto_window_open_conversation (window, sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  settle (1500);
  save_window (GTK_WINDOW (window), argv[6], "main-window.png");

  gtk_widget_activate_action (find_widget (GTK_WIDGET (window), SOTTO_TYPE_CONVERSATION_VIEW),
                              "conversation.show-safety-number", NULL);
  wait_for (has_dialog, &dialog);
  settle (1000);
  save_window (GTK_WINDOW (dialog), argv[6], "safety-number.png");

  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Someone Alice never wrote to: a request to accept, delete or block. */
  conversation = find_conversation (window, argv[3]);
  sotto_window_open_conversation (window, sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  settle (1500);
  save_window (GTK_WINDOW (window), argv[6], "message-request.png");

  /* A reply, reactions, an edit, a deletion for everyone and a timer. */
  conversation = find_conversation (window, argv[4]);
  sotto_window_open_conversation (window, sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  settle (1500);
  save_window (GTK_WINDOW (window), argv[6], "rich-messages.png");

  /* A picture, inline, and files: one of them on its way down. */
  conversation = find_conversation (window, argv[7]);
  sotto_window_open_conversation (window, sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  wait_for (shows_downloaded_picture, window);
  wait_for (has_file_row, window);
  gtk_widget_activate_action (find_widget (GTK_WIDGET (window), SOTTO_TYPE_CONVERSATION_VIEW),
                              "conversation.scroll-to-end", NULL);
  settle (1500);
  gtk_widget_activate_action (find_widget (find_matching (GTK_WIDGET (window), is_big_file_row, NULL),
                                           SOTTO_TYPE_TRANSFER_BAR),
                              "transfer.retry", NULL);
  wait_for (is_half_downloaded, window);
  save_window (GTK_WINDOW (window), argv[6], "attachments.png");

  /* A group: each member's messages under their name, in their colour. */
  {
    g_autoptr(SottoGroup) group = NULL;
    GtkWindow *members = NULL;

    wait_for (has_group, window);
    group = g_list_model_get_item (G_LIST_MODEL (sotto_messenger_get_groups (sotto_window_get_messenger (window))), 0);
    sotto_chats_page_open_group (SOTTO_CHATS_PAGE (find_widget (GTK_WIDGET (window), SOTTO_TYPE_CHATS_PAGE)),
                                 sotto_group_get_id (group));
    settle (1500);
    save_window (GTK_WINDOW (window), argv[6], "group-conversation.png");

    /* Its members: the user among them, each one's safety number. */
    gtk_widget_activate_action (find_widget (GTK_WIDGET (window), SOTTO_TYPE_GROUP_VIEW), "group.show-members", NULL);
    wait_for (has_members_page, &members);
    settle (1500);
    save_window (members, argv[6], "group-members.png");
    gtk_window_destroy (members);
  }

  /* The relay gone, the banner says so and what Alice writes waits. */
  conversation = find_conversation (window, argv[2]);
  sotto_window_open_conversation (window, sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  if (kill ((pid_t) strtol (argv[5], NULL, 10), SIGTERM) != 0)
    g_error ("Could not stop the relay: %s", g_strerror (errno));
  wait_for (shows_offline_banner, window);
  view = find_widget (GTK_WIDGET (window), SOTTO_TYPE_CONVERSATION_VIEW);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find_widget (view, GTK_TYPE_TEXT_VIEW))),
                            "On my way, the train is running late.", -1);
  gtk_widget_activate_action (view, "conversation.send", NULL);
  settle (1500);
  save_window (GTK_WINDOW (window), argv[6], "offline.png");

  gtk_window_destroy (GTK_WINDOW (window));

  return 0;
}
