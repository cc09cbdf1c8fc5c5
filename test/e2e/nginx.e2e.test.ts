/**
 * Deployment behind nginx, end to end: Debian's nginx runs the shipped deploy/nginx/spice-console.conf
 * (TLS with a self-signed certificate, per-VM token → host:port map, Origin allow-list, per-client
 * connection limit) in front of a real Xspice. Headless Chromium carries a whole session over wss:// with a
 * valid token and sees the desktop's pixels; raw TLS clients see every refusal's status: unknown or
 * malformed token, foreign or missing Origin, no WebSocket upgrade, too many connections.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../chromium.mjs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, isPortOpen, repoRoot, startXspice, waitFor, type Xspice } from '../servers/index.js';
import { makeCertificate, SHIPPED_CONF, startNginx, type Nginx } from '../servers/nginx.js';
import { collect, spawnTracked, terminate, type Tracked } from '../servers/procs.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { elementScreenshot } from './support/pixels.js';
import { establishedTo } from './support/sockets.js';

const TOKEN = randomBytes(24).toString('base64url');
const OTHER_TOKEN = randomBytes(24).toString('base64url');
/** The longest token the location accepts (128 characters): the map must still build. */
const LONG_TOKEN = randomBytes(96).toString('base64url');
const CONN_LIMIT = 8;
const BACKGROUND = [0x30, 0x60, 0xc0] as const;

interface Upgrade {
  status: number;
  head: string;
  socket: TLSSocket;
}

/** A WebSocket opening handshake over TLS (trusting only nginx's certificate); resolves with the status. */
function upgrade(nginx: Nginx, path: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: nginx.port, ca: nginx.certPem }, () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${nginx.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Protocol: binary',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${path}`));
    }, 10_000);
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1] ?? 0);
      resolve({ status, head: buf.slice(0, end), socket });
    });
    socket.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function statusOf(nginx: Nginx, path: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await upgrade(nginx, path, headers);
  r.socket.destroy();
  return r.status;
}

/** The harness pages the running test opened (this file's own Chromium: support/browser.ts does not see them). */
const harnessPages: Page[] = [];
// A test that failed before its page.close() leaves a session through nginx open: its sockets would be counted
// by the retry (or the next test), which expects exactly its own.
afterEach(async () => {
  await Promise.all(harnessPages.splice(0).map((p) => p.close().catch(() => {})));
});

