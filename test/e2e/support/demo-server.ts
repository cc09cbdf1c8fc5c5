/**
 * The built demo page behind a strict Content-Security-Policy, for the demo and kiosk e2e tests: Vite
 * builds demo/ into a temporary folder, a small HTTP server serves it with a CSP header that allows no
 * inline script, no eval and no foreign origin. `violations(page)` collects what the browser refused.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import { repoRoot } from '../../servers/index.js';

export const STRICT_CSP = [
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

export interface DemoServer {
  origin: string;
  close(): Promise<void>;
}

export async function startDemoServer(): Promise<DemoServer> {
  const out = mkdtempSync(join(tmpdir(), 'spice-demo-'));
  await build({ configFile: join(repoRoot, 'vite.demo.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  const server: Server = createServer((req, res) => {
    const path = normalize(join(out, new URL(req.url ?? '/', 'http://x').pathname.replace(/\/$/, '/index.html')));
    if (!path.startsWith(out) || !statSync(path, { throwIfNoEntry: false })?.isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-security-policy': STRICT_CSP });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`,
    async close() {
      await new Promise((r) => server.close(r));
      rmSync(out, { recursive: true, force: true });
    },
  };
}

/** Records every CSP violation of `page` (call before goto). */
export async function collectViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    (window as any).__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => (window as any).__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  const fromConsole: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) fromConsole.push(m.text());
  });
  return async () => [...fromConsole, ...(await page.evaluate(() => (window as any).__cspViolations as string[]))];
}
