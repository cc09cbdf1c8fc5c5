/**
 * The short fuzz run inside the unit tests: every target, a few hundred generated inputs each from a fixed
 * seed (so a failure reproduces), every one ending in a result or a ProtocolError within a second. The long
 * run is `npm run fuzz` (test/fuzz/run.ts); its findings become regression tests in regressions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.js';
import { allocations, campaign, Finding, type FuzzTarget, hexPreview, MAX_SINGLE_ALLOCATION, runOne, seedsOf, trackAllocations } from './harness.js';
import { allTargets } from './targets/index.js';

/** Inputs per target: enough to reach past the headers of every seed, few enough for seconds in total. */
const RUNS = Number(process.env['FUZZ_UNIT_RUNS'] ?? 300);

// Every buffer an input makes the decoders allocate is measured (this file runs in its own worker).
trackAllocations();

describe('fuzz (short run)', () => {
  for (const target of allTargets) {
    it(`should keep every input of ${target.name} to a result or a ProtocolError`, () => {
      // Every seed is valid input: the target itself must accept it (a broken seed would fuzz nothing).
      for (const seed of target.seeds()) expect(() => target.run(seed), `seed ${hexPreview(seed)}`).not.toThrow();
      expect(seedsOf(target).length > 0 || target.arbitrary !== undefined).toBe(true);
      const runs = Math.min(RUNS, target.unitRuns ?? RUNS);
      const r = campaign(target, runs, 0x5eed, 1);
      const found = r.findings.map((f) => `${f.message}\n  input: ${hexPreview(f.input, 256)}`);
      expect(found).toEqual([]);
      expect(r.inputs).toBeGreaterThanOrEqual(runs);
    });
  }
});

describe('fuzz harness', () => {
  const target = (run: (input: Uint8Array) => void): FuzzTarget => ({ name: 'test/target', seeds: () => [Uint8Array.of(1, 2, 3)], run });

  it('should report an exception other than a ProtocolError as a finding, with a shrunk input', () => {
    const r = campaign(
      target((input) => void (input.length > 4 && (input as unknown as { x: { y: number } }).x.y)),
      200,
      1,
      1,
    );
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.message).toMatch(/TypeError/);
    expect(r.findings[0]!.input.length).toBe(5); // shrunk to the shortest failing length
  });

  it('should accept ProtocolErrors and count them as refused', () => {
    const r = campaign(
      target(() => {
        throw new ProtocolError('no');
      }),
      50,
      1,
    );
    expect(r).toMatchObject({ refused: r.inputs, findings: [] });
  });

  it('should report an input slower than the limit, and a buffer beyond the largest legitimate one', () => {
    expect(() =>
      runOne(
        target(() => {
          const end = performance.now() + 40;
          while (performance.now() < end);
        }),
        new Uint8Array(0),
        30,
      ),
    ).toThrow(Finding);
    expect(() =>
      runOne(
        target(() => void new ArrayBuffer(MAX_SINGLE_ALLOCATION + 1)),
        new Uint8Array(0),
      ),
    ).toThrow(/allocated a buffer of/);
    runOne(
      target(() => void new Uint32Array(1000)),
      new Uint8Array(0),
    );
    expect(allocations.largest).toBe(4000);
  });
});
