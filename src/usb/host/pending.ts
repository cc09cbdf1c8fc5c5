/**
 * The guest requests waiting on the device: each is answered exactly once (by its transfer, a cancel, or an
 * abandon when the endpoint, configuration or device goes away), and memory stays bounded: at most
 * `maxRequests` requests and `maxOutBytes` of OUT data wait at once; beyond that `track` refuses and the
 * caller answers ioerror at once.
 */
import { EMPTY } from './device-calls.js';

/** A guest request waiting on the device. */
export interface Pending {
  id: bigint;
  endpoint: number;
  /** Requested length (bulk IN), for handing leftover data over. */
  length: number;
  outBytes: number;
  answered: boolean;
  reply(status: number, data: Uint8Array, length: number): void;
}

export class PendingRequests {
  private readonly all = new Set<Pending>();
  private readonly byIdMap = new Map<bigint, Pending>();
  private outBytes = 0;

  constructor(
    private readonly maxRequests: number,
    private readonly maxOutBytes: number,
    private readonly warn: (message: string) => void,
  ) {}

  get size(): number {
    return this.all.size;
  }

  /** Starts tracking a request; undefined (and a warning) when the limits are reached. */
  track(id: bigint, endpoint: number, length: number, outBytes: number, reply: Pending['reply']): Pending | undefined {
    if (this.all.size >= this.maxRequests || this.outBytes + outBytes > this.maxOutBytes) {
      this.warn(`device not keeping up: ${this.all.size} requests and ${this.outBytes} bytes pending, refusing id ${id}`);
      return undefined;
    }
    const p: Pending = { id, endpoint, length, outBytes, answered: false, reply };
    this.all.add(p);
    this.byIdMap.set(id, p);
    this.outBytes += outBytes;
    return p;
  }

  byId(id: bigint): Pending | undefined {
    return this.byIdMap.get(id);
  }

  /** Answers `p` unless it was answered already. */
  answer(p: Pending, status: number, data: Uint8Array = EMPTY, length = data.byteLength): void {
    if (p.answered) return;
    p.answered = true;
    this.all.delete(p);
    if (this.byIdMap.get(p.id) === p) this.byIdMap.delete(p.id);
    this.outBytes -= p.outBytes;
    p.reply(status, data, length);
  }

  /** Answers every request (on `endpoint` only, when given) with `status`. */
  answerAll(status: number, endpoint?: number): void {
    for (const p of [...this.all]) if (endpoint === undefined || p.endpoint === endpoint) this.answer(p, status);
  }
}
