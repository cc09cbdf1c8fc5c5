// The monitors benchmark (bench/monitors.bench.test.ts) runs like an end-to-end test: real Xspice, the e2e
// page, headless Chromium. `npx vitest run --config bench/vitest.monitors.config.ts`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bench/monitors.bench.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
