/**
 * Display channel messages (spice.proto DisplayChannel): parsers for every server message and writers for
 * the client's. Body "pointers" (Image *src_bitmap, Palette *, Path *, String *) are u32 offsets from the
 * start of the message body, 0 = none. Parsers return plain objects whose byte fields are views into the
 * message (no copies); every count and size is checked against what the body holds.
 */
import { BitmapFlags, BrushType, ClipType, ImageType } from './constants.js';
import { check, ProtocolError } from './errors.js';
import { limitError, MAX_CLIP_RECTS, MAX_PALETTE_ENTRIES, MAX_PATH_POINTS, MAX_SURFACE_DIMENSION } from './limits.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

// ---------------------------------------------------------------------------------------------------
// Client messages

export interface DisplayInit {
  pixmapCacheId: number;
  /** In pixels. */
  pixmapCacheSize: number;
  glzDictionaryId: number;
  /** In pixels; 0 makes the server never use GLZ. */
  glzDictionaryWindowSize: number;
}
export function writeDisplayInit(m: DisplayInit): Uint8Array {
  return new Writer(14).u8(m.pixmapCacheId).i64(m.pixmapCacheSize).u8(m.glzDictionaryId).i32(m.glzDictionaryWindowSize).finish();
}

export function writePreferredCompression(compression: number): Uint8Array {
  return new Writer(1).u8(compression).finish();
}

export function writePreferredVideoCodecs(codecs: readonly number[]): Uint8Array {
  const w = new Writer(1 + codecs.length).u8(codecs.length);
  for (const c of codecs) w.u8(c);
  return w.finish();
}

export interface StreamReport {
  streamId: number;
  uniqueId: number;
  startFrameMmTime: number;
  endFrameMmTime: number;
  numFrames: number;
  numDrops: number;
  lastFrameDelay: number;
  audioDelay: number;
}
export function writeStreamReport(m: StreamReport): Uint8Array {
  return new Writer(36)
    .u32(m.streamId)
    .u32(m.uniqueId)
    .u32(m.startFrameMmTime)
    .u32(m.endFrameMmTime)
    .u32(m.numFrames)
    .u32(m.numDrops)
    .i32(m.lastFrameDelay)
    .u32(m.audioDelay)
    .finish();
}

// ---------------------------------------------------------------------------------------------------
// Shared structures

/** A SPICE Rect, stored as the drawing code wants it: left/top inclusive, right/bottom exclusive. */
export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
export interface Point {
  x: number;
  y: number;
}

/** Rect on the wire is top, left, bottom, right (i32 each). */
export function readRect(r: Reader): Rect {
  const top = r.i32();
  const left = r.i32();
  const bottom = r.i32();
  const right = r.i32();
  return { left, top, right, bottom };
}
export function readPoint(r: Reader): Point {
  return { x: r.i32(), y: r.i32() };
}

export { MAX_CLIP_RECTS };

/** Clip: type u8; RECTS (1) carries num_rects u32 and the rects inline. null = no clipping. */
export function readClip(r: Reader): Rect[] | null {
  const type = r.u8();
  if (type === ClipType.None) return null;
  check(type === ClipType.Rects, () => `unknown clip type ${type}`);
  const n = r.u32();
  if (n > MAX_CLIP_RECTS) throw limitError(`clip of ${n} rects`, MAX_CLIP_RECTS, 'MAX_CLIP_RECTS');
  check(n * 16 <= r.remaining, () => `clip of ${n} rects in ${r.remaining} bytes`);
  const rects: Rect[] = [];
  for (let i = 0; i < n; i++) rects.push(readRect(r));
  return rects;
}

export interface DisplayBase {
  surfaceId: number;
  box: Rect;
  clip: Rect[] | null;
}
export function readDisplayBase(r: Reader): DisplayBase {
  return { surfaceId: r.u32(), box: readRect(r), clip: readClip(r) };
}

// ---------------------------------------------------------------------------------------------------
// Images

export interface ImageDescriptor {
  /** Cache key (u64 as bigint: ids use all 64 bits). */
  id: bigint;
  type: number;
  flags: number;
  width: number;
  height: number;
}

