/**
 * Several heads on one display channel, end to end: Xspice with two heads (one QXL device, MONITORS_CONFIG)
 * and the real agent (spice-vdagent). The console, with `resize-guest` on and `addMonitor()`, asks the guest
 * for two monitors of the room it has (the console's box split in two, DPR 1); `xrandr` in the session must
 * then report both outputs at those sizes side by side, a click on the second monitor must land where
 * `xdotool getmouselocation` says, resizing the element must change the guest's mode, and the pixels the
 * page shows on each canvas must equal the matching part of spicy-screenshot's picture. Then a console
 * without a size from the page shows the whole two-head guest at its container's width.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { compare, saveComparison } from './support/pixels.js';
import { crop, monitorCanvasBox, monitorPagePixels } from './support/monitor-pixels.js';
import { waitForQuietDisplay } from './support/scene.js';

const env = useConsoleBrowser();

interface Output {
  name: string;
  width: number;
  height: number;
  x: number;
  y: number;
}

/** Connected outputs with a mode, from `xrandr --query`. */
async function outputs(x: Xspice): Promise<Output[]> {
  const r = await x.exec('xrandr', ['--query']);
  return [...r.stdout.matchAll(/^(\S+) connected (?:primary )?(\d+)x(\d+)\+(\d+)\+(\d+)/gm)].map((m) => ({
    name: m[1]!,
    width: Number(m[2]),
    height: Number(m[3]),
    x: Number(m[4]),
    y: Number(m[5]),
  }));
}

const monitorsOf = (page: Page) =>
  page.evaluate(() => (window as any).spiceTest.element().monitors as { key: string; displayId: number; x: number; y: number; width: number; height: number }[]);

async function guestHas(x: Xspice, page: Page, width: number, height: number): Promise<void> {
  await waitFor(
    async () => {
      const outs = await outputs(x);
      const mons = await monitorsOf(page);
      const ok =
        outs.length === 2 &&
        outs.every((o) => o.width === width && o.height === height && o.y === 0) &&
        outs
          .map((o) => o.x)
          .sort((a, b) => a - b)
          .join() === `0,${width}` &&
        mons.length === 2 &&
        mons.every((m) => m.width === width && m.height === height);
      return ok || null;
    },
    `two ${width}x${height} outputs side by side (xrandr) and monitors`,
    45_000,
    500,
  ).catch(async (e) => {
    const asked = await page.evaluate(() => (window as any).spiceTest.element().monitorsRequest);
    throw new Error(
      `${(e as Error).message}\nxrandr: ${JSON.stringify(await outputs(x))}\nmonitors: ${JSON.stringify(await monitorsOf(page))}\nasked: ${JSON.stringify(asked)}\n${x.agentLog().slice(-3000)}`,
    );
  });
}

