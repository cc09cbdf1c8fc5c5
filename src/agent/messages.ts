/**
 * VDAgent messages (vd_agent.h) byte for byte: the 20-byte VDAgentMessage header and the payload of every
 * message a client sends or reads. Writers return whole messages (header + payload); parsers take the
 * payload of one reassembled message. Clipboard messages start with a selection byte and 3 reserved bytes
 * only when both sides announced VD_AGENT_CAP_CLIPBOARD_SELECTION, and GRAB carries a serial only with
 * VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL: the `ClipboardLayout` says which. Constants come from the generated
 * src/protocol/constants.ts (AgentMsg = VD_AGENT_*, AgentCap = VD_AGENT_CAP_*, ...).
 */
import { AgentMsg, AgentFileXferStatus, VD_AGENT_PROTOCOL } from '../protocol/constants.js';
import { check } from '../protocol/errors.js';
import { Reader } from '../protocol/reader.js';
import { cString, utf8Encode } from '../protocol/utf8.js';
import { Writer } from '../protocol/writer.js';

/** sizeof(VDAgentMessage): protocol u32, type u32, opaque u64, size u32. */
export const AGENT_HEADER_SIZE = 20;

export interface AgentHeader {
  protocol: number;
  type: number;
  opaque: bigint;
  /** Payload bytes following the header. */
  size: number;
}

export function parseAgentHeader(bytes: Uint8Array): AgentHeader {
  const r = new Reader(bytes);
  const header = { protocol: r.u32(), type: r.u32(), opaque: r.u64(), size: r.u32() };
  check(header.protocol === VD_AGENT_PROTOCOL, () => `agent message with protocol ${header.protocol} (expected ${VD_AGENT_PROTOCOL})`);
  return header;
}

/** One whole agent message: VDAgentMessage header (opaque 0) followed by `payload`. */
export function agentMessage(type: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new Writer(AGENT_HEADER_SIZE + payload.byteLength).u32(VD_AGENT_PROTOCOL).u32(type).u64(0n).u32(payload.byteLength).bytes(payload).finish();
}

// ANNOUNCE_CAPABILITIES: request u32, caps u32[].

export interface AnnounceCapabilities {
  /** The sender asks the peer to announce its capabilities back. */
  request: boolean;
  /** Capability words (bit N%32 of word N/32 = VD_AGENT_CAP_N). */
  caps: number[];
}
export function writeAnnounceCapabilities(request: boolean, caps: readonly number[]): Uint8Array {
  const w = new Writer(4 + caps.length * 4).u32(request ? 1 : 0);
  for (const word of caps) w.u32(word);
  return agentMessage(AgentMsg.AnnounceCapabilities, w.finish());
}
export function parseAnnounceCapabilities(payload: Uint8Array): AnnounceCapabilities {
  const r = new Reader(payload);
  const request = r.u32() !== 0;
  const caps: number[] = [];
  // VD_AGENT_CAPS_SIZE_FROM_MSG_SIZE: whole words only; a trailing partial word is ignored.
  while (r.remaining >= 4) caps.push(r.u32());
  return { request, caps };
}

// MONITORS_CONFIG: num_of_monitors u32, flags u32, VDAgentMonConfig[num] (height, width, depth, x, y),
// then VDAgentMonitorMM[num] (height u16, width u16) when VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE.

export interface AgentMonConfig {
  width: number;
  height: number;
  depth: number;
  x: number;
  y: number;
  /** Physical size in millimetres (0 = unknown). */
  widthMm?: number;
  heightMm?: number;
}
export interface AgentMonitorsConfig {
  /** VD_AGENT_CONFIG_MONITORS_FLAG_*. */
  flags: number;
  monitors: AgentMonConfig[];
}
export const MONITORS_FLAG_USE_POS = 1;
export const MONITORS_FLAG_PHYSICAL_SIZE = 2;

export function writeMonitorsConfig(config: AgentMonitorsConfig): Uint8Array {
  const { flags, monitors } = config;
  const w = new Writer(8 + monitors.length * 24).u32(monitors.length).u32(flags);
  for (const m of monitors) w.u32(m.height).u32(m.width).u32(m.depth).i32(m.x).i32(m.y);
  if (flags & MONITORS_FLAG_PHYSICAL_SIZE) for (const m of monitors) w.u16(m.heightMm ?? 0).u16(m.widthMm ?? 0);
  return agentMessage(AgentMsg.MonitorsConfig, w.finish());
}
export function parseMonitorsConfig(payload: Uint8Array): AgentMonitorsConfig {
  const r = new Reader(payload);
  const count = r.u32();
  const flags = r.u32();
  const each = flags & MONITORS_FLAG_PHYSICAL_SIZE ? 24 : 20;
  check(count * each <= r.remaining, () => `MONITORS_CONFIG announces ${count} monitors in ${r.remaining} bytes`);
  const monitors: AgentMonConfig[] = [];
  for (let i = 0; i < count; i++) {
    const height = r.u32();
    const width = r.u32();
    monitors.push({ width, height, depth: r.u32(), x: r.i32(), y: r.i32() });
  }
  if (flags & MONITORS_FLAG_PHYSICAL_SIZE) {
    for (const m of monitors) {
      m.heightMm = r.u16();
      m.widthMm = r.u16();
    }
  }
  return { flags, monitors };
}

