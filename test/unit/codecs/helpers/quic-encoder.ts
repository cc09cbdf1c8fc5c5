/**
 * A test-only QUIC encoder, written from spice-common's quic.c / quic_rgb_tmpl.c / quic_tmpl.c compress
 * paths, so tests can make QUIC payloads of any size, type and content and hand the same bytes to our decoder
 * and to spice-html5's. Slow and simple on purpose; it shares no code with src/codecs/quic.ts
 * beyond the format's constant random table.
 */

import { QUIC_TABRAND_CHAOS } from '../../../../src/codecs/quic.js';

export const QuicType = { Gray: 1, Rgb16: 2, Rgb24: 3, Rgb32: 4, Rgba: 5 } as const;

const J = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const TRIG = [110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140];
const bppmask = (n: number): number => (n >= 32 ? 0xffffffff : (1 << n) - 1) >>> 0;

// quic.c's pseudo-random table (tabrand_chaos), a constant of the format that spaces model updates identically.
const CHAOS = QUIC_TABRAND_CHAOS;

interface Fam {
  bpc: number;
  mask: number;
  nGR: number[];
  notGRcwlen: number[];
  u2l: number[];
  buckets: number[];
}

function family(bpc: number): Fam {
  const nGR: number[] = [];
  const notGRcwlen: number[] = [];
  for (let l = 0; l < bpc; l++) {
    let alt = 26 - bpc;
    if (alt > bppmask(bpc - l)) alt = bppmask(bpc - l);
    const altcodewords = bppmask(bpc) + 1 - (alt << l);
    let sl = 0;
    if (altcodewords > 1) for (let v = altcodewords - 1; v > 0; v >>= 1) sl++;
    nGR.push(alt << l);
    notGRcwlen.push(alt + sl);
  }
  const mask = bppmask(bpc);
  const u2l: number[] = [];
  for (let s = 0; s <= mask; s++) u2l.push(s <= mask >> 1 ? s << 1 : ((mask - s) << 1) + 1);
  // bucket of each context value (quic.c find_model_params, evolution 3: sizes 1, 2, 4, ..., last absorbs the rest)
  const buckets: number[] = [];
  const levels = mask + 1;
  let bend = 0;
  let bsize = 1;
  let repcntr = 2;
  let nb = 0;
  do {
    const bstart = nb ? bend + 1 : 0;
    if (!--repcntr) {
      repcntr = 1;
      bsize *= 2;
    }
    bend = bstart + bsize - 1;
    if (bend + bsize >= levels) bend = levels - 1;
    for (let v = bstart; v <= bend; v++) buckets[v] = nb;
    nb++;
  } while (bend < levels - 1);
  return { bpc, mask, nGR, notGRcwlen, u2l, buckets };
}

class Writer {
  words: number[] = [];
  word = 0;
  avail = 32;
  put(value: number, len: number): void {
    const delta = this.avail - len;
    if (delta >= 0) {
      this.avail = delta;
      this.word = (this.word | (value << delta)) >>> 0;
      return;
    }
    this.word = (this.word | (value >>> -delta)) >>> 0;
    this.words.push(this.word);
    this.avail = 32 + delta;
    this.word = (value << this.avail) >>> 0;
  }
  put32(v: number): void {
    this.put(v >>> 16, 16);
    this.put(v & 0xffff, 16);
  }
  flush(): void {
    if (this.avail > 0 && this.avail !== 32) this.put(0, this.avail);
    this.put32(0);
    this.put(0, 1);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.words.length * 4);
    const dv = new DataView(out.buffer);
    this.words.forEach((w, i) => dv.setUint32(i * 4, w, true));
    return out;
  }
}

class State {
  waitcnt = 0;
  seed = 0xff;
  wmidx = 0;
  wmileft = 2048;
  trigger = TRIG[0]!;
  melcstate = 0;
  melclen = 0;
  melcorder = 1;
  rand(): number {
    this.seed = (this.seed + 1) & 0xff;
    return CHAOS[this.seed]!;
  }
}

interface Channel {
  corr: number[]; // index i+1 = pixel i, [0] = "[-1]"
  best: number[];
  counters: number[][];
}

