// sealed-sender.test.mjs: sealed sender between Sotto and libsignal, both ways
//
// Copyright 2026 The Sotto authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Certificates made by each side are validated by the other; v1 messages
// and v2 multi-recipient messages (sender keys and session messages) made
// by each side are opened by the other; the relay's split of a
// multi-recipient message gives the same bytes in Sotto and in
// libsignal; expired certificates, certificates from another trust root,
// a certificate that claims our own device, and damaged messages are
// refused, and refusing them changes nothing.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import {
  CiphertextMessageType,
  ContentHint,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  SenderKeyDistributionMessage,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
  sealedSenderMultiRecipientMessageForSingleRecipient,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';

import { equalBytes, fromHex, random, randomBetween, toHex } from './lib/util.mjs';
import { LibsignalSide, SottoSide, exchange, randomPlaintext } from './session-common.mjs';

const DAY = 24 * 60 * 60 * 1000;
const SEALED_PLAINTEXT = 8;

const closers = [];
after(async () => {
  for (const close of closers)
    await close();
});

// One trust root and server key, as a relay would have them.
function newAuthority() {
  const trustRoot = PrivateKey.generate();
  const server = PrivateKey.generate();
  const keyId = randomBetween(1, 0x7fffffff);
  return { trustRoot, server, keyId, serverCertificate: ServerCertificate.new(keyId, server.getPublicKey(), trustRoot) };
}

function libsignalCertificate(authority, name, device, identityPublic, expires) {
  return SenderCertificate.new(name, null, device, identityPublic, expires, authority.serverCertificate, authority.server);
}

// With @embed, the authority's server certificate; else one Sotto makes.
async function sottoCertificate(sotto, authority, { name = sotto.name, device = sotto.device, identity = sotto.identityPublic, expires, embed = false }) {
  const request = {
    op: 'sender_certificate_create',
    uuid: name,
    device,
    identity_key: toHex(identity),
    expires,
    server_private: toHex(authority.server.serialize()),
  };
  if (embed) {
    request.server_certificate = toHex(authority.serverCertificate.serialize());
  } else {
    request.server_key_id = authority.keyId;
    request.trust_root_private = toHex(authority.trustRoot.serialize());
  }
  const answer = await sotto.peer.call(request);
  return fromHex(answer.certificate);
}

// The answer of sotto-peer, error included.
async function sottoDecrypt(sotto, message, trustRoot, now = Date.now()) {
  return sotto.peer.sendLine(JSON.stringify({
    op: 'sealed_decrypt', ciphertext: toHex(message), trust_root: toHex(trustRoot.serialize()), now,
  }));
}

function libsignalDecrypt(party, message, trustRoot, now = Date.now()) {
  const p = party.party;
  return sealedSenderDecryptMessage(message, trustRoot, now, null, party.address.name(), party.address.deviceId(),
                                    p.sessions, p.identities, p.preKeys, p.signedPreKeys, p.kyberPreKeys);
}

// A libsignal party and a Sotto peer with a session both ways, each
// with a certificate from @authority valid for a day.
async function sealedPair(authority) {
  const libsignal = new LibsignalSide();
  const sotto = new SottoSide();
  await sotto.init();
  closers.push(() => sotto.close());
  libsignal.talkTo(sotto.address);
  sotto.talkTo(libsignal.address);
  await libsignal.start(await sotto.bundle({ oneTime: true }));
  const expires = Date.now() + DAY;
  return {
    libsignal,
    sotto,
    libsignalCert: libsignalCertificate(authority, libsignal.address.name(), libsignal.address.deviceId(),
                                        libsignal.identity.publicKey, expires),
    sottoCert: await sottoCertificate(sotto, authority, { expires }),
    expires,
  };
}

function flipRandomBit(message) {
  const copy = message.slice();
  const bit = randomBetween(0, copy.length * 8 - 1);
  copy[bit >> 3] ^= 1 << (bit & 7);
  return copy;
}

