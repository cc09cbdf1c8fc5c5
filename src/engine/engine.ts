/**
 * Engine: what the worker exposes through comlink (EngineApi). It holds at most one Session; a new
 * connect() ends the previous session first. The transport factory is injectable for tests.
 */
import type { EngineApi, EngineEventSink } from '../api/engine-api.js';
import type { ConnectOptions } from '../api/types.js';
import { Session } from './session.js';
import { webSocketTransport, type TransportFactory } from './transport.js';

export class Engine implements EngineApi {
  private session: Session | null = null;

  constructor(private readonly transportFactory: TransportFactory = webSocketTransport) {}

  async connect(options: ConnectOptions, sink: EngineEventSink, displayCanvas?: OffscreenCanvas): Promise<void> {
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
}
