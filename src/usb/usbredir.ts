/**
 * usbredir packets: the wire format of usbredir (docs/usb-redirection-protocol.md, usbredirproto.h) as plain
 * objects, their encoders and decoders, capability negotiation, and `UsbredirStream`, the framer that cuts a
 * byte stream (spicevmc data messages split it anywhere) back into packets.
 *
 * Every packet is `header + type-specific header + data`, all little-endian. The header is `type u32,
 * length u32, id` where id is a u32 until both hellos have advertised `64bits_ids`, then a u64; the hello
 * itself always goes out with a 32-bit id because nothing is known yet. Three more type headers change size
 * with what both sides advertised: device_connect (device_version_bcd), ep_info (max_packet_size,
 * max_streams) and bulk_packet (length_high). `Negotiation` holds both caps and answers those questions.
 *
 * Ids are `bigint`s and echoed exactly as received. Validation follows usbredirparser's
 * (verify_type_header): a packet type the receiving role cannot get, a length that does not fit the type,
 * data in the wrong direction, filter or bulk-receiving packets without the capability, or lengths beyond
 * the limits all throw a ProtocolError.
 */
import { check, ProtocolError } from '../protocol/errors.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  packetTypeName,
  USB_REDIR_CAPS_SIZE,
  USBREDIR_MAX_BULK_TRANSFER_SIZE,
  UsbredirCap,
  UsbredirType,
} from './usbredir-proto.js';

/** Which end of the link a stream or an encoder speaks for: `host` owns the device, `guest` is the VM. */
export type UsbredirRole = 'host' | 'guest';

// ---------------------------------------------------------------------------------------------------------
// Packets

export interface HelloPacket {
  type: typeof UsbredirType.Hello;
  id: bigint;
  /** Free text, at most 63 bytes on the wire (the 64-byte field is NUL-terminated). */
  version: string;
  /** Capability words (word 0 holds UsbredirCap bits). */
  caps: number[];
}
export interface DeviceConnectPacket {
  type: typeof UsbredirType.DeviceConnect;
  id: bigint;
  speed: number;
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  /** bcdDevice; on the wire only when both sides have connect_device_version (absent otherwise). */
  deviceVersionBcd?: number;
}
export interface DeviceDisconnectPacket {
  type: typeof UsbredirType.DeviceDisconnect;
  id: bigint;
}
export interface ResetPacket {
  type: typeof UsbredirType.Reset;
  id: bigint;
}
/** Interfaces of the active configuration, in their current alt settings; arrays have `interfaceCount` items. */
export interface InterfaceInfoPacket {
  type: typeof UsbredirType.InterfaceInfo;
  id: bigint;
  interfaceCount: number;
  interface: number[];
  interfaceClass: number[];
  interfaceSubclass: number[];
  interfaceProtocol: number[];
}
/** Per endpoint index (see epToIndex) arrays of 32 entries. */
export interface EpInfoPacket {
  type: typeof UsbredirType.EpInfo;
  id: bigint;
  epType: number[];
  interval: number[];
  interface: number[];
  /** On the wire only with ep_info_max_packet_size on both sides; all 0 when decoded without it. */
  maxPacketSize: number[];
  /** On the wire only with bulk_streams on both sides; all 0 when decoded without it. */
  maxStreams: number[];
}
export interface SetConfigurationPacket {
  type: typeof UsbredirType.SetConfiguration;
  id: bigint;
  configuration: number;
}
export interface GetConfigurationPacket {
  type: typeof UsbredirType.GetConfiguration;
  id: bigint;
}
export interface ConfigurationStatusPacket {
  type: typeof UsbredirType.ConfigurationStatus;
  id: bigint;
  status: number;
  configuration: number;
}
export interface SetAltSettingPacket {
  type: typeof UsbredirType.SetAltSetting;
  id: bigint;
  interface: number;
  alt: number;
}
export interface GetAltSettingPacket {
  type: typeof UsbredirType.GetAltSetting;
  id: bigint;
  interface: number;
}
export interface AltSettingStatusPacket {
  type: typeof UsbredirType.AltSettingStatus;
  id: bigint;
  status: number;
  interface: number;
  alt: number;
}
export interface StartIsoStreamPacket {
  type: typeof UsbredirType.StartIsoStream;
  id: bigint;
  endpoint: number;
  pktsPerUrb: number;
  noUrbs: number;
}
export interface StopIsoStreamPacket {
  type: typeof UsbredirType.StopIsoStream;
  id: bigint;
  endpoint: number;
}
export interface IsoStreamStatusPacket {
  type: typeof UsbredirType.IsoStreamStatus;
  id: bigint;
  status: number;
  endpoint: number;
}
export interface StartInterruptReceivingPacket {
  type: typeof UsbredirType.StartInterruptReceiving;
  id: bigint;
  endpoint: number;
}
export interface StopInterruptReceivingPacket {
  type: typeof UsbredirType.StopInterruptReceiving;
  id: bigint;
  endpoint: number;
}
export interface InterruptReceivingStatusPacket {
  type: typeof UsbredirType.InterruptReceivingStatus;
  id: bigint;
  status: number;
  endpoint: number;
}
export interface AllocBulkStreamsPacket {
  type: typeof UsbredirType.AllocBulkStreams;
  id: bigint;
  /** Bitmask of endpoint indexes. */
  endpoints: number;
  noStreams: number;
}
export interface FreeBulkStreamsPacket {
  type: typeof UsbredirType.FreeBulkStreams;
  id: bigint;
  endpoints: number;
}
export interface BulkStreamsStatusPacket {
  type: typeof UsbredirType.BulkStreamsStatus;
  id: bigint;
  endpoints: number;
  noStreams: number;
  status: number;
}
export interface CancelDataPacketPacket {
  type: typeof UsbredirType.CancelDataPacket;
  /** The id of the packet to cancel. */
  id: bigint;
}
export interface FilterRejectPacket {
  type: typeof UsbredirType.FilterReject;
  id: bigint;
}
export interface FilterFilterPacket {
  type: typeof UsbredirType.FilterFilter;
  id: bigint;
  /** The rules string without its terminating NUL, e.g. `0x03,-1,-1,-1,0|-1,-1,-1,-1,1`. */
  filter: string;
}
export interface DeviceDisconnectAckPacket {
  type: typeof UsbredirType.DeviceDisconnectAck;
  id: bigint;
}
export interface StartBulkReceivingPacket {
  type: typeof UsbredirType.StartBulkReceiving;
  id: bigint;
  streamId: number;
  bytesPerTransfer: number;
  endpoint: number;
  noTransfers: number;
}
export interface StopBulkReceivingPacket {
  type: typeof UsbredirType.StopBulkReceiving;
  id: bigint;
  streamId: number;
  endpoint: number;
}
export interface BulkReceivingStatusPacket {
  type: typeof UsbredirType.BulkReceivingStatus;
  id: bigint;
  streamId: number;
  endpoint: number;
  status: number;
}
export interface ControlPacketPacket {
  type: typeof UsbredirType.ControlPacket;
  id: bigint;
  /** 0x00 or 0x80: only the direction bit matters. */
  endpoint: number;
  request: number;
  requestType: number;
  status: number;
  value: number;
  index: number;
  /** wLength in a request, the actual length in a reply. */
  length: number;
  /** The data stage: OUT requests carry it guest→host, IN replies host→guest; empty otherwise. */
  data: Uint8Array;
}
export interface BulkPacketPacket {
  type: typeof UsbredirType.BulkPacket;
  id: bigint;
  endpoint: number;
  status: number;
  /** Full length (length | length_high << 16 when 32bits_bulk_length is negotiated). */
  length: number;
  streamId: number;
  data: Uint8Array;
}
export interface IsoPacketPacket {
  type: typeof UsbredirType.IsoPacket;
  id: bigint;
  endpoint: number;
  status: number;
  length: number;
  data: Uint8Array;
}
export interface InterruptPacketPacket {
  type: typeof UsbredirType.InterruptPacket;
  id: bigint;
  endpoint: number;
  status: number;
  length: number;
  data: Uint8Array;
}
export interface BufferedBulkPacketPacket {
  type: typeof UsbredirType.BufferedBulkPacket;
  id: bigint;
  streamId: number;
  length: number;
  endpoint: number;
  status: number;
  data: Uint8Array;
}

