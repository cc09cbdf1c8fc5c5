/**
 * Monitors figure: `npx vitest run --config bench/vitest.monitors.config.ts` (BENCH_SECONDS per window,
 * default 20). Real Xspice with two heads and the agent; the console (resize-guest) first asks for one
 * 1920x1080 monitor, then for two side by side. Each window runs a full-head xterm scrolling `seq` output
 * per monitor and prints, for one and for two monitors: canvas updates per second per monitor (the
 * worker's presented frames of that monitor's canvas), and the page main thread's longest task (Long Tasks
 * API, >= 50 ms) and the worst lateness of a 5 ms timer (shorter stalls). The page's main thread does no
 * per-frame work for any number of monitors (drawing happens in the worker), so both must stay alike.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sleep, startXspice, waitFor, type Xspice } from '../test/servers/index.js';
import { openConsolePage, useConsoleBrowser } from '../test/e2e/support/browser.js';

const env = useConsoleBrowser();
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);

let x: Xspice;
beforeAll(async () => {
  x = await startXspice({ heads: 2, agent: true, width: 1920, height: 1080 });
}, 60_000);
afterAll(async () => {
  await x?.stop();
});

const element = (page: Page) =>
  page.evaluate(() =>
    (window as any).spiceTest
      .element()
      .monitors.map((m: any) => `${m.key}=${m.width}x${m.height}`)
      .join(' '),
  );

async function startProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.__probe = { longest: 0, longTasks: 0, late: 0 };
    w.__observer?.disconnect();
    w.__observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.__probe.longTasks++;
        w.__probe.longest = Math.max(w.__probe.longest, e.duration);
      }
    });
    w.__observer.observe({ type: 'longtask' });
    clearInterval(w.__timer);
    let last = performance.now();
    w.__timer = setInterval(() => {
      const now = performance.now();
      w.__probe.late = Math.max(w.__probe.late, now - last - 5);
      last = now;
    }, 5);
  });
}

async function measure(page: Page, label: string): Promise<Record<string, number>> {
  const frames = async () => {
    const stats = await page.evaluate(() => (window as any).spiceTest.displayStats());
    return Object.assign({}, ...stats.map((s: any) => s.monitorFrames)) as Record<string, number>;
  };
  await sleep(3000); // warm up
  await startProbe(page);
  const before = await frames();
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const after = await frames();
  const seconds = (Date.now() - t0) / 1000;
  const probe = await page.evaluate(() => (window as any).__probe);
  const fps: Record<string, number> = {};
  for (const key of Object.keys(after)) fps[key] = Math.round((((after[key] ?? 0) - (before[key] ?? 0)) / seconds) * 10) / 10;
  console.log(
    `${label}: ${Object.entries(fps)
      .map(([k, v]) => `monitor ${k} ${v} fps`)
      .join(', ')}; main thread: longest task ${Math.round(probe.longest)} ms (${probe.longTasks} >= 50 ms), worst 5 ms timer lateness ${Math.round(probe.late)} ms`,
  );
  return { ...fps, longest: probe.longest, late: probe.late };
}

async function monitorsAre(page: Page, n: number): Promise<void> {
  await waitFor(
    async () => {
      const list = await page.evaluate(() => (window as any).spiceTest.element().monitors);
      return list.length === n && list.every((m: any) => m.width === 1920 && m.height === 1080) ? true : null;
    },
    `${n} monitors of 1920x1080`,
    60_000,
    500,
  ).catch(async (e) => {
    throw new Error(`${(e as Error).message}: ${await element(page)}`);
  });
}

it('two 1920x1080 monitors under scrolling: fps per monitor and the main thread', async () => {
  const page = await openConsolePage(env.browser, env.origin);
  await page.setViewportSize({ width: 3900, height: 1120 });
  await page.evaluate(() => {
    const t = (window as any).spiceTest;
    t.mount();
    const el = t.element();
    el.style.cssText = 'display:block;width:1920px;height:1080px';
    el.scale = 'none';
    el.resizeGuest = true;
  });
  await page.evaluate((u) => (window as any).spiceTest.connect(u), x.url);
  await monitorsAre(page, 1);
  const scroll = (left: number) => x.run('xterm', ['-geometry', `240x67+${left}+0`, '-e', 'sh', '-c', 'while :; do seq 1 100000000; done']);
  const first = scroll(0);
  const one = await measure(page, 'one monitor');
  await page.evaluate(() => {
    const el = (window as any).spiceTest.element();
    el.style.width = '3840px';
    el.addMonitor();
  });
  await monitorsAre(page, 2);
  const second = scroll(1920);
  const two = await measure(page, 'two monitors');
  for (const p of [first, second]) if (p.pid) process.kill(-p.pid, 'SIGKILL');
  expect(one['0:0']).toBeGreaterThan(0);
  expect(two['0:0']).toBeGreaterThan(0);
  expect(two['0:1']).toBeGreaterThan(0);
  await page.close();
}, 240_000);
