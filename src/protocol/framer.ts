/**
 * The SPICE data framer: cuts the byte stream of a linked channel into messages. It knows the 6-byte mini
 * header (type u16, size u32; used when both sides announced MINI_HEADER) and the 18-byte full header
 * (serial u64, type u16, size u32, sub_list u32), whose sub-message lists are delivered before the message
 * that carries them. It never parses bodies and never holds more than one incomplete message; a message
 * larger than `maxMessageSize` is a protocol error before any buffer is allocated for it.
 */
import { ByteQueue } from './byte-queue.js';
import { limitError, MAX_MESSAGE_SIZE } from './limits.js';
import { Reader } from './reader.js';

export interface SpiceMessage {
  type: number;
  body: Uint8Array;
}

export const MINI_HEADER_SIZE = 6;
export const FULL_HEADER_SIZE = 18;
/** The default limit: MAX_MESSAGE_SIZE (src/protocol/limits.ts says why). */
export const DEFAULT_MAX_MESSAGE_SIZE = MAX_MESSAGE_SIZE;

export class Framer {
  private readonly queue = new ByteQueue();
  private pending: { type: number; size: number; subList: number } | null = null;

  constructor(
    readonly miniHeader: boolean,
    readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE,
  ) {}

  /** Feeds received bytes; returns every message completed by them, in order. */
  push(chunk: Uint8Array): SpiceMessage[] {
    this.queue.push(chunk);
    const out: SpiceMessage[] = [];
    for (;;) {
      if (!this.pending) {
        const headerSize = this.miniHeader ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
        if (this.queue.available < headerSize) break;
        const r = new Reader(this.queue.take(headerSize));
        if (!this.miniHeader) r.skip(8); // serial: we count messages ourselves
        const type = r.u16();
        const size = r.u32();
        const subList = this.miniHeader ? 0 : r.u32();
        if (size > this.maxMessageSize) {
          throw limitError(`message type ${type} of ${size} bytes`, `${this.maxMessageSize} bytes`, 'MAX_MESSAGE_SIZE');
        }
        this.pending = { type, size, subList };
      }
      if (this.queue.available < this.pending.size) break;
      const { type, size, subList } = this.pending;
      this.pending = null;
      const body = this.queue.take(size);
      if (subList) out.push(...splitSubMessages(body, subList));
      out.push({ type, body });
    }
    return out;
  }
}

/** SpiceSubMessageList at `offset` of `body`: size u16, then u32 offsets of {type u16, size u32, data}. */
export function splitSubMessages(body: Uint8Array, offset: number): SpiceMessage[] {
  const list = new Reader(body).at(offset);
  const count = list.u16();
  const out: SpiceMessage[] = [];
  for (let i = 0; i < count; i++) {
    const sub = list.at(list.u32());
    const type = sub.u16();
    const size = sub.u32();
    out.push({ type, body: sub.bytesView(size) });
  }
  return out;
}

/** Writes one client message with the mini header (or the full one, numbering with `serial`). */
export function frameMessage(type: number, body: Uint8Array, miniHeader: boolean, serial = 0n): Uint8Array {
  const headerSize = miniHeader ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
  const out = new Uint8Array(headerSize + body.byteLength);
  const v = new DataView(out.buffer);
  let o = 0;
  if (!miniHeader) {
    v.setBigUint64(0, serial, true);
    o = 8;
  }
  v.setUint16(o, type, true);
  v.setUint32(o + 2, body.byteLength, true);
  if (!miniHeader) v.setUint32(o + 6, 0, true);
  out.set(body, headerSize);
  return out;
}
