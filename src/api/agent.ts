/**
 * The guest agent as plain data crossing the worker boundary: the options the page gives the engine (WAN
 * options, clipboard policy), what the engine reports (agent state and caps, the DISPLAY_CONFIG it sent or
 * why not, clipboard traffic, file transfers) and the results of the agent calls. Errors travel as result
 * objects with a `code`, because comlink keeps only the message of a thrown Error.
 */
import type { ClipboardPolicy } from '../agent/clipboard.js';
import type { ColorDepth, DisplayEffect, WanOptions } from '../agent/display-config.js';
import type { FileTransferInfo, FileTransferState } from '../agent/file-xfer.js';
import type { MonitorRequest } from '../agent/agent-session.js';

export type { ClipboardPolicy, ColorDepth, DisplayEffect, WanOptions, FileTransferInfo, FileTransferState, MonitorRequest };

/** What the page sets at connect() (and later through setWanOptions / setClipboardPolicy). */
export interface AgentOptions {
  wan: WanOptions;
  clipboard: ClipboardPolicy;
}

/** The agent now: connected, its capability names (`display-config`, `clipboard-by-demand`, ...). */
export interface AgentStatus {
  connected: boolean;
  caps: string[];
  /** An agent is connected, announced its caps, and not FILE_XFER_DISABLED. */
  fileTransferAvailable: boolean;
}

/** `spice-display-config` detail: what DISPLAY_CONFIG carried, whether it was sent, and why not (or a note). */
export interface DisplayConfigDetail {
  flags: number;
  depth: number;
  effects: string[];
  sent: boolean;
  reason?: string;
}

/**
 * `spice-clipboard` detail. `kind`: `grab` (one side announced new content of these types), `data` (content
 * went across: `size` bytes), `release` (the side dropped its content).
 */
export interface ClipboardDetail {
  direction: 'to-guest' | 'from-guest';
  types: string[];
  size: number;
  kind: 'grab' | 'data' | 'release';
}

/** `spice-file-transfer` detail (see FileTransferInfo). */
export type FileTransferDetail = FileTransferInfo;

export const AgentErrorCode = {
  /** No agent runs in the guest (or it has not announced itself yet). */
  NotConnected: 'agent-not-connected',
  /** The agent offers no by-demand clipboard. */
  ClipboardUnavailable: 'clipboard-unavailable',
  /** The console's `clipboard` policy does not allow this direction. */
  ClipboardPolicy: 'clipboard-policy',
  /** Nothing of the asked type is on the clipboard, or nothing the guest can take was offered. */
  ClipboardEmpty: 'clipboard-empty',
  ClipboardTooLarge: 'clipboard-too-large',
  /** The agent answered nothing in time. */
  Timeout: 'agent-timeout',
  FileTransferDisabled: 'file-transfer-disabled',
  /** The agent went away while the call was waiting. */
  Disconnected: 'agent-disconnected',
  /** Bad arguments (e.g. a monitor of negative size). */
  Invalid: 'agent-invalid',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

export type AgentResult<T> = { ok: true; value: T } | { ok: false; code: AgentErrorCode; message: string };

/** Engine events of the agent (part of EngineEvent). `agent` is sent on connect, caps and disconnect. */
export type AgentEngineEvent =
  | ({ type: 'agent' } & AgentStatus)
  | ({ type: 'display-config' } & DisplayConfigDetail)
  | ({ type: 'clipboard' } & ClipboardDetail)
  | ({ type: 'file-transfer' } & FileTransferDetail);

/**
 * A file as the agent calls take it: a `File` on the page and in the worker (it crosses by structured clone).
 * Spelled out so this module also compiles with the pure code (no DOM types there).
 */
export interface FileLike {
  readonly name: string;
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** The agent calls of EngineApi. */
export interface AgentApi {
  /** New WAN options: DISPLAY_CONFIG now if the agent announced DISPLAY_CONFIG (see `display-config` events). */
  setWanOptions(options: WanOptions): Promise<void>;
  setClipboardPolicy(policy: ClipboardPolicy): Promise<void>;
  /** Offers clipboard content (MIME type → bytes; text as UTF-8) to the guest; resolves with the types offered. */
  offerClipboard(items: { mime: string; data: Uint8Array }[]): Promise<AgentResult<string[]>>;
  /** Drops what offerClipboard offered. */
  releaseClipboard(): Promise<void>;
  /** The guest's clipboard as `mime` (text: UTF-8 with LF line ends). */
  readGuestClipboard(mime: string): Promise<AgentResult<Uint8Array>>;
  /** Sends a file into the guest; resolves with the transfer id once started (progress: `file-transfer` events). */
  sendFile(file: FileLike): Promise<AgentResult<number>>;
  /** Cancels a running transfer; false if there is none with that id. */
  cancelFileTransfer(id: number): Promise<boolean>;
  /**
   * MONITORS_CONFIG: one entry per monitor (null or 0×0 = disabled), sent now or once the agent announced
   * MONITORS_CONFIG, and again after an agent restart. Sparse (every index kept) when the agent announces
   * SPARSE_MONITORS_CONFIG; `reason` notes an agent without MONITORS_CONFIG_POSITION.
   */
  setMonitorsConfig(monitors: (MonitorRequest | null)[]): Promise<AgentResult<{ sent: boolean; reason?: string }>>;
  /** The agent now. */
  agentStatus(): Promise<AgentStatus>;
}
