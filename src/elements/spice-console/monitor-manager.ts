/**
 * MonitorManager: the console's side of the session's monitors. From each `monitors` event it creates,
 * updates and removes one <spice-monitor> per monitor and hands each new element's canvas to the worker
 * (attachMonitor; a canvas is transferred once, so a monitor that moves to another window or comes back
 * gets a new element and canvas). Where a monitor is shown follows the console's `layout`: `guest` (all in
 * the console, arranged as the guest places them), `single` (only the one chosen by `monitor`) or
 * `windows` (each in a same-origin popup window placed on the user's screens through the Window Management
 * API where granted; a closed window puts its monitor back into the console).
 *
 * Guest resize: with `resize-guest` on and an agent, the guest's monitors follow the room the client gives
 * them (the console's box split evenly in `guest` layout, the console's box in `single`, each window's box
 * in `windows`) at the window's device pixel ratio, sent as the agent's MONITORS_CONFIG 1 s after the last
 * change (spice-gtk waits about as long), and `addMonitor()` / `removeMonitor()` change how many there are
 * up to what the VM allows.
 */
import type { MonitorInfo, MonitorsDetail } from '../../api/monitors.js';
import type { SpiceConsoleEmit } from '../../api/events.js';
import type { MonitorRequest } from '../../api/agent.js';
import type { EngineController } from '../../controllers/engine-controller.js';
import type { ScaleMode } from '../../input/viewport.js';
import { SpiceMonitor } from '../spice-monitor/spice-monitor.js';
import { strings } from '../../l10n/strings.js';

export type MonitorLayoutMode = 'guest' | 'single' | 'windows';
export const MONITOR_LAYOUTS: readonly MonitorLayoutMode[] = ['guest', 'single', 'windows'];

/** How long the guest resize waits after the last size change (spice-gtk: about a second). */
export const RESIZE_GUEST_DELAY_MS = 1000;

export interface MonitorManagerConfig {
  engine: EngineController;
  /** Where monitors shown in the console are placed. */
  screen(): HTMLElement | null;
  /** The box the console's monitors are fitted into. */
  container(): HTMLElement | null;
  layout(): MonitorLayoutMode;
  /** `single` layout: the display id to show. */
  selected(): number;
  scale(): ScaleMode;
  resizeGuest(): boolean;
  /** Wires input for a monitor in a window of its own. */
  attachWindow(el: SpiceMonitor): void;
  /** The monitors shown changed: re-layout, cursors. */
  changed(): void;
  emit: SpiceConsoleEmit;
  log?(message: string): void;
}

interface Entry {
  info: MonitorInfo;
  el: SpiceMonitor | null;
  where: 'console' | 'window' | 'hidden';
  win: Window | null;
  /** Its window was closed by the user: it stays in the console until the layout changes. */
  returned: boolean;
  /** The canvas was taken by the worker. */
  attached: boolean;
}

interface ScreenLike {
  availLeft: number;
  availTop: number;
  availWidth: number;
  availHeight: number;
}

export class MonitorManager {
  private readonly entries = new Map<string, Entry>();
  private list: MonitorInfo[] = [];
  private max = 0;
  /** How many monitors the user wants (addMonitor/removeMonitor); null: as many as the guest has. */
  private wanted: number | null = null;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRequest = '';
  /** The last MONITORS_CONFIG asked for and what became of it (diagnostics). */
  lastResize: { request: (MonitorRequest | null)[]; sent: boolean; reason?: string } | null = null;
  private closeWatch: ReturnType<typeof setInterval> | null = null;
  private screens: ScreenLike[] | null = null;
  private windowSeq = 0;

  constructor(private readonly config: MonitorManagerConfig) {}

  get monitors(): MonitorInfo[] {
    return this.list.map((m) => ({ ...m }));
  }

  get maxAllowed(): number {
    return this.max;
  }

  /** The monitor elements shown in the console, in display order. */
  consoleMonitors(): SpiceMonitor[] {
    const out: SpiceMonitor[] = [];
    for (const m of this.list) {
      const e = this.entries.get(m.key);
      if (e?.el && e.where === 'console') out.push(e.el);
    }
    return out;
  }

