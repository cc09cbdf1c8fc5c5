/**
 * SPICE LZ4 images (SPICE_IMAGE_TYPE_LZ4, only sent to clients with the LZ4_COMPRESSION display cap). Owns
 * the payload framing and two bounds-checked LZ4 block decoders written from the LZ4 block format: a plain one
 * (16/24-bit rows, and the usbredir channel's compressed data) and one for 32-bit pixels that converts while it
 * inflates.
 *
 * Payload (spice-server lz4-encoder.c, spice-common canvas_get_lz4): top_down u8 (1 = top-down), bitmap
 * format u8 (16BIT, 24BIT, 32BIT or RGBA), then blocks of { compressed size u32 big-endian, raw LZ4 block }.
 * The blocks come from one LZ4 stream, so a match may reach back into the output of earlier blocks; they
 * inflate, back to back, to the image's rows of width * bytes-per-pixel, which are then converted like a
 * BITMAP of that format.
 *
 * LZ4 block: sequences of token (literal length << 4 | match length - 4), literal length extension bytes
 * (while 255), literals, 16-bit little-endian match offset, match length extension bytes. The last sequence
 * of a block has literals only.
 *
 * 32-bit images (B,G,R,x or B,G,R,A per pixel) inflate straight into the RGBA output, swizzled as they land:
 * stream byte p lives at output byte `sw(p)` (bytes 0 and 2 of each pixel swapped), so no pass over the image
 * follows. A match whose offset is a multiple of 4 copies output bytes unchanged (sw commutes with it), whole
 * pixels as word copies and fills; any other match copies stream bytes one by one through sw (once it has
 * written one period of an overlapping match, the rest are whole-pixel copies too). Literals are copied as they
 * are and swizzled in place. For 32BIT the pad byte x must end up as alpha 255, yet a misaligned match may copy
 * a pad byte into a colour byte, so the output must not lose it: byte 3 of each pixel is stored as x ^ flip,
 * where flip = (the stream's first pad byte) ^ 255, which is 255 when x is that first pad byte (QEMU's Linux
 * guest sends 0 in every pixel) and still gives x back otherwise. The decoder ANDs every alpha byte it writes
 * from the stream (copies only repeat them): only a stream whose pad bytes differ needs a pass that sets alpha.
 * A payload that is mostly literals (`SWIZZLE_AFTER`) inflates as it is and is converted in one pass instead.
 * 16/24-bit rows go through one module-level scratch and `convertRows`. `out` lets the caller supply the output
 * buffer.
 */
import { BitmapFmt } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import { convertRows } from './bitmap.js';
import {
  type DecodedImage,
  type DecodeLimits,
  ALPHA_MASK,
  DEFAULT_LIMITS,
  LITTLE_ENDIAN,
  allocImage,
  checkDimensions,
  checkPayloadCanFill,
  flipRows,
  pixelWords,
} from './types.js';

function lz4BytesPerPixel(format: number): number {
  switch (format) {
    case BitmapFmt.Fmt16bit:
      return 2;
    case BitmapFmt.Fmt24bit:
      return 3;
    case BitmapFmt.Fmt32bit:
    case BitmapFmt.Rgba:
      return 4;
    default:
      return 0;
  }
}

/**
 * A 32-bit payload of at least this many bytes per byte it inflates to is mostly literals (a photo: LZ4 finds
 * few matches): it inflates as it is and is converted in one pass after, which costs less there than converting
 * each of its thousands of literal runs apart. Exported for the tests, which cover both ways.
 */
export const SWIZZLE_AFTER = 0.5;

/** Scratch for the rows of 16- and 24-bit images (32-bit images inflate straight into the output). */
let scratch = new Uint8Array(0);

/**
 * Decodes an LZ4 image payload. The payload carries no size: `width` and `height` come from the image
 * descriptor.
 * @param out optional buffer to decode into (see `allocImage`): a pooled buffer saves the allocation.
 * @throws ProtocolError on an unsupported format, an absurd size, a corrupt or truncated block, or output
 *   that does not fill the image exactly.
 */
