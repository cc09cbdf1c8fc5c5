/**
 * The codec benchmark itself, shared by the Node entry (codecs.bench.ts) and the Chromium worker entry
 * (codecs.browser.ts): the payloads, the measurement and the table. It only needs a way to read the captured
 * fixtures, a clock and a way to print, so it runs unchanged in Node and in a Web Worker.
 *
 * What it measures: decode throughput (MPixel/s) of our QUIC and LZ decoders against spice-html5's on the
 * same payloads in the same run, and of our GLZ and LZ4 decoders alone (spice-html5 has neither). Payloads are
 * the images captured from Xspice (test/fixtures/codecs/xspice) plus larger synthetic ones made with the test
 * encoders. Fairness:
 * - both sides allocate their output on every call ("ours" column); "ours, out" is our decoder writing into
 *   one reused buffer (the `out` parameter a display channel can feed from a pool), with its own ratio;
 * - spice-html5 gets its input the way its message parser leaves it (prepared once, outside the timing), and
 *   its decode includes what its decode entry points do (QUIC: from_dv's copy, decode, BGRA->RGBA pass);
 * - the functions of one payload are timed in alternation, best of ROUNDS stretches, so that load from other
 *   processes hits both sides alike; where the engine allows, each stretch starts after a full garbage
 *   collection, so that no function pays for another's garbage.
 */
import { GlzDictionary, decodeGlz, decodeGlzShared, readGlzHeader } from '../src/codecs/glz.js';
import { LzImageType, decodeLz } from '../src/codecs/lz.js';
import { decodeLz4 } from '../src/codecs/lz4.js';
import { QuicDecoder, QuicImageType } from '../src/codecs/quic.js';
import { BitmapFmt } from '../src/protocol/constants.js';
import { makeImage } from '../test/unit/codecs/helpers/images.js';
import { encodeLz, encodeLz4Image } from '../test/unit/codecs/helpers/lz-encoders.js';
import { encodeQuic, rgbaToPlanes } from '../test/unit/codecs/helpers/quic-encoder.js';
import { sh5LzDecoder, sh5QuicDecoder } from './codecs-sh5.js';
import { lzToGlz } from './lz-to-glz.js';

/** Where the benchmark runs: how to read fixtures, tell time and print. */
export interface BenchHost {
  /** One line describing the engine and the clock, printed above the table. */
  label: string;
  /** Milliseconds of the clock the stretches are timed with. */
  now(): number;
  /** The captured fixtures by file name (e.g. "quic-002-quic.bin"); empty when they are missing. */
  fixtures: Map<string, Uint8Array>;
  print(line: string): void;
  /**
   * A full garbage collection, run (untimed) before each stretch so that garbage one function left behind is
   * not collected on the next one's clock; absent where the engine does not expose it.
   */
  collect?: () => void;
  /** Stretch length and rounds (defaults 400 ms, 5). */
  minTimeMs?: number;
  rounds?: number;
}

interface Row {
  codec: string;
  payload: string;
  ours: number;
  oursOut?: number;
  sh5?: number;
}

type Fn = () => unknown;

/** GLZ and LZ4 against LZ into a reused buffer, all on one image. */
interface SameImageRow {
  image: string;
  lzOut: number;
  glz: number;
  glzOut: number;
  /** decodeGlzShared with `out` (the display channel's call): the window's copy when top-down. */
  glzShared: number;
  lz4: number;
  lz4Out: number;
}

