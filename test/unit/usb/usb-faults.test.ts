/**
 * UsbHost under device faults, driven by a scripted usbredir guest (a real UsbredirStream in the guest role)
 * and the fake CDC-ACM device's fault injection: the device vanishing in the middle of a bulk OUT transfer,
 * a stalled endpoint, transfers that never complete, a device that stops answering altogether, open and
 * claim failures, a guest reset with transfers in flight. Each test checks the two promises of the host:
 * every guest request is answered exactly once, and nothing stays claimed or open on the device.
 */
import { describe, expect, it } from 'vitest';
import { UsbHost, type UsbHostEvent, type UsbHostOptions } from '../../../src/usb/host/index.js';
import { capsWords, type UsbredirPacket, UsbredirStatus, UsbredirStream, UsbredirType } from '../../../src/usb/usbredir/index.js';
import { FakeCdcAcmDevice, FakeCdcEndpoint } from '../../fakes/usb/cdc-acm-device.js';

const T = UsbredirType;
const S = UsbredirStatus;
const QEMU_CAPS = [0, 1, 2, 3, 4, 5, 6, 7];
const EMPTY = new Uint8Array();

async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

/** The VM side: encodes requests with a guest-role stream and collects every packet the host sent. */
class Guest {
  readonly stream = new UsbredirStream({ role: 'guest', caps: capsWords(QEMU_CAPS) });
  readonly received: UsbredirPacket[] = [];
  host!: UsbHost;
  readonly sink = { send: (bytes: Uint8Array) => void this.received.push(...this.stream.push(bytes)) };

  send(...packets: UsbredirPacket[]): void {
    for (const p of packets) this.host.receive(this.stream.encode(p));
  }

  /** Answers to requests (packets with a non-zero id or of a request type), counted per id. */
  answers(): Map<bigint, UsbredirPacket[]> {
    const out = new Map<bigint, UsbredirPacket[]>();
    for (const p of this.received) {
      if (p.type !== T.BulkPacket && p.type !== T.ControlPacket) continue;
      out.set(p.id, [...(out.get(p.id) ?? []), p]);
    }
    return out;
  }

  count(type: number): number {
    return this.received.filter((p) => p.type === type).length;
  }
}

async function connected(options: UsbHostOptions = {}, device = new FakeCdcAcmDevice()) {
  const guest = new Guest();
  const events: UsbHostEvent[] = [];
  const host = new UsbHost(device, guest.sink, { later: (fn, ms) => void setTimeout(fn, ms), ...options, onEvent: (e) => events.push(e) });
  guest.host = host;
  await host.start();
  guest.send({ type: T.Hello, id: 0n, version: 'qemu usb-redir guest 7.2.22', caps: capsWords(QEMU_CAPS) });
  await settle();
  expect(host.state).toBe('connected');
  guest.received.length = 0;
  return { host, guest, device, events };
}

const bulk = (id: bigint, endpoint: number, length: number, data: Uint8Array = EMPTY): UsbredirPacket => ({
  type: T.BulkPacket,
  id,
  endpoint,
  status: 0,
  length,
  streamId: 0,
  data,
});

/** CLEAR_FEATURE(ENDPOINT_HALT) on `endpoint`, as the guest kernel sends it after a stall. */
const clearHalt = (id: bigint, endpoint: number): UsbredirPacket => ({
  type: T.ControlPacket,
  id,
  endpoint: 0,
  request: 0x01,
  requestType: 0x02,
  status: 0,
  value: 0,
  index: endpoint,
  length: 0,
  data: EMPTY,
});

/** Every id of `expected` got exactly one answer, with the status given; nothing else was answered. */
function expectAnsweredOnce(guest: Guest, expected: Record<string, number>): void {
  const answers = guest.answers();
  expect([...answers.keys()].map(String).sort()).toEqual(Object.keys(expected).sort());
  for (const [id, list] of answers) {
    expect(list, `answers to id ${id}`).toHaveLength(1);
    expect((list[0] as { status: number }).status, `status of id ${id}`).toBe(expected[String(id)]);
  }
}

