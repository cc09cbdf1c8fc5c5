import { describe, expect, it } from 'vitest';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import {
  CursorFlags,
  CursorMsg,
  CursorType,
  cursorDataSize,
  parseCursorInit,
  parseCursorInvalOne,
  parseCursorMove,
  parseCursorSet,
  parseCursorTrail,
  type CursorHeader,
} from '../../../src/protocol/cursor.js';
import { CursorCache, decodeCursorImage, resolveCursor, type CursorImage } from '../../../src/input/cursor-image.js';

interface Shape {
  unique?: bigint;
  type: CursorType;
  width: number;
  height: number;
  hotX?: number;
  hotY?: number;
}

const header = (s: Shape): CursorHeader => ({
  unique: s.unique ?? 1n,
  type: s.type,
  width: s.width,
  height: s.height,
  hotSpotX: s.hotX ?? 0,
  hotSpotY: s.hotY ?? 0,
});

/** A Cursor structure on the wire: flags u16, header unless NONE, data. */
function writeCursor(w: Writer, flags: number, s: Shape | null, data: Uint8Array | number[] = []): Writer {
  w.u16(flags);
  if (s) {
    w.u64(s.unique ?? 1n)
      .u8(s.type)
      .u16(s.width)
      .u16(s.height)
      .u16(s.hotX ?? 0)
      .u16(s.hotY ?? 0);
  }
  return w.bytes(Uint8Array.from(data));
}

/** A SET message body. */
function setMessage(flags: number, s: Shape | null, data: Uint8Array | number[] = [], x = 10, y = 20): Uint8Array {
  const w = new Writer();
  w.i16(x).i16(y).u8(1);
  return writeCursor(w, flags, s, data).finish();
}

const u32le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** RGBA of pixel (x, y). */
const px = (img: CursorImage, x: number, y: number): number[] => Array.from(img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

const BLACK = [0, 0, 0, 255];
const WHITE = [255, 255, 255, 255];
const CLEAR = [0, 0, 0, 0];

describe('cursor channel parsers', () => {
  it('should use the enums.h message ids', () => {
    expect(Object.values(CursorMsg)).toEqual([101, 102, 103, 104, 105, 106, 107, 108]);
  });

  it('should parse INIT with position, trail, visibility and cursor', () => {
    const w = new Writer();
    w.i16(-3).i16(7).u16(5).u16(9).u8(0);
    const shape = { unique: 0x1122334455667788n, type: CursorType.Alpha, width: 1, height: 1, hotX: 1, hotY: 0 };
    writeCursor(w, CursorFlags.CacheMe, shape, [1, 2, 3, 4]);
    const init = parseCursorInit(new Reader(w.finish()));
    expect(init.position).toEqual({ x: -3, y: 7 });
    expect(init.trailLength).toBe(5);
    expect(init.trailFrequency).toBe(9);
    expect(init.visible).toBe(false);
    expect(init.cursor.flags).toBe(CursorFlags.CacheMe);
    expect(init.cursor.header).toEqual(header(shape));
    expect(Array.from(init.cursor.data)).toEqual([1, 2, 3, 4]);
  });

  it('should parse a SET with NONE as no header and no shape', () => {
    const set = parseCursorSet(new Reader(setMessage(CursorFlags.None, null)));
    expect(set).toEqual({ position: { x: 10, y: 20 }, visible: true, cursor: { flags: 1, header: null, data: new Uint8Array(0) } });
  });

  it('should parse a FROM_CACHE SET without data', () => {
    const set = parseCursorSet(new Reader(setMessage(CursorFlags.FromCache, { unique: 42n, type: CursorType.Mono, width: 32, height: 32 })));
    expect(set.cursor.header?.unique).toBe(42n);
    expect(set.cursor.data.byteLength).toBe(0);
  });

  it('should parse MOVE, TRAIL and INVAL_ONE', () => {
    expect(parseCursorMove(new Reader(Uint8Array.of(0xff, 0xff, 0x10, 0x00)))).toEqual({ position: { x: -1, y: 16 } });
    expect(parseCursorTrail(new Reader(Uint8Array.of(2, 0, 3, 0)))).toEqual({ length: 2, frequency: 3 });
    expect(parseCursorInvalOne(new Reader(Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1)))).toEqual({ id: 0x0102030405060708n });
  });

  it('should compute the data size of every type', () => {
    expect(cursorDataSize(CursorType.Alpha, 3, 2)).toBe(24);
    expect(cursorDataSize(CursorType.Mono, 9, 2)).toBe(8);
    expect(cursorDataSize(CursorType.Color4, 3, 2)).toBe(4 + 64 + 2);
    expect(cursorDataSize(CursorType.Color8, 3, 2)).toBe(6 + 1024 + 2);
    expect(cursorDataSize(CursorType.Color16, 3, 2)).toBe(12 + 2);
    expect(cursorDataSize(CursorType.Color24, 3, 2)).toBe(18 + 2);
    expect(cursorDataSize(CursorType.Color32, 3, 2)).toBe(24 + 2);
  });
});

