/**
 * PointerController: mouse, pen and touch on a <spice-console>, in both SPICE mouse modes.
 *
 *  - Client mode (absolute): every move over the screen becomes MOUSE_POSITION in guest pixels of the
 *    monitor under the pointer (ViewportController maps through the canvas's box, so any scale mode and
 *    device pixel ratio are right). Moves are coalesced per animation frame (InputQueue).
 *  - Server mode (relative): a click on the screen asks for Pointer Lock; locked, `movementX/Y` (scaled to
 *    guest pixels as shown) become MOUSE_MOTION. Escape (the browser's) or Ctrl+Alt (KeyboardController)
 *    leaves the lock; the element shows a hint while locked.
 *  - Buttons are diffed from `PointerEvent.buttons`, so chorded presses (a second button while one is held,
 *    which only fires pointermove) are not lost. Wheel deltas are accumulated into whole notches.
 *  - Touch: a tap is a left click, one finger moved past a few pixels drags (client mode: with the left
 *    button held; server mode: moves the pointer like a touchpad), two fingers scroll the wheel.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { InputEvent, PointerButton } from '../api/input.js';
import type { MouseModeName } from '../api/types.js';
import { WheelAccumulator, WheelDeltaMode } from '../input/motion.js';
import type { InputQueue } from './input-queue.js';
import type { MonitorPoint } from '../elements/spice-monitor/spice-monitor.js';

/** Maps page points to the monitor under them (the console's viewport, or one <spice-monitor> in its own window). */
export interface PointerMapper {
  /** The monitor point under a page point; while `dragging`, the last monitor's point clamped to its edge. */
  locate(clientX: number, clientY: number, dragging: boolean): MonitorPoint;
  /** CSS pixels of relative movement -> guest pixels. */
  deltaToGuest(dx: number, dy: number): { dx: number; dy: number };
}

export interface PointerControllerConfig {
  /** Whether input goes to the guest now (connected and not view-only). */
  enabled(): boolean;
  /** The server's current mouse mode. */
  mode(): MouseModeName;
  viewport: PointerMapper;
  queue: InputQueue;
  /** Called with the first pointer event after focus, to sync lock keys. */
  syncLocks(e: PointerEvent): void;
  /** Releases every held key and button in the guest. */
  releaseAll(): void;
  /** Pointer Lock was taken or left. */
  lockChanged?(locked: boolean): void;
}

/** `PointerEvent.buttons` bits, in the order of SPICE's buttons. */
const BUTTON_BITS: readonly [number, PointerButton][] = [
  [1, 'left'],
  [4, 'middle'],
  [2, 'right'],
  [8, 'side'],
  [16, 'extra'],
];

/** A touch that moves less than this (CSS px) is a tap. */
const TAP_SLOP = 8;
/** CSS pixels of two-finger travel per wheel notch. */
const TOUCH_PIXELS_PER_NOTCH = 50;

type TouchGesture = 'idle' | 'pending' | 'drag' | 'scroll';

