/** The `--hotkeys` form of `<spice-console hotkeys>` and hotkeys given as a VvHotkeys object. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOTKEY_ACTIONS } from '../../../src/api/types.js';
import { formatHotkeyList, hotkeyBindings, parseHotkey, parseHotkeyList, readHotkeys } from '../../../src/vv/hotkey.js';
import { parseVvFile } from '../../../src/vv/vv-file.js';

describe('parseHotkeyList', () => {
  it("should read remote-viewer's action=hotkey pairs into VvHotkeys", () => {
    const { hotkeys, errors } = parseHotkeyList('toggle-fullscreen=shift+f11,release-cursor=shift+f12,secure-attention=ctrl+alt+end');
    expect(errors).toEqual([]);
    expect(hotkeys.toggleFullscreen).toMatchObject({ spec: 'shift+f11', shift: true, ctrl: false, code: 'F11' });
    expect(hotkeys.releaseCursor).toMatchObject({ spec: 'shift+f12', shift: true, code: 'F12' });
    expect(hotkeys.secureAttention).toMatchObject({ spec: 'ctrl+alt+end', ctrl: true, alt: true, shift: false, code: 'End' });
    expect(Object.keys(hotkeys).sort()).toEqual(['releaseCursor', 'secureAttention', 'toggleFullscreen']);
  });

  it('should take every action, spaces around names, upper case, and let a later pair win', () => {
    const text =
      ' zoom-in = ctrl+plus , ZOOM-OUT=ctrl+minus,zoom-reset=ctrl+0,smartcard-insert=shift+f8,smartcard-remove=shift+f9,usb-device-reset=ctrl+shift+r,release-cursor=ctrl+alt,release-cursor=shift+f12,';
    const { hotkeys, errors } = parseHotkeyList(text);
    expect(errors).toEqual([]);
    expect(hotkeys.zoomIn?.code).toBe('Equal');
    expect(hotkeys.zoomOut?.code).toBe('Minus');
    expect(hotkeys.zoomReset?.code).toBe('Digit0');
    expect(hotkeys.smartcardInsert?.code).toBe('F8');
    expect(hotkeys.smartcardRemove?.code).toBe('F9');
    expect(hotkeys.usbDeviceReset).toMatchObject({ ctrl: true, shift: true, code: 'KeyR' });
    expect(hotkeys.releaseCursor?.spec).toBe('shift+f12');
  });

  it('should keep the good pairs and name each bad one', () => {
    const { hotkeys, errors } = parseHotkeyList('release-cursor=shift+f12,frobnicate=ctrl+f,secure-attention=ctrl+alt+nope,toggle-fullscreen,zoom-in=');
    expect(Object.keys(hotkeys)).toEqual(['releaseCursor']);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/unknown hotkey action "frobnicate"/);
    expect(errors[1]).toMatch(/^secure-attention: .*unknown key "nope"/);
    expect(errors[2]).toMatch(/"toggle-fullscreen" is not action=hotkey/);
    expect(errors[3]).toMatch(/^zoom-in: .*empty/);
  });

  it('should read an empty list as no hotkeys', () => {
    expect(parseHotkeyList('')).toEqual({ hotkeys: {}, errors: [] });
    expect(parseHotkeyList(' , ')).toEqual({ hotkeys: {}, errors: [] });
  });
});

describe('readHotkeys', () => {
  it("should take parseVvFile's hotkeys as they are", () => {
    const vv = parseVvFile('[virt-viewer]\ntype=spice\nhost=h\nport=5900\nsecure-attention=ctrl+alt+end\nrelease-cursor=shift+f12\n', {
      urlTemplate: 'ws://{host}:{port}',
    });
    const { hotkeys, errors } = readHotkeys(vv.hotkeys);
    expect(errors).toEqual([]);
    expect(hotkeys).toEqual(vv.hotkeys);
  });

  it('should take hotkey strings as object values, and re-read a hotkey from its spec', () => {
    const forged = { ...parseHotkey('shift+f12'), ctrl: true }; // flags that disagree with the spec
    const { hotkeys, errors } = readHotkeys({ toggleFullscreen: 'shift+f11', releaseCursor: forged, zoomIn: undefined });
    expect(errors).toEqual([]);
    expect(hotkeys.toggleFullscreen?.code).toBe('F11');
    expect(hotkeys.releaseCursor).toEqual(parseHotkey('shift+f12'));
    expect('zoomIn' in hotkeys).toBe(false);
  });

  it('should name unknown fields, values that are no hotkey and values of the wrong type', () => {
    const { hotkeys, errors } = readHotkeys({ releaseCursor: 'shift+f12', 'release-cursor': 'f1', zoomIn: 42, zoomOut: 'ctrl+bogus' });
    expect(Object.keys(hotkeys)).toEqual(['releaseCursor']);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/unknown hotkey "release-cursor"/);
    expect(errors[1]).toMatch(/^zoom-in: not a hotkey/);
    expect(errors[2]).toMatch(/^zoom-out: .*unknown key "bogus"/);
    expect(readHotkeys(7).errors[0]).toMatch(/string or an object, not number/);
    expect(readHotkeys(['a']).errors[0]).toMatch(/not an array/);
    expect(readHotkeys(null)).toEqual({ hotkeys: {}, errors: [] });
    expect(readHotkeys('release-cursor=f1').hotkeys.releaseCursor?.code).toBe('F1');
  });
});

describe('hotkeyBindings and formatHotkeyList', () => {
  it('should list the hotkeys in action order and write them back in the --hotkeys form', () => {
    const { hotkeys } = parseHotkeyList('usb-device-reset=ctrl+shift+r,secure-attention=ctrl+alt+end,release-cursor=shift+f12');
    expect(hotkeyBindings(hotkeys).map((b) => b.action)).toEqual(['release-cursor', 'secure-attention', 'usb-device-reset']);
    const text = formatHotkeyList(hotkeys);
    expect(text).toBe('release-cursor=shift+f12,secure-attention=ctrl+alt+end,usb-device-reset=ctrl+shift+r');
    expect(parseHotkeyList(text).hotkeys).toEqual(hotkeys);
    expect(formatHotkeyList({})).toBe('');
  });
});

describe('parseHotkeyList on any input', () => {
  const names = ['ctrl', 'alt', 'shift', 'win', 'end', 'del', 'f12', 'a', '7', 'pgup', 'bogus', '', ' ', '=', ','];
  const piece = fc.oneof(fc.constantFrom(...HOTKEY_ACTIONS, ...names), fc.string({ maxLength: 6 }));
  it('should never throw, and keep exactly the pairs that read alone', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.array(piece, { maxLength: 3 })), { maxLength: 6 }), (pairs) => {
        const text = pairs.map(([action, keys]) => `${action}=${keys.join('+')}`).join(',');
        const all = parseHotkeyList(text);
        // Pair by pair: each either is kept or gives one error (an empty pair neither).
        let kept = 0;
        let bad = 0;
        for (const pair of text.split(',')) {
          const one = parseHotkeyList(pair);
          kept += Object.keys(one.hotkeys).length;
          bad += one.errors.length;
          expect(Object.keys(one.hotkeys).length + one.errors.length).toBeLessThanOrEqual(1);
        }
        expect(all.errors.length).toBe(bad);
        expect(Object.keys(all.hotkeys).length).toBeLessThanOrEqual(kept);
        // What was kept writes back to a list that reads the same.
        expect(parseHotkeyList(formatHotkeyList(all.hotkeys))).toEqual({ hotkeys: all.hotkeys, errors: [] });
      }),
      { numRuns: 500 },
    );
  });
});
