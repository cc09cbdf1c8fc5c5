/**
 * JPEG images, end to end: Xspice with jpeg-wan-compression=always sends a photo-like window (a plasma
 * fractal shown by `xwud`) JPEG-coded, under image compression auto_glz (photo-like ⇒ QUIC ⇒ JPEG) and
 * quic. Xspice's window bitmaps are RGBA, so what arrives is JPEG_ALPHA (108: a JPEG plus an LZ alpha
 * plane) rather than plain JPEG (105); both go through the browser's JPEG decoder (src/engine/jpeg.ts).
 *
 * spicy-screenshot connects afterwards and gets the whole screen as one lossless QUIC image (the server
 * never sends a new client's first picture lossy), so the comparison shows what JPEG coding loses. Measured
 * here, every run the same: inside the photo mean 5.02 / max 33 per channel, 8x8 tile means within 3.56;
 * libjpeg's own q85 4:2:0 round trip of spice-gtk's picture loses as much (mean 5.04) and lies within mean
 * 1.79 of ours; outside the photo not one pixel differs. Bounds: mean 6.5, max 48, tiles 5, vs libjpeg 3.
 * "Ours" is what the page shows (a capture of the canvas), which must also equal the worker's surface.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePpm, startXspice, waitFor, type ImageCompression, type Screenshot, type Xspice } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { compare, elementScreenshot, saveComparison, screenCanvas, showUnscaled, shownPixels } from './support/pixels.js';
import { blockMeanDelta, connectConsole, crop, displayStats, showPhoto, waitForQuietDisplay } from './support/scene.js';

const env = useConsoleBrowser();

const PHOTO = { left: 120, top: 80, width: 400, height: 300 };

/** `picture` coded as JPEG at `quality` and decoded again by ImageMagick (libjpeg). */
async function jpegRoundTrip(xspice: Xspice, picture: Screenshot, quality: number): Promise<Screenshot> {
  const header = Buffer.from(`P6\n${picture.width} ${picture.height}\n255\n`);
  const body = Buffer.alloc(picture.width * picture.height * 3);
  for (let i = 0, j = 0; i < picture.rgba.length; i += 4, j += 3) body.set(picture.rgba.subarray(i, i + 3), j);
  await writeFile(join(xspice.tmpDir, 'reference.ppm'), Buffer.concat([header, body]));
  for (const args of [
    ['reference.ppm', '-quality', String(quality), '-sampling-factor', '2x2', 'reference.jpg'],
    ['reference.jpg', 'reference-decoded.ppm'],
  ]) {
    const r = await xspice.exec('convert', args);
    if (r.code !== 0) throw new Error(`convert ${args.join(' ')}: ${r.stderr}`);
  }
  return parsePpm(await readFile(join(xspice.tmpDir, 'reference-decoded.ppm')));
}

/** JPEG and JPEG_ALPHA (a JPEG plus an LZ alpha plane: what Xspice's RGBA bitmaps get). */
const JPEG_TYPES = [105, 108];

describe('JPEG images from Xspice', () => {
  for (const compression of ['auto_glz', 'quic'] as ImageCompression[]) {
    it(`should draw a photo the server sends as JPEG under ${compression} close to spice-gtk`, async () => {
      const xspice = await startXspice({ jpegWanCompression: 'always', imageCompression: compression });
      try {
        const page = await openConsolePage(env.browser, env.origin);
        await showUnscaled(page);
        await connectConsole(page, xspice.url);
        await showPhoto(xspice, { x: PHOTO.left, y: PHOTO.top, width: PHOTO.width, height: PHOTO.height });
        await waitFor(async () => (await displayStats(page)).imageTypes.some((t: number) => JPEG_TYPES.includes(t)), 'a JPEG image', 20_000, 200);
        // The first JPEG may be one piece of the photo: let all of it reach the page before ours is taken.
        await waitForQuietDisplay(page);
        const types = (await displayStats(page)).imageTypes as number[];
        // What the page shows, and the worker's surface behind it: presenting adds no difference of its own.
        const ours = await shownPixels(screenCanvas(page));
        const surface = (await elementScreenshot(page))!;
        const theirs = await xspice.screenshot(); // ends our connection: spice-server serves one client
        expect(compare(ours, surface).differing).toBe(0);
        const inside = (s: Screenshot) => crop(s, PHOTO.left, PHOTO.top, PHOTO.width, PHOTO.height);
        const photo = compare(inside(ours), inside(theirs));
        const tiles = blockMeanDelta(inside(ours), inside(theirs), 8);
        const whole = compare(ours, theirs);
        // libjpeg's own round trip of spice-gtk's picture at spice-server's quality (85, 4:2:0).
        const libjpeg = compare(inside(ours), await jpegRoundTrip(xspice, inside(theirs), 85));
        console.log(
          `${compression} (image types ${types.join(', ')}): photo vs spice-gtk mean ${photo.meanDelta.toFixed(2)}, max ${photo.maxDelta}, 8x8 tiles ${tiles.toFixed(2)}; ` +
            `vs libjpeg q85 round trip mean ${libjpeg.meanDelta.toFixed(2)}; ${whole.differing - photo.differing} differing pixels outside`,
        );
        if (photo.meanDelta > 6.5 || tiles > 5 || libjpeg.meanDelta > 3 || whole.differing > photo.differing) {
          console.log(`pictures in ${saveComparison(`jpeg-${compression}`, ours, theirs)}`);
        }
        expect(photo.meanDelta).toBeLessThanOrEqual(6.5);
        expect(photo.maxDelta).toBeLessThanOrEqual(48);
        expect(tiles).toBeLessThanOrEqual(5);
        expect(libjpeg.meanDelta).toBeLessThanOrEqual(3);
        expect(whole.differing - photo.differing).toBe(0);
        await page.close();
      } finally {
        await xspice.stop();
      }
    });
  }
});
