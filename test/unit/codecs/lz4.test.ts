import { describe, expect, it } from 'vitest';
import { decodeLz4, lz4DecodeBlock } from '../../../src/codecs/lz4.js';
import { BitmapFmt } from '../../../src/protocol/constants.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeLz4Image } from './helpers/lz-encoders.js';
import { firstDiff, makeImage } from './helpers/images.js';

/** RGBA top-down -> raw rows of a bitmap format, stream order. */
function raw(rgba: Uint8Array, w: number, h: number, format: number, topDown: boolean): Uint8Array {
  const bpp = format === BitmapFmt.Fmt16bit ? 2 : format === BitmapFmt.Fmt24bit ? 3 : 4;
  const out = new Uint8Array(w * h * bpp);
  for (let y = 0; y < h; y++) {
    const sy = topDown ? y : h - 1 - y;
    for (let x = 0; x < w; x++) {
      const s = (sy * w + x) * 4;
      const d = (y * w + x) * bpp;
      const [r, g, b, a] = [rgba[s]!, rgba[s + 1]!, rgba[s + 2]!, rgba[s + 3]!];
      if (bpp === 2) {
        const v = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
        out[d] = v & 255;
        out[d + 1] = v >> 8;
      } else {
        out[d] = b;
        out[d + 1] = g;
        out[d + 2] = r;
        if (bpp === 4) out[d + 3] = a;
      }
    }
  }
  return out;
}

function expected(rgba: Uint8Array, format: number): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) {
    if (format === BitmapFmt.Fmt16bit) for (let c = 0; c < 3; c++) out[i + c] = ((out[i + c]! >> 3) << 3) | (out[i + c]! >> 5);
    if (format !== BitmapFmt.Rgba) out[i + 3] = 255;
  }
  return out;
}

