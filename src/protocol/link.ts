/**
 * The SPICE link stage, per channel connection: the client's SpiceLinkHeader + SpiceLinkMess with its
 * capabilities, the server's SpiceLinkReply (an RSA public key and its capabilities), the auth mechanism
 * selection, the RSA-OAEP (SHA-1) encrypted ticket, and the u32 link result. Pure byte packing plus one
 * WebCrypto call; the engine drives the order. See protocol.md §1.
 */
import { CommonCap, LinkErr, SPICE_MAGIC, SPICE_MAX_PASSWORD_LENGTH, SPICE_TICKET_PUBKEY_BYTES, SPICE_VERSION_MAJOR, SPICE_VERSION_MINOR } from './constants.js';
import { capsToWords, hasCap } from './caps.js';
import { ProtocolError } from './errors.js';
import { limitError, MAX_LINK_REPLY_SIZE } from './limits.js';
import { Reader } from './reader.js';
import { utf8Encode } from './utf8.js';
import { Writer } from './writer.js';

/**
 * RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) encryption with a DER SubjectPublicKeyInfo key. The worker
 * passes WebCrypto's; pure modules compile without the DOM lib, so they take it as a function.
 */
export type RsaOaepEncrypt = (spki: Uint8Array, data: Uint8Array) => Promise<ArrayBuffer>;

export const LINK_HEADER_SIZE = 16;
const LINK_MESS_SIZE = 18;
const LINK_REPLY_SIZE = 178;

export interface LinkMess {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: readonly number[];
  channelCaps: readonly number[];
}

export interface LinkReply {
  error: number;
  pubKey: Uint8Array;
  commonCaps: number[];
  channelCaps: number[];
}

/** SpiceLinkHeader followed by SpiceLinkMess and the capability words. */
export function writeLinkMess(m: LinkMess): Uint8Array {
  const common = capsToWords(m.commonCaps);
  const channel = capsToWords(m.channelCaps);
  const w = new Writer(LINK_HEADER_SIZE + LINK_MESS_SIZE + 4 * (common.length + channel.length));
  w.u32(SPICE_MAGIC).u32(SPICE_VERSION_MAJOR).u32(SPICE_VERSION_MINOR);
  w.u32(LINK_MESS_SIZE + 4 * (common.length + channel.length));
  w.u32(m.connectionId).u8(m.channelType).u8(m.channelId);
  w.u32(common.length).u32(channel.length).u32(LINK_MESS_SIZE);
  for (const word of common) w.u32(word);
  for (const word of channel) w.u32(word);
  return w.finish();
}

/** Checks a SpiceLinkHeader and returns the size of the reply that follows it. */
export function parseLinkHeader(bytes: Uint8Array): number {
  const r = new Reader(bytes);
  const magic = r.u32();
  if (magic !== SPICE_MAGIC) throw new ProtocolError(`not a SPICE server: link magic 0x${magic.toString(16)}`);
  const major = r.u32();
  r.u32(); // minor: any 2.x is compatible
  if (major !== SPICE_VERSION_MAJOR) throw new ProtocolError(`unsupported SPICE protocol version ${major}`);
  const size = r.u32();
  if (size > MAX_LINK_REPLY_SIZE) throw limitError(`link reply of ${size} bytes`, `${MAX_LINK_REPLY_SIZE} bytes`, 'MAX_LINK_REPLY_SIZE');
  return size;
}

/** SpiceLinkReply and its capability words. An error reply may be shorter than a full one. */
export function parseLinkReply(bytes: Uint8Array): LinkReply {
  const r = new Reader(bytes);
  const error = r.u32();
  if (error !== LinkErr.Ok) return { error, pubKey: new Uint8Array(0), commonCaps: [], channelCaps: [] };
  if (bytes.byteLength < LINK_REPLY_SIZE) throw new ProtocolError(`link reply of ${bytes.byteLength} bytes is truncated`);
  const pubKey = r.bytesView(SPICE_TICKET_PUBKEY_BYTES).slice();
  const numCommon = r.u32();
  const numChannel = r.u32();
  const capsOffset = r.u32();
  const caps = r.at(capsOffset);
  if (numCommon + numChannel > (bytes.byteLength - capsOffset) / 4) {
    throw new ProtocolError(`link reply announces ${numCommon + numChannel} capability words it does not carry`);
  }
  const commonCaps: number[] = [];
  const channelCaps: number[] = [];
  for (let i = 0; i < numCommon; i++) commonCaps.push(caps.u32());
  for (let i = 0; i < numChannel; i++) channelCaps.push(caps.u32());
  return { error, pubKey, commonCaps, channelCaps };
}

/** What the client sends after the reply: the auth mechanism (if the server selects) and the ticket. */
export function writeAuth(reply: LinkReply, encryptedTicket: Uint8Array): Uint8Array {
  const w = new Writer(4 + encryptedTicket.byteLength);
  if (hasCap(reply.commonCaps, CommonCap.ProtocolAuthSelection)) w.u32(CommonCap.AuthSpice);
  w.bytes(encryptedTicket);
  return w.finish();
}

/** Only the SPICE ticket mechanism is implemented; a server that offers only SASL cannot be linked. */
export function serverAcceptsSpiceAuth(reply: LinkReply): boolean {
  return !hasCap(reply.commonCaps, CommonCap.ProtocolAuthSelection) || hasCap(reply.commonCaps, CommonCap.AuthSpice);
}

/**
 * RSA-OAEP with SHA-1 and MGF1-SHA-1 (OpenSSL's RSA_PKCS1_OAEP_PADDING) of the UTF-8 password plus a NUL,
 * with the server's DER SubjectPublicKeyInfo. The server decrypts even with ticketing disabled, so an
 * empty password still sends a valid blob.
 */
export async function encryptTicket(encrypt: RsaOaepEncrypt, pubKey: Uint8Array, password: string): Promise<Uint8Array> {
  const secret = utf8Encode(password);
  if (secret.byteLength > SPICE_MAX_PASSWORD_LENGTH) {
    throw new RangeError(`password longer than ${SPICE_MAX_PASSWORD_LENGTH} bytes`);
  }
  const plain = new Uint8Array(secret.byteLength + 1);
  plain.set(secret);
  try {
    return new Uint8Array(await encrypt(pubKey, plain));
  } finally {
    plain.fill(0);
    secret.fill(0);
  }
}

/** Human text for a SpiceLinkErr. */
export function linkErrorText(error: number): string {
  const name = Object.entries(LinkErr).find(([, v]) => v === error)?.[0];
  return name ? `link error ${name}` : `link error ${error}`;
}
