/**
 * InteractionController: everything a person does with a <spice-console> — keyboard, mouse, touch, the
 * guest cursor, scaling and focus — composed from the keyboard, pointer, cursor and viewport controllers
 * around one InputQueue. The element forwards engine events to `handle` and renders `overlay()`; input
 * goes to the engine only while connected and not view-only.
 *
 * Keyboard lock (navigator.keyboard.lock, Chromium): taken while the keyboard is grabbed (`grabKeyboard`)
 * or the element is fullscreen, so system shortcuts such as Alt+Tab or Ctrl+W reach the guest. Browsers
 * honour it only in fullscreen; elsewhere grabbing still focuses the element.
 *
 * Local hotkeys (the host's `hotkeys`, as remote-viewer's) are taken out of the key stream by the keyboard
 * controllers and asked about through `config.hotkey` (the cancelable `spice-hotkey` event); unless the page
 * prevented it, `release-cursor` leaves Pointer Lock and Keyboard Lock (until the next click on the console,
 * grabKeyboard() or entering fullscreen), `secure-attention` sends Ctrl+Alt+Del and `toggle-fullscreen`
 * enters or leaves fullscreen. The other actions are the page's.
 */
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { EngineEvent } from '../api/engine-api.js';
import type { SpiceConsoleEmit } from '../api/events.js';
import type { InputEvent, KeyboardLocks } from '../api/input.js';
import type { HotkeyAction, MouseModeName } from '../api/types.js';
import type { HotkeyBinding } from '../vv/hotkey.js';
import { COMBOS, isComboName, keySequence, type ComboName } from '../input/keys.js';
import type { ScaleMode } from '../input/viewport.js';
import { CursorController } from './cursor-controller.js';
import type { EngineController } from './engine-controller.js';
import { InputQueue } from './input-queue.js';
import { KeyboardController } from './keyboard-controller.js';
import { PointerController } from './pointer-controller.js';
import { strings } from '../l10n/strings.js';
import { ViewportController, type ViewportControllerConfig } from './viewport-controller.js';
import type { SpiceMonitor } from '../elements/spice-monitor/spice-monitor.js';

export interface InteractionHost extends ReactiveControllerHost, HTMLElement {
  readonly state: string;
  readonly scale: ScaleMode;
  readonly viewOnly: boolean;
  /** The mouse mode to ask for: `client` (default) or `server`. */
  readonly mouseMode: MouseModeName;
}

export interface InteractionConfig {
  engine: EngineController;
  /** The monitors shown inside the console, in display order. */
  monitors: () => SpiceMonitor[];
  /** Every monitor element, in the console or in a window of its own. */
  allMonitors: () => SpiceMonitor[];
  /** The element the monitors are placed in. */
  screen: () => HTMLElement | null;
  /** The scrolling box the arrangement is fitted into (the overlay's base). */
  container: () => HTMLElement | null;
  emit: SpiceConsoleEmit;
  /** The arrangement changed (see ViewportControllerConfig.arranged). */
  arranged?: ViewportControllerConfig['arranged'];
  /** The local hotkeys now; none if absent. */
  hotkeys?: () => readonly HotkeyBinding[];
  /** A hotkey was pressed: tells the page (`spice-hotkey`); false if the page prevented the console's action. */
  hotkey?: (detail: { action: HotkeyAction; hotkey: string }) => boolean;
  /** A paste shortcut in the console (KeyboardControllerConfig.awaitPaste). */
  awaitPaste?: (doc: Document) => Promise<void> | null;
}

interface KeyboardApi {
  lock?(codes?: string[]): Promise<void>;
  unlock?(): void;
}

export class InteractionController implements ReactiveController {
  readonly viewport: ViewportController;
  readonly keyboard: KeyboardController;
  readonly pointer: PointerController;
  readonly cursor: CursorController;
  private readonly queue: InputQueue;
  /** The server's current mouse mode. */
  private mode: MouseModeName = 'server';
  private supported: MouseModeName[] = [];
  /** The guest's lock keys as it last reported them. */
  guestLocks: KeyboardLocks | null = null;
  private grabbed = false;
  private keyboardLocked = false;
  /** The release-cursor hotkey let go of Keyboard Lock, also in fullscreen, until the user comes back. */
  private lockReleased = false;

