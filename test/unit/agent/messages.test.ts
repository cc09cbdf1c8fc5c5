// Every agent message byte for byte against the packed layouts of vd_agent.h.
import { describe, expect, it } from 'vitest';
import {
  agentMessage,
  fileXferStartText,
  parseAgentHeader,
  parseAnnounceCapabilities,
  parseAudioVolumeSync,
  parseClipboard,
  parseClipboardGrab,
  parseClipboardRelease,
  parseClipboardRequest,
  parseDisplayConfig,
  parseFileXferData,
  parseFileXferStart,
  parseFileXferStatus,
  parseGraphicsDeviceInfo,
  parseMaxClipboard,
  parseMonitorsConfig,
  parseReply,
  writeAnnounceCapabilities,
  writeClipboard,
  writeClipboardGrab,
  writeClipboardRelease,
  writeClipboardRequest,
  writeDisplayConfig,
  writeFileXferData,
  writeFileXferStart,
  writeFileXferStatus,
  writeMaxClipboard,
  writeMonitorsConfig,
} from '../../../src/agent/messages.js';
import { ProtocolError } from '../../../src/protocol/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u32 = (v: number) => Buffer.from(new Uint32Array([v >>> 0]).buffer).toString('hex');
const header = (type: number, size: number) => u32(1) + u32(type) + '0000000000000000' + u32(size);
const payload = (msg: Uint8Array) => msg.subarray(20);

describe('VDAgentMessage header', () => {
  it('is protocol u32 = 1, type u32, opaque u64 = 0, size u32', () => {
    expect(hex(agentMessage(13))).toBe('01000000' + '0d000000' + '0000000000000000' + '00000000');
    expect(hex(agentMessage(5, Uint8Array.of(0xaa, 0xbb)))).toBe(header(5, 2) + 'aabb');
  });
  it('parses back, and rejects another protocol', () => {
    expect(parseAgentHeader(agentMessage(6, new Uint8Array(9)))).toEqual({ protocol: 1, type: 6, opaque: 0n, size: 9 });
    const bad = agentMessage(6);
    bad[0] = 2;
    expect(() => parseAgentHeader(bad)).toThrow(/protocol 2/);
  });
});

describe('ANNOUNCE_CAPABILITIES (request u32, caps u32[])', () => {
  it('writes request and caps words', () => {
    expect(hex(writeAnnounceCapabilities(true, [0x3fff5]))).toBe(header(6, 8) + u32(1) + u32(0x3fff5));
    expect(hex(writeAnnounceCapabilities(false, [1, 2]))).toBe(header(6, 12) + u32(0) + u32(1) + u32(2));
  });
  it('reads whole words only', () => {
    expect(parseAnnounceCapabilities(Uint8Array.from(Buffer.from(u32(1) + u32(0x10) + 'ffff', 'hex')))).toEqual({ request: true, caps: [0x10] });
    expect(() => parseAnnounceCapabilities(new Uint8Array(3))).toThrow(ProtocolError);
  });
});

describe('MONITORS_CONFIG', () => {
  it('is num u32, flags u32, then height, width (height first!), depth, x i32, y i32, then the mm sizes', () => {
    const msg = writeMonitorsConfig({
      flags: 3,
      monitors: [
        { width: 1024, height: 768, depth: 32, x: -10, y: 0, widthMm: 300, heightMm: 200 },
        { width: 0, height: 0, depth: 32, x: 0, y: 0 },
      ],
    });
    const body = u32(2) + u32(3) + u32(768) + u32(1024) + u32(32) + u32(-10) + u32(0) + u32(0) + u32(0) + u32(32) + u32(0) + u32(0) + 'c8002c01' + '00000000';
    expect(hex(msg)).toBe(header(2, body.length / 2) + body);
    expect(parseMonitorsConfig(payload(msg)).monitors[0]).toEqual({ width: 1024, height: 768, depth: 32, x: -10, y: 0, widthMm: 300, heightMm: 200 });
  });
  it('has no mm sizes without PHYSICAL_SIZE', () => {
    const msg = writeMonitorsConfig({ flags: 1, monitors: [{ width: 800, height: 600, depth: 32, x: 5, y: 6, widthMm: 9 }] });
    expect(payload(msg).byteLength).toBe(8 + 20);
  });
  it('rejects a count its body cannot hold', () => {
    expect(() => parseMonitorsConfig(Uint8Array.from(Buffer.from(u32(0xffffffff) + u32(0), 'hex')))).toThrow(/announces 4294967295 monitors/);
  });
});

describe('DISPLAY_CONFIG and REPLY', () => {
  it('DISPLAY_CONFIG is flags u32, depth u32', () => {
    expect(hex(writeDisplayConfig(15, 16))).toBe(header(5, 8) + u32(15) + u32(16));
    expect(parseDisplayConfig(payload(writeDisplayConfig(15, 16)))).toEqual({ flags: 15, depth: 16 });
  });
  it('REPLY is type u32, error u32', () => {
    expect(parseReply(Uint8Array.from(Buffer.from(u32(5) + u32(1), 'hex')))).toEqual({ type: 5, error: 1 });
  });
});