export interface PaletteRef {
  /** Palette sent inline (or null when it comes from the cache). */
  palette: { unique: bigint; entries: Uint32Array } | null;
  /** Set when the palette comes from the palette cache. */
  cachedId: bigint | null;
}

export type ImagePayload =
  | { kind: 'bitmap'; format: number; flags: number; width: number; height: number; stride: number; palette: PaletteRef; data: Uint8Array }
  | { kind: 'data'; data: Uint8Array } // QUIC, LZ_RGB, GLZ_RGB, JPEG, LZ4
  | { kind: 'lz-plt'; flags: number; palette: PaletteRef; data: Uint8Array }
  | { kind: 'zlib-glz'; glzSize: number; data: Uint8Array }
  | { kind: 'jpeg-alpha'; flags: number; jpegSize: number; data: Uint8Array }
  | { kind: 'surface'; surfaceId: number }
  | { kind: 'none' }; // FROM_CACHE, FROM_CACHE_LOSSLESS

export interface SpiceImage {
  descriptor: ImageDescriptor;
  payload: ImagePayload;
}

function readPalette(body: Reader, offset: number): { unique: bigint; entries: Uint32Array } {
  const r = body.at(offset);
  const unique = r.u64();
  const n = r.u16();
  if (n > MAX_PALETTE_ENTRIES) throw limitError(`palette of ${n} entries`, MAX_PALETTE_ENTRIES, 'MAX_PALETTE_ENTRIES');
  const entries = new Uint32Array(n);
  for (let i = 0; i < n; i++) entries[i] = r.u32();
  return { unique, entries };
}

function readPaletteRef(r: Reader, body: Reader, flags: number, required: boolean): PaletteRef {
  if (flags & BitmapFlags.PalFromCache) return { palette: null, cachedId: r.u64() };
  const ptr = r.u32();
  if (!ptr) {
    check(!required, 'LZ_PLT image without a palette');
    return { palette: null, cachedId: null };
  }
  return { palette: readPalette(body, ptr), cachedId: null };
}

/** The Image at body offset `ptr`. */
export function readImage(body: Reader, ptr: number): SpiceImage {
  const r = body.at(ptr);
  const descriptor: ImageDescriptor = { id: r.u64(), type: r.u8(), flags: r.u8(), width: r.u32(), height: r.u32() };
  let payload: ImagePayload;
  switch (descriptor.type) {
    case ImageType.Bitmap: {
      const format = r.u8();
      const flags = r.u8();
      const width = r.u32();
      const height = r.u32();
      const stride = r.u32();
      const palette = readPaletteRef(r, body, flags, false);
      const size = stride * height;
      check(size <= r.remaining, () => `bitmap of ${stride}x${height} bytes in ${r.remaining}`);
      payload = { kind: 'bitmap', format, flags, width, height, stride, palette, data: r.bytesView(size) };
      break;
    }
    case ImageType.Quic:
    case ImageType.LzRgb:
    case ImageType.GlzRgb:
    case ImageType.Jpeg:
    case ImageType.Lz4: {
      const size = r.u32();
      payload = { kind: 'data', data: r.bytesView(size) };
      break;
    }
    case ImageType.LzPlt: {
      const flags = r.u8();
      const size = r.u32();
      const palette = readPaletteRef(r, body, flags, true);
      payload = { kind: 'lz-plt', flags, palette, data: r.bytesView(size) };
      break;
    }
    case ImageType.ZlibGlzRgb: {
      const glzSize = r.u32();
      const size = r.u32();
      payload = { kind: 'zlib-glz', glzSize, data: r.bytesView(size) };
      break;
    }
    case ImageType.JpegAlpha: {
      const flags = r.u8();
      const jpegSize = r.u32();
      const size = r.u32();
      check(jpegSize <= size, () => `JPEG_ALPHA with jpeg_size ${jpegSize} > data_size ${size}`);
      payload = { kind: 'jpeg-alpha', flags, jpegSize, data: r.bytesView(size) };
      break;
    }
    case ImageType.Surface:
      payload = { kind: 'surface', surfaceId: r.u32() };
      break;
    case ImageType.FromCache:
    case ImageType.FromCacheLossless:
      payload = { kind: 'none' };
      break;
    default:
      throw new ProtocolError(`unknown image type ${descriptor.type}`);
  }
  return { descriptor, payload };
}

