import { describe, expect, it } from 'vitest';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import {
  InputsMsg,
  InputsMsgc,
  KeyboardModifierFlags,
  MouseButton,
  MouseButtonMask,
  buttonMask,
  parseInputsInit,
  parseKeyModifiers,
  writeKeyDown,
  writeKeyModifiers,
  writeKeyScancode,
  writeKeyUp,
  writeMouseMotion,
  writeMousePosition,
  writeMousePress,
  writeMouseRelease,
} from '../../../src/protocol/inputs.js';

const bytes = (build: (w: Writer) => unknown): number[] => {
  const w = new Writer(4);
  build(w);
  return Array.from(w.finish());
};

describe('inputs channel constants', () => {
  it('should use the enums.h message ids', () => {
    expect(InputsMsg).toEqual({ Init: 101, KeyModifiers: 102, MouseMotionAck: 111 });
    expect(InputsMsgc).toEqual({
      KeyDown: 101,
      KeyUp: 102,
      KeyModifiers: 103,
      KeyScancode: 104,
      MouseMotion: 111,
      MousePosition: 112,
      MousePress: 113,
      MouseRelease: 114,
    });
  });

  it('should give each button its mask bit', () => {
    expect(buttonMask(MouseButton.Left)).toBe(MouseButtonMask.Left);
    expect(buttonMask(MouseButton.Middle)).toBe(2);
    expect(buttonMask(MouseButton.Right)).toBe(4);
    expect(buttonMask(MouseButton.Up)).toBe(8);
    expect(buttonMask(MouseButton.Down)).toBe(16);
    expect(buttonMask(MouseButton.Side)).toBe(32);
    expect(buttonMask(MouseButton.Extra)).toBe(64);
  });
});

describe('inputs channel builders', () => {
  it('should write KEY_DOWN and KEY_UP as a little-endian u32', () => {
    expect(bytes((w) => writeKeyDown(w, 0x1de0))).toEqual([0xe0, 0x1d, 0, 0]);
    expect(bytes((w) => writeKeyUp(w, 0x9de0))).toEqual([0xe0, 0x9d, 0, 0]);
  });

  it('should write KEY_SCANCODE as the raw bytes and refuse empty or out-of-range bytes', () => {
    expect(bytes((w) => writeKeyScancode(w, [0xe1, 0x1d, 0x45]))).toEqual([0xe1, 0x1d, 0x45]);
    expect(bytes((w) => writeKeyScancode(w, Uint8Array.of(0x1e, 0x9e)))).toEqual([0x1e, 0x9e]);
    expect(() => writeKeyScancode(new Writer(), [])).toThrow(ProtocolError);
    expect(() => writeKeyScancode(new Writer(), [0x100])).toThrow(ProtocolError);
  });

  it('should write KEY_MODIFIERS as a u16 of the lock bits', () => {
    expect(bytes((w) => writeKeyModifiers(w, KeyboardModifierFlags.CapsLock | KeyboardModifierFlags.ScrollLock))).toEqual([5, 0]);
    expect(bytes((w) => writeKeyModifiers(w, 0xffff))).toEqual([7, 0]);
  });

  it('should write MOUSE_MOTION as dx i32, dy i32, buttons u16 (10 bytes)', () => {
    expect(bytes((w) => writeMouseMotion(w, -2, 300, MouseButtonMask.Left | MouseButtonMask.Right))).toEqual([
      0xfe, 0xff, 0xff, 0xff, 0x2c, 0x01, 0x00, 0x00, 0x05, 0x00,
    ]);
  });

  it('should write MOUSE_POSITION as x u32, y u32, buttons u16, display u8 (11 bytes)', () => {
    expect(bytes((w) => writeMousePosition(w, 1920, 1080, MouseButtonMask.Middle, 1))).toEqual([0x80, 0x07, 0, 0, 0x38, 0x04, 0, 0, 0x02, 0x00, 0x01]);
    expect(bytes((w) => writeMousePosition(w, -5, 10.6, 0, 0))).toEqual([0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0]);
  });

  it('should write MOUSE_PRESS and MOUSE_RELEASE as button u8, buttons u16', () => {
    expect(bytes((w) => writeMousePress(w, MouseButton.Right, 4))).toEqual([3, 4, 0]);
    expect(bytes((w) => writeMouseRelease(w, MouseButton.Right, 0))).toEqual([3, 0, 0]);
    expect(bytes((w) => writeMousePress(w, MouseButton.Extra, 0x40))).toEqual([7, 0x40, 0]);
  });

  it('should pack several messages into one writer back to back', () => {
    const w = new Writer(2);
    writeKeyDown(w, 0x1e);
    writeMousePress(w, MouseButton.Left, 1);
    expect(Array.from(w.finish())).toEqual([0x1e, 0, 0, 0, 1, 1, 0]);
  });
});

describe('inputs channel parsers', () => {
  it('should parse INIT and KEY_MODIFIERS and mask unknown bits', () => {
    expect(parseInputsInit(new Reader(Uint8Array.of(6, 0)))).toEqual({ modifiers: 6 });
    expect(parseKeyModifiers(new Reader(Uint8Array.of(0xff, 0xff)))).toEqual({ modifiers: 7 });
  });

  it('should throw ProtocolError on truncated bodies', () => {
    expect(() => parseInputsInit(new Reader(Uint8Array.of(6)))).toThrow(ProtocolError);
    expect(() => parseKeyModifiers(new Reader(new Uint8Array(0)))).toThrow(ProtocolError);
  });
});
