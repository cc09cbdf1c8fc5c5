/**
 * Fuzz targets for the wire layer (src/protocol): the link header and reply, the framer (mini and full
 * headers, sub-message lists, any chunking), and the messages of the main, cursor and inputs channels and
 * the base messages every channel shares. A one-byte selector in front of the body picks the parser, so
 * one target covers a channel and mutations move between its messages.
 */
import { CursorMsg, InputsMsg, MainMsg } from '../../../src/protocol/constants.js';
import { CursorFlags } from '../../../src/protocol/cursor.js';
import { CursorCache, resolveCursor } from '../../../src/input/cursor-image.js';
import { parseDisconnecting, parseMigrate, parseNotify, parsePing, parseSetAck, parseWaitForChannels } from '../../../src/protocol/base.js';
import { parseCursorInit, parseCursorInvalOne, parseCursorMove, parseCursorSet, parseCursorTrail } from '../../../src/protocol/cursor.js';
import { Framer, frameMessage, splitSubMessages } from '../../../src/protocol/framer.js';
import { parseInputsInit, parseKeyModifiers } from '../../../src/protocol/inputs.js';
import { parseLinkHeader, parseLinkReply } from '../../../src/protocol/link.js';
import { parseChannelsList, parseMainInit, parseMouseMode, parseName, parseU32, parseUuid } from '../../../src/protocol/main.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import type { FuzzTarget } from '../harness.js';
import { capturedSelectorSeeds, capturedStream } from '../seeds.js';

/** A target whose first input byte picks one of `parsers` (modulo their count) for the rest. */
export function selectorTarget(name: string, parsers: ((body: Uint8Array) => unknown)[], seeds: [number, Uint8Array][], captured?: () => Uint8Array[]): FuzzTarget {
  return {
    name,
    seeds: () => seeds.map(([i, body]) => Uint8Array.from([i, ...body])),
    ...(captured ? { captured } : {}),
    run: (input) => {
      if (!input.length) return;
      parsers[input[0]! % parsers.length]!(input.subarray(1));
    },
  };
}

const reader = (f: (r: Reader) => unknown) => (body: Uint8Array) => f(new Reader(body));

export const linkHeaderTarget: FuzzTarget = {
  name: 'protocol/link-header',
  seeds: () => [new Writer().u32(0x51444552).u32(2).u32(2).u32(186).finish()],
  run: (input) => void parseLinkHeader(input),
};

/** A SpiceLinkReply as spice-server sends it: error, 162-byte key, caps counts, caps offset, caps words. */
function linkReply(error = 0, common = [0x0b], channel = [0x09]): Uint8Array {
  const w = new Writer().u32(error);
  for (let i = 0; i < 162; i++) w.u8((i * 31) & 0xff);
  w.u32(common.length).u32(channel.length).u32(178);
  for (const c of [...common, ...channel]) w.u32(c);
  return w.finish();
}

export const linkReplyTarget: FuzzTarget = {
  name: 'protocol/link-reply',
  seeds: () => [linkReply(), linkReply(0, [], []), linkReply(0, [1, 2, 3], [4, 5]), new Writer().u32(7).finish()],
  run: (input) => void parseLinkReply(input),
};

function framedSeeds(mini: boolean): Uint8Array[] {
  const bodies = [new Uint8Array(0), new Uint8Array(12).fill(1), new Uint8Array(300).map((_, i) => i)];
  const stream = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const seeds: Uint8Array[] = [stream(bodies.map((b, i) => frameMessage(101 + i, b, mini, BigInt(i + 1))))];
  if (!mini) {
    // A message with a sub-message list: two sub-messages, then the list at offset 20 of the body.
    const body = new Writer().u16(4).u32(4).u32(0xaabbccdd).u16(3).u32(2).u32(0).u32(0);
    const b = body.finish();
    const list = new Writer().bytes(b).u16(1).u32(0).finish();
    const framed = frameMessage(110, list, false, 9n);
    new DataView(framed.buffer).setUint32(14, b.length, true); // sub_list offset
    seeds.push(framed);
  }
  return seeds;
}

