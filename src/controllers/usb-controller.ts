/**
 * UsbController: the page side of USB redirection for one <spice-console>. It keeps the list of USB devices
 * the console knows — the ones the page was granted (navigator.usb.getDevices(), the chooser behind
 * requestDevice(), later `connect` events) and stand-ins the page hands over (test devices) — under keys
 * the engine worker can compute too (src/usb/device-key.ts), and merges their states with the engine's
 * `usb` events into one `UsbStatus`.
 *
 * Redirecting a device asks the engine with the device's key and a device port (usb-device-port.ts): the
 * engine drives the device with its worker's own WebUSB when that sees it (Chromium), else through the port.
 * The page checks the console's own filter (`usb-filter`) first; the engine checks the VM's. Devices that
 * match `usb-auto-redirect-filter` are redirected by themselves once USB is available and when they appear.
 * A device unplugged from this computer (navigator.usb `disconnect`, or a stand-in's own `disconnect`
 * event) is released in the VM.
 *
 * USB is unavailable, with a reason, when the console's mode is not `native`, when the browser has no WebUSB
 * (Firefox, Safari) or no secure context, while not connected, and while the VM offers no usbredir channel.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { transfer } from 'comlink';
import type { EngineEvent } from '../api/engine-api.js';
import { UsbErrorCode, type UsbDeviceInfo, type UsbDeviceStatus, type UsbEngineStatus, type UsbMode, type UsbStatus } from '../api/usb.js';
import type { ConnectOptions } from '../api/types.js';
import { usbDeviceKeyBase } from '../usb/device-key.js';
import { usbFilterInfoFromDevice } from '../usb/usbredir-filter.js';
import { checkDevice, parseUsbFilter, webUsbRequestFilters, type UsbFilterRule } from '../usb/usbredir-filter.js';
import type { UsbDeviceLike } from '../usb/webusb-types.js';
import type { EngineController } from './engine-controller.js';
import { openUsbDevicePort, type UsbDevicePortHandle } from './usb-device-port.js';

/** The part of the page's `navigator.usb` the controller uses. */
export interface PageWebUsb {
  getDevices(): Promise<UsbDeviceLike[]>;
  requestDevice(options: { filters: object[]; exclusionFilters?: object[] }): Promise<UsbDeviceLike>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: Event & { device?: UsbDeviceLike }) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (event: Event & { device?: UsbDeviceLike }) => void): void;
}

/** An error of the USB calls: `code` is one of UsbErrorCode. */
export interface UsbError extends Error {
  code: UsbErrorCode;
}

export function usbError(code: UsbErrorCode, message: string): UsbError {
  return Object.assign(new Error(message), { name: 'UsbError', code });
}

export interface UsbControllerOptions {
  engine: EngineController;
  mode(): UsbMode;
  /** The console's `usb-filter`: what may be redirected (empty: anything the VM takes). */
  filter(): string;
  /** The console's `usb-auto-redirect-filter`: what is redirected by itself (empty: nothing). */
  autoRedirectFilter(): string;
  /** Every change of the status (not called for repeats). */
  changed(status: UsbStatus): void;
  /** The page's WebUSB; default navigator.usb (null: the browser has none). */
  webusb?: PageWebUsb | null;
}

interface PageDevice {
  key: string;
  device: UsbDeviceLike;
  /** The state while the engine reports none for the device: not redirected yet, refused here, or unplugged. */
  local: { state: 'available' | 'redirecting' | 'refused' | 'lost'; reason?: string };
  port?: UsbDevicePortHandle;
  unlisten?: () => void;
}

function pageWebUsb(): PageWebUsb | null {
  const usb = (globalThis.navigator as { usb?: PageWebUsb } | undefined)?.usb;
  return usb && typeof usb.requestDevice === 'function' ? usb : null;
}

export class UsbController implements ReactiveController {
  private readonly webusb: PageWebUsb | null;
  private readonly devices: PageDevice[] = [];
  private engineStatus: UsbEngineStatus | null = null;
  private connected = false;
  /** Device ports of an ended session still closing (see sessionEnded). */
  private closing: Promise<void> = Promise.resolve();
  private lastEmitted = '';
  /** Devices auto-redirect already tried this session (a refused device is not retried in a loop). */
  private readonly autoTried = new Set<string>();
  private readonly onConnect = (event: Event & { device?: UsbDeviceLike }) => {
    if (event.device) this.addDevice(event.device);
  };
  private readonly onDisconnect = (event: Event & { device?: UsbDeviceLike }) => {
    if (event.device) this.deviceGone(event.device);
  };

