/**
 * Cursor shapes: decoding every SpiceCursor type into straight-alpha RGBA (what `ImageData` and CSS cursors
 * take), and the per-channel cursor cache the server drives with CACHE_ME / FROM_CACHE / INVAL_*.
 *
 * Rendering decisions (browsers cannot XOR the screen):
 *  - ALPHA: u32 ARGB, taken as straight alpha like spice-gtk (which hands it to GdkPixbuf). Guests that send
 *    premultiplied data only look slightly darker at soft edges; `alphaPremultiplied: true` undoes it.
 *  - Mask types (MONO and COLOR*): a pixel is opaque where the AND bit is 0; where AND is 1 it is transparent
 *    if the colour (or XOR bit) is 0 and "invert the screen" if it is all ones. Inverted pixels are drawn
 *    opaque white and every transparent pixel touching one (8-neighbourhood) opaque black, so an inverting
 *    I-beam shows as a white shape with a black outline on any background (spice-gtk does this for MONO).
 *    AND = 1 with any other colour (XOR with a colour) is drawn as that colour, opaque, as the old spice
 *    client did.
 *  - COLOR16 is x1r5g5b5; 5-bit channels are widened by bit replication so 0x1F becomes 0xFF.
 *  - Hot spots beyond the shape are clamped to its edge (as spice-gtk does).
 */
import { ProtocolError, check } from '../protocol/errors.js';
import { CursorFlags, CursorType, MAX_CURSOR_SIZE, cursorDataSize, type CursorHeader, type SpiceCursor } from '../protocol/cursor.js';

export interface CursorImage {
  unique: bigint;
  type: CursorType;
  width: number;
  height: number;
  /** Hot spot, clamped to [0, width] x [0, height]. */
  hotX: number;
  hotY: number;
  /** width*height*4 bytes, R G B A, straight (not premultiplied) alpha, rows top to bottom. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

export interface DecodeOptions {
  /** ALPHA cursors carry premultiplied colour; un-premultiply them. Default false (spice-gtk's reading). */
  alphaPremultiplied?: boolean;
}

/** Pixel classes of mask cursors before the outline pass. */
const OPAQUE = 0;
const CLEAR = 1;
const INVERT = 2;

/** Decodes one shape. Throws ProtocolError on a size beyond MAX_CURSOR_SIZE or data shorter than the type needs. */
export function decodeCursorImage(header: CursorHeader, data: Uint8Array, options: DecodeOptions = {}): CursorImage {
  const { width, height, type } = header;
  check(width <= MAX_CURSOR_SIZE && height <= MAX_CURSOR_SIZE, () => `cursor ${width}x${height} larger than ${MAX_CURSOR_SIZE}x${MAX_CURSOR_SIZE}`);
  check(type >= CursorType.Alpha && type <= CursorType.Color32, () => `unknown cursor type ${type}`);
  const need = cursorDataSize(type, width, height);
  check(data.byteLength >= need, () => `truncated cursor: ${width}x${height} type ${type} needs ${need} bytes, has ${data.byteLength}`);

  const rgba = new Uint8ClampedArray(width * height * 4);
  if (type === CursorType.Alpha) decodeAlpha(data, rgba, width * height, options.alphaPremultiplied === true);
  else decodeMasked(header, data, rgba);

  return {
    unique: header.unique,
    type,
    width,
    height,
    hotX: Math.min(header.hotSpotX, width),
    hotY: Math.min(header.hotSpotY, height),
    rgba,
  };
}

function decodeAlpha(data: Uint8Array, rgba: Uint8ClampedArray<ArrayBuffer>, pixels: number, premultiplied: boolean): void {
  for (let i = 0, o = 0; i < pixels; i++, o += 4) {
    const b = data[o]!;
    const g = data[o + 1]!;
    const r = data[o + 2]!;
    const a = data[o + 3]!;
    if (premultiplied && a !== 255) {
      if (a === 0) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = 0;
      } else {
        // Uint8ClampedArray clamps out-of-range (r > a) colours to 255.
        rgba[o] = Math.round((r * 255) / a);
        rgba[o + 1] = Math.round((g * 255) / a);
        rgba[o + 2] = Math.round((b * 255) / a);
      }
    } else {
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
    }
    rgba[o + 3] = a;
  }
}

const expand5 = (v: number): number => (v << 3) | (v >> 2);

