/**
 * Presenter: shows a display channel's primary surface on the canvases the page transferred, one per
 * monitor (each a rectangle of the surface: the whole surface, or one head of MONITORS_CONFIG). Drawing
 * commands only change memory; once per animation frame the presenter copies the changed area to each
 * monitor's canvas it touches, only that monitor's part, with one putImageData each, so a burst of
 * hundreds of draws costs one canvas update and nothing per frame crosses to the page.
 *
 * It also keeps what a user would notice (`PresentationStats`): when the first frame was shown, and for the
 * recent changes the time from their message's arrival (stamped by the display channel) to the animation
 * frame that put them on any canvas, so a backlog shows up without a profiler.
 */
import type { Surface } from '../display/surface.js';
import type { PresenterTarget } from './monitors.js';

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

const scheduleFrame: FrameScheduler = typeof requestAnimationFrame === 'function' ? (fn) => void requestAnimationFrame(() => fn()) : (fn) => void setTimeout(fn, 16);

interface Target extends PresenterTarget {
  ctx: OffscreenCanvasRenderingContext2D | null;
  /** The whole monitor must be drawn at the next flush (new canvas, new size, new surface). */
  full: boolean;
  frames: number;
}

export class Presenter {
  private surface: Surface | null = null;
  private image: ImageData | null = null;
  private targets: Target[] = [];
  private scheduled = false;
  /** False between RESET / a new primary surface and the server's MARK: nothing is shown half-drawn. */
  private marked = false;
  /** Flushes that updated at least one canvas. */
  frames = 0;
  private firstFrameAt: number | null = null;
  /** Arrival times (performance.now()) of changes not on the canvas yet. */
  private readonly pending: number[] = [];
  private readonly latencies = new Float32Array(LATENCY_SAMPLES);
  private latencyCount = 0;

  /** A new primary surface. */
  setPrimary(surface: Surface): void {
    this.surface = surface;
    this.image = new ImageData(surface.pixels as Uint8ClampedArray<ArrayBuffer>, surface.width, surface.height);
    this.marked = false;
    for (const t of this.targets) t.full = true;
  }

  clearPrimary(): void {
    this.surface = null;
    this.image = null;
    this.marked = false;
  }

  /**
   * The monitors to show and their canvases. A canvas keeps its context; a canvas new to the presenter, or
   * whose monitor changed size or place, is sized to its monitor and drawn whole at the next frame.
   */
  setTargets(list: readonly PresenterTarget[]): void {
    const old = new Map(this.targets.map((t) => [t.key, t]));
    this.targets = list.map((n) => {
      const o = old.get(n.key);
      const same = o && o.canvas === n.canvas && o.width === n.width && o.height === n.height && o.x === n.x && o.y === n.y;
      if (same) return o;
      const t: Target = { ...n, ctx: o && o.canvas === n.canvas ? o.ctx : null, full: true, frames: o?.frames ?? 0 };
      if (t.canvas) {
        if (t.canvas.width !== t.width) t.canvas.width = t.width;
        if (t.canvas.height !== t.height) t.canvas.height = t.height;
        t.ctx ??= t.canvas.getContext('2d', { alpha: false, desynchronized: true }) as OffscreenCanvasRenderingContext2D | null;
      }
      return t;
    });
    if (this.targets.some((t) => t.full && t.ctx)) this.schedule();
  }

  /** Canvas updates per monitor key. */
  monitorFrames(): Record<string, number> {
    return Object.fromEntries(this.targets.map((t) => [t.key, t.frames]));
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
    if (this.scheduled || !this.marked || !this.targets.some((t) => t.ctx)) return;
    this.scheduled = true;
    scheduleFrame(() => this.flush());
  }

  /** Copies the changed area to the monitors' canvases now. */
  flush(): void {
    this.scheduled = false;
    const surface = this.surface;
    const image = this.image;
    if (!surface || !image || !this.marked) return;
    const d = surface.takeDirty();
    let drawn = false;
    for (const t of this.targets) {
      if (!t.ctx) continue;
      let left = t.x;
      let top = t.y;
      let right = t.x + t.width;
      let bottom = t.y + t.height;
      if (!t.full) {
        if (!d) continue;
        left = Math.max(left, d.left);
        top = Math.max(top, d.top);
        right = Math.min(right, d.right);
        bottom = Math.min(bottom, d.bottom);
        if (right <= left || bottom <= top) continue;
      }
      t.full = false;
      // The image is the whole surface placed at -x,-y: only the dirty part inside this monitor is copied.
      t.ctx.putImageData(image, -t.x, -t.y, left, top, right - left, bottom - top);
      t.frames++;
      drawn = true;
    }
    if (!drawn) return;
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
