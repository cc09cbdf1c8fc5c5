/**
 * Health of a page under a hostile or broken peer: whether its main thread keeps running (a rAF and a timer
 * tick, page.evaluate answers within a bound) and how much heap the page and its workers use (the CDP
 * Runtime.getHeapUsage of each target, JS heap plus the embedder's, i.e. DOM and ArrayBuffer bookkeeping).
 */
import type { Browser, Page } from 'playwright-core';

export interface Ticks {
  raf: number;
  timer: number;
  /** Longest gap between two 20 ms timer ticks since the ticker started, in ms (main-thread stalls). */
  maxGap: number;
}

/** Starts counting animation frames and 20 ms timer ticks in the page (idempotent). */
export async function startTicker(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    if (w.__ticks) return;
    const t = (w.__ticks = { raf: 0, timer: 0, maxGap: 0, last: performance.now() });
    const frame = () => {
      t.raf++;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    setInterval(() => {
      const now = performance.now();
      t.maxGap = Math.max(t.maxGap, now - t.last);
      t.last = now;
      t.timer++;
    }, 20);
  });
}

export async function ticks(page: Page): Promise<Ticks> {
  return page.evaluate(() => {
    const t = (window as any).__ticks;
    return { raf: t.raf, timer: t.timer, maxGap: Math.round(t.maxGap) };
  });
}

/**
 * How long a trivial page.evaluate takes to answer, in ms (throws if not within `bound`). The default bound,
 * 5 s, is far above an idle page's few ms and still catches a hung one; 2 s failed now and then on the shared
 * 2-core test machine at a load average of 15.
 */
export async function evaluateLatency(page: Page, bound = 5000): Promise<number> {
  const t0 = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`page.evaluate did not answer within ${bound} ms`)), bound);
  });
  try {
    await Promise.race([page.evaluate(() => 1), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return Date.now() - t0;
}

/**
 * Proves the page keeps running: over `ms`, both the rAF and the timer advance, and page.evaluate answers
 * within `bound`. Returns what it saw.
 */
export async function expectResponsive(page: Page, ms = 500, bound = 5000): Promise<{ raf: number; timer: number; latency: number }> {
  const a = await ticks(page);
  await new Promise((r) => setTimeout(r, ms));
  const latency = await evaluateLatency(page, bound);
  const b = await ticks(page);
  const raf = b.raf - a.raf;
  const timer = b.timer - a.timer;
  if (raf < 1 || timer < 1) throw new Error(`the page stalled: ${raf} animation frames and ${timer} timer ticks in ${ms} ms`);
  return { raf, timer, latency };
}

export interface HeapUsage {
  /** JS heap + embedder heap of the page's main thread, in bytes. */
  page: number;
  /** The same for each worker target of the browser. */
  workers: number[];
}

async function targetHeap(browser: Browser, targetId: string, gc: boolean): Promise<number | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });
    const answer = new Promise<any>((resolve) => {
      cdp.on('Target.receivedMessageFromTarget', (e: any) => {
        const m = JSON.parse(e.message);
        if (e.sessionId === sessionId && m.id === 2) resolve(m);
      });
    });
    if (gc) await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }) });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 2, method: 'Runtime.getHeapUsage' }) });
    const m = await Promise.race([answer, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
    if (!m?.result) return null;
    return m.result.usedSize + m.result.embedderHeapUsedSize;
  } catch {
    return null; // the worker ended meanwhile
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * Heap of the page and of every worker in the browser (tests run one page at a time); with `gc`, each is
 * garbage-collected first so that samples compare.
 */
export async function heapUsage(browser: Browser, page: Page, gc = false): Promise<HeapUsage> {
  const ps = await page.context().newCDPSession(page);
  if (gc) await ps.send('HeapProfiler.collectGarbage');
  const own = await ps.send('Runtime.getHeapUsage');
  await ps.detach();
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  await cdp.detach();
  const workers: number[] = [];
  for (const t of targetInfos.filter((t: any) => t.type === 'worker')) {
    const used = await targetHeap(browser, t.targetId, gc);
    if (used !== null) workers.push(used);
  }
  return { page: own.usedSize + own.embedderHeapUsedSize, workers };
}

/** Total of a HeapUsage in MiB, for messages. */
export const mib = (n: number) => Math.round((n / (1024 * 1024)) * 10) / 10;
