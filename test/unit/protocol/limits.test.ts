/**
 * Every limit of src/protocol/limits.ts that the pure layer enforces: a value just inside is accepted, one
 * beyond is refused with a ProtocolError whose message names the limit, before anything is allocated for it.
 */
import { describe, expect, it } from 'vitest';
import { decodeBitmap } from '../../../src/codecs/bitmap.js';
import { GlzDictionary, decodeGlz } from '../../../src/codecs/glz.js';
import { decodeLz } from '../../../src/codecs/lz.js';
import { decodeLz4 } from '../../../src/codecs/lz4.js';
import { decodeQuic } from '../../../src/codecs/quic.js';
import { checkDimensions } from '../../../src/codecs/types.js';
import { ImageResolver } from '../../../src/display/images.js';
import { BitmapFmt, SPICE_MAX_NUM_STREAMS } from '../../../src/protocol/constants.js';
import { parseCursorSet } from '../../../src/protocol/cursor.js';
import * as display from '../../../src/protocol/display.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Framer } from '../../../src/protocol/framer.js';
import * as limits from '../../../src/protocol/limits.js';
import { parseLinkHeader } from '../../../src/protocol/link.js';
import { parseChannelsList } from '../../../src/protocol/main.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { allocations, resetAllocations, trackAllocations } from '../../fuzz/harness.js';

// Every buffer the decoders allocate is measured (this file runs in its own worker).
trackAllocations();

/** Expects `f` to throw a ProtocolError naming `name`; returns its message. */
function refused(f: () => unknown, name: string): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as Error).message).toContain(`(${name})`);
    return (e as Error).message;
  }
  throw new Error(`expected a refusal naming ${name}`);
}

const be32 = (...values: number[]) => {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x, false));
  return out;
};

