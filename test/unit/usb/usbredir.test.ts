import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/errors.js';
import {
  capsWords,
  capList,
  decodePacket,
  encodePacket,
  hasCap,
  Negotiation,
  UsbredirStream,
  type UsbredirPacket,
  type UsbredirRole,
} from '../../../src/usb/usbredir/index.js';
import { UsbredirType } from '../../../src/usb/usbredir/index.js';
import { ascii, bytes, concat, hdr32, hdr64, le16, le32, zeros } from './bytes.js';

const ALL = capsWords([0, 1, 2, 3, 4, 5, 6, 7]);
const HOST = capsWords([1, 2, 3, 4, 5, 6, 7]);

/** Both ends' views of one negotiation. */
function pair(host: number[], guest: number[]): Record<UsbredirRole, Negotiation> {
  return { host: new Negotiation(host, guest), guest: new Negotiation(guest, host) };
}
const FULL = pair(HOST, ALL); // what QEMU 7.2 and we agree on: everything but bulk streams
const BARE = pair([0], [0]); // nothing negotiated: 32-bit ids and the short type headers
const STREAMS = pair(ALL, ALL); // bulk streams too: ep_info with max_streams

const epArrays = (withStreams: boolean) => {
  const epType: number[] = Array.from({ length: 32 }, (_, i) => ((i & 15) === 0 ? 0 : 255));
  const interval = new Array<number>(32).fill(0);
  const iface = new Array<number>(32).fill(0);
  const mps = new Array<number>(32).fill(0);
  const streams = new Array<number>(32).fill(0);
  epType[0x02] = 2;
  iface[0x02] = 1;
  mps[0x02] = 64;
  epType[0x12] = 2;
  iface[0x12] = 1;
  mps[0x12] = 64;
  epType[0x13] = 3;
  interval[0x13] = 16;
  mps[0x13] = 16;
  if (withStreams) streams[0x12] = 4;
  return { epType, interval, interface: iface, maxPacketSize: mps, maxStreams: streams };
};

interface Case {
  name: string;
  sender: UsbredirRole;
  neg: Record<UsbredirRole, Negotiation>;
  packet: UsbredirPacket;
  wire: Uint8Array;
}

const T = UsbredirType;
const seq = (n: number, start = 0) => Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const data18 = seq(18, 0x10);
const filter = '0x03,-1,-1,-1,0|-1,-1,-1,-1,1';
const ep = epArrays(false);
const eps = epArrays(true);

