/**
 * EngineController: owns the SPICE worker for one host element. connect() starts a fresh worker (one per
 * session, so nothing of a past session survives), wraps it with comlink and passes one long-lived event
 * sink and one input port (MessageChannel: InputPortMessages, in order; cheaper per batch than comlink calls);
 * when the session ends (any `disconnected` event) the worker is terminated. The host's removal from the
 * page ends the session.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { EngineApi, EngineEvent } from '../api/engine-api.js';
import type { InputPortMessage } from '../api/input.js';
import type { ConnectOptions } from '../api/types.js';

export type WorkerFactory = () => Worker;

export const defaultWorkerFactory: WorkerFactory = () => new Worker(new URL('../../workers/spice.worker.ts', import.meta.url), { type: 'module', name: 'spice-engine' });

/**
 * How long disconnect() waits for the engine to end its session before it terminates the worker: longer than
 * the engine's own wait for usbredir sockets to close (USBREDIR_CLOSE_DRAIN_MS), which keeps QEMU's
 * spice-server alive; an engine that does not answer within it is dropped anyway.
 */
const ENGINE_DISCONNECT_MS = 5500;

export class EngineController implements ReactiveController {
  private worker: Worker | null = null;
  private remote: Remote<EngineApi> | null = null;
  private inputPort: MessagePort | null = null;
  /** Bumped per session so late events of an old worker are ignored. */
  private generation = 0;
  /** Resolves pending calls of a worker that stop() terminated (comlink would leave them pending forever). */
  private stopped: () => void = () => {};

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onEvent: (event: EngineEvent) => void,
    private readonly workerFactory: WorkerFactory = defaultWorkerFactory,
  ) {
    host.addController(this);
  }

  get active(): boolean {
    return this.worker !== null;
  }

  /** Starts a session in a new worker; resolves when it connected or ended (see events). */
  async connect(options: ConnectOptions): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    const worker = this.workerFactory();
    this.worker = worker;
    const remote = wrap<EngineApi>(worker);
    this.remote = remote;
    const input = new MessageChannel();
    this.inputPort = input.port1;
    const terminated = new Promise<void>((resolve) => (this.stopped = resolve));
    worker.addEventListener('error', (e) => {
      if (generation !== this.generation) return;
      this.onEvent({ type: 'disconnected', code: 'protocol', reason: `the engine worker failed: ${e.message || 'script error'}`, clean: false });
      this.stop();
    });
    const sink = proxy((event: EngineEvent) => {
      if (generation !== this.generation) return;
      this.onEvent(event);
      if (event.type === 'disconnected') queueMicrotask(() => generation === this.generation && this.stop());
    });
    try {
      await Promise.race([remote.connect(options, sink, transfer(input.port2, [input.port2])), terminated]);
    } catch (e) {
      if (generation !== this.generation) return;
      this.onEvent({ type: 'disconnected', code: 'protocol', reason: `the engine failed: ${(e as Error).message ?? e}`, clean: false });
      this.stop();
    }
  }

  /** Ends the session cleanly (the engine sends `disconnected` with code `client`). */
  async disconnect(): Promise<void> {
    const remote = this.remote;
    if (!remote) return;
    try {
      await Promise.race([
        remote.disconnect(),
        new Promise((r) => setTimeout(r, ENGINE_DISCONNECT_MS)),
        new Promise<void>((r) => (this.stopped = chain(this.stopped, r))),
      ]);
    } finally {
      this.stop();
    }
  }

  /**
   * Hands `canvas` (a page canvas of any same-origin window) to the worker for monitor `key`; its control
   * moves to the worker for good. False when there is no session or no such monitor.
   */
  async attachMonitor(key: string, canvas: HTMLCanvasElement): Promise<boolean> {
    const remote = this.remote;
    if (!remote) return false;
    const offscreen = canvas.transferControlToOffscreen();
    try {
      return await remote.attachMonitor(key, transfer(offscreen, [offscreen]));
    } catch {
      return false;
    }
  }

  /** Sockets the current worker holds open (0 without a worker). */
  async openSockets(): Promise<number> {
    return this.remote ? this.remote.openSockets() : 0;
  }

  /** Posts input to the engine, in order with all other input; dropped when idle. */
  post(message: InputPortMessage): void {
    this.inputPort?.postMessage(message);
  }

  /** The engine, for calls that need no lifecycle handling (screenshots, stats, input); null when idle. */
  get api(): Remote<EngineApi> | null {
    return this.remote;
  }

  hostDisconnected(): void {
    void this.disconnect();
  }

  private stop(): void {
    this.stopped();
    this.stopped = () => {};
    this.remote?.[releaseProxy]();
    this.remote = null;
    this.inputPort?.close();
    this.inputPort = null;
    this.worker?.terminate();
    this.worker = null;
    this.host.requestUpdate();
  }
}

function chain(a: () => void, b: () => void): () => void {
  return () => {
    a();
    b();
  };
}
