/* relay-tls.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libwebsockets loads the certificate and key itself, but when that
 * fails it only logs OpenSSL's error and refuses to create its context,
 * which looks the same as a port that is in use.  The relay checks the
 * files first, with the same OpenSSL loaders, so that a bad file stops
 * it with a message that names the file and what is wrong with it.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-tls.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SSL_CTX, SSL_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)

/* The relay runs unattended: an encrypted key is refused rather than
 * OpenSSL asking for its passphrase on a terminal. */
static int
no_passphrase_cb (char *buffer,
                  int   size,
                  int   rwflag,
                  void *user_data)
{
  return 0;
}

/* OpenSSL's reason for the first error of a failure, such as "no start
 * line". */
static const char *
openssl_reason (void)
{
  unsigned long code = ERR_peek_error ();
  const char *reason = code != 0 ? ERR_reason_error_string (code) : NULL;

  return reason != NULL ? reason : "unknown error";
}

/* GLib's words for a missing or forbidden file are clearer than
 * OpenSSL's, and a directory would only show up as "no start line". */
static gboolean
check_readable (const char  *path,
                const char  *what,
                GError     **error)
{
  GStatBuf info;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int saved_errno = errno;

  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot read the TLS %s “%s”: %s", what, path, g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &info) != 0 || !S_ISREG (info.st_mode))
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "Cannot read the TLS %s “%s”: it is not a regular file", what, path);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
check_pem (const char  *certificate,
           const char  *key,
           GError     **error)
{
  g_autoptr(SSL_CTX) context = SSL_CTX_new (TLS_server_method ());
  g_autoptr(BIO) key_file = NULL;
  g_autoptr(EVP_PKEY) private_key = NULL;

  if (context == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "OpenSSL cannot set up TLS: %s", openssl_reason ());
      return FALSE;
    }
  /* libwebsockets reads the certificate with this very call, so a chain
   * (the certificate, then its intermediates) is accepted here too. */
  if (SSL_CTX_use_certificate_chain_file (context, certificate) != 1)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "The TLS certificate “%s” holds no PEM certificate chain (%s)",
                   certificate, openssl_reason ());
      return FALSE;
    }
  key_file = BIO_new_file (key, "r");
  if (key_file != NULL)
    private_key = PEM_read_bio_PrivateKey (key_file, NULL, no_passphrase_cb, NULL);
  if (private_key == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "The TLS key “%s” holds no unencrypted PEM private key (%s)",
                   key, openssl_reason ());
      return FALSE;
    }
  if (X509_check_private_key (SSL_CTX_get0_certificate (context), private_key) != 1)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "The TLS key “%s” does not belong to the certificate “%s”", key, certificate);
      return FALSE;
    }
  return TRUE;
}

/* Checks that the certificate chain and its private key can be read,
 * parse, and belong together: that libwebsockets can serve TLS with
 * them. */
gboolean
relay_tls_check_files (const char  *certificate,
                       const char  *key,
                       GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (certificate != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  ok = check_readable (certificate, "certificate", error) &&
       check_readable (key, "key", error) &&
       check_pem (certificate, key, error);
  /* OpenSSL's error queue belongs to the thread; leave it empty for
   * libwebsockets, which reads it after its own calls. */
  ERR_clear_error ();
  return ok;
}

/* Warns when the certificate has expired or will within
 * RELAY_TLS_EXPIRY_WARNING_DAYS, while there is still time to renew. */
void
relay_tls_warn_expiry (const char *certificate)
{
  g_autoptr(BIO) file = BIO_new_file (certificate, "r");
  X509 *leaf = file != NULL ? PEM_read_bio_X509 (file, NULL, no_passphrase_cb, NULL) : NULL;
  int days = 0, seconds = 0;

  if (leaf != NULL && ASN1_TIME_diff (&days, &seconds, NULL, X509_get0_notAfter (leaf)))
    {
      if (days < 0 || seconds < 0)
        g_warning ("The TLS certificate “%s” has expired", certificate);
      else if (days < RELAY_TLS_EXPIRY_WARNING_DAYS)
        g_warning ("The TLS certificate “%s” expires in %d days: renew it, then send the relay SIGHUP",
                   certificate, days);
    }
  X509_free (leaf);
  ERR_clear_error ();
}

/* Loads a renewed certificate and key into the context that serves new
 * connections; connections already open keep the session they have.
 * The files are checked first, so that a bad pair leaves the context
 * serving the old one. */
gboolean
relay_tls_reload (SSL_CTX     *context,
                  const char  *certificate,
                  const char  *key,
                  GError     **error)
{
  gboolean ok;

  if (!relay_tls_check_files (certificate, key, error))
    return FALSE;
  ok = SSL_CTX_use_certificate_chain_file (context, certificate) == 1 &&
       SSL_CTX_use_PrivateKey_file (context, key, SSL_FILETYPE_PEM) == 1 &&
       SSL_CTX_check_private_key (context) == 1;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 "OpenSSL cannot load the TLS certificate “%s” (%s)", certificate, openssl_reason ());
  ERR_clear_error ();
  return ok;
}
