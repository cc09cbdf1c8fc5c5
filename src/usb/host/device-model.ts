/**
 * What the host knows of the device's current shape: its descriptors, the configuration and alt settings
 * in use, the speed announced, and the interface_info / ep_info built from them (the ep_info is also what
 * transfers are checked against). It reads the descriptors off the device once (falling back to WebUSB's
 * view when the device refuses) and answers what a usbredir filter looks at.
 */
import {
  buildEpInfo,
  buildInterfaceInfo,
  type ConfigurationDescriptor,
  type DeviceDescriptors,
  type EpInfoFields,
  type InterfaceInfoFields,
  inferSpeed,
} from '../descriptors.js';
import { epToIndex, UsbredirEpType, type UsbredirSpeed } from '../usbredir/index.js';
import type { UsbFilterDeviceInfo } from '../usbredir-filter.js';
import type { UsbDeviceLike } from '../webusb-types.js';
import { errorMessage, isDeviceLoss } from './device-calls.js';
import { descriptorsFromWebUsb, readDescriptors } from './device-descriptors.js';

export class DeviceModel {
  descriptors: DeviceDescriptors | undefined;
  speed: UsbredirSpeed | undefined;
  /** bConfigurationValue in use (0: unconfigured). */
  configValue = 0;
  /** bInterfaceNumber → bAlternateSetting in use. */
  readonly alts = new Map<number, number>();
  private epInfo: EpInfoFields | undefined;

  constructor(
    private readonly device: UsbDeviceLike,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * Reads the descriptors of the opened device and takes its current configuration and alt settings.
   * Rejects only when the device is gone (with the device's error).
   */
  async load(speed: UsbredirSpeed | undefined): Promise<void> {
    const device = this.device;
    try {
      this.descriptors = await readDescriptors(device);
    } catch (e) {
      if (isDeviceLoss(device, e)) throw e;
      this.warn(`reading the descriptors failed (${errorMessage(e)}); using WebUSB's view of the device`);
      this.descriptors = descriptorsFromWebUsb(device);
    }
    this.configValue = device.configuration?.configurationValue ?? 0;
    if (this.configValue && !this.currentConfig()) {
      this.warn(`configuration ${this.configValue} is not in the descriptors; using WebUSB's view of the device`);
      this.descriptors = descriptorsFromWebUsb(device);
    }
    this.speed = speed ?? inferSpeed(this.descriptors.device, this.descriptors.configurations);
    this.alts.clear();
    for (const itf of device.configuration?.interfaces ?? []) {
      this.alts.set(itf.interfaceNumber, itf.alternate?.alternateSetting ?? 0);
    }
  }

  /** The device switched configuration: take WebUSB's word for which one, alt settings back to 0. */
  configurationChanged(): void {
    this.configValue = this.device.configuration?.configurationValue ?? this.configValue;
    if (this.configValue && !this.currentConfig()) this.descriptors = descriptorsFromWebUsb(this.device);
    this.alts.clear();
  }

  currentConfig(): ConfigurationDescriptor | undefined {
    if (!this.configValue) return undefined;
    return this.descriptors?.configurations.find((c) => c.bConfigurationValue === this.configValue);
  }

  hasInterface(interfaceNumber: number): boolean {
    return this.currentConfig()?.interfaces.some((g) => g.bInterfaceNumber === interfaceNumber) ?? false;
  }

  /** interface_info and ep_info for the current configuration and alt settings; ep_info becomes current. */
  announce(): { interfaceInfo: InterfaceInfoFields; epInfo: EpInfoFields } {
    const config = this.currentConfig();
    let interfaceInfo;
    try {
      interfaceInfo = buildInterfaceInfo(config, this.alts);
    } catch (e) {
      this.warn(errorMessage(e));
      interfaceInfo = buildInterfaceInfo(undefined, this.alts);
    }
    this.epInfo = buildEpInfo(config, this.alts, this.speed!);
    return { interfaceInfo, epInfo: this.epInfo };
  }

  /** usbredir endpoint type of `endpoint` in the current ep_info (Invalid when unknown). */
  epType(endpoint: number): number {
    return this.epInfo?.epType[epToIndex(endpoint)] ?? UsbredirEpType.Invalid;
  }

  /** wMaxPacketSize of `endpoint` in the current ep_info (0 when unknown). */
  epMaxPacket(endpoint: number): number {
    return this.epInfo?.maxPacketSize[epToIndex(endpoint)] ?? 0;
  }

  /** What a usbredir filter looks at (descriptors loaded). */
  filterInfo(): UsbFilterDeviceInfo {
    const d = this.descriptors!.device;
    const info = buildInterfaceInfo(this.currentConfig(), this.alts);
    return {
      deviceClass: d.bDeviceClass,
      deviceSubclass: d.bDeviceSubClass,
      deviceProtocol: d.bDeviceProtocol,
      vendorId: d.idVendor,
      productId: d.idProduct,
      deviceVersionBcd: d.bcdDevice,
      interfaces: info.interface.map((n, i) => ({
        interfaceNumber: n,
        interfaceClass: info.interfaceClass[i]!,
        interfaceSubclass: info.interfaceSubclass[i]!,
        interfaceProtocol: info.interfaceProtocol[i]!,
      })),
    };
  }
}
