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
import { clipRegions, disjointBands } from '../../src/display/rect.js';
import { Ropd } from '../../src/display/rop.js';
import { Surface, SurfaceFormat } from '../../src/display/surface.js';
import { MAX_OVERLAPPING_CLIP_RECTS } from '../../src/protocol/limits.js';
import { BitmapFmt } from '../../src/protocol/constants.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { LzType, encodeGlz, encodeLz, encodeLz4Image } from '../unit/codecs/helpers/lz-encoders.js';
import { allocations, resetAllocations, trackAllocations } from './harness.js';

// Every buffer the code under test allocates is measured (this file runs in its own worker).
trackAllocations();

describe('fuzz findings', () => {
  it('should refuse a ZLIB_GLZ size that its zlib stream cannot inflate to, before allocating it', () => {
    // codecs/zlib-glz: a 129-byte input announcing glz_data_size 0x10000000 allocated 256 MiB, then failed.
    const data = zlibSync(new Uint8Array(64));
    resetAllocations();
    expect(() => decodeZlibGlz(data, 0x10000000, new GlzDictionary(1 << 20))).toThrow(ProtocolError);
    expect(() => decodeZlibGlz(data, 0x10000000, new GlzDictionary(1 << 20))).toThrow(/cannot inflate to 268435456 bytes/);
    expect(allocations.largest).toBeLessThan(1 << 20);
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
    resetAllocations();
    expect(() => decodeLz(lz)).toThrow(/lz: 10 bytes of code cannot fill an image of 67108864 units/);
    expect(() => decodeGlz(glz, new GlzDictionary(1 << 20))).toThrow(/glz: 10 bytes of code cannot fill/);
    expect(() => decodeLz4(Uint8Array.of(0x1e, 0x34, 0xd0, 0x12, 0xd3, 0x09, 0x18, 0x10), 13342, 4819)).toThrow(ProtocolError);
    expect(() => decodeLz4(Uint8Array.of(1, BitmapFmt.Rgba, 0, 0, 0, 0), 13342, 4819)).toThrow(/lz4: 4 bytes of code cannot fill/);
    expect(allocations.largest).toBeLessThan(1 << 20); // the GLZ dictionary's own tables at most
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

describe('fuzz findings: draws whose cost the message size does not bound', () => {
  const paint = { kind: 'solid' as const, color: 0xff0000ff };

  it('should draw a clip of overlapping rects once per pixel, and refuse more overlapping rects than it merges', () => {
    // 100 overlapping full-screen clip rects (a 1.6 KB FILL) took 3.5 s on 800x600; 1000 took 45 s; 65536 hours.
    const surface = new Surface(0, 800, 600, SurfaceFormat.Xrgb32);
    const clip = (n: number) => Array.from({ length: n }, (_, i) => ({ left: i % 700, top: i % 500, right: 800, bottom: 600 }));
    const t0 = performance.now();
    surface.fill({ left: 0, top: 0, right: 800, bottom: 600 }, clip(1000), paint, Ropd.OpXor, null);
    expect(performance.now() - t0).toBeLessThan(1000);
    // XOR drawn once per pixel: pixel (0,0) is in one rect, (799,599) in all 1000; both changed exactly once.
    expect(surface.words[0]).toBe(surface.words[599 * 800 + 799]);
    expect(() => surface.fill({ left: 0, top: 0, right: 800, bottom: 600 }, clip(MAX_OVERLAPPING_CLIP_RECTS + 1), paint, Ropd.OpXor, null)).toThrow(
      /exceeds the limit of 1024 \(MAX_OVERLAPPING_CLIP_RECTS\)/,
    );
    // Disjoint rects are drawn as given (no merge, no limit).
    expect(
      clipRegions(
        { left: 0, top: 0, right: 10, bottom: 10 },
        [
          { left: 0, top: 0, right: 5, bottom: 10 },
          { left: 5, top: 0, right: 10, bottom: 10 },
        ],
        surface.bounds,
      ),
    ).toHaveLength(2);
  });

  it('should merge overlapping rects into the same pixels, disjoint', () => {
    const rects = [
      { left: 0, top: 0, right: 10, bottom: 10 },
      { left: 5, top: 5, right: 15, bottom: 15 },
      { left: 20, top: 0, right: 25, bottom: 3 },
    ];
    const merged = disjointBands(rects);
    const covered = (rs: typeof rects) => {
      const set = new Set<number>();
      let area = 0;
      for (const r of rs)
        for (let y = r.top; y < r.bottom; y++)
          for (let x = r.left; x < r.right; x++) {
            set.add(y * 100 + x);
            area++;
          }
      return { pixels: set.size, area };
    };
    expect(covered(merged)).toEqual({ pixels: covered(rects).pixels, area: covered(rects).pixels });
  });

  it('should step only through the visible part of far-away segments, and refuse a stroke beyond MAX_STROKE_STEPS', () => {
    // 1000 segments between far corners (8 KB of path) stepped 65536 pixels each: 2.6 s.
    const surface = new Surface(0, 800, 600, SurfaceFormat.Xrgb32);
    const far = (1 << 20) * 16;
    const box = { left: 0, top: 0, right: 800, bottom: 600 };
    const corners = Array.from({ length: 1001 }, (_, i) => (i % 2 ? { x: far, y: far } : { x: -far, y: -far }));
    const t0 = performance.now();
    surface.stroke([{ flags: 0, points: corners }], null, null, box, paint, Ropd.OpPut);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(surface.words[300 * 800 + 300]).not.toBe(surface.words[300 * 800 + 301]); // the diagonal is drawn, its neighbour not
    // Visible steps count: 20000 screen-wide diagonals are 12 M pixels, beyond MAX_STROKE_STEPS (8 Mi).
    const across = Array.from({ length: 20001 }, (_, i) => (i % 2 ? { x: 599 * 16, y: 599 * 16 } : { x: 0, y: 0 }));
    expect(() => surface.stroke([{ flags: 0, points: across }], null, null, box, paint, Ropd.OpPut)).toThrow(/MAX_STROKE_STEPS/);
  });

  it('should resolve a clip of many rects once per stroke, not once per segment', () => {
    // 1000 segments under a clip of 65536 rects (1 MiB): 244 s when each step scanned every rect.
    const surface = new Surface(0, 800, 600, SurfaceFormat.Xrgb32);
    const clip = [];
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) clip.push({ left: x * 3, top: y * 2, right: x * 3 + 2, bottom: y * 2 + 1 });
    const box = { left: 0, top: 0, right: 800, bottom: 600 };
    const t0 = performance.now();
    const points = Array.from({ length: 1001 }, (_, i) => (i % 2 ? { x: 599 * 16, y: 599 * 16 } : { x: 0, y: 0 }));
    surface.stroke([{ flags: 0, points }], null, clip, box, paint, Ropd.OpPut);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(surface.words[0]).not.toBe(surface.words[1 * 800 + 1]); // (0,0) is in a clip rect, (1,1) is not
  });
});
