/**
 * Display, end to end: with a real Xspice desktop (an xterm running top, xclock, a window moved by
 * xdotool), what the page shows on the element's canvas, and the worker's surface behind it, equal
 * spicy-screenshot's picture pixel for pixel under every lossless image compression the server offers,
 * with LZ4 requested by the client, and with ZLIB_GLZ (GLZ wrapped in zlib) forced by the server.
 * The scene's animations are frozen (SIGSTOP) before the pictures are taken, so they show the same moment.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sleep, startXspice, waitFor, type ImageCompression, type Xspice, type XspiceOptions } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { compare, elementScreenshot, saveComparison, screenCanvas, showUnscaled, shownPixels } from './support/pixels.js';
import { waitForQuietDisplay } from './support/scene.js';

const env = useConsoleBrowser();

interface Scene {
  xspice: Xspice;
  freeze(): Promise<void>;
}

async function startScene(options: XspiceOptions): Promise<Scene> {
  const xspice = await startXspice({ width: 1024, height: 768, ...options });
  const top = xspice.run('xterm', ['-geometry', '80x24+10+10', '-e', 'top', '-d', '0.5']);
  const clock = xspice.run('xclock', ['-update', '1', '-geometry', '160x160-20+20']);
  const moved = xspice.run('xterm', ['-geometry', '50x8+300+500', '-title', 'moved', '-bg', 'navy', '-fg', 'yellow']);
  // The windows mapped (not a fixed 1.5 s): freeze() moves "moved" by name, which does nothing before it exists.
  const visible = async (...how: string[]) => (await xspice.exec('xdotool', ['search', '--onlyvisible', ...how])).code === 0;
  await waitFor(
    async () => ((await visible('--name', '^moved$')) && (await visible('--class', 'xclock')) && (await visible('--name', '^top$'))) || null,
    "the scene's windows",
    30_000,
    200,
  );
  return {
    xspice,
    async freeze() {
      // Move a window around while the client watches (COPY_BITS, exposes), then stop the animations.
      for (const [x, y] of [
        [320, 420],
        [500, 380],
        [420, 520],
      ]) {
        await xspice.exec('xdotool', ['search', '--name', 'moved', 'windowmove', String(x), String(y)]);
        await sleep(300);
      }
      for (const p of [top, clock]) if (p.pid) process.kill(-p.pid, 'SIGSTOP');
      void moved;
    },
  };
}

/**
 * Ours first: spice-server serves one client at a time, so spicy-screenshot's connection ends ours. The
 * scene is frozen, so both show the same moment.
 */
async function settledScreens(page: Page, scene: Scene) {
  await scene.freeze();
  // Everything drawn before the animations stopped has reached the page (a fixed 1.5 s was a guess).
  await waitForQuietDisplay(page);
  const shown = await shownPixels(screenCanvas(page));
  const [stats] = await page.evaluate(() => (window as any).spiceTest.displayStats());
  const surface = await elementScreenshot(page);
  const theirs = await scene.xspice.screenshot();
  if (!surface) console.log(JSON.stringify(await page.evaluate(() => (window as any).spiceTest.events)).slice(0, 3000));
  expect(surface).not.toBeNull();
  return { shown, surface: surface!, theirs, imageTypes: stats.imageTypes as number[] };
}

async function connect(page: Page, url: string, imageCompression = ''): Promise<void> {
  await showUnscaled(page);
  await page.evaluate(([u, c]) => (window as any).spiceTest.connect(u, '', c), [url, imageCompression]);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 30_000 });
}

/** Each mode with the SPICE image types it must have made the server send (so no mode passes on bitmaps). */
const lossless: { server: ImageCompression; client?: string; zlibGlz?: 'always'; types: number[] }[] = [
  { server: 'off', types: [0] },
  { server: 'quic', types: [1] },
  { server: 'lz', types: [101] },
  { server: 'auto_lz', types: [101] },
  { server: 'glz', types: [102] },
  { server: 'auto_glz', types: [102] },
  { server: 'glz', zlibGlz: 'always', types: [107] },
  { server: 'auto_glz', client: 'lz4', types: [109] },
];

describe('the element draws exactly what spice-gtk draws', () => {
  for (const mode of lossless) {
    const name = `${mode.server}${mode.zlibGlz ? '+zlib-glz-always' : ''}${mode.client ? `+client-${mode.client}` : ''}`;
    it(`should show what spicy-screenshot shows, pixel for pixel, with image compression ${name}`, async () => {
      const scene = await startScene({ imageCompression: mode.server, ...(mode.zlibGlz ? { zlibGlzWanCompression: mode.zlibGlz } : {}) });
      try {
        const page = await openConsolePage(env.browser, env.origin);
        await connect(page, scene.xspice.url, mode.client ?? '');
        const { shown, surface, theirs, imageTypes } = await settledScreens(page, scene);
        for (const t of mode.types) expect(imageTypes).toContain(t);
        const decoded = compare(surface, theirs);
        if (decoded.differing) console.log(`${name} (surface): ${JSON.stringify(decoded)} — pictures in ${saveComparison(`display-${name}-surface`, surface, theirs)}`);
        const onPage = compare(shown, theirs);
        if (onPage.differing) console.log(`${name} (page): ${JSON.stringify(onPage)} — pictures in ${saveComparison(`display-${name}-page`, shown, theirs)}`);
        expect({ surface: decoded.differing, page: onPage.differing }).toEqual({ surface: 0, page: 0 });
        await page.close();
      } finally {
        await scene.xspice.stop();
      }
    });
  }
});
