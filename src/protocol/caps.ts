/**
 * Capability sets as the link stage carries them: bitmaps in u32 words, cap N = bit N%32 of word N/32.
 */

/** Packs capability bit indices into u32 words (as few words as needed). */
export function capsToWords(caps: readonly number[]): number[] {
  const words: number[] = [];
  for (const cap of caps) {
    const w = cap >>> 5;
    while (words.length <= w) words.push(0);
    words[w] = (words[w]! | (1 << (cap & 31))) >>> 0;
  }
  return words;
}

export function hasCap(words: readonly number[], cap: number): boolean {
  const w = words[cap >>> 5];
  return w !== undefined && (w & (1 << (cap & 31))) !== 0;
}

/** The bit indices set in `words`, ascending. */
export function wordsToCaps(words: readonly number[]): number[] {
  const caps: number[] = [];
  words.forEach((w, i) => {
    for (let b = 0; b < 32; b++) if (w & (1 << b)) caps.push(i * 32 + b);
  });
  return caps;
}
