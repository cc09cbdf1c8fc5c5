/**
 * The per-VM settings record: which console settings a user may keep for a VM, their allowed values, and the
 * stored shape `{ v: 1, ...choices }`. Everything read back from storage passes `parseSettingsRecord`, which
 * checks the version and every field and refuses anything else (unknown fields, prototype keys, wrong types,
 * oversized strings), so a corrupt or foreign record can never reach the console. `buildSettingsRecord` is
 * the only way a record is written: it copies the known fields and nothing else, so a password (or any other
 * property a caller passes along) is never stored.
 */
import type { ImageCompressionName } from '../api/types.js';
import type { ScaleMode } from '../input/viewport.js';
import { parseUsbFilter } from '../usb/usbredir-filter.js';

/** The record version this code writes and reads. Records of any other version are ignored. */
export const SETTINGS_VERSION = 1;

export const COLOR_DEPTHS = [16, 32] as const;
/** Guest colour depth the WAN options ask for (oVirt's WAN-ColorDepth). */
export type ColorDepth = (typeof COLOR_DEPTHS)[number];

export const DISABLE_EFFECTS = ['wallpaper', 'font-smooth', 'animation', 'all'] as const;
/** Desktop effects the WAN options turn off in the guest (oVirt's WAN-DisableEffects). */
export type DisableEffect = (typeof DISABLE_EFFECTS)[number];

export const CLIPBOARD_POLICIES = ['both', 'to-guest', 'from-guest', 'off'] as const;
/** Which ways the clipboard is shared with the guest. */
export type ClipboardPolicy = (typeof CLIPBOARD_POLICIES)[number];

export const SCALES = ['fit', 'fill', 'none'] as const satisfies readonly ScaleMode[];

/** `''` keeps the server's own image compression. */
export const IMAGE_COMPRESSIONS = ['', 'off', 'auto-glz', 'auto-lz', 'quic', 'glz', 'lz', 'lz4'] as const satisfies readonly (ImageCompressionName | '')[];
export type ImageCompressionChoice = (typeof IMAGE_COMPRESSIONS)[number];

/** One monitor of a stored layout, in guest pixels (kept for the monitors work; validated here). */
export interface MonitorLayoutHead {
  x: number;
  y: number;
  width: number;
  height: number;
}
/**
 * How the console shows the VM's monitors (the console's `layout` and `monitor`), and optionally the guest
 * monitors last asked for: `guest` (all arranged as the guest places them), `single` (only display id
 * `monitor`) or `windows` (one browser window per monitor).
 */
export interface MonitorLayout {
  mode: 'guest' | 'single' | 'windows';
  monitor: number;
  heads?: MonitorLayoutHead[];
}
export const MONITOR_LAYOUT_MODES: readonly MonitorLayout['mode'][] = ['guest', 'single', 'windows'];

/** Every setting a user may keep for a VM. Never the password. */
export interface ConsoleSettings {
  wanOptions: boolean;
  colorDepth: ColorDepth;
  disableEffects: DisableEffect[];
  scale: ScaleMode;
  imageCompression: ImageCompressionChoice;
  clipboard: ClipboardPolicy;
  usbAutoRedirectFilter: string;
  monitorLayout: MonitorLayout;
}
export type SettingName = keyof ConsoleSettings;

/** What is stored for one VM: the version and the settings the user chose (only those). */
export type SettingsRecord = { v: typeof SETTINGS_VERSION } & Partial<ConsoleSettings>;

/** Longest usb-auto-redirect-filter kept (a filter of ~200 rules); longer strings are not settings. */
export const MAX_FILTER_LENGTH = 4096;
/** Most heads a stored monitor layout may have (QXL and oVirt stop at 16; oVirt uses at most 4). */
export const MAX_MONITORS = 16;
/** Largest coordinate or size of a stored monitor, in guest pixels. */
export const MAX_MONITOR_EXTENT = 32768;
/** Longest VM id used as a storage key. */
export const MAX_VM_ID_LENGTH = 256;

/** The console attribute a portal sets for each setting, or null for settings without one. */
export const SETTING_ATTRIBUTES: { readonly [K in SettingName]: string | null } = {
  wanOptions: 'wan-options',
  colorDepth: 'color-depth',
  disableEffects: 'disable-effects',
  scale: 'scale',
  imageCompression: 'image-compression',
  clipboard: 'clipboard',
  usbAutoRedirectFilter: 'usb-auto-redirect-filter',
  monitorLayout: null,
};

