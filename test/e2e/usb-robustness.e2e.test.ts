/**
 * USB faults end to end: a real QEMU (two usb-redir slots, the test guest running its 4 MiB CDC-ACM loopback
 * on every tty that appears) and high-speed fake CDC-ACM devices on the page whose faults the tests inject
 * in the middle of the loopback: the device vanishing, an endpoint stalling, transfers hanging, a descriptor
 * read failing. Each test checks what the guest saw (its serial log), what the page reports, that nothing
 * stays claimed or open on the fake, and that QEMU lives on and takes the next device. The session ending
 * mid-transfer (disconnect(), element removed, page closed, the network resetting) is usb-faults.e2e.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { acmPayload, GUEST, md5Hex, startQemu, usbListingAfter, waitFor, waitForGuestUsbIdle, type Qemu, type UsbDeviceLine } from '../servers/index.js';
import { fakeCdcTransform } from '../fakes/usb/cdc-acm-device.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

const ACM_BYTES = 4 * 1024 * 1024;
const SLOTS = 2;

const env = useConsoleBrowser();

const spiceTest = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => (window as any).spiceTest[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

interface FakeState {
  written: number;
  resets: number;
  opened: boolean;
  claimed: number[];
  pendingTransfers: number;
  calls: string[];
}

const fake = (page: Page, key: string) => spiceTest<FakeState>(page, 'fakeUsbDevice', key);

async function waitForUsb(page: Page, what: string, cond: (s: any) => boolean, ms = 30_000): Promise<any> {
  let last: any;
  try {
    return await waitFor(
      async () => {
        last = await spiceTest<any>(page, 'usbStatus');
        return last && cond(last) ? last : null;
      },
      what,
      ms,
      100,
    );
  } catch (e) {
    (e as Error).message += `\nlast USB status: ${JSON.stringify(last)}`;
    throw e;
  }
}

const ours = (listing: UsbDeviceLine[], product: string) => listing.filter((d) => d.vendorId === 0x2341 && d.product === product);

/** Waits until the guest's latest listing (printed wholly after `since`) shows `product` (`present`) or not. */
async function waitForGuestDevice(qemu: Qemu, product: string, present: boolean, since: number, ms = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const listing = usbListingAfter(await qemu.serialLog(), since);
      return listing && ours(listing, product).length > 0 === present ? true : null;
    },
    `${product} ${present ? 'in' : 'gone from'} the guest`,
    ms,
    200,
  );
}

/** Waits until the fake has taken more than `bytes` of the guest's loopback. */
async function waitForWritten(page: Page, key: string, bytes: number): Promise<void> {
  await waitFor(async () => ((await fake(page, key))?.written ?? 0) > bytes || null, `${bytes} bytes written to the device`, 60_000, 50);
}

/** The guest's serial lines about the loopback since `since`, for the report. */
async function acmLines(qemu: Qemu, since: number): Promise<string[]> {
  return (await qemu.serialLog())
    .slice(since)
    .split('\n')
    .filter((l) => /^ACM /.test(l))
    .map((l) => l.trim());
}

async function connectedPage(qemu: Qemu): Promise<Page> {
  const page = await openConsolePage(env.browser, env.origin);
  await spiceTest(page, 'connect', qemu.url);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 60_000 });
  await waitForUsb(page, 'USB available', (s) => s.available && s.channels.free === SLOTS);
  return page;
}

/** Redirects a new high-speed fake called `product`; returns its key once the guest lists it. */
async function redirectNew(page: Page, qemu: Qemu, product: string, since: number): Promise<string> {
  // Two listing rounds first: the guest's watcher forgets a tty that went away only at the end of a round,
  // and would not test a new device that got the same tty name within that round.
  await qemu.waitForSerial(/USBTICK[\s\S]*USBTICK/, 10_000, (await qemu.serialLog()).length);
  const key = await spiceTest<string>(page, 'addFakeUsbDevice', { highSpeed: true, productName: product, serialNumber: product.replace(/\W/g, '') });
  expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
  await waitForGuestDevice(qemu, product, true, since);
  // The guest starts its loopback on the new tty.
  await qemu.waitForSerial(/^ACM DEVICE/m, 30_000, since);
  return key;
}

/** Gives back every device still redirected (a failed test must not take the next one's channels). */
async function releaseAll(page: Page): Promise<void> {
  const status = await spiceTest<any>(page, 'usbStatus');
  for (const d of status?.devices ?? []) if (d.state === 'redirected' || d.state === 'redirecting') await spiceTest(page, 'releaseUsb', d.key);
  await waitForUsb(page, 'every channel free', (s) => s.channels.free === SLOTS, 15_000);
}

