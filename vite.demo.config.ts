/**
 * The demo page: `vite --config vite.demo.config.ts` serves it (npm run demo starts a server and this),
 * `vite build --config vite.demo.config.ts` writes a static copy to dist-demo/.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'demo',
  build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
  // Pre-bundle every dependency the page and the worker import, so the first load never meets a
  // re-optimization ("504 Outdated Optimize Dep") halfway through starting the worker.
  // Its own cache folder: the e2e page server optimizes the same packages with another root.
  cacheDir: '../node_modules/.vite-demo',
  optimizeDeps: { include: ['lit', 'lit/directives/style-map.js', 'comlink', 'idb-keyval', 'fflate'], entries: ['index.html'] },
  server: { host: '127.0.0.1', strictPort: false, fs: { allow: ['..'] } },
});
