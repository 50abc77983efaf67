// protobuf.mjs: the little protobuf the interop tests need to build and
// take apart libsignal's messages and records by hand
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later

import { concat } from './util.mjs';

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;

export function varint(value) {
  let v = BigInt(value);
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n)
      byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return new Uint8Array(out);
}

function tag(field, wireType) {
  return varint((field << 3) | wireType);
}

export function uint(field, value) {
  return concat(tag(field, VARINT), varint(value));
}

export function bytes(field, value) {
  return concat(tag(field, BYTES), varint(value.length), value);
}

export function fixed64(field, value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return concat(tag(field, FIXED64), out);
}

// Reads one varint at @offset; returns [value as BigInt, next offset].
export function readVarint(data, offset) {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (offset >= data.length)
      throw new Error('truncated varint');
    const byte = data[offset++];
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0)
      return [value, offset];
  }
  throw new Error('overlong varint');
}

// Decodes a message into a Map from field number to the list of its
// values: BigInt for varints and fixed64, Uint8Array for bytes.
export function decode(data) {
  const fields = new Map();
  let offset = 0;
  while (offset < data.length) {
    let key;
    [key, offset] = readVarint(data, offset);
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    let value;
    if (wireType === VARINT) {
      [value, offset] = readVarint(data, offset);
    } else if (wireType === FIXED64) {
      if (offset + 8 > data.length)
        throw new Error('truncated fixed64');
      value = new DataView(data.buffer, data.byteOffset + offset, 8).getBigUint64(0, true);
      offset += 8;
    } else if (wireType === BYTES) {
      let length;
      [length, offset] = readVarint(data, offset);
      if (offset + Number(length) > data.length)
        throw new Error('truncated bytes field');
      value = data.slice(offset, offset + Number(length));
      offset += Number(length);
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
    if (!fields.has(field))
      fields.set(field, []);
    fields.get(field).push(value);
  }
  return fields;
}

// The single value of @field, or throws.
export function one(fields, field) {
  const values = fields.get(field);
  if (values === undefined || values.length !== 1)
    throw new Error(`expected exactly one field ${field}`);
  return values[0];
}
