/**
 * A scripted SPICE peer for unit tests of the engine's session logic: each connection the engine opens
 * gets a FakeConnection that records what the client sent and lets the test answer byte for byte (link
 * reply with a real RSA key, link result, then framed messages). It proves message sequencing only; real
 * servers prove features (test/e2e).
 */
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import type { ChannelContext } from '../../../src/engine/channel-context.js';
import type { Transport, TransportFactory, TransportHandlers } from '../../../src/engine/transport.js';
import { Framer, frameMessage, type SpiceMessage } from '../../../src/protocol/framer.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
export const SERVER_PUBKEY = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));

export interface LinkRequest {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: number[];
  channelCaps: number[];
}

export class FakeConnection {
  sent: Uint8Array[] = [];
  closed = false;
  link: LinkRequest | null = null;
  password: string | null = null;
  private framer: Framer | null = null;
  readonly messages: SpiceMessage[] = [];
  private pending = new Uint8Array(0);
  private stage: 'link' | 'ticket' | 'data' = 'link';

  constructor(readonly handlers: TransportHandlers) {}

  /** Bytes from the client. */
  receive(bytes: Uint8Array): void {
    this.sent.push(bytes);
    if (this.stage === 'data') {
      this.messages.push(...this.framer!.push(bytes));
      return;
    }
    const all = new Uint8Array(this.pending.length + bytes.length);
    all.set(this.pending);
    all.set(bytes, this.pending.length);
    this.pending = all;
    if (this.stage === 'link' && this.pending.length >= 16) {
      const r = new Reader(this.pending);
      r.skip(12);
      const size = r.u32();
      if (this.pending.length < 16 + size) return;
      const connectionId = r.u32();
      const channelType = r.u8();
      const channelId = r.u8();
      const nc = r.u32();
      const nch = r.u32();
      r.u32();
      const commonCaps = Array.from({ length: nc }, () => r.u32());
      const channelCaps = Array.from({ length: nch }, () => r.u32());
      this.link = { connectionId, channelType, channelId, commonCaps, channelCaps };
      this.pending = this.pending.slice(16 + size);
      this.stage = 'ticket';
    }
    if (this.stage === 'ticket' && this.pending.length >= 132) {
      const ticket = this.pending.slice(4, 132);
      const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ticket);
      this.password = plain.subarray(0, plain.length - 1).toString('utf8');
      this.pending = new Uint8Array(0);
      this.stage = 'data';
      this.framer = new Framer(true);
    }
  }

  open(): void {
    this.handlers.onOpen();
  }

  /** SpiceLinkHeader + SpiceLinkReply (AUTH_SELECTION | AUTH_SPICE | MINI_HEADER) with `channelCaps`. */
  replyLink(error = 0, channelCaps: number[] = []): void {
    const reply = new Writer().u32(error).bytes(SERVER_PUBKEY).u32(1).u32(channelCaps.length).u32(178).u32(0x0b);
    for (const c of channelCaps) reply.u32(c);
    const body = reply.finish();
    this.push(new Writer().u32(0x51444552).u32(2).u32(2).u32(body.length).bytes(body).finish());
  }

  linkResult(result = 0): void {
    this.push(new Writer().u32(result).finish());
  }

  /** A framed server message (mini header). */
  message(type: number, body: Uint8Array = new Uint8Array(0)): void {
    this.push(frameMessage(type, body, true));
  }

  push(bytes: Uint8Array): void {
    this.handlers.onData(bytes);
  }

  /** The server closes the connection. */
  close(reason = 'server closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose({ opened: true, reason });
  }

  /** Client messages of `type` received so far. */
  of(type: number): SpiceMessage[] {
    return this.messages.filter((m) => m.type === type);
  }
}

/** A transport factory whose connections the test drives; `connections` in opening order. */
export function fakeNetwork(): { factory: TransportFactory; connections: FakeConnection[] } {
  const connections: FakeConnection[] = [];
  const factory: TransportFactory = (_url, handlers) => {
    const conn = new FakeConnection(handlers);
    connections.push(conn);
    const transport: Transport = {
      send: (bytes) => conn.receive(bytes),
      close: () => {
        conn.closed = true;
      },
      buffered: 0,
    };
    return transport;
  };
  return { factory, connections };
}

/** Waits for pending promises (the ticket encryption is async). */
export const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

/**
 * A ChannelContext for testing one channel alone over `factory`, linking with connection id `sessionId`;
 * failures are collected as `code: reason`; events (logs included) go to `emit`.
 */
export function testContext(factory: TransportFactory, sessionId: number, failures: string[] = [], emit: (event: EngineEvent) => void = () => {}): ChannelContext {
  return {
    url: 'ws://test',
    transportFactory: factory,
    linkTimeoutMs: 2000,
    sessionId,
    password: () => '',
    linked: () => {},
    failed: (_c, code, reason) => failures.push(`${code}: ${reason}`),
    emit,
    channel: () => undefined,
    displayCanvas: () => undefined,
    glz: new GlzDictionary(1 << 20),
  };
}

/** A MAIN_INIT body: session id, one display hint, both mouse modes (server current), agent state, 10 tokens. */
export function mainInit(sessionId: number, agentConnected = 0): Uint8Array {
  return new Writer().u32(sessionId).u32(1).u32(3).u32(1).u32(agentConnected).u32(10).u32(0).u32(0).finish();
}

/** A CHANNELS_LIST body of [type, id] pairs. */
export function channelsList(list: [number, number][]): Uint8Array {
  const w = new Writer().u32(list.length);
  for (const [t, id] of list) w.u8(t).u8(id);
  return w.finish();
}

/** Runs the link of `conn` to success: open, reply (with channel `caps`), wait for the ticket, result OK. */
export async function linked(conn: FakeConnection, caps: number[] = []): Promise<void> {
  conn.open();
  conn.replyLink(0, caps);
  // The client encrypts the ticket with WebCrypto (asynchronous, slow on a loaded machine): wait for it to
  // arrive rather than for a fixed time.
  for (let waited = 0; conn.password === null; waited += 5) {
    if (waited > 10_000) throw new Error('the client sent no ticket within 10 s');
    await settle(5);
  }
  conn.linkResult(0);
  await settle();
}
