/**
 * Key frame detection and codec strings for stream frames. The frame starts are those Chromium's own
 * VideoEncoder produced (vp8, vp09.00.10.08, avc1.42E01E in Annex B) and x264's High-profile SPS.
 */
import { describe, expect, it } from 'vitest';
import { annexBNalUnits, h264CodecString, h264IsKeyFrame, h265IsKeyFrame, isKeyFrame, vp8IsKeyFrame, vp9FrameInfo } from '../../../src/codecs/video-bitstream.js';
import { VideoCodecType } from '../../../src/protocol/constants.js';

const bytes = (...b: number[]) => Uint8Array.from(b);
const pad = (b: Uint8Array, n = 16) => Uint8Array.from([...b, ...new Array(n).fill(0x55)]);

describe('VP8 frames', () => {
  it('should tell a key frame by its frame tag and start code', () => {
    expect(vp8IsKeyFrame(pad(bytes(0x30, 0xb2, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00)))).toBe(true);
    expect(vp8IsKeyFrame(pad(bytes(0x51, 0x3b, 0x00, 0x08, 0x11, 0x18)))).toBe(false);
    expect(vp8IsKeyFrame(pad(bytes(0x30, 0xb2, 0x00, 0x9d, 0x01, 0x2b)))).toBe(false); // no start code
    expect(vp8IsKeyFrame(bytes(0x30, 0xb2, 0x00, 0x9d, 0x01, 0x2a))).toBe(false); // truncated
  });
});

describe('VP9 frames', () => {
  it('should read frame type and profile from the uncompressed header', () => {
    expect(vp9FrameInfo(bytes(0x82, 0x49, 0x83, 0x42))).toEqual({ key: true, profile: 0 });
    expect(vp9FrameInfo(bytes(0x86, 0x00, 0x40, 0x92))).toEqual({ key: false, profile: 0 });
    expect(vp9FrameInfo(bytes(0xa2, 0x49, 0x83, 0x42))).toEqual({ key: true, profile: 1 });
    expect(vp9FrameInfo(bytes(0x92, 0x49, 0x83, 0x42))).toEqual({ key: true, profile: 2 });
    // Profile 3 has a reserved bit before show_existing_frame: 10 1 1 0 0 0 0.
    expect(vp9FrameInfo(bytes(0xb0, 0x49, 0x83, 0x42))).toEqual({ key: true, profile: 3 });
    expect(vp9FrameInfo(bytes(0xb4, 0x00))).toEqual({ key: false, profile: 3 });
    expect(vp9FrameInfo(bytes(0x88))).toEqual({ key: false, profile: 0 }); // show_existing_frame
    expect(vp9FrameInfo(bytes(0x42))).toBeNull(); // no frame marker
    expect(vp9FrameInfo(bytes())).toBeNull();
  });
});

describe('H.264 and H.265 access units (Annex B)', () => {
  const sps = bytes(0x67, 0x64, 0x00, 0x28, 0xac, 0xd9);
  const pps = bytes(0x68, 0xeb, 0xe3, 0xcb);
  const idr = bytes(0x65, 0x88, 0x84, 0x00);
  const slice = bytes(0x41, 0x9a, 0x02, 0x00);
  const aud = bytes(0x09, 0xf0);
  const join = (...nals: Uint8Array[]) => Uint8Array.from(nals.flatMap((n, i) => [...(i % 2 ? [0, 0, 1] : [0, 0, 0, 1]), ...n]));

  it('should split NAL units at 3- and 4-byte start codes', () => {
    expect([...annexBNalUnits(join(aud, sps, pps, idr))].map((n) => n[0])).toEqual([0x09, 0x67, 0x68, 0x65]);
    expect([...annexBNalUnits(bytes(1, 2, 3))]).toEqual([]);
  });

  it('should take an access unit with an IDR slice for a key frame', () => {
    expect(h264IsKeyFrame(join(aud, sps, pps, idr))).toBe(true);
    expect(h264IsKeyFrame(join(aud, slice))).toBe(false);
    expect(isKeyFrame(VideoCodecType.H264, join(slice, idr))).toBe(true);
  });

  it('should name the profile and level of the SPS', () => {
    expect(h264CodecString(join(aud, sps, pps, idr))).toBe('avc1.640028');
    expect(h264CodecString(join(bytes(0x67, 0x42, 0xe0, 0x1e, 0x8c)))).toBe('avc1.42E01E');
    expect(h264CodecString(join(aud, slice))).toBeNull();
  });

  it('should take IRAP pictures for H.265 key frames', () => {
    expect(h265IsKeyFrame(join(bytes(0x40, 0x01, 0x0c), bytes(0x26, 0x01, 0xaf)))).toBe(true); // VPS, IDR_W_RADL
    expect(h265IsKeyFrame(join(bytes(0x02, 0x01, 0xd0)))).toBe(false); // TRAIL_R
  });

  it('should take every MJPEG frame for a key frame and nothing of an unknown codec', () => {
    expect(isKeyFrame(VideoCodecType.Mjpeg, bytes(0xff, 0xd8))).toBe(true);
    expect(isKeyFrame(99, bytes(0x82, 0x49))).toBe(false);
  });
});