export function decodeLz4(data: Uint8Array, width: number, height: number, limits: DecodeLimits = DEFAULT_LIMITS, out?: Uint8ClampedArray): DecodedImage {
  if (data.length < 2) throw new ProtocolError('lz4: payload truncated in header');
  const topDown = data[0] !== 0;
  const format = data[1]!;
  const bpp = lz4BytesPerPixel(format);
  if (bpp === 0) throw new ProtocolError(`lz4: unsupported bitmap format ${format}`);
  checkDimensions('lz4', width, height, limits);
  checkPayloadCanFill('lz4', width * bpp * height, data.length - 2);
  const image = allocImage(width, height, format === BitmapFmt.Rgba, out);
  const stride = width * bpp;
  const size = stride * height;
  if (bpp === 4) {
    // The 32-bit decoder writes little-endian words (every browser and Node platform is little-endian).
    if (!LITTLE_ENDIAN) throw new Error('lz4: big-endian hosts are not supported');
    const out8 = new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, size);
    const words = pixelWords(image);
    const opaque = format === BitmapFmt.Fmt32bit;
    if (data.length - 2 >= size * SWIZZLE_AFTER) {
      // mostly literals: inflate the stream as it is, then convert it in one pass (cheaper than converting
      // each literal run apart when there are thousands of them)
      let op = 0;
      for (let ip = 2; ip < data.length;) {
        const blockEnd = nextBlock(data, ip);
        op = lz4DecodeBlock(data, ip + 4, blockEnd, out8, op, words);
        ip = blockEnd;
      }
      checkFilled(op, size);
      swizzleImage(words, opaque ? ALPHA_MASK : 0);
    } else if (!inflate32(data, out8, words, opaque) && opaque) {
      // 32BIT pad bytes that differ from the first one: their alpha bytes are not 255 yet
      for (let i = 0; i < words.length; i++) words[i] = words[i]! | ALPHA_MASK;
    }
    if (!topDown && size > 0) flipRows(words, width, height);
    return image;
  }
  if (scratch.length < size) scratch = new Uint8Array(size);
  const raw = scratch.subarray(0, size);
  let op = 0;
  for (let ip = 2; ip < data.length;) {
    const blockEnd = nextBlock(data, ip);
    op = lz4DecodeBlock(data, ip + 4, blockEnd, raw, op);
    ip = blockEnd;
  }
  checkFilled(op, size);
  if (size > 0) convertRows(format, width, height, stride, topDown, null, raw, pixelWords(image));
  return image;
}

/** The end of the block whose size field is at `ip` (its code starts at ip + 4), after checking it. */
function nextBlock(data: Uint8Array, ip: number): number {
  if (ip + 4 > data.length) throw new ProtocolError('lz4: payload truncated in block size');
  const blockSize = ((data[ip]! << 24) | (data[ip + 1]! << 16) | (data[ip + 2]! << 8) | data[ip + 3]!) >>> 0;
  if (blockSize === 0 || blockSize > data.length - ip - 4) throw new ProtocolError(`lz4: block of ${blockSize} bytes at offset ${ip} overruns the payload`);
  return ip + 4 + blockSize;
}

function checkFilled(op: number, size: number): void {
  if (op !== size) throw new ProtocolError(`lz4: blocks inflate to ${op} bytes, the image needs ${size}`);
}

/**
 * State of the 32-bit payload being decoded, kept across its blocks: `flip` is XORed into the stream's byte 3
 * of each pixel to make its output alpha byte (0 for RGBA; for 32BIT, first pad byte ^ 255, -1 until that
 * byte is known), and `alphaAnd` is the AND of every alpha byte written from the stream (in its top 8 bits).
 */
let flip = 0;
let alphaAnd = -1;

/**
 * Inflates every block of a 32-bit payload into `out8` / `words` (the same memory), swizzled. With `opaque`
 * (32BIT) the alpha bytes are pad ^ (first pad ^ 255), and it returns true when they are all 255 (every pad
 * byte is the first one). RGBA alpha bytes are the stream's.
 */
function inflate32(data: Uint8Array, out8: Uint8Array, words: Uint32Array, opaque: boolean): boolean {
  flip = opaque ? -1 : 0;
  alphaAnd = -1;
  let op = 0;
  for (let ip = 2; ip < data.length;) {
    const blockEnd = nextBlock(data, ip);
    op = lz4DecodeBlock32(data, ip + 4, blockEnd, out8, words, op, opaque);
    ip = blockEnd;
  }
  checkFilled(op, out8.length);
  return alphaAnd >>> 24 === 0xff;
}

/**
 * Where stream byte `p` of B,G,R,x pixels lands in R,G,B,A output: bytes 0 and 2 of a pixel swap places,
 * 1 and 3 stay. Its own inverse, and sw(p - 4k) = sw(p) - 4k.
 */