describe('hostile cursor input', () => {
  it('should reject a cursor larger than 512x512', () => {
    const big = setMessage(0, { type: CursorType.Alpha, width: 513, height: 1 });
    expect(() => parseCursorSet(new Reader(big))).toThrow(ProtocolError);
    expect(() => decodeCursorImage(header({ type: CursorType.Alpha, width: 1, height: 0xffff }), new Uint8Array(0))).toThrow(ProtocolError);
  });

  it('should reject an unknown cursor type', () => {
    expect(() => parseCursorSet(new Reader(setMessage(0, { type: 7 as CursorType, width: 1, height: 1 }, [0, 0, 0, 0])))).toThrow(/unknown cursor type 7/);
    expect(() => decodeCursorImage(header({ type: 9 as CursorType, width: 1, height: 1 }), new Uint8Array(64))).toThrow(ProtocolError);
  });

  it('should reject shape data shorter than the type needs, for every type', () => {
    for (const type of Object.values(CursorType)) {
      const need = cursorDataSize(type, 5, 3);
      const shape = { type, width: 5, height: 3 };
      expect(() => parseCursorSet(new Reader(setMessage(0, shape, new Uint8Array(need - 1)))), `type ${type}`).toThrow(ProtocolError);
      expect(() => decodeCursorImage(header(shape), new Uint8Array(need - 1)), `type ${type}`).toThrow(ProtocolError);
      expect(() => decodeCursorImage(header(shape), new Uint8Array(need))).not.toThrow();
    }
  });

  it('should throw ProtocolError for every truncation of a SET and of an INIT', () => {
    const shape = { type: CursorType.Color32, width: 4, height: 4 };
    const set = setMessage(CursorFlags.CacheMe, shape, new Uint8Array(cursorDataSize(CursorType.Color32, 4, 4)));
    for (let n = 0; n < set.byteLength; n++) {
      expect(() => parseCursorSet(new Reader(set.subarray(0, n))), `cut at ${n}`).toThrow(ProtocolError);
    }
    expect(() => parseCursorSet(new Reader(set))).not.toThrow();

    const w = new Writer();
    w.i16(0).i16(0).u16(0).u16(0).u8(1);
    const init = writeCursor(w, 0, { type: CursorType.Mono, width: 8, height: 2 }, new Uint8Array(4)).finish();
    for (let n = 0; n < init.byteLength; n++) {
      expect(() => parseCursorInit(new Reader(init.subarray(0, n))), `cut at ${n}`).toThrow(ProtocolError);
    }
  });

  it('should accept a zero-sized shape as an empty image', () => {
    const img = decodeCursorImage(header({ type: CursorType.Alpha, width: 0, height: 0, hotX: 3 }), new Uint8Array(0));
    expect(img.rgba.byteLength).toBe(0);
    expect(img.hotX).toBe(0);
  });
});

