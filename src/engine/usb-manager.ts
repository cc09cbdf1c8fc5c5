/**
 * UsbManager: USB redirection of one session. It keeps the session's usbredir channels as slots (one device
 * per channel; QEMU gives one channel per usb-redir device, oVirt 4 by default, 6 at most), puts a device on
 * a free slot when the page asks, follows each device's UsbHost through its life, and reports everything
 * as `usb` events: whether USB is available and why not, the slots, every device's state, the VM's own
 * filter and, after the first redirect, the live-migration warning.
 *
 * USB is unavailable while the page turned it off, before the session is connected, and while the server
 * offers no usbredir channel (Xspice, a VM without usb-redir devices); a channel announced later by a
 * CHANNELS_LIST turns it on as soon as it links.
 *
 * A slot whose device ended (released, refused, unplugged) is re-linked before it takes the next device:
 * QEMU answers one hello per chardev connection (see usbredir-channel.ts). A re-link the server refuses
 * because it has not yet seen the old link close is retried a few times.
 */
import type { EngineEvent } from '../api/engine-api.js';
import { USB_MIGRATION_WARNING, UsbErrorCode, type UsbDeviceStatus, type UsbEngineStatus, type UsbResult } from '../api/usb.js';
import type { UsbHost, UsbHostEvent } from '../usb/host/index.js';
import { usbFilterInfoFromDevice } from '../usb/usbredir-filter.js';
import { checkDevice, serializeUsbFilter, type UsbFilterRule } from '../usb/usbredir-filter.js';
import type { UsbredirChannel, UsbredirChannelEvents } from './channels/usbredir-channel.js';
import { createUsbDeviceSource, type UsbDeviceHandle, type UsbDeviceSource } from './usb-devices.js';

export interface UsbManagerHooks {
  emit(event: EngineEvent): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** Closes `channel` and links a fresh channel of the same id in its place (which the session adds here). */
  relink(channel: UsbredirChannel): void;
}

export interface UsbManagerOptions {
  /** `disabled`: no usbredir channel is linked and USB reports unavailable with `disabledReason`. */
  mode?: 'native' | 'disabled';
  disabledReason?: string;
  /** Where devices come from (default: the worker's WebUSB, else the page's device port). */
  source?: UsbDeviceSource;
  /** How long the VM may take to take a device before it is given back, in ms (default 20000). */
  attachTimeoutMs?: number;
  /**
   * After device_connect, how long a VM that neither uses nor rejects the device counts as having taken it,
   * in ms (default 1000; a paused VM or a guest without a driver sends nothing).
   */
  acceptGraceMs?: number;
  /** Re-link attempts per slot the server may refuse in a row before the slot is given up (default 5). */
  maxRelinkAttempts?: number;
}

type SlotPhase = 'linking' | 'linked' | 'relinking' | 'gone';

interface Slot {
  id: number;
  channel: UsbredirChannel;
  phase: SlotPhase;
  /** A channel being replaced: its close is expected. */
  retiring?: UsbredirChannel;
  /** Key of a device whose redirect is opening it for this slot. */
  reservedBy?: string;
  /** Failed re-links in a row. */
  relinkFailures: number;
}

interface DeviceEntry {
  status: UsbDeviceStatus;
  host?: UsbHost;
  slot?: Slot;
  handle?: UsbDeviceHandle;
  timer?: ReturnType<typeof setTimeout>;
  /** QEMU answers a device_connect it does not allow with filter_reject: until it uses the device or a
   * grace period passed, the device stays `redirecting`. */
  graceTimer?: ReturnType<typeof setTimeout>;
  waiters: ((result: UsbResult) => void)[];
}

const fail = (code: UsbErrorCode, message: string): UsbResult => ({ ok: false, code, message });

export class UsbManager {
  private readonly slots = new Map<number, Slot>();
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly source: UsbDeviceSource;
  private guestRules: UsbFilterRule[] | undefined;
  private guestFilterText: string | undefined;
  private migrationWarning = false;
  private started = false;
  private ended = false;

  constructor(
    private readonly hooks: UsbManagerHooks,
    private readonly options: UsbManagerOptions = {},
  ) {
    this.source = options.source ?? createUsbDeviceSource();
  }