const cases: Case[] = [
  {
    name: 'hello (always a 32-bit id)',
    sender: 'host',
    neg: FULL,
    packet: { type: T.Hello, id: 0n, version: 'abc', caps: [0xfe] },
    wire: bytes(hdr32(0, 68), ascii('abc'), zeros(61), le32(0xfe)),
  },
  {
    name: 'hello from the guest, before anything is negotiated',
    sender: 'guest',
    neg: BARE,
    packet: { type: T.Hello, id: 0n, version: 'qemu usb-redir guest 7.2.22', caps: [0xff] },
    wire: bytes(hdr32(0, 68), ascii('qemu usb-redir guest 7.2.22'), zeros(64 - 27), le32(0xff)),
  },
  {
    name: 'device_connect with device_version_bcd',
    sender: 'host',
    neg: FULL,
    packet: {
      type: T.DeviceConnect,
      id: 0n,
      speed: 1,
      deviceClass: 2,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x2341,
      productId: 0x0043,
      deviceVersionBcd: 0x0001,
    },
    wire: bytes(hdr64(1, 10), [1, 2, 0, 0], le16(0x2341), le16(0x0043), le16(0x0001)),
  },
  {
    name: 'device_connect without connect_device_version',
    sender: 'host',
    neg: BARE,
    packet: { type: T.DeviceConnect, id: 0n, speed: 2, deviceClass: 0xef, deviceSubclass: 2, deviceProtocol: 1, vendorId: 0x1234, productId: 0xabcd },
    wire: bytes(hdr32(1, 8), [2, 0xef, 2, 1], le16(0x1234), le16(0xabcd)),
  },
  { name: 'device_disconnect', sender: 'host', neg: FULL, packet: { type: T.DeviceDisconnect, id: 0n }, wire: bytes(hdr64(2, 0)) },
  { name: 'reset', sender: 'guest', neg: FULL, packet: { type: T.Reset, id: 0n }, wire: bytes(hdr64(3, 0)) },
  {
    name: 'interface_info',
    sender: 'host',
    neg: FULL,
    packet: {
      type: T.InterfaceInfo,
      id: 0n,
      interfaceCount: 2,
      interface: [0, 1],
      interfaceClass: [2, 10],
      interfaceSubclass: [2, 0],
      interfaceProtocol: [1, 0],
    },
    wire: bytes(hdr64(4, 132), le32(2), [0, 1], zeros(30), [2, 10], zeros(30), [2, 0], zeros(30), [1, 0], zeros(30)),
  },
  {
    name: 'ep_info without max_packet_size (96 bytes)',
    sender: 'host',
    neg: BARE,
    packet: { type: T.EpInfo, id: 0n, ...ep, maxPacketSize: new Array<number>(32).fill(0) },
    wire: bytes(hdr32(5, 96), ep.epType, ep.interval, ep.interface),
  },
  {
    name: 'ep_info with max_packet_size (160 bytes)',
    sender: 'host',
    neg: FULL,
    packet: { type: T.EpInfo, id: 0n, ...ep },
    wire: bytes(hdr64(5, 160), ep.epType, ep.interval, ep.interface, ep.maxPacketSize.flatMap(le16)),
  },
  {
    name: 'ep_info with max_streams (288 bytes)',
    sender: 'host',
    neg: STREAMS,
    packet: { type: T.EpInfo, id: 0n, ...eps },
    wire: bytes(hdr64(5, 288), eps.epType, eps.interval, eps.interface, eps.maxPacketSize.flatMap(le16), eps.maxStreams.flatMap(le32)),
  },
  { name: 'set_configuration', sender: 'guest', neg: FULL, packet: { type: T.SetConfiguration, id: 5n, configuration: 1 }, wire: bytes(hdr64(6, 1, 5n), [1]) },
  { name: 'get_configuration', sender: 'guest', neg: FULL, packet: { type: T.GetConfiguration, id: 6n }, wire: bytes(hdr64(7, 0, 6n)) },
  {
    name: 'configuration_status',
    sender: 'host',
    neg: FULL,
    packet: { type: T.ConfigurationStatus, id: 5n, status: 0, configuration: 1 },
    wire: bytes(hdr64(8, 2, 5n), [0, 1]),
  },
  { name: 'set_alt_setting', sender: 'guest', neg: FULL, packet: { type: T.SetAltSetting, id: 7n, interface: 1, alt: 2 }, wire: bytes(hdr64(9, 2, 7n), [1, 2]) },
  { name: 'get_alt_setting', sender: 'guest', neg: FULL, packet: { type: T.GetAltSetting, id: 8n, interface: 1 }, wire: bytes(hdr64(10, 1, 8n), [1]) },
  {
    name: 'alt_setting_status',
    sender: 'host',
    neg: FULL,
    packet: { type: T.AltSettingStatus, id: 7n, status: 2, interface: 1, alt: 255 },
    wire: bytes(hdr64(11, 3, 7n), [2, 1, 255]),
  },
  {
    name: 'start_iso_stream',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.StartIsoStream, id: 9n, endpoint: 0x81, pktsPerUrb: 8, noUrbs: 4 },
    wire: bytes(hdr64(12, 3, 9n), [0x81, 8, 4]),
  },
  { name: 'stop_iso_stream', sender: 'guest', neg: FULL, packet: { type: T.StopIsoStream, id: 0n, endpoint: 0x81 }, wire: bytes(hdr64(13, 1), [0x81]) },
  {
    name: 'iso_stream_status',
    sender: 'host',
    neg: FULL,
    packet: { type: T.IsoStreamStatus, id: 0n, status: 4, endpoint: 0x81 },
    wire: bytes(hdr64(14, 2), [4, 0x81]),
  },
  {
    name: 'start_interrupt_receiving',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.StartInterruptReceiving, id: 0n, endpoint: 0x83 },
    wire: bytes(hdr64(15, 1), [0x83]),
  },
  {
    name: 'stop_interrupt_receiving',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.StopInterruptReceiving, id: 0n, endpoint: 0x83 },
    wire: bytes(hdr64(16, 1), [0x83]),
  },
  {
    name: 'interrupt_receiving_status',
    sender: 'host',
    neg: FULL,
    packet: { type: T.InterruptReceivingStatus, id: 0n, status: 0, endpoint: 0x83 },
    wire: bytes(hdr64(17, 2), [0, 0x83]),
  },
  {
    name: 'alloc_bulk_streams',
    sender: 'guest',
    neg: STREAMS,
    packet: { type: T.AllocBulkStreams, id: 10n, endpoints: 0x00040004, noStreams: 16 },
    wire: bytes(hdr64(18, 8, 10n), le32(0x00040004), le32(16)),
  },
  {
    name: 'free_bulk_streams',
    sender: 'guest',
    neg: STREAMS,
    packet: { type: T.FreeBulkStreams, id: 11n, endpoints: 0x00040004 },
    wire: bytes(hdr64(19, 4, 11n), le32(0x00040004)),
  },
  {
    name: 'bulk_streams_status',
    sender: 'host',
    neg: STREAMS,
    packet: { type: T.BulkStreamsStatus, id: 10n, endpoints: 0x00040004, noStreams: 16, status: 0 },
    wire: bytes(hdr64(20, 9, 10n), le32(0x00040004), le32(16), [0]),
  },
  {
    name: 'cancel_data_packet (the id is the one to cancel)',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.CancelDataPacket, id: 0x1122334455667788n },
    wire: bytes(hdr64(21, 0, 0x1122334455667788n)),
  },
  { name: 'filter_reject', sender: 'guest', neg: FULL, packet: { type: T.FilterReject, id: 0n }, wire: bytes(hdr64(22, 0)) },
  {
    name: 'filter_filter (NUL-terminated)',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.FilterFilter, id: 0n, filter },
    wire: bytes(hdr64(23, filter.length + 1), ascii(filter), [0]),
  },
  { name: 'device_disconnect_ack', sender: 'guest', neg: FULL, packet: { type: T.DeviceDisconnectAck, id: 0n }, wire: bytes(hdr64(24, 0)) },
  {
    name: 'start_bulk_receiving',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.StartBulkReceiving, id: 12n, streamId: 0, bytesPerTransfer: 512, endpoint: 0x82, noTransfers: 5 },
    wire: bytes(hdr64(25, 10, 12n), le32(0), le32(512), [0x82, 5]),
  },
  {
    name: 'stop_bulk_receiving',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.StopBulkReceiving, id: 13n, streamId: 0, endpoint: 0x82 },
    wire: bytes(hdr64(26, 5, 13n), le32(0), [0x82]),
  },
  {
    name: 'bulk_receiving_status',
    sender: 'host',
    neg: FULL,
    packet: { type: T.BulkReceivingStatus, id: 12n, streamId: 7, endpoint: 0x82, status: 0 },
    wire: bytes(hdr64(27, 6, 12n), le32(7), [0x82, 0]),
  },
  {
    name: 'control_packet IN request (GET_DESCRIPTOR device)',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.ControlPacket, id: 42n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0100, index: 0, length: 18, data: new Uint8Array() },
    wire: bytes(hdr64(100, 10, 42n), [0x80, 6, 0x80, 0], le16(0x0100), le16(0), le16(18)),
  },
  {
    name: 'control_packet IN reply with data',
    sender: 'host',
    neg: FULL,
    packet: {
      type: T.ControlPacket,
      id: 42n,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0x0100,
      index: 0,
      length: 18,
      data: Uint8Array.from(data18),
    },
    wire: bytes(hdr64(100, 28, 42n), [0x80, 6, 0x80, 0], le16(0x0100), le16(0), le16(18), data18),
  },
  {
    name: 'control_packet OUT request with data (SET_LINE_CODING)',
    sender: 'guest',
    neg: FULL,
    packet: {
      type: T.ControlPacket,
      id: 43n,
      endpoint: 0,
      request: 0x20,
      requestType: 0x21,
      status: 0,
      value: 0,
      index: 0,
      length: 7,
      data: Uint8Array.from([0, 0xc2, 1, 0, 0, 0, 8]),
    },
    wire: bytes(hdr64(100, 17, 43n), [0, 0x20, 0x21, 0], le16(0), le16(0), le16(7), [0, 0xc2, 1, 0, 0, 0, 8]),
  },
  {
    name: 'control_packet OUT reply without data',
    sender: 'host',
    neg: FULL,
    packet: { type: T.ControlPacket, id: 43n, endpoint: 0, request: 0x20, requestType: 0x21, status: 0, value: 0, index: 0, length: 7, data: new Uint8Array() },
    wire: bytes(hdr64(100, 10, 43n), [0, 0x20, 0x21, 0], le16(0), le16(0), le16(7)),
  },
  {
    name: 'control_packet with a 32-bit id',
    sender: 'host',
    neg: BARE,
    packet: {
      type: T.ControlPacket,
      id: 0xdeadbeefn,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 4,
      value: 0x0600,
      index: 0,
      length: 0,
      data: new Uint8Array(),
    },
    wire: bytes(hdr32(100, 10, 0xdeadbeef), [0x80, 6, 0x80, 4], le16(0x0600), le16(0), le16(0)),
  },
  {
    name: 'bulk_packet OUT with length_high',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.BulkPacket, id: 44n, endpoint: 0x02, status: 0, length: 5, streamId: 0, data: Uint8Array.from(ascii('hello')) },
    wire: bytes(hdr64(101, 15, 44n), [0x02, 0], le16(5), le32(0), le16(0), ascii('hello')),
  },
  {
    name: 'bulk_packet IN request of more than 64 KiB (32bits_bulk_length)',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.BulkPacket, id: 45n, endpoint: 0x82, status: 0, length: 0x12345, streamId: 0, data: new Uint8Array() },
    wire: bytes(hdr64(101, 10, 45n), [0x82, 0], le16(0x2345), le32(0), le16(0x0001)),
  },
  {
    name: 'bulk_packet IN request without length_high',
    sender: 'guest',
    neg: BARE,
    packet: { type: T.BulkPacket, id: 46n, endpoint: 0x82, status: 0, length: 64, streamId: 3, data: new Uint8Array() },
    wire: bytes(hdr32(101, 8, 46), [0x82, 0], le16(64), le32(3)),
  },
  {
    name: 'bulk_packet IN reply with data',
    sender: 'host',
    neg: FULL,
    packet: { type: T.BulkPacket, id: 45n, endpoint: 0x82, status: 0, length: 3, streamId: 0, data: Uint8Array.from([1, 2, 3]) },
    wire: bytes(hdr64(101, 13, 45n), [0x82, 0], le16(3), le32(0), le16(0), [1, 2, 3]),
  },
  {
    name: 'bulk_packet OUT reply (status cancelled)',
    sender: 'host',
    neg: FULL,
    packet: { type: T.BulkPacket, id: 44n, endpoint: 0x02, status: 1, length: 0, streamId: 0, data: new Uint8Array() },
    wire: bytes(hdr64(101, 10, 44n), [0x02, 1], le16(0), le32(0), le16(0)),
  },
  {
    name: 'iso_packet IN from the host',
    sender: 'host',
    neg: FULL,
    packet: { type: T.IsoPacket, id: 0n, endpoint: 0x81, status: 0, length: 4, data: Uint8Array.from([9, 8, 7, 6]) },
    wire: bytes(hdr64(102, 8, 0n), [0x81, 0], le16(4), [9, 8, 7, 6]),
  },
  {
    name: 'iso_packet OUT from the guest',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.IsoPacket, id: 3n, endpoint: 0x01, status: 0, length: 2, data: Uint8Array.from([5, 6]) },
    wire: bytes(hdr64(102, 6, 3n), [0x01, 0], le16(2), [5, 6]),
  },
  {
    name: 'interrupt_packet IN from the host',
    sender: 'host',
    neg: FULL,
    packet: { type: T.InterruptPacket, id: 1n, endpoint: 0x83, status: 0, length: 2, data: Uint8Array.from([0xa1, 0x20]) },
    wire: bytes(hdr64(103, 6, 1n), [0x83, 0], le16(2), [0xa1, 0x20]),
  },
  {
    name: 'interrupt_packet OUT from the guest',
    sender: 'guest',
    neg: FULL,
    packet: { type: T.InterruptPacket, id: 9n, endpoint: 0x04, status: 0, length: 2, data: Uint8Array.from([1, 2]) },
    wire: bytes(hdr64(103, 6, 9n), [0x04, 0], le16(2), [1, 2]),
  },
  {
    name: 'interrupt_packet OUT reply',
    sender: 'host',
    neg: FULL,
    packet: { type: T.InterruptPacket, id: 9n, endpoint: 0x04, status: 0, length: 2, data: new Uint8Array() },
    wire: bytes(hdr64(103, 4, 9n), [0x04, 0], le16(2)),
  },
  {
    name: 'buffered_bulk_packet',
    sender: 'host',
    neg: FULL,
    packet: { type: T.BufferedBulkPacket, id: 7n, streamId: 0, length: 3, endpoint: 0x82, status: 0, data: Uint8Array.from([0x41, 0x42, 0x43]) },
    wire: bytes(hdr64(104, 13, 7n), le32(0), le32(3), [0x82, 0], [0x41, 0x42, 0x43]),
  },
];

