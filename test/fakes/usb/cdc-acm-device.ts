/**
 * A scripted stand-in for a WebUSB `USBDevice`: a full-speed CDC-ACM serial device shaped like an Arduino
 * Uno's USB chip (2341:0043, device class 0x02, a communication interface with an interrupt IN notification
 * endpoint 0x83 and a data interface with bulk OUT 0x02 and bulk IN 0x82, 64-byte packets).
 *
 * It behaves the way the browser and a real device do where the usbredir host can tell the difference:
 * - it answers GET_DESCRIPTOR for the device, configuration (with the CDC functional descriptors) and string
 *   descriptors, stalls the device qualifier (a full-speed-only device has none), and takes the CDC class
 *   requests SET_LINE_CODING, GET_LINE_CODING, SET_CONTROL_LINE_STATE and SEND_BREAK;
 * - bytes written to bulk OUT come back on bulk IN transformed by `transform` (default: ASCII letters swap
 *   case, every other byte unchanged, so lines keep their newlines); `fakeCdcTransform` predicts the echo;
 * - a bulk IN transfer is filled 64-byte packet by packet and completes on a short packet or when full, and
 *   otherwise stays pending, as on the bus: a read with no data waits;
 * - like Chrome, calls made while reset/selectConfiguration/open/close is running reject with
 *   InvalidStateError, transfers on endpoints outside a claimed interface reject with NotFoundError while
 *   the device stays opened, and `unplug()` makes pending and later calls reject with NotFoundError
 *   ("The device was disconnected.") and `opened` false, and fires `disconnect` on the device.
 *
 * Fault injection for the robustness tests: `vanishAfterWritten(n)` pulls the plug in the middle of the bulk
 * OUT transfer that crosses n bytes; `halt(ep)` stalls an endpoint until clear-halt; `hang(ep)` makes its
 * transfers never complete (close, releaseInterface, reset and unplug still end them, as the kernel kills
 * URBs); `freeze()` wedges the whole device: every call from then on never settles; `failNext(call, name)`
 * makes the next call of that name reject, `failCalls(prefix, n)` the next n calls that look like `prefix`. `claimedInterfaces` and `opened` say what is still held.
 *
 * Pure TypeScript with no Node APIs: the browser and end-to-end tests create it on the page and hand it to
 * the console (`addUsbDevice`), which serves it to the engine worker through a device port.
 */
import type {
  UsbAlternateInterfaceLike,
  UsbConfigurationLike,
  UsbControlTransferParametersLike,
  UsbDeviceLike,
  UsbDirectionLike,
  UsbInterfaceLike,
  UsbInTransferResultLike,
  UsbIsochronousInTransferResultLike,
  UsbIsochronousOutTransferResultLike,
  UsbOutTransferResultLike,
} from '../../../src/usb/webusb-types.js';
import { disconnected, domError, utf16Descriptor, view } from './fake-device-support.js';

export const FAKE_CDC_VENDOR_ID = 0x2341;
export const FAKE_CDC_PRODUCT_ID = 0x0043;
export const FAKE_CDC_PRODUCT = 'Fake Arduino Uno';
export const FAKE_CDC_MANUFACTURER = 'spice-console tests';
export const FAKE_CDC_SERIAL = 'SC0001';

/** Endpoint addresses. */
export const FakeCdcEndpoint = {
  Notify: 0x83,
  DataOut: 0x02,
  DataIn: 0x82,
} as const;

const NOTIFY_PACKET = 16;

/** The default data transform: ASCII letters swap case, other bytes pass unchanged. */
export function fakeCdcTransformByte(b: number): number {
  if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return b ^ 0x20;
  return b;
}

/** What the fake sends back for `data` written to bulk OUT (with the default transform). */
export function fakeCdcTransform(data: Uint8Array): Uint8Array {
  return data.map(fakeCdcTransformByte);
}

/** The 18-byte device descriptor. */
export const FAKE_CDC_DEVICE_DESCRIPTOR = new Uint8Array([
  0x12,
  0x01, // bLength, bDescriptorType (device)
  0x10,
  0x01, // bcdUSB 1.10
  0x02,
  0x00,
  0x00, // bDeviceClass CDC, subclass, protocol
  0x08, // bMaxPacketSize0
  0x41,
  0x23, // idVendor 0x2341
  0x43,
  0x00, // idProduct 0x0043
  0x01,
  0x00, // bcdDevice 0.01
  0x01,
  0x02,
  0x03, // iManufacturer, iProduct, iSerialNumber
  0x01, // bNumConfigurations
]);

