/**
 * Keyboard semantics for the inputs channel: W3C `KeyboardEvent.code` -> set-1 scan code (table in
 * scancodes.ts, generated), how each scan code goes on the wire, which keys are held (so the engine can
 * release them all when the page loses focus), lock-LED sync, and ready-made key combos.
 *
 * Numbering (spice-gtk's key API convention): plain make codes 0x01..0x7F; E0-prefixed keys 0x100 | code.
 * Every key is one make/break pair: Pause is E0 46 and PrintScreen E0 37, which is what QEMU and Xspice
 * turn into those keys (their real multi-byte sequences are not: scripts/data/keyboard-codes.txt).
 * Wire packing [protocol.md §5; gtk:spice-util.c spice_make_scancode]:
 *  - KEY_DOWN/KEY_UP carry a u32 whose bytes (LSB first, up to the first 0) are fed to the guest keyboard:
 *    plain: down = code, up = code | 0x80; extended: down = 0xE0 | code << 8, up = 0xE0 | (code | 0x80) << 8.
 *  - KEY_SCANCODE carries raw bytes; {@link atomicStepsMessage} puts a whole combo in one message so the
 *    guest gets it at once, with no network delay between a press and its release.
 */
import { InputsMsgc, type InputsMessage, KeyboardModifierFlags, KEYBOARD_MODIFIER_MASK, writeKeyDown, writeKeyScancode, writeKeyUp } from '../protocol/inputs.js';
import { Writer } from '../protocol/writer.js';
import { SCANCODES, UNMAPPED_CODES } from './scancodes.js';

export { SCANCODES, UNMAPPED_CODES };
export type { InputsMessage };

/** Pause: E0 46 (keycodemapdb's and spice-gtk's value; QEMU's qcode pause, Xspice's Pause). */
export const SCANCODE_PAUSE = 0x146;
/** PrintScreen: E0 37 (QEMU's qcode print, Xspice's Print). */
export const SCANCODE_PRINT_SCREEN = 0x137;

/** Scan codes of the lock keys, for lock sync by key taps. */
export const LOCK_SCANCODES = {
  ScrollLock: 0x46,
  NumLock: 0x45,
  CapsLock: 0x3a,
} as const;

/**
 * The set-1 scan code of a physical key, or undefined for codes without one (UNMAPPED_CODES) and codes this
 * table does not know. Layout-independent: `KeyboardEvent.code` names the key, the guest applies its layout.
 */
export function scancodeForCode(code: string): number | undefined {
  return SCANCODES.get(code);
}

/** True for scan codes with the E0 prefix (0x100 | code). */
export function isExtended(scancode: number): boolean {
  return scancode >= 0x101 && scancode <= 0x17f;
}

/** True for a number in our scan code numbering. */
export function isScancode(scancode: number): boolean {
  return Number.isInteger(scancode) && ((scancode >= 0x01 && scancode <= 0x7f) || isExtended(scancode));
}

function checkScancode(scancode: number): void {
  if (!isScancode(scancode)) throw new RangeError(`not a scan code: 0x${Number(scancode).toString(16)}`);
}

/** The u32 of KEY_DOWN / KEY_UP for a key (spice_make_scancode). */
export function packScancode(scancode: number, down: boolean): number {
  checkScancode(scancode);
  const code = scancode & 0x7f;
  const byte = down ? code : code | 0x80;
  return scancode >= 0x100 ? (0xe0 | (byte << 8)) >>> 0 : byte;
}

/**
 * The raw set-1 bytes of a press or a release, in wire order: what goes into KEY_SCANCODE (and what the
 * u32 of KEY_DOWN/KEY_UP unpacks to).
 */
export function scancodeBytes(scancode: number, down: boolean): number[] {
  checkScancode(scancode);
  const code = scancode & 0x7f;
  const byte = down ? code : code | 0x80;
  return scancode >= 0x100 ? [0xe0, byte] : [byte];
}

/** The KEY_DOWN or KEY_UP message for pressing or releasing one key. */
export function keyMessage(scancode: number, down: boolean): InputsMessage {
  const w = new Writer(4);
  const packed = packScancode(scancode, down);
  if (down) writeKeyDown(w, packed);
  else writeKeyUp(w, packed);
  return { type: down ? InputsMsgc.KeyDown : InputsMsgc.KeyUp, body: w.finish() };
}

