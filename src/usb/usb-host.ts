/**
 * The usbredir host role: `UsbHost` owns one WebUSB device and serves it to a usbredir guest (QEMU's
 * usb-redir device, reached through a spicevmc channel) over an abstract byte sink. It is the WebUSB
 * counterpart of usbredir's usbredirhost, written from the protocol docs and behaviour seen against QEMU.
 *
 * Life of a host (state in brackets):
 *   start() sends our hello and opens the device, reads its descriptors and claims every interface
 *   [connecting]. Nothing else is sent until the guest's hello has arrived (ids and field sizes depend on
 *   it). Then, unless the guest's filter_filter refuses the device [refused], interface_info, ep_info and
 *   device_connect go out [connected]. The guest drives everything after that: control, bulk, interrupt and
 *   iso traffic, configuration and alt-setting changes, resets. It ends with release() [released], with
 *   the device vanishing [lost], or with the guest's filter_reject [refused]; all three send
 *   device_disconnect if device_connect was sent, answer whatever is still pending and close the device.
 *
 * WebUSB facts the mapping rests on:
 * - A transfer cannot be cancelled. cancel_data_packet is answered at once with status cancelled (what
 *   usbredirhost does and what QEMU expects: exactly one answer per id) and the transfer's eventual result
 *   is dropped, except on bulk IN endpoints where data already read from the device is handed to the next
 *   bulk IN request of that endpoint instead of being lost (a serial port that is closed and reopened
 *   would otherwise lose the first bytes received after the reopen).
 * - State-changing calls (reset, selectConfiguration, selectAlternateInterface, claim/release) fail while
 *   another one is running, so they are serialised, and transfers wait for the one in progress.
 * - Device loss shows as NotFoundError with the device no longer opened; NotFoundError on an opened
 *   device is an ordinary error (Chrome also uses it for "endpoint not in a claimed interface").
 * - Results map ok → success, stall → stall, babble → babble; AbortError (transfers killed by reset or
 *   close) → cancelled; anything else → ioerror.
 *
 * Memory stays bounded: at most `maxPendingRequests` guest requests and `maxPendingOutBytes` of OUT data
 * wait on the device (beyond that requests are answered ioerror at once), streams keep a fixed number of
 * transfers in flight, and leftover bulk IN data is capped per endpoint.
 */
import {
  buildEpInfo,
  buildInterfaceInfo,
  type ConfigurationDescriptor,
  currentAltSetting,
  descriptorsFromWebUsb,
  type DeviceDescriptors,
  type EpInfoFields,
  inferSpeed,
  readDescriptors,
  StandardRequest,
} from './descriptors.js';
import {
  capsWords,
  type ControlPacketPacket,
  type BulkPacketPacket,
  type InterruptPacketPacket,
  type IsoPacketPacket,
  UsbredirStream,
  type UsbredirPacket,
} from './usbredir.js';
import { checkDevice, parseUsbFilter, type UsbFilterDeviceInfo, type UsbFilterRule } from './usbredir-filter.js';
import {
  epToIndex,
  packetTypeName,
  UsbredirCap,
  UsbredirEpType,
  type UsbredirSpeed,
  UsbredirStatus,
  UsbredirType,
} from './usbredir-proto.js';
import {
  resultBytes,
  type UsbControlTransferParametersLike,
  type UsbDeviceLike,
  type UsbTransferStatusLike,
} from './webusb-types.js';

/** Where the host writes usbredir bytes (a spicevmc channel, a TCP socket in tests). */
export interface UsbredirSink {
  send(bytes: Uint8Array): void;
  /** Bytes accepted by send() but not yet on the wire; iso IN data is dropped while this is high. */
  backlog?(): number;
}

export type UsbHostState = 'idle' | 'connecting' | 'connected' | 'refused' | 'released' | 'lost';

export type UsbHostEvent =
  | { type: 'state'; state: UsbHostState; reason?: string }
  /**
   * The guest sent its first request for the device after device_connect: the VM took it. (QEMU checks its
   * filter and the device speed when device_connect arrives and answers filter_reject at once instead.)
   */
  | { type: 'in-use' }
  | { type: 'warning'; message: string };

export interface UsbHostOptions {
  /** Version text of our hello. */
  version?: string;
  /** State changes and warnings. Called synchronously; must not throw (errors are swallowed). */
  onEvent?: (event: UsbHostEvent) => void;
  /** The speed announced in device_connect; inferred from the descriptors when absent. */
  speed?: UsbredirSpeed;
  /** Reset the device when the guest asks (default true; back-to-back resets are folded into one). */
  resetDevice?: boolean;
  /** Largest usbredir packet accepted from the guest (see UsbredirStream). */
  maxPacketLength?: number;
  /** Guest requests that may wait on the device at once (default 1024). */
  maxPendingRequests?: number;
  /** OUT data that may wait on the device at once, in bytes (default 16 MiB). */
  maxPendingOutBytes?: number;
  /** Sink backlog in bytes above which iso IN packets are dropped (default 1 MiB). */
  maxIsoBacklog?: number;
}

/** Our capabilities: everything but bulk streams, which WebUSB cannot do (and which would grow ep_info). */
export const USB_HOST_CAPS: readonly number[] = [
  UsbredirCap.ConnectDeviceVersion,
  UsbredirCap.Filter,
  UsbredirCap.DeviceDisconnectAck,
  UsbredirCap.EpInfoMaxPacketSize,
  UsbredirCap.Ids64bits,
  UsbredirCap.BulkLength32bits,
  UsbredirCap.BulkReceiving,
];

export const DEFAULT_USB_HOST_VERSION = 'spice-console usbredir host';

/** Interface classes browsers refuse to let pages claim (WebUSB blocklist of protected classes). */
const PROTECTED_CLASSES: Record<number, string> = {
  0x01: 'audio',
  0x03: 'HID',
  0x08: 'mass storage',
  0x0b: 'smart card',
  0x0e: 'video',
  0x10: 'audio/video',
  0xe0: 'wireless controller',
};

const INTERRUPT_TRANSFERS = 2;
const MAX_STASHED_RESULTS = 64;
const EMPTY = new Uint8Array(0);