export type UsbredirPacket =
  | HelloPacket
  | DeviceConnectPacket
  | DeviceDisconnectPacket
  | ResetPacket
  | InterfaceInfoPacket
  | EpInfoPacket
  | SetConfigurationPacket
  | GetConfigurationPacket
  | ConfigurationStatusPacket
  | SetAltSettingPacket
  | GetAltSettingPacket
  | AltSettingStatusPacket
  | StartIsoStreamPacket
  | StopIsoStreamPacket
  | IsoStreamStatusPacket
  | StartInterruptReceivingPacket
  | StopInterruptReceivingPacket
  | InterruptReceivingStatusPacket
  | AllocBulkStreamsPacket
  | FreeBulkStreamsPacket
  | BulkStreamsStatusPacket
  | CancelDataPacketPacket
  | FilterRejectPacket
  | FilterFilterPacket
  | DeviceDisconnectAckPacket
  | StartBulkReceivingPacket
  | StopBulkReceivingPacket
  | BulkReceivingStatusPacket
  | ControlPacketPacket
  | BulkPacketPacket
  | IsoPacketPacket
  | InterruptPacketPacket
  | BufferedBulkPacketPacket;

// ---------------------------------------------------------------------------------------------------------
// Capabilities

/** Capability words (USB_REDIR_CAPS_SIZE of them) with the given bits set. */
export function capsWords(caps: Iterable<number>): number[] {
  const words = new Array<number>(USB_REDIR_CAPS_SIZE).fill(0);
  for (const cap of caps) {
    const w = cap >> 5;
    if (w >= words.length) throw new RangeError(`capability ${cap} out of range`);
    words[w] = (words[w]! | (1 << (cap & 31))) >>> 0;
  }
  return words;
}

/** Whether capability `cap` is set in `words`. */
export function hasCap(words: readonly number[], cap: number): boolean {
  const w = words[cap >> 5] ?? 0;
  return ((w >>> (cap & 31)) & 1) === 1;
}

/** The capability bit indexes set in `words`, ascending. */
export function capList(words: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < words.length * 32; i++) if (hasCap(words, i)) out.push(i);
  return out;
}

/** usbredirparser_verify_caps: bulk_streams is meaningless (and dropped) without ep_info_max_packet_size. */
function sanitizeCaps(words: readonly number[]): number[] {
  const out = Array.from({ length: USB_REDIR_CAPS_SIZE }, (_, i) => (words[i] ?? 0) >>> 0);
  if (hasCap(out, UsbredirCap.BulkStreams) && !hasCap(out, UsbredirCap.EpInfoMaxPacketSize)) {
    out[0] = (out[0]! & ~(1 << UsbredirCap.BulkStreams)) >>> 0;
  }
  return out;
}

/**
 * What both sides agreed on. Until the peer's hello is seen (`havePeerCaps` false) every negotiated feature
 * is off, which is exactly the rule for the first packets: 32-bit ids, short type headers.
 */