  /** Every monitor element, in the console or in a window. */
  allMonitors(): SpiceMonitor[] {
    return [...this.entries.values()].flatMap((e) => (e.el ? [e.el] : []));
  }

  /** The window showing monitor `key`, if it has one. */
  windowOf(key: string): Window | null {
    return this.entries.get(key)?.win ?? null;
  }

  /** The session's monitors changed. */
  update(monitors: MonitorInfo[], maxAllowed: number): void {
    const live = new Set(monitors.map((m) => m.key));
    for (const [key, e] of this.entries) if (!live.has(key)) this.dispose(key, e);
    const before = new Map(this.list.map((m) => [m.key, m]));
    this.list = monitors;
    this.max = maxAllowed;
    for (const info of monitors) {
      const e = this.entries.get(info.key);
      if (e) {
        e.info = info;
        e.el?.setInfo(info);
      } else {
        this.entries.set(info.key, { info, el: null, where: 'hidden', win: null, returned: false, attached: false });
      }
      const old = before.get(info.key);
      if (!old || old.width !== info.width || old.height !== info.height) {
        this.config.emit('spice-resize', {
          key: info.key,
          channelId: info.channelId,
          displayId: info.displayId,
          monitorId: info.monitorId,
          width: info.width,
          height: info.height,
        });
      }
    }
    this.place();
    const detail: MonitorsDetail = { monitors: this.monitors, maxAllowed };
    this.config.emit('spice-monitors', detail);
    this.config.changed();
    this.scheduleResize();
  }

  /** Layout, chosen monitor or scale changed: every monitor goes where the layout says. */
  relayout(): void {
    for (const e of this.entries.values()) e.returned = false;
    this.place();
    for (const e of this.entries.values()) if (e.el && e.where === 'window') e.el.scale = this.config.scale();
    this.config.changed();
    this.scheduleResize();
  }

  /** The session ended: every element and window goes. */
  reset(): void {
    for (const [key, e] of this.entries) this.dispose(key, e);
    this.entries.clear();
    this.list = [];
    this.max = 0;
    this.wanted = null;
    this.lastRequest = '';
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.resizeTimer = null;
    if (this.closeWatch) clearInterval(this.closeWatch);
    this.closeWatch = null;
    this.config.changed();
  }

  /** The scale mode changed: monitors in windows follow it (those in the console are laid out by the viewport). */
  scaleChanged(): void {
    for (const e of this.entries.values()) if (e.el && e.where === 'window') e.el.scale = this.config.scale();
  }

  /** The session ended: windows close (their monitors are gone); the console keeps the last frame. */
  sessionEnded(): void {
    for (const e of this.entries.values()) {
      if (e.where === 'window') this.unshow(e);
    }
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.resizeTimer = null;
  }

  /** One more monitor (up to what the VM allows); false if there is no room or nothing to ask. */
  addMonitor(): boolean {
    const now = this.wanted ?? this.list.length;
    if (now >= this.max || now >= 16) return false;
    this.wanted = now + 1;
    this.scheduleResize(0);
    return true;
  }

  /** One monitor less (never below one); false if there is only one. */
  removeMonitor(): boolean {
    const now = this.wanted ?? this.list.length;
    if (now <= 1) return false;
    this.wanted = now - 1;
    this.scheduleResize(0);
    return true;
  }

  /** The sizes a resize-guest request would ask for now (display order), for diagnostics and tests. */
  requestedLayout(): (MonitorRequest | null)[] {
    return this.request();
  }

  // ---- placement ----

  private where(info: MonitorInfo, e: Entry): Entry['where'] {
    if (e.returned) return 'console';
    switch (this.config.layout()) {
      case 'single': {
        const chosen = this.list.find((m) => m.displayId === this.config.selected()) ?? this.list[0];
        return chosen?.key === info.key ? 'console' : 'hidden';
      }
      case 'windows':
        return 'window';
      default:
        return 'console';
    }
  }

  private place(): void {
    for (const info of this.list) {
      const e = this.entries.get(info.key)!;
      const want = this.where(info, e);
      if (want === e.where && (e.el || want === 'hidden')) continue;
      this.unshow(e);
      if (want === 'console') this.showInConsole(e);
      else if (want === 'window') this.showInWindow(e);
    }
  }

