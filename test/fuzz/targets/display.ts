/**
 * Fuzz targets for the display channel's pure layers: every display message parser (src/protocol/display.ts),
 * the SPICE Image descriptor with every payload kind resolved through ImageResolver (src/display/images.ts,
 * so caches, palettes, the GLZ window and every codec behind it), and every draw command applied to real
 * surfaces by the display channel's own code (src/display/draw-commands.ts).
 */
import fc from 'fast-check';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import { DRAW_COMMANDS } from '../../../src/display/draw-commands.js';
import { ImageResolver } from '../../../src/display/images.js';
import { Surface, SurfaceFormat, type PixelSource } from '../../../src/display/surface.js';
import { DisplayMsg, ImageFlags } from '../../../src/protocol/constants.js';
import * as msg from '../../../src/protocol/display.js';
import type { SpiceImage } from '../../../src/protocol/display.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import type { FuzzTarget } from '../harness.js';
import { selectorTarget } from './protocol.js';
import {
  capturedSelectorSeeds,
  copyBitsBody,
  drawAlphaBlendBody,
  drawCopyBody,
  drawFillBody,
  drawMaskOnlyBody,
  drawOpaqueBody,
  drawRop3Body,
  drawStrokeBody,
  drawTextBody,
  drawTransparentBody,
  fixtures,
  glzSessionHistory,
  imageStruct,
  maskImage,
  MAX_SEED_BYTES,
  smallBitmapImage,
} from '../seeds.js';

/** Images of every captured kind, small enough to mutate quickly, as Image structures. */
function imageSeeds(): Uint8Array[] {
  const byType = new Map<string, number>();
  const out: Uint8Array[] = [];
  for (const f of fixtures()) {
    if (f.bytes.length > MAX_SEED_BYTES) continue;
    const n = byType.get(f.meta.type) ?? 0;
    if (n >= 4) continue;
    byType.set(f.meta.type, n + 1);
    out.push(imageStruct(f, n === 1 ? ImageFlags.CacheMe : 0, BigInt(100 + out.length)));
  }
  const surfaceImage = new Writer().u64(3n).u8(104).u8(0).u32(32).u32(32).u32(1).finish();
  const fromCache = new Writer().u64(7n).u8(103).u8(0).u32(8).u32(8).finish();
  out.push(smallBitmapImage(), maskImage(), surfaceImage, fromCache);
  return out;
}

/** The state a display channel has: a primary surface, an off-screen one, caches, a GLZ window. */
function world(): { surfaces: Map<number, Surface>; images: ImageResolver } {
  const surfaces = new Map<number, Surface>([
    [0, new Surface(0, 800, 600, SurfaceFormat.Xrgb32)],
    [1, new Surface(1, 32, 32, SurfaceFormat.Argb32)],
  ]);
  const glz = new GlzDictionary(1 << 22);
  for (const e of glzSessionHistory()) glz.add(e.id, e.winHeadDist, e.words);
  const images = new ImageResolver({ pixmapCachePixels: 1 << 16, glz, surface: (id) => surfaces.get(id), later: () => {} });
  // One cached pixmap (id 7, as the FROM_CACHE seeds use) and one cached palette.
  // `void`: a bitmap resolves synchronously (only GLZ images wait, and return a promise).
  void images.resolve(msg.readImage(new Reader(smallBitmapImage(7n)), 0));
  const cached = msg.readImage(new Reader(smallBitmapImage(7n)), 0);
  cached.descriptor.flags = ImageFlags.CacheMe;
  void images.resolve(cached);
  return { surfaces, images };
}

/**
 * Resolves images synchronously; an image that would decode asynchronously (JPEG, which needs a browser, or
 * a GLZ image waiting for one still in flight) ends this input: its rejection is a ProtocolError or nothing.
 */
function resolveAll(images: ImageResolver, list: (SpiceImage | null)[]): (PixelSource | null)[] | null {
  const out: (PixelSource | null)[] = [];
  for (const [i, img] of list.entries()) {
    if (!img) {
      out.push(null);
      continue;
    }
    const r = images.resolve(img, i === 0);
    if (r instanceof Promise) {
      r.catch(() => {});
      return null;
    }
    out.push(r);
  }
  return out;
}

/** The draw commands in selector order: the seeds' ten first, then WHITENESS, INVERS and BLEND. */
const DRAW_ORDER = [
  DisplayMsg.DrawFill,
  DisplayMsg.DrawCopy,
  DisplayMsg.DrawOpaque,
  DisplayMsg.DrawBlackness,
  DisplayMsg.DrawRop3,
  DisplayMsg.DrawTransparent,
  DisplayMsg.DrawAlphaBlend,
  DisplayMsg.DrawStroke,
  DisplayMsg.DrawText,
  DisplayMsg.CopyBits,
  DisplayMsg.DrawWhiteness,
  DisplayMsg.DrawInvers,
  DisplayMsg.DrawBlend,
];

