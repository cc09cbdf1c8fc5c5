import { describe, expect, it } from 'vitest';
import { QuicDecoder, QuicImageType, decodeQuic } from '../../../src/codecs/quic.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeQuic, rgbaToPlanes } from './helpers/quic-encoder.js';
import { type Pattern, firstDiff, makeImage } from './helpers/images.js';
import { sh5Quic } from './helpers/sh5.js';

/** What a QUIC decode of `rgba` must give: channels reduced to the type's depth and widened back. */
function expected(type: number, rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) {
    if (type === QuicImageType.Rgb16) {
      for (let c = 0; c < 3; c++) {
        const v = out[i + c]! >> 3;
        out[i + c] = (v << 3) | (v >> 2);
      }
    }
    if (type === QuicImageType.Gray) out[i + 1] = out[i + 2] = out[i]!;
    if (type !== QuicImageType.Rgba) out[i + 3] = 255;
  }
  return out;
}

const cases: [string, number, number, number, Pattern][] = [
  ['RGB32 gradient', QuicImageType.Rgb32, 61, 37, 'gradient'],
  ['RGB32 desktop with runs', QuicImageType.Rgb32, 200, 120, 'desktop'],
  ['RGB32 noise', QuicImageType.Rgb32, 50, 40, 'noise'],
  ['RGB24 photo', QuicImageType.Rgb24, 97, 64, 'photo'],
  ['RGBA photo', QuicImageType.Rgba, 80, 50, 'photo'],
  ['RGBA flat with runs in alpha', QuicImageType.Rgba, 150, 90, 'flat'],
  ['RGB16 photo', QuicImageType.Rgb16, 70, 45, 'photo'],
  ['RGB16 desktop', QuicImageType.Rgb16, 120, 60, 'desktop'],
  ['GRAY photo', QuicImageType.Gray, 90, 33, 'photo'],
  ['GRAY flat', QuicImageType.Gray, 130, 40, 'flat'],
  ['RGB32 wider than the 2048-pixel wait-mask step', QuicImageType.Rgb32, 2600, 6, 'photo'],
  ['RGBA one pixel', QuicImageType.Rgba, 1, 1, 'noise'],
  ['RGB32 one column', QuicImageType.Rgb32, 1, 40, 'gradient'],
];

describe('quic', () => {
  for (const [name, type, w, h, pattern] of cases) {
    it(`should decode ${name} (${w}x${h}) to the encoded pixels`, () => {
      const rgba = makeImage(w, h, pattern, w * h);
      const payload = encodeQuic(type, w, h, rgbaToPlanes(type, rgba, w * h));
      const img = decodeQuic(payload);
      expect(img.width).toBe(w);
      expect(img.height).toBe(h);
      expect(img.hasAlpha).toBe(type === QuicImageType.Rgba);
      const want = expected(type, rgba);
      expect(firstDiff(img.pixels, want)).toBe('equal');
    });
  }

  for (const [name, type, w, h, pattern] of cases) {
    if (type !== QuicImageType.Rgb32 && type !== QuicImageType.Rgb24 && type !== QuicImageType.Rgba) continue;
    it(`should match spice-html5 on ${name}`, () => {
      const rgba = makeImage(w, h, pattern, w * h + 7);
      const payload = encodeQuic(type, w, h, rgbaToPlanes(type, rgba, w * h));
      const ours = decodeQuic(payload).pixels;
      const theirs = sh5Quic(payload)!;
      expect(theirs).not.toBeNull();
      // sh5 writes QUIC alpha inverted (255 - a); spice-common (and we) keep it as coded.
      const adjusted = Uint8ClampedArray.from(theirs);
      if (type === QuicImageType.Rgba) for (let i = 3; i < adjusted.length; i += 4) adjusted[i] = 255 - adjusted[i]!;
      expect(firstDiff(ours, adjusted)).toBe('equal');
    });
  }

  it('should reuse one decoder across images of different types and sizes', () => {
    const dec = new QuicDecoder();
    for (const [, type, w, h, pattern] of cases.slice(0, 6)) {
      const rgba = makeImage(w, h, pattern, 3);
      const img = dec.decode(encodeQuic(type, w, h, rgbaToPlanes(type, rgba, w * h)));
      expect(firstDiff(img.pixels, expected(type, rgba))).toBe('equal');
    }
  });

  it('should decode into the buffer the caller passes, overwriting what it held', () => {
    const dec = new QuicDecoder();
    const out = new Uint8ClampedArray(200 * 200 * 4);
    for (const [name, type, w, h, pattern] of cases) {
      const rgba = makeImage(w, h, pattern, w * h);
      out.fill(0xa5);
      const img = dec.decode(encodeQuic(type, w, h, rgbaToPlanes(type, rgba, w * h)), undefined, out);
      expect(img.pixels.buffer, name).toBe(out.buffer);
      expect(firstDiff(img.pixels, expected(type, rgba)), name).toBe('equal');
    }
  });

  it('should read the header', () => {
    const payload = encodeQuic(QuicImageType.Rgb32, 5, 3, rgbaToPlanes(QuicImageType.Rgb32, makeImage(5, 3, 'noise'), 15));
    expect(QuicDecoder.readHeader(payload)).toEqual({ type: QuicImageType.Rgb32, width: 5, height: 3 });
  });

  it('should reject a bad magic, version or type', () => {
    const payload = encodeQuic(QuicImageType.Rgb32, 5, 3, rgbaToPlanes(QuicImageType.Rgb32, makeImage(5, 3, 'noise'), 15));
    for (const [at, value] of [
      [0, 0x51],
      [4, 1],
      [8, 9],
    ] as const) {
      const bad = payload.slice();
      bad[at] = value;
      if (at === 0) bad[0] = 0;
      expect(() => decodeQuic(bad)).toThrow(ProtocolError);
    }
  });

  it('should reject an absurd size before allocating', () => {
    const payload = encodeQuic(QuicImageType.Rgb32, 5, 3, rgbaToPlanes(QuicImageType.Rgb32, makeImage(5, 3, 'noise'), 15));
    const dv = new DataView(payload.buffer);
    dv.setUint32(12, 0x7fffffff, true);
    dv.setUint32(16, 0x7fffffff, true);
    expect(() => decodeQuic(payload)).toThrow(/exceeds the limit/);
    dv.setUint32(12, 1000, true);
    dv.setUint32(16, 1000, true);
    expect(() => decodeQuic(payload, { maxDimension: 16384, maxPixels: 1000 })).toThrow(ProtocolError);
  });
});