/** Runs the whole benchmark and prints the table. */
export function runCodecBench(host: BenchHost): void {
  const minTime = host.minTimeMs ?? 400;
  const rounds = host.rounds ?? 5;
  const rows: Row[] = [];
  const same: SameImageRow[] = [];

  /** MPixel/s of one stretch of about minTime ms, calling fn in batches so the clock is read rarely. */
  const stretch = (pixels: number, batch: number, fn: Fn): number => {
    host.collect?.();
    let iters = 0;
    const start = host.now();
    let now = start;
    while (now - start < minTime) {
      for (let k = 0; k < batch; k++) fn();
      iters += batch;
      now = host.now();
    }
    return (pixels * iters) / ((now - start) / 1000) / 1e6;
  };

  /** Calls per batch so that a batch lasts about a millisecond (also warms the JIT up). */
  const calibrate = (fn: Fn): number => {
    let batch = 1;
    for (;;) {
      const start = host.now();
      for (let k = 0; k < batch; k++) fn();
      if (host.now() - start >= 1 || batch >= 1 << 16) return batch;
      batch *= 2;
    }
  };

  /** Best-of-rounds MPixel/s of each function, timed in alternation. */
  const measure = (pixels: number, ...fns: Fn[]): number[] => {
    const batches = fns.map((fn) => calibrate(fn));
    fns.forEach((fn, k) => stretch(pixels, batches[k]!, fn)); // warm-up: let the JIT settle
    const best = fns.map(() => 0);
    for (let r = 0; r < rounds; r++) {
      fns.forEach((fn, k) => {
        best[k] = Math.max(best[k]!, stretch(pixels, batches[k]!, fn));
      });
    }
    return best;
  };

  const fixture = (name: string): Uint8Array | undefined => host.fixtures.get(name);
  const session = (prefix: string): Uint8Array[] =>
    [...host.fixtures.keys()]
      .filter((f) => f.startsWith(prefix) && f.endsWith('.bin'))
      .sort()
      .map((f) => host.fixtures.get(f)!);

  // ---- QUIC ----
  const quic = new QuicDecoder();
  const quicOut = new Uint8ClampedArray(1024 * 768 * 4);
  const quicCases: [string, Uint8Array[]][] = [];
  const realQuic = fixture('quic-002-quic.bin');
  if (realQuic) quicCases.push(['Xspice 324x244 RGBA photo', [realQuic]]);
  const quicSession = session('quic-');
  if (quicSession.length) quicCases.push([`Xspice session, ${quicSession.length} RGBA images`, quicSession]);
  for (const [name, type, w, h, pattern] of [
    ['synthetic 1024x768 RGB32 photo', QuicImageType.Rgb32, 1024, 768, 'photo'],
    ['synthetic 1024x768 RGB32 desktop', QuicImageType.Rgb32, 1024, 768, 'desktop'],
    ['synthetic 640x480 RGBA photo', QuicImageType.Rgba, 640, 480, 'photo'],
  ] as const) {
    const rgba = makeImage(w, h, pattern, 1);
    quicCases.push([name, [encodeQuic(type, w, h, rgbaToPlanes(type, rgba, w * h))]]);
  }
  for (const [name, payloads] of quicCases) {
    const px = payloads.reduce((n, p) => n + quicPixels(p), 0);
    const theirs = payloads.map((p) => sh5QuicDecoder(p));
    const [ours, oursOut, sh5] = measure(
      px,
      () => payloads.forEach((p) => quic.decode(p)),
      () => payloads.forEach((p) => quic.decode(p, undefined, quicOut)),
      () => theirs.forEach((decode) => decode()),
    );
    rows.push({ codec: 'QUIC', payload: name, ours: ours!, oursOut, sh5 });
  }

  // ---- LZ ----
  const lzOut = new Uint8ClampedArray(1280 * 720 * 4);
  const lzCases: [string, Uint8Array[]][] = [];
  const realLz = fixture('lz-000-lz_rgb.bin');
  if (realLz) lzCases.push(['Xspice 800x600 RGB32 screen', [realLz]]);
  const realLzRgba = fixture('lz-003-lz_rgb.bin');
  if (realLzRgba) lzCases.push(['Xspice 324x200 RGBA window', [realLzRgba]]);
  const lzSession = session('lz-');
  if (lzSession.length) lzCases.push([`Xspice session, ${lzSession.length} images`, lzSession]);
  for (const [name, type, w, h, pattern, topDown] of [
    ['synthetic 1280x720 RGB32 desktop, bottom-up', LzImageType.Rgb32, 1280, 720, 'desktop', false],
    ['synthetic 640x480 RGBA photo', LzImageType.Rgba, 640, 480, 'photo', true],
  ] as const) {
    const rgba = makeImage(w, h, pattern, 2);
    lzCases.push([name, [encodeLz(type, w, h, bgra(rgba), topDown, w * 4)]]);
  }
  for (const [name, payloads] of lzCases) {
    const px = payloads.reduce((n, p) => n + lzPixels(p), 0);
    const theirs = payloads.map((p) => sh5LzDecoder(p));
    const [ours, oursOut, sh5] = measure(
      px,
      () => payloads.forEach((p) => decodeLz(p)),
      () => payloads.forEach((p) => decodeLz(p, null, undefined, lzOut)),
      () => theirs.forEach((decode) => decode()),
    );
    rows.push({ codec: 'LZ', payload: name, ours: ours!, oursOut, sh5 });
  }

  // ---- GLZ (ours only) ----
  const glzOut = new Uint8ClampedArray(1280 * 720 * 4);
  const glzSession = session('glz-');
  if (glzSession.length) {
    const px = glzSession.reduce((n, p) => n + readGlzHeader(p).width * readGlzHeader(p).height, 0);
    const [ours, oursOut] = measure(
      px,
      () => {
        const dict = new GlzDictionary(8 << 20);
        for (const p of glzSession) decodeGlz(p, dict);
      },
      () => {
        const dict = new GlzDictionary(8 << 20);
        for (const p of glzSession) decodeGlz(p, dict, undefined, glzOut);
      },
    );
    rows.push({ codec: 'GLZ', payload: `Xspice session, ${glzSession.length} images`, ours: ours!, oursOut });
  }

  // ---- GLZ and LZ4 against LZ on the same images (same size, content and orientation) ----
  // GLZ gets the LZ payload's own literals and matches (lzToGlz), so both decoders do the same work.
  // GLZ runs as a stream, as in a session: one dictionary, each call the next image id (patched into the
  // header; win_head_dist 0, so the window releases the previous image and the decoder reuses its buffer).
  for (const [name, w, h, pattern, alpha, topDown] of [
    ['1280x720 desktop, bottom-up', 1280, 720, 'desktop', false, false],
    ['1280x720 desktop, top-down', 1280, 720, 'desktop', false, true],
    ['640x480 RGBA photo', 640, 480, 'photo', true, true],
    ['640x480 RGB32 photo', 640, 480, 'photo', false, true],
  ] as const) {
    const stream = bgra(makeImage(w, h, pattern, 5, !alpha));
    const lzType = alpha ? LzImageType.Rgba : LzImageType.Rgb32;
    const lz = encodeLz(lzType, w, h, stream, topDown, w * 4);
    const glz = lzToGlz(lz, 0);
    const glzView = new DataView(glz.buffer, glz.byteOffset, glz.byteLength);
    const lz4 = encodeLz4Image(stream, w * 4, topDown, alpha ? BitmapFmt.Rgba : BitmapFmt.Fmt32bit, 16);
    const dict = new GlzDictionary(w * h);
    let nextId = 0;
    const glzNext = (out?: Uint8ClampedArray, owner?: object) => {
      glzView.setUint32(25, nextId++, false); // low word of the u64 id
      return owner ? decodeGlzShared(glz, dict, owner, undefined, out) : decodeGlz(glz, dict, undefined, out);
    };
    const owner = {};
    // the three payloads must decode to the same pixels, or the comparison means nothing
    const reference = decodeLz(lz).pixels;
    for (const [codec, img] of [
      ['GLZ', glzNext()],
      ['GLZ shared', glzNext(glzOut, owner)],
      ['LZ4', decodeLz4(lz4, w, h)],
    ] as const) {
      if (img.pixels.some((v, i) => v !== reference[i])) throw new Error(`${codec} payload of ${name} decodes to other pixels than LZ`);
    }
    const [lzOurs, glzOurs, glzOursOut, glzShared, lz4Ours, lz4OursOut] = measure(
      w * h,
      () => decodeLz(lz, null, undefined, lzOut),
      () => glzNext(),
      () => glzNext(glzOut),
      () => glzNext(glzOut, owner),
      () => decodeLz4(lz4, w, h),
      () => decodeLz4(lz4, w, h, undefined, glzOut),
    );
    same.push({ image: name, lzOut: lzOurs!, glz: glzOurs!, glzOut: glzOursOut!, glzShared: glzShared!, lz4: lz4Ours!, lz4Out: lz4OursOut! });
  }

  // ---- context: the floor of any decoder that allocates its output: allocate it and write every byte ----
  {
    const [alloc] = measure(800 * 600, () => new Uint8ClampedArray(800 * 600 * 4).fill(255));
    rows.push({ codec: '-', payload: 'allocate an 800x600 RGBA output, fill it', ours: alloc! });
  }

  report(host, rows, minTime, rounds);
  reportSameImage(host, same);
}

