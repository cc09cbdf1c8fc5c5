/**
 * `npm run bench session [--quick] [--minutes N] [--runs N]`: what a user feels in a real session, for our
 * element and spice-html5 in the same Chromium, against the same real Xspice (1920x1080), in the same run.
 * Prints each figure for both and their ratio (ours / spice-html5):
 * 1. heavy scenes (scrolling text in a full-screen xterm; full-screen fresh random images with video streaming
 *    off; a 1280x720 noise window the server streams as MJPEG): frames per second (the client's presented
 *    frames; for noise scenes also the scene's own frames, which spice-server throttles to the client), the
 *    main thread's longest task (Long Tasks API: count and total of tasks >= 50 ms; a 5 ms timer's lateness
 *    for shorter ones), input delay p50/p95 while Playwright types and moves the mouse, and arrival-to-frame
 *    delay p50/p95 (ours: stamped in the worker when the display channel takes a message up, to the worker
 *    animation frame that puts it on the canvas; spice-html5: stamped in a WebSocket listener that runs
 *    before its own, to the page animation frame after its draw) for the first and the last third of the run;
 * 2. first picture: connect() to the first frame on the canvas (page already loaded), against spice-html5
 *    and the native spicy-screenshot (process start to exit: connect, link, picture, file written);
 * 3. memory (page JS heap, renderer + GPU process RSS) at the start, middle and end of each scene, and
 *    bytes on the wire per presented frame;
 * 4. weight: element + worker as a page downloads them (Vite build, minified, gzipped), worker start time.
 * The codec figures are `npm run bench codecs`; USB is `npm run bench usb`.
 *
 * Environment: BENCH_SCENES=text,images,video,first runs only those parts (first: weight and first picture);
 * BENCH_CLIENTS=ours (or sh5) runs only that client in the heavy scenes;
 * BENCH_TRACE=1 traces the first 15 s of each window in Chromium and adds the main thread's longest task by
 * its own CPU time (a loaded machine inflates wall-clock task lengths with time the thread did not run);
 * BENCH_COMPRESSION sets our element's image-compression (e.g. auto-lz); BENCH_VERBOSE=1 prints our
 * element's image types and message counts per scene and both pages' console.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import { build } from 'vite';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../test/chromium.mjs';
import { buildNoise, startScene, timeSpicyScreenshot, HEIGHT, WIDTH, type SceneName } from './session/servers.js';
import type { ProbeStats } from './session/probe.js';

declare const __benchRoot: string;
const root = __benchRoot;
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const minutes = Number(flag('--minutes') ?? (quick ? 1 : 10));
const runs = Number(flag('--runs') ?? (quick ? 1 : 3));
const firstPictureRuns = quick ? 5 : 9;
const warmupMs = 5000;
const windowMs = minutes * 60_000;

type Client = 'ours' | 'sh5';

// ---------------------------------------------------------------------------------------------------------
// statistics

const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);
const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);

// ---------------------------------------------------------------------------------------------------------
// pages

async function buildPages(tmp: string): Promise<{ dir: string; weight: { total: number; worker: number; files: number } }> {
  const outDir = path.join(tmp, 'pages');
  const common = { root, configFile: false as const, logLevel: 'warn' as const, base: './', worker: { format: 'es' as const } };
  await build({
    ...common,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { input: { ours: path.join(root, 'bench/session/ours.html'), sh5: path.join(root, 'bench/session/sh5.html') } },
    },
  });
  // Weight: what a page that uses only the element downloads (a page importing src/define.ts).
  const weightDir = path.join(tmp, 'weight');
  const entry = path.join(root, 'bench/session/weight.html');
  await build({ ...common, build: { outDir: weightDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: entry } } });
  let total = 0;
  let worker = 0;
  let files = 0;
  const walk = (dir: string): void => {
    for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.js')) {
        const gz = zlib.gzipSync(fs.readFileSync(p), { level: 9 }).length;
        total += gz;
        files++;
        if (/worker/i.test(f.name)) worker += gz;
      }
    }
  };
  walk(weightDir);
  return { dir: outDir, weight: { total, worker, files } };
}

function serveStatic(dir: string): Promise<{ origin: string; close(): void }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    const file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ origin: `http://127.0.0.1:${(server.address() as any).port}`, close: () => server.close() })),
  );
}

async function openPage(browser: Browser, origin: string, client: Client): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
  page.on('pageerror', (e) => console.error(`[${client} page error] ${e.message}`));
  if (process.env.BENCH_VERBOSE) page.on('console', (m) => console.log(`[${client} console] ${m.text()}`));
  await page.goto(`${origin}/bench/session/${client}.html`);
  await page.waitForFunction(() => (window as any).bench?.ready === true, null, { timeout: 60_000 });
  return page;
}

// ---------------------------------------------------------------------------------------------------------
// memory

async function memory(browserCdp: CDPSession, pageCdp: CDPSession): Promise<{ heap: number; rss: number }> {
  // After a full GC of the page, so that samples compare live objects, not garbage not yet collected.
  await pageCdp.send('HeapProfiler.collectGarbage');
  const { metrics } = (await pageCdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
  const info = (await browserCdp.send('SystemInfo.getProcessInfo' as any)) as { processInfo: { type: string; id: number }[] };
  let rss = 0;
  for (const p of info.processInfo) {
    if (p.type !== 'renderer' && p.type !== 'GPU') continue;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p.id}/status`, 'utf8'));
      if (m) rss += Number(m[1]) * 1024;
    } catch {
      /* gone */
    }
  }
  return { heap, rss };
}

