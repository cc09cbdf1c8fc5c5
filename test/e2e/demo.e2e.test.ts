/**
 * The demo page, built and served under a strict CSP, against real Xspice servers: it connects from URL
 * parameters (and ignores a password parameter), from a dropped `.vv` connection file, shows the
 * statistics overlay with live figures, and a clear error with a Retry button that works. With
 * SPICE_UPDATE_SCREENSHOTS=1 it also writes docs/screenshots/*.png of these states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot, startXspice, waitFor, type Xspice } from '../servers/index.js';
import { allowPageErrors, failOnPageProblems, launchChromium } from './support/browser.js';
import { collectViolations, startDemoServer, type DemoServer } from './support/demo-server.js';

const SHOTS = process.env.SPICE_UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs/screenshots') : null;

let demo: DemoServer;
let browser: Browser;
let open: Xspice;
let locked: Xspice;

beforeAll(async () => {
  demo = await startDemoServer();
  browser = await launchChromium();
  open = await startXspice({ agent: true });
  open.run('xterm', ['-geometry', '80x24+10+10', '-e', 'top']);
  open.run('xclock', ['-update', '1', '-geometry', '200x200-20+20']);
  locked = await startXspice({ password: 'vv-secret' });
  locked.run('xterm', ['-geometry', '60x12+40+40']);
});
failOnPageProblems();
afterAll(async () => {
  await open?.stop();
  await locked?.stop();
  await browser?.close();
  await demo?.close();
});

async function demoPage(query: string): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const violations = await collectViolations(page);
  await page.goto(`${demo.origin}/${query}`);
  return { page, violations };
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

describe('the demo page', () => {
  it('should connect from URL parameters, never take a password from them, and show statistics', async () => {
    const { page, violations } = await demoPage(`?url=${encodeURIComponent(open.url)}&autoconnect=1&stats=1&password=leak`);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Connected'), null, { timeout: 30_000 });
    expect(await page.locator('#password').inputValue()).toBe('');
    expect(await page.locator('#log').textContent()).toContain('the password parameter is ignored');
    // The overlay shows rates once two samples exist; move the pointer for a round trip.
    const box = (await page.locator('spice-console').boundingBox())!;
    for (let i = 0; i < 30; i++) await page.mouse.move(box.x + 100 + i * 7, box.y + 100 + i * 5);
    const text = await waitFor(
      async () => {
        const t = (await page.locator('#stats').textContent()) ?? '';
        return /round trip[\d.]+ ms/.test(t) && /in[\d.]+ (kB|MB)\/s/.test(t) ? t : null;
      },
      'the statistics overlay to show a round trip',
      15_000,
      200,
    );
    expect(text).toMatch(/frames[\d.]+ \/s/);
    expect(text).toMatch(/out[\d.]+ (kB|MB)\/s/);
    await page.waitForTimeout(1200); // let the clock and top draw a few frames for the picture
    await shot(page, 'demo-connected');
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('should connect from a dropped .vv connection file', async () => {
    const { page, violations } = await demoPage('');
    await page.waitForSelector('spice-console');
    const vv = `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${locked.port}\npassword=vv-secret\ntitle=Dropped VM\ndelete-this-file=1\n`;
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'console.vv', { type: 'application/x-virt-viewer' }));
      document.querySelector('main')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, vv);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Connected'), null, { timeout: 30_000 });
    expect(await page.locator('#url').inputValue()).toBe(locked.url.replace(/\/$/, ''));
    expect(await page.locator('#log').textContent()).toContain('connection file console.vv: Dropped VM');
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('should show a clear error with a Retry button that connects', async () => {
    allowPageErrors(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/?' failed/, 'a wrong password ends the link on purpose');
    const { page, violations } = await demoPage(`?url=${encodeURIComponent(locked.url)}`);
    await page.fill('#password', 'wrong');
    await page.click('#connect');
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
    expect(await page.locator('#error-text').textContent()).toMatch(/password was refused.*auth-failed/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('retry');
    expect(await page.evaluate(() => (document.querySelector('spice-console') as any).state)).toBe('disconnected');
    await shot(page, 'demo-error');
    await page.fill('#password', 'vv-secret');
    await page.click('#retry');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Connected'), null, { timeout: 30_000 });
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('should reach every control by keyboard, in order, each with a name', async () => {
    const { page } = await demoPage(`?url=${encodeURIComponent(open.url)}`);
    await page.waitForSelector('spice-console');
    const order: string[] = [];
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          let el = document.activeElement as HTMLElement | null;
          while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement as HTMLElement;
          if (!el) return '';
          const label =
            el.getAttribute('aria-label') || (el as HTMLInputElement).labels?.[0]?.textContent?.trim() || el.textContent?.trim() || el.getAttribute('title') || '';
          return `${el.id || el.tagName.toLowerCase()}:${label.replace(/\s+/g, ' ').slice(0, 30)}`;
        }),
      );
    }
    const ids = order.map((o) => o.split(':')[0]);
    for (const id of ['url', 'password', 'connect', 'vv-file', 'reconnect', 'combo', 'send-combo', 'fullscreen']) expect(ids).toContain(id);
    expect(ids.indexOf('url')).toBeLessThan(ids.indexOf('connect'));
    expect(ids.indexOf('connect')).toBeLessThan(ids.indexOf('combo'));
    for (const o of order) expect(o.split(':')[1], `${o} has an accessible name`).not.toBe('');
    await page.close();
  });
});
