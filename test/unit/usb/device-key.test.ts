import { describe, expect, it } from 'vitest';
import { findUsbDevice, parseUsbDeviceKey, usbDeviceKey, usbDeviceKeys } from '../../../src/usb/device-key.js';

const dev = (vendorId: number, productId: number, serialNumber?: string | null) => ({ vendorId, productId, serialNumber });

describe('USB device keys', () => {
  it('should name a device by vendor, product and serial number, and count look-alikes in list order', () => {
    expect(usbDeviceKey(dev(0x2341, 0x43, 'SC0001'))).toBe('2341:0043:SC0001#0');
    expect(usbDeviceKey(dev(0x1d6b, 0x2, null), 3)).toBe('1d6b:0002:#3');
    expect(usbDeviceKeys([dev(1, 2), dev(1, 2, 'x'), dev(1, 2), dev(3, 4)])).toEqual(['0001:0002:#0', '0001:0002:x#0', '0001:0002:#1', '0003:0004:#0']);
  });

  it("should find the same device in another side's list, and nothing for a key it cannot match", () => {
    const list = [dev(1, 2), dev(1, 2, 'x'), dev(1, 2)];
    expect(findUsbDevice(list, '0001:0002:#1')).toBe(list[2]);
    expect(findUsbDevice(list, '0001:0002:x#0')).toBe(list[1]);
    expect(findUsbDevice(list, '0001:0002:x#1')).toBeUndefined();
    expect(findUsbDevice(list, 'not a key')).toBeUndefined();
    expect(parseUsbDeviceKey('2341:0043:a#b:c#12')).toEqual({ base: '2341:0043:a#b:c', index: 12 });
  });
});
