/**
 * The slice of the WebUSB API (https://wicg.github.io/webusb/) that the usbredir host needs, declared here
 * because the pure zone compiles without DOM types and TypeScript's own libs carry no WebUSB at all.
 *
 * Every member is a supertype of the browser's: a real `USBDevice` from `navigator.usb` is assignable to
 * `UsbDeviceLike` (nullable strings and `data` accept both `null` and `undefined`, as typings differ), and a
 * scripted test device only has to implement what is listed. Data parameters are `Uint8Array`s over a plain
 * ArrayBuffer, the part of the IDL's `BufferSource` that TypeScript lets both sides agree on.
 */

/** Outcome of a completed transfer ("ok" or a USB-level failure; other failures reject the promise). */
export type UsbTransferStatusLike = 'ok' | 'stall' | 'babble';
export type UsbRequestTypeLike = 'standard' | 'class' | 'vendor';
export type UsbRecipientLike = 'device' | 'interface' | 'endpoint' | 'other';
export type UsbDirectionLike = 'in' | 'out';
export type UsbEndpointTypeLike = 'bulk' | 'interrupt' | 'isochronous';

/** The setup packet of a control transfer, minus direction and length (they follow from the call). */
export interface UsbControlTransferParametersLike {
  requestType: UsbRequestTypeLike;
  recipient: UsbRecipientLike;
  request: number;
  value: number;
  index: number;
}

// `status` is optional in some published WebUSB typings; browsers always set it (absent counts as an error).
export interface UsbInTransferResultLike {
  readonly data?: DataView | null;
  readonly status?: UsbTransferStatusLike;
}

export interface UsbOutTransferResultLike {
  readonly bytesWritten: number;
  readonly status?: UsbTransferStatusLike;
}

export interface UsbIsochronousInTransferPacketLike {
  readonly data?: DataView | null;
  readonly status?: UsbTransferStatusLike;
}

export interface UsbIsochronousInTransferResultLike {
  readonly data?: DataView | null;
  readonly packets: readonly UsbIsochronousInTransferPacketLike[];
}

export interface UsbIsochronousOutTransferPacketLike {
  readonly bytesWritten: number;
  readonly status?: UsbTransferStatusLike;
}

export interface UsbIsochronousOutTransferResultLike {
  readonly packets: readonly UsbIsochronousOutTransferPacketLike[];
}

export interface UsbEndpointLike {
  readonly endpointNumber: number;
  readonly direction: UsbDirectionLike;
  readonly type: UsbEndpointTypeLike;
  readonly packetSize: number;
}

export interface UsbAlternateInterfaceLike {
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly interfaceName?: string | null;
  readonly endpoints: readonly UsbEndpointLike[];
}

export interface UsbInterfaceLike {
  readonly interfaceNumber: number;
  readonly alternate: UsbAlternateInterfaceLike;
  readonly alternates: readonly UsbAlternateInterfaceLike[];
  readonly claimed: boolean;
}

export interface UsbConfigurationLike {
  readonly configurationValue: number;
  readonly configurationName?: string | null;
  readonly interfaces: readonly UsbInterfaceLike[];
}

/** The part of WebUSB's `USBDevice` that `UsbHost` uses. */
export interface UsbDeviceLike {
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
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly serialNumber?: string | null;
  readonly configuration?: UsbConfigurationLike | null;
  readonly configurations: readonly UsbConfigurationLike[];
  readonly opened: boolean;

  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>;
  controlTransferIn(setup: UsbControlTransferParametersLike, length: number): Promise<UsbInTransferResultLike>;
  controlTransferOut(setup: UsbControlTransferParametersLike, data?: Uint8Array<ArrayBuffer>): Promise<UsbOutTransferResultLike>;
  clearHalt(direction: UsbDirectionLike, endpointNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResultLike>;
  transferOut(endpointNumber: number, data: Uint8Array<ArrayBuffer>): Promise<UsbOutTransferResultLike>;
  isochronousTransferIn(endpointNumber: number, packetLengths: number[]): Promise<UsbIsochronousInTransferResultLike>;
  isochronousTransferOut(endpointNumber: number, data: Uint8Array<ArrayBuffer>, packetLengths: number[]): Promise<UsbIsochronousOutTransferResultLike>;
  reset(): Promise<void>;
}

/** Bytes of a transfer result's DataView (a view, no copy); empty when the browser gave none. */
export function resultBytes(data: DataView | null | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
