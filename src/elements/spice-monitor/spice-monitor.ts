/**
 * `<spice-monitor>`: one guest monitor on a page. It owns one canvas (whose control goes to the engine
 * worker once: `canvas`), sizes that canvas's CSS box inside its own box for its `scale` mode, maps page
 * points to the monitor's guest pixels and display id, and wears the guest's cursor shape. The console
 * creates one per monitor, inside itself or in a window of its own (a same-origin popup), and routes input
 * from it. It renders into its light DOM with inline styles, so it looks the same in any document.
 */
import { LitElement, html, type PropertyValues } from 'lit';
import { updateWhenLocaleChanges } from '@lit/localize';
import type { MonitorInfo } from '../../api/monitors.js';
import { strings } from '../../l10n/strings.js';
import { clientToGuest, cssDeltaToGuest, layoutScreen, type ScaleMode, type ScreenLayout } from '../../input/viewport.js';

/** A page point on a monitor: guest pixel of that monitor and its SPICE display id. */
export interface MonitorPoint {
  displayId: number;
  x: number;
  y: number;
  inside: boolean;
}

export class SpiceMonitor extends LitElement {
  static override properties = {
    scale: { type: String, reflect: true },
    /** Where the canvas is sized: `self` (by this element's box and `scale`) or `box` (fills the box the console placed). */
    sizing: { type: String },
  };

  /** How the monitor fits this element's box: `fit`, `fill`, `none` (as the console's `scale`). */
  declare scale: ScaleMode;
  declare sizing: 'self' | 'box';
  /** The monitor shown (from the console's `spice-monitors` list); null before it is given. */
  info: MonitorInfo | null = null;
  /** The canvas the worker draws into (its control is transferred once, by the console). */
  readonly canvas: HTMLCanvasElement;
  layout: ScreenLayout = layoutScreen('fit', { width: 0, height: 0 }, { width: 0, height: 0 }, 1);
  private observer: ResizeObserver | null = null;
  /** Called with this element's box size (CSS pixels) whenever it changes. */
  onBoxResize: ((width: number, height: number) => void) | null = null;

  constructor() {
    super();
    this.scale = 'fit';
    this.sizing = 'self';
    updateWhenLocaleChanges(this);
    // Created in the document of the element's constructor; adopted with it into a popup.
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('part', 'screen');
    this.canvas.width = 0;
    this.canvas.height = 0;
    this.canvas.style.cssText = 'display:block;margin:auto;touch-action:none;user-select:none;-webkit-user-select:none';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.style.setProperty('display', 'flex');
    this.style.setProperty('overflow', this.sizing === 'self' ? 'auto' : 'hidden');
    if (!this.hasAttribute('role')) this.setAttribute('role', 'img');
    // The ResizeObserver of the window the element lives in (a popup's own, once adopted there).
    const win = (this.ownerDocument.defaultView ?? window) as Window & typeof globalThis;
    this.observer = new win.ResizeObserver(() => {
      this.apply();
      this.onBoxResize?.(this.clientWidth, this.clientHeight);
    });
    this.observer.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = null;
  }

  /** The monitor changed (size, position): re-lays the canvas out. */
  setInfo(info: MonitorInfo): void {
    this.info = info;
    this.label();
    this.dataset['key'] = info.key;
    this.apply();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('scale') || changed.has('sizing')) this.apply();
    this.label();
  }

  /** Names the monitor for screen readers, in the active locale. */
  private label(): void {
    const info = this.info;
    if (info) this.setAttribute('aria-label', strings.monitorLabel(info.displayId + 1, info.width, info.height));
  }

  protected override render() {
    return html`${this.canvas}`;
  }

  /** The device pixel ratio of the window the element is in. */
  get dpr(): number {
    return this.ownerDocument.defaultView?.devicePixelRatio ?? devicePixelRatio;
  }

  /** Sizes the canvas's CSS box for the current monitor, box and scale mode. */
  apply(): void {
    const info = this.info;
    const style = this.canvas.style;
    if (!info) {
      style.removeProperty('width');
      style.removeProperty('height');
      return;
    }
    const size = { width: info.width, height: info.height };
    if (this.sizing === 'box') {
      this.layout = layoutScreen('fill', size, { width: this.clientWidth, height: this.clientHeight }, this.dpr);
      style.setProperty('width', '100%');
      style.setProperty('height', '100%');
    } else {
      this.layout = layoutScreen(this.scale, size, { width: this.clientWidth, height: this.clientHeight }, this.dpr);
      style.setProperty('width', `${this.layout.cssWidth}px`);
      style.setProperty('height', `${this.layout.cssHeight}px`);
    }
    style.setProperty('image-rendering', this.layout.pixelated ? 'pixelated' : 'auto');
  }

  /** Whether a page point of this element's window is over the canvas. */
  covers(clientX: number, clientY: number): boolean {
    const r = this.canvas.getBoundingClientRect();
    return clientX >= r.left && clientY >= r.top && clientX < r.right && clientY < r.bottom;
  }

  /** A page point -> this monitor's guest pixel (clamped to it) and display id. */
  toGuest(clientX: number, clientY: number): MonitorPoint {
    const info = this.info;
    if (!info) return { displayId: 0, x: 0, y: 0, inside: false };
    const p = clientToGuest(clientX, clientY, this.canvas.getBoundingClientRect(), info);
    return { displayId: info.displayId, x: p.x, y: p.y, inside: p.inside };
  }

  /** CSS pixels of relative movement -> guest pixels, at the scale this monitor is shown. */
  deltaToGuest(dx: number, dy: number): { dx: number; dy: number } {
    const info = this.info;
    if (!info) return { dx, dy };
    return cssDeltaToGuest(dx, dy, { width: this.canvas.clientWidth, height: this.canvas.clientHeight }, info);
  }

  /** The guest's pointer shape as a CSS cursor value; empty for the page's default. */
  setCursor(css: string): void {
    if (css) this.canvas.style.setProperty('cursor', css);
    else this.canvas.style.removeProperty('cursor');
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'spice-monitor': SpiceMonitor;
  }
}
