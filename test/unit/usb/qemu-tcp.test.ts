/**
 * UsbHost against a real QEMU usb-redir device over a plain TCP chardev (no SPICE in between), on the
 * EHCI + UHCI companion layout of an oVirt VM. No guest kernel: the VM's firmware (SeaBIOS) enumerates the
 * device on the bus during POST, which is enough to see QEMU's hello and filter, the resets, the
 * GET_DESCRIPTORs and the address/configuration steps go through our host and the fake device.
 * Skipped when qemu-system-x86_64 is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QEMU, connect, freePort, haveQemu, killQemu, testGuest, usbredirVmArgs } from './qemu-chardev.js';
import { UsbHost, type UsbHostEvent } from '../../../src/usb/host/index.js';
import { capsWords, UsbredirStream, type UsbredirPacket } from '../../../src/usb/usbredir/index.js';
import { UsbredirType } from '../../../src/usb/usbredir/index.js';
import { USB_HOST_CAPS } from '../../../src/usb/host/index.js';
import { FAKE_CDC_DEVICE_DESCRIPTOR, FakeCdcAcmDevice, fakeCdcTransform } from '../../fakes/usb/cdc-acm-device.js';

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let qemu: ChildProcess | undefined;
let socket: Socket | undefined;

afterEach(async () => {
  socket?.destroy();
  socket = undefined;
  await killQemu(qemu);
  qemu = undefined;
});

describe.skipIf(!haveQemu)('UsbHost with QEMU usb-redir over TCP', () => {
  it('should be enumerated by the VM firmware through a real usb-redir device', async () => {
    const port = await freePort();
    let stderr = '';
    // -S: the VM stays stopped (and usb-redir silent) until "cont" on the monitor, so the device is on the
    // bus before the firmware scans it.
    qemu = spawn(QEMU, usbredirVmArgs({ port, stopped: true, filter: '0x08:-1:-1:-1:0|-1:-1:-1:-1:1' }), { stdio: ['pipe', 'ignore', 'pipe'] });
    qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    socket = await connect(port, Date.now() + 15_000);

    // A second parser on the same bytes shows what QEMU sent.
    const tap = new UsbredirStream({ role: 'host', caps: capsWords(USB_HOST_CAPS) });
    const fromQemu: UsbredirPacket[] = [];
    const events: UsbHostEvent[] = [];
    // And one in the guest's role shows what we sent.
    const ourTap = new UsbredirStream({ role: 'guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) });
    const toQemu: UsbredirPacket[] = [];
    const device = new FakeCdcAcmDevice();
    const s = socket;
    const send = (b: Uint8Array) => {
      toQemu.push(...ourTap.push(b));
      s.write(b);
    };
    const host = new UsbHost(device, { send }, { onEvent: (e) => events.push(e) });
    s.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      fromQemu.push(...tap.push(bytes));
      host.receive(bytes);
    });
    await host.start();
    qemu.stdin!.write('cont\n');

    await until('the device to be connected', () => host.state === 'connected', 15_000);
    expect(host.peerVersion).toMatch(/^qemu usb-redir guest /);
    // QEMU sends its filter when it reads our hello, which may be after its own hello reached us.
    await until('the filter', () => host.guestFilter !== undefined, 15_000);
    expect(host.guestFilter).toEqual([
      { deviceClass: 8, vendorId: -1, productId: -1, deviceVersionBcd: -1, allow: false },
      { deviceClass: -1, vendorId: -1, productId: -1, deviceVersionBcd: -1, allow: true },
    ]);
    expect(fromQemu[0]!.type).toBe(UsbredirType.Hello);

    // The firmware resets the port and reads the device descriptor, then the configuration.
    await until('GET_DESCRIPTOR(configuration)', () => fromQemu.some((p) => p.type === UsbredirType.ControlPacket && p.request === 6 && p.value >> 8 === 2), 30_000);
    const types = fromQemu.map((p) => p.type);
    expect(types).toContain(UsbredirType.Reset);
    const firstReset = types.indexOf(UsbredirType.Reset);
    const firstControl = types.indexOf(UsbredirType.ControlPacket);
    expect(firstReset).toBeLessThan(firstControl);
    expect(toQemu.map((p) => p.type).slice(0, 4)).toEqual([UsbredirType.Hello, UsbredirType.InterfaceInfo, UsbredirType.EpInfo, UsbredirType.DeviceConnect]);
    expect(toQemu[3]).toMatchObject({ speed: 1, deviceClass: 2, vendorId: 0x2341, productId: 0x0043, deviceVersionBcd: 1 });
    await until('the configuration descriptor reply', () => toQemu.some((p) => p.type === UsbredirType.ControlPacket && p.value === 0x200 && p.length === 67), 10_000);
    const replies = toQemu.filter((p) => p.type === UsbredirType.ControlPacket);
    for (const r of replies) expect(r).toMatchObject({ status: 0 });
    const deviceDescriptor = replies.find((p) => p.type === UsbredirType.ControlPacket && p.value === 0x100);
    expect(Array.from((deviceDescriptor as { data: Uint8Array }).data)).toEqual(
      Array.from(FAKE_CDC_DEVICE_DESCRIPTOR.subarray(0, (deviceDescriptor as { length: number }).length)),
    );
    const guestAsked = device.calls.slice(device.calls.indexOf('reset()'));
    expect(guestAsked).toContain('controlTransferIn(standard, device, 0x6, 0x200, 0, 67)');
    expect(host.state).toBe('connected');
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    expect(stderr).not.toMatch(/usb-redir error/);

    await host.release();
    expect(device.opened).toBe(false);
  }, 60_000);

  it('should be refused by a QEMU filter that blocks its class', async () => {
    const port = await freePort();
    qemu = spawn(QEMU, usbredirVmArgs({ port, filter: '0x02:-1:-1:-1:0|-1:-1:-1:-1:1' }), { stdio: ['ignore', 'ignore', 'ignore'] });
    socket = await connect(port, Date.now() + 15_000);
    const device = new FakeCdcAcmDevice();
    const s = socket;
    const host = new UsbHost(device, { send: (b) => s.write(b) });
    s.on('data', (chunk: Buffer) => host.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    await host.start();
    await until('a refusal', () => host.state === 'refused', 15_000);
    expect(host.reason).toMatch(/filter/);
    await until('the device to be closed', () => !device.opened, 5_000);
  }, 60_000);
});

describe('UsbHost with QEMU usb-redir and a Linux guest', () => {
  const guest = process.env.USB_QEMU_LINUX === '0' ? undefined : testGuest();

  it.skipIf(!guest)(
    'should carry a CDC-ACM loopback through the guest kernel byte for byte',
    async () => {
      const port = await freePort();
      let serial = '';
      const count = 700; // more than a few 64-byte packets and 256-byte pattern rounds
      qemu = spawn(QEMU, usbredirVmArgs({ port, guest: guest!, append: `acmtest=${count}` }), { stdio: ['ignore', 'pipe', 'ignore'] });
      qemu.stdout!.on('data', (d: Buffer) => (serial += d.toString('latin1')));
      socket = await connect(port, Date.now() + 15_000);
      const events: UsbHostEvent[] = [];
      const device = new FakeCdcAcmDevice();
      const s = socket;
      // Both directions, parsed: every guest request must get exactly one answer.
      const fromGuest = new UsbredirStream({ role: 'host', caps: capsWords(USB_HOST_CAPS) });
      const fromHost = new UsbredirStream({ role: 'guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) });
      const outstanding = new Map<string, number>();
      const problems: string[] = [];
      let cancels = 0;
      const key = (p: UsbredirPacket) => `${p.type}:${p.id}`;
      const isRequest = (p: UsbredirPacket) =>
        p.type === UsbredirType.ControlPacket || p.type === UsbredirType.BulkPacket || (p.type === UsbredirType.InterruptPacket && !(p.endpoint & 0x80));
      const send = (b: Uint8Array) => {
        for (const p of fromHost.push(b)) {
          if (!isRequest(p)) continue;
          const n = outstanding.get(key(p)) ?? 0;
          if (n < 1) problems.push(`unrequested answer ${key(p)}`);
          outstanding.set(key(p), n - 1);
        }
        s.write(b);
      };
      const host = new UsbHost(device, { send }, { onEvent: (e) => events.push(e) });
      s.on('data', (chunk: Buffer) => {
        const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        for (const p of fromGuest.push(bytes)) {
          if (p.type === UsbredirType.CancelDataPacket) cancels++;
          if (isRequest(p)) outstanding.set(key(p), (outstanding.get(key(p)) ?? 0) + 1);
        }
        host.receive(bytes);
      });
      await host.start();

      await until('the ACM result', () => /ACM RESULT \d+ [0-9a-f]+/.test(serial), 90_000);
      await until('the tty to close', () => /ACM DONE/.test(serial), 30_000);
      await until('the reads pending at close to be cancelled', () => cancels > 0, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      const pattern = Uint8Array.from({ length: count }, (_, i) => i & 0xff);
      expect(serial).toMatch(/USBDEV \S+ 2341:0043 speed=12 product=Fake Arduino Uno/);
      const sent = /ACM SENT (\d+) ([0-9a-f]+)/.exec(serial)!;
      expect(sent[2]).toBe(createHash('md5').update(pattern).digest('hex'));
      const result = /ACM RESULT (\d+) ([0-9a-f]+)/.exec(serial)!;
      expect(Number(result[1])).toBe(count);
      expect(result[2]).toBe(createHash('md5').update(fakeCdcTransform(pattern)).digest('hex'));
      expect(Array.from(device.written)).toEqual(Array.from(pattern));
      expect(device.lineCoding.length).toBe(7);
      expect(host.state).toBe('connected');
      expect(events.filter((e) => e.type === 'warning')).toEqual([]);
      expect(problems).toEqual([]);
      const stillOpen = [...outstanding].filter(([, n]) => n !== 0);
      // Only the reads issued after the close (the guest keeps none) may be open; none was answered twice.
      expect(stillOpen.every(([, n]) => n > 0)).toBe(true);
      await host.release();
      expect([...outstanding].filter(([, n]) => n !== 0)).toEqual([]);
    },
    150_000,
  );
});
