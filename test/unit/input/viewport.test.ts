import { describe, expect, it } from 'vitest';
import { clientToGuest, cssDeltaToGuest, guestToClient, layoutScreen, pointerTarget } from '../../../src/input/viewport.js';

const guest = { width: 1024, height: 768 };

describe('layoutScreen', () => {
  it('should fit the guest in the container, aspect kept, on whole device pixels', () => {
    expect(layoutScreen('fit', guest, { width: 1100, height: 800 }, 1)).toEqual({
      cssWidth: 1066,
      cssHeight: 800,
      deviceScaleX: 1066 / 1024,
      deviceScaleY: 800 / 768,
      pixelated: false,
    });
    // Twice the room on a 1x screen: exactly 2 device pixels per guest pixel, drawn pixelated.
    expect(layoutScreen('fit', guest, { width: 2048, height: 2000 }, 1)).toMatchObject({ cssWidth: 2048, cssHeight: 1536, pixelated: true });
    // Smaller than the guest: scaled down, smoothed.
    expect(layoutScreen('fit', guest, { width: 512, height: 900 }, 1)).toMatchObject({ cssWidth: 512, cssHeight: 384, pixelated: false });
  });

  it('should count device pixels on HiDPI screens in fit mode', () => {
    // 1100x800 CSS at 2x is 2200x1600 device pixels: 2133x1600, i.e. 1066.5 x 800 CSS px.
    const l = layoutScreen('fit', guest, { width: 1100, height: 800 }, 2);
    expect([l.cssWidth, l.cssHeight]).toEqual([1066.5, 800]);
    expect(l.cssWidth * 2).toBe(Math.round(l.cssWidth * 2));
    // 1024x768 CSS at 2x: exactly 2 device pixels per guest pixel.
    expect(layoutScreen('fit', guest, { width: 1024, height: 768 }, 2)).toMatchObject({ deviceScaleX: 2, deviceScaleY: 2, pixelated: true });
    // 1.5x: 1024 CSS px of room is 1536 device px, 1.5 per guest pixel: not whole, smoothed.
    expect(layoutScreen('fit', guest, { width: 1024, height: 768 }, 1.5)).toMatchObject({ cssWidth: 1024, deviceScaleX: 1.5, pixelated: false });
  });

  it('should map one guest pixel to one device pixel at scale none', () => {
    expect(layoutScreen('none', guest, { width: 300, height: 200 }, 1)).toMatchObject({ cssWidth: 1024, cssHeight: 768, pixelated: true });
    expect(layoutScreen('none', guest, { width: 300, height: 200 }, 2)).toMatchObject({ cssWidth: 512, cssHeight: 384, deviceScaleX: 1, pixelated: true });
    expect(layoutScreen('none', guest, { width: 300, height: 200 }, 1.25).cssWidth).toBeCloseTo(819.2, 9);
  });

  it('should stretch to the container at scale fill', () => {
    expect(layoutScreen('fill', guest, { width: 1100, height: 800 }, 1)).toMatchObject({ cssWidth: 1100, cssHeight: 800 });
    expect(layoutScreen('fill', guest, { width: 1100.3, height: 800 }, 2)).toMatchObject({ cssWidth: 1100.5, cssHeight: 800 });
    expect(layoutScreen('fill', { width: 512, height: 384 }, { width: 1024, height: 768 }, 1)).toMatchObject({ pixelated: true });
  });

  it('should stay sane for empty surfaces, empty containers and odd ratios', () => {
    expect(layoutScreen('fit', { width: 0, height: 0 }, { width: 100, height: 100 }, 1)).toMatchObject({ cssWidth: 0, cssHeight: 0 });
    const tiny = layoutScreen('fit', guest, { width: 0, height: 0 }, 1);
    expect(tiny.cssWidth).toBeGreaterThan(0);
    expect(Number.isFinite(tiny.cssHeight)).toBe(true);
    expect(layoutScreen('none', guest, { width: 1, height: 1 }, Number.NaN)).toMatchObject({ cssWidth: 1024 });
    expect(layoutScreen('none', guest, { width: 1, height: 1 }, 0)).toMatchObject({ cssWidth: 1024 });
  });
});