/**
 * The high-speed variant (`highSpeed: true`): bcdUSB 2.00, 64-byte ep0, 512-byte bulk packets, the
 * notification endpoint polled every 2^(8-1) microframes (16 ms), and a device qualifier.
 */
export const FAKE_CDC_HS_DEVICE_DESCRIPTOR = Uint8Array.from(FAKE_CDC_DEVICE_DESCRIPTOR, (b, i) => (i === 2 ? 0x00 : i === 3 ? 0x02 : i === 7 ? 0x40 : b));
export const FAKE_CDC_HS_QUALIFIER = new Uint8Array([0x0a, 0x06, 0x00, 0x02, 0x02, 0x00, 0x00, 0x40, 0x01, 0x00]);

/** The configuration descriptor with everything under it (67 bytes). */
export const FAKE_CDC_CONFIG_DESCRIPTOR = new Uint8Array([
  // configuration: wTotalLength 67, 2 interfaces, value 1, self powered, 100 mA
  0x09, 0x02, 0x43, 0x00, 0x02, 0x01, 0x00, 0xc0, 0x32,
  // interface 0 alt 0: 1 endpoint, class 2 (communication) subclass 2 (ACM) protocol 1 (AT commands)
  0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x02, 0x01, 0x00,
  // CDC header functional descriptor, bcdCDC 1.10
  0x05, 0x24, 0x00, 0x10, 0x01,
  // CDC call management: no call management over the data interface, data interface 1
  0x05, 0x24, 0x01, 0x00, 0x01,
  // CDC ACM: supports line coding/serial state and send break
  0x04, 0x24, 0x02, 0x06,
  // CDC union: master interface 0, slave interface 1
  0x05, 0x24, 0x06, 0x00, 0x01,
  // endpoint 0x83 interrupt IN, 16 bytes, every 16 ms
  0x07, 0x05, 0x83, 0x03, 0x10, 0x00, 0x10,
  // interface 1 alt 0: 2 endpoints, class 0x0a (CDC data)
  0x09, 0x04, 0x01, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00,
  // endpoint 0x02 bulk OUT, 64 bytes
  0x07, 0x05, 0x02, 0x02, 0x40, 0x00, 0x00,
  // endpoint 0x82 bulk IN, 64 bytes
  0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
]);

/** The high-speed configuration descriptor: the full-speed one with 512-byte bulk packets and bInterval 8. */
export const FAKE_CDC_HS_CONFIG_DESCRIPTOR = (() => {
  const d = FAKE_CDC_CONFIG_DESCRIPTOR.slice();
  d[18 + 5 + 5 + 4 + 5 + 6] = 0x08; // interrupt endpoint bInterval
  for (const at of [9 + 9 + 19 + 7 + 9 + 4, 9 + 9 + 19 + 7 + 9 + 7 + 4]) {
    d[at] = 0x00; // wMaxPacketSize 512
    d[at + 1] = 0x02;
  }
  return d;
})();

export interface FakeCdcAcmOptions {
  /** Byte transform applied to bulk OUT data before it is queued for bulk IN. */
  transform?: (byte: number) => number;
  productName?: string;
  manufacturerName?: string;
  serialNumber?: string;
  /** Start unconfigured (no active configuration) instead of configured with value 1. */
  unconfigured?: boolean;
  /** Keep every byte written to bulk OUT in `written` (default true; benchmarks moving megabytes turn it off). */
  keepWritten?: boolean;
  /** A high-speed device (USB 2.0, 512-byte bulk packets) instead of the full-speed Arduino. */
  highSpeed?: boolean;
}

/**
 * A FIFO of bytes kept as the chunks they arrived in, so megabytes can pass through without the cost of
 * shifting a flat array.
 */
