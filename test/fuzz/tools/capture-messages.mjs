#!/usr/bin/env node
// Records the server messages of a real spice-server session as fuzz seeds: every message of the main,
// display, cursor and inputs channels, as the framer delivers them (type and body), into one file per channel
// under test/fuzz/corpus/ (`xspice-<channel>.bin`: a stream of mini-header framed messages, type u16 LE,
// size u32 LE, body). Base messages (SET_ACK, PING...) and messages above --max-message bytes are left out.
//
// A minimal client over plain TCP (ticketing disabled: the ticket is an OAEP-encrypted empty password) with the
// mini header; it acks, pongs, sends DISPLAY_INIT, and runs --action commands on the X display meanwhile.
//   XSPICE_PORT=5987 XSPICE_DISABLE_TICKETING=1 Xorg -config test/fixtures/codecs/tools/xspice.conf -noreset :87 &
//   node test/fuzz/tools/capture-messages.mjs --port 5987 --display :87 --seconds 8 --action "xterm -e top"
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const port = Number(opt('port', '5987'));
const host = opt('host', '127.0.0.1');
const seconds = Number(opt('seconds', '8'));
const display = opt('display', ':87');
const maxMessage = Number(opt('max-message', String(24 * 1024)));
const maxPerChannel = Number(opt('max-bytes', String(256 * 1024)));
const actions = argv.flatMap((a, i) => (a === '--action' ? [argv[i + 1]] : []));
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../corpus');

/** A socket read as exact byte counts. */
function open() {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    let buf = Buffer.alloc(0);
    let closed = false;
    const waiting = [];
    const pump = () => {
      while (waiting.length) {
        const w = waiting[0];
        if (buf.length >= w.n) {
          waiting.shift();
          const b = buf.subarray(0, w.n);
          buf = buf.subarray(w.n);
          w.resolve(Buffer.from(b));
        } else if (closed) {
          waiting.shift().reject(new Error('closed'));
        } else return;
      }
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      pump();
    });
    sock.on('close', () => {
      closed = true;
      pump();
    });
    sock.on('error', reject);
    sock.on('connect', () =>
      resolve({
        sock,
        read: (n) => new Promise((res, rej) => (waiting.push({ n, resolve: res, reject: rej }), pump())),
        write: (b) => sock.write(b),
      }),
    );
  });
}

const u32 = (...v) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i));
  return b;
};

async function link(c, connectionId, type, channelCaps) {
  // SpiceLinkMess: connection id, type, id 0, 1 common cap word (auth selection, spice auth, mini header).
  const mess = Buffer.concat([u32(connectionId), Buffer.from([type, 0]), u32(1, channelCaps.length, 18, 0b1011), u32(...channelCaps)]);
  c.write(Buffer.concat([u32(0x51444552, 2, 2, mess.length), mess]));
  const header = await c.read(16);
  const reply = await c.read(header.readUInt32LE(12));
  if (reply.readUInt32LE(0) !== 0) throw new Error(`link error ${reply.readUInt32LE(0)}`);
  const key = crypto.createPublicKey({ key: reply.subarray(4, 166), format: 'der', type: 'spki' });
  const ticket = crypto.publicEncrypt({ key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from([0]));
  c.write(Buffer.concat([u32(1), ticket]));
  if ((await c.read(4)).readUInt32LE(0) !== 0) throw new Error('link refused');
}

function send(c, type, body = Buffer.alloc(0)) {
  const h = Buffer.alloc(6);
  h.writeUInt16LE(type, 0);
  h.writeUInt32LE(body.length, 2);
  c.write(Buffer.concat([h, body]));
}

/** Reads messages until the connection closes; answers base messages; records the rest. */
async function record(c, name, onMessage = () => {}) {
  const chunks = [];
  let bytes = 0;
  let kept = 0;
  let window = 0;
  let received = 0;
  try {
    for (;;) {
      const h = await c.read(6);
      const type = h.readUInt16LE(0);
      const body = await c.read(h.readUInt32LE(2));
      received++;
      if (window && received % window === 0) send(c, 2); // ACK
      if (type === 3) {
        window = body.readUInt32LE(4);
        send(c, 1, body.subarray(0, 4)); // ACK_SYNC
      } else if (type === 4) send(c, 3, body.subarray(0, 12)); // PONG
      onMessage(type, body);
      if (type < 101 || body.length > maxMessage || bytes + 6 + body.length > maxPerChannel) continue;
      chunks.push(h, body);
      bytes += 6 + body.length;
      kept++;
    }
  } catch (e) {
    if (!String(e).includes('closed')) throw e;
  }
  fs.writeFileSync(path.join(out, `xspice-${name}.bin`), Buffer.concat(chunks));
  console.log(`${name}: ${received} messages, kept ${kept} (${bytes} bytes)`);
}

fs.mkdirSync(out, { recursive: true });
const main = await open();
await link(main, 0, 1, []);
let sessionId = 0;
const gotInit = new Promise((resolve) => {
  const done = record(main, 'main', (type, body) => {
    if (type === 103) {
      sessionId = body.readUInt32LE(0);
      resolve();
    }
  });
  main.done = done;
});
await gotInit;
send(main, 104); // ATTACH_CHANNELS
const channels = [];
for (const [type, name, caps] of [
  [2, 'display', [(1 << 5) | (1 << 6)]], // LZ4, PREF_COMPRESSION
  [4, 'cursor', []],
  [3, 'inputs', []],
]) {
  const c = await open();
  await link(c, sessionId, type, caps);
  if (type === 2) {
    const init = Buffer.alloc(14);
    init.writeUInt8(1, 0);
    init.writeBigInt64LE(16n * 1024n * 1024n, 1);
    init.writeUInt8(1, 9);
    init.writeInt32LE(8 * 1024 * 1024, 10);
    send(c, 101, init);
  }
  channels.push({ c, done: record(c, name) });
}
for (const a of actions) {
  await new Promise((r) => setTimeout(r, 800));
  execFile('sh', ['-c', a], { env: { ...process.env, DISPLAY: display } }, () => {});
}
await new Promise((r) => setTimeout(r, seconds * 1000));
for (const { c } of channels) c.sock.destroy();
main.sock.destroy();
await Promise.all([main.done, ...channels.map((x) => x.done)]);
