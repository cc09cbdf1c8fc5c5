/**
 * Bulk transfers of the usbredir host: bulk OUT packets become transferOut calls; bulk IN requests queue per
 * endpoint (`BulkInQueue`) and each waiting request gets a transferIn of its own, answered in the order the
 * guest asked. WebUSB cannot cancel a transfer, so a cancelled request leaves its transfer in flight and
 * whatever that transfer reads is handed to the endpoint's next request instead of being lost (a serial port
 * that is closed and reopened would otherwise lose the first bytes received after the reopen); such leftover
 * data is capped per endpoint.
 */
import { type BulkPacketPacket, UsbredirEpType, UsbredirStatus } from '../usbredir/index.js';
import { resultBytes } from '../webusb-types.js';
import type { HostContext } from './context.js';
import { EMPTY, hex, mapStatus } from './device-calls.js';
import type { Pending } from './pending.js';

const MAX_STASHED_RESULTS = 64;

interface TransferResult {
  status: number;
  data: Uint8Array;
}

/** Bulk IN requests of one endpoint and the WebUSB transfers serving them. */
interface BulkInQueue {
  live: Pending[];
  inflight: number;
  stash: TransferResult[];
  epoch: number;
}

export class BulkTransfers {
  private readonly queues = new Map<number, BulkInQueue>();

  constructor(private readonly ctx: HostContext) {}

  /** A bulk_packet from the guest: an OUT transfer, or an IN request. */
  onBulk(p: BulkPacketPacket): void {
    const ctx = this.ctx;
    const isIn = (p.endpoint & 0x80) !== 0;
    const reply = (status: number, data: Uint8Array, length: number) => ctx.send({ ...p, status, length: isIn ? data.byteLength : length, data: isIn ? data : EMPTY });
    if (!ctx.attached) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    if (ctx.epType(p.endpoint) !== UsbredirEpType.Bulk || p.streamId !== 0) {
      return reply(UsbredirStatus.Inval, EMPTY, 0);
    }
    ctx.touched();
    if (isIn) {
      if (p.length > ctx.maxPacketLength) return reply(UsbredirStatus.Inval, EMPTY, 0);
      const pending = ctx.pending.track(p.id, p.endpoint, p.length, 0, reply);
      if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
      let q = this.queues.get(p.endpoint);
      if (!q) {
        q = { live: [], inflight: 0, stash: [], epoch: 0 };
        this.queues.set(p.endpoint, q);
      }
      q.live.push(pending);
      this.serve(p.endpoint, q);
      return;
    }
    sendOutTransfer(ctx, p, reply);
  }

  /**
   * The guest cancelled `p`: it leaves its endpoint's queue (the caller answers it). Its transfer stays in
   * flight; whatever it reads goes to the endpoint's next request.
   */
  cancel(p: Pending): void {
    const q = this.queues.get(p.endpoint);
    const i = q ? q.live.indexOf(p) : -1;
    if (i >= 0) q!.live.splice(i, 1);
  }

  /** Forgets leftover data of `endpoint` (its halt was cleared: what was read before belongs to the past). */
  clearStash(endpoint: number): void {
    const q = this.queues.get(endpoint);
    if (q) q.stash = [];
  }

  /** Answers the IN requests of `endpoint` (every endpoint when absent) with `status`; results in flight are dropped. */
  abandon(status: number, endpoint?: number): void {
    for (const [ep, q] of this.queues) {
      if (endpoint !== undefined && ep !== endpoint) continue;
      q.epoch++;
      q.inflight = 0;
      q.stash = [];
      const live = q.live;
      q.live = [];
      for (const p of live) this.ctx.pending.answer(p, status);
    }
  }

  /** Hands leftover data to waiting requests, then makes sure each waiting request has a transfer. */
  private serve(endpoint: number, q: BulkInQueue): void {
    const ctx = this.ctx;
    while (q.live.length && q.stash.length) this.deliver(q, q.live.shift()!, q.stash.shift()!);
    while (q.inflight < q.live.length) {
      // The link to the guest is backed up: read nothing more from the device until it drains.
      if (!ctx.mayStartIn(`bulk ${endpoint}`, () => this.serve(endpoint, q))) return;
      const length = q.live[q.inflight]!.length;
      const epoch = q.epoch;
      q.inflight++;
      ctx
        .io(() => ctx.device.transferIn(endpoint & 0x0f, length))
        .then(
          (r) => this.done(endpoint, q, epoch, { status: mapStatus(r.status), data: resultBytes(r.data) }),
          (e) => this.done(endpoint, q, epoch, { status: ctx.failure(e), data: EMPTY }),
        );
    }
  }

  private done(endpoint: number, q: BulkInQueue, epoch: number, result: TransferResult): void {
    if (epoch !== q.epoch || this.ctx.terminal) return;
    q.inflight--;
    const next = q.live.shift();
    if (next) {
      this.deliver(q, next, result);
    } else if (result.status === UsbredirStatus.Success && result.data.byteLength > 0) {
      // Read for a request the guest cancelled: keep it for the next one.
      q.stash.push(result);
      if (q.stash.length > MAX_STASHED_RESULTS) {
        q.stash.shift();
        this.ctx.warn(`dropping unclaimed bulk IN data on ep ${hex(endpoint)}`);
      }
    }
    this.serve(endpoint, q);
  }

  private deliver(q: BulkInQueue, p: Pending, result: TransferResult): void {
    let data = result.data;
    if (data.byteLength > p.length) {
      q.stash.unshift({ status: UsbredirStatus.Success, data: data.subarray(p.length) });
      data = data.subarray(0, p.length);
    }
    this.ctx.pending.answer(p, result.status, data);
  }
}

/**
 * An OUT transfer for the guest's request `p` (bulk, and interrupt OUT, which the device takes the same way):
 * tracked as pending so it is answered exactly once (also when cancelled or the device goes), its data copied,
 * and answered with the bytes the device took.
 */
export function sendOutTransfer(
  ctx: HostContext,
  p: { id: bigint; endpoint: number; length: number; data: Uint8Array },
  reply: (status: number, data: Uint8Array, length: number) => void,
): void {
  const pending = ctx.pending.track(p.id, p.endpoint, p.length, p.data.byteLength, reply);
  if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
  const data = p.data.slice();
  ctx
    .io(() => ctx.device.transferOut(p.endpoint & 0x0f, data))
    .then(
      (r) => ctx.pending.answer(pending, mapStatus(r.status), EMPTY, r.bytesWritten),
      (e) => ctx.pending.answer(pending, ctx.failure(e)),
    );
}
