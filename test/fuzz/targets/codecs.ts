/**
 * Fuzz targets for the image codecs (src/codecs): QUIC, LZ (RGB, palette, alpha plane), GLZ, ZLIB_GLZ, LZ4,
 * BITMAP, and the video bitstream sniffers. Seeds are the Xspice captures plus payloads of the types Xspice
 * did not send, made by the test encoders of test/unit/codecs/helpers.
 */
import { zlibSync } from 'fflate';
import { decodeBitmap } from '../../../src/codecs/bitmap.js';
import { decodeGlz } from '../../../src/codecs/glz.js';
import { decodeLz, decodeLzAlpha } from '../../../src/codecs/lz.js';
import { decodeLz4 } from '../../../src/codecs/lz4.js';
import { decodeQuic } from '../../../src/codecs/quic.js';
import { allocImage, type SpicePalette } from '../../../src/codecs/types.js';
import { annexBNalUnits, h264CodecString, isKeyFrame, vp9FrameInfo } from '../../../src/codecs/video-bitstream.js';
import { decodeZlibGlz } from '../../../src/codecs/zlib-glz.js';
import { BitmapFmt, VideoCodecType } from '../../../src/protocol/constants.js';
import { makeImage } from '../../unit/codecs/helpers/images.js';
import { LzType, encodeGlz, encodeLz, encodeLz4Image } from '../../unit/codecs/helpers/lz-encoders.js';
import { QuicType, encodeQuic, rgbaToPlanes } from '../../unit/codecs/helpers/quic-encoder.js';
import type { FuzzTarget } from '../harness.js';
import { fixturesOf, glzDictionaryWithHistory } from '../seeds.js';

/** A 16-entry palette for the palette types (entries past its end read as black). */
const PALETTE: SpicePalette = { unique: 5n, entries: Uint32Array.from({ length: 16 }, (_, i) => i * 0x111111) };

const W = 13;
const H = 9;
const rgba = makeImage(W, H, 'desktop', 3);
/** RGBA to the B,G,R,A byte order the LZ encoders take. */
const bgra = (() => {
  const out = new Uint8Array(rgba.length);
  for (let i = 0; i < rgba.length; i += 4) out.set([rgba[i + 2]!, rgba[i + 1]!, rgba[i]!, rgba[i + 3]!], i);
  return out;
})();

