/**
 * Browser tests (`npm run test:browser`): the element, the worker and comlink in Debian's Chromium.
 * Test tools cannot download browsers here, so the launcher points at /usr/bin/chromium.
 */
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { chromiumArgs, chromiumPath } from './test/chromium.mjs';
import { reactEsmPlugin } from './test/browser/react-esm.plugin.mjs';

export default {
  files: 'test/browser/**/*.test.ts',
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 20000 } },
  plugins: [
    reactEsmPlugin(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.page.json' }),
    {
      // `executeServerCommand('grant-window-management')`: the Window Management permission for the test
      // page's origin (the multi-monitor windows layout), through CDP.
      name: 'grant-window-management',
      async executeCommand({ command, session }) {
        if (command !== 'grant-window-management') return undefined;
        const page = session.browser.getPage(session.id);
        const cdp = await page.createCDPSession();
        await cdp.send('Browser.grantPermissions', { origin: new URL(page.url()).origin, permissions: ['windowManagement'] });
        return true;
      },
    },
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromiumPath,
        headless: true,
        args: chromiumArgs,
      },
    }),
  ],
};
