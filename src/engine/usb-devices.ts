/**
 * Where the engine gets the USB device behind a key: the worker's own WebUSB where the browser has it
 * (Chromium gives dedicated workers `navigator.usb`, whose getDevices() lists the devices the page was
 * granted), else the page's device object through a device port (PageUsbDevice) — the path for browsers
 * whose workers lack WebUSB and for test stand-ins that only exist on the page.
 */
import { findUsbDevice } from '../usb/device-key.js';
import type { UsbDeviceLike } from '../usb/webusb-types.js';
import { PageUsbDevice } from './usb-device-proxy.js';

/** A device ready to be served, and how to learn that it went away. */
export interface UsbDeviceHandle {
  device: UsbDeviceLike;
  via: 'worker' | 'page';
  /** Resolves with a reason when the device is gone (unplugged, or the page let go); `lost` says which. */
  gone: Promise<{ lost: boolean; reason: string }>;
  /** Lets go of the device's port or listeners (the device itself is closed by its UsbHost). */
  dispose(): void;
}

export interface UsbDeviceSource {
  /** The device `key` names, or undefined when neither the worker nor the page has it. Closes `port` if unused. */
  open(key: string, port?: MessagePort): Promise<UsbDeviceHandle | undefined>;
}

/** The part of WebUSB's `USB` object the engine uses. */
export interface WebUsbLike {
  getDevices(): Promise<UsbDeviceLike[]>;
  addEventListener(type: 'disconnect', listener: (event: { device: UsbDeviceLike }) => void): void;
  removeEventListener(type: 'disconnect', listener: (event: { device: UsbDeviceLike }) => void): void;
}

/** `navigator.usb` of this worker, if the browser has WebUSB here. */
export function workerWebUsb(): WebUsbLike | null {
  const usb = (globalThis as { navigator?: { usb?: WebUsbLike } }).navigator?.usb;
  return usb && typeof usb.getDevices === 'function' ? usb : null;
}

export function createUsbDeviceSource(webusb: WebUsbLike | null = workerWebUsb()): UsbDeviceSource {
  return {
    async open(key, port) {
      if (webusb) {
        let found: UsbDeviceLike | undefined;
        try {
          found = findUsbDevice(await webusb.getDevices(), key);
        } catch {
          found = undefined; // WebUSB blocked here (permissions policy): try the page
        }
        if (found) {
          port?.close();
          return fromWorker(webusb, found);
        }
      }
      if (!port) return undefined;
      const device = await PageUsbDevice.connect(port);
      return {
        device,
        via: 'page',
        gone: device
          .watch()
          .then((why) => (why === 'unplugged' ? { lost: true, reason: 'the device was unplugged' } : { lost: false, reason: 'the page let go of the device' })),
        dispose: () => device.dispose(),
      };
    },
  };
}

function fromWorker(webusb: WebUsbLike, device: UsbDeviceLike): UsbDeviceHandle {
  let listener: ((event: { device: UsbDeviceLike }) => void) | undefined;
  const gone = new Promise<{ lost: boolean; reason: string }>((resolve) => {
    listener = (event) => {
      if (event.device === device) resolve({ lost: true, reason: 'the device was unplugged' });
    };
    webusb.addEventListener('disconnect', listener);
  });
  return {
    device,
    via: 'worker',
    gone,
    dispose: () => {
      if (listener) webusb.removeEventListener('disconnect', listener);
      listener = undefined;
    },
  };
}
