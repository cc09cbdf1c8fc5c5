/**
 * Main channel messages (spice.proto MainChannel): INIT, CHANNELS_LIST, MOUSE_MODE, agent connection
 * state and tokens, NAME, UUID on the way in; ATTACH_CHANNELS, MOUSE_MODE_REQUEST, AGENT_START,
 * AGENT_TOKEN on the way out. AGENT_DATA bodies are raw slices of the agent stream (see src/agent).
 */
import { check } from './errors.js';
import { limitError, MAX_CHANNELS } from './limits.js';
import { Reader } from './reader.js';
import { cString } from './utf8.js';
import { Writer } from './writer.js';

export interface MainInit {
  sessionId: number;
  displayChannelsHint: number;
  supportedMouseModes: number;
  currentMouseMode: number;
  agentConnected: boolean;
  agentTokens: number;
  multiMediaTime: number;
  ramHint: number;
}
export function parseMainInit(body: Uint8Array): MainInit {
  const r = new Reader(body);
  return {
    sessionId: r.u32(),
    displayChannelsHint: r.u32(),
    supportedMouseModes: r.u32(),
    currentMouseMode: r.u32(),
    agentConnected: r.u32() !== 0,
    agentTokens: r.u32(),
    multiMediaTime: r.u32(),
    ramHint: r.u32(),
  };
}

export interface ChannelId {
  type: number;
  id: number;
}
/** The server has at most a few dozen channels; a count that the body cannot hold is a protocol error. */
export function parseChannelsList(body: Uint8Array): ChannelId[] {
  const r = new Reader(body);
  const count = r.u32();
  if (count > MAX_CHANNELS) throw limitError(`CHANNELS_LIST of ${count} channels`, MAX_CHANNELS, 'MAX_CHANNELS');
  check(count * 2 <= r.remaining, () => `CHANNELS_LIST announces ${count} channels in ${r.remaining} bytes`);
  const out: ChannelId[] = [];
  for (let i = 0; i < count; i++) out.push({ type: r.u8(), id: r.u8() });
  return out;
}

export interface MouseModeMsg {
  supported: number;
  current: number;
}
export function parseMouseMode(body: Uint8Array): MouseModeMsg {
  const r = new Reader(body);
  return { supported: r.u16(), current: r.u16() };
}
export function writeMouseModeRequest(mode: number): Uint8Array {
  return new Writer(2).u16(mode).finish();
}

/** AGENT_TOKEN, AGENT_CONNECTED_TOKENS: num_tokens u32. AGENT_DISCONNECTED: error_code u32. */
export function parseU32(body: Uint8Array): number {
  return new Reader(body).u32();
}
export function writeAgentStart(numTokens: number): Uint8Array {
  return new Writer(4).u32(numTokens).finish();
}
export function writeAgentToken(numTokens: number): Uint8Array {
  return new Writer(4).u32(numTokens).finish();
}

export function parseName(body: Uint8Array): string {
  const r = new Reader(body);
  const len = r.u32();
  return cString(r.bytesView(Math.min(len, r.remaining)));
}

export function parseUuid(body: Uint8Array): string {
  const b = new Reader(body).bytesView(16);
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
