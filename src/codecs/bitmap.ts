/**
 * Uncompressed SPICE BITMAP images (spice.proto Bitmap, enums.h SPICE_BITMAP_FMT_*): turns the pixel bytes of
 * any bitmap format into top-down RGBA. The display channel parses the BITMAP descriptor (format, flags,
 * size, stride, palette or palette cache id) and calls `decodeBitmap` with the pieces; this module also serves
 * the LZ4 codec, whose blocks inflate to the same raw layouts.
 *
 * Layouts (little-endian host memory as the guest wrote it): 1BIT_LE/BE one bit per pixel, first pixel in
 * the least/most significant bit; 4BIT_LE/BE first pixel in the low/high nibble; 8BIT palette index; 16BIT
 * x1r5g5b5 little-endian u16; 24BIT bytes B,G,R; 32BIT bytes B,G,R,X; RGBA bytes B,G,R,A; 8BIT_A one alpha byte.
 * Palette formats look their colours up in `palette`; a 1BIT bitmap without a palette is a mask
 * (set bit = opaque white, clear = transparent), as spice-common treats it for QMask.
 */
import { BitmapFmt } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import {
  type DecodedImage,
  type DecodeLimits,
  type SpicePalette,
  DEFAULT_LIMITS,
  allocImage,
  checkDimensions,
  paletteToWords,
  pixelWords,
  rgbaWord,
  LITTLE_ENDIAN,
} from './types.js';

/** Bits per pixel of each bitmap format; 0 for an unknown format. */
export function bitmapBitsPerPixel(format: number): number {
  switch (format) {
    case BitmapFmt.Fmt1bitLe:
    case BitmapFmt.Fmt1bitBe:
      return 1;
    case BitmapFmt.Fmt4bitLe:
    case BitmapFmt.Fmt4bitBe:
      return 4;
    case BitmapFmt.Fmt8bit:
    case BitmapFmt.Fmt8bitA:
      return 8;
    case BitmapFmt.Fmt16bit:
      return 16;
    case BitmapFmt.Fmt24bit:
      return 24;
    case BitmapFmt.Fmt32bit:
    case BitmapFmt.Rgba:
      return 32;
    default:
      return 0;
  }
}

/** True for the formats whose alpha is real (RGBA, A8, and palette-less 1-bit masks). */
function formatHasAlpha(format: number, palette: SpicePalette | null): boolean {
  if (format === BitmapFmt.Rgba || format === BitmapFmt.Fmt8bitA) return true;
  return (format === BitmapFmt.Fmt1bitLe || format === BitmapFmt.Fmt1bitBe) && !palette;
}

/**
 * Decodes one SPICE BITMAP to RGBA, rows top-down.
 * @param format SPICE_BITMAP_FMT_* value.
 * @param stride bytes from one row to the next in `data` (>= the bytes a row needs).
 * @param topDown the SPICE_BITMAP_FLAGS_TOP_DOWN flag; bitmaps are bottom-up without it.
 * @param palette required for 4BIT and 8BIT, optional for 1BIT (mask without), ignored otherwise.
 * @param data the pixel bytes, at least stride*(height-1) + one row.
 * @throws ProtocolError on an unknown format, an absurd size, a short stride or short data, a missing palette.
 */
export function decodeBitmap(
  format: number,
  width: number,
  height: number,
  stride: number,
  topDown: boolean,
  palette: SpicePalette | null,
  data: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
): DecodedImage {
  const bpp = bitmapBitsPerPixel(format);
  if (bpp === 0) throw new ProtocolError(`bitmap: unknown format ${format}`);
  checkDimensions('bitmap', width, height, limits);
  const rowBytes = Math.ceil((width * bpp) / 8);
  if (!Number.isInteger(stride) || stride < rowBytes) {
    throw new ProtocolError(`bitmap: stride ${stride} too small for ${width} pixels of format ${format}`);
  }
  if (height > 0 && width > 0 && data.length < stride * (height - 1) + rowBytes) {
    throw new ProtocolError(`bitmap: ${data.length} bytes of data, ${width}x${height} stride ${stride} needs ${stride * (height - 1) + rowBytes}`);
  }
  const needsPalette = format === BitmapFmt.Fmt4bitLe || format === BitmapFmt.Fmt4bitBe || format === BitmapFmt.Fmt8bit;
  if (needsPalette && !palette) throw new ProtocolError(`bitmap: format ${format} without a palette`);

  const image = allocImage(width, height, formatHasAlpha(format, palette));
  if (width === 0 || height === 0) return image;
  convertRows(format, width, height, stride, topDown, palette, data, pixelWords(image));
  return image;
}

/**
 * Converts raw rows of a bitmap format into packed RGBA words (`dst`, width*height, top-down). Shared with
 * the LZ4 codec. Inputs must already be validated by the caller.
 */