export class Negotiation {
  readonly ourCaps: readonly number[];
  private peer: number[] | undefined;

  constructor(ourCaps: readonly number[], peerCaps?: readonly number[]) {
    this.ourCaps = sanitizeCaps(ourCaps);
    if (peerCaps) this.setPeerCaps(peerCaps);
  }

  get havePeerCaps(): boolean {
    return this.peer !== undefined;
  }

  get peerCaps(): readonly number[] | undefined {
    return this.peer;
  }

  /** Records the peer's caps (from its hello). A second hello does not renegotiate (usbredirparser ignores it). */
  setPeerCaps(caps: readonly number[]): boolean {
    if (this.peer) return false;
    this.peer = sanitizeCaps(caps);
    return true;
  }

  /** We advertised `cap`. */
  have(cap: number): boolean {
    return hasCap(this.ourCaps, cap);
  }

  /** The peer advertised `cap` (false before its hello). */
  peerHas(cap: number): boolean {
    return this.peer !== undefined && hasCap(this.peer, cap);
  }

  /** Both sides advertised `cap`: the rule for every field whose size depends on caps. */
  both(cap: number): boolean {
    return this.have(cap) && this.peerHas(cap);
  }

  get ids64(): boolean {
    return this.both(UsbredirCap.Ids64bits);
  }
  get headerLength(): number {
    return this.ids64 ? 16 : 12;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Type-specific header sizes and direction rules

/** Who may send each packet type. */
const Dir = { Both: 0, HostToGuest: 1, GuestToHost: 2 } as const;
type Dir = (typeof Dir)[keyof typeof Dir];

const DIRECTION: Record<number, Dir> = {
  [UsbredirType.Hello]: Dir.Both,
  [UsbredirType.DeviceConnect]: Dir.HostToGuest,
  [UsbredirType.DeviceDisconnect]: Dir.HostToGuest,
  [UsbredirType.Reset]: Dir.GuestToHost,
  [UsbredirType.InterfaceInfo]: Dir.HostToGuest,
  [UsbredirType.EpInfo]: Dir.HostToGuest,
  [UsbredirType.SetConfiguration]: Dir.GuestToHost,
  [UsbredirType.GetConfiguration]: Dir.GuestToHost,
  [UsbredirType.ConfigurationStatus]: Dir.HostToGuest,
  [UsbredirType.SetAltSetting]: Dir.GuestToHost,
  [UsbredirType.GetAltSetting]: Dir.GuestToHost,
  [UsbredirType.AltSettingStatus]: Dir.HostToGuest,
  [UsbredirType.StartIsoStream]: Dir.GuestToHost,
  [UsbredirType.StopIsoStream]: Dir.GuestToHost,
  [UsbredirType.IsoStreamStatus]: Dir.HostToGuest,
  [UsbredirType.StartInterruptReceiving]: Dir.GuestToHost,
  [UsbredirType.StopInterruptReceiving]: Dir.GuestToHost,
  [UsbredirType.InterruptReceivingStatus]: Dir.HostToGuest,
  [UsbredirType.AllocBulkStreams]: Dir.GuestToHost,
  [UsbredirType.FreeBulkStreams]: Dir.GuestToHost,
  [UsbredirType.BulkStreamsStatus]: Dir.HostToGuest,
  [UsbredirType.CancelDataPacket]: Dir.GuestToHost,
  [UsbredirType.FilterReject]: Dir.GuestToHost,
  [UsbredirType.FilterFilter]: Dir.Both,
  [UsbredirType.DeviceDisconnectAck]: Dir.GuestToHost,
  [UsbredirType.StartBulkReceiving]: Dir.GuestToHost,
  [UsbredirType.StopBulkReceiving]: Dir.GuestToHost,
  [UsbredirType.BulkReceivingStatus]: Dir.HostToGuest,
  [UsbredirType.ControlPacket]: Dir.Both,
  [UsbredirType.BulkPacket]: Dir.Both,
  [UsbredirType.IsoPacket]: Dir.Both,
  [UsbredirType.InterruptPacket]: Dir.Both,
  [UsbredirType.BufferedBulkPacket]: Dir.HostToGuest,
};

/** Packet types that may carry data after the type-specific header. */
const HAS_DATA = new Set<number>([
  UsbredirType.Hello,
  UsbredirType.FilterFilter,
  UsbredirType.ControlPacket,
  UsbredirType.BulkPacket,
  UsbredirType.IsoPacket,
  UsbredirType.InterruptPacket,
  UsbredirType.BufferedBulkPacket,
]);

/** Which capability a packet type needs (on the receiver's own side when received, the peer's when sent). */
const NEEDS_CAP: Record<number, number> = {
  [UsbredirType.FilterReject]: UsbredirCap.Filter,
  [UsbredirType.FilterFilter]: UsbredirCap.Filter,
  [UsbredirType.DeviceDisconnectAck]: UsbredirCap.DeviceDisconnectAck,
  [UsbredirType.StartBulkReceiving]: UsbredirCap.BulkReceiving,
  [UsbredirType.StopBulkReceiving]: UsbredirCap.BulkReceiving,
  [UsbredirType.BulkReceivingStatus]: UsbredirCap.BulkReceiving,
  [UsbredirType.BufferedBulkPacket]: UsbredirCap.BulkReceiving,
};

/**
 * Size of the type-specific header of `type` as `sender` would send it under `neg`, or -1 when that role
 * may not send that type at all (usbredirparser_get_type_header_len).
 */
export function typeHeaderLength(type: number, neg: Negotiation, sender: UsbredirRole): number {
  const dir = DIRECTION[type];
  if (dir === undefined) return -1;
  if (dir === Dir.HostToGuest && sender !== 'host') return -1;
  if (dir === Dir.GuestToHost && sender !== 'guest') return -1;
  switch (type) {
    case UsbredirType.Hello:
      return 64;
    case UsbredirType.DeviceConnect:
      return neg.both(UsbredirCap.ConnectDeviceVersion) ? 10 : 8;
    case UsbredirType.InterfaceInfo:
      return 4 + 4 * 32;
    case UsbredirType.EpInfo:
      if (neg.both(UsbredirCap.BulkStreams)) return 3 * 32 + 2 * 32 + 4 * 32;
      if (neg.both(UsbredirCap.EpInfoMaxPacketSize)) return 3 * 32 + 2 * 32;
      return 3 * 32;
    case UsbredirType.SetConfiguration:
      return 1;
    case UsbredirType.ConfigurationStatus:
      return 2;
    case UsbredirType.SetAltSetting:
      return 2;
    case UsbredirType.GetAltSetting:
      return 1;
    case UsbredirType.AltSettingStatus:
      return 3;
    case UsbredirType.StartIsoStream:
      return 3;
    case UsbredirType.StopIsoStream:
      return 1;
    case UsbredirType.IsoStreamStatus:
      return 2;
    case UsbredirType.StartInterruptReceiving:
    case UsbredirType.StopInterruptReceiving:
      return 1;
    case UsbredirType.InterruptReceivingStatus:
      return 2;
    case UsbredirType.AllocBulkStreams:
      return 8;
    case UsbredirType.FreeBulkStreams:
      return 4;
    case UsbredirType.BulkStreamsStatus:
      return 9;
    case UsbredirType.StartBulkReceiving:
      return 10;
    case UsbredirType.StopBulkReceiving:
      return 5;
    case UsbredirType.BulkReceivingStatus:
      return 6;
    case UsbredirType.ControlPacket:
      return 10;
    case UsbredirType.BulkPacket:
      return neg.both(UsbredirCap.BulkLength32bits) ? 10 : 8;
    case UsbredirType.IsoPacket:
    case UsbredirType.InterruptPacket:
      return 4;
    case UsbredirType.BufferedBulkPacket:
      return 10;
    default:
      // device_disconnect, reset, get_configuration, cancel_data_packet, filter_reject, device_disconnect_ack
      return 0;
  }
}

/**
 * The data rules of usbredirparser_verify_type_header for data packets. `fromHost` says who sent it.
 * Data travels with OUT requests (guest→host) and IN replies (host→guest); everything else is header only.
 */
function checkDataDirection(
  type: number,
  endpoint: number,
  length: number,
  dataLength: number,
  fromHost: boolean,
): void {
  const isIn = (endpoint & 0x80) !== 0;
  const expectData = isIn === fromHost;
  const name = packetTypeName(type);
  const ep = endpoint.toString(16).padStart(2, '0');
  if (expectData) {
    check(dataLength === length, () => `${name}: data length ${dataLength} != header length ${length} (ep 0x${ep})`);
    return;
  }
  check(dataLength === 0, () => `${name}: unexpected data (${dataLength} bytes) for ep 0x${ep}`);
  // Iso and buffered bulk packets only ever carry data; an interrupt IN request from the guest does not exist
  // (the host streams interrupt IN data after start_interrupt_receiving).
  if (type === UsbredirType.IsoPacket || type === UsbredirType.BufferedBulkPacket) {
    throw new ProtocolError(`${name} sent in the wrong direction (ep 0x${ep})`);
  }
  if (type === UsbredirType.InterruptPacket && !fromHost) {
    throw new ProtocolError(`interrupt_packet for IN ep 0x${ep} from the guest`);
  }
}

function checkInEndpoint(type: number, endpoint: number): void {
  check((endpoint & 0x80) !== 0, () => `${packetTypeName(type)} on non-input ep 0x${endpoint.toString(16)}`);
}

// ---------------------------------------------------------------------------------------------------------
// Text (the pure zone has no TextEncoder; usbredir strings are ASCII)

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c >= 0x20 && c < 0x7f ? c : 0x3f; // '?'
  }
  return out;
}

