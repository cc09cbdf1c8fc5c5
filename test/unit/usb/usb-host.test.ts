import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { USB_HOST_CAPS, UsbHost, type UsbHostEvent, type UsbHostOptions } from '../../../src/usb/host/index.js';
import { usbFilterInfoFromDevice } from '../../../src/usb/usbredir-filter.js';
import { capsWords, UsbredirStream, type UsbredirPacket } from '../../../src/usb/usbredir/index.js';
import { UsbredirStatus, UsbredirType } from '../../../src/usb/usbredir/index.js';
import type { UsbDeviceLike, UsbIsochronousInTransferResultLike } from '../../../src/usb/webusb-types.js';
import { FAKE_CDC_CONFIG_DESCRIPTOR, FAKE_CDC_DEVICE_DESCRIPTOR, fakeCdcTransform, FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';
import { ascii } from './bytes.js';

const T = UsbredirType;
const S = UsbredirStatus;
const QEMU_CAPS = [0, 1, 2, 3, 4, 5, 6, 7];
const EMPTY = new Uint8Array();

/** Lets the fake device and the host's promise chains run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

/** The VM side, scripted: a usbredir guest like QEMU's usb-redir, speaking through a real UsbredirStream. */
class Guest {
  readonly stream: UsbredirStream;
  readonly raw: Uint8Array[] = [];
  private inbox: UsbredirPacket[] = [];
  host!: UsbHost;
  readonly sink = {
    send: (bytes: Uint8Array) => {
      this.raw.push(bytes);
      this.inbox.push(...this.stream.push(bytes));
    },
  };

  constructor(caps: number[] = QEMU_CAPS) {
    this.stream = new UsbredirStream({ role: 'guest', caps: capsWords(caps) });
  }

  send(...packets: UsbredirPacket[]): void {
    for (const p of packets) this.host.receive(this.stream.encode(p));
  }

  hello(version = 'qemu usb-redir guest 7.2.22'): void {
    this.send({ type: T.Hello, id: 0n, version, caps: capsWords(QEMU_CAPS) });
  }

  /** Everything the host sent since the last call. */
  take(): UsbredirPacket[] {
    const out = this.inbox;
    this.inbox = [];
    return out;
  }
}

function setup<D extends UsbDeviceLike = FakeCdcAcmDevice>(options: UsbHostOptions = {}, device: D = new FakeCdcAcmDevice() as unknown as D, guest = new Guest()) {
  const events: UsbHostEvent[] = [];
  const host = new UsbHost(device, guest.sink, { ...options, onEvent: (e) => events.push(e) });
  guest.host = host;
  const states = () => events.flatMap((e) => (e.type === 'state' ? [e.state] : []));
  return { host, guest, device, events, states };
}

/** A started host with the device announced to the guest; the announcement is taken off the inbox. */
async function connected<D extends UsbDeviceLike = FakeCdcAcmDevice>(options: UsbHostOptions = {}, device: D = new FakeCdcAcmDevice() as unknown as D) {
  const t = setup(options, device);
  await t.host.start();
  t.guest.hello();
  await settle();
  t.guest.take();
  return t;
}

const control = (id: bigint, requestType: number, request: number, value: number, index: number, length: number, data: Uint8Array = EMPTY): UsbredirPacket => ({
  type: T.ControlPacket,
  id,
  endpoint: requestType & 0x80,
  request,
  requestType,
  status: 0,
  value,
  index,
  length,
  data,
});
const controlReply = (id: bigint, requestType: number, request: number, value: number, index: number, status: number, length: number, data: Uint8Array = EMPTY) => ({
  type: T.ControlPacket,
  id,
  endpoint: requestType & 0x80,
  request,
  requestType,
  status,
  value,
  index,
  length,
  data,
});
const bulk = (id: bigint, endpoint: number, length: number, data: Uint8Array = EMPTY): UsbredirPacket => ({
  type: T.BulkPacket,
  id,
  endpoint,
  status: 0,
  length,
  streamId: 0,
  data,
});
const bulkReply = (id: bigint, endpoint: number, status: number, length: number, data: Uint8Array = EMPTY) => ({
  type: T.BulkPacket,
  id,
  endpoint,
  status,
  length,
  streamId: 0,
  data,
});
const u8 = (a: ArrayLike<number>) => Uint8Array.from(a as number[]);

const CDC_EP_INFO = (() => {
  const epType: number[] = Array.from({ length: 32 }, (_, i) => ((i & 15) === 0 ? 0 : 255));
  const interval = new Array<number>(32).fill(0);
  const iface = new Array<number>(32).fill(0);
  const maxPacketSize = new Array<number>(32).fill(0);
  epType[0x02] = 2;
  iface[0x02] = 1;
  maxPacketSize[0x02] = 64;
  epType[0x12] = 2;
  iface[0x12] = 1;
  maxPacketSize[0x12] = 64;
  epType[0x13] = 3;
  interval[0x13] = 16;
  maxPacketSize[0x13] = 16;
  return { type: T.EpInfo, id: 0n, epType, interval, interface: iface, maxPacketSize, maxStreams: new Array<number>(32).fill(0) };
})();
const CDC_INTERFACE_INFO = {
  type: T.InterfaceInfo,
  id: 0n,
  interfaceCount: 2,
  interface: [0, 1],
  interfaceClass: [2, 10],
  interfaceSubclass: [2, 0],
  interfaceProtocol: [1, 0],
};
const CDC_CONNECT = {
  type: T.DeviceConnect,
  id: 0n,
  speed: 1,
  deviceClass: 2,
  deviceSubclass: 0,
  deviceProtocol: 0,
  vendorId: 0x2341,
  productId: 0x0043,
  deviceVersionBcd: 0x0001,
};

describe('UsbHost talking to a QEMU-like guest', () => {
  it('should run a whole session: hello, filter, resets, enumeration, serial traffic, cancel, unplug', async () => {
    const { host, guest, device, states, events } = setup();

    // Our hello goes out first and alone, with a 32-bit id and caps 1..7.
    const started = host.start();
    expect(guest.take()).toEqual([{ type: T.Hello, id: 0n, version: 'spice-console usbredir host', caps: [0xfe] }]);
    expect(guest.raw[0]!.byteLength).toBe(12 + 64 + 4);
    await started;
    await settle();
    expect(guest.take()).toEqual([]); // nothing else before the guest's hello
    expect(host.state).toBe('connecting');
    expect(device.claimedInterfaces).toEqual([0, 1]);

    // QEMU: hello, then its filter_filter. The device is announced: interface_info, ep_info, device_connect.
    guest.send(
      { type: T.Hello, id: 0n, version: 'qemu usb-redir guest 7.2.22', caps: capsWords(QEMU_CAPS) },
      { type: T.FilterFilter, id: 0n, filter: '0x08,-1,-1,-1,0|-1,-1,-1,-1,1' },
    );
    expect(guest.take()).toEqual([CDC_INTERFACE_INFO, CDC_EP_INFO, CDC_CONNECT]);
    expect(host.state).toBe('connected');
    expect(host.peerVersion).toBe('qemu usb-redir guest 7.2.22');
    expect(host.guestFilter).toHaveLength(2);
    expect(guest.raw.at(-1)!.byteLength).toBe(16 + 10); // 64-bit ids and device_version_bcd from here on

    // Three resets in a row: one real reset, nothing sent back.
    guest.send({ type: T.Reset, id: 0n }, { type: T.Reset, id: 0n }, { type: T.Reset, id: 0n });
    await settle();
    expect(device.resets).toBe(1);
    expect(guest.take()).toEqual([]);

    // Enumeration.
    guest.send(control(1n, 0x80, 6, 0x0100, 0, 64));
    await settle();
    expect(guest.take()).toEqual([controlReply(1n, 0x80, 6, 0x0100, 0, S.Success, 18, u8(FAKE_CDC_DEVICE_DESCRIPTOR))]);
    guest.send({ type: T.Reset, id: 0n });
    await settle();
    expect(device.resets).toBe(2); // there was traffic since the last one

    guest.send(
      control(2n, 0x80, 6, 0x0100, 0, 18),
      control(3n, 0x80, 6, 0x0600, 0, 10), // device qualifier
      control(4n, 0x80, 6, 0x0200, 0, 9),
      control(5n, 0x80, 6, 0x0200, 0, 67),
      control(6n, 0x80, 6, 0x0300, 0, 255),
      control(7n, 0x80, 6, 0x0302, 0x0409, 255),
    );
    await settle();
    const product = [2 + 2 * 16, 3, ...Array.from('Fake Arduino Uno').flatMap((c) => [c.charCodeAt(0), 0])];
    expect(guest.take()).toEqual([
      controlReply(2n, 0x80, 6, 0x0100, 0, S.Success, 18, u8(FAKE_CDC_DEVICE_DESCRIPTOR)),
      controlReply(3n, 0x80, 6, 0x0600, 0, S.Stall, 0),
      controlReply(4n, 0x80, 6, 0x0200, 0, S.Success, 9, FAKE_CDC_CONFIG_DESCRIPTOR.slice(0, 9)),
      controlReply(5n, 0x80, 6, 0x0200, 0, S.Success, 67, u8(FAKE_CDC_CONFIG_DESCRIPTOR)),
      controlReply(6n, 0x80, 6, 0x0300, 0, S.Success, 4, u8([4, 3, 0x09, 0x04])),
      controlReply(7n, 0x80, 6, 0x0302, 0x0409, S.Success, product.length, u8(product)),
    ]);

    // SET_CONFIGURATION 1 (already active), GET_CONFIGURATION, GET_INTERFACE.
    guest.send(
      { type: T.SetConfiguration, id: 8n, configuration: 1 },
      { type: T.GetConfiguration, id: 9n },
      { type: T.GetAltSetting, id: 10n, interface: 1 },
      { type: T.GetAltSetting, id: 11n, interface: 7 },
    );
    await settle();
    expect(guest.take()).toEqual([
      { type: T.ConfigurationStatus, id: 8n, status: S.Success, configuration: 1 },
      { type: T.ConfigurationStatus, id: 9n, status: S.Success, configuration: 1 },
      { type: T.AltSettingStatus, id: 10n, status: S.Success, interface: 1, alt: 0 },
      { type: T.AltSettingStatus, id: 11n, status: S.Inval, interface: 7, alt: 255 },
    ]);

    // cdc_acm opening the tty: SET_LINE_CODING, SET_CONTROL_LINE_STATE, and the notification endpoint.
    const coding = u8([0x00, 0xc2, 0x01, 0x00, 0x00, 0x00, 0x08]); // 115200 8N1
    guest.send(control(12n, 0x21, 0x20, 0, 0, 7, coding), control(13n, 0x21, 0x22, 0x0003, 0, 0), control(14n, 0xa1, 0x21, 0, 0, 7), {
      type: T.StartInterruptReceiving,
      id: 0n,
      endpoint: 0x83,
    });
    await settle();
    expect(guest.take()).toEqual([
      { type: T.InterruptReceivingStatus, id: 0n, status: S.Success, endpoint: 0x83 },
      controlReply(12n, 0x21, 0x20, 0, 0, S.Success, 7),
      controlReply(13n, 0x21, 0x22, 0x0003, 0, S.Success, 0),
      controlReply(14n, 0xa1, 0x21, 0, 0, S.Success, 7, coding),
    ]);
    expect(Array.from(device.lineCoding)).toEqual(Array.from(coding));
    expect(device.controlLineState).toBe(3);
    device.notifySerialState(0x0003);
    await settle();
    expect(guest.take()).toEqual([{ type: T.InterruptPacket, id: 0n, endpoint: 0x83, status: S.Success, length: 10, data: u8([0xa1, 0x20, 0, 0, 0, 0, 2, 0, 3, 0]) }]);

    // A read waits; a write comes back transformed and completes it.
    guest.send(bulk(20n, 0x82, 64));
    await settle();
    expect(guest.take()).toEqual([]);
    const line = u8(ascii('Hello, guest!\n'));
    guest.send(bulk(21n, 0x02, line.byteLength, line));
    await settle();
    const replies = guest.take().sort((a, b) => Number(a.id - b.id));
    expect(replies).toEqual([bulkReply(20n, 0x82, S.Success, line.byteLength, fakeCdcTransform(line)), bulkReply(21n, 0x02, S.Success, line.byteLength)]);
    expect(device.calls).toContain('transferIn(2, 64)'); // bulk IN asks for the length the guest asked for

    // Closing the tty cancels the pending read: answered at once, exactly once; data read for it is kept.
    guest.send(bulk(22n, 0x82, 64));
    await settle();
    guest.send({ type: T.CancelDataPacket, id: 22n });
    expect(guest.take()).toEqual([bulkReply(22n, 0x82, S.Cancelled, 0)]);
    guest.send(bulk(23n, 0x02, 3, u8(ascii('abc'))));
    await settle();
    expect(guest.take()).toEqual([bulkReply(23n, 0x02, S.Success, 3)]);
    const transferIns = device.calls.filter((c) => c.startsWith('transferIn(2,')).length;
    guest.send(bulk(24n, 0x82, 64));
    await settle();
    expect(guest.take()).toEqual([bulkReply(24n, 0x82, S.Success, 3, u8(ascii('ABC')))]);
    expect(device.calls.filter((c) => c.startsWith('transferIn(2,')).length).toBe(transferIns); // served from what was read

    guest.send({ type: T.StopInterruptReceiving, id: 0n, endpoint: 0x83 });
    expect(guest.take()).toEqual([{ type: T.InterruptReceivingStatus, id: 0n, status: S.Success, endpoint: 0x83 }]);

    // The cable is pulled while a read is pending.
    guest.send(bulk(25n, 0x82, 64));
    await settle();
    device.unplug();
    await settle();
    expect(guest.take()).toEqual([bulkReply(25n, 0x82, S.Ioerror, 0), { type: T.DeviceDisconnect, id: 0n }]);
    expect(host.state).toBe('lost');
    expect(states()).toEqual(['connecting', 'connected', 'lost']);
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);

    // A request that crossed our device_disconnect goes unanswered (the guest dropped it on reading the
    // disconnect; a late answer could still be entering QEMU's chardev when the link closes on the ack);
    // after the ack, whatever still comes is answered with an error, never with silence.
    guest.send(control(26n, 0x80, 6, 0x0100, 0, 18));
    await settle();
    expect(guest.take()).toEqual([]);
    guest.send({ type: T.DeviceDisconnectAck, id: 0n }, control(27n, 0x80, 6, 0x0100, 0, 18));
    expect(guest.take()).toEqual([controlReply(27n, 0x80, 6, 0x0100, 0, S.Ioerror, 0)]);
  });

  it('should send nothing but its hello until the guest hello arrives', async () => {
    const { host, guest } = setup();
    await host.start();
    await settle();
    expect(guest.take().map((p) => p.type)).toEqual([T.Hello]);
    guest.hello();
    expect(guest.take().map((p) => p.type)).toEqual([T.InterfaceInfo, T.EpInfo, T.DeviceConnect]);
  });

  it('should still send its hello with a 32-bit id when the guest hello came first', async () => {
    const { host, guest } = setup();
    guest.hello();
    await host.start();
    expect(guest.raw[0]!.byteLength).toBe(80);
    expect(guest.take().map((p) => p.type)).toEqual([T.Hello, T.InterfaceInfo, T.EpInfo, T.DeviceConnect]);
  });

  it('should use 32-bit ids and short headers with a guest lacking the caps', async () => {
    const guest = new Guest([2]);
    const { host } = setup({}, new FakeCdcAcmDevice(), guest);
    await host.start();
    guest.take();
    guest.send({ type: T.Hello, id: 0n, version: 'old', caps: capsWords([2]) });
    const [iface, ep, connect] = guest.take();
    expect(iface).toEqual(CDC_INTERFACE_INFO);
    expect(ep).toEqual({ ...CDC_EP_INFO, maxPacketSize: new Array<number>(32).fill(0) });
    expect(connect).toEqual({ ...CDC_CONNECT, deviceVersionBcd: undefined });
    expect(guest.raw.slice(1).map((b) => b.byteLength)).toEqual([12 + 132, 12 + 96, 12 + 8]);
    guest.send(control(0xfffffffen, 0x80, 6, 0x0100, 0, 18));
    await settle();
    expect(guest.take()[0]).toMatchObject({ id: 0xfffffffen, status: S.Success, length: 18 });
  });

  it("should refuse a device the guest's filter blocks, without announcing it", async () => {
    const { host, guest, device, states } = setup();
    const started = host.start(); // the device is not ready yet when the filter arrives
    guest.send({ type: T.Hello, id: 0n, version: 'qemu', caps: capsWords(QEMU_CAPS) }, { type: T.FilterFilter, id: 0n, filter: '0x02,-1,-1,-1,0|-1,-1,-1,-1,1' });
    await started;
    await settle();
    expect(guest.take().map((p) => p.type)).toEqual([T.Hello]);
    expect(states()).toEqual(['connecting', 'refused']);
    expect(host.reason).toBe("blocked by the VM's USB filter: the device class (class 0x02) of device 2341:0043 is blocked by filter rule 1 (0x02,-1,-1,-1,0)");
    expect(device.opened).toBe(false);
  });

  it('should ignore a filter it cannot parse', async () => {
    const { host, guest, events } = setup();
    const started = host.start();
    guest.send({ type: T.Hello, id: 0n, version: 'qemu', caps: capsWords(QEMU_CAPS) }, { type: T.FilterFilter, id: 0n, filter: 'nonsense' });
    await started;
    expect(host.state).toBe('connected');
    expect(events.some((e) => e.type === 'warning' && /unparsable/.test(e.message))).toBe(true);
  });

  it('should drop the device on filter_reject and say why', async () => {
    const { host, guest, device } = await connected();
    guest.send({ type: T.FilterFilter, id: 0n, filter: '-1,-1,-1,-1,1' }, { type: T.FilterReject, id: 0n });
    await settle();
    expect(guest.take()).toEqual([{ type: T.DeviceDisconnect, id: 0n }]);
    expect(host.state).toBe('refused');
    expect(host.reason).toMatch(/VM refused the device/);
    expect(device.opened).toBe(false);
  });

  it('should refuse a device an interface of which cannot be claimed', async () => {
    class Protected extends FakeCdcAcmDevice {
      override async claimInterface(n: number): Promise<void> {
        if (n === 1) throw Object.assign(new Error('The requested interface implements a protected class.'), { name: 'SecurityError' });
        return super.claimInterface(n);
      }
    }
    const { host, guest } = setup({}, new Protected());
    guest.hello();
    await host.start();
    expect(host.state).toBe('refused');
    expect(host.reason).toBe('cannot claim interface 1 (class 0x0a): The requested interface implements a protected class.');
    expect(guest.take().map((p) => p.type)).toEqual([T.Hello]);
  });

  it('should release: pending requests cancelled, device_disconnect, interfaces released, device closed', async () => {
    const { host, guest, device, states } = await connected();
    guest.send(bulk(5n, 0x82, 64), { type: T.StartInterruptReceiving, id: 0n, endpoint: 0x83 });
    await settle();
    guest.take();
    await host.release();
    expect(guest.take()).toEqual([bulkReply(5n, 0x82, S.Cancelled, 0), { type: T.DeviceDisconnect, id: 0n }]);
    expect(states()).toEqual(['connecting', 'connected', 'released']);
    expect(device.calls.slice(-3)).toEqual(['releaseInterface(0)', 'releaseInterface(1)', 'close()']);
    expect(device.opened).toBe(false);
    await settle();
    expect(guest.take()).toEqual([]); // nothing from the aborted transfers
  });

  it('should report loss when told the device disconnected', async () => {
    const { host, guest } = await connected();
    host.notifyDisconnected();
    expect(guest.take()).toEqual([{ type: T.DeviceDisconnect, id: 0n }]);
    expect(host.state).toBe('lost');
  });

  it('should not mistake NotFoundError on an opened device for loss', async () => {
    const { host, guest } = await connected();
    guest.send(bulk(1n, 0x82, 0x10000 + 5)); // fine: 32bits_bulk_length
    guest.send({ type: T.SetAltSetting, id: 2n, interface: 1, alt: 5 });
    await settle();
    expect(guest.take()).toEqual([
      bulkReply(1n, 0x82, S.Cancelled, 0), // set_alt_setting ends the interface's pending requests first
      { type: T.AltSettingStatus, id: 2n, status: S.Ioerror, interface: 1, alt: 0 },
    ]);
    expect(host.state).toBe('connected');
  });

  it('should change alt settings: interface_info and ep_info before the status', async () => {
    const { guest, device } = await connected();
    guest.send({ type: T.SetAltSetting, id: 3n, interface: 1, alt: 0 });
    await settle();
    expect(guest.take()).toEqual([CDC_INTERFACE_INFO, CDC_EP_INFO, { type: T.AltSettingStatus, id: 3n, status: S.Success, interface: 1, alt: 0 }]);
    expect(device.calls).toContain('selectAlternateInterface(1, 0)');
  });

  it('should answer a failed configuration change with infos and an error status', async () => {
    const { guest, device } = await connected();
    guest.send({ type: T.SetConfiguration, id: 4n, configuration: 2 });
    await settle();
    expect(guest.take()).toEqual([CDC_INTERFACE_INFO, CDC_EP_INFO, { type: T.ConfigurationStatus, id: 4n, status: S.Ioerror, configuration: 1 }]);
    expect(device.claimedInterfaces).toEqual([0, 1]);
  });

  it('should turn CLEAR_FEATURE(ENDPOINT_HALT) into clearHalt', async () => {
    const { guest, device } = await connected();
    device.halt(0x82);
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    expect(guest.take()).toEqual([bulkReply(1n, 0x82, S.Stall, 0)]);
    guest.send(control(2n, 0x02, 0x01, 0, 0x82, 0));
    await settle();
    expect(guest.take()).toEqual([controlReply(2n, 0x02, 0x01, 0, 0x82, S.Success, 0)]);
    expect(device.calls).toContain('clearHalt(in, 2)');
    guest.send(bulk(3n, 0x82, 64), bulk(4n, 0x02, 1, u8([0x61])));
    await settle();
    expect(guest.take().sort((a, b) => Number(a.id - b.id))).toEqual([bulkReply(3n, 0x82, S.Success, 1, u8([0x41])), bulkReply(4n, 0x02, S.Success, 1)]);
  });

  it('should refuse requests on endpoints of the wrong type', async () => {
    const { guest } = await connected();
    guest.send(bulk(1n, 0x83, 8), control(2n, 0x80, 6, 0x0100, 0, 18), { type: T.StartInterruptReceiving, id: 0n, endpoint: 0x82 });
    expect(guest.take()).toEqual([bulkReply(1n, 0x83, S.Inval, 0), { type: T.InterruptReceivingStatus, id: 0n, status: S.Stall, endpoint: 0x82 }]);
    await settle();
    expect(guest.take()).toEqual([controlReply(2n, 0x80, 6, 0x0100, 0, S.Success, 18, u8(FAKE_CDC_DEVICE_DESCRIPTOR))]);
  });

  it('should end pending requests on reset and tell the guest its streams stopped', async () => {
    const { guest, device } = await connected();
    guest.send(bulk(1n, 0x82, 64), { type: T.StartInterruptReceiving, id: 0n, endpoint: 0x83 });
    await settle();
    guest.take();
    guest.send({ type: T.Reset, id: 0n });
    expect(guest.take()).toEqual([bulkReply(1n, 0x82, S.Cancelled, 0), { type: T.InterruptReceivingStatus, id: 0n, status: S.Stall, endpoint: 0x83 }]);
    await settle();
    expect(device.resets).toBe(1);
    expect(guest.take()).toEqual([]);
    // After the reset the endpoint works again, and data is not eaten by the aborted transfers.
    guest.send(bulk(2n, 0x82, 64), bulk(3n, 0x02, 2, u8(ascii('ok'))));
    await settle();
    expect(guest.take().sort((a, b) => Number(a.id - b.id))).toEqual([bulkReply(2n, 0x82, S.Success, 2, u8(ascii('OK'))), bulkReply(3n, 0x02, S.Success, 2)]);
  });

  it('should clear a stalled interrupt endpoint and keep receiving, like usbredirhost', async () => {
    const { guest, device } = await connected();
    guest.send({ type: T.StartInterruptReceiving, id: 0n, endpoint: 0x83 });
    await settle();
    guest.take();
    device.halt(0x83);
    await settle();
    expect(device.calls).toContain('clearHalt(in, 3)');
    expect(guest.take()).toEqual([]);
    device.notifySerialState(0x0001);
    await settle();
    expect(guest.take()).toEqual([{ type: T.InterruptPacket, id: 0n, endpoint: 0x83, status: S.Success, length: 10, data: u8([0xa1, 0x20, 0, 0, 0, 0, 2, 0, 1, 0]) }]);
  });

  it('should keep the device when a reset fails for another reason than loss', async () => {
    class Stubborn extends FakeCdcAcmDevice {
      override async reset(): Promise<void> {
        throw Object.assign(new Error('Unable to reset the device.'), { name: 'NetworkError' });
      }
    }
    const { host, guest, events } = await connected({}, new Stubborn());
    guest.send({ type: T.Reset, id: 0n });
    await settle();
    expect(host.state).toBe('connected');
    expect(events.some((e) => e.type === 'warning' && /reset failed/.test(e.message))).toBe(true);
    guest.send(control(1n, 0x80, 6, 0x0100, 0, 18));
    await settle();
    expect(guest.take()[0]).toMatchObject({ id: 1n, status: S.Success, length: 18 });
  });

  it('should not reset the device when told not to', async () => {
    const { guest, device } = await connected({ resetDevice: false });
    guest.send({ type: T.Reset, id: 0n });
    await settle();
    expect(device.resets).toBe(0);
  });

  it('should stream iso IN packets and take iso OUT packets (best effort), from WebUSB descriptors', async () => {
    const isoIn: ((r: UsbIsochronousInTransferResultLike) => void)[] = [];
    const isoOut: number[][] = [];
    const alt = {
      alternateSetting: 0,
      interfaceClass: 0xff,
      interfaceSubclass: 0,
      interfaceProtocol: 0,
      endpoints: [
        { endpointNumber: 1, direction: 'in' as const, type: 'isochronous' as const, packetSize: 8 },
        { endpointNumber: 1, direction: 'out' as const, type: 'isochronous' as const, packetSize: 8 },
      ],
    };
    const config = { configurationValue: 1, interfaces: [{ interfaceNumber: 0, alternate: alt, alternates: [alt], claimed: true }] };
    let opened = false;
    const ok = async () => undefined;
    const device: UsbDeviceLike = {
      usbVersionMajor: 2,
      usbVersionMinor: 0,
      usbVersionSubminor: 0,
      deviceClass: 0xff,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x1234,
      productId: 0x5678,
      deviceVersionMajor: 1,
      deviceVersionMinor: 0,
      deviceVersionSubminor: 0,
      configuration: config,
      configurations: [config],
      get opened() {
        return opened;
      },
      open: async () => {
        opened = true;
      },
      close: async () => {
        opened = false;
      },
      selectConfiguration: ok,
      claimInterface: ok,
      releaseInterface: ok,
      selectAlternateInterface: ok,
      clearHalt: ok,
      reset: ok,
      // Refuses GET_DESCRIPTOR from the page: the host falls back to WebUSB's objects.
      controlTransferIn: async () => ({ status: 'stall' as const }),
      controlTransferOut: async () => ({ status: 'stall' as const, bytesWritten: 0 }),
      transferIn: () => new Promise(() => undefined),
      transferOut: async (_n, d) => ({ status: 'ok' as const, bytesWritten: d.byteLength }),
      isochronousTransferIn: (_n, lengths) => {
        expect(lengths).toEqual([8, 8]);
        return new Promise((r) => isoIn.push(r));
      },
      isochronousTransferOut: async (_n, data, lengths) => {
        isoOut.push([...data]);
        return { packets: lengths.map((l) => ({ bytesWritten: l, status: 'ok' as const })) };
      },
    };
    const { host, guest, events } = await connected({}, device);
    expect(host.state).toBe('connected');
    expect(events.some((e) => e.type === 'warning' && /WebUSB's view/.test(e.message))).toBe(true);
    guest.send({ type: T.StartIsoStream, id: 0n, endpoint: 0x81, pktsPerUrb: 2, noUrbs: 3 });
    expect(guest.take()).toEqual([{ type: T.IsoStreamStatus, id: 0n, status: S.Success, endpoint: 0x81 }]);
    await settle();
    expect(isoIn).toHaveLength(3);
    const view = (a: number[]) => new DataView(Uint8Array.from(a).buffer);
    isoIn.shift()!({
      packets: [
        { status: 'ok', data: view([1, 2]) },
        { status: 'babble', data: view([]) },
      ],
    });
    await settle();
    expect(guest.take()).toEqual([
      { type: T.IsoPacket, id: 0n, endpoint: 0x81, status: S.Success, length: 2, data: u8([1, 2]) },
      { type: T.IsoPacket, id: 1n, endpoint: 0x81, status: S.Babble, length: 0, data: EMPTY },
    ]);
    expect(isoIn).toHaveLength(3); // resubmitted
    guest.send({ type: T.StopIsoStream, id: 0n, endpoint: 0x81 });
    expect(guest.take()).toEqual([{ type: T.IsoStreamStatus, id: 0n, status: S.Success, endpoint: 0x81 }]);
    isoIn.shift()!({
      packets: [
        { status: 'ok', data: view([9]) },
        { status: 'ok', data: view([9]) },
      ],
    });
    await settle();
    expect(guest.take()).toEqual([]); // stopped: dropped

    guest.send({ type: T.StartIsoStream, id: 0n, endpoint: 0x01, pktsPerUrb: 2, noUrbs: 2 });
    guest.send(
      { type: T.IsoPacket, id: 0n, endpoint: 0x01, status: 0, length: 2, data: u8([5, 6]) },
      { type: T.IsoPacket, id: 1n, endpoint: 0x01, status: 0, length: 1, data: u8([7]) },
      { type: T.IsoPacket, id: 2n, endpoint: 0x01, status: 0, length: 9, data: new Uint8Array(9) },
    );
    await settle();
    expect(isoOut).toEqual([[5, 6, 7]]);
    expect(guest.take()).toEqual([
      { type: T.IsoStreamStatus, id: 0n, status: S.Success, endpoint: 0x01 },
      { type: T.IsoStreamStatus, id: 2n, status: S.Inval, endpoint: 0x01 }, // larger than the max packet
    ]);
  });

  it('should bound the requests waiting on a stuck device', async () => {
    const { guest, events } = await connected({ maxPendingRequests: 4 });
    for (let i = 1n; i <= 5n; i++) guest.send(bulk(i, 0x82, 64));
    expect(guest.take()).toEqual([bulkReply(5n, 0x82, S.Ioerror, 0)]);
    expect(events.some((e) => e.type === 'warning' && /not keeping up/.test(e.message))).toBe(true);
  });

  it('should bound the OUT data waiting on a stuck device', async () => {
    const { guest } = await connected({ maxPendingOutBytes: 100 });
    guest.send(bulk(1n, 0x02, 64, new Uint8Array(64)), bulk(2n, 0x02, 64, new Uint8Array(64)));
    expect(guest.take()).toEqual([bulkReply(2n, 0x02, S.Ioerror, 0)]);
    await settle();
    expect(guest.take()).toEqual([bulkReply(1n, 0x02, S.Success, 64)]);
  });

  it('should hand leftover data over in pieces no larger than the request', async () => {
    const { guest, device } = await connected();
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    guest.send({ type: T.CancelDataPacket, id: 1n });
    guest.take();
    device.emit(ascii('0123456789'));
    await settle();
    guest.send(bulk(2n, 0x82, 4), bulk(3n, 0x82, 64));
    await settle();
    expect(guest.take()).toEqual([bulkReply(2n, 0x82, S.Success, 4, u8(ascii('0123'))), bulkReply(3n, 0x82, S.Success, 6, u8(ascii('456789')))]);
  });

  it('should ignore a cancel for an id it already answered', async () => {
    const { guest } = await connected();
    guest.send(control(1n, 0x80, 6, 0x0100, 0, 18));
    await settle();
    guest.take();
    guest.send({ type: T.CancelDataPacket, id: 1n });
    expect(guest.take()).toEqual([]);
  });

  it('should stream buffered bulk data on start_bulk_receiving', async () => {
    const { guest, device } = await connected();
    guest.send({ type: T.StartBulkReceiving, id: 0n, streamId: 0, bytesPerTransfer: 128, endpoint: 0x82, noTransfers: 2 });
    expect(guest.take()).toEqual([{ type: T.BulkReceivingStatus, id: 0n, streamId: 0, endpoint: 0x82, status: S.Success }]);
    await settle();
    device.emit(ascii('xy'));
    await settle();
    expect(guest.take()).toEqual([{ type: T.BufferedBulkPacket, id: 0n, streamId: 0, length: 2, endpoint: 0x82, status: S.Success, data: u8(ascii('xy')) }]);
    guest.send({ type: T.StopBulkReceiving, id: 0n, streamId: 0, endpoint: 0x82 });
    expect(guest.take()).toEqual([{ type: T.BulkReceivingStatus, id: 0n, streamId: 0, endpoint: 0x82, status: S.Success }]);
  });

  it('should fail the session on a protocol error, send nothing more and close the device', async () => {
    const { host, guest, device } = await connected();
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    const garbage = new Uint8Array(16);
    garbage[0] = 77;
    expect(() => host.receive(garbage)).toThrow(ProtocolError);
    await settle();
    expect(host.state).toBe('released');
    expect(host.reason).toMatch(/^protocol error: invalid usbredir packet type 77/);
    expect(device.opened).toBe(false);
    expect(guest.take()).toEqual([]);
    expect(() => host.receive(new Uint8Array(1))).toThrow(ProtocolError);
  });

  it('should release silently when the channel is already gone', async () => {
    const { host, guest, device } = await connected();
    guest.send(bulk(1n, 0x82, 64));
    await settle();
    await host.release('channel closed', { silent: true });
    expect(guest.take()).toEqual([]);
    expect(host.reason).toBe('channel closed');
    expect(device.opened).toBe(false);
  });

  it('should advertise caps 1..7 and not bulk streams', () => {
    expect(capsWords(USB_HOST_CAPS)).toEqual([0xfe]);
  });

  it('should describe a device for filters from WebUSB alone', () => {
    expect(usbFilterInfoFromDevice(new FakeCdcAcmDevice())).toEqual({
      deviceClass: 2,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x2341,
      productId: 0x0043,
      deviceVersionBcd: 0x0001,
      interfaces: [
        { interfaceNumber: 0, interfaceClass: 2, interfaceSubclass: 2, interfaceProtocol: 1 },
        { interfaceNumber: 1, interfaceClass: 10, interfaceSubclass: 0, interfaceProtocol: 0 },
      ],
    });
  });
});

describe('UsbHost with several transfers in flight', () => {
  /** The bulk answers the guest got, by id, checking that no id is answered twice. */
  function answersById(packets: UsbredirPacket[]): Map<bigint, UsbredirPacket & { type: typeof T.BulkPacket }> {
    const out = new Map<bigint, UsbredirPacket & { type: typeof T.BulkPacket }>();
    for (const p of packets) {
      if (p.type !== T.BulkPacket) continue;
      expect(out.has(p.id), `id ${p.id} answered twice`).toBe(false);
      out.set(p.id, p);
    }
    return out;
  }
  const text = (p: { data: Uint8Array } | undefined) => String.fromCharCode(...(p?.data ?? []));

  it('should answer several bulk IN requests in the order asked, data in the order the device sent it', async () => {
    const { guest, device } = await connected();
    guest.send(bulk(10n, 0x82, 4), bulk(11n, 0x82, 4), bulk(12n, 0x82, 4), bulk(13n, 0x82, 4));
    await settle();
    expect(device.pendingBulkIn).toBe(4); // one transfer per request, all in flight at once
    expect(guest.take()).toEqual([]);
    device.emit(ascii('abcdefghijklmn'));
    await settle();
    const got = guest.take();
    expect(got.map((p) => p.id)).toEqual([10n, 11n, 12n, 13n]);
    expect(got.map((p) => text(p as { data: Uint8Array }))).toEqual(['abcd', 'efgh', 'ijkl', 'mn']);
  });

  it('should write several bulk OUT transfers in flight in order and answer each once', async () => {
    const { guest, device } = await connected();
    const chunks = ['one ', 'two ', 'three ', 'four ', 'five'];
    guest.send(...chunks.map((c, i) => bulk(20n + BigInt(i), 0x02, c.length, u8(ascii(c)))));
    await settle();
    const answers = answersById(guest.take());
    expect([...answers.keys()]).toEqual([20n, 21n, 22n, 23n, 24n]);
    expect([...answers.values()].map((p) => [p.status, p.length])).toEqual(chunks.map((c) => [S.Success, c.length]));
    expect(String.fromCharCode(...device.written)).toBe(chunks.join(''));
  });

  it('should answer cancelled requests at once and hand their data to the next requests, nothing lost or reordered', async () => {
    const { guest, device } = await connected();
    guest.send(bulk(1n, 0x82, 3), bulk(2n, 0x82, 3), bulk(3n, 0x82, 3), bulk(4n, 0x82, 3));
    await settle();
    guest.send({ type: T.CancelDataPacket, id: 2n }, { type: T.CancelDataPacket, id: 3n });
    expect(guest.take()).toEqual([bulkReply(2n, 0x82, S.Cancelled, 0), bulkReply(3n, 0x82, S.Cancelled, 0)]);
    expect(device.pendingBulkIn).toBe(4); // WebUSB cannot cancel: the transfers stay in flight
    device.emit(ascii('AAABBBCCCDDDEEE'));
    await settle();
    guest.send(bulk(5n, 0x82, 3), bulk(6n, 0x82, 3), bulk(7n, 0x82, 3));
    await settle();
    const answers = answersById(guest.take());
    expect([...answers.keys()]).toEqual([1n, 4n, 5n, 6n, 7n]);
    // Requests 1 and 4 took the first two transfers; what the cancelled ones read went to 5 and 6, in order.
    expect([1n, 4n, 5n, 6n, 7n].map((id) => text(answers.get(id)))).toEqual(['AAA', 'BBB', 'CCC', 'DDD', 'EEE']);
    guest.send({ type: T.CancelDataPacket, id: 1n }); // already answered: nothing more
    expect(guest.take()).toEqual([]);
  });

  it('should answer every pending request once when the device vanishes mid-transfer, and let go of it', async () => {
    const { host, guest, device, states } = await connected();
    guest.send(bulk(1n, 0x82, 64), bulk(2n, 0x82, 64), bulk(3n, 0x82, 64), { type: T.StartInterruptReceiving, id: 4n, endpoint: 0x83 });
    await settle();
    guest.take();
    expect(device.pendingBulkIn).toBe(3);
    device.unplug();
    await settle();
    await host.finished;
    const got = guest.take();
    const answers = answersById(got);
    expect([...answers.keys()].sort()).toEqual([1n, 2n, 3n]);
    expect([...answers.values()].every((p) => p.status === S.Ioerror && p.data.byteLength === 0)).toBe(true);
    expect(got.filter((p) => p.type === T.DeviceDisconnect)).toHaveLength(1);
    expect(got.at(-1)).toEqual({ type: T.DeviceDisconnect, id: 0n });
    expect(states().at(-1)).toBe('lost');
    // The host tried to give back both interfaces it claimed and to close the device, and sends nothing more.
    expect(device.calls.filter((c) => c.startsWith('releaseInterface')).sort()).toEqual(['releaseInterface(0)', 'releaseInterface(1)']);
    guest.send(bulk(9n, 0x82, 64));
    expect(guest.take()).toEqual([]); // crossed the disconnect: no answer until the ack
    guest.send({ type: T.DeviceDisconnectAck, id: 0n }, bulk(10n, 0x82, 64));
    expect(guest.take()).toEqual([bulkReply(10n, 0x82, S.Ioerror, 0)]);
    expect(device.claimedInterfaces).toEqual([]);
  });
});
