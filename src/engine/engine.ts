/**
 * Engine: what the worker exposes through comlink (EngineApi), and the one place each page call is
 * implemented: it holds at most one Session (a new connect() ends the previous one first) and reaches the
 * session's channels directly (inputs, main, display, USB). A call without a session does nothing, or says
 * why. The page's input arrives on its input port (InputPortMessage) and goes to the same methods. The
 * transport factory is injectable for tests.
 */
import { transfer } from 'comlink';
import type { DisplayStats, EngineApi, EngineEventSink } from '../api/engine-api.js';
import type { InputEvent, InputPortMessage } from '../api/input.js';
import type { ConnectOptions, MouseModeName } from '../api/types.js';
import { UsbErrorCode, type UsbResult } from '../api/usb.js';
import { keySequence } from '../input/keys.js';
import { Session } from './session.js';
import { probeVideoCodecs } from './video-decoders.js';
import { webSocketTransport, type TransportFactory } from './transport.js';

export class Engine implements EngineApi {
  private session: Session | null = null;
  private inputPort: MessagePort | null = null;

  constructor(private readonly transportFactory: TransportFactory = webSocketTransport) {}

  async connect(options: ConnectOptions, sink: EngineEventSink, displayCanvas?: OffscreenCanvas, inputPort?: MessagePort): Promise<void> {
    this.inputPort?.close();
    this.inputPort = inputPort ?? null;
    if (inputPort) inputPort.onmessage = (e: MessageEvent<InputPortMessage>) => this.onInputMessage(e.data);
    // Display channels announce their video codecs synchronously at link time: know them first (cached).
    await probeVideoCodecs();
    this.session?.disconnect();
    const session = new Session(options, sink, this.transportFactory, displayCanvas);
    this.session = session;
    await session.start();
  }

  async disconnect(): Promise<void> {
    this.session?.disconnect();
    this.session = null;
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

  async screenshot(displayId: number): Promise<{ width: number; height: number; rgba: Uint8Array } | null> {
    const shot = this.session?.displayChannel(displayId)?.screenshot() ?? null;
    return shot ? transfer(shot, [shot.rgba.buffer]) : null;
  }

  async displayStats(): Promise<DisplayStats[]> {
    return (this.session?.displayChannels() ?? []).map((c) => ({
      displayId: c.id,
      imageTypes: c.imageTypes(),
      frames: c.framesPresented,
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
}
