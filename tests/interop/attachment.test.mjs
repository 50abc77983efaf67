// attachment.test.mjs: Sotto's attachment encryption against Node's crypto
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// libsignal's JavaScript API has no attachment encryption; Signal's
// clients build it from AES-256-CBC, HMAC-SHA256 and SHA-256 themselves.
// lib/attachment.mjs does the same on Node's crypto module (OpenSSL), an
// implementation independent of Sotto's libgcrypt one.  Each blob is
// checked both ways: Node's blob decrypts in Sotto, and Sotto's blob is
// byte for byte Node's for the same key and IV.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { blobSize, cbcRaw, decrypt, encrypt, mac, paddedSize, sha256 } from './lib/attachment.mjs';
import { Peer } from './lib/peer.mjs';
import { CASES, concat, random, randomBetween, toHex } from './lib/util.mjs';

let peer;

before(() => {
  peer = new Peer();
});

after(async () => {
  assert.deepEqual(await peer.close(), { code: 0, signal: null });
});

const SIZES = [0, 1, 15, 16, 17, 541, 542, 1 << 20];

// Sotto decrypts @blob, in one go or in chunks of @chunk bytes.
function sottoDecrypt(blob, key, digest, size, chunk) {
  return peer.call({
    op: 'attachment_decrypt', key: toHex(key), digest: toHex(digest), size, blob: toHex(blob),
    ...(chunk === undefined ? {} : { chunk }),
  });
}

function sottoEncrypt(plaintext, key, iv, chunk) {
  return peer.call({
    op: 'attachment_encrypt', key: toHex(key), iv: toHex(iv), plaintext: toHex(plaintext),
    ...(chunk === undefined ? {} : { chunk }),
  });
}

async function expectRefused(promise, code, what) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.code, code, what);
    return true;
  });
}

// Both directions for one plaintext: Sotto's blob equals Node's, Node
// decrypts it, and Sotto decrypts Node's, with and without chunks.
async function checkBothWays(plaintext, chunk) {
  const key = random(64);
  const iv = random(16);
  const ours = encrypt(plaintext, key, iv);
  const what = `size ${plaintext.length}, chunk ${chunk}`;

  const theirs = await sottoEncrypt(plaintext, key, iv, chunk);
  assert.equal(theirs.blob.length, 2 * blobSize(plaintext.length), what);
  assert.equal(theirs.blob, toHex(ours.blob), what);
  assert.equal(theirs.digest, toHex(ours.digest), what);
  assert.equal(toHex(decrypt(Buffer.from(theirs.blob, 'hex'), key, ours.digest, plaintext.length)), toHex(plaintext), what);

  const back = await sottoDecrypt(ours.blob, key, ours.digest, plaintext.length, chunk);
  assert.equal(back.plaintext, toHex(plaintext), what);
}

test('the sizes of the issue, both ways, whole and in chunks', async () => {
  for (const size of SIZES) {
    const plaintext = random(size);
    await checkBothWays(plaintext, undefined);
    await checkBothWays(plaintext, size < 4096 ? randomBetween(1, 40) : 65521);
  }
});

test('random sizes and chunk sizes, both ways', async () => {
  for (let i = 0; i < CASES; i++)
    await checkBothWays(random(randomBetween(0, 4096)), i % 2 === 0 ? undefined : randomBetween(1, 100));
});

// Signal's bucket formula as Node computes it decides the blob length of
// every size on either side of every bucket edge up to 64 KiB.
test('size buckets agree with Signal’s formula at every edge up to 64 KiB', async () => {
  const key = random(64);
  const iv = random(16);
  let edges = 0;
  for (let size = 541; size <= 65536; size = paddedSize(size + 1)) {
    for (const n of [size - 1, size, size + 1]) {
      const { blob } = await sottoEncrypt(new Uint8Array(n), key, iv);
      assert.equal(blob.length / 2, blobSize(n), `size ${n}`);
    }
    edges++;
  }
  assert.ok(edges > 90, `${edges} bucket edges`);
});

