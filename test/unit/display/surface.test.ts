import { describe, expect, it } from 'vitest';
import { rgbaWord } from '../../../src/codecs/types.js';
import { Ropd, rop3Combine } from '../../../src/display/rop.js';
import { Surface, SurfaceFormat, type PixelSource } from '../../../src/display/surface.js';
import { ProtocolError } from '../../../src/protocol/errors.js';

const R = rgbaWord(255, 0, 0, 255);
const G = rgbaWord(0, 255, 0, 255);
const B = rgbaWord(0, 0, 255, 255);
const K = rgbaWord(0, 0, 0, 255);
const W = rgbaWord(255, 255, 255, 255);
const rect = (left: number, top: number, right: number, bottom: number) => ({ left, top, right, bottom });

function surface(w = 4, h = 4): Surface {
  return new Surface(0, w, h, SurfaceFormat.Xrgb32);
}
function source(w: number, h: number, fill: (x: number, y: number) => number, hasAlpha = false): PixelSource {
  const words = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) words[y * w + x] = fill(x, y);
  return { width: w, height: h, words, hasAlpha };
}
/** The surface as rows of single letters per known colour. */
function picture(s: Surface): string[] {
  const names = new Map([
    [R, 'R'],
    [G, 'G'],
    [B, 'B'],
    [K, 'K'],
    [W, 'W'],
  ]);
  const rows: string[] = [];
  for (let y = 0; y < s.height; y++) {
    let row = '';
    for (let x = 0; x < s.width; x++) row += names.get(s.words[y * s.width + x]!) ?? '?';
    rows.push(row);
  }
  return rows;
}

