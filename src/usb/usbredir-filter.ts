/**
 * usbredir device filters: parsing and printing filter strings and deciding whether a device may be
 * redirected, with the exact semantics of usbredir's usbredirfilter.c (usbredirfilter_string_to_rules,
 * usbredirfilter_rules_to_string, usbredirfilter_check), so a rule string means the same here, in QEMU's
 * `usb-redir,filter=` and in spice-gtk.
 *
 * A rule is `class,vendor,product,version,allow`; rules are joined with `|`. Numbers are read like C's
 * strtol with base 0 (decimal, 0x-hex, or 0-prefixed octal); -1 matches anything. Separators behave like
 * strtok's: runs of them collapse, so empty rules and empty fields vanish rather than fail. QEMU's
 * `filter=` property uses `:` between fields; the usbredir wire form (filter_filter) always uses `,` and `|`.
 * `usbFilterInfoFromDevice` reads what a filter looks at from WebUSB's objects, so the page can check a
 * device before it is ever opened.
 */
import type { UsbDeviceLike } from './webusb-types.js';

/** One filter rule; -1 in a numeric field matches any value. */
export interface UsbFilterRule {
  deviceClass: number;
  vendorId: number;
  productId: number;
  deviceVersionBcd: number;
  allow: boolean;
}

/** What a filter looks at: the device descriptor and the class triple of each interface (current alt setting). */
export interface UsbFilterDeviceInfo {
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  deviceVersionBcd: number;
  interfaces: readonly {
    interfaceClass: number;
    interfaceSubclass: number;
    interfaceProtocol: number;
    /** bInterfaceNumber, only used to word refusals (the list position is used without it). */
    interfaceNumber?: number;
  }[];
}

/** What a usbredir filter looks at, from the WebUSB objects alone (for checks before redirecting). */
export function usbFilterInfoFromDevice(device: UsbDeviceLike): UsbFilterDeviceInfo {
  const config = device.configuration ?? device.configurations[0];
  return {
    deviceClass: device.deviceClass,
    deviceSubclass: device.deviceSubclass,
    deviceProtocol: device.deviceProtocol,
    vendorId: device.vendorId,
    productId: device.productId,
    deviceVersionBcd: ((device.deviceVersionMajor & 0xff) << 8) | ((device.deviceVersionMinor & 0x0f) << 4) | (device.deviceVersionSubminor & 0x0f),
    interfaces: (config?.interfaces ?? []).map((itf) => ({
      interfaceNumber: itf.interfaceNumber,
      interfaceClass: (itf.alternate ?? itf.alternates[0])?.interfaceClass ?? 0,
      interfaceSubclass: (itf.alternate ?? itf.alternates[0])?.interfaceSubclass ?? 0,
      interfaceProtocol: (itf.alternate ?? itf.alternates[0])?.interfaceProtocol ?? 0,
    })),
  };
}

export type UsbFilterResult =
  | { allowed: true }
  | {
      allowed: false;
      /** 'denied': a rule said no (usbredir's -EPERM); 'no-match': a pass matched no rule (-ENOENT). */
      code: 'denied' | 'no-match';
      /** A sentence for people, e.g. "interface 1 (class 0x08) is blocked by rule 1 (0x08,-1,-1,-1,0)". */
      reason: string;
      /** Index of the denying rule, for 'denied'. */
      rule?: number;
    };

/** Flags of checkDevice, the values of usbredirfilter_fl_*. */
export const UsbFilterFlag = {
  /** A pass that matches no rule allows instead of refusing. */
  DefaultAllow: 0x01,
  /** Do not skip non-boot HID interfaces (class 03/00/00) of multi-interface devices. */
  DontSkipNonBootHid: 0x02,
} as const;

export class UsbFilterSyntaxError extends Error {
  override name = 'UsbFilterSyntaxError';
}

export interface UsbFilterFormat {
  /** Characters separating the fields of a rule (default ","; QEMU's property uses ":"). */
  tokenSep?: string;
  /** Characters separating rules (default "|"). */
  ruleSep?: string;
}

/** strtol(s, &end, 0) that must consume the whole token; undefined when it does not. */
function strtol0(token: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(token);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const digits = m[2]!;
  let v: number;
  if (/^0[xX]/.test(digits)) v = parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') v = parseInt(digits.slice(1), 8);
  else v = parseInt(digits, 10);
  return sign * v;
}

