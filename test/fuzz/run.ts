/**
 * The long fuzz run (`npm run fuzz`): every target (or those named by --target, a substring), a budget of
 * generated inputs shared evenly (--inputs, 1,000,000 by default), from --seed. Prints per target the inputs,
 * how many were refused with a ProtocolError, the time, the slowest input and each finding with its shrunk
 * counterexample; exits 1 if anything was found. Bundled and started by scripts/fuzz.mjs.
 */
import { campaign, hexPreview, MAX_INPUT_MS, MAX_SINGLE_ALLOCATION, seedsOf, trackAllocations } from './harness.js';
import { allTargets } from './targets/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const total = Number(arg('inputs') ?? 1_000_000);
const seed = Number(arg('seed') ?? Date.now() % 0x7fffffff);
const filter = arg('target');
const targets = allTargets.filter((t) => !filter || t.name.includes(filter));
// Targets with a fixed count (expensive inputs) take it; the others share the rest of the budget evenly.
const fixed = targets.filter((t) => t.longRuns !== undefined);
const fixedTotal = fixed.reduce((n, t) => n + Math.min(t.longRuns!, total), 0);
const perTarget = Math.ceil(Math.max(0, total - fixedTotal) / Math.max(1, targets.length - fixed.length));
trackAllocations();

console.log(
  `fuzz: ${targets.length} targets, ${perTarget} inputs each (${fixed.map((t) => `${t.name} ${t.longRuns}`).join(', ') || 'no exceptions'}), seed ${seed}, limits ${MAX_INPUT_MS} ms and one ${MAX_SINGLE_ALLOCATION}-byte buffer per input`,
);
const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(
  `${'target'.padEnd(32)} ${pad('inputs', 9)} ${pad('refused', 8)} ${pad('time s', 8)} ${pad('slowest ms', 11)} ${pad('rerun ms', 9)} ${pad('largest buf', 12)} findings`,
);
let inputs = 0;
let findings = 0;
const t0 = performance.now();
for (const target of targets) {
  seedsOf(target);
  const r = campaign(target, target.longRuns !== undefined ? Math.min(target.longRuns, total) : perTarget, seed);
  inputs += r.inputs;
  findings += r.findings.length;
  console.log(
    `${target.name.padEnd(32)} ${pad(r.inputs, 9)} ${pad(r.refused, 8)} ${pad((r.ms / 1000).toFixed(1), 8)} ${pad(r.slowestMs.toFixed(1), 11)} ${pad(r.slowestRerunMs.toFixed(1), 9)} ${pad(r.largestAllocation, 12)} ${r.findings.length}`,
  );
  if (r.slowestInput && r.slowestRerunMs > 20) console.log(`  slowest input: ${hexPreview(r.slowestInput, 48)}`);
  if (r.largestAllocationInput && r.largestAllocation > 16 * 1024 * 1024) console.log(`  largest buffer for: ${hexPreview(r.largestAllocationInput, 48)}`);
  for (const f of r.findings) console.log(`  FINDING ${f.message}\n    input: ${hexPreview(f.input, 512)}`);
}
console.log(`total: ${inputs} inputs in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${findings} finding(s), seed ${seed}`);
process.exitCode = findings ? 1 : 0;
