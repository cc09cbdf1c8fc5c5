/**
 * VideoStreams against a fake decoder backend: stream lifecycle, drawing (orientation, scaling, clip),
 * STREAM_REPORT bytes, the bounded pipeline and hostile input. Messages are built as wire bytes and go
 * through the protocol parsers, as the display channel hands them over.
 */
import { describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../../src/codecs/types.js';
import { Surface } from '../../../src/display/surface.js';
import type { StreamHost } from '../../../src/engine/streams.js';
import { MAX_FRAMES_WITHOUT_KEY, MAX_IN_FLIGHT, REPORT_MARGIN_MS, VideoStreams, type DecoderBackend, type FrameDecoder } from '../../../src/engine/video-streams.js';
import { DisplayCap, DisplayMsgc, StreamFlags, VideoCodecType } from '../../../src/protocol/constants.js';
import * as msg from '../../../src/protocol/display.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Writer } from '../../../src/protocol/writer.js';

// ---------------------------------------------------------------------------------------------------
// Wire builders (spice.proto DisplayChannel)

interface R {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
const rect = (left: number, top: number, right: number, bottom: number): R => ({ left, top, right, bottom });

function writeRect(w: Writer, r: R): Writer {
  return w.i32(r.top).i32(r.left).i32(r.bottom).i32(r.right);
}
function writeClip(w: Writer, clip: R[] | null): Writer {
  if (!clip) return w.u8(0);
  w.u8(1).u32(clip.length);
  for (const r of clip) writeRect(w, r);
  return w;
}

interface CreateSpec {
  id?: number;
  surfaceId?: number;
  flags?: number;
  codec?: number;
  width?: number;
  height?: number;
  dest?: R;
  clip?: R[] | null;
}
function createBody(s: CreateSpec = {}): Uint8Array {
  const width = s.width ?? 4;
  const height = s.height ?? 2;
  const w = new Writer()
    .u32(s.surfaceId ?? 0)
    .u32(s.id ?? 0)
    .u8(s.flags ?? StreamFlags.TopDown)
    .u8(s.codec ?? VideoCodecType.Mjpeg)
    .u64(0n)
    .u32(width)
    .u32(height)
    .u32(width)
    .u32(height);
  writeRect(w, s.dest ?? rect(0, 0, width, height));
  return writeClip(w, s.clip ?? null).finish();
}
function dataBody(id: number, mmTime: number, data: Uint8Array): Uint8Array {
  return new Writer().u32(id).u32(mmTime).u32(data.byteLength).bytes(data).finish();
}
function sizedBody(id: number, mmTime: number, width: number, height: number, dest: R, data: Uint8Array): Uint8Array {
  return writeRect(new Writer().u32(id).u32(mmTime).u32(width).u32(height), dest).u32(data.byteLength).bytes(data).finish();
}
function clipBody(id: number, clip: R[] | null): Uint8Array {
  return writeClip(new Writer().u32(id), clip).finish();
}
function activateBody(id: number, uniqueId: number, window: number, timeoutMs: number): Uint8Array {
  return new Writer().u32(id).u32(uniqueId).u32(window).u32(timeoutMs).finish();
}

/** STREAM_REPORT as the server reads it (spice.proto stream_report: 8 x 32 bits = 32 bytes), written by hand. */
function reportBytes(f: [number, number, number, number, number, number, number, number]): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  f.forEach((x, i) => (i === 6 ? v.setInt32(i * 4, x, true) : v.setUint32(i * 4, x >>> 0, true)));
  return b;
}

// Frames of the fake codecs: VP8 key frames need the frame tag and start code, delta frames bit 0 set.
const VP8_KEY = Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 4, 0, 2, 0, 7);
const VP8_DELTA = Uint8Array.of(0x31, 0x02, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 8);
const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xd9);

// ---------------------------------------------------------------------------------------------------
// Fakes

/** A picture whose pixel (x, y) is rgba(x*16, y*16, tag, 255). */
function picture(width: number, height: number, tag = 0): DecodedImage {
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.set([x * 16, y * 16, tag, 255], (y * width + x) * 4);
  return { width, height, pixels, hasAlpha: false };
}

class Deferred<T> {
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  readonly promise = new Promise<T>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });
}