export class PointerController implements ReactiveController {
  /** Whether the host holds Pointer Lock (server mouse mode). */
  locked = false;
  /** Buttons the guest believes are down (PointerEvent.buttons bits). */
  private buttons = 0;
  private readonly wheel = new WheelAccumulator();
  private readonly touchWheel = new WheelAccumulator({ pixelsPerNotch: TOUCH_PIXELS_PER_NOTCH });
  private readonly touches = new Map<number, { x: number; y: number; startX: number; startY: number }>();
  private gesture: TouchGesture = 'idle';
  private scrollY: number | null = null;
  /** The document the host is in (where Pointer Lock is taken and reported). */
  private doc: Document = document;
  /** The last absolute position queued, so a press at the same spot does not repeat it. */
  private lastPosition: { x: number; y: number; displayId: number } | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly config: PointerControllerConfig,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const h = this.host;
    h.addEventListener('pointerdown', this.onPointerDown);
    h.addEventListener('pointermove', this.onPointerMove);
    h.addEventListener('pointerup', this.onPointerUp);
    h.addEventListener('pointercancel', this.onPointerCancel);
    h.addEventListener('lostpointercapture', this.onLostCapture);
    h.addEventListener('wheel', this.onWheel, { passive: false });
    h.addEventListener('contextmenu', this.onContextMenu);
    // The host's own document: a monitor in a window of its own takes Pointer Lock there.
    this.doc = h.ownerDocument;
    this.doc.addEventListener('pointerlockchange', this.onLockChange);
  }

  hostDisconnected(): void {
    const h = this.host;
    h.removeEventListener('pointerdown', this.onPointerDown);
    h.removeEventListener('pointermove', this.onPointerMove);
    h.removeEventListener('pointerup', this.onPointerUp);
    h.removeEventListener('pointercancel', this.onPointerCancel);
    h.removeEventListener('lostpointercapture', this.onLostCapture);
    h.removeEventListener('wheel', this.onWheel);
    h.removeEventListener('contextmenu', this.onContextMenu);
    this.doc.removeEventListener('pointerlockchange', this.onLockChange);
    this.unlock();
    this.reset();
  }

  /** Leaves Pointer Lock if the host holds it. */
  unlock(): void {
    if (this.doc.pointerLockElement === this.host) this.doc.exitPointerLock();
  }

  /** Forgets buttons, touches and wheel remainders (the engine's releaseAll covers the guest side). */
  reset(): void {
    this.buttons = 0;
    this.lastPosition = null;
    this.touches.clear();
    this.gesture = 'idle';
    this.scrollY = null;
    this.wheel.reset();
    this.touchWheel.reset();
  }

  /** The mouse mode changed: leave Pointer Lock when it is no longer server mode. */
  modeChanged(mode: MouseModeName): void {
    this.lastPosition = null;
    if (mode !== 'server') this.unlock();
  }

  // ---- mouse and pen ----

  private readonly onPointerDown = (e: PointerEvent): void => {
    if (!this.config.enabled()) return;
    this.host.focus({ preventScroll: true });
    this.config.syncLocks(e);
    if (e.pointerType === 'touch') return this.touchDown(e);
    if (this.config.mode() === 'server' && !this.locked) {
      // The click that takes the pointer is not forwarded: the guest pointer is elsewhere.
      e.preventDefault();
      this.lock();
      return;
    }
    if (this.config.mode() === 'client' && !this.config.viewport.locate(e.clientX, e.clientY, false).inside) return;
    e.preventDefault();
    try {
      this.host.setPointerCapture(e.pointerId);
    } catch {
      // synthetic events have no active pointer to capture
    }
    this.move(e);
    this.syncButtons(e.buttons);
  };

  private readonly onPointerMove = (e: PointerEvent): void => {
    if (!this.config.enabled()) return;
    if (e.pointerType === 'touch') return this.touchMove(e);
    this.move(e);
    if (this.buttons !== e.buttons) this.syncButtons(e.buttons);
  };

  private readonly onPointerUp = (e: PointerEvent): void => {
    if (!this.config.enabled()) return;
    if (e.pointerType === 'touch') return this.touchUp(e);
    if (this.buttons === 0) return;
    this.move(e);
    this.syncButtons(e.buttons);
  };

  private readonly onPointerCancel = (e: PointerEvent): void => {
    if (e.pointerType === 'touch') {
      this.touches.delete(e.pointerId);
      if (this.touches.size === 0) this.endTouch();
      return;
    }
    this.syncButtons(0);
  };

  private readonly onLostCapture = (e: PointerEvent): void => {
    if (e.pointerType !== 'touch' && !this.locked && this.buttons !== 0 && this.config.enabled()) this.syncButtons(e.buttons);
  };

  private readonly onWheel = (e: WheelEvent): void => {
    if (!this.config.enabled()) return;
    if (this.config.mode() === 'client' && !this.config.viewport.locate(e.clientX, e.clientY, false).inside) return;
    if (this.config.mode() === 'server' && !this.locked) return;
    e.preventDefault();
    const notches = this.wheel.add(e.deltaY, e.deltaMode, e.timeStamp);
    if (notches === 0) return;
    if (!this.locked) this.position(e.clientX, e.clientY, false);
    this.config.queue.push({ type: 'wheel', notches });
  };

  private readonly onContextMenu = (e: Event): void => {
    if (this.config.enabled()) e.preventDefault();
  };

  /** Motion for one pointer event: relative under lock, absolute in client mode. */
  private move(e: PointerEvent): void {
    if (this.locked) {
      if (e.movementX === 0 && e.movementY === 0) return;
      const d = this.config.viewport.deltaToGuest(e.movementX, e.movementY);
      this.config.queue.move({ type: 'motion', dx: d.dx, dy: d.dy });
    } else if (this.config.mode() === 'client') {
      this.position(e.clientX, e.clientY, this.buttons !== 0);
    }
  }

  /** Queues MOUSE_POSITION for a page point; outside the screen only while dragging (clamped to its edge). */
  private position(clientX: number, clientY: number, dragging: boolean): void {
    const t = this.config.viewport.locate(clientX, clientY, dragging);
    if (!t.inside && !dragging) return;
    const last = this.lastPosition;
    if (last && last.x === t.x && last.y === t.y && last.displayId === t.displayId) return;
    this.lastPosition = { x: t.x, y: t.y, displayId: t.displayId };
    this.config.queue.move({ type: 'position', x: t.x, y: t.y, displayId: t.displayId });
  }

  /** Sends presses and releases for every button whose state differs from `buttons`. */
  private syncButtons(buttons: number): void {
    const events: InputEvent[] = [];
    for (const [bit, button] of BUTTON_BITS) {
      if ((this.buttons ^ buttons) & bit) events.push({ type: 'button', button, down: (buttons & bit) !== 0 });
    }
    this.buttons = buttons;
    if (events.length) this.config.queue.push(...events);
  }

  // ---- pointer lock ----

  private lock(): void {
    const host = this.host;
    // unadjustedMovement: raw mouse deltas without the OS's acceleration on top of the guest's own.
    host.requestPointerLock({ unadjustedMovement: true })?.catch?.(() => host.requestPointerLock()?.catch?.(() => {}));
  }

  private readonly onLockChange = (): void => {
    const locked = this.doc.pointerLockElement === this.host;
    if (locked === this.locked) return;
    this.locked = locked;
    if (!locked) {
      // Leaving the lock (Escape, Ctrl+Alt, focus loss): nothing may stay pressed in the guest.
      this.reset();
      this.config.releaseAll();
    }
    this.config.lockChanged?.(locked);
  };

  // ---- touch ----

  private touchDown(e: PointerEvent): void {
    e.preventDefault();
    this.touches.set(e.pointerId, { x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY });
    try {
      this.host.setPointerCapture(e.pointerId);
    } catch {
      // synthetic events
    }
    if (this.touches.size === 1) {
      this.gesture = 'pending';
    } else if (this.touches.size === 2 && this.gesture === 'pending') {
      this.gesture = 'scroll';
      this.scrollY = this.averageY();
      this.touchWheel.reset();
    }
  }

  private touchMove(e: PointerEvent): void {
    const t = this.touches.get(e.pointerId);
    if (!t) return;
    const dx = e.clientX - t.x;
    const dy = e.clientY - t.y;
    t.x = e.clientX;
    t.y = e.clientY;
    switch (this.gesture) {
      case 'pending':
        if (Math.hypot(t.x - t.startX, t.y - t.startY) < TAP_SLOP) return;
        this.gesture = 'drag';
        if (this.config.mode() === 'client') {
          this.position(t.startX, t.startY, false);
          this.syncButtons(1);
          this.position(t.x, t.y, true);
        } else {
          this.relative(t.x - t.startX, t.y - t.startY);
        }
        return;
      case 'drag':
        if (this.config.mode() === 'client') this.position(t.x, t.y, true);
        else this.relative(dx, dy);
        return;
      case 'scroll': {
        const y = this.averageY();
        const delta = this.scrollY === null ? 0 : y - this.scrollY;
        this.scrollY = y;
        // Fingers moving up scroll the content up, i.e. towards what is below: wheel down.
        const notches = this.touchWheel.add(-delta, WheelDeltaMode.Pixel);
        if (notches !== 0) this.config.queue.push({ type: 'wheel', notches });
        return;
      }
      default:
        return;
    }
  }

  private touchUp(e: PointerEvent): void {
    const t = this.touches.get(e.pointerId);
    if (!t) return;
    this.touches.delete(e.pointerId);
    if (this.gesture === 'pending' && this.touches.size === 0) {
      if (this.config.mode() === 'client') this.position(t.startX, t.startY, false);
      this.syncButtons(1);
      this.syncButtons(0);
    }
    if (this.touches.size === 0) this.endTouch();
  }

  private endTouch(): void {
    if (this.gesture === 'drag' && this.buttons !== 0) this.syncButtons(0);
    this.gesture = 'idle';
    this.scrollY = null;
  }

  private relative(dx: number, dy: number): void {
    const d = this.config.viewport.deltaToGuest(dx, dy);
    this.config.queue.move({ type: 'motion', dx: d.dx, dy: d.dy });
  }

  private averageY(): number {
    let sum = 0;
    for (const t of this.touches.values()) sum += t.y;
    return this.touches.size ? sum / this.touches.size : 0;
  }
}
