/**
 * ImageResolver: turns a SPICE Image of a draw command into pixels. It dispatches on the image type to the
 * codecs, keeps the pixmap cache (CACHE_ME / FROM_CACHE / INVAL_LIST / INVAL_ALL_PIXMAPS, bounded by the
 * size announced in DISPLAY_INIT), the palette cache, the session's GLZ dictionary (waiting for images still
 * in flight on another display channel), surfaces used as images, and browser-decoded JPEG. Decoding is
 * synchronous where it can be; only JPEG and GLZ waits return a promise.
 */
import {
  checkDimensions,
  decodeBitmap,
  decodeGlz,
  decodeGlzShared,
  decodeLz,
  decodeLz4,
  decodeLzAlpha,
  decodeQuic,
  decodeZlibGlz,
  readGlzHeader,
  type DecodedImage,
  type GlzDictionary,
  type SpicePalette,
} from '../codecs/index.js';
import { ProtocolError } from '../protocol/errors.js';
import { limitError, MAX_PALETTE_CACHE_ENTRIES, PIXMAP_CACHE_SLACK } from '../protocol/limits.js';
import { BitmapFlags, ImageFlags, ImageType } from '../protocol/constants.js';
import type { PaletteRef, SpiceImage } from '../protocol/display.js';
import { sourceOf, type PixelSource, type Surface } from './surface.js';

/** Decodes a JPEG (in the worker: createImageBitmap/ImageDecoder); rejects with a ProtocolError on bad data. */
export type JpegDecoder = (jpeg: Uint8Array) => Promise<DecodedImage>;

export interface ImageResolverOptions {
  /** Pixmap cache budget in pixels (what DISPLAY_INIT announced). */
  pixmapCachePixels: number;
  glz: GlzDictionary;
  surface(id: number): Surface | undefined;
  jpeg?: JpegDecoder;
  /** How long a GLZ image may wait for the images it references (they may be on another channel). */
  glzWaitMs?: number;
  /** setTimeout (pure modules compile without timer globals). */
  later(fn: () => void, ms: number): void;
  /** Told of every compressed image that arrives: its type, payload bytes and pixels (see CompressionAdvisor). */
  observe?(type: number, bytes: number, pixels: number): void;
}

export class ImageResolver {
  private readonly pixmaps = new Map<bigint, PixelSource>();
  private pixmapPixels = 0;
  private readonly palettes = new Map<bigint, SpicePalette>();
  private glzWaiters: (() => void)[] = [];
  private scratch: Uint8ClampedArray | null = null;
  /** Images resolved so far by type, cache hits included (for diagnostics and tests). */
  readonly typeCounts = new Map<number, number>();

  constructor(private readonly options: ImageResolverOptions) {}

  /**
   * Pixels of `image`, decoded or from a cache. `transient` says the caller draws the pixels at once and
   * keeps nothing: an uncached QUIC, LZ, GLZ or LZ4 image is then decoded into a reused scratch buffer instead of a
   * fresh allocation (which costs as much as the decode itself). At most one image per draw may be transient.
   */
  resolve(image: SpiceImage, transient = false): PixelSource | Promise<PixelSource> {
    const { descriptor } = image;
    this.typeCounts.set(descriptor.type, (this.typeCounts.get(descriptor.type) ?? 0) + 1);
    if (descriptor.type === ImageType.FromCache || descriptor.type === ImageType.FromCacheLossless) {
      const cached = this.pixmaps.get(descriptor.id);
      if (!cached) throw new ProtocolError(`image ${descriptor.id} is not in the pixmap cache`);
      return cached;
    }
    const decoded = this.decode(image, transient && !(descriptor.flags & (ImageFlags.CacheMe | ImageFlags.CacheReplaceMe)));
    if (decoded instanceof Promise) return decoded.then((src) => this.remember(image, checkSize(image, src)));
    return this.remember(image, checkSize(image, decoded));
  }

  /** INVAL_LIST entries of type PIXMAP. */
  invalidate(id: bigint): void {
    const old = this.pixmaps.get(id);
    if (!old) return;
    this.pixmapPixels -= old.width * old.height;
    this.pixmaps.delete(id);
  }

  invalidateAllPixmaps(): void {
    this.pixmaps.clear();
    this.pixmapPixels = 0;
  }

  invalidatePalette(id: bigint): void {
    this.palettes.delete(id);
  }

  invalidateAllPalettes(): void {
    this.palettes.clear();
  }

  get cachedPixmaps(): number {
    return this.pixmaps.size;
  }

  /** Tells GLZ images waiting for references that the dictionary changed (another channel added one). */
  glzChanged(): void {
    const waiters = this.glzWaiters;
    this.glzWaiters = [];
    for (const w of waiters) w();
  }

  private remember(image: SpiceImage, src: PixelSource): PixelSource {
    const { descriptor } = image;
    if (descriptor.flags & (ImageFlags.CacheMe | ImageFlags.CacheReplaceMe)) {
      this.invalidate(descriptor.id);
      const size = src.width * src.height;
      // The server budgets the cache and evicts with INVAL_LIST; a server that overruns it is broken or
      // hostile, and holding its images would grow memory without bound.
      const budget = Math.floor(this.options.pixmapCachePixels * PIXMAP_CACHE_SLACK) + 64;
      if (this.pixmapPixels + size > budget) {
        throw limitError(`the server overran the pixmap cache: ${this.pixmapPixels + size} pixels`, `${budget} pixels`, 'PIXMAP_CACHE_PIXELS');
      }
      this.pixmaps.set(descriptor.id, src);
      this.pixmapPixels += size;
    }
    return src;
  }

