/**
 * Hotkeys in spice-gtk's "hotkey format", the form connection files use for `release-cursor`,
 * `secure-attention`, `toggle-fullscreen` and the other local shortcuts: key names joined by `+`, e.g.
 * `shift+f12`, `ctrl+alt+end`. Names are case-insensitive; `ctrl`, `alt`, `shift` and `win`/`super`/`meta`
 * are modifiers; virt-viewer's short names `del`, `ins`, `pgup`, `pgdn`, `enter` are understood beside the
 * GDK key names. A hotkey becomes modifier flags plus at most one other key as a `KeyboardEvent.code`, which
 * `matchesHotkey` compares with a keyboard event from either side of the keyboard.
 */

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