// ---------------------------------------------------------------------------------------------------------
// heavy scenes

interface SceneResult {
  fps: number;
  sceneFps: number | null;
  longTasks: { count: number; totalMs: number; maxMs: number };
  timerLatenessMaxMs: number;
  inputP50: number;
  inputP95: number;
  inputCount: number;
  moveP50: number;
  moveP95: number;
  eventTimingMax: number;
  latP50: number;
  latP95: number;
  latP95First: number;
  latP95Last: number;
  latSamples: number;
  bytesPerFrame: number;
  /** Bytes per second the client took from the server: its throughput where the server drops frames. */
  bytesPerSecond: number;
  mem: { heap: number; rss: number }[];
  notes: string;
  /** From a Chromium trace of the page's main thread (BENCH_TRACE=1), or null. */
  trace: MainThreadTrace | null;
}

interface MainThreadTrace {
  seconds: number;
  tasks: number;
  /** Longest task by wall clock and by the thread's own CPU time (which the scheduler's preemption does not inflate). */
  longestWallMs: number;
  longestCpuMs: number;
  /** Tasks of 50 ms and more by wall clock, and by CPU time. */
  over50Wall: number;
  over50Cpu: number;
  cpuMsPerSecond: number;
  /** The longest task by wall clock: when (s into the trace) and the longest events inside it (name: wall ms). */
  longestWhat: string;
}

