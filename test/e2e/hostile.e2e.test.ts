/**
 * Hostile servers, end to end: <spice-console> in Chromium links to a Node server that speaks enough SPICE to
 * link (test/servers/hostile-server.ts) and then misbehaves. Each case checks the documented outcome (one
 * spice-disconnected with code `protocol` and a reason naming the limit, or the session going on), that the
 * page's main thread keeps running during and after (a rAF and a timer tick, page.evaluate answers within a
 * bound), that the heap of the page and the engine worker stays bounded, and that after the session nothing
 * is left: no worker, no socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from '../servers/index.js';
import { startHostileServer, type HostileChannel, type HostileScript, type HostileServer } from '../servers/hostile-server.js';
import { BaseMsg, BaseMsgc, ChannelType, DisplayMsg, ImageType, MainMsg } from '../../src/protocol/constants.js';
import { Writer } from '../../src/protocol/writer.js';
import { openConsolePage, useConsoleBrowser } from './support/browser.js';
import { expectResponsive, heapUsage, mib, startTicker } from './support/health.js';

const env = useConsoleBrowser();

/** Heap growth a flood may cause in the page or the worker before it counts as unbounded. */
const HEAP_BOUND = 48 * 1024 * 1024;

let server: HostileServer | undefined;
let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
  await server?.close();
  server = undefined;
});

async function eventDetail(p: Page, name: string, timeout = 30_000): Promise<any> {
  const handle = await p.waitForFunction((n) => (window as any).spiceTest.named(n)[0], name, { timeout });
  return handle.jsonValue();
}

/** Starts the server, opens the page with the ticker running, connects. */
async function session(script: HostileScript): Promise<Page> {
  server = await startHostileServer(script);
  page = await openConsolePage(env.browser, env.origin);
  await startTicker(page);
  await page.evaluate((url) => (window as any).spiceTest.connect(url, 'hostile-test-pw'), server.url);
  return page;
}

/** The session ends with code protocol and a reason matching `reason`; the page stays responsive; nothing is left. */
async function expectProtocolEnd(p: Page, reason: RegExp, serverLeftOpen = 0): Promise<any> {
  const ended = await eventDetail(p, 'spice-disconnected');
  expect(ended.code).toBe('protocol');
  expect(ended.reason).toMatch(reason);
  await expectResponsive(p);
  await expectNothingLeft(p, serverLeftOpen);
  return ended;
}

async function expectNothingLeft(p: Page, serverLeftOpen = 0): Promise<void> {
  await waitFor(async () => p.workers().length === 0, 'the engine worker to terminate', 10_000);
  expect(await p.evaluate(() => (window as any).spiceTest.openSockets())).toBe(0);
  await waitFor(async () => server!.connections() <= serverLeftOpen, 'the hostile server sockets to close', 10_000);
  expect(await p.evaluate(() => (window as any).spiceTest.named('spice-disconnected').length)).toBe(1);
}

/** Waits until the display channel linked and sent DISPLAY_INIT, then runs `fn` with it. */
function onDisplay(fn: (display: HostileChannel) => void | Promise<void>): HostileScript {
  return {
    linked(ch) {
      if (ch.type !== ChannelType.Display) return;
      ch.onMessage((m) => {
        if (m.type === 101) void fn(ch); // DISPLAY_INIT
      });
    },
  };
}

const surfaceCreate = (id: number, width: number, height: number, format = 32, flags = 1) => new Writer().u32(id).u32(width).u32(height).u32(format).u32(flags).finish();

/** DRAW_COPY of `image` (descriptor + payload) to surface 0 at (0,0) with size w x h. */
function drawCopy(w: number, h: number, image: Uint8Array): Uint8Array {
  const d = new Writer();
  d.u32(0).i32(0).i32(0).i32(h).i32(w).u8(0); // DisplayBase: surface 0, box (top, left, bottom, right), no clip
  d.u32(57); // src_bitmap: right after this fixed part
  d.i32(0).i32(0).i32(h).i32(w); // src_area
  d.u16(8).u8(1); // rop OP_PUT, scale nearest
  d.u8(0).i32(0).i32(0).u32(0); // no mask
  return d.bytes(image).finish();
}

const descriptor = (type: number, w: number, h: number) => new Writer().u64(1).u8(type).u8(0).u32(w).u32(h);

