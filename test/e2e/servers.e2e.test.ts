/**
 * Proves the real-server harness of test/servers/ works: Xspice (plain, with a
 * password and the vdagent pair, with a custom size) and QEMU (2 QXL devices,
 * 4 usb-redir slots, agent) come up, answer a raw SPICE link of the main
 * channel over plain TCP, report the channels/agent they should, give
 * spicy-screenshot a picture of the expected size, boot the test guest, and
 * leave no process behind after stop().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import {
  acmPayload,
  agentBytes,
  findFreePort,
  GUEST,
  isAlive,
  md5Hex,
  isPortOpen,
  lastUsbListing,
  startQemu,
  startXspice,
  type Qemu,
  type Xspice,
} from '../servers/index.js';

// ---- a tiny raw SPICE link helper (main channel, plain TCP) -------------------

const SPICE_MAGIC = 0x51444552; // "REDQ"
const MSG_MAIN_INIT = 103;
const MSG_MAIN_CHANNELS_LIST = 104;
const MSGC_MAIN_ATTACH_CHANNELS = 104;
const MSGC_MAIN_AGENT_START = 106;
const MSGC_MAIN_AGENT_DATA = 107;

/** Buffered reader over a socket: `read(n)` resolves with exactly n bytes. */
class Conn {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;
  constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => {});
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      s.once('error', reject);
      s.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
    });
  }
  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed with ${this.buf.length}/${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout reading ${n} bytes`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, left).unref();
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  write(b: Buffer): void {
    this.sock.write(b);
  }
  close(): void {
    this.sock.destroy();
  }
}

interface LinkReply {
  magic: number;
  major: number;
  minor: number;
  error: number;
  pubKey: Buffer;
  commonCaps: number[];
}

/** Sends SpiceLinkHeader + SpiceLinkMess for the main channel and reads the SpiceLinkReply. */
async function linkMain(c: Conn): Promise<LinkReply> {
  const mess = Buffer.alloc(18 + 4);
  mess.writeUInt32LE(0, 0); // connection_id
  mess.writeUInt8(1, 4); // channel_type MAIN
  mess.writeUInt8(0, 5); // channel_id
  mess.writeUInt32LE(1, 6); // num_common_caps
  mess.writeUInt32LE(0, 10); // num_channel_caps
  mess.writeUInt32LE(18, 14); // caps_offset
  mess.writeUInt32LE(0x09, 18); // AUTH_SELECTION | MINI_HEADER
  const head = Buffer.alloc(16);
  head.writeUInt32LE(SPICE_MAGIC, 0);
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(2, 8);
  head.writeUInt32LE(mess.length, 12);
  c.write(Buffer.concat([head, mess]));

  const rh = await c.read(16);
  const magic = rh.readUInt32LE(0);
  const size = rh.readUInt32LE(12);
  const body = await c.read(size);
  const error = body.readUInt32LE(0);
  const pubKey = body.subarray(4, 4 + 162);
  const numCommon = body.readUInt32LE(166);
  const capsOffset = body.readUInt32LE(174);
  const commonCaps = Array.from({ length: numCommon }, (_, i) => body.readUInt32LE(capsOffset + 4 * i));
  return { magic, major: rh.readUInt32LE(4), minor: rh.readUInt32LE(8), error, pubKey, commonCaps };
}

/** Auth mechanism SPICE + RSA-OAEP(SHA-1) ticket; resolves with the SpiceLinkResult error code. */
async function authenticate(c: Conn, reply: LinkReply, password: string): Promise<number> {
  const mech = Buffer.alloc(4);
  mech.writeUInt32LE(1, 0); // SPICE_COMMON_CAP_AUTH_SPICE
  const ticket = publicEncrypt(
    {
      key: createPublicKey({ key: reply.pubKey, format: 'der', type: 'spki' }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha1',
    },
    Buffer.from(password + '\0', 'utf8'),
  );
  c.write(Buffer.concat([mech, ticket]));
  return (await c.read(4)).readUInt32LE(0);
}

/** Reads mini-header messages until one of `type` arrives. */
async function readUntil(c: Conn, type: number, timeoutMs = 10_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await c.read(6, Math.max(1, deadline - Date.now()));
    const body = await c.read(h.readUInt32LE(2), Math.max(1, deadline - Date.now()));
    if (h.readUInt16LE(0) === type) return body;
  }
}

function sendMsg(c: Conn, type: number, body: Buffer = Buffer.alloc(0)): void {
  const h = Buffer.alloc(6);
  h.writeUInt16LE(type, 0);
  h.writeUInt32LE(body.length, 2);
  c.write(Buffer.concat([h, body]));
}

interface MainInit {
  sessionId: number;
  displayChannelsHint: number;
  agentConnected: number;
}

/** Full main-channel connect: link, auth, MAIN_INIT. Leaves the connection open. */
async function connectMain(port: number, password = ''): Promise<{ c: Conn; init: MainInit }> {
  const c = await Conn.open(port);
  const reply = await linkMain(c);
  expect(reply.magic).toBe(SPICE_MAGIC);
  expect(reply.error).toBe(0);
  const result = await authenticate(c, reply, password);
  expect(result).toBe(0);
  const b = await readUntil(c, MSG_MAIN_INIT);
  return {
    c,
    init: { sessionId: b.readUInt32LE(0), displayChannelsHint: b.readUInt32LE(4), agentConnected: b.readUInt32LE(16) },
  };
}

async function channelsList(c: Conn): Promise<string[]> {
  sendMsg(c, MSGC_MAIN_ATTACH_CHANNELS);
  const b = await readUntil(c, MSG_MAIN_CHANNELS_LIST);
  const n = b.readUInt32LE(0);
  return Array.from({ length: n }, (_, i) => `${b.readUInt8(4 + 2 * i)}:${b.readUInt8(5 + 2 * i)}`).sort();
}

// ---- Xspice ----------------------------------------------------------------------

describe('Xspice harness', () => {
  it('starts without agent or password, links, screenshots, and stops cleanly', async () => {
    const t0 = Date.now();
    const x = await startXspice();
    const startMs = Date.now() - t0;
    try {
      expect(x.url).toBe(`ws://127.0.0.1:${x.port}`);
      expect(await isPortOpen(x.port)).toBe(true);

      const c = await Conn.open(x.port);
      const reply = await linkMain(c);
      expect(reply.magic).toBe(SPICE_MAGIC);
      expect(reply.major).toBe(2);
      expect(reply.error).toBe(0);
      c.close();

      const { c: c2, init } = await connectMain(x.port);
      expect(init.agentConnected).toBe(0);
      const channels = await channelsList(c2);
      expect(channels).toEqual(expect.arrayContaining(['2:0', '3:0', '4:0']));
      expect(channels.some((ch) => ch.startsWith('9:'))).toBe(false); // no usbredir on Xspice
      c2.close();

      const shot = await x.screenshot();
      expect([shot.width, shot.height]).toEqual([1024, 768]);
      expect(shot.rgba.length).toBe(1024 * 768 * 4);

      const r = await x.exec('xdpyinfo');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/dimensions:\s+1024x768/);
      const xterm = x.run('xterm', ['-geometry', '40x10+10+10', '-e', 'sleep 600']);
      expect(xterm.pid).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(isAlive(xterm.pid!)).toBe(true);

      await x.stop();
      expect(isAlive(x.pids.xorg)).toBe(false);
      expect(isAlive(xterm.pid!)).toBe(false);
      expect(existsSync(x.tmpDir)).toBe(false);
      expect(await isPortOpen(x.port)).toBe(false);
      await x.stop(); // idempotent
      console.log(`Xspice start: ${startMs} ms`);
    } finally {
      await x.stop();
    }
  });

  describe('with password and agent', () => {
    let x: Xspice;
    let startMs = 0;
    beforeAll(async () => {
      const t0 = Date.now();
      x = await startXspice({ password: 'secret', agent: true });
      startMs = Date.now() - t0;
      console.log(`Xspice+agent start: ${startMs} ms`);
    });
    afterAll(() => x?.stop());

    it('rejects a wrong password', async () => {
      const c = await Conn.open(x.port);
      const reply = await linkMain(c);
      expect(reply.error).toBe(0);
      expect(await authenticate(c, reply, 'wrong')).toBe(7); // SPICE_LINK_ERR_PERMISSION_DENIED
      c.close();
    });

    it('accepts the password and reports the agent connected', async () => {
      const { c, init } = await connectMain(x.port, 'secret');
      expect(init.agentConnected).toBe(1);
      c.close();
    });

    it('gives spicy-screenshot a 1024x768 picture', async () => {
      const shot = await x.screenshot();
      expect([shot.width, shot.height]).toEqual([1024, 768]);
    });

    it('stop() ends Xorg and the vdagent pair', async () => {
      const pids = [x.pids.xorg, x.pids.vdagentd!, x.pids.vdagent!];
      for (const p of pids) expect(isAlive(p)).toBe(true);
      await x.stop();
      for (const p of pids) expect(isAlive(p)).toBe(false);
      // nothing of ours left among this process's children either
      const ps = spawnSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)]).stdout.toString();
      expect(ps.split('\n').filter((c) => /^(Xorg|spice-vdagent)/.test(c.trim()))).toEqual([]);
      expect(existsSync(x.tmpDir)).toBe(false);
    });
  });

  it('starts with every compression and streaming option set', async () => {
    const x = await startXspice({
      imageCompression: 'auto_glz',
      jpegWanCompression: 'always',
      zlibGlzWanCompression: 'never',
      streamingVideo: 'all',
      videoCodecs: 'gstreamer:vp8;gstreamer:h264;spice:mjpeg',
      deferredFps: 10,
    });
    try {
      const shot = await x.screenshot();
      expect([shot.width, shot.height]).toEqual([1024, 768]);
      expect(await x.xorgLog()).toMatch(/Deferred FPS: 10/);
    } finally {
      await x.stop();
    }
  });

  it('honours width/height and heads', async () => {
    const x = await startXspice({ width: 1280, height: 800, heads: 2, imageCompression: 'off' });
    try {
      // The X session sees both heads as RandR outputs (NumHeads), the first one at the size asked for.
      const r = await x.exec('xrandr', ['--query']);
      expect(r.code, r.stderr).toBe(0);
      const outputs = [...r.stdout.matchAll(/^(\S+) (connected|disconnected)\b(.*)$/gm)].map((m) => ({ name: m[1]!, state: m[2]!, rest: m[3]! }));
      if (outputs.length !== 2) console.log(r.stdout);
      expect(outputs).toHaveLength(2);
      expect(outputs[0]!.state).toBe('connected');
      expect(outputs[0]!.rest).toMatch(/\b1280x800\+0\+0\b/);
      const shot = await x.screenshot();
      expect([shot.width, shot.height]).toEqual([1280, 800]);
    } finally {
      await x.stop();
    }
    expect(isAlive(x.pids.xorg)).toBe(false);
  });
});

