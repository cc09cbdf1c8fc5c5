/**
 * A USB flash drive redirected into a real guest: a second device class, very unlike the CDC-ACM serial fake
 * of usb.e2e.test.ts. FakeMassStorageDevice (mass storage, SCSI over Bulk-Only Transport, a 2 MiB disk with a
 * known pattern) lives on the page; the engine carries it over a SPICE usbredir channel into QEMU (EHCI with
 * UHCI companions, as oVirt lays out a VM), where the guest's usb-storage and sd drivers take it as a SCSI
 * disk. The guest's msctest=N (scripts/build-guest.sh) prints the disk and its size, the md5 of its first N
 * blocks (64 KiB reads), writes 64 KiB of a known block from block N on in one O_DIRECT write (synced),
 * reads it back and prints that md5; releasing the device makes the disk go away. The second QEMU (one slot,
 * msctimeout=5) takes drives that fail mid-read: one wedges (the guest's error recovery brings it back), one
 * is pulled out (lost; the next drive uses the re-linked channel).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lastUsbListing, md5Hex, waitForGuestUsbIdle, waitForUsbListing, startQemu, waitFor, type Qemu } from '../servers/index.js';
import { FAKE_MSC_BLOCKS, FAKE_MSC_PRODUCT_ID, FAKE_MSC_VENDOR_ID, fakeMscBlock, type FakeMassStorageOptions } from '../fakes/usb/mass-storage-device.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

/** Blocks the guest reads (a multiple of 128) and the block it writes. 2048 blocks = 1 MiB, half the disk. */
const READ_BLOCKS = 2048;
/** The block the guest writes, repeated (build-guest.sh's /etc/msc-block). */
const WRITTEN = new TextEncoder().encode('spice-console msc test block\n'.repeat(18).slice(0, 512));
/** Blocks the guest writes from READ_BLOCKS on, each WRITTEN: 64 KiB in one write. */
const WRITTEN_BLOCKS = 128;

const env = useConsoleBrowser();

