/**
 * The usbredir channel and the session's USB manager against a scripted SPICE peer whose usbredir
 * channels speak like QEMU's usb-redir (a real UsbredirStream in the guest role). Devices come from the
 * page path: a FakeCdcAcmDevice served on a MessagePort by the page's device port, as in the browser.
 * Message sequencing only; QEMU proves the feature (test/e2e/usb.e2e.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import type { UsbEngineStatus } from '../../../src/api/usb.js';
import { openUsbDevicePort, type UsbDevicePortHandle } from '../../../src/controllers/usb-device-port.js';
import {
  decompressSpicevmcData,
  SPICEVMC_MAX_CHUNK,
  USBREDIR_ACK_GRACE_MS,
  USBREDIR_ACK_WAIT_MS,
  USBREDIR_CLOSE_DRAIN_MS,
} from '../../../src/engine/channels/usbredir-channel.js';
import { Session } from '../../../src/engine/session.js';
import type { TransportFactory } from '../../../src/engine/transport.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { LinkErr, MainMsg, SpicevmcMsg, SpicevmcMsgc } from '../../../src/protocol/constants.js';
import { Writer } from '../../../src/protocol/writer.js';
import { usbDeviceKey } from '../../../src/usb/device-key.js';
import { checkDevice, parseUsbFilter } from '../../../src/usb/usbredir-filter.js';
import { capsWords, UsbredirStream, type UsbredirPacket } from '../../../src/usb/usbredir/index.js';
import { UsbredirStatus, UsbredirType } from '../../../src/usb/usbredir/index.js';
import { FAKE_CDC_DEVICE_DESCRIPTOR, FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';
import { encodeLz4Image } from '../codecs/helpers/lz-encoders.js';
import { channelsList, fakeNetwork, linked, mainInit as init, settle, type FakeConnection } from './fake-server.js';

const T = UsbredirType;
const QEMU_CAPS = capsWords([0, 1, 2, 3, 4, 5, 6, 7]);

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One raw LZ4 block of `raw` (the test encoder frames blocks for images: take the single block out). */
function lz4Block(raw: Uint8Array): Uint8Array {
  return encodeLz4Image(raw, raw.length, true, 8, 1).subarray(6);
}

/**
 * QEMU's end of one usbredir channel: a usb-redir guest speaking through the scripted SPICE connection.
 * Like QEMU it sends its `filter` (if any) after our hello, answers device_connect with filter_reject
 * when the filter refuses the device, else with a reset (the guest starting to enumerate it), and answers
 * device_disconnect with device_disconnect_ack.
 */
class ScriptedQemu {
  readonly stream = new UsbredirStream({ role: 'guest', caps: QEMU_CAPS });
  readonly received: UsbredirPacket[] = [];
  filter: string | undefined;
  /** Answer device_disconnect with device_disconnect_ack, as QEMU does when both sides announce the cap. */
  acks = true;
  private read = 0;

  constructor(readonly conn: FakeConnection) {}

  /** Reacts to what the client sent (called every few ms). */
  pump(): void {
    const fresh = this.take();
    if (this.conn.closed) return;
    for (const p of fresh) {
      if (p.type === T.DeviceDisconnect && this.acks) this.send([{ type: T.DeviceDisconnectAck, id: 0n } as UsbredirPacket]);
      if (p.type === T.Hello && this.filter) this.send([{ type: T.FilterFilter, id: 0n, filter: this.filter } as UsbredirPacket]);
      if (p.type === T.DeviceConnect) {
        const itf = this.received.find((x) => x.type === T.InterfaceInfo) as { interfaceCount: number; interfaceClass: number[] } | undefined;
        const verdict = this.filter
          ? checkDevice(parseUsbFilter(this.filter), {
              deviceClass: p.deviceClass,
              deviceSubclass: p.deviceSubclass,
              deviceProtocol: p.deviceProtocol,
              vendorId: p.vendorId,
              productId: p.productId,
              deviceVersionBcd: p.deviceVersionBcd ?? 0,
              interfaces: (itf?.interfaceClass.slice(0, itf.interfaceCount) ?? []).map((c) => ({ interfaceClass: c, interfaceSubclass: 0, interfaceProtocol: 0 })),
            })
          : { allowed: true };
        this.send([verdict.allowed ? { type: T.Reset, id: 0n } : ({ type: T.FilterReject, id: 0n } as UsbredirPacket)]);
      }
    }
  }