/** A guest request waiting on the device. Answered exactly once. */
interface Pending {
  id: bigint;
  endpoint: number;
  /** Requested length (bulk IN), for handing leftover data over. */
  length: number;
  outBytes: number;
  answered: boolean;
  reply(status: number, data: Uint8Array, length: number): void;
}

interface TransferResult {
  status: number;
  data: Uint8Array;
}

/** Bulk IN requests of one endpoint and the WebUSB transfers serving them (see the module comment). */
interface BulkInQueue {
  live: Pending[];
  inflight: number;
  stash: TransferResult[];
  epoch: number;
}

/** An interrupt-receiving, iso or bulk-receiving stream on one endpoint. */
interface StreamLoop {
  kind: 'interrupt' | 'iso' | 'bulk';
  endpoint: number;
  started: boolean;
  inflight: number;
  target: number;
  nextId: bigint;
  epoch: number;
  /** Iso: packets per transfer; bulk: 1. */
  packets: number;
  /** Bytes per iso packet / interrupt or bulk transfer. */
  size: number;
  streamId: number;
  /** Iso OUT: packets collected for the next transfer. */
  outPackets: Uint8Array[];
  dropping: boolean;
}

function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
}

function errorMessage(e: unknown): string {
  return e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e)
    ? String((e as { message: unknown }).message)
    : String(e);
}

function mapStatus(status: UsbTransferStatusLike | undefined): number {
  switch (status) {
    case 'ok':
      return UsbredirStatus.Success;
    case 'stall':
      return UsbredirStatus.Stall;
    case 'babble':
      return UsbredirStatus.Babble;
    default:
      return UsbredirStatus.Ioerror;
  }
}

function hex(v: number, width = 2): string {
  return '0x' + v.toString(16).padStart(width, '0');
}

/** What a usbredir filter looks at, from the WebUSB objects alone (for checks before redirecting). */
export function usbFilterInfoFromDevice(device: UsbDeviceLike): UsbFilterDeviceInfo {
  const config = device.configuration ?? device.configurations[0];
  return {
    deviceClass: device.deviceClass,
    deviceSubclass: device.deviceSubclass,
    deviceProtocol: device.deviceProtocol,
    vendorId: device.vendorId,
    productId: device.productId,
    deviceVersionBcd:
      ((device.deviceVersionMajor & 0xff) << 8) |
      ((device.deviceVersionMinor & 0x0f) << 4) |
      (device.deviceVersionSubminor & 0x0f),
    interfaces: (config?.interfaces ?? []).map((itf) => ({
      interfaceNumber: itf.interfaceNumber,
      interfaceClass: (itf.alternate ?? itf.alternates[0])?.interfaceClass ?? 0,
      interfaceSubclass: (itf.alternate ?? itf.alternates[0])?.interfaceSubclass ?? 0,
      interfaceProtocol: (itf.alternate ?? itf.alternates[0])?.interfaceProtocol ?? 0,
    })),
  };
}

export class UsbHost {
  readonly device: UsbDeviceLike;
  private readonly sink: UsbredirSink;
  private readonly options: UsbHostOptions;
  private readonly stream: UsbredirStream;
  private currentState: UsbHostState = 'idle';
  private stateReason: string | undefined;

  private helloSent = false;
  private prepared = false;
  private connectSent = false;
  private rules: UsbFilterRule[] | undefined;

  private descriptors: DeviceDescriptors | undefined;
  private deviceSpeed: UsbredirSpeed | undefined;
  private configValue = 0;
  private readonly alts = new Map<number, number>();
  private readonly claimed = new Set<number>();
  private epInfo: EpInfoFields | undefined;

  private readonly pending = new Set<Pending>();
  private readonly pendingById = new Map<bigint, Pending>();
  private pendingOutBytes = 0;
  private readonly bulkIn = new Map<number, BulkInQueue>();
  private readonly streams = new Map<number, StreamLoop>();
  /** No transfer or configuration change since the last reset: the next reset is redundant. */
  private freshReset = false;
  private barrier: Promise<void> = Promise.resolve();
  /** The guest has sent a request since device_connect (see the `in-use` event). */
  private inUse = false;
  private markFinished: () => void = () => {};
  private readonly finishedPromise = new Promise<void>((resolve) => (this.markFinished = resolve));
  /** Nothing is sent any more (protocol error, or released with the channel gone). */
  private muted = false;

  constructor(device: UsbDeviceLike, sink: UsbredirSink, options: UsbHostOptions = {}) {
    this.device = device;
    this.sink = sink;
    this.options = options;
    this.stream = new UsbredirStream({
      role: 'host',
      caps: capsWords(USB_HOST_CAPS),
      ...(options.maxPacketLength !== undefined ? { maxPacketLength: options.maxPacketLength } : {}),
    });
  }

  /** Where the host is in its life (see the module comment). */
  get state(): UsbHostState {
    return this.currentState;
  }

  /** Why the host is in its current state, for the terminal states. */
  get reason(): string | undefined {
    return this.stateReason;
  }

  /** The guest's hello text ("qemu usb-redir guest 7.2.22"), once received. */
  get peerVersion(): string | undefined {
    return this.stream.peerHello?.version;
  }

  /** The guest's caps words, once its hello was received. */
  get peerCaps(): readonly number[] | undefined {
    return this.stream.negotiation.peerCaps;
  }

  /** The rules of the guest's filter_filter, if it sent one. */
  get guestFilter(): readonly UsbFilterRule[] | undefined {
    return this.rules;
  }

  /**
   * Resolves once the host has ended and let go of the device (interfaces released, device closed), which
   * is after the terminal state event. Whoever lent the device can take it back then.
   */
  get finished(): Promise<void> {
    return this.finishedPromise;
  }

  /** The speed announced (or to be announced) in device_connect. */
  get speed(): UsbredirSpeed | undefined {
    return this.deviceSpeed;
  }

  private get terminal(): boolean {
    return this.currentState === 'refused' || this.currentState === 'released' || this.currentState === 'lost';
  }

  /** device_connect was sent and the device has not gone away since. */
  private get attached(): boolean {
    return this.connectSent && !this.terminal;
  }

