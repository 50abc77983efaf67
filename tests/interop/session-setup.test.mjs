// session-setup.test.mjs: PQXDH sessions between Sotto and libsignal, both ways
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { IdentityKeyPair, PreKeySignalMessage, SignalMessage } from '@signalapp/libsignal-client';

import * as pb from './lib/protobuf.mjs';
import { concat, fromHex, toHex } from './lib/util.mjs';
import { LibsignalSide, PREKEY, SottoSide, WHISPER, exchange, pair, randomPlaintext } from './session-common.mjs';

const closers = [];

after(async () => {
  for (const close of closers)
    await close();
});

async function newPair() {
  const sides = await pair();
  closers.push(() => sides.sotto.close());
  return sides;
}

// The initiator sends three PreKeySignalMessages before it hears back;
// the responder reads them out of order (the second first, then the
// repeats reuse the session), answers, and from then on both send plain
// SignalMessages through a few turns of the ratchet.
async function conversation(initiator, responder, { oneTime }) {
  await initiator.start(await responder.bundle({ oneTime }));

  const first = [];
  for (let i = 0; i < 3; i++) {
    const plaintext = randomPlaintext();
    first.push({ plaintext, message: await initiator.encrypt(plaintext) });
    assert.equal(first[i].message.type, PREKEY);
  }
  for (const i of [1, 0, 2])
    assert.deepEqual(await responder.decrypt(first[i].message), first[i].plaintext);

  const answer = await exchange(responder, initiator);
  assert.equal(answer.type, WHISPER);

  for (let turn = 0; turn < 12; turn++) {
    const [from, to] = turn % 2 === 0 ? [initiator, responder] : [responder, initiator];
    const batch = [];
    for (let i = 0; i < 1 + (turn % 4); i++) {
      const plaintext = randomPlaintext();
      batch.push({ plaintext, message: await from.encrypt(plaintext) });
    }
    batch.reverse();
    for (const { plaintext, message } of batch) {
      assert.equal(message.type, WHISPER);
      assert.deepEqual(await to.decrypt(message), plaintext);
    }
  }
}

for (const oneTime of [true, false]) {
  const how = oneTime ? 'with a one-time prekey' : 'without a one-time prekey';

  test(`libsignal initiates, Sotto responds, ${how}`, async () => {
    const { libsignal, sotto } = await newPair();
    await conversation(libsignal, sotto, { oneTime });
  });

  test(`Sotto initiates, libsignal responds, ${how}`, async () => {
    const { libsignal, sotto } = await newPair();
    await conversation(sotto, libsignal, { oneTime });

    // libsignal consumed the one-time prekey and marked the Kyber prekey
    // used once, with Sotto's base key.
    assert.equal(libsignal.party.preKeys.records.size, 0);
    assert.equal(libsignal.party.kyberPreKeys.used.length, 1);
  });
}

// The fixed-width service id of a UUID string: kind 0 (ACI) and 16 bytes.
function serviceId(uuid) {
  return concat(new Uint8Array([0]), fromHex(uuid.replaceAll('-', '')));
}

// Sotto puts the addresses field (spec 5.1) into the SignalMessage inside
// each PreKeySignalMessage, as libsignal does; Sotto accepting libsignal's
// was shown above.
test('Sotto\'s first messages carry both addresses', async () => {
  const { libsignal, sotto } = await newPair();
  await sotto.start(await libsignal.bundle({ oneTime: false }));
  const { body } = await sotto.encrypt(randomPlaintext());
  const inner = pb.one(pb.decode(body.slice(1)), 4);
  const addresses = pb.one(pb.decode(inner.slice(1, inner.length - 8)), 6);
  assert.deepEqual(addresses, concat(serviceId(sotto.name), new Uint8Array([sotto.device]),
                                     serviceId(libsignal.address.name()),
                                     new Uint8Array([libsignal.address.deviceId()])));
  assert.equal(SignalMessage.deserialize(inner).messageVersion(), 4);
  assert.equal(PreKeySignalMessage.deserialize(body).version(), 4);
});

test('a bundle with a bad signature is refused', async () => {
  const { libsignal, sotto } = await newPair();
  const bundle = await libsignal.bundle({ oneTime: true });
  const signature = fromHex(bundle.signed_prekey_signature);
  signature[3] ^= 0x10;
  await assert.rejects(sotto.start({ ...bundle, signed_prekey_signature: toHex(signature) }),
                       { code: 'invalid_signature' });
  const kyberSignature = fromHex(bundle.kyber_prekey_signature);
  kyberSignature[60] ^= 0x01;
  await assert.rejects(sotto.start({ ...bundle, kyber_prekey_signature: toHex(kyberSignature) }),
                       { code: 'invalid_signature' });
  // Nothing was stored: there is still no session to encrypt with.
  await assert.rejects(sotto.encrypt(randomPlaintext()), { code: 'no_session' });
  await sotto.start(bundle);
  assert.equal((await sotto.encrypt(randomPlaintext())).type, PREKEY);
});

test('a changed identity is its own error, in both directions', async () => {
  const { libsignal, sotto } = await newPair();
  await conversation(sotto, libsignal, { oneTime: true });

  // The same address comes back with a new identity (a reinstall).
  const reinstalled = new LibsignalSide({ name: libsignal.address.name(), device: libsignal.address.deviceId() });
  reinstalled.talkTo(sotto.address);
  await assert.rejects(sotto.start(await reinstalled.bundle({ oneTime: true })), { code: 'identity_changed' });

  await reinstalled.start(await sotto.bundle({ oneTime: true }));
  await assert.rejects(sotto.decrypt(await reinstalled.encrypt(randomPlaintext())), { code: 'identity_changed' });

  // The old session is untouched.
  await exchange(libsignal, sotto);
  await exchange(sotto, libsignal);
});

test('a message naming a prekey Sotto does not have', async () => {
  const { libsignal, sotto } = await newPair();
  const bundle = await sotto.bundle({ oneTime: true });
  await libsignal.start({ ...bundle, prekey_id: bundle.prekey_id + 1000 });
  await assert.rejects(sotto.decrypt(await libsignal.encrypt(randomPlaintext())), { code: 'missing_prekey' });

  const other = new LibsignalSide();
  other.talkTo(sotto.address);
  await other.start({ ...bundle, signed_prekey_id: bundle.signed_prekey_id + 1000 });
  await assert.rejects(sotto.decrypt(await other.encrypt(randomPlaintext())), { code: 'missing_prekey' });
});

test('a last-resort Kyber prekey serves several initiators', async () => {
  const { sotto } = await newPair();
  const bundle = await sotto.bundle({ oneTime: false, lastResort: true });
  for (let i = 0; i < 3; i++) {
    const libsignal = new LibsignalSide();
    libsignal.talkTo(sotto.address);
    sotto.talkTo(libsignal.address);
    await libsignal.start(bundle);
    await exchange(libsignal, sotto);
    await exchange(sotto, libsignal);
  }
});

test('the peer reports its identity and refuses to become someone else', async () => {
  const identity = IdentityKeyPair.generate();
  const sotto = new SottoSide();
  closers.push(() => sotto.close());
  const answer = await sotto.init({ identity_private: toHex(identity.privateKey.serialize()) });
  assert.equal(answer.identity_public, toHex(identity.publicKey.serialize()));
  await assert.rejects(sotto.peer.call({ op: 'init', name: 'someone-else', device: 1 }), { code: 'bad_state' });
  // Session operations before init are refused.
  const fresh = new SottoSide();
  closers.push(() => fresh.close());
  await assert.rejects(fresh.bundle({ oneTime: true }), { code: 'bad_state' });
});
