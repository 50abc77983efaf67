// bench-libsignal.mjs: throughput of libsignal's primitives, for run.sh
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Usage: node bench-libsignal.mjs [SECONDS]
//
// Prints "<name> <operations per second> [derived]" lines like
// bench-protocol does.  libsignal comes from tests/interop/node_modules
// (`npm ci` there), the very package the interop tests pin.
//
// libsignal's JavaScript API has no Kyber encapsulation or
// decapsulation of its own: it runs them only inside PQXDH.  Those two
// figures are therefore derived, and marked so.  The session-setup
// calls that contain them call back into the JavaScript stores several
// times; the stores here note the time of each callback, and the
// stretch of native work between two of them is timed:
//
//   encapsulate: processPreKeyBundle between getIdentityKey and
//     getLocalRegistrationId, less what else happens there: 3 fixed-base
//     multiplications (the identity's public key, the base key, the
//     first ratchet key) and 4 X25519 agreements (3 of PQXDH, 1 of the
//     ratchet);
//   decapsulate: signalDecryptPreKey of a first message over the same
//     stretch, less 1 fixed-base multiplication (the identity's public
//     key) and 4 variable-base ones (3 agreements of PQXDH and the base
//     key's subgroup check, counted as one agreement).
//
// Each fixed-base and variable-base cost is timed as a key generation
// and an agreement right after every stretch, and subtracted from it.  What remains besides Kyber is one HKDF,
// the set-up of the new session state (which includes SPQR's) and one
// return from JavaScript into native code, so the derived rates are
// lower bounds of libsignal's Kyber throughput.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(new URL('../../tests/interop/package.json', import.meta.url));
const {
  Fingerprint,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  SenderCertificate,
  SenderKeyDistributionMessage,
  SenderKeyStore,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  groupDecrypt,
  groupEncrypt,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  signalDecryptPreKey,
  signalEncrypt,
} = require('@signalapp/libsignal-client');

const seconds = Number.parseFloat(process.argv[2] ?? '2');
if (!(seconds > 0)) {
  console.error('Usage: node bench-libsignal.mjs [SECONDS]');
  process.exit(1);
}

function bytes(length) {
  return new Uint8Array(randomBytes(length));
}

// Runs @operation for about @seconds after a short warm-up and returns
// operations per second as 1 / the median time of one operation, which
// a busy machine disturbs less than the mean.  @operation may return the
// seconds to count for it instead of its whole duration.
async function measure(operation) {
  for (let i = 0; i < 3; i++)
    await operation();
  const samples = [];
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  do {
    const before = process.hrtime.bigint();
    const own = await operation();
    samples.push(typeof own === 'number' ? own : Number(process.hrtime.bigint() - before) / 1e9);
  } while (process.hrtime.bigint() < end);
  samples.sort((a, b) => a - b);
  return 1 / samples[samples.length >> 1];
}

// Seconds that @operation takes, once.
function time(operation) {
  const before = process.hrtime.bigint();
  operation();
  return Number(process.hrtime.bigint() - before) / 1e9;
}

function report(name, rate, note = '') {
  console.log(`${name} ${rate.toFixed(1)}${note ? ' ' + note : ''}`);
}

// Stores that hand out fixed records and forget whatever is saved, so
// that every timed call starts from the same state.
class FixedSessionStore extends SessionStore {
  constructor(record = null) {
    super();
    this.record = record;
  }
  async saveSession() {}
  async getSession() {
    return this.record === null ? null : SessionRecord.deserialize(this.record);
  }
  async getExistingSessions() {
    return [];
  }
}

// Keeps the last record saved and hands it out from then on.
class RecordingSessionStore extends FixedSessionStore {
  async saveSession(address, record) {
    this.record = record.serialize();
  }
}

// Trusts everyone, and notes when libsignal fetches the identity key
// and the registration id: the Kyber operations happen between the two.
class TimingIdentityStore extends IdentityKeyStore {
  constructor(identity) {
    super();
    this.identity = identity;
  }
  async getIdentityKey() {
    this.gotIdentityKey = process.hrtime.bigint();
    return this.identity.privateKey;
  }
  async getLocalRegistrationId() {
    this.gotRegistrationId = process.hrtime.bigint();
    return 1;
  }
  async saveIdentity() {
    return 0;
  }
  async isTrustedIdentity() {
    return true;
  }
  async getIdentity() {
    return null;
  }