const spiceTest = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => (window as any).spiceTest[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function pattern(blocks: number): Uint8Array {
  const out = new Uint8Array(blocks * 512);
  for (let n = 0; n < blocks; n++) out.set(fakeMscBlock(n), n * 512);
  return out;
}

/**
 * A test that failed half way leaves its drive redirected: give it back and wait for its channel, so the next
 * test (or this one's retry) has one.
 */
async function releaseRedirected(page: Page): Promise<void> {
  const status = await spiceTest<any>(page, 'usbStatus');
  const held = (status?.devices ?? []).filter((d: any) => d.state === 'redirected');
  for (const d of held) await spiceTest(page, 'releaseUsb', d.key);
  if (held.length === 0) return;
  await waitFor(
    async () => {
      const s = await spiceTest<any>(page, 'usbStatus');
      return s.channels.free === s.channels.total ? true : null;
    },
    'every USB channel free after the cleanup',
    15_000,
    100,
  );
}

const drives = (l: ReturnType<typeof lastUsbListing>) => l.filter((d) => d.vendorId === FAKE_MSC_VENDOR_ID && d.productId === FAKE_MSC_PRODUCT_ID);

describe('a USB flash drive redirected into QEMU', () => {
  let qemu: Qemu;
  let page: Page;
  beforeAll(async () => {
    qemu = await startQemu({ usbredirSlots: 2, waitForGuest: true, append: `msctest=${READ_BLOCKS}` });
    page = await openConsolePage(env.browser, env.origin);
    await spiceTest(page, 'connect', qemu.url);
    await waitFor(async () => ((await spiceTest<any>(page, 'usbStatus'))?.available ? true : null), 'USB available', 60_000, 100);
  });
  // ...and wait for the guest's test of that drive to end (its MSC READ/WROTE/DONE lines name no drive or
  // the same sda) and the disk to go, so none of its lines lands after the next test's cursor.
  afterEach(async () => {
    await releaseRedirected(page);
    await waitForGuestUsbIdle(qemu);
  });
  afterAll(async () => {
    await page?.close();
    await qemu?.stop();
  });

  /** Redirects a new fake drive and checks what the guest read and wrote; returns its key and disk name. */
  async function redirectAndCheck(options: FakeMassStorageOptions, speed: string): Promise<{ key: string; dev: string; commands: string[] }> {
    const key = await spiceTest<string>(page, 'addFakeMassStorage', options);
    const since = (await qemu.serialLog()).length;
    const started = Date.now();
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });

    const disk = await qemu.waitForSerial(/^MSC DISK (\S+) (\d+)/m, 60_000, since);
    const dev = disk[1]!;
    expect(Number(disk[2])).toBe(FAKE_MSC_BLOCKS);
    const seen = (Date.now() - started) / 1000;
    const read = await qemu.waitForSerial(/^MSC READ (\d+) ([0-9a-f]{32}) ([\d.]+)s/m, 60_000, since);
    expect(read.slice(1, 3)).toEqual([String(READ_BLOCKS), md5Hex(pattern(READ_BLOCKS))]);
    const readSeconds = Number(read[3]);
    const wrote = await qemu.waitForSerial(/^MSC WROTE (\d+) ([0-9a-f]{32})/m, 60_000, since);
    const all = new Uint8Array(WRITTEN_BLOCKS * 512);
    for (let n = 0; n < WRITTEN_BLOCKS; n++) all.set(WRITTEN, n * 512);
    expect(wrote.slice(1)).toEqual([String(READ_BLOCKS), md5Hex(all)]);
    await qemu.waitForSerial(new RegExp(`^MSC DONE ${dev}\\b`, 'm'), 30_000, since);
    const done = (Date.now() - started) / 1000;

    // The written blocks are in the fake's memory byte for byte, and nothing else changed.
    const fake = await spiceTest<any>(page, 'fakeMassStorage', key);
    expect(fake.changed).toEqual(Array.from({ length: WRITTEN_BLOCKS }, (_, n) => ({ block: READ_BLOCKS + n, hex: hex(WRITTEN) })));
    // One O_DIRECT 64 KiB write: one WRITE(10) of 128 blocks, a data-out stage of many packets.
    expect(fake.writes).toContainEqual({ lba: READ_BLOCKS, blocks: WRITTEN_BLOCKS });
    // The guest's 64 KiB reads reached the drive as READ(10)s of 128 blocks: data stages of many packets.
    expect(fake.reads.filter((r: any) => r.blocks === 128).length).toBeGreaterThanOrEqual(READ_BLOCKS / 128);
    // The kernel's own probing: INQUIRY, READ CAPACITY(10), READ(10), WRITE(10) at least.
    expect(fake.commands).toEqual(expect.arrayContaining(['0x12', '0x25', '0x28', '0x2a']));

    const listing = await waitForUsbListing(qemu, 'the drive in the listing', (l) => drives(l).length === 1, 30_000, since);
    expect(drives(listing)[0]).toMatchObject({ speed, product: 'Fake Flash Drive' });
    // No error recovery was needed: the host never reset the drive's Bulk-Only state.
    expect(fake.bulkOnlyResets).toBe(0);
    console.info(
      `USB storage e2e (${speed} Mb/s${options.refuse ? `, refusing ${options.refuse.map((o) => o.toString(16)).join(' ')}` : ''}): disk ${dev} ${seen.toFixed(1)} s after redirect, ` +
        `${READ_BLOCKS / 2} KiB read in ${readSeconds.toFixed(2)} s (guest clock) (${((READ_BLOCKS * 512) / readSeconds / 1e6).toFixed(2)} MB/s), test done at ${done.toFixed(1)} s; ` +
        `SCSI opcodes seen: ${[...new Set(fake.commands)].join(' ')}`,
    );
    return { key, dev, commands: fake.commands };
  }

  async function releaseAndCheck(key: string, dev: string): Promise<void> {
    const since = (await qemu.serialLog()).length;
    expect(await spiceTest(page, 'releaseUsb', key)).toEqual({ ok: true });
    await qemu.waitForSerial(new RegExp(`^MSC GONE ${dev}\\b`, 'm'), 30_000, since);
    await waitForUsbListing(qemu, 'the drive gone from the listing', (l) => drives(l).length === 0, 30_000, since);
    expect((await spiceTest<any>(page, 'fakeMassStorage', key)).opened).toBe(false);
  }

  it('should give the guest a high-speed drive it reads and writes byte for byte, and take it away on release', async () => {
    // usb-storage, sd_mod and their dependencies all loaded at boot.
    expect(await qemu.serialLog()).not.toMatch(/MODULE-FAIL/);
    const { key, dev } = await redirectAndCheck({ highSpeed: true, serialNumber: 'MSC-HS-1' }, '480');
    await releaseAndCheck(key, dev);
  });

  it('should do the same with a full-speed drive (UHCI, 64-byte packets)', async () => {
    const { key, dev } = await redirectAndCheck({ highSpeed: false, serialNumber: 'MSC-FS-1' }, '12');
    await releaseAndCheck(key, dev);
  });

  it('should recover from a command the drive refuses: the stalled data stage, the CSW and the sense data reach the guest', async () => {
    // MODE SENSE(6) owes data: refused, the drive stalls bulk IN; the guest clears the halt (through our host's
    // clearHalt), reads the CSW (CHECK CONDITION), asks REQUEST SENSE, and goes on with its defaults.
    const { key, dev, commands } = await redirectAndCheck({ highSpeed: true, serialNumber: 'MSC-HS-2', refuse: [0x1a] }, '480');
    const i = commands.indexOf('0x1a');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(commands[i + 1]).toBe('0x03');
    await releaseAndCheck(key, dev);
  });
});

