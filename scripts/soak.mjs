#!/usr/bin/env node
/**
 * `npm run soak -- [--minutes 60] [--reconnect-minutes 3] [--sample-seconds 15] [--slack-mib 8]`: bundles
 * bench/soak.ts (the run itself: a real workload on Xspice in headless Chromium, reconnecting every few
 * minutes, sampling page and worker heap, frame rate and errors) for plain Node with esbuild and runs it.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Two levels below the root, as test/servers/guest.ts finds the repository from its own location.
const outfile = `${root}.cache/soak/soak.mjs`;
await build({
  entryPoints: [`${root}bench/soak.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  packages: 'external',
  logLevel: 'warning',
});
await import(outfile);