  private unshow(e: Entry): void {
    e.el?.remove();
    e.el = null;
    e.attached = false;
    const win = e.win;
    e.win = null;
    if (win && !win.closed) win.close();
    e.where = 'hidden';
  }

  private dispose(key: string, e: Entry): void {
    this.unshow(e);
    this.entries.delete(key);
  }

  private newMonitor(e: Entry, doc: Document): SpiceMonitor {
    const el = doc === document ? new SpiceMonitor() : (document.createElement('spice-monitor') as SpiceMonitor);
    el.setInfo(e.info);
    el.onBoxResize = () => this.scheduleResize();
    return el;
  }

  private showInConsole(e: Entry): void {
    const screen = this.config.screen();
    if (!screen) return;
    const el = this.newMonitor(e, document);
    el.sizing = 'box';
    screen.append(el);
    e.el = el;
    e.where = 'console';
    this.attach(e, el);
  }

  private showInWindow(e: Entry): void {
    const index = this.list.findIndex((m) => m.key === e.info.key);
    const screen = this.screens?.[index % Math.max(1, this.screens.length)];
    const w = screen ? screen.availWidth : Math.max(320, Math.round(e.info.width / 2));
    const h = screen ? screen.availHeight : Math.max(240, Math.round(e.info.height / 2));
    const place = screen ? `,left=${screen.availLeft},top=${screen.availTop}` : '';
    const win = window.open('', `spice-monitor-${++this.windowSeq}-${e.info.key.replace(':', '-')}`, `popup,width=${w},height=${h}${place}`);
    if (!win) {
      // Popups blocked: the monitor stays in the console.
      this.config.log?.(`the browser blocked the window for monitor ${e.info.displayId + 1}: shown in the console`);
      e.returned = true;
      this.showInConsole(e);
      return;
    }
    const doc = win.document;
    doc.title = strings.monitorWindowTitle(e.info.displayId + 1);
    doc.body.style.cssText = 'margin:0;background:#000;overflow:hidden';
    const el = this.newMonitor(e, doc);
    el.sizing = 'self';
    el.scale = this.config.scale();
    el.style.cssText = 'width:100vw;height:100vh;outline:none';
    doc.body.append(el);
    e.el = el;
    e.win = win;
    e.where = 'window';
    this.config.attachWindow(el);
    this.attach(e, el);
    win.addEventListener('pagehide', () => this.windowClosed(e, win));
    this.closeWatch ??= setInterval(() => {
      for (const x of this.entries.values()) if (x.win?.closed) this.windowClosed(x, x.win);
    }, 500);
    // Fullscreen on its screen (the one the Window Management API named, else the window's own): tried at
    // once, which browsers allow only with a gesture in the popup, so until the window is full screen a button
    // offers it; its click is that gesture.
    const options = screen ? ({ screen } as unknown as FullscreenOptions) : undefined;
    const goFullscreen = () => doc.documentElement.requestFullscreen?.(options)?.catch(() => {});
    const button = doc.createElement('button');
    button.type = 'button';
    button.textContent = strings.fullscreenButton();
    button.style.cssText = 'position:fixed;top:8px;right:8px;z-index:1;font:13px system-ui,sans-serif;padding:4px 10px;opacity:.85';
    // Its pointer events stay here: the monitor would take them as guest input.
    button.addEventListener('pointerdown', (ev) => ev.stopPropagation());
    button.addEventListener('click', () => void goFullscreen());
    doc.addEventListener('fullscreenchange', () => (button.hidden = doc.fullscreenElement !== null));
    doc.body.append(button);
    if (screen) void goFullscreen();
  }

  private windowClosed(e: Entry, win: Window): void {
    if (e.win !== win) return;
    e.win = null;
    e.el = null;
    e.where = 'hidden';
    if (!this.entries.has(e.info.key) || this.entries.get(e.info.key) !== e) return;
    e.returned = true;
    this.showInConsole(e);
    this.config.changed();
  }

  private attach(e: Entry, el: SpiceMonitor): void {
    void this.config.engine.attachMonitor(e.info.key, el.canvas).then((ok) => {
      if (e.el === el) e.attached = ok;
    });
  }

