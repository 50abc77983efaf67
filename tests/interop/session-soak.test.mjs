// session-soak.test.mjs: long disordered conversations between Sotto and libsignal
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// In each role, 2500 messages go back and forth in random bursts.  One
// in ten is dropped, and the rest arrive in random order within a small
// window: a message waits at most a few deliveries, so that no chain is
// pushed out of the receiver's five-chain memory, which would be a
// genuine (and expected) loss rather than a failure.  Every delivered
// message must decrypt to what was sent.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { randomBetween } from './lib/util.mjs';
import { PREKEY, WHISPER, pair, randomPlaintext } from './session-common.mjs';

const MESSAGES = Math.max(2500, Number.parseInt(process.env.SOTTO_SOAK_MESSAGES ?? '2500', 10) || 2500);
const DROP_RATE = 0.1;
const WINDOW = 3;
const PATIENCE = 2;

const closers = [];

after(async () => {
  for (const close of closers)
    await close();
});

// Delivers one message from @queue (messages from @from to @to): usually
// a random one among the oldest WINDOW, but the oldest when it has been
// passed over PATIENCE times.
async function deliverOne(queue, to, counts) {
  const oldest = queue[0];
  const index = oldest.passed >= PATIENCE ? 0 : randomBetween(0, Math.min(WINDOW, queue.length) - 1);
  const [{ plaintext, message }] = queue.splice(index, 1);
  for (let i = 0; i < Math.min(WINDOW, queue.length) && i < index; i++)
    queue[i].passed++;
  assert.deepEqual(await to.decrypt(message), plaintext);
  counts.delivered++;
  counts.outOfOrder += index === 0 ? 0 : 1;
}

async function soak(initiator, responder) {
  await initiator.start(await responder.bundle({ oneTime: true }));
  const sides = [initiator, responder];
  const queues = [[], []];
  const counts = { sent: 0, dropped: 0, delivered: 0, outOfOrder: 0, types: { [PREKEY]: 0, [WHISPER]: 0 } };
  let responderHeard = false;

  while (counts.sent < MESSAGES || queues[0].length > 0 || queues[1].length > 0) {
    const canSend = counts.sent < MESSAGES;
    const pending = queues[0].length + queues[1].length;
    if (canSend && (pending === 0 || Math.random() < 0.45)) {
      // The responder can only answer once it has a session.
      const from = responderHeard && Math.random() < 0.5 ? 1 : 0;
      const burst = Math.min(randomBetween(1, 6), MESSAGES - counts.sent);
      for (let i = 0; i < burst; i++) {
        const plaintext = randomPlaintext();
        const message = await sides[from].encrypt(plaintext);
        counts.sent++;
        counts.types[message.type]++;
        if (Math.random() < DROP_RATE)
          counts.dropped++;
        else
          queues[from].push({ plaintext, message, passed: 0 });
      }
    } else {
      const direction = queues[0].length === 0 ? 1 : queues[1].length === 0 ? 0 : randomBetween(0, 1);
      await deliverOne(queues[direction], sides[1 - direction], counts);
      if (direction === 0)
        responderHeard = true;
    }
  }

  assert.equal(counts.delivered + counts.dropped, MESSAGES);
  assert.ok(counts.delivered >= 0.8 * MESSAGES, `only ${counts.delivered} delivered`);
  assert.ok(counts.outOfOrder > MESSAGES / 10, `only ${counts.outOfOrder} out of order`);
  assert.ok(counts.types[PREKEY] >= 1);
  assert.ok(counts.types[WHISPER] > MESSAGES / 2);
  return counts;
}

test(`libsignal initiates: ${MESSAGES} messages, reordered, ${DROP_RATE * 100} % dropped`, async (t) => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  const counts = await soak(libsignal, sotto);
  t.diagnostic(JSON.stringify(counts));
});

test(`Sotto initiates: ${MESSAGES} messages, reordered, ${DROP_RATE * 100} % dropped`, async (t) => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  const counts = await soak(sotto, libsignal);
  t.diagnostic(JSON.stringify(counts));
});
