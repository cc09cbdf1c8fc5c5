/**
 * Session: one connection to a SPICE server, from connect to the single `disconnected` event. It links
 * the main channel, learns the session id, links every listed channel of the types this client handles
 * (also channels announced later), reports channel states, and funnels every failure through `fail`,
 * which closes every socket exactly once. States move only connecting → connected → disconnected (or
 * connecting → disconnected). Each channel gets the session through one ChannelContext; the page's calls
 * (src/engine/engine.ts) reach the channels directly through `main`, `inputs()`, `displayChannel()`, `usb`.
 */
import type { EngineEventSink } from '../api/engine-api.js';
import {
  DisconnectCode,
  channelTypeName,
  imageCompressionValue,
  type ChannelTypeName,
  type ChannelInfo,
  type ConnectOptions,
  type SessionInfo,
  type SessionState,
} from '../api/types.js';
import { ChannelType } from '../protocol/constants.js';
import { limitError, MAX_CHANNELS } from '../protocol/limits.js';
import type { ChannelId, MainInit } from '../protocol/main.js';
import { GlzDictionary } from '../codecs/glz.js';
import { Channel, PassiveChannel } from './channel.js';
import type { ChannelContext } from './channel-context.js';
import { MainChannel } from './channels/main-channel.js';
import { DisplayChannel, GLZ_WINDOW_PIXELS } from './channels/display-channel.js';
import { InputsChannel } from './channels/inputs-channel.js';
import { channelFactories } from './channels/registry.js';
import type { TransportFactory } from './transport.js';
import { UsbManager } from './usb-manager.js';
import { USBREDIR_CLOSE_DRAIN_MS, UsbredirChannel } from './channels/usbredir-channel.js';
import { MonitorRegistry } from './monitors.js';
import { EngineAgent } from './agent.js';

const DEFAULT_LINK_TYPES: ChannelTypeName[] = ['display', 'inputs', 'cursor', 'usbredir'];

/** Resolves once `p` settled or `ms` passed, whichever comes first (the timer is cleared either way). */
function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  const done = p.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([done, bound]).then(() => clearTimeout(timer));
}

export class Session {
  private state: SessionState = 'connecting';
  private secret: string;
  /** The main channel: session facts, mouse mode, agent. */
  readonly main: MainChannel;
  private readonly channels = new Map<string, { info: ChannelInfo; channel: Channel | null }>();
  private readonly linkTypes: Set<string>;
  private init: MainInit | null = null;
  private facts: { name?: string; uuid?: string } = {};
  private agentConnected = false;
  private settle!: () => void;
  /** What every channel gets of the session; `sessionId` is filled in from MAIN_INIT. */
  private context: ChannelContext;
  /** USB redirection: the usbredir channels and the devices on them. */
  readonly usb: UsbManager;
  /** Every monitor of every display channel, with the canvases the page attached. */
  readonly monitors: MonitorRegistry = new MonitorRegistry(
    (monitors, maxAllowed) => this.emit({ type: 'monitors', monitors, maxAllowed }),
    (channelId) => this.displayChannel(channelId)?.refreshMonitors(),
  );
  /** The guest agent, spoken over the main channel. */
  readonly agent: EngineAgent;
  readonly done: Promise<void>;
  /** Resolves once the session ended and its usbredir sockets were let go (see fail()). */
  closed: Promise<void> = new Promise(() => {});

