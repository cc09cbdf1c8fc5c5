/**
 * Xspice for end-to-end tests: an Xorg server with the spiceqxl driver, i.e. an
 * X desktop that is itself a SPICE server. It does not use the `Xspice` wrapper
 * script (its default config is missing and its --auto config is broken); it writes
 * its own xorg.conf into a private temp dir and runs /usr/lib/xorg/Xorg with
 * the XSPICE_* environment. Optionally starts the vdagent pair
 * (spice-vdagentd + spice-vdagent) so the server reports an agent. Owns every
 * process it starts (X clients started through `run`/`exec` included) and ends
 * them all in `stop()`.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreeDisplay, findFreePort, isPortOpen } from './ports.js';
import { collect, execTracked, spawnTracked, terminate, waitFor, registerTempDir, unregisterTempDir, type ExecResult, type Tracked } from './procs.js';

export type ImageCompression = 'off' | 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz';
export type WanCompression = 'auto' | 'never' | 'always';
export type StreamingVideo = 'off' | 'all' | 'filter';

export interface XspiceOptions {
  /** Ticket password (XSPICE_PASSWORD); without it ticketing is disabled. */
  password?: string;
  /** Start spice-vdagentd + spice-vdagent and wait until the agent is connected to the server. */
  agent?: boolean;
  /** More spice-vdagent arguments, e.g. ['-f', dir, '-o', '0'] (file transfer directory, do not open it). */
  agentArgs?: string[];
  imageCompression?: ImageCompression;
  jpegWanCompression?: WanCompression;
  zlibGlzWanCompression?: WanCompression;
  streamingVideo?: StreamingVideo;
  /** e.g. "gstreamer:vp8;gstreamer:h264;spice:mjpeg" (XSPICE_VIDEO_CODECS). */
  videoCodecs?: string;
  /** NumHeads of the spiceqxl device (default 1; the driver's own default is 4). */
  heads?: number;
  /** Initial size of the first head (default 1024x768). Any size works: a Modeline is written for it. */
  width?: number;
  height?: number;
  /**
   * SpiceDeferredFPS (off by default). Note: with it the driver also disables
   * offscreen surfaces, the image cache and the fallback cache (Xorg.log says so).
   */
  deferredFps?: number;
  /** Fixed SPICE port / X display number instead of free ones. */
  port?: number;
  display?: number;
  /** More environment for Xorg (e.g. other XSPICE_* variables). */
  env?: Record<string, string>;
  /** How long to wait for the server (and agent) to come up; default 30 s. */
  startTimeoutMs?: number;
}

export interface Screenshot {
  width: number;
  height: number;
  /** width*height*4 bytes, alpha 255. */
  rgba: Uint8Array;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Default: all 'ignore' (a child writing into an unread pipe would block). */
  stdio?: StdioOptions;
}

export interface Xspice {
  /** SPICE port on 127.0.0.1. */
  readonly port: number;
  /** X display number N (DISPLAY=:N). */
  readonly display: number;
  /** ":N" */
  readonly displayName: string;
  readonly host: '127.0.0.1';
  /** ws://127.0.0.1:PORT — spice-server accepts a WebSocket upgrade on its plain port. */
  readonly url: string;
  readonly password: string | undefined;
  /** Private temp dir (xorg.conf, Xorg.log, agent sockets, screenshots). Removed by stop(). */
  readonly tmpDir: string;
  /** Environment for X clients (process.env plus DISPLAY). */
  readonly clientEnv: NodeJS.ProcessEnv;
  /** Pids of the processes the server itself consists of (Xorg, and the vdagent pair with `agent`). */
  readonly pids: { xorg: number; vdagentd?: number; vdagent?: number };
  /** Starts an X client with DISPLAY set; it is killed by stop(). */
  run(cmd: string, args?: readonly string[], opts?: RunOptions): ChildProcess;
  /** Runs a command with DISPLAY set to completion. */
  exec(cmd: string, args?: readonly string[], opts?: { env?: Record<string, string>; timeoutMs?: number; input?: string }): Promise<ExecResult>;
  /** The primary surface as seen by spice-gtk (spicy-screenshot). */
  screenshot(): Promise<Screenshot>;
  /** Contents of the Xorg log file. */
  xorgLog(): Promise<string>;
  /** The last 64 KiB each of Xorg's stderr and stdout (spice-server logs there, e.g. with G_MESSAGES_DEBUG=Spice). */
  serverOutput(): string;
  /** stdout+stderr of spice-vdagentd (run with -d) and spice-vdagent. */
  agentLog(): string;
  /** Kills every process started for this server and removes tmpDir. Idempotent. */
  stop(): Promise<void>;
}