let authority;
before(() => {
  authority = newAuthority();
});

test('certificates made by libsignal are validated by Sotto', async () => {
  const sotto = new SottoSide();
  await sotto.init();
  closers.push(() => sotto.close());
  const identity = PrivateKey.generate().getPublicKey();
  const name = randomUUID();
  const expires = Date.now() + DAY;
  const certificate = libsignalCertificate(authority, name, 42, identity, expires).serialize();
  const validate = (bytes, root, now) => sotto.peer.call({
    op: 'sender_certificate_validate', certificate: toHex(bytes), trust_root: toHex(root.serialize()), now,
  });

  const answer = await validate(certificate, authority.trustRoot.getPublicKey(), expires);
  assert.deepEqual(answer, { ok: true, uuid: name, device: 42, identity_key: toHex(identity.serialize()), expires });
  const expired = await validate(certificate, authority.trustRoot.getPublicKey(), expires + 1);
  assert.deepEqual(expired, { ...answer, ok: false });
  const wrongRoot = await validate(certificate, PrivateKey.generate().getPublicKey(), expires);
  assert.deepEqual(wrongRoot, { ...answer, ok: false });

  // Damaged anywhere: libsignal and Sotto both refuse it.
  for (let i = 0; i < certificate.length; i++) {
    const copy = certificate.slice();
    copy[i] ^= 0x20;
    let libsignalValid;
    try {
      libsignalValid = SenderCertificate.deserialize(copy).validate(authority.trustRoot.getPublicKey(), 0);
    } catch {
      libsignalValid = false;
    }
    const sottoAnswer = await sotto.peer.sendLine(JSON.stringify({
      op: 'sender_certificate_validate', certificate: toHex(copy),
      trust_root: toHex(authority.trustRoot.getPublicKey().serialize()), now: 0,
    }));
    assert.equal(libsignalValid, false, `libsignal accepted byte ${i} changed`);
    assert.equal(sottoAnswer.ok, false, `Sotto accepted byte ${i} changed`);
  }
});

test('certificates made by Sotto are validated by libsignal', async () => {
  const sotto = new SottoSide();
  await sotto.init();
  closers.push(() => sotto.close());
  const identity = PrivateKey.generate().getPublicKey();
  const name = randomUUID();
  const expires = Date.now() + DAY;
  const bytes = await sottoCertificate(sotto, authority, { name, device: 127, identity: identity.serialize(), expires });
  const certificate = SenderCertificate.deserialize(bytes);

  assert.equal(certificate.validate(authority.trustRoot.getPublicKey(), expires), true);
  assert.equal(certificate.validate(authority.trustRoot.getPublicKey(), expires + 1), false);
  assert.equal(certificate.validate(PrivateKey.generate().getPublicKey(), expires), false);
  assert.equal(certificate.senderUuid(), name);
  assert.equal(certificate.senderDeviceId(), 127);
  assert.equal(certificate.expiration(), expires);
  assert.ok(certificate.key().equals(identity));
  assert.equal(certificate.serverCertificate().keyId(), authority.keyId);
  assert.ok(certificate.serverCertificate().key().equals(authority.server.getPublicKey()));

  // With the same server certificate, the signed bytes are libsignal's own.
  const embedded = await sottoCertificate(sotto, authority, { name, device: 127, identity: identity.serialize(), expires, embed: true });
  const own = libsignalCertificate(authority, name, 127, identity, expires);
  assert.equal(toHex(SenderCertificate.deserialize(embedded).certificate()), toHex(own.certificate()));
  assert.equal(SenderCertificate.deserialize(embedded).validate(authority.trustRoot.getPublicKey(), expires), true);
});