/** Decodes by `answer` (immediate) or leaves the frame pending for the test to settle. */
class FakeDecoder implements FrameDecoder {
  failed = false;
  closed = false;
  readonly calls: { frame: Uint8Array; key: boolean; result: Deferred<DecodedImage | null> }[] = [];
  constructor(
    readonly interFrame: boolean,
    private readonly answer: ((frame: Uint8Array, n: number) => DecodedImage | null | Error) | null,
  ) {}
  decode(frame: Uint8Array, key: boolean): Promise<DecodedImage | null> {
    const result = new Deferred<DecodedImage | null>();
    this.calls.push({ frame, key, result });
    if (this.answer) {
      const a = this.answer(frame, this.calls.length - 1);
      if (a instanceof Error) result.reject(a);
      else result.resolve(a);
    }
    return result.promise;
  }
  close(): void {
    this.closed = true;
    for (const c of this.calls) c.result.resolve(null);
  }
}

interface Fixture {
  streams: VideoStreams;
  surface: Surface;
  sent: { type: number; body: Uint8Array }[];
  changed: number[];
  logs: string[];
  decoders: FakeDecoder[];
  clock: { now: number };
}

function fixture(
  o: {
    codecs?: number[];
    answer?: ((frame: Uint8Array, n: number) => DecodedImage | null | Error) | null;
    serverCaps?: number[];
    preferredCodecs?: number[];
    frameTimeoutMs?: number;
    surface?: Surface;
  } = {},
): Fixture {
  const surface = o.surface ?? new Surface(0, 8, 6, 32);
  const sent: Fixture['sent'] = [];
  const changed: number[] = [];
  const logs: string[] = [];
  const decoders: FakeDecoder[] = [];
  const clock = { now: 0 };
  const host: StreamHost = {
    surface: (id) => (id === surface.id ? surface : undefined),
    changed: (id) => changed.push(id),
    send: (type, body) => sent.push({ type, body }),
    log: (level, message) => logs.push(`${level}: ${message}`),
  };
  const codecs = o.codecs ?? [VideoCodecType.Mjpeg, VideoCodecType.Vp8];
  const backend: DecoderBackend = {
    codecs: () => codecs,
    create(codec, _width, _height) {
      if (!codecs.includes(codec)) return null;
      const d = new FakeDecoder(codec !== VideoCodecType.Mjpeg, o.answer === undefined ? () => picture(4, 2) : o.answer);
      decoders.push(d);
      return d;
    },
  };
  const streams = new VideoStreams(host, {
    decoders: backend,
    now: () => clock.now,
    frameTimeoutMs: o.frameTimeoutMs ?? 1000,
    ...(o.preferredCodecs ? { preferredCodecs: o.preferredCodecs } : {}),
  });
  streams.linked(o.serverCaps ?? [DisplayCap.StreamReport, DisplayCap.MultiCodec, DisplayCap.PrefVideoCodecType]);
  return { streams, surface, sent, changed, logs, decoders, clock };
}

const create = (f: Fixture, s: CreateSpec = {}) => f.streams.create(msg.parseStreamCreate(createBody(s)));
const data = (f: Fixture, id: number, mm: number, frame: Uint8Array) => f.streams.data(msg.parseStreamData(dataBody(id, mm, frame), false));
const sized = (f: Fixture, id: number, mm: number, w: number, h: number, dest: R, frame: Uint8Array) =>
  f.streams.data(msg.parseStreamData(sizedBody(id, mm, w, h, dest, frame), true));
const activate = (f: Fixture, id: number, unique: number, window: number, timeout: number) =>
  f.streams.activateReport(msg.parseStreamActivateReport(activateBody(id, unique, window, timeout)));

/** Surface pixel as [r, g, b]. */
function px(s: Surface, x: number, y: number): number[] {
  const i = (y * s.width + x) * 4;
  return [s.pixels[i]!, s.pixels[i + 1]!, s.pixels[i + 2]!];
}
const BLANK = [0, 0, 0];

function reports(f: Fixture): Uint8Array[] {
  return f.sent.filter((m) => m.type === DisplayMsgc.StreamReport).map((m) => m.body);
}