/** Each draw command parsed and applied by the display channel's own code (display/draw-commands.ts). */
const draws = DRAW_ORDER.map((type) => (body: Uint8Array) => {
  const draw = DRAW_COMMANDS.get(type)!(body);
  const { surfaces, images } = world();
  // An unknown surface: the channel ends with a ProtocolError there; nothing to draw.
  const surface = surfaces.get(draw.base.surfaceId);
  const sources = surface && resolveAll(images, draw.images);
  if (surface && sources) draw.apply(surface, sources);
});

function drawSeeds(): [number, Uint8Array][] {
  const imgs = imageSeeds();
  const small = smallBitmapImage();
  const out: [number, Uint8Array][] = [
    [0, drawFillBody('solid')],
    [0, drawFillBody('pattern', maskImage(), true)],
    [0, drawFillBody('solid', maskImage())],
    [2, drawOpaqueBody(small, 'pattern')],
    [3, drawMaskOnlyBody(maskImage())],
    [4, drawRop3Body(small, 0x96)],
    [5, drawTransparentBody(small)],
    [6, drawAlphaBlendBody(small)],
    [7, drawStrokeBody()],
    [8, drawTextBody(1)],
    [8, drawTextBody(4)],
    [8, drawTextBody(8)],
    [9, copyBitsBody()],
    [1, drawCopyBody(small, maskImage(), true)],
  ];
  for (const img of imgs) out.push([1, drawCopyBody(img)]);
  return out;
}

export const displayDrawTarget = selectorTarget('display/draw', draws, drawSeeds(), () =>
  capturedSelectorSeeds('display', {
    [DisplayMsg.DrawFill]: 0,
    [DisplayMsg.DrawCopy]: 1,
    [DisplayMsg.DrawOpaque]: 2,
    [DisplayMsg.DrawBlackness]: 3,
    [DisplayMsg.DrawWhiteness]: 10,
    [DisplayMsg.DrawInvers]: 11,
    [DisplayMsg.DrawBlend]: 12,
    [DisplayMsg.DrawRop3]: 4,
    [DisplayMsg.DrawTransparent]: 5,
    [DisplayMsg.DrawAlphaBlend]: 6,
    [DisplayMsg.DrawStroke]: 7,
    [DisplayMsg.DrawText]: 8,
    [DisplayMsg.CopyBits]: 9,
  }),
);

/**
 * Draws whose cost the message size does not bound by itself: FILLs under clips of up to 1500 rects (which
 * may overlap) and STROKEs of up to 3000 points (near or far off-screen), generated whole as valid messages.
 */
const costRect = fc.record({
  left: fc.integer({ min: -100, max: 900 }),
  top: fc.integer({ min: -100, max: 700 }),
  w: fc.integer({ min: 0, max: 1000 }),
  h: fc.integer({ min: 0, max: 800 }),
});
const costCoord = fc.oneof(fc.integer({ min: -50 << 4, max: 850 << 4 }), fc.constantFrom(-(1 << 30), 1 << 30, -(1 << 24), 1 << 24));
function costBase(w: Writer, clip: { left: number; top: number; w: number; h: number }[]): void {
  w.u32(0).i32(0).i32(0).i32(600).i32(800);
  if (!clip.length) w.u8(0);
  else {
    w.u8(1).u32(clip.length);
    for (const r of clip)
      w.i32(r.top)
        .i32(r.left)
        .i32(r.top + r.h)
        .i32(r.left + r.w);
  }
}
const drawCost: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(fc.array(costRect, { maxLength: 1500, size: 'max' }), fc.integer({ min: 0, max: 15 })).map(([clip, rop]) => {
    const w = new Writer().u8(0);
    costBase(w, clip);
    w.u8(1).u32(0x00ff8040).u16(rop).u8(0).i32(0).i32(0).u32(0);
    return w.finish();
  }),
  fc
    .tuple(
      fc.array(costRect, { maxLength: 300, size: 'max' }),
      fc.array(fc.array(fc.tuple(costCoord, costCoord), { maxLength: 3000, size: 'max' }), { minLength: 1, maxLength: 3 }),
    )
    .map(([clip, segments]) => {
      const w = new Writer().u8(7);
      costBase(w, clip);
      const pathAt = w.length;
      w.u32(0).u8(0).u8(1).u32(0x00ff8040).u16(8).u16(8);
      w.patchU32(pathAt, w.length - 1); // pointers count from the body, after the selector byte
      w.u32(segments.length);
      for (const points of segments) {
        w.u8(0).u32(points.length);
        for (const [x, y] of points) w.i32(x).i32(y);
      }
      return w.finish();
    }),
);

export const displayDrawCostTarget: FuzzTarget = {
  name: 'display/draw-cost',
  seeds: () => [],
  arbitrary: drawCost,
  // About 0.1 s per input (a FILL merging up to 1024 overlapping rects, a stroke of 9000 points).
  unitRuns: 15,
  longRuns: 2000,
  run: (input) => displayDrawTarget.run(input),
};