/** Sends `count` copies of `type`/`body` on `ch`, waiting for the socket to drain every 64 messages. */
async function flood(ch: HostileChannel, count: number, type: number, body: Uint8Array): Promise<number> {
  let sent = 0;
  for (; sent < count && !ch.closed; sent++) {
    ch.send(type, body);
    if (sent % 64 === 63) await ch.drain();
  }
  return sent;
}

describe('a hostile display channel', () => {
  it('should refuse a giant surface before allocating it', async () => {
    const p = await session(onDisplay((d) => void d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 100_000, 100_000))));
    await expectProtocolEnd(p, /100000x100000.*MAX_SURFACE_DIMENSION/);
  });

  it('should refuse surfaces that together exceed the pixel budget', async () => {
    const p = await session(
      onDisplay((d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 1024, 768));
        for (let id = 1; id <= 20; id++) d.send(DisplayMsg.SurfaceCreate, surfaceCreate(id, 16384, 16384, 32, 0));
      }),
    );
    await expectProtocolEnd(p, /surfaces of \d+ pixels exceeds the limit of 134217728 pixels \(MAX_SURFACE_PIXELS\)/);
  });

  it('should refuse a bitmap whose pixel data is shorter than its declared size', async () => {
    const p = await session(
      onDisplay((d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 640, 480));
        // BITMAP 32BIT top-down 640x480, stride 2560, no palette, then 16 bytes instead of 1.2 MB.
        const image = descriptor(ImageType.Bitmap, 640, 480).u8(8).u8(4).u32(640).u32(480).u32(2560).u32(0).bytes(new Uint8Array(16)).finish();
        d.send(DisplayMsg.DrawCopy, drawCopy(640, 480, image));
      }),
    );
    await expectProtocolEnd(p, /bitmap|truncated|short/i);
  });

  it('should refuse an LZ image that declares 16384x16384 pixels in a few bytes', async () => {
    const p = await session(
      onDisplay((d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 640, 480));
        const lz = new Writer().u32be(0x20205a4c).u32be(0x00010001).u32be(8).u32be(16384).u32be(16384).u32be(65536).u32be(1).bytes(new Uint8Array(64)).finish();
        const image = descriptor(ImageType.LzRgb, 16384, 16384).u32(lz.length).bytes(lz).finish();
        d.send(DisplayMsg.DrawCopy, drawCopy(640, 480, image));
      }),
    );
    await expectProtocolEnd(p, /16384x16384.*exceeds the limit.*MAX_IMAGE_PIXELS/);
  });

  it('should refuse an LZ back-reference before the start of the image', async () => {
    const p = await session(
      onDisplay((d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 64, 64));
        // RGB32 4x4; the first code is a back-reference (ctrl >= 32) of distance 6 with nothing decoded yet.
        const code = new Uint8Array(64).fill(0x25);
        const lz = new Writer().u32be(0x20205a4c).u32be(0x00010001).u32be(8).u32be(4).u32be(4).u32be(16).u32be(1).bytes(code).finish();
        const image = descriptor(ImageType.LzRgb, 4, 4).u32(lz.length).bytes(lz).finish();
        d.send(DisplayMsg.DrawCopy, drawCopy(4, 4, image));
      }),
    );
    await expectProtocolEnd(p, /lz.*(before|reference|offset|distance)/i);
  });

  it('should refuse a GLZ back-reference to an image it never saw', async () => {
    const p = await session(
      onDisplay((d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 64, 64));
        // GLZ header: LZ's seven words, then image id u64 and win_head_dist u32; then a code that
        // references a previous image (distance in the window) although the dictionary is empty.
        const code = new Uint8Array(64).fill(0xff);
        const glz = new Writer().u32be(0x20205a4c).u32be(0x00010001).u32be(8).u32be(4).u32be(4).u32be(16).u32be(1).u32be(0).u32be(7).u32be(0).bytes(code).finish();
        const image = descriptor(ImageType.GlzRgb, 4, 4).u32(glz.length).bytes(glz).finish();
        d.send(DisplayMsg.DrawCopy, drawCopy(4, 4, image));
      }),
    );
    await expectProtocolEnd(p, /glz/i);
  });

  it('should end a QUIC image that never ends (4096x4096 declared, 64 bytes of code) with an error, not a hang', async () => {
    const p = await session(
      onDisplay((d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 640, 480));
        const quic = new Writer().u32(0x43495551).u32(0).u32(4).u32(4096).u32(4096).bytes(new Uint8Array(64).fill(0x55)).finish();
        const image = descriptor(ImageType.Quic, 4096, 4096).u32(quic.length).bytes(quic).finish();
        d.send(DisplayMsg.DrawCopy, drawCopy(640, 480, image));
      }),
    );
    await expectProtocolEnd(p, /quic/i);
  });

  it('should refuse a truncated message', async () => {
    const p = await session(onDisplay((d) => void d.send(DisplayMsg.SurfaceCreate, new Writer().u32(0).u32(640).finish())));
    await expectProtocolEnd(p, /channel 2:0: truncated/);
  });

  it('should skip unknown message types (logged once) and stay connected through 2000 of 16 KiB', async () => {
    let sent = 0;
    const p = await session(
      onDisplay(async (d) => {
        d.send(DisplayMsg.SurfaceCreate, surfaceCreate(0, 320, 200));
        d.send(DisplayMsg.Mark);
        sent = await flood(d, 2000, 9999, new Uint8Array(16 * 1024));
      }),
    );
    await eventDetail(p, 'spice-connected');
    const before = await heapUsage(env.browser, p);
    await waitFor(async () => sent === 2000, 'the flood to be sent', 30_000);
    await expectResponsive(p);
    const after = await heapUsage(env.browser, p);
    expect(after.page - before.page, `page heap ${mib(before.page)} -> ${mib(after.page)} MiB`).toBeLessThan(HEAP_BOUND);
    expect(Math.max(...after.workers) - Math.max(...before.workers)).toBeLessThan(HEAP_BOUND);
    expect(await p.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
    await p.evaluate(() => (window as any).spiceTest.disconnect());
    await expectNothingLeft(p);
  });
});

