/**
 * USB faults with a real QEMU (usb-redir slots, the test guest's CDC-ACM loopback moving megabytes): the device
 * vanishes mid-transfer, the session is disconnected, the element removed and the page closed while the
 * loopback runs. Each time the guest loses the device (never hangs on it), the fake device ends closed on the
 * page when the page still exists, and QEMU stays alive and answers QMP: spice-server 0.15.1 aborts on a
 * usbredir connection reset in the middle of a message, so a client must close usbredir channels so that it
 * never sees one. A fresh session redirects a device again afterwards. A reset by the network itself (the
 * throttling proxy cutting every connection with RST mid-transfer) is checked too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lastUsbListing, startQemu, usbListingAfter, waitFor, waitForGuestUsbIdle, waitForUsbListing, type Qemu } from '../servers/index.js';
import { startThrottleProxy } from '../servers/throttle-proxy.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

/** Large enough that the loopback is still running when each fault hits (about 0.8 MB/s each way here). */
const ACM_BYTES = 16 * 1024 * 1024;

const env = useConsoleBrowser();

const spiceTest = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => (window as any).spiceTest[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

const unos = (l: ReturnType<typeof lastUsbListing>) => l.filter((d) => d.vendorId === 0x2341 && d.productId === 0x0043);

describe('USB faults during heavy traffic into QEMU', () => {
  let qemu: Qemu;
  const report: string[] = [];
  beforeAll(async () => {
    qemu = await startQemu({ usbredirSlots: 2, waitForGuest: true, acmTest: ACM_BYTES });
  });
  afterAll(async () => {
    if (report.length) console.info(`USB faults:\n  ${report.join('\n  ')}`);
    await qemu?.stop();
  });

  /** The pages busyDevice opened in the running test. */
  const opened: Page[] = [];
  // A test that failed half way leaves its page open and its device redirected (a usb-redir slot taken, the
  // guest's loopback running): close it and wait until the guest has let the device go and its loopback ended,
  // so the retry and the next test find both slots free and a quiet guest.
  afterEach(async () => {
    const left = opened.splice(0).filter((p) => !p.isClosed());
    for (const p of left) await p.close();
    if (
      !(await qemu.qmp('query-status').then(
        () => true,
        () => false,
      ))
    )
      return; // QEMU died: nothing left to wait for
    if (left.length) await waitForUsbListing(qemu, 'no Uno left in the guest', (l) => unos(l).length === 0, 30_000, (await qemu.serialLog()).length);
    await waitForGuestUsbIdle(qemu);
  });

  /** Runs `fn`; when it fails, the error carries what QEMU and the page looked like then. */
  async function diagnosed<T>(what: string, page: Page | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const pageState =
        page && !page.isClosed()
          ? await page
              .evaluate(() => {
                const t = (window as any).spiceTest;
                return JSON.stringify({
                  state: t.state(),
                  events: ['spice-state', 'spice-disconnected', 'spice-channels', 'spice-connected'].map((n) => [n, t.named(n)]),
                  usb: t.usbStatus(),
                });
              })
              .catch((err: Error) => `page.evaluate failed: ${err.message}`)
          : '(no page)';
      const serial = (await qemu.serialLog()).slice(-2500);
      (e as Error).message += `\n[${what}]\n--- page: ${pageState}\n--- serial (tail)\n${serial}\n${await qemu.diagnose()}`;
      throw e;
    }
  }

  async function qemuAlive(): Promise<void> {
    expect(await qemu.qmp('query-status')).toMatchObject({ status: 'running' });
  }

  /** A new page, connected, with a high-speed fake redirected and the guest's loopback running on it. */
  async function busyDevice(name: string, url = qemu.url): Promise<{ page: Page; key: string; since: number }> {
    const page = await openConsolePage(env.browser, env.origin);
    opened.push(page);
    return diagnosed(`busyDevice ${name}`, page, async () => {
      await spiceTest(page, 'connect', url);
      await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 60_000 });
      await waitFor(async () => (await spiceTest<any>(page, 'usbStatus'))?.available, 'USB available', 30_000);
      const key = await spiceTest<string>(page, 'addFakeUsbDevice', { highSpeed: true, productName: name, serialNumber: name });
      const since = (await qemu.serialLog()).length;
      expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
      await qemu.waitForSerial(/^ACM DEVICE (\S+)/m, 60_000, since);
      // Let the loopback move data for a while: the fault hits mid-transfer.
      await waitFor(async () => ((await spiceTest<any>(page, 'fakeUsbDevice', key))?.written ?? 0) > 128 * 1024, '128 KiB through the device', 45_000);
      return { page, key, since };
    });
  }

  /** The guest's USB listing no longer shows the device named `name`. */
  async function guestLost(name: string, since: number): Promise<void> {
    await diagnosed(`guestLost ${name}`, null, () =>
      waitFor(
        async () => {
          const listing = usbListingAfter(await qemu.serialLog(), since);
          return listing !== null && !unos(listing).some((d) => d.product === name);
        },
        `the guest to lose ${name}`,
        30_000,
        200,
      ),
    );
  }

  it('should take a device unplugged mid-transfer out of the guest and close it, QEMU alive', async () => {
    const { page, key, since } = await busyDevice('Unplugged Uno');
    await spiceTest(page, 'unplugUsb', key);
    await waitFor(async () => (await spiceTest<any>(page, 'usbStatus')).devices.find((d: any) => d.key === key)?.state === 'lost', 'the device lost', 15_000);
    await guestLost('Unplugged Uno', since);
    expect(await spiceTest<any>(page, 'fakeUsbDevice', key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    await qemuAlive();
    expect(await spiceTest(page, 'state')).toBe('connected');
    await spiceTest(page, 'disconnect');
    await page.close();
  });

  it('should release a device when the session is disconnected mid-transfer, QEMU alive', async () => {
    const { page, key, since } = await busyDevice('Disconnected Uno');
    const t0 = Date.now();
    await spiceTest(page, 'disconnect');
    const took = Date.now() - t0;
    await waitFor(async () => page.workers().length === 0, 'the engine worker to end', 10_000);
    report.push(`disconnect() mid-loopback resolved in ${took} ms, worker gone ${Date.now() - t0} ms after the call`);
    await waitFor(async () => !(await spiceTest<any>(page, 'fakeUsbDevice', key)).opened, 'the fake device closed', 10_000);
    expect(await spiceTest<any>(page, 'fakeUsbDevice', key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    await guestLost('Disconnected Uno', since);
    await qemuAlive();
    await page.close();
  });

  it('should release a device when the element leaves the page mid-transfer, QEMU alive', async () => {
    const { page, key, since } = await busyDevice('Removed Uno');
    const t0 = Date.now();
    await spiceTest(page, 'remove');
    await waitFor(async () => page.workers().length === 0, 'the engine worker to end', 10_000);
    report.push(`element removed mid-loopback: worker gone ${Date.now() - t0} ms later`);
    await waitFor(async () => !(await spiceTest<any>(page, 'fakeUsbDevice', key)).opened, 'the fake device closed', 10_000);
    expect(await spiceTest<any>(page, 'fakeUsbDevice', key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    await guestLost('Removed Uno', since);
    await qemuAlive();
    await page.close();
  });

  it('should leave QEMU alive when the page closes mid-transfer, and a new session redirects again', async () => {
    const { page, since } = await busyDevice('Closed Uno');
    await page.close();
    await guestLost('Closed Uno', since);
    await qemuAlive();
    // The VM's server still serves: a new session takes a device on the same slots.
    const next = await busyDevice('Next Uno');
    await qemuAlive();
    // ...and ends mid-transfer too (the second disconnect of this VM's server).
    await spiceTest(next.page, 'disconnect');
    await guestLost('Next Uno', next.since);
    await qemuAlive();
    await next.page.close();
  });

  it('should leave QEMU alive when the network resets every connection mid-transfer (RST, not the client)', async () => {
    const proxy = await startThrottleProxy(qemu.port);
    try {
      const { page, key, since } = await busyDevice('Reset Uno', proxy.url);
      proxy.cut('reset');
      expect(
        (await page.waitForFunction(() => (window as any).spiceTest.named('spice-disconnected')[0], null, { timeout: 15_000 }).then((h) => h.jsonValue())).code,
      ).toBe('transport-closed');
      await waitFor(async () => !(await spiceTest<any>(page, 'fakeUsbDevice', key)).opened, 'the fake device closed', 10_000);
      await guestLost('Reset Uno', since);
      await qemuAlive();
      await page.close();
    } finally {
      await proxy.close();
    }
  });
});