/** QEMU is alive: the process answers QMP, the VM runs, and the guest goes on printing. */
async function expectQemuAlive(qemu: Qemu): Promise<void> {
  expect(await qemu.qmp('query-status')).toMatchObject({ running: true, status: 'running' });
  const since = (await qemu.serialLog()).length;
  await qemu.waitForSerial(/USBTICK/, 10_000, since);
}

/** A full loopback on the next tty after `since`, bytes intact. */
async function expectLoopback(qemu: Qemu, since: number): Promise<void> {
  const result = await qemu.waitForSerial(GUEST.acmResult, 60_000, since);
  expect(result[1]).toBe(String(ACM_BYTES));
  expect(result[2]).toBe(md5Hex(fakeCdcTransform(acmPayload(ACM_BYTES))));
}

describe('USB faults against QEMU', () => {
  let qemu: Qemu;
  let page: Page;
  const report: string[] = [];
  /** Device resets in a fault-free enumeration and use (the device after the vanished one). */
  let baselineResets = -1;
  beforeAll(async () => {
    qemu = await startQemu({ usbredirSlots: SLOTS, waitForGuest: true, acmTest: ACM_BYTES });
    page = await connectedPage(qemu);
  });
  // A test that failed half way leaves its device redirected and the guest's loopback on it running; that
  // loopback's ACM RESULT (which names no tty) would land after the next test's (or the retry's) cursor and be
  // taken for its device's. Give every device back and wait for the guest's loopbacks to end.
  afterEach(async () => {
    await releaseAll(page);
    await waitForGuestUsbIdle(qemu);
  });
  afterAll(async () => {
    if (report.length) console.info(`USB faults:\n  ${report.join('\n  ')}`);
    await page?.close();
    await qemu?.stop();
  });

  it('should report a device that vanishes mid-transfer lost, leave nothing claimed, and re-link its channel for the next', async () => {
    const since = (await qemu.serialLog()).length;
    const key = await spiceTest<string>(page, 'addFakeUsbDevice', { highSpeed: true, productName: 'Vanishing Uno', serialNumber: 'V1' });
    await spiceTest(page, 'fakeUsbFault', key, 'vanishAfterWritten', 1024 * 1024);
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    const channelId = (await spiceTest<any>(page, 'usbStatus')).devices.find((d: any) => d.key === key).channelId;
    const lost = await waitForUsb(page, 'the device lost', (s) => s.devices.find((d: any) => d.key === key)?.state === 'lost', 60_000);
    const reason = lost.devices.find((d: any) => d.key === key).reason;
    expect(reason).toMatch(/unplugged|disconnected/);
    await waitForGuestDevice(qemu, 'Vanishing Uno', false, since, 30_000);
    const result = await qemu.waitForSerial(GUEST.acmResult, 30_000, since);
    expect(Number(result[1])).toBeLessThan(ACM_BYTES);
    expect(await fake(page, key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    await waitForUsb(page, 'its channel free again', (s) => s.channels.free === SLOTS, 15_000);
    report.push(`vanish at 1 MiB: page "${reason}"; guest ${(await acmLines(qemu, since)).join(' | ')}; device gone from the guest's listing`);

    // The re-linked channel (the lowest free one) takes the next device, which works end to end.
    const next = (await qemu.serialLog()).length;
    const key2 = await redirectNew(page, qemu, 'After Vanish', next);
    expect((await spiceTest<any>(page, 'usbStatus')).devices.find((d: any) => d.key === key2).channelId).toBe(channelId);
    await expectLoopback(qemu, next);
    expect(await spiceTest(page, 'releaseUsb', key2)).toEqual({ ok: true });
    await waitForGuestDevice(qemu, 'After Vanish', false, next, 30_000);
    const after = await fake(page, key2);
    expect(after).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    baselineResets = after.resets;
  });

  it('should pass a stalled bulk IN endpoint to the guest, which clears the halt and finishes its loopback intact', async () => {
    await releaseAll(page);
    const since = (await qemu.serialLog()).length;
    const key = await redirectNew(page, qemu, 'Stalling Uno', since);
    await waitForWritten(page, key, 512 * 1024);
    await spiceTest(page, 'fakeUsbFault', key, 'halt', 0x82);
    await expectLoopback(qemu, since);
    const state = await fake(page, key);
    // The clear-halt came from the guest's cdc-acm driver (the host never clears a bulk endpoint by itself).
    expect(state.calls).toContain('clearHalt(in, 2)');
    expect((await spiceTest<any>(page, 'usbStatus')).devices.find((d: any) => d.key === key).state).toBe('redirected');
    report.push(
      `stall on 0x82 after 512 KiB: guest cleared the halt (${state.calls.filter((c) => c.startsWith('clearHalt')).length}x clearHalt), ${(await acmLines(qemu, since)).join(' | ')}`,
    );
    expect(await spiceTest(page, 'releaseUsb', key)).toEqual({ ok: true });
    expect(await fake(page, key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
  });

  it('should answer the guest cancelling transfers that never complete, and release the device within a bound', { timeout: 180_000 }, async () => {
    await releaseAll(page);
    const since = (await qemu.serialLog()).length;
    const key = await redirectNew(page, qemu, 'Hanging Uno', since);
    await waitForWritten(page, key, 256 * 1024);
    await spiceTest(page, 'fakeUsbFault', key, 'hang', 0x82);
    await spiceTest(page, 'fakeUsbFault', key, 'hang', 0x02);
    // The guest's reader and writer give up after 20 s and close the tty; the close waits for the unsent
    // output (the tty's closing_wait, 30 s), then the kernel kills its URBs, QEMU cancels them, and the
    // loopback script ends (it would hang here if a cancel went unanswered).
    const result = await qemu.waitForSerial(GUEST.acmResult, 60_000, since);
    expect(Number(result[1])).toBeLessThan(ACM_BYTES);
    await qemu.waitForSerial(/^ACM DONE/m, 60_000, since);
    expect((await fake(page, key)).pendingTransfers).toBeGreaterThan(0);
    const t0 = Date.now();
    expect(await spiceTest(page, 'releaseUsb', key)).toEqual({ ok: true });
    const took = Date.now() - t0;
    // Within UsbHost's bound for cancelled transfers (usb-host.ts DEFAULT_CLOSE_TIMEOUT_MS, 3 s), with 5 s of
    // margin for a loaded machine: a release that waited on the hanging transfers would never end.
    expect(took).toBeLessThan(3000 + 5000);
    expect(await fake(page, key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    await waitForGuestDevice(qemu, 'Hanging Uno', false, since, 30_000);
    report.push(`hang of 0x82 and 0x02 after 256 KiB: guest ${(await acmLines(qemu, since)).join(' | ')}; releaseUsb took ${took} ms`);
  });

  it('should let the guest retry (port resets in between) a failed descriptor read, then enumerate and use the device', async () => {
    await releaseAll(page);
    const since = (await qemu.serialLog()).length;
    const key = await spiceTest<string>(page, 'addFakeUsbDevice', { highSpeed: true, productName: 'Reset Uno', serialNumber: 'R1' });
    // The guest kernel's first read of the device descriptor (64 bytes, Linux's new enumeration scheme)
    // fails twice: it resets the port and tries again.
    await spiceTest(page, 'fakeUsbFault', key, 'failCalls', 'controlTransferIn(standard, device, 0x6, 0x100, 0, 64)', 2);
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    await waitForGuestDevice(qemu, 'Reset Uno', true, since);
    await expectLoopback(qemu, since);
    const state = await fake(page, key);
    const failed = state.calls.filter((c) => c.startsWith('controlTransferIn(standard, device, 0x6, 0x100, 0, 64)')).length;
    // Two failed reads and the one that worked: the kernel retried. (Its port resets reach the device as
    // often as in a fault-free enumeration: the host folds back-to-back resets into one.)
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(state.resets).toBeGreaterThanOrEqual(1);
    const kernel = (await qemu.serialLog())
      .slice(since)
      .split('\n')
      .filter((l) => /usb \d+-\d+/.test(l))
      .map((l) => l.trim());
    report.push(
      `descriptor read failing twice: ${state.resets} device resets (${baselineResets} without the fault), ${failed} descriptor reads; kernel: ${kernel.join(' | ') || '(nothing at loglevel 3)'}; loopback intact`,
    );
    expect(await spiceTest(page, 'releaseUsb', key)).toEqual({ ok: true });
    expect(await fake(page, key)).toMatchObject({ opened: false, claimed: [], pendingTransfers: 0 });
    await expectQemuAlive(qemu);
  });
});