class ByteFifo {
  private chunks: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (!chunk.byteLength) return;
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  /** Removes and returns up to `n` bytes. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.length));
    let at = 0;
    while (at < out.length) {
      const c = this.chunks[0]!;
      const k = Math.min(c.byteLength - this.head, out.length - at);
      out.set(c.subarray(this.head, this.head + k), at);
      at += k;
      this.head += k;
      if (this.head === c.byteLength) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= out.length;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }
}

interface PendingIn {
  endpoint: number;
  length: number;
  received: Uint8Array[];
  receivedBytes: number;
  resolve(result: UsbInTransferResultLike): void;
  reject(error: unknown): void;
}

function joined(chunks: readonly Uint8Array[], total: number): DataView {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return new DataView(out.buffer);
}

/**
 * An EventTarget too: `unplug()` fires `disconnect` on the device itself, which is how a page tells the
 * console that a stand-in went away (a real USBDevice's removal comes from navigator.usb instead).
 */
export class FakeCdcAcmDevice extends EventTarget implements UsbDeviceLike {
  readonly usbVersionMajor: number;
  readonly usbVersionMinor: number;
  readonly usbVersionSubminor = 0;
  readonly deviceClass = 0x02;
  readonly deviceSubclass = 0x00;
  readonly deviceProtocol = 0x00;
  readonly vendorId = FAKE_CDC_VENDOR_ID;
  readonly productId = FAKE_CDC_PRODUCT_ID;
  readonly deviceVersionMajor = 0;
  readonly deviceVersionMinor = 0;
  readonly deviceVersionSubminor = 1;
  readonly manufacturerName: string;
  readonly productName: string;
  readonly serialNumber: string;
  readonly configurations: readonly UsbConfigurationLike[];

  /** Every call made, e.g. "open()", "transferIn(2, 64)", in order. */
  readonly calls: string[] = [];
  /** The 7-byte line coding (dwDTERate, bCharFormat, bParityType, bDataBits); 9600 8N1 at first. */
  lineCoding = new Uint8Array([0x80, 0x25, 0x00, 0x00, 0x00, 0x00, 0x08]);
  /** wValue of the last SET_CONTROL_LINE_STATE (bit 0 DTR, bit 1 RTS). */
  controlLineState = 0;
  /** Bytes written to bulk OUT, untransformed, in order (empty with `keepWritten: false`). */
  get written(): Uint8Array {
    const all = joined(this.writtenChunks, this.keepWritten ? this.writtenCount : 0);
    return new Uint8Array(all.buffer);
  }
  /** Number of bytes written to bulk OUT so far. */
  writtenCount = 0;
  resets = 0;
  breaks = 0;

  private readonly transform: (byte: number) => number;
  /** Bulk max packet size: 64 (full speed) or 512 (high speed). */
  private readonly maxPacket: number;
  private readonly deviceDescriptor: Uint8Array;
  private readonly configDescriptor: Uint8Array;
  private readonly highSpeed: boolean;
  private readonly strings: Uint8Array[];
  private isOpen = false;
  private unplugged = false;
  private busy = false;
  private configValue: number;
  private readonly claimedSet = new Set<number>();
  private readonly halted = new Set<number>();
  private readonly pendingIn: PendingIn[] = [];
  private readonly inData = new ByteFifo();
  private readonly keepWritten: boolean;
  private readonly writtenChunks: Uint8Array[] = [];
  private readonly notifications: number[][] = [];
  /** Endpoints whose transfers never complete (hang). */
  private readonly hungEndpoints = new Set<number>();
  /** OUT transfers held by a hung endpoint, rejected when the device closes, resets or goes. */
  private readonly stuckOut: { endpoint: number; reject(error: unknown): void }[] = [];
  private vanishAt = Infinity;
  private frozen = false;
  private readonly failures = new Map<string, string>();
  /** Calls (by the start of their `calls` entry) that reject the next `times` times. */
  private readonly failingCalls: { prefix: string; times: number; name: string }[] = [];

