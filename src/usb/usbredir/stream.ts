/**
 * The usbredir stream framer: `UsbredirStream` cuts a byte stream (spicevmc data messages split it anywhere)
 * back into packets, switches to the negotiated header size right after the peer's hello, refuses hostile
 * lengths before buffering a body, and encodes packets for the other direction under the same negotiation.
 */
import { check, ProtocolError } from '../../protocol/errors.js';
import { Reader } from '../../protocol/reader.js';
import { Negotiation } from './caps.js';
import { decodePacket, encodePacket, typeHeaderLength, hasData, knownType, type UsbredirRole } from './codec.js';
import type { HelloPacket, UsbredirPacket } from './packets.js';
import { packetTypeName, USBREDIR_MAX_BULK_TRANSFER_SIZE, UsbredirType } from './proto.js';

/** usbredirparser's own ceiling on a packet's length field: 128 MiB of bulk data plus 1 KiB of headers. */
export const USBREDIR_MAX_PACKET_LENGTH = USBREDIR_MAX_BULK_TRANSFER_SIZE + 1024;

/** Default ceiling of `UsbredirStream`: 32 MiB of data plus headers, far above what a guest URB carries. */
export const DEFAULT_MAX_PACKET_LENGTH = 32 * 1024 * 1024 + 1024;

export interface UsbredirStreamOptions {
  /** The role of the side reading the stream (the one we play). */
  role: UsbredirRole;
  /** Our capability words, as sent in our hello. */
  caps: readonly number[];
  /**
   * Largest accepted value of a packet header's length field; larger ones are a ProtocolError as soon as the
   * header is read, before any of the body is buffered. Capped at USBREDIR_MAX_PACKET_LENGTH.
   */
  maxPacketLength?: number;
}

/**
 * Reassembles packets from a usbredir byte stream fed in arbitrary chunks, and encodes packets for the other
 * direction with the same negotiation. The peer's hello is parsed with a 32-bit id like everything before it;
 * the header size switches right after it, for the rest of the same chunk too.
 */
export class UsbredirStream {
  readonly role: UsbredirRole;
  readonly negotiation: Negotiation;
  readonly maxPacketLength: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Header of the packet being waited for, once read and checked. */
  private header: { type: number; length: number; id: bigint } | undefined;
  private failed: ProtocolError | undefined;
  private hello: HelloPacket | undefined;

  constructor(options: UsbredirStreamOptions) {
    this.role = options.role;
    this.negotiation = new Negotiation(options.caps);
    this.maxPacketLength = Math.min(options.maxPacketLength ?? DEFAULT_MAX_PACKET_LENGTH, USBREDIR_MAX_PACKET_LENGTH);
  }

  /** The peer's hello, once received. */
  get peerHello(): HelloPacket | undefined {
    return this.hello;
  }

  /** Bytes received but not yet part of a complete packet. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds received bytes; returns the packets they completed, in order. The `data` of returned packets may be
   * views into `chunk` (copy them before reusing its buffer); bytes kept for a later packet are copied. After
   * a ProtocolError the stream is dead: every later call throws the same error (a byte stream cannot
   * resynchronise).
   */
  push(chunk: Uint8Array): UsbredirPacket[] {
    if (this.failed) throw this.failed;
    if (chunk.byteLength) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const out: UsbredirPacket[] = [];
    try {
      for (;;) {
        if (!this.header) {
          const hl = this.negotiation.headerLength;
          if (this.buffered < hl) break;
          this.header = this.readHeader(this.take(hl));
        }
        const h = this.header;
        if (this.buffered < h.length) break;
        this.header = undefined;
        const packet = decodePacket(h.type, h.id, this.take(h.length), this.negotiation, this.role);
        if (packet.type === UsbredirType.Hello && !this.hello) {
          this.hello = packet;
          this.negotiation.setPeerCaps(packet.caps);
        }
        out.push(packet);
      }
    } catch (e) {
      this.failed = e instanceof ProtocolError ? e : new ProtocolError(String(e));
      this.chunks = [];
      this.buffered = 0;
      throw this.failed;
    }
    // Bytes kept for an incomplete packet must not alias the caller's buffer, which it may reuse. Earlier
    // chunks were copied when they were kept, so only (the tail of) this one can still alias.
    const last = this.chunks.length - 1;
    if (last >= 0 && this.chunks[last]!.buffer === chunk.buffer) this.chunks[last] = this.chunks[last]!.slice();
    return out;
  }

  /** Encodes a packet we send, under the current negotiation. */
  encode(packet: UsbredirPacket): Uint8Array {
    return encodePacket(packet, this.negotiation, this.role);
  }

  private readHeader(bytes: Uint8Array): { type: number; length: number; id: bigint } {
    const r = new Reader(bytes);
    const type = r.u32();
    const length = r.u32();
    const id = bytes.byteLength === 16 ? r.u64() : BigInt(r.u32());
    const name = () => packetTypeName(type);
    const sender: UsbredirRole = this.role === 'host' ? 'guest' : 'host';
    // Checked here, before buffering the body, so a hostile length cannot make us hold megabytes first.
    check(length <= this.maxPacketLength, () => `${name()}: packet length ${length} exceeds the limit of ${this.maxPacketLength}`);
    const thl = typeHeaderLength(type, this.negotiation, sender);
    if (thl < 0) {
      throw new ProtocolError(!knownType(type) ? `invalid usbredir packet ${name()}` : `a usb-${this.role} cannot receive ${name()}`);
    }
    check(length >= thl && (length === thl || hasData(type)), () => `${name()}: invalid packet length ${length}`);
    return { type, length, id };
  }

  /** Removes and returns the next `n` buffered bytes (a view when they sit in one chunk). */
  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first && first.byteLength >= n) {
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.byteLength, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
