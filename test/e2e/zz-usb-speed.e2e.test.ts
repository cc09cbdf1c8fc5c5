import { it } from 'vitest';
import { startQemu } from '../servers/index.js';
import { launchChromium, openConsolePage } from './support/browser.js';
import { startPageServer } from './support/page-server.js';
it('speed', async () => {
  const N = Number(process.env.N ?? 1048576);
  const D = Number(process.env.D ?? 1);
  const pages = await startPageServer(); const browser = await launchChromium();
  const qemu = await startQemu({ usbredirSlots: 4, waitForGuest: true, acmTest: N });
  try {
    const page = await openConsolePage(browser, pages.origin);
    await page.evaluate((u) => (window as any).spiceTest.connect(u), qemu.url);
    await page.waitForFunction(() => (window as any).spiceTest.usbStatus()?.available, null, { timeout: 60000 });
    for (let i = 0; i < D; i++) {
      const key = await page.evaluate(([s, hs]) => (window as any).spiceTest.addFakeUsbDevice({ serialNumber: s, highSpeed: hs }), [`S${i}`, !!process.env.HS] as const);
      console.log(await page.evaluate((k) => (window as any).spiceTest.redirectUsb(k), key));
    }
    const t0 = Date.now();
    await qemu.waitForSerial(new RegExp(Array(D).fill("ACM DONE.*").join("[\\s\\S]*")), 60000).catch(() => {});
    const dt = (Date.now() - t0) / 1000;
    console.log((await qemu.serialLog()).match(/(ACM|GUEST).*/g), `${dt}s ${(N * D / dt / 1e6).toFixed(3)} MB/s`);
  } finally { await qemu.stop(); await browser.close(); await pages.close(); }
}, 200000);
