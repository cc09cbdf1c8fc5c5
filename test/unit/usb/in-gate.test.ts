/**
 * Backpressure from the usbredir link to the device: the InGate alone, and a UsbHost whose sink reports a
 * backlog (what the channel's WebSocket has not sent yet): no new bulk IN transfer or receiving-stream
 * transfer starts while the backlog is over the bound, and they go on once it drained.
 */
import { describe, expect, it } from 'vitest';
import { InGate } from '../../../src/usb/host/in-gate.js';
import { UsbHost, type UsbHostOptions } from '../../../src/usb/host/index.js';
import { capsWords, UsbredirStream, UsbredirType, type UsbredirPacket } from '../../../src/usb/usbredir/index.js';
import { FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';
import { ascii } from './bytes.js';

const T = UsbredirType;

/** A `later` whose timers the test runs by hand. */
function manualTimers() {
  const queue: (() => void)[] = [];
  return {
    later: (fn: () => void) => void queue.push(fn),
    get count() {
      return queue.length;
    },
    runAll(): void {
      for (const fn of queue.splice(0)) fn();
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

describe('InGate', () => {
  it('should stay open under the bound, hold back over it, and resume every waiting key once it drained', () => {
    let backlog = 0;
    const timers = manualTimers();
    const gate = new InGate(() => backlog, 1000, timers.later);
    expect(gate.open('a', () => {})).toBe(true);
    backlog = 1001;
    const resumed: string[] = [];
    expect(gate.open('a', () => resumed.push('a1'))).toBe(false);
    expect(gate.open('a', () => resumed.push('a2'))).toBe(false); // same key: replaced, not doubled
    expect(gate.open('b', () => resumed.push('b'))).toBe(false);
    expect(gate.pauses).toBe(2);
    expect(timers.count).toBe(1); // one poll for all
    timers.runAll();
    expect(resumed).toEqual([]); // still over: polls again
    expect(timers.count).toBe(1);
    backlog = 1000;
    timers.runAll();
    expect(resumed).toEqual(['a2', 'b']);
    expect(timers.count).toBe(0);
  });

  it('should forget waiting keys when cleared, and never close without a timer', () => {
    let backlog = 5000;
    const timers = manualTimers();
    const gate = new InGate(() => backlog, 1000, timers.later);
    const resumed: string[] = [];
    expect(gate.open('a', () => resumed.push('a'))).toBe(false);
    gate.clear();
    backlog = 0;
    timers.runAll();
    expect(resumed).toEqual([]);
    expect(new InGate(() => 1e9, 1000, undefined).open('a', () => {})).toBe(true);
  });
});

describe('UsbHost backpressure', () => {
  /** A connected host over a fake CDC-ACM device whose sink reports `state.backlog` bytes not yet sent. */
  async function connectedHost(options: UsbHostOptions) {
    const state = { backlog: 0 };
    const guest = new UsbredirStream({ role: 'guest', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) });
    const inbox: UsbredirPacket[] = [];
    const device = new FakeCdcAcmDevice();
    const host = new UsbHost(device, { send: (bytes) => inbox.push(...guest.push(bytes)), backlog: () => state.backlog }, options);
    await host.start();
    host.receive(guest.encode({ type: T.Hello, id: 0n, version: 'qemu usb-redir guest 7.2.22', caps: capsWords([0, 1, 2, 3, 4, 5, 6, 7]) }));
    await settle();
    inbox.length = 0;
    const send = (...packets: UsbredirPacket[]) => packets.forEach((p) => host.receive(guest.encode(p)));
    return { host, device, inbox, state, send };
  }
  const bulkIn = (id: bigint, length: number): UsbredirPacket => ({ type: T.BulkPacket, id, endpoint: 0x82, status: 0, length, streamId: 0, data: new Uint8Array() });

  it('should not start bulk IN transfers while the link is backed up, and start them once it drained', async () => {
    const timers = manualTimers();
    const { device, inbox, state, send } = await connectedHost({ later: timers.later, maxInBacklog: 64 * 1024 });
    state.backlog = 64 * 1024 + 1;
    send(bulkIn(10n, 4), bulkIn(11n, 4));
    await settle();
    expect(device.pendingBulkIn).toBe(0);
    timers.runAll(); // still backed up
    await settle();
    expect(device.pendingBulkIn).toBe(0);
    state.backlog = 0;
    timers.runAll();
    await settle();
    expect(device.pendingBulkIn).toBe(2);
    device.emit(ascii('abcdefgh'));
    await settle();
    expect(inbox.filter((p) => p.type === T.BulkPacket).map((p) => p.id)).toEqual([10n, 11n]);
  });

  it('should pause an interrupt receiving stream while the link is backed up, and go on once it drained', async () => {
    const timers = manualTimers();
    const { device, state, send } = await connectedHost({ later: timers.later, maxInBacklog: 1024 });
    const interruptReads = () => device.calls.filter((c) => c.startsWith('transferIn(3,')).length;
    state.backlog = 4096;
    send({ type: T.StartInterruptReceiving, id: 1n, endpoint: 0x83 } as UsbredirPacket);
    await settle();
    expect(interruptReads()).toBe(0);
    state.backlog = 0;
    timers.runAll();
    await settle();
    expect(interruptReads()).toBeGreaterThan(0);
  });

  it('should drop what waits for the link when the host is released', async () => {
    const timers = manualTimers();
    const { host, device, state, send } = await connectedHost({ later: timers.later, maxInBacklog: 1024 });
    state.backlog = 4096;
    send(bulkIn(10n, 4));
    await settle();
    await host.release();
    state.backlog = 0;
    timers.runAll();
    await settle();
    expect(device.calls.filter((c) => c.startsWith('transferIn(2,'))).toEqual([]);
  });
});
