/**
 * Keyboard, mouse and cursor end to end: Playwright drives headless Chromium with real input events
 * (page.keyboard / page.mouse produce real KeyboardEvent.code values and pointer events) into
 * <spice-console>, and the guest says what it got:
 *  - Xspice: an xterm running `cat > file` shows typed text byte for byte; `xev` windows log key and button
 *    events with keysyms and modifier state; `xdotool getmouselocation` tells where the pointer is; the
 *    guest's cursor shape (xsetroot) must become the element's CSS cursor, and an ARGB cursor the test
 *    wrote (an Xcursor file, xsetroot -xcf) must come out pixel for pixel, hot spot included.
 *  - QEMU (no agent, no tablet: server mouse mode only): `-trace input_event_*` logs every key as the
 *    qcode QEMU decoded and every relative motion and button, so server mode and the Pause/PrintScreen
 *    encodings are checked against the real decoder.
 * Nothing here depends on pixels: the display may still be black.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startQemu, startXspice, waitFor, type Qemu, type Xspice } from '../servers/index.js';
import { useConsoleBrowser } from './support/browser.js';
import { decodePng } from './support/png.js';
import { catWindow as xtermCat, focusWindow } from './support/x-windows.js';

const env = useConsoleBrowser();

// ---- page helpers ----

async function openPage(deviceScaleFactor = 1, csp?: string): Promise<Page> {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor });
  if (csp) {
    await page.route('**/test/e2e/page/index.html', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': csp } });
    });
  }
  await page.goto(`${env.origin}/test/e2e/page/index.html`);
  await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
  return page;
}

async function connect(page: Page, url: string): Promise<void> {
  await page.evaluate((u) => (window as any).spiceTest.connect(u), url);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 60_000 });
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-resize').length > 0, null, { timeout: 60_000 });
}

interface Screen {
  left: number;
  top: number;
  width: number;
  height: number;
  cursor: string;
}
const screen = (page: Page): Promise<Screen> => page.evaluate(() => (window as any).spiceTest.screen());
const setProp = (page: Page, name: string, value: unknown) => page.evaluate(([n, v]) => ((window as any).spiceTest.element()[n as string] = v), [name, value] as const);
const focusConsole = (page: Page) => page.evaluate(() => (window as any).spiceTest.element().focus());
const mouseModes = (page: Page): Promise<string[]> => page.evaluate(() => (window as any).spiceTest.named('spice-mouse-mode').map((d: any) => d.mode));

/** The page point over the middle of guest pixel (gx, gy) of a 1024x768 guest. */
function pagePoint(s: Screen, gx: number, gy: number, w = 1024, h = 768): { x: number; y: number } {
  return { x: s.left + ((gx + 0.5) * s.width) / w, y: s.top + ((gy + 0.5) * s.height) / h };
}

// ---- guest helpers (Xspice) ----

interface KeyEvent {
  type: 'KeyPress' | 'KeyRelease';
  state: number;
  keysym: string;
}
interface ButtonEvent {
  type: 'ButtonPress' | 'ButtonRelease';
  x: number;
  y: number;
  button: number;
}

function keyEvents(log: string): KeyEvent[] {
  const re = /(KeyPress|KeyRelease) event[\s\S]*?state (0x[0-9a-f]+), keycode \d+ \(keysym 0x[0-9a-f]+, ([^)]+)\)/g;
  return [...log.matchAll(re)].map((m) => ({ type: m[1] as KeyEvent['type'], state: parseInt(m[2]!, 16), keysym: m[3]! }));
}

function buttonEvents(log: string): ButtonEvent[] {
  const re = /(ButtonPress|ButtonRelease) event[\s\S]*?root:\((-?\d+),(-?\d+)\),\s*state 0x[0-9a-f]+, button (\d+)/g;
  return [...log.matchAll(re)].map((m) => ({ type: m[1] as ButtonEvent['type'], x: +m[2]!, y: +m[3]!, button: +m[4]! }));
}

