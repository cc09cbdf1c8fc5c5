import { describe, expect, it } from 'vitest';
import { resultBytes, type UsbDeviceLike } from '../../../src/usb/webusb-types.js';

// The browser's USBDevice as the WebUSB IDL (and the DefinitelyTyped w3c-web-usb typings) describe it,
// transcribed here because TypeScript's DOM lib has no WebUSB. The assignment below is the real test: it
// fails to compile if UsbDeviceLike ever asks for more than a real device offers.
type Status = 'ok' | 'stall' | 'babble';
interface BrowserEndpoint {
  readonly endpointNumber: number;
  readonly direction: 'in' | 'out';
  readonly type: 'bulk' | 'interrupt' | 'isochronous';
  readonly packetSize: number;
}
interface BrowserAlternate {
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly interfaceName?: string | undefined;
  readonly endpoints: BrowserEndpoint[];
}
interface BrowserInterface {
  readonly interfaceNumber: number;
  readonly alternate: BrowserAlternate;
  readonly alternates: BrowserAlternate[];
  readonly claimed: boolean;
}
interface BrowserConfiguration {
  readonly configurationValue: number;
  readonly configurationName?: string | undefined;
  readonly interfaces: BrowserInterface[];
}
interface BrowserSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}
interface BrowserUsbDevice {
  readonly usbVersionMajor: number;
  readonly usbVersionMinor: number;
  readonly usbVersionSubminor: number;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor: number;
  readonly deviceVersionMinor: number;
  readonly deviceVersionSubminor: number;
  readonly manufacturerName?: string | undefined;
  readonly productName?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly configuration?: BrowserConfiguration | undefined;
  readonly configurations: BrowserConfiguration[];
  readonly opened: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  forget(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>;
  controlTransferIn(setup: BrowserSetup, length: number): Promise<{ readonly data?: DataView | undefined; readonly status?: Status | undefined }>;
  controlTransferOut(setup: BrowserSetup, data?: BufferSource): Promise<{ readonly bytesWritten: number; readonly status: Status }>;
  clearHalt(direction: 'in' | 'out', endpointNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number): Promise<{ readonly data?: DataView | undefined; readonly status?: Status | undefined }>;
  transferOut(endpointNumber: number, data: BufferSource): Promise<{ readonly bytesWritten: number; readonly status: Status }>;
  isochronousTransferIn(
    endpointNumber: number,
    packetLengths: number[],
  ): Promise<{ readonly data?: DataView | undefined; readonly packets: { readonly data?: DataView | undefined; readonly status?: Status | undefined }[] }>;
  isochronousTransferOut(
    endpointNumber: number,
    data: BufferSource,
    packetLengths: number[],
  ): Promise<{ readonly packets: { readonly bytesWritten: number; readonly status?: Status | undefined }[] }>;
  reset(): Promise<void>;
}

describe('UsbDeviceLike', () => {
  it('should accept a browser USBDevice', () => {
    const accept = (d: UsbDeviceLike) => d;
    const browser = null as unknown as BrowserUsbDevice;
    expect(accept(browser)).toBeNull();
  });

  it('should view transfer result bytes without copying', () => {
    const buf = new Uint8Array([1, 2, 3, 4]).buffer;
    const bytes = resultBytes(new DataView(buf, 1, 2));
    expect(Array.from(bytes)).toEqual([2, 3]);
    expect(bytes.buffer).toBe(buf);
    expect(resultBytes(undefined).byteLength).toBe(0);
  });
});
