/**
 * The browser layer's core set in Firefox ESR (`npm run test:browser:firefox`): Debian's firefox-esr driven
 * by puppeteer-core over WebDriver BiDi (no browser download). The core set is what must work in every
 * browser: the element, its worker and canvas, input, reconnect, accessibility and translation. WebUSB and
 * Keyboard Lock are Chromium's, so the USB device tests stay in the Chromium run.
 */
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { reactEsmPlugin } from './test/browser/react-esm.plugin.mjs';

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export const FIREFOX_CORE = [
  'test/browser/spice-console.test.ts',
  'test/browser/input-keyboard.test.ts',
  'test/browser/reconnect.test.ts',
  'test/browser/l10n.test.ts',
  'test/browser/settings-unavailable.test.ts',
];

export default {
  files: FIREFOX_CORE,
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 20000 } },
  plugins: [reactEsmPlugin(), esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.page.json' })],
  browsers: [
    puppeteerLauncher({
      launchOptions: { browser: 'firefox', executablePath: firefoxPath, headless: true },
    }),
  ],
};