function sw(p: number): number {
  return p ^ ((~p & 1) << 1);
}

/**
 * Decodes one LZ4 block of 32-bit pixels `src[start, end)` into `out8` at stream offset `op`, swizzled and
 * with byte 3 of each pixel XORed with `flip` (see `inflate32`); `words` views the same memory (byteOffset a
 * multiple of 4). Returns the new stream offset.
 * @throws ProtocolError when the block is malformed or would write past the output.
 */
function lz4DecodeBlock32(src: Uint8Array, start: number, end: number, out8: Uint8Array, words: Uint32Array, op: number, opaque: boolean): number {
  let ip = start;
  const cap = out8.length;
  let x = flip;
  let and = alphaAnd;
  for (;;) {
    if (ip >= end) throw new ProtocolError('lz4: block ends inside a sequence');
    const token = src[ip++]!;
    let lit = token >> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new ProtocolError('lz4: block ends inside a literal length');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > end - ip) throw new ProtocolError('lz4: literals run past the block');
    if (lit > cap - op) throw new ProtocolError('lz4: literals overrun the image');
    if (lit > 0) {
      const litEnd = op + lit;
      // up to a pixel boundary one byte at a time
      for (; op < litEnd && (op & 3) !== 0; op++) {
        const v = src[ip++]!;
        if ((op & 3) !== 3) {
          out8[sw(op)] = v;
        } else {
          if (x < 0) x = v ^ 0xff;
          out8[op] = v ^ x;
          and &= (v ^ x) << 24;
        }
      }
      const wordsEnd = litEnd & ~3;
      if (op < wordsEnd) {
        // whole pixels: copy the bytes as they are, then swizzle them in place (faster in V8 than assembling
        // words from bytes or from unaligned reads)
        out8.set(src.subarray(ip, ip + wordsEnd - op), op);
        ip += wordsEnd - op;
        if (opaque) {
          if (x < 0) x = out8[op + 3]! ^ 0xff;
          and &= swizzleFlip(words, op >> 2, wordsEnd >> 2, x << 24);
        } else {
          swizzle(words, op >> 2, wordsEnd >> 2);
        }
        op = wordsEnd;
      }
      // 0 to 2 bytes of a last pixel: never byte 3; stream bytes 0, 1, 2 land at 2, 1, 0
      if (op < litEnd) {
        out8[op + 2] = src[ip]!;
        if (op + 1 < litEnd) {
          out8[op + 1] = src[ip + 1]!;
          if (op + 2 < litEnd) out8[op] = src[ip + 2]!;
        }
        ip += litEnd - op;
        op = litEnd;
      }
    }
    if (ip === end) {
      flip = x;
      alphaAnd = and;
      return op; // the last sequence has literals only
    }
    if (ip + 2 > end) throw new ProtocolError('lz4: block ends inside a match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new ProtocolError(`lz4: match offset ${offset} outside the output at ${op}`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= end) throw new ProtocolError('lz4: block ends inside a match length');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (len > cap - op) throw new ProtocolError('lz4: match overruns the image');
    const mEnd = op + len;
    if ((offset & 3) === 0) {
      // sw(p - offset) = sw(p) - offset: the output bytes copy unchanged (alpha bytes included, as both hold
      // stream byte 3 ^ x)
      if (len < 32) {
        for (; op < mEnd; op++) {
          const d = sw(op);
          out8[d] = out8[d - offset]!;
        }
        continue;
      }
      for (; (op & 3) !== 0; op++) {
        const d = sw(op);
        out8[d] = out8[d - offset]!;
      }
      const w0 = op >> 2;
      const w1 = mEnd >> 2;
      const back = offset >> 2;
      if (back >= w1 - w0) words.copyWithin(w0, w0 - back, w1 - back);
      else if (back === 1) words.fill(words[w0 - 1]!, w0, w1);
      else repeatWords(words, w0 - back, w0, w1, back);
      for (op = w1 << 2; op < mEnd; op++) {
        const d = sw(op);
        out8[d] = out8[d - offset]!;
      }
      continue;
    }
    // Misaligned: stream bytes one by one, read and written through sw (byte 3: through x, both ways). An
    // overlapping match repeats with period `offset`, so its pixels repeat with period lcm(offset, 4) / 4
    // words: once the first aligned period is written, the rest are word copies.
    let bytesEnd = mEnd;
    let period = 0;
    if (offset < len) {
      period = (offset & 1) !== 0 ? offset : offset >> 1;
      const periodic = ((op + 3) & ~3) + 4 * period;
      if (periodic + 4 <= mEnd) bytesEnd = periodic;
      else period = 0;
    }
    for (; op < bytesEnd; op++) {
      const q = op - offset;
      const v = (q & 3) === 3 ? out8[q]! ^ x : out8[sw(q)]!;
      if ((op & 3) !== 3) {
        out8[sw(op)] = v;
      } else {
        if (x < 0) x = v ^ 0xff;
        out8[op] = v ^ x;
        and &= (v ^ x) << 24;
      }
    }
    if (period !== 0) {
      // the pattern's alpha bytes are in `and` already
      const w0 = op >> 2;
      const w1 = mEnd >> 2;
      if (period === 1) words.fill(words[w0 - 1]!, w0, w1);
      else repeatWords(words, w0 - period, w0, w1, period);
      for (op = w1 << 2; op < mEnd; op++) {
        const q = op - offset;
        const v = (q & 3) === 3 ? out8[q]! ^ x : out8[sw(q)]!;
        out8[sw(op)] = v; // never byte 3: the last pixel is partial
      }
    }
  }
}