// ---------------------------------------------------------------------------------------------------

describe('VideoStreams capabilities', () => {
  it('should advertise MULTI_CODEC, MJPEG and each codec the backend decodes', () => {
    const f = fixture({ codecs: [VideoCodecType.Mjpeg, VideoCodecType.Vp8, VideoCodecType.H264, VideoCodecType.Vp9] });
    expect(f.streams.codecCaps()).toEqual([DisplayCap.MultiCodec, DisplayCap.CodecMjpeg, DisplayCap.CodecVp8, DisplayCap.CodecH264, DisplayCap.CodecVp9]);
    expect(f.streams.stats().codecs).toEqual([VideoCodecType.Mjpeg, VideoCodecType.Vp8, VideoCodecType.H264, VideoCodecType.Vp9]);
  });

  it('should send PREFERRED_VIDEO_CODEC_TYPE only when asked to and the server takes it', () => {
    const f = fixture({ preferredCodecs: [VideoCodecType.H264, VideoCodecType.Vp8, VideoCodecType.Mjpeg] });
    expect(f.streams.codecCaps()).toContain(DisplayCap.PrefVideoCodecType);
    expect(f.sent).toEqual([{ type: DisplayMsgc.PreferredVideoCodecType, body: Uint8Array.of(3, 3, 2, 1) }]);
    expect(fixture({ preferredCodecs: [3], serverCaps: [DisplayCap.StreamReport] }).sent).toEqual([]);
    const plain = fixture();
    expect(plain.sent).toEqual([]);
    expect(plain.streams.codecCaps()).not.toContain(DisplayCap.PrefVideoCodecType);
  });
});

describe('VideoStreams drawing', () => {
  it('should draw a top-down frame at its destination once data() settles', async () => {
    const f = fixture({ answer: null });
    create(f, { dest: rect(2, 1, 6, 3) });
    const pending = data(f, 0, 100, JPEG);
    expect(pending).toBeInstanceOf(Promise);
    await Promise.resolve();
    expect(px(f.surface, 2, 1)).toEqual(BLANK); // not drawn before the decoder answered
    f.decoders[0]!.calls[0]!.result.resolve(picture(4, 2, 7));
    await pending;
    expect(px(f.surface, 2, 1)).toEqual([0, 0, 7]);
    expect(px(f.surface, 5, 2)).toEqual([48, 16, 7]);
    expect(px(f.surface, 1, 1)).toEqual(BLANK);
    expect(px(f.surface, 6, 2)).toEqual(BLANK);
    expect(f.changed).toEqual([0]);
    expect(f.streams.stats().framesDrawn).toEqual({ [VideoCodecType.Mjpeg]: 1 });
  });

  it('should flip a frame of a stream without TOP_DOWN', async () => {
    const f = fixture();
    create(f, { flags: 0, dest: rect(0, 0, 4, 2) });
    await data(f, 0, 100, JPEG);
    expect(px(f.surface, 1, 0)).toEqual([16, 16, 0]); // source row 1 on top
    expect(px(f.surface, 1, 1)).toEqual([16, 0, 0]);
  });

  it('should scale a frame to a larger destination with nearest neighbour', async () => {
    const f = fixture({ answer: () => picture(2, 2) });
    create(f, { width: 2, height: 2, dest: rect(0, 0, 4, 4) });
    await data(f, 0, 100, JPEG);
    expect([px(f.surface, 0, 0), px(f.surface, 1, 1), px(f.surface, 2, 1), px(f.surface, 3, 3)]).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [16, 0, 0],
      [16, 16, 0],
    ]);
  });

  it('should draw only inside the stream clip, and follow STREAM_CLIP', async () => {
    const f = fixture({ answer: (_frame, n) => picture(4, 2, n + 1) });
    create(f, { dest: rect(0, 0, 4, 2), clip: [rect(0, 0, 1, 2), rect(3, 0, 4, 1)] });
    await data(f, 0, 100, JPEG);
    expect([px(f.surface, 0, 1), px(f.surface, 1, 0), px(f.surface, 3, 0), px(f.surface, 3, 1)]).toEqual([[0, 16, 1], BLANK, [48, 0, 1], BLANK]);
    f.streams.clip(msg.parseStreamClip(clipBody(0, [rect(1, 0, 2, 1)])));
    await data(f, 0, 133, JPEG);
    expect([px(f.surface, 0, 1), px(f.surface, 1, 0), px(f.surface, 2, 0)]).toEqual([[0, 16, 1], [16, 0, 2], BLANK]);
    f.streams.clip(msg.parseStreamClip(clipBody(0, null)));
    await data(f, 0, 166, JPEG);
    expect(px(f.surface, 2, 1)).toEqual([32, 16, 3]);
  });

  it('should draw STREAM_DATA_SIZED frames at their own destination and size', async () => {
    const f = fixture({ answer: () => picture(2, 1, 9) });
    create(f, { dest: rect(0, 0, 4, 2) });
    await sized(f, 0, 100, 2, 1, rect(5, 4, 7, 5), JPEG);
    expect([px(f.surface, 5, 4), px(f.surface, 6, 4), px(f.surface, 0, 0)]).toEqual([[0, 0, 9], [16, 0, 9], BLANK]);
  });

  it('should clip a destination beyond the surface', async () => {
    const f = fixture();
    create(f, { dest: rect(6, 5, 10, 7) });
    await data(f, 0, 100, JPEG);
    expect(px(f.surface, 7, 5)).toEqual([16, 0, 0]);
  });

  it('should not draw a frame that completes after its stream was destroyed', async () => {
    const f = fixture({ answer: null });
    create(f);
    const pending = data(f, 0, 100, JPEG);
    f.streams.destroy(0);
    expect(f.decoders[0]!.closed).toBe(true);
    f.decoders[0]!.calls[0]!.result.resolve(picture(4, 2, 5));
    await pending;
    expect(px(f.surface, 0, 0)).toEqual(BLANK);
    expect(f.streams.stats().active).toBe(0);
  });

  it('should close every decoder on STREAM_DESTROY_ALL', () => {
    const f = fixture();
    create(f, { id: 0 });
    create(f, { id: 63, codec: VideoCodecType.Vp8 });
    f.streams.destroyAll();
    expect(f.decoders.map((d) => d.closed)).toEqual([true, true]);
    expect(() => data(f, 63, 1, VP8_KEY)).toThrow(ProtocolError);
  });
});