  /**
   * Sends our hello and prepares the device (open, descriptors, claim). Resolves when the device is ready or
   * the host ended; the device is announced once the guest's hello is there too.
   */
  async start(): Promise<void> {
    if (this.currentState !== 'idle') return;
    this.setState('connecting');
    this.send({
      type: UsbredirType.Hello,
      id: 0n,
      version: this.options.version ?? DEFAULT_USB_HOST_VERSION,
      caps: capsWords(USB_HOST_CAPS),
    });
    this.helloSent = true;
    await this.prepare();
    this.tryConnect();
  }

  /**
   * Feeds bytes from the guest (any split: a spicevmc message may hold several packets or part of one).
   * Packets are handled synchronously and everything kept is copied, so the caller may reuse `bytes`
   * afterwards; answers that need the device follow asynchronously through the sink. A ProtocolError ends
   * the host (state 'released', device closed) and is rethrown: the byte stream cannot be trusted any more
   * and its channel should close.
   */
  receive(bytes: Uint8Array): void {
    let packets: UsbredirPacket[];
    try {
      packets = this.stream.push(bytes);
    } catch (e) {
      // Nothing more goes out on a stream that is out of step: the channel is closing.
      this.muted = true;
      if (!this.terminal) void this.teardown('released', `protocol error: ${errorMessage(e)}`, UsbredirStatus.Ioerror, false);
      throw e;
    }
    for (const p of packets) this.dispatch(p);
  }

  /**
   * Gives the device back: pending requests answered cancelled, device_disconnect to the guest, interfaces
   * released and the device closed (resolves then). `silent` skips all sending, for when the channel is
   * already gone.
   */
  async release(reason = 'released', options: { silent?: boolean } = {}): Promise<void> {
    if (this.terminal) return;
    if (options.silent) this.muted = true;
    await this.teardown('released', reason, UsbredirStatus.Cancelled, true);
  }

  /** Tells the host the device was unplugged (e.g. from navigator.usb's disconnect event). */
  notifyDisconnected(): void {
    if (this.terminal) return;
    void this.teardown('lost', 'the device was disconnected', UsbredirStatus.Ioerror, true);
  }

  // -------------------------------------------------------------------------------------------------------
  // Plumbing

