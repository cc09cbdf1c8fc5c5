/**
 * UsbredirChannel: a spicevmc channel of type usbredir (9). It carries one usbredir byte stream between
 * QEMU's usb-redir device (the usbredir guest) and a UsbHost here (the usbredir host) that serves one USB
 * device; the UsbManager decides which device and when.
 *
 * Wire (protocol.md §6.1): SPICEVMC_DATA (101) holds raw stream bytes both ways, cut anywhere;
 * SPICEVMC_COMPRESSED_DATA (102) holds `type u8` and, for LZ4, `uncompressed_size u32` and one raw LZ4
 * block. We advertise SPICEVMC_CAP_DATA_COMPRESS_LZ4 because we decode it; we always send uncompressed.
 *
 * One link, one device: linking the channel opens QEMU's chardev, and QEMU answers with a fresh
 * usbredirparser that sends its hello at once. That hello is kept until a device is attached; the UsbHost
 * then says hello itself. QEMU ignores a second hello on the same chardev connection
 * (usbredirparser.c: "Received second hello message, ignoring"), so once a host has spoken on a link the
 * channel is `spent`: after the device is released the manager re-links the channel for the next one
 * (checked against QEMU in test/unit/usb/qemu-reattach.test.ts; spice-gtk reconnects the same way).
 */
import { lz4DecodeBlock } from '../../codecs/lz4.js';
import { DataCompressionType, SpicevmcCap, SpicevmcMsg, SpicevmcMsgc } from '../../protocol/constants.js';
import { check, ProtocolError } from '../../protocol/errors.js';
import { UsbHost, type UsbHostOptions } from '../../usb/host/index.js';
import type { UsbDeviceLike } from '../../usb/webusb-types.js';
import type { DisconnectCode } from '../../api/types.js';
import { Channel } from '../channel.js';
import type { ChannelContext } from '../channel-context.js';

/** SPICE_CHANNEL_USBREDIR. */
export const USBREDIR_CHANNEL_TYPE = 9;

/** Largest uncompressed size accepted in SPICEVMC_COMPRESSED_DATA (spice-server sends at most ~64 KiB). */
export const SPICEVMC_MAX_UNCOMPRESSED = 16 * 1024 * 1024;

/** Outgoing stream bytes go out in messages of at most this size (spice-server reads its chardev in 64 KiB). */
export const SPICEVMC_MAX_CHUNK = 64 * 1024;

/**
 * How long a session that ends waits for the usbredir sockets that carried a device to finish their close
 * handshake before it reports `disconnected` (and the page drops the worker with its sockets). Measured 26-227 ms
 * mid-transfer on a quiet machine; a loaded one (a CI run) can take longer, and dropping the socket before the
 * handshake ends is what aborts spice-server 0.15.1. Below the page's wait for the engine's disconnect()
 * (ENGINE_DISCONNECT_MS in src/controllers/engine-controller.ts).
 */
export const USBREDIR_CLOSE_DRAIN_MS = 4000;

/**
 * How long closing a link whose device was just released waits for QEMU's device_disconnect_ack before it
 * closes the socket. The ack means QEMU has read everything we sent: spice-server 0.15.1 aborts when a
 * client goes while one of its writes to the chardev is still in progress, which the close handshake alone
 * does not rule out when QEMU is slow to read (seen with the machine loaded; 1.5 s was still too short once,
 * with two QEMUs under TCG and three browsers on two cores). Within USBREDIR_CLOSE_DRAIN_MS, which bounds
 * the whole close.
 */
export const USBREDIR_ACK_WAIT_MS = 3000;

/**
 * How long the socket stays open after the ack. QEMU sends the ack from inside spice-server's write of our
 * data into its chardev and may still be in that write when the ack reaches us; a close that spice-server
 * sees (a failed send) before the write returns is the abort above. Seen under load with the close right on
 * the ack (2 of 8 element-removal runs with two busy loops); within USBREDIR_ACK_WAIT_MS.
 */
export const USBREDIR_ACK_GRACE_MS = 400;

/** Bytes kept from QEMU before a host is attached: its hello, and nothing else should come. */
const MAX_EARLY_BYTES = 64 * 1024;

