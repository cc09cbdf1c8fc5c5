/**
 * Surface: one SPICE drawing surface (the primary screen or an off-screen target) as packed RGBA words in
 * memory, and every drawing operation the display channel applies to it: fills, copies with ROPs, masks
 * and scaling, COPY_BITS, transparent and alpha-blended copies, ROP3, text glyphs and strokes. Software
 * rendering keeps results exact (the e2e tests compare with spice-gtk pixel for pixel) and lets the
 * presenter push only changed areas to the canvas once per frame. Pure: runs in the worker and in Node.
 */
import type { DecodedImage } from '../codecs/types.js';
import { ALPHA_MASK, SHIFT_A, SHIFT_B, SHIFT_G, SHIFT_R, rgbaWord } from '../codecs/types.js';
import { SurfaceFmt } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import type { Point, Rect } from '../protocol/display.js';
import { clipRegions, union } from './rect.js';
import { rop3Combine, ropdCombiner, type Combine, type RopSource } from './rop.js';
import { strokePixels, type Dashes, type StrokePathSegment } from './stroke.js';

/** SPICE_SURFACE_FMT_* under the names the drawing code uses. */
export const SurfaceFormat = {
  A1: SurfaceFmt.Fmt1A,
  A8: SurfaceFmt.Fmt8A,
  Rgb555: SurfaceFmt.Fmt16555,
  Xrgb32: SurfaceFmt.Fmt32Xrgb,
  Rgb565: SurfaceFmt.Fmt16565,
  Argb32: SurfaceFmt.Fmt32Argb,
} as const;

/** A decoded image as the drawing code reads it: packed RGBA words, rows top-down. */
export interface PixelSource {
  width: number;
  height: number;
  words: Uint32Array;
  hasAlpha: boolean;
}

export function sourceOf(image: DecodedImage): PixelSource {
  return {
    width: image.width,
    height: image.height,
    words: new Uint32Array(image.pixels.buffer, image.pixels.byteOffset, image.width * image.height),
    hasAlpha: image.hasAlpha,
  };
}

/** A QMask resolved to its image: drawing happens where the mask bit is set (or clear with `invert`). */
export interface Mask {
  source: PixelSource;
  pos: Point;
  invert: boolean;
}

/** A brush resolved for drawing: a solid packed colour or a tiled pattern. */
export type Paint = { kind: 'solid'; color: number } | { kind: 'pattern'; source: PixelSource; pos: Point };

const RGB_MASK = ~ALPHA_MASK >>> 0;

/** Where the lines of a stroke may draw: the clipped area's bounding box and, for a clip of several rects, its spans per row. */
interface StrokeTarget {
  area: Rect;
  rows: number[][] | null;
}

export class Surface {
  readonly words: Uint32Array;
  readonly pixels: Uint8ClampedArray;
  readonly bounds: Rect;
  /** Whether alpha is meaningful (32_ARGB and A8 surfaces); otherwise every pixel is opaque. */
  readonly hasAlpha: boolean;
  /** The area changed since the presenter last took it. */
  private dirty: Rect | null = null;

  constructor(
    readonly id: number,
    readonly width: number,
    readonly height: number,
    readonly format: number,
  ) {
    if (!Object.values(SurfaceFormat).includes(format as never)) throw new ProtocolError(`unknown surface format ${format}`);
    this.pixels = new Uint8ClampedArray(width * height * 4);
    this.words = new Uint32Array(this.pixels.buffer);
    this.bounds = { left: 0, top: 0, right: width, bottom: height };
    this.hasAlpha = format === SurfaceFormat.Argb32 || format === SurfaceFormat.A8 || format === SurfaceFormat.A1;
    if (!this.hasAlpha) this.words.fill(ALPHA_MASK);
  }

  /** Takes and resets the changed area. */
  takeDirty(): Rect | null {
    const d = this.dirty;
    this.dirty = null;
    return d;
  }

  markDirty(r: Rect): void {
    this.dirty = union(this.dirty, r);
  }