  private palette(ref: PaletteRef, cacheMe: boolean): SpicePalette | null {
    if (ref.cachedId !== null) {
      const p = this.palettes.get(ref.cachedId);
      if (!p) throw new ProtocolError(`palette ${ref.cachedId} is not in the palette cache`);
      return p;
    }
    if (ref.palette && cacheMe) {
      if (this.palettes.size >= MAX_PALETTE_CACHE_ENTRIES && !this.palettes.has(ref.palette.unique)) {
        throw limitError(`the server overran the palette cache: ${this.palettes.size + 1} palettes`, MAX_PALETTE_CACHE_ENTRIES, 'MAX_PALETTE_CACHE_ENTRIES');
      }
      this.palettes.set(ref.palette.unique, ref.palette);
    }
    return ref.palette;
  }

  /** The reused output for transient decodes, grown to the largest image (after the size checks). */
  private scratchFor(descriptor: SpiceImage['descriptor']): Uint8ClampedArray {
    checkDimensions('image', descriptor.width, descriptor.height);
    const bytes = descriptor.width * descriptor.height * 4;
    if (!this.scratch || this.scratch.byteLength < bytes) this.scratch = new Uint8ClampedArray(bytes);
    return this.scratch;
  }

  private decode(image: SpiceImage, transient = false): PixelSource | Promise<PixelSource> {
    const { descriptor, payload } = image;
    const out = () => (transient ? this.scratchFor(descriptor) : undefined);
    switch (payload.kind) {
      case 'bitmap': {
        const palette = this.palette(payload.palette, (payload.flags & BitmapFlags.PalCacheMe) !== 0);
        return sourceOf(decodeBitmap(payload.format, payload.width, payload.height, payload.stride, (payload.flags & BitmapFlags.TopDown) !== 0, palette, payload.data));
      }
      case 'lz-plt': {
        const palette = this.palette(payload.palette, (payload.flags & BitmapFlags.PalCacheMe) !== 0);
        return sourceOf(decodeLz(payload.data, palette, undefined, out()));
      }
      case 'zlib-glz':
        return this.glz(payload.data, () => sourceOf(decodeZlibGlz(payload.data, payload.glzSize, this.options.glz)), true);
      case 'jpeg-alpha':
        return this.jpeg(payload.data.subarray(0, payload.jpegSize)).then((img) => {
          decodeLzAlpha(payload.data.subarray(payload.jpegSize), img);
          return sourceOf(img);
        });
      case 'surface': {
        const surface = this.options.surface(payload.surfaceId);
        if (!surface) throw new ProtocolError(`image refers to unknown surface ${payload.surfaceId}`);
        return { width: surface.width, height: surface.height, words: surface.words, hasAlpha: surface.hasAlpha };
      }
      case 'data':
        this.options.observe?.(descriptor.type, payload.data.length, descriptor.width * descriptor.height);
        switch (descriptor.type) {
          case ImageType.Quic:
            return sourceOf(decodeQuic(payload.data, undefined, out()));
          case ImageType.LzRgb:
            return sourceOf(decodeLz(payload.data, null, undefined, out()));
          case ImageType.GlzRgb:
            // A transient GLZ image is drawn from the window's own copy when that is the output (no copy at all).
            return this.glz(
              payload.data,
              () => sourceOf(transient ? decodeGlzShared(payload.data, this.options.glz, this, undefined, out()) : decodeGlz(payload.data, this.options.glz)),
              false,
            );
          case ImageType.Lz4:
            return sourceOf(decodeLz4(payload.data, descriptor.width, descriptor.height, undefined, out()));
          case ImageType.Jpeg:
            return this.jpeg(payload.data).then(sourceOf);
        }
        throw new ProtocolError(`image type ${descriptor.type} carries no data payload`);
      case 'none':
        throw new ProtocolError(`image type ${descriptor.type} has no payload`);
    }
  }

  private jpeg(data: Uint8Array): Promise<DecodedImage> {
    if (!this.options.jpeg) return Promise.reject(new ProtocolError('JPEG images are not supported here'));
    return this.options.jpeg(data);
  }

  /**
   * GLZ images may reference images of the shared window that another display channel has not decoded yet:
   * wait (bounded) for them, then decode. The decode adds the image to the window and wakes other waiters.
   */
  private glz(data: Uint8Array, decode: () => PixelSource, zlib: boolean): PixelSource | Promise<PixelSource> {
    const ready = () => zlib || this.options.glz.missingFor(readGlzHeader(data)).length === 0;
    const run = () => {
      const src = decode();
      this.glzChanged();
      return src;
    };
    if (ready()) return run();
    const deadline = Date.now() + (this.options.glzWaitMs ?? 5000);
    return new Promise<PixelSource>((resolve, reject) => {
      const attempt = () => {
        try {
          if (ready()) return resolve(run());
          if (Date.now() > deadline) return resolve(run()); // decode throws a ProtocolError naming the missing image
          this.glzWaiters.push(attempt);
          this.options.later(() => this.glzChanged(), 50);
        } catch (e) {
          reject(e);
        }
      };
      attempt();
    });
  }
}

/** A payload must decode to the size its descriptor announced (as spice-common requires). */
function checkSize(image: SpiceImage, src: PixelSource): PixelSource {
  const { descriptor, payload } = image;
  if (payload.kind !== 'surface' && (src.width !== descriptor.width || src.height !== descriptor.height)) {
    throw new ProtocolError(`image ${descriptor.id} decodes to ${src.width}x${src.height}, its descriptor says ${descriptor.width}x${descriptor.height}`);
  }
  return src;
}