const other = (r: UsbredirRole): UsbredirRole => (r === 'host' ? 'guest' : 'host');

describe('usbredir packets', () => {
  it('should have a case for every packet type', () => {
    const covered = new Set(cases.map((c) => c.packet.type));
    for (const type of Object.values(UsbredirType)) expect(covered.has(type), `type ${type}`).toBe(true);
  });

  for (const c of cases) {
    it(`should encode ${c.name} byte for byte`, () => {
      expect(Array.from(encodePacket(c.packet, c.neg[c.sender], c.sender))).toEqual(Array.from(c.wire));
    });
    it(`should decode ${c.name}`, () => {
      const headerLength = c.packet.type === T.Hello || !c.neg[other(c.sender)].ids64 ? 12 : 16;
      const view = new DataView(c.wire.buffer);
      expect(view.getUint32(0, true)).toBe(c.packet.type);
      expect(view.getUint32(4, true)).toBe(c.wire.byteLength - headerLength);
      const decoded = decodePacket(c.packet.type, c.packet.id, c.wire.subarray(headerLength), c.neg[other(c.sender)], other(c.sender));
      expect(decoded).toEqual(c.packet);
    });
  }

  it('should echo a 64-bit id verbatim', () => {
    const id = 0xfedcba9876543210n;
    const wire = encodePacket({ type: T.BulkPacket, id, endpoint: 0x82, status: 0, length: 0, streamId: 0, data: new Uint8Array() }, FULL.host, 'host');
    expect(Array.from(wire.subarray(8, 16))).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    const s = new UsbredirStream({ role: 'guest', caps: ALL });
    s.negotiation.setPeerCaps(HOST);
    expect(s.push(wire)[0]!.id).toBe(id);
  });

  it('should refuse an id that needs 64 bits when they are not negotiated', () => {
    expect(() => encodePacket({ type: T.Reset, id: 1n << 32n }, BARE.guest, 'guest')).toThrow(RangeError);
  });

  it('should refuse a bulk length above 64 KiB without 32bits_bulk_length', () => {
    const p: UsbredirPacket = { type: T.BulkPacket, id: 1n, endpoint: 0x82, status: 0, length: 0x10000, streamId: 0, data: new Uint8Array() };
    expect(() => encodePacket(p, BARE.guest, 'guest')).toThrow(RangeError);
  });

  it('should refuse to send what the role may not send', () => {
    expect(() => encodePacket({ type: T.Reset, id: 0n }, FULL.host, 'host')).toThrow(ProtocolError);
    expect(() => encodePacket({ type: T.DeviceDisconnect, id: 0n }, FULL.guest, 'guest')).toThrow(ProtocolError);
  });

  it('should refuse filter and bulk-receiving packets the peer has no capability for', () => {
    expect(() => encodePacket({ type: T.FilterReject, id: 0n }, BARE.guest, 'guest')).toThrow(/capability/);
    expect(() =>
      encodePacket({ type: T.BufferedBulkPacket, id: 0n, streamId: 0, length: 0, endpoint: 0x82, status: 0, data: new Uint8Array() }, BARE.host, 'host'),
    ).toThrow(/capability/);
  });

  it('should refuse data in the wrong direction when encoding', () => {
    const p: UsbredirPacket = {
      type: T.ControlPacket,
      id: 1n,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0,
      index: 0,
      length: 2,
      data: Uint8Array.from([1, 2]),
    };
    expect(() => encodePacket(p, FULL.guest, 'guest')).toThrow(/unexpected data/);
  });

  it('should turn caps lists into words and back', () => {
    expect(HOST).toEqual([0xfe]);
    expect(capList(ALL)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(hasCap(HOST, 0)).toBe(false);
    expect(hasCap(HOST, 5)).toBe(true);
  });

  it('should drop bulk_streams from caps without ep_info_max_packet_size', () => {
    const n = new Negotiation(capsWords([0, 5]), capsWords([0, 4, 5]));
    expect(n.have(0)).toBe(false);
    expect(n.both(5)).toBe(true);
  });

  it('should negotiate on the AND of both sides', () => {
    expect(FULL.host.ids64).toBe(true);
    expect(FULL.host.both(0)).toBe(false);
    expect(new Negotiation(HOST).ids64).toBe(false); // peer hello not seen yet
    expect(new Negotiation(HOST, capsWords([1, 2])).headerLength).toBe(12);
  });
});

// -----------------------------------------------------------------------------------------------------------

const guestHello = bytes(hdr32(0, 68), ascii('qemu usb-redir guest 7.2.22'), zeros(37), le32(0xff));
/** What QEMU sends a host: hello (32-bit id), then 64-bit ids for everything after it. */
const guestTalk = concat(
  guestHello,
  bytes(hdr64(23, filter.length + 1), ascii(filter), [0]),
  bytes(hdr64(3, 0)),
  bytes(hdr64(100, 10, 0x100000001n), [0x80, 6, 0x80, 0], le16(0x0100), le16(0), le16(64)),
  bytes(hdr64(101, 15, 77n), [0x02, 0], le16(5), le32(0), le16(0), ascii('hello')),
  bytes(hdr64(101, 10, 78n), [0x82, 0], le16(64), le32(0), le16(0)),
  bytes(hdr64(21, 0, 78n)),
);

function expectGuestTalk(packets: UsbredirPacket[]): void {
  expect(packets.map((p) => p.type)).toEqual([T.Hello, T.FilterFilter, T.Reset, T.ControlPacket, T.BulkPacket, T.BulkPacket, T.CancelDataPacket]);
  expect(packets[0]).toMatchObject({ version: 'qemu usb-redir guest 7.2.22', caps: [0xff] });
  expect(packets[1]).toMatchObject({ filter });
  expect(packets[3]).toMatchObject({ id: 0x100000001n, value: 0x0100, length: 64 });
  expect(Array.from((packets[4] as { data: Uint8Array }).data)).toEqual(ascii('hello'));
  expect(packets[6]!.id).toBe(78n);
}

describe('UsbredirStream', () => {
  it('should parse the peer hello with a 32-bit id, then switch to 64-bit ids within the same chunk', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST });
    expectGuestTalk(s.push(guestTalk));
    expect(s.negotiation.ids64).toBe(true);
    expect(s.bufferedBytes).toBe(0);
  });

  it('should reassemble packets split at every offset', () => {
    for (let k = 0; k <= guestTalk.byteLength; k++) {
      const s = new UsbredirStream({ role: 'host', caps: HOST });
      const packets = [...s.push(guestTalk.slice(0, k)), ...s.push(guestTalk.slice(k))];
      expectGuestTalk(packets);
    }
  });

  it('should reassemble packets split at every pair of offsets', () => {
    const n = guestTalk.byteLength;
    for (let a = 0; a <= n; a += 3) {
      for (let b = a; b <= n; b += 5) {
        const s = new UsbredirStream({ role: 'host', caps: HOST });
        expectGuestTalk([...s.push(guestTalk.slice(0, a)), ...s.push(guestTalk.slice(a, b)), ...s.push(guestTalk.slice(b))]);
      }
    }
  });

  it('should reassemble packets fed one byte at a time', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST });
    const packets: UsbredirPacket[] = [];
    for (const b of guestTalk) packets.push(...s.push(Uint8Array.of(b)));
    expectGuestTalk(packets);
  });

  it('should not be disturbed when the caller reuses its buffer between chunks', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST });
    s.push(guestHello);
    const packet = bytes(hdr64(101, 15, 77n), [0x02, 0], le16(5), le32(0), le16(0), ascii('hello'));
    const buffer = new Uint8Array(64);
    buffer.set(packet.subarray(0, 20));
    expect(s.push(buffer.subarray(0, 20))).toEqual([]);
    buffer.fill(0xee);
    buffer.set(packet.subarray(20));
    const [p] = s.push(buffer.subarray(0, packet.byteLength - 20));
    expect(p).toMatchObject({ id: 77n, length: 5 });
    expect(Array.from((p as { data: Uint8Array }).data)).toEqual(ascii('hello'));
  });

  it('should keep 32-bit ids when the peer lacks 64bits_ids', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST });
    const hello = bytes(hdr32(0, 68), ascii('old guest'), zeros(55), le32(0x06));
    const packets = s.push(concat(hello, bytes(hdr32(3, 0)), bytes(hdr32(7, 0, 9))));
    expect(packets.map((p) => [p.type, p.id])).toEqual([
      [T.Hello, 0n],
      [T.Reset, 0n],
      [T.GetConfiguration, 9n],
    ]);
    expect(s.encode({ type: T.ConfigurationStatus, id: 9n, status: 0, configuration: 1 })).toEqual(bytes(hdr32(8, 2, 9), [0, 1]));
  });

  it('should ignore a second hello for negotiation', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST });
    s.push(guestHello);
    const again = s.push(bytes(hdr64(0, 68), zeros(64), le32(0)));
    expect(again[0]!.type).toBe(T.Hello);
    expect(s.negotiation.ids64).toBe(true);
    expect(s.peerHello?.caps).toEqual([0xff]);
  });

  const hostile: [string, Uint8Array, RegExp][] = [
    ['a length beyond the limit (before the body arrives)', bytes(hdr64(101, 0x7fffffff, 1n)), /exceeds the limit/],
    ['an unknown packet type', bytes(hdr64(77, 0, 1n)), /invalid usbredir packet/],
    ['a packet only a guest receives', bytes(hdr64(1, 10)), /cannot receive device_connect/],
    ['a length shorter than the type header', bytes(hdr64(100, 4, 1n), [0, 0, 0, 0]), /invalid packet length/],
    ['extra data on a header-only packet', bytes(hdr64(3, 2), [1, 2]), /invalid packet length/],
    ['interface_count above 32 (sent to a guest)', bytes(hdr64(4, 132), le32(33), zeros(128)), /cannot receive/],
    ['filter_filter without a NUL', bytes(hdr64(23, 3), ascii('-1,')), /NUL-terminated/],
    ['filter_filter without data', bytes(hdr64(23, 0)), /without data/],
    ['start_interrupt_receiving on an OUT endpoint', bytes(hdr64(15, 1), [0x03]), /non-input ep/],
    ['start_bulk_receiving on an OUT endpoint', bytes(hdr64(25, 10), le32(0), le32(512), [0x02, 5]), /non-input ep/],
    ['start_bulk_receiving beyond 128 MiB', bytes(hdr64(25, 10), le32(0), le32(0x8000001), [0x82, 5]), /128 MiB/],
    ['a bulk IN request carrying data', bytes(hdr64(101, 12, 1n), [0x82, 0], le16(2), le32(0), le16(0), [1, 2]), /unexpected data/],
    ['a bulk OUT whose data does not match its length', bytes(hdr64(101, 12, 1n), [0x02, 0], le16(5), le32(0), le16(0), [1, 2]), /data length 2 != header length 5/],
    ['a bulk length beyond 128 MiB', bytes(hdr64(101, 10, 1n), [0x82, 0], le16(1), le32(0), le16(0x0800)), /128 MiB/],
    ['a control OUT with missing data', bytes(hdr64(100, 10, 1n), [0x00, 0x20, 0x21, 0], le16(0), le16(0), le16(7)), /data length 0 != header length 7/],
    ['an iso IN request from the guest', bytes(hdr64(102, 4, 1n), [0x81, 0], le16(8)), /wrong direction/],
    ['an interrupt IN request from the guest', bytes(hdr64(103, 4, 1n), [0x83, 0], le16(8)), /interrupt_packet for IN ep/],
  ];
  for (const [what, packet, message] of hostile) {
    it(`should reject ${what}`, () => {
      const s = new UsbredirStream({ role: 'host', caps: HOST });
      s.push(guestHello);
      expect(() => s.push(packet)).toThrow(ProtocolError);
      expect(() => s.push(new Uint8Array())).toThrow(message);
    });
  }

  it('should reject filter packets when we did not advertise the filter cap', () => {
    const s = new UsbredirStream({ role: 'host', caps: capsWords([5]) });
    s.push(guestHello);
    expect(() => s.push(bytes(hdr64(22, 0)))).toThrow(/without our capability/);
  });

  it('should honour a configurable packet length limit', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST, maxPacketLength: 1000 });
    s.push(guestHello);
    expect(s.push(bytes(hdr64(101, 1000, 1n), [0x02, 0], le16(990), le32(0), le16(0), zeros(990)))).toHaveLength(1);
    expect(() => s.push(bytes(hdr64(101, 1001, 2n)))).toThrow(/exceeds the limit of 1000/);
  });

  it('should not buffer a hostile body before rejecting its header', () => {
    const s = new UsbredirStream({ role: 'host', caps: HOST });
    s.push(guestHello);
    expect(() => s.push(bytes(hdr64(101, 200 * 1024 * 1024, 1n)))).toThrow(ProtocolError);
    expect(s.bufferedBytes).toBe(0);
  });
});
