import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import { CursorChannel } from '../../../src/engine/channels/cursor-channel.js';
import { CursorFlags, CursorMsg, CursorType } from '../../../src/protocol/constants.js';
import { Writer } from '../../../src/protocol/writer.js';
import { fakeNetwork, settle, testContext } from '../engine/fake-server.js';

async function linkedCursor() {
  const net = fakeNetwork();
  const events: EngineEvent[] = [];
  const failures: string[] = [];
  const channel = new CursorChannel(
    testContext(net.factory, 9, failures, (e) => e.type !== 'log' && events.push(e)),
    1,
  );
  channel.open();
  const conn = net.connections[0]!;
  conn.open();
  conn.replyLink(0, []);
  await settle();
  conn.linkResult(0);
  await settle();
  return { channel, conn, events, failures };
}

/** SpiceCursor: flags, and unless NONE a header and (unless FROM_CACHE) a 2x1 ALPHA shape. */
function cursor(w: Writer, flags: number, unique: bigint, hot: [number, number] = [1, 0]): Writer {
  w.u16(flags);
  if (flags & CursorFlags.None) return w;
  w.u64(unique).u8(CursorType.Alpha).u16(2).u16(1).u16(hot[0]).u16(hot[1]);
  if (!(flags & CursorFlags.FromCache)) w.bytes(Uint8Array.of(0x30, 0x20, 0x10, 0xff, 0x03, 0x02, 0x01, 0x80)); // B G R A
  return w;
}
const init = (flags: number, unique: bigint, visible = 1) => cursor(new Writer().i16(10).i16(20).u16(0).u16(0).u8(visible), flags, unique).finish();
const set = (flags: number, unique: bigint, visible = 1, hot?: [number, number]) => cursor(new Writer().i16(30).i16(-2).u8(visible), flags, unique, hot).finish();

type CursorEvent = Extract<EngineEvent, { type: 'cursor' }>;
const rgba = (e: EngineEvent) => Array.from(new Uint8Array((e as CursorEvent).shape!.rgba));

describe('CursorChannel', () => {
  it('should link as type 4 with its display id and report INIT as a shape with hot spot, position and visibility', async () => {
    const { conn, events } = await linkedCursor();
    expect(conn.link).toMatchObject({ channelType: 4, channelId: 1, connectionId: 9 });
    conn.message(CursorMsg.Init, init(CursorFlags.CacheMe, 5n));
    await settle();
    expect(events).toEqual([
      { type: 'cursor', channelId: 1, shape: { width: 2, height: 1, hotX: 1, hotY: 0, rgba: expect.any(ArrayBuffer) }, visible: true, x: 10, y: 20 },
    ]);
    expect(rgba(events[0]!)).toEqual([0x10, 0x20, 0x30, 0xff, 0x01, 0x02, 0x03, 0x80]);
  });

  it('should serve FROM_CACHE from the cache with a fresh buffer each time, until INVAL_ONE / INVAL_ALL', async () => {
    const { conn, events } = await linkedCursor();
    conn.message(CursorMsg.Init, init(CursorFlags.CacheMe, 5n));
    conn.message(CursorMsg.Set, set(CursorFlags.FromCache, 5n));
    conn.message(CursorMsg.Set, set(CursorFlags.FromCache, 5n));
    await settle();
    expect(events).toHaveLength(3);
    expect(rgba(events[1]!)).toEqual(rgba(events[0]!));
    expect((events[1] as CursorEvent).shape!.rgba).not.toBe((events[2] as CursorEvent).shape!.rgba);
    expect(events[1]).toMatchObject({ x: 30, y: -2, visible: true });
    conn.message(CursorMsg.InvalOne, new Writer().u64(5n).finish());
    conn.message(CursorMsg.Set, set(CursorFlags.FromCache, 5n));
    conn.message(CursorMsg.Set, set(CursorFlags.CacheMe, 6n));
    conn.message(CursorMsg.InvalAll);
    conn.message(CursorMsg.Set, set(CursorFlags.FromCache, 6n));
    await settle();
    // A miss shows the default pointer (shape null), still visible.
    expect(events.slice(3).map((e) => (e as CursorEvent).shape === null)).toEqual([true, false, true]);
    expect(events.slice(3).every((e) => (e as CursorEvent).visible)).toBe(true);
  });

  it('should report HIDE, MOVE, RESET, a NONE cursor and an invisible SET', async () => {
    const { conn, events } = await linkedCursor();
    conn.message(CursorMsg.Set, set(CursorFlags.CacheMe, 7n, 0));
    conn.message(CursorMsg.Move, new Writer().i16(100).i16(50).finish());
    conn.message(CursorMsg.Hide);
    conn.message(CursorMsg.Trail, new Writer().u16(3).u16(1).finish());
    conn.message(CursorMsg.Set, set(CursorFlags.None, 0n));
    conn.message(CursorMsg.Reset);
    conn.message(CursorMsg.Set, set(CursorFlags.FromCache, 7n));
    await settle();
    expect(events.map((e) => ({ ...e, ...('shape' in e ? { shape: e.shape ? 'image' : null } : {}) }))).toEqual([
      { type: 'cursor', channelId: 1, shape: 'image', visible: false, x: 30, y: -2 },
      { type: 'cursor-move', channelId: 1, x: 100, y: 50 },
      { type: 'cursor-hidden', channelId: 1 },
      { type: 'cursor', channelId: 1, shape: null, visible: false, x: 30, y: -2 },
      { type: 'cursor', channelId: 1, shape: null, visible: true, x: null, y: null },
      // RESET emptied the cache: 7 is a miss now
      { type: 'cursor', channelId: 1, shape: null, visible: true, x: 30, y: -2 },
    ]);
  });

  it('should clamp a hot spot beyond the shape and fail the channel on a truncated shape', async () => {
    const { conn, events, failures } = await linkedCursor();
    conn.message(CursorMsg.Set, set(CursorFlags.CacheMe, 8n, 1, [9, 9]));
    await settle();
    expect(events[0]).toMatchObject({ shape: { hotX: 2, hotY: 1 } });
    const truncated = new Writer().i16(0).i16(0).u8(1).u16(0).u64(9n).u8(CursorType.Alpha).u16(16).u16(16).u16(0).u16(0).bytes(new Uint8Array(10)).finish();
    conn.message(CursorMsg.Set, truncated);
    await settle();
    expect(failures).toEqual([expect.stringMatching(/^protocol: .*truncated cursor/)]);
  });
});
