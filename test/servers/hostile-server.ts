/**
 * A hostile SPICE server for end-to-end tests: a Node WebSocket server that speaks enough SPICE to link
 * every channel the way spice-server does (link reply with a real RSA key, the ticket decrypted, link result,
 * mini header), then hands each linked channel to the test's script, which misbehaves on purpose (giant
 * surfaces, lying images, floods, a socket it stops reading...). It owns its sockets and closes them all in
 * `close()`. It records the passwords it received, so tests can prove where the password went.
 *
 * The WebSocket layer is hand-written (RFC 6455 server side: handshake, masked client frames, unmasked
 * binary server frames, close and ping frames) so a script can also cut a frame in half or stop reading.
 */
import { constants, createHash, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ChannelType, MainMsg, MainMsgc } from '../../src/protocol/constants.js';
import { Writer } from '../../src/protocol/writer.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PUBKEY = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
const MAGIC = 0x51444552;

export interface ClientMessage {
  type: number;
  body: Uint8Array;
}

/** One linked channel connection, for the script to drive. */
export interface HostileChannel {
  readonly type: number;
  readonly id: number;
  readonly password: string;
  /** Client messages received so far (mini header framing). */
  readonly messages: ClientMessage[];
  /** Sends one framed SPICE message (mini header). Returns false once the socket is gone. */
  send(type: number, body?: Uint8Array): boolean;
  /** Sends raw bytes in one binary WebSocket frame. */
  raw(bytes: Uint8Array): boolean;
  /** Waits until the socket's write buffer drained (to flood without buffering gigabytes in Node). */
  drain(): Promise<void>;
  /** Called for every client message from now on. */
  onMessage(handler: (m: ClientMessage) => void): void;
  /** Stops reading from the socket: the client's writes pile up in TCP buffers. */
  stopReading(): void;
  /** Reads again (what piled up, then whatever follows). */
  resumeReading(): void;
  /** Bytes received from the client after the link. */
  readonly bytesIn: number;
  /** Sends a WebSocket close frame, then ends the socket. */
  close(): void;
  /** Destroys the TCP socket without a close frame (a reset). */
  destroy(): void;
  readonly closed: boolean;
}

export interface HostileScript {
  /** Channels announced in CHANNELS_LIST after ATTACH_CHANNELS (default: display 0). */
  channels?: [type: number, id: number][];
  /** INIT's agent_connected (default 0). */
  agentConnected?: boolean;
  /** Called once per linked channel (main included), after the server's default start (INIT for main). */
  linked?(channel: HostileChannel): void | Promise<void>;
  /** Replaces the default answer to ATTACH_CHANNELS (a CHANNELS_LIST of `channels`). */
  attach?(main: HostileChannel): void | Promise<void>;
}

export interface HostileServer {
  readonly url: string;
  /** Every channel linked so far, in order. */
  readonly channels: HostileChannel[];
  /** Every password received in a ticket. */
  readonly passwords: string[];
  /** Every byte each connection's client sent (WebSocket payloads, link and ticket included), in order. */
  readonly received: Buffer[][];
  /** Open TCP connections. */
  connections(): number;
  close(): Promise<void>;
}

export const SESSION_ID = 0x5eed;

/** MAIN_INIT: session id, one display, both mouse modes (server current), agent state, 10 tokens. */
export function mainInit(agentConnected: boolean): Uint8Array {
  return new Writer()
    .u32(SESSION_ID)
    .u32(1)
    .u32(3)
    .u32(1)
    .u32(agentConnected ? 1 : 0)
    .u32(10)
    .u32(0)
    .u32(0)
    .finish();
}

/** CHANNELS_LIST body. */
export function channelsList(list: [number, number][]): Uint8Array {
  const w = new Writer().u32(list.length);
  for (const [t, id] of list) w.u8(t).u8(id);
  return w.finish();
}

/** A mini-header SPICE message. */
export function miniMessage(type: number, body: Uint8Array): Uint8Array {
  return new Writer().u16(type).u32(body.length).bytes(body).finish();
}

/** One unmasked binary WebSocket frame. */
function wsFrame(payload: Uint8Array, opcode = 0x2): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Reassembles the client's masked WebSocket frames into a byte stream (and answers close/ping). */
class WsReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly onData: (bytes: Buffer) => void,
    private readonly onClose: () => void,
    private readonly onPing: (payload: Buffer) => void,
  ) {}
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0]! & 0x0f;
      const masked = (this.buf[1]! & 0x80) !== 0;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const maskOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      const payload = Buffer.from(this.buf.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= this.buf[maskOff + (i & 3)]!;
      this.buf = this.buf.subarray(off + len);
      if (opcode === 0x8) return this.onClose();
      if (opcode === 0x9) this.onPing(payload);
      else if (opcode === 0x0 || opcode === 0x2 || opcode === 0x1) this.onData(payload);
    }
  }
}

