/**
 * Pixels for end-to-end comparisons with spice-gtk's picture (spicy-screenshot). `shownPixels` is what the
 * page shows: a Playwright screenshot of the page clipped to a canvas's content box, taken once two
 * successive captures agree, so the presenter's step (the worker's surface put on the canvas) is checked
 * too. `elementScreenshot` is the worker's surface buffer (the element's screenshot()), which says whether
 * a difference comes from decoding or from presenting. `compare` counts differing pixels and the largest
 * channel difference; `saveComparison` writes both pictures and a difference map as PNG for a person to
 * look at when a comparison fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, type Screenshot } from '../../servers/index.js';
import { decodePng } from './png.js';

export interface Comparison {
  width: number;
  height: number;
  differing: number;
  maxDelta: number;
  /** Mean absolute difference per channel over all pixels. */
  meanDelta: number;
  firstDiff?: { x: number; y: number; ours: number[]; theirs: number[] };
}

/** The canvas showing display channel 0 of the page's <spice-console> (Playwright's CSS locators pierce its shadow root). */
export function screenCanvas(page: Page): Locator {
  return page.locator('spice-console canvas[part="screen"]');
}

/** Sets the page's <spice-console> to show the guest 1:1 (scale="none"): what `shownPixels` needs. */
export async function showUnscaled(page: Page): Promise<void> {
  await page.evaluate(() => {
    const api = (window as any).spiceTest;
    if (!api.element()) api.mount();
    api.element().scale = 'none';
  });
}

interface ContentBox {
  x: number;
  y: number;
  width: number;
  height: number;
  pixelWidth: number;
  pixelHeight: number;
  dpr: number;
  inViewport: boolean;
}

async function contentBox(canvas: Locator): Promise<ContentBox> {
  const measure = (el: Element): ContentBox => {
    const c = el as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    const s = getComputedStyle(c);
    const px = (v: string) => parseFloat(v) || 0;
    const x = r.left + px(s.borderLeftWidth) + px(s.paddingLeft);
    const y = r.top + px(s.borderTopWidth) + px(s.paddingTop);
    const width = r.width - px(s.borderLeftWidth) - px(s.paddingLeft) - px(s.borderRightWidth) - px(s.paddingRight);
    const height = r.height - px(s.borderTopWidth) - px(s.paddingTop) - px(s.borderBottomWidth) - px(s.paddingBottom);
    // The box must be inside every clipping ancestor and the viewport, or the capture would show something else.
    let visible = x >= 0 && y >= 0 && x + width <= innerWidth && y + height <= innerHeight;
    const up = (e: Element): Element | null => e.parentElement ?? ((e.getRootNode() as ShadowRoot).host as Element | undefined) ?? null;
    for (let p = up(c); p; p = up(p)) {
      if (getComputedStyle(p).overflow === 'visible') continue;
      const b = p.getBoundingClientRect();
      if (x < b.left || y < b.top || x + width > b.left + p.clientLeft + p.clientWidth || y + height > b.top + p.clientTop + p.clientHeight) visible = false;
    }
    return { x, y, width, height, pixelWidth: c.width, pixelHeight: c.height, dpr: devicePixelRatio, inViewport: visible };
  };
  return canvas.evaluate(measure);
}

/** One capture of the canvas's content box from the composited page, as RGBA. */
async function captureOnce(page: Page, box: ContentBox): Promise<Screenshot> {
  const png = await page.screenshot({
    clip: { x: box.x, y: box.y, width: box.width, height: box.height },
    type: 'png',
    animations: 'disabled',
    caret: 'hide',
    scale: 'css',
  });
  const shot = decodePng(png);
  for (let i = 3; i < shot.rgba.length; i += 4) shot.rgba[i] = 255;
  return shot;
}

function samePixels(a: Screenshot, b: Screenshot): boolean {
  return a.width === b.width && a.height === b.height && Buffer.from(a.rgba).equals(Buffer.from(b.rgba));
}

/**
 * What the page shows in `canvas` (a locator of one canvas: the element's screen, later one per monitor):
 * the composited page clipped to the canvas's content box, in guest pixels. The canvas must be shown 1:1
 * (scale="none", device pixel ratio 1) and wholly visible; anything else is an error, not a resampled
 * picture. Waits until two successive captures, an animation frame apart, are equal (the presenter puts
 * changes on the canvas once per frame), and fails after `timeoutMs` if they never settle. `area` (canvas
 * pixels) captures only part of the canvas, which is quicker.
 */