describe('monitors of one display channel with several heads (Xspice + agent)', () => {
  let x: Xspice;

  beforeAll(async () => {
    // XSPICE_AGENT_MOUSE: client-mode positions go through the agent, which knows each head's offset (Xspice's
    // own tablet would take every display's x,y as the whole screen's).
    x = await startXspice({ heads: 2, agent: true, width: 1024, height: 768, env: { XSPICE_AGENT_MOUSE: '1' } });
    x.run('xsetroot', ['-solid', '#305070']);
  }, 60_000);

  afterAll(async () => {
    await x?.stop();
  });

  it('should make the guest follow two client monitors, map clicks to the right head and show both exactly', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await page.setViewportSize({ width: 1700, height: 700 });
    await page.evaluate(() => {
      const t = (window as any).spiceTest;
      t.mount();
      const el = t.element();
      el.style.cssText = 'display:block;width:1280px;height:480px';
      el.scale = 'none';
      el.resizeGuest = true;
    });
    await page.evaluate((u) => (window as any).spiceTest.connect(u), x.url);
    // The room for a second head is known once the display channel's MONITORS_CONFIG (max_allowed) has arrived,
    // which may come after the first surface.
    await page
      .waitForFunction(
        () => {
          const el = (window as any).spiceTest.element();
          return el.monitors.length >= 1 && el.session?.agentConnected && el.maxMonitors >= 2;
        },
        null,
        { timeout: 30_000 },
      )
      .catch(async (e) => {
        const s = await page.evaluate(() => {
          const el = (window as any).spiceTest.element();
          return { monitors: el.monitors, maxMonitors: el.maxMonitors, agent: !!el.session?.agentConnected };
        });
        throw new Error(`${(e as Error).message}\n${JSON.stringify(s)}\nxrandr: ${JSON.stringify(await outputs(x))}`);
      });
    expect(await page.evaluate(() => (window as any).spiceTest.element().addMonitor())).toBe(true);
    await guestHas(x, page, 640, 480);

    // Something on each head to compare.
    const xterms = async () => (await x.exec('xdotool', ['search', '--onlyvisible', '--class', 'xterm'])).stdout.trim().split('\n').filter(Boolean).length;
    const before = await xterms(); // a retry finds the first try's
    x.run('xterm', ['-geometry', '40x10+20+20', '-bg', 'white', '-fg', 'black']);
    x.run('xterm', ['-geometry', '30x8+700+60', '-bg', 'navy', '-fg', 'yellow']);
    // Both mapped and drawn on the page (a fixed 1.5 s was a guess on a loaded machine).
    await waitFor(async () => (await xterms()) === before + 2 || null, 'both xterms mapped', 30_000, 200);
    await waitForQuietDisplay(page);

    // A click on guest pixel (100, 50) of the second monitor lands at (640 + 100, 50) of the X screen.
    const second = (await monitorsOf(page)).find((m) => m.displayId === 1)!;
    const box = (await monitorCanvasBox(page, second.key))!;
    await page.mouse.click(box.left + 100.5 * (box.width / second.width), box.top + 50.5 * (box.height / second.height));
    await waitFor(
      async () => {
        const r = await x.exec('xdotool', ['getmouselocation']);
        return /x:740 y:50 /.test(r.stdout) || null;
      },
      'the X pointer at 740,50',
      10_000,
      200,
    ).catch(async (e) => {
      throw new Error(
        `${(e as Error).message}: ${(await x.exec('xdotool', ['getmouselocation'])).stdout}\nmonitors: ${JSON.stringify(await monitorsOf(page))}\nbox ${JSON.stringify(box)}\n${x.agentLog().slice(-2500)}`,
      );
    });

    // Resizing the element changes the guest's mode.
    await page.evaluate(() => ((window as any).spiceTest.element().style.width = '1600px'));
    await guestHas(x, page, 800, 480);
    // The new mode's surfaces and the redraw have reached the page before ours is taken.
    await waitForQuietDisplay(page);

    // Ours first (spicy-screenshot's connection ends ours), then spice-gtk's picture of the whole surface.
    const mons = await monitorsOf(page);
    const ours = new Map<string, Awaited<ReturnType<typeof monitorPagePixels>>>();
    for (const m of mons) ours.set(m.key, await monitorPagePixels(page, m.key));
    const theirs = await x.screenshot();
    for (const m of mons) {
      const shot = ours.get(m.key)!;
      expect(shot).not.toBeNull();
      const expected = crop(theirs, m.x, m.y, m.width, m.height);
      const result = compare(shot!, expected);
      if (result.differing) saveComparison(`monitors-xspice-${m.key.replace(':', '-')}`, shot!, expected);
      expect(result).toMatchObject({ differing: 0 });
    }
    await page.close();
  }, 180_000);

  it('should show the whole guest in a console without a size from the page (container width, guest aspect)', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await page.evaluate(() => {
      const t = (window as any).spiceTest;
      t.mount();
      const el = t.element();
      const holder = document.createElement('div');
      holder.style.cssText = 'width:900px';
      document.body.append(holder);
      el.style.cssText = 'width:auto;height:auto'; // undo the test page's size: a plain, unsized console
      holder.append(el);
    });
    await page.evaluate((u) => (window as any).spiceTest.connect(u), x.url);
    await page.waitForFunction(() => (window as any).spiceTest.element().monitors.length === 2, null, { timeout: 30_000 });
    // The layout once it has settled (two canvases, the same boxes twice in a row 200 ms apart), not after a
    // fixed 500 ms: a loaded machine may render the monitors' canvases later.
    const measure = () =>
      page.evaluate(() => {
        const el = (window as any).spiceTest.element();
        const box = el.getBoundingClientRect();
        const canvases = [...el.shadowRoot.querySelectorAll('spice-monitor canvas')].map((c: any) => c.getBoundingClientRect());
        const mons = el.monitors;
        const w = Math.max(...mons.map((m: any) => m.x + m.width));
        const h = Math.max(...mons.map((m: any) => m.y + m.height));
        return { box: [box.left, box.top, box.width, box.height], canvases: canvases.map((c: DOMRect) => [c.left, c.top, c.width, c.height]), guest: [w, h] };
      });
    let previous = '';
    const r = await waitFor(
      async () => {
        const now = await measure();
        const same = JSON.stringify(now) === previous && now.canvases.length === 2;
        previous = JSON.stringify(now);
        return same ? now : null;
      },
      'the monitors laid out',
      15_000,
      200,
    );
    const [left, top, width, height] = r.box;
    expect(width).toBe(900);
    expect(Math.abs(height - (900 * r.guest[1]) / r.guest[0])).toBeLessThanOrEqual(1);
    // Every canvas inside the element, together as wide as it: the whole guest is shown.
    for (const [cl, ct, cw, ch] of r.canvases) {
      expect(cl).toBeGreaterThanOrEqual(left - 0.5);
      expect(ct).toBeGreaterThanOrEqual(top - 0.5);
      expect(cl + cw).toBeLessThanOrEqual(left + width + 0.5);
      expect(ct + ch).toBeLessThanOrEqual(top + height + 0.5);
    }
    expect(Math.abs(r.canvases.reduce((s: number, c: number[]) => s + c[2]!, 0) - 900)).toBeLessThanOrEqual(1);
    await page.close();
  }, 60_000);
});