describe('VideoStreams reports', () => {
  it('should send a STREAM_REPORT after max_window_size frames, byte for byte', async () => {
    const f = fixture();
    create(f, { id: 5 });
    activate(f, 5, 0xabcd, 3, 10_000);
    // Frames due at 1000, 1033, 1066 ms (server clock) arrive at 0, 33 and 80 ms: the last 14 ms late.
    for (const [mm, now] of [
      [1000, 0],
      [1033, 33],
      [1066, 80],
    ] as const) {
      f.clock.now = now;
      await data(f, 5, mm, JPEG);
    }
    expect(reports(f)).toEqual([reportBytes([5, 0xabcd, 1000, 1066, 3, 0, REPORT_MARGIN_MS - 14, 0xffffffff])]);
    f.clock.now = 100;
    await data(f, 5, 1100, JPEG);
    expect(reports(f)).toHaveLength(1); // a new window started
  });

  it('should report after timeout_ms even when the window is not full', async () => {
    const f = fixture();
    create(f);
    activate(f, 0, 1, 100, 500);
    await data(f, 0, 2000, JPEG);
    f.clock.now = 600;
    await data(f, 0, 2600, JPEG);
    expect(reports(f)).toEqual([reportBytes([0, 1, 2000, 2600, 2, 0, REPORT_MARGIN_MS, 0xffffffff])]);
  });

  it('should report after three drops in a row and keep the stream going', async () => {
    const f = fixture({ answer: (_frame, n) => (n < 3 ? new Error('corrupt JPEG image') : picture(4, 2)) });
    create(f);
    activate(f, 0, 9, 100, 100_000);
    for (let i = 0; i < 3; i++) await data(f, 0, 1000 + i * 40, JPEG);
    expect(reports(f)).toEqual([reportBytes([0, 9, 1000, 1080, 3, 3, REPORT_MARGIN_MS, 0xffffffff])]);
    await data(f, 0, 1120, JPEG);
    expect(f.streams.stats()).toMatchObject({ framesDrawn: { 1: 1 }, framesDropped: { 1: 3 }, undecodable: 0 });
  });

  it('should not send reports before STREAM_ACTIVATE_REPORT', async () => {
    const f = fixture();
    create(f);
    for (let i = 0; i < 10; i++) await data(f, 0, i * 33, JPEG);
    expect(reports(f)).toEqual([]);
  });
});

