/**
 * Engine: what the worker exposes through comlink (EngineApi), and the one place each page call is
 * implemented: it holds at most one Session (a new connect() ends the previous one first) and reaches the
 * session's channels directly (inputs, main, display, USB). A call without a session does nothing, or says
 * why. The page's input arrives on its input port (InputPortMessage) and goes to the same methods. The
 * transport factory is injectable for tests.
 */
import { transfer } from 'comlink';
import type { DisplayStats, EngineApi, EngineEventSink, EngineStats } from '../api/engine-api.js';
import { resetSessionStats, sessionStats } from './session-stats.js';
import type { InputEvent, InputPortMessage } from '../api/input.js';
import type { ConnectOptions, MouseModeName } from '../api/types.js';
import { UsbErrorCode, type UsbResult } from '../api/usb.js';
import type { AgentResult, AgentStatus, ClipboardPolicy, FileLike, MonitorRequest, WanOptions } from '../api/agent.js';
import { keySequence } from '../input/keys.js';
import { Session } from './session.js';
import { probeVideoCodecs } from './video-decoders.js';
import { webSocketTransport, type TransportFactory } from './transport.js';

export class Engine implements EngineApi {
  private session: Session | null = null;
  /** The last session's end (see disconnect()). */
  private ending: Promise<void> = Promise.resolve();
  private inputPort: MessagePort | null = null;

  constructor(private readonly transportFactory: TransportFactory = webSocketTransport) {}

  async connect(options: ConnectOptions, sink: EngineEventSink, inputPort?: MessagePort): Promise<void> {
    this.inputPort?.close();
    this.inputPort = inputPort ?? null;
    if (inputPort) inputPort.onmessage = (e: MessageEvent<InputPortMessage>) => this.onInputMessage(e.data);
    // Display channels announce their video codecs synchronously at link time: know them first (cached).
    await probeVideoCodecs();
    this.session?.disconnect();
    resetSessionStats();
    const session = new Session(options, sink, this.transportFactory);
    this.session = session;
    await session.start();
  }

  /**
   * Ends the session; resolves once it reported `disconnected` (usbredir sockets closed, see Session.fail).
   * A second call while it is ending waits for the same end: the page calls it twice when the element leaves
   * the page, and terminates the worker once a call resolves (a second call that resolved at once cut the
   * usbredir close short, which aborts spice-server 0.15.1).
   */
  async disconnect(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) {
      session.disconnect();
      this.ending = session.closed;
    }
    await this.ending;
  }

  async openSockets(): Promise<number> {
    return this.session?.openSockets ?? 0;
  }

  async input(batch: InputEvent[]): Promise<void> {
    this.session?.inputs()?.input(batch);
  }

  async sendKeys(codes: string[]): Promise<void> {
    const inputs = this.session?.inputs();
    if (inputs) inputs.sendKeys(codes);
    else keySequence(codes); // still reject unknown codes
  }

  async releaseAll(): Promise<void> {
    this.session?.inputs()?.releaseAll();
  }

  async requestMouseMode(mode: MouseModeName): Promise<void> {
    if (this.session?.connected) this.session.main.requestMouseMode(mode);
  }

  private onInputMessage(message: InputPortMessage): void {
    switch (message?.type) {
      case 'input':
        return void this.input(message.batch);
      case 'keys':
        return void this.sendKeys(message.codes).catch(() => {}); // checked on the page already
      case 'release-all':
        return void this.releaseAll();
      case 'mouse-mode':
        return void this.requestMouseMode(message.mode);
      default:
        return;
    }
  }

  async attachMonitor(key: string, canvas: OffscreenCanvas): Promise<boolean> {
    return this.session?.monitors.attach(key, canvas) ?? false;
  }

  async screenshot(displayId: number, monitorId?: number): Promise<{ width: number; height: number; rgba: Uint8Array } | null> {
    const shot = this.session?.displayChannel(displayId)?.screenshot(monitorId) ?? null;
    return shot ? transfer(shot, [shot.rgba.buffer]) : null;
  }

  async stats(): Promise<EngineStats> {
    return sessionStats((this.session?.displayChannels() ?? []).reduce((n, c) => n + c.framesPresented, 0));
  }

  async displayStats(): Promise<DisplayStats[]> {
    return (this.session?.displayChannels() ?? []).map((c) => ({
      displayId: c.id,
      imageTypes: c.imageTypes(),
      imageCounts: c.imageCounts(),
      adaptedCompression: c.adaptedCompression,
      frames: c.framesPresented,
      monitorFrames: c.monitorFrames(),
      messages: Object.fromEntries(c.received),
      streams: c.streamStats(),
      presentation: c.presentationStats(),
    }));
  }

  async redirectUsb(key: string, device?: MessagePort): Promise<UsbResult> {
    if (!this.session) {
      device?.close();
      return { ok: false, code: UsbErrorCode.Unavailable, message: 'not connected' };
    }
    return this.session.usb.redirect(key, device);
  }

  async releaseUsb(key: string): Promise<UsbResult> {
    return this.session ? this.session.usb.release(key) : { ok: true };
  }

  // The guest agent (src/engine/agent.ts); without a session the calls say so.

  private noAgent<T>(): AgentResult<T> {
    return { ok: false, code: 'agent-not-connected', message: 'not connected' };
  }

  async setWanOptions(options: WanOptions): Promise<void> {
    await this.session?.agent.setWanOptions(options);
  }

  async setClipboardPolicy(policy: ClipboardPolicy): Promise<void> {
    await this.session?.agent.setClipboardPolicy(policy);
  }

  async offerClipboard(items: { mime: string; data: Uint8Array }[]): Promise<AgentResult<string[]>> {
    return this.session ? this.session.agent.offerClipboard(items) : this.noAgent();
  }

  async releaseClipboard(): Promise<void> {
    await this.session?.agent.releaseClipboard();
  }

  async readGuestClipboard(mime: string): Promise<AgentResult<Uint8Array>> {
    const r = this.session ? await this.session.agent.readGuestClipboard(mime) : this.noAgent<Uint8Array>();
    return r.ok ? transfer(r, [r.value.buffer]) : r;
  }

  async sendFile(file: FileLike): Promise<AgentResult<number>> {
    return this.session ? this.session.agent.sendFile(file) : this.noAgent();
  }

  async cancelFileTransfer(id: number): Promise<boolean> {
    return this.session ? this.session.agent.cancelFileTransfer(id) : false;
  }

  async setMonitorsConfig(monitors: (MonitorRequest | null)[]): Promise<AgentResult<{ sent: boolean; reason?: string }>> {
    return this.session ? this.session.agent.setMonitorsConfig(monitors) : this.noAgent();
  }

  async agentStatus(): Promise<AgentStatus> {
    return this.session ? this.session.agent.agentStatus() : { connected: false, caps: [], fileTransferAvailable: false };
  }
}
