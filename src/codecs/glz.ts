/**
 * GLZ images (SPICE_IMAGE_TYPE_GLZ_RGB): LZ whose matches may reach into earlier images. Owns the payload
 * header, the decoder, and `GlzDictionary`, the window of recent images that spice-server's GLZ encoder
 * references by image id. One dictionary per glz_dictionary_id of DISPLAY_INIT: the server shares it across all
 * display channels of the session, so the channels of one session must share one GlzDictionary.
 * Written from the format as spice-gtk's decode-glz.c / decode-glz-tmpl.c decode it.
 *
 * Payload: big-endian header — magic "  ZL", version 1.1, one byte (type in the low 4 bits, top_down in the
 * high 4), width, height, stride (u32), image id (u64), win_head_dist (u32) — then the code. A match encodes a
 * length, a pixel offset and an image distance; distance 0 means "this image, offset pixels back", otherwise
 * "image (id - distance), from its pixel `offset`" counted in the order that image was decoded (stream order,
 * before any flip). `id - win_head_dist` is the oldest image the server may still reference.
 *
 * Memory: images leave the window once no image after them may reference them (the win_head_dist rule of
 * spice-gtk, applied only across a gap-free run of ids because display channels deliver out of order), and
 * never more than `windowPixels` (the DISPLAY_INIT glz_dictionary_window_size) are kept besides the newest
 * image. A reference to an image that is not there is a ProtocolError.
 *
 * Speed: the dictionary hands released images' buffers back to the decoder (`take`), so a steady stream of
 * same-sized images allocates nothing. The window stores an RGB image as its output (alpha 255) and remembers
 * that its decoded alpha, which only a later RGBA image's alpha pass can reference, is 0 everywhere; so the
 * decode writes each pixel once, and `decodeGlzShared` hands a top-down image's window copy to the caller
 * itself (with `out`, the only other pass is a copy). An RGB image that copies from one with other decoded
 * alpha (an RGBA image) is decoded again into two buffers, as spice-gtk's alpha semantics require. Short
 * references into other images are word loops, long ones `set`.
 */
import { ProtocolError } from '../protocol/errors.js';
import { rgb555Words } from './bitmap.js';
import { LzImageType, lzHeaderView, bgrLiterals, copyMatch, stridedCopy, stridedLiterals } from './lz.js';
import {
  type DecodedImage,
  type DecodeLimits,
  ALPHA_MASK,
  DEFAULT_LIMITS,
  LITTLE_ENDIAN,
  allocImage,
  checkDimensions,
  checkPayloadCanFill,
  copyRows,
  flipRows,
  pixelWords,
} from './types.js';

/** Bytes of the GLZ header. */
export const GLZ_HEADER_SIZE = 33;

export interface GlzHeader {
  type: number;
  topDown: boolean;
  width: number;
  height: number;
  stride: number;
  /** The image id (server's GLZ dictionary counter). */
  id: number;
  /** id - winHeadDist is the oldest image this or later images may reference. */
  winHeadDist: number;
}

interface GlzImage {
  id: number;
  winHeadDist: number;
  /**
   * Decoded pixels in stream order (packed RGBA words). With `exactAlpha` the alpha bytes are as spice-gtk
   * decodes them (0 for RGB literals, copied by matches); without, they are all 255 (the image's output) and
   * the decoded alpha is 0 everywhere.
   */
  pixels: Uint32Array;
  exactAlpha: boolean;
}

function truncated(where: string): ProtocolError {
  return new ProtocolError(`glz: payload truncated in ${where}`);
}

/** Reads and checks the big-endian GLZ header. */
export function readGlzHeader(data: Uint8Array): GlzHeader {
  const view = lzHeaderView(data, GLZ_HEADER_SIZE, 'glz');
  const tb = view.getUint8(8);
  const id = view.getBigUint64(21, false);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`glz: image id ${id} too large`);
  return {
    type: tb & 0x0f,
    topDown: tb >> 4 !== 0,
    width: view.getUint32(9, false),
    height: view.getUint32(13, false),
    stride: view.getUint32(17, false),
    id: Number(id),
    winHeadDist: view.getUint32(29, false),
  };
}

