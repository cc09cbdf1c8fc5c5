/**
 * The shapes every image codec shares: what a decoder hands back (`DecodedImage`: RGBA, rows top-down), the
 * palette a BITMAP or LZ_PLT image refers to, and the limits that stop an absurd width or height in a payload
 * from allocating anything (`DecodeLimits`, checked by `checkDimensions` before any buffer exists).
 * Pure: no DOM, no worker globals, so the codecs run the same in the worker and in Node tests.
 */
import { ProtocolError } from '../protocol/errors.js';
import { limitError, MAX_IMAGE_DIMENSION, MAX_IMAGE_PIXELS } from '../protocol/limits.js';

/**
 * One decoded image. `pixels` holds width*height*4 bytes, R,G,B,A per pixel, rows top-down whatever the
 * orientation on the wire. `hasAlpha` is true only for formats that carry alpha (RGBA, ARGB, A8, masks);
 * otherwise every alpha byte is 255.
 */
export interface DecodedImage {
  width: number;
  height: number;
  pixels: Uint8ClampedArray;
  hasAlpha: boolean;
}

/** SpicePalette: `unique` is the palette cache key, `entries` are 0x00RRGGBB words (spice.proto Palette). */
export interface SpicePalette {
  unique: bigint;
  entries: Uint32Array;
}

/** Limits applied before allocating the output of a decoder. */
export interface DecodeLimits {
  /** Largest accepted width or height, in pixels. */
  maxDimension: number;
  /** Largest accepted width*height. */
  maxPixels: number;
}

/** MAX_IMAGE_DIMENSION and MAX_IMAGE_PIXELS (src/protocol/limits.ts says why). */
export const DEFAULT_LIMITS: DecodeLimits = Object.freeze({
  maxDimension: MAX_IMAGE_DIMENSION,
  maxPixels: MAX_IMAGE_PIXELS,
});

/** Throws a ProtocolError unless width x height is a sane image size; call it before allocating. */
export function checkDimensions(what: string, width: number, height: number, limits: DecodeLimits = DEFAULT_LIMITS): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new ProtocolError(`${what}: invalid size ${width}x${height}`);
  }
  if (width > limits.maxDimension || height > limits.maxDimension) {
    throw limitError(`${what}: image ${width}x${height}`, `${limits.maxDimension}x${limits.maxDimension}`, 'MAX_IMAGE_DIMENSION');
  }
  if (width * height > limits.maxPixels) {
    throw limitError(`${what}: image ${width}x${height} (${width * height} pixels)`, `${limits.maxPixels} pixels`, 'MAX_IMAGE_PIXELS');
  }
}

/**
 * Output units (pixels, palette bytes or raw bytes, whatever the coder counts) one byte of LZ, GLZ or LZ4 code
 * can produce at most: a match's length grows by at most 255 units per extra length byte, so 512 leaves twice
 * the margin.
 */
export const MAX_UNITS_PER_CODE_BYTE = 512;

/**
 * Throws a ProtocolError unless `codeBytes` of LZ-family code could produce `units` units of output (see
 * MAX_UNITS_PER_CODE_BYTE). Called before allocating, so a payload of a few bytes that announces a huge image
 * is refused instead of allocating hundreds of megabytes it cannot fill.
 */
export function checkPayloadCanFill(what: string, units: number, codeBytes: number): void {
  if (units > Math.max(0, codeBytes) * MAX_UNITS_PER_CODE_BYTE + 4096) {
    throw new ProtocolError(`${what}: ${codeBytes} bytes of code cannot fill an image of ${units} units`);
  }
}

/**
 * The RGBA output for a checked size. With `out` (a caller's pooled buffer) holding at least width*height*4
 * bytes at a 4-byte aligned offset, the pixels are a view of its start and keep its old contents until the
 * decoder overwrites them (decoders taking `out` write every byte); otherwise a new zeroed buffer.
 */
export function allocImage(width: number, height: number, hasAlpha: boolean, out?: Uint8ClampedArray): DecodedImage {
  const size = width * height * 4;
  const pixels = out && out.length >= size && (out.byteOffset & 3) === 0 ? out.subarray(0, size) : new Uint8ClampedArray(size);
  return { width, height, pixels, hasAlpha };
}

/** True on little-endian hosts (all browsers and Node builds we target); the 32-bit pixel fast paths need it. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Packs R,G,B,A into the 32-bit word that lands as those four bytes in memory, so hot loops can write one
 * Uint32Array element per pixel.
 */
export function rgbaWord(r: number, g: number, b: number, a: number): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** The alpha byte of a packed RGBA word (see `rgbaWord`), as an int32 so hot loops OR it without conversions. */
export const ALPHA_MASK = (LITTLE_ENDIAN ? 0xff000000 : 0x000000ff) | 0;

/** Bit positions of R, G, B and A inside a packed RGBA word, for hot loops that pack inline. */
export const SHIFT_R = LITTLE_ENDIAN ? 0 : 24;
export const SHIFT_G = LITTLE_ENDIAN ? 8 : 16;
export const SHIFT_B = LITTLE_ENDIAN ? 16 : 8;
export const SHIFT_A = LITTLE_ENDIAN ? 24 : 0;

/**
 * Converts a palette to packed opaque RGBA words (`rgbaWord`), always 256 long: indices past the palette's
 * end read as opaque black (spice-common reads past its array there; we stay in bounds).
 */
export function paletteToWords(palette: SpicePalette | null | undefined): Uint32Array {
  const out = new Uint32Array(256);
  const black = rgbaWord(0, 0, 0, 255);
  out.fill(black);
  if (palette) {
    const n = Math.min(256, palette.entries.length);
    for (let i = 0; i < n; i++) {
      const e = palette.entries[i]!;
      out[i] = rgbaWord((e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff, 255);
    }
  }
  return out;
}

/**
 * Copies `height` rows of `width` packed pixels from `src` (rows `srcStride` words apart, in stream order)
 * into `dst` top-down, flipping when the source is bottom-up, and OR-ing `orMask` into each word (ALPHA_MASK
 * to force opacity, 0 to keep alpha).
 */
export function copyRows(src: Uint32Array, srcStride: number, dst: Uint32Array, width: number, height: number, topDown: boolean, orMask: number): void {
  for (let y = 0; y < height; y++) {
    const s = (topDown ? y : height - 1 - y) * srcStride;
    const d = y * width;
    if (orMask === 0) {
      dst.set(src.subarray(s, s + width), d);
    } else {
      for (let x = 0; x < width; x++) dst[d + x] = src[s + x]! | orMask;
    }
  }
}

/** Reverses the order of the `height` rows of `width` words in `words` in place (bottom-up to top-down). */
export function flipRows(words: Uint32Array, width: number, height: number): void {
  const row = new Uint32Array(width);
  for (let top = 0, bottom = (height - 1) * width; top < bottom; top += width, bottom -= width) {
    row.set(words.subarray(top, top + width));
    words.copyWithin(top, bottom, bottom + width);
    words.set(row, bottom);
  }
}

/** A Uint32Array over the pixels of an image this module allocated (byteOffset 0, so always aligned). */
export function pixelWords(image: DecodedImage): Uint32Array {
  return new Uint32Array(image.pixels.buffer, image.pixels.byteOffset, image.width * image.height);
}
