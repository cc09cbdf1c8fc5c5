/**
 * Hotkeys in spice-gtk's "hotkey format", the form connection files use for `release-cursor`,
 * `secure-attention`, `toggle-fullscreen` and the other local shortcuts: key names joined by `+`, e.g.
 * `shift+f12`, `ctrl+alt+end`. Names are case-insensitive; `ctrl`, `alt`, `shift` and `win`/`super`/`meta`
 * are modifiers; virt-viewer's short names `del`, `ins`, `pgup`, `pgdn`, `enter` are understood beside the
 * GDK key names. A hotkey becomes modifier flags plus at most one other key as a `KeyboardEvent.code`, which
 * `matchesHotkey` compares with a keyboard event from either side of the keyboard.
 *
 * Also remote-viewer's `--hotkeys` form, which `<spice-console hotkeys>` takes: `action=hotkey` pairs
 * separated by commas (`toggle-fullscreen=shift+f11,release-cursor=shift+f12`), read by `parseHotkeyList`
 * into the same `VvHotkeys` a connection file gives, and `hotkeyBindings` to match key presses against.
 */
import { HOTKEY_ACTIONS, type HotkeyAction } from '../api/types.js';

/** A parsed hotkey. `code` is null for a modifiers-only hotkey such as `ctrl+alt`. */
export interface VvHotkey {
  /** The hotkey as the file wrote it. */
  spec: string;
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  /** `KeyboardEvent.code` of the non-modifier key, e.g. `F12`, `End`, `KeyQ`. */
  code: string | null;
}

/**
 * The local hotkeys a file may set (spice hotkey format, parsed): key presses on this computer that make
 * remote-viewer do something, not keys for the guest. Match them with `matchesHotkey(hotkey, event)`.
 */
export interface VvHotkeys {
  /** Let go of the pointer and keyboard grab (the console's `releasePointer()` / `releaseKeyboard()`). */
  releaseCursor?: VvHotkey;
  /** Send Ctrl+Alt+Del to the guest (the console's `sendCombo('ctrl-alt-del')`). oVirt writes `ctrl+alt+end`. */
  secureAttention?: VvHotkey;
  /** Enter or leave fullscreen. */
  toggleFullscreen?: VvHotkey;
  zoomIn?: VvHotkey;
  zoomOut?: VvHotkey;
  zoomReset?: VvHotkey;
  smartcardInsert?: VvHotkey;
  smartcardRemove?: VvHotkey;
  usbDeviceReset?: VvHotkey;
}

