/* app-test-util.c: finding widgets in the windows under test
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "app-test-util.h"

/* Finds the first widget below @root, depth first, that @match accepts. */
GtkWidget *
app_test_find_matching (GtkWidget     *root,
                        AppTestMatch   match,
                        gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = app_test_find_matching (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_mapped_of_type (GtkWidget     *widget,
                   gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type)) && gtk_widget_get_mapped (widget);
}

/* Finds the first mapped widget of @type below @root, or NULL. */
GtkWidget *
app_test_find_widget (GtkWidget *root,
                      GType      type)
{
  return app_test_find_matching (root, is_mapped_of_type, GSIZE_TO_POINTER (type));
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

/* Finds the first widget of @type below @root, shown or not, or NULL. */
GtkWidget *
app_test_find_any_widget (GtkWidget *root,
                          GType      type)
{
  return app_test_find_matching (root, is_of_type, GSIZE_TO_POINTER (type));
}

static gboolean
is_label_showing (GtkWidget     *widget,
                  gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

static gboolean
is_action_row_titled (GtkWidget     *widget,
                      gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* Finds the mapped AdwActionRow titled @title below @root, or NULL. */
GtkWidget *
app_test_find_action_row (GtkWidget  *root,
                          const char *title)
{
  return app_test_find_matching (root, is_action_row_titled, title);
}

/* Finds a mapped label whose label (its markup, if it has any) is
 * @text below @root, or NULL. */
GtkWidget *
app_test_find_label (GtkWidget  *root,
                     const char *text)
{
  return app_test_find_matching (root, is_label_showing, text);
}

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

/* The text on @widget's clipboard, once the clipboard hands it over. */
char *
app_test_read_clipboard (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_text_cb, &text);
  while (text == NULL)
    g_main_context_iteration (NULL, TRUE);

  return text;
}

/* Runs xdotool, which makes the X server send events to the window with
 * the keyboard focus (or under the pointer), as a keyboard and a mouse
 * would: GTK gets them as it gets every key press and click.
 * @first_arg: "key" with key names, "type" with text, or any other
 * xdotool command with its arguments. */
void
app_test_xdotool (GtkWindow  *window,
                  const char *first_arg,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  va_list args;

  /* Keys go where the focus is: to this window, once it has it. */
  app_test_wait_until (gtk_window_is_active (window));

  g_ptr_array_add (argv, (char *) "xdotool");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
}

/* Moves the pointer to the middle of @widget through the X server, and
 * there runs the xdotool @command on the mouse button @button. */
static void
pointer_on (GtkWidget  *widget,
            const char *command,
            const char *button)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  graphene_point_t middle = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                 gtk_widget_get_height (widget) / 2.f);
  graphene_point_t point;
  g_autofree char *window_id = NULL;
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  double surface_x, surface_y;

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (GDK_IS_X11_SURFACE (surface));
  /* Where the widget is drawn now, not where it was before the last
   * change of layout; and where it stays, not a frame of an animation
   * (a toast slides in), which a loaded machine can leave the widget in
   * while the click is on its way. */
  app_test_wait_for_paint (widget);
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &middle, &point));
  for (;;)
    {
      graphene_point_t settled;

      app_test_wait_for_paint (widget);
      g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &middle, &settled));
      if (graphene_point_equal (&settled, &point))
        break;
      point = settled;
    }
  /* The native's widget can sit inside its surface (a shadow around it). */
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);

  window_id = g_strdup_printf ("%lu", (gulong) gdk_x11_surface_get_xid (surface));
  x = g_strdup_printf ("%d", (int) (point.x + surface_x));
  y = g_strdup_printf ("%d", (int) (point.y + surface_y));
  app_test_xdotool (GTK_WINDOW (native), "mousemove", "--sync", "--window", window_id, x, y,
                    command, button, NULL);
}

/* Clicks the middle of @widget with the first mouse button, through the
 * X server: the pointer moves there and the button goes down and up, so
 * that the widget's own gestures (focus on click, the click itself) act
 * as they do for a user. */
void
app_test_click (GtkWidget *widget)
{
  pointer_on (widget, "click", "1");
}

/* Clicks the middle of @widget with the secondary mouse button, through
 * the X server, as for a context menu. */
void
app_test_right_click (GtkWidget *widget)
{
  pointer_on (widget, "click", "3");
}

/* Presses the first mouse button on the middle of @widget, through the
 * X server, and holds it down: a long press, until app_test_release(). */
void
app_test_hold (GtkWidget *widget)
{
  pointer_on (widget, "mousedown", "1");
}

/* Lets go of the mouse button app_test_hold() pressed on @widget. */
void
app_test_release (GtkWidget *widget)
{
  pointer_on (widget, "mouseup", "1");
}

static void
count_paint_cb (GdkFrameClock *clock,
                guint         *n_paints)
{
  (*n_paints)++;
}

/* Waits until @widget's window has drawn itself anew, with whatever
 * changed before the call. */
void
app_test_wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  guint n_paints = 0;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (count_paint_cb), &n_paints);
  gtk_widget_queue_draw (GTK_WIDGET (gtk_widget_get_root (widget)));
  /* The first paint can be one that had begun already. */
  app_test_wait_until (n_paints >= 2);
  g_signal_handler_disconnect (clock, handler);
}

