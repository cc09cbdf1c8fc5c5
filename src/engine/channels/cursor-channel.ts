/**
 * CursorChannel: the guest's pointer shape for one display channel (channel type 4, same id). It follows
 * INIT, SET, MOVE, HIDE, RESET and the cursor cache (CACHE_ME, FROM_CACHE, INVAL_ONE, INVAL_ALL), decodes
 * every cursor type to straight-alpha RGBA (input/cursor-image.ts) and reports to the page as events: the
 * page shows the shape as a local CSS cursor, so the pointer never waits for the network. Each shape's RGBA
 * is a fresh buffer transferred to the page; the cache keeps its own copy.
 */
import { transfer } from 'comlink';
import type { EngineEvent } from '../../api/engine-api.js';
import type { CursorShape } from '../../api/input.js';
import { CursorCache, resolveCursor } from '../../input/cursor-image.js';
import {
  CursorMsg,
  parseCursorInit,
  parseCursorInvalOne,
  parseCursorMove,
  parseCursorSet,
  parseCursorTrail,
  type Point16,
  type SpiceCursor,
} from '../../protocol/cursor.js';
import { ChannelType } from '../../protocol/constants.js';
import { Reader } from '../../protocol/reader.js';
import { Channel } from '../channel.js';
import type { ChannelContext } from '../channel-context.js';

export class CursorChannel extends Channel {
  private readonly cache = new CursorCache();

  constructor(ctx: ChannelContext, id: number) {
    super(ctx, ChannelType.Cursor, id);
  }

  protected channelCaps(): number[] {
    return [];
  }

  protected handleMessage(type: number, body: Uint8Array): void {
    const r = new Reader(body);
    switch (type) {
      case CursorMsg.Init: {
        const m = parseCursorInit(r);
        this.cache.clear();
        return this.show(m.cursor, m.visible, m.position);
      }
      case CursorMsg.Set: {
        const m = parseCursorSet(r);
        return this.show(m.cursor, m.visible, m.position);
      }
      case CursorMsg.Move: {
        const { position } = parseCursorMove(r);
        return this.ctx.emit({ type: 'cursor-move', channelId: this.id, x: position.x, y: position.y });
      }
      case CursorMsg.Hide:
        return this.ctx.emit({ type: 'cursor-hidden', channelId: this.id });
      case CursorMsg.Reset:
        // The guest dropped its cursor state: forget the cache and let the page show its own pointer.
        this.cache.clear();
        return this.ctx.emit({ type: 'cursor', channelId: this.id, shape: null, visible: true, x: null, y: null });
      case CursorMsg.Trail:
        parseCursorTrail(r); // pointer trails: nothing a CSS cursor can show
        return;
      case CursorMsg.InvalOne:
        this.cache.delete(parseCursorInvalOne(r).id);
        return;
      case CursorMsg.InvalAll:
        this.cache.clear();
        return;
      default:
        return this.logUnknown(type, body);
    }
  }

  private show(cursor: SpiceCursor, visible: boolean, position: Point16): void {
    const resolved = resolveCursor(cursor, this.cache);
    if (resolved.kind === 'image') {
      const { image } = resolved;
      const rgba = image.rgba.slice().buffer; // a copy: the cache keeps the original
      const shape: CursorShape = { width: image.width, height: image.height, hotX: image.hotX, hotY: image.hotY, rgba };
      const event: EngineEvent = { type: 'cursor', channelId: this.id, shape, visible, x: position.x, y: position.y };
      // comlink remembers the transfer list per object; the sink proxy picks it up when it posts `event`.
      return this.ctx.emit(transfer(event, [rgba]));
    }
    if (resolved.kind === 'miss') this.log('debug', `cursor ${resolved.unique} is not in the cache; showing the default cursor`);
    // NONE: the guest has no pointer (hidden). A cache miss: the default pointer until the next SET.
    const hidden = resolved.kind === 'none';
    this.ctx.emit({ type: 'cursor', channelId: this.id, shape: null, visible: visible && !hidden, x: position.x, y: position.y });
  }
}
