/**
 * usbredir packets as plain objects: one interface per packet type of usbredirproto.h (the type-specific
 * header's fields in camelCase, plus `data` for the packets that carry some), and `UsbredirPacket`, their
 * union. Which fields are on the wire under which capabilities is codec.ts's business; this module only
 * says what a decoded packet looks like and what an encoder takes.
 */
import type { UsbredirType } from './proto.js';

export interface HelloPacket {
  type: typeof UsbredirType.Hello;
  id: bigint;
  /** Free text, at most 63 bytes on the wire (the 64-byte field is NUL-terminated). */
  version: string;
  /** Capability words (word 0 holds UsbredirCap bits). */
  caps: number[];
}
export interface DeviceConnectPacket {
  type: typeof UsbredirType.DeviceConnect;
  id: bigint;
  speed: number;
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  /** bcdDevice; on the wire only when both sides have connect_device_version (absent otherwise). */
  deviceVersionBcd?: number;
}
export interface DeviceDisconnectPacket {
  type: typeof UsbredirType.DeviceDisconnect;
  id: bigint;
}
export interface ResetPacket {
  type: typeof UsbredirType.Reset;
  id: bigint;
}
/** Interfaces of the active configuration, in their current alt settings; arrays have `interfaceCount` items. */
export interface InterfaceInfoPacket {
  type: typeof UsbredirType.InterfaceInfo;
  id: bigint;
  interfaceCount: number;
  interface: number[];
  interfaceClass: number[];
  interfaceSubclass: number[];
  interfaceProtocol: number[];
}
/** Per endpoint index (see epToIndex) arrays of 32 entries. */
export interface EpInfoPacket {
  type: typeof UsbredirType.EpInfo;
  id: bigint;
  epType: number[];
  interval: number[];
  interface: number[];
  /** On the wire only with ep_info_max_packet_size on both sides; all 0 when decoded without it. */
  maxPacketSize: number[];
  /** On the wire only with bulk_streams on both sides; all 0 when decoded without it. */
  maxStreams: number[];
}
export interface SetConfigurationPacket {
  type: typeof UsbredirType.SetConfiguration;
  id: bigint;
  configuration: number;
}
export interface GetConfigurationPacket {
  type: typeof UsbredirType.GetConfiguration;
  id: bigint;
}
export interface ConfigurationStatusPacket {
  type: typeof UsbredirType.ConfigurationStatus;
  id: bigint;
  status: number;
  configuration: number;
}
export interface SetAltSettingPacket {
  type: typeof UsbredirType.SetAltSetting;
  id: bigint;
  interface: number;
  alt: number;
}
export interface GetAltSettingPacket {
  type: typeof UsbredirType.GetAltSetting;
  id: bigint;
  interface: number;
}
export interface AltSettingStatusPacket {
  type: typeof UsbredirType.AltSettingStatus;
  id: bigint;
  status: number;
  interface: number;
  alt: number;
}
export interface StartIsoStreamPacket {
  type: typeof UsbredirType.StartIsoStream;
  id: bigint;
  endpoint: number;
  pktsPerUrb: number;
  noUrbs: number;
}
export interface StopIsoStreamPacket {
  type: typeof UsbredirType.StopIsoStream;
  id: bigint;
  endpoint: number;
}
export interface IsoStreamStatusPacket {
  type: typeof UsbredirType.IsoStreamStatus;
  id: bigint;
  status: number;
  endpoint: number;
}
export interface StartInterruptReceivingPacket {
  type: typeof UsbredirType.StartInterruptReceiving;
  id: bigint;
  endpoint: number;
}
export interface StopInterruptReceivingPacket {
  type: typeof UsbredirType.StopInterruptReceiving;
  id: bigint;
  endpoint: number;
}
export interface InterruptReceivingStatusPacket {
  type: typeof UsbredirType.InterruptReceivingStatus;
  id: bigint;
  status: number;
  endpoint: number;
}
export interface AllocBulkStreamsPacket {
  type: typeof UsbredirType.AllocBulkStreams;
  id: bigint;
  /** Bitmask of endpoint indexes. */
  endpoints: number;
  noStreams: number;
}
export interface FreeBulkStreamsPacket {
  type: typeof UsbredirType.FreeBulkStreams;
  id: bigint;
  endpoints: number;
}
export interface BulkStreamsStatusPacket {
  type: typeof UsbredirType.BulkStreamsStatus;
  id: bigint;
  endpoints: number;
  noStreams: number;
  status: number;
}
export interface CancelDataPacketPacket {
  type: typeof UsbredirType.CancelDataPacket;
  /** The id of the packet to cancel. */
  id: bigint;
}
export interface FilterRejectPacket {
  type: typeof UsbredirType.FilterReject;
  id: bigint;
}
export interface FilterFilterPacket {
  type: typeof UsbredirType.FilterFilter;
  id: bigint;
  /** The rules string without its terminating NUL, e.g. `0x03,-1,-1,-1,0|-1,-1,-1,-1,1`. */
  filter: string;
}
export interface DeviceDisconnectAckPacket {
  type: typeof UsbredirType.DeviceDisconnectAck;
  id: bigint;
}
export interface StartBulkReceivingPacket {
  type: typeof UsbredirType.StartBulkReceiving;
  id: bigint;
  streamId: number;
  bytesPerTransfer: number;
  endpoint: number;
  noTransfers: number;
}
export interface StopBulkReceivingPacket {
  type: typeof UsbredirType.StopBulkReceiving;
  id: bigint;
  streamId: number;
  endpoint: number;
}
export interface BulkReceivingStatusPacket {
  type: typeof UsbredirType.BulkReceivingStatus;
  id: bigint;
  streamId: number;
  endpoint: number;
  status: number;
}
export interface ControlPacketPacket {
  type: typeof UsbredirType.ControlPacket;
  id: bigint;
  /** 0x00 or 0x80: only the direction bit matters. */
  endpoint: number;
  request: number;
  requestType: number;
  status: number;
  value: number;
  index: number;
  /** wLength in a request, the actual length in a reply. */
  length: number;
  /** The data stage: OUT requests carry it guest→host, IN replies host→guest; empty otherwise. */
  data: Uint8Array;
}
export interface BulkPacketPacket {
  type: typeof UsbredirType.BulkPacket;
  id: bigint;
  endpoint: number;
  status: number;
  /** Full length (length | length_high << 16 when 32bits_bulk_length is negotiated). */
  length: number;
  streamId: number;
  data: Uint8Array;
}
export interface IsoPacketPacket {
  type: typeof UsbredirType.IsoPacket;
  id: bigint;
  endpoint: number;
  status: number;
  length: number;
  data: Uint8Array;
}
export interface InterruptPacketPacket {
  type: typeof UsbredirType.InterruptPacket;
  id: bigint;
  endpoint: number;
  status: number;
  length: number;
  data: Uint8Array;
}
export interface BufferedBulkPacketPacket {
  type: typeof UsbredirType.BufferedBulkPacket;
  id: bigint;
  streamId: number;
  length: number;
  endpoint: number;
  status: number;
  data: Uint8Array;
}

export type UsbredirPacket =
  | HelloPacket
  | DeviceConnectPacket
  | DeviceDisconnectPacket
  | ResetPacket
  | InterfaceInfoPacket
  | EpInfoPacket
  | SetConfigurationPacket
  | GetConfigurationPacket
  | ConfigurationStatusPacket
  | SetAltSettingPacket
  | GetAltSettingPacket
  | AltSettingStatusPacket
  | StartIsoStreamPacket
  | StopIsoStreamPacket
  | IsoStreamStatusPacket
  | StartInterruptReceivingPacket
  | StopInterruptReceivingPacket
  | InterruptReceivingStatusPacket
  | AllocBulkStreamsPacket
  | FreeBulkStreamsPacket
  | BulkStreamsStatusPacket
  | CancelDataPacketPacket
  | FilterRejectPacket
  | FilterFilterPacket
  | DeviceDisconnectAckPacket
  | StartBulkReceivingPacket
  | StopBulkReceivingPacket
  | BulkReceivingStatusPacket
  | ControlPacketPacket
  | BulkPacketPacket
  | IsoPacketPacket
  | InterruptPacketPacket
  | BufferedBulkPacketPacket;
