/**
 * The one contract across the worker boundary. The page calls `EngineApi` through comlink; the engine
 * answers through one long-lived event sink with plain-data `EngineEvent`s tagged by `type`.
 */
import type { ChannelInfo, ConnectOptions, DisconnectDetail, MouseModeName, SessionInfo, SessionState } from './types.js';

export type EngineEvent =
  | { type: 'state'; state: SessionState }
  | { type: 'connected'; session: SessionInfo }
  | { type: 'channels'; channels: ChannelInfo[] }
  | { type: 'mouse-mode'; mode: MouseModeName; supported: MouseModeName[] }
  | { type: 'agent'; connected: boolean }
  | { type: 'surface'; displayId: number; width: number; height: number }
  | { type: 'notify'; severity: 'info' | 'warn' | 'error'; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | ({ type: 'disconnected' } & DisconnectDetail);

export type EngineEventSink = (event: EngineEvent) => void;

export interface EngineApi {
  /**
   * Starts a session; resolves once the main channel has linked and the first channel list arrived
   * (the `connected` event has been sent), rejects never: failures arrive as one `disconnected` event.
   * `displayCanvas` is the page's canvas for display channel 0, transferred once.
   */
  connect(options: ConnectOptions, sink: EngineEventSink, displayCanvas?: OffscreenCanvas): Promise<void>;
  /** Ends the session: every socket closed; sends one `disconnected` event with code `client`. */
  disconnect(): Promise<void>;
  /** Number of open sockets (diagnostics and leak tests). */
  openSockets(): Promise<number>;
}
