/**
 * Local hotkeys end to end against a real Xspice: Playwright presses real keys (real KeyboardEvent codes
 * and modifier flags) on <spice-console hotkeys="secure-attention=ctrl+alt+end">, and an `xev` window in
 * the guest logs every key event with its keysym and modifier state. The guest must see Ctrl+Alt+Delete and
 * never End, and nothing may stay down afterwards: the next letter arrives unmodified. The same keys without
 * the hotkey must reach the guest as End (so the check can fail). Then the demo page: a dropped `.vv` file
 * sets the title, the hotkeys (logged and acted on), the WAN options once connected, and offers fullscreen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { useConsoleBrowser } from './support/browser.js';
import { collectViolations, startDemoServer, type DemoServer } from './support/demo-server.js';

const env = useConsoleBrowser();

interface KeyEvent {
  type: 'KeyPress' | 'KeyRelease';
  state: number;
  keysym: string;
}

/** xev's key events: type, modifier state (1 Shift, 4 Control, 8 Mod1/Alt) and keysym name. */
function keyEvents(log: string): KeyEvent[] {
  const re = /(KeyPress|KeyRelease) event[\s\S]*?state (0x[0-9a-f]+), keycode \d+ \(keysym 0x[0-9a-f]+, ([^)]+)\)/g;
  return [...log.matchAll(re)].map((m) => ({ type: m[1] as KeyEvent['type'], state: parseInt(m[2]!, 16), keysym: m[3]! }));
}

const readText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** An xev window with the X keyboard focus, logging key events line by line into a file. */
let windows = 0;
async function keyLogWindow(x: Xspice, prefix: string): Promise<string> {
  // A name of its own: a retry must not find (and focus) the first try's window.
  const name = `${prefix}-${++windows}`;
  const file = join(x.tmpDir, `${name}.log`);
  x.run('sh', ['-c', `exec stdbuf -oL xev -geometry 300x200+600+20 -name ${name} -event keyboard > ${file}`]);
  const id = await waitFor(
    async () => (await x.exec('xdotool', ['search', '--onlyvisible', '--name', `^${name}$`])).stdout.trim().split('\n')[0],
    `window ${name}`,
    20_000,
  );
  expect((await x.exec('xdotool', ['windowfocus', '--sync', id])).code).toBe(0);
  return file;
}

/** Ctrl+Alt+End as a person presses it, then a plain z; resolves with the guest's key events up to z's release. */
async function ctrlAltEndThenZ(page: Page, log: string): Promise<KeyEvent[]> {
  const before = readText(log).length;
  await page.evaluate(() => (window as any).spiceTest.element().focus());
  await page.keyboard.down('ControlLeft');
  await page.keyboard.down('AltLeft');
  await page.keyboard.press('End');
  await page.keyboard.up('AltLeft');
  await page.keyboard.up('ControlLeft');
  await page.keyboard.press('KeyZ');
  return waitFor(
    () => {
      const e = keyEvents(readText(log).slice(before));
      return e.some((k) => k.type === 'KeyRelease' && k.keysym === 'z') ? e : null;
    },
    'z released in the guest',
    20_000,
  );
}

/** Every key pressed in the guest was released afterwards (counting presses and releases per keysym). */
function nothingHeld(events: KeyEvent[]): void {
  const held = new Map<string, number>();
  for (const e of events) held.set(e.keysym, (held.get(e.keysym) ?? 0) + (e.type === 'KeyPress' ? 1 : -1));
  for (const [keysym, n] of held) expect(n <= 0, `${keysym} left down in the guest`).toBe(true);
}

