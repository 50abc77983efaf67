// kyber.test.mjs: Sotto's Kyber1024 and Kyber prekeys against libsignal's
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// libsignal exposes Kyber only through PQXDH, so each case sets up a
// session: see lib/pqxdh.mjs for how the shared secrets are compared.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  CiphertextMessageType,
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SignedPreKeyRecord,
  processPreKeyBundle,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';

import { Peer } from './lib/peer.mjs';
import * as pb from './lib/protobuf.mjs';
import { openFirstMessage, parsePreKeySignalMessage, writeFirstMessage } from './lib/pqxdh.mjs';
import { Party } from './lib/stores.mjs';
import { CASES, concat, equalBytes, fromHex, random, randomBetween, toHex } from './lib/util.mjs';

const ALICE = ProtocolAddress.new('alice', 1);
const BOB = ProtocolAddress.new('bob', 1);
const KYBER_PUBLIC_KEY_SIZE = 1569;
const KYBER_SECRET_KEY_SIZE = 3169;
const KYBER_CIPHERTEXT_SIZE = 1569;

let peer;

before(() => {
  peer = new Peer();
});

after(async () => {
  assert.deepEqual(await peer.close(), { code: 0, signal: null });
});

function randomId() {
  return randomBetween(1, 0xffffff);
}

// Bob, a libsignal party with a signed prekey, maybe a one-time prekey,
// and the Kyber prekey @kyberRecord (libsignal's own unless given).
async function makeBob({ identity = IdentityKeyPair.generate(), kyberRecord = null, withOneTimePreKey }) {
  const bob = new Party(BOB, identity, randomBetween(1, 16380));
  const signedPreKey = PrivateKey.generate();
  const signedPreKeyId = randomId();
  const signedPreKeySignature = identity.privateKey.sign(signedPreKey.getPublicKey().serialize());
  await bob.signedPreKeys.saveSignedPreKey(signedPreKeyId, SignedPreKeyRecord.new(
    signedPreKeyId, Date.now(), signedPreKey.getPublicKey(), signedPreKey, signedPreKeySignature));

  if (kyberRecord === null) {
    const kem = KEMKeyPair.generate();
    kyberRecord = KyberPreKeyRecord.new(randomId(), Date.now(), kem,
                                        identity.privateKey.sign(kem.getPublicKey().serialize()));
  }
  await bob.kyberPreKeys.saveKyberPreKey(kyberRecord.id(), kyberRecord);

  let preKey = null;
  let preKeyId = null;
  if (withOneTimePreKey) {
    preKey = PrivateKey.generate();
    preKeyId = randomId();
    await bob.preKeys.savePreKey(preKeyId, PreKeyRecord.new(preKeyId, preKey.getPublicKey(), preKey));
  }

  Object.assign(bob, { signedPreKey, signedPreKeyId, signedPreKeySignature, kyberRecord, preKey, preKeyId });
  return bob;
}

function bundleOf(bob, kyberSignature = bob.kyberRecord.signature()) {
  return PreKeyBundle.new(
    bob.identities.registrationId, BOB.deviceId(),
    bob.preKeyId, bob.preKey?.getPublicKey() ?? null,
    bob.signedPreKeyId, bob.signedPreKey.getPublicKey(), bob.signedPreKeySignature,
    bob.identityKeyPair.publicKey,
    bob.kyberRecord.id(), bob.kyberRecord.publicKey(), kyberSignature);
}

// libsignal's Alice processes Bob's bundle and writes her first message.
async function libsignalFirstMessage(bob, plaintext) {
  const alice = new Party(ALICE, IdentityKeyPair.generate(), randomBetween(1, 16380));
  await processPreKeyBundle(bundleOf(bob), BOB, ALICE, alice.sessions, alice.identities);
  const message = await signalEncrypt(plaintext, BOB, ALICE, alice.sessions, alice.identities);
  assert.equal(message.type(), CiphertextMessageType.PreKey);
  return message.serialize();
}

function libsignalOpens(bob, message) {
  return signalDecryptPreKey(PreKeySignalMessage.deserialize(message), ALICE, BOB,
                             bob.sessions, bob.identities, bob.preKeys, bob.signedPreKeys,
                             bob.kyberPreKeys);
}

// Sotto decapsulates the Kyber ciphertext in @message with @secretKey;
// the secret must open the message as libsignal's Alice wrote it.
async function sottoOpens(bob, secretKey, message) {
  const { kyberCiphertext } = parsePreKeySignalMessage(message);
  assert.equal(kyberCiphertext.length, KYBER_CIPHERTEXT_SIZE);
  const { shared_secret: sharedSecret } = await peer.call({
    op: 'kyber_decapsulate', secret: toHex(secretKey), ciphertext: toHex(kyberCiphertext),
  });
  return openFirstMessage({
    bobIdentity: bob.identityKeyPair, bobSignedPreKey: bob.signedPreKey, bobOneTimePreKey: bob.preKey,
    kyberSharedSecret: fromHex(sharedSecret), message,
  });
}

