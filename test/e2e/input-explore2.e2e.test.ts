import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQemu, sleep, type Qemu } from '../servers/index.js';
import { launchChromium, openConsolePage } from './support/browser.js';
import { startPageServer, type PageServer } from './support/page-server.js';

let pages: PageServer;
let browser: Browser;
let qemu: Qemu;
const dir = mkdtempSync(join(tmpdir(), 'qtrace-'));
const trace = join(dir, 'trace.log');
beforeAll(async () => {
  pages = await startPageServer();
  browser = await launchChromium();
  qemu = await startQemu({ waitForGuest: true, agent: process.env.AGENT === '1', extraArgs: ['-trace', 'input_event_*', '-trace', 'ps2_put_keycode', '-D', trace] });
});
afterAll(async () => {
  await qemu?.stop();
  await browser?.close();
  await pages?.close();
});

describe('explore qemu', () => {
  it('should explore', async () => {
    const page = await openConsolePage(browser, pages.origin);
    page.on('console', (m) => console.log('[page]', m.text()));
    await page.evaluate((url) => (window as any).spiceTest.connect(url), qemu.url);
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 90000 }).catch(async () => console.log('NOT CONNECTED', JSON.stringify(await page.evaluate(() => (window as any).spiceTest.events))));
    console.log('events', JSON.stringify(await page.evaluate(() => (window as any).spiceTest.events.map((e: any) => e.name + ' ' + JSON.stringify(e.detail).slice(0, 300)))));
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-resize').length > 0, null, { timeout: 60000 }).catch(() => console.log('no resize'));
    const screen = await page.evaluate(() => (window as any).spiceTest.screen());
    console.log('screen', screen);
    await page.evaluate(() => (window as any).spiceTest.element().focus());
    const mark = (s: string) => console.log('---', s, existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').length : 0);
    for (const k of ['PrintScreen', 'Pause', 'KeyA', 'AltRight']) {
      mark(k);
      await page.keyboard.press(k);
      await sleep(200);
    }
    mark('combo');
    await page.evaluate(() => (window as any).spiceTest.element().sendCombo('ctrl-alt-del'));
    await sleep(300);
    await page.mouse.click(screen.left + 100, screen.top + 100);
    await sleep(500);
    console.log('locked', await page.evaluate(() => (window as any).spiceTest.element().pointerLocked));
    mark('move');
    await page.mouse.move(screen.left + 150, screen.top + 130);
    await sleep(300);
    mark('click');
    await page.mouse.down();
    await page.mouse.up();
    await sleep(300);
    mark('wheel');
    await page.mouse.wheel(0, 100);
    await sleep(500);
    console.log(readFileSync(trace, 'utf8'));
  });
});
