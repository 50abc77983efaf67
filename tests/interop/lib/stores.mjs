// stores.mjs: in-memory libsignal stores for the interop tests
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later

import {
  IdentityChange,
  IdentityKeyStore,
  KyberPreKeyStore,
  PreKeyStore,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';

function addressKey(address) {
  return `${address.name()}.${address.deviceId()}`;
}

// Trusts every identity: the interop tests check cryptography, and
// identity policy has tests of its own.
export class MemoryIdentityStore extends IdentityKeyStore {
  constructor(identityKeyPair, registrationId) {
    super();
    this.identityKeyPair = identityKeyPair;
    this.registrationId = registrationId;
    this.known = new Map();
  }

  async getIdentityKey() {
    return this.identityKeyPair.privateKey;
  }

  async getLocalRegistrationId() {
    return this.registrationId;
  }

  async saveIdentity(address, key) {
    const previous = this.known.get(addressKey(address));
    this.known.set(addressKey(address), key);
    return previous !== undefined && !previous.equals(key)
      ? IdentityChange.ReplacedExisting
      : IdentityChange.NewOrUnchanged;
  }

  async isTrustedIdentity() {
    return true;
  }

  async getIdentity(address) {
    return this.known.get(addressKey(address)) ?? null;
  }
}

// Keeps serialised records, so that what libsignal reads back is always
// what it wrote and never a live object it could still mutate.
export class MemorySessionStore extends SessionStore {
  constructor() {
    super();
    this.records = new Map();
  }

  async saveSession(address, record) {
    this.records.set(addressKey(address), record.serialize());
  }

  async getSession(address) {
    const bytes = this.records.get(addressKey(address));
    return bytes === undefined ? null : SessionRecord.deserialize(bytes);
  }

  async getExistingSessions(addresses) {
    return Promise.all(addresses.map(async (address) => {
      const record = await this.getSession(address);
      if (record === null)
        throw new Error(`no session for ${addressKey(address)}`);
      return record;
    }));
  }
}

export class MemoryPreKeyStore extends PreKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }

  async savePreKey(id, record) {
    this.records.set(id, record);
  }

  async getPreKey(id) {
    const record = this.records.get(id);
    if (record === undefined)
      throw new Error(`no prekey ${id}`);
    return record;
  }

  async removePreKey(id) {
    this.records.delete(id);
  }
}

export class MemorySignedPreKeyStore extends SignedPreKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }

  async saveSignedPreKey(id, record) {
    this.records.set(id, record);
  }

  async getSignedPreKey(id) {
    const record = this.records.get(id);
    if (record === undefined)
      throw new Error(`no signed prekey ${id}`);
    return record;
  }
}

export class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  constructor() {
    super();
    this.records = new Map();
    this.used = [];
  }

  async saveKyberPreKey(id, record) {
    this.records.set(id, record);
  }

  async getKyberPreKey(id) {
    const record = this.records.get(id);
    if (record === undefined)
      throw new Error(`no Kyber prekey ${id}`);
    return record;
  }

  async markKyberPreKeyUsed(id, signedPreKeyId, baseKey) {
    this.used.push({ id, signedPreKeyId, baseKey });
  }
}

// Keeps serialised records, as the session store does.
export class MemorySenderKeyStore extends SenderKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }

  async saveSenderKey(sender, distributionId, record) {
    this.records.set(`${addressKey(sender)}/${distributionId}`, record.serialize());
  }

  async getSenderKey(sender, distributionId) {
    const bytes = this.records.get(`${addressKey(sender)}/${distributionId}`);
    return bytes === undefined ? null : SenderKeyRecord.deserialize(bytes);
  }
}

// Everything one libsignal party needs, under one address.
export class Party {
  constructor(address, identityKeyPair, registrationId) {
    this.address = address;
    this.identityKeyPair = identityKeyPair;
    this.identities = new MemoryIdentityStore(identityKeyPair, registrationId);
    this.sessions = new MemorySessionStore();
    this.preKeys = new MemoryPreKeyStore();
    this.signedPreKeys = new MemorySignedPreKeyStore();
    this.kyberPreKeys = new MemoryKyberPreKeyStore();
    this.senderKeys = new MemorySenderKeyStore();
  }
}
