/**
 * Headless Debian Chromium for end-to-end tests, driven by playwright-core (which never downloads a
 * browser). `openConsolePage` opens the e2e test page; its `window.spiceTest` drives `<spice-console>`.
 *
 * `useConsoleBrowser()` also watches every page the file's tests open: an uncaught exception in the page or
 * in one of its workers (Playwright reports a worker's uncaught errors and rejections as the page's
 * `pageerror`, and a worker's console messages as the page's `console` with `worker()` set), a
 * console.error from the page or a worker, a failed request or an HTTP error response fails the test
 * during which it happened. Messages known to be benign are allowed with a reason: `BENIGN` for every
 * file, `allowPageErrors` for the current test (e.g. a test that makes a connection fail on purpose).
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../chromium.mjs';
import { startPageServer, type PageServer } from './page-server.js';

export interface AllowedProblem {
  /** Matched against the problem's text, e.g. "console.error (worker): …" or "request failed: GET …". */
  pattern: RegExp;
  /** Why this is not a fault of the element. */
  reason: string;
}

/** Benign for every test. */
export const BENIGN: readonly AllowedProblem[] = [
  { pattern: /\/favicon\.ico\b/, reason: 'the test page has no icon; Chromium asks for one anyway' },
  {
    pattern: /^console\.error \(page\): [\s\S]*\[http:\/\/127\.0\.0\.1:\d+\/@vite\/client\]$/,
    reason:
      "Vite's dev-server client on the e2e page (test scaffolding, not the element) tries its HMR WebSocket even with hmr off; " +
      'a page served through page.route (the CSP cursor test) makes Chromium refuse it',
  },
];

let problems: string[] = [];
let allowedNow: AllowedProblem[] = [];

/** Allows problems matching `pattern` during the current test only (call inside the test). */
export function allowPageErrors(pattern: RegExp, reason: string): void {
  allowedNow.push({ pattern, reason });
}

/** The problems recorded so far in this test, which then no longer fail it (for a test that checks the watch itself). */
export function takePageProblems(): string[] {
  const found = problems;
  problems = [];
  return found;
}

function record(problem: string): void {
  if ([...BENIGN, ...allowedNow].some((a) => a.pattern.test(problem))) return;
  problems.push(problem);
}

const watched = new WeakSet<Page>();

/** Whether a test body (not a beforeAll) is running, and the pages opened during it. */
let inTest = false;
const openedInTest = new Set<Page>();

/** Reports every problem of `page` (and its workers) to the running test. Idempotent. */
export function watchPage(page: Page): void {
  if (watched.has(page)) return;
  watched.add(page);
  if (inTest) {
    openedInTest.add(page);
    page.on('close', () => openedInTest.delete(page));
  }
  page.on('pageerror', (e) => record(`uncaught exception: ${e.stack ?? e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.worker() ? `worker ${m.worker()!.url()}` : 'page';
    record(`console.error (${where}): ${m.text()}${m.location().url ? ` [${m.location().url}]` : ''}`);
  });
  page.on('requestfailed', (r) => record(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
  page.on('response', (r) => {
    if (r.status() >= 400) record(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

function watchContext(context: BrowserContext): void {
  context.on('page', (page) => watchPage(page));
}

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  // Every page, however a test opens it (browser.newPage or a context of its own), is watched.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    watchContext(context);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    watchPage(page);
    return page;
  };
  return browser;
}

/** Opens the e2e page and waits until the element is defined. */
export async function openConsolePage(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${origin}/test/e2e/page/index.html`);
  await page.waitForFunction(() => (window as any).spiceTest?.ready === true, null, { timeout: 60_000 });
  return page;
}

/** For a whole test file that launches Chromium itself: fails each test during which a watched page had a problem. */
export function failOnPageProblems(): void {
  beforeEach(() => {
    problems = [];
    allowedNow = [];
    inTest = true;
  });
  afterEach(async () => {
    const found = problems;
    problems = [];
    allowedNow = [];
    inTest = false;
    // A page the test opened and left open (it failed before its page.close()) would stay connected: holding a
    // server's only client slot or a USB channel, reconnecting, or reporting problems into the next test (or
    // this test's retry). Closed here, after the describe's own afterEach hooks (which may still use it) and
    // after the check above, so what closing it prints fails nothing.
    const left = [...openedInTest];
    openedInTest.clear();
    await Promise.all(left.map((p) => p.close().catch(() => {})));
    if (found.length) throw new Error(`the page reported ${found.length} problem(s) during this test:\n  ${found.join('\n  ')}`);
  });
}

/**
 * For a whole test file: starts the page server and Chromium before its tests and stops both after them,
 * and fails each test during which a page problem (see above) happened.
 * Read `browser` and `origin` inside tests (they exist once beforeAll ran).
 */
export function useConsoleBrowser(): { readonly browser: Browser; readonly origin: string } {
  let pages: PageServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    pages = await startPageServer();
    browser = await launchChromium();
  });
  failOnPageProblems();
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