  /** Sends packets as one SPICEVMC_DATA message (or cut in two, to show the stream is reassembled). */
  send(packets: UsbredirPacket[], options: { split?: boolean; lz4?: boolean } = {}): void {
    const bytes = Uint8Array.from(packets.flatMap((p) => Array.from(this.stream.encode(p))));
    if (options.lz4) {
      const block = lz4Block(bytes);
      const body = new Writer().u8(1).u32(bytes.length).bytes(block).finish();
      this.conn.message(SpicevmcMsg.CompressedData, body);
    } else if (options.split) {
      const cut = Math.floor(bytes.length / 2);
      this.conn.message(SpicevmcMsg.Data, bytes.subarray(0, cut));
      this.conn.message(SpicevmcMsg.Data, bytes.subarray(cut));
    } else {
      this.conn.message(SpicevmcMsg.Data, bytes);
    }
  }

  hello(): void {
    this.send([{ type: T.Hello, id: 0n, version: 'qemu usb-redir guest 7.2.22', caps: QEMU_CAPS }], { split: true });
  }

  /** Packets the client sent since the last call. */
  take(): UsbredirPacket[] {
    const messages = this.conn.of(SpicevmcMsgc.Data);
    const out: UsbredirPacket[] = [];
    for (const m of messages.slice(this.read)) out.push(...this.stream.push(m.body));
    this.read = messages.length;
    this.received.push(...out);
    return out;
  }

  types(): number[] {
    this.pump();
    return this.received.map((p) => p.type);
  }
}

const ports: UsbDevicePortHandle[] = [];
const pumps: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const t of pumps.splice(0)) clearInterval(t);
  for (const p of ports.splice(0)) await p.dispose();
});

/** A session whose server lists `list`; usbredir connections answer like QEMU (hello right after the link). */
async function connect(
  list: [number, number][],
  options: { usb?: { mode: 'native' | 'disabled'; disabledReason?: string }; filter?: string; wrap?: (factory: TransportFactory) => TransportFactory } = {},
) {
  const net = fakeNetwork();
  const events: EngineEvent[] = [];
  const factory = options.wrap ? options.wrap(net.factory) : net.factory;
  const session = new Session({ url: 'ws://test', password: '', linkTimeoutMs: 2000, ...(options.usb ? { usb: options.usb } : {}) }, (e) => events.push(e), factory);
  void session.start();
  const main = net.connections[0]!;
  await linked(main);
  main.message(MainMsg.Init, init(7));
  main.message(MainMsg.ChannelsList, channelsList(list));
  await settle(10);
  const qemus = new Map<FakeConnection, ScriptedQemu>();
  /** Links every connection not linked yet; usbredir ones get a QEMU that says hello. */
  const linkAll = async () => {
    for (const conn of net.connections.slice(1)) {
      if (conn.link || conn.closed) continue;
      await linked(conn);
      if (conn.link!.channelType === 9) {
        const q = new ScriptedQemu(conn);
        q.filter = options.filter;
        qemus.set(conn, q);
        q.hello();
      }
    }
    await settle(10);
  };
  await linkAll();
  pumps.push(setInterval(() => qemus.forEach((q) => q.pump()), 3));
  const usbEvents = () => events.filter((e): e is Extract<EngineEvent, { type: 'usb' }> => e.type === 'usb');
  const lastUsb = (): UsbEngineStatus => usbEvents().at(-1)!;
  /** The scripted QEMU of the open (not closed) connection of usbredir channel `id`. */
  const qemu = (id: number) => {
    const conn = net.connections.filter((c) => c.link?.channelType === 9 && c.link.channelId === id && !c.closed).at(-1);
    return conn ? qemus.get(conn) : undefined;
  };
  return { net, events, session, main, linkAll, usbEvents, lastUsb, qemu };
}

function fakeDevice(serial = 'SC0001'): { device: FakeCdcAcmDevice; key: string; port: () => MessagePort } {
  const device = new FakeCdcAcmDevice({ serialNumber: serial });
  return {
    device,
    key: usbDeviceKey(device),
    port: () => {
      const handle = openUsbDevicePort(device);
      ports.push(handle);
      return handle.port;
    },
  };
}

