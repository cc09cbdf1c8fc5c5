/**
 * Just enough of the VP8, VP9, H.264 and H.265 bitstreams to tell a key frame from a delta frame (WebCodecs
 * must be told, and refuses a delta frame first) and to name the H.264 profile in a codec string. SPICE
 * sends each video frame as one message: VP8/VP9 as raw frames, H.264/H.265 as an Annex-B byte stream
 * (start codes, no length prefixes) [srv:gstreamer-encoder.c]. MJPEG frames are independent JPEG images.
 * Pure: no DOM, no worker globals.
 */
import { VideoCodecType } from '../protocol/constants.js';

/** VP8 frame tag (RFC 6386 §9.1): bit 0 of the first byte is 0 for a key frame, which then carries the start code 9d 01 2a. */
export function vp8IsKeyFrame(frame: Uint8Array): boolean {
  return frame.byteLength >= 10 && (frame[0]! & 1) === 0 && frame[3] === 0x9d && frame[4] === 0x01 && frame[5] === 0x2a;
}

export interface Vp9FrameInfo {
  key: boolean;
  profile: number;
}

/**
 * The start of a VP9 uncompressed header (VP9 bitstream spec §6.2): frame_marker (2 bits, 0b10),
 * profile_low_bit, profile_high_bit, a reserved zero bit in profile 3, show_existing_frame, frame_type
 * (0 = KEY_FRAME). A superframe starts with its first frame, so its first header decides. null: not VP9.
 */
export function vp9FrameInfo(frame: Uint8Array): Vp9FrameInfo | null {
  if (frame.byteLength < 1) return null;
  const b = frame[0]!;
  if (b >> 6 !== 2) return null;
  const profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
  let bit = 3; // next bit, counted from the most significant
  if (profile === 3) bit--; // reserved_zero
  const showExisting = (b >> bit) & 1;
  if (showExisting) return { key: false, profile };
  const frameType = (b >> (bit - 1)) & 1;
  return { key: frameType === 0, profile };
}

/** NAL unit payloads of an Annex-B byte stream (each starting with its NAL header byte). */
export function* annexBNalUnits(stream: Uint8Array): Generator<Uint8Array> {
  let start = -1;
  const n = stream.byteLength;
  for (let i = 0; i + 2 < n; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      if (start >= 0) yield stream.subarray(start, trimZeros(stream, start, i));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0 && start < n) yield stream.subarray(start, n);
}

/** End of a NAL unit before the next start code: trailing zero bytes belong to a 4-byte start code. */
function trimZeros(stream: Uint8Array, start: number, end: number): number {
  while (end > start && stream[end - 1] === 0) end--;
  return end;
}

/** H.264 access unit with an IDR slice (nal_unit_type 5). */
export function h264IsKeyFrame(stream: Uint8Array): boolean {
  for (const nal of annexBNalUnits(stream)) if (nal.byteLength && (nal[0]! & 0x1f) === 5) return true;
  return false;
}

/**
 * The codec string ('avc1.PPCCLL') for the SPS (nal_unit_type 7) in an Annex-B access unit: profile_idc,
 * the constraint flags byte and level_idc, in hex. null when the access unit carries no SPS.
 */
export function h264CodecString(stream: Uint8Array): string | null {
  for (const nal of annexBNalUnits(stream)) {
    if (nal.byteLength >= 4 && (nal[0]! & 0x1f) === 7) {
      const hex = (v: number) => v.toString(16).toUpperCase().padStart(2, '0');
      return `avc1.${hex(nal[1]!)}${hex(nal[2]!)}${hex(nal[3]!)}`;
    }
  }
  return null;
}

/** H.265 access unit with an IRAP picture (nal_unit_type 16..23: BLA, IDR, CRA). */
export function h265IsKeyFrame(stream: Uint8Array): boolean {
  for (const nal of annexBNalUnits(stream)) {
    if (!nal.byteLength) continue;
    const type = (nal[0]! >> 1) & 0x3f;
    if (type >= 16 && type <= 23) return true;
  }
  return false;
}

/** Whether `frame` of a stream in `codec` (SPICE_VIDEO_CODEC_TYPE_*) can start decoding. */
export function isKeyFrame(codec: number, frame: Uint8Array): boolean {
  switch (codec) {
    case VideoCodecType.Mjpeg:
      return true;
    case VideoCodecType.Vp8:
      return vp8IsKeyFrame(frame);
    case VideoCodecType.Vp9:
      return vp9FrameInfo(frame)?.key ?? false;
    case VideoCodecType.H264:
      return h264IsKeyFrame(frame);
    case VideoCodecType.H265:
      return h265IsKeyFrame(frame);
    default:
      return false;
  }
}

/** A short name for logs. */
export function videoCodecName(codec: number): string {
  switch (codec) {
    case VideoCodecType.Mjpeg:
      return 'MJPEG';
    case VideoCodecType.Vp8:
      return 'VP8';
    case VideoCodecType.Vp9:
      return 'VP9';
    case VideoCodecType.H264:
      return 'H.264';
    case VideoCodecType.H265:
      return 'H.265';
    default:
      return `codec ${codec}`;
  }
}
