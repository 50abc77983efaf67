/* chat-test-util.h: two people on a real relay, for the widgets that show
 * what they say to each other
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-test-util.h"
#include "sotto-conversation.h"
#include "sotto-group.h"
#include "sotto-session.h"

G_BEGIN_DECLS

/* Alice and Bob, each a session on a profile of their own, registered on
 * the same sotto-relay and online. */
typedef struct
{
  char *relay_data;
  TestRelay *relay;
  char *alice_profile;
  char *bob_profile;
  SottoSession *alice;
  SottoSession *bob;
} ChatTest;

void               chat_test_set_up    (ChatTest          *test,
                                        gconstpointer      data);
void               chat_test_tear_down (ChatTest          *test,
                                        gconstpointer      data);
SottoConversation *chat_test_open      (SottoSession      *session,
                                        const char        *username) G_GNUC_WARN_UNUSED_RESULT;
void               chat_test_send      (SottoSession      *session,
                                        SottoConversation *conversation,
                                        const char        *text);
SottoConversation *chat_test_receive   (SottoSession      *session,
                                        const char        *username,
                                        const char        *text) G_GNUC_WARN_UNUSED_RESULT;
void               chat_test_accept    (SottoSession      *session,
                                        SottoConversation *conversation);

SottoGroup        *chat_test_create_group (SottoSession *session,
                                           const char   *title,
                                           const char   *member);
void               chat_test_send_to_group (SottoSession *session,
                                            SottoGroup   *group,
                                            const char   *text);
gboolean           chat_test_group_ends_with (SottoGroup *group,
                                              const char *text);

G_END_DECLS
