/**
 * ViewportController: places the monitors shown inside a <spice-console> and maps page points to the
 * monitor under them. Layout `guest` arranges every monitor as the guest places them, scaled together for
 * the scale mode; `single` shows one. Each <spice-monitor> then maps points through its own canvas box, so
 * every scale mode and device pixel ratio stay exact. The container's size is followed (ResizeObserver),
 * and the device pixel ratio too (e.g. when the window moves to another screen). The math is in
 * input/viewport.ts.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { MonitorPoint, SpiceMonitor } from '../elements/spice-monitor/spice-monitor.js';
import { layoutMonitors, type MonitorsLayout, type ScaleMode } from '../input/viewport.js';

export interface ViewportControllerConfig {
  /** The monitors shown in the console now, in display order. */
  monitors(): SpiceMonitor[];
  /** The element the monitors are placed in (sized to the arrangement). */
  screen(): HTMLElement | null;
  /** The element whose box the arrangement is fitted into. */
  container(): HTMLElement | null;
  scale(): ScaleMode;
  /** The arrangement's aspect changed (the console sizes itself by it when the page gives no height). */
  arranged?(layout: MonitorsLayout, guestWidth: number, guestHeight: number): void;
}

const OUTSIDE: MonitorPoint = { displayId: 0, x: 0, y: 0, inside: false };

export class ViewportController implements ReactiveController {
  layout: MonitorsLayout = { cssWidth: 0, cssHeight: 0, boxes: [], pixelated: true };
  /** The monitor the last press or inside point was on: a drag keeps sending to it, clamped. */
  private held: SpiceMonitor | null = null;
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

  /** Re-computes the arrangement and places the monitors. */
  apply(): void {
    const container = this.config.container();
    const screen = this.config.screen();
    const monitors = this.config.monitors().filter((m) => m.info);
    const size = container ? { width: container.clientWidth, height: container.clientHeight } : { width: 0, height: 0 };
    const rects = monitors.map((m) => ({ key: m.info!.key, x: m.info!.x, y: m.info!.y, width: m.info!.width, height: m.info!.height }));
    this.layout = layoutMonitors(this.config.scale(), rects, size, devicePixelRatio);
    if (screen) {
      if (monitors.length === 0) {
        screen.style.removeProperty('width');
        screen.style.removeProperty('height');
      } else {
        screen.style.setProperty('width', `${this.layout.cssWidth}px`);
        screen.style.setProperty('height', `${this.layout.cssHeight}px`);
      }
    }
    monitors.forEach((m, i) => {
      const box = this.layout.boxes[i]!;
      m.sizing = 'box';
      const s = m.style;
      s.setProperty('position', 'absolute');
      s.setProperty('left', `${box.left}px`);
      s.setProperty('top', `${box.top}px`);
      s.setProperty('width', `${box.width}px`);
      s.setProperty('height', `${box.height}px`);
      m.apply();
    });
    if (monitors.length) {
      const w = Math.max(...rects.map((r) => r.x + r.width)) - Math.min(...rects.map((r) => r.x));
      const h = Math.max(...rects.map((r) => r.y + r.height)) - Math.min(...rects.map((r) => r.y));
      this.config.arranged?.(this.layout, w, h);
    }
  }

  /**
   * The monitor point under a page point. Outside every monitor the point is not inside; while `dragging`
   * it goes to the monitor the pointer was last on, clamped to its edge.
   */
  locate(clientX: number, clientY: number, dragging: boolean): MonitorPoint {
    for (const m of this.config.monitors()) {
      if (m.info && m.covers(clientX, clientY)) {
        this.held = m;
        return m.toGuest(clientX, clientY);
      }
    }
    if (dragging && this.held?.isConnected) return { ...this.held.toGuest(clientX, clientY), inside: false };
    return OUTSIDE;
  }

  /** CSS pixels of relative movement -> guest pixels, at the scale of the monitor last pointed at. */
  deltaToGuest(dx: number, dy: number): { dx: number; dy: number } {
    const m = this.held?.isConnected ? this.held : this.config.monitors()[0];
    return m ? m.deltaToGuest(dx, dy) : { dx, dy };
  }

  /**
   * A guest pixel of display channel `channelId`'s surface -> CSS position relative to `base` (the
   * positioned, scrolling element the overlay lives in), or null if no monitor shown covers it.
   */
  toBaseCss(channelId: number, x: number, y: number, base: HTMLElement): { left: number; top: number } | null {
    for (const m of this.config.monitors()) {
      const info = m.info;
      if (!info || info.channelId !== channelId) continue;
      const mx = x - info.surfaceX;
      const my = y - info.surfaceY;
      if (mx < 0 || my < 0 || mx >= info.width || my >= info.height) continue;
      const r = m.canvas.getBoundingClientRect();
      const b = base.getBoundingClientRect();
      return {
        left: r.left - b.left + base.scrollLeft + (mx * r.width) / info.width,
        top: r.top - b.top + base.scrollTop + (my * r.height) / info.height,
      };
    }
    return null;
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