test('sealed sender v1 from libsignal is opened by Sotto', async () => {
  const { libsignal, sotto, libsignalCert } = await sealedPair(authority);
  const root = authority.trustRoot.getPublicKey();

  // The first message is a PreKeySignalMessage, the later ones, once
  // Sotto has answered, SignalMessages.
  for (let round = 0; round < 20; round++) {
    const plaintext = randomPlaintext();
    const sealed = await sealedSenderEncryptMessage(plaintext, sotto.address, libsignalCert,
                                                    libsignal.party.sessions, libsignal.party.identities);
    const answer = await sottoDecrypt(sotto, sealed, root);
    assert.equal(answer.error, undefined, answer.message);
    assert.equal(answer.sender, libsignal.address.name());
    assert.equal(answer.device, libsignal.address.deviceId());
    assert.equal(answer.type, round === 0 ? CiphertextMessageType.PreKey : CiphertextMessageType.Whisper);
    assert.equal(answer.plaintext, toHex(plaintext));
    assert.equal(answer.content_hint, 0);
    assert.equal(answer.group_id, undefined);
    if (round === 0)
      await exchange(sotto, libsignal);
  }

  // With a content hint and a group id.
  const groupId = random(32);
  const inner = await signalEncrypt(random(50), sotto.address, libsignal.address,
                                    libsignal.party.sessions, libsignal.party.identities);
  const usmc = UnidentifiedSenderMessageContent.new(inner, libsignalCert, ContentHint.Resendable, groupId);
  const answer = await sottoDecrypt(sotto, await sealedSenderEncrypt(usmc, sotto.address, libsignal.party.identities), root);
  assert.equal(answer.content_hint, ContentHint.Resendable);
  assert.equal(answer.group_id, toHex(groupId));
});

test('sealed sender v1 from Sotto is opened by libsignal', async () => {
  const { libsignal, sotto, sottoCert } = await sealedPair(authority);
  const root = authority.trustRoot.getPublicKey();
  await exchange(libsignal, sotto);

  for (let round = 0; round < 20; round++) {
    const plaintext = randomPlaintext();
    const groupId = round % 2 === 0 ? random(randomBetween(1, 40)) : null;
    const request = {
      op: 'sealed_encrypt', peer: libsignal.address.name(), device: libsignal.address.deviceId(),
      plaintext: toHex(plaintext), sender_certificate: toHex(sottoCert), content_hint: round % 3,
    };
    if (groupId !== null)
      request.group_id = toHex(groupId);
    const sealed = fromHex((await sotto.peer.call(request)).ciphertext);
    assert.equal(sealed[0], 0x11);

    const usmc = await sealedSenderDecryptToUsmc(sealed, libsignal.party.identities);
    assert.equal(usmc.contentHint(), round % 3);
    assert.deepEqual(usmc.groupId(), groupId);
    assert.ok(equalBytes(usmc.senderCertificate().serialize(), sottoCert));

    const result = await libsignalDecrypt(libsignal, sealed, root);
    assert.equal(result.senderUuid(), sotto.name);
    assert.equal(result.deviceId(), sotto.device);
    assert.ok(equalBytes(result.message(), plaintext));
  }
});