/**
 * The payload of SPICEVMC_COMPRESSED_DATA, uncompressed.
 * @throws ProtocolError for an unknown compression type, an absurd size or a corrupt LZ4 block.
 */
export function decompressSpicevmcData(body: Uint8Array, maxSize = SPICEVMC_MAX_UNCOMPRESSED): Uint8Array {
  check(body.byteLength >= 1, 'spicevmc: compressed data without a type');
  const type = body[0]!;
  if (type === DataCompressionType.None) return body.subarray(1);
  if (type !== DataCompressionType.Lz4) throw new ProtocolError(`spicevmc: unknown data compression type ${type}`);
  check(body.byteLength >= 5, 'spicevmc: compressed data truncated in its size');
  const size = (body[1]! | (body[2]! << 8) | (body[3]! << 16) | (body[4]! << 24)) >>> 0;
  check(size > 0 && size <= maxSize, () => `spicevmc: uncompressed size ${size} out of range`);
  const out = new Uint8Array(size);
  const n = lz4DecodeBlock(body, 5, body.byteLength, out, 0);
  check(n === size, () => `spicevmc: LZ4 data inflates to ${n} bytes, the message says ${size}`);
  return out;
}

/** What the channel tells its manager. */
export interface UsbredirChannelEvents {
  /** The channel linked: QEMU opened its chardev; the channel can take a device. */
  linked(channel: UsbredirChannel): void;
  /** The channel closed, for any reason (a host it carried has been released by then). */
  closed(channel: UsbredirChannel): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export class UsbredirChannel extends Channel {
  private host: UsbHost | null = null;
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private spentLink = false;
  /** A host whose device was released on this link: still fed until the guest acknowledges its disconnect. */
  private ending: UsbHost | null = null;
  /** Set while close() waits for that acknowledgement; the socket closes when it settles. */
  private deferredClose: Promise<void> | null = null;
  /** Stream bytes waiting for the end of the current microtask run (see sendStream). */
  private outbox: Uint8Array[] = [];
  private outboxBytes = 0;
  /** Stream bytes received and sent on this link (after decompression), for diagnostics. */
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    ctx: ChannelContext,
    id: number,
    private readonly events: UsbredirChannelEvents,
  ) {
    super(ctx, USBREDIR_CHANNEL_TYPE, id);
  }

  /** A host has spoken on this link: the next device needs a fresh link. */
  get spent(): boolean {
    return this.spentLink;
  }

  /** Linked and never used: a device can be attached. */
  get free(): boolean {
    return this.linked && !this.spentLink;
  }

  /** The host serving a device on this channel, if any. */
  get currentHost(): UsbHost | null {
    return this.host;
  }