  // Seconds between the two callbacks of the call that just ended.
  stretch() {
    if (this.gotIdentityKey === undefined || this.gotRegistrationId === undefined
        || this.gotRegistrationId < this.gotIdentityKey)
      throw new Error('libsignal no longer asks for the identity key before the registration id');
    const seconds = Number(this.gotRegistrationId - this.gotIdentityKey) / 1e9;
    this.gotIdentityKey = this.gotRegistrationId = undefined;
    return seconds;
  }
}

class FixedPreKeyStore extends PreKeyStore {
  async savePreKey() {}
  async getPreKey(id) {
    throw new Error(`no prekey ${id}`);
  }
  async removePreKey() {}
}

class FixedSignedPreKeyStore extends SignedPreKeyStore {
  constructor(record) {
    super();
    this.record = record;
  }
  async saveSignedPreKey() {}
  async getSignedPreKey() {
    return this.record;
  }
}

class FixedKyberPreKeyStore extends KyberPreKeyStore {
  constructor(record) {
    super();
    this.record = record;
  }
  async saveKyberPreKey() {}
  async getKyberPreKey() {
    return this.record;
  }
  async markKyberPreKeyUsed() {}
}

// Keeps the record object it was last given, without serialising it.
class ObjectSenderKeyStore extends SenderKeyStore {
  async saveSenderKey(sender, distributionId, record) {
    this.record = record;
  }
  async getSenderKey() {
    return this.record ?? null;
  }
}

// Hands out the record object it was prepared with and forgets what is
// saved, so that the same message decrypts again and again: libsignal
// works on a copy of what the store returns.
class FixedSenderKeyStore extends SenderKeyStore {
  constructor(record) {
    super();
    this.record = record;
  }
  async saveSenderKey() {}
  async getSenderKey() {
    return this.record;
  }
}

// The primitives, timed directly.
const key = PrivateKey.generate();
const publicKey = key.getPublicKey();
const message = bytes(33);
const signature = key.sign(message);
const other = PrivateKey.generate().getPublicKey();
const localId = new TextEncoder().encode('+14152222222');
const remoteId = new TextEncoder().encode('+14153333333');

report('xeddsa_sign', await measure(() => key.sign(message)));
report('xeddsa_verify', await measure(() => publicKey.verify(message, signature)));
report('fingerprint', await measure(() => {
  const fingerprint = Fingerprint.new(5200, 2, localId, publicKey, remoteId, other);
  fingerprint.displayableFingerprint();
  fingerprint.scannableFingerprint();
}));
report('kyber_keypair', await measure(() => KEMKeyPair.generate()));

// What the timed stretches do besides Kyber, timed right after each
// stretch so that both see the machine in the same state.
function classical(fixedBase, variableBase) {
  let total = 0;
  for (let i = 0; i < fixedBase; i++)
    total += time(() => PrivateKey.generate());
  for (let i = 0; i < variableBase; i++)
    total += time(() => key.agree(other));
  return total;
}

// Bob: identity, signed prekey and Kyber prekey, no one-time prekey.
const alice = ProtocolAddress.new('alice', 1);
const bob = ProtocolAddress.new('bob', 1);
const bobIdentity = IdentityKeyPair.generate();
const signedPreKey = PrivateKey.generate();
const signedPreKeySignature = bobIdentity.privateKey.sign(signedPreKey.getPublicKey().serialize());
const kem = KEMKeyPair.generate();
const kemSignature = bobIdentity.privateKey.sign(kem.getPublicKey().serialize());
const bundle = PreKeyBundle.new(1, 1, null, null, 1, signedPreKey.getPublicKey(), signedPreKeySignature,
                                bobIdentity.publicKey, 1, kem.getPublicKey(), kemSignature);
const bobIdentityStore = new TimingIdentityStore(bobIdentity);
const bobStores = [
  bobIdentityStore,
  new FixedPreKeyStore(),
  new FixedSignedPreKeyStore(SignedPreKeyRecord.new(1, Date.now(), signedPreKey.getPublicKey(), signedPreKey, signedPreKeySignature)),
  new FixedKyberPreKeyStore(KyberPreKeyRecord.new(1, Date.now(), kem, kemSignature)),
];
const aliceIdentityStore = new TimingIdentityStore(IdentityKeyPair.generate());

