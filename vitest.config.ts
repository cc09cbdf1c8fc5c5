import { defineConfig } from 'vitest/config';
import CiReporter from './test/ci-reporter.js';

export default defineConfig({
  test: {
    // With CI set, a skipped test fails the run; a test that passed only on its retry is listed as flaky
    // (test/ci-reporter.ts).
    reporters: ['default', new CiReporter()],
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
          // Real servers and a real browser on a shared machine: a failed test gets one more try, and passing
          // on it is reported as flaky by test/ci-reporter.ts (never silently). Unit tests get no retry.
          retry: 1,
        },
      },
    ],
  },
});
