/**
 * PageUsbDevice: a `UsbDeviceLike` in the worker whose every call is carried over a MessagePort (comlink)
 * to a USB device object living on the page — a real `USBDevice` the page got from the chooser when the
 * worker's own WebUSB cannot see it, or a test stand-in such as FakeCdcAcmDevice. The page end is
 * src/controllers/usb-device-port.ts; the contract between both is `UsbDevicePortApi` (src/api/usb.ts).
 *
 * UsbHost reads some things synchronously (ids, configurations, the active configuration, `opened`,
 * `claimed`, `alternate`), so the device's description arrives once up front and every answer carries the
 * device's changing state along, which the getters here read. A failed call rejects with an Error that has
 * the page's DOMException name (NotFoundError, AbortError ...), which is what UsbHost acts on.
 */
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { UsbConfigurationData, UsbDeviceDynamicState, UsbDeviceMethod, UsbDevicePortApi, UsbDeviceSnapshot } from '../api/usb.js';
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
} from '../usb/webusb-types.js';

/** How long the page may take to describe its device before the port is given up. */
const DESCRIBE_TIMEOUT_MS = 10_000;

/**
 * The buffer of an OUT transfer's data, to hand over instead of copying, when the view covers all of it.
 * UsbHost gives every OUT transfer a fresh buffer and never touches it again, so moving it is safe.
 */
function whole(data: Uint8Array<ArrayBuffer> | undefined): ArrayBuffer[] {
  return data && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.byteLength > 0 ? [data.buffer] : [];
}

function namedError(name: string, message: string): Error {
  if (typeof DOMException === 'function') return new DOMException(message, name) as unknown as Error;
  return Object.assign(new Error(message), { name });
}

export class PageUsbDevice implements UsbDeviceLike {
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
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  readonly serialNumber: string | null;
  readonly configurations: readonly UsbConfigurationLike[];
  private state: UsbDeviceDynamicState;
  private disposed = false;

  private constructor(
    private readonly remote: Remote<UsbDevicePortApi>,
    private readonly port: MessagePort,
    s: UsbDeviceSnapshot,
  ) {
    this.usbVersionMajor = s.usbVersionMajor;
    this.usbVersionMinor = s.usbVersionMinor;
    this.usbVersionSubminor = s.usbVersionSubminor;
    this.deviceClass = s.deviceClass;
    this.deviceSubclass = s.deviceSubclass;
    this.deviceProtocol = s.deviceProtocol;
    this.vendorId = s.vendorId;
    this.productId = s.productId;
    this.deviceVersionMajor = s.deviceVersionMajor;
    this.deviceVersionMinor = s.deviceVersionMinor;
    this.deviceVersionSubminor = s.deviceVersionSubminor;
    this.manufacturerName = s.manufacturerName;
    this.productName = s.productName;
    this.serialNumber = s.serialNumber;
    this.state = s.state;
    this.configurations = s.configurations.map((c) => this.liveConfiguration(c));
  }