  constructor(options: FakeCdcAcmOptions = {}) {
    super();
    this.transform = options.transform ?? fakeCdcTransformByte;
    this.productName = options.productName ?? FAKE_CDC_PRODUCT;
    this.manufacturerName = options.manufacturerName ?? FAKE_CDC_MANUFACTURER;
    this.serialNumber = options.serialNumber ?? FAKE_CDC_SERIAL;
    this.configValue = options.unconfigured ? 0 : 1;
    this.keepWritten = options.keepWritten ?? true;
    this.highSpeed = options.highSpeed ?? false;
    this.usbVersionMajor = this.highSpeed ? 2 : 1;
    this.usbVersionMinor = this.highSpeed ? 0 : 1;
    this.maxPacket = this.highSpeed ? 512 : 64;
    this.deviceDescriptor = this.highSpeed ? FAKE_CDC_HS_DEVICE_DESCRIPTOR : FAKE_CDC_DEVICE_DESCRIPTOR;
    this.configDescriptor = this.highSpeed ? FAKE_CDC_HS_CONFIG_DESCRIPTOR : FAKE_CDC_CONFIG_DESCRIPTOR;
    this.strings = [
      new Uint8Array([0x04, 0x03, 0x09, 0x04]), // LANGID 0x0409 (English, US)
      utf16Descriptor(this.manufacturerName),
      utf16Descriptor(this.productName),
      utf16Descriptor(this.serialNumber),
    ];
    const claimed = this.claimedSet;
    const ep = (endpointNumber: number, direction: UsbDirectionLike, type: 'bulk' | 'interrupt', packetSize: number) => ({
      endpointNumber,
      direction,
      type,
      packetSize,
    });
    const alt = (cls: number, sub: number, proto: number, endpoints: ReturnType<typeof ep>[]): UsbAlternateInterfaceLike => ({
      alternateSetting: 0,
      interfaceClass: cls,
      interfaceSubclass: sub,
      interfaceProtocol: proto,
      interfaceName: null,
      endpoints,
    });
    const itf = (interfaceNumber: number, a: UsbAlternateInterfaceLike): UsbInterfaceLike => ({
      interfaceNumber,
      alternate: a,
      alternates: [a],
      get claimed() {
        return claimed.has(interfaceNumber);
      },
    });
    this.configurations = [
      {
        configurationValue: 1,
        configurationName: null,
        interfaces: [
          itf(0, alt(0x02, 0x02, 0x01, [ep(3, 'in', 'interrupt', NOTIFY_PACKET)])),
          itf(1, alt(0x0a, 0x00, 0x00, [ep(2, 'out', 'bulk', this.maxPacket), ep(2, 'in', 'bulk', this.maxPacket)])),
        ],
      },
    ];
  }

  get opened(): boolean {
    return this.isOpen;
  }

  get configuration(): UsbConfigurationLike | null {
    return this.configurations.find((c) => c.configurationValue === this.configValue) ?? null;
  }

  /** Interface numbers currently claimed. */
  get claimedInterfaces(): number[] {
    return [...this.claimedSet].sort();
  }

  /** Bulk IN transfers waiting for data. */
  get pendingBulkIn(): number {
    return this.pendingIn.filter((p) => p.endpoint === FakeCdcEndpoint.DataIn).length;
  }

  /** Transferred but not yet read bytes waiting on bulk IN. */
  get queuedInBytes(): number {
    return this.inData.length;
  }

  // -------------------------------------------------------------------------------------------------------
  // Test controls

  /** Pulls the plug: pending and future calls reject with NotFoundError, `opened` turns false. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.isOpen = false;
    this.claimedSet.clear();
    for (const p of this.pendingIn.splice(0)) p.reject(disconnected());
    for (const p of this.stuckOut.splice(0)) p.reject(disconnected());
    this.dispatchEvent(new Event('disconnect'));
  }

  /** Pulls the plug during the bulk OUT transfer that takes the written byte count to `bytes` or beyond. */
  vanishAfterWritten(bytes: number): void {
    this.vanishAt = bytes;
  }

  /** Transfers on `endpointAddress` never complete from now on (until `unhang`); waiting ones stay waiting. */
  hang(endpointAddress: number): void {
    this.hungEndpoints.add(endpointAddress);
  }

  unhang(endpointAddress: number): void {
    this.hungEndpoints.delete(endpointAddress);
    this.serviceIn();
  }

  /** Wedges the device: every call from now on (close and releaseInterface too) never settles. */
  freeze(): void {
    this.frozen = true;
  }

