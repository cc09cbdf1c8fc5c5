/**
 * Channel: one SPICE channel connection, from the link stage to its close. It owns the transport, runs
 * the link (SpiceLinkMess, reply, ticket, result), then frames messages and handles everything the base
 * channel defines (SET_ACK/ACK window, PING/PONG, NOTIFY, DISCONNECTING, WAIT_FOR_CHANNELS, MIGRATE).
 * Channel-specific messages go to the subclass's `handleMessage`. Everything it needs of its session comes
 * in one ChannelContext; every failure leaves through `ctx.failed` exactly once; the channel never throws
 * into the transport.
 */
import type { DisconnectCode } from '../api/types.js';
import { BaseMsg, BaseMsgc, ChannelType, CommonCap, LinkErr } from '../protocol/constants.js';
import { countBytesIn, countBytesOut, countDisplayWork } from './session-stats.js';
import { ByteQueue } from '../protocol/byte-queue.js';
import { parseDisconnecting, parseNotify, parsePing, parseSetAck, writeAckSync, writePong } from '../protocol/base.js';
import { hasCap } from '../protocol/caps.js';
import { ProtocolError } from '../protocol/errors.js';
import { Framer, frameMessage, type SpiceMessage } from '../protocol/framer.js';
import {
  LINK_HEADER_SIZE,
  encryptTicket,
  linkErrorText,
  parseLinkHeader,
  parseLinkReply,
  serverAcceptsSpiceAuth,
  writeAuth,
  writeLinkMess,
  type LinkReply,
} from '../protocol/link.js';
import { webCryptoRsaOaep } from './ticket-crypto.js';
import type { ChannelContext, LogLevel } from './channel-context.js';
import type { Transport } from './transport.js';

type Phase = 'idle' | 'opening' | 'link-header' | 'link-reply' | 'link-result' | 'ready' | 'closed';

const NOTIFY_SEVERITY = ['info', 'warn', 'error'] as const;

export abstract class Channel {
  private transport: Transport | null = null;
  private ended: Promise<void> = Promise.resolve();
  private phase: Phase = 'idle';
  private readonly queue = new ByteQueue();
  private framer: Framer | null = null;
  private replySize = 0;
  private linkTimer: ReturnType<typeof setTimeout> | undefined;
  private ackGeneration = 0;
  private ackWindow = 0;
  private ackCount = 0;
  private readonly unknownTypes = new Set<number>();
  private readonly backlog: SpiceMessage[] = [];
  /** Messages received per type (diagnostics). */
  readonly received = new Map<number, number>();
  private busy = false;
  /** Whether the server agreed to the mini header on this channel. */
  protected miniHeader = false;
  protected serverCaps: number[] = [];
  private sendSerial = 0n;

  constructor(
    protected readonly ctx: ChannelContext,
    readonly type: number,
    readonly id: number,
  ) {}

  /** Capabilities this channel type announces (SPICE_*_CAP_* bit indices). */
  protected abstract channelCaps(): number[];
  /**
   * A channel-specific message (type > SPICE_MSG_BASE_LAST). Throwing (or rejecting with) a ProtocolError fails the
   * channel; returning a promise holds later messages until it settles.
   */
  protected abstract handleMessage(type: number, body: Uint8Array): void | Promise<void>;
  /** Called once after the link succeeded, before any message is handled. */
  protected onLinked(): void {}
  /** Called once when the channel closes for any reason. */
  protected onClosed(): void {}

  get linked(): boolean {
    return this.phase === 'ready';
  }
  get closed(): boolean {
    return this.phase === 'closed';
  }
  /** Whether the link ever completed (stays true after the channel closed). */
  get wasLinked(): boolean {
    return this.framer !== null;
  }

  hasServerCap(cap: number): boolean {
    return hasCap(this.serverCaps, cap);
  }

  open(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'opening';
    this.linkTimer = setTimeout(() => this.fail('timeout', `channel ${this.describe()} did not link within ${this.ctx.linkTimeoutMs} ms`), this.ctx.linkTimeoutMs);
    this.transport = this.ctx.transportFactory(this.ctx.url, {
      onOpen: () => this.onTransportOpen(),
      onData: (bytes) => {
        countBytesIn(bytes.byteLength);
        this.onTransportData(bytes);
      },
      onClose: ({ opened, reason }) => this.onTransportClose(opened, reason),
    });
  }

  /** Bytes the socket has queued but not sent yet (WebSocket.bufferedAmount; 0 when closed). */
  protected get bufferedAmount(): number {
    return this.transport?.buffered ?? 0;
  }

