/**
 * USB redirection throughput through the engine's whole path: usbredir channel (SPICE framing, spicevmc
 * data), the session's USB manager, UsbHost, and the device — the FakeCdcAcmDevice loopback, served either
 * the way Chromium's worker WebUSB would (`worker`) or from "the page" through a device port over a
 * MessageChannel (`page`), as in the browser. Two ends:
 *
 * 1. A scripted usbredir guest in this process (no VM): it keeps a number of bulk OUT and bulk IN requests
 *    in flight and counts the bytes that come back. This is what our code alone can move.
 * 2. QEMU with the small Linux guest (when qemu-system-x86_64 is installed; BENCH_USB_QEMU=0 skips it): a
 *    real SPICE server and usb-redir device, the session over plain TCP (spice-server takes SPICE and
 *    WebSocket on one port), and the guest's CDC-ACM loopback (acmtest: it writes N bytes to /dev/ttyACM0
 *    and reads N back); the time from its "ACM DEVICE" line to "ACM RESULT" gives MB/s (this includes the
 *    guest script building its payload and its md5 sums), and the "data window" — from the first byte the
 *    device receives to the last byte it hands back — gives the transfer alone. The device side also counts
 *    the bulk transfers: their size and how many were in flight at once show what the guest's host
 *    controller lets through (see README, USB throughput).
 *
 * Numbers are MB/s per direction, both directions at once. Run with `npm run bench` (or `npm run bench usb`;
 * BENCH_USB_SCRIPTED=0 skips part 1, BENCH_USB_VIA=worker|page keeps one route in it, BENCH_USB_ACM_BYTES sets the loopback size, default 2 MiB,
 * BENCH_USB_SPEED=high|full runs one device speed only, BENCH_USB_UHCI_BANDWIDTH=N gives QEMU's UHCI
 * controllers N bytes per frame instead of 1280 (a diagnostic), BENCH_USB_CONTROLLER=ehci|xhci runs one of the
 * guest's two USB controller set-ups (both by default: EHCI with UHCI companions, and xHCI); the guest gives
 * its loopback 20 s).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineEvent } from '../src/api/engine-api.js';
import { openUsbDevicePort, type UsbDevicePortHandle } from '../src/controllers/usb-device-port.js';
import { Session } from '../src/engine/session.js';
import type { TransportFactory } from '../src/engine/transport.js';
import { MainMsg, SpicevmcMsg, SpicevmcMsgc } from '../src/protocol/constants.js';
import { Writer } from '../src/protocol/writer.js';
import { usbDeviceKey } from '../src/usb/device-key.js';
import { capsWords, UsbredirStream, type UsbredirPacket } from '../src/usb/usbredir/index.js';
import { UsbredirType } from '../src/usb/usbredir/index.js';
import type { UsbDeviceLike } from '../src/usb/webusb-types.js';
import { fakeCdcTransform, FakeCdcAcmDevice } from '../test/fakes/usb/cdc-acm-device.js';
import { lastUsbListing } from '../test/servers/guest.js';
import { buildQemuArgs } from '../test/servers/qemu.js';
import { findFreePort, isPortOpen } from '../test/servers/ports.js';
import { spawnTracked, terminate } from '../test/servers/procs.js';
import { fakeNetwork, type FakeConnection } from '../test/unit/engine/fake-server.js';
import { tcpTransport } from '../test/unit/usb/tcp-transport.js';

declare const __benchRoot: string;

const T = UsbredirType;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mbps = (bytes: number, ms: number) => (bytes / (ms / 1000) / 1e6).toFixed(2);

/**
 * How the engine finds the device: as Chromium's worker WebUSB (navigator.usb in the worker lists it), or
 * through the page's device port. The engine reads navigator.usb when a session starts.
 */
const pagePorts: UsbDevicePortHandle[] = [];