/** Every parser of a display message, in selector order (each parses only; drawing is display/draw's). */
export const displayParseTarget = selectorTarget(
  'display/parse',
  [
    msg.parseDrawCopy,
    msg.parseDrawFill,
    msg.parseDrawOpaque,
    msg.parseDrawMaskOnly,
    msg.parseDrawRop3,
    msg.parseDrawTransparent,
    msg.parseDrawAlphaBlend,
    msg.parseDrawStroke,
    msg.parseDrawText,
    msg.parseCopyBits,
    msg.parseSurfaceCreate,
    msg.parseSurfaceDestroy,
    msg.parseMode,
    msg.parseInvalList,
    msg.parseInvalOne,
    msg.parseMonitorsConfig,
    msg.parseStreamCreate,
    (b) => msg.parseStreamData(b, false),
    (b) => msg.parseStreamData(b, true),
    msg.parseStreamClip,
    msg.parseStreamDestroy,
    msg.parseStreamActivateReport,
  ],
  [
    [0, drawCopyBody(smallBitmapImage(), maskImage(), true)],
    [1, drawFillBody('pattern', maskImage(), true)],
    [2, drawOpaqueBody(smallBitmapImage(), 'pattern')],
    [3, drawMaskOnlyBody(maskImage())],
    [4, drawRop3Body(smallBitmapImage(), 0x96)],
    [5, drawTransparentBody(smallBitmapImage())],
    [6, drawAlphaBlendBody(smallBitmapImage())],
    [7, drawStrokeBody()],
    [8, drawTextBody(4)],
    [9, copyBitsBody()],
    [10, new Writer().u32(0).u32(1024).u32(768).u32(32).u32(1).finish()],
    [11, new Writer().u32(1).finish()],
    [12, new Writer().u32(640).u32(480).u32(32).finish()],
    [13, new Writer().u16(2).u8(1).u64(5n).u8(1).u64(6n).finish()],
    [14, new Writer().u64(5n).finish()],
    [15, new Writer().u16(2).u16(4).u32(0).u32(0).u32(1024).u32(768).u32(0).u32(0).u32(0).u32(1).u32(0).u32(800).u32(600).u32(1024).u32(0).u32(0).finish()],
    [
      16,
      new Writer()
        .u32(0)
        .u32(3)
        .u8(0)
        .u8(2)
        .u64(9n)
        .u32(320)
        .u32(240)
        .u32(320)
        .u32(240)
        .i32(0)
        .i32(0)
        .i32(240)
        .i32(320)
        .u8(1)
        .u32(1)
        .i32(0)
        .i32(0)
        .i32(10)
        .i32(10)
        .finish(),
    ],
    [
      17,
      new Writer()
        .u32(3)
        .u32(1000)
        .u32(6)
        .bytes(Uint8Array.from([0x10, 2, 0, 0x9d, 1, 0x2a]))
        .finish(),
    ],
    [18, new Writer().u32(3).u32(1000).u32(320).u32(240).i32(0).i32(0).i32(240).i32(320).u32(4).u32(0xdeadbeef).finish()],
    [19, new Writer().u32(3).u8(1).u32(1).i32(0).i32(0).i32(5).i32(5).finish()],
    [20, new Writer().u32(3).finish()],
    [21, new Writer().u32(3).u32(77).u32(20).u32(1000).finish()],
  ],
  () =>
    capturedSelectorSeeds('display', {
      [DisplayMsg.DrawCopy]: 0,
      [DisplayMsg.DrawFill]: 1,
      [DisplayMsg.DrawOpaque]: 2,
      [DisplayMsg.DrawBlackness]: 3,
      [DisplayMsg.DrawRop3]: 4,
      [DisplayMsg.DrawTransparent]: 5,
      [DisplayMsg.DrawAlphaBlend]: 6,
      [DisplayMsg.DrawStroke]: 7,
      [DisplayMsg.DrawText]: 8,
      [DisplayMsg.CopyBits]: 9,
      [DisplayMsg.SurfaceCreate]: 10,
      [DisplayMsg.SurfaceDestroy]: 11,
      [DisplayMsg.Mode]: 12,
      [DisplayMsg.InvalList]: 13,
      [DisplayMsg.InvalPalette]: 14,
      [DisplayMsg.MonitorsConfig]: 15,
      [DisplayMsg.StreamCreate]: 16,
      [DisplayMsg.StreamData]: 17,
      [DisplayMsg.StreamDataSized]: 18,
      [DisplayMsg.StreamClip]: 19,
      [DisplayMsg.StreamDestroy]: 20,
      [DisplayMsg.StreamActivateReport]: 21,
    }),
);

export const displayImageTarget: FuzzTarget = {
  name: 'display/image',
  seeds: imageSeeds,
  run: (input) => {
    const image = msg.readImage(new Reader(input), 0);
    const { images } = world();
    const r = images.resolve(image);
    if (r instanceof Promise) r.catch(() => {});
  },
};

export const displayTargets: FuzzTarget[] = [displayParseTarget, displayImageTarget, displayDrawTarget, displayDrawCostTarget];
