// bench-attachment.mjs: the same attachment construction on Node's crypto
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Usage: node bench-attachment.mjs [MEGABYTES]
//
// Prints "encrypt", "decrypt", "encrypt_cpu" and "decrypt_cpu" lines
// (MB/s of wall-clock and of processor time) like bench-attachment does,
// for the same work: MEGABYTES (default 100) of
// random bytes streamed 1 MiB at a time through AES-256-CBC, HMAC-SHA256
// and SHA-256 (OpenSSL, through tests/interop/lib/attachment.mjs), the
// blob kept for decryption; decryption reads it twice (digest and MAC,
// then AES and the digest again) and drops each plaintext piece, as
// Sotto's two-pass decryptor does.

import { createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { Encryptor, IV_SIZE, MAC_SIZE, paddedSize } from '../../tests/interop/lib/attachment.mjs';

const CHUNK = 1024 * 1024;
const size = Math.floor(Number.parseFloat(process.argv[2] ?? '100') * 1e6);
const plaintext = randomBytes(size);
const key = randomBytes(64);
const iv = randomBytes(IV_SIZE);

function encrypt() {
  const pieces = [];
  const encryptor = new Encryptor(key, iv, size, (piece) => pieces.push(piece));
  for (let offset = 0; offset < size; offset += CHUNK)
    encryptor.push(plaintext.subarray(offset, Math.min(offset + CHUNK, size)));
  const digest = encryptor.finish();
  return { pieces, digest };
}

function decrypt(blob, digest) {
  const macStart = blob.length - MAC_SIZE;
  const hash = createHash('sha256');
  const mac = createHmac('sha256', key.subarray(32));
  for (let offset = 0; offset < blob.length; offset += CHUNK) {
    const piece = blob.subarray(offset, Math.min(offset + CHUNK, blob.length));
    hash.update(piece);
    mac.update(blob.subarray(offset, Math.min(offset + CHUNK, macStart)));
  }
  if (!timingSafeEqual(hash.digest(), digest) || !timingSafeEqual(mac.digest(), blob.subarray(macStart)))
    throw new Error('the blob does not verify');

  const again = createHash('sha256');
  const decipher = createDecipheriv('aes-256-cbc', key.subarray(0, 32), blob.subarray(0, IV_SIZE));
  let total = 0;
  for (let offset = 0; offset < blob.length; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, blob.length);
    again.update(blob.subarray(offset, end));
    if (end > IV_SIZE && offset < macStart)
      total += decipher.update(blob.subarray(Math.max(offset, IV_SIZE), Math.min(end, macStart))).length;
  }
  total += decipher.final().length;
  if (!timingSafeEqual(again.digest(), digest) || total !== paddedSize(size))
    throw new Error('the blob changed between the passes');
}

// Processor time in seconds, of all the process's threads (as
// CLOCK_PROCESS_CPUTIME_ID in the C bench).
const cpu = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1e6; };
const rate = (seconds) => (size / 1e6 / seconds).toFixed(1);

const start = performance.now();
const cpuStart = cpu();
const { pieces, digest } = encrypt();
const encrypted = performance.now();
const cpuEncrypted = cpu();
// The blob in one buffer, as Sotto's bench keeps it; not timed.
const blob = Buffer.concat(pieces);
const decryptStart = performance.now();
const cpuDecryptStart = cpu();
decrypt(blob, digest);
const decrypted = performance.now();
const cpuDecrypted = cpu();

console.log(`encrypt ${rate((encrypted - start) / 1e3)}`);
console.log(`decrypt ${rate((decrypted - decryptStart) / 1e3)}`);
console.log(`encrypt_cpu ${rate(cpuEncrypted - cpuStart)}`);
console.log(`decrypt_cpu ${rate(cpuDecrypted - cpuDecryptStart)}`);