const XORG = '/usr/lib/xorg/Xorg';

function xorgConf(o: XspiceOptions, fbMb: number): string {
  const heads = o.heads ?? 1;
  const w = o.width ?? 1024;
  const h = o.height ?? 768;
  const mode = `${w}x${h}`;
  const custom = o.width !== undefined || o.height !== undefined;
  const opt = (k: string, v: string | number | undefined): string => (v === undefined ? '' : `    Option "${k}" "${v}"\n`);
  return `# written by test/servers/xspice.ts
Section "Device"
    Identifier "XSPICE"
    Driver "spiceqxl"
${opt('FrameBufferSize', fbMb)}${opt('SurfaceBufferSize', 128)}${opt('CommandBufferSize', 128)}${opt('NumHeads', heads)}EndSection

Section "InputDevice"
    Identifier "XSPICE POINTER"
    Driver     "xspice pointer"
EndSection

Section "InputDevice"
    Identifier "XSPICE KEYBOARD"
    Driver     "xspice keyboard"
EndSection

Section "Monitor"
    Identifier "Configured Monitor"
${custom ? `    Modeline "${mode}" 60.0 ${w} ${w + 8} ${w + 16} ${w + 24} ${h} ${h + 1} ${h + 2} ${h + 3}\n` : ''}EndSection

Section "Screen"
    Identifier "XSPICE Screen"
    Monitor    "Configured Monitor"
    Device     "XSPICE"
    DefaultDepth 24
${custom ? `    SubSection "Display"\n        Depth 24\n        Modes "${mode}"\n    EndSubSection\n` : ''}EndSection

Section "ServerLayout"
    Identifier "XSPICE Layout"
    Screen "XSPICE Screen"
    InputDevice "XSPICE KEYBOARD"
    InputDevice "XSPICE POINTER"
EndSection

Section "ServerFlags"
    Option "AutoAddDevices" "False"
EndSection
`;
}

/** Is there an accepted (connected) unix socket bound to `path`? Used to see the agent connect to Xspice. */
function hasConnectedUnixSocket(path: string): boolean {
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      // Num RefCount Protocol Flags Type St Inode Path ; St 03 = connected
      if (f.length >= 8 && f[7] === path && f[5] === '03') return true;
    }
  } catch {
    /* ignore */
  }
  return false;
}

/** Parses a binary PPM (P6, maxval < 256) into RGBA. */
export function parsePpm(buf: Uint8Array): Screenshot {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] === 0x23 /* # */) {
        while (pos < buf.length && buf[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return String.fromCharCode(...buf.subarray(start, pos));
  };
  const magic = token();
  if (magic !== 'P6') throw new Error(`not a binary PPM (magic ${JSON.stringify(magic)})`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!(width > 0 && height > 0) || maxval !== 255) throw new Error(`unsupported PPM ${width}x${height} maxval ${maxval}`);
  pos++; // the single whitespace after maxval
  const n = width * height;
  if (buf.length - pos < n * 3) throw new Error(`PPM truncated: ${buf.length - pos} of ${n * 3} bytes`);
  const rgba = new Uint8Array(n * 4);
  for (let i = 0, s = pos, d = 0; i < n; i++, s += 3, d += 4) {
    rgba[d] = buf[s]!;
    rgba[d + 1] = buf[s + 1]!;
    rgba[d + 2] = buf[s + 2]!;
    rgba[d + 3] = 255;
  }
  return { width, height, rgba };
}

/** Takes a screenshot of any SPICE server on 127.0.0.1 with spicy-screenshot. */
export async function spicyScreenshot(port: number, password: string | undefined, dir: string): Promise<Screenshot> {
  const file = join(dir, `shot-${Date.now()}-${Math.floor(Math.random() * 1e6)}.ppm`);
  const args = ['-h', '127.0.0.1', '-p', String(port), '-o', file];
  if (password !== undefined) args.push('-w', password);
  const env = { ...process.env };
  delete env.DISPLAY; // it needs no X display
  const r = await execTracked('spicy-screenshot', args, { env, timeoutMs: 30_000 });
  if (r.code !== 0 || !existsSync(file)) {
    throw new Error(`spicy-screenshot failed (code ${r.code}): ${r.stderr.slice(-2000)}`);
  }
  const data = await readFile(file);
  await rm(file, { force: true });
  return parsePpm(data);
}

/** Starts Xspice (and optionally the vdagent pair); resolves once it serves SPICE and X. */
export async function startXspice(opts: XspiceOptions = {}): Promise<Xspice> {
  const attempts = opts.port !== undefined && opts.display !== undefined ? 1 : 3;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      lastErr = e;
      if (!(e instanceof StartRace)) throw e;
    }
  }
  throw lastErr;
}

