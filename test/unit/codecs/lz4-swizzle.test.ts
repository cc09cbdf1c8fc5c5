/**
 * LZ4 images against a straightforward reference decode (inflate the whole stream byte by byte, then convert
 * the rows), on payloads built sequence by sequence so that every case the converting decoder treats apart
 * comes up: match offsets that are not a multiple of 4 (the bytes move between channels), overlapping matches
 * (runs of a 1..9-byte pattern), matches reaching into earlier blocks, literals and matches starting at any
 * byte of a pixel, 32BIT pad bytes copied into colour bytes (and colour bytes into pad bytes), 16/24/32-bit and
 * RGBA, top-down and bottom-up, a reused output buffer full of stale bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SWIZZLE_AFTER, decodeLz4 } from '../../../src/codecs/lz4.js';
import { BitmapFmt } from '../../../src/protocol/constants.js';
import { firstDiff, rng } from './helpers/images.js';

const FORMATS = [BitmapFmt.Fmt16bit, BitmapFmt.Fmt24bit, BitmapFmt.Fmt32bit, BitmapFmt.Rgba] as const;
type Format = (typeof FORMATS)[number];

function bytesPerPixel(format: Format): number {
  return format === BitmapFmt.Fmt16bit ? 2 : format === BitmapFmt.Fmt24bit ? 3 : 4;
}

/** One LZ4 sequence: literal bytes, then (unless last in its block) a match. */
interface Sequence {
  literals: number[];
  match?: { offset: number; length: number };
}

/** The LZ4 block of `seqs`, as the block format spells it. */
function encodeBlock(seqs: Sequence[]): number[] {
  const out: number[] = [];
  const ext = (n: number): void => {
    for (; n >= 255; n -= 255) out.push(255);
    out.push(n);
  };
  for (const s of seqs) {
    const lit = s.literals.length;
    const ml = s.match ? s.match.length - 4 : 0;
    out.push((Math.min(lit, 15) << 4) | Math.min(ml, 15));
    if (lit >= 15) ext(lit - 15);
    out.push(...s.literals);
    if (s.match) {
      out.push(s.match.offset & 255, s.match.offset >> 8);
      if (ml >= 15) ext(ml - 15);
    }
  }
  return out;
}

/** A SPICE LZ4 payload: top_down, format, then each block with its big-endian size. */
function payload(topDown: boolean, format: Format, blocks: Sequence[][]): Uint8Array {
  const out: number[] = [topDown ? 1 : 0, format];
  for (const seqs of blocks) {
    const b = encodeBlock(seqs);
    out.push((b.length >>> 24) & 255, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255, ...b);
  }
  return Uint8Array.from(out);
}

/** Reference inflate: every block's sequences, one byte at a time, into one stream. */
function referenceInflate(data: Uint8Array): number[] {
  const out: number[] = [];
  let ip = 2;
  while (ip < data.length) {
    const size = ((data[ip]! << 24) | (data[ip + 1]! << 16) | (data[ip + 2]! << 8) | data[ip + 3]!) >>> 0;
    ip += 4;
    const end = ip + size;
    for (;;) {
      const token = data[ip++]!;
      let lit = token >> 4;
      if (lit === 15) for (let b = 255; b === 255; lit += b) b = data[ip++]!;
      for (let k = 0; k < lit; k++) out.push(data[ip++]!);
      if (ip >= end) break;
      const offset = data[ip]! | (data[ip + 1]! << 8);
      ip += 2;
      let len = (token & 15) + 4;
      if ((token & 15) === 15) for (let b = 255; b === 255; len += b) b = data[ip++]!;
      for (let k = 0; k < len; k++) out.push(out[out.length - offset]!);
    }
  }
  return out;
}

/** Reference conversion of the inflated rows to top-down RGBA, pixel by pixel. */
function referenceConvert(raw: number[], width: number, height: number, format: Format, topDown: boolean): Uint8Array {
  const bpp = bytesPerPixel(format);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = topDown ? y : height - 1 - y;
    for (let x = 0; x < width; x++) {
      const s = (sy * width + x) * bpp;
      const d = (y * width + x) * 4;
      if (bpp === 2) {
        const v = raw[s]! | (raw[s + 1]! << 8);
        const c5 = [(v >> 10) & 31, (v >> 5) & 31, v & 31];
        for (let c = 0; c < 3; c++) out[d + c] = (c5[c]! << 3) | (c5[c]! >> 2);
        out[d + 3] = 255;
      } else {
        out[d] = raw[s + 2]!;
        out[d + 1] = raw[s + 1]!;
        out[d + 2] = raw[s]!;
        out[d + 3] = format === BitmapFmt.Rgba ? raw[s + 3]! : 255;
      }
    }
  }
  return out;
}

