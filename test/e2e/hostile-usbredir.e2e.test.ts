/**
 * A hostile usbredir guest, end to end: the hostile SPICE server (test/servers/hostile-server.ts) offers one
 * usbredir channel and plays the VM's side of the usbredir protocol (hello, then the first descriptor read,
 * as QEMU does), the page redirects a fake CDC-ACM device to it, and then the server sends packets that no
 * usb-redir device would: a header length of 2 GiB, a packet shorter than its type's header, an unknown
 * packet type, bulk data sent towards an IN endpoint, a bulk request far beyond the protocol's largest
 * transfer. Each time the device is given back (nothing stays open or claimed on the fake, no transfer
 * pending), the session stays connected, the channel is linked again for the next device, the page stays
 * responsive and its heap bounded. A cancel for a request id that was never sent is harmless: the device stays
 * redirected and the next request is answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from '../servers/index.js';
import { startHostileServer, type HostileChannel, type HostileServer } from '../servers/hostile-server.js';
import { ChannelType, SpicevmcMsg, SpicevmcMsgc } from '../../src/protocol/constants.js';
import { Writer } from '../../src/protocol/writer.js';
import { capsWords, UsbredirStream, UsbredirType as T, type UsbredirPacket } from '../../src/usb/usbredir/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { expectResponsive, heapUsage, startTicker } from './support/health.js';

const env = useConsoleBrowser();

let server: HostileServer | undefined;
let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
  await server?.close();
  server = undefined;
});

/** The VM's side of one usbredir link: what the host sent, and a way to send packets or raw bytes. */
interface Guest {
  channel: HostileChannel;
  received: UsbredirPacket[];
  send(p: UsbredirPacket): void;
  raw(bytes: Uint8Array): void;
}

/** A usbredir header (32-bit ids: the hostile guest announces no 64bits_ids) followed by `body`. */
const header = (type: number, length: number, id: number, body: Uint8Array = new Uint8Array()) => new Writer().u32(type).u32(length).u32(id).bytes(body).finish();

/** Starts the server with one usbredir channel and a guest on every usbredir link; opens the page and connects. */
async function session(): Promise<{ p: Page; guests: Guest[] }> {
  const guests: Guest[] = [];
  server = await startHostileServer({
    channels: [[ChannelType.Usbredir, 0]],
    linked(channel) {
      if (channel.type !== ChannelType.Usbredir) return;
      const stream = new UsbredirStream({ role: 'guest', caps: capsWords([0, 1, 3]) });
      const guest: Guest = {
        channel,
        received: [],
        send: (p) => void channel.send(SpicevmcMsg.Data, stream.encode(p)),
        raw: (bytes) => void channel.send(SpicevmcMsg.Data, bytes),
      };
      channel.onMessage((m) => {
        if (m.type !== SpicevmcMsgc.Data) return;
        for (const p of stream.push(m.body)) {
          guest.received.push(p);
          // As QEMU's usb-redir: the device is taken at once, with a read of its device descriptor.
          if (p.type === T.DeviceConnect) {
            guest.send({
              type: T.ControlPacket,
              id: 1n,
              endpoint: 0x80,
              request: 6,
              requestType: 0x80,
              status: 0,
              value: 0x100,
              index: 0,
              length: 18,
              data: new Uint8Array(),
            });
          }
        }
      });
      guest.send({ type: T.Hello, id: 0n, version: 'hostile usb-redir guest', caps: capsWords([0, 1, 3]) });
      guests.push(guest);
    },
  });
  page = await openConsolePage(env.browser, env.origin);
  await startTicker(page);
  await page.evaluate((url) => (window as any).spiceTest.connect(url), server.url);
  await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected').length > 0, null, { timeout: 30_000 });
  await waitFor(async () => (await page!.evaluate(() => (window as any).spiceTest.usbStatus()))?.available || null, 'USB available', 20_000, 100);
  return { p: page, guests };
}

const spiceTest = <R>(p: Page, fn: string, ...args: unknown[]): Promise<R> =>
  p.evaluate(([f, a]) => (window as any).spiceTest[f as string](...(a as unknown[])), [fn, args] as const) as Promise<R>;