/** Released image buffers a dictionary keeps for reuse (a steady stream of one size needs one or two). */
const MAX_SPARES = 2;

/**
 * The GLZ window shared by the display channels of a session: decoded images by id. Create one per
 * DISPLAY_INIT glz_dictionary_id with the window size sent there (in pixels); `clear()` it when the session
 * restarts (a new connection starts the server's dictionary again).
 */
export class GlzDictionary {
  private readonly images = new Map<number, GlzImage>();
  /** Pixel buffers of released images, reused by `take` (the decoder writes every pixel of one). */
  private readonly spare: Uint32Array[] = [];
  /** Buffers handed out by `decodeGlzShared`, by owner: never reused while pinned. */
  private readonly pins = new Map<object, Uint32Array>();
  /** Pinned buffers whose images left the window: spares once unpinned. */
  private readonly releasedPinned = new Set<Uint32Array>();
  private storedPixels = 0;
  /** Lowest id not yet seen in the gap-free run that release decisions are based on (spice-gtk's tail_gap). */
  private tailGap = 0;
  private windowPixels: number;

  /** @param windowPixels the glz_dictionary_window_size sent in DISPLAY_INIT, in pixels. */
  constructor(windowPixels: number) {
    this.windowPixels = Math.max(0, windowPixels);
  }

  /** Drops every image (new session, or the server reset its dictionary). */
  clear(): void {
    this.images.clear();
    this.spare.length = 0;
    this.pins.clear();
    this.releasedPinned.clear();
    this.storedPixels = 0;
    this.tailGap = 0;
  }

  /** Number of images held. */
  get size(): number {
    return this.images.size;
  }

  /** Pixels held across all images. */
  get pixels(): number {
    return this.storedPixels;
  }

  /**
   * A buffer of `n` pixels for the next image to decode: a released image's buffer of that size when there is
   * one (screens send many images of one size; reusing saves allocating and zeroing), else a new one. Its
   * contents are stale: the decoder must write every pixel.
   */
  take(n: number): Uint32Array {
    const spare = this.spare;
    for (let k = spare.length - 1; k >= 0; k--) {
      const buf = spare[k]!;
      if (buf.length === n) {
        spare[k] = spare[spare.length - 1]!;
        spare.pop();
        return buf;
      }
    }
    return new Uint32Array(n);
  }

  /** Keeps `pixels` from reuse until `owner` pins another buffer (see `decodeGlzShared`). */
  pin(owner: object, pixels: Uint32Array): void {
    const old = this.pins.get(owner);
    this.pins.set(owner, pixels);
    if (old !== undefined && old !== pixels && this.releasedPinned.delete(old)) this.recycle(old);
  }

  has(id: number): boolean {
    return this.images.has(id);
  }

  /**
   * Ids the image with this header may reference that have not arrived yet (they may still be in flight on
   * another display channel). Empty when the image can be decoded now. Ids the window already dropped are not
   * listed: they can never arrive.
   */
  missingFor(header: GlzHeader): number[] {
    const missing: number[] = [];
    const from = Math.max(header.id - header.winHeadDist, this.tailGap);
    for (let id = from; id < header.id && missing.length < 64; id++) {
      if (!this.images.has(id)) missing.push(id);
    }
    return missing;
  }

  /** The image `dist` before `id`, or a ProtocolError if it is not in the window. */
  lookup(id: number, dist: number): GlzImage {
    const image = this.images.get(id - dist);
    if (!image) throw new ProtocolError(`glz: image ${id} references image ${id - dist}, which is not in the window`);
    return image;
  }

