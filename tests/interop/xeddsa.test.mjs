// xeddsa.test.mjs: Sotto's XEdDSA against libsignal's
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PrivateKey, PublicKey } from '@signalapp/libsignal-client';

import { Peer } from './lib/peer.mjs';
import { CASES, fromHex, random, randomBetween, toHex } from './lib/util.mjs';

let peer;

before(() => {
  peer = new Peer();
});

after(async () => {
  assert.deepEqual(await peer.close(), { code: 0, signal: null });
});

// Messages of every interesting size: empty, a public key (what signed
// prekeys sign), a Kyber public key (what Kyber prekeys sign) and random.
function randomMessage(i) {
  const lengths = [0, 1, 33, 1569];
  return random(i < lengths.length ? lengths[i] : randomBetween(0, 2048));
}

test('libsignal derives the same key pairs', async () => {
  for (let i = 0; i < CASES; i++) {
    const privateBytes = random(32);
    const ours = await peer.call({ op: 'keypair', private: toHex(privateBytes) });
    const theirs = PrivateKey.deserialize(privateBytes);
    assert.equal(ours.private, toHex(theirs.serialize()), `private ${toHex(privateBytes)}`);
    assert.equal(ours.public, toHex(theirs.getPublicKey().serialize()), `private ${toHex(privateBytes)}`);
  }
});

test('libsignal verifies signatures made by Sotto', async () => {
  for (let i = 0; i < CASES; i++) {
    const privateBytes = random(32);
    const message = randomMessage(i);
    const { public: publicHex } = await peer.call({ op: 'keypair', private: toHex(privateBytes) });
    const { signature } = await peer.call({
      op: 'xeddsa_sign', private: toHex(privateBytes), message: toHex(message), random: toHex(random(64)),
    });
    assert.equal(signature.length, 128);
    assert.ok(PublicKey.deserialize(fromHex(publicHex)).verify(message, fromHex(signature)),
              `private ${toHex(privateBytes)} message ${toHex(message)} signature ${signature}`);
  }
});

test('Sotto verifies signatures made by libsignal', async () => {
  for (let i = 0; i < CASES; i++) {
    const key = PrivateKey.generate();
    const message = randomMessage(i);
    const signature = key.sign(message);
    const { valid } = await peer.call({
      op: 'xeddsa_verify', public: toHex(key.getPublicKey().serialize()),
      message: toHex(message), signature: toHex(signature),
    });
    assert.equal(valid, true, `public ${toHex(key.getPublicKey().serialize())} message ${toHex(message)} signature ${toHex(signature)}`);
  }
});

// Flips one bit, drops the last byte or appends one: three different
// ways for a message to differ from the one that was signed.
function modify(message) {
  const choice = message.length === 0 ? 2 : randomBetween(0, 2);
  if (choice === 0) {
    const out = message.slice();
    const bit = randomBetween(0, 8 * out.length - 1);
    out[bit >> 3] ^= 1 << (bit & 7);
    return out;
  }
  if (choice === 1)
    return message.slice(0, message.length - 1);
  const out = new Uint8Array(message.length + 1);
  out.set(message);
  out[message.length] = randomBetween(0, 255);
  return out;
}

test('Sotto rejects libsignal signatures over a modified message', async () => {
  for (let i = 0; i < CASES; i++) {
    const key = PrivateKey.generate();
    const message = randomMessage(i);
    const signature = key.sign(message);
    const modified = modify(message);
    const { valid } = await peer.call({
      op: 'xeddsa_verify', public: toHex(key.getPublicKey().serialize()),
      message: toHex(modified), signature: toHex(signature),
    });
    assert.equal(valid, false, `public ${toHex(key.getPublicKey().serialize())} message ${toHex(modified)} signature ${toHex(signature)}`);
    assert.equal(key.getPublicKey().verify(modified, signature), false);
  }
});

test('Sotto and libsignal agree on signatures with one bit flipped', async () => {
  for (let i = 0; i < CASES; i++) {
    const key = PrivateKey.generate();
    const message = randomMessage(i);
    const signature = key.sign(message);
    const bit = randomBetween(0, 511);
    signature[bit >> 3] ^= 1 << (bit & 7);
    const { valid } = await peer.call({
      op: 'xeddsa_verify', public: toHex(key.getPublicKey().serialize()),
      message: toHex(message), signature: toHex(signature),
    });
    const expected = key.getPublicKey().verify(message, signature);
    assert.equal(expected, false);
    assert.equal(valid, expected, `public ${toHex(key.getPublicKey().serialize())} message ${toHex(message)} signature ${toHex(signature)}`);
  }
});
