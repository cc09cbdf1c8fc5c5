/**
 * What QEMU's usb-redir needs to take a second device on the same slot after the first was released,
 * checked against QEMU with the Linux test guest over a plain TCP chardev (a spicevmc channel behaves the
 * same: linking it opens the chardev, closing it closes the chardev).
 *
 * QEMU keeps one usbredirparser per chardev connection. It answers our hello once; a second hello on the
 * same connection is ignored ("Received second hello message, ignoring" in usbredirparser.c), so a new
 * UsbHost, which needs the guest's hello to know ids and field sizes, never gets to device_connect. Closing
 * and reopening the connection makes QEMU destroy the parser and create a fresh one that sends its hello
 * again, and the second device attaches. That is why the usbredir channel re-links after every device.
 * Skipped when QEMU or the guest build is not available.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QEMU, connect, freePort, killQemu, testGuest, usbredirVmArgs } from './qemu-chardev.js';
import { UsbHost } from '../../../src/usb/host/index.js';
import { lastUsbListing } from '../../servers/guest.js';
import { FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${debugTail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Wires a host to a socket: bytes both ways. */
function attach(socket: Socket, device: FakeCdcAcmDevice): UsbHost {
  const host = new UsbHost(device, { send: (b) => socket.write(b) });
  socket.on('data', (chunk: Buffer) => host.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  return host;
}

let qemu: ChildProcess | undefined;
/** The serial console and QEMU's stderr, for a failure message. */
let debugTail = () => '';
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await killQemu(qemu);
  qemu = undefined;
});

describe('a second device on one usb-redir slot', () => {
  const guest = testGuest();

  it.skipIf(!guest)(
    'should need a fresh chardev connection: QEMU ignores a second hello, a reconnect attaches',
    async () => {
      const port = await freePort();
      let serial = '';
      let stderr = '';
      qemu = spawn(QEMU, usbredirVmArgs({ port, guest: guest! }), { stdio: ['ignore', 'pipe', 'pipe'] });
      qemu.stdout!.on('data', (d: Buffer) => (serial += d.toString('latin1')));
      qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
      debugTail = () => serial.slice(-1500) + '\n--- stderr\n' + stderr.slice(-1500);
      const listed = (product: string) =>
        lastUsbListing(serial).some((d) => d.vendorId === 0x2341 && d.productId === 0x0043 && d.speed === '12' && d.product === product);
      const since = () => serial.length;

      // First device: attaches.
      const s1 = await connect(port, Date.now() + 15_000);
      sockets.push(s1);
      const first = attach(s1, new FakeCdcAcmDevice({ productName: 'First' }));
      await first.start();
      await until('the first device in the guest', () => listed('First'), 60_000);

      // Released: device_disconnect, which QEMU acknowledges (what a closing channel waits for), and the guest
      // loses it.
      await first.release();
      let acked = false;
      void first.disconnectAcked.then(() => (acked = true));
      await until("QEMU's device_disconnect_ack", () => acked, 10_000);
      expect(first.awaitingDisconnectAck).toBe(false);
      s1.removeAllListeners('data');
      const mark = since();
      await until('the first device to leave the guest', () => /USBTICK/.test(serial.slice(mark)) && !listed('First'), 20_000);

      // Same connection, a new host: its hello is ignored, no guest hello comes back, nothing attaches.
      const second = attach(s1, new FakeCdcAcmDevice({ productName: 'Second' }));
      await second.start();
      const mark2 = since();
      await until('three listing rounds', () => (serial.slice(mark2).match(/USBTICK/g) ?? []).length >= 3, 20_000);
      expect(second.state).toBe('connecting');
      expect(second.peerVersion).toBeUndefined();
      expect(listed('Second')).toBe(false);
      await second.release('test over', { silent: true });
      s1.destroy();

      // A new connection: QEMU makes a new parser, says hello again, and the device attaches.
      const s2 = await connect(port, Date.now() + 15_000);
      sockets.push(s2);
      const third = attach(s2, new FakeCdcAcmDevice({ productName: 'Third' }));
      await third.start();
      await until('the device on the new connection', () => listed('Third'), 30_000);
      expect(third.state).toBe('connected');
      expect(third.peerVersion).toMatch(/^qemu usb-redir guest/);
      await third.release();
    },
    150_000,
  );
});
