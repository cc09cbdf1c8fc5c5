/**
 * Codec throughput in Node: our QUIC and LZ decoders against spice-html5's, and GLZ and LZ4 alone (see
 * codecs-cases.ts for what is measured and how). Timed with this process's CPU time, so that time the
 * scheduler gives to other processes on a shared machine does not count against either side.
 * Run with `npm run bench` (bench/run.mjs bundles this file with esbuild).
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { runCodecBench } from './codecs-cases.js';

declare const __benchRoot: string;

const fixtureDir = path.join(__benchRoot, 'test/fixtures/codecs/xspice');
const fixtures = new Map<string, Uint8Array>();
if (fs.existsSync(fixtureDir)) {
  for (const name of fs.readdirSync(fixtureDir)) {
    if (name.endsWith('.bin')) fixtures.set(name, new Uint8Array(fs.readFileSync(path.join(fixtureDir, name))));
  }
}

// A full GC between stretches (see BenchHost.collect): expose V8's gc() to a fresh context and borrow it.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

runCodecBench({
  label: `Node ${process.version} (V8 ${process.versions.v8}), process CPU time`,
  now: cpuMs,
  fixtures,
  print: (line) => console.log(line),
  collect: gc,
  minTimeMs: Number(process.env.BENCH_MS ?? 400),
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
});
