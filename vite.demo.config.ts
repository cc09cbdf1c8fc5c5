/**
 * The demo page: `vite --config vite.demo.config.ts` serves it (npm run demo starts a server and this),
 * `vite build --config vite.demo.config.ts` writes a static copy to dist-demo/.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'demo',
  build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', strictPort: false, fs: { allow: ['..'] } },
});
