/**
 * The agent byte stream carried in MAIN AGENT_DATA messages. Outgoing: each whole agent message is cut
 * into AGENT_DATA bodies of at most VD_AGENT_MAX_DATA_SIZE (2048) bytes, the first starting with the
 * VDAgentMessage header (a larger body makes spice-server drop the client). Incoming: the server may split
 * or join agent messages across AGENT_DATA messages, so bytes are reassembled by the header's size. A
 * declared size above `maxMessageSize` is a protocol error that names the limit, so a hostile or broken
 * peer cannot make the client buffer without bound; below it, the buffer grows with the bytes that arrive
 * (doubling from 64 KiB), so a header alone never costs the whole declared size.
 */
import { VD_AGENT_MAX_DATA_SIZE } from '../protocol/constants.js';
import { limitError, MAX_AGENT_MESSAGE_SIZE } from '../protocol/limits.js';
import { AGENT_HEADER_SIZE, parseAgentHeader, type AgentHeader } from './messages.js';

/** Cuts one whole agent message into AGENT_DATA bodies of at most `max` bytes (views, no copy). */
export function chunkAgentMessage(message: Uint8Array, max = VD_AGENT_MAX_DATA_SIZE): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < message.byteLength; at += max) out.push(message.subarray(at, Math.min(at + max, message.byteLength)));
  return out;
}

export interface ReassembledMessage {
  header: AgentHeader;
  payload: Uint8Array;
}

/** First buffer for a message's payload; it doubles as bytes arrive, up to the declared size. */
const INITIAL_PAYLOAD_BYTES = 64 * 1024;

export class AgentReassembler {
  private readonly headerBytes = new Uint8Array(AGENT_HEADER_SIZE);
  private headerFill = 0;
  private header: AgentHeader | null = null;
  private payload: Uint8Array | null = null;
  private payloadFill = 0;

  constructor(readonly maxMessageSize = MAX_AGENT_MESSAGE_SIZE) {}

  /** Bytes of one AGENT_DATA body; returns the agent messages completed by them, in order. */
  push(bytes: Uint8Array): ReassembledMessage[] {
    const done: ReassembledMessage[] = [];
    let at = 0;
    while (at < bytes.byteLength) {
      if (!this.header) {
        const n = Math.min(AGENT_HEADER_SIZE - this.headerFill, bytes.byteLength - at);
        this.headerBytes.set(bytes.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill < AGENT_HEADER_SIZE) break;
        const header = parseAgentHeader(this.headerBytes);
        if (header.size > this.maxMessageSize) throw limitError(`agent message of ${header.size} bytes`, `${this.maxMessageSize} bytes`, 'MAX_AGENT_MESSAGE_SIZE');
        this.header = header;
        this.payload = new Uint8Array(Math.min(header.size, INITIAL_PAYLOAD_BYTES));
        this.payloadFill = 0;
      }
      const size = this.header.size;
      const n = Math.min(size - this.payloadFill, bytes.byteLength - at);
      if (this.payloadFill + n > this.payload!.byteLength) {
        const grown = new Uint8Array(Math.min(size, Math.max(this.payloadFill + n, this.payload!.byteLength * 2)));
        grown.set(this.payload!.subarray(0, this.payloadFill));
        this.payload = grown;
      }
      this.payload!.set(bytes.subarray(at, at + n), this.payloadFill);
      this.payloadFill += n;
      at += n;
      if (this.payloadFill === size) {
        done.push({ header: this.header, payload: this.payload! });
        this.reset();
      }
    }
    return done;
  }

  /** Bytes held for the partial message's payload (grows with what arrived, not with what the header says). */
  get capacity(): number {
    return this.payload?.byteLength ?? 0;
  }

  /** True while part of a message is buffered. */
  get partial(): boolean {
    return this.headerFill > 0;
  }

  /** Drops a partial message (agent disconnected). */
  reset(): void {
    this.headerFill = 0;
    this.header = null;
    this.payload = null;
    this.payloadFill = 0;
  }
}
