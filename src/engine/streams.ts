/**
 * The contract between a display channel and its video streams (STREAM_CREATE / DATA / DATA_SIZED / CLIP /
 * DESTROY / DESTROY_ALL / ACTIVATE_REPORT). The implementation decodes frames (MJPEG with the browser's
 * JPEG decoder, VP8/VP9/H.264 with WebCodecs VideoDecoder) and draws them into the surface the stream
 * belongs to, clipped; it advertises only codecs the browser can decode, and sends STREAM_REPORTs.
 */
import type { VideoStreamStats } from '../api/engine-api.js';
import type { Surface } from '../display/surface.js';
import type * as msg from '../protocol/display.js';

/** What the display channel offers its streams. */
export interface StreamHost {
  surface(surfaceId: number): Surface | undefined;
  /** A frame was drawn into `surfaceId` (the presenter shows it on the next animation frame). */
  changed(surfaceId: number): void;
  /** Sends a display channel message (STREAM_REPORT, PREFERRED_VIDEO_CODEC_TYPE). */
  send(type: number, body: Uint8Array): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface Streams {
  /** SPICE_DISPLAY_CAP_* bits for MULTI_CODEC and each decodable codec (decided before the link). */
  codecCaps(): number[];
  /** The channel linked; `serverCaps` are the display caps the server announced. */
  linked(serverCaps: number[]): void;
  create(m: msg.StreamCreate): void | Promise<void>;
  data(m: msg.StreamData): void | Promise<void>;
  clip(m: { id: number; clip: msg.Rect[] | null }): void;
  destroy(id: number): void;
  destroyAll(): void;
  activateReport(m: msg.StreamActivateReport): void;
  /** Diagnostics (displayStats). */
  stats?(): VideoStreamStats;
}
