/**
 * Regression tests for what fuzzing found, one per finding, each from its minimised counterexample (or the
 * smallest input that shows it), so the fix stays fixed whatever the random run does.
 */
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GlzDictionary, decodeGlz } from '../../src/codecs/glz.js';
import { LzImageType, decodeLz } from '../../src/codecs/lz.js';
import { decodeLz4 } from '../../src/codecs/lz4.js';
import { decodeZlibGlz } from '../../src/codecs/zlib-glz.js';
import { BitmapFmt } from '../../src/protocol/constants.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { LzType, encodeGlz, encodeLz, encodeLz4Image } from '../unit/codecs/helpers/lz-encoders.js';

describe('fuzz findings', () => {
  it('should refuse a ZLIB_GLZ size that its zlib stream cannot inflate to, before allocating it', () => {
    // codecs/zlib-glz: a 129-byte input announcing glz_data_size 0x10000000 allocated 256 MiB, then failed.
    const data = zlibSync(new Uint8Array(64));
    const t0 = performance.now();
    expect(() => decodeZlibGlz(data, 0x10000000, new GlzDictionary(1 << 20))).toThrow(ProtocolError);
    expect(() => decodeZlibGlz(data, 0x10000000, new GlzDictionary(1 << 20))).toThrow(/cannot inflate to 268435456 bytes/);
    expect(performance.now() - t0).toBeLessThan(50);
    // The largest size deflate allows for the stream still gets through to the inflate (and its own check).
    expect(() => decodeZlibGlz(data, data.length * 1032, new GlzDictionary(1 << 20))).toThrow(/inflates to 64 bytes/);
  });
});

describe('fuzz findings: tiny payloads announcing huge images', () => {
  const be32 = (...values: number[]) => {
    const out = new Uint8Array(values.length * 4);
    values.forEach((x, i) => new DataView(out.buffer).setUint32(i * 4, x, false));
    return out;
  };

  it('should refuse LZ, GLZ and LZ4 payloads too short to fill their image, before allocating it', () => {
    // codecs/lz4: an 8-byte input (1e34d012d3091810, 13342x4819 RGBA) allocated 257 MB; codecs/lz: a 54-byte
    // input allocated 71 MB; codecs/glz: 63 bytes allocated 123 MB. Each was refused later, as truncated.
    const code = new Uint8Array(10).fill(0xff);
    const lz = new Uint8Array([...be32(0x20205a4c, 0x00010001, LzImageType.Rgb32, 16384, 4096, 65536, 1), ...code]);
    const glz = new Uint8Array([...be32(0x20205a4c, 0x00010001), 0x18, ...be32(16384, 4096, 65536, 0, 1, 0), ...code]);
    const t0 = performance.now();
    expect(() => decodeLz(lz)).toThrow(/lz: 10 bytes of code cannot fill an image of 67108864 units/);
    expect(() => decodeGlz(glz, new GlzDictionary(1 << 20))).toThrow(/glz: 10 bytes of code cannot fill/);
    expect(() => decodeLz4(Uint8Array.of(0x1e, 0x34, 0xd0, 0x12, 0xd3, 0x09, 0x18, 0x10), 13342, 4819)).toThrow(ProtocolError);
    expect(() => decodeLz4(Uint8Array.of(1, BitmapFmt.Rgba, 0, 0, 0, 0), 13342, 4819)).toThrow(/lz4: 4 bytes of code cannot fill/);
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('should still decode the most compressible images (one colour, every match as long as it gets)', () => {
    const W = 1024;
    const H = 512;
    const flat = new Uint8Array(W * H * 4).fill(0x40);
    const lz = encodeLz(LzType.Rgb32, W, H, flat, true, W * 4);
    expect((W * H) / lz.length).toBeGreaterThan(200); // close to the 255 pixels per byte LZ can reach
    expect(decodeLz(lz).width).toBe(W);
    const lz4 = encodeLz4Image(flat, W * 4, true, BitmapFmt.Fmt32bit, H);
    expect((W * H * 4) / lz4.length).toBeGreaterThan(200);
    expect(decodeLz4(lz4, W, H).height).toBe(H);
    const glz = encodeGlz(LzType.Rgb32, W, H, flat, true, 0, 0, new Map());
    expect(decodeGlz(glz, new GlzDictionary(1 << 22)).width).toBe(W);
  });
});
