/**
 * Native USB redirection end to end: headless Chromium runs <spice-console> with usb="native"; fake
 * CDC-ACM devices (FakeCdcAcmDevice) live on the page and reach the engine worker through device ports;
 * the engine speaks usbredir over SPICE usbredir channels to a real QEMU with the device layout of an oVirt
 * VM (EHCI + UHCI companions, usb-redir slots), whose small Linux guest enumerates the devices, lists them
 * on its serial console (USBDEV lines) and runs a CDC-ACM loopback through /dev/ttyACM0 (acmtest=N: it
 * writes N bytes, reads N back and prints both md5s). Xspice, which has no usbredir channel, shows USB
 * turning itself off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  acmPayload,
  GUEST,
  lastUsbListing,
  md5Hex,
  waitForGuestUsbIdle,
  waitForUsbListing,
  startQemu,
  startXspice,
  waitFor,
  type Qemu,
  type Xspice,
} from '../servers/index.js';
import { fakeCdcTransform } from '../fakes/usb/cdc-acm-device.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

/**
 * Bytes of the guest's loopback test (kernel command line acmtest=N; the guest gives up after 20 s). Measured
 * here (2 shared cores, QEMU 7.2 under TCG, Chromium, device on the page behind a device port): a high-speed
 * device (EHCI, 512-byte packets) moves about 0.8 MB/s each way at once, so 4 MiB takes about 5 s; a
 * full-speed one (UHCI, 64-byte packets, one packet per round trip) about 0.09 MB/s, which is why the
 * loopback runs on a high-speed fake and the full-speed Arduino is checked for enumeration.
 */
const ACM_BYTES = 4 * 1024 * 1024;

const env = useConsoleBrowser();

