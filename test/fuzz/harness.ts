/**
 * The fuzzing harness: what a target is, how inputs are made, and what counts as a finding. A target is one
 * parser or codec entry point with seeds (valid inputs, captured or built) and a `run` that feeds it one input.
 * Inputs are fast-check values: either random bytes or a seed with a list of mutations (byte writes,
 * interesting integers at any offset and width, cuts, deletions, insertions, duplicated chunks), so fast-check
 * can shrink a counterexample to the seed and the fewest mutations that still fail.
 *
 * The rule every input must keep: `run` returns, or throws a ProtocolError; within one second. Any other
 * exception (RangeError, TypeError, an Error from an assertion) or a slower input is a finding.
 */
import fc from 'fast-check';
import { ProtocolError } from '../../src/protocol/errors.js';
import { MAX_IMAGE_PIXELS } from '../../src/protocol/limits.js';

export interface FuzzTarget {
  /** Unique name, `area/entry-point`. */
  name: string;
  /** Valid inputs to mutate, each accepted by `run`. Called once; keep them small (large seeds are slow). */
  seeds(): Uint8Array[];
  /**
   * Inputs taken from a captured real session (test/fuzz/corpus). They depend on state that is not replayed
   * (caches, earlier images), so `run` may refuse some; they are mutated like the others.
   */
  captured?(): Uint8Array[];
  /** Feeds one input to the code under test. Must return or throw a ProtocolError. */
  run(input: Uint8Array): void;
  /** Longest random (unseeded) input; 512 bytes unless set. */
  maxRandomLength?: number;
  /** Structured inputs (valid messages of sizes mutation never reaches), used besides seeds and random bytes. */
  arbitrary?: fc.Arbitrary<Uint8Array>;
  /** Inputs in the short unit run, when a target's inputs are expensive (300 unless set). */
  unitRuns?: number;
  /** Inputs in the long run, when a target's inputs are expensive (an even share of the budget unless set). */
  longRuns?: number;
}

/** Slowest acceptable input. */
export const MAX_INPUT_MS = 1000;

export type Outcome = 'ok' | 'protocol';

/** A broken rule: the input, what happened, and the error for its stack. */
export class Finding extends Error {
  constructor(
    readonly kind: 'exception' | 'slow' | 'allocation',
    message: string,
    readonly input: Uint8Array,
    readonly error?: unknown,
  ) {
    super(message, { cause: error });
  }
}

/** Runs one input; returns the outcome and the time it took, or throws a Finding. */
export function runOne(target: FuzzTarget, input: Uint8Array, limitMs = MAX_INPUT_MS): { outcome: Outcome; ms: number } {
  resetAllocations();
  const t0 = performance.now();
  let outcome: Outcome = 'ok';
  try {
    target.run(input);
  } catch (e) {
    if (!(e instanceof ProtocolError)) {
      const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw new Finding('exception', `${target.name}: ${what}`, input, e);
    }
    outcome = 'protocol';
  }
  let ms = performance.now() - t0;
  // Two cores shared with other work: a GC pause or a preempted process can stretch one run. A slow input
  // is run twice more and its fastest time counts; slow every time, it is a finding.
  if (ms > limitMs) ms = Math.min(ms, timeOf(target, input), timeOf(target, input));
  if (ms > limitMs) throw new Finding('slow', `${target.name}: one input took ${ms.toFixed(0)} ms`, input);
  if (allocations.largest > MAX_SINGLE_ALLOCATION) {
    throw new Finding('allocation', `${target.name}: one input allocated a buffer of ${allocations.largest} bytes`, input);
  }
  return { outcome, ms };
}

