/**
 * DisplayChannel: one display channel (one QXL device) drawn entirely in the worker. It sends DISPLAY_INIT
 * (pixmap cache, GLZ window) right after the link, keeps the channel's surfaces, resolves each draw
 * command's images through the ImageResolver and applies it (display/draw-commands.ts), shows the primary
 * surface through the Presenter after MARK, follows the cache invalidations, monitors config and video
 * streams. Commands run strictly in order;
 * an image that decodes asynchronously (JPEG, a GLZ image waiting for another channel) holds the ones after
 * it, and the channel ACKs only processed messages.
 */
import { ChannelType, DisplayCap, ImageCompression, DisplayMsg, DisplayMsgc, ResourceType, SurfaceFlags, SurfaceFmt } from '../../protocol/constants.js';
import { check, ProtocolError } from '../../protocol/errors.js';
import * as msg from '../../protocol/display.js';
import type { DisplayBase, SpiceImage } from '../../protocol/display.js';
import { ImageResolver } from '../../display/images.js';
import { Surface, type PixelSource } from '../../display/surface.js';
import { DRAW_COMMANDS, type ParsedDraw } from '../../display/draw-commands.js';
import { Channel } from '../channel.js';
import type { ChannelContext } from '../channel-context.js';
import { decodeJpeg } from '../jpeg.js';
import { limitError, MAX_SURFACE_DIMENSION, MAX_SURFACE_PIXELS } from '../../protocol/limits.js';
import { Presenter, type PresentationStats } from '../presenter.js';
import { CompressionAdvisor } from '../../display/compression-advisor.js';
import type { StreamHost, Streams } from '../streams.js';
import type { MonitorHead, VideoStreamStats } from '../../api/engine-api.js';

/** What we announce in DISPLAY_INIT: 16 Mi pixels of pixmap cache (64 MiB), as spice-gtk does in spirit. */
export const PIXMAP_CACHE_PIXELS = 16 * 1024 * 1024;

/** GLZ window announced in DISPLAY_INIT: larger than any single image (8 Mi pixels = 32 MiB). */
export const GLZ_WINDOW_PIXELS = 8 * 1024 * 1024;

/** Builds a display channel's video streams (the engine's are VideoStreams on the browser's decoders). */
export type StreamsFactory = (host: StreamHost) => Streams;

type Draw = void | Promise<void>;

export class DisplayChannel extends Channel {
  private readonly surfaces = new Map<number, Surface>();
  private surfacePixels = 0;
  private readonly images: ImageResolver;
  private readonly presenter: Presenter;
  private readonly streams: Streams | null;
  /** Asks for another image compression when the content shows GLZ is wasted (only without the page's choice). */
  private readonly advisor: CompressionAdvisor | null;
  /** The last MONITORS_CONFIG (null before one; then the whole primary surface is one monitor). */
  private monitorsConfig: { heads: MonitorHead[]; maxAllowed: number } | null = null;
  /**
   * When the message being handled was taken up (performance.now()): messages are handled in the socket's
   * task unless an earlier one is still decoding, so this is their arrival in the worker for the presenter's
   * arrival-to-canvas figures.
   */
  private arrival = 0;

  /** `streams` builds the channel's video streams; without it the channel announces none. */
  constructor(ctx: ChannelContext, id: number, streams?: StreamsFactory) {
    super(ctx, ChannelType.Display, id);
    this.presenter = new Presenter();
    this.images = new ImageResolver({
      pixmapCachePixels: PIXMAP_CACHE_PIXELS,
      glz: ctx.glz,
      surface: (sid) => this.surfaces.get(sid),
      jpeg: decodeJpeg,
      later: (fn, ms) => void setTimeout(fn, ms),
      observe: (type, bytes, pixels) => this.observeImage(type, bytes, pixels),
    });
    this.advisor = ctx.preferredCompression === undefined ? new CompressionAdvisor() : null;
    this.streams = streams
      ? streams({
          surface: (sid) => this.surfaces.get(sid),
          changed: (sid) => this.changed(sid),
          send: (type, body) => this.send(type, body),
          log: (level, message) => this.log(level, message),
        })
      : null;
  }

  protected channelCaps(): number[] {
    const caps: number[] = [DisplayCap.SizedStream, DisplayCap.MonitorsConfig, DisplayCap.Lz4Compression, DisplayCap.PrefCompression];
    if (this.streams) caps.push(DisplayCap.StreamReport, ...this.streams.codecCaps());
    return caps;
  }

  protected override onLinked(): void {
    this.send(
      DisplayMsgc.Init,
      msg.writeDisplayInit({
        // Pixmap caches are per channel (distinct ids); the GLZ dictionary is the session's (shared id).
        pixmapCacheId: this.id + 1,
        pixmapCacheSize: PIXMAP_CACHE_PIXELS,
        glzDictionaryId: 1,
        glzDictionaryWindowSize: GLZ_WINDOW_PIXELS,
      }),
    );
    const compression = this.ctx.preferredCompression;
    if (compression !== undefined && this.hasServerCap(DisplayCap.PrefCompression)) {
      this.send(DisplayMsgc.PreferredCompression, msg.writePreferredCompression(compression));
    }
    this.streams?.linked(this.serverCapsList());
  }

