/**
 * Precedence of console settings: built-in < site-wide defaults < the portal's attributes < the user's
 * stored choice; the clipboard policy, where the portal's (or site's) value is an upper bound the stored
 * choice can only narrow. And site defaults: oVirt's WAN defaults, merged, checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clipboardAllows, clipboardWithin, resolveSettings } from '../../../src/settings/precedence.js';
import { CLIPBOARD_POLICIES, type ClipboardPolicy } from '../../../src/settings/settings-record.js';
import { OVIRT_WAN_DEFAULTS, getSiteDefaults, setSiteDefaults } from '../../../src/settings/site-defaults.js';

describe('resolveSettings', () => {
  const builtIn = { scale: 'fit', colorDepth: 32, wanOptions: false, imageCompression: '', clipboard: 'both' } as const;

  it('should take each layer over the ones below it, setting by setting', () => {
    const r = resolveSettings({
      builtIn,
      site: { colorDepth: 16, scale: 'none', imageCompression: 'quic' },
      portal: { scale: 'fill', imageCompression: 'glz' },
      stored: { imageCompression: 'lz' },
    });
    expect(r.effective).toEqual({ scale: 'fill', colorDepth: 16, wanOptions: false, imageCompression: 'lz', clipboard: 'both' });
    expect(r.baseline).toEqual({ scale: 'fill', colorDepth: 16, wanOptions: false, imageCompression: 'glz', clipboard: 'both' });
  });

  it('should let a stored choice override the portal and the site, one layer at a time', () => {
    const layers = { builtIn, site: {}, portal: {}, stored: {} };
    expect(resolveSettings(layers).effective.colorDepth).toBe(32);
    expect(resolveSettings({ ...layers, site: { colorDepth: 16 } }).effective.colorDepth).toBe(16);
    expect(resolveSettings({ ...layers, site: { colorDepth: 16 }, portal: { colorDepth: 32 } }).effective.colorDepth).toBe(32);
    expect(resolveSettings({ ...layers, site: { colorDepth: 32 }, portal: { colorDepth: 32 }, stored: { colorDepth: 16 } }).effective.colorDepth).toBe(16);
    // A stored false is a choice too (not "unset").
    expect(resolveSettings({ ...layers, portal: { wanOptions: true }, stored: { wanOptions: false } }).effective.wanOptions).toBe(false);
    // An empty compression ("the server's choice") stored over a portal's compression is kept.
    expect(resolveSettings({ ...layers, portal: { imageCompression: 'glz' }, stored: { imageCompression: '' } }).effective.imageCompression).toBe('');
  });

  it('should treat the portal clipboard as an upper bound the stored choice only narrows', () => {
    const at = (portal: ClipboardPolicy | undefined, stored: ClipboardPolicy | undefined, site?: ClipboardPolicy) =>
      resolveSettings({
        builtIn,
        site: site ? { clipboard: site } : {},
        portal: portal ? { clipboard: portal } : {},
        stored: stored ? { clipboard: stored } : {},
      });
    expect(at('to-guest', 'both').effective.clipboard).toBe('to-guest');
    expect(at('to-guest', 'off').effective.clipboard).toBe('off');
    expect(at('to-guest', 'from-guest').effective.clipboard).toBe('off');
    expect(at('both', 'from-guest').effective.clipboard).toBe('from-guest');
    expect(at('off', 'both').effective.clipboard).toBe('off');
    expect(at(undefined, 'to-guest').effective.clipboard).toBe('to-guest');
    expect(at('from-guest', undefined).effective.clipboard).toBe('from-guest');
    // Without a portal value the site default is the bound; the portal may widen the site's.
    expect(at(undefined, 'both', 'off').effective.clipboard).toBe('off');
    expect(at('both', 'both', 'off').effective.clipboard).toBe('both');
    expect(at('to-guest', 'both').clipboardLimit).toBe('to-guest');
    expect(at(undefined, undefined).clipboardLimit).toBe('both');
  });

  it('should copy arrays so layers are never shared with the result', () => {
    const effects: ('wallpaper' | 'animation')[] = ['wallpaper'];
    const r = resolveSettings({ builtIn: {}, site: {}, portal: {}, stored: { disableEffects: effects } });
    expect(r.effective.disableEffects).toEqual(['wallpaper']);
    expect(r.effective.disableEffects).not.toBe(effects);
  });
});

describe('clipboardWithin', () => {
  it('should follow off < to-guest, from-guest < both as a lattice', () => {
    const expected: Record<ClipboardPolicy, Record<ClipboardPolicy, ClipboardPolicy>> = {
      both: { both: 'both', 'to-guest': 'to-guest', 'from-guest': 'from-guest', off: 'off' },
      'to-guest': { both: 'to-guest', 'to-guest': 'to-guest', 'from-guest': 'off', off: 'off' },
      'from-guest': { both: 'from-guest', 'to-guest': 'off', 'from-guest': 'from-guest', off: 'off' },
      off: { both: 'off', 'to-guest': 'off', 'from-guest': 'off', off: 'off' },
    };
    for (const limit of CLIPBOARD_POLICIES) {
      for (const wanted of CLIPBOARD_POLICIES) {
        expect(clipboardWithin(limit, wanted), `${limit} ∩ ${wanted}`).toBe(expected[limit][wanted]);
        expect(clipboardAllows(limit, wanted)).toBe(expected[limit][wanted] === wanted);
      }
    }
  });
});

describe('site defaults', () => {
  afterEach(() => setSiteDefaults({}));

  it("should start as oVirt's WAN defaults: depth 16, effects animation", () => {
    expect(getSiteDefaults()).toEqual({ colorDepth: 16, disableEffects: ['animation'] });
    expect(OVIRT_WAN_DEFAULTS).toEqual({ colorDepth: 16, disableEffects: ['animation'] });
  });

  it('should merge what a portal sets over the WAN defaults, frozen', () => {
    const effects: 'all'[] = ['all'];
    setSiteDefaults({ scale: 'none', disableEffects: effects });
    const d = getSiteDefaults();
    expect(d).toEqual({ colorDepth: 16, disableEffects: ['all'], scale: 'none' });
    expect(Object.isFrozen(d)).toBe(true);
    effects.push('all');
    expect(getSiteDefaults().disableEffects).toEqual(['all']);
  });

  it('should throw a TypeError naming a bad default and keep the previous ones', () => {
    setSiteDefaults({ scale: 'fill' });
    expect(() => setSiteDefaults({ colorDepth: 24 as never })).toThrow(/colorDepth must be one of 16, 32/);
    expect(() => setSiteDefaults({ password: 'x' } as never)).toThrow(/"password" is not a console setting/);
    expect(() => setSiteDefaults(JSON.parse('{"__proto__":{"scale":"none"}}'))).toThrow(/"__proto__" is not a console setting/);
    expect(() => setSiteDefaults(null as never)).toThrow(TypeError);
    expect(getSiteDefaults().scale).toBe('fill');
  });
});
