/**
 * DRAW_STROKE rasterisation, as the protocol's reference renderer (spice-common's canvas, which spice-gtk
 * draws with) defines a stroke: every stroke is a cosmetic line one pixel wide (SpiceLineAttr has no width;
 * the guest's pen width never reaches the wire), drawn the way X11 draws a zero-width polyline with
 * CapNotLast. This module owns turning a path into the pixels to paint, in painting order:
 *  - points are 28.4 fixed point, rounded to pixels (a fraction above one half rounds up: `fixToInt`);
 *  - a segment with PATH_BEGIN starts a new polyline, PATH_END ends one (after PATH_CLOSE has returned it to
 *    its first point); PATH_BEZIER segments hold cubic curves (three points each, starting at the current
 *    point), flattened by midpoint subdivision until both control points lie within about half a pixel of
 *    the chord;
 *  - each polyline is drawn segment by segment with X's Bresenham (ties broken by the default zero-line
 *    bias, so a line covers the same pixels in either direction), leaving out each segment's end point
 *    (the next segment starts there; the polyline's last point is not drawn at all);
 *  - LINE_FLAGS_STYLED: on/off dashes, the style array's lengths rounded like points and kept to 8 bits as
 *    the reference does; LINE_FLAGS_START_WITH_GAP moves the first length to the end and starts that far
 *    into the pattern. The pattern runs on across a polyline's segments, one step per pixel.
 * Painting the pixels (clip, brush, rop) is Surface.stroke's job.
 */
import { LineFlags, PathFlags } from '../protocol/constants.js';
import { limitError, MAX_STROKE_STEPS } from '../protocol/limits.js';

/**
 * SPICE_PATH_END (enums.h: 1 << 1, inside SPICE_PATH_FLAGS_MASK 0x1b). The generated PathFlags lacks it
 * (scripts/gen-constants.mjs drops SPICE_PATH_END), so it is spelled out here.
 */
const PATH_END = 1 << 1;

export interface FixedPoint {
  x: number;
  y: number;
}
export interface StrokePathSegment {
  flags: number;
  points: readonly FixedPoint[];
}

/** 28.4 fixed point to an integer pixel, as spice-common rounds it (above one half rounds up). */
export function fixToInt(v: number): number {
  const rem = v & 0x0f;
  const val = v >> 4;
  return rem > 8 ? val + 1 : val;
}

interface IntPoint {
  x: number;
  y: number;
}

/** Nesting limit of Bézier subdivision: 2^16 pieces is far below a pixel; degenerate curves stop here. */
const MAX_BEZIER_DEPTH = 16;

function dot(x1: bigint, y1: bigint, x2: bigint, y2: bigint): bigint {
  return (x1 * x2 + y1 * y2) >> 4n;
}

/** C integer division by 2 (truncates toward zero). */
const half = (v: number): number => Math.trunc(v / 2);

/**
 * Appends the flattened cubic p0..p3 (28.4) to `out` as integer points (p0 itself is already there). The
 * flatness test: the squared distances of p1 and p2 from the chord p0-p3, scaled by its squared length,
 * both below that length (64-bit integer arithmetic, as the reference computes it).
 */
function flattenBezier(out: IntPoint[], p0: FixedPoint, p1: FixedPoint, p2: FixedPoint, p3: FixedPoint, depth: number): void {
  const ax = BigInt(p1.x - p0.x),
    ay = BigInt(p1.y - p0.y);
  const bx = BigInt(p3.x - p0.x),
    by = BigInt(p3.y - p0.y);
  const cx = BigInt(p2.x - p3.x),
    cy = BigInt(p2.y - p3.y);
  const a2 = dot(ax, ay, ax, ay);
  const b2 = dot(bx, by, bx, by);
  const c2 = dot(cx, cy, cx, cy);
  const ab = dot(ax, ay, bx, by);
  const cb = dot(cx, cy, -bx, -by);
  const h1 = (a2 * b2 - ab * ab) >> 3n;
  const h2 = (c2 * b2 - cb * cb) >> 3n;
  if ((h1 < b2 && h2 < b2) || depth >= MAX_BEZIER_DEPTH) {
    out.push({ x: fixToInt(p3.x), y: fixToInt(p3.y) });
    return;
  }
  const mid = (a: FixedPoint, b: FixedPoint): FixedPoint => ({ x: half(a.x + b.x), y: half(a.y + b.y) });
  const p01 = mid(p0, p1);
  const p12 = mid(p1, p2);
  const p23 = mid(p2, p3);
  const p012 = mid(p01, p12);
  const p123 = mid(p12, p23);
  const p0123 = mid(p012, p123);
  flattenBezier(out, p0, p01, p012, p0123, depth + 1);
  flattenBezier(out, p0123, p123, p23, p3, depth + 1);
}

