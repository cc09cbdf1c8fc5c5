/**
 * Messages every SPICE channel shares (spice.proto BaseChannel): SET_ACK, PING, NOTIFY, DISCONNECTING,
 * WAIT_FOR_CHANNELS, MIGRATE on the way in; ACK_SYNC, ACK, PONG, DISCONNECTING on the way out.
 */
import { Reader } from './reader.js';
import { cString } from './utf8.js';
import { Writer } from './writer.js';

export interface SetAck {
  generation: number;
  window: number;
}
export function parseSetAck(body: Uint8Array): SetAck {
  const r = new Reader(body);
  return { generation: r.u32(), window: r.u32() };
}

export interface Ping {
  id: number;
  timestamp: bigint;
}
/** PING may carry padding (the server's bandwidth test) after id and timestamp; it is ignored. */
export function parsePing(body: Uint8Array): Ping {
  const r = new Reader(body);
  return { id: r.u32(), timestamp: r.u64() };
}
/** PONG echoes id and timestamp only, never the padding. */
export function writePong(p: Ping): Uint8Array {
  return new Writer(12).u32(p.id).u64(p.timestamp).finish();
}

export function writeAckSync(generation: number): Uint8Array {
  return new Writer(4).u32(generation).finish();
}

export interface Notify {
  time: bigint;
  severity: number;
  visibility: number;
  what: number;
  message: string;
}
export function parseNotify(body: Uint8Array): Notify {
  const r = new Reader(body);
  const time = r.u64();
  const severity = r.u32();
  const visibility = r.u32();
  const what = r.u32();
  const len = r.u32();
  const message = cString(r.bytesView(Math.min(len, r.remaining)));
  return { time, severity, visibility, what, message };
}

export interface Disconnecting {
  time: bigint;
  reason: number;
}
export function parseDisconnecting(body: Uint8Array): Disconnecting {
  const r = new Reader(body);
  return { time: r.u64(), reason: r.u32() };
}
export function writeDisconnecting(reason: number): Uint8Array {
  return new Writer(12).u64(0n).u32(reason).finish();
}

export interface WaitForChannels {
  channels: { type: number; id: number; serial: bigint }[];
}
export function parseWaitForChannels(body: Uint8Array): WaitForChannels {
  const r = new Reader(body);
  const count = r.u8();
  const channels = [];
  for (let i = 0; i < count; i++) channels.push({ type: r.u8(), id: r.u8(), serial: r.u64() });
  return { channels };
}

export function parseMigrate(body: Uint8Array): { flags: number } {
  return { flags: new Reader(body).u32() };
}
