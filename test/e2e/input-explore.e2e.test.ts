import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startXspice, waitFor, sleep, type Xspice } from '../servers/index.js';
import { launchChromium, openConsolePage } from './support/browser.js';
import { startPageServer, type PageServer } from './support/page-server.js';

let pages: PageServer;
let browser: Browser;
let xspice: Xspice;
beforeAll(async () => {
  pages = await startPageServer();
  browser = await launchChromium();
  xspice = await startXspice({ agent: process.env.AGENT === '1' });
});
afterAll(async () => {
  await xspice?.stop();
  await browser?.close();
  await pages?.close();
});

async function loc(): Promise<string> {
  return (await xspice.exec('xdotool', ['getmouselocation'])).stdout.trim();
}

describe('explore', () => {
  it('should explore', async () => {
    const page = await openConsolePage(browser, pages.origin);
    page.on('console', (m) => console.log('[page]', m.text()));
    await page.evaluate((url) => (window as any).spiceTest.connect(url), xspice.url);
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0);
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-resize').length > 0);
    console.log('events', JSON.stringify(await page.evaluate(() => (window as any).spiceTest.events.map((e: any) => e.name + ' ' + JSON.stringify(e.detail).slice(0, 200)))));
    const screen = await page.evaluate(() => (window as any).spiceTest.screen());
    console.log('screen', screen);
    const el = () => page.evaluate(() => { const e = (window as any).spiceTest.element(); return { css: getComputedStyle(e.shadowRoot.querySelector('canvas')).cursor.slice(0, 80), img: e.interaction.cursor.image && { ...e.interaction.cursor.image, url: e.interaction.cursor.image.url.length }, vis: e.interaction.cursor.visible, pos: e.interaction.cursor.position }; });
    console.log('cursor', await el());
    await page.mouse.move(screen.left + 600, screen.top + 600);
    await sleep(300);
    console.log('cursor after move', await el());
    await xspice.exec('xsetroot', ['-cursor_name', 'watch']);
    await sleep(500);
    console.log('cursor after watch', await el());
    await xspice.exec('xsetroot', ['-cursor_name', 'crosshair']);
    await sleep(500);
    console.log('cursor after crosshair', await el());
    // xev key logger
    const xev = xspice.run('sh', ['-c', `exec xev -geometry 400x300+0+0 -name keylog > ${xspice.tmpDir}/xev.log 2>&1`]);
    await sleep(1000);
    console.log((await xspice.exec('xdotool', ['search', '--name', 'keylog'])).stdout);
    await page.mouse.move(screen.left + 100, screen.top + 100);
    await page.evaluate(() => (window as any).spiceTest.element().focus());
    await sleep(300);
    for (const k of ['PrintScreen', 'Pause', 'AltRight', 'ControlRight', 'MetaLeft', 'ContextMenu', 'NumpadEnter', 'NumpadDivide', 'Home', 'ArrowUp', 'Delete', 'Insert', 'F11', 'F12', 'NumLock', 'Numpad7', 'ScrollLock', 'KeyA']) {
      await page.keyboard.press(k);
      await sleep(50);
    }
    await sleep(500);
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(`${xspice.tmpDir}/xev.log`, 'utf8');
    console.log(log.split('\n').filter((l) => /keysym|KeyPress|KeyRelease/.test(l)).join('\n'));
    console.log('Xorg stderr', (await xspice.xorgLog()).split('\n').filter((l) => /escaped|kbd/i.test(l)).join('\n'));
    console.log('Xorg log tail', (await xspice.xorgLog()).slice(-1500));
  });
});
