/**
 * Where the password goes, end to end: a whole session (link of every channel, keys sent, settings kept for a
 * VM id, disconnect, connect again) against the hostile server, which records every byte the client sent.
 * The password must reach the server only inside the RSA-encrypted ticket of each link: never in clear on
 * any socket, never in the page's console (page or worker, any level), storage (localStorage,
 * sessionStorage, every IndexedDB record, cookies), URL, DOM attributes or any HTTP request. The demo page
 * neither reads it from its URL nor ever puts it there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from '../servers/index.js';
import { startHostileServer, type HostileServer } from '../servers/hostile-server.js';
import { ChannelType } from '../../src/protocol/constants.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

const env = useConsoleBrowser();

/** Distinctive, so that any copy of it anywhere is found. */
const PASSWORD = 'pw-Zq8#k2!Vx9';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Everything the page keeps or shows that a password could leak into, as one string. */
async function pageTraces(p: Page): Promise<string> {
  const inPage = await p.evaluate(async () => {
    const out: unknown[] = [location.href, document.cookie, document.documentElement.outerHTML, history.length];
    for (const store of [localStorage, sessionStorage]) for (let i = 0; i < store.length; i++) out.push(store.key(i), store.getItem(store.key(i)!));
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(new Error(`indexedDB.open: ${r.error?.message}`));
      });
      for (const name of Array.from(db.objectStoreNames)) {
        const store = db.transaction(name, 'readonly').objectStore(name);
        for (const req of [store.getAllKeys(), store.getAll()]) out.push(await new Promise((res) => (req.onsuccess = () => res(req.result))));
      }
      db.close();
    }
    const el = (window as any).spiceTest.element();
    if (el)
      out.push(
        Array.from(el.attributes as NamedNodeMap).map((a) => `${a.name}=${a.value}`),
        el.shadowRoot?.innerHTML ?? '',
      );
    out.push((window as any).spiceTest.events);
    return JSON.stringify(out);
  });
  const cookies = JSON.stringify(await p.context().cookies());
  return `${p.url()}\n${cookies}\n${inPage}`;
}

describe('the password', () => {
  it('should travel only inside the encrypted ticket of each link, and stay nowhere in the page', async () => {
    server = await startHostileServer({
      channels: [
        [ChannelType.Display, 0],
        [ChannelType.Inputs, 0],
        [ChannelType.Cursor, 0],
      ],
    });
    const console: string[] = [];
    const requests: string[] = [];
    const p = await openConsolePage(env.browser, env.origin);
    p.on('console', (m) => console.push(`${m.type()} ${m.text()}`));
    p.context().on('request', (r) => requests.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
    await p.evaluate(() => {
      const t = (window as any).spiceTest;
      t.mount();
      t.element().vmId = 'security-vm';
      t.element().scale = 'fill';
    });
    for (let round = 0; round < 2; round++) {
      await p.evaluate(([url, pw]) => (window as any).spiceTest.connect(url, pw), [server.url, PASSWORD] as const);
      await p.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 30_000 });
      await p.evaluate(() => (window as any).spiceTest.element().sendKeys(['KeyA', 'Enter']));
      await p.evaluate(() => (window as any).spiceTest.disconnect());
      await waitFor(async () => p.workers().length === 0, 'the engine worker to terminate', 10_000);
    }
    await waitFor(async () => server!.connections() === 0, 'the server sockets to close', 10_000);

    // Every link of both sessions carried the password, decrypted from its ticket: main, display, inputs, cursor.
    expect(server.channels.map((c) => c.type).sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(server.passwords).toEqual(Array(8).fill(PASSWORD));
    // ...and never in clear, in any encoding a leak would likely use, on any socket.
    const needles = [Buffer.from(PASSWORD, 'utf8'), Buffer.from(PASSWORD, 'utf16le'), Buffer.from(Buffer.from(PASSWORD).toString('base64'))];
    for (const stream of server.received) {
      const all = Buffer.concat(stream);
      expect(all.length).toBeGreaterThan(0);
      for (const n of needles) expect(all.includes(n)).toBe(false);
    }
    // Nowhere in the page, its storage, its console or its requests (the element keeps it only as a property).
    expect(await p.evaluate(() => (window as any).spiceTest.element().password)).toBe(PASSWORD);
    await p.evaluate(() => {
      (window as any).spiceTest.element().password = '';
    });
    const traces = await pageTraces(p);
    expect(traces).toContain('security-vm');
    expect(traces).not.toContain(PASSWORD);
    expect(console.join('\n')).not.toContain(PASSWORD);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.join('\n')).not.toContain(PASSWORD);
    expect(requests.join('\n')).not.toContain(encodeURIComponent(PASSWORD));
    await p.close();
  });

  it('should never be read from the demo page URL nor put into it', async () => {
    server = await startHostileServer({ channels: [[ChannelType.Display, 0]] });
    const p = await env.browser.newPage();
    const navigations: string[] = [];
    p.on('framenavigated', (f) => navigations.push(f.url()));
    await p.goto(`${env.origin}/demo/index.html?url=${encodeURIComponent(server.url)}&password=${encodeURIComponent(PASSWORD)}`);
    await p.waitForFunction(() => customElements.get('spice-console') !== undefined, null, { timeout: 60_000 });
    // The URL parameter is ignored: the field stays empty.
    expect(await p.inputValue('#password')).toBe('');
    await p.goto(`${env.origin}/demo/index.html?url=${encodeURIComponent(server.url)}`);
    await p.waitForFunction(() => customElements.get('spice-console') !== undefined, null, { timeout: 60_000 });
    navigations.length = 0;
    await p.fill('#password', PASSWORD);
    await p.click('#connect');
    await waitFor(async () => server!.passwords.length > 0, 'the demo to link', 30_000);
    expect(server.passwords[0]).toBe(PASSWORD);
    expect(p.url()).not.toContain(encodeURIComponent(PASSWORD));
    expect(navigations.join('\n')).not.toContain(encodeURIComponent(PASSWORD));
    // A password field without a name is never part of a submitted form, even should the page's script not run.
    expect(await p.getAttribute('#password', 'name')).toBeNull();
    await p.click('#disconnect');
    await waitFor(async () => p.workers().length === 0, 'the engine worker to terminate', 10_000);
    await p.close();
  });
});
