/**
 * The guest agent end to end against real Xspice with the real spice-vdagent (the vdagent pair of
 * test/servers/xspice.ts): the X clipboard reaches the page and the page's text reaches the X clipboard
 * (xclip sets and reads it in the guest), and a file dropped on the console is written by the agent into its
 * file-transfer directory (spice-vdagent -f <dir> -o 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { useConsoleBrowser } from './support/browser.js';
import { catWindow } from './support/x-windows.js';

const env = useConsoleBrowser();

type Recorded = { name: string; detail: any };
const events = (page: Page): Promise<Recorded[]> => page.evaluate(() => (window as any).agentEvents);
const waitForEvent = (page: Page, what: string, pred: (e: Recorded) => boolean, ms = 30_000) =>
  waitFor(async () => (await events(page)).find(pred) ?? null, what, ms, 100);

describe('agent with Xspice and spice-vdagent: clipboard both ways, file drop', () => {
  let x: Xspice;
  let xferDir: string;
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    xferDir = await mkdtemp(join(tmpdir(), 'spice-agent-xfer-'));
    x = await startXspice({ agent: true, agentArgs: ['-f', xferDir, '-o', '0'] });
    // The page may use the async Clipboard API (as a portal that asked for it).
    context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await page.goto(`${env.origin}/test/e2e/page/index.html`);
    await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
    await page.evaluate(async (url) => {
      const w = window as any;
      w.spiceTest.mount();
      const el = w.spiceTest.element();
      w.agentEvents = [];
      for (const name of ['spice-agent', 'spice-clipboard', 'spice-file-transfer', 'spice-display-config']) {
        el.addEventListener(name, (e: CustomEvent) => w.agentEvents.push({ name, detail: JSON.parse(JSON.stringify(e.detail)) }));
      }
      await w.spiceTest.connect(url);
    }, x.url);
    await waitForEvent(page, 'agent caps', (e) => e.name === 'spice-agent' && e.detail.caps.includes('clipboard-by-demand'));
  });
  afterAll(async () => {
    await page?.evaluate(() => (window as any).spiceTest.disconnect()).catch(() => {});
    await context?.close();
    await x?.stop();
    if (xferDir) await rm(xferDir, { recursive: true, force: true });
  });

  it('reports the real agent: its capabilities, file transfer available, no DISPLAY_CONFIG (the Linux agent lacks it)', async () => {
    const el = await page.evaluate(() => {
      const e = (window as any).spiceTest.element();
      return { connected: e.agentConnected, caps: e.agentCaps, files: e.fileTransferAvailable };
    });
    expect(el.connected).toBe(true);
    expect(el.caps).toEqual(expect.arrayContaining(['clipboard-by-demand', 'clipboard-selection', 'guest-lineend-lf', 'clipboard-grab-serial']));
    expect(el.files).toBe(true);
    const dc = (await events(page)).filter((e) => e.name === 'spice-display-config').at(-1);
    expect(dc?.detail).toMatchObject({ sent: false, reason: 'the guest agent does not announce DISPLAY_CONFIG' });
  });

  it('text copied in the guest reaches the page', async () => {
    const text = 'héllo from the guest ✓\nsecond line';
    await writeFile(join(x.tmpDir, 'clip.txt'), text);
    x.run('xclip', ['-selection', 'clipboard', '-quiet', join(x.tmpDir, 'clip.txt')]);
    const data = await waitForEvent(
      page,
      'guest text on the page',
      (e) => e.name === 'spice-clipboard' && e.detail.direction === 'from-guest' && e.detail.kind === 'data',
    );
    expect(data.detail).toEqual({ direction: 'from-guest', types: ['text/plain'], size: Buffer.byteLength(text), kind: 'data' });
    expect(await page.evaluate(() => (window as any).spiceTest.element().readGuestClipboard())).toBe(text);
    // Written to the page's clipboard too (the page has focus and clipboard-write).
    await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())) === text, 'the page clipboard', 10_000, 200);
  });

  it("text pasted into the console reaches the guest's clipboard", async () => {
    const text = 'from the page ✓\nline two';
    await page.evaluate((t) => (window as any).spiceTest.element().sendClipboardText(t), text);
    const got = await waitFor(
      async () => {
        const r = await x.exec('xclip', ['-selection', 'clipboard', '-o'], { timeoutMs: 10_000 });
        return r.code === 0 && r.stdout === text ? r.stdout : null;
      },
      'the X clipboard to hold the page text',
      30_000,
      300,
    );
    expect(got).toBe(text);
    const sent = (await events(page)).filter((e) => e.name === 'spice-clipboard' && e.detail.direction === 'to-guest');
    expect(sent[0]!.detail).toEqual({ direction: 'to-guest', types: ['text/plain'], size: Buffer.byteLength(text), kind: 'grab' });
    expect(sent.some((e) => e.detail.kind === 'data' && e.detail.size === Buffer.byteLength(text))).toBe(true);
  });

  it("the page's clipboard is offered to the guest when the console gains focus (clipboard-read granted)", async () => {
    const text = 'offered on focus ✓';
    await page.evaluate(async (t) => {
      const el = (window as any).spiceTest.element();
      el.blur();
      await navigator.clipboard.writeText(t);
      el.focus();
    }, text);
    const got = await waitFor(
      async () => {
        const r = await x.exec('xclip', ['-selection', 'clipboard', '-o'], { timeoutMs: 10_000 });
        return r.code === 0 && r.stdout === text ? r.stdout : null;
      },
      'the X clipboard to hold the text offered on focus',
      30_000,
      300,
    );
    expect(got).toBe(text);
  });

  it('a PNG image copied in the guest reaches the page clipboard as image/png', async () => {
    const png = join(x.tmpDir, 'pic.png');
    const made = await x.exec('convert', ['-size', '37x21', 'gradient:red-blue', png]);
    expect(made.code).toBe(0);
    const bytes = await readFile(png);
    const since = (await events(page)).length;
    x.run('xclip', ['-selection', 'clipboard', '-t', 'image/png', '-quiet', png]);
    const data = await waitFor(
      async () => (await events(page)).slice(since).find((e) => e.name === 'spice-clipboard' && e.detail.kind === 'data' && e.detail.direction === 'from-guest') ?? null,
      'guest PNG on the page',
      30_000,
      100,
    );
    expect(data.detail).toEqual({ direction: 'from-guest', types: ['image/png'], size: bytes.length, kind: 'data' });
    const onPage = await waitFor(
      () =>
        page.evaluate(async () => {
          for (const item of await navigator.clipboard.read()) {
            if (item.types.includes('image/png')) {
              const b = new Uint8Array(await (await item.getType('image/png')).arrayBuffer());
              return { size: b.length, sig: Array.from(b.subarray(0, 8)) };
            }
          }
          return null;
        }),
      'image/png on the page clipboard',
      10_000,
      200,
    );
    // Chromium re-encodes images it puts on the clipboard: the bytes differ, the picture is a PNG.
    expect(onPage.sig).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it("a PNG on the page's clipboard reaches the guest as image/png when the console gains focus", async () => {
    const size = await page.evaluate(async () => {
      const el = (window as any).spiceTest.element();
      el.blur();
      const canvas = new OffscreenCanvas(23, 17);
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#3a7';
      g.fillRect(0, 0, 23, 17);
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': await canvas.convertToBlob({ type: 'image/png' }) })]);
      // What the page will read (the browser may re-encode on write).
      let n = 0;
      for (const item of await navigator.clipboard.read()) if (item.types.includes('image/png')) n = (await item.getType('image/png')).size;
      el.focus();
      return n;
    });
    expect(size).toBeGreaterThan(0);
    const got = await waitFor(
      async () => {
        const r = await x.exec('sh', ['-c', 'xclip -selection clipboard -t image/png -o | od -An -tx1 | tr -d " \n"'], { timeoutMs: 10_000 });
        return r.code === 0 && r.stdout.length === size * 2 ? r.stdout : null;
      },
      'the X clipboard to hold the PNG',
      30_000,
      300,
    );
    expect(got.slice(0, 16)).toBe('89504e470d0a1a0a');
  });

  it('a file dropped on the console is written by the agent, bytes intact', async () => {
    const size = 300_000;
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 10)) & 255;
    await page.evaluate(
      ([b64]) => {
        const raw = Uint8Array.from(atob(b64 as string), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([raw], 'dropped file.bin'));
        const el = (window as any).spiceTest.element();
        el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
      },
      [bytes.toString('base64')] as const,
    );
    const end = await waitForEvent(page, 'transfer end', (e) => e.name === 'spice-file-transfer' && ['success', 'error', 'cancelled'].includes(e.detail.state), 60_000);
    expect(end.detail).toMatchObject({ name: 'dropped file.bin', size, sent: size, state: 'success' });
    const path = join(xferDir, 'dropped file.bin');
    expect(existsSync(path)).toBe(true);
    const written = await readFile(path);
    expect(createHash('md5').update(written).digest('hex')).toBe(createHash('md5').update(bytes).digest('hex'));
  });

  it("Ctrl+V in the console pastes the page's clipboard in the guest application, not the guest's own", async () => {
    const xclipOut = async () => (await x.exec('xclip', ['-selection', 'clipboard', '-o'], { timeoutMs: 10_000 })).stdout;
    // An xterm where Ctrl+V pastes the CLIPBOARD selection (as terminals' Ctrl+Shift+V, editors' Ctrl+V), into
    // cat with the tty in non-canonical mode: what xterm pastes reaches the file at once, with no Enter (an
    // Enter could overtake the paste: xterm fetches the selection asynchronously, keys go on meanwhile).
    const name = `paste${Date.now() % 1_000_000}`; // a retry's window must not find this try's
    const file = await catWindow(x, name, ['-xrm', 'XTerm*VT100.translations: #override Ctrl <Key>v: insert-selection(CLIPBOARD)'], 'stty -icanon; ');
    await page.evaluate(() => (window as any).spiceTest.element().focus());
    // The guest's clipboard holds something else, which reaches the page's clipboard (focus, clipboard-write).
    await writeFile(join(x.tmpDir, 'old.txt'), 'the guest copied this earlier');
    x.run('xclip', ['-selection', 'clipboard', '-quiet', join(x.tmpDir, 'old.txt')]);
    await waitFor(async () => (await xclipOut()) === 'the guest copied this earlier' || null, 'xclip owns the clipboard', 10_000, 200);
    await waitFor(
      async () => (await page.evaluate(() => navigator.clipboard.readText())) === 'the guest copied this earlier' || null,
      "the guest's text on the page clipboard",
      10_000,
      200,
    );
    // Then the user copies something on their own computer (the console keeps its focus: nothing is offered
    // yet) and presses Ctrl+V in the console.
    const text = `copied on the client ${Date.now()}`;
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    expect(await xclipOut()).toBe('the guest copied this earlier');
    await page.keyboard.press('Control+V');
    const pasted = await waitFor(
      async () => (existsSync(file) && (await readFile(file, 'utf8')).length >= text.length ? readFile(file, 'utf8') : null),
      'a paste in the xterm',
      15_000,
      200,
    );
    expect(pasted).toBe(text);
    expect(await xclipOut()).toBe(text);
  });

  it('with clipboard="off" nothing crosses: guest copies stay in the guest, the page\'s text is refused', async () => {
    // Counted before the switch: turning the clipboard off withdraws what the page offered the guest earlier (a
    // to-guest RELEASE, announced when the worker has done it, at a time the test cannot know).
    const since = (await events(page)).length;
    await page.evaluate(() => ((window as any).spiceTest.element().clipboard = 'off'));
    await writeFile(join(x.tmpDir, 'clip2.txt'), 'stays in the guest');
    x.run('xclip', ['-selection', 'clipboard', '-quiet', join(x.tmpDir, 'clip2.txt')]);
    // The agent's GRAB arrives (xclip -o in the guest proves the owner changed), and nothing is announced.
    await waitFor(async () => (await x.exec('xclip', ['-selection', 'clipboard', '-o'])).stdout === 'stays in the guest', 'xclip owns the clipboard', 10_000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const crossed = (await events(page)).slice(since).filter((e) => e.name === 'spice-clipboard');
    // At most the withdrawal of the page's earlier offer; nothing from the guest, nothing new to it.
    expect(crossed.filter((e) => !(e.detail.direction === 'to-guest' && e.detail.kind === 'release'))).toEqual([]);
    expect(crossed.length).toBeLessThanOrEqual(1);
    const refused = await page.evaluate(async () => {
      try {
        await (window as any).spiceTest.element().sendClipboardText('nope');
        return 'sent';
      } catch (e) {
        return (e as { code: string }).code;
      }
    });
    expect(refused).toBe('clipboard-policy');
    const read = await page.evaluate(async () => {
      try {
        return await (window as any).spiceTest.element().readGuestClipboard();
      } catch (e) {
        return (e as { code: string }).code;
      }
    });
    expect(read).toBe('clipboard-policy');
  });
});
