/**
 * VideoStreams: the display channel's video streams (STREAM_CREATE / DATA / DATA_SIZED / CLIP / DESTROY /
 * DESTROY_ALL / ACTIVATE_REPORT, protocol.md §4.3). Each frame is decoded by the stream's FrameDecoder
 * (MJPEG with the browser's JPEG decoder, VP8/VP9/H.264 with WebCodecs; see video-decoders.ts), then drawn
 * into the stream's surface at its destination, flipped unless the stream is TOP_DOWN, scaled (nearest, as
 * spice-gtk's put_image) when the frame and destination sizes differ, clipped by the stream clip.
 *
 * Ordering: `data()` returns a promise that settles once the frame is drawn (or dropped), so the channel
 * holds the draw commands after it; a frame therefore never lands on top of a later draw. That keeps at
 * most one frame per channel in decoding; a decoder that does not answer within `frameTimeoutMs` lets the
 * channel go on (the frame counts as dropped), and frames that find `MAX_IN_FLIGHT` such unanswered frames
 * in their decoder are dropped unseen, the decoder then waits for a key frame. Nothing queues without bound.
 *
 * Reports: after STREAM_ACTIVATE_REPORT, a STREAM_REPORT goes out every `max_window_size` frames, after
 * `timeout_ms`, or after 3 drops in a row, as spice-gtk does (gtk:channel-display.c
 * display_update_stream_report). A stream this client cannot decode (codec without decoder, absurd sizes,
 * a decoder error) is reported once with num_frames 0 and num_drops 0xFFFFFFFF: the server then stops
 * streaming it and sends the area as ordinary draws [srv:dcc.cpp dcc_handle_stream_report].
 */
import type { VideoStreamStats } from '../api/engine-api.js';
import type { DecodedImage } from '../codecs/types.js';
import { isKeyFrame, videoCodecName } from '../codecs/video-bitstream.js';
import { DisplayCap, DisplayMsgc, Ropd, SPICE_MAX_NUM_STREAMS, StreamFlags, VideoCodecType } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import * as msg from '../protocol/display.js';
import type { Rect } from '../protocol/display.js';
import { sourceOf, type PixelSource } from '../display/surface.js';
import type { StreamHost, Streams } from './streams.js';

/** One stream's decoder. */
export interface FrameDecoder {
  /** Whether frames depend on earlier ones (VP8/VP9/H.264): after a skipped frame it needs a key frame. */
  readonly interFrame: boolean;
  /** True once the decoder cannot go on (a WebCodecs error closed it): the stream is then undecodable. */
  readonly failed: boolean;
  /**
   * Decodes one frame. Resolves with RGBA rows as the frame carries them (orientation not applied), or
   * null when the decoder produced no picture for it; rejects when the frame cannot be decoded.
   */
  decode(frame: Uint8Array, key: boolean): Promise<DecodedImage | null>;
  /** Releases the decoder; pending frames resolve with null. */
  close(): void;
}

/** Where decoders come from: decided before the link (codecs) and per stream (create). */
export interface DecoderBackend {
  /** SPICE_VIDEO_CODEC_TYPE_* this backend decodes; called when the channel links. */
  codecs(): readonly number[];
  /** A decoder for a new stream of `width`x`height` frames, or null when the codec cannot be decoded. */
  create(codec: number, width: number, height: number): FrameDecoder | null;
}

export interface VideoStreamsOptions {
  decoders: DecoderBackend;
  /** Codec types in order of preference, sent as PREFERRED_VIDEO_CODEC_TYPE; default: the server's order. */
  preferredCodecs?: readonly number[];
  /** How long a frame may take to decode before the channel moves on without it (default 1000 ms). */
  frameTimeoutMs?: number;
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
}

/** Frames a decoder may hold unanswered (timed out) before new frames are dropped unseen. */
export const MAX_IN_FLIGHT = 4;
/** Frames dropped while waiting for a key frame before the stream is given up (reported undecodable). */
export const MAX_FRAMES_WITHOUT_KEY = 60;
/** STREAM_REPORT after this many drops in a row, whatever the window (gtk: STREAM_REPORT_DROP_SEQ_LEN_LIMIT). */
const REPORT_DROP_SEQUENCE = 3;
/**
 * The margin reported as last_frame_delay while frames arrive as fast as they ever did. spice-gtk reports
 * how long before its display time a frame arrived, on a clock that the server keeps MM_TIME_DELTA (400 ms)
 * behind its own; this client draws frames as they arrive, so it reports that margin minus how much later
 * than the best seen this frame arrived. The server's rate control reacts to the margin shrinking.
 */
