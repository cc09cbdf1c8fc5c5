/**
 * Kiosk mode end to end, on the built demo under a strict CSP (`?kiosk=1`): the page shows the console
 * alone; the browser wants a user gesture for full screen, so the console offers a full-screen button;
 * one click engages full screen and Keyboard Lock (Chromium), and system keys then reach the guest. When
 * Xspice dies the overlay counts down to the next attempt, and the console comes back when it restarts;
 * `kiosk-disconnected=blank` shows nothing instead, and `kiosk-disconnected=reload` reloads the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot, startXspice, waitFor, type Xspice } from '../servers/index.js';
import { allowPageErrors, failOnPageProblems, launchChromium } from './support/browser.js';
import { collectViolations, startDemoServer, type DemoServer } from './support/demo-server.js';

const SHOTS = process.env.SPICE_UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs/screenshots') : null;

let demo: DemoServer;
let browser: Browser;
let xspice: Xspice;

beforeAll(async () => {
  demo = await startDemoServer();
  browser = await launchChromium();
});
failOnPageProblems();
afterAll(async () => {
  await xspice?.stop();
  await browser?.close();
  await demo?.close();
});

const part = (page: Page, name: string) => page.locator(`spice-console >> [part="${name}"]`);

async function kioskPage(query: string): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  const violations = await collectViolations(page);
  // Record Keyboard Lock calls (the real lock runs too).
  await page.addInitScript(() => {
    const kb = (navigator as any).keyboard;
    (window as any).__locks = [];
    if (kb?.lock) {
      const lock = kb.lock.bind(kb);
      kb.lock = (codes?: string[]) => {
        (window as any).__locks.push(codes ?? 'all');
        return lock(codes);
      };
    }
  });
  await page.goto(`${demo.origin}/${query}`);
  return { page, violations };
}

describe('kiosk mode', () => {
  it('should take full screen and Keyboard Lock from one click, hide the page chrome, and come back after a server restart', async () => {
    allowPageErrors(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/?' failed/, 'the server is down between attempts, on purpose');
    await xspice?.stop(); // a failed first try's (afterAll stops only the last one)
    xspice = await startXspice({});
    xspice.run('xterm', ['-geometry', '80x24+10+10', '-e', 'top']);
    const port = xspice.port;
    const { page, violations } = await kioskPage(`?kiosk=1&url=${encodeURIComponent(xspice.url)}`);
    await page.waitForFunction(() => (document.querySelector('spice-console') as any)?.state === 'connected', null, { timeout: 30_000 });
    expect(await page.locator('header').isVisible()).toBe(false);
    expect(await page.locator('#toolbar').isVisible()).toBe(false);
    expect(await page.evaluate(() => (document.querySelector('spice-console') as any).reconnect || (document.querySelector('spice-console') as any).kiosk)).toBe(true);
    // No user gesture yet: the browser refused full screen and the console asks for a click.
    const button = part(page, 'kiosk-button');
    await button.waitFor({ timeout: 5_000 });
    expect(await button.textContent()).toContain('Enter full screen');
    await button.click();
    await page.waitForFunction(() => document.fullscreenElement === document.querySelector('spice-console'), null, { timeout: 5_000 });
    const locks = await page.evaluate(() => (window as any).__locks);
    expect(locks.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => (document.querySelector('spice-console') as any).keyboardGrabbed)).toBe(true);
    expect(await button.count()).toBe(0);

    await xspice.stop();
    await page.waitForFunction(() => (document.querySelector('spice-console') as any).state === 'reconnecting', null, { timeout: 15_000 });
    const overlay = part(page, 'status');
    const text = (await overlay.textContent()) ?? '';
    expect(text).toMatch(/Connection lost\. Reconnecting in \d+ s \(attempt \d+ of \d+\)/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'kiosk-reconnecting.png') });
    xspice = await startXspice({ port });
    xspice.run('xterm', ['-geometry', '80x24+10+10', '-e', 'top']);
    await page.waitForFunction(() => (document.querySelector('spice-console') as any).state === 'connected', null, { timeout: 60_000 });
    expect(await overlay.isVisible()).toBe(false);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('should show nothing while disconnected with kiosk-disconnected=blank', async () => {
    allowPageErrors(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/?' failed/, 'no server on purpose');
    const { page } = await kioskPage('?kiosk=1&kiosk-disconnected=blank&url=ws%3A%2F%2F127.0.0.1%3A9%2F');
    await page.waitForFunction(() => (document.querySelector('spice-console') as any)?.state === 'reconnecting', null, { timeout: 15_000 });
    expect(await part(page, 'status').isVisible()).toBe(false);
    // The live region still tells screen readers.
    await waitFor(async () => /Reconnecting/.test((await part(page, 'announce').textContent()) ?? ''), 'the announcement', 5_000);
    await page.close();
  });

  it('should reload the page at the next attempt with kiosk-disconnected=reload, and connect after it', async () => {
    allowPageErrors(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/?' failed/, 'the server is down at first, on purpose');
    const down = await startXspice({});
    const port = down.port;
    await down.stop();
    const url = encodeURIComponent(`ws://127.0.0.1:${port}/`);
    const { page } = await kioskPage(`?kiosk=1&kiosk-disconnected=reload&url=${url}`);
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));
    // A mark on this document: a reload makes a new one without it.
    await page.evaluate(() => ((window as any).__firstDocument = true));
    await page.waitForFunction(() => (document.querySelector('spice-console') as any)?.state === 'reconnecting', null, { timeout: 15_000 });
    // The countdown ends in a reload, not in a second attempt on this page.
    await waitFor(async () => loads.length > 0, 'the page to reload', 30_000, 100);
    expect(loads[0]).toBe(`${demo.origin}/?kiosk=1&kiosk-disconnected=reload&url=${url}`);
    expect(await page.evaluate(() => (window as any).__firstDocument ?? false)).toBe(false);
    // With the server back, the reloaded page connects by itself.
    await xspice?.stop();
    xspice = await startXspice({ port });
    await page.waitForFunction(() => (document.querySelector('spice-console') as any)?.state === 'connected', null, { timeout: 60_000 });
    await page.close();
  });
});
