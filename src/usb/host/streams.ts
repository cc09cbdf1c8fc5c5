/**
 * The periodic side of the usbredir host: interrupt receiving, isochronous streams (IN and OUT) and bulk
 * receiving, each a `StreamLoop` on one endpoint that keeps a fixed number of WebUSB transfers in flight
 * and sends what they read as interrupt_packet / iso_packet / buffered_bulk_packet with ids of its own; and
 * interrupt OUT packets, which are plain transfers. A stream that fails stops and reports a stall status,
 * which makes QEMU restart it; a stalled stream transfer gets its halt cleared and goes on, as usbredirhost
 * does. Iso IN data is dropped while the sink is backed up, iso OUT data while the device is behind, so
 * neither queues without bound. WebUSB cannot cancel transfers: a stopped stream drops its transfers'
 * results (an epoch tells them apart), and a restarted one reuses those still in flight.
 */
import { type InterruptPacketPacket, type IsoPacketPacket, UsbredirEpType, UsbredirStatus, UsbredirType } from '../usbredir/index.js';
import { resultBytes } from '../webusb-types.js';
import { sendOutTransfer } from './bulk.js';
import type { HostContext } from './context.js';
import { EMPTY, errorMessage, hex, mapStatus } from './device-calls.js';

export type StreamKind = 'interrupt' | 'iso' | 'bulk';

/** An interrupt-receiving, iso or bulk-receiving stream on one endpoint. */
interface StreamLoop {
  kind: StreamKind;
  endpoint: number;
  started: boolean;
  inflight: number;
  target: number;
  nextId: bigint;
  epoch: number;
  /** Iso: packets per transfer; bulk: 1. */
  packets: number;
  /** Bytes per iso packet / interrupt or bulk transfer. */
  size: number;
  streamId: number;
  /** Iso OUT: packets collected for the next transfer. */
  outPackets: Uint8Array[];
  dropping: boolean;
}

export interface StreamOptions {
  /** Sink backlog in bytes above which iso IN packets are dropped. */
  maxIsoBacklog: number;
}

export class Streams {
  private readonly loops = new Map<number, StreamLoop>();

  constructor(
    private readonly ctx: HostContext,
    private readonly options: StreamOptions,
  ) {}

  /** Stops every stream and drops its transfers' results (teardown, configuration change). */
  stopAll(): void {
    for (const loop of this.loops.values()) this.halt(loop);
  }

  /** Before a reset: tells the guest every running stream stopped (a stall makes QEMU restart it), then stops them. */
  stopAllForReset(): void {
    for (const loop of this.loops.values()) {
      if (loop.started) this.sendStatus(loop.kind, 0n, loop.endpoint, UsbredirStatus.Stall, loop.streamId);
      this.halt(loop);
    }
  }

  /** Stops the stream of one endpoint (its interface's alt setting changes). */
  stop(endpoint: number): void {
    const loop = this.loops.get(endpoint);
    if (loop) this.halt(loop);
  }

  private halt(loop: StreamLoop): void {
    loop.started = false;
    loop.epoch++;
    loop.inflight = 0;
  }

  sendStatus(kind: StreamKind, id: bigint, endpoint: number, status: number, streamId: number): void {
    const ctx = this.ctx;
    if (kind === 'iso') ctx.send({ type: UsbredirType.IsoStreamStatus, id, status, endpoint });
    else if (kind === 'interrupt') ctx.send({ type: UsbredirType.InterruptReceivingStatus, id, status, endpoint });
    else ctx.send({ type: UsbredirType.BulkReceivingStatus, id, streamId, endpoint, status });
  }

