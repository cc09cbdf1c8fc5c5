/**
 * A test-only QUIC encoder, written from spice-common's quic.c / quic_rgb_tmpl.c / quic_tmpl.c compress
 * paths, so tests can make QUIC payloads of any size, type and content and hand the same bytes to our decoder
 * and to spice-html5's. Slow and simple on purpose; it shares no code with src/codecs/quic.ts.
 */

export const QuicType = { Gray: 1, Rgb16: 2, Rgb24: 3, Rgb32: 4, Rgba: 5 } as const;

const J = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const TRIG = [110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140];
const bppmask = (n: number): number => (n >= 32 ? 0xffffffff : (1 << n) - 1) >>> 0;

// The same pseudo-random table as quic.c (tabrand_chaos), needed to space model updates identically.
const CHAOS = [
  0x02c57542, 0x35427717, 0x2f5a2153, 0x9244f155, 0x7bd26d07, 0x354c6052, 0x57329b28, 0x2993868e, 0x6cd8808c, 0x147b46e0,
  0x99db66af, 0xe32b4cac, 0x1b671264, 0x9d433486, 0x62a4c192, 0x06089a4b, 0x9e3dce44, 0xdaabee13, 0x222425ea, 0xa46f331d,
  0xcd589250, 0x8bb81d7f, 0xc8b736b9, 0x35948d33, 0xd7ac7fd0, 0x5fbe2803, 0x2cfbc105, 0x013dbc4e, 0x7a37820f, 0x39f88e9e,
  0xedd58794, 0xc5076689, 0xfcada5a4, 0x64c2f46d, 0xb3ba3243, 0x8974b4f9, 0x5a05aebd, 0x20afcd00, 0x39e2b008, 0x88a18a45,
  0x600bde29, 0xf3971ace, 0xf37b0a6b, 0x7041495b, 0x70b707ab, 0x06beffbb, 0x4206051f, 0xe13c4ee3, 0xc1a78327, 0x91aa067c,
  0x8295f72a, 0x732917a6, 0x1d871b4d, 0x4048f136, 0xf1840e7e, 0x6a6048c1, 0x696cb71a, 0x7ff501c3, 0x0fc6310b, 0x57e0f83d,
  0x8cc26e74, 0x11a525a2, 0x946934c7, 0x7cd888f0, 0x8f9d8604, 0x4f86e73b, 0x04520316, 0xdeeea20c, 0xf1def496, 0x67687288,
  0xf540c5b2, 0x22401484, 0x3478658a, 0xc2385746, 0x01979c2c, 0x5dad73c8, 0x0321f58b, 0xf0fedbee, 0x92826ddf, 0x284bec73,
  0x5b1a1975, 0x03df1e11, 0x20963e01, 0xa17cf12b, 0x740d776e, 0xa7a6bf3c, 0x01b5cce4, 0x1118aa76, 0xfc6fac0a, 0xce927e9b,
  0x00bf2567, 0x806f216c, 0xbca69056, 0x795bd3e9, 0xc9dc4557, 0x8929b6c2, 0x789d52ec, 0x3f3fbf40, 0xb9197368, 0xa38c15b5,
  0xc3b44fa8, 0xca8333b0, 0xb7e8d590, 0xbe807feb, 0xbf5f8360, 0xd99e2f5c, 0x372928e1, 0x7c757c4c, 0x0db5b154, 0xc01ede02,
  0x1fc86e78, 0x1f3985be, 0xb4805c77, 0x00c880fa, 0x974c1b12, 0x35ab0214, 0xb2dc840d, 0x5b00ae37, 0xd313b026, 0xb260969d,
  0x7f4c8879, 0x1734c4d3, 0x49068631, 0xb9f6a021, 0x6b863e6f, 0xcee5debf, 0x29f8c9fb, 0x53dd6880, 0x72b61223, 0x1f67a9fd,
  0x0a0f6993, 0x13e59119, 0x11cca12e, 0xfe6b6766, 0x16b6effc, 0x97918fc4, 0xc2b8a563, 0x94f2f741, 0x0bfa8c9a, 0xd1537ae8,
  0xc1da349c, 0x873c60ca, 0x95005b85, 0x9b5c080e, 0xbc8abbd9, 0xe1eab1d2, 0x6dac9070, 0x4ea9ebf1, 0xe0cf30d4, 0x1ef5bd7b,
  0xd161043e, 0x5d2fa2e2, 0xff5d3cae, 0x86ed9f87, 0x2aa1daa1, 0xbd731a34, 0x9e8f4b22, 0xb1c2c67a, 0xc21758c9, 0xa182215d,
  0xccb01948, 0x8d168df7, 0x04238cfe, 0x368c3dbc, 0x0aeadca5, 0xbad21c24, 0x0a71fee5, 0x9fc5d872, 0x54c152c6, 0xfc329483,
  0x6783384a, 0xeddb3e1c, 0x65f90e30, 0x884ad098, 0xce81675a, 0x4b372f7d, 0x68bf9a39, 0x43445f1e, 0x40f8d8cb, 0x90d5acb6,
  0x4cd07282, 0x349eeb06, 0x0c9d5332, 0x520b24ef, 0x80020447, 0x67976491, 0x2f931ca3, 0xfe9b0535, 0xfcd30220, 0x61a9e6cc,
  0xa487d8d7, 0x3f7c5dd1, 0x7d0127c5, 0x48f51d15, 0x60dea871, 0xc9a91cb7, 0x58b53bb3, 0x9d5e0b2d, 0x624a78b4, 0x30dbee1b,
  0x9bdf22e7, 0x1df5c299, 0x2d5643a7, 0xf4dd35ff, 0x03ca8fd6, 0x53b47ed8, 0x6f2c19aa, 0xfeb0c1f4, 0x49e54438, 0x2f2577e6,
  0xbf876969, 0x72440ea9, 0xfa0bafb8, 0x74f5b3a0, 0x7dd357cd, 0x89ce1358, 0x6ef2cdda, 0x1e7767f3, 0xa6be9fdb, 0x4f5f88f8,
  0xba994a3a, 0x08ca6b65, 0xe0893818, 0x9e00a16a, 0xf42bfc8f, 0x9972eedc, 0x749c8b51, 0x32c05f5e, 0xd706805f, 0x6bfbb7cf,
  0xd9210a10, 0x31a1db97, 0x923a9559, 0x37a7a1f6, 0x059f8861, 0xca493e62, 0x65157e81, 0x8f6467dd, 0xab85ff9f, 0x9331aff2,
  0x8616b9f5, 0xedbd5695, 0xee7e29b1, 0x313ac44f, 0xb903112f, 0x432ef649, 0xdc0a36c0, 0x61cf2bba, 0x81474925, 0xa8b6c7ad,
  0xee5931de, 0xb2f8158d, 0x59fb7409, 0x2e3dfaed, 0x9af25a3f, 0xe1fed4d5,
];

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
