/**
 * What the fake WebUSB devices (cdc-acm-device.ts, mass-storage-device.ts) share: USB string descriptors,
 * the DOMExceptions a real USBDevice rejects with, and transfer results' DataViews.
 */

/** A USB string descriptor (UTF-16LE) for `text`. */
export function utf16Descriptor(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = out.length;
  out[1] = 0x03;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + i * 2] = c & 0xff;
    out[3 + i * 2] = c >> 8;
  }
  return out;
}

/** A DOMException named `name` (an Error with that name where DOMException does not exist). */
export function domError(name: string, message: string): Error {
  if (typeof DOMException === 'function') return new DOMException(message, name) as unknown as Error;
  const e = new Error(message);
  e.name = name;
  return e;
}

/** What a USBDevice's calls reject with once it is unplugged. */
export const disconnected = (): Error => domError('NotFoundError', 'The device was disconnected.');

/** A DataView over a copy of `bytes` (what a transfer result's `data` is). */
export function view(bytes: ArrayLike<number>): DataView {
  return new DataView(Uint8Array.from(bytes).buffer);
}
