/**
 * Monitors of a session, in the worker. Every display channel reports its primary surface and its
 * MONITORS_CONFIG here; this module turns them into the session's monitor list (one per enabled head of
 * channel 0's surface or of any other channel's, the whole surface without MONITORS_CONFIG), arranges them
 * as the guest places them, emits the list to the page whenever it changes, and keeps the canvas the page
 * attached for each monitor. A monitor that goes away loses its canvas: the page attaches a new one if it
 * comes back. The presenters pull their targets from here (`targets`).
 */
import type { MonitorHead } from '../api/engine-api.js';
import { monitorKey, type MonitorInfo } from '../api/monitors.js';

export interface Size {
  width: number;
  height: number;
}

/** What a display channel knows: its primary surface (null before one exists) and its last MONITORS_CONFIG. */
export interface ChannelDisplayState {
  surface: Size | null;
  config: { heads: readonly MonitorHead[]; maxAllowed: number } | null;
}

/** One monitor of one channel before arrangement: its rectangle of the channel's surface. */
export interface ChannelMonitor {
  monitorId: number;
  /** The head's position as the guest reports it. */
  x: number;
  y: number;
  /** Its rectangle of the surface (clipped). */
  surfaceX: number;
  surfaceY: number;
  width: number;
  height: number;
}

/**
 * The monitors of one channel. Heads must be on surface 0 and non-empty; they are clipped to the surface.
 * Without MONITORS_CONFIG, or with no usable head, the whole primary surface is monitor 0 (as spice-gtk).
 */
export function channelMonitors(state: ChannelDisplayState): ChannelMonitor[] {
  const s = state.surface;
  if (!s || s.width <= 0 || s.height <= 0) return [];
  const out: ChannelMonitor[] = [];
  const seen = new Set<number>();
  for (const h of state.config?.heads ?? []) {
    if (h.surfaceId !== 0 || h.width === 0 || h.height === 0 || seen.has(h.monitorId)) continue;
    const left = Math.min(h.x, s.width);
    const top = Math.min(h.y, s.height);
    const width = Math.min(h.width, s.width - left);
    const height = Math.min(h.height, s.height - top);
    if (width <= 0 || height <= 0) continue;
    seen.add(h.monitorId);
    out.push({ monitorId: h.monitorId, x: h.x, y: h.y, surfaceX: left, surfaceY: top, width, height });
  }
  if (out.length === 0) out.push({ monitorId: 0, x: 0, y: 0, surfaceX: 0, surfaceY: 0, width: s.width, height: s.height });
  return out.sort((a, b) => a.monitorId - b.monitorId);
}

/**
 * The session's monitors in display order. Channel 0's heads keep the guest's positions (they are
 * rectangles of one desktop); every other channel is its own device with its own origin, so its monitors
 * are placed to the right of everything before them, top-aligned (what a guest does by default).
 */
export function arrangeMonitors(channels: ReadonlyMap<number, ChannelDisplayState>): MonitorInfo[] {
  const out: MonitorInfo[] = [];
  let right = 0;
  for (const channelId of [...channels.keys()].sort((a, b) => a - b)) {
    const monitors = channelMonitors(channels.get(channelId)!);
    const base = channelId === 0 ? 0 : right;
    for (const m of monitors) {
      const x = channelId === 0 ? m.x : base + m.x;
      const y = channelId === 0 ? m.y : m.y;
      out.push({
        key: monitorKey(channelId, m.monitorId),
        channelId,
        displayId: channelId === 0 ? m.monitorId : channelId,
        monitorId: m.monitorId,
        x,
        y,
        width: m.width,
        height: m.height,
        surfaceX: m.surfaceX,
        surfaceY: m.surfaceY,
      });
      right = Math.max(right, x + m.width);
    }
  }
  return out;
}

/** How many monitors the VM allows: per display channel its MONITORS_CONFIG max_allowed (at least 1). */
export function maxMonitors(channels: ReadonlyMap<number, ChannelDisplayState>): number {
  let n = 0;
  for (const s of channels.values()) n += Math.max(1, s.config?.maxAllowed ?? 1, s.config?.heads.length ?? 0);
  return n;
}

/** A presenter's target: one monitor's rectangle of the surface and its canvas (once attached). */
export interface PresenterTarget {
  key: string;
  x: number;
  y: number;
  width: number;
  height: number;
  canvas: OffscreenCanvas | undefined;
}

export interface MonitorHub {
  /** A channel's surface or MONITORS_CONFIG changed (surface null: gone, e.g. channel closed). */
  update(channelId: number, state: ChannelDisplayState | null): void;
  /** The monitors of channel `channelId` with their canvases. */
  targets(channelId: number): PresenterTarget[];
  /** The channel's monitor `monitorId`, or undefined. */
  monitor(channelId: number, monitorId: number): MonitorInfo | undefined;
}

export class MonitorRegistry implements MonitorHub {
  private readonly channels = new Map<number, ChannelDisplayState>();
  private readonly canvases = new Map<string, OffscreenCanvas>();
  private list: MonitorInfo[] = [];
  private max = 0;
  private lastSent = '';

  constructor(
    private readonly emit: (monitors: MonitorInfo[], maxAllowed: number) => void,
    /** Tells channel `channelId` to take its targets again (a canvas was attached). */
    private readonly refresh: (channelId: number) => void,
  ) {}

  get monitors(): readonly MonitorInfo[] {
    return this.list;
  }

  get maxAllowed(): number {
    return this.max;
  }

  update(channelId: number, state: ChannelDisplayState | null): void {
    if (state) this.channels.set(channelId, { surface: state.surface, config: state.config });
    else this.channels.delete(channelId);
    this.list = arrangeMonitors(this.channels);
    this.max = maxMonitors(this.channels);
    const live = new Set(this.list.map((m) => m.key));
    for (const key of [...this.canvases.keys()]) if (!live.has(key)) this.canvases.delete(key);
    const text = JSON.stringify([this.list, this.max]);
    if (text === this.lastSent) return;
    this.lastSent = text;
    this.emit(
      this.list.map((m) => ({ ...m })),
      this.max,
    );
  }

  /** The page's canvas for monitor `key`; false when no such monitor exists now. */
  attach(key: string, canvas: OffscreenCanvas): boolean {
    const m = this.list.find((x) => x.key === key);
    if (!m) return false;
    this.canvases.set(key, canvas);
    this.refresh(m.channelId);
    return true;
  }

  targets(channelId: number): PresenterTarget[] {
    return this.list
      .filter((m) => m.channelId === channelId)
      .map((m) => ({ key: m.key, x: m.surfaceX, y: m.surfaceY, width: m.width, height: m.height, canvas: this.canvases.get(m.key) }));
  }

  monitor(channelId: number, monitorId: number): MonitorInfo | undefined {
    return this.list.find((m) => m.channelId === channelId && m.monitorId === monitorId);
  }
}
