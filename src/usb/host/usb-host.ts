/**
 * The usbredir host role: `UsbHost` owns one WebUSB device and serves it to a usbredir guest (QEMU's
 * usb-redir device, reached through a spicevmc channel) over an abstract byte sink. It is the WebUSB
 * counterpart of usbredir's usbredirhost, written from the protocol docs and behaviour seen against QEMU.
 * This module owns the device's life and the packets that change its state; transfers are served by
 * control.ts, bulk.ts and streams.ts, device calls are ordered by device-calls.ts.
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
 * A transfer cannot be cancelled in WebUSB: cancel_data_packet is answered at once with status cancelled
 * (what usbredirhost does and what QEMU expects: exactly one answer per id) and the transfer's eventual
 * result is dropped, except on bulk IN endpoints (see bulk.ts).
 *
 * Memory stays bounded: at most `maxPendingRequests` guest requests and `maxPendingOutBytes` of OUT data
 * wait on the device (beyond that requests are answered ioerror at once), streams keep a fixed number of
 * transfers in flight, and leftover bulk IN data is capped per endpoint.
 */
import { currentAltSetting } from '../descriptors.js';
import { capsWords, packetTypeName, type UsbredirPacket, type UsbredirSpeed, UsbredirCap, UsbredirStatus, UsbredirStream, UsbredirType } from '../usbredir/index.js';
import { checkDevice, parseUsbFilter, type UsbFilterRule } from '../usbredir-filter.js';
import type { UsbDeviceLike } from '../webusb-types.js';
import { BulkTransfers } from './bulk.js';
import { ClaimedInterfaces } from './claims.js';
import type { HostContext } from './context.js';
import { handleControl } from './control.js';
import { DeviceGate, errorMessage, errorName, isDeviceLoss, statusOfError } from './device-calls.js';
import { DeviceModel } from './device-model.js';
import { InGate } from './in-gate.js';
import { PendingRequests } from './pending.js';
import { DEFAULT_USB_HOST_VERSION, USB_HOST_CAPS, type UsbHostEvent, type UsbHostOptions, type UsbHostState, type UsbredirSink } from './options.js';
import { Streams } from './streams.js';