  /** A SPICE colour (brush, transparent key) in this surface's format as a packed opaque RGBA word. */
  color(value: number): number {
    if (this.format === SurfaceFormat.Rgb555) {
      const r = (value >> 10) & 31,
        g = (value >> 5) & 31,
        b = value & 31;
      return rgbaWord((r << 3) | (r >> 2), (g << 3) | (g >> 2), (b << 3) | (b >> 2), 255);
    }
    if (this.format === SurfaceFormat.Rgb565) {
      const r = (value >> 11) & 31,
        g = (value >> 5) & 63,
        b = value & 31;
      return rgbaWord((r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2), 255);
    }
    const a = this.hasAlpha ? (value >>> 24) & 0xff : 255;
    return rgbaWord((value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff, a);
  }

  /** What an opaque surface keeps of a computed word: colour bits, alpha forced to 255. */
  private finish(w: number): number {
    return this.hasAlpha ? w >>> 0 : (w | ALPHA_MASK) >>> 0;
  }

  // -------------------------------------------------------------------------------------------------
  // Fills

  /** DRAW_FILL (and BLACKNESS/WHITENESS/INVERS through `ropd`). */
  fill(box: Rect, clip: readonly Rect[] | null, paint: Paint, ropd: number, mask: Mask | null): void {
    const combine = ropdCombiner(ropd, 'brush');
    for (const r of clipRegions(box, clip, this.bounds)) {
      for (let y = r.top; y < r.bottom; y++) {
        const row = y * this.width;
        for (let x = r.left; x < r.right; x++) {
          if (mask && !maskBit(mask, box, x, y)) continue;
          const s = paint.kind === 'solid' ? paint.color : patternAt(paint, x, y);
          const i = row + x;
          this.words[i] = this.finish(combine ? combine(s, this.words[i]!) : s);
        }
      }
      this.markDirty(r);
    }
  }

  /** Solid fill without ROP or mask: the common case, one `fill()` of a typed array per row. */
  fillSolid(box: Rect, clip: readonly Rect[] | null, color: number): void {
    const c = this.finish(color);
    for (const r of clipRegions(box, clip, this.bounds)) {
      for (let y = r.top; y < r.bottom; y++) this.words.fill(c, y * this.width + r.left, y * this.width + r.right);
      this.markDirty(r);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Copies

  /**
   * DRAW_COPY / DRAW_BLEND: `srcArea` of `src` onto `box`, scaled when the sizes differ (nearest or
   * bilinear per `scaleMode`), combined through the ROP descriptor, where `mask` allows.
   */
  copy(src: PixelSource, srcArea: Rect, box: Rect, clip: readonly Rect[] | null, ropd: number, scaleMode: number, mask: Mask | null, source: RopSource = 'src'): void {
    const combine = ropdCombiner(ropd, source);
    const scaled = srcArea.right - srcArea.left !== box.right - box.left || srcArea.bottom - srcArea.top !== box.bottom - box.top;
    for (const r of clipRegions(box, clip, this.bounds)) {
      if (!scaled && !combine && !mask) this.copyFast(src, srcArea, box, r);
      else this.copyGeneral(src, srcArea, box, r, combine, scaled, scaleMode, mask);
      this.markDirty(r);
    }
  }

  private copyFast(src: PixelSource, srcArea: Rect, box: Rect, r: Rect): void {
    const dx = srcArea.left - box.left;
    const dy = srcArea.top - box.top;
    checkSourceArea(src, r.left + dx, r.top + dy, r.right + dx, r.bottom + dy);
    const keepAlpha = this.hasAlpha && src.hasAlpha;
    const force = this.hasAlpha ? (src.hasAlpha ? 0 : ALPHA_MASK) : ALPHA_MASK;
    const n = r.right - r.left;
    for (let y = r.top; y < r.bottom; y++) {
      const s = (y + dy) * src.width + r.left + dx;
      const d = y * this.width + r.left;
      if (keepAlpha || (!src.hasAlpha && force === ALPHA_MASK)) {
        // Sources without alpha are already opaque; sources with alpha onto an ARGB surface keep it.
        this.words.set(src.words.subarray(s, s + n), d);
        if (src.hasAlpha && !keepAlpha) for (let x = 0; x < n; x++) this.words[d + x] = (this.words[d + x]! | force) >>> 0;
      } else {
        for (let x = 0; x < n; x++) this.words[d + x] = (src.words[s + x]! | force) >>> 0;
      }
    }
  }

  private copyGeneral(src: PixelSource, srcArea: Rect, box: Rect, r: Rect, combine: Combine | null, scaled: boolean, scaleMode: number, mask: Mask | null): void {
    const bw = box.right - box.left;
    const bh = box.bottom - box.top;
    const sw = srcArea.right - srcArea.left;
    const sh = srcArea.bottom - srcArea.top;
    if (!scaled)
      checkSourceArea(src, r.left - box.left + srcArea.left, r.top - box.top + srcArea.top, r.right - box.left + srcArea.left, r.bottom - box.top + srcArea.top);
    else checkSourceArea(src, srcArea.left, srcArea.top, srcArea.right, srcArea.bottom);
    const bilinear = scaled && scaleMode === 0;
    for (let y = r.top; y < r.bottom; y++) {
      const row = y * this.width;
      for (let x = r.left; x < r.right; x++) {
        if (mask && !maskBit(mask, box, x, y)) continue;
        let s: number;
        if (!scaled) s = src.words[(y - box.top + srcArea.top) * src.width + (x - box.left + srcArea.left)]!;
        else if (bilinear) s = sampleBilinear(src, srcArea.left + ((x - box.left + 0.5) * sw) / bw - 0.5, srcArea.top + ((y - box.top + 0.5) * sh) / bh - 0.5, srcArea);
        else {
          const sx = srcArea.left + Math.min(sw - 1, Math.floor(((x - box.left) * sw) / bw));
          const sy = srcArea.top + Math.min(sh - 1, Math.floor(((y - box.top) * sh) / bh));
          s = src.words[sy * src.width + sx]!;
        }
        const i = row + x;
        this.words[i] = this.finish(combine ? combine(s, this.words[i]!) : s);
      }
    }
  }

  /** COPY_BITS: a rectangle of this surface moved to `box` (areas may overlap). */
  copyBits(srcPos: Point, box: Rect, clip: readonly Rect[] | null): void {
    const dx = srcPos.x - box.left;
    const dy = srcPos.y - box.top;
    for (const r of clipRegions(box, clip, this.bounds)) {
      checkSourceArea(this, r.left + dx, r.top + dy, r.right + dx, r.bottom + dy);
      const n = r.right - r.left;
      // copyWithin handles overlap inside a row. Across rows, read each source row before it is
      // overwritten: top-down when the source lies below the destination, bottom-up when above.
      if (dy > 0) {
        for (let y = r.top; y < r.bottom; y++) {
          const s = (y + dy) * this.width + r.left + dx;
          this.words.copyWithin(y * this.width + r.left, s, s + n);
        }
      } else {
        for (let y = r.bottom - 1; y >= r.top; y--) {
          const s = (y + dy) * this.width + r.left + dx;
          this.words.copyWithin(y * this.width + r.left, s, s + n);
        }
      }
      this.markDirty(r);
    }
  }

  /** DRAW_TRANSPARENT: source pixels whose colour equals `key` (24 bits) are not drawn. */
  transparent(src: PixelSource, srcArea: Rect, box: Rect, clip: readonly Rect[] | null, key: number): void {
    const keyRgb = this.color(key) & RGB_MASK;
    for (const r of clipRegions(box, clip, this.bounds)) {
      const dx = srcArea.left - box.left;
      const dy = srcArea.top - box.top;
      checkSourceArea(src, r.left + dx, r.top + dy, r.right + dx, r.bottom + dy);
      for (let y = r.top; y < r.bottom; y++) {
        for (let x = r.left; x < r.right; x++) {
          const s = src.words[(y + dy) * src.width + x + dx]!;
          if ((s & RGB_MASK) !== keyRgb) this.words[y * this.width + x] = this.finish(s);
        }
      }
      this.markDirty(r);
    }
  }

  /**
   * DRAW_ALPHA_BLEND: source over destination with the constant `alpha` (0..255) times the source's own
   * alpha when `srcHasAlpha`; scaled like a copy when the areas differ. Colours are treated as premultiplied
   * when the source has alpha (as QXL drivers send them).
   */
  alphaBlend(src: PixelSource, srcArea: Rect, box: Rect, clip: readonly Rect[] | null, alpha: number, srcHasAlpha: boolean): void {
    const bw = box.right - box.left;
    const bh = box.bottom - box.top;
    const sw = srcArea.right - srcArea.left;
    const sh = srcArea.bottom - srcArea.top;
    checkSourceArea(src, srcArea.left, srcArea.top, srcArea.right, srcArea.bottom);
    for (const r of clipRegions(box, clip, this.bounds)) {
      for (let y = r.top; y < r.bottom; y++) {
        const sy = srcArea.top + Math.min(sh - 1, Math.floor(((y - box.top) * sh) / bh));
        for (let x = r.left; x < r.right; x++) {
          const sx = srcArea.left + Math.min(sw - 1, Math.floor(((x - box.left) * sw) / bw));
          const i = y * this.width + x;
          this.words[i] = this.finish(blendOver(src.words[sy * src.width + sx]!, this.words[i]!, alpha, srcHasAlpha));
        }
      }
      this.markDirty(r);
    }
  }

  /** DRAW_ROP3: brush, source and destination combined bitwise by the ternary raster operation. */
  rop3(src: PixelSource, srcArea: Rect, box: Rect, clip: readonly Rect[] | null, paint: Paint, rop3: number, mask: Mask | null): void {
    const dx = srcArea.left - box.left;
    const dy = srcArea.top - box.top;
    for (const r of clipRegions(box, clip, this.bounds)) {
      checkSourceArea(src, r.left + dx, r.top + dy, r.right + dx, r.bottom + dy);
      for (let y = r.top; y < r.bottom; y++) {
        for (let x = r.left; x < r.right; x++) {
          if (mask && !maskBit(mask, box, x, y)) continue;
          const p = paint.kind === 'solid' ? paint.color : patternAt(paint, x, y);
          const i = y * this.width + x;
          this.words[i] = this.finish(rop3Combine(rop3, p, src.words[(y + dy) * src.width + x + dx]!, this.words[i]!));
        }
      }
      this.markDirty(r);
    }
  }

  /**
   * Glyphs of DRAW_TEXT: 1-bit glyphs set pixels to the fore colour; 4- and 8-bit glyphs are coverage
   * values blended between destination and fore colour.
   */
  glyph(
    x0: number,
    y0: number,
    width: number,
    height: number,
    bpp: number,
    data: Uint8Array,
    clipBox: Rect,
    clip: readonly Rect[] | null,
    paint: Paint,
    ropd: number,
  ): void {
    const box = { left: x0, top: y0, right: x0 + width, bottom: y0 + height };
    const combine = ropdCombiner(ropd, 'brush');
    const stride = Math.ceil((width * bpp) / 8);
    for (const region of clipRegions(box, clip, this.bounds)) {
      const r = clipRegions(region, null, clipBox)[0];
      if (!r) continue;
      for (let y = r.top; y < r.bottom; y++) {
        for (let x = r.left; x < r.right; x++) {
          const gx = x - x0;
          const gy = y - y0;
          let coverage: number;
          if (bpp === 1) coverage = (data[gy * stride + (gx >> 3)]! >> (7 - (gx & 7))) & 1 ? 255 : 0;
          else if (bpp === 4) coverage = ((data[gy * stride + (gx >> 1)]! >> (gx & 1 ? 0 : 4)) & 15) * 17;
          else coverage = data[gy * stride + gx]!;
          if (!coverage) continue;
          const i = y * this.width + x;
          const fore = paint.kind === 'solid' ? paint.color : patternAt(paint, x, y);
          const s = combine ? combine(fore, this.words[i]!) : fore;
          this.words[i] = this.finish(coverage === 255 ? s : mix(s, this.words[i]!, coverage));
        }
      }
      this.markDirty(r);
    }
  }

  /**
   * DRAW_STROKE: paints the pixels of `path` (28.4 fixed point) as stroke.ts rasterises it (cosmetic
   * one-pixel lines, CapNotLast, optional dashes), inside `box` and `clip`, with `paint` combined by `ropd`.
   * The clip is resolved once per stroke into spans per row, so each pixel tests only its row; a stroke of
   * more than MAX_STROKE_STEPS pixels is refused (stroke.ts throws the limit error).
   */
  stroke(path: readonly StrokePathSegment[], dashes: Dashes | null, clip: readonly Rect[] | null, box: Rect, paint: Paint, ropd: number): void {
    const combine = ropdCombiner(ropd, 'brush');
    const target = this.strokeTarget(clip, box);
    if (!target) return;
    const { area, rows } = target;
    strokePixels(
      path,
      dashes,
      (x, y) => {
        if (x < area.left || x >= area.right || y < area.top || y >= area.bottom) return;
        if (rows) {
          const spans = rows[y - area.top]!;
          let hit = false;
          for (let k = 0; k < spans.length; k += 2) {
            if (x >= spans[k]! && x < spans[k + 1]!) {
              hit = true;
              break;
            }
          }
          if (!hit) return;
        }
        const i = y * this.width + x;
        const s = paint.kind === 'solid' ? paint.color : patternAt(paint, x, y);
        this.words[i] = this.finish(combine ? combine(s, this.words[i]!) : s);
      },
      area,
    );
    this.markDirty(area);
  }

  /** Where a stroke may draw: the clipped area's bounding box and, for a clip of several rects, its spans per row. */
  private strokeTarget(clip: readonly Rect[] | null, box: Rect): StrokeTarget | null {
    const regions = clipRegions(box, clip, this.bounds);
    const area = regions.reduce<Rect | null>((a, r) => union(a, r), null);
    if (!area) return null;
    if (regions.length === 1) return { area, rows: null };
    const rows: number[][] = Array.from({ length: area.bottom - area.top }, () => []);
    for (const r of regions) for (let y = r.top; y < r.bottom; y++) rows[y - area.top]!.push(r.left, r.right);
    return { area, rows };
  }

  /** A copy of an area as a PixelSource (for images of type SURFACE that overlap their destination). */
  snapshot(area: Rect = this.bounds): PixelSource {
    const w = area.right - area.left;
    const h = area.bottom - area.top;
    checkSourceArea(this, area.left, area.top, area.right, area.bottom);
    const words = new Uint32Array(w * h);
    for (let y = 0; y < h; y++) words.set(this.words.subarray((area.top + y) * this.width + area.left, (area.top + y) * this.width + area.right), y * w);
    return { width: w, height: h, words, hasAlpha: this.hasAlpha };
  }
}

/** Refuses source areas outside the source image: a server bug or hostile input, never a crash. */
function checkSourceArea(src: { width: number; height: number }, left: number, top: number, right: number, bottom: number): void {
  if (left < 0 || top < 0 || right > src.width || bottom > src.height || left > right || top > bottom) {
    throw new ProtocolError(`source area ${left},${top}-${right},${bottom} outside a ${src.width}x${src.height} image`);
  }
}

function maskBit(mask: Mask, box: Rect, x: number, y: number): boolean {
  const mx = x - box.left + mask.pos.x;
  const my = y - box.top + mask.pos.y;
  let on = false;
  if (mx >= 0 && my >= 0 && mx < mask.source.width && my < mask.source.height) on = (mask.source.words[my * mask.source.width + mx]! & RGB_MASK) !== 0;
  return on !== mask.invert;
}

function patternAt(paint: Extract<Paint, { kind: 'pattern' }>, x: number, y: number): number {
  const { source, pos } = paint;
  const px = (((x - pos.x) % source.width) + source.width) % source.width;
  const py = (((y - pos.y) % source.height) + source.height) % source.height;
  return source.words[py * source.width + px]!;
}

function channel(w: number, shift: number): number {
  return (w >>> shift) & 0xff;
}

/** `a` weighted by coverage/255 over `b`, per colour channel, rounded. */
function mix(a: number, b: number, coverage: number): number {
  const inv = 255 - coverage;
  const r = Math.round((channel(a, SHIFT_R) * coverage + channel(b, SHIFT_R) * inv) / 255);
  const g = Math.round((channel(a, SHIFT_G) * coverage + channel(b, SHIFT_G) * inv) / 255);
  const bl = Math.round((channel(a, SHIFT_B) * coverage + channel(b, SHIFT_B) * inv) / 255);
  return rgbaWord(r, g, bl, 255);
}

/** Premultiplied OVER with a global alpha. */
function blendOver(s: number, d: number, alpha: number, srcHasAlpha: boolean): number {
  const sa = srcHasAlpha ? channel(s, SHIFT_A) : 255;
  const a = (sa * alpha) / 255;
  const k = alpha / 255;
  const inv = 1 - a / 255;
  const r = Math.min(255, Math.round(channel(s, SHIFT_R) * k + channel(d, SHIFT_R) * inv));
  const g = Math.min(255, Math.round(channel(s, SHIFT_G) * k + channel(d, SHIFT_G) * inv));
  const b = Math.min(255, Math.round(channel(s, SHIFT_B) * k + channel(d, SHIFT_B) * inv));
  const da = Math.min(255, Math.round(a + channel(d, SHIFT_A) * inv));
  return rgbaWord(r, g, b, da);
}

function sampleBilinear(src: PixelSource, fx: number, fy: number, area: Rect): number {
  const x0 = Math.max(area.left, Math.min(area.right - 1, Math.floor(fx)));
  const y0 = Math.max(area.top, Math.min(area.bottom - 1, Math.floor(fy)));
  const x1 = Math.min(area.right - 1, x0 + 1);
  const y1 = Math.min(area.bottom - 1, y0 + 1);
  const tx = Math.max(0, Math.min(1, fx - x0));
  const ty = Math.max(0, Math.min(1, fy - y0));
  const p00 = src.words[y0 * src.width + x0]!,
    p10 = src.words[y0 * src.width + x1]!;
  const p01 = src.words[y1 * src.width + x0]!,
    p11 = src.words[y1 * src.width + x1]!;
  const lerp = (shift: number) => {
    const top = channel(p00, shift) * (1 - tx) + channel(p10, shift) * tx;
    const bottom = channel(p01, shift) * (1 - tx) + channel(p11, shift) * tx;
    return Math.round(top * (1 - ty) + bottom * ty);
  };
  return rgbaWord(lerp(SHIFT_R), lerp(SHIFT_G), lerp(SHIFT_B), lerp(SHIFT_A));
}