test('expired, foreign and self-addressed certificates are refused both ways', async () => {
  const { libsignal, sotto, libsignalCert, sottoCert, expires } = await sealedPair(authority);
  const root = authority.trustRoot.getPublicKey();
  await exchange(libsignal, sotto);
  await exchange(sotto, libsignal);

  const fromLibsignal = await sealedSenderEncryptMessage(random(20), sotto.address, libsignalCert,
                                                         libsignal.party.sessions, libsignal.party.identities);
  assert.equal((await sottoDecrypt(sotto, fromLibsignal, root, expires + 1)).error, 'certificate_expired');
  assert.equal((await sottoDecrypt(sotto, fromLibsignal, PrivateKey.generate().getPublicKey())).error, 'invalid_certificate');
  // Refusing it changed nothing: it still opens.
  assert.equal((await sottoDecrypt(sotto, fromLibsignal, root, expires)).error, undefined);

  const fromSotto = fromHex((await sotto.peer.call({
    op: 'sealed_encrypt', peer: libsignal.address.name(), device: libsignal.address.deviceId(),
    plaintext: toHex(random(20)), sender_certificate: toHex(sottoCert), content_hint: 0,
  })).ciphertext);
  await assert.rejects(libsignalDecrypt(libsignal, fromSotto, root, expires + 1));
  await assert.rejects(libsignalDecrypt(libsignal, fromSotto, PrivateKey.generate().getPublicKey()));
  await libsignalDecrypt(libsignal, fromSotto, root, expires);

  // A certificate (validly signed) that claims Sotto's own address.
  const mirror = libsignalCertificate(authority, sotto.name, sotto.device, libsignal.identity.publicKey, expires);
  const inner = await signalEncrypt(random(10), sotto.address, libsignal.address,
                                    libsignal.party.sessions, libsignal.party.identities);
  const selfSent = await sealedSenderEncrypt(UnidentifiedSenderMessageContent.new(inner, mirror, 0, null),
                                             sotto.address, libsignal.party.identities);
  assert.equal((await sottoDecrypt(sotto, selfSent, root)).error, 'self_send');

  // A certificate for another key than the one that sealed the message.
  const stranger = libsignalCertificate(authority, libsignal.address.name(), libsignal.address.deviceId(),
                                        PrivateKey.generate().getPublicKey(), expires);
  const mismatched = await sealedSenderEncrypt(UnidentifiedSenderMessageContent.new(inner, stranger, 0, null),
                                               sotto.address, libsignal.party.identities);
  assert.equal((await sottoDecrypt(sotto, mismatched, root)).error, 'identity_mismatch');
});

test('damaged v1 messages are refused and change nothing', async () => {
  const { libsignal, sotto, libsignalCert } = await sealedPair(authority);
  const root = authority.trustRoot.getPublicKey();
  await exchange(libsignal, sotto);
  await exchange(sotto, libsignal);

  for (let round = 0; round < 10; round++) {
    const plaintext = randomPlaintext();
    const sealed = await sealedSenderEncryptMessage(plaintext, sotto.address, libsignalCert,
                                                    libsignal.party.sessions, libsignal.party.identities);
    for (let i = 0; i < 20; i++) {
      const answer = await sottoDecrypt(sotto, flipRandomBit(sealed), root);
      assert.notEqual(answer.error, undefined);
    }
    for (const cut of [0, 1, sealed.length >> 1, sealed.length - 1]) {
      const answer = await sottoDecrypt(sotto, sealed.slice(0, cut), root);
      assert.notEqual(answer.error, undefined);
    }
    const answer = await sottoDecrypt(sotto, sealed, root);
    assert.equal(answer.plaintext, toHex(plaintext));
  }
});

// A session from @sender, a libsignal party, to the Sotto peer @recipient
// (which @sender does not otherwise talk to).
async function connect(sender, recipient) {
  const bundle = await recipient.bundle({ oneTime: true });
  const saved = sender.remote;
  sender.talkTo(recipient.address);
  await sender.start(bundle);
  sender.talkTo(saved);
}