  /** The next call named `call` ("open", "claimInterface", "close", "reset" ...) rejects with a DOMException `name`. */
  failNext(call: string, name = 'NetworkError', message = `${call} failed (injected)`): void {
    this.failures.set(call, `${name}\n${message}`);
  }

  /**
   * The next `times` calls whose `calls` entry starts with `prefix` (e.g. the guest's 64-byte device
   * descriptor read "controlTransferIn(standard, device, 0x6, 0x100, 0, 64)") reject with `name`.
   */
  failCalls(prefix: string, times = 1, name = 'NetworkError'): void {
    this.failingCalls.push({ prefix, times, name });
  }

  /** Transfers accepted and not yet completed (bulk/interrupt IN waiting, OUT held by a hung endpoint). */
  get pendingTransfers(): number {
    return this.pendingIn.length + this.stuckOut.length;
  }

  /** Makes the device emit bytes on bulk IN (as if the sketch printed them), untransformed. */
  emit(bytes: ArrayLike<number>): void {
    this.inData.push(Uint8Array.from(bytes, (b) => b & 0xff));
    this.serviceIn();
  }

  /** Sends a SERIAL_STATE notification (bits: DCD 0x01, DSR 0x02, break 0x04, ring 0x08 ...). */
  notifySerialState(bits: number): void {
    this.notifications.push([0xa1, 0x20, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, bits & 0xff, (bits >> 8) & 0xff]);
    this.serviceIn();
  }

