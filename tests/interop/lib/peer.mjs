// peer.mjs: drives a sotto-peer process over its JSON-lines interface
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

// The path of the sotto-peer executable under test; meson sets it.
export function peerPath() {
  const path = process.env.SOTTO_PEER;
  if (!path)
    throw new Error('SOTTO_PEER is not set: run the interop tests through meson test');
  return path;
}

// A running sotto-peer.  Requests are answered strictly in order, one
// line each, so a queue of pending promises matches answers to requests.
export class Peer {
  constructor(args = []) {
    this.stderr = '';
    this.pending = [];
    this.child = spawn(peerPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => { this.stderr += chunk; });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        const failure = new Error(`sotto-peer exited (code ${code}, signal ${signal}) with requests pending\n${this.stderr}`);
        for (const { reject } of this.pending.splice(0))
          reject(failure);
        resolve({ code, signal });
      });
    });
    this.child.on('error', (error) => {
      for (const { reject } of this.pending.splice(0))
        reject(error);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => {
      const waiter = this.pending.shift();
      if (waiter === undefined) {
        this.unexpected = line;
        return;
      }
      try {
        waiter.resolve(JSON.parse(line));
      } catch (error) {
        waiter.reject(new Error(`sotto-peer answered with a line that is not JSON: ${line}`));
      }
    });
  }

  // Sends one raw line (a string or bytes, without its newline) and
  // resolves to the parsed answer, whatever it is.
  sendLine(line) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(Buffer.concat([Buffer.from(line), Buffer.from('\n')]));
    });
  }

  // Sends a request object and resolves to its answer, or rejects with
  // the peer's error object when it answers with one.
  async call(request) {
    const answer = await this.sendLine(JSON.stringify(request));
    if (answer.error !== undefined) {
      const error = new Error(`sotto-peer ${request.op}: ${answer.error}: ${answer.message}`);
      error.code = answer.error;
      throw error;
    }
    return answer;
  }

  // Closes stdin and resolves to the exit status once the process ended.
  async close() {
    this.child.stdin.end();
    const status = await this.exited;
    if (this.unexpected !== undefined)
      throw new Error(`sotto-peer wrote a line nobody asked for: ${this.unexpected}`);
    return status;
  }
}
