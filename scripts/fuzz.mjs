#!/usr/bin/env node
// `npm run fuzz [-- --inputs N --seed S --target NAME]`: bundles test/fuzz/run.ts (TypeScript, with the
// sources it imports) into .cache/fuzz/run.mjs with esbuild and runs it with the same arguments.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, '.cache/fuzz/run.mjs');
await build({
  entryPoints: [path.join(root, 'test/fuzz/run.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  // The fixtures are found relative to the source file: keep import.meta.url pointing into test/fuzz.
  define: { 'import.meta.url': JSON.stringify(`file://${path.join(root, 'test/fuzz/seeds.ts')}`) },
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