const encapsulate = await measure(async () => {
  await processPreKeyBundle(bundle, bob, alice, new FixedSessionStore(), aliceIdentityStore);
  return aliceIdentityStore.stretch() - classical(3, 4);
});
report('kyber_encapsulate', encapsulate, 'derived');

const aliceSessions = new RecordingSessionStore();
await processPreKeyBundle(bundle, bob, alice, aliceSessions, aliceIdentityStore);
const first = PreKeySignalMessage.deserialize(
  (await signalEncrypt(bytes(100), bob, alice, aliceSessions, aliceIdentityStore)).serialize());

const decapsulate = await measure(async () => {
  await signalDecryptPreKey(first, alice, bob, new FixedSessionStore(), ...bobStores);
  return bobIdentityStore.stretch() - classical(1, 4);
});
report('kyber_decapsulate', decapsulate, 'derived');

// Groups, as bench-protocol does them: a 100-byte message encrypted by
// the sender, and the same message decrypted by a receiver whose record
// stays as it was after processing the distribution message.  Both go
// through libsignal's async store interface, as an app's calls would.
const sender = ProtocolAddress.new('alice', 1);
const distributionId = '6f2b1c8e-4a3d-4e5f-9a7b-0c1d2e3f4a5b';
const senderKeys = new ObjectSenderKeyStore();
const distribution = await SenderKeyDistributionMessage.create(sender, distributionId, senderKeys);
const groupPlaintext = bytes(100);
const groupMessage = (await groupEncrypt(sender, distributionId, senderKeys, groupPlaintext)).serialize();
const receiving = new ObjectSenderKeyStore();
await processSenderKeyDistributionMessage(sender, distribution, receiving);
const receiverKeys = new FixedSenderKeyStore(receiving.record);

report('group_encrypt', await measure(() => groupEncrypt(sender, distributionId, senderKeys, groupPlaintext)));
report('group_decrypt', await measure(() => groupDecrypt(sender, receiverKeys, groupMessage)));

// Sealed sender v1, as bench-protocol does it: the group message above
// as the inner message of a USMC with a certificate for the sender,
// sealed to Bob's identity; opening it is sealedSenderDecryptToUsmc and
// the certificate's validation, which Sotto's sp_sealed_sender_decrypt
// does in one call.
class SealingIdentityStore extends IdentityKeyStore {
  constructor(identity, remote) {
    super();
    this.identity = identity;
    this.remote = remote;
  }
  async getIdentityKey() {
    return this.identity.privateKey;
  }
  async getLocalRegistrationId() {
    return 1;
  }
  async saveIdentity() {
    return 0;
  }
  async isTrustedIdentity() {
    return true;
  }
  async getIdentity() {
    return this.remote;
  }
}

const trustRoot = PrivateKey.generate();
const server = PrivateKey.generate();
const serverCertificate = ServerCertificate.new(1, server.getPublicKey(), trustRoot);
const senderIdentity = IdentityKeyPair.generate();
const recipientIdentity = IdentityKeyPair.generate();
const senderCertificate = SenderCertificate.new(distributionId, null, 1, senderIdentity.publicKey,
                                                Number.MAX_SAFE_INTEGER, serverCertificate, server);
const usmc = UnidentifiedSenderMessageContent.new(await groupEncrypt(sender, distributionId, senderKeys, groupPlaintext),
                                                  senderCertificate, 0, null);
const sealing = new SealingIdentityStore(senderIdentity, recipientIdentity.publicKey);
const opening = new SealingIdentityStore(recipientIdentity, senderIdentity.publicKey);
const sealed = await sealedSenderEncrypt(usmc, bob, sealing);

report('sealed_v1_encrypt', await measure(() => sealedSenderEncrypt(usmc, bob, sealing)));
report('sealed_v1_decrypt', await measure(async () => {
  const opened = await sealedSenderDecryptToUsmc(sealed, opening);
  if (!opened.senderCertificate().validate(trustRoot.getPublicKey(), 0))
    throw new Error('the certificate does not validate');
}));
