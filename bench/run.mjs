#!/usr/bin/env node
// `npm run bench`: bundles each bench/*.bench.ts with esbuild into a temporary file and runs it in Node.
// (No TS runtime is installed; esbuild is, and bundling also pulls in spice-html5's ES modules as-is.)
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)))
  .sort();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spice-bench-'));
try {
  for (const file of benches) {
    const outfile = path.join(tmp, file.replace(/\.ts$/, '.mjs'));
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
      banner: { js: `const __benchRoot = ${JSON.stringify(path.resolve(here, '..'))};` },
    });
    await import(pathToFileURL(outfile).href);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