  /**
   * Adds a decoded image, then drops what no later image can reference and what exceeds the window.
   * @param exactAlpha false when `pixels` hold alpha 255 for an image whose decoded alpha is 0 everywhere.
   */
  add(id: number, winHeadDist: number, pixels: Uint32Array, exactAlpha = true): void {
    const old = this.images.get(id);
    if (old) {
      this.storedPixels -= old.pixels.length;
      if (old.pixels !== pixels) this.recycle(old.pixels);
    }
    this.images.set(id, { id, winHeadDist, pixels, exactAlpha });
    this.storedPixels += pixels.length;

    // Advance the gap-free run; while an earlier id is still missing (in flight on another display channel,
    // and possibly referencing old images), nothing is released by the win_head_dist rule.
    while (this.images.has(this.tailGap)) this.tailGap++;
    const newest = this.images.get(this.tailGap - 1);
    if (newest) this.release(newest.id - newest.winHeadDist);

    // Hard bound: keep at most windowPixels besides the image just added, dropping the oldest first.
    if (this.storedPixels - pixels.length > this.windowPixels) {
      const ids = [...this.images.keys()].sort((a, b) => a - b);
      for (const old of ids) {
        if (this.storedPixels - pixels.length <= this.windowPixels) break;
        if (old === id) continue;
        const dropped = this.images.get(old)!.pixels;
        this.storedPixels -= dropped.length;
        this.images.delete(old);
        this.recycle(dropped);
      }
    }
  }

  /** Drops every image with an id below `oldest`. */
  private release(oldest: number): void {
    for (const [id, image] of this.images) {
      if (id < oldest) {
        this.storedPixels -= image.pixels.length;
        this.images.delete(id);
        this.recycle(image.pixels);
      }
    }
  }

  /** Keeps a released buffer for `take`; a few only (the sizes in use), the oldest spares go first. */
  private recycle(pixels: Uint32Array): void {
    for (const pinned of this.pins.values()) {
      if (pinned === pixels) {
        this.releasedPinned.add(pixels); // still read by its owner: a spare once unpinned
        return;
      }
    }
    if (this.spare.length >= MAX_SPARES) this.spare.shift();
    this.spare.push(pixels);
  }
}

/**
 * Decodes one GLZ_RGB payload against `dict` and adds the image to it.
 * @param out optional buffer to decode into (see `allocImage`): a pooled buffer saves the allocation.
 * @throws ProtocolError on a bad header, an unsupported type (palette and XXXA images are not GLZ-coded by
 *   spice-server and spice-gtk cannot decode them either), an absurd size, corrupt/truncated code, or a
 *   reference to an image that is not in the window.
 */
export function decodeGlz(data: Uint8Array, dict: GlzDictionary, limits: DecodeLimits = DEFAULT_LIMITS, out?: Uint8ClampedArray): DecodedImage {
  return glzDecode(data, dict, limits, out, null);
}

/**
 * Like `decodeGlz`, but where the window's own copy of the image is exactly the output (a top-down image
 * whose window entry holds output alpha: nearly every image), returns that copy instead of copying it:
 * its pixels must only be read, and stay unchanged until `owner`'s next call (the dictionary does not reuse
 * a buffer pinned by an owner). Otherwise decodes into `out` as `decodeGlz` does.
 */
export function decodeGlzShared(data: Uint8Array, dict: GlzDictionary, owner: object, limits: DecodeLimits = DEFAULT_LIMITS, out?: Uint8ClampedArray): DecodedImage {
  return glzDecode(data, dict, limits, out, owner);
}

