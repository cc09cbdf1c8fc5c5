/** Spice hotkey strings to modifier flags + KeyboardEvent.code, and matching key events against them. */
import { describe, expect, it } from 'vitest';
import { matchesHotkey, parseHotkey } from '../../../src/vv/hotkey.js';

const ev = (code: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; shiftKey: boolean; metaKey: boolean }> = {}) => ({
  code,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  metaKey: false,
  ...mods,
});

describe('parseHotkey', () => {
  it('should read virt-viewer short names and GDK names', () => {
    expect(parseHotkey('ctrl+alt+del').code).toBe('Delete');
    expect(parseHotkey('ctrl+alt+ins').code).toBe('Insert');
    expect(parseHotkey('pgup').code).toBe('PageUp');
    expect(parseHotkey('Page_Down').code).toBe('PageDown');
    expect(parseHotkey('ctrl+enter').code).toBe('Enter');
    expect(parseHotkey('shift+F24').code).toBe('F24');
    expect(parseHotkey('win+l')).toMatchObject({ meta: true, code: 'KeyL' });
    expect(parseHotkey('alt+1').code).toBe('Digit1');
  });

  it('should allow a modifiers-only hotkey (remote-viewer default release: ctrl+alt)', () => {
    expect(parseHotkey('Control_L+Alt_L')).toMatchObject({ ctrl: true, alt: true, code: null });
  });

  it('should refuse unknown keys, two main keys and empty names', () => {
    expect(() => parseHotkey('ctrl+foo')).toThrow(/unknown key "foo"/);
    expect(() => parseHotkey('a+b')).toThrow(/two non-modifier/);
    expect(() => parseHotkey('ctrl+')).toThrow(/empty/);
    expect(() => parseHotkey('f25')).toThrow(/unknown/);
    expect(() => parseHotkey('toString')).toThrow(/unknown/);
  });
});

describe('matchesHotkey', () => {
  it('should match exactly the hotkey modifiers with the key', () => {
    const h = parseHotkey('shift+f12');
    expect(matchesHotkey(h, ev('F12', { shiftKey: true }))).toBe(true);
    expect(matchesHotkey(h, ev('F12'))).toBe(false);
    expect(matchesHotkey(h, ev('F12', { shiftKey: true, ctrlKey: true }))).toBe(false);
    expect(matchesHotkey(h, ev('F11', { shiftKey: true }))).toBe(false);
  });

  it('should match a modifiers-only hotkey on either side of the keyboard', () => {
    const h = parseHotkey('ctrl+alt');
    expect(matchesHotkey(h, ev('AltRight', { ctrlKey: true, altKey: true }))).toBe(true);
    expect(matchesHotkey(h, ev('KeyA', { ctrlKey: true, altKey: true }))).toBe(false);
  });
});