test('a blob the relay damaged, truncated, extended or swapped is refused', async () => {
  const key = random(64);
  const plaintext = random(17);
  const { blob, digest } = encrypt(plaintext, key, random(16));
  assert.equal(blob.length, 16 + 544 + 32);

  // Every byte of the IV, the ciphertext and the MAC: against the
  // message's digest the blob is another one; with a digest made for the
  // damaged blob (as only the sender could) the MAC refuses it.
  for (let i = 0; i < blob.length; i++) {
    const damaged = Buffer.from(blob);
    damaged[i] ^= 1 << randomBetween(0, 7);
    await expectRefused(sottoDecrypt(damaged, key, digest, 17), 'bad_digest', `byte ${i}`);
    await expectRefused(sottoDecrypt(damaged, key, sha256(damaged), 17, randomBetween(1, 64)), 'bad_mac', `byte ${i}`);
  }

  for (const length of [0, 1, 16, 32, blob.length - 32, blob.length - 16, blob.length - 1]) {
    const truncated = blob.subarray(0, length);
    await expectRefused(sottoDecrypt(truncated, key, digest, 17), 'malformed', `${length} bytes`);
    await expectRefused(sottoDecrypt(truncated, key, sha256(truncated), 17, 7), 'malformed', `${length} bytes`);
  }
  await expectRefused(sottoDecrypt(concat(blob, [0]), key, digest, 17), 'malformed', 'a byte appended');
  await expectRefused(sottoDecrypt(concat(blob, blob), key, digest, 17, 100), 'malformed', 'the blob twice');

  // Another attachment of the same size, as a relay could swap in.
  const other = encrypt(random(17), random(64), random(16));
  await expectRefused(sottoDecrypt(other.blob, key, digest, 17), 'bad_digest', 'swapped blob');
  await expectRefused(sottoDecrypt(other.blob, key, other.digest, 17), 'bad_mac', 'swapped blob and digest');

  const wrongDigest = Buffer.from(digest);
  wrongDigest[randomBetween(0, 31)] ^= 0x80;
  await expectRefused(sottoDecrypt(blob, key, wrongDigest, 17), 'bad_digest', 'wrong digest');

  // A wrong MAC key fails the MAC; a wrong AES key passes it and
  // decrypts to noise, whose padding is not the format's.
  const wrongMacKey = Buffer.from(key);
  wrongMacKey[randomBetween(32, 63)] ^= 0x01;
  await expectRefused(sottoDecrypt(blob, wrongMacKey, digest, 17), 'bad_mac', 'wrong MAC key');
  const wrongAesKey = Buffer.from(key);
  wrongAesKey[randomBetween(0, 31)] ^= 0x01;
  await expectRefused(sottoDecrypt(blob, wrongAesKey, digest, 17), 'bad_padding', 'wrong AES key');

  // A size from another bucket gives another blob length.
  await expectRefused(sottoDecrypt(blob, key, digest, 542), 'malformed', 'size of another bucket');
  await expectRefused(sottoDecrypt(blob, key, digest, 2 ** 32 + 1), 'invalid_argument', 'size above the limit');
});

// Blobs with a good MAC and bad padding, which only a sender can make.
test('padding other than zeros then PKCS#7 is refused', async () => {
  const key = random(64);
  const iv = random(16);
  const sealed = (padded) => {
    const body = concat(iv, cbcRaw(key, iv, padded));
    const blob = concat(body, mac(key, body));
    return { blob, digest: sha256(blob) };
  };
  const plaintext = random(17);
  const good = concat(plaintext, new Uint8Array(541 - 17), new Uint8Array(3).fill(3));
  const { blob, digest } = sealed(good);
  assert.equal(toHex(blob), toHex(encrypt(plaintext, key, iv).blob));

  const cases = [
    ['a nonzero padding byte', (p) => { p[17 + randomBetween(0, 541 - 18)] = randomBetween(1, 255); }],
    ['a wrong PKCS#7 byte', (p) => { p[541 + randomBetween(0, 2)] = 2; }],
    ['PKCS#7 of 4', (p) => { p.fill(4, 540); }],
    ['PKCS#7 of 0', (p) => { p.fill(0, 541); }],
  ];
  for (const [what, damage] of cases) {
    const padded = Buffer.from(good);
    damage(padded);
    const bad = sealed(padded);
    await expectRefused(sottoDecrypt(bad.blob, key, bad.digest, 17), 'bad_padding', what);
    await expectRefused(sottoDecrypt(bad.blob, key, bad.digest, 17, randomBetween(1, 64)), 'bad_padding', what);
  }

  // A declared size one short makes the last data byte padding; one
  // longer turns a padding zero into data, which the sender could have
  // sent anyway.
  plaintext[16] = 0x5a;
  const shorter = sealed(concat(plaintext, new Uint8Array(541 - 17), new Uint8Array(3).fill(3)));
  await expectRefused(sottoDecrypt(shorter.blob, key, shorter.digest, 16), 'bad_padding', 'size one short');
  const longer = await sottoDecrypt(blob, key, digest, 18);
  assert.equal(longer.plaintext, toHex(concat(plaintext.subarray(0, 16), [good[16]], [0])));
});
