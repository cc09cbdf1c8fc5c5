/**
 * SPICE LZ images (SPICE_IMAGE_TYPE_LZ_RGB and LZ_PLT, and the alpha plane of JPEG_ALPHA): a FastLZ-style
 * byte code, one image per payload, no state across images. Owns the payload header and every LZ image type
 * of spice-common's lz_common.h; written from the format as spice-common's lz.c / lz_decompress_tmpl.c decode it.
 *
 * Payload: a header of seven big-endian u32 — magic "  ZL", version 1.1, type, width, height, stride, top_down
 * — then the code. Each control byte is either a literal run (ctrl < 32: ctrl+1 pixels follow) or a match
 * (length in the top 3 bits, extended by 255-continued bytes when 7; distance from the low 5 bits and the next
 * byte, or a 16-bit distance + 8191 when both are all ones). Lengths carry a bias that depends on the type.
 * RGB types decode whole pixels; RGBA decodes RGB first, then an alpha-only pass; XXXA is the alpha pass
 * alone; palette types decode one byte per unit (8, 2 or 1 pixel(s) per byte) into rows of `stride` bytes.
 *
 * Corrupt or truncated input throws ProtocolError: every read, reference and copy is bounds-checked.
 *
 * Speed: RGB pixels are written as little-endian words (a big-endian host is refused; no browser platform
 * is one), long matches go through fill/copyWithin, and the literal and strided alpha loops are unrolled by
 * four. The RGB pass of an RGBA image leaves alpha 0 so the alpha pass can skip runs of 0 (Xspice sends
 * RGBA images whose alpha is all 0). `out` lets the caller supply the output buffer.
 */
import { BitmapFmt } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import { convertRows, rgb555Words } from './bitmap.js';
import {
  type DecodedImage,
  type DecodeLimits,
  type SpicePalette,
  ALPHA_MASK,
  DEFAULT_LIMITS,
  LITTLE_ENDIAN,
  allocImage,
  checkDimensions,
  checkPayloadCanFill,
  flipRows,
  pixelWords,
} from './types.js';

/** LZ_IMAGE_TYPE_* (spice-common lz_common.h); GLZ shares them. */
export const LzImageType = {
  Invalid: 0,
  Plt1Le: 1,
  Plt1Be: 2,
  Plt4Le: 3,
  Plt4Be: 4,
  Plt8: 5,
  Rgb16: 6,
  Rgb24: 7,
  Rgb32: 8,
  Rgba: 9,
  Xxxa: 10,
  A8: 11,
} as const;
export type LzImageType = (typeof LzImageType)[keyof typeof LzImageType];

/** "  ZL" as the big-endian u32 that starts every LZ and GLZ payload. */
export const LZ_MAGIC = 0x20205a4c;
/** Version 1.1. */
export const LZ_VERSION = 0x00010001;
/** Bytes of the LZ header (seven u32). */
export const LZ_HEADER_SIZE = 28;

export interface LzHeader {
  type: number;
  width: number;
  height: number;
  /** Row length in bytes of the source bitmap; for palette types, the decoded row length in units. */
  stride: number;
  topDown: boolean;
}

/** Pixels per decoded byte of a palette type; 0 for the other types. */
export function lzPixelsPerByte(type: number): number {
  switch (type) {
    case LzImageType.Plt1Le:
    case LzImageType.Plt1Be:
      return 8;
    case LzImageType.Plt4Le:
    case LzImageType.Plt4Be:
      return 2;
    case LzImageType.Plt8:
      return 1;
    default:
      return 0;
  }
}

function truncated(where: string): ProtocolError {
  return new ProtocolError(`lz: payload truncated in ${where}`);
}

/**
 * The big-endian view of an LZ or GLZ payload (both start with magic "  ZL" and version 1.1), after checking
 * its length, magic and version; `codec` names it in the errors.
 */
