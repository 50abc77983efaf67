// sender-chain.mjs: a sender-key chain written from the spec (section 8),
// so that the tests can craft SenderKeyMessages at any iteration and
// hand the same messages to libsignal and to Sotto
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// libsignal keeps a sender's signing key inside its record, out of the
// test's reach; with a chain of the test's own, SenderKeyMessage._new signs
// with a key the test holds, and a message far into the chain costs one
// HMAC per step instead of one groupEncrypt.

import { createCipheriv, createHmac, hkdfSync } from 'node:crypto';

import { PrivateKey, SenderKeyDistributionMessage, SenderKeyMessage } from '@signalapp/libsignal-client';

import { random, randomBetween } from './util.mjs';

const VERSION = 3;

function hmac(key, byte) {
  return new Uint8Array(createHmac('sha256', key).update(Uint8Array.of(byte)).digest());
}

export class SenderChain {
  constructor(distributionId) {
    this.distributionId = distributionId;
    this.chainId = randomBetween(0, 0x7fffffff);
    this.signingKey = PrivateKey.generate();
    this.startKey = random(32);
    // Chain keys by iteration, computed on demand from the start.
    this.keys = [this.startKey];
  }

  chainKey(iteration) {
    while (this.keys.length <= iteration)
      this.keys.push(hmac(this.keys[this.keys.length - 1], 0x02));
    return this.keys[iteration];
  }

  // The distribution message of the chain at @iteration.
  distribution(iteration = 0) {
    return SenderKeyDistributionMessage._new(VERSION, this.distributionId, this.chainId, iteration,
                                             this.chainKey(iteration), this.signingKey.getPublicKey());
  }

  // A signed SenderKeyMessage carrying @plaintext at @iteration.
  message(iteration, plaintext) {
    const seed = hmac(this.chainKey(iteration), 0x01);
    const keys = new Uint8Array(hkdfSync('sha256', seed, new Uint8Array(0), 'WhisperGroup', 48));
    const cipher = createCipheriv('aes-256-cbc', keys.subarray(16, 48), keys.subarray(0, 16));
    const ciphertext = new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
    return SenderKeyMessage._new(VERSION, this.distributionId, this.chainId, iteration, ciphertext,
                                 this.signingKey).serialize();
  }
}