/** Decodes `data` into a fresh buffer and into a stale one, and checks both against the reference. */
function checkAgainstReference(data: Uint8Array, width: number, height: number): void {
  const format = data[1] as Format;
  const raw = referenceInflate(data);
  expect(raw.length).toBe(width * height * bytesPerPixel(format));
  const want = referenceConvert(raw, width, height, format, data[0] !== 0);
  const fresh = decodeLz4(data, width, height);
  expect(fresh.hasAlpha).toBe(format === BitmapFmt.Rgba);
  expect(firstDiff(fresh.pixels, want)).toBe('equal');
  const stale = new Uint8ClampedArray(want.length + 8).fill(0xa5);
  expect(firstDiff(decodeLz4(data, width, height, undefined, stale).pixels, want)).toBe('equal');
}

type Content = 'random' | 'two values' | 'constant pad';

/**
 * Random sequences filling `size` bytes in up to four blocks split at any byte: literals of 0..40 bytes (now
 * and then hundreds), matches at offsets 1..9, a multiple of 4, a row (+-1) or anywhere behind, 4..300 bytes
 * long. `content` picks the literal bytes: any, only 0 and 255 (pad and colour bytes alike), or any with the
 * 4th byte of every pixel one value (a 32BIT stream's usual pad).
 */
function randomBlocks(seed: number, size: number, rowBytes: number, content: Content): Sequence[][] {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const cuts = [0, size];
  for (let k = int(4); k > 0; k--) cuts.push(int(size));
  cuts.sort((a, b) => a - b);
  const pad = int(256);
  const literalByte = (pos: number): number => {
    if (content === 'two values') return r() < 0.5 ? 0 : 255;
    if (content === 'constant pad' && (pos & 3) === 3) return pad;
    return int(256);
  };
  const blocks: Sequence[][] = [];
  let op = 0;
  for (let b = 1; b < cuts.length; b++) {
    const end = cuts[b]!;
    if (end === op) continue;
    const seqs: Sequence[] = [];
    while (op < end) {
      let lit = r() < 0.1 ? 100 + int(300) : r() < 0.3 ? 0 : 1 + int(40);
      if (op === 0) lit = Math.max(lit, 1);
      if (end - op - lit < 4) lit = end - op; // no room for a match: literals to the block's end
      const literals: number[] = [];
      for (let k = 0; k < lit; k++) literals.push(literalByte(op + k));
      op += lit;
      if (op === end) {
        seqs.push({ literals });
        break;
      }
      const pick = int(6);
      let offset = pick === 0 ? 1 + int(9) : pick === 1 ? 4 * (1 + int(8)) : pick === 2 ? rowBytes + int(3) - 1 : pick === 3 ? 1 + int(Math.min(op, 65535)) : 1 + int(5);
      offset = Math.max(1, Math.min(offset, op, 65535));
      const length = Math.min(end - op, 4 + (r() < 0.2 ? int(300) : int(30)));
      seqs.push({ literals, match: { offset, length } });
      op += length;
      if (op === end) seqs.push({ literals: [] });
    }
    blocks.push(seqs);
  }
  return blocks;
}

