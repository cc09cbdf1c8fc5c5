/**
 * Which class serves which SPICE channel type. A new channel implementation is one file under
 * channels/ and one entry here; types without an entry are linked as PassiveChannel (or not at all,
 * per ConnectOptions.linkChannelTypes).
 */
import type { EngineEvent } from '../../api/engine-api.js';
import type { Channel, ChannelOwner } from '../channel.js';
import { DisplayChannel } from './display-channel.js';

/** What a channel may use of its session besides the ChannelOwner basics. */
export interface SessionServices {
  emit(event: EngineEvent): void;
  /** The canvas the page handed over for display channel `id`, if any. */
  displayCanvas(id: number): OffscreenCanvas | undefined;
  /** Another linked channel of the session (e.g. display channels share caches), or undefined. */
  channel(type: number, id: number): Channel | undefined;
}

export type ChannelFactory = (owner: ChannelOwner, id: number, sessionId: number, services: SessionServices) => Channel;

export const channelFactories: Partial<Record<number, ChannelFactory>> = {
  2: (owner, id, sessionId, services) =>
    new DisplayChannel(owner, id, sessionId, { surface: (displayId, width, height) => services.emit({ type: 'surface', displayId, width, height }) }, services.displayCanvas(id)),
};
