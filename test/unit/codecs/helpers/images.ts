/** Deterministic test images (top-down RGBA bytes) with the traits codecs care about. */

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Pattern = 'gradient' | 'noise' | 'flat' | 'desktop' | 'photo';

/**
 * gradient: smooth ramps; noise: random bytes; flat: large single-colour areas (runs); desktop: flat areas,
 * window frames and "text" (what an X or Windows desktop sends); photo: smooth noise like a photograph.
 * Alpha varies too (so RGBA codecs are exercised) unless `opaque`.
 */
export function makeImage(width: number, height: number, pattern: Pattern, seed = 1, opaque = false): Uint8Array {
  const r = rng(seed);
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      let R: number, G: number, B: number, A: number;
      switch (pattern) {
        case 'gradient':
          R = (x * 255) / Math.max(1, width - 1);
          G = (y * 255) / Math.max(1, height - 1);
          B = ((x + y) * 4) & 255;
          A = 255 - ((x * 3) & 255);
          break;
        case 'noise':
          R = r() * 256;
          G = r() * 256;
          B = r() * 256;
          A = r() * 256;
          break;
        case 'flat': {
          const band = (Math.floor(x / 37) + Math.floor(y / 23)) % 4;
          R = [20, 200, 90, 255][band]!;
          G = [30, 200, 10, 255][band]!;
          B = [140, 200, 60, 255][band]!;
          A = band === 3 ? 0 : 255;
          break;
        }
        case 'desktop': {
          const inWin = x > width / 8 && x < (width * 7) / 8 && y > height / 6 && y < (height * 5) / 6;
          const title = inWin && y < height / 6 + 12;
          const glyph = inWin && !title && ((x >> 2) * 7 + (y >> 3) * 13) % 11 < 3 && (x & 3) !== 0 && (y & 7) < 6;
          [R, G, B] = title ? [40, 80, 160] : glyph ? [0, 0, 0] : inWin ? [240, 240, 240] : [58, 110, 165];
          A = 255;
          break;
        }
        default: {
          const n = r() * 24 - 12;
          R = 128 + 100 * Math.sin(x / 17 + y / 29) + n;
          G = 128 + 90 * Math.sin(y / 13 - x / 41) + n;
          B = 128 + 80 * Math.cos((x + y) / 23) + n;
          A = 200 + 55 * Math.sin(x / 9);
        }
      }
      px[i] = Math.max(0, Math.min(255, R | 0));
      px[i + 1] = Math.max(0, Math.min(255, G | 0));
      px[i + 2] = Math.max(0, Math.min(255, B | 0));
      px[i + 3] = opaque ? 255 : Math.max(0, Math.min(255, A | 0));
    }
  }
  return px;
}

/** The index and values of the first differing byte, for readable failures. */
export function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i} (pixel ${i >> 2}, channel ${i & 3}): ${a[i]} vs ${b[i]}`;
  return 'equal';
}