function report(host: BenchHost, rows: Row[], minTime: number, rounds: number): void {
  const num = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));
  const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? `${(a / b).toFixed(1)}x` : '-');
  const line = (codec: string, payload: string, ...cells: string[]): void =>
    host.print([codec.padEnd(5), payload.padEnd(44), ...cells.map((c) => c.padStart(9))].join(' '));
  host.print('');
  const gc = host.collect ? ', each after a full GC' : '';
  host.print(`codec throughput in MPixel/s: ${host.label}; best of ${rounds} alternating ${minTime} ms stretches${gc}`);
  host.print('"ours" allocates its output per call like spice-html5 does; "ours+out" decodes into one reused buffer');
  line('codec', 'payload', 'ours', 'ratio', 'ours+out', 'ratio', 'sh5');
  for (const r of rows) {
    line(r.codec, r.payload, num(r.ours), ratio(r.ours, r.sh5), num(r.oursOut), ratio(r.oursOut, r.sh5), num(r.sh5));
  }
  for (const codec of ['QUIC', 'LZ']) {
    const rs = rows.filter((r) => r.codec === codec && r.sh5);
    if (!rs.length) continue;
    const geo = (pick: (r: Row) => number): string => Math.exp(rs.reduce((s, r) => s + Math.log(pick(r) / r.sh5!), 0) / rs.length).toFixed(1);
    const lowest = Math.min(...rs.map((r) => r.ours / r.sh5!)).toFixed(1);
    host.print(
      `${codec} speed-up over spice-html5: geometric mean ${geo((r) => r.ours)}x, lowest ${lowest}x; ` + `with a reused buffer ${geo((r) => r.oursOut ?? r.ours)}x`,
    );
  }
}

