import { describe, expect, it } from 'vitest';
import { fixToInt, pathPolylines, strokeDashes, strokePixels, type Dashes, type StrokePathSegment } from '../../../src/display/stroke.js';
import { rgbaWord } from '../../../src/codecs/types.js';
import { Ropd } from '../../../src/display/rop.js';
import { Surface, SurfaceFormat } from '../../../src/display/surface.js';

const BEGIN = 1;
const END = 2;
const CLOSE = 8;
const BEZIER = 16;
const STYLED = 8;
const START_WITH_GAP = 4;

/** Integer pixels to 28.4. */
const fx = (x: number, y: number) => ({ x: x * 16, y: y * 16 });
const polyline = (...pts: [number, number][]): StrokePathSegment[] => [{ flags: BEGIN | END, points: pts.map(([x, y]) => fx(x, y)) }];

function pixels(path: StrokePathSegment[], dashes: Dashes | null = null): string[] {
  const out: string[] = [];
  strokePixels(path, dashes, (x, y) => out.push(`${x},${y}`));
  return out;
}

describe('stroke rasterisation (spice-common canvas semantics)', () => {
  it('should round 28.4 coordinates up only above one half', () => {
    expect([0x18, 0x19, 0x10, 0x1f, -0x18, -0x17, -0x19].map(fixToInt)).toEqual([1, 2, 1, 2, -2, -1, -2]);
  });

  it('should leave out the end point of every segment (CapNotLast) and start each segment at the previous end', () => {
    expect(pixels(polyline([0, 0], [4, 0]))).toEqual(['0,0', '1,0', '2,0', '3,0']);
    expect(pixels(polyline([0, 0], [3, 0], [3, 3]))).toEqual(['0,0', '1,0', '2,0', '3,0', '3,1', '3,2']);
  });

  it("should break Bresenham ties with X's default zero-line bias", () => {
    // (0,0)->(2,1): the tie at x=1 steps y (octant 8 has no bias); drawn backwards the bias keeps the same pixel.
    expect(pixels(polyline([0, 0], [2, 1]))).toEqual(['0,0', '1,1']);
    expect(pixels(polyline([2, 1], [0, 0]))).toEqual(['2,1', '1,1']);
    expect(pixels(polyline([0, 0], [1, 2]))).toEqual(['0,0', '1,1']);
    expect(pixels(polyline([1, 2], [0, 0]))).toEqual(['1,2', '1,1']);
  });

  it('should cover the same pixels whichever way a line is drawn', () => {
    const wrong: string[] = [];
    for (let x1 = -9; x1 <= 9; x1++) {
      for (let y1 = -9; y1 <= 9; y1++) {
        for (const [x0, y0] of [
          [0, 0],
          [3, -2],
          [-5, 4],
        ] as const) {
          const forward = new Set([...pixels(polyline([x0, y0], [x1, y1])), `${x1},${y1}`]);
          const backward = new Set([...pixels(polyline([x1, y1], [x0, y0])), `${x0},${y0}`]);
          const same = forward.size === backward.size && [...forward].every((p) => backward.has(p));
          // One pixel per step along the major axis.
          const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)) + 1;
          if (!same || forward.size !== steps) wrong.push(`(${x0},${y0})-(${x1},${y1})`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('should close a path back to its first point and draw each pixel of the outline once', () => {
    const square: StrokePathSegment[] = [{ flags: BEGIN | END | CLOSE, points: [fx(0, 0), fx(3, 0), fx(3, 3), fx(0, 3)] }];
    const got = pixels(square);
    expect(got).toHaveLength(12);
    expect(new Set(got).size).toBe(12);
    expect(got).toContain('0,1');
  });

  it('should start a new polyline at PATH_BEGIN and draw polylines separately', () => {
    const path: StrokePathSegment[] = [
      { flags: BEGIN, points: [fx(0, 0), fx(2, 0)] },
      { flags: END, points: [fx(2, 2)] },
      { flags: BEGIN | END, points: [fx(5, 5), fx(7, 5)] },
    ];
    expect(pathPolylines(path)).toEqual([
      [
        { x: 0, y: 0 },
        { x: 2, y: 0 },
        { x: 2, y: 2 },
      ],
      [
        { x: 5, y: 5 },
        { x: 7, y: 5 },
      ],
    ]);
    expect(pixels(path)).toEqual(['0,0', '1,0', '2,0', '2,1', '5,5', '6,5']);
  });

  it('should dash on/off with the style array (pixels, from 28.4) across the segments of a polyline', () => {
    const dashes = strokeDashes(STYLED, [2 * 16, 1 * 16]);
    expect(dashes).toEqual({ lengths: [2, 1], offset: 0 });
    expect(pixels(polyline([0, 0], [10, 0]), dashes)).toEqual(['0,0', '1,0', '3,0', '4,0', '6,0', '7,0', '9,0']);
    // The pattern runs on around the corner: (2,0) and (3,2) are gaps.
    expect(pixels(polyline([0, 0], [3, 0], [3, 3]), dashes)).toEqual(['0,0', '1,0', '3,0', '3,1']);
    // Every polyline starts the pattern afresh.
    const two: StrokePathSegment[] = [...polyline([0, 0], [4, 0]), ...polyline([0, 1], [4, 1])];
    expect(pixels(two, dashes)).toEqual(['0,0', '1,0', '3,0', '0,1', '1,1', '3,1']);
  });

  it('should start with a gap as the reference does: first length moved last, pattern entered that far', () => {
    const dashes = strokeDashes(STYLED | START_WITH_GAP, [2 * 16, 1 * 16, 3 * 16]);
    expect(dashes).toEqual({ lengths: [1, 3, 2], offset: 1 });
    expect(pixels(polyline([0, 0], [12, 0]), dashes)).toEqual(['3,0', '4,0', '5,0', '9,0', '10,0', '11,0']);
  });

  it('should ignore the style array without LINE_FLAGS_STYLED, and draw solid when every length is zero', () => {
    expect(strokeDashes(0, [32, 16])).toBeNull();
    const zeros = strokeDashes(STYLED, [0, 0]);
    expect(pixels(polyline([0, 0], [3, 0]), zeros)).toEqual(['0,0', '1,0', '2,0']);
  });

  it('should draw a straight Bézier as its chord and a curved one through the curve', () => {
    const straight: StrokePathSegment[] = [
      { flags: BEGIN, points: [fx(0, 0)] },
      { flags: BEZIER | END, points: [fx(1, 0), fx(2, 0), fx(3, 0)] },
    ];
    expect(pathPolylines(straight)).toEqual([
      [
        { x: 0, y: 0 },
        { x: 3, y: 0 },
      ],
    ]);

    const arch: StrokePathSegment[] = [
      { flags: BEGIN, points: [fx(0, 0)] },
      { flags: BEZIER | END, points: [fx(0, 40), fx(40, 40), fx(40, 0)] },
    ];
    const [line] = pathPolylines(arch);
    expect(line!.length).toBeGreaterThan(4);
    expect(line![0]).toEqual({ x: 0, y: 0 });
    expect(line![line!.length - 1]).toEqual({ x: 40, y: 0 });
    // Every vertex lies on the cubic B(t) = (120t^2 - 80t^3, 120t - 120t^2) within a pixel.
    for (const p of line!) {
      let best = Infinity;
      for (let i = 0; i <= 2000; i++) {
        const t = i / 2000;
        const bx = 120 * t * t - 80 * t * t * t;
        const by = 120 * t - 120 * t * t;
        best = Math.min(best, Math.hypot(bx - p.x, by - p.y));
      }
      expect(best).toBeLessThan(1.5);
    }
    // The top of the arch (t = 1/2: (20, 30)) is drawn.
    expect(pixels(arch).some((p) => p === '20,30' || p === '19,30' || p === '21,30')).toBe(true);
  });

  it('should end subdivision of a degenerate Bézier (a loop back to its start)', () => {
    const loop: StrokePathSegment[] = [
      { flags: BEGIN, points: [fx(10, 10)] },
      { flags: BEZIER | END, points: [fx(30, 10), fx(30, 30), fx(10, 10)] },
    ];
    const [line] = pathPolylines(loop);
    expect(line!.length).toBeGreaterThan(2);
    expect(line![line!.length - 1]).toEqual({ x: 10, y: 10 });
  });
});

describe('stroke rasterisation inside a window', () => {
  it('should plot exactly the pixels of the whole line that fall inside the window, dashed or not, however far the ends', () => {
    // A small deterministic generator: segments with ends near, inside and far outside a window.
    let seed = 12345;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    const window = { left: 40, top: 30, right: 120, bottom: 90 };
    const coord = () => (rand(4) === 0 ? rand(1 << 14) - (1 << 13) : rand(200) - 20) * 16 + rand(16);
    for (let trial = 0; trial < 300; trial++) {
      const points = Array.from({ length: 2 + rand(4) }, () => ({ x: coord(), y: coord() }));
      const path: StrokePathSegment[] = [{ flags: 0, points }];
      const dashes: Dashes | null = rand(2) ? { lengths: [1 + rand(5), 1 + rand(5), rand(3), 1 + rand(4)], offset: rand(7) } : null;
      const inside = (x: number, y: number) => x >= window.left && x < window.right && y >= window.top && y < window.bottom;
      const whole: string[] = [];
      strokePixels(path, dashes, (x, y) => void (inside(x, y) && whole.push(`${x},${y}`)));
      const windowed: string[] = [];
      strokePixels(path, dashes, (x, y) => void (inside(x, y) && windowed.push(`${x},${y}`)), window);
      expect(windowed).toEqual(whole);
    }
  });
});

describe('Surface.stroke', () => {
  const R = rgbaWord(255, 0, 0, 255);
  it('should paint only inside the box and clip, with the rop', () => {
    const s = new Surface(0, 8, 2, SurfaceFormat.Xrgb32);
    const path = polyline([0, 0], [8, 0]);
    s.stroke(path, null, [{ left: 2, top: 0, right: 6, bottom: 1 }], { left: 0, top: 0, right: 5, bottom: 1 }, { kind: 'solid', color: R }, Ropd.OpPut);
    const row = [...s.words.subarray(0, 8)].map((w) => (w === R ? 'R' : '.')).join('');
    expect(row).toBe('..RRR...');
  });
});