function glzDecode(data: Uint8Array, dict: GlzDictionary, limits: DecodeLimits, out: Uint8ClampedArray | undefined, owner: object | null): DecodedImage {
  // The pixel loops pack little-endian words (every browser and Node platform is little-endian).
  if (!LITTLE_ENDIAN) throw new Error('glz: big-endian hosts are not supported');
  const h = readGlzHeader(data);
  const { type, width, height, topDown } = h;
  let kind: number;
  switch (type) {
    case LzImageType.Rgb32:
    case LzImageType.Rgb24:
    case LzImageType.Rgba:
      kind = KIND_RGB;
      break;
    case LzImageType.Rgb16:
      kind = KIND_RGB16;
      break;
    default:
      throw new ProtocolError(`glz: unsupported image type ${type}`);
  }
  checkDimensions('glz', width, height, limits);
  const n = width * height;
  checkPayloadCanFill('glz', n, data.length - GLZ_HEADER_SIZE);
  const hasAlpha = type === LzImageType.Rgba;
  const work = dict.take(n);
  let exactAlpha = true;
  let image: DecodedImage | null = null;
  if (n > 0) {
    if (hasAlpha) {
      // RGBA: the RGB pass, then the alpha pass sets every alpha byte; the window entry is the output.
      const ip = glzPass(data, GLZ_HEADER_SIZE, work, null, n, h.id, dict, kind, false);
      glzPass(data, ip, work, null, n, h.id, dict, KIND_ALPHA, false);
    } else if (glzPass(data, GLZ_HEADER_SIZE, work, null, n, h.id, dict, kind, true) >= 0) {
      // The usual case: one pass writes the opaque pixels once, into the window's buffer, which is then the
      // output too (stream order); the window entry needs no alpha of its own (all decoded alpha is 0).
      exactAlpha = false;
    } else {
      // The image references one whose decoded alpha is not all 0 (an RGBA image, or an RGB image that
      // copied from one): decode again keeping the alpha as decoded in the window and the opaque pixels in
      // the output.
      image = allocImage(width, height, hasAlpha, out);
      glzPass(data, GLZ_HEADER_SIZE, work, pixelWords(image), n, h.id, dict, kind, false);
      if (!topDown) flipRows(pixelWords(image), width, height);
    }
  }
  dict.add(h.id, h.winHeadDist, work, exactAlpha);
  if (image !== null) return image;
  if (owner !== null && topDown) {
    dict.pin(owner, work);
    return { width, height, hasAlpha, pixels: new Uint8ClampedArray(work.buffer, work.byteOffset, n * 4) };
  }
  image = allocImage(width, height, hasAlpha, out);
  if (n > 0) copyRows(work, width, pixelWords(image), width, height, topDown, 0);
  return image;
}

const KIND_RGB = 0;
const KIND_RGB16 = 1;
const KIND_ALPHA = 2;

/**
 * One GLZ decode pass over `n` pixels into `out` (stream order). KIND_RGB/KIND_RGB16 write whole pixels: with
 * `opaqueOut`, with alpha 255 (returns -1 at a reference to an image with exact alpha, which would carry
 * alpha that is not 0 into the window); otherwise with the alpha as decoded (literal alpha byte 0, copies
 * carry the source's decoded alpha) and, when `dst` is given, the same pixels with alpha 255 into it.
 * KIND_ALPHA writes only the alpha bytes of `out`. Returns the input offset after the last code byte.
 */
