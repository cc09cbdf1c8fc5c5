/**
 * QUIC image decoder (SPICE_IMAGE_TYPE_QUIC): the lossless SFALIC-based codec spice-server picks for
 * photo-like bitmaps. Owns the bit reader, the Golomb-Rice code families, the adaptive bucket models and the
 * run-length (MELCODE) state, written from the format as spice-common's quic.c decodes it.
 *
 * Stream: little-endian u32 words read MSB-first as one bit stream. Header words magic "QUIC", version 0,
 * type, width, height; then rows top-down. Each channel value is predicted (row 0: from the left pixel; other
 * rows: from the average of left and above), the residual is Golomb-Rice coded with a code picked by an
 * adaptive model keyed on the previous residual of that channel, and the model is updated at pseudo-random
 * intervals ("wait mask") that widen as the image goes on. RGB rows share one state across the three
 * channels and code runs of repeated pixels; the alpha (RGBA) and gray planes run their own channel state.
 *
 * Types: RGB32 / RGB24 (8 bits per channel), RGBA (RGB then alpha per row), RGB16 (5 bits per channel,
 * widened as (v << 3) | (v >> 2)), GRAY (R = G = B). Output is RGBA top-down; alpha 255 except for RGBA.
 * Corrupt or truncated input throws ProtocolError (the reader never reads past the payload, runs never past
 * the row); work is bounded by the pixel count, so it cannot hang.
 *
 * Speed: each row segment alternates between a hot loop (`*Run`) and the rare work it hands back. The hot
 * loops contain no calls, which lets V8 keep their state in registers: one table lookup (`Family.table`) gives
 * a codeword's length, residual and signed difference at once; the RGB loop reloads the bit window once per
 * pixel, not once per codeword; pixels are written as little-endian words (a big-endian host is refused; no
 * browser platform is one). They stop at a model update, a run, or a codeword too long for the table, which
 * the segment then handles (the latter by re-decoding that pixel with the general decoder). `out` lets the
 * caller supply the output buffer.
 *
 * Length: this file is over the project's ~600-line guide on purpose: the hot loops are written out per pixel
 * type instead of sharing helpers (a call would cost the registers above); splitting them apart would only
 * scatter one decoder over several files.
 */
import { ProtocolError } from '../protocol/errors.js';
import { type DecodedImage, type DecodeLimits, DEFAULT_LIMITS, LITTLE_ENDIAN, allocImage, checkDimensions } from './types.js';

/** QUIC_IMAGE_TYPE_* (spice-common quic.h). */
export const QuicImageType = {
  Invalid: 0,
  Gray: 1,
  Rgb16: 2,
  Rgb24: 3,
  Rgb32: 4,
  Rgba: 5,
} as const;
export type QuicImageType = (typeof QuicImageType)[keyof typeof QuicImageType];

/** "QUIC" as the first little-endian word of the stream. */
export const QUIC_MAGIC = 0x43495551;
/** Major 0, minor 0 (quic.c writes its major twice). */
export const QUIC_VERSION = 0;

export interface QuicHeader {
  type: number;
  width: number;
  height: number;
}

// ---- Code families and model constants (quic.c: DEFevol 3, DEFwmimax 6, DEFwminext 2048, DEFmaxclen 26) ----

const WMI_MAX = 6;
const WMI_NEXT = 2048;
const MAX_CODE_LEN = 26;
const MELC_STATES = 32;
const J = new Uint8Array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
/** wm_trigger per wait-mask index for evolution mode 3. */
const TRIGGERS = new Uint16Array([110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140]);
const BPP_MASK = new Uint32Array(33);
for (let i = 1; i <= 32; i++) BPP_MASK[i] = i === 32 ? 0xffffffff : (1 << i) - 1;

