/**
 * Self-contained build for pages without a bundler: ONE ES module, dist/standalone/spice-console.standalone.js,
 * with lit, comlink and every other dependency inside and the elements registered, plus the engine worker
 * chunk beside it (found through `import.meta.url`, so the folder can be served from any path).
 * `SPICE_STANDALONE_OUT` overrides the output folder (the end-to-end test builds into a temporary one).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // Its own cache: builds running beside the library build must not share one.
  cacheDir: 'node_modules/.vite-standalone',
  build: {
    outDir: process.env.SPICE_STANDALONE_OUT ?? 'dist/standalone',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    assetsDir: '',
    lib: {
      entry: { 'spice-console.standalone': 'src/standalone.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      output: { codeSplitting: false },
    },
  },
  worker: { format: 'es' },
});
