/**
 * The e2e support's page watch (useConsoleBrowser): what the page or its workers report as going wrong is
 * recorded for the running test, which then fails. Here each kind is provoked on the e2e page and must be
 * recorded: an uncaught exception and an unhandled rejection in the page, the same in a worker, a
 * console.error in each, and a request answered 404.
 */
import { expect, it } from 'vitest';
import { openConsolePage, takePageProblems, useConsoleBrowser } from './support/browser.js';

const env = useConsoleBrowser();

it('should record uncaught errors, console.error and failed requests of the page and its workers', async () => {
  const page = await openConsolePage(env.browser, env.origin);
  try {
    await page.evaluate(async () => {
      setTimeout(() => {
        throw new Error('thrown in the page');
      });
      void Promise.reject(new Error('rejected in the page'));
      console.error('logged by the page');
      const src = "console.error('logged by a worker'); setTimeout(() => { throw new Error('thrown in a worker'); }); Promise.reject(new Error('rejected in a worker'));";
      new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      await fetch('/no-such-file-here').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    });
    const expected = [
      /uncaught exception: .*thrown in the page/,
      /uncaught exception: .*rejected in the page/,
      /console\.error \(page\): logged by the page/,
      /console\.error \(worker blob:.*\): logged by a worker/,
      /uncaught exception: .*thrown in a worker/,
      /uncaught exception: .*rejected in a worker/,
      /HTTP 404: GET .*\/no-such-file-here/,
    ];
    let found: string[] = [];
    for (let i = 0; i < 100 && !expected.every((e) => found.some((p) => e.test(p))); i++) {
      found = [...found, ...takePageProblems()];
      await new Promise((r) => setTimeout(r, 100));
    }
    found = [...found, ...takePageProblems()];
    for (const e of expected)
      expect(
        found.some((p) => e.test(p)),
        `${e} in ${JSON.stringify(found)}`,
      ).toBe(true);
  } finally {
    await page.close();
  }
});
