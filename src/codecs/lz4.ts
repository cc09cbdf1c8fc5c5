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
 */
import { BitmapFmt } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import { convertRows } from './bitmap.js';
import {
  type DecodedImage,
  type DecodeLimits,
  DEFAULT_LIMITS,
  allocImage,
  checkDimensions,
  checkPayloadCanFill,
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
 * Decodes an LZ4 image payload. The payload carries no size: `width` and `height` come from the image
 * descriptor.
 * @throws ProtocolError on an unsupported format, an absurd size, a corrupt or truncated block, or output
 *   that does not fill the image exactly.
 */
export function decodeLz4(data: Uint8Array, width: number, height: number, limits: DecodeLimits = DEFAULT_LIMITS): DecodedImage {
  if (data.length < 2) throw new ProtocolError('lz4: payload truncated in header');
  const topDown = data[0] !== 0;
  const format = data[1]!;
  const bpp = lz4BytesPerPixel(format);
  if (bpp === 0) throw new ProtocolError(`lz4: unsupported bitmap format ${format}`);
  checkDimensions('lz4', width, height, limits);
  checkPayloadCanFill('lz4', width * bpp * height, data.length - 2);
  const image = allocImage(width, height, format === BitmapFmt.Rgba);
  const stride = width * bpp;
  const raw = new Uint8Array(stride * height);
  let op = 0;
  let ip = 2;
  while (ip < data.length) {
    if (ip + 4 > data.length) throw new ProtocolError('lz4: payload truncated in block size');
    const size = ((data[ip]! << 24) | (data[ip + 1]! << 16) | (data[ip + 2]! << 8) | data[ip + 3]!) >>> 0;
    ip += 4;
    if (size === 0 || size > data.length - ip) throw new ProtocolError(`lz4: block of ${size} bytes at offset ${ip - 4} overruns the payload`);
    op = lz4DecodeBlock(data, ip, ip + size, raw, op);
    ip += size;
  }
  if (op !== raw.length) throw new ProtocolError(`lz4: blocks inflate to ${op} bytes, the image needs ${raw.length}`);
  if (raw.length > 0) convertRows(format, width, height, stride, topDown, null, raw, pixelWords(image));
  return image;
}

/**
 * Decodes one LZ4 block `src[start, end)` into `out` at `op`, where matches may reach back to out[0] (the
 * output of earlier blocks of the same stream). Returns the new output offset.
 * @throws ProtocolError when the block is malformed or would write past `out`.
 */
export function lz4DecodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
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
      if (lit > 16) {
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
    let ref = op - offset;
    if (offset >= len && len > 16) {
      out.copyWithin(op, ref, ref + len);
      op += len;
    } else {
      const mEnd = op + len;
      while (op < mEnd) out[op++] = out[ref++]!;
    }
  }
}
