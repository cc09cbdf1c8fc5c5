/**
 * USB descriptors (USB 2.0 spec chapter 9.6, USB 3.x 9.6.7): parsing the raw device and configuration
 * descriptors a device returns to GET_DESCRIPTOR and turning them into what usbredir announces: the
 * interface_info and ep_info packet contents and the device speed.
 *
 * WebUSB hides two things usbredir needs: `USBEndpoint` has no bInterval and `USBDevice` has no speed. So the
 * host reads the raw descriptors itself (host/device-descriptors.ts; what WebUSB exposes, with bInterval 1,
 * if the device refuses) and infers the speed from what each speed allows: bulk max packet 512 only exists at high speed,
 * 1024 and endpoint companions only at SuperSpeed, high-bandwidth (mult) endpoints only at high speed or
 * above, and an 8-byte ep0 with nothing but tiny interrupt endpoints is what a low-speed device looks like.
 *
 * Field names are the spec's (bLength, bcdUSB, wMaxPacketSize ...) so they grep against chapter 9.
 */
import { check, ProtocolError } from '../protocol/errors.js';
import { epToIndex, UsbredirEpType, UsbredirSpeed } from './usbredir/index.js';
import type { EpInfoPacket, InterfaceInfoPacket } from './usbredir/index.js';

/** bDescriptorType values. */
export const DescriptorType = {
  Device: 0x01,
  Configuration: 0x02,
  String: 0x03,
  Interface: 0x04,
  Endpoint: 0x05,
  DeviceQualifier: 0x06,
  OtherSpeedConfiguration: 0x07,
  InterfacePower: 0x08,
  Otg: 0x09,
  Debug: 0x0a,
  InterfaceAssociation: 0x0b,
  Bos: 0x0f,
  DeviceCapability: 0x10,
  SsEndpointCompanion: 0x30,
  SspIsoEndpointCompanion: 0x31,
} as const;
export type DescriptorType = (typeof DescriptorType)[keyof typeof DescriptorType];

/** Standard request codes (bRequest) used by the host. */
export const StandardRequest = {
  GetStatus: 0x00,
  ClearFeature: 0x01,
  SetFeature: 0x03,
  SetAddress: 0x05,
  GetDescriptor: 0x06,
  SetDescriptor: 0x07,
  GetConfiguration: 0x08,
  SetConfiguration: 0x09,
  GetInterface: 0x0a,
  SetInterface: 0x0b,
  SynchFrame: 0x0c,
} as const;

export interface DeviceDescriptor {
  bLength: number;
  bDescriptorType: number;
  bcdUSB: number;
  bDeviceClass: number;
  bDeviceSubClass: number;
  bDeviceProtocol: number;
  /** 8, 16, 32 or 64; at SuperSpeed the exponent 9 (512 bytes). 0 when unknown (synthesized descriptors). */
  bMaxPacketSize0: number;
  idVendor: number;
  idProduct: number;
  bcdDevice: number;
  iManufacturer: number;
  iProduct: number;
  iSerialNumber: number;
  bNumConfigurations: number;
}

export interface EndpointDescriptor {
  bEndpointAddress: number;
  bmAttributes: number;
  /** Raw field: bits 0..10 max packet size, bits 11..12 additional transactions per microframe. */
  wMaxPacketSize: number;
  bInterval: number;
  /** bmAttributes & 3: 0 control, 1 isochronous, 2 bulk, 3 interrupt (= UsbredirEpType). */
  transferType: number;
  /** wMaxPacketSize & 0x7ff. */
  maxPacketSize: number;
  /** 1 + bits 11..12 of wMaxPacketSize (high-bandwidth endpoints have 2 or 3). */
  mult: number;
  /** Whether a SuperSpeed endpoint companion descriptor follows (only SuperSpeed devices have them). */
  ssCompanion: boolean;
  /** Bulk streams from the companion (1 << bmAttributes[4:0], or 0). */
  maxStreams: number;
  /** Class-specific descriptors that followed this endpoint. */
  extra: Uint8Array[];
}

