// peer-protocol.test.mjs: sotto-peer's JSON-lines interface itself
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Every line gets exactly one answer, a bad line an error object with a
// stable code, and nothing a client sends ends the process early.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Peer } from './lib/peer.mjs';
import { CASES, random, randomBetween, toHex } from './lib/util.mjs';

let peer;

before(() => {
  peer = new Peer();
});

after(async () => {
  assert.deepEqual(await peer.close(), { code: 0, signal: null });
});

async function expectError(line, code) {
  const answer = await peer.sendLine(line);
  assert.equal(answer.error, code, `answer to ${line.slice(0, 200)}: ${JSON.stringify(answer)}`);
  assert.equal(typeof answer.message, 'string');
  assert.ok(answer.message.length > 0);
}

const PRIVATE = '00'.repeat(32);

test('bad requests are answered with malformed_request', async () => {
  const lines = [
    '',
    'not json',
    '{"op": "keypair"',
    '[]',
    '"keypair"',
    '42',
    'null',
    '{}',
    '{"op": 5}',
    '{"op": null}',
    '{"op": "keypair"}',
    '{"op": "keypair", "private": 7}',
    `{"op": "keypair", "private": "${PRIVATE.slice(1)}"}`,
    `{"op": "keypair", "private": "${PRIVATE.slice(2)}"}`,
    `{"op": "keypair", "private": "${PRIVATE}00"}`,
    `{"op": "keypair", "private": "${PRIVATE.slice(2)}zz"}`,
    `{"op": "keypair", "private": " ${PRIVATE.slice(1)}"}`,
    `{"op": "xeddsa_sign", "private": "${PRIVATE}", "message": "", "random": "00"}`,
    `{"op": "fingerprint", "iterations": -1, "version": 2, "local_id": "", "local_key": "", "remote_id": "", "remote_key": ""}`,
    `{"op": "fingerprint", "iterations": 1.5, "version": 2, "local_id": "", "local_key": "", "remote_id": "", "remote_key": ""}`,
    `{"op": "fingerprint", "iterations": 5200, "version": 4294967296, "local_id": "", "local_key": "", "remote_id": "", "remote_key": ""}`,
    `{"op": "fingerprint", "iterations": "5200", "version": 2, "local_id": "", "local_key": "", "remote_id": "", "remote_key": ""}`,
    `{"op": "kyber_keypair", "seed": "${'00'.repeat(63)}"}`,
    `{"op": "kyber_encapsulate", "public": "08", "random": "${'00'.repeat(31)}"}`,
    '{"op": "keypair", "private": "\u0000"}',
    `{"op": "keypair", "private": "${PRIVATE}"}\u0000{"op": "keypair"}`,
    '{"op": "kyber_decapsulate", "secret": "", "ciphertext": {}}',
    `{"op": "keypair", "private": "${'0'.repeat(1 << 20)}x"}`,
    '['.repeat(1 << 20),
    `{"op": "keypair", "private": ${'{"a":'.repeat(100000)}1${'}'.repeat(100000)}}`,
  ];
  for (const line of lines)
    await expectError(line, 'malformed_request');
});

test('unknown operations are answered with unknown_op', async () => {
  for (const op of ['', 'KEYPAIR', 'keypair ', 'nope', 'x'.repeat(10000)])
    await expectError(JSON.stringify({ op, private: PRIVATE }), 'unknown_op');
});

test('the core’s errors keep their codes', async () => {
  const pub = '05' + '09'.repeat(32);
  const fingerprint = { op: 'fingerprint', version: 2, local_id: '01', local_key: pub, remote_id: '02', remote_key: pub };
  const badKey = ['invalid_key', 'malformed'];
  const cases = [
    [{ op: 'xeddsa_verify', public: '06' + '09'.repeat(32), message: '', signature: '00'.repeat(64) }, badKey],
    [{ op: 'xeddsa_verify', public: '09'.repeat(32), message: '', signature: '00'.repeat(64) }, badKey],
    [{ ...fingerprint, iterations: 1 }, ['invalid_argument']],
    [{ ...fingerprint, iterations: 1000001 }, ['invalid_argument']],
    [{ ...fingerprint, iterations: 2, local_key: '05' }, badKey],
    [{ op: 'kyber_encapsulate', public: '07' + '00'.repeat(1568), random: '00'.repeat(32) }, ['invalid_key']],
    [{ op: 'kyber_encapsulate', public: '08' + '00'.repeat(1567), random: '00'.repeat(32) }, ['invalid_key']],
  ];
  for (const [request, codes] of cases) {
    const answer = await peer.sendLine(JSON.stringify(request));
    assert.ok(codes.includes(answer.error), `${JSON.stringify(request).slice(0, 200)}: ${JSON.stringify(answer)}`);
    assert.ok(answer.message.length > 0);
  }

  // Decapsulation refuses wrong lengths and types, whichever code it
  // picks for which; the answer is an error either way.
  const { public: kyberPublic, secret } = await peer.call({ op: 'kyber_keypair', seed: '00'.repeat(64) });
  const { ciphertext } = await peer.call({ op: 'kyber_encapsulate', public: kyberPublic, random: '00'.repeat(32) });
  for (const request of [
    { op: 'kyber_decapsulate', secret: secret.slice(0, -2), ciphertext },
    { op: 'kyber_decapsulate', secret: '07' + secret.slice(2), ciphertext },
    { op: 'kyber_decapsulate', secret, ciphertext: ciphertext.slice(0, -2) },
    { op: 'kyber_decapsulate', secret, ciphertext: '07' + ciphertext.slice(2) },
  ]) {
    const answer = await peer.sendLine(JSON.stringify(request));
    assert.ok(['invalid_key', 'malformed'].includes(answer.error), JSON.stringify(answer));
  }
});

test('answers use lowercase hex and accept uppercase', async () => {
  const answer = await peer.call({ op: 'keypair', private: 'AB'.repeat(32) });
  assert.match(answer.private, /^[0-9a-f]{64}$/);
  assert.match(answer.public, /^05[0-9a-f]{64}$/);
  assert.equal(answer.private, 'a8' + 'ab'.repeat(30) + '6b');
  const { valid } = await peer.call({ op: 'xeddsa_verify', public: answer.public, message: '', signature: '00'.repeat(64) });
  assert.equal(valid, false);
});

test('random lines never stop the peer', async () => {
  for (let i = 0; i < CASES; i++) {
    // Random bytes without a newline, so that each is one line.
    const bytes = random(randomBetween(0, 300)).map((byte) => (byte === 0x0a ? 0x20 : byte));
    const answer = await peer.sendLine(bytes);
    assert.equal(typeof answer.error, 'string', toHex(bytes));
  }
  const answer = await peer.call({ op: 'keypair', private: PRIVATE });
  assert.equal(answer.public.length, 66);
});
