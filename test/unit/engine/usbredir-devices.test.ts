/**
 * Where the engine gets a device: the worker's own WebUSB (Chromium's dedicated workers list the devices
 * the page was granted) when it sees the key, else the page's device through its port.
 */
import { describe, expect, it } from 'vitest';
import { openUsbDevicePort } from '../../../src/controllers/usb-device-port.js';
import { createUsbDeviceSource, type WebUsbLike } from '../../../src/engine/usb-devices.js';
import { usbDeviceKey } from '../../../src/usb/device-key.js';
import type { UsbDeviceLike } from '../../../src/usb/webusb-types.js';
import { FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';

/** navigator.usb of a worker, scripted. */
class FakeWorkerUsb implements WebUsbLike {
  private readonly listeners = new Set<(event: { device: UsbDeviceLike }) => void>();
  constructor(public devices: UsbDeviceLike[]) {}
  async getDevices() {
    return this.devices;
  }
  addEventListener(_type: 'disconnect', l: (event: { device: UsbDeviceLike }) => void) {
    this.listeners.add(l);
  }
  removeEventListener(_type: 'disconnect', l: (event: { device: UsbDeviceLike }) => void) {
    this.listeners.delete(l);
  }
  unplug(device: UsbDeviceLike) {
    this.devices = this.devices.filter((d) => d !== device);
    for (const l of this.listeners) l({ device });
  }
  get listenerCount() {
    return this.listeners.size;
  }
}

describe('USB device sources', () => {
  it("should prefer the worker's own WebUSB device, close the unused port, and report its unplug", async () => {
    const a = new FakeCdcAcmDevice({ serialNumber: 'A' });
    const b = new FakeCdcAcmDevice({ serialNumber: 'B' });
    const usb = new FakeWorkerUsb([a, b]);
    const page = openUsbDevicePort(new FakeCdcAcmDevice({ serialNumber: 'B' }));
    const handle = (await createUsbDeviceSource(usb).open(usbDeviceKey(b), page.port))!;
    expect(handle.via).toBe('worker');
    expect(handle.device).toBe(b);
    let gone: unknown;
    void handle.gone.then((g) => (gone = g));
    usb.unplug(a);
    await new Promise((r) => setTimeout(r, 5));
    expect(gone).toBeUndefined();
    usb.unplug(b);
    await new Promise((r) => setTimeout(r, 5));
    expect(gone).toEqual({ lost: true, reason: 'the device was unplugged' });
    handle.dispose();
    expect(usb.listenerCount).toBe(0);
    await page.dispose();
  });

  it("should use the page's device through its port when the worker does not see it or has no WebUSB", async () => {
    for (const usb of [new FakeWorkerUsb([]), null]) {
      const device = new FakeCdcAcmDevice();
      const page = openUsbDevicePort(device);
      const handle = (await createUsbDeviceSource(usb).open(usbDeviceKey(device), page.port))!;
      expect(handle.via).toBe('page');
      expect(handle.device.productName).toBe('Fake Arduino Uno');
      await handle.device.open();
      expect(device.opened).toBe(true);
      expect(handle.device.opened).toBe(true);
      let gone: unknown;
      void handle.gone.then((g) => (gone = g));
      page.unplugged();
      await new Promise((r) => setTimeout(r, 10));
      expect(gone).toEqual({ lost: true, reason: 'the device was unplugged' });
      handle.dispose();
      await new Promise((r) => setTimeout(r, 10));
      // The page end closes what was opened through the port once the engine lets go.
      expect(device.opened).toBe(false);
      await page.dispose();
    }
  });

  it('should find nothing without a port when the worker does not see the device', async () => {
    expect(await createUsbDeviceSource(new FakeWorkerUsb([])).open('2341:0043:SC0001#0')).toBeUndefined();
  });
});
