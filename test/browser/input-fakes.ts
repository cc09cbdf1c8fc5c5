/**
 * A stand-in engine for the element's input tests: a comlink endpoint on a MessageChannel in the page
 * (no worker), that records every EngineApi call and lets the test send engine events. The element
 * itself, its controllers and comlink are the real ones.
 */
import { expose } from 'comlink';
import type { EngineApi, EngineEvent, EngineEventSink } from '../../src/api/engine-api.js';
import type { InputEvent, InputPortMessage } from '../../src/api/input.js';
import type { ConnectOptions, SessionInfo } from '../../src/api/types.js';

export interface FakeEngine {
  /** Pass as the element's worker factory. */
  factory: () => Worker;
  /** Every input batch, in order. */
  batches: InputEvent[][];
  /** Other calls by name: sendKeys, releaseAll, requestMouseMode, offerClipboard (its text items). */
  calls: { name: string; args: unknown[] }[];
  /** Monitor keys whose canvases were attached, in order (attachMonitor). */
  attached: string[];
  /** MONITORS_CONFIG requests (setMonitorsConfig), in order. */
  monitorsConfigs: unknown[];
  /** How many fake workers were terminated. */
  terminated: number;
  /** Sends an engine event to the element; resolves once the page handled it. */
  emit(event: EngineEvent): Promise<void>;
  /** Resolves once `count` input batches arrived. */
  waitForBatches(count: number): Promise<InputEvent[][]>;
}

export const session = (mouseMode: 'client' | 'server' = 'client'): SessionInfo => ({
  sessionId: 1,
  channels: [{ type: 'main', typeId: 1, id: 0, state: 'linked' }],
  displayChannelsHint: 1,
  mouseModes: ['server', 'client'],
  mouseMode,
  agentConnected: false,
});

export function fakeEngine(mouseMode: 'client' | 'server' = 'client'): FakeEngine {
  let sink: EngineEventSink | null = null;
  let waiter: (() => void) | null = null;
  const fake: FakeEngine = {
    batches: [],
    calls: [],
    attached: [],
    monitorsConfigs: [],
    terminated: 0,
    factory: () => {
      const { port1, port2 } = new MessageChannel();
      const api = {
        async connect(_options: ConnectOptions, s: EngineEventSink, inputPort?: MessagePort) {
          sink = s;
          // The page's input arrives on its input port and lands in the same records as the comlink calls.
          if (inputPort) {
            inputPort.onmessage = (e: MessageEvent<InputPortMessage>) => {
              const m = e.data;
              if (m.type === 'input') void api.input(m.batch);
              else if (m.type === 'keys') void api.sendKeys(m.codes);
              else if (m.type === 'mouse-mode') void api.requestMouseMode(m.mode);
              else void api.releaseAll();
            };
          }
          s({ type: 'state', state: 'connecting' });
          s({ type: 'mouse-mode', mode: mouseMode, supported: ['server', 'client'] });
          s({ type: 'state', state: 'connected' });
          s({ type: 'connected', session: session(mouseMode) });
        },
        async disconnect() {
          sink?.({ type: 'disconnected', code: 'client', reason: 'bye', clean: true });
        },
        async openSockets() {
          return 0;
        },
        async input(batch: InputEvent[]) {
          fake.batches.push(batch);
          waiter?.();
        },
        async sendKeys(codes: string[]) {
          fake.calls.push({ name: 'sendKeys', args: [codes] });
        },
        async releaseAll() {
          fake.calls.push({ name: 'releaseAll', args: [] });
          waiter?.();
        },
        async requestMouseMode(mode) {
          fake.calls.push({ name: 'requestMouseMode', args: [mode] });
        },
        async attachMonitor(key: string, canvas: OffscreenCanvas) {
          fake.attached.push(key);
          // Draw something so the page shows the canvas is live: a monitor-specific colour.
          const ctx = canvas.getContext('2d');
          canvas.width = 64;
          canvas.height = 48;
          if (ctx) {
            ctx.fillStyle = key === '0:0' ? '#c81e28' : '#1ebe3c';
            ctx.fillRect(0, 0, 64, 48);
          }
          return true;
        },
        async offerClipboard(items: { mime: string; data: Uint8Array }[]) {
          fake.calls.push({ name: 'offerClipboard', args: items.map((i) => new TextDecoder().decode(i.data)) });
          return { ok: true as const, value: items.map((i) => i.mime) };
        },
        async setMonitorsConfig(monitors: unknown) {
          fake.monitorsConfigs.push(monitors);
          return { ok: true as const, value: { sent: true } };
        },
        async screenshot() {
          return null;
        },
        async displayStats() {
          return [];
        },
      } satisfies Partial<EngineApi>;
      expose(api, port2);
      port1.start();
      return Object.assign(port1, {
        terminate() {
          fake.terminated++;
          port1.close();
          port2.close();
        },
      }) as unknown as Worker;
    },
    async emit(event) {
      sink?.(event);
      await new Promise((r) => requestAnimationFrame(() => r(null)));
    },
    async waitForBatches(count) {
      while (fake.batches.length < count) await new Promise<void>((r) => (waiter = r));
      return fake.batches;
    },
  };
  return fake;
}

/** The engine's `monitors` event for one guest screen of `width`x`height` on display channel 0. */
export function oneMonitor(width: number, height: number): EngineEvent {
  return { type: 'monitors', maxAllowed: 1, monitors: [{ key: '0:0', channelId: 0, displayId: 0, monitorId: 0, x: 0, y: 0, width, height, surfaceX: 0, surfaceY: 0 }] };
}

/** Waits two animation frames (pointer motion is sent on the next one) and lets comlink deliver. */
export async function frames(n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => requestAnimationFrame(() => r(null)));
  await new Promise((r) => setTimeout(r, 0));
}
