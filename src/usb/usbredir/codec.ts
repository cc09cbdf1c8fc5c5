/**
 * The usbredir wire format (docs/usb-redirection-protocol.md, usbredirproto.h): one table, `LAYOUTS`, says
 * for every packet type who may send it, which capability it needs, the fields of its type-specific header
 * in wire order (with the capability that puts a field on the wire, for the fields whose presence depends on
 * what both sides advertised), what data may follow and which checks apply. `encodePacket`, `decodePacket`
 * and `typeHeaderLength` all read that table, so a layout is written once for both directions.
 *
 * Every packet is `header + type-specific header + data`, all little-endian. The header is `type u32,
 * length u32, id` where id is a u32 until both hellos have advertised `64bits_ids`, then a u64; the hello
 * itself always goes out with a 32-bit id because nothing is known yet. Ids are `bigint`s and echoed exactly.
 * Validation follows usbredirparser's (verify_type_header): a packet type the receiving role cannot get, a
 * length that does not fit the type, data in the wrong direction, filter or bulk-receiving packets without
 * the capability, or lengths beyond the limits all throw a ProtocolError; values that do not fit their fields
 * throw a RangeError when encoding.
 */
import { check, ProtocolError } from '../../protocol/errors.js';
import { Reader } from '../../protocol/reader.js';
import type { Negotiation } from './caps.js';
import type { UsbredirPacket } from './packets.js';
import { packetTypeName, USBREDIR_MAX_BULK_TRANSFER_SIZE, UsbredirCap, UsbredirType } from './proto.js';

/** Which end of the link a stream or an encoder speaks for: `host` owns the device, `guest` is the VM. */
export type UsbredirRole = 'host' | 'guest';

// ---------------------------------------------------------------------------------------------------------
// The table

/** Who may send a packet type. */
type Dir = 'both' | 'host' | 'guest';

interface Field {
  /** Property of the packet object. */
  key: string;
  /** Bytes per value; 'text64' is the hello's 64-byte NUL-padded version string. */
  width: 1 | 2 | 4 | 'text64';
  /** An array of this many values (missing entries encode as 0). */
  count?: number;
  /** On the wire only when both sides advertised this capability. */
  cap?: number;
  /** Decoded without `cap`: the value is an array of `count` zeros (the field is left out otherwise). */
  zeroWhenAbsent?: boolean;
  /** An array whose meaningful length is the value of this other field (interface_info). */
  countedBy?: string;
  /**
   * The high half of another field on the wire (bulk_packet's length_high): encoded as that field's value
   * >>> 16, decoded by adding value * 0x10000 to it; the field itself then carries the low 16 bits.
   */
  highOf?: string;
}

interface Layout {
  dir: Dir;
  fields: readonly Field[];
  /** Capability the packet needs (the receiver's own when received, the peer's when sent). */
  cap?: number;
  /**
   * What may follow the type header: transfer data (checked against `endpoint`/`length` for direction), the
   * hello's caps words, or the NUL-terminated filter string. No `data`: header only.
   */
  data?: 'transfer' | 'caps' | 'filter';
  /** `endpoint` must be an IN endpoint. */
  inEndpoint?: boolean;
  /** Upper limit of a length-like field, checked both ways. */
  limit?: { key: string; max: number };
}

const u8 = (key: string): Field => ({ key, width: 1 });
const u16 = (key: string): Field => ({ key, width: 2 });
const u32 = (key: string): Field => ({ key, width: 4 });
const epInfoArray = (key: string, width: 1 | 2 | 4, cap?: number): Field =>
  cap === undefined ? { key, width, count: 32 } : { key, width, count: 32, cap, zeroWhenAbsent: true };
const interfaceArray = (key: string): Field => ({ key, width: 1, count: 32, countedBy: 'interfaceCount' });

const T = UsbredirType;
const transfer = (fields: Field[], extra: Partial<Layout> = {}): Layout => ({ dir: 'both', fields, data: 'transfer', ...extra });