/** Input: one chunking byte, then the stream; the stream is fed in chunks of (byte % 13) + 1 bytes and whole. */
function framerTarget(mini: boolean): FuzzTarget {
  return {
    name: mini ? 'protocol/framer-mini-header' : 'protocol/framer-full-header',
    seeds: () => framedSeeds(mini).map((s) => Uint8Array.from([3, ...s])),
    // The captured display stream has mini headers: a stream the mini-header framer sees from Xspice.
    ...(mini ? { captured: () => [Uint8Array.from([5, ...capturedStream('display', 8192)])] } : {}),
    run: (input) => {
      if (!input.length) return;
      const step = (input[0]! % 13) + 1;
      const stream = input.subarray(1);
      const chunked = new Framer(mini);
      const chunkedOut: number[] = [];
      for (let at = 0; at < stream.length; at += step) {
        for (const m of chunked.push(stream.subarray(at, at + step))) chunkedOut.push(m.type, m.body.length);
      }
      const whole = new Framer(mini).push(stream).flatMap((m) => [m.type, m.body.length]);
      // However the bytes arrive, the same messages come out.
      if (chunkedOut.join() !== whole.join()) throw new Error(`chunked framing differs: ${chunkedOut.join()} vs ${whole.join()}`);
    },
  };
}

export const framerMiniTarget = framerTarget(true);
export const framerFullTarget = framerTarget(false);

export const subMessagesTarget: FuzzTarget = {
  name: 'protocol/sub-message-list',
  // Input: the list offset u32 LE, then the body.
  seeds: () => [new Writer().u32(18).u16(4).u32(4).u32(0xaabbccdd).u16(3).u32(2).u16(0x0102).u16(2).u32(0).u32(10).finish()],
  run: (input) => {
    if (input.length < 4) return;
    splitSubMessages(input.subarray(4), new DataView(input.buffer, input.byteOffset).getUint32(0, true));
  },
};

const mainInit = new Writer().u32(1).u32(1).u32(3).u32(2).u32(1).u32(10).u32(12345).u32(0).finish();
export const mainTarget = selectorTarget(
  'protocol/main',
  [parseMainInit, parseChannelsList, parseMouseMode, parseU32, parseName, parseUuid],
  [
    [0, mainInit],
    [1, Uint8Array.from([4, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0])],
    [2, Uint8Array.from([3, 0, 2, 0])],
    [3, Uint8Array.from([10, 0, 0, 0])],
    [4, Uint8Array.from([6, 0, 0, 0, 0x67, 0x75, 0x65, 0x73, 0x74, 0])],
    [5, Uint8Array.from({ length: 16 }, (_, i) => i * 17)],
  ],
  () =>
    capturedSelectorSeeds('main', {
      [MainMsg.Init]: 0,
      [MainMsg.ChannelsList]: 1,
      [MainMsg.MouseMode]: 2,
      [MainMsg.AgentToken]: 3,
      [MainMsg.Name]: 4,
      [MainMsg.Uuid]: 5,
    }),
);

export const baseTarget = selectorTarget(
  'protocol/base',
  [parseSetAck, parsePing, parseNotify, parseDisconnecting, parseWaitForChannels, parseMigrate],
  [
    [0, new Writer().u32(1).u32(20).finish()],
    [1, new Writer().u32(5).u64(123456789n).bytes(new Uint8Array(32)).finish()],
    [
      2,
      new Writer()
        .u64(1n)
        .u32(1)
        .u32(1)
        .u32(0)
        .u32(5)
        .bytes(Uint8Array.from([104, 101, 108, 108, 111]))
        .u8(0)
        .finish(),
    ],
    [3, new Writer().u64(9n).u32(2).finish()],
    [4, new Writer().u8(2).u8(2).u8(0).u64(4n).u8(3).u8(1).u64(7n).finish()],
    [5, new Writer().u32(1).finish()],
  ],
);