describe('a hostile main channel', () => {
  it('should refuse a CHANNELS_LIST of more channels than MAX_CHANNELS', async () => {
    const p = await session({
      attach(main) {
        const list: [number, number][] = [];
        for (let t = 10; t < 20; t++) for (let id = 0; id < 200; id++) list.push([t, id]);
        main.send(MainMsg.ChannelsList, new Writer().u32(list.length).bytes(new Uint8Array(list.flat())).finish());
      },
    });
    await expectProtocolEnd(p, /exceeds the limit of 256 \(MAX_CHANNELS\)/);
  });

  it('should end an endless stream of CHANNELS_LIST additions at MAX_CHANNELS', async () => {
    let sent = 0;
    const p = await session({
      async attach(main) {
        main.send(MainMsg.ChannelsList, new Writer().u32(1).u8(ChannelType.Display).u8(0).finish());
        // One new port channel per message, forever (until the client hangs up).
        for (let i = 0; i < 100_000 && !main.closed; i++, sent++) {
          main.send(
            MainMsg.ChannelsList,
            new Writer()
              .u32(1)
              .u8(10 + (i >> 8))
              .u8(i & 0xff)
              .finish(),
          );
          if (i % 64 === 63) await main.drain();
          if (i % 256 === 255) await new Promise((r) => setTimeout(r, 1));
        }
      },
    });
    // The server is still flushing megabytes of lists when the client hangs up. The engine has let go of the
    // socket (no worker, none open); the browser drains or drops it on its own schedule (observed: from 2 s
    // to over 30 s on a loaded machine, Chromium's closing handshake times out after 60 s), so the flooded main
    // socket may still be open on the server here.
    await expectProtocolEnd(p, /257 channels exceeds the limit of 256 \(MAX_CHANNELS\)/, 1);
    expect(sent).toBeLessThan(100_000);
  });

  it('should refuse a CHANNELS_LIST whose count runs past its body', async () => {
    const p = await session({ attach: (main) => void main.send(MainMsg.ChannelsList, new Writer().u32(200).u8(2).u8(0).finish()) });
    await expectProtocolEnd(p, /channel 1:0: CHANNELS_LIST announces 200 channels in 2 bytes/);
  });

  it('should answer a flood of 3000 pings with 32 KiB of padding, stay responsive and keep its heap bounded', async () => {
    let sent = 0;
    let pongs = 0;
    const p = await session({
      channels: [[ChannelType.Display, 0]],
      linked(ch) {
        if (ch.type !== ChannelType.Main) return;
        ch.onMessage((m) => {
          if (m.type === BaseMsgc.Pong) pongs++;
        });
      },
    });
    await eventDetail(p, 'spice-connected');
    const before = await heapUsage(env.browser, p);
    const main = server!.channels.find((c) => c.type === ChannelType.Main)!;
    const ping = new Writer()
      .u32(7)
      .u64(0)
      .bytes(new Uint8Array(32 * 1024))
      .finish();
    const flooding = (async () => {
      for (; sent < 3000 && !main.closed; sent++) {
        main.send(BaseMsg.Ping, ping);
        if (sent % 32 === 31) await main.drain();
      }
    })();
    await expectResponsive(p);
    await flooding;
    await waitFor(async () => pongs >= 3000, `3000 pongs (got ${pongs})`, 30_000);
    await expectResponsive(p);
    const after = await heapUsage(env.browser, p);
    expect(after.page - before.page).toBeLessThan(HEAP_BOUND);
    expect(Math.max(...after.workers) - Math.max(...before.workers)).toBeLessThan(HEAP_BOUND);
    expect(await p.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
    await p.evaluate(() => (window as any).spiceTest.disconnect());
    await expectNothingLeft(p);
  });

  it('should stay connected with a bounded heap through a flood of 20000 agent messages', async () => {
    const p = await session({ agentConnected: true });
    await eventDetail(p, 'spice-connected');
    const before = await heapUsage(env.browser, p);
    const main = server!.channels.find((c) => c.type === ChannelType.Main)!;
    // Agent messages of an unknown type (999) with 2000 bytes of payload, each in one AGENT_DATA.
    const msg = new Writer().u32(1).u32(999).u64(0).u32(2000).bytes(new Uint8Array(2000)).finish();
    const sent = await flood(main, 20_000, MainMsg.AgentData, msg);
    await expectResponsive(p);
    const after = await heapUsage(env.browser, p);
    expect(sent).toBe(20_000);
    expect(after.page - before.page).toBeLessThan(HEAP_BOUND);
    expect(Math.max(...after.workers) - Math.max(...before.workers)).toBeLessThan(HEAP_BOUND);
    expect(await p.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
    await p.evaluate(() => (window as any).spiceTest.disconnect());
    await expectNothingLeft(p);
  });
});

describe('a server that stops reading', () => {
  it('should keep the page responsive while 256000 key messages pile up unread, and still disconnect cleanly', async () => {
    const p = await session({
      channels: [
        [ChannelType.Display, 0],
        [ChannelType.Inputs, 0],
      ],
      linked(ch) {
        if (ch.type === ChannelType.Inputs) ch.stopReading();
      },
    });
    await eventDetail(p, 'spice-connected');
    const before = await heapUsage(env.browser, p);
    const inputs = server!.channels.find((c) => c.type === ChannelType.Inputs)!;
    // 2000 calls of 64 keys, each a press and a release: 256000 messages, about 2.5 MB the server never reads.
    await p.evaluate(async () => {
      const el = (window as any).spiceTest.element();
      const codes = Array.from({ length: 64 }, (_, i) => `Key${String.fromCharCode(65 + (i % 26))}`);
      for (let i = 0; i < 2000; i++) await el.sendKeys(codes);
    });
    await expectResponsive(p);
    const after = await heapUsage(env.browser, p);
    expect(inputs.bytesIn).toBe(0);
    expect(after.page - before.page).toBeLessThan(HEAP_BOUND);
    expect(Math.max(...after.workers) - Math.max(...before.workers)).toBeLessThan(HEAP_BOUND);
    expect(await p.evaluate(() => (window as any).spiceTest.state())).toBe('connected');
    const t0 = Date.now();
    await p.evaluate(() => (window as any).spiceTest.disconnect());
    const ended = await eventDetail(p, 'spice-disconnected');
    expect(ended.code).toBe('client');
    // Not hung: the engine answers at once on a quiet machine (about 30 ms); when its queue still holds the keys
    // (posted without waiting), the page drops it after its own bound (engine-controller.ts ENGINE_DISCONNECT_MS,
    // 5.5 s). A loaded machine (CI) delays both: 5 s of margin over the bound.
    expect(Date.now() - t0).toBeLessThan(5500 + 5000);
    // The engine let go of every socket (no worker, none open in the element); every socket the server reads
    // closes. The unread one is the browser's to drop (observed: Chromium still holds it 10 s after the server
    // reads again; its closing handshake times out after 60 s), so it is not waited for here.
    await waitFor(async () => p.workers().length === 0, 'the engine worker to terminate', 10_000);
    expect(await p.evaluate(() => (window as any).spiceTest.openSockets())).toBe(0);
    await waitFor(async () => server!.connections() <= 1, 'every socket but the unread one to close', 10_000);
    expect(server!.channels.filter((c) => !c.closed).map((c) => c.type)).toEqual([ChannelType.Inputs]);
  });
});