const LAYOUTS: Readonly<Record<number, Layout>> = {
  [T.Hello]: { dir: 'both', fields: [{ key: 'version', width: 'text64' }], data: 'caps' },
  [T.DeviceConnect]: {
    dir: 'host',
    fields: [
      u8('speed'),
      u8('deviceClass'),
      u8('deviceSubclass'),
      u8('deviceProtocol'),
      u16('vendorId'),
      u16('productId'),
      { key: 'deviceVersionBcd', width: 2, cap: UsbredirCap.ConnectDeviceVersion },
    ],
  },
  [T.DeviceDisconnect]: { dir: 'host', fields: [] },
  [T.Reset]: { dir: 'guest', fields: [] },
  [T.InterfaceInfo]: {
    dir: 'host',
    fields: [
      u32('interfaceCount'),
      interfaceArray('interface'),
      interfaceArray('interfaceClass'),
      interfaceArray('interfaceSubclass'),
      interfaceArray('interfaceProtocol'),
    ],
  },
  [T.EpInfo]: {
    dir: 'host',
    fields: [
      epInfoArray('epType', 1),
      epInfoArray('interval', 1),
      epInfoArray('interface', 1),
      epInfoArray('maxPacketSize', 2, UsbredirCap.EpInfoMaxPacketSize),
      epInfoArray('maxStreams', 4, UsbredirCap.BulkStreams),
    ],
  },
  [T.SetConfiguration]: { dir: 'guest', fields: [u8('configuration')] },
  [T.GetConfiguration]: { dir: 'guest', fields: [] },
  [T.ConfigurationStatus]: { dir: 'host', fields: [u8('status'), u8('configuration')] },
  [T.SetAltSetting]: { dir: 'guest', fields: [u8('interface'), u8('alt')] },
  [T.GetAltSetting]: { dir: 'guest', fields: [u8('interface')] },
  [T.AltSettingStatus]: { dir: 'host', fields: [u8('status'), u8('interface'), u8('alt')] },
  [T.StartIsoStream]: { dir: 'guest', fields: [u8('endpoint'), u8('pktsPerUrb'), u8('noUrbs')] },
  [T.StopIsoStream]: { dir: 'guest', fields: [u8('endpoint')] },
  [T.IsoStreamStatus]: { dir: 'host', fields: [u8('status'), u8('endpoint')] },
  [T.StartInterruptReceiving]: { dir: 'guest', fields: [u8('endpoint')], inEndpoint: true },
  [T.StopInterruptReceiving]: { dir: 'guest', fields: [u8('endpoint')], inEndpoint: true },
  [T.InterruptReceivingStatus]: { dir: 'host', fields: [u8('status'), u8('endpoint')], inEndpoint: true },
  [T.AllocBulkStreams]: { dir: 'guest', fields: [u32('endpoints'), u32('noStreams')] },
  [T.FreeBulkStreams]: { dir: 'guest', fields: [u32('endpoints')] },
  [T.BulkStreamsStatus]: { dir: 'host', fields: [u32('endpoints'), u32('noStreams'), u8('status')] },
  [T.CancelDataPacket]: { dir: 'guest', fields: [] },
  [T.FilterReject]: { dir: 'guest', fields: [], cap: UsbredirCap.Filter },
  [T.FilterFilter]: { dir: 'both', fields: [], cap: UsbredirCap.Filter, data: 'filter' },
  [T.DeviceDisconnectAck]: { dir: 'guest', fields: [], cap: UsbredirCap.DeviceDisconnectAck },
  [T.StartBulkReceiving]: {
    dir: 'guest',
    fields: [u32('streamId'), u32('bytesPerTransfer'), u8('endpoint'), u8('noTransfers')],
    cap: UsbredirCap.BulkReceiving,
    inEndpoint: true,
    limit: { key: 'bytesPerTransfer', max: USBREDIR_MAX_BULK_TRANSFER_SIZE },
  },
  [T.StopBulkReceiving]: {
    dir: 'guest',
    fields: [u32('streamId'), u8('endpoint')],
    cap: UsbredirCap.BulkReceiving,
    inEndpoint: true,
  },
  [T.BulkReceivingStatus]: {
    dir: 'host',
    fields: [u32('streamId'), u8('endpoint'), u8('status')],
    cap: UsbredirCap.BulkReceiving,
    inEndpoint: true,
  },
  [T.ControlPacket]: transfer([u8('endpoint'), u8('request'), u8('requestType'), u8('status'), u16('value'), u16('index'), u16('length')]),
  [T.BulkPacket]: transfer(
    [u8('endpoint'), u8('status'), u16('length'), u32('streamId'), { key: 'lengthHigh', width: 2, cap: UsbredirCap.BulkLength32bits, highOf: 'length' }],
    { limit: { key: 'length', max: USBREDIR_MAX_BULK_TRANSFER_SIZE } },
  ),
  [T.IsoPacket]: transfer([u8('endpoint'), u8('status'), u16('length')]),
  [T.InterruptPacket]: transfer([u8('endpoint'), u8('status'), u16('length')]),
  [T.BufferedBulkPacket]: {
    dir: 'host',
    fields: [u32('streamId'), u32('length'), u8('endpoint'), u8('status')],
    cap: UsbredirCap.BulkReceiving,
    data: 'transfer',
    limit: { key: 'length', max: USBREDIR_MAX_BULK_TRANSFER_SIZE },
  },
};