/** The parts of a KeyboardEvent a hotkey is matched against. */
export interface HotkeyEventLike {
  code: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

const MODIFIERS: Record<string, 'ctrl' | 'alt' | 'shift' | 'meta'> = {
  ctrl: 'ctrl',
  control: 'ctrl',
  control_l: 'ctrl',
  control_r: 'ctrl',
  alt: 'alt',
  alt_l: 'alt',
  alt_r: 'alt',
  shift: 'shift',
  shift_l: 'shift',
  shift_r: 'shift',
  win: 'meta',
  super: 'meta',
  super_l: 'meta',
  super_r: 'meta',
  meta: 'meta',
};

/** Key names (virt-viewer short names and GDK names, lower case) to KeyboardEvent.code. */
const NAMED_KEYS: Record<string, string> = {
  del: 'Delete',
  delete: 'Delete',
  ins: 'Insert',
  insert: 'Insert',
  pgup: 'PageUp',
  pageup: 'PageUp',
  page_up: 'PageUp',
  prior: 'PageUp',
  pgdn: 'PageDown',
  pagedown: 'PageDown',
  page_down: 'PageDown',
  next: 'PageDown',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  return: 'Enter',
  space: 'Space',
  tab: 'Tab',
  esc: 'Escape',
  escape: 'Escape',
  backspace: 'Backspace',
  back_space: 'Backspace',
  print: 'PrintScreen',
  sysrq: 'PrintScreen',
  pause: 'Pause',
  break: 'Pause',
  scroll_lock: 'ScrollLock',
  up: 'ArrowUp',
  down: 'ArrowDown',
  left: 'ArrowLeft',
  right: 'ArrowRight',
  menu: 'ContextMenu',
  minus: 'Minus',
  equal: 'Equal',
  plus: 'Equal',
};

/** Parses a spice hotkey string; throws an Error naming the key it does not know. */
export function parseHotkey(spec: string): VvHotkey {
  const hotkey: VvHotkey = { spec, ctrl: false, alt: false, shift: false, meta: false, code: null };
  const names = spec.split('+').map((s) => s.trim().toLowerCase());
  if (names.some((n) => n === '')) throw new Error(`hotkey "${spec}" has an empty key name`);
  for (const name of names) {
    const modifier = MODIFIERS[name];
    if (modifier && Object.hasOwn(MODIFIERS, name)) {
      hotkey[modifier] = true;
      continue;
    }
    const code = keyCode(name);
    if (!code) throw new Error(`hotkey "${spec}": unknown key "${name}"`);
    if (hotkey.code) throw new Error(`hotkey "${spec}" names two non-modifier keys`);
    hotkey.code = code;
  }
  if (!hotkey.code && !hotkey.ctrl && !hotkey.alt && !hotkey.shift && !hotkey.meta) {
    throw new Error(`hotkey "${spec}" names no key`);
  }
  return hotkey;
}

function keyCode(name: string): string | null {
  if (Object.hasOwn(NAMED_KEYS, name)) return NAMED_KEYS[name]!;
  if (/^[a-z]$/.test(name)) return `Key${name.toUpperCase()}`;
  if (/^[0-9]$/.test(name)) return `Digit${name}`;
  const f = /^f([1-9]|1[0-9]|2[0-4])$/.exec(name);
  if (f) return `F${f[1]}`;
  return null;
}

/**
 * Whether a key event is the hotkey: its non-modifier key (if any) is the event's key and exactly the
 * hotkey's modifiers are held. For a modifiers-only hotkey the event must be one of those modifiers' keys.
 */
export function matchesHotkey(hotkey: VvHotkey, e: HotkeyEventLike): boolean {
  if (e.ctrlKey !== hotkey.ctrl || e.altKey !== hotkey.alt || e.shiftKey !== hotkey.shift || e.metaKey !== hotkey.meta) {
    return false;
  }
  if (hotkey.code) return e.code === hotkey.code;
  return /^(Control|Alt|Shift|Meta)(Left|Right)$/.test(e.code);
}

/** A hotkey and what it does. */
export interface HotkeyBinding {
  action: HotkeyAction;
  hotkey: VvHotkey;
}

/** The `VvHotkeys` field of each action (`release-cursor` → `releaseCursor`). */
export const HOTKEY_FIELDS: Readonly<Record<HotkeyAction, keyof VvHotkeys>> = {
  'release-cursor': 'releaseCursor',
  'secure-attention': 'secureAttention',
  'toggle-fullscreen': 'toggleFullscreen',
  'zoom-in': 'zoomIn',
  'zoom-out': 'zoomOut',
  'zoom-reset': 'zoomReset',
  'smartcard-insert': 'smartcardInsert',
  'smartcard-remove': 'smartcardRemove',
  'usb-device-reset': 'usbDeviceReset',
};

/** Hotkeys read from a list or an object: every one that could be read, and one sentence per one that could not. */
export interface HotkeyList {
  hotkeys: VvHotkeys;
  errors: string[];
}

const isAction = (name: string): name is HotkeyAction => (HOTKEY_ACTIONS as readonly string[]).includes(name);
const ACTION_OF_FIELD = new Map(Object.entries(HOTKEY_FIELDS).map(([action, field]) => [field as string, action as HotkeyAction]));

/**
 * Reads remote-viewer's `--hotkeys` form: `action=hotkey` pairs separated by commas, e.g.
 * `toggle-fullscreen=shift+f11,release-cursor=shift+f12,secure-attention=ctrl+alt+end`. Every pair that
 * can be read is kept (a later pair for the same action wins); each that cannot (no `=`, an unknown
 * action, a hotkey `parseHotkey` refuses) adds a sentence to `errors`. Empty pairs are skipped.
 */
export function parseHotkeyList(text: string): HotkeyList {
  const result: HotkeyList = { hotkeys: {}, errors: [] };
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) {
      result.errors.push(`"${pair.trim()}" is not action=hotkey`);
      continue;
    }
    const action = pair.slice(0, eq).trim().toLowerCase();
    if (!isAction(action)) {
      result.errors.push(`unknown hotkey action "${action}" (known: ${HOTKEY_ACTIONS.join(', ')})`);
      continue;
    }
    try {
      result.hotkeys[HOTKEY_FIELDS[action]] = parseHotkey(pair.slice(eq + 1).trim());
    } catch (e) {
      result.errors.push(`${action}: ${(e as Error).message}`);
    }
  }
  return result;
}

/**
 * Reads hotkeys as a page may give them: the `--hotkeys` string form, a `VvHotkeys` object (what
 * `parseVvFile` returns; each value a parsed hotkey or a hotkey string, re-read from its `spec`), or
 * null/undefined for none. What cannot be read is left out and named in `errors`.
 */
export function readHotkeys(value: unknown): HotkeyList {
  if (value === null || value === undefined) return { hotkeys: {}, errors: [] };
  if (typeof value === 'string') return parseHotkeyList(value);
  const result: HotkeyList = { hotkeys: {}, errors: [] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    result.errors.push(`hotkeys must be a string or an object, not ${Array.isArray(value) ? 'an array' : typeof value}`);
    return result;
  }
  for (const [field, entry] of Object.entries(value as Record<string, unknown>)) {
    if (entry === undefined) continue;
    const action = ACTION_OF_FIELD.get(field);
    if (!action) {
      result.errors.push(`unknown hotkey "${field}" (known: ${[...ACTION_OF_FIELD.keys()].join(', ')})`);
      continue;
    }
    const spec = typeof entry === 'string' ? entry : (entry as Partial<VvHotkey> | null)?.spec;
    if (typeof spec !== 'string') {
      result.errors.push(`${action}: not a hotkey (a string such as "shift+f12", or parseHotkey's result)`);
      continue;
    }
    try {
      result.hotkeys[field as keyof VvHotkeys] = parseHotkey(spec);
    } catch (e) {
      result.errors.push(`${action}: ${(e as Error).message}`);
    }
  }
  return result;
}

/** The hotkeys as action/hotkey pairs, in HOTKEY_ACTIONS order. */
export function hotkeyBindings(hotkeys: VvHotkeys): HotkeyBinding[] {
  return HOTKEY_ACTIONS.flatMap((action) => {
    const hotkey = hotkeys[HOTKEY_FIELDS[action]];
    return hotkey ? [{ action, hotkey }] : [];
  });
}

/** The hotkeys in the `--hotkeys` form (`release-cursor=shift+f12,...`); '' for none. */
export function formatHotkeyList(hotkeys: VvHotkeys): string {
  return hotkeyBindings(hotkeys)
    .map((b) => `${b.action}=${b.hotkey.spec}`)
    .join(',');
}
