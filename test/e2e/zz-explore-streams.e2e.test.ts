import { afterAll, beforeAll, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sleep, startXspice } from '../servers/index.js';
import { launchChromium, openConsolePage } from './support/browser.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { connectConsole, displayStats, playNoise } from './support/scene.js';

let pages: PageServer;
let browser: Browser;
beforeAll(async () => { pages = await startPageServer(); browser = await launchChromium(); });
afterAll(async () => { await browser?.close(); await pages?.close(); });

for (const codecs of (process.env.CODECS ?? 'spice:mjpeg').split(',')) {
  it(`explore ${codecs}`, async () => {
    const xspice = await startXspice({ streamingVideo: 'all', videoCodecs: codecs.replace(/\+/g, ';') });
    try {
      const anim = await playNoise(xspice);
      const page = await openConsolePage(browser, pages.origin);
      page.on('console', (m) => console.log('[page]', m.text()));
      await connectConsole(page, xspice.url);
      for (let i = 0; i < 6; i++) {
        await sleep(1000);
        const s = await displayStats(page);
        console.log(codecs, JSON.stringify({ streams: s.streams, m: s.messages, frames: s.frames }));
      }
      const logs = await page.evaluate(() => (window as any).spiceTest.events.filter((e: any) => e.name !== 'spice-state').slice(-20));
      console.log(JSON.stringify(logs).slice(0, 2000));
      anim.freeze();
      console.log((await xspice.xorgLog()).split('\n').filter((l) => /stream|codec|gst|encoder|video/i.test(l)).slice(-30).join('\n'));
      await page.close();
    } finally {
      await xspice.stop();
    }
  });
}