const INTERRUPT_TRANSFERS = 2;
const DEFAULT_CLOSE_TIMEOUT_MS = 3000;
/** Sink backlog above which IN transfers wait (spice-server stops reading its chardev at 1 MiB queued, too). */
const DEFAULT_MAX_IN_BACKLOG = 1024 * 1024;

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

  private readonly model: DeviceModel;
  private readonly claims: ClaimedInterfaces;

  private readonly gate = new DeviceGate();
  private readonly ctx: HostContext;
  private readonly pending: PendingRequests;
  private readonly bulk: BulkTransfers;
  private readonly streams: Streams;
  /** No transfer or configuration change since the last reset: the next reset is redundant. */
  private freshReset = false;
  /** The guest has sent a request since device_connect (see the `in-use` event). */
  private inUse = false;
  private markFinished: () => void = () => {};
  private readonly finishedPromise = new Promise<void>((resolve) => (this.markFinished = resolve));
  /** Nothing is sent any more (protocol error, or released with the channel gone). */
  private muted = false;
  /** Holds back IN transfers while the sink is backed up. */
  private readonly inGate: InGate;
  /** Resolved when the guest acknowledges our device_disconnect (set when one is owed, see disconnectAcked). */
  private ackOwed: { promise: Promise<void>; resolve: () => void; done: boolean } | null = null;

  constructor(device: UsbDeviceLike, sink: UsbredirSink, options: UsbHostOptions = {}) {
    this.device = device;
    this.sink = sink;
    this.options = options;
    this.stream = new UsbredirStream({
      role: 'host',
      caps: capsWords(USB_HOST_CAPS),
      ...(options.maxPacketLength !== undefined ? { maxPacketLength: options.maxPacketLength } : {}),
    });
    this.model = new DeviceModel(device, (m) => this.warn(m));
    this.claims = new ClaimedInterfaces(device);
    this.pending = new PendingRequests(options.maxPendingRequests ?? 1024, options.maxPendingOutBytes ?? 16 * 1024 * 1024, (m) => this.warn(m));
    this.inGate = new InGate(() => this.sink.backlog?.() ?? 0, options.maxInBacklog ?? DEFAULT_MAX_IN_BACKLOG, options.later);
    this.ctx = this.context();
    this.bulk = new BulkTransfers(this.ctx);
    this.streams = new Streams(this.ctx, { maxIsoBacklog: options.maxIsoBacklog ?? 1024 * 1024 });
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

  /**
   * Resolves when the guest has acknowledged our device_disconnect (both sides announced
   * device_disconnect_ack): QEMU sends it after it has read every byte before it, so everything this host
   * sent has left spice-server's buffers for the chardev. At once when no device_disconnect was sent or no
   * acknowledgement will come. Never rejects; callers bound the wait.
   */
  get disconnectAcked(): Promise<void> {
    return this.ackOwed?.promise ?? Promise.resolve();
  }

  /** A device_disconnect went out and its acknowledgement has not come yet. */
  get awaitingDisconnectAck(): boolean {
    return this.ackOwed !== null && !this.ackOwed.done;
  }

  /** The speed announced (or to be announced) in device_connect. */
  get speed(): UsbredirSpeed | undefined {
    return this.model.speed;
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

  /** What the transfer parts see of the host (see context.ts). */
  private context(): HostContext {
    // The getters read the host's live fields through these arrows (a getter's own `this` is the context object).
    const attached = () => this.attached;
    const terminal = () => this.terminal;
    const stream = () => this.stream;
    return {
      device: this.device,
      get attached() {
        return attached();
      },
      get terminal() {
        return terminal();
      },
      pending: this.pending,
      get maxPacketLength() {
        return stream().maxPacketLength;
      },
      get ids64() {
        return stream().negotiation.ids64;
      },
      send: (packet) => this.send(packet),
      warn: (message) => this.warn(message),
      io: (fn) => this.gate.io(fn),
      failure: (e) => this.failure(e),
      touched: () => {
        this.freshReset = false;
      },
      epType: (endpoint) => this.model.epType(endpoint),
      epMaxPacket: (endpoint) => this.model.epMaxPacket(endpoint),
      backlog: () => this.sink.backlog?.() ?? 0,
      mayStartIn: (key, resume) => this.inGate.open(key, resume),
    };
  }

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
    // While our device_disconnect awaits its ack, nothing more goes out: the guest drops what it had asked of
    // the device when it reads the disconnect, so answers to requests that crossed it are not wanted, and
    // bytes written after it may still be on their way into QEMU's chardev when the link closes on the ack
    // (spice-server 0.15.1 aborts then: seen with QEMU starved under load).
    if (this.muted || this.awaitingDisconnectAck) return;
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

  /** Status for a failed device call; starts the 'lost' teardown when the device is gone. */
  private failure(e: unknown): number {
    if (isDeviceLoss(this.device, e)) {
      if (!this.terminal) void this.teardown('lost', `the device was disconnected (${errorMessage(e)})`, UsbredirStatus.Ioerror, true);
      return UsbredirStatus.Ioerror;
    }
    return statusOfError(e);
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
      await this.model.load(this.options.speed);
    } catch (e) {
      this.failure(e);
      return;
    }
    if (this.terminal) return;
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
    const refusal = await this.claims.claimAll(this.model.currentConfig(), this.model.alts);
    if (refusal?.lost) this.failure(refusal.error);
    return refusal?.reason;
  }

  /** The reason the guest's filter refuses this device, if it does. */
  private filterRefusal(): string | undefined {
    if (!this.rules || !this.model.descriptors) return undefined;
    const result = checkDevice(this.rules, this.model.filterInfo());
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
    const d = this.model.descriptors!.device;
    this.sendInterfaceAndEpInfo();
    this.send({
      type: UsbredirType.DeviceConnect,
      id: 0n,
      speed: this.model.speed!,
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
    const { interfaceInfo, epInfo } = this.model.announce();
    this.send({ type: UsbredirType.InterfaceInfo, id: 0n, ...interfaceInfo });
    this.send({ type: UsbredirType.EpInfo, id: 0n, ...epInfo });
  }

  // -------------------------------------------------------------------------------------------------------
  // Ending

  /**
   * The one way out: answers everything pending with `status`, stops every stream, sends device_disconnect
   * (if the guest was told about the device and `notify`), reports the state and closes the device.
   */
  private async teardown(state: UsbHostState, reason: string, status: number, notify: boolean): Promise<void> {
    const wasAttached = this.attached;
    this.inGate.clear();
    this.abandonAll(status);
    this.streams.stopAll();
    if (wasAttached && notify && !this.muted) {
      this.send({ type: UsbredirType.DeviceDisconnect, id: 0n });
      if (this.stream.negotiation.both(UsbredirCap.DeviceDisconnectAck)) {
        const owed = { promise: Promise.resolve(), resolve: () => {}, done: false };
        owed.promise = new Promise<void>((r) => {
          owed.resolve = () => {
            owed.done = true; // at once: what follows the ack in the same read may be answered
            r();
          };
        });
        this.ackOwed = owed;
      }
    }
    this.setState(state, reason);
    await this.closeDevice();
    this.markFinished();
  }

  /**
   * Releases the interfaces and closes the device, waiting at most `closeTimeoutMs` (given a `later`): a
   * wedged device (a call that never settles) must not keep release() or the channel waiting. After the
   * bound the host is finished anyway and the device is left to the browser (a warning says so).
   */
  private async closeDevice(): Promise<void> {
    const later = this.options.later;
    if (!later) return this.closeDeviceNow();
    const bound = this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const expired = new Promise<'timeout'>((resolve) => later(() => resolve('timeout'), bound));
    const outcome = await Promise.race([this.closeDeviceNow().then(() => 'closed' as const), expired]);
    if (outcome === 'timeout') this.warn(`the device did not close within ${bound} ms; giving up on it`);
  }

  private async closeDeviceNow(): Promise<void> {
    const close = async () => {
      await this.claims.releaseAll();
      if (this.device.opened) await this.device.close();
    };
    try {
      await close();
    } catch (e) {
      if (errorName(e) !== 'InvalidStateError') return;
      // A state-changing call is still running: close after it.
      await this.gate.idle();
      try {
        await close();
      } catch {
        // Nothing more to do.
      }
    }
  }

  /** Answers every pending request with `status` and forgets every in-flight transfer's result. */
  private abandonAll(status: number): void {
    this.bulk.abandon(status);
    this.pending.answerAll(status);
  }

  /** Stops streams and answers requests on the endpoints of `interfaceNumber`'s current alt setting. */
  private abandonInterface(interfaceNumber: number): void {
    const group = this.model.currentConfig()?.interfaces.find((g) => g.bInterfaceNumber === interfaceNumber);
    const alt = group && currentAltSetting(group, this.model.alts);
    for (const ep of alt?.endpoints ?? []) {
      const address = ep.bEndpointAddress;
      this.bulk.abandon(UsbredirStatus.Cancelled, address);
      this.streams.stop(address);
      this.pending.answerAll(UsbredirStatus.Cancelled, address);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Dispatch

  private dispatch(p: UsbredirPacket): void {
    if (!this.inUse && this.attached && p.type !== UsbredirType.Hello && p.type !== UsbredirType.FilterFilter && p.type !== UsbredirType.FilterReject) {
      this.inUse = true;
      this.emit({ type: 'in-use' });
    }
    const streams = this.streams;
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
        this.ackOwed?.resolve();
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
          configuration: this.model.configValue,
        });
        return;
      case UsbredirType.SetAltSetting:
        return this.onSetAltSetting(p.id, p.interface, p.alt);
      case UsbredirType.GetAltSetting:
        return this.onGetAltSetting(p.id, p.interface);
      case UsbredirType.StartIsoStream:
        return streams.onStart('iso', p.id, p.endpoint, p.pktsPerUrb, p.noUrbs, 0, 0);
      case UsbredirType.StartInterruptReceiving:
        return streams.onStart('interrupt', p.id, p.endpoint, 1, INTERRUPT_TRANSFERS, 0, 0);
      case UsbredirType.StartBulkReceiving:
        return streams.onStart('bulk', p.id, p.endpoint, 1, p.noTransfers, p.bytesPerTransfer, p.streamId);
      case UsbredirType.StopIsoStream:
      case UsbredirType.StopInterruptReceiving:
        return streams.onStop(p.id, p.endpoint, 0);
      case UsbredirType.StopBulkReceiving:
        return streams.onStop(p.id, p.endpoint, p.streamId);
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
        return handleControl(this.ctx, p, (ep) => this.bulk.clearStash(ep));
      case UsbredirType.BulkPacket:
        return this.bulk.onBulk(p);
      case UsbredirType.InterruptPacket:
        return streams.onInterruptOut(p);
      case UsbredirType.IsoPacket:
        return streams.onIsoOut(p);
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
    this.streams.stopAllForReset();
    void this.gate.exclusive(async () => {
      if (!this.attached) return;
      try {
        await this.device.reset();
      } catch (e) {
        if (isDeviceLoss(this.device, e)) this.failure(e);
        else this.warn(`device reset failed (${errorMessage(e)}); carrying on`);
      }
    });
  }

  private onSetConfiguration(id: bigint, value: number): void {
    const reply = (status: number) => this.send({ type: UsbredirType.ConfigurationStatus, id, status, configuration: this.model.configValue });
    if (!this.attached) return reply(UsbredirStatus.Ioerror);
    if (value === this.model.configValue) return reply(UsbredirStatus.Success);
    this.freshReset = false;
    this.abandonAll(UsbredirStatus.Cancelled);
    this.streams.stopAll();
    void this.gate.exclusive(async () => {
      if (!this.attached) return reply(UsbredirStatus.Ioerror);
      let status: number = UsbredirStatus.Success;
      await this.claims.releaseAll();
      try {
        await this.device.selectConfiguration(value);
      } catch (e) {
        status = this.failure(e);
        if (!this.attached) return;
        this.warn(`cannot select configuration ${value}: ${errorMessage(e)}`);
      }
      this.model.configurationChanged();
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
    const reply = (status: number, current: number) => this.send({ type: UsbredirType.AltSettingStatus, id, status, interface: iface, alt: current });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, 0xff);
    if (!this.model.hasInterface(iface)) return reply(UsbredirStatus.Inval, 0xff);
    this.freshReset = false;
    this.abandonInterface(iface);
    void this.gate.exclusive(async () => {
      if (!this.attached) return reply(UsbredirStatus.Ioerror, 0xff);
      try {
        await this.device.selectAlternateInterface(iface, alt);
      } catch (e) {
        const status = this.failure(e);
        if (this.attached) reply(status, this.model.alts.get(iface) ?? 0);
        return;
      }
      this.model.alts.set(iface, alt);
      this.sendInterfaceAndEpInfo();
      reply(UsbredirStatus.Success, alt);
    });
  }

  private onGetAltSetting(id: bigint, iface: number): void {
    const reply = (status: number, alt: number) => this.send({ type: UsbredirType.AltSettingStatus, id, status, interface: iface, alt });
    if (!this.attached) return reply(UsbredirStatus.Ioerror, 0xff);
    if (!this.model.hasInterface(iface)) return reply(UsbredirStatus.Inval, 0xff);
    reply(UsbredirStatus.Success, this.model.alts.get(iface) ?? 0);
  }

  private onCancel(id: bigint): void {
    const p = this.pending.byId(id);
    // Not finding it is normal: the answer may already be on its way.
    if (!p) return;
    this.bulk.cancel(p);
    this.pending.answer(p, UsbredirStatus.Cancelled);
  }
}