/** Field name → its header spelling ("device_class"), for messages; made once, not per packet. */
const WIRE_NAMES = new Map<string, string>();
for (const layout of Object.values(LAYOUTS)) for (const f of layout.fields) WIRE_NAMES.set(f.key, snake(f.key));

/** Whether `type` is a usbredir packet type at all. */
export function knownType(type: number): boolean {
  return LAYOUTS[type] !== undefined;
}

/** Whether packets of `type` may carry data after the type-specific header. */
export function hasData(type: number): boolean {
  return LAYOUTS[type]?.data !== undefined;
}

function present(field: Field, neg: Negotiation): boolean {
  return field.cap === undefined || neg.both(field.cap);
}

function fieldBytes(field: Field): number {
  return (field.width === 'text64' ? 64 : field.width) * (field.count ?? 1);
}

/**
 * Size of the type-specific header of `type` as `sender` would send it under `neg`, or -1 when that role
 * may not send that type at all (usbredirparser_get_type_header_len).
 */
export function typeHeaderLength(type: number, neg: Negotiation, sender: UsbredirRole): number {
  const layout = LAYOUTS[type];
  if (!layout || (layout.dir !== 'both' && layout.dir !== sender)) return -1;
  let n = 0;
  for (const f of layout.fields) if (present(f, neg)) n += fieldBytes(f);
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Checks shared by both directions

function hexEp(endpoint: number): string {
  return endpoint.toString(16).padStart(2, '0');
}

/**
 * The data rules of usbredirparser_verify_type_header for data packets. `fromHost` says who sent it.
 * Data travels with OUT requests (guest→host) and IN replies (host→guest); everything else is header only.
 */
function checkDataDirection(type: number, endpoint: number, length: number, dataLength: number, fromHost: boolean): void {
  const isIn = (endpoint & 0x80) !== 0;
  const name = () => packetTypeName(type);
  if (isIn === fromHost) {
    check(dataLength === length, () => `${name()}: data length ${dataLength} != header length ${length} (ep 0x${hexEp(endpoint)})`);
    return;
  }
  check(dataLength === 0, () => `${name()}: unexpected data (${dataLength} bytes) for ep 0x${hexEp(endpoint)}`);
  // Iso and buffered bulk packets only ever carry data; an interrupt IN request from the guest does not exist
  // (the host streams interrupt IN data after start_interrupt_receiving).
  if (type === T.IsoPacket || type === T.BufferedBulkPacket) {
    throw new ProtocolError(`${name()} sent in the wrong direction (ep 0x${hexEp(endpoint)})`);
  }
  if (type === T.InterruptPacket && !fromHost) {
    throw new ProtocolError(`interrupt_packet for IN ep 0x${hexEp(endpoint)} from the guest`);
  }
}

/** The per-packet checks after the fields are known (both ways; the same messages as usbredirparser's). */
function checkPacket(type: number, layout: Layout, p: Record<string, unknown>, dataLength: number, fromHost: boolean): void {
  if (layout.limit) {
    const v = p[layout.limit.key] as number;
    check(v <= layout.limit.max, () => `${packetTypeName(type)}: ${snake(layout.limit!.key)} ${v} exceeds the 128 MiB limit`);
  }
  const endpoint = p.endpoint as number;
  if (layout.inEndpoint) check((endpoint & 0x80) !== 0, () => `${packetTypeName(type)} on non-input ep 0x${endpoint.toString(16)}`);
  if (layout.data === 'transfer') checkDataDirection(type, endpoint, p.length as number, dataLength, fromHost);
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

function fits(v: number, width: 1 | 2 | 4): boolean {
  return Number.isInteger(v) && v >= 0 && v <= [0, 0xff, 0xffff, 0, 0xffffffff][width]!;
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

/** Writes little-endian values into a buffer of the packet's exact size, which becomes the packet (no copy). */
class PacketWriter {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  u8(v: number): void {
    this.view.setUint8(this.at, v);
    this.at += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  u64(v: bigint): void {
    this.view.setBigUint64(this.at, v, true);
    this.at += 8;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.at);
    this.at += b.byteLength;
  }
}

type Writer = PacketWriter;

function writeValue(w: Writer, width: 1 | 2 | 4, v: number, what: string | undefined): void {
  if (!fits(v, width)) throw new RangeError(`${what ?? 'value'} ${v} does not fit a u${width * 8}`);
  if (width === 1) w.u8(v);
  else if (width === 2) w.u16(v);
  else w.u32(v);
}

function writeField(w: Writer, f: Field, value: unknown, p: Record<string, unknown>): void {
  const what = WIRE_NAMES.get(f.key);
  if (f.width === 'text64') {
    const field = new Uint8Array(64);
    field.set(asciiBytes(String(value)).subarray(0, 63));
    w.bytes(field);
    return;
  }
  if (f.count === undefined) {
    writeValue(w, f.width, (value as number | undefined) ?? 0, what);
    return;
  }
  let values = (value as readonly number[] | undefined) ?? [];
  if (f.countedBy) values = values.slice(0, p[f.countedBy] as number);
  if (values.length > f.count) throw new RangeError(`${what} has ${values.length} entries, at most ${f.count}`);
  for (let i = 0; i < f.count; i++) writeValue(w, f.width, values[i] ?? 0, what);
}

/**
 * Encodes `packet` as `sender` would send it under `neg`. Throws a RangeError for values that do not fit
 * their fields and a ProtocolError for packets the sender may not send (wrong role, missing peer capability,
 * data in the wrong direction), like usbredirparser's send-side verification.
 */
export function encodePacket(packet: UsbredirPacket, neg: Negotiation, sender: UsbredirRole): Uint8Array {
  const type = packet.type;
  const layout = LAYOUTS[type];
  const thl = typeHeaderLength(type, neg, sender);
  if (!layout || thl < 0) throw new ProtocolError(`a usb-${sender} cannot send ${packetTypeName(type)}`);
  if (layout.cap !== undefined && !neg.peerHas(layout.cap)) {
    throw new ProtocolError(`${packetTypeName(type)} needs the peer's capability ${layout.cap}`);
  }
  const p = packet as unknown as Record<string, unknown>;
  let data: Uint8Array | undefined;
  if (layout.data === 'transfer') data = p.data as Uint8Array;
  else if (layout.data === 'filter') {
    const text = packet.type === T.FilterFilter ? packet.filter : '';
    data = new Uint8Array(text.length + 1);
    data.set(asciiBytes(text));
  } else if (layout.data === 'caps') {
    const words = packet.type === T.Hello ? packet.caps : [];
    const w = new PacketWriter(words.length * 4);
    for (const word of words) writeValue(w, 4, word, 'caps word');
    data = w.buf;
  }
  if (packet.type === T.InterfaceInfo) {
    const n = packet.interfaceCount;
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new RangeError(`interface_count ${n} not in 0..32`);
  }
  if (layout.limit && (p[layout.limit.key] as number) > layout.limit.max) {
    throw new RangeError(`${snake(layout.limit.key)} ${String(p[layout.limit.key])} exceeds 128 MiB`);
  }
  checkPacket(type, layout, p, data?.byteLength ?? 0, sender === 'host');

  const length = thl + (data?.byteLength ?? 0);
  // The hello always uses the short header: the peer reads it before it knows our caps (usbredirparser queues
  // its hello at init, before anything is negotiated), even if the peer's hello happened to arrive first.
  const longIds = neg.ids64 && type !== T.Hello;
  const out = new PacketWriter((longIds ? 16 : 12) + length);
  out.u32(type);
  out.u32(length);
  if (longIds) {
    out.u64(BigInt.asUintN(64, packet.id));
  } else {
    if (packet.id < 0n || packet.id > 0xffffffffn) {
      throw new RangeError(`id ${packet.id} needs 64bits_ids, which is not negotiated`);
    }
    out.u32(Number(packet.id));
  }
  // A field split on the wire (bulk length): the low half goes where the field is, the high half later.
  const split = layout.fields.find((f) => f.highOf);
  let high = 0;
  if (split) {
    const long = present(split, neg);
    const key = split.highOf!;
    const full = p[key] as number;
    const max = long ? USBREDIR_MAX_BULK_TRANSFER_SIZE : 0xffff;
    if (!fits(full, 4) || full > max) throw new RangeError(`bulk length ${full} exceeds ${max}${long ? '' : ' (no 32bits_bulk_length)'}`);
    high = full >>> 16;
  }
  for (const f of layout.fields) {
    if (!present(f, neg)) continue;
    if (f.highOf) writeValue(out, 2, high, undefined);
    else if (split && f.key === split.highOf) writeValue(out, 2, (p[f.key] as number) & 0xffff, undefined);
    else writeField(out, f, p[f.key], p);
  }
  if (data) out.bytes(data);
  return out.buf;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

function readField(r: Reader, f: Field): unknown {
  if (f.width === 'text64') {
    const field = r.bytesView(64);
    const nul = field.indexOf(0);
    return asciiString(nul < 0 ? field : field.subarray(0, nul));
  }
  const width = f.width;
  const one = () => (width === 1 ? r.u8() : width === 2 ? r.u16() : r.u32());
  if (f.count === undefined) return one();
  return Array.from({ length: f.count }, one);
}

/**
 * Decodes the type-specific header and data of one packet (`body` = everything after the packet header) as
 * `receiver` would see it under `neg`. Throws a ProtocolError for anything usbredirparser would refuse.
 */
export function decodePacket(type: number, id: bigint, body: Uint8Array, neg: Negotiation, receiver: UsbredirRole): UsbredirPacket {
  const sender: UsbredirRole = receiver === 'host' ? 'guest' : 'host';
  const name = () => packetTypeName(type);
  const layout = LAYOUTS[type];
  const thl = typeHeaderLength(type, neg, sender);
  if (!layout || thl < 0) {
    throw new ProtocolError(layout ? `a usb-${receiver} cannot receive ${name()}` : `invalid usbredir packet ${name()}`);
  }
  check(body.byteLength >= thl, () => `${name()}: length ${body.byteLength} shorter than its ${thl}-byte header`);
  check(layout.data !== undefined || body.byteLength === thl, () => `${name()}: invalid length ${body.byteLength}`);
  if (layout.cap !== undefined) check(neg.have(layout.cap), () => `${name()} without our capability ${layout.cap}`);

  const r = new Reader(body.subarray(0, thl));
  const data = body.subarray(thl);
  const wire: Record<string, unknown> = { type, id };
  for (const f of layout.fields) {
    if (f.highOf) {
      if (present(f, neg)) wire[f.highOf] = (wire[f.highOf] as number) + r.u16() * 0x10000;
    } else if (present(f, neg)) wire[f.key] = readField(r, f);
    else if (f.zeroWhenAbsent) wire[f.key] = new Array<number>(f.count ?? 1).fill(0);
  }
  if (type === T.InterfaceInfo) {
    const n = wire.interfaceCount as number;
    check(n <= 32, () => `interface_info: interface_count ${n} > 32`);
    for (const f of layout.fields) if (f.countedBy) wire[f.key] = (wire[f.key] as number[]).slice(0, n);
  }
  switch (layout.data) {
    case 'transfer':
      wire.data = data;
      break;
    case 'caps': {
      const dr = new Reader(data);
      wire.caps = Array.from({ length: data.byteLength >> 2 }, () => dr.u32());
      break;
    }
    case 'filter':
      check(data.byteLength >= 1, 'filter_filter without data');
      check(data[data.byteLength - 1] === 0, 'filter_filter data is not NUL-terminated');
      wire.filter = asciiString(data.subarray(0, data.indexOf(0)));
      break;
  }
  checkPacket(type, layout, wire, data.byteLength, sender === 'host');
  return wire as unknown as UsbredirPacket;
}
