/**
 * Scenes on an Xspice desktop for end-to-end display tests: connecting the e2e page's element, a window of
 * animated noise that makes spice-server stream video (testbed.md "Video streams"), and a still photo-like
 * picture that it judges photographic (JPEG when jpeg-wan-compression allows). Pictures are made with
 * ImageMagick in the server's temp dir and shown with its `animate` and `display` X clients.
 */
import type { ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { sleep, waitFor, type Screenshot, type Xspice } from '../../servers/index.js';

/** Connects the page's element and waits for spice-connected. `imageCompression` as the element's attribute. */
export async function connectConsole(page: Page, url: string, imageCompression = ''): Promise<void> {
  await page.evaluate(([u, c]) => (window as any).spiceTest.connect(u, '', c), [url, imageCompression]);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 30_000 });
}

/** The stats of display channel 0 (Engine.displayStats through the page). */
export async function displayStats(page: Page): Promise<any> {
  const [stats] = await page.evaluate(() => (window as any).spiceTest.displayStats());
  return stats;
}

/**
 * Waits until the display channels have been quiet for `quietMs`: no display message (types 100 and up: draws,
 * surfaces, streams; not the pings every channel gets) and no canvas update. For a picture compared with
 * spicy-screenshot's: what the guest drew last has reached the page, which a fixed sleep only guesses on a
 * loaded machine. Rejects after `timeoutMs` if the display never settles (something still animating).
 */
export async function waitForQuietDisplay(page: Page, quietMs = 1500, timeoutMs = 30_000): Promise<void> {
  const activity = () =>
    page.evaluate(async () => {
      let n = 0;
      for (const s of await (window as any).spiceTest.displayStats()) {
        n += s.frames;
        for (const [type, count] of Object.entries(s.messages as Record<string, number>)) if (Number(type) >= 100) n += count;
      }
      return n;
    });
  let last = await activity();
  let since = Date.now();
  await waitFor(
    async () => {
      const now = await activity();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs || null;
    },
    `the display quiet for ${quietMs} ms`,
    timeoutMs,
    100,
  );
}

async function magick(xspice: Xspice, args: string[]): Promise<void> {
  const r = await xspice.exec('convert', args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`convert ${args.join(' ')} failed: ${r.stderr}`);
}

export interface Animation {
  process: ChildProcess;
  /** Stops the animation (SIGSTOP): the window keeps its last frame. */
  freeze(): void;
  resume(): void;
}

/** Top-left, top-right, bottom-left, bottom-right colours of playNoise's frames. */
export const QUADRANTS = ['#c03020', '#20a040', '#2040c0', '#e0d020'] as const;

/**
 * A window that changes every frame, which spice-server streams (testbed.md "Video streams"): `animate`
 * playing a GIF every 30 ms whose frames are four coloured quadrants under fresh Gaussian noise
 * (`+noise`, a new seed per frame). The noise makes every pixel change each frame, like the testbed's
 * random-noise GIF; the quadrants survive lossy coding, so a picture that is misplaced, flipped or has
 * its colours swapped shows in a comparison.
 */
export async function playNoise(xspice: Xspice, o: { width?: number; height?: number; frames?: number; x?: number; y?: number } = {}): Promise<Animation> {
  const width = o.width ?? 320;
  const height = o.height ?? 240;
  const frames = o.frames ?? 12;
  const [w, h] = [String(Math.floor(width / 2)), String(Math.floor(height / 2))];
  const quadrant = (colour: string) => ['-size', `${w}x${h}`, `xc:${colour}`];
  await magick(xspice, [
    ...quadrant(QUADRANTS[0]),
    ...quadrant(QUADRANTS[1]),
    '+append',
    '(',
    ...quadrant(QUADRANTS[2]),
    ...quadrant(QUADRANTS[3]),
    '+append',
    ')',
    '-append',
    'base.png',
  ]);
  const names: string[] = [];
  for (let i = 0; i < frames; i++) {
    names.push(`noise-${i}.png`);
    await magick(xspice, ['base.png', '-seed', String(i + 1), '-attenuate', '0.5', '+noise', 'Gaussian', names[i]!]);
  }
  await magick(xspice, ['-delay', '3', ...names, '-loop', '0', 'noise.gif']);
  const process = xspice.run('animate', ['-delay', '3', '-geometry', `+${o.x ?? 100}+${o.y ?? 100}`, 'noise.gif']);
  await waitFor(async () => (await xspice.exec('xdotool', ['search', '--class', 'animate'])).code === 0, 'the animate window', 30_000);
  return {
    process,
    freeze: () => process.pid && globalThis.process.kill(process.pid, 'SIGSTOP'),
    resume: () => process.pid && globalThis.process.kill(process.pid, 'SIGCONT'),
  };
}

/**
 * A still photo-like picture (a plasma fractal: smooth gradients, no flat areas) at `x`,`y`, shown by
 * `xwud` from an XWD file: plain XPutImage of 24-bit pixels, which the server sends as an RGB image
 * (ImageMagick's `display` draws with alpha, which the server sends as JPEG_ALPHA). Resolves once the
 * window is mapped and has had time to draw.
 */
export async function showPhoto(xspice: Xspice, o: { width?: number; height?: number; x?: number; y?: number; viewer?: 'xwud' | 'display' } = {}): Promise<ChildProcess> {
  const width = o.width ?? 400;
  const height = o.height ?? 300;
  const geometry = `+${o.x ?? 120}+${o.y ?? 80}`;
  await magick(xspice, ['-seed', '7', '-size', `${width}x${height}`, 'plasma:', '-alpha', 'off', 'PNG24:photo.png']);
  let process: ChildProcess;
  if (o.viewer === 'display') {
    process = xspice.run('display', ['-geometry', geometry, 'photo.png']);
  } else {
    await magick(xspice, ['photo.png', 'photo.xwd']);
    process = xspice.run('xwud', ['-in', 'photo.xwd', '-geometry', geometry]);
  }
  const viewer = o.viewer ?? 'xwud';
  await waitFor(async () => (await xspice.exec('xdotool', ['search', '--onlyvisible', '--class', viewer])).code === 0, `the ${viewer} window`, 30_000);
  await sleep(1000);
  return process;
}

/** The part of a screenshot inside `area` (left, top, width, height). */
export function crop(s: Screenshot, left: number, top: number, width: number, height: number): Screenshot {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) rgba.set(s.rgba.subarray(((top + y) * s.width + left) * 4, ((top + y) * s.width + left + width) * 4), y * width * 4);
  return { width, height, rgba };
}

/**
 * The largest difference, over `block`x`block` tiles and colour channels, between the tiles' mean colours:
 * what lossy coding keeps (a misplaced, flipped or colour-swapped picture moves it by far more).
 */
export function blockMeanDelta(a: Screenshot, b: Screenshot, block = 16): number {
  if (a.width !== b.width || a.height !== b.height) return 255;
  let worst = 0;
  for (let by = 0; by + block <= a.height; by += block) {
    for (let bx = 0; bx + block <= a.width; bx += block) {
      for (let c = 0; c < 3; c++) {
        let sa = 0;
        let sb = 0;
        for (let y = by; y < by + block; y++) {
          for (let x = bx; x < bx + block; x++) {
            const i = (y * a.width + x) * 4 + c;
            sa += a.rgba[i]!;
            sb += b.rgba[i]!;
          }
        }
        worst = Math.max(worst, Math.abs(sa - sb) / (block * block));
      }
    }
  }
  return worst;
}
