/**
 * The guest agent end to end against real QEMU and the test guest: headless Chromium runs <spice-console>;
 * every byte reaching the guest's agent port is printed on its serial console (`AGENT: <hex>`), and the
 * guest's stand-in agent (kernel command line agentstandin=1, see scripts/build-guest.sh) announces
 * DISPLAY_CONFIG, answers file transfers and, with agentrestart=2, closes and reopens the port after the
 * second DISPLAY_CONFIG, as a restarting agent does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { agentBytes, startQemu, waitFor, type Qemu } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';

const env = useConsoleBrowser();

/** DISPLAY_CONFIG as the guest reads it: VDAgentMessage header (protocol 1, type 5, opaque 0, size 8), flags, depth. */
function displayConfigHex(flags: number, depth: number): string {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(5, 4);
  b.writeUInt32LE(8, 16);
  b.writeUInt32LE(flags, 20);
  b.writeUInt32LE(depth, 24);
  return b.toString('hex');
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 2)) if (at % 2 === 0) n++;
  return n;
}

/** Agent events the console fired, in order. */
async function agentEvents(page: Page): Promise<{ name: string; detail: any }[]> {
  return page.evaluate(() => (window as any).agentEvents);
}

async function waitForEvent(page: Page, what: string, pred: (e: { name: string; detail: any }) => boolean, ms = 30_000) {
  return waitFor(async () => (await agentEvents(page)).find(pred) ?? null, what, ms, 100);
}

describe('agent into QEMU: WAN display config, restart, file transfer', () => {
  let qemu: Qemu;
  let page: Page;
  beforeAll(async () => {
    qemu = await startQemu({ agent: true, waitForGuest: true, append: 'agentstandin=1 agentrestart=2' });
    page = await openConsolePage(env.browser, env.origin);
    await page.evaluate(async (url) => {
      const w = window as any;
      w.spiceTest.mount();
      const el = w.spiceTest.element();
      w.agentEvents = [];
      for (const name of ['spice-agent', 'spice-display-config', 'spice-file-transfer', 'spice-clipboard']) {
        el.addEventListener(name, (e: CustomEvent) => w.agentEvents.push({ name, detail: JSON.parse(JSON.stringify(e.detail)) }));
      }
      // What a portal with oVirt's WAN options on sets: depth 16, every effect off, a Windows guest.
      el.setAttribute('wan-options', '');
      el.setAttribute('color-depth', '16');
      el.setAttribute('disable-effects', 'all');
      el.setAttribute('os-type', 'windows');
      await w.spiceTest.connect(url);
    }, qemu.url);
  });
  afterAll(async () => {
    await page?.evaluate(() => (window as any).spiceTest.disconnect()).catch(() => {});
    await page?.close();
    await qemu?.stop();
  });

  it('the guest reads exactly the DISPLAY_CONFIG oVirt means (flags 15, depth 16), after the capabilities', async () => {
    await qemu.waitForSerial(/^STANDIN DISPLAY_CONFIG flags=15 depth=16/m, 60_000);
    const log = await qemu.serialLog();
    const hex = Buffer.from(agentBytes(log)).toString('hex');
    expect(count(hex, displayConfigHex(15, 16))).toBe(1);
    // ...in one piece on the port: VDIChunkHeader (port 1 = VDP_CLIENT_PORT, size 28), then the message.
    expect(count(hex, '010000001c000000' + displayConfigHex(15, 16))).toBe(1);
    // The client announced its caps first, asking back (request=1); the stand-in answered.
    expect(log).toMatch(/^STANDIN CAPS request=1/m);
    expect(hex.indexOf('0100000006000000')).toBeLessThan(hex.indexOf(displayConfigHex(15, 16)));
    const ev = await waitForEvent(page, 'spice-display-config sent', (e) => e.name === 'spice-display-config' && e.detail.sent);
    expect(ev.detail).toEqual({ flags: 15, depth: 16, effects: ['wallpaper', 'font-smooth', 'animation'], sent: true });
    const agent = await waitForEvent(page, 'agent caps', (e) => e.name === 'spice-agent' && e.detail.caps.includes('display-config'));
    expect(agent.detail).toEqual({ connected: true, caps: ['monitors-config', 'reply', 'display-config', 'file-xfer-detailed-errors'], fileTransferAvailable: true });
    expect(await page.evaluate(() => (window as any).spiceTest.element().agentCaps)).toContain('display-config');
  });

  it('a changed choice sends a new DISPLAY_CONFIG; the agent restart brings capabilities and the config again', async () => {
    const before = (await qemu.serialLog()).length;
    await page.evaluate(() => {
      const el = (window as any).spiceTest.element();
      el.colorDepth = 32;
      el.disableEffects = ['animation'];
    });
    // ANIMATION 4 | SET_COLOR_DEPTH 8, depth 32: one message for both changes.
    await qemu.waitForSerial(/^STANDIN DISPLAY_CONFIG flags=12 depth=32/m, 30_000, before);
    // agentrestart=2: the stand-in closes the port now and opens it again a second later.
    await qemu.waitForSerial(/^STANDIN RESTART/m, 30_000, before);
    const reopened = await qemu.waitForSerial(/^GUEST AGENT-OPEN/m, 30_000, before);
    const afterOpen = before + (await qemu.serialLog()).slice(before).indexOf(reopened[0]);
    await qemu.waitForSerial(/^STANDIN DISPLAY_CONFIG flags=12 depth=32/m, 30_000, afterOpen);
    const tail = (await qemu.serialLog()).slice(afterOpen);
    expect(tail).toMatch(/^STANDIN CAPS request=1/m); // announced again, asking back
    expect(count(Buffer.from(agentBytes(await qemu.serialLog())).toString('hex'), displayConfigHex(12, 32))).toBe(2);
    const events = await agentEvents(page);
    const agentStates = events.filter((e) => e.name === 'spice-agent').map((e) => e.detail.connected);
    expect(agentStates).toContain(false);
    expect(agentStates.at(-1)).toBe(true);
    expect(events.filter((e) => e.name === 'spice-display-config' && e.detail.sent && e.detail.flags === 12)).toHaveLength(2);
  });

  it('a file goes into the guest paced by tokens, bytes intact, and the agent says success', async () => {
    await waitFor(() => page.evaluate(() => (window as any).spiceTest.element().fileTransferAvailable), 'file transfer available', 30_000, 100);
    const size = 150_000;
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >> 8)) & 255;
    const md5 = createHash('md5').update(bytes).digest('hex');
    const ids = await page.evaluate(
      async ([b64]) => {
        const raw = Uint8Array.from(atob(b64 as string), (c) => c.charCodeAt(0));
        return (window as any).spiceTest.element().sendFiles([new File([raw], 'payload.bin')]);
      },
      [bytes.toString('base64')] as const,
    );
    expect(ids).toHaveLength(1);
    await qemu.waitForSerial(new RegExp(`^STANDIN XFER START id=${ids[0]} size=${size} name=payload.bin`, 'm'), 30_000);
    // This transfer's own DONE line (a retry's would otherwise match the first try's).
    const done = await qemu.waitForSerial(new RegExp(`^STANDIN XFER DONE id=(${ids[0]}) size=(\\d+) md5=([0-9a-f]{32})`, 'm'), 120_000);
    expect([Number(done[1]), Number(done[2]), done[3]]).toEqual([ids[0], size, md5]);
    const end = await waitForEvent(page, 'transfer success', (e) => e.name === 'spice-file-transfer' && e.detail.id === ids[0] && e.detail.state === 'success');
    expect(end.detail).toEqual({ id: ids[0], name: 'payload.bin', size, sent: size, state: 'success', status: 'success' });
    const progress = (await agentEvents(page)).filter((e) => e.name === 'spice-file-transfer' && e.detail.id === ids[0]).map((e) => e.detail.state);
    expect(progress[0]).toBe('waiting');
    expect(progress).toContain('sending');
  });

  it("the agent's refusal reaches the page with its status and detail", async () => {
    const ids = await page.evaluate(() => (window as any).spiceTest.element().sendFiles([new File([new Uint8Array(5000)], 'refuse-big.bin')]));
    const end = await waitForEvent(page, 'transfer refused', (e) => e.name === 'spice-file-transfer' && e.detail.id === ids[0] && e.detail.state === 'error');
    expect(end.detail).toMatchObject({ status: 'not-enough-space', sent: 0 });
    expect(end.detail.error).toMatch(/4096 bytes free/);
  });
});