export const REPORT_MARGIN_MS = 400;
/** Largest stream or frame side accepted (as for surfaces and images). */
const MAX_SIDE = 16384;
/** spice-gtk scales stream frames with PIXMAN_FILTER_NEAREST (canvas_put_image). */
const SCALE_NEAREST = 1;
/** The special report for "this client cannot decode this stream". */
const UNDECODABLE_DROPS = 0xffffffff;
/** audio_delay when no playback runs (gtk: UINT_MAX). */
const NO_AUDIO = 0xffffffff;

interface Report {
  uniqueId: number;
  maxWindow: number;
  timeoutMs: number;
  frames: number;
  drops: number;
  dropSequence: number;
  startMmTime: number;
  startTime: number;
}

interface Stream {
  readonly id: number;
  readonly surfaceId: number;
  readonly codec: number;
  readonly flags: number;
  readonly dest: Rect;
  clip: Rect[] | null;
  decoder: FrameDecoder | null;
  undecodable: boolean;
  closed: boolean;
  needKey: boolean;
  framesWithoutKey: number;
  inFlight: number;
  report: Report | null;
  /** The largest (frame mm_time − local arrival time) seen: the arrival with the least delay. */
  bestLead: number | null;
  warnedNoSurface: boolean;
}

type Counter = 'created' | 'framesReceived' | 'framesDrawn' | 'framesDropped';

export class VideoStreams implements Streams {
  private readonly streams = new Map<number, Stream>();
  private readonly frameTimeoutMs: number;
  private readonly now: () => number;
  private serverReports = false;
  private readonly counters: Record<Counter, Record<number, number>> = { created: {}, framesReceived: {}, framesDrawn: {}, framesDropped: {} };
  private undecodableCount = 0;
  private reportsSent = 0;

