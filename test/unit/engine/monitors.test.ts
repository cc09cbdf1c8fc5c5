import { describe, expect, it } from 'vitest';
import { arrangeMonitors, channelMonitors, maxMonitors, MonitorRegistry, type ChannelDisplayState } from '../../../src/engine/monitors.js';
import { layoutMonitors, pointerTarget } from '../../../src/input/viewport.js';
import type { MonitorInfo } from '../../../src/api/monitors.js';

const head = (monitorId: number, x: number, y: number, width: number, height: number, surfaceId = 0) => ({ monitorId, surfaceId, x, y, width, height, flags: 0 });

describe('channelMonitors', () => {
  it('should make the whole primary surface monitor 0 without MONITORS_CONFIG', () => {
    expect(channelMonitors({ surface: { width: 800, height: 600 }, config: null })).toEqual([
      { monitorId: 0, x: 0, y: 0, surfaceX: 0, surfaceY: 0, width: 800, height: 600 },
    ]);
    expect(channelMonitors({ surface: null, config: null })).toEqual([]);
  });

  it('should make each enabled head on surface 0 a monitor, clipped to the surface', () => {
    const state: ChannelDisplayState = {
      surface: { width: 1664, height: 768 },
      config: {
        maxAllowed: 4,
        heads: [head(1, 1024, 0, 800, 600), head(0, 0, 0, 1024, 768), head(2, 0, 0, 0, 0), head(3, 0, 0, 10, 10, 5), head(4, 1600, 700, 200, 200)],
      },
    };
    expect(channelMonitors(state)).toEqual([
      { monitorId: 0, x: 0, y: 0, surfaceX: 0, surfaceY: 0, width: 1024, height: 768 },
      { monitorId: 1, x: 1024, y: 0, surfaceX: 1024, surfaceY: 0, width: 640, height: 600 },
      { monitorId: 4, x: 1600, y: 700, surfaceX: 1600, surfaceY: 700, width: 64, height: 68 },
    ]);
  });

  it('should fall back to the whole surface when no head is usable', () => {
    expect(channelMonitors({ surface: { width: 640, height: 480 }, config: { maxAllowed: 1, heads: [head(0, 0, 0, 0, 0)] } })).toHaveLength(1);
  });
});

describe('arrangeMonitors', () => {
  it('should give channel 0 heads their monitor ids and other channels their channel id, placed to the right', () => {
    const channels = new Map<number, ChannelDisplayState>([
      [1, { surface: { width: 800, height: 600 }, config: null }],
      [0, { surface: { width: 2048, height: 768 }, config: { maxAllowed: 2, heads: [head(0, 0, 0, 1024, 768), head(1, 1024, 0, 1024, 768)] } }],
    ]);
    const list = arrangeMonitors(channels);
    expect(list.map((m) => [m.key, m.displayId, m.x, m.y, m.width, m.height])).toEqual([
      ['0:0', 0, 0, 0, 1024, 768],
      ['0:1', 1, 1024, 0, 1024, 768],
      ['1:0', 1, 2048, 0, 800, 600],
    ]);
    expect(maxMonitors(channels)).toBe(3);
  });
});

describe('MonitorRegistry', () => {
  it('should emit only changes, keep canvases of live monitors and drop those of gone ones', () => {
    const events: MonitorInfo[][] = [];
    const refreshed: number[] = [];
    const reg = new MonitorRegistry(
      (m) => events.push(m),
      (id) => refreshed.push(id),
    );
    reg.update(0, { surface: { width: 100, height: 50 }, config: null });
    reg.update(0, { surface: { width: 100, height: 50 }, config: null });
    expect(events).toHaveLength(1);
    const canvas = {} as OffscreenCanvas;
    expect(reg.attach('0:0', canvas)).toBe(true);
    expect(reg.attach('9:0', canvas)).toBe(false);
    expect(refreshed).toEqual([0]);
    expect(reg.targets(0)).toEqual([{ key: '0:0', x: 0, y: 0, width: 100, height: 50, canvas }]);
    reg.update(0, null);
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual([]);
    reg.update(0, { surface: { width: 100, height: 50 }, config: null });
    expect(reg.targets(0)[0]!.canvas).toBeUndefined();
  });
});

describe('layoutMonitors', () => {
  it('should scale the arrangement as one screen and snap shared edges', () => {
    const l = layoutMonitors(
      'fit',
      [
        { key: 'a', x: 0, y: 0, width: 1024, height: 768 },
        { key: 'b', x: 1024, y: 0, width: 1024, height: 768 },
      ],
      { width: 1024, height: 768 },
      1,
    );
    expect([l.cssWidth, l.cssHeight]).toEqual([1024, 384]);
    expect(l.boxes).toEqual([
      { key: 'a', left: 0, top: 0, width: 512, height: 384 },
      { key: 'b', left: 512, top: 0, width: 512, height: 384 },
    ]);
    const none = layoutMonitors(
      'none',
      [
        { key: 'a', x: 0, y: 0, width: 100, height: 100 },
        { key: 'b', x: 100, y: 20, width: 50, height: 50 },
      ],
      { width: 10, height: 10 },
      2,
    );
    expect(none.boxes[1]).toEqual({ key: 'b', left: 50, top: 10, width: 25, height: 25 });
  });

  it('should keep the display id rule of MOUSE_POSITION', () => {
    expect(pointerTarget(1, [], 5, 6)).toEqual({ displayId: 1, x: 5, y: 6 });
  });
});
