/**
 * Pointer flow control for the inputs channel, as pure state machines the engine feeds and drains.
 *
 * MotionThrottle: the server acknowledges every INPUT_MOTION_ACK_BUNCH (4) MOUSE_MOTION/MOUSE_POSITION
 * messages with one MOUSE_MOTION_ACK. Like spice-gtk [gtk:channel-inputs.c] we count sent motion messages
 * (+1 each, -4 per ack) and stop sending while the count is >= 2 bunches (8), coalescing meanwhile: relative
 * deltas add up (server mouse mode), absolute positions keep only the latest (client mouse mode). The next
 * ack flushes one message. Button presses/releases are never held back; pending motion or position goes out
 * first so the click lands where the pointer is.
 *
 * WheelAccumulator: SPICE has only whole wheel notches (a press+release of button UP or DOWN), browsers report
 * high-resolution deltas in pixels, lines or pages. We add deltas up and emit one notch per
 * 100 px / 3 lines / 1 page (the common per-notch deltas of Chromium on Windows, of Firefox's line mode and of
 * "scroll one screen" settings), keeping the remainder, which is dropped when the direction flips or after a
 * pause, so a trackpad's leftovers never add a surprise notch later. A single event of at least half a notch
 * is a mouse wheel's click whatever its size (Chromium on Linux reports 53 px, and pixels shrink with the
 * device pixel ratio), so it always makes a notch; a trackpad's small deltas still add up.
 */
import {
  INPUT_MOTION_ACK_BUNCH,
  InputsMsgc,
  MouseButton,
  buttonMask,
  writeMouseMotion,
  writeMousePosition,
  writeMousePress,
  writeMouseRelease,
  type InputsMessage,
} from '../protocol/inputs.js';
import { Writer } from '../protocol/writer.js';

/** A pointer message to send, as plain data (see {@link pointerMessage} for the wire form). */
export type PointerMessage =
  | { type: 'motion'; dx: number; dy: number; buttons: number }
  | { type: 'position'; x: number; y: number; buttons: number; displayId: number }
  | { type: 'press'; button: MouseButton; buttons: number }
  | { type: 'release'; button: MouseButton; buttons: number };

/** Upper bound of wheel notches turned into messages per call; a larger burst is cut (hostile or absurd deltas). */
export const MAX_WHEEL_NOTCHES = 10;

const HELD_BUTTONS = [MouseButton.Left, MouseButton.Middle, MouseButton.Right, MouseButton.Side, MouseButton.Extra] as const;

function isWheelButton(button: MouseButton): boolean {
  return button === MouseButton.Up || button === MouseButton.Down;
}

/**
 * Motion-ack throttle plus the button state every pointer message carries. Each method returns the messages
 * to send now, in order. One instance per inputs channel connection; {@link reset} on reconnect.
 */
export class MotionThrottle {
  /** Motion/position messages sent and not yet acknowledged (in bunches). */
  motionCount = 0;
  /** Current button state (MouseButtonMask bits); wheel buttons never stay set. */
  buttons = 0;

  private dx = 0;
  private dy = 0;
  private pending: { x: number; y: number; displayId: number } | null = null;
  private readonly limit: number;

  constructor(readonly ackBunch: number = INPUT_MOTION_ACK_BUNCH) {
    this.limit = ackBunch * 2;
  }

  /** True while motion is being held back for lack of acks. */
  get blocked(): boolean {
    return this.motionCount >= this.limit;
  }

  /** True if motion or a position is waiting for the next ack. */
  get hasPending(): boolean {
    return this.pending !== null || Math.trunc(this.dx) !== 0 || Math.trunc(this.dy) !== 0;
  }