/** The pseudo-random table that spaces model updates (quic.c tabrand_chaos). */
export const QUIC_TABRAND_CHAOS = new Uint32Array([
  0x02c57542, 0x35427717, 0x2f5a2153, 0x9244f155, 0x7bd26d07, 0x354c6052, 0x57329b28, 0x2993868e, 0x6cd8808c, 0x147b46e0, 0x99db66af, 0xe32b4cac, 0x1b671264, 0x9d433486,
  0x62a4c192, 0x06089a4b, 0x9e3dce44, 0xdaabee13, 0x222425ea, 0xa46f331d, 0xcd589250, 0x8bb81d7f, 0xc8b736b9, 0x35948d33, 0xd7ac7fd0, 0x5fbe2803, 0x2cfbc105, 0x013dbc4e,
  0x7a37820f, 0x39f88e9e, 0xedd58794, 0xc5076689, 0xfcada5a4, 0x64c2f46d, 0xb3ba3243, 0x8974b4f9, 0x5a05aebd, 0x20afcd00, 0x39e2b008, 0x88a18a45, 0x600bde29, 0xf3971ace,
  0xf37b0a6b, 0x7041495b, 0x70b707ab, 0x06beffbb, 0x4206051f, 0xe13c4ee3, 0xc1a78327, 0x91aa067c, 0x8295f72a, 0x732917a6, 0x1d871b4d, 0x4048f136, 0xf1840e7e, 0x6a6048c1,
  0x696cb71a, 0x7ff501c3, 0x0fc6310b, 0x57e0f83d, 0x8cc26e74, 0x11a525a2, 0x946934c7, 0x7cd888f0, 0x8f9d8604, 0x4f86e73b, 0x04520316, 0xdeeea20c, 0xf1def496, 0x67687288,
  0xf540c5b2, 0x22401484, 0x3478658a, 0xc2385746, 0x01979c2c, 0x5dad73c8, 0x0321f58b, 0xf0fedbee, 0x92826ddf, 0x284bec73, 0x5b1a1975, 0x03df1e11, 0x20963e01, 0xa17cf12b,
  0x740d776e, 0xa7a6bf3c, 0x01b5cce4, 0x1118aa76, 0xfc6fac0a, 0xce927e9b, 0x00bf2567, 0x806f216c, 0xbca69056, 0x795bd3e9, 0xc9dc4557, 0x8929b6c2, 0x789d52ec, 0x3f3fbf40,
  0xb9197368, 0xa38c15b5, 0xc3b44fa8, 0xca8333b0, 0xb7e8d590, 0xbe807feb, 0xbf5f8360, 0xd99e2f5c, 0x372928e1, 0x7c757c4c, 0x0db5b154, 0xc01ede02, 0x1fc86e78, 0x1f3985be,
  0xb4805c77, 0x00c880fa, 0x974c1b12, 0x35ab0214, 0xb2dc840d, 0x5b00ae37, 0xd313b026, 0xb260969d, 0x7f4c8879, 0x1734c4d3, 0x49068631, 0xb9f6a021, 0x6b863e6f, 0xcee5debf,
  0x29f8c9fb, 0x53dd6880, 0x72b61223, 0x1f67a9fd, 0x0a0f6993, 0x13e59119, 0x11cca12e, 0xfe6b6766, 0x16b6effc, 0x97918fc4, 0xc2b8a563, 0x94f2f741, 0x0bfa8c9a, 0xd1537ae8,
  0xc1da349c, 0x873c60ca, 0x95005b85, 0x9b5c080e, 0xbc8abbd9, 0xe1eab1d2, 0x6dac9070, 0x4ea9ebf1, 0xe0cf30d4, 0x1ef5bd7b, 0xd161043e, 0x5d2fa2e2, 0xff5d3cae, 0x86ed9f87,
  0x2aa1daa1, 0xbd731a34, 0x9e8f4b22, 0xb1c2c67a, 0xc21758c9, 0xa182215d, 0xccb01948, 0x8d168df7, 0x04238cfe, 0x368c3dbc, 0x0aeadca5, 0xbad21c24, 0x0a71fee5, 0x9fc5d872,
  0x54c152c6, 0xfc329483, 0x6783384a, 0xeddb3e1c, 0x65f90e30, 0x884ad098, 0xce81675a, 0x4b372f7d, 0x68bf9a39, 0x43445f1e, 0x40f8d8cb, 0x90d5acb6, 0x4cd07282, 0x349eeb06,
  0x0c9d5332, 0x520b24ef, 0x80020447, 0x67976491, 0x2f931ca3, 0xfe9b0535, 0xfcd30220, 0x61a9e6cc, 0xa487d8d7, 0x3f7c5dd1, 0x7d0127c5, 0x48f51d15, 0x60dea871, 0xc9a91cb7,
  0x58b53bb3, 0x9d5e0b2d, 0x624a78b4, 0x30dbee1b, 0x9bdf22e7, 0x1df5c299, 0x2d5643a7, 0xf4dd35ff, 0x03ca8fd6, 0x53b47ed8, 0x6f2c19aa, 0xfeb0c1f4, 0x49e54438, 0x2f2577e6,
  0xbf876969, 0x72440ea9, 0xfa0bafb8, 0x74f5b3a0, 0x7dd357cd, 0x89ce1358, 0x6ef2cdda, 0x1e7767f3, 0xa6be9fdb, 0x4f5f88f8, 0xba994a3a, 0x08ca6b65, 0xe0893818, 0x9e00a16a,
  0xf42bfc8f, 0x9972eedc, 0x749c8b51, 0x32c05f5e, 0xd706805f, 0x6bfbb7cf, 0xd9210a10, 0x31a1db97, 0x923a9559, 0x37a7a1f6, 0x059f8861, 0xca493e62, 0x65157e81, 0x8f6467dd,
  0xab85ff9f, 0x9331aff2, 0x8616b9f5, 0xedbd5695, 0xee7e29b1, 0x313ac44f, 0xb903112f, 0x432ef649, 0xdc0a36c0, 0x61cf2bba, 0x81474925, 0xa8b6c7ad, 0xee5931de, 0xb2f8158d,
  0x59fb7409, 0x2e3dfaed, 0x9af25a3f, 0xe1fed4d5,
]);

/**
 * The Golomb-Rice code family for one channel depth: code l (0..bpc-1) codes value n as n>>l zeroes, a one
 * and the l low bits, unless that would exceed the length limit, in which case a fixed-length escape follows
 * a prefix of `altprefixlen` zeroes. Also the residual mapping and the bucket layout of the model.
 */
interface Family {
  bpc: number;
  mask: number;
  /** Values coded as plain GR words for code l. */
  nGR: Uint32Array;
  notGRcwlen: Uint8Array;
  /** A word <= this for code l starts with the escape prefix. */
  notGRprefixmask: Uint32Array;
  notGRsuffixmask: Uint32Array;
  /** codeLen[l * 256 + n]: length of the codeword of n under code l. */
  codeLen: Uint8Array;
  /** Residual (folded to 0, 1, 2...) back to a signed difference modulo 2^bpc. */
  xlatL2U: Uint8Array;
  /** Model bucket of a previous residual value. */
  bucketOf: Uint8Array;
  /** First and last context value of each bucket. */
  bucketStart: Uint8Array;
  bucketEnd: Uint8Array;
  nBuckets: number;
  /**
   * Fast path: table[(l << 10) | top 10 bits of the stream] is the decoded codeword (see `entry`) for
   * codewords of at most 10 bits under code l, 0 otherwise (then `longCodeword` runs).
   */
  table: Int32Array;
}

/** Bits of the stream that index `Family.table`: no table codeword is longer. */
const TABLE_BITS = 10;

/**
 * A decoded codeword as the hot loops use it: length in bits (16..20), the residual's signed difference
 * (`xlatL2U`, 8..15) and the residual itself (0..7), so one lookup gives all three.
 */
function entry(cw: number, xlat: number, v: number): number {
  return (cw << 16) | (xlat << 8) | v;
}

function ceilLog2(val: number): number {
  if (val === 1) return 0;
  let result = 1;
  val -= 1;
  while ((val >>>= 1)) result++;
  return result;
}

