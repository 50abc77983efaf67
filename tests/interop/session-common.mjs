// session-common.mjs: the two sides of a session for the session interop tests
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// A conversation here is between a libsignal party (LibsignalSide) and
// a sotto-peer (SottoSide) under service-id addresses, so that libsignal
// puts the addresses field into its first messages and Sotto checks it.
// Both sides offer the same small interface, so that a test can run
// with either one as the initiator:
//
//   bundle({ oneTime })      the public prekeys the other side starts with
//   start(bundle)            processes the other side's bundle
//   encrypt(bytes)           { type, body } with type 2 or 3
//   decrypt({ type, body })  the plaintext, or throws
//
// Every plaintext is random, so a message decrypted by the wrong key or
// delivered to the wrong place cannot pass by accident.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  CiphertextMessageType,
  IdentityKeyPair,
  KEMKeyPair,
  KEMPublicKey,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SignalMessage,
  SignedPreKeyRecord,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';

import { Peer } from './lib/peer.mjs';
import { Party } from './lib/stores.mjs';
import { fromHex, random, randomBetween, toHex } from './lib/util.mjs';

export const WHISPER = CiphertextMessageType.Whisper;
export const PREKEY = CiphertextMessageType.PreKey;

export function randomId() {
  return randomBetween(1, 0xffffff);
}

// A random plaintext of 0 to 300 bytes.
export function randomPlaintext() {
  return random(randomBetween(0, 300));
}

export class LibsignalSide {
  constructor({ name = randomUUID(), device = randomBetween(1, 127), identity = IdentityKeyPair.generate() } = {}) {
    this.address = ProtocolAddress.new(name, device);
    this.identity = identity;
    this.party = new Party(this.address, identity, randomBetween(1, 16380));
    this.remote = null;
  }

  // The other side's address: Sotto's, as libsignal names it.
  talkTo(remoteAddress) {
    this.remote = remoteAddress;
  }

  async bundle({ oneTime }) {
    const identity = this.identity;
    const signedPreKey = PrivateKey.generate();
    const signedPreKeyId = randomId();
    const signature = identity.privateKey.sign(signedPreKey.getPublicKey().serialize());
    await this.party.signedPreKeys.saveSignedPreKey(signedPreKeyId, SignedPreKeyRecord.new(
      signedPreKeyId, Date.now(), signedPreKey.getPublicKey(), signedPreKey, signature));

    const kem = KEMKeyPair.generate();
    const kyberId = randomId();
    const kyberSignature = identity.privateKey.sign(kem.getPublicKey().serialize());
    await this.party.kyberPreKeys.saveKyberPreKey(kyberId, KyberPreKeyRecord.new(kyberId, Date.now(), kem, kyberSignature));

    const bundle = {
      registration_id: await this.party.identities.getLocalRegistrationId(),
      device_id: this.address.deviceId(),
      identity_key: toHex(identity.publicKey.serialize()),
      signed_prekey_id: signedPreKeyId,
      signed_prekey: toHex(signedPreKey.getPublicKey().serialize()),
      signed_prekey_signature: toHex(signature),
      kyber_prekey_id: kyberId,
      kyber_prekey: toHex(kem.getPublicKey().serialize()),
      kyber_prekey_signature: toHex(kyberSignature),
    };
    if (oneTime) {
      const preKey = PrivateKey.generate();
      const preKeyId = randomId();
      await this.party.preKeys.savePreKey(preKeyId, PreKeyRecord.new(preKeyId, preKey.getPublicKey(), preKey));
      bundle.prekey_id = preKeyId;
      bundle.prekey = toHex(preKey.getPublicKey().serialize());
    }
    return bundle;
  }

