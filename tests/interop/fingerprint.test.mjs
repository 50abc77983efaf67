// fingerprint.test.mjs: Sotto's safety numbers against libsignal's
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Fingerprint, PrivateKey, ScannableFingerprint } from '@signalapp/libsignal-client';

import { Peer } from './lib/peer.mjs';
import { CASES, fromHex, random, randomBetween, toHex } from './lib/util.mjs';

let peer;

before(() => {
  peer = new Peer();
});

after(async () => {
  assert.deepEqual(await peer.close(), { code: 0, signal: null });
});

function randomParty() {
  return {
    id: random(randomBetween(1, 64)),
    key: PrivateKey.generate().getPublicKey(),
  };
}

async function both(iterations, version, local, remote) {
  const theirs = Fingerprint.new(iterations, version, local.id, local.key, remote.id, remote.key);
  const ours = await peer.call({
    op: 'fingerprint', iterations, version,
    local_id: toHex(local.id), local_key: toHex(local.key.serialize()),
    remote_id: toHex(remote.id), remote_key: toHex(remote.key.serialize()),
  });
  const context = `iterations ${iterations} version ${version} local ${toHex(local.id)}/${toHex(local.key.serialize())} remote ${toHex(remote.id)}/${toHex(remote.key.serialize())}`;
  assert.match(ours.displayable, /^[0-9]{60}$/);
  assert.equal(ours.displayable, theirs.displayableFingerprint().toString(), context);
  assert.equal(ours.scannable, toHex(theirs.scannableFingerprint().toBuffer()), context);
  return { ours, theirs };
}

async function checkPair(iterations, version) {
  const alice = randomParty();
  const bob = randomParty();
  const forward = await both(iterations, version, alice, bob);
  const backward = await both(iterations, version, bob, alice);

  // Both parties see the same number, and each one's scannable form
  // matches the other's.
  assert.equal(forward.ours.displayable, backward.ours.displayable);
  const ours = ScannableFingerprint._fromBuffer(fromHex(forward.ours.scannable));
  assert.ok(backward.theirs.scannableFingerprint().compare(ours));
  assert.ok(ours.compare(backward.theirs.scannableFingerprint()));
}

test('fingerprints equal libsignal’s for Signal’s parameters (5200 iterations, version 2)', async () => {
  for (let i = 0; i < CASES; i++)
    await checkPair(5200, 2);
});

test('fingerprints equal libsignal’s for other iterations and versions', async () => {
  for (let i = 0; i < CASES; i++)
    await checkPair(randomBetween(2, 64), randomBetween(0, 300));
});
