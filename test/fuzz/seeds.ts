/**
 * Seed inputs for the fuzz targets: the image payloads captured from a real Xspice session
 * (test/fixtures/codecs/xspice, see its README) and builders that wrap them in the wire structures around
 * them (SPICE Image descriptors, draw commands), plus small hand-built valid messages for the parsers that
 * have no captured traffic. Everything here is valid input; the harness mutates it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlzDictionary, decodeGlz } from '../../src/codecs/glz.js';
import { BitmapFlags, ImageType } from '../../src/protocol/constants.js';
import { Writer } from '../../src/protocol/writer.js';

export interface FixtureMeta {
  type: string;
  imageType: number;
  width: number;
  height: number;
  session?: string;
  seq?: number;
  glzSize?: number;
  format?: number;
  bitmapFlags?: number;
  bitmapWidth?: number;
  bitmapHeight?: number;
  stride?: number;
  palette?: { unique: string; entries: number[] };
  paletteId?: string;
}

export interface Fixture {
  name: string;
  meta: FixtureMeta;
  bytes: Uint8Array;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/codecs/xspice');

let all: Fixture[] | null = null;

/** Every captured image payload, in capture order per session. */
export function fixtures(): Fixture[] {
  if (all) return all;
  const out: Fixture[] = [];
  for (const name of fs.readdirSync(root)) {
    if (!name.endsWith('.json')) continue;
    const bin = path.join(root, name.replace(/\.json$/, '.bin'));
    if (!fs.existsSync(bin)) continue;
    out.push({ name, meta: JSON.parse(fs.readFileSync(path.join(root, name), 'utf8')) as FixtureMeta, bytes: new Uint8Array(fs.readFileSync(bin)) });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : 1));
  return (all = out);
}

/** Seeds stay small so that a mutated seed decodes in well under a millisecond or two. */
export const MAX_SEED_BYTES = 24 * 1024;

/** Fixtures of one payload type (`quic`, `lz_rgb`, `glz_rgb`, `lz4`, `bitmap`...), small ones only. */
export function fixturesOf(type: string, maxBytes = MAX_SEED_BYTES): Fixture[] {
  return fixtures().filter((f) => f.meta.type === type && f.bytes.length <= maxBytes);
}

/**
 * The GLZ session replayed once: each image's decoded pixels (stream order) with its id and win_head_dist, so
 * a target can start from a dictionary holding exactly what preceded an image without decoding it again.
 */
export interface GlzEntry {
  id: number;
  winHeadDist: number;
  words: Uint32Array;
}
let glzHistory: GlzEntry[] | null = null;
export function glzSessionHistory(): GlzEntry[] {
  if (glzHistory) return glzHistory;
  const dict = new GlzDictionary(64 * 1024 * 1024);
  const out: GlzEntry[] = [];
  for (const f of fixtures().filter((x) => x.meta.type === 'glz_rgb')) {
    const v = new DataView(f.bytes.buffer, f.bytes.byteOffset);
    const image = decodeGlz(f.bytes, dict);
    const words = new Uint32Array(image.pixels.buffer.slice(0));
    // Stream order is what the window holds: undo the top-down flip the decoder did for bottom-up images.
    const topDown = v.getUint8(8) >> 4 !== 0;
    if (!topDown) {
      const w = image.width;
      const flipped = new Uint32Array(words.length);
      for (let y = 0; y < image.height; y++) flipped.set(words.subarray(y * w, y * w + w), (image.height - 1 - y) * w);
      out.push({ id: Number(v.getBigUint64(21, false)), winHeadDist: v.getUint32(29, false), words: flipped });
    } else {
      out.push({ id: Number(v.getBigUint64(21, false)), winHeadDist: v.getUint32(29, false), words });
    }
  }
  return (glzHistory = out);
}

/** A dictionary holding the whole replayed GLZ session (the images every GLZ seed may reference). */
export function glzDictionaryWithHistory(): GlzDictionary {
  const dict = new GlzDictionary(64 * 1024 * 1024);
  for (const e of glzSessionHistory()) dict.add(e.id, e.winHeadDist, e.words);
  return dict;
}

// ---------------------------------------------------------------------------------------------------------
// Captured messages (test/fuzz/corpus, recorded from Xspice by tools/capture-messages.mjs)

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'corpus');

/** The server messages of one channel of the captured session, in order: main, display, cursor or inputs. */
export function capturedMessages(channel: string): { type: number; body: Uint8Array }[] {
  const file = path.join(corpus, `xspice-${channel}.bin`);
  if (!fs.existsSync(file)) return [];
  const b = new Uint8Array(fs.readFileSync(file));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: { type: number; body: Uint8Array }[] = [];
  for (let at = 0; at + 6 <= b.length;) {
    const size = v.getUint32(at + 2, true);
    out.push({ type: v.getUint16(at, true), body: b.slice(at + 6, at + 6 + size) });
    at += 6 + size;
  }
  return out;
}

/**
 * Captured messages of `channel` as selector inputs: a message of type T becomes [index, ...body] when
 * `selector` maps T to the index of its parser; other types are left out.
 */