// With a QXL device whose guest driver takes client monitor configs, spice-server hands MONITORS_CONFIG to the
// QXL device instead of the agent (protocol notes 3.5); without one, the agent gets it, which shows here.
describe('setMonitorsConfig into QEMU without QXL: the agent gets MONITORS_CONFIG', () => {
  let qemu: Qemu;
  let page: Page;
  beforeAll(async () => {
    qemu = await startQemu({ agent: true, qxlDevices: 0, waitForGuest: true, append: 'agentstandin=1' });
    page = await openConsolePage(env.browser, env.origin);
    await page.evaluate(async (url) => {
      const w = window as any;
      w.spiceTest.mount();
      await w.spiceTest.connect(url);
    }, qemu.url);
    await waitFor(() => page.evaluate(() => (window as any).spiceTest.element().agentCaps.includes('monitors-config')), 'agent caps', 60_000, 100);
  });
  afterAll(async () => {
    await page?.evaluate(() => (window as any).spiceTest.disconnect()).catch(() => {});
    await page?.close();
    await qemu?.stop();
  });

  it('reaches the agent as MONITORS_CONFIG (height before width), as its caps allow', async () => {
    const before = Buffer.from(agentBytes(await qemu.serialLog())).toString('hex').length;
    const r = await page.evaluate(() =>
      (window as any).spiceTest.element().engine.api.setMonitorsConfig([{ width: 800, height: 600, x: 0, y: 0, widthMm: 211, heightMm: 158 }, null]),
    );
    // The stand-in announces MONITORS_CONFIG, not SPARSE_MONITORS_CONFIG nor MONITORS_CONFIG_POSITION.
    expect(r).toEqual({ ok: true, value: { sent: true, reason: 'the agent does not announce MONITORS_CONFIG_POSITION: positions may be ignored' } });
    const body = Buffer.alloc(8 + 20 + 4);
    body.writeUInt32LE(1, 0); // one monitor: the disabled one is left out without SPARSE_MONITORS_CONFIG
    body.writeUInt32LE(3, 4); // USE_POS | PHYSICAL_SIZE
    body.writeUInt32LE(600, 8); // height first
    body.writeUInt32LE(800, 12);
    body.writeUInt32LE(32, 16);
    body.writeUInt16LE(158, 28);
    body.writeUInt16LE(211, 30);
    const head = Buffer.alloc(20);
    head.writeUInt32LE(1, 0);
    head.writeUInt32LE(2, 4);
    head.writeUInt32LE(body.length, 16);
    const want = Buffer.concat([head, body]).toString('hex');
    await waitFor(
      async () =>
        Buffer.from(agentBytes(await qemu.serialLog()))
          .toString('hex')
          .slice(before)
          .includes(want),
      'MONITORS_CONFIG in the guest',
      30_000,
      200,
    );
  });
});
