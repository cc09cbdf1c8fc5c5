/**
 * User input and cursor state as plain data crossing the worker boundary. The page turns DOM events into
 * `InputEvent`s (scan codes already looked up, pointer coordinates already in guest pixels) and hands them
 * to the engine in batches; the engine owns every protocol decision (packing, held keys, motion-ack
 * throttling) and reports the guest's cursor and lock state back as events.
 */
import type { MouseModeName } from './types.js';

/** A pointer button as the page names it; the engine maps it to SPICE_MOUSE_BUTTON_*. */
export type PointerButton = 'left' | 'middle' | 'right' | 'side' | 'extra';

/** Lock key state, both ways: what the page's keyboard has (KeyboardEvent.getModifierState) and what the guest reports. */
export interface KeyboardLocks {
  capsLock: boolean;
  numLock: boolean;
  scrollLock: boolean;
}

/**
 * One input. Scan codes use src/input/keys.ts numbering (set 1; 0x100 | code for E0 keys; SCANCODE_PAUSE).
 * `position` is for client (absolute) mouse mode, in pixels of the monitor `displayId`; `motion` for
 * server (relative) mouse mode, in guest pixels, fractions allowed (they add up).
 */
export type InputEvent =
  | { type: 'key'; scancode: number; down: boolean }
  | { type: 'locks'; locks: KeyboardLocks }
  | { type: 'position'; x: number; y: number; displayId: number }
  | { type: 'motion'; dx: number; dy: number }
  | { type: 'button'; button: PointerButton; down: boolean }
  /** Whole wheel notches: negative = up (away from the user), positive = down. */
  | { type: 'wheel'; notches: number };

/**
 * What the page posts on the engine's input port, in the order the user acted: one ordered stream for all
 * input (mouse mode requests included). Plain postMessage on a dedicated MessagePort costs the page less per batch than a comlink call
 * (no request id, no reply to settle; bench/input-port.browser.ts). `keys` were checked on the page
 * (keySequence) before they were posted.
 */
export type InputPortMessage =
  { type: 'input'; batch: InputEvent[] } | { type: 'keys'; codes: string[] } | { type: 'release-all' } | { type: 'mouse-mode'; mode: MouseModeName };

/** A cursor shape: straight-alpha RGBA rows, top to bottom, `width * height * 4` bytes (transferred). */
export interface CursorShape {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  rgba: ArrayBuffer;
}