function splitTok(s: string, seps: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (seps.includes(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** usbredirfilter_verify for one rule: every numeric field within its range or -1. */
export function isValidRule(rule: UsbFilterRule): boolean {
  const within = (v: number, max: number) => Number.isInteger(v) && v >= -1 && v <= max;
  return within(rule.deviceClass, 0xff) && within(rule.vendorId, 0xffff) && within(rule.productId, 0xffff) && within(rule.deviceVersionBcd, 0xffff);
}

/**
 * Parses a filter string into rules. Throws UsbFilterSyntaxError on a rule that does not have exactly five
 * numbers or has one out of range (usbredir returns -EINVAL for the whole string then). An empty string is
 * an empty rule list.
 */
export function parseUsbFilter(filter: string, format: UsbFilterFormat = {}): UsbFilterRule[] {
  const tokenSep = format.tokenSep ?? ',';
  const ruleSep = format.ruleSep ?? '|';
  const rules: UsbFilterRule[] = [];
  for (const ruleText of splitTok(filter, ruleSep)) {
    const tokens = splitTok(ruleText, tokenSep);
    const values = tokens.map(strtol0);
    if (tokens.length !== 5 || values.some((v) => v === undefined)) {
      throw new UsbFilterSyntaxError(`filter rule "${ruleText}" is not class${tokenSep}vendor${tokenSep}product${tokenSep}version${tokenSep}allow`);
    }
    const [deviceClass, vendorId, productId, deviceVersionBcd, allow] = values as number[];
    const rule: UsbFilterRule = {
      deviceClass: deviceClass!,
      vendorId: vendorId!,
      productId: productId!,
      deviceVersionBcd: deviceVersionBcd!,
      allow: allow !== 0,
    };
    if (!isValidRule(rule)) throw new UsbFilterSyntaxError(`filter rule "${ruleText}" has a value out of range`);
    rules.push(rule);
  }
  return rules;
}

function hex(v: number, width: number): string {
  return '0x' + v.toString(16).padStart(width, '0');
}

/** One rule in usbredir's printed form, e.g. `0x08,-1,-1,-1,0`. */
export function formatUsbFilterRule(rule: UsbFilterRule, tokenSep = ','): string {
  const f = (v: number, width: number) => (v === -1 ? '-1' : hex(v, width));
  return [f(rule.deviceClass, 2), f(rule.vendorId, 4), f(rule.productId, 4), f(rule.deviceVersionBcd, 4), rule.allow ? '1' : '0'].join(tokenSep);
}

/**
 * Prints rules exactly as usbredirfilter_rules_to_string of usbredir 0.13 does (hex with fixed widths, -1 for
 * "any", no trailing separator; some older releases left one, which parsers ignore). Throws a RangeError for
 * rules that fail verification.
 */
export function serializeUsbFilter(rules: readonly UsbFilterRule[], format: UsbFilterFormat = {}): string {
  const tokenSep = (format.tokenSep ?? ',')[0]!;
  const ruleSep = (format.ruleSep ?? '|')[0]!;
  rules.forEach((r, i) => {
    if (!isValidRule(r)) throw new RangeError(`filter rule ${i} has a value out of range`);
  });
  return rules.map((r) => formatUsbFilterRule(r, tokenSep)).join(ruleSep);
}

/** First rule matching (class, ids) in this pass, as usbredirfilter_check1 does; -1 when none. */
function firstMatch(rules: readonly UsbFilterRule[], cls: number, dev: UsbFilterDeviceInfo): number {
  return rules.findIndex(
    (r) =>
      (r.deviceClass === -1 || r.deviceClass === cls) &&
      (r.vendorId === -1 || r.vendorId === dev.vendorId) &&
      (r.productId === -1 || r.productId === dev.productId) &&
      (r.deviceVersionBcd === -1 || r.deviceVersionBcd === dev.deviceVersionBcd),
  );
}

function hex2(v: number): string {
  return hex(v, 2);
}

/**
 * usbredirfilter_check: may this device be redirected under `rules`? Passes, each of which must allow:
 *   1. the device class, unless it is 0x00 (per interface) or 0xEF (miscellaneous/IAD);
 *   2. each interface class, except non-boot HID interfaces (03/00/00) on devices with more than one
 *      interface unless `DontSkipNonBootHid` is set; if that skips every interface, the check runs again
 *      with the flag set.
 * Within a pass the first matching rule decides; a pass matching nothing refuses unless `DefaultAllow`.
 */
export function checkDevice(rules: readonly UsbFilterRule[], device: UsbFilterDeviceInfo, flags = 0): UsbFilterResult {
  rules.forEach((r, i) => {
    if (!isValidRule(r)) throw new RangeError(`filter rule ${i} has a value out of range`);
  });
  const defaultAllow = (flags & UsbFilterFlag.DefaultAllow) !== 0;
  const ids = `${device.vendorId.toString(16).padStart(4, '0')}:${device.productId.toString(16).padStart(4, '0')}`;

  const pass = (cls: number, what: string): UsbFilterResult => {
    const i = firstMatch(rules, cls, device);
    if (i >= 0) {
      if (rules[i]!.allow) return { allowed: true };
      return {
        allowed: false,
        code: 'denied',
        rule: i,
        reason: `${what} (class ${hex2(cls)}) of device ${ids} is blocked by filter rule ${i + 1} (${formatUsbFilterRule(rules[i]!)})`,
      };
    }
    if (defaultAllow) return { allowed: true };
    return {
      allowed: false,
      code: 'no-match',
      reason: `no filter rule matches ${what} (class ${hex2(cls)}) of device ${ids}`,
    };
  };

  if (device.deviceClass !== 0x00 && device.deviceClass !== 0xef) {
    const r = pass(device.deviceClass, 'the device class');
    if (!r.allowed) return r;
  }

  const n = device.interfaces.length;
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    const itf = device.interfaces[i]!;
    if (!(flags & UsbFilterFlag.DontSkipNonBootHid) && n > 1 && itf.interfaceClass === 0x03 && itf.interfaceSubclass === 0x00 && itf.interfaceProtocol === 0x00) {
      skipped++;
      continue;
    }
    const r = pass(itf.interfaceClass, `interface ${itf.interfaceNumber ?? i}`);
    if (!r.allowed) return r;
  }
  if (n > 0 && skipped === n) return checkDevice(rules, device, flags | UsbFilterFlag.DontSkipNonBootHid);
  return { allowed: true };
}

/** A WebUSB device filter (USBDeviceFilter) as plain data. */
export interface WebUsbDeviceFilter {
  vendorId?: number;
  productId?: number;
  classCode?: number;
}

function ruleToWebUsb(rule: UsbFilterRule): WebUsbDeviceFilter {
  const f: WebUsbDeviceFilter = {};
  if (rule.deviceClass !== -1) f.classCode = rule.deviceClass;
  if (rule.vendorId !== -1) {
    f.vendorId = rule.vendorId;
    // WebUSB only takes a product id together with a vendor id.
    if (rule.productId !== -1) f.productId = rule.productId;
  }
  return f;
}

/** Whether some device could match both rules (every field equal or -1 on either side). */
function overlaps(a: UsbFilterRule, b: UsbFilterRule): boolean {
  const meet = (x: number, y: number) => x === -1 || y === -1 || x === y;
  return meet(a.deviceClass, b.deviceClass) && meet(a.vendorId, b.vendorId) && meet(a.productId, b.productId) && meet(a.deviceVersionBcd, b.deviceVersionBcd);
}

/**
 * What to give navigator.usb.requestDevice() so the browser's chooser offers what `rules` would allow:
 * `filters` from the allow rules (none at all, i.e. every device, once an allow rule matches anything by
 * class, vendor and product), `exclusionFilters` from deny rules no earlier allow rule could match first.
 * WebUSB's classCode matches the device class or any interface class, and it has no version field, so this
 * is a close superset: the exact decision is checkDevice() on the chosen device.
 */
export function webUsbRequestFilters(rules: readonly UsbFilterRule[]): { filters: WebUsbDeviceFilter[]; exclusionFilters: WebUsbDeviceFilter[] } {
  const filters: WebUsbDeviceFilter[] = [];
  const exclusionFilters: WebUsbDeviceFilter[] = [];
  let anything = rules.length === 0;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.allow) {
      const f = ruleToWebUsb(rule);
      if (Object.keys(f).length === 0) {
        anything = true;
        break; // first match wins: nothing after an allow-everything rule can deny
      }
      filters.push(f);
    } else if (!rules.slice(0, i).some((earlier) => earlier.allow && overlaps(earlier, rule)) && rule.deviceVersionBcd === -1) {
      exclusionFilters.push(ruleToWebUsb(rule));
    }
  }
  return { filters: anything ? [] : filters, exclusionFilters };
}