/** The polylines (integer points) a path describes. */
export function pathPolylines(path: readonly StrokePathSegment[]): IntPoint[][] {
  const lines: IntPoint[][] = [];
  let current: IntPoint[] = [];
  const finish = () => {
    if (current.length) lines.push(current);
    current = [];
  };
  const toInt = (p: FixedPoint): IntPoint => ({ x: fixToInt(p.x), y: fixToInt(p.y) });
  for (const seg of path) {
    let i = 0;
    if (seg.flags & PathFlags.Begin) {
      finish();
      if (seg.points.length) current.push(toInt(seg.points[0]!));
      i = 1;
    }
    if (seg.flags & PathFlags.Bezier) {
      for (; i + 2 < seg.points.length; i += 3) {
        // A curve needs a current point; a path that starts with one begins at its first control point.
        if (!current.length) current.push(toInt(seg.points[i]!));
        const last = current[current.length - 1]!;
        flattenBezier(current, { x: last.x << 4, y: last.y << 4 }, seg.points[i]!, seg.points[i + 1]!, seg.points[i + 2]!, 0);
      }
    } else {
      for (; i < seg.points.length; i++) current.push(toInt(seg.points[i]!));
    }
    if (seg.flags & PATH_END) {
      if (seg.flags & PathFlags.Close && current.length) current.push({ ...current[0]! });
      finish();
    }
  }
  finish();
  return lines;
}

/** On/off dash lengths in pixels and where the pattern starts, from the line flags and style array. */
export interface Dashes {
  lengths: number[];
  offset: number;
}

export function strokeDashes(lineFlags: number, style: readonly number[]): Dashes | null {
  if (!(lineFlags & LineFlags.Styled) || style.length === 0) return null;
  const px = style.map((s) => fixToInt(s) & 0xff);
  if (lineFlags & LineFlags.StartWithGap) {
    const lengths = [...px.slice(1), px[0]!];
    return { lengths, offset: lengths[0]! };
  }
  return { lengths: px, offset: 0 };
}

/** Where in the dash pattern a pixel is: the element's index and how far into it. */
class DashState {
  private index = 0;
  private into = 0;
  private readonly total: number;

  constructor(
    private readonly lengths: readonly number[],
    offset: number,
  ) {
    this.total = lengths.reduce((a, b) => a + b, 0);
    if (this.total > 0) for (let i = offset % this.total; i > 0; i--) this.step();
    this.skipEmpty();
  }

  /** Whether the current pixel is in an "on" dash (even index). A pattern of only zeros draws solid. */
  get on(): boolean {
    return this.total === 0 || this.index % 2 === 0;
  }

  /** Moves `n` pixels along the pattern (whole periods skipped at once). */
  advance(n: number): void {
    if (this.total === 0 || n <= 0) return;
    for (let i = n % this.total; i > 0; i--) this.step();
  }

  step(): void {
    if (this.total === 0) return;
    this.into++;
    if (this.into >= this.lengths[this.index]!) {
      this.into = 0;
      this.index = (this.index + 1) % this.lengths.length;
      this.skipEmpty();
    }
  }

  private skipEmpty(): void {
    for (let n = 0; this.total > 0 && this.lengths[this.index] === 0 && n < this.lengths.length; n++) {
      this.index = (this.index + 1) % this.lengths.length;
    }
  }
}

