/**
 * The session bench page for spice-html5 (the npm package, built by Vite like ours): `window.bench`
 * connects a SpiceMainConn through websockify. Instrumentation the same as ours where it can be: arrival
 * stamps in a WebSocket message listener added before spice-html5's own (so it runs first, on the main thread
 * where spice-html5 decodes), draws seen by wrapping the 2D context's putImageData/drawImage (spice-html5
 * draws synchronously, so the next animation frame shows them), and the first frame as the first frame with
 * a draw after connect.
 */
// @ts-expect-error spice-html5 ships plain JavaScript without types
import { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
import { Probe, epochNow } from './probe.js';

const probe = new Probe();
let firstFrameAt: number | null = null;
let frames = 0;
let drawnSinceFrame = false;

const NativeWebSocket = window.WebSocket;
class StampedWebSocket extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener('message', () => probe.arrived(performance.now()));
  }
}
window.WebSocket = StampedWebSocket;

for (const method of ['putImageData', 'drawImage'] as const) {
  const proto = CanvasRenderingContext2D.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = proto[method]!;
  proto[method] = function (this: CanvasRenderingContext2D, ...args: unknown[]) {
    // only the screen's canvases count (spice-html5 also draws on scratch canvases it never shows)
    if (this.canvas.isConnected) {
      probe.markDrawn();
      drawnSinceFrame = true;
    }
    return original.apply(this, args);
  };
}
const onFrame = (): void => {
  if (drawnSinceFrame) {
    drawnSinceFrame = false;
    frames++;
    if (firstFrameAt === null) firstFrameAt = epochNow();
  }
  requestAnimationFrame(onFrame);
};
requestAnimationFrame(onFrame);

let conn: { stop(): void } | null = null;

const bench = {
  ready: true,
  probe,
  async connect(url: string): Promise<number> {
    conn?.stop();
    firstFrameAt = null;
    frames = 0;
    const t0 = epochNow();
    conn = new SpiceMainConn({
      uri: url,
      screen_id: 'spice-screen',
      password: '',
      onerror: (e: unknown) => console.error('spice-html5 error', e),
    });
    return t0;
  },
  async disconnect(): Promise<void> {
    conn?.stop();
    conn = null;
  },
  async display(): Promise<{ frames: number; firstFrameAt: number | null; latencies: number[]; latencyTotal: number; notes: string }> {
    return { frames, firstFrameAt, latencies: [], latencyTotal: 0, notes: '' };
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