  constructor(
    host: ReactiveControllerHost,
    private readonly options: UsbControllerOptions,
  ) {
    this.webusb = options.webusb === undefined ? pageWebUsb() : options.webusb;
    host.addController(this);
  }

  hostConnected(): void {
    if (!this.webusb) return;
    this.webusb.addEventListener('connect', this.onConnect);
    this.webusb.addEventListener('disconnect', this.onDisconnect);
    void this.webusb.getDevices().then(
      (list) => list.forEach((d) => this.addDevice(d)),
      () => undefined,
    );
  }

  hostDisconnected(): void {
    this.webusb?.removeEventListener('connect', this.onConnect);
    this.webusb?.removeEventListener('disconnect', this.onDisconnect);
  }

  /** Why USB cannot be used now, or undefined. */
  unavailableReason(): string | undefined {
    const mode = this.options.mode();
    if (mode === 'legacy') {
      return 'Legacy USB redirection needs a separate USB-over-network client, which a browser cannot run: this console supports usb="native" (SPICE USB redirection)';
    }
    if (mode !== 'native') return 'USB redirection is turned off for this console (usb="disabled")';
    if (!this.webusb) {
      return globalThis.isSecureContext === false
        ? 'WebUSB needs a secure context: serve the page over https (or from localhost)'
        : 'This browser has no WebUSB (Firefox and Safari do not implement it): USB redirection needs a Chromium-based browser such as Chrome or Edge';
    }
    if (!this.connected || !this.engineStatus) return 'Not connected';
    if (!this.engineStatus.available) return this.engineStatus.reason ?? 'USB redirection is unavailable';
    return undefined;
  }

  /** What the engine is told at connect(): link usbredir channels only when USB can be used at all. */
  engineOptions(): NonNullable<ConnectOptions['usb']> {
    const mode = this.options.mode();
    const off = mode !== 'native' || !this.webusb;
    return off ? { mode: 'disabled', disabledReason: this.unavailableReason() ?? 'USB redirection is turned off' } : { mode: 'native' };
  }

  get status(): UsbStatus {
    const reason = this.unavailableReason();
    const e = this.engineStatus;
    return {
      available: reason === undefined,
      ...(reason !== undefined ? { reason } : {}),
      channels: this.connected && e ? { ...e.channels } : { total: 0, free: 0 },
      devices: this.devices.map((d) => this.info(d)),
      ...(this.connected && e?.migrationWarning ? { migrationWarning: e.migrationWarning } : {}),
      ...(this.connected && e?.guestFilter !== undefined ? { guestFilter: e.guestFilter } : {}),
    };
  }

  /** The console starts a session. */
  sessionStarting(): void {
    this.connected = true;
    this.engineStatus = null;
    this.autoTried.clear();
    for (const d of this.devices) if (d.local.state !== 'lost') d.local = { state: 'available' };
    this.emit();
  }

  /**
   * The console's session ended: every device is the page's again. Device ports are closed once `engineDone`
   * settles (the engine's disconnect), not before: until then the engine still answers the guest's pending
   * requests through them and sends device_disconnect, instead of seeing its devices vanish and re-linking
   * their channels while the session ends.
   */
  sessionEnded(engineDone: Promise<unknown> = Promise.resolve()): void {
    this.connected = false;
    this.engineStatus = null;
    const ports: UsbDevicePortHandle[] = [];
    for (const d of this.devices) {
      if (d.port) ports.push(d.port);
      d.port = undefined;
      if (d.local.state === 'redirecting') d.local = { state: 'available' };
    }
    this.emit();
    if (!ports.length) return;
    const closed = engineDone
      .catch(() => {})
      .then(() => Promise.all(ports.map((p) => p.dispose())))
      .then(() => {});
    // A redirect into the next session waits for these ports: one closing late would close the device under it.
    this.closing = Promise.all([this.closing, closed]).then(() => {});
  }