// DISPLAY_CONFIG: flags u32, depth u32. REPLY: type u32, error u32.

export function writeDisplayConfig(flags: number, depth: number): Uint8Array {
  return agentMessage(AgentMsg.DisplayConfig, new Writer(8).u32(flags).u32(depth).finish());
}
export function parseDisplayConfig(payload: Uint8Array): { flags: number; depth: number } {
  const r = new Reader(payload);
  return { flags: r.u32(), depth: r.u32() };
}

export interface AgentReply {
  /** The VD_AGENT_* message answered. */
  type: number;
  /** VD_AGENT_SUCCESS (1) or VD_AGENT_ERROR (2). */
  error: number;
}
export function parseReply(payload: Uint8Array): AgentReply {
  const r = new Reader(payload);
  return { type: r.u32(), error: r.u32() };
}

// Clipboard family.

export interface ClipboardLayout {
  /** Both sides announced CLIPBOARD_SELECTION: selection u8 + 3 reserved bytes lead every message. */
  selection: boolean;
  /** Both sides announced CLIPBOARD_GRAB_SERIAL: GRAB carries serial u32 before the types. */
  grabSerial: boolean;
}

function selectionPrefix(w: Writer, layout: ClipboardLayout, selection: number): Writer {
  if (layout.selection) w.u8(selection).u8(0).u8(0).u8(0);
  return w;
}
function readSelection(r: Reader, layout: ClipboardLayout): number {
  if (!layout.selection) return 0;
  const selection = r.u8();
  r.skip(3);
  return selection;
}

export interface ClipboardGrab {
  selection: number;
  serial?: number;
  /** VD_AGENT_CLIPBOARD_* types offered. */
  types: number[];
}
export function writeClipboardGrab(layout: ClipboardLayout, grab: ClipboardGrab): Uint8Array {
  const w = selectionPrefix(new Writer(), layout, grab.selection);
  if (layout.grabSerial) w.u32(grab.serial ?? 0);
  for (const t of grab.types) w.u32(t);
  return agentMessage(AgentMsg.ClipboardGrab, w.finish());
}
export function parseClipboardGrab(layout: ClipboardLayout, payload: Uint8Array): ClipboardGrab {
  const r = new Reader(payload);
  const selection = readSelection(r, layout);
  const grab: ClipboardGrab = { selection, types: [] };
  if (layout.grabSerial) grab.serial = r.u32();
  while (r.remaining >= 4) grab.types.push(r.u32());
  return grab;
}

export interface ClipboardRequest {
  selection: number;
  type: number;
}
export function writeClipboardRequest(layout: ClipboardLayout, req: ClipboardRequest): Uint8Array {
  return agentMessage(AgentMsg.ClipboardRequest, selectionPrefix(new Writer(8), layout, req.selection).u32(req.type).finish());
}
export function parseClipboardRequest(layout: ClipboardLayout, payload: Uint8Array): ClipboardRequest {
  const r = new Reader(payload);
  const selection = readSelection(r, layout);
  return { selection, type: r.u32() };
}

export interface ClipboardData {
  selection: number;
  type: number;
  data: Uint8Array;
}
export function writeClipboard(layout: ClipboardLayout, clip: ClipboardData): Uint8Array {
  return agentMessage(
    AgentMsg.Clipboard,
    selectionPrefix(new Writer(8 + clip.data.byteLength), layout, clip.selection)
      .u32(clip.type)
      .bytes(clip.data)
      .finish(),
  );
}
export function parseClipboard(layout: ClipboardLayout, payload: Uint8Array): ClipboardData {
  const r = new Reader(payload);
  const selection = readSelection(r, layout);
  return { selection, type: r.u32(), data: r.rest() };
}

export function writeClipboardRelease(layout: ClipboardLayout, selection: number): Uint8Array {
  return agentMessage(AgentMsg.ClipboardRelease, selectionPrefix(new Writer(4), layout, selection).finish());
}
export function parseClipboardRelease(layout: ClipboardLayout, payload: Uint8Array): { selection: number } {
  return { selection: readSelection(new Reader(payload), layout) };
}

// MAX_CLIPBOARD: max i32 (bytes; negative or 0 = no limit in spice-gtk's use).

export function writeMaxClipboard(max: number): Uint8Array {
  return agentMessage(AgentMsg.MaxClipboard, new Writer(4).i32(max).finish());
}
export function parseMaxClipboard(payload: Uint8Array): number {
  return new Reader(payload).i32();
}