export async function shownPixels(
  canvas: Locator,
  options: { timeoutMs?: number; area?: { left: number; top: number; width: number; height: number } } = {},
): Promise<Screenshot> {
  const page = canvas.page();
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const box = await contentBox(canvas);
  if (box.dpr !== 1) throw new Error(`shownPixels: device pixel ratio ${box.dpr}; compare at 1`);
  if (box.pixelWidth === 0 || box.pixelHeight === 0) throw new Error('shownPixels: the canvas has no pixels (no surface shown yet)');
  if (box.width !== box.pixelWidth || box.height !== box.pixelHeight || box.x !== Math.round(box.x) || box.y !== Math.round(box.y)) {
    throw new Error(`shownPixels: canvas of ${box.pixelWidth}x${box.pixelHeight} pixels shown as ${box.width}x${box.height} at ${box.x},${box.y}: set scale="none"`);
  }
  if (!box.inViewport) throw new Error(`shownPixels: the canvas (${box.width}x${box.height} at ${box.x},${box.y}) is not wholly visible`);
  const a = options.area;
  if (a) {
    if (a.left < 0 || a.top < 0 || a.width <= 0 || a.height <= 0 || a.left + a.width > box.width || a.top + a.height > box.height) {
      throw new Error(`shownPixels: area ${JSON.stringify(a)} is not inside the ${box.width}x${box.height} canvas`);
    }
    Object.assign(box, { x: box.x + a.left, y: box.y + a.top, width: a.width, height: a.height });
  }
  const nextFrame = () => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  let last = await captureOnce(page, box);
  for (;;) {
    await nextFrame();
    const now = await captureOnce(page, box);
    if (samePixels(last, now)) return now;
    if (Date.now() > deadline) throw new Error(`shownPixels: the canvas did not settle within ${options.timeoutMs ?? 20_000} ms`);
    last = now;
  }
}

export async function elementScreenshot(page: Page, displayId = 0): Promise<Screenshot | null> {
  const shot = await page.evaluate((id) => (window as any).spiceTest.screenshot(id), displayId);
  if (!shot) return null;
  return { width: shot.width, height: shot.height, rgba: new Uint8Array(Buffer.from(shot.rgba, 'base64')) };
}

export function compare(ours: Screenshot, theirs: Screenshot): Comparison {
  if (ours.width !== theirs.width || ours.height !== theirs.height) {
    return { width: ours.width, height: ours.height, differing: Math.max(ours.width * ours.height, theirs.width * theirs.height), maxDelta: 255, meanDelta: 255 };
  }
  let differing = 0;
  let maxDelta = 0;
  let sum = 0;
  let firstDiff: Comparison['firstDiff'];
  for (let i = 0; i < ours.rgba.length; i += 4) {
    let d = 0;
    for (let c = 0; c < 3; c++) {
      const delta = Math.abs(ours.rgba[i + c]! - theirs.rgba[i + c]!);
      sum += delta;
      if (delta > d) d = delta;
    }
    if (d) {
      differing++;
      if (!firstDiff) {
        const p = i / 4;
        firstDiff = { x: p % ours.width, y: Math.floor(p / ours.width), ours: [...ours.rgba.subarray(i, i + 3)], theirs: [...theirs.rgba.subarray(i, i + 3)] };
      }
    }
    if (d > maxDelta) maxDelta = d;
  }
  return { width: ours.width, height: ours.height, differing, maxDelta, meanDelta: sum / (ours.width * ours.height * 3), ...(firstDiff ? { firstDiff } : {}) };
}

/** Writes ours.png, theirs.png and diff.png (differing pixels red) under test-results/<name>/. */
export function saveComparison(name: string, ours: Screenshot, theirs: Screenshot): string {
  const dir = join(repoRoot, 'test-results', name);
  mkdirSync(dir, { recursive: true });
  const ppm = (s: Screenshot, file: string) => {
    const header = Buffer.from(`P6\n${s.width} ${s.height}\n255\n`);
    const body = Buffer.alloc(s.width * s.height * 3);
    for (let i = 0, j = 0; i < s.rgba.length; i += 4, j += 3) body.set(s.rgba.subarray(i, i + 3), j);
    writeFileSync(join(dir, `${file}.ppm`), Buffer.concat([header, body]));
    try {
      execFileSync('convert', [join(dir, `${file}.ppm`), join(dir, `${file}.png`)]);
    } catch {
      // ImageMagick missing: the PPM stays.
    }
  };
  ppm(ours, 'ours');
  ppm(theirs, 'theirs');
  if (ours.width === theirs.width && ours.height === theirs.height) {
    const diff = new Uint8Array(ours.rgba.length);
    for (let i = 0; i < diff.length; i += 4) {
      const same = ours.rgba[i] === theirs.rgba[i] && ours.rgba[i + 1] === theirs.rgba[i + 1] && ours.rgba[i + 2] === theirs.rgba[i + 2];
      diff.set(same ? [ours.rgba[i]! >> 2, ours.rgba[i + 1]! >> 2, ours.rgba[i + 2]! >> 2, 255] : [255, 0, 0, 255], i);
    }
    ppm({ width: ours.width, height: ours.height, rgba: diff }, 'diff');
  }
  return dir;
}