// ---- key steps, sequences and combos ----

/** One press or release. */
export interface KeyStep {
  type: 'down' | 'up';
  scancode: number;
}

/**
 * `sendKeys` semantics: press every key in order, then release them in reverse order. Codes are W3C
 * `KeyboardEvent.code` names; an unknown or unmapped code throws a RangeError (nothing half-sent).
 */
export function keySequence(codes: readonly string[]): KeyStep[] {
  const scancodes = codes.map((code) => {
    const sc = scancodeForCode(code);
    if (sc === undefined) throw new RangeError(`no scan code for KeyboardEvent.code "${code}"`);
    return sc;
  });
  return scancodeSequence(scancodes);
}

/** {@link keySequence} for scan codes. */
export function scancodeSequence(scancodes: readonly number[]): KeyStep[] {
  for (const sc of scancodes) checkScancode(sc);
  const steps: KeyStep[] = scancodes.map((scancode) => ({ type: 'down', scancode }));
  for (let i = scancodes.length - 1; i >= 0; i--) steps.push({ type: 'up', scancode: scancodes[i]! });
  return steps;
}

/** Ready combos, by name, as the codes pressed in order. */
export const COMBOS = {
  'ctrl-alt-del': ['ControlLeft', 'AltLeft', 'Delete'],
  'ctrl-alt-backspace': ['ControlLeft', 'AltLeft', 'Backspace'],
  'ctrl-alt-f1': ['ControlLeft', 'AltLeft', 'F1'],
  'ctrl-alt-f2': ['ControlLeft', 'AltLeft', 'F2'],
  'ctrl-alt-f3': ['ControlLeft', 'AltLeft', 'F3'],
  'ctrl-alt-f4': ['ControlLeft', 'AltLeft', 'F4'],
  'ctrl-alt-f5': ['ControlLeft', 'AltLeft', 'F5'],
  'ctrl-alt-f6': ['ControlLeft', 'AltLeft', 'F6'],
  'ctrl-alt-f7': ['ControlLeft', 'AltLeft', 'F7'],
  'ctrl-alt-f8': ['ControlLeft', 'AltLeft', 'F8'],
  'ctrl-alt-f9': ['ControlLeft', 'AltLeft', 'F9'],
  'ctrl-alt-f10': ['ControlLeft', 'AltLeft', 'F10'],
  'ctrl-alt-f11': ['ControlLeft', 'AltLeft', 'F11'],
  'ctrl-alt-f12': ['ControlLeft', 'AltLeft', 'F12'],
  'alt-tab': ['AltLeft', 'Tab'],
  'print-screen': ['PrintScreen'],
} as const satisfies Record<string, readonly string[]>;
export type ComboName = keyof typeof COMBOS;

/** True if `name` is one of {@link COMBOS} (for names arriving across the worker boundary). */
export function isComboName(name: string): name is ComboName {
  return Object.hasOwn(COMBOS, name);
}

/** The steps of a ready combo. */
export function combo(name: ComboName): KeyStep[] {
  if (!isComboName(name)) throw new RangeError(`unknown key combo "${String(name)}"`);
  return keySequence(COMBOS[name]);
}

/** The messages for a list of steps, one KEY_DOWN/KEY_UP per step. */
export function stepMessages(steps: readonly KeyStep[]): InputsMessage[] {
  return steps.map((step) => keyMessage(step.scancode, step.type === 'down'));
}

/**
 * All steps as one KEY_SCANCODE message, so the guest gets the whole combo at once (as spice-gtk does for
 * press-and-release). Needs server cap KEY_SCANCODE; without it use {@link stepMessages}.
 */
export function atomicStepsMessage(steps: readonly KeyStep[]): InputsMessage | null {
  const bytes: number[] = [];
  for (const step of steps) bytes.push(...scancodeBytes(step.scancode, step.type === 'down'));
  if (bytes.length === 0) return null;
  return { type: InputsMsgc.KeyScancode, body: writeKeyScancode(new Writer(bytes.length), bytes).finish() };
}