export function convertRows(
  format: number,
  width: number,
  height: number,
  stride: number,
  topDown: boolean,
  palette: SpicePalette | null,
  data: Uint8Array,
  dst: Uint32Array,
): void {
  switch (format) {
    case BitmapFmt.Fmt32bit:
    case BitmapFmt.Rgba: {
      const opaque = format === BitmapFmt.Fmt32bit;
      for (let y = 0; y < height; y++) {
        let s = (topDown ? y : height - 1 - y) * stride;
        let d = y * width;
        const end = d + width;
        if (LITTLE_ENDIAN) {
          if (opaque) {
            for (; d < end; d++, s += 4) dst[d] = 0xff000000 | (data[s]! << 16) | (data[s + 1]! << 8) | data[s + 2]!;
          } else {
            for (; d < end; d++, s += 4) dst[d] = (data[s + 3]! << 24) | (data[s]! << 16) | (data[s + 1]! << 8) | data[s + 2]!;
          }
        } else {
          for (; d < end; d++, s += 4) dst[d] = rgbaWord(data[s + 2]!, data[s + 1]!, data[s]!, opaque ? 255 : data[s + 3]!);
        }
      }
      return;
    }
    case BitmapFmt.Fmt24bit: {
      for (let y = 0; y < height; y++) {
        let s = (topDown ? y : height - 1 - y) * stride;
        let d = y * width;
        const end = d + width;
        if (LITTLE_ENDIAN) {
          for (; d < end; d++, s += 3) dst[d] = 0xff000000 | (data[s]! << 16) | (data[s + 1]! << 8) | data[s + 2]!;
        } else {
          for (; d < end; d++, s += 3) dst[d] = rgbaWord(data[s + 2]!, data[s + 1]!, data[s]!, 255);
        }
      }
      return;
    }
    case BitmapFmt.Fmt16bit: {
      const lut = rgb555Words();
      for (let y = 0; y < height; y++) {
        let s = (topDown ? y : height - 1 - y) * stride;
        let d = y * width;
        const end = d + width;
        for (; d < end; d++, s += 2) dst[d] = lut[(data[s]! | (data[s + 1]! << 8)) & 0x7fff]!;
      }
      return;
    }
    case BitmapFmt.Fmt8bit: {
      const pal = paletteToWords(palette);
      for (let y = 0; y < height; y++) {
        let s = (topDown ? y : height - 1 - y) * stride;
        let d = y * width;
        const end = d + width;
        for (; d < end; d++, s++) dst[d] = pal[data[s]!]!;
      }
      return;
    }
    case BitmapFmt.Fmt8bitA: {
      for (let y = 0; y < height; y++) {
        let s = (topDown ? y : height - 1 - y) * stride;
        let d = y * width;
        const end = d + width;
        for (; d < end; d++, s++) dst[d] = rgbaWord(0, 0, 0, data[s]!);
      }
      return;
    }
    case BitmapFmt.Fmt4bitLe:
    case BitmapFmt.Fmt4bitBe: {
      // spice-common takes 4-bit indices modulo the palette size (lz_decompress_tmpl.c PLT4).
      const words = paletteToWords(palette);
      const count = palette ? Math.min(palette.entries.length, 256) : 0;
      const pal = new Uint32Array(16);
      for (let i = 0; i < 16; i++) pal[i] = words[count > 0 ? i % count : i]!;
      const lowFirst = format === BitmapFmt.Fmt4bitLe;
      for (let y = 0; y < height; y++) {
        const row = (topDown ? y : height - 1 - y) * stride;
        const d = y * width;
        for (let x = 0; x < width; x++) {
          const byte = data[row + (x >> 1)]!;
          const nib = (x & 1) === 0 ? (lowFirst ? byte & 15 : byte >> 4) : lowFirst ? byte >> 4 : byte & 15;
          dst[d + x] = pal[nib]!;
        }
      }
      return;
    }
    case BitmapFmt.Fmt1bitLe:
    case BitmapFmt.Fmt1bitBe: {
      let back: number;
      let fore: number;
      if (palette) {
        const pal = paletteToWords(palette);
        back = pal[0]!;
        fore = pal[1]!;
      } else {
        back = rgbaWord(0, 0, 0, 0);
        fore = rgbaWord(255, 255, 255, 255);
      }
      const lsbFirst = format === BitmapFmt.Fmt1bitLe;
      for (let y = 0; y < height; y++) {
        const row = (topDown ? y : height - 1 - y) * stride;
        const d = y * width;
        for (let x = 0; x < width; x++) {
          const byte = data[row + (x >> 3)]!;
          const bit = lsbFirst ? (byte >> (x & 7)) & 1 : (byte >> (7 - (x & 7))) & 1;
          dst[d + x] = bit ? fore : back;
        }
      }
      return;
    }
    default:
      throw new ProtocolError(`bitmap: unknown format ${format}`);
  }
}

let rgb555Cache: Uint32Array | undefined;

/** Packed opaque RGBA for every x1r5g5b5 value; each 5-bit channel widens as (v << 3) | (v >> 2) like pixman. */
export function rgb555Words(): Uint32Array {
  if (rgb555Cache) return rgb555Cache;
  const lut = new Uint32Array(32768);
  for (let v = 0; v < 32768; v++) {
    const r = (v >> 10) & 31;
    const g = (v >> 5) & 31;
    const b = v & 31;
    lut[v] = rgbaWord((r << 3) | (r >> 2), (g << 3) | (g >> 2), (b << 3) | (b >> 2), 255);
  }
  rgb555Cache = lut;
  return lut;
}