  protected override onClosed(): void {
    this.streams?.destroyAll();
    this.surfaces.clear();
    this.presenter.clearPrimary();
    this.ctx.monitors?.update(this.id, null);
  }

  /**
   * A copy of the primary surface's pixels (RGBA), for screenshots and tests: the whole surface, or only
   * monitor `monitorId`'s rectangle of it (null if there is no such monitor).
   */
  screenshot(monitorId?: number): { width: number; height: number; rgba: Uint8Array } | null {
    const primary = this.primary();
    if (!primary) return null;
    if (monitorId === undefined) return { width: primary.width, height: primary.height, rgba: new Uint8Array(primary.pixels.buffer.slice(0)) };
    const m =
      this.ctx.monitors?.monitor(this.id, monitorId) ??
      (monitorId === 0 && !this.ctx.monitors ? { surfaceX: 0, surfaceY: 0, width: primary.width, height: primary.height } : undefined);
    if (!m || m.surfaceX + m.width > primary.width || m.surfaceY + m.height > primary.height) return null;
    const rgba = new Uint8Array(m.width * m.height * 4);
    for (let y = 0; y < m.height; y++) {
      const from = ((m.surfaceY + y) * primary.width + m.surfaceX) * 4;
      rgba.set(primary.pixels.subarray(from, from + m.width * 4), y * m.width * 4);
    }
    return { width: m.width, height: m.height, rgba };
  }

  get framesPresented(): number {
    return this.presenter.frames;
  }

  /** First frame and arrival-to-canvas delays (see Presenter). */
  presentationStats(): PresentationStats {
    return this.presenter.stats();
  }

  /** Canvas updates per monitor key. */
  monitorFrames(): Record<string, number> {
    return this.presenter.monitorFrames();
  }

  /** The monitors of this channel or their canvases changed: the presenter takes them again. */
  refreshMonitors(): void {
    this.presenter.setTargets(this.ctx.monitors?.targets(this.id) ?? []);
  }

  /** Tells the session's monitors what this channel shows now. */
  private reportMonitors(): void {
    const primary = this.primary();
    if (!primary) return; // MONITORS_CONFIG between a destroy and a create: applied with the next surface
    this.ctx.monitors?.update(this.id, { surface: { width: primary.width, height: primary.height }, config: this.monitorsConfig });
    this.refreshMonitors();
  }

  /** Video stream counters, or null without streams. */
  streamStats(): VideoStreamStats | null {
    return this.streams?.stats?.() ?? null;
  }

  /** The image compression this channel asked for on its own (see CompressionAdvisor), or null. */
  get adaptedCompression(): number | null {
    return this.advisor?.requested ?? null;
  }

  private observeImage(type: number, bytes: number, pixels: number): void {
    if (!this.advisor || !this.hasServerCap(DisplayCap.PrefCompression)) return;
    const screen = this.primary();
    const want = this.advisor.observe(type, bytes, pixels, performance.now(), screen ? screen.width * screen.height : 0);
    if (want === null) return;
    this.log(
      'info',
      `display ${this.id}: images ${want === ImageCompression.AutoLz ? 'do not compress with GLZ' : 'compress again'}, asking for image compression ${want}`,
    );
    this.send(DisplayMsgc.PreferredCompression, msg.writePreferredCompression(want));
  }

  /** Images resolved so far on this channel, by type. */
  imageCounts(): Record<number, number> {
    return Object.fromEntries(this.images.typeCounts);
  }

  /** Image types decoded so far on this channel. */
  imageTypes(): number[] {
    return [...this.images.typeCounts.keys()].sort((a, b) => a - b);
  }

  private serverCapsList(): number[] {
    const caps: number[] = [];
    for (let c = 0; c < 32; c++) if (this.hasServerCap(c)) caps.push(c);
    return caps;
  }

  private primary(): Surface | undefined {
    return this.surfaces.get(0);
  }

