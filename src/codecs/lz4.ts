/**
 * SPICE LZ4 images (SPICE_IMAGE_TYPE_LZ4, only sent to clients with the LZ4_COMPRESSION display cap). Owns
 * the payload framing and a bounds-checked LZ4 block decoder, written from the LZ4 block format.
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
 * Speed: 32-bit images inflate straight into the output buffer and are swizzled there in place (no row buffer,
 * no second buffer-to-buffer pass); 16/24-bit rows go through one module-level scratch. Short literals and
 * matches are byte loops (cheaper than a typed-array call), long ones `set`/`copyWithin`, and an overlapping
 * match (a run: offset 4 repeats one pixel) copies whole periods of its own growing prefix, doubling per call. `out` lets the
 * caller supply the output buffer.
 */
import { BitmapFmt } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import { convertRows } from './bitmap.js';
import { type DecodedImage, type DecodeLimits, ALPHA_MASK, DEFAULT_LIMITS, allocImage, checkDimensions, checkPayloadCanFill, flipRows, pixelWords } from './types.js';

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
  // 32-bit rows inflate in place into the output (same size), then get swizzled B,G,R,A -> R,G,B,A there.
  let raw: Uint8Array;
  if (bpp === 4) {
    raw = new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, size);
  } else {
    if (scratch.length < size) scratch = new Uint8Array(size);
    raw = scratch.subarray(0, size);
  }
  const rawWords = (raw.byteOffset & 3) === 0 ? new Uint32Array(raw.buffer, raw.byteOffset, size >> 2) : undefined;
  let op = 0;
  let ip = 2;
  while (ip < data.length) {
    if (ip + 4 > data.length) throw new ProtocolError('lz4: payload truncated in block size');
    const blockSize = ((data[ip]! << 24) | (data[ip + 1]! << 16) | (data[ip + 2]! << 8) | data[ip + 3]!) >>> 0;
    ip += 4;
    if (blockSize === 0 || blockSize > data.length - ip) throw new ProtocolError(`lz4: block of ${blockSize} bytes at offset ${ip - 4} overruns the payload`);
    op = lz4DecodeBlock(data, ip, ip + blockSize, raw, op, rawWords);
    ip += blockSize;
  }
  if (op !== size) throw new ProtocolError(`lz4: blocks inflate to ${op} bytes, the image needs ${size}`);
  if (size === 0) return image;
  const words = pixelWords(image);
  if (bpp === 4) {
    swizzleInPlace(words, format === BitmapFmt.Fmt32bit);
    if (!topDown) flipRows(words, width, height);
  } else {
    convertRows(format, width, height, stride, topDown, null, raw, words);
  }
  return image;
}

/**
 * B,G,R,A (or B,G,R,x when `opaque`) bytes of little-endian words, in place, to R,G,B,A (alpha 255 when
 * `opaque`). Unrolled by four: a third faster in V8, and this pass is most of a run-heavy image's decode.
 */
function swizzleInPlace(words: Uint32Array, opaque: boolean): void {
  const n = words.length;
  const alpha = opaque ? ALPHA_MASK : 0;
  const keep = opaque ? 0xff00 : 0xff00ff00 | 0;
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
