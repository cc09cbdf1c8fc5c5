/**
 * Adaptive image compression against a real Xspice (image compression auto_glz, the server's default): a
 * full-screen window that puts fresh random bits every frame (bench/session/noise.c) makes the server send
 * GLZ images that do not compress. A console left on the server's choice asks for auto_lz (PREFERRED_COMPRESSION)
 * and the server follows: the images after that are LZ, and GLZ stops arriving. When the content compresses
 * again (the same program drawing runs of one colour), the console asks for auto_glz back after its dwell time
 * and GLZ images arrive again; the page then shows exactly what spice-gtk shows. A console
 * whose page chose `image-compression="auto-glz"` never asks.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { compare, saveComparison, screenCanvas, shownPixels, showUnscaled } from './support/pixels.js';
import { connectConsole, displayStats, waitForQuietDisplay } from './support/scene.js';

const env = useConsoleBrowser();

const AUTO_GLZ = 2;
const AUTO_LZ = 3;
const LZ_RGB = 101;
const GLZ_RGB = 102;

describe('adaptive image compression (Xspice, auto_glz)', () => {
  let xspice: Xspice;
  let noise: string;
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spice-noise-'));
    noise = path.join(tmp, 'noise');
    execFileSync('cc', ['-O2', '-o', noise, path.join(process.cwd(), 'bench/session/noise.c'), '-lX11']);
    xspice = await startXspice({ width: 1024, height: 768 });
    xspice.run('xsetroot', ['-solid', '#406080']);
  }, 60_000);

  afterAll(async () => {
    await xspice?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const counts = async (page: Page): Promise<Record<number, number>> => (await displayStats(page))?.imageCounts ?? {};
  const run = (mode?: 'runs'): ChildProcess => xspice.run(noise, mode ? ['1024', '768', mode] : ['1024', '768'], { stdio: 'ignore' });
  async function stop(p: ChildProcess): Promise<void> {
    p.kill('SIGKILL');
    await new Promise((r) => (p.exitCode !== null || p.signalCode ? r(null) : p.once('exit', r)));
  }

  it('should ask for auto_lz while GLZ images do not compress, get LZ, and go back to auto_glz when they do', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await showUnscaled(page);
    await connectConsole(page, xspice.url);
    const random = run();
    try {
      await waitFor(async () => ((await counts(page))[GLZ_RGB] ?? 0) > 0 || null, 'GLZ images of the noise', 30_000, 200);
      await waitFor(async () => (await displayStats(page))?.adaptedCompression === AUTO_LZ || null, 'the console to ask for auto_lz', 30_000, 200);
      // The server follows: from a moment on, LZ images keep arriving and GLZ ones do not (GLZ images the server
      // encoded before it read the request may still be on their way: the run of 20 LZ starts after the last GLZ).
      let mark = await counts(page);
      await waitFor(
        async () => {
          const now = await counts(page);
          if ((now[GLZ_RGB] ?? 0) !== (mark[GLZ_RGB] ?? 0)) mark = now;
          return (now[LZ_RGB] ?? 0) >= (mark[LZ_RGB] ?? 0) + 20 || null;
        },
        '20 LZ images in a row with no GLZ among them',
        30_000,
        200,
      );
    } finally {
      await stop(random);
    }

    // Compressible content (after the dwell time): back to auto_glz, and GLZ images arrive again.
    const runs = run('runs');
    try {
      await waitFor(async () => (await displayStats(page))?.adaptedCompression === AUTO_GLZ || null, 'the console to ask for auto_glz again', 45_000, 250).catch(
        async (e) => {
          throw new Error(
            `${(e as Error).message}: ${JSON.stringify(await displayStats(page))} ${JSON.stringify(await page.evaluate(() => (window as any).spiceTest.named('spice-disconnected')))}`,
          );
        },
      );
      const glz = (await counts(page))[GLZ_RGB] ?? 0;
      await waitFor(async () => ((await counts(page))[GLZ_RGB] ?? 0) >= glz + 10 || null, '10 more GLZ images', 30_000, 200);
    } finally {
      await stop(runs);
    }

    // What the page shows is what spice-gtk shows of the last frame, GLZ references across the changes and all
    // (ours first: spicy-screenshot's connection ends ours).
    // The redraw after the noise window went has reached the page (a fixed 1.5 s was a guess).
    await waitForQuietDisplay(page);
    const ours = await shownPixels(screenCanvas(page));
    const theirs = await xspice.screenshot();
    const result = compare(ours, theirs);
    if (result.differing) saveComparison('adaptive-compression', ours, theirs);
    expect(result).toMatchObject({ differing: 0 });
    await page.close();
  }, 180_000);

  it('should never ask when the page chose the image compression', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await connectConsole(page, xspice.url, 'auto-glz');
    const random = run();
    try {
      // As many GLZ images as took the first console to decide, several times over.
      await waitFor(async () => ((await counts(page))[GLZ_RGB] ?? 0) >= 60 || null, '60 GLZ images of the noise', 60_000, 250);
      expect((await displayStats(page))?.adaptedCompression).toBeNull();
      // And the noise stays GLZ (what makes a run of 20 LZ images in the first test the server's answer).
      const kept = await counts(page);
      expect(kept[LZ_RGB] ?? 0).toBeLessThan((kept[GLZ_RGB] ?? 0) / 4);
    } finally {
      await stop(random);
    }
    await page.close();
  }, 120_000);
});
