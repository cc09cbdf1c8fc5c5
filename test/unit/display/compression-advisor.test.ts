import { describe, expect, it } from 'vitest';
import { CompressionAdvisor, DEFAULT_ADVISOR_OPTIONS } from '../../../src/display/compression-advisor.js';
import { ImageCompression, ImageType } from '../../../src/protocol/constants.js';

const SCREEN = 1920 * 1080;

/** Feeds `count` images of `pixels` each, `every` ms apart from `start`, `ratio` payload bytes per colour byte. */
function feed(a: CompressionAdvisor, type: number, ratio: number, opts: { start: number; count: number; every: number; pixels: number }): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < opts.count; i++) out.push(a.observe(type, Math.round(ratio * 3 * opts.pixels), opts.pixels, opts.start + i * opts.every));
  return out;
}

describe('CompressionAdvisor', () => {
  it('should ask for auto_lz once GLZ images covering a screenful in the window do not compress', () => {
    const a = new CompressionAdvisor();
    const asks = feed(a, ImageType.GlzRgb, 1.02, { start: 0, count: 10, every: 100, pixels: SCREEN / 4 });
    // The fourth quarter-screen completes a screenful: that image triggers the request, once.
    expect(asks.slice(0, 3)).toEqual([null, null, null]);
    expect(asks[3]).toBe(ImageCompression.AutoLz);
    expect(asks.slice(4).every((x) => x === null)).toBe(true);
    expect(a.requested).toBe(ImageCompression.AutoLz);
    expect(a.changes).toBe(1);
  });

  it('should leave compressible GLZ alone, however much of it arrives', () => {
    const a = new CompressionAdvisor();
    expect(feed(a, ImageType.GlzRgb, 0.3, { start: 0, count: 200, every: 50, pixels: SCREEN }).every((x) => x === null)).toBe(true);
    expect(a.requested).toBeNull();
  });

  it('should not decide on less than a screenful inside the window, nor on images that fell out of it', () => {
    const a = new CompressionAdvisor();
    // One quarter-screen every 1.5 s: never more than two in a 3 s window.
    expect(feed(a, ImageType.GlzRgb, 1.1, { start: 0, count: 40, every: 1500, pixels: SCREEN / 4 }).every((x) => x === null)).toBe(true);
  });

  it('should take a screenful of a smaller screen as enough, but never less than 640x480', () => {
    const small = new CompressionAdvisor();
    // 1024x768: half a frame of noise does not decide, the other half does.
    expect(small.observe(ImageType.GlzRgb, 3 * 1024 * 384, 1024 * 384, 0, 1024 * 768)).toBeNull();
    expect(small.observe(ImageType.GlzRgb, 3 * 1024 * 384, 1024 * 384, 100, 1024 * 768)).toBe(ImageCompression.AutoLz);
    // A 320x200 screen still needs 640x480 pixels of images.
    const tiny = new CompressionAdvisor();
    const screen = 320 * 200;
    // Four full frames of the tiny screen: 256000 pixels, short of 640x480.
    for (let i = 0; i < 4; i++) expect(tiny.observe(ImageType.GlzRgb, 3 * screen, screen, i * 10, screen)).toBeNull();
    expect(tiny.observe(ImageType.GlzRgb, 3 * 640 * 480, 640 * 480, 100, screen)).toBe(ImageCompression.AutoLz);
  });

  it('should ignore other image types (QUIC, LZ4, JPEG) for the GLZ decision', () => {
    const a = new CompressionAdvisor();
    for (const type of [ImageType.Quic, ImageType.Lz4, ImageType.Jpeg, ImageType.ZlibGlzRgb]) {
      expect(feed(a, type, 1.2, { start: 0, count: 20, every: 50, pixels: SCREEN }).every((x) => x === null)).toBe(true);
    }
  });

  it('should go back to auto_glz after the dwell time once LZ images compress well, and not flap before it', () => {
    const a = new CompressionAdvisor();
    feed(a, ImageType.GlzRgb, 1.0, { start: 0, count: 4, every: 10, pixels: SCREEN });
    expect(a.requested).toBe(ImageCompression.AutoLz);
    // Compressible LZ right away: within the dwell time nothing changes.
    expect(feed(a, ImageType.LzRgb, 0.2, { start: 100, count: 50, every: 100, pixels: SCREEN }).every((x) => x === null)).toBe(true);
    // Incompressible LZ after the dwell: still LZ (no reason to go back).
    const t = DEFAULT_ADVISOR_OPTIONS.dwellMs + 1000;
    expect(feed(a, ImageType.LzRgb, 1.0, { start: t, count: 50, every: 100, pixels: SCREEN }).every((x) => x === null)).toBe(true);
    // Compressible LZ filling the window after the dwell: back to GLZ.
    const back = feed(a, ImageType.LzRgb, 0.2, { start: t + 5000, count: 60, every: 100, pixels: SCREEN / 8 });
    expect(back.filter((x) => x !== null)).toEqual([ImageCompression.AutoGlz]);
    expect(a.requested).toBe(ImageCompression.AutoGlz);
    expect(a.changes).toBe(2);
  });

  it('should keep its memory bounded over a long run of small images', () => {
    const a = new CompressionAdvisor();
    feed(a, ImageType.LzRgb, 0.9, { start: 0, count: 100_000, every: 1, pixels: 16 });
    expect((a as unknown as { samples: unknown[] }).samples.length).toBeLessThan(10_000);
  });
});