  constructor(
    private readonly host: StreamHost,
    private readonly options: VideoStreamsOptions,
  ) {
    this.frameTimeoutMs = options.frameTimeoutMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  codecCaps(): number[] {
    const caps: number[] = [DisplayCap.MultiCodec, DisplayCap.CodecMjpeg];
    for (const codec of this.options.decoders.codecs()) {
      const cap = CODEC_CAP[codec];
      if (cap !== undefined && !caps.includes(cap)) caps.push(cap);
    }
    if (this.options.preferredCodecs?.length) caps.push(DisplayCap.PrefVideoCodecType);
    return caps;
  }

  linked(serverCaps: number[]): void {
    this.serverReports = serverCaps.includes(DisplayCap.StreamReport);
    const preferred = this.options.preferredCodecs;
    if (preferred?.length && serverCaps.includes(DisplayCap.PrefVideoCodecType)) {
      this.host.send(DisplayMsgc.PreferredVideoCodecType, msg.writePreferredVideoCodecs(preferred));
    }
  }

  /** Diagnostics: streams created and frames received, drawn and dropped per codec type. */
  stats(): VideoStreamStats {
    const copy = (r: Record<number, number>) => ({ ...r });
    return {
      codecs: this.codecCaps().flatMap((cap) => (CAP_CODEC[cap] !== undefined ? [CAP_CODEC[cap]!] : [])),
      created: copy(this.counters.created),
      framesReceived: copy(this.counters.framesReceived),
      framesDrawn: copy(this.counters.framesDrawn),
      framesDropped: copy(this.counters.framesDropped),
      undecodable: this.undecodableCount,
      reportsSent: this.reportsSent,
      active: this.streams.size,
    };
  }

  create(m: msg.StreamCreate): void {
    if (m.id >= SPICE_MAX_NUM_STREAMS) throw new ProtocolError(`STREAM_CREATE with stream id ${m.id} (at most ${SPICE_MAX_NUM_STREAMS - 1})`);
    if (this.streams.has(m.id)) throw new ProtocolError(`STREAM_CREATE for stream ${m.id}, which exists`);
    if (!this.host.surface(m.surfaceId)) throw new ProtocolError(`STREAM_CREATE for stream ${m.id} on unknown surface ${m.surfaceId}`);
    const st: Stream = {
      id: m.id,
      surfaceId: m.surfaceId,
      codec: m.codecType,
      flags: m.flags,
      dest: m.dest,
      clip: m.clip,
      decoder: null,
      undecodable: false,
      closed: false,
      needKey: true,
      framesWithoutKey: 0,
      inFlight: 0,
      report: null,
      bestLead: null,
      warnedNoSurface: false,
    };
    this.streams.set(m.id, st);
    this.count('created', st);
    const sizes = saneSide(m.streamWidth) && saneSide(m.streamHeight) && saneSide(m.srcWidth) && saneSide(m.srcHeight);
    if (!sizes || !saneRect(m.dest)) {
      return this.undecodable(st, `absurd sizes (stream ${m.streamWidth}x${m.streamHeight}, source ${m.srcWidth}x${m.srcHeight}, destination ${rectText(m.dest)})`);
    }
    st.decoder = this.options.decoders.create(m.codecType, m.streamWidth, m.streamHeight);
    if (!st.decoder) return this.undecodable(st, 'this browser has no decoder for it');
    this.host.log('debug', `stream ${st.id}: ${videoCodecName(st.codec)} ${m.srcWidth}x${m.srcHeight} at ${rectText(m.dest)} on surface ${st.surfaceId}`);
  }

  data(m: msg.StreamData): void | Promise<void> {
    const st = this.stream(m.id, 'STREAM_DATA');
    this.count('framesReceived', st);
    if (st.undecodable || !st.decoder) return void this.count('framesDropped', st);
    const dest = m.dest ?? st.dest;
    if (m.dest && (!saneRect(m.dest) || !saneSide(m.width ?? 0) || !saneSide(m.height ?? 0))) {
      this.host.log('warn', `stream ${st.id}: frame of ${m.width}x${m.height} at ${rectText(m.dest)} dropped`);
      return this.dropped(st, m.mmTime);
    }
    const key = isKeyFrame(st.codec, m.data);
    if (st.needKey && !key) {
      if (++st.framesWithoutKey > MAX_FRAMES_WITHOUT_KEY) return this.undecodable(st, `no key frame in ${MAX_FRAMES_WITHOUT_KEY} frames`);
      return this.dropped(st, m.mmTime);
    }
    if (st.inFlight >= MAX_IN_FLIGHT) {
      // The decoder holds frames it never answered: skip this one; inter-frame codecs then need a key frame.
      if (st.decoder.interFrame) st.needKey = true;
      return this.dropped(st, m.mmTime);
    }
    st.needKey = false;
    st.framesWithoutKey = 0;
    st.inFlight++;
    const decoding = st.decoder.decode(m.data, key).finally(() => st.inFlight--);
    return this.finish(st, decoding, dest, m.mmTime);
  }

  clip(m: { id: number; clip: Rect[] | null }): void {
    this.stream(m.id, 'STREAM_CLIP').clip = m.clip;
  }

  destroy(id: number): void {
    this.close(this.stream(id, 'STREAM_DESTROY'));
  }

  destroyAll(): void {
    for (const st of [...this.streams.values()]) this.close(st);
  }

  activateReport(m: msg.StreamActivateReport): void {
    const st = this.stream(m.streamId, 'STREAM_ACTIVATE_REPORT');
    st.report = {
      uniqueId: m.uniqueId,
      maxWindow: Math.max(1, m.maxWindowSize),
      timeoutMs: m.timeoutMs,
      frames: 0,
      drops: 0,
      dropSequence: 0,
      startMmTime: 0,
      startTime: 0,
    };
  }

  // -------------------------------------------------------------------------------------------------

  private stream(id: number, what: string): Stream {
    if (id >= SPICE_MAX_NUM_STREAMS) throw new ProtocolError(`${what} for stream id ${id} (at most ${SPICE_MAX_NUM_STREAMS - 1})`);
    const st = this.streams.get(id);
    if (!st) throw new ProtocolError(`${what} for unknown stream ${id}`);
    return st;
  }

  private close(st: Stream): void {
    st.closed = true;
    st.decoder?.close();
    st.decoder = null;
    this.streams.delete(st.id);
  }

  /** Waits for the decoded frame (at most frameTimeoutMs), then draws it; never rejects. */
  private async finish(st: Stream, decoding: Promise<DecodedImage | null>, dest: Rect, mmTime: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.frameTimeoutMs)));
    try {
      const image = await Promise.race([decoding, timeout]);
      if (st.closed) return;
      if (image === 'timeout') {
        this.host.log('debug', `stream ${st.id}: no picture after ${this.frameTimeoutMs} ms, frame dropped`);
        return this.dropped(st, mmTime);
      }
      if (!image) return this.dropped(st, mmTime);
      if (!this.draw(st, image, dest)) return this.dropped(st, mmTime);
      this.count('framesDrawn', st);
      this.account(st, mmTime, false);
    } catch (e) {
      if (st.closed) return;
      if (st.decoder?.failed) return this.undecodable(st, `decoder error: ${(e as Error)?.message ?? e}`);
      this.host.log('debug', `stream ${st.id}: frame dropped: ${(e as Error)?.message ?? e}`);
      this.dropped(st, mmTime);
    } finally {
      clearTimeout(timer);
    }
  }

  private draw(st: Stream, image: DecodedImage, dest: Rect): boolean {
    const surface = this.host.surface(st.surfaceId);
    if (!surface) {
      if (!st.warnedNoSurface) this.host.log('warn', `stream ${st.id}: surface ${st.surfaceId} is gone; frames dropped`);
      st.warnedNoSurface = true;
      return false;
    }
    if (image.width === 0 || image.height === 0) return false;
    let source: PixelSource = { ...sourceOf(image), hasAlpha: false };
    if (!(st.flags & StreamFlags.TopDown)) source = flipRows(source);
    const area = { left: 0, top: 0, right: image.width, bottom: image.height };
    surface.copy(source, area, dest, st.clip, Ropd.OpPut, SCALE_NEAREST, null);
    this.host.changed(st.surfaceId);
    return true;
  }

  private dropped(st: Stream, mmTime: number): void {
    this.count('framesDropped', st);
    this.account(st, mmTime, true);
  }

  /** Counts a frame into the stream's report window and sends the report when the window closes. */
  private account(st: Stream, mmTime: number, drop: boolean): void {
    const now = this.now();
    const lead = (mmTime - Math.floor(now)) | 0;
    if (!drop && (st.bestLead === null || lead > st.bestLead)) st.bestLead = lead;
    const r = st.report;
    if (!r || st.undecodable) return;
    if (r.frames === 0) {
      r.startMmTime = mmTime;
      r.startTime = now;
    }
    r.frames++;
    if (drop) {
      r.drops++;
      r.dropSequence++;
    } else r.dropSequence = 0;
    if (r.frames < r.maxWindow && now - r.startTime < r.timeoutMs && r.dropSequence < REPORT_DROP_SEQUENCE) return;
    const delay = REPORT_MARGIN_MS - ((st.bestLead ?? lead) - lead);
    this.sendReport({
      streamId: st.id,
      uniqueId: r.uniqueId,
      startFrameMmTime: r.startMmTime,
      endFrameMmTime: mmTime,
      numFrames: r.frames,
      numDrops: r.drops,
      lastFrameDelay: delay,
      audioDelay: NO_AUDIO,
    });
    r.frames = 0;
    r.drops = 0;
    r.dropSequence = 0;
  }

  private undecodable(st: Stream, reason: string): void {
    if (st.undecodable) return;
    st.undecodable = true;
    st.decoder?.close();
    st.decoder = null;
    this.undecodableCount++;
    this.host.log('warn', `stream ${st.id} (${videoCodecName(st.codec)}) cannot be decoded: ${reason}`);
    if (!this.serverReports && !st.report) return;
    this.sendReport({
      streamId: st.id,
      uniqueId: st.report?.uniqueId ?? 0,
      startFrameMmTime: 0,
      endFrameMmTime: 0,
      numFrames: 0,
      numDrops: UNDECODABLE_DROPS,
      lastFrameDelay: 0,
      audioDelay: 0,
    });
  }

  private sendReport(report: msg.StreamReport): void {
    this.reportsSent++;
    this.host.send(DisplayMsgc.StreamReport, msg.writeStreamReport(report));
  }

  private count(counter: Counter, st: Stream): void {
    const c = this.counters[counter];
    c[st.codec] = (c[st.codec] ?? 0) + 1;
  }
}

