/**
 * QEMU for end-to-end tests: a virtual machine with the device layout of an
 * oVirt VM with native USB (QXL displays, the SPICE agent's virtio-serial port,
 * EHCI + three UHCI companions and one spicevmc usb-redir device per USB slot),
 * booting the tiny guest of guest.ts. Owns the QEMU process, its temp dir
 * (serial log, QMP socket) and the serial console contract helpers
 * (`serialLog`, `waitForSerial`); `qmp()` sends one QMP command for tests that
 * need to poke the machine (query-spice, device_del, ...).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGuest } from './guest.js';
import { findFreePort, isPortOpen } from './ports.js';
import { collect, execTracked, registerTempDir, spawnTracked, terminate, unregisterTempDir, waitFor, type Tracked } from './procs.js';

export interface QemuOptions {
  /** Number of QXL devices: the first is `-vga qxl`, each further one `-device qxl` (default 1). */
  qxlDevices?: number;
  /** usb-redir devices on spicevmc "usbredir" chardevs, 0..6 (default 0; oVirt's default is 4). */
  usbredirSlots?: number;
  /**
   * usbredir filter for every slot, in usbredir's rule syntax
   * "class,vendor,product,version,allow|..." (or with ':' already): ',' is
   * turned into ':' as QEMU's `filter=` property requires.
   */
  usbFilter?: string;
  /** virtio-serial + spicevmc vdagent chardev + virtserialport com.redhat.spice.0 (the guest holds it open). */
  agent?: boolean;
  /** SPICE ticket password (passed through `-object secret`); without it ticketing is disabled. */
  password?: string;
  /** Appended to the `-spice` option, e.g. "image-compression=off,streaming-video=all". */
  spiceOptions?: string;
  /** Extra kernel command line, e.g. "acmtest=65536". */
  append?: string;
  /** Shorthand for append "acmtest=N": the guest's CDC-ACM loopback test size. */
  acmTest?: number;
  /** Guest RAM in MiB (default 256). */
  memoryMb?: number;
  /** 'tcg' (default; KVM hung on the development machine) or 'kvm'. Env SPICE_TEST_QEMU_ACCEL overrides the default. */
  accel?: 'tcg' | 'kvm';
  /** Fixed SPICE port instead of a free one. */
  port?: number;
  /** Also wait until the guest prints GUEST READY (default false). */
  waitForGuest?: boolean;
  /** More QEMU arguments, appended last. */
  extraArgs?: string[];
  /** Timeout for the SPICE port (and GUEST READY with waitForGuest); default 90 s. */
  startTimeoutMs?: number;
}

export interface Qemu {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** ws://127.0.0.1:PORT — spice-server accepts a WebSocket upgrade on its plain port. */
  readonly url: string;
  readonly password: string | undefined;
  readonly pid: number;
  readonly tmpDir: string;
  /** The full command line QEMU was started with. */
  readonly args: readonly string[];
  /** Everything the guest printed on its serial console so far. */
  serialLog(): Promise<string>;
  /**
   * Resolves with the first match of `re` in the serial log (from character
   * offset `since`, default 0), polling until `timeoutMs` (default 60 s).
   */
  waitForSerial(re: RegExp, timeoutMs?: number, since?: number): Promise<RegExpMatchArray>;
  /** Sends one QMP command and resolves with its "return" value (rejects on "error"). */
  qmp(execute: string, args?: Record<string, unknown>): Promise<unknown>;
  /** The last 256 KiB of QEMU's stderr (spice-server logs there; G_MESSAGES_DEBUG=Spice makes it talk). */
  stderr(): string;
  /**
   * What a failing test should print about the machine: the process alive or not, QMP query-status and
   * query-chardev (each bounded), whether the SPICE port accepts a connection and answers a link, the threads'
   * stacks (gdb, when installed) and the tail of stderr. Never throws.
   */
  diagnose(): Promise<string>;
  /** Kills QEMU and removes tmpDir. Idempotent. */
  stop(): Promise<void>;
}

/** oVirt's USB controllers: one EHCI with its three UHCI companions (QEMU's ich9 set), as QEMU arguments. */
export const EHCI_WITH_UHCI_COMPANIONS: readonly string[] = [
  '-device',
  'ich9-usb-ehci1,id=usb',
  '-device',
  'ich9-usb-uhci1,masterbus=usb.0,firstport=0,multifunction=on',
  '-device',
  'ich9-usb-uhci2,masterbus=usb.0,firstport=2',
  '-device',
  'ich9-usb-uhci3,masterbus=usb.0,firstport=4',
];

/** Escapes a value for QEMU's comma-separated option syntax. */
const qopt = (v: string): string => v.replace(/,/g, ',,');