describe('USB flash drives that fail mid-read, in a guest with one usb-redir slot and a SCSI timeout of 5 s', () => {
  let qemu: Qemu;
  let page: Page;
  beforeAll(async () => {
    qemu = await startQemu({ usbredirSlots: 1, waitForGuest: true, append: `msctest=${READ_BLOCKS} msctimeout=5` });
    page = await openConsolePage(env.browser, env.origin);
    await spiceTest(page, 'connect', qemu.url);
    await waitFor(async () => ((await spiceTest<any>(page, 'usbStatus'))?.available ? true : null), 'USB available', 60_000, 100);
  });
  // ...and wait for the guest's test of that drive to end (its MSC READ/WROTE/DONE lines name no drive or
  // the same sda) and the disk to go, so none of its lines lands after the next test's cursor.
  afterEach(async () => {
    await releaseRedirected(page);
    await waitForGuestUsbIdle(qemu);
  });
  afterAll(async () => {
    await page?.close();
    await qemu?.stop();
  });

  it("should let the guest's error recovery (cancel, USB reset, retry) bring it back, the data intact", async () => {
    // The drive never answers the READ(10) that covers block 1024 (inside the guest's 1 MiB read): the guest
    // times out and cancels the data stage (WebUSB cannot: UsbHost answers the cancel, the transfer stays in
    // flight), then usb-storage resets the port (a usbredir reset: UsbHost ends the pending transfers and
    // resets the device), the guest re-reads the descriptors and retries the read.
    const key = await spiceTest<string>(page, 'addFakeMassStorage', { highSpeed: true, serialNumber: 'MSC-HANG', hangReadAt: 1024 });
    const since = (await qemu.serialLog()).length;
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    const disk = await qemu.waitForSerial(/^MSC DISK (\S+) (\d+)/m, 60_000, since);
    // USB resets of the enumeration, before the wedged read times out (5 s from now at the earliest).
    const enumerationResets = (await spiceTest<any>(page, 'fakeMassStorage', key)).resets;
    const read = await qemu.waitForSerial(/^MSC READ (\d+) ([0-9a-f]{32}) ([\d.]+)s/m, 90_000, since);
    const wrote = await qemu.waitForSerial(/^MSC WROTE (\d+) ([0-9a-f]{32})/m, 60_000, since);
    const fake = await spiceTest<any>(page, 'fakeMassStorage', key);
    console.info(
      `USB storage e2e, wedged read: read took ${read[3]} s (guest clock); hung ${fake.hungCommands}, Bulk-Only resets ${fake.bulkOnlyResets}, ` +
        `USB resets ${enumerationResets} at enumeration, ${fake.resets} in all`,
    );
    expect(fake.hungCommands).toBe(1);
    // Linux's usb-storage recovers with a port reset first (a Bulk-Only reset only if that fails).
    expect(fake.resets + fake.bulkOnlyResets).toBeGreaterThan(enumerationResets);
    expect(Number(read[3])).toBeGreaterThanOrEqual(5); // the read did wait for the timeout
    expect(read.slice(1, 3)).toEqual([String(READ_BLOCKS), md5Hex(pattern(READ_BLOCKS))]);
    const all = new Uint8Array(WRITTEN_BLOCKS * 512);
    for (let n = 0; n < WRITTEN_BLOCKS; n++) all.set(WRITTEN, n * 512);
    expect(wrote.slice(1)).toEqual([String(READ_BLOCKS), md5Hex(all)]);
    expect(fake.changed.map((c: any) => c.block)).toEqual(Array.from({ length: WRITTEN_BLOCKS }, (_, n) => READ_BLOCKS + n));
    await qemu.waitForSerial(new RegExp(`^MSC DONE ${disk[1]}\\b`, 'm'), 30_000, since);
    expect(await spiceTest(page, 'releaseUsb', key)).toEqual({ ok: true });
    await qemu.waitForSerial(new RegExp(`^MSC GONE ${disk[1]}\\b`, 'm'), 30_000, since);
  });

  it('should lose a drive pulled out in the middle of a read, and take a new drive on the re-linked channel', async () => {
    const key = await spiceTest<string>(page, 'addFakeMassStorage', { highSpeed: true, serialNumber: 'MSC-UNPLUG', unplugAtRead: 1024 });
    let since = (await qemu.serialLog()).length;
    expect(await spiceTest(page, 'redirectUsb', key)).toEqual({ ok: true });
    const disk = await qemu.waitForSerial(/^MSC DISK (\S+) (\d+)/m, 60_000, since);
    await qemu.waitForSerial(new RegExp(`^MSC GONE ${disk[1]}\\b`, 'm'), 30_000, since);
    await waitFor(
      async () => ((await spiceTest<any>(page, 'usbStatus')).devices.find((d: any) => d.key === key)?.state === 'lost' ? true : null),
      'the drive reported lost',
      15_000,
      100,
    );
    await waitFor(async () => ((await spiceTest<any>(page, 'usbStatus')).channels.free === 1 ? true : null), 'the channel free again', 15_000, 100);
    // The guest got no data the drive did not send: its read ended short of the 1 MiB.
    const read = await qemu.waitForSerial(/^MSC READ (\d+) ([0-9a-f]{32})/m, 30_000, since);
    expect(read[2]).not.toBe(md5Hex(pattern(READ_BLOCKS)));
    // Its test script goes on (a write to the missing disk) to its DONE line: wait for it, so that line is not
    // taken for the next drive's (both are likely sda).
    await qemu.waitForSerial(new RegExp(`^MSC DONE ${disk[1]}\\b`, 'm'), 30_000, since);

    since = (await qemu.serialLog()).length;
    const second = await spiceTest<string>(page, 'addFakeMassStorage', { highSpeed: true, serialNumber: 'MSC-AFTER' });
    expect(await spiceTest(page, 'redirectUsb', second)).toEqual({ ok: true });
    const disk2 = await qemu.waitForSerial(/^MSC DISK (\S+) (\d+)/m, 60_000, since);
    expect(Number(disk2[2])).toBe(FAKE_MSC_BLOCKS);
    const read2 = await qemu.waitForSerial(/^MSC READ (\d+) ([0-9a-f]{32})/m, 60_000, since);
    expect(read2[2]).toBe(md5Hex(pattern(READ_BLOCKS)));
    const wrote2 = await qemu.waitForSerial(/^MSC WROTE (\d+) ([0-9a-f]{32})/m, 60_000, since);
    expect(wrote2[1]).toBe(String(READ_BLOCKS));
    await qemu.waitForSerial(new RegExp(`^MSC DONE ${disk2[1]}\\b`, 'm'), 60_000, since);
    expect((await spiceTest<any>(page, 'fakeMassStorage', second)).changed).toHaveLength(WRITTEN_BLOCKS);
    expect(await spiceTest(page, 'releaseUsb', second)).toEqual({ ok: true });
    await qemu.waitForSerial(new RegExp(`^MSC GONE ${disk2[1]}\\b`, 'm'), 30_000, since);
  });
});