  constructor(
    private readonly host: InteractionHost,
    private readonly config: InteractionConfig,
  ) {
    host.addController(this);
    this.queue = new InputQueue((batch) => this.send(batch));
    this.viewport = new ViewportController(host, {
      monitors: () => config.monitors(),
      screen: () => config.screen(),
      container: () => config.container(),
      scale: () => host.scale,
      ...(config.arranged ? { arranged: config.arranged } : {}),
    });
    this.keyboard = new KeyboardController(host, {
      enabled: () => this.enabled,
      send: (...events) => this.queue.push(...events),
      releaseAll: () => this.releaseAll(),
      onReleaseCombo: () => this.pointer.unlock(),
      hotkeys: () => config.hotkeys?.() ?? [],
      onHotkey: (binding) => this.onHotkey(binding, host),
      awaitPaste: (doc) => config.awaitPaste?.(doc) ?? null,
    });
    this.pointer = new PointerController(host, {
      enabled: () => this.enabled,
      mode: () => this.mode,
      viewport: this.viewport,
      queue: this.queue,
      syncLocks: (e) => this.keyboard.syncLocks(e),
      releaseAll: () => this.releaseAll(),
      lockChanged: (locked) => {
        this.host.requestUpdate();
        this.config.emit('spice-pointer-lock', { locked });
      },
    });
    this.cursor = new CursorController(host, (channelId, css) => this.applyCursor(channelId, css));
  }

  /** Input reaches the guest only in a connected session and when not view-only. */
  get enabled(): boolean {
    return this.host.state === 'connected' && !this.host.viewOnly;
  }

  get keyboardGrabbed(): boolean {
    return this.grabbed;
  }

  hostConnected(): void {
    if (!this.host.hasAttribute('tabindex')) this.host.setAttribute('tabindex', '0');
    document.addEventListener('fullscreenchange', this.onFullscreen);
    this.host.addEventListener('pointerdown', this.onPointerDown);
  }

  hostDisconnected(): void {
    document.removeEventListener('fullscreenchange', this.onFullscreen);
    this.host.removeEventListener('pointerdown', this.onPointerDown);
    this.grabbed = false;
    void this.updateKeyboardLock();
    this.queue.clear();
  }

  /** Every engine event passes here first; those about input, cursor and screen size act. */
  handle(e: EngineEvent): void {
    if (this.cursor.handle(e)) return;
    switch (e.type) {
      case 'connected':
        this.mode = e.session.mouseMode;
        this.supported = e.session.mouseModes;
        queueMicrotask(() => this.requestPreferredMode()); // once the host has taken the connected state
        return;
      case 'mouse-mode':
        this.mode = e.mode;
        this.supported = e.supported;
        this.pointer.modeChanged(e.mode);
        this.queue.flush();
        this.config.emit('spice-mouse-mode', { mode: e.mode, supported: e.supported });
        this.host.requestUpdate();
        return;
      case 'keyboard-locks':
        this.guestLocks = e.locks;
        this.config.emit('spice-keyboard-locks', e.locks);
        return;
      case 'disconnected':
        this.sessionEnded();
        return;
      default:
        return;
    }
  }

  /** The host's `mouseMode` preference changed: ask the server now if connected. */
  requestPreferredMode(): void {
    const want = this.host.mouseMode === 'server' ? 'server' : 'client';
    if (this.host.state !== 'connected' || this.mode === want || !this.supported.includes(want)) return;
    this.config.engine.post({ type: 'mouse-mode', mode: want });
  }

  /** Input was switched off (view-only): release what the guest holds. */
  inputDisabled(): void {
    this.pointer.unlock();
    this.queue.clear();
    this.keyboard.releaseAll();
  }

  /** Re-applies layout and cursors (monitors came or went, the scale mode changed). */
  refresh(): void {
    this.viewport.apply();
    for (const m of this.config.allMonitors()) if (m.info) m.setCursor(this.cursor.css(m.info.channelId));
  }

  /**
   * Input for a monitor shown in a window of its own: its pointer (mapped through its canvas) and its
   * keyboard (while it has focus) go to the guest like the console's. The controllers live on the element
   * and end with it.
   */
  attachWindowMonitor(monitor: SpiceMonitor): void {
    if (!monitor.hasAttribute('tabindex')) monitor.setAttribute('tabindex', '0');
    new KeyboardController(monitor, {
      enabled: () => this.enabled,
      send: (...events) => this.queue.push(...events),
      releaseAll: () => this.releaseAll(),
      hotkeys: () => this.config.hotkeys?.() ?? [],
      onHotkey: (binding) => this.onHotkey(binding, monitor),
      awaitPaste: (doc) => this.config.awaitPaste?.(doc) ?? null,
    });
    new PointerController(monitor, {
      enabled: () => this.enabled,
      mode: () => this.mode,
      viewport: {
        locate: (x, y, dragging) => {
          const p = monitor.toGuest(x, y);
          return p.inside || dragging ? p : { ...p, inside: false };
        },
        deltaToGuest: (dx, dy) => monitor.deltaToGuest(dx, dy),
      },
      queue: this.queue,
      syncLocks: (e) => this.keyboard.syncLocks(e),
      releaseAll: () => this.releaseAll(),
    });
    if (monitor.info) monitor.setCursor(this.cursor.css(monitor.info.channelId));
  }

  async sendKeys(codes: readonly string[]): Promise<void> {
    if (!this.enabled) return;
    keySequence(codes); // throws RangeError for an unknown code, before anything is sent
    this.queue.flush();
    this.config.engine.post({ type: 'keys', codes: [...codes] });
  }

