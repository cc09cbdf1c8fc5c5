/**
 * Device keys: how the page and the engine worker name the same USB device. Each side has its own
 * `USBDevice` object for a device (the page's from the chooser, the worker's from navigator.usb.getDevices()),
 * and objects cannot cross, so both compute a key from what WebUSB shows of the device:
 * `vvvv:pppp:serial#n` — vendor and product id as four hex digits, the serial number (empty without one),
 * and n, counting devices that share those three in list order. Devices that differ only by n (no serial
 * number, same model) cannot be told apart reliably by either side; the counting is the best guess.
 */

/** What a key is made of. */
export interface UsbKeyFields {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null;
}

const hex4 = (v: number) => v.toString(16).padStart(4, '0');

/** `vvvv:pppp:serial`: the key without its counter. */
export function usbDeviceKeyBase(device: UsbKeyFields): string {
  return `${hex4(device.vendorId)}:${hex4(device.productId)}:${device.serialNumber ?? ''}`;
}

/** The key of `device` as the `index`-th device with its base. */
export function usbDeviceKey(device: UsbKeyFields, index = 0): string {
  return `${usbDeviceKeyBase(device)}#${index}`;
}

/** Splits a key; undefined when it is not one. */
export function parseUsbDeviceKey(key: string): { base: string; index: number } | undefined {
  const m = /^([0-9a-f]{4}:[0-9a-f]{4}:.*)#(\d+)$/.exec(key);
  return m ? { base: m[1]!, index: Number(m[2]) } : undefined;
}

/** Keys for a list of devices, in order (the n of each key counts earlier devices with the same base). */
export function usbDeviceKeys(devices: readonly UsbKeyFields[]): string[] {
  const seen = new Map<string, number>();
  return devices.map((d) => {
    const base = usbDeviceKeyBase(d);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}#${n}`;
  });
}

/** The device of `devices` that `key` names: the n-th with the key's base, in list order. */
export function findUsbDevice<T extends UsbKeyFields>(devices: readonly T[], key: string): T | undefined {
  const parsed = parseUsbDeviceKey(key);
  if (!parsed) return undefined;
  return devices.filter((d) => usbDeviceKeyBase(d) === parsed.base)[parsed.index];
}