  /** Asks the page end of `port` for its device. Rejects if the page does not answer. */
  static async connect(port: MessagePort, timeoutMs = DESCRIBE_TIMEOUT_MS): Promise<PageUsbDevice> {
    const remote = wrap<UsbDevicePortApi>(port);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const snapshot = await Promise.race([
        remote.describe(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the page did not describe the USB device in time')), timeoutMs);
        }),
      ]);
      return new PageUsbDevice(remote, port, snapshot);
    } catch (e) {
      remote[releaseProxy]();
      port.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  get opened(): boolean {
    return this.state.opened;
  }

  get configuration(): UsbConfigurationLike | null {
    const value = this.state.configurationValue;
    return value === null ? null : (this.configurations.find((c) => c.configurationValue === value) ?? null);
  }

  /** Resolves when the page reports the device gone: unplugged, or the page let go of it. */
  watch(): Promise<'unplugged' | 'closed'> {
    return this.remote.watch();
  }

  /** Ends the port; the page end closes the device if it was opened for us. Calls after this reject. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.remote[releaseProxy]();
    this.port.close();
  }

  open(): Promise<void> {
    return this.call('open', []);
  }
  close(): Promise<void> {
    return this.call('close', []);
  }
  selectConfiguration(configurationValue: number): Promise<void> {
    return this.call('selectConfiguration', [configurationValue]);
  }
  claimInterface(interfaceNumber: number): Promise<void> {
    return this.call('claimInterface', [interfaceNumber]);
  }
  releaseInterface(interfaceNumber: number): Promise<void> {
    return this.call('releaseInterface', [interfaceNumber]);
  }
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    return this.call('selectAlternateInterface', [interfaceNumber, alternateSetting]);
  }
  controlTransferIn(setup: UsbControlTransferParametersLike, length: number): Promise<UsbInTransferResultLike> {
    return this.call('controlTransferIn', [setup, length]);
  }
  controlTransferOut(setup: UsbControlTransferParametersLike, data?: Uint8Array<ArrayBuffer>): Promise<UsbOutTransferResultLike> {
    return this.call('controlTransferOut', data ? [setup, data] : [setup], whole(data));
  }
  clearHalt(direction: UsbDirectionLike, endpointNumber: number): Promise<void> {
    return this.call('clearHalt', [direction, endpointNumber]);
  }
  transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResultLike> {
    return this.call('transferIn', [endpointNumber, length]);
  }
  transferOut(endpointNumber: number, data: Uint8Array<ArrayBuffer>): Promise<UsbOutTransferResultLike> {
    return this.call('transferOut', [endpointNumber, data], whole(data));
  }
  isochronousTransferIn(endpointNumber: number, packetLengths: number[]): Promise<UsbIsochronousInTransferResultLike> {
    return this.call('isochronousTransferIn', [endpointNumber, packetLengths]);
  }
  isochronousTransferOut(endpointNumber: number, data: Uint8Array<ArrayBuffer>, packetLengths: number[]): Promise<UsbIsochronousOutTransferResultLike> {
    return this.call('isochronousTransferOut', [endpointNumber, data, packetLengths], whole(data));
  }
  reset(): Promise<void> {
    return this.call('reset', []);
  }

  /** One forwarded call; `transfers` are handed over rather than copied (see `whole`). */
  private async call<T>(method: UsbDeviceMethod, args: unknown[], transfers: ArrayBuffer[] = []): Promise<T> {
    if (this.disposed) throw namedError('NotFoundError', 'The device was disconnected.');
    const r = await this.remote.call(method, transfers.length ? transfer(args, transfers) : args);
    this.state = r.state;
    if (!r.ok) throw namedError(r.error.name, r.error.message);
    return r.value as T;
  }

  /** A configuration whose interfaces read `claimed` and `alternate` from the latest state. */
  private liveConfiguration(c: UsbConfigurationData): UsbConfigurationLike {
    const interfaces: UsbInterfaceLike[] = c.interfaces.map((itf) => {
      const alternates: UsbAlternateInterfaceLike[] = itf.alternates.map((a) => ({ ...a, endpoints: a.endpoints.map((e) => ({ ...e })) }));
      const state = () => this.state;
      return {
        interfaceNumber: itf.interfaceNumber,
        alternates,
        get claimed() {
          return state().configurationValue === c.configurationValue && (state().interfaces[itf.interfaceNumber]?.[0] ?? false);
        },
        get alternate() {
          const current = state().configurationValue === c.configurationValue ? (state().interfaces[itf.interfaceNumber]?.[1] ?? 0) : 0;
          return alternates.find((a) => a.alternateSetting === current) ?? alternates[0]!;
        },
      };
    });
    return { configurationValue: c.configurationValue, configurationName: c.configurationName, interfaces };
  }
}