export async function startHostileServer(script: HostileScript = {}): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const channels: HostileChannel[] = [];
  const passwords: string[] = [];
  const received: Buffer[][] = [];
  const server: Server = createServer((_req, res) => res.writeHead(426).end());

  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const protocol = req.headers['sec-websocket-protocol'] ? 'Sec-WebSocket-Protocol: binary\r\n' : '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${protocol}\r\n`);

    let closed = false;
    let stage: 'link' | 'ticket' | 'data' = 'link';
    let pending: Buffer = Buffer.alloc(0);
    let channel: (HostileChannel & { deliver(m: ClientMessage): void; count(n: number): void }) | null = null;
    let linkType = 0;
    let linkId = 0;
    const write = (frame: Buffer): boolean => {
      if (closed || socket.destroyed) return false;
      socket.write(frame);
      return true;
    };
    const closeSocket = () => {
      if (closed) return;
      write(wsFrame(new Uint8Array([0x03, 0xe8]), 0x8));
      closed = true;
      socket.end();
      // As spice-server does, give the peer a moment to read what is queued, then drop the connection (a
      // flooded client may never drain megabytes the server still had buffered).
      setTimeout(() => socket.destroy(), 2000).unref();
    };
    const reader = new WsReader(
      (bytes) => onBytes(bytes),
      () => closeSocket(),
      (p) => write(wsFrame(p, 0xa)),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => {
      closed = true;
    });

    const raw: Buffer[] = [];
    received.push(raw);
    const onBytes = (bytes: Buffer) => {
      raw.push(bytes);
      pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
      if (stage === 'data') channel!.count(bytes.length);
      if (stage === 'link' && pending.length >= 16) {
        const size = pending.readUInt32LE(12);
        if (pending.length < 16 + size) return;
        linkType = pending[20]!;
        linkId = pending[21]!;
        pending = pending.subarray(16 + size);
        stage = 'ticket';
        // SpiceLinkReply: no error, the key, common caps AUTH_SELECTION | AUTH_SPICE | MINI_HEADER, no channel caps.
        const reply = new Writer().u32(0).bytes(PUBKEY).u32(1).u32(0).u32(178).u32(0x0b).finish();
        write(wsFrame(new Writer().u32(MAGIC).u32(2).u32(2).u32(reply.length).bytes(reply).finish()));
      }
      if (stage === 'ticket' && pending.length >= 132) {
        const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, pending.subarray(4, 132));
        const password = plain.subarray(0, plain.length - 1).toString('utf8');
        passwords.push(password);
        pending = pending.subarray(132);
        stage = 'data';
        write(wsFrame(new Writer().u32(0).finish()));
        channel = makeChannel(linkType, linkId, password);
        channels.push(channel);
        void start(channel);
      }
      if (stage === 'data') {
        while (pending.length >= 6) {
          const size = pending.readUInt32LE(2);
          if (pending.length < 6 + size) break;
          const m = { type: pending.readUInt16LE(0), body: new Uint8Array(pending.subarray(6, 6 + size)) };
          pending = pending.subarray(6 + size);
          channel!.deliver(m);
        }
      }
    };

    const makeChannel = (type: number, id: number, password: string) => {
      const handlers: ((m: ClientMessage) => void)[] = [];
      let bytesIn = 0;
      const ch = {
        type,
        id,
        password,
        messages: [] as ClientMessage[],
        get bytesIn() {
          return bytesIn;
        },
        get closed() {
          return closed || socket.destroyed;
        },
        send: (t: number, body = new Uint8Array(0)) => write(wsFrame(miniMessage(t, body))),
        raw: (bytes: Uint8Array) => write(wsFrame(bytes)),
        drain: () =>
          new Promise<void>((resolve) => {
            if (closed || socket.destroyed || !socket.writableNeedDrain) return resolve();
            const done = () => {
              socket.off('drain', done);
              socket.off('close', done);
              resolve();
            };
            socket.on('drain', done);
            socket.on('close', done);
          }),
        onMessage: (h: (m: ClientMessage) => void) => void handlers.push(h),
        stopReading: () => {
          socket.pause();
        },
        resumeReading: () => {
          socket.resume();
        },
        close: closeSocket,
        destroy: () => {
          closed = true;
          socket.resetAndDestroy();
        },
        deliver: (m: ClientMessage) => {
          ch.messages.push(m);
          for (const h of handlers) h(m);
        },
        count: (n: number) => {
          bytesIn += n;
        },
      };
      return ch;
    };

    const start = async (ch: HostileChannel) => {
      if (ch.type === ChannelType.Main) {
        ch.onMessage((m) => {
          if (m.type !== MainMsgc.AttachChannels) return;
          if (script.attach) void script.attach(ch);
          else ch.send(MainMsg.ChannelsList, channelsList(script.channels ?? [[ChannelType.Display, 0]]));
        });
        ch.send(MainMsg.Init, mainInit(script.agentConnected ?? false));
      }
      await script.linked?.(ch);
    };
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    channels,
    passwords,
    received,
    connections: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
