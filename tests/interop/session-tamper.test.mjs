// session-tamper.test.mjs: damaged messages are refused on both sides, and
// the conversation goes on
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// A SignalMessage is authenticated byte for byte (its MAC covers the
// version byte and the whole protobuf), so any change to it must be
// refused.  A PreKeySignalMessage is not: its registration id and the low
// nibble of its version byte are read by nobody who could be fooled, so
// changes there are accepted by libsignal as by Sotto.  For those
// messages the damage goes to what the session depends on: the base key
// and the embedded SignalMessage and, for the first one, which sets the
// session up, the identity key and the Kyber ciphertext too (a repeated
// one finds its session by the base key and uses neither).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import * as pb from './lib/protobuf.mjs';
import { randomBetween } from './lib/util.mjs';
import { PREKEY, WHISPER, exchange, pair, randomPlaintext } from './session-common.mjs';

const CASES = 60;

// What Sotto may answer to a damaged message: never success.
const SOTTO_REFUSALS = new Set([
  'bad_mac', 'malformed', 'invalid_message', 'version_mismatch', 'duplicate_message',
  'too_far_ahead', 'invalid_key', 'missing_prekey', 'bad_padding', 'identity_changed',
]);

const closers = [];

after(async () => {
  for (const close of closers)
    await close();
});

// The byte ranges of a PreKeySignalMessage that a change must break.
function protectedRanges(body, first) {
  const fields = pb.decode(body.slice(1));
  const ranges = [];
  for (const field of first ? [2, 3, 4, 8] : [2, 4]) {
    const value = pb.one(fields, field);
    const start = indexOf(body, value);
    ranges.push([start, start + value.length]);
  }
  return ranges;
}

function indexOf(haystack, needle) {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++)
      if (haystack[i + j] !== needle[j])
        continue outer;
    return i;
  }
  throw new Error('field not found');
}

// One random kind of damage: a flipped bit (where it matters), a cut, or
// an extra byte.
function damage(message, first) {
  const body = new Uint8Array(message.body);
  const kind = randomBetween(0, 9);
  if (kind === 0)
    return { ...message, body: body.slice(0, randomBetween(0, body.length - 1)) };
  if (kind === 1)
    return { ...message, body: new Uint8Array([...body, randomBetween(0, 255)]) };
  let position;
  if (message.type === PREKEY) {
    const ranges = protectedRanges(body, first);
    const [start, end] = ranges[randomBetween(0, ranges.length - 1)];
    position = randomBetween(start, end - 1);
  } else {
    position = randomBetween(0, body.length - 1);
  }
  body[position] ^= 1 << randomBetween(0, 7);
  return { ...message, body };
}

async function assertSottoRefuses(sotto, message) {
  await assert.rejects(sotto.decrypt(message), (error) => {
    assert.ok(SOTTO_REFUSALS.has(error.code), `unexpected ${error.code}: ${error.message}`);
    return true;
  });
}

async function assertLibsignalRefuses(libsignal, message) {
  await assert.rejects(libsignal.decrypt(message));
}

// Every message from @from to @to is first delivered damaged (refused),
// then intact (accepted), through the PreKey phase and beyond.
async function tamperRun(initiator, responder, refuses, receiverIsResponder) {
  await initiator.start(await responder.bundle({ oneTime: true }));
  const [from, to] = receiverIsResponder ? [initiator, responder] : [responder, initiator];
  if (!receiverIsResponder)
    await exchange(initiator, responder);

  const seen = { [PREKEY]: 0, [WHISPER]: 0 };
  for (let i = 0; i < CASES; i++) {
    const plaintext = randomPlaintext();
    const message = await from.encrypt(plaintext);
    seen[message.type]++;
    await refuses(to, damage(message, i === 0));
    assert.deepEqual(await to.decrypt(message), plaintext);
    // A duplicate is refused too.
    if (i % 10 === 0)
      await refuses(to, message);
    // Turn the ratchet now and then, so that new chains get damaged too.
    if (i % 7 === 6)
      await exchange(to, from);
  }
  if (receiverIsResponder)
    assert.ok(seen[PREKEY] > 0);
  assert.ok(seen[WHISPER] > 0);
}

test('Sotto refuses damaged messages from libsignal (libsignal initiates)', async () => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  await tamperRun(libsignal, sotto, assertSottoRefuses, true);
});

test('Sotto refuses damaged messages from libsignal (Sotto initiates)', async () => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  await tamperRun(sotto, libsignal, assertSottoRefuses, false);
});

test('libsignal refuses damaged messages from Sotto (Sotto initiates)', async () => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  await tamperRun(sotto, libsignal, assertLibsignalRefuses, true);
});

test('libsignal refuses damaged messages from Sotto (libsignal initiates)', async () => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  await tamperRun(libsignal, sotto, assertLibsignalRefuses, false);
});

// The specific refusals the issue names, as codes.
test('Sotto names what is wrong', async () => {
  const { libsignal, sotto } = await pair();
  closers.push(() => sotto.close());
  await libsignal.start(await sotto.bundle({ oneTime: true }));
  await exchange(libsignal, sotto);
  await exchange(sotto, libsignal);

  const message = await libsignal.encrypt(randomPlaintext());
  assert.equal(message.type, WHISPER);
  const badMac = new Uint8Array(message.body);
  badMac[badMac.length - 1] ^= 0x80;
  await assert.rejects(sotto.decrypt({ ...message, body: badMac }), { code: 'bad_mac' });
  await assert.rejects(sotto.decrypt({ ...message, body: message.body.slice(0, 5) }), { code: 'malformed' });
  await sotto.decrypt(message);
  await assert.rejects(sotto.decrypt(message), { code: 'duplicate_message' });
  await assert.rejects(sotto.peer.call({ op: 'decrypt', peer: libsignal.address.name(),
                                         device: libsignal.address.deviceId(), type: 2, ciphertext: 'zz' }),
                       { code: 'malformed_request' });
});