/** Top-level tasks of the renderer main thread(s) in a Chromium trace: wall and thread (CPU) durations. */
function mainThreadTasks(trace: Buffer, seconds: number): MainThreadTrace {
  const { traceEvents } = JSON.parse(trace.toString('utf8')) as { traceEvents: any[] };
  const main = new Set<string>();
  for (const e of traceEvents) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') main.add(`${e.pid}:${e.tid}`);
  let tasks = 0;
  let longestWall = 0;
  let longestCpu = 0;
  let over50Wall = 0;
  let over50Cpu = 0;
  let cpu = 0;
  let longest: any = null;
  let t0 = Infinity;
  for (const e of traceEvents) if (e.ts > 0 && e.ts < t0) t0 = e.ts;
  for (const e of traceEvents) {
    if (e.ph !== 'X' || !main.has(`${e.pid}:${e.tid}`) || !/RunTask/.test(e.name)) continue;
    const wall = (e.dur ?? 0) / 1000;
    if (wall > longestWall) longest = e;
    const thread = (e.tdur ?? e.dur ?? 0) / 1000;
    tasks++;
    cpu += thread;
    longestWall = Math.max(longestWall, wall);
    longestCpu = Math.max(longestCpu, thread);
    if (wall >= 50) over50Wall++;
    if (thread >= 50) over50Cpu++;
  }
  let longestWhat = '';
  if (longest) {
    const inside = traceEvents
      .filter((e) => e !== longest && e.ph === 'X' && e.pid === longest.pid && e.tid === longest.tid && e.ts >= longest.ts && e.ts <= longest.ts + longest.dur)
      .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
      .slice(0, 6)
      .map((e) => `${e.name}${e.args?.data?.type ? `(${e.args.data.type})` : ''}: ${((e.dur ?? 0) / 1000).toFixed(1)}`);
    longestWhat = `at ${((longest.ts - t0) / 1e6).toFixed(1)} s: ${inside.join(', ')}`;
  }
  return { seconds, tasks, longestWallMs: longestWall, longestCpuMs: longestCpu, over50Wall, over50Cpu, cpuMsPerSecond: cpu / seconds, longestWhat };
}

