/**
 * Serves the repository with Vite's dev server on a free loopback port for end-to-end tests, so pages under
 * test/e2e/page load the real element and worker from source. Dependencies are pre-bundled up front (no
 * discovery) so the page never reloads mid-test.
 */
import { createServer, type ViteDevServer } from 'vite';
import { repoRoot } from '../../servers/index.js';

export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const server: ViteDevServer = await createServer({
    root: repoRoot,
    configFile: false,
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    cacheDir: 'node_modules/.vite-e2e',
    optimizeDeps: { include: ['lit', 'lit/directives/style-map.js', 'comlink', 'idb-keyval', 'fflate'], noDiscovery: true },
    worker: { format: 'es' },
  });
  await server.listen();
  const address = server.httpServer!.address();
  if (!address || typeof address === 'string') throw new Error('page server has no port');
  return { origin: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
