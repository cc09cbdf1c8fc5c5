/**
 * Library build: ESM entries `index` (exports, no side effects), `define` (registers the elements) and
 * `react` (React components; react, react-dom and @lit/react stay the page's own);
 * the engine worker is emitted as its own chunk by Vite's `new Worker(new URL(...))` handling.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the worker chunk is found next to the module that starts it, wherever the
  // package is served from (node_modules, a CDN path), not at the site root.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    lib: {
      entry: { index: 'src/index.ts', define: 'src/define.ts', react: 'src/react/index.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: [/^lit($|\/)/, /^@lit\//, 'idb-keyval', /^react($|\/)/, /^react-dom($|\/)/],
    },
  },
  worker: { format: 'es' },
});
