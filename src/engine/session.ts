/**
 * Session: one connection to a SPICE server, from connect to the single `disconnected` event. It links
 * the main channel, learns the session id, links every listed channel of the types this client handles
 * (also channels announced later), reports channel states, and funnels every failure through `fail`,
 * which closes every socket exactly once. States move only connecting → connected → disconnected (or
 * connecting → disconnected).
 */
import type { EngineEventSink } from '../api/engine-api.js';
import {
  ChannelTypeName,
  DisconnectCode,
  ImageCompression,
  type ChannelInfo,
  type ConnectOptions,
  type MouseModeName,
  type SessionInfo,
  type SessionState,
} from '../api/types.js';
import type { InputEvent } from '../api/input.js';
import { keySequence } from '../input/keys.js';
import { MainMsgc, MouseMode } from '../protocol/constants.js';
import { writeMouseModeRequest, type ChannelId, type MainInit } from '../protocol/main.js';
import { Channel, PassiveChannel, type ChannelOwner } from './channel.js';
import { MainChannel, mouseModeNames } from './channels/main-channel.js';
import type { GlzDictionary } from '../codecs/glz.js';
import { DisplayChannel } from './channels/display-channel.js';
import { InputsChannel } from './channels/inputs-channel.js';
import { channelFactories, createGlzDictionary, type SessionServices } from './channels/registry.js';
import type { TransportFactory } from './transport.js';
import { UsbManager } from './usb-manager.js';

const DEFAULT_LINK_TYPES: ChannelTypeName[] = ['display', 'inputs', 'cursor', 'usbredir'];
/** A hostile server could announce endless channels; real ones have a few dozen at most. */
const MAX_CHANNELS = 256;

export function channelTypeName(type: number): ChannelInfo['type'] {
  return (ChannelTypeName as Record<number, ChannelTypeName>)[type] ?? `unknown-${type}`;
}

export class Session implements ChannelOwner {
  readonly url: string;
  readonly linkTimeoutMs: number;
  private state: SessionState = 'connecting';
  private secret: string;
  private readonly main: MainChannel;
  private readonly channels = new Map<string, { info: ChannelInfo; channel: Channel | null }>();
  private readonly linkTypes: Set<string>;
  private init: MainInit | null = null;
  private facts: { name?: string; uuid?: string } = {};
  private mouse: { mode: MouseModeName; supported: MouseModeName[] } = { mode: 'server', supported: [] };
  private agentConnected = false;
  private settle!: () => void;
  private readonly glzDictionary: GlzDictionary = createGlzDictionary();
  /** USB redirection: the usbredir channels and the devices on them. */
  readonly usb: UsbManager;
  readonly done: Promise<void>;

  constructor(
    options: ConnectOptions,
    private readonly sink: EngineEventSink,
    readonly transportFactory: TransportFactory,
    private readonly displayCanvas?: OffscreenCanvas,
  ) {
    this.url = options.url;
    this.secret = options.password ?? '';
    this.linkTimeoutMs = options.linkTimeoutMs ?? 15000;
    this.linkTypes = new Set(options.linkChannelTypes ?? DEFAULT_LINK_TYPES);
    this.usb = new UsbManager(
      { emit: (event) => this.emit(event), log: (level, message) => this.log(level, message), relink: (channel) => this.relinkChannel(channel) },
      { mode: options.usb?.mode ?? 'native', ...(options.usb?.disabledReason ? { disabledReason: options.usb.disabledReason } : {}) },
    );
    // USB turned off: the VM's usbredir chardevs stay closed.
    if (!this.usb.enabled) this.linkTypes.delete('usbredir');
    if (options.preferredCompression) this.services.preferredCompression = ImageCompression[options.preferredCompression];
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.main = new MainChannel(this, {
      init: (init) => this.onInit(init),
      channelsList: (list, initial) => this.onChannelsList(list, initial),
      mouseMode: (mode, supported) => {
        this.mouse = { mode, supported };
        this.emit({ type: 'mouse-mode', mode, supported });
      },
      agent: (connected) => {
        this.agentConnected = connected;
        if (this.state === 'connected') this.emit({ type: 'agent', connected });
      },
      identity: (facts) => Object.assign(this.facts, facts),
    });
  }