function asciiString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\ufffd';
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

const U8 = (v: number) => v >= 0 && v <= 0xff && Number.isInteger(v);
const U16 = (v: number) => v >= 0 && v <= 0xffff && Number.isInteger(v);
const U32 = (v: number) => v >= 0 && v <= 0xffffffff && Number.isInteger(v);

function u8(w: Writer, v: number, what: string): void {
  if (!U8(v)) throw new RangeError(`${what} ${v} does not fit a u8`);
  w.u8(v);
}
function u16(w: Writer, v: number, what: string): void {
  if (!U16(v)) throw new RangeError(`${what} ${v} does not fit a u16`);
  w.u16(v);
}
function u32(w: Writer, v: number, what: string): void {
  if (!U32(v)) throw new RangeError(`${what} ${v} does not fit a u32`);
  w.u32(v);
}
function array(w: Writer, values: readonly number[], count: number, size: 1 | 2 | 4, what: string): void {
  if (values.length > count) throw new RangeError(`${what} has ${values.length} entries, at most ${count}`);
  for (let i = 0; i < count; i++) {
    const v = values[i] ?? 0;
    if (size === 1) u8(w, v, what);
    else if (size === 2) u16(w, v, what);
    else u32(w, v, what);
  }
}

/**
 * Encodes `packet` as `sender` would send it under `neg`. Throws a RangeError for values that do not fit
 * their fields and a ProtocolError for packets the sender may not send (wrong role, missing peer capability,
 * data in the wrong direction), like usbredirparser's send-side verification.
 */