function le(...values: [number, 1 | 2 | 4][]): Uint8Array {
  const out: number[] = [];
  for (const [v, n] of values) for (let i = 0; i < n; i++) out.push((v >>> (8 * i)) & 0xff);
  return Uint8Array.from(out);
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const quicTarget: FuzzTarget = {
  name: 'codecs/quic',
  seeds: () => [
    ...fixturesOf('quic').map((f) => f.bytes),
    ...[QuicType.Gray, QuicType.Rgb16, QuicType.Rgb24, QuicType.Rgb32, QuicType.Rgba].map((t) => encodeQuic(t, W, H, rgbaToPlanes(t, rgba, W * H))),
  ],
  run: (input) => void decodeQuic(input),
};

export const lzTarget: FuzzTarget = {
  name: 'codecs/lz',
  seeds: () => {
    const plt = Uint8Array.from({ length: 16 * H }, (_, i) => (i * 7) & 0xff);
    const rgb16 = new Uint8Array(W * H * 2).map((_, i) => (i * 13) & 0xff);
    return [
      ...fixturesOf('lz_rgb').map((f) => f.bytes),
      encodeLz(LzType.Rgb32, W, H, bgra, true, W * 4),
      encodeLz(LzType.Rgba, W, H, bgra, false, W * 4),
      encodeLz(LzType.Rgb16, W, H, rgb16, true, W * 2),
      encodeLz(LzType.Plt1Le, W, H, plt, true, 2),
      encodeLz(LzType.Plt1Be, W, H, plt, false, 2),
      encodeLz(LzType.Plt4Le, W, H, plt, true, 7),
      encodeLz(LzType.Plt4Be, W, H, plt, true, 7),
      encodeLz(LzType.Plt8, W, H, plt, true, W),
      encodeLz(LzType.A8, W, H, plt, true, W),
    ];
  },
  // The palette types need one; the RGB types ignore it.
  run: (input) => void decodeLz(input, PALETTE),
};

export const lzAlphaTarget: FuzzTarget = {
  name: 'codecs/lz-alpha',
  seeds: () => [encodeLz(LzType.Xxxa, W, H, bgra, true, W * 4), encodeLz(LzType.Xxxa, W, H, bgra, false, W * 4)],
  run: (input) => decodeLzAlpha(input, allocImage(W, H, false)),
};

export const glzTarget: FuzzTarget = {
  name: 'codecs/glz',
  seeds: () => [
    ...fixturesOf('glz_rgb').map((f) => f.bytes),
    encodeGlz(LzType.Rgba, W, H, bgra, true, 1000, 1, new Map()),
    encodeGlz(LzType.Rgb32, W, H, bgra, false, 1001, 1, new Map()),
  ],
  // A fresh dictionary holding the captured session, so mutated references land on real images.
  run: (input) => void decodeGlz(input, glzDictionaryWithHistory()),
};

export const zlibGlzTarget: FuzzTarget = {
  name: 'codecs/zlib-glz',
  // Input: glz_data_size u32 LE, then the zlib stream (the two fields the image carries).
  seeds: () => glzTarget.seeds().map((glz) => concat(le([glz.length, 4]), zlibSync(glz))),
  run: (input) => {
    const size = input.length >= 4 ? new DataView(input.buffer, input.byteOffset).getUint32(0, true) : 0;
    decodeZlibGlz(input.subarray(4), size, glzDictionaryWithHistory());
  },
};

export const lz4Target: FuzzTarget = {
  name: 'codecs/lz4',
  // Input: width u16 LE, height u16 LE (from the image descriptor), then the payload.
  seeds: () => {
    const raw16 = new Uint8Array(W * H * 2).map((_, i) => (i * 5) & 0xff);
    const raw24 = new Uint8Array(W * H * 3).map((_, i) => (i * 3) & 0xff);
    return [
      ...fixturesOf('lz4').map((f) => concat(le([f.meta.width, 2], [f.meta.height, 2]), f.bytes)),
      concat(le([W, 2], [H, 2]), encodeLz4Image(rgba, W * 4, true, BitmapFmt.Rgba, 4)),
      concat(le([W, 2], [H, 2]), encodeLz4Image(rgba, W * 4, false, BitmapFmt.Fmt32bit, 3)),
      concat(le([W, 2], [H, 2]), encodeLz4Image(raw24, W * 3, true, BitmapFmt.Fmt24bit, 9)),
      concat(le([W, 2], [H, 2]), encodeLz4Image(raw16, W * 2, true, BitmapFmt.Fmt16bit, 2)),
    ];
  },
  run: (input) => {
    if (input.length < 4) return;
    const v = new DataView(input.buffer, input.byteOffset);
    decodeLz4(input.subarray(4), v.getUint16(0, true), v.getUint16(2, true));
  },
};

export const bitmapTarget: FuzzTarget = {
  name: 'codecs/bitmap',
  // Input: format u8, top_down u8, width u16 LE, height u16 LE, stride u32 LE, then the rows.
  seeds: () => {
    const out = fixturesOf('bitmap', 16 * 1024).map((f) =>
      concat(
        le(
          [f.meta.format ?? 0, 1],
          [(f.meta.bitmapFlags ?? 0) & 4 ? 1 : 0, 1],
          [f.meta.bitmapWidth ?? f.meta.width, 2],
          [f.meta.bitmapHeight ?? f.meta.height, 2],
          [f.meta.stride ?? 0, 4],
        ),
        f.bytes,
      ),
    );
    for (const format of Object.values(BitmapFmt)) {
      if (format === BitmapFmt.Invalid) continue;
      const stride = Math.ceil((W * (format <= 2 ? 1 : format <= 4 ? 4 : format === 6 ? 16 : format === 7 ? 24 : format >= 8 && format <= 9 ? 32 : 8)) / 8);
      out.push(concat(le([format, 1], [format & 1, 1], [W, 2], [H, 2], [stride, 4]), rgba.subarray(0, stride * H)));
    }
    return out;
  },
  run: (input) => {
    if (input.length < 10) return;
    const v = new DataView(input.buffer, input.byteOffset);
    decodeBitmap(input[0]!, v.getUint16(2, true), v.getUint16(4, true), v.getUint32(6, true), input[1] !== 0, PALETTE, input.subarray(10));
  },
};

export const videoBitstreamTarget: FuzzTarget = {
  name: 'codecs/video-bitstream',
  // Input: codec u8 (SPICE_VIDEO_CODEC_TYPE_*), then one frame. These sniffers must never throw at all.
  seeds: () => {
    const sc = [0, 0, 0, 1];
    return [
      Uint8Array.from([VideoCodecType.Vp8, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x00]),
      Uint8Array.from([VideoCodecType.Vp9, 0x82, 0x49, 0x83, 0x42, 0x00]),
      Uint8Array.from([VideoCodecType.H264, ...sc, 0x67, 0x64, 0x00, 0x1f, 0xac, ...sc, 0x68, 0xee, 0x3c, 0x80, 0, 0, 1, 0x65, 0x88, 0x84]),
      Uint8Array.from([VideoCodecType.H265, ...sc, 0x40, 0x01, 0x0c, ...sc, 0x26, 0x01, 0xaf]),
      Uint8Array.from([VideoCodecType.Mjpeg, 0xff, 0xd8, 0xff, 0xe0]),
    ];
  },
  run: (input) => {
    const frame = input.subarray(1);
    isKeyFrame(input[0] ?? 0, frame);
    h264CodecString(frame);
    vp9FrameInfo(frame);
    for (const nal of annexBNalUnits(frame)) if (nal.length > frame.length) throw new Error('NAL unit longer than its stream');
  },
};

export const codecTargets: FuzzTarget[] = [quicTarget, lzTarget, lzAlphaTarget, glzTarget, zlibGlzTarget, lz4Target, bitmapTarget, videoBitstreamTarget];