export interface InterfaceDescriptor {
  bInterfaceNumber: number;
  bAlternateSetting: number;
  bNumEndpoints: number;
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
  iInterface: number;
  endpoints: EndpointDescriptor[];
  /** Class-specific descriptors (e.g. CDC functional descriptors) between this and its first endpoint. */
  extra: Uint8Array[];
}

/** One interface number with all its alternate settings, in descriptor order. */
export interface InterfaceGroup {
  bInterfaceNumber: number;
  altSettings: InterfaceDescriptor[];
}

export interface ConfigurationDescriptor {
  bDescriptorType: number;
  wTotalLength: number;
  bNumInterfaces: number;
  bConfigurationValue: number;
  iConfiguration: number;
  bmAttributes: number;
  bMaxPower: number;
  /** Interfaces in order of first appearance (the order libusb and so usbredirhost use). */
  interfaces: InterfaceGroup[];
  /** Descriptors not attached to an interface (interface association descriptors and the like). */
  extra: Uint8Array[];
}

/** Parses an 18-byte device descriptor. */
export function parseDeviceDescriptor(bytes: Uint8Array): DeviceDescriptor {
  check(bytes.byteLength >= 18, () => `device descriptor is ${bytes.byteLength} bytes, needs 18`);
  check(bytes[1] === DescriptorType.Device, () => `descriptor type ${bytes[1]} is not a device descriptor`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, 18);
  return {
    bLength: v.getUint8(0),
    bDescriptorType: v.getUint8(1),
    bcdUSB: v.getUint16(2, true),
    bDeviceClass: v.getUint8(4),
    bDeviceSubClass: v.getUint8(5),
    bDeviceProtocol: v.getUint8(6),
    bMaxPacketSize0: v.getUint8(7),
    idVendor: v.getUint16(8, true),
    idProduct: v.getUint16(10, true),
    bcdDevice: v.getUint16(12, true),
    iManufacturer: v.getUint8(14),
    iProduct: v.getUint8(15),
    iSerialNumber: v.getUint8(16),
    bNumConfigurations: v.getUint8(17),
  };
}

/**
 * Parses a full configuration descriptor (or other-speed configuration descriptor) with everything that
 * follows it, up to wTotalLength (or the end of `bytes` if the device returned less). Throws a ProtocolError
 * on a descriptor with bLength < 2 or one running past the end: the walk cannot continue from there.
 */