describe('cursor decoding', () => {
  it('should decode ALPHA from ARGB little endian to straight RGBA', () => {
    const data = [...u32le(0x80ff0000), ...u32le(0xff00ff00)];
    const img = decodeCursorImage(header({ type: CursorType.Alpha, width: 2, height: 1, hotX: 1, hotY: 1 }), Uint8Array.from(data));
    expect(px(img, 0, 0)).toEqual([255, 0, 0, 0x80]);
    expect(px(img, 1, 0)).toEqual([0, 255, 0, 255]);
    expect([img.width, img.height, img.hotX, img.hotY]).toEqual([2, 1, 1, 1]);
  });

  it('should un-premultiply ALPHA when asked', () => {
    const data = [...u32le(0x80400000), ...u32le(0x00ffffff), ...u32le(0x40ff0000)];
    const img = decodeCursorImage(header({ type: CursorType.Alpha, width: 3, height: 1 }), Uint8Array.from(data), {
      alphaPremultiplied: true,
    });
    expect(px(img, 0, 0)).toEqual([0x80, 0, 0, 0x80]);
    expect(px(img, 1, 0)).toEqual([0, 0, 0, 0]);
    expect(px(img, 2, 0)).toEqual([255, 0, 0, 0x40]); // out-of-range colour clamps
  });

  it('should decode MONO: AND 0 -> black/white by XOR, AND 1 -> clear or inverted with a black outline', () => {
    // 8x2. Row 0: AND 0000 1111, XOR 0101 1010. Row 1: AND all ones, XOR zero.
    const data = [0x0f, 0xff, 0x5a, 0x00];
    const img = decodeCursorImage(header({ type: CursorType.Mono, width: 8, height: 2 }), Uint8Array.from(data));
    const row0 = Array.from({ length: 8 }, (_, x) => px(img, x, 0));
    expect(row0).toEqual([BLACK, WHITE, BLACK, WHITE, WHITE, BLACK, WHITE, BLACK]);
    const row1 = Array.from({ length: 8 }, (_, x) => px(img, x, 1));
    expect(row1).toEqual([CLEAR, CLEAR, CLEAR, BLACK, BLACK, BLACK, BLACK, BLACK]);
  });

  it('should outline an inverted MONO pixel on all eight sides only', () => {
    // 5x5, AND all ones (bytes padded), XOR only the centre.
    const and = [0xf8, 0xf8, 0xf8, 0xf8, 0xf8];
    const xor = [0, 0, 0x20, 0, 0];
    const img = decodeCursorImage(header({ type: CursorType.Mono, width: 5, height: 5 }), Uint8Array.from([...and, ...xor]));
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 5; x++) {
        const want = x === 2 && y === 2 ? WHITE : Math.abs(x - 2) <= 1 && Math.abs(y - 2) <= 1 ? BLACK : CLEAR;
        expect(px(img, x, y), `${x},${y}`).toEqual(want);
      }
    }
  });

  it('should outline inverted pixels on the shape border without reading outside it', () => {
    const img = decodeCursorImage(header({ type: CursorType.Mono, width: 2, height: 1 }), Uint8Array.of(0xc0, 0x80));
    expect([px(img, 0, 0), px(img, 1, 0)]).toEqual([WHITE, BLACK]);
  });

  it('should decode COLOR4 with odd width, high nibble first, palette and mask', () => {
    // 3x1: indexes 1 2 3 -> stride 2 bytes; palette[1] red, [2] white, [3] green; AND 0 1 1.
    const palette = new Array<number>(16).fill(0);
    palette[1] = 0xff0000;
    palette[2] = 0xffffff;
    palette[3] = 0x00ff00;
    const data = [0x12, 0x30, ...palette.flatMap(u32le), 0x60];
    const img = decodeCursorImage(header({ type: CursorType.Color4, width: 3, height: 1 }), Uint8Array.from(data));
    expect([px(img, 0, 0), px(img, 1, 0), px(img, 2, 0)]).toEqual([[255, 0, 0, 255], WHITE, [0, 255, 0, 255]]);
  });

  it('should decode COLOR8 through its 256-entry palette', () => {
    const palette = new Array<number>(256).fill(0);
    palette[5] = 0x123456;
    palette[200] = 0xff00000a; // the x byte is ignored
    const data = [5, 0, 200, ...palette.flatMap(u32le), 0x40];
    const img = decodeCursorImage(header({ type: CursorType.Color8, width: 3, height: 1 }), Uint8Array.from(data));
    expect([px(img, 0, 0), px(img, 1, 0), px(img, 2, 0)]).toEqual([[0x12, 0x34, 0x56, 255], CLEAR, [0, 0, 10, 255]]);
  });

  it('should decode COLOR16 as x1r5g5b5 widened to 8 bits, white under AND as inverted', () => {
    // Pixels: red, green, white (under AND: inverted), blue 0x10 -> 0x84. Mask 0010 0000.
    const data = [0x00, 0x7c, 0xe0, 0x03, 0xff, 0x7f, 0x10, 0x00, 0x20];
    const img = decodeCursorImage(header({ type: CursorType.Color16, width: 4, height: 1 }), Uint8Array.from(data));
    expect([px(img, 0, 0), px(img, 1, 0), px(img, 2, 0), px(img, 3, 0)]).toEqual([[255, 0, 0, 255], [0, 255, 0, 255], WHITE, [0, 0, 0x84, 255]]);
  });

  it('should decode COLOR24 from B G R bytes', () => {
    const data = [0x10, 0x20, 0x30, 0, 0, 0, 0x40];
    const img = decodeCursorImage(header({ type: CursorType.Color24, width: 2, height: 1 }), Uint8Array.from(data));
    expect([px(img, 0, 0), px(img, 1, 0)]).toEqual([[0x30, 0x20, 0x10, 255], CLEAR]);
  });

  it('should decode COLOR32 with a mask padded to whole bytes per row', () => {
    // 9x2: mask rows are 2 bytes. Only pixel (8,1) has AND set (and colour 0) -> clear.
    const w = 9;
    const colours: number[] = [];
    for (let i = 0; i < w * 2; i++) colours.push(...u32le(i === 17 ? 0 : 0x00aabbcc));
    const mask = [0x00, 0x00, 0x00, 0x80];
    const img = decodeCursorImage(header({ type: CursorType.Color32, width: w, height: 2 }), Uint8Array.from([...colours, ...mask]));
    expect(px(img, 8, 0)).toEqual([0xaa, 0xbb, 0xcc, 255]);
    expect(px(img, 0, 1)).toEqual([0xaa, 0xbb, 0xcc, 255]);
    expect(px(img, 8, 1)).toEqual(CLEAR);
  });

  it('should clamp a hot spot outside the shape to its edge', () => {
    const img = decodeCursorImage(header({ type: CursorType.Alpha, width: 2, height: 2, hotX: 100, hotY: 1 }), new Uint8Array(16));
    expect([img.hotX, img.hotY]).toEqual([2, 1]);
  });
});