  /** Whether usbredir channels should be linked at all. */
  get enabled(): boolean {
    return (this.options.mode ?? 'native') === 'native';
  }

  /** What every usbredir channel of the session reports to the manager (given to it when it is made). */
  readonly channelEvents: UsbredirChannelEvents = {
    linked: (c) => this.onLinked(c),
    closed: (c) => this.onClosed(c),
    log: (level, message) => this.hooks.log(level, message),
  };

  /**
   * A usbredir channel the session made (see channels/registry.ts), the first of its id or the replacement
   * of a re-link: it becomes the slot of its id.
   */
  addChannel(channel: UsbredirChannel): void {
    const id = channel.id;
    const slot = this.slots.get(id);
    if (slot) slot.channel = channel;
    else this.slots.set(id, { id, channel, phase: 'linking', relinkFailures: 0 });
  }

  /** The session is connected: report USB from now on. */
  start(): void {
    if (this.started || this.ended) return;
    this.started = true;
    this.emitStatus();
  }

  /** The session ended: every device is let go (the channels are closed by the session). */
  shutdown(): void {
    if (this.ended) return;
    this.ended = true;
    for (const entry of this.devices.values()) {
      // A host lets go of its device port once it closed the device (see finish()).
      if (entry.host) void entry.host.release('the session ended', { silent: true });
      else entry.handle?.dispose();
      clearTimeout(entry.timer);
      clearTimeout(entry.graceTimer);
      this.settle(entry, fail(UsbErrorCode.Unavailable, 'the session ended'));
    }
  }

  /** Why USB cannot be used now, or undefined when it can. */
  unavailableReason(): string | undefined {
    if (!this.enabled) return this.options.disabledReason ?? 'USB redirection is turned off for this console';
    if (this.ended) return 'not connected';
    if (!this.started) return 'not connected yet';
    if (this.liveSlots().length === 0) {
      if (this.slots.size === 0) return 'The connected VM is not configured for USB redirection: the server offers no usbredir channel';
      if ([...this.slots.values()].some((s) => s.phase === 'linking')) return "The VM's USB channels are being linked";
      return "The VM's USB channels could not be linked or have closed";
    }
    return undefined;
  }

  status(): UsbEngineStatus {
    const reason = this.unavailableReason();
    const live = this.liveSlots();
    return {
      available: reason === undefined,
      ...(reason !== undefined ? { reason } : {}),
      channels: { total: live.length, free: live.filter((s) => this.isFree(s)).length },
      devices: [...this.devices.values()].map((e) => ({ ...e.status })),
      ...(this.migrationWarning ? { migrationWarning: USB_MIGRATION_WARNING } : {}),
      ...(this.guestFilterText !== undefined ? { guestFilter: this.guestFilterText } : {}),
    };
  }