// File transfer.

/**
 * The key=value text of FILE_XFER_START as GKeyFile writes it (group `vdagent-file-xfer`, keys `name` and
 * `size`), NUL-terminated because the agent parses it as a C string. Values are escaped as GKeyFile does:
 * `\\`, `\n`, `\r`, `\t`, and a leading space as `\s`.
 */
export function fileXferStartText(name: string, size: number): string {
  let escaped = name.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
  if (escaped.startsWith(' ')) escaped = '\\s' + escaped.slice(1);
  return `[vdagent-file-xfer]\nname=${escaped}\nsize=${size}\n`;
}
export function writeFileXferStart(id: number, name: string, size: number): Uint8Array {
  const text = utf8Encode(fileXferStartText(name, size));
  return agentMessage(AgentMsg.FileXferStart, new Writer(5 + text.byteLength).u32(id).bytes(text).u8(0).finish());
}
export function parseFileXferStart(payload: Uint8Array): { id: number; name: string; size: number } {
  const r = new Reader(payload);
  const id = r.u32();
  const text = cString(r.rest());
  const lines = text.split('\n');
  check(lines[0] === '[vdagent-file-xfer]', 'FILE_XFER_START without its [vdagent-file-xfer] group');
  const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  const rawName = value('name');
  const size = Number(value('size'));
  check(rawName !== undefined && Number.isSafeInteger(size) && size >= 0, 'FILE_XFER_START without a name and size');
  const name = rawName.replace(/\\(.)/g, (_, c: string) => ({ s: ' ', n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c);
  return { id, name, size };
}

export function writeFileXferData(id: number, data: Uint8Array): Uint8Array {
  return agentMessage(AgentMsg.FileXferData, new Writer(12 + data.byteLength).u32(id).u64(data.byteLength).bytes(data).finish());
}
export function parseFileXferData(payload: Uint8Array): { id: number; data: Uint8Array } {
  const r = new Reader(payload);
  const id = r.u32();
  const size = r.u64n();
  check(size === r.remaining, () => `FILE_XFER_DATA declares ${size} bytes and carries ${r.remaining}`);
  return { id, data: r.rest() };
}

export interface FileXferStatus {
  id: number;
  /** VD_AGENT_FILE_XFER_STATUS_*. */
  result: number;
  /** ERROR with detailed errors: VDAgentFileXferStatusError. */
  error?: { errorType: number; errorCode: number };
  /** NOT_ENOUGH_SPACE with detailed errors: free space on the guest's disk, bytes. */
  diskFreeSpace?: number;
}
export function writeFileXferStatus(status: FileXferStatus): Uint8Array {
  const w = new Writer(16).u32(status.id).u32(status.result);
  if (status.error) w.u8(status.error.errorType).u32(status.error.errorCode);
  if (status.diskFreeSpace !== undefined) w.u64(status.diskFreeSpace);
  return agentMessage(AgentMsg.FileXferStatus, w.finish());
}
/** The detail is read only when it is there (it is sent only to clients announcing FILE_XFER_DETAILED_ERRORS). */
export function parseFileXferStatus(payload: Uint8Array): FileXferStatus {
  const r = new Reader(payload);
  const status: FileXferStatus = { id: r.u32(), result: r.u32() };
  if (status.result === AgentFileXferStatus.Error && r.remaining >= 5) status.error = { errorType: r.u8(), errorCode: r.u32() };
  if (status.result === AgentFileXferStatus.NotEnoughSpace && r.remaining >= 8) status.diskFreeSpace = r.u64n();
  return status;
}

// Reported only.

export interface AudioVolumeSync {
  isPlayback: boolean;
  mute: boolean;
  volume: number[];
}
export function parseAudioVolumeSync(payload: Uint8Array): AudioVolumeSync {
  const r = new Reader(payload);
  const isPlayback = r.u8() !== 0;
  const mute = r.u8() !== 0;
  const n = r.u8();
  return { isPlayback, mute, volume: Array.from({ length: n }, () => r.u16()) };
}

export interface DeviceDisplayInfo {
  channelId: number;
  monitorId: number;
  deviceDisplayId: number;
  deviceAddress: string;
}
export function parseGraphicsDeviceInfo(payload: Uint8Array): DeviceDisplayInfo[] {
  const r = new Reader(payload);
  const count = r.u32();
  check(count * 16 <= r.remaining, () => `GRAPHICS_DEVICE_INFO announces ${count} displays in ${r.remaining} bytes`);
  const out: DeviceDisplayInfo[] = [];
  for (let i = 0; i < count; i++) {
    const channelId = r.u32();
    const monitorId = r.u32();
    const deviceDisplayId = r.u32();
    const len = r.u32();
    out.push({ channelId, monitorId, deviceDisplayId, deviceAddress: cString(r.bytesView(len)) });
  }
  return out;
}
