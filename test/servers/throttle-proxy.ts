/**
 * A throttling TCP proxy for network-fault tests: listens on a loopback port and forwards every connection
 * to a target (e.g. Xspice's WebSocket port), in both directions, through controls the test turns at any
 * time: bandwidth (bytes per second, per direction and connection), latency (ms added to every chunk), a
 * stall (nothing is forwarded until released; what arrives meanwhile waits, reading stops once 1 MiB waits),
 * and a cut (every connection reset, or ended with FIN). It owns its sockets and closes them in `close()`.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ThrottleSettings {
  /** Bytes per second per direction and connection; 0 = unlimited. */
  bandwidth: number;
  /** Added delay per chunk, in ms. */
  latencyMs: number;
}

export interface ThrottleProxy {
  readonly url: string;
  readonly port: number;
  set(settings: Partial<ThrottleSettings>): void;
  /** Holds every byte in both directions until `release()`. */
  stall(): void;
  release(): void;
  /** Cuts every open connection: `reset` sends RST (a killed server or a dropped link), `end` a FIN. */
  cut(how?: 'reset' | 'end'): void;
  /** While true, new connections are refused (reset at once): the server is "down". */
  refuse(on: boolean): void;
  /** Open connection pairs. */
  connections(): number;
  /** Bytes forwarded server → client and client → server so far. */
  readonly bytes: { down: number; up: number };
  close(): Promise<void>;
}

const HIGH_WATER = 1024 * 1024;

/** One direction of one connection: applies latency, bandwidth and the stall, in order. */
class Pipe {
  private queue: { at: number; data: Buffer }[] = [];
  private queued = 0;
  private nextFree = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly proxy: { settings: ThrottleSettings; stalled: boolean },
    private readonly count: (n: number) => void,
  ) {
    from.on('data', (data: Buffer) => this.push(data));
  }
  private push(data: Buffer): void {
    const now = Date.now();
    const { bandwidth, latencyMs } = this.proxy.settings;
    const at = Math.max(now + latencyMs, this.nextFree);
    this.nextFree = bandwidth ? at + (data.length / bandwidth) * 1000 : at;
    this.queue.push({ at, data });
    this.queued += data.length;
    if (this.queued > HIGH_WATER) this.from.pause();
    this.pump();
  }
  pump(): void {
    clearTimeout(this.timer);
    if (this.proxy.stalled) return;
    const now = Date.now();
    while (this.queue.length && this.queue[0]!.at <= now) {
      const { data } = this.queue.shift()!;
      this.queued -= data.length;
      if (!this.to.destroyed) this.to.write(data);
      this.count(data.length);
    }
    if (this.queued <= HIGH_WATER && this.from.isPaused()) this.from.resume();
    if (this.queue.length) this.timer = setTimeout(() => this.pump(), Math.max(1, this.queue[0]!.at - now));
  }
  /** After a stall, chunks that were due go out now and later ones keep their spacing from now on. */
  released(): void {
    const now = Date.now();
    for (const q of this.queue) q.at = Math.max(q.at, now);
    this.nextFree = Math.max(this.nextFree, now);
    this.pump();
  }
  stop(): void {
    clearTimeout(this.timer);
    this.queue = [];
  }
}

export async function startThrottleProxy(targetPort: number, targetHost = '127.0.0.1', settings: Partial<ThrottleSettings> = {}): Promise<ThrottleProxy> {
  const state = { settings: { bandwidth: 0, latencyMs: 0, ...settings }, stalled: false };
  const pairs = new Set<{ client: Socket; upstream: Socket; pipes: Pipe[] }>();
  const bytes = { down: 0, up: 0 };
  let refusing = false;

  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    client.pause();
    const upstream = createConnection({ port: targetPort, host: targetHost });
    upstream.setNoDelay(true);
    const pair = {
      client,
      upstream,
      pipes: [new Pipe(upstream, client, state, (n) => (bytes.down += n)), new Pipe(client, upstream, state, (n) => (bytes.up += n))],
    };
    pairs.add(pair);
    upstream.on('connect', () => client.resume());
    const end = (how: 'reset' | 'end', peer: Socket) => {
      if (!pairs.delete(pair)) return;
      for (const p of pair.pipes) p.stop();
      if (how === 'reset') peer.resetAndDestroy();
      else peer.end();
    };
    client.on('error', () => end('reset', upstream));
    upstream.on('error', () => end('reset', client));
    client.on('end', () => end('end', upstream));
    upstream.on('end', () => end('end', client));
    client.on('close', () => end('end', upstream));
    upstream.on('close', () => end('end', client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const cutAll = (how: 'reset' | 'end') => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      for (const p of pair.pipes) p.stop();
      for (const s of [pair.client, pair.upstream]) {
        if (how === 'reset') s.resetAndDestroy();
        else s.end();
      }
    }
  };

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    bytes,
    set(next) {
      Object.assign(state.settings, next);
    },
    stall() {
      state.stalled = true;
    },
    release() {
      state.stalled = false;
      for (const pair of pairs) for (const p of pair.pipes) p.released();
    },
    cut(how = 'reset') {
      cutAll(how);
    },
    refuse(on) {
      refusing = on;
    },
    connections: () => pairs.size,
    close: () =>
      new Promise((resolve) => {
        cutAll('reset');
        server.close(() => resolve());
      }),
  };
}
