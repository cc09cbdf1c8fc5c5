import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/errors.js';
import {
  buildEpInfo,
  buildInterfaceInfo,
  type ConfigurationDescriptor,
  type DeviceDescriptor,
  inferSpeed,
  parseConfigurationDescriptor,
  parseDeviceDescriptor,
} from '../../../src/usb/descriptors.js';
import { descriptorsFromWebUsb, readDescriptors } from '../../../src/usb/host/index.js';
import { UsbredirSpeed } from '../../../src/usb/usbredir/index.js';
import { FAKE_CDC_CONFIG_DESCRIPTOR, FAKE_CDC_DEVICE_DESCRIPTOR, FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';
import { bytes, concat, le16 } from './bytes.js';

const device = (over: Partial<DeviceDescriptor> = {}): DeviceDescriptor => ({
  ...parseDeviceDescriptor(FAKE_CDC_DEVICE_DESCRIPTOR),
  ...over,
});

/** A configuration descriptor with one interface holding the given endpoints (address, attributes, wMaxPacketSize, bInterval). */
function config(endpoints: [number, number, number, number][], extra: number[] = []): Uint8Array {
  const body = [
    ...[0x09, 0x04, 0x00, 0x00, endpoints.length, 0xff, 0x00, 0x00, 0x00],
    ...endpoints.flatMap(([a, attr, w, i]) => [0x07, 0x05, a, attr, ...le16(w), i]),
    ...extra,
  ];
  return bytes([0x09, 0x02], le16(9 + body.length), [1, 1, 0, 0x80, 50], body);
}

describe('parseDeviceDescriptor', () => {
  it("should parse the fake Arduino's device descriptor", () => {
    expect(parseDeviceDescriptor(FAKE_CDC_DEVICE_DESCRIPTOR)).toEqual({
      bLength: 18,
      bDescriptorType: 1,
      bcdUSB: 0x0110,
      bDeviceClass: 0x02,
      bDeviceSubClass: 0,
      bDeviceProtocol: 0,
      bMaxPacketSize0: 8,
      idVendor: 0x2341,
      idProduct: 0x0043,
      bcdDevice: 0x0001,
      iManufacturer: 1,
      iProduct: 2,
      iSerialNumber: 3,
      bNumConfigurations: 1,
    });
  });

  it('should reject a short or mistyped descriptor', () => {
    expect(() => parseDeviceDescriptor(FAKE_CDC_DEVICE_DESCRIPTOR.subarray(0, 17))).toThrow(ProtocolError);
    expect(() => parseDeviceDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR.subarray(0, 18))).toThrow(/not a device descriptor/);
  });
});

