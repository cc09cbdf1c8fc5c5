/**
 * Hostile input for every codec: payloads cut at every offset (or many, for big ones), bytes flipped at random,
 * absurd sizes. A decoder must either return an image of the announced size or throw a ProtocolError — never
 * another error, never a hang, never an absurd allocation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBitmap } from '../../../src/codecs/bitmap.js';
import { GlzDictionary, decodeGlz } from '../../../src/codecs/glz.js';
import { LzImageType, decodeLz } from '../../../src/codecs/lz.js';
import { decodeLz4 } from '../../../src/codecs/lz4.js';
import { QuicImageType, decodeQuic } from '../../../src/codecs/quic.js';
import type { SpicePalette } from '../../../src/codecs/types.js';
import { decodeZlibGlz } from '../../../src/codecs/zlib-glz.js';
import { zlibSync } from 'fflate';
import { BitmapFmt } from '../../../src/protocol/constants.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeQuic, rgbaToPlanes } from './helpers/quic-encoder.js';
import { type GlzHistory, encodeGlz, encodeLz, encodeLz4Image } from './helpers/lz-encoders.js';
import { makeImage, rng } from './helpers/images.js';

type Decode = (bytes: Uint8Array) => { width: number; height: number } | void;

/** Runs `decode` and accepts a clean result or a ProtocolError; returns which. */
function safe(decode: Decode, bytes: Uint8Array): 'ok' | 'error' {
  try {
    decode(bytes);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`non-protocol error: ${String(e)}`, { cause: e });
    return 'error';
  }
}

function cutEverywhere(decode: Decode, payload: Uint8Array, mustFailBefore: number): void {
  const step = Math.max(1, Math.floor(payload.length / 400));
  for (let cut = 0; cut < payload.length; cut += step) {
    const r = safe(decode, payload.subarray(0, cut));
    if (cut < mustFailBefore && r !== 'error') throw new Error(`cut at ${cut} of ${payload.length} decoded`);
  }
}

function flipRandomly(decode: Decode, payload: Uint8Array, seed: number, rounds = 300, keepHeader = 0): void {
  const r = rng(seed);
  for (let k = 0; k < rounds; k++) {
    const bad = payload.slice();
    const flips = 1 + Math.floor(r() * 4);
    for (let f = 0; f < flips; f++) {
      const at = keepHeader + Math.floor(r() * (bad.length - keepHeader));
      bad[at] = Math.floor(r() * 256);
    }
    safe(decode, bad);
  }
}

const W = 48;
const H = 32;
const rgba = makeImage(W, H, 'desktop', 42);
const photo = makeImage(W, H, 'photo', 43);
const bgra = (src: Uint8Array): Uint8Array => {
  const out = src.slice();
  for (let i = 0; i < out.length; i += 4) [out[i], out[i + 2]] = [src[i + 2]!, src[i]!];
  return out;
};

