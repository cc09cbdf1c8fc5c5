/**
 * Child processes of the real-server harness. Everything the harness starts
 * (Xorg, spice-vdagentd/spice-vdagent, QEMU, X clients, spicy-screenshot) is
 * spawned here in its own process group and recorded in one registry, so that
 * `stop()` can end a whole group (SIGTERM, then SIGKILL), and so that nothing
 * survives the test process: on normal exit and on SIGINT/SIGTERM/SIGHUP every
 * tracked group is killed, and for the cases no handler can see (the test
 * process itself being SIGKILLed) each long-running group gets a tiny `sh`
 * watchdog that kills it once the test process has gone.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';

export interface Tracked {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** True once the process has exited. */
  readonly hasExited: boolean;
  /** What was spawned, for messages. */
  label: string;
}

const live = new Set<Tracked>();
const watchdogs = new Map<number, ChildProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function killAllSync(): void {
  for (const t of live) killGroup(t.pid, 'SIGKILL');
  live.clear();
  for (const w of watchdogs.values()) if (w.pid) killGroup(w.pid, 'SIGKILL');
  watchdogs.clear();
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  tempDirs.clear();
}

/** Registers a temp dir to be removed if the process exits without its owner's stop(). */
export function registerTempDir(dir: string): void {
  installHandlers();
  tempDirs.add(dir);
}

export function unregisterTempDir(dir: string): void {
  tempDirs.delete(dir);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAllSync();
      // Only re-raise when nobody else handles it, to keep the default behaviour.
      process.removeListener(sig, handler);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Is a process with this pid still alive (and not a zombie)? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie answers kill(0); look at its state.
  try {
    return readProcStat(pid) !== 'Z';
  } catch {
    return false; // no /proc entry: gone
  }
}

function readProcStat(pid: number): string {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // pid (comm) S ...  — comm may contain spaces and parens
  return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
}

export interface SpawnTrackedOptions extends Omit<SpawnOptions, 'detached'> {
  /** Start a watchdog that kills the group if this Node process dies without cleaning up (default true). */
  watchdog?: boolean;
  /** A directory the watchdog removes after killing the group (the server's temp dir). */
  watchdogRemoves?: string;
}

/**
 * Spawns `cmd args` in a new process group, tracked until it exits.
 * stdio defaults to ['ignore', 'pipe', 'pipe'].
 */
export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnTrackedOptions = {}): Tracked {
  installHandlers();
  const { watchdog = true, watchdogRemoves, ...spawnOpts } = opts;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts, detached: true });
  let hasExited = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      hasExited = true;
      resolve(code);
    });
    child.once('error', () => {
      hasExited = true;
      resolve(-1);
    });
  });
  const pid = child.pid ?? -1;
  const t: Tracked = {
    child,
    pid,
    exited,
    get hasExited() {
      return hasExited;
    },
    label: [cmd, ...args].join(' '),
  };
  if (pid > 0) {
    live.add(t);
    if (watchdog) startWatchdog(pid, watchdogRemoves);
    void exited.then(() => {
      // The group may outlive its leader (children of Xorg/qemu rarely do, but be sure).
      killGroup(pid, 'SIGKILL');
      live.delete(t);
      stopWatchdog(pid);
    });
  }
  return t;
}

function startWatchdog(pgid: number, removeDir?: string): void {
  const parent = process.pid;
  // Polls once a second; exits when the group is gone, kills it when the parent is gone.
  const script =
    `while kill -0 ${parent} 2>/dev/null; do kill -0 -${pgid} 2>/dev/null || exit 0; sleep 1; done; ` +
    `kill -TERM -${pgid} 2>/dev/null; sleep 2; kill -KILL -${pgid} 2>/dev/null; ` +
    `[ -n "$1" ] && rm -rf -- "$1"; exit 0`;
  const w = spawn('/bin/sh', ['-c', script, 'watchdog', removeDir ?? ''], { detached: true, stdio: 'ignore' });
  w.unref();
  if (w.pid) watchdogs.set(pgid, w);
}

function stopWatchdog(pgid: number): void {
  const w = watchdogs.get(pgid);
  if (!w) return;
  watchdogs.delete(pgid);
  if (w.pid) killGroup(w.pid, 'SIGKILL');
}

/** Ends a tracked process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once the leader has exited. */
export async function terminate(t: Tracked, graceMs = 3000): Promise<void> {
  if (t.pid <= 0) return;
  if (!t.hasExited) {
    killGroup(t.pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([t.exited, timer])) === 'timeout') {
      killGroup(t.pid, 'SIGKILL');
      await t.exited;
    }
  }
  killGroup(t.pid, 'SIGKILL'); // stragglers in the group
  live.delete(t);
  stopWatchdog(t.pid);
}

/** Collects a stream into a bounded string (keeps the last `max` characters). */
export function collect(stream: NodeJS.ReadableStream | null | undefined, max = 1 << 20): () => string {
  let buf = '';
  stream?.setEncoding?.('utf8');
  stream?.on('data', (d: string | Buffer) => {
    buf += d.toString();
    if (buf.length > max) buf = buf.slice(buf.length - max);
  });
  return () => buf;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when killed by a signal (e.g. on timeout). */
  code: number | null;
}

/** Runs a command to completion (tracked, in its own group), with an optional timeout. */
export async function execTracked(
  cmd: string,
  args: readonly string[],
  opts: SpawnTrackedOptions & { timeoutMs?: number; input?: string | Uint8Array } = {},
): Promise<ExecResult> {
  const { timeoutMs = 60_000, input, ...rest } = opts;
  const t = spawnTracked(cmd, args, {
    watchdog: false,
    ...rest,
    stdio: [input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const out = collect(t.child.stdout);
  const err = collect(t.child.stderr);
  let spawnError: Error | undefined;
  t.child.once('error', (e) => (spawnError = e));
  if (input !== undefined) t.child.stdin?.end(input);
  const timer = setTimeout(() => void terminate(t, 1000), timeoutMs);
  const code = await t.exited;
  clearTimeout(timer);
  // let the pipes drain
  await Promise.all([t.child.stdout, t.child.stderr].map((s) => (s && !s.readableEnded ? once(s, 'close').catch(() => {}) : Promise.resolve())));
  if (spawnError) throw new Error(`${cmd}: ${spawnError.message}`);
  return { stdout: out(), stderr: err(), code };
}

/** Waits until `check()` returns a truthy value, polling every `intervalMs`; throws `what` on timeout. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs: number, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