describe('VideoStreams undecodable streams', () => {
  it('should report a codec without decoder as undecodable at once and drop its frames unheld', () => {
    const f = fixture({ codecs: [VideoCodecType.Mjpeg] });
    create(f, { id: 3, codec: VideoCodecType.H265 });
    expect(reports(f)).toEqual([reportBytes([3, 0, 0, 0, 0, 0xffffffff, 0, 0])]);
    expect(data(f, 3, 10, Uint8Array.of(0, 0, 1, 0x26))).toBeUndefined();
    activate(f, 3, 77, 5, 1000);
    expect(reports(f)).toHaveLength(1);
    expect(f.streams.stats()).toMatchObject({ undecodable: 1, created: { 5: 1 }, framesReceived: { 5: 1 }, framesDropped: { 5: 1 } });
    expect(f.logs.some((l) => l.startsWith('warn: stream 3 (H.265) cannot be decoded'))).toBe(true);
  });

  it('should not send the undecodable report to a server without STREAM_REPORT', () => {
    const f = fixture({ codecs: [VideoCodecType.Mjpeg], serverCaps: [] });
    create(f, { codec: VideoCodecType.Vp9 });
    expect(f.sent).toEqual([]);
  });

  it('should give a stream up when its decoder fails, with its report id', async () => {
    const f = fixture({ answer: null });
    create(f, { codec: VideoCodecType.Vp8 });
    activate(f, 0, 42, 5, 1000);
    const pending = data(f, 0, 10, VP8_KEY);
    const d = f.decoders[0]!;
    d.failed = true;
    d.calls[0]!.result.reject(new Error('EncodingError: decoding error'));
    await pending;
    expect(reports(f)).toEqual([reportBytes([0, 42, 0, 0, 0, 0xffffffff, 0, 0])]);
    expect(d.closed).toBe(true);
    expect(data(f, 0, 43, VP8_DELTA)).toBeUndefined();
    expect(d.calls).toHaveLength(1);
  });

  it('should report absurd stream sizes as undecodable without failing the channel', () => {
    const f = fixture();
    create(f, { id: 1, width: 0 });
    create(f, { id: 2, width: 100_000 });
    create(f, { id: 4, dest: rect(5, 5, 2, 9) });
    expect(reports(f).map((r) => r[0])).toEqual([1, 2, 4]);
    expect(f.decoders).toHaveLength(0);
  });

  it('should drop a sized frame with an absurd destination', async () => {
    const f = fixture();
    create(f);
    await sized(f, 0, 1, 4, 2, rect(0, 0, 1 << 30, 2), JPEG);
    await sized(f, 0, 2, 0, 2, rect(0, 0, 4, 2), JPEG);
    expect(f.streams.stats().framesDropped).toEqual({ 1: 2 });
    expect(f.decoders[0]!.calls).toHaveLength(0);
  });
});