// ---- QEMU ----------------------------------------------------------------------------

describe('QEMU harness', () => {
  let q: Qemu;
  let readyMs = 0;
  beforeAll(async () => {
    const t0 = Date.now();
    q = await startQemu({ qxlDevices: 2, usbredirSlots: 4, agent: true });
    const portMs = Date.now() - t0;
    await q.waitForSerial(/^GUEST READY/m, 90_000);
    readyMs = Date.now() - t0;
    console.log(`QEMU: SPICE port after ${portMs} ms, GUEST READY after ${readyMs} ms`);
  }, 180_000);
  afterAll(() => q?.stop());

  it('accepts TCP and a raw main-channel link', async () => {
    expect(await isPortOpen(q.port)).toBe(true);
    const c = await Conn.open(q.port);
    const reply = await linkMain(c);
    expect(reply.magic).toBe(SPICE_MAGIC);
    expect(reply.error).toBe(0);
    c.close();
  });

  it('the guest booted with two framebuffers and the agent port', async () => {
    const log = await q.serialLog();
    expect(log).toMatch(/^GUEST FB \/dev\/fb0 \/dev\/fb1/m);
    expect(log).toMatch(/^GUEST AGENT-PORT \/dev\/vport\d+p1/m);
    expect(log).not.toMatch(/MODULE-FAIL/);
  });

  it('lists 2 displays, 4 usbredir channels and the agent; agent data reaches the guest', async () => {
    const { c, init } = await connectMain(q.port);
    expect(init.agentConnected).toBe(1);
    expect(init.displayChannelsHint).toBe(2);
    const channels = await channelsList(c);
    expect(channels).toEqual(expect.arrayContaining(['2:0', '2:1', '9:0', '9:1', '9:2', '9:3']));
    expect(channels).not.toContain('9:4');

    // VD_AGENT_ANNOUNCE_CAPABILITIES(request=0, caps=0x12345678) through the server to the guest.
    const tokens = Buffer.alloc(4);
    tokens.writeUInt32LE(10, 0);
    sendMsg(c, MSGC_MAIN_AGENT_START, tokens);
    const msg = Buffer.alloc(20 + 8);
    msg.writeUInt32LE(1, 0); // VD_AGENT_PROTOCOL
    msg.writeUInt32LE(6, 4); // VD_AGENT_ANNOUNCE_CAPABILITIES
    msg.writeBigUInt64LE(0n, 8);
    msg.writeUInt32LE(8, 16);
    msg.writeUInt32LE(0, 20);
    msg.writeUInt32LE(0x12345678, 24);
    sendMsg(c, MSGC_MAIN_AGENT_DATA, msg);
    const hex = msg.toString('hex');
    await q.waitForSerial(/^AGENT: /m, 30_000);
    const deadline = Date.now() + 30_000;
    while (
      !Buffer.from(agentBytes(await q.serialLog()))
        .toString('hex')
        .includes(hex)
    ) {
      if (Date.now() > deadline) throw new Error(`agent message not seen:\n${(await q.serialLog()).slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    c.close();
  });

  it('the guest lists its USB root hubs', async () => {
    await q.waitForSerial(/^USBTICK 2/m, 30_000);
    const devs = lastUsbListing(await q.serialLog());
    expect(devs.filter((d) => d.vendorId === 0x1d6b).length).toBe(4); // EHCI + 3 UHCI
  });

  it('gives spicy-screenshot a picture of the primary surface', async () => {
    const { spicyScreenshot } = await import('../servers/index.js');
    const shot = await spicyScreenshot(q.port, undefined, q.tmpDir);
    expect(shot.width).toBeGreaterThan(0);
    expect(shot.rgba.length).toBe(shot.width * shot.height * 4);
  });

  it('answers QMP', async () => {
    const spice = (await q.qmp('query-spice')) as { enabled: boolean; port: number };
    expect(spice.enabled).toBe(true);
    expect(spice.port).toBe(q.port);
  });

  it('stop() leaves no QEMU behind', async () => {
    await q.stop();
    expect(isAlive(q.pid)).toBe(false);
    expect(existsSync(q.tmpDir)).toBe(false);
    await q.stop();
  });
});

describe('QEMU with a password', () => {
  it('needs the password (secret object)', async () => {
    const q = await startQemu({ password: 'pa,ss' });
    try {
      const c = await Conn.open(q.port);
      const reply = await linkMain(c);
      expect(await authenticate(c, reply, 'nope')).toBe(7);
      c.close();
      const { c: c2 } = await connectMain(q.port, 'pa,ss');
      c2.close();
    } finally {
      await q.stop();
    }
    expect(isAlive(q.pid)).toBe(false);
  });
});

// ---- the guest's CDC-ACM loopback contract, driven by a minimal usbredir echo device ----------

/**
 * A usbredir "host" (the role the client plays) emulating a full-speed CDC-ACM
 * device that echoes bulk OUT data on bulk IN. Speaks usbredir over a plain TCP
 * chardev (no SPICE), just enough for Linux's cdc_acm: 32-bit ids, caps
 * connect_device_version + ep_info_max_packet_size.
 */
function echoAcmDevice(port: number): { close(): void; bytes(): number } {
  const T = { hello: 0, connect: 1, reset: 3, ifInfo: 4, epInfo: 5, setCfg: 6, getCfg: 7, cfgStatus: 8 } as const;
  const U = { setAlt: 9, getAlt: 10, altStatus: 11, startInt: 15, stopInt: 16, intStatus: 17, cancel: 21, control: 100, bulk: 101 } as const;
  const bytes = (...a: number[]): Buffer => Buffer.from(a);
  const dev = bytes(18, 1, 0, 2, 2, 0, 0, 64, 0x41, 0x23, 0x43, 0x00, 0, 1, 1, 2, 3, 1);
  const ifs = Buffer.concat([
    bytes(9, 4, 0, 0, 1, 2, 2, 1, 0),
    bytes(5, 0x24, 0, 0x10, 1),
    bytes(5, 0x24, 1, 0, 1),
    bytes(4, 0x24, 2, 2),
    bytes(5, 0x24, 6, 0, 1),
    bytes(7, 5, 0x83, 3, 16, 0, 255),
    bytes(9, 4, 1, 0, 2, 0x0a, 0, 0, 0),
    bytes(7, 5, 0x02, 2, 64, 0, 0),
    bytes(7, 5, 0x82, 2, 64, 0, 0),
  ]);
  const cfg = Buffer.concat([bytes(9, 2, (9 + ifs.length) & 0xff, (9 + ifs.length) >> 8, 2, 1, 0, 0x80, 50), ifs]);
  const str = (t: string): Buffer => Buffer.concat([bytes(2 + 2 * t.length, 3), Buffer.from(t, 'utf16le')]);
  const strings: Record<number, Buffer> = { 0: bytes(4, 3, 9, 4), 1: str('Test'), 2: str('Echo ACM'), 3: str('0001') };

  const sock = new Socket();
  const send = (type: number, id: number, hdr: Buffer, data: Buffer = Buffer.alloc(0)): void => {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(type, 0);
    h.writeUInt32LE(hdr.length + data.length, 4);
    h.writeUInt32LE(id, 8);
    sock.write(Buffer.concat([h, hdr, data]));
  };
  const bulkHdr = (ep: number, status: number, len: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeUInt8(ep, 0);
    b.writeUInt8(status, 1);
    b.writeUInt16LE(len, 2);
    return b;
  };
  let buf: Buffer = Buffer.alloc(0);
  let echo: Buffer = Buffer.alloc(0);
  let total = 0;
  const pendingIn: { id: number; max: number }[] = [];
  const flushIn = (): void => {
    while (pendingIn.length && echo.length) {
      const { id, max } = pendingIn.shift()!;
      const chunk = echo.subarray(0, max);
      echo = echo.subarray(chunk.length);
      send(U.bulk, id, bulkHdr(0x82, 0, chunk.length), chunk);
    }
  };
  const handle = (type: number, id: number, body: Buffer): void => {
    switch (type) {
      case U.control: {
        const [req, rt] = [body[1]!, body[2]!];
        const value = body.readUInt16LE(4);
        const length = body.readUInt16LE(8);
        const data = body.subarray(10);
        let out: Buffer = Buffer.alloc(0);
        let status = 0;
        if (rt & 0x80) {
          if (req === 6 && value >> 8 === 1) out = dev;
          else if (req === 6 && value >> 8 === 2) out = cfg;
          else if (req === 6 && value >> 8 === 3 && strings[value & 0xff]) out = strings[value & 0xff]!;
          else if (req === 0) out = bytes(0, 0);
          else if (req === 0x21) out = bytes(0, 0xc2, 1, 0, 0, 0, 8);
          else status = 4; // stall (device qualifier and anything unknown)
          out = out.subarray(0, length);
        } else if (![0x20, 0x22, 0x23, 1, 3, 9, 11].includes(req)) status = 4;
        const h = Buffer.from(body.subarray(0, 10));
        h.writeUInt8(status, 3);
        h.writeUInt16LE(rt & 0x80 ? out.length : data.length, 8);
        send(U.control, id, h, out);
        break;
      }
      case T.setCfg:
        send(T.cfgStatus, id, bytes(0, body[0]!));
        break;
      case T.getCfg:
        send(T.cfgStatus, id, bytes(0, 1));
        break;
      case U.setAlt:
        send(U.altStatus, id, bytes(0, body[0]!, body[1]!));
        break;
      case U.getAlt:
        send(U.altStatus, id, bytes(0, body[0]!, 0));
        break;
      case U.startInt:
      case U.stopInt:
        send(U.intStatus, id, bytes(0, body[0]!));
        break;
      case U.bulk: {
        const ep = body[0]!;
        if (ep & 0x80) pendingIn.push({ id, max: body.readUInt16LE(2) });
        else {
          const data = body.subarray(8);
          total += data.length;
          echo = Buffer.concat([echo, data]);
          send(U.bulk, id, bulkHdr(ep, 0, data.length));
        }
        flushIn();
        break;
      }
      case U.cancel: {
        const i = pendingIn.findIndex((p) => p.id === id);
        if (i >= 0) {
          pendingIn.splice(i, 1);
          send(U.bulk, id, bulkHdr(0x82, 1, 0));
        }
        break;
      }
      default: // hello, reset, filters: nothing to answer
    }
  };
  sock.on('error', () => {});
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 12 && buf.length >= 12 + buf.readUInt32LE(4)) {
      const len = buf.readUInt32LE(4);
      handle(buf.readUInt32LE(0), buf.readUInt32LE(8), buf.subarray(12, 12 + len));
      buf = buf.subarray(12 + len);
    }
  });
  sock.connect(port, '127.0.0.1', () => {
    const caps = Buffer.alloc(4);
    caps.writeUInt32LE((1 << 1) | (1 << 4), 0); // connect_device_version, ep_info_max_packet_size
    send(T.hello, 0, Buffer.concat([Buffer.from('echo-acm'.padEnd(64, '\0')), caps]));
    const ii = Buffer.alloc(132);
    ii.writeUInt32LE(2, 0);
    ii[4] = 0;
    ii[5] = 1; // interface numbers
    ii[36] = 2;
    ii[37] = 0x0a; // classes
    ii[68] = 2; // subclass ACM
    ii[100] = 1; // protocol AT
    send(T.ifInfo, 0, ii);
    const ei = Buffer.alloc(160);
    ei.fill(255, 0, 32); // type invalid
    const ep = (idx: number, type: number, interval: number, iface: number, mps: number): void => {
      ei[idx] = type;
      ei[32 + idx] = interval;
      ei[64 + idx] = iface;
      ei.writeUInt16LE(mps, 96 + 2 * idx);
    };
    ep(0, 0, 0, 0, 64);
    ep(16, 0, 0, 0, 64);
    ep(19, 3, 255, 0, 16); // 0x83 interrupt IN
    ep(2, 2, 0, 1, 64); // 0x02 bulk OUT
    ep(18, 2, 0, 1, 64); // 0x82 bulk IN
    send(T.epInfo, 0, ei);
    const dc = Buffer.alloc(10);
    dc.writeUInt8(1, 0); // full speed
    dc.writeUInt8(2, 1); // class CDC
    dc.writeUInt16LE(0x2341, 4);
    dc.writeUInt16LE(0x0043, 6);
    dc.writeUInt16LE(0x0100, 8);
    send(T.connect, 0, dc);
  });
  return { close: () => sock.destroy(), bytes: () => total };
}

describe('guest CDC-ACM loopback', () => {
  it('enumerates a usb-redir CDC-ACM device and reports the echoed payload', async () => {
    const redirPort = await findFreePort();
    const n = 65536;
    const q = await startQemu({
      acmTest: n,
      extraArgs: ['-chardev', `socket,id=tcpur,host=127.0.0.1,port=${redirPort},server=on,wait=off`, '-device', 'usb-redir,chardev=tcpur,id=tcpredir'],
    });
    let dev: ReturnType<typeof echoAcmDevice> | undefined;
    try {
      await q.waitForSerial(GUEST.ready, 90_000);
      dev = echoAcmDevice(redirPort);
      await q.waitForSerial(/^USBDEV \S+ 2341:0043 speed=12 product=Echo ACM/m, 30_000);
      const sent = await q.waitForSerial(GUEST.acmSent, 60_000);
      const result = await q.waitForSerial(GUEST.acmResult, 60_000);
      const expected = md5Hex(acmPayload(n));
      expect([sent[1], sent[2]]).toEqual([String(n), expected]);
      expect([result[1], result[2]]).toEqual([String(n), expected]);
      expect(dev.bytes()).toBe(n);
    } finally {
      dev?.close();
      await q.stop();
    }
  });
});