class Encoder {
  w = new Writer();
  rgb = new State();
  st: State[] = [new State(), new State(), new State(), new State()];
  ch: Channel[];
  constructor(
    readonly fam: Fam,
    readonly width: number,
  ) {
    const nb = Math.max(...fam.buckets) + 1;
    this.ch = [0, 1, 2, 3].map(() => ({
      corr: new Array<number>(width + 1).fill(0),
      best: new Array<number>(nb).fill(fam.bpc - 1),
      counters: Array.from({ length: nb }, () => new Array<number>(8).fill(0)),
    }));
  }
  codeLen(n: number, l: number): number {
    return n < this.fam.nGR[l]! ? (n >>> l) + l + 1 : this.fam.notGRcwlen[l]!;
  }
  golomb(n: number, l: number): void {
    if (n < this.fam.nGR[l]!) {
      // n>>l zeroes, a one, then the l low bits; split long zero prefixes (< 32 bits per put)
      let zeros = n >>> l;
      while (zeros > 16) {
        this.w.put(0, 16);
        zeros -= 16;
      }
      const word = ((1 << l) | (n & bppmask(l))) >>> 0;
      const len = zeros + l + 1;
      this.w.put(word, len);
    } else {
      const len = this.fam.notGRcwlen[l]!;
      const word = n - this.fam.nGR[l]!;
      if (len > 16) {
        this.w.put(0, len - 16);
        this.w.put(word, 16);
      } else this.w.put(word, len);
    }
  }
  update(st: State, c: Channel, bucketCtx: number, value: number): void {
    const b = this.fam.buckets[bucketCtx]!;
    const cnt = c.counters[b]!;
    const bpc = this.fam.bpc;
    let best = bpc - 1;
    let bestLen = (cnt[best] += this.codeLen(value, best));
    for (let l = bpc - 2; l >= 0; l--) {
      const len = (cnt[l] += this.codeLen(value, l));
      if (len < bestLen) {
        best = l;
        bestLen = len;
      }
    }
    c.best[b] = best;
    if (bestLen > st.trigger) for (let l = 0; l < bpc; l++) cnt[l] = cnt[l]! >>> 1;
  }
  encodeRun(st: State, runlen: number): void {
    let hits = 0;
    while (runlen >= st.melcorder) {
      hits++;
      runlen -= st.melcorder;
      if (st.melcstate < 31) {
        st.melclen = J[++st.melcstate]!;
        st.melcorder = 1 << st.melclen;
      }
    }
    for (; hits >= 16; hits -= 16) this.w.put(0xffff, 16);
    if (hits) this.w.put((1 << hits) - 1, hits);
    this.w.put(runlen, st.melclen + 1);
    if (st.melcstate) {
      st.melclen = J[--st.melcstate]!;
      st.melcorder = 1 << st.melclen;
    }
  }
}

/**
 * Encodes `planes` (one array of width*height values per channel, already reduced to the type's depth: 5 bits
 * for RGB16) as a QUIC payload of `type`. RGB types take [r, g, b] (+ [a] for RGBA), GRAY takes [gray].
 */