  /** Opens the main channel; `done` resolves once connected or disconnected. */
  start(): Promise<void> {
    this.emit({ type: 'state', state: 'connecting' });
    this.main.open();
    return this.done;
  }

  get openSockets(): number {
    let n = this.main.closed ? 0 : 1;
    for (const { channel } of this.channels.values()) if (channel && !channel.closed) n++;
    return n;
  }

  disconnect(): void {
    this.fail(DisconnectCode.Client, 'disconnected by the client');
  }

  // ChannelOwner

  password(): string {
    return this.secret;
  }

  channelLinked(channel: Channel): void {
    if (channel === this.main) return;
    this.setChannelState(channel, 'linked');
  }

  channelFailed(channel: Channel, code: DisconnectCode, reason: string): void {
    if (channel === this.main || code === DisconnectCode.Protocol) return this.fail(code, reason);
    // A secondary channel that cannot link (busy usbredir slot, unavailable channel) does not end the
    // session; one that drops after linking usually means the server went away, which main reports.
    this.setChannelState(channel, channel.wasLinked ? 'closed' : 'failed', reason);
    this.log(code === DisconnectCode.TransportClosed ? 'info' : 'warn', reason);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message });
  }

  notify(severity: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'notify', severity, message });
  }

  // Internals

  private emit(event: Parameters<EngineEventSink>[0]): void {
    if (this.state === 'disconnected' && event.type !== 'disconnected') return;
    try {
      this.sink(event);
    } catch {
      // The page's sink is gone (its port closed): nothing to tell.
    }
  }

  private fail(code: DisconnectCode, reason: string): void {
    if (this.state === 'disconnected') return;
    this.state = 'disconnected';
    this.secret = '';
    this.glzDictionary.clear();
    this.usb.shutdown();
    this.main.close();
    for (const entry of this.channels.values()) entry.channel?.close();
    this.emit({ type: 'disconnected', code, reason, clean: code === DisconnectCode.Client });
    this.settle();
  }

  private onInit(init: MainInit): void {
    this.init = init;
    this.mouse = { mode: init.currentMouseMode === 2 ? 'client' : 'server', supported: mouseModeNames(init.supportedMouseModes) };
  }

  private onChannelsList(list: ChannelId[], initial: boolean): void {
    for (const { type, id } of list) {
      const key = `${type}:${id}`;
      if (type === 1 || this.channels.has(key)) continue;
      if (this.channels.size >= MAX_CHANNELS) return this.fail(DisconnectCode.Protocol, `the server announced more than ${MAX_CHANNELS} channels`);
      const info: ChannelInfo = { type: channelTypeName(type), typeId: type, id, state: 'listed' };
      const channel = this.linkTypes.has(info.type) ? this.createChannel(type, id) : null;
      this.channels.set(key, { info, channel });
      if (channel) {
        info.state = 'linking';
        channel.open();
      }
    }
    if (!initial) this.emitChannels();
    this.maybeConnected();
  }

  private createChannel(type: number, id: number): Channel {
    const factory = channelFactories[type];
    const sessionId = this.init!.sessionId;
    return factory ? factory(this, id, sessionId, this.services) : new PassiveChannel(this, type, id, sessionId);
  }

  private readonly services: SessionServices = {
    emit: (event) => this.emit(event),
    displayCanvas: (id) => (id === 0 ? this.displayCanvas : undefined),
    channel: (type, id) => this.channel(type, id),
    glz: () => this.glzDictionary,
    usb: () => this.usb,
  };

  /**
   * Closes `channel` and links a fresh channel of the same type and id in its place (a usbredir channel
   * needs a new chardev connection in QEMU for every device). Ignored once the session ended.
   */
  relinkChannel(channel: Channel): void {
    const entry = this.channels.get(channel.describe());
    if (this.state === 'disconnected' || !entry || entry.channel !== channel) return;
    channel.close();
    const fresh = this.createChannel(channel.type, channel.id);
    entry.channel = fresh;
    entry.info.state = 'linking';
    delete entry.info.error;
    fresh.open();
  }

  /** The display channels' primary surfaces and stats (for screenshots, tests and diagnostics). */
  displayChannel(id: number): DisplayChannel | undefined {
    const c = this.channel(2, id);
    return c instanceof DisplayChannel ? c : undefined;
  }

  displayChannels(): DisplayChannel[] {
    return this.linkedChannels(2).filter((c): c is DisplayChannel => c instanceof DisplayChannel);
  }

  /** A channel of this session by type and id (the main channel is type 1, id 0). */
  channel(type: number, id: number): Channel | undefined {
    if (type === 1) return id === 0 ? this.main : undefined;
    return this.channels.get(`${type}:${id}`)?.channel ?? undefined;
  }

  /** Every linked channel of `type`. */
  linkedChannels(type: number): Channel[] {
    const out: Channel[] = [];
    for (const { channel } of this.channels.values()) if (channel && channel.type === type && channel.linked) out.push(channel);
    return out;
  }

  /** The linked inputs channel (servers have one, id 0), if any. */
  private inputsChannel(): InputsChannel | undefined {
    return this.linkedChannels(3).find((c): c is InputsChannel => c instanceof InputsChannel);
  }

  /** Page input, in order; dropped while no inputs channel is linked. */
  input(batch: InputEvent[]): void {
    this.inputsChannel()?.input(batch);
  }

  /** Presses `codes` in order and releases them in reverse; throws RangeError for an unknown code. */
  sendKeys(codes: string[]): void {
    const inputs = this.inputsChannel();
    if (inputs) inputs.sendKeys(codes);
    else keySequence(codes); // still reject unknown codes
  }

  /** Releases every key and button held down in the guest. */
  releaseAll(): void {
    this.inputsChannel()?.releaseAll();
  }

  /** MOUSE_MODE_REQUEST; the server answers with MOUSE_MODE (the `mouse-mode` event) if it changes. */
  requestMouseMode(mode: MouseModeName): void {
    if (this.state !== 'connected' || !this.mouse.supported.includes(mode)) return;
    this.main.send(MainMsgc.MouseModeRequest, writeMouseModeRequest(mode === 'client' ? MouseMode.Client : MouseMode.Server));
  }

  private setChannelState(channel: Channel, state: ChannelInfo['state'], error?: string): void {
    const entry = this.channels.get(channel.describe());
    if (!entry) return;
    entry.info.state = state;
    if (error) entry.info.error = error;
    if (this.state === 'connected') this.emitChannels();
    else this.maybeConnected();
  }

  /** Connected once the initial list arrived and every channel in it linked or failed. */
  private maybeConnected(): void {
    if (this.state !== 'connecting' || !this.init) return;
    for (const { info } of this.channels.values()) if (info.state === 'linking') return;
    this.state = 'connected';
    this.emit({ type: 'state', state: 'connected' });
    this.emit({ type: 'connected', session: this.sessionInfo() });
    this.usb.start();
    this.settle();
  }

  private channelList(): ChannelInfo[] {
    const list: ChannelInfo[] = [{ type: 'main', typeId: 1, id: 0, state: this.main.closed ? 'closed' : 'linked' }];
    for (const { info } of this.channels.values()) list.push({ ...info });
    return list;
  }

  private emitChannels(): void {
    this.emit({ type: 'channels', channels: this.channelList() });
  }

  private sessionInfo(): SessionInfo {
    const init = this.init!;
    return {
      sessionId: init.sessionId,
      channels: this.channelList(),
      displayChannelsHint: init.displayChannelsHint,
      mouseModes: this.mouse.supported,
      mouseMode: this.mouse.mode,
      agentConnected: this.agentConnected,
      ...this.facts,
    };
  }
}
