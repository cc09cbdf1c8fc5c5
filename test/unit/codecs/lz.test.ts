import { describe, expect, it } from 'vitest';
import { LzImageType, decodeLz, decodeLzAlpha, readLzHeader } from '../../../src/codecs/lz.js';
import type { SpicePalette } from '../../../src/codecs/types.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeLz } from './helpers/lz-encoders.js';
import { type Pattern, firstDiff, makeImage } from './helpers/images.js';
import { sh5Lz } from './helpers/sh5.js';

/** RGBA (top-down) -> B,G,R,A bytes in stream order. */
function toStream(rgba: Uint8Array, w: number, h: number, topDown: boolean): Uint8Array {
  const out = new Uint8Array(rgba.length);
  for (let y = 0; y < h; y++) {
    const sy = topDown ? y : h - 1 - y;
    for (let x = 0; x < w; x++) {
      const s = (sy * w + x) * 4;
      const d = (y * w + x) * 4;
      out[d] = rgba[s + 2]!;
      out[d + 1] = rgba[s + 1]!;
      out[d + 2] = rgba[s]!;
      out[d + 3] = rgba[s + 3]!;
    }
  }
  return out;
}

function opaque(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return out;
}

const rgbCases: [string, number, number, number, Pattern, boolean][] = [
  ['RGB32 desktop top-down', LzImageType.Rgb32, 120, 80, 'desktop', true],
  ['RGB32 photo bottom-up', LzImageType.Rgb32, 90, 70, 'photo', false],
  ['RGB24 gradient bottom-up', LzImageType.Rgb24, 64, 64, 'gradient', false],
  ['RGBA flat top-down', LzImageType.Rgba, 150, 60, 'flat', true],
  ['RGBA photo bottom-up', LzImageType.Rgba, 70, 50, 'photo', false],
  ['RGB32 noise', LzImageType.Rgb32, 40, 30, 'noise', true],
  ['RGB32 long-distance matches', LzImageType.Rgb32, 9000, 3, 'desktop', true],
];