export function capturedSelectorSeeds(channel: string, selector: Record<number, number>): Uint8Array[] {
  return capturedMessages(channel)
    .filter((m) => selector[m.type] !== undefined)
    .map((m) => {
      const out = new Uint8Array(m.body.length + 1);
      out[0] = selector[m.type]!;
      out.set(m.body, 1);
      return out;
    });
}

/** The first messages of a captured channel as the byte stream the framer cuts (mini headers), up to `max` bytes. */
export function capturedStream(channel: string, max: number): Uint8Array {
  const file = path.join(corpus, `xspice-${channel}.bin`);
  if (!fs.existsSync(file)) return new Uint8Array(0);
  const b = new Uint8Array(fs.readFileSync(file));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let end = 0;
  while (end + 6 <= b.length && end + 6 + v.getUint32(end + 2, true) <= max) end += 6 + v.getUint32(end + 2, true);
  return b.slice(0, end);
}

// ---------------------------------------------------------------------------------------------------------
// SPICE Image structures (spice.proto Image, as src/protocol/display.ts readImage parses it)

/** A fixture's payload as a complete Image structure at offset 0 (pointers relative to its start). */
export function imageStruct(f: Fixture, flags = 0, id = 1n): Uint8Array {
  const m = f.meta;
  const w = new Writer(f.bytes.length + 64);
  w.u64(id).u8(m.imageType).u8(flags).u32(m.width).u32(m.height);
  let palettePtrAt = -1;
  switch (m.imageType) {
    case ImageType.Bitmap: {
      const bflags = (m.bitmapFlags ?? 0) & ~BitmapFlags.PalFromCache;
      w.u8(m.format ?? 0)
        .u8(bflags)
        .u32(m.bitmapWidth ?? m.width)
        .u32(m.bitmapHeight ?? m.height)
        .u32(m.stride ?? 0);
      palettePtrAt = w.length;
      w.u32(0).bytes(f.bytes);
      break;
    }
    case ImageType.LzPlt:
      w.u8(0).u32(f.bytes.length);
      palettePtrAt = w.length;
      w.u32(0).bytes(f.bytes);
      break;
    case ImageType.ZlibGlzRgb:
      w.u32(m.glzSize ?? 0)
        .u32(f.bytes.length)
        .bytes(f.bytes);
      break;
    default:
      w.u32(f.bytes.length).bytes(f.bytes);
  }
  if (palettePtrAt >= 0 && m.palette) {
    w.patchU32(palettePtrAt, w.length);
    w.u64(BigInt(m.palette.unique)).u16(m.palette.entries.length);
    for (const e of m.palette.entries) w.u32(e);
  }
  return w.finish();
}

/** A small 8x8 32-bit BITMAP Image (top-down), for draws that need some image. */
export function smallBitmapImage(id = 7n, format = 8): Uint8Array {
  const w = new Writer();
  w.u64(id).u8(ImageType.Bitmap).u8(0).u32(8).u32(8).u8(format).u8(BitmapFlags.TopDown).u32(8).u32(8).u32(32).u32(0);
  for (let i = 0; i < 64; i++) w.u32(0x00102030 + i * 0x010203);
  return w.finish();
}

