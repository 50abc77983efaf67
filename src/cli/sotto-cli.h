/* sotto-cli.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "sotto-engine.h"
#include "sotto-messenger.h"
#include "sotto-session.h"

G_BEGIN_DECLS

/* Exit statuses: failures of a command are 1, a command line that makes
 * no sense is 2. */
#define SOTTO_CLI_EXIT_OK 0
#define SOTTO_CLI_EXIT_FAILED 1
#define SOTTO_CLI_EXIT_USAGE 2

/* What receive waits for by default once the relay's queue is drained. */
#define SOTTO_CLI_DEFAULT_TIMEOUT 5

/* How many messages history prints by default. */
#define SOTTO_CLI_DEFAULT_LIMIT 50

typedef struct
{
  /* From the command line. */
  char *profile;
  gboolean json;
  char *relay;
  char *username;
  char *token;
  char *ca_file;
  char *trust_root;
  int timeout;
  int limit;
  gboolean message_requests;
  char *name;
  char *avatar;
  char **attach;
  char *download_dir;
  char *group;
  gboolean remove;
  const char *command;
  char **args;
  guint n_args;

  /* Opened by the commands that need them: the profile, and its
   * account's messenger, which the session owns. */
  SottoSession *session;
  SottoMessenger *messenger;
} SottoCli;

typedef int (*SottoCliCommandFunc) (SottoCli *cli);

void            sotto_cli_wait          (GAsyncResult  **result);
void            sotto_cli_result_cb     (GObject        *object,
                                         GAsyncResult   *result,
                                         gpointer        user_data);
int             sotto_cli_fail          (SottoCli       *cli,
                                         const char     *format,
                                         ...) G_GNUC_PRINTF (2, 3);
int             sotto_cli_fail_error    (SottoCli       *cli,
                                         const GError   *error,
                                         const char     *what);
void            sotto_cli_print_json    (JsonBuilder    *builder);
void            sotto_cli_add_string    (JsonBuilder    *builder,
                                         const char     *name,
                                         const char     *value);
char           *sotto_cli_format_time   (gint64          milliseconds);
gboolean        sotto_cli_unlock        (SottoCli       *cli,
                                         GError        **error);
gboolean        sotto_cli_load          (SottoCli       *cli,
                                         GError        **error);

SottoConversation *sotto_cli_find_conversation (SottoCli       *cli,
                                                const char     *username,
                                                gboolean        may_look_up,
                                                GError        **error) G_GNUC_WARN_UNUSED_RESULT;
const char     *sotto_cli_contact_label (SottoContact   *contact);

/* Replies, reactions, edits and deletion for everyone (sotto-cli-actions.c) */
int             sotto_cli_reply           (SottoCli *cli);
int             sotto_cli_react           (SottoCli *cli);
int             sotto_cli_edit            (SottoCli *cli);
int             sotto_cli_delete          (SottoCli *cli);
void            sotto_cli_add_message_type  (JsonBuilder       *builder,
                                             SottoMessage      *message);
void            sotto_cli_add_message_state (SottoCli          *cli,
                                             JsonBuilder       *builder,
                                             SottoConversation *conversation,
                                             SottoMessage      *message);
const char     *sotto_cli_action_type       (SottoMessageAction action);
char           *sotto_cli_snippet           (const char        *text) G_GNUC_WARN_UNUSED_RESULT;
void            sotto_cli_print_action      (SottoCli          *cli,
                                             SottoConversation *conversation,
                                             SottoMessageAction action,
                                             const char        *id,
                                             const char        *target_id,
                                             const char        *text,
                                             gint64             sent_at,
                                             SottoMessage      *message);

int             sotto_cli_register        (SottoCli *cli);
int             sotto_cli_whoami          (SottoCli *cli);
int             sotto_cli_send            (SottoCli *cli);
int             sotto_cli_receive         (SottoCli *cli);
int             sotto_cli_history         (SottoCli *cli);
int             sotto_cli_safety_number   (SottoCli *cli);
int             sotto_cli_verify          (SottoCli *cli);
int             sotto_cli_accept_identity (SottoCli *cli);
int             sotto_cli_reset_identity  (SottoCli *cli);
int             sotto_cli_accept          (SottoCli *cli);
int             sotto_cli_block           (SottoCli *cli);
int             sotto_cli_delete_request  (SottoCli *cli);
int             sotto_cli_profile         (SottoCli *cli);
int             sotto_cli_timer           (SottoCli *cli);
int             sotto_cli_trust_root      (SottoCli *cli);
gboolean        sotto_cli_check_trust_root (SottoCli      *cli,
                                            GError       **error);
void            sotto_cli_warn_trust_root_conflict (SottoCli *cli);
void            sotto_cli_print_timer_event (SottoCli       *cli,
                                             const char     *from,
                                             SottoMessage   *message);

/* Files with send and receive (sotto-cli-attachments.c): what became
 * of one attachment that receive saved, or why it did not save it
 * (@withheld, a static string). */
typedef struct
{
  char       *path;
  char       *sha256;
  char       *error;
  const char *withheld;
} SottoCliExport;

typedef void (*SottoCliFetchedFunc) (SottoCli          *cli,
                                     SottoConversation *conversation,
                                     SottoMessage      *message,
                                     GPtrArray         *exports,
                                     gpointer           data);

void            sotto_cli_export_free       (SottoCliExport    *export);
void            sotto_cli_print_export      (SottoCliExport    *export);
void            sotto_cli_send_start        (SottoCli          *cli,
                                             SottoConversation *conversation,
                                             const char        *text,
                                             GAsyncResult     **result);
void            sotto_cli_sweep_download_dir (SottoCli           *cli);
void            sotto_cli_fetch_attachments (SottoCli            *cli,
                                             SottoConversation   *conversation,
                                             SottoMessage        *message,
                                             SottoCliFetchedFunc  done,
                                             gpointer             data);
void            sotto_cli_add_attachments   (JsonBuilder       *builder,
                                             SottoMessage      *message,
                                             GPtrArray         *exports);
/* Groups (sotto-cli-group.c) */
int             sotto_cli_group           (SottoCli *cli);
int             sotto_cli_send_group      (SottoCli *cli);
int             sotto_cli_group_history   (SottoCli *cli);
void            sotto_cli_print_group_event (SottoCli        *cli,
                                             SottoGroup      *group,
                                             SottoGroupEvent *event);
SottoGroup     *sotto_cli_find_group      (SottoCli        *cli,
                                           const char      *name,
                                           GError         **error);

/* Replies, reactions, edits and deletion in groups (sotto-cli-group-actions.c) */
int             sotto_cli_group_reply     (SottoCli           *cli);
int             sotto_cli_group_change    (SottoCli           *cli,
                                           SottoMessageAction  action,
                                           const char         *text);
void            sotto_cli_add_group_message_changes (JsonBuilder     *builder,
                                                     SottoGroupEvent *event);
void            sotto_cli_print_group_change (SottoCli           *cli,
                                              SottoGroup         *group,
                                              SottoGroupEvent    *message,
                                              SottoMessageAction  action,
                                              const char         *author_name,
                                              const char         *id,
                                              const char         *text,
                                              gint64              sent_at);

void            sotto_cli_print_profile_change (SottoCli            *cli,
                                                SottoConversation   *conversation,
                                                SottoProfileChanges  changes);

G_END_DECLS
