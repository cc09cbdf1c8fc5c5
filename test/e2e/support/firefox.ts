/**
 * Firefox ESR for the core e2e tests: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi
 * (playwright-core's Firefox needs its own patched build, which is never downloaded here). Pages under
 * test/e2e/page are served by the same Vite page server as in Chromium. Uncaught page errors and
 * console errors fail the test, as with Chromium (support/browser.ts), minus what a test allows.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startPageServer, type PageServer } from './page-server.js';

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

let problems: string[] = [];
let allowed: RegExp[] = [];

/** Allows page problems matching `pattern` during the current test. */
export function allowFirefoxProblems(pattern: RegExp): void {
  allowed.push(pattern);
}

export function useFirefox(): { readonly browser: Browser; readonly origin: string } {
  let pages: PageServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    pages = await startPageServer();
    browser = await puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath, headless: true });
  });
  beforeEach(() => {
    problems = [];
    allowed = [];
  });
  afterEach(() => {
    const found = problems.filter((p) => !allowed.some((a) => a.test(p)));
    problems = [];
    if (found.length) throw new Error(`the Firefox page reported ${found.length} problem(s) during this test:\n  ${found.join('\n  ')}`);
  });
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });
  return {
    get browser() {
      return browser!;
    },
    get origin() {
      return pages!.origin;
    },
  };
}

/** Opens the e2e test page (window.spiceTest) in Firefox and watches it for errors. */
export async function openFirefoxConsolePage(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (e) => problems.push(`uncaught exception: ${(e as Error).message ?? e}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  await page.goto(`${origin}/test/e2e/page/index.html`);
  await page.waitForFunction(() => (window as any).spiceTest?.ready === true, { timeout: 60_000 });
  return page;
}
