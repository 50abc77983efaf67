/* test-message-text.c: a message's text as markup with links
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sotto-message-text.h"

static void
assert_markup (const char *text,
               const char *expected)
{
  g_autofree char *markup = sotto_message_text_dup_markup (text, TRUE);

  g_assert_cmpstr (markup, ==, expected);
}

/* An address without a scheme, as people write them, is a link to its
 * https page; nothing else without http or https is. */
static void
test_message_text_www (void)
{
  assert_markup ("see www.gnome.org/docs, then",
                 "see <a href=\"https://www.gnome.org/docs\">www.gnome.org/docs</a>, then");
  assert_markup ("WWW.GNOME.ORG.", "<a href=\"https://WWW.GNOME.ORG\">WWW.GNOME.ORG</a>.");
  assert_markup ("(www.gnome.org)", "(<a href=\"https://www.gnome.org\">www.gnome.org</a>)");
  assert_markup ("javascript:alert(1) file:///etc/passwd", "javascript:alert(1) file:///etc/passwd");
  /* Whatever comes before it, the link goes to https. */
  assert_markup ("javascript:www.gnome.org", "javascript:<a href=\"https://www.gnome.org\">www.gnome.org</a>");
  assert_markup ("www. and awww.gnome.org and www.gnome", "www. and awww.gnome.org and www.gnome");
  assert_markup ("http://www.gnome.org", "<a href=\"http://www.gnome.org\">http://www.gnome.org</a>");
  assert_markup ("www.a.org&x=\"<b>\"", "<a href=\"https://www.a.org&amp;x=\">www.a.org&amp;x=</a>&quot;&lt;b&gt;&quot;");
}

/* An address longer than any browser takes is no link: a message could
 * otherwise make a label of megabytes of markup attributes. */
static void
test_message_text_bounded (void)
{
  g_autoptr(GString) text = g_string_new ("https://www.");
  g_autofree char *markup = NULL;

  for (guint i = 0; i < 5000; i++)
    g_string_append_c (text, 'a');
  g_string_append (text, ".org www.");
  for (guint i = 0; i < 5000; i++)
    g_string_append_c (text, 'a');
  g_string_append (text, ".org");
  markup = sotto_message_text_dup_markup (text->str, TRUE);
  g_assert_null (strstr (markup, "<a "));

  assert_markup ("www.gnome.org", "<a href=\"https://www.gnome.org\">www.gnome.org</a>");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/message-text/www", test_message_text_www);
  g_test_add_func ("/app/message-text/bounded", test_message_text_bounded);

  return g_test_run ();
}
