/**
 * Codec throughput: our QUIC and LZ decoders against spice-html5's on the same payloads in the same run
 * (MPixel/s and the ratio), and our GLZ and LZ4 decoders alone. Payloads: real ones captured from Xspice
 * (test/fixtures/codecs/xspice) and larger synthetic ones made with the test encoders.
 * Run with `npm run bench` (bench/run.mjs bundles this file with esbuild).
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlzDictionary, decodeGlz } from '../src/codecs/glz.js';
import { LzImageType, decodeLz } from '../src/codecs/lz.js';
import { decodeLz4 } from '../src/codecs/lz4.js';
import { QuicDecoder, QuicImageType } from '../src/codecs/quic.js';
import { BitmapFmt } from '../src/protocol/constants.js';
import { makeImage } from '../test/unit/codecs/helpers/images.js';
import { encodeGlz, encodeLz, encodeLz4Image } from '../test/unit/codecs/helpers/lz-encoders.js';
import { encodeQuic, rgbaToPlanes } from '../test/unit/codecs/helpers/quic-encoder.js';
import { sh5Lz, sh5Quic } from '../test/unit/codecs/helpers/sh5.js';

declare const __benchRoot: string;

const MIN_TIME_MS = Number(process.env.BENCH_MS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** MPixel/s of one timed stretch of about MIN_TIME_MS. */
function stretch(pixels: number, fn: () => unknown): number {
  let iters = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MIN_TIME_MS) {
    fn();
    iters++;
    now = performance.now();
  }
  return (pixels * iters) / ((now - start) / 1000) / 1e6;
}

/**
 * Best-of-ROUNDS throughput of each function, measured in alternation so that load from other processes
 * (this machine is shared) hits both sides alike. Returns MPixel/s per function.
 */
function measure(pixels: number, ...fns: (() => unknown)[]): number[] {
  for (const fn of fns) stretch(pixels, fn); // warm-up: let the JIT settle
  const best = fns.map(() => 0);
  for (let r = 0; r < ROUNDS; r++) {
    fns.forEach((fn, k) => {
      best[k] = Math.max(best[k]!, stretch(pixels, fn));
    });
  }
  return best;
}

interface Row {
  codec: string;
  payload: string;
  mpixOurs: number;
  mpixSh5?: number;
}
const rows: Row[] = [];

function bgra(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) [out[i], out[i + 2]] = [rgba[i + 2]!, rgba[i]!];
  return out;
}

const fixtureDir = path.join(__benchRoot, 'test/fixtures/codecs/xspice');
function fixture(name: string): Uint8Array | null {
  const file = path.join(fixtureDir, name);
  return fs.existsSync(file) ? new Uint8Array(fs.readFileSync(file)) : null;
}

// ---- QUIC ----
const quic = new QuicDecoder();
const quicPayloads: [string, Uint8Array, number][] = [];
const realQuic = fixture('quic-002-quic.bin');
if (realQuic) quicPayloads.push(['Xspice 324x244 RGBA photo', realQuic, 324 * 244]);
for (const [name, type, w, h, pattern] of [
  ['synthetic 1024x768 RGB32 photo', QuicImageType.Rgb32, 1024, 768, 'photo'],
  ['synthetic 1024x768 RGB32 desktop', QuicImageType.Rgb32, 1024, 768, 'desktop'],
  ['synthetic 640x480 RGBA photo', QuicImageType.Rgba, 640, 480, 'photo'],
] as const) {
  const rgba = makeImage(w, h, pattern, 1);
  quicPayloads.push([name, encodeQuic(type, w, h, rgbaToPlanes(type, rgba, w * h)), w * h]);
}
for (const [name, payload, px] of quicPayloads) {
  const [mpixOurs, mpixSh5] = measure(px, () => quic.decode(payload), () => sh5Quic(payload));
  rows.push({ codec: 'QUIC', payload: name, mpixOurs: mpixOurs!, mpixSh5 });
}