function glzPass(
  src: Uint8Array,
  ip: number,
  out: Uint32Array,
  dst: Uint32Array | null,
  n: number,
  id: number,
  dict: GlzDictionary,
  kind: number,
  opaqueOut: boolean,
): number {
  const srcLen = src.length;
  // Length bias (decode-glz-tmpl.c): none for RGB, +1 for RGB16, +2 for the alpha plane.
  const bias = kind === KIND_RGB ? 0 : kind === KIND_RGB16 ? 1 : 2;
  const lut = kind === KIND_RGB16 ? rgb555Words() : null;
  const out8 = kind === KIND_ALPHA ? new Uint8Array(out.buffer, out.byteOffset, n * 4) : null;
  const rgbOnly = ~ALPHA_MASK;
  const opaque = ALPHA_MASK;
  const literalAlpha = opaqueOut ? opaque : 0;
  let op = 0;
  while (op < n) {
    if (ip >= srcLen) throw truncated('control byte');
    const ctrl = src[ip++]!;
    if (ctrl >= 32) {
      let len = ctrl >> 5;
      let pixelFlag = (ctrl >> 4) & 1;
      let pixelOfs = ctrl & 0x0f;
      if (len === 7) {
        let code: number;
        do {
          if (ip >= srcLen) throw truncated('match length');
          code = src[ip++]!;
          len += code;
        } while (code === 255);
      }
      if (ip + 2 > srcLen) throw truncated('match offset');
      pixelOfs += src[ip++]! << 4;
      let code = src[ip++]!;
      const imageFlag = (code >> 6) & 3;
      let imageDist: number;
      if (!pixelFlag) {
        imageDist = code & 0x3f;
        if (ip + imageFlag > srcLen) throw truncated('image distance');
        for (let k = 0; k < imageFlag; k++) imageDist += src[ip++]! * 2 ** (6 + 8 * k);
      } else {
        pixelFlag = (code >> 5) & 1;
        pixelOfs += (code & 0x1f) << 12;
        imageDist = 0;
        if (ip + imageFlag + pixelFlag > srcLen) throw truncated('image distance');
        for (let k = 0; k < imageFlag; k++) imageDist += src[ip++]! * 2 ** (8 * k);
        if (pixelFlag) {
          code = src[ip++]!;
          pixelOfs += code * 2 ** 17;
        }
      }
      len += bias;
      if (len > n - op) throw new ProtocolError(`glz: match of ${len} pixels overruns the image at pixel ${op}`);
      const end = op + len;

      if (imageDist === 0) {
        pixelOfs += 1;
        const ref = op - pixelOfs;
        if (ref < 0) throw new ProtocolError(`glz: match distance ${pixelOfs} before the start of the image at pixel ${op}`);
        if (out8 === null) {
          copyMatch(out, op, pixelOfs, len);
          // dst holds out | alpha everywhere before op, so the same copy within dst keeps that true
          if (dst !== null) copyMatch(dst, op, pixelOfs, len);
        } else {
          stridedCopy(out8, op * 4 + 3, pixelOfs * 4, len);
        }
        op = end;
      } else {
        const ref = dict.lookup(id, imageDist);
        const other = ref.pixels;
        if (pixelOfs + len > other.length) {
          throw new ProtocolError(`glz: reference to pixels ${pixelOfs}..${pixelOfs + len} of an image of ${other.length}`);
        }
        if (out8 === null) {
          if (opaqueOut && ref.exactAlpha) return -1;
          if (len > 16) out.set(other.subarray(pixelOfs, pixelOfs + len), op);
          else for (let r = pixelOfs, d = op; d < end;) out[d++] = other[r++]!;
          if (dst !== null && !ref.exactAlpha) {
            // stored opaque, decoded alpha 0: only the exact (two-buffer) RGB decode cares
            for (let d = op; d < end; d++) out[d] = out[d]! & rgbOnly;
          }
          if (dst !== null) for (let d = op; d < end; d++) dst[d] = out[d]! | opaque;
          op = end;
        } else if (!ref.exactAlpha) {
          for (let d = op * 4 + 3; op < end; op++, d += 4) out8[d] = 0;
        } else {
          const o8 = new Uint8Array(other.buffer, other.byteOffset, other.length * 4);
          let d = op * 4 + 3;
          let r = pixelOfs * 4 + 3;
          for (; op < end; op++, d += 4, r += 4) out8[d] = o8[r]!;
        }
      }
    } else {
      const count = ctrl + 1;
      if (count > n - op) throw new ProtocolError(`glz: literal run of ${count} pixels overruns the image at pixel ${op}`);
      const end = op + count;
      if (out8 !== null) {
        if (ip + count > srcLen) throw truncated('literal alpha');
        ip = stridedLiterals(src, ip, out8, op * 4 + 3, count);
        op = end;
      } else if (lut === null) {
        if (ip + count * 3 > srcLen) throw truncated('literal pixels');
        if (dst !== null) bgrLiterals(src, ip, dst, op, count, opaque);
        ip = bgrLiterals(src, ip, out, op, count, literalAlpha);
        op = end;
      } else {
        if (ip + count * 2 > srcLen) throw truncated('literal pixels');
        // RGB16 literals widen like pixman's x1r5g5b5; the alpha byte stays 0 as in decode-glz.
        for (; op < end; op++, ip += 2) {
          const v = lut[((src[ip]! << 8) | src[ip + 1]!) & 0x7fff]!;
          out[op] = opaqueOut ? v : v & rgbOnly;
          if (dst !== null) dst[op] = v;
        }
      }
    }
  }
  return ip;
}