/** Wall time of one more run of `input` (its outcome was already checked). */
export function timeOf(target: FuzzTarget, input: Uint8Array): number {
  const t0 = performance.now();
  try {
    target.run(input);
  } catch {
    // checked by runOne
  }
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------------------
// Inputs

/** Integers that sit on the edges parsers get wrong: zero, powers of two and their neighbours, the limits. */
const INTERESTING = [
  0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 100, 127, 128, 255, 256, 257, 511, 512, 1023, 1024, 4095, 4096, 16383, 16384, 16385, 0x7fff, 0x8000, 0xffff,
  0x10000, 70000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

type Mutation =
  | { k: 'set'; at: number; v: number }
  | { k: 'int'; at: number; bytes: 1 | 2 | 4; be: boolean; v: number }
  | { k: 'cut'; at: number }
  | { k: 'del'; at: number; n: number }
  | { k: 'ins'; at: number; data: Uint8Array }
  | { k: 'dup'; from: number; to: number; n: number };

const position = fc.nat({ max: 0xffffff });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('set' as const), at: position, v: fc.integer({ min: 0, max: 255 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('int' as const),
      at: position,
      bytes: fc.constantFrom(1 as const, 2 as const, 4 as const),
      be: fc.boolean(),
      v: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 0xffffffff })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cut' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('del' as const), at: position, n: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ins' as const), at: position, data: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dup' as const), from: position, to: position, n: fc.integer({ min: 1, max: 256 }) }) },
);

/** Applies mutations to a copy of `seed`. Positions wrap around the current length. */
export function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = seed.slice();
  for (const m of mutations) {
    const len = b.length;
    switch (m.k) {
      case 'set':
        if (len) b[m.at % len] = m.v;
        break;
      case 'int': {
        if (len < m.bytes) break;
        const at = m.at % (len - m.bytes + 1);
        for (let i = 0; i < m.bytes; i++) {
          const shift = 8 * (m.be ? m.bytes - 1 - i : i);
          b[at + i] = Math.floor(m.v / 2 ** shift) & 0xff;
        }
        break;
      }
      case 'cut':
        b = b.subarray(0, len ? m.at % len : 0).slice();
        break;
      case 'del': {
        if (!len) break;
        const at = m.at % len;
        const out = new Uint8Array(len - Math.min(m.n, len - at));
        out.set(b.subarray(0, at));
        out.set(b.subarray(at + m.n), at);
        b = out;
        break;
      }
      case 'ins': {
        const at = len ? m.at % (len + 1) : 0;
        const out = new Uint8Array(len + m.data.length);
        out.set(b.subarray(0, at));
        out.set(m.data, at);
        out.set(b.subarray(at), at + m.data.length);
        b = out;
        break;
      }
      case 'dup': {
        if (!len) break;
        const from = m.from % len;
        const to = m.to % len;
        const n = Math.min(m.n, len - from, len - to);
        b.copyWithin(to, from, from + n);
        break;
      }
    }
  }
  return b;
}

const seedCache = new WeakMap<FuzzTarget, Uint8Array[]>();
export function seedsOf(target: FuzzTarget): Uint8Array[] {
  let s = seedCache.get(target);
  if (!s) seedCache.set(target, (s = [...target.seeds(), ...(target.captured?.() ?? [])]));
  return s;
}

/** Inputs for `target`: mostly mutated seeds, some seeds unchanged, some random bytes. */
export function inputs(target: FuzzTarget): fc.Arbitrary<Uint8Array> {
  const seeds = seedsOf(target);
  const random = fc.uint8Array({ maxLength: target.maxRandomLength ?? 512 });
  if (target.arbitrary) return fc.oneof({ weight: 1, arbitrary: random }, { weight: 6, arbitrary: target.arbitrary });
  if (!seeds.length) return random;
  const seed = fc.nat({ max: seeds.length - 1 });
  return fc.oneof(
    { weight: 1, arbitrary: random },
    { weight: 1, arbitrary: seed.map((i) => seeds[i]!.slice()) },
    {
      weight: 8,
      arbitrary: fc.tuple(seed, fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([i, ms]) => mutate(seeds[i]!, ms)),
    },
  );
}

/** Hex of the first bytes of an input, for reports. */
export function hexPreview(bytes: Uint8Array, max = 64): string {
  const hex = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join('');
  return bytes.length > max ? `${hex}… (${bytes.length} bytes)` : `${hex} (${bytes.length} bytes)`;
}

// ---------------------------------------------------------------------------------------------------------
// Campaigns

