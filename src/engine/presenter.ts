/**
 * Presenter: shows a display channel's primary surface on the canvas the page transferred. Drawing
 * commands only change memory; once per animation frame the presenter copies the changed area to the
 * canvas with one putImageData, so a burst of hundreds of draws costs one canvas update and nothing per
 * frame crosses to the page.
 */
import type { Surface } from '../display/surface.js';

type FrameScheduler = (fn: () => void) => void;

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

  /** Something changed on the primary surface. */
  schedule(): void {
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
  }
}