test('sealed sender v2 with sender keys from libsignal reaches Sotto', async () => {
  const { libsignal, sotto, libsignalCert } = await sealedPair(authority);
  const second = new SottoSide();
  await second.init();
  closers.push(() => second.close());
  await connect(libsignal, second);
  const root = authority.trustRoot.getPublicKey();
  const distributionId = randomUUID();

  const distribution = await SenderKeyDistributionMessage.create(libsignal.address, distributionId, libsignal.party.senderKeys);
  for (const member of [sotto, second])
    await member.peer.call({
      op: 'sender_key_process', peer: libsignal.address.name(), device: libsignal.address.deviceId(),
      distribution_message: toHex(distribution.serialize()),
    });

  for (let round = 0; round < 10; round++) {
    const plaintext = randomPlaintext();
    const groupId = random(16);
    const inner = await groupEncrypt(libsignal.address, distributionId, libsignal.party.senderKeys, plaintext);
    const usmc = UnidentifiedSenderMessageContent.new(inner, libsignalCert, ContentHint.Implicit, groupId);
    const sent = await sealedSenderMultiRecipientEncrypt({
      content: usmc, recipients: [sotto.address, second.address],
      identityStore: libsignal.party.identities, sessionStore: libsignal.party.sessions,
    });
    assert.equal(sent[0], 0x23);
    const parsed = new SealedSenderMultiRecipientMessage(sent);
    const byServiceId = parsed.recipientsByServiceIdString();

    for (const member of [sotto, second]) {
      const split = await member.peer.call({ op: 'sealed_multi_split', ciphertext: toHex(sent), peer: member.name, device: member.device });
      const theirs = parsed.messageForRecipient(byServiceId[member.name]);
      assert.equal(split.message, toHex(theirs));
      const answer = await sottoDecrypt(member, fromHex(split.message), root);
      assert.equal(answer.error, undefined, answer.message);
      assert.equal(answer.type, CiphertextMessageType.SenderKey);
      assert.equal(answer.plaintext, toHex(plaintext));
      assert.equal(answer.content_hint, ContentHint.Implicit);
      assert.equal(answer.group_id, toHex(groupId));
      assert.equal(answer.sender, libsignal.address.name());
    }
    // Not for a device that is not listed.
    const refused = await sotto.peer.sendLine(JSON.stringify({
      op: 'sealed_multi_split', ciphertext: toHex(sent), peer: sotto.name, device: sotto.device === 127 ? 1 : sotto.device + 1,
    }));
    assert.equal(refused.error, 'invalid_argument');
  }
});

test('sealed sender v2 from Sotto reaches libsignal, and the splits agree', async () => {
  const { libsignal, sotto, sottoCert } = await sealedPair(authority);
  const other = new LibsignalSide();
  other.talkTo(sotto.address);
  await other.start(await sotto.bundle({ oneTime: false }));
  const root = authority.trustRoot.getPublicKey();
  // Sotto learns of both sessions by reading a message from each.
  sotto.talkTo(other.address);
  await exchange(other, sotto);
  sotto.talkTo(libsignal.address);
  await exchange(libsignal, sotto);

  const distributionId = randomUUID();
  const distribution = fromHex((await sotto.peer.call({ op: 'sender_key_create', distribution_id: distributionId })).distribution_message);
  for (const member of [libsignal, other])
    await processSenderKeyDistributionMessage(sotto.address, SenderKeyDistributionMessage.deserialize(distribution),
                                              member.party.senderKeys);

  for (let round = 0; round < 10; round++) {
    const plaintext = randomPlaintext();
    const groupId = random(16);
    const sent = fromHex((await sotto.peer.call({
      op: 'sealed_multi_encrypt',
      recipients: [libsignal, other].map((member) => ({ peer: member.address.name(), device: member.address.deviceId() })),
      plaintext: toHex(plaintext), sender_certificate: toHex(sottoCert), content_hint: 1,
      group_id: toHex(groupId), distribution_id: distributionId,
    })).ciphertext);
    assert.equal(sent[0], 0x23);

    const parsed = new SealedSenderMultiRecipientMessage(sent);
    const byServiceId = parsed.recipientsByServiceIdString();
    for (const member of [libsignal, other]) {
      const entry = byServiceId[member.address.name()];
      assert.deepEqual(entry.deviceIds, [member.address.deviceId()]);
      assert.deepEqual(entry.registrationIds, [await member.party.identities.getLocalRegistrationId()]);
      const received = parsed.messageForRecipient(entry);
      const split = await sotto.peer.call({
        op: 'sealed_multi_split', ciphertext: toHex(sent), peer: member.address.name(), device: member.address.deviceId(),
      });
      assert.equal(split.message, toHex(received));

      const usmc = await sealedSenderDecryptToUsmc(received, member.party.identities);
      assert.equal(usmc.msgType(), CiphertextMessageType.SenderKey);
      assert.equal(usmc.contentHint(), 1);
      assert.ok(equalBytes(usmc.groupId(), groupId));
      assert.ok(usmc.senderCertificate().validate(root, Date.now()));
      assert.ok(equalBytes(await groupDecrypt(sotto.address, member.party.senderKeys, usmc.contents()), plaintext));
    }
  }
});

