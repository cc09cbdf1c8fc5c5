/**
 * Inputs channel (type 3) wire format: message ids, the constants its bodies use, builders for the client
 * messages and parsers for the server ones [spice.proto InputsChannel; enums.h; protocol.md §5]. Builders
 * write only the message body into a Writer; the channel adds the (mini) data header. What to send when
 * (key packing, motion throttling, wheel notches) lives in src/input, not here.
 */
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';
import { check } from './errors.js';
import { InputsMsgc, KeyboardModifierFlags, MouseButtonMask, SPICE_INPUT_MOTION_ACK_BUNCH, type MouseButton } from './constants.js';

// Ids and flags come from the generated constants (enums.h / protocol.h), re-exported here so the inputs
// code has one import.
export { InputsCap, InputsMsg, InputsMsgc, KeyboardModifierFlags, MouseButton, MouseButtonMask } from './constants.js';

/** All defined lock bits; anything else in a server message is ignored. */
export const KEYBOARD_MODIFIER_MASK = KeyboardModifierFlags.Mask;
export const MOUSE_BUTTON_MASK_ALL = MouseButtonMask.Mask;

/** The mask bit of a button (bit button - 1; none for MouseButton.Invalid). */
export function buttonMask(button: MouseButton): number {
  return button >= 1 && button <= 7 ? 1 << (button - 1) : 0;
}

/** The server sends one MOUSE_MOTION_ACK per this many MOUSE_MOTION/MOUSE_POSITION messages (protocol.h). */
export const INPUT_MOTION_ACK_BUNCH = SPICE_INPUT_MOTION_ACK_BUNCH;

// ---- client -> server bodies ----

/** One client message of the inputs channel: its type and body, ready for the channel to frame and send. */
export interface InputsMessage {
  type: InputsMsgc;
  body: Uint8Array;
}

/** KEY_DOWN {code u32}: `code` is the packed scan code (see input/keys.ts), bytes LSB first. */
export function writeKeyDown(w: Writer, code: number): Writer {
  return w.u32(code);
}

/** KEY_UP {code u32}. */
export function writeKeyUp(w: Writer, code: number): Writer {
  return w.u32(code);
}

/** KEY_SCANCODE: raw set-1 bytes, as many as needed (needs server cap KEY_SCANCODE). */
export function writeKeyScancode(w: Writer, bytes: Uint8Array | readonly number[]): Writer {
  check(bytes.length > 0, 'KEY_SCANCODE needs at least one byte');
  for (const b of bytes) check(Number.isInteger(b) && b >= 0 && b <= 0xff, () => `scan code byte ${b} out of range`);
  return w.bytes(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
}

/** KEY_MODIFIERS {modifiers u16}: the lock state the guest should take (KeyboardModifier bits). */
export function writeKeyModifiers(w: Writer, modifiers: number): Writer {
  return w.u16(modifiers & KEYBOARD_MODIFIER_MASK);
}

/** MOUSE_MOTION {dx i32, dy i32, buttons u16} (10 B): relative motion, server mouse mode. */
export function writeMouseMotion(w: Writer, dx: number, dy: number, buttons: number): Writer {
  return w
    .i32(Math.round(dx))
    .i32(Math.round(dy))
    .u16(buttons & MOUSE_BUTTON_MASK_ALL);
}

/**
 * MOUSE_POSITION {x u32, y u32, buttons u16, display_id u8} (11 B): absolute position, client mouse mode.
 * x,y are relative to the monitor `displayId` (protocol.md §4.6).
 */
export function writeMousePosition(w: Writer, x: number, y: number, buttons: number, displayId: number): Writer {
  return w
    .u32(Math.max(0, Math.round(x)))
    .u32(Math.max(0, Math.round(y)))
    .u16(buttons & MOUSE_BUTTON_MASK_ALL)
    .u8(displayId);
}

/** MOUSE_PRESS {button u8, buttons u16}: `buttons` is the state after the press. */
export function writeMousePress(w: Writer, button: MouseButton, buttons: number): Writer {
  return w.u8(button).u16(buttons & MOUSE_BUTTON_MASK_ALL);
}

/** MOUSE_RELEASE {button u8, buttons u16}: `buttons` is the state after the release. */
export function writeMouseRelease(w: Writer, button: MouseButton, buttons: number): Writer {
  return w.u8(button).u16(buttons & MOUSE_BUTTON_MASK_ALL);
}

// ---- server -> client bodies ----

export interface InputsInit {
  /** Guest lock state (KeyboardModifier bits). */
  modifiers: number;
}

/** INIT {keyboard_modifiers u16}: first message on the channel. */
export function parseInputsInit(r: Reader): InputsInit {
  return { modifiers: r.u16() & KEYBOARD_MODIFIER_MASK };
}

export interface InputsKeyModifiers {
  modifiers: number;
}

/** KEY_MODIFIERS {modifiers u16}: the guest's lock LEDs changed. */
export function parseKeyModifiers(r: Reader): InputsKeyModifiers {
  return { modifiers: r.u16() & KEYBOARD_MODIFIER_MASK };
}
