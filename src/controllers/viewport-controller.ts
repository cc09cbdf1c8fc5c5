/**
 * ViewportController: sizes the screen canvas of a <spice-console> for its scale mode and maps page
 * coordinates to guest coordinates. The engine sizes the canvas's pixels to the guest surface (the page
 * learns the size from the `surface` event); this controller sets only its CSS box, from the container's
 * size (ResizeObserver) and the device pixel ratio (followed as it changes, e.g. when the window moves to
 * another screen). The math is in input/viewport.ts.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  clientToGuest,
  cssDeltaToGuest,
  guestToClient,
  layoutScreen,
  pointerTarget,
  type GuestPoint,
  type Head,
  type ScaleMode,
  type ScreenLayout,
  type Size,
} from '../input/viewport.js';

export interface ViewportControllerConfig {
  /** The canvas showing display channel 0 (replaced every session). */
  canvas(): HTMLCanvasElement | null;
  /** The element whose box the screen is fitted into. */
  container(): HTMLElement | null;
  scale(): ScaleMode;
}

export class ViewportController implements ReactiveController {
  /** The guest surface of display channel 0, in guest pixels (0x0 before the first `surface` event). */
  surface: Size = { width: 0, height: 0 };
  /** Heads of display channel 0 (MONITORS_CONFIG), for MOUSE_POSITION's display id. */
  heads: Head[] = [];
  layout: ScreenLayout = layoutScreen('fit', { width: 0, height: 0 }, { width: 0, height: 0 }, 1);

  private observer: ResizeObserver | null = null;
  private observed: Element | null = null;
  private dprQuery: MediaQueryList | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly config: ViewportControllerConfig,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.observer = new ResizeObserver(() => this.apply());
    this.watchDpr();
  }

  hostUpdated(): void {
    const container = this.config.container();
    if (container !== this.observed && this.observer) {
      if (this.observed) this.observer.unobserve(this.observed);
      if (container) this.observer.observe(container);
      this.observed = container;
    }
    this.apply();
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.observed = null;
    this.dprQuery?.removeEventListener('change', this.onDprChange);
    this.dprQuery = null;
  }

  /** The guest surface changed size (the `surface` event of display channel 0). */
  setSurface(width: number, height: number): void {
    this.surface = { width, height };
    this.apply();
  }

  /** Re-computes the layout and applies it to the canvas. */
  apply(): void {
    const canvas = this.config.canvas();
    const container = this.config.container();
    const size = container ? { width: container.clientWidth, height: container.clientHeight } : { width: 0, height: 0 };
    this.layout = layoutScreen(this.config.scale(), this.surface, size, devicePixelRatio);
    if (!canvas) return;
    if (this.surface.width === 0) {
      canvas.style.removeProperty('width');
      canvas.style.removeProperty('height');
      return;
    }
    canvas.style.setProperty('width', `${this.layout.cssWidth}px`);
    canvas.style.setProperty('height', `${this.layout.cssHeight}px`);
    canvas.style.setProperty('image-rendering', this.layout.pixelated ? 'pixelated' : 'auto');
  }

  /** A page point -> guest pixel of display channel 0. */
  toGuest(clientX: number, clientY: number): GuestPoint {
    const canvas = this.config.canvas();
    if (!canvas) return { x: 0, y: 0, inside: false };
    return clientToGuest(clientX, clientY, canvas.getBoundingClientRect(), this.surface);
  }

  /** A guest pixel -> CSS position in the canvas's offset parent (the element's scrolling base). */
  toCanvasCss(x: number, y: number): { left: number; top: number } {
    const canvas = this.config.canvas();
    if (!canvas) return { left: 0, top: 0 };
    const box = { left: canvas.offsetLeft, top: canvas.offsetTop, width: canvas.clientWidth, height: canvas.clientHeight };
    const p = guestToClient(x, y, box, this.surface);
    return { left: p.clientX, top: p.clientY };
  }

  /** CSS pixels of relative movement -> guest pixels, at the scale shown. */
  deltaToGuest(dx: number, dy: number): { dx: number; dy: number } {
    const canvas = this.config.canvas();
    if (!canvas) return { dx, dy };
    return cssDeltaToGuest(dx, dy, { width: canvas.clientWidth, height: canvas.clientHeight }, this.surface);
  }

  /** MOUSE_POSITION target for a guest point of display channel 0. */
  target(x: number, y: number): { displayId: number; x: number; y: number } {
    return pointerTarget(0, this.heads, x, y);
  }

  /** Follows devicePixelRatio: a resolution query matches only the current ratio, so re-arm on change. */
  private watchDpr(): void {
    this.dprQuery?.removeEventListener('change', this.onDprChange);
    this.dprQuery = matchMedia(`(resolution: ${devicePixelRatio}dppx)`);
    this.dprQuery.addEventListener('change', this.onDprChange);
  }

  private readonly onDprChange = (): void => {
    if (!this.dprQuery) return;
    this.watchDpr();
    this.apply();
    this.host.requestUpdate();
  };
}
