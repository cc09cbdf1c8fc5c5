/**
 * Test-only encoders for the LZ family — SPICE LZ (lz_compress_tmpl.c's code format), GLZ (the encoder side of
 * decode-glz-tmpl.c's format, with references into earlier images) and the SPICE LZ4 image framing with a
 * plain LZ4 block encoder — so tests can build payloads of any type, size and content. Greedy matching over a
 * small hash chain: slow, simple, and sharing no code with src/codecs.
 */

/** Tunable knobs so tests can force long matches, long distances, literal-only streams... */
export interface MatchOptions {
  /** Maximum match length in units (default unlimited). */
  maxLen?: number;
  /** Never emit matches (literals only). */
  noMatches?: boolean;
  /** Candidates tried per position. */
  chain?: number;
}

interface Unit {
  /** Units to code (pixels or bytes), as comparable numbers. */
  values: ArrayLike<number>;
  /** Bytes of one literal unit. */
  literal: (index: number) => number[];
  /** Smallest match length the format can express. */
  minLen: number;
}

function findMatch(values: ArrayLike<number>, pos: number, head: Map<number, number[]>, minLen: number, maxDist: number, opts: MatchOptions): [number, number] {
  if (opts.noMatches) return [0, 0];
  const cands = head.get(values[pos]!) ?? [];
  let bestLen = 0;
  let bestDist = 0;
  const maxLen = Math.min(opts.maxLen ?? Infinity, values.length - pos);
  for (let k = cands.length - 1, tried = 0; k >= 0 && tried < (opts.chain ?? 16); k--, tried++) {
    const c = cands[k]!;
    if (pos - c > maxDist) break;
    let l = 0;
    while (l < maxLen && values[c + l] === values[pos + l]) l++;
    if (l > bestLen) {
      bestLen = l;
      bestDist = pos - c;
    }
  }
  return bestLen >= minLen ? [bestLen, bestDist] : [0, 0];
}

function remember(values: ArrayLike<number>, pos: number, head: Map<number, number[]>): void {
  const v = values[pos]!;
  let list = head.get(v);
  if (!list) head.set(v, (list = []));
  list.push(pos);
  if (list.length > 64) list.splice(0, 32);
}

/** LZ code (no header) for `unit`; `bias` = what the decoder adds to the 3-bit length (RGB 0, RGB16 1, bytes 2). */
function lzCode(unit: Unit, bias: number, opts: MatchOptions): number[] {
  const out: number[] = [];
  const { values } = unit;
  const n = values.length;
  const head = new Map<number, number[]>();
  let lit: number[] = [];
  const flush = (): void => {
    for (let i = 0; i < lit.length; i += 32) {
      const run = lit.slice(i, i + 32);
      out.push(run.length - 1);
      for (const u of run) out.push(...unit.literal(u));
    }
    lit = [];
  };
  let pos = 0;
  while (pos < n) {
    const [len, dist] = findMatch(values, pos, head, unit.minLen, 8191 + 65535 + 1, opts);
    if (len) {
      flush();
      const code = len - bias; // what ctrl>>5 plus extension bytes must sum to
      const ofs = dist - 1;
      const long = ofs >= 8191;
      const hi = long ? 31 : ofs >> 8;
      if (code < 7) out.push((code << 5) | hi);
      else {
        out.push((7 << 5) | hi);
        let rest = code - 7;
        while (rest >= 255) {
          out.push(255);
          rest -= 255;
        }
        out.push(rest);
      }
      if (long) out.push(255, ((ofs - 8191) >> 8) & 255, (ofs - 8191) & 255);
      else out.push(ofs & 255);
      for (let k = 0; k < len; k++) remember(values, pos + k, head);
      pos += len;
    } else {
      lit.push(pos);
      remember(values, pos, head);
      pos++;
    }
  }
  flush();
  return out;
}

export const LzType = { Plt1Le: 1, Plt1Be: 2, Plt4Le: 3, Plt4Be: 4, Plt8: 5, Rgb16: 6, Rgb24: 7, Rgb32: 8, Rgba: 9, Xxxa: 10, A8: 11 } as const;

/** out.push(...items) without the argument-count limit of spread. */
function append(out: number[], items: number[]): void {
  for (const v of items) out.push(v);
}

function header(magicFields: number[]): number[] {
  const out: number[] = [];
  for (const v of magicFields) out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  return out;
}

/**
 * An LZ payload (header + code) of `type` for rows stored in stream order (`topDown` says how they map to the
 * screen; the encoder does not flip). Input per type: RGB32/RGB24/RGBA/XXXA: B,G,R,A bytes per pixel;
 * RGB16: little-endian x1r5g5b5 u16 per pixel; PLT and A8: the raw unit bytes (`stride` per row).
 */
