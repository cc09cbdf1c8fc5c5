/**
 * The one contract across the worker boundary. The page calls `EngineApi` through comlink; the engine
 * answers through one long-lived event sink with plain-data `EngineEvent`s tagged by `type`.
 */
import type { MonitorsConfigHead } from '../protocol/display.js';
import type { ChannelInfo, ConnectOptions, DisconnectDetail, MouseModeName, SessionInfo, SessionState } from './types.js';
import type { CursorShape, InputEvent, KeyboardLocks } from './input.js';
import type { UsbEngineStatus, UsbResult } from './usb.js';

export type EngineEvent =
  | { type: 'state'; state: SessionState }
  | { type: 'connected'; session: SessionInfo }
  | { type: 'channels'; channels: ChannelInfo[] }
  | { type: 'mouse-mode'; mode: MouseModeName; supported: MouseModeName[] }
  | { type: 'agent'; connected: boolean }
  | { type: 'surface'; displayId: number; width: number; height: number }
  | { type: 'monitors'; displayId: number; heads: MonitorHead[]; maxAllowed: number }
  /** The guest's pointer shape for display channel `channelId` (INIT, SET, RESET). `shape` null: show the page's default pointer. */
  | { type: 'cursor'; channelId: number; shape: CursorShape | null; visible: boolean; x: number | null; y: number | null }
  | { type: 'cursor-hidden'; channelId: number }
  /** The guest moved its pointer (guest pixels of that display); matters in server mouse mode. */
  | { type: 'cursor-move'; channelId: number; x: number; y: number }
  /** The guest's lock keys (inputs INIT and KEY_MODIFIERS). */
  | { type: 'keyboard-locks'; locks: KeyboardLocks }
  | { type: 'notify'; severity: 'info' | 'warn' | 'error'; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  /** USB redirection changed: availability, channels, device states (sent from `connected` on). */
  | ({ type: 'usb' } & UsbEngineStatus)
  | ({ type: 'disconnected' } & DisconnectDetail);

/** One head of a display channel's MONITORS_CONFIG: a rectangle of surface `surfaceId`. */
export type MonitorHead = MonitorsConfigHead;

/** Diagnostics of one display channel. */
export interface DisplayStats {
  displayId: number;
  /** SPICE_IMAGE_TYPE_* decoded so far. */
  imageTypes: number[];
  /** Canvas updates presented. */
  frames: number;
  /** Messages received, by SPICE message type. */
  messages: Record<number, number>;
  streams?: VideoStreamStats | null;
  /**
   * First frame (epoch ms) and the recent arrival-to-canvas delays (ms, message taken up in the worker to
   * the animation frame that drew it), for the session benchmark.
   */
  presentation?: { firstFrameAt: number | null; latencies: number[]; latencyTotal: number };
}

export type EngineEventSink = (event: EngineEvent) => void;

export interface EngineApi {
  /**
   * Starts a session; resolves once the main channel has linked and the first channel list arrived
   * (the `connected` event has been sent), rejects never: failures arrive as one `disconnected` event.
   * `displayCanvas` is the page's canvas for display channel 0, transferred once. `inputPort` carries the
   * page's input as InputPortMessages (the same calls as `input`, `sendKeys`, `releaseAll`, `requestMouseMode`,
   * in one ordered stream, cheaper).
   */
  connect(options: ConnectOptions, sink: EngineEventSink, displayCanvas?: OffscreenCanvas, inputPort?: MessagePort): Promise<void>;
  /** Ends the session: every socket closed; sends one `disconnected` event with code `client`. */
  disconnect(): Promise<void>;
  /** Number of open sockets (diagnostics and leak tests). */
  openSockets(): Promise<number>;
  /** User input in order (keys by scan code, pointer in guest pixels); ignored while no inputs channel is linked. */
  input(batch: InputEvent[]): Promise<void>;
  /**
   * Presses the keys (KeyboardEvent.code names, e.g. ['ControlLeft', 'AltLeft', 'Delete']) in order and
   * releases them in reverse. Rejects with a RangeError for a code without a scan code; nothing is sent then.
   */
  sendKeys(codes: string[]): Promise<void>;
  /** Releases every key and pointer button the engine holds down in the guest (focus lost, page hidden). */
  releaseAll(): Promise<void>;
  /** Asks the server for a mouse mode; the answer arrives as a `mouse-mode` event. */
  requestMouseMode(mode: MouseModeName): Promise<void>;
  /** The primary surface of display channel `displayId` as RGBA (rows top-down), or null before it exists. */
  screenshot(displayId: number): Promise<{ width: number; height: number; rgba: Uint8Array } | null>;
  /** Diagnostics: image types decoded per display channel, frames presented, video streams. */
  displayStats(): Promise<DisplayStats[]>;
  /**
   * Redirects the USB device `key` (src/usb/device-key.ts) into the VM on a free usbredir channel. The engine
   * uses its worker's own WebUSB when that sees the device, else `device`: a MessagePort whose page end serves
   * the page's device object (UsbDevicePortApi); an unused port is closed. Resolves once the VM was told
   * about the device, or with why not (`usb-unavailable`, `usb-no-free-channel`, `usb-refused`, ...);
   * never rejects. Device states follow as `usb` events.
   */
  redirectUsb(key: string, device?: MessagePort): Promise<UsbResult>;
  /** Gives the device `key` back: device_disconnect to the VM, the device closed. */
  releaseUsb(key: string): Promise<UsbResult>;
}

/** Diagnostics of one display channel's video streams; records are keyed by SPICE_VIDEO_CODEC_TYPE_*. */
export interface VideoStreamStats {
  /** Codec types the client advertised (it can decode). */
  codecs: number[];
  /** STREAM_CREATEs received. */
  created: Record<number, number>;
  framesReceived: Record<number, number>;
  framesDrawn: Record<number, number>;
  /** Frames not drawn: undecodable stream, corrupt frame, decoder too slow, waiting for a key frame. */
  framesDropped: Record<number, number>;
  /** Streams reported to the server as undecodable. */
  undecodable: number;
  reportsSent: number;
  /** Streams alive now. */
  active: number;
}
