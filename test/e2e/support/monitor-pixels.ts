/**
 * What the page shows of one monitor: the console's `<spice-monitor>` canvas is located on the page and the
 * page itself is screenshotted, clipped to that canvas's content box (CSS pixels at device pixel ratio 1),
 * so the comparison covers the whole path to the screen (worker drawing, transfer, CSS layout), not the
 * engine's memory. Decoded with ImageMagick's `convert` to RGBA.
 */
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import type { Screenshot } from '../../servers/index.js';

export interface CanvasBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The content box of monitor `key`'s canvas in page CSS pixels, or null if it is not shown in the page. */
export async function monitorCanvasBox(page: Page, key: string): Promise<CanvasBox | null> {
  return page.evaluate((k) => {
    const el = (window as any).spiceTest.element();
    const m = el?.monitorElement(k);
    if (!m || m.ownerDocument !== document) return null;
    const r = m.canvas.getBoundingClientRect();
    const cs = getComputedStyle(m.canvas);
    const bl = parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft);
    const bt = parseFloat(cs.borderTopWidth) + parseFloat(cs.paddingTop);
    const br = parseFloat(cs.borderRightWidth) + parseFloat(cs.paddingRight);
    const bb = parseFloat(cs.borderBottomWidth) + parseFloat(cs.paddingBottom);
    return { left: r.left + bl + scrollX, top: r.top + bt + scrollY, width: r.width - bl - br, height: r.height - bt - bb };
  }, key);
}

/** The page's pixels inside `box` (CSS pixels; the page must run at device pixel ratio 1). */
export async function pagePixels(page: Page, box: CanvasBox): Promise<Screenshot> {
  const png = await page.screenshot({ clip: { x: box.left, y: box.top, width: box.width, height: box.height }, scale: 'css', fullPage: true, animations: 'disabled' });
  const width = Math.round(box.width);
  const height = Math.round(box.height);
  const raw = execFileSync('convert', ['png:-', '-depth', '8', `rgba:-`], { input: png, maxBuffer: 256 << 20 });
  if (raw.length !== width * height * 4) throw new Error(`page screenshot is ${raw.length} bytes, expected ${width}x${height}x4`);
  return { width, height, rgba: new Uint8Array(raw.buffer, raw.byteOffset, raw.length) };
}

/** The pixels the page shows of monitor `key`, or null if it is not on the page. */
export async function monitorPagePixels(page: Page, key: string): Promise<Screenshot | null> {
  const box = await monitorCanvasBox(page, key);
  return box ? pagePixels(page, box) : null;
}

/** `shot` cut to the rectangle (x, y, width, height). */
export function crop(shot: Screenshot, x: number, y: number, width: number, height: number): Screenshot {
  const rgba = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * shot.width + x) * 4;
    rgba.set(shot.rgba.subarray(from, from + width * 4), row * width * 4);
  }
  return { width, height, rgba };
}
