import { describe, expect, it } from 'vitest';
import { GlzDictionary, decodeGlz, decodeGlzShared, readGlzHeader } from '../../../src/codecs/glz.js';
import { LzImageType } from '../../../src/codecs/lz.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { type GlzHistory, encodeGlz } from './helpers/lz-encoders.js';
import { firstDiff, makeImage } from './helpers/images.js';

/** RGBA top-down -> B,G,R,A stream bytes. */
function bgra(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) {
    out[i] = rgba[i + 2]!;
    out[i + 2] = rgba[i]!;
  }
  return out;
}

function flipRows(rgba: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(rgba.length);
  for (let y = 0; y < h; y++) out.set(rgba.subarray(y * w * 4, (y + 1) * w * 4), (h - 1 - y) * w * 4);
  return out;
}

function opaque(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return out;
}

describe('glz', () => {
  it('should decode a sequence of images that reference earlier images by id', () => {
    const dict = new GlzDictionary(1 << 20);
    const history: GlzHistory = new Map();
    const w = 40;
    const h = 24;
    const base = makeImage(w, h, 'desktop', 1, true);
    for (let id = 0; id < 6; id++) {
      // each image: the first one plus a changing band, so most of it comes from earlier images
      const rgba = base.slice();
      for (let x = 0; x < w; x++) rgba.set([id * 40, 255 - id * 30, x * 6, 255], ((id * 3) % h) * w * 4 + x * 4);
      const stream = bgra(rgba);
      const payload = encodeGlz(LzImageType.Rgb32, w, h, stream, true, id, id, history);
      history.set(id, stream);
      const img = decodeGlz(payload, dict);
      expect(firstDiff(img.pixels, rgba)).toBe('equal');
    }
    expect(dict.size).toBe(6);
  });

  it('should decode RGBA images (alpha pass also referencing other images) and bottom-up ones', () => {
    const dict = new GlzDictionary(1 << 20);
    const history: GlzHistory = new Map();
    const w = 30;
    const h = 20;
    const first = makeImage(w, h, 'flat', 2);
    const second = first.slice();
    second.set([1, 2, 3, 4], 5 * 4);
    let id = 10;
    for (const [rgba, topDown] of [
      [first, true],
      [second, false],
      [first, false],
    ] as const) {
      const stream = bgra(topDown ? rgba : flipRows(rgba, w, h));
      const payload = encodeGlz(LzImageType.Rgba, w, h, stream, topDown, id, id - 10, history);
      history.set(id, stream);
      expect(readGlzHeader(payload)).toMatchObject({ type: LzImageType.Rgba, topDown, id, width: w, height: h });
      expect(firstDiff(decodeGlz(payload, dict).pixels, rgba)).toBe('equal');
      id++;
    }
  });

  it('should keep decoded alpha exact across RGB and RGBA images that reference each other', () => {
    // An RGB image's decoded alpha is 0 for its literals and copied by its matches (what an RGBA image's alpha
    // pass may reference); the window stores such images opaque and must still give those alpha values.
    const dict = new GlzDictionary(1 << 20);
    const history: GlzHistory = new Map();
    const w = 24;
    const h = 16;
    const colors = makeImage(w, h, 'desktop', 7, true);
    const withAlpha = (rgba: Uint8Array, alpha: (y: number) => number): Uint8Array => {
      const out = rgba.slice();
      for (let i = 0; i < w * h; i++) out[i * 4 + 3] = alpha(Math.floor(i / w));
      return out;
    };
    // 0: RGB, bottom-up; decoded alpha 0 everywhere
    const s0 = bgra(withAlpha(flipRows(colors, w, h), () => 0));
    expect(firstDiff(decodeGlz(encodeGlz(LzImageType.Rgb32, w, h, s0, false, 0, 0, history), dict).pixels, colors)).toBe('equal');
    history.set(0, s0);
    // 1: RGBA, same colors (copied from image 0), alpha 0 in the top half (referencing image 0's alpha), 200 below
    const rgba1 = withAlpha(colors, (y) => (y < h / 2 ? 0 : 200));
    const s1 = bgra(rgba1);
    expect(firstDiff(decodeGlz(encodeGlz(LzImageType.Rgba, w, h, s1, true, 1, 1, history), dict).pixels, rgba1)).toBe('equal');
    history.set(1, s1);
    // 2: RGB copying image 1 (whose alpha is not all 0): output opaque, window keeps image 1's alpha for later
    expect(firstDiff(decodeGlz(encodeGlz(LzImageType.Rgb32, w, h, s1, true, 2, 1, history), dict).pixels, opaque(rgba1))).toBe('equal');
    // 3: RGBA with image 1's alpha, which the encoder may find in image 1 or image 2 (same decoded alpha)
    history.set(2, s1);
    expect(firstDiff(decodeGlz(encodeGlz(LzImageType.Rgba, w, h, s1, true, 3, 2, history), dict).pixels, rgba1)).toBe('equal');
    // 4: RGB again, from image 0 and 3: opaque
    expect(firstDiff(decodeGlz(encodeGlz(LzImageType.Rgb32, w, h, bgra(colors), true, 4, 4, history), dict).pixels, colors)).toBe('equal');
  });

  it('should hand out the window copy of an image and not reuse it while its owner may still read it', () => {
    const dict = new GlzDictionary(1 << 20);
    const w = 32;
    const h = 12;
    const owner = {};
    const images = [1, 2, 3, 4].map((seed) => makeImage(w, h, 'noise', seed, true));
    // each image releases the previous one (win_head_dist 0), so without the pin its buffer would be reused
    const enc = (id: number, topDown = true): Uint8Array =>
      encodeGlz(LzImageType.Rgb32, w, h, bgra(topDown ? images[id % 4]! : flipRows(images[id % 4]!, w, h)), topDown, id, 0, new Map());
    const shared = decodeGlzShared(enc(0), dict, owner);
    expect(firstDiff(shared.pixels, images[0]!)).toBe('equal');
    const kept = shared.pixels.slice();
    expect(firstDiff(decodeGlz(enc(1), dict).pixels, images[1]!)).toBe('equal');
    expect(firstDiff(decodeGlz(enc(2), dict).pixels, images[2]!)).toBe('equal');
    expect(firstDiff(shared.pixels, kept)).toBe('equal');
    // once unpinned (the owner's next shared decode), a released buffer is reused: a steady stream allocates nothing
    const a = decodeGlzShared(enc(3), dict, owner).pixels.buffer;
    decodeGlzShared(enc(4), dict, owner);
    expect(decodeGlzShared(enc(5), dict, owner).pixels.buffer).toBe(a);
    // bottom-up: not the window copy (that is in stream order), written into `out`
    const out = new Uint8ClampedArray(w * h * 4);
    const flipped = decodeGlzShared(enc(6, false), dict, owner, undefined, out);
    expect(flipped.pixels.buffer).toBe(out.buffer);
    expect(firstDiff(flipped.pixels, images[2]!)).toBe('equal');
  });

  it('should decode long same-image offsets (pixel flag forms)', () => {
    const dict = new GlzDictionary(1 << 22);
    const w = 5000;
    const h = 30; // rows repeat 5000 pixels apart: needs the 17-bit offset form; 25-bit for rows further back
    const row = makeImage(w, 1, 'noise', 3, true);
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) rgba.set(row, y * w * 4);
    const payload = encodeGlz(LzImageType.Rgb32, w, h, bgra(rgba), true, 0, 0, new Map(), { chain: 2 });
    expect(firstDiff(decodeGlz(payload, dict).pixels, rgba)).toBe('equal');
  });

  it('should throw a ProtocolError for a reference to an image that is not in the window', () => {
    const history: GlzHistory = new Map();
    const w = 16;
    const h = 8;
    const rgba = makeImage(w, h, 'noise', 4, true);
    history.set(0, bgra(rgba));
    const payload = encodeGlz(LzImageType.Rgb32, w, h, bgra(rgba), true, 1, 1, history);
    expect(() => decodeGlz(payload, new GlzDictionary(1 << 20))).toThrow(/not in the window/);
  });

  it('should drop images that win_head_dist says no later image references', () => {
    const dict = new GlzDictionary(1 << 20);
    const w = 8;
    const h = 8;
    const rgba = makeImage(w, h, 'noise', 5, true);
    for (let id = 0; id < 5; id++) decodeGlz(encodeGlz(LzImageType.Rgb32, w, h, bgra(rgba), true, id, 1, new Map()), dict);
    // after image 4 (win head 3), images 0..2 can never be referenced
    expect([0, 1, 2, 3, 4].map((id) => dict.has(id))).toEqual([false, false, false, true, true]);
  });

  it('should wait for a gap before releasing, and report the missing ids', () => {
    const dict = new GlzDictionary(1 << 20);
    const w = 4;
    const h = 4;
    const rgba = makeImage(w, h, 'noise', 6, true);
    const enc = (id: number, whd: number): Uint8Array => encodeGlz(LzImageType.Rgb32, w, h, bgra(rgba), true, id, whd, new Map());
    decodeGlz(enc(0, 0), dict);
    // image 2 arrives before image 1 (another display channel): 1 is missing, nothing is released yet
    expect(dict.missingFor(readGlzHeader(enc(2, 2)))).toEqual([1]);
    decodeGlz(enc(2, 0), dict);
    expect(dict.has(0)).toBe(true);
    decodeGlz(enc(1, 1), dict);
    expect(dict.missingFor(readGlzHeader(enc(3, 3)))).toEqual([]);
  });

  it('should never hold more than the window size besides the newest image', () => {
    const w = 10;
    const h = 10;
    const dict = new GlzDictionary(3 * w * h);
    const rgba = makeImage(w, h, 'noise', 7, true);
    for (let id = 0; id < 20; id++) {
      decodeGlz(encodeGlz(LzImageType.Rgb32, w, h, bgra(rgba), true, id, id, new Map()), dict);
      expect(dict.pixels - w * h).toBeLessThanOrEqual(3 * w * h);
    }
    expect(dict.has(19)).toBe(true);
    expect(dict.has(15)).toBe(false);
    dict.clear();
    expect(dict.size).toBe(0);
  });

  it('should decode into a reused output and into reused window buffers exactly as into fresh ones', () => {
    // a window of 2 images: each new image releases an older one, whose buffer the next decode takes back
    const w = 33;
    const h = 17;
    const dict = new GlzDictionary(2 * w * h);
    const history: GlzHistory = new Map();
    const out = new Uint8ClampedArray(w * h * 4 + 40).fill(0x5a);
    const base = makeImage(w, h, 'desktop', 9, true);
    for (let id = 0; id < 12; id++) {
      const rgba = base.slice();
      // a changing band and some noise, so every image has literals, same-image and cross-image matches
      rgba.set(makeImage(w, 2, 'noise', 100 + id, true), ((id * 5) % (h - 2)) * w * 4);
      const topDown = id % 3 !== 1;
      const type = id % 4 === 3 ? LzImageType.Rgba : LzImageType.Rgb32;
      if (type === LzImageType.Rgba) for (let i = 3; i < rgba.length; i += 4) rgba[i] = (i * 7) & 255;
      const stream = bgra(topDown ? rgba : flipRows(rgba, w, h));
      for (const old of [...history.keys()]) if (old < id - 2) history.delete(old);
      const payload = encodeGlz(type, w, h, stream, topDown, id, Math.min(id, 2), history);
      history.set(id, stream);
      const img = decodeGlz(payload, dict, undefined, out);
      expect(img.pixels.buffer).toBe(out.buffer);
      expect(firstDiff(img.pixels, rgba), `image ${id}`).toBe('equal');
      expect(dict.pixels - w * h).toBeLessThanOrEqual(2 * w * h);
    }
  });

  it('should reject palette and XXXA types, and a bad magic', () => {
    const dict = new GlzDictionary(1 << 20);
    const good = encodeGlz(LzImageType.Rgb32, 2, 2, new Uint8Array(16), true, 0, 0, new Map());
    for (const type of [LzImageType.Plt8, LzImageType.Xxxa, 0, 15]) {
      const bad = good.slice();
      bad[8] = type;
      expect(() => decodeGlz(bad, dict)).toThrow(ProtocolError);
    }
    const bad = good.slice();
    bad[0] = 0;
    expect(() => decodeGlz(bad, dict)).toThrow(/magic/);
  });

  it('should force opacity on RGB images even when they copy pixels from RGBA ones', () => {
    const dict = new GlzDictionary(1 << 20);
    const history: GlzHistory = new Map();
    const rgba = makeImage(8, 8, 'photo', 8);
    const s0 = bgra(rgba);
    decodeGlz(encodeGlz(LzImageType.Rgba, 8, 8, s0, true, 0, 0, history), dict);
    history.set(0, s0);
    const img = decodeGlz(encodeGlz(LzImageType.Rgb32, 8, 8, s0, true, 1, 1, history), dict);
    expect(firstDiff(img.pixels, opaque(rgba))).toBe('equal');
  });
});