  private emit(event: UsbHostEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not break the protocol.
    }
  }

  private warn(message: string): void {
    this.emit({ type: 'warning', message });
  }

  private setState(state: UsbHostState, reason?: string): void {
    this.currentState = state;
    this.stateReason = reason;
    this.emit(reason === undefined ? { type: 'state', state } : { type: 'state', state, reason });
  }

  private send(packet: UsbredirPacket): void {
    if (this.muted) return;
    let bytes: Uint8Array;
    try {
      bytes = this.stream.encode(packet);
    } catch (e) {
      this.warn(`cannot encode ${packetTypeName(packet.type)}: ${errorMessage(e)}`);
      return;
    }
    try {
      this.sink.send(bytes);
    } catch (e) {
      this.warn(`sink refused ${packetTypeName(packet.type)}: ${errorMessage(e)}`);
    }
  }

  /** Runs a state-changing device call after the previous one finished; `fn` must not reject. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.barrier.then(fn);
    this.barrier = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Runs a transfer once no state-changing call is in progress. */
  private async io<T>(fn: () => Promise<T>): Promise<T> {
    await this.barrier;
    return fn();
  }

  private isLoss(e: unknown): boolean {
    if (errorName(e) !== 'NotFoundError') return false;
    return !this.device.opened || /disconnect/i.test(errorMessage(e));
  }

  private statusOf(e: unknown): number {
    switch (errorName(e)) {
      case 'AbortError':
        return UsbredirStatus.Cancelled;
      case 'TimeoutError':
        return UsbredirStatus.Timeout;
      default:
        return UsbredirStatus.Ioerror;
    }
  }

  /** Status for a failed device call; starts the 'lost' teardown when the device is gone. */
  private failure(e: unknown): number {
    if (this.isLoss(e)) {
      if (!this.terminal) void this.teardown('lost', `the device was disconnected (${errorMessage(e)})`, UsbredirStatus.Ioerror, true);
      return UsbredirStatus.Ioerror;
    }
    return this.statusOf(e);
  }

  private currentConfig(): ConfigurationDescriptor | undefined {
    if (!this.configValue) return undefined;
    return this.descriptors?.configurations.find((c) => c.bConfigurationValue === this.configValue);
  }

  private epType(endpoint: number): number {
    return this.epInfo?.epType[epToIndex(endpoint)] ?? UsbredirEpType.Invalid;
  }

  private epMaxPacket(endpoint: number): number {
    return this.epInfo?.maxPacketSize[epToIndex(endpoint)] ?? 0;
  }

  private nextStreamId(loop: StreamLoop): bigint {
    const id = loop.nextId;
    loop.nextId = BigInt.asUintN(this.stream.negotiation.ids64 ? 64 : 32, id + 1n);
    return id;
  }

  // -------------------------------------------------------------------------------------------------------
  // Preparing and announcing the device

  private async prepare(): Promise<void> {
    const device = this.device;
    try {
      if (!device.opened) await device.open();
    } catch (e) {
      if (!this.terminal) await this.teardown('refused', `cannot open the device: ${errorMessage(e)}`, UsbredirStatus.Ioerror, false);
      return;
    }
    if (this.terminal) return;
    if (!device.configuration && device.configurations.length > 0) {
      try {
        await device.selectConfiguration(device.configurations[0]!.configurationValue);
      } catch (e) {
        this.warn(`cannot select a configuration: ${errorMessage(e)}`);
      }
    }
    try {
      this.descriptors = await readDescriptors(device);
    } catch (e) {
      if (this.isLoss(e)) {
        this.failure(e);
        return;
      }
      this.warn(`reading the descriptors failed (${errorMessage(e)}); using WebUSB's view of the device`);
      this.descriptors = descriptorsFromWebUsb(device);
    }
    if (this.terminal) return;
    this.configValue = device.configuration?.configurationValue ?? 0;
    if (this.configValue && !this.currentConfig()) {
      this.warn(`configuration ${this.configValue} is not in the descriptors; using WebUSB's view of the device`);
      this.descriptors = descriptorsFromWebUsb(device);
    }
    this.deviceSpeed = this.options.speed ?? inferSpeed(this.descriptors.device, this.descriptors.configurations);
    this.alts.clear();
    for (const itf of device.configuration?.interfaces ?? []) {
      this.alts.set(itf.interfaceNumber, itf.alternate?.alternateSetting ?? 0);
    }
    const refusal = await this.claimAll();
    if (this.terminal) return;
    if (refusal) {
      await this.teardown('refused', refusal, UsbredirStatus.Ioerror, false);
      return;
    }
    this.prepared = true;
  }

  /** Claims every interface of the current configuration; returns a refusal reason if one cannot be. */
  private async claimAll(): Promise<string | undefined> {
    for (const group of this.currentConfig()?.interfaces ?? []) {
      const n = group.bInterfaceNumber;
      if (this.claimed.has(n)) continue;
      try {
        await this.device.claimInterface(n);
        this.claimed.add(n);
      } catch (e) {
        if (this.isLoss(e)) {
          this.failure(e);
          return 'the device was disconnected';
        }
        const cls = currentAltSetting(group, this.alts)?.bInterfaceClass ?? 0;
        const prot = PROTECTED_CLASSES[cls];
        return (
          `cannot claim interface ${n} (class ${hex(cls)}): ${errorMessage(e)}` +
          (prot ? ` (browsers do not let web pages use ${prot} interfaces)` : '')
        );
      }
    }
    return undefined;
  }

  private async releaseAll(): Promise<void> {
    for (const n of [...this.claimed]) {
      this.claimed.delete(n);
      try {
        await this.device.releaseInterface(n);
      } catch {
        // Released or gone either way.
      }
    }
  }

  private filterInfo(): UsbFilterDeviceInfo {
    const d = this.descriptors!.device;
    const info = buildInterfaceInfo(this.currentConfig(), this.alts);
    return {
      deviceClass: d.bDeviceClass,
      deviceSubclass: d.bDeviceSubClass,
      deviceProtocol: d.bDeviceProtocol,
      vendorId: d.idVendor,
      productId: d.idProduct,
      deviceVersionBcd: d.bcdDevice,
      interfaces: info.interface.map((n, i) => ({
        interfaceNumber: n,
        interfaceClass: info.interfaceClass[i]!,
        interfaceSubclass: info.interfaceSubclass[i]!,
        interfaceProtocol: info.interfaceProtocol[i]!,
      })),
    };
  }

  /** The reason the guest's filter refuses this device, if it does. */
  private filterRefusal(): string | undefined {
    if (!this.rules || !this.descriptors) return undefined;
    const result = checkDevice(this.rules, this.filterInfo());
    return result.allowed ? undefined : `blocked by the VM's USB filter: ${result.reason}`;
  }

  private tryConnect(): void {
    if (this.currentState !== 'connecting' || !this.helloSent || !this.prepared || this.connectSent) return;
    if (!this.stream.peerHello) return;
    const refusal = this.filterRefusal();
    if (refusal) {
      void this.teardown('refused', refusal, UsbredirStatus.Cancelled, false);
      return;
    }
    const d = this.descriptors!.device;
    this.sendInterfaceAndEpInfo();
    this.send({
      type: UsbredirType.DeviceConnect,
      id: 0n,
      speed: this.deviceSpeed!,
      deviceClass: d.bDeviceClass,
      deviceSubclass: d.bDeviceSubClass,
      deviceProtocol: d.bDeviceProtocol,
      vendorId: d.idVendor,
      productId: d.idProduct,
      deviceVersionBcd: d.bcdDevice,
    });
    this.connectSent = true;
    this.setState('connected');
  }

  private sendInterfaceAndEpInfo(): void {
    const config = this.currentConfig();
    let info;
    try {
      info = buildInterfaceInfo(config, this.alts);
    } catch (e) {
      this.warn(errorMessage(e));
      info = buildInterfaceInfo(undefined, this.alts);
    }
    this.epInfo = buildEpInfo(config, this.alts, this.deviceSpeed!);
    this.send({ type: UsbredirType.InterfaceInfo, id: 0n, ...info });
    this.send({ type: UsbredirType.EpInfo, id: 0n, ...this.epInfo });
  }

  // -------------------------------------------------------------------------------------------------------
  // Ending

  /**
   * The one way out: answers everything pending with `status`, stops every stream, sends device_disconnect
   * (if the guest was told about the device and `notify`), reports the state and closes the device.
   */
  private async teardown(state: UsbHostState, reason: string, status: number, notify: boolean): Promise<void> {
    const wasAttached = this.attached;
    this.abandonAll(status);
    for (const loop of this.streams.values()) {
      loop.started = false;
      loop.epoch++;
      loop.inflight = 0;
    }
    if (wasAttached && notify) this.send({ type: UsbredirType.DeviceDisconnect, id: 0n });
    this.setState(state, reason);
    await this.closeDevice();
    this.markFinished();
  }

  private async closeDevice(): Promise<void> {
    const close = async () => {
      await this.releaseAll();
      if (this.device.opened) await this.device.close();
    };
    try {
      await close();
    } catch (e) {
      if (errorName(e) !== 'InvalidStateError') return;
      // A state-changing call is still running: close after it.
      await this.barrier;
      try {
        await close();
      } catch {
        // Nothing more to do.
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Pending requests

  private track(id: bigint, endpoint: number, length: number, outBytes: number, reply: Pending['reply']): Pending | undefined {
    const max = this.options.maxPendingRequests ?? 1024;
    const maxOut = this.options.maxPendingOutBytes ?? 16 * 1024 * 1024;
    if (this.pending.size >= max || this.pendingOutBytes + outBytes > maxOut) {
      this.warn(`device not keeping up: ${this.pending.size} requests and ${this.pendingOutBytes} bytes pending, refusing id ${id}`);
      return undefined;
    }
    const p: Pending = { id, endpoint, length, outBytes, answered: false, reply };
    this.pending.add(p);
    this.pendingById.set(id, p);
    this.pendingOutBytes += outBytes;
    return p;
  }

  private answer(p: Pending, status: number, data: Uint8Array = EMPTY, length = data.byteLength): void {
    if (p.answered) return;
    p.answered = true;
    this.pending.delete(p);
    if (this.pendingById.get(p.id) === p) this.pendingById.delete(p.id);
    this.pendingOutBytes -= p.outBytes;
    p.reply(status, data, length);
  }

  /** Answers every pending request with `status` and forgets every in-flight transfer's result. */
  private abandonAll(status: number): void {
    for (const q of this.bulkIn.values()) this.abandonQueue(q, status);
    for (const p of [...this.pending]) this.answer(p, status);
  }

  private abandonQueue(q: BulkInQueue, status: number): void {
    q.epoch++;
    q.inflight = 0;
    q.stash = [];
    const live = q.live;
    q.live = [];
    for (const p of live) this.answer(p, status);
  }

  /** Stops streams and answers requests on the endpoints of `interfaceNumber`'s current alt setting. */
  private abandonInterface(interfaceNumber: number): void {
    const group = this.currentConfig()?.interfaces.find((g) => g.bInterfaceNumber === interfaceNumber);
    const alt = group && currentAltSetting(group, this.alts);
    for (const ep of alt?.endpoints ?? []) {
      const address = ep.bEndpointAddress;
      const q = this.bulkIn.get(address);
      if (q) this.abandonQueue(q, UsbredirStatus.Cancelled);
      const loop = this.streams.get(address);
      if (loop) {
        loop.started = false;
        loop.epoch++;
        loop.inflight = 0;
      }
      for (const p of [...this.pending]) if (p.endpoint === address) this.answer(p, UsbredirStatus.Cancelled);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Dispatch

  private dispatch(p: UsbredirPacket): void {
    if (!this.inUse && this.attached && p.type !== UsbredirType.Hello && p.type !== UsbredirType.FilterFilter && p.type !== UsbredirType.FilterReject) {
      this.inUse = true;
      this.emit({ type: 'in-use' });
    }
    switch (p.type) {
      case UsbredirType.Hello:
        if (p !== this.stream.peerHello) {
          this.warn('the guest sent a second hello; ignored');
          return;
        }
        this.tryConnect();
        return;
      case UsbredirType.FilterFilter:
        return this.onFilterFilter(p.filter);
      case UsbredirType.FilterReject:
        if (!this.attached) return;
        void this.teardown(
          'refused',
          this.filterRefusal() ?? 'the VM refused the device (its USB filter or device speed does not allow it)',
          UsbredirStatus.Cancelled,
          true,
        );
        return;
      case UsbredirType.DeviceDisconnectAck:
        return;
      case UsbredirType.Reset:
        return this.onReset();
      case UsbredirType.SetConfiguration:
        return this.onSetConfiguration(p.id, p.configuration);
      case UsbredirType.GetConfiguration:
        this.send({
          type: UsbredirType.ConfigurationStatus,
          id: p.id,
          status: this.attached ? UsbredirStatus.Success : UsbredirStatus.Ioerror,
          configuration: this.configValue,
        });
        return;
      case UsbredirType.SetAltSetting:
        return this.onSetAltSetting(p.id, p.interface, p.alt);
      case UsbredirType.GetAltSetting:
        return this.onGetAltSetting(p.id, p.interface);
      case UsbredirType.StartIsoStream:
        return this.onStartStream('iso', p.id, p.endpoint, p.pktsPerUrb, p.noUrbs, 0, 0);
      case UsbredirType.StartInterruptReceiving:
        return this.onStartStream('interrupt', p.id, p.endpoint, 1, INTERRUPT_TRANSFERS, 0, 0);
      case UsbredirType.StartBulkReceiving:
        return this.onStartStream('bulk', p.id, p.endpoint, 1, p.noTransfers, p.bytesPerTransfer, p.streamId);
      case UsbredirType.StopIsoStream:
      case UsbredirType.StopInterruptReceiving:
        return this.onStopStream(p.id, p.endpoint, 0);
      case UsbredirType.StopBulkReceiving:
        return this.onStopStream(p.id, p.endpoint, p.streamId);
      case UsbredirType.AllocBulkStreams:
      case UsbredirType.FreeBulkStreams:
        // Never negotiated (no bulk_streams cap), so a guest following the protocol does not send these.
        this.send({
          type: UsbredirType.BulkStreamsStatus,
          id: p.id,
          endpoints: p.endpoints,
          noStreams: p.type === UsbredirType.AllocBulkStreams ? p.noStreams : 0,
          status: UsbredirStatus.Inval,
        });
        return;
      case UsbredirType.CancelDataPacket:
        return this.onCancel(p.id);
      case UsbredirType.ControlPacket:
        return this.onControl(p);
      case UsbredirType.BulkPacket:
        return this.onBulk(p);
      case UsbredirType.InterruptPacket:
        return this.onInterruptOut(p);
      case UsbredirType.IsoPacket:
        return this.onIsoOut(p);
      default:
        // Host-to-guest types never get here: the stream refuses them.
        return;
    }
  }

  private onFilterFilter(text: string): void {
    try {
      this.rules = parseUsbFilter(text);
    } catch (e) {
      // usbredirparser ignores a filter it cannot parse; so do we.
      this.warn(`ignoring the guest's unparsable USB filter "${text}": ${errorMessage(e)}`);
      return;
    }
    if (this.currentState === 'connecting') {
      this.tryConnect();
      return;
    }
    const refusal = this.attached ? this.filterRefusal() : undefined;
    if (refusal) void this.teardown('refused', refusal, UsbredirStatus.Cancelled, true);
  }

  private onReset(): void {
    if (!this.attached) return;
    if (this.freshReset || this.options.resetDevice === false) return;
    this.freshReset = true;
    // Like usbredirhost: stop the streams and tell the guest (a stall status makes QEMU restart them), and
    // end every pending request before the device resets.
    this.abandonAll(UsbredirStatus.Cancelled);
    for (const loop of this.streams.values()) {
      if (loop.started) this.sendStreamStatus(loop.kind, 0n, loop.endpoint, UsbredirStatus.Stall, loop.streamId);
      loop.started = false;
      loop.epoch++;
      loop.inflight = 0;
    }
    void this.exclusive(async () => {
      if (!this.attached) return;
      try {
        await this.device.reset();
      } catch (e) {
        if (this.isLoss(e)) this.failure(e);
        else this.warn(`device reset failed (${errorMessage(e)}); carrying on`);
      }
    });
  }

  private onSetConfiguration(id: bigint, value: number): void {
    const reply = (status: number) =>
      this.send({ type: UsbredirType.ConfigurationStatus, id, status, configuration: this.configValue });
    if (!this.attached) return reply(UsbredirStatus.Ioerror);
    if (value === this.configValue) return reply(UsbredirStatus.Success);
    this.freshReset = false;
    this.abandonAll(UsbredirStatus.Cancelled);
    for (const loop of this.streams.values()) {
      loop.started = false;
      loop.epoch++;
      loop.inflight = 0;
    }
    void this.exclusive(async () => {
      if (!this.attached) return reply(UsbredirStatus.Ioerror);
      let status: number = UsbredirStatus.Success;
      await this.releaseAll();
      try {
        await this.device.selectConfiguration(value);
      } catch (e) {
        status = this.failure(e);
        if (!this.attached) return;
        this.warn(`cannot select configuration ${value}: ${errorMessage(e)}`);
      }
      this.configValue = this.device.configuration?.configurationValue ?? this.configValue;
      if (this.configValue && !this.currentConfig()) {
        this.descriptors = descriptorsFromWebUsb(this.device);
      }
      this.alts.clear();
      const refusal = await this.claimAll();
      if (!this.attached) return;
      if (refusal) {
        this.warn(refusal);
        status = UsbredirStatus.Ioerror;
      }
      this.sendInterfaceAndEpInfo();
      reply(status);
    });
  }

  private onSetAltSetting(id: bigint, iface: number, alt: number): void {
    const reply = (status: number, current: number) =>
      this.send({ type: UsbredirType.AltSettingStatus, id, status, interface: iface, alt: current });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, 0xff);
    const group = this.currentConfig()?.interfaces.find((g) => g.bInterfaceNumber === iface);
    if (!group) return reply(UsbredirStatus.Inval, 0xff);
    this.freshReset = false;
    this.abandonInterface(iface);
    void this.exclusive(async () => {
      if (!this.attached) return reply(UsbredirStatus.Ioerror, 0xff);
      try {
        await this.device.selectAlternateInterface(iface, alt);
      } catch (e) {
        const status = this.failure(e);
        if (this.attached) reply(status, this.alts.get(iface) ?? 0);
        return;
      }
      this.alts.set(iface, alt);
      this.sendInterfaceAndEpInfo();
      reply(UsbredirStatus.Success, alt);
    });
  }

  private onGetAltSetting(id: bigint, iface: number): void {
    const reply = (status: number, alt: number) =>
      this.send({ type: UsbredirType.AltSettingStatus, id, status, interface: iface, alt });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, 0xff);
    const known = this.currentConfig()?.interfaces.some((g) => g.bInterfaceNumber === iface);
    if (!known) return reply(UsbredirStatus.Inval, 0xff);
    reply(UsbredirStatus.Success, this.alts.get(iface) ?? 0);
  }

  private onCancel(id: bigint): void {
    const p = this.pendingById.get(id);
    // Not finding it is normal: the answer may already be on its way.
    if (!p) return;
    const q = this.bulkIn.get(p.endpoint);
    if (q) {
      const i = q.live.indexOf(p);
      // Its transfer stays in flight; whatever it reads goes to the endpoint's next request.
      if (i >= 0) q.live.splice(i, 1);
    }
    this.answer(p, UsbredirStatus.Cancelled);
  }

  // -------------------------------------------------------------------------------------------------------
  // Control

  private onControl(p: ControlPacketPacket): void {
    const isIn = (p.endpoint & 0x80) !== 0;
    const reply = (status: number, data: Uint8Array, length: number) =>
      this.send({ ...p, status, length: isIn ? data.byteLength : length, data: isIn ? data : EMPTY });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    if ((p.endpoint & 0x7f) !== 0) return reply(UsbredirStatus.Inval, EMPTY, 0);
    this.freshReset = false;
    const pending = this.track(p.id, p.endpoint, p.length, p.data.byteLength, reply);
    if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);

    // CLEAR_FEATURE(ENDPOINT_HALT) must reach the browser's USB stack as a clear-halt, not as a raw request,
    // or it keeps the endpoint halted (usbredirhost does the same with libusb_clear_halt).
    if (p.requestType === 0x02 && p.request === StandardRequest.ClearFeature && p.value === 0 && p.data.byteLength === 0) {
      const ep = p.index & 0xff;
      const q = this.bulkIn.get(ep);
      if (q) q.stash = [];
      this.io(() => this.device.clearHalt(ep & 0x80 ? 'in' : 'out', ep & 0x0f)).then(
        () => this.answer(pending, UsbredirStatus.Success),
        (e) => this.answer(pending, this.failure(e)),
      );
      return;
    }

    const kind = (p.requestType >> 5) & 3;
    const recipient = p.requestType & 0x1f;
    if (kind === 3 || recipient > 3) {
      // WebUSB cannot express reserved request types or recipients; a device would stall them.
      return this.answer(pending, UsbredirStatus.Stall);
    }
    const setup: UsbControlTransferParametersLike = {
      requestType: (['standard', 'class', 'vendor'] as const)[kind]!,
      recipient: (['device', 'interface', 'endpoint', 'other'] as const)[recipient]!,
      request: p.request,
      value: p.value,
      index: p.index,
    };
    if (isIn) {
      this.io(() => this.device.controlTransferIn(setup, p.length)).then(
        (r) => this.answer(pending, mapStatus(r.status), resultBytes(r.data).slice(0, p.length)),
        (e) => this.answer(pending, this.failure(e)),
      );
    } else {
      // No data stage: leave the argument out, as WebUSB callers normally do.
      const data = p.data.byteLength ? p.data.slice() : undefined;
      this.io(() => this.device.controlTransferOut(setup, data)).then(
        (r) => this.answer(pending, mapStatus(r.status), EMPTY, r.bytesWritten),
        (e) => this.answer(pending, this.failure(e)),
      );
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Bulk

  private onBulk(p: BulkPacketPacket): void {
    const isIn = (p.endpoint & 0x80) !== 0;
    const reply = (status: number, data: Uint8Array, length: number) =>
      this.send({ ...p, status, length: isIn ? data.byteLength : length, data: isIn ? data : EMPTY });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    if (this.epType(p.endpoint) !== UsbredirEpType.Bulk || p.streamId !== 0) {
      return reply(UsbredirStatus.Inval, EMPTY, 0);
    }
    this.freshReset = false;
    if (isIn) {
      if (p.length > this.stream.maxPacketLength) return reply(UsbredirStatus.Inval, EMPTY, 0);
      const pending = this.track(p.id, p.endpoint, p.length, 0, reply);
      if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
      let q = this.bulkIn.get(p.endpoint);
      if (!q) {
        q = { live: [], inflight: 0, stash: [], epoch: 0 };
        this.bulkIn.set(p.endpoint, q);
      }
      q.live.push(pending);
      this.serveBulkIn(p.endpoint, q);
      return;
    }
    const pending = this.track(p.id, p.endpoint, p.length, p.data.byteLength, reply);
    if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    const data = p.data.slice();
    this.io(() => this.device.transferOut(p.endpoint & 0x0f, data)).then(
      (r) => this.answer(pending, mapStatus(r.status), EMPTY, r.bytesWritten),
      (e) => this.answer(pending, this.failure(e)),
    );
  }

  /** Hands leftover data to waiting requests, then makes sure each waiting request has a transfer. */
  private serveBulkIn(endpoint: number, q: BulkInQueue): void {
    while (q.live.length && q.stash.length) this.deliverBulkIn(q, q.live.shift()!, q.stash.shift()!);
    while (q.inflight < q.live.length) {
      const length = q.live[q.inflight]!.length;
      const epoch = q.epoch;
      q.inflight++;
      this.io(() => this.device.transferIn(endpoint & 0x0f, length)).then(
        (r) => this.bulkInDone(endpoint, q, epoch, { status: mapStatus(r.status), data: resultBytes(r.data) }),
        (e) => this.bulkInDone(endpoint, q, epoch, { status: this.failure(e), data: EMPTY }),
      );
    }
  }

  private bulkInDone(endpoint: number, q: BulkInQueue, epoch: number, result: TransferResult): void {
    if (epoch !== q.epoch || this.terminal) return;
    q.inflight--;
    const next = q.live.shift();
    if (next) {
      this.deliverBulkIn(q, next, result);
    } else if (result.status === UsbredirStatus.Success && result.data.byteLength > 0) {
      // Read for a request the guest cancelled: keep it for the next one.
      q.stash.push(result);
      if (q.stash.length > MAX_STASHED_RESULTS) {
        q.stash.shift();
        this.warn(`dropping unclaimed bulk IN data on ep ${hex(endpoint)}`);
      }
    }
    this.serveBulkIn(endpoint, q);
  }

  private deliverBulkIn(q: BulkInQueue, p: Pending, result: TransferResult): void {
    let data = result.data;
    if (data.byteLength > p.length) {
      q.stash.unshift({ status: UsbredirStatus.Success, data: data.subarray(p.length) });
      data = data.subarray(0, p.length);
    }
    this.answer(p, result.status, data);
  }

  // -------------------------------------------------------------------------------------------------------
  // Interrupt OUT and iso OUT

  private onInterruptOut(p: InterruptPacketPacket): void {
    const reply = (status: number, _data: Uint8Array, length: number) =>
      this.send({ type: UsbredirType.InterruptPacket, id: p.id, endpoint: p.endpoint, status, length, data: EMPTY });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    if (this.epType(p.endpoint) !== UsbredirEpType.Interrupt || p.data.byteLength > this.epMaxPacket(p.endpoint)) {
      return reply(UsbredirStatus.Inval, EMPTY, 0);
    }
    this.freshReset = false;
    const pending = this.track(p.id, p.endpoint, p.length, p.data.byteLength, reply);
    if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    const data = p.data.slice();
    this.io(() => this.device.transferOut(p.endpoint & 0x0f, data)).then(
      (r) => this.answer(pending, mapStatus(r.status), EMPTY, r.bytesWritten),
      (e) => this.answer(pending, this.failure(e)),
    );
  }

  private onIsoOut(p: IsoPacketPacket): void {
    const loop = this.streams.get(p.endpoint);
    const status = !this.attached
      ? UsbredirStatus.Ioerror
      : this.epType(p.endpoint) !== UsbredirEpType.Iso || !loop?.started || p.data.byteLength > loop.size
        ? UsbredirStatus.Inval
        : UsbredirStatus.Success;
    if (status !== UsbredirStatus.Success || !loop) {
      this.send({ type: UsbredirType.IsoStreamStatus, id: p.id, status, endpoint: p.endpoint });
      return;
    }
    this.freshReset = false;
    loop.outPackets.push(p.data.slice());
    if (loop.outPackets.length < loop.packets) return;
    const packets = loop.outPackets;
    loop.outPackets = [];
    if (loop.inflight >= loop.target) {
      // The device is behind: drop this transfer's worth of audio rather than queue without bound.
      if (!loop.dropping) this.warn(`iso OUT on ep ${hex(p.endpoint)} is not keeping up, dropping packets`);
      loop.dropping = true;
      return;
    }
    loop.dropping = false;
    const lengths = packets.map((d) => d.byteLength);
    const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const d of packets) {
      data.set(d, at);
      at += d.byteLength;
    }
    const epoch = loop.epoch;
    loop.inflight++;
    this.io(() => this.device.isochronousTransferOut(p.endpoint & 0x0f, data, lengths)).then(
      (r) => {
        if (epoch !== loop.epoch) return;
        loop.inflight--;
        const bad = r.packets.find((pk) => pk.status !== 'ok');
        if (bad && loop.started) {
          this.sendStreamStatus('iso', p.id, p.endpoint, mapStatus(bad.status), 0);
        }
      },
      (e) => {
        if (epoch !== loop.epoch) return;
        loop.inflight--;
        const st = this.failure(e);
        if (loop.started && this.attached) {
          loop.started = false;
          this.sendStreamStatus('iso', p.id, p.endpoint, st === UsbredirStatus.Cancelled ? UsbredirStatus.Stall : st, 0);
        }
      },
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // Streams: interrupt receiving, iso, bulk receiving

  private sendStreamStatus(kind: StreamLoop['kind'], id: bigint, endpoint: number, status: number, streamId: number): void {
    if (kind === 'iso') this.send({ type: UsbredirType.IsoStreamStatus, id, status, endpoint });
    else if (kind === 'interrupt') this.send({ type: UsbredirType.InterruptReceivingStatus, id, status, endpoint });
    else this.send({ type: UsbredirType.BulkReceivingStatus, id, streamId, endpoint, status });
  }

  private onStartStream(
    kind: StreamLoop['kind'],
    id: bigint,
    endpoint: number,
    packets: number,
    transfers: number,
    bytesPerTransfer: number,
    streamId: number,
  ): void {
    const wanted = { iso: UsbredirEpType.Iso, interrupt: UsbredirEpType.Interrupt, bulk: UsbredirEpType.Bulk }[kind];
    const mps = this.epMaxPacket(endpoint);
    const size = kind === 'bulk' ? bytesPerTransfer : mps;
    const valid =
      this.attached &&
      this.epType(endpoint) === wanted &&
      packets >= 1 &&
      packets <= 32 &&
      transfers >= 1 &&
      transfers <= 16 &&
      mps > 0 &&
      size > 0 &&
      size % mps === 0;
    if (!valid) {
      this.warn(`cannot start ${kind} stream on ep ${hex(endpoint)}`);
      return this.sendStreamStatus(kind, id, endpoint, UsbredirStatus.Stall, streamId);
    }
    let loop = this.streams.get(endpoint);
    if (loop?.started) return this.sendStreamStatus(kind, id, endpoint, UsbredirStatus.Inval, streamId);
    this.freshReset = false;
    if (!loop || loop.kind !== kind) {
      loop = {
        kind,
        endpoint,
        started: false,
        inflight: 0,
        target: transfers,
        nextId: 0n,
        epoch: loop ? loop.epoch + 1 : 0,
        packets,
        size,
        streamId,
        outPackets: [],
        dropping: false,
      };
      this.streams.set(endpoint, loop);
    }
    // A restarted stream reuses transfers still in flight from before its stop (WebUSB cannot cancel them).
    Object.assign(loop, { started: true, target: transfers, nextId: 0n, packets, size, streamId, outPackets: [] });
    this.sendStreamStatus(kind, id, endpoint, UsbredirStatus.Success, streamId);
    if (endpoint & 0x80) this.pumpStream(loop);
  }

  private onStopStream(id: bigint, endpoint: number, streamId: number): void {
    if (!this.attached) return;
    const loop = this.streams.get(endpoint);
    const kind: StreamLoop['kind'] =
      loop?.kind ?? (this.epType(endpoint) === UsbredirEpType.Iso ? 'iso' : this.epType(endpoint) === UsbredirEpType.Bulk ? 'bulk' : 'interrupt');
    if (loop) {
      loop.started = false;
      loop.outPackets = [];
    }
    this.sendStreamStatus(kind, id, endpoint, UsbredirStatus.Success, streamId);
  }

  private pumpStream(loop: StreamLoop): void {
    while (loop.started && this.attached && loop.inflight < loop.target) {
      loop.inflight++;
      const epoch = loop.epoch;
      const ep = loop.endpoint & 0x0f;
      if (loop.kind === 'iso') {
        const lengths = new Array<number>(loop.packets).fill(loop.size);
        this.io(() => this.device.isochronousTransferIn(ep, lengths)).then(
          (r) => {
            if (!this.streamDone(loop, epoch)) return;
            const drop = (this.sink.backlog?.() ?? 0) > (this.options.maxIsoBacklog ?? 1024 * 1024);
            for (const pk of r.packets) {
              const id = this.nextStreamId(loop);
              if (drop) continue;
              const data = pk.status === 'ok' ? resultBytes(pk.data) : EMPTY;
              this.send({ type: UsbredirType.IsoPacket, id, endpoint: loop.endpoint, status: mapStatus(pk.status), length: data.byteLength, data });
            }
            this.pumpStream(loop);
          },
          (e) => this.streamFailed(loop, epoch, e),
        );
      } else {
        this.io(() => this.device.transferIn(ep, loop.size)).then(
          (r) => {
            if (!this.streamDone(loop, epoch)) return;
            if (r.status === 'stall') return this.clearStreamStall(loop);
            const data = r.status === 'ok' ? resultBytes(r.data) : EMPTY;
            const status = mapStatus(r.status);
            const id = this.nextStreamId(loop);
            if (loop.kind === 'interrupt') {
              this.send({ type: UsbredirType.InterruptPacket, id, endpoint: loop.endpoint, status, length: data.byteLength, data });
            } else {
              this.send({
                type: UsbredirType.BufferedBulkPacket,
                id,
                streamId: loop.streamId,
                length: data.byteLength,
                endpoint: loop.endpoint,
                status,
                data,
              });
            }
            this.pumpStream(loop);
          },
          (e) => this.streamFailed(loop, epoch, e),
        );
      }
    }
  }

  /** Bookkeeping for a finished stream transfer; false when its result is to be dropped. */
  private streamDone(loop: StreamLoop, epoch: number): boolean {
    if (epoch !== loop.epoch || this.terminal) return false;
    loop.inflight--;
    return loop.started;
  }

  private streamFailed(loop: StreamLoop, epoch: number, e: unknown): void {
    if (!this.streamDone(loop, epoch)) {
      if (this.isLoss(e) && !this.terminal) this.failure(e);
      return;
    }
    this.failure(e);
    if (!this.attached) return;
    // Do not spin on an endpoint that keeps failing: stop, and let the stall status make the guest restart.
    loop.started = false;
    this.warn(`${loop.kind} stream on ep ${hex(loop.endpoint)} stopped: ${errorMessage(e)}`);
    this.sendStreamStatus(loop.kind, 0n, loop.endpoint, UsbredirStatus.Stall, loop.streamId);
  }

  /** A stream transfer stalled: clear the halt and go on, as usbredirhost does; report a stall if that fails. */
  private clearStreamStall(loop: StreamLoop): void {
    const ep = loop.endpoint;
    this.io(() => this.device.clearHalt(ep & 0x80 ? 'in' : 'out', ep & 0x0f)).then(
      () => this.pumpStream(loop),
      (e) => {
        this.failure(e);
        if (!this.attached || !loop.started) return;
        loop.started = false;
        this.sendStreamStatus(loop.kind, 0n, ep, UsbredirStatus.Stall, loop.streamId);
      },
    );
  }
}

