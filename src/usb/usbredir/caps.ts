/**
 * usbredir capabilities and their negotiation: capability words (`capsWords`, `hasCap`, `capList`) and
 * `Negotiation`, which holds both sides' caps once the peer's hello is in and answers the questions every
 * size-changing field asks ("did both sides advertise X?", "are ids 64-bit yet?").
 */
import { USB_REDIR_CAPS_SIZE, UsbredirCap } from './proto.js';

/** Capability words (USB_REDIR_CAPS_SIZE of them) with the given bits set. */
export function capsWords(caps: Iterable<number>): number[] {
  const words = new Array<number>(USB_REDIR_CAPS_SIZE).fill(0);
  for (const cap of caps) {
    const w = cap >> 5;
    if (w >= words.length) throw new RangeError(`capability ${cap} out of range`);
    words[w] = (words[w]! | (1 << (cap & 31))) >>> 0;
  }
  return words;
}

/** Whether capability `cap` is set in `words`. */
export function hasCap(words: readonly number[], cap: number): boolean {
  const w = words[cap >> 5] ?? 0;
  return ((w >>> (cap & 31)) & 1) === 1;
}

/** The capability bit indexes set in `words`, ascending. */
export function capList(words: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < words.length * 32; i++) if (hasCap(words, i)) out.push(i);
  return out;
}

/** usbredirparser_verify_caps: bulk_streams is meaningless (and dropped) without ep_info_max_packet_size. */
function sanitizeCaps(words: readonly number[]): number[] {
  const out = Array.from({ length: USB_REDIR_CAPS_SIZE }, (_, i) => (words[i] ?? 0) >>> 0);
  if (hasCap(out, UsbredirCap.BulkStreams) && !hasCap(out, UsbredirCap.EpInfoMaxPacketSize)) {
    out[0] = (out[0]! & ~(1 << UsbredirCap.BulkStreams)) >>> 0;
  }
  return out;
}

/**
 * What both sides agreed on. Until the peer's hello is seen (`havePeerCaps` false) every negotiated feature
 * is off, which is exactly the rule for the first packets: 32-bit ids, short type headers.
 */
export class Negotiation {
  readonly ourCaps: readonly number[];
  private peer: number[] | undefined;

  constructor(ourCaps: readonly number[], peerCaps?: readonly number[]) {
    this.ourCaps = sanitizeCaps(ourCaps);
    if (peerCaps) this.setPeerCaps(peerCaps);
  }

  get havePeerCaps(): boolean {
    return this.peer !== undefined;
  }

  get peerCaps(): readonly number[] | undefined {
    return this.peer;
  }

  /** Records the peer's caps (from its hello). A second hello does not renegotiate (usbredirparser ignores it). */
  setPeerCaps(caps: readonly number[]): boolean {
    if (this.peer) return false;
    this.peer = sanitizeCaps(caps);
    return true;
  }

  /** We advertised `cap`. */
  have(cap: number): boolean {
    return hasCap(this.ourCaps, cap);
  }

  /** The peer advertised `cap` (false before its hello). */
  peerHas(cap: number): boolean {
    return this.peer !== undefined && hasCap(this.peer, cap);
  }

  /** Both sides advertised `cap`: the rule for every field whose size depends on caps. */
  both(cap: number): boolean {
    return this.have(cap) && this.peerHas(cap);
  }

  get ids64(): boolean {
    return this.both(UsbredirCap.Ids64bits);
  }
  get headerLength(): number {
    return this.ids64 ? 16 : 12;
  }
}