export function encodePacket(packet: UsbredirPacket, neg: Negotiation, sender: UsbredirRole): Uint8Array {
  const type = packet.type;
  const thl = typeHeaderLength(type, neg, sender);
  if (thl < 0) throw new ProtocolError(`a usb-${sender} cannot send ${packetTypeName(type)}`);
  const cap = NEEDS_CAP[type];
  if (cap !== undefined && !neg.peerHas(cap)) {
    throw new ProtocolError(`${packetTypeName(type)} needs the peer's capability ${cap}`);
  }
  const fromHost = sender === 'host';
  const body = new Writer(thl + 16);
  let data: Uint8Array | undefined;

  switch (packet.type) {
    case UsbredirType.Hello: {
      const version = asciiBytes(packet.version).subarray(0, 63);
      const field = new Uint8Array(64);
      field.set(version);
      body.bytes(field);
      for (const word of packet.caps) u32(body, word, 'caps word');
      break;
    }
    case UsbredirType.DeviceConnect:
      u8(body, packet.speed, 'speed');
      u8(body, packet.deviceClass, 'device_class');
      u8(body, packet.deviceSubclass, 'device_subclass');
      u8(body, packet.deviceProtocol, 'device_protocol');
      u16(body, packet.vendorId, 'vendor_id');
      u16(body, packet.productId, 'product_id');
      if (thl === 10) u16(body, packet.deviceVersionBcd ?? 0, 'device_version_bcd');
      break;
    case UsbredirType.InterfaceInfo: {
      const n = packet.interfaceCount;
      if (!Number.isInteger(n) || n < 0 || n > 32) throw new RangeError(`interface_count ${n} not in 0..32`);
      u32(body, n, 'interface_count');
      array(body, packet.interface.slice(0, n), 32, 1, 'interface');
      array(body, packet.interfaceClass.slice(0, n), 32, 1, 'interface_class');
      array(body, packet.interfaceSubclass.slice(0, n), 32, 1, 'interface_subclass');
      array(body, packet.interfaceProtocol.slice(0, n), 32, 1, 'interface_protocol');
      break;
    }
    case UsbredirType.EpInfo:
      array(body, packet.epType, 32, 1, 'type');
      array(body, packet.interval, 32, 1, 'interval');
      array(body, packet.interface, 32, 1, 'interface');
      if (thl >= 160) array(body, packet.maxPacketSize, 32, 2, 'max_packet_size');
      if (thl >= 288) array(body, packet.maxStreams, 32, 4, 'max_streams');
      break;
    case UsbredirType.SetConfiguration:
      u8(body, packet.configuration, 'configuration');
      break;
    case UsbredirType.ConfigurationStatus:
      u8(body, packet.status, 'status');
      u8(body, packet.configuration, 'configuration');
      break;
    case UsbredirType.SetAltSetting:
      u8(body, packet.interface, 'interface');
      u8(body, packet.alt, 'alt');
      break;
    case UsbredirType.GetAltSetting:
      u8(body, packet.interface, 'interface');
      break;
    case UsbredirType.AltSettingStatus:
      u8(body, packet.status, 'status');
      u8(body, packet.interface, 'interface');
      u8(body, packet.alt, 'alt');
      break;
    case UsbredirType.StartIsoStream:
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.pktsPerUrb, 'pkts_per_urb');
      u8(body, packet.noUrbs, 'no_urbs');
      break;
    case UsbredirType.StopIsoStream:
      u8(body, packet.endpoint, 'endpoint');
      break;
    case UsbredirType.IsoStreamStatus:
      u8(body, packet.status, 'status');
      u8(body, packet.endpoint, 'endpoint');
      break;
    case UsbredirType.StartInterruptReceiving:
    case UsbredirType.StopInterruptReceiving:
      checkInEndpoint(type, packet.endpoint);
      u8(body, packet.endpoint, 'endpoint');
      break;
    case UsbredirType.InterruptReceivingStatus:
      checkInEndpoint(type, packet.endpoint);
      u8(body, packet.status, 'status');
      u8(body, packet.endpoint, 'endpoint');
      break;
    case UsbredirType.AllocBulkStreams:
      u32(body, packet.endpoints, 'endpoints');
      u32(body, packet.noStreams, 'no_streams');
      break;
    case UsbredirType.FreeBulkStreams:
      u32(body, packet.endpoints, 'endpoints');
      break;
    case UsbredirType.BulkStreamsStatus:
      u32(body, packet.endpoints, 'endpoints');
      u32(body, packet.noStreams, 'no_streams');
      u8(body, packet.status, 'status');
      break;
    case UsbredirType.FilterFilter:
      data = new Uint8Array(packet.filter.length + 1);
      data.set(asciiBytes(packet.filter));
      break;
    case UsbredirType.StartBulkReceiving:
      checkInEndpoint(type, packet.endpoint);
      if (packet.bytesPerTransfer > USBREDIR_MAX_BULK_TRANSFER_SIZE) {
        throw new RangeError(`bytes_per_transfer ${packet.bytesPerTransfer} exceeds 128 MiB`);
      }
      u32(body, packet.streamId, 'stream_id');
      u32(body, packet.bytesPerTransfer, 'bytes_per_transfer');
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.noTransfers, 'no_transfers');
      break;
    case UsbredirType.StopBulkReceiving:
      checkInEndpoint(type, packet.endpoint);
      u32(body, packet.streamId, 'stream_id');
      u8(body, packet.endpoint, 'endpoint');
      break;
    case UsbredirType.BulkReceivingStatus:
      checkInEndpoint(type, packet.endpoint);
      u32(body, packet.streamId, 'stream_id');
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.status, 'status');
      break;
    case UsbredirType.ControlPacket:
      checkDataDirection(type, packet.endpoint, packet.length, packet.data.byteLength, fromHost);
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.request, 'request');
      u8(body, packet.requestType, 'requesttype');
      u8(body, packet.status, 'status');
      u16(body, packet.value, 'value');
      u16(body, packet.index, 'index');
      u16(body, packet.length, 'length');
      data = packet.data;
      break;
    case UsbredirType.BulkPacket: {
      checkDataDirection(type, packet.endpoint, packet.length, packet.data.byteLength, fromHost);
      const long = thl === 10;
      const max = long ? USBREDIR_MAX_BULK_TRANSFER_SIZE : 0xffff;
      if (!U32(packet.length) || packet.length > max) {
        throw new RangeError(`bulk length ${packet.length} exceeds ${max}${long ? '' : ' (no 32bits_bulk_length)'}`);
      }
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.status, 'status');
      body.u16(packet.length & 0xffff);
      u32(body, packet.streamId, 'stream_id');
      if (long) body.u16(packet.length >>> 16);
      data = packet.data;
      break;
    }
    case UsbredirType.IsoPacket:
    case UsbredirType.InterruptPacket:
      checkDataDirection(type, packet.endpoint, packet.length, packet.data.byteLength, fromHost);
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.status, 'status');
      u16(body, packet.length, 'length');
      data = packet.data;
      break;
    case UsbredirType.BufferedBulkPacket:
      checkDataDirection(type, packet.endpoint, packet.length, packet.data.byteLength, fromHost);
      if (packet.length > USBREDIR_MAX_BULK_TRANSFER_SIZE) {
        throw new RangeError(`buffered bulk length ${packet.length} exceeds 128 MiB`);
      }
      u32(body, packet.streamId, 'stream_id');
      u32(body, packet.length, 'length');
      u8(body, packet.endpoint, 'endpoint');
      u8(body, packet.status, 'status');
      data = packet.data;
      break;
    default:
      // Header-only packets: device_disconnect, reset, get_configuration, cancel_data_packet,
      // filter_reject, device_disconnect_ack.
      break;
  }
  if (body.length !== thl && packet.type !== UsbredirType.Hello) {
    throw new Error(`internal: ${packetTypeName(type)} header is ${body.length} bytes, expected ${thl}`);
  }

  const length = body.length + (data?.byteLength ?? 0);
  const out = new Writer(neg.headerLength + length);
  out.u32(type);
  out.u32(length);
  // The hello always uses the short header: the peer reads it before it knows our caps (usbredirparser queues
  // its hello at init, before anything is negotiated), even if the peer's hello happened to arrive first.
  if (neg.ids64 && type !== UsbredirType.Hello) {
    out.u64(BigInt.asUintN(64, packet.id));
  } else {
    if (packet.id < 0n || packet.id > 0xffffffffn) {
      throw new RangeError(`id ${packet.id} needs 64bits_ids, which is not negotiated`);
    }
    out.u32(Number(packet.id));
  }
  out.bytes(body.finish());
  if (data) out.bytes(data);
  return out.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/**
 * Decodes the type-specific header and data of one packet (`body` = everything after the packet header) as
 * `receiver` would see it under `neg`. Throws a ProtocolError for anything usbredirparser would refuse.
 */