/** Xorg died early because the port or display was taken meanwhile: worth another try. */
class StartRace extends Error {}

async function startOnce(opts: XspiceOptions): Promise<Xspice> {
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const port = opts.port ?? (await findFreePort());
  const display = opts.display ?? findFreeDisplay();
  const tmpDir = await mkdtemp(join(tmpdir(), 'spice-xspice-'));
  registerTempDir(tmpDir);
  const heads = opts.heads ?? 1;
  const w = opts.width ?? 1024;
  const h = opts.height ?? 768;
  const fbMb = Math.max(32, Math.ceil((w * h * 4 * heads) / (1 << 20)) + 8);
  await writeFile(join(tmpDir, 'xorg.conf'), xorgConf(opts, fbMb));

  const env: NodeJS.ProcessEnv = { ...process.env, XSPICE_PORT: String(port), XSPICE_ADDR: '127.0.0.1' };
  delete env.DISPLAY;
  if (opts.password !== undefined) env.XSPICE_PASSWORD = opts.password;
  else env.XSPICE_DISABLE_TICKETING = '1';
  if (opts.imageCompression) env.XSPICE_IMAGE_COMPRESSION = opts.imageCompression;
  if (opts.jpegWanCompression) env.XSPICE_JPEG_WAN_COMPRESSION = opts.jpegWanCompression;
  if (opts.zlibGlzWanCompression) env.XSPICE_ZLIB_GLZ_WAN_COMPRESSION = opts.zlibGlzWanCompression;
  if (opts.streamingVideo) env.XSPICE_STREAMING_VIDEO = opts.streamingVideo;
  if (opts.videoCodecs) env.XSPICE_VIDEO_CODECS = opts.videoCodecs;
  if (opts.deferredFps !== undefined) env.XSPICE_DEFERRED_FPS = String(opts.deferredFps);
  const virtio = join(tmpDir, 'virtio');
  const uinput = join(tmpDir, 'uinput');
  const udcs = join(tmpDir, 'udcs');
  if (opts.agent) {
    env.XSPICE_VDAGENT_ENABLED = '1';
    env.XSPICE_VDAGENT_VIRTIO_PATH = virtio;
    env.XSPICE_VDAGENT_UINPUT_PATH = uinput;
  }
  Object.assign(env, opts.env);

  const owned: Tracked[] = []; // started for this server, ended in reverse order
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const t of owned.slice().reverse()) await terminate(t);
    await rm(tmpDir, { recursive: true, force: true });
    unregisterTempDir(tmpDir);
  };

  const xorg = spawnTracked(XORG, ['-config', 'xorg.conf', '-noreset', '-nolisten', 'tcp', '-logfile', join(tmpDir, 'Xorg.log'), `:${display}`], {
    cwd: tmpDir,
    env,
    watchdogRemoves: tmpDir,
  });
  owned.push(xorg);
  const xorgOut = collect(xorg.child.stdout, 64 * 1024);
  const xorgErr = collect(xorg.child.stderr, 64 * 1024);
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, DISPLAY: `:${display}` };
  let agentOut: () => string = () => '';
  const pids: { xorg: number; vdagentd?: number; vdagent?: number } = { xorg: xorg.pid };

  try {
    await waitFor(
      async () => {
        if (xorg.hasExited) {
          const msg = `Xorg :${display} (port ${port}) exited early: ${xorgErr().slice(-3000)}${xorgOut().slice(-500)}`;
          throw /already active|Address already in use|EADDRINUSE|Failed to listen|spice_server_init failed|qxl_spice_init/i.test(msg)
            ? new StartRace(msg)
            : new Error(msg);
        }
        if (!(await isPortOpen(port))) return false;
        const r = await execTracked('xdpyinfo', [], { env: clientEnv, timeoutMs: 5000 });
        return r.code === 0;
      },
      `Xspice on :${display} port ${port}`,
      timeoutMs,
      150,
    );

    if (opts.agent) {
      const d = spawnTracked('spice-vdagentd', ['-d', '-f', '-x', '-X', '-S', udcs, '-s', virtio, '-u', uinput], {
        env: clientEnv,
      });
      owned.push(d);
      pids.vdagentd = d.pid;
      const dOut = collect(d.child.stdout, 256 * 1024);
      const dErr = collect(d.child.stderr, 256 * 1024);
      await waitFor(
        () => {
          if (d.hasExited) throw new Error(`spice-vdagentd exited: ${dErr()}${dOut()}`);
          return existsSync(udcs);
        },
        'spice-vdagentd socket',
        timeoutMs,
        50,
      );
      const a = spawnTracked('spice-vdagent', ['-x', '-s', virtio, '-S', udcs, ...(opts.agentArgs ?? [])], { env: clientEnv });
      owned.push(a);
      pids.vdagent = a.pid;
      const aOut = collect(a.child.stdout, 256 * 1024);
      const aErr = collect(a.child.stderr, 256 * 1024);
      agentOut = () => `--- spice-vdagentd\n${dOut()}${dErr()}--- spice-vdagent\n${aOut()}${aErr()}`;
      // The daemon opens the server's virtio socket once the session agent has registered;
      // an accepted connection on that socket is the server seeing its agent.
      await waitFor(
        () => {
          if (d.hasExited || a.hasExited) throw new Error(`vdagent pair exited:\n${agentOut()}`);
          return hasConnectedUnixSocket(virtio);
        },
        'the agent to connect to Xspice',
        timeoutMs,
        50,
      );
    }
  } catch (e) {
    const log = existsSync(join(tmpDir, 'Xorg.log')) ? await readFile(join(tmpDir, 'Xorg.log'), 'utf8').catch(() => '') : '';
    await stop();
    if (e instanceof Error && log && !(e instanceof StartRace)) e.message += `\n--- Xorg.log (tail)\n${log.slice(-3000)}`;
    throw e;
  }

  const server: Xspice = {
    port,
    display,
    displayName: `:${display}`,
    host: '127.0.0.1',
    url: `ws://127.0.0.1:${port}`,
    password: opts.password,
    tmpDir,
    clientEnv,
    pids,
    run(cmd, args = [], ro = {}) {
      if (stopped) throw new Error('Xspice already stopped');
      const t = spawnTracked(cmd, args, {
        env: { ...clientEnv, ...ro.env },
        cwd: ro.cwd ?? tmpDir,
        stdio: ro.stdio ?? 'ignore',
      });
      owned.push(t);
      return t.child;
    },
    exec(cmd, args = [], eo = {}) {
      return execTracked(cmd, args, {
        env: { ...clientEnv, ...eo.env },
        cwd: tmpDir,
        timeoutMs: eo.timeoutMs ?? 60_000,
        ...(eo.input !== undefined ? { input: eo.input } : {}),
      });
    },
    screenshot: () => spicyScreenshot(port, opts.password, tmpDir),
    xorgLog: () => readFile(join(tmpDir, 'Xorg.log'), 'utf8'),
    serverOutput: () => xorgErr() + xorgOut(),
    agentLog: () => agentOut(),
    stop,
  };
  return server;
}
