import { describe, expect, it } from 'vitest';
import {
  COMBOS,
  KeyboardState,
  LockSync,
  SCANCODE_PAUSE,
  SCANCODE_PRINT_SCREEN,
  atomicStepsMessage,
  combo,
  isComboName,
  isScancode,
  keyMessage,
  keySequence,
  lockKeysToToggle,
  locksToModifiers,
  modifiersToLocks,
  packScancode,
  scancodeBytes,
  scancodeForCode,
  stepMessages,
  type KeyStep,
} from '../../../src/input/keys.js';
import { InputsMsgc, KeyboardModifierFlags } from '../../../src/protocol/inputs.js';

const hex = (b: Uint8Array | number[]): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('scan code packing', () => {
  it('should pack a plain key as code down and code|0x80 up', () => {
    expect(packScancode(0x1e, true)).toBe(0x1e);
    expect(packScancode(0x1e, false)).toBe(0x9e);
    expect(scancodeBytes(0x1e, true)).toEqual([0x1e]);
    expect(scancodeBytes(0x1e, false)).toEqual([0x9e]);
  });

  it('should pack an extended key as 0xE0 | code<<8, with 0x80 on the code byte for up', () => {
    // Right Ctrl and Left Win, the examples of protocol.md §5.
    expect(packScancode(0x11d, true)).toBe(0x1de0);
    expect(packScancode(0x11d, false)).toBe(0x9de0);
    expect(packScancode(0x15b, true)).toBe(0x5be0);
    expect(packScancode(0x15b, false)).toBe(0xdbe0);
    expect(scancodeBytes(0x11d, true)).toEqual([0xe0, 0x1d]);
    expect(scancodeBytes(0x11d, false)).toEqual([0xe0, 0x9d]);
  });

  it('should send a plain key as KEY_DOWN/KEY_UP with the u32 little endian', () => {
    const down = keyMessage(0x1e, true)!;
    expect(down.type).toBe(InputsMsgc.KeyDown);
    expect(hex(down.body)).toBe('1e 00 00 00');
    const up = keyMessage(0x1e, false)!;
    expect(up.type).toBe(InputsMsgc.KeyUp);
    expect(hex(up.body)).toBe('9e 00 00 00');
  });

  it('should send an extended key as KEY_DOWN/KEY_UP whose bytes are E0 then the code', () => {
    expect(hex(keyMessage(scancodeForCode('NumpadEnter')!, true)!.body)).toBe('e0 1c 00 00');
    expect(hex(keyMessage(scancodeForCode('NumpadEnter')!, false)!.body)).toBe('e0 9c 00 00');
    expect(hex(keyMessage(scancodeForCode('MetaLeft')!, false)!.body)).toBe('e0 db 00 00');
  });

  it('should send Pause as E0 46 / E0 C6, the pair QEMU and Xspice both read as Pause', () => {
    expect(SCANCODE_PAUSE).toBe(scancodeForCode('Pause'));
    expect(keyMessage(SCANCODE_PAUSE, true).type).toBe(InputsMsgc.KeyDown);
    expect(hex(keyMessage(SCANCODE_PAUSE, true).body)).toBe('e0 46 00 00');
    expect(hex(keyMessage(SCANCODE_PAUSE, false).body)).toBe('e0 c6 00 00');
  });

  it('should send PrintScreen as E0 37 / E0 B7 without the fake shift', () => {
    expect(SCANCODE_PRINT_SCREEN).toBe(scancodeForCode('PrintScreen'));
    expect(hex(keyMessage(SCANCODE_PRINT_SCREEN, true).body)).toBe('e0 37 00 00');
    expect(hex(keyMessage(SCANCODE_PRINT_SCREEN, false).body)).toBe('e0 b7 00 00');
  });

  it('should send the Korean Lang1/Lang2 keys as keycodemapdb pairs 0x72/0x71', () => {
    expect(hex(keyMessage(scancodeForCode('Lang1')!, true).body)).toBe('72 00 00 00');
    expect(hex(keyMessage(scancodeForCode('Lang1')!, false).body)).toBe('f2 00 00 00');
    expect(hex(keyMessage(scancodeForCode('Lang2')!, true).body)).toBe('71 00 00 00');
  });

  it('should reject numbers that are not scan codes', () => {
    for (const bad of [0, 0x80, 0x9e, 0x100, 0x180, 0x200, 0xe11d45, -1, 1.5, Number.NaN]) {
      expect(() => scancodeBytes(bad, true), String(bad)).toThrow(RangeError);
      expect(() => packScancode(bad, true), String(bad)).toThrow(RangeError);
      expect(isScancode(bad), String(bad)).toBe(false);
    }
  });

  it('should round-trip every table entry: the u32 bytes equal the raw bytes', () => {
    for (const code of ['KeyA', 'Digit5', 'F12', 'ArrowLeft', 'AltRight', 'NumpadDivide', 'BrowserBack', 'F17']) {
      const sc = scancodeForCode(code)!;
      for (const down of [true, false]) {
        const u32 = packScancode(sc, down);
        const bytes = [u32 & 0xff, (u32 >> 8) & 0xff, (u32 >> 16) & 0xff, u32 >>> 24].filter((b, i, all) => all.slice(0, i + 1).every((x) => x !== 0));
        expect(bytes, code).toEqual(scancodeBytes(sc, down));
      }
    }
  });
});

