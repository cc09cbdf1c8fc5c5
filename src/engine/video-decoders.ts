/**
 * The browser's video decoders for VideoStreams: MJPEG frames through the JPEG decoder of jpeg.ts, VP8,
 * VP9, H.264 and H.265 through WebCodecs VideoDecoder. Which codecs this browser decodes is probed once,
 * asynchronously (`probeVideoCodecs`, awaited by Engine.connect), because the display channel announces
 * its codec caps synchronously when it links.
 *
 * Pictures are read back with VideoFrame.copyTo(format 'RGBA', colorSpace 'srgb'): in Chromium 156 that
 * took 1.8 ms for a 1024x768 frame against 9.6 ms for drawImage + getImageData on an OffscreenCanvas (both
 * gave the same pixels); browsers without that conversion fall back to the canvas path.
 */
import type { DecodedImage } from '../codecs/types.js';
import { checkDimensions } from '../codecs/types.js';
import { h264CodecString, videoCodecName, vp9FrameInfo } from '../codecs/video-bitstream.js';
import { VideoCodecType } from '../protocol/constants.js';
import { bitmapToImage, decodeJpeg } from './jpeg.js';
import type { DecoderBackend, FrameDecoder } from './video-streams.js';

/**
 * Codec strings tried per codec, first supported wins. H.264: Constrained Baseline and High (x264 as
 * spice-server runs it sends High); the stream's own SPS names the profile when the decoder is configured.
 */
const CODEC_STRINGS: Partial<Record<number, string[]>> = {
  [VideoCodecType.Vp8]: ['vp8'],
  [VideoCodecType.Vp9]: ['vp09.00.10.08'],
  [VideoCodecType.H264]: ['avc1.42E01E', 'avc1.640028'],
  [VideoCodecType.H265]: ['hev1.1.6.L93.B0', 'hvc1.1.6.L93.B0'],
};

const PROBE_TIMEOUT_MS = 3000;

let probe: Promise<readonly number[]> | null = null;
/** Codec type → the codec string VideoDecoder accepted; MJPEG needs none. */
const supported = new Map<number, string>([[VideoCodecType.Mjpeg, 'jpeg']]);

/**
 * Asks VideoDecoder.isConfigSupported about each codec once; resolves with the decodable codec types
 * (MJPEG always). Later calls return the same promise.
 */
export function probeVideoCodecs(): Promise<readonly number[]> {
  probe ??= (async () => {
    if (typeof VideoDecoder !== 'undefined') {
      const checks = Object.entries(CODEC_STRINGS).map(async ([codec, strings]) => {
        for (const codecString of strings ?? []) {
          try {
            const r = await VideoDecoder.isConfigSupported({ codec: codecString, optimizeForLatency: true });
            if (r.supported) return supported.set(Number(codec), codecString);
          } catch {
            // A malformed string for this browser: try the next.
          }
        }
        return undefined;
      });
      await Promise.race([Promise.all(checks), new Promise((resolve) => setTimeout(resolve, PROBE_TIMEOUT_MS))]);
    }
    return [...supported.keys()];
  })();
  return probe;
}

/** The browser's decoders; `codecs()` lists what the probe found (MJPEG only before it finished). */
export const browserDecoders: DecoderBackend = {
  codecs: () => [...supported.keys()],
  create(codec, _width, height) {
    if (codec === VideoCodecType.Mjpeg) return new JpegFrameDecoder();
    const codecString = supported.get(codec);
    return codecString ? new WebCodecsFrameDecoder(codec, codecString, gstreamerColorSpace(height)) : null;
  },
};

/** MJPEG: every frame is a JPEG image. */
class JpegFrameDecoder implements FrameDecoder {
  readonly interFrame = false;
  readonly failed = false;
  decode(frame: Uint8Array): Promise<DecodedImage> {
    return decodeJpeg(frame);
  }
  close(): void {}
}

interface Pending {
  resolve(image: DecodedImage | null): void;
  reject(error: unknown): void;
}

/** Whether VideoFrame.copyTo converts to RGBA here (unknown until the first frame). */
let copyToRgba: boolean | undefined;

/**
 * One WebCodecs VideoDecoder per stream, configured at the stream's first key frame (VP9 profile and
 * H.264 SPS known then). Chunks carry a running counter as timestamp; an output answers the chunk with
 * its timestamp, and chunks before it that got no picture resolve with null.
 */
