/**
 * A Vitest reporter for CI: with `CI` set, a test that was skipped (typically a suite behind
 * `describe.skipIf(!haveTools)`: a compiler, a library, QEMU missing) fails the run, because on CI the
 * setup script (scripts/setup.sh) installs everything every suite needs, so a skip there means a test that
 * silently did not run. Skips that are expected on every machine are allowed below, each with its reason.
 * Without `CI` it does nothing: a developer's machine may lack a tool.
 */
import type { Reporter, TestModule } from 'vitest/node';

interface AllowedSkip {
  /** Matched against "<file> > <full test name>". */
  pattern: RegExp;
  reason: string;
}

export const ALLOWED_SKIPS: readonly AllowedSkip[] = [
  {
    pattern: /test\/unit\/codecs\/fixtures\.test\.ts > .*captured payloads/,
    reason: 'no captured server payloads are committed yet (test/fixtures/codecs/README.md says how to capture some)',
  },
  {
    pattern: /test\/unit\/codecs\/corrupt\.test\.ts > .*captured/,
    reason: 'runs only for captured payload files, none of which are committed yet',
  },
];

export default class CiSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (!process.env.CI) return;
    const unexpected: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.result().state !== 'skipped') continue;
        const name = `${module.relativeModuleId} > ${test.fullName}`;
        if (!ALLOWED_SKIPS.some((a) => a.pattern.test(name))) unexpected.push(name);
      }
    }
    if (!unexpected.length) return;
    console.error(`\nCI: ${unexpected.length} test(s) skipped (a tool the test needs is missing? scripts/setup.sh installs them all):\n  ${unexpected.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}
