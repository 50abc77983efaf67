// group.test.mjs: sender keys between Sotto and libsignal, both ways
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// One side creates its sender key and hands the other its distribution
// message; then it sends 2,000 group messages, which arrive in a random
// order (any order of 2,000 stays within the 2,000 skipped keys a
// receiver keeps), some first damaged and some twice.  A damaged message
// and a repeated one must be refused, and refusing them must change
// nothing: every genuine message still decrypts to what was sent.
// Messages crafted from the spec's chain then show that Sotto and
// libsignal agree at the limits, and a restarted peer carries its sender
// keys on.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import {
  CiphertextMessageType,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderKeyDistributionMessage,
  SenderKeyMessage,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';

import * as pb from './lib/protobuf.mjs';
import { SenderChain } from './lib/sender-chain.mjs';
import { equalBytes, fromHex, random, randomBetween, toHex } from './lib/util.mjs';
import { LibsignalSide, SottoSide, randomPlaintext } from './session-common.mjs';

const MESSAGES = Math.max(2000, Number.parseInt(process.env.SOTTO_GROUP_MESSAGES ?? '2000', 10) || 2000);
const TAMPER_RATE = 0.2;
const DUPLICATE_RATE = 0.1;

// What Sotto may answer to a damaged message: never success.
const SOTTO_REFUSALS = new Set([
  'invalid_signature', 'malformed', 'invalid_message', 'invalid_key', 'no_sender_key',
  'version_mismatch', 'duplicate_message', 'too_far_ahead', 'bad_padding',
]);

const directories = [];
const closers = [];

after(async () => {
  for (const close of closers)
    await close();
  for (const directory of directories)
    rmSync(directory, { recursive: true, force: true });
});

async function newSotto({ stateDir = null } = {}) {
  const sotto = new SottoSide({ stateDir });
  await sotto.init();
  closers.push(() => sotto.close());
  return sotto;
}

// Sotto's group operations, named after libsignal's.
const sottoGroup = {
  async create(sotto, distributionId) {
    const answer = await sotto.peer.call({ op: 'sender_key_create', distribution_id: distributionId });
    return fromHex(answer.distribution_message);
  },

  async process(sotto, sender, message) {
    const answer = await sotto.peer.call({
      op: 'sender_key_process', peer: sender.name(), device: sender.deviceId(), distribution_message: toHex(message),
    });
    assert.equal(answer.ok, true);
  },

  async encrypt(sotto, distributionId, plaintext) {
    const answer = await sotto.peer.call({ op: 'group_encrypt', distribution_id: distributionId, plaintext: toHex(plaintext) });
    return fromHex(answer.ciphertext);
  },

  // The plaintext, or the error code.
  async decrypt(sotto, sender, message) {
    const answer = await sotto.peer.sendLine(JSON.stringify({
      op: 'group_decrypt', peer: sender.name(), device: sender.deviceId(), ciphertext: toHex(message),
    }));
    return answer.error !== undefined ? { error: answer.error } : { plaintext: fromHex(answer.plaintext) };
  },
};

async function libsignalDecrypt(party, sender, message) {
  try {
    return { plaintext: await groupDecrypt(sender, party.senderKeys, message) };
  } catch (error) {
    return { error: error.message };
  }
}

// A flipped bit, a cut or an extra byte: the signature covers every byte
// before it, and a message of another length moves the signature.
function damage(message) {
  switch (randomBetween(0, 2)) {
    case 0: {
      const copy = message.slice();
      const bit = randomBetween(0, copy.length * 8 - 1);
      copy[bit >> 3] ^= 1 << (bit & 7);
      return copy;
    }
    case 1:
      return message.slice(0, randomBetween(0, message.length - 1));
    default:
      return Uint8Array.from([...message, randomBetween(0, 255)]);
  }
}