  /** Resolves once the socket of a closed channel is really gone (see Transport.ended). */
  get socketEnded(): Promise<void> {
    return this.ended;
  }

  /** Closes the socket; no failure is reported. */
  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.linkTimer);
    this.ended = this.transport?.ended ?? Promise.resolve();
    this.transport?.close();
    this.transport = null;
    this.queue.clear();
    this.backlog.length = 0;
    this.onClosed();
  }

  /** Sends one channel message. Ignored once closed. */
  send(type: number, body: Uint8Array = new Uint8Array(0)): void {
    if (this.phase !== 'ready' || !this.transport) return;
    const framed = frameMessage(type, body, this.miniHeader, ++this.sendSerial);
    countBytesOut(framed.byteLength);
    this.transport.send(framed);
  }

  describe(): string {
    return `${this.type}:${this.id}`;
  }

  protected fail(code: DisconnectCode, reason: string): void {
    if (this.phase === 'closed') return;
    this.close();
    this.ctx.failed(this, code, reason);
  }

  private onTransportOpen(): void {
    if (this.phase !== 'opening') return;
    this.phase = 'link-header';
    this.transport!.send(
      writeLinkMess({
        connectionId: this.ctx.sessionId,
        channelType: this.type,
        channelId: this.id,
        commonCaps: [CommonCap.ProtocolAuthSelection, CommonCap.AuthSpice, CommonCap.MiniHeader],
        channelCaps: this.channelCaps(),
      }),
    );
  }

  private onTransportClose(opened: boolean, reason: string): void {
    if (this.phase === 'closed') return;
    if (!opened) this.fail('unreachable', `cannot reach ${this.ctx.url}: ${reason}`);
    else if (this.phase === 'ready') this.fail('transport-closed', `channel ${this.describe()}: ${reason}`);
    else this.fail('link-refused', `the server closed channel ${this.describe()} during the link: ${reason}`);
  }

  private onTransportData(bytes: Uint8Array): void {
    try {
      if (this.phase === 'ready') this.dispatch(this.framer!.push(bytes));
      else {
        this.queue.push(bytes);
        this.advanceLink();
      }
    } catch (e) {
      this.failFrom(e);
    }
  }

  private advanceLink(): void {
    if (this.phase === 'link-header' && this.queue.available >= LINK_HEADER_SIZE) {
      this.replySize = parseLinkHeader(this.queue.take(LINK_HEADER_SIZE));
      this.phase = 'link-reply';
    }
    if (this.phase === 'link-reply' && this.queue.available >= Math.min(this.replySize, 4)) {
      // An error reply may be cut short by the close that follows it: look at the error word first.
      const reply = this.queue.available >= this.replySize ? parseLinkReply(this.queue.take(this.replySize)) : null;
      if (!reply) {
        const error = this.queue.peekByte(0) | (this.queue.peekByte(1) << 8) | (this.queue.peekByte(2) << 16) | (this.queue.peekByte(3) << 24);
        if (error !== LinkErr.Ok) return this.linkError(error >>> 0);
        return;
      }
      if (reply.error !== LinkErr.Ok) return this.linkError(reply.error);
      if (!serverAcceptsSpiceAuth(reply)) return this.fail('unsupported', 'the server offers only SASL authentication');
      this.serverCaps = reply.channelCaps;
      this.miniHeader = hasCap(reply.commonCaps, CommonCap.MiniHeader);
      this.phase = 'link-result';
      void this.sendTicket(reply);
    }
    if (this.phase === 'link-result' && this.queue.available >= 4) {
      const b = this.queue.take(4);
      const result = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      if (result !== LinkErr.Ok) return this.linkError(result);
      clearTimeout(this.linkTimer);
      this.phase = 'ready';
      this.framer = new Framer(this.miniHeader);
      const rest = this.queue.available ? this.queue.take(this.queue.available) : null;
      this.onLinked();
      this.ctx.linked(this);
      if (rest && this.phase === 'ready') this.dispatch(this.framer.push(rest));
    }
  }

  private async sendTicket(reply: LinkReply): Promise<void> {
    try {
      const ticket = await encryptTicket(webCryptoRsaOaep, reply.pubKey, this.ctx.password());
      if (this.phase === 'link-result') this.transport!.send(writeAuth(reply, ticket));
    } catch (e) {
      if (e instanceof RangeError) this.fail('auth-failed', e.message);
      else if (e instanceof ProtocolError) this.fail('protocol', e.message);
      else this.fail('unsupported', `cannot encrypt the ticket (WebCrypto needs a secure context): ${(e as Error).message}`);
    }
  }

  private linkError(error: number): void {
    const text = `channel ${this.describe()}: ${linkErrorText(error)}`;
    if (error === LinkErr.PermissionDenied) this.fail('auth-failed', text);
    else if (error === LinkErr.NeedSecured) this.fail('unsupported', `${text} (the server wants TLS: use a wss:// proxy)`);
    else this.fail('link-refused', text);
  }

  /**
   * Handles messages strictly in order. A handler may return a promise (an image that decodes
   * asynchronously): later messages wait in `backlog` until it settles, and the ACK for a message is sent
   * only after it was processed, so a slow client throttles the server instead of queueing without bound.
   */
  private dispatch(messages: SpiceMessage[]): void {
    for (const m of messages) this.backlog.push(m);
    if (!this.busy) this.pump();
  }

  private pump(): void {
    while (this.backlog.length && this.phase === 'ready') {
      const { type, body } = this.backlog.shift()!;
      this.received.set(type, (this.received.get(type) ?? 0) + 1);
      let pending: void | Promise<void>;
      const timed = this.type === ChannelType.Display && type >= 101;
      const t0 = timed ? performance.now() : 0;
      try {
        pending = type <= BaseMsg.BaseLast ? this.handleBaseMessage(type, body) : this.handleMessage(type, body);
      } catch (e) {
        return this.failFrom(e);
      }
      if (timed && !(pending instanceof Promise)) countDisplayWork(performance.now() - t0);
      if (pending instanceof Promise) {
        this.busy = true;
        pending.then(
          () => {
            if (timed) countDisplayWork(performance.now() - t0);
            this.busy = false;
            if (this.phase !== 'ready') return;
            this.countForAck();
            this.pump();
          },
          (e) => {
            this.busy = false;
            this.failFrom(e);
          },
        );
        return;
      }
      this.countForAck();
    }
  }

  private failFrom(e: unknown): void {
    this.backlog.length = 0;
    if (e instanceof ProtocolError) this.fail('protocol', `channel ${this.describe()}: ${e.message}`);
    else this.fail('protocol', `channel ${this.describe()}: internal error: ${(e as Error)?.message ?? e}`);
  }

  /** ACK after the message was processed, so a slow client throttles the server (protocol.md §2.2). */
  private countForAck(): void {
    if (this.ackWindow && ++this.ackCount >= this.ackWindow) {
      this.ackCount = 0;
      this.send(BaseMsgc.Ack);
    }
  }

  private handleBaseMessage(type: number, body: Uint8Array): void {
    switch (type) {
      case BaseMsg.SetAck: {
        const { generation, window } = parseSetAck(body);
        this.ackGeneration = generation;
        this.ackWindow = window;
        this.ackCount = 0;
        this.send(BaseMsgc.AckSync, writeAckSync(this.ackGeneration));
        // SET_ACK itself is not counted by the server's window.
        this.ackCount = -1;
        return;
      }
      case BaseMsg.Ping:
        this.send(BaseMsgc.Pong, writePong(parsePing(body)));
        return;
      case BaseMsg.Notify: {
        const n = parseNotify(body);
        this.ctx.emit({ type: 'notify', severity: NOTIFY_SEVERITY[n.severity] ?? 'info', message: n.message });
        return;
      }
      case BaseMsg.Disconnecting: {
        const d = parseDisconnecting(body);
        this.log('info', `server is disconnecting channel ${this.describe()} (reason ${d.reason})`);
        return;
      }
      case BaseMsg.WaitForChannels:
      case BaseMsg.MigrateData:
      case BaseMsg.List:
        return;
      case BaseMsg.Migrate:
        this.log('warn', 'the server started a migration; this client does not follow migrations yet');
        return;
      default:
        this.logUnknown(type, body);
    }
  }

  /** A log line for the page (a `log` event). */
  protected log(level: LogLevel, message: string): void {
    this.ctx.emit({ type: 'log', level, message });
  }

  /** Unknown message types are skipped by their size and logged once per type. */
  protected logUnknown(type: number, body: Uint8Array): void {
    if (this.unknownTypes.has(type)) return;
    this.unknownTypes.add(type);
    this.log('debug', `channel ${this.describe()}: skipping message type ${type} (${body.byteLength} bytes)`);
  }
}

/** A channel this client links (so the server sees a complete client) but does not interpret yet. */
export class PassiveChannel extends Channel {
  protected channelCaps(): number[] {
    return [];
  }
  protected handleMessage(type: number, body: Uint8Array): void {
    this.logUnknown(type, body);
  }
}
