/**
 * Site-wide console defaults: what a portal sets once (`SpiceConsole.siteDefaults = {...}` or
 * `setSiteDefaults({...})`) for every console on its pages, below the portal's own attributes and the
 * user's stored choices. They start as oVirt's WAN defaults (WAN-ColorDepth 16, WAN-DisableEffects
 * animation); what a portal sets is merged over those. Values are checked like stored settings: a bad one
 * throws a TypeError naming it, and nothing changes.
 */
import { SETTING_CHECKS, copySetting, isPlainObject, isSettingName, type ConsoleSettings } from './settings-record.js';

/** oVirt's site-wide WAN defaults (engine-config WANColorDepth, WANDisableEffects). */
export const OVIRT_WAN_DEFAULTS: Readonly<Partial<ConsoleSettings>> = Object.freeze({
  colorDepth: 16,
  disableEffects: Object.freeze(['animation']) as unknown as ConsoleSettings['disableEffects'],
});

let current: Readonly<Partial<ConsoleSettings>> = OVIRT_WAN_DEFAULTS;

function frozenCopy(settings: Partial<ConsoleSettings>): Readonly<Partial<ConsoleSettings>> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined || !isSettingName(name)) continue;
    const copy = copySetting(name, value as never) as unknown;
    out[name] = Array.isArray(copy) ? Object.freeze(copy) : copy;
  }
  return Object.freeze(out) as Readonly<Partial<ConsoleSettings>>;
}

/**
 * Sets the site-wide defaults, merged over oVirt's WAN defaults. Applies to consoles put on the page
 * afterwards (a console takes its defaults when it is first connected to the document). Throws a TypeError
 * for anything that is not a setting (the password is not one) or a value a setting may not have.
 */
export function setSiteDefaults(defaults: Partial<ConsoleSettings>): void {
  if (!isPlainObject(defaults)) throw new TypeError('spice-console siteDefaults: expected an object of settings');
  for (const [name, value] of Object.entries(defaults)) {
    if (!isSettingName(name)) throw new TypeError(`spice-console siteDefaults: "${name.slice(0, 40)}" is not a console setting`);
    if (value === undefined) continue;
    const problem = SETTING_CHECKS[name](value);
    if (problem) throw new TypeError(`spice-console siteDefaults: ${problem}`);
  }
  current = frozenCopy({ ...OVIRT_WAN_DEFAULTS, ...defaults });
}

/** The site-wide defaults now in force (frozen). */
export function getSiteDefaults(): Readonly<Partial<ConsoleSettings>> {
  return current;
}