describe('clientToGuest', () => {
  const box = { left: 17, top: 0, width: 1066, height: 800 };

  it('should map page points through the canvas box under scaling', () => {
    expect(clientToGuest(17, 0, box, guest)).toEqual({ x: 0, y: 0, inside: true });
    expect(clientToGuest(17 + 100, 50, box, guest)).toEqual({ x: 96, y: 48, inside: true });
    expect(clientToGuest(17 + 1065.9, 799.9, box, guest)).toEqual({ x: 1023, y: 767, inside: true });
    // The middle of guest pixel (517, 301) maps back to it.
    const p = guestToClient(517.5, 301.5, box, guest);
    expect(clientToGuest(p.clientX, p.clientY, box, guest)).toEqual({ x: 517, y: 301, inside: true });
  });

  it('should map exactly at devicePixelRatio 2 and scale none (512 CSS px show 1024 guest px)', () => {
    const hi = { left: 10.5, top: 20, width: 512, height: 384 };
    expect(clientToGuest(10.5, 20, hi, guest)).toEqual({ x: 0, y: 0, inside: true });
    expect(clientToGuest(10.5 + 0.5, 20.5, hi, guest)).toEqual({ x: 1, y: 1, inside: true });
    expect(clientToGuest(10.5 + 511.75, 20 + 383.75, hi, guest)).toEqual({ x: 1023, y: 767, inside: true });
  });

  it('should clamp points outside the screen to its edge and say so', () => {
    expect(clientToGuest(0, -5, box, guest)).toEqual({ x: 0, y: 0, inside: false });
    expect(clientToGuest(5000, 5000, box, guest)).toEqual({ x: 1023, y: 767, inside: false });
    expect(clientToGuest(17 + 1066, 10, box, guest).inside).toBe(false);
    expect(clientToGuest(5, 5, { left: 0, top: 0, width: 0, height: 0 }, guest)).toEqual({ x: 0, y: 0, inside: false });
  });

  it('should scale relative motion to guest pixels', () => {
    expect(cssDeltaToGuest(533, -400, { width: 1066, height: 800 }, guest)).toEqual({ dx: 512, dy: -384 });
    expect(cssDeltaToGuest(1, 1, { width: 512, height: 384 }, guest)).toEqual({ dx: 2, dy: 2 });
    expect(cssDeltaToGuest(3, 4, { width: 0, height: 0 }, guest)).toEqual({ dx: 3, dy: 4 });
  });
});

describe('pointerTarget', () => {
  const heads = [
    { monitorId: 0, x: 0, y: 0, width: 1024, height: 768 },
    { monitorId: 1, x: 1024, y: 0, width: 800, height: 600 },
  ];

  it('should use the channel id and the point unchanged without heads or off channel 0', () => {
    expect(pointerTarget(0, [], 5, 6)).toEqual({ displayId: 0, x: 5, y: 6 });
    expect(pointerTarget(2, heads, 1500, 6)).toEqual({ displayId: 2, x: 1500, y: 6 });
  });

  it('should pick the head under the point on channel 0, relative to it', () => {
    expect(pointerTarget(0, heads, 10, 10)).toEqual({ displayId: 0, x: 10, y: 10 });
    expect(pointerTarget(0, heads, 1030, 20)).toEqual({ displayId: 1, x: 6, y: 20 });
    expect(pointerTarget(0, heads, 1823, 599)).toEqual({ displayId: 1, x: 799, y: 599 });
  });

  it('should use the nearest head, clamped, for points between heads', () => {
    expect(pointerTarget(0, heads, 1500, 700)).toEqual({ displayId: 1, x: 476, y: 599 });
    expect(pointerTarget(0, heads, 900, 767)).toEqual({ displayId: 0, x: 900, y: 767 });
  });
});