function readImagePtr(r: Reader): SpiceImage | null {
  const ptr = r.u32();
  return ptr ? readImage(r.at(0), ptr) : null;
}

export interface QMask {
  flags: number;
  pos: Point;
  bitmap: SpiceImage | null;
}
export function readQMask(r: Reader): QMask {
  return { flags: r.u8(), pos: readPoint(r), bitmap: readImagePtr(r) };
}

export type Brush = { type: 'none' } | { type: 'solid'; color: number } | { type: 'pattern'; pattern: SpiceImage; pos: Point };

export function readBrush(r: Reader): Brush {
  const type = r.u8();
  if (type === BrushType.None) return { type: 'none' };
  if (type === BrushType.Solid) return { type: 'solid', color: r.u32() };
  check(type === BrushType.Pattern, () => `unknown brush type ${type}`);
  const pattern = readImagePtr(r);
  check(pattern, 'pattern brush without an image');
  return { type: 'pattern', pattern, pos: readPoint(r) };
}

// ---------------------------------------------------------------------------------------------------
// Draw messages

export interface DrawCopy {
  base: DisplayBase;
  src: SpiceImage | null;
  srcArea: Rect;
  rop: number;
  scaleMode: number;
  mask: QMask;
}
/** DRAW_COPY and DRAW_BLEND share this layout. */
export function parseDrawCopy(body: Uint8Array): DrawCopy {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const src = readImagePtr(r);
  return { base, src, srcArea: readRect(r), rop: r.u16(), scaleMode: r.u8(), mask: readQMask(r) };
}

export interface DrawFill {
  base: DisplayBase;
  brush: Brush;
  rop: number;
  mask: QMask;
}
export function parseDrawFill(body: Uint8Array): DrawFill {
  const r = new Reader(body);
  return { base: readDisplayBase(r), brush: readBrush(r), rop: r.u16(), mask: readQMask(r) };
}

export interface DrawOpaque {
  base: DisplayBase;
  src: SpiceImage | null;
  srcArea: Rect;
  brush: Brush;
  rop: number;
  scaleMode: number;
  mask: QMask;
}
export function parseDrawOpaque(body: Uint8Array): DrawOpaque {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const src = readImagePtr(r);
  return { base, src, srcArea: readRect(r), brush: readBrush(r), rop: r.u16(), scaleMode: r.u8(), mask: readQMask(r) };
}

export interface DrawMaskOnly {
  base: DisplayBase;
  mask: QMask;
}
/** DRAW_BLACKNESS, DRAW_WHITENESS, DRAW_INVERS. */
export function parseDrawMaskOnly(body: Uint8Array): DrawMaskOnly {
  const r = new Reader(body);
  return { base: readDisplayBase(r), mask: readQMask(r) };
}

export interface DrawRop3 {
  base: DisplayBase;
  src: SpiceImage | null;
  srcArea: Rect;
  brush: Brush;
  rop3: number;
  scaleMode: number;
  mask: QMask;
}
export function parseDrawRop3(body: Uint8Array): DrawRop3 {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const src = readImagePtr(r);
  return { base, src, srcArea: readRect(r), brush: readBrush(r), rop3: r.u8(), scaleMode: r.u8(), mask: readQMask(r) };
}

export interface DrawTransparent {
  base: DisplayBase;
  src: SpiceImage | null;
  srcArea: Rect;
  srcColor: number;
  trueColor: number;
}
export function parseDrawTransparent(body: Uint8Array): DrawTransparent {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const src = readImagePtr(r);
  return { base, src, srcArea: readRect(r), srcColor: r.u32(), trueColor: r.u32() };
}

export interface DrawAlphaBlend {
  base: DisplayBase;
  alphaFlags: number;
  alpha: number;
  src: SpiceImage | null;
  srcArea: Rect;
}
export function parseDrawAlphaBlend(body: Uint8Array): DrawAlphaBlend {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const alphaFlags = r.u8();
  const alpha = r.u8();
  const src = readImagePtr(r);
  return { base, alphaFlags, alpha, src, srcArea: readRect(r) };
}

