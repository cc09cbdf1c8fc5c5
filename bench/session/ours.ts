/**
 * The session bench page for our element (built by Vite, minified, like a user's page): `window.bench`
 * connects a `<spice-console>`, reports when its first frame was shown and what its worker measured, and
 * times a bare engine worker's start. The probe (probe.ts) measures the main thread.
 */
import { wrap } from 'comlink';
import '../../src/define.js';
import type { SpiceConsole } from '../../src/index.js';
import type { EngineApi } from '../../src/api/engine-api.js';
import { defaultWorkerFactory } from '../../src/controllers/engine-controller.js';
import { Probe, epochNow } from './probe.js';

const probe = new Probe();
let el: SpiceConsole | null = null;

const bench = {
  ready: true,
  probe,
  /** Mounts a fresh element, connects it; returns the epoch time just before connect(). */
  async connect(url: string, imageCompression = ''): Promise<number> {
    el?.remove();
    el = document.createElement('spice-console') as SpiceConsole;
    document.body.append(el);
    await el.updateComplete;
    el.url = url;
    if (imageCompression) el.imageCompression = imageCompression as never;
    const t0 = epochNow();
    await el.connect();
    return t0;
  },
  async disconnect(): Promise<void> {
    await el?.disconnect();
    el?.remove();
    el = null;
  },
  /** Frames, first frame (epoch ms) and arrival-to-canvas delays of display channel 0. */
  async display(): Promise<{ frames: number; firstFrameAt: number | null; latencies: number[]; latencyTotal: number; notes: string } | null> {
    const stats = (await el?.displayStats()) ?? [];
    const d = stats.find((s) => s.displayId === 0);
    if (!d) return null;
    const p = d.presentation;
    const notes = `image types ${d.imageTypes.join(',')}; messages by type ${JSON.stringify(d.messages)}`;
    return { frames: d.frames, firstFrameAt: p?.firstFrameAt ?? null, latencies: p?.latencies ?? [], latencyTotal: p?.latencyTotal ?? 0, notes };
  },
  /** Milliseconds from new Worker() to the engine's first answer, for a bare engine worker. */
  async workerStart(): Promise<number> {
    const t0 = performance.now();
    const worker = defaultWorkerFactory();
    const remote = wrap<EngineApi>(worker);
    await remote.openSockets();
    const ms = performance.now() - t0;
    worker.terminate();
    return ms;
  },
  /**
   * Milliseconds a fresh worker takes to ask VideoDecoder.isConfigSupported for the codec strings the engine
   * probes before it connects (src/engine/video-decoders.ts), all at once as the engine does.
   */
  async codecProbe(): Promise<{ ms: number; supported: number }> {
    const strings = JSON.stringify(['vp8', 'vp09.00.10.08', 'avc1.42E01E', 'avc1.640028', 'hev1.1.6.L93.B0', 'hvc1.1.6.L93.B0']);
    const source = `onmessage = async () => {
      const t0 = performance.now();
      const answers = await Promise.all(${strings}.map((codec) => VideoDecoder.isConfigSupported({ codec, optimizeForLatency: true }).catch(() => null)));
      postMessage({ ms: performance.now() - t0, supported: answers.filter((a) => a && a.supported).length });
    };`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    const answer = await new Promise<{ ms: number; supported: number }>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage(null);
    });
    worker.terminate();
    return answer;
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