  constructor(
    options: ConnectOptions,
    private readonly sink: EngineEventSink,
    transportFactory: TransportFactory,
  ) {
    this.secret = options.password ?? '';
    this.linkTypes = new Set(options.linkChannelTypes ?? DEFAULT_LINK_TYPES);
    this.usb = new UsbManager(
      { emit: (event) => this.emit(event), log: (level, message) => this.log(level, message), relink: (channel) => this.relinkChannel(channel) },
      { mode: options.usb?.mode ?? 'native', ...(options.usb?.disabledReason ? { disabledReason: options.usb.disabledReason } : {}) },
    );
    // USB turned off: the VM's usbredir chardevs stay closed.
    if (!this.usb.enabled) this.linkTypes.delete('usbredir');
    this.context = {
      url: options.url,
      transportFactory,
      linkTimeoutMs: options.linkTimeoutMs ?? 15000,
      sessionId: 0,
      password: () => this.secret,
      linked: (channel) => this.channelLinked(channel),
      failed: (channel, code, reason) => this.channelFailed(channel, code, reason),
      emit: (event) => this.emit(event),
      channel: (type, id) => this.channel(type, id),
      monitors: this.monitors,
      glz: new GlzDictionary(GLZ_WINDOW_PIXELS),
      ...(options.preferredCompression ? { preferredCompression: imageCompressionValue(options.preferredCompression) } : {}),
      usb: this.usb,
    };
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.agent = new EngineAgent(
      { sendData: (body) => this.main.sendAgentData(body), emit: (event) => this.emit(event), log: (level, message) => this.log(level, message) },
      options.agent,
    );
    this.main = new MainChannel(this.context, {
      init: (init) => this.onInit(init),
      channelsList: (list, initial) => this.onChannelsList(list, initial),
      agent: (connected, tokens) => {
        this.agentConnected = connected;
        if (connected) this.agent.session.agentConnected(tokens);
        else this.agent.session.agentDisconnected();
      },
      agentTokens: (tokens, grant) => (grant ? this.agent.session.grantTokens(tokens) : this.agent.session.setTokens(tokens)),
      agentData: (body) => this.agent.session.data(body),
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

  /** Whether the session is up: every initially listed channel linked or failed, not yet ended. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  disconnect(): void {
    this.fail(DisconnectCode.Client, 'disconnected by the client');
  }

  // Internals

  private channelLinked(channel: Channel): void {
    if (channel === this.main) return;
    this.setChannelState(channel, 'linked');
  }

  private channelFailed(channel: Channel, code: DisconnectCode, reason: string): void {
    if (channel === this.main || code === DisconnectCode.Protocol) return this.fail(code, reason);
    // A secondary channel that cannot link (busy usbredir slot, unavailable channel) does not end the
    // session; one that drops after linking usually means the server went away, which main reports.
    this.setChannelState(channel, channel.wasLinked ? 'closed' : 'failed', reason);
    this.log(code === DisconnectCode.TransportClosed ? 'info' : 'warn', reason);
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message });
  }

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
    this.context.glz.clear();
    this.usb.shutdown();
    this.agent.session.agentDisconnected(); // pending clipboard reads and transfers end now
    // usbredir channels first, each after its device_disconnect (queued by shutdown, flushed by close()).
    // A usbredir channel that carried a device is given time to end its socket with the close handshake:
    // spice-server 0.15.1 aborts QEMU when a usbredir socket drops while it is still handing our last data to
    // the chardev (char-device.cpp write_buffer_release assertion), and the page terminates this worker, which
    // drops every socket, as soon as `disconnected` is out. Its close frame comes back once spice-server has
    // read everything before it, so the event waits for that, at most USBREDIR_CLOSE_DRAIN_MS.
    for (const { channel } of this.channels.values()) {
      if (!(channel instanceof UsbredirChannel) || channel.closed) continue;
      const carried = channel.spent;
      channel.close();
      if (carried) this.trackUsbSocket(channel.socketEnded);
    }
    // Also the sockets of usbredir channels replaced a moment ago (a device that just left), still closing.
    const draining = [...this.usbSocketsClosing];
    this.main.close();
    for (const entry of this.channels.values()) entry.channel?.close();
    const end = () => {
      this.emit({ type: 'disconnected', code, reason, clean: code === DisconnectCode.Client });
      this.settle();
    };
    if (!draining.length) {
      end();
      this.closed = Promise.resolve();
      return;
    }
    this.closed = settledWithin(Promise.all(draining), USBREDIR_CLOSE_DRAIN_MS).then(end);
  }

  private onInit(init: MainInit): void {
    this.init = init;
    // The tokens for agent data, also for an agent that connects later with a plain AGENT_CONNECTED.
    this.agent.session.setTokens(init.agentTokens);
    this.context = { ...this.context, sessionId: init.sessionId };
  }

  private onChannelsList(list: ChannelId[], initial: boolean): void {
    for (const { type, id } of list) {
      const key = `${type}:${id}`;
      if (type === ChannelType.Main || this.channels.has(key)) continue;
      if (this.channels.size >= MAX_CHANNELS) {
        return this.fail(DisconnectCode.Protocol, limitError(`a channel list of ${this.channels.size + 1} channels`, MAX_CHANNELS, 'MAX_CHANNELS').message);
      }
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
    const factory = channelFactories[type as ChannelType];
    return factory ? factory(this.context, id) : new PassiveChannel(this.context, type, id);
  }

  /** Sockets of usbredir channels that carried a device, closed and not yet ended (see fail()). */
  private readonly usbSocketsClosing = new Set<Promise<void>>();

  private trackUsbSocket(ended: Promise<void>): void {
    this.usbSocketsClosing.add(ended);
    void ended.then(() => this.usbSocketsClosing.delete(ended));
  }

  /**
   * Closes `channel` and links a fresh channel of the same type and id in its place (a usbredir channel
   * needs a new chardev connection in QEMU for every device). Ignored once the session ended.
   */
  relinkChannel(channel: Channel): void {
    const entry = this.channels.get(channel.describe());
    if (this.state === 'disconnected' || !entry || entry.channel !== channel) return;
    const carried = channel instanceof UsbredirChannel && channel.spent;
    channel.close();
    const fresh = this.createChannel(channel.type, channel.id);
    entry.channel = fresh;
    entry.info.state = 'linking';
    delete entry.info.error;
    if (!carried) return fresh.open();
    // A usbredir link that carried a device: the fresh link waits until the old socket has ended (its close
    // handshake: spice-server has let go of the old connection and its chardev), at most
    // USBREDIR_CLOSE_DRAIN_MS, instead of overlapping it (spice-server refuses a second link meanwhile anyway).
    const ended = channel.socketEnded;
    this.trackUsbSocket(ended);
    void settledWithin(ended, USBREDIR_CLOSE_DRAIN_MS).then(() => {
      if (this.state !== 'disconnected' && entry.channel === fresh) fresh.open();
    });
  }

  /** The display channels' primary surfaces and stats (for screenshots, tests and diagnostics). */
  displayChannel(id: number): DisplayChannel | undefined {
    const c = this.channel(ChannelType.Display, id);
    return c instanceof DisplayChannel ? c : undefined;
  }

  displayChannels(): DisplayChannel[] {
    return this.linkedChannels(ChannelType.Display).filter((c): c is DisplayChannel => c instanceof DisplayChannel);
  }

  /** A channel of this session by type and id (SPICE_CHANNEL_*; the main channel is id 0). */
  channel(type: number, id: number): Channel | undefined {
    if (type === ChannelType.Main) return id === 0 ? this.main : undefined;
    return this.channels.get(`${type}:${id}`)?.channel ?? undefined;
  }

  /** Every linked channel of `type`. */
  linkedChannels(type: number): Channel[] {
    const out: Channel[] = [];
    for (const { channel } of this.channels.values()) if (channel && channel.type === type && channel.linked) out.push(channel);
    return out;
  }

  /** The linked inputs channel (servers have one, id 0), if any. */
  inputs(): InputsChannel | undefined {
    return this.linkedChannels(ChannelType.Inputs).find((c): c is InputsChannel => c instanceof InputsChannel);
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
    const list: ChannelInfo[] = [{ type: 'main', typeId: ChannelType.Main, id: 0, state: this.main.closed ? 'closed' : 'linked' }];
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
      mouseModes: this.main.mouse.supported,
      mouseMode: this.main.mouse.mode,
      agentConnected: this.agentConnected,
      ...this.facts,
    };
  }
}