/** Keeps Playwright typing and moving the mouse until `stop` is set: about 20 input events per second. */
async function driveInput(page: Page, stop: { done: boolean }): Promise<void> {
  const text = 'the quick brown fox jumps over the lazy dog ';
  let i = 0;
  while (!stop.done) {
    await page.keyboard.press(text[i % text.length] === ' ' ? 'Space' : `Key${text[i % text.length]!.toUpperCase()}`);
    const x = 200 + ((i * 37) % 1500);
    const y = 150 + ((i * 53) % 800);
    await page.mouse.move(x, y, { steps: 2 });
    i++;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runScene(browser: Browser, browserCdp: CDPSession, origin: string, scene: SceneName, client: Client, noise: string): Promise<SceneResult> {
  const server = await startScene(scene, noise);
  const page = await openPage(browser, origin, client);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  try {
    await page.evaluate(([url, c]) => (window as any).bench.connect(url, c), [
      client === 'ours' ? server.ourUrl : server.sh5Url,
      process.env.BENCH_COMPRESSION ?? '',
    ] as const);
    await page.waitForFunction(async () => ((await (window as any).bench.display())?.frames ?? 0) > 0, null, { timeout: 60_000, polling: 250 });
    await page.mouse.click(WIDTH / 2, HEIGHT / 2); // focus
    await new Promise((r) => setTimeout(r, warmupMs));

    const display = () => page.evaluate(() => (window as any).bench.display());
    await page.evaluate(() => (window as any).bench.probe.reset());
    const start = { frames: (await display()).frames, bytes: server.bytesToClient(), scene: server.sceneFrames(), t: performance.now() };
    let seen = (await display()).latencyTotal as number;
    const ourLatencies: number[] = [];
    const pollOurs = async (): Promise<void> => {
      const d = await display();
      const fresh = Math.min(d.latencyTotal - seen, d.latencies.length);
      if (fresh > 0) ourLatencies.push(...d.latencies.slice(d.latencies.length - fresh));
      seen = d.latencyTotal;
    };
    const mem = [await memory(browserCdp, cdp)];
    const stop = { done: false };
    const input = driveInput(page, stop);
    let trace: MainThreadTrace | null = null;
    if (process.env.BENCH_TRACE) {
      // a trace of part of the window: long tasks by the main thread's CPU time, not only the wall clock
      const traceSeconds = Math.min(15, windowMs / 2000);
      await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline'] });
      await new Promise((r) => setTimeout(r, traceSeconds * 1000));
      trace = mainThreadTasks(await browser.stopTracing(), traceSeconds);
    }
    const end = performance.now() + windowMs;
    let midDone = false;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(3000, end - performance.now())));
      if (client === 'ours') await pollOurs();
      if (!midDone && performance.now() > end - windowMs / 2) {
        mem.push(await memory(browserCdp, cdp));
        midDone = true;
      }
    }
    stop.done = true;
    await input;
    if (client === 'ours') await pollOurs();
    const elapsed = (performance.now() - start.t) / 1000;
    const last = await display();
    const bytes = server.bytesToClient() - start.bytes;
    const sceneEnd = server.sceneFrames();
    const probe = (await page.evaluate(() => (window as any).bench.probe.stats())) as ProbeStats;
    mem.push(await memory(browserCdp, cdp));
    const frames = last.frames - start.frames;
    const lat = client === 'ours' ? ourLatencies : probe.latencies;
    const third = Math.floor(lat.length / 3);
    return {
      fps: frames / elapsed,
      sceneFps: start.scene !== null && sceneEnd !== null ? (sceneEnd - start.scene) / elapsed : null,
      longTasks: probe.longTasks,
      timerLatenessMaxMs: probe.timerLatenessMaxMs,
      inputP50: quantile(probe.inputDelays, 0.5),
      inputP95: quantile(probe.inputDelays, 0.95),
      inputCount: probe.inputDelays.length,
      moveP50: quantile(probe.moveDelays, 0.5),
      moveP95: quantile(probe.moveDelays, 0.95),
      eventTimingMax: probe.eventTimingDelays.length ? Math.max(...probe.eventTimingDelays) : 0,
      latP50: quantile(lat, 0.5),
      latP95: quantile(lat, 0.95),
      latP95First: quantile(lat.slice(0, third), 0.95),
      latP95Last: quantile(lat.slice(lat.length - third), 0.95),
      latSamples: lat.length,
      bytesPerFrame: frames > 0 ? bytes / frames : NaN,
      bytesPerSecond: bytes / elapsed,
      mem,
      notes: `${last.notes ?? ''}; long tasks (ms into the window: ms) ${probe.longTaskList.map((t) => `${t.at}: ${t.ms}`).join(', ') || 'none'}; memory sampled at 0, ${Math.round(windowMs / 2)} and ${Math.round(windowMs)} ms`,
      trace,
    };
  } finally {
    await page.evaluate(() => (window as any).bench.disconnect()).catch(() => {});
    await page.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// first picture

async function firstPicture(browser: Browser, origin: string, noise: string, tmp: string): Promise<Record<Client | 'native', number[]>> {
  const server = await startScene('desktop', noise);
  const out: Record<Client | 'native', number[]> = { ours: [], sh5: [], native: [] };
  try {
    await new Promise((r) => setTimeout(r, 2000)); // let the desktop settle
    for (const client of ['ours', 'sh5'] as const) {
      const page = await openPage(browser, origin, client);
      try {
        for (let i = 0; i < firstPictureRuns + 1; i++) {
          const t0 = (await page.evaluate((url) => (window as any).bench.connect(url), client === 'ours' ? server.xspice.url : server.sh5Url)) as number;
          let t1: number | null = null;
          for (const deadline = performance.now() + 30_000; t1 === null; await new Promise((r) => setTimeout(r, 20))) {
            if (performance.now() > deadline) throw new Error(`${client}: no first frame within 30 s`);
            t1 = (await page.evaluate(async () => (await (window as any).bench.display())?.firstFrameAt ?? null)) as number | null;
          }
          if (i > 0) out[client].push(t1 - t0); // the first connect warms caches up
          await page.evaluate(() => (window as any).bench.disconnect());
          await new Promise((r) => setTimeout(r, 500));
        }
      } finally {
        await page.close();
      }
    }
    for (let i = 0; i < firstPictureRuns + 1; i++) {
      const ms = await timeSpicyScreenshot(server.xspice.port, tmp);
      if (i > 0) out.native.push(ms);
    }
  } finally {
    await server.stop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

function describeMachine(browser: Browser): string[] {
  const cpus = os.cpus();
  return [
    `machine: ${cpus.length} x ${cpus[0]?.model ?? '?'}, ${mib(os.totalmem())} MiB RAM, ${os.type()} ${os.release()}`,
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on the machine skews wall-clock figures)`,
    `Node ${process.version}, Chromium ${browser.version()} (headless, software rendering), Xspice ${WIDTH}x${HEIGHT}`,
    `settings: ${quick ? 'quick, ' : ''}${minutes} min per scene and client, ${runs} run(s), ${warmupMs / 1000} s warm-up; medians over runs`,
  ];
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spice-session-bench-'));
const noise = buildNoise(root, tmp);
const { dir, weight } = await buildPages(tmp);
const site = await serveStatic(dir);
const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--enable-precise-memory-info'] });
const browserCdp = await browser.newBrowserCDPSession();
try {
  for (const line of describeMachine(browser)) console.log(line);

  const only = process.env.BENCH_SCENES?.split(',');
  /** BENCH_CLIENTS=ours runs only our element in the heavy scenes (e.g. for a long memory run). */
  const clients = (['ours', 'sh5'] as const).filter((c) => !process.env.BENCH_CLIENTS || process.env.BENCH_CLIENTS.split(',').includes(c));
  // 4. weight and worker start
  if (!only || only.includes('first')) {
    const page = await openPage(browser, site.origin, 'ours');
    const starts: number[] = [];
    for (let i = 0; i < 6; i++) starts.push((await page.evaluate(() => (window as any).bench.workerStart())) as number);
    const probes: number[] = [];
    let supported = 0;
    for (let i = 0; i < 5; i++) {
      const p = (await page.evaluate(() => (window as any).bench.codecProbe())) as { ms: number; supported: number };
      probes.push(p.ms);
      supported = p.supported;
    }
    await page.close();
    console.log('\n== weight ==');
    console.log(
      `element + worker, minified + gzipped: ${(weight.total / 1024).toFixed(1)} KiB in ${weight.files} files (worker ${(weight.worker / 1024).toFixed(1)} KiB)`,
    );
    console.log(`worker start (new Worker to its first answer), median of 5 after one warm-up: ${fmt(median(starts.slice(1)))} ms`);
    console.log(
      `video decoder probe (VideoDecoder.isConfigSupported as the engine asks it, in a fresh worker), median: ${fmt(median(probes))} ms, ${supported} of 6 codec strings supported`,
    );

    // 2. first picture
    const fp = await firstPicture(browser, site.origin, noise, tmp);
    console.log('\n== first picture: connect() to the first frame on screen (ms, median; all runs) ==');
    const fpLine = (name: string, xs: number[]) => console.log(`${name.padEnd(22)} ${fmt(median(xs)).padStart(7)}   [${xs.map((x) => x.toFixed(0)).join(' ')}]`);
    fpLine('ours', fp.ours);
    fpLine('spice-html5', fp.sh5);
    fpLine('spicy-screenshot', fp.native);
    console.log(`ours / native: ${fmt(median(fp.ours) / median(fp.native), 2)}x; ours / spice-html5: ${fmt(median(fp.ours) / median(fp.sh5), 2)}x`);
  }

  // 1 + 3. heavy scenes
  for (const scene of (['text', 'images', 'video'] as const).filter((s) => !only || only.includes(s))) {
    const results: Record<Client, SceneResult[]> = { ours: [], sh5: [] };
    for (let r = 0; r < runs; r++) {
      for (const client of clients) results[client].push(await runScene(browser, browserCdp, site.origin, scene, client, noise));
    }
    const m = (client: Client, pick: (r: SceneResult) => number | null): number => median(results[client].map(pick).filter((v): v is number => v !== null));
    console.log(
      `\n== scene "${scene}" (${scene === 'text' ? 'full-screen xterm scrolling text' : scene === 'images' ? 'full-screen random images, streaming off' : '1280x720 random frames streamed as MJPEG'}) ==`,
    );
    console.log(`${'figure'.padEnd(44)} ${'ours'.padStart(10)} ${'sh5'.padStart(10)} ${'ours/sh5'.padStart(9)}`);
    const row = (name: string, pick: (r: SceneResult) => number | null, digits = 1) => {
      const a = m('ours', pick);
      const b = m('sh5', pick);
      console.log(
        `${name.padEnd(44)} ${fmt(a, digits).padStart(10)} ${fmt(b, digits).padStart(10)} ${(Number.isFinite(a / b) ? (a / b).toFixed(2) + 'x' : '-').padStart(9)}`,
      );
    };
    row('frames presented per second', (r) => r.fps);
    row("scene's own frames per second", (r) => r.sceneFps);
    row('long tasks >= 50 ms: count', (r) => r.longTasks.count, 0);
    row('long tasks: total ms', (r) => r.longTasks.totalMs, 0);
    row('long tasks: longest ms', (r) => r.longTasks.maxMs, 0);
    row('main thread blocked (5 ms timer late), max ms', (r) => r.timerLatenessMaxMs);
    row('input delay p50 ms', (r) => r.inputP50);
    row('input delay p95 ms', (r) => r.inputP95);
    row('input events measured', (r) => r.inputCount, 0);
    row('pointermove delay p50 ms (rAF-aligned)', (r) => r.moveP50);
    row('pointermove delay p95 ms (rAF-aligned)', (r) => r.moveP95);
    row('Event Timing: largest input delay ms (>=16)', (r) => r.eventTimingMax);
    row('arrival to frame p50 ms', (r) => r.latP50);
    row('arrival to frame p95 ms', (r) => r.latP95);
    row('  p95, first third of the run', (r) => r.latP95First);
    row('  p95, last third of the run', (r) => r.latP95Last);
    row('  samples', (r) => r.latSamples, 0);
    row('bytes on the wire per presented frame (KiB)', (r) => r.bytesPerFrame / 1024);
    row('bytes on the wire per second (MiB)', (r) => r.bytesPerSecond / 1048576);
    row('JS heap MiB at start', (r) => r.mem[0]!.heap / 1048576);
    row('JS heap MiB at the middle', (r) => (r.mem[1]?.heap ?? NaN) / 1048576);
    row('JS heap MiB at the end', (r) => r.mem[r.mem.length - 1]!.heap / 1048576);
    row('renderer+GPU RSS MiB at start', (r) => r.mem[0]!.rss / 1048576);
    row('renderer+GPU RSS MiB at the middle', (r) => (r.mem[1]?.rss ?? NaN) / 1048576);
    row('renderer+GPU RSS MiB at the end', (r) => r.mem[r.mem.length - 1]!.rss / 1048576);
    if (results.ours[0]?.trace) {
      row('traced main thread: top-level tasks per second', (r) => (r.trace ? r.trace.tasks / r.trace.seconds : null), 0);
      row('traced main thread: CPU ms per second', (r) => r.trace?.cpuMsPerSecond ?? null);
      row('traced: longest task, wall ms', (r) => r.trace?.longestWallMs ?? null);
      row('traced: longest task, main thread CPU ms', (r) => r.trace?.longestCpuMs ?? null);
      row('traced: tasks >= 50 ms by wall / by CPU', (r) => (r.trace ? r.trace.over50Wall : null), 0);
      row('  (by CPU)', (r) => (r.trace ? r.trace.over50Cpu : null), 0);
    }
    if (process.env.BENCH_VERBOSE) for (const client of ['ours', 'sh5'] as const) for (const r of results[client]) console.log(`${client}: ${r.notes}`);
    if (process.env.BENCH_TRACE) {
      for (const client of ['ours', 'sh5'] as const) for (const r of results[client]) if (r.trace) console.log(`${client}: longest traced task ${r.trace.longestWhat}`);
    }
  }
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await browser.close();
  site.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
