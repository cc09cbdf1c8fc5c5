/**
 * Where the guest screen sits on the page and how page coordinates become guest coordinates, as pure
 * functions (the page's viewport controller measures, these compute).
 *
 * Scale modes (the `scale` attribute of <spice-console>):
 *  - `fit`: as large as fits the element, aspect ratio kept (up and down).
 *  - `fill`: stretched to the element's box, aspect ratio ignored.
 *  - `none`: one guest pixel per device pixel, so the guest is sharp on HiDPI screens (on a 2x screen it
 *    takes half the CSS pixels); larger than the element it scrolls.
 * Sizes are snapped to whole device pixels, and the canvas is drawn pixelated exactly when a guest pixel
 * covers a whole number of device pixels (sharp edges without uneven columns); otherwise smoothed.
 *
 * Pointer coordinates are mapped through the canvas's measured box (getBoundingClientRect), so they stay
 * right whatever CSS, zoom or scrolling did to it. Monitors: for display channel 0 with several heads
 * (MONITORS_CONFIG), MOUSE_POSITION's display id is the head's monitor id and x,y are relative to that head;
 * for any other display channel the id is the channel id [protocol.md §4.6; gtk:spice-widget.c get_display_id].
 */

export type ScaleMode = 'fit' | 'fill' | 'none';
export const SCALE_MODES: readonly ScaleMode[] = ['fit', 'fill', 'none'];

export interface Size {
  width: number;
  height: number;
}

export interface Box extends Size {
  left: number;
  top: number;
}

export interface ScreenLayout {
  /** CSS size of the canvas box. */
  cssWidth: number;
  cssHeight: number;
  /** Device pixels per guest pixel, horizontally and vertically. */
  deviceScaleX: number;
  deviceScaleY: number;
  /** Draw with `image-rendering: pixelated` (a guest pixel is a whole number of device pixels). */
  pixelated: boolean;
}

/** A sane device pixel ratio (browsers report 0 or NaN in odd embedding situations). */
function ratio(dpr: number): number {
  return Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
}

/** The canvas box for a guest surface inside a container of `container` CSS pixels. */
export function layoutScreen(mode: ScaleMode, surface: Size, container: Size, devicePixelRatio: number): ScreenLayout {
  const dpr = ratio(devicePixelRatio);
  const w = Math.max(0, surface.width);
  const h = Math.max(0, surface.height);
  if (w === 0 || h === 0) return { cssWidth: 0, cssHeight: 0, deviceScaleX: 1, deviceScaleY: 1, pixelated: true };
  let deviceW: number;
  let deviceH: number;
  switch (mode) {
    case 'none':
      deviceW = w;
      deviceH = h;
      break;
    case 'fill':
      deviceW = Math.max(1, Math.round(Math.max(0, container.width) * dpr));
      deviceH = Math.max(1, Math.round(Math.max(0, container.height) * dpr));
      break;
    case 'fit':
    default: {
      const s = Math.min(Math.max(0, container.width) / w, Math.max(0, container.height) / h) * dpr;
      const scale = s > 0 && Number.isFinite(s) ? s : 1 / Math.max(w, h);
      deviceW = Math.max(1, Math.floor(w * scale + 1e-6));
      deviceH = Math.max(1, Math.floor(h * scale + 1e-6));
      break;
    }
  }
  const deviceScaleX = deviceW / w;
  const deviceScaleY = deviceH / h;
  const whole = (v: number): boolean => v >= 1 && Math.abs(v - Math.round(v)) < 1e-9;
  return {
    cssWidth: deviceW / dpr,
    cssHeight: deviceH / dpr,
    deviceScaleX,
    deviceScaleY,
    pixelated: whole(deviceScaleX) && whole(deviceScaleY),
  };
}

export interface GuestPoint {
  x: number;
  y: number;
  /** Whether the page point was over the screen (the point is clamped to its edge otherwise). */
  inside: boolean;
}

/**
 * A page point (clientX/clientY) -> guest pixel of a surface shown in `box` (the canvas's client rect).
 * Clamped to the surface; whole pixels.
 */
export function clientToGuest(clientX: number, clientY: number, box: Box, surface: Size): GuestPoint {
  if (box.width <= 0 || box.height <= 0 || surface.width <= 0 || surface.height <= 0) return { x: 0, y: 0, inside: false };
  const fx = ((clientX - box.left) * surface.width) / box.width;
  const fy = ((clientY - box.top) * surface.height) / box.height;
  const inside = fx >= 0 && fy >= 0 && fx < surface.width && fy < surface.height;
  return {
    x: Math.min(surface.width - 1, Math.max(0, Math.floor(fx))),
    y: Math.min(surface.height - 1, Math.max(0, Math.floor(fy))),
    inside,
  };
}

