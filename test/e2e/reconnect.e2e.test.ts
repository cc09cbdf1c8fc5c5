/**
 * Reconnect end to end: `<spice-console reconnect>` against real servers that go away and come back on the
 * same port. Xspice killed and restarted: the console reports `reconnecting` with growing delays and comes
 * back by itself, keeping what the user set. QEMU killed and restarted with a fake USB device redirected:
 * after the reconnect the device is redirected again and the new guest enumerates it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lastUsbListing, startQemu, startXspice, waitFor, type Qemu, type Xspice } from '../servers/index.js';
import { allowPageErrors, openConsolePage, useConsoleBrowser } from './support/browser.js';

const env = useConsoleBrowser();

const spiceTest = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => (window as any).spiceTest[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

const named = (page: Page, name: string): Promise<any[]> => page.evaluate((n) => (window as any).spiceTest.named(n), name);

/** Mounts the console with reconnect on, a short backoff, and records its reconnect events too. */
async function mountReconnecting(page: Page): Promise<void> {
  await page.evaluate(() => {
    const t = (window as any).spiceTest;
    t.mount();
    const el = t.element();
    el.reconnect = true;
    el.reconnectPolicy = { baseDelayMs: 300, maxDelayMs: 2000, factor: 2, jitter: 0.2, maxAttempts: 0 };
    for (const name of ['spice-reconnecting', 'spice-reconnect-failed']) {
      el.addEventListener(name, (e: CustomEvent) => t.events.push({ name, detail: JSON.parse(JSON.stringify(e.detail)) }));
    }
  });
}

describe('reconnect to Xspice after it is killed and restarted', () => {
  let xspice: Xspice | undefined;
  let page: Page | undefined;
  // After each try, not once: a try that failed leaves a console that reconnects for ever (maxAttempts 0) and a
  // server; the retry must not share the port's history with them.
  afterEach(async () => {
    await page?.close();
    await xspice?.stop();
    page = undefined;
    xspice = undefined;
  });

  it('should come back by itself, with the same settings', async () => {
    allowPageErrors(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed/, 'the server is down between attempts, on purpose');
    xspice = await startXspice({ password: 'secret' });
    const port = xspice.port;
    page = await openConsolePage(env.browser, env.origin);
    await mountReconnecting(page);
    await page.evaluate(() => {
      const el = (window as any).spiceTest.element();
      el.scale = 'none';
      el.viewOnly = true;
    });
    await spiceTest(page, 'connect', xspice.url, 'secret');
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length === 1, null, { timeout: 30_000 });

    await xspice.stop();
    const first = await waitFor(async () => (await named(page!, 'spice-reconnecting'))[0], 'spice-reconnecting', 15_000, 50);
    expect(first).toMatchObject({ attempt: 1, maxAttempts: 0 });
    expect(first.delay).toBeGreaterThanOrEqual(240);
    expect(first.delay).toBeLessThanOrEqual(300);
    const ended = (await named(page, 'spice-disconnected'))[0];
    expect(ended.clean).toBe(false);
    expect(['transport-closed', 'protocol', 'timeout']).toContain(ended.code);
    // Let a few attempts fail against the dead port before the server comes back.
    await waitFor(async () => (await named(page!, 'spice-reconnecting')).length >= 3, 'three attempts', 20_000, 50);

    xspice = await startXspice({ password: 'secret', port });
    const t0 = Date.now();
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length === 2, null, { timeout: 30_000 });
    const attempts = await named(page, 'spice-reconnecting');
    const delays = attempts.map((a) => a.delay);
    console.log(`reconnected ${Date.now() - t0} ms after the restart; attempts ${attempts.length}, delays ${delays.join(', ')} ms`);
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeLessThanOrEqual(2000);
    expect(delays[2]).toBeGreaterThan(delays[0]);
    const kept = await page.evaluate(() => {
      const el = (window as any).spiceTest.element();
      return { state: el.state, scale: el.scale, viewOnly: el.viewOnly, password: el.password === 'secret' };
    });
    expect(kept).toEqual({ state: 'connected', scale: 'none', viewOnly: true, password: true });
    const states = (await named(page, 'spice-state')).map((s) => s.state);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
    await waitFor(async () => (await spiceTest<{ width: number } | null>(page!, 'screenshot'))?.width, 'a frame after reconnecting', 15_000);
  });
});

describe('reconnect to QEMU with a redirected USB device', () => {
  let qemu: Qemu | undefined;
  let page: Page | undefined;
  afterEach(async () => {
    await page?.close();
    await qemu?.stop();
    page = undefined;
    qemu = undefined;
  });

  it('should redirect the device again into the restarted guest', async () => {
    allowPageErrors(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed/, 'the server is down between attempts, on purpose');
    qemu = await startQemu({ usbredirSlots: 2, waitForGuest: true });
    const port = qemu.port;
    page = await openConsolePage(env.browser, env.origin);
    await mountReconnecting(page);
    await spiceTest(page, 'connect', qemu.url);
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length === 1, null, { timeout: 60_000 });
    await waitFor(async () => (await spiceTest<any>(page!, 'usbStatus')).available, 'USB available', 30_000, 100);
    const key = await spiceTest<string>(page, 'addFakeUsbDevice', { productName: 'Reconnect Uno' });
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    await qemu.waitForSerial(/^USBDEV \S+ 2341:0043/m, 60_000);

    await qemu.stop();
    await waitFor(async () => (await named(page!, 'spice-reconnecting')).length >= 1, 'spice-reconnecting', 15_000, 50);
    qemu = await startQemu({ usbredirSlots: 2, waitForGuest: true, port });
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length === 2, null, { timeout: 90_000 });
    const status = await waitFor(
      async () => {
        const s = await spiceTest<any>(page!, 'usbStatus');
        return s.devices.some((d: any) => d.key === key && d.state === 'redirected') ? s : null;
      },
      'the device redirected again',
      30_000,
      100,
    );
    expect(status.channels).toEqual({ total: 2, free: 1 });
    const listing = await waitFor(
      async () => {
        const l = lastUsbListing(await qemu!.serialLog());
        return l.some((d) => d.vendorId === 0x2341 && d.productId === 0x0043) ? l : null;
      },
      'the restarted guest to list the device',
      60_000,
      200,
    );
    expect(listing.filter((d) => d.vendorId === 0x2341)).toHaveLength(1);
  });
});