describe('clipboard family', () => {
  const both = { selection: true, grabSerial: true };
  const none = { selection: false, grabSerial: false };
  it('GRAB: selection u8 + 3 reserved, serial u32, types u32[] — each part only when negotiated', () => {
    expect(hex(writeClipboardGrab(both, { selection: 0, serial: 7, types: [1, 2] }))).toBe(header(7, 16) + '00000000' + u32(7) + u32(1) + u32(2));
    expect(hex(writeClipboardGrab({ selection: true, grabSerial: false }, { selection: 1, types: [1] }))).toBe(header(7, 8) + '01000000' + u32(1));
    expect(hex(writeClipboardGrab(none, { selection: 0, serial: 9, types: [1] }))).toBe(header(7, 4) + u32(1));
    expect(parseClipboardGrab(both, Uint8Array.from(Buffer.from('02000000' + u32(3) + u32(1), 'hex')))).toEqual({ selection: 2, serial: 3, types: [1] });
  });
  it('REQUEST: [selection], type u32', () => {
    expect(hex(writeClipboardRequest(both, { selection: 0, type: 1 }))).toBe(header(8, 8) + '00000000' + u32(1));
    expect(hex(writeClipboardRequest(none, { selection: 0, type: 2 }))).toBe(header(8, 4) + u32(2));
    expect(parseClipboardRequest(none, Uint8Array.from(Buffer.from(u32(2), 'hex')))).toEqual({ selection: 0, type: 2 });
  });
  it('CLIPBOARD: [selection], type u32, data', () => {
    expect(hex(writeClipboard(both, { selection: 0, type: 1, data: Uint8Array.of(0x68, 0x69) }))).toBe(header(4, 10) + '00000000' + u32(1) + '6869');
    const back = parseClipboard(none, Uint8Array.from(Buffer.from(u32(1) + '6869', 'hex')));
    expect(back.type).toBe(1);
    expect(hex(back.data)).toBe('6869');
  });
  it('RELEASE: [selection] only', () => {
    expect(hex(writeClipboardRelease(both, 1))).toBe(header(9, 4) + '01000000');
    expect(hex(writeClipboardRelease(none, 0))).toBe(header(9, 0));
    expect(parseClipboardRelease(both, Uint8Array.from([1, 0, 0, 0]))).toEqual({ selection: 1 });
  });
  it('MAX_CLIPBOARD: max i32', () => {
    expect(hex(writeMaxClipboard(1024))).toBe(header(14, 4) + u32(1024));
    expect(parseMaxClipboard(Uint8Array.from(Buffer.from(u32(-1), 'hex')))).toBe(-1);
  });
});

describe('file transfer', () => {
  it('START: id u32 + GKeyFile text, NUL-terminated', () => {
    const text = '[vdagent-file-xfer]\nname=a b.txt\nsize=12\n';
    expect(fileXferStartText('a b.txt', 12)).toBe(text);
    const msg = writeFileXferStart(3, 'a b.txt', 12);
    expect(hex(msg)).toBe(header(10, 4 + text.length + 1) + u32(3) + Buffer.from(text).toString('hex') + '00');
    expect(parseFileXferStart(payload(msg))).toEqual({ id: 3, name: 'a b.txt', size: 12 });
  });
  it('START escapes names as GKeyFile does and keeps UTF-8', () => {
    expect(fileXferStartText(' x\\y\nz', 1)).toBe('[vdagent-file-xfer]\nname=\\sx\\\\y\\nz\nsize=1\n');
    expect(parseFileXferStart(payload(writeFileXferStart(1, ' x\\y\nzé', 1))).name).toBe(' x\\y\nzé');
  });
  it('DATA: id u32, size u64, data', () => {
    const msg = writeFileXferData(2, Uint8Array.of(1, 2, 3));
    expect(hex(msg)).toBe(header(12, 15) + u32(2) + '0300000000000000' + '010203');
    expect(parseFileXferData(payload(msg)).id).toBe(2);
    expect(() => parseFileXferData(Uint8Array.from(Buffer.from(u32(2) + '0400000000000000' + '01', 'hex')))).toThrow(/declares 4/);
  });
  it('STATUS: id u32, result u32, and the detailed errors', () => {
    expect(hex(writeFileXferStatus({ id: 4, result: 1 }))).toBe(header(11, 8) + u32(4) + u32(1));
    expect(parseFileXferStatus(Uint8Array.from(Buffer.from(u32(4) + u32(2) + '00' + u32(15), 'hex')))).toEqual({
      id: 4,
      result: 2,
      error: { errorType: 0, errorCode: 15 },
    });
    expect(parseFileXferStatus(Uint8Array.from(Buffer.from(u32(4) + u32(4) + '0010000000000000', 'hex')))).toEqual({ id: 4, result: 4, diskFreeSpace: 4096 });
    expect(parseFileXferStatus(Uint8Array.from(Buffer.from(u32(4) + u32(4), 'hex')))).toEqual({ id: 4, result: 4 });
  });
});

describe('reported only', () => {
  it('AUDIO_VOLUME_SYNC: is_playback u8, mute u8, nchannels u8, volume u16[]', () => {
    expect(parseAudioVolumeSync(Uint8Array.from([1, 0, 2, 0x34, 0x12, 0xff, 0xff]))).toEqual({ isPlayback: true, mute: false, volume: [0x1234, 0xffff] });
    expect(() => parseAudioVolumeSync(Uint8Array.from([1, 0, 2, 0]))).toThrow(ProtocolError);
  });
  it('GRAPHICS_DEVICE_INFO: count, then channel_id, monitor_id, device_display_id, address_len, address', () => {
    const addr = Buffer.from('pci/0000/02.0\0');
    const bytes = Buffer.concat([Buffer.from(u32(1) + u32(0) + u32(1) + u32(2) + u32(addr.length), 'hex'), addr]);
    expect(parseGraphicsDeviceInfo(Uint8Array.from(bytes))).toEqual([{ channelId: 0, monitorId: 1, deviceDisplayId: 2, deviceAddress: 'pci/0000/02.0' }]);
    expect(() => parseGraphicsDeviceInfo(Uint8Array.from(Buffer.from(u32(1000), 'hex')))).toThrow(/1000 displays/);
  });
});
