/**
 * DisplayChannel: one display channel (one QXL device). It sends DISPLAY_INIT right after the link (the
 * server waits for it), follows the primary surface's lifecycle and sizes the canvas the page handed over.
 * Drawing commands are the display issue's work: until then they are skipped by size, and the primary
 * surface is cleared to black so the canvas shows the guest's resolution.
 */
import { DisplayMsg, DisplayMsgc, SurfaceFlags } from '../../protocol/constants.js';
import { check } from '../../protocol/errors.js';
import { parseSurfaceCreate, parseSurfaceDestroy, writeDisplayInit } from '../../protocol/display.js';
import { Channel, type ChannelOwner } from '../channel.js';

/** Largest surface we accept: beyond any real monitor, small enough never to exhaust memory. */
const MAX_SURFACE_SIDE = 16384;

export interface DisplayChannelEvents {
  surface(displayId: number, width: number, height: number): void;
}

export class DisplayChannel extends Channel {
  constructor(
    owner: ChannelOwner,
    id: number,
    connectionId: number,
    private readonly events: DisplayChannelEvents,
    private readonly canvas: OffscreenCanvas | undefined,
  ) {
    super(owner, 2, id, connectionId);
  }

  protected channelCaps(): number[] {
    return [];
  }

  protected override onLinked(): void {
    // Pixmap cache id is per display channel until the cache is shared across channels (protocol.md §4.4).
    this.send(
      DisplayMsgc.Init,
      writeDisplayInit({ pixmapCacheId: this.id + 1, pixmapCacheSize: 20 * 1024 * 1024, glzDictionaryId: 0, glzDictionaryWindowSize: 0 }),
    );
  }

  protected handleMessage(type: number, body: Uint8Array): void {
    switch (type) {
      case DisplayMsg.SurfaceCreate: {
        const s = parseSurfaceCreate(body);
        check(s.width > 0 && s.height > 0 && s.width <= MAX_SURFACE_SIDE && s.height <= MAX_SURFACE_SIDE, () => `surface of ${s.width}x${s.height}`);
        if (s.flags & SurfaceFlags.Primary) {
          if (this.canvas) {
            this.canvas.width = s.width;
            this.canvas.height = s.height;
            const ctx = this.canvas.getContext('2d');
            if (ctx) {
              ctx.fillStyle = '#000';
              ctx.fillRect(0, 0, s.width, s.height);
            }
          }
          this.events.surface(this.id, s.width, s.height);
        }
        return;
      }
      case DisplayMsg.SurfaceDestroy:
        parseSurfaceDestroy(body);
        return;
      default:
        this.logUnknown(type, body);
    }
  }
}