/**
 * Wraps a transport factory so that each transport's socket ends (`ended`) only when the test calls the
 * function pushed onto `ends` for it: the n-th entry for the n-th transport.
 */
function endingOnCue(ends: (() => void)[]): (factory: TransportFactory) => TransportFactory {
  return (factory) => (url, handlers) => {
    const t = factory(url, handlers);
    const ended = new Promise<void>((resolve) => ends.push(resolve));
    return { send: (b) => t.send(b), close: () => t.close(), buffered: 0, ended };
  };
}

describe('SPICEVMC compressed data', () => {
  it('should inflate an LZ4 block to its stated size and pass uncompressed payloads through', () => {
    const raw = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0x3f);
    const body = new Writer().u8(1).u32(raw.length).bytes(lz4Block(raw)).finish();
    expect(body.length).toBeLessThan(raw.length);
    expect(Array.from(decompressSpicevmcData(body))).toEqual(Array.from(raw));
    expect(Array.from(decompressSpicevmcData(Uint8Array.of(0, 1, 2, 3)))).toEqual([1, 2, 3]);
  });

  it('should reject an unknown type, a size that does not match, an absurd size and a corrupt block', () => {
    const raw = new Uint8Array(2000).fill(0x41);
    const block = lz4Block(raw);
    expect(() => decompressSpicevmcData(Uint8Array.of(2, 0, 0, 0, 0))).toThrow(ProtocolError);
    expect(() =>
      decompressSpicevmcData(
        new Writer()
          .u8(1)
          .u32(raw.length + 1)
          .bytes(block)
          .finish(),
      ),
    ).toThrow(/inflates to 2000/);
    expect(() => decompressSpicevmcData(new Writer().u8(1).u32(1000).bytes(block).finish())).toThrow(ProtocolError);
    expect(() => decompressSpicevmcData(new Writer().u8(1).u32(0xffffffff).bytes(block).finish())).toThrow(/out of range/);
    expect(() => decompressSpicevmcData(new Writer().u8(1).u32(raw.length).bytes(block.subarray(0, 3)).finish())).toThrow(ProtocolError);
    expect(() => decompressSpicevmcData(Uint8Array.of(1, 5))).toThrow(ProtocolError);
  });
});

