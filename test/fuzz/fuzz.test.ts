/**
 * The short fuzz run inside the unit tests: every target, a few hundred generated inputs each from a fixed
 * seed (so a failure reproduces), every one ending in a result or a ProtocolError within a second. The long
 * run is `npm run fuzz` (test/fuzz/run.ts); its findings become regression tests in regressions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { campaign, hexPreview, seedsOf } from './harness.js';
import { allTargets } from './targets/index.js';

/** Inputs per target: enough to reach past the headers of every seed, few enough for seconds in total. */
const RUNS = Number(process.env['FUZZ_UNIT_RUNS'] ?? 300);

describe('fuzz (short run)', () => {
  for (const target of allTargets) {
    it(`should keep every input of ${target.name} to a result or a ProtocolError`, () => {
      // Every seed is valid input: the target itself must accept it (a broken seed would fuzz nothing).
      for (const seed of target.seeds()) expect(() => target.run(seed), `seed ${hexPreview(seed)}`).not.toThrow();
      expect(seedsOf(target).length).toBeGreaterThan(0);
      const r = campaign(target, RUNS, 0x5eed, 1);
      const found = r.findings.map((f) => `${f.message}\n  input: ${hexPreview(f.input, 256)}`);
      expect(found).toEqual([]);
      expect(r.inputs).toBeGreaterThanOrEqual(RUNS);
    });
  }
});
