/**
 * The page end of a USB device port: serves a device object that lives on the page — a real `USBDevice`
 * from the browser's chooser, or a stand-in implementing the same interface (FakeCdcAcmDevice in tests) —
 * to the engine worker over a MessagePort with comlink (`UsbDevicePortApi`, src/api/usb.ts). The worker end
 * is PageUsbDevice (src/engine/usb-device-proxy.ts).
 *
 * Results cross as plain objects: WebUSB's result objects are platform objects that structured clone
 * refuses, so their fields are copied out, and their data buffers are transferred, not copied. A call that
 * fails answers `{ name, message }` of its exception. Every answer carries the device's changing state
 * (opened, configuration, claimed interfaces, alternate settings).
 */
import { expose, finalizer, transfer } from 'comlink';
import type { UsbConfigurationData, UsbDeviceCallResult, UsbDeviceDynamicState, UsbDeviceMethod, UsbDevicePortApi, UsbDeviceSnapshot } from '../api/usb.js';
import type { UsbDeviceLike } from '../usb/webusb-types.js';

export interface UsbDevicePortHandle {
  /** The engine's end of the port: hand it over with comlink's `transfer`. */
  readonly port: MessagePort;
  /** Tells the engine the device was unplugged (it releases it in the VM). */
  unplugged(): void;
  /** Ends the port: the engine is told the page let go, and the device is closed if it was opened through the port. */
  dispose(): Promise<void>;
}

const METHODS: ReadonlySet<UsbDeviceMethod> = new Set<UsbDeviceMethod>([
  'open',
  'close',
  'selectConfiguration',
  'claimInterface',
  'releaseInterface',
  'selectAlternateInterface',
  'controlTransferIn',
  'controlTransferOut',
  'clearHalt',
  'transferIn',
  'transferOut',
  'isochronousTransferIn',
  'isochronousTransferOut',
  'reset',
]);

/** The device's description as plain data. */
export function usbDeviceSnapshot(device: UsbDeviceLike): UsbDeviceSnapshot {
  return {
    usbVersionMajor: device.usbVersionMajor,
    usbVersionMinor: device.usbVersionMinor,
    usbVersionSubminor: device.usbVersionSubminor,
    deviceClass: device.deviceClass,
    deviceSubclass: device.deviceSubclass,
    deviceProtocol: device.deviceProtocol,
    vendorId: device.vendorId,
    productId: device.productId,
    deviceVersionMajor: device.deviceVersionMajor,
    deviceVersionMinor: device.deviceVersionMinor,
    deviceVersionSubminor: device.deviceVersionSubminor,
    manufacturerName: device.manufacturerName ?? null,
    productName: device.productName ?? null,
    serialNumber: device.serialNumber ?? null,
    configurations: device.configurations.map((c): UsbConfigurationData => ({
      configurationValue: c.configurationValue,
      configurationName: c.configurationName ?? null,
      interfaces: c.interfaces.map((itf) => ({
        interfaceNumber: itf.interfaceNumber,
        alternates: itf.alternates.map((a) => ({
          alternateSetting: a.alternateSetting,
          interfaceClass: a.interfaceClass,
          interfaceSubclass: a.interfaceSubclass,
          interfaceProtocol: a.interfaceProtocol,
          interfaceName: a.interfaceName ?? null,
          endpoints: a.endpoints.map((e) => ({ endpointNumber: e.endpointNumber, direction: e.direction, type: e.type, packetSize: e.packetSize })),
        })),
      })),
    })),
    state: dynamicState(device),
  };
}

function dynamicState(device: UsbDeviceLike): UsbDeviceDynamicState {
  const config = device.configuration ?? null;
  const interfaces: Record<number, [boolean, number]> = {};
  for (const itf of config?.interfaces ?? []) interfaces[itf.interfaceNumber] = [itf.claimed, itf.alternate?.alternateSetting ?? 0];
  return { opened: device.opened, configurationValue: config?.configurationValue ?? null, interfaces };
}

