import { describe, expect, it } from 'vitest';
import { MAX_WHEEL_NOTCHES, MotionThrottle, WheelAccumulator, WheelDeltaMode, pointerMessage, type PointerMessage } from '../../../src/input/motion.js';
import { InputsMsgc, MouseButton } from '../../../src/protocol/inputs.js';

const kinds = (msgs: PointerMessage[]) => msgs.map((m) => m.type);

describe('MotionThrottle', () => {
  it('should send motion at once until 8 messages are unacknowledged, then hold and add up deltas', () => {
    const t = new MotionThrottle();
    for (let i = 0; i < 8; i++) expect(t.motion(1, 2)).toEqual([{ type: 'motion', dx: 1, dy: 2, buttons: 0 }]);
    expect(t.motionCount).toBe(8);
    expect(t.blocked).toBe(true);
    expect(t.motion(3, 0)).toEqual([]);
    expect(t.motion(4, -7)).toEqual([]);
    expect(t.hasPending).toBe(true);
    // The ack takes a bunch of 4 away and flushes the held deltas as one message.
    expect(t.ack()).toEqual([{ type: 'motion', dx: 7, dy: -7, buttons: 0 }]);
    expect(t.motionCount).toBe(5);
    expect(t.hasPending).toBe(false);
    // Room again: three more go straight out, the fourth is held.
    expect(kinds([...t.motion(1, 0), ...t.motion(1, 0), ...t.motion(1, 0)])).toEqual(['motion', 'motion', 'motion']);
    expect(t.motion(1, 0)).toEqual([]);
  });

  it('should send nothing on an ack with nothing pending and never count below zero', () => {
    const t = new MotionThrottle();
    t.motion(1, 1);
    expect(t.ack()).toEqual([]);
    expect(t.motionCount).toBe(0);
    expect(t.ack()).toEqual([]);
    expect(t.motionCount).toBe(0);
  });

  it('should keep only the latest absolute position while blocked', () => {
    const t = new MotionThrottle();
    for (let i = 0; i < 8; i++) expect(kinds(t.position(i, i, 0))).toEqual(['position']);
    expect(t.position(100, 100, 0)).toEqual([]);
    expect(t.position(200, 150.4, 1)).toEqual([]);
    expect(t.ack()).toEqual([{ type: 'position', x: 200, y: 150, buttons: 0, displayId: 1 }]);
    expect(t.ack()).toEqual([]);
  });

  it('should never drop a press and send the held position before it', () => {
    const t = new MotionThrottle();
    for (let i = 0; i < 8; i++) t.position(i, i, 0);
    t.position(50, 60, 0);
    expect(t.press(MouseButton.Left)).toEqual([
      { type: 'position', x: 50, y: 60, buttons: 0, displayId: 0 },
      { type: 'press', button: MouseButton.Left, buttons: 1 },
    ]);
    expect(t.motionCount).toBe(9);
    expect(t.release(MouseButton.Left)).toEqual([{ type: 'release', button: MouseButton.Left, buttons: 0 }]);
  });

  it('should send held relative motion before a release', () => {
    const t = new MotionThrottle();
    t.press(MouseButton.Right);
    for (let i = 0; i < 8; i++) t.motion(1, 0);
    t.motion(5, 5);
    expect(t.release(MouseButton.Right)).toEqual([
      { type: 'motion', dx: 5, dy: 5, buttons: 4 },
      { type: 'release', button: MouseButton.Right, buttons: 0 },
    ]);
  });

  it('should carry the button state in motion and keep several buttons', () => {
    const t = new MotionThrottle();
    t.press(MouseButton.Left);
    t.press(MouseButton.Side);
    expect(t.motion(0, 3)).toEqual([{ type: 'motion', dx: 0, dy: 3, buttons: 1 | 32 }]);
    expect(t.releaseAll()).toEqual([
      { type: 'release', button: MouseButton.Left, buttons: 32 },
      { type: 'release', button: MouseButton.Side, buttons: 0 },
    ]);
    expect(t.releaseAll()).toEqual([]);
  });

  it('should add up fractional deltas and send only whole pixels', () => {
    const t = new MotionThrottle();
    expect(t.motion(0.4, -0.6)).toEqual([]);
    expect(t.motion(0.7, -0.6)).toEqual([{ type: 'motion', dx: 1, dy: -1, buttons: 0 }]);
    expect(t.motion(0, 0)).toEqual([]);
    expect(t.motion(Number.NaN, 1)).toEqual([]);
  });

  it('should turn wheel notches into press+release of UP or DOWN without touching the button state', () => {
    const t = new MotionThrottle();
    t.press(MouseButton.Left);
    expect(t.wheel(-2)).toEqual([
      { type: 'press', button: MouseButton.Up, buttons: 1 },
      { type: 'release', button: MouseButton.Up, buttons: 1 },
      { type: 'press', button: MouseButton.Up, buttons: 1 },
      { type: 'release', button: MouseButton.Up, buttons: 1 },
    ]);
    expect(kinds(t.wheel(1))).toEqual(['press', 'release']);
    expect(t.wheel(1)[0]).toMatchObject({ button: MouseButton.Down });
    expect(t.wheel(0)).toEqual([]);
    expect(t.wheel(1e9)).toHaveLength(2 * MAX_WHEEL_NOTCHES);
  });

  it('should forget counts, buttons and pending motion on reset', () => {
    const t = new MotionThrottle();
    t.press(MouseButton.Left);
    for (let i = 0; i < 9; i++) t.motion(1, 0);
    t.reset();
    expect(t.motionCount).toBe(0);
    expect(t.buttons).toBe(0);
    expect(t.hasPending).toBe(false);
    expect(t.ack()).toEqual([]);
  });
});