describe('corrupt and truncated payloads', () => {
  for (const type of [QuicImageType.Rgb32, QuicImageType.Rgba, QuicImageType.Rgb16, QuicImageType.Gray]) {
    const payload = encodeQuic(type, W, H, rgbaToPlanes(type, photo, W * H));
    it(`should fail cleanly on truncated QUIC type ${type}`, () => {
      // the last two words are the encoder's flush padding
      cutEverywhere(decodeQuic, payload, payload.length - 8);
    });
    it(`should fail cleanly on corrupted QUIC type ${type}`, () => {
      flipRandomly(decodeQuic, payload, type, 400, 20);
      flipRandomly(decodeQuic, payload, type + 100, 100);
    });
  }

  it('should fail cleanly on a QUIC stream of all ones (endless run codes)', () => {
    const payload = encodeQuic(QuicImageType.Rgb32, W, H, rgbaToPlanes(QuicImageType.Rgb32, rgba, W * H));
    const bad = payload.slice();
    bad.fill(0xff, 20);
    expect(safe(decodeQuic, bad)).toBe('error');
    bad.fill(0x00, 20);
    expect(safe(decodeQuic, bad)).toBe('error');
  });

  const palette: SpicePalette = { unique: 1n, entries: Uint32Array.from({ length: 16 }, (_, i) => i * 0x111111) };
  const lzCases: [string, Uint8Array][] = [
    ['RGB32', encodeLz(LzImageType.Rgb32, W, H, bgra(rgba), false, W * 4)],
    ['RGBA', encodeLz(LzImageType.Rgba, W, H, bgra(photo), true, W * 4)],
    ['RGB16', encodeLz(LzImageType.Rgb16, W, H, rgba.subarray(0, W * H * 2), true, W * 2)],
    ['PLT4_LE', encodeLz(LzImageType.Plt4Le, W, H, rgba.map((v) => v & 0x77).subarray(0, (W / 2) * H), false, W / 2)],
    ['XXXA', encodeLz(LzImageType.Xxxa, W, H, bgra(photo), false, W * 4)],
  ];
  for (const [name, payload] of lzCases) {
    const decode: Decode = (b) => decodeLz(b, palette);
    it(`should fail cleanly on truncated LZ ${name}`, () => cutEverywhere(decode, payload, payload.length));
    it(`should fail cleanly on corrupted LZ ${name}`, () => {
      flipRandomly(decode, payload, name.length, 400, 28);
      flipRandomly(decode, payload, name.length + 1, 100);
    });
  }

  it('should fail cleanly on truncated and corrupted GLZ, including references to absent images', () => {
    const history: GlzHistory = new Map();
    const s0 = bgra(rgba);
    const first = encodeGlz(LzImageType.Rgb32, W, H, s0, true, 0, 0, history);
    history.set(0, s0);
    const second = encodeGlz(LzImageType.Rgba, W, H, bgra(photo), false, 1, 1, history);
    const decodeSecond: Decode = (b) => {
      const dict = new GlzDictionary(1 << 20);
      decodeGlz(first, dict);
      return decodeGlz(b, dict);
    };
    cutEverywhere(decodeSecond, second, second.length);
    flipRandomly(decodeSecond, second, 5, 300, 33);
    flipRandomly(decodeSecond, second, 6, 100);
  });

  it('should fail cleanly on truncated and corrupted ZLIB_GLZ', () => {
    const glz = encodeGlz(LzImageType.Rgb32, W, H, bgra(rgba), true, 0, 0, new Map());
    const z = zlibSync(glz);
    const decode: Decode = (b) => decodeZlibGlz(b, glz.length, new GlzDictionary(1 << 20));
    cutEverywhere(decode, z, z.length - 4);
    flipRandomly(decode, z, 7, 300);
  });

  for (const format of [BitmapFmt.Fmt32bit, BitmapFmt.Fmt16bit]) {
    const bpp = format === BitmapFmt.Fmt16bit ? 2 : 4;
    const payload = encodeLz4Image(bgra(rgba).subarray(0, W * H * bpp), W * bpp, true, format, 5);
    const decode: Decode = (b) => decodeLz4(b, W, H);
    it(`should fail cleanly on truncated LZ4 format ${format}`, () => cutEverywhere(decode, payload, payload.length));
    it(`should fail cleanly on corrupted LZ4 format ${format}`, () => flipRandomly(decode, payload, format, 400));
  }

  // Real payloads from Xspice (if present): corrupt them too, they exercise code paths synthetic ones miss.
  const xspice = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/codecs/xspice');
  for (const [file, make] of [
    ['quic-002-quic.bin', (): Decode => decodeQuic],
    ['lz-003-lz_rgb.bin', (): Decode => (b) => decodeLz(b)],
    ['lz4-001-lz4.bin', (): Decode => (b) => decodeLz4(b, 136, 136)],
  ] as const) {
    const full = path.join(xspice, file);
    it.skipIf(!fs.existsSync(full))(`should fail cleanly on the captured ${file} corrupted and cut`, () => {
      const payload = new Uint8Array(fs.readFileSync(full));
      flipRandomly(make(), payload, file.length, 60);
      const step = Math.max(1, Math.floor(payload.length / 60));
      for (let cut = 0; cut < payload.length - 16; cut += step) safe(make(), payload.subarray(0, cut));
    });
  }

  it('should fail cleanly on short BITMAP data at every length', () => {
    const data = bgra(rgba);
    for (let n = 0; n < W * H * 4; n += 7) {
      expect(safe((b) => decodeBitmap(BitmapFmt.Rgba, W, H, W * 4, false, null, b), data.subarray(0, n))).toBe('error');
    }
  });

  it('should reject absurd sizes in every header before allocating', () => {
    const big = 0x7fffffff;
    const quic = encodeQuic(QuicImageType.Rgb32, 2, 2, rgbaToPlanes(QuicImageType.Rgb32, rgba, 4)).slice();
    new DataView(quic.buffer).setUint32(12, big, true);
    expect(() => decodeQuic(quic)).toThrow(/exceeds the limit/);

    const lz = encodeLz(LzImageType.Rgb32, 2, 2, new Uint8Array(16), true, 8).slice();
    new DataView(lz.buffer).setUint32(16, big);
    expect(() => decodeLz(lz)).toThrow(/exceeds the limit/);
    const plt = encodeLz(LzImageType.Plt8, 2, 2, new Uint8Array(4), true, 2).slice();
    new DataView(plt.buffer).setUint32(20, big);
    expect(() => decodeLz(plt, palette)).toThrow(ProtocolError);

    const glz = encodeGlz(LzImageType.Rgb32, 2, 2, new Uint8Array(16), true, 0, 0, new Map()).slice();
    new DataView(glz.buffer).setUint32(9, 100000);
    new DataView(glz.buffer).setUint32(13, 100000);
    expect(() => decodeGlz(glz, new GlzDictionary(1 << 20))).toThrow(/exceeds the limit/);

    expect(() => decodeLz4(Uint8Array.from([1, BitmapFmt.Fmt32bit]), 70000, 3)).toThrow(/exceeds the limit/);
    expect(() => decodeBitmap(BitmapFmt.Fmt32bit, 3, big, 12, true, null, new Uint8Array(12))).toThrow(/exceeds the limit/);
  });
});