export const SETTING_NAMES = Object.keys(SETTING_ATTRIBUTES) as SettingName[];

function oneOf<T>(values: readonly T[], what: string): (v: unknown) => string | null {
  return (v) => ((values as readonly unknown[]).includes(v) ? null : `${what} must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
}

function checkEffects(v: unknown): string | null {
  if (!Array.isArray(v)) return 'disableEffects must be an array';
  if (v.length > DISABLE_EFFECTS.length) return `disableEffects has more than ${DISABLE_EFFECTS.length} entries`;
  const seen = new Set<unknown>();
  for (const e of v) {
    if (!(DISABLE_EFFECTS as readonly unknown[]).includes(e)) return `disableEffects may hold only ${DISABLE_EFFECTS.join(', ')}`;
    if (seen.has(e)) return `disableEffects repeats ${String(e)}`;
    seen.add(e);
  }
  return null;
}

function checkFilter(v: unknown): string | null {
  if (typeof v !== 'string') return 'usbAutoRedirectFilter must be a string';
  if (v.length > MAX_FILTER_LENGTH) return `usbAutoRedirectFilter is longer than ${MAX_FILTER_LENGTH} characters`;
  try {
    parseUsbFilter(v);
  } catch (e) {
    return `usbAutoRedirectFilter is not a usbredir filter: ${(e as Error).message}`;
  }
  return null;
}

function checkLayout(v: unknown): string | null {
  if (!isPlainObject(v)) return 'monitorLayout must be an object';
  const keys = Object.keys(v);
  if (!keys.every((k) => k === 'mode' || k === 'monitor' || k === 'heads') || !keys.includes('mode') || !keys.includes('monitor')) {
    return 'monitorLayout must have mode and monitor (and optionally heads), nothing else';
  }
  if (!MONITOR_LAYOUT_MODES.includes(v['mode'] as never)) return `monitorLayout.mode must be one of ${MONITOR_LAYOUT_MODES.join(', ')}`;
  const m = v['monitor'];
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m >= MAX_MONITORS) return `monitorLayout.monitor must be an integer from 0 to ${MAX_MONITORS - 1}`;
  return v['heads'] === undefined ? null : checkHeads(v['heads']);
}

function checkHeads(v: unknown): string | null {
  if (!Array.isArray(v)) return 'monitorLayout.heads must be an array';
  if (v.length === 0 || v.length > MAX_MONITORS) return `monitorLayout.heads must have 1 to ${MAX_MONITORS} monitors`;
  for (const [i, head] of v.entries()) {
    if (!isPlainObject(head)) return `monitorLayout.heads[${i}] must be an object`;
    const keys = Object.keys(head);
    if (keys.length !== 4 || !['x', 'y', 'width', 'height'].every((k) => keys.includes(k))) {
      return `monitorLayout.heads[${i}] must have exactly x, y, width and height`;
    }
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      const n = head[k];
      const min = k === 'width' || k === 'height' ? 1 : 0;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > MAX_MONITOR_EXTENT) {
        return `monitorLayout.heads[${i}].${k} must be an integer from ${min} to ${MAX_MONITOR_EXTENT}`;
      }
    }
  }
  return null;
}

/** Per setting: null when the value is allowed, else what is wrong with it. */
export const SETTING_CHECKS: { readonly [K in SettingName]: (v: unknown) => string | null } = {
  wanOptions: (v) => (typeof v === 'boolean' ? null : 'wanOptions must be true or false'),
  colorDepth: oneOf(COLOR_DEPTHS, 'colorDepth'),
  disableEffects: checkEffects,
  scale: oneOf(SCALES, 'scale'),
  imageCompression: oneOf(IMAGE_COMPRESSIONS, 'imageCompression'),
  clipboard: oneOf(CLIPBOARD_POLICIES, 'clipboard'),
  usbAutoRedirectFilter: checkFilter,
  monitorLayout: checkLayout,
};

export function isSettingName(name: string): name is SettingName {
  return Object.prototype.hasOwnProperty.call(SETTING_ATTRIBUTES, name);
}

/** A plain object (what IndexedDB's structured clone gives back for an object literal); not a Map, Date, array… */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A deep copy of a setting's value, so stored, shown and applied values never share arrays. */
export function copySetting<K extends SettingName>(name: K, value: ConsoleSettings[K]): ConsoleSettings[K] {
  if (name === 'disableEffects') return [...(value as DisableEffect[])] as ConsoleSettings[K];
  if (name === 'monitorLayout') {
    const l = value as MonitorLayout;
    const copy: MonitorLayout = { mode: l.mode, monitor: l.monitor };
    if (l.heads) copy.heads = l.heads.map((h) => ({ x: h.x, y: h.y, width: h.width, height: h.height }));
    return copy as ConsoleSettings[K];
  }
  return value;
}

/** Whether two values of a setting are the same (arrays by content; effects in any order). */
export function sameSetting(name: SettingName, a: unknown, b: unknown): boolean {
  if (name === 'disableEffects' && Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x) => b.includes(x));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b);
}

export type ParsedRecord = { ok: true; record: SettingsRecord } | { ok: false; reason: string };

/**
 * Checks a value read from storage. A record is accepted only whole: a plain object with `v` equal to
 * SETTINGS_VERSION and nothing but known settings with allowed values. Anything else comes back with the
 * first reason it was refused.
 */
export function parseSettingsRecord(raw: unknown): ParsedRecord {
  if (!isPlainObject(raw)) return { ok: false, reason: 'the stored record is not an object' };
  // Own keys only, and each one checked by name: "__proto__", "constructor" and friends are unknown fields.
  const keys = Object.keys(raw);
  if (!keys.includes('v')) return { ok: false, reason: 'the stored record has no version' };
  if (raw.v !== SETTINGS_VERSION) {
    const v = typeof raw.v === 'number' || typeof raw.v === 'string' ? String(raw.v).slice(0, 20) : typeof raw.v;
    return { ok: false, reason: `the stored record has version ${v}; this console reads version ${SETTINGS_VERSION}` };
  }
  const record: SettingsRecord = { v: SETTINGS_VERSION };
  for (const key of keys) {
    if (key === 'v') continue;
    if (!isSettingName(key)) return { ok: false, reason: `the stored record has an unknown field "${key.slice(0, 40)}"` };
    const problem = SETTING_CHECKS[key](raw[key]);
    if (problem) return { ok: false, reason: `the stored record is invalid: ${problem}` };
    (record as Record<string, unknown>)[key] = copySetting(key, raw[key] as never);
  }
  return { ok: true, record };
}

/**
 * The record to store for a VM: the version and a copy of each known setting in `choices`. Fields that are
 * not settings (a password, anything else) are left out; a setting with a value it may not have throws a
 * TypeError naming it, so a bad value is never written.
 */
export function buildSettingsRecord(choices: Partial<ConsoleSettings>): SettingsRecord {
  const record: SettingsRecord = { v: SETTINGS_VERSION };
  for (const name of SETTING_NAMES) {
    if (!Object.prototype.hasOwnProperty.call(choices, name)) continue;
    const value = choices[name];
    if (value === undefined) continue;
    const problem = SETTING_CHECKS[name](value);
    if (problem) throw new TypeError(`spice-console settings: ${problem}`);
    (record as Record<string, unknown>)[name] = copySetting(name, value as never);
  }
  return record;
}

/** The settings of a record, without its version. */
export function recordSettings(record: SettingsRecord): Partial<ConsoleSettings> {
  const out: Partial<ConsoleSettings> = {};
  for (const name of SETTING_NAMES) {
    if (record[name] !== undefined) (out as Record<string, unknown>)[name] = copySetting(name, record[name] as never);
  }
  return out;
}

/** A VM id usable as a storage key: a non-empty string of at most MAX_VM_ID_LENGTH characters. */
export function isValidVmId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_VM_ID_LENGTH;
}

/** The outcome of loading or saving a VM's settings, as the `spice-settings` event carries it. */
export interface SettingsEventDetail {
  /**
   * `loaded`: the VM's record was read and applied (or there is none yet; `reason` says so). `saved`: a
   * change was stored. `ignored`: the stored record was corrupt, of another version or foreign, and was
   * not applied (`reason` says why; the next change overwrites it). `unavailable`: storage cannot be used
   * here (`reason`); the console works, its settings are not kept.
   */
  state: 'loaded' | 'saved' | 'ignored' | 'unavailable';
  /** The id the settings are kept under (the `vm-id`, or the server's UUID). */
  vmId: string;
  reason?: string;
  /** The user's choices kept for this VM (after `loaded` / `saved`). */
  stored?: Partial<ConsoleSettings>;
}
