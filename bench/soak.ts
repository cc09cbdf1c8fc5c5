/**
 * The soak run (`npm run soak -- --minutes N`, bundled by scripts/soak.mjs): a real workload on Xspice (an
 * xterm running `top -d 0.5`, xclock ticking every second, and a colour change of the root window every few
 * seconds) shown by <spice-console> in headless Chromium for N minutes, with a reconnect every
 * `--reconnect-minutes` (default 3). Every `--sample-seconds` (default 15) it records the heap of the page and
 * of the engine worker (CDP Runtime.getHeapUsage, after a forced GC so the numbers compare), the frames
 * presented since the last sample, and errors (page errors, worker errors, console.error, unexpected
 * disconnects). It prints a table and a verdict: memory is flat when the last third's median heap is within
 * `--slack-mib` (default 8) of the first third's. Exit code 1 on errors or growth.
 */
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../test/chromium.mjs';
import { startXspice } from '../test/servers/index.js';
import { startPageServer } from '../test/e2e/support/page-server.js';
import { expectResponsive, heapUsage, mib, startTicker } from '../test/e2e/support/health.js';

interface Sample {
  minute: number;
  pageMiB: number;
  workerMiB: number;
  fps: number;
  rafPerS: number;
  errors: number;
  session: number;
}

const args = process.argv.slice(2);
const num = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const minutes = num('minutes', 60);
const reconnectMinutes = num('reconnect-minutes', 3);
const sampleSeconds = num('sample-seconds', 15);
const slackMiB = num('slack-mib', 8);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

async function main(): Promise<number> {
  const errors: string[] = [];
  const xspice = await startXspice({ agent: true, password: 'soak' });
  const pages = await startPageServer();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const colours = ['#203040', '#405020', '#502030', '#304050'];
  let colour = 0;
  const painter = setInterval(() => void xspice.exec('xsetroot', ['-solid', colours[colour++ % colours.length]!]).catch(() => {}), 4000);
  try {
    xspice.run('xterm', ['-geometry', '100x30+10+10', '-e', 'top', '-d', '0.5']);
    xspice.run('xclock', ['-update', '1', '-geometry', '200x200-20+20']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/@vite\/client|\/favicon\.ico/.test(m.location().url)) errors.push(`console.error${m.worker() ? ' (worker)' : ''}: ${m.text()}`);
    });
    await page.goto(`${pages.origin}/test/e2e/page/index.html`);
    await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
    await startTicker(page);

    let sessions = 0;
    const connect = async () => {
      await page.evaluate((url) => (window as any).spiceTest.connect(url, 'soak'), xspice.url);
      await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 60_000 });
      sessions++;
    };
    const disconnect = async () => {
      await page.evaluate(() => (window as any).spiceTest.disconnect());
      const ended = await page.evaluate(() => (window as any).spiceTest.named('spice-disconnected'));
      if (ended.length !== 1 || ended[0].code !== 'client') errors.push(`session ${sessions} ended ${JSON.stringify(ended)}`);
      const t0 = Date.now();
      while (page.workers().length > 0 && Date.now() - t0 < 10_000) await sleep(100);
      if (page.workers().length > 0) errors.push(`session ${sessions}: the engine worker outlived disconnect`);
    };

    await connect();
    const start = Date.now();
    let lastReconnect = start;
    let lastFrames = 0;
    let lastTicks = await page.evaluate(() => (window as any).__ticks.raf as number);
    let lastAt = Date.now();
    const samples: Sample[] = [];
    console.log(`soak: ${minutes} min, reconnect every ${reconnectMinutes} min, a sample every ${sampleSeconds} s`);
    console.log('minute  page MiB  worker MiB  fps   rAF/s  errors  session');
    while (Date.now() - start < minutes * 60_000) {
      await sleep(sampleSeconds * 1000);
      const disconnected = await page.evaluate(() => (window as any).spiceTest.named('spice-disconnected'));
      if (disconnected.length) errors.push(`session ${sessions} ended unasked: ${JSON.stringify(disconnected)}`);
      await expectResponsive(page, 200, 5000).catch((e: Error) => errors.push(e.message));
      const frames = (await page.evaluate(() => (window as any).spiceTest.displayStats()))[0]?.frames ?? 0;
      const raf = await page.evaluate(() => (window as any).__ticks.raf as number);
      const now = Date.now();
      const heap = await heapUsage(browser, page, true);
      const s: Sample = {
        minute: Math.round(((now - start) / 60_000) * 10) / 10,
        pageMiB: mib(heap.page),
        workerMiB: mib(Math.max(0, ...heap.workers)),
        fps: Math.round(((frames - lastFrames) / ((now - lastAt) / 1000)) * 10) / 10,
        rafPerS: Math.round((raf - lastTicks) / ((now - lastAt) / 1000)),
        errors: errors.length,
        session: sessions,
      };
      samples.push(s);
      console.log(
        `${String(s.minute).padStart(6)}  ${String(s.pageMiB).padStart(8)}  ${String(s.workerMiB).padStart(10)}  ${String(s.fps).padStart(4)}  ${String(s.rafPerS).padStart(5)}  ${String(s.errors).padStart(6)}  ${String(s.session).padStart(7)}`,
      );
      lastFrames = frames;
      lastTicks = raf;
      lastAt = now;
      if (now - lastReconnect >= reconnectMinutes * 60_000 && now - start < minutes * 60_000 - sampleSeconds * 1000) {
        await disconnect();
        await connect();
        lastReconnect = Date.now();
        lastFrames = 0;
        lastAt = Date.now();
      }
    }
    await disconnect();
    await page.close();

    const third = Math.max(1, Math.floor(samples.length / 3));
    const first = samples.slice(0, third);
    const last = samples.slice(-third);
    const growth = (key: 'pageMiB' | 'workerMiB') => Math.round((median(last.map((s) => s[key])) - median(first.map((s) => s[key]))) * 10) / 10;
    const pageGrowth = growth('pageMiB');
    const workerGrowth = growth('workerMiB');
    const fps = samples.map((s) => s.fps);
    console.log(
      `\nsoak result: ${minutes} min, ${sessions} sessions, ${samples.length} samples; heap median growth first→last third: page ${pageGrowth} MiB, worker ${workerGrowth} MiB ` +
        `(page ${Math.min(...samples.map((s) => s.pageMiB))}-${Math.max(...samples.map((s) => s.pageMiB))} MiB, worker ${Math.min(...samples.map((s) => s.workerMiB))}-${Math.max(...samples.map((s) => s.workerMiB))} MiB); ` +
        `fps median ${median(fps)} (min ${Math.min(...fps)}, max ${Math.max(...fps)}); errors ${errors.length}`,
    );
    for (const e of errors.slice(0, 20)) console.log(`  error: ${e}`);
    const flat = pageGrowth <= slackMiB && workerGrowth <= slackMiB;
    console.log(flat && !errors.length ? 'verdict: PASS (flat memory, no errors)' : `verdict: FAIL (${flat ? '' : 'memory grew; '}${errors.length} errors)`);
    return flat && !errors.length ? 0 : 1;
  } finally {
    clearInterval(painter);
    await browser.close();
    await pages.close();
    await xspice.stop();
  }
}

process.exitCode = await main();