/** golomb_code_len_and_value: the codeword under code l at the front of `word`, as (length << 16) | value. */
function golomb(f: Family, l: number, word: number): number {
  if (word >>> 0 > f.notGRprefixmask[l]!) {
    const z = Math.clz32(word);
    const cw = z + 1 + l;
    return (cw << 16) | (z << l) | ((word >>> (32 - cw)) & BPP_MASK[l]!);
  }
  const cw = f.notGRcwlen[l]!;
  return (cw << 16) | (f.nGR[l]! + ((word >>> (32 - cw)) & f.notGRsuffixmask[l]!));
}

/**
 * Decodes any codeword (the table covers the short ones) as an `entry`. A residual beyond the channel's
 * range only comes from a corrupt stream: 8-bit residuals wrap like quic.c's BYTE store, 5-bit ones (which
 * quic.c would use to index past its tables) are rejected.
 */
function longCodeword(f: Family, l: number, word: number): number {
  const g = golomb(f, l, word);
  let v = g & 0xffff;
  if (v > f.mask) {
    if (f.mask !== 0xff) throw new ProtocolError('quic: residual out of range (corrupt data)');
    v &= 0xff;
  }
  return entry(g >>> 16, f.xlatL2U[v]!, v);
}

function makeFamily(bpc: number): Family {
  const f: Family = {
    bpc,
    mask: BPP_MASK[bpc]!,
    nGR: new Uint32Array(8),
    notGRcwlen: new Uint8Array(8),
    notGRprefixmask: new Uint32Array(8),
    notGRsuffixmask: new Uint32Array(8),
    codeLen: new Uint8Array(8 * 256),
    xlatL2U: new Uint8Array(256),
    bucketOf: new Uint8Array(256),
    bucketStart: new Uint8Array(8),
    bucketEnd: new Uint8Array(8),
    nBuckets: 0,
    table: new Int32Array(8 << TABLE_BITS),
  };
  for (let l = 0; l < bpc; l++) {
    let altprefixlen = MAX_CODE_LEN - bpc;
    if (altprefixlen > BPP_MASK[bpc - l]!) altprefixlen = BPP_MASK[bpc - l]!;
    const altcodewords = BPP_MASK[bpc]! + 1 - (altprefixlen << l);
    const suffixlen = ceilLog2(altcodewords);
    f.nGR[l] = altprefixlen << l;
    f.notGRcwlen[l] = altprefixlen + suffixlen;
    f.notGRprefixmask[l] = BPP_MASK[32 - altprefixlen]!;
    f.notGRsuffixmask[l] = BPP_MASK[suffixlen]!;
    for (let n = 0; n < 256; n++) {
      f.codeLen[l * 256 + n] = n < f.nGR[l]! ? (n >>> l) + l + 1 : f.notGRcwlen[l]!;
    }
  }
  for (let s = 0; s <= f.mask; s++) f.xlatL2U[s] = s & 1 ? f.mask - (s >>> 1) : s >>> 1;
  // Buckets of 1, 2, 4, 8... consecutive contexts, the last one absorbing the remainder (evolution mode 3).
  const levels = 1 << bpc;
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
    for (let i = bstart; i <= bend; i++) f.bucketOf[i] = nb;
    f.bucketStart[nb] = bstart;
    f.bucketEnd[nb] = bend;
    nb++;
  } while (bend < levels - 1);
  f.nBuckets = nb;
  // The table holds exactly what `golomb` gives for every word whose codeword fits in TABLE_BITS bits:
  // then neither the GR/escape decision nor the value depends on the bits below.
  for (let l = 0; l < bpc; l++) {
    for (let t = 0; t < 1 << TABLE_BITS; t++) {
      const g = golomb(f, l, (t << (32 - TABLE_BITS)) | 0);
      const cw = g >>> 16;
      const v = g & 0xffff;
      if (cw <= TABLE_BITS && v <= f.mask) f.table[(l << TABLE_BITS) | t] = entry(cw, f.xlatL2U[v]!, v);
    }
  }
  return f;
}

const FAMILY_8 = makeFamily(8);
const FAMILY_5 = makeFamily(5);

/** Model-update pacing and run-length coder state; one for RGB, one per single-channel plane. */
class CommonState {
  waitcnt = 0;
  seed = 0xff;
  wmTrigger = 0;
  wmidx = 0;
  wmileft = WMI_NEXT;
  melcstate = 0;
  melclen = 0;
  melcorder = 1;

  reset(): void {
    this.waitcnt = 0;
    this.seed = 0xff;
    this.wmidx = 0;
    this.wmileft = WMI_NEXT;
    this.wmTrigger = TRIGGERS[0]!;
    this.melcstate = 0;
    this.melclen = J[0]!;
    this.melcorder = 1 << this.melclen;
  }

  /** The next pseudo-random word. */
  rand(): number {
    this.seed = (this.seed + 1) & 0xff;
    return QUIC_TABRAND_CHAOS[this.seed]!;
  }

  nextWaitMaskIndex(): void {
    this.wmidx++;
    this.wmTrigger = TRIGGERS[this.wmidx > 10 ? 10 : this.wmidx]!;
    this.wmileft = WMI_NEXT;
  }
}

const SEG_RGB_ROW0 = 0;
const SEG_RGB_ROW = 1;
const SEG_ONE_ROW0 = 2;
const SEG_ONE_ROW = 3;

function truncated(): ProtocolError {
  return new ProtocolError('quic: payload truncated');
}

/**
 * A reusable QUIC decoder. Holds the per-image scratch state (model counters, residual rows, the stream
 * words) so decoding many images allocates only their outputs, or nothing when the caller passes `out`.
 * Not re-entrant; one per worker is enough.
 */
export class QuicDecoder {
  // Bit reader: `word` holds the stream from bit `bitpos` on (bits run MSB-first through little-endian u32
  // words); a reload (`wordAt`) is branch-free, two word loads. quic.c fails once it needs a word past the
  // end, i.e. once bitpos > 32 * (words - 1): `maxBit`. Zero words pad the end. The RGB loop reloads once per
  // pixel: table codewords are at most 10 bits, so after two of them the top 10 bits of the shifted word are
  // still stream bits for the third lookup.
  private words: Int32Array = new Int32Array(2);
  private maxBit = 0;
  private bitpos = 0;
  private word = 0;
  /** Where the last rgbRowRun / oneRowRun stopped for a run, or -1 (it stopped for another reason). */
  private runAt = -1;

