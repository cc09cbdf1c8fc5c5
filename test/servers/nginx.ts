/**
 * nginx for end-to-end tests, running the configuration we ship (deploy/nginx/spice-console.conf) as it
 * is, but for the few site-specific lines (listen address, certificate, map file paths, optionally the
 * per-client connection limit), which `adaptSpiceConsoleConf` rewrites and checks were there. Debian's
 * nginx runs in the foreground under a private prefix on a free port, with a self-signed certificate for
 * 127.0.0.1 made by openssl; `stop()` ends it and removes its folder.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, isPortOpen } from './ports.js';
import { collect, execTracked, registerTempDir, spawnTracked, terminate, unregisterTempDir, waitFor } from './procs.js';
import { repoRoot } from './guest.js';

export const NGINX = '/usr/sbin/nginx';
export const SHIPPED_CONF = join(repoRoot, 'deploy/nginx/spice-console.conf');

export interface NginxOptions {
  /** token → SPICE WebSocket address (`127.0.0.1:5912`). */
  targets: Record<string, string>;
  /** Origins allowed to open consoles. */
  origins: string[];
  /** Replace the shipped per-client connection limit (24). */
  connLimit?: number;
}

export interface Nginx {
  readonly port: number;
  /** `wss://127.0.0.1:PORT` */
  readonly origin: string;
  /** `wss://127.0.0.1:PORT/spice/<token>` */
  url(token: string): string;
  /** The self-signed certificate (PEM) nginx serves. */
  readonly certPem: string;
  readonly prefix: string;
  /** nginx's stderr (its error log). */
  log(): string;
  stop(): Promise<void>;
}

interface Site {
  port: number;
  cert: string;
  key: string;
  targetsMap: string;
  originsMap: string;
  connLimit?: number;
}

/** The shipped server block with this machine's values; throws if a line it rewrites is gone. */
export function adaptSpiceConsoleConf(conf: string, site: Site): string {
  const swaps: [string, string][] = [
    ['    listen 443 ssl;\n', `    listen 127.0.0.1:${site.port} ssl;\n`],
    ['    listen [::]:443 ssl;\n', ''],
    ['/etc/ssl/certs/console.example.com.pem', site.cert],
    ['/etc/ssl/private/console.example.com.key', site.key],
    ['/etc/nginx/spice-console/targets.map', site.targetsMap],
    ['/etc/nginx/spice-console/origins.map', site.originsMap],
  ];
  if (site.connLimit !== undefined) swaps.push(['limit_conn spice_console_per_client 24;', `limit_conn spice_console_per_client ${site.connLimit};`]);
  let out = conf;
  for (const [from, to] of swaps) {
    if (!out.includes(from)) throw new Error(`deploy/nginx/spice-console.conf no longer contains ${JSON.stringify(from)}`);
    out = out.split(from).join(to);
  }
  return out;
}

/** A self-signed certificate for 127.0.0.1 (and localhost), valid for two days: cert.pem and key.pem in `dir`. */
export async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = await execTracked(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { timeoutMs: 30_000 },
  );
  if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

const mapLine = (k: string, v: string) => `${JSON.stringify(k)} ${JSON.stringify(v)};\n`;

export async function startNginx(o: NginxOptions): Promise<Nginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'spice-nginx-'));
  registerTempDir(prefix);
  // nginx's workers run as an unprivileged user when the master is root: they must reach the prefix.
  await chmod(prefix, 0o755);
  await mkdir(join(prefix, 'tmp'));
  const { cert, key } = await makeCertificate(prefix);
  const targetsMap = join(prefix, 'targets.map');
  const originsMap = join(prefix, 'origins.map');
  await writeFile(
    targetsMap,
    Object.entries(o.targets)
      .map(([t, a]) => mapLine(t, a))
      .join(''),
  );
  await writeFile(originsMap, o.origins.map((origin) => mapLine(origin, '1')).join(''));
  const port = await findFreePort();
  const site = adaptSpiceConsoleConf(await readFile(SHIPPED_CONF, 'utf8'), { port, cert, key, targetsMap, originsMap, connLimit: o.connLimit });
  await writeFile(join(prefix, 'spice-console.conf'), site);
  const tmp = join(prefix, 'tmp');
  await writeFile(
    join(prefix, 'nginx.conf'),
    `# written by test/servers/nginx.ts
daemon off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${tmp}/body;
    proxy_temp_path ${tmp}/proxy;
    fastcgi_temp_path ${tmp}/fastcgi;
    uwsgi_temp_path ${tmp}/uwsgi;
    scgi_temp_path ${tmp}/scgi;
    include ${join(prefix, 'spice-console.conf')};
}
`,
  );
  const args = ['-e', 'stderr', '-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf')];
  const check = await execTracked(NGINX, ['-t', ...args], { timeoutMs: 30_000 });
  if (check.code !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const proc = spawnTracked(NGINX, args, { watchdogRemoves: prefix });
  const log = collect(proc.child.stderr);
  collect(proc.child.stdout);
  try {
    await waitFor(async () => proc.hasExited || (await isPortOpen(port)), 'nginx to listen', 20_000);
    if (proc.hasExited) throw new Error(`nginx exited at start:\n${log()}`);
  } catch (e) {
    await terminate(proc);
    await rm(prefix, { recursive: true, force: true });
    unregisterTempDir(prefix);
    throw e;
  }
  const certPem = await readFile(cert, 'utf8');
  let stopped = false;
  return {
    port,
    origin: `wss://127.0.0.1:${port}`,
    url: (token) => `wss://127.0.0.1:${port}/spice/${token}`,
    certPem,
    prefix,
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(proc);
      await rm(prefix, { recursive: true, force: true });
      unregisterTempDir(prefix);
    },
  };
}
