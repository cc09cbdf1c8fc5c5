import { describe, expect, it } from 'vitest';
import { decodeBitmap } from '../../../src/codecs/bitmap.js';
import type { SpicePalette } from '../../../src/codecs/types.js';
import { BitmapFmt, BitmapFlags } from '../../../src/protocol/constants.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { firstDiff, makeImage } from './helpers/images.js';
import { sh5Bitmap } from './helpers/sh5.js';

const palette: SpicePalette = { unique: 1n, entries: Uint32Array.from([0x000000, 0xff0000, 0x00ff00, 0x0000ff, 0x123456, 0xabcdef, 0xffffff, 0x808080]) };

describe('bitmap', () => {
  it('should decode 32BIT (B,G,R,X) bottom-up with a padded stride, alpha forced opaque', () => {
    // 2x2, stride 12: row 0 on the wire is the bottom row.
    const data = Uint8Array.from([1, 2, 3, 9, 4, 5, 6, 9, 0xee, 0xee, 0xee, 0xee, 7, 8, 9, 9, 10, 11, 12, 9, 0xee, 0xee, 0xee, 0xee]);
    const img = decodeBitmap(BitmapFmt.Fmt32bit, 2, 2, 12, false, null, data);
    expect([...img.pixels]).toEqual([9, 8, 7, 255, 12, 11, 10, 255, 3, 2, 1, 255, 6, 5, 4, 255]);
    expect(img.hasAlpha).toBe(false);
  });

  it('should decode RGBA (B,G,R,A) top-down with real alpha', () => {
    const img = decodeBitmap(BitmapFmt.Rgba, 2, 1, 8, true, null, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect([...img.pixels]).toEqual([3, 2, 1, 4, 7, 6, 5, 8]);
    expect(img.hasAlpha).toBe(true);
  });

  it('should decode 24BIT (B,G,R)', () => {
    const img = decodeBitmap(BitmapFmt.Fmt24bit, 2, 1, 8, true, null, Uint8Array.from([1, 2, 3, 4, 5, 6, 0, 0]));
    expect([...img.pixels]).toEqual([3, 2, 1, 255, 6, 5, 4, 255]);
  });

  it('should decode 16BIT (x1r5g5b5 little-endian), widening each channel like pixman', () => {
    const v = (31 << 10) | (16 << 5) | 1; // r=31 g=16 b=1
    const img = decodeBitmap(BitmapFmt.Fmt16bit, 1, 1, 2, true, null, Uint8Array.from([v & 255, v >> 8]));
    expect([...img.pixels]).toEqual([255, 132, 8, 255]);
  });

  it('should decode 8BIT through the palette', () => {
    const img = decodeBitmap(BitmapFmt.Fmt8bit, 3, 1, 4, true, palette, Uint8Array.from([1, 5, 200, 0]));
    // index 200 is past the palette: opaque black
    expect([...img.pixels]).toEqual([255, 0, 0, 255, 0xab, 0xcd, 0xef, 255, 0, 0, 0, 255]);
  });

  it('should decode 4BIT_LE and 4BIT_BE nibble orders', () => {
    const le = decodeBitmap(BitmapFmt.Fmt4bitLe, 3, 1, 2, true, palette, Uint8Array.from([0x21, 0x03]));
    expect([...le.pixels]).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
    const be = decodeBitmap(BitmapFmt.Fmt4bitBe, 3, 1, 2, true, palette, Uint8Array.from([0x21, 0x30]));
    expect([...be.pixels]).toEqual([0, 255, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255]);
  });

  it('should decode 1BIT_LE and 1BIT_BE bit orders with a palette', () => {
    const two: SpicePalette = { unique: 2n, entries: Uint32Array.from([0x0000ff, 0xff0000]) };
    const le = decodeBitmap(BitmapFmt.Fmt1bitLe, 9, 1, 2, true, two, Uint8Array.from([0b00000101, 0b1]));
    const be = decodeBitmap(BitmapFmt.Fmt1bitBe, 9, 1, 2, true, two, Uint8Array.from([0b10100000, 0b10000000]));
    const bits = [1, 0, 1, 0, 0, 0, 0, 0, 1];
    const want = bits.flatMap((b) => (b ? [255, 0, 0, 255] : [0, 0, 255, 255]));
    expect([...le.pixels]).toEqual(want);
    expect([...be.pixels]).toEqual(want);
  });

  it('should decode a 1BIT bitmap without palette as a mask (set = opaque white)', () => {
    const img = decodeBitmap(BitmapFmt.Fmt1bitBe, 2, 1, 1, true, null, Uint8Array.from([0b10000000]));
    expect([...img.pixels]).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
    expect(img.hasAlpha).toBe(true);
  });

  it('should decode 8BIT_A as alpha only', () => {
    const img = decodeBitmap(BitmapFmt.Fmt8bitA, 2, 1, 2, true, null, Uint8Array.from([7, 200]));
    expect([...img.pixels]).toEqual([0, 0, 0, 7, 0, 0, 0, 200]);
    expect(img.hasAlpha).toBe(true);
  });

  it('should reject unknown formats, short strides, short data, a missing palette and absurd sizes', () => {
    expect(() => decodeBitmap(0, 1, 1, 4, true, null, new Uint8Array(4))).toThrow(ProtocolError);
    expect(() => decodeBitmap(BitmapFmt.Fmt32bit, 2, 1, 7, true, null, new Uint8Array(8))).toThrow(/stride/);
    expect(() => decodeBitmap(BitmapFmt.Fmt32bit, 2, 2, 8, true, null, new Uint8Array(15))).toThrow(ProtocolError);
    expect(() => decodeBitmap(BitmapFmt.Fmt8bit, 2, 2, 2, true, null, new Uint8Array(4))).toThrow(/palette/);
    expect(() => decodeBitmap(BitmapFmt.Fmt32bit, 100000, 100000, 400000, true, null, new Uint8Array(16))).toThrow(/exceeds the limit/);
  });

  it('should accept an empty bitmap', () => {
    expect(decodeBitmap(BitmapFmt.Fmt32bit, 0, 5, 0, true, null, new Uint8Array(0)).pixels.length).toBe(0);
  });

  describe('against spice-html5', () => {
    // sh5 handles 32BIT and RGBA with stride == width * 4; its RGBA alpha reads the blue byte (a bug), so
    // RGBA is compared on RGB only.
    for (const [fmt, topDown] of [
      [BitmapFmt.Fmt32bit, true],
      [BitmapFmt.Fmt32bit, false],
      [BitmapFmt.Rgba, true],
      [BitmapFmt.Rgba, false],
    ] as const) {
      it(`should match spice-html5 on format ${fmt} ${topDown ? 'top-down' : 'bottom-up'}`, () => {
        const w = 37;
        const h = 23;
        const data = makeImage(w, h, 'photo', fmt);
        const ours = decodeBitmap(fmt, w, h, w * 4, topDown, null, data).pixels;
        const theirs = sh5Bitmap(fmt, topDown ? BitmapFlags.TopDown : 0, w, h, w * 4, data)!;
        if (fmt === BitmapFmt.Rgba) {
          for (let i = 3; i < ours.length; i += 4) theirs[i] = ours[i]!;
        }
        expect(firstDiff(ours, theirs)).toBe('equal');
      });
    }
  });
});
