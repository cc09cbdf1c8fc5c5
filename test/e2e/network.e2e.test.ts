/**
 * Network faults, end to end: <spice-console> in Chromium talks to a real Xspice through a throttling TCP
 * proxy (test/servers/throttle-proxy.ts) that slows, stalls and cuts the link, and to the hostile server for
 * a WebSocket closed in the middle of a SPICE message. Each fault ends in the documented way (the session
 * survives a slow or stalled link; a cut link gives one spice-disconnected `transport-closed`), the page stays
 * responsive, nothing is left behind, the element's settings (properties and what it keeps in IndexedDB) are
 * the same afterwards, and connecting again works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startXspice, waitFor, type Xspice } from '../servers/index.js';
import { startThrottleProxy, type ThrottleProxy } from '../servers/throttle-proxy.js';
import { startHostileServer } from '../servers/hostile-server.js';
import { ChannelType, DisplayMsg } from '../../src/protocol/constants.js';
import { Writer } from '../../src/protocol/writer.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { waitForQuietDisplay } from './support/scene.js';
import { expectResponsive, startTicker } from './support/health.js';

const env = useConsoleBrowser();

let xspice: Xspice;
beforeAll(async () => {
  xspice = await startXspice({ password: 'net-secret' });
});
afterAll(() => xspice?.stop());

async function nthEvent(p: Page, name: string, n = 0, timeout = 30_000): Promise<any> {
  const handle = await p.waitForFunction(([name, n]) => (window as any).spiceTest.named(name)[n], [name, n] as const, { timeout });
  return handle.jsonValue();
}

/** The console's settings as the page sees them: its properties and every IndexedDB record. */
async function settingsSnapshot(p: Page): Promise<unknown> {
  return p.evaluate(async () => {
    const el = (window as any).spiceTest.element();
    const props = Object.fromEntries(['url', 'imageCompression', 'scale', 'viewOnly', 'mouseMode', 'usb', 'usbFilter', 'vmId'].map((k) => [k, el[k]]));
    const dbs: Record<string, unknown> = {};
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(new Error(`indexedDB.open: ${r.error?.message}`));
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(store, 'readonly').objectStore(store);
        const [keys, values] = await Promise.all(
          [tx.getAllKeys(), tx.getAll()].map((r) => new Promise<unknown[]>((res) => (r.onsuccess = () => res(r.result as unknown[])))),
        );
        dbs[`${info.name}/${store}`] = { keys, values };
      }
      db.close();
    }
    return { props, dbs };
  });
}

/** Opens the page, sets non-default settings, connects through `url` and waits for the first frame. */
async function connectThrough(url: string): Promise<Page> {
  const p = await openConsolePage(env.browser, env.origin);
  await startTicker(p);
  await p.evaluate(() => {
    const t = (window as any).spiceTest;
    t.mount();
    const el = t.element();
    el.vmId = 'network-faults-vm';
    el.scale = 'fill';
    el.mouseMode = 'server';
  });
  await p.evaluate(([url]) => (window as any).spiceTest.connect(url, 'net-secret', 'lz'), [url] as const);
  await nthEvent(p, 'spice-connected', 0, 60_000);
  await waitFor(async () => ((await p.evaluate(() => (window as any).spiceTest.displayStats()))[0]?.frames ?? 0) > 0, 'a first frame', 60_000);
  return p;
}

async function frames(p: Page): Promise<number> {
  return (await p.evaluate(() => (window as any).spiceTest.displayStats()))[0]?.frames ?? 0;
}

/** Draws a full-screen rectangle of a new colour on the Xspice desktop (the server sends a draw). */
async function paint(color: string): Promise<void> {
  await xspice.exec('xsetroot', ['-solid', color]);
}

async function expectNothingLeft(p: Page, proxy?: ThrottleProxy): Promise<void> {
  await waitFor(async () => p.workers().length === 0, 'the engine worker to terminate', 10_000);
  expect(await p.evaluate(() => (window as any).spiceTest.openSockets())).toBe(0);
  if (proxy) await waitFor(async () => proxy.connections() === 0, 'the proxied connections to close', 10_000);
}