export function encodeLz(type: number, width: number, height: number, data: Uint8Array, topDown: boolean, stride: number, opts: MatchOptions = {}): Uint8Array {
  const out = header([0x20205a4c, 0x00010001, type, width, height, stride, topDown ? 1 : 0]);
  const n = width * height;
  if (type === LzType.Rgb32 || type === LzType.Rgb24 || type === LzType.Rgba) {
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = data[i * 4]! | (data[i * 4 + 1]! << 8) | (data[i * 4 + 2]! << 16);
    append(out, lzCode({ values, literal: (i) => [data[i * 4]!, data[i * 4 + 1]!, data[i * 4 + 2]!], minLen: 1 }, 0, opts));
  }
  if (type === LzType.Rgba || type === LzType.Xxxa) {
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = data[i * 4 + 3]!;
    append(out, lzCode({ values, literal: (i) => [data[i * 4 + 3]!], minLen: 3 }, 2, opts));
  }
  if (type === LzType.Rgb16) {
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = (data[i * 2]! | (data[i * 2 + 1]! << 8)) & 0x7fff;
    append(out, lzCode({ values, literal: (i) => [values[i]! >> 8, values[i]! & 255], minLen: 2 }, 1, opts));
  }
  if (type <= LzType.Plt8 || type === LzType.A8) {
    const units = type === LzType.A8 ? n : stride * height;
    const values = Array.from(data.subarray(0, units));
    append(out, lzCode({ values, literal: (i) => [values[i]!], minLen: 3 }, 2, opts));
  }
  return Uint8Array.from(out);
}

/** Earlier GLZ images the encoder may reference: id -> pixels (B,G,R,A per pixel, stream order). */
export type GlzHistory = Map<number, Uint8Array>;

/**
 * A GLZ payload of an RGB32 / RGBA image (B,G,R,A bytes per pixel, stream order), which may reference the
 * images in `history` (ids in [id - winHeadDist, id)).
 */
export function encodeGlz(
  type: number,
  width: number,
  height: number,
  data: Uint8Array,
  topDown: boolean,
  id: number,
  winHeadDist: number,
  history: GlzHistory,
  opts: MatchOptions = {},
): Uint8Array {
  const out = header([0x20205a4c, 0x00010001]);
  out.push((type & 0x0f) | (topDown ? 0x10 : 0));
  out.push(...header([width, height, width * 4]));
  out.push(0, 0, 0, 0, ...header([id]), ...header([winHeadDist]));
  const n = width * height;
  const rgbOf = (d: Uint8Array, i: number): number => d[i * 4]! | (d[i * 4 + 1]! << 8) | (d[i * 4 + 2]! << 16);
  const passes: { values: number[]; lit: (i: number) => number[]; bias: number; key: (d: Uint8Array, i: number) => number }[] = [];
  if (type === LzType.Rgb32 || type === LzType.Rgba) {
    const values = Array.from({ length: n }, (_, i) => rgbOf(data, i));
    passes.push({ values, lit: (i) => [data[i * 4]!, data[i * 4 + 1]!, data[i * 4 + 2]!], bias: 0, key: rgbOf });
  }
  if (type === LzType.Rgba) {
    const values = Array.from({ length: n }, (_, i) => data[i * 4 + 3]!);
    passes.push({ values, lit: (i) => [data[i * 4 + 3]!], bias: 2, key: (d, i) => d[i * 4 + 3]! });
  }
  for (const pass of passes) {
    const { values } = pass;
    const head = new Map<number, number[]>();
    let lit: number[] = [];
    const flush = (): void => {
      for (let i = 0; i < lit.length; i += 32) {
        const run = lit.slice(i, i + 32);
        out.push(run.length - 1);
        for (const u of run) out.push(...pass.lit(u));
      }
      lit = [];
    };
    const emit = (len: number, imageDist: number, pixelOfs: number): void => {
      flush();
      const code = len - pass.bias;
      const longOfs = imageDist === 0 ? pixelOfs >= 4096 : pixelOfs >= 4096 || imageDist >= 1 << 14;
      // long form: image_dist in whole bytes, pixel offset up to 25 bits
      const pixelFlag = longOfs ? 1 : 0;
      const lenField = code < 7 ? code : 7;
      out.push((lenField << 5) | (pixelFlag << 4) | (pixelOfs & 0x0f));
      if (code >= 7) {
        let rest = code - 7;
        while (rest >= 255) {
          out.push(255);
          rest -= 255;
        }
        out.push(rest);
      }
      out.push((pixelOfs >> 4) & 0xff);
      if (!pixelFlag) {
        const extra = imageDist < 64 ? 0 : imageDist < 1 << 14 ? 1 : 2;
        out.push((extra << 6) | (imageDist & 0x3f));
        for (let k = 0; k < extra; k++) out.push((imageDist >> (6 + 8 * k)) & 255);
      } else {
        const extra = imageDist === 0 ? 0 : imageDist < 256 ? 1 : imageDist < 65536 ? 2 : 3;
        const veryLong = pixelOfs >= 1 << 17 ? 1 : 0;
        out.push((extra << 6) | (veryLong << 5) | ((pixelOfs >> 12) & 0x1f));
        for (let k = 0; k < extra; k++) out.push((imageDist >> (8 * k)) & 255);
        if (veryLong) out.push((pixelOfs >> 17) & 255);
      }
    };
    let pos = 0;
    const minLen = pass.bias === 0 ? 1 : 3;
    while (pos < n) {
      // Try the history first (longest run from any earlier image), then this image.
      let best: [number, number, number] = [0, 0, 0]; // len, imageDist, pixelOfs
      if (!opts.noMatches) {
        for (const [hid, hdata] of history) {
          if (hid >= id || hid < id - winHeadDist) continue;
          const hn = hdata.length / 4;
          for (let start = 0; start < hn; start++) {
            if (pass.key(hdata, start) !== values[pos]) continue;
            let l = 0;
            const maxLen = Math.min(opts.maxLen ?? Infinity, n - pos, hn - start);
            while (l < maxLen && pass.key(hdata, start + l) === values[pos + l]) l++;
            if (l > best[0]) best = [l, id - hid, start];
            if (l > 64) break;
          }
        }
        const [l, d] = findMatch(values, pos, head, minLen, 1 << 24, opts);
        if (l > best[0]) best = [l, 0, d - 1];
      }
      if (best[0] >= minLen) {
        emit(best[0], best[1], best[2]);
        for (let k = 0; k < best[0]; k++) remember(values, pos + k, head);
        pos += best[0];
      } else {
        lit.push(pos);
        remember(values, pos, head);
        pos++;
      }
    }
    flush();
  }
  return Uint8Array.from(out);
}