/** Redirects a new fake device and waits until the guest has it and its descriptor was answered. */
async function redirected(p: Page, guest: () => Guest | undefined): Promise<string> {
  const key = await spiceTest<string>(p, 'addFakeUsbDevice', { highSpeed: true });
  expect(await spiceTest(p, 'redirectUsb', key)).toEqual({ ok: true });
  await waitFor(() => guest()?.received.some((r) => r.type === T.ControlPacket && r.id === 1n) || null, 'the descriptor read answered', 10_000, 50);
  return key;
}

const hostile: { name: string; bytes: () => Uint8Array }[] = [
  // A header claiming 2 GiB of body: refused from the header alone, nothing allocated.
  { name: 'a header length of 2 GiB', bytes: () => header(T.BulkPacket, 0x7fffffff, 7) },
  // control_packet's own header is 10 bytes; this one says its whole packet is 4.
  { name: 'a packet shorter than its type header', bytes: () => header(T.ControlPacket, 4, 7, new Uint8Array(4)) },
  { name: 'an unknown packet type', bytes: () => header(0xdead, 8, 7, new Uint8Array(8)) },
  // bulk_packet to an IN endpoint carrying data: only the host sends IN data.
  {
    name: 'bulk data sent towards an IN endpoint',
    bytes: () => header(T.BulkPacket, 8 + 64, 7, new Writer().u8(0x81).u8(0).u16(64).u32(0).bytes(new Uint8Array(64)).finish()),
  },
];

describe('a hostile usbredir guest', () => {
  for (const c of hostile) {
    it(`should give the device back on ${c.name}, keep the session, and link the channel again`, async () => {
      const { p, guests } = await session();
      const before = await heapUsage(env.browser, p);
      const key = await redirected(p, () => guests[0]);
      guests[0]!.raw(c.bytes());

      // The device is given back and nothing stays open or claimed on it.
      await waitFor(
        async () => {
          const fake = await spiceTest<any>(p, 'fakeUsbDevice', key);
          return (!fake.opened && fake.claimed.length === 0 && fake.pendingTransfers === 0) || null;
        },
        'the fake device closed',
        10_000,
        100,
      );
      const status = await spiceTest<any>(p, 'usbStatus');
      expect(status.devices.find((d: any) => d.key === key)?.state).not.toMatch(/^redirect/);
      // The session goes on, and the channel is linked again: a second device can be redirected on it.
      expect(await spiceTest(p, 'state')).toBe('connected');
      expect(await p.evaluate(() => (window as any).spiceTest.named('spice-disconnected').length)).toBe(0);
      await waitFor(() => guests.length >= 2 || null, 'the usbredir channel linked again', 10_000, 50);
      const second = await redirected(p, () => guests[1]);
      expect(second).not.toBe(key);
      await expectResponsive(p);
      const after = await heapUsage(env.browser, p);
      expect(after.page - before.page).toBeLessThan(32 * 1024 * 1024);
      expect(Math.max(...after.workers) - Math.max(...before.workers)).toBeLessThan(32 * 1024 * 1024);
      await spiceTest(p, 'disconnect');
      await waitFor(async () => p.workers().length === 0, 'the engine worker to terminate', 10_000);
    }, 60_000);
  }

  it('should ignore a cancel for a request it never received and answer the next request', async () => {
    const { p, guests } = await session();
    const key = await redirected(p, () => guests[0]);
    const guest = guests[0]!;
    guest.send({ type: T.CancelDataPacket, id: 4242n });
    guest.send({ type: T.ControlPacket, id: 2n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x200, index: 0, length: 9, data: new Uint8Array() });
    await waitFor(() => guest.received.some((r) => r.type === T.ControlPacket && r.id === 2n) || null, 'the second request answered', 10_000, 50);
    const answer = guest.received.find((r) => r.type === T.ControlPacket && r.id === 2n) as Extract<UsbredirPacket, { type: typeof T.ControlPacket }>;
    expect(answer.status).toBe(0);
    expect(answer.data.byteLength).toBe(9);
    expect((await spiceTest<any>(p, 'usbStatus')).devices.find((d: any) => d.key === key)?.state).toBe('redirected');
    expect(guests).toHaveLength(1);
    await spiceTest(p, 'disconnect');
  }, 60_000);
});
