/**
 * Pixel comparison between the element's screen and spice-gtk's (spicy-screenshot): counts differing
 * pixels and the largest channel difference, and writes both pictures and a difference map as PNG for
 * a person to look at when a comparison fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, type Screenshot } from '../../servers/index.js';

export interface Comparison {
  width: number;
  height: number;
  differing: number;
  maxDelta: number;
  /** Mean absolute difference per channel over all pixels. */
  meanDelta: number;
  firstDiff?: { x: number; y: number; ours: number[]; theirs: number[] };
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
