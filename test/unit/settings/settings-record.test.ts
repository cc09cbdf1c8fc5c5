/**
 * The per-VM settings record: what is accepted from storage (only a whole, current, valid record), what is
 * refused and why (wrong types, unknown versions, huge strings, prototype-pollution keys, foreign objects),
 * and that building a record keeps nothing but settings, so a password never reaches storage.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_FILTER_LENGTH,
  SETTINGS_VERSION,
  buildSettingsRecord,
  isValidVmId,
  parseSettingsRecord,
  recordSettings,
  type ConsoleSettings,
} from '../../../src/settings/settings-record.js';

const full: ConsoleSettings = {
  wanOptions: true,
  colorDepth: 16,
  disableEffects: ['wallpaper', 'animation'],
  scale: 'fill',
  imageCompression: 'lz',
  clipboard: 'to-guest',
  usbAutoRedirectFilter: '0x03,-1,-1,-1,0|-1,0x2341,-1,-1,1',
  monitorLayout: {
    mode: 'single',
    monitor: 1,
    heads: [
      { x: 0, y: 0, width: 1024, height: 768 },
      { x: 1024, y: 0, width: 800, height: 600 },
    ],
  },
};

function refusal(raw: unknown): string {
  const r = parseSettingsRecord(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
  return r.reason;
}

describe('parseSettingsRecord', () => {
  it('should accept a full current record and give back equal, unshared values', () => {
    const raw = { v: 1, ...full };
    const r = parseSettingsRecord(raw);
    expect(r).toEqual({ ok: true, record: raw });
    if (!r.ok) return;
    expect(r.record.disableEffects).not.toBe(raw.disableEffects);
    expect(r.record.monitorLayout!.heads![0]).not.toBe(raw.monitorLayout.heads![0]);
  });

  it('should accept a record with only some settings, and one with none', () => {
    expect(parseSettingsRecord({ v: 1, scale: 'none' })).toEqual({ ok: true, record: { v: 1, scale: 'none' } });
    expect(parseSettingsRecord({ v: 1 })).toEqual({ ok: true, record: { v: 1 } });
    expect(parseSettingsRecord({ v: 1, imageCompression: '', disableEffects: [], usbAutoRedirectFilter: '' }).ok).toBe(true);
  });

  it('should refuse what is not a plain object', () => {
    for (const raw of [null, undefined, 1, 'v1', true, [], [{ v: 1 }], new Map([['v', 1]]), new Date(0), new Uint8Array(4)]) {
      expect(refusal(raw)).toBe('the stored record is not an object');
    }
  });

  it('should refuse a record without a version or of another version', () => {
    expect(refusal({ scale: 'fit' })).toBe('the stored record has no version');
    expect(refusal({ v: 0, scale: 'fit' })).toMatch(/version 0; this console reads version 1/);
    expect(refusal({ v: 2 })).toMatch(/version 2/);
    expect(refusal({ v: '1' })).toMatch(/version 1;/);
    expect(refusal({ v: 1.5 })).toMatch(/version 1.5/);
    expect(refusal({ v: null })).toMatch(/version object/);
    expect(refusal({ v: 'x'.repeat(100000) })).toHaveLength(`the stored record has version ${'x'.repeat(20)}; this console reads version 1`.length);
  });

  it('should refuse every wrong type, naming the setting', () => {
    const cases: [string, unknown][] = [
      ['wanOptions', 'true'],
      ['wanOptions', 1],
      ['colorDepth', 24],
      ['colorDepth', '16'],
      ['disableEffects', 'animation'],
      ['disableEffects', ['animation', 'sparkles']],
      ['disableEffects', ['animation', 'animation']],
      ['disableEffects', ['wallpaper', 'font-smooth', 'animation', 'all', 'all']],
      ['disableEffects', { 0: 'animation', length: 1 }],
      ['scale', 'zoom'],
      ['scale', null],
      ['imageCompression', 'jpeg'],
      ['imageCompression', 6],
      ['clipboard', 'everything'],
      ['clipboard', true],
      ['usbAutoRedirectFilter', 42],
      ['usbAutoRedirectFilter', '1,2,3'],
      ['usbAutoRedirectFilter', '-1,0x10000,-1,-1,1'],
      ['monitorLayout', {}],
      ['monitorLayout', []],
      ['monitorLayout', { mode: 'tiles', monitor: 0 }],
      ['monitorLayout', { mode: 'guest', monitor: -1 }],
      ['monitorLayout', { mode: 'guest', monitor: 16 }],
      ['monitorLayout', { mode: 'guest' }],
      ['monitorLayout', { mode: 'guest', monitor: 0, password: 'x' }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [{ x: 0, y: 0, width: 0, height: 768 }] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [{ x: -1, y: 0, width: 1024, height: 768 }] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [{ x: 0.5, y: 0, width: 1024, height: 768 }] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [{ x: 0, y: 0, width: 1024, height: 40000 }] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [{ x: 0, y: 0, width: 1024 }] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [{ x: 0, y: 0, width: 1024, height: 768, password: 'x' }] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: [null] }],
      ['monitorLayout', { mode: 'guest', monitor: 0, heads: Array.from({ length: 17 }, () => ({ x: 0, y: 0, width: 640, height: 480 })) }],
    ];
    for (const [name, value] of cases) {
      expect(refusal({ v: 1, [name]: value }), `${name}: ${JSON.stringify(value)}`).toMatch(new RegExp(`^the stored record is invalid: ${name}`));
    }
  });

  it('should refuse huge strings without echoing them', () => {
    const huge = '-1,-1,-1,-1,1|'.repeat(Math.ceil((MAX_FILTER_LENGTH + 1) / 14));
    expect(refusal({ v: 1, usbAutoRedirectFilter: huge })).toBe(`the stored record is invalid: usbAutoRedirectFilter is longer than ${MAX_FILTER_LENGTH} characters`);
    const reason = refusal({ v: 1, scale: 'f'.repeat(1_000_000) });
    expect(reason.length).toBeLessThan(200);
    const unknown = refusal({ v: 1, ['k'.repeat(1_000_000)]: 1 });
    expect(unknown.length).toBeLessThan(120);
  });

  it('should refuse unknown fields, a password among them', () => {
    expect(refusal({ v: 1, scale: 'fit', password: 'hunter2' })).toBe('the stored record has an unknown field "password"');
    expect(refusal({ v: 1, url: 'ws://elsewhere' })).toBe('the stored record has an unknown field "url"');
  });

  it('should refuse prototype-pollution keys and leave Object.prototype alone', () => {
    for (const json of [
      '{"v":1,"__proto__":{"polluted":true}}',
      '{"v":1,"constructor":{"prototype":{"polluted":true}}}',
      '{"v":1,"prototype":{"polluted":true}}',
      '{"v":1,"toString":"x"}',
      '{"v":1,"hasOwnProperty":"x"}',
    ]) {
      const raw = JSON.parse(json); // JSON.parse makes "__proto__" an own key, as a structured clone would
      expect(refusal(raw)).toMatch(/unknown field "(__proto__|constructor|prototype|toString|hasOwnProperty)"/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // An object whose prototype is not Object.prototype (e.g. built with a polluted prototype) is refused.
    expect(refusal(Object.create({ v: 1, scale: 'fill' }))).toBe('the stored record is not an object');
    // A null-prototype object with good fields is fine (nothing inherited to confuse).
    const bare = Object.assign(Object.create(null), { v: 1, scale: 'fill' });
    expect(parseSettingsRecord(bare)).toEqual({ ok: true, record: { v: 1, scale: 'fill' } });
  });

  it('should give back a version it accepts from what it builds', () => {
    const built = buildSettingsRecord(full);
    expect(built.v).toBe(SETTINGS_VERSION);
    expect(parseSettingsRecord(structuredClone(built))).toEqual({ ok: true, record: built });
    expect(recordSettings(built)).toEqual(full);
  });
});

describe('buildSettingsRecord', () => {
  it('should never store the password, even when someone passes it along', () => {
    const consoleLike = { ...full, password: 'hunter2', ticket: 'hunter2', url: 'ws://x', nested: { password: 'hunter2' } };
    const record = buildSettingsRecord(consoleLike as unknown as Partial<ConsoleSettings>);
    expect(JSON.stringify(record)).not.toContain('hunter2');
    expect(Object.keys(record).sort()).toEqual(['v', ...Object.keys(full)].sort());
    // Hidden in a value? Every value is checked, so a password cannot ride in one either.
    expect(() => buildSettingsRecord({ monitorLayout: [{ x: 0, y: 0, width: 1, height: 1, password: 'hunter2' }] as never })).toThrow(TypeError);
    expect(() => buildSettingsRecord({ scale: 'hunter2' as never })).toThrow(/scale must be one of/);
  });

  it('should keep only own, defined settings and copy arrays', () => {
    const proto = Object.create({ scale: 'fill' }) as Partial<ConsoleSettings>;
    expect(buildSettingsRecord(proto)).toEqual({ v: 1 });
    const effects: ConsoleSettings['disableEffects'] = ['all'];
    const record = buildSettingsRecord({ disableEffects: effects, scale: undefined });
    expect(record).toEqual({ v: 1, disableEffects: ['all'] });
    expect(record.disableEffects).not.toBe(effects);
  });
});

describe('isValidVmId', () => {
  it('should take non-empty strings up to 256 characters', () => {
    expect(isValidVmId('5f1e2c6a-0b5e-4a4e-9d7f-3f0c5e1d2a77')).toBe(true);
    expect(isValidVmId('')).toBe(false);
    expect(isValidVmId('x'.repeat(257))).toBe(false);
    expect(isValidVmId(42)).toBe(false);
    expect(isValidVmId(undefined)).toBe(false);
  });
});