describe('parseConfigurationDescriptor', () => {
  const cfg = parseConfigurationDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR);

  it("should parse the fake Arduino's configuration header", () => {
    expect(cfg).toMatchObject({
      wTotalLength: 67,
      bNumInterfaces: 2,
      bConfigurationValue: 1,
      iConfiguration: 0,
      bmAttributes: 0xc0,
      bMaxPower: 0x32,
    });
    expect(cfg.interfaces.map((g) => g.bInterfaceNumber)).toEqual([0, 1]);
  });

  it('should keep the CDC functional descriptors with the communication interface', () => {
    const comm = cfg.interfaces[0]!.altSettings[0]!;
    expect(comm).toMatchObject({ bInterfaceClass: 2, bInterfaceSubClass: 2, bInterfaceProtocol: 1, bNumEndpoints: 1 });
    expect(comm.extra.map((d) => Array.from(d.subarray(0, 3)))).toEqual([
      [0x05, 0x24, 0x00],
      [0x05, 0x24, 0x01],
      [0x04, 0x24, 0x02],
      [0x05, 0x24, 0x06],
    ]);
  });

  it('should parse endpoints with bInterval and max packet size', () => {
    const [notify] = cfg.interfaces[0]!.altSettings[0]!.endpoints;
    expect(notify).toMatchObject({ bEndpointAddress: 0x83, transferType: 3, wMaxPacketSize: 16, maxPacketSize: 16, mult: 1, bInterval: 16 });
    const data = cfg.interfaces[1]!.altSettings[0]!;
    expect(data.bInterfaceClass).toBe(0x0a);
    expect(data.endpoints.map((e) => [e.bEndpointAddress, e.transferType, e.maxPacketSize, e.bInterval])).toEqual([
      [0x02, 2, 64, 0],
      [0x82, 2, 64, 0],
    ]);
  });

  it('should read the high-bandwidth multiplier from wMaxPacketSize', () => {
    const c = parseConfigurationDescriptor(config([[0x81, 0x05, 0x1400, 1]]));
    expect(c.interfaces[0]!.altSettings[0]!.endpoints[0]).toMatchObject({ wMaxPacketSize: 0x1400, maxPacketSize: 1024, mult: 3 });
  });

  it('should group alternate settings under their interface', () => {
    const raw = bytes(
      [0x09, 0x02],
      le16(9 + 9 + 9 + 7),
      [1, 1, 0, 0x80, 50],
      [0x09, 0x04, 0, 0, 0, 1, 2, 0, 0],
      [0x09, 0x04, 0, 1, 1, 1, 2, 0, 0],
      [0x07, 0x05, 0x81, 0x05, ...le16(192), 1],
    );
    const c = parseConfigurationDescriptor(raw);
    expect(c.interfaces).toHaveLength(1);
    expect(c.interfaces[0]!.altSettings.map((a) => [a.bAlternateSetting, a.endpoints.length])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('should read bulk streams from a SuperSpeed endpoint companion', () => {
    const c = parseConfigurationDescriptor(config([[0x81, 0x02, 1024, 0]], [0x06, 0x30, 0x0f, 0x04, 0x00, 0x00]));
    expect(c.interfaces[0]!.altSettings[0]!.endpoints[0]).toMatchObject({ ssCompanion: true, maxStreams: 16 });
  });

  it('should stop at wTotalLength', () => {
    const raw = concat(FAKE_CDC_CONFIG_DESCRIPTOR, bytes([0x07, 0x05, 0x84, 0x02, 0x40, 0x00, 0x00]));
    expect(parseConfigurationDescriptor(raw).interfaces[1]!.altSettings[0]!.endpoints).toHaveLength(2);
  });

  it('should reject a descriptor with bLength 0 or one running past the end', () => {
    const zero = FAKE_CDC_CONFIG_DESCRIPTOR.slice();
    zero[9] = 0;
    expect(() => parseConfigurationDescriptor(zero)).toThrow(/bLength 0/);
    expect(() => parseConfigurationDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR.subarray(0, 62))).toThrow(/runs past/);
    // A short read that ends between descriptors parses what is there.
    expect(parseConfigurationDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR.subarray(0, 60)).interfaces[1]!.altSettings[0]!.endpoints).toHaveLength(1);
    expect(() => parseConfigurationDescriptor(FAKE_CDC_DEVICE_DESCRIPTOR)).toThrow(/not a configuration/);
  });
});

describe('inferSpeed', () => {
  const speedOf = (dev: Partial<DeviceDescriptor>, eps: [number, number, number, number][], extra: number[] = []) =>
    inferSpeed(device(dev), [parseConfigurationDescriptor(config(eps, extra))]);

  it('should call the fake Arduino full speed', () => {
    expect(inferSpeed(device(), [parseConfigurationDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR)])).toBe(UsbredirSpeed.Full);
  });

  it('should call 512-byte bulk endpoints high speed', () => {
    expect(
      speedOf({ bcdUSB: 0x0200, bMaxPacketSize0: 64 }, [
        [0x81, 2, 512, 0],
        [0x02, 2, 512, 0],
      ]),
    ).toBe(UsbredirSpeed.High);
  });

  it('should call high-bandwidth and large interrupt endpoints high speed', () => {
    expect(speedOf({ bcdUSB: 0x0200 }, [[0x81, 1, 0x0c00 | 1024, 1]])).toBe(UsbredirSpeed.High);
    expect(speedOf({ bcdUSB: 0x0200 }, [[0x81, 3, 512, 4]])).toBe(UsbredirSpeed.High);
    expect(speedOf({ bcdUSB: 0x0200 }, [[0x81, 1, 1023, 1]])).toBe(UsbredirSpeed.Full);
  });

  it('should call SuperSpeed what only SuperSpeed can be', () => {
    expect(speedOf({ bcdUSB: 0x0300, bMaxPacketSize0: 9 }, [[0x81, 2, 1024, 0]])).toBe(UsbredirSpeed.Super);
    expect(speedOf({ bcdUSB: 0x0320 }, [[0x81, 2, 1024, 0]])).toBe(UsbredirSpeed.Super);
    expect(speedOf({ bcdUSB: 0x0210 }, [[0x81, 2, 512, 0]], [0x06, 0x30, 0, 0, 0, 0])).toBe(UsbredirSpeed.Super);
    // A USB 3 device on a USB 2 port reports bcdUSB 2.10 and 512-byte bulk: high speed.
    expect(speedOf({ bcdUSB: 0x0210, bMaxPacketSize0: 64 }, [[0x81, 2, 512, 0]])).toBe(UsbredirSpeed.High);
  });

  it('should call a mouse-like device low speed', () => {
    expect(speedOf({ bcdUSB: 0x0110, bMaxPacketSize0: 8 }, [[0x81, 3, 4, 10]])).toBe(UsbredirSpeed.Low);
    expect(speedOf({ bcdUSB: 0x0200, bMaxPacketSize0: 8 }, [[0x81, 3, 8, 10]])).toBe(UsbredirSpeed.Low);
    expect(speedOf({ bcdUSB: 0x0110, bMaxPacketSize0: 64 }, [[0x81, 3, 8, 10]])).toBe(UsbredirSpeed.Full);
    expect(speedOf({ bcdUSB: 0x0110, bMaxPacketSize0: 8 }, [[0x81, 3, 16, 10]])).toBe(UsbredirSpeed.Full);
  });
});

