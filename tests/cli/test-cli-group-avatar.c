/* test-cli-group-avatar.c: a group's picture between sotto-cli profiles
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "cli-test-util.h"

/* Real relay, real sotto-cli processes: an admin sets a group's
 * picture and every member shows the same one, a member who is not an
 * admin cannot, a member added afterwards gets it with the group's
 * history, and the admin removes it. */

/* A picture larger than a group's picture may be, which the sender
 * makes smaller. */
static char *
write_picture (const char *directory)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 900, 600);
  g_autofree char *path = g_build_filename (directory, "picture.png", NULL);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  /* Noise, so that the sender must recompress it to fit. */
  for (int y = 0; y < 600; y++)
    for (int x = 0; x < 900 * 3; x++)
      pixels[y * stride + x] = (guint8) g_random_int ();

  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static JsonObject *
group_info (CliTest    *test,
            const char *profile,
            const char *group)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "info", group, NULL);

  cli_assert_ok (result);
  return cli_parse_object (result->out);
}

/* The digest of the picture @profile shows for @group, or %NULL. */
static char *
shown_avatar (CliTest    *test,
              const char *profile,
              const char *group)
{
  g_autoptr(JsonObject) info = group_info (test, profile, group);

  g_assert_true (json_object_has_member (info, "avatar"));
  if (json_object_get_null_member (info, "avatar"))
    return NULL;

  return g_strdup (json_object_get_string_member (info, "avatar"));
}

static gint64
group_version (CliTest    *test,
               const char *profile,
               const char *group)
{
  g_autoptr(JsonObject) info = group_info (test, profile, group);

  return json_object_get_int_member (info, "version");
}

/* The last line @profile receives is @from's change of the picture of
 * @group to @avatar (%NULL: removed). */
static void
assert_receives_avatar (CliTest    *test,
                        const char *profile,
                        const char *group,
                        const char *from,
                        const char *avatar)
{
  g_autoptr(GPtrArray) lines = cli_receive (test, profile);
  JsonObject *line;

  g_assert_cmpuint (lines->len, >, 0);
  line = g_ptr_array_index (lines, lines->len - 1);
  g_assert_cmpstr (json_object_get_string_member (line, "type"), ==, "group-update");
  g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (line, "action"), ==, "avatar");
  g_assert_true (json_object_has_member (line, "avatar"));
  if (avatar == NULL)
    g_assert_true (json_object_get_null_member (line, "avatar"));
  else
    g_assert_cmpstr (json_object_get_string_member (line, "avatar"), ==, avatar);
}

static void
test_avatar (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *picture_dir = cli_test_profile (test, "pictures");
  g_autofree char *picture = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autofree char *group = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *at_bob = NULL;
  g_autofree char *at_carol = NULL;
  g_autofree char *at_dave = NULL;
  g_autofree char *removed = NULL;
  gint64 version;

  g_assert_cmpint (g_mkdir_with_parents (picture_dir, 0700), ==, 0);
  picture = write_picture (picture_dir);

  result = cli_run (test, alice, "--json", "group", "create", "Climbing", "bob", "carol", NULL);
  cli_assert_ok (result);
  created = cli_parse_object (result->out);
  group = g_strdup (json_object_get_string_member (created, "group"));
  g_clear_pointer (&result, cli_result_free);
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, bob);
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, carol);
  g_clear_pointer (&lines, g_ptr_array_unref);
  g_assert_null (shown_avatar (test, alice, group));

  /* Bob is not an admin: his picture is refused and changes nothing. */
  version = group_version (test, bob, group);
  result = cli_run (test, bob, "group", "avatar", group, picture, NULL);
  g_assert_cmpint (result->status, ==, 1);
  g_assert_nonnull (strstr (result->err, "admin"));
  g_clear_pointer (&result, cli_result_free);
  g_assert_null (shown_avatar (test, bob, group));
  g_assert_cmpint (group_version (test, bob, group), ==, version);
  cli_assert_receives_nothing (test, alice);
  cli_assert_receives_nothing (test, carol);

  /* Alice is: every member shows the same picture, made smaller. */
  result = cli_run (test, alice, "--json", "group", "avatar", group, picture, NULL);
  cli_assert_ok (result);
  g_clear_pointer (&result, cli_result_free);
  digest = shown_avatar (test, alice, group);
  g_assert_nonnull (digest);
  g_assert_cmpuint (strlen (digest), ==, 64);
  assert_receives_avatar (test, bob, group, "alice", digest);
  at_bob = shown_avatar (test, bob, group);
  g_assert_cmpstr (at_bob, ==, digest);
  result = cli_run (test, carol, "receive", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "alice changed the group picture"));
  g_clear_pointer (&result, cli_result_free);
  at_carol = shown_avatar (test, carol, group);
  g_assert_cmpstr (at_carol, ==, digest);
  g_assert_cmpint (group_version (test, carol, group), ==, version + 1);

  /* The picture is kept sealed in the profile, as other avatars are:
   * no PNG or JPEG file is anywhere in it. */
  g_assert_false (cli_tree_contains (bob, "\x89PNG\r\n\x1a\n", 8));
  g_assert_false (cli_tree_contains (bob, "JFIF", 5));

  /* Dave, added afterwards, gets the picture with the group. */
  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, dave);
  at_dave = shown_avatar (test, dave, group);
  g_assert_cmpstr (at_dave, ==, digest);
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, bob);
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, carol);

  /* Alice removes it, for everyone. */
  cli_run_ok (test, alice, "group", "avatar", group, "--remove", NULL);
  g_assert_null (shown_avatar (test, alice, group));
  assert_receives_avatar (test, bob, group, "alice", NULL);
  assert_receives_avatar (test, dave, group, "alice", NULL);
  result = cli_run (test, carol, "receive", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "alice removed the group picture"));
  g_clear_pointer (&result, cli_result_free);
  removed = shown_avatar (test, bob, group);
  g_assert_null (removed);
  g_assert_null (shown_avatar (test, carol, group));
  g_assert_null (shown_avatar (test, dave, group));
  g_assert_cmpint (group_version (test, dave, group), ==, group_version (test, alice, group));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/group-avatar/lifecycle", test_avatar);

  return g_test_run ();
}
