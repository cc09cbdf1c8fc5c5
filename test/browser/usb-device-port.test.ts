/**
 * The page-side device proxy in Chromium: a USB device object on the page (FakeCdcAcmDevice standing in
 * for a WebUSB USBDevice) served on a MessagePort (openUsbDevicePort), and the worker-side
 * `UsbDeviceLike` over it (PageUsbDevice) — description, state, calls, transfer data, errors by name,
 * unplug, and a UsbHost serving the device through it to a scripted usbredir guest.
 */
import { openUsbDevicePort } from '../../src/controllers/usb-device-port.js';
import { PageUsbDevice } from '../../src/engine/usb-device-proxy.js';
import { UsbHost } from '../../src/usb/host/index.js';
import { capsWords, UsbredirStream, type UsbredirPacket } from '../../src/usb/usbredir/index.js';
import { UsbredirType } from '../../src/usb/usbredir/index.js';
import { resultBytes } from '../../src/usb/webusb-types.js';
import { FAKE_CDC_DEVICE_DESCRIPTOR, fakeCdcTransform, FakeCdcAcmDevice } from '../fakes/usb/cdc-acm-device.js';
import { assert, assertEqual } from './assert.js';

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function served(device = new FakeCdcAcmDevice()) {
  const handle = openUsbDevicePort(device);
  const proxy = await PageUsbDevice.connect(handle.port);
  return { device, handle, proxy };
}

const setup = { requestType: 'standard', recipient: 'device', request: 6, value: 0x100, index: 0 } as const;

describe('USB device port', () => {
  it('should describe the device and follow its state through calls', async () => {
    const { proxy, handle } = await served();
    assertEqual([proxy.vendorId, proxy.productId, proxy.productName, proxy.serialNumber], [0x2341, 0x43, 'Fake Arduino Uno', 'SC0001'], 'ids');
    assertEqual(
      proxy.configurations[0]!.interfaces.map((i) => i.alternate.interfaceClass),
      [0x02, 0x0a],
      'interface classes',
    );
    assertEqual(proxy.configuration?.configurationValue, 1, 'active configuration');
    assertEqual(proxy.opened, false, 'closed at first');
    await proxy.open();
    assertEqual(proxy.opened, true, 'opened');
    await proxy.claimInterface(1);
    assertEqual(
      proxy.configuration!.interfaces.map((i) => i.claimed),
      [false, true],
      'claimed interfaces',
    );
    await proxy.releaseInterface(1);
    assertEqual(proxy.configuration!.interfaces[1]!.claimed, false, 'released');
    await proxy.close();
    assertEqual(proxy.opened, false, 'closed again');
    proxy.dispose();
    await handle.dispose();
  });

  it('should carry transfer data both ways and failures by their DOMException name', async () => {
    const { proxy, device, handle } = await served();
    await proxy.open();
    const desc = await proxy.controlTransferIn(setup, 18);
    assertEqual(Array.from(resultBytes(desc.data)), Array.from(FAKE_CDC_DEVICE_DESCRIPTOR), 'device descriptor');
    let error: Error | undefined;
    try {
      await proxy.transferIn(2, 64);
    } catch (e) {
      error = e as Error;
    }
    assertEqual(error?.name, 'NotFoundError', 'endpoint outside a claimed interface');
    assert(proxy.opened, 'still opened after an ordinary NotFoundError');
    await proxy.claimInterface(1);
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const out = await proxy.transferOut(2, data.slice());
    assertEqual([out.status, out.bytesWritten], ['ok', 3000], 'written');
    let back: number[] = [];
    while (back.length < 3000) back = back.concat(Array.from(resultBytes((await proxy.transferIn(2, 4096)).data)));
    assertEqual(back, Array.from(fakeCdcTransform(data)), 'echoed, transformed');
    assertEqual(device.writtenCount, 3000, 'the page device got the bytes');

    // Unplugged: pending and later calls fail like a vanished device, and the port says so.
    const watched = proxy.watch();
    const pending = proxy.transferIn(2, 64).catch((e: Error) => e);
    device.unplug();
    handle.unplugged();
    assertEqual(await watched, 'unplugged', 'watch');
    const failed = (await pending) as Error;
    assertEqual(failed.name, 'NotFoundError', 'pending transfer');
    assert(/disconnected/.test(failed.message), failed.message);
    assertEqual(proxy.opened, false, 'not opened any more');
    proxy.dispose();
    await handle.dispose();
  });

  it('should close the device on the page when the engine lets go of the port', async () => {
    const { proxy, device, handle } = await served();
    await proxy.open();
    assert(device.opened, 'opened on the page');
    const watched = proxy.watch();
    proxy.dispose();
    await until('the page to close the device', () => !device.opened);
    let error: Error | undefined;
    try {
      await proxy.open();
    } catch (e) {
      error = e as Error;
    }
    assertEqual(error?.name, 'NotFoundError', 'calls after dispose');
    await handle.dispose();
    void watched;
  });

  it('should let a UsbHost serve the page device to a usbredir guest, enumeration and bulk data intact', async () => {
    const { proxy, device, handle } = await served();
    const guest = new UsbredirStream({ role: 'guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) });
    const fromHost: UsbredirPacket[] = [];
    const host = new UsbHost(proxy, { send: (b) => fromHost.push(...guest.push(b)) });
    const send = (p: UsbredirPacket) => host.receive(guest.encode(p));
    await host.start();
    send({ type: UsbredirType.Hello, id: 0n, version: 'test guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) });
    await until('device_connect', () => fromHost.some((p) => p.type === UsbredirType.DeviceConnect));
    assertEqual(
      fromHost.map((p) => p.type).slice(0, 4),
      [UsbredirType.Hello, UsbredirType.InterfaceInfo, UsbredirType.EpInfo, UsbredirType.DeviceConnect],
      'announcement',
    );
    assertEqual(device.claimedInterfaces, [0, 1], 'every interface claimed on the page device');

    const size = 64 * 1024;
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
    let id = 10n;
    for (let at = 0; at < size; at += 4096) {
      send({ type: UsbredirType.BulkPacket, id: id++, endpoint: 0x02, status: 0, length: 4096, streamId: 0, data: data.subarray(at, at + 4096) });
      send({ type: UsbredirType.BulkPacket, id: id++, endpoint: 0x82, status: 0, length: 4096, streamId: 0, data: new Uint8Array() });
    }
    await until('every bulk answer', () => fromHost.filter((p) => p.type === UsbredirType.BulkPacket).length === (size / 4096) * 2);
    const inData = fromHost.flatMap((p) => (p.type === UsbredirType.BulkPacket && p.endpoint === 0x82 ? Array.from(p.data) : []));
    assertEqual(inData.length, size, 'bytes back');
    const expected = fakeCdcTransform(data);
    assert(
      inData.every((b, i) => b === expected[i]),
      'bytes intact, in order',
    );

    await host.release();
    assert(!device.opened, 'closed on the page after release');
    proxy.dispose();
    await handle.dispose();
  });
});
