import { describe, expect, it } from 'vitest';
import { DRAW_COMMANDS } from '../../../src/display/draw-commands.js';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import { ImageResolver } from '../../../src/display/images.js';
import { Surface, SurfaceFormat, type PixelSource } from '../../../src/display/surface.js';
import { DisplayMsg } from '../../../src/protocol/constants.js';
import type { SpiceImage } from '../../../src/protocol/display.js';
import { copyBitsBody, drawCopyBody, drawFillBody, drawMaskOnlyBody, maskImage, smallBitmapImage } from '../../fuzz/seeds.js';

/** The draw-commands seeds draw into the box (4,4)-(36,28); clipped ones into two rects inside it. */
const BOX = { left: 4, top: 4, right: 36, bottom: 28 };

function resolver(surfaces: Map<number, Surface>): ImageResolver {
  return new ImageResolver({ pixmapCachePixels: 1 << 16, glz: new GlzDictionary(1 << 20), surface: (id) => surfaces.get(id), later: () => {} });
}

function run(type: number, body: Uint8Array, surface = new Surface(0, 64, 48, SurfaceFormat.Xrgb32)) {
  const draw = DRAW_COMMANDS.get(type)!(body);
  const images = resolver(new Map([[0, surface]]));
  const sources = draw.images.map((img: SpiceImage | null, i) => (img ? (images.resolve(img, i === 0) as PixelSource) : null));
  return { drew: draw.apply(surface, sources), surface, draw };
}

const at = (s: Surface, x: number, y: number) => s.words[y * s.width + x]!;

describe('draw commands', () => {
  it('has a parser for COPY_BITS and every DRAW_* message the display channel handles', () => {
    // DRAW_COMPOSITE needs the COMPOSITE capability, which the client does not announce.
    const draws = Object.entries(DisplayMsg).filter(([name]) => (name.startsWith('Draw') && name !== 'DrawComposite') || name === 'CopyBits');
    expect(draws.length).toBe(13);
    for (const [name, type] of draws) expect(DRAW_COMMANDS.has(type), name).toBe(true);
  });

  it('DRAW_FILL with a solid brush paints the box in the brush colour, and nothing outside it', () => {
    const { drew, surface, draw } = run(DisplayMsg.DrawFill, drawFillBody('solid'));
    expect(drew).toBe(true);
    expect(draw.images).toEqual([null, null]);
    const painted = at(surface, BOX.left, BOX.top);
    expect(painted).toBe(at(surface, BOX.right - 1, BOX.bottom - 1));
    expect(painted).not.toBe(at(surface, BOX.left - 1, BOX.top));
    expect(painted).toBe(surface.color(0x00ff8040));
    expect(at(surface, BOX.right, BOX.bottom)).toBe(at(surface, 0, 0));
  });

  it('DRAW_FILL with a pattern brush whose image did not resolve draws nothing', () => {
    const draw = DRAW_COMMANDS.get(DisplayMsg.DrawFill)!(drawFillBody('pattern'));
    const surface = new Surface(0, 64, 48, SurfaceFormat.Xrgb32);
    const before = surface.words.slice();
    expect(draw.images[0]).not.toBeNull();
    expect(draw.apply(surface, [null, null])).toBe(false);
    expect(surface.words).toEqual(before);
  });

  it('DRAW_COPY puts the source bitmap at the box, scaled to it', () => {
    const { drew, surface } = run(DisplayMsg.DrawCopy, drawCopyBody(smallBitmapImage()));
    expect(drew).toBe(true);
    // smallBitmapImage: 8x8, pixel i is 0x00102030 + i * 0x010203 (xRGB), stretched over the 32x24 box: each
    // source pixel covers 4x3 pixels of it.
    const expected = (i: number) => surface.color(0x00102030 + i * 0x010203);
    expect(at(surface, BOX.left, BOX.top)).toBe(expected(0));
    expect(at(surface, BOX.left + 12, BOX.top + 9)).toBe(expected(3 * 8 + 3));
    expect(at(surface, BOX.right - 1, BOX.bottom - 1)).toBe(expected(63));
  });

  it('DRAW_WHITENESS and DRAW_BLACKNESS differ only in their operation, through the same mask', () => {
    const white = run(DisplayMsg.DrawWhiteness, drawMaskOnlyBody(maskImage())).surface;
    const black = run(DisplayMsg.DrawBlackness, drawMaskOnlyBody(maskImage()), white).surface;
    expect(black.words.every((w) => (w & 0xffffff) === 0)).toBe(true);
    const fresh = run(DisplayMsg.DrawWhiteness, drawMaskOnlyBody(maskImage())).surface;
    expect(fresh.words.some((w) => (w & 0xffffff) === 0xffffff)).toBe(true);
  });

  it('COPY_BITS moves pixels within the surface (reading the surface as it was)', () => {
    const surface = new Surface(0, 64, 48, SurfaceFormat.Xrgb32);
    for (let i = 0; i < surface.words.length; i++) surface.words[i] = surface.color(i);
    const before = surface.words.slice();
    const { drew } = run(DisplayMsg.CopyBits, copyBitsBody(), surface);
    expect(drew).toBe(true);
    // copyBitsBody: source position (2,3), clipped to (0,0)-(20,20) and (20,10)-(40,30) inside the box.
    expect(at(surface, BOX.left, BOX.top)).toBe(before[3 * 64 + 2]);
    expect(at(surface, 10, 12)).toBe(before[(3 + 12 - BOX.top) * 64 + 2 + 10 - BOX.left]);
  });
});