export function buildQemuArgs(o: QemuOptions, p: { port: number; kernel: string; initrd: string; serial: string; qmp: string }): string[] {
  const qxl = o.qxlDevices ?? 1;
  const slots = o.usbredirSlots ?? 0;
  if (!Number.isInteger(qxl) || qxl < 0 || qxl > 4) throw new RangeError(`qxlDevices must be 0..4, got ${qxl}`);
  if (!Number.isInteger(slots) || slots < 0 || slots > 6) throw new RangeError(`usbredirSlots must be 0..6, got ${slots}`);
  const accel = o.accel ?? ((process.env.SPICE_TEST_QEMU_ACCEL as 'tcg' | 'kvm' | undefined) || 'tcg');
  const append = ['console=ttyS0', 'quiet', 'loglevel=3', 'panic=1'];
  if (o.acmTest !== undefined) append.push(`acmtest=${o.acmTest}`);
  if (o.append) append.push(o.append);

  const spice = [`port=${p.port}`, 'addr=127.0.0.1'];
  const args: string[] = [
    '-accel',
    accel,
    '-machine',
    'pc',
    '-m',
    String(o.memoryMb ?? 256),
    '-nodefaults',
    '-no-user-config',
    '-no-reboot',
    '-display',
    'none',
    '-kernel',
    p.kernel,
    '-initrd',
    p.initrd,
    '-append',
    append.join(' '),
    '-serial',
    `file:${p.serial}`,
    '-qmp',
    `unix:${p.qmp},server=on,wait=off`,
  ];
  if (o.password !== undefined) {
    args.push('-object', `secret,id=spicepw,data=${qopt(o.password)}`);
    spice.push('password-secret=spicepw');
  } else {
    spice.push('disable-ticketing=on');
  }
  if (o.spiceOptions) spice.push(o.spiceOptions);
  args.push('-spice', spice.join(','));
  if (qxl > 0) args.push('-vga', 'qxl');
  for (let i = 1; i < qxl; i++) args.push('-device', `qxl,id=qxl${i}`);
  if (o.agent) {
    args.push(
      '-device',
      'virtio-serial-pci,id=vser0',
      '-chardev',
      'spicevmc,id=vdagent,name=vdagent',
      '-device',
      'virtserialport,bus=vser0.0,chardev=vdagent,name=com.redhat.spice.0',
    );
  }
  args.push(...EHCI_WITH_UHCI_COMPANIONS);
  const filter = o.usbFilter?.replace(/,/g, ':');
  for (let i = 1; i <= slots; i++) {
    args.push('-chardev', `spicevmc,name=usbredir,id=ur${i}`, '-device', `usb-redir,chardev=ur${i},id=redir${i}${filter ? `,filter=${filter}` : ''}`);
  }
  if (o.extraArgs) args.push(...o.extraArgs);
  return args;
}

class StartRace extends Error {}

/** Starts QEMU with the test guest; resolves once the SPICE port accepts connections. */
export async function startQemu(opts: QemuOptions = {}): Promise<Qemu> {
  const guest = await ensureGuest();
  const attempts = opts.port !== undefined ? 1 : 3;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts, guest.kernel, guest.initrd);
    } catch (e) {
      lastErr = e;
      if (!(e instanceof StartRace)) throw e;
    }
  }
  throw lastErr;
}

async function startOnce(opts: QemuOptions, kernel: string, initrd: string): Promise<Qemu> {
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  const port = opts.port ?? (await findFreePort());
  const tmpDir = await mkdtemp(join(tmpdir(), 'spice-qemu-'));
  registerTempDir(tmpDir);
  const serial = join(tmpDir, 'serial.log');
  const qmpPath = join(tmpDir, 'qmp.sock');
  const args = buildQemuArgs(opts, { port, kernel, initrd, serial, qmp: qmpPath });

  const proc: Tracked = spawnTracked('qemu-system-x86_64', args, { cwd: tmpDir, watchdogRemoves: tmpDir });
  const out = collect(proc.child.stdout, 64 * 1024);
  const err = collect(proc.child.stderr, 256 * 1024);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await terminate(proc);
    await rm(tmpDir, { recursive: true, force: true });
    unregisterTempDir(tmpDir);
  };
  const serialLog = async (): Promise<string> => (existsSync(serial) ? readFile(serial, 'latin1') : '');

  const waitForSerial = async (re: RegExp, waitMs = 60_000, since = 0): Promise<RegExpMatchArray> => {
    const once = new RegExp(re.source, re.flags.replace('g', ''));
    try {
      return await waitFor(
        async () => {
          const m = once.exec((await serialLog()).slice(since));
          if (m) return m;
          if (proc.hasExited) throw new Error(`QEMU exited (${err().slice(-2000)})`);
          return null;
        },
        `${re} on the serial console`,
        waitMs,
        100,
      );
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- serial log (tail)\n${(await serialLog()).slice(-3000)}`;
      throw e;
    }
  };

  try {
    await waitFor(
      async () => {
        if (proc.hasExited) {
          const msg = `qemu-system-x86_64 exited early (port ${port}): ${err().slice(-3000)}${out().slice(-500)}`;
          throw /address already in use|failed to initialize spice|spice_server_init/i.test(msg) ? new StartRace(msg) : new Error(msg);
        }
        return isPortOpen(port);
      },
      `QEMU SPICE port ${port}`,
      timeoutMs,
      100,
    );
    if (opts.waitForGuest) await waitForSerial(/^GUEST READY/m, timeoutMs);
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    port,
    host: '127.0.0.1',
    url: `ws://127.0.0.1:${port}`,
    password: opts.password,
    pid: proc.pid,
    tmpDir,
    args,
    serialLog,
    waitForSerial,
    qmp: (execute, qargs) => qmpCommand(qmpPath, execute, qargs),
    stderr: err,
    diagnose: () => diagnoseQemu(proc, qmpPath, port, err),
    stop,
  };
}

