/**
 * The self-contained build on a page without a bundler: `vite build --config vite.standalone.config.ts`
 * into a temporary folder, served as plain files by a static HTTP server next to a hand-written HTML page
 * that loads `spice-console.standalone.js` with one `<script type="module">`, reads a `.vv` connection file
 * with the build's own `parseVvFile`, and connects to a real Xspice (with a ticket) until the desktop's
 * pixels are on the element. Every request the page makes must be for a file of that folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../chromium.mjs';
import { repoRoot, startXspice, waitFor, type Xspice } from '../servers/index.js';

const BACKGROUND = [0x20, 0xa0, 0x40] as const;
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json', '.vv': 'application/x-virt-viewer' };

/** A static file server for one folder, on a free loopback port. */
async function serveFolder(dir: string): Promise<{ origin: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { origin: `http://127.0.0.1:${address.port}`, requests, server };
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>spice-console without a bundler</title>
    <style>spice-console { width: 1100px; height: 800px; }</style>
  </head>
  <body>
    <spice-console id="vm"></spice-console>
    <script type="module">
      import { parseVvFile } from './spice-console.standalone.js';
      const console = document.getElementById('vm');
      window.result = { events: [] };
      for (const name of ['spice-connected', 'spice-disconnected']) {
        console.addEventListener(name, (e) => window.result.events.push({ name, detail: e.detail }));
      }
      const text = await (await fetch('./console.vv')).text();
      const settings = parseVvFile(text);
      console.url = settings.url;
      console.password = settings.password ?? '';
      window.result.defined = customElements.get('spice-console') === console.constructor;
      await console.connect();
    </script>
  </body>
</html>
`;

describe('standalone build on a page without a bundler', () => {
  let out: string;
  let xspice: Xspice;
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveFolder>>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'spice-standalone-'));
    process.env.SPICE_STANDALONE_OUT = out;
    try {
      await build({ root: repoRoot, configFile: join(repoRoot, 'vite.standalone.config.ts'), logLevel: 'warn' });
    } finally {
      delete process.env.SPICE_STANDALONE_OUT;
    }
    xspice = await startXspice({ password: 'secret' });
    const r = await xspice.exec('xsetroot', ['-solid', `#${BACKGROUND.map((c) => c.toString(16).padStart(2, '0')).join('')}`]);
    expect(r.code).toBe(0);
    await writeFile(join(out, 'index.html'), PAGE);
    await writeFile(
      join(out, 'console.vv'),
      `[virt-viewer]\r\ntype=spice\r\nhost=127.0.0.1\r\nport=${xspice.port}\r\npassword=secret\r\ndelete-this-file=1\r\n` + `[spice-console]\r\nurl=${xspice.url}\r\n`,
    );
    site = await serveFolder(out);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => site?.server.close(r));
    await xspice?.stop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('should build one module with no bare imports and the worker beside it', async () => {
    const files = (await readdir(out)).filter((f) => f.endsWith('.js'));
    expect(files).toContain('spice-console.standalone.js');
    const worker = files.filter((f) => /^spice\.worker-.*\.js$/.test(f));
    expect(worker).toHaveLength(1);
    expect(files).toHaveLength(2);
    const main = await readFile(join(out, 'spice-console.standalone.js'), 'utf8');
    // Nothing left for an import map or a bundler to resolve: no static or dynamic import at all.
    expect(main).not.toMatch(/\bimport\s*[\w{*][^;]*?from\s*["']/);
    expect(main).not.toMatch(/\bimport\s*\(\s*["']/);
    expect(main).toContain(`new URL("${worker[0]}", import.meta.url)`);
  });

  it('should connect from a plain static page, with the .vv file, and show the desktop', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    page.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`));
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => (window as any).result?.events.some((e: any) => e.name === 'spice-connected'), null, { timeout: 60_000 });
    expect(await page.evaluate(() => (window as any).result.defined)).toBe(true);
    const session = await page.evaluate(() => (window as any).result.events.find((e: any) => e.name === 'spice-connected').detail);
    expect(session.channels.map((c: any) => `${c.type}:${c.state}`).sort()).toEqual(['cursor:linked', 'display:linked', 'inputs:linked', 'main:linked']);
    await waitFor(
      () =>
        page.evaluate(async (bg) => {
          const shot = await (document.getElementById('vm') as any).screenshot(0);
          if (!shot || !shot.width) return false;
          const i = (Math.floor(shot.height / 2) * shot.width + Math.floor(shot.width / 2)) * 4;
          return shot.rgba[i] === bg[0] && shot.rgba[i + 1] === bg[1] && shot.rgba[i + 2] === bg[2];
        }, BACKGROUND),
      'the desktop background on the element',
      30_000,
      250,
    );
    expect(page.workers().map((w) => new URL(w.url()).pathname)).toEqual([expect.stringMatching(/^\/spice\.worker-.*\.js$/)]);
    expect(failures).toEqual([]);
    // Only the page, the module, its worker, the .vv file (and what browsers ask for by themselves).
    const worker = (await readdir(out)).find((f) => /^spice\.worker-.*\.js$/.test(f));
    const files = new Set(site.requests.filter((p) => !p.endsWith('.map') && p !== '/favicon.ico'));
    expect([...files].sort()).toEqual(['/', '/console.vv', '/spice-console.standalone.js', `/${worker}`].sort());
    await page.evaluate(() => (document.getElementById('vm') as any).disconnect());
    await page.close();
  });
});
