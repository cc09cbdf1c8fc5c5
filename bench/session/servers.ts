/**
 * The session bench's server side: Xspice at 1920x1080 with one scene on it, a byte-counting TCP relay in
 * front of it (both clients' traffic crosses it, so bytes on the wire are counted the same way), websockify
 * for spice-html5 (which cannot speak to spice-server's own WebSocket port), the scene programs (the noise
 * program is compiled from bench/session/noise.c), and spicy-screenshot for the native first picture.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { findFreePort, startXspice, waitFor, type Xspice, type XspiceOptions } from '../../test/servers/index.js';

export type SceneName = 'text' | 'images' | 'video';

export interface SceneServer {
  xspice: Xspice;
  /** ws:// URL of the relay (our element; spice-server takes the WebSocket upgrade itself). */
  ourUrl: string;
  /** ws:// URL of websockify in front of the relay (spice-html5). */
  sh5Url: string;
  /** Bytes the server sent through the relay so far. */
  bytesToClient(): number;
  /** Frames the scene program drew so far (noise scenes), or null. */
  sceneFrames(): number | null;
  stop(): Promise<void>;
}

export const WIDTH = 1920;
export const HEIGHT = 1080;

/** Compiles the noise program once per run. */
export function buildNoise(root: string, tmp: string): string {
  const out = path.join(tmp, 'noise');
  execFileSync('cc', ['-O2', '-o', out, path.join(root, 'bench/session/noise.c'), '-lX11']);
  return out;
}

function relay(target: number): Promise<{ port: number; bytes: () => number; close: () => void }> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstream.on('data', (d) => {
      bytes += d.length;
      if (!client.write(d)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.on('data', (d) => {
      if (!upstream.write(d)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        bytes: () => bytes,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

/** Starts Xspice with `scene` running full screen (video: a 1280x720 window the server streams as MJPEG). */
export async function startScene(scene: SceneName | 'desktop', noise: string): Promise<SceneServer> {
  const opts: XspiceOptions = { width: WIDTH, height: HEIGHT, imageCompression: 'auto_glz', streamingVideo: 'off' };
  if (scene === 'video') Object.assign(opts, { streamingVideo: 'all', videoCodecs: 'spice:mjpeg' });
  const xspice = await startXspice(opts);
  const r = await relay(xspice.port);
  const wsPort = await findFreePort();
  const websockify: ChildProcess = spawn('websockify', [`127.0.0.1:${wsPort}`, `127.0.0.1:${r.port}`], { stdio: 'ignore' });
  let frames: number | null = null;
  if (scene === 'text') {
    // a fast scrolling command in a full-screen terminal
    xspice.run('xterm', ['-geometry', '237x74+0+0', '-e', 'sh', '-c', 'while :; do cat /usr/share/common-licenses/GPL-3; done']);
  } else if (scene === 'images' || scene === 'video') {
    const args = scene === 'video' ? ['1280', '720'] : [];
    const child = xspice.run(noise, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      const m = /frames (\d+)\s*$/.exec(d.trim());
      if (m) frames = Number(m[1]);
    });
  } else {
    // the first-picture desktop: a terminal and a clock
    xspice.run('xterm', ['-geometry', '100x30+20+20']);
    xspice.run('xclock', ['-geometry', '200x200+900+40', '-update', '1']);
  }
  await waitFor(async () => await isListening(wsPort), 'websockify', 10_000);
  return {
    xspice,
    ourUrl: `ws://127.0.0.1:${r.port}`,
    sh5Url: `ws://127.0.0.1:${wsPort}`,
    bytesToClient: r.bytes,
    sceneFrames: () => frames,
    async stop() {
      r.close();
      websockify.kill('SIGTERM');
      await xspice.stop();
    },
  };
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Milliseconds spicy-screenshot takes from start to exit (connect, link, first picture, PPM written). */
export async function timeSpicyScreenshot(port: number, dir: string): Promise<number> {
  const t0 = performance.now();
  const env = { ...process.env };
  delete env.DISPLAY;
  await new Promise<void>((resolve, reject) => {
    const p = spawn('spicy-screenshot', ['-h', '127.0.0.1', '-p', String(port), '-o', path.join(dir, 'first.ppm')], { env, stdio: 'ignore' });
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`spicy-screenshot exited ${code}`))));
    p.once('error', reject);
  });
  return performance.now() - t0;
}