  /** Engine events: `usb` carries the engine's view. */
  handle(event: EngineEvent): void {
    if (event.type !== 'usb') return;
    const { type: _type, ...status } = event;
    const wasAvailable = this.unavailableReason() === undefined;
    this.engineStatus = status;
    for (const d of this.devices) if (d.local.state === 'redirecting' && this.engineDevice(d.key)) d.local = { state: 'available' };
    this.emit();
    if (!wasAvailable && this.unavailableReason() === undefined) this.autoRedirect();
  }

  /** Before each render of the console: its mode or filters may have changed the status. */
  hostUpdate(): void {
    this.emit();
  }

  /**
   * Opens the browser's USB device chooser (it needs a user gesture: call this from a click handler),
   * offering what `usb-filter` allows, and adds the chosen device. Rejects with code `usb-cancelled` when
   * nothing was chosen.
   */
  async requestDevice(): Promise<UsbDeviceInfo> {
    const reason = this.unavailableReason();
    if (reason !== undefined) throw usbError(UsbErrorCode.Unavailable, reason);
    const { filters, exclusionFilters } = webUsbRequestFilters(this.rules(this.options.filter(), 'usb-filter') ?? []);
    let device: UsbDeviceLike;
    try {
      device = await this.webusb!.requestDevice(exclusionFilters.length ? { filters, exclusionFilters } : { filters });
    } catch (e) {
      const name = (e as Error)?.name;
      if (name === 'NotFoundError') throw usbError(UsbErrorCode.Cancelled, 'no USB device was chosen');
      if (name === 'SecurityError') {
        throw usbError(UsbErrorCode.Failed, 'the USB device chooser opens only from a user action such as a click');
      }
      throw usbError(UsbErrorCode.Failed, `the USB device chooser failed: ${(e as Error)?.message ?? e}`);
    }
    return this.addDevice(device);
  }

  /**
   * Adds a device the page has: a `USBDevice`, or a stand-in implementing the same calls. A stand-in that is
   * an EventTarget may fire `disconnect` on itself when it goes away.
   */
  addDevice(device: UsbDeviceLike): UsbDeviceInfo {
    const known = this.devices.find((d) => d.device === device);
    if (known) return this.info(known);
    const base = usbDeviceKeyBase(device);
    // A device plugged in again comes back as a new object: it takes the place of its lost entry.
    const lost = this.devices.find((d) => d.local.state === 'lost' && d.key.startsWith(`${base}#`) && !this.active(d.key));
    let entry: PageDevice;
    if (lost) {
      lost.unlisten?.();
      lost.device = device;
      lost.local = { state: 'available' };
      entry = lost;
    } else {
      const used = new Set(this.devices.filter((d) => d.local.state !== 'lost').map((d) => d.key));
      let n = 0;
      while (used.has(`${base}#${n}`) || this.devices.some((d) => d.key === `${base}#${n}`)) n++;
      entry = { key: `${base}#${n}`, device, local: { state: 'available' } };
      this.devices.push(entry);
    }
    const target = device as Partial<EventTarget>;
    if (typeof target.addEventListener === 'function' && typeof target.removeEventListener === 'function') {
      const listener = () => this.deviceGone(device);
      target.addEventListener('disconnect', listener);
      entry.unlisten = () => target.removeEventListener!('disconnect', listener);
    }
    this.emit();
    this.autoRedirect();
    return this.info(entry);
  }

  /** Redirects the device `key` into the VM. Resolves with its info once the VM was told about it. */
  async redirect(key: string): Promise<UsbDeviceInfo> {
    await this.closing;
    const reason = this.unavailableReason();
    if (reason !== undefined) throw usbError(UsbErrorCode.Unavailable, reason);
    const entry = this.devices.find((d) => d.key === key);
    if (!entry || entry.local.state === 'lost') throw usbError(UsbErrorCode.NotFound, `no USB device ${key} on this computer`);
    const rules = this.rules(this.options.filter(), 'usb-filter');
    if (rules && rules.length) {
      const verdict = checkDevice(rules, usbFilterInfoFromDevice(entry.device));
      if (!verdict.allowed) {
        entry.local = { state: 'refused', reason: `not allowed by this console's USB filter: ${verdict.reason}` };
        this.emit();
        throw usbError(UsbErrorCode.Refused, entry.local.reason!);
      }
    }
    const api = this.options.engine.api;
    if (!api) throw usbError(UsbErrorCode.Unavailable, 'Not connected');
    void entry.port?.dispose();
    const port = openUsbDevicePort(entry.device);
    entry.port = port;
    if (!this.active(key)) {
      entry.local = { state: 'redirecting' };
      this.emit();
    }
    let result;
    try {
      result = await api.redirectUsb(key, transfer(port.port, [port.port]));
    } catch (e) {
      result = { ok: false as const, code: UsbErrorCode.Failed, message: `the engine failed: ${(e as Error)?.message ?? e}` };
    }
    if (entry.local.state === 'redirecting') entry.local = { state: 'available' };
    if (!result.ok || result.via === 'worker') {
      if (entry.port === port) entry.port = undefined;
      void port.dispose();
    }
    this.emit();
    if (!result.ok) throw usbError(result.code, result.message);
    return this.info(entry);
  }