function shuffle(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBetween(0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// Delivers @sent in random order through @decrypt (which answers
// { plaintext } or { error }), damaging and repeating some messages.
async function deliverDisordered(sent, decrypt, isRefusal) {
  let damaged = 0;
  let repeated = 0;
  let outOfOrder = 0;
  let highest = -1;
  for (const index of shuffle([...sent.keys()])) {
    const { plaintext, message } = sent[index];
    if (index < highest)
      outOfOrder++;
    highest = Math.max(highest, index);
    if (Math.random() < TAMPER_RATE) {
      const result = await decrypt(damage(message));
      assert.ok(result.error !== undefined && isRefusal(result.error),
                `damaged message ${index} was not refused: ${JSON.stringify(result)}`);
      damaged++;
    }
    const result = await decrypt(message);
    assert.equal(result.error, undefined, `message ${index} failed: ${result.error}`);
    assert.deepEqual(result.plaintext, plaintext, `message ${index} decrypted to something else`);
    if (Math.random() < DUPLICATE_RATE) {
      const again = await decrypt(message);
      assert.ok(again.error !== undefined && isRefusal(again.error), `repeated message ${index} was accepted`);
      repeated++;
    }
  }
  // Enough of each kind happened to mean something.
  assert.ok(damaged > sent.length * TAMPER_RATE / 2, `only ${damaged} damaged deliveries`);
  assert.ok(repeated > sent.length * DUPLICATE_RATE / 2, `only ${repeated} repeated deliveries`);
  assert.ok(outOfOrder > sent.length / 4, `only ${outOfOrder} out of order`);
}

test('libsignal sends 2000 group messages; Sotto reads them out of order and refuses damage and duplicates', async () => {
  const libsignal = new LibsignalSide();
  const sotto = await newSotto();
  const distributionId = randomUUID();

  const distribution = await SenderKeyDistributionMessage.create(libsignal.address, distributionId,
                                                                 libsignal.party.senderKeys);
  await sottoGroup.process(sotto, libsignal.address, distribution.serialize());

  const sent = [];
  for (let i = 0; i < MESSAGES; i++) {
    const plaintext = randomPlaintext();
    const message = await groupEncrypt(libsignal.address, distributionId, libsignal.party.senderKeys, plaintext);
    assert.equal(message.type(), CiphertextMessageType.SenderKey);
    sent.push({ plaintext, message: message.serialize() });
  }

  await deliverDisordered(sent, (message) => sottoGroup.decrypt(sotto, libsignal.address, message),
                          (code) => SOTTO_REFUSALS.has(code));

  // Every message was used once: each one is now a duplicate.
  for (const index of [0, MESSAGES >> 1, MESSAGES - 1])
    assert.deepEqual(await sottoGroup.decrypt(sotto, libsignal.address, sent[index].message),
                     { error: 'duplicate_message' });
});

test('Sotto sends 2000 group messages; libsignal reads them out of order and refuses damage and duplicates', async () => {
  const libsignal = new LibsignalSide();
  const sotto = await newSotto();
  const distributionId = randomUUID();

  const distribution = await sottoGroup.create(sotto, distributionId);
  await processSenderKeyDistributionMessage(sotto.address, SenderKeyDistributionMessage.deserialize(distribution),
                                            libsignal.party.senderKeys);
  const signingKey = PublicKey.deserialize(pb.one(pb.decode(distribution.slice(1)), 5));

  const sent = [];
  for (let i = 0; i < MESSAGES; i++) {
    const plaintext = randomPlaintext();
    const message = await sottoGroup.encrypt(sotto, distributionId, plaintext);
    const parsed = SenderKeyMessage.deserialize(message);
    assert.equal(parsed.iteration(), i);
    assert.equal(parsed.distributionId(), distributionId);
    if (i % 100 === 0)
      assert.ok(parsed.verifySignature(signingKey));
    sent.push({ plaintext, message });
  }

  await deliverDisordered(sent, (message) => libsignalDecrypt(libsignal.party, sotto.address, message),
                          () => true);
});

test('distribution and group messages are byte for byte what libsignal writes', async () => {
  const sotto = await newSotto();
  const distributionId = randomUUID();
  const bytes = await sottoGroup.create(sotto, distributionId);

  // Asking again returns the same key, now and after sending.
  assert.deepEqual(await sottoGroup.create(sotto, distributionId), bytes);

  const parsed = SenderKeyDistributionMessage.deserialize(bytes);
  const fields = pb.decode(bytes.slice(1));
  const signingKey = PublicKey.deserialize(pb.one(fields, 5));
  assert.equal(bytes[0], 0x33);
  assert.equal(parsed.distributionId(), distributionId);
  assert.equal(parsed.iteration(), 0);
  assert.ok(parsed.chainId() < 2 ** 31, 'chain ids are 31 bits');
  assert.deepEqual(SenderKeyDistributionMessage._new(3, distributionId, parsed.chainId(), parsed.iteration(),
                                                     parsed.chainKey(), signingKey).serialize(), bytes);

  // A group message: everything but the (randomised) signature is what
  // libsignal writes for the same fields.
  const message = await sottoGroup.encrypt(sotto, distributionId, random(33));
  const body = pb.decode(message.slice(1, message.length - 64));
  const again = SenderKeyMessage._new(3, distributionId, parsed.chainId(), 0, pb.one(body, 4),
                                      PrivateKey.generate()).serialize();
  assert.deepEqual(again.slice(0, again.length - 64), message.slice(0, message.length - 64));
  assert.equal(pb.one(body, 4).length, 48, 'a 33-byte plaintext pads to three blocks');

  const later = SenderKeyDistributionMessage.deserialize(await sottoGroup.create(sotto, distributionId));
  assert.equal(later.chainId(), parsed.chainId());
  assert.equal(later.iteration(), 1, 'the distribution message follows the chain');

  // Sotto takes libsignal's distribution message as it is written.
  const libsignal = new LibsignalSide();
  const theirs = await SenderKeyDistributionMessage.create(libsignal.address, distributionId, libsignal.party.senderKeys);
  await sottoGroup.process(sotto, libsignal.address, theirs.serialize());
});

test('Sotto and libsignal agree at the limits: forward jumps, skipped keys, repeated and replaced keys, five states', async () => {
  const sotto = await newSotto();
  const receiver = new LibsignalSide();
  const sender = ProtocolAddress.new(randomUUID(), randomBetween(1, 127));
  const distributionId = randomUUID();

  const both = {
    async process(distribution) {
      await processSenderKeyDistributionMessage(sender, distribution, receiver.party.senderKeys);
      await sottoGroup.process(sotto, sender, distribution.serialize());
    },
    // Hands the message to both; they must agree on accepting it.
    async deliver(message, expected, plaintext) {
      const theirs = await libsignalDecrypt(receiver.party, sender, message);
      const ours = await sottoGroup.decrypt(sotto, sender, message);
      if (expected === 'accept') {
        assert.deepEqual(theirs, { plaintext });
        assert.deepEqual(ours, { plaintext });
      } else {
        assert.notEqual(theirs.error, undefined, 'libsignal accepted it');
        assert.deepEqual(ours, { error: expected });
      }
    },
  };
  const send = async (chain, iteration, expected) => {
    const plaintext = randomPlaintext();
    await both.deliver(chain.message(iteration, plaintext), expected, plaintext);
  };

  const chain = new SenderChain(distributionId);
  await both.process(chain.distribution(0));
  await send(chain, 25001, 'too_far_ahead');
  await send(chain, 25000, 'accept');
  // 25,000 keys were skipped; the newest 2,000 (23,000 to 24,999) are kept.
  await send(chain, 22999, 'duplicate_message');
  await send(chain, 23000, 'accept');
  await send(chain, 23000, 'duplicate_message');
  await send(chain, 24999, 'accept');
  await send(chain, 25001, 'accept');

  // The same distribution message again does not rewind the chain.
  await both.process(chain.distribution(0));
  await send(chain, 1, 'duplicate_message');
  await send(chain, 24998, 'accept');

  // A distribution message that starts later is not applied either.
  await both.process(chain.distribution(30000));
  await send(chain, 25002, 'accept');

  // The same chain id with another signing key replaces the state.
  const replacement = new SenderChain(distributionId);
  replacement.chainId = chain.chainId;
  await both.process(replacement.distribution(5));
  await send(chain, 25003, 'invalid_signature');
  await send(replacement, 4, 'duplicate_message');
  await send(replacement, 5, 'accept');

  // Five states are kept: a sixth chain pushes out the oldest.
  const others = [];
  for (let i = 0; i < 4; i++) {
    others.push(new SenderChain(distributionId));
    await both.process(others[i].distribution(0));
  }
  await send(replacement, 6, 'accept');
  await send(others[0], 0, 'accept');
  const sixth = new SenderChain(distributionId);
  await both.process(sixth.distribution(0));
  await send(replacement, 7, 'no_sender_key');
  await send(others[0], 1, 'accept');
  await send(sixth, 0, 'accept');

  // A chain of another distribution id is unknown.
  await send(new SenderChain(randomUUID()), 0, 'no_sender_key');
});

test('sender keys survive a restart of the peer, with messages in flight both ways', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sotto-peer-state-'));
  directories.push(stateDir);
  const sotto = await newSotto({ stateDir });
  const libsignal = new LibsignalSide();
  const distributionId = randomUUID();

  const ours = await sottoGroup.create(sotto, distributionId);
  await processSenderKeyDistributionMessage(sotto.address, SenderKeyDistributionMessage.deserialize(ours),
                                            libsignal.party.senderKeys);
  const theirs = await SenderKeyDistributionMessage.create(libsignal.address, distributionId, libsignal.party.senderKeys);
  await sottoGroup.process(sotto, libsignal.address, theirs.serialize());

  const toSotto = [];
  for (let i = 0; i < 8; i++) {
    const plaintext = randomPlaintext();
    const message = await groupEncrypt(libsignal.address, distributionId, libsignal.party.senderKeys, plaintext);
    toSotto.push({ plaintext, message: message.serialize() });
  }
  const toLibsignal = [];
  for (let i = 0; i < 8; i++) {
    const plaintext = randomPlaintext();
    toLibsignal.push({ plaintext, message: await sottoGroup.encrypt(sotto, distributionId, plaintext) });
  }
  // Sotto reads the even ones before the restart, skipping the odd ones.
  for (let i = 0; i < 8; i += 2)
    assert.deepEqual(await sottoGroup.decrypt(sotto, libsignal.address, toSotto[i].message),
                     { plaintext: toSotto[i].plaintext });

  await sotto.restart();

  for (let i = 1; i < 8; i += 2)
    assert.deepEqual(await sottoGroup.decrypt(sotto, libsignal.address, toSotto[i].message),
                     { plaintext: toSotto[i].plaintext });
  assert.deepEqual(await sottoGroup.decrypt(sotto, libsignal.address, toSotto[0].message),
                   { error: 'duplicate_message' });

  // Sotto's own chain goes on where it stopped: libsignal would refuse a
  // message at an iteration it has seen.
  const before = SenderKeyDistributionMessage.deserialize(ours);
  const now = await sottoGroup.create(sotto, distributionId);
  const restored = SenderKeyDistributionMessage.deserialize(now);
  assert.equal(restored.chainId(), before.chainId());
  assert.equal(restored.iteration(), 8);
  assert.ok(equalBytes(pb.one(pb.decode(now.slice(1)), 5), pb.one(pb.decode(ours.slice(1)), 5)),
            'the signing key is the same');
  const plaintext = randomPlaintext();
  const later = await sottoGroup.encrypt(sotto, distributionId, plaintext);
  assert.equal(SenderKeyMessage.deserialize(later).iteration(), 8);
  for (const sent of [...toLibsignal, { plaintext, message: later }])
    assert.deepEqual(await libsignalDecrypt(libsignal.party, sotto.address, sent.message),
                     { plaintext: sent.plaintext });
});

test('group operations report errors as the other operations do, and change nothing', async () => {
  const sotto = await newSotto();
  const libsignal = new LibsignalSide();
  const distributionId = randomUUID();
  const call = (request) => sotto.peer.sendLine(JSON.stringify(request));

  assert.equal((await call({ op: 'group_encrypt', distribution_id: distributionId, plaintext: '00' })).error,
               'no_sender_key');
  for (const bad of ['', 'not-a-uuid', distributionId.replaceAll('-', ''), `${distributionId}0`,
                     distributionId.replace('-', 'x'), 42])
    assert.equal((await call({ op: 'sender_key_create', distribution_id: bad })).error, 'malformed_request');
  assert.equal((await call({ op: 'group_decrypt', peer: 'x', device: 1, ciphertext: 'zz' })).error,
               'malformed_request');
  assert.equal((await call({ op: 'sender_key_process', peer: 'x', device: 1, distribution_message: '3300' })).error,
               'malformed');

  const theirs = await SenderKeyDistributionMessage.create(libsignal.address, distributionId, libsignal.party.senderKeys);
  const plaintext = randomPlaintext();
  const message = (await groupEncrypt(libsignal.address, distributionId, libsignal.party.senderKeys, plaintext)).serialize();
  assert.deepEqual(await sottoGroup.decrypt(sotto, libsignal.address, message), { error: 'no_sender_key' });
  await sottoGroup.process(sotto, libsignal.address, theirs.serialize());
  // Another device of the same sender has no sender key.
  assert.deepEqual(await sottoGroup.decrypt(sotto, ProtocolAddress.new(libsignal.address.name(), libsignal.address.deviceId() + 1), message),
                   { error: 'no_sender_key' });
  // A distribution message of version 2 or 4 is refused.
  const bytes = theirs.serialize();
  for (const version of [0x22, 0x44]) {
    const other = bytes.slice();
    other[0] = version;
    assert.equal((await call({ op: 'sender_key_process', peer: 'x', device: 1, distribution_message: toHex(other) })).error,
                 'invalid_message');
  }
  assert.deepEqual(await sottoGroup.decrypt(sotto, libsignal.address, message), { plaintext });
});
