// fingerprint.mjs: libsignal's safety number for two parties
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Usage: node fingerprint.mjs INTEROP_DIR LOCAL_ID LOCAL_KEY REMOTE_ID REMOTE_KEY
// (identifiers and keys in hex).  Prints the 60 digits Signal's own
// library computes with Signal's parameters: version 2, 5200 iterations.

import { pathToFileURL } from 'node:url';

const [interop, localId, localKey, remoteId, remoteKey] = process.argv.slice(2);
const entry = `${interop}/node_modules/@signalapp/libsignal-client/dist/index.js`;
const { Fingerprint, PublicKey } = await import(pathToFileURL(entry).href);

const fingerprint = Fingerprint.new(5200, 2,
  Buffer.from(localId, 'hex'), PublicKey.deserialize(Buffer.from(localKey, 'hex')),
  Buffer.from(remoteId, 'hex'), PublicKey.deserialize(Buffer.from(remoteKey, 'hex')));

console.log(fingerprint.displayableFingerprint().toString());