export interface CampaignResult {
  target: string;
  /** Inputs run, shrinking included. */
  inputs: number;
  /** Inputs that ended in a ProtocolError. */
  refused: number;
  ms: number;
  slowestMs: number;
  slowestInput: Uint8Array | null;
  /** The slowest input run three more times, fastest of them: its own cost without GC pauses or preemption. */
  slowestRerunMs: number;
  /** Largest single buffer one input allocated (only when allocations are tracked), and that input. */
  largestAllocation: number;
  largestAllocationInput: Uint8Array | null;
  /** Distinct findings, each with its shrunk counterexample. */
  findings: { message: string; input: Uint8Array }[];
}

/**
 * Runs `runs` generated inputs against `target` from `seed`. A finding is shrunk by fast-check, recorded, and
 * the campaign goes on with the next seed until the budget is spent (at most `maxFindings` distinct ones).
 */
export function campaign(target: FuzzTarget, runs: number, seed: number, maxFindings = 5): CampaignResult {
  const result: CampaignResult = {
    target: target.name,
    inputs: 0,
    refused: 0,
    ms: 0,
    slowestMs: 0,
    slowestInput: null,
    slowestRerunMs: 0,
    largestAllocation: 0,
    largestAllocationInput: null,
    findings: [],
  };
  const seen = new Set<string>();
  const t0 = performance.now();
  let left = runs;
  let s = seed;
  while (left > 0 && result.findings.length < maxFindings) {
    const before = result.inputs;
    const out = fc.check(
      fc.property(inputs(target), (input) => {
        result.inputs++;
        const r = runOne(target, input);
        if (r.outcome === 'protocol') result.refused++;
        if (allocations.largest > result.largestAllocation) {
          result.largestAllocation = allocations.largest;
          result.largestAllocationInput = input;
        }
        if (r.ms > result.slowestMs) {
          result.slowestMs = r.ms;
          result.slowestInput = input;
        }
      }),
      { numRuns: left, seed: s },
    );
    left -= result.inputs - before;
    s++;
    if (!out.failed) break;
    const err = out.errorInstance;
    const input = out.counterexample?.[0] ?? new Uint8Array(0);
    const message = err instanceof Error ? err.message : String(err);
    const key = message.replace(/\d+/g, 'N');
    if (!seen.has(key)) {
      seen.add(key);
      result.findings.push({ message, input });
    }
  }
  result.ms = performance.now() - t0;
  const slowest = result.slowestInput;
  if (slowest) result.slowestRerunMs = Math.min(timeOf(target, slowest), timeOf(target, slowest), timeOf(target, slowest));
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Allocations (long run only: it replaces the global typed array constructors)

/**
 * The largest single buffer any input may make the client allocate: a ZLIB_GLZ payload inflated for the
 * largest image (4.25 bytes per pixel of MAX_IMAGE_PIXELS, see zlib-glz.ts), above the largest RGBA image
 * (4 bytes per pixel) and the largest message (MAX_MESSAGE_SIZE).
 */
export const MAX_SINGLE_ALLOCATION = Math.ceil(MAX_IMAGE_PIXELS * 4.25) + 1024;

/** Largest buffer allocated since the last `resetAllocations()`, in bytes. */
export const allocations = { largest: 0, tracking: false };

export function resetAllocations(): void {
  allocations.largest = 0;
}

/**
 * Counts the bytes of every ArrayBuffer and typed array made with a length (`new Uint8Array(n)`), by putting
 * proxies in place of the global constructors. `instanceof` and `subarray` keep working (they go through the
 * real constructors' prototypes).
 */
export function trackAllocations(): void {
  if (allocations.tracking) return;
  allocations.tracking = true;
  const g = globalThis as unknown as Record<string, unknown>;
  const kinds = [
    'ArrayBuffer',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int8Array',
    'Uint16Array',
    'Int16Array',
    'Uint32Array',
    'Int32Array',
    'Float32Array',
    'Float64Array',
    'BigUint64Array',
    'BigInt64Array',
  ];
  for (const kind of kinds) {
    const real = g[kind] as { BYTES_PER_ELEMENT?: number } & (new (...args: unknown[]) => object);
    const unit = real.BYTES_PER_ELEMENT ?? 1;
    g[kind] = new Proxy(real, {
      construct(target, args, newTarget) {
        if (typeof args[0] === 'number') allocations.largest = Math.max(allocations.largest, args[0] * unit);
        return Reflect.construct(target, args, newTarget === g[kind] ? target : newTarget);
      },
    });
  }
}
