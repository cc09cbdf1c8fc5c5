/**
 * The browser's video decoders (src/engine/video-decoders.ts) in Chromium: which codecs it reports, key
 * frame detection against what Chromium's own VideoEncoder emits, and decoding real VP8, VP9 and H.264
 * (Annex B) frames and a JPEG back to the picture that was encoded. The picture is four grey quadrants, so
 * the YUV matrix does not matter and orientation does.
 */
import { isKeyFrame } from '../../src/codecs/video-bitstream.js';
import { browserDecoders, probeVideoCodecs } from '../../src/engine/video-decoders.js';
import { VideoCodecType } from '../../src/protocol/constants.js';
import { assert, assertEqual } from './assert.js';

const W = 320;
const H = 240;
/** Top-left, top-right, bottom-left, bottom-right grey levels. */
const GREYS = [30, 200, 110, 250];

function quadrants(): OffscreenCanvas {
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d')!;
  GREYS.forEach((g, i) => {
    ctx.fillStyle = `rgb(${g},${g},${g})`;
    ctx.fillRect((i % 2) * (W / 2), Math.floor(i / 2) * (H / 2), W / 2, H / 2);
  });
  return canvas;
}

/**
 * The quadrants as an I420 frame in limited range, as GStreamer's videoconvert feeds spice-server's
 * encoders (luma 16..235, chroma 128 for grey): VP8 carries no colour information, so the decoder must
 * assume it (video-decoders.ts gstreamerColorSpace).
 */
function quadrantFrame(timestamp: number): VideoFrame {
  const data = new Uint8Array(W * H * 1.5).fill(128);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) data[y * W + x] = Math.round(16 + (GREYS[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)]! * 219) / 255);
  }
  return new VideoFrame(data, {
    format: 'I420',
    codedWidth: W,
    codedHeight: H,
    timestamp,
    colorSpace: { matrix: 'smpte170m', primaries: 'smpte170m', transfer: 'smpte170m', fullRange: false },
  });
}

async function encode(codec: string, frames: number, extra: Partial<VideoEncoderConfig> = {}): Promise<{ key: boolean; data: Uint8Array }[]> {
  const chunks: { key: boolean; data: Uint8Array }[] = [];
  const encoder = new VideoEncoder({
    output: (c) => {
      const data = new Uint8Array(c.byteLength);
      c.copyTo(data);
      chunks.push({ key: c.type === 'key', data });
    },
    error: (e) => {
      throw e;
    },
  });
  encoder.configure({ codec, width: W, height: H, bitrate: 2_000_000, latencyMode: 'realtime', ...extra });
  for (let i = 0; i < frames; i++) {
    const frame = quadrantFrame(i * 33_333);
    encoder.encode(frame, { keyFrame: i === 0 });
    frame.close();
  }
  await encoder.flush();
  encoder.close();
  return chunks;
}

function assertQuadrants(image: { width: number; height: number; pixels: Uint8ClampedArray }, what: string): void {
  assertEqual([image.width, image.height], [W, H], `${what} size`);
  GREYS.forEach((g, i) => {
    const x = (i % 2) * (W / 2) + W / 4;
    const y = Math.floor(i / 2) * (H / 2) + H / 4;
    const p = (y * W + x) * 4;
    const got = [...image.pixels.subarray(p, p + 4)];
    assert(got.slice(0, 3).every((v) => Math.abs(v - g) <= 8) && got[3] === 255, `${what} quadrant ${i}: expected grey ${g}, got ${got.join(',')}`);
  });
}

describe('browser video decoders', () => {
  it('should find MJPEG, VP8, VP9 and H.264 decodable', async () => {
    const codecs = [...(await probeVideoCodecs())].sort();
    assertEqual(codecs, [VideoCodecType.Mjpeg, VideoCodecType.Vp8, VideoCodecType.H264, VideoCodecType.Vp9], 'codecs');
    assertEqual([...browserDecoders.codecs()].sort(), codecs, 'backend codecs');
  });

  const cases: [string, number, string, Partial<VideoEncoderConfig>][] = [
    ['VP8', VideoCodecType.Vp8, 'vp8', {}],
    ['VP9', VideoCodecType.Vp9, 'vp09.00.10.08', {}],
    ['H.264', VideoCodecType.H264, 'avc1.42E01E', { avc: { format: 'annexb' } } as Partial<VideoEncoderConfig>],
  ];
  for (const [name, codec, codecString, extra] of cases) {
    it(`should tell key frames and decode ${name} frames to the encoded picture`, async () => {
      await probeVideoCodecs();
      const chunks = await encode(codecString, 4, extra);
      assertEqual(
        chunks.map((c) => isKeyFrame(codec, c.data)),
        chunks.map((c) => c.key),
        'key frames found by the bitstream parser',
      );
      const decoder = browserDecoders.create(codec, W, H)!;
      assert(decoder?.interFrame, 'an inter-frame decoder');
      for (const [i, c] of chunks.entries()) {
        const image = await decoder.decode(c.data, c.key);
        assert(image, `${name} frame ${i} decoded`);
        assertQuadrants(image, `${name} frame ${i}`);
      }
      decoder.close();
    });
  }

  it('should answer a delta frame before any key frame with no picture', async () => {
    await probeVideoCodecs();
    const chunks = await encode('vp8', 2);
    const decoder = browserDecoders.create(VideoCodecType.Vp8, W, H)!;
    assertEqual(await decoder.decode(chunks[1]!.data, false), null, 'no picture');
    assert(!decoder.failed, 'not failed');
    decoder.close();
  });

  it('should fail the decoder on a corrupt frame instead of throwing', async () => {
    await probeVideoCodecs();
    const chunks = await encode('vp8', 1);
    const decoder = browserDecoders.create(VideoCodecType.Vp8, W, H)!;
    await decoder.decode(chunks[0]!.data, true);
    // A key frame tag and start code with nonsense after it.
    const corrupt = new Uint8Array(600).map((_, i) => (i * 151 + 7) & 0xff);
    corrupt.set([0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0x3f, 0xff, 0x3f]);
    let error: unknown = null;
    await decoder.decode(corrupt, true).catch((e) => (error = e));
    assert(error !== null && decoder.failed, 'the decoder failed');
    let again: unknown = null;
    await decoder.decode(chunks[0]!.data, true).catch((e) => (again = e));
    assert(again !== null, 'a failed decoder refuses further frames');
    decoder.close();
  });

  it('should decode an MJPEG frame with the JPEG decoder', async () => {
    const blob = await quadrants().convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    const decoder = browserDecoders.create(VideoCodecType.Mjpeg, W, H)!;
    assert(!decoder.interFrame, 'every MJPEG frame stands alone');
    const image = await decoder.decode(new Uint8Array(await blob.arrayBuffer()), true);
    assert(image, 'decoded');
    assertQuadrants(image, 'MJPEG');
  });
});