  private width = 0;
  private fam: Family = FAMILY_8;
  /** Output bytes (RGBA) and the same memory as words. */
  private px: Uint8Array = new Uint8Array(0);
  private px32: Uint32Array = new Uint32Array(0);

  /**
   * The residuals of the current row, four channels interleaved: corr[(slot << 2) + channel], slot i+1 for
   * pixel i and slot 0 for the previous row's first pixel (the context of this row's first).
   */
  private corr = new Uint8Array(4);
  /** bestcode[channel * 8 + bucket]. */
  private readonly best = new Uint8Array(32);
  /**
   * The code to use after a residual, shifted to index `Family.table`: codeAfter[channel * 256 + previous
   * residual] = bestcode of its bucket << 10, kept in step with `best` so the hot loops do one lookup.
   */
  private readonly codeAfter = new Uint16Array(1024);
  /** counters[(channel * 8 + bucket) * 8 + code]. */
  private readonly counters = new Uint32Array(256);
  private readonly rgbState = new CommonState();
  private readonly chState = [new CommonState(), new CommonState(), new CommonState(), new CommonState()];

  /** Reads the header words of a QUIC payload without decoding it. */
  static readHeader(data: Uint8Array): QuicHeader {
    if (data.length < 20) throw truncated();
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const magic = view.getUint32(0, true);
    if (magic !== QUIC_MAGIC) throw new ProtocolError(`quic: bad magic 0x${magic.toString(16)}`);
    const version = view.getUint32(4, true);
    if (version !== QUIC_VERSION) throw new ProtocolError(`quic: unsupported version 0x${version.toString(16)}`);
    return { type: view.getUint32(8, true), width: view.getUint32(12, true), height: view.getUint32(16, true) };
  }