/** B,G,R,A to R,G,B,A in words[from, to). Unrolled by four: a third faster in V8. */
function swizzle(words: Uint32Array, from: number, to: number): void {
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const v0 = words[i]!;
    const v1 = words[i + 1]!;
    const v2 = words[i + 2]!;
    const v3 = words[i + 3]!;
    words[i] = (v0 & 0xff00ff00) | ((v0 & 0xff) << 16) | ((v0 >>> 16) & 0xff);
    words[i + 1] = (v1 & 0xff00ff00) | ((v1 & 0xff) << 16) | ((v1 >>> 16) & 0xff);
    words[i + 2] = (v2 & 0xff00ff00) | ((v2 & 0xff) << 16) | ((v2 >>> 16) & 0xff);
    words[i + 3] = (v3 & 0xff00ff00) | ((v3 & 0xff) << 16) | ((v3 >>> 16) & 0xff);
  }
  for (; i < to; i++) {
    const v = words[i]!;
    words[i] = (v & 0xff00ff00) | ((v & 0xff) << 16) | ((v >>> 16) & 0xff);
  }
}

/**
 * The whole image B,G,R,A to R,G,B,A, OR-ing `alpha` in (ALPHA_MASK makes B,G,R,x opaque). Its own function
 * (not `swizzle`), so that V8 compiles this one long loop for itself.
 */
function swizzleImage(words: Uint32Array, alpha: number): void {
  const keep = alpha === 0 ? 0xff00ff00 | 0 : 0xff00;
  const n = words.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v0 = words[i]!;
    const v1 = words[i + 1]!;
    const v2 = words[i + 2]!;
    const v3 = words[i + 3]!;
    words[i] = alpha | (v0 & keep) | ((v0 & 0xff) << 16) | ((v0 >>> 16) & 0xff);
    words[i + 1] = alpha | (v1 & keep) | ((v1 & 0xff) << 16) | ((v1 >>> 16) & 0xff);
    words[i + 2] = alpha | (v2 & keep) | ((v2 & 0xff) << 16) | ((v2 >>> 16) & 0xff);
    words[i + 3] = alpha | (v3 & keep) | ((v3 & 0xff) << 16) | ((v3 >>> 16) & 0xff);
  }
  for (; i < n; i++) {
    const v = words[i]!;
    words[i] = alpha | (v & keep) | ((v & 0xff) << 16) | ((v >>> 16) & 0xff);
  }
}

/**
 * B,G,R,x to R,G,B,x ^ flip in words[from, to), where `y` is flip << 24; returns the AND of the words written
 * (alpha 255 in all of them if its top byte is 255). Unrolled by four like `swizzle`.
 */
