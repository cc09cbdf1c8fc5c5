/**
 * The core e2e set in Firefox ESR (WebDriver BiDi via puppeteer-core): <spice-console> links to a real
 * Xspice, draws what spice-gtk sees pixel for pixel, types into an xterm, ends cleanly leaving no socket,
 * reports auth-failed, and reports USB unavailable with the reason (Firefox has no WebUSB).
 * spice-server serves one client at a time: spice-gtk's screenshot is taken before the browser connects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { compare } from './support/pixels.js';
import { openFirefoxConsolePage, useFirefox } from './support/firefox.js';

const env = useFirefox();

const named = (page: Page, name: string): Promise<any[]> => page.evaluate((n) => (window as any).spiceTest.named(n), name);
const first = (page: Page, name: string, timeout = 30_000) => waitFor(async () => (await named(page, name))[0], name, timeout, 100);

describe('Firefox ESR: core', () => {
  let xspice: Xspice;
  beforeAll(async () => {
    xspice = await startXspice({ password: 'secret' });
  });
  afterAll(() => xspice?.stop());

  it('should link, draw what spice-gtk sees, type into the guest, report USB unavailable, and end cleanly', async () => {
    // A window and file of this try's own: a retry would otherwise find (and focus) the first try's xterm.
    const title = `fftype${Date.now()}`;
    const file = join(xspice.tmpDir, `${title}.txt`);
    xspice.run('xterm', ['-geometry', '60x8+20+20', '-title', title, '-e', 'sh', '-c', `cat > ${file}`]);
    const id = await waitFor(
      async () => (await xspice.exec('xdotool', ['search', '--onlyvisible', '--name', `^${title}$`])).stdout.trim().split('\n')[0],
      'xterm',
      20_000,
    );
    expect((await xspice.exec('xdotool', ['windowfocus', '--sync', id])).code).toBe(0);
    // spice-gtk's picture once the xterm has finished drawing (the same picture twice in a row). It must be
    // taken before the browser connects: a spicy-screenshot later would end the browser's session.
    let theirs = await xspice.screenshot();
    for (let i = 0; i < 10; i++) {
      const again = await xspice.screenshot();
      const same = compare(again, theirs).differing === 0;
      theirs = again;
      if (same) break;
    }

    const page = await openFirefoxConsolePage(env.browser, env.origin);
    expect(await page.evaluate(() => navigator.userAgent)).toMatch(/Firefox\//);
    await page.evaluate((url) => (window as any).spiceTest.connect(url, 'secret'), xspice.url);
    const session = await first(page, 'spice-connected');
    expect(session.channels.map((c: any) => `${c.type} ${c.id}`).sort()).toEqual(['cursor 0', 'display 0', 'inputs 0', 'main 0']);

    const usb = await page.evaluate(() => (window as any).spiceTest.usbStatus());
    expect(usb.available).toBe(false);
    expect(usb.reason).toMatch(/no WebUSB \(Firefox and Safari do not implement it\)/);

    // Display: the worker's surface equals spice-gtk's.
    let last = '';
    await waitFor(
      async () => {
        const shot = await page.evaluate(() => (window as any).spiceTest.screenshot(0));
        if (!shot) return false;
        const c = compare({ width: shot.width, height: shot.height, rgba: new Uint8Array(Buffer.from(shot.rgba, 'base64')) }, theirs);
        last = JSON.stringify(c);
        return c.differing === 0;
      },
      'the Firefox surface to match spicy-screenshot',
      30_000,
      500,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}: ${last}`);
    });

    // Input: keys typed on the page reach the xterm. Puppeteer's BiDi Enter arrives in Firefox as
    // NumpadEnter (KP_Enter, which does not end this xterm's line): the line ends through sendKeys.
    await page.evaluate(() => (window as any).spiceTest.element().focus());
    await page.keyboard.type('firefox ok');
    await page.evaluate(() => (window as any).spiceTest.element().sendKeys(['Enter']));
    await waitFor(async () => existsSync(file) && readFileSync(file, 'utf8') === 'firefox ok\n', 'typed text in the guest', 15_000, 200).catch((e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(existsSync(file) ? readFileSync(file, 'utf8') : null)}`);
    });

    expect(await named(page, 'spice-disconnected')).toEqual([]);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    expect(await first(page, 'spice-disconnected')).toEqual({ code: 'client', reason: expect.any(String), clean: true });
    expect(await page.evaluate(() => (window as any).spiceTest.openSockets())).toBe(0);
    await page.close();
  });

  it('should report auth-failed for a wrong password', async () => {
    const page = await openFirefoxConsolePage(env.browser, env.origin);
    await page.evaluate((url) => (window as any).spiceTest.connect(url, 'wrong'), xspice.url);
    expect((await first(page, 'spice-disconnected')).code).toBe('auth-failed');
    await page.close();
  });
});
