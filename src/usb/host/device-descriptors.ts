/**
 * Reading a device's descriptors off the device: GET_DESCRIPTOR for the device and every configuration
 * (parsed by ../descriptors.ts), and the fallback for devices that refuse it from a page, descriptors
 * rebuilt from WebUSB's own objects. The parsing itself and what usbredir announces live in ../descriptors.ts.
 */
import { check, ProtocolError } from '../../protocol/errors.js';
import {
  type ConfigurationDescriptor,
  type DeviceDescriptor,
  type DeviceDescriptors,
  DescriptorType,
  parseConfigurationDescriptor,
  parseDeviceDescriptor,
  StandardRequest,
} from '../descriptors.js';
import { UsbredirEpType } from '../usbredir/index.js';
import { resultBytes, type UsbDeviceLike } from '../webusb-types.js';

async function getDescriptor(device: UsbDeviceLike, type: number, index: number, length: number): Promise<Uint8Array> {
  const result = await device.controlTransferIn(
    { requestType: 'standard', recipient: 'device', request: StandardRequest.GetDescriptor, value: (type << 8) | index, index: 0 },
    length,
  );
  if (result.status !== 'ok') throw new ProtocolError(`GET_DESCRIPTOR(${type}, ${index}) answered ${result.status}`);
  return resultBytes(result.data).slice();
}

/** Reads and parses the device descriptor and every configuration descriptor with GET_DESCRIPTOR. */
export async function readDescriptors(device: UsbDeviceLike): Promise<DeviceDescriptors> {
  const rawDevice = await getDescriptor(device, DescriptorType.Device, 0, 18);
  const dev = parseDeviceDescriptor(rawDevice);
  const configurations: ConfigurationDescriptor[] = [];
  const rawConfigs: Uint8Array[] = [];
  for (let i = 0; i < dev.bNumConfigurations; i++) {
    const head = await getDescriptor(device, DescriptorType.Configuration, i, 9);
    check(head.byteLength >= 4, () => `configuration ${i} header is ${head.byteLength} bytes`);
    const total = head[2]! | (head[3]! << 8);
    const raw = total > head.byteLength ? await getDescriptor(device, DescriptorType.Configuration, i, total) : head;
    rawConfigs.push(raw);
    configurations.push(parseConfigurationDescriptor(raw));
  }
  return { device: dev, configurations, source: 'device', raw: { device: rawDevice, configurations: rawConfigs } };
}

/**
 * Descriptors rebuilt from WebUSB's objects, for devices that refuse GET_DESCRIPTOR from the page. WebUSB
 * has no bInterval and no ep0 size: intervals become 1 (the most frequent polling, always legal) and
 * bMaxPacketSize0 0 (unknown).
 */
export function descriptorsFromWebUsb(device: UsbDeviceLike): DeviceDescriptors {
  const bcd = (a: number, b: number, c: number) => ((a & 0xff) << 8) | ((b & 0x0f) << 4) | (c & 0x0f);
  const dev: DeviceDescriptor = {
    bLength: 18,
    bDescriptorType: DescriptorType.Device,
    bcdUSB: bcd(device.usbVersionMajor, device.usbVersionMinor, device.usbVersionSubminor),
    bDeviceClass: device.deviceClass,
    bDeviceSubClass: device.deviceSubclass,
    bDeviceProtocol: device.deviceProtocol,
    bMaxPacketSize0: 0,
    idVendor: device.vendorId,
    idProduct: device.productId,
    bcdDevice: bcd(device.deviceVersionMajor, device.deviceVersionMinor, device.deviceVersionSubminor),
    iManufacturer: 0,
    iProduct: 0,
    iSerialNumber: 0,
    bNumConfigurations: device.configurations.length,
  };
  const typeOf = { isochronous: 1, bulk: 2, interrupt: 3 } as const;
  const configurations = device.configurations.map((c): ConfigurationDescriptor => ({
    bDescriptorType: DescriptorType.Configuration,
    wTotalLength: 0,
    bNumInterfaces: c.interfaces.length,
    bConfigurationValue: c.configurationValue,
    iConfiguration: 0,
    bmAttributes: 0x80,
    bMaxPower: 0,
    extra: [],
    interfaces: c.interfaces.map((itf) => ({
      bInterfaceNumber: itf.interfaceNumber,
      altSettings: itf.alternates.map((a) => ({
        bInterfaceNumber: itf.interfaceNumber,
        bAlternateSetting: a.alternateSetting,
        bNumEndpoints: a.endpoints.length,
        bInterfaceClass: a.interfaceClass,
        bInterfaceSubClass: a.interfaceSubclass,
        bInterfaceProtocol: a.interfaceProtocol,
        iInterface: 0,
        extra: [],
        endpoints: a.endpoints.map((e) => {
          const transferType = typeOf[e.type] ?? UsbredirEpType.Bulk;
          const w = e.packetSize & 0x1fff;
          return {
            bEndpointAddress: (e.direction === 'in' ? 0x80 : 0) | (e.endpointNumber & 0x0f),
            bmAttributes: transferType,
            wMaxPacketSize: w,
            bInterval: transferType === UsbredirEpType.Bulk ? 0 : 1,
            transferType,
            maxPacketSize: w & 0x7ff,
            mult: ((w >> 11) & 3) + 1,
            ssCompanion: false,
            maxStreams: 0,
            extra: [],
          };
        }),
      })),
    })),
  }));
  return { device: dev, configurations, source: 'webusb' };
}