describe('interface_info and ep_info contents', () => {
  const cfg = parseConfigurationDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR);

  it('should list the interfaces with the class of their current alt setting', () => {
    expect(buildInterfaceInfo(cfg, new Map())).toEqual({
      interfaceCount: 2,
      interface: [0, 1],
      interfaceClass: [0x02, 0x0a],
      interfaceSubclass: [0x02, 0x00],
      interfaceProtocol: [0x01, 0x00],
    });
    expect(buildInterfaceInfo(undefined, new Map()).interfaceCount).toBe(0);
  });

  it('should fill ep_info like usbredirhost', () => {
    const info = buildEpInfo(cfg, new Map(), UsbredirSpeed.Full);
    const expected: number[] = Array.from({ length: 32 }, (_, i) => ((i & 15) === 0 ? 0 : 255));
    expected[0x02] = 2;
    expected[0x12] = 2;
    expected[0x13] = 3;
    expect(info.epType).toEqual(expected);
    expect(info.interval[0x13]).toBe(16);
    expect(info.interface[0x02]).toBe(1);
    expect(info.interface[0x12]).toBe(1);
    expect(info.interface[0x13]).toBe(0);
    expect([info.maxPacketSize[0], info.maxPacketSize[0x02], info.maxPacketSize[0x12], info.maxPacketSize[0x13]]).toEqual([0, 64, 64, 16]);
    expect(info.maxStreams.every((s) => s === 0)).toBe(true);
  });

  it('should follow the current alt setting', () => {
    const raw = bytes(
      [0x09, 0x02],
      le16(9 + 9 + 9 + 7),
      [1, 1, 0, 0x80, 50],
      [0x09, 0x04, 3, 0, 0, 1, 2, 0, 0],
      [0x09, 0x04, 3, 1, 1, 1, 2, 0, 0],
      [0x07, 0x05, 0x81, 0x05, ...le16(0x0800 | 192), 1],
    );
    const c: ConfigurationDescriptor = parseConfigurationDescriptor(raw);
    expect(buildEpInfo(c, new Map(), UsbredirSpeed.High).epType[0x11]).toBe(255);
    const alt1 = buildEpInfo(c, new Map([[3, 1]]), UsbredirSpeed.High);
    expect([alt1.epType[0x11], alt1.interval[0x11], alt1.interface[0x11], alt1.maxPacketSize[0x11]]).toEqual([1, 1, 3, 384]);
    // Only high-speed iso endpoints count the multiplier (usbredirhost_set_max_packetsize).
    expect(buildEpInfo(c, new Map([[3, 1]]), UsbredirSpeed.Full).maxPacketSize[0x11]).toBe(192);
  });
});

describe('reading descriptors from a device', () => {
  it('should read them from the fake with GET_DESCRIPTOR', async () => {
    const dev = new FakeCdcAcmDevice();
    await dev.open();
    const d = await readDescriptors(dev);
    expect(d.source).toBe('device');
    expect(d.device.idVendor).toBe(0x2341);
    expect(Array.from(d.raw!.configurations[0]!)).toEqual(Array.from(FAKE_CDC_CONFIG_DESCRIPTOR));
    expect(dev.calls).toEqual([
      'open()',
      'controlTransferIn(standard, device, 0x6, 0x100, 0, 18)',
      'controlTransferIn(standard, device, 0x6, 0x200, 0, 9)',
      'controlTransferIn(standard, device, 0x6, 0x200, 0, 67)',
    ]);
  });

  it("should rebuild them from WebUSB's objects, with bInterval 1", () => {
    const d = descriptorsFromWebUsb(new FakeCdcAcmDevice());
    expect(d.device).toMatchObject({ bcdUSB: 0x0110, idVendor: 0x2341, idProduct: 0x0043, bcdDevice: 0x0001, bDeviceClass: 2 });
    const c = d.configurations[0]!;
    expect(buildInterfaceInfo(c, new Map())).toEqual(buildInterfaceInfo(parseConfigurationDescriptor(FAKE_CDC_CONFIG_DESCRIPTOR), new Map()));
    const info = buildEpInfo(c, new Map(), UsbredirSpeed.Full);
    expect([info.epType[0x13], info.interval[0x13], info.maxPacketSize[0x13]]).toEqual([3, 1, 16]);
    expect([info.epType[0x02], info.epType[0x12]]).toEqual([2, 2]);
  });
});