  /**
   * Decodes one QUIC payload (starting at the "QUIC" magic) to RGBA.
   * @param out optional buffer to decode into (see `allocImage`): a pooled buffer saves the allocation.
   * @throws ProtocolError on a bad header, an unknown type, an absurd size, or corrupt/truncated data.
   */
  decode(data: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS, out?: Uint8ClampedArray): DecodedImage {
    // The hot loops pack pixels as little-endian words (every browser and Node platform is little-endian).
    if (!LITTLE_ENDIAN) throw new Error('quic: big-endian hosts are not supported');
    const { type, width, height } = QuicDecoder.readHeader(data);
    let channels: number;
    let bpc: number;
    switch (type) {
      case QuicImageType.Gray:
        channels = 1;
        bpc = 8;
        break;
      case QuicImageType.Rgb16:
        channels = 3;
        bpc = 5;
        break;
      case QuicImageType.Rgb24:
      case QuicImageType.Rgb32:
        channels = 3;
        bpc = 8;
        break;
      case QuicImageType.Rgba:
        channels = 4;
        bpc = 8;
        break;
      default:
        throw new ProtocolError(`quic: unknown image type ${type}`);
    }
    checkDimensions('quic', width, height, limits);
    const image = allocImage(width, height, type === QuicImageType.Rgba, out);
    if (width === 0 || height === 0) return image;

    this.loadWords(data);
    // The five header words, through the bit reader like quic_decode_begin.
    for (let i = 0; i < 10; i++) this.eat(16);
    this.resetModel(channels, width, bpc);

    const px = new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, width * height * 4);
    this.px = px;
    this.px32 = new Uint32Array(image.pixels.buffer, image.pixels.byteOffset, width * height);
    try {
      if (channels === 1) this.grayRows(height);
      else this.rgbRows(height, channels === 4);
    } finally {
      this.px = new Uint8Array(0);
      this.px32 = new Uint32Array(0);
    }
    if (type === QuicImageType.Rgb16) widenRgb16(px);
    else if (type === QuicImageType.Gray) spreadGray(px);
    // RGB32/RGB24 rows were written opaque; RGBA alpha came from its own plane.
    return image;
  }

  /** Copies the payload into `words` (kept across images, grown as needed) plus two zero words of padding. */
  private loadWords(data: Uint8Array): void {
    const n = data.length >>> 2;
    if (n >= 1 << 26) throw new ProtocolError(`quic: payload of ${data.length} bytes is too large`);
    if (this.words.length < n + 2) this.words = new Int32Array(n + 2 + (n >>> 2));
    const words = this.words;
    if ((data.byteOffset & 3) === 0) {
      words.set(new Int32Array(data.buffer, data.byteOffset, n));
    } else {
      for (let i = 0, b = 0; i < n; i++, b += 4) {
        words[i] = data[b]! | (data[b + 1]! << 8) | (data[b + 2]! << 16) | (data[b + 3]! << 24);
      }
    }
    words[n] = 0;
    words[n + 1] = 0;
    this.maxBit = (n - 1) * 32;
    this.bitpos = 0;
    this.word = words[0]!;
  }

  /** The 32 stream bits from `bitpos` on; bitpos must be <= maxBit. */
  private wordAt(bitpos: number): number {
    const words = this.words;
    const k = bitpos >>> 5;
    return (words[k]! << bitpos) | ((words[k + 1]! >>> 1) >>> (31 - (bitpos & 31)));
  }

  /** Drops `len` (1..31) bits from the front of the stream. */
  private eat(len: number): void {
    const bitpos = (this.bitpos += len);
    if (bitpos > this.maxBit) throw truncated();
    this.word = this.wordAt(bitpos);
  }

  /** Decodes the codeword at the front of the stream under code `code` (pre-shifted, see codeAfter). */
  private codeword(code: number): number {
    const fam = this.fam;
    let e = fam.table[code | (this.word >>> 22)]!;
    if (e === 0) e = longCodeword(fam, code >>> TABLE_BITS, this.word);
    this.eat(e >>> 16);
    return e;
  }

  private resetModel(channels: number, width: number, bpc: number): void {
    this.width = width;
    this.fam = bpc === 8 ? FAMILY_8 : FAMILY_5;
    if (this.corr.length < (width + 1) * 4) this.corr = new Uint8Array((width + 1) * 4);
    this.counters.fill(0);
    this.best.fill(bpc - 1);
    this.codeAfter.fill((bpc - 1) << TABLE_BITS);
    this.rgbState.reset();
    for (let c = 0; c < channels && c < 4; c++) this.chState[c]!.reset();
  }

  /** RGB24/32/16 and RGBA images: per row the RGB channels, then (RGBA) the alpha plane at byte 3. */
  private rgbRows(height: number, alpha: boolean): void {
    const rowBytes = this.width * 4;
    const corr = this.corr;
    corr.fill(0, 0, 4);
    this.row(SEG_RGB_ROW0, this.rgbState, 0, 0, 0);
    if (alpha) this.row(SEG_ONE_ROW0, this.chState[3]!, 0, 0, 3);
    for (let y = 1; y < height; y++) {
      const cur = y * rowBytes;
      corr.copyWithin(0, 4, 8);
      this.row(SEG_RGB_ROW, this.rgbState, cur - rowBytes, cur, 0);
      if (alpha) {
        this.row(SEG_ONE_ROW, this.chState[3]!, cur - rowBytes, cur, 3);
      }
    }
  }

  /** GRAY images: channel 0 at byte offset 0 of each pixel (spread to R, G, B afterwards). */
  private grayRows(height: number): void {
    const rowBytes = this.width * 4;
    const corr = this.corr;
    const st = this.chState[0]!;
    corr[0] = 0;
    this.row(SEG_ONE_ROW0, st, 0, 0, 0);
    for (let y = 1; y < height; y++) {
      corr[0] = corr[4]!;
      const cur = y * rowBytes;
      this.row(SEG_ONE_ROW, st, cur - rowBytes, cur, 0);
    }
  }

  /**
   * One row, cut into segments where the wait-mask index steps up (every 2048 values until index 6), like
   * quic.c's *_uncompress_row.
   */
  private row(kind: number, st: CommonState, prev: number, cur: number, offset: number): void {
    let pos = 0;
    let width = this.width;
    while (WMI_MAX > st.wmidx && st.wmileft <= width) {
      if (st.wmileft) {
        this.segment(kind, st, prev, cur, offset, pos, pos + st.wmileft);
        pos += st.wmileft;
        width -= st.wmileft;
      }
      st.nextWaitMaskIndex();
    }
    if (width) {
      this.segment(kind, st, prev, cur, offset, pos, pos + width);
      if (WMI_MAX > st.wmidx) st.wmileft -= width;
    }
  }

  /** Dispatches one row segment; single-channel planes are the alpha (byte 3, channel 3) or gray (byte 0, channel 0). */
  private segment(kind: number, st: CommonState, prev: number, cur: number, offset: number, i: number, end: number): void {
    switch (kind) {
      case SEG_RGB_ROW0:
        this.rgbRow0Seg(st, cur, i, end);
        break;
      case SEG_RGB_ROW:
        this.rgbRowSeg(st, prev, cur, i, end);
        break;
      case SEG_ONE_ROW0:
        this.oneRow0Seg(st, offset === 3 ? 3 : 0, cur, offset, i, end);
        break;
      default:
        this.oneRowSeg(st, offset === 3 ? 3 : 0, prev, cur, offset, i, end);
        break;
    }
  }

  /**
   * update_model for channels ch0..ch0+channels-1 at index `idx`: adds the codeword lengths of each
   * channel's residual there under every code to the counters of the bucket of its context (the residual
   * before it), and picks the shortest as that bucket's code (ties go to the larger code, as in quic.c).
   */
  private updateModel(st: CommonState, ch0: number, channels: number, idx: number): void {
    const fam = this.fam;
    const counters = this.counters;
    const codeLen = fam.codeLen;
    const bpc = fam.bpc;
    for (let ch = ch0; ch < ch0 + channels; ch++) {
      const value = this.corr[((idx + 1) << 2) + ch]!;
      const b = fam.bucketOf[this.corr[(idx << 2) + ch]!]!;
      const bucket = (ch << 3) + b;
      const base = bucket << 3;
      let bestcode = bpc - 1;
      let bestLen = (counters[base + bestcode] += codeLen[(bestcode << 8) + value]!);
      for (let l = bpc - 2; l >= 0; l--) {
        const len = (counters[base + l] += codeLen[(l << 8) + value]!);
        if (len < bestLen) {
          bestcode = l;
          bestLen = len;
        }
      }
      if (this.best[bucket] !== bestcode) {
        this.best[bucket] = bestcode;
        const o = ch << 8;
        this.codeAfter.fill(bestcode << TABLE_BITS, o + fam.bucketStart[b]!, o + fam.bucketEnd[b]! + 1);
      }
      if (bestLen > st.wmTrigger) {
        for (let l = 0; l < bpc; l++) counters[base + l] = counters[base + l]! >>> 1;
      }
    }
  }

  /**
   * The first pixel of a row (index 0) of `channels` channels starting at channel `ch0`: predicted from the
   * pixel above (or 0 on row 0), coded with the context of the previous row's first residual; then the model
   * update if the wait count runs out here. The caller's segment continues at index 1.
   */
  private firstPixel(st: CommonState, ch0: number, channels: number, prev: number, cur: number, offset: number, row0: boolean): void {
    const px = this.px;
    const mask = this.fam.mask;
    for (let c = 0; c < channels; c++) {
      const ch = ch0 + c;
      const e = this.codeword(this.codeAfter[(ch << 8) + this.corr[ch]!]!);
      this.corr[4 + ch] = e & 0xff;
      const p = offset + c;
      px[cur + p] = (((e >>> 8) & 0xff) + (row0 ? 0 : px[prev + p]!)) & mask;
    }
    if (channels === 3) px[cur + 3] = 0xff;
    if (st.waitcnt) {
      st.waitcnt--;
    } else {
      st.waitcnt = st.rand() & BPP_MASK[st.wmidx]!;
      this.updateModel(st, ch0, channels, 0);
    }
  }

  /** decode_run: the MELCODE run length at the front of the stream, at most `maxRun`. */
  private decodeRun(st: CommonState, maxRun: number): number {
    let runlen = 0;
    for (;;) {
      const ones = Math.clz32(~this.word);
      const hits = ones > 8 ? 8 : ones;
      for (let h = 0; h < hits; h++) {
        runlen += st.melcorder;
        if (st.melcstate < MELC_STATES - 1) {
          st.melclen = J[++st.melcstate]!;
          st.melcorder = 1 << st.melclen;
        }
      }
      if (runlen > maxRun) throw new ProtocolError('quic: run past the end of the row');
      if (hits !== 8) {
        this.eat(hits + 1);
        break;
      }
      this.eat(8);
    }
    if (st.melclen) {
      runlen += this.word >>> (32 - st.melclen);
      this.eat(st.melclen);
    }
    if (st.melcstate) {
      st.melclen = J[--st.melcstate]!;
      st.melcorder = 1 << st.melclen;
    }
    if (runlen > maxRun) throw new ProtocolError('quic: run past the end of the row');
    return runlen;
  }

  /**
   * One RGB pixel at index i >= 1 through the general decoder (any codeword length): the hot loops hand
   * over a pixel when one of its codewords is too long for the table. Row 0 predicts from the left only.
   */
  private rgbPixel(prevW: number, curW: number, i: number, row0: boolean): void {
    const px32 = this.px32;
    const mask = this.fam.mask;
    const left = px32[curW + i - 1]!;
    const above = row0 ? 0 : px32[prevW + i]!;
    let pixel = 0xff000000;
    for (let c = 0; c < 3; c++) {
      const e = this.codeword(this.codeAfter[(c << 8) + this.corr[(i << 2) + c]!]!);
      this.corr[((i + 1) << 2) + c] = e & 0xff;
      const l = (left >>> (c << 3)) & 0xff;
      const pred = row0 ? l : (l + ((above >>> (c << 3)) & 0xff)) >>> 1;
      pixel |= ((((e >>> 8) & 0xff) + pred) & mask) << (c << 3);
    }
    px32[curW + i] = pixel;
  }

  /** RGB, first row: each channel predicted from the pixel to its left. */
  private rgbRow0Seg(st: CommonState, cur: number, i: number, end: number): void {
    if (i === 0) {
      this.firstPixel(st, 0, 3, 0, cur, 0, true);
      i = 1;
    }
    const curW = cur >> 2;
    let stopidx = i + st.waitcnt;
    for (;;) {
      const segEnd = stopidx < end ? stopidx + 1 : end;
      i = this.rgbRow0Run(curW, i, segEnd);
      if (i < segEnd) {
        this.rgbPixel(0, curW, i, true);
        i++;
        continue;
      }
      if (stopidx >= end) break;
      this.updateModel(st, 0, 3, stopidx);
      stopidx = i + (st.rand() & BPP_MASK[st.wmidx]!);
    }
    st.waitcnt = stopidx - end;
  }

  /**
   * The hot loop of row 0: decodes pixels i..segEnd-1 while every codeword is in the table. Returns where it
   * stopped: segEnd, or the pixel that needs `rgbPixel` (nothing of it consumed).
   */
  private rgbRow0Run(curW: number, i: number, segEnd: number): number {
    const table = this.fam.table;
    const mask = this.fam.mask;
    const codeAfter = this.codeAfter;
    const px32 = this.px32;
    const corr = this.corr;
    const words = this.words;
    const maxBit = this.maxBit;
    let word = this.word;
    let bitpos = this.bitpos;
    const lw = px32[curW + i - 1]!;
    let r = lw & 0xff;
    let g = (lw >>> 8) & 0xff;
    let b = (lw >>> 16) & 0xff;
    let v0 = corr[i << 2]!;
    let v1 = corr[(i << 2) + 1]!;
    let v2 = corr[(i << 2) + 2]!;
    for (; i < segEnd; i++) {
      // Per channel: one table lookup, then shift the consumed bits out of the window.
      const e0 = table[codeAfter[v0]! | (word >>> 22)]!;
      const w1 = word << (e0 >>> 16);
      const e1 = table[codeAfter[256 + v1]! | (w1 >>> 22)]!;
      const w2 = w1 << (e1 >>> 16);
      const e2 = table[codeAfter[512 + v2]! | (w2 >>> 22)]!;
      if (e0 === 0 || e1 === 0 || e2 === 0) break;
      const slot = (i + 1) << 2;
      corr[slot] = v0 = e0 & 0xff;
      corr[slot + 1] = v1 = e1 & 0xff;
      corr[slot + 2] = v2 = e2 & 0xff;
      r = (((e0 >>> 8) & 0xff) + r) & mask;
      g = (((e1 >>> 8) & 0xff) + g) & mask;
      b = (((e2 >>> 8) & 0xff) + b) & mask;
      px32[curW + i] = 0xff000000 | r | (g << 8) | (b << 16);
      bitpos += (e0 >>> 16) + (e1 >>> 16) + (e2 >>> 16);
      if (bitpos > maxBit) throw truncated();
      const k = bitpos >>> 5;
      word = (words[k]! << bitpos) | ((words[k + 1]! >>> 1) >>> (31 - (bitpos & 31)));
    }
    this.word = word;
    this.bitpos = bitpos;
    return i;
  }

  /** RGB, other rows: predicted from the average of left and above, with runs of repeated pixels. */
  private rgbRowSeg(st: CommonState, prev: number, cur: number, i: number, end: number): void {
    if (i === 0) {
      this.firstPixel(st, 0, 3, prev, cur, 0, false);
      i = 1;
    }
    const prevW = prev >> 2;
    const curW = cur >> 2;
    let stopidx = i + st.waitcnt;
    let runIndex = 0;
    for (;;) {
      // Decode up to and including stopidx (or to the end), then update the model at stopidx; a run
      // interrupts the stretch and restarts it after the run with the same remaining wait count.
      const segEnd = stopidx < end ? stopidx + 1 : end;
      i = this.rgbRowRun(prevW, curW, i, segEnd, runIndex);
      if (i < segEnd) {
        if (this.runAt < 0) {
          this.rgbPixel(prevW, curW, i, false);
          i++;
          continue;
        }
        // do_run: the run repeats the pixel to the left; its length comes from the MELCODE state.
        st.waitcnt = stopidx - i;
        runIndex = i;
        const runEnd = i + this.decodeRun(st, end - i);
        const px32 = this.px32;
        const runPixel = px32[curW + i - 1]!;
        if (runEnd - i > 16) px32.fill(runPixel, curW + i, curW + runEnd);
        else for (let k = curW + i; k < curW + runEnd; k++) px32[k] = runPixel;
        i = runEnd;
        if (i === end) return;
        stopidx = i + st.waitcnt;
        continue;
      }
      if (stopidx >= end) break;
      this.updateModel(st, 0, 3, stopidx);
      stopidx = i + (st.rand() & BPP_MASK[st.wmidx]!);
    }
    st.waitcnt = stopidx - end;
  }

  /**
   * The hot loop of other rows: decodes pixels i..segEnd-1 while every codeword is in the table and no run
   * starts. Returns where it stopped: segEnd, or a pixel that starts a run (`runAt` = it) or needs
   * `rgbPixel` (`runAt` = -1); nothing of that pixel is consumed.
   */
  private rgbRowRun(prevW: number, curW: number, i: number, segEnd: number, runIndex: number): number {
    const table = this.fam.table;
    const mask = this.fam.mask;
    const codeAfter = this.codeAfter;
    const px32 = this.px32;
    const corr = this.corr;
    const words = this.words;
    const maxBit = this.maxBit;
    let word = this.word;
    let bitpos = this.bitpos;
    // Rolling state: the above-left word, the left pixel (r, g, b) and the one before it (mr, mg, mb).
    let pwLeft = px32[prevW + i - 1]!;
    let lw = px32[curW + i - 1]!;
    let r = lw & 0xff;
    let g = (lw >>> 8) & 0xff;
    let b = (lw >>> 16) & 0xff;
    lw = i >= 2 ? px32[curW + i - 2]! : 0;
    let mr = i >= 2 ? lw & 0xff : -1;
    let mg = (lw >>> 8) & 0xff;
    let mb = (lw >>> 16) & 0xff;
    let v0 = corr[i << 2]!;
    let v1 = corr[(i << 2) + 1]!;
    let v2 = corr[(i << 2) + 2]!;
    this.runAt = -1;
    for (; i < segEnd; i++) {
      const pw = px32[prevW + i]!;
      if (((pwLeft ^ pw) & 0xffffff) === 0 && runIndex !== i && i > 2 && r === mr && g === mg && b === mb) {
        this.runAt = i;
        break;
      }
      // Per channel: one table lookup, then shift the consumed bits out of the window.
      const e0 = table[codeAfter[v0]! | (word >>> 22)]!;
      const w1 = word << (e0 >>> 16);
      const e1 = table[codeAfter[256 + v1]! | (w1 >>> 22)]!;
      const w2 = w1 << (e1 >>> 16);
      const e2 = table[codeAfter[512 + v2]! | (w2 >>> 22)]!;
      if (e0 === 0 || e1 === 0 || e2 === 0) break;
      pwLeft = pw;
      mr = r;
      mg = g;
      mb = b;
      const slot = (i + 1) << 2;
      corr[slot] = v0 = e0 & 0xff;
      corr[slot + 1] = v1 = e1 & 0xff;
      corr[slot + 2] = v2 = e2 & 0xff;
      r = (((e0 >>> 8) & 0xff) + ((r + (pw & 0xff)) >>> 1)) & mask;
      g = (((e1 >>> 8) & 0xff) + ((g + ((pw >>> 8) & 0xff)) >>> 1)) & mask;
      b = (((e2 >>> 8) & 0xff) + ((b + ((pw >>> 16) & 0xff)) >>> 1)) & mask;
      px32[curW + i] = 0xff000000 | r | (g << 8) | (b << 16);
      bitpos += (e0 >>> 16) + (e1 >>> 16) + (e2 >>> 16);
      if (bitpos > maxBit) throw truncated();
      const k = bitpos >>> 5;
      word = (words[k]! << bitpos) | ((words[k + 1]! >>> 1) >>> (31 - (bitpos & 31)));
    }
    this.word = word;
    this.bitpos = bitpos;
    return i;
  }

  /**
   * One value of a single-channel plane at index i >= 1 through the general decoder (any codeword length),
   * for the pixels the hot loops hand over. `base` / `pbase`: byte offsets of the plane's value of pixel 0 in
   * this row and the row above; row 0 predicts from the left only.
   */
  private onePixel(ch: number, pbase: number, base: number, i: number, row0: boolean): void {
    const px = this.px;
    const e = this.codeword(this.codeAfter[(ch << 8) + this.corr[(i << 2) + ch]!]!);
    this.corr[((i + 1) << 2) + ch] = e & 0xff;
    const left = px[base + ((i - 1) << 2)]!;
    const pred = row0 ? left : (left + px[pbase + (i << 2)]!) >>> 1;
    px[base + (i << 2)] = (((e >>> 8) & 0xff) + pred) & this.fam.mask;
  }

  /** A single channel (alpha at byte 3, gray at byte 0), first row: each value predicted from the left. */
  private oneRow0Seg(st: CommonState, ch: number, cur: number, offset: number, i: number, end: number): void {
    if (i === 0) {
      this.firstPixel(st, ch, 1, 0, cur, offset, true);
      i = 1;
    }
    const base = cur + offset;
    let stopidx = i + st.waitcnt;
    for (;;) {
      const segEnd = stopidx < end ? stopidx + 1 : end;
      i = this.oneRow0Run(ch, base, i, segEnd);
      if (i < segEnd) {
        this.onePixel(ch, 0, base, i, true);
        i++;
        continue;
      }
      if (stopidx >= end) break;
      this.updateModel(st, ch, 1, stopidx);
      stopidx = i + (st.rand() & BPP_MASK[st.wmidx]!);
    }
    st.waitcnt = stopidx - end;
  }

  /** The hot loop of a single channel's row 0, like rgbRow0Run. */
  private oneRow0Run(ch: number, base: number, i: number, segEnd: number): number {
    const table = this.fam.table;
    const mask = this.fam.mask;
    const codeAfter = this.codeAfter;
    const px = this.px;
    const corr = this.corr;
    const words = this.words;
    const maxBit = this.maxBit;
    const bOff = ch << 8;
    let word = this.word;
    let bitpos = this.bitpos;
    let x = px[base + ((i - 1) << 2)]!;
    let vPrev = corr[(i << 2) + ch]!;
    for (; i < segEnd; i++) {
      const e = table[codeAfter[bOff + vPrev]! | (word >>> 22)]!;
      if (e === 0) break;
      corr[((i + 1) << 2) + ch] = vPrev = e & 0xff;
      x = (((e >>> 8) & 0xff) + x) & mask;
      px[base + (i << 2)] = x;
      bitpos += e >>> 16;
      if (bitpos > maxBit) throw truncated();
      const k = bitpos >>> 5;
      word = (words[k]! << bitpos) | ((words[k + 1]! >>> 1) >>> (31 - (bitpos & 31)));
    }
    this.word = word;
    this.bitpos = bitpos;
    return i;
  }

  /** A single channel, other rows: average predictor and runs on that channel alone. */
  private oneRowSeg(st: CommonState, ch: number, prev: number, cur: number, offset: number, i: number, end: number): void {
    if (i === 0) {
      this.firstPixel(st, ch, 1, prev, cur, offset, false);
      i = 1;
    }
    const base = cur + offset;
    const pbase = prev + offset;
    let stopidx = i + st.waitcnt;
    let runIndex = 0;
    for (;;) {
      const segEnd = stopidx < end ? stopidx + 1 : end;
      i = this.oneRowRun(ch, pbase, base, i, segEnd, runIndex);
      if (i < segEnd) {
        if (this.runAt < 0) {
          this.onePixel(ch, pbase, base, i, false);
          i++;
          continue;
        }
        st.waitcnt = stopidx - i;
        runIndex = i;
        const runEnd = i + this.decodeRun(st, end - i);
        const px = this.px;
        const v = px[base + ((i - 1) << 2)]!;
        for (let p = base + (i << 2); i < runEnd; i++, p += 4) px[p] = v;
        if (i === end) return;
        stopidx = i + st.waitcnt;
        continue;
      }
      if (stopidx >= end) break;
      this.updateModel(st, ch, 1, stopidx);
      stopidx = i + (st.rand() & BPP_MASK[st.wmidx]!);
    }
    st.waitcnt = stopidx - end;
  }

  /** The hot loop of a single channel's other rows, like rgbRowRun. */
  private oneRowRun(ch: number, pbase: number, base: number, i: number, segEnd: number, runIndex: number): number {
    const table = this.fam.table;
    const mask = this.fam.mask;
    const codeAfter = this.codeAfter;
    const px = this.px;
    const corr = this.corr;
    const words = this.words;
    const maxBit = this.maxBit;
    const bOff = ch << 8;
    let word = this.word;
    let bitpos = this.bitpos;
    // Rolling state: above-left value, left value (x) and the one before it (m), previous residual.
    let aboveLeft = px[pbase + ((i - 1) << 2)]!;
    let x = px[base + ((i - 1) << 2)]!;
    let m = i >= 2 ? px[base + ((i - 2) << 2)]! : -1;
    let vPrev = corr[(i << 2) + ch]!;
    this.runAt = -1;
    for (; i < segEnd; i++) {
      const above = px[pbase + (i << 2)]!;
      if (aboveLeft === above && runIndex !== i && i > 2 && x === m) {
        this.runAt = i;
        break;
      }
      const e = table[codeAfter[bOff + vPrev]! | (word >>> 22)]!;
      if (e === 0) break;
      aboveLeft = above;
      m = x;
      corr[((i + 1) << 2) + ch] = vPrev = e & 0xff;
      x = (((e >>> 8) & 0xff) + ((x + above) >>> 1)) & mask;
      px[base + (i << 2)] = x;
      bitpos += e >>> 16;
      if (bitpos > maxBit) throw truncated();
      const k = bitpos >>> 5;
      word = (words[k]! << bitpos) | ((words[k + 1]! >>> 1) >>> (31 - (bitpos & 31)));
    }
    this.word = word;
    this.bitpos = bitpos;
    return i;
  }
}

/** RGB16: 5-bit channels widen like pixman's x1r5g5b5 -> x8r8g8b8. */
function widenRgb16(px: Uint8Array): void {
  for (let p = 0; p < px.length; p += 4) {
    const r = px[p]!;
    const g = px[p + 1]!;
    const b = px[p + 2]!;
    px[p] = (r << 3) | (r >> 2);
    px[p + 1] = (g << 3) | (g >> 2);
    px[p + 2] = (b << 3) | (b >> 2);
    px[p + 3] = 255;
  }
}

/** GRAY: the value decoded at byte 0 becomes R, G and B of an opaque pixel. */
function spreadGray(px: Uint8Array): void {
  for (let p = 0; p < px.length; p += 4) {
    const v = px[p]!;
    px[p + 1] = v;
    px[p + 2] = v;
    px[p + 3] = 255;
  }
}

let shared: QuicDecoder | undefined;

/**
 * Decodes one QUIC payload with a module-wide decoder (see QuicDecoder for explicit state).
 * @param out optional buffer to decode into (see `allocImage`).
 */
export function decodeQuic(data: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS, out?: Uint8ClampedArray): DecodedImage {
  shared ??= new QuicDecoder();
  return shared.decode(data, limits, out);
}