const readText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** Makes a window name unique in the server: a retry must not find (and focus, or log into) the first try's window. */
let windows = 0;
const unique = (name: string) => `${name}-${++windows}`;

/** An xterm running `cat > file`, with the X keyboard focus, named uniquely from `prefix`. */
const catWindow = (x: Xspice, prefix: string): Promise<string> => xtermCat(x, unique(prefix));

/** An xev window logging key events (it gets the X keyboard focus); line-buffered so every event shows. */
async function keyLogWindow(x: Xspice, prefix: string): Promise<string> {
  const name = unique(prefix);
  const file = join(x.tmpDir, `${name}.log`);
  x.run('sh', ['-c', `exec stdbuf -oL xev -geometry 300x200+600+20 -name ${name} -event keyboard > ${file}`]);
  await focusWindow(x, name);
  return file;
}

async function pointerLocation(x: Xspice): Promise<{ x: number; y: number }> {
  const out = (await x.exec('xdotool', ['getmouselocation'])).stdout;
  const m = /x:(-?\d+) y:(-?\d+)/.exec(out)!;
  return { x: +m[1]!, y: +m[2]! };
}

/** US layout: the key (KeyboardEvent.code) and Shift state that type each printable ASCII character. */
const US_KEYS: Record<string, [string, boolean]> = (() => {
  const map: Record<string, [string, boolean]> = { ' ': ['Space', false] };
  for (let c = 0; c < 26; c++) {
    const ch = String.fromCharCode(97 + c);
    map[ch] = [`Key${ch.toUpperCase()}`, false];
    map[ch.toUpperCase()] = [`Key${ch.toUpperCase()}`, true];
  }
  const rows: [string, string, string][] = [
    ['Backquote', '`', '~'],
    ['Digit1', '1', '!'],
    ['Digit2', '2', '@'],
    ['Digit3', '3', '#'],
    ['Digit4', '4', '$'],
    ['Digit5', '5', '%'],
    ['Digit6', '6', '^'],
    ['Digit7', '7', '&'],
    ['Digit8', '8', '*'],
    ['Digit9', '9', '('],
    ['Digit0', '0', ')'],
    ['Minus', '-', '_'],
    ['Equal', '=', '+'],
    ['BracketLeft', '[', '{'],
    ['BracketRight', ']', '}'],
    ['Backslash', '\\', '|'],
    ['Semicolon', ';', ':'],
    ['Quote', "'", '"'],
    ['Comma', ',', '<'],
    ['Period', '.', '>'],
    ['Slash', '/', '?'],
  ];
  for (const [code, plain, shifted] of rows) {
    map[plain] = [code, false];
    map[shifted] = [code, true];
  }
  return map;
})();

/**
 * Types like a person on a US keyboard: Shift goes down for capitals and symbols, so the page sees the
 * same KeyboardEvents a real keyboard makes (Playwright's keyboard.type() sends characters without Shift).
 */
async function typeKeys(page: Page, text: string): Promise<void> {
  for (const ch of text) {
    const [code, shift] = US_KEYS[ch]!;
    if (shift) await page.keyboard.down('ShiftLeft');
    await page.keyboard.press(code);
    if (shift) await page.keyboard.up('ShiftLeft');
  }
}

/** Types `text` then Enter and waits until the cat window's file holds one more line. */
async function typeLine(page: Page, file: string, text: string): Promise<string> {
  const before = readText(file).length;
  await typeKeys(page, text);
  await page.keyboard.press('Enter');
  return waitFor(
    () => {
      const all = readText(file);
      return all.length > before && all.endsWith('\n') ? all.slice(before) : '';
    },
    `the line "${text}" in the guest`,
    20_000,
  );
}

// ---- tests ----

