/**
 * The one contract across the worker boundary. The page calls `EngineApi` through comlink; the engine
 * answers through one long-lived event sink with plain-data `EngineEvent`s tagged by `type`.
 */
import type { MonitorsConfigHead } from '../protocol/display.js';
import type { ChannelInfo, ConnectOptions, DisconnectDetail, MouseModeName, SessionInfo, SessionState } from './types.js';
import type { CursorShape, InputEvent, KeyboardLocks } from './input.js';
import type { UsbEngineStatus, UsbResult } from './usb.js';
import type { MonitorInfo } from './monitors.js';
import type { AgentApi, AgentEngineEvent } from './agent.js';

export type EngineEvent =
  | { type: 'state'; state: SessionState }
  | { type: 'connected'; session: SessionInfo }
  | { type: 'channels'; channels: ChannelInfo[] }
  | { type: 'mouse-mode'; mode: MouseModeName; supported: MouseModeName[] }
  /** The guest agent: `agent` (connected, caps), `display-config`, `clipboard`, `file-transfer` (src/api/agent.ts). */
  | AgentEngineEvent
  | { type: 'surface'; displayId: number; width: number; height: number }
  /** The session's monitors changed (a display channel's surface or MONITORS_CONFIG, a channel closed). */
  | { type: 'monitors'; monitors: MonitorInfo[]; maxAllowed: number }
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
  /** Images resolved so far by SPICE_IMAGE_TYPE_* (cache hits included). */
  imageCounts?: Record<number, number>;
  /**
   * SPICE_IMAGE_COMPRESSION_* the channel asked for on its own because of the content (AUTO_LZ while GLZ images
   * do not compress, AUTO_GLZ after they do again), or null: the server's setting holds. Only without
   * `image-compression`.
   */
  adaptedCompression?: number | null;
  /** Flushes that updated a canvas. */
  frames: number;
  /** Canvas updates per monitor key (`<channelId>:<monitorId>`). */
  monitorFrames: Record<string, number>;
  /** Messages received, by SPICE message type. */
  messages: Record<number, number>;
  streams?: VideoStreamStats | null;
  /**
   * First frame (epoch ms) and the recent arrival-to-canvas delays (ms, message taken up in the worker to
   * the animation frame that drew it), for the session benchmark.
   */
  presentation?: { firstFrameAt: number | null; latencies: number[]; latencyTotal: number };
}

/** Session totals for statistics (engine `stats()`); rates are differences between two samples. */
export interface EngineStats {
  /** Bytes received / sent over every channel's socket since the session started. */
  bytesIn: number;
  bytesOut: number;
  /** Canvas updates presented, all displays. */
  frames: number;
  /** Time spent handling display messages (decoding and drawing), ms, and how many there were. */
  displayBusyMs: number;
  displayMessages: number;
  /** Smoothed round trip of the inputs channel's motion acknowledgement, ms; null until the pointer moved. */
  roundTripMs: number | null;
  /** When the sample was taken (Date.now()). */
  at: number;
}

export type EngineEventSink = (event: EngineEvent) => void;

/** The agent calls (setWanOptions, offerClipboard, sendFile, setMonitorsConfig, ...) are in AgentApi. */
export interface EngineApi extends AgentApi {
  /**
   * Starts a session; resolves once the main channel has linked and the first channel list arrived
   * (the `connected` event has been sent), rejects never: failures arrive as one `disconnected` event.
   * Canvases come later, one per monitor, through attachMonitor. `inputPort` carries the page's input as
   * InputPortMessages (the same calls as `input`, `sendKeys`, `releaseAll`, `requestMouseMode`, in one
   * ordered stream, cheaper).
   */
  connect(options: ConnectOptions, sink: EngineEventSink, inputPort?: MessagePort): Promise<void>;
  /**
   * The page's canvas for monitor `key` (from a `monitors` event), transferred once; the worker sizes it and
   * draws that monitor into it from now on, replacing an earlier canvas of the same monitor. False (and the
   * canvas unused) when no such monitor exists now. A monitor that goes away drops its canvas.
   */
  attachMonitor(key: string, canvas: OffscreenCanvas): Promise<boolean>;
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
  /**
   * The primary surface of display channel `displayId` as RGBA (rows top-down), or only its monitor
   * `monitorId`'s rectangle; null before it exists.
   */
  screenshot(displayId: number, monitorId?: number): Promise<{ width: number; height: number; rgba: Uint8Array } | null>;
  /** Diagnostics: image types decoded per display channel, frames presented, video streams. */
  displayStats(): Promise<DisplayStats[]>;
  /** Session totals: bytes each way, frames, display work time, round trip (see EngineStats). */
  stats(): Promise<EngineStats>;
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
