/**
 * Input batches to the engine worker: comlink calls (`api.input(batch)`, today's path) against plain
 * `postMessage` on a dedicated MessagePort. bench/run.mjs loads this bundle as a worker (the sender, standing
 * in for the page's main thread: the same postMessage and comlink code runs there); the sender starts this
 * same bundle again as a nested worker with `?role=engine` (the receiver, standing in for the engine).
 *
 * Per path and batch shape it reports:
 *   send     sender time per batch spent in the call itself (serialise, post; comlink also builds its request),
 *   latency  one-way delay from the sender's call to the receiver's handler, median and p95, batches paced
 *            every 2 ms (clocks compared through performance.timeOrigin),
 *   burst    N batches back to back until the receiver has seen them all and (comlink) the sender has settled
 *            every reply, per batch: both threads' work, comlink's replies included.
 */
import { expose, transfer, wrap, type Remote } from 'comlink';
import type { InputEvent } from '../src/api/input.js';

interface Scope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}
const scope = self as unknown as Scope;
const params = new URLSearchParams(location.search);
const now = (): number => performance.timeOrigin + performance.now();

/** What the receiver does with a batch: a stamp check and a count, so the transport is what is measured. */
interface Stamped {
  sentAt: number;
  batch: InputEvent[];
}

class Receiver {
  private count = 0;
  private delays: number[] = [];
  private waiter: { n: number; port: MessagePort } | null = null;

  input(message: Stamped): void {
    this.handle(message);
  }

  /** The port path: every message on `port` is one batch; `{ until: n }` asks for a note after n batches. */
  listen(port: MessagePort): void {
    port.onmessage = (e: MessageEvent<Stamped | { until: number } | { reset: true } | { report: true }>) => {
      const data = e.data;
      if ('batch' in data) return this.handle(data);
      if ('reset' in data) return this.reset();
      if ('report' in data) return port.postMessage({ delays: this.delays });
      this.waiter = { n: data.until, port };
      this.check();
    };
  }

  reset(): void {
    this.count = 0;
    this.delays = [];
  }

  delaysSoFar(): number[] {
    return this.delays;
  }

  /** Resolves once `n` batches arrived since the last reset (comlink path). */
  until(n: number): Promise<void> {
    return new Promise((resolve) => {
      const poll = (): void => (this.count >= n ? resolve() : void setTimeout(poll, 0));
      poll();
    });
  }

  private handle(message: Stamped): void {
    this.delays.push(now() - message.sentAt);
    if (!Array.isArray(message.batch)) throw new Error('not a batch');
    this.count++;
    this.check();
  }

  private check(): void {
    if (this.waiter && this.count >= this.waiter.n) {
      this.waiter.port.postMessage({ reached: this.count });
      this.waiter = null;
    }
  }
}

const BATCHES: Record<string, InputEvent[]> = {
  'pointer (1 position)': [{ type: 'position', x: 812, y: 431, displayId: 0 }],
  'key (down + up)': [
    { type: 'key', scancode: 0x1e, down: true },
    { type: 'key', scancode: 0x1e, down: false },
  ],
  'mixed (10 events)': [
    { type: 'position', x: 10, y: 20, displayId: 0 },
    { type: 'button', button: 'left', down: true },
    { type: 'position', x: 11, y: 21, displayId: 0 },
    { type: 'button', button: 'left', down: false },
    { type: 'key', scancode: 0x2a, down: true },
    { type: 'key', scancode: 0x1e, down: true },
    { type: 'key', scancode: 0x1e, down: false },
    { type: 'key', scancode: 0x2a, down: false },
    { type: 'wheel', notches: 1 },
    { type: 'motion', dx: 3, dy: -2 },
  ],
};

interface Path {
  name: string;
  send(batch: InputEvent[]): unknown;
  /** Waits until the receiver saw `n` batches since the last reset. */
  seen(n: number): Promise<void>;
  reset(): Promise<void>;
  delays(): Promise<number[]>;
}

const pct = (values: number[], p: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};
const us = (ms: number): string => `${(ms * 1000).toFixed(1).padStart(7)} µs`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(path: Path, batch: InputEvent[], n: number): Promise<string> {
  // Send cost: the calls alone.
  await path.reset();
  const pending: unknown[] = [];
  let t0 = performance.now();
  for (let i = 0; i < n; i++) pending.push(path.send(batch));
  const send = (performance.now() - t0) / n;
  await path.seen(n);
  await Promise.all(pending);
  // Burst: back to back until seen.
  await path.reset();
  t0 = performance.now();
  const burst: unknown[] = [];
  for (let i = 0; i < n; i++) burst.push(path.send(batch));
  await path.seen(n);
  await Promise.all(burst);
  const perBatch = (performance.now() - t0) / n;
  // Latency, paced like input (every 2 ms).
  await path.reset();
  const paced = 200;
  for (let i = 0; i < paced; i++) {
    void path.send(batch);
    await sleep(2);
  }
  await path.seen(paced);
  const delays = await path.delays();
  return `${path.name.padEnd(12)} send ${us(send)}  burst ${us(perBatch)}  latency median ${us(pct(delays, 50))} p95 ${us(pct(delays, 95))}`;
}

async function sender(): Promise<void> {
  const worker = new Worker(`${location.pathname}?role=engine`);
  const api: Remote<Receiver> = wrap<Receiver>(worker);
  const channel = new MessageChannel();
  await api.listen(transfer(channel.port2, [channel.port2]));
  const port = channel.port1;
  const ask = <T>(message: unknown, key: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (e: MessageEvent): void => {
        if (e.data && key in e.data) {
          port.removeEventListener('message', on);
          resolve(e.data as T);
        }
      };
      port.addEventListener('message', on);
      port.start();
      port.postMessage(message);
    });
  const paths: Path[] = [
    {
      name: 'comlink',
      send: (batch) => api.input({ sentAt: now(), batch }),
      seen: (n) => api.until(n),
      reset: () => api.reset(),
      delays: () => api.delaysSoFar(),
    },
    {
      name: 'MessagePort',
      send: (batch) => port.postMessage({ sentAt: now(), batch }),
      seen: async (n) => void (await ask({ until: n }, 'reached')),
      reset: async () => port.postMessage({ reset: true }),
      delays: async () => (await ask<{ delays: number[] }>({ report: true }, 'delays')).delays,
    },
  ];
  const n = Number(params.get('rounds') ?? 0) > 0 ? 2000 * Number(params.get('rounds')) : 5000;
  scope.postMessage({ line: `${n} batches per burst, ${params.get('browser') ?? ''}` });
  for (let round = 0; round < 3; round++) {
    for (const [name, batch] of Object.entries(BATCHES)) {
      scope.postMessage({ line: `-- ${name}, round ${round + 1}` });
      for (const path of paths) scope.postMessage({ line: await measure(path, batch, n) });
    }
  }
  worker.terminate();
  scope.postMessage({ done: true });
}

if (params.get('role') === 'engine') expose(new Receiver());
else
  sender().catch((e: unknown) => {
    scope.postMessage({ error: String((e as Error)?.stack ?? e) });
  });
