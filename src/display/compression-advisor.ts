/**
 * CompressionAdvisor: decides when a display channel left on the server's image compression should ask for
 * another one (SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION) because of what the images show about the content.
 *
 * The case it exists for: content that does not compress (noise, photos or video that the server does not
 * stream) sent as GLZ, the server's default (`auto_glz`). GLZ then saves no bytes, yet spice-server's GLZ
 * encoder searches its shared dictionary for every image and holds the drawables for the window, and sends
 * several times fewer bytes per second than its LZ encoder on the same scene (measured against Xspice: about
 * 5 against 26 MiB/s, see the README's session benchmark). So when the GLZ images of the last few seconds
 * cover at least a screenful (at most 1920x1080, at least 640x480 pixels) and are barely smaller than their pixels, the advisor asks for `auto_lz`; when,
 * later, the LZ images of a few seconds compress well again, it asks for `auto_glz` back, so that GLZ's
 * references into earlier images save bytes on ordinary content. A dwell time between changes keeps it from
 * flapping on mixed content. It only observes images; the channel sends the message.
 *
 * Sizes are compared with 3 bytes per pixel (the colour bytes LZ and GLZ code for RGB images; an RGBA image's
 * alpha plane only makes the ratio smaller, which errs on the side of keeping GLZ).
 */
import { ImageCompression, ImageType } from '../protocol/constants.js';

export interface CompressionAdvisorOptions {
  /** Sliding window over which images are summed (ms). */
  windowMs: number;
  /**
   * Pixels the window must hold before a decision: a screenful (the primary surface's pixels, when the caller
   * gives them) but at most this many, so single small images decide nothing and a large screen does not need
   * seconds of full-screen frames.
   */
  minPixels: number;
  /** The least pixels a decision needs, whatever the screen's size. */
  floorPixels: number;
  /** GLZ bytes per colour byte at or above which GLZ counts as not compressing. */
  incompressible: number;
  /** LZ bytes per colour byte at or below which the content counts as compressing well again. */
  compressible: number;
  /** Least time between two requests (ms). */
  dwellMs: number;
}

export const DEFAULT_ADVISOR_OPTIONS: CompressionAdvisorOptions = {
  windowMs: 3000,
  minPixels: 1920 * 1080,
  floorPixels: 640 * 480,
  incompressible: 0.8,
  compressible: 0.5,
  dwellMs: 10_000,
};

type Family = 'glz' | 'lz';

interface Sample {
  at: number;
  family: Family;
  bytes: number;
  pixels: number;
}

export class CompressionAdvisor {
  private samples: Sample[] = [];
  private head = 0;
  /** Running sums of the samples from `head` on. */
  private readonly sums = { glz: { bytes: 0, pixels: 0 }, lz: { bytes: 0, pixels: 0 } };
  /** What the advisor last asked for (null: nothing, the server's own setting). */
  private asked: ImageCompression | null = null;
  private lastChange = -Infinity;
  /** Requests made so far (for diagnostics). */
  changes = 0;

  constructor(private readonly options: CompressionAdvisorOptions = DEFAULT_ADVISOR_OPTIONS) {}

  /** What the advisor asked for last, or null when it has not asked (the server's setting holds). */
  get requested(): ImageCompression | null {
    return this.asked;
  }

  /**
   * An image of type `type` arrived with `bytes` of payload for `pixels` pixels at time `now` (ms), on a screen
   * (primary surface) of `screenPixels` if known. Returns the compression to ask the server for, or null to
   * leave things as they are.
   */
  observe(type: number, bytes: number, pixels: number, now: number, screenPixels = 0): ImageCompression | null {
    const family: Family | null = type === ImageType.GlzRgb ? 'glz' : type === ImageType.LzRgb ? 'lz' : null;
    if (family === null || pixels <= 0) return null;
    this.samples.push({ at: now, family, bytes, pixels });
    this.sums[family].bytes += bytes;
    this.sums[family].pixels += pixels;
    this.expire(now);
    if (now - this.lastChange < this.options.dwellMs) return null;
    const { minPixels, floorPixels } = this.options;
    const want = this.decide(screenPixels > 0 ? Math.max(floorPixels, Math.min(minPixels, screenPixels)) : minPixels);
    if (want === null || want === this.asked) return null;
    this.asked = want;
    this.lastChange = now;
    this.changes++;
    this.samples = [];
    this.head = 0;
    for (const sum of Object.values(this.sums)) sum.bytes = sum.pixels = 0;
    return want;
  }

  private expire(now: number): void {
    const from = now - this.options.windowMs;
    while (this.head < this.samples.length && this.samples[this.head]!.at < from) {
      const old = this.samples[this.head++]!;
      this.sums[old.family].bytes -= old.bytes;
      this.sums[old.family].pixels -= old.pixels;
    }
    if (this.head > 1024 && this.head * 2 > this.samples.length) {
      this.samples = this.samples.slice(this.head);
      this.head = 0;
    }
  }

  private decide(minPixels: number): ImageCompression | null {
    const { glz, lz } = this.sums;
    const { incompressible, compressible } = this.options;
    if (this.asked !== ImageCompression.AutoLz) {
      if (glz.pixels >= minPixels && glz.bytes >= incompressible * 3 * glz.pixels) return ImageCompression.AutoLz;
      return null;
    }
    // Asked for LZ: back to GLZ once LZ images compress well again (and no GLZ is still arriving that does not).
    if (lz.pixels >= minPixels && lz.bytes <= compressible * 3 * lz.pixels) return ImageCompression.AutoGlz;
    return null;
  }
}