describe('keyboard on Xspice', () => {
  let xspice: Xspice;
  let page: Page;
  beforeAll(async () => {
    xspice = await startXspice({});
    page = await openPage();
    await connect(page, xspice.url);
    // Keep the page pointer off the screen: in client mode it would move the guest pointer.
    await page.mouse.move(1275, 895);
  });
  afterAll(async () => {
    await page?.close();
    await xspice?.stop();
  });
  afterEach(async ({ task }) => {
    await xspice.exec('setxkbmap', ['us']);
    if (task.result?.state !== 'fail') return;
    // A test that failed half way may leave keys down on the page (Playwright keeps them down), the console
    // view-only, or the guest's Caps Lock on: its retry and the next tests would type with them.
    for (const key of ['ShiftLeft', 'ControlLeft', 'ControlRight', 'AltLeft', 'AltRight']) await page.keyboard.up(key);
    await setProp(page, 'viewOnly', false);
    if (/Caps Lock:\s+on/.test((await xspice.exec('xset', ['q'])).stdout)) await xspice.exec('xdotool', ['key', 'Caps_Lock']);
  });

  it('should focus with a tab stop and type plain and shifted characters exactly', async () => {
    const file = await catWindow(xspice, 'typing');
    expect(await page.evaluate(() => (window as any).spiceTest.element().tabIndex)).toBe(0);
    await focusConsole(page);
    const text = 'Hello, World! 0123456789 `~!@#$%^&*()-_=+[{]}\\|;:\'",<.>/?';
    expect(await typeLine(page, file, text)).toBe(`${text}\n`);
  });

  it('should type AltGr characters and follow the guest keymap (de)', async () => {
    const file = await catWindow(xspice, 'altgr');
    expect((await xspice.exec('setxkbmap', ['de'])).code).toBe(0);
    await focusConsole(page);
    const before = readText(file).length;
    // On a German layout: KeyZ is y, KeyY is z, Shift+Digit2 is ", AltGr+Q @, AltGr+7..0 { [ ] }, AltGr+Minus \.
    await page.keyboard.press('KeyZ');
    await page.keyboard.press('KeyY');
    await page.keyboard.press('Shift+Digit2');
    for (const key of ['KeyQ', 'Digit7', 'Digit8', 'Digit9', 'Digit0', 'Minus']) {
      await page.keyboard.down('AltRight');
      await page.keyboard.press(key);
      await page.keyboard.up('AltRight');
    }
    await page.keyboard.press('Enter');
    const line = await waitFor(() => readText(file).slice(before), 'the AltGr line', 20_000);
    expect(line).toBe('yz"@{[]}\\\n');
  });

  it('should deliver Ctrl combos typed on the page (Ctrl+U kills the line in the tty)', async () => {
    const file = await catWindow(xspice, 'combo');
    await focusConsole(page);
    const before = readText(file).length;
    await typeKeys(page, 'discard me');
    await page.keyboard.press('Control+KeyU');
    await typeKeys(page, 'kept');
    await page.keyboard.press('Enter');
    expect(await waitFor(() => readText(file).slice(before), 'the combo line', 20_000)).toBe('kept\n');
  });

  it('should send ready combos, PrintScreen and Pause as keys the guest knows', async () => {
    const log = await keyLogWindow(xspice, 'combos');
    await focusConsole(page);
    await page.evaluate(() => (window as any).spiceTest.element().sendCombo('ctrl-alt-del'));
    await page.evaluate(() => (window as any).spiceTest.element().sendCombo('alt-tab'));
    await page.evaluate(() => (window as any).spiceTest.element().sendKeys(['ShiftLeft', 'KeyA']));
    await page.keyboard.press('PrintScreen');
    await page.keyboard.press('Pause');
    await page.keyboard.press('KeyZ');
    const events = await waitFor(
      () => {
        const e = keyEvents(readText(log));
        return e.some((k) => k.type === 'KeyRelease' && k.keysym === 'z') ? e : null;
      },
      'the key log to reach z',
      20_000,
    );
    const presses = events.filter((e) => e.type === 'KeyPress');
    const del = presses.find((e) => e.keysym === 'Delete')!;
    expect(del.state & 0x0c).toBe(0x0c); // Control and Mod1 (Alt) held
    expect(presses.find((e) => e.keysym === 'Tab')!.state & 0x08).toBe(0x08);
    expect(presses.find((e) => e.keysym === 'A')!.state & 0x01).toBe(0x01);
    expect(presses.map((e) => e.keysym)).toEqual(expect.arrayContaining(['Control_L', 'Alt_L', 'Delete', 'Tab', 'Shift_L', 'A', 'Print', 'Pause', 'z']));
    // Every key that went down came up, and nothing else toggled (Pause must not be Ctrl+NumLock).
    expect(presses.some((e) => e.keysym === 'Num_Lock')).toBe(false);
    const releases = events.filter((e) => e.type === 'KeyRelease').map((e) => e.keysym);
    for (const p of presses) expect(releases).toContain(p.keysym);
    expect(presses.at(-1)!.state).toBe(0);
  });

  it('should release held keys when the element loses focus, and send nothing when view-only', async () => {
    const log = await keyLogWindow(xspice, 'release');
    await focusConsole(page);
    await page.keyboard.down('ShiftLeft');
    await page.keyboard.down('ControlRight');
    await waitFor(() => keyEvents(readText(log)).filter((e) => e.type === 'KeyPress').length >= 2, 'two presses', 20_000);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await waitFor(() => keyEvents(readText(log)).filter((e) => e.type === 'KeyRelease').length >= 2, 'the releases', 20_000);
    await page.keyboard.up('ControlRight');
    await page.keyboard.up('ShiftLeft');

    await setProp(page, 'viewOnly', true);
    await focusConsole(page);
    await page.keyboard.press('KeyQ');
    await setProp(page, 'viewOnly', false);
    await page.keyboard.press('KeyW');
    const events = await waitFor(
      () => {
        const e = keyEvents(readText(log));
        return e.some((k) => k.keysym === 'w' && k.type === 'KeyRelease') ? e : null;
      },
      'w in the key log',
      20_000,
    );
    expect(events.map((e) => `${e.type} ${e.keysym}`)).toEqual([
      'KeyPress Shift_L',
      'KeyPress Control_R',
      expect.stringMatching(/^KeyRelease (Shift_L|Control_R)$/),
      expect.stringMatching(/^KeyRelease (Shift_L|Control_R)$/),
      'KeyPress w',
      'KeyRelease w',
    ]);
  });

  it('should keep Caps Lock in step with the guest both ways', async () => {
    const file = await catWindow(xspice, 'caps');
    await focusConsole(page);
    const locks = () => page.evaluate(() => (window as any).spiceTest.element().keyboardLocks);
    // Page -> guest through the key itself; the guest reports its LED back (KEY_MODIFIERS).
    await page.keyboard.press('CapsLock');
    await waitFor(async () => (await locks())?.capsLock === true, 'the guest to report Caps Lock on', 20_000);
    expect(await typeLine(page, file, 'abc')).toBe('ABC\n');
    // Focus comes back with the page's Caps Lock off (headless Chromium's is always off): the first key
    // tells the guest (KEY_MODIFIERS), the server taps Caps Lock, and the line comes out lower case.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await focusConsole(page);
    expect(await typeLine(page, file, 'def')).toBe('def\n');
    await waitFor(async () => (await locks())?.capsLock === false, 'the guest to report Caps Lock off', 20_000);
  });
});