  /** Gives the device `key` back to this computer. */
  async release(key: string): Promise<void> {
    const reason = this.unavailableReason();
    const api = this.options.engine.api;
    if (!api || (reason !== undefined && !this.active(key))) throw usbError(UsbErrorCode.Unavailable, reason ?? 'Not connected');
    const result = await api.releaseUsb(key);
    const entry = this.devices.find((d) => d.key === key);
    if (entry?.local.state === 'refused') entry.local = { state: 'available' };
    this.emit();
    if (!result.ok) throw usbError(result.code, result.message);
  }

  // -------------------------------------------------------------------------------------------------------

  private engineDevice(key: string): UsbDeviceStatus | undefined {
    return this.connected ? this.engineStatus?.devices.find((d) => d.key === key) : undefined;
  }

  /** The engine is redirecting or has redirected the device. */
  private active(key: string): boolean {
    const s = this.engineDevice(key)?.state;
    return s === 'redirecting' || s === 'redirected';
  }

  private info(d: PageDevice): UsbDeviceInfo {
    const dev = d.device;
    const engine = this.engineDevice(d.key);
    // Unplugged here, or refused by the console's own filter, wins over what the engine said last.
    const status: UsbDeviceStatus =
      d.local.state === 'lost' || d.local.state === 'refused' || d.local.state === 'redirecting' || !engine
        ? { key: d.key, state: d.local.state, ...(d.local.reason !== undefined ? { reason: d.local.reason } : {}) }
        : { ...engine };
    return {
      ...status,
      vendorId: dev.vendorId,
      productId: dev.productId,
      deviceClass: dev.deviceClass,
      ...(dev.productName ? { productName: dev.productName } : {}),
      ...(dev.manufacturerName ? { manufacturerName: dev.manufacturerName } : {}),
      ...(dev.serialNumber ? { serialNumber: dev.serialNumber } : {}),
    };
  }

  private deviceGone(device: UsbDeviceLike): void {
    const entry = this.devices.find((d) => d.device === device);
    if (!entry) return;
    entry.local = { state: 'lost', reason: 'the device was unplugged' };
    entry.port?.unplugged();
    this.emit();
  }

  /** Parses a filter attribute; a malformed one is reported and treated as absent. */
  private rules(text: string, what: string): UsbFilterRule[] | undefined {
    if (!text.trim()) return undefined;
    try {
      return parseUsbFilter(text);
    } catch (e) {
      console.warn(`spice-console: ignoring ${what}: ${(e as Error).message}`);
      return undefined;
    }
  }

  private autoRedirect(): void {
    if (this.unavailableReason() !== undefined) return;
    const rules = this.rules(this.options.autoRedirectFilter(), 'usb-auto-redirect-filter');
    if (!rules?.length) return;
    for (const d of this.devices) {
      if (this.autoTried.has(d.key) || d.local.state !== 'available' || this.engineDevice(d.key)) continue;
      if (!checkDevice(rules, usbFilterInfoFromDevice(d.device)).allowed) continue;
      this.autoTried.add(d.key);
      this.redirect(d.key).catch(() => undefined); // the outcome shows in the device's state
    }
  }

  private emit(): void {
    const status = this.status;
    const text = JSON.stringify(status);
    if (text === this.lastEmitted) return;
    this.lastEmitted = text;
    this.options.changed(status);
  }
}