  onStart(kind: StreamKind, id: bigint, endpoint: number, packets: number, transfers: number, bytesPerTransfer: number, streamId: number): void {
    const ctx = this.ctx;
    const wanted = { iso: UsbredirEpType.Iso, interrupt: UsbredirEpType.Interrupt, bulk: UsbredirEpType.Bulk }[kind];
    const mps = ctx.epMaxPacket(endpoint);
    const size = kind === 'bulk' ? bytesPerTransfer : mps;
    const valid =
      ctx.attached && ctx.epType(endpoint) === wanted && packets >= 1 && packets <= 32 && transfers >= 1 && transfers <= 16 && mps > 0 && size > 0 && size % mps === 0;
    if (!valid) {
      ctx.warn(`cannot start ${kind} stream on ep ${hex(endpoint)}`);
      return this.sendStatus(kind, id, endpoint, UsbredirStatus.Stall, streamId);
    }
    let loop = this.loops.get(endpoint);
    if (loop?.started) return this.sendStatus(kind, id, endpoint, UsbredirStatus.Inval, streamId);
    ctx.touched();
    if (!loop || loop.kind !== kind) {
      loop = {
        kind,
        endpoint,
        started: false,
        inflight: 0,
        target: transfers,
        nextId: 0n,
        epoch: loop ? loop.epoch + 1 : 0,
        packets,
        size,
        streamId,
        outPackets: [],
        dropping: false,
      };
      this.loops.set(endpoint, loop);
    }
    // A restarted stream reuses transfers still in flight from before its stop (WebUSB cannot cancel them).
    Object.assign(loop, { started: true, target: transfers, nextId: 0n, packets, size, streamId, outPackets: [] });
    this.sendStatus(kind, id, endpoint, UsbredirStatus.Success, streamId);
    if (endpoint & 0x80) this.pump(loop);
  }

  onStop(id: bigint, endpoint: number, streamId: number): void {
    const ctx = this.ctx;
    if (!ctx.attached) return;
    const loop = this.loops.get(endpoint);
    const type = ctx.epType(endpoint);
    const kind: StreamKind = loop?.kind ?? (type === UsbredirEpType.Iso ? 'iso' : type === UsbredirEpType.Bulk ? 'bulk' : 'interrupt');
    if (loop) {
      loop.started = false;
      loop.outPackets = [];
    }
    this.sendStatus(kind, id, endpoint, UsbredirStatus.Success, streamId);
  }

  onInterruptOut(p: InterruptPacketPacket): void {
    const ctx = this.ctx;
    const reply = (status: number, _data: Uint8Array, length: number) =>
      ctx.send({ type: UsbredirType.InterruptPacket, id: p.id, endpoint: p.endpoint, status, length, data: EMPTY });
    if (!ctx.attached) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
    if (ctx.epType(p.endpoint) !== UsbredirEpType.Interrupt || p.data.byteLength > ctx.epMaxPacket(p.endpoint)) {
      return reply(UsbredirStatus.Inval, EMPTY, 0);
    }
    ctx.touched();
    sendOutTransfer(ctx, p, reply);
  }

