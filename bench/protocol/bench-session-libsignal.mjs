// bench-session-libsignal.mjs: libsignal's sessions, for run-session.sh
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Usage: node bench-session-libsignal.mjs [SECONDS]
//
// Prints the lines bench-session prints, measured with libsignal from
// tests/interop/node_modules (the package the interop tests pin), through
// its Node binding and the in-memory stores of the interop tests:
//
//   session_message  one 100-byte message: signalEncrypt by Alice,
//                    signalDecrypt by Bob, over an established session
//   session_setup    processPreKeyBundle and signalEncrypt by Alice,
//                    signalDecryptPreKey by Bob; fresh stores each time,
//                    their creation not timed
//
// Each figure is the best of ROUNDS rounds, as in bench-session.
//
// Every call crosses from JavaScript into native code and back, and the
// stores are JavaScript objects holding serialised records, so these
// figures are what an application using libsignal from Node gets, not
// the Rust library alone.

import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tests/interop/package.json', import.meta.url));
const {
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  SignalMessage,
  SignedPreKeyRecord,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} = require('@signalapp/libsignal-client');
const { Party } = await import(new URL('../../tests/interop/lib/stores.mjs', import.meta.url));

const seconds = Number.parseFloat(process.argv[2] ?? '2');
const ALICE = ProtocolAddress.new('alice', 1);
const BOB = ProtocolAddress.new('bob', 1);
const PLAINTEXT = new Uint8Array(100).fill(0x78);
const ROUNDS = 5;

// Bob's long-term keys, made once; his Kyber prekey is reused (the stores
// here do not police last-resort keys) and there is no one-time prekey.
const aliceIdentity = IdentityKeyPair.generate();
const bobIdentity = IdentityKeyPair.generate();
const signedPreKey = PrivateKey.generate();
const signedPreKeySignature = bobIdentity.privateKey.sign(signedPreKey.getPublicKey().serialize());
const kem = KEMKeyPair.generate();
const kyberSignature = bobIdentity.privateKey.sign(kem.getPublicKey().serialize());
const bundle = PreKeyBundle.new(2, 1, null, null, 1, signedPreKey.getPublicKey(), signedPreKeySignature,
                                bobIdentity.publicKey, 2, kem.getPublicKey(), kyberSignature);

async function parties() {
  const alice = new Party(ALICE, aliceIdentity, 1);
  const bob = new Party(BOB, bobIdentity, 2);
  await bob.signedPreKeys.saveSignedPreKey(1, SignedPreKeyRecord.new(
    1, Date.now(), signedPreKey.getPublicKey(), signedPreKey, signedPreKeySignature));
  await bob.kyberPreKeys.saveKyberPreKey(2, KyberPreKeyRecord.new(2, Date.now(), kem, kyberSignature));
  return { alice, bob };
}

async function send(from, to, plaintext = PLAINTEXT) {
  const message = await signalEncrypt(plaintext, to.address, from.address, from.sessions, from.identities);
  const decrypted = message.type() === 3
    ? await signalDecryptPreKey(PreKeySignalMessage.deserialize(message.serialize()), from.address, to.address,
                                to.sessions, to.identities, to.preKeys, to.signedPreKeys, to.kyberPreKeys)
    : await signalDecrypt(SignalMessage.deserialize(message.serialize()), from.address, to.address,
                          to.sessions, to.identities);
  if (decrypted.length !== plaintext.length)
    throw new Error('decryption gave the wrong plaintext');
}

async function setup(alice, bob) {
  await processPreKeyBundle(bundle, BOB, ALICE, alice.sessions, alice.identities);
  await send(alice, bob);
}

async function benchMessage() {
  const { alice, bob } = await parties();
  await setup(alice, bob);
  await send(bob, alice);
  for (let i = 0; i < 500; i++)
    await send(alice, bob);
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < seconds / ROUNDS || n % 64 !== 0) {
      await send(alice, bob);
      n++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    best = Math.max(best, n / elapsed);
  }
  return best;
}

async function benchSetup() {
  for (let i = 0; i < 3; i++) {
    const { alice, bob } = await parties();
    await setup(alice, bob);
  }
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    let elapsed = 0;
    while (elapsed < seconds / ROUNDS) {
      const { alice, bob } = await parties();
      const start = process.hrtime.bigint();
      await setup(alice, bob);
      elapsed += Number(process.hrtime.bigint() - start) / 1e9;
      n++;
    }
    best = Math.max(best, n / elapsed);
  }
  return best;
}

console.log(`session_message ${(await benchMessage()).toFixed(1)}`);
console.log(`session_setup ${(await benchSetup()).toFixed(1)}`);