/** One LZ4 block for src[from, to), where matches may reach back to src[0] (streaming). */
function lz4Block(src: Uint8Array, from: number, to: number, opts: MatchOptions): number[] {
  const out: number[] = [];
  const head = new Map<number, number[]>();
  const key = (i: number): number => src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24);
  for (let i = Math.max(0, from - 65535); i + 4 <= from; i++) {
    const k = key(i);
    let list = head.get(k);
    if (!list) head.set(k, (list = []));
    list.push(i);
  }
  let anchor = from;
  let pos = from;
  const lastLiterals = to - 5; // LZ4 rule: the last 5 bytes are literals, a match ends 12 bytes before the end
  const putLen = (n: number): void => {
    for (; n >= 255; n -= 255) out.push(255);
    out.push(n);
  };
  while (pos + 12 <= to && !opts.noMatches) {
    const k = key(pos);
    const cands = head.get(k) ?? [];
    let bestLen = 0;
    let bestPos = 0;
    for (let c = cands.length - 1, tried = 0; c >= 0 && tried < 8; c--, tried++) {
      const cp = cands[c]!;
      if (pos - cp > 65535) break;
      let l = 0;
      while (pos + l < lastLiterals && src[cp + l] === src[pos + l] && l < (opts.maxLen ?? Infinity)) l++;
      if (l > bestLen) {
        bestLen = l;
        bestPos = cp;
      }
    }
    let list = head.get(k);
    if (!list) head.set(k, (list = []));
    list.push(pos);
    if (bestLen < 4) {
      pos++;
      continue;
    }
    const litLen = pos - anchor;
    const mlen = bestLen - 4;
    out.push((Math.min(litLen, 15) << 4) | Math.min(mlen, 15));
    if (litLen >= 15) putLen(litLen - 15);
    for (let i = anchor; i < pos; i++) out.push(src[i]!);
    const off = pos - bestPos;
    out.push(off & 255, off >> 8);
    if (mlen >= 15) putLen(mlen - 15);
    pos += bestLen;
    anchor = pos;
  }
  const litLen = to - anchor;
  out.push(Math.min(litLen, 15) << 4);
  if (litLen >= 15) putLen(litLen - 15);
  for (let i = anchor; i < to; i++) out.push(src[i]!);
  return out;
}

/**
 * A SPICE LZ4 image payload: top_down, format, then one block per `rowsPerBlock` rows of `raw` (rows of
 * width * bytes-per-pixel, stream order), each block allowed to reference earlier ones.
 */
export function encodeLz4Image(raw: Uint8Array, rowBytes: number, topDown: boolean, format: number, rowsPerBlock: number, opts: MatchOptions = {}): Uint8Array {
  const out: number[] = [topDown ? 1 : 0, format];
  const rows = raw.length / rowBytes;
  for (let r = 0; r < rows; r += rowsPerBlock) {
    const block = lz4Block(raw, r * rowBytes, Math.min(rows, r + rowsPerBlock) * rowBytes, opts);
    out.push((block.length >>> 24) & 255, (block.length >>> 16) & 255, (block.length >>> 8) & 255, block.length & 255);
    append(out, block);
  }
  return Uint8Array.from(out);
}