test('Sotto decapsulates what libsignal encapsulated to libsignal’s keys', async () => {
  for (let i = 0; i < CASES; i++) {
    const bob = await makeBob({ withOneTimePreKey: i % 2 === 0 });
    const plaintext = random(randomBetween(0, 200));
    const message = await libsignalFirstMessage(bob, plaintext);
    const secretKey = bob.kyberRecord.secretKey().serialize();
    assert.equal(secretKey.length, KYBER_SECRET_KEY_SIZE);
    assert.ok(equalBytes(await sottoOpens(bob, secretKey, message), plaintext),
              `secret key ${toHex(secretKey)} message ${toHex(message)}`);
  }
});

test('libsignal decapsulates what Sotto encapsulated to libsignal’s keys', async () => {
  for (let i = 0; i < CASES; i++) {
    const bob = await makeBob({ withOneTimePreKey: i % 2 === 0 });
    const publicKey = bob.kyberRecord.publicKey().serialize();
    const { ciphertext, shared_secret: sharedSecret } = await peer.call({
      op: 'kyber_encapsulate', public: toHex(publicKey), random: toHex(random(32)),
    });
    const plaintext = random(randomBetween(0, 200));
    const message = writeFirstMessage({
      aliceIdentity: IdentityKeyPair.generate(),
      registrationId: randomBetween(1, 16380),
      bob: {
        identityKey: bob.identityKeyPair.publicKey,
        signedPreKeyId: bob.signedPreKeyId,
        signedPreKey: bob.signedPreKey.getPublicKey(),
        preKeyId: bob.preKeyId ?? undefined,
        preKey: bob.preKey?.getPublicKey(),
        kyberPreKeyId: bob.kyberRecord.id(),
      },
      kyberCiphertext: fromHex(ciphertext),
      kyberSharedSecret: fromHex(sharedSecret),
      plaintext,
    });
    assert.ok(equalBytes(await libsignalOpens(bob, message), plaintext),
              `public key ${toHex(publicKey)} ciphertext ${ciphertext}`);
  }
});

// Sotto's identity signs Sotto's Kyber key; the record is built as
// spec section 10 describes, since libsignal has no API to assemble a
// KEM key pair from its parts.
async function sottoKyberPreKey() {
  const identityPrivate = random(32);
  const identity = await peer.call({ op: 'keypair', private: toHex(identityPrivate) });
  const kyber = await peer.call({ op: 'kyber_keypair', seed: toHex(random(64)) });
  const { signature } = await peer.call({
    op: 'xeddsa_sign', private: identity.private, message: kyber.public, random: toHex(random(64)),
  });
  return {
    identity,
    id: randomId(),
    timestamp: randomBetween(0, 2 ** 47),
    publicKey: fromHex(kyber.public),
    secretKey: fromHex(kyber.secret),
    signature: fromHex(signature),
  };
}

function kyberPreKeyRecordBytes(key) {
  return concat(
    pb.uint(1, key.id),
    pb.bytes(2, key.publicKey),
    pb.bytes(3, key.secretKey),
    pb.bytes(4, key.signature),
    pb.fixed64(5, key.timestamp),
  );
}

test('libsignal accepts Sotto’s Kyber prekeys', async () => {
  for (let i = 0; i < CASES; i++) {
    const key = await sottoKyberPreKey();
    assert.equal(key.publicKey.length, KYBER_PUBLIC_KEY_SIZE);
    assert.equal(key.secretKey.length, KYBER_SECRET_KEY_SIZE);

    const record = KyberPreKeyRecord.deserialize(kyberPreKeyRecordBytes(key));
    assert.equal(record.id(), key.id);
    assert.equal(record.timestamp(), key.timestamp);
    assert.ok(equalBytes(record.publicKey().serialize(), key.publicKey));
    assert.ok(equalBytes(record.secretKey().serialize(), key.secretKey));
    assert.ok(equalBytes(record.signature(), key.signature));
    const identityKey = PublicKey.deserialize(fromHex(key.identity.public));
    assert.ok(identityKey.verify(key.publicKey, key.signature));

    // Bob is libsignal holding Sotto's identity and Kyber prekey: libsignal's
    // Alice checks the prekey's signature while processing the bundle, and
    // Bob decapsulates with Sotto's secret key.  Sotto opens the same
    // message with its own secret key.
    const bob = await makeBob({
      identity: new IdentityKeyPair(identityKey, PrivateKey.deserialize(fromHex(key.identity.private))),
      kyberRecord: record,
      withOneTimePreKey: i % 2 === 0,
    });
    const plaintext = random(randomBetween(0, 200));
    const message = await libsignalFirstMessage(bob, plaintext);
    assert.ok(equalBytes(await libsignalOpens(bob, message), plaintext));
    assert.ok(equalBytes(await sottoOpens(bob, key.secretKey, message), plaintext),
              `Kyber prekey record ${toHex(kyberPreKeyRecordBytes(key))}`);

    // A signature over anything else is refused.
    const forged = key.signature.slice();
    forged[randomBetween(0, 63)] ^= 1 << randomBetween(0, 7);
    const alice = new Party(ALICE, IdentityKeyPair.generate(), 1);
    await assert.rejects(processPreKeyBundle(bundleOf(bob, forged), BOB, ALICE,
                                             alice.sessions, alice.identities));
  }
});