test('sealed sender v2 with a session message, both ways', async () => {
  const { libsignal, sotto, libsignalCert, sottoCert } = await sealedPair(authority);
  const root = authority.trustRoot.getPublicKey();
  await exchange(libsignal, sotto);
  await exchange(sotto, libsignal);

  for (let round = 0; round < 10; round++) {
    // libsignal to Sotto.
    const plaintext = randomPlaintext();
    const inner = await signalEncrypt(plaintext, sotto.address, libsignal.address,
                                      libsignal.party.sessions, libsignal.party.identities);
    const sent = await sealedSenderMultiRecipientEncrypt({
      content: UnidentifiedSenderMessageContent.new(inner, libsignalCert, 0, null),
      recipients: [sotto.address], identityStore: libsignal.party.identities, sessionStore: libsignal.party.sessions,
    });
    const split = await sotto.peer.call({ op: 'sealed_multi_split', ciphertext: toHex(sent), peer: sotto.name, device: sotto.device });
    assert.equal(split.message, toHex(sealedSenderMultiRecipientMessageForSingleRecipient(sent)));
    const answer = await sottoDecrypt(sotto, fromHex(split.message), root);
    assert.equal(answer.plaintext, toHex(plaintext));
    assert.equal(answer.type, CiphertextMessageType.Whisper);

    // Sotto to libsignal.
    const reply = randomPlaintext();
    const sottoSent = fromHex((await sotto.peer.call({
      op: 'sealed_multi_encrypt', recipients: [{ peer: libsignal.address.name(), device: libsignal.address.deviceId() }],
      plaintext: toHex(reply), sender_certificate: toHex(sottoCert), content_hint: 0,
    })).ciphertext);
    const received = sealedSenderMultiRecipientMessageForSingleRecipient(sottoSent);
    const result = await libsignalDecrypt(libsignal, received, root);
    assert.ok(equalBytes(result.message(), reply));
    assert.equal(result.senderUuid(), sotto.name);
  }
});

test('damaged v2 messages are refused and change nothing', async () => {
  const { libsignal, sotto, libsignalCert } = await sealedPair(authority);
  const root = authority.trustRoot.getPublicKey();
  await exchange(libsignal, sotto);
  await exchange(sotto, libsignal);

  for (let round = 0; round < 5; round++) {
    const plaintext = randomPlaintext();
    const inner = await signalEncrypt(plaintext, sotto.address, libsignal.address,
                                      libsignal.party.sessions, libsignal.party.identities);
    const sent = await sealedSenderMultiRecipientEncrypt({
      content: UnidentifiedSenderMessageContent.new(inner, libsignalCert, 0, null),
      recipients: [sotto.address], identityStore: libsignal.party.identities, sessionStore: libsignal.party.sessions,
    });
    const received = sealedSenderMultiRecipientMessageForSingleRecipient(sent);
    for (let i = 0; i < 30; i++) {
      const answer = await sottoDecrypt(sotto, flipRandomBit(received), root);
      assert.notEqual(answer.error, undefined);
    }
    for (let i = 0; i < 30; i++) {
      const split = await sotto.peer.sendLine(JSON.stringify({
        op: 'sealed_multi_split', ciphertext: toHex(sent.slice(0, randomBetween(0, sent.length - 1))), peer: sotto.name, device: sotto.device,
      }));
      if (split.error === undefined)
        assert.notEqual((await sottoDecrypt(sotto, fromHex(split.message), root)).error, undefined);
    }
    const answer = await sottoDecrypt(sotto, received, root);
    assert.equal(answer.plaintext, toHex(plaintext));
  }
});
