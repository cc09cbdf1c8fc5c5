/**
 * Which value a console setting takes, from four layers: the element's built-in default < the site-wide
 * defaults a portal sets once for every console < what the portal wrote on this console (attributes in
 * markup, or properties set before the console was put on the page) < what the user chose for this VM
 * (the stored record). The clipboard policy is the exception: the layers below the user's choice make an
 * upper bound, and the stored choice can only narrow it (off < to-guest / from-guest < both), so a portal
 * that allows only `to-guest` is never widened by a stored `both`.
 */
import { SETTING_NAMES, copySetting, type ClipboardPolicy, type ConsoleSettings, type SettingName } from './settings-record.js';

/** The directions a clipboard policy allows. */
function directions(p: ClipboardPolicy): { toGuest: boolean; fromGuest: boolean } {
  return { toGuest: p === 'both' || p === 'to-guest', fromGuest: p === 'both' || p === 'from-guest' };
}

/** The policy allowing exactly what both `limit` and `wanted` allow. */
export function clipboardWithin(limit: ClipboardPolicy, wanted: ClipboardPolicy): ClipboardPolicy {
  const a = directions(limit);
  const b = directions(wanted);
  const toGuest = a.toGuest && b.toGuest;
  const fromGuest = a.fromGuest && b.fromGuest;
  if (toGuest && fromGuest) return 'both';
  if (toGuest) return 'to-guest';
  if (fromGuest) return 'from-guest';
  return 'off';
}

/** Whether `limit` allows `wanted` as it is (nothing to narrow). */
export function clipboardAllows(limit: ClipboardPolicy, wanted: ClipboardPolicy): boolean {
  return clipboardWithin(limit, wanted) === wanted;
}

export interface SettingLayers {
  /** The element's own defaults. */
  builtIn: Partial<ConsoleSettings>;
  /** The site-wide defaults (`SpiceConsole.siteDefaults`). */
  site: Partial<ConsoleSettings>;
  /** What the portal set on this console. */
  portal: Partial<ConsoleSettings>;
  /** What the user chose for this VM. */
  stored: Partial<ConsoleSettings>;
}

export interface ResolvedSettings {
  /** What the console starts from before the user's choices: portal, else site, else built-in. */
  baseline: Partial<ConsoleSettings>;
  /** The values the console takes. */
  effective: Partial<ConsoleSettings>;
  /** The widest clipboard policy the user may choose. */
  clipboardLimit: ClipboardPolicy;
}

function pick<K extends SettingName>(name: K, ...layers: Partial<ConsoleSettings>[]): ConsoleSettings[K] | undefined {
  for (const layer of layers) {
    const v = layer[name];
    if (v !== undefined) return copySetting(name, v);
  }
  return undefined;
}

/** Applies the precedence order to every setting any layer has. */
export function resolveSettings(layers: SettingLayers): ResolvedSettings {
  const baseline: Partial<ConsoleSettings> = {};
  const effective: Partial<ConsoleSettings> = {};
  for (const name of SETTING_NAMES) {
    const base = pick(name, layers.portal, layers.site, layers.builtIn);
    if (base !== undefined) (baseline as Record<string, unknown>)[name] = base;
    const value = pick(name, layers.stored, layers.portal, layers.site, layers.builtIn);
    if (value !== undefined) (effective as Record<string, unknown>)[name] = value;
  }
  const clipboardLimit = baseline.clipboard ?? 'both';
  if (effective.clipboard !== undefined) effective.clipboard = clipboardWithin(clipboardLimit, effective.clipboard);
  return { baseline, effective, clipboardLimit };
}