export function decodePacket(
  type: number,
  id: bigint,
  body: Uint8Array,
  neg: Negotiation,
  receiver: UsbredirRole,
): UsbredirPacket {
  const sender: UsbredirRole = receiver === 'host' ? 'guest' : 'host';
  const name = packetTypeName(type);
  const thl = typeHeaderLength(type, neg, sender);
  if (thl < 0) {
    throw new ProtocolError(
      DIRECTION[type] === undefined ? `invalid usbredir packet ${name}` : `a usb-${receiver} cannot receive ${name}`,
    );
  }
  check(body.byteLength >= thl, () => `${name}: length ${body.byteLength} shorter than its ${thl}-byte header`);
  check(HAS_DATA.has(type) || body.byteLength === thl, () => `${name}: invalid length ${body.byteLength}`);
  const cap = NEEDS_CAP[type];
  if (cap !== undefined) check(neg.have(cap), () => `${name} without our capability ${cap}`);

  const r = new Reader(body.subarray(0, thl));
  const data = body.subarray(thl);
  const fromHost = sender === 'host';
  const arr = (n: number, read: () => number) => Array.from({ length: n }, read);

  switch (type) {
    case UsbredirType.Hello: {
      const field = r.bytesView(64);
      const nul = field.indexOf(0);
      const version = asciiString(nul < 0 ? field : field.subarray(0, nul));
      const dr = new Reader(data);
      const caps = arr(data.byteLength >> 2, () => dr.u32());
      return { type, id, version, caps };
    }
    case UsbredirType.DeviceConnect: {
      const p: DeviceConnectPacket = {
        type,
        id,
        speed: r.u8(),
        deviceClass: r.u8(),
        deviceSubclass: r.u8(),
        deviceProtocol: r.u8(),
        vendorId: r.u16(),
        productId: r.u16(),
      };
      if (thl === 10) p.deviceVersionBcd = r.u16();
      return p;
    }
    case UsbredirType.DeviceDisconnect:
    case UsbredirType.Reset:
    case UsbredirType.GetConfiguration:
    case UsbredirType.CancelDataPacket:
    case UsbredirType.FilterReject:
    case UsbredirType.DeviceDisconnectAck:
      return { type, id } as UsbredirPacket;
    case UsbredirType.InterfaceInfo: {
      const n = r.u32();
      check(n <= 32, () => `interface_info: interface_count ${n} > 32`);
      const rows = [0, 1, 2, 3].map(() => r.bytesView(32).subarray(0, n));
      return {
        type,
        id,
        interfaceCount: n,
        interface: Array.from(rows[0]!),
        interfaceClass: Array.from(rows[1]!),
        interfaceSubclass: Array.from(rows[2]!),
        interfaceProtocol: Array.from(rows[3]!),
      };
    }
    case UsbredirType.EpInfo:
      return {
        type,
        id,
        epType: arr(32, () => r.u8()),
        interval: arr(32, () => r.u8()),
        interface: arr(32, () => r.u8()),
        maxPacketSize: thl >= 160 ? arr(32, () => r.u16()) : new Array<number>(32).fill(0),
        maxStreams: thl >= 288 ? arr(32, () => r.u32()) : new Array<number>(32).fill(0),
      };
    case UsbredirType.SetConfiguration:
      return { type, id, configuration: r.u8() };
    case UsbredirType.ConfigurationStatus:
      return { type, id, status: r.u8(), configuration: r.u8() };
    case UsbredirType.SetAltSetting:
      return { type, id, interface: r.u8(), alt: r.u8() };
    case UsbredirType.GetAltSetting:
      return { type, id, interface: r.u8() };
    case UsbredirType.AltSettingStatus:
      return { type, id, status: r.u8(), interface: r.u8(), alt: r.u8() };
    case UsbredirType.StartIsoStream:
      return { type, id, endpoint: r.u8(), pktsPerUrb: r.u8(), noUrbs: r.u8() };
    case UsbredirType.StopIsoStream:
      return { type, id, endpoint: r.u8() };
    case UsbredirType.IsoStreamStatus:
      return { type, id, status: r.u8(), endpoint: r.u8() };
    case UsbredirType.StartInterruptReceiving:
    case UsbredirType.StopInterruptReceiving: {
      const endpoint = r.u8();
      checkInEndpoint(type, endpoint);
      return { type, id, endpoint } as StartInterruptReceivingPacket | StopInterruptReceivingPacket;
    }
    case UsbredirType.InterruptReceivingStatus: {
      const status = r.u8();
      const endpoint = r.u8();
      checkInEndpoint(type, endpoint);
      return { type, id, status, endpoint };
    }
    case UsbredirType.AllocBulkStreams:
      return { type, id, endpoints: r.u32(), noStreams: r.u32() };
    case UsbredirType.FreeBulkStreams:
      return { type, id, endpoints: r.u32() };
    case UsbredirType.BulkStreamsStatus:
      return { type, id, endpoints: r.u32(), noStreams: r.u32(), status: r.u8() };
    case UsbredirType.FilterFilter:
      check(data.byteLength >= 1, 'filter_filter without data');
      check(data[data.byteLength - 1] === 0, 'filter_filter data is not NUL-terminated');
      return { type, id, filter: asciiString(data.subarray(0, data.indexOf(0))) };
    case UsbredirType.StartBulkReceiving: {
      const p: StartBulkReceivingPacket = {
        type,
        id,
        streamId: r.u32(),
        bytesPerTransfer: r.u32(),
        endpoint: r.u8(),
        noTransfers: r.u8(),
      };
      check(
        p.bytesPerTransfer <= USBREDIR_MAX_BULK_TRANSFER_SIZE,
        () => `start_bulk_receiving: bytes_per_transfer ${p.bytesPerTransfer} exceeds 128 MiB`,
      );
      checkInEndpoint(type, p.endpoint);
      return p;
    }
    case UsbredirType.StopBulkReceiving: {
      const p: StopBulkReceivingPacket = { type, id, streamId: r.u32(), endpoint: r.u8() };
      checkInEndpoint(type, p.endpoint);
      return p;
    }
    case UsbredirType.BulkReceivingStatus: {
      const p: BulkReceivingStatusPacket = { type, id, streamId: r.u32(), endpoint: r.u8(), status: r.u8() };
      checkInEndpoint(type, p.endpoint);
      return p;
    }
    case UsbredirType.ControlPacket: {
      const p: ControlPacketPacket = {
        type,
        id,
        endpoint: r.u8(),
        request: r.u8(),
        requestType: r.u8(),
        status: r.u8(),
        value: r.u16(),
        index: r.u16(),
        length: r.u16(),
        data,
      };
      checkDataDirection(type, p.endpoint, p.length, data.byteLength, fromHost);
      return p;
    }
    case UsbredirType.BulkPacket: {
      const endpoint = r.u8();
      const status = r.u8();
      const low = r.u16();
      const streamId = r.u32();
      const high = thl === 10 ? r.u16() : 0;
      const length = high * 0x10000 + low;
      check(
        length <= USBREDIR_MAX_BULK_TRANSFER_SIZE,
        () => `bulk_packet: length ${length} exceeds the 128 MiB limit`,
      );
      checkDataDirection(type, endpoint, length, data.byteLength, fromHost);
      return { type, id, endpoint, status, length, streamId, data };
    }
    case UsbredirType.IsoPacket:
    case UsbredirType.InterruptPacket: {
      const endpoint = r.u8();
      const status = r.u8();
      const length = r.u16();
      checkDataDirection(type, endpoint, length, data.byteLength, fromHost);
      return { type, id, endpoint, status, length, data } as IsoPacketPacket | InterruptPacketPacket;
    }
    case UsbredirType.BufferedBulkPacket: {
      const streamId = r.u32();
      const length = r.u32();
      const endpoint = r.u8();
      const status = r.u8();
      check(
        length <= USBREDIR_MAX_BULK_TRANSFER_SIZE,
        () => `buffered_bulk_packet: length ${length} exceeds the 128 MiB limit`,
      );
      checkDataDirection(type, endpoint, length, data.byteLength, fromHost);
      return { type, id, streamId, length, endpoint, status, data };
    }
    default:
      throw new ProtocolError(`invalid usbredir packet ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The stream

/** usbredirparser's own ceiling on a packet's length field: 128 MiB of bulk data plus 1 KiB of headers. */
export const USBREDIR_MAX_PACKET_LENGTH = USBREDIR_MAX_BULK_TRANSFER_SIZE + 1024;

/** Default ceiling of `UsbredirStream`: 32 MiB of data plus headers, far above what a guest URB carries. */
export const DEFAULT_MAX_PACKET_LENGTH = 32 * 1024 * 1024 + 1024;

export interface UsbredirStreamOptions {
  /** The role of the side reading the stream (the one we play). */
  role: UsbredirRole;
  /** Our capability words, as sent in our hello. */
  caps: readonly number[];
  /**
   * Largest accepted value of a packet header's length field; larger ones are a ProtocolError as soon as the
   * header is read, before any of the body is buffered. Capped at USBREDIR_MAX_PACKET_LENGTH.
   */
  maxPacketLength?: number;
}

/**
 * Reassembles packets from a usbredir byte stream fed in arbitrary chunks, and encodes packets for the other
 * direction with the same negotiation. The peer's hello is parsed with a 32-bit id like everything before it;
 * the header size switches right after it, for the rest of the same chunk too.
 */
export class UsbredirStream {
  readonly role: UsbredirRole;
  readonly negotiation: Negotiation;
  readonly maxPacketLength: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Header of the packet being waited for, once read and checked. */
  private header: { type: number; length: number; id: bigint } | undefined;
  private failed: ProtocolError | undefined;
  private hello: HelloPacket | undefined;

  constructor(options: UsbredirStreamOptions) {
    this.role = options.role;
    this.negotiation = new Negotiation(options.caps);
    this.maxPacketLength = Math.min(options.maxPacketLength ?? DEFAULT_MAX_PACKET_LENGTH, USBREDIR_MAX_PACKET_LENGTH);
  }

  /** The peer's hello, once received. */
  get peerHello(): HelloPacket | undefined {
    return this.hello;
  }

  /** Bytes received but not yet part of a complete packet. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds received bytes; returns the packets they completed, in order. The `data` of returned packets may be
   * views into `chunk` (copy them before reusing its buffer); bytes kept for a later packet are copied. After
   * a ProtocolError the stream is dead: every later call throws the same error (a byte stream cannot
   * resynchronise).
   */
  push(chunk: Uint8Array): UsbredirPacket[] {
    if (this.failed) throw this.failed;
    if (chunk.byteLength) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const out: UsbredirPacket[] = [];
    try {
      for (;;) {
        if (!this.header) {
          const hl = this.negotiation.headerLength;
          if (this.buffered < hl) break;
          this.header = this.readHeader(this.take(hl));
        }
        const h = this.header;
        if (this.buffered < h.length) break;
        this.header = undefined;
        const packet = decodePacket(h.type, h.id, this.take(h.length), this.negotiation, this.role);
        if (packet.type === UsbredirType.Hello && !this.hello) {
          this.hello = packet;
          this.negotiation.setPeerCaps(packet.caps);
        }
        out.push(packet);
      }
    } catch (e) {
      this.failed = e instanceof ProtocolError ? e : new ProtocolError(String(e));
      this.chunks = [];
      this.buffered = 0;
      throw this.failed;
    }
    // Bytes kept for an incomplete packet must not alias the caller's buffer, which it may reuse. Earlier
    // chunks were copied when they were kept, so only (the tail of) this one can still alias.
    const last = this.chunks.length - 1;
    if (last >= 0 && this.chunks[last]!.buffer === chunk.buffer) this.chunks[last] = this.chunks[last]!.slice();
    return out;
  }

  /** Encodes a packet we send, under the current negotiation. */
  encode(packet: UsbredirPacket): Uint8Array {
    return encodePacket(packet, this.negotiation, this.role);
  }

  private readHeader(bytes: Uint8Array): { type: number; length: number; id: bigint } {
    const r = new Reader(bytes);
    const type = r.u32();
    const length = r.u32();
    const id = bytes.byteLength === 16 ? r.u64() : BigInt(r.u32());
    const name = packetTypeName(type);
    const sender: UsbredirRole = this.role === 'host' ? 'guest' : 'host';
    // Checked here, before buffering the body, so a hostile length cannot make us hold megabytes first.
    check(length <= this.maxPacketLength, () => `${name}: packet length ${length} exceeds the limit of ${this.maxPacketLength}`);
    const thl = typeHeaderLength(type, this.negotiation, sender);
    if (thl < 0) {
      throw new ProtocolError(
        DIRECTION[type] === undefined ? `invalid usbredir packet ${name}` : `a usb-${this.role} cannot receive ${name}`,
      );
    }
    check(length >= thl && (length === thl || HAS_DATA.has(type)), () => `${name}: invalid packet length ${length}`);
    return { type, length, id };
  }

  /** Removes and returns the next `n` buffered bytes (a view when they sit in one chunk). */
  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first && first.byteLength >= n) {
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.byteLength, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