describe('key sequences and combos', () => {
  const names = (steps: KeyStep[]) => steps.map((s) => `${s.type}:${s.scancode.toString(16)}`);

  it('should press keys in order and release them in reverse', () => {
    expect(names(keySequence(['ControlLeft', 'ShiftLeft', 'Escape']))).toEqual(['down:1d', 'down:2a', 'down:1', 'up:1', 'up:2a', 'up:1d']);
  });

  it('should throw before producing anything for an unknown or unmapped code', () => {
    expect(() => keySequence(['ControlLeft', 'Nope'])).toThrow(RangeError);
    expect(() => keySequence(['Fn'])).toThrow(RangeError);
  });

  it('should build Ctrl+Alt+Del byte for byte', () => {
    const msgs = stepMessages(combo('ctrl-alt-del'));
    expect(msgs.map((m) => m.type)).toEqual([InputsMsgc.KeyDown, InputsMsgc.KeyDown, InputsMsgc.KeyDown, InputsMsgc.KeyUp, InputsMsgc.KeyUp, InputsMsgc.KeyUp]);
    expect(msgs.map((m) => hex(m.body))).toEqual(['1d 00 00 00', '38 00 00 00', 'e0 53 00 00', 'e0 d3 00 00', 'b8 00 00 00', '9d 00 00 00']);
    expect(hex(atomicStepsMessage(combo('ctrl-alt-del'))!.body)).toBe('1d 38 e0 53 e0 d3 b8 9d');
  });

  it('should build Ctrl+Alt+F1..F12, Alt+Tab and PrintScreen', () => {
    for (let n = 1; n <= 12; n++) {
      const steps = combo(`ctrl-alt-f${n}` as keyof typeof COMBOS);
      expect(steps).toHaveLength(6);
      expect(steps[2]).toEqual({ type: 'down', scancode: scancodeForCode(`F${n}`) });
    }
    expect(hex(atomicStepsMessage(combo('alt-tab'))!.body)).toBe('38 0f 8f b8');
    expect(stepMessages(combo('print-screen')).map((m) => hex(m.body))).toEqual(['e0 37 00 00', 'e0 b7 00 00']);
  });

  it('should tell combo names from other strings', () => {
    expect(isComboName('ctrl-alt-del')).toBe(true);
    expect(isComboName('toString')).toBe(false);
    expect(() => combo('nope' as never)).toThrow(RangeError);
  });

  it('should put a whole combo in one KEY_SCANCODE, bytes in press-then-release order', () => {
    const m = atomicStepsMessage(combo('ctrl-alt-del'))!;
    expect(m.type).toBe(InputsMsgc.KeyScancode);
    expect(hex(m.body)).toBe('1d 38 e0 53 e0 d3 b8 9d');
    expect(hex(atomicStepsMessage(combo('print-screen'))!.body)).toBe('e0 37 e0 b7');
    expect(atomicStepsMessage([])).toBeNull();
  });
});

describe('KeyboardState', () => {
  it('should report first presses and auto-repeats', () => {
    const kb = new KeyboardState();
    expect(kb.press(0x1e)).toBe(true);
    expect(kb.press(0x1e)).toBe(false);
    expect(kb.isDown(0x1e)).toBe(true);
    expect(kb.release(0x1e)).toBe(true);
    expect(kb.release(0x1e)).toBe(false);
    expect(kb.size).toBe(0);
  });

  it('should release everything held, most recent first, and forget it', () => {
    const kb = new KeyboardState();
    kb.press(0x1d);
    kb.press(0x138);
    kb.press(0x1e);
    kb.release(0x1e);
    kb.press(0x2a);
    expect(kb.pressed()).toEqual([0x1d, 0x138, 0x2a]);
    expect(kb.releaseAll()).toEqual([
      { type: 'up', scancode: 0x2a },
      { type: 'up', scancode: 0x138 },
      { type: 'up', scancode: 0x1d },
    ]);
    expect(kb.size).toBe(0);
    expect(kb.releaseAll()).toEqual([]);
  });

  it('should hold Pause like any key and refuse non-scancodes', () => {
    const kb = new KeyboardState();
    expect(kb.press(SCANCODE_PAUSE)).toBe(true);
    expect(kb.pressed()).toEqual([0x146]);
    expect(() => kb.press(0xf2)).toThrow(RangeError);
  });
});

describe('lock modifiers', () => {
  it('should convert between lock booleans and SCROLL=1 NUM=2 CAPS=4', () => {
    expect(locksToModifiers({ scrollLock: true, numLock: false, capsLock: false })).toBe(1);
    expect(locksToModifiers({ scrollLock: false, numLock: true, capsLock: false })).toBe(2);
    expect(locksToModifiers({ scrollLock: false, numLock: false, capsLock: true })).toBe(4);
    expect(modifiersToLocks(KeyboardModifierFlags.NumLock | KeyboardModifierFlags.CapsLock)).toEqual({
      scrollLock: false,
      numLock: true,
      capsLock: true,
    });
    expect(modifiersToLocks(0xfff8)).toEqual({ scrollLock: false, numLock: false, capsLock: false });
  });

  it('should list the lock keys to tap to go from one state to another', () => {
    expect(lockKeysToToggle(0, 7)).toEqual([0x3a, 0x45, 0x46]);
    expect(lockKeysToToggle(2, 2)).toEqual([]);
    expect(lockKeysToToggle(4, 2)).toEqual([0x3a, 0x45]);
  });

  it('should ask to send KEY_MODIFIERS only when the local state differs from the guest', () => {
    const sync = new LockSync();
    expect(sync.fromGuest(KeyboardModifierFlags.NumLock)).toEqual({ scrollLock: false, numLock: true, capsLock: false });
    expect(sync.fromLocal({ scrollLock: false, numLock: true, capsLock: false })).toBeNull();
    expect(sync.fromLocal({ scrollLock: false, numLock: true, capsLock: true })).toBe(6);
    expect(sync.fromLocal({ scrollLock: false, numLock: true, capsLock: true })).toBeNull();
  });
});