export function parseConfigurationDescriptor(bytes: Uint8Array): ConfigurationDescriptor {
  check(bytes.byteLength >= 9, () => `configuration descriptor is ${bytes.byteLength} bytes, needs 9`);
  const type = bytes[1]!;
  check(type === DescriptorType.Configuration || type === DescriptorType.OtherSpeedConfiguration, () => `descriptor type ${type} is not a configuration descriptor`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const config: ConfigurationDescriptor = {
    bDescriptorType: type,
    wTotalLength: v.getUint16(2, true),
    bNumInterfaces: v.getUint8(4),
    bConfigurationValue: v.getUint8(5),
    iConfiguration: v.getUint8(6),
    bmAttributes: v.getUint8(7),
    bMaxPower: v.getUint8(8),
    interfaces: [],
    extra: [],
  };
  const end = Math.min(config.wTotalLength, bytes.byteLength);
  let at = Math.max(9, bytes[0]!);
  let alt: InterfaceDescriptor | undefined;
  let ep: EndpointDescriptor | undefined;
  while (at + 2 <= end) {
    const len = bytes[at]!;
    const dtype = bytes[at + 1]!;
    check(len >= 2, () => `descriptor at offset ${at} has bLength ${len}`);
    check(at + len <= end, () => `descriptor at offset ${at} (type ${dtype}, ${len} bytes) runs past ${end}`);
    const d = bytes.subarray(at, at + len);
    if (dtype === DescriptorType.Interface && len >= 9) {
      alt = {
        bInterfaceNumber: d[2]!,
        bAlternateSetting: d[3]!,
        bNumEndpoints: d[4]!,
        bInterfaceClass: d[5]!,
        bInterfaceSubClass: d[6]!,
        bInterfaceProtocol: d[7]!,
        iInterface: d[8]!,
        endpoints: [],
        extra: [],
      };
      ep = undefined;
      const number = alt.bInterfaceNumber;
      let group = config.interfaces.find((g) => g.bInterfaceNumber === number);
      if (!group) {
        group = { bInterfaceNumber: number, altSettings: [] };
        config.interfaces.push(group);
      }
      group.altSettings.push(alt);
    } else if (dtype === DescriptorType.Endpoint && len >= 7 && alt) {
      const w = d[4]! | (d[5]! << 8);
      ep = {
        bEndpointAddress: d[2]!,
        bmAttributes: d[3]!,
        wMaxPacketSize: w,
        bInterval: d[6]!,
        transferType: d[3]! & 3,
        maxPacketSize: w & 0x7ff,
        mult: ((w >> 11) & 3) + 1,
        ssCompanion: false,
        maxStreams: 0,
        extra: [],
      };
      alt.endpoints.push(ep);
    } else if (dtype === DescriptorType.SsEndpointCompanion && len >= 6 && ep) {
      ep.ssCompanion = true;
      const streamsLog2 = d[3]! & 0x1f;
      if (ep.transferType === UsbredirEpType.Bulk && streamsLog2) ep.maxStreams = 1 << streamsLog2;
    } else if (dtype === DescriptorType.InterfaceAssociation) {
      config.extra.push(d);
    } else if (ep) {
      ep.extra.push(d);
    } else if (alt) {
      alt.extra.push(d);
    } else {
      config.extra.push(d);
    }
    at += len;
  }
  return config;
}

/** All endpoints of every alternate setting of every configuration. */
function allEndpoints(configs: readonly ConfigurationDescriptor[]): EndpointDescriptor[] {
  return configs.flatMap((c) => c.interfaces.flatMap((g) => g.altSettings.flatMap((a) => a.endpoints)));
}

/**
 * Guesses the speed the device runs at from its descriptors (WebUSB does not say). Checks, in order:
 * SuperSpeed (bcdUSB ≥ 3.0 with ep0 exponent 9, bulk max packet 1024, or endpoint companions), high speed
 * (bulk 512, high-bandwidth endpoints, interrupt > 64 or iso > 1023 bytes), low speed (8-byte ep0 and only
 * interrupt endpoints of at most 8 bytes), and full speed for everything else, which is what plain
 * USB 1.1-style devices and most serial adapters and microcontrollers are.
 */
export function inferSpeed(device: DeviceDescriptor, configs: readonly ConfigurationDescriptor[]): UsbredirSpeed {
  const eps = allEndpoints(configs);
  const isBulk = (e: EndpointDescriptor) => e.transferType === UsbredirEpType.Bulk;
  if (device.bcdUSB >= 0x0300 && device.bMaxPacketSize0 === 9) return UsbredirSpeed.Super;
  if (eps.some((e) => e.ssCompanion || (isBulk(e) && e.maxPacketSize > 512))) return UsbredirSpeed.Super;
  if (
    eps.some(
      (e) =>
        (e.mult > 1 && e.transferType !== UsbredirEpType.Bulk) ||
        (isBulk(e) && e.maxPacketSize === 512) ||
        (e.transferType === UsbredirEpType.Interrupt && e.maxPacketSize > 64) ||
        (e.transferType === UsbredirEpType.Iso && e.maxPacketSize > 1023),
    )
  ) {
    return UsbredirSpeed.High;
  }
  if (device.bcdUSB < 0x0300 && device.bMaxPacketSize0 === 8 && eps.length > 0 && eps.every((e) => e.transferType === UsbredirEpType.Interrupt && e.maxPacketSize <= 8)) {
    return UsbredirSpeed.Low;
  }
  return UsbredirSpeed.Full;
}

/** The alternate setting in use for `group` (`alts` maps bInterfaceNumber → bAlternateSetting; default 0). */
export function currentAltSetting(group: InterfaceGroup, alts: ReadonlyMap<number, number>): InterfaceDescriptor | undefined {
  const want = alts.get(group.bInterfaceNumber) ?? 0;
  return group.altSettings.find((a) => a.bAlternateSetting === want) ?? group.altSettings[0];
}

export type InterfaceInfoFields = Omit<InterfaceInfoPacket, 'type' | 'id'>;
export type EpInfoFields = Omit<EpInfoPacket, 'type' | 'id'>;

/**
 * interface_info contents for a configuration (none when unconfigured): each interface's number and the
 * class triple of its current alternate setting. usbredir has room for 32; more is refused.
 */
export function buildInterfaceInfo(config: ConfigurationDescriptor | undefined, alts: ReadonlyMap<number, number>): InterfaceInfoFields {
  const info: InterfaceInfoFields = {
    interfaceCount: 0,
    interface: [],
    interfaceClass: [],
    interfaceSubclass: [],
    interfaceProtocol: [],
  };
  if (!config) return info;
  if (config.interfaces.length > 32) {
    throw new ProtocolError(`configuration has ${config.interfaces.length} interfaces, usbredir allows 32`);
  }
  for (const group of config.interfaces) {
    const alt = currentAltSetting(group, alts);
    if (!alt) continue;
    info.interface.push(alt.bInterfaceNumber);
    info.interfaceClass.push(alt.bInterfaceClass);
    info.interfaceSubclass.push(alt.bInterfaceSubClass);
    info.interfaceProtocol.push(alt.bInterfaceProtocol);
  }
  info.interfaceCount = info.interface.length;
  return info;
}

/**
 * ep_info contents, as usbredirhost fills them: ep0 OUT and IN (indexes 0 and 16) are control endpoints,
 * every endpoint of each interface's current alternate setting gets its type, raw bInterval, interface number
 * and max packet size (times the high-bandwidth multiplier for isochronous endpoints of a high-speed device),
 * and every other index is type invalid (255) with zeros.
 */
export function buildEpInfo(config: ConfigurationDescriptor | undefined, alts: ReadonlyMap<number, number>, speed: UsbredirSpeed): EpInfoFields {
  const info: EpInfoFields = {
    epType: Array.from({ length: 32 }, (_, i) => ((i & 0x0f) === 0 ? UsbredirEpType.Control : UsbredirEpType.Invalid)),
    interval: new Array<number>(32).fill(0),
    interface: new Array<number>(32).fill(0),
    maxPacketSize: new Array<number>(32).fill(0),
    maxStreams: new Array<number>(32).fill(0),
  };
  if (!config) return info;
  for (const group of config.interfaces) {
    const alt = currentAltSetting(group, alts);
    if (!alt) continue;
    for (const ep of alt.endpoints) {
      const i = epToIndex(ep.bEndpointAddress);
      const mult = speed === UsbredirSpeed.High && ep.transferType === UsbredirEpType.Iso ? ep.mult : 1;
      info.epType[i] = ep.transferType;
      info.interval[i] = ep.bInterval;
      info.interface[i] = alt.bInterfaceNumber;
      info.maxPacketSize[i] = ep.maxPacketSize * mult;
      info.maxStreams[i] = ep.maxStreams;
    }
  }
  return info;
}

// ---------------------------------------------------------------------------------------------------------
// Reading descriptors from a device

/** A device's descriptors, raw and parsed. */
export interface DeviceDescriptors {
  device: DeviceDescriptor;
  /** Indexed like GET_DESCRIPTOR's configuration index (= WebUSB's `configurations` order). */
  configurations: ConfigurationDescriptor[];
  /** 'device' when read with GET_DESCRIPTOR, 'webusb' when synthesized from WebUSB's objects. */
  source: 'device' | 'webusb';
  raw?: { device: Uint8Array; configurations: Uint8Array[] };
}