/** A DataView's bytes in a buffer of their own (to transfer), and that buffer. */
function ownView(data: DataView | null | undefined, transfers: ArrayBuffer[]): DataView | null {
  if (!data) return null;
  const copy = new Uint8Array(data.byteLength);
  copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  transfers.push(copy.buffer);
  return new DataView(copy.buffer);
}

/** A transfer result as a plain object (WebUSB's own result objects cannot be cloned). */
function plainResult(method: UsbDeviceMethod, value: unknown, transfers: ArrayBuffer[]): unknown {
  const r = value as Record<string, unknown> | undefined;
  if (!r) return undefined;
  switch (method) {
    case 'controlTransferIn':
    case 'transferIn':
      return { status: r.status, data: ownView(r.data as DataView | null | undefined, transfers) };
    case 'controlTransferOut':
    case 'transferOut':
      return { status: r.status, bytesWritten: r.bytesWritten };
    case 'isochronousTransferIn':
      return {
        data: null,
        packets: (r.packets as { status?: string; data?: DataView | null }[]).map((p) => ({ status: p.status, data: ownView(p.data, transfers) })),
      };
    case 'isochronousTransferOut':
      return { packets: (r.packets as { status?: string; bytesWritten: number }[]).map((p) => ({ status: p.status, bytesWritten: p.bytesWritten })) };
    default:
      return undefined;
  }
}

/** Serves `device` on a new MessageChannel; returns the engine's end and the controls of the page's. */
export function openUsbDevicePort(device: UsbDeviceLike): UsbDevicePortHandle {
  const channel = new MessageChannel();
  let settleGone: (why: 'unplugged' | 'closed') => void = () => {};
  const gone = new Promise<'unplugged' | 'closed'>((resolve) => (settleGone = resolve));
  let openedHere = false;
  let ended = false;

  const closeIfOurs = async () => {
    if (!openedHere || !device.opened) return;
    openedHere = false;
    try {
      await device.close();
    } catch {
      // Unplugged or closing already.
    }
  };

  const api: UsbDevicePortApi & { [finalizer](): void } = {
    async describe() {
      return usbDeviceSnapshot(device);
    },
    async call(method, args): Promise<UsbDeviceCallResult> {
      if (ended || !METHODS.has(method)) {
        return {
          ok: false,
          error: { name: ended ? 'NotFoundError' : 'NotSupportedError', message: ended ? 'The device was disconnected.' : `no method ${method}` },
          state: dynamicState(device),
        };
      }
      try {
        const value = await (device[method] as (...a: unknown[]) => Promise<unknown>).apply(device, args);
        if (method === 'open') openedHere = true;
        if (method === 'close') openedHere = false;
        const transfers: ArrayBuffer[] = [];
        const result: UsbDeviceCallResult = { ok: true, value: plainResult(method, value, transfers), state: dynamicState(device) };
        return transfers.length ? transfer(result, transfers) : result;
      } catch (e) {
        const error = e as { name?: unknown; message?: unknown };
        return { ok: false, error: { name: typeof error?.name === 'string' ? error.name : 'Error', message: String(error?.message ?? e) }, state: dynamicState(device) };
      }
    },
    watch() {
      return gone;
    },
    // comlink calls this when the engine releases its proxy (device given back, session over).
    [finalizer]() {
      ended = true;
      settleGone('closed');
      void closeIfOurs();
    },
  };
  expose(api, channel.port1);

  return {
    port: channel.port2,
    unplugged() {
      settleGone('unplugged');
    },
    async dispose() {
      if (ended) return;
      ended = true;
      settleGone('closed');
      // Give the engine a moment to act on `watch` before the port goes.
      await new Promise((r) => setTimeout(r, 0));
      channel.port1.close();
      await closeIfOurs();
    },
  };
}
