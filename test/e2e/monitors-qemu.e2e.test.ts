/**
 * Monitors from several display channels, end to end: QEMU with two QXL devices (display channels 0 and 1)
 * boots the test guest with `fbpattern=1`, which writes known stripes into /dev/fb0 and /dev/fb1. The
 * console must list two monitors (display ids 0 and 1, one per channel), give each its own canvas, and the
 * pixels the PAGE shows on each canvas (a page screenshot clipped to the canvas) must equal that
 * framebuffer's pattern exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, waitFor, type Qemu, type Screenshot } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { compare, saveComparison } from './support/pixels.js';
import { crop, monitorPagePixels } from './support/monitor-pixels.js';

const env = useConsoleBrowser();

/** The guest's stripes (scripts/build-guest.sh, fbpattern=1): 16 rows of c1, 16 of c2, ... */
const COLOURS: Record<number, [number[], number[]]> = {
  0: [
    [200, 30, 40],
    [20, 40, 210],
  ],
  1: [
    [30, 190, 60],
    [230, 220, 20],
  ],
};

function pattern(fb: number, width: number, height: number): Screenshot {
  const [a, b] = COLOURS[fb]!;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const c = Math.floor(y / 16) % 2 === 0 ? a : b;
    for (let x = 0; x < width; x++) rgba.set([c[0]!, c[1]!, c[2]!, 255], (y * width + x) * 4);
  }
  return { width, height, rgba };
}

describe('monitors of several display channels (QEMU, two QXL devices)', () => {
  let qemu: Qemu;
  const fbs = new Map<number, { width: number; height: number }>();

  beforeAll(async () => {
    qemu = await startQemu({ qxlDevices: 2, append: 'fbpattern=1' });
    for (const n of [0, 1]) {
      const m = await qemu.waitForSerial(new RegExp(`^FBPATTERN /dev/fb${n} (\\d+)x(\\d+)`, 'm'), 120_000);
      fbs.set(n, { width: Number(m[1]), height: Number(m[2]) });
    }
  }, 180_000);

  afterAll(async () => {
    await qemu?.stop();
  });

  it('should show one canvas per display channel whose page pixels equal each framebuffer pattern', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await page.setViewportSize({ width: 2200, height: 900 });
    await page.evaluate(() => {
      const t = (window as any).spiceTest;
      t.mount();
      const el = t.element();
      el.style.cssText = 'display:block;width:2150px;height:850px';
      el.scale = 'none'; // one guest pixel per page pixel (DPR 1): the page shows the guest unscaled
    });
    await page.evaluate((u) => (window as any).spiceTest.connect(u), qemu.url);
    const monitors = await waitFor(
      async () => {
        const list = await page.evaluate(() => (window as any).spiceTest.element().monitors);
        return list.length === 2 ? list : null;
      },
      'two monitors',
      60_000,
      200,
    );
    expect(monitors.map((m: any) => [m.key, m.channelId, m.displayId])).toEqual([
      ['0:0', 0, 0],
      ['1:0', 1, 1],
    ]);
    const canvases = await page.evaluate(() => (window as any).spiceTest.element().shadowRoot.querySelectorAll('spice-monitor canvas').length);
    expect(canvases).toBe(2);
    for (const [i, m] of monitors.entries()) {
      const fb = fbs.get(i)!;
      // The framebuffer covers the top-left of the monitor (the surface may be larger than the fb mode).
      expect(m.width).toBeGreaterThanOrEqual(fb.width);
      expect(m.height).toBeGreaterThanOrEqual(fb.height);
      const expected = pattern(i, fb.width, fb.height);
      const shown = await waitFor(
        async () => {
          const shot = await monitorPagePixels(page, m.key);
          if (!shot) return null;
          const part = crop(shot, 0, 0, fb.width, fb.height);
          return compare(part, expected).differing === 0 ? part : null;
        },
        `monitor ${m.key} showing fb${i}'s pattern`,
        30_000,
        500,
      ).catch(async (e) => {
        const shot = await monitorPagePixels(page, m.key);
        const mem = await page.evaluate(async (id) => {
          const s = await (window as any).spiceTest.element().screenshot(id, 0);
          return s ? { w: s.width, h: s.height, px: [...s.rgba.slice(0, 4)], mid: [...s.rgba.slice(4 * (s.width * 20 + 5), 4 * (s.width * 20 + 5) + 4)] } : null;
        }, m.channelId);
        const box = await page.evaluate((k) => {
          const el = (window as any).spiceTest.element().monitorElement(k);
          const r = el.canvas.getBoundingClientRect();
          return { r: [r.left, r.top, r.width, r.height], cw: el.canvas.width, style: el.canvas.style.cssText, el: el.style.cssText };
        }, m.key);
        console.log(JSON.stringify({ mem, box, stats: await page.evaluate(() => (window as any).spiceTest.displayStats()) }).slice(0, 3000));
        if (shot) {
          const part = crop(shot, 0, 0, fb.width, fb.height);
          const dir = saveComparison(`monitors-qemu-fb${i}`, part, expected);
          throw new Error(`${(e as Error).message}: ${JSON.stringify(compare(part, expected))} (pictures in ${dir})`);
        }
        throw e;
      });
      expect(compare(shown, expected)).toMatchObject({ differing: 0, maxDelta: 0 });
    }
    const stats = await page.evaluate(() => (window as any).spiceTest.displayStats());
    for (const key of ['0:0', '1:0']) {
      const s = stats.find((x: any) => x.monitorFrames[key] !== undefined);
      expect(s?.monitorFrames[key]).toBeGreaterThan(0);
    }
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    await page.close();
  }, 120_000);
});
