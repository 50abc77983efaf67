// session-restart.test.mjs: a Sotto peer restarted from --state carries on
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// The peer writes every change the core makes through the store
// interface to its state directory.  Here it is stopped and started
// again at the awkward moments: between handing out a bundle and the
// first message, between processing a bundle and sending, and in the
// middle of a conversation with messages in flight both ways.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { PREKEY, WHISPER, exchange, pair, randomPlaintext } from './session-common.mjs';

const directories = [];
const closers = [];

after(async () => {
  for (const close of closers)
    await close();
  for (const directory of directories)
    rmSync(directory, { recursive: true, force: true });
});

function stateDirectory() {
  const directory = mkdtempSync(join(tmpdir(), 'sotto-peer-state-'));
  directories.push(directory);
  return directory;
}

async function newPair() {
  const sides = await pair({ stateDir: stateDirectory() });
  closers.push(() => sides.sotto.close());
  return sides;
}

async function send(from, count) {
  const sent = [];
  for (let i = 0; i < count; i++) {
    const plaintext = randomPlaintext();
    sent.push({ plaintext, message: await from.encrypt(plaintext) });
  }
  return sent;
}

async function receive(to, sent) {
  for (const { plaintext, message } of sent)
    assert.deepEqual(await to.decrypt(message), plaintext);
}

// Messages in flight both ways, some of them skipped over before the
// restart, so that skipped keys must survive it too.
async function restartMidConversation(libsignal, sotto) {
  const toSotto = await send(libsignal, 6);
  const toLibsignal = await send(sotto, 6);
  await receive(sotto, [toSotto[5], toSotto[2]]);
  await receive(libsignal, [toLibsignal[4]]);

  await sotto.restart();

  await receive(sotto, [toSotto[0], toSotto[4], toSotto[1], toSotto[3]]);
  await receive(libsignal, [toLibsignal[0], toLibsignal[5], toLibsignal[1], toLibsignal[2], toLibsignal[3]]);
  await assert.rejects(sotto.decrypt(toSotto[5].message), { code: 'duplicate_message' });
  for (let turn = 0; turn < 6; turn++) {
    await exchange(sotto, libsignal);
    await exchange(libsignal, sotto);
  }
}

test('libsignal initiates; Sotto restarts before the first message and mid-conversation', async () => {
  const { libsignal, sotto } = await newPair();
  const bundle = await sotto.bundle({ oneTime: true });
  await sotto.restart();

  await libsignal.start(bundle);
  const first = await send(libsignal, 3);
  assert.equal(first[0].message.type, PREKEY);
  await receive(sotto, [first[1]]);
  // The one-time prekey is gone for good; the repeats reuse the session.
  await sotto.restart();
  await receive(sotto, [first[0], first[2]]);

  await exchange(sotto, libsignal);
  await restartMidConversation(libsignal, sotto);
  await restartMidConversation(libsignal, sotto);
});

test('Sotto initiates; restarts while unacknowledged and mid-conversation', async () => {
  const { libsignal, sotto } = await newPair();
  await sotto.start(await libsignal.bundle({ oneTime: true }));
  await sotto.restart();

  const first = await send(sotto, 2);
  assert.equal(first[1].message.type, PREKEY);
  await sotto.restart();
  const more = await send(sotto, 1);
  assert.equal(more[0].message.type, PREKEY);
  await receive(libsignal, [...more, ...first]);

  const answer = await send(libsignal, 1);
  await sotto.restart();
  await receive(sotto, answer);
  assert.equal((await exchange(sotto, libsignal)).type, WHISPER);
  await restartMidConversation(libsignal, sotto);
});

test('a restarted peer answers init with the identity it has', async () => {
  const { sotto } = await newPair();
  const identity = sotto.identityPublic;
  await sotto.restart();
  const answer = await sotto.init();
  assert.deepEqual(sotto.identityPublic, identity);
  assert.equal(answer.identity_public.length, 66);
  await assert.rejects(sotto.peer.call({ op: 'init', name: sotto.name, device: sotto.device + 1 }),
                       { code: 'bad_state' });
});