describe('cursor cache', () => {
  const shape = (unique: bigint) => ({ unique, type: CursorType.Alpha, width: 2, height: 2 });
  const alphaData = new Uint8Array(16).fill(0xff);

  it('should store CACHE_ME shapes and serve FROM_CACHE from them', () => {
    const cache = new CursorCache();
    const first = resolveCursor(parseCursorSet(new Reader(setMessage(CursorFlags.CacheMe, shape(7n), alphaData))).cursor, cache);
    expect(first.kind).toBe('image');
    expect(cache.size).toBe(1);
    const again = resolveCursor(parseCursorSet(new Reader(setMessage(CursorFlags.FromCache, shape(7n)))).cursor, cache);
    expect(again).toEqual(first);
  });

  it('should not store shapes without CACHE_ME and report a miss for unknown FROM_CACHE ids', () => {
    const cache = new CursorCache();
    resolveCursor(parseCursorSet(new Reader(setMessage(0, shape(1n), alphaData))).cursor, cache);
    expect(cache.size).toBe(0);
    expect(resolveCursor(parseCursorSet(new Reader(setMessage(CursorFlags.FromCache, shape(1n)))).cursor, cache)).toEqual({
      kind: 'miss',
      unique: 1n,
    });
  });

  it('should resolve NONE to no cursor', () => {
    expect(resolveCursor(parseCursorSet(new Reader(setMessage(CursorFlags.None, null))).cursor, new CursorCache())).toEqual({ kind: 'none' });
  });

  it('should drop single shapes and everything on request', () => {
    const cache = new CursorCache();
    for (const id of [1n, 2n, 3n]) resolveCursor({ flags: CursorFlags.CacheMe, header: header(shape(id)), data: alphaData }, cache);
    expect(cache.delete(2n)).toBe(true);
    expect(cache.delete(2n)).toBe(false);
    expect(cache.get(2n)).toBeUndefined();
    expect(cache.byteSize).toBe(32);
    cache.clear();
    expect([cache.size, cache.byteSize]).toEqual([0, 0]);
  });

  it('should evict the least recently used shape past its entry and byte bounds', () => {
    const cache = new CursorCache({ maxEntries: 2 });
    const put = (id: bigint) => resolveCursor({ flags: CursorFlags.CacheMe, header: header(shape(id)), data: alphaData }, cache);
    put(1n);
    put(2n);
    cache.get(1n); // 1 is now more recent than 2
    put(3n);
    expect([cache.get(1n) !== undefined, cache.get(2n) !== undefined, cache.get(3n) !== undefined]).toEqual([true, false, true]);

    const small = new CursorCache({ maxBytes: 40 }); // room for two 16-byte shapes
    const putSmall = (id: bigint) => resolveCursor({ flags: CursorFlags.CacheMe, header: header(shape(id)), data: alphaData }, small);
    putSmall(1n);
    putSmall(2n);
    putSmall(3n);
    expect(small.size).toBe(2);
    expect(small.byteSize).toBe(32);
    expect(small.get(1n)).toBeUndefined();
  });
});