/** A 1-bit 16x16 mask Image with a palette pointer of 0. */
export function maskImage(): Uint8Array {
  const w = new Writer();
  w.u64(9n).u8(ImageType.Bitmap).u8(0).u32(16).u32(16).u8(1).u8(BitmapFlags.TopDown).u32(16).u32(16).u32(2).u32(0);
  for (let i = 0; i < 32; i++) w.u8(i & 1 ? 0xf0 : 0x0f);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Display messages

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
const BOX: Box = { left: 4, top: 4, right: 36, bottom: 28 };

function rect(w: Writer, r: Box): void {
  w.i32(r.top).i32(r.left).i32(r.bottom).i32(r.right);
}

/** Body builder with deferred blobs: `ptr(bytes)` writes a u32 that will point at `bytes` appended later. */
class Body {
  readonly w = new Writer(256);
  private readonly blobs: { at: number; bytes: Uint8Array }[] = [];
  ptr(bytes: Uint8Array | null): this {
    if (bytes) this.blobs.push({ at: this.w.length, bytes });
    this.w.u32(0);
    return this;
  }
  finish(): Uint8Array {
    // Image structures carry pointers relative to their own start (palettes): rebase them by the blob's offset.
    for (const b of this.blobs) {
      const at = this.w.length;
      this.w.patchU32(b.at, at);
      this.w.bytes(rebaseImage(b.bytes, at));
    }
    return this.w.finish();
  }
}

/** Shifts the palette pointer of an Image structure built by imageStruct by `by` bytes. */
function rebaseImage(img: Uint8Array, by: number): Uint8Array {
  const out = img.slice();
  if (out.length < 18) return out;
  const v = new DataView(out.buffer);
  const type = out[8];
  const at = type === ImageType.Bitmap ? 18 + 14 : type === ImageType.LzPlt ? 18 + 5 : -1;
  if (at > 0 && at + 4 <= out.length) {
    const p = v.getUint32(at, true);
    if (p) v.setUint32(at, p + by, true);
  }
  return out;
}

function base(b: Body, clip = false, box: Box = BOX): void {
  b.w.u32(0);
  rect(b.w, box);
  if (!clip) b.w.u8(0);
  else {
    b.w.u8(1).u32(2);
    rect(b.w, { left: 0, top: 0, right: 20, bottom: 20 });
    rect(b.w, { left: 20, top: 10, right: 40, bottom: 30 });
  }
}

function qmask(b: Body, mask: Uint8Array | null): void {
  b.w.u8(0).i32(0).i32(0);
  b.ptr(mask);
}

function brush(b: Body, kind: 'none' | 'solid' | 'pattern'): void {
  if (kind === 'none') b.w.u8(0);
  else if (kind === 'solid') b.w.u8(1).u32(0x00ff8040);
  else {
    b.w.u8(2);
    b.ptr(smallBitmapImage(11n));
    b.w.i32(1).i32(2);
  }
}

export function drawCopyBody(src: Uint8Array, mask: Uint8Array | null = null, clip = false): Uint8Array {
  const b = new Body();
  base(b, clip);
  b.ptr(src);
  // The source area lies inside the image (its descriptor's width and height).
  const v = new DataView(src.buffer, src.byteOffset);
  rect(b.w, { left: 0, top: 0, right: Math.min(8, v.getUint32(10, true)), bottom: Math.min(8, v.getUint32(14, true)) });
  b.w.u16(8).u8(1);
  qmask(b, mask);
  return b.finish();
}

export function drawFillBody(kind: 'none' | 'solid' | 'pattern', mask: Uint8Array | null = null, clip = false): Uint8Array {
  const b = new Body();
  base(b, clip);
  brush(b, kind);
  b.w.u16(8);
  qmask(b, mask);
  return b.finish();
}

export function drawOpaqueBody(src: Uint8Array, kind: 'solid' | 'pattern'): Uint8Array {
  const b = new Body();
  base(b);
  b.ptr(src);
  rect(b.w, { left: 0, top: 0, right: 8, bottom: 8 });
  brush(b, kind);
  b.w.u16(8).u8(1);
  qmask(b, null);
  return b.finish();
}

export function drawMaskOnlyBody(mask: Uint8Array | null): Uint8Array {
  const b = new Body();
  base(b, true);
  qmask(b, mask);
  return b.finish();
}

export function drawRop3Body(src: Uint8Array, rop3: number): Uint8Array {
  const b = new Body();
  base(b, false, { left: 4, top: 4, right: 12, bottom: 12 });
  b.ptr(src);
  rect(b.w, { left: 0, top: 0, right: 8, bottom: 8 });
  brush(b, 'solid');
  b.w.u8(rop3).u8(1);
  qmask(b, null);
  return b.finish();
}

export function drawTransparentBody(src: Uint8Array): Uint8Array {
  const b = new Body();
  base(b, false, { left: 4, top: 4, right: 12, bottom: 12 });
  b.ptr(src);
  rect(b.w, { left: 0, top: 0, right: 8, bottom: 8 });
  b.w.u32(0x00102030).u32(0x00102030);
  return b.finish();
}

export function drawAlphaBlendBody(src: Uint8Array): Uint8Array {
  const b = new Body();
  base(b, false, { left: 4, top: 4, right: 12, bottom: 12 });
  b.w.u8(2).u8(0x80);
  b.ptr(src);
  rect(b.w, { left: 0, top: 0, right: 8, bottom: 8 });
  return b.finish();
}

export function drawStrokeBody(): Uint8Array {
  const path = new Writer();
  path.u32(2);
  path
    .u8(1)
    .u32(3)
    .i32(4 << 4)
    .i32(4 << 4)
    .i32(30 << 4)
    .i32(20 << 4)
    .i32(10 << 4)
    .i32(25 << 4);
  path
    .u8(0)
    .u32(2)
    .i32(0)
    .i32(0)
    .i32(-50 << 4)
    .i32(90 << 4);
  const b = new Body();
  base(b);
  b.ptr(path.finish());
  b.w.u8(0); // line flags: no style
  brush(b, 'solid');
  b.w.u16(8).u16(8);
  return b.finish();
}

export function drawTextBody(bpp: 1 | 4 | 8): Uint8Array {
  const s = new Writer();
  s.u16(2).u8(bpp === 1 ? 1 : bpp === 4 ? 2 : 4);
  for (const [x, w, h] of [
    [6, 5, 7],
    [14, 9, 3],
  ] as const) {
    s.i32(x).i32(20).i32(0).i32(-h).u16(w).u16(h);
    const size = Math.ceil((w * bpp) / 8) * h;
    for (let i = 0; i < size; i++) s.u8((i * 37) & 0xff);
  }
  const b = new Body();
  base(b);
  b.ptr(s.finish());
  rect(b.w, BOX);
  brush(b, 'solid');
  brush(b, 'solid');
  b.w.u16(8).u16(8);
  return b.finish();
}

export function copyBitsBody(): Uint8Array {
  const b = new Body();
  base(b, true);
  b.w.i32(2).i32(3);
  return b.finish();
}
