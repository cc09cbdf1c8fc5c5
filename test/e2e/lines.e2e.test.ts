/**
 * Lines, end to end: an Xlib client (test/e2e/support/x-lines.c, compiled here with gcc) draws a zero-width
 * polyline, one- and five-pixel wide lines, a dashed line, an arc and a rectangle on Xspice. The page shows,
 * and the worker's surface holds, what spicy-screenshot shows, pixel for pixel. It also pins down how the
 * lines travel: spiceqxl sends no DRAW_STROKE for any of them (X rasterises lines itself and the QXL driver
 * sends FILLs and COPYs), which is why STROKE is covered by unit tests (test/unit/display/stroke.test.ts)
 * rather than here. Should a server ever stroke these, this test fails and the comparison covers STROKE.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, startXspice, waitFor } from '../servers/index.js';
import { DisplayMsg } from '../../src/protocol/constants.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { compare, elementScreenshot, saveComparison, screenCanvas, showUnscaled, shownPixels } from './support/pixels.js';
import { connectConsole, displayStats, waitForQuietDisplay } from './support/scene.js';

const env = useConsoleBrowser();

describe('lines drawn by an X client', () => {
  it('should show what spicy-screenshot shows, and arrive as fills and copies, not strokes', async () => {
    const xspice = await startXspice({});
    try {
      const program = join(xspice.tmpDir, 'x-lines');
      execFileSync('gcc', ['-O1', '-o', program, join(repoRoot, 'test/e2e/support/x-lines.c'), '-lX11']);
      const page = await openConsolePage(env.browser, env.origin);
      await showUnscaled(page);
      await connectConsole(page, xspice.url);
      // The first picture in before counting (not a fixed 1 s): its messages are not the program's.
      await waitForQuietDisplay(page, 1000);
      const before = (await displayStats(page)).messages as Record<string, number>;
      xspice.run(program);
      await waitFor(async () => (await xspice.exec('xdotool', ['search', '--onlyvisible', '--name', '^x-lines$'])).code === 0, 'the x-lines window', 20_000);
      // Its drawing has reached the page (a fixed 1.5 s was a guess on a loaded machine).
      await waitForQuietDisplay(page);
      const after = (await displayStats(page)).messages as Record<string, number>;
      const sent = (type: number) => (after[type] ?? 0) - (before[type] ?? 0);
      console.log(`while drawing: ${sent(DisplayMsg.DrawFill)} FILL, ${sent(DisplayMsg.DrawCopy)} COPY, ${sent(DisplayMsg.DrawStroke)} STROKE`);
      expect(sent(DisplayMsg.DrawStroke)).toBe(0);
      expect(sent(DisplayMsg.DrawFill) + sent(DisplayMsg.DrawCopy)).toBeGreaterThan(0);

      const shown = await shownPixels(screenCanvas(page));
      const surface = (await elementScreenshot(page))!;
      const theirs = await xspice.screenshot();
      const onPage = compare(shown, theirs);
      const decoded = compare(surface, theirs);
      if (onPage.differing || decoded.differing)
        console.log(`lines: page ${JSON.stringify(onPage)}, surface ${JSON.stringify(decoded)}; pictures in ${saveComparison('lines', shown, theirs)}`);
      expect({ page: onPage.differing, surface: decoded.differing }).toEqual({ page: 0, surface: 0 });
      await page.close();
    } finally {
      await xspice.stop();
    }
  });
});
