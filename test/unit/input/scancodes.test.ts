import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { SCANCODES, SCANCODE_PAUSE, SCANCODE_PRINT_SCREEN, UNMAPPED_CODES, scancodeForCode } from '../../../src/input/keys.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const DATA = readFileSync(join(ROOT, 'scripts/data/keyboard-codes.txt'), 'utf8');

/** A second, independent reading of the data file: code -> raw set-1 value, "-" or "=Target". */
function readData(): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of DATA.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '' || line.startsWith('[')) continue;
    const [code, value, extra] = line.split(/\s+/);
    out.set(code!, value === '=' ? `=${extra}` : value!);
  }
  return out;
}

/** Our number for a raw set-1 value from the data file. */
function expected(set1: number): number {
  if (set1 >= 0xe000) return 0x100 | (set1 & 0xff);
  return set1;
}

describe('generated scancode table', () => {
  it('should be in sync with the data file', () => {
    expect(() => execFileSync('node', ['scripts/gen-scancodes.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });

  it('should map every code the data file maps, to the value it gives', () => {
    const data = readData();
    let mapped = 0;
    for (const [code, value] of data) {
      if (value === '-') continue;
      const set1 = value.startsWith('=') ? Number.parseInt(data.get(value.slice(1))!, 16) : Number.parseInt(value, 16);
      expect(scancodeForCode(code), code).toBe(expected(set1));
      mapped++;
    }
    expect(SCANCODES.size).toBe(mapped);
  });

  it('should list every "-" code of the data file as unmapped and not map it', () => {
    const unmapped = [...readData()].filter(([, v]) => v === '-').map(([c]) => c);
    expect([...UNMAPPED_CODES].sort()).toEqual(unmapped.sort());
    for (const code of unmapped) expect(scancodeForCode(code)).toBeUndefined();
  });

  it('should cover the whole UI Events code spec', () => {
    const spec = [
      // writing system
      'Backquote',
      'Backslash',
      'BracketLeft',
      'BracketRight',
      'Comma',
      'Equal',
      'IntlBackslash',
      'IntlRo',
      'IntlYen',
      'Minus',
      'Period',
      'Quote',
      'Semicolon',
      'Slash',
      ...Array.from({ length: 10 }, (_, i) => `Digit${i}`),
      ...Array.from({ length: 26 }, (_, i) => `Key${String.fromCharCode(65 + i)}`),
      // functional
      'AltLeft',
      'AltRight',
      'Backspace',
      'CapsLock',
      'ContextMenu',
      'ControlLeft',
      'ControlRight',
      'Enter',
      'MetaLeft',
      'MetaRight',
      'ShiftLeft',
      'ShiftRight',
      'Space',
      'Tab',
      'Convert',
      'KanaMode',
      'Lang1',
      'Lang2',
      'Lang3',
      'Lang4',
      'Lang5',
      'NonConvert',
      // control pad, arrows
      'Delete',
      'End',
      'Help',
      'Home',
      'Insert',
      'PageDown',
      'PageUp',
      'ArrowDown',
      'ArrowLeft',
      'ArrowRight',
      'ArrowUp',
      // numpad
      'NumLock',
      ...Array.from({ length: 10 }, (_, i) => `Numpad${i}`),
      'NumpadAdd',
      'NumpadBackspace',
      'NumpadClear',
      'NumpadClearEntry',
      'NumpadComma',
      'NumpadDecimal',
      'NumpadDivide',
      'NumpadEnter',
      'NumpadEqual',
      'NumpadHash',
      'NumpadMemoryAdd',
      'NumpadMemoryClear',
      'NumpadMemoryRecall',
      'NumpadMemoryStore',
      'NumpadMemorySubtract',
      'NumpadMultiply',
      'NumpadParenLeft',
      'NumpadParenRight',
      'NumpadStar',
      'NumpadSubtract',
      // function
      'Escape',
      ...Array.from({ length: 24 }, (_, i) => `F${i + 1}`),
      'Fn',
      'FnLock',
      'PrintScreen',
      'ScrollLock',
      'Pause',
      // media
      'BrowserBack',
      'BrowserFavorites',
      'BrowserForward',
      'BrowserHome',
      'BrowserRefresh',
      'BrowserSearch',
      'BrowserStop',
      'Eject',
      'LaunchApp1',
      'LaunchApp2',
      'LaunchMail',
      'MediaPlayPause',
      'MediaSelect',
      'MediaStop',
      'MediaTrackNext',
      'MediaTrackPrevious',
      'Power',
      'Sleep',
      'AudioVolumeDown',
      'AudioVolumeMute',
      'AudioVolumeUp',
      'WakeUp',
      // legacy
      'Hyper',
      'Super',
      'Turbo',
      'Abort',
      'Resume',
      'Suspend',
      'Again',
      'Copy',
      'Cut',
      'Find',
      'Open',
      'Paste',
      'Props',
      'Select',
      'Undo',
      'Hiragana',
      'Katakana',
      'Unidentified',
    ];
    const missing = spec.filter((code) => !SCANCODES.has(code) && !UNMAPPED_CODES.has(code));
    expect(missing).toEqual([]);
  });

  it('should give the well-known set-1 values', () => {
    const spot: Record<string, number> = {
      Escape: 0x01,
      KeyA: 0x1e,
      KeyQ: 0x10,
      KeyZ: 0x2c,
      Digit1: 0x02,
      Digit0: 0x0b,
      Enter: 0x1c,
      Space: 0x39,
      ShiftLeft: 0x2a,
      ShiftRight: 0x36,
      ControlLeft: 0x1d,
      ControlRight: 0x11d,
      AltLeft: 0x38,
      AltRight: 0x138,
      MetaLeft: 0x15b,
      MetaRight: 0x15c,
      ContextMenu: 0x15d,
      NumpadEnter: 0x11c,
      NumpadDivide: 0x135,
      NumpadMultiply: 0x37,
      Numpad7: 0x47,
      IntlBackslash: 0x56,
      IntlRo: 0x73,
      IntlYen: 0x7d,
      F1: 0x3b,
      F10: 0x44,
      F11: 0x57,
      F12: 0x58,
      Delete: 0x153,
      Insert: 0x152,
      ArrowUp: 0x148,
      ArrowDown: 0x150,
      AudioVolumeMute: 0x120,
      Lang1: 0x72,
      Lang2: 0x71,
      PrintScreen: 0x137,
      Pause: 0x146,
      OSLeft: 0x15b,
    };
    for (const [code, sc] of Object.entries(spot)) expect(scancodeForCode(code), code).toBe(sc);
    expect(SCANCODE_PRINT_SCREEN).toBe(0x137);
    expect(SCANCODE_PAUSE).toBe(0x146);
  });

  it('should not map codes it does not know, including prototype names', () => {
    for (const code of ['', 'keya', 'toString', '__proto__', 'constructor', 'KeyAA']) {
      expect(scancodeForCode(code)).toBeUndefined();
    }
  });
});