/** Fixed point 28.4 coordinates of a path. */
export interface PathSegment {
  flags: number;
  points: Point[];
}
export interface DrawStroke {
  base: DisplayBase;
  path: PathSegment[];
  lineFlags: number;
  style: number[];
  brush: Brush;
  foreMode: number;
  backMode: number;
}
export function parseDrawStroke(body: Uint8Array): DrawStroke {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const pathPtr = r.u32();
  check(pathPtr, 'stroke without a path');
  const p = r.at(pathPtr);
  const nseg = p.u32();
  check(nseg * 5 <= p.remaining, () => `path of ${nseg} segments in ${p.remaining} bytes`);
  const path: PathSegment[] = [];
  let total = 0;
  for (let i = 0; i < nseg; i++) {
    const flags = p.u8();
    const count = p.u32();
    total += count;
    if (total > MAX_PATH_POINTS) throw limitError(`path of ${total} points`, MAX_PATH_POINTS, 'MAX_PATH_POINTS');
    check(count * 8 <= p.remaining, () => `path segment of ${count} points in ${p.remaining} bytes`);
    const points: Point[] = [];
    for (let k = 0; k < count; k++) points.push(readPoint(p));
    path.push({ flags, points });
  }
  const lineFlags = r.u8();
  const style: number[] = [];
  if (lineFlags & (1 << 3)) {
    const nseg2 = r.u8();
    const stylePtr = r.u32();
    if (stylePtr) {
      const s = r.at(stylePtr);
      for (let i = 0; i < nseg2; i++) style.push(s.i32());
    }
  }
  return { base, path, lineFlags, style, brush: readBrush(r), foreMode: r.u16(), backMode: r.u16() };
}

export interface RasterGlyph {
  renderPos: Point;
  glyphOrigin: Point;
  width: number;
  height: number;
  data: Uint8Array;
}
export interface DrawText {
  base: DisplayBase;
  /** Bits per glyph pixel: 1, 4 or 8. */
  bpp: number;
  glyphs: RasterGlyph[];
  backArea: Rect;
  foreBrush: Brush;
  backBrush: Brush;
  foreMode: number;
  backMode: number;
}
export function parseDrawText(body: Uint8Array): DrawText {
  const r = new Reader(body);
  const base = readDisplayBase(r);
  const strPtr = r.u32();
  check(strPtr, 'text without a string');
  const s = r.at(strPtr);
  const length = s.u16();
  const flags = s.u8();
  const bpp = flags & 1 ? 1 : flags & 2 ? 4 : flags & 4 ? 8 : 0;
  check(bpp, () => `text raster flags ${flags}`);
  const glyphs: RasterGlyph[] = [];
  for (let i = 0; i < length; i++) {
    const renderPos = readPoint(s);
    const glyphOrigin = readPoint(s);
    const width = s.u16();
    const height = s.u16();
    const size = Math.ceil((width * bpp) / 8) * height;
    glyphs.push({ renderPos, glyphOrigin, width, height, data: s.bytesView(size) });
  }
  return { base, bpp, glyphs, backArea: readRect(r), foreBrush: readBrush(r), backBrush: readBrush(r), foreMode: r.u16(), backMode: r.u16() };
}

export interface CopyBits {
  base: DisplayBase;
  srcPos: Point;
}
export function parseCopyBits(body: Uint8Array): CopyBits {
  const r = new Reader(body);
  return { base: readDisplayBase(r), srcPos: readPoint(r) };
}

// ---------------------------------------------------------------------------------------------------
// Surfaces, caches, monitors

export interface SurfaceCreate {
  surfaceId: number;
  width: number;
  height: number;
  format: number;
  flags: number;
}
/** SURFACE_CREATE; a side beyond MAX_SURFACE_DIMENSION is refused here, before anything is allocated for it. */
export function parseSurfaceCreate(body: Uint8Array): SurfaceCreate {
  const r = new Reader(body);
  const m = { surfaceId: r.u32(), width: r.u32(), height: r.u32(), format: r.u32(), flags: r.u32() };
  if (m.width > MAX_SURFACE_DIMENSION || m.height > MAX_SURFACE_DIMENSION) {
    throw limitError(`surface ${m.width}x${m.height}`, `${MAX_SURFACE_DIMENSION}x${MAX_SURFACE_DIMENSION}`, 'MAX_SURFACE_DIMENSION');
  }
  return m;
}