describe('limits', () => {
  it('should refuse a surface beyond MAX_SURFACE_DIMENSION in SURFACE_CREATE', () => {
    const create = (w: number, h: number) => new Writer().u32(0).u32(w).u32(h).u32(32).u32(1).finish();
    expect(refused(() => display.parseSurfaceCreate(create(70000, 70000)), 'MAX_SURFACE_DIMENSION')).toBe(
      'surface 70000x70000 exceeds the limit of 16384x16384 (MAX_SURFACE_DIMENSION)',
    );
    refused(() => display.parseSurfaceCreate(create(16384, 16385)), 'MAX_SURFACE_DIMENSION');
    expect(display.parseSurfaceCreate(create(16384, 16384))).toMatchObject({ width: 16384, height: 16384 });
  });

  it('should refuse a message beyond MAX_MESSAGE_SIZE on its header, before buffering its body', () => {
    const header = (size: number) => new Writer().u16(101).u32(size).finish();
    const framer = new Framer(true);
    expect(refused(() => framer.push(header(limits.MAX_MESSAGE_SIZE + 1)), 'MAX_MESSAGE_SIZE')).toMatch(/^message type 101 of 201326593 bytes/);
    expect(new Framer(true).push(header(limits.MAX_MESSAGE_SIZE))).toEqual([]); // waits for the body
  });

  it('should refuse a link reply beyond MAX_LINK_REPLY_SIZE', () => {
    const header = (size: number) => new Writer().u32(0x51444552).u32(2).u32(2).u32(size).finish();
    refused(() => parseLinkHeader(header(4097)), 'MAX_LINK_REPLY_SIZE');
    expect(parseLinkHeader(header(4096))).toBe(4096);
  });

  it('should refuse a CHANNELS_LIST beyond MAX_CHANNELS', () => {
    const list = (n: number) =>
      new Writer()
        .u32(n)
        .bytes(new Uint8Array(n * 2))
        .finish();
    refused(() => parseChannelsList(list(257)), 'MAX_CHANNELS');
    expect(parseChannelsList(list(256))).toHaveLength(256);
  });

  it('should refuse an image beyond MAX_IMAGE_DIMENSION or MAX_IMAGE_PIXELS in every codec, before allocating', () => {
    expect(refused(() => checkDimensions('quic', 70000, 1), 'MAX_IMAGE_DIMENSION')).toBe('quic: image 70000x1 exceeds the limit of 16384x16384 (MAX_IMAGE_DIMENSION)');
    refused(() => checkDimensions('lz', 16384, 16384), 'MAX_IMAGE_PIXELS');
    expect(() => checkDimensions('lz', 16384, 4096)).not.toThrow();
    // Each decoder, told 16384x16384 (1 GiB of RGBA) by a payload of a few bytes, refuses at once.
    const quic = new Uint8Array([...new TextEncoder().encode('QUIC'), ...new Uint8Array(4), 3, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0]);
    const lz = new Uint8Array([...be32(0x20205a4c, 0x00010001, 8, 16384, 16384, 65536, 1), 0]);
    const glz = new Uint8Array([...be32(0x20205a4c, 0x00010001), 0x18, ...be32(16384, 16384, 65536, 0, 1, 0), 0]);
    resetAllocations();
    refused(() => decodeQuic(quic), 'MAX_IMAGE_PIXELS');
    refused(() => decodeLz(lz), 'MAX_IMAGE_PIXELS');
    refused(() => decodeGlz(glz, new GlzDictionary(1 << 20)), 'MAX_IMAGE_PIXELS');
    refused(() => decodeLz4(Uint8Array.of(1, BitmapFmt.Fmt32bit), 16384, 16384), 'MAX_IMAGE_PIXELS');
    refused(() => decodeBitmap(BitmapFmt.Fmt32bit, 16385, 1, 65540, true, null, new Uint8Array(8)), 'MAX_IMAGE_DIMENSION');
    expect(allocations.largest).toBeLessThan(1 << 20); // nothing near a GiB was allocated
  });

  it('should refuse a cursor beyond MAX_CURSOR_DIMENSION', () => {
    const set = (w: number) =>
      new Writer()
        .i16(0)
        .i16(0)
        .u8(1)
        .u16(0)
        .u64(1n)
        .u8(0)
        .u16(w)
        .u16(1)
        .u16(0)
        .u16(0)
        .bytes(new Uint8Array(w * 4))
        .finish();
    refused(() => parseCursorSet(new Reader(set(513))), 'MAX_CURSOR_DIMENSION');
    expect(parseCursorSet(new Reader(set(512))).cursor.header).toMatchObject({ width: 512 });
  });

  it('should refuse clips beyond MAX_CLIP_RECTS, paths beyond MAX_PATH_POINTS and palettes beyond MAX_PALETTE_ENTRIES', () => {
    const fill = (clipRects: number) => new Writer().u32(0).i32(0).i32(0).i32(1).i32(1).u8(1).u32(clipRects).finish();
    refused(() => display.parseDrawFill(fill(limits.MAX_CLIP_RECTS + 1)), 'MAX_CLIP_RECTS');
    const stroke = new Writer()
      .u32(0)
      .i32(0)
      .i32(0)
      .i32(1)
      .i32(1)
      .u8(0)
      .u32(25)
      .u32(1)
      .u8(0)
      .u32(limits.MAX_PATH_POINTS + 1)
      .bytes(new Uint8Array(16))
      .finish();
    refused(() => display.parseDrawStroke(stroke), 'MAX_PATH_POINTS');
    // A BITMAP image whose palette says 257 entries.
    const image = new Writer().u64(1n).u8(0).u8(0).u32(1).u32(1).u8(BitmapFmt.Fmt8bit).u8(0).u32(1).u32(1).u32(1);
    const palAt = image.length;
    image
      .u32(0)
      .u8(0)
      .u64(5n)
      .u16(257)
      .bytes(new Uint8Array(257 * 4));
    image.patchU32(palAt, palAt + 5);
    refused(() => display.readImage(new Reader(image.finish()), 0), 'MAX_PALETTE_ENTRIES');
  });

  it('should refuse a server that overruns the pixmap cache (PIXMAP_CACHE_PIXELS) or the palette cache (MAX_PALETTE_CACHE_ENTRIES)', () => {
    const images = new ImageResolver({ pixmapCachePixels: 100, glz: new GlzDictionary(0), surface: () => undefined, later: () => {} });
    // CACHE_ME BITMAP images of 10x10 pixels: the budget is 100 * PIXMAP_CACHE_SLACK + 64 = 189 pixels.
    const cached = (id: bigint, paletteId?: bigint) => {
      const w = new Writer().u64(id).u8(0).u8(1).u32(10).u32(10);
      if (paletteId === undefined) w.u8(BitmapFmt.Fmt32bit).u8(4).u32(10).u32(10).u32(40).u32(0).bytes(new Uint8Array(400));
      else {
        w.u8(BitmapFmt.Fmt8bit)
          .u8(4 | 1)
          .u32(10)
          .u32(10)
          .u32(10);
        const at = w.length;
        w.u32(0).bytes(new Uint8Array(100));
        w.patchU32(at, w.length).u64(paletteId).u16(1).u32(0xffffff);
      }
      return display.readImage(new Reader(w.finish()), 0);
    };
    void images.resolve(cached(1n)); // a bitmap resolves synchronously
    expect(refused(() => images.resolve(cached(2n)), 'PIXMAP_CACHE_PIXELS')).toMatch(/200 pixels exceeds the limit of 189 pixels/);

    const palettes = new ImageResolver({ pixmapCachePixels: 1 << 20, glz: new GlzDictionary(0), surface: () => undefined, later: () => {} });
    for (let i = 0; i < limits.MAX_PALETTE_CACHE_ENTRIES; i++) {
      void palettes.resolve(cached(BigInt(i), BigInt(i)));
      palettes.invalidate(BigInt(i));
    }
    refused(() => palettes.resolve(cached(99999n, 99999n)), 'MAX_PALETTE_CACHE_ENTRIES');
  });

  it('should keep the GLZ window within its pixels besides the newest image', () => {
    const dict = new GlzDictionary(1000);
    for (let id = 0; id < 10; id++) dict.add(id, 100, new Uint32Array(400)); // win_head_dist would keep them all
    expect(dict.pixels - 400).toBeLessThanOrEqual(1000);
    expect(dict.has(9)).toBe(true);
    expect(dict.has(0)).toBe(false);
  });

  it('should agree with the protocol constants it restates', () => {
    expect(limits.MAX_STREAMS).toBe(SPICE_MAX_NUM_STREAMS);
    expect(limits.MAX_IMAGE_DIMENSION).toBeLessThanOrEqual(limits.MAX_SURFACE_DIMENSION);
    expect(limits.MAX_IMAGE_PIXELS).toBeLessThanOrEqual(limits.MAX_SURFACE_PIXELS);
    expect(limits.MAX_AGENT_MESSAGE_SIZE).toBeGreaterThan(limits.MAX_CLIPBOARD_SIZE);
  });
});