describe('lz', () => {
  for (const [name, type, w, h, pattern, topDown] of rgbCases) {
    it(`should decode ${name} (${w}x${h})`, () => {
      const rgba = makeImage(w, h, pattern, w + h);
      const payload = encodeLz(type, w, h, toStream(rgba, w, h, topDown), topDown, w * 4);
      const img = decodeLz(payload);
      expect(img.width).toBe(w);
      expect(img.hasAlpha).toBe(type === LzImageType.Rgba);
      expect(firstDiff(img.pixels, type === LzImageType.Rgba ? rgba : opaque(rgba))).toBe('equal');
    });
  }

  it('should decode matches with long length extensions and runs', () => {
    const w = 700;
    const h = 4;
    const rgba = makeImage(w, h, 'flat', 5);
    const payload = encodeLz(LzImageType.Rgb32, w, h, toStream(rgba, w, h, true), true, w * 4);
    expect(firstDiff(decodeLz(payload).pixels, opaque(rgba))).toBe('equal');
  });

  it('should decode RGB16 (big-endian x1r5g5b5 literals, widened like pixman)', () => {
    const w = 50;
    const h = 30;
    const rgba = makeImage(w, h, 'desktop', 2);
    const raw = new Uint8Array(w * h * 2);
    const want = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      const [r, g, b] = [rgba[i * 4]! >> 3, rgba[i * 4 + 1]! >> 3, rgba[i * 4 + 2]! >> 3];
      const v = (r << 10) | (g << 5) | b;
      raw[i * 2] = v & 255;
      raw[i * 2 + 1] = v >> 8;
      want.set([(r << 3) | (r >> 2), (g << 3) | (g >> 2), (b << 3) | (b >> 2), 255], i * 4);
    }
    const img = decodeLz(encodeLz(LzImageType.Rgb16, w, h, raw, true, w * 2));
    expect(firstDiff(img.pixels, want)).toBe('equal');
  });

  const palette: SpicePalette = { unique: 7n, entries: Uint32Array.from({ length: 256 }, (_, i) => (i * 0x010203) & 0xffffff) };
  const palRgba = (i: number): number[] => {
    const e = palette.entries[i]!;
    return [(e >> 16) & 255, (e >> 8) & 255, e & 255, 255];
  };

  for (const [name, type, bits] of [
    ['PLT8', LzImageType.Plt8, 8],
    ['PLT4_LE', LzImageType.Plt4Le, 4],
    ['PLT4_BE', LzImageType.Plt4Be, 4],
    ['PLT1_LE', LzImageType.Plt1Le, 1],
    ['PLT1_BE', LzImageType.Plt1Be, 1],
  ] as const) {
    it(`should decode ${name} with its palette and padded stride, bottom-up`, () => {
      const w = 37;
      const h = 9;
      const stride = Math.ceil((w * bits) / 8) + 3; // rows padded past the visible width
      const units = new Uint8Array(stride * h);
      const idx: number[][] = [];
      for (let y = 0; y < h; y++) {
        idx.push([]);
        for (let x = 0; x < w; x++) {
          const v = ((x * 3 + y * 5) >> 2) & ((1 << bits) - 1);
          idx[y]!.push(v);
          const bit = x * bits;
          const byte = y * stride + (bit >> 3);
          const lowFirst = type === LzImageType.Plt4Le || type === LzImageType.Plt1Le;
          const shift = bits === 8 ? 0 : lowFirst ? bit & 7 : 8 - bits - (bit & 7);
          units[byte]! |= v << shift;
        }
      }
      const img = decodeLz(encodeLz(type, w, h, units, false, stride), palette);
      const want: number[] = [];
      for (let y = h - 1; y >= 0; y--) for (let x = 0; x < w; x++) want.push(...palRgba(idx[y]![x]!));
      expect(firstDiff(img.pixels, want)).toBe('equal');
    });
  }

  it('should decode XXXA alone (alpha only) and as the alpha plane of a decoded image', () => {
    const w = 33;
    const h = 21;
    const rgba = makeImage(w, h, 'photo', 9);
    const payload = encodeLz(LzImageType.Xxxa, w, h, toStream(rgba, w, h, false), false, w * 4);
    const alone = decodeLz(payload);
    for (let i = 0; i < w * h; i++) expect(alone.pixels[i * 4 + 3]).toBe(rgba[i * 4 + 3]);
    const target = { width: w, height: h, pixels: new Uint8ClampedArray(w * h * 4).fill(9), hasAlpha: false };
    decodeLzAlpha(payload, target);
    expect(target.hasAlpha).toBe(true);
    for (let i = 0; i < w * h; i++) {
      expect(target.pixels[i * 4]).toBe(9);
      expect(target.pixels[i * 4 + 3]).toBe(rgba[i * 4 + 3]);
    }
    expect(() => decodeLzAlpha(payload, { ...target, width: w + 1 })).toThrow(ProtocolError);
  });

  it('should decode A8', () => {
    const w = 20;
    const h = 10;
    const a = Uint8Array.from({ length: w * h }, (_, i) => (i * 7) & 255);
    const img = decodeLz(encodeLz(LzImageType.A8, w, h, a, true, w));
    for (let i = 0; i < w * h; i++) expect([...img.pixels.subarray(i * 4, i * 4 + 4)]).toEqual([0, 0, 0, a[i]]);
  });

  it('should read the header', () => {
    const payload = encodeLz(LzImageType.Rgb32, 3, 2, new Uint8Array(24), false, 12);
    expect(readLzHeader(payload)).toEqual({ type: LzImageType.Rgb32, width: 3, height: 2, stride: 12, topDown: false });
  });

  it('should reject a palette type without a palette, bad magic, version and type', () => {
    expect(() => decodeLz(encodeLz(LzImageType.Plt8, 4, 4, new Uint8Array(16), true, 4))).toThrow(/without a palette/);
    const good = encodeLz(LzImageType.Rgb32, 3, 2, new Uint8Array(24), false, 12);
    for (const at of [0, 5, 11]) {
      const bad = good.slice();
      bad[at] ^= 0x40;
      expect(() => decodeLz(bad)).toThrow(ProtocolError);
    }
  });

  it('should decode into the buffer the caller passes, overwriting what it held', () => {
    const payloads: [string, Uint8Array, SpicePalette | null][] = rgbCases.map(([name, type, w, h, pattern, topDown]) => {
      const rgba = makeImage(w, h, pattern, w + h);
      return [name, encodeLz(type, w, h, toStream(rgba, w, h, topDown), topDown, w * 4), null];
    });
    const units = Uint8Array.from({ length: 12 * 9 }, (_, i) => (i * 13) & 255);
    payloads.push(['PLT8', encodeLz(LzImageType.Plt8, 12, 9, units, true, 12), palette]);
    payloads.push(['A8', encodeLz(LzImageType.A8, 12, 9, units, false, 12), null]);
    const alpha = toStream(makeImage(12, 9, 'photo', 3), 12, 9, true);
    payloads.push(['XXXA', encodeLz(LzImageType.Xxxa, 12, 9, alpha, true, 48), null]);
    const out = new Uint8ClampedArray(9000 * 3 * 4 + 64);
    for (const [name, payload, pal] of payloads) {
      out.fill(0xa5);
      const img = decodeLz(payload, pal, undefined, out);
      expect(img.pixels.buffer, name).toBe(out.buffer);
      expect(firstDiff(img.pixels, decodeLz(payload, pal).pixels), name).toBe('equal');
    }
  });

  it('should allocate its own output when the buffer passed is too small or misaligned', () => {
    const rgba = makeImage(8, 4, 'photo', 1);
    const payload = encodeLz(LzImageType.Rgb32, 8, 4, toStream(rgba, 8, 4, true), true, 32);
    const small = new Uint8ClampedArray(8 * 4 * 4 - 4);
    expect(decodeLz(payload, null, undefined, small).pixels.buffer).not.toBe(small.buffer);
    const misaligned = new Uint8ClampedArray(new ArrayBuffer(8 * 4 * 4 + 4), 1, 8 * 4 * 4);
    const img = decodeLz(payload, null, undefined, misaligned);
    expect(img.pixels.buffer).not.toBe(misaligned.buffer);
    expect(firstDiff(img.pixels, opaque(rgba))).toBe('equal');
  });

  describe('against spice-html5', () => {
    // sh5 supports RGB32 and RGBA; its RGBA alpha pass is not flipped for bottom-up images, so those are
    // compared on RGB only. Everything else must be identical, byte for byte.
    for (const [name, type, w, h, pattern, topDown] of rgbCases) {
      if (type === LzImageType.Rgb24) continue;
      it(`should match spice-html5 on ${name}`, () => {
        const rgba = makeImage(w, h, pattern, w * 3 + h);
        const payload = encodeLz(type, w, h, toStream(rgba, w, h, topDown), topDown, w * 4);
        const ours = decodeLz(payload).pixels;
        const theirs = sh5Lz(payload)!;
        expect(theirs).not.toBeNull();
        if (type === LzImageType.Rgba && !topDown) {
          for (let i = 0; i < ours.length; i++) if ((i & 3) !== 3 && ours[i] !== theirs[i]) expect(`byte ${i}`).toBe('equal');
        } else {
          expect(firstDiff(ours, theirs)).toBe('equal');
        }
      });
    }
  });
});