function swizzleFlip(words: Uint32Array, from: number, to: number, y: number): number {
  let and = -1;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const v0 = words[i]!;
    const v1 = words[i + 1]!;
    const v2 = words[i + 2]!;
    const v3 = words[i + 3]!;
    const o0 = ((v0 & 0xff00ff00) | ((v0 & 0xff) << 16) | ((v0 >>> 16) & 0xff)) ^ y;
    const o1 = ((v1 & 0xff00ff00) | ((v1 & 0xff) << 16) | ((v1 >>> 16) & 0xff)) ^ y;
    const o2 = ((v2 & 0xff00ff00) | ((v2 & 0xff) << 16) | ((v2 >>> 16) & 0xff)) ^ y;
    const o3 = ((v3 & 0xff00ff00) | ((v3 & 0xff) << 16) | ((v3 >>> 16) & 0xff)) ^ y;
    words[i] = o0;
    words[i + 1] = o1;
    words[i + 2] = o2;
    words[i + 3] = o3;
    and &= o0 & o1 & o2 & o3;
  }
  for (; i < to; i++) {
    const v = words[i]!;
    const o = ((v & 0xff00ff00) | ((v & 0xff) << 16) | ((v >>> 16) & 0xff)) ^ y;
    words[i] = o;
    and &= o;
  }
  return and;
}

/**
 * words[from, to) = the pattern words[start, from) repeated, where from - start is a multiple of `period` (the
 * pattern repeats with it): copies whole periods of the growing prefix, doubling per call.
 */
function repeatWords(words: Uint32Array, start: number, from: number, to: number, period: number): void {
  for (let w = from; w < to;) {
    const span = w - start;
    const whole = span - (span % period);
    const chunk = Math.min(whole, to - w);
    words.copyWithin(w, w - whole, w - whole + chunk);
    w += chunk;
  }
}

/**
 * Decodes one LZ4 block `src[start, end)` into `out` at `op`, where matches may reach back to out[0] (the
 * output of earlier blocks of the same stream). Returns the new output offset. `words`, when given, is a
 * Uint32Array over the same memory as `out` (out.byteOffset a multiple of 4): runs of one 4-byte pixel then
 * become word fills.
 * @throws ProtocolError when the block is malformed or would write past `out`.
 */
export function lz4DecodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number, words?: Uint32Array): number {
  let ip = start;
  const cap = out.length;
  for (;;) {
    if (ip >= end) throw new ProtocolError('lz4: block ends inside a sequence');
    const token = src[ip++]!;
    let lit = token >> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new ProtocolError('lz4: block ends inside a literal length');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > end - ip) throw new ProtocolError('lz4: literals run past the block');
    if (lit > cap - op) throw new ProtocolError('lz4: literals overrun the image');
    if (lit > 0) {
      if (lit > 32) {
        out.set(src.subarray(ip, ip + lit), op);
        op += lit;
        ip += lit;
      } else {
        const litEnd = ip + lit;
        while (ip < litEnd) out[op++] = src[ip++]!;
      }
    }
    if (ip === end) return op; // the last sequence has literals only
    if (ip + 2 > end) throw new ProtocolError('lz4: block ends inside a match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new ProtocolError(`lz4: match offset ${offset} outside the output at ${op}`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= end) throw new ProtocolError('lz4: block ends inside a match length');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (len > cap - op) throw new ProtocolError('lz4: match overruns the image');
    const ref = op - offset;
    if (offset >= len) {
      if (len <= 32) {
        for (let r = ref, mEnd = op + len; op < mEnd;) out[op++] = out[r++]!;
      } else {
        out.copyWithin(op, ref, ref + len);
        op += len;
      }
    } else {
      // Overlapping (a run: offset 4 repeats one pixel): the first bytes one by one, then everything written
      // since `ref` repeats with period `offset`, so whole periods of it can be copied at once, the span
      // doubling per call (a one-pixel run across a 1920-pixel row takes a few copies).
      const mEnd = op + len;
      if (offset === 4 && words !== undefined && len >= 64) {
        // one pixel repeated: align to a word (the pattern's period is the word size), then fill words
        for (; (op & 3) !== 0; op++) out[op] = out[op - 4]!;
        const w0 = op >> 2;
        const w1 = mEnd >> 2;
        words.fill(words[w0 - 1]!, w0, w1);
        op = w1 << 2;
        for (; op < mEnd; op++) out[op] = out[op - 4]!;
        continue;
      }
      for (let r = ref, head = Math.min(mEnd, op + 64); op < head;) out[op++] = out[r++]!;
      while (op < mEnd) {
        const back = op - ref - ((op - ref) % offset);
        const chunk = Math.min(back, mEnd - op);
        out.copyWithin(op, op - back, op - back + chunk);
        op += chunk;
      }
    }
  }
}