/* How opaque @widget draws itself, on its own, at (@x, @y) of its own
 * coordinates: 255 where nothing behind it could show through. */
guint8
app_test_alpha_at (GtkWidget *widget,
                   int        x,
                   int        y)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  g_assert_true (x >= 0 && x < width && y >= 0 && y < height);

  app_test_wait_for_paint (widget);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  /* Downloaded as Cairo's ARGB32, in memory order B, G, R, A. */
  pixels = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, pixels, (gsize) width * 4);

  return pixels[((gsize) y * width + x) * 4 + 3];
}

/* The widgets below @root, depth first. */
static void
collect_widgets (GtkWidget *root,
                 GPtrArray *widgets)
{
  g_ptr_array_add (widgets, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, widgets);
}

/* @widget's accessible label, or NULL when it has none. */
static char *
accessible_label (GtkWidget *widget)
{
  /* The check returns the label whenever it differs from the one
   * asked for, and no label has a control character. */
  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return NULL;
  return gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, "\x01");
}

/* The name a screen reader hears for @widget, made as GTK 4.8's AT-SPI
 * bridge makes it (gtk_at_context_get_name()): the widget's label, then
 * the labels of the widgets that it is labelled by; GTK falls back to
 * the type name when there is neither, which this returns as NULL.
 * @widgets are all the widgets of the window, among which the labelling
 * ones are found. */
static char *
accessible_name (GtkWidget *widget,
                 GPtrArray *widgets)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  char *label = accessible_label (widget);

  if (label != NULL)
    g_ptr_array_add (names, label);

  if (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    {
      guint found = 0;

      for (guint i = 0; i < widgets->len; i++)
        {
          GtkWidget *candidate = g_ptr_array_index (widgets, i);
          g_autofree char *mismatch = gtk_test_accessible_check_relation (GTK_ACCESSIBLE (widget),
                                                                          GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                                                          candidate, NULL);

          if (mismatch == NULL)
            {
              found++;
              label = accessible_label (candidate);
              if (label != NULL)
                g_ptr_array_add (names, label);
            }
        }
      /* Labelled by more than one widget, or by one outside the window:
       * not a case this test knows. */
      if (found != 1)
        g_error ("%s is labelled by %u widgets of its window", G_OBJECT_TYPE_NAME (widget), found);
    }

  if (names->len == 0)
    return NULL;
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* Whether @name is what a person would say: not empty, not a type
 * name, no mnemonic underline, not the same words twice. */
static gboolean
is_spoken_name (const char *name)
{
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  gsize length = strlen (stripped);

  if (length == 0 || g_type_from_name (stripped) != 0)
    return FALSE;
  for (const char *p = stripped; *p != '\0'; p++)
    {
      if (p[0] == '_' && g_ascii_isalnum (p[1]))
        return FALSE;
    }
  return !(length % 2 == 1 && stripped[length / 2] == ' '
           && strncmp (stripped, stripped + length / 2 + 1, length / 2) == 0);
}

/* Whether a screen reader meets @widget as something to focus: shown,
 * usable, focusable, and not left out of the accessible tree. */
static gboolean
is_focusable_in_tree (GtkWidget *widget)
{
  for (GtkWidget *up = widget; up != NULL; up = gtk_widget_get_parent (up))
    {
      if (!gtk_widget_get_can_focus (up))
        return FALSE;
    }
  return gtk_widget_get_mapped (widget) && gtk_widget_is_sensitive (widget)
         && gtk_widget_get_focusable (widget)
         && !gtk_test_accessible_has_role (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_ROLE_NONE)
         && !gtk_test_accessible_has_role (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_ROLE_PRESENTATION);
}

/* Walks @window's accessible tree and fails on every focusable widget
 * a screen reader would name after its type, or not at all. */
void
app_test_assert_focusables_named (GtkWindow  *window,
                                  const char *where)
{
  g_autoptr(GPtrArray) widgets = g_ptr_array_new ();
  g_autoptr(GString) unnamed = g_string_new (NULL);
  guint focusables = 0;

  collect_widgets (GTK_WIDGET (window), widgets);
  for (guint i = 0; i < widgets->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (widgets, i);
      g_autofree char *name = NULL;

      if (!is_focusable_in_tree (widget))
        continue;

      focusables++;
      name = accessible_name (widget, widgets);
      g_test_message ("%s: %s “%s”", where, G_OBJECT_TYPE_NAME (widget), name != NULL ? name : "");
      if (name == NULL || !is_spoken_name (name))
        g_string_append_printf (unnamed, "\n  %s (in %s) is read as “%s”", G_OBJECT_TYPE_NAME (widget),
                                G_OBJECT_TYPE_NAME (gtk_widget_get_parent (widget)),
                                name != NULL ? name : G_OBJECT_TYPE_NAME (widget));
    }

  g_assert_cmpuint (focusables, >, 0);
  if (unnamed->len > 0)
    g_error ("Unnamed focusable widgets in %s:%s", where, unnamed->str);
}