describe('lz4 against a reference decode', () => {
  it('should match it on a few hundred random payloads of every format and orientation', () => {
    const ways = [0, 0];
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          width: fc.integer({ min: 1, max: 48 }),
          height: fc.integer({ min: 1, max: 10 }),
          format: fc.constantFrom(...FORMATS),
          topDown: fc.boolean(),
          content: fc.constantFrom<Content>('random', 'two values', 'constant pad'),
        }),
        ({ seed, width, height, format, topDown, content }) => {
          const rowBytes = width * bytesPerPixel(format);
          const blocks = randomBlocks(seed, rowBytes * height, rowBytes, content);
          const data = payload(topDown, format, blocks);
          checkAgainstReference(data, width, height);
          // 32-bit payloads convert either as they inflate or in one pass after (mostly literals): count both
          if (format === BitmapFmt.Fmt32bit || format === BitmapFmt.Rgba) ways[data.length - 2 >= rowBytes * height * SWIZZLE_AFTER ? 1 : 0]++;
        },
      ),
      { numRuns: 400, seed: 0x5eed },
    );
    expect(Math.min(...ways)).toBeGreaterThan(40);
  });

  it('should copy every overlapping run of 1..9 bytes and every offset from any byte of a pixel', () => {
    const r = rng(7);
    for (const format of [BitmapFmt.Fmt32bit, BitmapFmt.Rgba, BitmapFmt.Fmt24bit] as const) {
      for (let offset = 1; offset <= 9; offset++) {
        for (let start = 0; start < 4; start++) {
          for (const length of [4, 5, 6, 7, 8, 11, 13, 31, 32, 33, 64, 100]) {
            // literals up to the match start (at least `offset` bytes), the match, then a long run (so that the
            // payload is small for the image and converts as it inflates), 3 literals at the image's end
            const head = 12 + start;
            const width = Math.ceil((head + length + 4 + 400 + 3) / bytesPerPixel(format));
            const size = width * bytesPerPixel(format);
            const lit = (n: number): number[] => Array.from({ length: n }, () => Math.floor(r() * 256));
            const seqs: Sequence[] = [
              { literals: lit(head), match: { offset, length } },
              { literals: lit(4), match: { offset: 4, length: size - head - length - 4 - 3 } },
              { literals: lit(3) },
            ];
            const data = payload(true, format, [seqs]);
            if (format !== BitmapFmt.Fmt24bit) expect(data.length - 2).toBeLessThan(size * SWIZZLE_AFTER);
            checkAgainstReference(data, width, 1);
          }
        }
      }
    }
  });

  /** `seqs`, then a run of 400 bytes and 4 literals: small for its size, so it converts as it inflates. */
  function withRun(seqs: Sequence[], last: number[]): Sequence[] {
    return [...seqs.slice(0, -1), { literals: seqs[seqs.length - 1]!.literals, match: { offset: 4, length: 400 } }, { literals: last }];
  }

  it('should carry a 32BIT pad byte into colour bytes exactly, and still make every alpha 255', () => {
    // pixel 0: B,G,R,x = 10,20,30,77; then 4 bytes at offset 1 (77 repeated: pixel 1 is B=G=R=x=77);
    // then 4 bytes at offset 7 (20,30,77,77: pixel 0's pad lands in R); then 4 literal bytes, then a run of them
    const seqs = withRun(
      [{ literals: [10, 20, 30, 77], match: { offset: 1, length: 4 } }, { literals: [], match: { offset: 7, length: 4 } }, { literals: [1, 2, 3, 77] }],
      [5, 6, 7, 77],
    );
    const data = payload(true, BitmapFmt.Fmt32bit, [seqs]);
    const width = 4 + 100 + 1;
    expect(data.length - 2).toBeLessThan(width * 4 * SWIZZLE_AFTER);
    expect(referenceInflate(data).slice(0, 16)).toEqual([10, 20, 30, 77, 77, 77, 77, 77, 20, 30, 77, 77, 1, 2, 3, 77]);
    const px = decodeLz4(data, width, 1).pixels;
    expect([...px.subarray(0, 16)]).toEqual([30, 20, 10, 255, 77, 77, 77, 255, 77, 30, 20, 255, 3, 2, 1, 255]);
    expect([...px.subarray(px.length - 4)]).toEqual([7, 6, 5, 255]);
    checkAgainstReference(data, width, 1);
  });

  it('should keep alpha 255 and exact colours when the pad bytes of a 32BIT stream differ', () => {
    // pads 0, 9, then a misaligned copy that reads both pads into colour bytes
    const seqs = withRun([{ literals: [1, 2, 3, 0, 4, 5, 6, 9], match: { offset: 5, length: 8 } }, { literals: [] }], [7, 8, 9, 10]);
    const data = payload(false, BitmapFmt.Fmt32bit, [seqs]);
    expect(data.length - 2).toBeLessThan(105 * 4 * SWIZZLE_AFTER);
    checkAgainstReference(data, 105, 1);
    checkAgainstReference(data, 21, 5);
    const img = decodeLz4(data, 21, 5);
    for (let i = 3; i < img.pixels.length; i += 4) expect(img.pixels[i]).toBe(255);
  });

  it('should fill long runs of one byte value in a 32BIT stream whose pad is that value (offset 1)', () => {
    // all-zero pixels with pad 0: the run a compressor makes of black; then a colour, to see the run ended
    const width = 300;
    const seqs: Sequence[] = [{ literals: [0, 0, 0, 0, 0], match: { offset: 1, length: width * 4 - 9 } }, { literals: [200, 100, 50, 0] }];
    const data = payload(true, BitmapFmt.Fmt32bit, [seqs]);
    checkAgainstReference(data, width, 1);
    const px = decodeLz4(data, width, 1).pixels;
    expect([...px.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    expect([...px.subarray(px.length - 4)]).toEqual([50, 100, 200, 255]);
  });

  it("should decode QEMU's 32BIT images: pad 0, and black as one byte repeated at offset 1", () => {
    // captured from QEMU 7.2 (spice-server 0.15.1, Linux guest, qxl fbdev) with LZ4 preferred: a 9x2 blinking
    // cursor cell, grey (a8,a8,a8,pad 0) then black (0,0,0,0: one literal byte, then a run at offset 1)
    const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
    const grey = hex('01080000000e4fa8a8a80004002c5000a8a8a800');
    const black = hex('01080000000b1f0001002f500000000000');
    for (const [data, rgb] of [
      [grey, 0xa8],
      [black, 0],
    ] as const) {
      checkAgainstReference(data, 9, 2);
      expect(decodeLz4(data, 9, 2).pixels.every((v, i) => v === ((i & 3) === 3 ? 255 : rgb))).toBe(true);
    }
  });
});