/** A guest pixel -> page point (its top-left corner), the inverse of {@link clientToGuest}. */
export function guestToClient(x: number, y: number, box: Box, surface: Size): { clientX: number; clientY: number } {
  const sx = surface.width > 0 ? box.width / surface.width : 0;
  const sy = surface.height > 0 ? box.height / surface.height : 0;
  return { clientX: box.left + x * sx, clientY: box.top + y * sy };
}

/** A relative pointer movement in CSS pixels -> guest pixels (server mouse mode follows the shown scale). */
export function cssDeltaToGuest(dx: number, dy: number, box: Size, surface: Size): { dx: number; dy: number } {
  if (box.width <= 0 || box.height <= 0 || surface.width <= 0 || surface.height <= 0) return { dx, dy };
  return { dx: (dx * surface.width) / box.width, dy: (dy * surface.height) / box.height };
}

/** One head of display channel 0 (MONITORS_CONFIG), in surface pixels. */
export interface Head {
  monitorId: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * MOUSE_POSITION's display id and coordinates for a point of display channel `channelId`'s surface. On
 * channel 0 with heads, the head containing the point (else the nearest one) and coordinates relative to
 * it; otherwise the channel id and the point unchanged.
 */
export function pointerTarget(channelId: number, heads: readonly Head[], x: number, y: number): { displayId: number; x: number; y: number } {
  if (channelId !== 0 || heads.length === 0) return { displayId: channelId, x, y };
  let best: Head = heads[0]!;
  let bestDistance = Infinity;
  for (const head of heads) {
    const dx = x < head.x ? head.x - x : x >= head.x + head.width ? x - (head.x + head.width - 1) : 0;
    const dy = y < head.y ? head.y - y : y >= head.y + head.height ? y - (head.y + head.height - 1) : 0;
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      best = head;
      bestDistance = distance;
    }
    if (distance === 0) break;
  }
  const rx = Math.min(Math.max(0, best.width - 1), Math.max(0, x - best.x));
  const ry = Math.min(Math.max(0, best.height - 1), Math.max(0, y - best.y));
  return { displayId: best.monitorId, x: rx, y: ry };
}

/** A monitor's place in the arranged guest desktop (guest pixels). */
export interface MonitorRect {
  key: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MonitorsLayout {
  /** CSS size of the whole arrangement. */
  cssWidth: number;
  cssHeight: number;
  /** Each monitor's CSS box relative to the arrangement's top-left corner. */
  boxes: (Box & { key: string })[];
  pixelated: boolean;
}

/** The bounding box of the arranged monitors (guest pixels), 0x0 without any. */
export function monitorsBounds(monitors: readonly MonitorRect[]): Box {
  if (monitors.length === 0) return { left: 0, top: 0, width: 0, height: 0 };
  const left = Math.min(...monitors.map((m) => m.x));
  const top = Math.min(...monitors.map((m) => m.y));
  const right = Math.max(...monitors.map((m) => m.x + m.width));
  const bottom = Math.max(...monitors.map((m) => m.y + m.height));
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * All monitors as the guest arranges them, scaled together into `container` by `mode` (as one screen of
 * the arrangement's bounding box). Edges are snapped to whole device pixels, so neighbours meet exactly.
 */
export function layoutMonitors(mode: ScaleMode, monitors: readonly MonitorRect[], container: Size, devicePixelRatio: number): MonitorsLayout {
  const dpr = ratio(devicePixelRatio);
  const bounds = monitorsBounds(monitors);
  const whole = layoutScreen(mode, bounds, container, dpr);
  const sx = whole.deviceScaleX;
  const sy = whole.deviceScaleY;
  const boxes = monitors.map((m) => {
    const l = Math.round((m.x - bounds.left) * sx);
    const t = Math.round((m.y - bounds.top) * sy);
    const r = Math.round((m.x - bounds.left + m.width) * sx);
    const b = Math.round((m.y - bounds.top + m.height) * sy);
    return { key: m.key, left: l / dpr, top: t / dpr, width: Math.max(1, r - l) / dpr, height: Math.max(1, b - t) / dpr };
  });
  return { cssWidth: whole.cssWidth, cssHeight: whole.cssHeight, boxes, pixelated: whole.pixelated };
}