describe('hotkeys on Xspice', () => {
  let xspice: Xspice;
  let page: Page;
  beforeAll(async () => {
    xspice = await startXspice({});
    page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${env.origin}/test/e2e/page/index.html`);
    await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
    await page.evaluate(() => {
      const t = (window as any).spiceTest;
      t.mount();
      const el = t.element();
      el.setAttribute('hotkeys', 'secure-attention=ctrl+alt+end');
      (window as any).hotkeysFired = [];
      el.addEventListener('spice-hotkey', (e: CustomEvent) => (window as any).hotkeysFired.push(e.detail));
    });
    await page.evaluate((u) => (window as any).spiceTest.connect(u), xspice.url);
    await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 60_000 });
    await page.mouse.move(1275, 895); // client mouse mode: keep the page pointer off the guest
  });
  afterAll(async () => {
    await page?.close();
    await xspice?.stop();
  });

  it("should make Ctrl+Alt+End the guest's Ctrl+Alt+Delete, never End, and leave no key down", async () => {
    // Counted from this try on (a retry must not see the first try's hotkey too).
    await page.evaluate(() => ((window as any).hotkeysFired = []));
    const log = await keyLogWindow(xspice, 'sas');
    const events = await ctrlAltEndThenZ(page, log);
    const presses = events.filter((e) => e.type === 'KeyPress');
    const del = presses.find((e) => e.keysym === 'Delete');
    expect(del, `Delete pressed: ${presses.map((e) => e.keysym).join(' ')}`).toBeDefined();
    expect(del!.state & 0x0c).toBe(0x0c); // Control and Mod1 (Alt) held with it
    expect(events.some((e) => /^(KP_)?End$/.test(e.keysym))).toBe(false);
    const z = presses.at(-1)!;
    expect(z.keysym).toBe('z');
    expect(z.state).toBe(0); // unmodified: no Ctrl or Alt stuck down
    nothingHeld(events);
    expect(await page.evaluate(() => (window as any).hotkeysFired)).toEqual([{ action: 'secure-attention', hotkey: 'ctrl+alt+end' }]);
  });

  it('should send Ctrl+Alt+End to the guest as it is without the hotkey', async () => {
    await page.evaluate(() => ((window as any).spiceTest.element().hotkeys = ''));
    const log = await keyLogWindow(xspice, 'plain');
    const events = await ctrlAltEndThenZ(page, log);
    const presses = events.filter((e) => e.type === 'KeyPress');
    expect(presses.map((e) => e.keysym)).toEqual(['Control_L', 'Alt_L', 'End', 'z']);
    expect(presses[2]!.state & 0x0c).toBe(0x0c);
    expect(presses.some((e) => e.keysym === 'Delete')).toBe(false);
    nothingHeld(events);
  });
});

describe('a .vv file on the demo page', () => {
  let demo: DemoServer;
  let xspice: Xspice;
  beforeAll(async () => {
    demo = await startDemoServer();
    xspice = await startXspice({});
  });
  afterAll(async () => {
    await xspice?.stop();
    await demo?.close();
  });

  it('should set the title, the hotkeys, the WAN options and offer fullscreen', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const violations = await collectViolations(page);
    await page.goto(`${demo.origin}/`);
    await page.waitForSelector('spice-console');
    const vv = [
      '[virt-viewer]',
      'type=spice',
      'host=127.0.0.1',
      `port=${xspice.port}`,
      'title=Hotkey VM:%d',
      'fullscreen=1',
      'color-depth=32',
      'disable-effects=wallpaper;animation;',
      'secure-attention=ctrl+alt+end',
      'release-cursor=shift+f12',
      'toggle-fullscreen=shift+f11',
      '',
    ].join('\n');
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'hotkeys.vv', { type: 'application/x-virt-viewer' }));
      document.querySelector('main')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, vv);
    await page
      .waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Connected'), null, { timeout: 30_000 })
      .catch(async (e: Error) => {
        throw new Error(
          `${e.message}; status: ${await page.locator('#status').textContent()}; error: ${await page.locator('#error-text').textContent()}; log: ${await page.locator('#log').textContent()}`,
        );
      });
    // The server's name does not replace the file's title once connected.
    expect(await page.title()).toBe('Hotkey VM:1');
    const log = async () => (await page.locator('#log').textContent()) ?? '';
    expect(await log()).toContain('connection file hotkeys.vv: hotkeys release-cursor=shift+f12, secure-attention=ctrl+alt+end, toggle-fullscreen=shift+f11');
    const settings = () =>
      page.evaluate(() => {
        const el = document.querySelector('spice-console')!;
        return { hotkeys: Object.keys(el.hotkeys), wan: el.wanOptions, depth: el.colorDepth, effects: el.disableEffects };
      });
    await waitFor(async () => (await settings()).wan === true, 'the WAN options set', 10_000, 100);
    expect(await settings()).toEqual({ hotkeys: ['releaseCursor', 'secureAttention', 'toggleFullscreen'], wan: true, depth: 32, effects: ['wallpaper', 'animation'] });

    // The file's hotkey acts (the demo logs the event), and the fullscreen offer is one click.
    await page.locator('spice-console').focus();
    await page.keyboard.down('ControlLeft');
    await page.keyboard.down('AltLeft');
    await page.keyboard.press('End');
    await page.keyboard.up('AltLeft');
    await page.keyboard.up('ControlLeft');
    await waitFor(async () => (await log()).includes('hotkey ctrl+alt+end: secure-attention'), 'the hotkey in the log', 10_000, 100);
    const offer = page.locator('#vv-offer button');
    expect(await offer.isVisible()).toBe(true);
    await offer.click();
    await page.waitForFunction(() => document.fullscreenElement?.localName === 'spice-console', null, { timeout: 10_000 });
    expect(await offer.isVisible()).toBe(false);
    // And the file's toggle-fullscreen hotkey leaves it again.
    await page.keyboard.down('ShiftLeft');
    await page.keyboard.press('F11');
    await page.keyboard.up('ShiftLeft');
    await page.waitForFunction(() => document.fullscreenElement === null, null, { timeout: 10_000 });
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it("should give a file's WAN options and USB auto-share filter as the portal's: not stored for the VM, and below the user's stored choice", async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${demo.origin}/`);
    await page.waitForSelector('spice-console');
    const vmId = `vv-wan-${Date.now()}`;
    const vv = [
      '[virt-viewer]',
      'type=spice',
      'host=127.0.0.1',
      `port=${xspice.port}`,
      'color-depth=16',
      'disable-effects=all',
      'enable-usb-autoshare=1',
      'usb-filter=0x08,-1,-1,-1,1|-1,-1,-1,-1,0',
      '',
    ].join('\n');
    const drop = () =>
      page.evaluate(
        ([text, id]) => {
          const el = document.querySelector('spice-console')!;
          el.vmId = id!;
          const dt = new DataTransfer();
          dt.items.add(new File([text!], 'wan.vv'));
          document.querySelector('main')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        [vv, vmId],
      );
    const state = () =>
      page.evaluate(async () => {
        const el = document.querySelector('spice-console')!;
        return {
          state: el.state,
          wan: el.wanOptions,
          depth: el.colorDepth,
          auto: el.usbAutoRedirectFilter,
          stored: el.settingsStatus.stored,
          kept: el.settingsStatus.kept,
        };
      });
    await drop();
    await waitFor(async () => (await state()).state === 'connected', 'connected', 30_000, 100);
    await waitFor(async () => (await state()).kept, 'the settings kept for the VM', 10_000, 100);
    const first = await state();
    expect(first).toMatchObject({ wan: true, depth: 16, auto: '0x08,-1,-1,-1,1|-1,-1,-1,-1,0' });
    expect(Object.keys(first.stored)).toEqual([]);
    // The user turns the WAN options off for this VM: that is stored, and the file no longer turns them on.
    await page.evaluate(() => (document.querySelector('spice-console')!.wanOptions = false));
    await waitFor(async () => (await state()).stored.wanOptions === false, 'the choice stored', 10_000, 100);
    await page.evaluate(() => document.querySelector('spice-console')!.disconnect());
    await drop();
    await waitFor(async () => (await state()).state === 'connected', 'connected again', 30_000, 100);
    await new Promise((r) => setTimeout(r, 500));
    expect(await state()).toMatchObject({ wan: false, depth: 16, stored: { wanOptions: false } });
    await page.close();
  });
});
