/**
 * Plain-data types shared by the page and the worker: connect options, session facts, channel states and
 * the disconnect codes. Everything here crosses the comlink boundary by structured clone, so it is data
 * only: no classes, no functions, no bigints. Names of SPICE enums (channel types, image compressions) are
 * derived from the generated constants, never typed in again.
 */
import type { AgentOptions } from './agent.js';
import { ChannelType, ImageCompression } from '../protocol/constants.js';

/** Why a session ended. `clean` is true only for `client` (the page asked to disconnect). */
export const DisconnectCode = {
  /** disconnect() was called, or the element left the page. */
  Client: 'client',
  /** The server refused the password (SPICE_LINK_ERR_PERMISSION_DENIED). */
  AuthFailed: 'auth-failed',
  /** The server answered the link with another error, closed during the link, or needs TLS/SASL. */
  LinkRefused: 'link-refused',
  /** The connection to a linked session closed. */
  TransportClosed: 'transport-closed',
  /** The peer sent bytes that are not valid SPICE (bad magic, truncated or absurd messages). */
  Protocol: 'protocol',
  /** The WebSocket could not be opened at all. */
  Unreachable: 'unreachable',
  /** The server did not complete the link in time. */
  Timeout: 'timeout',
  /** The server needs something this client cannot do (SASL only, TLS port). */
  Unsupported: 'unsupported',
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

export interface DisconnectDetail {
  code: DisconnectCode;
  reason: string;
  clean: boolean;
}

/** A SPICE channel type by name: SPICE_CHANNEL_USBREDIR is `usbredir`. */
export type ChannelTypeName = Lowercase<keyof typeof ChannelType>;

/** The name of SPICE_CHANNEL_* `type`, or `unknown-N` for a type this client does not know. */
export function channelTypeName(type: number): ChannelTypeName | `unknown-${number}` {
  const entry = Object.entries(ChannelType).find(([, value]) => value === type);
  return entry ? (entry[0].toLowerCase() as ChannelTypeName) : `unknown-${type}`;
}

export type ChannelState = 'listed' | 'linking' | 'linked' | 'failed' | 'closed';

export interface ChannelInfo {
  /** Name of the SPICE channel type, e.g. `display`; `unknown-N` for a type this client does not know. */
  type: ChannelTypeName | `unknown-${number}`;
  /** The numeric SPICE channel type (SPICE_CHANNEL_*). */
  typeId: number;
  id: number;
  state: ChannelState;
  /** Why a channel failed or closed, when it did. */
  error?: string;
}

export type MouseModeName = 'server' | 'client';

export interface SessionInfo {
  sessionId: number;
  channels: ChannelInfo[];
  displayChannelsHint: number;
  mouseModes: MouseModeName[];
  mouseMode: MouseModeName;
  agentConnected: boolean;
  /** From MAIN_NAME / MAIN_UUID when the server sends them. */
  name?: string;
  uuid?: string;
}

export interface ConnectOptions {
  /** ws:// or wss:// URL of the SPICE server's port or of a websockify-style proxy; every channel opens it. */
  url: string;
  /** Held in worker memory for the session only (every channel link needs the ticket); never stored. */
  password?: string;
  /** How long one channel may take to link, in milliseconds (default 15000). */
  linkTimeoutMs?: number;
  /** Channel types to link; default: every type this client implements. */
  linkChannelTypes?: ChannelTypeName[];
  /** Ask the server for one image compression (PREFERRED_COMPRESSION) instead of its own setting. */
  preferredCompression?: ImageCompressionName;
  /**
   * USB redirection (default `native`). `disabled` leaves the VM's usbredir channels unlinked and reports
   * USB unavailable with `disabledReason`.
   */
  usb?: { mode: 'native' | 'disabled'; disabledReason?: string };
  /** The guest agent: WAN options (DISPLAY_CONFIG) and the clipboard policy; later changes go through EngineApi. */
  agent?: Partial<AgentOptions>;
}

/** `AutoGlz` → `auto-glz`: the generated constants' keys as attribute values. */
type Kebab<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `-${Lowercase<H>}`}${Kebab<T>}` : S;
type Unprefixed<S extends string> = S extends `-${infer R}` ? R : S;

/** SPICE_IMAGE_COMPRESSION_* by name, as the `image-compression` attribute takes them: `off`, `auto-glz`, … `lz4`. */
export type ImageCompressionName = Unprefixed<Kebab<Exclude<keyof typeof ImageCompression, 'Invalid'>>>;

/** `AutoGlz` → `auto-glz`. */
const kebabName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).slice(1);

/** The SPICE_IMAGE_COMPRESSION_* value of `name`, or undefined for a name the protocol does not have. */
export function imageCompressionValue(name: string): ImageCompression | undefined {
  const entry = Object.entries(ImageCompression).find(([key]) => key !== 'Invalid' && kebabName(key) === name);
  return entry?.[1];
}

/** The attribute name (`auto-lz`, …) of SPICE_IMAGE_COMPRESSION_* `value`, or undefined (e.g. from `displayStats()`). */
export function imageCompressionName(value: number): ImageCompressionName | undefined {
  const entry = Object.entries(ImageCompression).find(([key, v]) => key !== 'Invalid' && v === value);
  return entry ? (kebabName(entry[0]) as ImageCompressionName) : undefined;
}

export type SessionState = 'connecting' | 'connected' | 'disconnecting' | 'disconnected';

/**
 * What a local hotkey does, by remote-viewer's names (its `--hotkeys` option and a `.vv` file's keys):
 * the console acts on `release-cursor`, `secure-attention` and `toggle-fullscreen`; the page acts on all
 * of them through the `spice-hotkey` event.
 */
export const HOTKEY_ACTIONS = [
  'release-cursor',
  'secure-attention',
  'toggle-fullscreen',
  'zoom-in',
  'zoom-out',
  'zoom-reset',
  'smartcard-insert',
  'smartcard-remove',
  'usb-device-reset',
] as const;
export type HotkeyAction = (typeof HOTKEY_ACTIONS)[number];
