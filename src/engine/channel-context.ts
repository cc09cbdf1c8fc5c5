/**
 * ChannelContext: everything a channel may use of its session, handed to it once as one plain value. The
 * session builds it (src/engine/session.ts); a unit test builds one by hand to run a channel alone. A channel
 * reports back only through the calls here: `linked` / `failed` for its own life, `emit` for the page.
 */
import type { EngineEvent } from '../api/engine-api.js';
import type { DisconnectCode } from '../api/types.js';
import type { GlzDictionary } from '../codecs/glz.js';
import type { MonitorHub } from './monitors.js';
import type { Channel } from './channel.js';
import type { TransportFactory } from './transport.js';
import type { UsbManager } from './usb-manager.js';

export interface ChannelContext {
  /** The URL every channel of the session opens. */
  readonly url: string;
  readonly transportFactory: TransportFactory;
  /** How long the link may take, in ms. */
  readonly linkTimeoutMs: number;
  /** The connection id of the link: the session id from MAIN_INIT (0 for the main channel itself). */
  readonly sessionId: number;
  /** The password for the ticket; read at link time, never stored by the channel. */
  password(): string;
  /** The channel linked and can carry messages. */
  linked(channel: Channel): void;
  /** The channel is gone; `code` says why. Called at most once per channel. */
  failed(channel: Channel, code: DisconnectCode, reason: string): void;
  /** An event for the page (dropped once the session ended). Logs and notices are events too. */
  emit(event: EngineEvent): void;
  /** Another channel of the session by type and id (SPICE_CHANNEL_*), linked or not, or undefined. */
  channel(type: number, id: number): Channel | undefined;
  /** The session's monitors: display channels report their surfaces and heads, and take their canvases. */
  readonly monitors?: MonitorHub;
  /** The session's GLZ dictionary, shared by its display channels as the server expects. */
  readonly glz: GlzDictionary;
  /** SPICE_IMAGE_COMPRESSION_* the page asked for, if any. */
  readonly preferredCompression?: number;
  /** The session's USB redirection: usbredir channels are its device slots. */
  readonly usb?: UsbManager;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
