#!/usr/bin/env node
/**
 * `npm run demo`: starts a local Xspice desktop (an X server that is a SPICE server, with the guest agent,
 * an xterm running top and a clock), serves the demo page with Vite, and prints the URL that connects
 * <spice-console> to it. `npm run demo -- --url ws://host:port` skips Xspice and points the page at an
 * existing server instead. Ctrl+C stops everything.
 */
import { build } from 'esbuild';
import { createServer } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

let spiceUrl = option('url');
let xspice = null;
if (!spiceUrl) {
  // The server harness is TypeScript shared with the e2e tests; bundle it for plain Node.
  const outfile = `${root}node_modules/.cache/spice-console/servers.mjs`;
  await build({ entryPoints: [`${root}test/servers/index.ts`], bundle: true, platform: 'node', format: 'esm', outfile, packages: 'external', logLevel: 'warning' });
  const { startXspice } = await import(outfile);
  const password = option('password');
  xspice = await startXspice({ agent: true, ...(password ? { password } : {}), ...(option('spice-port') ? { port: Number(option('spice-port')) } : {}) });
  xspice.run('xterm', ['-geometry', '80x24+10+10', '-e', 'top']);
  xspice.run('xclock', ['-update', '1', '-geometry', '200x200-20+20']);
  xspice.run('xterm', ['-geometry', '60x10+60+420', '-title', 'type here']);
  spiceUrl = xspice.url;
  console.log(`Xspice desktop ${xspice.displayName} serving SPICE on ${xspice.url}${password ? ' (password set)' : ''}`);
}

const vite = await createServer({ configFile: `${root}vite.demo.config.ts`, server: { port: Number(option('port') ?? 5173) } });
await vite.listen();
const address = vite.httpServer.address();
const pageUrl = `http://127.0.0.1:${address.port}/?url=${encodeURIComponent(spiceUrl)}&autoconnect=1`;
console.log(`\n  Demo: ${pageUrl}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await vite.close();
  await xspice?.stop();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