// ---- held keys ----

/**
 * Which keys are held, in the order they went down. The page's keydown/keyup decide what to send; this lets
 * the engine release everything when focus is lost (blur, visibility change, pointer-lock exit) so the guest
 * never sees a stuck modifier.
 */
export class KeyboardState {
  private readonly held = new Set<number>();

  /**
   * Records a press. Returns true for a first press, false for an auto-repeat of a held key. Repeats are
   * still to be forwarded as KEY_DOWN: PS/2 guests rely on the keyboard's typematic repeat.
   */
  press(scancode: number): boolean {
    checkScancode(scancode);
    if (this.held.has(scancode)) return false;
    this.held.add(scancode);
    return true;
  }

  /** Records a release. Returns false if the key was not held (then a KEY_UP is usually not worth sending). */
  release(scancode: number): boolean {
    return this.held.delete(scancode);
  }

  isDown(scancode: number): boolean {
    return this.held.has(scancode);
  }

  get size(): number {
    return this.held.size;
  }

  /** Held scan codes in press order. */
  pressed(): number[] {
    return [...this.held];
  }

  /** Forgets every held key and returns their releases, most recent first. */
  releaseAll(): KeyStep[] {
    const steps: KeyStep[] = [...this.held].reverse().map((scancode) => ({ type: 'up', scancode }));
    this.held.clear();
    return steps;
  }
}

// ---- lock LEDs ----

/** Lock state as booleans (what the page reads with `KeyboardEvent.getModifierState`). */
export interface LockState {
  scrollLock: boolean;
  numLock: boolean;
  capsLock: boolean;
}

/** LockState -> KEY_MODIFIERS bits. */
export function locksToModifiers(locks: LockState): number {
  return (
    (locks.scrollLock ? KeyboardModifierFlags.ScrollLock : 0) |
    (locks.numLock ? KeyboardModifierFlags.NumLock : 0) |
    (locks.capsLock ? KeyboardModifierFlags.CapsLock : 0)
  );
}

/** KEY_MODIFIERS bits -> LockState (unknown bits ignored). */
export function modifiersToLocks(modifiers: number): LockState {
  return {
    scrollLock: (modifiers & KeyboardModifierFlags.ScrollLock) !== 0,
    numLock: (modifiers & KeyboardModifierFlags.NumLock) !== 0,
    capsLock: (modifiers & KeyboardModifierFlags.CapsLock) !== 0,
  };
}

/**
 * The lock keys to tap (press+release each) to take the guest from `from` to `to`, for guests that ignore
 * KEY_MODIFIERS. Order: Caps, Num, Scroll.
 */
export function lockKeysToToggle(from: number, to: number): number[] {
  const diff = (from ^ to) & KEYBOARD_MODIFIER_MASK;
  const out: number[] = [];
  if (diff & KeyboardModifierFlags.CapsLock) out.push(LOCK_SCANCODES.CapsLock);
  if (diff & KeyboardModifierFlags.NumLock) out.push(LOCK_SCANCODES.NumLock);
  if (diff & KeyboardModifierFlags.ScrollLock) out.push(LOCK_SCANCODES.ScrollLock);
  return out;
}

/**
 * Lock sync both ways. The guest's state arrives in INIT and KEY_MODIFIERS ({@link LockSync.fromGuest}); the
 * page offers the local state when it gains focus ({@link LockSync.fromLocal}) and gets back the bits to send
 * in KEY_MODIFIERS, or null when the guest already agrees. Call fromLocal on focus, not on every key: while a
 * lock key itself is going through, local and guest state briefly disagree (spice-gtk syncs on focus-in too).
 */
export class LockSync {
  /** The guest's last reported lock bits, or undefined before INIT. */
  guest: number | undefined = undefined;

  fromGuest(modifiers: number): LockState {
    this.guest = modifiers & KEYBOARD_MODIFIER_MASK;
    return modifiersToLocks(this.guest);
  }

  fromLocal(locks: LockState): number | null {
    const want = locksToModifiers(locks);
    if (this.guest === want) return null;
    this.guest = want; // assume the guest follows; its KEY_MODIFIERS reply corrects us if not
    return want;
  }
}
