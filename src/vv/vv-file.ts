/**
 * virt-viewer connection files (`.vv`), as oVirt/RHV portals and libvirt tools hand them to remote-viewer:
 * `parseVvFile(text, options)` reads the `[virt-viewer]` section (and the optional `[ovirt]` one) into plain
 * settings that map onto `<spice-console>`, and refuses, with a `VvFileError` carrying a code, what a browser
 * cannot use.
 *
 * The one thing a browser cannot take from a stock file is the address: `host` + `port`/`tls-port` name a raw
 * TCP (or TLS) SPICE port, and a page can only open WebSockets. The WebSocket URL comes, in this order, from
 * the file's own `[spice-console] url=` (a portal that knows about browsers writes it), or from a pattern
 * the page configures (`urlTemplate: 'wss://proxy.example/spice/{token}'`, placeholders `{host}` `{port}`
 * `{tls-port}` `{token}` `{vm-guid}`). Without either the file is refused with `websocket-url-needed`.
 * Key set and value forms follow virt-viewer's virt-viewer-file.c; extra groups are allowed there, which is
 * where `[spice-console]` lives.
 */
import { parseUsbFilter } from '../usb/usbredir-filter.js';
import { KeyFileSyntaxError, parseKeyFile, splitList, unescapeValue, type KeyFile } from './keyfile.js';
import { parseHotkey, type VvHotkeys } from './hotkey.js';

export type { VvHotkeys };

/** Codes of VvFileError, as an `as const` object with its union type. */
export const VvErrorCode = {
  /** The text is larger than `maxLength`. */
  TooLarge: 'too-large',
  /** Not key-file syntax (a line that is no group, key=value or comment; bad escapes). */
  Syntax: 'syntax',
  /** No `[virt-viewer]` group or no `type` key: not a connection file. */
  NotVvFile: 'not-vv-file',
  /** `type` is not `spice` (e.g. `vnc`): this client speaks SPICE only. */
  UnsupportedType: 'unsupported-type',
  /** A key has a value of the wrong form (a port that is no number, an unknown hotkey key, a bad filter). */
  InvalidValue: 'invalid-value',
  /** The file names only a TCP host:port and neither the file nor the page gives a WebSocket URL for it. */
  WebSocketUrlNeeded: 'websocket-url-needed',
  /** The URL pattern needs a value the file does not have (e.g. `{tls-port}` without `tls-port=`). */
  MissingValue: 'missing-value',
  /** The WebSocket URL (from the file or the pattern) is not a ws:// or wss:// URL. */
  InvalidUrl: 'invalid-url',
} as const;
export type VvErrorCode = (typeof VvErrorCode)[keyof typeof VvErrorCode];