class WebCodecsFrameDecoder implements FrameDecoder {
  readonly interFrame = true;
  failed = false;
  private decoder: VideoDecoder | null = null;
  private readonly pending = new Map<number, Pending>();
  private timestamp = 0;

  constructor(
    private readonly codec: number,
    private readonly codecString: string,
    private readonly colorSpace: VideoColorSpaceInit,
  ) {}

  decode(frame: Uint8Array, key: boolean): Promise<DecodedImage | null> {
    if (this.failed) return Promise.reject(new Error(`the ${videoCodecName(this.codec)} decoder has failed`));
    if (!this.decoder) {
      if (!key) return Promise.resolve(null);
      try {
        this.decoder = this.configure(frame);
      } catch (e) {
        this.failed = true;
        return Promise.reject(asError(e));
      }
    }
    const timestamp = this.timestamp++;
    return new Promise((resolve, reject) => {
      this.pending.set(timestamp, { resolve, reject });
      try {
        this.decoder!.decode(new EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp, data: frame }));
      } catch (e) {
        this.pending.delete(timestamp);
        this.fail(e);
        reject(asError(e));
      }
    });
  }

  close(): void {
    for (const p of this.pending.values()) p.resolve(null);
    this.pending.clear();
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
  }

  private configure(keyFrame: Uint8Array): VideoDecoder {
    let codec = this.codecString;
    if (this.codec === VideoCodecType.H264) codec = h264CodecString(keyFrame) ?? codec;
    if (this.codec === VideoCodecType.Vp9) {
      const profile = vp9FrameInfo(keyFrame)?.profile ?? 0;
      codec = `vp09.0${profile}.10.${profile >= 2 ? '10' : '08'}`;
    }
    const decoder = new VideoDecoder({ output: (f) => this.output(f), error: (e) => this.fail(e) });
    // No description: H.264/H.265 then arrive as Annex B, as SPICE sends them. The colour space applies
    // where the bitstream names none (VP8 never does; VP9 and H.264 may).
    decoder.configure({ codec, optimizeForLatency: true, colorSpace: this.colorSpace });
    return decoder;
  }

  private output(frame: VideoFrame): void {
    const timestamp = frame.timestamp;
    for (const [t, p] of this.pending) {
      if (t >= timestamp) break;
      this.pending.delete(t);
      p.resolve(null);
    }
    const p = this.pending.get(timestamp);
    if (!p) return frame.close();
    this.pending.delete(timestamp);
    frameToImage(frame)
      .then(
        (image) => p.resolve(image),
        (e) => p.reject(e),
      )
      .finally(() => frame.close());
  }

  private fail(error: unknown): void {
    this.failed = true;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/**
 * The YUV colour space spice-server's GStreamer encoders use, which is GStreamer's default for the frame
 * height (video-info.c set_default_colorimetry: BT.601 up to 576 lines, BT.709 above, BT.2020 from 2160),
 * limited range. spice-gtk decodes with the same rule. Chromium otherwise takes BT.709 for VP8 and for VP9
 * without colour information, which shifted a 320x240 stream's colours by up to 20 levels.
 */
export function gstreamerColorSpace(height: number): VideoColorSpaceInit {
  // BT.2020's transfer curve is BT.709's; TypeScript's lib does not list the BT.2020 names Chromium takes.
  if (height >= 2160) return { matrix: 'bt2020-ncl' as VideoMatrixCoefficients, primaries: 'bt2020' as VideoColorPrimaries, transfer: 'bt709', fullRange: false };
  if (height > 576) return { matrix: 'bt709', primaries: 'bt709', transfer: 'bt709', fullRange: false };
  return { matrix: 'smpte170m', primaries: 'smpte170m', transfer: 'smpte170m', fullRange: false };
}

/** The visible part of a decoded frame as RGBA rows. */
async function frameToImage(frame: VideoFrame): Promise<DecodedImage> {
  const rect = frame.visibleRect;
  const width = rect?.width ?? frame.displayWidth;
  const height = rect?.height ?? frame.displayHeight;
  checkDimensions('video frame', width, height);
  if (copyToRgba !== false) {
    const pixels = new Uint8ClampedArray(width * height * 4);
    try {
      await frame.copyTo(pixels, { format: 'RGBA', colorSpace: 'srgb' });
      copyToRgba = true;
      return { width, height, pixels, hasAlpha: false };
    } catch (e) {
      if (copyToRgba) throw e;
      copyToRgba = false;
    }
  }
  return bitmapToImage(frame, width, height);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