function reportSameImage(host: BenchHost, rows: SameImageRow[]): void {
  if (!rows.length) return;
  const cell = (v: number, base: number): string => `${v.toFixed(1)} (${(v / base).toFixed(2)}x)`.padStart(17);
  host.print('');
  host.print('GLZ and LZ4 against LZ on the same image, MPixel/s (ratio to LZ+out); GLZ as a stream with one window');
  host.print(
    ['image'.padEnd(30), 'LZ+out'.padStart(9), 'GLZ'.padStart(17), 'GLZ+out'.padStart(17), 'GLZ shared'.padStart(17), 'LZ4'.padStart(17), 'LZ4+out'.padStart(17)].join(
      ' ',
    ),
  );
  for (const r of rows) {
    host.print(
      [
        r.image.padEnd(30),
        r.lzOut.toFixed(1).padStart(9),
        cell(r.glz, r.lzOut),
        cell(r.glzOut, r.lzOut),
        cell(r.glzShared, r.lzOut),
        cell(r.lz4, r.lzOut),
        cell(r.lz4Out, r.lzOut),
      ].join(' '),
    );
  }
}

/** Width * height from a QUIC header. */
function quicPixels(p: Uint8Array): number {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return view.getUint32(12, true) * view.getUint32(16, true);
}

/** Width * height from an LZ or GLZ header. */
function lzPixels(p: Uint8Array): number {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return view.getUint32(12) * view.getUint32(16);
}

function bgra(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) [out[i], out[i + 2]] = [rgba[i + 2]!, rgba[i]!];
  return out;
}