describe('usbredir channels', () => {
  it('should link every listed usbredir channel with the LZ4 cap and report USB available once connected', async () => {
    const { net, lastUsb, usbEvents } = await connect([
      [2, 0],
      [9, 0],
      [9, 1],
    ]);
    const usb = net.connections.filter((c) => c.link?.channelType === 9);
    expect(usb.map((c) => c.link!.channelId)).toEqual([0, 1]);
    for (const c of usb) expect(c.link!.channelCaps).toEqual([1]); // SPICEVMC_CAP_DATA_COMPRESS_LZ4
    await until('the usb event', () => usbEvents().length > 0);
    expect(lastUsb()).toEqual({ type: 'usb', available: true, channels: { total: 2, free: 2 }, devices: [] });
    // Nothing is sent before a device: QEMU's hello waits for one.
    for (const c of usb) expect(c.of(SpicevmcMsgc.Data)).toHaveLength(0);
  });

  it('should report USB unavailable without a usbredir channel, refuse redirects, and turn on when one is announced later', async () => {
    const { session, main, linkAll, lastUsb, usbEvents } = await connect([[2, 0]]);
    await until('the usb event', () => usbEvents().length > 0);
    expect(lastUsb()).toMatchObject({
      available: false,
      reason: expect.stringMatching(/not configured for USB redirection.*no usbredir channel/),
      channels: { total: 0, free: 0 },
    });
    const dev = fakeDevice();
    const port = dev.port();
    expect(await session.usb.redirect(dev.key, port)).toEqual({ ok: false, code: 'usb-unavailable', message: expect.stringMatching(/no usbredir channel/) });

    main.message(MainMsg.ChannelsList, channelsList([[9, 0]]));
    await settle(10);
    await linkAll();
    await until('USB to turn on', () => lastUsb().available);
    expect(lastUsb()).toMatchObject({ available: true, channels: { total: 1, free: 1 } });
  });

  it('should turn USB off again when the server closes its only usbredir channel, giving the device back', async () => {
    const { session, qemu, lastUsb, events } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    qemu(0)!.conn.close();
    await until('USB off', () => !lastUsb().available);
    expect(lastUsb()).toMatchObject({
      reason: expect.stringMatching(/could not be linked or have closed/),
      devices: [{ state: 'available', reason: 'the USB channel closed' }],
    });
    await until('the device to be closed', () => !dev.device.opened);
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('should not link usbredir channels when USB is turned off, and say why', async () => {
    const { net, lastUsb, usbEvents, session } = await connect(
      [
        [9, 0],
        [9, 1],
      ],
      { usb: { mode: 'disabled', disabledReason: 'USB is off here' } },
    );
    expect(net.connections).toHaveLength(1);
    await until('the usb event', () => usbEvents().length > 0);
    expect(lastUsb()).toMatchObject({ available: false, reason: 'USB is off here' });
    expect((await session.usb.redirect('2341:0043:SC0001#0')).ok).toBe(false);
  });

  it("should redirect a device: hello after QEMU's, then interface_info, ep_info and device_connect, and answer the guest", async () => {
    const { session, qemu, lastUsb } = await connect([[9, 0]]);
    const dev = fakeDevice();
    const result = await session.usb.redirect(dev.key, dev.port());
    expect(result).toEqual({ ok: true, via: 'page' });
    const q = qemu(0)!;
    expect(q.types().slice(0, 4)).toEqual([T.Hello, T.InterfaceInfo, T.EpInfo, T.DeviceConnect]);
    expect(q.received[3]).toMatchObject({ speed: 1, deviceClass: 2, vendorId: 0x2341, productId: 0x0043 });
    expect(lastUsb()).toMatchObject({
      channels: { total: 1, free: 0 },
      devices: [{ key: dev.key, state: 'redirected', channelId: 0, via: 'page' }],
      migrationWarning: expect.stringMatching(/live-migrated/),
    });

    // A request compressed with LZ4 (as spice-server sends large payloads) is answered like any other.
    q.send(
      [
        { type: T.ControlPacket, id: 5n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x100, index: 0, length: 18, data: new Uint8Array() },
        { type: T.BulkPacket, id: 6n, endpoint: 0x02, status: 0, length: 1200, streamId: 0, data: new Uint8Array(1200).fill(0x61) },
        { type: T.BulkPacket, id: 7n, endpoint: 0x82, status: 0, length: 1200, streamId: 0, data: new Uint8Array() },
      ],
      { lz4: true },
    );
    await until('the answers', () => q.types().filter((t) => t === T.ControlPacket || t === T.BulkPacket).length >= 3);
    const control = q.received.find((p) => p.type === T.ControlPacket)!;
    expect(control).toMatchObject({ id: 5n, status: 0, length: 18 });
    expect(Array.from((control as { data: Uint8Array }).data)).toEqual(Array.from(FAKE_CDC_DEVICE_DESCRIPTOR));
    const bulkIn = q.received.find((p) => p.type === T.BulkPacket && p.id === 7n) as { data: Uint8Array; status: number };
    expect(bulkIn.status).toBe(0);
    expect(Array.from(bulkIn.data)).toEqual(new Array(1200).fill(0x41));
    expect(dev.device.writtenCount).toBe(1200);
  });

  it('should cut large stream writes into SPICEVMC_DATA messages of at most 64 KiB', async () => {
    const { session, qemu } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const q = qemu(0)!;
    // After the reset QEMU asked for (a reset empties the device's buffers).
    await until('the reset', () => dev.device.resets > 0);
    await settle(20);
    q.take();
    const size = 200_000;
    dev.device.emit(new Uint8Array(size).fill(0x30));
    q.send([{ type: T.BulkPacket, id: 9n, endpoint: 0x82, status: 0, length: size, streamId: 0, data: new Uint8Array() }]);
    await until('the big answer', () => q.take().length > 0 || q.received.some((p) => p.id === 9n));
    const sizes = q.conn.of(SpicevmcMsgc.Data).map((m) => m.body.byteLength);
    expect(Math.max(...sizes)).toBe(SPICEVMC_MAX_CHUNK);
    const answer = q.received.find((p) => p.id === 9n) as { data: Uint8Array };
    expect(answer.data.byteLength).toBe(size);
  });

  it('should send the answers a host writes in one go as one SPICEVMC_DATA message, in order', async () => {
    const { session, qemu } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const q = qemu(0)!;
    await until('the reset', () => dev.device.resets > 0);
    await settle(20);
    q.take();
    const before = q.conn.of(SpicevmcMsgc.Data).length;
    // get_configuration is answered at once, without the device: five answers written in one run.
    q.send([5n, 6n, 7n, 8n, 9n].map((id) => ({ type: T.GetConfiguration, id }) as UsbredirPacket));
    await until('the answers', () => q.received.filter((p) => p.type === T.ConfigurationStatus).length >= 5);
    const answers = q.received.filter((p) => p.type === T.ConfigurationStatus);
    expect(answers.map((p) => p.id)).toEqual([5n, 6n, 7n, 8n, 9n]);
    expect(answers.every((p) => p.type === T.ConfigurationStatus && p.status === 0 && p.configuration === 1)).toBe(true);
    expect(q.conn.of(SpicevmcMsgc.Data).length - before).toBe(1);
  });

  it('should put one device on each channel and refuse a device more than there are channels', async () => {
    const { session, qemu, lastUsb } = await connect([
      [9, 0],
      [9, 1],
    ]);
    const a = fakeDevice('A');
    const b = fakeDevice('B');
    const c = fakeDevice('C');
    expect(await session.usb.redirect(a.key, a.port())).toMatchObject({ ok: true });
    expect(await session.usb.redirect(b.key, b.port())).toMatchObject({ ok: true });
    expect(await session.usb.redirect(c.key, c.port())).toEqual({
      ok: false,
      code: 'usb-no-free-channel',
      message: expect.stringMatching(/no free USB channels.*2 devices/),
    });
    expect(qemu(0)!.types()).toContain(T.DeviceConnect);
    expect(qemu(1)!.types()).toContain(T.DeviceConnect);
    expect(lastUsb().devices.map((d) => [d.key, d.state, d.channelId])).toEqual([
      [a.key, 'redirected', 0],
      [b.key, 'redirected', 1],
    ]);
    expect(lastUsb().channels).toEqual({ total: 2, free: 0 });
    // The same device twice is the same redirect.
    expect(await session.usb.redirect(a.key, a.port())).toEqual({ ok: true, via: 'page' });
  });

  it('should re-link the channel after a release so the next device gets a fresh hello from QEMU', async () => {
    const { session, net, qemu, linkAll, lastUsb } = await connect([[9, 0]]);
    const first = fakeDevice('1');
    await session.usb.redirect(first.key, first.port());
    const q1 = qemu(0)!;
    const connections = net.connections.length;

    expect(await session.usb.release(first.key)).toEqual({ ok: true });
    expect(q1.types().at(-1)).toBe(T.DeviceDisconnect);
    await until('the device to be closed', () => !first.device.opened);
    // The old link is closed (after QEMU's ack of the device_disconnect) and a new one is opening for the same
    // channel id.
    await until('the old link to close', () => q1.conn.closed, 1000);
    await until('the fresh link', () => net.connections.length === connections + 1, 1000);
    expect(net.connections.at(-1)!.link).toBeNull();
    expect(lastUsb()).toMatchObject({ devices: [{ key: first.key, state: 'available' }], channels: { total: 1, free: 0 } });
    // While it relinks, a redirect says so.
    const early = fakeDevice('2');
    expect(await session.usb.redirect(early.key, early.port())).toMatchObject({ ok: false, code: 'usb-no-free-channel', message: expect.stringMatching(/being reset/) });

    await linkAll();
    await until('the fresh channel', () => lastUsb().channels.free === 1);
    const second = fakeDevice('2');
    expect(await session.usb.redirect(second.key, second.port())).toMatchObject({ ok: true });
    const q2 = qemu(0)!;
    expect(q2).not.toBe(q1);
    expect(q2.types().slice(0, 4)).toEqual([T.Hello, T.InterfaceInfo, T.EpInfo, T.DeviceConnect]);
  });

  it('should retry a re-link the server refuses while the old link is still closing', async () => {
    const { session, net, linkAll, lastUsb } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    await session.usb.release(dev.key);
    const refused = net.connections.at(-1)!;
    refused.open();
    refused.replyLink(LinkErr.ChannelNotAvailable);
    await until('another attempt', () => net.connections.at(-1) !== refused, 5000);
    await linkAll();
    await until('the channel back', () => lastUsb().channels.free === 1);
    expect(lastUsb().available).toBe(true);
  });

  // Up to USBREDIR_ACK_WAIT_MS more when the device was announced before the filter arrived (a race with the
  // fake's filter packet under load): its device_disconnect then waits for an ack this fake does not send.
  it('should report a device the VM filter refuses, never connect it, and refuse it up front next time', { timeout: 15_000 }, async () => {
    const { session, qemu, linkAll, lastUsb } = await connect(
      [
        [9, 0],
        [9, 1],
      ],
      { filter: '0x02,-1,-1,-1,0|-1,-1,-1,-1,1' },
    );
    const dev = fakeDevice();
    const result = await session.usb.redirect(dev.key, dev.port());
    expect(result).toEqual({ ok: false, code: 'usb-refused', message: expect.stringMatching(/blocked by the VM's USB filter.*class 0x02.*rule 1/) });
    expect(lastUsb()).toMatchObject({
      devices: [{ key: dev.key, state: 'refused', reason: expect.stringMatching(/VM's USB filter/) }],
      guestFilter: '0x02,-1,-1,-1,0|-1,-1,-1,-1,1',
    });
    await until('the device to be closed', () => !dev.device.opened);

    // Next time the known filter decides before any channel is used.
    await linkAll();
    await until('both channels free', () => lastUsb().channels.free === 2, 8000);
    const again = await session.usb.redirect(dev.key, dev.port());
    expect(again).toMatchObject({ ok: false, code: 'usb-refused' });
    expect(qemu(1)!.types()).toEqual([]);
  });

  it('should release a device in the VM when the page reports it unplugged', async () => {
    const { session, qemu, lastUsb } = await connect([[9, 0]]);
    const device = new FakeCdcAcmDevice();
    const handle = openUsbDevicePort(device);
    ports.push(handle);
    await session.usb.redirect(usbDeviceKey(device), handle.port);
    const q = qemu(0)!;
    device.unplug();
    handle.unplugged();
    await until('device_disconnect', () => q.types().includes(T.DeviceDisconnect));
    await until('the lost state', () => lastUsb().devices[0]?.state === 'lost');
    expect(lastUsb().devices[0]).toMatchObject({ state: 'lost', reason: expect.stringMatching(/disconnected|unplugged/) });
  });

  it('should give every device back when the session ends', async () => {
    const { session, qemu } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    expect(dev.device.opened).toBe(true);
    session.disconnect();
    await until('the device to be closed', () => !dev.device.opened);
    await until('its connection closed (USBREDIR_ACK_GRACE_MS after the ack)', () => qemu(0) === undefined);
    expect(session.openSockets).toBe(0);
    expect(await session.usb.redirect(dev.key)).toMatchObject({ ok: false, code: 'usb-unavailable' });
  });

  it('should answer pending requests and send device_disconnect, in whole messages, and close once QEMU acknowledged it when the session ends', async () => {
    const { session, qemu } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const q = qemu(0)!;
    // Two reads the device has no data for: they wait on it when the session ends.
    const read = (id: bigint) => ({ type: T.BulkPacket, id, endpoint: 0x82, status: 0, length: 64, streamId: 0, data: new Uint8Array() }) as UsbredirPacket;
    q.send([read(41n), read(42n)]);
    await settle(20);
    q.take();
    const before = q.received.length;
    q.acks = false; // this test answers by hand
    session.disconnect();
    // The socket stays open until QEMU has read the device_disconnect (its device_disconnect_ack).
    await settle(20);
    expect(q.conn.closed).toBe(false);
    q.send([{ type: T.DeviceDisconnectAck, id: 0n } as UsbredirPacket]);
    await until('the socket to close after the ack', () => q.conn.closed, USBREDIR_ACK_GRACE_MS + 1000);
    // What the client wrote on the channel before closing it parses as whole SPICE messages and packets.
    q.take();
    const after = q.received.slice(before);
    expect(after.map((p) => [p.type, p.id])).toEqual([
      [T.BulkPacket, 41n],
      [T.BulkPacket, 42n],
      [T.DeviceDisconnect, 0n],
    ]);
    expect(after.slice(0, 2).map((p) => (p as { status: number }).status)).toEqual([UsbredirStatus.Cancelled, UsbredirStatus.Cancelled]);
    await until('the device to be closed', () => !dev.device.opened);
  });

  it('should close a usbredir socket whose device_disconnect QEMU never acknowledges after USBREDIR_ACK_WAIT_MS', async () => {
    const { session, qemu } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const q = qemu(0)!;
    q.acks = false;
    const t0 = Date.now();
    session.disconnect();
    await settle(20);
    q.pump();
    expect(q.conn.closed).toBe(false);
    await until('the socket to close without an ack', () => q.conn.closed, USBREDIR_ACK_WAIT_MS + 1000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(USBREDIR_ACK_WAIT_MS - 20);
    expect(q.received.at(-1)).toEqual({ type: T.DeviceDisconnect, id: 0n });
  });

  it('should report disconnected only once the usbredir socket that carried a device has ended (its close handshake), at most USBREDIR_CLOSE_DRAIN_MS', async () => {
    // Each socket ends when the test says (the WebSocket's close event after the server's close frame).
    const ends: (() => void)[] = [];
    const wrap = endingOnCue(ends);
    const { session, qemu, events, net } = await connect(
      [
        [9, 0],
        [9, 1],
      ],
      { wrap },
    );
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const q = qemu(0)!;
    const disconnected = () => events.filter((e) => e.type === 'disconnected');
    session.disconnect();
    // Every socket but the one that carried the device is closed at once; that one after QEMU's ack of the
    // device_disconnect that went out first. The event waits for the sockets to end.
    expect(net.connections.filter((c) => !c.closed)).toEqual([q.conn]);
    q.pump();
    await until('the usbredir socket to close after the ack', () => q.conn.closed);
    expect(q.received.at(-1)).toEqual({ type: T.DeviceDisconnect, id: 0n });
    await settle(20);
    expect(disconnected()).toEqual([]);
    // Sockets of channels that never carried a device (main, channel 1) are not waited for.
    const carried = net.connections.indexOf(q.conn);
    ends.forEach((end, i) => i !== carried && end());
    await settle(20);
    expect(disconnected()).toEqual([]);
    ends[carried]!();
    await session.closed;
    expect(disconnected()).toEqual([{ type: 'disconnected', code: 'client', reason: 'disconnected by the client', clean: true }]);

    // A socket that never ends holds the event back for the bound only.
    ends.length = 0;
    const second = await connect([[9, 0]], { wrap });
    const dev2 = fakeDevice('SC0002');
    await second.session.usb.redirect(dev2.key, dev2.port());
    const t0 = Date.now();
    second.session.disconnect();
    await second.session.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(USBREDIR_CLOSE_DRAIN_MS - 20);
    expect(second.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
  });

  it('should link the next usbredir channel only once the old socket that carried a device has ended', async () => {
    // The n-th transport is the n-th fake connection; each ends when the test says.
    const ends: (() => void)[] = [];
    const wrap = endingOnCue(ends);
    const { session, qemu, net } = await connect([[9, 0]], { wrap });
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const old = qemu(0)!.conn;
    const opened = net.connections.length;
    expect(await session.usb.release(dev.key)).toEqual({ ok: true });
    // Closed once QEMU acknowledged the device_disconnect (the scripted QEMU answers within a few ms).
    await until('the old socket to close', () => old.closed, 1000);
    await settle(30);
    expect(net.connections.length).toBe(opened); // not while the old socket is still closing
    ends[net.connections.indexOf(old)]!();
    await until('the fresh link', () => net.connections.length > opened);
  });

  it('should keep the session when the usbredir stream breaks, and re-link the channel', async () => {
    const { session, qemu, events, lastUsb, linkAll, net } = await connect([[9, 0]]);
    const dev = fakeDevice();
    await session.usb.redirect(dev.key, dev.port());
    const q = qemu(0)!;
    const opened = net.connections.length;
    // A packet type no guest may send: the usbredir stream cannot be trusted any more.
    q.conn.message(SpicevmcMsg.Data, new Writer().u32(1).u32(10).u64(0n).bytes(new Uint8Array(10)).finish());
    await until('the device to be given back', () => lastUsb().devices[0]?.state === 'available');
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
    expect(lastUsb().devices[0]!.reason).toMatch(/protocol error/);
    // The fresh link opens once the old socket has ended (at once here).
    await until('the fresh link', () => net.connections.length > opened);
    await linkAll();
    await until('the channel back', () => lastUsb().channels.free === 1);
  });
});