const X_DECREASING = 4;
const Y_DECREASING = 2;
const Y_MAJOR = 1;
/** X's DEFAULTZEROLINEBIAS: octants 2, 3, 4 and 5 prefer the axial step when the error term is zero. */
const ZERO_LINE_BIAS = (1 << (Y_DECREASING | Y_MAJOR)) | (1 << (X_DECREASING | Y_DECREASING | Y_MAJOR)) | (1 << (X_DECREASING | Y_DECREASING)) | (1 << X_DECREASING);

/**
 * Calls `plot` for every pixel of the stroke, in order: each polyline's segments from their start point up
 * to (not including) their end point, dashed when `dashes` is given. With `window`, only the part of each
 * segment whose major-axis coordinate lies inside it is stepped: the line jumps exactly (same error term,
 * same dash phase) to where it enters, so a far-away point costs nothing and the pixels inside are the same
 * as stepping the whole line. The stepped pixels count against MAX_STROKE_STEPS; beyond it the stroke is
 * refused with the limit's ProtocolError.
 */
export function strokePixels(path: readonly StrokePathSegment[], dashes: Dashes | null, plot: (x: number, y: number) => void, window: WindowRect | null = null): void {
  let budget = MAX_STROKE_STEPS;
  for (const line of pathPolylines(path)) {
    const dash = dashes ? new DashState(dashes.lengths, dashes.offset) : null;
    for (let i = 1; i < line.length; i++) {
      let { x, y } = line[i - 1]!;
      const end = line[i]!;
      let adx = end.x - x;
      let ady = end.y - y;
      let octant = 0;
      let sx = 1;
      let sy = 1;
      if (adx < 0) {
        adx = -adx;
        sx = -1;
        octant |= X_DECREASING;
      }
      if (ady < 0) {
        ady = -ady;
        sy = -1;
        octant |= Y_DECREASING;
      }
      const yMajor = adx <= ady;
      if (yMajor) octant |= Y_MAJOR;
      const major = yMajor ? ady : adx;
      const minor = yMajor ? adx : ady;
      const e1 = minor << 1;
      const e2 = e1 - (major << 1);
      let e = e1 - major - ((ZERO_LINE_BIAS >> octant) & 1);
      // The major-axis steps [kLo, kHi) that can land inside the window.
      let kLo = 0;
      let kHi = major;
      if (window) {
        const start = yMajor ? y : x;
        const step = yMajor ? sy : sx;
        const lo = yMajor ? window.top : window.left;
        const hi = yMajor ? window.bottom : window.right;
        kLo = Math.max(0, step > 0 ? lo - start : start - (hi - 1));
        kHi = Math.min(major, step > 0 ? hi - start : start - lo + 1);
      }
      if (kHi <= kLo) {
        dash?.advance(major);
        continue;
      }
      if ((budget -= kHi - kLo) < 0) throw limitError(`a stroke of more than ${MAX_STROKE_STEPS} pixels`, MAX_STROKE_STEPS, 'MAX_STROKE_STEPS');
      if (kLo > 0) {
        // After k iterations the error term stays in [e2, e1), which fixes the number of minor steps j taken:
        // j = floor((e0 + (k - 1) * e1) / (2 * major)) + 1 and e = e0 + k * e1 - 2 * major * j (BigInt: the
        // products of 28.4 coordinates reach 2^56).
        const j = floorDiv(BigInt(e) + BigInt(kLo - 1) * BigInt(e1), BigInt(major) * 2n) + 1n;
        e = Number(BigInt(e) + BigInt(kLo) * BigInt(e1) - BigInt(major) * 2n * j);
        const minorSteps = Number(j);
        if (yMajor) {
          y += sy * kLo;
          x += sx * minorSteps;
        } else {
          x += sx * kLo;
          y += sy * minorSteps;
        }
        dash?.advance(kLo);
      }
      for (let k = kLo; k < kHi; k++) {
        if (!dash || dash.on) plot(x, y);
        dash?.step();
        if (e >= 0) {
          if (yMajor) x += sx;
          else y += sy;
          e += e2;
        } else {
          e += e1;
        }
        if (yMajor) y += sy;
        else x += sx;
      }
      dash?.advance(major - kHi);
    }
  }
}

/** The area a stroke can show (exclusive right and bottom). */
export interface WindowRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
