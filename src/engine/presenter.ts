/**
 * Presenter: shows a display channel's primary surface on the canvas the page transferred. Drawing
 * commands only change memory; once per animation frame the presenter copies the changed area to the
 * canvas with one putImageData, so a burst of hundreds of draws costs one canvas update and nothing per
 * frame crosses to the page.
 *
 * It also keeps what a user would notice (`PresentationStats`): when the first frame was shown, and for the
 * recent changes the time from their message's arrival (stamped by the display channel) to the animation
 * frame that put them on the canvas, so a backlog shows up without a profiler.
 */
import type { Surface } from '../display/surface.js';

type FrameScheduler = (fn: () => void) => void;

/** Arrival-to-canvas samples kept (the most recent ones). */
const LATENCY_SAMPLES = 8192;
/** Arrivals waiting for one frame beyond which only the oldest ones are kept (they carry the worst delay). */
const MAX_PENDING = 1024;

/** What the presenter measured; times are milliseconds, absolute ones on the epoch clock (timeOrigin + now). */
export interface PresentationStats {
  /** Canvas updates so far. */
  frames: number;
  /** When the first frame was put on the canvas (epoch ms), or null. */
  firstFrameAt: number | null;
  /** The most recent arrival-to-canvas delays, oldest first (ms). */
  latencies: number[];
  /** Delays recorded since the start: a reader polling now and then takes the last (total - seen) ones. */
  latencyTotal: number;
}

const scheduleFrame: FrameScheduler =
  typeof requestAnimationFrame === 'function' ? (fn) => void requestAnimationFrame(() => fn()) : (fn) => void setTimeout(fn, 16);

export class Presenter {
  private ctx: OffscreenCanvasRenderingContext2D | null = null;
  private surface: Surface | null = null;
  private image: ImageData | null = null;
  private scheduled = false;
  /** False between RESET / a new primary surface and the server's MARK: nothing is shown half-drawn. */
  private marked = false;
  frames = 0;
  private firstFrameAt: number | null = null;
  /** Arrival times (performance.now()) of changes not on the canvas yet. */
  private readonly pending: number[] = [];
  private readonly latencies = new Float32Array(LATENCY_SAMPLES);
  private latencyCount = 0;

  constructor(private readonly canvas: OffscreenCanvas | undefined) {}

  /** A new primary surface: the canvas takes its size. */
  setPrimary(surface: Surface): void {
    this.surface = surface;
    this.image = new ImageData(surface.pixels as Uint8ClampedArray<ArrayBuffer>, surface.width, surface.height);
    this.marked = false;
    if (!this.canvas) return;
    this.canvas.width = surface.width;
    this.canvas.height = surface.height;
    this.ctx = this.canvas.getContext('2d', { alpha: false, desynchronized: true }) as OffscreenCanvasRenderingContext2D | null;
  }

  clearPrimary(): void {
    this.surface = null;
    this.image = null;
    this.marked = false;
  }

  mark(): void {
    this.marked = true;
    this.surface?.markDirty(this.surface.bounds);
    this.schedule();
  }

  unmark(): void {
    this.marked = false;
  }

  /**
   * Something changed on the primary surface; `arrival` is when the message that changed it arrived
   * (performance.now()), for the arrival-to-canvas figures.
   */
  schedule(arrival?: number): void {
    if (arrival !== undefined && this.pending.length < MAX_PENDING && this.pending[this.pending.length - 1] !== arrival) {
      this.pending.push(arrival);
    }
    if (this.scheduled || !this.marked || !this.ctx) return;
    this.scheduled = true;
    scheduleFrame(() => this.flush());
  }

  /** Copies the changed area to the canvas now. */
  flush(): void {
    this.scheduled = false;
    const surface = this.surface;
    if (!surface || !this.ctx || !this.image || !this.marked) return;
    const d = surface.takeDirty();
    if (!d) return;
    this.ctx.putImageData(this.image, 0, 0, d.left, d.top, d.right - d.left, d.bottom - d.top);
    this.frames++;
    const now = performance.now();
    if (this.firstFrameAt === null) this.firstFrameAt = performance.timeOrigin + now;
    for (const arrival of this.pending) this.latencies[this.latencyCount++ % LATENCY_SAMPLES] = now - arrival;
    this.pending.length = 0;
  }

  stats(): PresentationStats {
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
    const start = this.latencyCount - n;
    const latencies: number[] = [];
    for (let i = start; i < this.latencyCount; i++) latencies.push(this.latencies[i % LATENCY_SAMPLES]!);
    return { frames: this.frames, firstFrameAt: this.firstFrameAt, latencies, latencyTotal: this.latencyCount };
  }
}
