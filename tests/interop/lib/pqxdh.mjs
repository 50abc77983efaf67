// pqxdh.mjs: the first message of a PQXDH session, computed in the test
// itself from the spec (sections 4, 5 and 7 of signal-protocol.md)
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// libsignal offers no API to encapsulate to or decapsulate with a Kyber
// key directly; it only does so inside PQXDH.  To compare Sotto's Kyber
// with libsignal's, the tests therefore play one side of a session setup
// here: they open the PreKeySignalMessage libsignal wrote with the secret
// Sotto decapsulated, and they write a PreKeySignalMessage around the
// ciphertext and secret Sotto encapsulated for libsignal to open.  Either
// works only if both sides agree on the Kyber shared secret.

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

import { PrivateKey, PublicKey, SignalMessage } from '@signalapp/libsignal-client';

import * as pb from './protobuf.mjs';
import { concat } from './util.mjs';

const MESSAGE_VERSION = 4;
const VERSION_BYTE = (MESSAGE_VERSION << 4) | MESSAGE_VERSION;
const MAC_LENGTH = 8;
const PQXDH_INFO = 'WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024';
const ZEROS = new Uint8Array(32);

function hkdf(ikm, salt, info, length) {
  return new Uint8Array(hkdfSync('sha256', ikm, salt ?? new Uint8Array(0), info, length));
}

function hmac(key, ...parts) {
  const mac = createHmac('sha256', key);
  for (const part of parts)
    mac.update(part);
  return new Uint8Array(mac.digest());
}

function be32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

// IKM = 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 ‖ [DH4] ‖ Kyber secret; OKM = RK0 ‖ CK0 ‖ SPQR auth key.
function agreement(dhs, kyberSharedSecret) {
  const okm = hkdf(concat(new Uint8Array(32).fill(0xff), ...dhs, kyberSharedSecret),
                   null, PQXDH_INFO, 96);
  return { rootKey: okm.slice(0, 32), pqrKey: okm.slice(64, 96) };
}

function rootStep(rootKey, dh) {
  const okm = hkdf(dh, rootKey, 'WhisperRatchet', 64);
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
}

function messageKeys(chainKey, salt) {
  const okm = hkdf(hmac(chainKey, Uint8Array.of(1)), salt, 'WhisperMessageKeys', 80);
  return { cipherKey: okm.slice(0, 32), macKey: okm.slice(32, 64), iv: okm.slice(64, 80) };
}

// Key @index (from 1) of the epoch-0 SPQR chain from Alice to Bob.
function spqrKeyA2B(pqrKey, index) {
  let seed = hkdf(pqrKey, ZEROS, 'Signal PQ Ratchet V1 Chain  Start', 96).slice(32, 64);
  let key = null;
  for (let counter = 1; counter <= index; counter++) {
    const next = hkdf(seed, ZEROS, concat(be32(counter), Buffer.from('Signal PQ Ratchet V1 Chain Next')), 64);
    seed = next.slice(0, 32);
    key = next.slice(32, 64);
  }
  return key;
}

// The SPQR salt of a received message: V1, epoch 1, key @index (none for 0).
function spqrSalt(pqRatchet, pqrKey) {
  if (pqRatchet.length < 4 || pqRatchet[0] !== 1)
    throw new Error('pq_ratchet is not SPQR V1');
  let [epoch, offset] = pb.readVarint(pqRatchet, 1);
  let index;
  [index, offset] = pb.readVarint(pqRatchet, offset);
  if (epoch !== 1n)
    throw new Error(`unexpected SPQR epoch ${epoch}`);
  return index === 0n ? null : spqrKeyA2B(pqrKey, Number(index));
}

// Fields of a PreKeySignalMessage (spec 4.2).
export function parsePreKeySignalMessage(bytes) {
  if (bytes[0] !== VERSION_BYTE)
    throw new Error(`unexpected PreKeySignalMessage version byte ${bytes[0]}`);
  const fields = pb.decode(bytes.subarray(1));
  return {
    preKeyId: fields.has(1) ? Number(pb.one(fields, 1)) : null,
    baseKey: pb.one(fields, 2),
    identityKey: pb.one(fields, 3),
    message: pb.one(fields, 4),
    registrationId: Number(pb.one(fields, 5)),
    signedPreKeyId: Number(pb.one(fields, 6)),
    kyberPreKeyId: Number(pb.one(fields, 7)),
    kyberCiphertext: pb.one(fields, 8),
  };
}