const CODEC_CAP: Partial<Record<number, number>> = {
  [VideoCodecType.Mjpeg]: DisplayCap.CodecMjpeg,
  [VideoCodecType.Vp8]: DisplayCap.CodecVp8,
  [VideoCodecType.H264]: DisplayCap.CodecH264,
  [VideoCodecType.Vp9]: DisplayCap.CodecVp9,
  [VideoCodecType.H265]: DisplayCap.CodecH265,
};
const CAP_CODEC: Partial<Record<number, number>> = Object.fromEntries(Object.entries(CODEC_CAP).map(([codec, cap]): [number, number] => [cap!, Number(codec)]));

function saneSide(n: number): boolean {
  return n > 0 && n <= MAX_SIDE;
}

function saneRect(r: Rect): boolean {
  return r.right > r.left && r.bottom > r.top && r.right - r.left <= MAX_SIDE && r.bottom - r.top <= MAX_SIDE;
}

function rectText(r: Rect): string {
  return `${r.left},${r.top}-${r.right},${r.bottom}`;
}

/** A bottom-up frame turned top-down. */
function flipRows(src: PixelSource): PixelSource {
  const { width, height } = src;
  const words = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) words.set(src.words.subarray((height - 1 - y) * width, (height - y) * width), y * width);
  return { width, height, words, hasAlpha: src.hasAlpha };
}