describe('a slow link', () => {
  it('should connect and draw through 200 KB/s with 80 ms latency each way, staying responsive', async () => {
    const proxy = await startThrottleProxy(xspice.port, '127.0.0.1', { bandwidth: 200_000, latencyMs: 80 });
    try {
      const t0 = Date.now();
      const p = await connectThrough(proxy.url);
      const connectMs = Date.now() - t0;
      await expectResponsive(p);
      const before = await frames(p);
      await paint('#336699');
      await waitFor(async () => (await frames(p)) > before, 'a frame after a repaint over the slow link', 30_000);
      await expectResponsive(p);
      expect(proxy.bytes.down).toBeGreaterThan(0);
      console.log(`slow link: connected with a first frame in ${connectMs} ms, ${proxy.bytes.down} bytes down`);
      await p.evaluate(() => (window as any).spiceTest.disconnect());
      expect((await nthEvent(p, 'spice-disconnected')).code).toBe('client');
      await expectNothingLeft(p, proxy);
      await p.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('a stalled link', () => {
  it('should survive 8 s without a byte in either direction, then carry on drawing', async () => {
    const proxy = await startThrottleProxy(xspice.port);
    try {
      const p = await connectThrough(proxy.url);
      // The first picture may still be arriving after its first frame; a late frame of it counted during the
      // stall would fail the check below for a reason that has nothing to do with the stall.
      await waitForQuietDisplay(p, 1000);
      proxy.stall();
      await paint('#993366');
      await p.evaluate(async () => {
        const el = (window as any).spiceTest.element();
        for (let i = 0; i < 50; i++) await el.sendKeys(['ShiftLeft']);
      });
      const stalled = await frames(p);
      for (let i = 0; i < 4; i++) await expectResponsive(p, 2000);
      expect(await frames(p)).toBe(stalled);
      expect(await p.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
      proxy.release();
      await waitFor(async () => (await frames(p)) > stalled, 'frames after the stall', 30_000);
      const after = await frames(p);
      await paint('#669933');
      await waitFor(async () => (await frames(p)) > after, 'a frame for a draw after the stall', 30_000);
      expect(await p.evaluate(() => (window as any).spiceTest.named('spice-disconnected').length)).toBe(0);
      await p.evaluate(() => (window as any).spiceTest.disconnect());
      await expectNothingLeft(p, proxy);
      await p.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('a cut link', () => {
  for (const how of ['reset', 'end'] as const) {
    it(`should report transport-closed once when every connection is ${how === 'reset' ? 'reset' : 'closed with a FIN'}, keep its settings, and connect again`, async () => {
      const proxy = await startThrottleProxy(xspice.port);
      try {
        const p = await connectThrough(proxy.url);
        const settings = await settingsSnapshot(p);
        proxy.cut(how);
        const ended = await nthEvent(p, 'spice-disconnected');
        expect(ended.code).toBe('transport-closed');
        expect(ended.clean).toBe(false);
        await expectResponsive(p);
        await expectNothingLeft(p, proxy);
        expect(await p.evaluate(() => (window as any).spiceTest.named('spice-disconnected').length)).toBe(1);
        expect(await settingsSnapshot(p)).toEqual(settings);
        // The page connects again over the same proxy, with the same settings.
        await p.evaluate(([url]) => (window as any).spiceTest.connect(url, 'net-secret', 'lz'), [proxy.url] as const);
        await nthEvent(p, 'spice-connected', 0, 60_000);
        expect(await settingsSnapshot(p)).toEqual(settings);
        await p.evaluate(() => (window as any).spiceTest.disconnect());
        await expectNothingLeft(p, proxy);
        await p.close();
      } finally {
        await proxy.close();
      }
    });
  }

  it('should report transport-closed when the link is cut while the server is refusing connections (server down)', async () => {
    const proxy = await startThrottleProxy(xspice.port);
    try {
      const p = await connectThrough(proxy.url);
      proxy.refuse(true);
      proxy.cut('reset');
      expect((await nthEvent(p, 'spice-disconnected')).code).toBe('transport-closed');
      await expectNothingLeft(p, proxy);
      // Connecting while the server is down fails cleanly, once.
      await p.evaluate(([url]) => (window as any).spiceTest.connect(url, 'net-secret'), [proxy.url] as const);
      const failed = await nthEvent(p, 'spice-disconnected');
      expect(failed.code).toBe('unreachable');
      await expectNothingLeft(p, proxy);
      await expectResponsive(p);
      await p.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('a WebSocket closed in the middle of a message', () => {
  it('should mark a display channel closed mid-message as closed (session goes on), and end the session with transport-closed (not protocol) when main is', async () => {
    // The header of a 1 MiB message and 1000 bytes of its body, then a clean WebSocket close frame.
    const halfMessage = (type: number) =>
      new Writer()
        .u16(type)
        .u32(1 << 20)
        .bytes(new Uint8Array(1000))
        .finish();
    const server = await startHostileServer({
      channels: [[ChannelType.Display, 0]],
      linked(ch) {
        if (ch.type !== ChannelType.Display) return;
        ch.onMessage((m) => {
          if (m.type !== 101) return;
          ch.raw(halfMessage(DisplayMsg.DrawFill));
          setTimeout(() => ch.close(), 200);
        });
      },
    });
    try {
      const p = await openConsolePage(env.browser, env.origin);
      await startTicker(p);
      await p.evaluate(([url]) => (window as any).spiceTest.connect(url), [server.url] as const);
      await nthEvent(p, 'spice-connected');
      const closed = await p.waitForFunction(
        () =>
          (window as any).spiceTest
            .named('spice-channels')
            .flatMap((e: any) => e.channels)
            .find((c: any) => c.type === 'display' && c.state === 'closed'),
        null,
        { timeout: 15_000 },
      );
      expect((await closed.jsonValue()).error).toMatch(/closed/i);
      expect(await p.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
      await expectResponsive(p);
      const main = server.channels.find((c) => c.type === ChannelType.Main)!;
      main.raw(halfMessage(109));
      setTimeout(() => main.close(), 200);
      const ended = await nthEvent(p, 'spice-disconnected');
      expect(ended.code).toBe('transport-closed');
      await expectResponsive(p);
      await expectNothingLeft(p);
      await waitFor(async () => server.connections() === 0, 'the server sockets to close', 10_000);
      await p.close();
    } finally {
      await server.close();
    }
  });
});
