/**
 * Free resources for the real servers: TCP ports on 127.0.0.1 (asked from the
 * kernel by binding port 0) and X display numbers (a display is free when it
 * has no /tmp/.X<n>-lock file, no /tmp/.X11-unix/X<n> socket and no abstract
 * "@/tmp/.X11-unix/X<n>" socket). Both are only hints: another process may take
 * the port or display before our server does, so the starters retry on a
 * failed start. Ports and displays handed out by this process are remembered
 * and not handed out again.
 */
import { createServer, Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';

const givenPorts = new Set<number>();
const givenDisplays = new Set<number>();

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago and was not handed out before by this process. */
export async function findFreePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await bindEphemeral();
    if (port > 0 && !givenPorts.has(port)) {
      givenPorts.add(port);
      return port;
    }
  }
  throw new Error('findFreePort: no free port found');
}

/** `count` distinct free ports. */
export async function findFreePorts(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await findFreePort());
  return out;
}

/** Does something accept TCP connections on host:port right now? */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

function abstractXSockets(): Set<number> {
  const used = new Set<number>();
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const m = /@\/tmp\/\.X11-unix\/X(\d+)\s*$/.exec(line);
      if (m) used.add(Number(m[1]));
    }
  } catch {
    /* no procfs: rely on the files */
  }
  return used;
}

/** Is X display `:n` free (no lock file, no socket file, no abstract socket)? */
export function isDisplayFree(n: number): boolean {
  if (givenDisplays.has(n)) return false;
  if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) return false;
  return !abstractXSockets().has(n);
}

/**
 * A free X display number in [min, max] (default 20..519). The search starts
 * at a point derived from the pid, so parallel test processes rarely collide.
 */
export function findFreeDisplay(min = 20, max = 519): number {
  const span = max - min + 1;
  const start = (process.pid * 7) % span;
  const abstract = abstractXSockets();
  for (let i = 0; i < span; i++) {
    const n = min + ((start + i) % span);
    if (givenDisplays.has(n) || abstract.has(n)) continue;
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    givenDisplays.add(n);
    return n;
  }
  throw new Error(`findFreeDisplay: no free display in :${min}..:${max}`);
}