  /**
   * Starts serving `device`: a UsbHost sends its hello, gets QEMU's hello (kept since the link) and, once the
   * device is open and its descriptors read, announces it. The host's events go to `options.onEvent`.
   */
  attach(device: UsbDeviceLike, options: UsbHostOptions): UsbHost {
    if (!this.free) throw new Error(`usbredir channel ${this.id} cannot take a device now`);
    this.spentLink = true;
    const host = new UsbHost(
      device,
      // The backlog (queued here and in the WebSocket) holds back the host's IN transfers: a device that
      // produces faster than the link drains does not grow memory without bound.
      { send: (bytes) => this.sendStream(bytes), backlog: () => this.outboxBytes + this.bufferedAmount },
      { later: (fn, ms) => void setTimeout(fn, ms), ...options },
    );
    this.host = host;
    // start() sends our hello synchronously, before it waits for the device.
    void host.start();
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const bytes of early) this.feed(bytes);
    return host;
  }

  /**
   * The current host ended: it gets no more devices' traffic, but stays fed until the guest acknowledges its
   * device_disconnect (see close()); later bytes of this link are dropped.
   */
  detach(): void {
    const host = this.host;
    this.host = null;
    if (!host) return;
    this.ending = host;
    void host.disconnectAcked.then(() => {
      if (this.ending === host) this.ending = null;
    });
  }

  protected channelCaps(): number[] {
    return [SpicevmcCap.DataCompressLz4];
  }

  protected handleMessage(type: number, body: Uint8Array): void {
    switch (type) {
      case SpicevmcMsg.Data:
        return this.feed(body);
      case SpicevmcMsg.CompressedData:
        return this.feed(decompressSpicevmcData(body));
      default:
        this.logUnknown(type, body);
    }
  }

  protected override onLinked(): void {
    this.events.linked(this);
  }

  protected override onClosed(): void {
    const host = this.host;
    this.host = null;
    this.ending = null;
    this.early = [];
    if (host) void host.release('the USB channel closed', { silent: true });
    this.events.closed(this);
  }

  private feed(bytes: Uint8Array): void {
    this.bytesIn += bytes.byteLength;
    const host = this.host ?? this.ending;
    if (!host) {
      if (this.spentLink) return; // the device of this link is gone; the link is about to be replaced
      if (this.earlyBytes + bytes.byteLength > MAX_EARLY_BYTES) {
        this.events.log('warn', `usbredir channel ${this.id}: dropping ${bytes.byteLength} bytes that arrived before any device`);
        return;
      }
      this.early.push(bytes.slice());
      this.earlyBytes += bytes.byteLength;
      return;
    }
    try {
      host.receive(bytes);
    } catch (e) {
      // The usbredir stream is out of step. The host has ended itself (state released); the manager re-links
      // the channel. This is not a SPICE protocol error: the session goes on.
      this.events.log('warn', `usbredir channel ${this.id}: ${(e as Error).message}`);
      if (this.host === host) this.host = null;
      if (this.ending === host) this.ending = null;
    }
  }

  /**
   * Queues stream bytes; they go out at the end of the current microtask run, every packet the host wrote
   * meanwhile in one SPICEVMC_DATA message (up to SPICEVMC_MAX_CHUNK each). The stream is a byte stream,
   * so packets may share a message; a device answering sixteen transfers at once then costs one message,
   * one socket write and one chardev read in QEMU instead of sixteen. Nothing waits on a timer.
   */
  private sendStream(bytes: Uint8Array): void {
    this.bytesOut += bytes.byteLength;
    this.outbox.push(bytes);
    this.outboxBytes += bytes.byteLength;
    if (this.outboxBytes >= SPICEVMC_MAX_CHUNK) return this.flush();
    if (this.outbox.length === 1) queueMicrotask(() => this.flush());
  }

  /** Sends what sendStream queued. */
  private flush(): void {
    const parts = this.outbox;
    const total = this.outboxBytes;
    if (!parts.length) return;
    this.outbox = [];
    this.outboxBytes = 0;
    let bytes: Uint8Array;
    if (parts.length === 1) {
      bytes = parts[0]!;
    } else {
      bytes = new Uint8Array(total);
      let at = 0;
      for (const part of parts) {
        bytes.set(part, at);
        at += part.byteLength;
      }
    }
    for (let at = 0; at < bytes.byteLength; at += SPICEVMC_MAX_CHUNK) {
      this.send(SpicevmcMsgc.Data, bytes.subarray(at, Math.min(bytes.byteLength, at + SPICEVMC_MAX_CHUNK)));
    }
  }

  /**
   * Sends what is queued (a device_disconnect, say), then closes; when the device of this link was just
   * released, once the guest has acknowledged that (at most USBREDIR_ACK_WAIT_MS), so QEMU has read all we
   * sent before spice-server sees the client go.
   */
  override close(): void {
    if (this.deferredClose) return;
    this.flush();
    const host = this.ending;
    if (!host?.awaitingDisconnectAck || !this.linked) return super.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, USBREDIR_ACK_WAIT_MS)));
    const acked = host.disconnectAcked.then(() => new Promise<void>((resolve) => setTimeout(resolve, USBREDIR_ACK_GRACE_MS)));
    this.deferredClose = Promise.race([acked, bound]).then(() => {
      clearTimeout(timer);
      super.close();
    });
  }

  /** A broken link or a socket that went: nothing more will come from the guest, so no waiting in close(). */
  protected override fail(code: DisconnectCode, reason: string): void {
    this.ending = null;
    super.fail(code, reason);
  }

  override get socketEnded(): Promise<void> {
    return this.deferredClose ? this.deferredClose.then(() => super.socketEnded) : super.socketEnded;
  }
}