describe('mouse and cursor on Xspice', () => {
  let xspice: Xspice;
  afterEach(async () => {
    await xspice?.stop();
  });

  /**
   * Logs button events on the guest's root window (X lets one client select them, so one logger per
   * server). Resolves once the logger sees a click the guest made itself (xdotool at 1023,767, button 2);
   * `since()` marks a point in the log and returns a reader of the page's events after it.
   */
  async function rootButtons(): Promise<{ since(): () => ButtonEvent[] }> {
    const log = join(xspice.tmpDir, 'buttons.log');
    xspice.run('sh', ['-c', `exec stdbuf -oL xev -root -event button > ${log} 2>&1`]);
    await waitFor(
      async () => {
        await xspice.exec('xdotool', ['mousemove', '1023', '767', 'click', '2']);
        return buttonEvents(readText(log)).length > 0;
      },
      'xev on the root window',
      20_000,
    );
    const page = (b: ButtonEvent) => !(b.x === 1023 && b.y === 767 && b.button === 2);
    return {
      since() {
        const skip = buttonEvents(readText(log)).length;
        return () => buttonEvents(readText(log)).slice(skip).filter(page);
      },
    };
  }

  /** Clicks at guest points through the page and checks where the guest pointer and the clicks went. */
  async function clicksLand(page: Page, log: { since(): () => ButtonEvent[] }, points: [number, number][]): Promise<void> {
    const buttons = log.since();
    const s = await screen(page);
    for (const [gx, gy] of points) {
      const p = pagePoint(s, gx, gy);
      await page.mouse.move(p.x, p.y);
      await waitFor(
        async () => {
          const at = await pointerLocation(xspice);
          return at.x === gx && at.y === gy;
        },
        `the guest pointer at ${gx},${gy}`,
        10_000,
      ).catch(async () => {
        throw new Error(`pointer at ${JSON.stringify(await pointerLocation(xspice))}, wanted ${gx},${gy} (screen ${JSON.stringify(s)})`);
      });
      await page.mouse.click(p.x, p.y);
    }
    await page.mouse.click(pagePoint(s, 5, 5).x, pagePoint(s, 5, 5).y, { button: 'right' });
    const presses = await waitFor(
      () => {
        const b = buttons().filter((e) => e.type === 'ButtonPress');
        return b.length >= points.length + 1 ? b : null;
      },
      'the clicks on the root window',
      20_000,
    );
    expect(presses.map((b) => [b.x, b.y, b.button])).toEqual([...points.map(([x, y]) => [x, y, 1]), [5, 5, 3]]);
  }

  it('should land clicks where the guest pointer is, in client mode under every scale mode', async () => {
    xspice = await startXspice({});
    const page = await openPage();
    try {
      await connect(page, xspice.url);
      expect(await mouseModes(page)).toContain('client');
      const log = await rootButtons();
      for (const scale of ['fit', 'fill', 'none']) {
        await setProp(page, 'scale', scale);
        await page.waitForFunction((sc) => (window as any).spiceTest.element().getAttribute('scale') === sc, scale);
        const s = await screen(page);
        if (scale === 'none') expect([s.width, s.height]).toEqual([1024, 768]);
        if (scale === 'fill') expect([s.width, s.height]).toEqual([1100, 800]);
        if (scale === 'fit') expect(Math.round(s.height)).toBe(800);
        await clicksLand(page, log, [
          [0, 0],
          [1023, 767],
          [517, 301],
        ]);
      }
    } finally {
      await page.close();
    }
  });

  it('should map the pointer exactly on a HiDPI page (devicePixelRatio 2) and scroll the wheel', async () => {
    xspice = await startXspice({});
    const page = await openPage(2);
    try {
      await connect(page, xspice.url);
      await setProp(page, 'scale', 'none');
      await page.waitForFunction(() => (window as any).spiceTest.element().getAttribute('scale') === 'none');
      const s = await screen(page);
      expect([s.width, s.height]).toEqual([512, 384]); // one guest pixel per device pixel
      const log = await rootButtons();
      await clicksLand(page, log, [
        [1, 1],
        [1022, 766],
        [333, 444],
      ]);
      const buttons = log.since();
      const p = pagePoint(s, 600, 500);
      await page.mouse.move(p.x, p.y);
      await page.mouse.wheel(0, 100); // one notch down
      await page.mouse.wheel(0, -100); // one notch up
      const wheel = await waitFor(
        () => {
          const b = buttons().filter((e) => e.type === 'ButtonPress');
          return b.length >= 2 ? b : null;
        },
        'wheel buttons',
        20_000,
      );
      expect(wheel.map((b) => [b.button, b.x, b.y])).toEqual([
        [5, 600, 500],
        [4, 600, 500],
      ]);
    } finally {
      await page.close();
    }
  });

  it('should land clicks through the guest agent in client mode', async () => {
    xspice = await startXspice({ agent: true });
    const page = await openPage();
    try {
      await connect(page, xspice.url);
      expect(await page.evaluate(() => (window as any).spiceTest.named('spice-connected')[0].agentConnected)).toBe(true);
      await clicksLand(page, await rootButtons(), [
        [10, 20],
        [900, 700],
      ]);
    } finally {
      await page.close();
    }
  });

  it("should show the guest's cursor shape as the element's CSS cursor, under a CSP that allows img-src data:", async () => {
    xspice = await startXspice({});
    // What a strict page allows, plus what the Vite dev server needs (the test page's inline <style>).
    const csp = "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws:";
    const page = await openPage(1, csp);
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    try {
      await connect(page, xspice.url);
      const s = await screen(page);
      const p = pagePoint(s, 800, 600);
      await page.mouse.move(p.x, p.y);
      const shapes: string[] = [];
      for (const name of ['watch', 'crosshair']) {
        await xspice.exec('xsetroot', ['-cursor_name', name]);
        const css = await waitFor(
          async () => {
            const c = (await screen(page)).cursor;
            return c.startsWith('url("data:image/png;base64,') && !shapes.includes(c) ? c : null;
          },
          `the ${name} cursor`,
          20_000,
        );
        shapes.push(css);
        // The PNG is the shape: decode it on the page and check its size against the hot spot.
        const png = await page.evaluate(
          async (url) => {
            const img = new Image();
            img.src = url;
            await img.decode();
            return { width: img.naturalWidth, height: img.naturalHeight };
          },
          /url\("([^"]+)"\)/.exec(css)![1]!,
        );
        const hot = /\) (\d+) (\d+), auto$/.exec(css)!;
        expect(png.width).toBeGreaterThan(8);
        expect(+hot[1]!).toBeLessThan(png.width);
        expect(+hot[2]!).toBeLessThan(png.height);
      }
      expect(shapes[0]).not.toBe(shapes[1]);
      expect(violations).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

/**
 * An ARGB cursor the test knows pixel by pixel, written as an Xcursor file for `xsetroot -xcf`: not square
 * and without symmetry, so a flip, a transposition, a shift or swapped channels show. Pixels are opaque or
 * fully transparent (Xcursor pixels are premultiplied; these read the same either way). A core bitmap
 * cursor (`xsetroot -cursor file mask`) would not do: the spiceqxl driver takes only ARGB cursors as
 * hardware cursors (its UseHWCursor returns FALSE), so the X server draws bitmap cursors into the screen.
 */
const CURSOR = { width: 20, height: 18, hotX: 5, hotY: 7 };
function cursorPixel(x: number, y: number): [number, number, number, number] {
  if ((x + 2 * y) % 7 === 0 || (x > 15 && y < 5)) return [0, 0, 0, 0];
  return [(x * 12) & 0xff, (y * 14) & 0xff, ((x ^ y) * 8 + 40) & 0xff, 255];
}

/** The Xcursor file (one image chunk; every number little-endian CARD32). */
function xcursorFile(): Buffer {
  const { width, height, hotX, hotY } = CURSOR;
  const IMAGE = 0xfffd0002;
  const nominal = 24;
  const header = [0x72756358, 16, 0x10000, 1];
  const toc = [IMAGE, nominal, 16 + 12];
  const chunk = [36, IMAGE, nominal, 1, width, height, hotX, hotY, 0];
  const words = [...header, ...toc, ...chunk];
  const buf = Buffer.alloc(words.length * 4 + width * height * 4);
  words.forEach((w, i) => buf.writeUInt32LE(w >>> 0, i * 4));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = cursorPixel(x, y);
      buf.writeUInt32LE(((a << 24) | (r << 16) | (g << 8) | b) >>> 0, words.length * 4 + (y * width + x) * 4);
    }
  }
  return buf;
}

describe("the guest's cursor pixels", () => {
  let xspice: Xspice;
  afterEach(async () => {
    await xspice?.stop();
  });

  it('should show the ARGB cursor the guest set (xsetroot -xcf), pixel for pixel, with its hot spot', async () => {
    xspice = await startXspice({});
    const file = join(xspice.tmpDir, 'test.xcursor');
    writeFileSync(file, xcursorFile());
    const page = await openPage(1);
    try {
      await connect(page, xspice.url);
      const s = await screen(page);
      const p = pagePoint(s, 800, 600);
      await page.mouse.move(p.x, p.y);
      const r = await xspice.exec('xsetroot', ['-xcf', file, '24']);
      expect(r.code, r.stderr).toBe(0);
      let seen = '';
      const css = await waitFor(
        async () => {
          const c = (await screen(page)).cursor;
          seen = c.length > 80 ? `${c.slice(0, 40)}…${c.slice(-20)}` : c;
          const m = /^url\("data:image\/png;base64,([^"]+)"\) (\d+) (\d+), auto$/.exec(c);
          if (!m) return null;
          const png = decodePng(Buffer.from(m[1]!, 'base64'));
          seen += ` (${png.width}x${png.height})`;
          return png.width === CURSOR.width && png.height === CURSOR.height ? { png, hotX: +m[2]!, hotY: +m[3]! } : null;
        },
        `the ${CURSOR.width}x${CURSOR.height} cursor as the CSS cursor`,
        20_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; last CSS cursor: ${seen}`);
      });
      expect([css.hotX, css.hotY]).toEqual([CURSOR.hotX, CURSOR.hotY]);
      const wrong: string[] = [];
      for (let y = 0; y < CURSOR.height; y++) {
        for (let x = 0; x < CURSOR.width; x++) {
          const want = cursorPixel(x, y);
          const i = (y * CURSOR.width + x) * 4;
          const got = [...css.png.rgba.subarray(i, i + 4)];
          // A transparent pixel's colour does not matter.
          const same = want[3] === 0 ? got[3] === 0 : got.every((v, k) => v === want[k]);
          if (!same) wrong.push(`(${x},${y}) ${got.join(',')} instead of ${want.join(',')}`);
        }
      }
      expect(wrong.slice(0, 20)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('server mouse mode and key encodings on QEMU', () => {
  let qemu: Qemu;
  let dir: string;
  let trace: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spice-input-trace-'));
    trace = join(dir, 'trace.log');
    qemu = await startQemu({ waitForGuest: true, extraArgs: ['-trace', 'input_event_*', '-D', trace] });
  });
  afterAll(async () => {
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Trace lines since `from` (a line count). */
  const traceLines = (from = 0): string[] =>
    readText(trace)
      .split('\n')
      .slice(from)
      .filter((l) => l.startsWith('input_event_') && !l.includes('sync'));

  it('should send Pause, PrintScreen, key repeats and combos as the keys QEMU decodes', async () => {
    const page = await openPage();
    try {
      await connect(page, qemu.url);
      const from = readText(trace).split('\n').length - 1;
      await focusConsole(page);
      for (const key of ['PrintScreen', 'Pause', 'AltRight']) await page.keyboard.press(key);
      // Held: the browser's auto-repeat keydowns reach the PS/2 guest as repeated presses (typematic).
      for (let i = 0; i < 3; i++) await page.keyboard.down('KeyA');
      await page.keyboard.up('KeyA');
      // A ready combo (Ctrl+Alt+Del would reboot the guest, and QEMU runs with -no-reboot).
      await page.evaluate(() => (window as any).spiceTest.element().sendCombo('ctrl-alt-f2'));
      const keys = await waitFor(
        () => {
          const l = traceLines(from).filter((x) => x.includes('key_qcode'));
          return l.length >= 16 ? l : null;
        },
        'sixteen key events in the QEMU trace',
        20_000,
      );
      expect(keys.map((l) => /qcode (\S+), down (\d)/.exec(l)!.slice(1).join(' '))).toEqual([
        'print 1',
        'print 0',
        'pause 1',
        'pause 0',
        'alt_r 1',
        'alt_r 0',
        'a 1',
        'a 1',
        'a 1',
        'a 0',
        'ctrl 1',
        'alt 1',
        'f2 1',
        'f2 0',
        'alt 0',
        'ctrl 0',
      ]);
    } finally {
      await page.close();
    }
  });

  it('should move the guest pointer relatively under Pointer Lock and release it with Ctrl+Alt', async () => {
    const page = await openPage();
    try {
      await connect(page, qemu.url);
      expect(await page.evaluate(() => (window as any).spiceTest.named('spice-connected')[0].mouseModes)).toEqual(['server']);
      // At scale none (and devicePixelRatio 1) a CSS pixel of motion is a guest pixel; scaled motion is unit-tested.
      await setProp(page, 'scale', 'none');
      await page.waitForFunction(() => (window as any).spiceTest.element().getAttribute('scale') === 'none');
      const s = await screen(page);
      const start = pagePoint(s, 100, 100);
      await page.mouse.move(start.x, start.y);
      expect(await page.evaluate(() => (window as any).spiceTest.element().shadowRoot.querySelector('[part=hint]')?.textContent)).toMatch(/Click/);
      await page.mouse.click(start.x, start.y); // takes the pointer; not forwarded
      await page.waitForFunction(() => (window as any).spiceTest.element().pointerLocked === true);
      expect(await page.evaluate(() => (window as any).spiceTest.element().shadowRoot.querySelector('[part=hint]')?.textContent)).toMatch(/Ctrl\+Alt/);
      const from = readText(trace).split('\n').length - 1;
      await page.mouse.move(start.x + 100, start.y + 50);
      await page.mouse.down({ button: 'right' });
      await page.mouse.up({ button: 'right' });
      await page.mouse.wheel(0, 100);
      const lines = await waitFor(
        () => {
          const l = traceLines(from);
          return l.filter((x) => x.includes('input_event_btn')).length >= 4 ? l : null;
        },
        'motion and buttons in the QEMU trace',
        20_000,
      );
      const rel = (axis: string) => lines.filter((l) => l.includes(`axis ${axis}`)).reduce((sum, l) => sum + Number(/value (-?\d+)/.exec(l)![1]), 0);
      expect([rel('x'), rel('y')]).toEqual([100, 50]);
      expect(lines.filter((l) => l.includes('input_event_btn')).map((l) => /button (\S+), down (\d)/.exec(l)!.slice(1).join(' '))).toEqual([
        'right 1',
        'right 0',
        'wheel-down 1',
        'wheel-down 0',
      ]);
      await focusConsole(page);
      await page.keyboard.down('ControlLeft');
      await page.keyboard.down('AltLeft');
      await page.keyboard.up('AltLeft');
      await page.keyboard.up('ControlLeft');
      await page.waitForFunction(() => (window as any).spiceTest.element().pointerLocked === false);
      expect(await page.evaluate(() => (window as any).spiceTest.named('spice-pointer-lock').map((d: any) => d.locked))).toEqual([true, false]);
    } finally {
      await page.close();
    }
  });
});