const settle = async (what: string, p: Promise<unknown>): Promise<string> => {
  try {
    return `${what}: ${JSON.stringify(await p)}`;
  } catch (e) {
    return `${what}: FAILED ${(e as Error).message}`;
  }
};

/**
 * Connects to the SPICE port and sends a link message for the main channel (SpiceLinkHeader "REDQ" 2.2 and
 * an 18-byte SpiceLinkMess with no capabilities); resolves with what came back within `ms`.
 */
export function probeSpiceLink(port: number, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    let connected = false;
    let got = Buffer.alloc(0);
    const done = (why: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(
        `${connected ? 'TCP connected' : 'TCP not connected'}; ${why}; ${got.length} bytes back${got.length >= 4 ? ` (magic ${got.subarray(0, 4).toString('latin1')})` : ''}`,
      );
    };
    const timer = setTimeout(() => done(`no link reply within ${ms} ms`), ms);
    sock.on('connect', () => {
      connected = true;
      const head = Buffer.alloc(16);
      head.write('REDQ', 0, 'latin1');
      head.writeUInt32LE(2, 4);
      head.writeUInt32LE(2, 8);
      head.writeUInt32LE(18, 12);
      const mess = Buffer.alloc(18);
      mess.writeUInt32LE(0, 0); // connection_id
      mess[4] = 1; // main
      mess[5] = 0;
      mess.writeUInt32LE(0, 6);
      mess.writeUInt32LE(0, 10);
      mess.writeUInt32LE(18, 14); // caps_offset
      sock.write(Buffer.concat([head, mess]));
    });
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 16) done('link reply');
    });
    sock.on('error', (e) => done(`error ${e.message}`));
    sock.on('close', () => done('closed by the server'));
  });
}

async function diagnoseQemu(proc: Tracked, qmpPath: string, port: number, err: () => string): Promise<string> {
  const lines = [`--- QEMU diagnosis (pid ${proc.pid}, ${proc.hasExited ? 'EXITED' : 'running'})`];
  if (!proc.hasExited) {
    lines.push(await settle('query-status', qmpCommand(qmpPath, 'query-status', undefined, 5000)));
    lines.push(await settle('query-chardev', qmpCommand(qmpPath, 'query-chardev', undefined, 5000)));
    lines.push(`SPICE link probe: ${await probeSpiceLink(port)}`);
    try {
      const r = await execTracked('gdb', ['-p', String(proc.pid), '-batch', '-nx', '-ex', 'thread apply all bt 25'], { timeoutMs: 60_000 });
      lines.push(
        '--- gdb thread stacks',
        r.stdout
          .split('\n')
          .filter((l) => /^(Thread|#)/.test(l))
          .join('\n'),
      );
    } catch (e) {
      lines.push(`gdb: ${(e as Error).message}`);
    }
  }
  lines.push('--- stderr (tail)', err().slice(-6000));
  return lines.join('\n');
}

/** One QMP exchange over the unix socket: greeting, qmp_capabilities, the command. */
export function qmpCommand(path: string, execute: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    let stage = 0; // 0 greeting, 1 capabilities sent, 2 command sent
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`QMP ${execute}: timeout`));
    }, timeoutMs);
    const finish = (f: () => void): void => {
      clearTimeout(timer);
      sock.end();
      f();
    };
    sock.setEncoding('utf8');
    sock.on('error', (e) => finish(() => reject(e)));
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
        if (msg.event) continue;
        if (stage === 0 && msg.QMP) {
          stage = 1;
          sock.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (msg.error) {
          finish(() => reject(new Error(`QMP ${execute}: ${msg.error?.desc ?? JSON.stringify(msg.error)}`)));
        } else if (stage === 1 && 'return' in msg) {
          stage = 2;
          sock.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
        } else if (stage === 2 && 'return' in msg) {
          finish(() => resolve(msg.return));
        }
      }
    });
  });
}
