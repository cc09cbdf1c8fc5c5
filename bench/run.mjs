#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.ts runs in Node, then every bench/*.browser.ts in a dedicated Web
// Worker of headless Chromium. Both are bundled with esbuild (no TS runtime is installed; esbuild is, and
// bundling also pulls in spice-html5's ES modules as-is).
//
// `npm run bench -- [filter] [--node-only | --browser-only]`: the filter keeps files whose name contains it.
// The session suite (session.bench.ts: real Xspice, both clients, minutes per scene) runs only when named:
// `npm run bench session [--quick]`.
// BENCH_MS / BENCH_ROUNDS set the stretch length and rounds on both sides; CHROMIUM overrides the browser path.
//
// A browser bench is a worker script: it posts `{ line }` for each output line and ends with `{ done: true }`
// or `{ error }`. It is served from 127.0.0.1 with test/fixtures under /fixtures/ (a directory answers with
// a JSON array of its entries); its URL carries `?browser=` (name and version) and `ms=` / `rounds=` when set.
import { build } from 'esbuild';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromiumArgs, chromiumPath } from '../test/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const only = args.find((a) => !a.startsWith('--'));
const runNode = !args.includes('--browser-only');
const runBrowser = !args.includes('--node-only');
const pick = (suffix) =>
  fs
    .readdirSync(here)
    .filter((f) => f.endsWith(suffix) && (!only || f.includes(only)))
    .sort();

async function runInChromium(files) {
  const executablePath = process.env.CHROMIUM ?? chromiumPath;
  if (!fs.existsSync(executablePath)) {
    console.log(`\n(no Chromium at ${executablePath}: browser benches skipped)`);
    return;
  }
  const bundles = new Map();
  for (const file of files) {
    const name = file.replace(/\.ts$/, '.js');
    const outfile = path.join(tmp, name);
    await build({
      entryPoints: [path.join(here, file)],
      outfile,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'warning',
      minify: false,
    });
    bundles.set(name, outfile);
  }
  const server = await serve(bundles);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: [
      ...chromiumArgs,
      // lets a bench run a full GC between timed stretches (self.gc), so no function pays for another's garbage
      '--js-flags=--expose-gc',
    ],
  });
  try {
    const query = new URLSearchParams({ browser: `Chromium ${browser.version()}` });
    if (process.env.BENCH_MS) query.set('ms', process.env.BENCH_MS);
    if (process.env.BENCH_ROUNDS) query.set('rounds', process.env.BENCH_ROUNDS);
    for (const name of bundles.keys()) {
      console.log(`\n== ${name.replace(/\.js$/, '.ts')} (Chromium ${browser.version()}, worker) ==`);
      const page = await browser.newPage();
      try {
        await new Promise((resolve, reject) => {
          page.on('pageerror', reject);
          page
            .exposeFunction('__benchMessage', (msg) => {
              if (msg.line !== undefined) console.log(msg.line);
              else if (msg.done) resolve();
              else reject(new Error(`${name}: ${msg.error}`));
            })
            .then(() => page.goto(`http://127.0.0.1:${server.address().port}/?${query}#${name}`))
            .catch(reject);
        });
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
}

/** The page that starts a bench worker and relays its messages to `__benchMessage`. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script>
  const worker = new Worker('/bench/' + location.hash.slice(1) + location.search);
  worker.onmessage = (e) => window.__benchMessage(e.data);
  worker.onerror = (e) => window.__benchMessage({ error: e.message || 'worker failed to load' });
</script>`;

/** A static server on 127.0.0.1: the page, the bench bundles, and test/fixtures (read-only). */
function serve(bundles) {
  const fixtures = path.join(root, 'test/fixtures');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/') return send(200, 'text/html', PAGE);
    if (url.pathname.startsWith('/bench/')) {
      const file = bundles.get(url.pathname.slice('/bench/'.length));
      return file ? send(200, 'text/javascript', fs.readFileSync(file)) : send(404, 'text/plain', 'no such bench');
    }
    if (url.pathname.startsWith('/fixtures/')) {
      const file = path.join(fixtures, decodeURIComponent(url.pathname.slice('/fixtures/'.length)));
      if (file !== fixtures && !file.startsWith(fixtures + path.sep)) return send(403, 'text/plain', 'outside fixtures');
      if (!fs.existsSync(file)) return send(404, 'text/plain', 'no such fixture');
      if (fs.statSync(file).isDirectory()) return send(200, 'application/json', JSON.stringify(fs.readdirSync(file).sort()));
      return send(200, 'application/octet-stream', fs.readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spice-bench-'));
try {
  if (runNode) {
    for (const file of pick('.bench.ts')) {
      if (file.startsWith('session') && !only) continue;
      // the session bundle keeps its packages external: it must sit inside the repository to resolve them
      const outDir = file.startsWith('session') ? path.join(root, 'node_modules/.cache/spice-bench') : tmp;
      const outfile = path.join(outDir, file.replace(/\.ts$/, '.mjs'));
      await build({
        entryPoints: [path.join(here, file)],
        outfile,
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        logLevel: 'warning',
        // keep the codec sources readable in profiles
        minify: false,
        // the session suite drives Vite, Playwright and servers from node_modules as they are
        ...(file.startsWith('session') ? { packages: 'external' } : {}),
        banner: { js: `const __benchRoot = ${JSON.stringify(root)};` },
      });
      console.log(`\n== ${file} (Node) ==`);
      await import(pathToFileURL(outfile).href);
    }
  }
  const browserBenches = runBrowser ? pick('.browser.ts') : [];
  if (browserBenches.length) await runInChromium(browserBenches);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