export function lzHeaderView(data: Uint8Array, headerSize: number, codec: 'lz' | 'glz'): DataView {
  if (data.length < headerSize) throw new ProtocolError(`${codec}: payload truncated in header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== LZ_MAGIC) throw new ProtocolError(`${codec}: bad magic 0x${magic.toString(16)}`);
  const version = view.getUint32(4, false);
  if (version !== LZ_VERSION) throw new ProtocolError(`${codec}: unsupported version 0x${version.toString(16)}`);
  return view;
}

/** Reads and checks the big-endian LZ header. */
export function readLzHeader(data: Uint8Array): LzHeader {
  const view = lzHeaderView(data, LZ_HEADER_SIZE, 'lz');
  return {
    type: view.getUint32(8, false),
    width: view.getUint32(12, false),
    height: view.getUint32(16, false),
    stride: view.getUint32(20, false),
    topDown: view.getUint32(24, false) !== 0,
  };
}

/**
 * Decodes an LZ_RGB or LZ_PLT payload (starting at the "  ZL" header) to RGBA.
 * @param palette the image's palette, required for the PLT types.
 * @param out optional buffer to decode into (see `allocImage`): a pooled buffer saves the allocation.
 * @throws ProtocolError on a bad header, an absurd size, a missing palette or corrupt/truncated code.
 */
export function decodeLz(data: Uint8Array, palette: SpicePalette | null = null, limits: DecodeLimits = DEFAULT_LIMITS, out?: Uint8ClampedArray): DecodedImage {
  const h = readLzHeader(data);
  const { type, width, height, topDown } = h;
  checkDimensions('lz', width, height, limits);
  const n = width * height;
  const ppb = lzPixelsPerByte(type);

  if (ppb !== 0) {
    if (!palette) throw new ProtocolError(`lz: palette image type ${type} without a palette`);
    const minStride = Math.ceil(width / ppb);
    if (h.stride < minStride || h.stride * height > limits.maxPixels) {
      throw new ProtocolError(`lz: stride ${h.stride} does not fit ${width} pixels of type ${type}`);
    }
    checkPayloadCanFill('lz', h.stride * height, data.length - LZ_HEADER_SIZE);
    const image = allocImage(width, height, false, out);
    if (n === 0) return image;
    const units = new Uint8Array(h.stride * height);
    lzBytePass(data, LZ_HEADER_SIZE, units, 1, 0, units.length);
    convertRows(pltBitmapFormat(type), width, height, h.stride, topDown, palette, units, pixelWords(image));
    return image;
  }

  checkPayloadCanFill('lz', n, data.length - LZ_HEADER_SIZE);
  switch (type) {
    case LzImageType.Rgb32:
    case LzImageType.Rgb24:
    case LzImageType.Rgb16:
    case LzImageType.Rgba: {
      // The pixel loops pack little-endian words (every browser and Node platform is little-endian).
      if (!LITTLE_ENDIAN) throw new Error('lz: big-endian hosts are not supported');
      const hasAlpha = type === LzImageType.Rgba;
      const image = allocImage(width, height, hasAlpha, out);
      if (n === 0) return image;
      // Decode in stream order (references count in it), then flip a bottom-up image's rows. RGBA: the RGB
      // pass leaves alpha 0 and the alpha pass skips runs of 0, so an all-0 plane (Xspice) costs nothing.
      const words = pixelWords(image);
      const ip = lzRgbPass(data, LZ_HEADER_SIZE, words, n, type === LzImageType.Rgb16, hasAlpha);
      if (hasAlpha) lzAlphaPass(data, ip, new Uint8Array(words.buffer, words.byteOffset, n * 4), n);
      if (!topDown) flipRows(words, width, height);
      return image;
    }
    case LzImageType.Xxxa: {
      const image = allocImage(width, height, true, out);
      if (n === 0) return image;
      if (out) image.pixels.fill(0); // R, G, B are 0; a reused buffer has to be cleared
      applyAlpha(data, LZ_HEADER_SIZE, image, topDown);
      return image;
    }
    case LzImageType.A8: {
      const image = allocImage(width, height, true, out);
      if (n === 0) return image;
      const units = new Uint8Array(n);
      lzBytePass(data, LZ_HEADER_SIZE, units, 1, 0, n);
      convertRows(BitmapFmt.Fmt8bitA, width, height, width, topDown, null, units, pixelWords(image));
      return image;
    }
    default:
      throw new ProtocolError(`lz: unsupported image type ${type}`);
  }
}

/**
 * Applies the LZ-coded alpha plane of a JPEG_ALPHA image (type XXXA) to an already decoded RGBA image of the
 * same size, replacing its alpha bytes; the RGB bytes are kept. `target.hasAlpha` becomes true.
 * @throws ProtocolError unless the payload is XXXA of exactly target's size, or when it is corrupt.
 */
export function decodeLzAlpha(data: Uint8Array, target: DecodedImage): void {
  const h = readLzHeader(data);
  if (h.type !== LzImageType.Xxxa) throw new ProtocolError(`lz: alpha plane has type ${h.type}, expected XXXA`);
  if (h.width !== target.width || h.height !== target.height) {
    throw new ProtocolError(`lz: alpha plane is ${h.width}x${h.height}, image is ${target.width}x${target.height}`);
  }
  if (h.width * h.height === 0) return;
  applyAlpha(data, LZ_HEADER_SIZE, target, h.topDown);
  target.hasAlpha = true;
}

function applyAlpha(data: Uint8Array, ip: number, target: DecodedImage, topDown: boolean): void {
  const { width, height } = target;
  const n = width * height;
  if (topDown) {
    const px = target.pixels;
    lzBytePass(data, ip, new Uint8Array(px.buffer, px.byteOffset, px.length), 4, 3, n);
    return;
  }
  const alpha = new Uint8Array(n);
  lzBytePass(data, ip, alpha, 1, 0, n);
  const px = target.pixels;
  for (let y = 0; y < height; y++) {
    const s = (height - 1 - y) * width;
    let d = y * width * 4 + 3;
    for (let x = 0; x < width; x++, d += 4) px[d] = alpha[s + x]!;
  }
}

function pltBitmapFormat(type: number): number {
  switch (type) {
    case LzImageType.Plt1Le:
      return BitmapFmt.Fmt1bitLe;
    case LzImageType.Plt1Be:
      return BitmapFmt.Fmt1bitBe;
    case LzImageType.Plt4Le:
      return BitmapFmt.Fmt4bitLe;
    case LzImageType.Plt4Be:
      return BitmapFmt.Fmt4bitBe;
    default:
      return BitmapFmt.Fmt8bit;
  }
}

/** A match read from the code: its length (before the type's bias), its distance, and where the code goes on. */
interface Match {
  len: number;
  ofs: number;
  ip: number;
}
/** The one Match that `readMatch` fills, so that reading a match allocates nothing. */
const match: Match = { len: 0, ofs: 0, ip: 0 };

/**
 * Reads the match whose control byte `ctrl` (>= 32) was just read, ip pointing after it: length from the top
 * 3 bits (7 = continued by bytes up to a non-255), distance from the low 5 bits and the next byte, or 8191 +
 * a 16-bit distance when both are all ones; the distance is returned plus 1 (pixels back).
 */
function readMatch(src: Uint8Array, ip: number, ctrl: number): Match {
  const srcLen = src.length;
  let len = ctrl >> 5;
  let ofs = (ctrl & 31) << 8;
  if (len === 7) {
    let code: number;
    do {
      if (ip >= srcLen) throw truncated('match length');
      code = src[ip++]!;
      len += code;
    } while (code === 255);
  }
  if (ip >= srcLen) throw truncated('match distance');
  const code = src[ip++]!;
  if (code === 255 && ofs === 31 << 8) {
    if (ip + 2 > srcLen) throw truncated('long match distance');
    ofs = ((src[ip]! << 8) | src[ip + 1]!) + 8191;
    ip += 2;
  } else {
    ofs += code;
  }
  match.len = len;
  match.ofs = ofs + 1;
  match.ip = ip;
  return match;
}

/** Checks a match of `len` units `ofs` back at unit `op` of `n` against the start and the end of the image. */
function checkMatch(op: number, ofs: number, len: number, n: number): void {
  if (ofs > op) throw new ProtocolError(`lz: match distance ${ofs} before the start of the image at unit ${op}`);
  if (len > n - op) throw new ProtocolError(`lz: match of ${len} units overruns the image at unit ${op}`);
}

/** Checks a literal run of `count` units (`size` bytes each) at unit `op` of `n`, input offset `ip`. */
function checkLiterals(src: Uint8Array, ip: number, op: number, count: number, size: number, n: number): void {
  if (count > n - op) throw new ProtocolError(`lz: literal run of ${count} units overruns the image at unit ${op}`);
  if (ip + count * size > src.length) throw truncated('literals');
}

/**
 * The RGB pass: decodes `n` pixels into little-endian RGBA words (the caller has refused big-endian hosts)
 * whose alpha byte is 255, or 0 when `clearAlpha` (RGBA images, whose alpha pass follows). Literals are 3 bytes
 * B,G,R (RGB24/32/RGBA) or a big-endian x1r5g5b5 u16 (RGB16). Returns the input offset after the pass.
 */
export function lzRgbPass(src: Uint8Array, ip: number, out: Uint32Array, n: number, rgb16: boolean, clearAlpha = false): number {
  const srcLen = src.length;
  // Length bias after the top-3-bits count: RGB24/32 +0, RGB16 +1 (lz_decompress_tmpl.c: len-- then +1 / +2).
  const bias = rgb16 ? 1 : 0;
  const alpha = clearAlpha ? 0 : ALPHA_MASK;
  let op = 0;
  while (op < n) {
    if (ip >= srcLen) throw truncated('control byte');
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const count = ctrl + 1;
      checkLiterals(src, ip, op, count, rgb16 ? 2 : 3, n);
      ip = rgb16 ? rgb16Literals(src, ip, out, op, count) : bgrLiterals(src, ip, out, op, count, alpha);
      op += count;
    } else {
      const m = readMatch(src, ip, ctrl);
      ip = m.ip;
      const len = m.len + bias;
      checkMatch(op, m.ofs, len, n);
      copyMatch(out, op, m.ofs, len);
      op += len;
    }
  }
  return ip;
}

/**
 * Packs `count` B,G,R literals from src[ip] into out[op...] as little-endian RGBA words with the alpha byte
 * of `alpha` (ALPHA_MASK or 0); returns the input offset after them. Unrolled by four: V8 keeps the
 * unrolled body in registers. Shared with GLZ.
 */
export function bgrLiterals(src: Uint8Array, ip: number, out: Uint32Array, op: number, count: number, alpha: number): number {
  const end = op + count;
  if (end > out.length || ip + count * 3 > src.length) throw new RangeError('lz: literals out of bounds');
  for (; op + 4 <= end; op += 4, ip += 12) {
    out[op] = alpha | (src[ip]! << 16) | (src[ip + 1]! << 8) | src[ip + 2]!;
    out[op + 1] = alpha | (src[ip + 3]! << 16) | (src[ip + 4]! << 8) | src[ip + 5]!;
    out[op + 2] = alpha | (src[ip + 6]! << 16) | (src[ip + 7]! << 8) | src[ip + 8]!;
    out[op + 3] = alpha | (src[ip + 9]! << 16) | (src[ip + 10]! << 8) | src[ip + 11]!;
  }
  for (; op < end; op++, ip += 3) out[op] = alpha | (src[ip]! << 16) | (src[ip + 1]! << 8) | src[ip + 2]!;
  return ip;
}

/** Widens `count` big-endian x1r5g5b5 literals from src[ip] into opaque words; returns the new input offset. */
function rgb16Literals(src: Uint8Array, ip: number, out: Uint32Array, op: number, count: number): number {
  const lut = rgb555Words();
  for (const end = op + count; op < end; op++, ip += 2) out[op] = lut[((src[ip]! << 8) | src[ip + 1]!) & 0x7fff]!;
  return ip;
}

/**
 * Copies the `len` pixels that start `ofs` pixels back to out[op...], LZ style: where they overlap the
 * destination the copy repeats them (ofs 1 is a fill). Long non-overlapping copies go through copyWithin.
 * Shared with GLZ.
 */
export function copyMatch(out: Uint32Array, op: number, ofs: number, len: number): void {
  const end = op + len;
  let ref = op - ofs;
  if (ofs === 1) {
    if (len > 8) out.fill(out[ref]!, op, end);
    else for (const v = out[ref]!; op < end; op++) out[op] = v;
  } else if (ofs >= len && len > 8) {
    out.copyWithin(op, ref, ref + len);
  } else {
    while (op < end) out[op++] = out[ref++]!;
  }
}

/**
 * The alpha pass of an RGBA image: decodes `n` alpha values into byte 3 of each pixel of `px`, whose alpha
 * bytes the RGB pass left at 0, so runs of alpha 0 (all of Xspice's images) are skipped. Matches are biased
 * by 2. Returns the input offset after the pass.
 */
export function lzAlphaPass(src: Uint8Array, ip: number, px: Uint8Array, n: number): number {
  const srcLen = src.length;
  let op = 0;
  while (op < n) {
    if (ip >= srcLen) throw truncated('control byte');
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const count = ctrl + 1;
      checkLiterals(src, ip, op, count, 1, n);
      ip = stridedLiterals(src, ip, px, op * 4 + 3, count);
      op += count;
    } else {
      const m = readMatch(src, ip, ctrl);
      ip = m.ip;
      const len = m.len + 2;
      checkMatch(op, m.ofs, len, n);
      const d = op * 4 + 3;
      if (m.ofs !== 1) stridedCopy(px, d, m.ofs * 4, len);
      else if (px[d - 4] !== 0) stridedFill(px, d, px[d - 4]!, len);
      op += len;
    }
  }
  return ip;
}

/*
 * Strided byte loops for the alpha pass, every 4th byte from px[d]. Unrolled by four, which more than doubles
 * their speed in V8; copies stay in order, so an overlapping copy repeats its source like LZ requires.
 */

export function stridedLiterals(src: Uint8Array, ip: number, px: Uint8Array, d: number, count: number): number {
  const stop = d + count * 4;
  if (stop - 4 >= px.length || ip + count > src.length) throw new RangeError('lz: alpha literals out of bounds');
  for (; d + 12 < stop; d += 16, ip += 4) {
    px[d] = src[ip]!;
    px[d + 4] = src[ip + 1]!;
    px[d + 8] = src[ip + 2]!;
    px[d + 12] = src[ip + 3]!;
  }
  for (; d < stop; d += 4) px[d] = src[ip++]!;
  return ip;
}

export function stridedCopy(px: Uint8Array, d: number, back: number, len: number): void {
  const stop = d + len * 4;
  if (stop - 4 >= px.length || back > d) throw new RangeError('lz: alpha copy out of bounds');
  for (; d + 12 < stop; d += 16) {
    px[d] = px[d - back]!;
    px[d + 4] = px[d + 4 - back]!;
    px[d + 8] = px[d + 8 - back]!;
    px[d + 12] = px[d + 12 - back]!;
  }
  for (; d < stop; d += 4) px[d] = px[d - back]!;
}

function stridedFill(px: Uint8Array, d: number, value: number, len: number): void {
  const stop = d + len * 4;
  if (stop - 4 >= px.length) throw new RangeError('lz: alpha fill out of bounds');
  for (; d + 12 < stop; d += 16) {
    px[d] = value;
    px[d + 4] = value;
    px[d + 8] = value;
    px[d + 12] = value;
  }
  for (; d < stop; d += 4) px[d] = value;
}

/**
 * A one-byte-per-unit pass (palette units, A8, or the alpha plane): decodes `n` units into
 * out[unit*step + offset]. Matches are biased by 2 (lz_decompress_tmpl.c: len-- then +3).
 * Returns the input offset after the last code byte used.
 */
export function lzBytePass(src: Uint8Array, ip: number, out: Uint8Array, step: number, offset: number, n: number): number {
  const srcLen = src.length;
  let op = 0;
  while (op < n) {
    if (ip >= srcLen) throw truncated('control byte');
    const ctrl = src[ip++]!;
    if (ctrl >= 32) {
      let len = (ctrl >> 5) + 2;
      let ofs = (ctrl & 31) << 8;
      if (ctrl >= 224) {
        let code: number;
        do {
          if (ip >= srcLen) throw truncated('match length');
          code = src[ip++]!;
          len += code;
        } while (code === 255);
      }
      if (ip >= srcLen) throw truncated('match distance');
      const code = src[ip++]!;
      if (code === 255 && ofs === 31 << 8) {
        if (ip + 2 > srcLen) throw truncated('long match distance');
        ofs = ((src[ip]! << 8) | src[ip + 1]!) + 8191;
        ip += 2;
      } else {
        ofs += code;
      }
      ofs += 1;
      const ref = op - ofs;
      if (ref < 0) throw new ProtocolError(`lz: match distance ${ofs} before the start of the image at unit ${op}`);
      if (len > n - op) throw new ProtocolError(`lz: match of ${len} units overruns the image at unit ${op}`);
      const end = op + len;
      if (step === 1) {
        if (ofs === 1) {
          out.fill(out[ref]!, op, end);
          op = end;
        } else {
          let r = ref;
          while (op < end) out[op++] = out[r++]!;
        }
      } else {
        let d = op * step + offset;
        let r = ref * step + offset;
        for (; op < end; op++, d += step, r += step) out[d] = out[r]!;
      }
    } else {
      const count = ctrl + 1;
      if (count > n - op) throw new ProtocolError(`lz: literal run of ${count} units overruns the image at unit ${op}`);
      if (ip + count > srcLen) throw truncated('literal units');
      const end = op + count;
      if (step === 1) {
        out.set(src.subarray(ip, ip + count), op);
        ip += count;
        op = end;
      } else {
        let d = op * step + offset;
        for (; op < end; op++, d += step) out[d] = src[ip++]!;
      }
    }
  }
  return ip;
}