  /**
   * Relative motion (server mouse mode, pointer lock). Fractional deltas (high-DPI `movementX`) add up; only
   * whole pixels are sent and the fraction is kept for the next event.
   */
  motion(dx: number, dy: number): PointerMessage[] {
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) return [];
    this.dx += dx;
    this.dy += dy;
    if (this.blocked) return [];
    return this.flushMotion();
  }

  /** Absolute position in the monitor `displayId` (client mouse mode). Only the latest one is kept. */
  position(x: number, y: number, displayId: number): PointerMessage[] {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return [];
    this.pending = { x: Math.max(0, Math.round(x)), y: Math.max(0, Math.round(y)), displayId };
    if (this.blocked) return [];
    return this.flushPosition();
  }

  /** A button went down: pending motion/position first, then MOUSE_PRESS with the new state. */
  press(button: MouseButton): PointerMessage[] {
    const out = [...this.flushMotion(), ...this.flushPosition()];
    if (!isWheelButton(button)) this.buttons |= buttonMask(button);
    out.push({ type: 'press', button, buttons: this.buttons });
    return out;
  }

  /** A button went up: pending motion/position first, then MOUSE_RELEASE with the new state. */
  release(button: MouseButton): PointerMessage[] {
    const out = [...this.flushMotion(), ...this.flushPosition()];
    if (!isWheelButton(button)) this.buttons &= ~buttonMask(button);
    out.push({ type: 'release', button, buttons: this.buttons });
    return out;
  }

  /**
   * Wheel notches as press+release of UP (negative, away from the user) or DOWN (positive), after any pending
   * motion. At most {@link MAX_WHEEL_NOTCHES} per call.
   */
  wheel(notches: number): PointerMessage[] {
    if (!Number.isFinite(notches)) return [];
    const n = Math.min(Math.abs(Math.trunc(notches)), MAX_WHEEL_NOTCHES);
    const button = notches < 0 ? MouseButton.Up : MouseButton.Down;
    const out: PointerMessage[] = [];
    for (let i = 0; i < n; i++) out.push(...this.press(button), ...this.release(button));
    return out;
  }

  /** Releases for every held button (on blur or pointer-lock loss), so the guest sees no stuck button. */
  releaseAll(): PointerMessage[] {
    const out: PointerMessage[] = [];
    for (const button of HELD_BUTTONS) {
      if (this.buttons & buttonMask(button)) out.push(...this.release(button));
    }
    return out;
  }

  /** MOUSE_MOTION_ACK arrived: the server took a bunch; flush what was held back. */
  ack(): PointerMessage[] {
    this.motionCount = Math.max(0, this.motionCount - this.ackBunch);
    return [...this.flushMotion(), ...this.flushPosition()];
  }

  /** Forget everything (channel reconnected or mouse mode changed). */
  reset(): void {
    this.motionCount = 0;
    this.buttons = 0;
    this.dx = 0;
    this.dy = 0;
    this.pending = null;
  }

  private flushMotion(): PointerMessage[] {
    const dx = Math.trunc(this.dx);
    const dy = Math.trunc(this.dy);
    if (dx === 0 && dy === 0) return [];
    this.dx -= dx;
    this.dy -= dy;
    this.motionCount++;
    return [{ type: 'motion', dx, dy, buttons: this.buttons }];
  }

  private flushPosition(): PointerMessage[] {
    const p = this.pending;
    if (p === null) return [];
    this.pending = null;
    this.motionCount++;
    return [{ type: 'position', x: p.x, y: p.y, buttons: this.buttons, displayId: p.displayId }];
  }
}

/** The wire form of a pointer message. */
export function pointerMessage(m: PointerMessage): InputsMessage {
  const w = new Writer(12);
  switch (m.type) {
    case 'motion':
      writeMouseMotion(w, m.dx, m.dy, m.buttons);
      return { type: InputsMsgc.MouseMotion, body: w.finish() };
    case 'position':
      writeMousePosition(w, m.x, m.y, m.buttons, m.displayId);
      return { type: InputsMsgc.MousePosition, body: w.finish() };
    case 'press':
      writeMousePress(w, m.button, m.buttons);
      return { type: InputsMsgc.MousePress, body: w.finish() };
    case 'release':
      writeMouseRelease(w, m.button, m.buttons);
      return { type: InputsMsgc.MouseRelease, body: w.finish() };
  }
}