/** A cursor of `type` and size carried inline after flags 0. */
function cursorBody(type: number, w: number, h: number, bytes: number): Uint8Array {
  const out = new Writer().u16(0).u64(77n).u8(type).u16(w).u16(h).u16(1).u16(1);
  for (let i = 0; i < bytes; i++) out.u8(i & 0xff);
  return out.finish();
}

export const cursorTarget = selectorTarget(
  'protocol/cursor',
  [reader(parseCursorInit), reader(parseCursorSet), reader(parseCursorMove), reader(parseCursorTrail), reader(parseCursorInvalOne)],
  [
    [
      0,
      new Writer()
        .i16(5)
        .i16(6)
        .u16(0)
        .u16(0)
        .u8(1)
        .bytes(cursorBody(0, 4, 4, 64))
        .finish(),
    ],
    [
      1,
      new Writer()
        .i16(5)
        .i16(6)
        .u8(1)
        .bytes(cursorBody(1, 16, 4, 16))
        .finish(),
    ],
    [
      1,
      new Writer()
        .i16(5)
        .i16(6)
        .u8(1)
        .bytes(cursorBody(3, 3, 3, 3 * 3 + 1024 + 3))
        .finish(),
    ],
    [
      1,
      new Writer()
        .i16(5)
        .i16(6)
        .u8(1)
        .bytes(cursorBody(6, 2, 2, 16 + 2))
        .finish(),
    ],
    [1, new Writer().i16(0).i16(0).u8(1).u16(1).finish()], // NONE
    [1, new Writer().i16(0).i16(0).u8(1).u16(4).u64(77n).u8(0).u16(4).u16(4).u16(0).u16(0).finish()], // FROM_CACHE
    [2, new Writer().i16(-3).i16(7).finish()],
    [3, new Writer().u16(2).u16(3).finish()],
    [4, new Writer().u64(77n).finish()],
  ],
  () => capturedSelectorSeeds('cursor', { [CursorMsg.Init]: 0, [CursorMsg.Set]: 1, [CursorMsg.Move]: 2, [CursorMsg.Trail]: 3, [CursorMsg.InvalOne]: 4 }),
);

/** INIT or SET parsed, then its shape decoded to RGBA and cached as the cursor channel does (input/cursor-image.ts). */
export const cursorShapeTarget: FuzzTarget = {
  name: 'protocol/cursor-shape',
  seeds: () => cursorTarget.seeds().filter((s) => s[0]! <= 1),
  captured: () => capturedSelectorSeeds('cursor', { [CursorMsg.Init]: 0, [CursorMsg.Set]: 1 }),
  run: (input) => {
    if (!input.length) return;
    const r = new Reader(input.subarray(1));
    const cursor = input[0]! & 1 ? parseCursorSet(r).cursor : parseCursorInit(r).cursor;
    const cache = new CursorCache({ maxEntries: 2, maxBytes: 64 * 1024 });
    resolveCursor(cursor, cache, { alphaPremultiplied: (input[0]! & 2) !== 0 });
    resolveCursor({ ...cursor, flags: CursorFlags.FromCache }, cache);
  },
};

export const inputsTarget = selectorTarget(
  'protocol/inputs',
  [reader(parseInputsInit), reader(parseKeyModifiers)],
  [
    [0, Uint8Array.from([7, 0])],
    [1, Uint8Array.from([2, 0])],
  ],
  () => capturedSelectorSeeds('inputs', { [InputsMsg.Init]: 0, [InputsMsg.KeyModifiers]: 1 }),
);

export const protocolTargets: FuzzTarget[] = [
  linkHeaderTarget,
  linkReplyTarget,
  framerMiniTarget,
  framerFullTarget,
  subMessagesTarget,
  mainTarget,
  baseTarget,
  cursorTarget,
  cursorShapeTarget,
  inputsTarget,
];
