/**
 * USB redirection as plain data crossing the worker boundary: the console's USB mode, device states, the
 * status the engine reports (`usb` events), results of the USB calls, and the contract of the page-side
 * device port (a USB device living on the page, driven by the engine through a MessagePort).
 *
 * Devices are named by a key the page and the worker can both compute from what WebUSB shows of a device:
 * `vvvv:pppp:serial#n` (vendor and product id in hex, serial number, and n counting devices with the same
 * three, in the order they were granted). See src/usb/device-key.ts.
 */

/**
 * How a console offers USB, after oVirt's "USB support" policy: `native` (SPICE usbredir channels),
 * `disabled` (the default, as in oVirt), `legacy` (a separate USB-over-network client, which a browser
 * cannot run: reported unavailable with that reason).
 */
export type UsbMode = 'native' | 'disabled' | 'legacy';

/** Codes of the errors USB calls reject with (`error.code`). */
export const UsbErrorCode = {
  /** USB is off: not connected, usb="disabled"/"legacy", no WebUSB, or the VM has no usbredir channel. */
  Unavailable: 'usb-unavailable',
  /** Every usbredir channel carries a device already. */
  NoFreeChannel: 'usb-no-free-channel',
  /** A USB filter (the console's or the VM's) does not allow the device. */
  Refused: 'usb-refused',
  /** No device with that key (never granted, or unplugged). */
  NotFound: 'usb-not-found',
  /** The user closed the browser's device chooser without picking one. */
  Cancelled: 'usb-cancelled',
  /** The device could not be opened or redirected (see the message). */
  Failed: 'usb-failed',
} as const;
export type UsbErrorCode = (typeof UsbErrorCode)[keyof typeof UsbErrorCode];

/**
 * Where a device is: `available` (not redirected), `redirecting` (the engine opens it and announces it to
 * the VM), `redirected` (the VM has it), `refused` (a filter or the VM said no; see `reason`), `lost`
 * (unplugged from this computer).
 */
export type UsbDeviceState = 'available' | 'redirecting' | 'redirected' | 'refused' | 'lost';

/** The engine's view of one device it was asked to redirect. */
export interface UsbDeviceStatus {
  key: string;
  state: UsbDeviceState;
  /** Why a device was refused, lost or given back, in a sentence. */
  reason?: string;
  /** The usbredir channel carrying the device while redirecting or redirected. */
  channelId?: number;
  /** Which side drives the device: the worker's own WebUSB, or the page through a device port. */
  via?: 'worker' | 'page';
}

/** A device as the page lists it: what WebUSB tells about it, and its state. */
export interface UsbDeviceInfo extends UsbDeviceStatus {
  vendorId: number;
  productId: number;
  deviceClass: number;
  productName?: string;
  manufacturerName?: string;
  serialNumber?: string;
}

/** USB of a session as the engine sees it (the `usb` event). */
export interface UsbEngineStatus {
  /** A usbredir channel is linked (and the page did not turn USB off). */
  available: boolean;
  /** Why USB is unavailable. */
  reason?: string;
  /** usbredir channels linked, and how many carry no device. */
  channels: { total: number; free: number };
  /** Every device the engine was asked to redirect in this session. */
  devices: UsbDeviceStatus[];
  /** Set once the first device was redirected: a VM with redirected USB cannot be live-migrated. */
  migrationWarning?: string;
  /** The VM's own USB filter (usbredir's filter_filter), once a channel has sent it. */
  guestFilter?: string;
}

/** USB of a console as a page sees it: the detail of the `spice-usb` event and `usbStatus`. */
export interface UsbStatus extends Omit<UsbEngineStatus, 'devices'> {
  /** Every device known to the console (granted through the chooser or handed over by the page). */
  devices: UsbDeviceInfo[];
}

/** Answer of the engine's USB calls: they never reject for expected failures, they say why. */
export type UsbResult = { ok: true; via?: 'worker' | 'page' } | { ok: false; code: UsbErrorCode; message: string };

/** The migration warning of `UsbEngineStatus.migrationWarning`. */
export const USB_MIGRATION_WARNING = 'A virtual machine with redirected USB devices cannot be live-migrated: release the devices before a migration.';

// ---------------------------------------------------------------------------------------------------------
// The device port: a USB device on the page, driven from the worker

/** A USB device's configurations as plain data (WebUSB's USBConfiguration without the live parts). */
export interface UsbConfigurationData {
  configurationValue: number;
  configurationName: string | null;
  interfaces: {
    interfaceNumber: number;
    alternates: {
      alternateSetting: number;
      interfaceClass: number;
      interfaceSubclass: number;
      interfaceProtocol: number;
      interfaceName: string | null;
      endpoints: { endpointNumber: number; direction: 'in' | 'out'; type: 'bulk' | 'interrupt' | 'isochronous'; packetSize: number }[];
    }[];
  }[];
}

/** What changes on a device as it is used; sent back with every answer of the port. */
export interface UsbDeviceDynamicState {
  opened: boolean;
  /** The active configuration's value, or null when unconfigured. */
  configurationValue: number | null;
  /** Interface number → [claimed, current alternate setting]. */
  interfaces: Record<number, [boolean, number]>;
}

/** Everything a device port tells about its device up front. */
export interface UsbDeviceSnapshot {
  usbVersionMajor: number;
  usbVersionMinor: number;
  usbVersionSubminor: number;
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  deviceVersionMajor: number;
  deviceVersionMinor: number;
  deviceVersionSubminor: number;
  manufacturerName: string | null;
  productName: string | null;
  serialNumber: string | null;
  configurations: UsbConfigurationData[];
  state: UsbDeviceDynamicState;
}

/** The USBDevice methods a port forwards. */
export type UsbDeviceMethod =
  | 'open'
  | 'close'
  | 'selectConfiguration'
  | 'claimInterface'
  | 'releaseInterface'
  | 'selectAlternateInterface'
  | 'controlTransferIn'
  | 'controlTransferOut'
  | 'clearHalt'
  | 'transferIn'
  | 'transferOut'
  | 'isochronousTransferIn'
  | 'isochronousTransferOut'
  | 'reset';

/**
 * One forwarded call's outcome. A rejected device call crosses as `{ name, message }` (a DOMException's
 * name such as NotFoundError is what the usbredir host acts on). Transfer results are plain objects.
 */
export type UsbDeviceCallResult =
  { ok: true; value: unknown; state: UsbDeviceDynamicState } | { ok: false; error: { name: string; message: string }; state: UsbDeviceDynamicState };

/**
 * What the page exposes on a device port (comlink over a MessagePort). `watch` resolves once the device is
 * gone from the page (unplugged, or the page let go of it), so the engine can release it in the VM.
 */
export interface UsbDevicePortApi {
  describe(): Promise<UsbDeviceSnapshot>;
  call(method: UsbDeviceMethod, args: unknown[]): Promise<UsbDeviceCallResult>;
  watch(): Promise<'unplugged' | 'closed'>;
}