  /**
   * Redirects the device `key` into the VM on a free usbredir channel. Resolves once the VM was told about
   * the device (`ok`), or with why not: unavailable, no free channel, not found, refused by the VM's
   * filter, or failed. `port` is the page's device port, used when the worker's own WebUSB lacks the device.
   */
  async redirect(key: string, port?: MessagePort): Promise<UsbResult> {
    const unavailable = this.unavailableReason();
    if (unavailable !== undefined) {
      port?.close();
      return fail(UsbErrorCode.Unavailable, unavailable);
    }
    const existing = this.devices.get(key);
    if (existing?.host || existing?.status.state === 'redirecting') {
      port?.close();
      if (existing.status.state === 'redirected') return { ok: true, ...(existing.status.via ? { via: existing.status.via } : {}) };
      return new Promise((resolve) => existing.waiters.push(resolve));
    }
    let slot = this.freeSlot();
    if (!slot) {
      port?.close();
      return fail(UsbErrorCode.NoFreeChannel, this.noFreeChannelText());
    }
    slot.reservedBy = key;
    const entry: DeviceEntry = existing ?? { status: { key, state: 'redirecting' }, waiters: [] };
    entry.status = { key, state: 'redirecting', channelId: slot.id };
    this.devices.set(key, entry);
    this.migrationWarning = true;
    this.emitStatus();

    let handle: UsbDeviceHandle | undefined;
    let openError: string | undefined;
    try {
      handle = await this.source.open(key, port);
    } catch (e) {
      openError = (e as Error)?.message ?? String(e);
    }
    slot.reservedBy = undefined;
    /** Ends the redirect before a host was attached. */
    const abandon = (result: UsbResult, status?: UsbDeviceStatus): UsbResult => {
      handle?.dispose();
      if (status) entry.status = status;
      else this.devices.delete(key);
      this.settle(entry, result);
      this.emitStatus();
      return result;
    };
    if (this.ended) return abandon(fail(UsbErrorCode.Unavailable, 'the session ended'));
    if (!handle) {
      return abandon(
        openError !== undefined
          ? fail(UsbErrorCode.Failed, `cannot reach the device: ${openError}`)
          : fail(UsbErrorCode.NotFound, `no USB device ${key} is available to this browser`),
      );
    }
    entry.status.via = handle.via;

    if (this.guestRules) {
      const verdict = checkDevice(this.guestRules, usbFilterInfoFromDevice(handle.device));
      if (!verdict.allowed) {
        const reason = `blocked by the VM's USB filter: ${verdict.reason}`;
        return abandon(fail(UsbErrorCode.Refused, reason), { key, state: 'refused', reason, via: handle.via });
      }
    }
    // The slot may have closed while the device was opening.
    if (!slot.channel.free || slot.phase !== 'linked') {
      const other = this.freeSlot();
      if (!other) return abandon(fail(UsbErrorCode.NoFreeChannel, this.noFreeChannelText()));
      slot = other;
    }

    const result = new Promise<UsbResult>((resolve) => entry.waiters.push(resolve));
    const ticket: { host?: UsbHost } = {};
    entry.slot = slot;
    entry.handle = handle;
    entry.status.channelId = slot.id;
    const host = slot.channel.attach(handle.device, { onEvent: (e) => this.onHostEvent(entry, ticket, e) });
    ticket.host = host;
    entry.host = host;
    const h = handle;
    void h.gone.then(({ lost, reason }) => {
      if (entry.host !== host) return;
      if (lost) host.notifyDisconnected();
      else void host.release(reason);
    });
    const timeout = this.options.attachTimeoutMs ?? 20_000;
    entry.timer = setTimeout(() => {
      if (entry.host === host && host.state === 'connecting') void host.release(`the VM did not take the device within ${timeout / 1000} s`);
    }, timeout);
    this.emitStatus();
    return result;
  }

  /** Gives the device `key` back: device_disconnect to the VM, device closed. Resolves when done. */
  async release(key: string): Promise<UsbResult> {
    const entry = this.devices.get(key);
    if (!entry?.host) {
      if (entry && entry.status.state !== 'redirecting') {
        // Forget a refused or lost device: it is no longer the engine's business.
        this.devices.delete(key);
        this.emitStatus();
      }
      return { ok: true };
    }
    await entry.host.release();
    return { ok: true };
  }

  /** Stream bytes moved per linked channel (diagnostics, benchmarks). */
  traffic(): { channelId: number; bytesIn: number; bytesOut: number }[] {
    return [...this.slots.values()].map((s) => ({ channelId: s.id, bytesIn: s.channel.bytesIn, bytesOut: s.channel.bytesOut }));
  }

  // -------------------------------------------------------------------------------------------------------

  private liveSlots(): Slot[] {
    return [...this.slots.values()].filter((s) => s.phase === 'linked' || s.phase === 'relinking').sort((a, b) => a.id - b.id);
  }

  private isFree(slot: Slot): boolean {
    return slot.phase === 'linked' && slot.channel.free && slot.reservedBy === undefined;
  }

  private freeSlot(): Slot | undefined {
    return this.liveSlots().find((s) => this.isFree(s));
  }

  private noFreeChannelText(): string {
    const live = this.liveSlots();
    const busy = live.filter((s) => s.phase === 'relinking').length;
    return busy && busy === live.filter((s) => !this.isFree(s)).length
      ? 'the USB channels are being reset after a device left: try again in a moment'
      : `there are no free USB channels: the VM takes ${live.length} device${live.length === 1 ? '' : 's'} at once; release one first`;
  }

  private onLinked(channel: UsbredirChannel): void {
    const slot = this.slots.get(channel.id);
    if (!slot || slot.channel !== channel) return;
    slot.phase = 'linked';
    slot.relinkFailures = 0;
    this.emitStatus();
  }