describe('pointerMessage', () => {
  it('should encode each pointer message byte for byte', () => {
    const motion = pointerMessage({ type: 'motion', dx: -1, dy: 2, buttons: 1 });
    expect(motion.type).toBe(InputsMsgc.MouseMotion);
    expect(Array.from(motion.body)).toEqual([0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 1, 0]);
    const position = pointerMessage({ type: 'position', x: 258, y: 3, buttons: 0, displayId: 2 });
    expect(position.type).toBe(InputsMsgc.MousePosition);
    expect(Array.from(position.body)).toEqual([2, 1, 0, 0, 3, 0, 0, 0, 0, 0, 2]);
    const press = pointerMessage({ type: 'press', button: MouseButton.Middle, buttons: 2 });
    expect(press.type).toBe(InputsMsgc.MousePress);
    expect(Array.from(press.body)).toEqual([2, 2, 0]);
    const release = pointerMessage({ type: 'release', button: MouseButton.Down, buttons: 0 });
    expect(release.type).toBe(InputsMsgc.MouseRelease);
    expect(Array.from(release.body)).toEqual([5, 0, 0]);
  });
});

describe('WheelAccumulator', () => {
  it('should make one notch per 100 px and keep the remainder', () => {
    const w = new WheelAccumulator();
    expect(w.add(100, WheelDeltaMode.Pixel)).toBe(1);
    expect(w.add(120, WheelDeltaMode.Pixel)).toBe(1);
    expect(w.add(80, WheelDeltaMode.Pixel)).toBe(1);
    expect(w.add(-250, WheelDeltaMode.Pixel)).toBe(-2);
  });

  it('should add up small high-resolution deltas into whole notches', () => {
    const w = new WheelAccumulator();
    const out = Array.from({ length: 10 }, () => w.add(25, WheelDeltaMode.Pixel));
    expect(out).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
  });

  it('should make one notch per 3 lines and per page', () => {
    const w = new WheelAccumulator();
    expect(w.add(3, WheelDeltaMode.Line)).toBe(1);
    expect([w.add(1, WheelDeltaMode.Line), w.add(1, WheelDeltaMode.Line), w.add(1, WheelDeltaMode.Line)]).toEqual([0, 0, 1]);
    expect(w.add(-1, WheelDeltaMode.Page)).toBe(-1);
  });

  it('should drop the remainder when the direction flips', () => {
    const w = new WheelAccumulator();
    expect(w.add(45, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(45, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(-20, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(-40, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(-40, WheelDeltaMode.Pixel)).toBe(-1);
  });

  it('should drop a stale remainder after a pause', () => {
    const w = new WheelAccumulator({ idleResetMs: 300 });
    expect(w.add(45, WheelDeltaMode.Pixel, 1000)).toBe(0);
    expect(w.add(45, WheelDeltaMode.Pixel, 1100)).toBe(0);
    expect(w.add(20, WheelDeltaMode.Pixel, 1500)).toBe(0);
    expect(w.add(40, WheelDeltaMode.Pixel, 1600)).toBe(0);
    expect(w.add(40, WheelDeltaMode.Pixel, 1700)).toBe(1);
  });

  it('should make a notch of every wheel-sized event, however few pixels it reports', () => {
    const w = new WheelAccumulator();
    // Chromium on Linux (53 px a click) and on a 2x screen (50 px): one notch per click, no leftovers.
    expect([w.add(53, WheelDeltaMode.Pixel), w.add(53, WheelDeltaMode.Pixel), w.add(-50, WheelDeltaMode.Pixel)]).toEqual([1, 1, -1]);
    expect(w.add(49, WheelDeltaMode.Pixel)).toBe(0);
    // No remainder is left behind by a forced notch, in either direction.
    const fresh = new WheelAccumulator();
    expect([fresh.add(53, WheelDeltaMode.Pixel), fresh.add(-3, WheelDeltaMode.Line), fresh.add(-3, WheelDeltaMode.Line)]).toEqual([1, -1, -1]);
    expect([fresh.add(10, WheelDeltaMode.Pixel), fresh.add(10, WheelDeltaMode.Pixel)]).toEqual([0, 0]);
    const off = new WheelAccumulator({ minEventFraction: 0 });
    expect(off.add(90, WheelDeltaMode.Pixel)).toBe(0);
  });

  it('should honour custom units and clamp absurd deltas', () => {
    const w = new WheelAccumulator({ pixelsPerNotch: 120 });
    expect(w.add(59, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(59, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(2, WheelDeltaMode.Pixel)).toBe(1);
    expect(w.add(1e12, WheelDeltaMode.Pixel)).toBe(MAX_WHEEL_NOTCHES);
    expect(w.add(Number.POSITIVE_INFINITY, WheelDeltaMode.Pixel)).toBe(0);
    expect(w.add(0, WheelDeltaMode.Pixel)).toBe(0);
    w.reset();
    expect(w.add(59, WheelDeltaMode.Pixel)).toBe(0);
  });
});