  onIsoOut(p: IsoPacketPacket): void {
    const ctx = this.ctx;
    const loop = this.loops.get(p.endpoint);
    const status = !ctx.attached
      ? UsbredirStatus.Ioerror
      : ctx.epType(p.endpoint) !== UsbredirEpType.Iso || !loop?.started || p.data.byteLength > loop.size
        ? UsbredirStatus.Inval
        : UsbredirStatus.Success;
    if (status !== UsbredirStatus.Success || !loop) {
      ctx.send({ type: UsbredirType.IsoStreamStatus, id: p.id, status, endpoint: p.endpoint });
      return;
    }
    ctx.touched();
    loop.outPackets.push(p.data.slice());
    if (loop.outPackets.length < loop.packets) return;
    const packets = loop.outPackets;
    loop.outPackets = [];
    if (loop.inflight >= loop.target) {
      // The device is behind: drop this transfer's worth of audio rather than queue without bound.
      if (!loop.dropping) ctx.warn(`iso OUT on ep ${hex(p.endpoint)} is not keeping up, dropping packets`);
      loop.dropping = true;
      return;
    }
    loop.dropping = false;
    const lengths = packets.map((d) => d.byteLength);
    const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const d of packets) {
      data.set(d, at);
      at += d.byteLength;
    }
    const epoch = loop.epoch;
    loop.inflight++;
    ctx
      .io(() => ctx.device.isochronousTransferOut(p.endpoint & 0x0f, data, lengths))
      .then(
        (r) => {
          if (epoch !== loop.epoch) return;
          loop.inflight--;
          const bad = r.packets.find((pk) => pk.status !== 'ok');
          if (bad && loop.started) this.sendStatus('iso', p.id, p.endpoint, mapStatus(bad.status), 0);
        },
        (e) => {
          if (epoch !== loop.epoch) return;
          loop.inflight--;
          const st = ctx.failure(e);
          if (loop.started && ctx.attached) {
            loop.started = false;
            this.sendStatus('iso', p.id, p.endpoint, st === UsbredirStatus.Cancelled ? UsbredirStatus.Stall : st, 0);
          }
        },
      );
  }

  private nextId(loop: StreamLoop): bigint {
    const id = loop.nextId;
    loop.nextId = BigInt.asUintN(this.ctx.ids64 ? 64 : 32, id + 1n);
    return id;
  }

  private pump(loop: StreamLoop): void {
    const ctx = this.ctx;
    while (loop.started && ctx.attached && loop.inflight < loop.target) {
      // Iso IN keeps its pace and drops data instead (below); the others pause while the link is backed up.
      if (loop.kind !== 'iso' && !ctx.mayStartIn(`stream ${loop.endpoint}`, () => this.pump(loop))) return;
      loop.inflight++;
      const epoch = loop.epoch;
      const ep = loop.endpoint & 0x0f;
      if (loop.kind === 'iso') {
        const lengths = new Array<number>(loop.packets).fill(loop.size);
        ctx
          .io(() => ctx.device.isochronousTransferIn(ep, lengths))
          .then(
            (r) => {
              if (!this.transferDone(loop, epoch)) return;
              const drop = ctx.backlog() > this.options.maxIsoBacklog;
              for (const pk of r.packets) {
                const id = this.nextId(loop);
                if (drop) continue;
                const data = pk.status === 'ok' ? resultBytes(pk.data) : EMPTY;
                ctx.send({ type: UsbredirType.IsoPacket, id, endpoint: loop.endpoint, status: mapStatus(pk.status), length: data.byteLength, data });
              }
              this.pump(loop);
            },
            (e) => this.transferFailed(loop, epoch, e),
          );
      } else {
        ctx
          .io(() => ctx.device.transferIn(ep, loop.size))
          .then(
            (r) => {
              if (!this.transferDone(loop, epoch)) return;
              if (r.status === 'stall') return this.clearStall(loop);
              const data = r.status === 'ok' ? resultBytes(r.data) : EMPTY;
              const status = mapStatus(r.status);
              const id = this.nextId(loop);
              if (loop.kind === 'interrupt') {
                ctx.send({ type: UsbredirType.InterruptPacket, id, endpoint: loop.endpoint, status, length: data.byteLength, data });
              } else {
                ctx.send({ type: UsbredirType.BufferedBulkPacket, id, streamId: loop.streamId, length: data.byteLength, endpoint: loop.endpoint, status, data });
              }
              this.pump(loop);
            },
            (e) => this.transferFailed(loop, epoch, e),
          );
      }
    }
  }

  /** Bookkeeping for a finished stream transfer; false when its result is to be dropped. */
  private transferDone(loop: StreamLoop, epoch: number): boolean {
    if (epoch !== loop.epoch || this.ctx.terminal) return false;
    loop.inflight--;
    return loop.started;
  }

  private transferFailed(loop: StreamLoop, epoch: number, e: unknown): void {
    const ctx = this.ctx;
    if (!this.transferDone(loop, epoch)) {
      // Only device loss still matters for a dropped result.
      if (!ctx.terminal) ctx.failure(e);
      return;
    }
    ctx.failure(e);
    if (!ctx.attached) return;
    // Do not spin on an endpoint that keeps failing: stop, and let the stall status make the guest restart.
    loop.started = false;
    ctx.warn(`${loop.kind} stream on ep ${hex(loop.endpoint)} stopped: ${errorMessage(e)}`);
    this.sendStatus(loop.kind, 0n, loop.endpoint, UsbredirStatus.Stall, loop.streamId);
  }

  /** A stream transfer stalled: clear the halt and go on; report a stall if that fails. */
  private clearStall(loop: StreamLoop): void {
    const ctx = this.ctx;
    const ep = loop.endpoint;
    ctx
      .io(() => ctx.device.clearHalt(ep & 0x80 ? 'in' : 'out', ep & 0x0f))
      .then(
        () => this.pump(loop),
        (e) => {
          ctx.failure(e);
          if (!ctx.attached || !loop.started) return;
          loop.started = false;
          this.sendStatus(loop.kind, 0n, ep, UsbredirStatus.Stall, loop.streamId);
        },
      );
  }
}
