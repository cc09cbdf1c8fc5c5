import { defineConfig } from 'vitest/config';
import CiSkipReporter from './test/ci-skip-reporter.js';

export default defineConfig({
  test: {
    // With CI set, a skipped test fails the run (test/ci-skip-reporter.ts).
    reporters: ['default', new CiSkipReporter()],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