function deviceRoute(device: UsbDeviceLike, via: 'worker' | 'page'): MessagePort | undefined {
  const usb = via === 'worker' ? { getDevices: async () => [device], addEventListener() {}, removeEventListener() {} } : undefined;
  Object.defineProperty(globalThis, 'navigator', { value: usb ? { usb } : undefined, configurable: true, writable: true });
  if (via === 'worker') return undefined;
  const handle = openUsbDevicePort(device);
  pagePorts.push(handle);
  return handle.port;
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1. A scripted guest

async function scripted(packet: number, inflight: number, total: number, via: 'worker' | 'page'): Promise<string> {
  const device = new FakeCdcAcmDevice({ keepWritten: false, highSpeed: packet >= 512 });
  const port = deviceRoute(device, via); // before the session: it reads navigator.usb when it starts
  const net = fakeNetwork();
  const session = new Session({ url: 'ws://bench', linkChannelTypes: ['usbredir'] }, () => {}, net.factory);
  void session.start();
  const link = async (conn: FakeConnection) => {
    conn.open();
    conn.replyLink(0, []);
    await sleep(20);
    conn.linkResult(0);
  };
  const main = net.connections[0]!;
  await link(main);
  main.message(MainMsg.Init, new Writer().u32(1).u32(1).u32(3).u32(1).u32(0).u32(10).u32(0).u32(0).finish());
  main.message(MainMsg.ChannelsList, new Writer().u32(1).u8(9).u8(0).finish());
  await sleep(10);
  const conn = net.connections[1]!;
  await link(conn);

  // The guest: parses what the client sends as it arrives and answers at once.
  const guest = new UsbredirStream({ role: 'guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) });
  const send = (p: UsbredirPacket) => conn.message(SpicevmcMsg.Data, guest.encode(p));
  let read = 0;
  let outDone = 0;
  let inDone = 0;
  let nextId = 1n;
  let started = false;
  let sentOut = 0;
  let askedIn = 0;
  const payload = new Uint8Array(packet).fill(0x61);
  const out = () => {
    if (sentOut >= total) return;
    sentOut += packet;
    send({ type: T.BulkPacket, id: nextId++, endpoint: 0x02, status: 0, length: packet, streamId: 0, data: payload });
  };
  const ask = () => {
    if (askedIn >= total) return;
    askedIn += packet;
    send({ type: T.BulkPacket, id: nextId++, endpoint: 0x82, status: 0, length: packet, streamId: 0, data: new Uint8Array() });
  };
  const receive = conn.receive.bind(conn);
  conn.receive = (bytes: Uint8Array) => {
    receive(bytes);
    const messages = conn.messages;
    for (; read < messages.length; read++) {
      const m = messages[read]!;
      if (m.type !== SpicevmcMsgc.Data) continue;
      for (const p of guest.push(m.body)) {
        if (p.type !== T.BulkPacket || !started) continue;
        if (p.endpoint === 0x02) {
          outDone += p.length;
          out();
        } else {
          inDone += p.data.byteLength;
          ask();
        }
      }
    }
    // Nothing kept: megabytes pass through.
    conn.messages.length = 0;
    conn.sent.length = 0;
    read = 0;
  };
  conn.message(SpicevmcMsg.Data, guest.encode({ type: T.Hello, id: 0n, version: 'bench usb-redir guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) }));

  const redirected = session.usb.redirect(usbDeviceKey(device), port);
  // Like QEMU: the first request after device_connect (the device is taken at once).
  await until('device_connect', () => session.usb.status().devices[0]?.state === 'redirecting' && session.usb.traffic()[0]!.bytesOut > 100, 5000);
  send({ type: T.ControlPacket, id: nextId++, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x100, index: 0, length: 18, data: new Uint8Array() });
  const result = await redirected;
  if (!result.ok) throw new Error(result.message);

  started = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < inflight; i++) {
    out();
    ask();
  }
  await until('the transfers', () => outDone >= total && inDone >= total, 120_000);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  session.disconnect();
  // CPU per transfer counts this whole process: the scripted guest's side of each packet too.
  const transfers = (2 * total) / packet;
  return `${mbps(total, ms)} MB/s  ${((cpu.user + cpu.system) / transfers).toFixed(1).padStart(6)} µs CPU per transfer`;
}

// ---------------------------------------------------------------------------------------------------------
// 2. QEMU and the Linux guest

function guestImage(): { kernel: string; initrd: string } | undefined {
  try {
    const out = execFileSync('bash', ['scripts/build-guest.sh'], { cwd: __benchRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const kernel = /^KERNEL=(.+)$/m.exec(out)?.[1];
    const initrd = /^INITRD=(.+)$/m.exec(out)?.[1];
    return kernel && initrd ? { kernel, initrd } : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time QEMU (guest, USB emulation and spice-server) has used so far, in ms, from /proc (0 when unreadable). */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1')
      .replace(/^.*\) /, '')
      .split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return 0;
  }
}

/**
 * The guest's USB controller: `ehci` is EHCI with UHCI companions (full-speed devices go to a UHCI, with USB 1.1's
 * 1280 bytes per 1 ms frame), as oVirt's i440fx VMs have it; `xhci` is QEMU's xHCI (qemu-xhci), as oVirt's q35
 * VMs have it, where a full-speed device has no such budget.
 */
type Controller = 'ehci' | 'xhci';

/** QEMU's arguments for `controller` instead of the EHCI + UHCI set buildQemuArgs puts in. */
function withController(args: string[], controller: Controller): string[] {
  if (controller === 'ehci') return args;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-device' && /^ich9-usb-[eu]hci/.test(args[i + 1] ?? '')) {
      if (args[i + 1]!.startsWith('ich9-usb-ehci1')) out.push('-device', 'qemu-xhci,id=usb,p2=8,p3=8');
      i++;
      continue;
    }
    out.push(args[i]!);
  }
  return out;
}

async function withQemu(acmBytes: number, controller: Controller, run: (url: string, serial: () => string, qemuCpuMs: () => number) => Promise<void>): Promise<void> {
  const guest = guestImage();
  if (!guest) {
    console.log('  (skipped: the test guest does not build here)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'spice-bench-usb-'));
  const port = await findFreePort();
  const serialPath = join(dir, 'serial.log');
  const args = withController(
    buildQemuArgs(
      { usbredirSlots: 1, qxlDevices: 0, acmTest: acmBytes },
      { port, kernel: guest.kernel, initrd: guest.initrd, serial: serialPath, qmp: join(dir, 'qmp.sock') },
    ),
    controller,
  ).map((a) =>
    // Diagnostic: QEMU's UHCI lets 1280 bytes through per 1 ms frame (USB 1.1's full-speed budget, its
    // `bandwidth` property); a larger budget shows whether that is what limits a full-speed device.
    process.env.BENCH_USB_UHCI_BANDWIDTH && a.startsWith('ich9-usb-uhci') ? `${a},bandwidth=${process.env.BENCH_USB_UHCI_BANDWIDTH}` : a,
  );
  const qemu = spawnTracked('qemu-system-x86_64', args, { cwd: dir, watchdogRemoves: dir });
  const serial = () => (existsSync(serialPath) ? readFileSync(serialPath, 'latin1') : '');
  let stderr = '';
  qemu.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  qemu.child.stdout?.resume();
  try {
    for (let i = 0; i < 900 && !qemu.hasExited && !(await isPortOpen(port)); i++) await sleep(100);
    await until('the guest', () => /GUEST READY/.test(serial()), 120_000);
    await run(`ws://127.0.0.1:${port}`, serial, () => processCpuMs(qemu.child.pid));
  } catch (e) {
    console.log(`  FAILED: ${(e as Error).message}${stderr ? `\n  QEMU: ${stderr.trim().split('\n').join('\n  QEMU: ')}` : ''}`);
  } finally {
    await terminate(qemu);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Watches the data endpoints of a device from the device's side: when the first byte arrived and the last
 * expected byte left (the data window, free of the guest script's set-up and md5 time), and how the guest's
 * bulk IN requests went: how many, bytes per request, how many found data waiting. Wraps the instance's
 * transferIn / transferOut.
 */
function watchDataEndpoints(device: FakeCdcAcmDevice, expected: number, qemuCpuMs: () => number) {
  const w = {
    cpu0: process.cpuUsage(),
    qemu0: 0,
    nodeCpuMs: 0,
    qemuCpuMs: 0,
    firstOut: 0,
    lastIn: 0,
    inBytes: 0,
    inCalls: 0,
    inWaited: 0,
    outCalls: 0,
    maxOutInFlight: 0,
    outInFlight: 0,
    maxInInFlight: 0,
    inInFlight: 0,
  };
  const transferIn = device.transferIn.bind(device);
  const transferOut = device.transferOut.bind(device);
  device.transferIn = async (ep, length) => {
    if (ep !== 2) return transferIn(ep, length);
    w.inCalls++;
    w.inInFlight++;
    w.maxInInFlight = Math.max(w.maxInInFlight, w.inInFlight);
    const t = performance.now();
    try {
      const r = await transferIn(ep, length);
      if (performance.now() - t > 0.2) w.inWaited++;
      w.inBytes += r.data?.byteLength ?? 0;
      if (w.inBytes >= expected && !w.lastIn) {
        w.lastIn = performance.now();
        const cpu = process.cpuUsage(w.cpu0);
        w.nodeCpuMs = (cpu.user + cpu.system) / 1000;
        w.qemuCpuMs = qemuCpuMs() - w.qemu0;
      }
      return r;
    } finally {
      w.inInFlight--;
    }
  };
  device.transferOut = async (ep, data) => {
    if (ep !== 2) return transferOut(ep, data);
    if (!w.firstOut) {
      w.firstOut = performance.now();
      w.cpu0 = process.cpuUsage();
      w.qemu0 = qemuCpuMs();
    }
    w.outCalls++;
    w.outInFlight++;
    w.maxOutInFlight = Math.max(w.maxOutInFlight, w.outInFlight);
    try {
      return await transferOut(ep, data);
    } finally {
      w.outInFlight--;
    }
  };
  return w;
}

async function guestLoopback(
  url: string,
  serial: () => string,
  qemuCpuMs: () => number,
  acmBytes: number,
  runs: readonly { highSpeed: boolean; via: 'worker' | 'page' }[],
): Promise<void> {
  const expected = createHash('md5')
    .update(fakeCdcTransform(Uint8Array.from({ length: acmBytes }, (_, i) => i & 0xff)))
    .digest('hex');
  for (const [i, r] of runs.entries()) {
    const device = new FakeCdcAcmDevice({ keepWritten: true, highSpeed: r.highSpeed, serialNumber: `BENCH${i}` });
    const watch = watchDataEndpoints(device, acmBytes, qemuCpuMs);
    const port = deviceRoute(device, r.via);
    // A fresh session per device: it reads navigator.usb when it starts.
    const events: EngineEvent[] = [];
    const session = new Session({ url, linkChannelTypes: ['usbredir'] }, (e) => events.push(e), tcpTransport as TransportFactory);
    await session.start();
    const since = serial().length;
    const result = await session.usb.redirect(usbDeviceKey(device), port);
    if (!result.ok) throw new Error(`redirect: ${result.message}`);
    await until('the tty', () => /ACM DEVICE/.test(serial().slice(since)), 60_000);
    const t0 = performance.now();
    // The whole line: the serial log may be read while the guest is still writing it.
    await until('the loopback', () => /ACM RESULT \d* [0-9a-f]{32}/.test(serial().slice(since)), 60_000);
    const ms = performance.now() - t0;
    const m = /ACM RESULT (\d*) ([0-9a-f]+)/.exec(serial().slice(since)) ?? ['', 'no', ''];
    const ok = Number(m[1]) === acmBytes && m[2] === expected;
    // The device's own view of the OUT direction: exactly the guest's payload, in order?
    const written = device.written;
    const outIntact = written.byteLength === acmBytes && written.every((b, k) => b === (k & 0xff));
    if (!ok || !outIntact) {
      const line = /ACM RESULT[^\n]*/.exec(serial().slice(since))?.[0];
      console.log(`  check: guest says "${line}", expected md5 ${expected}; the device received the payload ${outIntact ? 'intact' : 'DAMAGED'}`);
    }
    const compressed = session.linkedChannels(9).reduce((n, c) => n + (c.received.get(SpicevmcMsg.CompressedData) ?? 0), 0);
    const dataMs = watch.lastIn - watch.firstOut;
    console.log(
      `  ${r.highSpeed ? 'high' : 'full'}-speed device, ${r.via.padEnd(6)} ${ok ? `${mbps(acmBytes, ms).padStart(6)} MB/s` : `FAILED (${m[1]} bytes back)`}` +
        `   data window ${watch.lastIn ? `${mbps(acmBytes, dataMs).padStart(6)} MB/s` : 'n/a'}` +
        `   (${acmBytes / 1048576} MiB each way, ${compressed} LZ4-compressed spicevmc messages from the server)`,
    );
    console.log(
      `      device side: ${watch.outCalls} bulk OUT transfers (${(acmBytes / Math.max(1, watch.outCalls)).toFixed(0)} B each, up to ${watch.maxOutInFlight} at once),` +
        ` ${watch.inCalls} bulk IN transfers (${(watch.inBytes / Math.max(1, watch.inCalls)).toFixed(0)} B each, up to ${watch.maxInInFlight} at once, ${watch.inWaited} waited for data);` +
        ` CPU in the data window: this process ${watch.nodeCpuMs.toFixed(0)} ms, QEMU ${watch.qemuCpuMs.toFixed(0)} ms, of ${dataMs.toFixed(0)} ms`,
    );
    await session.usb.release(usbDeviceKey(device));
    session.disconnect();
    const gone = serial().length;
    await until(
      'the guest to drop the device',
      () => {
        const log = serial().slice(gone);
        return /USBTICK/.test(log) && !lastUsbListing(log).some((d) => d.vendorId === 0x2341);
      },
      30_000,
    );
    await sleep(1500); // QEMU waits a moment after a detach before it attaches the next device
  }
}

console.log('\nUSB redirection throughput, MB/s per direction (both directions at once)');
console.log(' scripted usbredir guest in this process (SPICE framing, usbredir, UsbHost, fake device):');
for (const via of process.env.BENCH_USB_SCRIPTED === '0'
  ? []
  : (['worker', 'page'] as const).filter((v) => !process.env.BENCH_USB_VIA || v === process.env.BENCH_USB_VIA)) {
  for (const [packet, inflight] of [
    [64, 1],
    [64, 16],
    [16384, 4],
  ] as const) {
    const total = packet === 64 ? (inflight === 1 ? 256 * 1024 : 2 * 1024 * 1024) : 32 * 1024 * 1024;
    console.log(
      `  ${String(packet).padStart(5)}-byte packets, ${String(inflight).padStart(2)} in flight, ${via.padEnd(6)} ${(await scripted(packet, inflight, total, via)).padStart(40)}`,
    );
  }
}

const haveQemu = (() => {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (process.env.BENCH_USB_QEMU === '0' || !haveQemu) {
  console.log(' QEMU + Linux guest: skipped (BENCH_USB_QEMU=0 or no qemu-system-x86_64)');
} else {
  const acmBytes = Number(process.env.BENCH_USB_ACM_BYTES) || 2 * 1024 * 1024;
  for (const controller of (['ehci', 'xhci'] as const).filter((c) => !process.env.BENCH_USB_CONTROLLER || process.env.BENCH_USB_CONTROLLER === c)) {
    console.log(
      ` QEMU 7.2 + Linux guest (TCG), ${controller === 'ehci' ? 'EHCI + UHCI companions' : 'xHCI (qemu-xhci)'}, session over TCP, guest CDC-ACM loopback through /dev/ttyACM0:`,
    );
    await withQemu(acmBytes, controller, (url, serial, qemuCpuMs) =>
      guestLoopback(
        url,
        serial,
        qemuCpuMs,
        acmBytes,
        (
          [
            { highSpeed: true, via: 'worker' },
            { highSpeed: true, via: 'page' },
            { highSpeed: false, via: 'worker' },
          ] as const
        ).filter((r) => !process.env.BENCH_USB_SPEED || process.env.BENCH_USB_SPEED === (r.highSpeed ? 'high' : 'full')),
      ),
    );
  }
}
