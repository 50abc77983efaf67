/* test-conversation-row.c: a row of the conversation list
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's real conversation with Bob, on a real sotto-relay: the row
 * notifies its conversation once per change, follows what happens in
 * the conversation, and is finalized once released.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-conversation-row.h"
#include "sotto-messenger.h"

static void
test_conversation_row_conversation (ChatTest      *test,
                                    gconstpointer  data)
{
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  SottoConversationRow *row = g_object_ref_sink (SOTTO_CONVERSATION_ROW (sotto_conversation_row_new ()));
  GtkWidget *root = GTK_WIDGET (row);
  g_autoptr(SottoConversation) property = NULL;
  GtkWindow *window;
  guint notified = 0;

  g_signal_connect (row, "notify::conversation", G_CALLBACK (page_test_count_cb), &notified);
  window = page_test_show (root);

  g_assert_null (sotto_conversation_row_get_conversation (row));
  sotto_conversation_row_set_conversation (row, NULL);
  g_assert_cmpuint (notified, ==, 0);

  sotto_conversation_row_set_conversation (row, with_bob);
  g_assert_true (sotto_conversation_row_get_conversation (row) == with_bob);
  g_assert_cmpuint (notified, ==, 1);
  sotto_conversation_row_set_conversation (row, with_bob);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (row, "conversation", &property, NULL);
  g_assert_true (property == with_bob);
  g_assert_nonnull (app_test_find_label (root, "bob"));

  /* The row follows the conversation: what Alice sends is its preview. */
  chat_test_send (test->alice, with_bob, "See you then");
  app_test_wait_until (app_test_find_label (root, "See you then") != NULL);
  g_assert_cmpuint (notified, ==, 1);

  g_object_set (row, "conversation", NULL, NULL);
  g_assert_null (sotto_conversation_row_get_conversation (row));
  g_assert_cmpuint (notified, ==, 2);
  g_object_set (row, "conversation", NULL, NULL);
  g_assert_cmpuint (notified, ==, 2);

  /* Shown or not, the row holds nothing that outlives it. */
  sotto_conversation_row_set_conversation (row, with_bob);
  g_assert_cmpuint (notified, ==, 3);
  page_test_release (window, row);
}

/* Sends @files with @caption from @session to @conversation. */
static void
send_files (SottoSession      *session,
            SottoConversation *conversation,
            const char        *caption,
            GFile * const     *files,
            guint              n_files)
{
  SottoMessenger *messenger = sotto_session_get_messenger (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_send_with_attachments_async (messenger, conversation, caption, files, n_files, NULL,
                                               page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  g_assert_true (sotto_messenger_send_with_attachments_finish (messenger, result, &message, &error));
  g_assert_no_error (error);
}

/* A file in @directory named @name; a picture when @picture. */
static GFile *
make_file (const char *directory,
           const char *name,
           gboolean    picture)
{
  g_autofree char *path = g_build_filename (directory, name, NULL);
  g_autoptr(GError) error = NULL;

  if (picture)
    {
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 24);

      gdk_pixbuf_fill (pixbuf, 0x3366ccff);
      g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
    }
  else
    g_assert_true (g_file_set_contents (path, "%PDF-1.4\n%%EOF\n", -1, &error));
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

/* A message that is only files, with no caption, says so in the row of
 * the one who sent it and of the one who got it: the file's name, or
 * that it is a photo; with a caption, that and the caption. */
static void
test_conversation_row_file_preview (ChatTest      *test,
                                    gconstpointer  data)
{
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  g_autoptr(SottoConversation) with_alice = NULL;
  SottoConversationRow *alice_row = g_object_ref_sink (SOTTO_CONVERSATION_ROW (sotto_conversation_row_new ()));
  SottoConversationRow *bob_row = g_object_ref_sink (SOTTO_CONVERSATION_ROW (sotto_conversation_row_new ()));
  g_autofree char *directory = g_dir_make_tmp ("sotto-row-files-XXXXXX", NULL);
  g_autoptr(GFile) report = make_file (directory, "report.pdf", FALSE);
  g_autoptr(GFile) photo = make_file (directory, "beach.png", TRUE);
  g_autoptr(GFile) notes = make_file (directory, "notes.pdf", FALSE);
  GtkWindow *alice_window;
  GtkWindow *bob_window;

  sotto_conversation_row_set_conversation (alice_row, with_bob);
  alice_window = page_test_show (GTK_WIDGET (alice_row));

  send_files (test->alice, with_bob, "", &report, 1);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (alice_row), "📎 report.pdf") != NULL);
  with_alice = chat_test_receive (test->bob, "alice", "📎 report.pdf");
  sotto_conversation_row_set_conversation (bob_row, with_alice);
  bob_window = page_test_show (GTK_WIDGET (bob_row));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (bob_row), "📎 report.pdf"));

  send_files (test->alice, with_bob, "", &photo, 1);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (alice_row), "Photo") != NULL);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (bob_row), "Photo") != NULL);

  send_files (test->alice, with_bob, "", (GFile *[]) { notes, report }, 2);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (alice_row), "📎 2 files") != NULL);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (bob_row), "📎 2 files") != NULL);

  /* With a caption, the files say what they are, then the caption's
   * first line. */
  send_files (test->alice, with_bob, "Our beach\nand the rest", &photo, 1);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (alice_row), "Photo: Our beach") != NULL);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (bob_row), "Photo: Our beach") != NULL);

  send_files (test->alice, with_bob, "See page 3", &report, 1);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (alice_row), "📎 report.pdf: See page 3") != NULL);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (bob_row), "📎 report.pdf: See page 3") != NULL);

  page_test_release (alice_window, alice_row);
  page_test_release (bob_window, bob_row);
  for (GFile * const *file = (GFile *[]) { report, photo, notes, NULL }; *file != NULL; file++)
    g_assert_true (g_file_delete (*file, NULL, NULL));
  g_assert_cmpint (g_rmdir (directory), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/conversation-row/conversation", ChatTest, NULL,
              chat_test_set_up, test_conversation_row_conversation, chat_test_tear_down);
  g_test_add ("/app/conversation-row/file-preview", ChatTest, NULL,
              chat_test_set_up, test_conversation_row_file_preview, chat_test_tear_down);

  return g_test_run ();
}