export function encodeQuic(type: number, width: number, height: number, planes: ArrayLike<number>[]): Uint8Array {
  const bpc = type === QuicType.Rgb16 ? 5 : 8;
  const e = new Encoder(family(bpc), width);
  const w = e.w;
  w.put32(0x43495551);
  w.put32(0);
  w.put32(type);
  w.put32(width);
  w.put32(height);
  const rgbCount = type === QuicType.Gray ? 0 : 3;
  const val = (c: number, y: number, x: number): number => planes[c]![y * width + x]!;

  const rowWm = (st: State, seg: (pos: number, end: number, waitmask: number) => void): void => {
    let pos = 0;
    let width_ = width;
    while (6 > st.wmidx && st.wmileft <= width_) {
      if (st.wmileft) {
        seg(pos, pos + st.wmileft, bppmask(st.wmidx));
        width_ -= st.wmileft;
        pos += st.wmileft;
      }
      st.wmidx++;
      st.trigger = TRIG[Math.min(st.wmidx, 10)]!;
      st.wmileft = 2048;
    }
    if (width_) {
      seg(pos, pos + width_, bppmask(st.wmidx));
      if (6 > st.wmidx) st.wmileft -= width_;
    }
  };

  // chans: plane indices coded together with state st (RGB: 0,1,2 with the shared state; else one channel)
  const row0 = (chans: number[], st: State, y: number): void => {
    rowWm(st, (i, end, waitmask) => {
      const code = (x: number): void => {
        for (const c of chans) {
          const ch = e.ch[c]!;
          const v = x === 0 ? val(c, y, 0) : (val(c, y, x) - val(c, y, x - 1)) & e.fam.mask;
          const r = e.fam.u2l[v]!;
          ch.corr[x + 1] = r;
          e.golomb(r, ch.best[e.fam.buckets[ch.corr[x]!]!]!);
        }
      };
      const upd = (x: number): void => {
        for (const c of chans) e.update(st, e.ch[c]!, e.ch[c]!.corr[x]!, e.ch[c]!.corr[x + 1]!);
      };
      let stop: number;
      if (i === 0) {
        code(0);
        if (st.waitcnt) st.waitcnt--;
        else {
          st.waitcnt = st.rand() & waitmask;
          upd(0);
        }
        stop = ++i + st.waitcnt;
      } else stop = i + st.waitcnt;
      while (stop < end) {
        for (; i <= stop; i++) code(i);
        upd(stop);
        stop = i + (st.rand() & waitmask);
      }
      for (; i < end; i++) code(i);
      st.waitcnt = stop - end;
    });
  };

  const row = (chans: number[], st: State, y: number): void => {
    const same = (ya: number, xa: number, yb: number, xb: number): boolean => chans.every((c) => val(c, ya, xa) === val(c, yb, xb));
    rowWm(st, (i, end, waitmask) => {
      const code = (x: number): void => {
        for (const c of chans) {
          const ch = e.ch[c]!;
          const pred = x === 0 ? val(c, y - 1, 0) : (val(c, y, x - 1) + val(c, y - 1, x)) >>> 1;
          const r = e.fam.u2l[(val(c, y, x) - pred) & e.fam.mask]!;
          ch.corr[x + 1] = r;
          e.golomb(r, ch.best[e.fam.buckets[ch.corr[x]!]!]!);
        }
      };
      const upd = (x: number): void => {
        for (const c of chans) e.update(st, e.ch[c]!, e.ch[c]!.corr[x]!, e.ch[c]!.corr[x + 1]!);
      };
      let stop: number;
      let runIndex = 0;
      if (i === 0) {
        code(0);
        if (st.waitcnt) st.waitcnt--;
        else {
          st.waitcnt = st.rand() & waitmask;
          upd(0);
        }
        stop = ++i + st.waitcnt;
      } else stop = i + st.waitcnt;
      const wantRun = (x: number): boolean => same(y - 1, x - 1, y - 1, x) && runIndex !== x && x > 2 && same(y, x - 1, y, x - 2);
      for (;;) {
        let run = false;
        outer: while (stop < end) {
          for (; i <= stop; i++) {
            if (wantRun(i)) {
              run = true;
              break outer;
            }
            code(i);
          }
          upd(stop);
          stop = i + (st.rand() & waitmask);
        }
        if (!run) {
          for (; i < end; i++) {
            if (wantRun(i)) {
              run = true;
              break;
            }
            code(i);
          }
        }
        if (!run) {
          st.waitcnt = stop - end;
          return;
        }
        runIndex = i;
        st.waitcnt = stop - i;
        let size = 0;
        let done = false;
        while (same(y, i, y, i - 1)) {
          size++;
          if (++i === end) {
            done = true;
            break;
          }
        }
        e.encodeRun(st, size);
        if (done) return;
        stop = i + st.waitcnt;
      }
    });
  };

  const rgb = [0, 1, 2];
  for (let y = 0; y < height; y++) {
    if (rgbCount) {
      for (const c of rgb) e.ch[c]!.corr[0] = y === 0 ? 0 : e.ch[c]!.corr[1]!;
      (y === 0 ? row0 : row)(rgb, e.rgb, y);
      if (type === QuicType.Rgba) {
        e.ch[3]!.corr[0] = y === 0 ? 0 : e.ch[3]!.corr[1]!;
        (y === 0 ? row0 : row)([3], e.st[3]!, y);
      }
    } else {
      e.ch[0]!.corr[0] = y === 0 ? 0 : e.ch[0]!.corr[1]!;
      (y === 0 ? row0 : row)([0], e.st[0]!, y);
    }
  }
  w.flush();
  return w.bytes();
}

/** Splits top-down RGBA bytes into the planes `encodeQuic` wants for `type`. */
export function rgbaToPlanes(type: number, rgba: Uint8Array, n: number): Uint8Array[] {
  const plane = (k: number, shift: number): Uint8Array => {
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i++) p[i] = rgba[i * 4 + k]! >> shift;
    return p;
  };
  if (type === QuicType.Gray) return [plane(0, 0)];
  const s = type === QuicType.Rgb16 ? 3 : 0;
  const planes = [plane(0, s), plane(1, s), plane(2, s)];
  if (type === QuicType.Rgba) planes.push(plane(3, 0));
  return planes;
}
