/**
 * Rectangle arithmetic for drawing: intersections with the surface, the operation's box and its clip
 * rectangles. Rects are left/top inclusive, right/bottom exclusive.
 */
import type { Rect } from '../protocol/display.js';
import { limitError, MAX_OVERLAPPING_CLIP_RECTS } from '../protocol/limits.js';

export type { Rect };

export function intersect(a: Rect, b: Rect): Rect | null {
  const left = Math.max(a.left, b.left);
  const top = Math.max(a.top, b.top);
  const right = Math.min(a.right, b.right);
  const bottom = Math.min(a.bottom, b.bottom);
  return left < right && top < bottom ? { left, top, right, bottom } : null;
}

export function isEmpty(r: Rect): boolean {
  return r.left >= r.right || r.top >= r.bottom;
}

export function width(r: Rect): number {
  return r.right - r.left;
}
export function height(r: Rect): number {
  return r.bottom - r.top;
}

/**
 * The parts of `box` (within `bounds`) that an operation may touch: box ∩ bounds ∩ the clip, as disjoint rects.
 * A clip is a region, and guest drivers send it as pixman or GDI build one: disjoint rects, so every pixel is
 * drawn once. Overlapping rects (detected when their areas add up to more than the box) would draw pixels
 * many times over, a few hundred full-screen ones keeping one draw busy for minutes: they are merged into
 * disjoint bands first, up to MAX_OVERLAPPING_CLIP_RECTS of them (merging costs n² log n); more are refused.
 */
export function clipRegions(box: Rect, clip: readonly Rect[] | null, bounds: Rect): Rect[] {
  const limited = intersect(box, bounds);
  if (!limited) return [];
  if (!clip) return [limited];
  const out: Rect[] = [];
  let area = 0;
  for (const c of clip) {
    const r = intersect(limited, c);
    if (r) {
      out.push(r);
      area += width(r) * height(r);
    }
  }
  if (area <= width(limited) * height(limited)) return out;
  if (out.length > MAX_OVERLAPPING_CLIP_RECTS) {
    throw limitError(`a clip of ${out.length} overlapping rects`, MAX_OVERLAPPING_CLIP_RECTS, 'MAX_OVERLAPPING_CLIP_RECTS');
  }
  return disjointBands(out);
}

/** The union of `rects` as disjoint rects: horizontal bands, each a sorted run of non-touching spans. */
export function disjointBands(rects: readonly Rect[]): Rect[] {
  const ys = [...new Set(rects.flatMap((r) => [r.top, r.bottom]))].sort((a, b) => a - b);
  const out: Rect[] = [];
  for (let i = 0; i + 1 < ys.length; i++) {
    const top = ys[i]!;
    const bottom = ys[i + 1]!;
    const spans = rects.filter((r) => r.top <= top && r.bottom >= bottom).sort((a, b) => a.left - b.left);
    let left = 0;
    let right = -Infinity;
    for (const r of spans) {
      if (r.left > right) {
        if (right > left) out.push({ left, top, right, bottom });
        left = r.left;
        right = r.right;
      } else if (r.right > right) right = r.right;
    }
    if (right > left) out.push({ left, top, right, bottom });
  }
  return out;
}

/** Smallest rect containing both (either may be null). */
export function union(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  return { left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) };
}
