/**
 * Which class serves which SPICE channel type. A new channel implementation is one file under
 * channels/ and one entry here; types without an entry are linked as PassiveChannel (or not at all,
 * per ConnectOptions.linkChannelTypes).
 */
import type { EngineEvent } from '../../api/engine-api.js';
import type { Channel, ChannelOwner } from '../channel.js';
import { GlzDictionary } from '../../codecs/glz.js';
import { DisplayChannel } from './display-channel.js';
import { CursorChannel } from './cursor-channel.js';
import { InputsChannel } from './inputs-channel.js';
import { VideoStreams } from '../video-streams.js';
import { browserDecoders } from '../video-decoders.js';
import type { UsbManager } from '../usb-manager.js';
import { UsbredirChannel } from './usbredir-channel.js';

/** What a channel may use of its session besides the ChannelOwner basics. */
export interface SessionServices {
  emit(event: EngineEvent): void;
  /** The canvas the page handed over for display channel `id`, if any. */
  displayCanvas(id: number): OffscreenCanvas | undefined;
  /** Another linked channel of the session (e.g. display channels share caches), or undefined. */
  channel(type: number, id: number): Channel | undefined;
  /** The session's GLZ dictionary, shared by its display channels as the server expects. */
  glz(): GlzDictionary;
  /** SPICE_IMAGE_COMPRESSION_* the page asked for, if any. */
  preferredCompression?: number;
  /** The session's USB redirection: usbredir channels are its device slots. */
  usb(): UsbManager;
}

/** GLZ window announced in DISPLAY_INIT: larger than any single image (8 Mi pixels = 32 MiB). */
export const GLZ_WINDOW_PIXELS = 8 * 1024 * 1024;

export function createGlzDictionary(): GlzDictionary {
  return new GlzDictionary(GLZ_WINDOW_PIXELS);
}

export type ChannelFactory = (owner: ChannelOwner, id: number, sessionId: number, services: SessionServices) => Channel;

export const channelFactories: Partial<Record<number, ChannelFactory>> = {
  2: (owner, id, sessionId, services) =>
    new DisplayChannel(owner, id, sessionId, {
      canvas: services.displayCanvas(id),
      glz: services.glz(),
      glzWindowPixels: GLZ_WINDOW_PIXELS,
      ...(services.preferredCompression !== undefined ? { preferredCompression: services.preferredCompression } : {}),
      surface: (displayId, width, height) => services.emit({ type: 'surface', displayId, width, height }),
      monitors: (displayId, heads, maxAllowed) => services.emit({ type: 'monitors', displayId, heads, maxAllowed }),
      streams: (host) => new VideoStreams(host, { decoders: browserDecoders }),
    }),
  3: (owner, id, sessionId, services) =>
    new InputsChannel(owner, id, sessionId, { locks: (locks) => services.emit({ type: 'keyboard-locks', locks }) }),
  4: (owner, id, sessionId, services) => new CursorChannel(owner, id, sessionId, (event) => services.emit(event)),
  9: (owner, id, sessionId, services) => {
    const usb = services.usb();
    const channel = new UsbredirChannel(owner, id, sessionId, usb.channelEvents);
    usb.addChannel(channel);
    return channel;
  },
};