// ---- wheel ----

/** `WheelEvent.deltaMode` values (DOM_DELTA_PIXEL / LINE / PAGE). */
export const WheelDeltaMode = {
  Pixel: 0,
  Line: 1,
  Page: 2,
} as const;
export type WheelDeltaMode = (typeof WheelDeltaMode)[keyof typeof WheelDeltaMode];

export interface WheelOptions {
  /** Pixels per notch in DOM_DELTA_PIXEL. Default 100 (Chromium/Edge on Windows, one notch at 100 % zoom). */
  pixelsPerNotch?: number;
  /** Lines per notch in DOM_DELTA_LINE. Default 3 (Firefox and Windows defaults). */
  linesPerNotch?: number;
  /** Pages per notch in DOM_DELTA_PAGE. Default 1 ("scroll one screen" settings). */
  pagesPerNotch?: number;
  /** A remainder older than this (ms, by event timeStamp) is dropped. Default 500. */
  idleResetMs?: number;
  /** One event of at least this fraction of a notch makes a notch by itself. Default 0.5; 0 turns it off. */
  minEventFraction?: number;
}

/** Turns `WheelEvent.deltaY` into whole notches; positive = DOWN (towards the user), negative = UP. */
export class WheelAccumulator {
  private readonly perNotch: readonly [number, number, number];
  private readonly idleResetMs: number;
  private readonly minEventFraction: number;
  private acc = 0;
  private lastTime: number | undefined = undefined;

  constructor(options: WheelOptions = {}) {
    const pick = (v: number | undefined, d: number): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : d);
    this.perNotch = [pick(options.pixelsPerNotch, 100), pick(options.linesPerNotch, 3), pick(options.pagesPerNotch, 1)];
    this.idleResetMs = pick(options.idleResetMs, 500);
    const min = options.minEventFraction;
    this.minEventFraction = min !== undefined && Number.isFinite(min) && min >= 0 ? min : 0.5;
  }

  /**
   * Adds one event's delta; returns the whole notches it completes (often 0 for high-resolution devices),
   * clamped to ±{@link MAX_WHEEL_NOTCHES}. `timeStamp` is the event's, used only to drop stale remainders.
   */
  add(deltaY: number, deltaMode: number, timeStamp?: number): number {
    if (!Number.isFinite(deltaY) || deltaY === 0) return 0;
    const unit = this.perNotch[deltaMode === WheelDeltaMode.Line ? 1 : deltaMode === WheelDeltaMode.Page ? 2 : 0];
    if (timeStamp !== undefined) {
      if (this.lastTime !== undefined && timeStamp - this.lastTime > this.idleResetMs) this.acc = 0;
      this.lastTime = timeStamp;
    }
    const delta = deltaY / unit;
    if (this.acc !== 0 && Math.sign(this.acc) !== Math.sign(delta)) this.acc = 0;
    this.acc += delta;
    // Nudge by a hair so three 1/3-notch line events make a notch despite binary fractions.
    let notches = Math.trunc(this.acc + Math.sign(this.acc) * 1e-9);
    if (notches === 0 && this.minEventFraction > 0 && Math.abs(delta) >= this.minEventFraction) {
      notches = Math.sign(delta); // a wheel click smaller than our notch: still one notch, no remainder
      this.acc = notches;
    }
    this.acc -= notches;
    if (Math.abs(this.acc) < 1e-9) this.acc = 0;
    return Math.max(-MAX_WHEEL_NOTCHES, Math.min(MAX_WHEEL_NOTCHES, notches)) || 0; // no -0
  }

  /** Drops the remainder (e.g. on blur). */
  reset(): void {
    this.acc = 0;
    this.lastTime = undefined;
  }
}
