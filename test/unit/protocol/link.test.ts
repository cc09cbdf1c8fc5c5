import { describe, expect, it } from 'vitest';
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { capsToWords, hasCap, wordsToCaps } from '../../../src/protocol/caps.js';
import { CommonCap, LinkErr, MainCap } from '../../../src/protocol/constants.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encryptTicket, parseLinkHeader, parseLinkReply, writeAuth, writeLinkMess } from '../../../src/protocol/link.js';
import { Writer } from '../../../src/protocol/writer.js';

const webCrypto = async (spki: Uint8Array, data: Uint8Array) => {
  const key = await crypto.subtle.importKey('spki', spki as Uint8Array<ArrayBuffer>, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, ['encrypt']);
  return crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, data as Uint8Array<ArrayBuffer>);
};

function linkReply(error: number, pubKey: Uint8Array, common: number[], channel: number[]): Uint8Array {
  const w = new Writer();
  w.u32(error).bytes(pubKey).u32(common.length).u32(channel.length).u32(178);
  common.forEach((c) => w.u32(c));
  channel.forEach((c) => w.u32(c));
  return w.finish();
}

describe('capabilities', () => {
  it('should pack bit indices into words', () => {
    expect(capsToWords([0, 3])).toEqual([0x09]);
    expect(capsToWords([31, 33])).toEqual([0x80000000, 0x2]);
    expect(hasCap([0x80000000, 0x2], 33)).toBe(true);
    expect(hasCap([0x9], 40)).toBe(false);
    expect(wordsToCaps([0x9, 1])).toEqual([0, 3, 32]);
  });
});

describe('link messages', () => {
  it('should write SpiceLinkHeader + SpiceLinkMess + caps byte for byte', () => {
    const bytes = writeLinkMess({
      connectionId: 0x11223344,
      channelType: 2,
      channelId: 1,
      commonCaps: [CommonCap.ProtocolAuthSelection, CommonCap.AuthSpice, CommonCap.MiniHeader],
      channelCaps: [MainCap.NameAndUuid, MainCap.AgentConnectedTokens],
    });
    expect(Array.from(bytes)).toEqual([
      0x52,
      0x45,
      0x44,
      0x51, // "REDQ"
      2,
      0,
      0,
      0, // major
      2,
      0,
      0,
      0, // minor
      26,
      0,
      0,
      0, // size = 18 + 4*2
      0x44,
      0x33,
      0x22,
      0x11, // connection id
      2,
      1, // channel type, id
      1,
      0,
      0,
      0, // one common caps word
      1,
      0,
      0,
      0, // one channel caps word
      18,
      0,
      0,
      0, // caps offset
      0x0b,
      0,
      0,
      0, // AUTH_SELECTION | AUTH_SPICE | MINI_HEADER
      0x06,
      0,
      0,
      0, // NAME_AND_UUID | AGENT_CONNECTED_TOKENS
    ]);
  });

  it('should check the reply header magic and version', () => {
    const good = new Writer().u32(0x51444552).u32(2).u32(2).u32(186).finish();
    expect(parseLinkHeader(good)).toBe(186);
    expect(() => parseLinkHeader(new Writer().u32(0x50545448).u32(2).u32(2).u32(0).finish())).toThrowError(/not a SPICE server/);
    expect(() => parseLinkHeader(new Writer().u32(0x51444552).u32(1).u32(0).u32(0).finish())).toThrowError(/version 1/);
    expect(() =>
      parseLinkHeader(
        new Writer()
          .u32(0x51444552)
          .u32(2)
          .u32(2)
          .u32(1 << 20)
          .finish(),
      ),
    ).toThrowError(ProtocolError);
  });

  it('should parse a reply with its key and capabilities', () => {
    const key = Uint8Array.from({ length: 162 }, (_, i) => i);
    const reply = parseLinkReply(linkReply(0, key, [0x0b], [0x3]));
    expect(reply.error).toBe(0);
    expect(Array.from(reply.pubKey)).toEqual(Array.from(key));
    expect(reply.commonCaps).toEqual([0x0b]);
    expect(reply.channelCaps).toEqual([0x3]);
  });

  it('should parse an error reply and refuse one that lies about its caps', () => {
    expect(parseLinkReply(new Writer().u32(LinkErr.PermissionDenied).finish()).error).toBe(7);
    const lying = linkReply(0, new Uint8Array(162), [], []);
    new DataView(lying.buffer).setUint32(166, 1000, true);
    expect(() => parseLinkReply(lying)).toThrowError(ProtocolError);
  });

  it('should send the auth mechanism only when the server selects', () => {
    const ticket = new Uint8Array(128).fill(7);
    const selecting = parseLinkReply(linkReply(0, new Uint8Array(162), [0x0b], []));
    const legacy = parseLinkReply(linkReply(0, new Uint8Array(162), [0x02], []));
    expect(Array.from(writeAuth(selecting, ticket).subarray(0, 4))).toEqual([1, 0, 0, 0]);
    expect(writeAuth(selecting, ticket).length).toBe(132);
    expect(writeAuth(legacy, ticket).length).toBe(128);
  });

  it('should encrypt a ticket that OpenSSL OAEP decrypts to the password and a NUL', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    expect(spki.length).toBe(162);
    const ticket = await encryptTicket(webCrypto, spki, 'sécret');
    expect(ticket.length).toBe(128);
    const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ticket);
    expect(Array.from(plain)).toEqual([...Buffer.from('sécret', 'utf8'), 0]);
  });

  it('should refuse a password longer than SPICE allows', async () => {
    await expect(encryptTicket(webCrypto, new Uint8Array(162), 'x'.repeat(61))).rejects.toThrowError(RangeError);
  });
});