// Bob's side: decrypts the SignalMessage inside libsignal's first
// PreKeySignalMessage, given the Kyber secret Sotto decapsulated.
// Throws on a MAC failure, which is what a wrong secret gives.
export function openFirstMessage({ bobIdentity, bobSignedPreKey, bobOneTimePreKey, kyberSharedSecret, message }) {
  const outer = parsePreKeySignalMessage(message);
  const aliceIdentity = PublicKey.deserialize(outer.identityKey);
  const baseKey = PublicKey.deserialize(outer.baseKey);
  const dhs = [
    bobSignedPreKey.agree(aliceIdentity),
    bobIdentity.privateKey.agree(baseKey),
    bobSignedPreKey.agree(baseKey),
  ];
  if (bobOneTimePreKey)
    dhs.push(bobOneTimePreKey.agree(baseKey));
  const { rootKey, pqrKey } = agreement(dhs, kyberSharedSecret);

  const inner = outer.message;
  if (inner[0] !== VERSION_BYTE || inner.length < 1 + MAC_LENGTH)
    throw new Error('unexpected SignalMessage framing');
  const body = inner.subarray(0, inner.length - MAC_LENGTH);
  const fields = pb.decode(body.subarray(1));
  const ratchetKey = PublicKey.deserialize(pb.one(fields, 1));
  const counter = Number(pb.one(fields, 2));

  let { chainKey } = rootStep(rootKey, bobSignedPreKey.agree(ratchetKey));
  for (let i = 0; i < counter; i++)
    chainKey = hmac(chainKey, Uint8Array.of(2));
  const keys = messageKeys(chainKey, spqrSalt(pb.one(fields, 5), pqrKey));

  const mac = hmac(keys.macKey, outer.identityKey, bobIdentity.publicKey.serialize(), body)
    .subarray(0, MAC_LENGTH);
  if (!timingSafeEqual(mac, inner.subarray(inner.length - MAC_LENGTH)))
    throw new Error('bad MAC: the Kyber shared secrets differ');

  const decipher = createDecipheriv('aes-256-cbc', keys.cipherKey, keys.iv);
  return new Uint8Array(Buffer.concat([decipher.update(pb.one(fields, 4)), decipher.final()]));
}

// Alice's side: writes a first PreKeySignalMessage to Bob's bundle
// around a Kyber ciphertext and shared secret made by Sotto.
export function writeFirstMessage({ aliceIdentity, registrationId, bob, kyberCiphertext, kyberSharedSecret, plaintext }) {
  const baseKey = PrivateKey.generate();
  const ratchetKey = PrivateKey.generate();
  const dhs = [
    aliceIdentity.privateKey.agree(bob.signedPreKey),
    baseKey.agree(bob.identityKey),
    baseKey.agree(bob.signedPreKey),
  ];
  if (bob.preKey)
    dhs.push(baseKey.agree(bob.preKey));
  const agreed = agreement(dhs, kyberSharedSecret);

  const { chainKey } = rootStep(agreed.rootKey, ratchetKey.agree(bob.signedPreKey));
  const keys = messageKeys(chainKey, spqrKeyA2B(agreed.pqrKey, 1));
  const cipher = createCipheriv('aes-256-cbc', keys.cipherKey, keys.iv);
  const ciphertext = new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));

  // SPQR V1, epoch 1, key 1, message type None (spec 6.5).
  const signalMessage = SignalMessage._new(MESSAGE_VERSION, keys.macKey, ratchetKey.getPublicKey(),
                                           0, 0, ciphertext, aliceIdentity.publicKey,
                                           bob.identityKey, Uint8Array.of(1, 1, 1, 0));

  return concat(
    Uint8Array.of(VERSION_BYTE),
    bob.preKeyId !== undefined ? pb.uint(1, bob.preKeyId) : new Uint8Array(0),
    pb.bytes(2, baseKey.getPublicKey().serialize()),
    pb.bytes(3, aliceIdentity.publicKey.serialize()),
    pb.bytes(4, signalMessage.serialize()),
    pb.uint(5, registrationId),
    pb.uint(6, bob.signedPreKeyId),
    pb.uint(7, bob.kyberPreKeyId),
    pb.bytes(8, kyberCiphertext),
  );
}