describe('Surface', () => {
  it('should start opaque black and convert SPICE colours per format', () => {
    const s = surface(2, 1);
    expect(picture(s)).toEqual(['KK']);
    expect(s.color(0x00ff0000)).toBe(R);
    expect(new Surface(1, 1, 1, SurfaceFormat.Rgb555).color(0x7c00)).toBe(R);
    expect(new Surface(1, 1, 1, SurfaceFormat.Rgb565).color(0x07e0)).toBe(G);
  });

  it('should fill only inside box, clip rects and the surface', () => {
    const s = surface();
    s.fillSolid(rect(-2, 1, 3, 9), [rect(0, 0, 2, 4), rect(2, 3, 4, 4)], R);
    expect(picture(s)).toEqual(['KKKK', 'RRKK', 'RRKK', 'RRRK']);
    expect(s.takeDirty()).toEqual(rect(0, 1, 3, 4));
    expect(s.takeDirty()).toBeNull();
  });

  it('should apply ROP descriptors to fills (XOR, inverted destination)', () => {
    const s = surface(2, 1);
    s.fillSolid(rect(0, 0, 1, 1), null, W);
    s.fill(rect(0, 0, 2, 1), null, { kind: 'solid', color: W }, Ropd.OpXor, null);
    expect(picture(s)).toEqual(['KW']);
    s.fill(rect(0, 0, 2, 1), null, { kind: 'solid', color: 0 }, Ropd.OpInvers, null);
    expect(picture(s)).toEqual(['WK']);
    s.fill(rect(0, 0, 2, 1), null, { kind: 'solid', color: 0 }, Ropd.OpWhiteness, null);
    expect(picture(s)).toEqual(['WW']);
  });

  it('should copy a source area, keeping the destination opaque', () => {
    const s = surface();
    const src = source(3, 3, (x, y) => (x === y ? rgbaWord(255, 0, 0, 0) : B), true);
    s.copy(src, rect(1, 1, 3, 3), rect(0, 0, 2, 2), null, Ropd.OpPut, 1, null);
    expect(picture(s)).toEqual(['RB', 'BR', 'KK', 'KK'].map((r, i) => (i < 2 ? r + 'KK' : 'KKKK')));
  });

  it('should honour a 1-bit mask and its inversion', () => {
    const s = surface(3, 1);
    const src = source(3, 1, () => G);
    const mask = source(3, 1, (x) => (x === 1 ? W : 0));
    s.copy(src, rect(0, 0, 3, 1), rect(0, 0, 3, 1), null, Ropd.OpPut, 1, { source: mask, pos: { x: 0, y: 0 }, invert: false });
    expect(picture(s)).toEqual(['KGK']);
    s.copy(
      source(3, 1, () => R),
      rect(0, 0, 3, 1),
      rect(0, 0, 3, 1),
      null,
      Ropd.OpPut,
      1,
      { source: mask, pos: { x: 0, y: 0 }, invert: true },
    );
    expect(picture(s)).toEqual(['RGR']);
  });

  it('should scale with nearest neighbour when the areas differ', () => {
    const s = surface(4, 2);
    s.copy(
      source(2, 1, (x) => (x ? G : R)),
      rect(0, 0, 2, 1),
      rect(0, 0, 4, 2),
      null,
      Ropd.OpPut,
      1,
      null,
    );
    expect(picture(s)).toEqual(['RRGG', 'RRGG']);
  });

  it('should copy bits with overlap in every direction', () => {
    for (const [sx, sy, dx, dy] of [
      [0, 1, 0, 0],
      [0, 0, 0, 1],
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ] as const) {
      const s = surface(4, 4);
      const colours = [R, G, B, W];
      for (let y = 0; y < 4; y++) s.fillSolid(rect(0, y, 4, y + 1), null, colours[y]!);
      for (let x = 0; x < 4; x++) if (x % 2) s.fill(rect(x, 0, x + 1, 4), null, { kind: 'solid', color: 0x00ffffff }, Ropd.OpXor, null);
      const before = s.snapshot();
      s.copyBits({ x: sx, y: sy }, rect(dx, dy, dx + 3, dy + 3), null);
      for (let y = 0; y < 3; y++) {
        for (let x = 0; x < 3; x++) {
          expect(s.words[(dy + y) * 4 + dx + x], `copy ${sx},${sy} -> ${dx},${dy} at ${x},${y}`).toBe(before.words[(sy + y) * 4 + sx + x]);
        }
      }
    }
  });

  it('should skip the transparent colour key', () => {
    const s = surface(3, 1);
    s.transparent(
      source(3, 1, (x) => [R, G, R][x]!),
      rect(0, 0, 3, 1),
      rect(0, 0, 3, 1),
      null,
      0x00ff0000,
    );
    expect(picture(s)).toEqual(['KGK']);
  });

  it('should blend with a global alpha', () => {
    const s = surface(1, 1);
    s.fillSolid(rect(0, 0, 1, 1), null, W);
    s.alphaBlend(
      source(1, 1, () => K),
      rect(0, 0, 1, 1),
      rect(0, 0, 1, 1),
      null,
      128,
      false,
    );
    expect(s.pixels[0]).toBe(127);
  });

  it('should combine brush, source and destination by ROP3', () => {
    expect(rop3Combine(0xcc, 0, 0x1234, 0)).toBe(0x1234); // SRCCOPY
    expect(rop3Combine(0xf0, 0xff, 0, 0)).toBe(0xff); // PATCOPY
    expect(rop3Combine(0x5a, 0xf0, 0, 0xff) & 0xff).toBe(0x0f); // PATINVERT
    const s = surface(1, 1);
    s.rop3(
      source(1, 1, () => G),
      rect(0, 0, 1, 1),
      rect(0, 0, 1, 1),
      null,
      { kind: 'solid', color: R },
      0xee /* S | D */,
      null,
    );
    expect(picture(s)).toEqual(['G']);
  });

  it('should draw 1-bit and 8-bit glyphs', () => {
    const s = surface(3, 1);
    s.glyph(0, 0, 3, 1, 1, Uint8Array.of(0b10100000), rect(0, 0, 3, 1), null, { kind: 'solid', color: W }, Ropd.OpPut);
    expect(picture(s)).toEqual(['WKW']);
    s.glyph(0, 0, 1, 1, 8, Uint8Array.of(255), rect(0, 0, 3, 1), null, { kind: 'solid', color: R }, Ropd.OpPut);
    expect(picture(s)).toEqual(['RKW']);
  });

  it('should refuse source areas outside the source instead of reading garbage', () => {
    const s = surface();
    expect(() =>
      s.copy(
        source(2, 2, () => R),
        rect(0, 0, 4, 4),
        rect(0, 0, 4, 4),
        null,
        Ropd.OpPut,
        1,
        null,
      ),
    ).toThrowError(ProtocolError);
    expect(() => s.copyBits({ x: 3, y: 3 }, rect(0, 0, 2, 2), null)).toThrowError(ProtocolError);
  });

  it('should refuse unknown surface formats', () => {
    expect(() => new Surface(0, 1, 1, 12345)).toThrowError(ProtocolError);
  });
});
