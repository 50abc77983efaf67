// attachment.mjs: Signal's attachment encryption on Node's crypto module
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// An implementation independent of Sotto's (Node's crypto is OpenSSL),
// written from the format in docs/protocol.md ("Attachments"): the
// interop test checks Sotto against it and the benchmark times it.

import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const KEY_SIZE = 64;
export const IV_SIZE = 16;
export const MAC_SIZE = 32;

// Signal's size bucket, as Signal-Android's PaddingInputStream and Signal
// Desktop compute it.
export function paddedSize(size) {
  return Math.max(541, Math.floor(Math.pow(1.05, Math.ceil(Math.log(size) / Math.log(1.05)))));
}

export function blobSize(size) {
  return IV_SIZE + (Math.floor(paddedSize(size) / 16) + 1) * 16 + MAC_SIZE;
}

// A streaming encryptor: push() plaintext pieces, then finish() for the
// last pieces of the blob and its digest.  Every piece of the blob goes
// to @sink as it is made.
export class Encryptor {
  constructor(key, iv, size, sink) {
    this.cipher = createCipheriv('aes-256-cbc', key.subarray(0, 32), iv);
    this.mac = createHmac('sha256', key.subarray(32, 64));
    this.hash = createHash('sha256');
    this.padding = paddedSize(size) - size;
    this.sink = sink;
    this.emit(iv);
  }

  emit(bytes) {
    if (bytes.length === 0)
      return;
    this.mac.update(bytes);
    this.hash.update(bytes);
    this.sink(bytes);
  }

  push(plaintext) {
    this.emit(this.cipher.update(plaintext));
  }

  finish() {
    const zeros = Buffer.alloc(Math.min(this.padding, 1 << 20));
    for (let left = this.padding; left > 0; left -= zeros.length)
      this.emit(this.cipher.update(zeros.subarray(0, Math.min(left, zeros.length))));
    this.emit(this.cipher.final());
    const mac = this.mac.digest();
    this.hash.update(mac);
    this.sink(mac);
    return this.hash.digest();
  }
}

export function encrypt(plaintext, key, iv) {
  const pieces = [];
  const encryptor = new Encryptor(Buffer.from(key), Buffer.from(iv), plaintext.length, (piece) => pieces.push(piece));
  encryptor.push(Buffer.from(plaintext));
  const digest = encryptor.finish();
  return { blob: Buffer.concat(pieces), digest };
}

// The blob's MAC over IV ‖ ciphertext, for tests that make blobs a
// sender could make but Sotto never would.
export function mac(key, ivAndCiphertext) {
  return createHmac('sha256', Buffer.from(key).subarray(32, 64)).update(ivAndCiphertext).digest();
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest();
}

// The raw CBC encryption of @padded (a whole number of blocks, no
// PKCS#7 added), for blobs with padding of the test's choosing.
export function cbcRaw(key, iv, padded) {
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(key).subarray(0, 32), iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]);
}

// Decrypts as a recipient does: digest, then MAC, then the plaintext;
// throws an Error whose code is Sotto's error identifier for the same
// failure.
export function decrypt(blob, key, digest, size) {
  const fail = (code) => Object.assign(new Error(code), { code });
  blob = Buffer.from(blob);
  key = Buffer.from(key);
  if (blob.length !== blobSize(size))
    throw fail('malformed');
  if (!timingSafeEqual(sha256(blob), Buffer.from(digest)))
    throw fail('bad_digest');
  const body = blob.subarray(0, blob.length - MAC_SIZE);
  if (!timingSafeEqual(mac(key, body), blob.subarray(blob.length - MAC_SIZE)))
    throw fail('bad_mac');
  const decipher = createDecipheriv('aes-256-cbc', key.subarray(0, 32), blob.subarray(0, IV_SIZE));
  let padded;
  try {
    padded = Buffer.concat([decipher.update(body.subarray(IV_SIZE)), decipher.final()]);
  } catch {
    throw fail('bad_padding');
  }
  if (padded.length !== paddedSize(size) || padded.subarray(size).some((byte) => byte !== 0))
    throw fail('bad_padding');
  return padded.subarray(0, size);
}
