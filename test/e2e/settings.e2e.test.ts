/**
 * Per-VM settings end to end: headless Chromium with its real IndexedDB and the e2e page's real
 * <spice-console>, against Xspice. A choice made in <spice-console-options> (Playwright picks it, through
 * the shadow DOM) and one set as a property survive a page reload, come back for the same vm-id, and the
 * stored image compression is what the console then asks the real server for (the display channel decodes
 * the LZ4 images Xspice sends only on the client's request). A corrupt record planted in the store with plain
 * IndexedDB is ignored with a warning event and the console still connects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

const env = useConsoleBrowser();

/** SPICE_IMAGE_TYPE_LZ4 / GLZ_RGB. */
const LZ4 = 109;
const GLZ_RGB = 102;

/** Mounts the page's console, records its spice-settings events in window.settingsEvents, sets its vm-id. */
async function mountWithVmId(page: Page, vmId: string): Promise<void> {
  await page.evaluate((id) => {
    const w = window as any;
    w.spiceTest.mount();
    const el = w.spiceTest.element();
    w.settingsEvents = [];
    el.addEventListener('spice-settings', (e: CustomEvent) => w.settingsEvents.push(e.detail));
    el.vmId = id;
  }, vmId);
}

async function settingsEvent(page: Page, state: string): Promise<any> {
  const handle = await page.waitForFunction((s) => (window as any).settingsEvents.find((d: any) => d.state === s), state, { timeout: 15_000 });
  return handle.jsonValue();
}

const prop = (page: Page, name: string) => page.evaluate((n) => (window as any).spiceTest.element()[n], name);

/** Reads (value undefined) or writes the settings store with plain IndexedDB, around the code under test. */
function rawStore(page: Page, vmId: string, value?: unknown): Promise<unknown> {
  return page.evaluate(
    ([id, v, write]) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('spice-console-settings');
        open.onupgradeneeded = () => open.result.createObjectStore('settings');
        open.onerror = () => reject(open.error ?? new Error('IndexedDB open failed'));
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('settings', write ? 'readwrite' : 'readonly');
          const req = write ? tx.objectStore('settings').put(v, id as string) : tx.objectStore('settings').get(id as string);
          tx.oncomplete = () => {
            db.close();
            resolve(write ? undefined : req.result);
          };
          tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
        };
      }),
    [vmId, value, value !== undefined] as const,
  );
}

async function connectElement(page: Page, url: string): Promise<void> {
  // Not spiceTest.connect(): that sets imageCompression, which here would be a user's change.
  await page.evaluate(async (u) => {
    const el = (window as any).spiceTest.element();
    el.url = u;
    await el.connect();
  }, url);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 30_000 });
}

describe('per-VM settings in Chromium against Xspice', () => {
  let xspice: Xspice;
  beforeAll(async () => {
    xspice = await startXspice({ imageCompression: 'auto_glz' });
  });
  afterAll(() => xspice?.stop());

  it('should keep a dialog choice and a property choice across a page reload and connect with them', async () => {
    const vmId = `e2e-reload-${Date.now()}`;
    const page = await openConsolePage(env.browser, env.origin);
    await mountWithVmId(page, vmId);
    expect((await settingsEvent(page, 'loaded')).reason).toBe('nothing stored for this VM yet');
    expect(await prop(page, 'scale')).toBe('fit');

    // The user picks "fill" in the options dialog (inline in the console's toolbar).
    await page.evaluate(() => {
      const options = document.createElement('spice-console-options');
      options.setAttribute('inline', '');
      options.slot = 'toolbar';
      (window as any).spiceTest.element().append(options);
    });
    await page.locator('spice-console-options select[part="scale"]').selectOption('fill');
    expect(await prop(page, 'scale')).toBe('fill');
    await settingsEvent(page, 'saved');
    // The page sets a property after load: the user's choice too.
    await page.evaluate(() => ((window as any).spiceTest.element().imageCompression = 'lz4'));
    await page.waitForFunction(() => (window as any).settingsEvents.filter((d: any) => d.state === 'saved').length >= 2, null, { timeout: 15_000 });
    expect(await rawStore(page, vmId)).toEqual({ v: 1, scale: 'fill', imageCompression: 'lz4' });

    await page.reload();
    await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
    await mountWithVmId(page, vmId);
    const loaded = await settingsEvent(page, 'loaded');
    expect(loaded).toEqual({ state: 'loaded', vmId, stored: { scale: 'fill', imageCompression: 'lz4' } });
    expect(await prop(page, 'scale')).toBe('fill');
    expect(await prop(page, 'imageCompression')).toBe('lz4');

    await connectElement(page, xspice.url);
    // Xspice runs auto_glz; LZ4 images come only because the console asked for the stored compression.
    await waitFor(
      async () => ((await page.evaluate(() => (window as any).spiceTest.displayStats()))[0]?.imageTypes ?? []).includes(LZ4),
      'LZ4 images from Xspice',
      30_000,
    );
    const [stats] = await page.evaluate(() => (window as any).spiceTest.displayStats());
    expect(stats.imageTypes).not.toContain(GLZ_RGB);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    await page.close();
  });

  it('should ignore a corrupt record with a warning event and still connect', async () => {
    const vmId = `e2e-corrupt-${Date.now()}`;
    const page = await openConsolePage(env.browser, env.origin);
    await rawStore(page, vmId, { v: 1, scale: 'sideways', imageCompression: 42, password: 'hunter2' });
    await mountWithVmId(page, vmId);
    const ignored = await settingsEvent(page, 'ignored');
    expect(ignored.vmId).toBe(vmId);
    expect(ignored.reason).toMatch(/^the stored record (is invalid: scale must be one of|has an unknown field "password")/);
    expect(await prop(page, 'scale')).toBe('fit');
    expect(await prop(page, 'imageCompression')).toBe('');

    await connectElement(page, xspice.url);
    expect(await page.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
    await waitFor(async () => ((await page.evaluate(() => (window as any).spiceTest.displayStats()))[0]?.frames ?? 0) > 0, 'a frame', 30_000);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    await page.close();
  });
});
