/* sotto-qr-code.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-qr-code"

#include "config.h"

#include <glib/gi18n.h>
#include <qrencode.h>

#include "sotto-qr-code.h"

/* The QR specification asks for a quiet zone of four modules around the
 * symbol; scanners fail more often without it. */
#define QUIET_ZONE_MODULES 4
#define NATURAL_MODULE_PIXELS 5

struct _SottoQrCode
{
  GtkWidget parent_instance;

  GBytes *data;
  QRcode *code;
};

enum {
  PROP_0,
  PROP_DATA,
  PROP_MODULES,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoQrCode, sotto_qr_code, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

GtkWidget *
sotto_qr_code_new (void)
{
  return g_object_new (SOTTO_TYPE_QR_CODE, NULL);
}

static guint
sotto_qr_code_get_symbol_width (SottoQrCode *self)
{
  return self->code != NULL ? (guint) self->code->width : 0;
}

static void
sotto_qr_code_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  SottoQrCode *self = SOTTO_QR_CODE (widget);
  guint modules = sotto_qr_code_get_symbol_width (self) + 2 * QUIET_ZONE_MODULES;

  /* One pixel per module is the least that still scans. */
  *minimum = modules;
  *natural = modules * NATURAL_MODULE_PIXELS;
}

static void
sotto_qr_code_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  static const GdkRGBA light = { 1.0, 1.0, 1.0, 1.0 };
  static const GdkRGBA dark = { 0.0, 0.0, 0.0, 1.0 };
  SottoQrCode *self = SOTTO_QR_CODE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  guint symbol = sotto_qr_code_get_symbol_width (self);
  guint modules = symbol + 2 * QUIET_ZONE_MODULES;
  float module_size;
  float origin_x;
  float origin_y;

  if (self->code == NULL)
    return;

  /* Whole pixels per module keep every edge sharp: a module never
   * straddles a pixel boundary, at any scale the widget is given. */
  module_size = MAX (1, MIN (width, height) / (int) modules);
  origin_x = floorf ((width - module_size * modules) / 2.0f);
  origin_y = floorf ((height - module_size * modules) / 2.0f);

  /* Dark on light whatever the style: scanners expect it. */
  gtk_snapshot_append_color (snapshot, &light,
                             &GRAPHENE_RECT_INIT (origin_x, origin_y,
                                                  module_size * modules,
                                                  module_size * modules));

  for (guint row = 0; row < symbol; row++)
    {
      const unsigned char *line = self->code->data + row * symbol;
      guint column = 0;

      /* Runs of dark modules become one rectangle each, which keeps the
       * render node count low and avoids hairlines between neighbours. */
      while (column < symbol)
        {
          guint start;

          if (!(line[column] & 1))
            {
              column++;
              continue;
            }

          start = column;
          while (column < symbol && (line[column] & 1))
            column++;

          gtk_snapshot_append_color (snapshot, &dark,
                                     &GRAPHENE_RECT_INIT (origin_x + (start + QUIET_ZONE_MODULES) * module_size,
                                                          origin_y + (row + QUIET_ZONE_MODULES) * module_size,
                                                          (column - start) * module_size,
                                                          module_size));
        }
    }
}

static void
sotto_qr_code_finalize (GObject *object)
{
  SottoQrCode *self = (SottoQrCode *) object;

  g_clear_pointer (&self->code, QRcode_free);
  g_clear_pointer (&self->data, g_bytes_unref);

  G_OBJECT_CLASS (sotto_qr_code_parent_class)->finalize (object);
}

static void
sotto_qr_code_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SottoQrCode *self = SOTTO_QR_CODE (object);

  switch (prop_id)
    {
    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;

    case PROP_MODULES:
      g_value_set_uint (value, sotto_qr_code_get_modules (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_qr_code_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  SottoQrCode *self = SOTTO_QR_CODE (object);

  switch (prop_id)
    {
    case PROP_DATA:
      sotto_qr_code_set_data (self, g_value_get_boxed (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_qr_code_class_init (SottoQrCodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sotto_qr_code_finalize;
  object_class->get_property = sotto_qr_code_get_property;
  object_class->set_property = sotto_qr_code_set_property;

  widget_class->measure = sotto_qr_code_measure;
  widget_class->snapshot = sotto_qr_code_snapshot;

  /**
   * SottoQrCode:data:
   *
   * The bytes the code carries, encoded in 8-bit mode.
   */
  properties [PROP_DATA] =
    g_param_spec_boxed ("data", NULL, NULL,
                        G_TYPE_BYTES,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * SottoQrCode:modules:
   *
   * The width of the symbol in modules, without the quiet zone; 0 when
   * there is no data.
   */
  properties [PROP_MODULES] =
    g_param_spec_uint ("modules", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "qrcode");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sotto_qr_code_init (SottoQrCode *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("QR code"),
                                  -1);
}

GBytes *
sotto_qr_code_get_data (SottoQrCode *self)
{
  g_return_val_if_fail (SOTTO_IS_QR_CODE (self), NULL);

  return self->data;
}

void
sotto_qr_code_set_data (SottoQrCode *self,
                        GBytes      *data)
{
  QRcode *code = NULL;
  guint modules_before;

  g_return_if_fail (SOTTO_IS_QR_CODE (self));

  if (self->data == data || (self->data != NULL && data != NULL && g_bytes_equal (self->data, data)))
    return;

  if (data != NULL && g_bytes_get_size (data) > 0)
    {
      gsize size;
      const guint8 *bytes = g_bytes_get_data (data, &size);

      /* Medium error correction survives a smudged screen or a phone
       * held at an angle without making the symbol much denser. */
      code = QRcode_encodeData ((int) size, bytes, 0, QR_ECLEVEL_M);
      if (code == NULL)
        g_warning ("Could not encode %" G_GSIZE_FORMAT " bytes as a QR code", size);
    }

  modules_before = sotto_qr_code_get_symbol_width (self);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->code, QRcode_free);
  self->data = data != NULL ? g_bytes_ref (data) : NULL;
  self->code = code;

  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DATA]);
  if (sotto_qr_code_get_symbol_width (self) != modules_before)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MODULES]);
}

guint
sotto_qr_code_get_modules (SottoQrCode *self)
{
  g_return_val_if_fail (SOTTO_IS_QR_CODE (self), 0);

  return sotto_qr_code_get_symbol_width (self);
}