  private onClosed(channel: UsbredirChannel): void {
    const slot = this.slots.get(channel.id);
    if (!slot || this.ended) return;
    if (slot.retiring === channel) {
      slot.retiring = undefined;
      return;
    }
    if (slot.channel !== channel) return;
    if (slot.phase === 'relinking' && !channel.wasLinked && slot.relinkFailures < (this.options.maxRelinkAttempts ?? 5)) {
      // Refused while the server still held the old link: try again shortly.
      slot.relinkFailures++;
      setTimeout(() => this.relink(slot), 100 * slot.relinkFailures);
      return;
    }
    slot.phase = 'gone';
    this.emitStatus();
  }

  private relink(slot: Slot): void {
    if (this.ended) return;
    slot.phase = 'relinking';
    if (!slot.channel.closed) slot.retiring = slot.channel;
    this.hooks.relink(slot.channel);
  }

  private onHostEvent(entry: DeviceEntry, ticket: { host?: UsbHost }, event: UsbHostEvent): void {
    if (event.type === 'warning') {
      this.hooks.log('warn', `USB device ${entry.status.key}: ${event.message}`);
      return;
    }
    const host = ticket.host;
    if (!host || entry.host !== host) return; // attach() is still running, or an older host of this device
    if (event.type === 'in-use') {
      this.accepted(entry, host);
      return;
    }
    switch (event.state) {
      case 'connected':
        clearTimeout(entry.timer);
        this.learnGuestFilter(host);
        entry.graceTimer = setTimeout(() => this.accepted(entry, host), this.options.acceptGraceMs ?? 1000);
        return;
      case 'refused':
      case 'released':
      case 'lost':
        this.finish(entry, host, event.state, event.reason);
        return;
      default:
        return;
    }
  }

  /** The VM took the device: it used it, or did not reject it in time. */
  private accepted(entry: DeviceEntry, host: UsbHost): void {
    if (entry.host !== host || entry.status.state !== 'redirecting' || host.state !== 'connected') return;
    clearTimeout(entry.graceTimer);
    entry.status = { ...entry.status, state: 'redirected' };
    delete entry.status.reason;
    this.learnGuestFilter(host);
    this.settle(entry, { ok: true, ...(entry.status.via ? { via: entry.status.via } : {}) });
    this.emitStatus();
  }

  /** The device's host ended: record why, free and re-link its slot. */
  private finish(entry: DeviceEntry, host: UsbHost, state: 'refused' | 'released' | 'lost', reason: string | undefined): void {
    const slot = entry.slot;
    this.learnGuestFilter(host);
    clearTimeout(entry.timer);
    clearTimeout(entry.graceTimer);
    entry.host = undefined;
    entry.slot = undefined;
    // The host still closes the device: let go of its port after that.
    const handle = entry.handle;
    if (handle) void host.finished.then(() => handle.dispose());
    entry.handle = undefined;
    const via = entry.status.via;
    const why = reason === 'released' ? undefined : reason;
    entry.status = {
      key: entry.status.key,
      state: state === 'released' ? 'available' : state,
      ...(why !== undefined ? { reason: why } : {}),
      ...(via ? { via } : {}),
    };
    const text = why ?? 'the device was released';
    this.settle(entry, fail(state === 'refused' ? UsbErrorCode.Refused : UsbErrorCode.Failed, text));
    if (state !== 'released' || why) this.hooks.log('info', `USB device ${entry.status.key}: ${state}: ${text}`);
    if (slot) {
      slot.channel.detach();
      if (slot.channel.linked && !this.ended) this.relink(slot);
    }
    this.emitStatus();
  }

  private learnGuestFilter(host: UsbHost): void {
    const rules = host.guestFilter;
    if (!rules || this.guestRules) return;
    this.guestRules = [...rules];
    try {
      this.guestFilterText = serializeUsbFilter(rules);
    } catch {
      this.guestFilterText = undefined;
    }
  }

  private settle(entry: DeviceEntry, result: UsbResult): void {
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const w of waiters) w(result);
  }

  private emitStatus(): void {
    if (!this.started || this.ended) return;
    this.hooks.emit({ type: 'usb', ...this.status() });
  }
}
