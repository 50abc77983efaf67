/* sotto-relay-trust.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-trust"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-relay-client-private.h"
#include "sotto-relay-trust-private.h"

/* Whom a relay's certificate must chain to.  By default that is the
 * system's CAs, as GIO's TLS backend knows them.  A relay with a private
 * CA (a company's, a test deployment's) is trusted through that CA
 * alone, which the profile keeps in its encrypted store: SottoRelayTrust
 * is a TLS database that holds those certificates in memory, since GIO
 * makes databases only from files.  SSL_CERT_FILE replaces the system's
 * CAs, as it does for OpenSSL, which glib-networking does not do by
 * itself. */

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

struct _SottoRelayTrust
{
  GTlsDatabase parent_instance;

  GPtrArray *anchors;
};

G_DEFINE_FINAL_TYPE (SottoRelayTrust, sotto_relay_trust, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
sotto_relay_trust_verify_chain (GTlsDatabase             *database,
                                GTlsCertificate          *chain,
                                const char               *purpose,
                                GSocketConnectable       *identity,
                                GTlsInteraction          *interaction,
                                GTlsDatabaseVerifyFlags   flags,
                                GCancellable             *cancellable,
                                GError                  **error)
{
  SottoRelayTrust *self = SOTTO_RELAY_TRUST (database);
  GTlsCertificateFlags result = G_TLS_CERTIFICATE_UNKNOWN_CA;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return G_TLS_CERTIFICATE_GENERIC_ERROR;

  /* The chain is good if one of the anchors signed it and it names the
   * relay's host; otherwise the flags say what is wrong with it. */
  for (guint i = 0; i < self->anchors->len; i++)
    {
      result = g_tls_certificate_verify (chain, identity, g_ptr_array_index (self->anchors, i));
      if (result == 0)
        break;
    }

  return result;
}

static void
sotto_relay_trust_finalize (GObject *object)
{
  SottoRelayTrust *self = (SottoRelayTrust *)object;

  g_clear_pointer (&self->anchors, g_ptr_array_unref);

  G_OBJECT_CLASS (sotto_relay_trust_parent_class)->finalize (object);
}

static void
sotto_relay_trust_class_init (SottoRelayTrustClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = sotto_relay_trust_finalize;
  database_class->verify_chain = sotto_relay_trust_verify_chain;
}

static void
sotto_relay_trust_init (SottoRelayTrust *self)
{
  self->anchors = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * _sotto_relay_trust_new_from_pem:
 * @pem: one or more certificates in PEM
 * @error: a location for a #GError
 *
 * Returns: (transfer full): a database that trusts exactly the
 *   certificates in @pem, or %NULL with @error set if one of them is not
 *   a certificate or there are none
 */
GTlsDatabase *
_sotto_relay_trust_new_from_pem (const char  *pem,
                                 GError     **error)
{
  g_autoptr(SottoRelayTrust) self = g_object_new (SOTTO_TYPE_RELAY_TRUST, NULL);
  const char *begin;

  g_return_val_if_fail (pem != NULL, NULL);

  for (begin = strstr (pem, PEM_BEGIN); begin != NULL; begin = strstr (begin, PEM_BEGIN))
    {
      g_autoptr(GTlsCertificate) certificate = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *end = strstr (begin, PEM_END);

      if (end != NULL)
        certificate = g_tls_certificate_new_from_pem (begin, end + strlen (PEM_END) - begin, &local_error);

      if (certificate == NULL)
        {
          g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_CA,
                       _("The relay’s CA is not a PEM certificate: %s"),
                       local_error != NULL ? local_error->message : _("it does not end"));
          return NULL;
        }

      g_ptr_array_add (self->anchors, g_steal_pointer (&certificate));
      begin = end;
    }

  if (self->anchors->len == 0)
    {
      g_set_error_literal (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_CA,
                           _("The relay’s CA is not a PEM certificate: there is none"));
      return NULL;
    }

  return G_TLS_DATABASE (g_steal_pointer (&self));
}

/**
 * _sotto_relay_trust_from_environment:
 * @error: a location for a #GError
 *
 * Returns: (transfer full) (nullable): a database of the CAs in the file
 *   that SSL_CERT_FILE names, or %NULL for the system's, with @error set
 *   if that file cannot be read
 */
GTlsDatabase *
_sotto_relay_trust_from_environment (GError **error)
{
  const char *path = g_getenv ("SSL_CERT_FILE");
  g_autoptr(GError) local_error = NULL;
  GTlsDatabase *database;

  if (path == NULL || *path == '\0')
    return NULL;

  database = g_tls_file_database_new (path, &local_error);
  if (database == NULL)
    g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_CA,
                 _("SSL_CERT_FILE names %s, which has no CA certificates: %s"),
                 path, local_error->message);

  return database;
}
