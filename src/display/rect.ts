/**
 * Rectangle arithmetic for drawing: intersections with the surface, the operation's box and its clip
 * rectangles. Rects are left/top inclusive, right/bottom exclusive.
 */
import type { Rect } from '../protocol/display.js';

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

/** The parts of `box` (within `bounds`) that an operation may touch: box ∩ bounds ∩ each clip rect. */
export function clipRegions(box: Rect, clip: readonly Rect[] | null, bounds: Rect): Rect[] {
  const limited = intersect(box, bounds);
  if (!limited) return [];
  if (!clip) return [limited];
  const out: Rect[] = [];
  for (const c of clip) {
    const r = intersect(limited, c);
    if (r) out.push(r);
  }
  return out;
}

/** Smallest rect containing both (either may be null). */
export function union(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  return { left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) };
}
