/**
 * Codec throughput in Chromium, inside a dedicated Web Worker like the engine's decoders: the same payloads
 * and comparison as the Node run (codecs-cases.ts). bench/run.mjs serves this bundle and test/fixtures from
 * 127.0.0.1 and relays what the worker posts: `{ line }` per output line, then `{ done: true }`.
 * Timed with performance.now() (wall clock: a worker has no CPU clock), so best-of-N matters more here.
 */
import { runCodecBench } from './codecs-cases.js';

interface WorkerScope {
  postMessage(message: unknown): void;
  /** V8's full GC, present when Chromium runs with --js-flags=--expose-gc (bench/run.mjs does). */
  gc?: () => void;
}
const scope = self as unknown as WorkerScope;
const params = new URLSearchParams(location.search);

async function loadFixtures(dir: string): Promise<Map<string, Uint8Array>> {
  const fixtures = new Map<string, Uint8Array>();
  const listing = await fetch(`/fixtures/${dir}/`);
  if (!listing.ok) return fixtures;
  const names = ((await listing.json()) as string[]).filter((n) => n.endsWith('.bin'));
  for (const name of names) {
    const res = await fetch(`/fixtures/${dir}/${name}`);
    fixtures.set(name, new Uint8Array(await res.arrayBuffer()));
  }
  return fixtures;
}

async function main(): Promise<void> {
  runCodecBench({
    label: `${params.get('browser') ?? navigator.userAgent}, dedicated worker, wall clock`,
    now: () => performance.now(),
    fixtures: await loadFixtures('codecs/xspice'),
    print: (line) => scope.postMessage({ line }),
    collect: scope.gc ? () => scope.gc!() : undefined,
    minTimeMs: Number(params.get('ms') ?? 400),
    rounds: Number(params.get('rounds') ?? 5),
  });
}

main().then(
  () => scope.postMessage({ done: true }),
  (err: unknown) => scope.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
);
