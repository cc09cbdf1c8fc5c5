import { describe, expect, it } from 'vitest';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import { rgbaWord } from '../../../src/codecs/types.js';
import { ImageResolver } from '../../../src/display/images.js';
import { parseDrawCopy, parseDrawFill, readImage, type SpiceImage } from '../../../src/protocol/display.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

/** A DRAW_COPY body whose src_bitmap is a 2x1 32-bit top-down BITMAP with the given descriptor. */
function drawCopyBody(opts: { id?: bigint; type?: number; flags?: number; clip?: number[][] } = {}): Uint8Array {
  const w = new Writer();
  w.u32(0).i32(5).i32(10).i32(6).i32(12); // surface 0, box top 5 left 10 bottom 6 right 12
  if (opts.clip) {
    w.u8(1).u32(opts.clip.length);
    for (const [t, l, b, r] of opts.clip) w.i32(t!).i32(l!).i32(b!).i32(r!);
  } else w.u8(0);
  const ptrAt = w.length;
  w.u32(0); // src_bitmap pointer, patched below
  w.i32(0).i32(0).i32(1).i32(2); // src area top left bottom right
  w.u16(8).u8(1); // rop PUT, scale nearest
  w.u8(0).i32(0).i32(0).u32(0); // no mask
  const imageAt = w.length;
  w.patchU32(ptrAt, imageAt);
  w.u64(opts.id ?? 42n)
    .u8(opts.type ?? 0)
    .u8(opts.flags ?? 0)
    .u32(2)
    .u32(1);
  if ((opts.type ?? 0) === 0) {
    w.u8(8).u8(4).u32(2).u32(1).u32(8).u32(0); // 32BIT, TOP_DOWN, 2x1, stride 8, no palette
    w.bytes(Uint8Array.of(0, 0, 255, 0, 0, 255, 0, 0)); // B,G,R,X: red, green
  }
  return w.finish();
}

function resolver(pixels = 1000) {
  return new ImageResolver({ pixmapCachePixels: pixels, glz: new GlzDictionary(1000), surface: () => undefined, later: (fn) => setTimeout(fn, 1) });
}

describe('display message parsing', () => {
  it('should parse DRAW_COPY with its image pointer, src area, rop and clip', () => {
    const m = parseDrawCopy(drawCopyBody({ clip: [[5, 10, 6, 11]] }));
    expect(m.base).toEqual({ surfaceId: 0, box: { left: 10, top: 5, right: 12, bottom: 6 }, clip: [{ left: 10, top: 5, right: 11, bottom: 6 }] });
    expect(m.srcArea).toEqual({ left: 0, top: 0, right: 2, bottom: 1 });
    expect(m.rop).toBe(8);
    expect(m.src!.descriptor).toEqual({ id: 42n, type: 0, flags: 0, width: 2, height: 1 });
    expect(m.src!.payload).toMatchObject({ kind: 'bitmap', format: 8, width: 2, height: 1, stride: 8 });
    expect(m.mask.bitmap).toBeNull();
  });

  it('should refuse clip counts and image pointers the body cannot hold, at every truncation', () => {
    const body = drawCopyBody();
    for (let cut = 0; cut < body.length; cut++) expect(() => parseDrawCopy(body.subarray(0, cut)), `cut at ${cut}`).toThrowError(ProtocolError);
    const hugeClip = new Writer().u32(0).i32(0).i32(0).i32(1).i32(1).u8(1).u32(0xffffffff).finish();
    expect(() => parseDrawFill(hugeClip)).toThrowError(/clip/);
    const badPtr = drawCopyBody();
    new DataView(badPtr.buffer).setUint32(21, 100000, true);
    expect(() => parseDrawCopy(badPtr)).toThrowError(ProtocolError);
  });

  it('should refuse unknown image and brush types', () => {
    expect(() => parseDrawCopy(drawCopyBody({ type: 77 }))).toThrowError(/image type 77/);
    const fill = new Writer().u32(0).i32(0).i32(0).i32(1).i32(1).u8(0).u8(9).finish();
    expect(() => parseDrawFill(fill)).toThrowError(/brush type 9/);
  });
});

describe('ImageResolver', () => {
  const image = (opts: Parameters<typeof drawCopyBody>[0]): SpiceImage => parseDrawCopy(drawCopyBody(opts)).src!;

  it('should decode a bitmap to RGBA words', () => {
    const src = resolver().resolve(image({})) as { words: Uint32Array };
    expect(Array.from(src.words)).toEqual([rgbaWord(255, 0, 0, 255), rgbaWord(0, 255, 0, 255)]);
  });

  it('should keep CACHE_ME images for FROM_CACHE until INVAL_LIST drops them', () => {
    const r = resolver();
    const first = r.resolve(image({ id: 7n, flags: 1 }));
    expect(r.cachedPixmaps).toBe(1);
    const fromCache = readImage(new Reader(new Writer().u64(7n).u8(103).u8(0).u32(2).u32(1).finish()), 0);
    expect(r.resolve(fromCache)).toBe(first);
    r.invalidate(7n);
    expect(() => r.resolve(fromCache)).toThrowError(/not in the pixmap cache/);
  });

  it('should refuse a server that overruns the pixmap cache budget', () => {
    const r = resolver(10);
    expect(() => {
      for (let i = 0; i < 1_000_000; i++) void r.resolve(image({ id: BigInt(i), flags: 1 })); // bitmaps resolve synchronously
    }).toThrowError(/overran the pixmap cache/);
  });

  it('should reject JPEG when no decoder is available, as a protocol error', async () => {
    const jpeg = readImage(new Reader(new Writer().u64(1n).u8(105).u8(0).u32(1).u32(1).u32(2).u8(0xff).u8(0xd8).finish()), 0);
    await expect(resolver().resolve(jpeg)).rejects.toThrowError(ProtocolError);
  });
});
