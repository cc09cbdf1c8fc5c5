/**
 * oVirt's WAN options as one DISPLAY_CONFIG message. oVirt offers two WAN choices for Windows guests: the
 * colour depth (16 or 32) and the effects to disable (`wallpaper`, `font-smooth`, `animation`, or `all`);
 * spice-gtk turns them into VD_AGENT_DISPLAY_CONFIG_FLAG_DISABLE_WALLPAPER (1), _DISABLE_FONT_SMOOTH (2),
 * _DISABLE_ANIMATION (4) and _SET_COLOR_DEPTH (8) with the depth. With WAN options off (or not offered for
 * this guest) the message carries flags 0, depth 0, as spice-gtk sends it when nothing is set: the Windows
 * agent then restores wallpaper, font smoothing and animations a previous config turned off.
 */
import { AgentDisplayConfigFlag } from '../protocol/constants.js';

export type DisplayEffect = 'wallpaper' | 'font-smooth' | 'animation' | 'all';
export const DISPLAY_EFFECTS: readonly DisplayEffect[] = ['wallpaper', 'font-smooth', 'animation', 'all'];
export type ColorDepth = 16 | 32;

export interface WanOptions {
  wanOptions: boolean;
  colorDepth: ColorDepth;
  disableEffects: readonly DisplayEffect[];
  /** The guest's OS as the page knows it (`windows`, `linux`, ...); empty = unknown. */
  osType: string;
}

/** `wallpaper,animation` or `wallpaper animation` → the effects; other words are returned as `unknown`. */
export function parseDisableEffects(text: string | null | undefined): { effects: DisplayEffect[]; unknown: string[] } {
  const effects: DisplayEffect[] = [];
  const unknown: string[] = [];
  for (const word of (text ?? '').split(/[\s,]+/)) {
    if (!word) continue;
    const w = word.toLowerCase();
    if ((DISPLAY_EFFECTS as readonly string[]).includes(w)) {
      if (!effects.includes(w as DisplayEffect)) effects.push(w as DisplayEffect);
    } else unknown.push(word);
  }
  return { effects, unknown };
}

/** 16 and 32 are oVirt's choices; anything else is not a colour depth this client sends. */
export function parseColorDepth(value: unknown): ColorDepth | null {
  const n = Number(value);
  return n === 16 || n === 32 ? n : null;
}

export function isWindowsOs(osType: string): boolean {
  return /^win/i.test(osType.trim());
}

export interface WanOffer {
  offered: boolean;
  /** Why not offered, or the note for an unknown OS. */
  reason?: string;
}

/** oVirt offers WAN options for Windows guests; an unknown OS gets them too, with a note. */
export function wanOptionsOffer(osType: string): WanOffer {
  const os = osType.trim();
  if (!os) return { offered: true, reason: 'guest OS unknown: WAN options offered, only a Windows agent acts on them' };
  if (isWindowsOs(os)) return { offered: true };
  return { offered: false, reason: `WAN options are offered for Windows guests only (os-type is ${os})` };
}

export interface DisplayConfigChoice {
  flags: number;
  depth: number;
  /** The effects that were disabled, `all` expanded. */
  effects: Exclude<DisplayEffect, 'all'>[];
}

/** The DISPLAY_CONFIG fields for these options. */
export function displayConfigFor(options: WanOptions): DisplayConfigChoice {
  if (!options.wanOptions || !wanOptionsOffer(options.osType).offered) return { flags: 0, depth: 0, effects: [] };
  const all = options.disableEffects.includes('all');
  const effects: DisplayConfigChoice['effects'] = [];
  let flags = 0;
  const bits = [
    ['wallpaper', AgentDisplayConfigFlag.DisableWallpaper],
    ['font-smooth', AgentDisplayConfigFlag.DisableFontSmooth],
    ['animation', AgentDisplayConfigFlag.DisableAnimation],
  ] as const;
  for (const [effect, flag] of bits) {
    if (!all && !options.disableEffects.includes(effect)) continue;
    flags |= flag;
    effects.push(effect);
  }
  flags |= AgentDisplayConfigFlag.SetColorDepth;
  return { flags, depth: options.colorDepth, effects };
}