  async start(bundle) {
    const preKeyBundle = PreKeyBundle.new(
      bundle.registration_id, bundle.device_id,
      bundle.prekey_id ?? null,
      bundle.prekey === undefined ? null : PublicKey.deserialize(fromHex(bundle.prekey)),
      bundle.signed_prekey_id, PublicKey.deserialize(fromHex(bundle.signed_prekey)),
      fromHex(bundle.signed_prekey_signature),
      PublicKey.deserialize(fromHex(bundle.identity_key)),
      bundle.kyber_prekey_id, KEMPublicKey.deserialize(fromHex(bundle.kyber_prekey)),
      fromHex(bundle.kyber_prekey_signature));
    await processPreKeyBundle(preKeyBundle, this.remote, this.address,
                              this.party.sessions, this.party.identities);
  }

  async encrypt(plaintext) {
    const message = await signalEncrypt(plaintext, this.remote, this.address,
                                        this.party.sessions, this.party.identities);
    return { type: message.type(), body: message.serialize() };
  }

  async decrypt({ type, body }) {
    const party = this.party;
    if (type === PREKEY)
      return signalDecryptPreKey(PreKeySignalMessage.deserialize(body), this.remote, this.address,
                                 party.sessions, party.identities, party.preKeys,
                                 party.signedPreKeys, party.kyberPreKeys);
    assert.equal(type, WHISPER);
    return signalDecrypt(SignalMessage.deserialize(body), this.remote, this.address,
                         party.sessions, party.identities);
  }
}

// A sotto-peer, possibly keeping its state in a directory.
export class SottoSide {
  constructor({ name = randomUUID(), device = randomBetween(1, 127), stateDir = null } = {}) {
    this.name = name;
    this.device = device;
    this.stateDir = stateDir;
    this.address = ProtocolAddress.new(name, device);
    this.peer = new Peer(stateDir === null ? [] : ['--state', stateDir]);
    this.remote = null;
  }

  async init(extra = {}) {
    const answer = await this.peer.call({ op: 'init', name: this.name, device: this.device, ...extra });
    this.identityPublic = fromHex(answer.identity_public);
    return answer;
  }

  talkTo(remoteAddress) {
    this.remote = remoteAddress;
  }

  // Stops this process and starts another on the same state directory.
  async restart() {
    assert.notEqual(this.stateDir, null);
    assert.deepEqual(await this.peer.close(), { code: 0, signal: null });
    this.peer = new Peer(['--state', this.stateDir]);
  }

  async close() {
    assert.deepEqual(await this.peer.close(), { code: 0, signal: null });
  }

  async bundle({ oneTime, lastResort = false }) {
    return this.peer.call({ op: 'prekey_bundle', one_time_prekey: oneTime, last_resort: lastResort });
  }

  async start(bundle) {
    const answer = await this.peer.call({
      op: 'process_bundle', peer: this.remote.name(), device: this.remote.deviceId(), bundle,
    });
    assert.equal(answer.ok, true);
  }

  async encrypt(plaintext) {
    const answer = await this.peer.call({
      op: 'encrypt', peer: this.remote.name(), device: this.remote.deviceId(), plaintext: toHex(plaintext),
    });
    return { type: answer.type, body: fromHex(answer.ciphertext) };
  }

  async decrypt({ type, body }) {
    const answer = await this.peer.call({
      op: 'decrypt', peer: this.remote.name(), device: this.remote.deviceId(), type, ciphertext: toHex(body),
    });
    return fromHex(answer.plaintext);
  }
}

// A libsignal side and a Sotto side that know each other's addresses.
export async function pair({ stateDir = null } = {}) {
  const libsignal = new LibsignalSide();
  const sotto = new SottoSide({ stateDir });
  await sotto.init();
  libsignal.talkTo(sotto.address);
  sotto.talkTo(libsignal.address);
  return { libsignal, sotto };
}

// Sends one random message from @from to @to and checks it arrives.
export async function exchange(from, to) {
  const plaintext = randomPlaintext();
  const message = await from.encrypt(plaintext);
  assert.deepEqual(await to.decrypt(message), plaintext);
  return message;
}