const spiceTest = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => (window as any).spiceTest[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

async function usbStatus(page: Page): Promise<any> {
  return spiceTest(page, 'usbStatus');
}

async function waitForUsb(page: Page, what: string, cond: (s: any) => boolean, ms = 30_000): Promise<any> {
  let last: any;
  try {
    return await waitFor(
      async () => {
        last = await usbStatus(page);
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

const arduinos = (l: ReturnType<typeof lastUsbListing>) => l.filter((d) => d.vendorId === 0x2341 && d.productId === 0x0043);

async function connected(qemuOrXspice: { url: string }): Promise<Page> {
  const page = await openConsolePage(env.browser, env.origin);
  await spiceTest(page, 'connect', qemuOrXspice.url);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 60_000 });
  return page;
}

describe('USB redirection into QEMU with four usb-redir slots', () => {
  let qemu: Qemu;
  let page: Page;
  beforeAll(async () => {
    qemu = await startQemu({ usbredirSlots: 4, waitForGuest: true, acmTest: ACM_BYTES });
    page = await connected(qemu);
  });
  afterAll(async () => {
    await page?.close();
    await qemu?.stop();
  });

  it('should report USB available with four channels', async () => {
    const status = await waitForUsb(page, 'USB available', (s) => s.available);
    expect(status).toMatchObject({ available: true, channels: { total: 4, free: 4 }, devices: [] });
    expect(status.migrationWarning).toBeUndefined();
  });

  /** Waits for the loopback of the next CDC-ACM tty after `since` and checks both md5s. */
  async function loopback(since: number): Promise<string> {
    const device = await qemu.waitForSerial(/^ACM DEVICE (\S+)/m, 30_000, since);
    const t0 = Date.now();
    const result = await qemu.waitForSerial(GUEST.acmResult, 60_000, since);
    const seconds = (Date.now() - t0) / 1000;
    const sent = await qemu.waitForSerial(GUEST.acmSent, 5_000, since);
    const payload = acmPayload(ACM_BYTES);
    expect(sent[1]).toBe(String(ACM_BYTES));
    expect(sent[2]).toBe(md5Hex(payload));
    expect(result[1]).toBe(String(ACM_BYTES));
    expect(result[2]).toBe(md5Hex(fakeCdcTransform(payload)));
    return `${device[1]}: ${ACM_BYTES} bytes each way in ${seconds.toFixed(1)} s (${(ACM_BYTES / seconds / 1e6).toFixed(2)} MB/s per direction)`;
  }

  it('should redirect a fake CDC-ACM device that the guest enumerates and uses as a serial port, bytes intact', async () => {
    const key = await spiceTest<string>(page, 'addFakeUsbDevice', { highSpeed: true, productName: 'Fast Uno' });
    const since = (await qemu.serialLog()).length;
    const started = Date.now();
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    const status = await usbStatus(page);
    expect(status.devices).toEqual([
      expect.objectContaining({ key, state: 'redirected', vendorId: 0x2341, productId: 0x0043, productName: 'Fast Uno', via: 'page', channelId: expect.any(Number) }),
    ]);
    expect(status.channels).toEqual({ total: 4, free: 3 });
    expect(status.migrationWarning).toMatch(/cannot be live-migrated/);
    const events = await page.evaluate(() => (window as any).spiceTest.named('spice-usb'));
    expect(events.some((e: any) => e.migrationWarning)).toBe(true);

    const listing = await waitForUsbListing(qemu, 'the device in the guest', (l) => arduinos(l).length === 1, 60_000, since);
    expect(arduinos(listing)[0]).toMatchObject({ speed: '480', product: 'Fast Uno' });
    const enumerated = (Date.now() - started) / 1000;

    // The guest's loopback: N bytes written to /dev/ttyACM0 reach the device, its answer comes back.
    const measured = await loopback(since);
    expect((await spiceTest<any>(page, 'fakeUsbDevice', key)).written).toBe(ACM_BYTES);
    console.info(`USB e2e: enumerated ${enumerated.toFixed(1)} s after redirect; ${measured}`);
  });

  it('should carry two devices at once on two channels, the second a full-speed Arduino', async () => {
    const key = await spiceTest<string>(page, 'addFakeUsbDevice', { productName: 'Second Uno', serialNumber: 'SC0002' });
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    const status = await usbStatus(page);
    const redirected = status.devices.filter((d: any) => d.state === 'redirected');
    expect(redirected).toHaveLength(2);
    expect(new Set(redirected.map((d: any) => d.channelId)).size).toBe(2);
    expect(status.channels).toEqual({ total: 4, free: 2 });
    const listing = await waitForUsbListing(qemu, 'both devices in the guest', (l) => arduinos(l).length === 2, 60_000);
    expect(
      arduinos(listing)
        .map((d) => `${d.product} ${d.speed}`)
        .sort(),
    ).toEqual(['Fast Uno 480', 'Second Uno 12']);
    const menu = await spiceTest<any>(page, 'usbMenu');
    expect(menu.devices.map((d: any) => [d.state, d.action])).toEqual([
      ['redirected', 'Release'],
      ['redirected', 'Release'],
    ]);
  });

  it('should remove an unplugged device from the guest, and take a new device on a re-linked channel', async () => {
    const keys = (await usbStatus(page)).devices.map((d: any) => d.key);
    const second = keys.find((k: string) => k.includes('SC0002'))!;
    // Unplugged while the guest's loopback is still running on it.
    await spiceTest(page, 'unplugUsb', second);
    await waitForUsb(page, 'the device lost', (s) => s.devices.find((d: any) => d.key === second)?.state === 'lost');
    await waitForUsbListing(
      qemu,
      'the guest to lose it',
      (l) =>
        arduinos(l)
          .map((d) => d.product)
          .join() === 'Fast Uno',
      30_000,
    );
    // Its channel re-links (a fresh chardev connection in QEMU) and is free again.
    await waitForUsb(page, 'the channel free again', (s) => s.channels.free === 3, 15_000);
    const menu = await spiceTest<any>(page, 'usbMenu');
    expect(menu.devices.find((d: any) => d.key === second)).toMatchObject({ state: 'lost', text: 'Unplugged', disabled: true });

    // Released through the API: the first device leaves the guest too, and is closed.
    expect(await spiceTest(page, 'releaseUsb', keys[0])).toEqual({ ok: true });
    await waitForUsbListing(qemu, 'no device left in the guest', (l) => arduinos(l).length === 0, 30_000);
    await waitForUsb(page, 'every channel free', (s) => s.channels.free === 4, 15_000);
    expect((await spiceTest<any>(page, 'fakeUsbDevice', keys[0])).opened).toBe(false);

    // The guest's loopback on the unplugged device ends with an ACM RESULT of its own (short, and naming no
    // tty): wait for every loopback to end, so that line cannot land after the cursor and pass for the third's.
    await waitForGuestUsbIdle(qemu);
    // Every channel has carried a device by now or is fresh: the lowest, re-linked one takes the next.
    const since = (await qemu.serialLog()).length;
    const third = await spiceTest<string>(page, 'addFakeUsbDevice', { highSpeed: true, productName: 'Third Uno', serialNumber: 'SC0003' });
    expect(await spiceTest(page, 'redirectUsb', third)).toEqual({ ok: true });
    expect((await usbStatus(page)).devices.find((d: any) => d.key === third).channelId).toBe(0);
    await waitForUsbListing(qemu, 'the third device in the guest', (l) => arduinos(l).some((d) => d.product === 'Third Uno'), 60_000, since);
    console.info(`USB e2e, after a re-link: ${await loopback(since)}`);
  });
});

describe('a VM whose usb-redir filter refuses CDC devices', () => {
  let qemu: Qemu;
  let page: Page;
  beforeAll(async () => {
    qemu = await startQemu({ usbredirSlots: 2, usbFilter: '0x02,-1,-1,-1,0|-1,-1,-1,-1,1', waitForGuest: true });
    page = await connected(qemu);
  });
  afterAll(async () => {
    await page?.close();
    await qemu?.stop();
  });

  it('should report the device refused with the reason and never attach it', async () => {
    await waitForUsb(page, 'USB available', (s) => s.available);
    const key = await spiceTest<string>(page, 'addFakeUsbDevice');
    const result = await spiceTest<any>(page, 'redirectUsb', key);
    expect(result).toEqual({ ok: false, code: 'usb-refused', message: expect.stringMatching(/VM's USB filter.*class 0x02.*rule 1/) });
    const status = await usbStatus(page);
    expect(status.devices).toEqual([expect.objectContaining({ key, state: 'refused', reason: expect.stringMatching(/VM's USB filter/) })]);
    expect(status.guestFilter).toBe('0x02,-1,-1,-1,0|-1,-1,-1,-1,1');
    const menu = await spiceTest<any>(page, 'usbMenu');
    expect(menu.devices[0]).toMatchObject({ state: 'refused', text: expect.stringMatching(/^Refused: blocked by the VM's USB filter/) });
    // A few listing rounds later the guest has still seen nothing.
    const since = (await qemu.serialLog()).length;
    await qemu.waitForSerial(/USBTICK[\s\S]*USBTICK[\s\S]*USBTICK/, 15_000, since);
    expect(arduinos(lastUsbListing((await qemu.serialLog()).slice(since)))).toEqual([]);
    expect(await qemu.serialLog()).not.toMatch(/USBDEV \S+ 2341:0043/);
    // The device was given back: closed, and every channel free.
    expect((await spiceTest<any>(page, 'fakeUsbDevice', key)).opened).toBe(false);
    await waitForUsb(page, 'both channels free', (s) => s.channels.free === 2, 15_000);
  });
});

describe('Xspice, which offers no usbredir channel', () => {
  let xspice: Xspice;
  beforeAll(async () => {
    xspice = await startXspice({});
  });
  afterAll(() => xspice?.stop());

  it('should report USB unavailable with the reason, turn the menu off, and refuse redirects', async () => {
    const page = await connected(xspice);
    const status = await waitForUsb(page, 'the USB status', (s) => /usbredir/.test(s.reason ?? ''));
    expect(status).toMatchObject({ available: false, reason: expect.stringMatching(/not configured for USB redirection/), channels: { total: 0, free: 0 } });
    expect(await page.evaluate(() => (window as any).spiceTest.element().hasAttribute('usb-available'))).toBe(false);
    const events = await page.evaluate(() => (window as any).spiceTest.named('spice-usb'));
    expect(events.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/usbredir/) });

    const key = await spiceTest<string>(page, 'addFakeUsbDevice');
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: false, code: 'usb-unavailable', message: expect.stringMatching(/usbredir/) });
    await spiceTest(page, 'usbMenu');
    const menu = await spiceTest<any>(page, 'usbMenu');
    expect(menu.addDisabled).toBe(true);
    expect(menu.reason).toMatch(/^USB redirection is unavailable: The connected VM is not configured for USB redirection/);
    expect(menu.toggle).toMatch(/unavailable/);
    expect(menu.devices).toEqual([expect.objectContaining({ key, state: 'available', disabled: true })]);
    await page.close();
  });
});