async function openHarnessPage(browser: Browser, pages: PageServer): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  harnessPages.push(page);
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${pages.origin}/test/e2e/page/index.html`);
  await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
  return page;
}

/** Waits until the centre pixel of the element's screen is `rgb`; returns that screenshot. */
function waitForBackground(page: Page, rgb: readonly number[]) {
  return waitFor(
    async () => {
      const s = await elementScreenshot(page);
      if (!s || s.width === 0) return null;
      const i = (Math.floor(s.height / 2) * s.width + Math.floor(s.width / 2)) * 4;
      return s.rgba[i] === rgb[0] && s.rgba[i + 1] === rgb[1] && s.rgba[i + 2] === rgb[2] ? s : null;
    },
    'the desktop background on the element',
    30_000,
    250,
  );
}

const hex = (rgb: readonly number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

describe('deploy/nginx/spice-console.conf as written', () => {
  it('should proxy only to the value of the token map, set nowhere else', async () => {
    const conf = (await readFile(SHIPPED_CONF, 'utf8')).replace(/#.*$/gm, '');
    expect(conf.match(/\bproxy_pass\b[^;]*;/g)).toEqual(['proxy_pass http://$spice_target;']);
    // $spice_target is the output of exactly one map (default empty) and is never `set` or captured.
    expect(conf.match(/\$spice_target\b/g)?.length).toBe(3); // map output, the empty check, proxy_pass
    expect(conf).toMatch(/map \$spice_token \$spice_target \{\s*default "";/);
    expect(conf).not.toMatch(/\bset\s+\$spice_target\b|\?<spice_target>/);
    expect(conf).toMatch(/if \(\$spice_target = ""\) \{\s*return 404;/);
    expect(conf).not.toMatch(/\b(resolver|proxy_redirect|proxy_bind)\b/);
  });
});

describe('nginx in front of Xspice (deploy/nginx/spice-console.conf)', () => {
  let xspice: Xspice;
  let nginx: Nginx;
  let pages: PageServer;
  let browser: Browser;

  beforeAll(async () => {
    pages = await startPageServer();
    xspice = await startXspice({});
    const r = await xspice.exec('xsetroot', ['-solid', hex(BACKGROUND)]);
    expect(r.code).toBe(0);
    // OTHER_TOKEN points at a closed port: what a VM that is down looks like.
    nginx = await startNginx({
      targets: { [TOKEN]: `127.0.0.1:${xspice.port}`, [OTHER_TOKEN]: '127.0.0.1:9', [LONG_TOKEN]: `127.0.0.1:${xspice.port}` },
      origins: [pages.origin],
      connLimit: CONN_LIMIT,
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--ignore-certificate-errors'] });
  });
  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await xspice?.stop();
    await pages?.close();
  });

  const okOrigin = () => ({ Origin: pages.origin });

  it('should switch protocols for a valid token from an allowed origin', async () => {
    const r = await upgrade(nginx, `/spice/${TOKEN}`, okOrigin());
    r.socket.destroy();
    expect(r.status).toBe(101);
    expect(r.head).toMatch(/^upgrade: websocket$/im);
    expect(LONG_TOKEN).toHaveLength(128);
    expect(await statusOf(nginx, `/spice/${LONG_TOKEN}`, okOrigin())).toBe(101);
    expect(await statusOf(nginx, `/spice/${LONG_TOKEN}x`, okOrigin())).toBe(404);
  });

  it('should refuse unknown and malformed tokens with 404 and never connect for them', async () => {
    expect(await statusOf(nginx, `/spice/${randomBytes(24).toString('base64url')}`, okOrigin())).toBe(404);
    expect(await statusOf(nginx, '/spice/short', okOrigin())).toBe(404);
    expect(await statusOf(nginx, `/spice/${TOKEN}/more`, okOrigin())).toBe(404);
    expect(await statusOf(nginx, `/spice/${TOKEN}/../${OTHER_TOKEN.slice(1)}`, okOrigin())).toBe(404);
    // An encoded NUL is a bad request to nginx before any location is chosen.
    expect(await statusOf(nginx, `/spice/${TOKEN}%00`, okOrigin())).toBe(400);
    expect(await statusOf(nginx, `/spice/127.0.0.1:${xspice.port}`, okOrigin())).toBe(404);
    expect(await statusOf(nginx, '/', okOrigin())).toBe(404);
    await waitFor(() => establishedTo(xspice.port) === 0, 'no connection to Xspice', 5_000);
  });

  it('should refuse a foreign Origin and a missing Origin with 403', async () => {
    expect(await statusOf(nginx, `/spice/${TOKEN}`, { Origin: 'https://evil.example' })).toBe(403);
    expect(await statusOf(nginx, `/spice/${TOKEN}`, { Origin: `${pages.origin}.evil.example` })).toBe(403);
    expect(await statusOf(nginx, `/spice/${TOKEN}`)).toBe(403);
  });

  it('should answer 426 to a request that is no WebSocket upgrade, and 502 when the VM is down', async () => {
    const plain = await new Promise<number>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: nginx.port, ca: nginx.certPem }, () => {
        s.write(`GET /spice/${TOKEN} HTTP/1.1\r\nHost: x\r\nOrigin: ${pages.origin}\r\nConnection: close\r\n\r\n`);
      });
      s.once('data', (d) => {
        s.destroy();
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0));
      });
      s.once('error', reject);
    });
    expect(plain).toBe(426);
    expect(await statusOf(nginx, `/spice/${OTHER_TOKEN}`, okOrigin())).toBe(502);
  });

  it(`should allow ${CONN_LIMIT} connections per client and refuse the next with 429`, async () => {
    const open: TLSSocket[] = [];
    try {
      for (let i = 0; i < CONN_LIMIT; i++) {
        const r = await upgrade(nginx, `/spice/${TOKEN}`, okOrigin());
        open.push(r.socket);
        expect(r.status, `connection ${i + 1}`).toBe(101);
      }
      const over = await upgrade(nginx, `/spice/${TOKEN}`, okOrigin());
      open.push(over.socket);
      expect(over.status).toBe(429);
    } finally {
      for (const s of open) s.destroy();
    }
    await waitFor(() => establishedTo(xspice.port) === 0, 'proxied connections to close', 10_000);
  });

  const openPage = () => openHarnessPage(browser, pages);

  it('should carry a whole session over wss:// with the token and show the desktop', async () => {
    // The sockets are counted below: none of an earlier test's (or a failed try's) may be left.
    await waitFor(() => establishedTo(xspice.port) === 0 && establishedTo(nginx.port) === 0, 'no connection left through nginx', 10_000);
    const page = await openPage();
    await page.evaluate((url) => (window as any).spiceTest.connect(url), nginx.url(TOKEN));
    const session = await (await page.waitForFunction(() => (window as any).spiceTest.named('spice-connected')[0], null, { timeout: 30_000 })).jsonValue();
    expect(session.channels.map((c: any) => `${c.type}:${c.state}`).sort()).toEqual(['cursor:linked', 'display:linked', 'inputs:linked', 'main:linked']);
    // Every channel went through nginx: Xspice sees nginx's connections, one per channel.
    expect(establishedTo(xspice.port)).toBe(4);
    expect(establishedTo(nginx.port)).toBe(4);
    const shot = await waitForBackground(page, BACKGROUND);
    expect(shot.width).toBeGreaterThan(0);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    const ended = await (await page.waitForFunction(() => (window as any).spiceTest.named('spice-disconnected')[0], null, { timeout: 15_000 })).jsonValue();
    expect(ended.code).toBe('client');
    await waitFor(() => establishedTo(xspice.port) === 0, 'proxied connections to close', 10_000);
    await page.close();
  });

  it('should end a session with an unknown token at once with a clear code', async () => {
    const page = await openPage();
    await page.evaluate((url) => (window as any).spiceTest.connect(url), nginx.url(randomBytes(24).toString('base64url')));
    const ended = await (await page.waitForFunction(() => (window as any).spiceTest.named('spice-disconnected')[0], null, { timeout: 15_000 })).jsonValue();
    expect(ended.code).toBe('unreachable');
    expect(ended.clean).toBe(false);
    await page.close();
  });

  it('should refuse a page from a foreign origin in the browser too, and only for its origin', async () => {
    const tryOpen = (p: Page) =>
      p.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url, ['binary']);
            ws.onopen = () => {
              ws.close();
              resolve('open');
            };
            ws.onclose = (e) => resolve(`closed ${e.code}`);
          }),
        nginx.url(TOKEN),
      );
    const allowed = await openPage();
    expect(await tryOpen(allowed)).toBe('open');
    await allowed.close();
    const page = await browser.newPage();
    // A page served as https://foreign.example (routed, never fetched): a secure context of another origin.
    await page.route('https://foreign.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>foreign</title>' }));
    await page.goto('https://foreign.example/');
    expect(await tryOpen(page)).toBe('closed 1006');
    await page.close();
    expect(nginx.log()).not.toMatch(/\[emerg\]|\[crit\]/);
  });
});

describe('nginx → websockify → a SPICE TLS port (the README recipe)', () => {
  const token = randomBytes(24).toString('base64url');
  const color = [0xc0, 0x40, 0x80] as const;
  let certDir: string;
  let xspice: Xspice;
  let tlsPort: number;
  let wsPort: number;
  let websockify: Tracked;
  let websockifyLog: () => string = () => '';
  let nginx: Nginx;
  let pages: PageServer;
  let browser: Browser;

  beforeAll(async () => {
    pages = await startPageServer();
    certDir = await mkdtemp(join(tmpdir(), 'spice-tls-'));
    const { cert, key } = await makeCertificate(certDir);
    // spice-server reads ca-cert.pem, server-cert.pem and server-key.pem from its X509 directory.
    await copyFile(cert, join(certDir, 'ca-cert.pem'));
    await copyFile(cert, join(certDir, 'server-cert.pem'));
    await copyFile(key, join(certDir, 'server-key.pem'));
    tlsPort = await findFreePort();
    xspice = await startXspice({ env: { XSPICE_TLS_PORT: String(tlsPort), XSPICE_X509_DIR: certDir } });
    expect((await xspice.exec('xsetroot', ['-solid', hex(color)])).code).toBe(0);
    await waitFor(() => isPortOpen(tlsPort), 'the SPICE TLS port', 10_000);
    wsPort = await findFreePort();
    // As the README says: websockify with the shipped OpenSSL file (TLS 1.2 to the SPICE port; see the file).
    websockify = spawnTracked('websockify', ['--ssl-target', `127.0.0.1:${wsPort}`, `127.0.0.1:${tlsPort}`], {
      env: { ...process.env, OPENSSL_CONF: join(repoRoot, 'deploy/websockify/openssl-tls12.cnf') },
    });
    websockifyLog = collect(websockify.child.stderr);
    collect(websockify.child.stdout);
    await waitFor(() => isPortOpen(wsPort), 'websockify to listen', 10_000);
    nginx = await startNginx({ targets: { [token]: `127.0.0.1:${wsPort}` }, origins: [pages.origin] });
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--ignore-certificate-errors'] });
  });
  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    if (websockify) await terminate(websockify);
    await xspice?.stop();
    await pages?.close();
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  it('should carry the session over TLS to the SPICE TLS port and show the desktop', async () => {
    // The sockets are counted below: a failed try's session (its page closed after it) must be gone.
    await waitFor(() => establishedTo(tlsPort) === 0, 'no session left on the TLS port', 10_000);
    const page = await openHarnessPage(browser, pages);
    await page.evaluate((url) => (window as any).spiceTest.connect(url), nginx.url(token));
    const session = await page
      .waitForFunction(() => (window as any).spiceTest.named('spice-connected')[0], null, { timeout: 30_000 })
      .then((h) => h.jsonValue())
      .catch(async (e) => {
        const events = await page.evaluate(() => JSON.stringify((window as any).spiceTest.events));
        throw new Error(`${e.message}\nevents: ${events}\nwebsockify: ${websockifyLog().slice(-2000)}\nnginx: ${nginx.log().slice(-1000)}`);
      });
    expect(session.channels.map((c: any) => `${c.type}:${c.state}`).sort(), JSON.stringify(session.channels)).toEqual([
      'cursor:linked',
      'display:linked',
      'inputs:linked',
      'main:linked',
    ]);
    // Every channel reached spice-server on its TLS port, none on the plain one.
    expect(establishedTo(tlsPort)).toBe(4);
    expect(establishedTo(xspice.port)).toBe(0);
    await waitForBackground(page, color);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    await waitFor(() => establishedTo(tlsPort) === 0, 'TLS connections to close', 10_000);
    await page.close();
  });
});