describe('lz4', () => {
  for (const [name, format, topDown, rowsPerBlock] of [
    ['32BIT top-down, one block', BitmapFmt.Fmt32bit, true, 1000],
    ['32BIT bottom-up, a block per row', BitmapFmt.Fmt32bit, false, 1],
    ['RGBA top-down, blocks of 7 rows', BitmapFmt.Rgba, true, 7],
    ['24BIT bottom-up', BitmapFmt.Fmt24bit, false, 5],
    ['16BIT top-down', BitmapFmt.Fmt16bit, true, 3],
  ] as const) {
    it(`should decode ${name}`, () => {
      const w = 83;
      const h = 40;
      const rgba = makeImage(w, h, 'desktop', format);
      const bpp = format === BitmapFmt.Fmt16bit ? 2 : format === BitmapFmt.Fmt24bit ? 3 : 4;
      const payload = encodeLz4Image(raw(rgba, w, h, format, topDown), w * bpp, topDown, format, rowsPerBlock);
      const img = decodeLz4(payload, w, h);
      expect(img.hasAlpha).toBe(format === BitmapFmt.Rgba);
      expect(firstDiff(img.pixels, expected(rgba, format))).toBe('equal');
    });
  }

  it('should resolve matches that reach into earlier blocks of the stream', () => {
    const w = 64;
    const h = 16;
    const row = makeImage(w, 1, 'noise', 11);
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) rgba.set(row, y * w * 4);
    const payload = encodeLz4Image(raw(rgba, w, h, BitmapFmt.Rgba, true), w * 4, true, BitmapFmt.Rgba, 1);
    expect(payload.length).toBeLessThan(w * 4 * 3); // rows after the first are matches into earlier blocks
    expect(firstDiff(decodeLz4(payload, w, h).pixels, rgba)).toBe('equal');
  });

  it('should decode a hand-made block with overlapping matches and long lengths', () => {
    // literal 'ab', then match offset 2 length 4+15+255+3 (repeat "ab"), then literal 'z'
    const block = [0x2f, 97, 98, 2, 0, 255, 3, 0x10, 122];
    const out = new Uint8Array(2 + 277 + 1);
    expect(lz4DecodeBlock(Uint8Array.from(block), 0, block.length, out, 0)).toBe(out.length);
    expect(String.fromCharCode(...out.subarray(0, 6))).toBe('ababab');
    expect(out[out.length - 1]).toBe(122);
  });

  it('should decode into a reused buffer full of stale bytes exactly as into a fresh one', () => {
    const w = 61;
    const h = 23;
    const out = new Uint8ClampedArray(w * h * 4 + 64).fill(0xa5);
    for (const [format, topDown, seed] of [
      [BitmapFmt.Fmt32bit, true, 1],
      [BitmapFmt.Fmt32bit, false, 2],
      [BitmapFmt.Rgba, false, 3],
      [BitmapFmt.Fmt24bit, true, 4],
      [BitmapFmt.Fmt16bit, false, 5],
    ] as const) {
      const rgba = makeImage(w, h, 'photo', seed);
      const bpp = format === BitmapFmt.Fmt16bit ? 2 : format === BitmapFmt.Fmt24bit ? 3 : 4;
      const payload = encodeLz4Image(raw(rgba, w, h, format, topDown), w * bpp, topDown, format, 4);
      const img = decodeLz4(payload, w, h, undefined, out);
      expect(img.pixels.buffer).toBe(out.buffer);
      expect(firstDiff(img.pixels, expected(rgba, format)), `format ${format} topDown ${topDown}`).toBe('equal');
    }
  });

  it('should repeat long runs of one pixel and of short patterns (overlapping matches longer than the offset)', () => {
    const w = 700;
    const h = 9;
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // row 0..2: one colour per row; 3..5: a 3-pixel pattern; 6..8: a 7-pixel pattern, shifted per row
        const k = y < 3 ? y : y < 6 ? (x + y) % 3 : (x * 5 + y) % 7;
        rgba.set([k * 31, 255 - k * 17, (k * 73) & 255, 255], (y * w + x) * 4);
      }
    }
    const payload = encodeLz4Image(raw(rgba, w, h, BitmapFmt.Fmt32bit, true), w * 4, true, BitmapFmt.Fmt32bit, 100);
    expect(payload.length).toBeLessThan(w * h); // the runs really are long matches
    expect(firstDiff(decodeLz4(payload, w, h).pixels, rgba)).toBe('equal');
  });

  it('should fill runs of one 4-byte unit from any byte position when given a word view', () => {
    // literals 'abcde', then a match at offset 4 of 4+15+81 = 100 bytes starting at byte 5 (not word aligned),
    // then literal 'z'
    const block = Uint8Array.from([0x5f, 97, 98, 99, 100, 101, 4, 0, 81, 0x10, 122]);
    const buf = new ArrayBuffer(5 + 100 + 1 + 2);
    const out = new Uint8Array(buf, 0, 5 + 100 + 1);
    expect(lz4DecodeBlock(block, 0, block.length, out, 0, new Uint32Array(buf))).toBe(out.length);
    let want = 'abcde';
    while (want.length < 105) want += want[want.length - 4];
    expect(String.fromCharCode(...out)).toBe(want + 'z');
  });

  it('should reject bad formats, output that does not fill the image, and bad offsets', () => {
    expect(() => decodeLz4(Uint8Array.from([1, BitmapFmt.Fmt8bit]), 1, 1)).toThrow(/format/);
    expect(() => decodeLz4(Uint8Array.from([1]), 1, 1)).toThrow(ProtocolError);
    // one literal-only block of 3 bytes for a 1x1 32BIT image (needs 4)
    expect(() => decodeLz4(Uint8Array.from([1, BitmapFmt.Fmt32bit, 0, 0, 0, 4, 0x30, 1, 2, 3]), 1, 1)).toThrow(/inflate/);
    // match offset 5 with only 1 byte of output
    expect(() => lz4DecodeBlock(Uint8Array.from([0x10, 1, 5, 0]), 0, 4, new Uint8Array(10), 0)).toThrow(/offset/);
    // zero offset
    expect(() => lz4DecodeBlock(Uint8Array.from([0x10, 1, 0, 0]), 0, 4, new Uint8Array(10), 0)).toThrow(/offset/);
    expect(() => decodeLz4(Uint8Array.from([1, BitmapFmt.Fmt32bit]), 1e6, 1e6)).toThrow(/exceeds the limit/);
  });
});