describe('VideoStreams key frames and a bounded pipeline', () => {
  it('should drop delta frames until the first key frame', async () => {
    const f = fixture();
    create(f, { codec: VideoCodecType.Vp8 });
    await data(f, 0, 1, VP8_DELTA);
    expect(f.decoders[0]!.calls).toHaveLength(0);
    await data(f, 0, 2, VP8_KEY);
    await data(f, 0, 3, VP8_DELTA);
    expect(f.decoders[0]!.calls.map((c) => c.key)).toEqual([true, false]);
    expect(f.streams.stats()).toMatchObject({ framesDrawn: { 2: 2 }, framesDropped: { 2: 1 } });
  });

  it('should give up a stream that sends no key frame', () => {
    const f = fixture();
    create(f, { codec: VideoCodecType.Vp8 });
    for (let i = 0; i <= MAX_FRAMES_WITHOUT_KEY; i++) void data(f, 0, i, VP8_DELTA); // refused before any decode: counted synchronously
    expect(f.streams.stats().undecodable).toBe(1);
    expect(reports(f)).toEqual([reportBytes([0, 0, 0, 0, 0, 0xffffffff, 0, 0])]);
  });

  it('should let the channel go on when a decoder does not answer, and never hold more than MAX_IN_FLIGHT frames', async () => {
    const f = fixture({ answer: null, frameTimeoutMs: 5 });
    create(f, { codec: VideoCodecType.Vp8 });
    await data(f, 0, 0, VP8_KEY);
    for (let i = 1; i < MAX_IN_FLIGHT + 3; i++) await data(f, 0, i, VP8_DELTA);
    const d = f.decoders[0]!;
    expect(d.calls).toHaveLength(MAX_IN_FLIGHT);
    expect(f.streams.stats().framesDropped).toEqual({ 2: MAX_IN_FLIGHT + 3 });
    // The decoder catches up; a delta frame is still refused (its reference was skipped), a key frame is not.
    for (const c of d.calls) c.result.resolve(null);
    await new Promise((r) => setTimeout(r, 0));
    await data(f, 0, 20, VP8_DELTA);
    expect(d.calls).toHaveLength(MAX_IN_FLIGHT);
    const next = data(f, 0, 21, VP8_KEY);
    d.calls[MAX_IN_FLIGHT]!.result.resolve(picture(4, 2, 1));
    await next;
    expect(px(f.surface, 0, 0)).toEqual([0, 0, 1]);
  });

  it('should count a frame the decoder answers without a picture as dropped', async () => {
    const f = fixture({ answer: () => null });
    create(f);
    await data(f, 0, 1, JPEG);
    expect(f.streams.stats().framesDropped).toEqual({ 1: 1 });
  });
});

describe('VideoStreams hostile input', () => {
  it('should refuse stream ids of 64 and more', () => {
    const f = fixture();
    expect(() => create(f, { id: 64 })).toThrow(ProtocolError);
    expect(() => create(f, { id: 0xffffffff })).toThrow(ProtocolError);
    expect(() => data(f, 64, 0, JPEG)).toThrow(/stream id 64/);
  });

  it('should refuse messages for unknown streams', () => {
    const f = fixture();
    expect(() => data(f, 1, 0, JPEG)).toThrow(/unknown stream 1/);
    expect(() => f.streams.clip({ id: 1, clip: null })).toThrow(ProtocolError);
    expect(() => f.streams.destroy(1)).toThrow(ProtocolError);
    expect(() => activate(f, 1, 0, 1, 1)).toThrow(ProtocolError);
  });

  it('should refuse a second STREAM_CREATE for a live id and a stream on an unknown surface', () => {
    const f = fixture();
    create(f);
    expect(() => create(f)).toThrow(/exists/);
    expect(() => create(f, { id: 1, surfaceId: 9 })).toThrow(/unknown surface 9/);
  });

  it('should refuse every truncated stream message', () => {
    const bodies: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
      ['create', createBody({ clip: [rect(0, 0, 1, 1)] }), msg.parseStreamCreate],
      ['data', dataBody(0, 1, JPEG), (b) => msg.parseStreamData(b, false)],
      ['sized', sizedBody(0, 1, 4, 2, rect(0, 0, 4, 2), JPEG), (b) => msg.parseStreamData(b, true)],
      ['clip', clipBody(0, [rect(0, 0, 1, 1)]), msg.parseStreamClip],
      ['activate', activateBody(0, 1, 2, 3), msg.parseStreamActivateReport],
    ];
    for (const [, body, parse] of bodies) {
      expect(() => parse(body)).not.toThrow();
      for (let cut = 0; cut < body.byteLength; cut++) expect(() => parse(body.subarray(0, cut)), `cut at ${cut}`).toThrow(ProtocolError);
    }
  });

  it('should survive a decoded frame larger than the surface', async () => {
    const f = fixture({ answer: () => picture(64, 64) });
    create(f, { width: 64, height: 64, dest: rect(0, 0, 64, 64) });
    await data(f, 0, 1, JPEG);
    expect(px(f.surface, 7, 5)).toEqual([112, 80, 0]);
  });
});