  /**
   * Halts an endpoint: its transfers answer "stall" until clearHalt. A waiting IN transfer that has no data
   * yet ends with the stall; one that already received packets ends there, short, with them (the stall
   * comes on the next one), so no byte the device sent is lost.
   */
  halt(endpointAddress: number): void {
    this.halted.add(endpointAddress);
    for (const p of this.pendingIn.filter((x) => x.endpoint === endpointAddress)) {
      this.pendingIn.splice(this.pendingIn.indexOf(p), 1);
      p.resolve({ status: p.receivedBytes > 0 ? 'ok' : 'stall', data: joined(p.received, p.receivedBytes) });
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // USBDevice

  async open(): Promise<void> {
    this.calls.push('open()');
    if (this.faulty) await this.injected('open');
    await this.stateChange(() => {
      this.isOpen = true;
    }, false);
  }

  async close(): Promise<void> {
    this.calls.push('close()');
    if (this.faulty) await this.injected('close');
    await this.stateChange(() => {
      this.isOpen = false;
      this.claimedSet.clear();
      this.abortPending('The device was closed.');
    });
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.calls.push(`selectConfiguration(${configurationValue})`);
    if (this.faulty) await this.injected('selectConfiguration');
    await this.stateChange(() => {
      if (!this.configurations.some((c) => c.configurationValue === configurationValue)) {
        throw domError('NotFoundError', 'The configuration value provided is not supported by the device.');
      }
      if (configurationValue !== this.configValue) {
        this.claimedSet.clear();
        this.abortPending('The configuration changed.');
      }
      this.configValue = configurationValue;
    });
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.calls.push(`claimInterface(${interfaceNumber})`);
    if (this.faulty) await this.injected('claimInterface');
    this.check();
    this.interfaceOf(interfaceNumber);
    await Promise.resolve();
    this.claimedSet.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.calls.push(`releaseInterface(${interfaceNumber})`);
    if (this.faulty) await this.injected('releaseInterface');
    this.check();
    this.interfaceOf(interfaceNumber);
    await Promise.resolve();
    this.claimedSet.delete(interfaceNumber);
    for (const p of [...this.pendingIn]) {
      if (this.interfaceOfEndpoint(p.endpoint) === interfaceNumber) {
        this.pendingIn.splice(this.pendingIn.indexOf(p), 1);
        p.reject(domError('AbortError', 'The transfer was cancelled.'));
      }
    }
    for (const p of [...this.stuckOut]) {
      if (this.interfaceOfEndpoint(p.endpoint) === interfaceNumber) {
        this.stuckOut.splice(this.stuckOut.indexOf(p), 1);
        p.reject(domError('AbortError', 'The transfer was cancelled.'));
      }
    }
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.calls.push(`selectAlternateInterface(${interfaceNumber}, ${alternateSetting})`);
    if (this.faulty) await this.injected('selectAlternateInterface');
    this.check();
    this.interfaceOf(interfaceNumber);
    if (!this.claimedSet.has(interfaceNumber)) throw domError('InvalidStateError', 'The interface is not claimed.');
    if (alternateSetting !== 0) {
      throw domError('NotFoundError', 'The alternate setting provided is not supported by the device in its current configuration.');
    }
    await Promise.resolve();
  }

  async controlTransferIn(setup: UsbControlTransferParametersLike, length: number): Promise<UsbInTransferResultLike> {
    this.calls.push(
      `controlTransferIn(${setup.requestType}, ${setup.recipient}, 0x${setup.request.toString(16)}, 0x${setup.value.toString(16)}, ${setup.index}, ${length})`,
    );
    if (this.faulty) await this.injected('controlTransferIn');
    this.check();
    this.checkRecipient(setup);
    await Promise.resolve();
    const reply = (bytes: ArrayLike<number>): UsbInTransferResultLike => ({
      status: 'ok',
      data: view(Array.from(bytes).slice(0, length)),
    });
    const stall: UsbInTransferResultLike = { status: 'stall', data: view([]) };
    if (setup.requestType === 'standard') {
      if (setup.request === 0x06 && setup.recipient === 'device') {
        const type = setup.value >> 8;
        const index = setup.value & 0xff;
        if (type === 0x01) return reply(this.deviceDescriptor);
        if (type === 0x02 && index === 0) return reply(this.configDescriptor);
        if (type === 0x06 && this.highSpeed) return reply(FAKE_CDC_HS_QUALIFIER);
        if (type === 0x03 && this.strings[index]) return reply(this.strings[index]!);
        return stall; // device qualifier (0x06), other speed configuration, BOS ...: not a high-speed device
      }
      if (setup.request === 0x00) {
        if (setup.recipient === 'device') return reply([0x01, 0x00]); // self powered
        if (setup.recipient === 'endpoint') return reply([this.halted.has(setup.index & 0xff) ? 1 : 0, 0]);
        return reply([0x00, 0x00]);
      }
      return stall;
    }
    if (setup.requestType === 'class' && setup.recipient === 'interface' && setup.request === 0x21) {
      return reply(this.lineCoding);
    }
    return stall;
  }

  async controlTransferOut(setup: UsbControlTransferParametersLike, data?: Uint8Array): Promise<UsbOutTransferResultLike> {
    this.calls.push(
      `controlTransferOut(${setup.requestType}, ${setup.recipient}, 0x${setup.request.toString(16)}, 0x${setup.value.toString(16)}, ${setup.index}, ${data?.byteLength ?? 0})`,
    );
    if (this.faulty) await this.injected('controlTransferOut');
    this.check();
    this.checkRecipient(setup);
    await Promise.resolve();
    const ok = (n: number): UsbOutTransferResultLike => ({ status: 'ok', bytesWritten: n });
    const stall: UsbOutTransferResultLike = { status: 'stall', bytesWritten: 0 };
    const len = data?.byteLength ?? 0;
    if (setup.requestType === 'class' && setup.recipient === 'interface') {
      switch (setup.request) {
        case 0x20: // SET_LINE_CODING
          if (len !== 7 || !data) return stall;
          this.lineCoding = data.slice();
          return ok(7);
        case 0x22: // SET_CONTROL_LINE_STATE
          this.controlLineState = setup.value;
          return ok(0);
        case 0x23: // SEND_BREAK
          this.breaks++;
          return ok(0);
        default:
          return stall;
      }
    }
    if (setup.requestType === 'standard' && (setup.request === 0x01 || setup.request === 0x03)) {
      // CLEAR_FEATURE / SET_FEATURE (remote wakeup, endpoint halt)
      if (setup.recipient === 'endpoint' && setup.value === 0) {
        if (setup.request === 0x01) this.halted.delete(setup.index & 0xff);
        else this.halted.add(setup.index & 0xff);
      }
      return ok(0);
    }
    return stall;
  }

  async clearHalt(direction: UsbDirectionLike, endpointNumber: number): Promise<void> {
    const address = (direction === 'in' ? 0x80 : 0) | endpointNumber;
    this.calls.push(`clearHalt(${direction}, ${endpointNumber})`);
    if (this.faulty) await this.injected('clearHalt');
    this.check();
    this.checkEndpoint(address);
    await Promise.resolve();
    this.halted.delete(address);
  }

  async transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResultLike> {
    const address = 0x80 | endpointNumber;
    this.calls.push(`transferIn(${endpointNumber}, ${length})`);
    if (this.faulty) await this.injected('transferIn');
    this.check();
    this.checkEndpoint(address);
    if (this.halted.has(address)) return { status: 'stall', data: view([]) };
    return new Promise((resolve, reject) => {
      this.pendingIn.push({ endpoint: address, length, received: [], receivedBytes: 0, resolve, reject });
      this.serviceIn();
    });
  }

  async transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResultLike> {
    const address = endpointNumber & 0x7f;
    this.calls.push(`transferOut(${endpointNumber}, ${data.byteLength})`);
    if (this.faulty) await this.injected('transferOut');
    this.check();
    this.checkEndpoint(address);
    await Promise.resolve();
    if (this.unplugged) throw disconnected();
    if (this.halted.has(address)) return { status: 'stall', bytesWritten: 0 };
    if (this.hungEndpoints.has(address)) {
      return new Promise<UsbOutTransferResultLike>((_resolve, reject) => this.stuckOut.push({ endpoint: address, reject }));
    }
    if (this.writtenCount + data.byteLength >= this.vanishAt) {
      // Part of the transfer reaches the device, then the plug is pulled under it.
      this.writtenCount = Math.max(this.writtenCount, this.vanishAt);
      this.unplug();
      throw disconnected();
    }
    if (this.keepWritten) this.writtenChunks.push(data.slice());
    this.writtenCount += data.byteLength;
    this.inData.push(data.map((b) => this.transform(b) & 0xff));
    this.serviceIn();
    return { status: 'ok', bytesWritten: data.byteLength };
  }

  async isochronousTransferIn(endpointNumber: number, packetLengths: number[]): Promise<UsbIsochronousInTransferResultLike> {
    this.calls.push(`isochronousTransferIn(${endpointNumber}, [${packetLengths.join(',')}])`);
    if (this.faulty) await this.injected('isochronousTransferIn');
    this.check();
    this.checkEndpoint(0x80 | endpointNumber);
    throw domError('InvalidAccessError', 'The specified endpoint is not an isochronous endpoint.');
  }

  async isochronousTransferOut(endpointNumber: number, _data: Uint8Array, packetLengths: number[]): Promise<UsbIsochronousOutTransferResultLike> {
    this.calls.push(`isochronousTransferOut(${endpointNumber}, [${packetLengths.join(',')}])`);
    if (this.faulty) await this.injected('isochronousTransferOut');
    this.check();
    this.checkEndpoint(endpointNumber);
    throw domError('InvalidAccessError', 'The specified endpoint is not an isochronous endpoint.');
  }

  async reset(): Promise<void> {
    this.calls.push('reset()');
    if (this.faulty) await this.injected('reset');
    await this.stateChange(() => {
      this.resets++;
      this.inData.clear();
      this.notifications.length = 0;
      this.halted.clear();
      this.abortPending('The transfer was cancelled.');
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Internals

  /** A fault is armed (calls take the slow path through `injected` only then, so timing stays as it was). */
  private get faulty(): boolean {
    return this.frozen || this.failures.size > 0 || this.failingCalls.length > 0;
  }

  /** Injected faults: a frozen device never answers; a `failNext` call rejects once. */
  private async injected(call: string): Promise<void> {
    if (this.frozen) await new Promise<never>(() => {});
    const entry = this.calls.at(-1) ?? '';
    const matching = this.failingCalls.find((f) => entry.startsWith(f.prefix));
    if (matching) {
      if (--matching.times <= 0) this.failingCalls.splice(this.failingCalls.indexOf(matching), 1);
      throw domError(matching.name, `${entry} failed (injected)`);
    }
    const failure = this.failures.get(call);
    if (failure === undefined) return;
    this.failures.delete(call);
    const [name, message] = failure.split('\n') as [string, string];
    throw domError(name, message);
  }

  /** Chrome rejects every call while open/close/reset/selectConfiguration runs; so do we. */
  private check(needOpen = true): void {
    if (this.unplugged) throw disconnected();
    if (this.busy) throw domError('InvalidStateError', 'An operation that changes the device state is in progress.');
    if (needOpen && !this.isOpen) throw domError('InvalidStateError', 'The device must be opened first.');
  }

  /** A state change that takes a moment (one macrotask), during which other calls are refused. */
  private async stateChange(apply: () => void, needOpen = true): Promise<void> {
    this.check(needOpen);
    this.busy = true;
    try {
      await new Promise<void>((r) => setTimeout(r, 0));
      if (this.unplugged) throw disconnected();
      apply();
    } finally {
      this.busy = false;
    }
  }

  private abortPending(message: string): void {
    for (const p of this.pendingIn.splice(0)) p.reject(domError('AbortError', message));
    for (const p of this.stuckOut.splice(0)) p.reject(domError('AbortError', message));
  }

  private interfaceOf(n: number): UsbInterfaceLike {
    const itf = this.configuration?.interfaces.find((i) => i.interfaceNumber === n);
    if (!itf) {
      throw domError('NotFoundError', 'The interface number provided is not supported by the device in its current configuration.');
    }
    return itf;
  }

  private interfaceOfEndpoint(address: number): number | undefined {
    for (const itf of this.configuration?.interfaces ?? []) {
      for (const e of itf.alternate.endpoints) {
        if (((e.direction === 'in' ? 0x80 : 0) | e.endpointNumber) === address) return itf.interfaceNumber;
      }
    }
    return undefined;
  }

  private checkEndpoint(address: number): void {
    const n = this.interfaceOfEndpoint(address);
    if (n === undefined || !this.claimedSet.has(n)) {
      throw domError('NotFoundError', 'The specified endpoint is not part of a claimed and selected alternate interface.');
    }
  }

  private checkRecipient(setup: UsbControlTransferParametersLike): void {
    if (setup.recipient === 'interface') {
      const n = setup.index & 0xff;
      this.interfaceOf(n);
      if (!this.claimedSet.has(n)) throw domError('InvalidStateError', 'The specified interface has not been claimed.');
    } else if (setup.recipient === 'endpoint') {
      this.checkEndpoint(setup.index & 0xff);
    }
  }

  /** Feeds waiting IN transfers, packet by packet, in submission order per endpoint. */
  private serviceIn(): void {
    for (let i = 0; i < this.pendingIn.length;) {
      const p = this.pendingIn[i]!;
      let done = false;
      if (this.hungEndpoints.has(p.endpoint)) {
        i++;
        continue;
      }
      if (p.endpoint === FakeCdcEndpoint.Notify) {
        const n = this.notifications.shift();
        if (n) {
          const bytes = Uint8Array.from(n.slice(0, p.length));
          p.received.push(bytes);
          p.receivedBytes += bytes.byteLength;
          done = true;
        }
      } else if (p.endpoint === FakeCdcEndpoint.DataIn) {
        // Earlier transfers on this endpoint get the data first.
        if (this.pendingIn.findIndex((x) => x.endpoint === p.endpoint) !== i) {
          i++;
          continue;
        }
        while (!done && this.inData.length > 0) {
          const room = p.length - p.receivedBytes;
          // Whole packets at once while more than one is waiting: the same bytes, fewer steps.
          const mp = this.maxPacket;
          const whole = Math.min(room, this.inData.length) - (Math.min(room, this.inData.length) % mp);
          const packet = this.inData.take(whole > mp ? whole : Math.min(mp, room));
          p.received.push(packet);
          p.receivedBytes += packet.byteLength;
          // A short packet or a full transfer ends it; a full packet with nothing after it leaves it waiting.
          if (packet.length % mp !== 0 || packet.length === 0 || p.receivedBytes >= p.length) done = true;
        }
        if (!done && p.length === 0) done = true;
      }
      if (done) {
        this.pendingIn.splice(i, 1);
        const data = joined(p.received, p.receivedBytes);
        queueMicrotask(() => p.resolve({ status: 'ok', data }));
      } else {
        i++;
      }
    }
  }
}