  async sendCombo(name: ComboName): Promise<void> {
    if (!isComboName(name)) throw new RangeError(`unknown key combo "${String(name)}"`);
    await this.sendKeys(COMBOS[name]);
  }

  releaseAll(): void {
    this.queue.clear();
    this.config.engine.post({ type: 'release-all' });
  }

  async grabKeyboard(): Promise<void> {
    this.grabbed = true;
    this.lockReleased = false;
    this.host.focus({ preventScroll: true });
    await this.updateKeyboardLock();
    this.host.requestUpdate();
  }

  releaseKeyboard(): void {
    this.grabbed = false;
    void this.updateKeyboardLock();
    this.host.requestUpdate();
  }

  /** The hint and the guest cursor drawn under Pointer Lock (server mouse mode), inside the screen box. */
  overlay(): TemplateResult | typeof nothing {
    if (!this.pointer.locked && !(this.mode === 'server' && this.enabled)) return nothing;
    const release = this.config.hotkeys?.().find((b) => b.action === 'release-cursor')?.hotkey.spec;
    const hint = !this.pointer.locked ? strings.pointerHintClick() : release ? strings.pointerHintReleaseWith(release) : strings.pointerHintRelease();
    const image = this.cursor.image;
    const pos = this.cursor.position;
    let cursor: TemplateResult | typeof nothing = nothing;
    if (this.pointer.locked && image && this.cursor.visible && pos) {
      const base = this.config.container();
      const at = base ? this.viewport.toBaseCss(0, pos.x, pos.y, base) : null;
      if (at)
        cursor = html`<img
          part="cursor"
          alt=""
          src=${image.url}
          width=${image.width}
          height=${image.height}
          style=${styleMap({ left: `${at.left - image.hotX}px`, top: `${at.top - image.hotY}px` })}
        />`;
    }
    return html`<div part="hint" role="note">${hint}</div>
      ${cursor}`;
  }

  private send(batch: InputEvent[]): void {
    if (!this.enabled) return;
    this.config.engine.post({ type: 'input', batch });
  }

  private applyCursor(channelId: number, css: string): void {
    for (const m of this.config.allMonitors()) if (m.info?.channelId === channelId) m.setCursor(css);
  }

  /** The session ended: no lock, no guest cursor, no surface; idempotent. */
  sessionEnded(): void {
    this.queue.clear();
    this.pointer.unlock();
    this.pointer.reset();
    this.cursor.reset();
    this.guestLocks = null;
    this.mode = 'server';
    this.supported = [];
  }

  /**
   * A hotkey was pressed on `target` (the console, or a monitor in its own window): the page hears of it,
   * then the console acts unless the page prevented that.
   */
  private onHotkey(binding: HotkeyBinding, target: HTMLElement): void {
    const act = this.config.hotkey?.({ action: binding.action, hotkey: binding.hotkey.spec }) ?? true;
    if (!act) return;
    switch (binding.action) {
      case 'release-cursor':
        this.pointer.unlock();
        this.grabbed = false;
        this.lockReleased = true;
        void this.updateKeyboardLock();
        this.host.requestUpdate();
        return;
      case 'secure-attention':
        void this.sendCombo('ctrl-alt-del');
        return;
      case 'toggle-fullscreen':
        void this.toggleFullscreen(target);
        return;
      default:
        return; // the page's
    }
  }

  /** Leaves fullscreen if anything is fullscreen, else makes `target` fullscreen (a key press is the gesture). */
  private async toggleFullscreen(target: HTMLElement): Promise<void> {
    const doc = target.ownerDocument;
    try {
      if (doc.fullscreenElement) await doc.exitFullscreen();
      else await target.requestFullscreen({ navigationUI: 'hide' });
    } catch (e) {
      console.warn(`spice-console: toggle-fullscreen hotkey: ${(e as Error).message}`);
    }
  }

  private readonly onPointerDown = (): void => {
    if (!this.lockReleased) return;
    this.lockReleased = false;
    void this.updateKeyboardLock();
  };

  private readonly onFullscreen = (): void => {
    if (document.fullscreenElement === this.host) this.lockReleased = false;
    void this.updateKeyboardLock();
  };

  private async updateKeyboardLock(): Promise<void> {
    const keyboard = (navigator as Navigator & { keyboard?: KeyboardApi }).keyboard;
    const want = !this.lockReleased && (this.grabbed || document.fullscreenElement === this.host);
    if (want === this.keyboardLocked || !keyboard?.lock || !keyboard.unlock) return;
    this.keyboardLocked = want;
    try {
      if (want) await keyboard.lock();
      else keyboard.unlock();
    } catch {
      this.keyboardLocked = false; // not allowed here (e.g. in a cross-origin frame): focus is all we have
    }
  }
}
