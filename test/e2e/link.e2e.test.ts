/**
 * Foundation, end to end: headless Chromium links <spice-console> to real SPICE servers (Xspice and QEMU)
 * straight over spice-server's WebSocket port, and every way a session ends gives one spice-disconnected
 * with the right code and leaves no worker and no socket behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { spawn } from 'node:child_process';
import { findFreePort, isPortOpen, startQemu, startXspice, waitFor, type Qemu, type Xspice } from '../servers/index.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { startGarbagePeer } from './support/garbage-peer.js';
import { establishedTo } from './support/sockets.js';

const env = useConsoleBrowser();

async function eventDetail(page: Page, name: string, timeout = 30_000): Promise<any> {
  const handle = await page.waitForFunction((n) => (window as any).spiceTest.named(n)[0], name, { timeout });
  return handle.jsonValue();
}

const channelNames = (session: { channels: { type: string; id: number }[] }) => session.channels.map((c) => `${c.type} ${c.id}`).sort();

/** After a session ended: no worker in the page, no socket in the engine, none open on the server. */
async function expectNothingLeft(page: Page, serverPort?: number): Promise<void> {
  await waitFor(async () => page.workers().length === 0, 'the engine worker to terminate', 10_000);
  expect(await page.evaluate(() => (window as any).spiceTest.openSockets())).toBe(0);
  if (serverPort !== undefined) await waitFor(async () => establishedTo(serverPort) === 0, 'server sockets to close', 10_000);
}

describe('linking to Xspice', () => {
  let xspice: Xspice;
  beforeAll(async () => {
    xspice = await startXspice({ password: 'secret', agent: true });
  });
  afterAll(() => xspice?.stop());

  it('should connect with the right password and list main, display 0, inputs 0, cursor 0 and no usbredir', async () => {
    // The sockets are counted below: a failed first try's session (its page closed after it) must be gone.
    await waitFor(async () => establishedTo(xspice.port) === 0, 'no earlier session on the server', 10_000);
    const page = await openConsolePage(env.browser, env.origin);
    await page.evaluate((url) => (window as any).spiceTest.connect(url, 'secret'), xspice.url);
    const session = await eventDetail(page, 'spice-connected');
    expect(channelNames(session)).toEqual(['cursor 0', 'display 0', 'inputs 0', 'main 0']);
    expect(session.channels.every((c: any) => c.state === 'linked')).toBe(true);
    expect(session.channels.some((c: any) => c.type === 'usbredir')).toBe(false);
    expect(session.sessionId).toBeGreaterThan(0);
    expect(session.mouseModes).toEqual(['server', 'client']);
    expect(session.agentConnected).toBe(true);
    expect(establishedTo(xspice.port)).toBe(4);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    const ended = await eventDetail(page, 'spice-disconnected');
    expect(ended).toEqual({ code: 'client', reason: expect.any(String), clean: true });
    await expectNothingLeft(page, xspice.port);
    await page.close();
  });

  it('should report auth-failed for a wrong password and leave nothing behind', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await page.evaluate((url) => (window as any).spiceTest.connect(url, 'wrong'), xspice.url);
    const ended = await eventDetail(page, 'spice-disconnected');
    expect(ended.code).toBe('auth-failed');
    expect(ended.clean).toBe(false);
    expect(await page.evaluate(() => (window as any).spiceTest.named('spice-connected').length)).toBe(0);
    await expectNothingLeft(page, xspice.port);
    await page.close();
  });
});

describe('linking through a websockify proxy', () => {
  it('should open every channel through the proxy URL, as deployments with one public endpoint do', async () => {
    const xspice = await startXspice({});
    const port = await findFreePort();
    const proxy = spawn('websockify', [`127.0.0.1:${port}`, `127.0.0.1:${xspice.port}`], { stdio: 'ignore' });
    try {
      await waitFor(() => isPortOpen(port), 'websockify to listen', 10_000);
      const page = await openConsolePage(env.browser, env.origin);
      await page.evaluate((url) => (window as any).spiceTest.connect(url), `ws://127.0.0.1:${port}`);
      const session = await eventDetail(page, 'spice-connected');
      expect(channelNames(session)).toEqual(['cursor 0', 'display 0', 'inputs 0', 'main 0']);
      expect(session.channels.every((c: any) => c.state === 'linked')).toBe(true);
      await page.evaluate(() => (window as any).spiceTest.disconnect());
      await expectNothingLeft(page, xspice.port);
      await page.close();
    } finally {
      proxy.kill();
      await xspice.stop();
    }
  });
});

describe('a server that goes away', () => {
  it('should report transport-closed when the server closes mid-session, and leave nothing behind', async () => {
    const xspice = await startXspice({});
    try {
      const page = await openConsolePage(env.browser, env.origin);
      await page.evaluate((url) => (window as any).spiceTest.connect(url), xspice.url);
      await eventDetail(page, 'spice-connected');
      await xspice.stop();
      const ended = await eventDetail(page, 'spice-disconnected');
      expect(ended.code).toBe('transport-closed');
      expect(ended.clean).toBe(false);
      await expectNothingLeft(page);
      const events = await page.evaluate(() => (window as any).spiceTest.named('spice-disconnected').length);
      expect(events).toBe(1);
      await page.close();
    } finally {
      await xspice.stop();
    }
  });
});

describe('a peer that does not speak SPICE', () => {
  it('should report protocol and leave nothing behind', async () => {
    const peer = await startGarbagePeer();
    try {
      const page = await openConsolePage(env.browser, env.origin);
      await page.evaluate((url) => (window as any).spiceTest.connect(url), peer.url);
      const ended = await eventDetail(page, 'spice-disconnected');
      expect(ended.code).toBe('protocol');
      expect(ended.reason).toMatch(/not a SPICE server/);
      await expectNothingLeft(page);
      await waitFor(async () => peer.connections() === 0, 'the peer socket to close', 10_000);
      await page.close();
    } finally {
      await peer.close();
    }
  });
});

describe('linking to QEMU with the device layout of an oVirt VM', () => {
  let qemu: Qemu;
  beforeAll(async () => {
    qemu = await startQemu({ qxlDevices: 2, usbredirSlots: 4, agent: true });
  });
  afterAll(() => qemu?.stop());

  it('should list display 0 and 1 and usbredir 0..3, all linked', async () => {
    const page = await openConsolePage(env.browser, env.origin);
    await page.evaluate((url) => (window as any).spiceTest.connect(url), qemu.url);
    const session = await eventDetail(page, 'spice-connected', 60_000);
    const names = channelNames(session);
    for (const name of ['main 0', 'display 0', 'display 1', 'inputs 0', 'usbredir 0', 'usbredir 1', 'usbredir 2', 'usbredir 3']) {
      expect(names).toContain(name);
    }
    expect(names.filter((n) => n.startsWith('usbredir'))).toHaveLength(4);
    expect(session.displayChannelsHint).toBe(2);
    const linkable = session.channels.filter((c: any) => ['main', 'display', 'inputs', 'cursor', 'usbredir'].includes(c.type));
    expect(linkable.every((c: any) => c.state === 'linked')).toBe(true);
    await page.evaluate(() => (window as any).spiceTest.disconnect());
    await eventDetail(page, 'spice-disconnected');
    await expectNothingLeft(page, qemu.port);
    await page.close();
  });
});