/** Why a connection file cannot be used. `key` names the offending key when there is one. */
export class VvFileError extends Error {
  override name = 'VvFileError';
  constructor(
    readonly code: VvErrorCode,
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

/** Options of parseVvFile. */
export interface VvParseOptions {
  /**
   * WebSocket URL pattern used when the file has no `[spice-console] url=`. Placeholders: `{host}`, `{port}`,
   * `{tls-port}`, `{token}` (from `[spice-console] token=` or `token` below), `{vm-guid}` (`[ovirt] vm-guid`).
   * Values are URL-component encoded. Example: `wss://console.example.com/spice/{token}`.
   */
  urlTemplate?: string;
  /** Value of `{token}` when the file has no `[spice-console] token=`. */
  token?: string;
  /** Largest accepted text, in characters. Default 65536 (a file with a CA certificate is about 3 KB). */
  maxLength?: number;
}

/** The `disable-effects` values, as spice-gtk names them; `all` in a file expands to all three. */
export type VvDisabledEffect = 'wallpaper' | 'font-smooth' | 'animation';

/** The `[ovirt]` section: how to reach the oVirt engine's REST API for this VM. */
export interface VvOvirtInfo {
  host?: string;
  vmGuid?: string;
  /** oVirt ≥ 4 SSO token: a credential. Never logged or stored by this library. */
  ssoToken?: string;
  /** oVirt 3.6 session cookie: a credential. */
  jsessionid?: string;
  ca?: string;
  admin?: boolean;
}

/**
 * What a connection file says, in the console's terms. Fields named like `<spice-console>` properties
 * (`url`, `password`, `usb`, `usbFilter`, `usbAutoRedirectFilter`) can be assigned to it as they are; the
 * rest is for the page (title, fullscreen, hotkeys) or for information (the raw TCP address, TLS facts).
 * Keys a file leaves out stay undefined, so the page's own defaults apply.
 */
export interface VvSettings {
  type: 'spice';
  /** The ws:// or wss:// URL every channel opens. */
  url: string;
  /** The SPICE ticket. Set it as the console's `password` property; never store or log it. */
  password?: string;
  /** `username` (SASL; SPICE tickets do not use it). */
  username?: string;
  /** Window title; remote-viewer replaces `%d` with the monitor number, which `title` leaves to the page. */
  title?: string;
  fullscreen?: boolean;
  /** `enable-usbredir`: 1 → `native` (WebUSB over SPICE usbredir channels), 0 → `disabled`. */
  usb?: 'native' | 'disabled';
  /** `usb-filter`: the devices the portal's USB policy lets through (usbredir filter rules). */
  usbFilter?: string;
  /**
   * With `enable-usb-autoshare=1`: what remote-viewer redirects by itself, its auto-connect filter, which
   * the file's `usb-filter` replaces (spice-gtk's default without one: everything but HID devices).
   * `enable-usb-autoshare=0` gives `''` (nothing redirected by itself).
   */
  usbAutoRedirectFilter?: string;
  /** `color-depth` (oVirt's WAN option: 16 or 32); the guest agent's display config, Windows ≤ 7 only. */
  colorDepth?: number;
  /** `disable-effects`, expanded (`all` → all three). */
  disableEffects?: VvDisabledEffect[];
  /** `enable-smartcard` (not available in a browser; kept for the page to say so). */
  smartcard?: boolean;
  hotkeys: VvHotkeys;
  /** `delete-this-file`: the portal asked for the file to be deleted once read (it holds a ticket). */
  deleteThisFile: boolean;
  /** The raw address the file names (for display; a browser cannot open it). */
  host?: string;
  port?: number;
  tlsPort?: number;
  /** TLS facts for the SPICE TLS port (useful to the proxy that terminates it, not to the browser). */
  hostSubject?: string;
  ca?: string;
  secureChannels?: string[];
  disableChannels?: string[];
  /** `proxy`: an HTTP proxy for the TCP connection; the browser's own proxy settings apply instead. */
  proxy?: string;
  /** `versions` / `newer-version-url`: remote-viewer's minimum versions per OS (informational). */
  versions?: Record<string, string>;
  newerVersionUrl?: string;
  ovirt?: VvOvirtInfo;
  /** Things read but not usable here, one sentence each (never containing the password). */
  warnings: string[];
}

/** spice-gtk's default auto-connect filter: every device but HID (class 3). */
export const SPICE_GTK_AUTO_CONNECT_FILTER = '0x03,-1,-1,-1,0|-1,-1,-1,-1,1';

const MAIN = 'virt-viewer';
const OVIRT = 'ovirt';
const OURS = 'spice-console';
const DEFAULT_MAX_LENGTH = 65536;
const EFFECTS: readonly VvDisabledEffect[] = ['wallpaper', 'font-smooth', 'animation'];

const HOTKEY_KEYS: Record<keyof VvHotkeys, string> = {
  releaseCursor: 'release-cursor',
  secureAttention: 'secure-attention',
  toggleFullscreen: 'toggle-fullscreen',
  zoomIn: 'zoom-in',
  zoomOut: 'zoom-out',
  zoomReset: 'zoom-reset',
  smartcardInsert: 'smartcard-insert',
  smartcardRemove: 'smartcard-remove',
  usbDeviceReset: 'usb-device-reset',
};

/**
 * Reads a virt-viewer connection file. Throws VvFileError (with `code`) for text that is not one, for
 * `type=vnc`, for values of the wrong form, and when no WebSocket URL can be had for it.
 */
export function parseVvFile(text: string, options: VvParseOptions = {}): VvSettings {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (typeof text !== 'string') throw new VvFileError(VvErrorCode.NotVvFile, 'a connection file must be given as text');
  if (text.length > maxLength) {
    throw new VvFileError(VvErrorCode.TooLarge, `connection file is ${text.length} characters, more than the ${maxLength} accepted`);
  }
  let file: KeyFile;
  try {
    file = parseKeyFile(text);
  } catch (e) {
    if (e instanceof KeyFileSyntaxError) throw new VvFileError(VvErrorCode.Syntax, `not a connection file: ${e.message}`);
    throw e;
  }
  const main = new Section(file, MAIN);
  if (!file.has(MAIN)) throw new VvFileError(VvErrorCode.NotVvFile, 'not a connection file: no [virt-viewer] section');
  const type = main.string('type');
  if (type === undefined) throw new VvFileError(VvErrorCode.NotVvFile, 'not a connection file: [virt-viewer] has no type', 'type');
  if (type.toLowerCase() !== 'spice') {
    throw new VvFileError(VvErrorCode.UnsupportedType, `the connection file is for ${JSON.stringify(type)}; this console speaks SPICE only`, 'type');
  }

  const warnings: string[] = [];
  const settings: VvSettings = { type: 'spice', url: '', hotkeys: {}, deleteThisFile: main.flag('delete-this-file') ?? false, warnings };
  assign(settings, 'host', main.string('host'));
  assign(settings, 'port', main.port('port'));
  assign(settings, 'tlsPort', main.port('tls-port'));
  assign(settings, 'password', main.string('password'));
  assign(settings, 'username', main.string('username'));
  assign(settings, 'title', main.string('title'));
  assign(settings, 'fullscreen', main.flag('fullscreen'));
  assign(settings, 'hostSubject', main.string('host-subject'));
  assign(settings, 'ca', main.string('ca'));
  assign(settings, 'secureChannels', main.list('secure-channels'));
  assign(settings, 'disableChannels', main.list('disable-channels'));
  assign(settings, 'proxy', main.string('proxy'));
  assign(settings, 'newerVersionUrl', main.string('newer-version-url'));
  assign(settings, 'versions', main.versions('versions'));
  assign(settings, 'smartcard', main.flag('enable-smartcard'));
  if (main.has('unix-path')) warnings.push('unix-path: a browser cannot open a local socket; ignored');
  if (settings.proxy) warnings.push('proxy: the browser connects through its own proxy settings; ignored');
  if (settings.smartcard) warnings.push('enable-smartcard: smartcard redirection is not available in a browser');

  const redir = main.flag('enable-usbredir');
  if (redir !== undefined) settings.usb = redir ? 'native' : 'disabled';
  const filter = main.usbFilter('usb-filter');
  assign(settings, 'usbFilter', filter);
  const autoshare = main.flag('enable-usb-autoshare');
  if (autoshare !== undefined) settings.usbAutoRedirectFilter = autoshare ? (filter ?? SPICE_GTK_AUTO_CONNECT_FILTER) : '';

  const depth = main.int('color-depth', 0, 32);
  if (depth !== undefined && depth !== 0) settings.colorDepth = depth;
  const effects = main.list('disable-effects');
  if (effects) settings.disableEffects = parseEffects(effects);

  for (const [field, key] of Object.entries(HOTKEY_KEYS) as [keyof VvHotkeys, string][]) {
    const spec = main.string(key);
    if (spec === undefined || spec === '') continue;
    try {
      settings.hotkeys[field] = parseHotkey(spec);
    } catch (e) {
      throw new VvFileError(VvErrorCode.InvalidValue, `${key}: ${(e as Error).message}`, key);
    }
  }

  if (file.has(OVIRT)) settings.ovirt = readOvirt(new Section(file, OVIRT));
  settings.url = websocketUrl(settings, new Section(file, OURS), options);
  return settings;
}

function readOvirt(s: Section): VvOvirtInfo {
  const info: VvOvirtInfo = {};
  assign(info, 'host', s.string('host'));
  assign(info, 'vmGuid', s.string('vm-guid'));
  assign(info, 'ssoToken', s.string('sso-token'));
  assign(info, 'jsessionid', s.string('jsessionid'));
  assign(info, 'ca', s.string('ca'));
  assign(info, 'admin', s.flag('admin'));
  return info;
}

function parseEffects(items: string[]): VvDisabledEffect[] {
  const out = new Set<VvDisabledEffect>();
  for (const item of items) {
    const name = item.toLowerCase();
    if (name === 'all') EFFECTS.forEach((e) => out.add(e));
    else if ((EFFECTS as readonly string[]).includes(name)) out.add(name as VvDisabledEffect);
    else {
      throw new VvFileError(
        VvErrorCode.InvalidValue,
        `disable-effects: unknown effect ${JSON.stringify(item)} (wallpaper, font-smooth, animation, all)`,
        'disable-effects',
      );
    }
  }
  return EFFECTS.filter((e) => out.has(e));
}

const PLACEHOLDER_RE = /\{([a-z-]+)\}/g;
const PLACEHOLDERS = ['host', 'port', 'tls-port', 'token', 'vm-guid'] as const;

function websocketUrl(settings: VvSettings, ours: Section, options: VvParseOptions): string {
  const fromFile = ours.string('url');
  if (fromFile !== undefined && fromFile !== '') return checkUrl(fromFile, '[spice-console] url');
  const template = options.urlTemplate;
  if (!template) {
    const where = settings.host ? ` (${settings.host}:${settings.tlsPort ?? settings.port ?? '?'})` : '';
    throw new VvFileError(
      VvErrorCode.WebSocketUrlNeeded,
      `the connection file names a TCP address${where}, which a browser cannot open: it needs a WebSocket URL, ` +
        'from the file ([spice-console] url=) or from the page (urlTemplate, e.g. wss://proxy/spice/{token})',
    );
  }
  const token = ours.string('token') ?? options.token;
  const values: Record<(typeof PLACEHOLDERS)[number], string | undefined> = {
    host: settings.host,
    port: settings.port?.toString(),
    'tls-port': settings.tlsPort?.toString(),
    token,
    'vm-guid': settings.ovirt?.vmGuid,
  };
  const url = template.replace(PLACEHOLDER_RE, (whole, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new VvFileError(VvErrorCode.InvalidUrl, `urlTemplate has an unknown placeholder ${whole} (${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
    }
    const value = values[name as (typeof PLACEHOLDERS)[number]];
    if (value === undefined || value === '') {
      throw new VvFileError(VvErrorCode.MissingValue, `urlTemplate needs ${whole}, which the connection file does not give`, name);
    }
    return encodeURIComponent(value);
  });
  return checkUrl(url, 'urlTemplate');
}

/** ws:// or wss://, an authority without spaces or control characters, at most 2048 characters. */
const WS_URL_RE = /^wss?:\/\/[^\s/?#\\@]+(?:[/?#][^\s\\]*)?$/i;

function checkUrl(url: string, from: string): string {
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point of this test
  if (url.length > 2048 || !WS_URL_RE.test(url) || /[\x00-\x1f\x7f]/.test(url)) {
    throw new VvFileError(VvErrorCode.InvalidUrl, `${from} is not a ws:// or wss:// URL: ${JSON.stringify(url.slice(0, 80))}`);
  }
  return url;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** Typed reads of one group's values, each failing with a VvFileError that names the key. */
class Section {
  private readonly values: Map<string, string>;
  constructor(
    file: KeyFile,
    private readonly group: string,
  ) {
    this.values = file.get(group) ?? new Map<string, string>();
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  string(key: string): string | undefined {
    const raw = this.values.get(key);
    if (raw === undefined) return undefined;
    try {
      return unescapeValue(raw);
    } catch (e) {
      // A password's characters never go into a message.
      throw this.invalid(key, key === 'password' ? 'value has an invalid escape' : `value ${(e as Error).message}`);
    }
  }

  list(key: string): string[] | undefined {
    const raw = this.values.get(key);
    if (raw === undefined) return undefined;
    try {
      return splitList(raw);
    } catch (e) {
      throw this.invalid(key, `value ${(e as Error).message}`);
    }
  }

  /** GKeyFile integers: optional sign and decimal digits. */
  int(key: string, min: number, max: number): number | undefined {
    const raw = this.values.get(key);
    if (raw === undefined) return undefined;
    if (!/^[+-]?\d{1,10}$/.test(raw)) throw this.invalid(key, `${JSON.stringify(raw)} is not a whole number`);
    const n = Number(raw);
    if (n < min || n > max) throw this.invalid(key, `${n} is outside ${min}..${max}`);
    return n;
  }

  /** A port: 1..65535; -1 (virt-viewer's "unset") and 0 read as absent. */
  port(key: string): number | undefined {
    const n = this.int(key, -1, 65535);
    return n === undefined || n <= 0 ? undefined : n;
  }

  /** virt-viewer's 0/1 integers; `true`/`false` accepted too. */
  flag(key: string): boolean | undefined {
    const raw = this.values.get(key);
    if (raw === undefined) return undefined;
    const v = raw.toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    return this.int(key, -2147483648, 2147483647) !== 0;
  }

  usbFilter(key: string): string | undefined {
    const filter = this.string(key);
    if (filter === undefined) return undefined;
    try {
      parseUsbFilter(filter);
    } catch (e) {
      throw this.invalid(key, (e as Error).message);
    }
    return filter;
  }

  /** `versions=os:version;os:version` → { os: version }. */
  versions(key: string): Record<string, string> | undefined {
    const items = this.list(key);
    if (!items) return undefined;
    const out = Object.create(null) as Record<string, string>;
    for (const item of items) {
      const colon = item.indexOf(':');
      if (colon <= 0) throw this.invalid(key, `${JSON.stringify(item)} is not os:version`);
      out[item.slice(0, colon)] = item.slice(colon + 1);
    }
    return out;
  }

  private invalid(key: string, why: string): VvFileError {
    const name = this.group === MAIN ? key : `[${this.group}] ${key}`;
    return new VvFileError(VvErrorCode.InvalidValue, `${name}: ${why}`, key);
  }
}
