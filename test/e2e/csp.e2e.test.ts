/**
 * The production build under a strict Content-Security-Policy: the demo is built with Vite (the worker as
 * its own file), served with a CSP header that allows no inline script, no eval and no foreign origin, and
 * the element still links to a real Xspice and draws. Any CSP violation fails the test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { build } from 'vite';
import type { Browser } from 'playwright-core';
import { repoRoot, sleep, startXspice, waitFor, type Xspice } from '../servers/index.js';
import { failOnPageProblems, launchChromium } from './support/browser.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:*",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

let out: string;
let server: Server;
let origin: string;
let browser: Browser;
let xspice: Xspice;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'spice-csp-'));
  await build({ configFile: join(repoRoot, 'vite.demo.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  server = createServer((req, res) => {
    const path = normalize(join(out, new URL(req.url ?? '/', 'http://x').pathname.replace(/\/$/, '/index.html')));
    if (!path.startsWith(out) || !statSync(path, { throwIfNoEntry: false })?.isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  browser = await launchChromium();
  xspice = await startXspice({});
  xspice.run('xterm', ['-geometry', '40x10+20+20']);
});

failOnPageProblems();

afterAll(async () => {
  await xspice?.stop();
  await browser?.close();
  await new Promise((r) => server?.close(r));
  if (out) rmSync(out, { recursive: true, force: true });
});

it('should link and draw from the built demo under a strict CSP without a single violation', async () => {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${origin}/?url=${encodeURIComponent(xspice.url)}&autoconnect=1`);
  await page.waitForFunction(() => document.querySelector('#channels')?.textContent?.includes('display 0: linked'), null, { timeout: 30_000 });
  // A frame drawn (waited for: "linked" may come well before it on a loaded machine), then 1.5 s more for a
  // violation that only drawing makes.
  await waitFor(async () => (await page.evaluate(() => (document.querySelector('spice-console') as any).displayStats()))[0]?.frames > 0 || null, 'a frame', 30_000, 100);
  await sleep(1500);
  const stats = await page.evaluate(() => (document.querySelector('spice-console') as any).displayStats());
  expect(stats[0].frames).toBeGreaterThan(0);
  expect(violations).toEqual([]);
  await page.close();
});
