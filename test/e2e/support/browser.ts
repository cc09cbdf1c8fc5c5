/**
 * Headless Debian Chromium for end-to-end tests, driven by playwright-core (which never downloads a
 * browser). `openConsolePage` opens the e2e test page; its `window.spiceTest` drives `<spice-console>`.
 */
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../chromium.mjs';
import { startPageServer, type PageServer } from './page-server.js';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** Opens the e2e page and waits until the element is defined. Page errors fail loudly in the log. */
export async function openConsolePage(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${origin}/test/e2e/page/index.html`);
  await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
  return page;
}

/**
 * For a whole test file: starts the page server and Chromium before its tests and stops both after them.
 * Read `browser` and `origin` inside tests (they exist once beforeAll ran).
 */
export function useConsoleBrowser(): { readonly browser: Browser; readonly origin: string } {
  let pages: PageServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    pages = await startPageServer();
    browser = await launchChromium();
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
