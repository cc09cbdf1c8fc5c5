// oVirt's WAN options → DISPLAY_CONFIG fields, attribute parsing, and when they are offered.
import { describe, expect, it } from 'vitest';
import { displayConfigFor, parseColorDepth, parseDisableEffects, wanOptionsOffer } from '../../../src/agent/display-config.js';
import { parseClipboardPolicy, textFromGuest, textToGuest } from '../../../src/agent/clipboard.js';
import { agentCapName, agentCapNames } from '../../../src/agent/caps.js';

describe('WAN options', () => {
  const win = { wanOptions: true, colorDepth: 16 as const, osType: 'windows' };
  it('maps each effect to its flag, `all` to the three, and always sets the colour depth', () => {
    expect(displayConfigFor({ ...win, disableEffects: ['all'] })).toEqual({ flags: 15, depth: 16, effects: ['wallpaper', 'font-smooth', 'animation'] });
    expect(displayConfigFor({ ...win, disableEffects: ['wallpaper'] })).toEqual({ flags: 9, depth: 16, effects: ['wallpaper'] });
    expect(displayConfigFor({ ...win, disableEffects: ['font-smooth'] }).flags).toBe(10);
    expect(displayConfigFor({ ...win, colorDepth: 32, disableEffects: [] })).toEqual({ flags: 8, depth: 32, effects: [] });
  });
  it('WAN off, or a guest it is not offered for: flags 0, depth 0', () => {
    expect(displayConfigFor({ ...win, wanOptions: false, disableEffects: ['all'] })).toEqual({ flags: 0, depth: 0, effects: [] });
    expect(displayConfigFor({ ...win, osType: 'linux', disableEffects: ['all'] })).toEqual({ flags: 0, depth: 0, effects: [] });
  });
  it('is offered for Windows (any oVirt spelling), and for an unknown OS with a note', () => {
    expect(wanOptionsOffer('windows_10x64')).toEqual({ offered: true });
    expect(wanOptionsOffer('Win2k19')).toEqual({ offered: true });
    expect(wanOptionsOffer('')).toMatchObject({ offered: true, reason: expect.stringMatching(/unknown/) });
    expect(wanOptionsOffer('rhel_9x64')).toMatchObject({ offered: false, reason: expect.stringMatching(/Windows guests only/) });
  });
  it('parses the attributes', () => {
    expect(parseDisableEffects('wallpaper, animation  font-smooth,,bogus')).toEqual({ effects: ['wallpaper', 'animation', 'font-smooth'], unknown: ['bogus'] });
    expect(parseDisableEffects(null)).toEqual({ effects: [], unknown: [] });
    expect([parseColorDepth('16'), parseColorDepth(32), parseColorDepth('24'), parseColorDepth(null)]).toEqual([16, 32, null, null]);
  });
});

describe('clipboard rules', () => {
  it('line endings', () => {
    expect(textToGuest('a\nb\r\nc\rd', 'crlf')).toBe('a\r\nb\r\nc\r\nd');
    expect(textToGuest('a\r\nb', 'lf')).toBe('a\nb');
    expect(textFromGuest('a\r\nb', 'crlf')).toBe('a\nb');
    expect(textFromGuest('a\r\nb', 'lf')).toBe('a\r\nb');
  });
  it('policy', () => {
    expect(['both', 'TO-GUEST', 'from-guest', 'off', '', 'nonsense'].map(parseClipboardPolicy)).toEqual(['both', 'to-guest', 'from-guest', 'off', 'both', 'both']);
  });
  it('capability names', () => {
    expect(agentCapName(4)).toBe('display-config');
    expect(agentCapName(13)).toBe('file-xfer-disabled');
    expect(agentCapName(40)).toBe('cap-40');
    expect(agentCapNames([0b101, 1])).toEqual(['mouse-state', 'reply', 'cap-32']);
  });
});