// ---- LZ ----
const lzPayloads: [string, Uint8Array, number][] = [];
const realLz = fixture('lz-000-lz_rgb.bin');
if (realLz) lzPayloads.push(['Xspice 800x600 RGB32 screen', realLz, 800 * 600]);
const realLzRgba = fixture('lz-003-lz_rgb.bin');
if (realLzRgba) lzPayloads.push(['Xspice 324x200 RGBA window', realLzRgba, 324 * 200]);
for (const [name, type, w, h, pattern, topDown] of [
  ['synthetic 1280x720 RGB32 desktop, bottom-up', LzImageType.Rgb32, 1280, 720, 'desktop', false],
  ['synthetic 640x480 RGBA photo', LzImageType.Rgba, 640, 480, 'photo', true],
] as const) {
  const rgba = makeImage(w, h, pattern, 2);
  lzPayloads.push([name, encodeLz(type, w, h, bgra(rgba), topDown, w * 4), w * h]);
}
for (const [name, payload, px] of lzPayloads) {
  const [mpixOurs, mpixSh5] = measure(px, () => decodeLz(payload), () => sh5Lz(payload));
  rows.push({ codec: 'LZ', payload: name, mpixOurs: mpixOurs!, mpixSh5 });
}

// ---- GLZ (ours only) ----
const glzSession = fs.existsSync(fixtureDir)
  ? fs
      .readdirSync(fixtureDir)
      .filter((f) => f.startsWith('glz-') && f.endsWith('.bin'))
      .sort()
      .map((f) => new Uint8Array(fs.readFileSync(path.join(fixtureDir, f))))
  : [];
if (glzSession.length) {
  const px = glzSession.reduce((n, p) => n + new DataView(p.buffer, p.byteOffset).getUint32(9) * new DataView(p.buffer, p.byteOffset).getUint32(13), 0);
  rows.push({
    codec: 'GLZ',
    payload: `Xspice session, ${glzSession.length} images`,
    mpixOurs: measure(px, () => {
      const dict = new GlzDictionary(8 << 20);
      for (const p of glzSession) decodeGlz(p, dict);
    })[0]!,
  });
}
{
  const w = 1024;
  const h = 768;
  const a = bgra(makeImage(w, h, 'desktop', 3, true));
  const first = encodeGlz(LzImageType.Rgb32, w, h, a, true, 0, 0, new Map(), { chain: 4 });
  rows.push({
    codec: 'GLZ',
    payload: 'synthetic 1024x768 RGB32 desktop',
    mpixOurs: measure(w * h, () => decodeGlz(first, new GlzDictionary(8 << 20)))[0]!,
  });
}

// ---- LZ4 (ours only) ----
for (const [name, format, w, h, pattern] of [
  ['synthetic 1280x720 32BIT desktop', BitmapFmt.Fmt32bit, 1280, 720, 'desktop'],
  ['synthetic 640x480 RGBA photo', BitmapFmt.Rgba, 640, 480, 'photo'],
] as const) {
  const raw = bgra(makeImage(w, h, pattern, 4));
  const payload = encodeLz4Image(raw, w * 4, true, format, 16);
  rows.push({ codec: 'LZ4', payload: name, mpixOurs: measure(w * h, () => decodeLz4(payload, w, h))[0]! });
}

// ---- report ----
const fmt = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));
console.log(`\ncodec throughput (MPixel/s, best of ${ROUNDS} alternating ${MIN_TIME_MS} ms stretches, Node ${process.version})\n`);
console.log(['codec'.padEnd(6), 'payload'.padEnd(44), 'ours'.padStart(8), 'sh5'.padStart(8), 'ratio'.padStart(7)].join(' '));
for (const r of rows) {
  const ratio = r.mpixSh5 ? `${(r.mpixOurs / r.mpixSh5).toFixed(1)}x` : '-';
  console.log([r.codec.padEnd(6), r.payload.padEnd(44), fmt(r.mpixOurs).padStart(8), fmt(r.mpixSh5).padStart(8), ratio.padStart(7)].join(' '));
}
for (const codec of ['QUIC', 'LZ']) {
  const rs = rows.filter((r) => r.codec === codec && r.mpixSh5);
  if (!rs.length) continue;
  const geo = Math.exp(rs.reduce((s, r) => s + Math.log(r.mpixOurs / r.mpixSh5!), 0) / rs.length);
  console.log(`${codec}: geometric mean speed-up over spice-html5 ${geo.toFixed(1)}x`);
}