  protected handleMessage(type: number, body: Uint8Array): Draw {
    this.arrival = performance.now();
    const draw = DRAW_COMMANDS.get(type);
    if (draw) return this.draw(draw(body));
    switch (type) {
      case DisplayMsg.SurfaceCreate:
        return this.surfaceCreate(msg.parseSurfaceCreate(body));
      case DisplayMsg.SurfaceDestroy:
        return this.surfaceDestroy(msg.parseSurfaceDestroy(body).surfaceId);
      case DisplayMsg.Mode: {
        const m = msg.parseMode(body);
        return this.surfaceCreate({
          surfaceId: 0,
          width: m.width,
          height: m.height,
          format: m.bits === 16 ? SurfaceFmt.Fmt16555 : SurfaceFmt.Fmt32Xrgb,
          flags: SurfaceFlags.Primary,
        });
      }
      case DisplayMsg.Mark:
        this.presenter.mark();
        return;
      case DisplayMsg.Reset:
        this.presenter.unmark();
        this.images.invalidateAllPalettes();
        return;
      case DisplayMsg.InvalList:
        for (const { type: t, id } of msg.parseInvalList(body)) if (t === ResourceType.Pixmap) this.images.invalidate(id);
        return;
      case DisplayMsg.InvalAllPixmaps:
        this.images.invalidateAllPixmaps();
        return;
      case DisplayMsg.InvalPalette:
        this.images.invalidatePalette(msg.parseInvalOne(body));
        return;
      case DisplayMsg.InvalAllPalettes:
        this.images.invalidateAllPalettes();
        return;
      case DisplayMsg.MonitorsConfig: {
        this.monitorsConfig = msg.parseMonitorsConfig(body);
        this.reportMonitors();
        return;
      }
      case DisplayMsg.StreamCreate:
        return this.streamsOrSkip(type, body)?.create(msg.parseStreamCreate(body));
      case DisplayMsg.StreamData:
        return this.streamsOrSkip(type, body)?.data(msg.parseStreamData(body, false));
      case DisplayMsg.StreamDataSized:
        return this.streamsOrSkip(type, body)?.data(msg.parseStreamData(body, true));
      case DisplayMsg.StreamClip:
        return this.streamsOrSkip(type, body)?.clip(msg.parseStreamClip(body));
      case DisplayMsg.StreamDestroy:
        return this.streamsOrSkip(type, body)?.destroy(msg.parseStreamDestroy(body).id);
      case DisplayMsg.StreamDestroyAll:
        return this.streams?.destroyAll();
      case DisplayMsg.StreamActivateReport:
        return this.streamsOrSkip(type, body)?.activateReport(msg.parseStreamActivateReport(body));
      default:
        this.logUnknown(type, body);
    }
  }

  private streamsOrSkip(type: number, body: Uint8Array): Streams | null {
    if (!this.streams) this.logUnknown(type, body);
    return this.streams;
  }

  // -------------------------------------------------------------------------------------------------
  // Surfaces

  private surfaceCreate(m: msg.SurfaceCreate): void {
    check(m.width > 0 && m.height > 0, () => `surface ${m.surfaceId} of ${m.width}x${m.height}`);
    if (m.width > MAX_SURFACE_DIMENSION || m.height > MAX_SURFACE_DIMENSION) {
      throw limitError(`surface ${m.surfaceId} of ${m.width}x${m.height}`, `${MAX_SURFACE_DIMENSION}x${MAX_SURFACE_DIMENSION}`, 'MAX_SURFACE_DIMENSION');
    }
    this.surfaceDestroy(m.surfaceId);
    if (this.surfacePixels + m.width * m.height > MAX_SURFACE_PIXELS) {
      throw limitError(`surfaces of ${this.surfacePixels + m.width * m.height} pixels`, `${MAX_SURFACE_PIXELS} pixels`, 'MAX_SURFACE_PIXELS');
    }
    const surface = new Surface(m.surfaceId, m.width, m.height, m.format);
    this.surfaces.set(m.surfaceId, surface);
    this.surfacePixels += m.width * m.height;
    if (m.flags & SurfaceFlags.Primary) {
      check(m.surfaceId === 0, () => `primary surface with id ${m.surfaceId}`);
      this.presenter.setPrimary(surface);
      this.ctx.emit({ type: 'surface', displayId: this.id, width: m.width, height: m.height });
      this.reportMonitors();
    }
  }

  private surfaceDestroy(id: number): void {
    const s = this.surfaces.get(id);
    if (!s) return;
    this.surfacePixels -= s.width * s.height;
    this.surfaces.delete(id);
    // The monitors stay (showing their last frame) until the next primary surface: a mode switch is a
    // destroy and a create, and the page keeps its canvases through it.
    if (id === 0) this.presenter.clearPrimary();
  }

  private target(base: DisplayBase): Surface {
    const s = this.surfaces.get(base.surfaceId);
    if (!s) throw new ProtocolError(`draw on unknown surface ${base.surfaceId}`);
    return s;
  }

  private changed(surfaceId: number): void {
    if (surfaceId === 0) this.presenter.schedule(this.arrival);
  }

  // -------------------------------------------------------------------------------------------------
  // Images, brushes, masks: resolved before the draw, awaited only when a decoder is asynchronous

  /**
   * Resolves images (null stays null) and runs `draw` with them, synchronously when possible. The first
   * image may decode into the resolver's scratch buffer: `draw` uses it at once and nothing else runs
   * between (messages are handled strictly in order).
   */
  private withImages(images: (SpiceImage | null)[], draw: (sources: (PixelSource | null)[]) => void): Draw {
    const resolved = images.map((img, i) => (img ? this.images.resolve(img, i === 0) : null));
    if (!resolved.some((r) => r instanceof Promise)) return draw(resolved as (PixelSource | null)[]);
    return Promise.all(resolved.map((r) => Promise.resolve(r))).then((sources) => {
      if (!this.closed) draw(sources);
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Draw commands (display/draw-commands.ts): on the surface they name, once their images are resolved

  private draw(d: ParsedDraw): Draw {
    const surface = this.target(d.base);
    return this.withImages(d.images, (sources) => {
      if (d.apply(surface, sources)) this.changed(d.base.surfaceId);
    });
  }
}