  /**
   * Learns the user's screens (Window Management API) so windows go one per screen; resolves false where
   * the browser has no such API or the user refused.
   */
  async learnScreens(): Promise<boolean> {
    const w = window as Window & { getScreenDetails?: () => Promise<{ screens: ScreenLike[] }> };
    if (!w.getScreenDetails) return false;
    try {
      const details = await w.getScreenDetails();
      // The ScreenDetailed objects themselves: requestFullscreen({ screen }) takes only those.
      this.screens = [...details.screens];
      // Windows opened before we knew: move them onto their screens.
      this.list.forEach((m, i) => {
        const win = this.entries.get(m.key)?.win;
        const s = this.screens![i % this.screens!.length];
        if (win && s) {
          win.moveTo(s.availLeft, s.availTop);
          win.resizeTo(s.availWidth, s.availHeight);
        }
      });
      return true;
    } catch {
      return false;
    }
  }

  // ---- guest resize ----

  private room0 = '';

  /** The console's box may have changed size: a new guest layout is asked for if it did. */
  containerResized(): void {
    const c = this.config.container();
    const now = c ? `${c.clientWidth}x${c.clientHeight}@${devicePixelRatio}` : '';
    if (now === this.room0) return;
    this.room0 = now;
    this.scheduleResize();
  }

  /** Schedules the MONITORS_CONFIG for the current room (debounced). */
  scheduleResize(delay = RESIZE_GUEST_DELAY_MS): void {
    if (!this.config.resizeGuest() || this.list.length === 0) return;
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = null;
      void this.sendResize();
    }, delay);
  }

  private async sendResize(): Promise<void> {
    if (!this.config.resizeGuest()) return;
    const request = this.request();
    if (!request.some((m) => m)) return;
    const text = JSON.stringify(request);
    if (text === this.lastRequest) return;
    const api = this.config.engine.api;
    if (!api) return;
    this.lastRequest = text;
    try {
      const r = await api.setMonitorsConfig(request);
      this.lastResize = r.ok ? { request, ...r.value } : { request, sent: false, reason: r.message };
      if (!r.ok) this.lastRequest = '';
      else if (r.value.reason) this.config.log?.(r.value.reason);
    } catch (e) {
      this.lastResize = { request, sent: false, reason: String(e) };
      this.lastRequest = '';
    }
  }

  /**
   * One entry per display id: the size the client has room for (device pixels), monitors side by side
   * left to right in display order; null for a display id without a monitor (sparse).
   */
  private request(): (MonitorRequest | null)[] {
    const count = Math.max(1, Math.min(this.wanted ?? this.list.length, Math.max(this.max, 1)));
    const ids = this.list.map((m) => m.displayId);
    // Monitors added by addMonitor take the next free display ids of channel 0's heads.
    for (let id = 0; ids.length < count; id++) if (!ids.includes(id)) ids.push(id);
    const shown = ids.slice(0, count).sort((a, b) => a - b);
    const sizes = shown.map((id) => this.room(id, shown.length));
    const out: (MonitorRequest | null)[] = [];
    let x = 0;
    shown.forEach((id, i) => {
      const s = sizes[i]!;
      while (out.length < id) out.push(null);
      out[id] = { x, y: 0, width: s.width, height: s.height };
      x += s.width;
    });
    for (let id = 0; id < out.length; id++) if (out[id] === undefined) out[id] = null;
    return out;
  }

  /** Device pixels of room for display `displayId` when `count` monitors are shown. */
  private room(displayId: number, count: number): { width: number; height: number } {
    const m = this.list.find((x) => x.displayId === displayId);
    const e = m ? this.entries.get(m.key) : undefined;
    if (e?.el && e.where === 'window') {
      const dpr = e.el.dpr;
      return { width: Math.max(1, Math.round(e.el.clientWidth * dpr)), height: Math.max(1, Math.round(e.el.clientHeight * dpr)) };
    }
    const container = this.config.container();
    const dpr = devicePixelRatio || 1;
    const cw = container?.clientWidth ?? 0;
    const ch = container?.clientHeight ?? 0;
    const inConsole = this.config.layout() === 'guest' ? Math.max(1, count - this.windowCount()) : 1;
    return { width: Math.max(1, Math.floor((cw * dpr) / inConsole)), height: Math.max(1, Math.floor(ch * dpr)) };
  }

  private windowCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.where === 'window') n++;
    return n;
  }
}