function expectLetGo(device: FakeCdcAcmDevice): void {
  expect(device.claimedInterfaces).toEqual([]);
  expect(device.opened).toBe(false);
  expect(device.pendingTransfers).toBe(0);
}

describe('UsbHost under device faults', () => {
  it('should answer everything once and let go when the device vanishes in the middle of a bulk OUT transfer', async () => {
    const { host, guest, device, events } = await connected();
    device.vanishAfterWritten(100);
    const chunk = new Uint8Array(64).fill(0x61);
    guest.send(bulk(1n, 0x82, 64), bulk(2n, 0x82, 64), bulk(3n, 0x02, 64, chunk));
    guest.send({ type: T.StartInterruptReceiving, id: 6n, endpoint: FakeCdcEndpoint.Notify });
    await settle();
    guest.send(bulk(4n, 0x02, 64, chunk), bulk(5n, 0x02, 64, chunk));
    await host.finished;
    await settle();
    expect(host.state).toBe('lost');
    expect(host.reason).toMatch(/disconnected/);
    // id 3 went through (its echo answered IN request 1); 4 crossed the vanishing point; the rest saw the loss.
    expectAnsweredOnce(guest, { 1: S.Success, 2: S.Ioerror, 3: S.Success, 4: S.Ioerror, 5: S.Ioerror });
    expect(guest.count(T.DeviceDisconnect)).toBe(1);
    expect(guest.received.at(-1)).toEqual({ type: T.DeviceDisconnect, id: 0n });
    expect(events.filter((e) => e.type === 'state' && e.state === 'lost')).toHaveLength(1);
    expectLetGo(device);
    // Late requests: unanswered while our device_disconnect awaits its ack (the guest drops them on reading
    // it), refused at once after it, one answer each.
    guest.send(bulk(7n, 0x02, 1, new Uint8Array([1])));
    expect(guest.answers().get(7n)).toBeUndefined();
    guest.send({ type: T.DeviceDisconnectAck, id: 0n }, bulk(8n, 0x02, 1, new Uint8Array([1])));
    expect(guest.answers().get(8n)).toEqual([expect.objectContaining({ status: S.Ioerror })]);
  });

  it('should pass a stall to the guest and recover after its clear-halt', async () => {
    const { host, guest, device } = await connected();
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    device.halt(0x82); // the IN transfer in flight ends with a stall
    device.halt(0x02);
    guest.send(bulk(2n, 0x02, 3, new Uint8Array([0x61, 0x62, 0x63])));
    await settle();
    expectAnsweredOnce(guest, { 1: S.Stall, 2: S.Stall });
    guest.send(clearHalt(3n, 0x82), clearHalt(4n, 0x02));
    await settle();
    expect(device.calls).toEqual(expect.arrayContaining(['clearHalt(in, 2)', 'clearHalt(out, 2)']));
    guest.send(bulk(5n, 0x82, 64), bulk(6n, 0x02, 3, new Uint8Array([0x61, 0x62, 0x63])));
    await settle();
    expectAnsweredOnce(guest, { 1: S.Stall, 2: S.Stall, 3: S.Success, 4: S.Success, 5: S.Success, 6: S.Success });
    const echo = guest.answers().get(5n)![0] as { data: Uint8Array };
    expect([...echo.data]).toEqual([0x41, 0x42, 0x43]);
    expect(host.state).toBe('connected');
  });

  it('should answer cancels of transfers that never complete, once, and release within the bound', async () => {
    const { host, guest, device } = await connected({ closeTimeoutMs: 1000 });
    device.hang(0x82);
    device.hang(0x02);
    guest.send(bulk(1n, 0x82, 64), bulk(2n, 0x02, 2, new Uint8Array([1, 2])), bulk(3n, 0x82, 64));
    await settle();
    expect(device.pendingTransfers).toBe(3);
    expect(guest.answers().size).toBe(0);
    // The guest closes its tty: the kernel cancels the URBs.
    guest.send({ type: T.CancelDataPacket, id: 1n }, { type: T.CancelDataPacket, id: 2n }, { type: T.CancelDataPacket, id: 3n });
    expectAnsweredOnce(guest, { 1: S.Cancelled, 2: S.Cancelled, 3: S.Cancelled });
    const t0 = Date.now();
    await host.release();
    expect(Date.now() - t0).toBeLessThan(1000);
    await settle();
    // The aborted transfers' results are dropped: still one answer each.
    expectAnsweredOnce(guest, { 1: S.Cancelled, 2: S.Cancelled, 3: S.Cancelled });
    expect(guest.count(T.DeviceDisconnect)).toBe(1);
    expect(host.state).toBe('released');
    expectLetGo(device);
  });

  it('should finish releasing a device that stopped answering altogether, within the bound', async () => {
    const { host, guest, device, events } = await connected({ closeTimeoutMs: 200 });
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    device.freeze();
    guest.send(bulk(2n, 0x02, 1, new Uint8Array([1])));
    await settle();
    const t0 = Date.now();
    await host.release();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(1500);
    await host.finished;
    expectAnsweredOnce(guest, { 1: S.Cancelled, 2: S.Cancelled });
    expect(guest.count(T.DeviceDisconnect)).toBe(1);
    expect(host.state).toBe('released');
    expect(events).toContainEqual({ type: 'warning', message: 'the device did not close within 200 ms; giving up on it' });
  });

  it('should refuse a device that cannot be opened, and leave it closed', async () => {
    const device = new FakeCdcAcmDevice();
    device.failNext('open', 'SecurityError', 'Access denied.');
    const guest = new Guest();
    const host = new UsbHost(device, guest.sink);
    guest.host = host;
    await host.start();
    await host.finished;
    expect(host.state).toBe('refused');
    expect(host.reason).toBe('cannot open the device: Access denied.');
    expect(guest.count(T.DeviceConnect)).toBe(0);
    expectLetGo(device);
  });

  it('should refuse a device an interface of which cannot be claimed, giving back the ones it claimed', async () => {
    const device = new FakeCdcAcmDevice();
    device.failNext('claimInterface', 'NetworkError', 'Unable to claim interface.');
    const guest = new Guest();
    const host = new UsbHost(device, guest.sink);
    guest.host = host;
    await host.start();
    await host.finished;
    expect(host.state).toBe('refused');
    expect(host.reason).toMatch(/^cannot claim interface 0 \(class 0x02\): Unable to claim interface\./);
    expectLetGo(device);
  });

  it('should still let go when releasing an interface or closing fails', async () => {
    const { host, guest, device } = await connected();
    device.failNext('releaseInterface');
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    await host.release();
    expectAnsweredOnce(guest, { 1: S.Cancelled });
    expect(host.state).toBe('released');
    expect(device.opened).toBe(false);
    expect(device.pendingTransfers).toBe(0);
  });

  it('should answer transfers hung at a guest reset once, and work again after it', async () => {
    const { host, guest, device } = await connected();
    device.hang(0x82);
    guest.send(bulk(1n, 0x82, 64), bulk(2n, 0x82, 64));
    await settle();
    guest.send({ type: T.Reset, id: 0n });
    await settle();
    expect(device.resets).toBe(1);
    expect(device.pendingTransfers).toBe(0);
    device.unhang(0x82);
    guest.send(bulk(3n, 0x82, 64), bulk(4n, 0x02, 2, new Uint8Array([0x6f, 0x6b])));
    await settle();
    expectAnsweredOnce(guest, { 1: S.Cancelled, 2: S.Cancelled, 3: S.Success, 4: S.Success });
    expect(host.state).toBe('connected');
    await host.release();
    expectLetGo(device);
  });
});
