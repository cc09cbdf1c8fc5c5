/**
 * CursorController: shows the guest's pointer shape as the screen's local CSS cursor, so the pointer moves
 * at the speed of the page and never waits for the network (spice-gtk does the same in client mouse mode).
 * The engine sends each shape as RGBA; it is encoded to PNG here (a 2D canvas's toDataURL) and applied as
 * `cursor: url("data:image/png;base64,…") hotX hotY, auto`. A hidden guest cursor is `cursor: none`; a
 * reset or unknown one is the page's default pointer.
 *
 * Content-Security-Policy: a CSS cursor image is fetched like any image, so the page needs `img-src data:`
 * for guest cursor shapes; without it the browser shows its default pointer (the `auto` fallback) and
 * everything else works. Chromium ignores cursor images larger than 128x128 CSS pixels: larger guest
 * shapes are scaled down to fit (hot spot scaled with them).
 *
 * In server mouse mode under Pointer Lock the browser hides the local pointer; the element then draws the
 * guest's shape at the guest's position (`overlay`), from the positions in SET and MOVE.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { EngineEvent } from '../api/engine-api.js';
import type { CursorShape } from '../api/input.js';

/** Largest cursor image Chromium and Firefox accept, in CSS pixels. */
export const MAX_CSS_CURSOR = 128;

export interface CursorImageUrl {
  url: string;
  width: number;
  height: number;
  hotX: number;
  hotY: number;
}

/** Encodes a shape as a PNG data URL (scaled down to MAX_CSS_CURSOR if larger). Null if it cannot be encoded. */
export function cursorImageUrl(shape: CursorShape): CursorImageUrl | null {
  const { width, height } = shape;
  if (width <= 0 || height <= 0 || shape.rgba.byteLength < width * height * 4) return null;
  const source = document.createElement('canvas');
  source.width = width;
  source.height = height;
  const ctx = source.getContext('2d');
  if (!ctx) return null;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(shape.rgba, 0, width * height * 4), width, height), 0, 0);
  const scale = Math.min(1, MAX_CSS_CURSOR / Math.max(width, height));
  if (scale === 1) return { url: source.toDataURL('image/png'), width, height, hotX: shape.hotX, hotY: shape.hotY };
  const out = document.createElement('canvas');
  out.width = Math.max(1, Math.floor(width * scale));
  out.height = Math.max(1, Math.floor(height * scale));
  out.getContext('2d')?.drawImage(source, 0, 0, out.width, out.height);
  return {
    url: out.toDataURL('image/png'),
    width: out.width,
    height: out.height,
    hotX: Math.min(out.width - 1, Math.floor(shape.hotX * scale)),
    hotY: Math.min(out.height - 1, Math.floor(shape.hotY * scale)),
  };
}

/** The CSS `cursor` value for a shape; `auto` is the fallback when the image cannot be used. */
export function cursorCss(image: CursorImageUrl | null, visible: boolean): string {
  if (!visible) return 'none';
  if (!image) return 'default';
  const hotX = Math.max(0, Math.min(image.hotX, image.width - 1));
  const hotY = Math.max(0, Math.min(image.hotY, image.height - 1));
  return `url("${image.url}") ${hotX} ${hotY}, auto`;
}

interface ChannelCursor {
  image: CursorImageUrl | null;
  visible: boolean;
  position: { x: number; y: number } | null;
}

export class CursorController implements ReactiveController {
  /** Each display channel's cursor (a cursor channel per display channel); monitors wear their channel's. */
  private readonly channels = new Map<number, ChannelCursor>();

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Applies the CSS cursor of display channel `channelId` to its monitors. */
    private readonly apply: (channelId: number, css: string) => void,
  ) {
    host.addController(this);
  }

  private state(channelId: number): ChannelCursor {
    let c = this.channels.get(channelId);
    if (!c) this.channels.set(channelId, (c = { image: null, visible: true, position: null }));
    return c;
  }

  /** The current shape of display channel 0's cursor, encoded; null for the default pointer. */
  get image(): CursorImageUrl | null {
    return this.channels.get(0)?.image ?? null;
  }

  get visible(): boolean {
    return this.channels.get(0)?.visible ?? true;
  }

  /** The guest pointer position (guest pixels of display channel 0), when the guest reported one. */
  get position(): { x: number; y: number } | null {
    return this.channels.get(0)?.position ?? null;
  }

  /** The CSS `cursor` value for display channel `channelId` (default: 0); empty before any shape. */
  css(channelId = 0): string {
    const c = this.channels.get(channelId);
    return c ? cursorCss(c.image, c.visible) : '';
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.reset();
  }

  /** Handles the engine's cursor events; returns true if the event was one. */
  handle(e: EngineEvent): boolean {
    switch (e.type) {
      case 'cursor': {
        const c = this.state(e.channelId);
        c.image = e.shape ? cursorImageUrl(e.shape) : null;
        c.visible = e.visible;
        if (e.x !== null && e.y !== null) c.position = { x: e.x, y: e.y };
        break;
      }
      case 'cursor-hidden':
        this.state(e.channelId).visible = false;
        break;
      case 'cursor-move':
        this.state(e.channelId).position = { x: e.x, y: e.y };
        this.host.requestUpdate();
        return true;
      default:
        return false;
    }
    this.apply(e.channelId, this.css(e.channelId));
    this.host.requestUpdate();
    return true;
  }

  /** Back to the page's default pointer (session ended). */
  reset(): void {
    const ids = [...this.channels.keys()];
    this.channels.clear();
    for (const id of ids) this.apply(id, '');
  }
}