export function parseSurfaceDestroy(body: Uint8Array): { surfaceId: number } {
  return { surfaceId: new Reader(body).u32() };
}

export function parseMode(body: Uint8Array): { width: number; height: number; bits: number } {
  const r = new Reader(body);
  return { width: r.u32(), height: r.u32(), bits: r.u32() };
}

export function parseInvalList(body: Uint8Array): { type: number; id: bigint }[] {
  const r = new Reader(body);
  const count = r.u16();
  check(count * 9 <= r.remaining, () => `INVAL_LIST of ${count} in ${r.remaining} bytes`);
  const out = [];
  for (let i = 0; i < count; i++) out.push({ type: r.u8(), id: r.u64() });
  return out;
}

/** INVAL_PALETTE: the palette id. */
export function parseInvalOne(body: Uint8Array): bigint {
  return new Reader(body).u64();
}

export interface MonitorsConfigHead {
  monitorId: number;
  surfaceId: number;
  width: number;
  height: number;
  x: number;
  y: number;
  flags: number;
}
export function parseMonitorsConfig(body: Uint8Array): { maxAllowed: number; heads: MonitorsConfigHead[] } {
  const r = new Reader(body);
  const count = r.u16();
  const maxAllowed = r.u16();
  check(count * 28 <= r.remaining, () => `MONITORS_CONFIG of ${count} heads in ${r.remaining} bytes`);
  const heads: MonitorsConfigHead[] = [];
  for (let i = 0; i < count; i++) {
    heads.push({ monitorId: r.u32(), surfaceId: r.u32(), width: r.u32(), height: r.u32(), x: r.u32(), y: r.u32(), flags: r.u32() });
  }
  return { maxAllowed, heads };
}

// ---------------------------------------------------------------------------------------------------
// Streams

export interface StreamCreate {
  surfaceId: number;
  id: number;
  flags: number;
  codecType: number;
  stamp: bigint;
  streamWidth: number;
  streamHeight: number;
  srcWidth: number;
  srcHeight: number;
  dest: Rect;
  clip: Rect[] | null;
}
export function parseStreamCreate(body: Uint8Array): StreamCreate {
  const r = new Reader(body);
  return {
    surfaceId: r.u32(),
    id: r.u32(),
    flags: r.u8(),
    codecType: r.u8(),
    stamp: r.u64(),
    streamWidth: r.u32(),
    streamHeight: r.u32(),
    srcWidth: r.u32(),
    srcHeight: r.u32(),
    dest: readRect(r),
    clip: readClip(r),
  };
}

export interface StreamData {
  id: number;
  mmTime: number;
  /** Only in STREAM_DATA_SIZED. */
  width?: number;
  height?: number;
  dest?: Rect;
  data: Uint8Array;
}
export function parseStreamData(body: Uint8Array, sized: boolean): StreamData {
  const r = new Reader(body);
  const id = r.u32();
  const mmTime = r.u32();
  if (!sized) return { id, mmTime, data: r.bytesView(r.u32()) };
  const width = r.u32();
  const height = r.u32();
  const dest = readRect(r);
  return { id, mmTime, width, height, dest, data: r.bytesView(r.u32()) };
}

export function parseStreamClip(body: Uint8Array): { id: number; clip: Rect[] | null } {
  const r = new Reader(body);
  return { id: r.u32(), clip: readClip(r) };
}

export function parseStreamDestroy(body: Uint8Array): { id: number } {
  return { id: new Reader(body).u32() };
}

export interface StreamActivateReport {
  streamId: number;
  uniqueId: number;
  maxWindowSize: number;
  timeoutMs: number;
}
export function parseStreamActivateReport(body: Uint8Array): StreamActivateReport {
  const r = new Reader(body);
  return { streamId: r.u32(), uniqueId: r.u32(), maxWindowSize: r.u32(), timeoutMs: r.u32() };
}