function decodeMasked(header: CursorHeader, data: Uint8Array, rgba: Uint8ClampedArray<ArrayBuffer>): void {
  const { width, height, type } = header;
  const maskBpl = (width + 7) >> 3;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const cls = new Uint8Array(width * height);

  // Where the colour data and the AND mask start, and how to read one pixel as 0xRRGGBB.
  let maskAt: number;
  let color: (x: number, y: number) => number;
  switch (type) {
    case CursorType.Mono: {
      // The "colour" of a mono pixel is its XOR bit: 0 -> black, 1 -> white.
      maskAt = 0;
      const xorAt = maskBpl * height;
      color = (x, y) => (data[xorAt + y * maskBpl + (x >> 3)]! & (0x80 >> (x & 7)) ? 0xffffff : 0);
      break;
    }
    case CursorType.Color4: {
      const stride = (width + 1) >> 1;
      const paletteAt = stride * height;
      maskAt = paletteAt + 16 * 4;
      color = (x, y) => {
        const byte = data[y * stride + (x >> 1)]!;
        const index = x & 1 ? byte & 0x0f : byte >> 4;
        return view.getUint32(paletteAt + index * 4, true) & 0xffffff;
      };
      break;
    }
    case CursorType.Color8: {
      const paletteAt = width * height;
      maskAt = paletteAt + 256 * 4;
      color = (x, y) => view.getUint32(paletteAt + data[y * width + x]! * 4, true) & 0xffffff;
      break;
    }
    case CursorType.Color16:
      maskAt = width * height * 2;
      color = (x, y) => {
        const p = view.getUint16((y * width + x) * 2, true);
        return (expand5((p >> 10) & 0x1f) << 16) | (expand5((p >> 5) & 0x1f) << 8) | expand5(p & 0x1f);
      };
      break;
    case CursorType.Color24:
      maskAt = width * height * 3;
      color = (x, y) => {
        const o = (y * width + x) * 3;
        return (data[o + 2]! << 16) | (data[o + 1]! << 8) | data[o]!;
      };
      break;
    case CursorType.Color32:
      maskAt = width * height * 4;
      color = (x, y) => view.getUint32((y * width + x) * 4, true) & 0xffffff;
      break;
    default:
      throw new ProtocolError(`cursor type ${type} has no mask`);
  }

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const and = (data[maskAt + y * maskBpl + (x >> 3)]! & (0x80 >> (x & 7))) !== 0;
      const c = color(x, y);
      const o = i * 4;
      if (!and || (c !== 0 && c !== 0xffffff)) {
        cls[i] = OPAQUE;
        rgba[o] = c >> 16;
        rgba[o + 1] = (c >> 8) & 0xff;
        rgba[o + 2] = c & 0xff;
        rgba[o + 3] = 255;
      } else {
        cls[i] = c === 0 ? CLEAR : INVERT; // rgba stays 0 (transparent) for now
      }
    }
  }

  // Outline pass: inverted pixels white, transparent pixels next to them black.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const o = i * 4;
      if (cls[i] === INVERT) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = rgba[o + 3] = 255;
      } else if (cls[i] === CLEAR && touchesInvert(cls, width, height, x, y)) {
        rgba[o + 3] = 255; // black
      }
    }
  }
}

function touchesInvert(cls: Uint8Array, width: number, height: number, x: number, y: number): boolean {
  for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
    for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
      if (cls[ny * width + nx] === INVERT) return true;
    }
  }
  return false;
}

// ---- cache ----

export interface CursorCacheOptions {
  /** Most shapes kept. Default 256. */
  maxEntries?: number;
  /** Most RGBA bytes kept. Default 32 MiB (32 shapes of the largest size). */
  maxBytes?: number;
}

/**
 * Decoded shapes by `unique`, least recently used evicted first. The server tracks what it believes we hold and
 * sends FROM_CACHE for those; if our bound evicted one, {@link resolveCursor} reports a miss and the engine
 * shows its default cursor until the next SET (spice-gtk hides it in the same case).
 */
export class CursorCache {
  private readonly entries = new Map<bigint, CursorImage>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: CursorCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 256);
    this.maxBytes = Math.max(1, options.maxBytes ?? 32 * 1024 * 1024);
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  get(unique: bigint): CursorImage | undefined {
    const image = this.entries.get(unique);
    if (image) {
      this.entries.delete(unique); // refresh recency
      this.entries.set(unique, image);
    }
    return image;
  }

  set(unique: bigint, image: CursorImage): void {
    this.delete(unique);
    this.entries.set(unique, image);
    this.bytes += image.rgba.byteLength;
    for (const [key, old] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (key === unique) continue;
      this.entries.delete(key);
      this.bytes -= old.rgba.byteLength;
    }
  }

  /** INVAL_ONE. */
  delete(unique: bigint): boolean {
    const old = this.entries.get(unique);
    if (!old) return false;
    this.entries.delete(unique);
    this.bytes -= old.rgba.byteLength;
    return true;
  }

  /** INVAL_ALL, RESET and INIT. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

export type ResolvedCursor = { kind: 'none' } | { kind: 'image'; image: CursorImage } | { kind: 'miss'; unique: bigint };

/**
 * What a SpiceCursor from INIT or SET shows: nothing (NONE), a cached shape (FROM_CACHE; 'miss' if we do not
 * have it), or a newly decoded one (stored when CACHE_ME).
 */
export function resolveCursor(cursor: SpiceCursor, cache: CursorCache, options: DecodeOptions = {}): ResolvedCursor {
  if (cursor.flags & CursorFlags.None || cursor.header === null) return { kind: 'none' };
  const { unique } = cursor.header;
  if (cursor.flags & CursorFlags.FromCache) {
    const image = cache.get(unique);
    return image ? { kind: 'image', image } : { kind: 'miss', unique };
  }
  const image = decodeCursorImage(cursor.header, cursor.data, options);
  if (cursor.flags & CursorFlags.CacheMe) cache.set(unique, image);
  return { kind: 'image', image };
}
